/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_strat_depth.c - fp_strat_depth() through the path the pipeline wires: a real
 * book stage writes its seqlock snapshots and its tops into a real ring, the host (with the
 * control plane's depth view, fp_ctl_strat_depth) hands the tops to a strategy loaded from
 * a shared object, and the strategy reads the depth of both sides on every top. What it
 * read equals the book core's own depth (best first, clamped to what it asked); bad sides,
 * unknown symbols, a stale book and a pipeline without snapshots give their codes.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "echo_strategy.h"
#include "fp_book_stage.h"
#include "fp_ctl_stage.h"
#include "fp_strat.h"

static struct fp_ring *ring(uint32_t cap)
{
	struct fp_ring *r = aligned_alloc(64, FP_ALIGN_UP(fp_ring_memsize(cap), (size_t)64));
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(fp_ring_init(r, cap, "r"), 0);
	return r;
}

static void add(struct fp_ring *md, uint64_t ref, uint8_t side, int64_t px, uint32_t shares)
{
	struct fp_event e = {.type = FP_EV_MD_ADD, .symbol_id = 3, .t_rx = ref};
	e.u.add.order_reference_number = ref;
	e.u.add.side = side;
	e.u.add.price = px;
	e.u.add.shares = shares;
	ck_assert_uint_eq(fp_ring_enqueue_burst(md, &e, 1), 1);
}

START_TEST(test_strategy_reads_the_books_depth)
{
	struct fp_book *b = aligned_alloc(64, sizeof(*b));
	struct fp_book_stage_cfg bc = {0};
	fp_book_cfg_default(&bc.book);
	bc.book.max_symbols = 16;
	bc.book.max_orders = 1024;
	bc.book.max_levels = 1024;
	bc.book.populate = 0;
	bc.md = ring(256);
	bc.out[0] = ring(256);
	bc.nb_out = 1;
	bc.snap_depth = 3; /* the strategy asks for 4: gets at most 3 */
	bc.snap_size = fp_book_snap_memsize(16, 3);
	bc.snap_mem = aligned_alloc(64, FP_ALIGN_UP(bc.snap_size, (uint64_t)64));
	ck_assert_int_eq(fp_book_init(b, &bc), 0);

	struct fp_strat_host *h = aligned_alloc(64, sizeof(*h));
	struct fp_strat_host_cfg hc;
	memset(h, 0, sizeof(*h));
	memset(&hc, 0, sizeof(hc));
	hc.md[0] = bc.out[0];
	hc.nb_md = 1;
	hc.intent = ring(512);
	hc.nb_symbols = 16;
	hc.tsc_hz = 2000000000ULL;
	hc.nb_strategies = 1;
	hc.strat[0].id = 4;
	snprintf(hc.strat[0].name, sizeof(hc.strat[0].name), "echo");
	snprintf(hc.strat[0].path, sizeof(hc.strat[0].path), "%s", FP_STRAT_ECHO_SO);
	hc.depth = fp_ctl_strat_depth;
	hc.depth_view = bc.snap_mem;
	ck_assert_int_eq(fp_strat_host_init(h, &hc), 0);
	const struct echo_state *es = h->slot[0].state;

	/* bids 100 x2 orders, 99, 98, 97; asks 102, 103 */
	add(bc.md, 1, 'B', 1000000, 100);
	add(bc.md, 2, 'B', 1000000, 50);
	add(bc.md, 3, 'B', 990000, 10);
	add(bc.md, 4, 'B', 980000, 20);
	add(bc.md, 5, 'B', 970000, 30);
	add(bc.md, 6, 'S', 1020000, 40);
	add(bc.md, 7, 'S', 1030000, 60);
	ck_assert_uint_eq(fp_book_poll(b, 64), 7);
	while (fp_strat_host_poll(h, 64))
		;
	ck_assert_uint_gt(es->tops, 0);
	/* the last top was handled after the poll wrote the snapshot: the final depth */
	ck_assert_int_eq(es->depth_rc[0], 3);
	ck_assert_int_eq(es->depth_rc[1], 2);
	struct fp_book_depth_level want[4];
	for (unsigned side = 0; side < 2; side++) {
		uint32_t n = fp_book_core_depth(&b->core, 3, side, want, 3);
		ck_assert_uint_eq(n, (uint32_t)es->depth_rc[side]);
		for (uint32_t i = 0; i < n; i++) {
			ck_assert_int_eq(es->depth[side][i].price, want[i].price);
			ck_assert_uint_eq(es->depth[side][i].shares, want[i].shares);
			ck_assert_uint_eq(es->depth[side][i].orders, want[i].orders);
		}
	}
	ck_assert_int_eq(es->depth[0][0].price, 1000000);
	ck_assert_uint_eq(es->depth[0][0].orders, 2);
	ck_assert_uint_eq(es->depth[0][0].shares, 150);
	ck_assert_int_eq(es->depth[1][1].price, 1030000);

	/* the codes, through the strategy's own context */
	struct fp_strat_ctx *ctx = &h->slot[0].ctx;
	struct fp_strat_level lv[4];
	ck_assert_int_eq(fp_strat_depth(ctx, 3, 'X', 4, lv), -EINVAL);
	ck_assert_int_eq(fp_strat_depth(ctx, 16, FP_SIDE_BUY, 4, lv), -ERANGE);
	ck_assert_int_eq(fp_strat_depth(ctx, 5, FP_SIDE_BUY, 4, lv), 0); /* empty book */
	ck_assert_int_eq(fp_strat_depth(ctx, 3, FP_SIDE_SELL, 1, lv), 1);
	ck_assert_int_eq(lv[0].price, 1020000);
	struct fp_event st = {.type = FP_EV_MD_STALE, .symbol_id = 3};
	st.u.stale.reason = FP_STALE_GAP;
	fp_ring_enqueue_burst(bc.md, &st, 1);
	ck_assert_uint_eq(fp_book_poll(b, 64), 1);
	ck_assert_int_eq(fp_strat_depth(ctx, 3, FP_SIDE_BUY, 4, lv), -ESTALE);
	/* a pipeline without snapshots */
	h->cfg.depth = NULL;
	ck_assert_int_eq(fp_strat_depth(ctx, 3, FP_SIDE_BUY, 4, lv), -ENODATA);

	fp_strat_host_fini(h);
	fp_book_fini(b);
	free(h);
	free(b);
	free(hc.intent);
	free(bc.md);
	free(bc.out[0]);
	free(bc.snap_mem);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_strat_depth");
	TCase *tc = tcase_create("pipeline path");
	tcase_add_test(tc, test_strategy_reads_the_books_depth);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
