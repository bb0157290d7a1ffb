/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_tsc.c - TSC clock: conversion refuses absurd rates, converts exactly and without
 * overflow over the whole 64-bit range, calibration agrees with CLOCK_MONOTONIC, stamps
 * never go backwards on one core.
 */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fp_err.h"
#include "fp_tsc.h"

START_TEST(test_tsc_conv_rejects_absurd_rates)
{
	struct fp_tsc_conv conv;
	ck_assert_int_eq(fp_tsc_conv_init(&conv, 0), -EINVAL);
	ck_assert_msg(strstr(fp_err_msg(), "TSC rate 0 Hz is outside") != NULL, "got '%s'",
		      fp_err_msg());
	ck_assert_int_eq(fp_tsc_conv_init(&conv, FP_TSC_HZ_MIN - 1), -EINVAL);
	ck_assert_int_eq(fp_tsc_conv_init(&conv, FP_TSC_HZ_MAX + 1), -EINVAL);
	ck_assert_int_eq(fp_tsc_conv_init(&conv, FP_TSC_HZ_MIN), 0);
	ck_assert_int_eq(fp_tsc_conv_init(&conv, FP_TSC_HZ_MAX), 0);
}
END_TEST

/* Rates to convert with: round, odd, slow and fast TSCs. */
static const uint64_t conv_hz[] = {1000000000ULL, 2099999123ULL, 2900000000ULL,
				   3712345678ULL, 100000000ULL,  5000000000ULL};

START_TEST(test_tsc_conv_one_second_is_1e9_ns)
{
	struct fp_tsc_conv conv;
	uint64_t hz = conv_hz[_i];
	ck_assert_int_eq(fp_tsc_conv_init(&conv, hz), 0);
	uint64_t ns = fp_tsc_to_ns(&conv, hz);
	ck_assert_msg(ns >= 999999999ULL && ns <= 1000000001ULL, "hz %" PRIu64 ": %" PRIu64, hz,
		      ns);
	uint64_t cyc = fp_tsc_from_ns(&conv, 1000000000ULL);
	ck_assert_msg(cyc >= hz - 1 && cyc <= hz + 1, "hz %" PRIu64 ": %" PRIu64, hz, cyc);
	ck_assert_uint_eq(fp_tsc_to_ns(&conv, 0), 0);
}
END_TEST

START_TEST(test_tsc_conv_matches_long_double_over_full_range)
{
	struct fp_tsc_conv conv;
	uint64_t hz = conv_hz[_i];
	ck_assert_int_eq(fp_tsc_conv_init(&conv, hz), 0);
	/* Powers of two and their neighbours up to 2^63, plus every-digit values. */
	for (int b = 0; b < 64; b++) {
		for (int d = -1; d <= 1; d++) {
			uint64_t c = ((uint64_t)1 << b) + (uint64_t)d;
			long double want = (long double)c * 1e9L / (long double)hz;
			if (want >= 18446744073709551615.0L)
				continue; /* the result itself would not fit */
			long double got = (long double)fp_tsc_to_ns(&conv, c);
			long double err = got > want ? got - want : want - got;
			ck_assert_msg(err <= 1.0L + want * 1e-9L,
				      "hz %" PRIu64 " cycles %" PRIu64 ": got %.1Lf want %.1Lf", hz,
				      c, got, want);
		}
	}
}
END_TEST

START_TEST(test_tsc_now_is_monotonic_on_one_thread)
{
	uint64_t prev = fp_tsc_now();
	for (int i = 0; i < 100000; i++) {
		uint64_t t = (i & 1) ? fp_tsc_now() : fp_tsc_now_ordered();
		ck_assert_msg(t >= prev, "step %d: %" PRIu64 " after %" PRIu64, i, t, prev);
		prev = t;
	}
}
END_TEST

/*
 * A (TSC, CLOCK_MONOTONIC) pair read back to back, keeping the tightest of several tries so
 * that a preemption between the two reads (likely on a loaded 2-core box) cannot skew it.
 */
static void pair(uint64_t *tsc, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 64; i++) {
		struct timespec ts;
		uint64_t a = fp_tsc_now_ordered();
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t b = fp_tsc_now_ordered();
		if (b - a < best) {
			best = b - a;
			*tsc = a + (b - a) / 2;
			*ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
		}
	}
}

START_TEST(test_tsc_calibration_agrees_with_monotonic)
{
	char missing[64];
	uint64_t hz = 0;
	int inv = fp_tsc_invariant(missing, sizeof(missing));
	ck_assert_int_ge(inv, 0);
	int rc = fp_tsc_calibrate(&hz);
	if (inv == 0) {
		/* Not invariant here: the refusal must say which flag is missing. */
		ck_assert_int_eq(rc, -ENOTSUP);
		ck_assert_msg(strstr(fp_err_msg(), missing) != NULL, "got '%s'", fp_err_msg());
		return;
	}
	ck_assert_msg(rc == 0, "calibrate: %s", fp_err_msg());
	ck_assert_msg(hz >= FP_TSC_HZ_MIN && hz <= FP_TSC_HZ_MAX, "hz %" PRIu64, hz);

	/* A 30 ms interval measured with both clocks must agree within 1%. */
	struct fp_tsc_conv conv;
	ck_assert_int_eq(fp_tsc_conv_init(&conv, hz), 0);
	uint64_t n0 = 0, c0 = 0, n1 = 0, c1 = 0;
	struct timespec pause = {0, 30000000L};
	pair(&c0, &n0);
	nanosleep(&pause, NULL);
	pair(&c1, &n1);
	double tsc_ns = (double)fp_tsc_to_ns(&conv, c1 - c0);
	double mono = (double)(n1 - n0);
	ck_assert_msg(tsc_ns > mono * 0.99 && tsc_ns < mono * 1.01,
		      "tsc says %.0f ns, CLOCK_MONOTONIC %.0f ns (hz %" PRIu64 ")", tsc_ns, mono,
		      hz);

	/* A second calibration gives the same rate within 0.1%. */
	uint64_t hz2 = 0;
	ck_assert_msg(fp_tsc_calibrate(&hz2) == 0, "calibrate: %s", fp_err_msg());
	double ratio = (double)hz2 / (double)hz;
	ck_assert_msg(ratio > 0.999 && ratio < 1.001, "%" PRIu64 " vs %" PRIu64, hz, hz2);
}
END_TEST

static Suite *fp_tsc_suite(void)
{
	Suite *s = suite_create("fp_tsc");
	TCase *tc = tcase_create("conv");
	tcase_add_test(tc, test_tsc_conv_rejects_absurd_rates);
	tcase_add_loop_test(tc, test_tsc_conv_one_second_is_1e9_ns, 0, FP_ARRAY_SIZE(conv_hz));
	tcase_add_loop_test(tc, test_tsc_conv_matches_long_double_over_full_range, 0,
			    FP_ARRAY_SIZE(conv_hz));
	suite_add_tcase(s, tc);
	tc = tcase_create("clock");
	tcase_add_test(tc, test_tsc_now_is_monotonic_on_one_thread);
	tcase_add_test(tc, test_tsc_calibration_agrees_with_monotonic);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fp_tsc_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
