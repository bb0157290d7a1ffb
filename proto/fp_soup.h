/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_soup.h - SoupBinTCP 3.0 framing: packet layouts, builders and an incremental stream
 * parser, shared by the gateway (client side) and the simulator's acceptor (server side).
 *
 * Pure code over caller buffers: no I/O, no allocation, no errno, no logging; any thread,
 * hot path included. The receive buffer (struct fp_soup_rx) lives in caller memory and is
 * used by one thread at a time.
 *
 * Wire format (NASDAQ SoupBinTCP 3.0; layout summarised in ../shared/data/README.md). Every
 * packet, both ways, is
 *
 *   OFFSET  SIZE  FIELD          DESCRIPTION
 *   0       2     packet_length  u16 big-endian: bytes that follow (type + payload), >= 1
 *   2       1     packet_type    one ASCII letter, below
 *   3       n     payload        packet_length - 1 bytes
 *
 *   type  from    name                 payload
 *   '+'   either  debug                free text
 *   'A'   server  login accepted       session (10 alpha), sequence_number (20 numeric ASCII)
 *   'J'   server  login rejected       reject_reason_code (1): 'A' not authorized,
 *                                      'S' session not available
 *   'S'   server  sequenced data       one upper-layer (OUCH) message
 *   'H'   server  server heartbeat     none
 *   'Z'   server  end of session       none
 *   'L'   client  login request        username (6), password (10), requested_session (10),
 *                                      requested_sequence_number (20 numeric ASCII)
 *   'U'   client  unsequenced data     one upper-layer (OUCH) message
 *   'R'   client  client heartbeat     none
 *   'O'   client  logout request       none
 *
 * Alpha fields are left-justified and space-padded; numeric ASCII fields are right-justified
 * and space-padded. A blank requested session means "the current one"; requested sequence
 * number 0 means "from now on" (no replay). The sequence number of the login accepted packet
 * is the number of the next sequenced message the server will send. Each side sends a
 * heartbeat after FP_SOUP_HEARTBEAT_MS without other traffic; a peer silent for
 * FP_SOUP_TIMEOUT_MS is treated as gone.
 */
#ifndef FP_SOUP_H
#define FP_SOUP_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "fp_compiler.h"
#include "fp_endian.h"

#define FP_SOUP_HDR_SIZE     3     /**< length (2) + type (1) */
#define FP_SOUP_HEARTBEAT_MS 1000  /**< send a heartbeat after this long without sending */
#define FP_SOUP_TIMEOUT_MS   15000 /**< a peer silent this long is gone */

#define FP_SOUP_USERNAME_LEN 6
#define FP_SOUP_PASSWORD_LEN 10
#define FP_SOUP_SESSION_LEN  10
#define FP_SOUP_SEQNUM_LEN   20

/** Largest payload (after the type byte) that fits the stream parser's buffer. */
#define FP_SOUP_MAX_PAYLOAD 2048
/** Bytes held by struct fp_soup_rx: at least one largest packet plus a read's worth. */
#define FP_SOUP_RX_BUF      8192

enum fp_soup_type {
	FP_SOUP_DEBUG = '+',
	FP_SOUP_LOGIN_ACCEPTED = 'A',
	FP_SOUP_LOGIN_REJECTED = 'J',
	FP_SOUP_SEQUENCED = 'S',
	FP_SOUP_SERVER_HEARTBEAT = 'H',
	FP_SOUP_END_OF_SESSION = 'Z',
	FP_SOUP_LOGIN_REQUEST = 'L',
	FP_SOUP_UNSEQUENCED = 'U',
	FP_SOUP_CLIENT_HEARTBEAT = 'R',
	FP_SOUP_LOGOUT_REQUEST = 'O',
};

/** Login rejected reason codes. */
#define FP_SOUP_REJECT_NOT_AUTHORIZED 'A'
#define FP_SOUP_REJECT_NO_SESSION     'S'

/** Who sent the bytes a parser reads: restricts the packet types it accepts. */
enum fp_soup_side {
	FP_SOUP_FROM_SERVER = 1, /**< a client parses what the server sends */
	FP_SOUP_FROM_CLIENT = 2, /**< a server parses what a client sends */
};

/* ---- packet layouts (packed, big-endian length; see the table above) ---- */

struct fp_soup_hdr {
	fp_be16_t packet_length;
	uint8_t packet_type;
} FP_PACKED;

/** 'A' login accepted: packet_length 31. */
struct fp_soup_login_accepted {
	struct fp_soup_hdr hdr;
	char session[FP_SOUP_SESSION_LEN];
	char sequence_number[FP_SOUP_SEQNUM_LEN];
} FP_PACKED;

/** 'J' login rejected: packet_length 2. */
struct fp_soup_login_rejected {
	struct fp_soup_hdr hdr;
	uint8_t reject_reason_code;
} FP_PACKED;

/** 'L' login request: packet_length 47. */
struct fp_soup_login_request {
	struct fp_soup_hdr hdr;
	char username[FP_SOUP_USERNAME_LEN];
	char password[FP_SOUP_PASSWORD_LEN];
	char requested_session[FP_SOUP_SESSION_LEN];
	char requested_sequence_number[FP_SOUP_SEQNUM_LEN];
} FP_PACKED;

static_assert(sizeof(struct fp_soup_hdr) == FP_SOUP_HDR_SIZE, "soup header is 3 bytes");
static_assert(offsetof(struct fp_soup_hdr, packet_type) == 2, "soup type offset");
static_assert(sizeof(struct fp_soup_login_accepted) == 33, "login accepted is 3+30");
static_assert(offsetof(struct fp_soup_login_accepted, session) == 3, "session offset");
static_assert(offsetof(struct fp_soup_login_accepted, sequence_number) == 13, "seq offset");
static_assert(sizeof(struct fp_soup_login_rejected) == 4, "login rejected is 3+1");
static_assert(sizeof(struct fp_soup_login_request) == 49, "login request is 3+46");
static_assert(offsetof(struct fp_soup_login_request, username) == 3, "username offset");
static_assert(offsetof(struct fp_soup_login_request, password) == 9, "password offset");
static_assert(offsetof(struct fp_soup_login_request, requested_session) == 19,
	      "requested_session offset");
static_assert(offsetof(struct fp_soup_login_request, requested_sequence_number) == 29,
	      "requested_sequence_number offset");

/* ---- parsing ---- */

/** Result of fp_soup_parse() and fp_soup_rx_next(). Errors are negative. */
enum fp_soup_rc {
	FP_SOUP_OK = 0,            /**< one whole packet in *pkt */
	FP_SOUP_NEED_MORE = 1,     /**< not a whole packet yet: read more bytes */
	FP_SOUP_ERR_EMPTY = -1,    /**< packet_length 0: no type byte */
	FP_SOUP_ERR_OVERSIZE = -2, /**< packet_length above the parser's limit */
	FP_SOUP_ERR_TYPE = -3,     /**< unknown type, or a type the other side never sends */
	FP_SOUP_ERR_LENGTH = -4,   /**< fixed-size packet with the wrong length */
	FP_SOUP_ERR_FIELD = -5,    /**< a numeric ASCII field that is not a number */
};

/** One parsed packet; payload points into the caller's (or the rx buffer's) bytes. */
struct fp_soup_pkt {
	uint8_t type;           /**< enum fp_soup_type */
	uint16_t payload_len;   /**< packet_length - 1 */
	const uint8_t *payload; /**< the bytes after the type */
	uint32_t wire_len;      /**< bytes the packet took on the wire (2 + packet_length) */
};

/**
 * Find one packet at the start of @p buf (pure; any thread).
 *
 * @param side     who sent the bytes (limits the accepted types)
 * @param max_payload  largest payload accepted (at most 65534)
 * @return FP_SOUP_OK with *pkt filled, FP_SOUP_NEED_MORE, or a negative enum fp_soup_rc.
 *         After an error the stream cannot be resynchronised: drop the connection.
 */
enum fp_soup_rc fp_soup_parse(const uint8_t *buf, size_t len, enum fp_soup_side side,
			      uint32_t max_payload, struct fp_soup_pkt *pkt);

/**
 * Incremental receive buffer for one connection (one thread). Typical use:
 *
 *     n = recv(fd, fp_soup_rx_space(&rx, &room), room, 0);   (room > 0 always)
 *     fp_soup_rx_commit(&rx, n);
 *     while ((rc = fp_soup_rx_next(&rx, &pkt)) == FP_SOUP_OK)
 *             handle(&pkt);            (pkt.payload valid until the next rx call)
 *     if (rc < 0) drop the connection;
 */
struct fp_soup_rx {
	uint32_t head;        /**< first unparsed byte */
	uint32_t tail;        /**< one past the last received byte */
	uint32_t max_payload; /**< oversize limit, <= FP_SOUP_MAX_PAYLOAD */
	uint8_t side;         /**< enum fp_soup_side */
	uint8_t failed;       /**< sticky: a parse error happened */
	uint8_t reserved[2];
	uint8_t buf[FP_SOUP_RX_BUF];
};

/** Reset @p rx. @return 0, or -EINVAL for a bad side or max_payload. */
int fp_soup_rx_init(struct fp_soup_rx *rx, enum fp_soup_side side, uint32_t max_payload);

/** Where to put the next bytes read; compacts the buffer when needed. *room > 0 unless the
 *  parser has failed. */
uint8_t *fp_soup_rx_space(struct fp_soup_rx *rx, size_t *room);

/** Account for @p n bytes written at fp_soup_rx_space(). */
void fp_soup_rx_commit(struct fp_soup_rx *rx, size_t n);

/** Next whole packet, as fp_soup_parse(); errors are sticky. */
enum fp_soup_rc fp_soup_rx_next(struct fp_soup_rx *rx, struct fp_soup_pkt *pkt);

/** Bytes received but not yet parsed. */
static inline uint32_t fp_soup_rx_pending(const struct fp_soup_rx *rx)
{
	return rx->tail - rx->head;
}

/* ---- payload fields of login packets ---- */

struct fp_soup_login {
	char username[FP_SOUP_USERNAME_LEN + 1]; /**< trailing spaces removed, NUL-terminated */
	char password[FP_SOUP_PASSWORD_LEN + 1];
	char session[FP_SOUP_SESSION_LEN + 1]; /**< "" = current session */
	uint64_t sequence_number;              /**< 0 = from now on */
};

/** Decode an 'L' payload. @return 0, or a negative enum fp_soup_rc. */
int fp_soup_parse_login_request(const struct fp_soup_pkt *pkt, struct fp_soup_login *out);

/** Decode an 'A' payload (session and next sequence number into *out). */
int fp_soup_parse_login_accepted(const struct fp_soup_pkt *pkt, struct fp_soup_login *out);

/** Copy @p n bytes of a space-padded alpha field into @p dst (n + 1 bytes), trimmed. */
void fp_soup_get_alpha(char *dst, const void *src, size_t n);

/** Parse a right-justified, space-padded numeric ASCII field; all blanks read as 0.
 *  @return 0, or FP_SOUP_ERR_FIELD. */
int fp_soup_get_numeric(const void *src, size_t n, uint64_t *value);

/** Write @p s left-justified and space-padded into @p n bytes (truncating). */
void fp_soup_put_alpha(void *dst, const char *s, size_t n);

/** Write @p v right-justified and space-padded into @p n bytes.
 *  @return 0, or -1 when it does not fit. */
int fp_soup_put_numeric(void *dst, uint64_t v, size_t n);

/* ---- builders: each returns the bytes written, or 0 when @p cap is too small ---- */

/**
 * Write a header for a packet of @p type whose payload (@p payload_len bytes) the caller
 * writes right after it (zero copy: encode an OUCH message at buf + FP_SOUP_HDR_SIZE).
 * @return FP_SOUP_HDR_SIZE, or 0 if payload_len is above 65534.
 */
static inline size_t fp_soup_put_hdr(void *buf, uint8_t type, size_t payload_len)
{
	uint8_t *b = buf;
	if (payload_len > 65534)
		return 0;
	fp_put_be16(b, (uint16_t)(payload_len + 1));
	b[2] = type;
	return FP_SOUP_HDR_SIZE;
}

/** A packet with no payload: 'H', 'Z', 'R', 'O'. */
size_t fp_soup_build_empty(void *buf, size_t cap, uint8_t type);

/** 'S' or 'U' (or '+') with a copy of @p payload. */
size_t fp_soup_build_data(void *buf, size_t cap, uint8_t type, const void *payload,
			  size_t payload_len);

/** 'L' login request. @p session NULL or "" = current; @p seq 0 = from now on. */
size_t fp_soup_build_login_request(void *buf, size_t cap, const char *username,
				   const char *password, const char *session, uint64_t seq);

/** 'A' login accepted; @p next_seq = number of the next sequenced message. */
size_t fp_soup_build_login_accepted(void *buf, size_t cap, const char *session, uint64_t next_seq);

/** 'J' login rejected with FP_SOUP_REJECT_*. */
size_t fp_soup_build_login_rejected(void *buf, size_t cap, uint8_t reason);

/** Name of a result code, for tests and cold-path messages. */
const char *fp_soup_rc_str(enum fp_soup_rc rc);

#endif /* FP_SOUP_H */
