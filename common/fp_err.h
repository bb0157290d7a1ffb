/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_err.h - error context for cold paths: where a failure started and how it travelled up.
 *
 * Cold paths only (init, config, attach, CLI): never call these from a hot loop. The text is
 * kept in a per-thread buffer, so any thread may use it without locks. The first failure
 * calls fp_err_set(); each caller that passes it on adds a line with fp_err_append(), so the
 * final message reads like a stack (the scheme of Aeron's AERON_SET_ERR / AERON_APPEND_ERR):
 *
 *     if (fd < 0)
 *             return fp_err_set(-errno, "cannot open %s: %s", path, strerror(errno));
 *     ...
 *     if ((rc = fp_shm_create(&opts, &seg)) < 0)
 *             return fp_err_append(rc, "instance '%s'", name);
 *
 * main() prints fp_err_msg() and decides whether to exit. Libraries never print.
 */
#ifndef FP_ERR_H
#define FP_ERR_H

#include "fp_compiler.h"

/** Bytes of message kept per thread; longer text is truncated. */
#define FP_ERR_MSG_MAX 1024

/**
 * Record the start of a failure, replacing any earlier message of this thread.
 *
 * @param rc   negative errno (or another negative code) to return to the caller
 * @return     @p rc, so that callers can write `return fp_err_set(-EINVAL, ...)`
 */
#define fp_err_set(rc, ...) fp__err_set((rc), __func__, __FILE__, __LINE__, __VA_ARGS__)

/** Add one line of context to the current message; returns @p rc. */
#define fp_err_append(rc, ...) fp__err_append((rc), __func__, __VA_ARGS__)

int fp__err_set(int rc, const char *func, const char *file, int line, const char *fmt, ...)
	FP_PRINTF(5, 6) FP_COLD;
int fp__err_append(int rc, const char *func, const char *fmt, ...) FP_PRINTF(3, 4) FP_COLD;

/** The current message of this thread: the first failure, then each added context line. */
const char *fp_err_msg(void);

/** The code given to the last fp_err_set() of this thread (0 when none). */
int fp_err_code(void);

/** Forget the current message. */
void fp_err_clear(void);

#endif /* FP_ERR_H */
