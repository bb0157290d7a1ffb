/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_risk_limits.h - pre-trade risk limits: reason codes, trading states, and the versioned
 * limits snapshot that lives in a segment region and in the risk stage's local RCU copy.
 *
 * The snapshot is plain fixed-width data (no pointers) so that the same bytes work in the
 * segment region written by fastpath-ctl and in the risk process's private copy. Cold-path
 * functions (defaults, validation, derivation, config loading) may allocate and return errors
 * through fp_err; none of them is called from a hot loop. The hot loop only reads a snapshot.
 *
 * Units: prices Price(4) (ITCH 4 decimals), quantities shares, notionals and P&L in
 * Price(4) x shares ("price units": 10000 = 1 dollar-share), rates per second, times in ms in
 * the snapshot and TSC cycles in the derived fields.
 *
 * Limit semantics (one rule for every count): a limit L allows a value up to and including
 * L; the order that would take the value to L + 1 (or past L) is refused. A rate of 0 and a
 * collar of 0 disable that check; every other limit is always on (use a large value).
 */
#ifndef FP_RISK_LIMITS_H
#define FP_RISK_LIMITS_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "fp_compiler.h"
#include "fp_seqlock.h"

#define FP_RISK_LIMITS_MAGIC   0x4d4c4b5349525046ULL /* "FPRISKLM" little-endian */
#define FP_RISK_LIMITS_VERSION 1

/** Strategy ids are 0 .. FP_RISK_MAX_STRATEGIES-1. */
#define FP_RISK_MAX_STRATEGIES 64
/** Symbol ids (ITCH stock locate) are 1 .. FP_RISK_MAX_SYMBOLS-1; 0 means "none". */
#define FP_RISK_MAX_SYMBOLS    16384

/** Why an intent was refused (0 = accepted). Counted per code by the risk stage. */
enum fp_risk_reason {
	FP_RISK_OK = 0,
	FP_RISK_KILL_SWITCH,          /**< kill switch set: new orders refused */
	FP_RISK_BREAKER_OPEN,         /**< a circuit breaker is open or cooling down */
	FP_RISK_STATE_HALTED,         /**< trading state HALTED: cancels only */
	FP_RISK_STATE_REDUCING,       /**< trading state REDUCING and the order adds risk */
	FP_RISK_UNKNOWN_SYMBOL,       /**< symbol id 0 or out of range */
	FP_RISK_UNKNOWN_STRATEGY,     /**< strategy id out of range or disabled */
	FP_RISK_BAD_ORDER,            /**< bad side, zero client order id, unknown type */
	FP_RISK_RESTRICTED,           /**< symbol on the restricted list */
	FP_RISK_SYMBOL_HALTED,        /**< symbol halted or paused by the venue */
	FP_RISK_BOOK_STALE,           /**< book marked stale or not updated within stale_ms */
	FP_RISK_QTY_MIN,              /**< shares below qty_min */
	FP_RISK_QTY_MAX,              /**< shares above qty_max */
	FP_RISK_PRICE_MIN,            /**< price below price_min */
	FP_RISK_PRICE_MAX,            /**< price above price_max */
	FP_RISK_NO_REFERENCE,         /**< collar on and no two-sided book to take a mid from */
	FP_RISK_COLLAR,               /**< price further than collar_bps from the mid */
	FP_RISK_NOTIONAL,             /**< price x shares above max_notional */
	FP_RISK_POSITION,             /**< position + same-side open orders + order > max */
	FP_RISK_GROSS,                /**< gross exposure (positions at cost + open) above max */
	FP_RISK_NET,                  /**< net exposure above max (either sign) */
	FP_RISK_OPEN_ORDERS_SYMBOL,   /**< open orders in the symbol at max */
	FP_RISK_OPEN_ORDERS_STRATEGY, /**< open orders of the strategy at max */
	FP_RISK_OPEN_ORDERS_TOTAL,    /**< open orders in total at max */
	FP_RISK_DAILY_LOSS,           /**< realized + unrealized loss beyond max_daily_loss */
	FP_RISK_CONSECUTIVE_LOSSES,   /**< losing closing fills in a row at max */
	FP_RISK_ORDER_RATE_STRATEGY,  /**< strategy order throttle */
	FP_RISK_ORDER_RATE_SYMBOL,    /**< symbol order throttle */
	FP_RISK_CANCEL_RATE_STRATEGY, /**< strategy cancel throttle */
	FP_RISK_CANCEL_RATE_SYMBOL,   /**< symbol cancel throttle */
	FP_RISK_DUPLICATE_ID,         /**< client order id already used today */
	FP_RISK_UNKNOWN_ORDER,        /**< cancel/replace of an order that is not open */
	FP_RISK_CAPACITY,             /**< order or position table full */
	FP_RISK_BACKPRESSURE,         /**< order ring full: the intent never left */
	FP_RISK_JOURNAL_FULL,         /**< journal ring full: nothing leaves unrecorded (J4) */
	FP_RISK_FIRM_BUDGET,          /**< gross exposure above this instance's share of the firm
				       *   limit (firm_gross_budget; docs/scale.md) */
	FP_RISK_SYMBOL_STALE,         /**< md marked the symbol stale (recovering, data lost) */
	FP_RISK_VENUE_DOWN,           /**< the gateway has no venue session (not yet logged in,
				       *   or lost): new orders and replaces wait for VENUE_UP */
	FP_RISK_REASON_MAX
};

/** Trading states: global (limits), per strategy (limits). The stricter one applies. */
enum fp_risk_state {
	FP_RISK_ACTIVE = 0,   /**< everything the limits allow */
	FP_RISK_REDUCING = 1, /**< only orders that reduce the symbol's position */
	FP_RISK_HALTED = 2,   /**< cancels only */
};

/** fp_risk_sym_limits.flags */
#define FP_RISK_SYMF_RESTRICTED 0x1 /**< no new orders at all in this symbol */

/** Limits of one symbol (defaults come from the environment section of the config). */
struct fp_risk_sym_limits {
	/* line 0: everything a new order reads */
	int64_t price_min;        /**< Price(4), inclusive */
	int64_t price_max;        /**< Price(4), inclusive */
	int64_t max_notional;     /**< price units per order */
	int64_t max_position;     /**< shares, absolute, counting same-side open orders */
	uint32_t qty_min;         /**< shares per order, inclusive */
	uint32_t qty_max;         /**< shares per order, inclusive */
	uint32_t max_open_orders; /**< open orders in this symbol */
	uint16_t collar_bps;      /**< max distance from mid in 1/10000 (<= 10000); 0 = none */
	uint16_t flags;           /**< FP_RISK_SYMF_* */
	uint64_t order_iv_tsc;    /**< derived: cycles per order token */
	uint64_t order_tau_tsc;   /**< derived: burst tolerance in cycles */
	/* line 1: cancels and the configured rates */
	uint64_t cancel_iv_tsc;  /**< derived */
	uint64_t cancel_tau_tsc; /**< derived */
	uint32_t order_rate;     /**< new+replace per second; 0 = unthrottled */
	uint32_t order_burst;    /**< orders allowed back to back (>= 1 when rate > 0) */
	uint32_t cancel_rate;    /**< cancels per second; 0 = unthrottled */
	uint32_t cancel_burst;   /**< cancels back to back */
	uint8_t reserved[32];    /**< zero */
} FP_CACHE_ALIGNED;
static_assert(sizeof(struct fp_risk_sym_limits) == 128, "sym limits are two cache lines");
static_assert(offsetof(struct fp_risk_sym_limits, order_tau_tsc) == 56,
	      "a new order reads one line of symbol limits");

/** Limits of one strategy (defaults from the config's "strategy" section, then overrides). */
struct fp_risk_strat_limits {
	int64_t max_gross;          /**< price units */
	int64_t max_net;            /**< price units, absolute */
	int64_t max_daily_loss;     /**< price units, positive: refuse below -max_daily_loss */
	int64_t stop_loss_abs;      /**< exit a position losing more than this; 0 = off */
	uint32_t max_open_orders;   /**< open orders of this strategy */
	uint32_t max_consec_losses; /**< losing closing fills in a row */
	uint32_t order_rate;        /**< per second; 0 = unthrottled */
	uint32_t order_burst;       /**< back to back */
	uint32_t cancel_rate;       /**< per second; 0 = unthrottled */
	uint32_t cancel_burst;      /**< back to back */
	uint32_t state;             /**< enum fp_risk_state */
	uint32_t enabled;           /**< 0: every intent refused with UNKNOWN_STRATEGY */
	uint32_t stop_loss_bps;     /**< static stop from average cost; 0 = off */
	uint32_t trailing_stop_bps; /**< from the best mark since entry; 0 = off */
	uint32_t take_profit_bps;   /**< from average cost; 0 = off */
	uint32_t reserved0;         /**< zero */
	uint64_t order_iv_tsc;      /**< derived */
	uint64_t order_tau_tsc;     /**< derived */
	uint64_t cancel_iv_tsc;     /**< derived */
	uint64_t cancel_tau_tsc;    /**< derived */
} FP_CACHE_ALIGNED;
static_assert(sizeof(struct fp_risk_strat_limits) == 128, "strategy limits are two lines");

/** Firm-wide limits and breaker settings. */
struct fp_risk_global_limits {
	int64_t max_gross;            /**< price units */
	int64_t max_net;              /**< price units, absolute */
	int64_t max_daily_loss;       /**< price units, positive */
	uint32_t max_open_orders;     /**< open orders in total */
	uint32_t max_consec_losses;   /**< firm-wide losing fills in a row */
	uint32_t state;               /**< enum fp_risk_state */
	uint32_t stale_ms;            /**< book older than this is stale; 0 = never stale */
	uint32_t max_consec_rejects;  /**< breaker: rejects in a row; 0 = off */
	uint32_t breaker_cooldown_ms; /**< open -> cooldown -> (manual reset) */
	uint32_t breaker_on_position; /**< 1: a POSITION reject trips the breaker */
	uint32_t breaker_on_stale;    /**< 1: a stale book trips the breaker */
	uint32_t breaker_on_loss;     /**< 1: the daily loss limit trips the breaker */
	uint32_t breaker_on_venue;    /**< 1: a venue disconnect trips the breaker */
	uint64_t stale_tsc;           /**< derived */
	uint64_t cooldown_tsc;        /**< derived */
	/** This instance's share of the firm's gross limit (price units), set by `fastpath-ctl
	 *  firm listen` from PostgreSQL (docs/scale.md); enforced while firm_budget_on is 1. */
	int64_t firm_gross_budget;
	uint32_t firm_budget_on; /**< 1: the firm budget applies; 0: not part of a firm */
	uint32_t reserved0;      /**< zero */
	uint8_t reserved[24];    /**< zero */
} FP_CACHE_ALIGNED;
static_assert(sizeof(struct fp_risk_global_limits) == 128, "global limits are two lines");

/**
 * The whole limit set. `generation` grows by one per published change; a reader that sees
 * the same generation sees the same bytes (the seqlock of fp_risk_limits_publish/read).
 */
struct fp_risk_limits {
	uint64_t magic;      /**< FP_RISK_LIMITS_MAGIC */
	uint32_t version;    /**< FP_RISK_LIMITS_VERSION */
	uint32_t nb_symbols; /**< symbol ids 1 .. nb_symbols-1 are valid */
	uint64_t generation; /**< 1 for the first set, +1 per change */
	uint64_t tsc_hz;     /**< derived fields computed for this TSC frequency; 0 = none */
	char env[32];        /**< environment name from the config */
	struct fp_risk_global_limits g;
	struct fp_risk_strat_limits strat[FP_RISK_MAX_STRATEGIES];
	struct fp_risk_sym_limits sym[FP_RISK_MAX_SYMBOLS];
} FP_CACHE_ALIGNED;
static_assert(offsetof(struct fp_risk_limits, g) == 64, "limits header is one line");

/**
 * The segment region "risk.limits": one limit set under a seqlock. One writer (fastpath-ctl,
 * or the supervisor at start) publishes whole sets with fp_risk_limits_publish(); the risk
 * process's watcher copies them out with fp_risk_limits_read() and hands the copy to the hot
 * loop through RCU. A reader never sees half a set: a torn copy is retried.
 */
struct fp_risk_limits_shm {
	struct fp_seqlock lock; /**< even: stable */
	uint8_t reserved[56];
	struct fp_risk_limits lim;
} FP_CACHE_ALIGNED;
static_assert(offsetof(struct fp_risk_limits_shm, lim) == 64, "limits region header");

/** Printable name of a reason code ("qty_max", "backpressure"...). */
const char *fp_risk_reason_name(unsigned reason);

/** Printable name of a trading state ("active", "reducing", "halted"). */
const char *fp_risk_state_name(unsigned state);

/**
 * Fill @p lim with permissive defaults for @p nb_symbols symbols (cold; no allocation).
 * Every strategy is enabled; no collar; no throttles; no stale check. For tests and
 * benchmarks that set the limits they exercise: fp_risk_limits_load() never leaves a limit
 * at these values unless the file writes it (a limit absent from the file is an error).
 */
void fp_risk_limits_default(struct fp_risk_limits *lim, uint32_t nb_symbols);

/**
 * Refuse an invalid set: min > max, negative amounts, a rate without burst, bad states,
 * nb_symbols out of range. Cold.
 *
 * @return 0, or -EINVAL with an fp_err message naming the field, the symbol or strategy,
 *         and the values.
 */
int fp_risk_limits_validate(const struct fp_risk_limits *lim);

/** Compute the derived TSC fields of @p lim for a TSC of @p tsc_hz cycles per second. */
void fp_risk_limits_derive(struct fp_risk_limits *lim, uint64_t tsc_hz);

/**
 * Load limits from a libconfig file: section "environments" holds one group per environment
 * (`global`, `symbol` defaults, `strategy` defaults, `symbols` and `strategies` overrides by
 * id); @p env picks one. See config/risk.conf. Cold; validates the result.
 *
 * Fails closed: an unknown key anywhere in the file is refused with its file:line (and the
 * closest known key); the `global`, `symbol` and `strategy` groups must each write every
 * limit (docs/risk.md lists them), so that a limit left out or misspelt is an error and
 * never "unlimited". Only keys that are not limits or protect by default may be left out:
 * state (active), enabled (1), qty_min (1), a burst (0: then its rate must be 0),
 * breaker_on_* (1: on), restricted (0) and the exits stop_loss_abs, stop_loss_bps,
 * trailing_stop_bps, take_profit_bps (0: off). Writing 0 for a rate, collar_bps, stale_ms
 * or max_consec_rejects switches that check off on purpose.
 *
 * @return 0, -ENOENT (file or environment missing) or -EINVAL (syntax with its line number,
 *         an unknown key, a limit left out, a bad value, or a set that
 *         fp_risk_limits_validate() refuses).
 */
int fp_risk_limits_load(struct fp_risk_limits *lim, const char *path, const char *env,
			uint32_t nb_symbols);

/** Format an empty region holding @p initial (cold). */
void fp_risk_limits_shm_init(struct fp_risk_limits_shm *shm, const struct fp_risk_limits *initial);

/**
 * Validate @p lim and publish it as the next generation (its generation field is set to
 * the region's + 1). Writer only (one per region); cold: copies the whole set.
 *
 * @return 0, or -EINVAL from fp_risk_limits_validate() (the region is unchanged)
 */
int fp_risk_limits_publish(struct fp_risk_limits_shm *shm, const struct fp_risk_limits *lim);

/**
 * Copy the current set into @p out, consistent (retried while a publish overlaps). Any
 * thread; cold (copies about 2 MiB).
 *
 * @return 0; -EAGAIN when every try overlapped a write (the writer died inside one?)
 */
int fp_risk_limits_read(const struct fp_risk_limits_shm *shm, struct fp_risk_limits *out);

/** Sequence of the region's seqlock: changes with every publish (cheap change test). */
static inline uint64_t fp_risk_limits_shm_seq(const struct fp_risk_limits_shm *shm)
{
	return fp_seqlock_read_begin(&shm->lock);
}

#endif /* FP_RISK_LIMITS_H */
