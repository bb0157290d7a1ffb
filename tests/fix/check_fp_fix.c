/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_fix.c - the FIX 4.4 codec (proto/fp_fix.h): byte-exact NewOrderSingle against a
 * message whose BodyLength and CheckSum were computed outside fastpath (Python, by the
 * spec's rule), an ExecutionReport parsed without copying, framing errors each with its
 * own code, exact Price(4) <-> decimal text, UTCTimestamps across leap days, and the fuzz
 * properties (fp_fix_fuzz_one.h) on seeded random mutations of valid messages.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_fix.h"
#include "fp_fix_fuzz_one.h"

/* '|' stands for SOH in the literals below. */
static size_t soh(uint8_t *out, const char *s)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++)
		out[i] = s[i] == '|' ? FP_FIX_SOH : (uint8_t)s[i];
	return n;
}

/* BodyLength 144 and CheckSum 227 computed by Python from the FIX 4.4 rule. */
static const char NOS[] =
	"8=FIX.4.4|9=144|35=D|49=FPST|56=EXEC|34=7|52=20261202-20:03:36.123|1=ACC1|"
	"11=FP0000000001|21=1|38=100|40=2|44=150.25|54=1|55=AAPL|59=0|60=20261202-20:03:36.123|"
	"10=227|";
/* BodyLength 143 and CheckSum 097, likewise. */
static const char ER[] = "8=FIX.4.4|9=143|35=8|34=12|49=EXEC|52=20261202-19:23:36.200|56=FPST|"
			 "6=150.25|11=FP0000000001|14=100|17=E1|31=150.25|32=100|37=O1|39=2|54="
			 "1|55=AAPL|150=F|151=0|10=097|";
#define T_NS 1796241816123000000ull /* 2026-12-02 20:03:36.123 UTC */

START_TEST(test_fix_new_order_single_is_byte_exact)
{
	struct fp_fix_tmpl t;
	ck_assert_int_eq(fp_fix_tmpl_init(&t, "D", "FPST", "EXEC"), 0);
	uint8_t buf[512], want[512];
	struct fp_fix_writer w;
	fp_fix_begin(&w, buf, sizeof(buf), &t, 7, T_NS);
	struct fp_fix_new_order o = {.cl_ord_id = "FP0000000001",
				     .symbol = "AAPL",
				     .account = "ACC1",
				     .price = 1502500,
				     .transact_ns = T_NS,
				     .qty = 100,
				     .side = '1',
				     .time_in_force = '0'};
	fp_fix_put_new_order(&w, &o);
	const uint8_t *msg;
	int n = fp_fix_finish(&w, &msg);
	size_t wn = soh(want, NOS);
	ck_assert_int_eq(n, (int)wn);
	ck_assert_int_eq(memcmp(msg, want, wn), 0);
	/* and it parses back */
	struct fp_fix_msg m;
	ck_assert_int_eq(fp_fix_parse(msg, (size_t)n, &m), FP_FIX_OK);
	ck_assert_str_eq(m.msg_type, "D");
	ck_assert_uint_eq(m.seq_num, 7);
	int64_t px;
	ck_assert_int_eq(fp_fix_get_price(&m, FP_FIX_TAG_PRICE, &px), 0);
	ck_assert_int_eq(px, 1502500);
	/* too small a buffer: an error, never a partial message */
	fp_fix_begin(&w, buf, 100, &t, 7, T_NS);
	fp_fix_put_new_order(&w, &o);
	ck_assert_int_eq(fp_fix_finish(&w, &msg), FP_FIX_ERR_NOSPACE);
}
END_TEST

START_TEST(test_fix_execution_report_parses_in_place)
{
	uint8_t b[512];
	size_t n = soh(b, ER);
	/* two messages back to back: the first is framed exactly */
	memcpy(b + n, b, n);
	struct fp_fix_msg m;
	ck_assert_int_eq(fp_fix_parse(b, 2 * n, &m), FP_FIX_OK);
	ck_assert_uint_eq(m.len, n);
	ck_assert_str_eq(m.msg_type, "8");
	ck_assert_uint_eq(m.seq_num, 12);
	ck_assert_uint_eq(m.nb_fields,
			  17); /* 35 34 49 52 56 6 11 14 17 31 32 37 39 54 55 150 151 */
	size_t l;
	const char *s = fp_fix_get_str(&m, FP_FIX_TAG_CL_ORD_ID, &l);
	ck_assert_ptr_eq(s, (const char *)b + 80); /* a view, not a copy */
	ck_assert_int_eq(l, 12);
	ck_assert_int_eq(memcmp(s, "FP0000000001", 12), 0);
	uint64_t v;
	ck_assert_int_eq(fp_fix_get_u64(&m, FP_FIX_TAG_LAST_QTY, &v), 0);
	ck_assert_uint_eq(v, 100);
	ck_assert_int_eq(fp_fix_get_u64(&m, FP_FIX_TAG_LEAVES_QTY, &v), 0);
	ck_assert_uint_eq(v, 0);
	int64_t px;
	ck_assert_int_eq(fp_fix_get_price(&m, FP_FIX_TAG_LAST_PX, &px), 0);
	ck_assert_int_eq(px, 1502500);
	s = fp_fix_get_str(&m, FP_FIX_TAG_EXEC_TYPE, &l);
	ck_assert(l == 1 && s[0] == 'F');
	ck_assert_ptr_null(fp_fix_find(&m, FP_FIX_TAG_TEXT));
	ck_assert_int_eq(fp_fix_get_u64(&m, FP_FIX_TAG_TEXT, &v), -1);
	ck_assert_int_eq(fp_fix_get_u64(&m, FP_FIX_TAG_EXEC_ID, &v), FP_FIX_ERR_NUMBER);
	/* every strict prefix: wait for more, decide nothing */
	for (size_t k = 0; k < n; k++)
		ck_assert_int_eq(fp_fix_parse(b, k, &m), FP_FIX_NEED_MORE);
}
END_TEST

/* Copy ER with byte @p at replaced by @p c (checksum left as is unless @p fix_sum). */
static size_t er_with(uint8_t *b, size_t at, char c)
{
	size_t n = soh(b, ER);
	b[at] = (uint8_t)c;
	return n;
}

START_TEST(test_fix_framing_errors_have_their_own_codes)
{
	uint8_t b[8192];
	struct fp_fix_msg m;
	size_t n;
	n = soh(b, ER);
	b[4] = '2'; /* FIX.4.2 */
	ck_assert_int_eq(fp_fix_parse(b, n, &m), FP_FIX_ERR_BEGIN);
	ck_assert_int_eq(fp_fix_parse((const uint8_t *)"8=FIX.4.", 8, &m), FP_FIX_NEED_MORE);
	ck_assert_int_eq(fp_fix_parse((const uint8_t *)"8=FIXT", 6, &m), FP_FIX_ERR_BEGIN);
	n = soh(b, "8=FIX.4.4|9=99999|35=0|10=000|");
	ck_assert_int_eq(fp_fix_parse(b, n, &m), FP_FIX_ERR_BODY_LENGTH); /* huge BodyLength */
	n = soh(b, "8=FIX.4.4|9=4097|");
	ck_assert_int_eq(fp_fix_parse(b, n, &m), FP_FIX_ERR_BODY_LENGTH);
	n = soh(b, "8=FIX.4.4|9=1x|");
	ck_assert_int_eq(fp_fix_parse(b, n, &m), FP_FIX_ERR_BODY_LENGTH);
	n = soh(b, "8=FIX.4.4|8=FIX|");
	ck_assert_int_eq(fp_fix_parse(b, n, &m), FP_FIX_ERR_BODY_LENGTH);
	n = er_with(b, soh(b, ER) - 2, '8'); /* 10=098 */
	ck_assert_int_eq(fp_fix_parse(b, n, &m), FP_FIX_ERR_CHECKSUM);
	n = er_with(b, 46, '6'); /* SendingTime 19:23 -> 69:23, same length: sum changes */
	ck_assert_int_eq(fp_fix_parse(b, n, &m), FP_FIX_ERR_CHECKSUM);
	/* BodyLength one short: the trailer is not where it says */
	n = soh(b, ER);
	b[14] = '2'; /* 9=142 */
	ck_assert_int_eq(fp_fix_parse(b, n, &m), FP_FIX_ERR_CHECKSUM);
	/* garbled tag, empty value, MsgType not first: valid CheckSums each */
	struct {
		const char *body;
		enum fp_fix_rc rc;
	} bad[] = {
		{"35=0|3x4=1|", FP_FIX_ERR_TAG},  {"35=0|=1|", FP_FIX_ERR_TAG},
		{"35=0|034=1|", FP_FIX_ERR_TAG},  {"35=0|1234567890=1|", FP_FIX_ERR_TAG},
		{"35=0|34=|", FP_FIX_ERR_VALUE},  {"34=1|35=0|", FP_FIX_ERR_MSG_TYPE},
		{"35=ABC|", FP_FIX_ERR_MSG_TYPE}, {"35=0|34=12a|", FP_FIX_ERR_NUMBER},
		{"35=0|34", FP_FIX_ERR_CHECKSUM}, /* body not ending with SOH */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char txt[256];
		uint8_t body[256];
		size_t bl = soh(body, bad[i].body);
		unsigned sum = 0;
		int k = snprintf(txt, sizeof(txt), "8=FIX.4.4|9=%zu|", bl);
		n = soh(b, txt);
		memcpy(b + n, body, bl);
		n += bl;
		for (size_t j = 0; j < n; j++)
			sum += b[j];
		k = snprintf(txt, sizeof(txt), "10=%03u|", sum & 0xff);
		n += soh(b + n, txt);
		(void)k;
		ck_assert_msg(fp_fix_parse(b, n, &m) == bad[i].rc, "%s: %s", bad[i].body,
			      fp_fix_rc_str(fp_fix_parse(b, n, &m)));
	}
	/* more than FP_FIX_MAX_FIELDS fields */
	char big[4096] = "35=0|";
	for (int i = 0; i < FP_FIX_MAX_FIELDS; i++)
		strcat(big, "58=x|");
	{
		char txt[64];
		uint8_t body[4096];
		size_t bl = soh(body, big);
		unsigned sum = 0;
		snprintf(txt, sizeof(txt), "8=FIX.4.4|9=%zu|", bl);
		n = soh(b, txt);
		memcpy(b + n, body, bl);
		n += bl;
		for (size_t j = 0; j < n; j++)
			sum += b[j];
		snprintf(txt, sizeof(txt), "10=%03u|", sum & 0xff);
		n += soh(b + n, txt);
		ck_assert_int_eq(fp_fix_parse(b, n, &m), FP_FIX_ERR_TOO_MANY);
	}
}
END_TEST

START_TEST(test_fix_prices_are_exact)
{
	static const struct {
		const char *s;
		int64_t px;
	} ok[] = {
		{"150.25", 1502500},
		{"150.2500", 1502500},
		{"150.250000", 1502500},
		{"7", 70000},
		{"0.0001", 1},
		{"-0.0001", -1},
		{".5", 5000},
		{"5.", 50000},
		{"922337203685.4775", 9223372036854775},
		{"0", 0},
		{"-12.3456", -123456},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t px = 42;
		ck_assert_msg(fp_fix_price_from_text(ok[i].s, strlen(ok[i].s), &px) == FP_FIX_OK,
			      "%s", ok[i].s);
		ck_assert_int_eq(px, ok[i].px);
	}
	static const char *const inexact[] = {"150.25001", "0.00001", "1.123456789"};
	for (size_t i = 0; i < 3; i++) {
		int64_t px;
		ck_assert_int_eq(fp_fix_price_from_text(inexact[i], strlen(inexact[i]), &px),
				 FP_FIX_ERR_PRICE_INEXACT);
	}
	static const char *const bad[] = {"",      "-",  ".",  "1e3",
					  "1.2.3", " 1", "+1", "1234567890123456"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t px;
		ck_assert_msg(fp_fix_price_from_text(bad[i], strlen(bad[i]), &px) ==
				      FP_FIX_ERR_NUMBER,
			      "'%s'", bad[i]);
	}
	static const struct {
		int64_t px;
		const char *s;
	} out[] = {{1502500, "150.25"},
		   {70000, "7"},
		   {1, "0.0001"},
		   {-1, "-0.0001"},
		   {-123456, "-12.3456"},
		   {0, "0"},
		   {INT64_MAX, "922337203685477.5807"},
		   {INT64_MIN, "-922337203685477.5808"}};
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		char t[24];
		size_t n = fp_fix_price_to_text(t, out[i].px);
		t[n] = '\0';
		ck_assert_str_eq(t, out[i].s);
	}
	/* round trip over a range */
	for (int64_t px = -200000; px <= 200000; px += 7) {
		char t[24];
		int64_t back;
		size_t n = fp_fix_price_to_text(t, px);
		ck_assert_int_eq(fp_fix_price_from_text(t, n, &back), FP_FIX_OK);
		ck_assert_int_eq(back, px);
	}
}
END_TEST

START_TEST(test_fix_utc_timestamps)
{
	static const struct {
		uint64_t ns;
		const char *s;
	} c[] = {
		{0, "19700101-00:00:00.000"},
		{951868800000000000ull, "20000301-00:00:00.000"},
		{1709251199999000000ull, "20240229-23:59:59.999"},
		{T_NS, "20261202-20:03:36.123"},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		uint8_t b[64];
		struct fp_fix_writer w = {.buf = b, .p = b, .end = b + sizeof(b)};
		fp_fix_put_utc(&w, 52, c[i].ns);
		ck_assert_int_eq(w.p - b, 3 + FP_FIX_UTC_LEN + 1);
		ck_assert_int_eq(memcmp(b + 3, c[i].s, FP_FIX_UTC_LEN), 0);
	}
}
END_TEST

/* Seeded mutations of valid messages and random bytes through the fuzz properties. */
START_TEST(test_fix_fuzz_properties_hold)
{
	uint8_t seed[2][512];
	size_t sn[2] = {soh(seed[0], NOS), soh(seed[1], ER)};
	uint64_t x = 0x9E3779B97F4A7C15ull;
	uint8_t b[600];
	for (int it = 0; it < 6000; it++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		size_t n = sn[it & 1];
		memcpy(b, seed[it & 1], n);
		int k = (int)(x % 4);
		for (int j = 0; j <= k; j++) /* flip, or write a SOH, '=' or digit */
			b[(x >> (8 + 9 * j)) % n] = (uint8_t) "\x01=9A"[(x >> (40 + 2 * j)) & 3];
		size_t cut = (x >> 60) == 0 ? (size_t)((x >> 20) % n) : n;
		ck_assert_int_eq(fp_fix_fuzz_one(b, cut), 0);
	}
	for (int it = 0; it < 1000; it++) {
		for (size_t j = 0; j < sizeof(b); j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			b[j] = (uint8_t)x;
		}
		memcpy(b, FP_FIX_BEGIN "9=", 12);
		ck_assert_int_eq(fp_fix_fuzz_one(b, (size_t)(x % sizeof(b))), 0);
	}
	ck_assert_int_eq(fp_fix_fuzz_one(seed[0], sn[0]), 0);
	ck_assert_int_eq(fp_fix_fuzz_one(seed[1], sn[1]), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_fix");
	TCase *tc = tcase_create("codec");
	tcase_add_test(tc, test_fix_new_order_single_is_byte_exact);
	tcase_add_test(tc, test_fix_execution_report_parses_in_place);
	tcase_add_test(tc, test_fix_framing_errors_have_their_own_codes);
	tcase_add_test(tc, test_fix_prices_are_exact);
	tcase_add_test(tc, test_fix_utc_timestamps);
	tcase_add_test(tc, test_fix_fuzz_properties_hold);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
