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
 * set to 26477 (the UDP checksum is absent, 0, so nothing else changes). All captures go into
 * one combined capture in the build folder, with three packets the captures lack (several
 * messages in one packet, a heartbeat, an end of session), and tshark runs once on it.
 * Also: a pcapng that tshark writes from two of the captures reads (fp_pcap) as the same
 * packets as the original. Skips with a message when tshark or the data are absent.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_itch.h"
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
	/* One combined capture (every file is ns pcap, Ethernet): one tshark run. */
	static uint8_t cap[1 << 16];
	static char ours[128][256];
	size_t cap_len = 0;
	unsigned n = 0;
	uint32_t linktype = 0;
	int nanosecond = -1;
	for (size_t f = 0; f < FP_ARRAY_SIZE(files); f++) {
		char rel[256];
		snprintf(rel, sizeof(rel), "pcap/itch50/%s", files[f]);
		size_t len;
		uint8_t *buf = td_load(rel, &len);
		struct fp_pcap p;
		struct fp_pcap_rec rec;
		ck_assert_int_eq(fp_pcap_open(&p, buf, len), 0);
		ck_assert(!p.swapped);
		if (nanosecond < 0) {
			memcpy(cap, buf, FP_PCAP_FILE_HDR_LEN);
			cap_len = FP_PCAP_FILE_HDR_LEN;
			linktype = p.linktype;
			nanosecond = p.nanosecond;
		}
		ck_assert_msg(p.linktype == linktype && p.nanosecond == nanosecond,
			      "%s: other link type or time unit", files[f]);
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
			ck_assert_uint_lt(n, 120);
			our_line(&mp, ours[n++], sizeof(ours[0]));
			size_t rec_len = FP_PCAP_REC_HDR_LEN + rec.caplen;
			ck_assert_uint_le(cap_len + rec_len, sizeof(cap));
			memcpy(cap + cap_len, rec.data - FP_PCAP_REC_HDR_LEN, rec_len);
			cap_len += rec_len;
		}
		free(buf);
	}
	ck_assert_uint_eq(n, 14 * 5 + 1 + 7);
	ck_assert_uint_eq(linktype, FP_LINKTYPE_ETHERNET);

	/* Packets the captures lack: several messages in one packet, heartbeat, end of session. */
	for (int kind = 0; kind < 3; kind++) {
		uint8_t frame[512] = {0}, *ip = frame + 14, *udp = ip + 20, *mold = udp + 8;
		fp_put_be16(frame + 12, FP_ETHER_TYPE_IPV4);
		ip[0] = 0x45;
		ip[8] = 64;
		ip[9] = FP_IP_PROTO_UDP;
		fp_put_be16(udp + 2, MOLD_PORT);
		uint32_t mlen = FP_MOLD_HDR_LEN;
		if (kind == 0) {
			struct fp_mold_builder b;
			uint8_t msg[FP_ITCH_MAX_LEN] = {0};
			ck_assert_int_eq(fp_mold_build_init(&b, mold, 400, "TESTSESS01", 1000), 0);
			for (unsigned i = 0; i < FP_ITCH_NB_TYPES; i += 5) {
				const struct fp_itch_desc *d = fp_itch_desc_at(i);
				msg[0] = (uint8_t)d->type;
				ck_assert_int_eq(fp_mold_build_append(&b, msg, d->length), 0);
			}
			mlen = fp_mold_build_finish(&b);
		} else if (kind == 1) {
			fp_mold_build_heartbeat(mold, "TESTSESS01", 1005);
		} else {
			fp_mold_build_end_of_session(mold, "TESTSESS01", 1005);
		}
		fp_put_be16(udp + 4, (uint16_t)(8 + mlen));
		fp_put_be16(ip + 2, (uint16_t)(20 + 8 + mlen));
		uint32_t flen = 14 + 20 + 8 + mlen;
		struct fp_mold_pkt mp;
		ck_assert_int_ne(fp_mold_parse(mold, mlen, &mp), FP_MOLD_SHORT);
		our_line(&mp, ours[n++], sizeof(ours[0]));
		fp_pcap_write_rec_hdr(cap + cap_len, 0, flen, flen, nanosecond);
		memcpy(cap + cap_len + FP_PCAP_REC_HDR_LEN, frame, flen);
		cap_len += FP_PCAP_REC_HDR_LEN + flen;
	}

	char copy[1024], cmd[2048];
	snprintf(copy, sizeof(copy), "%s/tests/tshark_itch50_%d.pcap", FP_BINARY_DIR,
		 (int)getpid());
	FILE *out = fopen(copy, "wb");
	ck_assert_msg(out != NULL, "cannot write %s", copy);
	ck_assert_uint_eq(fwrite(cap, 1, cap_len, out), cap_len);
	fclose(out);
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
		ck_assert_msg(k < n, "tshark sees more packets than we do");
		ck_assert_msg(strcmp(line, ours[k]) == 0, "packet %u: tshark '%s', ours '%s'", k,
			      line, ours[k]);
		k++;
	}
	ck_assert_int_eq(pclose(ts), 0);
	ck_assert_msg(k == n, "tshark saw %u packets, we saw %u", k, n);
	remove(copy);
}
END_TEST

/* A pcapng that tshark writes from a real capture (what Wireshark and dumpcap write by
 * default) reads as the same packets as the classic original: count, bytes, lengths, link
 * type and nanosecond timestamps. */
START_TEST(test_pcapng_written_by_tshark_reads_like_the_original)
{
	if (!td_have_data() || !have_tshark())
		return;
	static const char *const files[] = {"20230822_OrderExecuted.pcap",
					    "OrderReplaceMessage.pcap"};
	for (size_t f = 0; f < FP_ARRAY_SIZE(files); f++) {
		char rel[256], ng_path[1024], cmd[4096];
		snprintf(rel, sizeof(rel), "pcap/itch50/%s", files[f]);
		snprintf(ng_path, sizeof(ng_path), "%s/tests/tshark_%d_%zu.pcapng", FP_BINARY_DIR,
			 (int)getpid(), f);
		snprintf(cmd, sizeof(cmd), "tshark -r '%s' -F pcapng -w '%s' 2>/dev/null",
			 td_path(rel), ng_path);
		ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
		size_t len, ng_len;
		uint8_t *buf = td_load(rel, &len);
		FILE *in = fopen(ng_path, "rb");
		ck_assert_ptr_nonnull(in);
		static uint8_t ng[1 << 20];
		ng_len = fread(ng, 1, sizeof(ng), in);
		fclose(in);
		remove(ng_path);
		ck_assert_int_eq(fp_pcap_probe(ng, ng_len), 2);
		struct fp_pcap a, b;
		struct fp_pcap_rec ra, rb;
		ck_assert_int_eq(fp_pcap_open(&a, buf, len), 0);
		ck_assert_int_eq(fp_pcap_open(&b, ng, ng_len), 0);
		ck_assert_uint_eq(b.ng, 1);
		ck_assert_uint_eq(b.linktype, a.linktype);
		unsigned n = 0;
		enum fp_pcap_result r;
		while ((r = fp_pcap_next(&a, &ra)) == FP_PCAP_OK) {
			ck_assert_int_eq(fp_pcap_next(&b, &rb), FP_PCAP_OK);
			ck_assert_uint_eq(rb.index, ra.index);
			ck_assert_uint_eq(rb.caplen, ra.caplen);
			ck_assert_uint_eq(rb.origlen, ra.origlen);
			ck_assert_uint_eq(rb.linktype, ra.linktype);
			ck_assert_msg(rb.ts_ns == ra.ts_ns, "%s record %u: ts %lu, original %lu",
				      files[f], n, (unsigned long)rb.ts_ns,
				      (unsigned long)ra.ts_ns);
			ck_assert_mem_eq(rb.data, ra.data, ra.caplen);
			n++;
		}
		ck_assert_int_eq(r, FP_PCAP_END);
		ck_assert_int_eq(fp_pcap_next(&b, &rb), FP_PCAP_END);
		ck_assert_uint_gt(n, 0);
		/* and once more after a rewind */
		fp_pcap_rewind(&b);
		ck_assert_int_eq(fp_pcap_next(&b, &rb), FP_PCAP_OK);
		ck_assert_uint_eq(rb.index, 0);
		free(buf);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_mold_tshark");
	TCase *tc = tcase_create("tshark");
	tcase_add_test(tc, test_mold_framing_agrees_with_tshark);
	tcase_add_test(tc, test_pcapng_written_by_tshark_reads_like_the_original);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
