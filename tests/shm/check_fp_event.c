/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_event.c - the event layout: one cache line, payloads within the slot, the
 * "none" type reserved, the md family predicate.
 */
#include <check.h>
#include <stdlib.h>

#include "fp_event.h"

START_TEST(test_event_is_one_cache_line)
{
	struct fp_event ev[2];
	ck_assert_uint_eq(sizeof(ev[0]), 64);
	ck_assert_uint_eq((uintptr_t)&ev[1] - (uintptr_t)&ev[0], 64);
	ck_assert_uint_eq((uintptr_t)&ev[0] % 64, 0);
}
END_TEST

START_TEST(test_event_payloads_fit_the_slot)
{
	ck_assert_uint_le(sizeof(struct fp_ev_md_noii), 40);
	ck_assert_uint_le(sizeof(struct fp_ev_md_dlcr), 40);
	ck_assert_uint_le(sizeof(struct fp_ev_md_luld_collar), 40);
	ck_assert_uint_le(sizeof(struct fp_ev_md_stock_directory), 40);
	ck_assert_uint_le(sizeof(struct fp_ev_order), 40);
	ck_assert_uint_le(sizeof(struct fp_ev_exec), 40);
}
END_TEST

START_TEST(test_event_zeroed_slot_is_none)
{
	struct fp_event ev = {0};
	ck_assert_int_eq(ev.type, FP_EV_NONE);
	ck_assert(!fp_ev_is_md(ev.type));
	ck_assert(fp_ev_is_md(FP_EV_MD_SYSTEM));
	ck_assert(fp_ev_is_md(FP_EV_MD_STALE));
	ck_assert(!fp_ev_is_md(FP_EV_BOOK_TOP));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_event");
	TCase *tc = tcase_create("layout");
	tcase_add_test(tc, test_event_is_one_cache_line);
	tcase_add_test(tc, test_event_payloads_fit_the_slot);
	tcase_add_test(tc, test_event_zeroed_slot_is_none);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
