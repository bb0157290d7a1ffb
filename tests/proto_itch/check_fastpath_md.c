/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fastpath_md.c - end-to-end test of the built `fastpath-md dump` binary: run it on
 * every file of ../shared/data that it must read and check the summary (last line) against
 * the data README; the README's Add Order line field by field; --type filtering; --port;
 * and a one-line error with a non-zero exit for foreign, missing and pcapng input and for
 * bad arguments.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "itch_test_util.h"

#define MD_BIN FP_BINARY_DIR "/bin/fastpath-md"

struct run {
	int status;       /**< exit status */
	unsigned lines;   /**< stdout lines */
	char first[1024]; /**< first stdout line */
	char last[4096];  /**< last stdout line (the summary) */
	char err[1024];   /**< stderr */
};

/* Bounded copy that always terminates (lines longer than @p cap are cut). */
static void copy_line(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

static void run_md(const char *args, struct run *r)
{
	char cmd[2048], errpath[1024];
	snprintf(errpath, sizeof(errpath), "%s/tests/fastpath_md_stderr.%d", FP_BINARY_DIR,
		 (int)getpid());
	snprintf(cmd, sizeof(cmd), "%s %s 2>%s", MD_BIN, args, errpath);
	memset(r, 0, sizeof(*r));
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	static char line[1 << 16];
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = 0;
		if (r->lines++ == 0)
			copy_line(r->first, sizeof(r->first), line);
		copy_line(r->last, sizeof(r->last), line);
	}
	int st = pclose(p);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 255;
	FILE *e = fopen(errpath, "r");
	if (e) {
		size_t n = fread(r->err, 1, sizeof(r->err) - 1, e);
		r->err[n] = 0;
		fclose(e);
		remove(errpath);
	}
}

/* Value of "key":<number> in @p json (first occurrence), or -1. */
static long long num_of(const char *json, const char *key)
{
	char pat[128];
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	const char *p = strstr(json, pat);
	return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

static int has(const char *json, const char *text)
{
	return strstr(json, text) != NULL;
}

static const char *data(const char *rel)
{
	static char buf[1024];
	snprintf(buf, sizeof(buf), "'%s/%s'", FP_SHARED_DATA, rel);
	return buf;
}

START_TEST(test_md_rejects_bad_input_with_one_line)
{
	struct run r;
	run_md("", &r);
	ck_assert_int_ne(r.status, 0);
	run_md("frobnicate", &r);
	ck_assert_int_ne(r.status, 0);
	ck_assert(has(r.err, "unknown command"));
	run_md("dump /nonexistent/file.pcap", &r);
	ck_assert_int_ne(r.status, 0);
	ck_assert_uint_eq(r.lines, 0);
	ck_assert(has(r.err, "cannot open"));
	ck_assert_ptr_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1); /* one line */
	run_md("dump /tmp", &r);
	ck_assert_int_ne(r.status, 0);
	run_md("dump x --type Z", &r);
	ck_assert_int_ne(r.status, 0);
	run_md("dump x --port 70000", &r);
	ck_assert_int_ne(r.status, 0);
	run_md("--help", &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert(has(r.first, "usage"));
	run_md("dump --help", &r);
	ck_assert_int_eq(r.status, 0);

	/* A foreign file, and a pcapng header, written here. */
	char path[1024], args[1100];
	snprintf(path, sizeof(path), "%s/tests/fastpath_md_foreign.%d", FP_BINARY_DIR,
		 (int)getpid());
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	fputs("Nasdaq TotalView-ITCH 5.0, but as text\n", f);
	fclose(f);
	snprintf(args, sizeof(args), "dump '%s'", path);
	run_md(args, &r);
	ck_assert_int_ne(r.status, 0);
	ck_assert(has(r.err, "neither a pcap nor a raw ITCH 5.0 file"));
	f = fopen(path, "wb");
	const uint8_t ng[28] = {0x0A, 0x0D, 0x0D, 0x0A, 28, 0, 0, 0, 0x4D, 0x3C, 0x2B, 0x1A};
	fwrite(ng, 1, sizeof(ng), f);
	fclose(f);
	run_md(args, &r);
	ck_assert_int_ne(r.status, 0);
	ck_assert(has(r.err, "pcapng"));
	remove(path);
}
END_TEST

START_TEST(test_md_ritch_counts_and_warning)
{
	if (!td_have_data())
		return;
	struct run r;
	char args[2048];
	snprintf(args, sizeof(args), "dump %s", data("itch50/ritch_ex20101224.TEST_ITCH_50"));
	run_md(args, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_uint_eq(r.lines, 12012 + 1);
	ck_assert(has(r.last, "{\"summary\": {"));
	ck_assert_int_eq(num_of(r.last, "messages"), 12012);
	ck_assert(
		has(r.last,
		    "\"by_type\": {\"S\": 6, \"R\": 3, \"H\": 3, \"A\": 4997, \"F\": 3, \"E\": 198,"
		    " \"X\": 45, \"D\": 1745, \"U\": 12, \"P\": 5000}"));
	ck_assert_int_eq(num_of(r.last, "errors"), 0);
	ck_assert(has(r.last, "\"truncated\": false"));
	/* one warning about the zero length prefixes, on one line */
	ck_assert(has(r.err, "length prefix 0000"));
	ck_assert_ptr_eq(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);

	snprintf(args, sizeof(args), "dump %s --type A,F",
		 data("itch50/ritch_ex20101224.TEST_ITCH_50"));
	run_md(args, &r);
	ck_assert_uint_eq(r.lines, 4997 + 3 + 1);
	ck_assert(has(r.first, "{\"type\": \"A\""));
	ck_assert_int_eq(num_of(r.last, "messages"), 12012); /* the summary counts everything */
	ck_assert_int_eq(num_of(r.last, "printed"), 5000);

	snprintf(args, sizeof(args), "dump %s --summary --json",
		 data("itch50/ritch_ex20101224.TEST_ITCH_50"));
	run_md(args, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_uint_eq(r.lines, 1);
	ck_assert_int_eq(num_of(r.last, "messages"), 12012);
}
END_TEST

START_TEST(test_md_bbekele_and_truncated_lukef)
{
	if (!td_have_data())
		return;
	struct run r;
	char args[2048];
	snprintf(args, sizeof(args), "dump %s", data("itch50/bbekele_sample.itch"));
	run_md(args, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(num_of(r.last, "messages"), 1000);
	ck_assert(has(r.last, "\"by_type\": {\"S\": 1, \"R\": 993, \"H\": 3, \"Y\": 3}"));
	ck_assert(has(r.last, "\"truncated\": false"));

	snprintf(args, sizeof(args), "dump %s", data("itch50/lukef_sample.itch"));
	run_md(args, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(num_of(r.last, "messages"), 101);
	ck_assert_uint_eq(r.lines, 101 + 1); /* the cut R is not invented */
	ck_assert(has(r.last, "\"by_type\": {\"S\": 1, \"R\": 98, \"H\": 1, \"Y\": 1}"));
	ck_assert(has(r.last, "\"truncated\": true"));
	ck_assert_int_eq(num_of(r.last, "errors"), 0);
}
END_TEST

START_TEST(test_md_add_order_line_is_exact)
{
	if (!td_have_data())
		return;
	struct run r;
	char args[2048];
	snprintf(args, sizeof(args), "dump %s",
		 data("pcap/itch50/AddOrderNoMpidAttributionMessage.pcap"));
	run_md(args, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_uint_eq(r.lines, 2);
	ck_assert_str_eq(r.first,
			 "{\"type\": \"A\", \"seq\": 14757721, \"stock_locate\": 5528,"
			 " \"tracking_number\": 0, \"timestamp\": 34199999894278,"
			 " \"order_reference_number\": 23508286, \"buy_sell_indicator\": \"B\","
			 " \"shares\": 1600, \"stock\": \"IVOO\", \"price\": 873900,"
			 " \"price_str\": \"87.3900\"}");
	ck_assert(has(r.last,
		      "\"sessions\": [{\"session\": \"000010059B\", \"first_seq\": 14757721"));
	ck_assert_int_eq(num_of(r.last, "gaps"), 0);

	snprintf(args, sizeof(args), "dump %s --port 26477",
		 data("pcap/itch50/OrderReplaceMessage.pcap"));
	run_md(args, &r);
	ck_assert(has(r.first, "\"type\": \"U\", \"seq\": 14757701"));
	ck_assert(has(r.first, "\"price\": 1062600, \"price_str\": \"106.2600\""));
	snprintf(args, sizeof(args), "dump %s --port 1234",
		 data("pcap/itch50/OrderReplaceMessage.pcap"));
	run_md(args, &r);
	ck_assert_uint_eq(r.lines, 1);
	ck_assert_int_eq(num_of(r.last, "messages"), 0);
	ck_assert_int_eq(num_of(r.last, "skipped_packets"), 1);
}
END_TEST

START_TEST(test_md_every_itch_capture)
{
	if (!td_have_data())
		return;
	static const struct {
		const char *file;
		const char *by_type;
	} caps[] = {
		{"20230822_AddOrderNoMPID.pcap", "{\"A\": 5}"},
		{"20230822_AddOrderWithMPID.pcap", "{\"F\": 5}"},
		{"20230822_CrossTrade.pcap", "{\"Q\": 5}"},
		{"20230822_LULDAuctionCollar.pcap", "{\"J\": 5}"},
		{"20230822_MarketParticipantPosition.pcap", "{\"L\": 5}"},
		{"20230822_NetOrderImbalanceIndicator.pcap", "{\"I\": 5}"},
		{"20230822_NonCrossTrade.pcap", "{\"P\": 5}"},
		{"20230822_OrderCancel.pcap", "{\"X\": 5}"},
		{"20230822_OrderDelete.pcap", "{\"D\": 5}"},
		{"20230822_OrderExecuted.pcap", "{\"E\": 5}"},
		{"20230822_OrderExecutedWithPrice.pcap", "{\"C\": 5}"},
		{"20230822_OrderReplace.pcap", "{\"U\": 5}"},
		{"20230822_RegSHORestriction.pcap", "{\"Y\": 5}"},
		{"20230822_StockTradingAction.pcap", "{\"H\": 5}"},
		{"20230822_SystemEvent.pcap", "{\"S\": 1}"},
		{"AddOrderNoMpidAttributionMessage.pcap", "{\"A\": 1}"},
		{"MarketParticipantPositionMessage.pcap", "{\"L\": 1}"},
		{"NetOrderImbalanceIndicatorMessage.pcap", "{\"I\": 1}"},
		{"OrderDeleteMessage.pcap", "{\"D\": 1}"},
		{"OrderExecutedMessage.pcap", "{\"E\": 1}"},
		{"OrderReplaceMessage.pcap", "{\"U\": 1}"},
		{"StockTradingActionMessage.pcap", "{\"H\": 1}"},
	};
	for (size_t i = 0; i < FP_ARRAY_SIZE(caps); i++) {
		struct run r;
		char rel[256], args[2048], want[128];
		snprintf(rel, sizeof(rel), "pcap/itch50/%s", caps[i].file);
		snprintf(args, sizeof(args), "dump %s", data(rel));
		run_md(args, &r);
		ck_assert_msg(r.status == 0, "%s: exit %d: %s", caps[i].file, r.status, r.err);
		snprintf(want, sizeof(want), "\"by_type\": %s", caps[i].by_type);
		ck_assert_msg(has(r.last, want), "%s: %s", caps[i].file, r.last);
		ck_assert_int_eq(num_of(r.last, "errors"), 0);
		ck_assert_int_eq(num_of(r.last, "duplicates"), 0);
		ck_assert(has(r.last, "\"truncated\": false"));
	}
	/* OUCH captures are TCP: read, nothing of ITCH in them, no error. */
	struct run r;
	char args[2048];
	snprintf(args, sizeof(args), "dump %s", data("pcap/ouch50/EnterOrderMessage.pcap"));
	run_md(args, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(num_of(r.last, "messages"), 0);
	ck_assert_int_eq(num_of(r.last, "skipped_packets"), 1);
}
END_TEST

/* Issue 18: a capture cut inside its 24-byte header says truncated; a corrupt record
 * length is echoed on stderr with its offset, like a bad message. */
START_TEST(test_md_cut_header_and_corrupt_record_length)
{
	char src[1024], path[1024], args[1100];
	snprintf(src, sizeof(src), "%s/pcap/itch50/OrderDeleteMessage.pcap", FP_SHARED_DATA);
	FILE *in = fopen(src, "rb");
	if (!in) {
		fprintf(stderr, "check_fastpath_md: %s missing: skipped\n", src);
		return;
	}
	static uint8_t buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf), in);
	fclose(in);
	ck_assert_uint_gt(n, 24 + 16);
	snprintf(path, sizeof(path), "%s/tests/fastpath_md_cut.%d", FP_BINARY_DIR, (int)getpid());
	snprintf(args, sizeof(args), "dump '%s'", path);
	struct run r;

	FILE *f = fopen(path, "wb");
	fwrite(buf, 1, 20, f); /* inside the file header */
	fclose(f);
	run_md(args, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(has(r.last, "\"truncated\": true"), "got '%s'", r.last);
	ck_assert_msg(has(r.err, "(truncated)"), "stderr '%s'", r.err);

	const uint32_t huge = 0x7fffffff; /* incl_len of the first record */
	memcpy(buf + 24 + 8, &huge, sizeof(huge));
	f = fopen(path, "wb");
	fwrite(buf, 1, n, f);
	fclose(f);
	run_md(args, &r);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(num_of(r.last, "errors"), 1);
	ck_assert_msg(has(r.err, "offset 24: corrupt pcap record length 2147483647"), "stderr '%s'",
		      r.err);
	remove(path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fastpath_md");
	TCase *tc = tcase_create("dump");
	tcase_add_test(tc, test_md_rejects_bad_input_with_one_line);
	tcase_add_test(tc, test_md_ritch_counts_and_warning);
	tcase_add_test(tc, test_md_bbekele_and_truncated_lukef);
	tcase_add_test(tc, test_md_add_order_line_is_exact);
	tcase_add_test(tc, test_md_every_itch_capture);
	tcase_add_test(tc, test_md_cut_header_and_corrupt_record_length);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
