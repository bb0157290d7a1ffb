/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_journal_replay.c - the journal's replay filters (fp_journal_replay.h): J3 drops
 * an execution report already applied (seq below, or same seq and type), keeps the two
 * reports of one replace, restarts with a new venue session and never drops the gateway's
 * own rejects (seq 0); J5's recent answers skip the head of a ring once, until the first
 * event that was not answered.
 */
#include <check.h>
#include <stdlib.h>

#include "fp_journal_replay.h"

static struct fp_event exec(uint8_t type, uint64_t seq)
{
	struct fp_event ev = {.type = type, .seq = seq};
	return ev;
}

static char session_a[FP_JRNL_SESSION_LEN] = "SESSIONA  ";
static char session_b[FP_JRNL_SESSION_LEN] = "SESSIONB  ";

START_TEST(test_exec_in_order_pass_replays_drop)
{
	struct fp_jrnl_exec_filter f;
	fp_jrnl_exec_filter_reset(&f);
	ck_assert(fp_jrnl_exec_filter_session(&f, session_a));
	for (uint64_t s = 1; s <= 5; s++) {
		struct fp_event ev = exec(FP_EV_EXEC_FILL, s);
		ck_assert(!fp_jrnl_exec_replayed(&f, &ev));
	}
	ck_assert_uint_eq(f.last_seq, 5);
	/* the venue replays 3..5 after a gateway restart: all three dropped */
	for (uint64_t s = 3; s <= 5; s++) {
		struct fp_event ev = exec(FP_EV_EXEC_FILL, s);
		ck_assert(fp_jrnl_exec_replayed(&f, &ev));
	}
	struct fp_event next = exec(FP_EV_EXEC_CANCELED, 6);
	ck_assert(!fp_jrnl_exec_replayed(&f, &next));
	ck_assert_uint_eq(f.last_seq, 6);
}
END_TEST

START_TEST(test_exec_replace_two_reports_of_one_seq)
{
	struct fp_jrnl_exec_filter f;
	fp_jrnl_exec_filter_reset(&f);
	struct fp_event canceled = exec(FP_EV_EXEC_CANCELED, 7);
	struct fp_event accepted = exec(FP_EV_EXEC_ACCEPTED, 7);
	ck_assert(!fp_jrnl_exec_replayed(&f, &canceled));
	ck_assert(!fp_jrnl_exec_replayed(&f, &accepted)); /* same seq, another type */
	ck_assert(fp_jrnl_exec_replayed(&f, &canceled));  /* replayed */
	ck_assert(fp_jrnl_exec_replayed(&f, &accepted));
	struct fp_event fill = exec(FP_EV_EXEC_FILL, 8);
	ck_assert(!fp_jrnl_exec_replayed(&f, &fill));
	struct fp_event fill_again = exec(FP_EV_EXEC_FILL, 8);
	ck_assert(fp_jrnl_exec_replayed(&f, &fill_again));
	/* at a new seq the types of the old one are forgotten */
	struct fp_event acc9 = exec(FP_EV_EXEC_ACCEPTED, 9);
	ck_assert(!fp_jrnl_exec_replayed(&f, &acc9));
}
END_TEST

START_TEST(test_exec_local_rejects_never_dropped)
{
	struct fp_jrnl_exec_filter f;
	fp_jrnl_exec_filter_reset(&f);
	struct fp_event fill = exec(FP_EV_EXEC_FILL, 10);
	ck_assert(!fp_jrnl_exec_replayed(&f, &fill));
	struct fp_event local = exec(FP_EV_EXEC_REJECTED, 0);
	ck_assert(!fp_jrnl_exec_replayed(&f, &local));
	ck_assert(!fp_jrnl_exec_replayed(&f, &local));
	ck_assert_uint_eq(f.last_seq, 10); /* untouched by a local reject */
}
END_TEST

START_TEST(test_exec_new_session_restarts_seq)
{
	struct fp_jrnl_exec_filter f;
	fp_jrnl_exec_filter_reset(&f);
	ck_assert(fp_jrnl_exec_filter_session(&f, session_a));
	struct fp_event fill = exec(FP_EV_EXEC_FILL, 100);
	ck_assert(!fp_jrnl_exec_replayed(&f, &fill));
	/* a reconnect to the same session goes on: 50 is a replay */
	ck_assert(!fp_jrnl_exec_filter_session(&f, session_a));
	struct fp_event old = exec(FP_EV_EXEC_FILL, 50);
	ck_assert(fp_jrnl_exec_replayed(&f, &old));
	ck_assert_uint_eq(f.last_seq, 100);
	/* a new session numbers from 1 again: 1 applies */
	ck_assert(fp_jrnl_exec_filter_session(&f, session_b));
	ck_assert_uint_eq(f.last_seq, 0);
	struct fp_event first = exec(FP_EV_EXEC_FILL, 1);
	ck_assert(!fp_jrnl_exec_replayed(&f, &first));
	ck_assert_uint_eq(f.last_seq, 1);
}
END_TEST

START_TEST(test_recent_skips_the_answered_head_once)
{
	struct fp_jrnl_recent *r = malloc(sizeof(*r));
	ck_assert_ptr_nonnull(r);
	fp_jrnl_recent_reset(r);
	fp_jrnl_recent_arm(r);
	ck_assert_uint_eq(r->skip, 0); /* nothing replayed: nothing to skip */
	for (uint64_t id = 1; id <= 3; id++)
		fp_jrnl_recent_add(r, id);
	fp_jrnl_recent_arm(r);
	ck_assert_uint_eq(r->skip, 1);
	ck_assert(fp_jrnl_recent_seen(r, 1));
	ck_assert(fp_jrnl_recent_seen(r, 2));
	ck_assert_uint_eq(r->skip, 1);
	ck_assert(!fp_jrnl_recent_seen(r, 77)); /* the first new intent ends the check */
	ck_assert_uint_eq(r->skip, 0);
	/* a zero id is never one of them and ends the check too */
	fp_jrnl_recent_arm(r);
	ck_assert(!fp_jrnl_recent_seen(r, 0));
	ck_assert_uint_eq(r->skip, 0);
	free(r);
}
END_TEST

START_TEST(test_recent_keeps_the_last_ones)
{
	struct fp_jrnl_recent *r = malloc(sizeof(*r));
	ck_assert_ptr_nonnull(r);
	fp_jrnl_recent_reset(r);
	for (uint64_t id = 1; id <= FP_JRNL_RECENT + 10; id++)
		fp_jrnl_recent_add(r, id);
	fp_jrnl_recent_arm(r);
	ck_assert(fp_jrnl_recent_seen(r, FP_JRNL_RECENT + 10)); /* the last */
	ck_assert(fp_jrnl_recent_seen(r, 11));                  /* the oldest kept */
	ck_assert(!fp_jrnl_recent_seen(r, 10));                 /* overwritten */
	fp_jrnl_recent_reset(r);
	fp_jrnl_recent_arm(r);
	ck_assert_uint_eq(r->skip, 0);
	free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_journal_replay");
	TCase *tc = tcase_create("filters");
	tcase_add_test(tc, test_exec_in_order_pass_replays_drop);
	tcase_add_test(tc, test_exec_replace_two_reports_of_one_seq);
	tcase_add_test(tc, test_exec_local_rejects_never_dropped);
	tcase_add_test(tc, test_exec_new_session_restarts_seq);
	tcase_add_test(tc, test_recent_skips_the_answered_head_once);
	tcase_add_test(tc, test_recent_keeps_the_last_ones);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
