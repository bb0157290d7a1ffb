/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_risk_core.h - the pre-trade check engine: per-symbol, per-strategy and per-order state,
 * positions and P&L, and the full check set applied to one intent.
 *
 * One thread only (the risk stage's poll loop) calls the hot functions: fp_risk_check(),
 * fp_risk_on_top(), fp_risk_on_exec(), fp_risk_on_stale(). They never block, allocate, make
 * syscalls or take locks; every table is allocated and touched by fp_risk_core_init().
 * Each is O(1): direct indexing by symbol and strategy id, and bounded-probe hash tables
 * for orders (by client order id) and positions (by strategy and symbol); a mark update
 * touches at most one entry per strategy holding the symbol (<= 64).
 *
 * The positions and P&L region (struct fp_risk_pos_region) is fixed-size, single writer
 * (this engine) and has no pointers, so that it can sit in a segment region that
 * fastpath-ctl reads. Each line carries a seqlock (fp_seqlock.h): read with
 * fp_seqlock_read_copy() to get a consistent entry.
 *
 * Accounting (exact in integers):
 *   position  signed shares (long > 0)
 *   cost      signed cost basis of the open position, price units: average cost x position
 *   realized  on a fill that reduces |position| by q at price p:
 *             realized += q * p * sign(position) - cost * q / |position|
 *             (the full cost when the position goes flat, so flat books are exact); a fill
 *             that crosses zero first closes the whole position, then opens the rest at p.
 *   unreal    position * mark - cost, mark = mid of the last two-sided book top
 *   gross     sum over symbols of |cost| (exposure at cost) plus open orders' notional
 *   net       sum over symbols of cost plus signed open orders' notional
 */
#ifndef FP_RISK_CORE_H
#define FP_RISK_CORE_H

#include <assert.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "fp_compiler.h"
#include "fp_event.h"
#include "fp_risk_limits.h"
#include "fp_hugemem.h"
#include "fp_seqlock.h"
#include "fp_shm_ctl.h"

#define FP_RISK_POS_MAGIC   0x534f504b53495246ULL /* "FRISKPOS" */
#define FP_RISK_POS_VERSION 1

/** fp_risk_sym_state.flags */
#define FP_RISK_SYM_HALTED 0x1 /**< venue halt or pause (book top FP_EVF_HALTED) */
#define FP_RISK_SYM_STALE  0x2 /**< book marked stale (FP_EVF_STALE / FP_EV_MD_STALE) */

/** fp_risk_pos.flags */
#define FP_RISK_POSF_EXITING 0x1 /**< a stop/take-profit exit order is open */

/** Position and P&L of one strategy in one symbol (one cache line in the region). */
struct fp_risk_pos {
	struct fp_seqlock lock; /**< single writer: the risk thread */
	uint16_t strategy_id;
	uint16_t flags;     /**< FP_RISK_POSF_* */
	uint32_t symbol_id; /**< 0 = free slot */
	int64_t position;   /**< shares, long > 0 */
	int64_t cost;       /**< signed cost basis, price units */
	int64_t realized;   /**< price units, today */
	int64_t unreal;     /**< position * mark - cost */
	int64_t mark;       /**< last mid used, Price(4); 0 = none yet */
	int64_t best_mark;  /**< best mark since the position opened (trailing stop) */
} FP_CACHE_ALIGNED;
static_assert(sizeof(struct fp_risk_pos) == 64, "a position is one cache line");

/** P&L and exposure totals of one strategy or the firm. */
struct fp_risk_pnl {
	struct fp_seqlock lock; /**< single writer: the risk thread */
	uint32_t consec_losses; /**< losing closing fills in a row */
	uint32_t reserved;
	int64_t realized; /**< price units */
	int64_t unreal;   /**< price units */
	int64_t gross;    /**< sum of |cost| over symbols, price units */
	int64_t net;      /**< sum of cost over symbols */
	uint64_t nb_fills;
	uint64_t fill_shares;
} FP_CACHE_ALIGNED;
static_assert(sizeof(struct fp_risk_pnl) == 64, "a P&L line is one cache line");

/**
 * The positions and P&L region: header, firm totals, one line per strategy, then
 * `capacity` position entries. Size: fp_risk_pos_region_memsize(capacity).
 */
struct fp_risk_pos_region {
	uint64_t magic;           /**< FP_RISK_POS_MAGIC */
	uint32_t version;         /**< FP_RISK_POS_VERSION */
	uint32_t capacity;        /**< position entries (power of two) */
	_Atomic uint32_t nb_used; /**< entries in use */
	uint32_t reserved0;
	uint64_t day; /**< bumped by each daily roll */
	uint8_t reserved[32];
	struct fp_risk_pnl firm;
	struct fp_risk_pnl strat[FP_RISK_MAX_STRATEGIES];
	struct fp_risk_pos pos[];
} FP_CACHE_ALIGNED;
static_assert(offsetof(struct fp_risk_pos_region, firm) == 64, "pos region header");

/** Risk-side state of one symbol (private to the risk thread). */
struct fp_risk_sym_state {
	/* line 0: everything a new order reads */
	int64_t mid;         /**< reference price; 0 = no two-sided book */
	uint64_t top_tsc;    /**< when the last top arrived */
	int64_t position;    /**< firm net shares */
	int64_t open_buy;    /**< shares on open buy orders */
	int64_t open_sell;   /**< shares on open sell orders */
	uint64_t order_tat;  /**< GCRA theoretical arrival time (TSC) */
	uint64_t strat_mask; /**< bit s: strategy s has a position entry here */
	uint32_t open_orders;
	uint32_t flags; /**< FP_RISK_SYM_* */
	/* line 1: tops, fills, cancels */
	int64_t bid;         /**< last top, Price(4); 0 = none */
	int64_t ask;         /**< 0 = none */
	int64_t cost;        /**< firm cost basis */
	int64_t unreal;      /**< firm unrealized in this symbol at mid */
	uint64_t cancel_tat; /**< GCRA, cancels */
	uint8_t reserved[24];
} FP_CACHE_ALIGNED;
static_assert(sizeof(struct fp_risk_sym_state) == 128, "symbol state is two lines");
static_assert(offsetof(struct fp_risk_sym_state, bid) == 64, "a new order reads one line");

/** Risk-side state of one strategy. */
struct fp_risk_strat_state {
	int64_t open_buy_notional;  /**< price units of open buy orders */
	int64_t open_sell_notional; /**< price units of open sell orders */
	uint64_t order_tat;
	uint64_t cancel_tat;
	uint32_t open_orders;
	uint32_t reserved;
	uint8_t pad[24];
} FP_CACHE_ALIGNED;

enum fp_risk_order_state {
	FP_RISK_ORD_FREE = 0,
	FP_RISK_ORD_OPEN = 1, /**< sent, not yet fully filled/canceled/rejected */
	FP_RISK_ORD_DONE = 2, /**< closed; kept so that the id stays used for the day */
};

/** Event `source` of the exit orders that risk generates itself. */
#define FP_RISK_SOURCE_EXIT 0xffff
/** Client order ids of risk's own orders have this bit set (strategies never use it). */
#define FP_RISK_COID_RISK   (1ULL << 63)

/** fp_risk_order.flags */
#define FP_RISK_ORDF_EXIT 0x1 /**< generated by a stop/take-profit */
#define FP_RISK_ORDF_UNCONFIRMED \
	0x2 /**< recovered from risk's journal only: the gateway
				       *   may never have had it (fp_risk_release_unconfirmed) */

/** One order of the day, keyed by client order id (open addressing). */
struct fp_risk_order {
	uint64_t client_order_id;
	int64_t price;
	uint32_t leaves;    /**< shares still open */
	uint32_t link;      /**< replace: table slot + 1 of the order it replaces; 0 = none */
	uint16_t symbol_id; /**< < FP_RISK_MAX_SYMBOLS */
	uint16_t strategy_id;
	uint8_t side;  /**< FP_SIDE_BUY or FP_SIDE_SELL (sell short counts as sell) */
	uint8_t state; /**< enum fp_risk_order_state */
	uint8_t flags; /**< FP_RISK_ORDF_* */
	uint8_t reserved;
};
static_assert(sizeof(struct fp_risk_order) == 32, "order entry is half a line");

/** What fp_risk_core_init() needs. */
struct fp_risk_core_cfg {
	uint32_t nb_symbols;     /**< symbol ids 1 .. nb_symbols-1 (<= FP_RISK_MAX_SYMBOLS) */
	uint32_t order_capacity; /**< client order ids per day (power of two, >= 64) */
	uint32_t pos_capacity;   /**< (strategy, symbol) positions (power of two, >= 16) */
	struct fp_risk_pos_region *pos_region; /**< NULL: allocated privately */
	const _Atomic uint32_t *kill_word;     /**< non-zero = kill (fp_shm_ctl.kill); NULL: none */
	const _Atomic uint32_t *trading_word;  /**< fp_shm_ctl.trading_state: only FP_TRADING_ON
					       *   trades; NULL: not consulted */
};

/** Counters (single writer; readers may see them a little late). */
struct fp_risk_counters {
	uint64_t checked;
	uint64_t accepted;
	uint64_t rejected[FP_RISK_REASON_MAX]; /**< per reason; [0] unused */
	uint64_t fills;
	uint64_t unknown_exec; /**< execution report for an id we never sent */
	uint64_t late_fills;   /**< fills beyond the shares we had open (applied all the same) */
	uint64_t exits;        /**< stop/take-profit orders generated */
	uint64_t adopted;      /**< orders taken over from an ACCEPTED report (unknown id) */
};

/** The engine. Embed it; fields are read by tests and the stage, written only here. */
struct fp_risk_core {
	uint32_t nb_symbols;
	uint32_t order_mask;
	uint32_t pos_mask;
	uint32_t owns_region;
	uint32_t consec_rejects; /**< rejects in a row that the strategy caused (breaker input:
				    *   not kill switch, breaker, halt or unknown order) */
	uint32_t breaker_open;   /**< set by the breaker: refuse with BREAKER_OPEN */
	const _Atomic uint32_t *kill_word;
	const _Atomic uint32_t *trading_word;
	struct fp_risk_sym_state *sym; /**< [nb_symbols] */
	struct fp_risk_strat_state strat[FP_RISK_MAX_STRATEGIES];
	int64_t open_buy_notional; /**< firm */
	int64_t open_sell_notional;
	uint32_t open_orders; /**< firm */
	uint32_t reserved;
	struct fp_risk_order *orders; /**< [order_mask + 1] */
	uint32_t nb_orders;           /**< used entries (open and done) */
	uint32_t pos_capacity;
	uint64_t next_exit_id; /**< risk's own client order ids */
	uint32_t *pos_index;   /**< hash slot -> pos entry + 1 (0 = empty) */
	struct fp_hugemem mem; /**< sym, pos_index and orders: one huge-page mapping */
	struct fp_risk_pos_region *region;
	struct fp_risk_counters cnt;
};

/** Bytes of a positions region with @p capacity entries. */
size_t fp_risk_pos_region_memsize(uint32_t capacity);

/** Format an empty region in caller memory (cold). Pair: nothing to release. */
void fp_risk_pos_region_init(struct fp_risk_pos_region *r, uint32_t capacity);

/**
 * Allocate and touch every table (cold). Pair with fp_risk_core_fini().
 *
 * @return 0, -EINVAL (bad capacities; message names the field), -ENOMEM.
 */
int fp_risk_core_init(struct fp_risk_core *rc, const struct fp_risk_core_cfg *cfg);

/** Release the tables; fini of a zeroed or already finished core is a no-op. */
void fp_risk_core_fini(struct fp_risk_core *rc);

/**
 * Check one intent (FP_EV_ORDER_NEW / _REPLACE / _CANCEL / _MASS_CANCEL) against @p lim at
 * TSC @p now, and on acceptance record it (open orders, exposure, ids, throttles).
 * Risk thread only; O(1); no side effect on rejection except the counters.
 *
 * @return FP_RISK_OK or the first failing reason.
 */
enum fp_risk_reason fp_risk_check(struct fp_risk_core *rc, const struct fp_risk_limits *lim,
				  const struct fp_event *ev, uint64_t now);

/**
 * Exit orders for the positions in @p symbol_id whose stop-loss (static, trailing, absolute)
 * or take-profit of their strategy's limits has triggered at the current mark: IOC at the
 * touch, opposite side, the whole position (capped at qty_max), `source` FP_RISK_SOURCE_EXIT
 * and client order ids from risk's own range. The caller runs each through fp_risk_check()
 * like any intent. A position with an exit open is skipped. Risk thread; O(strategies).
 *
 * @return the number of events written to @p out (at most @p max).
 */
unsigned fp_risk_exits(struct fp_risk_core *rc, const struct fp_risk_limits *lim,
		       uint32_t symbol_id, struct fp_event *out, unsigned max);

/**
 * Start loading the lines that fp_risk_check() of @p ev will read (symbol state and limits,
 * the order table slot). Call it for the next intent of a batch while checking the current
 * one. Risk thread; no side effect.
 */
void fp_risk_prefetch(const struct fp_risk_core *rc, const struct fp_risk_limits *lim,
		      const struct fp_event *ev);

/**
 * Start loading the symbol limits line a new order on @p symbol_id reads (the state line is
 * written by fp_risk_on_top()). Call it when a book top for the symbol is seen: an intent
 * on it may follow. Risk thread; no side effect.
 */
void fp_risk_prefetch_symbol(const struct fp_risk_core *rc, const struct fp_risk_limits *lim,
			     uint32_t symbol_id);

/** A book top (FP_EV_BOOK_TOP): reference price, halt/stale flags, marks. Risk thread. */
void fp_risk_on_top(struct fp_risk_core *rc, const struct fp_event *ev, uint64_t now);

/** Data for @p symbol_id (0 = all) is stale until the next good top. Risk thread. */
void fp_risk_on_stale(struct fp_risk_core *rc, uint32_t symbol_id);

/**
 * An execution report (FP_EV_EXEC_*): open orders, positions, P&L, losses in a row.
 *
 * @return the realized P&L of this report (fills), 0 otherwise.
 */
int64_t fp_risk_on_exec(struct fp_risk_core *rc, const struct fp_event *ev);

/**
 * Record an order without checking it (recovery: an intent risk accepted, or an order the
 * gateway sent, replayed from the journal): FP_EV_ORDER_NEW, or _REPLACE linked to the open
 * order it replaces; other types are ignored. An id already in the table is left as it is.
 * Cold or risk thread; O(1).
 * @return 1 when recorded, 0 when ignored (known id, other type), -ENOSPC (table full).
 */
int fp_risk_record_order(struct fp_risk_core *rc, const struct fp_event *ev);

/** Set or clear FP_RISK_ORDF_UNCONFIRMED on order @p coid (recovery). Cold. */
void fp_risk_order_unconfirmed(struct fp_risk_core *rc, uint64_t coid, int on);

/**
 * Close every open order still FP_RISK_ORDF_UNCONFIRMED: recovered from risk's journal, but
 * neither journaled by the gateway nor named by any execution report since, once the venue
 * session is synchronised (replay applied): it died in the order ring with the segment.
 * Cold: O(order capacity). @return the orders closed.
 */
uint32_t fp_risk_release_unconfirmed(struct fp_risk_core *rc);

/**
 * Forget every order, position and P&L line (the region is formatted anew) and the
 * per-symbol and per-strategy state, so that a replay of the journal rebuilds them from zero.
 * Cold (risk thread, before the first poll).
 */
void fp_risk_core_reset(struct fp_risk_core *rc);

/** Start a new trading day: realized P&L, counters of losses and order ids reset; positions
 *  carry over with their cost. Risk thread, between sessions (O(tables)). */
void fp_risk_daily_roll(struct fp_risk_core *rc);

/** Look up the position of @p strategy_id in @p symbol_id (NULL when none). */
const struct fp_risk_pos *fp_risk_pos_find(const struct fp_risk_core *rc, uint16_t strategy_id,
					   uint32_t symbol_id);

/** Look up an order by client order id (NULL when never seen today). */
const struct fp_risk_order *fp_risk_order_find(const struct fp_risk_core *rc, uint64_t coid);

/** Firm daily P&L (realized + unrealized), price units. */
static inline int64_t fp_risk_firm_pnl(const struct fp_risk_core *rc)
{
	return rc->region->firm.realized + rc->region->firm.unreal;
}

/**
 * Consistent copy of position entry @p idx (< nb_used) of a region, for readers in any
 * process (fastpath-ctl). @return 0, -ERANGE (no such entry) or -EAGAIN (every try
 * overlapped a write).
 */
int fp_risk_pos_read(const struct fp_risk_pos_region *r, uint32_t idx, struct fp_risk_pos *out);

/** Consistent copy of a P&L line (&r->firm or &r->strat[i]). @return 0 or -EAGAIN. */
int fp_risk_pnl_read(const struct fp_risk_pnl *line, struct fp_risk_pnl *out);

/** Print the firm line, every strategy with fills and every open position (any process). */
void fp_risk_pos_region_dump(FILE *out, const struct fp_risk_pos_region *r);

/** Print the engine's counters and totals (tests, fastpath-ctl). */
void fp_risk_core_dump(FILE *out, const struct fp_risk_core *rc);

#endif /* FP_RISK_CORE_H */
