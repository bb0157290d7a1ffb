/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_backtest.c - `fastpath-bench backtest [--json] [--msgs N] [--runs R]`: replay
 * throughput of `fastpath backtest` (backtest/fp_bt.h) against `fastpath-md book` (the
 * book alone) on the same file in the same run.
 *
 *   book        what `fastpath-md book` does: the file walker, fp_md_normalize and the book
 *               core, nothing else (the reference)
 *   fastpath    the backtest with the market maker quoting symbol 1 (strategy host, risk,
 *               venue; no journal, no report files)
 *   idle        the backtest with a strategy that never trades (mm on a symbol not in the
 *               file): the price of the pipeline itself
 * The file: a synthetic MoldUDP64 pcap of --msgs messages (2 M) over 8 symbols (dataplane's
 * generator, seed 1) in /tmp (--keep F keeps it as F), or --data FILE (a recording; the
 * market maker then quotes symbol 2). Medians of --runs of the CPU time
 * of the thread (the machine may be shared) in the replay alone: the book's walk, the
 * backtest's replay_cpu_s (set-up and teardown excluded in both); ratio_time_per_msg =
 * fastpath / book.
 * Goal (issue 13): >= 10 M msg/s with the market maker, ratio <= 1.5.
 *
 * Cold tool: allocates, makes syscalls, prints.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fp_bench.h"
#include "fp_book.h"
#include "fp_bt.h"
#include "fp_ctl_md.h"
#include "fp_err.h"
#include "fp_md_gen.h"
#include "fp_md_normalize.h"

int fp_bench_backtest(int argc, char **argv);
extern const char fp_bench_backtest_summary[];
const char fp_bench_backtest_summary[] =
	"backtest replay throughput (idle, market maker) vs fastpath-md book on the same file";

#define RUNS_MAX 9

/* CPU time of this thread: the shared 2-core machines run many jobs at once, and the
 * question is what one core does per message (wall time is in report.json). */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct book_ref {
	struct fp_book_core bc;
	uint64_t applied;
};

/* fastpath-md book's callback (control/fp_ctl_md_book.c), without the names. */
static int book_msg(void *arg, const struct fp_ctl_md_msg *m)
{
	struct book_ref *c = arg;
	struct fp_event ev;
	if (m->result != FP_ITCH_OK || m->duplicate)
		return 0;
	if (fp_md_normalize(m->msg, m->len, m->seq, 0, 0, &ev) != FP_ITCH_OK)
		return 0;
	fp_book_core_apply(&c->bc, &ev);
	c->applied++;
	return 0;
}

static double run_book(const char *path, uint64_t *msgs)
{
	static struct fp_ctl_md_stats st;
	struct fp_ctl_md_file f;
	struct book_ref c = {0};
	struct fp_book_cfg cfg;
	fp_book_cfg_default(&cfg);
	cfg.max_symbols = 1024;
	cfg.max_orders = 1 << 20;
	cfg.populate = 0;
	if (fp_book_core_init(&c.bc, &cfg) < 0 || fp_ctl_md_file_open(&f, path) < 0)
		return -1;
	double t0 = now_s();
	fp_ctl_md_walk(&f, -1, book_msg, &c, &st);
	double t = now_s() - t0;
	*msgs = c.applied;
	fp_ctl_md_file_close(&f);
	fp_book_core_fini(&c.bc);
	return t;
}

static double run_bt(const char *config, const char *path, uint64_t *msgs, uint64_t *orders)
{
	static struct fp_bt_result res;
	struct fp_bt_opts o = {.config = config,
			       .data = {path},
			       .nb_data = 1,
			       .from_ns = -1,
			       .to_ns = -1,
			       .seed = 1,
			       .no_journal = true};
	if (fp_bt_run(&o, &res) < 0)
		return -1;
	*msgs = res.messages;
	*orders = res.orders_to_venue;
	return res.replay_cpu_s; /* the replay alone, as run_book times the walk alone */
}

static int write_config(const char *path, uint32_t symbol)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f,
		"instance = \"bench\";\n"
		"book = { symbols = 1024; orders = 1048576; populate = false; };\n"
		"strategies = { timer_us = 1000; list = ( { id = 1; name = \"mm\"; symbol = %u;\n"
		"  params = [\"size=100\", \"half_spread=100\", \"requote=100\"]; } ); };\n"
		"risk = { limits = \"%s/config/risk.conf\"; env = \"dev\"; symbols = 1024; };\n"
		"backtest = { latency = \"entry=5us,resp=5us\"; };\n",
		symbol, FP_SOURCE_DIR);
	fclose(f);
	return 0;
}

int fp_bench_backtest(int argc, char **argv)
{
	bool json = fp_bench_want_json(argc, argv);
	uint64_t nb = 2000000;
	unsigned runs = 3;
	const char *keep = NULL, *data = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--keep") && i + 1 < argc) {
			keep = argv[++i];
		} else if (!strcmp(argv[i], "--data") && i + 1 < argc) {
			data = argv[++i];
		} else if (!strcmp(argv[i], "--msgs") && i + 1 < argc) {
			if (fp_bench_opt_u64("backtest", "--msgs", argv[++i], UINT64_MAX, &nb) < 0)
				return 2;
		} else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
			uint64_t v;
			if (fp_bench_opt_u64("backtest", "--runs", argv[++i], RUNS_MAX, &v) < 0)
				return 2;
			runs = (unsigned)v;
		} else if (strcmp(argv[i], "--json")) {
			fprintf(stderr, "usage: fastpath-bench backtest [--json] [--msgs N] "
					"[--runs R] [--keep PCAP] [--data FILE]\n");
			return 2;
		}
	}
	if (runs < 1 || runs > RUNS_MAX || nb < 1000) {
		fprintf(stderr, "fastpath-bench backtest: --runs 1..%d, --msgs >= 1000\n",
			RUNS_MAX);
		return 2;
	}
	char pcap[128], cfg_mm[128], cfg_idle[128];
	snprintf(pcap, sizeof(pcap), "%s", keep ? keep : "/tmp/fp-bench-bt.pcap");
	if (!keep)
		snprintf(pcap, sizeof(pcap), "/tmp/fp-bench-bt.%d.pcap", (int)getpid());
	snprintf(cfg_mm, sizeof(cfg_mm), "/tmp/fp-bench-bt.%d.mm.conf", (int)getpid());
	snprintf(cfg_idle, sizeof(cfg_idle), "/tmp/fp-bench-bt.%d.idle.conf", (int)getpid());
	struct fp_md_feed feed;
	struct fp_md_gen_cfg gc = {.nb_msgs = nb,
				   .max_per_pkt = 8,
				   .nb_symbols = 8,
				   .seed = 1,
				   .session = "BENCHBT001",
				   .dst_addr = 0xefc00001,
				   .dst_port = 26400,
				   .ts0_ns = 1291190400000000000ull + 34200000000000ull, /* 09:30 */
				   .pkt_interval_ns = 2000};
	uint8_t *img;
	size_t len;
	int rc = 1;
	if (data) { /* a given recording instead of the synthetic feed */
		snprintf(pcap, sizeof(pcap), "%s", data);
		keep = data;
		if (write_config(cfg_mm, 2) < 0 || write_config(cfg_idle, 1000) < 0)
			return 1;
	} else if (fp_md_gen_feed(&feed, &gc) < 0 ||
		   fp_md_gen_pcap(&feed, false, NULL, NULL, &img, &len) < 0 ||
		   fp_md_gen_write_file(pcap, img, len) < 0 || write_config(cfg_mm, 1) < 0 ||
		   write_config(cfg_idle, 60) < 0) {
		fprintf(stderr, "fastpath-bench backtest: %s\n", fp_err_msg());
		return 1;
	}
	if (!data) {
		free(img);
		fp_md_gen_free(&feed);
	}

	double tb[RUNS_MAX], tm[RUNS_MAX], ti[RUNS_MAX];
	uint64_t mb = 0, mm = 0, mi = 0, orders = 0, o2;
	for (unsigned r = 0; r < runs; r++) { /* interleaved: the machine's mood hits all */
		tb[r] = run_book(pcap, &mb);
		tm[r] = run_bt(cfg_mm, pcap, &mm, &orders);
		ti[r] = run_bt(cfg_idle, pcap, &mi, &o2);
		if (tb[r] < 0 || tm[r] < 0 || ti[r] < 0) {
			fprintf(stderr, "fastpath-bench backtest: %s\n", fp_err_msg());
			goto out;
		}
	}
	double b = fp_bench_median(tb, runs), m = fp_bench_median(tm, runs),
	       i = fp_bench_median(ti, runs);
	struct fp_bench_result res[3] = {{.name = "fastpath"}, {.name = "idle"}, {.name = "book"}};
	struct fp_bench_result extra = {.name = "run"};
	fp_bench_metric(&res[0], "msgs_per_s", (double)mm / m);
	fp_bench_metric(&res[0], "ns_per_msg", m * 1e9 / (double)mm);
	fp_bench_metric(&res[0], "orders", (double)orders);
	fp_bench_metric(&res[1], "msgs_per_s", (double)mi / i);
	fp_bench_metric(&res[1], "ns_per_msg", i * 1e9 / (double)mi);
	fp_bench_metric(&res[2], "msgs_per_s", (double)mb / b);
	fp_bench_metric(&res[2], "ns_per_msg", b * 1e9 / (double)mb);
	fp_bench_metric(&extra, "messages", (double)mb);
	fp_bench_metric(&extra, "ratio_time_per_msg", (m / (double)mm) / (b / (double)mb));
	fp_bench_metric(&extra, "ratio_idle_time_per_msg", (i / (double)mi) / (b / (double)mb));
	fp_bench_report(stdout, "backtest", json, res, 3, &extra);
	rc = 0;
out:
	if (!keep)
		unlink(pcap);
	unlink(cfg_mm);
	unlink(cfg_idle);
	return rc;
}
