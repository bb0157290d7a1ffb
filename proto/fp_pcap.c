/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_pcap.c - classic pcap reader/writer over memory (format in fp_pcap.h; the format is the
 * libpcap "savefile" of pcap-savefile(5), and draft-ietf-opsawg-pcap). Pure; any thread.
 */
#include <errno.h>
#include <string.h>

#include "fp_err.h"
#include "fp_pcap.h"

static inline uint32_t pcap_u32(const struct fp_pcap *p, const uint8_t *b)
{
	uint32_t v;
	memcpy(&v, b, sizeof(v));
	return p->swapped ? __builtin_bswap32(v) : v;
}

static inline uint16_t pcap_u16(const struct fp_pcap *p, const uint8_t *b)
{
	uint16_t v;
	memcpy(&v, b, sizeof(v));
	return p->swapped ? __builtin_bswap16(v) : v;
}

int fp_pcap_probe(const void *buf, size_t len)
{
	uint32_t m;
	if (len < 4)
		return 0;
	memcpy(&m, buf, sizeof(m));
	if (m == FP_PCAP_MAGIC_US || m == FP_PCAP_MAGIC_NS ||
	    m == __builtin_bswap32(FP_PCAP_MAGIC_US) || m == __builtin_bswap32(FP_PCAP_MAGIC_NS))
		return 1;
	if (m == FP_PCAPNG_MAGIC)
		return 2;
	return 0;
}

int fp_pcap_open(struct fp_pcap *p, const void *buf, size_t len)
{
	memset(p, 0, sizeof(*p));
	int kind = fp_pcap_probe(buf, len);
	if (kind == 2)
		return fp_err_set(-EINVAL, "pcapng is not supported: convert with "
					   "'editcap -F pcap IN OUT'");
	if (kind != 1)
		return fp_err_set(-EINVAL, "not a pcap file (bad magic)");
	if (len < FP_PCAP_FILE_HDR_LEN)
		return fp_err_set(-EINVAL, "pcap file header cut short (%zu of %d bytes)", len,
				  FP_PCAP_FILE_HDR_LEN);
	const uint8_t *b = buf;
	uint32_t m;
	memcpy(&m, b, sizeof(m));
	p->swapped = (m != FP_PCAP_MAGIC_US && m != FP_PCAP_MAGIC_NS);
	p->nanosecond = (m == FP_PCAP_MAGIC_NS || m == __builtin_bswap32(FP_PCAP_MAGIC_NS));
	p->version_major = pcap_u16(p, b + 4);
	p->version_minor = pcap_u16(p, b + 6);
	p->snaplen = pcap_u32(p, b + 16);
	p->linktype = pcap_u32(p, b + 20) & 0x0FFFFFFF; /* upper bits: FCS length flags */
	if (p->version_major != 2)
		return fp_err_set(-EPROTO, "pcap version %u.%u is not supported (only 2.x)",
				  p->version_major, p->version_minor);
	p->buf = b;
	p->len = len;
	p->pos = FP_PCAP_FILE_HDR_LEN;
	return 0;
}

enum fp_pcap_result fp_pcap_next(struct fp_pcap *p, struct fp_pcap_rec *rec)
{
	size_t left = p->len - p->pos;
	if (left == 0)
		return FP_PCAP_END;
	if (left < FP_PCAP_REC_HDR_LEN)
		return FP_PCAP_TRUNCATED;
	const uint8_t *h = p->buf + p->pos;
	uint32_t incl = pcap_u32(p, h + 8);
	uint32_t limit = FP_MAX(p->snaplen, FP_PCAP_MAX_RECORD);
	if (incl > limit)
		return FP_PCAP_CORRUPT;
	if (left - FP_PCAP_REC_HDR_LEN < incl)
		return FP_PCAP_TRUNCATED;
	uint64_t frac = pcap_u32(p, h + 4);
	rec->ts_ns =
		(uint64_t)pcap_u32(p, h) * 1000000000ull + (p->nanosecond ? frac : frac * 1000);
	rec->caplen = incl;
	rec->origlen = pcap_u32(p, h + 12);
	rec->data = h + FP_PCAP_REC_HDR_LEN;
	rec->index = p->nb_rec++;
	p->pos += FP_PCAP_REC_HDR_LEN + incl;
	return FP_PCAP_OK;
}

void fp_pcap_rewind(struct fp_pcap *p)
{
	p->pos = FP_PCAP_FILE_HDR_LEN;
	p->nb_rec = 0;
}

void fp_pcap_write_file_hdr(void *buf, uint32_t linktype, uint32_t snaplen, int nanosecond)
{
	struct fp_pcap_file_hdr h = {
		.magic_number = nanosecond ? FP_PCAP_MAGIC_NS : FP_PCAP_MAGIC_US,
		.version_major = 2,
		.version_minor = 4,
		.snaplen = snaplen,
		.network = linktype,
	};
	memcpy(buf, &h, sizeof(h));
}

void fp_pcap_write_rec_hdr(void *buf, uint64_t ts_ns, uint32_t caplen, uint32_t origlen,
			   int nanosecond)
{
	uint64_t frac = ts_ns % 1000000000ull;
	struct fp_pcap_rec_hdr h = {
		.ts_sec = (uint32_t)(ts_ns / 1000000000ull),
		.ts_usec = (uint32_t)(nanosecond ? frac : frac / 1000),
		.incl_len = caplen,
		.orig_len = origlen,
	};
	memcpy(buf, &h, sizeof(h));
}

const char *fp_pcap_result_str(enum fp_pcap_result r)
{
	switch (r) {
	case FP_PCAP_OK:
		return "ok";
	case FP_PCAP_END:
		return "end";
	case FP_PCAP_TRUNCATED:
		return "truncated";
	case FP_PCAP_CORRUPT:
		return "corrupt record length";
	}
	return "?";
}
