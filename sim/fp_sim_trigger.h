/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_sim_trigger.h - the venue's tick-to-trade probe (STAC-T0 style): trigger events on a
 * reserved symbol, stamped as they leave, and the client orders that answer them, stamped
 * as they arrive; venue-side tick-to-trade = arrival - departure, per trigger.
 *
 * Who may call: the simulator's main thread (the engine's thread; no locks). Create
 * allocates the sample array (cold path); poll and the listener never allocate.
 *
 * The reserved symbol (ZXZZT, one of NASDAQ's test symbols; locate given by the caller, one
 * past the synthetic market's) holds one order of the market owner: a marker bid. A trigger
 * is one ITCH message: the replace ('U') of the marker to the next price of a cycle of
 * FP_SIM_TRIGGER_PRICES cents from $99.01, so that each trigger moves the touch once and
 * names itself by its price. The book has no ask: a strategy answering the touch can only
 * buy at the bid, at the trigger's price (the `ping` strategy with symbol = the locate,
 * every = 1; the pipeline's risk needs collar_bps = 0 on the symbol, there being no mid).
 * fastpath-sim polls for triggers only while an OUCH client is logged in or a FIX client has
 * logged on (a trigger no one
 * can answer measures nothing, and a pipeline whose gateway is not up yet would count the
 * refusals toward its breaker).
 * The trigger's departure is CLOCK_MONOTONIC taken right before the flush that sends its
 * packet (sendto); background messages waiting for their packet share it, as on a feed.
 *
 * The answer to a trigger is the first client order on the reserved symbol at the
 * trigger's price that the engine accepts or rejects; its arrival is when the acceptor's
 * recv returned its bytes (fp_sim_oe.recv_mono_ns, stamp_recv set; over FIX on TLS, when
 * SSL_read returned them decrypted, fp_sim_fix.c). Another order at that
 * price before the price comes round again is counted as extra, one at no trigger's price
 * as stray. While the last trigger waits for its answer (at most FP_SIM_TRIGGER_WAIT_MS),
 * fp_sim_trigger_waiting() tells the main loop not to sleep and to keep its market steps
 * short, so that the arrival is not stamped late. What a sample holds besides the client:
 * the kernel's loopback path both ways, and up to one pass of the simulator's loop between
 * the bytes' arrival and recv (the same for every client: compare with fastpath-floor).
 */
#ifndef FP_SIM_TRIGGER_H
#define FP_SIM_TRIGGER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fp_sim_engine.h"
#include "fp_sim_itch.h"

#define FP_SIM_TRIGGER_STOCK       "ZXZZT"
#define FP_SIM_TRIGGER_PRICE0      INT64_C(990100) /**< $99.01: the cycle's first price */
#define FP_SIM_TRIGGER_TICK        INT64_C(100)    /**< $0.01 between trigger prices */
#define FP_SIM_TRIGGER_PRICES      98              /**< prices in the cycle ($99.01..$99.98) */
#define FP_SIM_TRIGGER_WAIT_MS     10              /**< longest the loop spins for an answer */
#define FP_SIM_TRIGGER_MAX_SAMPLES (1u << 21)      /**< samples kept (later ones: counted) */

struct fp_sim_trigger_cfg {
	double rate;     /**< triggers per second (> 0) */
	uint16_t locate; /**< the reserved symbol's locate: declared by fp_sim_trigger_open */
};

struct fp_sim_trigger_stats {
	uint64_t nb_sent;     /**< triggers sent */
	uint64_t nb_answered; /**< triggers answered (one sample each) */
	uint64_t nb_extra;    /**< further orders at an answered trigger's price */
	uint64_t nb_stray;    /**< orders on the symbol at no trigger's price (or before any) */
	uint64_t nb_dropped;  /**< samples past FP_SIM_TRIGGER_MAX_SAMPLES */
};

struct fp_sim_trigger;

/** Allocate the probe (cold path). @return it, or NULL with fp_err set (-EINVAL, -ENOMEM). */
struct fp_sim_trigger *fp_sim_trigger_create(const struct fp_sim_trigger_cfg *cfg);
void fp_sim_trigger_destroy(struct fp_sim_trigger *t);

/**
 * The engine order listener to install: it passes every callback on to @p inner (the
 * acceptor's) and notes the orders on the reserved symbol, stamped with *@p recv_mono_ns.
 */
struct fp_sim_order_listener fp_sim_trigger_listener(struct fp_sim_trigger *t,
						     struct fp_sim_order_listener inner,
						     const uint64_t *recv_mono_ns);

/**
 * Declare the reserved symbol to @p eng (the engine must have room for its locate), publish
 * its directory entry and trading state on @p itch and rest the marker bid, at ITCH time
 * @p ts_ns. Triggers start one period after @p mono_ns. @return 0 or -errno with fp_err set.
 */
int fp_sim_trigger_open(struct fp_sim_trigger *t, struct fp_sim_engine *eng,
			struct fp_sim_itch *itch, uint64_t ts_ns, uint64_t mono_ns);

/** Send a trigger when one is due at @p mono_ns (ITCH time @p ts_ns). @return 1 if sent. */
unsigned fp_sim_trigger_poll(struct fp_sim_trigger *t, uint64_t mono_ns, uint64_t ts_ns);

/** True while the last trigger waits for its answer (at most FP_SIM_TRIGGER_WAIT_MS). */
bool fp_sim_trigger_waiting(const struct fp_sim_trigger *t, uint64_t mono_ns);

/** Monotonic time of the next trigger (UINT64_MAX before open). */
uint64_t fp_sim_trigger_due(const struct fp_sim_trigger *t);

const struct fp_sim_trigger_stats *fp_sim_trigger_stats(const struct fp_sim_trigger *t);

/**
 * Print `, "trigger": {...}` (counts, p50/p99/p99.9/max/min of the samples in ns) for the
 * simulator's JSON summary, or with @p json false one line for people. Sorts the samples.
 */
void fp_sim_trigger_print(FILE *out, struct fp_sim_trigger *t, bool json);

#endif /* FP_SIM_TRIGGER_H */
