/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_sim_trigger.c - the venue's tick-to-trade probe (sim/fp_sim_trigger.h).
 *
 * Covers: a bad rate refused; the trigger symbol's locate taken by the market refused;
 * open publishes the directory and the marker bid; one trigger per period, one ITCH
 * replace each, the marker moving through the price cycle; a client order at the trigger's
 * price answers it (sample = the acceptor's arrival stamp - departure); a second order at
 * that price is extra, one at no trigger's price or before any trigger stray; orders on
 * other symbols ignored; every callback passed on to the inner listener; waiting() until
 * answered; the JSON summary.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fp_err.h"
#include "fp_sim_engine.h"
#include "fp_sim_itch.h"
#include "fp_sim_trigger.h"

#define LOCATE 3

struct inner_log {
	unsigned accepted, canceled;
};

static void inner_acc(void *a, const struct fp_sim_order_info *o)
{
	(void)o;
	((struct inner_log *)a)->accepted++;
}

static void inner_cxl(void *a, const struct fp_sim_order_info *o, uint32_t q, uint8_t r)
{
	(void)o, (void)q, (void)r;
	((struct inner_log *)a)->canceled++;
}

struct fixture {
	struct fp_sim_trigger *t;
	struct fp_sim_engine *eng;
	struct fp_sim_itch *itch;
	struct inner_log inner;
	uint64_t recv_ns;
	uint32_t token;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void setup(struct fixture *f, uint16_t max_symbols)
{
	memset(f, 0, sizeof(*f));
	struct fp_sim_trigger_cfg tc = {.rate = 1000, .locate = LOCATE};
	f->t = fp_sim_trigger_create(&tc);
	ck_assert_ptr_nonnull(f->t);
	struct fp_sim_itch_cfg ic;
	fp_sim_itch_cfg_default(&ic); /* no UDP, no pcap: messages are counted only */
	f->itch = fp_sim_itch_create(&ic);
	ck_assert_ptr_nonnull(f->itch);
	struct fp_sim_order_listener inner = {
		.arg = &f->inner, .on_accepted = inner_acc, .on_canceled = inner_cxl};
	struct fp_sim_engine_cfg ec = {.max_orders = 1024,
				       .max_symbols = max_symbols,
				       .max_owners = 4,
				       .order_listener =
					       fp_sim_trigger_listener(f->t, inner, &f->recv_ns),
				       .md_listener = {f->itch, fp_sim_itch_on_md}};
	f->eng = fp_sim_engine_create(&ec);
	ck_assert_ptr_nonnull(f->eng);
}

static void teardown(struct fixture *f)
{
	fp_sim_engine_destroy(f->eng);
	fp_sim_itch_destroy(f->itch);
	fp_sim_trigger_destroy(f->t);
}

/* A client's IOC buy of 100 at @p price on @p locate, arriving at @p arrival. */
static void client_buy(struct fixture *f, uint16_t locate, int64_t price, uint64_t arrival)
{
	struct fp_sim_order_req q = {.owner = 1,
				     .token = ++f->token,
				     .locate = locate,
				     .side = FP_SIM_BUY,
				     .tif = FP_SIM_TIF_IOC,
				     .display = FP_SIM_DISPLAY_VISIBLE,
				     .qty = 100,
				     .price = price};
	f->recv_ns = arrival;
	fp_sim_engine_enter(f->eng, &q, 1, NULL);
}

START_TEST(test_trigger_refuses_a_bad_rate)
{
	struct fp_sim_trigger_cfg tc = {.rate = 0, .locate = LOCATE};
	ck_assert_ptr_null(fp_sim_trigger_create(&tc));
	tc.rate = -5;
	ck_assert_ptr_null(fp_sim_trigger_create(&tc));
	tc.rate = 10;
	tc.locate = 0;
	ck_assert_ptr_null(fp_sim_trigger_create(&tc));
}
END_TEST

START_TEST(test_trigger_refuses_a_taken_or_missing_locate)
{
	struct fixture f;
	setup(&f, LOCATE - 1); /* the engine has no room for the locate */
	ck_assert_int_lt(fp_sim_trigger_open(f.t, f.eng, f.itch, 1, now_ns()), 0);
	teardown(&f);
	setup(&f, LOCATE);
	ck_assert_int_eq(fp_sim_engine_add_symbol(f.eng, LOCATE, "ABCD", 100), 0);
	ck_assert_int_lt(fp_sim_trigger_open(f.t, f.eng, f.itch, 1, now_ns()), 0);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "ZXZZT"));
	teardown(&f);
}
END_TEST

START_TEST(test_trigger_answers_extra_and_stray)
{
	struct fixture f;
	setup(&f, LOCATE);
	ck_assert_int_eq(fp_sim_engine_add_symbol(f.eng, 1, "ABCD", 100), 0);
	uint64_t t0 = now_ns();
	ck_assert_int_eq(fp_sim_trigger_open(f.t, f.eng, f.itch, 1, t0), 0);
	const struct fp_sim_itch_stats *is = fp_sim_itch_stats(f.itch);
	ck_assert_uint_eq(is->by_type['R'], 1);
	ck_assert_uint_eq(is->by_type['A'], 1); /* the marker bid */
	int64_t bid, ask;
	uint64_t bq, aq;
	fp_sim_engine_bbo(f.eng, LOCATE, &bid, &bq, &ask, &aq);
	ck_assert_int_eq(bid, FP_SIM_TRIGGER_PRICE0 + (FP_SIM_TRIGGER_PRICES - 1) * 100);
	ck_assert_int_eq(ask, 0);

	/* Before any trigger: a client order on the symbol is stray. */
	client_buy(&f, LOCATE, bid, t0);
	ck_assert_uint_eq(fp_sim_trigger_stats(f.t)->nb_stray, 1);
	ck_assert(!fp_sim_trigger_waiting(f.t, now_ns()));

	/* Not due before one period; then one trigger, one 'U', the bid at the first price. */
	ck_assert_uint_eq(fp_sim_trigger_poll(f.t, t0, 1), 0);
	uint64_t due = fp_sim_trigger_due(f.t);
	ck_assert_uint_eq(due, t0 + 1000000);
	ck_assert_uint_eq(fp_sim_trigger_poll(f.t, due, 2), 1);
	ck_assert_uint_eq(fp_sim_trigger_poll(f.t, due, 2), 0); /* once per period */
	ck_assert_uint_eq(is->by_type['U'], 1);
	fp_sim_engine_bbo(f.eng, LOCATE, &bid, &bq, &ask, &aq);
	ck_assert_int_eq(bid, FP_SIM_TRIGGER_PRICE0);
	ck_assert(fp_sim_trigger_waiting(f.t, now_ns()));

	/* Another symbol's order is ignored, one below the cycle is stray; the trigger's price
	 * answers. */
	uint64_t arrival = now_ns() + 5000;
	client_buy(&f, 1, bid, arrival);
	ck_assert_uint_eq(fp_sim_trigger_stats(f.t)->nb_stray, 1);
	ck_assert_uint_eq(fp_sim_trigger_stats(f.t)->nb_answered, 0);
	client_buy(&f, LOCATE, bid - 100, arrival);
	ck_assert_uint_eq(fp_sim_trigger_stats(f.t)->nb_stray, 2);
	client_buy(&f, LOCATE, bid, arrival);
	const struct fp_sim_trigger_stats *st = fp_sim_trigger_stats(f.t);
	ck_assert_uint_eq(st->nb_sent, 1);
	ck_assert_uint_eq(st->nb_answered, 1);
	ck_assert(!fp_sim_trigger_waiting(f.t, now_ns()));
	client_buy(&f, LOCATE, bid, arrival + 10);
	ck_assert_uint_eq(st->nb_extra, 1);
	ck_assert_uint_eq(st->nb_answered, 1);
	/* Every callback went on to the inner listener: 5 accepted, 5 IOC cancels. */
	ck_assert_uint_eq(f.inner.accepted, 5);
	ck_assert_uint_eq(f.inner.canceled, 5);

	/* The summary: one sample, arrival - departure, between 5 us and the time now. */
	char buf[1024];
	FILE *out = fmemopen(buf, sizeof(buf), "w");
	fp_sim_trigger_print(out, f.t, true);
	fclose(out);
	ck_assert_ptr_nonnull(strstr(buf, "\"sent\": 1, \"answered\": 1, \"extra\": 1"));
	char *p = strstr(buf, "\"p50_ns\": ");
	ck_assert_ptr_nonnull(p);
	unsigned long long p50 = strtoull(p + 10, NULL, 10);
	ck_assert_uint_ge(p50, 5000);
	ck_assert_uint_lt(p50, 10000000000ull);
	teardown(&f);
}
END_TEST

START_TEST(test_trigger_prices_cycle)
{
	struct fixture f;
	setup(&f, LOCATE);
	uint64_t t = now_ns();
	ck_assert_int_eq(fp_sim_trigger_open(f.t, f.eng, f.itch, 1, t), 0);
	int64_t bid, ask;
	uint64_t bq, aq;
	for (unsigned i = 0; i < FP_SIM_TRIGGER_PRICES + 2; i++) {
		t = fp_sim_trigger_due(f.t);
		ck_assert_uint_eq(fp_sim_trigger_poll(f.t, t, 2 + i), 1);
		fp_sim_engine_bbo(f.eng, LOCATE, &bid, &bq, &ask, &aq);
		ck_assert_int_eq(bid, FP_SIM_TRIGGER_PRICE0 +
					      (int64_t)(i % FP_SIM_TRIGGER_PRICES) * 100);
		ck_assert_uint_eq(bq, 100);
		ck_assert_uint_eq(fp_sim_engine_depth(f.eng, LOCATE, FP_SIM_BUY), 1);
	}
	ck_assert_uint_eq(fp_sim_itch_stats(f.itch)->by_type['U'], FP_SIM_TRIGGER_PRICES + 2);
	teardown(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_sim_trigger");
	TCase *tc = tcase_create("trigger");
	tcase_add_test(tc, test_trigger_refuses_a_bad_rate);
	tcase_add_test(tc, test_trigger_refuses_a_taken_or_missing_locate);
	tcase_add_test(tc, test_trigger_answers_extra_and_stray);
	tcase_add_test(tc, test_trigger_prices_cycle);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
