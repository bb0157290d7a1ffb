/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_bt_venue.h - the backtest's simulated venue: decides the fate of our orders from the
 * recorded per-order (L3) book, with exact queue position (rules V1-V8 in docs/backtest.md).
 *
 * Who may call: the backtest engine (backtest/fp_bt_run.c) and tests, on one thread. It
 * reads the recorded book (book/fp_book.h core, owned by the book stage) and never changes
 * it; it allocates at init only; no syscalls, no I/O. Time is the caller's (feed ns).
 *
 * The caller drives it in recording order:
 *   fp_bt_venue_order(v, ev, now)  an order event (FP_EV_ORDER_*) reaching the venue at now
 *                                  (decision time + order-entry latency)
 *   fp_bt_venue_md(v, ev)          a recorded md event, BEFORE the book stage applies it
 * and receives every report (FP_EV_EXEC_*, as the gateway would push it) through emit().
 */
#ifndef FP_BT_VENUE_H
#define FP_BT_VENUE_H

#include <stdint.h>

#include "fp_book.h"
#include "fp_event.h"

/** One of our orders as the venue holds it. */
struct fp_bt_vorder {
	uint64_t id;         /**< client order id; 0 = free slot */
	uint64_t ref;        /**< venue order reference we gave it (ACCEPTED match_number) */
	uint64_t horizon;    /**< highest recorded order reference when it joined the queue:
			       *   recorded orders with a reference <= horizon are ahead (V1) */
	uint64_t ahead;      /**< displayed shares still ahead of it at its price */
	uint64_t t_arrive;   /**< feed ns it reached the venue (last place in queue) */
	uint64_t t_decide;   /**< the intent's t_decide (the strategy's clock) */
	int64_t price;       /**< Price(4) */
	int64_t arrival_mid; /**< mid at arrival, Price(4) x 2 (0 = no two-sided book) */
	uint32_t qty;        /**< size (new, or after a replace) */
	uint32_t leaves;     /**< open shares */
	uint32_t symbol_id;
	uint16_t strategy_id;
	uint8_t side; /**< FP_SIDE_BUY or FP_SIDE_SELL */
	uint8_t tif;  /**< enum fp_tif */
};

/** Called for every report; @p o is the order it is about (its arrival figures). */
typedef void (*fp_bt_venue_emit_fn)(void *arg, const struct fp_event *ev,
				    const struct fp_bt_vorder *o);

struct fp_bt_venue_cfg {
	const struct fp_book_core *book; /**< the recorded book (read only) */
	uint32_t max_orders;             /**< our open orders at a time (power of two) */
	fp_bt_venue_emit_fn emit;
	void *emit_arg;
};

/** Liquidity taken by our marketable orders at one recorded price level (V4). */
struct fp_bt_taken {
	uint32_t symbol_id;
	uint8_t side; /**< FP_BOOK_BID / FP_BOOK_ASK */
	int64_t price;
	uint64_t shares;
};

#define FP_BT_VENUE_TAKEN 256 /**< levels with liquidity taken at a time */

struct fp_bt_venue_stats {
	uint64_t orders, cancels, replaces, mass_cancels;
	uint64_t accepted, rejected, cancel_rejects;
	uint64_t fills, passive_fills, aggressive_fills, filled_shares;
	uint64_t ref_out_of_order; /**< recorded adds whose reference was not above the highest
				    *   seen (V1 assumes increasing references) */
	uint64_t taken_full;       /**< marketable fills refused: no room to remember them */
};

struct fp_bt_venue {
	struct fp_bt_venue_cfg cfg;
	struct fp_bt_vorder *orders; /**< max_orders slots; live ones have id != 0 */
	uint32_t nb_live;            /**< slots in use */
	uint32_t hi;                 /**< slots below this may be live */
	uint32_t *per_symbol;        /**< live orders per symbol (65536 entries) */
	uint64_t max_ref;            /**< highest recorded order reference seen */
	uint64_t next_ref;           /**< our venue references */
	uint64_t next_match;         /**< our match numbers */
	uint64_t seq;                /**< venue message sequence (fp_event.seq of reports) */
	uint64_t now;
	uint32_t nb_taken;
	struct fp_bt_taken taken[FP_BT_VENUE_TAKEN];
	struct fp_bt_venue_stats st;
};

/** Set up; pair with fp_bt_venue_fini(). @return 0, -EINVAL or -ENOMEM (fp_err says). */
int fp_bt_venue_init(struct fp_bt_venue *v, const struct fp_bt_venue_cfg *cfg);
void fp_bt_venue_fini(struct fp_bt_venue *v);

/** An order event (FP_EV_ORDER_NEW/CANCEL/REPLACE/MASS_CANCEL) reaches the venue at @p now. */
void fp_bt_venue_order(struct fp_bt_venue *v, const struct fp_event *ev, uint64_t now);

/** A recorded md event at @p now, before the book applies it (V2, V3, V4). */
void fp_bt_venue_md(struct fp_bt_venue *v, const struct fp_event *ev, uint64_t now);

/** True when some order of ours rests on @p symbol_id (the engine's fast path). */
static inline int fp_bt_venue_busy(const struct fp_bt_venue *v, uint32_t symbol_id)
{
	return v->nb_taken || (symbol_id < 65536 && v->per_symbol[symbol_id]);
}

/** Our live order with client order id @p id, or NULL (tests, reports). */
const struct fp_bt_vorder *fp_bt_venue_find(const struct fp_bt_venue *v, uint64_t id);

#endif /* FP_BT_VENUE_H */
