/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_strat.h - the strategy host stage: runs several strategies (built in or from .so
 * files) on one worker, feeds them book tops, trades, their own execution reports, risk
 * rejects and timers, and sends what they emit to the risk stage's intent ring.
 *
 * fp_strat_host_init() and fp_strat_host_fini() are cold (dlopen, allocation; init refuses a
 * parameter key the strategy does not declare, strategy.h);
 * fp_strat_host_poll() runs on the strategy worker and never blocks, allocates, makes
 * syscalls or takes a lock (neither do the strategies' callbacks: strategy.h).
 *
 * Rings (SPSC, fp_ring.h):
 *   md[k]   book -> host: FP_EV_BOOK_TOP, FP_EV_MD_TRADE (others ignored). Events flagged
 *           FP_EVF_REPLAY or FP_EVF_STALE (history) are not handed on (stats.history),
 *           except a stale top: the book state change (stats.book_states).
 *   exec    gateway -> host: FP_EV_EXEC_* (routed by strategy_id); a report whose seq is
 *           below the last applied (or equal, with a type already applied at that seq) in
 *           the same venue session (FP_EV_CTL_VENUE_UP text)
 *           is a replay after a gateway restart and is dropped (shm/fp_journal.h J3)
 *   reject  risk -> host: FP_EV_RISK_REJECT (routed by strategy_id)
 *   intent  host -> risk: FP_EV_ORDER_NEW / _CANCEL / _REPLACE, written in place and
 *           published as each is made (risk sees it in the same pass). Never dropped:
 *           emitted intents wait in an outbox (FP_STRAT_OUTBOX) while the ring is full; a
 *           strategy whose order finds the outbox full gets 0 back.
 * Client order ids: strategy id (15 bits) << 48 | sequence (48 bits), never repeated in a
 * day across restarts (a venue or risk would refuse, or worse, confuse, a repeated id). A
 * host starts every sequence at (microseconds since 00:00 UTC) << FP_STRAT_SEQ_US_SHIFT:
 * a host started later in the day starts above every id an earlier one could have issued,
 * unless that one issued more than 2048 ids per microsecond it ran (it cannot). The day
 * fits: 86400 x 10^6 us < 2^37, and 37 + 11 = 48 bits. cfg.first_seq raises the start (the
 * control plane passes the highest sequence of today's journal + 1, so a wall clock
 * stepped back cannot repeat ids either). The old 8-bit salt (time(NULL) & 0xff) repeated
 * for a restart exactly k * 256 s later.
 */
#ifndef FP_STRAT_H
#define FP_STRAT_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "fp_compiler.h"
#include "fp_journal_replay.h"
#include "fp_order_id.h"
#include "fp_stats_hdr.h"
#include "fp_ring.h"
#include "strategy.h"

#define FP_STRAT_MAX         16  /**< strategies per host */
#define FP_STRAT_MAX_MD      8   /**< md rings */
#define FP_STRAT_OUTBOX      256 /**< intents waiting for room in the intent ring */
#define FP_STRAT_MAX_SYMBOLS 16384

/** Sequence of client order ids: 48 bits, started at the UTC microsecond of the day << this */
#define FP_STRAT_SEQ_BITS     FP_ORDER_ID_SEQ_BITS /* shm/fp_order_id.h */
#define FP_STRAT_SEQ_US_SHIFT 11

/** One strategy instance in the host's configuration. */
struct fp_strat_spec {
	uint16_t id; /**< strategy id (< 32768): what risk and P&L track */
	uint16_t reserved;
	uint32_t symbol_id; /**< only this symbol's md (0 = every symbol) */
	char name[32];      /**< built-in name ("mm", "momentum", "ping") or a label */
	char path[256];     /**< a .so exporting fp_strategy_entry; empty = built in */
	struct fp_strat_params params;
};

struct fp_strat_host_cfg {
	struct fp_ring *md[FP_STRAT_MAX_MD];
	uint32_t nb_md;
	struct fp_ring *exec;   /**< may be NULL */
	struct fp_ring *reject; /**< may be NULL */
	struct fp_ring *intent; /**< required */
	uint32_t nb_symbols;    /**< symbol ids 1 .. nb_symbols-1 (<= FP_STRAT_MAX_SYMBOLS) */
	uint32_t timer_us;      /**< on_timer period; 0 = no timer */
	uint64_t tsc_hz;
	uint32_t nb_strategies;
	uint64_t first_seq; /**< lowest id sequence to use (0: the clock's start alone) */
	/** The host's clock in tsc_hz units; NULL = fp_tsc_now(). A backtest passes the feed's
	 *  clock (timers, now_tsc, t_decide follow the recording); id sequences then start at
	 *  first_seq alone, not at the wall clock's time of day (a run is reproducible). */
	uint64_t (*clock)(void *arg);
	void *clock_arg;
	struct fp_strat_spec strat[FP_STRAT_MAX];
	/**
	 * The depth view behind fp_strat_depth(): @p depth_view handed to @p depth, which
	 * copies up to @p max levels of @p side (0 bids, 1 asks) of @p symbol best first and
	 * returns fp_strat_api.depth's codes. The control plane wires the book's snapshot
	 * reader (the host knows no book layout); NULL: strategies get -ENODATA.
	 */
	int (*depth)(const void *depth_view, uint32_t symbol, unsigned side, uint32_t max,
		     struct fp_strat_level *out);
	const void *depth_view;
	struct fp_strat_stats *stats; /**< counters region (zeroed by init), NULL = kept inside */
};

#define FP_STRAT_STATS_MAGIC   0x5354415453545346ull /* "FSTSTATS" little-endian */
#define FP_STRAT_STATS_VERSION 1

/**
 * The host's counters, laid out for a segment region ("strat.stats"; cfg.stats): single
 * writer (the strategy worker, plain stores as it works, nothing copied), any number of
 * readers in any process (plain loads: each field is one aligned word, figures of different
 * fields may be a poll apart). Fixed size, whole cache lines, no implicit padding (the
 * static asserts below); readers check magic, version and size (fp_strat_stats_check()).
 */
struct fp_strat_stats {
	uint64_t magic;   /**< FP_STRAT_STATS_MAGIC */
	uint32_t version; /**< FP_STRAT_STATS_VERSION */
	uint32_t size;    /**< sizeof(struct fp_strat_stats) */
	uint64_t md;
	uint64_t execs;
	uint64_t rejects;
	uint64_t intents;     /**< sent to the intent ring */
	uint64_t outbox_full; /**< orders refused to a strategy: outbox full */
	uint64_t unrouted;    /**< exec/reject for a strategy id this host does not run */
	uint64_t timers;
	uint64_t exec_dups;     /**< exec reports dropped as replays (J3) */
	uint64_t exec_last_seq; /**< last venue sequence number applied */
	uint64_t first_seq;     /**< where this host's id sequences started */
	uint64_t book_states;   /**< book state changes handed on (stale, live again) */
	uint64_t history;       /**< md events from history (replay, stale) not handed on */
	uint64_t reserved[2];   /**< to a whole number of cache lines; zero */
} FP_CACHE_ALIGNED;

static_assert(offsetof(struct fp_strat_stats, version) == offsetof(struct fp_stats_hdr, version) &&
		      offsetof(struct fp_strat_stats, size) == offsetof(struct fp_stats_hdr, size),
	      "fp_strat_stats starts with struct fp_stats_hdr");
static_assert(offsetof(struct fp_strat_stats, md) == 16, "fp_strat_stats header");
static_assert(offsetof(struct fp_strat_stats, reserved) == 112, "fp_strat_stats tail");
static_assert(sizeof(struct fp_strat_stats) == 128, "fp_strat_stats: 2 cache lines, no padding");

/**
 * Check a strat.stats region found in a segment (a reader in another process).
 * @return 0, or -EPROTO (not a host's counters, or another layout version); fp_err says why.
 */
int fp_strat_stats_check(const struct fp_strat_stats *st);

struct fp_strat_slot {
	const struct fp_strat_ops *ops;
	void *state;
	void *dl; /**< dlopen handle, NULL when built in */
	uint32_t symbol_id;
	uint64_t next_seq;
	struct fp_strat_ctx ctx;
	int64_t *position; /**< [nb_symbols] own fills */
};

struct fp_strat_host {
	struct fp_strat_host_cfg cfg;
	uint32_t nb;
	struct fp_strat_slot slot[FP_STRAT_MAX];
	uint8_t route[32768];                   /**< strategy id -> slot + 1 (0 = not here) */
	struct fp_jrnl_exec_filter exec_filter; /**< J3 on the exec ring */
	uint64_t next_timer;
	uint64_t timer_tsc;
	uint32_t nb_timed; /**< strategies with an on_timer */
	uint32_t out_head, out_tail;
	uint32_t in_ring; /**< the intent being filled is in the intent ring (not the outbox) */
	struct fp_event outbox[FP_STRAT_OUTBOX]; /**< only while the intent ring is full */
	struct fp_strat_stats *stats;            /**< cfg.stats, or own_stats */
	struct fp_strat_stats own_stats;
};

/**
 * Start every configured strategy: resolve built-ins or dlopen paths (ABI version checked),
 * allocate and zero their state, call their init. Cold. Pair with fp_strat_host_fini().
 *
 * @return 0, -EINVAL (bad config, unknown built-in, ABI mismatch, a strategy's init
 *         refused; the message names the strategy), -ENOENT (.so or its entry missing),
 *         -ENOMEM.
 */
int fp_strat_host_init(struct fp_strat_host *h, const struct fp_strat_host_cfg *cfg);

/**
 * Check @p sp's parameters against the ones its strategy declares (fp_strat_ops.params;
 * FP_STRAT_PARAM_SYMBOL always passes): resolve the built-in or dlopen the .so (cold; closed
 * again), then look for a key it does not take. fp_strat_host_init() refuses the same; a
 * config loader calls this first to point at the file and line.
 * @return 0; -EINVAL with *bad = index in sp->params of the first unknown key (fp_err names
 *         it and lists the declared ones), or -EINVAL/-ENOENT of loading (*bad = -1).
 */
int fp_strat_params_check(const struct fp_strat_spec *sp, int *bad);

/** Handle up to @p budget events per input ring, run due timers, flush the outbox. */
unsigned fp_strat_host_poll(struct fp_strat_host *h, unsigned budget);

/** Clock time at which the next timer round is due (UINT64_MAX: no timer, or no strategy
 *  with an on_timer). A backtest polls the host at that feed time, so that timers fire on a
 *  silent market too. */
static inline uint64_t fp_strat_host_next_timer(const struct fp_strat_host *h)
{
	return h->timer_tsc && h->nb_timed ? h->next_timer : UINT64_MAX;
}

/** Whether some strategy takes the market data of @p symbol_id (a strategy bound to it, or
 *  to no symbol): a caller that feeds the host itself (the backtest) gives it only those. */
static inline int fp_strat_host_wants(const struct fp_strat_host *h, uint32_t symbol_id)
{
	for (uint32_t i = 0; i < h->nb; i++)
		if (!h->slot[i].symbol_id || h->slot[i].symbol_id == symbol_id)
			return 1;
	return 0;
}

/**
 * Whether fp_strat_host_poll() at clock @p now would find anything to do: an event on an
 * input ring, intents waiting in the outbox, a timer round due for a strategy with an
 * on_timer (a round without one calls nothing). A caller that runs the host
 * between its own events on one thread (the backtest) skips the polls that would find
 * nothing. Host thread; reads only.
 */
static inline int fp_strat_host_has_work(const struct fp_strat_host *h, uint64_t now)
{
	if (h->out_head != h->out_tail || now >= fp_strat_host_next_timer(h))
		return 1;
	if ((h->cfg.exec && fp_ring_count(h->cfg.exec)) ||
	    (h->cfg.reject && fp_ring_count(h->cfg.reject)))
		return 1;
	for (uint32_t k = 0; k < h->cfg.nb_md; k++)
		if (fp_ring_count(h->cfg.md[k]))
			return 1;
	return 0;
}

/** Call every strategy's fini, dlclose, free. fini of a zeroed host is a no-op. */
void fp_strat_host_fini(struct fp_strat_host *h);

/** The table of a built-in strategy ("mm", "momentum", "ping"), or NULL. */
const struct fp_strat_ops *fp_strat_builtin(const char *name);

/** Add "key=value" to @p p (cold; config parsing). @return 0 or -EINVAL (full or malformed). */
int fp_strat_params_add(struct fp_strat_params *p, const char *key_eq_value);

#endif /* FP_STRAT_H */
