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
 * and cleared on recovery; a full strategy ring counted as an overrun; every execution of
 * the file (E, P) published as a trade to every strategy ring, equal to what an
 * independent order map says; the trade rules (Q flagged and clamped, 0-share Q and
 * non-printable C silent, a tops-only ring gets no trade).
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
		if (e.type == FP_EV_MD_TRADE) /* test_book_stage_publishes_every_trade */
			continue;
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

/* A naive order map of the test's own (open addressing, never deletes a slot's key: a
 * tombstone keeps the probe chain), to know what each E should print without the core. */
#define TMAP 65536
struct torder {
	uint64_t ref;
	int64_t price;
	uint32_t shares;
	uint8_t side, live;
};

static struct torder *tfind(struct torder *m, uint64_t ref, int insert)
{
	for (uint64_t i = (ref * 0x9e3779b97f4a7c15ull) >> 48;; i = (i + 1) % TMAP) {
		if (m[i].ref == ref && (m[i].live || insert))
			return &m[i];
		if (m[i].ref == 0)
			return insert ? &m[i] : NULL;
	}
}

static void tadd(struct torder *m, uint64_t ref, int64_t price, uint32_t shares, uint8_t side)
{
	if (ref == 0 || price <= 0 || tfind(m, ref, 0))
		return; /* the core's rules: bad_event, duplicate_order */
	struct torder *o = tfind(m, ref, 1);
	*o = (struct torder){ref, price, shares, side, 1};
}

/* The trade a strategy must see for @p ev (and the map updated); 0 when none. */
static int expect_trade(struct torder *m, const struct fp_event *ev, struct fp_event *t)
{
	struct torder *o;
	memset(t, 0, sizeof(*t));
	t->type = FP_EV_MD_TRADE;
	t->symbol_id = ev->symbol_id;
	t->source = ev->source;
	t->seq = ev->seq;
	t->t_rx = ev->t_rx;
	t->u.trade.ts_ns = ev->u.add.ts_ns;
	switch (ev->type) {
	case FP_EV_MD_ADD:
		tadd(m, ev->u.add.order_reference_number, ev->u.add.price, ev->u.add.shares,
		     ev->u.add.side);
		return 0;
	case FP_EV_MD_EXECUTE:
		if (!(o = tfind(m, ev->u.execute.order_reference_number, 0)))
			return 0;
		t->u.trade.order_reference_number = o->ref;
		t->u.trade.match_number = ev->u.execute.match_number;
		t->u.trade.price =
			(ev->flags & FP_EVF_WITH_PRICE) ? ev->u.execute.execution_price : o->price;
		t->u.trade.shares = ev->u.execute.executed_shares;
		t->u.trade.side = o->side;
		o->shares -= FP_MIN(o->shares, ev->u.execute.executed_shares);
		o->live = o->shares > 0;
		return !(ev->flags & FP_EVF_WITH_PRICE) || ev->u.execute.printable != 'N';
	case FP_EV_MD_CANCEL:
		if ((o = tfind(m, ev->u.cancel.order_reference_number, 0))) {
			o->shares -= FP_MIN(o->shares, ev->u.cancel.cancelled_shares);
			o->live = o->shares > 0;
		}
		return 0;
	case FP_EV_MD_DELETE:
		if ((o = tfind(m, ev->u.del.order_reference_number, 0)))
			o->live = 0;
		return 0;
	case FP_EV_MD_REPLACE:
		if ((o = tfind(m, ev->u.replace.original_order_reference_number, 0))) {
			o->live = 0;
			tadd(m, ev->u.replace.new_order_reference_number, ev->u.replace.price,
			     ev->u.replace.shares, o->side);
		}
		return 0;
	case FP_EV_MD_TRADE:
		t->u.trade = ev->u.trade;
		return 1;
	case FP_EV_MD_CROSS_TRADE:
		t->flags = FP_EVF_CROSS;
		t->u.trade.match_number = ev->u.cross_trade.match_number;
		t->u.trade.price = ev->u.cross_trade.cross_price;
		t->u.trade.shares = (uint32_t)ev->u.cross_trade.shares;
		return ev->u.cross_trade.shares != 0;
	default:
		return 0;
	}
}

/* Every execution of the RITCH day reaches both strategy rings as one FP_EV_MD_TRADE, in
 * feed order, ahead of the top it changes, with the price an independent order map says. */
START_TEST(test_book_stage_publishes_every_trade)
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
	cfg.book.eod_clear = 0;
	cfg.md = ring_new(256, "md");
	cfg.out[0] = ring_new(1 << 12, "strat0");
	cfg.out[1] = ring_new(1 << 12, "strat1");
	cfg.nb_out = 2;
	ck_assert_int_eq(fp_book_init(&b, &cfg), 0);
	struct torder *m = calloc(TMAP, sizeof(*m));
	struct fp_event *want = calloc(n, sizeof(*want));
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(want);
	size_t nb_want = 0, got[2] = {0, 0}, fed = 0, kinds[4] = {0};
	while (fed < n) {
		uint32_t q =
			fp_ring_enqueue_burst(cfg.md, &evs[fed], (uint32_t)FP_MIN(64, n - fed));
		for (uint32_t k = 0; k < q; k++)
			if (expect_trade(m, &evs[fed + k], &want[nb_want])) {
				const struct fp_event *c = &evs[fed + k];
				kinds[c->type == FP_EV_MD_TRADE         ? 2
				      : c->type == FP_EV_MD_CROSS_TRADE ? 3
				      : (c->flags & FP_EVF_WITH_PRICE)  ? 1
									: 0]++;
				nb_want++;
			}
		fed += q;
		while (fp_book_poll(&b, 64))
			;
		for (unsigned r = 0; r < 2; r++) {
			struct fp_event e;
			while (fp_ring_dequeue_burst(cfg.out[r], &e, 1) == 1) {
				if (e.type != FP_EV_MD_TRADE)
					continue;
				ck_assert_uint_lt(got[r], nb_want);
				const struct fp_event *w = &want[got[r]++];
				ck_assert_msg(
					e.flags == w->flags && e.symbol_id == w->symbol_id &&
						e.seq == w->seq && e.t_rx == w->t_rx &&
						e.source == w->source &&
						e.u.trade.ts_ns == w->u.trade.ts_ns &&
						e.u.trade.order_reference_number ==
							w->u.trade.order_reference_number &&
						e.u.trade.match_number == w->u.trade.match_number &&
						e.u.trade.price == w->u.trade.price &&
						e.u.trade.shares == w->u.trade.shares &&
						e.u.trade.side == w->u.trade.side,
					"trade %zu (seq %lu): %u @ %ld side %u flags %u, want "
					"%u @ %ld side %u flags %u",
					got[r], (unsigned long)w->seq, e.u.trade.shares,
					(long)e.u.trade.price, e.u.trade.side, e.flags,
					w->u.trade.shares, (long)w->u.trade.price, w->u.trade.side,
					w->flags);
			}
		}
		ck_assert_uint_eq(got[0], nb_want);
		ck_assert_uint_eq(got[1], nb_want);
	}
	/* the sample has E and P (no C, no Q: test_book_stage_trade_rules has those) */
	fprintf(stderr, "RITCH trades: E %zu, C %zu, P %zu, Q %zu\n", kinds[0], kinds[1], kinds[2],
		kinds[3]);
	ck_assert_uint_gt(kinds[0], 100);
	ck_assert_uint_gt(kinds[2], 0);
	ck_assert_uint_eq(fp_book_stats(&b)->trades, nb_want);
	ck_assert_uint_eq(fp_book_stats(&b)->trade_overrun, 0);
	fp_book_fini(&b);
	free(m);
	free(want);
	free(cfg.md);
	free(cfg.out[0]);
	free(cfg.out[1]);
	free(evs);
}
END_TEST

/* A cross (Q) of shares goes out flagged FP_EVF_CROSS; one of 0 shares and a non-printable C
 * do not; a full strategy ring counts the trade as an overrun. */
START_TEST(test_book_stage_trade_rules)
{
	struct fp_book b;
	struct fp_book_stage_cfg cfg = {0};
	small_book(&cfg.book);
	cfg.md = ring_new(64, "md");
	cfg.out[0] = ring_new(4, "tiny");
	cfg.out[1] = ring_new(8, "risk");
	cfg.nb_out = 2;
	cfg.tops_only = 1u << 1;
	ck_assert_int_eq(fp_book_init(&b, &cfg), 0);
	struct fp_event q = {.type = FP_EV_MD_CROSS_TRADE, .symbol_id = 7, .seq = 9, .t_rx = 5};
	q.u.cross_trade.ts_ns = 34200000000000ull;
	q.u.cross_trade.shares = 5000000000ull; /* clamped */
	q.u.cross_trade.cross_price = 1234500;
	q.u.cross_trade.match_number = 77;
	q.u.cross_trade.cross_type = 'O';
	fp_ring_enqueue_burst(cfg.md, &q, 1);
	q.u.cross_trade.shares = 0;
	fp_ring_enqueue_burst(cfg.md, &q, 1);
	struct fp_event a = {.type = FP_EV_MD_ADD, .symbol_id = 7};
	a.u.add.order_reference_number = 3;
	a.u.add.side = 'S';
	a.u.add.price = 1000;
	a.u.add.shares = 300;
	fp_ring_enqueue_burst(cfg.md, &a, 1);
	struct fp_event c = {.type = FP_EV_MD_EXECUTE, .flags = FP_EVF_WITH_PRICE, .symbol_id = 7};
	c.u.execute.order_reference_number = 3;
	c.u.execute.executed_shares = 100;
	c.u.execute.execution_price = 990;
	c.u.execute.printable = 'N';
	fp_ring_enqueue_burst(cfg.md, &c, 1);
	c.u.execute.printable = 'Y';
	fp_ring_enqueue_burst(cfg.md, &c, 1);
	ck_assert_uint_eq(fp_book_poll(&b, 16), 5);
	struct fp_event out[4];
	/* Q; top after the add; top after the first C (no trade); trade then top of the second */
	ck_assert_uint_eq(fp_ring_dequeue_burst(cfg.out[0], out, 4), 4);
	ck_assert_uint_eq(out[0].type, FP_EV_MD_TRADE);
	ck_assert_uint_eq(out[0].flags, FP_EVF_CROSS);
	ck_assert_uint_eq(out[0].u.trade.shares, UINT32_MAX);
	ck_assert_int_eq(out[0].u.trade.price, 1234500);
	ck_assert_uint_eq(out[0].u.trade.match_number, 77);
	ck_assert_uint_eq(out[0].seq, 9);
	ck_assert_uint_eq(out[0].t_rx, 5);
	ck_assert_uint_eq(out[1].type, FP_EV_BOOK_TOP);
	ck_assert_uint_eq(out[2].type, FP_EV_BOOK_TOP);
	ck_assert_uint_eq(out[2].u.top.ask_shares, 200);
	ck_assert_uint_eq(out[3].type, FP_EV_MD_TRADE);
	ck_assert_int_eq(out[3].u.trade.price, 990);
	ck_assert_uint_eq(out[3].u.trade.side, 'S');
	ck_assert_uint_eq(out[3].u.trade.shares, 100);
	ck_assert_uint_eq(fp_book_stats(&b)->trades, 2);
	ck_assert_uint_eq(fp_book_stats(&b)->trade_overrun, 0);
	ck_assert_uint_eq(fp_book_stats(&b)->top_overrun, 1); /* the last top: ring full */
	/* the tops-only ring got the three tops and no trade */
	ck_assert_uint_eq(fp_ring_dequeue_burst(cfg.out[1], out, 4), 3);
	for (int i = 0; i < 3; i++)
		ck_assert_uint_eq(out[i].type, FP_EV_BOOK_TOP);
	fp_book_fini(&b);
	free(cfg.md);
	free(cfg.out[0]);
	free(cfg.out[1]);
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
	tcase_add_test(tc, test_book_stage_publishes_every_trade);
	tcase_add_test(tc, test_book_stage_trade_rules);
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
