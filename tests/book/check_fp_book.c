/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_book.c - the book core against the reference book.
 *
 * Covers: bad configurations; each message type on a tiny book (A, F, E, C, X, D, U, H,
 * S 'C', stale marks); unknown orders, too-large cancels and executes, duplicates;
 * locked and crossed counts; capacity of orders and levels (counted, stale, no overwrite);
 * the order table with adversarial references (all in one home slot window); and random
 * seeded flows compared with fp_book_ref: the full depth of the event's symbol after EVERY
 * event, the top-change report of every event, every symbol every 4096 events and at the end.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fp_book.h"
#include "fp_book_flow.h"
#include "fp_book_ref.h"

static int sanitized(void)
{
	const char *s = getenv("FP_SANITIZE");
	return s && (!strcmp(s, "1") || !strcmp(s, "ON") || !strcmp(s, "TRUE"));
}

static void small_cfg(struct fp_book_cfg *cfg, uint32_t symbols, uint64_t orders, uint64_t levels)
{
	fp_book_cfg_default(cfg);
	cfg->max_symbols = symbols;
	cfg->max_orders = orders;
	cfg->max_levels = levels;
	cfg->populate = 0;
}

static struct fp_event ev_add(uint32_t sym, uint64_t ref, char side, int64_t px, uint32_t sh)
{
	struct fp_event e = {.type = FP_EV_MD_ADD, .symbol_id = sym};
	e.u.add.order_reference_number = ref;
	e.u.add.side = (uint8_t)side;
	e.u.add.price = px;
	e.u.add.shares = sh;
	return e;
}

static struct fp_event ev_exec(uint32_t sym, uint64_t ref, uint32_t n)
{
	struct fp_event e = {.type = FP_EV_MD_EXECUTE, .symbol_id = sym};
	e.u.execute.order_reference_number = ref;
	e.u.execute.executed_shares = n;
	return e;
}

static struct fp_event ev_cancel(uint32_t sym, uint64_t ref, uint32_t n)
{
	struct fp_event e = {.type = FP_EV_MD_CANCEL, .symbol_id = sym};
	e.u.cancel.order_reference_number = ref;
	e.u.cancel.cancelled_shares = n;
	return e;
}

static struct fp_event ev_del(uint32_t sym, uint64_t ref)
{
	struct fp_event e = {.type = FP_EV_MD_DELETE, .symbol_id = sym};
	e.u.del.order_reference_number = ref;
	return e;
}

static struct fp_event ev_repl(uint32_t sym, uint64_t ref, uint64_t nref, int64_t px, uint32_t sh)
{
	struct fp_event e = {.type = FP_EV_MD_REPLACE, .symbol_id = sym};
	e.u.replace.original_order_reference_number = ref;
	e.u.replace.new_order_reference_number = nref;
	e.u.replace.price = px;
	e.u.replace.shares = sh;
	return e;
}

static struct fp_event ev_sys(char code)
{
	struct fp_event e = {.type = FP_EV_MD_SYSTEM};
	e.u.system.event_code = (uint8_t)code;
	return e;
}

/* ---- negative ---- */

START_TEST(test_book_rejects_bad_config)
{
	struct fp_book_cfg cfg;
	struct fp_book_core bc;
	small_cfg(&cfg, 0, 100, 100);
	ck_assert_int_eq(fp_book_core_init(&bc, &cfg), -EINVAL);
	small_cfg(&cfg, 16, 0, 100);
	ck_assert_int_eq(fp_book_core_init(&bc, &cfg), -EINVAL);
	small_cfg(&cfg, 16, 100, 4);
	ck_assert_int_eq(fp_book_core_init(&bc, &cfg), -EINVAL);
	fp_book_core_fini(&bc); /* failed init leaves a core that fini accepts */
	fp_book_core_fini(NULL);
}
END_TEST

START_TEST(test_book_drops_bad_events)
{
	struct fp_book_cfg cfg;
	struct fp_book_core bc;
	small_cfg(&cfg, 16, 100, 1024);
	ck_assert_int_eq(fp_book_core_init(&bc, &cfg), 0);
	struct fp_event e = ev_add(16, 1, 'B', 100, 1); /* symbol out of range */
	ck_assert_uint_eq(fp_book_core_apply(&bc, &e), 0);
	e = ev_add(1, 1, 'X', 100, 1); /* bad side */
	ck_assert_uint_eq(fp_book_core_apply(&bc, &e), 0);
	e = ev_add(1, 0, 'B', 100, 1); /* reference 0 */
	ck_assert_uint_eq(fp_book_core_apply(&bc, &e), 0);
	e = ev_add(1, 2, 'S', 0, 1); /* price 0 */
	ck_assert_uint_eq(fp_book_core_apply(&bc, &e), 0);
	ck_assert_uint_eq(bc.st.bad_symbol, 1);
	ck_assert_uint_eq(bc.st.bad_event, 3);
	ck_assert_uint_eq(bc.st.live_orders, 0);
	fp_book_core_fini(&bc);
}
END_TEST

/* ---- messages ---- */

static void expect_level(const struct fp_book_core *bc, uint32_t sym, unsigned side, uint32_t k,
			 int64_t px, uint64_t sh, uint32_t n)
{
	struct fp_book_depth_level lv[64];
	uint32_t got = fp_book_core_depth(bc, sym, side, lv, 64);
	ck_assert_msg(k < got, "side %u has %u levels, wanted level %u", side, got, k);
	ck_assert_msg(lv[k].price == px && lv[k].shares == sh && lv[k].orders == n,
		      "side %u level %u: got %ld %lu %u want %ld %lu %u", side, k,
		      (long)lv[k].price, (unsigned long)lv[k].shares, lv[k].orders, (long)px,
		      (unsigned long)sh, n);
}

START_TEST(test_book_applies_each_message)
{
	struct fp_book_cfg cfg;
	struct fp_book_core bc;
	small_cfg(&cfg, 16, 100, 1024);
	ck_assert_int_eq(fp_book_core_init(&bc, &cfg), 0);
	struct fp_event e = ev_add(3, 10, 'B', 1000000, 100);
	ck_assert_uint_eq(fp_book_core_apply(&bc, &e), FP_BOOK_CHG_DEPTH | FP_BOOK_CHG_TOP);
	e = ev_add(3, 11, 'B', 1000000, 200);
	ck_assert_uint_eq(fp_book_core_apply(&bc, &e), FP_BOOK_CHG_DEPTH | FP_BOOK_CHG_TOP);
	e = ev_add(3, 12, 'B', 990000, 300); /* below the touch: depth only */
	ck_assert_uint_eq(fp_book_core_apply(&bc, &e), FP_BOOK_CHG_DEPTH);
	e = ev_add(3, 13, 'S', 1010000, 50);
	e.flags = FP_EVF_ATTRIBUTED; /* 'F' */
	ck_assert_uint_eq(fp_book_core_apply(&bc, &e), FP_BOOK_CHG_DEPTH | FP_BOOK_CHG_TOP);
	expect_level(&bc, 3, FP_BOOK_BID, 0, 1000000, 300, 2);
	expect_level(&bc, 3, FP_BOOK_BID, 1, 990000, 300, 1);
	expect_level(&bc, 3, FP_BOOK_ASK, 0, 1010000, 50, 1);
	ck_assert_int_eq(bc.syms[3].top_bid, 1000000);
	ck_assert_uint_eq(bc.syms[3].top_bid_shares, 300);
	ck_assert_int_eq(bc.syms[3].top_ask, 1010000);

	e = ev_exec(3, 10, 40); /* E partial */
	fp_book_core_apply(&bc, &e);
	expect_level(&bc, 3, FP_BOOK_BID, 0, 1000000, 260, 2);
	e = ev_exec(3, 10, 60); /* C: with price, fills the rest */
	e.flags = FP_EVF_WITH_PRICE;
	e.u.execute.execution_price = 999900;
	fp_book_core_apply(&bc, &e);
	expect_level(&bc, 3, FP_BOOK_BID, 0, 1000000, 200, 1);
	ck_assert_ptr_null(fp_book_core_find(&bc, 10));
	e = ev_cancel(3, 11, 50); /* X */
	fp_book_core_apply(&bc, &e);
	expect_level(&bc, 3, FP_BOOK_BID, 0, 1000000, 150, 1);
	e = ev_repl(3, 11, 20, 1005000, 70); /* U: keeps the side, new price and size */
	fp_book_core_apply(&bc, &e);
	expect_level(&bc, 3, FP_BOOK_BID, 0, 1005000, 70, 1);
	expect_level(&bc, 3, FP_BOOK_BID, 1, 990000, 300, 1);
	ck_assert_ptr_null(fp_book_core_find(&bc, 11));
	ck_assert_ptr_nonnull(fp_book_core_find(&bc, 20));
	e = ev_del(3, 12); /* D */
	fp_book_core_apply(&bc, &e);
	ck_assert_uint_eq(fp_book_core_nb_levels(&bc, 3, FP_BOOK_BID), 1);
	ck_assert_uint_eq(bc.st.live_orders, 2);
	ck_assert_uint_eq(bc.st.unknown_order, 0);
	ck_assert_uint_eq(bc.syms[3].seq, 9);

	/* halt and resume flag the top, without a depth change */
	struct fp_event h = {.type = FP_EV_MD_TRADING_ACTION, .symbol_id = 3};
	h.u.trading_action.trading_state = 'H';
	ck_assert_uint_eq(fp_book_core_apply(&bc, &h), FP_BOOK_CHG_TOP);
	struct fp_event top;
	fp_book_core_top_event(&bc, 3, &h, &top);
	ck_assert_uint_eq(top.type, FP_EV_BOOK_TOP);
	ck_assert_uint_eq(top.flags, FP_EVF_HALTED);
	ck_assert_uint_eq(bc.st.halts, 1);
	h.u.trading_action.trading_state = 'T';
	ck_assert_uint_eq(fp_book_core_apply(&bc, &h), FP_BOOK_CHG_TOP);

	/* stale marks (one symbol, then recovered) */
	struct fp_event s = {.type = FP_EV_MD_STALE, .symbol_id = 3};
	s.u.stale.reason = FP_STALE_GAP;
	ck_assert_uint_eq(fp_book_core_apply(&bc, &s), FP_BOOK_CHG_TOP);
	fp_book_core_top_event(&bc, 3, &s, &top);
	ck_assert_uint_eq(top.flags, FP_EVF_STALE);
	s.u.stale.reason = FP_STALE_RECOVERED;
	ck_assert_uint_eq(fp_book_core_apply(&bc, &s), FP_BOOK_CHG_TOP);

	/* end of day: everything goes */
	e = ev_sys('C');
	ck_assert_uint_eq(fp_book_core_apply(&bc, &e), FP_BOOK_CHG_ALL);
	ck_assert_uint_eq(bc.st.live_orders, 0);
	ck_assert_ptr_null(fp_book_core_find(&bc, 20));
	ck_assert_uint_eq(fp_book_core_check_top(&bc, 3), FP_BOOK_CHG_TOP);
	ck_assert_int_eq(bc.syms[3].top_bid, 0);
	ck_assert_int_eq(bc.syms[3].top_ask, 0);
	fp_book_core_fini(&bc);
}
END_TEST

START_TEST(test_book_counts_inconsistent_feed)
{
	struct fp_book_cfg cfg;
	struct fp_book_core bc;
	small_cfg(&cfg, 16, 100, 1024);
	ck_assert_int_eq(fp_book_core_init(&bc, &cfg), 0);
	struct fp_event e = ev_exec(1, 99, 1);
	ck_assert_uint_eq(fp_book_core_apply(&bc, &e), 0);
	e = ev_cancel(1, 99, 1);
	fp_book_core_apply(&bc, &e);
	e = ev_del(1, 99);
	fp_book_core_apply(&bc, &e);
	e = ev_repl(1, 99, 100, 5, 5);
	fp_book_core_apply(&bc, &e);
	ck_assert_uint_eq(bc.st.unknown_order, 4);
	ck_assert_uint_eq(bc.st.unknown_execute, 1);
	ck_assert_uint_eq(bc.st.unknown_cancel, 1);
	ck_assert_uint_eq(bc.st.unknown_delete, 1);
	ck_assert_uint_eq(bc.st.unknown_replace, 1);
	ck_assert_ptr_null(fp_book_core_find(&bc, 100));

	e = ev_add(1, 1, 'S', 500, 10);
	fp_book_core_apply(&bc, &e);
	e = ev_add(1, 1, 'B', 400, 10); /* duplicate reference: dropped, not overwritten */
	ck_assert_uint_eq(fp_book_core_apply(&bc, &e), 0);
	ck_assert_uint_eq(bc.st.duplicate_order, 1);
	ck_assert_int_eq(fp_book_core_find(&bc, 1)->price, 500);
	e = ev_cancel(1, 1, 11); /* larger than the order: removes it, counted */
	fp_book_core_apply(&bc, &e);
	ck_assert_uint_eq(bc.st.cancel_too_large, 1);
	ck_assert_ptr_null(fp_book_core_find(&bc, 1));
	e = ev_add(1, 2, 'S', 500, 10);
	fp_book_core_apply(&bc, &e);
	e = ev_exec(1, 2, 12);
	fp_book_core_apply(&bc, &e);
	ck_assert_uint_eq(bc.st.negative_size, 1);
	ck_assert_uint_eq(fp_book_core_nb_levels(&bc, 1, FP_BOOK_ASK), 0);

	/* locked, then crossed: counted, kept as the venue sent them */
	e = ev_add(1, 3, 'S', 500, 10);
	fp_book_core_apply(&bc, &e);
	e = ev_add(1, 4, 'B', 500, 10);
	fp_book_core_apply(&bc, &e);
	ck_assert_uint_eq(bc.st.locked, 1);
	ck_assert(bc.syms[1].state & FP_BOOK_SYM_CROSSED);
	e = ev_add(1, 5, 'B', 510, 10);
	fp_book_core_apply(&bc, &e);
	ck_assert_uint_eq(bc.st.crossed, 1);
	struct fp_event top;
	fp_book_core_top_event(&bc, 1, &e, &top);
	ck_assert_uint_eq(top.flags, FP_EVF_CROSSED);
	ck_assert_int_eq(top.u.top.bid_price, 510);
	ck_assert_int_eq(top.u.top.ask_price, 500);
	ck_assert_uint_eq(bc.st.live_orders, 3);
	fp_book_core_fini(&bc);
}
END_TEST

START_TEST(test_book_capacity_marks_stale_without_overwrite)
{
	struct fp_book_cfg cfg;
	struct fp_book_core bc;
	small_cfg(&cfg, 4, 3, 16); /* 3 orders; 16 level slots: two 8-level chunks */
	ck_assert_int_eq(fp_book_core_init(&bc, &cfg), 0);
	for (uint64_t r = 1; r <= 4; r++) {
		struct fp_event e = ev_add(1, r, 'B', 100 + (int64_t)r, 1);
		fp_book_core_apply(&bc, &e);
	}
	ck_assert_uint_eq(bc.st.live_orders, 3);
	ck_assert_uint_eq(bc.st.capacity_orders, 1);
	ck_assert(bc.syms[1].state & FP_BOOK_SYM_STALE);
	ck_assert_ptr_null(fp_book_core_find(&bc, 4));
	for (uint64_t r = 1; r <= 3; r++)
		ck_assert_ptr_nonnull(fp_book_core_find(&bc, r));

	fp_book_core_fini(&bc);
	small_cfg(&cfg, 4, 100, 16);
	ck_assert_int_eq(fp_book_core_init(&bc, &cfg), 0);
	/* 16 levels in the pool: one ask and 15 bid levels fit, the 16th bid level does not */
	struct fp_event e = ev_add(1, 1000, 'S', 100000, 1);
	fp_book_core_apply(&bc, &e);
	for (uint64_t r = 1; r <= 16; r++) {
		e = ev_add(1, r, 'B', 100 + (int64_t)r, 1);
		fp_book_core_apply(&bc, &e);
	}
	ck_assert_uint_eq(bc.st.capacity_levels, 1);
	ck_assert_uint_eq(bc.st.levels_used, 16);
	ck_assert_uint_eq(fp_book_core_nb_levels(&bc, 1, FP_BOOK_BID), 15);
	ck_assert(bc.syms[1].state & FP_BOOK_SYM_STALE);
	ck_assert_ptr_null(fp_book_core_find(&bc, 16));
	e = ev_add(2, 2000, 'B', 100, 1); /* another symbol: nothing left either */
	fp_book_core_apply(&bc, &e);
	ck_assert_uint_eq(bc.st.capacity_levels, 2);
	ck_assert(bc.syms[2].state & FP_BOOK_SYM_STALE);
	e = ev_add(1, 17, 'B', 105, 1); /* existing level: still fine */
	fp_book_core_apply(&bc, &e);
	expect_level(&bc, 1, FP_BOOK_BID, 10, 105, 2, 2);
	/* emptying a side returns its levels to the pool: adding again works */
	for (uint64_t r = 1; r <= 15; r++) {
		e = ev_del(1, r);
		fp_book_core_apply(&bc, &e);
	}
	e = ev_del(1, 17);
	fp_book_core_apply(&bc, &e);
	ck_assert_uint_eq(fp_book_core_nb_levels(&bc, 1, FP_BOOK_BID), 0);
	e = ev_add(1, 18, 'B', 100, 1);
	ck_assert_uint_ne(fp_book_core_apply(&bc, &e) & FP_BOOK_CHG_DEPTH, 0);
	fp_book_core_fini(&bc);
}
END_TEST

/* ---- against the reference ---- */

/* ck_assert_* writes to a pipe on every call (location tracking): far too slow per event. */
#define CHECK(cond, ...)                           \
	do {                                       \
		if (!(cond))                       \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

static void compare_symbol(const struct fp_book_core *bc, const struct fp_book_ref *rb,
			   uint32_t sym, const char *what, uint64_t k)
{
	static struct fp_book_depth_level a[1 << 16], b[1 << 16];
	for (unsigned side = 0; side < 2; side++) {
		uint32_t na = fp_book_core_depth(bc, sym, side, a, 1 << 16);
		uint32_t nb = fp_book_ref_depth(rb, sym, side, b, 1 << 16);
		CHECK(na == nb, "%s event %lu symbol %u side %u: %u levels, reference %u", what,
		      (unsigned long)k, sym, side, na, nb);
		for (uint32_t i = 0; i < na; i++)
			CHECK(a[i].price == b[i].price && a[i].shares == b[i].shares &&
				      a[i].orders == b[i].orders,
			      "%s event %lu symbol %u side %u level %u: %ld %lu %u vs "
			      "reference %ld %lu %u",
			      what, (unsigned long)k, sym, side, i, (long)a[i].price,
			      (unsigned long)a[i].shares, a[i].orders, (long)b[i].price,
			      (unsigned long)b[i].shares, b[i].orders);
	}
}

static void compare_counters(const struct fp_book_core *bc, const struct fp_book_ref *rb,
			     const char *what)
{
	const struct fp_book_ref_stats *r = fp_book_ref_stats(rb);
	CHECK(bc->st.unknown_order == r->unknown_order, "%s unknown %lu vs %lu", what,
	      (unsigned long)bc->st.unknown_order, (unsigned long)r->unknown_order);
	CHECK(bc->st.cancel_too_large == r->cancel_too_large, "%s too large", what);
	CHECK(bc->st.negative_size == r->negative_size, "%s negative %lu vs %lu", what,
	      (unsigned long)bc->st.negative_size, (unsigned long)r->negative_size);
	CHECK(bc->st.duplicate_order == r->duplicate_order, "%s duplicate", what);
	CHECK(bc->st.crossed == r->crossed, "%s crossed %lu vs %lu", what,
	      (unsigned long)bc->st.crossed, (unsigned long)r->crossed);
	CHECK(bc->st.locked == r->locked, "%s locked %lu vs %lu", what,
	      (unsigned long)bc->st.locked, (unsigned long)r->locked);
	CHECK(bc->st.live_orders == r->live_orders, "%s live %lu vs %lu", what,
	      (unsigned long)bc->st.live_orders, (unsigned long)r->live_orders);
	CHECK(bc->st.halts == r->halts, "%s halts", what);
	CHECK(bc->st.bad_event == r->bad_event, "%s bad events", what);
}

/** The top a strategy should have seen, from the reference. */
struct seen_top {
	int64_t bid, ask;
	uint64_t bsz, asz;
	int halted, crossed;
};

static struct seen_top ref_top(const struct fp_book_ref *rb, uint32_t sym)
{
	struct fp_book_depth_level l;
	struct seen_top t = {0};
	if (fp_book_ref_depth(rb, sym, FP_BOOK_BID, &l, 1)) {
		t.bid = l.price;
		t.bsz = l.shares;
	}
	if (fp_book_ref_depth(rb, sym, FP_BOOK_ASK, &l, 1)) {
		t.ask = l.price;
		t.asz = l.shares;
	}
	t.halted = fp_book_ref_halted(rb, sym);
	t.crossed = t.bid && t.ask && t.bid >= t.ask;
	return t;
}

/**
 * Run @p n events of the flow @p fcfg through the core and the reference, comparing the
 * depth of the event's symbol and the top report after every event, everything every
 * @p full_every events and at the end.
 */
static void run_against_reference(const struct fp_book_flow_cfg *fcfg,
				  const struct fp_book_cfg *cfg, uint64_t n, uint64_t full_every,
				  const char *what)
{
	struct fp_book_core bc;
	struct fp_book_flow flow;
	struct fp_book_ref *rb = fp_book_ref_new(cfg->max_symbols, (int)cfg->eod_clear);
	ck_assert_ptr_nonnull(rb);
	ck_assert_int_eq(fp_book_core_init(&bc, cfg), 0);
	ck_assert_int_eq(fp_book_flow_init(&flow, fcfg), 0);
	struct seen_top *seen = calloc(cfg->max_symbols, sizeof(*seen));
	ck_assert_ptr_nonnull(seen);
	struct fp_event evs[256];

	for (uint64_t k = 0; k < n;) {
		fp_book_flow_fill(&flow, evs, 256);
		for (unsigned j = 0; j < 256 && k < n; j++, k++) {
			const struct fp_event *e = &evs[j];
			unsigned chg = fp_book_core_apply(&bc, e);
			fp_book_ref_apply(rb, e);
			if (chg & FP_BOOK_CHG_ALL) {
				for (uint32_t s = 0; s < cfg->max_symbols; s++) {
					unsigned c = fp_book_core_check_top(&bc, s);
					struct seen_top t = ref_top(rb, s);
					CHECK(!!c == !!memcmp(&t, &seen[s], sizeof(t)),
					      "%s: top after clear, symbol %u", what, s);
					seen[s] = t;
					compare_symbol(&bc, rb, s, what, k);
				}
				continue;
			}
			uint32_t sym = e->symbol_id;
			if (sym >= cfg->max_symbols)
				continue;
			if (chg)
				CHECK(bc.last_symbol == sym, "last symbol");
			compare_symbol(&bc, rb, sym, what, k);
			struct seen_top t = ref_top(rb, sym);
			int moved = memcmp(&t, &seen[sym], sizeof(t)) != 0;
			CHECK(!!(chg & FP_BOOK_CHG_TOP) == moved,
			      "%s event %lu type %u symbol %u: top report %u, reference moved %d",
			      what, (unsigned long)k, e->type, sym, chg, moved);
			seen[sym] = t;
			if (chg & FP_BOOK_CHG_TOP) {
				CHECK(bc.syms[sym].top_bid == t.bid &&
					      bc.syms[sym].top_ask == t.ask &&
					      bc.syms[sym].top_bid_shares == t.bsz &&
					      bc.syms[sym].top_ask_shares == t.asz,
				      "%s event %lu: top differs", what, (unsigned long)k);
			}
			if (full_every && k % full_every == 0) {
				for (uint32_t s = 0; s < cfg->max_symbols; s++)
					compare_symbol(&bc, rb, s, what, k);
				compare_counters(&bc, rb, what);
			}
		}
	}
	for (uint32_t s = 0; s < cfg->max_symbols; s++)
		compare_symbol(&bc, rb, s, what, n);
	compare_counters(&bc, rb, what);
	ck_assert_uint_eq(bc.st.capacity_orders + bc.st.capacity_levels, 0);
	free(seen);
	fp_book_flow_fini(&flow);
	fp_book_core_fini(&bc);
	fp_book_ref_free(rb);
}

/* Seeds: (symbols, live orders, faults). Millions of events in all (fewer under ASan). */
static const struct {
	const char *desc;
	uint32_t symbols, live, faults, eod_every;
	uint64_t events;
} flows[] = {
	{"one symbol, deep book", 1, 3000, 0, 0, 600000},
	{"8 symbols, faults", 8, 4000, 1, 0, 600000},
	{"64 symbols", 64, 20000, 0, 0, 600000},
	{"500 symbols, faults, end of day", 500, 30000, 1, 150000, 600000},
	{"4 symbols, faults, tiny book", 4, 50, 1, 0, 400000},
	{"2000 symbols", 2000, 60000, 0, 0, 600000},
};

START_TEST(test_book_matches_reference_on_random_flows)
{
	struct fp_book_flow_cfg fcfg = {
		.seed = 1000 + (uint64_t)_i,
		.nb_symbols = flows[_i].symbols,
		.target_live = flows[_i].live,
		.faults = flows[_i].faults,
		.eod_every = flows[_i].eod_every,
	};
	struct fp_book_cfg cfg;
	/* levels: small arena so that chunks move between size classes and free lists */
	small_cfg(&cfg, flows[_i].symbols + 1, (uint64_t)flows[_i].live * 2 + 1000,
		  (uint64_t)flows[_i].symbols * 2 * 64 + (1u << 16));
	uint64_t n = flows[_i].events / (sanitized() ? 10 : 1);
	run_against_reference(&fcfg, &cfg, n, 4096, flows[_i].desc);
}
END_TEST

/*
 * The price window: a touch that trends up, then down, far past the window (re-centering
 * both ways), levels deep below it and sub-penny prices inside its range (both in the
 * fallback), orders at both ticks (a side placed under $1 and one above). The full depth
 * and the top are compared with the reference after every event.
 */
START_TEST(test_book_window_follows_the_touch)
{
	struct fp_book_cfg cfg;
	struct fp_book_core bc;
	small_cfg(&cfg, 4, 100000, 100000);
	struct fp_book_ref *rb = fp_book_ref_new(cfg.max_symbols, 1);
	ck_assert_ptr_nonnull(rb);
	ck_assert_int_eq(fp_book_core_init(&bc, &cfg), 0);
	uint64_t ref = 1, k = 0, live[4096];
	uint32_t nb_live = 0, rng = 12345, fb_max = 0, moves = 0;
	int64_t last_lo = 0;
	/* one symbol at $50 (penny tick), one at $0.50 (0.0001 tick) */
	static const int64_t start[2] = {500000, 5000}, tick[2] = {100, 1};
	for (int leg = 0; leg < 4; leg++) {
		for (int step = 0; step < 700; step++) {
			for (uint32_t sym = 1; sym <= 2; sym++) {
				int64_t t = tick[sym - 1];
				int64_t drift = leg % 2 == 0 ? step : 700 - step;
				int64_t mid = start[sym - 1] + (leg < 2 ? drift : -drift) * t;
				rng = rng * 1103515245u + 12345u;
				uint32_t r = rng >> 8;
				int64_t px =
					mid + (int64_t)(1 + r % 4) * t * ((r >> 4) & 1 ? 1 : -1);
				if (r % 17 == 0)
					px -= 300 * t; /* deep */
				if (r % 23 == 0 && t == 100)
					px += 37; /* sub-penny */
				char side = px < mid ? 'B' : 'S';
				struct fp_event e = ev_add(sym, ref, side, px, 100 + r % 300);
				fp_book_core_apply(&bc, &e);
				fp_book_ref_apply(rb, &e);
				if (nb_live < FP_ARRAY_SIZE(live))
					live[nb_live++] = ref;
				ref++;
				/* remove an order: mostly recent ones, sometimes an old one */
				if (nb_live > 64 && (r >> 12) % 3 != 0) {
					uint32_t i = (r >> 14) % 5 == 0
							     ? (r >> 16) % nb_live
							     : nb_live - 1 - (r >> 16) % 8;
					const struct fp_book_order *o =
						fp_book_core_find(&bc, live[i]);
					ck_assert_ptr_nonnull(o);
					e = (r >> 20) % 2 ? ev_del(o->symbol, live[i])
							  : ev_exec(o->symbol, live[i], o->shares);
					fp_book_core_apply(&bc, &e);
					fp_book_ref_apply(rb, &e);
					live[i] = live[--nb_live];
				}
				compare_symbol(&bc, rb, sym, "window", k++);
				const struct fp_book_side *sd = &bc.sides[sym * 2 + FP_BOOK_BID];
				fb_max = FP_MAX(fb_max, sd->fb_count);
				if (sym == 1 && sd->lo != last_lo) {
					moves++;
					last_lo = sd->lo;
				}
				struct seen_top t0 = ref_top(rb, sym);
				const struct fp_book_sym *s = &bc.syms[sym];
				CHECK(s->top_bid == t0.bid && s->top_ask == t0.ask &&
					      s->top_bid_shares == t0.bsz &&
					      s->top_ask_shares == t0.asz,
				      "window event %lu symbol %u: top differs", (unsigned long)k,
				      sym);
			}
		}
	}
	ck_assert_uint_eq(bc.st.unknown_order, 0);
	/* the walk really moved the window (up and down: 4 legs of 700 ticks > FP_BOOK_WIN)
	 * and really used the fallback */
	ck_assert_uint_ge(moves, 8);
	ck_assert_uint_gt(fb_max, 0);
	fp_book_ref_free(rb);
	fp_book_core_fini(&bc);
}
END_TEST

/* The tables are on explicit huge pages, or the core says why not (the caller logs it). */
START_TEST(test_book_tables_say_their_page_backing)
{
	struct fp_book_cfg cfg;
	struct fp_book_core bc;
	small_cfg(&cfg, 4, 100, 64);
	cfg.populate = 1;
	ck_assert_int_eq(fp_book_core_init(&bc, &cfg), 0);
	ck_assert_uint_eq(bc.mem.bytes % (2u << 20), 0);
	if (bc.mem.backing == FP_HUGEMEM_HUGETLB) {
		ck_assert_str_eq(bc.warning, "");
		ck_assert_str_eq(fp_book_backing_name(&bc), "hugetlb");
		ck_assert_int_eq(fp_book_core_huge_bytes(&bc), (int64_t)bc.mem.bytes);
	} else {
		ck_assert(bc.mem.backing == FP_HUGEMEM_THP || bc.mem.backing == FP_HUGEMEM_SMALL);
		ck_assert_ptr_nonnull(strstr(bc.warning, "nr_hugepages"));
		ck_assert_str_eq(fp_book_backing_name(&bc),
				 bc.mem.backing == FP_HUGEMEM_THP ? "thp" : "small");
		ck_assert_int_ge(fp_book_core_huge_bytes(&bc), -1);
	}
	struct fp_event e = ev_add(1, 1, 'B', 100, 10); /* the memory works either way */
	ck_assert_uint_ne(fp_book_core_apply(&bc, &e) & FP_BOOK_CHG_TOP, 0);
	fp_book_core_fini(&bc);
}
END_TEST

START_TEST(test_book_order_table_survives_adversarial_references)
{
	struct fp_book_cfg cfg;
	struct fp_book_core bc;
	struct fp_book_ref *rb = fp_book_ref_new(4, 0);
	small_cfg(&cfg, 4, 2000, 4096);
	ck_assert_int_eq(fp_book_core_init(&bc, &cfg), 0);
	/* references that share their low bits: all would land in one slot without mixing;
	 * then a dense run, deleted in a scattered order (backward-shift deletion) */
	uint64_t stride = bc.order_mask + 1;
	struct fp_event e;
	for (uint64_t r = 1; r <= 1500; r++) {
		e = ev_add(1 + r % 3, r * stride + 7, r & 1 ? 'B' : 'S', 10000 + (int64_t)(r % 37),
			   1);
		fp_book_core_apply(&bc, &e);
		fp_book_ref_apply(rb, &e);
	}
	for (uint64_t r = 1; r <= 1500; r += 2) {
		e = ev_del(0, r * stride + 7);
		fp_book_core_apply(&bc, &e);
		fp_book_ref_apply(rb, &e);
	}
	for (uint64_t r = 1; r <= 400; r++) {
		e = ev_add(1, 5000000 + r, 'B', 9000 + (int64_t)(r % 11), 3);
		fp_book_core_apply(&bc, &e);
		fp_book_ref_apply(rb, &e);
	}
	for (uint64_t r = 2; r <= 1500; r += 4) {
		e = ev_exec(0, r * stride + 7, 1);
		fp_book_core_apply(&bc, &e);
		fp_book_ref_apply(rb, &e);
	}
	for (uint64_t r = 400; r >= 1; r -= 3) {
		e = ev_cancel(0, 5000000 + r, 1);
		fp_book_core_apply(&bc, &e);
		fp_book_ref_apply(rb, &e);
		if (r < 3)
			break;
	}
	for (uint32_t s = 0; s < 4; s++)
		compare_symbol(&bc, rb, s, "adversarial", 0);
	compare_counters(&bc, rb, "adversarial");
	ck_assert_uint_eq(bc.st.unknown_order, 0);
	/* every live reference is still found */
	for (uint64_t r = 2; r <= 1500; r += 2) {
		const struct fp_book_order *o = fp_book_core_find(&bc, r * stride + 7);
		if (r % 4 == 2) /* executed in full */
			ck_assert_ptr_null(o);
		else
			ck_assert_msg(o && o->shares == 1, "reference %lu lost", (unsigned long)r);
	}
	fp_book_core_fini(&bc);
	fp_book_ref_free(rb);
}
END_TEST

Suite *fp_book_suite(void);

Suite *fp_book_suite(void)
{
	Suite *s = suite_create("fp_book");
	TCase *tc = tcase_create("negative");
	tcase_add_test(tc, test_book_rejects_bad_config);
	tcase_add_test(tc, test_book_drops_bad_events);
	suite_add_tcase(s, tc);
	tc = tcase_create("messages");
	tcase_add_test(tc, test_book_applies_each_message);
	tcase_add_test(tc, test_book_counts_inconsistent_feed);
	tcase_add_test(tc, test_book_capacity_marks_stale_without_overwrite);
	suite_add_tcase(s, tc);
	tc = tcase_create("reference");
	tcase_set_timeout(tc, 240);
	tcase_add_loop_test(tc, test_book_matches_reference_on_random_flows, 0,
			    (int)FP_ARRAY_SIZE(flows));
	tcase_add_test(tc, test_book_order_table_survives_adversarial_references);
	tcase_add_test(tc, test_book_window_follows_the_touch);
	tcase_add_test(tc, test_book_tables_say_their_page_backing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fp_book_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
