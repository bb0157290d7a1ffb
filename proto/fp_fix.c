/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_fix.c - FIX 4.4 tag=value codec (API and limits in fp_fix.h). Follows the FIX 4.4
 * specification, Volume 1 (message format: BeginString, BodyLength and MsgType first,
 * CheckSum last) and Volume 2 (session messages). No I/O, no allocation.
 *
 * Encoding: the body is written first, at FP_FIX_HDR_ROOM bytes into the caller's buffer
 * (template, MsgSeqNum, SendingTime, then the fields, each in place); fp_fix_finish() then
 * writes "8=FIX.4.4|9=<n>|" backwards right in front of the body, so BodyLength needs no
 * padding and no second copy, and sums every byte once for the CheckSum.
 */
#include <string.h>

#include "fp_fix.h"

/* ---- numbers ---- */

/* Digits of @p v into the end of tmp[20]; @return the first digit. */
static inline char *u64_digits(char tmp[20], uint64_t v)
{
	char *q = tmp + 20;
	do {
		*--q = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return q;
}

static int parse_u64(const uint8_t *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (n == 0 || n > 19)
		return FP_FIX_ERR_NUMBER;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return FP_FIX_ERR_NUMBER;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

enum fp_fix_rc fp_fix_price_from_text(const char *s, size_t n, int64_t *px4)
{
	size_t i = 0;
	int neg = 0;
	uint64_t ip = 0, frac = 0;
	unsigned nd = 0, nf = 0;
	if (n > 0 && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	for (; i < n && s[i] != '.'; i++, nd++) {
		if (s[i] < '0' || s[i] > '9' || nd >= 15) /* 10^15 x 10^4 fits int64 */
			return FP_FIX_ERR_NUMBER;
		ip = ip * 10 + (uint64_t)(s[i] - '0');
	}
	if (i < n) { /* '.' */
		i++;
		for (; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return FP_FIX_ERR_NUMBER;
			if (nf < 4) {
				frac = frac * 10 + (uint64_t)(s[i] - '0');
				nf++;
			} else if (s[i] != '0') {
				return FP_FIX_ERR_PRICE_INEXACT;
			}
		}
		if (nd == 0 && nf == 0)
			return FP_FIX_ERR_NUMBER; /* "." or "-." */
	} else if (nd == 0) {
		return FP_FIX_ERR_NUMBER; /* "" or "-" */
	}
	for (; nf < 4; nf++)
		frac *= 10;
	int64_t v = (int64_t)(ip * 10000 + frac);
	*px4 = neg ? -v : v;
	return FP_FIX_OK;
}

size_t fp_fix_price_to_text(char *out, int64_t px4)
{
	char tmp[20];
	size_t n = 0;
	uint64_t mag = px4 < 0 ? (uint64_t)0 - (uint64_t)px4 : (uint64_t)px4;
	if (px4 < 0)
		out[n++] = '-';
	uint64_t ip = mag / 10000, frac = mag % 10000;
	const char *d = u64_digits(tmp, ip);
	size_t k = (size_t)(tmp + 20 - d);
	memcpy(out + n, d, k);
	n += k;
	if (frac) {
		char f[4] = {(char)('0' + frac / 1000), (char)('0' + frac / 100 % 10),
			     (char)('0' + frac / 10 % 10), (char)('0' + frac % 10)};
		unsigned nf = 4;
		while (f[nf - 1] == '0')
			nf--;
		out[n++] = '.';
		memcpy(out + n, f, nf);
		n += nf;
	}
	return n;
}

/* ---- parsing ---- */

enum fp_fix_rc fp_fix_parse(const uint8_t *buf, size_t len, struct fp_fix_msg *msg)
{
	size_t begin = len < FP_FIX_BEGIN_LEN ? len : FP_FIX_BEGIN_LEN;
	if (memcmp(buf, FP_FIX_BEGIN, begin) != 0)
		return FP_FIX_ERR_BEGIN;
	if (len < FP_FIX_BEGIN_LEN + 2)
		return FP_FIX_NEED_MORE;
	if (buf[FP_FIX_BEGIN_LEN] != '9' || buf[FP_FIX_BEGIN_LEN + 1] != '=')
		return FP_FIX_ERR_BODY_LENGTH;
	/* BodyLength: 1 to 4 digits (FP_FIX_MAX_BODY), then SOH. */
	size_t pos = FP_FIX_BEGIN_LEN + 2, body_len = 0, nd = 0;
	for (;; pos++, nd++) {
		if (pos >= len)
			return FP_FIX_NEED_MORE;
		if (buf[pos] == FP_FIX_SOH)
			break;
		if (buf[pos] < '0' || buf[pos] > '9' || nd >= 4)
			return FP_FIX_ERR_BODY_LENGTH;
		body_len = body_len * 10 + (size_t)(buf[pos] - '0');
	}
	if (nd == 0 || body_len > FP_FIX_MAX_BODY || body_len < 5) /* "35=x|" at least */
		return FP_FIX_ERR_BODY_LENGTH;
	size_t body = pos + 1, body_end = body + body_len, total = body_end + FP_FIX_TRAILER;
	if (total > len)
		return FP_FIX_NEED_MORE;
	const uint8_t *t = buf + body_end;
	if (buf[body_end - 1] != FP_FIX_SOH || t[0] != '1' || t[1] != '0' || t[2] != '=' ||
	    t[6] != FP_FIX_SOH || t[3] < '0' || t[3] > '9' || t[4] < '0' || t[4] > '9' ||
	    t[5] < '0' || t[5] > '9')
		return FP_FIX_ERR_CHECKSUM;
	unsigned sum = 0;
	for (size_t i = 0; i < body_end; i++)
		sum += buf[i];
	if ((sum & 0xff) != (unsigned)((t[3] - '0') * 100 + (t[4] - '0') * 10 + (t[5] - '0')))
		return FP_FIX_ERR_CHECKSUM;

	msg->buf = buf;
	msg->len = (uint32_t)total;
	msg->nb_fields = 0;
	msg->seq_num = 0;
	msg->poss_dup = 0;
	msg->msg_type[0] = '\0';
	for (pos = body; pos < body_end;) {
		uint32_t tag = 0;
		size_t k = pos;
		for (; k < body_end && buf[k] >= '0' && buf[k] <= '9' && k - pos < 9; k++)
			tag = tag * 10 + (uint32_t)(buf[k] - '0');
		if (k == pos || buf[k] != '=' || buf[pos] == '0')
			return FP_FIX_ERR_TAG;
		size_t v = ++k;
		while (buf[k] != FP_FIX_SOH) /* body_end - 1 is SOH: bounded */
			k++;
		if (k == v)
			return FP_FIX_ERR_VALUE;
		if (msg->nb_fields == FP_FIX_MAX_FIELDS)
			return FP_FIX_ERR_TOO_MANY;
		if (msg->nb_fields == 0 && tag != FP_FIX_TAG_MSG_TYPE)
			return FP_FIX_ERR_MSG_TYPE;
		struct fp_fix_field *f = &msg->f[msg->nb_fields++];
		f->tag = tag;
		f->off = (uint16_t)v;
		f->len = (uint16_t)(k - v);
		if (tag == FP_FIX_TAG_MSG_TYPE && msg->nb_fields == 1) {
			if (f->len > 2)
				return FP_FIX_ERR_MSG_TYPE;
			memcpy(msg->msg_type, buf + v, f->len);
			msg->msg_type[f->len] = '\0';
		} else if (tag == FP_FIX_TAG_MSG_SEQ_NUM) {
			if (parse_u64(buf + v, f->len, &msg->seq_num) < 0)
				return FP_FIX_ERR_NUMBER;
		} else if (tag == FP_FIX_TAG_POSS_DUP_FLAG) {
			msg->poss_dup = f->len == 1 && buf[v] == 'Y';
		}
		pos = k + 1;
	}
	return FP_FIX_OK;
}

const struct fp_fix_field *fp_fix_find(const struct fp_fix_msg *msg, uint32_t tag)
{
	for (uint32_t i = 0; i < msg->nb_fields; i++)
		if (msg->f[i].tag == tag)
			return &msg->f[i];
	return NULL;
}

int fp_fix_get_u64(const struct fp_fix_msg *msg, uint32_t tag, uint64_t *out)
{
	const struct fp_fix_field *f = fp_fix_find(msg, tag);
	return f ? parse_u64(msg->buf + f->off, f->len, out) : -1;
}

int fp_fix_get_price(const struct fp_fix_msg *msg, uint32_t tag, int64_t *out)
{
	const struct fp_fix_field *f = fp_fix_find(msg, tag);
	return f ? (int)fp_fix_price_from_text((const char *)msg->buf + f->off, f->len, out) : -1;
}

const char *fp_fix_get_str(const struct fp_fix_msg *msg, uint32_t tag, size_t *len)
{
	const struct fp_fix_field *f = fp_fix_find(msg, tag);
	if (!f)
		return NULL;
	*len = f->len;
	return (const char *)msg->buf + f->off;
}

/* ---- encoding ---- */

int fp_fix_tmpl_init(struct fp_fix_tmpl *t, const char *msg_type, const char *sender,
		     const char *target)
{
	size_t lt = strlen(msg_type), ls = strlen(sender), lg = strlen(target);
	if (lt == 0 || lt > 2 || ls == 0 || ls > 32 || lg == 0 || lg > 32)
		return FP_FIX_ERR_NOSPACE;
	uint8_t *p = t->b;
#define PUT(s, n) (memcpy(p, (s), (n)), p += (n))
	PUT("35=", 3);
	PUT(msg_type, lt);
	PUT("\x01"
	    "49=",
	    4);
	PUT(sender, ls);
	PUT("\x01"
	    "56=",
	    4);
	PUT(target, lg);
	PUT("\x01"
	    "34=",
	    4);
#undef PUT
	t->len = (uint16_t)(p - t->b);
	return 0;
}

static inline uint8_t *put_tag(struct fp_fix_writer *w, uint32_t tag, size_t value_len)
{
	char tmp[20];
	const char *d = u64_digits(tmp, tag);
	size_t k = (size_t)(tmp + 20 - d);
	if (w->err || (size_t)(w->end - w->p) < k + 2 + value_len) {
		w->err = FP_FIX_ERR_NOSPACE;
		return NULL;
	}
	memcpy(w->p, d, k);
	w->p[k] = '=';
	uint8_t *v = w->p + k + 1;
	v[value_len] = FP_FIX_SOH;
	w->p = v + value_len + 1;
	return v;
}

void fp_fix_put_str(struct fp_fix_writer *w, uint32_t tag, const char *s, size_t n)
{
	uint8_t *v = put_tag(w, tag, n);
	if (v)
		memcpy(v, s, n);
}

void fp_fix_put_char(struct fp_fix_writer *w, uint32_t tag, char c)
{
	uint8_t *v = put_tag(w, tag, 1);
	if (v)
		*v = (uint8_t)c;
}

void fp_fix_put_u64(struct fp_fix_writer *w, uint32_t tag, uint64_t x)
{
	char tmp[20];
	const char *d = u64_digits(tmp, x);
	fp_fix_put_str(w, tag, d, (size_t)(tmp + 20 - d));
}

void fp_fix_put_price(struct fp_fix_writer *w, uint32_t tag, int64_t px4)
{
	char tmp[24];
	fp_fix_put_str(w, tag, tmp, fp_fix_price_to_text(tmp, px4));
}

/* Days since 1970-01-01 to a civil date (H. Hinnant, "chrono-Compatible Low-Level Date
 * Algorithms"): integer arithmetic only, valid for every date fastpath meets. */
static void civil_from_days(int64_t z, unsigned *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (unsigned)((int64_t)yoe + era * 400 + (*m <= 2));
}

static inline void put2(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)('0' + v / 10);
	p[1] = (uint8_t)('0' + v % 10);
}

void fp_fix_put_utc(struct fp_fix_writer *w, uint32_t tag, uint64_t ns)
{
	uint8_t *v = put_tag(w, tag, FP_FIX_UTC_LEN);
	if (!v)
		return;
	uint64_t s = ns / 1000000000u;
	unsigned ms = (unsigned)(ns / 1000000u % 1000u), sod = (unsigned)(s % 86400u);
	unsigned y, mo, d;
	civil_from_days((int64_t)(s / 86400u), &y, &mo, &d);
	put2(v, y / 100 % 100);
	put2(v + 2, y % 100);
	put2(v + 4, mo);
	put2(v + 6, d);
	v[8] = '-';
	put2(v + 9, sod / 3600);
	v[11] = ':';
	put2(v + 12, sod / 60 % 60);
	v[14] = ':';
	put2(v + 15, sod % 60);
	v[17] = '.';
	v[18] = (uint8_t)('0' + ms / 100);
	put2(v + 19, ms % 100);
}

void fp_fix_begin(struct fp_fix_writer *w, uint8_t *buf, size_t cap, const struct fp_fix_tmpl *t,
		  uint64_t seq, uint64_t sending_time_ns)
{
	w->buf = buf;
	w->end = buf + cap;
	w->err = 0;
	if (cap < (size_t)FP_FIX_HDR_ROOM + t->len + FP_FIX_TRAILER) {
		w->p = buf;
		w->err = FP_FIX_ERR_NOSPACE;
		return;
	}
	w->p = buf + FP_FIX_HDR_ROOM;
	memcpy(w->p, t->b, t->len); /* "35=D|49=..|56=..|34=" */
	w->p += t->len;
	char tmp[20];
	const char *d = u64_digits(tmp, seq);
	size_t k = (size_t)(tmp + 20 - d);
	if ((size_t)(w->end - w->p) < k + 1) {
		w->err = FP_FIX_ERR_NOSPACE;
		return;
	}
	memcpy(w->p, d, k);
	w->p[k] = FP_FIX_SOH;
	w->p += k + 1;
	fp_fix_put_utc(w, FP_FIX_TAG_SENDING_TIME, sending_time_ns);
}

int fp_fix_finish(struct fp_fix_writer *w, const uint8_t **msg)
{
	uint8_t *body = w->buf + FP_FIX_HDR_ROOM;
	size_t body_len = (size_t)(w->p - body);
	if (w->err || (size_t)(w->end - w->p) < FP_FIX_TRAILER || body_len > FP_FIX_MAX_BODY)
		return w->err ? w->err : FP_FIX_ERR_NOSPACE;
	/* "8=FIX.4.4|9=<n>|" right in front of the body, written backwards. */
	uint8_t *s = body;
	*--s = FP_FIX_SOH;
	char tmp[20];
	const char *d = u64_digits(tmp, body_len);
	size_t k = (size_t)(tmp + 20 - d);
	s -= k;
	memcpy(s, d, k);
	s -= FP_FIX_BEGIN_LEN + 2;
	memcpy(s, FP_FIX_BEGIN "9=", FP_FIX_BEGIN_LEN + 2);
	/* One pass for the CheckSum: every byte from '8' to the SOH before 10=. */
	unsigned sum = 0;
	for (const uint8_t *q = s; q < w->p; q++)
		sum += *q;
	sum &= 0xff;
	uint8_t *t = w->p;
	t[0] = '1';
	t[1] = '0';
	t[2] = '=';
	t[3] = (uint8_t)('0' + sum / 100);
	put2(t + 4, sum % 100);
	t[6] = FP_FIX_SOH;
	w->p += FP_FIX_TRAILER;
	*msg = s;
	return (int)(w->p - s);
}

void fp_fix_put_new_order(struct fp_fix_writer *w, const struct fp_fix_new_order *o)
{
	if (o->account)
		fp_fix_put_str(w, FP_FIX_TAG_ACCOUNT, o->account, strlen(o->account));
	fp_fix_put_str(w, FP_FIX_TAG_CL_ORD_ID, o->cl_ord_id, strlen(o->cl_ord_id));
	fp_fix_put_char(w, FP_FIX_TAG_HANDL_INST, '1');
	fp_fix_put_u64(w, FP_FIX_TAG_ORDER_QTY, o->qty);
	fp_fix_put_char(w, FP_FIX_TAG_ORD_TYPE, '2');
	fp_fix_put_price(w, FP_FIX_TAG_PRICE, o->price);
	fp_fix_put_char(w, FP_FIX_TAG_SIDE, o->side);
	fp_fix_put_str(w, FP_FIX_TAG_SYMBOL, o->symbol, strlen(o->symbol));
	fp_fix_put_char(w, FP_FIX_TAG_TIME_IN_FORCE, o->time_in_force);
	fp_fix_put_utc(w, FP_FIX_TAG_TRANSACT_TIME, o->transact_ns);
}

const char *fp_fix_rc_str(int rc)
{
	switch (rc) {
	case FP_FIX_OK:
		return "ok";
	case FP_FIX_NEED_MORE:
		return "incomplete message";
	case FP_FIX_ERR_BEGIN:
		return "BeginString is not FIX.4.4";
	case FP_FIX_ERR_BODY_LENGTH:
		return "BodyLength missing, not a number or too large";
	case FP_FIX_ERR_CHECKSUM:
		return "CheckSum missing, misplaced or wrong";
	case FP_FIX_ERR_TAG:
		return "garbled tag";
	case FP_FIX_ERR_VALUE:
		return "empty value";
	case FP_FIX_ERR_TOO_MANY:
		return "too many fields";
	case FP_FIX_ERR_MSG_TYPE:
		return "MsgType is not the first body field";
	case FP_FIX_ERR_NOSPACE:
		return "buffer too small";
	case FP_FIX_ERR_NUMBER:
		return "not a number";
	case FP_FIX_ERR_PRICE_INEXACT:
		return "price has more than 4 significant decimals";
	}
	return "?";
}
