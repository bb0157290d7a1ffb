/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_mold_tshark.c - MoldUDP64 framing of every ITCH capture in
 * ../shared/data/pcap/itch50 as read by fp_pcap + fp_net + fp_mold agrees with tshark's
 * `moldudp64` dissector (an independent decoder): session, sequence number, message count
 * and every message length, packet by packet.
 *
 * tshark is run as `tshark -r F -d udp.port==26477,moldudp64 -T fields -e moldudp64.session
 * -e moldudp64.sequence -e moldudp64.count -e moldudp64.msglen`. The 20230822_* captures have
 * their UDP ports zeroed, and Wireshark never looks port 0 up in its decode-as table, so no
 * `-d udp.port==N` applies to them: the test writes a copy of each with the destination port
 * set to 26477 (the UDP checksum is absent, 0, so nothing else changes) into the build folder
 * and runs tshark on the copy. Skips with a message when tshark or the data are absent.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itch_test_util.h"

#define MOLD_PORT 26477

static int have_tshark(void)
{
	if (system("command -v tshark >/dev/null 2>&1") == 0)
		return 1;
	fprintf(stderr, "skip: tshark is not installed (deploy/packages.d/20-md.txt)\n");
	return 0;
}

/* Our view of one packet, formatted like tshark's fields line. */
static void our_line(const struct fp_mold_pkt *mp, char *line, size_t cap)
{
	char session[FP_MOLD_SESSION_LEN + 1];
	memcpy(session, mp->session, FP_MOLD_SESSION_LEN);
	session[FP_MOLD_SESSION_LEN] = 0; /* a zeroed session prints as "" in tshark too */
	int n = snprintf(line, cap, "%s\t%" PRIu64 "\t%u\t", session, mp->sequence_number,
			 mp->message_count);
	struct fp_mold_iter it;
	const uint8_t *msg;
	uint16_t len;
	uint64_t seq;
	fp_mold_iter_init(&it, mp);
	for (int k = 0; fp_mold_iter_next(&it, &msg, &len, &seq) == FP_MOLD_OK; k++)
		n += snprintf(line + n, cap - (size_t)n, "%s%u", k ? "," : "", len);
}

START_TEST(test_mold_framing_agrees_with_tshark)
{
	if (!td_have_data() || !have_tshark())
		return;
	static const char *const files[] = {
		"20230822_AddOrderNoMPID.pcap",
		"20230822_AddOrderWithMPID.pcap",
		"20230822_CrossTrade.pcap",
		"20230822_LULDAuctionCollar.pcap",
		"20230822_MarketParticipantPosition.pcap",
		"20230822_NetOrderImbalanceIndicator.pcap",
		"20230822_NonCrossTrade.pcap",
		"20230822_OrderCancel.pcap",
		"20230822_OrderDelete.pcap",
		"20230822_OrderExecuted.pcap",
		"20230822_OrderExecutedWithPrice.pcap",
		"20230822_OrderReplace.pcap",
		"20230822_RegSHORestriction.pcap",
		"20230822_StockTradingAction.pcap",
		"20230822_SystemEvent.pcap",
		"AddOrderNoMpidAttributionMessage.pcap",
		"MarketParticipantPositionMessage.pcap",
		"NetOrderImbalanceIndicatorMessage.pcap",
		"OrderDeleteMessage.pcap",
		"OrderExecutedMessage.pcap",
		"OrderReplaceMessage.pcap",
		"StockTradingActionMessage.pcap",
	};
	unsigned packets = 0;
	for (size_t f = 0; f < FP_ARRAY_SIZE(files); f++) {
		char rel[256], copy[1024], cmd[2048];
		snprintf(rel, sizeof(rel), "pcap/itch50/%s", files[f]);
		size_t len;
		uint8_t *buf = td_load(rel, &len);
		struct fp_pcap p;
		struct fp_pcap_rec rec;
		ck_assert_int_eq(fp_pcap_open(&p, buf, len), 0);
		char ours[64][256];
		unsigned n = 0;
		while (fp_pcap_next(&p, &rec) == FP_PCAP_OK) {
			struct fp_net_pkt pkt;
			ck_assert_int_eq(fp_net_parse_link(p.linktype, rec.data, rec.caplen, &pkt),
					 FP_NET_OK);
			if (pkt.dst_port != MOLD_PORT) /* zeroed port: patch the copy (see top) */
				fp_put_be16((uint8_t *)rec.data + pkt.l4_offset + 2, MOLD_PORT);
			struct fp_mold_pkt mp;
			ck_assert_int_eq(fp_mold_parse(pkt.payload, pkt.payload_len, &mp),
					 FP_MOLD_OK);
			ck_assert_int_eq(fp_mold_validate(pkt.payload, pkt.payload_len),
					 FP_MOLD_OK);
			ck_assert_uint_lt(n, 64);
			our_line(&mp, ours[n++], sizeof(ours[0]));
		}
		snprintf(copy, sizeof(copy), "%s/tests/tshark_%s", FP_BINARY_DIR, files[f]);
		FILE *out = fopen(copy, "wb");
		ck_assert_msg(out != NULL, "cannot write %s", copy);
		ck_assert_uint_eq(fwrite(buf, 1, len, out), len);
		fclose(out);
		free(buf);

		snprintf(cmd, sizeof(cmd),
			 "tshark -r '%s' -d udp.port==%d,moldudp64 -T fields -E separator=/t "
			 "-e moldudp64.session -e moldudp64.sequence -e moldudp64.count "
			 "-e moldudp64.msglen 2>/dev/null",
			 copy, MOLD_PORT);
		FILE *ts = popen(cmd, "r");
		ck_assert_ptr_nonnull(ts);
		char line[256];
		unsigned k = 0;
		while (fgets(line, sizeof(line), ts)) {
			line[strcspn(line, "\n")] = 0;
			ck_assert_msg(k < n, "%s: tshark sees more packets than we do", files[f]);
			ck_assert_msg(strcmp(line, ours[k]) == 0,
				      "%s packet %u: tshark '%s', ours '%s'", files[f], k, line,
				      ours[k]);
			k++;
		}
		ck_assert_int_eq(pclose(ts), 0);
		ck_assert_msg(k == n, "%s: tshark saw %u packets, we saw %u", files[f], k, n);
		packets += n;
		remove(copy);
	}
	ck_assert_uint_eq(packets, 14 * 5 + 1 + 7);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_mold_tshark");
	TCase *tc = tcase_create("tshark");
	tcase_add_test(tc, test_mold_framing_agrees_with_tshark);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
