/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_log.c - cold-path logging: line shape (ISO 8601 UTC with microseconds, level,
 * component, pid), level filtering and set_level, level names parsed and refused,
 * truncation of long messages.
 */
#include <check.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fp_err.h"
#include "fp_log.h"

static char *buf;
static size_t len;
static FILE *out;
static struct fp_log log_;

static void setup(void)
{
	out = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(out);
	fp_log_init(&log_, out, "sim", FP_LOG_INFO);
}

static void teardown(void)
{
	fclose(out);
	free(buf);
}

START_TEST(test_log_line_has_iso8601_us_level_component_pid)
{
	char want[128];
	regex_t re;
	fp_log_warn(&log_, "venue session %u lost", 3u);
	fflush(out);
	snprintf(want, sizeof(want),
		 "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z "
		 "WARN  sim\\[%d\\]: venue session 3 lost\n$",
		 (int)getpid());
	ck_assert_int_eq(regcomp(&re, want, REG_EXTENDED | REG_NOSUB), 0);
	ck_assert_msg(regexec(&re, buf, 0, NULL, 0) == 0, "got '%s'", buf);
	regfree(&re);
}
END_TEST

START_TEST(test_log_filters_by_level)
{
	fp_log_debug(&log_, "hidden");
	fp_log_info(&log_, "shown-info");
	fp_log_error(&log_, "shown-error");
	fflush(out);
	ck_assert_ptr_null(strstr(buf, "hidden"));
	ck_assert_ptr_nonnull(strstr(buf, "INFO  sim"));
	ck_assert_ptr_nonnull(strstr(buf, "ERROR sim"));
	ck_assert(!fp_log_enabled(&log_, FP_LOG_DEBUG));
	fp_log_set_level(&log_, FP_LOG_DEBUG);
	ck_assert(fp_log_enabled(&log_, FP_LOG_DEBUG));
	fp_log_debug(&log_, "now-visible");
	fp_log_set_level(&log_, FP_LOG_ERROR);
	fp_log_warn(&log_, "quiet-warn");
	fflush(out);
	ck_assert_ptr_nonnull(strstr(buf, "DEBUG sim"));
	ck_assert_ptr_nonnull(strstr(buf, "now-visible"));
	ck_assert_ptr_null(strstr(buf, "quiet-warn"));
}
END_TEST

START_TEST(test_log_level_names_parse_and_refuse)
{
	enum fp_log_level l = FP_LOG_ERROR;
	ck_assert_int_eq(fp_log_level_parse("debug", &l), 0);
	ck_assert_int_eq(l, FP_LOG_DEBUG);
	ck_assert_int_eq(fp_log_level_parse("WARNING", &l), 0);
	ck_assert_int_eq(l, FP_LOG_WARN);
	ck_assert_int_eq(fp_log_level_parse("Info", &l), 0);
	ck_assert_int_eq(l, FP_LOG_INFO);
	ck_assert_int_eq(fp_log_level_parse("loud", &l), -EINVAL);
	ck_assert_msg(strstr(fp_err_msg(), "unknown log level 'loud' (use error, warn, info or "
					   "debug)") != NULL,
		      "got '%s'", fp_err_msg());
	ck_assert_str_eq(fp_log_level_name(FP_LOG_ERROR), "ERROR");
	ck_assert_str_eq(fp_log_level_name((enum fp_log_level)42), "?");
}
END_TEST

START_TEST(test_log_truncates_long_message_to_one_line)
{
	char big[3 * FP_LOG_LINE_MAX];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fp_log_error(&log_, "%s", big);
	fflush(out);
	ck_assert_uint_eq(len, FP_LOG_LINE_MAX - 1);
	ck_assert_int_eq(buf[len - 1], '\n');
	ck_assert_int_eq(strncmp(buf + len - 4, "...", 3), 0);
	ck_assert_ptr_eq(strchr(buf, '\n'), buf + len - 1);
}
END_TEST

static Suite *fp_log_suite(void)
{
	Suite *s = suite_create("fp_log");
	TCase *tc = tcase_create("log");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_log_line_has_iso8601_us_level_component_pid);
	tcase_add_test(tc, test_log_filters_by_level);
	tcase_add_test(tc, test_log_level_names_parse_and_refuse);
	tcase_add_test(tc, test_log_truncates_long_message_to_one_line);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fp_log_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
