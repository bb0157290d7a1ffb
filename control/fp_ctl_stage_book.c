/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_stage_book.c - the book builder in the pipeline: config group `book`, regions
 * book.stats and book.snap (top-N depth per symbol under a seqlock, for fastpath-ctl);
 * rings md (from the md stage), top (to strategies) and top.risk (to risk).
 * See book/fp_book_stage.h.
 *
 *   book = {
 *     symbols = 16384;       # symbol ids (stock locates) below this
 *     orders = 1048576;      # live orders across all symbols
 *     levels = 0;            # price-level slots (0 = the book's default for `orders`)
 *     depth = 10;            # levels a side in snapshots (0 = none)
 *     populate = true;       # touch every page at start (no page faults later)
 *   };
 */
#include <errno.h>
#include <string.h>

#include "fp_book_snap.h"
#include "fp_book_stage.h"
#include "fp_ctl_stage.h"
#include "fp_err.h"
#include "fp_log.h"

static const char *const book_keys[] = {"symbols", "orders", "levels", "depth", "populate", NULL};

static int book_load_cfg(const struct fp_ctl_env *env, struct fp_book_stage_cfg *cfg)
{
	const struct fp_cfg *c = env->cfg;
	const struct fp_cfg_node *g = fp_cfg_lookup(c, NULL, "book");
	int64_t symbols = 16384, orders = 1 << 20, levels = 0, depth = 10;
	bool populate = true;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	fp_book_cfg_default(&cfg->book);
	if (g && ((rc = fp_cfg_check_keys(c, g, book_keys)) < 0 ||
		  (rc = fp_cfg_get_int64(c, g, "symbols", 16384, 2, 65536, &symbols)) < 0 ||
		  (rc = fp_cfg_get_int64(c, g, "orders", 1 << 20, 1024, INT64_C(1) << 32,
					 &orders)) < 0 ||
		  (rc = fp_cfg_get_int64(c, g, "levels", 0, 0, INT64_C(1) << 32, &levels)) < 0 ||
		  (rc = fp_cfg_get_int64(c, g, "depth", 10, 0, 64, &depth)) < 0 ||
		  (rc = fp_cfg_get_bool(c, g, "populate", true, &populate)) < 0))
		return rc;
	cfg->book.max_symbols = (uint32_t)symbols;
	cfg->book.max_orders = (uint64_t)orders;
	if (levels)
		cfg->book.max_levels = (uint64_t)levels;
	cfg->book.populate = populate;
	cfg->snap_depth = (uint32_t)depth;
	return 0;
}

static int book_plan(const struct fp_ctl_env *env, struct fp_ctl_plan *plan)
{
	struct fp_book_stage_cfg cfg;
	int rc;

	if ((rc = book_load_cfg(env, &cfg)) < 0 ||
	    (rc = fp_ctl_plan_add(plan, "book.stats", sizeof(struct fp_book_stage_stats),
				  FP_BOOK_STATS_VERSION)) < 0)
		return rc;
	if (!cfg.snap_depth)
		return 0;
	return fp_ctl_plan_add(plan, "book.snap",
			       fp_book_snap_memsize(cfg.book.max_symbols, cfg.snap_depth), 1);
}

static int book_setup(const struct fp_ctl_env *env)
{
	struct fp_book_stage_cfg cfg;
	uint64_t size;
	int rc;

	if ((rc = book_load_cfg(env, &cfg)) < 0 || !cfg.snap_depth)
		return rc;
	void *snap = fp_shm_region(env->seg, "book.snap", &size);
	return fp_book_snap_init(snap, size, cfg.book.max_symbols, cfg.snap_depth);
}

static int book_init(void *ctx, const struct fp_ctl_env *env)
{
	struct fp_book_stage_cfg cfg;
	int rc;

	if ((rc = book_load_cfg(env, &cfg)) < 0)
		return rc;
	cfg.md = fp_ctl_ring(env, FP_CTL_RING_MD);
	cfg.out[0] = fp_ctl_ring(env, FP_CTL_RING_TOP);
	cfg.out[1] = fp_ctl_ring(env, FP_CTL_RING_TOP_RISK);
	cfg.nb_out = 2;
	cfg.tops_only = 1u << 1; /* risk marks and collars on tops; trades are the strategies' */
	cfg.stats = fp_ctl_region(env, "book.stats", NULL);
	if (cfg.snap_depth)
		cfg.snap_mem = fp_ctl_region(env, "book.snap", &cfg.snap_size);
	if (!cfg.md || !cfg.out[0] || !cfg.out[1] || !cfg.stats ||
	    (cfg.snap_depth && !cfg.snap_mem))
		return -ENOENT;
	if ((rc = fp_book_init(ctx, &cfg)) < 0)
		return rc;
	const struct fp_book *b = ctx;
	if (b->core.warning[0]) { /* no reserved hugepages: say so, run on THP */
		struct fp_log log;
		fp_log_init(&log, stderr, "book", FP_LOG_INFO);
		fp_log(&log, FP_LOG_WARN, "%s", b->core.warning);
	}
	return 0;
}

static unsigned book_poll(void *ctx, unsigned budget)
{
	return fp_book_poll(ctx, budget);
}

static void book_fini(void *ctx)
{
	fp_book_fini(ctx);
}

static void book_report(const struct fp_ctl_env *env, struct fp_ctl_summary *sum)
{
	const struct fp_book_stage_stats *st = fp_shm_region(env->seg, "book.stats", NULL);
	if (!st)
		return;
	sum->book_updates = st->md_events;
	sum->book_tops = st->tops;
}

int fp_ctl_book_cfg(const struct fp_ctl_env *env, struct fp_book_stage_cfg *out)
{
	return book_load_cfg(env, out);
}

const struct fp_ctl_stage_ops fp_ctl_stage_book = {
	.name = "book",
	.ctx_size = sizeof(struct fp_book),
	.plan = book_plan,
	.setup = book_setup,
	.init = book_init,
	.poll = book_poll,
	.fini = book_fini,
	.report = book_report,
};
