/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_bench_report.c - print benchmark results as a table or as design.md §12 JSON; the
 * median every benchmark reports.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fp_bench.h"
#include "fp_err.h"
#include "fp_opt.h"

void fp_bench_metric(struct fp_bench_result *r, const char *name, double value)
{
	if (r->nb_metrics < FP_BENCH_MAX_METRICS)
		r->metrics[r->nb_metrics++] = (struct fp_bench_metric){name, value};
}

double fp_bench_get(const struct fp_bench_result *r, const char *name, double dflt)
{
	for (unsigned i = 0; i < r->nb_metrics; i++)
		if (!strcmp(r->metrics[i].name, name))
			return r->metrics[i].value;
	return dflt;
}

bool fp_bench_want_json(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--json"))
			return true;
	return false;
}

int fp_bench_opt_u64(const char *bench, const char *opt, const char *s, uint64_t max, uint64_t *out)
{
	if (fp_opt_u64(opt, s, 0, max, out) == 0)
		return 0;
	fprintf(stderr, "fastpath-bench %s: %s\n", bench, fp_err_msg());
	return -1;
}

int fp_bench_opt_pos(const char *bench, const char *opt, const char *s, double *out)
{
	if (fp_opt_pos(opt, s, out) == 0)
		return 0;
	fprintf(stderr, "fastpath-bench %s: %s\n", bench, fp_err_msg());
	return -1;
}

static void print_number(FILE *out, double v)
{
	if (!isfinite(v))
		fputs("null", out);
	else if (v == (double)(long long)v && fabs(v) < 9e15)
		fprintf(out, "%lld", (long long)v);
	else
		fprintf(out, "%.4f", v);
}

/* ", \"key\": \"text\"" with the text's quotes, backslashes and controls escaped. */
static void print_string_json(FILE *out, const char *key, const char *text)
{
	fprintf(out, ", \"%s\": \"", key);
	for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(out, "\\%c", *c);
		else if (*c < 0x20)
			fprintf(out, "\\u%04x", *c);
		else
			fputc(*c, out);
	}
	fputc('"', out);
}

static void print_metrics_json(FILE *out, const struct fp_bench_result *r)
{
	for (unsigned i = 0; i < r->nb_metrics; i++) {
		fprintf(out, ", \"%s\": ", r->metrics[i].name);
		print_number(out, r->metrics[i].value);
	}
}

void fp_bench_report(FILE *out, const char *bench, bool json, const struct fp_bench_result *res,
		     unsigned nb_res, const struct fp_bench_result *extra)
{
	if (json) {
		fprintf(out, "{\"bench\": \"%s\", \"results\": [", bench);
		for (unsigned i = 0; i < nb_res; i++) {
			fprintf(out, "%s{\"name\": \"%s\"", i ? ", " : "", res[i].name);
			if (res[i].note)
				print_string_json(out, "note", res[i].note);
			print_metrics_json(out, &res[i]);
			fputc('}', out);
		}
		fputc(']', out);
		if (extra)
			print_metrics_json(out, extra);
		fputs("}\n", out);
		return;
	}

	fprintf(out, "fastpath-bench %s\n", bench);
	for (unsigned i = 0; i < nb_res; i++) {
		fprintf(out, "  %-12s", res[i].name);
		for (unsigned m = 0; m < res[i].nb_metrics; m++) {
			fprintf(out, " %s=", res[i].metrics[m].name);
			print_number(out, res[i].metrics[m].value);
		}
		if (res[i].note)
			fprintf(out, " (%s)", res[i].note);
		fputc('\n', out);
	}
	if (extra)
		for (unsigned m = 0; m < extra->nb_metrics; m++) {
			fprintf(out, "  %s = ", extra->metrics[m].name);
			print_number(out, extra->metrics[m].value);
			fputc('\n', out);
		}
}

int fp_bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double fp_bench_median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), fp_bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
