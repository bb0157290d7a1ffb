/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_book_stage.c - the book stage end to end, and the RITCH file replayed.
 *
 * Covers: bad stage configurations; the stage on the RITCH sample
 * (../shared/data/itch50/ritch_ex20101224.TEST_ITCH_50, every length prefix 0: sized by type)
 * through a real md ring: exactly 117 unknown-order events, crossings counted, the stage
 * keeps following, the final depth of ALC, BOB and CHAR equal to the reference book's,
 * every published top equal to the reference top at that point (tops only on change),
 * the snapshots equal to the depth, names found; the core alone on the same file compared
 * with the reference after every event; the end-of-day clear; stale marks flagged in tops
 * and cleared on recovery; a full strategy ring counted as an overrun.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_book_ref.h"
#include "fp_book_stage.h"
#include "fp_itch.h"
#include "fp_md_normalize.h"

#define RITCH FP_SHARED_DATA "/itch50/ritch_ex20101224.TEST_ITCH_50"

static struct fp_event *load_ritch(size_t *nb)
{
	FILE *f = fopen(RITCH, "rb");
	if (!f)
		return NULL;
	static uint8_t buf[1 << 20];
	size_t len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	struct fp_event *evs = calloc(20000, sizeof(*evs));
	ck_assert_ptr_nonnull(evs);
	struct fp_itch_stream s;
	const uint8_t *msg;
	uint32_t mlen;
	size_t n = 0;
	fp_itch_stream_init(&s, buf, len);
	while (fp_itch_stream_next(&s, &msg, &mlen) == FP_ITCH_STREAM_OK) {
		ck_assert_uint_lt(n, 20000);
		ck_assert_int_eq(fp_md_normalize(msg, mlen, n + 1, 1000 + n, 0, &evs[n]),
				 FP_ITCH_OK);
		n++;
	}
	ck_assert_uint_eq(s.nb_zero_len, 12012);
	*nb = n;
	return evs;
}

static struct fp_ring *ring_new(uint32_t cap, const char *name)
{
	size_t sz = fp_ring_memsize(cap);
	struct fp_ring *r = aligned_alloc(64, FP_ALIGN_UP(sz, (size_t)64));
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(fp_ring_init(r, cap, name), 0);
	return r;
}

static void small_book(struct fp_book_cfg *cfg)
{
	fp_book_cfg_default(cfg);
	cfg->max_symbols = 64;
	cfg->max_orders = 100000;
	cfg->max_levels = 1 << 16;
	cfg->populate = 0;
}

START_TEST(test_book_stage_rejects_bad_config)
{
	struct fp_book b;
	struct fp_book_stage_cfg cfg = {0};
	small_book(&cfg.book);
	ck_assert_int_eq(fp_book_init(&b, &cfg), -EINVAL); /* no md ring */
	cfg.md = ring_new(16, "md");
	cfg.nb_out = FP_BOOK_MAX_OUT + 1;
	ck_assert_int_eq(fp_book_init(&b, &cfg), -EINVAL);
	cfg.nb_out = 1; /* out[0] missing */
	ck_assert_int_eq(fp_book_init(&b, &cfg), -EINVAL);
	cfg.nb_out = 0;
	static uint8_t snap[1024];
	cfg.snap_mem = snap;
	cfg.snap_size = sizeof(snap);
	cfg.snap_depth = 10;
	ck_assert_int_eq(fp_book_init(&b, &cfg), -ENOSPC);
	fp_book_fini(NULL);
	free(cfg.md);
}
END_TEST

static int same_depth(const struct fp_book_core *bc, const struct fp_book_ref *rb, uint32_t sym)
{
	static struct fp_book_depth_level a[4096], r[4096];
	for (unsigned side = 0; side < 2; side++) {
		uint32_t na = fp_book_core_depth(bc, sym, side, a, 4096);
		uint32_t nr = fp_book_ref_depth(rb, sym, side, r, 4096);
		if (na != nr || memcmp(a, r, na * sizeof(a[0])))
			return 0;
	}
	return 1;
}

START_TEST(test_book_core_follows_ritch_like_reference)
{
	size_t n;
	struct fp_event *evs = load_ritch(&n);
	if (!evs) {
		fprintf(stderr, "skip: %s absent\n", RITCH);
		return;
	}
	struct fp_book_cfg cfg;
	struct fp_book_core bc;
	small_book(&cfg);
	ck_assert_int_eq(fp_book_core_init(&bc, &cfg), 0);
	struct fp_book_ref *rb = fp_book_ref_new(cfg.max_symbols, 1);
	for (size_t k = 0; k < n; k++) {
		unsigned chg = fp_book_core_apply(&bc, &evs[k]);
		fp_book_ref_apply(rb, &evs[k]);
		if (chg & FP_BOOK_CHG_ALL)
			continue;
		if (evs[k].symbol_id && !same_depth(&bc, rb, evs[k].symbol_id))
			ck_abort_msg("event %zu (type %u symbol %u): depth differs", k, evs[k].type,
				     evs[k].symbol_id);
		if (k + 1 < n && evs[k + 1].type == FP_EV_MD_SYSTEM &&
		    evs[k + 1].u.system.event_code == 'C') {
			/* just before the end-of-day clear */
			for (uint32_t s = 1; s <= 3; s++)
				ck_assert_msg(same_depth(&bc, rb, s), "symbol %u final depth", s);
			ck_assert_uint_gt(fp_book_core_nb_levels(&bc, 1, FP_BOOK_BID), 0);
		}
	}
	ck_assert_uint_eq(bc.st.unknown_order, 117);
	ck_assert_uint_eq(fp_book_ref_stats(rb)->unknown_order, 117);
	ck_assert_uint_eq(bc.st.crossed, fp_book_ref_stats(rb)->crossed);
	ck_assert_uint_eq(bc.st.locked, fp_book_ref_stats(rb)->locked);
	ck_assert_uint_gt(bc.st.crossed + bc.st.locked, 0);
	ck_assert_uint_eq(bc.st.eod_clears, 1);
	ck_assert_uint_eq(bc.st.live_orders, 0);
	fp_book_ref_free(rb);
	fp_book_core_fini(&bc);
	free(evs);
}
END_TEST

/** The top a strategy saw last, per symbol. */
struct seen {
	int64_t bid, ask;
	uint32_t bsz, asz;
	uint8_t flags;
	uint64_t n;
};

static void drain_tops(struct fp_ring *out, struct seen *seen)
{
	struct fp_event e;
	while (fp_ring_dequeue_burst(out, &e, 1) == 1) {
		ck_assert_uint_eq(e.type, FP_EV_BOOK_TOP);
		struct seen *s = &seen[e.symbol_id];
		/* only on change */
		ck_assert_msg(s->n == 0 || s->bid != e.u.top.bid_price ||
				      s->ask != e.u.top.ask_price || s->bsz != e.u.top.bid_shares ||
				      s->asz != e.u.top.ask_shares || s->flags != e.flags,
			      "top event without a change (symbol %u)", e.symbol_id);
		ck_assert_uint_ne(e.t_rx, 0);
		*s = (struct seen){e.u.top.bid_price,  e.u.top.ask_price, e.u.top.bid_shares,
				   e.u.top.ask_shares, e.flags,           s->n + 1};
	}
}

/** Replay the RITCH file through a real md ring into the stage. */
static void replay_stage(int eod_clear, unsigned batch)
{
	size_t n;
	struct fp_event *evs = load_ritch(&n);
	if (!evs) {
		fprintf(stderr, "skip: %s absent\n", RITCH);
		return;
	}
	struct fp_book b;
	struct fp_book_stage_cfg cfg = {0};
	small_book(&cfg.book);
	cfg.book.eod_clear = (uint32_t)eod_clear;
	cfg.md = ring_new(256, "md");
	cfg.out[0] = ring_new(1 << 15, "strat0");
	cfg.out[1] = ring_new(1 << 15, "strat1");
	cfg.nb_out = 2;
	cfg.snap_depth = 5;
	cfg.snap_size = fp_book_snap_memsize(cfg.book.max_symbols, 5);
	cfg.snap_mem = aligned_alloc(64, FP_ALIGN_UP(cfg.snap_size, (uint64_t)64));
	static struct fp_book_stage_stats stats;
	cfg.stats = &stats;
	ck_assert_int_eq(fp_book_init(&b, &cfg), 0);
	struct fp_book_ref *rb = fp_book_ref_new(cfg.book.max_symbols, eod_clear);
	struct seen seen0[64] = {0}, seen1[64] = {0};

	size_t fed = 0;
	while (fed < n || fp_ring_count(cfg.md)) {
		uint32_t room = (uint32_t)FP_MIN((size_t)batch, n - fed);
		uint32_t q = fp_ring_enqueue_burst(cfg.md, &evs[fed], room);
		for (uint32_t k = 0; k < q; k++)
			fp_book_ref_apply(rb, &evs[fed + k]);
		fed += q;
		unsigned done = fp_book_poll(&b, 64);
		(void)done;
		while (fp_book_poll(&b, 64))
			;
		drain_tops(cfg.out[0], seen0);
		drain_tops(cfg.out[1], seen1);
		/* after each batch: the tops seen equal the reference's tops */
		for (uint32_t s = 1; s <= 3; s++) {
			struct fp_book_depth_level bid = {0}, ask = {0};
			fp_book_ref_depth(rb, s, FP_BOOK_BID, &bid, 1);
			fp_book_ref_depth(rb, s, FP_BOOK_ASK, &ask, 1);
			ck_assert_msg(
				seen0[s].bid == bid.price && seen0[s].ask == ask.price &&
					seen0[s].bsz == bid.shares && seen0[s].asz == ask.shares,
				"symbol %u after %zu events: top %ld/%u %ld/%u, reference %ld/%lu "
				"%ld/%lu",
				s, fed, (long)seen0[s].bid, seen0[s].bsz, (long)seen0[s].ask,
				seen0[s].asz, (long)bid.price, (unsigned long)bid.shares,
				(long)ask.price, (unsigned long)ask.shares);
			ck_assert_int_eq(!!(seen0[s].flags & FP_EVF_CROSSED),
					 bid.price && ask.price && bid.price >= ask.price);
			ck_assert_mem_eq(&seen0[s], &seen1[s], sizeof(seen0[s]));
		}
	}
	const struct fp_book_stage_stats *st = fp_book_stats(&b);
	ck_assert_ptr_eq(st, &stats);
	ck_assert_uint_eq(st->md_events, n);
	ck_assert_uint_eq(st->core.unknown_order, 117);
	ck_assert_uint_gt(st->core.crossed + st->core.locked, 0);
	ck_assert_uint_eq(st->core.crossed, fp_book_ref_stats(rb)->crossed);
	ck_assert_uint_eq(st->top_overrun, 0);
	ck_assert_uint_gt(st->tops, 100);
	ck_assert_uint_gt(st->snapshots, 0);

	const struct fp_book_snap_hdr *h = cfg.snap_mem;
	ck_assert_int_eq(fp_book_snap_check(h, cfg.snap_size), 0);
	ck_assert_int_eq(fp_book_snap_find(h, "ALC"), 1);
	ck_assert_int_eq(fp_book_snap_find(h, "BOB"), 2);
	ck_assert_int_eq(fp_book_snap_find(h, "CHAR"), 3);
	ck_assert_int_eq(fp_book_snap_find(h, "NOPE"), -ENOENT);
	struct fp_book_snap_entry *e = malloc(h->entry_size);
	for (uint32_t s = 1; s <= 3; s++) {
		ck_assert_msg(same_depth(&b.core, rb, s), "symbol %u final depth", s);
		ck_assert_int_eq(fp_book_snap_read(h, s, e, 100), 0);
		struct fp_book_depth_level lv[5];
		for (unsigned side = 0; side < 2; side++) {
			uint32_t k = fp_book_ref_depth(rb, s, side, lv, 5);
			ck_assert_uint_eq(side ? e->nb_asks : e->nb_bids, k);
			ck_assert_uint_eq(side ? e->total_asks : e->total_bids,
					  fp_book_ref_nb_levels(rb, s, side));
			for (uint32_t i = 0; i < k; i++) {
				const struct fp_book_snap_level *sl = &e->lv[side * 5 + i];
				ck_assert_int_eq(sl->price, lv[i].price);
				ck_assert_uint_eq(sl->shares, lv[i].shares);
				ck_assert_uint_eq(sl->orders, lv[i].orders);
			}
		}
		ck_assert_uint_eq(e->book_seq, b.core.syms[s].seq);
		if (eod_clear) {
			ck_assert_uint_eq(e->nb_bids + e->nb_asks, 0);
			ck_assert_int_eq(seen0[s].bid, 0);
		} else {
			ck_assert_uint_gt(e->nb_bids + e->nb_asks, 0);
		}
	}
	free(e);
	ck_assert_uint_eq(st->core.eod_clears, (uint64_t)eod_clear);
	fp_book_ref_free(rb);
	fp_book_fini(&b);
	free(cfg.md);
	free(cfg.out[0]);
	free(cfg.out[1]);
	free(cfg.snap_mem);
	free(evs);
}

START_TEST(test_book_stage_replays_ritch_keeping_final_depth)
{
	replay_stage(0, 37);
}
END_TEST

START_TEST(test_book_stage_replays_ritch_with_end_of_day_clear)
{
	replay_stage(1, 200);
}
END_TEST

START_TEST(test_book_stage_flags_stale_and_counts_overrun)
{
	struct fp_book b;
	struct fp_book_stage_cfg cfg = {0};
	small_book(&cfg.book);
	cfg.md = ring_new(64, "md");
	cfg.out[0] = ring_new(2, "tiny");
	cfg.nb_out = 1;
	ck_assert_int_eq(fp_book_init(&b, &cfg), 0);
	struct fp_event e = {.type = FP_EV_MD_ADD, .symbol_id = 5, .t_rx = 42};
	e.u.add.order_reference_number = 1;
	e.u.add.side = 'B';
	e.u.add.price = 100;
	e.u.add.shares = 10;
	fp_ring_enqueue_burst(cfg.md, &e, 1);
	struct fp_event s = {.type = FP_EV_MD_STALE, .symbol_id = 5, .t_rx = 43};
	s.u.stale.reason = FP_STALE_OVERRUN;
	fp_ring_enqueue_burst(cfg.md, &s, 1);
	ck_assert_uint_eq(fp_book_poll(&b, 16), 2);
	struct fp_event top[2];
	ck_assert_uint_eq(fp_ring_dequeue_burst(cfg.out[0], top, 2), 2);
	ck_assert_uint_eq(top[0].flags, 0);
	ck_assert_uint_eq(top[0].t_rx, 42);
	ck_assert_int_eq(top[0].u.top.bid_price, 100);
	ck_assert_uint_eq(top[1].flags, FP_EVF_STALE);
	ck_assert_uint_eq(top[1].t_rx, 43);
	/* stale stays on later tops until recovered */
	e.u.add.order_reference_number = 2;
	e.u.add.price = 101;
	fp_ring_enqueue_burst(cfg.md, &e, 1);
	s.u.stale.reason = FP_STALE_RECOVERED;
	fp_ring_enqueue_burst(cfg.md, &s, 1);
	/* a global stale mark (symbol 0) flags every book */
	s.symbol_id = 0;
	s.u.stale.reason = FP_STALE_GAP;
	fp_ring_enqueue_burst(cfg.md, &s, 1);
	ck_assert_uint_eq(fp_book_poll(&b, 16), 3);
	ck_assert_uint_eq(fp_ring_dequeue_burst(cfg.out[0], top, 2), 2);
	/* no top from the add while stale (history is rebuilt silently, issue 16): the next
	 * top says the book is live again, with the add in it */
	ck_assert_uint_eq(top[0].flags, 0);
	ck_assert_int_eq(top[0].u.top.bid_price, 101);
	/* the global mark: only the symbol that ever had a top is told it went stale */
	ck_assert_uint_eq(top[1].flags, FP_EVF_STALE);
	ck_assert_uint_eq(top[1].symbol_id, 5);
	ck_assert_uint_eq(fp_book_stats(&b)->top_overrun, 0);
	ck_assert_uint_ge(fp_book_stats(&b)->stale_tops, 1);
	ck_assert(b.core.syms[5].state & FP_BOOK_SYM_STALE);
	ck_assert(b.core.syms[9].state & FP_BOOK_SYM_STALE);
	fp_book_fini(&b);
	free(cfg.md);
	free(cfg.out[0]);
}
END_TEST

Suite *fp_book_stage_suite(void);

Suite *fp_book_stage_suite(void)
{
	Suite *s = suite_create("fp_book_stage");
	TCase *tc = tcase_create("negative");
	tcase_add_test(tc, test_book_stage_rejects_bad_config);
	suite_add_tcase(s, tc);
	tc = tcase_create("ritch");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_book_core_follows_ritch_like_reference);
	tcase_add_test(tc, test_book_stage_replays_ritch_keeping_final_depth);
	tcase_add_test(tc, test_book_stage_replays_ritch_with_end_of_day_clear);
	suite_add_tcase(s, tc);
	tc = tcase_create("flags");
	tcase_add_test(tc, test_book_stage_flags_stale_and_counts_overrun);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fp_book_stage_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
