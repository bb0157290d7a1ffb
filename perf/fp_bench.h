/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_bench.h - shared reporting for fastpath-bench sub-commands (perf/ only).
 *
 * A benchmark fills one struct fp_bench_result per variant it measured ("fastpath" first,
 * then the references) and calls fp_bench_report(), which prints either a table for people
 * or the one JSON object of design.md §12.
 */
#ifndef FP_BENCH_H
#define FP_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define FP_BENCH_MAX_METRICS 64

/** One named figure; the name ends in its unit (_ns, _per_s, _bytes) or is a ratio_*. */
struct fp_bench_metric {
	const char *name;
	double value;
};

struct fp_bench_result {
	const char *name; /**< "fastpath" for ours, else the reference's name */
	const char *note; /**< why a variant was not measured (printed as "note"), or NULL */
	unsigned nb_metrics;
	struct fp_bench_metric metrics[FP_BENCH_MAX_METRICS];
};

/** Append a metric to @p r (silently ignored past FP_BENCH_MAX_METRICS). */
void fp_bench_metric(struct fp_bench_result *r, const char *name, double value);

/** Value of metric @p name in @p r, or @p dflt when absent. */
double fp_bench_get(const struct fp_bench_result *r, const char *name, double dflt);

/**
 * Print the results: a table (json == false) or one JSON object on one line. @p extra
 * holds run-wide figures such as ratios (may be NULL).
 */
void fp_bench_report(FILE *out, const char *bench, bool json, const struct fp_bench_result *res,
		     unsigned nb_res, const struct fp_bench_result *extra);

/** qsort() comparator of doubles, ascending (the one for every benchmark). */
int fp_bench_cmp_double(const void *a, const void *b);

/** Median of @p v[0 .. n-1] (sorts @p v in place; n > 0). */
double fp_bench_median(double *v, unsigned n);

/** True when argv holds --json. */
bool fp_bench_want_json(int argc, char **argv);

/**
 * Option value @p s of option @p opt of benchmark @p bench as an unsigned integer in
 * 0..@p max (common/fp_opt.h: a sign, a space or trailing text is refused, so "-5" never
 * wraps to 2^64 - 5). @return 0, or -1 after printing a one-line reason on stderr.
 */
int fp_bench_opt_u64(const char *bench, const char *opt, const char *s, uint64_t max,
		     uint64_t *out);

/**
 * Option value @p s as a finite number > 0 (common/fp_opt.h: "nan", "inf", "-1", "5x" are
 * refused). @return 0, or -1 after printing a one-line reason on stderr.
 */
int fp_bench_opt_pos(const char *bench, const char *opt, const char *s, double *out);

#endif /* FP_BENCH_H */
