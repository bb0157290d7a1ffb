/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_md_rx.c - the receive interface without DPDK: config negatives, the pcap backend
 * on real captures (VLAN frames, nanosecond timestamps, payload bounded by IP total length,
 * group:port filtering, loops, pacing by capture time x speed), and the UDP backend over
 * loopback multicast.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fp_endian.h"
#include "fp_net.h"
#include "fp_pcap.h"
#include "md_test_util.h"
#include "fp_test_ports.h"

START_TEST(test_rx_rejects_bad_config)
{
	struct fp_md_rx *rx = NULL;
	struct fp_md_rx_cfg cfg = {.kind = FP_MD_RX_NONE};
	ck_assert_int_eq(fp_md_rx_open(&rx, &cfg), -EINVAL);
	cfg.kind = FP_MD_RX_PCAP;
	ck_assert_int_eq(fp_md_rx_open(&rx, &cfg), -EINVAL); /* no file */
	cfg.pcap_path = "/nonexistent/x.pcap";
	ck_assert_int_eq(fp_md_rx_open(&rx, &cfg), -ENOENT);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "/nonexistent/x.pcap"));
	cfg.pcap_path = "/etc/hostname"; /* not a capture */
	ck_assert_int_lt(fp_md_rx_open(&rx, &cfg), 0);
	cfg.kind = FP_MD_RX_UDP; /* no group */
	ck_assert_int_eq(fp_md_rx_open(&rx, &cfg), -EINVAL);
	cfg.kind = FP_MD_RX_PCAP;
	cfg.burst = FP_MD_RX_BURST_MAX + 1;
	ck_assert_int_eq(fp_md_rx_open(&rx, &cfg), -EINVAL);
	enum fp_md_rx_kind k;
	ck_assert_int_eq(fp_md_rx_kind_parse("dpdk", &k), 0);
	ck_assert_int_eq(k, FP_MD_RX_DPDK);
	ck_assert_int_eq(fp_md_rx_kind_parse("rdma", &k), -EINVAL);
	struct fp_md_group g;
	ck_assert_int_eq(fp_md_group_parse("233.54.12.111:26477", &g), 0);
	ck_assert_uint_eq(g.addr, 0xE9360C6F);
	ck_assert_uint_eq(g.port, 26477);
	ck_assert_int_eq(fp_md_group_parse("233.54.12.111", &g), -EINVAL);
	ck_assert_int_eq(fp_md_group_parse("233.54.12:1", &g), -EINVAL);
	ck_assert_int_eq(fp_md_group_parse("1.2.3.4:70000", &g), -EINVAL);
}
END_TEST

START_TEST(test_rx_pcap_reads_vlan_frame_bounded_by_ip_length)
{
	if (!shared_data_present())
		return;
	struct fp_md_rx *rx;
	struct fp_md_rx_cfg cfg = {.kind = FP_MD_RX_PCAP,
				   .pcap_path =
					   ITCH_PCAP_DIR "/AddOrderNoMpidAttributionMessage.pcap"};
	ck_assert_int_eq(fp_md_rx_open(&rx, &cfg), 0);
	struct fp_md_pkt p[4];
	ck_assert_uint_eq(fp_md_rx_burst(rx, p, 4), 1);
	ck_assert_uint_eq(p[0].dst_addr, 0xE9360C6F); /* 233.54.12.111 */
	ck_assert_uint_eq(p[0].dst_port, 26477);
	ck_assert_mem_eq(p[0].data, "000010059B", 10);
	/* Mold header 20 + u16 length + 36-byte 'A' message. */
	ck_assert_uint_eq(p[0].len, 20 + 2 + 36);
	ck_assert_uint_eq(p[0].data[22], 'A');
	ck_assert_uint_ne(p[0].cap_ns, 0);
	ck_assert_uint_eq(fp_md_rx_burst(rx, p, 4), 0);
	ck_assert(fp_md_rx_eof(rx));
	fp_md_rx_close(rx);
}
END_TEST

START_TEST(test_rx_pcap_filters_by_group_and_port)
{
	if (!shared_data_present())
		return;
	struct fp_md_rx *rx;
	struct fp_md_rx_cfg cfg = {.kind = FP_MD_RX_PCAP,
				   .pcap_path = ITCH_PCAP_DIR "/OrderReplaceMessage.pcap",
				   .nb_groups = 1};
	fp_md_group_parse("233.54.12.111:26478", &cfg.groups[0]);
	ck_assert_int_eq(fp_md_rx_open(&rx, &cfg), 0);
	struct rx_digest d = rx_drain(rx, 0, 100);
	ck_assert_uint_eq(d.packets, 0);
	ck_assert_uint_eq(fp_md_rx_stats(rx)->filtered, 1);
	fp_md_rx_close(rx);
	fp_md_group_parse("233.54.12.111:26477", &cfg.groups[0]);
	cfg.nb_loops = 3;
	ck_assert_int_eq(fp_md_rx_open(&rx, &cfg), 0);
	d = rx_drain(rx, 0, 100);
	ck_assert_uint_eq(d.packets, 3);
	fp_md_rx_close(rx);
}
END_TEST

START_TEST(test_rx_pcap_paces_by_capture_time)
{
	/* 5 UDP frames 10 ms apart in capture time; at speed 2 the replay takes ~20 ms.
	 * _i = 0: nanosecond pcap, 1: classic microsecond pcap. */
	int ns = _i == 0;
	static uint8_t cap[24 + 5 * (16 + 64)];
	fp_pcap_write_file_hdr(cap, FP_LINKTYPE_ETHERNET, 65535, ns);
	size_t pos = 24;
	for (unsigned i = 0; i < 5; i++) {
		uint8_t *f = cap + pos + 16;
		fp_pcap_write_rec_hdr(cap + pos, 1700000000000000000ull + i * 10000000ull, 64, 64,
				      ns);
		memset(f, 0, 64);
		f[12] = 0x08; /* IPv4 */
		f[14] = 0x45;
		fp_put_be16(f + 16, 50); /* total length: 20 + 8 + 22 */
		f[23] = 17;
		fp_put_be32(f + 30, 0xEF000001);
		fp_put_be16(f + 34, 1000);
		fp_put_be16(f + 36, 2000);
		fp_put_be16(f + 38, 30);
		pos += 16 + 64;
	}
	struct fp_md_rx *rx;
	struct fp_md_rx_cfg cfg = {
		.kind = FP_MD_RX_PCAP, .pcap_buf = cap, .pcap_len = pos, .speed = 2.0};
	ck_assert_int_eq(fp_md_rx_open(&rx, &cfg), 0);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct rx_digest d = rx_drain(rx, 5, 1000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	ck_assert_uint_eq(d.packets, 5);
	ck_assert_uint_eq(d.bytes, 5 * 22);
	ck_assert_msg(ms >= 19.0 && ms < 1000.0, "%s paced replay took %.1f ms", ns ? "ns" : "us",
		      ms);
	fp_md_rx_close(rx);
}
END_TEST

START_TEST(test_rx_udp_receives_loopback_multicast)
{
	struct fp_md_rx *rx;
	struct fp_md_rx_cfg cfg = {.kind = FP_MD_RX_UDP, .nb_groups = 1, .if_addr = 0x7F000001};
	uint16_t port = fp_test_ports_claim();
	ck_assert_msg(port, "no free block of test ports");
	cfg.groups[0] = (struct fp_md_group){.addr = 0xEF0A0A0A, .port = port}; /* 239.10.10.10 */
	int rc = fp_md_rx_open(&rx, &cfg);
	ck_assert_msg(rc == 0, "open: %s", fp_err_msg());
	int tx = socket(AF_INET, SOCK_DGRAM, 0);
	struct in_addr lo = {.s_addr = htonl(INADDR_LOOPBACK)};
	int one = 1;
	setsockopt(tx, IPPROTO_IP, IP_MULTICAST_IF, &lo, sizeof(lo));
	setsockopt(tx, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof(one));
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(0xEF0A0A0A)};
	struct rx_digest want = {0};
	for (int i = 0; i < 10; i++) {
		uint8_t msg[100];
		memset(msg, 'a' + i, sizeof(msg));
		ck_assert_int_eq(
			sendto(tx, msg, 10u + (unsigned)i, 0, (struct sockaddr *)&to, sizeof(to)),
			10 + i);
		digest_add(&want, msg, 10u + (unsigned)i);
	}
	struct rx_digest d = rx_drain(rx, 10, 500);
	ck_assert_uint_eq(d.packets, 10);
	ck_assert_uint_eq(d.hash, want.hash);
	close(tx);
	fp_md_rx_close(rx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_md_rx");
	TCase *tc = tcase_create("rx");
	tcase_add_test(tc, test_rx_rejects_bad_config);
	tcase_add_test(tc, test_rx_pcap_reads_vlan_frame_bounded_by_ip_length);
	tcase_add_test(tc, test_rx_pcap_filters_by_group_and_port);
	tcase_add_loop_test(tc, test_rx_pcap_paces_by_capture_time, 0, 2);
	tcase_add_test(tc, test_rx_udp_receives_loopback_multicast);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
