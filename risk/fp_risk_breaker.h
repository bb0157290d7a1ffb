/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_risk_breaker.h - the circuit breaker: closed -> open -> cooldown -> (manual reset) ->
 * closed, with every transition and its reason recorded in a segment region.
 *
 * The risk thread is the only writer of the region (fp_risk_breaker_trip/_tick); fastpath-ctl
 * asks for a reset by storing 1 in `reset_request` and reads the rest. Hot-path safe: no
 * syscalls, no allocation; a transition writes one log record.
 *
 *      trip(reason)              cooldown_tsc elapsed        reset_request (ctl)
 *   CLOSED ---------> OPEN ----------------------> COOLDOWN ------------------> CLOSED
 *                      ^  trip again: stays OPEN,     | trip again: back to OPEN
 *                      |  the timer restarts          |
 *                      +------------------------------+
 * A reset asked for while OPEN is refused (counted, recorded): the cooldown must pass first.
 * While not CLOSED the risk stage refuses new orders with FP_RISK_BREAKER_OPEN and sends one
 * mass cancel per trip.
 */
#ifndef FP_RISK_BREAKER_H
#define FP_RISK_BREAKER_H

#include <assert.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "fp_compiler.h"

#define FP_RISK_BREAKER_MAGIC   0x4b52424b53495246ULL /* "FRISKBRK" */
#define FP_RISK_BREAKER_VERSION 1
#define FP_RISK_BREAKER_LOG     64 /**< transitions kept (a ring of the latest) */

enum fp_risk_breaker_state {
	FP_RISK_BRK_CLOSED = 0,
	FP_RISK_BRK_OPEN = 1,
	FP_RISK_BRK_COOLDOWN = 2,
};

/** Why a transition happened. */
enum fp_risk_trip {
	FP_RISK_TRIP_NONE = 0,
	FP_RISK_TRIP_DAILY_LOSS,    /**< firm or strategy P&L beyond max_daily_loss */
	FP_RISK_TRIP_POSITION,      /**< a fill took a position beyond max_position */
	FP_RISK_TRIP_REJECTS,       /**< max_consec_rejects rejects in a row */
	FP_RISK_TRIP_VENUE,         /**< venue session lost */
	FP_RISK_TRIP_STALE,         /**< market data gap or overrun */
	FP_RISK_TRIP_MANUAL,        /**< asked by fastpath-ctl */
	FP_RISK_TRIP_COOLDOWN_DONE, /**< open -> cooldown */
	FP_RISK_TRIP_RESET,         /**< cooldown -> closed by reset_request */
	FP_RISK_TRIP_RESET_REFUSED, /**< reset asked while still open (no state change) */
	FP_RISK_TRIP_MAX
};

/** One recorded transition. */
struct fp_risk_breaker_rec {
	uint64_t tsc;       /**< when */
	uint32_t from;      /**< enum fp_risk_breaker_state */
	uint32_t to;        /**< enum fp_risk_breaker_state */
	uint32_t reason;    /**< enum fp_risk_trip */
	uint32_t symbol_id; /**< the symbol involved, 0 if none */
	int64_t value;      /**< the figure that tripped it (P&L, position, count) */
};
static_assert(sizeof(struct fp_risk_breaker_rec) == 32, "breaker record layout");

/** The segment region "risk.breaker". */
struct fp_risk_breaker_region {
	uint64_t magic;                 /**< FP_RISK_BREAKER_MAGIC */
	uint32_t version;               /**< FP_RISK_BREAKER_VERSION */
	_Atomic uint32_t state;         /**< enum fp_risk_breaker_state */
	_Atomic uint32_t reason;        /**< reason of the last trip */
	_Atomic uint32_t reset_request; /**< ctl stores 1; risk clears it when handled */
	uint64_t opened_tsc;            /**< TSC of the last trip */
	_Atomic uint64_t nb_records;    /**< records written; latest at (n-1) % LOG */
	uint64_t nb_trips;
	uint8_t reserved[16];
	struct fp_risk_breaker_rec log[FP_RISK_BREAKER_LOG];
} FP_CACHE_ALIGNED;
static_assert(offsetof(struct fp_risk_breaker_region, log) == 64, "breaker header is a line");

/** Format the region (cold). */
void fp_risk_breaker_init(struct fp_risk_breaker_region *b);

/** Trip the breaker (any state -> OPEN). Risk thread. @return 1 when it was CLOSED before. */
int fp_risk_breaker_trip(struct fp_risk_breaker_region *b, enum fp_risk_trip why,
			 uint32_t symbol_id, int64_t value, uint64_t now);

/**
 * Advance the timers and handle a pending reset request. Risk thread, once per poll.
 *
 * @param cooldown_tsc  cycles an OPEN breaker waits before COOLDOWN
 * @return the state after the tick
 */
enum fp_risk_breaker_state fp_risk_breaker_tick(struct fp_risk_breaker_region *b,
						uint64_t cooldown_tsc, uint64_t now);

/**
 * Put the breaker in @p to, recording the transition with reason @p why (recovery: the
 * state journaled before a restart). OPEN restarts the cooldown timer at @p now. Risk
 * thread, cold.
 */
void fp_risk_breaker_set(struct fp_risk_breaker_region *b, enum fp_risk_breaker_state to,
			 enum fp_risk_trip why, uint64_t now);

/** Ask for a reset (fastpath-ctl, any process). */
static inline void fp_risk_breaker_request_reset(struct fp_risk_breaker_region *b)
{
	atomic_store_explicit(&b->reset_request, 1, memory_order_release);
}

/** Printable names. */
const char *fp_risk_breaker_state_name(unsigned state);
const char *fp_risk_trip_name(unsigned reason);

/** Print the state and the latest transitions. */
void fp_risk_breaker_dump(FILE *out, const struct fp_risk_breaker_region *b);

#endif /* FP_RISK_BREAKER_H */
