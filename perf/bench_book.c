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
 *          prefetch pipeline (order slot 8 events ahead, symbol 4, levels 2), no timer inside:
 *          mean ns/message, messages/s.
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
	uint32_t near_symbols, near_live; /**< the NASDAQ-shaped flow */
	uint32_t flows;                   /**< bit 0: deep, bit 1: NASDAQ-shaped */
	uint32_t shape;                   /**< the flow being run (enum fp_book_flow_shape) */
	uint32_t prefetch;                /**< prefetch stages used (0 .. 3; the stage uses 3) */
	uint64_t seed;
};

struct run_out {
	double mean_ns, per_s, p50, p99, p999, p9999, max;
	double prefix_mean_ns, ref_mean_ns, ref_per_s;
	double cpu_mean_ns, prefix_cpu_mean_ns, ref_cpu_mean_ns;
	double rss, huge_bytes, map_bytes, hugetlb;
	char warning[256];
	struct fp_book_stats st;
};

/** CPU time of this thread (ns): excludes the time the scheduler gave to others. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
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
	fc->shape = o->shape;
	fc->nb_symbols = o->shape == FP_BOOK_FLOW_NEAR ? o->near_symbols : o->symbols;
	fc->target_live = o->shape == FP_BOOK_FLOW_NEAR ? o->near_live : o->live;
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
	out->huge_bytes = (double)fp_book_core_huge_bytes(&bc);
	out->map_bytes = (double)bc.mem.bytes;
	out->hugetlb = bc.mem.backing == FP_HUGEMEM_HUGETLB;
	snprintf(out->warning, sizeof(out->warning), "%s", bc.warning);
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
		"                           [--flow deep|nasdaq|both] [--symbols S] [--live L]\n"
		"                           [--nasdaq-symbols S] [--nasdaq-live L] [--chunk C]\n"
		"                           [--prefetch P] [--seed X]\n"
		"  --messages N      md messages per run (default 50000000, 1000 .. 2000000000)\n"
		"  --runs R          runs; medians are reported (default 3, 1 .. %d)\n"
		"  --ref-messages M  prefix given to the reference book (default 5000000)\n"
		"  --flow F          deep: orders up to 400 ticks from the mid, 5 %% sub-penny "
		"(books\n"
		"                    thousands of levels deep); nasdaq: shaped like a NASDAQ day\n"
		"                    (orders within a few ticks of the touch, penny prices, a few\n"
		"                    thousand active symbols); both (default)\n"
		"  --symbols S       deep flow: symbols with orders (default 8192, 1 .. 16383)\n"
		"  --live L          deep flow: live orders it hovers around (default 1000000, <= "
		"4 M)\n"
		"  --nasdaq-symbols S  nasdaq flow: active symbols (default 3000)\n"
		"  --nasdaq-live L   nasdaq flow: live orders (default 300000)\n"
		"  --chunk C         events generated and loaded before each timed chunk (4 M)\n"
		"  --prefetch P      prefetch stages: 0 none, 1 order slot, 2 +symbol, 3 +levels "
		"(default, as the stage)\n",
		RUNS_MAX);
}

static int parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.messages = 50000000,
			   .ref_messages = 5000000,
			   .chunk = 4u << 20,
			   .runs = 3,
			   .symbols = 8192,
			   .live = 1000000,
			   .near_symbols = 3000,
			   .near_live = 300000,
			   .flows = 3,
			   .prefetch = 3,
			   .seed = 42};
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
		} else if (i + 1 < argc && !strcmp(a, "--flow")) {
			const char *f = argv[++i];
			o->flows = !strcmp(f, "deep")     ? 1u
				   : !strcmp(f, "nasdaq") ? 2u
				   : !strcmp(f, "both")   ? 3u
							  : 0u;
			if (!o->flows) {
				fprintf(stderr,
					"fastpath-bench book: --flow '%s': say deep, nasdaq or "
					"both\n",
					f);
				return -1;
			}
		} else if (i + 1 < argc && !strcmp(a, "--nasdaq-symbols")) {
			uint64_t v_;
			if (fp_bench_opt_u64("book", argv[i], argv[i + 1], UINT32_MAX, &v_) < 0)
				return -1;
			o->near_symbols = (uint32_t)v_;
			i++;
		} else if (i + 1 < argc && !strcmp(a, "--nasdaq-live")) {
			uint64_t v_;
			if (fp_bench_opt_u64("book", argv[i], argv[i + 1], UINT32_MAX, &v_) < 0)
				return -1;
			o->near_live = (uint32_t)v_;
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
	    o->live < 1 || o->live > 4000000 || o->near_symbols < 1 ||
	    o->near_symbols >= FP_BOOK_DEFAULT_SYMBOLS || o->near_live < 1 ||
	    o->near_live > 4000000 || o->chunk < 1024 || o->chunk > (64u << 20) ||
	    o->ref_messages < 1 || o->prefetch > 3) {
		fprintf(stderr, "fastpath-bench book: an option is out of range (see --help)\n");
		return -1;
	}
	return 0;
}

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
	M_HUGE,
	NB_M
};

/** Run one flow o->runs times: medians into @p med, the last run into @p last. */
static int run_flow(const struct opts *o, struct fp_event *buf, const struct fp_tsc_conv *conv,
		    struct fp_hist *h, double med[NB_M], struct run_out *last)
{
	double v[NB_M][RUNS_MAX];
	for (uint32_t k = 0; k < o->runs; k++) {
		memset(last, 0, sizeof(*last));
		if (pass_throughput(o, buf, conv, last) < 0 ||
		    pass_latency(o, buf, conv, h, last) < 0 ||
		    pass_reference(o, buf, conv, last) < 0)
			return -1;
		double got[NB_M] = {last->mean_ns,
				    last->per_s,
				    last->p50,
				    last->p99,
				    last->p999,
				    last->p9999,
				    last->max,
				    last->prefix_mean_ns,
				    last->ref_mean_ns,
				    last->ref_per_s,
				    last->rss,
				    last->cpu_mean_ns,
				    last->prefix_cpu_mean_ns,
				    last->ref_cpu_mean_ns,
				    last->huge_bytes};
		for (int m = 0; m < NB_M; m++)
			v[m][k] = got[m];
	}
	for (int m = 0; m < NB_M; m++)
		med[m] = fp_bench_median(v[m], o->runs);
	return 0;
}

/** The results of one flow: ours into @p us, the reference into @p ref, ratios into @p ex. */
static void report_flow(const struct opts *o, const double med[NB_M], const struct run_out *r,
			double timer, struct fp_bench_result *us, struct fp_bench_result *ref,
			struct fp_bench_result *ex)
{
	fp_bench_metric(us, "mean_ns", med[M_MEAN]);
	fp_bench_metric(us, "cpu_mean_ns", med[M_CPU]);
	fp_bench_metric(us, "messages_per_s", med[M_PERS]);
	fp_bench_metric(us, "messages_per_cpu_s", 1e9 / med[M_CPU]);
	fp_bench_metric(us, "p50_ns", med[M_P50]);
	fp_bench_metric(us, "p99_ns", med[M_P99]);
	fp_bench_metric(us, "p999_ns", med[M_P999]);
	fp_bench_metric(us, "p9999_ns", med[M_P9999]);
	fp_bench_metric(us, "max_ns", med[M_MAX]);
	fp_bench_metric(us, "prefix_mean_ns", med[M_PREFIX]);
	fp_bench_metric(us, "prefix_cpu_mean_ns", med[M_PREFIX_CPU]);
	fp_bench_metric(us, "rss_bytes", med[M_RSS]);
	/* page backing of the tables: explicit (hugetlb 1) or transparent, and how much of the
	 * mapping the kernel really backs with huge pages at the end of a run */
	fp_bench_metric(us, "table_bytes", r->map_bytes);
	fp_bench_metric(us, "table_huge_bytes", med[M_HUGE]);
	fp_bench_metric(us, "hugetlb", r->hugetlb);
	fp_bench_metric(us, "timer_ns", timer);
	fp_bench_metric(us, "messages", (double)o->messages);
	fp_bench_metric(us, "runs", o->runs);
	fp_bench_metric(us, "symbols",
			o->shape == FP_BOOK_FLOW_NEAR ? o->near_symbols : o->symbols);
	fp_bench_metric(us, "live_orders_end", (double)r->st.live_orders);
	fp_bench_metric(us, "levels_used", (double)r->st.levels_used);
	fp_bench_metric(ref, "mean_ns", med[M_REF]);
	fp_bench_metric(ref, "cpu_mean_ns", med[M_REF_CPU]);
	fp_bench_metric(ref, "messages_per_s", med[M_REFS]);
	fp_bench_metric(ref, "messages", (double)FP_MIN(o->ref_messages, o->messages));
	int near = o->shape == FP_BOOK_FLOW_NEAR;
	fp_bench_metric(ex, near ? "ratio_mean_nasdaq" : "ratio_mean",
			med[M_REF] / (med[M_PREFIX] ? med[M_PREFIX] : 1));
	fp_bench_metric(ex, near ? "ratio_cpu_mean_nasdaq" : "ratio_cpu_mean",
			med[M_REF_CPU] / (med[M_PREFIX_CPU] ? med[M_PREFIX_CPU] : 1));
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

	static const struct {
		uint32_t bit, shape;
		const char *us, *ref;
	} flows[] = {
		{1, FP_BOOK_FLOW_DEEP, "fastpath", "reference_book"},
		{2, FP_BOOK_FLOW_NEAR, "fastpath_nasdaq", "reference_book_nasdaq"},
	};
	struct fp_bench_result res[4];
	struct fp_bench_result extra = {.name = "ratios"};
	unsigned nb = 0;
	struct run_out r;
	for (unsigned f = 0; f < FP_ARRAY_SIZE(flows); f++) {
		if (!(o.flows & flows[f].bit))
			continue;
		double med[NB_M];
		o.shape = flows[f].shape;
		if (run_flow(&o, buf, &conv, h, med, &r) < 0) {
			fprintf(stderr, "fastpath-bench book: %s\n", fp_err_msg());
			return 1;
		}
		if (r.warning[0] && nb == 0)
			fprintf(stderr, "fastpath-bench book: %s\n", r.warning);
		res[nb] = (struct fp_bench_result){.name = flows[f].us};
		res[nb + 1] = (struct fp_bench_result){.name = flows[f].ref};
		report_flow(&o, med, &r, timer, &res[nb], &res[nb + 1], &extra);
		nb += 2;
	}
	fp_bench_report(stdout, "book", fp_bench_want_json(argc, argv), res, nb, &extra);
	free(buf);
	free(h);
	return 0;
}
