/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_pcap.c - libFuzzer target for the capture file reader (proto/fp_pcap: classic pcap,
 * both byte orders, micro- and nanosecond; pcapng) and the link-layer parser behind it
 * (proto/fp_net), i.e. everything `fastpath-md dump` and the pcap rx backend read from a file.
 *
 * Properties for any classic pcap input: every record lies inside the input, right after its
 * 16-byte header, and records tile the file from byte 24; the reader stops for good at END,
 * TRUNCATED or CORRUPT (a second call says the same and does not move); END only at the exact
 * end of the input, TRUNCATED only when the next record does not fit; rewinding reads the same
 * records again; a parsed frame's payload lies inside its record. Seeds: ../shared/data/pcap
 * (copied at build time).
 */
#include "fp_net.h"
#include "fp_pcap.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* pcapng (blocks, not a tiling of records): every record lies inside the input, the reader
 * is sticky at its last result, and rewinding reads the same records again. */
static int fuzz_pcapng(struct fp_pcap *p, const uint8_t *data, size_t size)
{
	struct fp_pcap_rec rec;
	enum fp_pcap_result r;
	uint64_t nb = 0, sum = 0;
	while ((r = fp_pcap_next(p, &rec)) == FP_PCAP_OK) {
		CHECK(rec.data >= data && rec.caplen <= size &&
		      rec.data + rec.caplen <= data + size);
		nb++;
		sum += rec.caplen;
		struct fp_net_pkt pkt;
		if (fp_net_parse_link(rec.linktype, rec.data, rec.caplen, &pkt) == FP_NET_OK)
			CHECK(pkt.payload >= rec.data &&
			      pkt.payload + pkt.payload_len + pkt.trailer_len <=
				      rec.data + rec.caplen);
	}
	CHECK(fp_pcap_next(p, &rec) == r);
	fp_pcap_rewind(p);
	uint64_t again = 0, sum2 = 0;
	while (fp_pcap_next(p, &rec) == FP_PCAP_OK) {
		again++;
		sum2 += rec.caplen;
	}
	CHECK(again == nb && sum2 == sum);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fp_pcap p;
	struct fp_pcap_rec rec;
	int kind = fp_pcap_probe(data, size);
	CHECK(kind >= 0 && kind <= 2);
	if (fp_pcap_open(&p, data, size) < 0)
		return 0;
	if (kind == 2)
		return fuzz_pcapng(&p, data, size);
	CHECK(kind == 1 && size >= FP_PCAP_FILE_HDR_LEN);
	size_t expect = FP_PCAP_FILE_HDR_LEN;
	uint64_t nb = 0, sum_caplen = 0;
	enum fp_pcap_result r;
	while ((r = fp_pcap_next(&p, &rec)) == FP_PCAP_OK) {
		CHECK(rec.index == nb);
		CHECK(rec.data == data + expect + FP_PCAP_REC_HDR_LEN);
		CHECK(rec.caplen <= FP_MAX(p.snaplen, FP_PCAP_MAX_RECORD));
		CHECK(rec.data + rec.caplen <= data + size);
		expect += FP_PCAP_REC_HDR_LEN + rec.caplen;
		sum_caplen += rec.caplen;
		nb++;
		struct fp_net_pkt pkt;
		if (fp_net_parse_link(p.linktype, rec.data, rec.caplen, &pkt) == FP_NET_OK)
			CHECK(pkt.payload >= rec.data &&
			      pkt.payload + pkt.payload_len + pkt.trailer_len <=
				      rec.data + rec.caplen);
	}
	CHECK(p.pos == expect && p.nb_rec == nb);
	if (r == FP_PCAP_END)
		CHECK(expect == size);
	if (r == FP_PCAP_TRUNCATED)
		CHECK(expect < size);
	/* Sticky: the reader stays at the damage. */
	CHECK(fp_pcap_next(&p, &rec) == r && p.pos == expect);
	/* Rewind: the same records again. */
	fp_pcap_rewind(&p);
	uint64_t again = 0, sum2 = 0;
	while (fp_pcap_next(&p, &rec) == FP_PCAP_OK) {
		again++;
		sum2 += rec.caplen;
	}
	CHECK(again == nb && sum2 == sum_caplen);
	return 0;
}
