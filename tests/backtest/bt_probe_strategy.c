/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bt_probe_strategy.c - a test strategy built as a shared object, run the same way live and
 * in a backtest: it folds every book top it is given into a running checksum (the formula
 * of the backtest's top tap, fp_bt_run.c) and, with buy=N, buys N shares of buy_symbol once,
 * at the ask of the first two-sided top (DAY order; at_bid=1: at the bid, a passive order
 * that rests; the probe never cancels). At fini it writes
 * "tops N checksum HEX position P" to the file named by out=PATH (cold: fini may do I/O),
 * and, with timer_out=PATH, "timers N first T last T min_gap G max_gap G" (the clock of its
 * timer rounds, ns in a backtest: timers must fire at their due times).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "strategy.h"

struct probe_state {
	uint64_t tops, checksum;
	uint32_t symbol, buy, at_bid;
	uint64_t bought;
	int64_t position;
	uint64_t timers, first_timer, last_timer, min_gap, max_gap;
	char out[64], timer_out[64];
};

const struct fp_strat_ops *fp_strategy_entry(void);

static int probe_init(void *st, const struct fp_strat_params *p, struct fp_strat_ctx *ctx)
{
	struct probe_state *s = st;
	(void)ctx;
	s->symbol = (uint32_t)fp_strat_param_i64(p, "buy_symbol", 0);
	s->buy = (uint32_t)fp_strat_param_i64(p, "buy", 0);
	s->at_bid = (uint32_t)fp_strat_param_i64(p, "at_bid", 0);
	const char *out = fp_strat_param_str(p, "out");
	snprintf(s->out, sizeof(s->out), "%s", out ? out : "");
	out = fp_strat_param_str(p, "timer_out");
	snprintf(s->timer_out, sizeof(s->timer_out), "%s", out ? out : "");
	return s->buy && !s->symbol ? -EINVAL : 0;
}

static void probe_top(void *st, struct fp_strat_ctx *ctx, const struct fp_event *ev)
{
	struct probe_state *s = st;
	const struct fp_ev_book_top *t = &ev->u.top;
	uint64_t x[5] = {ev->symbol_id | (uint64_t)ev->flags << 32, (uint64_t)t->bid_price,
			 (uint64_t)t->ask_price, t->bid_shares | (uint64_t)t->ask_shares << 32,
			 t->ts_ns};
	for (int k = 0; k < 5; k++)
		s->checksum = (s->checksum ^ x[k]) * 0x100000001b3ull;
	s->tops++;
	if (s->buy && !s->bought && ev->symbol_id == s->symbol && t->bid_price > 0 &&
	    t->ask_price > 0 && !(ev->flags & (FP_EVF_STALE | FP_EVF_HALTED | FP_EVF_CROSSED)))
		s->bought = fp_strat_new(ctx, s->symbol, FP_SIDE_BUY, s->buy,
					 s->at_bid ? t->bid_price : t->ask_price, FP_TIF_DAY);
}

static void probe_exec(void *st, struct fp_strat_ctx *ctx, const struct fp_event *ev)
{
	struct probe_state *s = st;
	s->position = fp_strat_position(ctx, ev->symbol_id);
}

static void probe_timer(void *st, struct fp_strat_ctx *ctx)
{
	struct probe_state *s = st;
	if (s->timers) {
		uint64_t gap = ctx->now_tsc - s->last_timer;
		if (s->timers == 1 || gap < s->min_gap)
			s->min_gap = gap;
		if (gap > s->max_gap)
			s->max_gap = gap;
	} else {
		s->first_timer = ctx->now_tsc;
	}
	s->last_timer = ctx->now_tsc;
	s->timers++;
}

static void probe_fini(void *st)
{
	struct probe_state *s = st;
	FILE *f = s->timer_out[0] ? fopen(s->timer_out, "w") : NULL;
	if (f) {
		fprintf(f,
			"timers %" PRIu64 " first %" PRIu64 " last %" PRIu64 " min_gap %" PRIu64
			" max_gap %" PRIu64 "\n",
			s->timers, s->first_timer, s->last_timer, s->min_gap, s->max_gap);
		fclose(f);
	}
	f = s->out[0] ? fopen(s->out, "w") : NULL;
	if (!f)
		return;
	fprintf(f, "tops %" PRIu64 " checksum %016" PRIx64 " position %" PRId64 "\n", s->tops,
		s->checksum, s->position);
	fclose(f);
}

static const struct fp_strat_param_decl probe_params[] = {
	{"buy_symbol", "symbol id to buy on (0 = none)"},
	{"buy", "shares to buy once (0)"},
	{"at_bid", "1: buy at the bid (a passive order), 0: at the ask (0)"},
	{"out", "file the summary is written to at fini"},
	{"timer_out", "file the timer rounds summary is written to at fini"},
	{NULL, NULL},
};

static const struct fp_strat_ops probe_ops = {
	.abi_version = FP_STRAT_ABI_VERSION,
	.state_size = sizeof(struct probe_state),
	.name = "probe",
	.init = probe_init,
	.on_book_top = probe_top,
	.on_exec = probe_exec,
	.on_timer = probe_timer,
	.fini = probe_fini,
	.params = probe_params,
};

const struct fp_strat_ops *fp_strategy_entry(void)
{
	return &probe_ops;
}
