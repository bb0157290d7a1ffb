/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_soup.c - SoupBinTCP 3.0 framing (layouts and rules in fp_soup.h).
 *
 * Pure functions over caller buffers: any thread, no I/O, no allocation, no errno.
 *
 * Invariants of struct fp_soup_rx:
 *   (1) 0 <= head <= tail <= FP_SOUP_RX_BUF.
 *   (2) bytes [head, tail) are received and not yet returned as packets.
 *   (3) once failed is set, fp_soup_rx_next() returns the same error forever and
 *       fp_soup_rx_space() offers no room: the stream cannot be resynchronised.
 *   (4) max_payload + FP_SOUP_HDR_SIZE <= FP_SOUP_RX_BUF, so that after compaction a whole
 *       packet of legal size always fits: NEED_MORE never dead-locks.
 */
#include <errno.h>
#include <string.h>

#include "fp_soup.h"

/* Payload length of fixed-size packets, or -1 where any length is allowed. */
static int soup_fixed_payload(uint8_t type)
{
	switch (type) {
	case FP_SOUP_LOGIN_ACCEPTED:
		return FP_SOUP_SESSION_LEN + FP_SOUP_SEQNUM_LEN;
	case FP_SOUP_LOGIN_REJECTED:
		return 1;
	case FP_SOUP_SERVER_HEARTBEAT:
	case FP_SOUP_END_OF_SESSION:
	case FP_SOUP_CLIENT_HEARTBEAT:
	case FP_SOUP_LOGOUT_REQUEST:
		return 0;
	case FP_SOUP_LOGIN_REQUEST:
		return FP_SOUP_USERNAME_LEN + FP_SOUP_PASSWORD_LEN + FP_SOUP_SESSION_LEN +
		       FP_SOUP_SEQNUM_LEN;
	default:
		return -1;
	}
}

static int soup_type_ok(uint8_t type, enum fp_soup_side side)
{
	switch (type) {
	case FP_SOUP_DEBUG:
		return 1;
	case FP_SOUP_LOGIN_ACCEPTED:
	case FP_SOUP_LOGIN_REJECTED:
	case FP_SOUP_SEQUENCED:
	case FP_SOUP_SERVER_HEARTBEAT:
	case FP_SOUP_END_OF_SESSION:
		return side == FP_SOUP_FROM_SERVER;
	case FP_SOUP_LOGIN_REQUEST:
	case FP_SOUP_UNSEQUENCED:
	case FP_SOUP_CLIENT_HEARTBEAT:
	case FP_SOUP_LOGOUT_REQUEST:
		return side == FP_SOUP_FROM_CLIENT;
	default:
		return 0;
	}
}

enum fp_soup_rc fp_soup_parse(const uint8_t *buf, size_t len, enum fp_soup_side side,
			      uint32_t max_payload, struct fp_soup_pkt *pkt)
{
	if (len < 2)
		return FP_SOUP_NEED_MORE;
	uint16_t plen = fp_get_be16(buf);
	if (plen == 0)
		return FP_SOUP_ERR_EMPTY;
	if ((uint32_t)plen - 1 > max_payload)
		return FP_SOUP_ERR_OVERSIZE;
	if (len < 3)
		return FP_SOUP_NEED_MORE;
	/* The type is checked before the whole packet is here, so that garbage is refused at
	 * once rather than after waiting for up to 64 KiB that may never come. */
	uint8_t type = buf[2];
	if (!soup_type_ok(type, side))
		return FP_SOUP_ERR_TYPE;
	int fixed = soup_fixed_payload(type);
	if (fixed >= 0 && fixed != plen - 1)
		return FP_SOUP_ERR_LENGTH;
	if (len < (size_t)plen + 2)
		return FP_SOUP_NEED_MORE;
	pkt->type = type;
	pkt->payload_len = (uint16_t)(plen - 1);
	pkt->payload = buf + FP_SOUP_HDR_SIZE;
	pkt->wire_len = (uint32_t)plen + 2;
	return FP_SOUP_OK;
}

int fp_soup_rx_init(struct fp_soup_rx *rx, enum fp_soup_side side, uint32_t max_payload)
{
	if ((side != FP_SOUP_FROM_SERVER && side != FP_SOUP_FROM_CLIENT) || max_payload == 0 ||
	    max_payload > FP_SOUP_MAX_PAYLOAD)
		return -EINVAL;
	rx->head = 0;
	rx->tail = 0;
	rx->max_payload = max_payload; /* Invariant (4): FP_SOUP_MAX_PAYLOAD + 3 < RX_BUF */
	rx->side = (uint8_t)side;
	rx->failed = 0;
	return 0;
}

static_assert(FP_SOUP_MAX_PAYLOAD + FP_SOUP_HDR_SIZE <= FP_SOUP_RX_BUF, "invariant (4)");

uint8_t *fp_soup_rx_space(struct fp_soup_rx *rx, size_t *room)
{
	if (rx->failed) { /* Invariant (3) */
		*room = 0;
		return rx->buf;
	}
	if (rx->head == rx->tail) {
		rx->head = rx->tail = 0;
	} else if (rx->tail == FP_SOUP_RX_BUF || rx->head > FP_SOUP_RX_BUF / 2) {
		/* Compact: at most one partial packet (< RX_BUF bytes) moves. */
		memmove(rx->buf, rx->buf + rx->head, rx->tail - rx->head);
		rx->tail -= rx->head;
		rx->head = 0;
	}
	*room = FP_SOUP_RX_BUF - rx->tail;
	return rx->buf + rx->tail;
}

void fp_soup_rx_commit(struct fp_soup_rx *rx, size_t n)
{
	rx->tail += (uint32_t)n;
}

enum fp_soup_rc fp_soup_rx_next(struct fp_soup_rx *rx, struct fp_soup_pkt *pkt)
{
	if (rx->failed)
		return (enum fp_soup_rc)(-(int)rx->failed);
	enum fp_soup_rc rc = fp_soup_parse(rx->buf + rx->head, rx->tail - rx->head,
					   (enum fp_soup_side)rx->side, rx->max_payload, pkt);
	if (rc == FP_SOUP_OK)
		rx->head += pkt->wire_len;
	else if (rc < 0)
		rx->failed = (uint8_t)(-(int)rc);
	return rc;
}

void fp_soup_get_alpha(char *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
	while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\0'))
		n--;
	dst[n] = '\0';
}

int fp_soup_get_numeric(const void *src, size_t n, uint64_t *value)
{
	const uint8_t *s = src;
	size_t i = 0;
	uint64_t v = 0;
	while (i < n && s[i] == ' ')
		i++;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return FP_SOUP_ERR_FIELD;
		if (v > (UINT64_MAX - 9) / 10)
			return FP_SOUP_ERR_FIELD;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*value = v;
	return 0;
}

void fp_soup_put_alpha(void *dst, const char *s, size_t n)
{
	size_t l = s ? strnlen(s, n) : 0;
	memcpy(dst, s ? s : "", l);
	memset((uint8_t *)dst + l, ' ', n - l);
}

int fp_soup_put_numeric(void *dst, uint64_t v, size_t n)
{
	uint8_t *d = dst;
	size_t i = n;
	do {
		if (i == 0)
			return -1;
		d[--i] = (uint8_t)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	memset(d, ' ', i);
	return 0;
}

int fp_soup_parse_login_request(const struct fp_soup_pkt *pkt, struct fp_soup_login *out)
{
	if (pkt->type != FP_SOUP_LOGIN_REQUEST ||
	    pkt->payload_len != soup_fixed_payload(FP_SOUP_LOGIN_REQUEST))
		return FP_SOUP_ERR_LENGTH;
	const uint8_t *p = pkt->payload;
	fp_soup_get_alpha(out->username, p, FP_SOUP_USERNAME_LEN);
	p += FP_SOUP_USERNAME_LEN;
	fp_soup_get_alpha(out->password, p, FP_SOUP_PASSWORD_LEN);
	p += FP_SOUP_PASSWORD_LEN;
	fp_soup_get_alpha(out->session, p, FP_SOUP_SESSION_LEN);
	p += FP_SOUP_SESSION_LEN;
	/* The session is alpha but real venues right-justify it: trim leading blanks too. */
	size_t lead = strspn(out->session, " ");
	memmove(out->session, out->session + lead, strlen(out->session + lead) + 1);
	return fp_soup_get_numeric(p, FP_SOUP_SEQNUM_LEN, &out->sequence_number);
}

int fp_soup_parse_login_accepted(const struct fp_soup_pkt *pkt, struct fp_soup_login *out)
{
	if (pkt->type != FP_SOUP_LOGIN_ACCEPTED ||
	    pkt->payload_len != soup_fixed_payload(FP_SOUP_LOGIN_ACCEPTED))
		return FP_SOUP_ERR_LENGTH;
	memset(out->username, 0, sizeof(out->username));
	memset(out->password, 0, sizeof(out->password));
	fp_soup_get_alpha(out->session, pkt->payload, FP_SOUP_SESSION_LEN);
	size_t lead = strspn(out->session, " ");
	memmove(out->session, out->session + lead, strlen(out->session + lead) + 1);
	return fp_soup_get_numeric(pkt->payload + FP_SOUP_SESSION_LEN, FP_SOUP_SEQNUM_LEN,
				   &out->sequence_number);
}

size_t fp_soup_build_empty(void *buf, size_t cap, uint8_t type)
{
	if (cap < FP_SOUP_HDR_SIZE)
		return 0;
	return fp_soup_put_hdr(buf, type, 0);
}

size_t fp_soup_build_data(void *buf, size_t cap, uint8_t type, const void *payload,
			  size_t payload_len)
{
	if (cap < FP_SOUP_HDR_SIZE + payload_len || payload_len > 65534)
		return 0;
	fp_soup_put_hdr(buf, type, payload_len);
	memcpy((uint8_t *)buf + FP_SOUP_HDR_SIZE, payload, payload_len);
	return FP_SOUP_HDR_SIZE + payload_len;
}

size_t fp_soup_build_login_request(void *buf, size_t cap, const char *username,
				   const char *password, const char *session, uint64_t seq)
{
	struct fp_soup_login_request *p = buf;
	if (cap < sizeof(*p))
		return 0;
	fp_soup_put_hdr(p, FP_SOUP_LOGIN_REQUEST, sizeof(*p) - FP_SOUP_HDR_SIZE);
	fp_soup_put_alpha(p->username, username, FP_SOUP_USERNAME_LEN);
	fp_soup_put_alpha(p->password, password, FP_SOUP_PASSWORD_LEN);
	fp_soup_put_alpha(p->requested_session, session, FP_SOUP_SESSION_LEN);
	if (fp_soup_put_numeric(p->requested_sequence_number, seq, FP_SOUP_SEQNUM_LEN) < 0)
		return 0;
	return sizeof(*p);
}

size_t fp_soup_build_login_accepted(void *buf, size_t cap, const char *session, uint64_t next_seq)
{
	struct fp_soup_login_accepted *p = buf;
	if (cap < sizeof(*p))
		return 0;
	fp_soup_put_hdr(p, FP_SOUP_LOGIN_ACCEPTED, sizeof(*p) - FP_SOUP_HDR_SIZE);
	fp_soup_put_alpha(p->session, session, FP_SOUP_SESSION_LEN);
	if (fp_soup_put_numeric(p->sequence_number, next_seq, FP_SOUP_SEQNUM_LEN) < 0)
		return 0;
	return sizeof(*p);
}

size_t fp_soup_build_login_rejected(void *buf, size_t cap, uint8_t reason)
{
	struct fp_soup_login_rejected *p = buf;
	if (cap < sizeof(*p))
		return 0;
	fp_soup_put_hdr(p, FP_SOUP_LOGIN_REJECTED, 1);
	p->reject_reason_code = reason;
	return sizeof(*p);
}

const char *fp_soup_rc_str(enum fp_soup_rc rc)
{
	switch (rc) {
	case FP_SOUP_OK:
		return "ok";
	case FP_SOUP_NEED_MORE:
		return "need more bytes";
	case FP_SOUP_ERR_EMPTY:
		return "packet length 0";
	case FP_SOUP_ERR_OVERSIZE:
		return "packet length above the limit";
	case FP_SOUP_ERR_TYPE:
		return "unknown or misdirected packet type";
	case FP_SOUP_ERR_LENGTH:
		return "wrong length for a fixed-size packet";
	case FP_SOUP_ERR_FIELD:
		return "numeric field is not a number";
	}
	return "?";
}
