/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_mold.h - MoldUDP64 1.0 codec: downstream packets (parse, iterate, build) and
 * retransmission request packets (parse, build).
 *
 * Pure functions over caller memory, no allocation, no errno: any process or thread, hot path
 * included. The receive side (dataplane md stage, fastpath-md) parses and iterates; the
 * sending side (sim/ ITCH publisher, rerequest server) builds. Session state, gap detection and
 * retransmission live in dataplane/, not here. Byte order: big-endian.
 *
 * Downstream packet:
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       10    session          ASCII session name, e.g. "000010059B"
 *   10      8     sequence_number  sequence number of the first message in the packet
 *   18      2     message_count    messages that follow; 0 heartbeat, 0xFFFF end of session
 *   20      ...   message blocks: u16 message_length, then message_length bytes
 *
 * The sequence number of a heartbeat or end-of-session packet is the next sequence number the
 * server will send. Request packet (client -> rerequest server):
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       10    session                   session of the missing messages
 *   10      8     sequence_number           first message wanted
 *   18      2     requested_message_count   how many
 */
#ifndef FP_MOLD_H
#define FP_MOLD_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fp_compiler.h"
#include "fp_endian.h"

#define FP_MOLD_SESSION_LEN     10
#define FP_MOLD_HDR_LEN         20
#define FP_MOLD_REQUEST_LEN     20
#define FP_MOLD_COUNT_HEARTBEAT 0
#define FP_MOLD_COUNT_END       0xFFFF
/** Most messages a data packet may carry (0xFFFF means end of session). */
#define FP_MOLD_MAX_COUNT       0xFFFE

struct fp_mold_hdr {
	char session[FP_MOLD_SESSION_LEN];
	fp_be64_t sequence_number;
	fp_be16_t message_count;
} FP_PACKED;
static_assert(sizeof(struct fp_mold_hdr) == FP_MOLD_HDR_LEN, "MoldUDP64 header is 20 bytes");
static_assert(offsetof(struct fp_mold_hdr, sequence_number) == 10, "sequence_number offset");
static_assert(offsetof(struct fp_mold_hdr, message_count) == 18, "message_count offset");

struct fp_mold_request {
	char session[FP_MOLD_SESSION_LEN];
	fp_be64_t sequence_number;
	fp_be16_t requested_message_count;
} FP_PACKED;
static_assert(sizeof(struct fp_mold_request) == FP_MOLD_REQUEST_LEN, "request is 20 bytes");
static_assert(offsetof(struct fp_mold_request, requested_message_count) == 18,
	      "requested_message_count offset");

/** Kinds and problems of a packet. FP_MOLD_OK = 0. */
enum fp_mold_result {
	FP_MOLD_OK = 0,         /**< a data packet (or, from the iterator, one message) */
	FP_MOLD_HEARTBEAT,      /**< message_count 0 */
	FP_MOLD_END_OF_SESSION, /**< message_count 0xFFFF */
	FP_MOLD_END,            /**< iterator: no more messages */
	FP_MOLD_SHORT,          /**< fewer than 20 bytes */
	FP_MOLD_TRUNCATED,      /**< a message length runs past the end of the packet */
	FP_MOLD_TRAILING,       /**< bytes left after message_count messages */
	FP_MOLD_RESULT_MAX
};

/** A parsed packet header; pointers into the caller's buffer. */
struct fp_mold_pkt {
	const char *session;      /**< FP_MOLD_SESSION_LEN bytes, not NUL-terminated */
	uint64_t sequence_number; /**< of the first message */
	uint16_t message_count;   /**< as on the wire */
	const uint8_t *blocks;    /**< first message block */
	uint32_t blocks_len;      /**< bytes from blocks to the end of the packet */
};

/** Walks the message blocks of one packet. */
struct fp_mold_iter {
	const uint8_t *pos;
	const uint8_t *end;
	uint64_t next_seq; /**< sequence number of the next message */
	uint16_t left;     /**< messages still announced by message_count */
};

/**
 * Parse the header of a downstream packet. Any thread; pure.
 *
 * @return FP_MOLD_OK (data, message_count in 1..0xFFFE), FP_MOLD_HEARTBEAT,
 *         FP_MOLD_END_OF_SESSION or FP_MOLD_SHORT. Message blocks are checked by the
 *         iterator (or all at once by fp_mold_validate()).
 */
static inline enum fp_mold_result fp_mold_parse(const void *buf, uint32_t len,
						struct fp_mold_pkt *pkt)
{
	const uint8_t *b = (const uint8_t *)buf;
	if (fp_unlikely(len < FP_MOLD_HDR_LEN))
		return FP_MOLD_SHORT;
	pkt->session = (const char *)b;
	pkt->sequence_number = fp_get_be64(b + 10);
	pkt->message_count = fp_get_be16(b + 18);
	pkt->blocks = b + FP_MOLD_HDR_LEN;
	pkt->blocks_len = len - FP_MOLD_HDR_LEN;
	if (pkt->message_count == FP_MOLD_COUNT_HEARTBEAT)
		return FP_MOLD_HEARTBEAT;
	if (pkt->message_count == FP_MOLD_COUNT_END)
		return FP_MOLD_END_OF_SESSION;
	return FP_MOLD_OK;
}

/** Start iterating the messages of a data packet parsed by fp_mold_parse(). */
static inline void fp_mold_iter_init(struct fp_mold_iter *it, const struct fp_mold_pkt *pkt)
{
	it->pos = pkt->blocks;
	it->end = pkt->blocks + pkt->blocks_len;
	it->next_seq = pkt->sequence_number;
	it->left = (pkt->message_count == FP_MOLD_COUNT_END) ? 0 : pkt->message_count;
}

/**
 * Next message of the packet. Any thread; pure.
 *
 * @param msg  set to the message (after its length field)
 * @param len  set to its length
 * @param seq  set to its sequence number
 * @return FP_MOLD_OK, FP_MOLD_END after message_count messages, FP_MOLD_TRUNCATED when a
 *         length field or message runs past the packet (the iterator then stops: every later
 *         call returns FP_MOLD_TRUNCATED too).
 */
static inline enum fp_mold_result fp_mold_iter_next(struct fp_mold_iter *it, const uint8_t **msg,
						    uint16_t *len, uint64_t *seq)
{
	if (it->left == 0)
		return FP_MOLD_END;
	size_t room = (size_t)(it->end - it->pos);
	if (fp_unlikely(room < 2))
		return FP_MOLD_TRUNCATED;
	uint16_t n = fp_get_be16(it->pos);
	if (fp_unlikely(room - 2 < n))
		return FP_MOLD_TRUNCATED;
	*msg = it->pos + 2;
	*len = n;
	*seq = it->next_seq++;
	it->pos += 2 + (size_t)n;
	it->left--;
	return FP_MOLD_OK;
}

/**
 * Check every message block of a packet at once. Any thread; pure.
 * @return FP_MOLD_OK, FP_MOLD_HEARTBEAT, FP_MOLD_END_OF_SESSION, FP_MOLD_SHORT,
 *         FP_MOLD_TRUNCATED, or FP_MOLD_TRAILING (well-formed blocks, then extra bytes).
 */
enum fp_mold_result fp_mold_validate(const void *buf, uint32_t len);

/** Same session name? (10 bytes compared.) */
static inline int fp_mold_session_eq(const char *a, const char *b)
{
	return memcmp(a, b, FP_MOLD_SESSION_LEN) == 0;
}

/** Builds one downstream packet in caller memory (sender side). */
struct fp_mold_builder {
	uint8_t *buf;
	uint32_t cap;   /**< bytes available in buf */
	uint32_t len;   /**< bytes written so far, header included */
	uint16_t count; /**< messages appended */
};

/**
 * Start a data packet: writes the header with message_count 0.
 * @param session  10 bytes (shorter names must be space padded by the caller)
 * @return 0, or -ENOBUFS when @p cap < FP_MOLD_HDR_LEN
 */
int fp_mold_build_init(struct fp_mold_builder *b, void *buf, uint32_t cap, const char *session,
		       uint64_t sequence_number);

/**
 * Reserve room for a message of @p msg_len bytes; the caller writes the message there.
 * @return the address of the message in the packet, or NULL when it does not fit (or the
 *         packet already holds FP_MOLD_MAX_COUNT messages); the builder is then unchanged.
 */
uint8_t *fp_mold_build_reserve(struct fp_mold_builder *b, uint16_t msg_len);

/** Copy a message into the packet. @return 0 or -ENOBUFS (builder unchanged). */
int fp_mold_build_append(struct fp_mold_builder *b, const void *msg, uint16_t msg_len);

/** Write message_count into the header. @return the packet length in bytes. */
uint32_t fp_mold_build_finish(struct fp_mold_builder *b);

/**
 * Write a heartbeat (count 0) or end-of-session (count 0xFFFF) packet of FP_MOLD_HDR_LEN
 * bytes. @p next_seq is the next sequence number of the session.
 */
void fp_mold_build_heartbeat(void *buf, const char *session, uint64_t next_seq);
void fp_mold_build_end_of_session(void *buf, const char *session, uint64_t next_seq);

/** Write a request packet (FP_MOLD_REQUEST_LEN bytes). */
void fp_mold_request_build(void *buf, const char *session, uint64_t sequence_number,
			   uint16_t requested_message_count);

/**
 * Parse a request packet.
 * @return 0, or -EINVAL when @p len is not FP_MOLD_REQUEST_LEN
 */
int fp_mold_request_parse(const void *buf, uint32_t len, const char **session,
			  uint64_t *sequence_number, uint16_t *requested_message_count);

const char *fp_mold_result_str(enum fp_mold_result r);

#endif /* FP_MOLD_H */
