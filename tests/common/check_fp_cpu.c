/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_cpu.c - CPU pinning: unknown cores refused with the core and the allowed list in
 * the message; every allowed core accepted and verified with sched_getcpu(); the count of
 * accepted cores equals fp_cpu_count().
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fp_cpu.h"
#include "fp_err.h"

static const int bad_cores[] = {-1, 100000, 1 << 30};

START_TEST(test_cpu_refuses_unknown_core_naming_it_and_allowed_list)
{
	char allowed[256], want[320];
	int core = bad_cores[_i];
	ck_assert_int_eq(fp_cpu_allowed_list(allowed, sizeof(allowed)), 0);
	ck_assert_int_eq(fp_cpu_pin_self(core), -EINVAL);
	snprintf(want, sizeof(want), "core %d is not a CPU of this machine (allowed: %s)", core,
		 allowed);
	ck_assert_msg(strncmp(fp_err_msg(), want, strlen(want)) == 0, "got '%s', want '%s'",
		      fp_err_msg(), want);
}
END_TEST

START_TEST(test_cpu_count_is_positive_and_within_configured)
{
	int n = fp_cpu_count();
	ck_assert_msg(n >= 1, "fp_cpu_count: %d (%s)", n, fp_err_msg());
	ck_assert_int_le(n, (int)sysconf(_SC_NPROCESSORS_CONF));
	char list[256];
	ck_assert_int_eq(fp_cpu_allowed_list(list, sizeof(list)), 0);
	ck_assert_msg(list[0] >= '0' && list[0] <= '9', "allowed list '%s'", list);
}
END_TEST

START_TEST(test_cpu_pins_to_each_allowed_core)
{
	int last = (int)sysconf(_SC_NPROCESSORS_CONF) + 4, pinned = 0;
	for (int core = 0; core < last; core++) {
		int rc = fp_cpu_pin_self(core);
		if (rc < 0) {
			ck_assert_msg(rc == -EINVAL || rc == -ENODEV || rc == -EPERM,
				      "core %d: %d %s", core, rc, fp_err_msg());
			ck_assert_msg(strstr(fp_err_msg(), "allowed: ") != NULL, "core %d: %s",
				      core, fp_err_msg());
			continue;
		}
		/* Strict binding: the thread is on the core now and stays there. */
		for (int k = 0; k < 1000; k++) {
			ck_assert_int_eq(fp_cpu_current(), core);
			ck_assert_int_eq(sched_getcpu(), core);
			if (k % 100 == 0)
				sched_yield();
		}
		cpu_set_t set;
		ck_assert_int_eq(sched_getaffinity(0, sizeof(set), &set), 0);
		ck_assert_int_eq(CPU_COUNT(&set), 1);
		ck_assert(CPU_ISSET(core, &set));
		pinned++;
	}
	ck_assert_int_eq(pinned, fp_cpu_count());
}
END_TEST

static Suite *fp_cpu_suite(void)
{
	Suite *s = suite_create("fp_cpu");
	TCase *tc = tcase_create("negative");
	tcase_add_loop_test(tc, test_cpu_refuses_unknown_core_naming_it_and_allowed_list, 0,
			    FP_ARRAY_SIZE(bad_cores));
	suite_add_tcase(s, tc);
	tc = tcase_create("pin");
	tcase_add_test(tc, test_cpu_count_is_positive_and_within_configured);
	tcase_add_test(tc, test_cpu_pins_to_each_allowed_core);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fp_cpu_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
