/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_shm_ctl.h - the control block (kill switch, trading state, why it last changed) and
 * the worker table (name, core, pid, heartbeat, state per worker): two segment regions.
 *
 * Who may call:
 *  - fp_shm_ctl_killed(), fp_shm_ctl_trading(): any stage, any core, hot path (one load).
 *  - fp_shm_ctl_kill(), fp_shm_ctl_rearm(), fp_shm_ctl_set_trading(): cold, any process
 *    (fastpath-ctl, the risk stage's breakers, the supervisor). Several may race: the words
 *    themselves are set first with one atomic store each (so the kill switch works even
 *    when the change record cannot be written), then the change record is written under a
 *    writers' flag with a bounded wait and published through a seqlock.
 *  - fp_shm_worker_beat(): the worker that owns the entry, hot path (one relaxed store).
 *  - the rest: cold, any process.
 *
 * Audit: every change increments `change_seq` and rewrites `last` (what, old and new value,
 * who, why, pid, wall time and TSC) as one consistent record. The store stage (or ctl)
 * polls change_seq and journals each record it sees; a missed intermediate record is
 * visible as a jump in `last.seq`.
 */
#ifndef FP_SHM_CTL_H
#define FP_SHM_CTL_H

#include <assert.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fp_compiler.h"
#include "fp_seqlock.h"
#include "fp_tsc.h"

#define FP_SHM_CTL_MAGIC     0x4c544346u /* "FCTL" */
#define FP_SHM_CTL_VERSION   1
#define FP_SHM_CTL_WHO_SIZE  32
#define FP_SHM_CTL_TEXT_SIZE 128

/** Trading state of the instance (fp_shm_ctl.trading_state). */
enum fp_trading_state {
	FP_TRADING_OFF = 0,         /**< not trading (start of day, after close) */
	FP_TRADING_ON = 1,          /**< new orders allowed */
	FP_TRADING_HALTED = 2,      /**< no new orders (breaker or operator) until set ON again */
	FP_TRADING_CANCEL_ONLY = 3, /**< only cancels leave (wind down) */
};

/** What a change record describes (fp_shm_ctl_change.what). */
enum fp_ctl_change_what {
	FP_CTL_CHANGE_NONE = 0,
	FP_CTL_CHANGE_KILL = 1,    /**< kill switch tripped (new_value 1) */
	FP_CTL_CHANGE_REARM = 2,   /**< kill switch re-armed (new_value 0) */
	FP_CTL_CHANGE_TRADING = 3, /**< trading state old_value -> new_value */
	FP_CTL_CHANGE_LIMITS = 4,  /**< risk limits generation old_value -> new_value; reason
				    *   lists "scope key: old -> new" */
};

/** One change, as the audit journal records it (256 bytes). */
struct fp_shm_ctl_change {
	uint64_t seq;                      /**< change_seq after this change, from 1 */
	uint64_t time_ns;                  /**< CLOCK_REALTIME, ns since the epoch */
	uint64_t tsc;                      /**< TSC at the change */
	int32_t pid;                       /**< process that made it */
	uint32_t what;                     /**< enum fp_ctl_change_what */
	uint32_t old_value;                /**< kill word or trading state before */
	uint32_t new_value;                /**< ... and after */
	char who[FP_SHM_CTL_WHO_SIZE];     /**< "ctl:alice", "risk:max_loss", "supervisor" */
	char reason[FP_SHM_CTL_TEXT_SIZE]; /**< the halt reason text, NUL-terminated */
	uint8_t reserved[56];
};

/** The control block region ("ctl"). */
struct fp_shm_ctl {
	/* line 0: read on the hot path by strategy host, risk and gateway */
	uint32_t magic;                 /**< FP_SHM_CTL_MAGIC */
	uint32_t version;               /**< FP_SHM_CTL_VERSION */
	_Atomic uint32_t kill;          /**< 0 armed, 1 tripped: no new orders, cancel all */
	_Atomic uint32_t trading_state; /**< enum fp_trading_state */
	_Atomic uint64_t change_seq;    /**< number of changes so far (audit) */
	uint8_t pad0[40];
	/* line 1: writers only */
	alignas(FP_CACHE_LINE) struct fp_seqlock lock; /**< protects `last` */
	_Atomic uint32_t wlock;                        /**< writers' flag (cold, bounded wait) */
	uint32_t reserved;
	uint8_t pad1[48];
	/* lines 2..5 */
	struct fp_shm_ctl_change last; /**< the most recent change */
};

static_assert(sizeof(struct fp_shm_ctl_change) == 256, "fp_shm_ctl_change size");
static_assert(offsetof(struct fp_shm_ctl, kill) == 8, "fp_shm_ctl.kill");
static_assert(offsetof(struct fp_shm_ctl, trading_state) == 12, "fp_shm_ctl.trading_state");
static_assert(offsetof(struct fp_shm_ctl, change_seq) == 16, "fp_shm_ctl.change_seq");
static_assert(offsetof(struct fp_shm_ctl, lock) == 64, "fp_shm_ctl.lock");
static_assert(offsetof(struct fp_shm_ctl, last) == 128, "fp_shm_ctl.last");
static_assert(sizeof(struct fp_shm_ctl) == 384, "fp_shm_ctl size");

/** Initialise: armed, trading OFF, no change yet. Cold, creator only, before READY. */
void fp_shm_ctl_init(struct fp_shm_ctl *c);

/** Check magic and version (after attach). @return 0 or -EPROTO with fp_err text. */
int fp_shm_ctl_check(const struct fp_shm_ctl *c);

/** True once the kill switch is tripped. Hot path, any thread. */
inline bool fp_shm_ctl_killed(const struct fp_shm_ctl *c)
{
	/* Acquire: pairs with the seq_cst store of fp_shm_ctl_kill(). */
	return atomic_load_explicit(&c->kill, memory_order_acquire) != 0;
}

/** Current trading state (enum fp_trading_state). Hot path, any thread. */
inline uint32_t fp_shm_ctl_trading(const struct fp_shm_ctl *c)
{
	/* Acquire: pairs with the release store of fp_shm_ctl_set_trading(). */
	return atomic_load_explicit(&c->trading_state, memory_order_acquire);
}

/**
 * Trip the kill switch (idempotent) and record who and why. Cold, any process.
 * @return 0; -EBUSY when the change record could not be written (another writer holds the
 *         flag too long; the switch itself is tripped all the same).
 */
int fp_shm_ctl_kill(struct fp_shm_ctl *c, const char *who, const char *reason);

/** Re-arm the kill switch (operator action). Cold. @return 0 or -EBUSY as above. */
int fp_shm_ctl_rearm(struct fp_shm_ctl *c, const char *who, const char *reason);

/** Set the trading state. Cold. @return 0, -EINVAL (unknown state) or -EBUSY as above. */
int fp_shm_ctl_set_trading(struct fp_shm_ctl *c, uint32_t state, const char *who,
			   const char *reason);

/**
 * Record a change made elsewhere (e.g. a new risk limits generation) in the audit record,
 * with who and why. Cold, any process. @return 0 or -EBUSY as fp_shm_ctl_kill().
 */
int fp_shm_ctl_note(struct fp_shm_ctl *c, uint32_t what, uint32_t old_value, uint32_t new_value,
		    const char *who, const char *reason);

/** Copy the last change record consistently. Cold. @return false if none could be read. */
bool fp_shm_ctl_last_change(const struct fp_shm_ctl *c, struct fp_shm_ctl_change *out);

/** Name of a change record's `what` ("kill", "rearm", "trading", "limits"; "none" for 0),
 *  or NULL for a value this version does not know. Any process. */
const char *fp_shm_ctl_what_str(uint32_t what);

/** Print the block. Any process. */
void fp_shm_ctl_dump(FILE *out, const struct fp_shm_ctl *c);

/* ---- worker table ---- */

#define FP_SHM_WORKERS_MAGIC   0x4b524f57u /* "WORK" */
#define FP_SHM_WORKERS_VERSION 1
#define FP_SHM_MAX_WORKERS     32
#define FP_SHM_WORKER_NAMESIZE 24

/**
 * Life of a worker (fp_shm_worker.state). The supervisor writes FREE->STARTING when it
 * spawns the worker and ->DEAD when it reaps a crashed one; the worker writes
 * STARTING->RUNNING->STOPPING->EXITED itself. The two never write at the same time: the
 * supervisor writes DEAD only after the worker process is gone.
 */
enum fp_worker_state {
	FP_WORKER_FREE = 0,
	FP_WORKER_STARTING = 1,
	FP_WORKER_RUNNING = 2,
	FP_WORKER_STOPPING = 3,
	FP_WORKER_EXITED = 4,
	FP_WORKER_DEAD = 5,
};

/** One worker: one cache line, so each worker's heartbeat stores stay on its own line. */
struct fp_shm_worker {
	char name[FP_SHM_WORKER_NAMESIZE]; /**< from the placement config, NUL-terminated */
	int32_t core;                      /**< core it is pinned to, -1 = not pinned */
	int32_t pid;                       /**< process id, 0 = none */
	_Atomic uint64_t heartbeat_tsc;    /**< TSC of the worker's last loop (worker only) */
	_Atomic uint32_t state;            /**< enum fp_worker_state */
	uint32_t restarts;                 /**< times the supervisor restarted it */
	uint64_t started_ns;               /**< CLOCK_REALTIME of the last start */
	uint64_t reserved;
};

/** The worker table region ("workers"). */
struct fp_shm_workers {
	uint32_t magic;      /**< FP_SHM_WORKERS_MAGIC */
	uint32_t version;    /**< FP_SHM_WORKERS_VERSION */
	uint32_t nb_workers; /**< entries in use, set by the supervisor before READY */
	uint32_t reserved;
	uint8_t pad[48];
	struct fp_shm_worker w[FP_SHM_MAX_WORKERS];
};

static_assert(sizeof(struct fp_shm_worker) == 64, "fp_shm_worker is one cache line");
static_assert(offsetof(struct fp_shm_worker, core) == 24, "fp_shm_worker.core");
static_assert(offsetof(struct fp_shm_worker, pid) == 28, "fp_shm_worker.pid");
static_assert(offsetof(struct fp_shm_worker, heartbeat_tsc) == 32, "fp_shm_worker.heartbeat");
static_assert(offsetof(struct fp_shm_worker, state) == 40, "fp_shm_worker.state");
static_assert(offsetof(struct fp_shm_workers, w) == 64, "fp_shm_workers.w");

/** Initialise an empty table. Cold, creator only. */
void fp_shm_workers_init(struct fp_shm_workers *t);

/**
 * Record a heartbeat at @p now_tsc (the worker's fp_tsc_now() of this loop). Hot path, the
 * owning worker only (one relaxed store, no fence).
 */
inline void fp_shm_worker_beat(struct fp_shm_worker *w, uint64_t now_tsc)
{
	/* Relaxed: a single writer; readers only compare the value with their own clock. */
	atomic_store_explicit(&w->heartbeat_tsc, now_tsc, memory_order_relaxed);
}

/** Set a worker's state (store-release: fields written before are visible after). Cold. */
void fp_shm_worker_set_state(struct fp_shm_worker *w, enum fp_worker_state state);

/** Print the table (heartbeat ages need the TSC rate: @p tsc_hz, 0 to print raw). */
void fp_shm_workers_dump(FILE *out, const struct fp_shm_workers *t, uint64_t tsc_hz);

#endif /* FP_SHM_CTL_H */
