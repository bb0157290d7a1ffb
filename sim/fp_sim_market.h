/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_sim_market.h - the synthetic market: a stock directory of N symbols (real tickers,
 * round lots, price levels) and background traders whose orders arrive as a Poisson process
 * around a random-walk fair price per symbol: adds, cancels and reductions, replaces,
 * marketable orders, occasional halts.
 *
 * Simulator main thread only. Create allocates (cold path); fp_sim_market_step() does not.
 * Deterministic: everything follows from the seed; time is simulated (the caller decides how
 * it relates to the wall clock), so the same seed gives the same flow.
 */
#ifndef FP_SIM_MARKET_H
#define FP_SIM_MARKET_H

#include <stdint.h>

#include "fp_sim_engine.h"

/** One entry of the stock directory (what ITCH 'R' publishes). */
struct fp_sim_stock {
	char stock[8];             /**< space-padded */
	uint16_t locate;           /**< 1..N */
	uint32_t round_lot;        /**< 100 for most, 10 or 1 for some high-priced names */
	int64_t ref_price;         /**< opening fair price (4 decimals) */
	int64_t tick;              /**< 100 ($0.01); 1 below $1.00 */
	char market_category;      /**< 'Q' Nasdaq Global Select, 'N' NYSE, 'P' Arca, ... */
	char issue_classification; /**< 'C' common, 'Q' ETF share */
	char issue_sub_type[2];
	char etp_flag;  /**< 'Y' / 'N' */
	char luld_tier; /**< '1' / '2' */
};

struct fp_sim_market_cfg {
	uint32_t nb_symbols;    /**< default 100; up to 5000 */
	uint64_t seed;          /**< 0 = 1 */
	double rate;            /**< background messages per simulated second (default 1000) */
	double p_add;           /**< mix of events (normalized): default 0.50 */
	double p_cancel;        /**< 0.30 (a third of them partial: ITCH 'X') */
	double p_replace;       /**< 0.08 */
	double p_marketable;    /**< 0.12 */
	double p_hidden;        /**< share of adds that are hidden (ITCH 'P' on fill), 0.03 */
	double p_attributed;    /**< share of adds with MPID attribution (ITCH 'F'), 0.10 */
	double halt_interval_s; /**< mean simulated seconds between halts (0 = never) */
	double halt_duration_s; /**< how long a halt lasts (default 1 s) */
	uint32_t max_orders_per_symbol; /**< adds turn into cancels above this (default 400) */
};

struct fp_sim_market_stats {
	uint64_t nb_events;
	uint64_t nb_add, nb_cancel, nb_reduce, nb_replace, nb_marketable;
	uint64_t nb_halts;
};

struct fp_sim_market;

/** Fill @p cfg with the defaults above. */
void fp_sim_market_cfg_default(struct fp_sim_market_cfg *cfg);

/**
 * Build the stock directory and declare every symbol to @p eng (locates 1..N). Pair with
 * fp_sim_market_destroy(). @return the market, or NULL with fp_err set.
 */
struct fp_sim_market *fp_sim_market_create(const struct fp_sim_market_cfg *cfg,
					   struct fp_sim_engine *eng);
void fp_sim_market_destroy(struct fp_sim_market *m);

/** Number of symbols and the directory entry of locate @p locate (1..N, else NULL). */
uint32_t fp_sim_market_nb_symbols(const struct fp_sim_market *m);
const struct fp_sim_stock *fp_sim_market_stock(const struct fp_sim_market *m, uint16_t locate);

/** Simulated time (ns from the start) of the next background event. */
uint64_t fp_sim_market_next_ns(const struct fp_sim_market *m);

/**
 * Run every background event due at or before simulated time @p now_ns, at most @p budget
 * of them, passing @p ts_base_ns + event time as the engine timestamp (ns since midnight).
 * @return events run.
 */
unsigned fp_sim_market_step(struct fp_sim_market *m, uint64_t now_ns, uint64_t ts_base_ns,
			    unsigned budget);

/** Change the message rate from now on (events per simulated second, > 0). */
void fp_sim_market_set_rate(struct fp_sim_market *m, double rate);

const struct fp_sim_market_stats *fp_sim_market_stats(const struct fp_sim_market *m);

#endif /* FP_SIM_MARKET_H */
