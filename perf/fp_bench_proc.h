/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_bench_proc.h - what the benchmarks that run whole programs share (perf/ only:
 * `fastpath-bench t2t` and `load`): spawning fastpath, fastpath-sim and fastpath-floor
 * pinned to a core, reading their reports, where their threads ran, what one syscall costs
 * on the measuring core, and fp-syscount's count of a process's syscalls. Cold tools: they
 * fork, exec, block and allocate freely.
 */
#ifndef FP_BENCH_PROC_H
#define FP_BENCH_PROC_H

#include <stdbool.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/** Fork and exec @p argv with stdout and stderr to @p out_path (NULL: inherited), pinned to
 *  @p core (-1: not pinned). @return the child's pid, or -1. */
pid_t fp_bench_spawn(char *const argv[], const char *out_path, int core);

/** Read the file @p path into @p buf (NUL-terminated, at most cap - 1 bytes).
 *  @return bytes read, or -1 (buf then holds ""). */
long fp_bench_read_file(const char *path, char *buf, size_t cap);

/** Write @p text to the file @p path (created or truncated). @return 0, or -errno. */
int fp_bench_write_file(const char *path, const char *text);

/** CLOCK_MONOTONIC in ns (the benches' wall clock around whole programs). */
uint64_t fp_bench_mono_ns(void);

/** Wait until the file @p path holds @p text, at most @p timeout_s. @return 0, or -1. */
int fp_bench_wait_text(const char *path, const char *text, double timeout_s);

/** The number after "key": in @p text (first occurrence), or -1 when absent. */
double fp_bench_json_number(const char *text, const char *key);

/**
 * Write @p dir/risk.conf: config/risk.conf with the collar off on symbol @p locate (the
 * simulator's trigger symbol, whose book has no ask, so no mid for a collar), its path
 * into @p path. @return 0, or -1 (config/risk.conf unreadable or without a symbols list).
 */
int fp_bench_write_risk(const char *dir, int locate, char *path, size_t len);

/** A multicast group of this process's own (239.193.x.y from the pid), so that benchmarks
 *  run side by side, or beside tests on 239.192.0.1, never hear each other's feeds. */
void fp_bench_group(char *buf, size_t len);

/** The folder of the running executable (build/bin) into @p dir. @return 0 or -1. */
int fp_bench_bindir(char *dir, size_t len);

/** What a bench that runs fastpath against fastpath-sim prepares once. */
struct fp_bench_sim_env {
	char bindir[PATH_MAX];    /**< this executable's folder (fp_bench_bindir) */
	char dir[64];             /**< the run's scratch folder, /tmp/fastpath-BENCH-XXXXXX */
	char risk[PATH_MAX + 32]; /**< its risk.conf (fp_bench_write_risk) */
	char group[20];           /**< a multicast group of this run's own (fp_bench_group) */
};

/**
 * Fill @p s for `fastpath-bench BENCH`: the binaries' folder, a scratch folder with a
 * risk.conf whose collar is off on @p locate, the simulator's paper-trading credentials in
 * the environment (FP_GW_USER / FP_GW_PASSWORD), and a multicast group. Says what failed on
 * stderr. @return 0 or -1.
 */
int fp_bench_sim_setup(struct fp_bench_sim_env *s, const char *bench, int locate);

/** One thread of a process: where it may run and where it ran last. */
struct fp_bench_task {
	int pid, tid;
	char comm[17];
	int cpu;          /**< processor it last ran on (/proc stat field 39) */
	char allowed[32]; /**< Cpus_allowed_list */
};

/** The threads of @p pid and, with @p children, of its child processes.
 *  @return threads written to @p out (at most @p max). */
unsigned fp_bench_tasks(pid_t pid, bool children, struct fp_bench_task *out, unsigned max);

/** Print "  placement <label>: comm[tid] cpus A ran C, ..." for @p tasks. */
void fp_bench_print_tasks(FILE *out, const char *label, const struct fp_bench_task *t, unsigned n);

/** The child process of @p pid that has used the most CPU (a spinning worker; zombies and
 *  short-lived helpers skipped), or -1. */
pid_t fp_bench_busiest_child(pid_t pid);

/** Busy and total jiffies of CPU @p core so far (/proc/stat). @return 0, or -1. */
int fp_bench_cpu_jiffies(int core, unsigned long long *busy, unsigned long long *total);

/** CPU time (utime + stime, jiffies) of @p pid and its child processes so far. */
unsigned long long fp_bench_tree_jiffies(pid_t pid);

/** Per-call cost on @p core (-1: wherever the caller runs), ns, median of 5 batches:
 *  a getppid() syscall, and an empty recvmmsg(MSG_DONTWAIT) on a bound UDP socket. */
void fp_bench_syscall_cost(int core, double *getppid_ns, double *recvmmsg_ns);

/**
 * Count the syscalls of every thread of @p pid for @p window_ms with @p bindir's
 * fp-syscount (needs ptrace rights). @p json receives its JSON output.
 * @return the total counted, or -1 (no fp-syscount, no rights: @p json says why).
 */
long fp_bench_syscount(const char *bindir, pid_t pid, unsigned window_ms, char *json, size_t cap);

/**
 * Count the syscalls of thread @p tid for @p window_ms without stopping it: perf_event
 * counters on the kernel's syscall tracepoints (raw_syscalls:sys_enter for all, and
 * syscalls:sys_enter_NAME for each of @p names), which cost the thread a few tens of ns
 * per syscall where ptrace stops it twice; so a thread whose behaviour depends on time
 * (the gateway's read throttle) is counted as it runs untraced. Needs root or
 * CAP_PERFMON and tracefs. Cold.
 * @return 0 with counts[0] = all syscalls and counts[1 + i] = names[i]'s; -1 (errno).
 */
int fp_bench_syscount_untraced(pid_t tid, unsigned window_ms, const char *const *names,
			       unsigned nb_names, double *counts);

#endif /* FP_BENCH_PROC_H */
