/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_risk_recover.c - the risk stage's journal (shm/fp_journal.h) and its recovery.
 *
 * Covers: an accepted intent is on the journal ring before it is on the order ring and a
 * reject is journaled too (J4); a full journal ring refuses intents with journal_full and
 * records nothing; execution reports replayed by the venue (seq not above the last applied
 * in the same session) are dropped, a new session starts again (J3); an ACCEPTED for an
 * unknown id adopts the order so its fills count; the state rebuilt from the journal (RISK
 * records drained from the ring, GW records as the gateway journals them) equals the live
 * state: positions, P&L, open orders, exposure, breaker, also when the positions region kept
 * the live figures (a worker restart) and when the replay runs twice; a later day's file
 * applies the daily roll; an order only risk journaled (it died in the order ring with the
 * segment) is released once the venue session is synchronised; intents the dead worker
 * answered but had not released are not answered twice.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fp_err.h"
#include "fp_journal.h"
#include "fp_risk.h"
#include "fp_tsc.h"

#define NSYM 16
#define PX   1000000
#define NPOS 64

struct jrec {
	uint32_t src;
	uint32_t day;
	struct fp_event ev;
};

struct rig {
	struct fp_ring *intent, *reject, *order, *exec, *md, *jrnl;
	struct fp_risk_limits *lim;
	struct fp_risk_pos_region *pos;
	struct fp_risk_breaker_region *brk;
	struct fp_shm_ctl ctl;
	struct fp_risk risk;
	uint64_t next_id, next_seq;
	uint32_t nb_j, day;
	struct jrec j[1024]; /* what the store would have written, in order */
};

static struct rig *R;
static uint64_t tsc_hz;

static struct fp_ring *ring(uint32_t cap, const char *name)
{
	struct fp_ring *r = aligned_alloc(64, FP_ALIGN_UP(fp_ring_memsize(cap), (size_t)64));
	ck_assert_int_eq(fp_ring_init(r, cap, name), 0);
	return r;
}

static void risk_start(void)
{
	struct fp_risk_cfg cfg = {
		.intent = {R->intent},
		.reject = {R->reject},
		.nb_intent = 1,
		.exec = {R->exec},
		.nb_exec = 1,
		.md = {R->md},
		.nb_md = 1,
		.order = R->order,
		.nb_symbols = NSYM,
		.order_capacity = 1024,
		.pos_capacity = NPOS,
		.pos_region = R->pos,
		.breaker = R->brk,
		.limits = R->lim,
		.ctl = &R->ctl,
		.tsc_hz = tsc_hz,
		.journal = R->jrnl,
	};
	ck_assert_msg(fp_risk_init(&R->risk, &cfg) == 0, "init: %s", fp_err_msg());
}

static void rig_new(uint32_t jrnl_cap)
{
	if (!tsc_hz)
		ck_assert_int_eq(fp_tsc_calibrate(&tsc_hz), 0);
	R = aligned_alloc(64, FP_ALIGN_UP(sizeof(*R), (size_t)64));
	memset(R, 0, sizeof(*R));
	R->intent = ring(64, "intent");
	R->reject = ring(64, "reject");
	R->order = ring(256, "order");
	R->exec = ring(256, "exec");
	R->md = ring(64, "md");
	R->jrnl = ring(jrnl_cap, "jrnl");
	R->lim = aligned_alloc(64, sizeof(*R->lim));
	fp_risk_limits_default(R->lim, NSYM);
	R->lim->g.breaker_cooldown_ms = 600000; /* a trip stays open through the test */
	R->pos = aligned_alloc(64, FP_ALIGN_UP(fp_risk_pos_region_memsize(NPOS), (size_t)64));
	fp_risk_pos_region_init(R->pos, NPOS);
	R->brk = aligned_alloc(64, sizeof(*R->brk));
	fp_risk_breaker_init(R->brk);
	fp_shm_ctl_init(&R->ctl);
	fp_shm_ctl_set_trading(&R->ctl, FP_TRADING_ON, "test", "start");
	R->next_id = 1;
	R->next_seq = 1;
	R->day = 20261125;
	risk_start();
}

static void rig_free(void)
{
	fp_risk_fini(&R->risk);
	free(R->intent);
	free(R->reject);
	free(R->order);
	free(R->exec);
	free(R->md);
	free(R->jrnl);
	free(R->lim);
	free(R->pos);
	free(R->brk);
	free(R);
	R = NULL;
}

static void journal(uint32_t src, const struct fp_event *ev)
{
	ck_assert_uint_lt(R->nb_j, FP_ARRAY_SIZE(R->j));
	R->j[R->nb_j++] = (struct jrec){.src = src, .day = R->day, .ev = *ev};
}

/* The store's part for the risk ring (J1), then the gateway's part: take the orders. */
static void poll_n(int n)
{
	struct fp_event ev;
	for (int i = 0; i < n; i++) {
		fp_risk_poll(&R->risk, 32);
		while (fp_ring_dequeue_burst(R->jrnl, &ev, 1))
			journal(FP_JRNL_SRC_RISK, &ev);
	}
}

static uint64_t intent(uint8_t type, uint32_t sym, uint16_t strat, uint8_t side, uint32_t qty,
		       int64_t price, uint64_t orig)
{
	struct fp_event ev = {.type = type, .symbol_id = sym, .source = strat};
	uint64_t id = ((uint64_t)strat << 48) | R->next_id++;
	ev.u.order = (struct fp_ev_order){.client_order_id = id,
					  .price = price,
					  .shares = qty,
					  .strategy_id = strat,
					  .side = side,
					  .orig_client_order_id = orig};
	ck_assert_uint_eq(fp_ring_enqueue_burst(R->intent, &ev, 1), 1);
	return id;
}

#define LOCAL UINT64_MAX /* seq of the gateway's own rejects (0 on the ring) */

/* A venue report as the gateway makes it: on the exec ring, then journaled (J3) unless
 * @p lost (the gateway died in between). @p seq 0 = the next number, LOCAL = none. */
static void venue(uint8_t type, uint64_t id, uint32_t sym, uint16_t strat, uint8_t side,
		  uint32_t shares, int64_t price, uint32_t leaves, uint64_t seq, int lost)
{
	struct fp_event ev = {.type = type, .symbol_id = sym, .source = strat};
	ev.seq = seq == LOCAL ? 0 : seq ? seq : R->next_seq++;
	ev.u.exec = (struct fp_ev_exec){.client_order_id = id,
					.price = price,
					.shares = shares,
					.leaves_shares = leaves,
					.strategy_id = strat,
					.side = side};
	ck_assert_uint_eq(fp_ring_enqueue_burst(R->exec, &ev, 1), 1);
	if (!lost)
		journal(FP_JRNL_SRC_GW, &ev);
}

static void session(const char *name)
{
	struct fp_event ev = {.type = FP_EV_CONTROL};
	ev.u.control.command = FP_EV_CTL_VENUE_UP;
	memset(ev.u.control.text, ' ', 10);
	memcpy(ev.u.control.text, name, strlen(name));
	ck_assert_uint_eq(fp_ring_enqueue_burst(R->exec, &ev, 1), 1);
	ev.u.control.command = FP_JRNL_CTL_SESSION;
	journal(FP_JRNL_SRC_GW, &ev);
}

static void top(uint32_t sym, int64_t bid, int64_t ask)
{
	struct fp_event ev = {.type = FP_EV_BOOK_TOP, .symbol_id = sym};
	ev.u.top.bid_price = bid;
	ev.u.top.ask_price = ask;
	ck_assert_uint_eq(fp_ring_enqueue_burst(R->md, &ev, 1), 1);
}

static void drain_orders(void)
{
	struct fp_event ev;
	while (fp_ring_dequeue_burst(R->order, &ev, 1) || fp_ring_dequeue_burst(R->reject, &ev, 1))
		;
}

/* ---- journaling ---- */

START_TEST(test_risk_journals_intents_before_the_order_ring_and_rejects)
{
	rig_new(64);
	R->lim->sym[1].qty_max = 100; /* the stage copied the limits at init: set its copy */
	((struct fp_risk_limits *)fp_risk_limits_current(&R->risk))->sym[1].qty_max = 100;
	uint64_t a = intent(FP_EV_ORDER_NEW, 1, 2, FP_SIDE_BUY, 100, PX, 0);
	uint64_t b = intent(FP_EV_ORDER_NEW, 1, 2, FP_SIDE_BUY, 101, PX, 0);
	fp_risk_poll(&R->risk, 32);
	struct fp_event j[4], o;
	ck_assert_uint_eq(fp_ring_dequeue_burst(R->jrnl, j, 4), 2);
	ck_assert_uint_eq(fp_ring_dequeue_burst(R->order, &o, 1), 1);
	ck_assert_int_eq(j[0].type, FP_EV_ORDER_NEW);
	ck_assert_int_eq(memcmp(&j[0], &o, sizeof(o)), 0); /* exactly as on the order ring */
	ck_assert_uint_eq(j[0].u.order.client_order_id, a);
	ck_assert_int_eq(j[1].type, FP_EV_RISK_REJECT);
	ck_assert_uint_eq(j[1].u.reject.client_order_id, b);
	ck_assert_uint_eq(j[1].u.reject.reason, FP_RISK_QTY_MAX);
	/* a breaker trip is journaled with its reason and figure */
	fp_risk_trip(&R->risk, FP_RISK_TRIP_MANUAL, 0, 42);
	ck_assert_uint_eq(fp_ring_dequeue_burst(R->jrnl, j, 4), 1);
	ck_assert_int_eq(j[0].type, FP_EV_CONTROL);
	ck_assert_uint_eq(j[0].u.control.command, FP_JRNL_CTL_BREAKER_TRIP);
	ck_assert_uint_eq(j[0].u.control.arg, FP_RISK_TRIP_MANUAL);
	ck_assert_uint_eq(j[0].u.control.value, 42);
	ck_assert_str_eq(j[0].u.control.text, "manual");
	rig_free();
}
END_TEST

/* Issue 15: journal records are written in place on the journal ring, across its wrap
 * point, each accepted order's record committed before the order; a breaker trip in the
 * middle of a batch is journaled after the rejects that made it. */
START_TEST(test_risk_journals_in_place_across_the_wrap)
{
	rig_new(8);
	struct fp_risk_limits *cur = (struct fp_risk_limits *)fp_risk_limits_current(&R->risk);
	cur->sym[1].qty_max = 100;
	for (int round = 0; round < 10; round++) { /* 30 records through 8 slots */
		uint64_t a = intent(FP_EV_ORDER_NEW, 1, 2, FP_SIDE_BUY, 10, PX, 0);
		uint64_t b = intent(FP_EV_ORDER_NEW, 1, 2, FP_SIDE_BUY, 101, PX, 0);
		uint64_t c = intent(FP_EV_ORDER_NEW, 1, 2, FP_SIDE_SELL, 10, PX, 0);
		fp_risk_poll(&R->risk, 32);
		struct fp_event j[8], o[4];
		ck_assert_uint_eq(fp_ring_dequeue_burst(R->jrnl, j, 8), 3);
		ck_assert_uint_eq(fp_ring_dequeue_burst(R->order, o, 4), 2);
		ck_assert_int_eq(memcmp(&j[0], &o[0], sizeof(o[0])), 0);
		ck_assert_uint_eq(j[0].u.order.client_order_id, a);
		ck_assert_int_eq(j[1].type, FP_EV_RISK_REJECT);
		ck_assert_uint_eq(j[1].u.reject.client_order_id, b);
		ck_assert_int_eq(memcmp(&j[2], &o[1], sizeof(o[1])), 0);
		ck_assert_uint_eq(j[2].u.order.client_order_id, c);
		drain_orders();
	}
	/* Two rejects in a row trip the breaker mid-batch: rejects, trip, then the rest. */
	cur->g.max_consec_rejects = 2;
	for (int i = 0; i < 3; i++)
		intent(FP_EV_ORDER_NEW, 1, 2, FP_SIDE_BUY, 101, PX, 0);
	fp_risk_poll(&R->risk, 32);
	struct fp_event j[8];
	ck_assert_uint_eq(fp_ring_dequeue_burst(R->jrnl, j, 8), 4);
	ck_assert_int_eq(j[0].type, FP_EV_RISK_REJECT);
	ck_assert_int_eq(j[1].type, FP_EV_RISK_REJECT);
	ck_assert_int_eq(j[2].type, FP_EV_CONTROL);
	ck_assert_uint_eq(j[2].u.control.command, FP_JRNL_CTL_BREAKER_TRIP);
	ck_assert_int_eq(j[3].type, FP_EV_RISK_REJECT);
	ck_assert_uint_eq(fp_ring_count(R->order), 0);
	rig_free();
}
END_TEST

START_TEST(test_risk_refuses_intents_when_the_journal_is_full)
{
	rig_new(4); /* nobody drains it */
	for (int i = 0; i < 6; i++)
		intent(FP_EV_ORDER_NEW, 2, 1, FP_SIDE_BUY, 10, PX, 0);
	fp_risk_poll(&R->risk, 32);
	ck_assert_uint_eq(fp_ring_count(R->order), 4);
	ck_assert_uint_eq(fp_ring_count(R->jrnl), 4);
	struct fp_event rj[4];
	ck_assert_uint_eq(fp_ring_dequeue_burst(R->reject, rj, 4), 2);
	ck_assert_uint_eq(rj[0].u.reject.reason, FP_RISK_JOURNAL_FULL);
	ck_assert_uint_eq(rj[1].u.reject.reason, FP_RISK_JOURNAL_FULL);
	ck_assert_uint_eq(R->risk.st->journal_full, 2);
	ck_assert_uint_eq(R->risk.core.open_orders, 4); /* refused ones never recorded */
	ck_assert_str_eq(fp_risk_reason_name(FP_RISK_JOURNAL_FULL), "journal_full");
	rig_free();
}
END_TEST

START_TEST(test_risk_drops_replayed_reports_within_a_session)
{
	rig_new(64);
	session("S1");
	uint64_t a = intent(FP_EV_ORDER_NEW, 3, 1, FP_SIDE_BUY, 100, PX, 0);
	poll_n(1);
	venue(FP_EV_EXEC_ACCEPTED, a, 3, 1, FP_SIDE_BUY, 100, PX, 100, 5, 0);
	venue(FP_EV_EXEC_FILL, a, 3, 1, FP_SIDE_BUY, 10, PX, 90, 6, 0);
	venue(FP_EV_EXEC_FILL, a, 3, 1, FP_SIDE_BUY, 10, PX, 90, 6, 0); /* replayed */
	venue(FP_EV_EXEC_FILL, a, 3, 1, FP_SIDE_BUY, 10, PX, 80, 7, 0);
	poll_n(1);
	ck_assert_uint_eq(R->risk.st->exec_dups, 1);
	ck_assert_int_eq(fp_risk_pos_find(&R->risk.core, 1, 3)->position, 20);
	/* a new session numbers from 1 again */
	session("S2");
	venue(FP_EV_EXEC_FILL, a, 3, 1, FP_SIDE_BUY, 10, PX, 70, 1, 0);
	poll_n(1);
	ck_assert_uint_eq(R->risk.st->exec_dups, 1);
	ck_assert_int_eq(fp_risk_pos_find(&R->risk.core, 1, 3)->position, 30);
	/* the gateway's own rejects (seq 0) are never taken for replays */
	uint64_t b = intent(FP_EV_ORDER_NEW, 3, 1, FP_SIDE_BUY, 5, PX, 0);
	uint64_t c = intent(FP_EV_ORDER_NEW, 3, 1, FP_SIDE_BUY, 5, PX, 0);
	poll_n(1);
	venue(FP_EV_EXEC_REJECTED, b, 3, 1, FP_SIDE_BUY, 5, PX, 0, LOCAL, 0);
	venue(FP_EV_EXEC_REJECTED, c, 3, 1, FP_SIDE_BUY, 5, PX, 0, LOCAL, 0);
	poll_n(1);
	ck_assert_int_eq(fp_risk_order_find(&R->risk.core, b)->state, FP_RISK_ORD_DONE);
	ck_assert_int_eq(fp_risk_order_find(&R->risk.core, c)->state, FP_RISK_ORD_DONE);
	rig_free();
}
END_TEST

START_TEST(test_risk_adopts_an_accepted_order_it_never_saw)
{
	rig_new(64);
	uint64_t id = (5ull << 48) | 777;
	venue(FP_EV_EXEC_ACCEPTED, id, 4, 5, FP_SIDE_SELL, 100, PX, 100, 0, 0);
	poll_n(1);
	ck_assert_uint_eq(R->risk.core.cnt.adopted, 1);
	const struct fp_risk_order *o = fp_risk_order_find(&R->risk.core, id);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(o->state, FP_RISK_ORD_OPEN);
	ck_assert_uint_eq(o->leaves, 100);
	ck_assert_int_eq(R->risk.core.sym[4].open_sell, 100);
	venue(FP_EV_EXEC_FILL, id, 4, 5, FP_SIDE_SELL, 100, PX, 0, 0, 0);
	poll_n(1);
	ck_assert_int_eq(fp_risk_pos_find(&R->risk.core, 5, 4)->position, -100);
	ck_assert_uint_eq(R->risk.core.open_orders, 0);
	ck_assert_uint_eq(R->risk.core.cnt.unknown_exec, 0);
	rig_free();
}
END_TEST

/* ---- recovery ---- */

struct snap {
	int64_t pos[4][NSYM], cost[4][NSYM], realized[4][NSYM];
	struct fp_risk_pnl firm, strat[4];
	uint32_t open_orders;
	int64_t open_buy, open_sell;
	uint32_t breaker;
	uint64_t exec_last_seq;
};

static void take(struct snap *s)
{
	memset(s, 0, sizeof(*s));
	for (uint16_t k = 0; k < 4; k++)
		for (uint32_t y = 1; y < NSYM; y++) {
			const struct fp_risk_pos *p = fp_risk_pos_find(&R->risk.core, k, y);
			if (p) {
				s->pos[k][y] = p->position;
				s->cost[k][y] = p->cost;
				s->realized[k][y] = p->realized;
			}
		}
	s->firm = R->pos->firm;
	for (int k = 0; k < 4; k++)
		s->strat[k] = R->pos->strat[k];
	s->firm.lock = (struct fp_seqlock){0};
	for (int k = 0; k < 4; k++)
		s->strat[k].lock = (struct fp_seqlock){0};
	s->open_orders = R->risk.core.open_orders;
	s->open_buy = R->risk.core.open_buy_notional;
	s->open_sell = R->risk.core.open_sell_notional;
	s->breaker = atomic_load(&R->brk->state);
	s->exec_last_seq = R->risk.st->exec_last_seq;
}

static void same(const struct snap *a, const struct snap *b)
{
	for (int k = 0; k < 4; k++)
		for (int y = 1; y < NSYM; y++) {
			ck_assert_msg(a->pos[k][y] == b->pos[k][y], "position %d/%d", k, y);
			ck_assert_msg(a->cost[k][y] == b->cost[k][y], "cost %d/%d", k, y);
			ck_assert_msg(a->realized[k][y] == b->realized[k][y], "realized %d/%d", k,
				      y);
		}
	ck_assert_int_eq(a->firm.realized, b->firm.realized);
	ck_assert_int_eq(a->firm.gross, b->firm.gross);
	ck_assert_int_eq(a->firm.net, b->firm.net);
	ck_assert_uint_eq(a->firm.nb_fills, b->firm.nb_fills);
	ck_assert_uint_eq(a->firm.fill_shares, b->firm.fill_shares);
	for (int k = 0; k < 4; k++) {
		ck_assert_int_eq(a->strat[k].realized, b->strat[k].realized);
		ck_assert_uint_eq(a->strat[k].nb_fills, b->strat[k].nb_fills);
		ck_assert_uint_eq(a->strat[k].consec_losses, b->strat[k].consec_losses);
	}
	ck_assert_uint_eq(a->open_orders, b->open_orders);
	ck_assert_int_eq(a->open_buy, b->open_buy);
	ck_assert_int_eq(a->open_sell, b->open_sell);
	ck_assert_uint_eq(a->breaker, b->breaker);
	ck_assert_uint_eq(a->exec_last_seq, b->exec_last_seq);
}

/* Restart the risk worker on the same segment regions and replay the journal. */
static void restart_and_recover(void)
{
	fp_risk_fini(&R->risk);
	drain_orders();
	risk_start();
	for (uint32_t i = 0; i < R->nb_j; i++)
		fp_risk_recover_event(&R->risk, R->j[i].src, &R->j[i].ev, R->j[i].day);
	fp_risk_recover_done(&R->risk);
}

/* A day of trading: two strategies, three symbols, partial fills, a flip, a cancel, a
 * replace, an adopted order, a replayed report, a breaker trip. */
static uint64_t trade(void)
{
	session("FPSIM00001");
	top(1, PX - 100, PX + 100);
	top(2, 2 * PX - 100, 2 * PX + 100);
	top(3, 3 * PX - 100, 3 * PX + 100);
	uint64_t a = intent(FP_EV_ORDER_NEW, 1, 1, FP_SIDE_BUY, 300, PX, 0);
	uint64_t b = intent(FP_EV_ORDER_NEW, 2, 2, FP_SIDE_SELL, 200, 2 * PX, 0);
	uint64_t c = intent(FP_EV_ORDER_NEW, 3, 1, FP_SIDE_BUY, 100, 3 * PX, 0);
	poll_n(1);
	venue(FP_EV_EXEC_ACCEPTED, a, 1, 1, FP_SIDE_BUY, 300, PX, 300, 0, 0);
	venue(FP_EV_EXEC_ACCEPTED, b, 2, 2, FP_SIDE_SELL, 200, 2 * PX, 200, 0, 0);
	venue(FP_EV_EXEC_ACCEPTED, c, 3, 1, FP_SIDE_BUY, 100, 3 * PX, 100, 0, 0);
	venue(FP_EV_EXEC_FILL, a, 1, 1, FP_SIDE_BUY, 100, PX, 200, 0, 0);
	venue(FP_EV_EXEC_FILL, a, 1, 1, FP_SIDE_BUY, 50, PX - 300, 150, 0, 0);
	venue(FP_EV_EXEC_FILL, b, 2, 2, FP_SIDE_SELL, 200, 2 * PX + 500, 0, 0, 0);
	poll_n(1);
	/* c: replaced by d (100 -> 60 at a new price) */
	uint64_t d = intent(FP_EV_ORDER_REPLACE, 3, 1, FP_SIDE_BUY, 60, 3 * PX - 100, c);
	/* a: partly canceled */
	intent(FP_EV_ORDER_CANCEL, 1, 1, FP_SIDE_BUY, 0, 0, a);
	poll_n(1);
	/* one venue message, two reports of one seq (as the gateway makes them) */
	venue(FP_EV_EXEC_CANCELED, c, 3, 1, FP_SIDE_BUY, 100, 3 * PX, 0, 0, 0);
	venue(FP_EV_EXEC_ACCEPTED, d, 3, 1, FP_SIDE_BUY, 60, 3 * PX - 100, 60, R->next_seq - 1, 0);
	venue(FP_EV_EXEC_FILL, d, 3, 1, FP_SIDE_BUY, 60, 3 * PX - 100, 0, 0, 0);
	venue(FP_EV_EXEC_CANCELED, a, 1, 1, FP_SIDE_BUY, 150, PX, 0, 0, 0);
	/* a replace risk never recorded (intent lost in a crash): its ACCEPTED, sharing the
	 * old leg's seq, adopts the new leg */
	uint64_t c2 = intent(FP_EV_ORDER_NEW, 3, 1, FP_SIDE_SELL, 10, 3 * PX + 500, 0);
	poll_n(1);
	venue(FP_EV_EXEC_ACCEPTED, c2, 3, 1, FP_SIDE_SELL, 10, 3 * PX + 500, 10, 0, 0);
	uint64_t d2 = (1ull << 48) | 4242;
	venue(FP_EV_EXEC_CANCELED, c2, 3, 1, FP_SIDE_SELL, 10, 3 * PX + 500, 0, 0, 0);
	venue(FP_EV_EXEC_ACCEPTED, d2, 3, 1, FP_SIDE_SELL, 10, 3 * PX + 400, 10, R->next_seq - 1,
	      0);
	venue(FP_EV_EXEC_FILL, d2, 3, 1, FP_SIDE_SELL, 10, 3 * PX + 400, 0, 0, 0);
	/* an order risk never recorded (intent lost in a crash), adopted from ACCEPTED */
	uint64_t e = (3ull << 48) | 999;
	venue(FP_EV_EXEC_ACCEPTED, e, 2, 3, FP_SIDE_BUY, 80, 2 * PX, 80, 0, 0);
	venue(FP_EV_EXEC_FILL, e, 2, 3, FP_SIDE_BUY, 30, 2 * PX - 100, 50, 0, 0);
	poll_n(1);
	/* strategy 2 flips: buys 300 (short 200 -> long 100), then sells 50 at a loss */
	uint64_t f = intent(FP_EV_ORDER_NEW, 2, 2, FP_SIDE_BUY, 300, 2 * PX, 0);
	uint64_t g = intent(FP_EV_ORDER_NEW, 2, 2, FP_SIDE_SELL, 50, 2 * PX - 1000, 0);
	uint64_t h = intent(FP_EV_ORDER_NEW, 1, 1, FP_SIDE_SELL, 100, PX + 200, 0);
	poll_n(1);
	venue(FP_EV_EXEC_ACCEPTED, f, 2, 2, FP_SIDE_BUY, 300, 2 * PX, 300, 0, 0);
	venue(FP_EV_EXEC_FILL, f, 2, 2, FP_SIDE_BUY, 300, 2 * PX - 200, 0, 0, 0);
	venue(FP_EV_EXEC_ACCEPTED, g, 2, 2, FP_SIDE_SELL, 50, 2 * PX - 1000, 50, 0, 0);
	venue(FP_EV_EXEC_FILL, g, 2, 2, FP_SIDE_SELL, 50, 2 * PX - 1000, 0, 0, 0);
	venue(FP_EV_EXEC_ACCEPTED, h, 1, 1, FP_SIDE_SELL, 100, PX + 200, 100, 0, 0);
	venue(FP_EV_EXEC_FILL, h, 1, 1, FP_SIDE_SELL, 40, PX + 200, 60, 0, 0);
	/* the gateway died after pushing this fill on the exec ring, before the journal; the
	 * venue replays it after the restart: the live risk must drop the replay */
	venue(FP_EV_EXEC_FILL, h, 1, 1, FP_SIDE_SELL, 20, PX + 250, 40, 0, 1);
	venue(FP_EV_EXEC_FILL, h, 1, 1, FP_SIDE_SELL, 20, PX + 250, 40, R->next_seq - 1, 0);
	poll_n(1);
	fp_risk_trip(&R->risk, FP_RISK_TRIP_MANUAL, 0, 7);
	poll_n(1);
	drain_orders();
	return h;
}

START_TEST(test_risk_recovery_rebuilds_the_live_state)
{
	rig_new(256);
	uint64_t h = trade();
	ck_assert_uint_eq(R->risk.st->exec_dups, 1);
	ck_assert_uint_eq(R->risk.core.cnt.adopted, 2);
	ck_assert_int_eq(fp_risk_pos_find(&R->risk.core, 1, 3)->position, 60 - 10);
	ck_assert_uint_eq(atomic_load(&R->brk->state), FP_RISK_BRK_OPEN);
	struct snap live, rec;
	take(&live);
	ck_assert_int_ne(live.pos[2][2], 0);
	ck_assert_uint_gt(live.open_orders, 0);
	/* the worker restarts: the regions in the segment keep the live figures */
	restart_and_recover();
	take(&rec);
	same(&live, &rec);
	ck_assert_uint_eq(R->risk.st->recovered_records, R->nb_j);
	ck_assert_uint_gt(R->risk.st->recovered_fills, 0);
	ck_assert_uint_eq(R->risk.st->recovered_breaker, 1);
	ck_assert_uint_eq(R->risk.core.breaker_open, 1);
	/* the same replay again (a second restart) counts nothing twice */
	restart_and_recover();
	take(&rec);
	same(&live, &rec);
	/* open orders are known again: a fill of the rest of h applies, a replay is dropped */
	venue(FP_EV_EXEC_FILL, h, 1, 1, FP_SIDE_SELL, 40, PX + 200, 0, 0, 0);
	venue(FP_EV_EXEC_FILL, h, 1, 1, FP_SIDE_SELL, 40, PX + 200, 0, R->next_seq - 2, 0);
	poll_n(1);
	ck_assert_uint_eq(R->risk.st->exec_dups, 1);
	ck_assert_int_eq(fp_risk_pos_find(&R->risk.core, 1, 1)->position, 150 - 100);
	ck_assert_uint_eq(R->risk.core.open_orders, live.open_orders - 1);
	rig_free();
}
END_TEST

START_TEST(test_risk_recovery_from_a_fresh_segment_and_a_later_day)
{
	rig_new(256);
	trade();
	struct snap live, rec;
	take(&live);
	/* a supervisor restart: the segment's regions are new */
	fp_risk_pos_region_init(R->pos, NPOS);
	fp_risk_breaker_init(R->brk);
	restart_and_recover();
	take(&rec);
	same(&live, &rec);
	/* a file of the next day: the roll is applied before its first record */
	R->day++;
	session("FPSIM00002");
	restart_and_recover();
	ck_assert_uint_eq(R->risk.st->recovered_days, 1);
	ck_assert_int_eq(R->pos->firm.realized, 0);
	ck_assert_int_eq(fp_risk_pos_find(&R->risk.core, 2, 2)->position, live.pos[2][2]);
	ck_assert_uint_eq(R->risk.st->exec_last_seq, 0); /* new session */
	rig_free();
}
END_TEST

/* A supervisor crash: risk journaled two orders, the gateway only ever had one of them. */
START_TEST(test_risk_releases_recovered_orders_the_gateway_never_had)
{
	rig_new(256);
	session("FPSIM00001");
	uint64_t x = intent(FP_EV_ORDER_NEW, 5, 1, FP_SIDE_BUY, 10, PX, 0);
	uint64_t y = intent(FP_EV_ORDER_NEW, 5, 1, FP_SIDE_BUY, 20, PX, 0);
	poll_n(1);
	venue(FP_EV_EXEC_ACCEPTED, y, 5, 1, FP_SIDE_BUY, 20, PX, 20, 0, 0);
	poll_n(1);
	fp_risk_pos_region_init(R->pos, NPOS);
	fp_risk_breaker_init(R->brk);
	restart_and_recover();
	ck_assert_uint_eq(R->risk.core.open_orders, 2);
	/* the dead worker had not released its last intent batch: y is seen again, skipped */
	struct fp_event again = {.type = FP_EV_ORDER_NEW, .symbol_id = 5, .source = 1};
	again.u.order = (struct fp_ev_order){
		.client_order_id = y, .price = PX, .shares = 20, .strategy_id = 1, .side = 'B'};
	ck_assert_uint_eq(fp_ring_enqueue_burst(R->intent, &again, 1), 1);
	uint64_t z = intent(FP_EV_ORDER_NEW, 5, 1, FP_SIDE_BUY, 1, PX, 0);
	poll_n(1);
	ck_assert_uint_eq(R->risk.st->recover_skipped, 1);
	ck_assert_uint_eq(fp_ring_count(R->reject), 0);
	struct fp_event o;
	ck_assert_uint_eq(fp_ring_dequeue_burst(R->order, &o, 1), 1);
	ck_assert_uint_eq(o.u.order.client_order_id, z);
	ck_assert_uint_eq(R->risk.core.open_orders, 3);
	venue(FP_EV_EXEC_CANCELED, z, 5, 1, FP_SIDE_BUY, 1, PX, 0, 0, 0);
	poll_n(1);
	ck_assert_uint_eq(R->risk.core.open_orders, 2);
	/* login: the venue replays (nothing here), then the session is synchronised */
	struct fp_event up = {.type = FP_EV_CONTROL};
	up.u.control.command = FP_EV_CTL_VENUE_UP;
	memcpy(up.u.control.text, "FPSIM00001", 10);
	ck_assert_uint_eq(fp_ring_enqueue_burst(R->exec, &up, 1), 1);
	poll_n(1);
	ck_assert_uint_eq(R->risk.core.open_orders, 2);
	up.u.control.arg = FP_RISK_VENUE_SYNCED;
	ck_assert_uint_eq(fp_ring_enqueue_burst(R->exec, &up, 1), 1);
	poll_n(1);
	ck_assert_uint_eq(R->risk.st->released, 1);
	ck_assert_int_eq(fp_risk_order_find(&R->risk.core, x)->state, FP_RISK_ORD_DONE);
	ck_assert_int_eq(fp_risk_order_find(&R->risk.core, y)->state, FP_RISK_ORD_OPEN);
	ck_assert_int_eq(R->risk.core.sym[5].open_buy, 20);
	/* released too early (the venue's replay was not over): its Accepted reopens it */
	venue(FP_EV_EXEC_ACCEPTED, x, 5, 1, FP_SIDE_BUY, 10, PX, 10, 0, 0);
	venue(FP_EV_EXEC_FILL, x, 5, 1, FP_SIDE_BUY, 4, PX, 6, 0, 0);
	poll_n(1);
	ck_assert_int_eq(fp_risk_order_find(&R->risk.core, x)->state, FP_RISK_ORD_OPEN);
	ck_assert_int_eq(R->risk.core.sym[5].open_buy, 26);
	ck_assert_int_eq(fp_risk_pos_find(&R->risk.core, 1, 5)->position, 4);
	ck_assert_uint_eq(R->risk.core.open_orders, 2);
	rig_free();
}
END_TEST

static Suite *fp_risk_recover_suite(void)
{
	Suite *s = suite_create("fp_risk_recover");
	TCase *tc = tcase_create("journal");
	tcase_add_test(tc, test_risk_journals_intents_before_the_order_ring_and_rejects);
	tcase_add_test(tc, test_risk_refuses_intents_when_the_journal_is_full);
	tcase_add_test(tc, test_risk_journals_in_place_across_the_wrap);
	tcase_add_test(tc, test_risk_drops_replayed_reports_within_a_session);
	tcase_add_test(tc, test_risk_adopts_an_accepted_order_it_never_saw);
	suite_add_tcase(s, tc);
	tc = tcase_create("recovery");
	tcase_add_test(tc, test_risk_recovery_rebuilds_the_live_state);
	tcase_add_test(tc, test_risk_recovery_from_a_fresh_segment_and_a_later_day);
	tcase_add_test(tc, test_risk_releases_recovered_orders_the_gateway_never_had);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fp_risk_recover_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
