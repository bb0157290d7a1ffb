/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_strat_risk.c - a built-in strategy driven through rings into the risk stage:
 * ping's orders pass the checks and reach the order ring with the strategy's id and t_rx;
 * an order that breaks a limit comes back to the strategy as a risk reject routed by id;
 * the market maker's quotes stop at its cap, and a fill fed to both sides moves the
 * position seen by the strategy and by risk alike.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fp_err.h"
#include "fp_risk.h"
#include "fp_strat.h"
#include "fp_tsc.h"

#define PX 1000000

static struct fp_ring *ring(uint32_t cap)
{
	struct fp_ring *r = aligned_alloc(64, FP_ALIGN_UP(fp_ring_memsize(cap), (size_t)64));
	ck_assert_int_eq(fp_ring_init(r, cap, "t"), 0);
	return r;
}

struct wire {
	struct fp_ring *top_s, *top_r, *intent, *reject, *order, *exec_s, *exec_r;
	struct fp_strat_host *host;
	struct fp_risk risk;
	struct fp_risk_limits *lim;
	struct fp_shm_ctl ctl;
	uint64_t hz;
};

static struct wire W;

static void wire_up(void)
{
	memset(&W, 0, sizeof(W));
	ck_assert_int_eq(fp_tsc_calibrate(&W.hz), 0);
	W.top_s = ring(256), W.top_r = ring(256), W.intent = ring(256), W.reject = ring(256);
	W.order = ring(256), W.exec_s = ring(256), W.exec_r = ring(256);
	fp_shm_ctl_init(&W.ctl);
	fp_shm_ctl_set_trading(&W.ctl, FP_TRADING_ON, "test", "start");
	W.lim = aligned_alloc(64, sizeof(*W.lim));
	fp_risk_limits_default(W.lim, 16);
	W.lim->sym[1].qty_max = 100;
	W.lim->sym[1].collar_bps = 100;
	struct fp_risk_cfg rc = {.intent = {W.intent},
				 .reject = {W.reject},
				 .nb_intent = 1,
				 .exec = {W.exec_r},
				 .nb_exec = 1,
				 .md = {W.top_r},
				 .nb_md = 1,
				 .order = W.order,
				 .nb_symbols = 16,
				 .order_capacity = 1024,
				 .pos_capacity = 64,
				 .limits = W.lim,
				 .ctl = &W.ctl,
				 .tsc_hz = W.hz};
	int rc_ = fp_risk_init(&W.risk, &rc);
	ck_assert_msg(rc_ == 0, "%s", fp_err_msg());
	W.host = aligned_alloc(64, sizeof(*W.host));
	struct fp_strat_host_cfg *hc = calloc(1, sizeof(*hc));
	hc->md[0] = W.top_s;
	hc->nb_md = 1;
	hc->exec = W.exec_s;
	hc->reject = W.reject;
	hc->intent = W.intent;
	hc->nb_symbols = 16;
	hc->tsc_hz = W.hz;
	hc->nb_strategies = 2;
	hc->strat[0].id = 1;
	snprintf(hc->strat[0].name, 32, "ping");
	fp_strat_params_add(&hc->strat[0].params, "every=1");
	fp_strat_params_add(&hc->strat[0].params, "size=100");
	hc->strat[0].symbol_id = 1;
	hc->strat[1].id = 2;
	snprintf(hc->strat[1].name, 32, "mm");
	fp_strat_params_add(&hc->strat[1].params, "symbol=2");
	fp_strat_params_add(&hc->strat[1].params, "max_position=100");
	fp_strat_params_add(&hc->strat[1].params, "size=100");
	int r = fp_strat_host_init(W.host, hc);
	free(hc);
	ck_assert_msg(r == 0, "%s", fp_err_msg());
}

static void wire_down(void)
{
	fp_strat_host_fini(W.host);
	free(W.host);
	fp_risk_fini(&W.risk);
	free(W.lim);
	free(W.top_s), free(W.top_r), free(W.intent), free(W.reject);
	free(W.order), free(W.exec_s), free(W.exec_r);
}

/* The book's fan-out: one top to each consumer. */
static void top(uint32_t sym, int64_t bid, int64_t ask, uint64_t t_rx)
{
	struct fp_event ev = {.type = FP_EV_BOOK_TOP, .symbol_id = sym, .t_rx = t_rx};
	ev.u.top = (struct fp_ev_book_top){
		.bid_price = bid, .ask_price = ask, .bid_shares = 100, .ask_shares = 100};
	ck_assert_uint_eq(fp_ring_enqueue_burst(W.top_r, &ev, 1), 1);
	ck_assert_uint_eq(fp_ring_enqueue_burst(W.top_s, &ev, 1), 1);
}

/* The gateway's fan-out: one report to each consumer. */
static void fill(const struct fp_event *order, uint32_t q)
{
	struct fp_event ev = {.type = FP_EV_EXEC_FILL, .symbol_id = order->symbol_id};
	ev.u.exec = (struct fp_ev_exec){.client_order_id = order->u.order.client_order_id,
					.price = order->u.order.price,
					.shares = q,
					.leaves_shares = order->u.order.shares - q,
					.strategy_id = order->u.order.strategy_id,
					.side = order->u.order.side};
	ck_assert_uint_eq(fp_ring_enqueue_burst(W.exec_r, &ev, 1), 1);
	ck_assert_uint_eq(fp_ring_enqueue_burst(W.exec_s, &ev, 1), 1);
}

/* The venue's answer to @p order: accepted, all of it open. */
static void accepted(const struct fp_event *order)
{
	struct fp_event ev = {.type = FP_EV_EXEC_ACCEPTED, .symbol_id = order->symbol_id};
	ev.u.exec = (struct fp_ev_exec){.client_order_id = order->u.order.client_order_id,
					.price = order->u.order.price,
					.shares = order->u.order.shares,
					.leaves_shares = order->u.order.shares,
					.strategy_id = order->u.order.strategy_id,
					.side = order->u.order.side};
	ck_assert_uint_eq(fp_ring_enqueue_burst(W.exec_r, &ev, 1), 1);
	ck_assert_uint_eq(fp_ring_enqueue_burst(W.exec_s, &ev, 1), 1);
}

static void spin(void)
{
	for (int i = 0; i < 4; i++) {
		fp_risk_poll(&W.risk, 64); /* risk first: it must know the top before the order */
		fp_strat_host_poll(W.host, 64);
	}
}

START_TEST(test_ping_through_risk_and_reject_back)
{
	wire_up();
	top(1, PX - 100, PX + 100, 777);
	spin();
	struct fp_event out[8];
	ck_assert_uint_eq(fp_ring_dequeue_burst(W.order, out, 8), 1);
	ck_assert_uint_eq(out[0].type, FP_EV_ORDER_NEW);
	ck_assert_uint_eq(out[0].u.order.strategy_id, 1);
	ck_assert_uint_eq(out[0].t_rx, 777);
	/* a price outside the 1 % collar: refused, and ping hears about it */
	top(1, PX - 20000, PX + 100, 778); /* its buy goes at the bid, 1.01 % under the mid */
	spin();
	ck_assert_uint_eq(fp_ring_dequeue_burst(W.order, out, 8), 0);
	ck_assert_uint_eq(W.risk.core.cnt.rejected[FP_RISK_COLLAR], 1);
	ck_assert_uint_eq(W.host->stats->rejects, 1);
	wire_down();
}
END_TEST

/* Issue 15: an intent reaches risk, and its order the order ring, in the pass it was made:
 * one poll of each stage in the fused worker's order (strategies, then risk), with the
 * trigger first in a batch of tops, and nothing waits for a batch to fill. */
START_TEST(test_intent_checked_and_ordered_in_the_pass_it_was_made)
{
	wire_up();
	top(1, PX - 100, PX + 100, 901); /* ping answers this one */
	for (int i = 0; i < 20; i++)
		top(3, PX - 100 - i, PX + 100, 0); /* the rest of the batch */
	fp_strat_host_poll(W.host, 64);
	ck_assert_uint_eq(fp_ring_count(W.intent), 1);
	fp_risk_poll(&W.risk, 64);
	struct fp_event out[8];
	ck_assert_uint_eq(fp_ring_dequeue_burst(W.order, out, 8), 1);
	ck_assert_uint_eq(out[0].type, FP_EV_ORDER_NEW);
	ck_assert_uint_eq(out[0].t_rx, 901);
	ck_assert_uint_eq(fp_ring_count(W.intent), 0);
	wire_down();
}
END_TEST

START_TEST(test_mm_fill_seen_by_both)
{
	wire_up();
	top(2, PX - 100, PX + 100, 0);
	spin();
	struct fp_event out[8];
	ck_assert_uint_eq(fp_ring_dequeue_burst(W.order, out, 8), 2);
	const struct fp_event *bid = out[0].u.order.side == FP_SIDE_BUY ? &out[0] : &out[1];
	accepted(&out[0]); /* the market maker moves a quote once the venue has it */
	accepted(&out[1]);
	fill(bid, 100);
	top(2, PX - 100, PX + 100, 0);
	spin();
	ck_assert_int_eq(W.host->slot[1].position[2], 100);
	ck_assert_int_eq(fp_risk_pos_find(&W.risk.core, 2, 2)->position, 100);
	/* at its cap of 100: only the ask moves (replace), no new bid */
	unsigned n = fp_ring_dequeue_burst(W.order, out, 8);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(out[0].type, FP_EV_ORDER_REPLACE);
	ck_assert_uint_eq(out[0].u.order.side, FP_SIDE_SELL);
	wire_down();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_strat_risk");
	TCase *tc = tcase_create("pipeline");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_ping_through_risk_and_reject_back);
	tcase_add_test(tc, test_mm_fill_seen_by_both);
	tcase_add_test(tc, test_intent_checked_and_ordered_in_the_pass_it_was_made);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
