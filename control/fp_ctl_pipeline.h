/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_pipeline.h - one running instance: configuration, segment, workers and their
 * stages, supervision and teardown. The engine of `fastpath run`.
 *
 * Supervisor process only; cold paths (forks, sleeps, allocates). The workers it forks run
 * fp_ctl_pipeline's worker loop: pin to the configured core, init their stages, then
 * poll them round-robin under the configured idle policy until the segment says STOPPING.
 *
 * Configuration (libconfig; see config/dev.conf for every key with comments):
 *
 *     instance  = "dev";
 *     segment   = { hugepages = "auto"; group = ""; };
 *     rings     = { md = 65536; top = 16384; intent = 4096; order = 4096; exec = 4096; };
 *     restart   = { max_restarts = 5; window_ms = 60000; backoff_ms = 100; ... };
 *     placement = { idle = "backoff"; budget = 64;
 *                   workers = ( { name = "md"; core = 0; stages = ["md"]; }, ... ); };
 *     md = {...}; book = {...}; strategies = {...}; risk = {...}; gateway = {...};
 *
 * Every stage named in the placement runs in exactly one worker (its rings are SPSC).
 */
#ifndef FP_CTL_PIPELINE_H
#define FP_CTL_PIPELINE_H

#include "fp_ctl_idle.h"
#include "fp_ctl_stage.h"
#include "fp_ctl_sup.h"
#include "fp_log.h"
#include "fp_shm_ctl.h"

#define FP_CTL_MAX_STAGES_PER_WORKER 8

struct fp_ctl_worker_spec {
	char name[FP_SHM_WORKER_NAMESIZE];
	int core; /**< -1: not pinned */
	enum fp_idle_policy idle;
	unsigned budget; /**< items per stage per pass */
	unsigned nb_stages;
	const struct fp_ctl_stage_ops *stages[FP_CTL_MAX_STAGES_PER_WORKER];
};

struct fp_ctl_pipeline {
	struct fp_cfg *cfg;
	char instance[FP_SHM_INSTANCE_MAX];
	char group[64];
	enum fp_shm_huge hugepages;
	struct fp_ctl_restart_policy restart;
	uint32_t ring_capacity[FP_CTL_NB_RINGS]; /**< in the order of fp_ctl_ring_graph */
	unsigned nb_workers;
	struct fp_ctl_worker_spec workers[FP_SHM_MAX_WORKERS];
	struct fp_shm seg;
	struct fp_ctl_env env;
	struct fp_shm_ctl *ctl;
	struct fp_shm_workers *wtab;
	struct fp_ctl_sup sup;
	struct fp_log log;
	/** Why this run failed ("" while it has not): the first worker found in a crash loop
	 *  (the kill switch is tripped then). `fastpath run` stops and exits non-zero. */
	char failed[320];
};

/**
 * Load and validate the configuration at @p path: placement, stages, rings, restart policy,
 * and everything `fastpath run` checks before it creates the segment (instance and group
 * names, cores, every placed stage's plan(): its group's keys, the files it reads, the
 * credentials, the strategies started once on scratch memory). `fastpath-ctl config
 * validate` is this call: both refuse the same files (issue 16). Pair with
 * fp_ctl_pipeline_fini(). @return 0 or negative errno with fp_err text (file:line).
 */
int fp_ctl_pipeline_load(struct fp_ctl_pipeline *p, const char *path);

/**
 * Create the segment with every region the placed stages plan, initialise rings, control
 * block, worker table and the stages' regions, then mark it READY.
 * @return 0 or negative errno with fp_err text.
 */
int fp_ctl_pipeline_create(struct fp_ctl_pipeline *p);

/** Fork the workers. @return 0 or negative errno. */
int fp_ctl_pipeline_start(struct fp_ctl_pipeline *p);

/** One supervision step (reap, restart). @return workers running. */
unsigned fp_ctl_pipeline_step(struct fp_ctl_pipeline *p);

/** Gather every stage's figures. */
void fp_ctl_pipeline_summary(const struct fp_ctl_pipeline *p, struct fp_ctl_summary *sum);

/**
 * Orderly stop: trip the kill switch so that risk refuses new orders and the gateway
 * cancels open ones, wait until the gateway has no open order and the order, execution
 * and journal rings are empty (at most @p drain_ms), mark the segment STOPPING, wait for the
 * workers (escalating to signals), destroy the segment.
 * @return number of workers that had to be killed.
 */
unsigned fp_ctl_pipeline_stop(struct fp_ctl_pipeline *p, unsigned drain_ms, const char *why);

/**
 * fp_ctl_pipeline_stop(), and when @p final is not NULL, the summary of the stopped
 * instance into it: every figure after the drain, as the workers left it (what a report
 * must reconcile with the venue), taken before the segment goes.
 */
unsigned fp_ctl_pipeline_stop_summary(struct fp_ctl_pipeline *p, unsigned drain_ms, const char *why,
				      struct fp_ctl_summary *final);

/** Free the configuration. */
void fp_ctl_pipeline_fini(struct fp_ctl_pipeline *p);

/** Kill switch reason of fp_ctl_pipeline_stop(): this prefix, then its @p why. The store
 *  does not restore such a kill at the next start (fp_ctl_stage_store.c). */
#define FP_CTL_STOP_REASON_PREFIX "stop: "

/*
 * Counters across worker restarts (issue 16 item 5). A restarted worker's stages start
 * their figures from zero (a new process, new stats); the region "ctl.carry" keeps, per
 * worker, what its earlier runs had counted: before its stages' init, a restarting worker
 * adds its stages' last published figures to its line (fp_ctl_carry_fields says which
 * summary fields: counters that restart from zero, not the ones rebuilt from the journal
 * such as positions and P&L, and not the store's, whose stats outlive a restart).
 * fp_ctl_carry_add() adds the carried figures to a summary; the supervisor's summary and
 * report and fastpath-ctl's figures go through it. Single writer per line: the worker.
 */
#define FP_CTL_CARRY_REGION  "ctl.carry"
#define FP_CTL_CARRY_VERSION 1

struct fp_ctl_carry {
	uint32_t started[FP_SHM_MAX_WORKERS];           /**< 1 once worker i ran its init */
	struct fp_ctl_summary line[FP_SHM_MAX_WORKERS]; /**< what worker i's earlier runs counted */
};

/** Add the figures of the segment's "ctl.carry" region (if any) to @p sum (cold). */
void fp_ctl_carry_add(const struct fp_shm *seg, struct fp_ctl_summary *sum);

#endif /* FP_CTL_PIPELINE_H */
