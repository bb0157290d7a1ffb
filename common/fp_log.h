/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_log.h - cold-path logging: one timestamped line per event to stderr or a FILE.
 *
 * NEVER on a hot path: a log call formats text, reads the clock and writes to a file
 * (a syscall, possibly blocking). Hot loops count events in shared-memory counters instead
 * (design.md §7), and a cold thread or the CLI reports them. Libraries never log (they
 * return errors with fp_err_set()); programs do: main(), the supervisor, the CLI, the
 * simulator. Any thread may log through its own struct fp_log, or share one whose fields
 * it no longer changes; each line goes out in one write, so lines of processes sharing
 * stderr do not interleave within a line (up to FP_LOG_LINE_MAX bytes).
 *
 *     struct fp_log log;
 *     fp_log_init(&log, stderr, "sim", FP_LOG_INFO);
 *     fp_log_warn(&log, "venue session %u lost: %s", id, fp_err_msg());
 *
 * prints
 *
 *     2026-11-25T11:19:05.123456Z WARN  sim[4242]: venue session 3 lost: ...
 *
 * (UTC, ISO 8601 with microseconds, level, component, pid, message).
 */
#ifndef FP_LOG_H
#define FP_LOG_H

#include <stdio.h>

#include "fp_compiler.h"

/** Longest line written, newline included; longer messages end in "...". */
#define FP_LOG_LINE_MAX 1024

/** Severity, most severe first; a logger prints its level and the ones above it. */
enum fp_log_level {
	FP_LOG_ERROR = 0, /**< the program or a component cannot go on */
	FP_LOG_WARN,      /**< degraded but running (no hugepages, a reconnect) */
	FP_LOG_INFO,      /**< life-cycle: start, stop, attach, config loaded */
	FP_LOG_DEBUG,     /**< detail for developers */
};

/** A logger: where, what and how much. Plain data, no allocation. */
struct fp_log {
	FILE *out;               /**< stderr, or any stream */
	enum fp_log_level level; /**< most verbose level printed */
	char component[24];      /**< who speaks: "supervisor", "sim", "ctl" ... */
};

/** Set up @p log (no allocation; nothing to free). @p component is copied (truncated). */
void fp_log_init(struct fp_log *log, FILE *out, const char *component, enum fp_log_level level);

/** Change the most verbose level printed. */
void fp_log_set_level(struct fp_log *log, enum fp_log_level level);

/** "ERROR", "WARN", "INFO", "DEBUG". */
const char *fp_log_level_name(enum fp_log_level level);

/**
 * Parse a level name (case-insensitive: error, warn or warning, info, debug) for a CLI flag
 * or a config key. @return 0, or -EINVAL with the accepted names in fp_err_msg().
 */
int fp_log_level_parse(const char *name, enum fp_log_level *level);

/** Whether @p level would be printed (to skip building an expensive message). */
static inline int fp_log_enabled(const struct fp_log *log, enum fp_log_level level)
{
	return level <= log->level;
}

/** Print one line at @p level when enabled. Cold; see the top of this file. */
void fp_log(const struct fp_log *log, enum fp_log_level level, const char *fmt, ...)
	FP_PRINTF(3, 4) FP_COLD;

#define fp_log_error(log, ...) fp_log((log), FP_LOG_ERROR, __VA_ARGS__)
#define fp_log_warn(log, ...)  fp_log((log), FP_LOG_WARN, __VA_ARGS__)
#define fp_log_info(log, ...)  fp_log((log), FP_LOG_INFO, __VA_ARGS__)
#define fp_log_debug(log, ...) fp_log((log), FP_LOG_DEBUG, __VA_ARGS__)

#endif /* FP_LOG_H */
