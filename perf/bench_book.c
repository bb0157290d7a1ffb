/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_book.c - `fastpath-bench book [--json] [--messages N] [--runs R] ...`: the book core
 * alone on an ITCH-like flow, against the reference book of tests/book in the same run.
 *
 * One thread (pin it with taskset for stable figures). The flow is tests/book's generator
 * (fp_book_flow.h): 8192 symbols with Zipf activity, about 1 M live orders, adds a few ticks
 * from a walking mid, deletes (most), cancels, executes (some with price), replaces, mostly of
 * recent orders; sequential references. It is generated in chunks of --chunk events
 * (default 4 M = 256 MiB) loaded in memory before each chunk is timed, so the 50 M
 * messages never need 3.2 GB at once; generation is never timed. Per run:
 *   pass 1 (throughput): every chunk through fp_book_core_apply() with the stage's
 *          prefetch pipeline (order slot 8 events ahead, symbol 4, levels 2), no timer inside: mean ns/message, messages/s.
 *   pass 2 (latency): the same stream again on a fresh core, one TSC pair (unordered
 *          rdtsc) around each message: p50/p99/p99.9/p99.99/max per message. The timer's
 *          own cost (timer_ns) is reported, not subtracted.
 *   reference: the first --ref-messages messages (default 5 M; it is too slow for 50 M)
 *          through fp_book_ref, timed as pass 1; compared with the fastpath mean of the same
 *          prefix (ratio_mean).
 * Each pass reports wall time (TSC) and this thread's CPU time (CLOCK_THREAD_CPUTIME_ID, read
 * per chunk): on a shared, oversubscribed machine the wall-time mean mostly measures the
 * scheduler, the CPU-time mean (cpu_mean_ns) the code. Percentiles come from the per-message
 * TSC samples, so a preempted message shows up in the tail (p99.99, max), not in p50/p99.
 * Figures are medians over --runs runs (default 3). Resident memory is VmRSS after the run
 * (the core maps and pre-faults its whole configured capacity: 16 k symbols, 10 M orders).
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "fp_bench.h"
#include "fp_book.h"
#include "fp_book_flow.h"
#include "fp_book_ref.h"
#include "fp_err.h"
#include "fp_hist.h"
#include "fp_tsc.h"

int fp_bench_book(int argc, char **argv);
extern const char fp_bench_book_summary[];
const char fp_bench_book_summary[] =
	"L3 book core per md message (mean, p50/p99/p99.99, msg/s, RSS) vs a naive reference book";

#define RUNS_MAX 9

/** The stage's prefetch pipeline (fp_book.h) on event @p i of @p n (the first events get the
 * later stages only: a few cold misses per 4 M-event chunk). */
static inline void prefetch(const struct fp_book_core *bc, const struct fp_event *buf, uint64_t i,
			    uint64_t n, uint32_t stages)
{
	if (stages >= 1 && fp_likely(i + FP_BOOK_PF_ORDER < n))
		fp_book_core_prefetch(bc, &buf[i + FP_BOOK_PF_ORDER]);
	if (stages >= 2 && fp_likely(i + FP_BOOK_PF_SYM < n))
		fp_book_core_prefetch_sym(bc, &buf[i + FP_BOOK_PF_SYM]);
	if (stages >= 3 && fp_likely(i + FP_BOOK_PF_LEVELS < n))
		fp_book_core_prefetch_levels(bc, &buf[i + FP_BOOK_PF_LEVELS]);
}

struct opts {
	uint64_t messages, ref_messages, chunk;
	uint32_t runs, symbols, live;
	uint32_t prefetch; /**< prefetch stages used (0 .. 3; the stage uses 3) */
	uint64_t seed;
};

struct run_out {
	double mean_ns, per_s, p50, p99, p999, p9999, max;
	double prefix_mean_ns, ref_mean_ns, ref_per_s;
	double cpu_mean_ns, prefix_cpu_mean_ns, ref_cpu_mean_ns;
	double rss;
	struct fp_book_stats st;
};

/** CPU time of this thread (ns): excludes the time the scheduler gave to others. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double median(double *v, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++)
		for (uint32_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double rss_bytes(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	double kb = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = strtod(line + 6, NULL);
	fclose(f);
	return kb * 1024;
}

static void flow_cfg(const struct opts *o, struct fp_book_flow_cfg *fc)
{
	memset(fc, 0, sizeof(*fc));
	fc->seed = o->seed;
	fc->nb_symbols = o->symbols;
	fc->target_live = o->live;
}

static int core_new(struct fp_book_core *bc)
{
	struct fp_book_cfg cfg;
	fp_book_cfg_default(&cfg);
	return fp_book_core_init(bc, &cfg);
}

/** Pass 1: throughput of the core (and the same for the first ref_messages). */
static int pass_throughput(const struct opts *o, struct fp_event *buf,
			   const struct fp_tsc_conv *conv, struct run_out *out)
{
	struct fp_book_flow flow;
	struct fp_book_flow_cfg fc;
	struct fp_book_core bc;
	flow_cfg(o, &fc);
	if (fp_book_flow_init(&flow, &fc) < 0 || core_new(&bc) < 0)
		return -1;
	uint64_t cycles = 0, prefix_cycles = 0, done = 0, cpu = 0, prefix_cpu = 0;
	while (done < o->messages) {
		uint64_t n = FP_MIN(o->chunk, o->messages - done);
		fp_book_flow_fill(&flow, buf, n);
		uint64_t c0 = cpu_ns();
		uint64_t t0 = fp_tsc_now_ordered();
		for (uint64_t i = 0; i < n; i++) {
			prefetch(&bc, buf, i, n, o->prefetch);
			fp_book_core_apply(&bc, &buf[i]);
			if (fp_unlikely(done + i + 1 == o->ref_messages)) {
				prefix_cycles = cycles + (fp_tsc_now_ordered() - t0);
				prefix_cpu = cpu + (cpu_ns() - c0);
			}
		}
		cycles += fp_tsc_now_ordered() - t0;
		cpu += cpu_ns() - c0;
		done += n;
	}
	out->cpu_mean_ns = (double)cpu / (double)o->messages;
	if (!prefix_cycles) {
		prefix_cycles = cycles;
		prefix_cpu = cpu;
	}
	out->prefix_cpu_mean_ns = (double)prefix_cpu / (double)FP_MIN(o->ref_messages, o->messages);
	double ns = (double)fp_tsc_to_ns(conv, cycles);
	out->mean_ns = ns / (double)o->messages;
	out->per_s = (double)o->messages * 1e9 / ns;
	out->prefix_mean_ns = (double)fp_tsc_to_ns(conv, prefix_cycles) /
			      (double)FP_MIN(o->ref_messages, o->messages);
	out->st = bc.st;
	out->rss = rss_bytes();
	fp_book_core_fini(&bc);
	fp_book_flow_fini(&flow);
	return 0;
}

/** Pass 2: per-message latency. */
static int pass_latency(const struct opts *o, struct fp_event *buf, const struct fp_tsc_conv *conv,
			struct fp_hist *h, struct run_out *out)
{
	struct fp_book_flow flow;
	struct fp_book_flow_cfg fc;
	struct fp_book_core bc;
	flow_cfg(o, &fc);
	if (fp_book_flow_init(&flow, &fc) < 0 || core_new(&bc) < 0)
		return -1;
	fp_hist_reset(h);
	uint64_t done = 0;
	while (done < o->messages) {
		uint64_t n = FP_MIN(o->chunk, o->messages - done);
		fp_book_flow_fill(&flow, buf, n);
		for (uint64_t i = 0; i < n; i++) {
			uint64_t t0 = fp_tsc_now();
			prefetch(&bc, buf, i, n, o->prefetch);
			fp_book_core_apply(&bc, &buf[i]);
			uint64_t t1 = fp_tsc_now();
			fp_hist_record(h, t1 - t0);
		}
		done += n;
	}
	out->p50 = (double)fp_tsc_to_ns(conv, fp_hist_percentile(h, 0.50));
	out->p99 = (double)fp_tsc_to_ns(conv, fp_hist_percentile(h, 0.99));
	out->p999 = (double)fp_tsc_to_ns(conv, fp_hist_percentile(h, 0.999));
	out->p9999 = (double)fp_tsc_to_ns(conv, fp_hist_percentile(h, 0.9999));
	out->max = (double)fp_tsc_to_ns(conv, fp_hist_max(h));
	fp_book_core_fini(&bc);
	fp_book_flow_fini(&flow);
	return 0;
}

/** The reference book on the first ref_messages messages. */
static int pass_reference(const struct opts *o, struct fp_event *buf,
			  const struct fp_tsc_conv *conv, struct run_out *out)
{
	struct fp_book_flow flow;
	struct fp_book_flow_cfg fc;
	flow_cfg(o, &fc);
	struct fp_book_ref *rb = fp_book_ref_new(FP_BOOK_DEFAULT_SYMBOLS, 1);
	if (!rb || fp_book_flow_init(&flow, &fc) < 0)
		return -1;
	uint64_t total = FP_MIN(o->ref_messages, o->messages), done = 0, cycles = 0, cpu = 0;
	while (done < total) {
		uint64_t n = FP_MIN(o->chunk, total - done);
		fp_book_flow_fill(&flow, buf, n);
		uint64_t c0 = cpu_ns();
		uint64_t t0 = fp_tsc_now_ordered();
		for (uint64_t i = 0; i < n; i++)
			fp_book_ref_apply(rb, &buf[i]);
		cycles += fp_tsc_now_ordered() - t0;
		cpu += cpu_ns() - c0;
		done += n;
	}
	out->ref_cpu_mean_ns = (double)cpu / (double)total;
	double ns = (double)fp_tsc_to_ns(conv, cycles);
	out->ref_mean_ns = ns / (double)total;
	out->ref_per_s = (double)total * 1e9 / ns;
	fp_book_ref_free(rb);
	fp_book_flow_fini(&flow);
	return 0;
}

static double timer_cost_ns(const struct fp_tsc_conv *conv)
{
	uint64_t t0 = fp_tsc_now_ordered(), x = 0;
	for (int i = 0; i < 1000000; i++) {
		uint64_t a = fp_tsc_now();
		x += fp_tsc_now() - a;
	}
	uint64_t t1 = fp_tsc_now_ordered();
	(void)x;
	return (double)fp_tsc_to_ns(conv, t1 - t0) / 1e6;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fastpath-bench book [--json] [--messages N] [--runs R] [--ref-messages M]\n"
		"                           [--symbols S] [--live L] [--chunk C] [--seed X]\n"
		"  --messages N      md messages per run (default 50000000, 1000 .. 2000000000)\n"
		"  --runs R          runs; medians are reported (default 3, 1 .. %d)\n"
		"  --ref-messages M  prefix given to the reference book (default 5000000)\n"
		"  --symbols S       symbols with orders (default 8192, 1 .. 16383)\n"
		"  --live L          live orders the flow hovers around (default 1000000, <= 4 M)\n"
		"  --chunk C         events generated and loaded before each timed chunk (4 M)\n"
		"  --prefetch P      prefetch stages: 0 none, 1 order slot, 2 +symbol, 3 +levels "
		"(default, as the stage)\n",
		RUNS_MAX);
}

static int parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){50000000, 5000000, 4u << 20, 3, 8192, 1000000, 3, 42};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 1;
		} else if (!strcmp(a, "--json")) {
			continue;
		} else if (i + 1 < argc && !strcmp(a, "--messages")) {
			uint64_t v_;
			if (fp_bench_opt_u64("book", argv[i], argv[i + 1], UINT64_MAX, &v_) < 0)
				return -1;
			o->messages = v_;
			i++;
		} else if (i + 1 < argc && !strcmp(a, "--ref-messages")) {
			uint64_t v_;
			if (fp_bench_opt_u64("book", argv[i], argv[i + 1], UINT64_MAX, &v_) < 0)
				return -1;
			o->ref_messages = v_;
			i++;
		} else if (i + 1 < argc && !strcmp(a, "--chunk")) {
			uint64_t v_;
			if (fp_bench_opt_u64("book", argv[i], argv[i + 1], UINT64_MAX, &v_) < 0)
				return -1;
			o->chunk = v_;
			i++;
		} else if (i + 1 < argc && !strcmp(a, "--runs")) {
			uint64_t v_;
			if (fp_bench_opt_u64("book", argv[i], argv[i + 1], UINT32_MAX, &v_) < 0)
				return -1;
			o->runs = (uint32_t)v_;
			i++;
		} else if (i + 1 < argc && !strcmp(a, "--symbols")) {
			uint64_t v_;
			if (fp_bench_opt_u64("book", argv[i], argv[i + 1], UINT32_MAX, &v_) < 0)
				return -1;
			o->symbols = (uint32_t)v_;
			i++;
		} else if (i + 1 < argc && !strcmp(a, "--live")) {
			uint64_t v_;
			if (fp_bench_opt_u64("book", argv[i], argv[i + 1], UINT32_MAX, &v_) < 0)
				return -1;
			o->live = (uint32_t)v_;
			i++;
		} else if (i + 1 < argc && !strcmp(a, "--prefetch")) {
			uint64_t v_;
			if (fp_bench_opt_u64("book", argv[i], argv[i + 1], UINT32_MAX, &v_) < 0)
				return -1;
			o->prefetch = (uint32_t)v_;
			i++;
		} else if (i + 1 < argc && !strcmp(a, "--seed")) {
			uint64_t v_;
			if (fp_bench_opt_u64("book", argv[i], argv[i + 1], UINT64_MAX, &v_) < 0)
				return -1;
			o->seed = v_;
			i++;
		} else {
			fprintf(stderr, "fastpath-bench book: unknown option '%s' (see --help)\n",
				a);
			return -1;
		}
	}
	if (o->messages < 1000 || o->messages > 2000000000ull || o->runs < 1 ||
	    o->runs > RUNS_MAX || o->symbols < 1 || o->symbols >= FP_BOOK_DEFAULT_SYMBOLS ||
	    o->live < 1 || o->live > 4000000 || o->chunk < 1024 || o->chunk > (64u << 20) ||
	    o->ref_messages < 1 || o->prefetch > 3) {
		fprintf(stderr, "fastpath-bench book: an option is out of range (see --help)\n");
		return -1;
	}
	return 0;
}

int fp_bench_book(int argc, char **argv)
{
	struct opts o;
	int rc = parse(argc, argv, &o);
	if (rc)
		return rc > 0 ? 0 : 2;
	uint64_t hz;
	struct fp_tsc_conv conv;
	if (fp_tsc_calibrate(&hz) < 0 || fp_tsc_conv_init(&conv, hz) < 0) {
		fprintf(stderr, "fastpath-bench book: %s\n", fp_err_msg());
		return 1;
	}
	struct fp_event *buf = aligned_alloc(64, o.chunk * sizeof(*buf));
	struct fp_hist *h = aligned_alloc(64, sizeof(*h));
	if (!buf || !h) {
		fprintf(stderr, "fastpath-bench book: out of memory\n");
		return 1;
	}
	fp_hist_init(h);
	double timer = timer_cost_ns(&conv);

	enum {
		M_MEAN,
		M_PERS,
		M_P50,
		M_P99,
		M_P999,
		M_P9999,
		M_MAX,
		M_PREFIX,
		M_REF,
		M_REFS,
		M_RSS,
		M_CPU,
		M_PREFIX_CPU,
		M_REF_CPU,
		NB_M
	};
	static double v[NB_M][RUNS_MAX];
	struct run_out r = {0};
	for (uint32_t k = 0; k < o.runs; k++) {
		memset(&r, 0, sizeof(r));
		if (pass_throughput(&o, buf, &conv, &r) < 0 ||
		    pass_latency(&o, buf, &conv, h, &r) < 0 ||
		    pass_reference(&o, buf, &conv, &r) < 0) {
			fprintf(stderr, "fastpath-bench book: %s\n", fp_err_msg());
			return 1;
		}
		double got[NB_M] = {r.mean_ns,
				    r.per_s,
				    r.p50,
				    r.p99,
				    r.p999,
				    r.p9999,
				    r.max,
				    r.prefix_mean_ns,
				    r.ref_mean_ns,
				    r.ref_per_s,
				    r.rss,
				    r.cpu_mean_ns,
				    r.prefix_cpu_mean_ns,
				    r.ref_cpu_mean_ns};
		for (int m = 0; m < NB_M; m++)
			v[m][k] = got[m];
	}
	double med[NB_M];
	for (int m = 0; m < NB_M; m++)
		med[m] = median(v[m], o.runs);

	struct fp_bench_result res[2] = {{.name = "fastpath"}, {.name = "reference_book"}};
	fp_bench_metric(&res[0], "mean_ns", med[M_MEAN]);
	fp_bench_metric(&res[0], "cpu_mean_ns", med[M_CPU]);
	fp_bench_metric(&res[0], "messages_per_s", med[M_PERS]);
	fp_bench_metric(&res[0], "messages_per_cpu_s", 1e9 / med[M_CPU]);
	fp_bench_metric(&res[0], "p50_ns", med[M_P50]);
	fp_bench_metric(&res[0], "p99_ns", med[M_P99]);
	fp_bench_metric(&res[0], "p999_ns", med[M_P999]);
	fp_bench_metric(&res[0], "p9999_ns", med[M_P9999]);
	fp_bench_metric(&res[0], "max_ns", med[M_MAX]);
	fp_bench_metric(&res[0], "prefix_mean_ns", med[M_PREFIX]);
	fp_bench_metric(&res[0], "prefix_cpu_mean_ns", med[M_PREFIX_CPU]);
	fp_bench_metric(&res[0], "rss_bytes", med[M_RSS]);
	fp_bench_metric(&res[0], "timer_ns", timer);
	fp_bench_metric(&res[0], "messages", (double)o.messages);
	fp_bench_metric(&res[0], "runs", o.runs);
	fp_bench_metric(&res[0], "prefetch_stages", o.prefetch);
	fp_bench_metric(&res[0], "live_orders_end", (double)r.st.live_orders);
	fp_bench_metric(&res[0], "levels_used", (double)r.st.levels_used);
	fp_bench_metric(&res[1], "mean_ns", med[M_REF]);
	fp_bench_metric(&res[1], "cpu_mean_ns", med[M_REF_CPU]);
	fp_bench_metric(&res[1], "messages_per_s", med[M_REFS]);
	fp_bench_metric(&res[1], "messages", (double)FP_MIN(o.ref_messages, o.messages));
	struct fp_bench_result extra = {.name = "ratios"};
	fp_bench_metric(&extra, "ratio_mean", med[M_REF] / (med[M_PREFIX] ? med[M_PREFIX] : 1));
	fp_bench_metric(&extra, "ratio_cpu_mean",
			med[M_REF_CPU] / (med[M_PREFIX_CPU] ? med[M_PREFIX_CPU] : 1));
	fp_bench_report(stdout, "book", fp_bench_want_json(argc, argv), res, 2, &extra);
	free(buf);
	free(h);
	return 0;
}
