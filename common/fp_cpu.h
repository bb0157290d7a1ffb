/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_cpu.h - CPU placement: pin the calling thread to one core (hwloc), count and name cores.
 *
 * Cold paths only, any process: every call but fp_cpu_current() loads the hwloc topology
 * (allocates, reads /sys, takes milliseconds), so a worker pins itself once at start and
 * never again. fp_cpu_current() is cheap (glibc reads it from rseq or the vDSO) but is
 * still not hot-path material: a worker knows its core.
 *
 * A "core" here is a logical CPU (hwloc PU) by its OS number: the number sched_getcpu()
 * returns, `taskset -c` takes and /proc/cpuinfo calls "processor". The allowed set is what
 * the process's cgroup cpuset permits (hwloc's allowed cpuset) among online CPUs; a thread
 * may be pinned to any allowed core, even outside its current affinity mask.
 */
#ifndef FP_CPU_H
#define FP_CPU_H

#include <stddef.h>

/**
 * Bind the calling thread to @p core, strictly (it runs only there from return on).
 *
 * @return 0; -EINVAL when the core is negative or unknown to this machine, -ENODEV when it
 *         exists but is offline, -EPERM when it is outside the process's allowed set (each
 *         message names the core and the allowed list, e.g. "core 7 is not a CPU of this
 *         machine (allowed: 0-1)"), or the negative errno of a failed bind.
 */
int fp_cpu_pin_self(int core);

/** Number of cores this process may run on (online and allowed), >= 1; negative errno. */
int fp_cpu_count(void);

/**
 * Write the allowed cores as a list ("0-3,6") into @p buf (always NUL-terminated when
 * @p len > 0). @return 0 or negative errno.
 */
int fp_cpu_allowed_list(char *buf, size_t len);

/** The core the calling thread runs on now (sched_getcpu()), or negative errno. */
int fp_cpu_current(void);

#endif /* FP_CPU_H */
