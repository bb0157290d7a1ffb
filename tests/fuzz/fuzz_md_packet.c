/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_md_packet.c - libFuzzer target for the market-data receive path: bytes -> MoldUDP64
 * -> ITCH 5.0 decode -> fp_md_normalize, as the md stage runs it.
 *
 * Each input is read three ways, so that one corpus (seeded with the real captures and ITCH
 * files of ../shared/data) reaches every decoder:
 *   1. as one MoldUDP64 packet (the UDP payload the md stage sees);
 *   2. as a classic pcap file: records -> Ethernet/VLAN/IPv4/UDP -> MoldUDP64 -> ITCH;
 *   3. as a raw ITCH file (u16 length-prefixed messages, zero prefixes sized by type).
 * Besides the sanitizers' checks, it asserts properties that must hold for any input:
 * decode and normalize agree on every message; encode(decode(x)) == x; a well-formed
 * MoldUDP64 packet rebuilt with the builder is byte-identical; every payload stays inside the
 * input. Build: make fuzz (clang, -fsanitize=fuzzer,address,undefined).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fp_itch.h"
#include "fp_md_normalize.h"
#include "fp_mold.h"
#include "fp_net.h"
#include "fp_pcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)              \
	do {                     \
		if (!(cond))     \
			abort(); \
	} while (0)

static void one_message(const uint8_t *msg, uint32_t len, uint64_t seq)
{
	struct fp_itch_msg m;
	struct fp_event ev;
	enum fp_itch_result r = fp_itch_decode(msg, len, &m);
	enum fp_itch_result rn = fp_md_normalize(msg, len, seq, 1, 0, &ev);
	CHECK(r == rn);
	if (r != FP_ITCH_OK)
		return;
	uint8_t out[FP_ITCH_MAX_LEN];
	CHECK(fp_itch_encode(&m, out, sizeof(out)) == len);
	CHECK(memcmp(out, msg, len) == 0);
	CHECK(ev.type == fp_md_event_type((uint8_t)m.type) && ev.type != FP_EV_NONE);
	CHECK(ev.symbol_id == m.stock_locate && ev.seq == seq);
}

static void mold_packet(const uint8_t *p, uint32_t len, const uint8_t *lo, const uint8_t *hi)
{
	struct fp_mold_pkt pkt;
	if (fp_mold_parse(p, len, &pkt) != FP_MOLD_OK)
		return;
	struct fp_mold_iter it;
	const uint8_t *msg;
	uint16_t n;
	uint64_t seq;
	static uint8_t rebuilt[65536 + 64];
	struct fp_mold_builder b;
	CHECK(fp_mold_build_init(&b, rebuilt, sizeof(rebuilt), pkt.session, pkt.sequence_number) ==
	      0);
	fp_mold_iter_init(&it, &pkt);
	while (fp_mold_iter_next(&it, &msg, &n, &seq) == FP_MOLD_OK) {
		CHECK(msg >= lo && msg + n <= hi);
		one_message(msg, n, seq);
		CHECK(fp_mold_build_append(&b, msg, n) == 0);
	}
	if (fp_mold_validate(p, len) == FP_MOLD_OK) {
		uint32_t out = fp_mold_build_finish(&b);
		CHECK(out == len && memcmp(rebuilt, p, len) == 0);
	}
}

static void pcap_file(const uint8_t *data, size_t size)
{
	struct fp_pcap p;
	struct fp_pcap_rec rec;
	if (fp_pcap_open(&p, data, size) < 0)
		return;
	while (fp_pcap_next(&p, &rec) == FP_PCAP_OK) {
		struct fp_net_pkt pkt;
		CHECK(rec.data >= data && rec.data + rec.caplen <= data + size);
		if (fp_net_parse_link(p.linktype, rec.data, rec.caplen, &pkt) != FP_NET_OK)
			continue;
		CHECK(pkt.payload >= rec.data &&
		      pkt.payload + pkt.payload_len + pkt.trailer_len <= rec.data + rec.caplen);
		if (pkt.ip_proto == FP_IP_PROTO_UDP)
			mold_packet(pkt.payload, pkt.payload_len, rec.data, rec.data + rec.caplen);
	}
}

static void itch_file(const uint8_t *data, size_t size)
{
	struct fp_itch_stream s;
	const uint8_t *msg;
	uint32_t len;
	fp_itch_stream_init(&s, data, size);
	(void)fp_itch_stream_probe(data, size);
	while (fp_itch_stream_next(&s, &msg, &len) == FP_ITCH_STREAM_OK) {
		CHECK(msg >= data && msg + len <= data + size);
		one_message(msg, len, 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > UINT32_MAX)
		return 0;
	mold_packet(data, (uint32_t)size, data, data + size);
	if (fp_pcap_probe(data, size) == 1)
		pcap_file(data, size);
	itch_file(data, size);
	return 0;
}
