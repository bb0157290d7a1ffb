/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_mold.c - MoldUDP64 1.0 packets (layout in fp_mold.h; NASDAQ "MoldUDP64 Protocol
 * Specification" v1.00). Pure; any thread.
 */
#include <errno.h>
#include <string.h>

#include "fp_mold.h"

enum fp_mold_result fp_mold_validate(const void *buf, uint32_t len)
{
	struct fp_mold_pkt pkt;
	enum fp_mold_result r = fp_mold_parse(buf, len, &pkt);
	if (r != FP_MOLD_OK)
		return r;
	struct fp_mold_iter it;
	const uint8_t *msg;
	uint16_t n;
	uint64_t seq;
	fp_mold_iter_init(&it, &pkt);
	while ((r = fp_mold_iter_next(&it, &msg, &n, &seq)) == FP_MOLD_OK)
		;
	if (r != FP_MOLD_END)
		return r;
	return it.pos == it.end ? FP_MOLD_OK : FP_MOLD_TRAILING;
}

static void mold_write_hdr(uint8_t *b, const char *session, uint64_t seq, uint16_t count)
{
	memcpy(b, session, FP_MOLD_SESSION_LEN);
	fp_put_be64(b + 10, seq);
	fp_put_be16(b + 18, count);
}

int fp_mold_build_init(struct fp_mold_builder *b, void *buf, uint32_t cap, const char *session,
		       uint64_t sequence_number)
{
	if (cap < FP_MOLD_HDR_LEN)
		return -ENOBUFS;
	b->buf = buf;
	b->cap = cap;
	b->len = FP_MOLD_HDR_LEN;
	b->count = 0;
	mold_write_hdr(b->buf, session, sequence_number, 0);
	return 0;
}

uint8_t *fp_mold_build_reserve(struct fp_mold_builder *b, uint16_t msg_len)
{
	if (b->count >= FP_MOLD_MAX_COUNT || b->cap - b->len < 2u + msg_len)
		return NULL;
	uint8_t *p = b->buf + b->len;
	fp_put_be16(p, msg_len);
	b->len += 2u + msg_len;
	b->count++;
	return p + 2;
}

int fp_mold_build_append(struct fp_mold_builder *b, const void *msg, uint16_t msg_len)
{
	uint8_t *p = fp_mold_build_reserve(b, msg_len);
	if (!p)
		return -ENOBUFS;
	memcpy(p, msg, msg_len);
	return 0;
}

uint32_t fp_mold_build_finish(struct fp_mold_builder *b)
{
	fp_put_be16(b->buf + 18, b->count);
	return b->len;
}

void fp_mold_build_heartbeat(void *buf, const char *session, uint64_t next_seq)
{
	mold_write_hdr(buf, session, next_seq, FP_MOLD_COUNT_HEARTBEAT);
}

void fp_mold_build_end_of_session(void *buf, const char *session, uint64_t next_seq)
{
	mold_write_hdr(buf, session, next_seq, FP_MOLD_COUNT_END);
}

void fp_mold_request_build(void *buf, const char *session, uint64_t sequence_number,
			   uint16_t requested_message_count)
{
	mold_write_hdr(buf, session, sequence_number, requested_message_count);
}

int fp_mold_request_parse(const void *buf, uint32_t len, const char **session,
			  uint64_t *sequence_number, uint16_t *requested_message_count)
{
	const uint8_t *b = buf;
	if (len != FP_MOLD_REQUEST_LEN)
		return -EINVAL;
	*session = (const char *)b;
	*sequence_number = fp_get_be64(b + 10);
	*requested_message_count = fp_get_be16(b + 18);
	return 0;
}

const char *fp_mold_result_str(enum fp_mold_result r)
{
	static const char *const names[FP_MOLD_RESULT_MAX] = {
		[FP_MOLD_OK] = "ok",
		[FP_MOLD_HEARTBEAT] = "heartbeat",
		[FP_MOLD_END_OF_SESSION] = "end of session",
		[FP_MOLD_END] = "end",
		[FP_MOLD_SHORT] = "short",
		[FP_MOLD_TRUNCATED] = "truncated message block",
		[FP_MOLD_TRAILING] = "trailing bytes",
	};
	return (unsigned)r < FP_MOLD_RESULT_MAX ? names[r] : "?";
}
