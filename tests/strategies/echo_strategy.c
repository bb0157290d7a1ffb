/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * echo_strategy.c - a test strategy built as a shared object: on every book top of its
 * symbol it bids `size` at the bid; it counts every callback so that the host test can see
 * what was routed to it, and reads the depth of the top's symbol (fp_strat_depth). Uses only
 * strategy.h (no host symbols).
 */
#include <errno.h>

#include "echo_strategy.h"

const struct fp_strat_ops *fp_strategy_entry(void);

static int echo_init(void *st, const struct fp_strat_params *p, struct fp_strat_ctx *ctx)
{
	struct echo_state *s = st;
	(void)ctx;
	s->size = (uint32_t)fp_strat_param_i64(p, "size", 10);
	return s->size ? 0 : -EINVAL;
}

static void echo_top(void *st, struct fp_strat_ctx *ctx, const struct fp_event *ev)
{
	struct echo_state *s = st;
	s->tops++;
	s->depth_rc[0] = fp_strat_depth(ctx, ev->symbol_id, FP_SIDE_BUY, 4, s->depth[0]);
	s->depth_rc[1] = fp_strat_depth(ctx, ev->symbol_id, FP_SIDE_SELL, 4, s->depth[1]);
	fp_strat_new(ctx, ev->symbol_id, FP_SIDE_BUY, s->size, ev->u.top.bid_price, FP_TIF_DAY);
}

static void echo_trade(void *st, struct fp_strat_ctx *ctx, const struct fp_event *ev)
{
	(void)ctx;
	(void)ev;
	((struct echo_state *)st)->trades++;
}

static void echo_exec(void *st, struct fp_strat_ctx *ctx, const struct fp_event *ev)
{
	struct echo_state *s = st;
	s->execs++;
	s->last_position = fp_strat_position(ctx, ev->symbol_id);
}

static void echo_reject(void *st, struct fp_strat_ctx *ctx, const struct fp_event *ev)
{
	(void)ctx;
	struct echo_state *s = st;
	s->rejects++;
	s->last_reason = ev->u.reject.reason;
}

static void echo_timer(void *st, struct fp_strat_ctx *ctx)
{
	(void)ctx;
	((struct echo_state *)st)->timers++;
}

static const struct fp_strat_param_decl echo_params[] = {
	{"size", "shares per bid (10)"},
	{NULL, NULL},
};

static const struct fp_strat_ops echo_ops = {
	.abi_version = FP_STRAT_ABI_VERSION,
	.state_size = sizeof(struct echo_state),
	.name = "echo",
	.init = echo_init,
	.on_book_top = echo_top,
	.on_trade = echo_trade,
	.on_exec = echo_exec,
	.on_reject = echo_reject,
	.on_timer = echo_timer,
	.params = echo_params,
};

const struct fp_strat_ops *fp_strategy_entry(void)
{
	return &echo_ops;
}
