/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_book_flow.c - seeded ITCH-like flow generator (see fp_book_flow.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fp_book_flow.h"

#define TICK 100 /* one cent in Price(4) */

static uint64_t rnd(struct fp_book_flow *f)
{
	/* splitmix64: good enough and deterministic everywhere */
	uint64_t z = (f->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/** Uniform in [0, n). */
static uint32_t rnd_below(struct fp_book_flow *f, uint32_t n)
{
	return (uint32_t)(((rnd(f) >> 32) * (uint64_t)n) >> 32);
}

/** Percent chance. */
static int chance(struct fp_book_flow *f, uint32_t per_10000)
{
	return rnd_below(f, 10000) < per_10000;
}

/** Geometric: number of failures before a success of probability p/100. */
static uint32_t geometric(struct fp_book_flow *f, uint32_t p_pct, uint32_t max)
{
	uint32_t k = 0;
	while (k < max && rnd_below(f, 100) >= p_pct)
		k++;
	return k;
}

int fp_book_flow_init(struct fp_book_flow *f, const struct fp_book_flow_cfg *cfg)
{
	memset(f, 0, sizeof(*f));
	if (cfg->nb_symbols == 0 || cfg->target_live == 0)
		return -EINVAL;
	f->cfg = *cfg;
	f->rng = cfg->seed * 0x2545f4914f6cdd1dull + 1;
	f->next_ref = 1000 + rnd_below(f, 1000);
	f->ts_ns = 34200ull * 1000000000ull;
	f->cap_live = cfg->target_live * 2 + 1024;
	f->mid = calloc(cfg->nb_symbols + 1, sizeof(*f->mid));
	f->weight_cdf = calloc(cfg->nb_symbols + 1, sizeof(*f->weight_cdf));
	f->live = calloc(f->cap_live, sizeof(*f->live));
	if (!f->mid || !f->weight_cdf || !f->live) {
		fp_book_flow_fini(f);
		return -ENOMEM;
	}
	double total = 0, acc = 0;
	for (uint32_t s = 1; s <= cfg->nb_symbols; s++)
		total += 1.0 / s;
	for (uint32_t s = 1; s <= cfg->nb_symbols; s++) {
		acc += 1.0 / s;
		f->weight_cdf[s] = (uint32_t)(acc / total * 4294967295.0);
		f->mid[s] = (int64_t)(10 + rnd_below(f, 490)) * 10000 + rnd_below(f, 100) * TICK;
	}
	f->weight_cdf[cfg->nb_symbols] = UINT32_MAX;
	return 0;
}

void fp_book_flow_fini(struct fp_book_flow *f)
{
	free(f->mid);
	free(f->weight_cdf);
	free(f->live);
	memset(f, 0, sizeof(*f));
}

static uint32_t pick_symbol(struct fp_book_flow *f)
{
	uint32_t x = (uint32_t)(rnd(f) >> 32), lo = 1, hi = f->cfg.nb_symbols;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (f->weight_cdf[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/** Index of a live order: mostly a recent one. */
static uint32_t pick_live(struct fp_book_flow *f)
{
	uint32_t n = f->nb_live;
	if (chance(f, 7500)) {
		uint32_t w = 64 + n / 16;
		if (w > n)
			w = n;
		return n - 1 - rnd_below(f, w);
	}
	return rnd_below(f, n);
}

static void take_live(struct fp_book_flow *f, uint32_t i)
{
	f->live[i] = f->live[--f->nb_live];
}

static void header(struct fp_book_flow *f, struct fp_event *ev, uint8_t type, uint32_t symbol)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->symbol_id = symbol;
	ev->seq = ++f->seq;
	f->ts_ns += 1 + rnd_below(f, 2000);
	ev->u.add.ts_ns = f->ts_ns;
}

static int64_t new_price(struct fp_book_flow *f, uint32_t symbol, uint8_t side)
{
	if (chance(f, 300)) { /* the mid walks */
		f->mid[symbol] += chance(f, 5000) ? TICK : -TICK;
		if (f->mid[symbol] < 20 * TICK)
			f->mid[symbol] = 20 * TICK;
	}
	int64_t d;
	if (f->cfg.shape == FP_BOOK_FLOW_NEAR) {
		d = (int64_t)(1 + geometric(f, 50, 19)) * TICK;
	} else {
		d = (int64_t)(1 + geometric(f, 30, 400)) * TICK;
		if (chance(f, 500)) /* odd sub-penny prices, far orders */
			d += rnd_below(f, 100);
	}
	int64_t p = side == 'B' ? f->mid[symbol] - d : f->mid[symbol] + d;
	return p > 0 ? p : TICK;
}

static uint32_t new_shares(struct fp_book_flow *f)
{
	if (chance(f, 1500))
		return 1 + rnd_below(f, 99); /* odd lot */
	return 100 * (1 + geometric(f, 45, 50));
}

static void gen_add(struct fp_book_flow *f, struct fp_event *ev)
{
	uint32_t symbol = pick_symbol(f);
	uint8_t side = chance(f, 5000) ? 'B' : 'S';
	header(f, ev, FP_EV_MD_ADD, symbol);
	struct fp_ev_md_add *a = &ev->u.add;
	a->order_reference_number = f->next_ref++;
	a->side = side;
	a->price = new_price(f, symbol, side);
	a->shares = new_shares(f);
	if (chance(f, 1000)) {
		ev->flags |= FP_EVF_ATTRIBUTED;
		memcpy(a->attribution, "FAKE", 4);
	}
	if (f->cfg.faults && chance(f, 50))
		a->shares = 0;
	if (f->cfg.faults && f->nb_live && chance(f, 50)) {
		/* duplicate reference: the book must drop it */
		a->order_reference_number = f->live[pick_live(f)].ref;
		return;
	}
	if (f->nb_live == f->cap_live)
		return; /* never happens with target_live * 2 room; keep the list bounded */
	f->live[f->nb_live++] = (struct fp_book_flow_order){a->order_reference_number, a->price,
							    a->shares, symbol, side};
}

static void gen_on_live(struct fp_book_flow *f, struct fp_event *ev, unsigned kind)
{
	uint32_t i = pick_live(f);
	struct fp_book_flow_order *o = &f->live[i];
	int unknown = f->cfg.faults && chance(f, 100);
	uint64_t ref = unknown ? f->next_ref + 1000000000000ull + rnd_below(f, 1000000) : o->ref;

	switch (kind) {
	case 0: /* delete */
		header(f, ev, FP_EV_MD_DELETE, o->symbol);
		ev->u.del.order_reference_number = ref;
		if (!unknown)
			take_live(f, i);
		return;
	case 1: { /* partial cancel */
		header(f, ev, FP_EV_MD_CANCEL, o->symbol);
		uint32_t n = o->shares > 1 ? 1 + rnd_below(f, o->shares - 1) : 1;
		if (f->cfg.faults && chance(f, 200))
			n = o->shares + 1 + rnd_below(f, 100);
		ev->u.cancel.order_reference_number = ref;
		ev->u.cancel.cancelled_shares = n;
		if (!unknown) {
			o->shares = n >= o->shares ? 0 : o->shares - n;
			if (o->shares == 0)
				take_live(f, i);
		}
		return;
	}
	case 2: { /* execute, sometimes with price */
		header(f, ev, FP_EV_MD_EXECUTE, o->symbol);
		uint32_t n = chance(f, 5000) || o->shares < 2 ? o->shares
							      : 1 + rnd_below(f, o->shares - 1);
		if (f->cfg.faults && chance(f, 200))
			n = o->shares + 1 + rnd_below(f, 100);
		ev->u.execute.order_reference_number = ref;
		ev->u.execute.executed_shares = n;
		ev->u.execute.match_number = f->seq;
		ev->u.execute.printable = 'Y';
		if (chance(f, 500)) {
			ev->flags |= FP_EVF_WITH_PRICE;
			ev->u.execute.execution_price = o->price;
		}
		if (!unknown) {
			o->shares = n >= o->shares ? 0 : o->shares - n;
			if (o->shares == 0)
				take_live(f, i);
		}
		return;
	}
	default: { /* replace */
		header(f, ev, FP_EV_MD_REPLACE, o->symbol);
		struct fp_ev_md_replace *u = &ev->u.replace;
		u->original_order_reference_number = ref;
		u->new_order_reference_number = f->next_ref++;
		u->price = o->price + ((int64_t)rnd_below(f, 5) - 2) * TICK;
		if (u->price <= 0)
			u->price = TICK;
		u->shares = new_shares(f);
		if (!unknown) {
			o->ref = u->new_order_reference_number;
			o->price = u->price;
			o->shares = u->shares;
			/* a replaced order is a recent one: move it to the end */
			struct fp_book_flow_order tmp = *o;
			take_live(f, i);
			f->live[f->nb_live++] = tmp;
		}
		return;
	}
	}
}

static void gen_one(struct fp_book_flow *f, struct fp_event *ev)
{
	if (f->cfg.faults) {
		if (f->cfg.eod_every && rnd_below(f, f->cfg.eod_every) == 0) {
			header(f, ev, FP_EV_MD_SYSTEM, 0);
			ev->u.system.event_code = 'C';
			f->nb_live = 0;
			return;
		}
		if (chance(f, 20)) {
			header(f, ev, FP_EV_MD_TRADING_ACTION, pick_symbol(f));
			ev->u.trading_action.trading_state = chance(f, 5000) ? 'H' : 'T';
			return;
		}
		if (chance(f, 20)) {
			header(f, ev, FP_EV_MD_TRADE, pick_symbol(f));
			ev->u.trade.price = 1000000;
			ev->u.trade.shares = 100;
			return;
		}
	}
	/* steer the live count toward the target */
	uint32_t p_add = 4300;
	if (f->nb_live < f->cfg.target_live / 2)
		p_add = 8000;
	else if (f->nb_live < f->cfg.target_live)
		p_add = 5200;
	else if (f->nb_live > f->cfg.target_live + f->cfg.target_live / 8)
		p_add = 3000;
	if (f->nb_live == 0 || chance(f, p_add)) {
		gen_add(f, ev);
		return;
	}
	uint32_t r = rnd_below(f, 100);
	gen_on_live(f, ev, r < 62 ? 0 : r < 72 ? 1 : r < 86 ? 2 : 3);
}

void fp_book_flow_fill(struct fp_book_flow *f, struct fp_event *evs, size_t n)
{
	for (size_t k = 0; k < n; k++)
		gen_one(f, &evs[k]);
}
