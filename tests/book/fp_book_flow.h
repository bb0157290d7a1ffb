/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_book_flow.h - a seeded generator of ITCH-like order flow as md events (tests and perf).
 *
 * Single thread; allocates at init. Each symbol's mid price walks randomly; new orders rest a
 * few ticks from the mid (how far: cfg.shape) (geometric distance, most at or near the touch);
 * deletes, cancels, executes and replaces pick live orders, mostly recent ones (as on a real
 * feed, where most orders are cancelled soon after they are added). References are sequential.
 * With `faults`, it also injects what a broken or made-up feed does: unknown references,
 * cancels and executes larger than the order, duplicate adds, zero-share orders, halts and
 * resumes, and (rarely) an end-of-day 'C'. It never looks at a book: books may lock and cross.
 */
#ifndef FP_BOOK_FLOW_H
#define FP_BOOK_FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "fp_event.h"

/** Price shapes of struct fp_book_flow_cfg.shape. */
enum fp_book_flow_shape {
	/** Geometric distance from the mid (mean ~3 ticks, up to 400), 5 % sub-penny offsets:
	 * books thousands of levels deep (the benchmark's "deep" flow). */
	FP_BOOK_FLOW_DEEP = 0,
	/** Shaped like a NASDAQ day: nearly every order within a few ticks of the touch (mean
	 * 1 tick, at most 20), penny prices only (Reg NMS: no sub-penny quotes at $1 and up). */
	FP_BOOK_FLOW_NEAR = 1,
};

struct fp_book_flow_cfg {
	uint64_t seed;
	uint32_t nb_symbols;  /**< symbol ids 1 .. nb_symbols */
	uint32_t target_live; /**< live orders the flow hovers around */
	uint32_t faults;      /**< 1: inject anomalies (see above) */
	uint32_t eod_every;   /**< with faults: one 'C' system event per this many (0: never) */
	uint32_t shape;       /**< enum fp_book_flow_shape */
};

struct fp_book_flow_order {
	uint64_t ref;
	int64_t price;
	uint32_t shares;
	uint32_t symbol;
	uint8_t side;
};

struct fp_book_flow {
	struct fp_book_flow_cfg cfg;
	uint64_t rng;
	uint64_t next_ref;
	uint64_t seq;
	uint64_t ts_ns;
	int64_t *mid;                    /**< per symbol, Price(4) */
	uint32_t *weight_cdf;            /**< symbol activity (skewed), scaled to 2^32 */
	struct fp_book_flow_order *live; /**< live orders, most recent last */
	uint32_t nb_live;
	uint32_t cap_live;
};

/** 0, or -ENOMEM / -EINVAL. Pair with fp_book_flow_fini(). */
int fp_book_flow_init(struct fp_book_flow *f, const struct fp_book_flow_cfg *cfg);

void fp_book_flow_fini(struct fp_book_flow *f);

/** Write the next @p n events of the flow into @p evs. */
void fp_book_flow_fill(struct fp_book_flow *f, struct fp_event *evs, size_t n);

#endif /* FP_BOOK_FLOW_H */
