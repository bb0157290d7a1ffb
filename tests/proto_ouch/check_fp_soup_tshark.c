/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_soup_tshark.c - tshark's soupbintcp dissector as an independent oracle of the
 * SoupBinTCP framing our builders write. Covers:
 *   - a whole session written by fp_soup builders (and fp_ouch for the payloads) into a pcap
 *     of Ethernet/IPv4/TCP frames, one packet per segment, both directions: login request,
 *     login accepted and rejected, unsequenced and sequenced data, heartbeats both ways,
 *     debug, logout, end of session;
 *   - tshark (`-d tcp.port==15000,soupbintcp`) reports, per packet, the type, the length,
 *     the username, the session and the sequence numbers we wrote;
 *   - the real OUCH captures' SoupBinTCP framing, as fp_soup reads it, agrees with tshark.
 * Skips with a message when tshark is absent.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fp_net.h"
#include "fp_ouch.h"
#include "fp_pcap.h"
#include "fp_soup.h"

#define PORT 15000

static int have_tshark(void)
{
	if (system("command -v tshark >/dev/null 2>&1") == 0)
		return 1;
	fprintf(stderr, "skip: tshark is not installed\n");
	return 0;
}

struct cap {
	FILE *f;
	uint32_t seq[2]; /* next TCP sequence number per direction */
	uint64_t ts_ns;
};

/* One Ethernet/IPv4/TCP frame carrying @p n bytes, client->server when @p dir is 0. */
static void cap_frame(struct cap *c, int dir, const uint8_t *p, size_t n)
{
	uint8_t fr[2048] = {0};
	memcpy(fr, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	fp_put_be16(fr + 12, FP_ETHER_TYPE_IPV4);
	uint8_t *ip = fr + 14, *tcp = ip + 20;
	ip[0] = 0x45;
	fp_put_be16(ip + 2, (uint16_t)(20 + 20 + n));
	ip[8] = 64;
	ip[9] = FP_IP_PROTO_TCP;
	fp_put_be32(ip + 12, dir ? 0x7f000002 : 0x7f000001);
	fp_put_be32(ip + 16, dir ? 0x7f000001 : 0x7f000002);
	fp_put_be16(tcp, dir ? PORT : 40000);
	fp_put_be16(tcp + 2, dir ? 40000 : PORT);
	fp_put_be32(tcp + 4, c->seq[dir]);
	fp_put_be32(tcp + 8, c->seq[!dir]);
	tcp[12] = 5 << 4;
	tcp[13] = FP_TCP_PSH | FP_TCP_ACK;
	fp_put_be16(tcp + 14, 65535);
	memcpy(tcp + 20, p, n);
	c->seq[dir] += (uint32_t)n;
	size_t len = 14 + 20 + 20 + n;
	uint8_t rh[FP_PCAP_REC_HDR_LEN];
	c->ts_ns += 1000;
	fp_pcap_write_rec_hdr(rh, c->ts_ns, (uint32_t)len, (uint32_t)len, 1);
	ck_assert_uint_eq(fwrite(rh, 1, sizeof(rh), c->f), sizeof(rh));
	ck_assert_uint_eq(fwrite(fr, 1, len, c->f), len);
}

/* Run @p cmd; its output into @p out. */
static int run(const char *cmd, char *out, size_t cap)
{
	FILE *p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	return pclose(p);
}

/* @p s without spaces and quotes (tshark quotes FT_CHAR fields and keeps alpha padding). */
static void squeeze(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++)
		if (*p != ' ' && *p != '\'')
			*o++ = *p;
	*o = '\0';
}

START_TEST(test_soup_builders_agree_with_tshark)
{
	if (!have_tshark())
		return;
	char path[] = "/tmp/fp_soup_tshark_XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	struct cap c = {
		.f = fdopen(fd, "wb"), .seq = {1000, 5000}, .ts_ns = 1700000000000000000ull};
	uint8_t fh[FP_PCAP_FILE_HDR_LEN];
	fp_pcap_write_file_hdr(fh, FP_LINKTYPE_ETHERNET, 65535, 1);
	fwrite(fh, 1, sizeof(fh), c.f);

	uint8_t b[512];
	size_t n;
	n = fp_soup_build_login_request(b, sizeof(b), "FPUSER", "secret", "SESS01", 42);
	cap_frame(&c, 0, b, n);
	n = fp_soup_build_login_accepted(b, sizeof(b), "SESS01", 42);
	cap_frame(&c, 1, b, n);
	struct fp_ouch_msg m = {.type = 'O',
				.dir = FP_OUCH_INBOUND,
				.has_appendage = 1,
				.user_ref_num = 1,
				.side = 'B',
				.quantity = 100,
				.price = 1000000};
	memcpy(m.symbol, "AAPL    ", 8);
	memcpy(m.cl_ord_id, "X1            ", 14);
	int k = fp_ouch_encode(&m, b + 3, sizeof(b) - 3);
	fp_soup_put_hdr(b, FP_SOUP_UNSEQUENCED, (size_t)k);
	cap_frame(&c, 0, b, (size_t)k + 3);
	struct fp_ouch_msg a = {.type = 'A',
				.dir = FP_OUCH_OUTBOUND,
				.has_appendage = 1,
				.user_ref_num = 1,
				.side = 'B',
				.quantity = 100};
	k = fp_ouch_encode(&a, b + 3, sizeof(b) - 3);
	fp_soup_put_hdr(b, FP_SOUP_SEQUENCED, (size_t)k);
	cap_frame(&c, 1, b, (size_t)k + 3);
	n = fp_soup_build_empty(b, sizeof(b), FP_SOUP_SERVER_HEARTBEAT);
	cap_frame(&c, 1, b, n);
	n = fp_soup_build_empty(b, sizeof(b), FP_SOUP_CLIENT_HEARTBEAT);
	cap_frame(&c, 0, b, n);
	n = fp_soup_build_data(b, sizeof(b), FP_SOUP_DEBUG, "hello", 5);
	cap_frame(&c, 0, b, n);
	n = fp_soup_build_empty(b, sizeof(b), FP_SOUP_LOGOUT_REQUEST);
	cap_frame(&c, 0, b, n);
	n = fp_soup_build_empty(b, sizeof(b), FP_SOUP_END_OF_SESSION);
	cap_frame(&c, 1, b, n);
	n = fp_soup_build_login_rejected(b, sizeof(b), FP_SOUP_REJECT_NOT_AUTHORIZED);
	cap_frame(&c, 1, b, n);
	fclose(c.f);

	char cmd[1024], out[8192], verbose[65536];
	snprintf(cmd, sizeof(cmd),
		 "tshark -r %s -d tcp.port==%d,soupbintcp -T fields -E separator=, "
		 "-e soupbintcp.packet_type -e soupbintcp.packet_length -e soupbintcp.username "
		 "-e soupbintcp.session -e soupbintcp.reject_code 2>/dev/null",
		 path, PORT);
	ck_assert_int_eq(run(cmd, out, sizeof(out)), 0);
	/* The sequence-number fields print as "X" with -T fields in this tshark: read them
	 * from the packet details instead. */
	snprintf(cmd, sizeof(cmd), "tshark -r %s -d tcp.port==%d,soupbintcp -V 2>/dev/null", path,
		 PORT);
	ck_assert_int_eq(run(cmd, verbose, sizeof(verbose)), 0);
	if (getenv("FP_KEEP_PCAP") == NULL)
		unlink(path);
	ck_assert_ptr_nonnull(strstr(verbose, "Requested sequence number: 42\n"));
	ck_assert_ptr_nonnull(strstr(verbose, "Next sequence number: 42\n"));
	ck_assert_ptr_nonnull(strstr(verbose, "Password: secret"));
	/* type,length,username,session,reject code */
	static const char *const want[] = {
		"L,47,FPUSER,SESS01,",
		"A,31,,SESS01,",
		"U,48,,,",
		"S,65,,,",
		"H,1,,,",
		"R,1,,,",
		"+,6,,,",
		"O,1,,,",
		"Z,1,,,",
		"J,2,,,A",
	};
	char *save = NULL;
	for (size_t i = 0; i < FP_ARRAY_SIZE(want); i++) {
		char *l = strtok_r(i ? NULL : out, "\n", &save);
		ck_assert_msg(l != NULL, "tshark gave %zu packets, want %zu", i,
			      FP_ARRAY_SIZE(want));
		squeeze(l);
		ck_assert_msg(strcmp(l, want[i]) == 0, "packet %zu: tshark '%s', want '%s'", i, l,
			      want[i]);
	}
	ck_assert_ptr_null(strtok_r(NULL, "\n", &save));
}
END_TEST

/* The real captures: our framing of each equals tshark's. */
START_TEST(test_soup_real_captures_agree_with_tshark)
{
	static const char *const files[] = {
		"EnterOrderMessage.pcap",     "OrderAcceptedMessage.pcap",
		"CancelOrderMessage.pcap",    "CanceledMessage.pcap",
		"ClientHeartbeatPacket.pcap", "ServerHeartbeatPacket.pcap"};
	if (!have_tshark())
		return;
	for (size_t i = 0; i < FP_ARRAY_SIZE(files); i++) {
		char path[512], cmd[1024], out[512];
		snprintf(path, sizeof(path), "%s/pcap/ouch50/%s", FP_SHARED_DATA, files[i]);
		FILE *f = fopen(path, "rb");
		if (f == NULL) {
			fprintf(stderr, "skip: %s absent\n", path);
			return;
		}
		uint8_t buf[4096];
		size_t len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		struct fp_pcap p;
		struct fp_pcap_rec rec;
		struct fp_net_pkt net;
		struct fp_soup_pkt sp;
		ck_assert_int_eq(fp_pcap_open(&p, buf, len), 0);
		ck_assert_int_eq(fp_pcap_next(&p, &rec), FP_PCAP_OK);
		ck_assert_int_eq(fp_net_parse_link(p.linktype, rec.data, rec.caplen, &net),
				 FP_NET_OK);
		enum fp_soup_rc rc =
			fp_soup_parse(net.payload, net.payload_len, FP_SOUP_FROM_CLIENT, 1024, &sp);
		if (rc != FP_SOUP_OK)
			rc = fp_soup_parse(net.payload, net.payload_len, FP_SOUP_FROM_SERVER, 1024,
					   &sp);
		ck_assert_int_eq(rc, FP_SOUP_OK);
		snprintf(cmd, sizeof(cmd),
			 "tshark -r %s -d tcp.port==%u,soupbintcp -d tcp.port==%u,soupbintcp -T "
			 "fields "
			 "-E separator=, -e soupbintcp.packet_type -e soupbintcp.packet_length "
			 "2>/dev/null",
			 path, net.src_port, net.dst_port);
		ck_assert_int_eq(run(cmd, out, sizeof(out)), 0);
		squeeze(out);
		char want[64];
		snprintf(want, sizeof(want), "%c,%u\n", sp.type, sp.wire_len - 2);
		ck_assert_msg(strcmp(out, want) == 0, "%s: tshark '%s', ours '%s'", files[i], out,
			      want);
	}
}
END_TEST

static Suite *fp_soup_tshark_suite(void)
{
	Suite *s = suite_create("fp_soup_tshark");
	TCase *tc = tcase_create("oracle");
	tcase_add_test(tc, test_soup_builders_agree_with_tshark);
	tcase_add_test(tc, test_soup_real_captures_agree_with_tshark);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fp_soup_tshark_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
