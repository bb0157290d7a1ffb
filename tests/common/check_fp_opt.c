/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_opt.c - command-line option values: only a whole value in range is taken; the
 * rest is refused with the option, the range and the value in the message.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fp_err.h"
#include "fp_opt.h"

/* fp_err's message starts with @p want. */
static void refused_with(const char *want)
{
	ck_assert_int_eq(fp_err_code(), -EINVAL);
	ck_assert_msg(strncmp(fp_err_msg(), want, strlen(want)) == 0, "got '%s'", fp_err_msg());
}

START_TEST(test_opt_u64_takes_digits_in_range_only)
{
	uint64_t v = 7;
	ck_assert_int_eq(fp_opt_u64("--n", "0", 0, 10, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(fp_opt_u64("--n", "10", 0, 10, &v), 0);
	ck_assert_uint_eq(v, 10);
	ck_assert_int_eq(fp_opt_u64("--n", "18446744073709551615", 0, UINT64_MAX, &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	/* strtoull would take each of these (a sign, a space, a prefix) or wrap "-1" */
	static const char *const bad[] = {"-1",  "+5",  " 5", "5 ",   "5x",
					  "1.5", "1e3", "",   "0x10", "18446744073709551616"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 7;
		ck_assert_int_eq(fp_opt_u64("--n", bad[i], 0, UINT64_MAX, &v), -EINVAL);
		ck_assert_uint_eq(v, 7); /* untouched */
	}
	ck_assert_int_eq(fp_opt_u64("--port", "0", 1, 65535, &v), -EINVAL);
	refused_with("--port must be an integer in 1..65535, got '0'");
	ck_assert_int_eq(fp_opt_u64("--port", "65536", 1, 65535, &v), -EINVAL);
	refused_with("--port must be an integer in 1..65535, got '65536'");
}
END_TEST

START_TEST(test_opt_num_takes_finite_numbers_in_range_only)
{
	double d = 7;
	ck_assert_int_eq(fp_opt_num("--loss", "0.25", 0, 1, &d), 0);
	ck_assert(d == 0.25);
	ck_assert_int_eq(fp_opt_num("--loss", "1", 0, 1, &d), 0);
	ck_assert(d == 1);
	static const char *const bad[] = {"nan", "inf",    "-inf", "0.5x",
					  "",    "1.0001", "-0.1", "1e400"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = 7;
		ck_assert_int_eq(fp_opt_num("--loss", bad[i], 0, 1, &d), -EINVAL);
		ck_assert(d == 7);
	}
	refused_with("--loss must be a number in 0..1, got '1e400'");
}
END_TEST

START_TEST(test_opt_pos_takes_numbers_above_zero_only)
{
	double d = 7;
	ck_assert_int_eq(fp_opt_pos("--duration", "1e-3", &d), 0);
	ck_assert(d == 1e-3);
	static const char *const bad[] = {"0", "-0", "-5", "nan", "inf", "5s", ""};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = 7;
		ck_assert_int_eq(fp_opt_pos("--duration", bad[i], &d), -EINVAL);
		ck_assert(d == 7);
	}
	refused_with("--duration must be a number > 0, got ''");
}
END_TEST

static Suite *fp_opt_suite(void)
{
	Suite *s = suite_create("fp_opt");
	TCase *tc = tcase_create("values");
	tcase_add_test(tc, test_opt_u64_takes_digits_in_range_only);
	tcase_add_test(tc, test_opt_num_takes_finite_numbers_in_range_only);
	tcase_add_test(tc, test_opt_pos_takes_numbers_above_zero_only);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fp_opt_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
