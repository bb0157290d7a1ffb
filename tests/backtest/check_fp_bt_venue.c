/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_bt_venue.c - the simulated venue's rules (docs/backtest.md V1-V8), each on a
 * hand-built book: a real book core (book/fp_book.h) fed recorded md events, our orders
 * given to the venue, the reports it emits checked one by one.
 *
 * Covers: V6 rejects (no shares, no price, cancel of an unknown order); V1 joining behind
 * the displayed shares and V2 moving up on executes, cancels, deletes and replaces of
 * orders ahead, then V3 the fill when an order behind us executes; V3 trade-through by a
 * displayed execution at a worse price and by a hidden ('P') execution; a hidden execution
 * at our price with shares still ahead (no fill); V4 a marketable order walking two levels,
 * the liquidity it took staying taken (no double fill), IOC remainder cancelled, and the
 * level replenished by the recording; V5 a reduce keeping its place, a replace at the same
 * price and a smaller size keeping it, a replace at a new price or a larger size losing it;
 * V7 a replace's two reports sharing one sequence number.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fp_book.h"
#include "fp_bt_venue.h"

#define SYM   7
#define PX(d) ((int64_t)((d)*10000.0 + 0.5))

struct world {
	struct fp_book_core book;
	struct fp_bt_venue venue;
	struct fp_event got[64];
	struct fp_bt_vorder order_of[64];
	unsigned nb;
	uint64_t now;
};

static struct world *W;

static void on_emit(void *arg, const struct fp_event *ev, const struct fp_bt_vorder *o)
{
	struct world *w = arg;
	ck_assert_uint_lt(w->nb, 64);
	w->order_of[w->nb] = *o;
	w->got[w->nb++] = *ev;
}

static void setup(void)
{
	struct fp_book_cfg cfg;
	W = calloc(1, sizeof(*W));
	fp_book_cfg_default(&cfg);
	cfg.max_symbols = 16;
	cfg.max_orders = 1024;
	cfg.max_levels = 1024;
	cfg.populate = 0;
	ck_assert_int_eq(fp_book_core_init(&W->book, &cfg), 0);
	struct fp_bt_venue_cfg vc = {
		.book = &W->book, .max_orders = 64, .emit = on_emit, .emit_arg = W};
	ck_assert_int_eq(fp_bt_venue_init(&W->venue, &vc), 0);
}

static void teardown(void)
{
	fp_bt_venue_fini(&W->venue);
	fp_book_core_fini(&W->book);
	free(W);
}

/* A recorded md event: the venue first, then the book (the engine's order). */
static void md(struct fp_event e)
{
	e.symbol_id = e.symbol_id ? e.symbol_id : SYM;
	W->now += 1000;
	fp_bt_venue_md(&W->venue, &e, W->now);
	fp_book_core_apply(&W->book, &e);
	fp_book_core_check_top(&W->book, e.symbol_id);
}

static void add(uint64_t ref, char side, double px, uint32_t sh)
{
	struct fp_event e = {.type = FP_EV_MD_ADD};
	e.u.add.order_reference_number = ref;
	e.u.add.side = (uint8_t)side;
	e.u.add.price = PX(px);
	e.u.add.shares = sh;
	md(e);
}

static void exec(uint64_t ref, uint32_t n)
{
	struct fp_event e = {.type = FP_EV_MD_EXECUTE};
	e.u.execute.order_reference_number = ref;
	e.u.execute.executed_shares = n;
	md(e);
}

static void cancel(uint64_t ref, uint32_t n)
{
	struct fp_event e = {.type = FP_EV_MD_CANCEL};
	e.u.cancel.order_reference_number = ref;
	e.u.cancel.cancelled_shares = n;
	md(e);
}

static void del(uint64_t ref)
{
	struct fp_event e = {.type = FP_EV_MD_DELETE};
	e.u.del.order_reference_number = ref;
	md(e);
}

static void replace(uint64_t ref, uint64_t new_ref, double px, uint32_t sh)
{
	struct fp_event e = {.type = FP_EV_MD_REPLACE};
	e.u.replace.original_order_reference_number = ref;
	e.u.replace.new_order_reference_number = new_ref;
	e.u.replace.price = PX(px);
	e.u.replace.shares = sh;
	md(e);
}

static void hidden(char side, double px, uint32_t sh)
{
	struct fp_event e = {.type = FP_EV_MD_TRADE};
	e.u.trade.side = (uint8_t)side;
	e.u.trade.price = PX(px);
	e.u.trade.shares = sh;
	md(e);
}

static void send_new(uint64_t id, char side, double px, uint32_t sh, uint8_t tif)
{
	struct fp_event e = {.type = FP_EV_ORDER_NEW, .symbol_id = SYM};
	e.u.order.client_order_id = id;
	e.u.order.side = (uint8_t)side;
	e.u.order.price = PX(px);
	e.u.order.shares = sh;
	e.u.order.strategy_id = 1;
	e.u.order.tif = tif;
	W->now += 1000;
	fp_bt_venue_order(&W->venue, &e, W->now);
}

static void send_cancel(uint64_t id, uint32_t keep)
{
	struct fp_event e = {.type = FP_EV_ORDER_CANCEL, .symbol_id = SYM};
	e.u.order.orig_client_order_id = id;
	e.u.order.shares = keep;
	e.u.order.strategy_id = 1;
	W->now += 1000;
	fp_bt_venue_order(&W->venue, &e, W->now);
}

static void send_replace(uint64_t id, uint64_t new_id, double px, uint32_t sh)
{
	struct fp_event e = {.type = FP_EV_ORDER_REPLACE, .symbol_id = SYM};
	e.u.order.orig_client_order_id = id;
	e.u.order.client_order_id = new_id;
	e.u.order.price = PX(px);
	e.u.order.shares = sh;
	e.u.order.strategy_id = 1;
	W->now += 1000;
	fp_bt_venue_order(&W->venue, &e, W->now);
}

/* Report @p i is @p type about @p id with @p shares at @p px (liquidity @p liq for fills). */
static void expect(unsigned i, uint8_t type, uint64_t id, double px, uint32_t shares, char liq)
{
	ck_assert_msg(i < W->nb, "report %u expected, %u emitted", i, W->nb);
	const struct fp_event *e = &W->got[i];
	ck_assert_msg(e->type == type, "report %u: type %u, want %u", i, e->type, type);
	ck_assert_uint_eq(e->u.exec.client_order_id, id);
	ck_assert_int_eq(e->u.exec.price, PX(px));
	ck_assert_uint_eq(e->u.exec.shares, shares);
	if (type == FP_EV_EXEC_FILL)
		ck_assert_int_eq(e->u.exec.reason, liq);
}

static uint64_t ahead_of(uint64_t id)
{
	const struct fp_bt_vorder *o = fp_bt_venue_find(&W->venue, id);
	ck_assert_ptr_nonnull(o);
	return o->ahead;
}

START_TEST(test_venue_rejects_what_it_cannot_apply)
{
	send_new(1, 'B', 10.00, 0, FP_TIF_DAY); /* no shares */
	send_new(2, 'B', 0, 100, FP_TIF_DAY);   /* no price */
	send_cancel(99, 0);                     /* unknown order */
	send_replace(98, 97, 10.00, 100);       /* unknown order */
	ck_assert_uint_eq(W->nb, 4);
	ck_assert_uint_eq(W->got[0].type, FP_EV_EXEC_REJECTED);
	ck_assert_uint_eq(W->got[1].type, FP_EV_EXEC_REJECTED);
	ck_assert_uint_eq(W->got[2].type, FP_EV_EXEC_CANCEL_REJECT);
	ck_assert_uint_eq(W->got[3].type, FP_EV_EXEC_CANCEL_REJECT);
	ck_assert_uint_eq(W->venue.nb_live, 0);
}
END_TEST

START_TEST(test_venue_passive_order_moves_up_then_fills_behind)
{
	add(1, 'B', 100.00, 300);
	add(2, 'B', 100.00, 200);
	add(3, 'S', 100.10, 500);
	send_new(10, 'B', 100.00, 100, FP_TIF_DAY);
	expect(0, FP_EV_EXEC_ACCEPTED, 10, 100.00, 100, 0);
	ck_assert_uint_eq(ahead_of(10), 500); /* V1: behind 300 + 200 */
	add(4, 'B', 100.00, 100);             /* behind us */
	ck_assert_uint_eq(ahead_of(10), 500);
	exec(1, 300); /* V2 */
	ck_assert_uint_eq(ahead_of(10), 200);
	cancel(2, 50);
	ck_assert_uint_eq(ahead_of(10), 150);
	replace(2, 5, 100.00, 150); /* a replace of an order ahead: all its shares leave */
	ck_assert_uint_eq(ahead_of(10), 0);
	ck_assert_uint_eq(W->nb, 1); /* no fill yet */
	exec(4, 60);                 /* V3: an order behind us executes */
	expect(1, FP_EV_EXEC_FILL, 10, 100.00, 60, 'A');
	ck_assert_uint_eq(W->got[1].u.exec.leaves_shares, 40);
	exec(5, 100); /* ref 5 came after us (the replace): behind */
	expect(2, FP_EV_EXEC_FILL, 10, 100.00, 40, 'A');
	ck_assert_uint_eq(W->got[2].u.exec.leaves_shares, 0);
	ck_assert_ptr_null(fp_bt_venue_find(&W->venue, 10));
	del(4);
	ck_assert_uint_eq(W->nb, 3);
}
END_TEST

START_TEST(test_venue_delete_ahead_moves_up_without_fill)
{
	add(1, 'S', 50.00, 100);
	add(2, 'S', 50.00, 200);
	send_new(10, 'S', 50.00, 100, FP_TIF_DAY);
	ck_assert_uint_eq(ahead_of(10), 300);
	del(2);
	ck_assert_uint_eq(ahead_of(10), 100);
	exec(1, 100);
	ck_assert_uint_eq(ahead_of(10), 0);
	ck_assert_uint_eq(W->nb, 1); /* executions of orders ahead never fill us */
}
END_TEST

START_TEST(test_venue_trade_through_fills)
{
	add(1, 'B', 100.00, 500);
	add(2, 'B', 99.99, 300);
	send_new(10, 'B', 100.00, 100, FP_TIF_DAY);
	ck_assert_uint_eq(ahead_of(10), 500);
	exec(2, 30); /* the recording traded a bid below ours: we were there first */
	expect(1, FP_EV_EXEC_FILL, 10, 100.00, 30, 'A');
	hidden('B', 99.98, 500); /* a hidden buyer hit below us: through */
	expect(2, FP_EV_EXEC_FILL, 10, 100.00, 70, 'A');
	ck_assert_uint_eq(W->venue.nb_live, 0);
}
END_TEST

START_TEST(test_venue_hidden_trade_at_our_price_needs_empty_queue)
{
	add(1, 'S', 20.00, 100);
	send_new(10, 'S', 20.00, 100, FP_TIF_DAY);
	hidden('S', 20.00, 100); /* shares ahead of us: the displayed order would go first */
	ck_assert_uint_eq(W->nb, 1);
	exec(1, 100);
	hidden('S', 20.00, 40);
	expect(1, FP_EV_EXEC_FILL, 10, 20.00, 40, 'A');
}
END_TEST

START_TEST(test_venue_marketable_walks_levels_and_takes_liquidity_once)
{
	add(1, 'B', 99.00, 100);
	add(10, 'S', 100.01, 200);
	add(11, 'S', 100.02, 300);
	send_new(20, 'B', 100.02, 400, FP_TIF_DAY);
	expect(0, FP_EV_EXEC_ACCEPTED, 20, 100.02, 400, 0);
	expect(1, FP_EV_EXEC_FILL, 20, 100.01, 200, 'R');
	expect(2, FP_EV_EXEC_FILL, 20, 100.02, 200, 'R');
	/* the same liquidity is not there twice: 100 left at 100.02 */
	send_new(21, 'B', 100.02, 200, FP_TIF_IOC);
	expect(3, FP_EV_EXEC_ACCEPTED, 21, 100.02, 200, 0);
	expect(4, FP_EV_EXEC_FILL, 21, 100.02, 100, 'R');
	expect(5, FP_EV_EXEC_CANCELED, 21, 100.02, 100, 0); /* IOC remainder */
	/* the recording trades 150 at 100.02 (the front we took), then adds 100 */
	exec(11, 150);
	send_new(22, 'B', 100.02, 200, FP_TIF_IOC);
	expect(6, FP_EV_EXEC_ACCEPTED, 22, 100.02, 200, 0);
	expect(7, FP_EV_EXEC_CANCELED, 22, 100.02, 200, 0); /* 150 left, all taken */
	add(12, 'S', 100.02, 100);                          /* replenished */
	send_new(23, 'B', 100.02, 200, FP_TIF_IOC);
	expect(8, FP_EV_EXEC_ACCEPTED, 23, 100.02, 200, 0);
	expect(9, FP_EV_EXEC_FILL, 23, 100.02, 100, 'R');
	expect(10, FP_EV_EXEC_CANCELED, 23, 100.02, 100, 0);
}
END_TEST

START_TEST(test_venue_marketable_rest_joins_queue)
{
	add(10, 'S', 10.01, 100);
	add(2, 'B', 10.00, 100);
	send_new(20, 'B', 10.01, 300, FP_TIF_DAY);
	expect(1, FP_EV_EXEC_FILL, 20, 10.01, 100, 'R');
	ck_assert_uint_eq(W->nb, 2);
	ck_assert_uint_eq(ahead_of(20), 0); /* rests at 10.01 with 200, nothing ahead */
	ck_assert_uint_eq(fp_bt_venue_find(&W->venue, 20)->leaves, 200);
}
END_TEST

START_TEST(test_venue_cancel_and_replace_priority)
{
	add(1, 'B', 100.00, 300);
	send_new(10, 'B', 100.00, 200, FP_TIF_DAY);
	add(2, 'B', 100.00, 400);
	ck_assert_uint_eq(ahead_of(10), 300);
	send_cancel(10, 150); /* reduce: keeps its place */
	expect(1, FP_EV_EXEC_CANCELED, 10, 100.00, 50, 0);
	ck_assert_uint_eq(ahead_of(10), 300);
	send_replace(10, 11, 100.00, 100); /* same price, smaller: keeps its place */
	expect(2, FP_EV_EXEC_CANCELED, 10, 100.00, 150, 0);
	expect(3, FP_EV_EXEC_ACCEPTED, 11, 100.00, 100, 0);
	ck_assert_uint_eq(W->got[2].seq, W->got[3].seq); /* V7: one venue message */
	ck_assert_uint_eq(ahead_of(11), 300);
	send_replace(11, 12, 100.00, 200); /* larger: loses it, behind all 700 displayed */
	ck_assert_uint_eq(ahead_of(12), 700);
	add(3, 'B', 99.99, 100);
	send_replace(12, 13, 99.99, 200); /* new price: behind the 100 there */
	ck_assert_uint_eq(ahead_of(13), 100);
	exec(1, 300); /* another level: no effect */
	ck_assert_uint_eq(ahead_of(13), 100);
	ck_assert_uint_gt(W->got[W->nb - 1].seq, W->got[1].seq);
}
END_TEST

static Suite *fp_bt_venue_suite(void)
{
	Suite *s = suite_create("fp_bt_venue");
	TCase *tc = tcase_create("rules");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_venue_rejects_what_it_cannot_apply);
	tcase_add_test(tc, test_venue_passive_order_moves_up_then_fills_behind);
	tcase_add_test(tc, test_venue_delete_ahead_moves_up_without_fill);
	tcase_add_test(tc, test_venue_trade_through_fills);
	tcase_add_test(tc, test_venue_hidden_trade_at_our_price_needs_empty_queue);
	tcase_add_test(tc, test_venue_marketable_walks_levels_and_takes_liquidity_once);
	tcase_add_test(tc, test_venue_marketable_rest_joins_queue);
	tcase_add_test(tc, test_venue_cancel_and_replace_priority);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fp_bt_venue_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
