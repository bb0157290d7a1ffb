/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_sup.c - process supervision (see fp_ctl_sup.h).
 *
 * Worker life cycle; each arrow names the function that makes the transition:
 *
 *    DOWN --start_proc()--> RUNNING --reap()--> WAITING --restart_due()--> RUNNING
 *                                        |
 *                                        +--reap(), crash loop--> FAILED
 *
 * Invariants:
 *   (1) procs[i].pid > 0 exactly when state == RUNNING.
 *   (2) A worker is never restarted while the supervisor is stopping (fp_ctl_sup_stop()
 *       reaps only).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fp_ctl_sup.h"
#include "fp_err.h"

#define FP_CTL_SUP_TICK_MS 10

uint64_t fp_ctl_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

int fp_ctl_sup_init(struct fp_ctl_sup *sup, const struct fp_ctl_restart_policy *policy,
		    const struct fp_ctl_sup_hooks *hooks, const char *const *names,
		    unsigned nb_workers)
{
	if (nb_workers == 0 || nb_workers > FP_CTL_SUP_MAX_WORKERS)
		return fp_err_set(-EINVAL, "%u workers configured; between 1 and %u are allowed",
				  nb_workers, FP_CTL_SUP_MAX_WORKERS);
	if (!hooks->worker_main)
		return fp_err_set(-EINVAL, "no worker body given");
	memset(sup, 0, sizeof(*sup));
	sup->policy = *policy;
	sup->hooks = *hooks;
	sup->nb_procs = nb_workers;
	for (unsigned i = 0; i < nb_workers; i++) {
		if (!names[i] || !names[i][0] || strlen(names[i]) >= FP_CTL_SUP_NAME_MAX)
			return fp_err_set(-EINVAL, "worker %u: name must have 1 to %d characters",
					  i, FP_CTL_SUP_NAME_MAX - 1);
		snprintf(sup->procs[i].name, sizeof(sup->procs[i].name), "%s", names[i]);
		sup->procs[i].backoff_ms = policy->restart_backoff_ms;
	}
	return 0;
}

static void notify(struct fp_ctl_sup *sup, unsigned idx, const char *what)
{
	if (sup->hooks.on_event)
		sup->hooks.on_event(sup->hooks.arg, idx, &sup->procs[idx], what);
}

static int start_proc(struct fp_ctl_sup *sup, unsigned idx)
{
	struct fp_ctl_proc *p = &sup->procs[idx];
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid < 0)
		return fp_err_set(-errno, "cannot fork worker '%s': %s", p->name, strerror(errno));
	if (pid == 0) {
		/* A worker must not outlive its supervisor, even after kill -9 of it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		_exit(sup->hooks.worker_main(sup->hooks.arg, idx));
	}
	p->pid = pid;
	p->last_pid = pid;
	p->state = FP_PROC_RUNNING;
	p->nb_starts++;
	notify(sup, idx, p->nb_starts == 1 ? "started" : "restarted");
	return 0;
}

int fp_ctl_sup_start(struct fp_ctl_sup *sup)
{
	for (unsigned i = 0; i < sup->nb_procs; i++) {
		int rc = start_proc(sup, i);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int find_proc(const struct fp_ctl_sup *sup, pid_t pid)
{
	for (unsigned i = 0; i < sup->nb_procs; i++)
		if (sup->procs[i].state == FP_PROC_RUNNING && sup->procs[i].pid == pid)
			return (int)i;
	return -1;
}

/* Collect exited workers; schedule restarts unless @p stopping (invariant 2). */
static void reap(struct fp_ctl_sup *sup, int stopping)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		int idx = find_proc(sup, pid);
		if (idx < 0)
			continue;
		struct fp_ctl_proc *p = &sup->procs[idx];
		uint64_t now = fp_ctl_now_ms();

		p->pid = 0;
		p->last_status = status;
		if (stopping) {
			p->state = FP_PROC_DOWN;
			notify(sup, (unsigned)idx, "stopped");
			continue;
		}
		if (now - p->window_start_ms > sup->policy.restart_window_ms) {
			p->window_start_ms = now;
			p->nb_deaths_in_window = 0;
			p->backoff_ms = sup->policy.restart_backoff_ms;
		}
		p->nb_deaths_in_window++;
		if (p->nb_deaths_in_window > sup->policy.max_restarts) {
			p->state = FP_PROC_FAILED;
			notify(sup, (unsigned)idx, "crash loop");
			if (sup->hooks.on_crash_loop)
				sup->hooks.on_crash_loop(sup->hooks.arg, (unsigned)idx, p);
			continue;
		}
		p->state = FP_PROC_WAITING;
		p->restart_at_ms = now + p->backoff_ms;
		notify(sup, (unsigned)idx, "died");
		p->backoff_ms = FP_MIN(p->backoff_ms * 2, sup->policy.restart_backoff_max_ms);
	}
}

unsigned fp_ctl_sup_step(struct fp_ctl_sup *sup)
{
	uint64_t now;
	unsigned running = 0;

	reap(sup, 0);
	now = fp_ctl_now_ms();
	for (unsigned i = 0; i < sup->nb_procs; i++) {
		struct fp_ctl_proc *p = &sup->procs[i];
		if (p->state == FP_PROC_WAITING && now >= p->restart_at_ms)
			start_proc(sup, i); /* a failed fork leaves it WAITING; retried next tick */
		running += p->state == FP_PROC_RUNNING;
	}
	return running;
}

int fp_ctl_sup_run(struct fp_ctl_sup *sup, volatile sig_atomic_t *stop)
{
	while (!*stop) {
		fp_ctl_sup_step(sup);
		sleep_ms(FP_CTL_SUP_TICK_MS);
	}
	return 0;
}

static unsigned nb_alive(const struct fp_ctl_sup *sup)
{
	unsigned n = 0;
	for (unsigned i = 0; i < sup->nb_procs; i++)
		n += sup->procs[i].state == FP_PROC_RUNNING;
	return n;
}

static void wait_for_exit(struct fp_ctl_sup *sup, uint32_t timeout_ms)
{
	uint64_t deadline = fp_ctl_now_ms() + timeout_ms;
	for (;;) {
		reap(sup, 1);
		if (!nb_alive(sup) || fp_ctl_now_ms() >= deadline)
			return;
		sleep_ms(FP_CTL_SUP_TICK_MS);
	}
}

static void signal_all(const struct fp_ctl_sup *sup, int sig)
{
	for (unsigned i = 0; i < sup->nb_procs; i++)
		if (sup->procs[i].state == FP_PROC_RUNNING)
			kill(sup->procs[i].pid, sig);
}

unsigned fp_ctl_sup_stop(struct fp_ctl_sup *sup)
{
	unsigned killed;

	for (unsigned i = 0; i < sup->nb_procs; i++)
		if (sup->procs[i].state == FP_PROC_WAITING)
			sup->procs[i].state = FP_PROC_DOWN;
	wait_for_exit(sup, sup->policy.stop_timeout_ms);
	killed = nb_alive(sup);
	if (killed) {
		signal_all(sup, SIGTERM);
		wait_for_exit(sup, sup->policy.stop_timeout_ms);
	}
	if (nb_alive(sup)) {
		signal_all(sup, SIGKILL);
		wait_for_exit(sup, 1000);
	}
	return killed;
}
