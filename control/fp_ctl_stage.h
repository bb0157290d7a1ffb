/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_stage.h - how the supervisor knows a stage: the table entry that binds a stage
 * library (md, book, strategies, risk, gateway, store; fp_ctl_stages[]) to configuration,
 * segment and worker loop.
 *
 * Used by control/ only. The stage libraries know nothing of this: each adapter
 * (fp_ctl_stage_<name>.c) reads the stage's config group, names the regions and rings it
 * needs, and calls the stage's own init/poll/fini. A stage never knows its placement.
 *
 * Call order and where each runs:
 *
 *   plan()    supervisor, before the segment exists: add regions to the plan   (cold)
 *   setup()   supervisor, after creation, before READY: initialise own regions (cold)
 *   init()    worker process, once per (re)start, after pinning               (cold)
 *   poll()    worker process, in the loop: up to budget items, returns work   (hot)
 *   fini()    worker process, on stop                                          (cold)
 *   report()  supervisor or ctl, any time: add figures to a summary            (cold)
 */
#ifndef FP_CTL_STAGE_H
#define FP_CTL_STAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fp_cfg.h"
#include "fp_ring.h"
#include "fp_shm.h"

#define FP_CTL_MAX_PLAN 56

/** The regions a segment will hold, built by the stages' plan() calls. */
struct fp_ctl_plan {
	unsigned nb;
	struct fp_shm_region_spec specs[FP_CTL_MAX_PLAN];
	char names[FP_CTL_MAX_PLAN][FP_SHM_NAMESIZE];
};

/** What a stage sees of its instance. */
struct fp_ctl_env {
	const struct fp_cfg *cfg; /**< the whole configuration */
	struct fp_shm *seg;       /**< the mapped segment (NULL during plan()) */
	uint64_t tsc_hz;
	const char *instance;
	unsigned worker_idx; /**< init/poll/fini only */
};

/** Figures a stage adds to the live summary (fields it does not own stay as they are). */
struct fp_ctl_summary {
	uint64_t md_packets, md_messages, md_gaps, md_errors, md_overruns;
	uint64_t book_updates, book_tops, book_integrity_errors;
	uint64_t intents, risk_accepted, risk_rejected;
	uint64_t orders_sent, acks, fills, cancels, venue_rejects, filled_shares;
	uint64_t open_orders;   /**< orders the gateway has open at the venue */
	uint64_t replaces_sent; /**< replaces the gateway sent (orders_sent: new orders sent) */
	/** Messages send() did not take whole (queued in the gateway's backlog), the gateway's
	 *  recv() calls, and the longest time between two of them while up (ns). */
	uint64_t gw_tx_backlog, gw_rx_reads, gw_rx_gap_max_ns;
	/** Orders the gateway refused itself, in all and by reason (index: FP_GW_REJ_* - 0x80,
	 *  names from fp_gw_reject_name()). */
	uint64_t gw_rejects, gw_rejects_by_reason[16];
	int64_t position_shares, realized_pnl, unrealized_pnl; /**< pnl in price units (4 dp) */
	/** Sum over positions of realized - cost basis: the cash the fills moved, price units;
	 *  what the venue's record of the account calls cash. */
	int64_t cash;
	uint64_t risk_fills; /**< fills risk applied to positions */
	/** Execution reports risk could not apply (unknown order) or dropped as replays (J3). */
	uint64_t risk_unknown_exec, risk_exec_dups;
	uint32_t breaker_state;  /**< 0 closed; else open/cooldown (risk's enum) */
	uint32_t breaker_reason; /**< its last trip (enum fp_risk_trip), shown while not closed */
	uint32_t venue_connected;
	uint64_t t2t_count, t2t_p50_ns, t2t_p99_ns, t2t_p999_ns, t2t_max_ns;
	/** Hops of tick-to-trade: md+book+strategy (t_rx -> decision), risk+gateway (decision
	 *  -> send), ns. */
	uint64_t hop_decide_p50_ns, hop_decide_p99_ns, hop_route_p50_ns, hop_route_p99_ns;
	/** Tick-to-trade at FP_CTL_T2T_QUANTILES (for plots), ns. */
	uint64_t t2t_quantile_ns[8];
	/** The journal (store stage): records and bytes written, fdatasyncs, failed writes;
	 *  halted = 1 while writes fail (trading halted by the kill switch). */
	uint64_t journal_records, journal_bytes, journal_fsyncs, journal_write_errors;
	uint32_t journal_halted;
};

/** The quantiles of fp_ctl_summary.t2t_quantile_ns. */
#define FP_CTL_T2T_QUANTILES                                     \
	{                                                        \
		0.10, 0.50, 0.75, 0.90, 0.99, 0.999, 0.9999, 1.0 \
	}

struct fp_ctl_stage_ops {
	const char *name; /**< as written in placement: "md", "book", ... */
	size_t ctx_size;  /**< bytes of the stage's context, per worker */
	int (*plan)(const struct fp_ctl_env *env, struct fp_ctl_plan *plan);
	int (*setup)(const struct fp_ctl_env *env);
	int (*init)(void *ctx, const struct fp_ctl_env *env);
	unsigned (*poll)(void *ctx, unsigned budget);
	void (*fini)(void *ctx);
	void (*report)(const struct fp_ctl_env *env, struct fp_ctl_summary *sum);
	/** Takes its input from outside the segment (a socket, a file): not polled while a
	 *  stopping worker drains its rings (fp_ctl_pipeline.c, invariant 1). */
	bool source;
};

/** The stage named @p name, or NULL. */
const struct fp_ctl_stage_ops *fp_ctl_stage_find(const char *name);

/** Every known stage, NULL-terminated. */
extern const struct fp_ctl_stage_ops *const fp_ctl_stages[];

/**
 * Add a region to @p plan (name copied). @return 0, -EEXIST (same name already planned
 * with another size: two stages that share a ring must agree on it; the same size is
 * accepted once), or -ENOSPC with fp_err text.
 */
int fp_ctl_plan_add(struct fp_ctl_plan *plan, const char *name, uint64_t size, uint32_t version);

/** Local address of region @p name, or NULL with fp_err text naming the region. */
void *fp_ctl_region(const struct fp_ctl_env *env, const char *name, uint64_t *size);

/**
 * The ring @p name (FP_CTL_RING_* of the graph below, or a journal ring FP_JRNL_RING_*),
 * checked, or NULL with fp_err text.
 */
struct fp_ring *fp_ctl_ring(const struct fp_ctl_env *env, const char *name);

struct fp_strat_level;

/**
 * The strategies' depth view (strategy.h fp_strat_depth, fp_strat.h cfg.depth) over the
 * book's snapshot region @p snap: up to @p max levels of @p side (0 bids, 1 asks) of
 * @p symbol, best first, read under the entry's seqlock. Any thread; no syscall, no lock.
 *
 * @return levels copied, -ERANGE, -EBUSY, or -ESTALE (the symbol's book is stale)
 */
int fp_ctl_strat_depth(const void *snap, uint32_t symbol, unsigned side, uint32_t max,
		       struct fp_strat_level *out);

/*
 * The stages' settings as `fastpath run` reads them from the config (env->cfg and
 * env->tsc_hz only; no segment), for a caller that runs the stages without one: the
 * backtest (backtest/) reads the same files through the same code. Cold path.
 * @return 0 or negative errno with fp_err text (file:line).
 */
struct fp_book_stage_cfg;
struct fp_strat_host_cfg;
/** Settings of the risk group (config/dev.conf documents each key). */
struct fp_ctl_risk_settings {
	const char *limits_path; /**< the limits file */
	const char *env;         /**< its environment */
	uint32_t nb_symbols, nb_orders, nb_positions;
	bool breaker_sets_kill;
};
int fp_ctl_book_cfg(const struct fp_ctl_env *env, struct fp_book_stage_cfg *out);
int fp_ctl_strat_cfg(const struct fp_ctl_env *env, struct fp_strat_host_cfg *out);
int fp_ctl_risk_cfg(const struct fp_ctl_env *env, struct fp_ctl_risk_settings *out);

/*
 * The trading pipeline's rings (design.md §2). Every one is SPSC: one producing stage, one
 * consuming stage, whatever the placement. Who produces and consumes each is written once,
 * in fp_ctl_ring_graph[] (fp_ctl_rings.c): the loader checks a placement against it and
 * `fastpath-ctl status` prints it. The two journal rings (FP_JRNL_RING_RISK: risk -> store,
 * FP_JRNL_RING_GW: gateway -> store; shm/fp_journal.h) are SPSC too but not in the graph:
 * the store stage plans and sizes them (store.ring) and they exist only when it is placed;
 * risk and the gateway journal when they find them.
 */
#define FP_CTL_RING_MD         "ring.md"         /**< md -> book */
#define FP_CTL_RING_TOP        "ring.top"        /**< book -> strategies: tops, trades */
#define FP_CTL_RING_TOP_RISK   "ring.top.risk"   /**< book -> risk: tops (marks, collars) */
#define FP_CTL_RING_INTENT     "ring.intent"     /**< strategies -> risk */
#define FP_CTL_RING_ORDER      "ring.order"      /**< risk -> gateway */
#define FP_CTL_RING_EXEC_RISK  "ring.exec.risk"  /**< gateway -> risk */
#define FP_CTL_RING_EXEC_STRAT "ring.exec.strat" /**< gateway -> strategies */
#define FP_CTL_RING_REJECT     "ring.reject"     /**< risk -> strategies */

#define FP_CTL_NB_RINGS 8 /**< rings of the fixed topology (fp_ctl_ring_graph) */

/** One edge of the ring graph. */
struct fp_ctl_ring_edge {
	const char *ring;     /**< FP_CTL_RING_*: the region name */
	const char *key;      /**< rings.<key> in the configuration sizes it */
	uint32_t capacity;    /**< default capacity (events, a power of two) */
	const char *producer; /**< the one stage that enqueues (fp_ctl_stage_ops.name) */
	const char *consumer; /**< the one stage that dequeues */
};

/** The ring graph: every ring of the pipeline, once. */
extern const struct fp_ctl_ring_edge fp_ctl_ring_graph[FP_CTL_NB_RINGS];

/**
 * Check the graph and a placement against it. The graph: every ring once, its producer
 * and consumer two different known stages (fp_ctl_stages), so that each ring has exactly
 * one of each. The placement (@p placed, @p nb stage names): a ring whose producer and
 * consumer are not both placed or both absent is named in @p half (rings that fill up
 * or starve; partial pipelines such as md alone run so on purpose), comma separated.
 * @return 0, or -EINVAL with fp_err text when the graph itself is wrong.
 */
int fp_ctl_ring_graph_check(const char *const *placed, unsigned nb, char *half, size_t cap);

#endif /* FP_CTL_STAGE_H */
