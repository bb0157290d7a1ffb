/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_risk.h - the risk stage: intents in, checked orders out, rejects back, execution
 * reports and book tops folded into positions, P&L and breakers.
 *
 * fp_risk_init(), fp_risk_poll() and fp_risk_fini() run on one thread (the risk worker);
 * init registers that thread with liburcu QSBR and starts a cold watcher thread that copies
 * new limit sets out of the segment region and publishes them with rcu_assign_pointer;
 * the poll loop reads the set with rcu_dereference and announces a quiescent state at the
 * end of every poll, after which the watcher frees the old copy (synchronize_rcu). The poll
 * itself never blocks, allocates, makes syscalls or takes a lock.
 *
 * Rings (all SPSC, fp_ring.h):
 *   intent[i]  strategy host i -> risk: FP_EV_ORDER_* (fan-in, polled round robin)
 *   reject[i]  risk -> strategy host i: FP_EV_RISK_REJECT for intents of intent[i]
 *   order      risk -> gateway: accepted intents, exits, mass cancels. Never dropped: with no
 *              room, an intent is refused with FP_RISK_BACKPRESSURE; a mass cancel waits.
 *   exec[j]    gateway -> risk: FP_EV_EXEC_* and FP_EV_CONTROL venue notices
 *   md[k]      book -> risk: FP_EV_BOOK_TOP (reference prices, marks), FP_EV_MD_STALE
 * An intent is taken from its ring only when there is room for its answer (an order slot or
 * a reject slot), so a slow strategy host slows its own intents, never others'.
 *
 * Journal (shm/fp_journal.h; cfg.journal, NULL = off): every intent accepted (and risk's own
 * exits and mass cancels) is pushed on the journal ring before the order ring (J4); with no
 * journal room an intent is refused with FP_RISK_JOURNAL_FULL, an exit is refused and a mass
 * cancel waits. Rejects and breaker trips and resets (FP_JRNL_CTL_BREAKER_*) are journaled
 * too. Execution reports with a non-zero seq below the last one applied (or equal to it with
 * a report type already applied at that seq: a replace's two reports share one) in the same
 * venue session (FP_EV_CTL_VENUE_UP text) are dropped (J3, stats.exec_dups); an ACCEPTED
 * for an unknown client order id adopts the order (core counter adopted).
 *
 * Recovery (J5): after fp_risk_init(), before the first poll, give every RISK and GW journal
 * record to fp_risk_recover_event() in journal order, then call fp_risk_recover_done(). The
 * first record formats the positions region and clears the order table (the region survives
 * a worker restart in the segment; the replay rebuilds it from zero, so nothing counts
 * twice). Orders forwarded (RISK) and sent (GW) rebuild the order table, GW execution reports
 * go through the execution path (and set the duplicate filter), breaker records restore the
 * breaker, and a record of a later day than the one before applies the daily roll.
 * An order recovered from a RISK record that no GW record or report names may have died in
 * the order ring with the segment: when the gateway says the venue session is synchronised
 * (FP_EV_CTL_VENUE_UP with arg FP_RISK_VENUE_SYNCED: the venue's replay is applied) and
 * still nothing named it, it is closed (stats.released).
 */
#ifndef FP_RISK_H
#define FP_RISK_H

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "fp_journal.h"
#include "fp_journal_replay.h"
#include "fp_ring.h"
#include "fp_risk_breaker.h"
#include "fp_risk_core.h"
#include "fp_risk_limits.h"
#include "fp_symtab.h"

#define FP_RISK_MAX_RINGS 8
#define FP_RISK_MAX_EXITS 16

/** Event `source` of the mass cancels that risk sends on a kill or a trip. */
#define FP_RISK_SOURCE_RISK 0xfffe

/** FP_EV_CONTROL commands the risk stage understands on its exec rings. */
#define FP_RISK_CTL_VENUE_DOWN   FP_EV_CTL_VENUE_DOWN /**< venue session lost (gateway) */
#define FP_RISK_CTL_VENUE_UP     FP_EV_CTL_VENUE_UP   /**< venue session back */
#define FP_RISK_CTL_DAILY_ROLL   0x7603               /**< start a new trading day */
/** fp_ev_control.arg of FP_EV_CTL_VENUE_UP once the session is synchronised (the gateway
 *  answered its Account Query: the venue's replay is applied); 0 at login. */
#define FP_RISK_VENUE_SYNCED     1
/** fp_ev_exec.reason of the gateway's own reject for want of a venue session
 *  (FP_GW_REJ_NOT_CONNECTED; control/fp_ctl_stage_gw.c asserts they agree): risk refuses new
 *  orders (FP_RISK_VENUE_DOWN) from then until the gateway says FP_EV_CTL_VENUE_UP. */
#define FP_RISK_GW_NOT_CONNECTED 0x82

/** Stage configuration: rings and regions come from the supervisor (segment) or a test. */
struct fp_risk_stats;

struct fp_risk_cfg {
	struct fp_ring *intent[FP_RISK_MAX_RINGS];
	struct fp_ring *reject[FP_RISK_MAX_RINGS]; /**< parallel to intent; NULL: count only */
	uint32_t nb_intent;
	struct fp_ring *exec[FP_RISK_MAX_RINGS];
	uint32_t nb_exec;
	struct fp_ring *md[FP_RISK_MAX_RINGS];
	uint32_t nb_md;
	struct fp_ring *order;                  /**< required */
	uint32_t nb_symbols;                    /**< symbol ids 1 .. nb_symbols-1 */
	uint32_t order_capacity;                /**< ids per day, power of two */
	uint32_t pos_capacity;                  /**< positions, power of two */
	struct fp_risk_pos_region *pos_region;  /**< "risk.positions"; NULL: private */
	struct fp_risk_stats *stats;            /**< "risk.stats" (formatted and zeroed by
						 *   init); NULL: kept in the stage */
	struct fp_risk_breaker_region *breaker; /**< "risk.breaker"; NULL: private */
	struct fp_risk_limits_shm *limits_shm;  /**< "risk.limits"; NULL: static limits */
	const struct fp_risk_limits *limits;    /**< initial set when limits_shm is NULL */
	/** The control block's kill word (&ctl->kill); NULL: none. */
	_Atomic uint32_t *kill_word;
	/** The whole control block (optional): its trading state is honoured (only ON trades)
	 *  and a breaker's kill is recorded there; when set, kill_word defaults to &ctl->kill. */
	struct fp_shm_ctl *ctl;
	uint64_t tsc_hz;            /**< TSC rate (segment header) */
	uint32_t watch_us;          /**< limits watcher period; 0 = 1000 */
	uint32_t breaker_sets_kill; /**< 1: a trip also trips the kill switch */
	struct fp_ring *journal;    /**< risk -> store (FP_JRNL_RING_RISK); NULL: off */
	/** The segment's symbol table (shm/fp_symtab.h), read only: a new order or a replace on
	 *  a symbol md marks stale (recovering from history, data lost) is refused with
	 *  FP_RISK_SYMBOL_STALE, whatever the book tops said. NULL: no such check. */
	const struct fp_symtab *symtab;
	/** The stage's clock in tsc_hz units; NULL = fp_tsc_now(). A backtest passes the
	 *  feed's clock: rate limits, stale books, breaker cooldowns follow the recording. */
	uint64_t (*clock)(void *arg);
	void *clock_arg;
};

#define FP_RISK_STATS_MAGIC   0x53544154534b5352ull /* "RSKSTATS" little-endian */
#define FP_RISK_STATS_VERSION 2 /* 2: magic, size, written in place (1: a copied struct) */

/**
 * The stage's counters, laid out for a segment region ("risk.stats"; cfg.stats). Writers:
 * the risk thread (plain stores as it works) and, for limits_updates / limits_refused only,
 * the limits watcher (atomic adds, on a line of their own); any number of readers in any
 * process (plain or atomic loads: each field is one aligned word; figures of different
 * fields may be a poll apart). Fixed size, whole cache lines, no implicit padding (static
 * asserts below); readers check magic, version and size with fp_risk_stats_check().
 */
struct fp_risk_stats {
	uint64_t magic;   /**< FP_RISK_STATS_MAGIC */
	uint32_t version; /**< FP_RISK_STATS_VERSION */
	uint32_t size;    /**< sizeof(struct fp_risk_stats) */
	uint64_t polls;
	uint64_t intents;
	uint64_t forwarded;
	uint64_t rejects_sent;
	uint64_t rejects_unsent; /**< no reject ring for the intent's ring: counted only */
	uint64_t execs;
	uint64_t tops;
	uint64_t mass_cancels;
	uint64_t exits_sent;
	uint64_t exits_refused;
	/* journal and recovery */
	uint64_t journal_full;       /**< intents refused: no journal room (J4) */
	uint64_t journal_unrecorded; /**< breaker records that found no journal room */
	uint64_t exec_dups;          /**< execution reports dropped as already applied (J3) */
	uint64_t recovered_records;  /**< journal records replayed */
	uint64_t recovered_orders;   /**< orders rebuilt */
	uint64_t recovered_fills;    /**< fills replayed */
	uint64_t recovered_breaker;  /**< breaker records replayed */
	uint64_t recovered_days;     /**< daily rolls applied between journal files */
	uint64_t exec_last_seq;      /**< last venue sequence number applied */
	uint64_t released;           /**< recovered orders the gateway never had, closed */
	uint64_t recover_skipped;    /**< intents answered before the crash, seen again */
	uint32_t tables_backing;     /**< enum fp_hugemem_backing of the engine's tables */
	uint32_t reserved0;          /**< zero: to the watcher's line */
	/* line 3: the limits watcher's (another thread: not on the risk thread's lines) */
	_Atomic uint64_t limits_updates; /**< sets adopted by the watcher */
	_Atomic uint64_t limits_refused; /**< sets the watcher found invalid */
	uint64_t watcher_apart;  /**< 1: the watcher runs off the worker's core; 0: shares it
				  *   (one allowed core, the worker not pinned, or no watcher) */
	uint64_t limits_backing; /**< enum fp_hugemem_backing of the limit set in use */
	uint64_t reserved1[4];   /**< zero */
	/** The engine's counters (per reason), as of the last poll that did work. */
	struct fp_risk_counters checks;
	uint64_t reserved2[3]; /**< zero: to a whole number of cache lines */
};

static_assert(offsetof(struct fp_risk_stats, polls) == 16, "fp_risk_stats header");
static_assert(offsetof(struct fp_risk_stats, limits_updates) == 192,
	      "fp_risk_stats: the watcher's counters start a line");
static_assert(offsetof(struct fp_risk_stats, checks) == 256, "fp_risk_stats: checks offset");
static_assert(sizeof(struct fp_risk_counters) == 360,
	      "fp_risk_counters changed (a reject reason?): bump FP_RISK_STATS_VERSION and "
	      "resize fp_risk_stats.reserved2");
static_assert(sizeof(struct fp_risk_stats) == 640, "fp_risk_stats is ten cache lines");

/**
 * Is @p st a risk stage's counters region of this program's layout? Any process.
 * @return 0, or -EPROTO (fp_err says what was found and what to do).
 */
int fp_risk_stats_check(const struct fp_risk_stats *st);

struct fp_risk {
	struct fp_risk_core core;
	struct fp_risk_limits *lim; /**< RCU pointer to the set in use (local copy) */
	struct fp_risk_cfg cfg;
	struct fp_risk_breaker_region *brk;
	struct fp_risk_breaker_region *brk_owned;
	uint32_t rr; /**< next intent ring to start from */
	uint32_t mass_cancel_pending;
	uint64_t last_kill;
	/** No venue session: the gateway said VENUE_DOWN or refused an order as not connected
	 *  (at start, before its first login); cleared by VENUE_UP. */
	uint32_t venue_down;
	uint32_t nb_exits;
	uint32_t recovering;     /**< a replay is in progress */
	uint32_t rec_day;        /**< YYYYMMDD of the last record replayed */
	uint32_t nb_unconfirmed; /**< orders recovered from RISK records alone (to release) */
	struct fp_jrnl_exec_filter exec_filter; /**< J3 on the exec ring and the replay */
	struct fp_jrnl_recent rec_recent;       /**< J5: the intents answered before a crash */
	struct fp_event exits[FP_RISK_MAX_EXITS];
	struct fp_risk_stats *st;       /**< cfg.stats, else own_stats */
	struct fp_risk_stats own_stats; /**< counters when no region is given */
	pthread_t watcher;
	int has_watcher;
	_Atomic int stop;
	/** The limits region's sequence read before init copied the first set: where the
	 *  watcher starts, so that a set published while the stage starts is adopted. */
	uint64_t lim_seq;
};

/**
 * Set the stage up: engine tables, the first limit set (from limits_shm, else cfg->limits),
 * the breaker region, the watcher thread; registers the calling thread with QSBR RCU.
 * Cold. Pair with fp_risk_fini() on the same thread.
 *
 * @return 0, -EINVAL (missing ring, bad sizes or limits; the message says which), -ENOMEM,
 *         or the error of pthread_create.
 */
int fp_risk_init(struct fp_risk *r, const struct fp_risk_cfg *cfg);

/**
 * Do up to @p budget items of each kind: execution reports, book tops, intents (round robin
 * over the intent rings), exits and a pending mass cancel; then a QSBR quiescent state.
 * Risk thread; never blocks.
 *
 * @return the work done (events consumed and produced)
 */
unsigned fp_risk_poll(struct fp_risk *r, unsigned budget);

/**
 * Whether fp_risk_poll() would find anything to do: an event on an input ring, exits or a
 * mass cancel to send, a breaker open or cooling down (its reset happens in a poll), a kill
 * word or a limits watcher (polls are their quiescent states). A caller that runs risk
 * between its own events on one thread (the backtest) skips the polls that would find
 * nothing. Risk thread; reads only.
 */
static inline int fp_risk_has_work(const struct fp_risk *r)
{
	if (r->cfg.kill_word || r->has_watcher || r->nb_exits || r->mass_cancel_pending ||
	    r->core.breaker_open)
		return 1;
	for (uint32_t i = 0; i < r->cfg.nb_exec; i++)
		if (fp_ring_count(r->cfg.exec[i]))
			return 1;
	for (uint32_t i = 0; i < r->cfg.nb_md; i++)
		if (fp_ring_count(r->cfg.md[i]))
			return 1;
	for (uint32_t i = 0; i < r->cfg.nb_intent; i++)
		if (fp_ring_count(r->cfg.intent[i]))
			return 1;
	return 0;
}

/** Stop the watcher, release everything; fini of a zeroed stage is a no-op. */
void fp_risk_fini(struct fp_risk *r);

/** The limit set in use (risk thread only, between polls: it is RCU-protected). */
static inline const struct fp_risk_limits *fp_risk_limits_current(const struct fp_risk *r)
{
	return r->lim;
}

/**
 * Replay one journal record (@p src FP_JRNL_SRC_RISK or FP_JRNL_SRC_GW; others ignored) of
 * the file of day @p day (YYYYMMDD). Cold; risk thread, after init, before the first poll.
 * @return 0
 */
int fp_risk_recover_event(struct fp_risk *r, uint32_t src, const struct fp_event *ev, uint32_t day);

/** End of the replay (counters published). Cold. */
void fp_risk_recover_done(struct fp_risk *r);

/** Trip the breaker from outside the data path (tests, embedding). Risk thread. */
void fp_risk_trip(struct fp_risk *r, enum fp_risk_trip why, uint32_t symbol_id, int64_t value);

#endif /* FP_RISK_H */
