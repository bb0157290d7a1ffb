/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_err.c - the per-thread error context: set, append, clear, truncation.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fp_err.h"

static int open_thing(void)
{
	return fp_err_set(-ENOENT, "cannot open %s", "/nope");
}

static int start_instance(void)
{
	int rc = open_thing();
	return rc < 0 ? fp_err_append(rc, "instance '%s'", "demo") : 0;
}

START_TEST(test_err_reads_cause_then_context)
{
	fp_err_clear();
	ck_assert_int_eq(start_instance(), -ENOENT);
	ck_assert_int_eq(fp_err_code(), -ENOENT);
	const char *msg = fp_err_msg();
	ck_assert_msg(strncmp(msg, "cannot open /nope (open_thing ", 30) == 0, "got '%s'", msg);
	ck_assert_msg(strstr(msg, "; instance 'demo' (start_instance)") != NULL, "got '%s'", msg);
}
END_TEST

START_TEST(test_err_clear_forgets_message)
{
	open_thing();
	fp_err_clear();
	ck_assert_int_eq(fp_err_code(), 0);
	ck_assert_str_eq(fp_err_msg(), "no error recorded");
}
END_TEST

START_TEST(test_err_truncates_long_message)
{
	char big[4 * FP_ERR_MSG_MAX];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fp_err_set(-EINVAL, "%s", big);
	fp_err_append(-EINVAL, "%s", big);
	ck_assert_uint_eq(strlen(fp_err_msg()), FP_ERR_MSG_MAX - 1);
}
END_TEST

static Suite *fp_err_suite(void)
{
	Suite *s = suite_create("fp_err");
	TCase *tc = tcase_create("context");
	tcase_add_test(tc, test_err_reads_cause_then_context);
	tcase_add_test(tc, test_err_clear_forgets_message);
	tcase_add_test(tc, test_err_truncates_long_message);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fp_err_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
