/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_idle.c - the slow rungs of the backoff idle policy (see fp_ctl_idle.h).
 */
#include <errno.h>
#include <string.h>

#include "fp_ctl_idle.h"

void fp__idle_backoff(struct fp_idle *idle)
{
	if (idle->nb_idle_passes < FP_IDLE_SPIN_PASSES + FP_IDLE_YIELD_PASSES) {
		sched_yield();
		return;
	}
	struct timespec ts = {.tv_sec = 0, .tv_nsec = FP_IDLE_SLEEP_NS};
	nanosleep(&ts, NULL);
	/* Stay on the sleep rung without letting the counter wrap back to spinning. */
	idle->nb_idle_passes = FP_IDLE_SPIN_PASSES + FP_IDLE_YIELD_PASSES;
}

int fp_idle_policy_parse(const char *text, enum fp_idle_policy *policy)
{
	if (!strcmp(text, "spin"))
		*policy = FP_IDLE_SPIN;
	else if (!strcmp(text, "backoff"))
		*policy = FP_IDLE_BACKOFF;
	else
		return -EINVAL;
	return 0;
}
