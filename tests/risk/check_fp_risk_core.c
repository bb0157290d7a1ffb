/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_risk_core.c - the pre-trade check engine.
 *
 * Covers: every check at, just below and just above its limit (quantity, price, collar and
 * no reference, notional, position with open orders, open orders per symbol / strategy /
 * total, gross, net, daily loss, losses in a row, order and cancel throttles per strategy
 * and per symbol, duplicate id, restricted, symbol halted, stale book); trading states
 * ACTIVE / REDUCING / HALTED; kill switch with open orders; replace and cancel of unknown
 * orders; a replace refused after its old leg filled releases the replacement's reserve;
 * positions and P&L against a hand-computed sequence of fills with flips long <->
 * short; stop-loss, trailing stop and take-profit exits; the daily roll.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fp_risk_core.h"
#include "fp_hugemem.h"

#define HZ  1000000000ULL /* 1 cycle = 1 ns in these tests */
#define SYM 1
#define PX  1000000 /* 100.0000 */

struct env {
	struct fp_risk_core rc;
	struct fp_risk_limits *lim;
	struct fp_shm_ctl ctl;
	uint64_t now;
	uint64_t next_id;
};

static struct env E;

static void env_derive(void)
{
	fp_risk_limits_derive(E.lim, HZ);
}

static void top(uint32_t sym, int64_t bid, int64_t ask, uint8_t flags)
{
	struct fp_event ev = {.type = FP_EV_BOOK_TOP, .flags = flags, .symbol_id = sym};
	ev.u.top.bid_price = bid;
	ev.u.top.ask_price = ask;
	fp_risk_on_top(&E.rc, &ev, E.now);
}

static void setup(void)
{
	memset(&E, 0, sizeof(E));
	E.lim = aligned_alloc(64, sizeof(*E.lim));
	ck_assert_ptr_nonnull(E.lim);
	fp_risk_limits_default(E.lim, 16);
	env_derive();
	fp_shm_ctl_init(&E.ctl);
	fp_shm_ctl_set_trading(&E.ctl, FP_TRADING_ON, "test", "start");
	struct fp_risk_core_cfg cfg = {.nb_symbols = 16,
				       .order_capacity = 1024,
				       .pos_capacity = 64,
				       .kill_word = &E.ctl.kill,
				       .trading_word = &E.ctl.trading_state};
	ck_assert_int_eq(fp_risk_core_init(&E.rc, &cfg), 0);
	E.now = 1000000000;
	E.next_id = 1;
	top(SYM, PX - 100, PX + 100, 0); /* mid = PX */
}

static void teardown(void)
{
	fp_risk_core_fini(&E.rc);
	free(E.lim);
}

static struct fp_event mk(uint8_t type, uint32_t sym, uint16_t strat, uint8_t side, uint32_t qty,
			  int64_t price)
{
	struct fp_event ev = {.type = type, .symbol_id = sym, .source = strat};
	ev.u.order = (struct fp_ev_order){.client_order_id = E.next_id++,
					  .price = price,
					  .shares = qty,
					  .strategy_id = strat,
					  .side = side};
	return ev;
}

/* Send a new order; returns the reason; *id receives its client order id. */
static enum fp_risk_reason send_id(uint32_t sym, uint16_t strat, uint8_t side, uint32_t qty,
				   int64_t price, uint64_t *id)
{
	struct fp_event ev = mk(FP_EV_ORDER_NEW, sym, strat, side, qty, price);
	if (id)
		*id = ev.u.order.client_order_id;
	return fp_risk_check(&E.rc, E.lim, &ev, E.now);
}

static enum fp_risk_reason buy(uint32_t qty, int64_t price)
{
	return send_id(SYM, 0, FP_SIDE_BUY, qty, price, NULL);
}

static enum fp_risk_reason sell(uint32_t qty, int64_t price)
{
	return send_id(SYM, 0, FP_SIDE_SELL, qty, price, NULL);
}

static enum fp_risk_reason cancel(uint64_t orig, uint16_t strat)
{
	struct fp_event ev = mk(FP_EV_ORDER_CANCEL, SYM, strat, FP_SIDE_BUY, 0, 0);
	ev.u.order.orig_client_order_id = orig;
	return fp_risk_check(&E.rc, E.lim, &ev, E.now);
}

static int64_t exec(uint8_t type, uint64_t id, uint32_t shares, int64_t price, uint32_t leaves)
{
	struct fp_event ev = {.type = type};
	ev.u.exec.client_order_id = id;
	ev.u.exec.shares = shares;
	ev.u.exec.price = price;
	ev.u.exec.leaves_shares = leaves;
	return fp_risk_on_exec(&E.rc, &ev);
}

/* Place and fully fill an order: returns the realized P&L of the fill. */
static int64_t trade(uint16_t strat, uint8_t side, uint32_t qty, int64_t price)
{
	uint64_t id;
	ck_assert_int_eq(send_id(SYM, strat, side, qty, price, &id), FP_RISK_OK);
	return exec(FP_EV_EXEC_FILL, id, qty, price, 0);
}

#define ck_reason(got, want)                                                               \
	ck_assert_msg((got) == (want), "reason %s, expected %s", fp_risk_reason_name(got), \
		      fp_risk_reason_name(want))

/* ---- limits at, below and above ---- */

START_TEST(test_qty_min_max)
{
	E.lim->sym[SYM].qty_min = 10;
	E.lim->sym[SYM].qty_max = 100;
	ck_reason(buy(9, PX), FP_RISK_QTY_MIN);
	ck_reason(buy(10, PX), FP_RISK_OK);
	ck_reason(buy(11, PX), FP_RISK_OK);
	ck_reason(buy(99, PX), FP_RISK_OK);
	ck_reason(buy(100, PX), FP_RISK_OK);
	ck_reason(buy(101, PX), FP_RISK_QTY_MAX);
	ck_assert_uint_eq(E.rc.cnt.rejected[FP_RISK_QTY_MIN], 1);
	ck_assert_uint_eq(E.rc.cnt.rejected[FP_RISK_QTY_MAX], 1);
	ck_assert_uint_eq(E.rc.cnt.accepted, 4);
}
END_TEST

START_TEST(test_price_min_max)
{
	E.lim->sym[SYM].price_min = PX - 10;
	E.lim->sym[SYM].price_max = PX + 10;
	ck_reason(buy(1, PX - 11), FP_RISK_PRICE_MIN);
	ck_reason(buy(1, PX - 10), FP_RISK_OK);
	ck_reason(buy(1, PX - 9), FP_RISK_OK);
	ck_reason(buy(1, PX + 9), FP_RISK_OK);
	ck_reason(buy(1, PX + 10), FP_RISK_OK);
	ck_reason(buy(1, PX + 11), FP_RISK_PRICE_MAX);
}
END_TEST

START_TEST(test_collar_and_no_reference)
{
	E.lim->sym[SYM].collar_bps = 100; /* 1 % of 100.0000 = 1.0000 = 10000 */
	ck_reason(buy(1, PX + 9999), FP_RISK_OK);
	ck_reason(buy(1, PX + 10000), FP_RISK_OK);
	ck_reason(buy(1, PX + 10001), FP_RISK_COLLAR);
	ck_reason(sell(1, PX - 10000), FP_RISK_OK);
	ck_reason(sell(1, PX - 10001), FP_RISK_COLLAR);
	/* symbol 2 never had a two-sided book */
	E.lim->sym[2].collar_bps = 100;
	ck_reason(send_id(2, 0, FP_SIDE_BUY, 1, PX, NULL), FP_RISK_NO_REFERENCE);
	top(2, PX, 0, 0); /* one-sided: still no reference */
	ck_reason(send_id(2, 0, FP_SIDE_BUY, 1, PX, NULL), FP_RISK_NO_REFERENCE);
	top(2, PX - 2, PX + 2, 0);
	ck_reason(send_id(2, 0, FP_SIDE_BUY, 1, PX, NULL), FP_RISK_OK);
	/* collar 0 = off: no reference needed */
	ck_reason(send_id(3, 0, FP_SIDE_BUY, 1, PX, NULL), FP_RISK_OK);
}
END_TEST

START_TEST(test_notional)
{
	E.lim->sym[SYM].max_notional = (int64_t)100 * PX;
	ck_reason(buy(99, PX), FP_RISK_OK);
	ck_reason(buy(100, PX), FP_RISK_OK);
	ck_reason(buy(100, PX + 1), FP_RISK_NOTIONAL);
	ck_reason(buy(101, PX), FP_RISK_NOTIONAL);
}
END_TEST

START_TEST(test_position_counts_open_orders)
{
	E.lim->sym[SYM].max_position = 100;
	uint64_t id;
	ck_reason(send_id(SYM, 0, FP_SIDE_BUY, 60, PX, &id), FP_RISK_OK);
	ck_reason(buy(41, PX), FP_RISK_POSITION); /* 60 open + 41 = 101 */
	ck_reason(buy(39, PX), FP_RISK_OK);       /* 99 */
	ck_reason(buy(1, PX), FP_RISK_OK);        /* 100: at the limit */
	ck_reason(buy(1, PX), FP_RISK_POSITION);  /* 101 */
	/* a fill moves shares from open to position: the sum is unchanged */
	exec(FP_EV_EXEC_FILL, id, 60, PX, 0);
	ck_assert_int_eq(E.rc.sym[SYM].position, 60);
	ck_assert_int_eq(E.rc.sym[SYM].open_buy, 40);
	ck_reason(buy(1, PX), FP_RISK_POSITION);
	/* the sell side: position 60, so 160 sells reach -100 */
	ck_reason(sell(160, PX), FP_RISK_OK);
	ck_reason(sell(1, PX), FP_RISK_POSITION);
}
END_TEST

START_TEST(test_open_orders_symbol_strategy_total)
{
	E.lim->sym[SYM].max_open_orders = 2;
	ck_reason(buy(1, PX), FP_RISK_OK);
	ck_reason(buy(1, PX), FP_RISK_OK);
	ck_reason(buy(1, PX), FP_RISK_OPEN_ORDERS_SYMBOL);
	E.lim->sym[SYM].max_open_orders = 100;
	E.lim->strat[0].max_open_orders = 3;
	ck_reason(buy(1, PX), FP_RISK_OK);
	ck_reason(buy(1, PX), FP_RISK_OPEN_ORDERS_STRATEGY);
	ck_reason(send_id(SYM, 1, FP_SIDE_BUY, 1, PX, NULL), FP_RISK_OK);
	E.lim->g.max_open_orders = 5;
	ck_reason(send_id(SYM, 1, FP_SIDE_BUY, 1, PX, NULL), FP_RISK_OK);
	ck_reason(send_id(SYM, 1, FP_SIDE_BUY, 1, PX, NULL), FP_RISK_OPEN_ORDERS_TOTAL);
	ck_assert_uint_eq(E.rc.open_orders, 5);
}
END_TEST

START_TEST(test_open_orders_released_by_cancel)
{
	E.lim->sym[SYM].max_open_orders = 1;
	uint64_t id;
	ck_reason(send_id(SYM, 0, FP_SIDE_BUY, 10, PX, &id), FP_RISK_OK);
	ck_reason(buy(1, PX), FP_RISK_OPEN_ORDERS_SYMBOL);
	ck_reason(cancel(id, 0), FP_RISK_OK);
	ck_reason(buy(1, PX), FP_RISK_OPEN_ORDERS_SYMBOL); /* not gone until the venue says so */
	exec(FP_EV_EXEC_CANCELED, id, 10, PX, 0);
	ck_reason(buy(1, PX), FP_RISK_OK);
	ck_reason(cancel(id, 0), FP_RISK_UNKNOWN_ORDER);
	ck_reason(cancel(987654, 0), FP_RISK_UNKNOWN_ORDER);
	/* another strategy cannot cancel this one's order */
	ck_reason(send_id(SYM, 0, FP_SIDE_BUY, 1, PX, &id), FP_RISK_OPEN_ORDERS_SYMBOL);
	E.lim->sym[SYM].max_open_orders = 5;
	ck_reason(send_id(SYM, 0, FP_SIDE_BUY, 1, PX, &id), FP_RISK_OK);
	ck_reason(cancel(id, 1), FP_RISK_UNKNOWN_ORDER);
	ck_reason(cancel(id, 0), FP_RISK_OK);
}
END_TEST

START_TEST(test_gross_and_net)
{
	E.lim->g.max_gross = (int64_t)100 * PX;
	ck_reason(buy(50, PX), FP_RISK_OK);
	ck_reason(sell(51, PX), FP_RISK_GROSS); /* 50 + 51 open */
	ck_reason(sell(50, PX), FP_RISK_OK);    /* exactly 100 */
	ck_reason(sell(1, PX), FP_RISK_GROSS);
	E.lim->g.max_gross = INT64_MAX / 4;
	/* strategy 1, net */
	E.lim->strat[1].max_net = (int64_t)30 * PX;
	ck_reason(send_id(SYM, 1, FP_SIDE_BUY, 29, PX, NULL), FP_RISK_OK);
	ck_reason(send_id(SYM, 1, FP_SIDE_BUY, 2, PX, NULL), FP_RISK_NET);
	ck_reason(send_id(SYM, 1, FP_SIDE_BUY, 1, PX, NULL), FP_RISK_OK);
	ck_reason(send_id(SYM, 1, FP_SIDE_SELL, 30, PX, NULL), FP_RISK_OK); /* net 0 - 30 */
	ck_reason(send_id(SYM, 1, FP_SIDE_SELL, 1, PX, NULL), FP_RISK_NET);
}
END_TEST

START_TEST(test_daily_loss_and_reducing_exempt)
{
	E.lim->strat[0].max_daily_loss = 1000 * 10000; /* $1000 */
	trade(0, FP_SIDE_BUY, 100, PX);
	/* mark at 90.0000: loss 100 x 10.0000 = $1000: at the limit */
	top(SYM, 900000 - 1, 900000 + 1, 0);
	ck_assert_int_eq(E.rc.region->strat[0].unreal, -1000 * 10000);
	ck_reason(buy(1, 900000), FP_RISK_OK);
	/* one tick lower: beyond the limit */
	top(SYM, 900000 - 2, 900000, 0);
	ck_assert_int_eq(E.rc.region->strat[0].unreal, -1000 * 10000 - 100); /* mid 89.9999 */
	ck_reason(buy(1, 900000), FP_RISK_DAILY_LOSS);
	/* reducing orders still leave */
	ck_reason(sell(50, 899998), FP_RISK_OK);
	/* one tick higher than the limit: allowed again */
	top(SYM, 900000 + 100, 900000 + 102, 0);
	ck_reason(buy(1, 900000), FP_RISK_OK);
	/* firm-wide too */
	E.lim->g.max_daily_loss = 500 * 10000;
	ck_reason(buy(1, 900000), FP_RISK_DAILY_LOSS);
}
END_TEST

START_TEST(test_consecutive_losses)
{
	E.lim->strat[0].max_consec_losses = 2;
	ck_assert_int_eq(trade(0, FP_SIDE_BUY, 10, PX), 0);
	ck_assert_int_lt(trade(0, FP_SIDE_SELL, 10, PX - 10), 0); /* loss 1 */
	ck_assert_int_eq(E.rc.region->strat[0].consec_losses, 1);
	ck_reason(buy(10, PX), FP_RISK_OK); /* below the limit */
	trade(0, FP_SIDE_BUY, 10, PX);
	trade(0, FP_SIDE_SELL, 10, PX - 10); /* loss 2: at the limit */
	ck_assert_int_eq(E.rc.region->strat[0].consec_losses, 2);
	ck_reason(buy(10, PX), FP_RISK_CONSECUTIVE_LOSSES);
	/* strategy 1 is not affected, the firm limit is separate */
	ck_reason(send_id(SYM, 1, FP_SIDE_BUY, 10, PX, NULL), FP_RISK_OK);
	E.lim->strat[0].max_consec_losses = 3;
	ck_reason(buy(10, PX), FP_RISK_OK);
	/* a win resets */
	trade(0, FP_SIDE_SELL, 10, PX + 10);
	trade(0, FP_SIDE_BUY, 10, PX);
	ck_assert_int_eq(E.rc.region->strat[0].consec_losses, 0);
}
END_TEST

START_TEST(test_order_throttle_strategy_and_symbol)
{
	E.lim->strat[0].order_rate = 10; /* one per 100 ms */
	E.lim->strat[0].order_burst = 3;
	env_derive();
	ck_reason(buy(1, PX), FP_RISK_OK);
	ck_reason(buy(1, PX), FP_RISK_OK);
	ck_reason(buy(1, PX), FP_RISK_OK); /* burst */
	ck_reason(buy(1, PX), FP_RISK_ORDER_RATE_STRATEGY);
	E.now += 100000000 - 1; /* just below one interval */
	ck_reason(buy(1, PX), FP_RISK_ORDER_RATE_STRATEGY);
	E.now += 1; /* exactly one interval */
	ck_reason(buy(1, PX), FP_RISK_OK);
	ck_reason(buy(1, PX), FP_RISK_ORDER_RATE_STRATEGY);
	/* a rejected order does not consume a token */
	E.now += 100000000;
	ck_reason(buy(0, PX), FP_RISK_QTY_MIN);
	ck_reason(buy(1, PX), FP_RISK_OK);

	/* symbol throttle, another strategy */
	E.lim->sym[2].order_rate = 1;
	E.lim->sym[2].order_burst = 1;
	env_derive();
	ck_reason(send_id(2, 1, FP_SIDE_BUY, 1, PX, NULL), FP_RISK_OK);
	ck_reason(send_id(2, 2, FP_SIDE_BUY, 1, PX, NULL), FP_RISK_ORDER_RATE_SYMBOL);
	E.now += HZ;
	ck_reason(send_id(2, 2, FP_SIDE_BUY, 1, PX, NULL), FP_RISK_OK);
}
END_TEST

START_TEST(test_cancel_throttle)
{
	uint64_t ids[4];
	for (int i = 0; i < 4; i++)
		ck_reason(send_id(SYM, 0, FP_SIDE_BUY, 1, PX, &ids[i]), FP_RISK_OK);
	E.lim->strat[0].cancel_rate = 2;
	E.lim->strat[0].cancel_burst = 2;
	E.lim->sym[SYM].cancel_rate = 1000;
	E.lim->sym[SYM].cancel_burst = 1;
	env_derive();
	ck_reason(cancel(ids[0], 0), FP_RISK_OK);
	ck_reason(cancel(ids[1], 0), FP_RISK_CANCEL_RATE_SYMBOL); /* 1 ms apart needed */
	E.now += 1000000;
	ck_reason(cancel(ids[1], 0), FP_RISK_OK);
	E.now += 1000000;
	ck_reason(cancel(ids[2], 0), FP_RISK_CANCEL_RATE_STRATEGY);
	E.now += HZ / 2;
	ck_reason(cancel(ids[2], 0), FP_RISK_OK);
}
END_TEST

START_TEST(test_duplicate_id)
{
	uint64_t id;
	ck_reason(send_id(SYM, 0, FP_SIDE_BUY, 1, PX, &id), FP_RISK_OK);
	struct fp_event ev = mk(FP_EV_ORDER_NEW, SYM, 0, FP_SIDE_BUY, 1, PX);
	ev.u.order.client_order_id = id;
	ck_reason(fp_risk_check(&E.rc, E.lim, &ev, E.now), FP_RISK_DUPLICATE_ID);
	/* still a duplicate after the first one is done */
	exec(FP_EV_EXEC_FILL, id, 1, PX, 0);
	ck_reason(fp_risk_check(&E.rc, E.lim, &ev, E.now), FP_RISK_DUPLICATE_ID);
	ev.u.order.client_order_id = 0;
	ck_reason(fp_risk_check(&E.rc, E.lim, &ev, E.now), FP_RISK_BAD_ORDER);
	/* a new day forgets it */
	fp_risk_daily_roll(&E.rc);
	ev.u.order.client_order_id = id;
	ck_reason(fp_risk_check(&E.rc, E.lim, &ev, E.now), FP_RISK_OK);
}
END_TEST

START_TEST(test_restricted_halted_stale)
{
	E.lim->sym[SYM].flags = FP_RISK_SYMF_RESTRICTED;
	ck_reason(buy(1, PX), FP_RISK_RESTRICTED);
	E.lim->sym[SYM].flags = 0;
	top(SYM, PX - 100, PX + 100, FP_EVF_HALTED);
	ck_reason(buy(1, PX), FP_RISK_SYMBOL_HALTED);
	top(SYM, PX - 100, PX + 100, FP_EVF_STALE);
	ck_reason(buy(1, PX), FP_RISK_BOOK_STALE);
	top(SYM, PX - 100, PX + 100, 0);
	ck_reason(buy(1, PX), FP_RISK_OK);
	fp_risk_on_stale(&E.rc, 0);
	ck_reason(buy(1, PX), FP_RISK_BOOK_STALE);
	top(SYM, PX - 100, PX + 100, 0);
	/* age: stale after 5 ms without a top */
	E.lim->g.stale_ms = 5;
	env_derive();
	E.now += 5000000 - 1;
	ck_reason(buy(1, PX), FP_RISK_OK);
	E.now += 1; /* exactly 5 ms: still fresh */
	ck_reason(buy(1, PX), FP_RISK_OK);
	E.now += 1;
	ck_reason(buy(1, PX), FP_RISK_BOOK_STALE);
	/* never had a top at all */
	E.now -= 10;
	ck_reason(send_id(3, 0, FP_SIDE_BUY, 1, PX, NULL), FP_RISK_BOOK_STALE);
	ck_reason(send_id(0, 0, FP_SIDE_BUY, 1, PX, NULL), FP_RISK_UNKNOWN_SYMBOL);
	ck_reason(send_id(16, 0, FP_SIDE_BUY, 1, PX, NULL), FP_RISK_UNKNOWN_SYMBOL);
	ck_reason(send_id(SYM, 64, FP_SIDE_BUY, 1, PX, NULL), FP_RISK_UNKNOWN_STRATEGY);
	E.lim->strat[5].enabled = 0;
	ck_reason(send_id(SYM, 5, FP_SIDE_BUY, 1, PX, NULL), FP_RISK_UNKNOWN_STRATEGY);
	ck_reason(send_id(SYM, 0, 'X', 1, PX, NULL), FP_RISK_BAD_ORDER);
}
END_TEST

/* ---- trading states and the kill switch ---- */

START_TEST(test_state_reducing)
{
	trade(0, FP_SIDE_BUY, 100, PX);
	E.lim->g.state = FP_RISK_REDUCING;
	ck_reason(buy(1, PX), FP_RISK_STATE_REDUCING);
	ck_reason(sell(101, PX), FP_RISK_STATE_REDUCING); /* would flip to short */
	ck_reason(sell(60, PX), FP_RISK_OK);
	ck_reason(sell(41, PX), FP_RISK_STATE_REDUCING); /* 60 open + 41 > 100 */
	ck_reason(sell(40, PX), FP_RISK_OK);             /* exactly flat */
	E.lim->g.state = FP_RISK_ACTIVE;
	E.lim->strat[2].state = FP_RISK_REDUCING; /* per strategy */
	ck_reason(send_id(SYM, 2, FP_SIDE_BUY, 1, PX, NULL), FP_RISK_STATE_REDUCING);
	ck_reason(buy(1, PX), FP_RISK_OK);
}
END_TEST

START_TEST(test_state_halted_allows_cancels)
{
	uint64_t id;
	ck_reason(send_id(SYM, 0, FP_SIDE_BUY, 5, PX, &id), FP_RISK_OK);
	E.lim->g.state = FP_RISK_HALTED;
	ck_reason(buy(1, PX), FP_RISK_STATE_HALTED);
	ck_reason(sell(1, PX), FP_RISK_STATE_HALTED);
	ck_reason(cancel(id, 0), FP_RISK_OK);
	/* the instance's trading state in the control block: only ON trades */
	E.lim->g.state = FP_RISK_ACTIVE;
	ck_reason(buy(1, PX), FP_RISK_OK);
	static const uint32_t off[] = {FP_TRADING_OFF, FP_TRADING_HALTED, FP_TRADING_CANCEL_ONLY};
	for (unsigned i = 0; i < 3; i++) {
		fp_shm_ctl_set_trading(&E.ctl, off[i], "test", "state");
		ck_reason(buy(1, PX), FP_RISK_STATE_HALTED);
	}
	ck_reason(cancel(id, 0), FP_RISK_OK);
	fp_shm_ctl_set_trading(&E.ctl, FP_TRADING_ON, "test", "state");
	ck_reason(buy(1, PX), FP_RISK_OK);
}
END_TEST

START_TEST(test_kill_switch_with_open_orders)
{
	uint64_t ids[3];
	for (int i = 0; i < 3; i++)
		ck_reason(send_id(SYM, 0, FP_SIDE_BUY, 5, PX, &ids[i]), FP_RISK_OK);
	ck_assert_uint_eq(E.rc.open_orders, 3);
	fp_shm_ctl_kill(&E.ctl, "test", "kill with open orders");
	ck_reason(buy(1, PX), FP_RISK_KILL_SWITCH);
	struct fp_event rep = mk(FP_EV_ORDER_REPLACE, SYM, 0, FP_SIDE_BUY, 5, PX);
	rep.u.order.orig_client_order_id = ids[0];
	ck_reason(fp_risk_check(&E.rc, E.lim, &rep, E.now), FP_RISK_KILL_SWITCH);
	for (int i = 0; i < 3; i++)
		ck_reason(cancel(ids[i], 0), FP_RISK_OK);
	struct fp_event mass = mk(FP_EV_ORDER_MASS_CANCEL, 0, 0, 0, 0, 0);
	ck_reason(fp_risk_check(&E.rc, E.lim, &mass, E.now), FP_RISK_OK);
	for (int i = 0; i < 3; i++)
		exec(FP_EV_EXEC_CANCELED, ids[i], 5, PX, 0);
	ck_assert_uint_eq(E.rc.open_orders, 0);
	fp_shm_ctl_rearm(&E.ctl, "test", "done");
	ck_reason(buy(1, PX), FP_RISK_OK);
}
END_TEST

START_TEST(test_replace)
{
	E.lim->sym[SYM].max_position = 100;
	uint64_t id;
	ck_reason(send_id(SYM, 0, FP_SIDE_BUY, 80, PX, &id), FP_RISK_OK);
	struct fp_event rep = mk(FP_EV_ORDER_REPLACE, SYM, 0, FP_SIDE_BUY, 100, PX);
	rep.u.order.orig_client_order_id = id;
	ck_reason(fp_risk_check(&E.rc, E.lim, &rep, E.now), FP_RISK_OK); /* 100 replaces 80 */
	uint64_t nid = rep.u.order.client_order_id;
	ck_assert_uint_eq(E.rc.open_orders, 2); /* both legs until the venue confirms */
	exec(FP_EV_EXEC_REPLACED, nid, 100, PX, 100);
	ck_assert_uint_eq(E.rc.open_orders, 1);
	ck_assert_int_eq(E.rc.sym[SYM].open_buy, 100);
	struct fp_event rep2 = mk(FP_EV_ORDER_REPLACE, SYM, 0, FP_SIDE_BUY, 101, PX);
	rep2.u.order.orig_client_order_id = nid;
	ck_reason(fp_risk_check(&E.rc, E.lim, &rep2, E.now), FP_RISK_POSITION);
	rep2.u.order.orig_client_order_id = id; /* closed already */
	ck_reason(fp_risk_check(&E.rc, E.lim, &rep2, E.now), FP_RISK_UNKNOWN_ORDER);
}
END_TEST

/* A replace in flight when the old leg fills to the end (the venue filled it before it
 * answered the replace): both legs are held until then; the fill closes the old leg, and
 * the gateway's refusal of the replacement (FP_EV_EXEC_REJECTED of the new id, reason
 * order_ended, right after the fill) releases the replacement's reserve: nothing open is
 * left. Without that refusal the replacement's reserve stayed held for the day. */
START_TEST(test_replace_refused_after_the_old_leg_filled)
{
	uint64_t id;
	ck_reason(send_id(SYM, 0, FP_SIDE_BUY, 100, PX, &id), FP_RISK_OK);
	exec(FP_EV_EXEC_ACCEPTED, id, 100, PX, 100);
	struct fp_event rep = mk(FP_EV_ORDER_REPLACE, SYM, 0, FP_SIDE_BUY, 100, PX + 100);
	rep.u.order.orig_client_order_id = id;
	ck_reason(fp_risk_check(&E.rc, E.lim, &rep, E.now), FP_RISK_OK);
	uint64_t nid = rep.u.order.client_order_id;
	ck_assert_uint_eq(E.rc.open_orders, 2);
	exec(FP_EV_EXEC_FILL, id, 100, PX, 0); /* the old leg, to the end */
	ck_assert_int_eq(E.rc.sym[SYM].position, 100);
	ck_assert_uint_eq(E.rc.open_orders, 1); /* the replacement is still held */
	ck_assert_int_gt(E.rc.open_buy_notional, 0);
	exec(FP_EV_EXEC_REJECTED, nid, 100, PX + 100, 0);
	ck_assert_uint_eq(E.rc.open_orders, 0);
	ck_assert_int_eq(E.rc.open_buy_notional, 0);
	ck_assert_int_eq(E.rc.sym[SYM].open_buy, 0);
	ck_assert_uint_eq(fp_risk_order_find(&E.rc, nid)->state, FP_RISK_ORD_DONE);
	ck_assert_int_eq(E.rc.sym[SYM].position, 100);
	ck_assert_uint_eq(E.rc.cnt.unknown_exec, 0);
}
END_TEST

/* ---- positions and P&L ---- */

/*
 * Hand-computed sequence (prices in dollars, one strategy, one symbol):
 *   buy 100 @ 10.00            pos +100 cost 1000.00             realized 0
 *   buy  50 @ 13.00            pos +150 cost 1650.00 (avg 11)    realized 0
 *   sell 60 @ 12.00            pos  +90 cost  990.00             realized +60 (60 x 1)
 *   sell 140 @ 9.00 (flip)     closes 90: 810 - 990 = -180;      pos -50 cost -450.00
 *   buy  20 @ 8.00             -20 x 8 + 450 x 20/50 = -160+180 = +20; pos -30 cost -270
 *   buy  80 @ 10.00 (flip)     closes 30: -300 + 270 = -30;      pos +50 cost 500
 *   realized total = 60 - 180 + 20 - 30 = -130.00
 *   mark 11.00: unrealized = 50 x 11 - 500 = +50.00; daily P&L -80.00
 */
START_TEST(test_pnl_hand_computed_with_flips)
{
	const int64_t D = 10000; /* one dollar in Price(4) */
	ck_assert_int_eq(trade(0, FP_SIDE_BUY, 100, 10 * D), 0);
	ck_assert_int_eq(trade(0, FP_SIDE_BUY, 50, 13 * D), 0);
	const struct fp_risk_pos *p = fp_risk_pos_find(&E.rc, 0, SYM);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->position, 150);
	ck_assert_int_eq(p->cost, 1650 * D);
	ck_assert_int_eq(trade(0, FP_SIDE_SELL, 60, 12 * D), 60 * D);
	ck_assert_int_eq(p->position, 90);
	ck_assert_int_eq(p->cost, 990 * D);
	ck_assert_int_eq(trade(0, FP_SIDE_SELL, 140, 9 * D), -180 * D);
	ck_assert_int_eq(p->position, -50);
	ck_assert_int_eq(p->cost, -450 * D);
	ck_assert_int_eq(trade(0, FP_SIDE_BUY, 20, 8 * D), 20 * D);
	ck_assert_int_eq(p->position, -30);
	ck_assert_int_eq(p->cost, -270 * D);
	ck_assert_int_eq(trade(0, FP_SIDE_BUY, 80, 10 * D), -30 * D);
	ck_assert_int_eq(p->position, 50);
	ck_assert_int_eq(p->cost, 500 * D);
	ck_assert_int_eq(p->realized, -130 * D);
	top(SYM, 11 * D - 100, 11 * D + 100, 0);
	ck_assert_int_eq(p->unreal, 50 * D);
	ck_assert_int_eq(E.rc.region->strat[0].realized, -130 * D);
	ck_assert_int_eq(E.rc.region->strat[0].unreal, 50 * D);
	ck_assert_int_eq(fp_risk_firm_pnl(&E.rc), -80 * D);
	ck_assert_int_eq(E.rc.region->strat[0].gross, 500 * D);
	ck_assert_int_eq(E.rc.region->firm.net, 500 * D);
	ck_assert_int_eq(E.rc.sym[SYM].position, 50);
	ck_assert_uint_eq(E.rc.region->strat[0].nb_fills, 6);
	/* what fastpath-ctl reads: consistent copies of the region's lines */
	struct fp_risk_pos copy;
	ck_assert_int_eq(fp_risk_pos_read(E.rc.region, 0, &copy), 0);
	ck_assert_int_eq(copy.position, 50);
	ck_assert_int_eq(copy.realized, -130 * D);
	ck_assert_int_eq(fp_risk_pos_read(E.rc.region, 1, &copy), -ERANGE);
	struct fp_risk_pnl firm;
	ck_assert_int_eq(fp_risk_pnl_read(&E.rc.region->firm, &firm), 0);
	ck_assert_int_eq(firm.realized + firm.unreal, -80 * D);
	fp_risk_pos_region_dump(stderr, E.rc.region);
	ck_assert_int_eq(E.rc.open_orders, 0);
	/* losses in a row: -180 then +20 then -30 -> 1 */
	ck_assert_int_eq(E.rc.region->strat[0].consec_losses, 1);
}
END_TEST

START_TEST(test_pnl_two_strategies_net_in_firm)
{
	const int64_t D = 10000;
	trade(0, FP_SIDE_BUY, 100, 10 * D);
	trade(1, FP_SIDE_SELL, 100, 12 * D);
	top(SYM, 11 * D - 2, 11 * D + 2, 0);
	ck_assert_int_eq(E.rc.region->strat[0].unreal, 100 * D);
	ck_assert_int_eq(E.rc.region->strat[1].unreal, 100 * D);
	ck_assert_int_eq(fp_risk_firm_pnl(&E.rc), 200 * D);
	ck_assert_int_eq(E.rc.sym[SYM].position, 0);
	ck_assert_int_eq(E.rc.region->firm.gross, 0); /* netted per symbol */
	ck_assert_int_eq(E.rc.region->strat[0].gross + E.rc.region->strat[1].gross, 2200 * D);
}
END_TEST

START_TEST(test_partial_fills_and_cancel)
{
	uint64_t id;
	ck_reason(send_id(SYM, 0, FP_SIDE_BUY, 100, PX, &id), FP_RISK_OK);
	exec(FP_EV_EXEC_FILL, id, 30, PX, 70);
	ck_assert_int_eq(E.rc.sym[SYM].open_buy, 70);
	ck_assert_int_eq(E.rc.sym[SYM].position, 30);
	exec(FP_EV_EXEC_CANCELED, id, 70, PX, 0);
	ck_assert_int_eq(E.rc.sym[SYM].open_buy, 0);
	ck_assert_int_eq(E.rc.open_orders, 0);
	ck_assert_int_eq(E.rc.open_buy_notional, 0);
	ck_assert_uint_eq(fp_risk_order_find(&E.rc, id)->state, FP_RISK_ORD_DONE);
	/* a fill after the order is closed still moves the position */
	exec(FP_EV_EXEC_FILL, id, 5, PX, 0);
	ck_assert_int_eq(E.rc.sym[SYM].position, 35);
	ck_assert_int_eq(fp_risk_pos_find(&E.rc, 0, SYM)->position, 35);
	ck_assert_uint_eq(E.rc.cnt.late_fills, 1);
	ck_assert_int_eq(E.rc.sym[SYM].open_buy, 0);
	/* a report for an id never sent is counted, not applied */
	exec(FP_EV_EXEC_FILL, 424242, 1, PX, 0);
	ck_assert_uint_eq(E.rc.cnt.unknown_exec, 1);
}
END_TEST

/* ---- exits ---- */

START_TEST(test_stop_loss_exit_goes_through_checks)
{
	const int64_t D = 10000;
	E.lim->strat[0].stop_loss_bps = 200; /* 2 % */
	top(SYM, 10 * D - 1, 10 * D + 1, 0);
	trade(0, FP_SIDE_BUY, 100, 10 * D);
	struct fp_event out[4];
	top(SYM, 9 * D + 8000 + 1, 9 * D + 8002, 0); /* 9.8001: -1.99 % */
	ck_assert_uint_eq(fp_risk_exits(&E.rc, E.lim, SYM, out, 4), 0);
	top(SYM, 9 * D + 7999, 9 * D + 8001, 0); /* 9.8000: -2 % */
	ck_assert_uint_eq(fp_risk_exits(&E.rc, E.lim, SYM, out, 4), 1);
	ck_assert_uint_eq(out[0].u.order.side, FP_SIDE_SELL);
	ck_assert_uint_eq(out[0].u.order.shares, 100);
	ck_assert_int_eq(out[0].u.order.price, 9 * D + 7999);
	ck_assert_uint_eq(out[0].source, FP_RISK_SOURCE_EXIT);
	ck_assert(out[0].u.order.client_order_id & FP_RISK_COID_RISK);
	/* the same checks apply: a restricted symbol blocks the exit */
	E.lim->sym[SYM].flags = FP_RISK_SYMF_RESTRICTED;
	ck_reason(fp_risk_check(&E.rc, E.lim, &out[0], E.now), FP_RISK_RESTRICTED);
	E.lim->sym[SYM].flags = 0;
	/* losses: strategy halted for new risk, the exit still reduces */
	E.lim->strat[0].state = FP_RISK_REDUCING;
	ck_reason(fp_risk_check(&E.rc, E.lim, &out[0], E.now), FP_RISK_OK);
	/* an exit is open: no second one */
	ck_assert_uint_eq(fp_risk_exits(&E.rc, E.lim, SYM, out + 1, 3), 0);
	exec(FP_EV_EXEC_FILL, out[0].u.order.client_order_id, 100, 9 * D + 7999, 0);
	ck_assert_int_eq(fp_risk_pos_find(&E.rc, 0, SYM)->position, 0);
	ck_assert_uint_eq(fp_risk_exits(&E.rc, E.lim, SYM, out, 4), 0);
}
END_TEST

START_TEST(test_trailing_stop_take_profit_absolute)
{
	const int64_t D = 10000;
	struct fp_event out[4];
	E.lim->strat[0].trailing_stop_bps = 100; /* 1 % from the best mark */
	top(SYM, 10 * D - 1, 10 * D + 1, 0);
	trade(0, FP_SIDE_BUY, 10, 10 * D);
	top(SYM, 12 * D - 1, 12 * D + 1, 0); /* best 12.00 */
	ck_assert_int_eq(fp_risk_pos_find(&E.rc, 0, SYM)->best_mark, 12 * D);
	top(SYM, 11 * D + 8801 - 1, 11 * D + 8801 + 1, 0); /* -0.99 % from best */
	ck_assert_uint_eq(fp_risk_exits(&E.rc, E.lim, SYM, out, 4), 0);
	top(SYM, 11 * D + 8800 - 1, 11 * D + 8800 + 1, 0); /* -1 % */
	ck_assert_uint_eq(fp_risk_exits(&E.rc, E.lim, SYM, out, 4), 1);
	E.lim->strat[0].trailing_stop_bps = 0;
	/* take profit 10 % on a short of strategy 1 */
	E.lim->strat[1].take_profit_bps = 1000;
	trade(1, FP_SIDE_SELL, 10, 11 * D + 8800 - 1);
	/* short at 11.8799: +10 % needs a mark <= 10.6919 */
	top(SYM, 10 * D + 6919, 10 * D + 6921, 0);
	ck_assert_uint_eq(fp_risk_exits(&E.rc, E.lim, SYM, out, 4), 0);
	top(SYM, 10 * D + 6918, 10 * D + 6920, 0);
	ck_assert_uint_eq(fp_risk_exits(&E.rc, E.lim, SYM, out, 4), 1);
	ck_assert_uint_eq(out[0].u.order.side, FP_SIDE_BUY);
	ck_assert_uint_eq(out[0].u.order.strategy_id, 1);
	/* absolute: strategy 2 long 100 @ 10.692, exits when losing >= $50 */
	E.lim->strat[1].take_profit_bps = 0;
	E.lim->strat[2].stop_loss_abs = 50 * D;
	trade(2, FP_SIDE_BUY, 100, 10 * D + 6920);
	top(SYM, 10 * D + 1920 + 1 - 1, 10 * D + 1920 + 1 + 1, 0);
	ck_assert_uint_eq(fp_risk_exits(&E.rc, E.lim, SYM, out, 4), 0);
	top(SYM, 10 * D + 1920 - 1, 10 * D + 1920 + 1, 0);
	ck_assert_uint_eq(fp_risk_exits(&E.rc, E.lim, SYM, out, 4), 1);
	ck_assert_uint_eq(out[0].u.order.strategy_id, 2);
}
END_TEST

START_TEST(test_daily_roll_keeps_positions_and_open_orders)
{
	const int64_t D = 10000;
	trade(0, FP_SIDE_BUY, 100, 10 * D);
	top(SYM, 11 * D - 1, 11 * D + 1, 0);
	uint64_t id;
	ck_reason(send_id(SYM, 0, FP_SIDE_SELL, 10, 11 * D, &id), FP_RISK_OK);
	fp_risk_daily_roll(&E.rc);
	const struct fp_risk_pos *p = fp_risk_pos_find(&E.rc, 0, SYM);
	ck_assert_int_eq(p->position, 100);
	ck_assert_int_eq(p->cost, 1100 * D); /* carried at the mark */
	ck_assert_int_eq(p->realized, 0);
	ck_assert_int_eq(fp_risk_firm_pnl(&E.rc), 0);
	ck_assert_int_eq(E.rc.region->firm.gross, 1100 * D);
	ck_assert_ptr_nonnull(fp_risk_order_find(&E.rc, id));
	ck_assert_int_eq(exec(FP_EV_EXEC_FILL, id, 10, 12 * D, 0), 10 * D);
	ck_assert_int_eq(E.rc.open_orders, 0);
}
END_TEST

/* The tables' mapping: whole 2 MiB pages, aligned, zeroed, its backing known; the engine's
 * three tables live in it. */
START_TEST(test_tables_on_huge_pages)
{
	struct fp_hugemem m;
	size_t want = (3u << 20) + 5;
	unsigned char *p = fp_hugemem_alloc(&m, want, true, "test");
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq((uintptr_t)p % (2u << 20), 0);
	ck_assert_uint_eq(m.bytes % (2u << 20), 0);
	ck_assert_uint_ge(m.bytes, want);
	ck_assert(m.backing == FP_HUGEMEM_HUGETLB || m.backing == FP_HUGEMEM_THP ||
		  m.backing == FP_HUGEMEM_SMALL);
	ck_assert_str_ne(fp_hugemem_backing_name(m.backing), "none");
	for (size_t i = 0; i < m.bytes; i += 4096)
		ck_assert_uint_eq(p[i], 0);
	fp_hugemem_free(&m);
	ck_assert_ptr_null(m.ptr);
	fp_hugemem_free(&m); /* twice: a no-op */

	struct fp_risk_core rc;
	struct fp_risk_core_cfg cfg = {
		.nb_symbols = 16, .order_capacity = 1024, .pos_capacity = 64};
	ck_assert_int_eq(fp_risk_core_init(&rc, &cfg), 0);
	const char *lo = rc.mem.ptr, *hi = lo + rc.mem.bytes;
	ck_assert((const char *)rc.sym >= lo && (const char *)(rc.sym + 16) <= hi);
	ck_assert((const char *)rc.orders >= lo && (const char *)(rc.orders + 1024) <= hi);
	ck_assert((const char *)rc.pos_index >= lo && (const char *)(rc.pos_index + 128) <= hi);
	fp_risk_core_fini(&rc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_risk_core");
	TCase *tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_qty_min_max);
	tcase_add_test(tc, test_price_min_max);
	tcase_add_test(tc, test_collar_and_no_reference);
	tcase_add_test(tc, test_notional);
	tcase_add_test(tc, test_position_counts_open_orders);
	tcase_add_test(tc, test_open_orders_symbol_strategy_total);
	tcase_add_test(tc, test_open_orders_released_by_cancel);
	tcase_add_test(tc, test_gross_and_net);
	tcase_add_test(tc, test_daily_loss_and_reducing_exempt);
	tcase_add_test(tc, test_consecutive_losses);
	tcase_add_test(tc, test_order_throttle_strategy_and_symbol);
	tcase_add_test(tc, test_cancel_throttle);
	tcase_add_test(tc, test_duplicate_id);
	tcase_add_test(tc, test_restricted_halted_stale);
	tcase_add_test(tc, test_tables_on_huge_pages);
	suite_add_tcase(s, tc);

	TCase *ts = tcase_create("states");
	tcase_add_checked_fixture(ts, setup, teardown);
	tcase_add_test(ts, test_state_reducing);
	tcase_add_test(ts, test_state_halted_allows_cancels);
	tcase_add_test(ts, test_kill_switch_with_open_orders);
	tcase_add_test(ts, test_replace);
	tcase_add_test(ts, test_replace_refused_after_the_old_leg_filled);
	suite_add_tcase(s, ts);

	TCase *tp = tcase_create("pnl");
	tcase_add_checked_fixture(tp, setup, teardown);
	tcase_add_test(tp, test_pnl_hand_computed_with_flips);
	tcase_add_test(tp, test_pnl_two_strategies_net_in_firm);
	tcase_add_test(tp, test_partial_fills_and_cancel);
	tcase_add_test(tp, test_stop_loss_exit_goes_through_checks);
	tcase_add_test(tp, test_trailing_stop_take_profit_absolute);
	tcase_add_test(tp, test_daily_roll_keeps_positions_and_open_orders);
	suite_add_tcase(s, tp);

	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
