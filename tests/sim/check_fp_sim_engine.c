/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_sim_engine.c - the simulator's matching engine.
 *
 * Covers: bad configuration and rejected orders (negative cases first); price-time
 * priority; partial fills; cancel and reduce; replace priority rules (kept when only the
 * quantity goes down, lost otherwise; OUCH total-liable quantity); market order with no
 * liquidity; IOC remainder cancelled; market order sweeping levels; self-match prevention
 * (newest and oldest); hidden orders trade as 'P'; attributed orders publish 'F'; halt and
 * reopening cross ('C', 'Q'); mass cancel; lookups by token; OUCH TIF mapping; and a
 * property test of random flows (adds, IOC and market orders, cancels, reductions,
 * replaces) against the naive reference matcher (fp_sim_ref), with the invariant checker
 * every 100 operations.
 */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_err.h"
#include "fp_sim_engine.h"
#include "fp_sim_ref.h"

/* A log of every callback, one short line each, to compare against expected text. */
struct rec {
	char log[16384];
	size_t len;
};

static void rec_add(struct rec *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(r->log + r->len, sizeof(r->log) - r->len, fmt, ap);
	va_end(ap);
	if (n > 0 && r->len + (size_t)n < sizeof(r->log))
		r->len += (size_t)n;
}

static void on_acc(void *a, const struct fp_sim_order_info *o)
{
	rec_add(a, "acc t%u r%llu q%u %c;", o->token, (unsigned long long)o->ref, o->open_qty,
		o->live ? 'L' : 'D');
}

static void on_exe(void *a, const struct fp_sim_order_info *o, uint32_t q, int64_t px, uint64_t m,
		   uint8_t liq)
{
	rec_add(a, "exe t%u q%u p%lld m%llu %c;", o->token, q, (long long)px, (unsigned long long)m,
		liq);
}

static void on_cxl(void *a, const struct fp_sim_order_info *o, uint32_t dec, uint8_t why)
{
	rec_add(a, "cxl t%u q%u %c;", o->token, dec, why);
}

static void on_rep(void *a, const struct fp_sim_order_info *o, uint32_t ot, uint64_t oref)
{
	rec_add(a, "rep t%u>t%u r%llu>r%llu q%u;", ot, o->token, (unsigned long long)oref,
		(unsigned long long)o->ref, o->open_qty);
}

static void on_rej(void *a, const struct fp_sim_order_info *o, uint16_t why)
{
	rec_add(a, "rej t%u 0x%x;", o->token, why);
}

static void on_md(void *a, const struct fp_sim_md *m)
{
	struct rec *r = a;
	switch (m->type) {
	case 'A':
	case 'F':
		rec_add(r, "%c r%llu %c %u@%lld;", m->type, (unsigned long long)m->ref, m->side,
			m->qty, (long long)m->price);
		break;
	case 'E':
		rec_add(r, "E r%llu %u m%llu;", (unsigned long long)m->ref, m->qty,
			(unsigned long long)m->match_number);
		break;
	case 'C':
		rec_add(r, "C r%llu %u@%lld %c;", (unsigned long long)m->ref, m->qty,
			(long long)m->price, m->printable);
		break;
	case 'X':
		rec_add(r, "X r%llu %u;", (unsigned long long)m->ref, m->qty);
		break;
	case 'D':
		rec_add(r, "D r%llu;", (unsigned long long)m->ref);
		break;
	case 'U':
		rec_add(r, "U r%llu>r%llu %u@%lld;", (unsigned long long)m->ref,
			(unsigned long long)m->new_ref, m->qty, (long long)m->price);
		break;
	case 'P':
		rec_add(r, "P %c %u@%lld;", m->side, m->qty, (long long)m->price);
		break;
	case 'Q':
		rec_add(r, "Q %u@%lld;", m->qty, (long long)m->price);
		break;
	case 'H':
		rec_add(r, "H %c;", m->state);
		break;
	}
}

struct fx {
	struct rec oe; /* order listener */
	struct rec md; /* market data */
	struct fp_sim_engine *e;
};

static struct fx *fx_new(uint8_t smp)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct fp_sim_engine_cfg cfg = {
		.max_orders = 1024,
		.max_symbols = 4,
		.max_owners = 8,
		.smp_mode = smp,
		.order_listener = {&f->oe, on_acc, on_exe, on_cxl, on_rep, on_rej},
		.md_listener = {&f->md, on_md},
	};
	f->e = fp_sim_engine_create(&cfg);
	ck_assert_msg(f->e, "%s", fp_err_msg());
	ck_assert_int_eq(fp_sim_engine_add_symbol(f->e, 1, "AAPL", 100), 0);
	ck_assert_int_eq(fp_sim_engine_add_symbol(f->e, 2, "MSFT", 100), 0);
	return f;
}

static void fx_clear(struct fx *f)
{
	f->oe.len = f->md.len = 0;
	f->oe.log[0] = f->md.log[0] = 0;
}

static void fx_free(struct fx *f)
{
	if (fp_sim_engine_check(f->e)) {
		fp_sim_engine_dump(stderr, f->e, 1);
		ck_abort_msg("invariant: %s", fp_err_msg());
	}
	fp_sim_engine_destroy(f->e);
	free(f);
}

/* Enter a DAY limit order for owner/token (owner 0 = market). */
static uint64_t put(struct fx *f, uint32_t owner, uint32_t token, char side, uint32_t qty,
		    int64_t px, uint8_t tif)
{
	struct fp_sim_order_req r = {.owner = owner,
				     .token = token,
				     .locate = 1,
				     .side = side,
				     .qty = qty,
				     .price = px,
				     .tif = tif,
				     .display = FP_SIM_DISPLAY_VISIBLE};
	return fp_sim_engine_enter(f->e, &r, 1000, NULL);
}

#define ck_log(rec, expect)                                                                       \
	ck_assert_msg(!strcmp((rec).log, (expect)), "log\n  got:    %s\n  expect: %s", (rec).log, \
		      (expect))

/* ---------------------------------------------------------------- negative */

START_TEST(test_engine_rejects_bad_config)
{
	struct fp_sim_engine_cfg cfg = {.max_orders = 1u << 30};
	ck_assert_ptr_null(fp_sim_engine_create(&cfg));
	cfg = (struct fp_sim_engine_cfg){.smp_mode = 7};
	ck_assert_ptr_null(fp_sim_engine_create(&cfg));
	struct fx *f = fx_new(FP_SIM_SMP_CANCEL_NEWEST);
	ck_assert_int_eq(fp_sim_engine_add_symbol(f->e, 0, "X", 100), -EINVAL);
	ck_assert_int_eq(fp_sim_engine_add_symbol(f->e, 5, "X", 100), -EINVAL);
	ck_assert_int_eq(fp_sim_engine_add_symbol(f->e, 3, "", 100), -EINVAL);
	ck_assert_int_eq(fp_sim_engine_add_symbol(f->e, 3, "X", 0), -EINVAL);
	ck_assert_int_eq(fp_sim_engine_add_symbol(f->e, 1, "X", 100), -EEXIST);
	ck_assert_int_eq(fp_sim_engine_add_symbol(f->e, 3, "AAPL", 100), -EEXIST);
	ck_assert_uint_eq(fp_sim_engine_find_symbol(f->e, "MSFT"), 2);
	ck_assert_uint_eq(fp_sim_engine_find_symbol(f->e, "MSFT    "), 2);
	ck_assert_uint_eq(fp_sim_engine_find_symbol(f->e, "ZZZ"), 0);
	ck_assert(!memcmp(fp_sim_engine_stock(f->e, 1), "AAPL    ", 8));
	ck_assert_ptr_null(fp_sim_engine_stock(f->e, 3));
	fx_free(f);
}
END_TEST

START_TEST(test_engine_rejects_invalid_orders)
{
	struct fx *f = fx_new(FP_SIM_SMP_CANCEL_NEWEST);
	struct fp_sim_order_req r = {
		.owner = 1, .token = 1, .locate = 3, .side = 'B', .qty = 100, .price = 100000};
	uint16_t why;
	ck_assert_uint_eq(fp_sim_engine_enter(f->e, &r, 1, &why), 0);
	ck_assert_uint_eq(why, FP_SIM_REJ_INVALID_SYMBOL);
	r.locate = 1;
	r.side = 'X';
	ck_assert_uint_eq(fp_sim_engine_enter(f->e, &r, 1, &why), 0);
	ck_assert_uint_eq(why, FP_SIM_REJ_INVALID_SIDE);
	r.side = 'B';
	r.qty = 0;
	ck_assert_uint_eq(fp_sim_engine_enter(f->e, &r, 1, &why), 0);
	ck_assert_uint_eq(why, FP_SIM_REJ_INVALID_QUANTITY);
	r.qty = 1000000;
	ck_assert_uint_eq(fp_sim_engine_enter(f->e, &r, 1, &why), 0);
	r.qty = 100;
	r.price = 100050; /* $10.005: off the penny tick */
	ck_assert_uint_eq(fp_sim_engine_enter(f->e, &r, 1, &why), 0);
	ck_assert_uint_eq(why, FP_SIM_REJ_INVALID_PRICE);
	r.price = 5001; /* $0.5001: sub-penny allowed below $1 */
	ck_assert_uint_ne(fp_sim_engine_enter(f->e, &r, 1, &why), 0);
	r.price = 0;
	r.token = 2;
	ck_assert_uint_eq(fp_sim_engine_enter(f->e, &r, 1, &why), 0);
	ck_assert_uint_eq(why, FP_SIM_REJ_INVALID_PRICE);
	r.price = 100000;
	r.token = 1; /* still live */
	ck_assert_uint_eq(fp_sim_engine_enter(f->e, &r, 1, &why), 0);
	ck_assert_uint_eq(why, FP_SIM_REJ_DUPLICATE_TOKEN);
	ck_assert_uint_eq(fp_sim_engine_stats(f->e)->nb_rejected, 7);
	fx_free(f);
}
END_TEST

/* ---------------------------------------------------------------- matching */

START_TEST(test_engine_fills_in_price_time_priority)
{
	struct fx *f = fx_new(FP_SIM_SMP_CANCEL_NEWEST);
	put(f, 1, 1, 'S', 100, 100000, FP_SIM_TIF_DAY); /* r1 10.00 */
	put(f, 1, 2, 'S', 100, 100000, FP_SIM_TIF_DAY); /* r2 10.00, later */
	put(f, 1, 3, 'S', 100, 99900, FP_SIM_TIF_DAY);  /* r3 9.99: better */
	put(f, 1, 4, 'S', 100, 100100, FP_SIM_TIF_DAY); /* r4 10.01: not reached */
	fx_clear(f);
	ck_assert_uint_eq(put(f, 2, 9, 'B', 250, 100000, FP_SIM_TIF_DAY), 5);
	ck_log(f->md, "E r3 100 m1;E r1 100 m2;E r2 50 m3;");
	ck_log(f->oe, "acc t9 r5 q250 L;exe t3 q100 p99900 m1 A;exe t9 q100 p99900 m1 R;"
		      "exe t1 q100 p100000 m2 A;exe t9 q100 p100000 m2 R;"
		      "exe t2 q50 p100000 m3 A;exe t9 q50 p100000 m3 R;");
	int64_t bid, ask;
	uint64_t bq, aq;
	fp_sim_engine_bbo(f->e, 1, &bid, &bq, &ask, &aq);
	ck_assert_int_eq(bid, 0);
	ck_assert_int_eq(ask, 100000);
	ck_assert_uint_eq(aq, 50);
	fx_free(f);
}
END_TEST

START_TEST(test_engine_partial_fill_rests_remainder)
{
	struct fx *f = fx_new(FP_SIM_SMP_CANCEL_NEWEST);
	put(f, 1, 1, 'S', 100, 100000, FP_SIM_TIF_DAY);
	fx_clear(f);
	put(f, 2, 1, 'B', 300, 100100, FP_SIM_TIF_DAY);
	ck_log(f->md, "E r1 100 m1;A r2 B 200@100100;");
	int64_t bid;
	uint64_t bq;
	fp_sim_engine_bbo(f->e, 1, &bid, &bq, NULL, NULL);
	ck_assert_int_eq(bid, 100100);
	ck_assert_uint_eq(bq, 200);
	struct fp_sim_order_info o;
	ck_assert(fp_sim_engine_order(f->e, 2, &o));
	ck_assert_uint_eq(o.open_qty, 200);
	ck_assert_uint_eq(o.exec_qty, 100);
	ck_assert(!fp_sim_engine_order(f->e, 1, &o)); /* fully filled: gone, no 'D' */
	fx_free(f);
}
END_TEST

START_TEST(test_engine_cancel_and_reduce)
{
	struct fx *f = fx_new(FP_SIM_SMP_CANCEL_NEWEST);
	uint64_t r = put(f, 1, 7, 'B', 500, 100000, FP_SIM_TIF_DAY);
	fx_clear(f);
	ck_assert_uint_eq(fp_sim_engine_cancel(f->e, r, 600, FP_SIM_CXL_USER, 2), 0); /* no-op */
	ck_assert_uint_eq(fp_sim_engine_cancel(f->e, r, 200, FP_SIM_CXL_USER, 2), 300);
	ck_assert_uint_eq(fp_sim_engine_cancel(f->e, r, 0, FP_SIM_CXL_USER, 3), 200);
	ck_assert_uint_eq(fp_sim_engine_cancel(f->e, r, 0, FP_SIM_CXL_USER, 4), 0); /* dead */
	ck_log(f->md, "X r1 300;D r1;");
	ck_log(f->oe, "cxl t7 q300 U;cxl t7 q200 U;");
	ck_assert_uint_eq(fp_sim_engine_lookup(f->e, 1, 7), 0);
	fx_free(f);
}
END_TEST

START_TEST(test_engine_replace_keeps_priority_when_only_qty_goes_down)
{
	struct fx *f = fx_new(FP_SIM_SMP_CANCEL_NEWEST);
	uint64_t r1 = put(f, 1, 1, 'S', 300, 100000, FP_SIM_TIF_DAY);
	put(f, 2, 1, 'S', 100, 100000, FP_SIM_TIF_DAY);
	put(f, 3, 1, 'B', 100, 100000, FP_SIM_TIF_DAY); /* r1 executes 100: open 200 */
	fx_clear(f);
	/* OUCH total liable = 250 incl. the 100 executed: open goes 200 -> 150. */
	struct fp_sim_order_req q = {
		.token = 2, .qty = 250, .price = 100000, .tif = FP_SIM_TIF_DAY};
	ck_assert_uint_eq(fp_sim_engine_replace(f->e, r1, &q, 5), r1);
	ck_log(f->md, "X r1 50;");
	ck_log(f->oe, "rep t1>t2 r1>r1 q150;");
	ck_assert_uint_eq(fp_sim_engine_lookup(f->e, 1, 2), r1);
	ck_assert_uint_eq(fp_sim_engine_lookup(f->e, 1, 1), 0);
	fx_clear(f);
	put(f, 3, 2, 'B', 100, 100000, FP_SIM_TIF_DAY); /* still first in the queue */
	ck_log(f->md, "E r1 100 m2;");
	fx_free(f);
}
END_TEST

START_TEST(test_engine_replace_loses_priority_otherwise)
{
	struct fx *f = fx_new(FP_SIM_SMP_CANCEL_NEWEST);
	uint64_t r1 = put(f, 1, 1, 'S', 100, 100000, FP_SIM_TIF_DAY);
	put(f, 2, 1, 'S', 100, 100000, FP_SIM_TIF_DAY); /* r2 */
	fx_clear(f);
	struct fp_sim_order_req q = {
		.token = 2, .qty = 200, .price = 100000, .tif = FP_SIM_TIF_DAY};
	ck_assert_uint_eq(fp_sim_engine_replace(f->e, r1, &q, 5), 3); /* qty up: new ref */
	ck_log(f->md, "U r1>r3 200@100000;");
	ck_log(f->oe, "rep t1>t2 r1>r3 q200;");
	fx_clear(f);
	put(f, 3, 1, 'B', 100, 100000, FP_SIM_TIF_DAY);
	ck_log(f->md, "E r2 100 m1;"); /* r2 is now first */
	fx_clear(f);
	q.token = 3;
	q.price = 100100; /* price change: new ref again */
	ck_assert_uint_eq(fp_sim_engine_replace(f->e, 3, &q, 6), 5);
	ck_log(f->md, "U r3>r5 200@100100;");
	/* Unknown original, or a replacement token in use: silently ignored. */
	ck_assert_uint_eq(fp_sim_engine_replace(f->e, 3, &q, 7), 0);
	fx_clear(f);
	/* A replace that crosses trades like a new order. */
	put(f, 2, 5, 'B', 50, 99900, FP_SIM_TIF_DAY); /* r6 */
	fx_clear(f);
	q.token = 4;
	q.price = 99900;
	ck_assert_uint_eq(fp_sim_engine_replace(f->e, 5, &q, 8), 7);
	ck_log(f->md, "D r5;E r6 50 m2;A r7 S 150@99900;");
	fx_free(f);
}
END_TEST

START_TEST(test_engine_replace_invalid_cancels_original)
{
	struct fx *f = fx_new(FP_SIM_SMP_CANCEL_NEWEST);
	uint64_t r1 = put(f, 1, 1, 'S', 100, 100000, FP_SIM_TIF_DAY);
	fx_clear(f);
	struct fp_sim_order_req q = {.token = 2, .qty = 1000000, .price = 100000};
	ck_assert_uint_eq(fp_sim_engine_replace(f->e, r1, &q, 5), 0);
	ck_log(f->md, "D r1;");
	ck_log(f->oe, "cxl t1 q100 Z;");
	fx_free(f);
}
END_TEST

START_TEST(test_engine_market_order_without_liquidity_is_cancelled)
{
	struct fx *f = fx_new(FP_SIM_SMP_CANCEL_NEWEST);
	ck_assert_uint_ne(put(f, 1, 1, 'B', 100, FP_SIM_PRICE_MARKET, FP_SIM_TIF_DAY), 0);
	ck_log(f->oe, "acc t1 r1 q100 L;cxl t1 q100 I;");
	ck_log(f->md, "");
	ck_assert_uint_eq(fp_sim_engine_stats(f->e)->nb_live, 0);
	fx_free(f);
}
END_TEST

START_TEST(test_engine_market_order_sweeps_levels)
{
	struct fx *f = fx_new(FP_SIM_SMP_CANCEL_NEWEST);
	put(f, 1, 1, 'S', 100, 100000, FP_SIM_TIF_DAY);
	put(f, 1, 2, 'S', 100, 120000, FP_SIM_TIF_DAY);
	fx_clear(f);
	put(f, 2, 1, 'B', 300, FP_SIM_PRICE_MARKET, FP_SIM_TIF_DAY);
	ck_log(f->md, "E r1 100 m1;E r2 100 m2;");
	ck_log(f->oe, "acc t1 r3 q300 L;exe t1 q100 p100000 m1 A;exe t1 q100 p100000 m1 R;"
		      "exe t2 q100 p120000 m2 A;exe t1 q100 p120000 m2 R;cxl t1 q100 I;");
	fx_free(f);
}
END_TEST

START_TEST(test_engine_ioc_remainder_is_cancelled)
{
	struct fx *f = fx_new(FP_SIM_SMP_CANCEL_NEWEST);
	put(f, 1, 1, 'S', 100, 100000, FP_SIM_TIF_DAY);
	fx_clear(f);
	put(f, 2, 1, 'B', 250, 100000, FP_SIM_TIF_IOC);
	ck_log(f->md, "E r1 100 m1;");
	ck_log(f->oe, "acc t1 r2 q250 L;exe t1 q100 p100000 m1 A;exe t1 q100 p100000 m1 R;"
		      "cxl t1 q150 I;");
	ck_assert_uint_eq(fp_sim_engine_stats(f->e)->nb_live, 0);
	fx_free(f);
}
END_TEST

static uint64_t put_firm(struct fx *f, uint32_t owner, uint32_t token, const char *firm, char side,
			 uint32_t qty, int64_t px)
{
	struct fp_sim_order_req r = {.owner = owner,
				     .token = token,
				     .firm = fp_sim_firm(firm),
				     .locate = 1,
				     .side = side,
				     .qty = qty,
				     .price = px,
				     .display = 'Y'};
	return fp_sim_engine_enter(f->e, &r, 1000, NULL);
}

START_TEST(test_engine_self_match_prevention_cancels_newest)
{
	struct fx *f = fx_new(FP_SIM_SMP_CANCEL_NEWEST);
	put_firm(f, 2, 1, "OTHR", 'S', 100, 99900);  /* r1, other firm, better price */
	put_firm(f, 1, 1, "FIRM", 'S', 100, 100000); /* r2 */
	fx_clear(f);
	put_firm(f, 3, 1, "FIRM", 'B', 300, 100000); /* same firm, another session */
	ck_log(f->md, "E r1 100 m1;");
	ck_log(f->oe, "acc t1 r3 q300 L;exe t1 q100 p99900 m1 A;exe t1 q100 p99900 m1 R;"
		      "cxl t1 q200 Q;");
	ck_assert_uint_eq(fp_sim_engine_stats(f->e)->nb_smp, 1);
	ck_assert_uint_ne(fp_sim_engine_lookup(f->e, 1, 1), 0); /* resting order untouched */
	fx_free(f);
}
END_TEST

START_TEST(test_engine_self_match_prevention_cancels_oldest)
{
	struct fx *f = fx_new(FP_SIM_SMP_CANCEL_OLDEST);
	put_firm(f, 1, 1, "FIRM", 'S', 100, 100000); /* r1 */
	put_firm(f, 2, 1, "OTHR", 'S', 100, 100000); /* r2 */
	fx_clear(f);
	put_firm(f, 3, 1, "FIRM", 'B', 100, 100000);
	ck_log(f->md, "D r1;E r2 100 m1;");
	ck_log(f->oe, "acc t1 r3 q100 L;cxl t1 q100 Q;exe t1 q100 p100000 m1 A;"
		      "exe t1 q100 p100000 m1 R;");
	fx_free(f);
}
END_TEST

START_TEST(test_engine_hidden_and_attributed_orders)
{
	struct fx *f = fx_new(FP_SIM_SMP_CANCEL_NEWEST);
	struct fp_sim_order_req r = {.owner = 1,
				     .token = 1,
				     .firm = fp_sim_firm("GSCO"),
				     .locate = 1,
				     .side = 'S',
				     .qty = 100,
				     .price = 100000,
				     .display = FP_SIM_DISPLAY_HIDDEN};
	fp_sim_engine_enter(f->e, &r, 1, NULL);
	r.token = 2;
	r.display = FP_SIM_DISPLAY_ATTRIBUTABLE;
	fp_sim_engine_enter(f->e, &r, 1, NULL);
	ck_log(f->md, "F r2 S 100@100000;"); /* the hidden order is not on the feed */
	fx_clear(f);
	put(f, 2, 1, 'B', 150, 100000, FP_SIM_TIF_DAY);
	ck_log(f->md, "P S 100@100000;E r2 50 m2;");
	ck_assert(strstr(f->oe.log, "exe t1 q100 p100000 m1 J;"));
	fx_free(f);
}
END_TEST

START_TEST(test_engine_halt_then_reopening_cross)
{
	struct fx *f = fx_new(FP_SIM_SMP_CANCEL_NEWEST);
	ck_assert_int_eq(fp_sim_engine_set_state(f->e, 1, FP_SIM_STATE_HALTED, "T1", 1), 0);
	ck_assert_uint_eq(put(f, 1, 1, 'B', 100, 100000, FP_SIM_TIF_IOC), 0); /* rejected */
	ck_assert(strstr(f->oe.log, "rej t1 0x7;"));
	put(f, 1, 2, 'B', 100, 100400, FP_SIM_TIF_DAY); /* rests crossed */
	put(f, 2, 1, 'S', 150, 100000, FP_SIM_TIF_DAY);
	fx_clear(f);
	ck_assert_int_eq(fp_sim_engine_set_state(f->e, 1, FP_SIM_STATE_TRADING, NULL, 2), 0);
	/* one step at the midpoint 10.02: both sides 'C' non-printable, then 'Q' */
	ck_log(f->md, "H T;C r1 100@100200 N;C r2 100@100200 N;Q 100@100200;");
	int64_t bid, ask;
	fp_sim_engine_bbo(f->e, 1, &bid, NULL, &ask, NULL);
	ck_assert_int_eq(bid, 0);
	ck_assert_int_eq(ask, 100000);
	ck_assert_int_eq(fp_sim_engine_set_state(f->e, 1, 'Z', NULL, 3), -EINVAL);
	fx_free(f);
}
END_TEST

START_TEST(test_engine_mass_cancel_by_owner)
{
	struct fx *f = fx_new(FP_SIM_SMP_CANCEL_NEWEST);
	put(f, 1, 1, 'B', 100, 100000, FP_SIM_TIF_DAY);
	put(f, 1, 2, 'S', 100, 100500, FP_SIM_TIF_DAY);
	put(f, 2, 1, 'B', 100, 100000, FP_SIM_TIF_DAY);
	ck_assert_uint_eq(fp_sim_engine_mass_cancel(f->e, 1, 0, 'S', FP_SIM_CXL_SUPERVISORY, 2), 1);
	ck_assert_uint_eq(fp_sim_engine_mass_cancel(f->e, 1, 0, 0, FP_SIM_CXL_SUPERVISORY, 2), 1);
	ck_assert_uint_eq(fp_sim_engine_stats(f->e)->nb_live, 1);
	fx_free(f);
}
END_TEST

START_TEST(test_engine_maps_ouch_tif_and_firms)
{
	ck_assert_int_eq(fp_sim_tif_from_ouch('0'), FP_SIM_TIF_DAY);
	ck_assert_int_eq(fp_sim_tif_from_ouch('3'), FP_SIM_TIF_IOC);
	ck_assert_int_eq(fp_sim_tif_from_ouch('5'), FP_SIM_TIF_DAY);
	ck_assert_int_eq(fp_sim_tif_from_ouch('6'), FP_SIM_TIF_DAY);
	ck_assert_int_eq(fp_sim_tif_from_ouch('E'), FP_SIM_TIF_DAY);
	ck_assert_int_eq(fp_sim_tif_from_ouch('9'), -1);
	ck_assert_uint_eq(fp_sim_tif_to_ouch(FP_SIM_TIF_IOC), '3');
	char b[4];
	fp_sim_firm_str(fp_sim_firm("AB"), b);
	ck_assert(!memcmp(b, "AB  ", 4));
	ck_assert_uint_eq(fp_sim_firm(""), 0);
}
END_TEST

/* ---------------------------------------------------------------- property */

struct trades {
	uint64_t ref[64];
	uint32_t qty[64];
	int64_t px[64];
	unsigned n;
};

static void ref_trade(void *a, uint64_t ref, uint32_t q, int64_t px)
{
	struct trades *t = a;
	if (t->n < 64) {
		t->ref[t->n] = ref;
		t->qty[t->n] = q;
		t->px[t->n++] = px;
	}
}

static void eng_md(void *a, const struct fp_sim_md *m)
{
	struct trades *t = a;
	if (m->type == 'E' && t->n < 64) {
		t->ref[t->n] = m->ref;
		t->qty[t->n++] = m->qty;
	}
}

START_TEST(test_engine_matches_reference_on_random_flow)
{
	unsigned seed = (unsigned)_i + 1;
	srand(seed);
	struct trades te = {0}, tr = {0};
	struct fp_sim_engine_cfg cfg = {
		.max_orders = 4096, .max_symbols = 2, .md_listener = {&te, eng_md}};
	struct fp_sim_engine *e = fp_sim_engine_create(&cfg);
	fp_sim_engine_add_symbol(e, 1, "AAA", 100);
	fp_sim_engine_add_symbol(e, 2, "BBB", 100);
	struct fp_sim_ref ref;
	ck_assert_int_eq(fp_sim_ref_init(&ref, 16), 0);
	uint64_t next = 1;
	for (int op = 0; op < 3000; op++) {
		te.n = tr.n = 0;
		uint16_t loc = 1 + rand() % 2;
		if (rand() % 6 == 0 && next > 1) {
			/* replace: same price and fewer shares keeps priority, else a new order */
			uint64_t r = 1 + (uint64_t)rand() % (next - 1);
			struct fp_sim_order_info inf;
			uint32_t open = 1 + (uint32_t)(rand() % 400);
			int64_t px = (100 + rand() % 11) * 1000 * 10;
			bool live = fp_sim_engine_order(e, r, &inf);
			if (live && rand() % 2)
				px = inf.price; /* often the same price */
			struct fp_sim_order_req q = {.qty = (live ? inf.exec_qty : 0) + open,
						     .price = px,
						     .tif = FP_SIM_TIF_DAY,
						     .display = 'Y'};
			uint64_t r1 = fp_sim_engine_replace(e, r, &q, op);
			uint64_t r2 = fp_sim_ref_replace(&ref, r, open, px, ref_trade, &tr);
			ck_assert_msg(r1 == r2, "seed %u op %d replace %llu: %llu vs %llu", seed,
				      op, (unsigned long long)r, (unsigned long long)r1,
				      (unsigned long long)r2);
			if (r1 >= next)
				next = r1 + 1;
		} else if (rand() % 3 == 0 && next > 1) {
			uint64_t r = 1 + (uint64_t)rand() % (next - 1);
			uint32_t q = rand() % 2 ? 0 : (uint32_t)(rand() % 300);
			uint32_t de = fp_sim_engine_cancel(e, r, q, FP_SIM_CXL_USER, op);
			uint32_t dr = fp_sim_ref_cancel(&ref, r, q);
			ck_assert_msg(de == dr, "seed %u op %d cancel %llu: %u vs %u", seed, op,
				      (unsigned long long)r, de, dr);
		} else {
			uint8_t side = rand() % 2 ? 'B' : 'S';
			uint32_t qty = 1 + rand() % 500;
			int64_t px = (100 + rand() % 11) * 1000 * 10; /* 10 price points */
			if (rand() % 20 == 0)
				px = FP_SIM_PRICE_MARKET;
			bool ioc = rand() % 8 == 0;
			struct fp_sim_order_req q = {.locate = loc,
						     .side = side,
						     .qty = qty,
						     .price = px,
						     .tif = ioc ? FP_SIM_TIF_IOC : FP_SIM_TIF_DAY,
						     .display = 'Y'};
			uint64_t r1 = fp_sim_engine_enter(e, &q, op, NULL);
			uint64_t r2 =
				fp_sim_ref_enter(&ref, loc, side, qty, px, ioc, ref_trade, &tr);
			ck_assert_uint_eq(r1, r2);
			next = r1 + 1;
		}
		ck_assert_msg(te.n == tr.n, "seed %u op %d: %u vs %u trades", seed, op, te.n, tr.n);
		for (unsigned k = 0; k < te.n; k++)
			ck_assert_msg(te.ref[k] == tr.ref[k] && te.qty[k] == tr.qty[k],
				      "seed %u op %d trade %u", seed, op, k);
		for (uint16_t l = 1; l <= 2; l++) {
			int64_t bp, ap, rbp, rap;
			uint64_t bq, aq, rbq, raq;
			fp_sim_engine_bbo(e, l, &bp, &bq, &ap, &aq);
			fp_sim_ref_best(&ref, l, 'B', &rbp, &rbq);
			fp_sim_ref_best(&ref, l, 'S', &rap, &raq);
			ck_assert_msg(bp == rbp && bq == rbq && ap == rap && aq == raq,
				      "seed %u op %d bbo", seed, op);
		}
		if (op % 100 == 0 && fp_sim_engine_check(e)) {
			fp_sim_engine_dump(stderr, e, 1);
			ck_abort_msg("seed %u op %d: %s", seed, op, fp_err_msg());
		}
	}
	ck_assert_int_eq(fp_sim_engine_check(e), 0);
	fp_sim_ref_fini(&ref);
	fp_sim_engine_destroy(e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_sim_engine");
	TCase *neg = tcase_create("negative");
	tcase_add_test(neg, test_engine_rejects_bad_config);
	tcase_add_test(neg, test_engine_rejects_invalid_orders);
	suite_add_tcase(s, neg);
	TCase *tc = tcase_create("matching");
	tcase_add_test(tc, test_engine_fills_in_price_time_priority);
	tcase_add_test(tc, test_engine_partial_fill_rests_remainder);
	tcase_add_test(tc, test_engine_cancel_and_reduce);
	tcase_add_test(tc, test_engine_replace_keeps_priority_when_only_qty_goes_down);
	tcase_add_test(tc, test_engine_replace_loses_priority_otherwise);
	tcase_add_test(tc, test_engine_replace_invalid_cancels_original);
	tcase_add_test(tc, test_engine_market_order_without_liquidity_is_cancelled);
	tcase_add_test(tc, test_engine_market_order_sweeps_levels);
	tcase_add_test(tc, test_engine_ioc_remainder_is_cancelled);
	tcase_add_test(tc, test_engine_self_match_prevention_cancels_newest);
	tcase_add_test(tc, test_engine_self_match_prevention_cancels_oldest);
	tcase_add_test(tc, test_engine_hidden_and_attributed_orders);
	tcase_add_test(tc, test_engine_halt_then_reopening_cross);
	tcase_add_test(tc, test_engine_mass_cancel_by_owner);
	tcase_add_test(tc, test_engine_maps_ouch_tif_and_firms);
	suite_add_tcase(s, tc);
	TCase *prop = tcase_create("property");
	tcase_add_loop_test(prop, test_engine_matches_reference_on_random_flow, 0, 8);
	suite_add_tcase(s, prop);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
