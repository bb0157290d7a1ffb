/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_risk.c - `fastpath-bench risk [--json] [--orders N] [--runs R]`: latency of the full
 * pre-trade check set per order, against a naive reference measured in the same run.
 *
 * One thread. A stream of N intents over 1023 symbols and 8 strategies (90 % new orders at
 * prices inside the collar, 10 % cancels of open orders; about 1 % of new orders are refused
 * by a limit) is built first. Each run sends the same stream through:
 *   fastpath  fp_risk_check() with every check active: kill switch, breaker, trading state,
 *             restricted, halted, stale (age), quantity, price, collar, notional, position
 *             with open orders, open orders (symbol, strategy, total), gross, net, daily
 *             loss, losses in a row, duplicate id (hash), order and cancel throttles
 *             (strategy and symbol); per-order state recorded on acceptance.
 *   naive     the shape of the system we replace: one mutex, symbol limits found by a
 *             linear scan over names, duplicate ids, open-order counts and position
 *             worst case by linear scans of the open-order list, a rate window scanned
 *             per order; it checks fewer things (quantity, price, notional, position,
 *             open orders, duplicates, rate).
 *   fastpath_batched  the same, prefetching the next intent's lines before each check (timed
 *             with it), as the stage does inside a batch of intents.
 *   fastpath_top_first  the same, each intent preceded (untimed) by a book top of its symbol
 *             taken as the stage takes it (fp_risk_on_top, then fp_risk_prefetch_symbol):
 *             in the pipeline the top that made a strategy act reaches risk first.
 * Between intents, untimed, the harness feeds execution reports (fills and cancels) so that
 * about 256 orders stay open and positions move. Each intent is timed alone with the TSC
 * (the timer's own cost, `timer_ns`, is measured and reported, not subtracted). Figures:
 * p50/p99/p99.9/max per check and checks per second (whole stream / wall time), median over
 * --runs runs. The naive reference scans a table of 1024 names: it runs at counts below 1024.
 * Reported beside them: where the engine's tables and the limit set live (hugetlb, thp with
 * the share the kernel granted, small; fp_hugemem.h) and the timer's own cost.
 * Goal (issue 15 section 4): p99 <= 50 ns at 1023 and 8192 symbols.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_bench.h"
#include "fp_err.h"
#include "fp_hist.h"
#include "fp_risk_core.h"
#include "fp_hugemem.h"
#include "fp_tsc.h"

int fp_bench_risk(int argc, char **argv);
extern const char fp_bench_risk_summary[];
const char fp_bench_risk_summary[] =
	"full pre-trade check set per order (p50/p99/p99.9/max, checks/s) vs a naive mutex+scan";

#define NSYM_MAX   8192 /* most symbols that get orders (--symbols) */
#define NSYM_NAIVE 1024 /* the naive reference's name table */
#define NSTRAT     8
#define OPEN_KEEP  256
#define RUNS_MAX   15
#define PX         1000000
#define NAIVE_OPEN 4096
#define RATE_WIN   1024
#ifndef ORDER_CAP
#define ORDER_CAP (1u << 21)
#endif

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ---- the stream ---- */

struct stream {
	struct fp_event *ev;
	uint32_t n;
};

static int stream_build(struct stream *st, uint32_t n, uint32_t nsym, uint64_t seed)
{
	st->ev = aligned_alloc(64, sizeof(*st->ev) * n);
	if (!st->ev)
		return -1;
	st->n = n;
	uint64_t s = seed | 1, next_id[NSTRAT] = {0};
	uint64_t recent[64] = {0};
	for (uint32_t i = 0; i < n; i++) {
		struct fp_event *e = &st->ev[i];
		memset(e, 0, sizeof(*e));
		uint64_t r = rng_next(&s);
		uint16_t strat = (uint16_t)(r % NSTRAT);
		uint32_t sym = 1 + (uint32_t)((r >> 8) % nsym);
		if ((r >> 20) % 10 == 0 && recent[(r >> 24) % 64]) { /* cancel */
			e->type = FP_EV_ORDER_CANCEL;
			e->u.order.orig_client_order_id = recent[(r >> 24) % 64];
			e->u.order.strategy_id = (uint16_t)(recent[(r >> 24) % 64] >> 48);
			e->symbol_id = sym;
			continue;
		}
		e->type = FP_EV_ORDER_NEW;
		e->symbol_id = sym;
		e->source = strat;
		uint64_t id = ((uint64_t)strat << 48) | ++next_id[strat];
		uint32_t qty = 100 * (uint32_t)(1 + (r >> 32) % 5);
		if ((r >> 40) % 100 == 0)
			qty = 20000; /* above qty_max: about 1 % refused */
		e->u.order = (struct fp_ev_order){
			.client_order_id = id,
			.price = PX + (int64_t)((r >> 44) % 200) - 100,
			.shares = qty,
			.strategy_id = strat,
			.side = (r >> 60) & 1 ? FP_SIDE_BUY : FP_SIDE_SELL,
		};
		recent[(r >> 50) % 64] = id;
	}
	return 0;
}

/* ---- fastpath ---- */

/* Limits for symbols 1 .. nsym (the table covers ids 0 .. nsym). */
static void fast_limits(struct fp_risk_limits *l, uint64_t hz, uint32_t nsym)
{
	fp_risk_limits_default(l, nsym + 1);
	l->g.max_gross = (int64_t)1 << 50;
	l->g.max_net = (int64_t)1 << 48;
	l->g.max_daily_loss = (int64_t)1 << 45;
	l->g.max_open_orders = 100000;
	l->g.max_consec_losses = 1000000;
	l->g.stale_ms = 600000;
	for (unsigned i = 0; i < NSTRAT; i++) {
		l->strat[i].max_gross = (int64_t)1 << 49;
		l->strat[i].max_net = (int64_t)1 << 47;
		l->strat[i].max_daily_loss = (int64_t)1 << 44;
		l->strat[i].max_open_orders = 50000;
		l->strat[i].max_consec_losses = 1000000;
		l->strat[i].order_rate = 100000000;
		l->strat[i].order_burst = 100000;
		l->strat[i].cancel_rate = 100000000;
		l->strat[i].cancel_burst = 100000;
	}
	for (unsigned i = 0; i <= nsym; i++) {
		struct fp_risk_sym_limits *y = &l->sym[i];
		y->price_min = 100;
		y->price_max = 100000000;
		y->qty_min = 1;
		y->qty_max = 10000;
		y->max_notional = (int64_t)1 << 40;
		y->max_position = 1000000;
		y->collar_bps = 500;
		y->max_open_orders = 1000;
		y->order_rate = 10000000;
		y->order_burst = 10000;
		y->cancel_rate = 10000000;
		y->cancel_burst = 10000;
	}
	fp_risk_limits_derive(l, hz);
}

struct fifo {
	struct fp_event ev[OPEN_KEEP * 2];
	uint32_t head, tail;
};

/* Untimed: answer the oldest accepted orders (every 5th filled, the rest canceled). */
static void settle(struct fp_risk_core *rc, struct fifo *f, uint32_t keep, uint64_t *k)
{
	while (f->tail - f->head > keep) {
		const struct fp_event *o = &f->ev[f->head++ % (OPEN_KEEP * 2)];
		struct fp_event x = {.type = ++*k % 5 ? FP_EV_EXEC_CANCELED : FP_EV_EXEC_FILL};
		x.u.exec.client_order_id = o->u.order.client_order_id;
		x.u.exec.shares = o->u.order.shares;
		x.u.exec.price = o->u.order.price;
		fp_risk_on_exec(rc, &x);
	}
}

struct run_out {
	double p50, p99, p999, max, per_s, accepted;
	unsigned backing, huge_pct; /* the engine's tables (fp_hugemem.h) */
};

static int run_fast(const struct stream *st, uint32_t nsym, const struct fp_risk_limits *lim,
		    const struct fp_tsc_conv *conv, struct fp_hist *h, struct run_out *out,
		    int mode) /* 0 plain, 1 batched, 2 top first */
{
	struct fp_risk_core rc;
	static struct fp_shm_ctl ctl; /* kill switch and trading state, read on every order */
	fp_shm_ctl_init(&ctl);
	fp_shm_ctl_set_trading(&ctl, FP_TRADING_ON, "bench", "start");
	struct fp_risk_core_cfg cfg = {.kill_word = &ctl.kill,
				       .trading_word = &ctl.trading_state,
				       .nb_symbols = nsym + 1,
				       .order_capacity = ORDER_CAP,
				       .pos_capacity = 1u << 14};
	while (cfg.pos_capacity < NSTRAT * (nsym + 1)) /* a position per (strategy, symbol) */
		cfg.pos_capacity <<= 1;
	if (fp_risk_core_init(&rc, &cfg) < 0)
		return -1;
	uint64_t now = fp_tsc_now();
	out->backing = rc.mem.backing;
	out->huge_pct = rc.mem.huge_pct;
	for (uint32_t s = 1; s <= nsym; s++) {
		struct fp_event t = {.type = FP_EV_BOOK_TOP, .symbol_id = s};
		t.u.top.bid_price = PX - 50;
		t.u.top.ask_price = PX + 50;
		fp_risk_on_top(&rc, &t, now);
	}
	struct fifo *f = calloc(1, sizeof(*f));
	fp_hist_reset(h);
	uint64_t k = 0, t_all = 0;
	for (uint32_t i = 0; i < st->n; i++) {
		const struct fp_event *ev = &st->ev[i];
		if (mode == 2 && ev->symbol_id <= nsym) {
			/* untimed, as in the stage: risk takes the top that made the strategy
			 * act before its intent (tops are polled first) and prefetches then */
			struct fp_event t = {.type = FP_EV_BOOK_TOP, .symbol_id = ev->symbol_id};
			t.u.top.bid_price = PX - 50;
			t.u.top.ask_price = PX + 50;
			fp_risk_on_top(&rc, &t, now);
			fp_risk_prefetch_symbol(&rc, lim, ev->symbol_id);
		}
		uint64_t t0 = fp_tsc_now_ordered();
		if (mode == 1 && i + 1 < st->n) /* as the stage does inside a batch: timed too */
			fp_risk_prefetch(&rc, lim, &st->ev[i + 1]);
		enum fp_risk_reason why = fp_risk_check(&rc, lim, ev, t0);
		uint64_t t1 = fp_tsc_now_ordered();
		fp_hist_record(h, t1 - t0);
		t_all += t1 - t0;
		if (why == FP_RISK_OK && ev->type == FP_EV_ORDER_NEW) {
			f->ev[f->tail++ % (OPEN_KEEP * 2)] = *ev;
			settle(&rc, f, OPEN_KEEP, &k);
		}
	}
	out->p50 = (double)fp_tsc_to_ns(conv, fp_hist_percentile(h, 0.50));
	out->p99 = (double)fp_tsc_to_ns(conv, fp_hist_percentile(h, 0.99));
	out->p999 = (double)fp_tsc_to_ns(conv, fp_hist_percentile(h, 0.999));
	out->max = (double)fp_tsc_to_ns(conv, fp_hist_max(h));
	out->per_s = (double)st->n * 1e9 / (double)fp_tsc_to_ns(conv, t_all);
	out->accepted = (double)rc.cnt.accepted;
	if (getenv("FP_BENCH_RISK_DUMP"))
		fp_risk_core_dump(stderr, &rc);
	free(f);
	fp_risk_core_fini(&rc);
	return 0;
}

/* ---- naive reference ---- */

struct naive_sym {
	char name[8];
	int64_t price_min, price_max, max_notional, max_position;
	uint32_t qty_min, qty_max, max_open;
	int64_t position;
};

struct naive_order {
	uint64_t id;
	char name[8];
	int64_t price;
	uint32_t qty;
	uint8_t side;
};

struct naive {
	pthread_mutex_t mu;
	struct naive_sym sym[NSYM_NAIVE];
	struct naive_order open[NAIVE_OPEN];
	uint32_t nb_open;
	uint64_t rate_ts[RATE_WIN];
	uint32_t rate_pos;
	uint64_t rate_window; /* cycles in one second */
	uint32_t max_rate;
};

static void naive_name(char out[8], uint32_t sym)
{
	snprintf(out, 8, "S%05u", sym);
}

static struct naive_sym *naive_find(struct naive *nv, const char *name)
{
	for (unsigned i = 0; i < NSYM_NAIVE; i++)
		if (!strncmp(nv->sym[i].name, name, 8))
			return &nv->sym[i];
	return NULL;
}

static int naive_check(struct naive *nv, const struct fp_event *ev, uint64_t now)
{
	int ok = 0;
	char name[8];
	naive_name(name, ev->symbol_id);
	pthread_mutex_lock(&nv->mu);
	const struct fp_ev_order *o = &ev->u.order;
	if (ev->type == FP_EV_ORDER_CANCEL) {
		for (uint32_t i = 0; i < nv->nb_open; i++)
			if (nv->open[i].id == o->orig_client_order_id)
				ok = 1;
		goto out;
	}
	struct naive_sym *s = naive_find(nv, name);
	if (!s || o->shares < s->qty_min || o->shares > s->qty_max || o->price < s->price_min ||
	    o->price > s->price_max || (int64_t)o->shares * o->price > s->max_notional)
		goto out;
	int64_t open_same = 0;
	uint32_t open_sym = 0;
	for (uint32_t i = 0; i < nv->nb_open; i++) {
		if (nv->open[i].id == o->client_order_id)
			goto out; /* duplicate */
		if (!strncmp(nv->open[i].name, name, 8)) {
			open_sym++;
			if (nv->open[i].side == o->side)
				open_same += nv->open[i].qty;
		}
	}
	int64_t worst = o->side == FP_SIDE_BUY ? s->position + open_same + o->shares
					       : open_same + o->shares - s->position;
	if (worst > s->max_position || open_sym >= s->max_open || nv->nb_open >= NAIVE_OPEN)
		goto out;
	uint32_t in_window = 0;
	for (uint32_t i = 0; i < RATE_WIN; i++)
		in_window += nv->rate_ts[i] && now - nv->rate_ts[i] < nv->rate_window;
	if (in_window >= nv->max_rate)
		goto out;
	nv->rate_ts[nv->rate_pos++ % RATE_WIN] = now;
	nv->open[nv->nb_open++] = (struct naive_order){
		.id = o->client_order_id, .price = o->price, .qty = o->shares, .side = o->side};
	memcpy(nv->open[nv->nb_open - 1].name, name, 8);
	ok = 1;
out:
	pthread_mutex_unlock(&nv->mu);
	return ok;
}

static void naive_settle(struct naive *nv, uint32_t keep, uint64_t *k)
{
	pthread_mutex_lock(&nv->mu);
	while (nv->nb_open > keep) {
		struct naive_order o = nv->open[0];
		memmove(&nv->open[0], &nv->open[1], sizeof(o) * --nv->nb_open);
		if (++*k % 5 == 0) {
			struct naive_sym *s = naive_find(nv, o.name);
			if (s)
				s->position += o.side == FP_SIDE_BUY ? o.qty : -(int64_t)o.qty;
		}
	}
	pthread_mutex_unlock(&nv->mu);
}

static int run_naive(const struct stream *st, const struct fp_tsc_conv *conv, struct fp_hist *h,
		     struct run_out *out)
{
	struct naive *nv = calloc(1, sizeof(*nv));
	if (!nv)
		return -1;
	pthread_mutex_init(&nv->mu, NULL);
	for (unsigned i = 0; i < NSYM_NAIVE; i++) {
		naive_name(nv->sym[i].name, i);
		nv->sym[i].price_min = 100;
		nv->sym[i].price_max = 100000000;
		nv->sym[i].max_notional = (int64_t)1 << 40;
		nv->sym[i].max_position = 1000000;
		nv->sym[i].qty_min = 1;
		nv->sym[i].qty_max = 10000;
		nv->sym[i].max_open = 1000;
	}
	nv->rate_window = conv->hz;
	nv->max_rate = 100000;
	fp_hist_reset(h);
	uint64_t k = 0, t_all = 0;
	for (uint32_t i = 0; i < st->n; i++) {
		uint64_t t0 = fp_tsc_now_ordered();
		int ok = naive_check(nv, &st->ev[i], t0);
		uint64_t t1 = fp_tsc_now_ordered();
		fp_hist_record(h, t1 - t0);
		t_all += t1 - t0;
		out->accepted += ok;
		if (ok && st->ev[i].type == FP_EV_ORDER_NEW)
			naive_settle(nv, OPEN_KEEP, &k);
	}
	out->p50 = (double)fp_tsc_to_ns(conv, fp_hist_percentile(h, 0.50));
	out->p99 = (double)fp_tsc_to_ns(conv, fp_hist_percentile(h, 0.99));
	out->p999 = (double)fp_tsc_to_ns(conv, fp_hist_percentile(h, 0.999));
	out->max = (double)fp_tsc_to_ns(conv, fp_hist_max(h));
	out->per_s = (double)st->n * 1e9 / (double)fp_tsc_to_ns(conv, t_all);
	pthread_mutex_destroy(&nv->mu);
	free(nv);
	return 0;
}

/* ---- driver ---- */

/* The timer alone, on the same machine at the same time: p50 is its cost, p99 shows how
 * much of a tail the machine adds to anything timed (interrupts, a busy sibling). */
static void timer_cost_ns(const struct fp_tsc_conv *conv, struct fp_hist *h, double *p50,
			  double *p99)
{
	fp_hist_reset(h);
	for (int i = 0; i < 1000000; i++) {
		uint64_t t0 = fp_tsc_now_ordered();
		uint64_t t1 = fp_tsc_now_ordered();
		fp_hist_record(h, t1 - t0);
	}
	*p50 = (double)fp_tsc_to_ns(conv, fp_hist_percentile(h, 0.50));
	*p99 = (double)fp_tsc_to_ns(conv, fp_hist_percentile(h, 0.99));
}

/*
 * What one cold line costs here: a dependent load on a random line of @p bytes (on huge
 * pages, so no page walk), timed alone like a check, timer included. At 1 MiB the lines
 * mostly sit in L2/L3; at 64 MiB they come from memory. A check that misses k lines
 * cannot beat k times this unless the lines were prefetched.
 */
static double cold_line_ns(const struct fp_tsc_conv *conv, struct fp_hist *h, size_t bytes)
{
	struct fp_hugemem m;
	uint64_t *buf = fp_hugemem_alloc(&m, bytes, true, "bench");
	if (!buf)
		return 0;
	size_t lines = bytes / 64, stride = 64 / sizeof(uint64_t);
	uint64_t seed = 0x2545F4914F6CDD1DULL;
	uint32_t *perm = malloc(sizeof(*perm) * lines);
	if (!perm) {
		fp_hugemem_free(&m);
		return 0;
	}
	for (size_t i = 0; i < lines; i++)
		perm[i] = (uint32_t)i;
	for (size_t i = lines - 1; i > 0; i--) { /* one random cycle through every line */
		size_t j = rng_next(&seed) % i;
		uint32_t t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	for (size_t i = 0; i < lines; i++)
		buf[perm[i] * stride] = perm[(i + 1) % lines] * stride;
	free(perm);
	fp_hist_reset(h);
	uint64_t at = 0;
	for (int i = 0; i < 200000; i++) {
		uint64_t t0 = fp_tsc_now_ordered();
		at = buf[at];
		__asm__ volatile("" : "+r"(at)); /* the load completes inside the timed window */
		uint64_t t1 = fp_tsc_now_ordered();
		fp_hist_record(h, t1 - t0);
	}
	double ns = (double)fp_tsc_to_ns(conv, fp_hist_percentile(h, 0.50));
	fp_hugemem_free(&m);
	return ns;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: fastpath-bench risk [--json] [--orders N] [--runs R] [--symbols S]\n"
		     "  --orders N  intents per run (default 500000, 1000 .. 4000000)\n"
		     "  --runs R    runs; medians are reported (default 5, 1 .. 15)\n"
		     "  --symbols S only this many symbols get orders (1 .. 8192); default: 64, "
		     "1023 and 8192 in turn\n");
}

enum { M_P50, M_P99, M_P999, M_MAX, M_PER_S, M_ACCEPTED, M_NB };
static const char *const metric_names[M_NB] = {"p50_ns", "p99_ns",       "p999_ns",
					       "max_ns", "checks_per_s", "accepted_orders"};

/* Medians over @p runs of each metric of one variant, into @p res. */
static void report_variant(struct fp_bench_result *res, double v[M_NB][RUNS_MAX], uint32_t runs,
			   double med[M_NB])
{
	for (int m = 0; m < M_NB; m++) {
		med[m] = fp_bench_median(v[m], runs);
		fp_bench_metric(res, metric_names[m], med[m]);
	}
}

static void keep(double v[M_NB][RUNS_MAX], uint32_t r, const struct run_out *o)
{
	double x[M_NB] = {o->p50, o->p99, o->p999, o->max, o->per_s, o->accepted};
	for (int m = 0; m < M_NB; m++)
		v[m][r] = x[m];
}

#define NB_COUNTS 3
static char result_names[NB_COUNTS * 4][40];

int fp_bench_risk(int argc, char **argv)
{
	uint32_t n = 500000, runs = 5, one = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--json")) {
			continue;
		} else if (!strcmp(argv[i], "--orders") && i + 1 < argc) {
			uint64_t v_;
			if (fp_bench_opt_u64("risk", argv[i], argv[i + 1], UINT32_MAX, &v_) < 0)
				return 2;
			n = (uint32_t)v_;
			i++;
		} else if (!strcmp(argv[i], "--symbols") && i + 1 < argc) {
			uint64_t v_;
			if (fp_bench_opt_u64("risk", argv[i], argv[i + 1], UINT32_MAX, &v_) < 0)
				return 2;
			one = (uint32_t)v_;
			if (one == 0) {
				fprintf(stderr, "fastpath-bench risk: --symbols must be 1..%d\n",
					NSYM_MAX);
				return 2;
			}
			i++;
		} else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
			uint64_t v_;
			if (fp_bench_opt_u64("risk", argv[i], argv[i + 1], UINT32_MAX, &v_) < 0)
				return 2;
			runs = (uint32_t)v_;
			i++;
		} else {
			fprintf(stderr, "fastpath-bench risk: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	if (n < 1000 || n > 4000000 || runs < 1 || runs > RUNS_MAX || one > NSYM_MAX) {
		fprintf(stderr,
			"fastpath-bench risk: --orders must be 1000..4000000, --runs "
			"1..15, --symbols 1..%d\n",
			NSYM_MAX);
		return 2;
	}
	uint32_t counts[NB_COUNTS] = {64, 1023, NSYM_MAX}, nb_counts = NB_COUNTS;
	if (one) {
		counts[0] = one;
		nb_counts = 1;
	}
	uint64_t hz;
	struct fp_tsc_conv conv;
	if (fp_tsc_calibrate(&hz) < 0 || fp_tsc_conv_init(&conv, hz) < 0) {
		fprintf(stderr, "fastpath-bench risk: %s\n", fp_err_msg());
		return 1;
	}
	/* The limit set on huge pages, as the stage keeps it (fp_risk.c). */
	struct fp_hugemem lim_mem;
	struct fp_risk_limits *lim = fp_hugemem_alloc(&lim_mem, sizeof(*lim), true, "bench limits");
	struct fp_hist *h = aligned_alloc(64, sizeof(*h));
	if (!lim || !h) {
		fprintf(stderr, "fastpath-bench risk: out of memory\n");
		return 1;
	}
	fp_hist_init(h);
	double timer, timer_p99;
	timer_cost_ns(&conv, h, &timer, &timer_p99);
	double line_l2l3 = cold_line_ns(&conv, h, (size_t)1 << 20);
	double line_mem = cold_line_ns(&conv, h, (size_t)64 << 20);

	struct fp_bench_result res[NB_COUNTS * 4];
	unsigned nb_res = 0;
	struct fp_bench_result extra = {.name = "run"};
	unsigned tables_backing = FP_HUGEMEM_NONE, tables_huge_pct = 0;
	for (uint32_t c = 0; c < nb_counts; c++) {
		uint32_t nsym = counts[c];
		struct stream st;
		if (stream_build(&st, n, nsym, 0x9E3779B97F4A7C15ULL) < 0) {
			fprintf(stderr, "fastpath-bench risk: out of memory\n");
			return 1;
		}
		fast_limits(lim, hz, nsym);
		int with_naive = nsym < NSYM_NAIVE;
		static double f[M_NB][RUNS_MAX], nv[M_NB][RUNS_MAX], fb[M_NB][RUNS_MAX],
			ft[M_NB][RUNS_MAX];
		for (uint32_t r = 0; r < runs; r++) {
			struct run_out a = {0}, b = {0}, d = {0}, e = {0};
			if (run_fast(&st, nsym, lim, &conv, h, &a, 0) < 0 ||
			    (with_naive && run_naive(&st, &conv, h, &b) < 0) ||
			    run_fast(&st, nsym, lim, &conv, h, &d, 1) < 0 ||
			    run_fast(&st, nsym, lim, &conv, h, &e, 2) < 0) {
				fprintf(stderr, "fastpath-bench risk: %s\n", fp_err_msg());
				return 1;
			}
			keep(f, r, &a);
			keep(nv, r, &b);
			keep(fb, r, &d);
			keep(ft, r, &e);
			tables_backing = a.backing;
			tables_huge_pct = a.huge_pct;
		}
		double med_f[M_NB], med_n[M_NB], med_b[M_NB];
		struct fp_bench_result *rf = &res[nb_res++];
		snprintf(result_names[nb_res - 1], sizeof(result_names[0]), "fastpath_%usym", nsym);
		*rf = (struct fp_bench_result){.name = result_names[nb_res - 1]};
		report_variant(rf, f, runs, med_f);
		fp_bench_metric(rf, "symbols", nsym);
		fp_bench_metric(rf, "timer_ns", timer);
		struct fp_bench_result *rb = &res[nb_res++];
		snprintf(result_names[nb_res - 1], sizeof(result_names[0]),
			 "fastpath_batched_%usym", nsym);
		*rb = (struct fp_bench_result){.name = result_names[nb_res - 1]};
		report_variant(rb, fb, runs, med_b);
		struct fp_bench_result *rt = &res[nb_res++];
		snprintf(result_names[nb_res - 1], sizeof(result_names[0]),
			 "fastpath_top_first_%usym", nsym);
		*rt = (struct fp_bench_result){.name = result_names[nb_res - 1]};
		report_variant(rt, ft, runs, med_b);
		if (with_naive) {
			struct fp_bench_result *rn = &res[nb_res++];
			snprintf(result_names[nb_res - 1], sizeof(result_names[0]),
				 "naive_mutex_scan_%usym", nsym);
			*rn = (struct fp_bench_result){.name = result_names[nb_res - 1]};
			report_variant(rn, nv, runs, med_n);
			fp_bench_metric(rn, "ratio_p99",
					med_n[M_P99] / (med_f[M_P99] ? med_f[M_P99] : 1));
			fp_bench_metric(rn, "ratio_checks_per_s",
					med_f[M_PER_S] / (med_n[M_PER_S] ? med_n[M_PER_S] : 1));
		}
		free(st.ev);
	}
	/* What the tail depends on: the timer, and where the tables the check reads live
	 * (1 hugetlb = reserved pool, 2 thp, 3 small pages; fp_hugemem.h). */
	fp_bench_metric(&extra, "orders", n);
	fp_bench_metric(&extra, "runs", runs);
	fp_bench_metric(&extra, "timer_ns", timer);
	fp_bench_metric(&extra, "timer_p99_ns", timer_p99);
	fp_bench_metric(&extra, "cold_line_1mib_p50_ns", line_l2l3);
	fp_bench_metric(&extra, "cold_line_64mib_p50_ns", line_mem);
	fp_bench_metric(&extra, "tables_backing", tables_backing);
	fp_bench_metric(&extra, "tables_huge_pct", tables_huge_pct);
	fp_bench_metric(&extra, "limits_backing", lim_mem.backing);
	fp_bench_metric(&extra, "limits_huge_pct", lim_mem.huge_pct);
	fp_bench_metric(&extra, "goal_p99_ns", 50);
	fp_bench_report(stdout, "risk", fp_bench_want_json(argc, argv), res, nb_res, &extra);
	fprintf(fp_bench_want_json(argc, argv) ? stderr : stdout,
		"  page backing: tables %s (%u%% huge), limits %s (%u%% huge)\n",
		fp_hugemem_backing_name(tables_backing), tables_huge_pct,
		fp_hugemem_backing_name(lim_mem.backing), lim_mem.huge_pct);
	fp_hugemem_free(&lim_mem);
	free(h);
	return 0;
}
