/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_risk_check.c - the pre-trade checks of one intent (fp_risk_check(), fp_risk_prefetch();
 * fp_risk_core.h). An accepted order enters the open-order ledger (fp_risk_core_pvt.h).
 *
 * Risk thread only. Check order (first failure wins): kill, breaker, ids, side, trading
 * state, restricted, venue halt, stale book, quantity, price, collar, notional, position,
 * open orders, gross, net, daily loss, losses in a row, duplicate id, throttles. Orders that
 * strictly reduce the symbol's position skip gross, net, daily loss and losses in a row, so
 * that exits can leave.
 */
#include "fp_risk_core.h"
#include "fp_risk_core_pvt.h"

/* ---- checks ---- */

/* GCRA throttle: may one more event pass at @p now? (no state change) */
static inline int gcra_ok(uint64_t tat, uint64_t iv, uint64_t tau, uint64_t now)
{
	return iv == 0 || tat <= now + tau;
}

static inline uint64_t gcra_next(uint64_t tat, uint64_t iv, uint64_t now)
{
	return (tat > now ? tat : now) + iv;
}

/* Does an order of @p qty on @p buy side strictly reduce the firm position in @p s,
 * counting the same-side open orders (so that several reducing orders cannot flip it)? */
static inline int reduces(const struct fp_risk_sym_state *s, int buy, int64_t qty,
			  int64_t same_side_open)
{
	if (buy)
		return s->position < 0 && s->position + same_side_open + qty <= 0;
	return s->position > 0 && s->position - same_side_open - qty >= 0;
}

/*
 * Does a reject count toward the rejects-in-a-row breaker? That breaker catches a strategy
 * gone wrong. A refusal the firm imposes (kill switch, open breaker, halted trading) says
 * nothing about the strategy, and counting it would re-trip the breaker after every kill
 * (and the journal would restore it open at the next start); a cancel or replace that lost
 * the race with a fill or a cancel (unknown order) is the everyday race of market making.
 */
static inline bool counts_as_strategy_error(enum fp_risk_reason r)
{
	return r != FP_RISK_KILL_SWITCH && r != FP_RISK_BREAKER_OPEN && r != FP_RISK_STATE_HALTED &&
	       r != FP_RISK_UNKNOWN_ORDER;
}

static inline enum fp_risk_reason reject(struct fp_risk_core *rc, enum fp_risk_reason r)
{
	rc->cnt.rejected[r]++;
	rc->consec_rejects += counts_as_strategy_error(r);
	return r;
}

static enum fp_risk_reason check_cancel(struct fp_risk_core *rc, const struct fp_risk_limits *lim,
					const struct fp_event *ev, uint64_t now)
{
	const struct fp_ev_order *o = &ev->u.order;
	if (o->strategy_id >= FP_RISK_MAX_STRATEGIES)
		return reject(rc, FP_RISK_UNKNOWN_STRATEGY);
	uint32_t slot;
	const struct fp_risk_order *old = fp_risk_ord_lookup(rc, o->orig_client_order_id, &slot);
	if (!old || old->state != FP_RISK_ORD_OPEN ||
	    (old->strategy_id != o->strategy_id && ev->source != FP_RISK_SOURCE_EXIT))
		return reject(rc, FP_RISK_UNKNOWN_ORDER); /* not open, or another strategy's */
	const struct fp_risk_strat_limits *ls = &lim->strat[o->strategy_id];
	const struct fp_risk_sym_limits *ly = &lim->sym[old->symbol_id];
	struct fp_risk_strat_state *st = &rc->strat[o->strategy_id];
	struct fp_risk_sym_state *s = &rc->sym[old->symbol_id];
	if (!gcra_ok(st->cancel_tat, ls->cancel_iv_tsc, ls->cancel_tau_tsc, now))
		return reject(rc, FP_RISK_CANCEL_RATE_STRATEGY);
	if (!gcra_ok(s->cancel_tat, ly->cancel_iv_tsc, ly->cancel_tau_tsc, now))
		return reject(rc, FP_RISK_CANCEL_RATE_SYMBOL);
	if (ls->cancel_iv_tsc)
		st->cancel_tat = gcra_next(st->cancel_tat, ls->cancel_iv_tsc, now);
	if (ly->cancel_iv_tsc)
		s->cancel_tat = gcra_next(s->cancel_tat, ly->cancel_iv_tsc, now);
	rc->cnt.accepted++;
	rc->consec_rejects = 0;
	return FP_RISK_OK;
}

/* New order, or the new leg of a replace (@p old = the order it replaces). */
static enum fp_risk_reason check_new(struct fp_risk_core *rc, const struct fp_risk_limits *lim,
				     const struct fp_event *ev, uint64_t now,
				     struct fp_risk_order *old, uint32_t old_slot)
{
	const struct fp_ev_order *o = &ev->u.order;
	const uint32_t sym = ev->symbol_id;
	const uint16_t sid = o->strategy_id;

	if (fp_unlikely(sym == 0 || sym >= rc->nb_symbols || sym >= lim->nb_symbols))
		return reject(rc, FP_RISK_UNKNOWN_SYMBOL);
	if (fp_unlikely(sid >= FP_RISK_MAX_STRATEGIES || !lim->strat[sid].enabled))
		return reject(rc, FP_RISK_UNKNOWN_STRATEGY);
	if (fp_unlikely(!fp_risk_side_valid(o->side) || o->client_order_id == 0))
		return reject(rc, FP_RISK_BAD_ORDER);

	const struct fp_risk_global_limits *lg = &lim->g;
	const struct fp_risk_strat_limits *ls = &lim->strat[sid];
	const struct fp_risk_sym_limits *ly = &lim->sym[sym];
	struct fp_risk_sym_state *s = &rc->sym[sym];
	struct fp_risk_strat_state *st = &rc->strat[sid];
	const struct fp_risk_pnl *fp = &rc->region->firm;
	const struct fp_risk_pnl *sp = &rc->region->strat[sid];
	const int buy = fp_risk_side_is_buy(o->side);
	const int64_t qty = o->shares;
	const int64_t price = o->price;

	/* A replace takes the place of the old order's leaves on the same side. */
	int64_t old_qty = 0, old_notional = 0;
	if (old) {
		if (old->symbol_id != sym || fp_risk_side_is_buy(old->side) != buy)
			return reject(rc, FP_RISK_BAD_ORDER);
		old_qty = old->leaves;
		old_notional = (int64_t)old->leaves * old->price;
	}
	const int64_t open_same = (buy ? s->open_buy : s->open_sell) - old_qty;
	const int is_reducing = reduces(s, buy, qty, open_same);

	uint32_t state = FP_MAX(lg->state, ls->state);
	if (fp_unlikely(state != FP_RISK_ACTIVE)) {
		if (state == FP_RISK_HALTED)
			return reject(rc, FP_RISK_STATE_HALTED);
		if (!is_reducing)
			return reject(rc, FP_RISK_STATE_REDUCING);
	}
	if (fp_unlikely(ly->flags & FP_RISK_SYMF_RESTRICTED))
		return reject(rc, FP_RISK_RESTRICTED);
	if (fp_unlikely(s->flags & FP_RISK_SYM_HALTED))
		return reject(rc, FP_RISK_SYMBOL_HALTED);
	if (fp_unlikely((s->flags & FP_RISK_SYM_STALE) ||
			(lg->stale_tsc && (s->top_tsc == 0 || now - s->top_tsc > lg->stale_tsc))))
		return reject(rc, FP_RISK_BOOK_STALE);

	if (qty < ly->qty_min)
		return reject(rc, FP_RISK_QTY_MIN);
	if (qty > ly->qty_max)
		return reject(rc, FP_RISK_QTY_MAX);
	if (price < ly->price_min)
		return reject(rc, FP_RISK_PRICE_MIN);
	if (price > ly->price_max)
		return reject(rc, FP_RISK_PRICE_MAX);
	if (ly->collar_bps) {
		if (s->mid <= 0)
			return reject(rc, FP_RISK_NO_REFERENCE);
		/* |price - mid| / mid > collar_bps / 10000, without division */
		if ((__int128)fp_risk_abs64(price - s->mid) * 10000 >
		    (__int128)ly->collar_bps * s->mid)
			return reject(rc, FP_RISK_COLLAR);
	}
	int64_t notional;
	if (__builtin_mul_overflow(price, qty, &notional) || notional > ly->max_notional)
		return reject(rc, FP_RISK_NOTIONAL);

	/* worst case: every same-side open order fills, then this one */
	if (buy ? s->position + open_same + qty > ly->max_position
		: open_same + qty - s->position > ly->max_position)
		return reject(rc, FP_RISK_POSITION);

	if (!old) { /* a replace leaves the counts as they are once the old leg closes */
		if (s->open_orders >= ly->max_open_orders)
			return reject(rc, FP_RISK_OPEN_ORDERS_SYMBOL);
		if (st->open_orders >= ls->max_open_orders)
			return reject(rc, FP_RISK_OPEN_ORDERS_STRATEGY);
		if (rc->open_orders >= lg->max_open_orders)
			return reject(rc, FP_RISK_OPEN_ORDERS_TOTAL);
	}

	if (!is_reducing) {
		int64_t add = notional - old_notional;
		if (fp->gross + rc->open_buy_notional + rc->open_sell_notional + add >
			    lg->max_gross ||
		    sp->gross + st->open_buy_notional + st->open_sell_notional + add >
			    ls->max_gross)
			return reject(rc, FP_RISK_GROSS);
		/* the instance's share of the firm's gross limit (docs/scale.md), on top */
		if (lg->firm_budget_on &&
		    fp->gross + rc->open_buy_notional + rc->open_sell_notional + add >
			    lg->firm_gross_budget)
			return reject(rc, FP_RISK_FIRM_BUDGET);
		if (buy ? (fp->net + rc->open_buy_notional + add > lg->max_net ||
			   sp->net + st->open_buy_notional + add > ls->max_net)
			: (fp->net - rc->open_sell_notional - add < -lg->max_net ||
			   sp->net - st->open_sell_notional - add < -ls->max_net))
			return reject(rc, FP_RISK_NET);
		if (fp->realized + fp->unreal < -lg->max_daily_loss ||
		    sp->realized + sp->unreal < -ls->max_daily_loss)
			return reject(rc, FP_RISK_DAILY_LOSS);
		if (fp->consec_losses >= lg->max_consec_losses ||
		    sp->consec_losses >= ls->max_consec_losses)
			return reject(rc, FP_RISK_CONSECUTIVE_LOSSES);
	}

	uint32_t slot;
	if (fp_risk_ord_lookup(rc, o->client_order_id, &slot))
		return reject(rc, FP_RISK_DUPLICATE_ID);
	if (fp_unlikely(slot == UINT32_MAX))
		return reject(rc, FP_RISK_CAPACITY);
	/* The position entry must exist before a fill can arrive. */
	if (fp_unlikely(!(s->strat_mask & (1ULL << sid))) && !fp_risk_pos_get(rc, sid, sym))
		return reject(rc, FP_RISK_CAPACITY);

	if (!gcra_ok(st->order_tat, ls->order_iv_tsc, ls->order_tau_tsc, now))
		return reject(rc, FP_RISK_ORDER_RATE_STRATEGY);
	if (!gcra_ok(s->order_tat, ly->order_iv_tsc, ly->order_tau_tsc, now))
		return reject(rc, FP_RISK_ORDER_RATE_SYMBOL);

	/* ---- accepted: record (invariant 1) ---- */
	if (ls->order_iv_tsc)
		st->order_tat = gcra_next(st->order_tat, ls->order_iv_tsc, now);
	if (ly->order_iv_tsc)
		s->order_tat = gcra_next(s->order_tat, ly->order_iv_tsc, now);
	fp_risk_ord_open(rc, slot,
			 &(struct fp_risk_order){
				 .client_order_id = o->client_order_id,
				 .price = price,
				 .leaves = (uint32_t)qty,
				 .link = old ? old_slot + 1 : 0,
				 .symbol_id = (uint16_t)sym,
				 .strategy_id = sid,
				 .side = buy ? FP_SIDE_BUY : FP_SIDE_SELL,
				 .state = FP_RISK_ORD_OPEN,
				 .flags = ev->source == FP_RISK_SOURCE_EXIT ? FP_RISK_ORDF_EXIT : 0,
			 });
	/* The strategy's next ids go 8 slots (4 lines) further, or into a fresh block: fetch
	 * that line now, while it is not on the critical path of the next check. */
	__builtin_prefetch(&rc->orders[fp_risk_ord_slot(rc, o->client_order_id + 8, 0)], 1, 3);
	rc->cnt.accepted++;
	rc->consec_rejects = 0;
	return FP_RISK_OK;
}

/* The control block: kill switch, then the instance's trading state (only ON trades).
 * Acquire: pairs with the stores of fp_shm_ctl_kill() / fp_shm_ctl_set_trading(). */
static inline enum fp_risk_reason ctl_reason(const struct fp_risk_core *rc)
{
	if (rc->kill_word && atomic_load_explicit(rc->kill_word, memory_order_acquire))
		return FP_RISK_KILL_SWITCH;
	if (rc->trading_word &&
	    atomic_load_explicit(rc->trading_word, memory_order_acquire) != FP_TRADING_ON)
		return FP_RISK_STATE_HALTED;
	return FP_RISK_OK;
}

enum fp_risk_reason fp_risk_check(struct fp_risk_core *rc, const struct fp_risk_limits *lim,
				  const struct fp_event *ev, uint64_t now)
{
	rc->cnt.checked++;
	switch (ev->type) {
	case FP_EV_ORDER_NEW:
		if (fp_unlikely(ctl_reason(rc) != FP_RISK_OK))
			return reject(rc, ctl_reason(rc));
		if (fp_unlikely(rc->breaker_open))
			return reject(rc, FP_RISK_BREAKER_OPEN);
		return check_new(rc, lim, ev, now, NULL, 0);
	case FP_EV_ORDER_REPLACE: {
		if (ctl_reason(rc) != FP_RISK_OK)
			return reject(rc, ctl_reason(rc));
		if (rc->breaker_open)
			return reject(rc, FP_RISK_BREAKER_OPEN);
		uint32_t slot;
		struct fp_risk_order *old =
			fp_risk_ord_lookup(rc, ev->u.order.orig_client_order_id, &slot);
		if (!old || old->state != FP_RISK_ORD_OPEN ||
		    old->strategy_id != ev->u.order.strategy_id)
			return reject(rc, FP_RISK_UNKNOWN_ORDER);
		return check_new(rc, lim, ev, now, old, slot);
	}
	case FP_EV_ORDER_CANCEL:
		return check_cancel(rc, lim, ev, now);
	case FP_EV_ORDER_MASS_CANCEL:
		rc->cnt.accepted++;
		return FP_RISK_OK;
	default:
		return reject(rc, FP_RISK_BAD_ORDER);
	}
}

void fp_risk_prefetch(const struct fp_risk_core *rc, const struct fp_risk_limits *lim,
		      const struct fp_event *ev)
{
	uint32_t sym = ev->symbol_id;
	if (sym >= rc->nb_symbols)
		return;
	__builtin_prefetch(&rc->sym[sym], 1, 3);
	__builtin_prefetch(&lim->sym[sym], 0, 3);
	__builtin_prefetch(&rc->orders[fp_risk_ord_slot(rc,
							ev->type == FP_EV_ORDER_NEW
								? ev->u.order.client_order_id
								: ev->u.order.orig_client_order_id,
							0)],
			   1, 3);
}
