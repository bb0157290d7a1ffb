/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bt_probe_strategy.c - a test strategy built as a shared object, run the same way live and
 * in a backtest: it folds every book top it is given into a running checksum (the formula
 * of the backtest's top tap, fp_bt_run.c) and, with buy=N, buys N shares of buy_symbol once,
 * at the ask of the first two-sided top (DAY order). At fini it writes
 * "tops N checksum HEX position P" to the file named by out=PATH (cold: fini may do I/O).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "strategy.h"

struct probe_state {
	uint64_t tops, checksum;
	uint32_t symbol, buy;
	uint64_t bought;
	int64_t position;
	char out[64];
};

const struct fp_strat_ops *fp_strategy_entry(void);

static int probe_init(void *st, const struct fp_strat_params *p, struct fp_strat_ctx *ctx)
{
	struct probe_state *s = st;
	(void)ctx;
	s->symbol = (uint32_t)fp_strat_param_i64(p, "buy_symbol", 0);
	s->buy = (uint32_t)fp_strat_param_i64(p, "buy", 0);
	const char *out = fp_strat_param_str(p, "out");
	snprintf(s->out, sizeof(s->out), "%s", out ? out : "");
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
		s->bought =
			fp_strat_new(ctx, s->symbol, FP_SIDE_BUY, s->buy, t->ask_price, FP_TIF_DAY);
}

static void probe_exec(void *st, struct fp_strat_ctx *ctx, const struct fp_event *ev)
{
	struct probe_state *s = st;
	s->position = fp_strat_position(ctx, ev->symbol_id);
}

static void probe_fini(void *st)
{
	struct probe_state *s = st;
	FILE *f = s->out[0] ? fopen(s->out, "w") : NULL;
	if (!f)
		return;
	fprintf(f, "tops %" PRIu64 " checksum %016" PRIx64 " position %" PRId64 "\n", s->tops,
		s->checksum, s->position);
	fclose(f);
}

static const struct fp_strat_param_decl probe_params[] = {
	{"buy_symbol", "symbol id to buy on (0 = none)"},
	{"buy", "shares to buy once (0)"},
	{"out", "file the summary is written to at fini"},
	{NULL, NULL},
};

static const struct fp_strat_ops probe_ops = {
	.abi_version = FP_STRAT_ABI_VERSION,
	.state_size = sizeof(struct probe_state),
	.name = "probe",
	.init = probe_init,
	.on_book_top = probe_top,
	.on_exec = probe_exec,
	.fini = probe_fini,
	.params = probe_params,
};

const struct fp_strat_ops *fp_strategy_entry(void)
{
	return &probe_ops;
}
