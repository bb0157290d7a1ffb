/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_risk_core_pvt.h - @internal: what the engine's files share (risk/ only; not a public
 * header). The engine (fp_risk_core.h) is three files over one struct fp_risk_core:
 *
 *   fp_risk_core.c     the tables: allocation, the order and position lookups, the
 *                      positions region, reset, dumps.
 *   fp_risk_check.c    the pre-trade checks of one intent (fp_risk_check, fp_risk_prefetch).
 *   fp_risk_account.c  the post-trade accounting: execution reports, fills, marks, exits,
 *                      recovery of orders, the day roll.
 *
 * The open-order ledger (invariant 1 below) is written once, here, inline: the check's
 * accept path opens orders on the hot path, the accounting closes them.
 *
 * Invariants:
 *  (1) sym[s].open_buy / open_sell = sum of leaves of OPEN orders in s per side; the same
 *      for the open notionals (leaves x limit price) per strategy and firm, and open_orders.
 *      Only fp_risk_ledger_open() adds to these figures; only fp_risk_ledger_release() and
 *      fp_risk_ledger_done() take from them.
 *  (2) region->firm.realized and .unreal = sums over strategies' lines; firm gross and net
 *      are computed on the netted per-symbol cost (sym[s].cost), strategies' on their own.
 *  (3) an order id, once in the table, stays for the day (OPEN, then DONE), so duplicates are
 *      refused until fp_risk_daily_roll(). Entries are never deleted inside a day, so linear
 *      probing chains never break.
 *  (4) a position entry, once created for (strategy, symbol), stays (the region is
 *      append-only inside a day and across days).
 *  (5) a position is FP_RISK_POSF_EXITING exactly while an order of its strategy and symbol
 *      flagged FP_RISK_ORDF_EXIT is open.
 */
#ifndef FP_RISK_CORE_PVT_H
#define FP_RISK_CORE_PVT_H

#include <stdint.h>

#include "fp_risk_core.h"

/* Longest probe sequence of the hash tables; a longer one is "capacity". */
#define FP_RISK_PROBE_MAX 32

/*
 * Slot of @p coid on probe @p k. Ids are usually (strategy << 48 | sequence), so consecutive
 * ids of a strategy should land in consecutive slots (one cache line holds two entries, and
 * the next insert is in the line just written). The table is cut into blocks of 64 slots:
 * the low 6 bits of the id pick the slot inside a block, and a multiplicative hash of the
 * other bits and the probe number picks the block. Ids 64 apart never compete for a slot;
 * two ranges that hash to the same block move to another block on the next probe (double
 * hashing by block), so clusters stay short at any load.
 */
static inline uint32_t fp_risk_ord_slot(const struct fp_risk_core *rc, uint64_t coid, uint32_t k)
{
	uint64_t x = ((coid >> 6) + (uint64_t)k * 0x632BE59BD9B4E019ULL) * 0x9E3779B97F4A7C15ULL;
	uint32_t block = (uint32_t)(x >> 32) & (rc->order_mask >> 6);
	return block << 6 | (uint32_t)(coid & 63);
}

static inline int64_t fp_risk_abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

static inline int fp_risk_side_is_buy(uint8_t side)
{
	return side == FP_SIDE_BUY;
}

static inline int fp_risk_side_valid(uint8_t side)
{
	return side == FP_SIDE_BUY || side == FP_SIDE_SELL || side == FP_SIDE_SELL_SHORT ||
	       side == FP_SIDE_SHORT_EXEMPT;
}

/*
 * Find @p coid. Returns the entry (any state) or NULL; *slot receives the free slot where it
 * would go (UINT32_MAX when the probe limit was reached: the table is too full).
 */
static inline struct fp_risk_order *fp_risk_ord_lookup(const struct fp_risk_core *rc, uint64_t coid,
						       uint32_t *slot)
{
	for (uint32_t i = 0; i < FP_RISK_PROBE_MAX; i++) {
		uint32_t s = fp_risk_ord_slot(rc, coid, i);
		struct fp_risk_order *o = &rc->orders[s];
		if (o->state == FP_RISK_ORD_FREE) {
			*slot = s;
			return NULL;
		}
		if (o->client_order_id == coid) {
			*slot = s;
			return o;
		}
	}
	*slot = UINT32_MAX;
	return NULL;
}

/* The position entry of (@p strat, @p sym), or NULL; *slot as fp_risk_ord_lookup(). */
struct fp_risk_pos *fp_risk_pos_lookup(const struct fp_risk_core *rc, uint16_t strat, uint32_t sym,
				       uint32_t *slot);

/* Find or create the entry; NULL only when the table is full. */
struct fp_risk_pos *fp_risk_pos_get(struct fp_risk_core *rc, uint16_t strat, uint32_t sym);

/* Set or clear FP_RISK_POSF_EXITING on the position of order @p o (invariant 5). */
static inline void fp_risk_ledger_exiting(const struct fp_risk_core *rc,
					  const struct fp_risk_order *o, int on)
{
	uint32_t ps;
	struct fp_risk_pos *p = fp_risk_pos_lookup(rc, o->strategy_id, o->symbol_id, &ps);
	if (!p)
		return;
	if (on)
		p->flags |= FP_RISK_POSF_EXITING;
	else
		p->flags &= (uint16_t)~FP_RISK_POSF_EXITING;
}

/* Add (@p sign = 1) or take (-1) @p q shares of order @p o at its price to the open totals of
 * its symbol, its strategy and the firm, on its side (invariant 1). */
static inline void fp_risk_ledger_shares(struct fp_risk_core *rc, const struct fp_risk_order *o,
					 int64_t q)
{
	struct fp_risk_sym_state *s = &rc->sym[o->symbol_id];
	struct fp_risk_strat_state *st = &rc->strat[o->strategy_id];
	int64_t n = q * o->price;
	if (o->side == FP_SIDE_BUY) {
		s->open_buy += q;
		st->open_buy_notional += n;
		rc->open_buy_notional += n;
	} else {
		s->open_sell += q;
		st->open_sell_notional += n;
		rc->open_sell_notional += n;
	}
}

/* Order @p o (its fields set, state OPEN, leaves open) enters the open totals. */
static inline void fp_risk_ledger_open(struct fp_risk_core *rc, struct fp_risk_order *o)
{
	fp_risk_ledger_shares(rc, o, (int64_t)o->leaves);
	rc->sym[o->symbol_id].open_orders++;
	rc->strat[o->strategy_id].open_orders++;
	rc->open_orders++;
	if (o->flags & FP_RISK_ORDF_EXIT)
		fp_risk_ledger_exiting(rc, o, 1);
}

/* Open order @p o leaves the open totals and is DONE (whatever its leaves said). */
static inline void fp_risk_ledger_done(struct fp_risk_core *rc, struct fp_risk_order *o)
{
	o->state = FP_RISK_ORD_DONE;
	rc->sym[o->symbol_id].open_orders--;
	rc->strat[o->strategy_id].open_orders--;
	rc->open_orders--;
	if (o->flags & FP_RISK_ORDF_EXIT)
		fp_risk_ledger_exiting(rc, o, 0);
}

/* Release @p q shares of an open order; it is DONE when nothing is left. */
static inline void fp_risk_ledger_release(struct fp_risk_core *rc, struct fp_risk_order *o,
					  uint32_t q)
{
	if (q > o->leaves)
		q = o->leaves;
	fp_risk_ledger_shares(rc, o, -(int64_t)q);
	o->leaves -= q;
	if (o->leaves == 0 && o->state == FP_RISK_ORD_OPEN)
		fp_risk_ledger_done(rc, o);
}

/* Close an order: its leaves are released, and it is DONE. */
static inline void fp_risk_ledger_close(struct fp_risk_core *rc, struct fp_risk_order *o)
{
	fp_risk_ledger_release(rc, o, o->leaves);
	if (o->state == FP_RISK_ORD_OPEN) /* zero-leaves open order */
		fp_risk_ledger_done(rc, o);
}

/* Write order @p init (state OPEN) into free slot @p slot of the table and open it. */
static inline void fp_risk_ord_open(struct fp_risk_core *rc, uint32_t slot,
				    const struct fp_risk_order *init)
{
	struct fp_risk_order *o = &rc->orders[slot];
	*o = *init;
	rc->nb_orders++;
	fp_risk_ledger_open(rc, o);
}

#endif /* FP_RISK_CORE_PVT_H */
