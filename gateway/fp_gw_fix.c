/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_gw_fix.c - the gateway's FIX 4.4 adapter (struct fp_gw_proto, fp_gw_pvt.h): the
 * session layer of the FIX 4.4 specification, Volume 2, over the transport (TCP or TLS),
 * and the order messages encoded in place from prebuilt header templates (proto/fp_fix.h);
 * the venue's reports matched to their order by ClOrdID and applied through the
 * protocol-free state machine (fp_gw_order.c).
 *
 * Identifiers. ClOrdID (11) of an order leg = its client_order_id in base 32 (at most 13
 * characters, fp_gw_clordid_put), so an unknown report can adopt its order as with OUCH.
 * A cancel request's ClOrdID is the order's followed by '.' and the request's MsgSeqNum
 * (unique within the session). The UserRefNum stays the gateway's internal order key.
 *
 * Session (Volume 2).
 *   Logon (A)        98=0, 108=heartbeat_ms/1000, 141=Y when fix_reset_on_logon, 553/554 =
 *                    the credentials (never logged). The venue's Logon: a MsgSeqNum below
 *                    the expected one ends the session (Logout); above it, a ResendRequest
 *                    from the expected number; the session is UP (fp_gw_sm_synced) once every
 *                    message up to the venue's Logon is applied, so a restarted gateway
 *                    applies what it missed, once, before it sends an order.
 *   in sequence      applied, next_seq + 1 (invariant 1 of fp_gw_order.c; an applied
 *                    report is journaled with seq = its MsgSeqNum, J3).
 *   too high         not applied: one ResendRequest (7 = expected, 16 = 0); it comes again.
 *                    While one is out no other is sent (16 = 0 covers what follows).
 *   too low          PossDupFlag=Y: a duplicate, ignored; otherwise Logout and drop.
 *   SequenceReset    gap fill (123=Y) in sequence, or reset: next_seq = NewSeqNo (only up).
 *   ResendRequest    answered with one SequenceReset-GapFill (PossDupFlag=Y, OrigSendingTime):
 *                    an order is never sent twice; a new order the venue missed is entered
 *                    again after the sync with a new MsgSeqNum (fp_gw_sm_synced), a
 *                    recovered one is released as lost. Inside the session, the order
 *                    messages the gap fill covers (the venue never applies them) are sent
 *                    again after it with new MsgSeqNums (resend_gap_filled).
 *   TestRequest      answered by a Heartbeat with its TestReqID; a venue silent for 1.2
 *                    heartbeat intervals gets a TestRequest; timeout_ms of silence drops.
 *   Reject (3), BusinessMessageReject (j) of an order message: mapped back by RefSeqNum
 *                    (the last FIX_SENT_RING order messages) to a reject of the new order,
 *                    the replace or the cancel.
 *   Logout           answered and dropped; the text is kept for fp_gw_last_error.
 *   Outbound MsgSeqNum journaled in blocks (FP_JRNL_CTL_FIX_TX_SEQ, shm/fp_journal.h).
 *   Every inbound message is framed with BodyLength and CheckSum checked (fp_fix_parse);
 *   a message that fails, or names other CompIDs, ends the session.
 *
 * ExecutionReport (8) by ExecType (150):
 *   0 New        fp_gw_sm_accepted (unknown ClOrdID: adopted from the report)
 *   F Trade      fp_gw_sm_executed (LastQty, LastPx); of an order still pending new:
 *                fp_gw_sm_accepted first (a venue that fills without a New)
 *   4 Canceled, C Expired, 3 Done for day  fp_gw_sm_reduce (to LeavesQty)
 *   5 Replaced   fp_gw_sm_replaced (ClOrdID = the pending leg, OrigClOrdID = the order)
 *   8 Rejected   fp_gw_sm_rejected_new
 *   D Restated   fp_gw_sm_modified (LeavesQty)
 *   A, 6, E, I and the rest: nothing to apply
 * OrderCancelReject (9): 434=1 fp_gw_sm_cancel_rejected, 434=2 fp_gw_sm_rejected_replace.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_err.h"
#include "fp_fix.h"
#include "fp_gw_pvt.h"
#include "fp_journal.h"
#include "fp_order_id.h"
#include "fp_symtab.h"
#include "fp_tsc.h"

#define FIX_RX_BUF    (2 * (FP_FIX_MAX_BODY + 64))
#define FIX_TX_BUF    1024
#define FIX_SEQ_BLOCK 4096 /* outbound MsgSeqNums reserved by one journal record */
#define FIX_SENT_RING 1024 /* order messages remembered for Reject's RefSeqNum */

enum fix_kind { K_NONE = 0, K_NEW, K_CANCEL, K_REPLACE };

struct fix_sent {
	uint64_t seq;
	uint32_t urn; /* the order's (new, cancel) or the pending leg's (replace) */
	uint8_t kind; /* enum fix_kind */
	uint8_t tif;  /* a replace's TimeInForce (sent again after a gap fill) */
};

enum fix_tmpl_id {
	T_LOGON,
	T_HB,
	T_TEST,
	T_RESEND,
	T_SEQRESET,
	T_LOGOUT,
	T_NEW,
	T_CANCEL,
	T_REPLACE,
	T_NB
};

struct fp_gw_fix {
	struct fp_fix_tmpl t[T_NB];
	uint64_t out_seq;      /* MsgSeqNum of the next message we send */
	uint64_t out_reserved; /* journaled: out_seq stays below it */
	uint64_t logon_seq;    /* MsgSeqNum of our last Logon */
	uint64_t sync_to;      /* SYNCING: UP once next_seq reaches it */
	uint64_t resend_to;    /* a ResendRequest is out until next_seq reaches it (0 = none) */
	uint64_t test_req_ns;  /* a TestRequest is out since (0 = none) */
	uint32_t rx_len;
	uint8_t logout_sent;
	struct fix_sent sent[FIX_SENT_RING];
	uint8_t rx[FIX_RX_BUF];
};

/* ---- sending ---- */

static uint64_t mono_to_wall(void)
{
	return fp_gw_realtime_ns();
}

/* Journal the outbound MsgSeqNums reserved from now (FP_JRNL_CTL_FIX_TX_SEQ): a restarted
 * gateway starts at the reserved mark, never below a number it may have used. Inside a
 * venue message's batch the record goes with it (one push, J3). */
static void reserve_seq(struct fp_gw *gw)
{
	struct fp_gw_fix *f = gw->fix;
	f->out_reserved = f->out_seq + FIX_SEQ_BLOCK;
	if (!gw->cfg.journal_ring)
		return;
	struct fp_event ev = {.type = FP_EV_CONTROL};
	ev.u.control.command = FP_JRNL_CTL_FIX_TX_SEQ;
	ev.u.control.value = f->out_reserved;
	fp_gw_jrnl_add(gw, &ev);
	if (gw->cur_seq == 0)
		fp_gw_jrnl_flush(gw);
}

static uint64_t take_seq(struct fp_gw *gw)
{
	struct fp_gw_fix *f = gw->fix;
	if (f->out_seq + FIX_SEQ_BLOCK / 2 > f->out_reserved)
		reserve_seq(gw);
	return f->out_seq++;
}

static void begin(struct fp_gw *gw, struct fp_fix_writer *w, uint8_t *buf, enum fix_tmpl_id t,
		  uint64_t seq)
{
	fp_fix_begin(w, buf, FIX_TX_BUF, &gw->fix->t[t], seq, mono_to_wall());
}

static int finish(struct fp_gw *gw, struct fp_fix_writer *w)
{
	const uint8_t *m;
	int n = fp_fix_finish(w, &m);
	if (n <= 0)
		return -1; /* cannot happen for the messages built here */
	gw->st->nb_sent++;
	return fp_gw_tx(gw, m, (size_t)n);
}

static void put_text(struct fp_fix_writer *w, uint32_t tag, const char *s)
{
	fp_fix_put_str(w, tag, s, strlen(s));
}

static size_t symbol_text(const struct fp_gw *gw, uint32_t symbol_id, char out[8])
{
	if (!fp_gw_symbol(gw, symbol_id, out))
		return 0;
	size_t n = 8;
	while (n > 0 && out[n - 1] == ' ')
		n--;
	return n;
}

static char fix_side(uint8_t side)
{
	return side == FP_SIDE_BUY            ? '1'
	       : side == FP_SIDE_SELL_SHORT   ? '5'
	       : side == FP_SIDE_SHORT_EXEMPT ? '6'
					      : '2';
}

static uint8_t side_from_fix(char c)
{
	return c == '1'   ? FP_SIDE_BUY
	       : c == '5' ? FP_SIDE_SELL_SHORT
	       : c == '6' ? FP_SIDE_SHORT_EXEMPT
	       : c == '2' ? FP_SIDE_SELL
			  : 0;
}

static char fix_tif(uint8_t tif)
{
	return tif == FP_TIF_IOC ? '3' : tif == FP_TIF_GTX ? '5' : '0';
}

static void note_sent(struct fp_gw *gw, uint64_t seq, uint32_t urn, uint8_t kind, uint8_t tif)
{
	struct fix_sent *s = &gw->fix->sent[seq % FIX_SENT_RING];
	s->seq = seq;
	s->urn = urn;
	s->kind = kind;
	s->tif = tif;
}

static int fix_enter(struct fp_gw *gw, const struct fp_gw_order *o, uint64_t *handed_tsc)
{
	uint8_t buf[FIX_TX_BUF];
	struct fp_fix_writer w;
	char id[14], sym[8];
	size_t ns = symbol_text(gw, o->symbol_id, sym);
	uint64_t seq = take_seq(gw);
	begin(gw, &w, buf, T_NEW, seq);
	fp_fix_put_str(&w, FP_FIX_TAG_CL_ORD_ID, id,
		       (size_t)fp_gw_clordid_put(id, o->client_order_id));
	fp_fix_put_char(&w, FP_FIX_TAG_HANDL_INST, '1');
	fp_fix_put_u64(&w, FP_FIX_TAG_ORDER_QTY, o->qty);
	fp_fix_put_char(&w, FP_FIX_TAG_ORD_TYPE, '2');
	fp_fix_put_price(&w, FP_FIX_TAG_PRICE, o->price);
	fp_fix_put_char(&w, FP_FIX_TAG_SIDE, fix_side(o->side));
	fp_fix_put_str(&w, FP_FIX_TAG_SYMBOL, sym, ns ? ns : 1);
	fp_fix_put_char(&w, FP_FIX_TAG_TIME_IN_FORCE, fix_tif(o->tif));
	fp_fix_put_utc(&w, FP_FIX_TAG_TRANSACT_TIME, mono_to_wall());
	note_sent(gw, seq, o->user_ref_num, K_NEW, o->tif);
	gw->st->nb_orders_sent++;
	*handed_tsc = fp_tsc_now();
	return finish(gw, &w);
}

static int send_cancel(struct fp_gw *gw, const struct fp_gw_order *o)
{
	uint8_t buf[FIX_TX_BUF];
	struct fp_fix_writer w;
	char id[40], sym[8];
	size_t ns = symbol_text(gw, o->symbol_id, sym);
	uint64_t seq = take_seq(gw);
	int n = fp_gw_clordid_put(id, o->client_order_id);
	begin(gw, &w, buf, T_CANCEL, seq);
	fp_fix_put_str(&w, FP_FIX_TAG_ORIG_CL_ORD_ID, id, (size_t)n);
	n += snprintf(id + n, sizeof(id) - (size_t)n, ".%llu", (unsigned long long)seq);
	fp_fix_put_str(&w, FP_FIX_TAG_CL_ORD_ID, id, (size_t)n);
	fp_fix_put_u64(&w, FP_FIX_TAG_ORDER_QTY, o->qty);
	fp_fix_put_char(&w, FP_FIX_TAG_SIDE, fix_side(o->side));
	fp_fix_put_str(&w, FP_FIX_TAG_SYMBOL, sym, ns ? ns : 1);
	fp_fix_put_utc(&w, FP_FIX_TAG_TRANSACT_TIME, mono_to_wall());
	note_sent(gw, seq, o->user_ref_num, K_CANCEL, 0);
	return finish(gw, &w);
}

/* FIX has no "cancel down to": a partial cancel (leave_qty > 0) is refused here, so the
 * order keeps its shares and the pending cancel is dropped (fail closed). */
static int fix_cancel(struct fp_gw *gw, const struct fp_gw_order *ord, uint32_t leave_qty)
{
	if (leave_qty != 0) {
		fp_gw_sm_cancel_rejected(gw, &gw->orders[ord - gw->orders]);
		return -1;
	}
	return send_cancel(gw, ord);
}

static int fix_replace(struct fp_gw *gw, const struct fp_gw_order *o, uint8_t tif)
{
	uint8_t buf[FIX_TX_BUF];
	struct fp_fix_writer w;
	char id[14], orig[14], sym[8];
	size_t ns = symbol_text(gw, o->symbol_id, sym);
	uint64_t seq = take_seq(gw);
	begin(gw, &w, buf, T_REPLACE, seq);
	fp_fix_put_str(&w, FP_FIX_TAG_ORIG_CL_ORD_ID, orig,
		       (size_t)fp_gw_clordid_put(orig, o->client_order_id));
	fp_fix_put_str(&w, FP_FIX_TAG_CL_ORD_ID, id,
		       (size_t)fp_gw_clordid_put(id, o->pend_client_order_id));
	fp_fix_put_char(&w, FP_FIX_TAG_HANDL_INST, '1');
	fp_fix_put_u64(&w, FP_FIX_TAG_ORDER_QTY, o->pend_qty); /* total over the chain */
	fp_fix_put_char(&w, FP_FIX_TAG_ORD_TYPE, '2');
	fp_fix_put_price(&w, FP_FIX_TAG_PRICE, o->pend_price);
	fp_fix_put_char(&w, FP_FIX_TAG_SIDE, fix_side(o->side));
	fp_fix_put_str(&w, FP_FIX_TAG_SYMBOL, sym, ns ? ns : 1);
	fp_fix_put_char(&w, FP_FIX_TAG_TIME_IN_FORCE, fix_tif(tif));
	fp_fix_put_utc(&w, FP_FIX_TAG_TRANSACT_TIME, mono_to_wall());
	note_sent(gw, seq, o->pend_user_ref_num, K_REPLACE, tif);
	return finish(gw, &w);
}

/* FIX 4.4 venues differ on OrderMassCancelRequest (q); one OrderCancelRequest per open
 * order of @p symbol_id (0: all) works everywhere. The kill switch skips the orders
 * canceled here (they are pending cancel): while it trips (killed == 1) they are its
 * cancels, counted here. */
static int fix_mass_cancel(struct fp_gw *gw, uint32_t symbol_id, uint32_t key)
{
	(void)key;
	for (uint32_t i = 0; i <= gw->mask && gw->fd >= 0; i++) {
		struct fp_gw_order *o = &gw->orders[i];
		if (!fp_gw_is_open(o) || o->pending != FP_GW_PEND_NONE ||
		    (symbol_id != 0 && o->symbol_id != symbol_id))
			continue; /* a replace in flight: its answer is canceled (fp_gw_kill_follow) */
		o->pending = FP_GW_PEND_CANCEL;
		gw->st->nb_kill_cancels += gw->st->killed == 1;
		send_cancel(gw, o);
	}
	return gw->fd >= 0 ? 0 : -1;
}

static void send_heartbeat(struct fp_gw *gw, const char *test_req_id, size_t n)
{
	uint8_t buf[FIX_TX_BUF];
	struct fp_fix_writer w;
	begin(gw, &w, buf, T_HB, take_seq(gw));
	if (test_req_id)
		fp_fix_put_str(&w, FP_FIX_TAG_TEST_REQ_ID, test_req_id, n);
	finish(gw, &w);
}

static void fix_heartbeat(struct fp_gw *gw)
{
	gw->st->nb_heartbeats++;
	send_heartbeat(gw, NULL, 0);
}

static void send_logout(struct fp_gw *gw, const char *text)
{
	uint8_t buf[FIX_TX_BUF];
	struct fp_fix_writer w;
	begin(gw, &w, buf, T_LOGOUT, take_seq(gw));
	if (text)
		put_text(&w, FP_FIX_TAG_TEXT, text);
	const uint8_t *m;
	int n = fp_fix_finish(&w, &m);
	gw->fix->logout_sent = 1;
	if (n > 0)
		fp_gw_tx(gw, m, (size_t)n);
	fp_gw_tx_flush(gw);
}

static void fix_logout(struct fp_gw *gw)
{
	if (gw->state >= FP_GW_LOGGING_IN && !gw->fix->logout_sent)
		send_logout(gw, NULL);
}

/* End the session: Logout with @p why (FIX Volume 2), recorded for the log, then drop. */
static void end_session(struct fp_gw *gw, const char *why)
{
	fp_gw_set_error(gw, "FIX session ended: %s", why);
	if (gw->fd >= 0 && !gw->fix->logout_sent)
		send_logout(gw, why);
	fp_gw_session_drop(gw);
}

/* The gap fill just sent skipped order messages of this connection, [@p from, @p to): the
 * venue asked for them again, so it never applied them (a venue that queued them while it
 * waited for the gap discards them once the gap is filled past them). Each is sent again
 * with a new MsgSeqNum, if its order still waits for it: a new order (same ClOrdID), a
 * cancel, a replace. Nothing is lost, nothing is applied twice. Cold: a ResendRequest
 * inside the session. Only the last FIX_SENT_RING messages are known. */
static void resend_gap_filled(struct fp_gw *gw, uint64_t from, uint64_t to)
{
	struct gw_fix_lost {
		uint32_t urn;
		uint8_t kind, tif;
	} lost[FIX_SENT_RING];
	unsigned n = 0;
	if (to - from > FIX_SENT_RING)
		from = to - FIX_SENT_RING;
	/* Copied first (resending overwrites slots) and forgotten: a message lives at its new
	 * MsgSeqNum only, so a later ResendRequest over the old numbers (a venue asking twice)
	 * sends nothing again; one over the new numbers sends it once more. */
	for (uint64_t q = from; q < to; q++) {
		struct fix_sent *s = &gw->fix->sent[q % FIX_SENT_RING];
		if (s->seq == q && s->kind != K_NONE)
			lost[n++] = (struct gw_fix_lost){s->urn, s->kind, s->tif};
		if (s->seq == q)
			s->kind = K_NONE;
	}
	for (unsigned i = 0; i < n && gw->fd >= 0; i++) {
		uint32_t v = fp_gw_find_urn(gw, lost[i].urn);
		if (v == NIL)
			continue;
		struct fp_gw_order *o = &gw->orders[v - 1];
		if (lost[i].kind == K_NEW && o->state == FP_GW_PENDING_NEW &&
		    o->user_ref_num == lost[i].urn)
			fix_enter(gw, o, &(uint64_t){0});
		else if (lost[i].kind == K_CANCEL && o->pending == FP_GW_PEND_CANCEL)
			send_cancel(gw, o);
		else if (lost[i].kind == K_REPLACE && o->pending == FP_GW_PEND_REPLACE &&
			 o->pend_user_ref_num == lost[i].urn)
			fix_replace(gw, o, lost[i].tif);
	}
}

static void send_resend_request(struct fp_gw *gw, uint64_t from)
{
	uint8_t buf[FIX_TX_BUF];
	struct fp_fix_writer w;
	begin(gw, &w, buf, T_RESEND, take_seq(gw));
	fp_fix_put_u64(&w, FP_FIX_TAG_BEGIN_SEQ_NO, from);
	fp_fix_put_u64(&w, FP_FIX_TAG_END_SEQ_NO, 0);
	finish(gw, &w);
}

/* The venue missed [begin, ...]: one SequenceReset-GapFill (Volume 2: PossDupFlag=Y,
 * OrigSendingTime, MsgSeqNum = BeginSeqNo). Order messages are never sent twice. What we
 * sent before our Logon is filled up to the Logon (the venue queued the rest); a request
 * inside this connection up to what we sent. */
static void answer_resend(struct fp_gw *gw, const struct fp_fix_msg *m)
{
	struct fp_gw_fix *f = gw->fix;
	uint64_t b = 0, e = 0;
	if (fp_fix_get_u64(m, FP_FIX_TAG_BEGIN_SEQ_NO, &b) != 0 || b == 0)
		return;
	fp_fix_get_u64(m, FP_FIX_TAG_END_SEQ_NO, &e);
	uint64_t upto = b < f->logon_seq ? f->logon_seq : f->out_seq;
	if (e != 0 && e + 1 < upto && b >= f->logon_seq)
		upto = e + 1;
	if (b >= upto)
		return;
	uint8_t buf[FIX_TX_BUF];
	struct fp_fix_writer w;
	uint64_t now = mono_to_wall();
	fp_fix_begin(&w, buf, FIX_TX_BUF, &f->t[T_SEQRESET], b, now);
	fp_fix_put_char(&w, FP_FIX_TAG_POSS_DUP_FLAG, 'Y');
	fp_fix_put_utc(&w, FP_FIX_TAG_ORIG_SENDING_TIME, now);
	fp_fix_put_char(&w, FP_FIX_TAG_GAP_FILL_FLAG, 'Y');
	fp_fix_put_u64(&w, FP_FIX_TAG_NEW_SEQ_NO, upto);
	finish(gw, &w);
	if (b >= f->logon_seq) /* before our Logon: fp_gw_sm_synced enters them again */
		resend_gap_filled(gw, b, upto);
}

/* ---- venue reports ---- */

static bool is(const struct fp_fix_msg *m, const char *type)
{
	return strcmp(m->msg_type, type) == 0;
}

static char get_char(const struct fp_fix_msg *m, uint32_t tag)
{
	size_t n;
	const char *s = fp_fix_get_str(m, tag, &n);
	return s && n == 1 ? s[0] : 0;
}

static uint32_t get_qty(const struct fp_fix_msg *m, uint32_t tag, uint32_t dflt)
{
	uint64_t v;
	return fp_fix_get_u64(m, tag, &v) == 0 && v < FP_OUCH_QTY_LIMIT ? (uint32_t)v : dflt;
}

/* A venue identifier (OrderID, ExecID) as a number: its digits when it is one, else a
 * 64-bit FNV-1a hash (reports carry it for reference only). */
static uint64_t get_ref(const struct fp_fix_msg *m, uint32_t tag)
{
	uint64_t v;
	if (fp_fix_get_u64(m, tag, &v) == 0)
		return v;
	size_t n;
	const char *s = fp_fix_get_str(m, tag, &n);
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; s && i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
	return s ? h : 0;
}

/* client_order_id named by field @p tag (a cancel's ".<seq>" suffix dropped), 0 if none. */
static uint64_t get_id(const struct fp_fix_msg *m, uint32_t tag)
{
	size_t n;
	const char *s = fp_fix_get_str(m, tag, &n);
	if (s == NULL)
		return 0;
	const char *dot = memchr(s, '.', n);
	return fp_gw_clordid_get(s, dot ? (size_t)(dot - s) : n);
}

static struct fp_gw_order *by_id(struct fp_gw *gw, uint64_t id)
{
	uint32_t v = fp_gw_find_id(gw, id);
	return v == NIL ? NULL : &gw->orders[v - 1];
}

/* The order a report is about: OrigClOrdID first for replaces, ClOrdID then OrigClOrdID
 * otherwise. Counted as unknown when neither names one. */
static struct fp_gw_order *report_order(struct fp_gw *gw, const struct fp_fix_msg *m,
					bool orig_first)
{
	struct fp_gw_order *o = NULL;
	if (orig_first)
		o = by_id(gw, get_id(m, FP_FIX_TAG_ORIG_CL_ORD_ID));
	if (o == NULL)
		o = by_id(gw, get_id(m, FP_FIX_TAG_CL_ORD_ID));
	if (o == NULL && !orig_first)
		o = by_id(gw, get_id(m, FP_FIX_TAG_ORIG_CL_ORD_ID));
	if (o == NULL)
		gw->st->nb_unknown++;
	return o;
}

/* An ExecType New for a ClOrdID the gateway does not know: sent just before a crash and not
 * journaled (fp_gw.h, Recovery), so above its strategy's mark. Cold: a scan of the symbol
 * table, after the cheap checks. */
static struct fp_gw_order *adopt(struct fp_gw *gw, const struct fp_fix_msg *m)
{
	uint64_t id = get_id(m, FP_FIX_TAG_CL_ORD_ID);
	size_t n;
	const char *s = fp_fix_get_str(m, FP_FIX_TAG_SYMBOL, &n);
	uint32_t sym = 0;
	char name[8], want[8];
	int64_t px = 0;
	if (id == 0 || s == NULL || n > 8 || fp_gw_find_id(gw, id) != NIL ||
	    !fp_gw_id_adoptable(gw, id) || fp_fix_get_price(m, FP_FIX_TAG_PRICE, &px) != 0)
		return NULL;
	memset(want, ' ', 8);
	memcpy(want, s, n);
	for (uint32_t i = 1; i < FP_SYMTAB_NB_ENTRIES && !sym; i++)
		if (fp_gw_symbol(gw, i, name) && memcmp(name, want, 8) == 0)
			sym = i;
	uint8_t side = side_from_fix(get_char(m, FP_FIX_TAG_SIDE));
	char tif = get_char(m, FP_FIX_TAG_TIME_IN_FORCE);
	uint32_t qty = get_qty(m, FP_FIX_TAG_ORDER_QTY, 0);
	if (sym == 0 || side == 0 || qty == 0)
		return NULL;
	struct fp_gw_order *o = fp_gw_order_open(
		gw, &(struct fp_gw_order){.client_order_id = id,
					  .price = px,
					  .qty = qty,
					  .symbol_id = sym,
					  .strategy_id = fp_order_id_strategy(id),
					  .side = side,
					  .tif = tif == '3'   ? FP_TIF_IOC
						 : tif == '5' ? FP_TIF_GTX
							      : FP_TIF_DAY,
					  .user_ref_num = gw->st->next_user_ref_num++});
	if (o != NULL) {
		fp_gw_id_known(gw, id);
		gw->st->nb_adopted++;
	}
	return o;
}

static uint8_t reason_of(const struct fp_fix_msg *m, uint32_t tag)
{
	uint64_t r = 0;
	fp_fix_get_u64(m, tag, &r);
	return (uint8_t)(r > 0x7f ? 0x7f : r);
}

static void on_new_ack(struct fp_gw *gw, const struct fp_fix_msg *m)
{
	uint64_t id = get_id(m, FP_FIX_TAG_CL_ORD_ID);
	struct fp_gw_order *o = by_id(gw, id);
	if (o == NULL && (o = adopt(gw, m)) == NULL) {
		gw->st->nb_unknown++;
		return;
	}
	if (o->recovered == FP_GW_REC_LOST && o->state == FP_GW_REJECTED &&
	    (o = fp_gw_order_relive(gw, o)) == NULL)
		return;
	int64_t px = o->price;
	fp_fix_get_price(m, FP_FIX_TAG_PRICE, &px);
	uint32_t leaves = get_qty(m, FP_FIX_TAG_LEAVES_QTY, o->qty);
	fp_gw_sm_accepted(gw, o, leaves, px, get_ref(m, FP_FIX_TAG_ORDER_ID), leaves == 0);
	fp_gw_kill_follow(gw, o);
}

static void on_exec_report(struct fp_gw *gw, const struct fp_fix_msg *m)
{
	struct fp_gw_order *o;
	char et = get_char(m, FP_FIX_TAG_EXEC_TYPE);
	int64_t px;
	switch (et) {
	case '0': /* New */
		on_new_ack(gw, m);
		break;
	case 'F': /* Trade */
		if ((o = report_order(gw, m, false)) == NULL)
			break;
		/* A venue may fill at once without a New first (QuickFIX's executor does): the
		 * Trade accepts the order, then fills it (two reports, FP_GW_EXEC_RESERVE). */
		if (o->state == FP_GW_PENDING_NEW)
			fp_gw_sm_accepted(gw, o, o->qty, o->price, get_ref(m, FP_FIX_TAG_ORDER_ID),
					  false);
		px = o->price;
		fp_fix_get_price(m, FP_FIX_TAG_LAST_PX, &px);
		fp_gw_sm_executed(gw, o, get_qty(m, FP_FIX_TAG_LAST_QTY, 0), px,
				  get_ref(m, FP_FIX_TAG_EXEC_ID), (uint8_t)get_char(m, 851));
		break;
	case '4': /* Canceled */
	case 'C': /* Expired */
	case '3': /* Done for day */
		if ((o = report_order(gw, m, true)) == NULL)
			break;
		uint32_t leaves = get_qty(m, FP_FIX_TAG_LEAVES_QTY, 0);
		if (!fp_gw_is_open(o) || leaves > o->leaves)
			return fp_gw_impossible(gw);
		fp_gw_sm_reduce(gw, o, o->leaves - leaves, (uint8_t)(et == '4' ? 'U' : et));
		break;
	case '5': /* Replaced */
		if ((o = report_order(gw, m, true)) == NULL)
			break;
		if (o->pending != FP_GW_PEND_REPLACE ||
		    o->pend_client_order_id != get_id(m, FP_FIX_TAG_CL_ORD_ID))
			return fp_gw_impossible(gw);
		px = o->pend_price;
		fp_fix_get_price(m, FP_FIX_TAG_PRICE, &px);
		leaves = get_qty(m, FP_FIX_TAG_LEAVES_QTY, 0);
		fp_gw_sm_replaced(gw, o, o->pend_user_ref_num, leaves, px,
				  get_ref(m, FP_FIX_TAG_ORDER_ID), leaves == 0);
		fp_gw_kill_follow(gw, o);
		break;
	case '8': /* Rejected */
		if ((o = report_order(gw, m, false)) == NULL)
			break;
		if (o->state == FP_GW_PENDING_NEW)
			fp_gw_sm_rejected_new(gw, o, reason_of(m, 103));
		else
			fp_gw_impossible(gw);
		break;
	case 'D': /* Restated */
		if ((o = report_order(gw, m, false)) != NULL)
			fp_gw_sm_modified(gw, o, get_qty(m, FP_FIX_TAG_LEAVES_QTY, o->leaves));
		break;
	default: /* Pending New/Cancel/Replace, Order Status, ...: nothing to apply */
		break;
	}
}

static void on_cancel_reject(struct fp_gw *gw, const struct fp_fix_msg *m)
{
	struct fp_gw_order *o = report_order(gw, m, true);
	if (o == NULL)
		return;
	if (get_char(m, FP_FIX_TAG_CXL_REJ_RESPONSE_TO) == '2') {
		if (o->pending == FP_GW_PEND_REPLACE &&
		    o->pend_client_order_id == get_id(m, FP_FIX_TAG_CL_ORD_ID)) {
			fp_gw_sm_rejected_replace(gw, o, reason_of(m, 102));
			fp_gw_kill_follow(gw, o);
		} else {
			fp_gw_impossible(gw);
		}
	} else {
		fp_gw_sm_cancel_rejected(gw, o); /* never retried: no cancel/reject loop */
	}
}

/* Reject (3) or BusinessMessageReject (j) of one of our order messages, by RefSeqNum. */
static void on_ref_reject(struct fp_gw *gw, const struct fp_fix_msg *m, uint32_t reason_tag)
{
	uint64_t ref = 0;
	if (fp_fix_get_u64(m, FP_FIX_TAG_REF_SEQ_NUM, &ref) != 0)
		return;
	const struct fix_sent *s = &gw->fix->sent[ref % FIX_SENT_RING];
	uint32_t v = s->seq == ref ? fp_gw_find_urn(gw, s->urn) : NIL;
	if (v == NIL)
		return; /* an admin message, or too old to map: nothing to apply */
	struct fp_gw_order *o = &gw->orders[v - 1];
	uint8_t reason = reason_of(m, reason_tag);
	if (s->kind == K_NEW && o->state == FP_GW_PENDING_NEW && o->user_ref_num == s->urn)
		fp_gw_sm_rejected_new(gw, o, reason);
	else if (s->kind == K_REPLACE && o->pending == FP_GW_PEND_REPLACE &&
		 o->pend_user_ref_num == s->urn) {
		fp_gw_sm_rejected_replace(gw, o, reason);
		fp_gw_kill_follow(gw, o);
	} else if (s->kind == K_CANCEL && o->pending == FP_GW_PEND_CANCEL)
		fp_gw_sm_cancel_rejected(gw, o);
}

/* ---- session ---- */

static void check_sync(struct fp_gw *gw)
{
	struct fp_gw_fix *f = gw->fix;
	if (f->resend_to && gw->st->next_seq >= f->resend_to)
		f->resend_to = 0;
	/* Every report sent before the venue's Logon is applied: an order still pending new
	 * never reached it (fp_gw_sm_synced enters it again, or releases a recovered one). */
	if (gw->state == FP_GW_SYNCING && gw->st->next_seq >= f->sync_to)
		fp_gw_sm_synced(gw, 0);
}

static void ask_resend(struct fp_gw *gw, uint64_t upto)
{
	struct fp_gw_fix *f = gw->fix;
	if (f->resend_to != 0) { /* one request covers it (EndSeqNo 0: everything) */
		if (upto > f->resend_to)
			f->resend_to = upto;
		return;
	}
	gw->st->nb_seq_gaps++;
	f->resend_to = upto;
	send_resend_request(gw, gw->st->next_seq);
}

static int on_logon(struct fp_gw *gw, const struct fp_fix_msg *m)
{
	struct fp_gw_fix *f = gw->fix;
	if (!is(m, "A")) {
		end_session(gw,
			    is(m, "5") ? "venue refused the Logon" : "first message not a Logon");
		return -1;
	}
	if (get_char(m, FP_FIX_TAG_RESET_SEQ_NUM_FLAG) == 'Y')
		gw->st->next_seq = 1;
	if (m->seq_num < gw->st->next_seq) {
		char why[96];
		snprintf(why, sizeof(why), "MsgSeqNum too low, expecting %llu but received %llu",
			 (unsigned long long)gw->st->next_seq, (unsigned long long)m->seq_num);
		end_session(gw, why);
		return -1;
	}
	uint64_t requested = gw->st->next_seq;
	gw->st->nb_logins++;
	gw->state = FP_GW_SYNCING;
	snprintf(gw->session_name, sizeof(gw->session_name), "%.*s", FP_SOUP_SESSION_LEN,
		 gw->cfg.target_comp_id);
	fp_gw_session_notice(gw, gw->session_name, requested);
	gw->last_error[0] = '\0';
	if (m->seq_num > gw->st->next_seq) {
		f->sync_to = m->seq_num + 1; /* the venue fills its Logon's number too */
		ask_resend(gw, f->sync_to);
	} else {
		gw->st->next_seq = m->seq_num + 1;
		f->sync_to = gw->st->next_seq;
	}
	check_sync(gw);
	return 0;
}

/* One whole inbound message. @return 0, or -1 when the session ended. */
static int on_msg(struct fp_gw *gw, const struct fp_fix_msg *m)
{
	struct fp_gw_fix *f = gw->fix;
	size_t n;
	const char *s = fp_fix_get_str(m, FP_FIX_TAG_SENDER_COMP_ID, &n);
	const char *t;
	size_t nt;
	t = fp_fix_get_str(m, FP_FIX_TAG_TARGET_COMP_ID, &nt);
	if (!s || n != strlen(gw->cfg.target_comp_id) || memcmp(s, gw->cfg.target_comp_id, n) ||
	    !t || nt != strlen(gw->cfg.sender_comp_id) || memcmp(t, gw->cfg.sender_comp_id, nt)) {
		end_session(gw, "CompID problem (SenderCompID/TargetCompID not this session's)");
		return -1;
	}
	if (m->seq_num == 0) {
		end_session(gw, "MsgSeqNum missing");
		return -1;
	}
	if (gw->state == FP_GW_LOGGING_IN)
		return on_logon(gw, m);
	uint64_t next = gw->st->next_seq;
	bool gap_fill = is(m, "4") && get_char(m, FP_FIX_TAG_GAP_FILL_FLAG) == 'Y';
	uint64_t new_seq = 0;
	if (is(m, "4") && !gap_fill) { /* SequenceReset-Reset: whatever its MsgSeqNum */
		if (fp_fix_get_u64(m, FP_FIX_TAG_NEW_SEQ_NO, &new_seq) == 0 && new_seq > next)
			gw->st->next_seq = new_seq;
		check_sync(gw);
		return 0;
	}
	if (m->seq_num < next) {
		if (m->poss_dup)
			return 0; /* applied already */
		char why[96];
		snprintf(why, sizeof(why), "MsgSeqNum too low, expecting %llu but received %llu",
			 (unsigned long long)next, (unsigned long long)m->seq_num);
		end_session(gw, why);
		return -1;
	}
	if (is(m, "5")) { /* Logout, in sequence or not */
		size_t tl;
		const char *txt = fp_fix_get_str(m, FP_FIX_TAG_TEXT, &tl);
		fp_gw_set_error(gw, "venue logged out%s%.*s", txt ? ": " : "", txt ? (int)tl : 0,
				txt ? txt : "");
		if (!f->logout_sent)
			send_logout(gw, NULL);
		fp_gw_session_drop(gw);
		return -1;
	}
	if (is(m, "2")) /* answer a ResendRequest even out of sequence */
		answer_resend(gw, m);
	if (m->seq_num > next) {
		ask_resend(gw, m->seq_num + 1); /* not applied: it comes again */
		return 0;
	}
	if (gap_fill) {
		if (fp_fix_get_u64(m, FP_FIX_TAG_NEW_SEQ_NO, &new_seq) == 0 && new_seq > next)
			gw->st->next_seq = new_seq;
		else
			gw->st->next_seq = next + 1;
		check_sync(gw);
		return 0;
	}
	gw->cur_seq = next;
	if (is(m, "8"))
		on_exec_report(gw, m);
	else if (is(m, "9"))
		on_cancel_reject(gw, m);
	else if (is(m, "j"))
		on_ref_reject(gw, m, FP_FIX_TAG_BUSINESS_REJECT_REASON);
	else if (is(m, "3"))
		on_ref_reject(gw, m, FP_FIX_TAG_SESSION_REJECT_REASON);
	else if (is(m, "1")) {
		const char *id = fp_fix_get_str(m, FP_FIX_TAG_TEST_REQ_ID, &n);
		if (id)
			send_heartbeat(gw, id, n);
	} else if (is(m, "0")) {
		f->test_req_ns = 0;
	}
	gw->cur_seq = 0;
	gw->st->next_seq = next + 1; /* invariant (1): applied and counted together */
	gw->st->nb_venue_msgs++;
	if (gw->nb_jbuf)
		fp_gw_jrnl_flush(gw); /* J3: after the exec rings, all at once */
	check_sync(gw);
	return gw->fd >= 0 ? 0 : -1;
}

static unsigned fix_input(struct fp_gw *gw, unsigned budget)
{
	struct fp_gw_fix *f = gw->fix;
	unsigned nb = 0;
	uint32_t off = 0;
	struct fp_fix_msg m;
	while (nb < budget && gw->fd >= 0) {
		if (!fp_gw_input_room(gw))
			break;
		enum fp_fix_rc rc = fp_fix_parse(f->rx + off, f->rx_len - off, &m);
		if (rc == FP_FIX_NEED_MORE)
			break;
		if (rc != FP_FIX_OK) {
			char why[80];
			snprintf(why, sizeof(why), "garbled message from the venue (%s)",
				 fp_fix_rc_str(rc));
			end_session(gw, why);
			return nb;
		}
		off += m.len;
		nb++;
		if (on_msg(gw, &m) < 0)
			return nb;
	}
	if (gw->fd >= 0 && off) {
		memmove(f->rx, f->rx + off, f->rx_len - off);
		f->rx_len -= off;
	}
	/* Volume 2: silence beyond a heartbeat interval (+20%) gets a TestRequest; timeout_ms
	 * of silence drops the session (fp_gw_poll). */
	uint64_t hb_ns = (uint64_t)gw->cfg.heartbeat_ms * 1200000u;
	if (gw->fd >= 0 && gw->state >= FP_GW_SYNCING && f->test_req_ns == 0 &&
	    gw->now_ns - gw->last_rx_ns >= hb_ns) {
		uint8_t buf[FIX_TX_BUF];
		struct fp_fix_writer w;
		f->test_req_ns = gw->now_ns;
		begin(gw, &w, buf, T_TEST, take_seq(gw));
		fp_fix_put_u64(&w, FP_FIX_TAG_TEST_REQ_ID, gw->now_ns);
		finish(gw, &w);
	}
	return nb;
}

static void fix_read(struct fp_gw *gw)
{
	struct fp_gw_fix *f = gw->fix;
	if (f->rx_len < FIX_RX_BUF) {
		size_t k = fp_gw_rx(gw, f->rx + f->rx_len, FIX_RX_BUF - f->rx_len);
		f->rx_len += (uint32_t)k;
	}
}

/* Our MsgSeqNums start again at 1 (ResetSeqNumFlag, a new day): what was sent under the old
 * numbers is forgotten, so that a ResendRequest or a Reject over the new numbers never
 * finds a message of the old ones (fuzz_gw_fix: an order entered twice after a reset). */
static void forget_sent(struct fp_gw_fix *f)
{
	memset(f->sent, 0, sizeof(f->sent));
}

static void fix_login(struct fp_gw *gw)
{
	struct fp_gw_fix *f = gw->fix;
	f->rx_len = 0;
	f->resend_to = 0;
	f->sync_to = 0;
	f->test_req_ns = 0;
	f->logout_sent = 0;
	if (gw->cfg.fix_reset_on_logon) {
		f->out_seq = 1;
		gw->st->next_seq = 1;
		forget_sent(f);
	}
	gw->state = FP_GW_LOGGING_IN;
	gw->last_rx_ns = gw->now_ns;
	uint8_t buf[FIX_TX_BUF];
	struct fp_fix_writer w;
	f->logon_seq = take_seq(gw);
	begin(gw, &w, buf, T_LOGON, f->logon_seq);
	fp_fix_put_char(&w, FP_FIX_TAG_ENCRYPT_METHOD, '0');
	fp_fix_put_u64(&w, FP_FIX_TAG_HEART_BT_INT, FP_MAX(gw->cfg.heartbeat_ms / 1000u, 1u));
	if (gw->cfg.fix_reset_on_logon)
		fp_fix_put_char(&w, FP_FIX_TAG_RESET_SEQ_NUM_FLAG, 'Y');
	put_text(&w, 553, gw->cfg.username); /* Username */
	put_text(&w, 554, gw->cfg.password); /* Password: sent, never logged */
	finish(gw, &w);
	explicit_bzero(buf, sizeof(buf));
}

int fp_gw_fix_init(struct fp_gw *gw)
{
	static const char *const types[T_NB] = {
		[T_LOGON] = "A",  [T_HB] = "0",       [T_TEST] = "1",
		[T_RESEND] = "2", [T_SEQRESET] = "4", [T_LOGOUT] = "5",
		[T_NEW] = "D",    [T_CANCEL] = "F",   [T_REPLACE] = "G"};
	const struct fp_gw_cfg *c = &gw->cfg;
	if (!c->sender_comp_id[0] || !c->target_comp_id[0])
		return fp_err_set(-EINVAL, "gateway: FIX needs sender_comp_id and target_comp_id");
	gw->fix = calloc(1, sizeof(*gw->fix));
	if (gw->fix == NULL)
		return fp_err_set(-ENOMEM, "gateway: FIX session state");
	for (int i = 0; i < T_NB; i++)
		if (fp_fix_tmpl_init(&gw->fix->t[i], types[i], c->sender_comp_id,
				     c->target_comp_id) != 0)
			return fp_err_set(-EINVAL, "gateway: FIX CompIDs longer than %d characters",
					  FP_GW_COMP_ID_LEN);
	gw->fix->out_seq = 1;
	return 0;
}

void fp_gw_fix_fini(struct fp_gw *gw)
{
	free(gw->fix);
	gw->fix = NULL;
}

void fp_gw_fix_recover_tx_seq(struct fp_gw *gw, uint64_t value)
{
	if (gw->fix && value > gw->fix->out_seq)
		gw->fix->out_seq = value;
}

void fp_gw_fix_new_day(struct fp_gw *gw)
{
	if (gw->fix) {
		gw->fix->out_seq = 1;
		gw->fix->out_reserved = 0;
		forget_sent(gw->fix);
	}
}

const struct fp_gw_proto fp_gw_fix_proto = {
	.name = "fix44",
	.login = fix_login,
	.read = fix_read,
	.input = fix_input,
	.heartbeat = fix_heartbeat,
	.logout = fix_logout,
	.enter = fix_enter,
	.cancel = fix_cancel,
	.replace = fix_replace,
	.mass_cancel = fix_mass_cancel,
};
