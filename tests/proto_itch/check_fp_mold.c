/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_mold.c - the framing codecs under ITCH: fp_pcap (µs/ns, both byte orders,
 * truncation; pcapng blocks in both byte orders, errors), fp_net (VLAN, IPv4, UDP, TCP,
 * payload bounded by the IP total length with a capture trailer present, fragments and corrupt
 * lengths refused) and fp_mold (parse, iterate, heartbeat/end of session, truncated blocks,
 * builder round trip, request packets), on hand-made bytes and on the real captures of
 * ../shared/data/pcap.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fp_err.h"
#include "fp_mold.h"
#include "fp_net.h"
#include "fp_pcap.h"
#include "itch_test_util.h"

/* ---- fp_pcap ---- */

START_TEST(test_pcap_rejects_foreign_and_pcapng)
{
	struct fp_pcap p;
	const uint8_t text[] = "hello world, not a capture";
	const uint8_t ng[] = {0x0A, 0x0D, 0x0D, 0x0A, 0, 0, 0, 0};
	ck_assert_int_eq(fp_pcap_open(&p, text, sizeof(text)), -EINVAL);
	ck_assert_int_eq(fp_pcap_probe(ng, sizeof(ng)), 2);
	ck_assert_int_eq(fp_pcap_open(&p, ng, sizeof(ng)), -EINVAL);
	ck_assert_int_eq(fp_pcap_open(&p, text, 2), -EINVAL);
	uint8_t hdr[FP_PCAP_FILE_HDR_LEN];
	fp_pcap_write_file_hdr(hdr, 1, 65535, 0);
	ck_assert_int_eq(fp_pcap_open(&p, hdr, 10), -EINVAL); /* header cut short */
}
END_TEST

/* ---- pcapng, written here in either byte order ---- */

struct ngw {
	uint8_t *b;
	size_t n;
	int sw; /* write big-endian on this little-endian host */
};

static void ng16(struct ngw *w, uint16_t v)
{
	v = w->sw ? __builtin_bswap16(v) : v;
	memcpy(w->b + w->n, &v, 2);
	w->n += 2;
}

static void ng32(struct ngw *w, uint32_t v)
{
	v = w->sw ? __builtin_bswap32(v) : v;
	memcpy(w->b + w->n, &v, 4);
	w->n += 4;
}

static void ngbytes(struct ngw *w, const void *p, size_t len)
{
	memcpy(w->b + w->n, p, len);
	w->n += len;
	while (w->n % 4)
		w->b[w->n++] = 0;
}

/* Open a block of @p type: returns where its length goes; ng_end() fills both lengths. */
static size_t ng_begin(struct ngw *w, uint32_t type)
{
	size_t at = w->n;
	ng32(w, type);
	ng32(w, 0);
	return at;
}

static void ng_end(struct ngw *w, size_t at)
{
	uint32_t len = (uint32_t)(w->n - at + 4);
	size_t save = w->n;
	w->n = at + 4;
	ng32(w, len);
	w->n = save;
	ng32(w, len);
}

static void ng_shb(struct ngw *w)
{
	size_t at = ng_begin(w, FP_PCAPNG_MAGIC);
	ng32(w, FP_PCAPNG_BOM);
	ng16(w, 1);
	ng16(w, 0);
	ng32(w, 0xffffffff); /* section length: unknown */
	ng32(w, 0xffffffff);
	ng_end(w, at);
}

static void ng_idb(struct ngw *w, uint16_t linktype, uint32_t snaplen, int tsresol, int64_t offset)
{
	size_t at = ng_begin(w, FP_PCAPNG_BT_IDB);
	ng16(w, linktype);
	ng16(w, 0);
	ng32(w, snaplen);
	ng16(w, 2); /* if_name, skipped */
	ng16(w, 3);
	ngbytes(w, "lo0", 3);
	if (tsresol >= 0) {
		ng16(w, 9);
		ng16(w, 1);
		uint8_t r = (uint8_t)tsresol;
		ngbytes(w, &r, 1);
	}
	if (offset) {
		ng16(w, 14);
		ng16(w, 8);
		ng32(w, (uint32_t)((uint64_t)offset >> (w->sw ? 32 : 0)));
		ng32(w, (uint32_t)((uint64_t)offset >> (w->sw ? 0 : 32)));
	}
	ng16(w, 0);
	ng16(w, 0);
	ng_end(w, at);
}

static void ng_epb(struct ngw *w, uint32_t ifid, uint64_t ts, const void *data, uint32_t caplen,
		   uint32_t origlen)
{
	size_t at = ng_begin(w, FP_PCAPNG_BT_EPB);
	ng32(w, ifid);
	ng32(w, (uint32_t)(ts >> 32));
	ng32(w, (uint32_t)ts);
	ng32(w, caplen);
	ng32(w, origlen);
	ngbytes(w, data, caplen);
	ng16(w, 1); /* opt_comment, skipped */
	ng16(w, 2);
	ngbytes(w, "hi", 2);
	ng16(w, 0);
	ng16(w, 0);
	ng_end(w, at);
}

/* Two sections (the second in the other byte order), three interfaces of three time
 * units, every packet block kind, blocks that are not ours skipped; then the errors. */
START_TEST(test_pcapng_blocks_both_byte_orders)
{
	static uint8_t buf[4096];
	const uint8_t f1[5] = {1, 2, 3, 4, 5}, f2[9] = {9, 8, 7, 6, 5, 4, 3, 2, 1};
	for (int first = 0; first < 2; first++) {
		struct ngw w = {.b = buf, .sw = first};
		ng_shb(&w);
		size_t nrb = ng_begin(&w, 4); /* name resolution block: skipped */
		ng32(&w, 0);
		ng_end(&w, nrb);
		ng_idb(&w, FP_LINKTYPE_ETHERNET, 65535, -1, 0); /* µs by default */
		ng_idb(&w, 101, 4, 9, 0);                       /* raw IP, ns, snaplen 4 */
		ng_epb(&w, 0, 1700000000123456ull, f1, 5, 60);
		ng_epb(&w, 1, 1700000000123456789ull, f2, 4, 9);
		size_t spb = ng_begin(&w, FP_PCAPNG_BT_SPB);
		ng32(&w, 3);
		ngbytes(&w, f2, 3);
		ng_end(&w, spb);
		size_t isb = ng_begin(&w, 5); /* interface statistics: skipped */
		ng32(&w, 0);
		ng32(&w, 0);
		ng32(&w, 0);
		ng_end(&w, isb);
		/* a second section in the other byte order: interfaces start over */
		w.sw = !first;
		ng_shb(&w);
		ng_idb(&w, FP_LINKTYPE_ETHERNET, 0, 0x80 | 20, 100); /* 2^-20 s, +100 s */
		ng_epb(&w, 0, 3ull << 20 | 1ull << 19, f1, 5, 5);    /* 3.5 s */
		size_t opb = ng_begin(&w, FP_PCAPNG_BT_OPB);
		ng16(&w, 0);
		ng16(&w, 0);
		ng32(&w, 0);
		ng32(&w, 1u << 20); /* 1 s */
		ng32(&w, 2);
		ng32(&w, 2);
		ngbytes(&w, f2, 2);
		ng_end(&w, opb);

		struct fp_pcap p;
		struct fp_pcap_rec r;
		ck_assert_int_eq(fp_pcap_open(&p, buf, w.n), 0);
		ck_assert_uint_eq(p.linktype, FP_LINKTYPE_ETHERNET);
		ck_assert_uint_eq(p.snaplen, 65535);
		for (int pass = 0; pass < 2; pass++) {
			ck_assert_int_eq(fp_pcap_next(&p, &r), FP_PCAP_OK);
			ck_assert_uint_eq(r.ts_ns, 1700000000123456000ull);
			ck_assert_uint_eq(r.caplen, 5);
			ck_assert_uint_eq(r.origlen, 60);
			ck_assert_mem_eq(r.data, f1, 5);
			ck_assert_uint_eq(r.linktype, FP_LINKTYPE_ETHERNET);
			ck_assert_int_eq(fp_pcap_next(&p, &r), FP_PCAP_OK);
			ck_assert_uint_eq(r.ts_ns, 1700000000123456789ull);
			ck_assert_uint_eq(r.linktype, 101);
			ck_assert_uint_eq(r.interface, 1);
			ck_assert_uint_eq(r.caplen, 4);
			ck_assert_mem_eq(r.data, f2, 4);
			ck_assert_int_eq(fp_pcap_next(&p, &r), FP_PCAP_OK); /* SPB */
			ck_assert_uint_eq(r.ts_ns, 0);
			ck_assert_uint_eq(r.caplen, 3);
			ck_assert_mem_eq(r.data, f2, 3);
			ck_assert_int_eq(fp_pcap_next(&p, &r), FP_PCAP_OK);
			ck_assert_uint_eq(r.ts_ns, 103500000000ull);
			ck_assert_uint_eq(r.interface, 0);
			ck_assert_int_eq(fp_pcap_next(&p, &r), FP_PCAP_OK); /* OPB */
			ck_assert_uint_eq(r.ts_ns, 101000000000ull);
			ck_assert_mem_eq(r.data, f2, 2);
			ck_assert_uint_eq(r.index, 4);
			ck_assert_int_eq(fp_pcap_next(&p, &r), FP_PCAP_END);
			fp_pcap_rewind(&p);
		}
		/* cut anywhere inside the last block: truncated, and the reader stays put */
		ck_assert_int_eq(fp_pcap_open(&p, buf, w.n - 6), 0);
		for (int i = 0; i < 4; i++)
			ck_assert_int_eq(fp_pcap_next(&p, &r), FP_PCAP_OK);
		ck_assert_int_eq(fp_pcap_next(&p, &r), FP_PCAP_TRUNCATED);
		ck_assert_int_eq(fp_pcap_next(&p, &r), FP_PCAP_TRUNCATED);
	}
	/* errors: a packet of an interface never described; lengths that disagree */
	struct ngw w = {.b = buf};
	ng_shb(&w);
	ng_idb(&w, FP_LINKTYPE_ETHERNET, 65535, 6, 0);
	size_t good = w.n;
	ng_epb(&w, 3, 0, f1, 5, 5);
	struct fp_pcap p;
	struct fp_pcap_rec r;
	ck_assert_int_eq(fp_pcap_open(&p, buf, w.n), 0);
	ck_assert_int_eq(fp_pcap_next(&p, &r), FP_PCAP_CORRUPT);
	w.n = good;
	ng_epb(&w, 0, 0, f1, 5, 5);
	buf[w.n - 1] ^= 0x40; /* trailing length differs */
	ck_assert_int_eq(fp_pcap_open(&p, buf, w.n), 0);
	ck_assert_int_eq(fp_pcap_next(&p, &r), FP_PCAP_CORRUPT);
	buf[w.n - 1] ^= 0x40;
	buf[good + 20] = 0xff; /* caplen beyond the block */
	ck_assert_int_eq(fp_pcap_open(&p, buf, w.n), 0);
	ck_assert_int_eq(fp_pcap_next(&p, &r), FP_PCAP_CORRUPT);
	/* a section without an interface before its packet cannot be opened */
	w.n = 0;
	ng_shb(&w);
	ng_epb(&w, 0, 0, f1, 5, 5);
	ck_assert_int_eq(fp_pcap_open(&p, buf, w.n), -EINVAL);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "pcapng"));
	/* an if_tsoffset whose nanoseconds do not fit 64 bits (fuzz_pcap: a signed overflow
	 * timing the packet) is a corrupt interface block; the largest that fits is read */
	const int64_t offsets[] = {1396225181351936ll, INT64_MAX / 1000000000ll + 1,
				   INT64_MIN / 1000000000ll - 1, INT64_MAX / 1000000000ll};
	for (unsigned i = 0; i < 4; i++) {
		w.n = 0;
		ng_shb(&w);
		ng_idb(&w, FP_LINKTYPE_ETHERNET, 65535, 9, offsets[i]);
		ng_epb(&w, 0, 7, f1, 5, 5);
		int rc = fp_pcap_open(&p, buf, w.n);
		if (i < 3) {
			ck_assert_msg(rc < 0 || fp_pcap_next(&p, &r) == FP_PCAP_CORRUPT,
				      "offset %lld accepted", (long long)offsets[i]);
		} else {
			ck_assert_int_eq(rc, 0);
			ck_assert_int_eq(fp_pcap_next(&p, &r), FP_PCAP_OK);
			ck_assert_uint_eq(r.ts_ns, (uint64_t)offsets[i] * 1000000000ull + 7);
		}
	}
}
END_TEST

/* Build a capture with two records in the given byte order and timestamp unit. */
static size_t make_capture(uint8_t *buf, int swapped, int ns)
{
	size_t off = 0;
	fp_pcap_write_file_hdr(buf, FP_LINKTYPE_ETHERNET, 65535, ns);
	off += FP_PCAP_FILE_HDR_LEN;
	for (int i = 0; i < 2; i++) {
		fp_pcap_write_rec_hdr(buf + off, 1700000000ull * 1000000000ull + 123456789ull,
				      (uint32_t)(10 + i), 60, ns);
		off += FP_PCAP_REC_HDR_LEN;
		memset(buf + off, 0xA0 + i, 10 + (size_t)i);
		off += 10 + (size_t)i;
	}
	if (swapped) { /* rewrite every 32-bit header field in the other byte order */
		uint32_t *w = (uint32_t *)buf;
		w[0] = __builtin_bswap32(w[0]);
		uint16_t *v = (uint16_t *)(buf + 4);
		v[0] = __builtin_bswap16(v[0]);
		v[1] = __builtin_bswap16(v[1]);
		for (int k = 2; k < 6; k++)
			w[k] = __builtin_bswap32(w[k]);
		size_t o = FP_PCAP_FILE_HDR_LEN;
		for (int i = 0; i < 2; i++) {
			uint32_t h[4];
			memcpy(h, buf + o, sizeof(h));
			uint32_t incl = h[2];
			for (int k = 0; k < 4; k++)
				h[k] = __builtin_bswap32(h[k]);
			memcpy(buf + o, h, sizeof(h));
			o += FP_PCAP_REC_HDR_LEN + incl;
		}
	}
	return off;
}

START_TEST(test_pcap_reads_both_orders_and_units)
{
	uint8_t buf[256];
	int swapped = _i & 1, ns = (_i >> 1) & 1;
	size_t len = make_capture(buf, swapped, ns);
	struct fp_pcap p;
	struct fp_pcap_rec rec;
	ck_assert_int_eq(fp_pcap_open(&p, buf, len), 0);
	ck_assert_int_eq(p.swapped, swapped);
	ck_assert_int_eq(p.nanosecond, ns);
	ck_assert_uint_eq(p.linktype, FP_LINKTYPE_ETHERNET);
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(fp_pcap_next(&p, &rec), FP_PCAP_OK);
		ck_assert_uint_eq(rec.caplen, 10 + i);
		ck_assert_uint_eq(rec.origlen, 60);
		ck_assert_uint_eq(rec.index, i);
		ck_assert_uint_eq(rec.data[0], 0xA0 + i);
		uint64_t want = 1700000000ull * 1000000000ull + (ns ? 123456789ull : 123456000ull);
		ck_assert_uint_eq(rec.ts_ns, want);
	}
	ck_assert_int_eq(fp_pcap_next(&p, &rec), FP_PCAP_END);
	fp_pcap_rewind(&p);
	ck_assert_int_eq(fp_pcap_next(&p, &rec), FP_PCAP_OK);
	ck_assert_uint_eq(rec.index, 0);
}
END_TEST

START_TEST(test_pcap_reports_truncated_tail)
{
	uint8_t buf[256];
	size_t len = make_capture(buf, 0, 1);
	struct fp_pcap p;
	struct fp_pcap_rec rec;
	/* Every cut inside the second record (header or data) is a truncation. */
	size_t second = FP_PCAP_FILE_HDR_LEN + FP_PCAP_REC_HDR_LEN + 10;
	for (size_t cut = second + 1; cut < len; cut++) {
		ck_assert_int_eq(fp_pcap_open(&p, buf, cut), 0);
		ck_assert_int_eq(fp_pcap_next(&p, &rec), FP_PCAP_OK);
		ck_assert_int_eq(fp_pcap_next(&p, &rec), FP_PCAP_TRUNCATED);
		ck_assert_int_eq(fp_pcap_next(&p, &rec), FP_PCAP_TRUNCATED); /* stays put */
	}
	/* A record length beyond any snap length is corruption, not a truncation. */
	ck_assert_int_eq(fp_pcap_open(&p, buf, len), 0);
	uint32_t huge = 0x7FFFFFFF;
	memcpy(buf + FP_PCAP_FILE_HDR_LEN + 8, &huge, 4);
	ck_assert_int_eq(fp_pcap_next(&p, &rec), FP_PCAP_CORRUPT);
}
END_TEST

/* ---- fp_net ---- */

/* An Ethernet + VLAN + IPv4 + UDP frame carrying @p plen bytes, then @p trailer extra bytes. */
static uint32_t make_udp_frame(uint8_t *f, uint32_t plen, uint32_t trailer)
{
	memset(f, 0, 14 + 4 + 20 + 8 + plen + trailer);
	fp_put_be16(f + 12, FP_ETHER_TYPE_VLAN);
	fp_put_be16(f + 14, 0x008D); /* VID 141 */
	fp_put_be16(f + 16, FP_ETHER_TYPE_IPV4);
	uint8_t *ip = f + 18;
	ip[0] = 0x45;
	fp_put_be16(ip + 2, (uint16_t)(20 + 8 + plen));
	ip[8] = 64;
	ip[9] = FP_IP_PROTO_UDP;
	fp_put_be32(ip + 12, 0x0A000001);
	fp_put_be32(ip + 16, 0xE9360C6F); /* 233.54.12.111 */
	uint8_t *u = ip + 20;
	fp_put_be16(u, 5000);
	fp_put_be16(u + 2, 26477);
	fp_put_be16(u + 4, (uint16_t)(8 + plen));
	for (uint32_t i = 0; i < plen; i++)
		u[8 + i] = (uint8_t)i;
	for (uint32_t i = 0; i < trailer; i++)
		u[8 + plen + i] = 0xEE;
	return 14 + 4 + 20 + 8 + plen + trailer;
}

START_TEST(test_net_bounds_payload_by_ip_total_length)
{
	uint8_t f[256];
	struct fp_net_pkt pkt;
	uint32_t len = make_udp_frame(f, 30, 12);
	ck_assert_int_eq(fp_net_parse_eth(f, len, &pkt), FP_NET_OK);
	ck_assert_uint_eq(pkt.payload_len, 30);
	ck_assert_uint_eq(pkt.trailer_len, 12);
	ck_assert_uint_eq(pkt.nb_vlan, 1);
	ck_assert_uint_eq(pkt.vlan_id, 141);
	ck_assert_uint_eq(pkt.dst_addr, 0xE9360C6F);
	ck_assert_uint_eq(pkt.dst_port, 26477);
	ck_assert_uint_eq(pkt.src_port, 5000);
	ck_assert_uint_eq(pkt.l3_offset, 18);
	ck_assert_uint_eq(pkt.l4_offset, 38);
	ck_assert_ptr_eq(pkt.payload, f + 46);
}
END_TEST

START_TEST(test_net_rejects_every_cut_and_bad_lengths)
{
	uint8_t f[256];
	struct fp_net_pkt pkt;
	uint32_t len = make_udp_frame(f, 30, 0);
	for (uint32_t cut = 0; cut < len; cut++)
		ck_assert_int_ne(fp_net_parse_eth(f, cut, &pkt), FP_NET_OK);
	/* UDP length larger than the IP packet. */
	fp_put_be16(f + 18 + 20 + 4, 200);
	ck_assert_int_eq(fp_net_parse_eth(f, len, &pkt), FP_NET_BAD_L4);
	make_udp_frame(f, 30, 0);
	f[18] = 0x44; /* IHL 4 */
	ck_assert_int_eq(fp_net_parse_eth(f, len, &pkt), FP_NET_BAD_IP);
	make_udp_frame(f, 30, 0);
	fp_put_be16(f + 18 + 6, FP_IPV4_MF);
	ck_assert_int_eq(fp_net_parse_eth(f, len, &pkt), FP_NET_FRAGMENT);
	make_udp_frame(f, 30, 0);
	f[18 + 9] = 1; /* ICMP */
	ck_assert_int_eq(fp_net_parse_eth(f, len, &pkt), FP_NET_OTHER_PROTO);
	make_udp_frame(f, 30, 0);
	fp_put_be16(f + 16, 0x86DD); /* IPv6 */
	ck_assert_int_eq(fp_net_parse_eth(f, len, &pkt), FP_NET_NOT_IPV4);
	ck_assert_int_eq(fp_net_parse_link(999, f, len, &pkt), FP_NET_BAD_LINKTYPE);
	/* Three stacked VLAN tags: the third is not IPv4. */
	make_udp_frame(f, 30, 0);
	fp_put_be16(f + 16, FP_ETHER_TYPE_VLAN);
	ck_assert_int_ne(fp_net_parse_eth(f, len, &pkt), FP_NET_OK);
	ck_assert_str_eq(fp_net_result_str(FP_NET_SHORT), "short");
}
END_TEST

START_TEST(test_net_raw_ip_link)
{
	uint8_t f[256];
	struct fp_net_pkt pkt;
	uint32_t len = make_udp_frame(f, 30, 0);
	ck_assert_int_eq(fp_net_parse_link(FP_LINKTYPE_RAW, f + 18, len - 18, &pkt), FP_NET_OK);
	ck_assert_uint_eq(pkt.payload_len, 30);
	ck_assert_uint_eq(pkt.nb_vlan, 0);
}
END_TEST

START_TEST(test_net_ouch_capture_with_trailer)
{
	if (!td_have_data())
		return;
	/* EnterOrderMessage.pcap: SoupBinTCP 'U' + OUCH 'O' (54 bytes + 2 length + 1 type). */
	size_t len;
	uint8_t *buf = td_load("pcap/ouch50/EnterOrderMessage.pcap", &len);
	struct fp_pcap p;
	struct fp_pcap_rec rec;
	struct fp_net_pkt pkt;
	ck_assert_int_eq(fp_pcap_open(&p, buf, len), 0);
	ck_assert_int_eq(fp_pcap_next(&p, &rec), FP_PCAP_OK);
	ck_assert_int_eq(fp_net_parse_link(p.linktype, rec.data, rec.caplen, &pkt), FP_NET_OK);
	ck_assert_uint_eq(pkt.ip_proto, FP_IP_PROTO_TCP);
	ck_assert_uint_eq(pkt.nb_vlan, 1);
	ck_assert_uint_eq(fp_get_be16(pkt.payload), pkt.payload_len - 2); /* soup length */
	ck_assert_uint_eq(pkt.payload[2], 'U');
	ck_assert_uint_eq(pkt.payload[3], 'O');
	free(buf);

	/* Any of the OUCH captures with a trailer: payload must still end at the IP length. */
	static const char *const files[] = {
		"pcap/ouch50/OrderAcceptedMessage.pcap",  "pcap/ouch50/CancelOrderMessage.pcap",
		"pcap/ouch50/CanceledMessage.pcap",       "pcap/ouch50/ClientHeartbeatPacket.pcap",
		"pcap/ouch50/ServerHeartbeatPacket.pcap",
	};
	for (size_t i = 0; i < FP_ARRAY_SIZE(files); i++) {
		buf = td_load(files[i], &len);
		ck_assert_int_eq(fp_pcap_open(&p, buf, len), 0);
		while (fp_pcap_next(&p, &rec) == FP_PCAP_OK) {
			ck_assert_int_eq(fp_net_parse_link(p.linktype, rec.data, rec.caplen, &pkt),
					 FP_NET_OK);
			if (pkt.payload_len >= 2)
				ck_assert_msg(fp_get_be16(pkt.payload) == pkt.payload_len - 2,
					      "%s: soup length %u vs payload %u (trailer %u)",
					      files[i], fp_get_be16(pkt.payload), pkt.payload_len,
					      pkt.trailer_len);
		}
		free(buf);
	}
}
END_TEST

/* ---- fp_mold ---- */

START_TEST(test_mold_rejects_short_and_truncated)
{
	uint8_t b[64] = {0};
	struct fp_mold_pkt pkt;
	for (uint32_t n = 0; n < FP_MOLD_HDR_LEN; n++)
		ck_assert_int_eq(fp_mold_parse(b, n, &pkt), FP_MOLD_SHORT);
	memcpy(b, "SESSION001", 10);
	fp_put_be64(b + 10, 100);
	fp_put_be16(b + 18, 2);
	fp_put_be16(b + 20, 3);
	memcpy(b + 22, "abc", 3);
	fp_put_be16(b + 25, 4);
	memcpy(b + 27, "defg", 4);
	ck_assert_int_eq(fp_mold_validate(b, 31), FP_MOLD_OK);
	ck_assert_int_eq(fp_mold_validate(b, 32), FP_MOLD_TRAILING);
	for (uint32_t n = FP_MOLD_HDR_LEN; n < 31; n++)
		ck_assert_int_eq(fp_mold_validate(b, n), FP_MOLD_TRUNCATED);

	ck_assert_int_eq(fp_mold_parse(b, 31, &pkt), FP_MOLD_OK);
	struct fp_mold_iter it;
	const uint8_t *m;
	uint16_t len;
	uint64_t seq;
	fp_mold_iter_init(&it, &pkt);
	ck_assert_int_eq(fp_mold_iter_next(&it, &m, &len, &seq), FP_MOLD_OK);
	ck_assert_uint_eq(len, 3);
	ck_assert_uint_eq(seq, 100);
	ck_assert_int_eq(memcmp(m, "abc", 3), 0);
	ck_assert_int_eq(fp_mold_iter_next(&it, &m, &len, &seq), FP_MOLD_OK);
	ck_assert_uint_eq(len, 4);
	ck_assert_uint_eq(seq, 101);
	ck_assert_int_eq(fp_mold_iter_next(&it, &m, &len, &seq), FP_MOLD_END);
}
END_TEST

START_TEST(test_mold_heartbeat_and_end_of_session)
{
	uint8_t b[FP_MOLD_HDR_LEN];
	struct fp_mold_pkt pkt;
	fp_mold_build_heartbeat(b, "000010059B", 777);
	ck_assert_int_eq(fp_mold_parse(b, sizeof(b), &pkt), FP_MOLD_HEARTBEAT);
	ck_assert_uint_eq(pkt.sequence_number, 777);
	ck_assert(fp_mold_session_eq(pkt.session, "000010059B"));
	fp_mold_build_end_of_session(b, "000010059B", 778);
	ck_assert_int_eq(fp_mold_parse(b, sizeof(b), &pkt), FP_MOLD_END_OF_SESSION);
	ck_assert_uint_eq(pkt.message_count, 0xFFFF);
	struct fp_mold_iter it;
	const uint8_t *m;
	uint16_t len;
	uint64_t seq;
	fp_mold_iter_init(&it, &pkt);
	ck_assert_int_eq(fp_mold_iter_next(&it, &m, &len, &seq), FP_MOLD_END);
}
END_TEST

START_TEST(test_mold_builder_round_trip_and_full)
{
	uint8_t b[64];
	struct fp_mold_builder bld;
	ck_assert_int_eq(fp_mold_build_init(&bld, b, 10, "SESSION001", 5), -ENOBUFS);
	ck_assert_int_eq(fp_mold_build_init(&bld, b, sizeof(b), "SESSION001", 5), 0);
	ck_assert_int_eq(fp_mold_build_append(&bld, "hello", 5), 0);
	uint8_t *p = fp_mold_build_reserve(&bld, 3);
	ck_assert_ptr_nonnull(p);
	memcpy(p, "xyz", 3);
	ck_assert_int_eq(fp_mold_build_append(&bld, b, 40), -ENOBUFS); /* 20+7+5+42 > 64 */
	uint32_t len = fp_mold_build_finish(&bld);
	ck_assert_uint_eq(len, 20 + 7 + 5);
	ck_assert_int_eq(fp_mold_validate(b, len), FP_MOLD_OK);
	struct fp_mold_pkt pkt;
	ck_assert_int_eq(fp_mold_parse(b, len, &pkt), FP_MOLD_OK);
	ck_assert_uint_eq(pkt.message_count, 2);
	ck_assert_uint_eq(pkt.sequence_number, 5);
}
END_TEST

START_TEST(test_mold_request_round_trip)
{
	uint8_t b[FP_MOLD_REQUEST_LEN];
	const char *s;
	uint64_t seq;
	uint16_t cnt;
	fp_mold_request_build(b, "000010059B", 14757701, 42);
	ck_assert_int_eq(fp_mold_request_parse(b, 19, &s, &seq, &cnt), -EINVAL);
	ck_assert_int_eq(fp_mold_request_parse(b, sizeof(b), &s, &seq, &cnt), 0);
	ck_assert(fp_mold_session_eq(s, "000010059B"));
	ck_assert_uint_eq(seq, 14757701);
	ck_assert_uint_eq(cnt, 42);
}
END_TEST

START_TEST(test_mold_real_capture_order_replace)
{
	if (!td_have_data())
		return;
	size_t len;
	uint8_t *buf = td_load("pcap/itch50/OrderReplaceMessage.pcap", &len);
	struct td_msg m[4];
	ck_assert_uint_eq(td_pcap_msgs(buf, len, m, 4), 1);
	ck_assert_str_eq(m[0].session, "000010059B");
	ck_assert_uint_eq(m[0].seq, 14757701);
	ck_assert_uint_eq(m[0].dst_port, 26477);
	ck_assert_uint_eq(m[0].msg[0], 'U');
	ck_assert_uint_eq(m[0].len, 35);
	free(buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_mold_net_pcap");
	TCase *tc = tcase_create("pcap");
	tcase_add_test(tc, test_pcap_rejects_foreign_and_pcapng);
	tcase_add_test(tc, test_pcapng_blocks_both_byte_orders);
	tcase_add_loop_test(tc, test_pcap_reads_both_orders_and_units, 0, 4);
	tcase_add_test(tc, test_pcap_reports_truncated_tail);
	suite_add_tcase(s, tc);
	tc = tcase_create("net");
	tcase_add_test(tc, test_net_rejects_every_cut_and_bad_lengths);
	tcase_add_test(tc, test_net_bounds_payload_by_ip_total_length);
	tcase_add_test(tc, test_net_raw_ip_link);
	tcase_add_test(tc, test_net_ouch_capture_with_trailer);
	suite_add_tcase(s, tc);
	tc = tcase_create("mold");
	tcase_add_test(tc, test_mold_rejects_short_and_truncated);
	tcase_add_test(tc, test_mold_heartbeat_and_end_of_session);
	tcase_add_test(tc, test_mold_builder_round_trip_and_full);
	tcase_add_test(tc, test_mold_request_round_trip);
	tcase_add_test(tc, test_mold_real_capture_order_replace);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
