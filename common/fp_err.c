/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_err.c - per-thread error context (see fp_err.h).
 *
 * The message is "<what failed> (<func> <file>:<line>)" followed by "; <context>" lines, so
 * a user reads the cause first and the trail after it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fp_err.h"

struct fp_err_ctx {
	int code;
	size_t len;
	char msg[FP_ERR_MSG_MAX];
};

/* Per-thread, so no lock is needed; not shared state between threads or processes. */
static _Thread_local struct fp_err_ctx fp_err_tls;

static void fp_err_vappend(struct fp_err_ctx *ctx, const char *fmt, va_list ap)
{
	if (ctx->len >= sizeof(ctx->msg) - 1)
		return;
	int n = vsnprintf(ctx->msg + ctx->len, sizeof(ctx->msg) - ctx->len, fmt, ap);
	if (n > 0)
		ctx->len = FP_MIN(ctx->len + (size_t)n, sizeof(ctx->msg) - 1);
}

static void fp_err_addf(struct fp_err_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fp_err_vappend(ctx, fmt, ap);
	va_end(ap);
}

int fp__err_set(int rc, const char *func, const char *file, int line, const char *fmt, ...)
{
	struct fp_err_ctx *ctx = &fp_err_tls;
	const char *base = strrchr(file, '/');
	va_list ap;

	ctx->code = rc;
	ctx->len = 0;
	ctx->msg[0] = '\0';
	va_start(ap, fmt);
	fp_err_vappend(ctx, fmt, ap);
	va_end(ap);
	fp_err_addf(ctx, " (%s %s:%d)", func, base ? base + 1 : file, line);
	return rc;
}

int fp__err_append(int rc, const char *func, const char *fmt, ...)
{
	struct fp_err_ctx *ctx = &fp_err_tls;
	va_list ap;

	if (ctx->len == 0)
		fp_err_addf(ctx, "error %d", rc);
	fp_err_addf(ctx, "; ");
	va_start(ap, fmt);
	fp_err_vappend(ctx, fmt, ap);
	va_end(ap);
	fp_err_addf(ctx, " (%s)", func);
	return rc;
}

const char *fp_err_msg(void)
{
	return fp_err_tls.len ? fp_err_tls.msg : "no error recorded";
}

int fp_err_code(void)
{
	return fp_err_tls.code;
}

void fp_err_clear(void)
{
	fp_err_tls.code = 0;
	fp_err_tls.len = 0;
	fp_err_tls.msg[0] = '\0';
}
