/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_risk_stage.c - the risk stage through its rings.
 *
 * Covers: fan-in of two intent rings, accepted intents forwarded and rejects answered on the
 * right ring with their reason; a full order ring answered with `backpressure` (nothing
 * dropped); execution reports folded into positions; the kill switch with open orders
 * (mass cancel sent once, new orders refused, cancels pass); breakers tripping on rejects in
 * a row, venue disconnect, daily loss, position breach and stale data, then open ->
 * cooldown -> manual reset -> closed with each transition recorded; a stop-loss exit leaving
 * through the order ring; limits changed from another thread while orders flow, never
 * checked against a half-written set; the risk.stats region formatted, counted in place and
 * checked by its readers; the limits watcher kept off the core the worker is pinned to.
 */
#define _GNU_SOURCE /* pthread_getaffinity_np, CPU_ISSET */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fp_cpu.h"
#include "fp_err.h"
#include "fp_risk.h"
#include "fp_tsc.h"

#define NSYM 64
#define PX   1000000

struct rig {
	struct fp_ring *intent[2], *reject[2], *order, *exec, *md;
	struct fp_risk_limits *lim;
	struct fp_risk_limits_shm *shm;
	struct fp_shm_ctl ctl;
	struct fp_risk risk;
	struct fp_risk_stats *stats; /* a "risk.stats" region; NULL: the stage's own */
	uint64_t next_id;
};

static struct rig R;
static uint64_t tsc_hz;

static struct fp_ring *ring(uint32_t cap, const char *name)
{
	struct fp_ring *r = aligned_alloc(64, FP_ALIGN_UP(fp_ring_memsize(cap), (size_t)64));
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(fp_ring_init(r, cap, name), 0);
	return r;
}

static void rig_start(uint32_t order_cap, int use_shm)
{
	memset(&R, 0, sizeof(R));
	if (!tsc_hz)
		ck_assert_int_eq(fp_tsc_calibrate(&tsc_hz), 0);
	for (int i = 0; i < 2; i++) {
		R.intent[i] = ring(64, "intent");
		R.reject[i] = ring(64, "reject");
	}
	R.order = ring(order_cap, "order");
	R.exec = ring(64, "exec");
	R.md = ring(64, "md");
	R.lim = aligned_alloc(64, sizeof(*R.lim));
	fp_risk_limits_default(R.lim, NSYM);
	R.next_id = 1;
	fp_shm_ctl_init(&R.ctl);
	fp_shm_ctl_set_trading(&R.ctl, FP_TRADING_ON, "test", "start");
	if (use_shm) {
		R.shm = aligned_alloc(64, sizeof(*R.shm));
		fp_risk_limits_shm_init(R.shm, R.lim);
	}
}

static void rig_init(void)
{
	struct fp_risk_cfg cfg = {
		.intent = {R.intent[0], R.intent[1]},
		.reject = {R.reject[0], R.reject[1]},
		.nb_intent = 2,
		.exec = {R.exec},
		.nb_exec = 1,
		.md = {R.md},
		.nb_md = 1,
		.order = R.order,
		.nb_symbols = NSYM,
		.order_capacity = 4096,
		.pos_capacity = 64,
		.limits_shm = R.shm,
		.limits = R.lim,
		.ctl = &R.ctl,
		.tsc_hz = tsc_hz,
		.watch_us = 200,
		.stats = R.stats,
	};
	int rc = fp_risk_init(&R.risk, &cfg);
	ck_assert_msg(rc == 0, "init: %s", fp_err_msg());
}

static void rig_stop(void)
{
	fp_risk_fini(&R.risk);
	for (int i = 0; i < 2; i++) {
		free(R.intent[i]);
		free(R.reject[i]);
	}
	free(R.order);
	free(R.exec);
	free(R.md);
	free(R.lim);
	free(R.shm);
	memset(&R, 0, sizeof(R));
}

/* The stage's own copy of the limits (tests only, on the risk thread, between polls). */
static struct fp_risk_limits *cur(void)
{
	return (struct fp_risk_limits *)fp_risk_limits_current(&R.risk);
}

static void put(struct fp_ring *r, const struct fp_event *ev)
{
	ck_assert_uint_eq(fp_ring_enqueue_burst(r, ev, 1), 1);
}

static uint64_t intent(int q, uint8_t type, uint32_t sym, uint16_t strat, uint8_t side,
		       uint32_t qty, int64_t price, uint64_t orig)
{
	struct fp_event ev = {.type = type, .symbol_id = sym, .source = strat};
	uint64_t id = ((uint64_t)strat << 48) | R.next_id++;
	ev.u.order = (struct fp_ev_order){.client_order_id = id,
					  .price = price,
					  .shares = qty,
					  .strategy_id = strat,
					  .side = side,
					  .orig_client_order_id = orig};
	put(R.intent[q], &ev);
	return id;
}

static void top(uint32_t sym, int64_t bid, int64_t ask, uint8_t flags)
{
	struct fp_event ev = {.type = FP_EV_BOOK_TOP, .symbol_id = sym, .flags = flags};
	ev.u.top.bid_price = bid;
	ev.u.top.ask_price = ask;
	put(R.md, &ev);
}

static void exec(uint8_t type, uint64_t id, uint32_t shares, int64_t price, uint32_t leaves)
{
	struct fp_event ev = {.type = type};
	ev.u.exec.client_order_id = id;
	ev.u.exec.shares = shares;
	ev.u.exec.price = price;
	ev.u.exec.leaves_shares = leaves;
	put(R.exec, &ev);
}

static void control(uint32_t cmd)
{
	struct fp_event ev = {.type = FP_EV_CONTROL};
	ev.u.control.command = cmd;
	put(R.exec, &ev);
}

static unsigned drain(struct fp_ring *r, struct fp_event *out, unsigned max)
{
	return fp_ring_dequeue_burst(r, out, max);
}

static void poll_n(int n)
{
	for (int i = 0; i < n; i++)
		fp_risk_poll(&R.risk, 32);
}

static void setup_plain(void)
{
	rig_start(64, 0);
}

START_TEST(test_fan_in_forward_and_reject)
{
	R.lim->sym[1].qty_max = 100;
	rig_init();
	top(1, PX - 1, PX + 1, 0);
	uint64_t a = intent(0, FP_EV_ORDER_NEW, 1, 0, FP_SIDE_BUY, 100, PX, 0);
	uint64_t b = intent(1, FP_EV_ORDER_NEW, 1, 1, FP_SIDE_SELL, 101, PX, 0);
	uint64_t c = intent(1, FP_EV_ORDER_NEW, 1, 1, FP_SIDE_SELL, 50, PX, 0);
	poll_n(1);
	struct fp_event out[8];
	ck_assert_uint_eq(drain(R.order, out, 8), 2);
	ck_assert(out[0].u.order.client_order_id == a || out[1].u.order.client_order_id == a);
	ck_assert(out[0].u.order.client_order_id == c || out[1].u.order.client_order_id == c);
	ck_assert_uint_eq(drain(R.reject[0], out, 8), 0);
	ck_assert_uint_eq(drain(R.reject[1], out, 8), 1);
	ck_assert_uint_eq(out[0].type, FP_EV_RISK_REJECT);
	ck_assert_uint_eq(out[0].u.reject.client_order_id, b);
	ck_assert_uint_eq(out[0].u.reject.reason, FP_RISK_QTY_MAX);
	ck_assert_uint_eq(R.risk.st->checks.rejected[FP_RISK_QTY_MAX], 1);
	ck_assert_uint_eq(R.risk.st->checks.accepted, 2);
	ck_assert_uint_eq(out[0].u.reject.strategy_id, 1);
	ck_assert_uint_eq(out[0].u.reject.order_type, FP_EV_ORDER_NEW);
	/* fills come back on the exec ring */
	exec(FP_EV_EXEC_FILL, a, 100, PX, 0);
	exec(FP_EV_EXEC_FILL, c, 20, PX + 5, 30);
	poll_n(1);
	ck_assert_int_eq(fp_risk_pos_find(&R.risk.core, 0, 1)->position, 100);
	ck_assert_int_eq(fp_risk_pos_find(&R.risk.core, 1, 1)->position, -20);
	ck_assert_int_eq(R.risk.core.sym[1].position, 80);
	ck_assert_uint_eq(R.risk.core.open_orders, 1);
	rig_stop();
}
END_TEST

START_TEST(test_full_order_ring_is_backpressure)
{
	rig_stop(); /* this test wants a tiny order ring */
	rig_start(4, 0);
	rig_init();
	for (int i = 0; i < 6; i++)
		intent(0, FP_EV_ORDER_NEW, 2, 0, FP_SIDE_BUY, 1, PX, 0);
	poll_n(1);
	struct fp_event out[8];
	ck_assert_uint_eq(drain(R.reject[0], out, 8), 2);
	ck_assert_uint_eq(out[0].u.reject.reason, FP_RISK_BACKPRESSURE);
	ck_assert_uint_eq(out[1].u.reject.reason, FP_RISK_BACKPRESSURE);
	ck_assert_uint_eq(R.risk.core.cnt.rejected[FP_RISK_BACKPRESSURE], 2);
	ck_assert_uint_eq(fp_ring_count(R.order), 4);
	ck_assert_uint_eq(R.risk.core.open_orders, 4); /* the refused ones were never recorded */
	/* a full reject ring holds the intents back instead of dropping answers */
	struct fp_event junk = {.type = FP_EV_NONE};
	while (fp_ring_enqueue_burst(R.reject[1], &junk, 1))
		;
	intent(1, FP_EV_ORDER_NEW, 2, 0, FP_SIDE_BUY, 1, PX, 0);
	poll_n(3);
	ck_assert_uint_eq(fp_ring_count(R.intent[1]), 1);
}
END_TEST

START_TEST(test_kill_switch_mass_cancel_and_cancels_pass)
{
	rig_init();
	uint64_t ids[3];
	for (int i = 0; i < 3; i++)
		ids[i] = intent(0, FP_EV_ORDER_NEW, 3, 0, FP_SIDE_BUY, 10, PX, 0);
	poll_n(1);
	struct fp_event out[8];
	ck_assert_uint_eq(drain(R.order, out, 8), 3);
	fp_shm_ctl_kill(&R.ctl, "test", "kill");
	intent(0, FP_EV_ORDER_NEW, 3, 0, FP_SIDE_BUY, 10, PX, 0);
	intent(0, FP_EV_ORDER_CANCEL, 3, 0, FP_SIDE_BUY, 0, 0, ids[1]);
	poll_n(2);
	ck_assert_uint_eq(drain(R.order, out, 8), 2);
	ck_assert_uint_eq(out[0].type, FP_EV_ORDER_MASS_CANCEL); /* first, and only once */
	ck_assert_uint_eq(out[1].type, FP_EV_ORDER_CANCEL);
	ck_assert_uint_eq(drain(R.reject[0], out, 8), 1);
	ck_assert_uint_eq(out[0].u.reject.reason, FP_RISK_KILL_SWITCH);
	for (int i = 0; i < 3; i++)
		exec(FP_EV_EXEC_CANCELED, ids[i], 10, PX, 0);
	poll_n(1);
	ck_assert_uint_eq(R.risk.core.open_orders, 0);
	ck_assert_uint_eq(R.risk.st->mass_cancels, 1);
	fp_shm_ctl_rearm(&R.ctl, "test", "rearm");
	intent(0, FP_EV_ORDER_NEW, 3, 0, FP_SIDE_BUY, 10, PX, 0);
	poll_n(1);
	ck_assert_uint_eq(drain(R.order, out, 8), 1);
	rig_stop();
}
END_TEST

static uint32_t brk_state(void)
{
	return atomic_load(&R.risk.brk->state);
}

static const struct fp_risk_breaker_rec *last_rec(void)
{
	uint64_t n = atomic_load(&R.risk.brk->nb_records);
	ck_assert_uint_gt(n, 0);
	return &R.risk.brk->log[(n - 1) % FP_RISK_BREAKER_LOG];
}

START_TEST(test_breaker_rejects_cooldown_reset)
{
	R.lim->g.max_consec_rejects = 3;
	R.lim->g.breaker_cooldown_ms = 50;
	rig_init();
	struct fp_event out[8];
	intent(0, FP_EV_ORDER_NEW, 4, 0, FP_SIDE_BUY, 0, PX, 0); /* qty_min */
	intent(0, FP_EV_ORDER_NEW, 4, 0, FP_SIDE_BUY, 0, PX, 0);
	poll_n(1);
	ck_assert_uint_eq(brk_state(), FP_RISK_BRK_CLOSED); /* 2: below */
	intent(0, FP_EV_ORDER_NEW, 4, 0, FP_SIDE_BUY, 0, PX, 0);
	poll_n(1);
	ck_assert_uint_eq(brk_state(), FP_RISK_BRK_OPEN); /* 3: at the limit */
	ck_assert_uint_eq(last_rec()->reason, FP_RISK_TRIP_REJECTS);
	ck_assert_int_eq(last_rec()->value, 3);
	poll_n(1);
	ck_assert_uint_eq(drain(R.order, out, 8), 1);
	ck_assert_uint_eq(out[0].type, FP_EV_ORDER_MASS_CANCEL);
	drain(R.reject[0], out, 8);
	intent(0, FP_EV_ORDER_NEW, 4, 0, FP_SIDE_BUY, 5, PX, 0);
	poll_n(1);
	ck_assert_uint_eq(drain(R.reject[0], out, 8), 1);
	ck_assert_uint_eq(out[0].u.reject.reason, FP_RISK_BREAKER_OPEN);
	/* reset while still open: refused and recorded */
	fp_risk_breaker_request_reset(R.risk.brk);
	poll_n(1);
	if (brk_state() == FP_RISK_BRK_OPEN)
		ck_assert_uint_eq(last_rec()->reason, FP_RISK_TRIP_RESET_REFUSED);
	usleep(60000);
	poll_n(1);
	ck_assert_uint_eq(brk_state(), FP_RISK_BRK_COOLDOWN);
	intent(0, FP_EV_ORDER_NEW, 4, 0, FP_SIDE_BUY, 5, PX, 0);
	poll_n(1);
	ck_assert_uint_eq(drain(R.reject[0], out, 8), 1);
	ck_assert_uint_eq(out[0].u.reject.reason, FP_RISK_BREAKER_OPEN);
	fp_risk_breaker_request_reset(R.risk.brk);
	poll_n(1);
	ck_assert_uint_eq(brk_state(), FP_RISK_BRK_CLOSED);
	ck_assert_uint_eq(last_rec()->reason, FP_RISK_TRIP_RESET);
	ck_assert_uint_eq(last_rec()->from, FP_RISK_BRK_COOLDOWN);
	intent(0, FP_EV_ORDER_NEW, 4, 0, FP_SIDE_BUY, 5, PX, 0);
	poll_n(1);
	ck_assert_uint_eq(drain(R.order, out, 8), 1);
	fp_risk_breaker_dump(stderr, R.risk.brk);
	rig_stop();
}
END_TEST

/* Before the gateway's first login it refuses orders as not connected: risk then refuses
 * new orders itself (venue_down), which neither spends the order rate nor counts toward the
 * rejects breaker (e2e_diskfull under load: a market maker that requoted on every refusal
 * tripped the breaker and the kill switch before the venue came up), until VENUE_UP. */
START_TEST(test_venue_down_until_login_is_not_a_strategy_error)
{
	R.lim->g.max_consec_rejects = 3;
	rig_init();
	struct fp_event out[8];
	uint64_t a = intent(0, FP_EV_ORDER_NEW, 5, 0, FP_SIDE_BUY, 5, PX, 0);
	poll_n(1);
	ck_assert_uint_eq(drain(R.order, out, 8), 1); /* not known yet: forwarded */
	struct fp_event rej = {.type = FP_EV_EXEC_REJECTED};
	rej.u.exec.client_order_id = a;
	rej.u.exec.reason = FP_RISK_GW_NOT_CONNECTED;
	put(R.exec, &rej);
	poll_n(1);
	ck_assert_uint_eq(R.risk.core.open_orders, 0);
	uint64_t first = 0;
	for (int i = 0; i < 10; i++) {
		uint64_t id = intent(0, FP_EV_ORDER_NEW, 5, 0, FP_SIDE_BUY, 5, PX, 0);
		first = first ? first : id;
		poll_n(1);
	}
	struct fp_event rj[16];
	ck_assert_uint_eq(drain(R.reject[0], rj, 16), 10);
	ck_assert_uint_eq(rj[0].u.reject.client_order_id, first);
	for (int i = 0; i < 10; i++)
		ck_assert_uint_eq(rj[i].u.reject.reason, FP_RISK_VENUE_DOWN);
	ck_assert_str_eq(fp_risk_reason_name(FP_RISK_VENUE_DOWN), "venue_down");
	ck_assert_uint_eq(R.risk.core.cnt.rejected[FP_RISK_VENUE_DOWN], 10);
	ck_assert_uint_eq(R.risk.core.consec_rejects, 0);
	ck_assert_uint_eq(brk_state(), FP_RISK_BRK_CLOSED);
	ck_assert_uint_eq(drain(R.order, out, 8), 0);
	control(FP_RISK_CTL_VENUE_UP);
	intent(0, FP_EV_ORDER_NEW, 5, 0, FP_SIDE_BUY, 5, PX, 0);
	poll_n(1);
	ck_assert_uint_eq(drain(R.order, out, 8), 1);
	ck_assert_uint_eq(out[0].type, FP_EV_ORDER_NEW);
	rig_stop();
}
END_TEST

START_TEST(test_breaker_trips_venue_loss_position_stale)
{
	R.lim->g.breaker_on_venue = 1;
	R.lim->g.breaker_on_loss = 1;
	R.lim->g.breaker_on_position = 1;
	R.lim->g.breaker_on_stale = 1;
	R.lim->g.max_daily_loss = 100 * 10000; /* $100 */
	R.lim->sym[5].max_position = 100;
	R.lim->g.breaker_cooldown_ms = 0;
	rig_init();
	struct fp_event out[8];

	control(FP_RISK_CTL_VENUE_DOWN);
	poll_n(1);
	ck_assert_uint_eq(brk_state(), FP_RISK_BRK_OPEN);
	ck_assert_uint_eq(last_rec()->reason, FP_RISK_TRIP_VENUE);
	ck_assert_uint_eq(R.risk.venue_down, 1);
	control(FP_RISK_CTL_VENUE_UP);
	poll_n(1); /* cooldown 0: open -> cooldown at once */
	ck_assert_uint_eq(brk_state(), FP_RISK_BRK_COOLDOWN);
	fp_risk_breaker_request_reset(R.risk.brk);
	poll_n(1);
	ck_assert_uint_eq(brk_state(), FP_RISK_BRK_CLOSED);
	drain(R.order, out, 8);

	/* daily loss: long 100 @ 100.00, mark 98.99 = -$101 */
	top(5, PX - 1, PX + 1, 0);
	uint64_t id = intent(0, FP_EV_ORDER_NEW, 5, 0, FP_SIDE_BUY, 100, PX, 0);
	poll_n(1);
	exec(FP_EV_EXEC_FILL, id, 100, PX, 0);
	top(5, PX - 10100 - 1, PX - 10100 + 1, 0);
	poll_n(1);
	ck_assert_uint_eq(brk_state(), FP_RISK_BRK_OPEN);
	ck_assert_uint_eq(last_rec()->reason, FP_RISK_TRIP_DAILY_LOSS);
	ck_assert_int_eq(last_rec()->value, -101 * 10000);
	top(5, PX - 1, PX + 1, 0); /* back to flat P&L */
	poll_n(1);
	fp_risk_breaker_request_reset(R.risk.brk);
	poll_n(1);
	ck_assert_uint_eq(brk_state(), FP_RISK_BRK_CLOSED);

	/* position breach: a fill beyond max_position (an order accepted before a limit cut) */
	cur()->sym[5].max_position = 200;
	id = intent(0, FP_EV_ORDER_NEW, 5, 0, FP_SIDE_BUY, 100, PX, 0);
	poll_n(1);
	ck_assert_uint_eq(R.risk.st->forwarded, 2);
	cur()->sym[5].max_position = 150; /* a limit cut after the order left */
	exec(FP_EV_EXEC_FILL, id, 100, PX, 0);
	poll_n(1);
	ck_assert_uint_eq(brk_state(), FP_RISK_BRK_OPEN);
	ck_assert_uint_eq(last_rec()->reason, FP_RISK_TRIP_POSITION);
	ck_assert_uint_eq(last_rec()->symbol_id, 5);
	ck_assert_int_eq(last_rec()->value, 200);
	poll_n(1);
	fp_risk_breaker_request_reset(R.risk.brk);
	poll_n(1);

	/* a trip can also trip the kill switch, with the reason recorded in the control block */
	R.risk.cfg.breaker_sets_kill = 1;
	fp_risk_trip(&R.risk, FP_RISK_TRIP_MANUAL, 0, 0);
	ck_assert(fp_shm_ctl_killed(&R.ctl));
	struct fp_shm_ctl_change ch;
	ck_assert(fp_shm_ctl_last_change(&R.ctl, &ch));
	ck_assert_str_eq(ch.who, "risk:breaker");
	ck_assert_str_eq(ch.reason, "manual");
	R.risk.cfg.breaker_sets_kill = 0;
	poll_n(1);
	fp_risk_breaker_request_reset(R.risk.brk);
	poll_n(1);

	/* stale data */
	struct fp_event st = {.type = FP_EV_MD_STALE, .symbol_id = 6};
	st.u.stale.reason = FP_STALE_GAP;
	put(R.md, &st);
	poll_n(1);
	ck_assert_uint_eq(last_rec()->reason, FP_RISK_TRIP_STALE);
	rig_stop();
}
END_TEST

START_TEST(test_stop_loss_exit_through_order_ring)
{
	R.lim->strat[2].stop_loss_bps = 100;
	rig_init();
	top(7, PX - 1, PX + 1, 0);
	uint64_t id = intent(0, FP_EV_ORDER_NEW, 7, 2, FP_SIDE_BUY, 40, PX, 0);
	poll_n(1);
	struct fp_event out[8];
	ck_assert_uint_eq(drain(R.order, out, 8), 1);
	exec(FP_EV_EXEC_FILL, id, 40, PX, 0);
	top(7, PX - 10000 - 1, PX - 10000 + 1, 0); /* -1 % */
	poll_n(1);
	ck_assert_uint_eq(drain(R.order, out, 8), 1);
	ck_assert_uint_eq(out[0].type, FP_EV_ORDER_NEW);
	ck_assert_uint_eq(out[0].source, FP_RISK_SOURCE_EXIT);
	ck_assert_uint_eq(out[0].u.order.side, FP_SIDE_SELL);
	ck_assert_uint_eq(out[0].u.order.shares, 40);
	ck_assert_uint_eq(out[0].u.order.strategy_id, 2);
	top(7, PX - 10000 - 2, PX - 10000, 0); /* still due, but the exit is open */
	poll_n(1);
	ck_assert_uint_eq(drain(R.order, out, 8), 0);
	rig_stop();
}
END_TEST

/* ---- limits changing under flowing orders ---- */

/*
 * Two sets alternate; in both an order of 150 shares is refused, but for a different reason
 * (A: qty_max 100; B: qty_min 200). A set mixing the two (A's min with B's max) would
 * accept it. Every set also carries its generation in every symbol's price_max, so the
 * reader can verify the whole set it holds is from one generation.
 */
struct writer_arg {
	struct fp_risk_limits_shm *shm;
	_Atomic int stop;
	_Atomic uint64_t published;
};

static void make_set(struct fp_risk_limits *l, uint64_t g)
{
	fp_risk_limits_default(l, NSYM);
	for (unsigned s = 0; s < NSYM; s++) {
		l->sym[s].qty_min = (g & 1) ? 200 : 1;
		l->sym[s].qty_max = (g & 1) ? 300 : 100;
		l->sym[s].price_max = 10000000 + (int64_t)g;
	}
}

static void *writer_main(void *p)
{
	struct writer_arg *w = p;
	struct fp_risk_limits *l = aligned_alloc(64, sizeof(*l));
	uint64_t g = w->shm->lim.generation;
	while (!atomic_load(&w->stop)) {
		make_set(l, g + 1);
		ck_assert_int_eq(fp_risk_limits_publish(w->shm, l), 0);
		g++;
		atomic_fetch_add(&w->published, 1);
		usleep(300);
	}
	free(l);
	return NULL;
}

START_TEST(test_limits_change_while_orders_flow)
{
	rig_stop();
	rig_start(64, 1);
	make_set(R.lim, 1);
	fp_risk_limits_shm_init(R.shm, R.lim);
	R.shm->lim.generation = 1;
	rig_init();
	struct writer_arg w = {.shm = R.shm};
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, writer_main, &w), 0);
	uint64_t nb_min = 0, nb_max = 0, checked = 0, gens_seen = 0, last_gen = 0;
	/* Until enough orders met enough generations (bounded: a loaded machine is slow). */
	uint64_t t_end = fp_tsc_now() + 20 * tsc_hz;
	struct fp_event out[64];
	while ((checked < 2000 || gens_seen < 4 || !nb_min || !nb_max) && fp_tsc_now() < t_end) {
		for (int i = 0; i < 16; i++)
			intent(i & 1, FP_EV_ORDER_NEW, 1 + (uint32_t)(R.next_id % (NSYM - 1)), 0,
			       FP_SIDE_BUY, 150, PX, 0);
		fp_risk_poll(&R.risk, 64);
		/* the set in use is whole: every symbol from one generation */
		const struct fp_risk_limits *l = fp_risk_limits_current(&R.risk);
		uint64_t g = l->generation;
		for (unsigned s = 0; s < NSYM; s++) {
			ck_assert_int_eq(l->sym[s].price_max, 10000000 + (int64_t)g);
			ck_assert_uint_eq(l->sym[s].qty_min, (g & 1) ? 200 : 1);
		}
		if (g != last_gen)
			gens_seen++;
		last_gen = g;
		ck_assert_uint_eq(fp_ring_count(R.order), 0); /* never accepted */
		for (int q = 0; q < 2; q++) {
			unsigned n = drain(R.reject[q], out, 64);
			for (unsigned i = 0; i < n; i++) {
				checked++;
				if (out[i].u.reject.reason == FP_RISK_QTY_MIN)
					nb_min++;
				else if (out[i].u.reject.reason == FP_RISK_QTY_MAX)
					nb_max++;
				else
					ck_abort_msg("unexpected reason %s",
						     fp_risk_reason_name(out[i].u.reject.reason));
			}
		}
	}
	atomic_store(&w.stop, 1);
	pthread_join(th, NULL);
	fprintf(stderr,
		"limits under flow: %" PRIu64 " orders, %" PRIu64 " published, %" PRIu64
		" adopted, %" PRIu64 " generations seen, min %" PRIu64 " max %" PRIu64 "\n",
		checked, atomic_load(&w.published), atomic_load(&R.risk.st->limits_updates),
		gens_seen, nb_min, nb_max);
	ck_assert_uint_gt(checked, 1000);
	ck_assert_uint_gt(gens_seen, 3);
	ck_assert_uint_gt(nb_min, 0);
	ck_assert_uint_gt(nb_max, 0);
	ck_assert_uint_eq(atomic_load(&R.risk.st->limits_refused), 0);
}
END_TEST

START_TEST(test_invalid_publish_is_refused)
{
	rig_init();
	struct fp_risk_limits_shm *shm = aligned_alloc(64, sizeof(*shm));
	fp_risk_limits_shm_init(shm, R.lim);
	R.lim->sym[3].qty_min = 10;
	R.lim->sym[3].qty_max = 5;
	ck_assert_int_eq(fp_risk_limits_publish(shm, R.lim), -EINVAL);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "limits change refused"));
	ck_assert_uint_eq(shm->lim.generation, 1);
	R.lim->sym[3].qty_min = 1;
	ck_assert_int_eq(fp_risk_limits_publish(shm, R.lim), 0);
	ck_assert_uint_eq(shm->lim.generation, 2);
	free(shm);
	rig_stop();
}
END_TEST

/* Publishes one set (generation + 1, price_max 7777777) the moment the stage under init
 * has its first set, before its watcher runs: the firm listener does so at start. */
static void *early_writer_main(void *p)
{
	struct fp_risk_limits *l = p;
	while (__atomic_load_n(&R.risk.lim, __ATOMIC_ACQUIRE) == NULL)
		;
	ck_assert_int_eq(fp_risk_limits_publish(R.shm, l), 0);
	return NULL;
}

/* Regression (e2e_firm under make stress): a set published while the stage starts (after
 * init copied the first set, before the watcher read the region's sequence) was never
 * adopted: `limits show` gave the new set, risk enforced the old one (an instance refused
 * every order for a firm budget it had). Each round publishes in that window. */
START_TEST(test_limits_published_while_the_stage_starts_are_adopted)
{
	struct fp_risk_limits *l = aligned_alloc(64, sizeof(*l));
	ck_assert_ptr_nonnull(l);
	for (int round = 0; round < 20; round++) {
		rig_stop();
		rig_start(64, 1);
		fp_risk_limits_default(l, NSYM);
		l->sym[1].price_max = 7777777;
		pthread_t th;
		ck_assert_int_eq(pthread_create(&th, NULL, early_writer_main, l), 0);
		rig_init();
		pthread_join(th, NULL);
		uint64_t t_end = fp_tsc_now() + 5 * tsc_hz; /* a bound: a loaded machine is slow */
		while (cur()->sym[1].price_max != 7777777 && fp_tsc_now() < t_end)
			fp_risk_poll(&R.risk, 1); /* quiescent states: the watcher's grace period */
		ck_assert_msg(cur()->sym[1].price_max == 7777777,
			      "round %d: the set published at start was not adopted", round);
	}
	free(l);
}
END_TEST

/* risk.stats is a versioned region the stage formats and counts in, in place. */
START_TEST(test_stats_region_in_place_and_checked)
{
	R.stats = aligned_alloc(64, sizeof(*R.stats));
	ck_assert_ptr_nonnull(R.stats);
	memset(R.stats, 0xa5, sizeof(*R.stats)); /* whatever a previous run left */
	rig_init();
	ck_assert_ptr_eq(R.risk.st, R.stats);
	ck_assert_uint_eq(R.stats->magic, FP_RISK_STATS_MAGIC);
	ck_assert_uint_eq(R.stats->version, FP_RISK_STATS_VERSION);
	ck_assert_uint_eq(R.stats->size, sizeof(struct fp_risk_stats));
	ck_assert_uint_eq(R.stats->intents, 0);
	ck_assert_uint_eq(atomic_load(&R.stats->limits_updates), 0);
	ck_assert_int_eq(fp_risk_stats_check(R.stats), 0);
	top(1, PX - 1, PX + 1, 0);
	intent(0, FP_EV_ORDER_NEW, 1, 0, FP_SIDE_BUY, 100, PX, 0);
	poll_n(1);
	/* a reader in another process sees the counters without any publishing step */
	ck_assert_uint_eq(R.stats->intents, 1);
	ck_assert_uint_eq(R.stats->forwarded, 1);
	ck_assert_uint_eq(R.stats->tops, 1);
	ck_assert_uint_eq(R.stats->checks.accepted, 1);
	R.stats->version = FP_RISK_STATS_VERSION + 1; /* a segment of another layout */
	ck_assert_int_eq(fp_risk_stats_check(R.stats), -EPROTO);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "use the fastpath that created the segment"));
	R.stats->version = FP_RISK_STATS_VERSION;
	R.stats->magic = 0;
	ck_assert_int_eq(fp_risk_stats_check(R.stats), -EPROTO);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "bad magic"));
	struct fp_risk_stats *region = R.stats;
	rig_stop();
	free(region);
}
END_TEST

/* The limits watcher never runs on the core the worker is pinned to (issue 15), and the
 * counters say where the tables live. */
START_TEST(test_watcher_off_the_worker_core)
{
	cpu_set_t saved;
	ck_assert_int_eq(pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved), 0);
	int cores = fp_cpu_count();
	ck_assert_int_gt(cores, 0);
	int me = fp_cpu_current();
	ck_assert_int_ge(me, 0);
	ck_assert_int_eq(fp_cpu_pin_self(me), 0); /* as a worker pins itself before init */
	rig_stop();
	rig_start(64, 1);
	rig_init();
	ck_assert(R.risk.has_watcher);
	cpu_set_t w;
	ck_assert_int_eq(pthread_getaffinity_np(R.risk.watcher, sizeof(w), &w), 0);
	if (cores > 1) {
		ck_assert_uint_eq(R.risk.st->watcher_apart, 1);
		ck_assert(!CPU_ISSET(me, &w));
		ck_assert_int_gt(CPU_COUNT(&w), 0);
	} else { /* one core: nowhere else to go, and the counters say so */
		ck_assert_uint_eq(R.risk.st->watcher_apart, 0);
	}
	ck_assert_uint_ne(R.risk.st->tables_backing, FP_HUGEMEM_NONE);
	ck_assert_uint_ne(R.risk.st->limits_backing, FP_HUGEMEM_NONE);
	ck_assert_int_eq(pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_risk_stage");
	TCase *tc = tcase_create("stage");
	tcase_add_checked_fixture(tc, setup_plain, rig_stop);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_fan_in_forward_and_reject);
	tcase_add_test(tc, test_full_order_ring_is_backpressure);
	tcase_add_test(tc, test_kill_switch_mass_cancel_and_cancels_pass);
	tcase_add_test(tc, test_breaker_rejects_cooldown_reset);
	tcase_add_test(tc, test_venue_down_until_login_is_not_a_strategy_error);
	tcase_add_test(tc, test_breaker_trips_venue_loss_position_stale);
	tcase_add_test(tc, test_stop_loss_exit_through_order_ring);
	tcase_add_test(tc, test_limits_change_while_orders_flow);
	tcase_add_test(tc, test_invalid_publish_is_refused);
	tcase_add_test(tc, test_limits_published_while_the_stage_starts_are_adopted);
	tcase_add_test(tc, test_stats_region_in_place_and_checked);
	tcase_add_test(tc, test_watcher_off_the_worker_core);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
