/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_risk_account.c - the post-trade accounting (fp_risk_core.h): execution reports close
 * and release orders (the ledger, fp_risk_core_pvt.h), fills move positions and P&L, book
 * tops mark them, stops and take-profits make exits; recovery records orders; the day roll.
 *
 * Risk thread only (the day roll: between sessions).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fp_risk_core.h"
#include "fp_risk_core_pvt.h"

/* ---- execution reports ---- */

/*
 * Apply a signed fill @p dq at @p price to (position, cost); return the realized P&L.
 * Exact when the position goes flat or flips (the whole cost leaves); a partial reduction
 * removes cost * q / |position|, truncated toward zero (a sub-unit remainder stays in cost
 * and is realized when the position closes).
 */
static int64_t fill_apply(int64_t *pos, int64_t *cost, int64_t dq, int64_t price)
{
	int64_t p = *pos;
	if (p == 0 || (p > 0) == (dq > 0)) {
		*pos = p + dq;
		*cost += dq * price;
		return 0;
	}
	int64_t ap = fp_risk_abs64(p), q = fp_risk_abs64(dq);
	if (q < ap) {
		int64_t removed = (int64_t)((__int128)*cost * q / ap);
		int64_t r = (p > 0 ? q * price : -q * price) - removed;
		*cost -= removed;
		*pos = p + dq;
		return r;
	}
	int64_t r = (p > 0 ? ap * price : -ap * price) - *cost;
	int64_t rest = q - ap;
	*pos = dq > 0 ? rest : -rest;
	*cost = *pos * price;
	return r;
}

/* Release @p q shares of an open order (invariant 1); close it when nothing is left. */
static int64_t apply_fill(struct fp_risk_core *rc, const struct fp_risk_order *o, uint32_t q,
			  int64_t price)
{
	struct fp_risk_sym_state *s = &rc->sym[o->symbol_id];
	struct fp_risk_pos *p = fp_risk_pos_get(rc, o->strategy_id, o->symbol_id);
	struct fp_risk_pnl *sp = &rc->region->strat[o->strategy_id];
	struct fp_risk_pnl *fp = &rc->region->firm;
	int64_t dq = o->side == FP_SIDE_BUY ? (int64_t)q : -(int64_t)q;
	if (!p) { /* table full: keep the firm view right at least */
		rc->cnt.unknown_exec++;
		return 0;
	}

	fp_seqlock_write_begin(&p->lock);
	int64_t was_pos = p->position, old_cost = p->cost, old_unreal = p->unreal;
	int64_t r = fill_apply(&p->position, &p->cost, dq, price);
	p->realized += r;
	int64_t mark = s->mid > 0 ? s->mid : price;
	p->mark = mark;
	if (was_pos == 0 || (was_pos > 0) != (p->position > 0))
		p->best_mark = price; /* a new position (opened or flipped) */
	p->unreal = p->position * mark - p->cost;
	fp_seqlock_write_end(&p->lock);

	int64_t sym_old_cost = s->cost;
	fill_apply(&s->position, &s->cost, dq, price);

	fp_seqlock_write_begin(&sp->lock);
	sp->realized += r;
	sp->unreal += p->unreal - old_unreal;
	sp->gross += fp_risk_abs64(p->cost) - fp_risk_abs64(old_cost);
	sp->net += p->cost - old_cost;
	sp->nb_fills++;
	sp->fill_shares += q;
	if (r < 0)
		sp->consec_losses++;
	else if (r > 0)
		sp->consec_losses = 0;
	fp_seqlock_write_end(&sp->lock);

	fp_seqlock_write_begin(&fp->lock);
	fp->realized += r;
	fp->unreal += p->unreal - old_unreal;
	fp->gross += fp_risk_abs64(s->cost) - fp_risk_abs64(sym_old_cost);
	fp->net += s->cost - sym_old_cost;
	fp->nb_fills++;
	fp->fill_shares += q;
	if (r < 0)
		fp->consec_losses++;
	else if (r > 0)
		fp->consec_losses = 0;
	fp_seqlock_write_end(&fp->lock);
	rc->cnt.fills++;
	return r;
}

/*
 * Record an order that was not checked here (recovery, adoption): the bookkeeping of an
 * accepted check_new() (invariant 1) without the checks and the throttles. Cold path, but
 * O(1). @return 1, 0 (id known or unusable), -ENOSPC (probe limit or positions full).
 */
static int ord_insert(struct fp_risk_core *rc, uint64_t coid, int64_t price, uint32_t qty,
		      uint32_t sym, uint16_t sid, uint8_t side, uint64_t orig, uint16_t source)
{
	uint32_t slot, old_slot;
	if (coid == 0 || sym == 0 || sym >= rc->nb_symbols || sid >= FP_RISK_MAX_STRATEGIES ||
	    !fp_risk_side_valid(side) || fp_risk_ord_lookup(rc, coid, &slot))
		return 0;
	if (slot == UINT32_MAX ||
	    (!(rc->sym[sym].strat_mask & (1ULL << sid)) && !fp_risk_pos_get(rc, sid, sym)))
		return -ENOSPC;
	struct fp_risk_order *old = orig ? fp_risk_ord_lookup(rc, orig, &old_slot) : NULL;
	int buy = fp_risk_side_is_buy(side);
	int exit = source == FP_RISK_SOURCE_EXIT || (coid & FP_RISK_COID_RISK);
	fp_risk_ord_open(rc, slot,
			 &(struct fp_risk_order){
				 .client_order_id = coid,
				 .price = price,
				 .leaves = qty,
				 .link = old && old->state == FP_RISK_ORD_OPEN ? old_slot + 1 : 0,
				 .symbol_id = (uint16_t)sym,
				 .strategy_id = sid,
				 .side = buy ? FP_SIDE_BUY : FP_SIDE_SELL,
				 .state = FP_RISK_ORD_OPEN,
				 .flags = exit ? FP_RISK_ORDF_EXIT : 0,
			 });
	if (coid & FP_RISK_COID_RISK) { /* risk's own ids never repeat after a restart */
		uint64_t n = (coid & ~FP_RISK_COID_RISK) + 1;
		if (n > rc->next_exit_id)
			rc->next_exit_id = n;
	}
	return 1;
}

/* A closed order the venue accepted after all (recovery only): open again with @p leaves. */
static void ord_reopen(struct fp_risk_core *rc, struct fp_risk_order *o, uint32_t leaves)
{
	o->leaves = leaves;
	o->state = FP_RISK_ORD_OPEN;
	fp_risk_ledger_open(rc, o);
}

int fp_risk_record_order(struct fp_risk_core *rc, const struct fp_event *ev)
{
	const struct fp_ev_order *o = &ev->u.order;
	if (ev->type != FP_EV_ORDER_NEW && ev->type != FP_EV_ORDER_REPLACE)
		return 0;
	return ord_insert(
		rc, o->client_order_id, o->price, o->shares, ev->symbol_id, o->strategy_id, o->side,
		ev->type == FP_EV_ORDER_REPLACE ? o->orig_client_order_id : 0, ev->source);
}

int64_t fp_risk_on_exec(struct fp_risk_core *rc, const struct fp_event *ev)
{
	const struct fp_ev_exec *x = &ev->u.exec;
	uint32_t slot;
	struct fp_risk_order *o = fp_risk_ord_lookup(rc, x->client_order_id, &slot);
	if (!o && ev->type == FP_EV_EXEC_ACCEPTED && x->leaves_shares &&
	    ord_insert(rc, x->client_order_id, x->price, x->leaves_shares, ev->symbol_id,
		       x->strategy_id, x->side, 0, 0) == 1) {
		rc->cnt.adopted++; /* sent, but its intent was not recorded (a crash): adopt it */
		return 0;
	}
	if (!o) {
		rc->cnt.unknown_exec++;
		return 0;
	}
	o->flags &= (uint8_t)~FP_RISK_ORDF_UNCONFIRMED; /* the gateway has it */
	int64_t r = 0;
	switch (ev->type) {
	case FP_EV_EXEC_FILL: {
		/* Every filled share moves the position, even beyond what we think is open
		 * (a fill racing a cancel, an over-fill): positions must follow the venue. */
		uint32_t q = FP_MIN(x->shares, o->leaves);
		if (x->shares > q)
			rc->cnt.late_fills++;
		if (x->shares)
			r = apply_fill(rc, o, x->shares, x->price);
		fp_risk_ledger_release(rc, o, q);
		if (o->leaves > x->leaves_shares) /* the venue says less is left: believe it */
			fp_risk_ledger_release(rc, o, o->leaves - x->leaves_shares);
		if (o->state == FP_RISK_ORD_OPEN && o->leaves == 0)
			fp_risk_ledger_close(rc, o);
		break;
	}
	case FP_EV_EXEC_CANCELED:
		if (o->leaves > x->leaves_shares)
			fp_risk_ledger_release(rc, o, o->leaves - x->leaves_shares);
		if (x->leaves_shares == 0)
			fp_risk_ledger_close(rc, o);
		break;
	case FP_EV_EXEC_REJECTED:
		fp_risk_ledger_close(rc, o);
		break;
	case FP_EV_EXEC_ACCEPTED:
		if (x->leaves_shares == 0 && o->state == FP_RISK_ORD_OPEN) {
			fp_risk_ledger_close(rc, o); /* dead on arrival (OUCH order state 'D') */
		} else if (x->leaves_shares && o->state == FP_RISK_ORD_DONE && !o->link) {
			/* closed as lost or released after a recovery, yet the venue has it */
			ord_reopen(rc, o, x->leaves_shares);
			rc->cnt.adopted++;
		}
		break;
	case FP_EV_EXEC_REPLACED:
		/* reported on the new id: the old leg is gone */
		if (o->link) {
			struct fp_risk_order *old = &rc->orders[o->link - 1];
			if (old->state == FP_RISK_ORD_OPEN)
				fp_risk_ledger_close(rc, old);
			o->link = 0;
		}
		break;
	case FP_EV_EXEC_CANCEL_REJECT:
		if (o->link) /* a refused replace: the new leg never existed */
			fp_risk_ledger_close(rc, o);
		break;
	default:
		break;
	}
	return r;
}

/* ---- market data ---- */

void fp_risk_on_top(struct fp_risk_core *rc, const struct fp_event *ev, uint64_t now)
{
	uint32_t sym = ev->symbol_id;
	if (sym == 0 || sym >= rc->nb_symbols)
		return;
	struct fp_risk_sym_state *s = &rc->sym[sym];
	const struct fp_ev_book_top *t = &ev->u.top;
	s->bid = t->bid_price;
	s->ask = t->ask_price;
	s->mid = (t->bid_price > 0 && t->ask_price > 0 && !(ev->flags & FP_EVF_CROSSED))
			 ? (t->bid_price + t->ask_price) / 2
			 : 0;
	s->top_tsc = now;
	s->flags = (ev->flags & FP_EVF_HALTED ? FP_RISK_SYM_HALTED : 0) |
		   (ev->flags & FP_EVF_STALE ? FP_RISK_SYM_STALE : 0);
	if (s->mid <= 0)
		return;
	/* Re-mark every strategy's position in this symbol (<= 64, usually one or two). */
	for (uint64_t m = s->strat_mask; m; m &= m - 1) {
		uint16_t sid = (uint16_t)__builtin_ctzll(m);
		uint32_t ps;
		struct fp_risk_pos *p = fp_risk_pos_lookup(rc, sid, sym, &ps);
		if (!p)
			continue;
		int64_t old = p->unreal;
		fp_seqlock_write_begin(&p->lock);
		p->mark = s->mid;
		p->unreal = p->position * s->mid - p->cost;
		if (p->position > 0 && s->mid > p->best_mark)
			p->best_mark = s->mid;
		else if (p->position < 0 && (s->mid < p->best_mark || p->best_mark == 0))
			p->best_mark = s->mid;
		fp_seqlock_write_end(&p->lock);
		int64_t d = p->unreal - old;
		if (d) {
			struct fp_risk_pnl *sp = &rc->region->strat[sid];
			fp_seqlock_write_begin(&sp->lock);
			sp->unreal += d;
			fp_seqlock_write_end(&sp->lock);
			fp_seqlock_write_begin(&rc->region->firm.lock);
			rc->region->firm.unreal += d;
			fp_seqlock_write_end(&rc->region->firm.lock);
		}
	}
}

void fp_risk_on_stale(struct fp_risk_core *rc, uint32_t symbol_id)
{
	if (symbol_id == 0) {
		for (uint32_t i = 1; i < rc->nb_symbols; i++)
			rc->sym[i].flags |= FP_RISK_SYM_STALE;
	} else if (symbol_id < rc->nb_symbols) {
		rc->sym[symbol_id].flags |= FP_RISK_SYM_STALE;
	}
}

/* ---- exits ---- */

/* Has a stop or take-profit of @p l triggered for @p p? */
static int exit_due(const struct fp_risk_pos *p, const struct fp_risk_strat_limits *l)
{
	if (p->position == 0 || p->mark <= 0)
		return 0;
	__int128 ac = fp_risk_abs64(p->cost), u = p->unreal;
	if (l->stop_loss_bps && -u * 10000 >= (__int128)l->stop_loss_bps * ac)
		return 1;
	if (l->take_profit_bps && u * 10000 >= (__int128)l->take_profit_bps * ac)
		return 1;
	if (l->stop_loss_abs && -u >= l->stop_loss_abs)
		return 1;
	if (l->trailing_stop_bps && p->best_mark > 0) {
		__int128 move = p->position > 0 ? p->best_mark - p->mark : p->mark - p->best_mark;
		if (move * 10000 >= (__int128)l->trailing_stop_bps * p->best_mark)
			return 1;
	}
	return 0;
}

unsigned fp_risk_exits(struct fp_risk_core *rc, const struct fp_risk_limits *lim,
		       uint32_t symbol_id, struct fp_event *out, unsigned max)
{
	if (symbol_id == 0 || symbol_id >= rc->nb_symbols)
		return 0;
	const struct fp_risk_sym_state *s = &rc->sym[symbol_id];
	unsigned n = 0;
	for (uint64_t m = s->strat_mask; m && n < max; m &= m - 1) {
		uint16_t sid = (uint16_t)__builtin_ctzll(m);
		uint32_t ps;
		struct fp_risk_pos *p = fp_risk_pos_lookup(rc, sid, symbol_id, &ps);
		if (!p || (p->flags & FP_RISK_POSF_EXITING) || !exit_due(p, &lim->strat[sid]))
			continue;
		int sell = p->position > 0;
		int64_t px = sell ? s->bid : s->ask;
		if (px <= 0)
			continue;
		int64_t q = fp_risk_abs64(p->position);
		if (q > lim->sym[symbol_id].qty_max)
			q = lim->sym[symbol_id].qty_max;
		struct fp_event *e = &out[n++];
		memset(e, 0, sizeof(*e));
		e->type = FP_EV_ORDER_NEW;
		e->source = FP_RISK_SOURCE_EXIT;
		e->symbol_id = symbol_id;
		e->seq = rc->next_exit_id;
		e->u.order = (struct fp_ev_order){
			.client_order_id = FP_RISK_COID_RISK | rc->next_exit_id++,
			.price = px,
			.shares = (uint32_t)q,
			.strategy_id = sid,
			.side = sell ? FP_SIDE_SELL : FP_SIDE_BUY,
			.tif = FP_TIF_IOC,
		};
		rc->cnt.exits++;
	}
	return n;
}

/* ---- recovery ---- */

void fp_risk_order_unconfirmed(struct fp_risk_core *rc, uint64_t coid, int on)
{
	uint32_t slot;
	struct fp_risk_order *o = fp_risk_ord_lookup(rc, coid, &slot);
	if (o && on)
		o->flags |= FP_RISK_ORDF_UNCONFIRMED;
	else if (o)
		o->flags &= (uint8_t)~FP_RISK_ORDF_UNCONFIRMED;
}

uint32_t fp_risk_release_unconfirmed(struct fp_risk_core *rc)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i <= rc->order_mask; i++) {
		struct fp_risk_order *o = &rc->orders[i];
		if (!(o->flags & FP_RISK_ORDF_UNCONFIRMED))
			continue;
		o->flags &= (uint8_t)~FP_RISK_ORDF_UNCONFIRMED;
		if (o->state == FP_RISK_ORD_OPEN) {
			fp_risk_ledger_close(rc, o);
			n++;
		}
	}
	return n;
}

/* ---- day roll ---- */

void fp_risk_daily_roll(struct fp_risk_core *rc)
{
	struct fp_risk_pos_region *r = rc->region;
	uint32_t n = atomic_load_explicit(&r->nb_used, memory_order_relaxed);
	for (uint32_t i = 0; i < n; i++) {
		struct fp_risk_pos *p = &r->pos[i];
		fp_seqlock_write_begin(&p->lock);
		p->realized = 0;
		if (p->mark > 0) /* carry the position at the last mark: a new day starts flat */
			p->cost = p->position * p->mark;
		p->unreal = 0;
		fp_seqlock_write_end(&p->lock);
	}
	struct fp_risk_pnl *lines[FP_RISK_MAX_STRATEGIES + 1];
	lines[0] = &r->firm;
	for (unsigned i = 0; i < FP_RISK_MAX_STRATEGIES; i++)
		lines[i + 1] = &r->strat[i];
	for (unsigned i = 0; i <= FP_RISK_MAX_STRATEGIES; i++) {
		fp_seqlock_write_begin(&lines[i]->lock);
		lines[i]->realized = 0;
		lines[i]->unreal = 0;
		lines[i]->consec_losses = 0;
		lines[i]->nb_fills = 0;
		lines[i]->fill_shares = 0;
		lines[i]->gross = 0;
		lines[i]->net = 0;
		fp_seqlock_write_end(&lines[i]->lock);
	}
	/* Recompute cost-based exposures and the firm's per-symbol cost from the entries. */
	for (uint32_t i = 1; i < rc->nb_symbols; i++)
		rc->sym[i].cost = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct fp_risk_pos *p = &r->pos[i];
		r->strat[p->strategy_id].gross += fp_risk_abs64(p->cost);
		r->strat[p->strategy_id].net += p->cost;
		rc->sym[p->symbol_id].cost += p->cost;
	}
	for (uint32_t i = 1; i < rc->nb_symbols; i++) {
		r->firm.gross += fp_risk_abs64(rc->sym[i].cost);
		r->firm.net += rc->sym[i].cost;
	}
	/* Keep open orders (they may still fill), forget the closed ones: rebuild the table.
	 * Cold (between sessions): a scratch copy keeps the probe chains right (invariant 3). */
	uint32_t cap = rc->order_mask + 1, nb_open = 0;
	for (uint32_t i = 0; i < cap; i++)
		nb_open += rc->orders[i].state == FP_RISK_ORD_OPEN;
	struct fp_risk_order *keep = malloc(sizeof(*keep) * (nb_open ? nb_open : 1));
	if (!keep) { /* keep the day's ids rather than lose open orders */
		r->day++;
		return;
	}
	nb_open = 0;
	for (uint32_t i = 0; i < cap; i++)
		if (rc->orders[i].state == FP_RISK_ORD_OPEN)
			keep[nb_open++] = rc->orders[i];
	memset(rc->orders, 0, sizeof(*rc->orders) * cap);
	for (uint32_t i = 0; i < nb_open; i++) {
		uint32_t slot;
		if (!fp_risk_ord_lookup(rc, keep[i].client_order_id, &slot) && slot != UINT32_MAX) {
			keep[i].link = 0;
			rc->orders[slot] = keep[i];
		}
	}
	free(keep);
	rc->nb_orders = nb_open;
	r->day++;
}
