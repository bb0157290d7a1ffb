/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_md_gen.c - the synthetic feed generator: deterministic for a seed; every packet
 * a valid MoldUDP64 datagram whose messages decode; sequence numbers contiguous; and its
 * pcap image read by an independent decoder, tshark's moldudp64 dissector, gives the same
 * session, sequence and count per packet with good IPv4 checksums (skipped without tshark).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fp_itch.h"
#include "fp_md_gen.h"
#include "fp_mold.h"

static struct fp_md_gen_cfg cfg(uint64_t seed)
{
	struct fp_md_gen_cfg g = {.nb_msgs = 3000,
				  .max_per_pkt = 16,
				  .nb_symbols = 50,
				  .seed = seed,
				  .first_seq = 100,
				  .dst_addr = 0xE9360C6F,
				  .dst_port = 26477,
				  .ts0_ns = 1692711000000000000ull,
				  .pkt_interval_ns = 1000};
	memcpy(g.session, "TESTSESS01", 10);
	return g;
}

START_TEST(test_gen_is_deterministic_and_well_formed)
{
	struct fp_md_gen_cfg g = cfg(5);
	struct fp_md_feed a, b;
	ck_assert_int_eq(fp_md_gen_feed(&a, &g), 0);
	ck_assert_int_eq(fp_md_gen_feed(&b, &g), 0);
	ck_assert_uint_eq(a.buf_len, b.buf_len);
	ck_assert_int_eq(memcmp(a.buf, b.buf, a.buf_len), 0);
	ck_assert_uint_eq(a.nb_msgs, 3000);
	uint64_t next = 100, types = 0;
	for (uint64_t i = 0; i < a.nb_pkts; i++) {
		ck_assert_int_eq(fp_mold_validate(a.buf + a.off[i], a.len[i]), FP_MOLD_OK);
		ck_assert_uint_le(a.len[i], 1400);
		ck_assert_uint_eq(a.first_seq[i], next);
		next += a.count[i];
		struct fp_mold_pkt p;
		ck_assert_int_eq(fp_mold_parse(a.buf + a.off[i], a.len[i], &p), FP_MOLD_OK);
		struct fp_mold_iter it;
		const uint8_t *msg;
		uint16_t len;
		uint64_t seq;
		fp_mold_iter_init(&it, &p);
		while (fp_mold_iter_next(&it, &msg, &len, &seq) == FP_MOLD_OK) {
			struct fp_itch_msg m;
			ck_assert_int_eq(fp_itch_decode(msg, len, &m), FP_ITCH_OK);
			types |= 1ull << ((msg[0] - 'A') & 63);
		}
	}
	ck_assert_uint_eq(next, 100 + 3000);
	ck_assert_int_ge(__builtin_popcountll(types), 20); /* nearly every type shows up */
	fp_md_gen_free(&a);
	fp_md_gen_free(&b);
}
END_TEST

START_TEST(test_gen_pcap_agrees_with_tshark)
{
	if (system("command -v tshark >/dev/null 2>&1") != 0) {
		fprintf(stderr, "SKIP: tshark is not installed\n");
		return;
	}
	struct fp_md_gen_cfg g = cfg(6);
	struct fp_md_feed f;
	ck_assert_int_eq(fp_md_gen_feed(&f, &g), 0);
	uint8_t *img;
	size_t len;
	ck_assert_int_eq(fp_md_gen_pcap(&f, true, NULL, NULL, &img, &len), 0);
	char path[] = "/tmp/fp_md_gen_XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(fp_md_gen_write_file(path, img, len), 0);
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "tshark -r %s -o ip.check_checksum:TRUE -d udp.port==26477,moldudp64 -T fields "
		 "-e moldudp64.session -e moldudp64.sequence -e moldudp64.count "
		 "-e ip.checksum.status -E separator=, 2>/dev/null",
		 path);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	char line[256];
	uint64_t i = 0;
	while (fgets(line, sizeof(line), p)) {
		char sess[16];
		unsigned long long seq;
		unsigned count, ck;
		ck_assert_msg(sscanf(line, "%10[^,],%llu,%u,%u", sess, &seq, &count, &ck) == 4,
			      "tshark line %llu: %s", (unsigned long long)i, line);
		ck_assert_uint_lt(i, f.nb_pkts);
		ck_assert_str_eq(sess, "TESTSESS01");
		ck_assert_uint_eq(seq, f.first_seq[i]);
		ck_assert_uint_eq(count, f.count[i]);
		ck_assert_uint_eq(ck, 1); /* good IPv4 header checksum */
		i++;
	}
	pclose(p);
	unlink(path);
	ck_assert_uint_eq(i, f.nb_pkts);
	free(img);
	fp_md_gen_free(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_md_gen");
	TCase *tc = tcase_create("gen");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_gen_is_deterministic_and_well_formed);
	tcase_add_test(tc, test_gen_pcap_agrees_with_tshark);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
