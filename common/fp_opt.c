/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_opt.c - command-line option values, checked whole (API in fp_opt.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "fp_err.h"
#include "fp_opt.h"

int fp_opt_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end = NULL;
	unsigned long long v = 0;
	errno = 0;
	/* strtoull takes a sign and leading spaces: only a digit may start the value. */
	if (s[0] >= '0' && s[0] <= '9')
		v = strtoull(s, &end, 10);
	if (end == NULL || *end || errno || v < lo || v > hi)
		return fp_err_set(-EINVAL,
				  "%s must be an integer in %" PRIu64 "..%" PRIu64 ", got '%s'",
				  opt, lo, hi, s);
	*out = v;
	return 0;
}

/* @p s as a finite number (strtod's syntax, the whole string); false when it is not one. */
static int whole_number(const char *s, double *out)
{
	char *end;
	errno = 0;
	*out = strtod(s, &end);
	return end != s && *end == '\0' && errno == 0 && isfinite(*out);
}

int fp_opt_num(const char *opt, const char *s, double lo, double hi, double *out)
{
	double v;
	if (!whole_number(s, &v) || v < lo || v > hi)
		return fp_err_set(-EINVAL, "%s must be a number in %g..%g, got '%s'", opt, lo, hi,
				  s);
	*out = v;
	return 0;
}

int fp_opt_pos(const char *opt, const char *s, double *out)
{
	double v;
	if (!whole_number(s, &v) || v <= 0)
		return fp_err_set(-EINVAL, "%s must be a number > 0, got '%s'", opt, s);
	*out = v;
	return 0;
}
