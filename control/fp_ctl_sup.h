/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_sup.h - process supervision: start one process per worker, restart the ones that
 * die by policy, stop them all on request.
 *
 * Used by the supervisor process only (`fastpath run`), on its own thread; cold path: it
 * forks, waits and sleeps. Workers learn that they must stop through the segment's control
 * block (the caller's business); this module only escalates to SIGTERM and then SIGKILL
 * for workers that do not exit in time.
 *
 * Restart policy: a worker that exits while the supervisor is running is restarted after a
 * back-off that doubles from restart_backoff_ms up to restart_backoff_max_ms. More than
 * max_restarts deaths of one worker inside restart_window_ms is a crash loop: the worker is
 * left down and on_crash_loop() is called (the supervisor trips the kill switch there).
 */
#ifndef FP_CTL_SUP_H
#define FP_CTL_SUP_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#define FP_CTL_SUP_MAX_WORKERS 32
#define FP_CTL_SUP_NAME_MAX    32

struct fp_ctl_restart_policy {
	uint32_t max_restarts; /**< deaths tolerated inside the window */
	uint32_t restart_window_ms;
	uint32_t restart_backoff_ms; /**< first delay before a restart */
	uint32_t restart_backoff_max_ms;
	uint32_t stop_timeout_ms; /**< grace before SIGTERM, then again before SIGKILL */
};

enum fp_ctl_proc_state {
	FP_PROC_DOWN = 0, /**< not started, or stopped */
	FP_PROC_RUNNING,
	FP_PROC_WAITING, /**< died; restart scheduled */
	FP_PROC_FAILED,  /**< crash loop: left down */
};

struct fp_ctl_proc {
	char name[FP_CTL_SUP_NAME_MAX];
	pid_t pid;
	enum fp_ctl_proc_state state;
	uint32_t nb_starts;
	uint32_t nb_deaths_in_window;
	uint64_t window_start_ms;
	uint64_t restart_at_ms;
	uint32_t backoff_ms;
	int last_status; /**< wait status of the last death */
	pid_t last_pid;  /**< pid of the latest process, kept for messages */
};

/**
 * Body of a worker process; runs in the child after fork. Its return value becomes the exit
 * status (0 = stopped on request).
 */
typedef int (*fp_ctl_worker_fn)(void *arg, unsigned worker_idx);

struct fp_ctl_sup_hooks {
	fp_ctl_worker_fn worker_main;
	/** Called in the supervisor after each start (pid known) and each death. May be NULL. */
	void (*on_event)(void *arg, unsigned worker_idx, const struct fp_ctl_proc *proc,
			 const char *what);
	/** Called once per worker whose restarts ran into a crash loop. May be NULL. */
	void (*on_crash_loop)(void *arg, unsigned worker_idx, const struct fp_ctl_proc *proc);
	void *arg;
};

struct fp_ctl_sup {
	struct fp_ctl_restart_policy policy;
	struct fp_ctl_sup_hooks hooks;
	unsigned nb_procs;
	struct fp_ctl_proc procs[FP_CTL_SUP_MAX_WORKERS];
};

/**
 * Prepare a supervisor for @p nb_workers named workers (not started).
 * @return 0, or -EINVAL (too many workers, empty name, no worker_main)
 */
int fp_ctl_sup_init(struct fp_ctl_sup *sup, const struct fp_ctl_restart_policy *policy,
		    const struct fp_ctl_sup_hooks *hooks, const char *const *names,
		    unsigned nb_workers);

/** Fork every worker. @return 0, or a negative errno with fp_err set (fork failed). */
int fp_ctl_sup_start(struct fp_ctl_sup *sup);

/**
 * Supervise until *stop becomes non-zero: reap dead workers, restart them by policy.
 * Sleeps in short steps (cold path). @return 0 when asked to stop.
 */
int fp_ctl_sup_run(struct fp_ctl_sup *sup, volatile sig_atomic_t *stop);

/**
 * One supervision step (reap + due restarts), for callers with their own loop.
 * @return number of workers currently running
 */
unsigned fp_ctl_sup_step(struct fp_ctl_sup *sup);

/**
 * Wait up to policy.stop_timeout_ms for every worker to exit by itself (the caller has told
 * them to stop through the segment), then SIGTERM, then SIGKILL. No restarts happen.
 * @return number of workers that had to be killed
 */
unsigned fp_ctl_sup_stop(struct fp_ctl_sup *sup);

/** Milliseconds of CLOCK_MONOTONIC. */
uint64_t fp_ctl_now_ms(void);

#endif /* FP_CTL_SUP_H */
