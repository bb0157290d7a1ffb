/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_store_replay.c - replay of an instance's journal files: no directory, several
 * days in order, files of other instances ignored, a torn newest file (and a newest file
 * shorter than its header), damage in an older file, damage with valid records after it in
 * the newest file, a callback that stops, read-only (nothing truncated), path naming.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fp_err.h"
#include "fp_event.h"
#include "fp_journal.h"
#include "fp_store_journal.h"
#include "fp_store_replay.h"

#define DAY_NS (86400ull * 1000000000ull)
/* 2026-11-24 00:00:00 UTC */
#define T0_NS  (1795478400ull * 1000000000ull)

static char tmpdir[64];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_fp_replay.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Write records first..last (ev.seq = the record number) into the file of day @d. */
static void write_day(const char *instance, unsigned d, uint64_t first, uint64_t last, char *path,
		      size_t len)
{
	struct fp_store_journal *j;
	ck_assert_int_eq(fp_store_journal_path(path, len, tmpdir, instance, T0_NS + d * DAY_NS), 0);
	ck_assert_msg(fp_store_journal_open(path, instance, &j) == 0, "%s", fp_err_msg());
	for (uint64_t i = first; i <= last; i++) {
		struct fp_event ev = {.type = FP_EV_ORDER_NEW, .seq = i};
		ck_assert_int_eq(fp_store_journal_append_flags(j, ev.type, FP_JRNL_SRC_RISK, &ev,
							       sizeof(ev)),
				 0);
	}
	ck_assert_int_eq(fp_store_journal_close(j), 0);
}

struct seen {
	uint64_t n, next_ev_seq;
	uint32_t last_day;
	uint64_t stop_at;
};

static int on_rec(void *arg, const struct fp_store_record *rec, uint32_t day)
{
	struct seen *s = arg;
	struct fp_event ev;
	ck_assert_uint_eq(rec->len, sizeof(ev));
	ck_assert_uint_eq(rec->flags, FP_JRNL_SRC_RISK);
	memcpy(&ev, rec->payload, sizeof(ev));
	ck_assert_uint_eq(ev.seq, s->next_ev_seq);
	ck_assert_uint_ge(day, s->last_day);
	s->next_ev_seq++;
	s->last_day = day;
	s->n++;
	return s->stop_at && s->n == s->stop_at ? 42 : 0;
}

static off_t size_of(const char *path)
{
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_size;
}

static void append_bytes(const char *path, const void *b, size_t n)
{
	int fd = open(path, O_WRONLY | O_APPEND);
	ck_assert(fd >= 0);
	ck_assert_int_eq(write(fd, b, n), (ssize_t)n);
	close(fd);
}

static void flip_byte(const char *path, off_t off)
{
	uint8_t b;
	int fd = open(path, O_RDWR);
	ck_assert(fd >= 0);
	ck_assert_int_eq(pread(fd, &b, 1, off), 1);
	b ^= 0x5a;
	ck_assert_int_eq(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

#define REC_BYTES (FP_STORE_REC_HDR_SIZE + sizeof(struct fp_event))

START_TEST(test_replay_of_no_directory_is_empty)
{
	struct fp_store_replay_stats st;
	struct seen s = {.next_ev_seq = 1};
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/none", tmpdir);
	ck_assert_int_eq(fp_store_replay(dir, "t", on_rec, &s, &st), 0);
	ck_assert_uint_eq(st.records, 0);
	ck_assert_uint_eq(st.files, 0);
	ck_assert_int_eq(fp_store_replay(tmpdir, "t", on_rec, &s, &st), 0);
	ck_assert_uint_eq(st.records, 0);
}
END_TEST

START_TEST(test_replay_reads_days_oldest_first_and_skips_other_instances)
{
	struct fp_store_replay_stats st;
	struct seen s = {.next_ev_seq = 1};
	char p[256];
	/* written out of order on purpose */
	write_day("t", 2, 201, 300, p, sizeof(p));
	write_day("t", 0, 1, 100, p, sizeof(p));
	write_day("t", 1, 101, 200, p, sizeof(p));
	write_day("t-2", 0, 1, 5, p, sizeof(p));
	write_day("x", 3, 1, 5, p, sizeof(p));
	ck_assert_msg(fp_store_replay(tmpdir, "t", on_rec, &s, &st) == 0, "%s", fp_err_msg());
	ck_assert_uint_eq(st.files, 3);
	ck_assert_uint_eq(st.records, 300);
	ck_assert_uint_eq(s.n, 300);
	ck_assert_uint_eq(st.torn_bytes, 0);
	ck_assert_uint_eq(s.last_day, 20261126);
	ck_assert_int_eq(fp_store_newest_file(p, sizeof(p), tmpdir, "t"), 1);
	ck_assert_ptr_nonnull(strstr(p, "/t-20261126.fpj"));
}
END_TEST

START_TEST(test_replay_stops_at_a_torn_newest_file_without_truncating)
{
	struct fp_store_replay_stats st;
	struct seen s = {.next_ev_seq = 1};
	char p[256];
	uint8_t junk[37];
	write_day("t", 0, 1, 10, p, sizeof(p));
	write_day("t", 1, 11, 20, p, sizeof(p));
	memset(junk, 0x11, sizeof(junk));
	append_bytes(p, junk, sizeof(junk));
	off_t before = size_of(p);
	ck_assert_msg(fp_store_replay(tmpdir, "t", on_rec, &s, &st) == 0, "%s", fp_err_msg());
	ck_assert_uint_eq(st.records, 20);
	ck_assert_uint_eq(st.torn_bytes, sizeof(junk));
	ck_assert_str_eq(st.torn_file, p);
	ck_assert_int_eq(size_of(p), before);
}
END_TEST

START_TEST(test_replay_takes_a_bad_crc_in_the_last_record_for_a_torn_tail)
{
	struct fp_store_replay_stats st;
	struct seen s = {.next_ev_seq = 1};
	char p[256];
	write_day("t", 0, 1, 10, p, sizeof(p));
	flip_byte(p, size_of(p) - 3);
	ck_assert_int_eq(fp_store_replay(tmpdir, "t", on_rec, &s, &st), 0);
	ck_assert_uint_eq(st.records, 9);
	ck_assert_uint_eq(st.torn_bytes, REC_BYTES);
}
END_TEST

START_TEST(test_replay_takes_a_short_newest_file_for_a_torn_tail)
{
	struct fp_store_replay_stats st;
	struct seen s = {.next_ev_seq = 1};
	char p[256];
	write_day("t", 0, 1, 10, p, sizeof(p));
	ck_assert_int_eq(fp_store_journal_path(p, sizeof(p), tmpdir, "t", T0_NS + DAY_NS), 0);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs("FPJ", f);
	fclose(f);
	ck_assert_int_eq(fp_store_replay(tmpdir, "t", on_rec, &s, &st), 0);
	ck_assert_uint_eq(st.records, 10);
	ck_assert_uint_eq(st.torn_bytes, 3);
	ck_assert_str_eq(st.torn_file, p);
}
END_TEST

START_TEST(test_replay_refuses_damage_in_an_older_file)
{
	struct fp_store_replay_stats st;
	struct seen s = {.next_ev_seq = 1};
	char p0[256], p1[256];
	write_day("t", 0, 1, 10, p0, sizeof(p0));
	write_day("t", 1, 11, 20, p1, sizeof(p1));
	/* the last record of the older file: a torn tail there is damage all the same */
	flip_byte(p0, size_of(p0) - 3);
	ck_assert_int_eq(fp_store_replay(tmpdir, "t", on_rec, &s, &st), -EBADMSG);
	ck_assert_uint_eq(s.n, 9);
	ck_assert_msg(strstr(fp_err_msg(), p0) != NULL, "%s", fp_err_msg());
	ck_assert_msg(strstr(fp_err_msg(), "offset") != NULL, "%s", fp_err_msg());
	ck_assert_msg(strstr(fp_err_msg(), "sequence 10") != NULL, "%s", fp_err_msg());
}
END_TEST

START_TEST(test_replay_refuses_middle_damage_in_the_newest_file)
{
	struct fp_store_replay_stats st;
	struct seen s = {.next_ev_seq = 1};
	char p[256];
	write_day("t", 0, 1, 10, p, sizeof(p));
	flip_byte(p, FP_STORE_HDR_SIZE + 4 * REC_BYTES + 30); /* record 5's payload */
	off_t before = size_of(p);
	ck_assert_int_eq(fp_store_replay(tmpdir, "t", on_rec, &s, &st), -EBADMSG);
	ck_assert_uint_eq(s.n, 4);
	ck_assert_msg(strstr(fp_err_msg(), "sequence 6") != NULL, "%s", fp_err_msg());
	ck_assert_msg(strstr(fp_err_msg(), p) != NULL, "%s", fp_err_msg());
	ck_assert_int_eq(size_of(p), before);
}
END_TEST

START_TEST(test_replay_returns_the_callbacks_stop_value)
{
	struct fp_store_replay_stats st;
	struct seen s = {.next_ev_seq = 1, .stop_at = 15};
	char p[256];
	write_day("t", 0, 1, 10, p, sizeof(p));
	write_day("t", 1, 11, 20, p, sizeof(p));
	ck_assert_int_eq(fp_store_replay(tmpdir, "t", on_rec, &s, &st), 42);
	ck_assert_uint_eq(s.n, 15);
}
END_TEST

START_TEST(test_replay_refuses_a_file_of_another_instance)
{
	struct seen s = {.next_ev_seq = 1};
	char p[256], q[256];
	write_day("u", 0, 1, 3, p, sizeof(p));
	ck_assert_int_eq(fp_store_journal_path(q, sizeof(q), tmpdir, "t", T0_NS), 0);
	ck_assert_int_eq(rename(p, q), 0);
	ck_assert_int_eq(fp_store_replay(tmpdir, "t", on_rec, &s, NULL), -EINVAL);
	ck_assert_msg(strstr(fp_err_msg(), "instance 'u'") != NULL, "%s", fp_err_msg());
}
END_TEST

START_TEST(test_journal_path_names_the_utc_day)
{
	char p[64];
	ck_assert_int_eq(fp_store_journal_path(p, sizeof(p), "d", "dev", T0_NS + DAY_NS - 1), 0);
	ck_assert_str_eq(p, "d/dev-20261124.fpj");
	ck_assert_int_eq(fp_store_journal_path(p, sizeof(p), "d", "dev", T0_NS + DAY_NS), 0);
	ck_assert_str_eq(p, "d/dev-20261125.fpj");
	ck_assert_uint_eq(fp_store_next_midnight(T0_NS + 5), T0_NS + DAY_NS);
	ck_assert_uint_eq(fp_store_next_midnight(T0_NS), T0_NS + DAY_NS);
	ck_assert_int_eq(fp_store_journal_path(p, 8, "d", "dev", T0_NS), -ENAMETOOLONG);
}
END_TEST

static Suite *replay_suite(void)
{
	Suite *s = suite_create("fp_store_replay");
	TCase *tc = tcase_create("replay");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_replay_of_no_directory_is_empty);
	tcase_add_test(tc, test_replay_reads_days_oldest_first_and_skips_other_instances);
	tcase_add_test(tc, test_replay_stops_at_a_torn_newest_file_without_truncating);
	tcase_add_test(tc, test_replay_takes_a_bad_crc_in_the_last_record_for_a_torn_tail);
	tcase_add_test(tc, test_replay_takes_a_short_newest_file_for_a_torn_tail);
	tcase_add_test(tc, test_replay_refuses_damage_in_an_older_file);
	tcase_add_test(tc, test_replay_refuses_middle_damage_in_the_newest_file);
	tcase_add_test(tc, test_replay_returns_the_callbacks_stop_value);
	tcase_add_test(tc, test_replay_refuses_a_file_of_another_instance);
	tcase_add_test(tc, test_journal_path_names_the_utc_day);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(replay_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
