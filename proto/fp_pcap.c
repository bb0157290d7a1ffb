/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_pcap.c - capture reader over memory, classic pcap and pcapng, and the classic writer
 * (formats in fp_pcap.h: pcap-savefile(5), draft-ietf-opsawg-pcap and -pcapng). Pure; any
 * thread.
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

/* ---- pcapng ---- */

static inline uint64_t ng_ts_ns(const struct fp_pcapng_if *f, uint64_t ts)
{
	uint64_t ns = ts / f->units * 1000000000ull +
		      (uint64_t)((unsigned __int128)(ts % f->units) * 1000000000u / f->units);
	return ns + (uint64_t)(f->offset_s * 1000000000ll);
}

/** Options of an IDB (@p o .. @p end): if_tsresol and if_tsoffset. @return 0 or -1. */
static int ng_if_options(const struct fp_pcap *p, const uint8_t *o, const uint8_t *end,
			 struct fp_pcapng_if *f)
{
	while (end - o >= 4) {
		uint16_t code = pcap_u16(p, o), olen = pcap_u16(p, o + 2);
		const uint8_t *v = o + 4;
		if (code == 0) /* opt_endofopt */
			return 0;
		if ((size_t)(end - v) < olen)
			return -1;
		if (code == 9 && olen >= 1) { /* if_tsresol */
			unsigned e = v[0] & 0x7f;
			if (v[0] & 0x80) {
				if (e > 63)
					return -1;
				f->units = 1ull << e;
			} else {
				if (e > 19)
					return -1;
				f->units = 1;
				while (e--)
					f->units *= 10;
			}
		} else if (code == 14 && olen == 8) { /* if_tsoffset, seconds */
			uint64_t lo = pcap_u32(p, v), hi = pcap_u32(p, v + 4);
			f->offset_s = (int64_t)(p->swapped ? (lo << 32 | hi) : (hi << 32 | lo));
			/* Beyond +-292 years, nanoseconds do not fit 64 bits (fuzz_pcap found the
			 * signed overflow in ng_ts_ns): not a capture we can time, refused. */
			if (f->offset_s > INT64_MAX / 1000000000ll ||
			    f->offset_s < INT64_MIN / 1000000000ll)
				return -1;
		}
		o = v + FP_ALIGN_UP((size_t)olen, (size_t)4);
	}
	return 0;
}

/**
 * One block at p->pos. OK with *packet set: @p rec holds a packet; OK without: a block
 * learned or skipped (p->pos moved on). Anything else: p->pos unchanged.
 */
static enum fp_pcap_result ng_block(struct fp_pcap *p, struct fp_pcap_rec *rec, int *packet)
{
	size_t left = p->len - p->pos;
	const uint8_t *b = p->buf + p->pos;
	uint32_t type, blen;
	uint8_t swapped = p->swapped;

	*packet = 0;
	if (left == 0)
		return FP_PCAP_END;
	if (left < 12)
		return FP_PCAP_TRUNCATED;
	memcpy(&type, b, sizeof(type));
	if (type == FP_PCAPNG_MAGIC) { /* a new section: its own byte order */
		uint32_t bom;
		if (left < 28)
			return FP_PCAP_TRUNCATED;
		memcpy(&bom, b + 8, sizeof(bom));
		if (bom == FP_PCAPNG_BOM)
			p->swapped = 0;
		else if (bom == __builtin_bswap32(FP_PCAPNG_BOM))
			p->swapped = 1;
		else
			return FP_PCAP_CORRUPT;
	} else {
		type = pcap_u32(p, b);
	}
	blen = pcap_u32(p, b + 4);
	if (blen < 12 || blen % 4 || blen > FP_PCAPNG_MAX_BLOCK) {
		p->swapped = swapped;
		return FP_PCAP_CORRUPT;
	}
	if (blen > left) {
		p->swapped = swapped;
		return FP_PCAP_TRUNCATED;
	}
	if (pcap_u32(p, b + blen - 4) != blen) {
		p->swapped = swapped;
		return FP_PCAP_CORRUPT;
	}
	const uint8_t *body = b + 8, *end = b + blen - 4;
	uint32_t blen_body = blen - 12;
	uint32_t limit = FP_PCAP_MAX_RECORD;

	switch (type) {
	case FP_PCAPNG_MAGIC: {
		if (blen_body < 16 || pcap_u16(p, body + 4) != 1) {
			p->swapped = swapped;
			return FP_PCAP_CORRUPT;
		}
		p->version_major = pcap_u16(p, body + 4);
		p->version_minor = pcap_u16(p, body + 6);
		p->nb_if = 0;
		break;
	}
	case FP_PCAPNG_BT_IDB: {
		if (blen_body < 8 || p->nb_if >= FP_PCAPNG_MAX_IF)
			return FP_PCAP_CORRUPT;
		struct fp_pcapng_if f = {
			.linktype = pcap_u16(p, body),
			.snaplen = pcap_u32(p, body + 4),
			.units = 1000000,
		};
		if (ng_if_options(p, body + 8, end, &f) < 0)
			return FP_PCAP_CORRUPT;
		p->ifs[p->nb_if++] = f;
		break;
	}
	case FP_PCAPNG_BT_EPB:
	case FP_PCAPNG_BT_OPB: {
		if (blen_body < 20)
			return FP_PCAP_CORRUPT;
		uint32_t ifid = type == FP_PCAPNG_BT_EPB ? pcap_u32(p, body) : pcap_u16(p, body);
		uint32_t caplen = pcap_u32(p, body + 12);
		if (ifid >= p->nb_if || caplen > blen_body - 20 || caplen > limit)
			return FP_PCAP_CORRUPT;
		const struct fp_pcapng_if *f = &p->ifs[ifid];
		uint64_t ts = (uint64_t)pcap_u32(p, body + 4) << 32 | pcap_u32(p, body + 8);
		rec->ts_ns = ng_ts_ns(f, ts);
		rec->caplen = caplen;
		rec->origlen = pcap_u32(p, body + 16);
		rec->data = body + 20;
		rec->linktype = f->linktype;
		rec->interface = ifid;
		*packet = 1;
		break;
	}
	case FP_PCAPNG_BT_SPB: {
		if (blen_body < 4 || p->nb_if == 0)
			return FP_PCAP_CORRUPT;
		uint32_t orig = pcap_u32(p, body);
		uint32_t caplen = FP_MIN(orig, blen_body - 4);
		if (p->ifs[0].snaplen)
			caplen = FP_MIN(caplen, p->ifs[0].snaplen);
		if (caplen > limit)
			return FP_PCAP_CORRUPT;
		rec->ts_ns = 0;
		rec->caplen = caplen;
		rec->origlen = orig;
		rec->data = body + 4;
		rec->linktype = p->ifs[0].linktype;
		rec->interface = 0;
		*packet = 1;
		break;
	}
	default: /* NRB, ISB, DSB, custom, ...: not ours */
		break;
	}
	p->pos += blen;
	if (*packet)
		rec->index = p->nb_rec++;
	return FP_PCAP_OK;
}

static enum fp_pcap_result ng_next(struct fp_pcap *p, struct fp_pcap_rec *rec)
{
	for (;;) {
		int packet;
		enum fp_pcap_result r = ng_block(p, rec, &packet);
		if (r != FP_PCAP_OK || packet)
			return r;
	}
}

static int ng_open(struct fp_pcap *p, const uint8_t *b, size_t len)
{
	struct fp_pcap_rec rec;
	enum fp_pcap_result r = FP_PCAP_OK;
	int packet = 0;

	p->ng = 1;
	p->buf = b;
	p->len = len;
	/* learn the first interface (linktype, snaplen), then start over */
	while (p->nb_if == 0 && !packet && (r = ng_block(p, &rec, &packet)) == FP_PCAP_OK)
		;
	if (p->nb_if == 0) {
		int rc = fp_err_set(-EINVAL,
				    "pcapng: no interface description before the first packet "
				    "(%s at byte %zu)",
				    packet ? "packet" : fp_pcap_result_str(r), p->pos);
		memset(p, 0, sizeof(*p));
		return rc;
	}
	p->linktype = p->ifs[0].linktype;
	p->snaplen = p->ifs[0].snaplen;
	fp_pcap_rewind(p);
	return 0;
}

int fp_pcap_open(struct fp_pcap *p, const void *buf, size_t len)
{
	memset(p, 0, sizeof(*p));
	int kind = fp_pcap_probe(buf, len);
	if (kind == 2)
		return ng_open(p, buf, len);
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
	if (p->ng)
		return ng_next(p, rec);
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
	rec->linktype = p->linktype;
	rec->interface = 0;
	p->pos += FP_PCAP_REC_HDR_LEN + incl;
	return FP_PCAP_OK;
}

void fp_pcap_rewind(struct fp_pcap *p)
{
	p->pos = p->ng ? 0 : FP_PCAP_FILE_HDR_LEN;
	p->nb_rec = 0;
	p->nb_if = 0; /* pcapng: learned again from the first section */
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
