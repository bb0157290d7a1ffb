/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_sim.c - `fastpath-bench sim [--json] [--ops N] [--naive-ops N] [--symbols S]
 * [--depth D] [--runs R] [--msgs M]`: the simulator's matching engine and ITCH publisher.
 *
 * Matching: one deterministic list of order operations (a book of --depth resting orders
 * per symbol first, then 47% passive adds at 1+ ticks from a fixed fair price, 38% cancels
 * of live orders, 15% IOC orders 3 ticks through the fair price that take 1-3 levels) is
 * run through
 *   fastpath   fp_sim_engine (sorted level arrays, FIFO lists, hash index), no listeners
 *   naive      fp_sim_ref: one unsorted array, a full scan per fill and per cancel
 * Figures: orders_per_s (median of --runs untimed passes) and p50/p99/p99.9 of each
 * operation timed with the TSC (one more pass); the naive matcher runs only the first
 * --naive-ops operations of the same list (it is O(book) per operation).
 * Publishing: --msgs ITCH messages (adds, executions, cancels, deletes, replaces) through
 * fp_sim_itch_on_md into MoldUDP64 packets in memory, then also into a pcap file, against
 * the codec alone (fp_itch_encode into a buffer) as the reference.
 * Single thread, on whatever core it runs on (pin it with taskset for stable figures).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fp_bench.h"
#include "fp_err.h"
#include "fp_hist.h"
#include "fp_itch.h"
#include "fp_sim_engine.h"
#include "fp_sim_itch.h"
#include "fp_sim_ref.h"
#include "fp_tsc.h"

int fp_bench_sim(int argc, char **argv);
extern const char fp_bench_sim_summary[];
const char fp_bench_sim_summary[] =
	"simulator: matching engine orders/s and p50/p99 vs a naive matcher; ITCH publishing rate";

enum { OP_ADD, OP_IOC, OP_CANCEL };

struct op {
	int64_t px;
	uint64_t ref; /* cancel: the order's reference number */
	uint32_t qty;
	uint16_t locate;
	uint8_t kind;
	uint8_t side;
};

struct gen {
	uint64_t x;
};

static uint64_t next_rand(struct gen *g)
{
	g->x ^= g->x << 13;
	g->x ^= g->x >> 7;
	g->x ^= g->x << 17;
	return g->x;
}

static struct fp_sim_engine *make_engine(uint32_t symbols, uint32_t max_orders,
					 struct fp_sim_itch *pub);
static inline void engine_op(struct fp_sim_engine *e, const struct op *o, uint64_t ts);

/* The operation list: preload (nb_pre adds), then nb_ops mixed operations. A scratch
 * engine replays the list while it is made, so that every cancel names a live order (as a
 * trader's would) and the book stays near its preloaded depth; both matchers number orders
 * from 1, one per add or IOC, so the references mean the same order to both. */
static struct op *make_ops(uint32_t symbols, uint32_t depth, uint32_t nb_ops, uint32_t *nb_total)
{
	uint32_t nb_pre = symbols * depth;
	struct op *ops = calloc((size_t)nb_pre + nb_ops, sizeof(*ops));
	struct fp_sim_engine *scratch = make_engine(symbols, nb_pre + nb_ops + 1024, NULL);
	struct gen g = {.x = 88172645463325252ull};
	const int64_t fair = 10000; /* ticks of $0.01: $100.00 */
	for (uint32_t i = 0; i < nb_pre + nb_ops; i++) {
		struct op *o = &ops[i];
		uint64_t r = next_rand(&g);
		o->locate = (uint16_t)(1 + r % symbols);
		o->side = (r >> 16) & 1 ? 'B' : 'S';
		o->qty = 100 * (uint32_t)(1 + ((r >> 20) % 5));
		unsigned mix = (unsigned)((r >> 32) % 100);
		uint32_t live = fp_sim_engine_market_orders(scratch, o->locate);
		if (i >= nb_pre && mix < 38 && live) {
			o->kind = OP_CANCEL;
			o->ref = fp_sim_engine_market_order_at(scratch, o->locate,
							       (uint32_t)(next_rand(&g) % live));
		} else if (i >= nb_pre && mix >= 85) {
			o->kind = OP_IOC;
			o->px = (o->side == 'B' ? fair + 3 : fair - 3) * 100;
		} else {
			uint64_t dist = 1 + (next_rand(&g) % 8) +
					(next_rand(&g) % 3 == 0 ? next_rand(&g) % 20 : 0);
			o->kind = OP_ADD;
			o->px = (o->side == 'B' ? fair - (int64_t)dist : fair + (int64_t)dist) *
				100;
		}
		engine_op(scratch, o, i);
	}
	fp_sim_engine_destroy(scratch);
	*nb_total = nb_pre + nb_ops;
	return ops;
}

static struct fp_sim_engine *make_engine(uint32_t symbols, uint32_t max_orders,
					 struct fp_sim_itch *pub)
{
	struct fp_sim_engine_cfg c = {.max_orders = max_orders, .max_symbols = (uint16_t)symbols};
	if (pub)
		c.md_listener = (struct fp_sim_md_listener){pub, fp_sim_itch_on_md};
	struct fp_sim_engine *e = fp_sim_engine_create(&c);
	if (!e)
		return NULL;
	for (uint32_t l = 1; l <= symbols; l++) {
		char nm[9];
		snprintf(nm, sizeof(nm), "S%04u", l);
		fp_sim_engine_add_symbol(e, (uint16_t)l, nm, 100);
	}
	return e;
}

static inline void engine_op(struct fp_sim_engine *e, const struct op *o, uint64_t ts)
{
	if (o->kind == OP_CANCEL) {
		fp_sim_engine_cancel(e, o->ref, 0, FP_SIM_CXL_USER, ts);
		return;
	}
	struct fp_sim_order_req q = {.locate = o->locate,
				     .side = o->side,
				     .qty = o->qty,
				     .price = o->px,
				     .tif = o->kind == OP_IOC ? FP_SIM_TIF_IOC : FP_SIM_TIF_DAY,
				     .display = FP_SIM_DISPLAY_VISIBLE};
	fp_sim_engine_enter(e, &q, ts, NULL);
}

static inline void naive_op(struct fp_sim_ref *r, const struct op *o)
{
	if (o->kind == OP_CANCEL)
		fp_sim_ref_cancel(r, o->ref, 0);
	else
		fp_sim_ref_enter(r, o->locate, o->side, o->qty, o->px, o->kind == OP_IOC, NULL,
				 NULL);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void put_lat(struct fp_bench_result *r, const struct fp_hist *h)
{
	fp_bench_metric(r, "p50_ns", (double)fp_hist_percentile(h, 0.50));
	fp_bench_metric(r, "p99_ns", (double)fp_hist_percentile(h, 0.99));
	fp_bench_metric(r, "p999_ns", (double)fp_hist_percentile(h, 0.999));
	fp_bench_metric(r, "max_ns", (double)fp_hist_max(h));
	fp_bench_metric(r, "mean_ns", fp_hist_mean(h));
}

/* Synthetic md events for the publishing figures: a realistic mix of types. */
static void make_md(struct fp_sim_md *m, uint64_t i)
{
	static const uint8_t types[] = {'A', 'A', 'A', 'A', 'D', 'D', 'D', 'E', 'E', 'X', 'U', 'F'};
	memset(m, 0, sizeof(*m));
	m->type = types[i % sizeof(types)];
	m->ts_ns = 34200000000000ull + i * 1000;
	m->locate = (uint16_t)(1 + i % 100);
	m->ref = i + 1;
	m->new_ref = i + 2;
	m->side = i & 1 ? 'B' : 'S';
	m->qty = 100;
	m->price = 1000000 + (int64_t)(i % 50) * 100;
	m->match_number = i;
	memcpy(m->stock, "AAPL    ", 8);
	memcpy(m->mpid, "GSCO", 4);
}

static double publish_rate(uint64_t nb, const char *pcap)
{
	struct fp_sim_itch_cfg c;
	fp_sim_itch_cfg_default(&c);
	c.pcap_path = pcap;
	c.batch_ns = UINT64_MAX; /* flush by size only */
	struct fp_sim_itch *p = fp_sim_itch_create(&c);
	if (!p)
		return 0;
	struct fp_sim_md m;
	double t0 = now_s();
	for (uint64_t i = 0; i < nb; i++) {
		make_md(&m, i);
		fp_sim_itch_on_md(p, &m);
	}
	fp_sim_itch_end_session(p, 0);
	double dt = now_s() - t0;
	fp_sim_itch_destroy(p);
	return (double)nb / dt;
}

static double encode_rate(uint64_t nb)
{
	uint8_t *buf = malloc(1 << 20);
	uint32_t pos = 0;
	struct fp_sim_md m;
	double t0 = now_s();
	for (uint64_t i = 0; i < nb; i++) {
		make_md(&m, i);
		struct fp_itch_msg im;
		memset(&im, 0, sizeof(im));
		im.type = (char)m.type;
		im.stock_locate = m.locate;
		im.timestamp = m.ts_ns;
		im.u.add_order.order_reference_number = m.ref; /* same offset in every view used */
		im.u.add_order.shares = m.qty;
		if (pos + FP_ITCH_MAX_LEN > (1u << 20))
			pos = 0;
		pos += fp_itch_encode(&im, buf + pos, FP_ITCH_MAX_LEN);
	}
	double dt = now_s() - t0;
	volatile uint8_t sink = buf[pos / 2];
	(void)sink;
	free(buf);
	return (double)nb / dt;
}

int fp_bench_sim(int argc, char **argv)
{
	bool json = fp_bench_want_json(argc, argv);
	uint32_t nb_ops = 1000000, naive_ops = 20000, symbols = 100, depth = 50, runs = 5;
	uint64_t nb_msgs = 5000000;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--json"))
			continue;
		if (!strcmp(a, "--help")) {
			printf("usage: fastpath-bench sim [--json] [--ops N] [--naive-ops N] "
			       "[--symbols S] [--depth D] [--runs R] [--msgs M]\n%s\n",
			       fp_bench_sim_summary);
			return 0;
		}
		unsigned long long v;
		char *end;
		if (i + 1 >= argc || (v = strtoull(argv[i + 1], &end, 10), *end) || v == 0) {
			fprintf(stderr, "fastpath-bench sim: %s needs a positive integer\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--ops"))
			nb_ops = (uint32_t)v;
		else if (!strcmp(a, "--naive-ops"))
			naive_ops = (uint32_t)v;
		else if (!strcmp(a, "--symbols") && v <= 5000)
			symbols = (uint32_t)v;
		else if (!strcmp(a, "--depth"))
			depth = (uint32_t)v;
		else if (!strcmp(a, "--runs") && v <= 99)
			runs = (uint32_t)v;
		else if (!strcmp(a, "--msgs"))
			nb_msgs = v;
		else {
			fprintf(stderr, "fastpath-bench sim: unknown or out-of-range option '%s'\n",
				a);
			return 2;
		}
	}
	if (naive_ops > nb_ops)
		naive_ops = nb_ops;
	uint64_t hz;
	struct fp_tsc_conv conv;
	if (fp_tsc_calibrate(&hz) < 0 || fp_tsc_conv_init(&conv, hz) < 0) {
		fprintf(stderr, "fastpath-bench sim: %s\n", fp_err_msg());
		return 1;
	}
	uint32_t nb_total;
	struct op *ops = make_ops(symbols, depth, nb_ops, &nb_total);
	uint32_t nb_pre = nb_total - nb_ops;
	uint32_t max_orders = nb_total + 1024;
	struct fp_hist *h = aligned_alloc(64, FP_ALIGN_UP(sizeof(*h), 64));
	double *rate = calloc(runs, sizeof(double));

	/* fastpath: throughput runs (untimed per op), then one timed pass */
	for (uint32_t r = 0; r < runs; r++) {
		struct fp_sim_engine *e = make_engine(symbols, max_orders, NULL);
		for (uint32_t i = 0; i < nb_pre; i++)
			engine_op(e, &ops[i], i);
		double t0 = now_s();
		for (uint32_t i = nb_pre; i < nb_total; i++)
			engine_op(e, &ops[i], i);
		rate[r] = (double)nb_ops / (now_s() - t0);
		fp_sim_engine_destroy(e);
	}
	double eng_rate = fp_bench_median(rate, runs);
	struct fp_sim_engine *e = make_engine(symbols, max_orders, NULL);
	for (uint32_t i = 0; i < nb_pre; i++)
		engine_op(e, &ops[i], i);
	fp_hist_init(h);
	for (uint32_t i = nb_pre; i < nb_total; i++) {
		uint64_t t = fp_tsc_now();
		engine_op(e, &ops[i], i);
		fp_hist_record(h, fp_tsc_to_ns(&conv, fp_tsc_now() - t));
	}
	const struct fp_sim_engine_stats *es = fp_sim_engine_stats(e);
	struct fp_bench_result res[3];
	memset(res, 0, sizeof(res));
	res[0].name = "fastpath";
	fp_bench_metric(&res[0], "orders_per_s", eng_rate);
	put_lat(&res[0], h);
	fp_bench_metric(&res[0], "ops", nb_ops);
	fp_bench_metric(&res[0], "trades", (double)es->nb_trades);
	fp_bench_metric(&res[0], "live_orders_end", es->nb_live);
	fp_sim_engine_destroy(e);

	/* fastpath with the ITCH publisher attached (into memory): the simulator's real path */
	struct fp_sim_itch_cfg pc;
	fp_sim_itch_cfg_default(&pc);
	pc.batch_ns = UINT64_MAX;
	struct fp_sim_itch *pub = fp_sim_itch_create(&pc);
	e = make_engine(symbols, max_orders, pub);
	for (uint32_t i = 0; i < nb_pre; i++)
		engine_op(e, &ops[i], i);
	double t0 = now_s();
	for (uint32_t i = nb_pre; i < nb_total; i++)
		engine_op(e, &ops[i], i);
	double with_itch = (double)nb_ops / (now_s() - t0);
	fp_bench_metric(&res[0], "orders_with_itch_per_s", with_itch);
	fp_sim_engine_destroy(e);
	fp_sim_itch_destroy(pub);

	/* publishing alone: memory, then pcap */
	double pub_mem = publish_rate(nb_msgs, NULL);
	char path[64];
	snprintf(path, sizeof(path), "/tmp/fp_bench_sim_%d.pcap", (int)getpid());
	double pub_pcap = publish_rate(nb_msgs, path);
	unlink(path);
	fp_bench_metric(&res[0], "itch_mem_msgs_per_s", pub_mem);
	fp_bench_metric(&res[0], "itch_pcap_msgs_per_s", pub_pcap);

	/* naive: the first naive_ops operations of the same list, timed per op */
	struct fp_sim_ref ref;
	fp_sim_ref_init(&ref, nb_pre + 1024);
	for (uint32_t i = 0; i < nb_pre; i++)
		naive_op(&ref, &ops[i]);
	fp_hist_init(h);
	t0 = now_s();
	for (uint32_t i = nb_pre; i < nb_pre + naive_ops; i++) {
		uint64_t t = fp_tsc_now();
		naive_op(&ref, &ops[i]);
		fp_hist_record(h, fp_tsc_to_ns(&conv, fp_tsc_now() - t));
	}
	double naive_rate = (double)naive_ops / (now_s() - t0);
	fp_sim_ref_fini(&ref);
	res[1].name = "naive";
	fp_bench_metric(&res[1], "orders_per_s", naive_rate);
	put_lat(&res[1], h);
	fp_bench_metric(&res[1], "ops", naive_ops);

	res[2].name = "itch_encode";
	double enc = encode_rate(nb_msgs);
	fp_bench_metric(&res[2], "itch_mem_msgs_per_s", enc);

	struct fp_bench_result extra;
	memset(&extra, 0, sizeof(extra));
	fp_bench_metric(&extra, "ratio_orders_per_s_fastpath_vs_naive", eng_rate / naive_rate);
	fp_bench_metric(&extra, "ratio_p50_naive_vs_fastpath",
			fp_bench_get(&res[1], "p50_ns", 0) /
				FP_MAX(fp_bench_get(&res[0], "p50_ns", 1), 1));
	fp_bench_metric(&extra, "ratio_publish_vs_encode", pub_mem / enc);
	fp_bench_metric(&extra, "symbols", symbols);
	fp_bench_metric(&extra, "depth_per_symbol", depth);
	fp_bench_metric(&extra, "runs", runs);
	fp_bench_report(stdout, "sim", json, res, 3, &extra);
	free(rate);
	free(h);
	free(ops);
	return 0;
}
