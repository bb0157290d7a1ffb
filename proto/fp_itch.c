/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_itch.c - NASDAQ TotalView-ITCH 5.0 decode/encode (layouts and field lists in fp_itch.h,
 * from NQTVITCHSpecification, revision of April 28, 2023). Pure; any thread.
 *
 * Decode and encode are one switch on the type byte whose cases are generated from the
 * FP_ITCH_FIELDS_<name>() lists, so that a field cannot be decoded at one offset and encoded
 * at another. Lengths are checked once (fp_itch_check) before any field is read.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fp_itch.h"

const uint8_t fp_itch_msg_len[256] = {
#define FP_ITCH__LEN(ch, name, len) [(uint8_t)(ch)] = (len),
	FP_ITCH_MESSAGES(FP_ITCH__LEN)
#undef FP_ITCH__LEN
};

/* ---- decode ---- */

#define GET_CHAR(dst, p, size)            (dst) = (char)*(p)
#define GET_STR(dst, p, size)             memcpy((dst), (p), (size))
#define GET_U16(dst, p, size)             (dst) = fp_get_be16(p)
#define GET_U32(dst, p, size)             (dst) = fp_get_be32(p)
#define GET_U64(dst, p, size)             (dst) = fp_get_be64(p)
#define GET_P4(dst, p, size)              (dst) = fp_get_be32(p)
#define GET_P8(dst, p, size)              (dst) = fp_get_be64(p)
#define GET_FIELD(kind, field, off, size) GET_##kind(v->field, p + (off), size);

enum fp_itch_result fp_itch_decode(const void *msg, uint32_t len, struct fp_itch_msg *out)
{
	const uint8_t *p = msg;
	enum fp_itch_result r = fp_itch_check(msg, len);
	if (fp_unlikely(r != FP_ITCH_OK))
		return r;
	out->type = (char)p[0];
	out->stock_locate = fp_get_be16(p + 1);
	out->tracking_number = fp_get_be16(p + 3);
	out->timestamp = fp_get_be48(p + 5);
	switch (p[0]) {
#define DECODE_CASE(ch, name, len_)                          \
	case ch: {                                           \
		struct fp_itch_##name##_v *v = &out->u.name; \
		FP_ITCH_FIELDS_##name(GET_FIELD) break;      \
	}
		FP_ITCH_MESSAGES(DECODE_CASE)
#undef DECODE_CASE
	default: /* unreachable: fp_itch_check() knows only these types */
		return FP_ITCH_UNKNOWN_TYPE;
	}
	return FP_ITCH_OK;
}

/* ---- encode ---- */

#define PUT_CHAR(src, p, size)            *(p) = (uint8_t)(src)
#define PUT_STR(src, p, size)             memcpy((p), (src), (size))
#define PUT_U16(src, p, size)             fp_put_be16((p), (src))
#define PUT_U32(src, p, size)             fp_put_be32((p), (src))
#define PUT_U64(src, p, size)             fp_put_be64((p), (src))
#define PUT_P4(src, p, size)              fp_put_be32((p), (src))
#define PUT_P8(src, p, size)              fp_put_be64((p), (src))
#define PUT_FIELD(kind, field, off, size) PUT_##kind(v->field, p + (off), size);

uint32_t fp_itch_encode(const struct fp_itch_msg *m, void *buf, uint32_t cap)
{
	uint8_t *p = buf;
	uint32_t len = fp_itch_msg_len[(uint8_t)m->type];
	if (len == 0 || cap < len)
		return 0;
	p[0] = (uint8_t)m->type;
	fp_put_be16(p + 1, m->stock_locate);
	fp_put_be16(p + 3, m->tracking_number);
	fp_put_be48(p + 5, m->timestamp);
	switch ((uint8_t)m->type) {
#define ENCODE_CASE(ch, name, len_)                              \
	case ch: {                                               \
		const struct fp_itch_##name##_v *v = &m->u.name; \
		FP_ITCH_FIELDS_##name(PUT_FIELD) break;          \
	}
		FP_ITCH_MESSAGES(ENCODE_CASE)
#undef ENCODE_CASE
	default:
		return 0;
	}
	return len;
}

/* ---- descriptors ---- */

#define DESC_FIELD(kind, field, off, size) {#field, FP_ITCH_KIND_##kind, (off), (size)},
#define DESC_FIELDS(ch, name, len) \
	static const struct fp_itch_field fields_##name[] = {FP_ITCH_FIELDS_##name(DESC_FIELD)};
FP_ITCH_MESSAGES(DESC_FIELDS)
#undef DESC_FIELDS

enum {
#define DESC_INDEX(ch, name, len) IDX_##name,
	FP_ITCH_MESSAGES(DESC_INDEX)
#undef DESC_INDEX
		IDX_COUNT
};
static_assert(IDX_COUNT == FP_ITCH_NB_TYPES, "23 message types in ITCH 5.0");

static const struct fp_itch_desc descs[FP_ITCH_NB_TYPES] = {
#define DESC(ch, name, len)                                                       \
	[IDX_##name] = {ch,         len,   (uint8_t)FP_ARRAY_SIZE(fields_##name), \
			IDX_##name, #name, fields_##name},
	FP_ITCH_MESSAGES(DESC)
#undef DESC
};

const struct fp_itch_desc *fp_itch_desc(uint8_t type)
{
	switch (type) {
#define DESC_CASE(ch, name, len) \
	case ch:                 \
		return &descs[IDX_##name];
		FP_ITCH_MESSAGES(DESC_CASE)
#undef DESC_CASE
	default:
		return NULL;
	}
}

const struct fp_itch_desc *fp_itch_desc_at(unsigned index)
{
	return index < FP_ITCH_NB_TYPES ? &descs[index] : NULL;
}

const char *fp_itch_result_str(enum fp_itch_result r)
{
	static const char *const names[FP_ITCH_RESULT_MAX] = {
		[FP_ITCH_OK] = "ok",
		[FP_ITCH_UNKNOWN_TYPE] = "unknown type",
		[FP_ITCH_SHORT] = "short",
		[FP_ITCH_LENGTH_MISMATCH] = "length mismatch",
	};
	return (unsigned)r < FP_ITCH_RESULT_MAX ? names[r] : "?";
}

int fp_itch_price_str(char *buf, size_t cap, uint64_t price, unsigned decimals)
{
	uint64_t scale = 1;
	for (unsigned i = 0; i < decimals; i++)
		scale *= 10;
	if (decimals == 0)
		return snprintf(buf, cap, "%" PRIu64, price);
	return snprintf(buf, cap, "%" PRIu64 ".%0*" PRIu64, price / scale, (int)decimals,
			price % scale);
}

int fp_itch_stream_probe(const void *buf, size_t len)
{
	struct fp_itch_stream s;
	const uint8_t *msg;
	uint32_t n;
	int seen = 0;
	fp_itch_stream_init(&s, buf, len);
	while (seen < 8) {
		enum fp_itch_stream_result r = fp_itch_stream_next(&s, &msg, &n);
		if (r == FP_ITCH_STREAM_END || r == FP_ITCH_STREAM_TRUNCATED)
			break;
		if (r != FP_ITCH_STREAM_OK || fp_itch_check(msg, n) != FP_ITCH_OK)
			return 0;
		seen++;
	}
	return seen > 0;
}
