/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_idle.h - what a worker does when a pass over its stages found no work.
 *
 * Called by the worker loop on its own core, once per pass. `spin` (production, one isolated
 * core per worker) only pauses: no syscall, ever. `backoff` (development and CI, several
 * workers sharing few cores) pauses for a while, then yields, then sleeps briefly so that
 * oversubscribed cores still make progress; it makes syscalls by design and is not for
 * latency measurement. Any work resets the ladder.
 */
#ifndef FP_CTL_IDLE_H
#define FP_CTL_IDLE_H

#include <sched.h>
#include <stdint.h>
#include <time.h>

#include "fp_compiler.h"

enum fp_idle_policy {
	FP_IDLE_SPIN = 0,
	FP_IDLE_BACKOFF = 1,
};

/* Backoff ladder: passes of pause, then of sched_yield, then 50 µs sleeps. */
#define FP_IDLE_SPIN_PASSES  2048u
#define FP_IDLE_YIELD_PASSES 256u
#define FP_IDLE_SLEEP_NS     50000L

struct fp_idle {
	enum fp_idle_policy policy;
	uint32_t nb_idle_passes; /**< passes without work since the last one with work */
};

static inline void fp_idle_init(struct fp_idle *idle, enum fp_idle_policy policy)
{
	idle->policy = policy;
	idle->nb_idle_passes = 0;
}

FP_COLD void fp__idle_backoff(struct fp_idle *idle);

/** Account one pass of the worker loop that did @p work items. */
static inline void fp_idle_step(struct fp_idle *idle, unsigned work)
{
	if (work) {
		idle->nb_idle_passes = 0;
		return;
	}
	if (idle->policy == FP_IDLE_SPIN || ++idle->nb_idle_passes < FP_IDLE_SPIN_PASSES) {
		fp_cpu_relax();
		return;
	}
	fp__idle_backoff(idle);
}

/** Parse "spin" / "backoff"; returns 0 or -EINVAL. */
int fp_idle_policy_parse(const char *text, enum fp_idle_policy *policy);

#endif /* FP_CTL_IDLE_H */
