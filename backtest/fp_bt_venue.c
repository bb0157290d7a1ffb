/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_bt_venue.c - the simulated venue (fp_bt_venue.h). The rules, cited by number:
 *
 *   V1  A passive order joins the queue at its price behind every displayed share resting
 *       there when it arrives: ahead = the level's shares, horizon = the highest recorded
 *       order reference seen. The venue gives references in increasing order, so a recorded
 *       order is ahead of ours iff its reference <= horizon (an add that breaks the order
 *       is counted: st.ref_out_of_order).
 *   V2  It moves up as recorded orders ahead of it at its price are executed, cancelled,
 *       deleted or replaced (a replace of an order ahead removes all its shares).
 *   V3  It is filled (at its own price, liquidity 'A') when the recording executes an order
 *       behind it at its price, or executes any order (displayed or not, 'E', 'C', 'P') at a
 *       price worse than ours on our side (a trade through): min(leaves, executed shares).
 *       A non-displayed execution ('P') at our price fills us once nothing is ahead.
 *   V4  A marketable order fills at its arrival against the displayed opposite side, level
 *       by level up to its limit (liquidity 'R'); the shares it took at a level stay taken
 *       until the recording removes as many shares there (executions, cancels, deletes:
 *       the front of the queue, which we took), so the same liquidity never fills twice.
 *       What is left rests (V1) or, for IOC, is cancelled.
 *   V5  Cancels and replaces take effect at arrival. A cancel that leaves shares open is a
 *       reduce and keeps the place; a replace that changes the price or increases the size
 *       loses its place (OUCH 5.0: re-queued as a new order, V1/V4), else keeps it.
 *   V6  An order, cancel or replace the venue cannot apply is refused: REJECTED for a new
 *       order (no shares, no price, unknown symbol, no room), CANCEL_REJECT for a cancel or
 *       replace of an order that is no longer open.
 *   V7  Reports carry the venue's sequence number (one per venue message; a replace's
 *       CANCELED and ACCEPTED share one, as the gateway does, fp_journal.h J3).
 *   V8  Response latency is the engine's business: the venue acts at arrival time.
 *
 * Our open orders are few (a strategy quotes a handful): they sit in a small table scanned
 * linearly, and per_symbol[] counts them so that an md event of another symbol costs one
 * load (fp_bt_venue_busy).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fp_bt_venue.h"
#include "fp_compiler.h"
#include "fp_err.h"

#define NB_SYMBOLS 65536u

int fp_bt_venue_init(struct fp_bt_venue *v, const struct fp_bt_venue_cfg *cfg)
{
	memset(v, 0, sizeof(*v));
	if (!cfg->book || !cfg->emit || cfg->max_orders == 0 || cfg->max_orders > (1u << 20))
		return fp_err_set(-EINVAL, "venue: book, emit and 1..1048576 orders are required");
	v->cfg = *cfg;
	v->orders = calloc(cfg->max_orders, sizeof(*v->orders));
	v->per_symbol = calloc(NB_SYMBOLS, sizeof(*v->per_symbol));
	if (!v->orders || !v->per_symbol) {
		fp_bt_venue_fini(v);
		return fp_err_set(-ENOMEM, "venue: cannot allocate %u orders", cfg->max_orders);
	}
	v->next_ref = 1;
	v->next_match = 1;
	return 0;
}

void fp_bt_venue_fini(struct fp_bt_venue *v)
{
	if (!v)
		return;
	free(v->orders);
	free(v->per_symbol);
	v->orders = NULL;
	v->per_symbol = NULL;
}

static struct fp_bt_vorder *find(struct fp_bt_venue *v, uint64_t id)
{
	for (uint32_t i = 0; i < v->hi; i++)
		if (v->orders[i].id == id && id)
			return &v->orders[i];
	return NULL;
}

const struct fp_bt_vorder *fp_bt_venue_find(const struct fp_bt_venue *v, uint64_t id)
{
	return find((struct fp_bt_venue *)v, id);
}

static unsigned book_side(uint8_t side)
{
	return side == FP_SIDE_BUY ? FP_BOOK_BID : FP_BOOK_ASK;
}

/* Displayed shares of the recorded book at (symbol, side, price); 0 when no such level. */
static uint64_t level_shares(const struct fp_book_core *bc, uint32_t symbol, unsigned side,
			     int64_t price)
{
	if (symbol >= bc->cfg.max_symbols)
		return 0;
	const struct fp_book_level *l = fp_book_core_level(bc, symbol, side, price);
	return l ? l->shares : 0;
}

static struct fp_bt_taken *taken_find(struct fp_bt_venue *v, uint32_t symbol, uint8_t side,
				      int64_t price)
{
	for (uint32_t i = 0; i < v->nb_taken; i++) {
		struct fp_bt_taken *t = &v->taken[i];
		if (t->symbol_id == symbol && t->side == side && t->price == price)
			return t;
	}
	return NULL;
}

/* V4: the recording removed @p n shares at a level: they were the ones we took first. */
static void taken_release(struct fp_bt_venue *v, uint32_t symbol, uint8_t side, int64_t price,
			  uint64_t n)
{
	struct fp_bt_taken *t = taken_find(v, symbol, side, price);
	if (!t)
		return;
	t->shares = t->shares > n ? t->shares - n : 0;
	if (t->shares == 0)
		*t = v->taken[--v->nb_taken];
}

static void emit(struct fp_bt_venue *v, uint8_t type, const struct fp_bt_vorder *o, uint64_t id,
		 int64_t price, uint32_t shares, uint64_t match, uint8_t reason)
{
	struct fp_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.source = o->strategy_id;
	ev.symbol_id = o->symbol_id;
	ev.seq = v->seq;
	ev.t_rx = v->now;
	ev.u.exec.client_order_id = id;
	ev.u.exec.price = price;
	ev.u.exec.shares = shares;
	ev.u.exec.leaves_shares = o->leaves;
	ev.u.exec.match_number = match;
	ev.u.exec.strategy_id = o->strategy_id;
	ev.u.exec.side = o->side;
	ev.u.exec.reason = reason;
	ev.u.exec.reserved = (uint32_t)o->ref;
	v->cfg.emit(v->cfg.emit_arg, &ev, o);
}

static void release(struct fp_bt_venue *v, struct fp_bt_vorder *o)
{
	if (o->symbol_id < NB_SYMBOLS && v->per_symbol[o->symbol_id])
		v->per_symbol[o->symbol_id]--;
	o->id = 0;
	v->nb_live--;
	while (v->hi && v->orders[v->hi - 1].id == 0)
		v->hi--;
}

static void fill(struct fp_bt_venue *v, struct fp_bt_vorder *o, int64_t price, uint32_t n,
		 uint8_t liquidity)
{
	o->leaves -= n;
	v->seq++;
	v->st.fills++;
	v->st.filled_shares += n;
	if (liquidity == 'A')
		v->st.passive_fills++;
	else
		v->st.aggressive_fills++;
	emit(v, FP_EV_EXEC_FILL, o, o->id, price, n, v->next_match++, liquidity);
	if (o->leaves == 0)
		release(v, o);
}

static int64_t mid2(const struct fp_book_core *bc, uint32_t symbol)
{
	const struct fp_book_sym *s = &bc->syms[symbol];
	return s->top_bid && s->top_ask ? s->top_bid + s->top_ask : 0;
}

/* V4 then V1: match against the opposite side up to the limit, then rest (or cancel IOC). */
static void enter(struct fp_bt_venue *v, struct fp_bt_vorder *o)
{
	const struct fp_book_core *bc = v->cfg.book;
	unsigned opp = o->side == FP_SIDE_BUY ? FP_BOOK_ASK : FP_BOOK_BID;
	struct fp_book_iter it;
	const struct fp_book_level *l;

	o->arrival_mid = mid2(bc, o->symbol_id);
	o->t_arrive = v->now;
	/* Best level last; walk from the best towards the worse. */
	fp_book_iter_init(&it, bc, o->symbol_id, opp);
	while (o->leaves && (l = fp_book_iter_next(&it))) {
		int64_t price = fp_book_level_price(l, opp);
		if (o->side == FP_SIDE_BUY ? price > o->price : price < o->price)
			break;
		struct fp_bt_taken *t = taken_find(v, o->symbol_id, (uint8_t)opp, price);
		uint64_t avail = l->shares - (t ? FP_MIN(t->shares, l->shares) : 0);
		if (avail == 0)
			continue;
		if (!t) {
			if (v->nb_taken == FP_BT_VENUE_TAKEN) {
				v->st.taken_full++;
				break;
			}
			t = &v->taken[v->nb_taken++];
			*t = (struct fp_bt_taken){
				.symbol_id = o->symbol_id, .side = (uint8_t)opp, .price = price};
		}
		uint32_t n = (uint32_t)FP_MIN(avail, (uint64_t)o->leaves);
		t->shares += n;
		int last = n == o->leaves;
		fill(v, o, price, n, 'R');
		if (last)
			return; /* released */
	}
	if (o->tif == FP_TIF_IOC) {
		uint32_t n = o->leaves;
		o->leaves = 0;
		v->seq++;
		emit(v, FP_EV_EXEC_CANCELED, o, o->id, o->price, n, 0, 'I');
		release(v, o);
		return;
	}
	o->ahead = level_shares(bc, o->symbol_id, book_side(o->side), o->price);
	o->horizon = v->max_ref;
}

static struct fp_bt_vorder *slot(struct fp_bt_venue *v)
{
	for (uint32_t i = 0; i < v->cfg.max_orders; i++)
		if (v->orders[i].id == 0) {
			if (i >= v->hi)
				v->hi = i + 1;
			return &v->orders[i];
		}
	return NULL;
}

static void on_new(struct fp_bt_venue *v, const struct fp_event *ev)
{
	const struct fp_ev_order *r = &ev->u.order;
	struct fp_bt_vorder tmp = {.id = r->client_order_id,
				   .price = r->price,
				   .qty = r->shares,
				   .leaves = r->shares,
				   .symbol_id = ev->symbol_id,
				   .strategy_id = r->strategy_id,
				   .side = r->side == FP_SIDE_BUY ? FP_SIDE_BUY : FP_SIDE_SELL,
				   .tif = r->tif,
				   .t_decide = r->t_decide};
	struct fp_bt_vorder *o = NULL;
	v->st.orders++;
	v->seq++;
	if (r->shares == 0 || r->price <= 0 || ev->symbol_id == 0 ||
	    ev->symbol_id >= v->cfg.book->cfg.max_symbols || r->client_order_id == 0 ||
	    find(v, r->client_order_id) || (o = slot(v)) == NULL) {
		v->st.rejected++;
		tmp.leaves = 0;
		emit(v, FP_EV_EXEC_REJECTED, &tmp, tmp.id, tmp.price, tmp.qty, 0, 'Z'); /* V6 */
		return;
	}
	tmp.ref = v->next_ref++;
	*o = tmp;
	v->nb_live++;
	v->per_symbol[o->symbol_id]++;
	v->st.accepted++;
	emit(v, FP_EV_EXEC_ACCEPTED, o, o->id, o->price, o->qty, o->ref, 0);
	enter(v, o);
}

static void cancel_reject(struct fp_bt_venue *v, const struct fp_event *ev)
{
	struct fp_bt_vorder tmp = {.id = ev->u.order.orig_client_order_id,
				   .symbol_id = ev->symbol_id,
				   .strategy_id = ev->u.order.strategy_id,
				   .side = ev->u.order.side,
				   .price = ev->u.order.price};
	v->st.cancel_rejects++;
	emit(v, FP_EV_EXEC_CANCEL_REJECT, &tmp, tmp.id, tmp.price, 0, 0, 0);
}

static void on_cancel(struct fp_bt_venue *v, const struct fp_event *ev)
{
	struct fp_bt_vorder *o = find(v, ev->u.order.orig_client_order_id);
	v->st.cancels++;
	v->seq++;
	if (!o)
		return cancel_reject(v, ev); /* V6: filled or cancelled meanwhile */
	uint32_t keep = ev->u.order.shares;
	if (keep >= o->leaves)
		return cancel_reject(v, ev);
	uint32_t dec = o->leaves - keep; /* V5: a reduce keeps the place */
	o->leaves = keep;
	o->qty -= dec; /* the size shrinks too: filled = qty - leaves stays */
	emit(v, FP_EV_EXEC_CANCELED, o, o->id, o->price, dec, 0, 'U');
	if (o->leaves == 0)
		release(v, o);
}

static void on_replace(struct fp_bt_venue *v, const struct fp_event *ev)
{
	const struct fp_ev_order *r = &ev->u.order;
	struct fp_bt_vorder *o = find(v, r->orig_client_order_id);
	v->st.replaces++;
	v->seq++;
	if (!o || r->client_order_id == 0 || find(v, r->client_order_id) || r->price <= 0)
		return cancel_reject(v, ev);
	uint32_t filled = o->qty - o->leaves;
	uint32_t leaves = r->shares > filled ? r->shares - filled : 0;
	int keep_place = r->price == o->price && leaves <= o->leaves; /* V5 */
	uint32_t old_leaves = o->leaves;
	uint64_t old_id = o->id;
	o->leaves = 0;
	emit(v, FP_EV_EXEC_CANCELED, o, old_id, o->price, old_leaves, 0, 0);
	o->id = r->client_order_id;
	o->price = r->price;
	o->qty = r->shares;
	o->leaves = leaves;
	o->ref = v->next_ref++;
	o->t_decide = r->t_decide;
	emit(v, FP_EV_EXEC_ACCEPTED, o, o->id, o->price, leaves, o->ref, 0);
	if (leaves == 0) {
		release(v, o);
		return;
	}
	if (!keep_place)
		enter(v, o);
}

static void on_mass_cancel(struct fp_bt_venue *v, const struct fp_event *ev)
{
	v->st.mass_cancels++;
	for (uint32_t i = 0; i < v->hi; i++) {
		struct fp_bt_vorder *o = &v->orders[i];
		if (!o->id || (ev->symbol_id && o->symbol_id != ev->symbol_id))
			continue;
		uint32_t n = o->leaves;
		o->leaves = 0;
		v->seq++;
		emit(v, FP_EV_EXEC_CANCELED, o, o->id, o->price, n, 0, 'U');
		release(v, o);
	}
}

void fp_bt_venue_order(struct fp_bt_venue *v, const struct fp_event *ev, uint64_t now)
{
	v->now = now;
	switch (ev->type) {
	case FP_EV_ORDER_NEW:
		on_new(v, ev);
		break;
	case FP_EV_ORDER_CANCEL:
		on_cancel(v, ev);
		break;
	case FP_EV_ORDER_REPLACE:
		on_replace(v, ev);
		break;
	case FP_EV_ORDER_MASS_CANCEL:
		on_mass_cancel(v, ev);
		break;
	default:
		break;
	}
}

/* V2/V3 for a recorded order @p ro losing @p n shares; @p exec: executed (not cancelled). */
static void on_level_change(struct fp_bt_venue *v, const struct fp_book_order *ro, uint64_t n,
			    int exec, uint64_t ro_ref)
{
	uint8_t side = ro->side == FP_BOOK_BID ? FP_SIDE_BUY : FP_SIDE_SELL;
	taken_release(v, ro->symbol, ro->side, ro->price, n);
	if (!v->per_symbol[ro->symbol])
		return;
	uint64_t left = n; /* executed shares that may still reach our orders */
	for (uint32_t i = 0; i < v->hi; i++) {
		struct fp_bt_vorder *o = &v->orders[i];
		if (!o->id || o->symbol_id != ro->symbol || o->side != side)
			continue;
		int through = side == FP_SIDE_BUY ? ro->price < o->price : ro->price > o->price;
		if (o->price == ro->price && ro_ref <= o->horizon) {
			o->ahead = o->ahead > n ? o->ahead - n : 0; /* V2 */
			continue;
		}
		if (!exec || left == 0)
			continue;
		if (o->price == ro->price || through) { /* V3: behind us, or through us */
			uint32_t f = (uint32_t)FP_MIN(left, (uint64_t)o->leaves);
			left -= f;
			o->ahead = 0;
			fill(v, o, o->price, f, 'A');
		}
	}
}

/* V3 for a non-displayed execution ('P'): side is the resting (hidden) order's. */
static void on_hidden_trade(struct fp_bt_venue *v, const struct fp_event *ev)
{
	const struct fp_ev_md_trade *t = &ev->u.trade;
	uint64_t left = t->shares;
	for (uint32_t i = 0; i < v->hi && left; i++) {
		struct fp_bt_vorder *o = &v->orders[i];
		if (!o->id || o->symbol_id != ev->symbol_id || o->side != t->side)
			continue;
		int through = o->side == FP_SIDE_BUY ? t->price < o->price : t->price > o->price;
		if (through || (t->price == o->price && o->ahead == 0)) {
			uint32_t f = (uint32_t)FP_MIN(left, (uint64_t)o->leaves);
			left -= f;
			fill(v, o, o->price, f, 'A');
		}
	}
}

void fp_bt_venue_md(struct fp_bt_venue *v, const struct fp_event *ev, uint64_t now)
{
	const struct fp_book_core *bc = v->cfg.book;
	const struct fp_book_order *ro;
	v->now = now;
	switch (ev->type) {
	case FP_EV_MD_ADD:
		if (ev->u.add.order_reference_number > v->max_ref)
			v->max_ref = ev->u.add.order_reference_number;
		else
			v->st.ref_out_of_order++;
		return;
	case FP_EV_MD_REPLACE:
		if (ev->u.replace.new_order_reference_number > v->max_ref)
			v->max_ref = ev->u.replace.new_order_reference_number;
		else
			v->st.ref_out_of_order++;
		if (!fp_bt_venue_busy(v, ev->symbol_id))
			return;
		if ((ro = fp_book_core_find(bc, ev->u.replace.original_order_reference_number)))
			on_level_change(v, ro, ro->shares, 0, ro->ref);
		return;
	case FP_EV_MD_EXECUTE:
		if (!fp_bt_venue_busy(v, ev->symbol_id))
			return;
		if ((ro = fp_book_core_find(bc, ev->u.execute.order_reference_number)))
			on_level_change(v, ro, FP_MIN(ev->u.execute.executed_shares, ro->shares), 1,
					ro->ref);
		return;
	case FP_EV_MD_CANCEL:
		if (!fp_bt_venue_busy(v, ev->symbol_id))
			return;
		if ((ro = fp_book_core_find(bc, ev->u.cancel.order_reference_number)))
			on_level_change(v, ro, FP_MIN(ev->u.cancel.cancelled_shares, ro->shares), 0,
					ro->ref);
		return;
	case FP_EV_MD_DELETE:
		if (!fp_bt_venue_busy(v, ev->symbol_id))
			return;
		if ((ro = fp_book_core_find(bc, ev->u.del.order_reference_number)))
			on_level_change(v, ro, ro->shares, 0, ro->ref);
		return;
	case FP_EV_MD_TRADE:
		if (v->per_symbol[ev->symbol_id < 65536 ? ev->symbol_id : 0])
			on_hidden_trade(v, ev);
		return;
	default:
		return;
	}
}
