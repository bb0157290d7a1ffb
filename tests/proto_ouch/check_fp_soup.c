/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_soup.c - SoupBinTCP 3.0 framing. Covers:
 *   - negative: length 0, oversized length, unknown and misdirected types, fixed-size
 *     packets with a wrong length, a non-numeric sequence number, sticky parser errors;
 *   - builders and parsers of every packet type, both ways, byte for byte;
 *   - numeric/alpha ASCII fields (right-justified / left-justified, space padded);
 *   - the incremental parser fed one byte at a time and in random chunks (partial reads).
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fp_soup.h"

START_TEST(test_soup_rejects_zero_length)
{
	const uint8_t b[] = {0, 0, 'R'};
	struct fp_soup_pkt p;
	ck_assert_int_eq(fp_soup_parse(b, sizeof(b), FP_SOUP_FROM_CLIENT, 100, &p),
			 FP_SOUP_ERR_EMPTY);
}
END_TEST

START_TEST(test_soup_rejects_oversized_length_before_payload_arrives)
{
	const uint8_t b[] = {0xff, 0xff};
	struct fp_soup_pkt p;
	ck_assert_int_eq(fp_soup_parse(b, sizeof(b), FP_SOUP_FROM_CLIENT, 1024, &p),
			 FP_SOUP_ERR_OVERSIZE);
}
END_TEST

START_TEST(test_soup_rejects_unknown_and_misdirected_types)
{
	struct fp_soup_pkt p;
	const uint8_t junk[] = {0, 5, 'G', 'E', 'T', ' ', '/'};
	ck_assert_int_eq(fp_soup_parse(junk, 3, FP_SOUP_FROM_CLIENT, 100, &p), FP_SOUP_ERR_TYPE);
	const uint8_t hb[] = {0, 1, 'H'}; /* server heartbeat sent by a client */
	ck_assert_int_eq(fp_soup_parse(hb, 3, FP_SOUP_FROM_CLIENT, 100, &p), FP_SOUP_ERR_TYPE);
	ck_assert_int_eq(fp_soup_parse(hb, 3, FP_SOUP_FROM_SERVER, 100, &p), FP_SOUP_OK);
	const uint8_t u[] = {0, 2, 'U', 'Q'}; /* unsequenced data sent by a server */
	ck_assert_int_eq(fp_soup_parse(u, 4, FP_SOUP_FROM_SERVER, 100, &p), FP_SOUP_ERR_TYPE);
}
END_TEST

START_TEST(test_soup_rejects_fixed_packet_with_wrong_length)
{
	struct fp_soup_pkt p;
	const uint8_t hb[] = {0, 2, 'R', 0};
	ck_assert_int_eq(fp_soup_parse(hb, 4, FP_SOUP_FROM_CLIENT, 100, &p), FP_SOUP_ERR_LENGTH);
	const uint8_t login[] = {0, 46, 'L'};
	ck_assert_int_eq(fp_soup_parse(login, 3, FP_SOUP_FROM_CLIENT, 100, &p), FP_SOUP_ERR_LENGTH);
	const uint8_t rej[] = {0, 1, 'J'};
	ck_assert_int_eq(fp_soup_parse(rej, 3, FP_SOUP_FROM_SERVER, 100, &p), FP_SOUP_ERR_LENGTH);
}
END_TEST

START_TEST(test_soup_rejects_non_numeric_sequence)
{
	uint8_t b[64];
	size_t n = fp_soup_build_login_request(b, sizeof(b), "user", "pw", "", 12);
	ck_assert_uint_eq(n, 49);
	b[3 + 6 + 10 + 10 + 5] = 'x';
	struct fp_soup_pkt p;
	struct fp_soup_login l;
	ck_assert_int_eq(fp_soup_parse(b, n, FP_SOUP_FROM_CLIENT, 100, &p), FP_SOUP_OK);
	ck_assert_int_eq(fp_soup_parse_login_request(&p, &l), FP_SOUP_ERR_FIELD);
}
END_TEST

START_TEST(test_soup_rx_error_is_sticky)
{
	struct fp_soup_rx *rx = malloc(sizeof(*rx));
	ck_assert_int_eq(fp_soup_rx_init(rx, FP_SOUP_FROM_CLIENT, 64), 0);
	size_t room;
	uint8_t *w = fp_soup_rx_space(rx, &room);
	const uint8_t b[] = {0x10, 0x00, 'U', 0, 1, 'R'};
	memcpy(w, b, sizeof(b));
	fp_soup_rx_commit(rx, sizeof(b));
	struct fp_soup_pkt p;
	ck_assert_int_eq(fp_soup_rx_next(rx, &p), FP_SOUP_ERR_OVERSIZE);
	ck_assert_int_eq(fp_soup_rx_next(rx, &p), FP_SOUP_ERR_OVERSIZE);
	fp_soup_rx_space(rx, &room);
	ck_assert_uint_eq(room, 0);
	ck_assert_int_eq(fp_soup_rx_init(rx, 7, 64), -EINVAL);
	ck_assert_int_eq(fp_soup_rx_init(rx, FP_SOUP_FROM_CLIENT, FP_SOUP_MAX_PAYLOAD + 1),
			 -EINVAL);
	free(rx);
}
END_TEST

START_TEST(test_soup_login_request_round_trip)
{
	uint8_t b[64];
	size_t n = fp_soup_build_login_request(b, sizeof(b), "FPUSER", "secret", "SESS01", 42);
	ck_assert_uint_eq(n, 49);
	ck_assert_int_eq(memcmp(b, "\x00\x2fLFPUSERsecret    SESS01    ", 3 + 6 + 10 + 10), 0);
	ck_assert_int_eq(memcmp(b + 29, "                  42", 20), 0);
	struct fp_soup_pkt p;
	ck_assert_int_eq(fp_soup_parse(b, n, FP_SOUP_FROM_CLIENT, 100, &p), FP_SOUP_OK);
	struct fp_soup_login l;
	ck_assert_int_eq(fp_soup_parse_login_request(&p, &l), 0);
	ck_assert_str_eq(l.username, "FPUSER");
	ck_assert_str_eq(l.password, "secret");
	ck_assert_str_eq(l.session, "SESS01");
	ck_assert_uint_eq(l.sequence_number, 42);
	/* blank session and sequence 0 */
	n = fp_soup_build_login_request(b, sizeof(b), "u", "p", NULL, 0);
	ck_assert_int_eq(fp_soup_parse(b, n, FP_SOUP_FROM_CLIENT, 100, &p), FP_SOUP_OK);
	ck_assert_int_eq(fp_soup_parse_login_request(&p, &l), 0);
	ck_assert_str_eq(l.session, "");
	ck_assert_uint_eq(l.sequence_number, 0);
	ck_assert_uint_eq(fp_soup_build_login_request(b, 48, "u", "p", NULL, 0), 0);
}
END_TEST

START_TEST(test_soup_login_accepted_and_rejected)
{
	uint8_t b[64];
	size_t n = fp_soup_build_login_accepted(b, sizeof(b), "SESS01", 1234567);
	ck_assert_uint_eq(n, 33);
	ck_assert_int_eq(memcmp(b,
				"\x00\x1f"
				"ASESS01                 1234567",
				33),
			 0);
	struct fp_soup_pkt p;
	struct fp_soup_login l;
	ck_assert_int_eq(fp_soup_parse(b, n, FP_SOUP_FROM_SERVER, 100, &p), FP_SOUP_OK);
	ck_assert_int_eq(fp_soup_parse_login_accepted(&p, &l), 0);
	ck_assert_str_eq(l.session, "SESS01");
	ck_assert_uint_eq(l.sequence_number, 1234567);

	n = fp_soup_build_login_rejected(b, sizeof(b), FP_SOUP_REJECT_NOT_AUTHORIZED);
	ck_assert_int_eq(memcmp(b, "\x00\x02JA", 4), 0);
	ck_assert_int_eq(fp_soup_parse(b, n, FP_SOUP_FROM_SERVER, 100, &p), FP_SOUP_OK);
	ck_assert_int_eq(p.type, 'J');
	ck_assert_int_eq(p.payload[0], 'A');
}
END_TEST

static const struct {
	const char *desc;
	uint8_t type;
	enum fp_soup_side side;
} empty_types[] = {
	{"server heartbeat", 'H', FP_SOUP_FROM_SERVER},
	{"end of session", 'Z', FP_SOUP_FROM_SERVER},
	{"client heartbeat", 'R', FP_SOUP_FROM_CLIENT},
	{"logout request", 'O', FP_SOUP_FROM_CLIENT},
};

START_TEST(test_soup_empty_packets_round_trip)
{
	uint8_t b[8];
	size_t n = fp_soup_build_empty(b, sizeof(b), empty_types[_i].type);
	ck_assert_msg(n == 3 && b[0] == 0 && b[1] == 1 && b[2] == empty_types[_i].type, "%s",
		      empty_types[_i].desc);
	struct fp_soup_pkt p;
	ck_assert_int_eq(fp_soup_parse(b, n, empty_types[_i].side, 100, &p), FP_SOUP_OK);
	ck_assert_uint_eq(p.payload_len, 0);
	ck_assert_uint_eq(p.wire_len, 3);
}
END_TEST

START_TEST(test_soup_data_packets_round_trip)
{
	uint8_t b[64];
	struct fp_soup_pkt p;
	size_t n = fp_soup_build_data(b, sizeof(b), 'S', "hello", 5);
	ck_assert_int_eq(memcmp(b, "\x00\x06Shello", 8), 0);
	ck_assert_int_eq(fp_soup_parse(b, n, FP_SOUP_FROM_SERVER, 100, &p), FP_SOUP_OK);
	ck_assert_int_eq(memcmp(p.payload, "hello", 5), 0);
	n = fp_soup_build_data(b, sizeof(b), 'U', "Q\0\0", 3);
	ck_assert_int_eq(fp_soup_parse(b, n, FP_SOUP_FROM_CLIENT, 100, &p), FP_SOUP_OK);
	ck_assert_uint_eq(p.payload_len, 3);
	n = fp_soup_build_data(b, sizeof(b), '+', "dbg", 3);
	ck_assert_int_eq(fp_soup_parse(b, n, FP_SOUP_FROM_CLIENT, 100, &p), FP_SOUP_OK);
	ck_assert_int_eq(fp_soup_parse(b, n, FP_SOUP_FROM_SERVER, 100, &p), FP_SOUP_OK);
	ck_assert_uint_eq(fp_soup_build_data(b, 7, 'S', "hello", 5), 0);
	/* A truncated packet asks for more. */
	n = fp_soup_build_data(b, sizeof(b), 'S', "hello", 5);
	ck_assert_int_eq(fp_soup_parse(b, n - 1, FP_SOUP_FROM_SERVER, 100, &p), FP_SOUP_NEED_MORE);
	ck_assert_int_eq(fp_soup_parse(b, 1, FP_SOUP_FROM_SERVER, 100, &p), FP_SOUP_NEED_MORE);
}
END_TEST

START_TEST(test_soup_numeric_fields)
{
	char f[20];
	uint64_t v;
	ck_assert_int_eq(fp_soup_put_numeric(f, 0, 20), 0);
	ck_assert_int_eq(memcmp(f, "                   0", 20), 0);
	ck_assert_int_eq(fp_soup_put_numeric(f, UINT64_MAX, 20), 0);
	ck_assert_int_eq(memcmp(f, "18446744073709551615", 20), 0);
	ck_assert_int_eq(fp_soup_get_numeric(f, 20, &v), FP_SOUP_ERR_FIELD); /* guarded */
	ck_assert_int_eq(fp_soup_put_numeric(f, 123, 2), -1);
	memset(f, ' ', 20);
	ck_assert_int_eq(fp_soup_get_numeric(f, 20, &v), 0);
	ck_assert_uint_eq(v, 0);
	memcpy(f, "  12 3", 6);
	ck_assert_int_eq(fp_soup_get_numeric(f, 6, &v), FP_SOUP_ERR_FIELD);
}
END_TEST

/* A stream of mixed packets split into chunks of every size from 1 to 17 bytes. */
START_TEST(test_soup_rx_reassembles_partial_reads)
{
	uint8_t stream[512];
	size_t len = 0;
	len += fp_soup_build_login_request(stream + len, 64, "u", "p", "", 7);
	for (int i = 0; i < 20; i++) {
		uint8_t msg[40];
		memset(msg, 'a' + i, sizeof(msg));
		len += fp_soup_build_data(stream + len, 64, 'U', msg, (size_t)i + 1);
		len += fp_soup_build_empty(stream + len, 8, 'R');
	}
	len += fp_soup_build_empty(stream + len, 8, 'O');
	struct fp_soup_rx *rx = malloc(sizeof(*rx));
	for (size_t chunk = 1; chunk <= 17; chunk++) {
		ck_assert_int_eq(fp_soup_rx_init(rx, FP_SOUP_FROM_CLIENT, 256), 0);
		size_t off = 0;
		int nb = 0, nb_u = 0;
		uint8_t last = 0;
		while (off < len) {
			size_t room;
			uint8_t *w = fp_soup_rx_space(rx, &room);
			size_t n = FP_MIN(FP_MIN(chunk, room), len - off);
			memcpy(w, stream + off, n);
			fp_soup_rx_commit(rx, n);
			off += n;
			struct fp_soup_pkt p;
			enum fp_soup_rc rc;
			while ((rc = fp_soup_rx_next(rx, &p)) == FP_SOUP_OK) {
				if (p.type == 'U') {
					ck_assert_uint_eq(p.payload_len, (unsigned)nb_u + 1);
					ck_assert_int_eq(p.payload[0], 'a' + nb_u);
					nb_u++;
				}
				nb++;
				last = p.type;
			}
			ck_assert_int_eq(rc, FP_SOUP_NEED_MORE);
		}
		ck_assert_msg(nb == 42 && nb_u == 20 && last == 'O', "chunk %zu: %d packets", chunk,
			      nb);
		ck_assert_uint_eq(fp_soup_rx_pending(rx), 0);
	}
	free(rx);
}
END_TEST

/* Many maximum-size packets through a small buffer: compaction keeps whole packets. */
START_TEST(test_soup_rx_compacts_for_large_packets)
{
	struct fp_soup_rx *rx = malloc(sizeof(*rx));
	ck_assert_int_eq(fp_soup_rx_init(rx, FP_SOUP_FROM_SERVER, FP_SOUP_MAX_PAYLOAD), 0);
	static uint8_t pkt[FP_SOUP_MAX_PAYLOAD + 3];
	uint8_t payload[FP_SOUP_MAX_PAYLOAD];
	memset(payload, 'x', sizeof(payload));
	size_t plen = fp_soup_build_data(pkt, sizeof(pkt), 'S', payload, sizeof(payload));
	int got = 0;
	size_t off = 0;
	for (int sent = 0; sent < 10;) {
		size_t room;
		uint8_t *w = fp_soup_rx_space(rx, &room);
		ck_assert_uint_gt(room, 0);
		size_t n = FP_MIN(room, FP_MIN((size_t)1500, plen - off));
		memcpy(w, pkt + off, n);
		fp_soup_rx_commit(rx, n);
		off += n;
		if (off == plen) {
			off = 0;
			sent++;
		}
		struct fp_soup_pkt p;
		while (fp_soup_rx_next(rx, &p) == FP_SOUP_OK) {
			ck_assert_uint_eq(p.payload_len, FP_SOUP_MAX_PAYLOAD);
			got++;
		}
	}
	ck_assert_int_eq(got, 10);
	free(rx);
}
END_TEST

static Suite *fp_soup_suite(void)
{
	Suite *s = suite_create("fp_soup");
	TCase *tc = tcase_create("negative");
	tcase_add_test(tc, test_soup_rejects_zero_length);
	tcase_add_test(tc, test_soup_rejects_oversized_length_before_payload_arrives);
	tcase_add_test(tc, test_soup_rejects_unknown_and_misdirected_types);
	tcase_add_test(tc, test_soup_rejects_fixed_packet_with_wrong_length);
	tcase_add_test(tc, test_soup_rejects_non_numeric_sequence);
	tcase_add_test(tc, test_soup_rx_error_is_sticky);
	suite_add_tcase(s, tc);
	tc = tcase_create("packets");
	tcase_add_test(tc, test_soup_login_request_round_trip);
	tcase_add_test(tc, test_soup_login_accepted_and_rejected);
	tcase_add_loop_test(tc, test_soup_empty_packets_round_trip, 0,
			    (int)FP_ARRAY_SIZE(empty_types));
	tcase_add_test(tc, test_soup_data_packets_round_trip);
	tcase_add_test(tc, test_soup_numeric_fields);
	suite_add_tcase(s, tc);
	tc = tcase_create("stream");
	tcase_add_test(tc, test_soup_rx_reassembles_partial_reads);
	tcase_add_test(tc, test_soup_rx_compacts_for_large_packets);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fp_soup_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
