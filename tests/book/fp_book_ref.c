/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_book_ref.c - the reference book (see fp_book_ref.h): clarity over speed.
 */
#include <stdlib.h>
#include <string.h>

#include "fp_book_ref.h"

#define REF_BUCKETS (1u << 20)

struct ref_order {
	struct ref_order *next;
	uint64_t ref;
	int64_t price;
	uint32_t shares;
	uint32_t symbol;
	unsigned side;
};

struct ref_level {
	int64_t price;
	uint64_t shares;
	uint32_t orders;
};

struct ref_side {
	struct ref_level *lv; /* best first */
	uint32_t n, cap;
};

struct ref_sym {
	struct ref_side side[2];
	int cross; /* 0 none, 1 locked, 2 crossed */
	int halted;
};

struct fp_book_ref {
	uint32_t max_symbols;
	int eod_clear;
	struct ref_sym *syms;
	struct ref_order **buckets;
	struct fp_book_ref_stats st;
};

struct fp_book_ref *fp_book_ref_new(uint32_t max_symbols, int eod_clear)
{
	struct fp_book_ref *rb = calloc(1, sizeof(*rb));
	if (!rb)
		return NULL;
	rb->max_symbols = max_symbols;
	rb->eod_clear = eod_clear;
	rb->syms = calloc(max_symbols, sizeof(*rb->syms));
	rb->buckets = calloc(REF_BUCKETS, sizeof(*rb->buckets));
	if (!rb->syms || !rb->buckets) {
		fp_book_ref_free(rb);
		return NULL;
	}
	return rb;
}

static void clear_all(struct fp_book_ref *rb)
{
	for (uint32_t b = 0; b < REF_BUCKETS; b++) {
		while (rb->buckets[b]) {
			struct ref_order *o = rb->buckets[b];
			rb->buckets[b] = o->next;
			free(o);
		}
	}
	for (uint32_t s = 0; s < rb->max_symbols; s++) {
		rb->syms[s].side[0].n = 0;
		rb->syms[s].side[1].n = 0;
		rb->syms[s].cross = 0;
	}
	rb->st.live_orders = 0;
}

void fp_book_ref_free(struct fp_book_ref *rb)
{
	if (!rb)
		return;
	if (rb->buckets && rb->syms)
		clear_all(rb);
	if (rb->syms)
		for (uint32_t s = 0; s < rb->max_symbols; s++) {
			free(rb->syms[s].side[0].lv);
			free(rb->syms[s].side[1].lv);
		}
	free(rb->syms);
	free(rb->buckets);
	free(rb);
}

static struct ref_order **find(struct fp_book_ref *rb, uint64_t ref)
{
	struct ref_order **p = &rb->buckets[ref % REF_BUCKETS];
	while (*p && (*p)->ref != ref)
		p = &(*p)->next;
	return p;
}

/* true when price a is better than price b on this side */
static int better(unsigned side, int64_t a, int64_t b)
{
	return side == FP_BOOK_BID ? a > b : a < b;
}

static void level_add(struct ref_side *sd, unsigned side, int64_t price, uint32_t shares)
{
	uint32_t i = 0;
	while (i < sd->n && better(side, sd->lv[i].price, price))
		i++;
	if (i < sd->n && sd->lv[i].price == price) {
		sd->lv[i].shares += shares;
		sd->lv[i].orders++;
		return;
	}
	if (sd->n == sd->cap) {
		sd->cap = sd->cap ? sd->cap * 2 : 4;
		sd->lv = realloc(sd->lv, sd->cap * sizeof(*sd->lv));
		if (!sd->lv)
			abort();
	}
	memmove(&sd->lv[i + 1], &sd->lv[i], (sd->n - i) * sizeof(*sd->lv));
	sd->lv[i] = (struct ref_level){price, shares, 1};
	sd->n++;
}

static void level_sub(struct fp_book_ref *rb, struct ref_side *sd, int64_t price, uint32_t shares,
		      int gone)
{
	uint32_t i = 0;
	while (i < sd->n && sd->lv[i].price != price)
		i++;
	if (i == sd->n) {
		rb->st.negative_size++;
		return;
	}
	if (sd->lv[i].shares < shares) {
		rb->st.negative_size++;
		sd->lv[i].shares = 0;
	} else {
		sd->lv[i].shares -= shares;
	}
	if (gone && --sd->lv[i].orders == 0) {
		memmove(&sd->lv[i], &sd->lv[i + 1], (sd->n - i - 1) * sizeof(*sd->lv));
		sd->n--;
	}
}

static void check_cross(struct fp_book_ref *rb, uint32_t symbol)
{
	struct ref_sym *s = &rb->syms[symbol];
	int cross = 0;
	if (s->side[0].n && s->side[1].n) {
		int64_t bid = s->side[0].lv[0].price, ask = s->side[1].lv[0].price;
		cross = bid > ask ? 2 : bid == ask ? 1 : 0;
	}
	if (cross != s->cross) {
		if (cross == 2)
			rb->st.crossed++;
		else if (cross == 1)
			rb->st.locked++;
		s->cross = cross;
	}
}

static void add(struct fp_book_ref *rb, uint32_t symbol, unsigned side, uint64_t ref, int64_t price,
		uint32_t shares)
{
	struct ref_order **p = find(rb, ref);
	if (*p) {
		rb->st.duplicate_order++;
		check_cross(rb, symbol);
		return;
	}
	struct ref_order *o = calloc(1, sizeof(*o));
	if (!o)
		abort();
	*o = (struct ref_order){NULL, ref, price, shares, symbol, side};
	*p = o;
	rb->st.live_orders++;
	level_add(&rb->syms[symbol].side[side], side, price, shares);
	check_cross(rb, symbol);
}

static void remove_order(struct fp_book_ref *rb, struct ref_order **p)
{
	struct ref_order *o = *p;
	*p = o->next;
	free(o);
	rb->st.live_orders--;
}

static void reduce(struct fp_book_ref *rb, struct ref_order **p, uint32_t n, uint64_t *too_large)
{
	struct ref_order *o = *p;
	uint32_t symbol = o->symbol;
	if (n > o->shares) {
		(*too_large)++;
		n = o->shares;
	}
	o->shares -= n;
	int gone = o->shares == 0;
	level_sub(rb, &rb->syms[symbol].side[o->side], o->price, n, gone);
	if (gone)
		remove_order(rb, p);
	check_cross(rb, symbol);
}

static int good_price(int64_t price)
{
	return price > 0 && price <= INT64_MAX / 2;
}

void fp_book_ref_apply(struct fp_book_ref *rb, const struct fp_event *ev)
{
	struct ref_order **p;
	uint32_t symbol = ev->symbol_id;

	switch (ev->type) {
	case FP_EV_MD_ADD: {
		const struct fp_ev_md_add *a = &ev->u.add;
		if (symbol >= rb->max_symbols) {
			rb->st.bad_symbol++;
			return;
		}
		if ((a->side != 'B' && a->side != 'S') || a->order_reference_number == 0 ||
		    !good_price(a->price)) {
			rb->st.bad_event++;
			return;
		}
		add(rb, symbol, a->side == 'B' ? FP_BOOK_BID : FP_BOOK_ASK,
		    a->order_reference_number, a->price, a->shares);
		return;
	}
	case FP_EV_MD_EXECUTE:
		p = find(rb, ev->u.execute.order_reference_number);
		if (!*p) {
			rb->st.unknown_order++;
			return;
		}
		reduce(rb, p, ev->u.execute.executed_shares, &rb->st.negative_size);
		return;
	case FP_EV_MD_CANCEL:
		p = find(rb, ev->u.cancel.order_reference_number);
		if (!*p) {
			rb->st.unknown_order++;
			return;
		}
		reduce(rb, p, ev->u.cancel.cancelled_shares, &rb->st.cancel_too_large);
		return;
	case FP_EV_MD_DELETE:
		p = find(rb, ev->u.del.order_reference_number);
		if (!*p) {
			rb->st.unknown_order++;
			return;
		}
		symbol = (*p)->symbol;
		level_sub(rb, &rb->syms[symbol].side[(*p)->side], (*p)->price, (*p)->shares, 1);
		remove_order(rb, p);
		check_cross(rb, symbol);
		return;
	case FP_EV_MD_REPLACE: {
		const struct fp_ev_md_replace *u = &ev->u.replace;
		p = find(rb, u->original_order_reference_number);
		if (!*p) {
			rb->st.unknown_order++;
			return;
		}
		symbol = (*p)->symbol;
		unsigned side = (*p)->side;
		level_sub(rb, &rb->syms[symbol].side[side], (*p)->price, (*p)->shares, 1);
		remove_order(rb, p);
		/* the core looks at the top once per message: check crossing after both halves */
		if (u->new_order_reference_number == 0 || !good_price(u->price)) {
			rb->st.bad_event++;
			check_cross(rb, symbol);
			return;
		}
		add(rb, symbol, side, u->new_order_reference_number, u->price, u->shares);
		return;
	}
	case FP_EV_MD_TRADING_ACTION:
		if (symbol >= rb->max_symbols) {
			rb->st.bad_symbol++;
			return;
		}
		if (ev->u.trading_action.trading_state != 'T') {
			if (!rb->syms[symbol].halted)
				rb->st.halts++;
			rb->syms[symbol].halted = 1;
		} else {
			rb->syms[symbol].halted = 0;
		}
		return;
	case FP_EV_MD_SYSTEM:
		if (ev->u.system.event_code == 'C' && rb->eod_clear)
			clear_all(rb);
		return;
	default:
		return;
	}
}

uint32_t fp_book_ref_depth(const struct fp_book_ref *rb, uint32_t symbol, unsigned side,
			   struct fp_book_depth_level *out, uint32_t max)
{
	if (symbol >= rb->max_symbols)
		return 0;
	const struct ref_side *sd = &rb->syms[symbol].side[side];
	uint32_t n = sd->n < max ? sd->n : max;
	for (uint32_t i = 0; i < n; i++)
		out[i] = (struct fp_book_depth_level){sd->lv[i].price, sd->lv[i].shares,
						      sd->lv[i].orders, 0};
	return n;
}

uint32_t fp_book_ref_nb_levels(const struct fp_book_ref *rb, uint32_t symbol, unsigned side)
{
	return symbol < rb->max_symbols ? rb->syms[symbol].side[side].n : 0;
}

const struct fp_book_ref_stats *fp_book_ref_stats(const struct fp_book_ref *rb)
{
	return &rb->st;
}

int fp_book_ref_halted(const struct fp_book_ref *rb, uint32_t symbol)
{
	return symbol < rb->max_symbols && rb->syms[symbol].halted;
}
