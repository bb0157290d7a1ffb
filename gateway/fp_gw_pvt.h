/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_gw_pvt.h - @internal: what the gateway's files share (gateway/ only; not a public
 * header). The gateway is these parts over one struct fp_gw (fp_gw.h):
 *
 *   fp_gw_order.c  the order table and its state machine, protocol-free: maps, the one
 *                  order_open(), the transitions a venue report drives (fp_gw_sm_*), exec
 *                  reports and the journal (J2, J3).
 *   fp_gw_sess.c   the session transport: TCP connect, send with a backlog, recv, drop and
 *                  reconnect with backoff (every socket call of the gateway).
 *   fp_gw_venue.c  the session's ups and downs without a socket: venue up/down notices,
 *                  the last error, the state a drop leaves (breaker, backoff).
 *   fp_gw_ouch.c   the OUCH 5.0 / SoupBinTCP 3.0 adapter (struct fp_gw_proto): login,
 *                  heartbeat, logout, the order messages, and the venue's messages mapped
 *                  onto the state machine.
 *   fp_gw_fix.c    the FIX 4.4 adapter (struct fp_gw_proto): Logon, Heartbeat, TestRequest,
 *                  ResendRequest, SequenceReset, Reject, Logout; NewOrderSingle, cancel,
 *                  cancel/replace; ExecutionReport, OrderCancelReject, BusinessMessageReject
 *                  mapped onto the same state machine.
 *   fp_gw_tls.c    TLS 1.2/1.3 (OpenSSL) under the transport: context, non-blocking
 *                  handshake with the venue verified, SSL_read/SSL_write, kernel TLS.
 *   fp_gw_rec.c    recovery from the journal (J5).
 *   fp_gw.c        the stage: order intents, kill switch, poll loop, lifecycle.
 *
 * Same contract as fp_gw.h: one thread; the hot-path functions never allocate, block or
 * log.
 */
#ifndef FP_GW_PVT_H
#define FP_GW_PVT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "fp_gw.h"

#define NIL 0u

/** @internal One venue protocol (codec + session rules) over the transport. */
struct fp_gw_proto {
	const char *name;
	/** Connected: send the logon, reset the receive buffer. */
	void (*login)(struct fp_gw *gw);
	/** Read what the socket holds into the protocol's receive buffer (one recv()). */
	void (*read)(struct fp_gw *gw);
	/** Apply up to @p budget received messages (invariant 4); @return messages handled. */
	unsigned (*input)(struct fp_gw *gw, unsigned budget);
	/** Nothing sent for heartbeat_ms: send a heartbeat. */
	void (*heartbeat)(struct fp_gw *gw);
	/** Best-effort logout before close (fini). */
	void (*logout)(struct fp_gw *gw);
	/** New order @p o; *handed_tsc = TSC when its bytes went to send(). @return 0 (send()
	 *  took it whole), 1 (it waits in the backlog, fp_gw_tx) or -1. */
	int (*enter)(struct fp_gw *gw, const struct fp_gw_order *o, uint64_t *handed_tsc);
	/** Cancel @p o (nothing else in flight on it) down to @p leave_qty open (0 = all).
	 *  @return as enter. */
	int (*cancel)(struct fp_gw *gw, const struct fp_gw_order *o, uint32_t leave_qty);
	/** Replace @p o by its pending leg (o->pend_*). */
	int (*replace)(struct fp_gw *gw, const struct fp_gw_order *o, uint8_t tif);
	/** Cancel every order of @p symbol_id (0 = every symbol); @p key journals it. A
	 *  protocol that does it with one cancel per order counts those in nb_kill_cancels
	 *  while the kill switch trips (killed == 1). */
	int (*mass_cancel)(struct fp_gw *gw, uint32_t symbol_id, uint32_t key);
};

/**
 * The kill switch is set and @p o is open with nothing in flight: cancel it (journaled,
 * counted in nb_kill_cancels). The adapters call it once the venue answers what was in
 * flight at the trip: a New (FIX), or a replace's Replaced or refusal (both protocols: the
 * kill switch leaves an order with a replace in flight to that answer, fp_gw.c), so that
 * nothing stays live after a kill. A no-op otherwise.
 */
void fp_gw_kill_follow(struct fp_gw *gw, struct fp_gw_order *o);

extern const struct fp_gw_proto fp_gw_ouch_proto;
extern const struct fp_gw_proto fp_gw_fix_proto;

/* ---- fp_gw_fix.c: FIX session state (cold) ---- */

/** Allocate the FIX state and build its header templates. @return 0, -EINVAL, -ENOMEM. */
int fp_gw_fix_init(struct fp_gw *gw);
void fp_gw_fix_fini(struct fp_gw *gw);
/** Recovery: FP_JRNL_CTL_FIX_TX_SEQ (the outbound MsgSeqNum reserved up to @p value). */
void fp_gw_fix_recover_tx_seq(struct fp_gw *gw, uint64_t value);
/** Recovery: a new day starts the FIX session from 1 in both directions. */
void fp_gw_fix_new_day(struct fp_gw *gw);

/* ---- fp_gw_tls.c: TLS under the transport ---- */

/** Build the SSL_CTX from cfg (CA, client certificate and key). Cold. @return 0, -EINVAL. */
int fp_gw_tls_init(struct fp_gw *gw);
void fp_gw_tls_fini(struct fp_gw *gw);
/** TCP is connected: start the handshake. @return 0, -1 (session dropped, last_error). */
int fp_gw_tls_start(struct fp_gw *gw);
/** A handshake was started and is not done. */
int fp_gw_tls_handshaking(const struct fp_gw *gw);
/** Drive the handshake. @return 1 done, 0 in progress, -1 refused (last_error set). */
int fp_gw_tls_handshake(struct fp_gw *gw);
/** SSL_write/SSL_read: bytes, 0 would block, -1 the session is broken. */
long fp_gw_tls_send(struct fp_gw *gw, const uint8_t *b, size_t n);
long fp_gw_tls_recv(struct fp_gw *gw, uint8_t *b, size_t n);
/** Forget the connection (its socket is closed by the caller). */
void fp_gw_tls_close(struct fp_gw *gw);

/* ---- ClOrdID: client_order_id in base 32 (0-9 A-V), at most 13 characters ---- */

/** Write @p id left justified into @p out (14 bytes, space padded): shifts only, no
 *  division on the hot path. @return characters written before the padding. */
static inline int fp_gw_clordid_put(char out[14], uint64_t id)
{
	static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
	int n = id ? (64 - __builtin_clzll(id) + 4) / 5 : 1;
	for (int i = 0; i < 14; i++)
		out[i] = ' ';
	for (int i = n - 1; i >= 0; i--, id >>= 5)
		out[i] = digits[id & 31];
	return n;
}

/** client_order_id from the first @p n characters of a ClOrdID written by
 *  fp_gw_clordid_put (a space or @p n ends it); 0 when it is not one. */
static inline uint64_t fp_gw_clordid_get(const char *in, size_t n)
{
	uint64_t id = 0;
	size_t i = 0;
	for (; i < n && i < 14 && in[i] != ' '; i++) {
		char c = in[i];
		unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
			     : c >= 'A' && c <= 'V' ? (unsigned)(c - 'A' + 10)
						    : 32u;
		if (d == 32 || (i == 12 && id >> 59))
			return 0;
		id = id << 5 | d;
	}
	return i ? id : 0;
}

/* ---- fp_gw_order.c: order table, state machine, exec reports, journal ---- */

static inline uint64_t fp_gw_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t fp_gw_realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline int fp_gw_is_open(const struct fp_gw_order *o)
{
	return o->state == FP_GW_ACCEPTED || o->state == FP_GW_PARTIAL;
}

static inline void fp_gw_impossible(struct fp_gw *gw)
{
	gw->st->nb_impossible++; /* fp_gw_order.c invariant (3) */
}

/** Slot + 1 of the order with this client_order_id / UserRefNum, NIL when unknown. */
uint32_t fp_gw_find_id(const struct fp_gw *gw, uint64_t id);
uint32_t fp_gw_find_urn(const struct fp_gw *gw, uint32_t urn);
void fp_gw_put_id(struct fp_gw *gw, uint64_t id, uint32_t v);
void fp_gw_put_urn(struct fp_gw *gw, uint32_t urn, uint32_t v);
void fp_gw_del_id(struct fp_gw *gw, uint64_t id);
void fp_gw_del_urn(struct fp_gw *gw, uint32_t urn);

/** Client order id @p id came from the order ring (0: nothing). Hot: once per order
 *  intent; one probe for a strategy the table already holds. */
void fp_gw_id_live(struct fp_gw *gw, uint64_t id);
/** @p id was recovered from the journal or adopted (0: nothing). Cold. */
void fp_gw_id_known(struct fp_gw *gw, uint64_t id);
/** Could @p id be an order a crashed gateway sent and did not journal? Only when it lies
 *  above every id of its strategy recovered or adopted and below the first taken live
 *  (fp_gw_order.c, id marks). Cold. */
bool fp_gw_id_adoptable(const struct fp_gw *gw, uint64_t id);
/** Forget every id (a new day: sequences start again from the clock). */
void fp_gw_id_marks_reset(struct fp_gw *gw);

/** The one way an order enters the table (new, recovered, adopted, relived). */
struct fp_gw_order *fp_gw_order_open(struct fp_gw *gw, const struct fp_gw_order *init);
void fp_gw_order_final(struct fp_gw *gw, struct fp_gw_order *o, uint8_t state);
/** A lost order the venue accepts after all: open again (cold). */
struct fp_gw_order *fp_gw_order_relive(struct fp_gw *gw, struct fp_gw_order *old);
/** The symbol name of @p symbol_id through the symbol table's API; false when unknown. */
bool fp_gw_symbol(const struct fp_gw *gw, uint32_t symbol_id, char out[8]);

/** Journal slots free beyond the records written and not committed (UINT32_MAX: no
 *  journal); the store's head is read only when the cached room is below @p want. */
uint32_t fp_gw_jrnl_room(const struct fp_gw *gw, uint32_t want);
void fp_gw_jrnl_flush(struct fp_gw *gw);
void fp_gw_jrnl_add(struct fp_gw *gw, const struct fp_event *ev);
void fp_gw_jrnl_order(struct fp_gw *gw, const struct fp_event *ev, uint32_t urn);
void fp_gw_exec_emit(struct fp_gw *gw, uint8_t type, const struct fp_gw_order *o, uint64_t id,
		     int64_t price, uint32_t shares, uint64_t match, uint8_t reason);
/** Free slots of the exec ring(s); a consumer's head is read only when the cached room is
 *  below @p want. */
uint32_t fp_gw_exec_room(const struct fp_gw *gw, uint32_t want);
/** Room for one more venue message's reports and journal records (invariant 4, J3); when
 *  there is none, the stall is counted and the adapter stops reading. */
bool fp_gw_input_room(struct fp_gw *gw);

/* Transitions (fp_gw_order.c, the table of its invariant 3); the adapter has matched the
 * message to @p o. */
void fp_gw_sm_accepted(struct fp_gw *gw, struct fp_gw_order *o, uint32_t qty, int64_t price,
		       uint64_t ref, bool dead);
void fp_gw_sm_executed(struct fp_gw *gw, struct fp_gw_order *o, uint32_t qty, int64_t price,
		       uint64_t match, uint8_t liquidity);
void fp_gw_sm_reduce(struct fp_gw *gw, struct fp_gw_order *o, uint32_t dec, uint8_t reason);
void fp_gw_sm_replaced(struct fp_gw *gw, struct fp_gw_order *o, uint32_t new_urn, uint32_t qty,
		       int64_t price, uint64_t ref, bool dead);
void fp_gw_sm_rejected_new(struct fp_gw *gw, struct fp_gw_order *o, uint8_t reason);
void fp_gw_sm_rejected_replace(struct fp_gw *gw, struct fp_gw_order *o, uint8_t reason);
void fp_gw_sm_cancel_rejected(struct fp_gw *gw, struct fp_gw_order *o);
void fp_gw_sm_modified(struct fp_gw *gw, struct fp_gw_order *o, uint32_t leaves);
void fp_gw_sm_priority(struct fp_gw *gw, struct fp_gw_order *o, uint64_t ref, int64_t price);
/** The venue's replay is applied and its next UserRefNum known: resend or release what it
 *  never saw, session UP, tell risk (FP_GW_VENUE_SYNCED). */
void fp_gw_sm_synced(struct fp_gw *gw, uint32_t venue_next_urn);

/* ---- fp_gw_sess.c: transport ---- */

/** Hand @p n bytes to send(). @return 0 taken whole, 1 queued (whole or the rest) in the
 *  backlog behind earlier bytes or a short send (nb_tx_backlog), -1 session dropped. */
int fp_gw_tx(struct fp_gw *gw, const uint8_t *b, size_t n);
void fp_gw_tx_flush(struct fp_gw *gw);
/** One non-blocking recv() into @p buf; drops the session on EOF or error. @return bytes. */
size_t fp_gw_rx(struct fp_gw *gw, uint8_t *buf, size_t room);
void fp_gw_session_connect(struct fp_gw *gw);
void fp_gw_session_connecting(struct fp_gw *gw);
/** Close the connection (TLS, socket), then fp_gw_session_down(). */
void fp_gw_session_drop(struct fp_gw *gw);

/* ---- fp_gw_venue.c: the session's ups and downs, no socket ---- */

/** Logged in to @p session (space padded): notices on both exec rings, journaled. */
void fp_gw_session_notice(struct fp_gw *gw, const char *session, uint64_t requested);
void fp_gw_venue_notice(struct fp_gw *gw, uint32_t command);
/** Record why the session failed (cold; never the credentials). */
void fp_gw_set_error(struct fp_gw *gw, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** The connection is closed: counters, venue breaker and notice (if it was up), backoff. */
void fp_gw_session_down(struct fp_gw *gw);

#endif /* FP_GW_PVT_H */
