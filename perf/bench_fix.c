/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_fix.c - `fastpath-bench fix [--json] [--runs R] [--msgs N]`: FIX 4.4 per-message
 * cost (issue 14) of
 *   fastpath  encode: a NewOrderSingle from its template with the fields in place,
 *             BodyLength and CheckSum (fp_fix_begin/put_new_order/finish); parse: an
 *             ExecutionReport framed and checked (fp_fix_parse), ClOrdID, LastQty and
 *             LastPx read (LastPx exactly, to Price(4))
 *   quickfix  the same messages through QuickFIX's own FIX44::NewOrderSingle build and
 *             toString(), and FIX::Message(string) plus the same three fields
 *             (perf/fp_bench_fix_qf.cpp; only when libquickfix-dev is installed)
 * Each message is timed alone with the TSC (the read costs ~10 ns and is included); a run
 * gives p50 and p99 over N messages; figures are medians over R runs; ratio_* = QuickFIX's
 * p50 over ours. Single thread, wherever it runs (pin with taskset for stable figures).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_bench.h"
#include "fp_err.h"
#include "fp_fix.h"
#include "fp_tsc.h"

int fp_bench_fix(int argc, char **argv);
extern const char fp_bench_fix_summary[];
const char fp_bench_fix_summary[] =
	"FIX 4.4 NewOrderSingle encode and ExecutionReport parse vs QuickFIX, per message";

#if FP_BENCH_HAVE_QUICKFIX
int fp_bench_fix_qf(unsigned n, const char *er, size_t er_len, uint64_t (*now)(void), uint64_t *enc,
		    uint64_t *parse, uint64_t *sink);
#endif

#define RUNS_MAX 15
#define MSGS_MAX 1000000u

static const char ER[] = "8=FIX.4.4|9=143|35=8|34=12|49=EXEC|52=20261202-19:23:36.200|56=FPST|"
			 "6=150.25|11=FP0000000001|14=100|17=E1|31=150.25|32=100|37=O1|39=2|54="
			 "1|55=AAPL|150=F|151=0|10=097|";

static volatile uint64_t fix_sink;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* p50 and p99 of @p n cycle samples, in ns. */
static void pct(uint64_t *v, unsigned n, const struct fp_tsc_conv *conv, double *p50, double *p99)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	*p50 = (double)fp_tsc_to_ns(conv, v[n / 2]);
	*p99 = (double)fp_tsc_to_ns(conv, v[(size_t)n * 99 / 100]);
}

static uint64_t tsc_now(void)
{
	return fp_tsc_now();
}

int fp_bench_fix(int argc, char **argv)
{
	bool json = fp_bench_want_json(argc, argv);
	unsigned runs = 5, n = 100000;
	for (int i = 1; i < argc; i++) {
		char *end = NULL;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: fastpath-bench fix [--json] [--runs R] [--msgs N]\n%s\n",
			       fp_bench_fix_summary);
			return 0;
		} else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
			long v = strtol(argv[++i], &end, 10);
			runs = *end || v < 1 || v > RUNS_MAX ? 0 : (unsigned)v;
		} else if (!strcmp(argv[i], "--msgs") && i + 1 < argc) {
			long v = strtol(argv[++i], &end, 10);
			n = *end || v < 100 || v > (long)MSGS_MAX ? 0 : (unsigned)v;
		} else if (strcmp(argv[i], "--json") && strcmp(argv[i], "fix")) {
			fprintf(stderr, "fastpath-bench fix: unknown argument '%s'\n", argv[i]);
			return 2;
		}
		if (runs == 0 || n == 0) {
			fprintf(stderr, "fastpath-bench fix: --runs 1..%d, --msgs 100..%u\n",
				RUNS_MAX, MSGS_MAX);
			return 2;
		}
	}
	uint64_t hz;
	struct fp_tsc_conv conv;
	if (fp_tsc_calibrate(&hz) < 0 || fp_tsc_conv_init(&conv, hz) < 0) {
		fprintf(stderr, "fastpath-bench fix: %s\n", fp_err_msg());
		return 1;
	}
	uint8_t er[256];
	size_t er_len = strlen(ER);
	for (size_t i = 0; i < er_len; i++)
		er[i] = ER[i] == '|' ? FP_FIX_SOH : (uint8_t)ER[i];
	uint64_t *enc = malloc(n * sizeof(*enc)), *par = malloc(n * sizeof(*par));
	struct fp_fix_msg *m = malloc(sizeof(*m));
	if (!enc || !par || !m) {
		fprintf(stderr, "fastpath-bench fix: out of memory\n");
		return 1;
	}
	struct fp_fix_tmpl t;
	fp_fix_tmpl_init(&t, "D", "FPST", "EXEC");
	double fe50[RUNS_MAX], fe99[RUNS_MAX], fp50[RUNS_MAX], fp99[RUNS_MAX];
	double qe50[RUNS_MAX], qe99[RUNS_MAX], qp50[RUNS_MAX], qp99[RUNS_MAX];
	uint64_t sink = 0;
	int have_qf = 0;
	for (unsigned r = 0; r < runs; r++) {
		uint8_t buf[512];
		struct fp_fix_writer w;
		const uint8_t *out;
		uint64_t send_ns = 1796241816123000000ull;
		for (unsigned i = 0; i < n; i++) {
			uint64_t t0 = fp_tsc_now();
			struct fp_fix_new_order o = {.cl_ord_id = "FP0000000001",
						     .symbol = "AAPL",
						     .account = "ACC1",
						     .price = 1502500,
						     .transact_ns = send_ns,
						     .qty = 100,
						     .side = '1',
						     .time_in_force = '0'};
			fp_fix_begin(&w, buf, sizeof(buf), &t, i + 1, send_ns);
			fp_fix_put_new_order(&w, &o);
			int k = fp_fix_finish(&w, &out);
			enc[i] = fp_tsc_now() - t0;
			sink += (uint64_t)k + out[k - 2];
			send_ns += 1000000;
		}
		for (unsigned i = 0; i < n; i++) {
			uint64_t t0 = fp_tsc_now();
			int64_t px = 0;
			uint64_t q = 0;
			size_t l = 0;
			if (fp_fix_parse(er, er_len, m) == FP_FIX_OK &&
			    fp_fix_get_str(m, FP_FIX_TAG_CL_ORD_ID, &l) &&
			    fp_fix_get_u64(m, FP_FIX_TAG_LAST_QTY, &q) == 0)
				fp_fix_get_price(m, FP_FIX_TAG_LAST_PX, &px);
			par[i] = fp_tsc_now() - t0;
			sink += l + q + (uint64_t)px;
		}
		pct(enc, n, &conv, &fe50[r], &fe99[r]);
		pct(par, n, &conv, &fp50[r], &fp99[r]);
#if FP_BENCH_HAVE_QUICKFIX
		if (fp_bench_fix_qf(n, (const char *)er, er_len, tsc_now, enc, par, &sink) == 0) {
			have_qf = 1;
			pct(enc, n, &conv, &qe50[r], &qe99[r]);
			pct(par, n, &conv, &qp50[r], &qp99[r]);
		}
#else
		(void)tsc_now;
		qe50[r] = qe99[r] = qp50[r] = qp99[r] = 0;
#endif
	}
	struct fp_bench_result res[2] = {{.name = "fastpath"}, {.name = "quickfix"}};
	double e50 = fp_bench_median(fe50, runs), p50 = fp_bench_median(fp50, runs);
	fp_bench_metric(&res[0], "encode_p50_ns", e50);
	fp_bench_metric(&res[0], "encode_p99_ns", fp_bench_median(fe99, runs));
	fp_bench_metric(&res[0], "parse_p50_ns", p50);
	fp_bench_metric(&res[0], "parse_p99_ns", fp_bench_median(fp99, runs));
	if (have_qf) {
		double q50 = fp_bench_median(qe50, runs), r50 = fp_bench_median(qp50, runs);
		fp_bench_metric(&res[1], "encode_p50_ns", q50);
		fp_bench_metric(&res[1], "encode_p99_ns", fp_bench_median(qe99, runs));
		fp_bench_metric(&res[1], "parse_p50_ns", r50);
		fp_bench_metric(&res[1], "parse_p99_ns", fp_bench_median(qp99, runs));
		fp_bench_metric(&res[0], "ratio_encode_quickfix", e50 > 0 ? q50 / e50 : 0);
		fp_bench_metric(&res[0], "ratio_parse_quickfix", p50 > 0 ? r50 / p50 : 0);
	}
	fix_sink = sink; /* keeps the work observable */
	fp_bench_report(stdout, "fix", json, res, have_qf ? 2 : 1, NULL);
	free(enc);
	free(par);
	free(m);
	return 0;
}
