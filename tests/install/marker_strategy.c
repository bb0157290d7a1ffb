/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * marker_strategy.c - the strategy a user would write, built by tests/install/ the way
 * docs/strategies.md tells a strategy author to: against the installed headers only,
 *
 *     cc -shared -fPIC $(pkg-config --cflags fastpath) marker_strategy.c -o mine.so
 *
 * Its init() (cold: may do anything) creates the file named by its `marker` parameter, so
 * the test sees that the installed supervisor loaded it, checked its ABI and started it.
 */
#include <errno.h>
#include <stdio.h>

#include "strategy.h"

struct marker_state {
	uint64_t tops;
};

const struct fp_strat_ops *fp_strategy_entry(void);

static int marker_init(void *st, const struct fp_strat_params *p, struct fp_strat_ctx *ctx)
{
	(void)st;
	const char *path = fp_strat_param_str(p, "marker");
	if (path == NULL)
		return -EINVAL;
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -errno;
	fprintf(f, "strategy %u abi %d\n", ctx->strategy_id, FP_STRAT_ABI_VERSION);
	return fclose(f) == 0 ? 0 : -EIO;
}

static void marker_top(void *st, struct fp_strat_ctx *ctx, const struct fp_event *ev)
{
	(void)ctx;
	(void)ev;
	((struct marker_state *)st)->tops++;
}

static const struct fp_strat_param_decl marker_params[] = {
	{"marker", "file created at init"},
	{NULL, NULL},
};

static const struct fp_strat_ops marker_ops = {
	.abi_version = FP_STRAT_ABI_VERSION,
	.state_size = sizeof(struct marker_state),
	.name = "marker",
	.init = marker_init,
	.on_book_top = marker_top,
	.params = marker_params,
};

const struct fp_strat_ops *fp_strategy_entry(void)
{
	return &marker_ops;
}
