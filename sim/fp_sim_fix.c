/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_sim_fix.c - the simulator's FIX 4.4 acceptor over TCP or TLS (API in fp_sim_fix.h): a
 * front end over the OUCH acceptor's accounts, so the engine, the accounts' records and
 * the feed are shared.
 *
 * Definitions.
 *   sess     the FIX session of one account (index = the OUCH account's): both sequence
 *            numbers, the history of application messages sent (slot = seq % HISTORY),
 *            the orders by UserRefNum (slot = urn % ORDERS) and ClOrdID -> UserRefNum,
 *            and ouch_next, the account's next OUCH message to translate.
 *   conn     one TCP (TLS) connection: FREE -> HANDSHAKE (TLS) -> LOGON -> ACTIVE -> FREE.
 *
 * Invariants.
 *   (1) once a session has logged on, every OUCH message of its account is translated in
 *       the poll it appears, connected or not, so a FIX MsgSeqNum is given to each answer
 *       before the client's next Logon: a reconnecting client asks for them by number.
 *   (2) a session has at most one ACTIVE conn; a newer Logon takes it over.
 *   (3) the OUCH UserRefNum of a FIX request is the account's last + 1 (strictly rising).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "fp_err.h"
#include "fp_fix.h"
#include "fp_sim_fix.h"

#define RX_BUF   16384
#define OUT_BUF  (1 << 18)
#define MSG_BUF  1024
#define BODY_MAX 400
#define ID_LEN   32

enum conn_state { C_FREE = 0, C_HANDSHAKE, C_LOGON, C_ACTIVE };

struct fix_ord {
	uint32_t urn;      /* 0 = free slot */
	uint32_t orig_urn; /* a replace request: the leg it replaces */
	uint32_t qty, cum, leaves;
	int64_t price;
	int64_t cash; /* sum of LastQty x LastPx, for AvgPx */
	char side, tif;
	char id[ID_LEN + 1];
	char cxl_id[ID_LEN + 1]; /* a cancel request in flight: its ClOrdID */
	char sym[9];
};

struct id_ent {
	uint64_t h; /* ClOrdID hash, 0 = free */
	uint32_t urn;
};

struct hist_slot {
	uint64_t seq;
	uint64_t sent_ns;
	uint16_t len;
	char type[3];
	uint8_t body[BODY_MAX];
};

struct fp_sim_fix_sess {
	uint64_t out_seq; /* next MsgSeqNum we send */
	uint64_t in_next; /* next MsgSeqNum expected */
	uint64_t ouch_next;
	uint32_t conn; /* index + 1 of the ACTIVE conn, 0 = none */
	uint8_t started;
	char peer[ID_LEN + 1];
	struct hist_slot *hist;
	struct fix_ord *ords;
	struct id_ent *ids;
};

struct fp_sim_fix_conn {
	int fd;
	SSL *ssl;
	uint8_t state;
	uint32_t sess;
	uint32_t hb_ms;
	uint64_t last_rx_ms, last_tx_ms;
	uint32_t rx_len, out_len;
	char peer[ID_LEN + 1];
	uint8_t rx[RX_BUF];
	uint8_t out[OUT_BUF];
};

/* ---- helpers ---- */

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t hash_id(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
	return h ? h : 1;
}

static bool is(const struct fp_fix_msg *m, const char *t)
{
	return strcmp(m->msg_type, t) == 0;
}

static size_t get_str(const struct fp_fix_msg *m, uint32_t tag, char *out, size_t cap)
{
	size_t n;
	const char *s = fp_fix_get_str(m, tag, &n);
	if (s == NULL || n >= cap)
		return 0;
	memcpy(out, s, n);
	out[n] = '\0';
	return n;
}

static char get_char(const struct fp_fix_msg *m, uint32_t tag)
{
	size_t n;
	const char *s = fp_fix_get_str(m, tag, &n);
	return s && n == 1 ? s[0] : 0;
}

/* ---- order table ---- */

static struct fix_ord *ord_at(struct fp_sim_fix_sess *s, uint32_t urn)
{
	struct fix_ord *o = &s->ords[urn & (FP_SIM_FIX_ORDERS - 1)];
	return urn && o->urn == urn ? o : NULL;
}

static uint32_t id_find(const struct fp_sim_fix_sess *s, const char *id)
{
	uint64_t h = hash_id(id, strlen(id));
	for (uint32_t i = (uint32_t)h & (2 * FP_SIM_FIX_ORDERS - 1);;
	     i = (i + 1) & (2 * FP_SIM_FIX_ORDERS - 1)) {
		if (s->ids[i].h == 0)
			return 0;
		if (s->ids[i].h == h)
			return s->ids[i].urn;
	}
}

/* ClOrdID -> its leg's UserRefNum; the table keeps one entry per ClOrdID of the day. */
static int id_put(struct fp_sim_fix_sess *s, const char *id, uint32_t urn)
{
	uint64_t h = hash_id(id, strlen(id));
	uint32_t mask = 2 * FP_SIM_FIX_ORDERS - 1, i = (uint32_t)h & mask, n = 0;
	while (s->ids[i].h != 0 && s->ids[i].h != h) {
		i = (i + 1) & mask;
		if (++n > FP_SIM_FIX_ORDERS)
			return -1;
	}
	s->ids[i].h = h;
	s->ids[i].urn = urn;
	return 0;
}

/* ---- output ---- */

static void conn_close(struct fp_sim_fix *fx, struct fp_sim_fix_conn *c);

static void conn_put(struct fp_sim_fix *fx, struct fp_sim_fix_conn *c, const uint8_t *b, size_t n)
{
	if (c->out_len + n > OUT_BUF) { /* a reader this slow is cut (it can resend later) */
		conn_close(fx, c);
		return;
	}
	memcpy(c->out + c->out_len, b, n);
	c->out_len += (uint32_t)n;
	c->last_tx_ms = fx->now_ms;
}

static void conn_flush(struct fp_sim_fix *fx, struct fp_sim_fix_conn *c)
{
	if (c->state < C_LOGON || c->out_len == 0)
		return;
	long k;
	if (c->ssl) {
		ERR_clear_error();
		int r = SSL_write(c->ssl, c->out, (int)c->out_len);
		if (r <= 0) {
			int e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
				return;
			conn_close(fx, c);
			return;
		}
		k = r;
	} else {
		k = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				conn_close(fx, c);
			return;
		}
	}
	memmove(c->out, c->out + k, c->out_len - (size_t)k);
	c->out_len -= (uint32_t)k;
}

/* One message of @p type with @p body (tag=value SOH ..., after SendingTime) and MsgSeqNum
 * @p seq to @p c; PossDupFlag and OrigSendingTime when @p orig_ns. */
static void send_msg(struct fp_sim_fix *fx, struct fp_sim_fix_conn *c, const char *type,
		     uint64_t seq, const uint8_t *body, size_t blen, uint64_t orig_ns)
{
	struct fp_fix_tmpl t;
	struct fp_fix_writer w;
	uint8_t buf[MSG_BUF];
	const uint8_t *m;
	if (c == NULL || c->state < C_LOGON ||
	    fp_fix_tmpl_init(&t, type, fx->comp_id, c->peer) != 0)
		return;
	fp_fix_begin(&w, buf, sizeof(buf), &t, seq, wall_ns());
	if (orig_ns) {
		fp_fix_put_char(&w, FP_FIX_TAG_POSS_DUP_FLAG, 'Y');
		fp_fix_put_utc(&w, FP_FIX_TAG_ORIG_SENDING_TIME, orig_ns);
	}
	if (blen && (size_t)(w.end - w.p) > blen) {
		memcpy(w.p, body, blen);
		w.p += blen;
	}
	int n = fp_fix_finish(&w, &m);
	if (n > 0) {
		conn_put(fx, c, m, (size_t)n);
		fx->st.nb_msgs_out++;
	}
}

static struct fp_sim_fix_conn *sess_conn(struct fp_sim_fix *fx, struct fp_sim_fix_sess *s)
{
	return s->conn ? &fx->conns[s->conn - 1] : NULL;
}

/* An admin message: numbered, not kept for resend. */
static void send_admin(struct fp_sim_fix *fx, struct fp_sim_fix_conn *c, struct fp_sim_fix_sess *s,
		       const char *type, const uint8_t *body, size_t blen)
{
	send_msg(fx, c, type, s->out_seq++, body, blen, 0);
}

/* An application message: numbered, kept for resend, sent when connected (invariant 1). */
static void send_app(struct fp_sim_fix *fx, struct fp_sim_fix_sess *s, const char *type,
		     const uint8_t *body, size_t blen)
{
	uint64_t seq = s->out_seq++;
	struct hist_slot *h = &s->hist[seq % FP_SIM_FIX_HISTORY];
	h->seq = seq;
	h->sent_ns = wall_ns();
	h->len = (uint16_t)(blen < BODY_MAX ? blen : BODY_MAX);
	snprintf(h->type, sizeof(h->type), "%s", type);
	memcpy(h->body, body, h->len);
	struct fp_sim_fix_conn *c = sess_conn(fx, s);
	if (c && c->state == C_ACTIVE)
		send_msg(fx, c, type, seq, body, h->len, 0);
}

/* A body under construction. */
struct body {
	uint8_t b[BODY_MAX];
	size_t n;
};

static void b_str(struct body *b, uint32_t tag, const char *s)
{
	int k = snprintf((char *)b->b + b->n, sizeof(b->b) - b->n, "%u=%s\x01", tag, s);
	if (k > 0 && b->n + (size_t)k < sizeof(b->b))
		b->n += (size_t)k;
}

static void b_u64(struct body *b, uint32_t tag, uint64_t v)
{
	char t[24];
	snprintf(t, sizeof(t), "%llu", (unsigned long long)v);
	b_str(b, tag, t);
}

static void b_chr(struct body *b, uint32_t tag, char c)
{
	char t[2] = {c, 0};
	b_str(b, tag, t);
}

static void b_px(struct body *b, uint32_t tag, int64_t px)
{
	char t[24];
	t[fp_fix_price_to_text(t, px)] = '\0';
	b_str(b, tag, t);
}

/* ---- OUCH answers -> FIX ---- */

static char ord_status(const struct fix_ord *o)
{
	if (o->leaves == 0)
		return o->cum >= o->qty && o->qty ? '2' : '4';
	return o->cum ? '1' : '0';
}

static void exec_report(struct fp_sim_fix *fx, struct fp_sim_fix_sess *s, const struct fix_ord *o,
			char exec_type, const char *cl_id, const char *orig_id, uint64_t order_ref,
			const char *exec_id, uint32_t last_qty, int64_t last_px, char status)
{
	struct body b = {.n = 0};
	b_u64(&b, FP_FIX_TAG_ORDER_ID, order_ref);
	b_str(&b, FP_FIX_TAG_CL_ORD_ID, cl_id);
	if (orig_id)
		b_str(&b, FP_FIX_TAG_ORIG_CL_ORD_ID, orig_id);
	b_str(&b, FP_FIX_TAG_EXEC_ID, exec_id);
	b_chr(&b, FP_FIX_TAG_EXEC_TYPE, exec_type);
	b_chr(&b, FP_FIX_TAG_ORD_STATUS, status);
	b_str(&b, FP_FIX_TAG_SYMBOL, o->sym);
	b_chr(&b, FP_FIX_TAG_SIDE, o->side);
	b_u64(&b, FP_FIX_TAG_ORDER_QTY, o->qty);
	b_chr(&b, FP_FIX_TAG_ORD_TYPE, '2');
	b_px(&b, FP_FIX_TAG_PRICE, o->price);
	if (exec_type == 'F') {
		b_u64(&b, FP_FIX_TAG_LAST_QTY, last_qty);
		b_px(&b, FP_FIX_TAG_LAST_PX, last_px);
	}
	b_u64(&b, FP_FIX_TAG_LEAVES_QTY, o->leaves);
	b_u64(&b, FP_FIX_TAG_CUM_QTY, o->cum);
	b_px(&b, FP_FIX_TAG_AVG_PX, o->cum ? o->cash / (int64_t)o->cum : 0);
	send_app(fx, s, "8", b.b, b.n);
}

static void cancel_reject(struct fp_sim_fix *fx, struct fp_sim_fix_sess *s, const char *cl_id,
			  const char *orig_id, char status, char response_to, uint32_t reason,
			  uint64_t order_ref)
{
	struct body b = {.n = 0};
	if (order_ref)
		b_u64(&b, FP_FIX_TAG_ORDER_ID, order_ref);
	else
		b_str(&b, FP_FIX_TAG_ORDER_ID, "NONE");
	b_str(&b, FP_FIX_TAG_CL_ORD_ID, cl_id);
	b_str(&b, FP_FIX_TAG_ORIG_CL_ORD_ID, orig_id);
	b_chr(&b, FP_FIX_TAG_ORD_STATUS, status);
	b_chr(&b, FP_FIX_TAG_CXL_REJ_RESPONSE_TO, response_to);
	b_u64(&b, 102, reason); /* CxlRejReason */
	send_app(fx, s, "9", b.b, b.n);
}

static void translate(struct fp_sim_fix *fx, struct fp_sim_fix_sess *s, uint64_t seq,
		      const struct fp_ouch_msg *m)
{
	char exec_id[24];
	struct fix_ord *o = ord_at(s, m->user_ref_num), *old;
	snprintf(exec_id, sizeof(exec_id), "E%llu", (unsigned long long)seq);
	switch (m->type) {
	case FP_OUCH_ORDER_ACCEPTED:
		if (o == NULL)
			return;
		o->leaves = m->order_state == 'D' ? 0 : m->quantity;
		o->price = m->price;
		exec_report(fx, s, o, '0', o->id, NULL, m->order_reference_number, exec_id, 0, 0,
			    o->leaves ? '0' : '4');
		break;
	case FP_OUCH_ORDER_EXECUTED:
		if (o == NULL || m->quantity > o->leaves)
			return;
		o->leaves -= m->quantity;
		o->cum += m->quantity;
		o->cash += (int64_t)m->quantity * m->price;
		snprintf(exec_id, sizeof(exec_id), "%llu", (unsigned long long)m->match_number);
		exec_report(fx, s, o, 'F', o->id, NULL, 0, exec_id, m->quantity, m->price,
			    ord_status(o));
		break;
	case FP_OUCH_ORDER_CANCELED:
	case FP_OUCH_AIQ_CANCELED: {
		uint32_t dec =
			m->type == FP_OUCH_ORDER_CANCELED ? m->quantity : m->decrement_shares;
		if (o == NULL)
			return;
		o->leaves -= dec > o->leaves ? o->leaves : dec;
		bool req = o->cxl_id[0] != '\0';
		exec_report(fx, s, o, '4', req ? o->cxl_id : o->id, req ? o->id : NULL, 0, exec_id,
			    0, 0, ord_status(o));
		o->cxl_id[0] = '\0';
		break;
	}
	case FP_OUCH_ORDER_REPLACED:
		old = ord_at(s, m->orig_user_ref_num);
		if (o == NULL || old == NULL)
			return;
		o->cum = old->cum;
		o->cash = old->cash;
		o->leaves = m->order_state == 'D' ? 0 : m->quantity;
		o->price = m->price;
		old->leaves = 0;
		exec_report(fx, s, o, '5', o->id, old->id, m->order_reference_number, exec_id, 0, 0,
			    ord_status(o));
		break;
	case FP_OUCH_ORDER_REJECTED:
		if (o == NULL)
			return;
		if (o->orig_urn && (old = ord_at(s, o->orig_urn)) != NULL) {
			cancel_reject(fx, s, o->id, old->id, ord_status(old), '2', 99, 0);
		} else {
			struct body b = {.n = 0};
			b_str(&b, FP_FIX_TAG_ORDER_ID, "NONE");
			b_str(&b, FP_FIX_TAG_CL_ORD_ID, o->id);
			b_str(&b, FP_FIX_TAG_EXEC_ID, exec_id);
			b_chr(&b, FP_FIX_TAG_EXEC_TYPE, '8');
			b_chr(&b, FP_FIX_TAG_ORD_STATUS, '8');
			b_str(&b, FP_FIX_TAG_SYMBOL, o->sym);
			b_chr(&b, FP_FIX_TAG_SIDE, o->side);
			b_u64(&b, FP_FIX_TAG_ORDER_QTY, o->qty);
			b_u64(&b, 103, m->reject_reason == FP_OUCH_REJ_INVALID_SYMBOL ? 1 : 99);
			b_u64(&b, FP_FIX_TAG_LEAVES_QTY, 0);
			b_u64(&b, FP_FIX_TAG_CUM_QTY, 0);
			b_px(&b, FP_FIX_TAG_AVG_PX, 0);
			char t[32];
			snprintf(t, sizeof(t), "OUCH reject reason %u", m->reject_reason);
			b_str(&b, FP_FIX_TAG_TEXT, t);
			send_app(fx, s, "8", b.b, b.n);
		}
		break;
	case FP_OUCH_CANCEL_REJECT:
		if (o == NULL)
			return;
		cancel_reject(fx, s, o->cxl_id[0] ? o->cxl_id : o->id, o->id, ord_status(o), '1', 0,
			      0);
		o->cxl_id[0] = '\0';
		break;
	default: /* S, Q, M, T, B, ...: nothing a FIX client is told */
		break;
	}
}

static unsigned translate_all(struct fp_sim_fix *fx)
{
	unsigned work = 0;
	for (uint32_t i = 0; i < fx->nb_sess; i++) {
		struct fp_sim_fix_sess *s = &fx->sess[i];
		uint64_t end = fp_sim_oe_account_next_seq(fx->oe, i);
		for (; s->started && s->ouch_next < end; s->ouch_next++, work++) {
			size_t len;
			struct fp_ouch_msg m;
			const uint8_t *p = fp_sim_oe_history(fx->oe, i, s->ouch_next, &len);
			if (p && fp_ouch_decode(FP_OUCH_OUTBOUND, p, len, &m) == FP_OUCH_OK)
				translate(fx, s, s->ouch_next, &m);
		}
	}
	return work;
}

/* ---- FIX requests -> OUCH ---- */

static void reject_new(struct fp_sim_fix *fx, struct fp_sim_fix_sess *s, const struct fp_fix_msg *m,
		       uint32_t reason, const char *why)
{
	char id[ID_LEN + 1] = "NONE", sym[9] = "NONE";
	get_str(m, FP_FIX_TAG_CL_ORD_ID, id, sizeof(id));
	get_str(m, FP_FIX_TAG_SYMBOL, sym, sizeof(sym));
	char side = get_char(m, FP_FIX_TAG_SIDE);
	struct body b = {.n = 0};
	b_str(&b, FP_FIX_TAG_ORDER_ID, "NONE");
	b_str(&b, FP_FIX_TAG_CL_ORD_ID, id);
	b_str(&b, FP_FIX_TAG_EXEC_ID, "R");
	b_chr(&b, FP_FIX_TAG_EXEC_TYPE, '8');
	b_chr(&b, FP_FIX_TAG_ORD_STATUS, '8');
	b_str(&b, FP_FIX_TAG_SYMBOL, sym);
	b_chr(&b, FP_FIX_TAG_SIDE, side ? side : '1');
	b_u64(&b, 103, reason);
	b_u64(&b, FP_FIX_TAG_LEAVES_QTY, 0);
	b_u64(&b, FP_FIX_TAG_CUM_QTY, 0);
	b_px(&b, FP_FIX_TAG_AVG_PX, 0);
	b_str(&b, FP_FIX_TAG_TEXT, why);
	send_app(fx, s, "8", b.b, b.n);
	fx->st.nb_rejected++;
}

static char ouch_side(char fix)
{
	return fix == '1' ? 'B' : fix == '2' ? 'S' : fix == '5' ? 'T' : fix == '6' ? 'E' : 0;
}

static void pad(char *dst, const char *src, size_t n)
{
	size_t k = strlen(src);
	memset(dst, ' ', n);
	memcpy(dst, src, k < n ? k : n);
}

/* NewOrderSingle (D) or OrderCancelReplaceRequest (G): the order's fields. */
static int order_fields(struct fp_sim_fix *fx, struct fp_sim_fix_sess *s,
			const struct fp_fix_msg *m, struct fix_ord *o)
{
	uint64_t qty;
	memset(o, 0, sizeof(*o));
	o->side = get_char(m, FP_FIX_TAG_SIDE);
	o->tif = get_char(m, FP_FIX_TAG_TIME_IN_FORCE);
	if (!get_str(m, FP_FIX_TAG_CL_ORD_ID, o->id, sizeof(o->id)))
		return reject_new(fx, s, m, 99, "ClOrdID missing or longer than 32"), -1;
	if (!get_str(m, FP_FIX_TAG_SYMBOL, o->sym, sizeof(o->sym)))
		return reject_new(fx, s, m, 1, "Symbol missing or longer than 8"), -1;
	if (ouch_side(o->side) == 0)
		return reject_new(fx, s, m, 99, "Side not 1, 2, 5 or 6"), -1;
	if (get_char(m, FP_FIX_TAG_ORD_TYPE) != '2')
		return reject_new(fx, s, m, 99, "only limit orders (OrdType 2)"), -1;
	if (fp_fix_get_price(m, FP_FIX_TAG_PRICE, &o->price) != 0 || o->price <= 0)
		return reject_new(fx, s, m, 99, "Price missing or not exact to 4 decimals"), -1;
	if (fp_fix_get_u64(m, FP_FIX_TAG_ORDER_QTY, &qty) != 0 || qty == 0 ||
	    qty >= FP_OUCH_QTY_LIMIT)
		return reject_new(fx, s, m, 13, "OrderQty missing or out of range"), -1;
	if (id_find(s, o->id) != 0)
		return reject_new(fx, s, m, 6, "duplicate ClOrdID"), -1;
	o->qty = (uint32_t)qty;
	if (o->tif == 0)
		o->tif = '0';
	return 0;
}

static void on_new_order(struct fp_sim_fix *fx, uint32_t idx, const struct fp_fix_msg *m)
{
	struct fp_sim_fix_sess *s = &fx->sess[idx];
	struct fix_ord o;
	if (order_fields(fx, s, m, &o) < 0)
		return;
	uint32_t urn = fp_sim_oe_account_last_urn(fx->oe, idx) + 1; /* invariant (3) */
	o.urn = urn;
	if (id_put(s, o.id, urn) < 0)
		return reject_new(fx, s, m, 99, "too many orders today");
	s->ords[urn & (FP_SIM_FIX_ORDERS - 1)] = o;
	struct fp_ouch_msg q = {.type = FP_OUCH_ENTER_ORDER, .dir = FP_OUCH_INBOUND};
	q.user_ref_num = urn;
	q.side = (uint8_t)ouch_side(o.side);
	q.quantity = o.qty;
	q.price = o.price;
	q.time_in_force = (uint8_t)o.tif;
	q.display = 'Y';
	q.capacity = 'P';
	q.intermarket_sweep_eligibility = 'N';
	q.cross_type = 'N';
	pad(q.symbol, o.sym, 8);
	pad(q.cl_ord_id, o.id, 14);
	fx->st.nb_orders++;
	fp_sim_oe_apply(fx->oe, idx, &q);
}

static void on_cancel(struct fp_sim_fix *fx, uint32_t idx, const struct fp_fix_msg *m)
{
	struct fp_sim_fix_sess *s = &fx->sess[idx];
	char id[ID_LEN + 1] = "NONE", orig[ID_LEN + 1] = "NONE";
	get_str(m, FP_FIX_TAG_CL_ORD_ID, id, sizeof(id));
	get_str(m, FP_FIX_TAG_ORIG_CL_ORD_ID, orig, sizeof(orig));
	struct fix_ord *o = ord_at(s, id_find(s, orig));
	if (o == NULL || o->leaves == 0 || strcmp(o->id, orig) != 0) {
		fx->st.nb_rejected++;
		return cancel_reject(fx, s, id, orig, o ? ord_status(o) : '8', '1', o ? 0 : 1, 0);
	}
	snprintf(o->cxl_id, sizeof(o->cxl_id), "%s", id);
	struct fp_ouch_msg q = {.type = FP_OUCH_CANCEL_ORDER, .dir = FP_OUCH_INBOUND};
	q.user_ref_num = o->urn;
	q.quantity = 0;
	fp_sim_oe_apply(fx->oe, idx, &q);
}

static void on_replace(struct fp_sim_fix *fx, uint32_t idx, const struct fp_fix_msg *m)
{
	struct fp_sim_fix_sess *s = &fx->sess[idx];
	char orig[ID_LEN + 1] = "NONE";
	get_str(m, FP_FIX_TAG_ORIG_CL_ORD_ID, orig, sizeof(orig));
	struct fix_ord *old = ord_at(s, id_find(s, orig)), o;
	if (old == NULL || old->leaves == 0 || strcmp(old->id, orig) != 0) {
		char id[ID_LEN + 1] = "NONE";
		get_str(m, FP_FIX_TAG_CL_ORD_ID, id, sizeof(id));
		fx->st.nb_rejected++;
		return cancel_reject(fx, s, id, orig, old ? ord_status(old) : '8', '2', old ? 0 : 1,
				     0);
	}
	if (order_fields(fx, s, m, &o) < 0)
		return;
	uint32_t urn = fp_sim_oe_account_last_urn(fx->oe, idx) + 1;
	o.urn = urn;
	o.orig_urn = old->urn;
	if (id_put(s, o.id, urn) < 0)
		return reject_new(fx, s, m, 99, "too many orders today");
	s->ords[urn & (FP_SIM_FIX_ORDERS - 1)] = o;
	struct fp_ouch_msg q = {.type = FP_OUCH_REPLACE_ORDER, .dir = FP_OUCH_INBOUND};
	q.orig_user_ref_num = old->urn;
	q.user_ref_num = urn;
	q.quantity = o.qty;
	q.price = o.price;
	q.time_in_force = (uint8_t)o.tif;
	q.display = 'Y';
	q.intermarket_sweep_eligibility = 'N';
	pad(q.cl_ord_id, o.id, 14);
	fx->st.nb_orders++;
	fp_sim_oe_apply(fx->oe, idx, &q);
}

/* ---- session ---- */

static void logout_close(struct fp_sim_fix *fx, struct fp_sim_fix_conn *c, const char *why)
{
	struct body b = {.n = 0};
	if (why)
		b_str(&b, FP_FIX_TAG_TEXT, why);
	if (c->state == C_ACTIVE)
		send_admin(fx, c, &fx->sess[c->sess], "5", b.b, b.n);
	else
		send_msg(fx, c, "5", 1, b.b, b.n, 0);
	conn_flush(fx, c);
	conn_close(fx, c);
}

static void answer_resend(struct fp_sim_fix *fx, struct fp_sim_fix_conn *c,
			  struct fp_sim_fix_sess *s, const struct fp_fix_msg *m)
{
	uint64_t b = 0, e = 0;
	if (fp_fix_get_u64(m, FP_FIX_TAG_BEGIN_SEQ_NO, &b) != 0 || b == 0)
		return;
	fp_fix_get_u64(m, FP_FIX_TAG_END_SEQ_NO, &e);
	uint64_t last = e == 0 || e >= s->out_seq ? s->out_seq - 1 : e, gap = 0;
	for (uint64_t q = b; q <= last; q++) {
		struct hist_slot *h = &s->hist[q % FP_SIM_FIX_HISTORY];
		if (h->seq != q) {
			if (gap == 0)
				gap = q;
			continue;
		}
		if (gap) {
			struct body f = {.n = 0};
			b_chr(&f, FP_FIX_TAG_GAP_FILL_FLAG, 'Y');
			b_u64(&f, FP_FIX_TAG_NEW_SEQ_NO, q);
			send_msg(fx, c, "4", gap, f.b, f.n, wall_ns());
			gap = 0;
		}
		send_msg(fx, c, h->type, q, h->body, h->len, h->sent_ns);
		fx->st.nb_resent++;
	}
	if (gap) {
		struct body f = {.n = 0};
		b_chr(&f, FP_FIX_TAG_GAP_FILL_FLAG, 'Y');
		b_u64(&f, FP_FIX_TAG_NEW_SEQ_NO, last + 1);
		send_msg(fx, c, "4", gap, f.b, f.n, wall_ns());
	}
}

static void send_resend_request(struct fp_sim_fix *fx, struct fp_sim_fix_conn *c,
				struct fp_sim_fix_sess *s, uint64_t from, uint64_t to)
{
	struct body b = {.n = 0};
	b_u64(&b, FP_FIX_TAG_BEGIN_SEQ_NO, from);
	b_u64(&b, FP_FIX_TAG_END_SEQ_NO, to);
	send_admin(fx, c, s, "2", b.b, b.n);
}

static void on_logon(struct fp_sim_fix *fx, struct fp_sim_fix_conn *c, const struct fp_fix_msg *m)
{
	char user[64] = "", pass[64] = "";
	if (!is(m, "A"))
		return logout_close(fx, c, "first message not a Logon");
	get_str(m, FP_FIX_TAG_SENDER_COMP_ID, c->peer, sizeof(c->peer));
	if (!get_str(m, 553, user, sizeof(user)))
		snprintf(user, sizeof(user), "%s", c->peer);
	get_str(m, 554, pass, sizeof(pass));
	int idx = fp_sim_oe_account_find(fx->oe, user, pass);
	if (idx < 0 || (uint32_t)idx >= fx->nb_sess) {
		fx->st.nb_logon_rejected++;
		return logout_close(fx, c, "not authorized: unknown Username or wrong Password");
	}
	struct fp_sim_fix_sess *s = &fx->sess[idx];
	bool reset = get_char(m, FP_FIX_TAG_RESET_SEQ_NUM_FLAG) == 'Y';
	if (reset) {
		s->in_next = 1;
		s->out_seq = 1;
		for (uint32_t i = 0; i < FP_SIM_FIX_HISTORY; i++)
			s->hist[i].seq = 0;
	}
	if (m->seq_num < s->in_next) {
		char why[96];
		fx->st.nb_seq_low++;
		snprintf(why, sizeof(why), "MsgSeqNum too low, expecting %llu but received %llu",
			 (unsigned long long)s->in_next, (unsigned long long)m->seq_num);
		return logout_close(fx, c, why);
	}
	uint32_t me = (uint32_t)(c - fx->conns) + 1;
	if (s->conn && s->conn != me)
		conn_close(fx, &fx->conns[s->conn - 1]); /* invariant (2): takeover */
	s->conn = me;
	c->sess = (uint32_t)idx;
	c->state = C_ACTIVE;
	snprintf(s->peer, sizeof(s->peer), "%s", c->peer);
	if (!s->started) {
		s->started = 1;
		s->ouch_next = fp_sim_oe_account_next_seq(fx->oe, (uint32_t)idx);
	}
	uint64_t hb = 0;
	fp_fix_get_u64(m, FP_FIX_TAG_HEART_BT_INT, &hb);
	c->hb_ms = hb ? (uint32_t)(hb * 1000) : fx->heartbeat_ms;
	struct body b = {.n = 0};
	b_chr(&b, FP_FIX_TAG_ENCRYPT_METHOD, '0');
	b_u64(&b, FP_FIX_TAG_HEART_BT_INT, c->hb_ms / 1000 ? c->hb_ms / 1000 : 1);
	if (reset)
		b_chr(&b, FP_FIX_TAG_RESET_SEQ_NUM_FLAG, 'Y');
	send_admin(fx, c, s, "A", b.b, b.n);
	fx->st.nb_logons++;
	if (m->seq_num > s->in_next) /* the client's gap: asked for, then moved past */
		send_resend_request(fx, c, s, s->in_next, m->seq_num - 1);
	s->in_next = m->seq_num + 1;
}

static void on_msg(struct fp_sim_fix *fx, struct fp_sim_fix_conn *c, const struct fp_fix_msg *m)
{
	fx->st.nb_msgs_in++;
	if (c->state == C_LOGON)
		return on_logon(fx, c, m);
	struct fp_sim_fix_sess *s = &fx->sess[c->sess];
	uint32_t idx = c->sess;
	uint64_t v = 0;
	if (is(m, "4") && get_char(m, FP_FIX_TAG_GAP_FILL_FLAG) != 'Y') { /* reset */
		if (fp_fix_get_u64(m, FP_FIX_TAG_NEW_SEQ_NO, &v) == 0 && v > s->in_next)
			s->in_next = v;
		return;
	}
	if (m->seq_num < s->in_next) {
		if (m->poss_dup)
			return;
		char why[96];
		fx->st.nb_seq_low++;
		snprintf(why, sizeof(why), "MsgSeqNum too low, expecting %llu but received %llu",
			 (unsigned long long)s->in_next, (unsigned long long)m->seq_num);
		return logout_close(fx, c, why);
	}
	if (m->seq_num > s->in_next) { /* lenient: ask, then move on */
		send_resend_request(fx, c, s, s->in_next, m->seq_num - 1);
		s->in_next = m->seq_num;
	}
	if (is(m, "4")) { /* gap fill */
		if (fp_fix_get_u64(m, FP_FIX_TAG_NEW_SEQ_NO, &v) == 0 && v > s->in_next)
			s->in_next = v;
		else
			s->in_next++;
		return;
	}
	s->in_next++;
	if (is(m, "0") || is(m, "3")) {
		return;
	} else if (is(m, "1")) {
		char id[64];
		struct body b = {.n = 0};
		if (get_str(m, FP_FIX_TAG_TEST_REQ_ID, id, sizeof(id)))
			b_str(&b, FP_FIX_TAG_TEST_REQ_ID, id);
		send_admin(fx, c, s, "0", b.b, b.n);
	} else if (is(m, "2")) {
		answer_resend(fx, c, s, m);
	} else if (is(m, "5")) {
		fx->st.nb_logouts++;
		logout_close(fx, c, NULL);
	} else if (is(m, "D")) {
		on_new_order(fx, idx, m);
	} else if (is(m, "F")) {
		on_cancel(fx, idx, m);
	} else if (is(m, "G")) {
		on_replace(fx, idx, m);
	} else {
		struct body b = {.n = 0};
		b_u64(&b, FP_FIX_TAG_REF_SEQ_NUM, m->seq_num);
		b_str(&b, FP_FIX_TAG_REF_MSG_TYPE, m->msg_type);
		b_u64(&b, FP_FIX_TAG_BUSINESS_REJECT_REASON, 3); /* unsupported message type */
		send_app(fx, s, "j", b.b, b.n);
	}
}

/* ---- connections ---- */

static void conn_close(struct fp_sim_fix *fx, struct fp_sim_fix_conn *c)
{
	if (c->state == C_FREE)
		return;
	uint32_t me = (uint32_t)(c - fx->conns) + 1;
	if (c->state == C_ACTIVE && fx->sess[c->sess].conn == me)
		fx->sess[c->sess].conn = 0;
	if (c->ssl) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	close(c->fd);
	c->fd = -1;
	c->state = C_FREE;
	ERR_clear_error();
}

static void conn_accept(struct fp_sim_fix *fx)
{
	for (int k = 0; k < 4; k++) {
		int fd = accept4(fx->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct fp_sim_fix_conn *c = NULL;
		for (uint32_t i = 0; i < FP_SIM_FIX_MAX_CONNS && !c; i++)
			if (fx->conns[i].state == C_FREE)
				c = &fx->conns[i];
		if (c == NULL) {
			close(fd);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->fd = fd;
		c->rx_len = c->out_len = 0;
		c->peer[0] = '\0';
		c->last_rx_ms = c->last_tx_ms = fx->now_ms;
		c->hb_ms = fx->heartbeat_ms;
		c->state = C_LOGON;
		fx->st.nb_connections++;
		if (fx->ssl_ctx) {
			c->ssl = SSL_new(fx->ssl_ctx);
			if (c->ssl == NULL || SSL_set_fd(c->ssl, fd) != 1) {
				conn_close(fx, c);
				continue;
			}
			c->state = C_HANDSHAKE;
		}
	}
}

static unsigned conn_service(struct fp_sim_fix *fx, struct fp_sim_fix_conn *c)
{
	unsigned work = 0;
	if (c->state == C_HANDSHAKE) {
		ERR_clear_error();
		int r = SSL_accept(c->ssl);
		if (r == 1) {
			c->state = C_LOGON;
			return 1;
		}
		int e = SSL_get_error(c->ssl, r);
		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
			fx->st.nb_tls_failed++;
			conn_close(fx, c);
		} else if (fx->now_ms - c->last_rx_ms > fx->timeout_ms) {
			conn_close(fx, c);
		}
		return 0;
	}
	long n;
	if (c->ssl) {
		ERR_clear_error();
		int r = SSL_read(c->ssl, c->rx + c->rx_len, (int)(RX_BUF - c->rx_len));
		if (r > 0) {
			n = r;
		} else {
			int e = SSL_get_error(c->ssl, r);
			n = e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? -1 : 0;
		}
	} else {
		n = recv(c->fd, c->rx + c->rx_len, RX_BUF - c->rx_len, MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			n = 0;
	}
	if (n == 0) { /* peer closed or failed */
		conn_close(fx, c);
		return 1;
	}
	if (n > 0) {
		if (fx->oe->stamp_recv) { /* venue-side tick-to-trade (fp_sim_trigger.h), as OUCH */
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			fx->oe->recv_mono_ns =
				(uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		}
		c->rx_len += (uint32_t)n;
		c->last_rx_ms = fx->now_ms;
	}
	uint32_t off = 0;
	struct fp_fix_msg m;
	while (c->state >= C_LOGON) {
		enum fp_fix_rc rc = fp_fix_parse(c->rx + off, c->rx_len - off, &m);
		if (rc == FP_FIX_NEED_MORE)
			break;
		if (rc != FP_FIX_OK) {
			fx->st.nb_garbled++;
			conn_close(fx, c);
			return work + 1;
		}
		off += m.len;
		work++;
		on_msg(fx, c, &m);
	}
	if (c->state == C_FREE)
		return work;
	memmove(c->rx, c->rx + off, c->rx_len - off);
	c->rx_len -= off;
	if (fx->now_ms - c->last_rx_ms > fx->timeout_ms) {
		conn_close(fx, c);
	} else if (c->state == C_ACTIVE && fx->now_ms - c->last_tx_ms >= c->hb_ms) {
		send_admin(fx, c, &fx->sess[c->sess], "0", NULL, 0);
	}
	return work;
}

unsigned fp_sim_fix_poll(struct fp_sim_fix *fx)
{
	unsigned work = 0;
	fx->now_ms = mono_ms();
	conn_accept(fx);
	for (uint32_t i = 0; i < FP_SIM_FIX_MAX_CONNS; i++)
		if (fx->conns[i].state != C_FREE)
			work += conn_service(fx, &fx->conns[i]);
	work += translate_all(fx); /* invariant (1) */
	for (uint32_t i = 0; i < FP_SIM_FIX_MAX_CONNS; i++)
		if (fx->conns[i].state != C_FREE)
			conn_flush(fx, &fx->conns[i]);
	return work;
}

/* ---- lifecycle ---- */

static int tls_setup(struct fp_sim_fix *fx, const struct fp_sim_fix_cfg *cfg)
{
	signal(SIGPIPE, SIG_IGN); /* SSL_write uses write(): a client that leaves is no signal */
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL)
		return fp_err_set(-ENOMEM, "fix: SSL_CTX_new failed");
	fx->ssl_ctx = ctx;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert_file) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key_file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		unsigned long e = ERR_peek_last_error();
		const char *r = e ? ERR_reason_error_string(e) : NULL;
		ERR_clear_error();
		return fp_err_set(
			-EINVAL, "fix: tls certificate %s / key %s: %s", cfg->tls_cert_file,
			cfg->tls_key_file ? cfg->tls_key_file : "(none)", r ? r : "unreadable");
	}
	return 0;
}

int fp_sim_fix_init(struct fp_sim_fix *fx, const struct fp_sim_fix_cfg *cfg, struct fp_sim_oe *oe)
{
	memset(fx, 0, sizeof(*fx));
	fx->listen_fd = -1;
	fx->oe = oe;
	snprintf(fx->comp_id, sizeof(fx->comp_id), "%s", cfg->comp_id ? cfg->comp_id : "FPSIM");
	fx->heartbeat_ms = cfg->heartbeat_ms ? cfg->heartbeat_ms : 1000;
	fx->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 15000;
	int rc;
	if (cfg->tls_cert_file && cfg->tls_cert_file[0] && (rc = tls_setup(fx, cfg)) < 0) {
		fp_sim_fix_fini(fx);
		return rc;
	}
	fx->nb_sess = oe->nb_accounts;
	fx->sess = calloc(fx->nb_sess, sizeof(*fx->sess));
	fx->conns = calloc(FP_SIM_FIX_MAX_CONNS, sizeof(*fx->conns));
	if (!fx->sess || !fx->conns) {
		fp_sim_fix_fini(fx);
		return fp_err_set(-ENOMEM, "fix: sessions");
	}
	for (uint32_t i = 0; i < fx->nb_sess; i++) {
		struct fp_sim_fix_sess *s = &fx->sess[i];
		s->out_seq = s->in_next = 1;
		s->hist = calloc(FP_SIM_FIX_HISTORY, sizeof(*s->hist));
		s->ords = calloc(FP_SIM_FIX_ORDERS, sizeof(*s->ords));
		s->ids = calloc(2 * FP_SIM_FIX_ORDERS, sizeof(*s->ids));
		if (!s->hist || !s->ords || !s->ids) {
			fp_sim_fix_fini(fx);
			return fp_err_set(-ENOMEM, "fix: session tables");
		}
	}
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(cfg->port)};
	const char *addr = cfg->bind_addr ? cfg->bind_addr : "127.0.0.1";
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fp_sim_fix_fini(fx);
		return fp_err_set(-EINVAL, "fix: bind address '%s' is not IPv4", addr);
	}
	fx->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fx->listen_fd >= 0)
		setsockopt(fx->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fx->listen_fd < 0 || bind(fx->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fx->listen_fd, 16) < 0) {
		rc = -errno;
		fp_sim_fix_fini(fx);
		return fp_err_set(rc, "fix: listen on %s:%u: %s", addr, (unsigned)cfg->port,
				  strerror(-rc));
	}
	socklen_t l = sizeof(sa);
	getsockname(fx->listen_fd, (struct sockaddr *)&sa, &l);
	fx->port = ntohs(sa.sin_port);
	for (uint32_t i = 0; i < FP_SIM_FIX_MAX_CONNS; i++)
		fx->conns[i].fd = -1;
	return 0;
}

void fp_sim_fix_fini(struct fp_sim_fix *fx)
{
	if (fx == NULL)
		return;
	for (uint32_t i = 0; fx->conns && i < FP_SIM_FIX_MAX_CONNS; i++)
		if (fx->conns[i].state == C_ACTIVE)
			logout_close(fx, &fx->conns[i], "venue closing");
		else if (fx->conns[i].state != C_FREE)
			conn_close(fx, &fx->conns[i]);
	for (uint32_t i = 0; fx->sess && i < fx->nb_sess; i++) {
		free(fx->sess[i].hist);
		free(fx->sess[i].ords);
		free(fx->sess[i].ids);
	}
	free(fx->sess);
	free(fx->conns);
	fx->sess = NULL;
	fx->conns = NULL;
	if (fx->listen_fd >= 0)
		close(fx->listen_fd);
	fx->listen_fd = -1;
	if (fx->ssl_ctx)
		SSL_CTX_free(fx->ssl_ctx);
	fx->ssl_ctx = NULL;
}

uint16_t fp_sim_fix_port(const struct fp_sim_fix *fx)
{
	return fx->port;
}

const struct fp_sim_fix_stats *fp_sim_fix_stats(const struct fp_sim_fix *fx)
{
	return &fx->st;
}
