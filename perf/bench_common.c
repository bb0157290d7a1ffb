/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_common.c - `fastpath-bench common [--json] [--iters N] [--runs R]`: cost of the
 * common/ hot-path inlines that every hop pays: fp_tsc_now(), fp_tsc_now_ordered() and
 * fp_hist_record().
 *
 * Each run times N back-to-back calls in batches of BATCH with the ordered TSC read and
 * keeps the median batch (so a preemption or an interrupt on a busy machine spoils one
 * batch, not the figure); each figure is the median over R runs, converted with the
 * calibrated TSC rate. Loop overhead (about one cycle) is included. Back-to-back calls
 * measure throughput cost, which is what a hop adds to a busy loop.
 *   fastpath         fp_tsc_now, fp_tsc_now_ordered; fp_hist_record of latency-like values
 *                    (4096 precomputed lognormal samples, spread over ~100 buckets) and of
 *                    one constant value; the histogram's size
 *   clock_gettime    reference clock: clock_gettime(CLOCK_MONOTONIC) through the vDSO
 *   array_increment  reference floor for recording: counts[v & 4095]++ on a plain array
 * Single thread, on whatever core it runs on (pin with taskset for stable figures).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fp_bench.h"
#include "fp_err.h"
#include "fp_hist.h"
#include "fp_tsc.h"

int fp_bench_common(int argc, char **argv);
extern const char fp_bench_common_summary[];
const char fp_bench_common_summary[] =
	"cost of fp_tsc_now and fp_hist_record vs clock_gettime and a plain array increment";

#define RUNS_MAX    31
#define NB_VALUES   4096
#define BATCH       10000
#define BATCHES_MAX 100000

enum { M_TSC, M_TSC_ORD, M_HIST, M_HIST_CONST, M_CLOCK, M_ARRAY, M_COUNT };

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Cycles per call of one batch of measurement @p m over @p iters calls. */
static double run_batch(int m, uint64_t iters, struct fp_hist *h, const uint64_t *vals,
			uint64_t *counts)
{
	volatile uint64_t sink = 0;
	uint64_t acc = 0;
	uint64_t t0 = fp_tsc_now_ordered();
	switch (m) {
	case M_TSC:
		for (uint64_t i = 0; i < iters; i++)
			acc += fp_tsc_now();
		break;
	case M_TSC_ORD:
		for (uint64_t i = 0; i < iters; i++)
			acc += fp_tsc_now_ordered();
		break;
	case M_HIST:
		for (uint64_t i = 0; i < iters; i++)
			fp_hist_record(h, vals[i & (NB_VALUES - 1)]);
		break;
	case M_HIST_CONST:
		for (uint64_t i = 0; i < iters; i++)
			fp_hist_record(h, 700);
		break;
	case M_CLOCK:
		for (uint64_t i = 0; i < iters; i++) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			acc += (uint64_t)ts.tv_nsec;
		}
		break;
	case M_ARRAY:
		for (uint64_t i = 0; i < iters; i++) {
			counts[vals[i & (NB_VALUES - 1)] & (NB_VALUES - 1)]++;
			fp_compiler_barrier(); /* one increment per call, as a recorder would */
		}
		break;
	}
	uint64_t t1 = fp_tsc_now_ordered();
	sink = acc;
	(void)sink;
	return (double)(t1 - t0) / (double)iters;
}

/* Median cycles per call over the batches of one run of @p iters calls. */
static double run_once(int m, uint64_t iters, struct fp_hist *h, const uint64_t *vals,
		       uint64_t *counts, double *batch)
{
	unsigned nb = (unsigned)(iters / BATCH);
	for (unsigned b = 0; b < nb; b++)
		batch[b] = run_batch(m, BATCH, h, vals, counts);
	qsort(batch, nb, sizeof(*batch), cmp_double);
	return batch[nb / 2];
}

int fp_bench_common(int argc, char **argv)
{
	bool json = fp_bench_want_json(argc, argv);
	uint64_t iters = 10000000;
	unsigned runs = 7;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: fastpath-bench common [--json] [--iters N] [--runs R]\n%s\n",
			       fp_bench_common_summary);
			return 0;
		} else if (!strcmp(argv[i], "--iters") && i + 1 < argc) {
			uint64_t v_;
			if (fp_bench_opt_u64("common", argv[i], argv[i + 1], UINT64_MAX, &v_) < 0)
				return 2;
			iters = v_;
			i++;
		} else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
			uint64_t v_;
			if (fp_bench_opt_u64("common", argv[i], argv[i + 1], UINT32_MAX, &v_) < 0)
				return 2;
			runs = (unsigned)v_;
			i++;
		} else if (strcmp(argv[i], "--json") != 0) {
			fprintf(stderr, "fastpath-bench common: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	if (iters < BATCH || iters / BATCH > BATCHES_MAX || runs < 1 || runs > RUNS_MAX) {
		fprintf(stderr, "fastpath-bench common: --iters must be %d..%d, --runs 1..%d\n",
			BATCH, BATCH * BATCHES_MAX, RUNS_MAX);
		return 2;
	}
	uint64_t hz;
	struct fp_tsc_conv conv;
	if (fp_tsc_calibrate(&hz) < 0 || fp_tsc_conv_init(&conv, hz) < 0) {
		fprintf(stderr, "fastpath-bench common: %s\n", fp_err_msg());
		return 1;
	}
	struct fp_hist *h = aligned_alloc(FP_CACHE_LINE, sizeof(*h));
	uint64_t *vals = malloc(NB_VALUES * sizeof(*vals));
	uint64_t *counts = calloc(NB_VALUES, sizeof(*counts));
	double *batch = malloc(BATCHES_MAX * sizeof(*batch));
	if (h == NULL || vals == NULL || counts == NULL || batch == NULL) {
		fprintf(stderr, "fastpath-bench common: out of memory\n");
		return 1;
	}
	fp_hist_init(h);
	/* Latency-like samples: lognormal around ~700 cycles with a tail (fixed seed). */
	uint64_t s = 42;
	for (unsigned i = 0; i < NB_VALUES; i++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		double u1 = ((double)(s >> 11) + 0.5) * 0x1.0p-53;
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		double u2 = (double)(s >> 11) * 0x1.0p-53;
		double z = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
		vals[i] = (uint64_t)exp(6.5 + 0.8 * z);
	}
	double cyc[M_COUNT][RUNS_MAX], med[M_COUNT];
	for (unsigned r = 0; r < runs; r++)
		for (int m = 0; m < M_COUNT; m++)
			cyc[m][r] = run_once(m, iters, h, vals, counts, batch);
	for (int m = 0; m < M_COUNT; m++) {
		qsort(cyc[m], runs, sizeof(double), cmp_double);
		med[m] = cyc[m][runs / 2];
	}
	double ns_per_cyc = 1e9 / (double)hz;
	struct fp_bench_result res[3] = {
		{.name = "fastpath"}, {.name = "clock_gettime"}, {.name = "array_increment"}};
	struct fp_bench_result extra = {.name = "extra"};
	fp_bench_metric(&res[0], "tsc_now_ns", med[M_TSC] * ns_per_cyc);
	fp_bench_metric(&res[0], "tsc_now_ordered_ns", med[M_TSC_ORD] * ns_per_cyc);
	fp_bench_metric(&res[0], "hist_record_ns", med[M_HIST] * ns_per_cyc);
	fp_bench_metric(&res[0], "hist_record_const_ns", med[M_HIST_CONST] * ns_per_cyc);
	fp_bench_metric(&res[0], "tsc_now_cycles", med[M_TSC]);
	fp_bench_metric(&res[0], "hist_record_cycles", med[M_HIST]);
	fp_bench_metric(&res[0], "hist_size_bytes", (double)sizeof(struct fp_hist));
	fp_bench_metric(&res[0], "tsc_hz", (double)hz);
	fp_bench_metric(&res[1], "now_ns", med[M_CLOCK] * ns_per_cyc);
	fp_bench_metric(&res[2], "record_ns", med[M_ARRAY] * ns_per_cyc);
	fp_bench_metric(&res[2], "size_bytes", (double)NB_VALUES * sizeof(uint64_t));
	fp_bench_metric(&extra, "ratio_tsc_now_vs_clock_gettime", med[M_TSC] / med[M_CLOCK]);
	fp_bench_metric(&extra, "ratio_hist_record_vs_array_increment", med[M_HIST] / med[M_ARRAY]);
	fp_bench_metric(&extra, "runs", runs);
	fp_bench_metric(&extra, "iters", (double)iters);
	fp_bench_report(stdout, "common", json, res, 3, &extra);
	free(h);
	free(vals);
	free(counts);
	free(batch);
	return 0;
}
