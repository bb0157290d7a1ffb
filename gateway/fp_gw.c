/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_gw.c - order gateway: OUCH 5.0 over SoupBinTCP 3.0 (API and rules in fp_gw.h; wire
 * formats in proto/fp_ouch.h and proto/fp_soup.h).
 *
 * One worker thread. Everything is allocated in fp_gw_init(); the poll loop does not
 * allocate, and its syscalls are send(), one recv() per poll, and connect()/poll() while
 * the session is down.
 *
 * Definitions.
 *   order    a slot of orders[]; an order chain keeps its slot across replaces.
 *   urn map  UserRefNum -> slot, for the current and the pending (replace) UserRefNum.
 *   id map   client_order_id -> slot; the slot of a final order keeps its id until reuse.
 *   next_seq the number of the next sequenced venue message not yet applied.
 *
 * Invariants.
 *   (1) a venue message is applied, and next_seq advanced, together and only together: a
 *       login requests next_seq, so a replay starts exactly after the last applied
 *       message and nothing is applied twice.
 *   (2) UserRefNums sent are strictly increasing: next_user_ref_num only grows, and after
 *       each login it is raised to the venue's Account Query answer.
 *   (3) a transition not in the table below is counted in nb_impossible and not applied.
 *   (4) no venue message is applied unless FP_GW_EXEC_RESERVE exec slots are free, so the
 *       exec ring never drops a report; with a journal, unless as many journal slots are
 *       free too (J3: its reports are journaled, in one push, after the exec rings).
 *   (5) an order message is on the journal ring before its bytes go to send() (J2); an
 *       order event is taken only with FP_GW_EXEC_RESERVE journal slots free, so that its
 *       record or its local reject is journaled.
 *
 * Transition table (venue message: from -> to; anything else is invariant 3):
 *   Accepted   A  PENDING_NEW -> ACCEPTED (Order State 'D': -> CANCELED)
 *   Executed   E  ACCEPTED|PARTIAL, qty <= leaves -> PARTIAL | FILLED (leaves 0)
 *   Canceled   C  ACCEPTED|PARTIAL, qty <= leaves -> same | CANCELED (leaves 0)
 *   AIQ Canc.  D  as Canceled
 *   Replaced   U  ACCEPTED|PARTIAL with pending replace to that UserRefNum -> ACCEPTED|
 *                 PARTIAL with the new UserRefNum, id, price, leaves ('D': -> CANCELED)
 *   Rejected   J  PENDING_NEW -> REJECTED; or pending replace dropped (order unchanged)
 *   Cancel Rej I  pending cancel dropped
 *   Modified   M  ACCEPTED|PARTIAL: leaves = Quantity (only down)
 *   Priority   T  ACCEPTED|PARTIAL: new reference number and price
 *   Broken     B  counted only (the position is corrected by risk from the exec ring)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fp_err.h"
#include "fp_gw.h"
#include "fp_journal.h"
#include "fp_order_id.h"
#include "fp_symtab.h"
#include "fp_tsc.h"

#define NIL 0u

/* ---- maps: linear probing over (key, order index + 1), key 0 = empty ---- */

static inline uint32_t map_home(uint64_t key, uint32_t mask)
{
	return (uint32_t)((key * 0x9E3779B97F4A7C15ull) >> 40) & mask;
}

static uint32_t map_find(const struct fp_gw_map_ent *m, uint32_t mask, uint64_t key)
{
	for (uint32_t i = map_home(key, mask);; i = (i + 1) & mask) {
		if (m[i].key == key)
			return (uint32_t)m[i].v;
		if (m[i].key == 0)
			return NIL;
	}
}

/* The maps are sized at twice their most keys, so a free entry always exists. */
static void map_put(struct fp_gw_map_ent *m, uint32_t mask, uint64_t key, uint32_t v)
{
	uint32_t i = map_home(key, mask);
	while (m[i].key != 0)
		i = (i + 1) & mask;
	m[i].key = key;
	m[i].v = v;
}

/* Remove @p key by backward shift (Knuth 6.4, algorithm R): no tombstones, so lookups stay
 * short however long the gateway runs. */
static void map_del(struct fp_gw_map_ent *m, uint32_t mask, uint64_t key)
{
	uint32_t i = map_home(key, mask);
	while (m[i].key != key) {
		if (m[i].key == 0)
			return;
		i = (i + 1) & mask;
	}
	for (uint32_t j = i;;) {
		m[i].key = 0;
		for (;;) {
			j = (j + 1) & mask;
			if (m[j].key == 0)
				return;
			uint32_t k = map_home(m[j].key, mask);
			/* m[j] stays unless its home k lies cyclically outside (i, j] */
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		m[i] = m[j];
		i = j;
	}
}

#define ID_MASK(gw) ((gw)->mask * 2 + 1)

static uint32_t find_id(const struct fp_gw *gw, uint64_t id)
{
	return id ? map_find(gw->id_map, ID_MASK(gw), id) : NIL;
}

static uint32_t find_urn(const struct fp_gw *gw, uint32_t urn)
{
	return urn ? map_find(gw->urn_map, gw->urn_mask, urn) : NIL;
}

static void del_urn(struct fp_gw *gw, uint32_t urn)
{
	if (urn)
		map_del(gw->urn_map, gw->urn_mask, urn);
}

static void del_id(struct fp_gw *gw, uint64_t id)
{
	if (id)
		map_del(gw->id_map, ID_MASK(gw), id);
}

/* ---- clock, exec events ---- */

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int is_open(const struct fp_gw_order *o)
{
	return o->state == FP_GW_ACCEPTED || o->state == FP_GW_PARTIAL;
}

/* ---- journal (J2, J3): ring enqueues only ---- */

static uint32_t jrnl_room(const struct fp_gw *gw)
{
	const struct fp_ring *j = gw->cfg.journal_ring;
	if (!j)
		return UINT32_MAX;
	uint32_t used = fp_ring_count(j) + gw->nb_jbuf;
	return used < fp_ring_capacity(j) ? fp_ring_capacity(j) - used : 0;
}

/* Push what is buffered; invariants (4) and (5) keep room for it, so a shortfall (only the
 * kill switch and lost-order rejects may outrun the room) is counted, never waited for. */
static void jrnl_flush(struct fp_gw *gw)
{
	if (gw->nb_jbuf == 0)
		return;
	uint32_t n = fp_ring_enqueue_burst(gw->cfg.journal_ring, gw->jbuf, gw->nb_jbuf);
	gw->st->nb_journal_unrecorded += gw->nb_jbuf - n;
	gw->nb_jbuf = 0;
}

static void jrnl_add(struct fp_gw *gw, const struct fp_event *ev)
{
	if (gw->nb_jbuf == FP_GW_JBUF)
		jrnl_flush(gw);
	gw->jbuf[gw->nb_jbuf++] = *ev;
}

/* J2: the order message @p ev (as taken from the order ring, or made by the gateway) with
 * seq = @p urn goes on the journal ring now, before its bytes are handed to send(). */
static void jrnl_order(struct fp_gw *gw, const struct fp_event *ev, uint32_t urn)
{
	if (!gw->cfg.journal_ring)
		return;
	jrnl_add(gw, ev);
	gw->jbuf[gw->nb_jbuf - 1].seq = urn;
	jrnl_flush(gw);
}

static void exec_emit(struct fp_gw *gw, uint8_t type, const struct fp_gw_order *o, uint64_t id,
		      int64_t price, uint32_t shares, uint64_t match, uint8_t reason)
{
	struct fp_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	/* After a login the venue sends what was missed before it answers the Account Query:
	 * reports made while SYNCING are replays. */
	ev.flags = gw->state == FP_GW_SYNCING ? FP_EVF_REPLAY : 0;
	ev.source = o ? o->strategy_id : 0;
	ev.symbol_id = o ? o->symbol_id : 0;
	ev.seq = gw->cur_seq; /* J3: the venue's sequence number, 0 for a local reject */
	ev.t_rx = fp_tsc_now();
	ev.u.exec.client_order_id = id;
	ev.u.exec.price = price;
	ev.u.exec.shares = shares;
	ev.u.exec.leaves_shares = o ? o->leaves : 0;
	ev.u.exec.match_number = match;
	ev.u.exec.strategy_id = o ? o->strategy_id : 0;
	ev.u.exec.side = o ? o->side : 0;
	ev.u.exec.reason = reason;
	ev.u.exec.reserved = o ? o->user_ref_num : 0; /* recovery maps reports by it */
	/* Invariant (4) guarantees room for venue-driven reports; a local reject is only made
	 * while taking an order event, which checks the room too. */
	fp_ring_enqueue_burst(gw->cfg.exec_ring, &ev, 1);
	if (gw->cfg.exec_ring2)
		fp_ring_enqueue_burst(gw->cfg.exec_ring2, &ev, 1);
	if (gw->cfg.journal_ring)
		jrnl_add(gw, &ev); /* J3: journaled after the exec rings (jrnl_flush) */
}

static uint32_t exec_room(const struct fp_gw *gw)
{
	uint32_t room = fp_ring_capacity(gw->cfg.exec_ring) - fp_ring_count(gw->cfg.exec_ring);
	if (gw->cfg.exec_ring2)
		room = FP_MIN(room, fp_ring_capacity(gw->cfg.exec_ring2) -
					    fp_ring_count(gw->cfg.exec_ring2));
	return room;
}

/* The name of @p symbol_id into @p out (8 bytes) through the symbol table's API (its D2):
 * false when the table does not know it. */
static bool gw_symbol(const struct fp_gw *gw, uint32_t symbol_id, char out[8])
{
	return symbol_id != 0 && symbol_id < FP_SYMTAB_NB_ENTRIES &&
	       fp_symtab_name(gw->cfg.symtab, (uint16_t)symbol_id, out);
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Final orders go back to the free list; their ids stay findable until reuse. */
static void order_final(struct fp_gw *gw, struct fp_gw_order *o, uint8_t state)
{
	o->state = state;
	o->leaves = 0;
	if (o->pending == FP_GW_PEND_REPLACE)
		del_urn(gw, o->pend_user_ref_num);
	o->pending = FP_GW_PEND_NONE;
	o->pend_user_ref_num = 0;
	gw->free_list[gw->nb_free++] = (uint32_t)(o - gw->orders);
	gw->st->nb_open--;
}

static struct fp_gw_order *order_alloc(struct fp_gw *gw)
{
	if (gw->nb_free == 0)
		return NULL;
	uint32_t i = gw->free_list[--gw->nb_free];
	struct fp_gw_order *o = &gw->orders[i];
	if (o->state != FP_GW_FREE) { /* a final order: forget its id and UserRefNum */
		del_id(gw, o->client_order_id);
		del_urn(gw, o->user_ref_num);
	}
	memset(o, 0, sizeof(*o));
	return o;
}

/* The one way an order enters the table: new (on_new), recovered from the journal (rec_new),
 * adopted from a venue Accepted or a journaled report (adopt, rec_adopt), and relived
 * (relive). @p init gives the order's identity (ids, UserRefNum, symbol, strategy, side,
 * tif, price, qty, recovered); the order starts PENDING_NEW with leaves = qty, both maps
 * know it, and a UserRefNum at or above next_user_ref_num raises it (invariant 2).
 * NULL when the table is full. */
static struct fp_gw_order *order_open(struct fp_gw *gw, const struct fp_gw_order *init)
{
	struct fp_gw_order *o = order_alloc(gw);
	if (o == NULL)
		return NULL;
	uint32_t v = (uint32_t)(o - gw->orders) + 1;
	*o = *init;
	o->order_reference_number = 0;
	o->filled = 0;
	o->leaves = init->qty;
	o->pend_client_order_id = 0;
	o->pend_price = 0;
	o->pend_user_ref_num = 0;
	o->pend_qty = 0;
	o->state = FP_GW_PENDING_NEW;
	o->pending = FP_GW_PEND_NONE;
	map_put(gw->id_map, ID_MASK(gw), o->client_order_id, v);
	map_put(gw->urn_map, gw->urn_mask, o->user_ref_num, v);
	if (o->user_ref_num >= gw->st->next_user_ref_num && o->user_ref_num < UINT32_MAX)
		gw->st->next_user_ref_num = o->user_ref_num + 1; /* invariant (2) */
	gw->st->nb_open++;
	return o;
}

/* ---- sending ---- */

static void session_drop(struct fp_gw *gw);
static void venue_notice(struct fp_gw *gw, uint32_t command);

/* Hand @p n bytes to the socket (the one syscall of the hot path); what it does not take
 * waits in the backlog, in order. 0, or -1 when the session was dropped. */
static int tx(struct fp_gw *gw, const uint8_t *b, size_t n)
{
	gw->last_tx_ns = gw->now_ns;
	if (gw->tx_len == 0) {
		ssize_t k = send(gw->fd, b, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k == (ssize_t)n)
			return 0;
		if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			session_drop(gw);
			return -1;
		}
		if (k > 0) {
			b += k;
			n -= (size_t)k;
		}
	}
	if (gw->tx_len + n > FP_GW_TX_BACKLOG) { /* the venue stopped reading */
		session_drop(gw);
		return -1;
	}
	memcpy(gw->tx + gw->tx_len, b, n);
	gw->tx_len += (uint32_t)n;
	return 0;
}

static void tx_flush(struct fp_gw *gw)
{
	if (gw->tx_len == 0)
		return;
	ssize_t k = send(gw->fd, gw->tx, gw->tx_len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (k > 0) {
		memmove(gw->tx, gw->tx + k, gw->tx_len - (size_t)k);
		gw->tx_len -= (uint32_t)k;
	} else if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		session_drop(gw);
	}
}

static int send_ouch(struct fp_gw *gw, const struct fp_ouch_msg *m)
{
	uint8_t pkt[FP_SOUP_HDR_SIZE + FP_OUCH_MAX_MSG];
	int n = fp_ouch_encode(m, pkt + FP_SOUP_HDR_SIZE, FP_OUCH_MAX_MSG);
	if (n <= 0)
		return -1;
	fp_soup_put_hdr(pkt, FP_SOUP_UNSEQUENCED, (size_t)n);
	gw->st->nb_sent++;
	return tx(gw, pkt, (size_t)n + FP_SOUP_HDR_SIZE);
}

/* ClOrdID: client_order_id in base 32 (0-9 A-V), at most 13 characters for 64 bits, left
 * justified: shifts only, no division on the hot path. */
static void put_cl_ord_id(char out[14], uint64_t id)
{
	static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";
	int n = id ? (64 - __builtin_clzll(id) + 4) / 5 : 1;
	memset(out, ' ', 14);
	for (int i = n - 1; i >= 0; i--, id >>= 5)
		out[i] = digits[id & 31];
}

static uint8_t ouch_tif(uint8_t tif)
{
	return tif == FP_TIF_IOC ? '3' : tif == FP_TIF_GTX ? '5' : '0';
}

/* Encode and send an Enter Order; *handed_tsc is the TSC when its bytes were handed to the
 * socket (tick-to-trade ends there: the kernel's TCP path is not ours to count). */
static int send_enter(struct fp_gw *gw, const struct fp_gw_order *o, uint64_t *handed_tsc)
{
	uint8_t pkt[FP_SOUP_HDR_SIZE + FP_OUCH_MAX_MSG];
	char cl_ord_id[14], symbol[8];
	put_cl_ord_id(cl_ord_id, o->client_order_id);
	if (!gw_symbol(gw, o->symbol_id, symbol)) /* checked by on_new: the venue refuses it */
		memset(symbol, ' ', sizeof(symbol));
	const struct fp_ouch_enter e = {
		.price = o->price,
		.user_ref_num = o->user_ref_num,
		.quantity = o->qty,
		.symbol = symbol,
		.cl_ord_id = cl_ord_id,
		.firm = gw->cfg.firm[0] ? gw->cfg.firm : NULL,
		.side = o->side,
		.time_in_force = ouch_tif(o->tif),
		.display = 'Y',
		.capacity = gw->cfg.capacity ? gw->cfg.capacity : 'P',
		.intermarket_sweep_eligibility = 'N',
		.cross_type = 'N',
	};
	int n = fp_ouch_encode_enter_order(pkt + FP_SOUP_HDR_SIZE, FP_OUCH_MAX_MSG, &e);
	fp_soup_put_hdr(pkt, FP_SOUP_UNSEQUENCED, (size_t)n);
	gw->st->nb_sent++;
	gw->st->nb_orders_sent++;
	*handed_tsc = fp_tsc_now();
	return tx(gw, pkt, (size_t)n + FP_SOUP_HDR_SIZE);
}

static int send_cancel(struct fp_gw *gw, uint32_t urn, uint32_t qty)
{
	uint8_t pkt[FP_SOUP_HDR_SIZE + 16];
	int n = fp_ouch_encode_cancel_order(pkt + FP_SOUP_HDR_SIZE, 16, urn, qty);
	fp_soup_put_hdr(pkt, FP_SOUP_UNSEQUENCED, (size_t)n);
	gw->st->nb_sent++;
	return tx(gw, pkt, (size_t)n + FP_SOUP_HDR_SIZE);
}

/* ---- order events (hot path) ---- */

static void local_reject(struct fp_gw *gw, const struct fp_event *ev, uint8_t reason)
{
	struct fp_gw_order tmp = {.strategy_id = ev->u.order.strategy_id,
				  .symbol_id = ev->symbol_id,
				  .side = ev->u.order.side};
	gw->st->nb_local_rejects++;
	gw->st->nb_local_by_reason[reason - FP_GW_REJ_FIRST]++;
	exec_emit(gw, FP_EV_EXEC_REJECTED, &tmp, ev->u.order.client_order_id, ev->u.order.price,
		  ev->u.order.shares, 0, reason);
}

static void on_new(struct fp_gw *gw, const struct fp_event *ev)
{
	const struct fp_ev_order *r = &ev->u.order;
	uint8_t s = r->side;
	if (gw->st->killed)
		return local_reject(gw, ev, FP_GW_REJ_KILLED);
	if (gw->state != FP_GW_UP)
		return local_reject(gw, ev, FP_GW_REJ_NOT_CONNECTED);
	if (ev->symbol_id == 0 || ev->symbol_id >= FP_SYMTAB_NB_ENTRIES ||
	    !fp_symtab_valid(gw->cfg.symtab, (uint16_t)ev->symbol_id))
		return local_reject(gw, ev, FP_GW_REJ_UNKNOWN_SYMBOL);
	if (r->client_order_id == 0 || r->shares == 0 || r->shares >= FP_OUCH_QTY_LIMIT ||
	    r->tif > FP_TIF_GTX ||
	    !(s == FP_SIDE_BUY || s == FP_SIDE_SELL || s == FP_SIDE_SELL_SHORT ||
	      s == FP_SIDE_SHORT_EXEMPT))
		return local_reject(gw, ev, FP_GW_REJ_BAD_ORDER);
	if (find_id(gw, r->client_order_id) != NIL)
		return local_reject(gw, ev, FP_GW_REJ_DUPLICATE_ID);
	struct fp_gw_order *o = order_open(gw, &(struct fp_gw_order){
						       .client_order_id = r->client_order_id,
						       .price = r->price,
						       .qty = r->shares,
						       .symbol_id = ev->symbol_id,
						       .strategy_id = r->strategy_id,
						       .side = s,
						       .tif = r->tif,
						       .user_ref_num = gw->st->next_user_ref_num,
					       });
	if (o == NULL)
		return local_reject(gw, ev, FP_GW_REJ_TABLE_FULL);
	jrnl_order(gw, ev, o->user_ref_num); /* invariant (5) */
	uint64_t handed;
	if (send_enter(gw, o, &handed) == 0 && ev->t_rx) {
		uint64_t decide = ev->u.order.t_decide;
		if (gw->cfg.t2t_hist)
			fp_hist_record(gw->cfg.t2t_hist, handed - ev->t_rx);
		/* Per hop, when the strategy stamped its decision between the two. */
		if (gw->cfg.decide_hist && decide >= ev->t_rx && decide <= handed) {
			fp_hist_record(gw->cfg.decide_hist, decide - ev->t_rx);
			fp_hist_record(gw->cfg.route_hist, handed - decide);
		}
	}
}

static struct fp_gw_order *open_order(struct fp_gw *gw, const struct fp_event *ev)
{
	uint32_t v = find_id(gw, ev->u.order.orig_client_order_id);
	if (v == NIL || !is_open(&gw->orders[v - 1])) {
		local_reject(gw, ev, FP_GW_REJ_UNKNOWN_ORDER);
		return NULL;
	}
	struct fp_gw_order *o = &gw->orders[v - 1];
	if (o->pending != FP_GW_PEND_NONE) {
		local_reject(gw, ev, FP_GW_REJ_PENDING);
		return NULL;
	}
	return o;
}

static void on_cancel(struct fp_gw *gw, const struct fp_event *ev)
{
	if (gw->state != FP_GW_UP)
		return local_reject(gw, ev, FP_GW_REJ_NOT_CONNECTED);
	struct fp_gw_order *o = open_order(gw, ev);
	if (o == NULL)
		return;
	o->pending = FP_GW_PEND_CANCEL;
	jrnl_order(gw, ev, o->user_ref_num);
	send_cancel(gw, o->user_ref_num, ev->u.order.shares);
}

static void on_replace(struct fp_gw *gw, const struct fp_event *ev)
{
	const struct fp_ev_order *r = &ev->u.order;
	if (gw->st->killed)
		return local_reject(gw, ev, FP_GW_REJ_KILLED);
	if (gw->state != FP_GW_UP)
		return local_reject(gw, ev, FP_GW_REJ_NOT_CONNECTED);
	if (r->client_order_id == 0 || r->shares == 0 || r->shares >= FP_OUCH_QTY_LIMIT ||
	    r->tif > FP_TIF_GTX)
		return local_reject(gw, ev, FP_GW_REJ_BAD_ORDER);
	if (find_id(gw, r->client_order_id) != NIL)
		return local_reject(gw, ev, FP_GW_REJ_DUPLICATE_ID);
	struct fp_gw_order *o = open_order(gw, ev);
	if (o == NULL)
		return;
	o->pending = FP_GW_PEND_REPLACE;
	o->pend_client_order_id = r->client_order_id;
	o->pend_price = r->price;
	o->pend_qty = r->shares;
	o->pend_user_ref_num = gw->st->next_user_ref_num++;
	map_put(gw->urn_map, gw->urn_mask, o->pend_user_ref_num, (uint32_t)(o - gw->orders) + 1);
	struct fp_ouch_msg m = {
		.type = FP_OUCH_REPLACE_ORDER, .dir = FP_OUCH_INBOUND, .has_appendage = 1};
	m.orig_user_ref_num = o->user_ref_num;
	m.user_ref_num = o->pend_user_ref_num;
	m.quantity = r->shares; /* total liable over the chain (OUCH 2.2) */
	m.price = r->price;
	m.time_in_force = ouch_tif(r->tif);
	m.display = 'Y';
	m.intermarket_sweep_eligibility = 'N';
	put_cl_ord_id(m.cl_ord_id, r->client_order_id);
	jrnl_order(gw, ev, o->pend_user_ref_num);
	gw->st->nb_replaces_sent++;
	send_ouch(gw, &m);
}

static void send_mass_cancel(struct fp_gw *gw, const struct fp_event *ev, uint32_t symbol_id)
{
	struct fp_ouch_msg m = {
		.type = FP_OUCH_MASS_CANCEL, .dir = FP_OUCH_INBOUND, .has_appendage = 1};
	m.user_ref_num = gw->st->next_user_ref_num++;
	struct fp_event mc = {.type = FP_EV_ORDER_MASS_CANCEL, .symbol_id = symbol_id};
	jrnl_order(gw, ev ? ev : &mc, m.user_ref_num);
	fp_soup_put_alpha(m.firm, gw->cfg.firm, 4);
	if (!gw_symbol(gw, symbol_id, m.symbol)) /* 0: every symbol */
		memset(m.symbol, ' ', 8);
	send_ouch(gw, &m);
}

/* After a recovery: was @p ev (at the head of the order ring) handled by the gateway that
 * crashed? It peeks a batch and releases it after handling it, so what it handled before
 * dying is still there, and those are the last order messages it journaled. The first event
 * that is not one of them ends the check. Cold: only the first batch after a restart. */
static int rec_seen(struct fp_gw *gw, const struct fp_event *ev)
{
	uint64_t id = ev->u.order.client_order_id;
	uint32_t n = FP_MIN(gw->nb_rec_recent, (uint32_t)FP_GW_REC_RECENT);
	for (uint32_t i = 0; id && i < n; i++)
		if (gw->rec_recent[i] == id) {
			gw->st->nb_recover_skipped++;
			return 1;
		}
	gw->rec_skip = 0;
	return 0;
}

static unsigned take_orders(struct fp_gw *gw, unsigned budget)
{
	uint32_t nb;
	/* Each event may add one local reject: only take what the exec ring can answer. */
	uint32_t room = exec_room(gw);
	const struct fp_event *evs = fp_ring_peek(gw->cfg.order_ring, FP_MIN(budget, room), &nb);
	/* Journal room, read once per batch: each event adds at most one record (its order
	 * message or its local reject). */
	uint32_t jroom = nb ? jrnl_room(gw) : 0;
	for (uint32_t i = 0; i < nb; i++) {
		const struct fp_event *ev = &evs[i];
		gw->st->nb_orders_in++;
		if (fp_unlikely(gw->rec_skip) && rec_seen(gw, ev))
			continue; /* handled and journaled before a crash: never twice */
		if (jroom < FP_GW_EXEC_RESERVE) { /* invariant (5) */
			gw->st->nb_journal_full++;
			local_reject(gw, ev, FP_GW_REJ_JOURNAL);
			jroom -= jroom != 0;
			continue;
		}
		jroom -= jroom != UINT32_MAX;
		switch (ev->type) {
		case FP_EV_ORDER_NEW:
			on_new(gw, ev);
			break;
		case FP_EV_ORDER_CANCEL:
			on_cancel(gw, ev);
			break;
		case FP_EV_ORDER_REPLACE:
			on_replace(gw, ev);
			break;
		case FP_EV_ORDER_MASS_CANCEL:
			if (gw->state == FP_GW_UP)
				send_mass_cancel(gw, ev, ev->symbol_id);
			break;
		default:
			break;
		}
	}
	if (gw->nb_jbuf)
		jrnl_flush(gw); /* local rejects */
	fp_ring_release(gw->cfg.order_ring, nb);
	return nb;
}

/* ---- venue messages ---- */

static struct fp_gw_order *venue_order(struct fp_gw *gw, uint32_t urn)
{
	uint32_t v = find_urn(gw, urn);
	if (v == NIL) {
		gw->st->nb_unknown++;
		return NULL;
	}
	return &gw->orders[v - 1];
}

/* client_order_id from a ClOrdID written by put_cl_ord_id(); 0 when it is not one. */
static uint64_t get_cl_ord_id(const char in[14])
{
	uint64_t id = 0;
	int i = 0;
	for (; i < 14 && in[i] != ' '; i++) {
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

static uint8_t fp_tif(uint8_t ouch_tif)
{
	return ouch_tif == '3' ? FP_TIF_IOC : ouch_tif == '5' ? FP_TIF_GTX : FP_TIF_DAY;
}

/* Take over an order the venue accepted but the gateway does not know: it was sent just
 * before a crash and its journal record was lost with the ring (fp_gw.h, Recovery). Cold:
 * a scan of the symbol table. NULL (counted as unknown by the caller) when the ClOrdID or
 * the symbol is not one of ours, the id is in use, or the table is full. */
static struct fp_gw_order *adopt(struct fp_gw *gw, const struct fp_ouch_msg *m)
{
	uint64_t id = get_cl_ord_id(m->cl_ord_id);
	uint32_t sym = 0;
	char name[8];
	for (uint32_t i = 1; i < FP_SYMTAB_NB_ENTRIES && !sym; i++)
		if (gw_symbol(gw, i, name) && memcmp(name, m->symbol, 8) == 0)
			sym = i;
	if (id == 0 || sym == 0 || m->user_ref_num == 0 || find_id(gw, id) != NIL)
		return NULL;
	struct fp_gw_order *o =
		order_open(gw, &(struct fp_gw_order){.client_order_id = id,
						     .price = m->price,
						     .qty = m->quantity,
						     .symbol_id = sym,
						     .strategy_id = fp_order_id_strategy(id),
						     .side = m->side,
						     .tif = fp_tif(m->time_in_force),
						     .user_ref_num = m->user_ref_num});
	if (o != NULL)
		gw->st->nb_adopted++;
	return o;
}

/* The venue accepts an order declared lost: an Account Query answer replayed from before
 * the crash (the journal lost its record) ended the sync too early. The venue is right: the
 * order lives again (in a fresh slot: the old one is on the free list) and its reports are
 * applied; risk closed it on the reject, and still counts its fills. Cold, rare. */
static struct fp_gw_order *relive(struct fp_gw *gw, struct fp_gw_order *old)
{
	struct fp_gw_order keep = *old;
	del_id(gw, old->client_order_id);
	del_urn(gw, old->user_ref_num);
	old->client_order_id = 0; /* so that order_alloc() of that slot unmaps nothing */
	old->user_ref_num = 0;
	keep.recovered = 1;
	struct fp_gw_order *o = order_open(gw, &keep);
	if (o == NULL)
		return NULL;
	gw->st->nb_lost--;
	gw->st->nb_relived++;
	return o;
}

static void impossible(struct fp_gw *gw)
{
	gw->st->nb_impossible++; /* invariant (3) */
}

static void apply_reduce(struct fp_gw *gw, struct fp_gw_order *o, uint32_t dec, uint8_t reason)
{
	if (!is_open(o) || dec > o->leaves)
		return impossible(gw);
	o->leaves -= dec;
	if (o->pending == FP_GW_PEND_CANCEL)
		o->pending = FP_GW_PEND_NONE;
	gw->st->nb_canceled++;
	if (o->leaves == 0)
		order_final(gw, o, FP_GW_CANCELED);
	exec_emit(gw, FP_EV_EXEC_CANCELED, o, o->client_order_id, o->price, dec, 0, reason);
}

/* The venue replaced @p o with a UserRefNum the gateway does not know: the Replace Order
 * was sent just before a crash and its journal record was lost (fp_gw.h, Recovery). Take
 * the replacement from the message (ClOrdID), so that the replace applies and the reports
 * of the new UserRefNum find their order. A pending replace of another UserRefNum was
 * refused meanwhile (its Rejected is before this message): it is dropped. Cold. */
static void adopt_replace(struct fp_gw *gw, struct fp_gw_order *o, const struct fp_ouch_msg *m)
{
	uint64_t id = get_cl_ord_id(m->cl_ord_id);
	if (id == 0 || m->user_ref_num == 0 || find_id(gw, id) != NIL)
		return;
	if (o->pending == FP_GW_PEND_REPLACE)
		del_urn(gw, o->pend_user_ref_num);
	o->pending = FP_GW_PEND_REPLACE;
	o->pend_client_order_id = id;
	o->pend_price = m->price;
	o->pend_qty = o->filled + m->quantity;
	o->pend_user_ref_num = m->user_ref_num;
	map_put(gw->urn_map, gw->urn_mask, m->user_ref_num, (uint32_t)(o - gw->orders) + 1);
	gw->st->nb_adopted++;
	if (m->user_ref_num >= gw->st->next_user_ref_num) /* invariant (2) */
		gw->st->next_user_ref_num = m->user_ref_num + 1;
}

static void apply_replaced(struct fp_gw *gw, const struct fp_ouch_msg *m)
{
	struct fp_gw_order *o = venue_order(gw, m->orig_user_ref_num);
	if (o == NULL)
		return;
	if (is_open(o) && o->user_ref_num == m->orig_user_ref_num &&
	    find_urn(gw, m->user_ref_num) == NIL)
		adopt_replace(gw, o, m);
	if (!is_open(o) || o->pending != FP_GW_PEND_REPLACE ||
	    o->pend_user_ref_num != m->user_ref_num || o->user_ref_num != m->orig_user_ref_num)
		return impossible(gw);
	uint32_t v = (uint32_t)(o - gw->orders) + 1;
	uint64_t old_id = o->client_order_id;
	uint32_t old_leaves = o->leaves;
	/* The old id ends (canceled, leaves 0), the replacement starts (accepted). */
	o->leaves = 0;
	exec_emit(gw, FP_EV_EXEC_CANCELED, o, old_id, o->price, old_leaves, 0, 0);
	del_urn(gw, o->user_ref_num);
	del_id(gw, old_id);
	o->user_ref_num = m->user_ref_num;
	o->pend_user_ref_num = 0;
	o->pending = FP_GW_PEND_NONE;
	o->client_order_id = o->pend_client_order_id;
	map_put(gw->id_map, ID_MASK(gw), o->client_order_id, v);
	o->price = m->price;
	o->qty = o->pend_qty;
	o->leaves = m->order_state == 'D' ? 0 : m->quantity;
	o->order_reference_number = m->order_reference_number;
	gw->st->nb_replaced++;
	exec_emit(gw, FP_EV_EXEC_ACCEPTED, o, o->client_order_id, o->price, m->quantity,
		  m->order_reference_number, 0);
	if (m->order_state == 'D' || o->leaves == 0)
		order_final(gw, o, FP_GW_CANCELED);
}

static void apply_rejected(struct fp_gw *gw, const struct fp_ouch_msg *m)
{
	struct fp_gw_order *o = venue_order(gw, m->user_ref_num);
	if (o == NULL)
		return;
	uint8_t reason = (uint8_t)(m->reject_reason > 0x7f ? 0x7f : m->reject_reason);
	gw->st->nb_rejected++;
	if (o->state == FP_GW_PENDING_NEW && o->user_ref_num == m->user_ref_num) {
		exec_emit(gw, FP_EV_EXEC_REJECTED, o, o->client_order_id, o->price, o->qty, 0,
			  reason);
		order_final(gw, o, FP_GW_REJECTED);
	} else if (o->pending == FP_GW_PEND_REPLACE && o->pend_user_ref_num == m->user_ref_num) {
		exec_emit(gw, FP_EV_EXEC_REJECTED, o, o->pend_client_order_id, o->pend_price,
			  o->pend_qty, 0, reason);
		del_urn(gw, o->pend_user_ref_num);
		o->pend_user_ref_num = 0;
		o->pending = FP_GW_PEND_NONE;
	} else {
		gw->st->nb_rejected--;
		impossible(gw);
	}
}

static void apply_venue(struct fp_gw *gw, const struct fp_ouch_msg *m)
{
	struct fp_gw_order *o;
	switch (m->type) {
	case FP_OUCH_ORDER_ACCEPTED:
		if (find_urn(gw, m->user_ref_num) == NIL && (o = adopt(gw, m)) != NULL)
			; /* sent before a crash, not journaled: known from now on */
		else if ((o = venue_order(gw, m->user_ref_num)) == NULL)
			break;
		else if (o->recovered == FP_GW_REC_LOST && o->state == FP_GW_REJECTED &&
			 o->user_ref_num == m->user_ref_num && (o = relive(gw, o)) == NULL)
			break;
		if (o->state != FP_GW_PENDING_NEW || o->user_ref_num != m->user_ref_num) {
			impossible(gw);
			break;
		}
		o->state = FP_GW_ACCEPTED;
		o->order_reference_number = m->order_reference_number;
		o->price = m->price;
		o->leaves = m->order_state == 'D' ? 0 : m->quantity; /* 'D': dead on arrival */
		gw->st->nb_accepted++;
		exec_emit(gw, FP_EV_EXEC_ACCEPTED, o, o->client_order_id, o->price, m->quantity,
			  m->order_reference_number, 0);
		if (m->order_state == 'D')
			order_final(gw, o, FP_GW_CANCELED);
		break;
	case FP_OUCH_ORDER_EXECUTED:
		if ((o = venue_order(gw, m->user_ref_num)) == NULL)
			break;
		if (!is_open(o) || m->quantity == 0 || m->quantity > o->leaves) {
			impossible(gw);
			break;
		}
		o->filled += m->quantity;
		o->leaves -= m->quantity;
		o->state = o->leaves ? FP_GW_PARTIAL : FP_GW_FILLED;
		gw->st->nb_fills++;
		exec_emit(gw, FP_EV_EXEC_FILL, o, o->client_order_id, m->price, m->quantity,
			  m->match_number, m->liquidity_flag);
		if (o->leaves == 0)
			order_final(gw, o, FP_GW_FILLED);
		break;
	case FP_OUCH_ORDER_CANCELED:
		if ((o = venue_order(gw, m->user_ref_num)) != NULL)
			apply_reduce(gw, o, m->quantity, m->reason);
		break;
	case FP_OUCH_AIQ_CANCELED:
		if ((o = venue_order(gw, m->user_ref_num)) != NULL)
			apply_reduce(gw, o, m->decrement_shares, m->reason);
		break;
	case FP_OUCH_ORDER_REPLACED:
		apply_replaced(gw, m);
		break;
	case FP_OUCH_ORDER_REJECTED:
		apply_rejected(gw, m);
		break;
	case FP_OUCH_CANCEL_REJECT:
		if ((o = venue_order(gw, m->user_ref_num)) == NULL)
			break;
		if (o->pending != FP_GW_PEND_CANCEL)
			impossible(gw);
		else
			o->pending = FP_GW_PEND_NONE;
		break;
	case FP_OUCH_ORDER_MODIFIED:
		if ((o = venue_order(gw, m->user_ref_num)) == NULL)
			break;
		if (!is_open(o) || m->quantity > o->leaves)
			impossible(gw);
		else if (m->quantity < o->leaves)
			apply_reduce(gw, o, o->leaves - m->quantity, 'U');
		break;
	case FP_OUCH_ORDER_PRIORITY_UPDATE:
		if ((o = venue_order(gw, m->user_ref_num)) == NULL)
			break;
		if (!is_open(o)) {
			impossible(gw);
			break;
		}
		o->order_reference_number = m->order_reference_number;
		o->price = m->price;
		break;
	case FP_OUCH_ACCOUNT_QUERY_RESPONSE:
		if (m->next_user_ref_num > gw->st->next_user_ref_num)
			gw->st->next_user_ref_num = m->next_user_ref_num; /* invariant (2) */
		if (gw->state == FP_GW_SYNCING) {
			gw->state = FP_GW_UP;
			gw->backoff_ms = gw->cfg.backoff_min_ms;
			/* Enter Orders the venue never saw (sent just before a drop) go again with
			 * their own UserRefNum: resending inbound messages is benign (OUCH 2). One
			 * rebuilt from the journal was never sent (a crash between J2 and send()):
			 * it is stale, so it is released (FP_GW_REJ_LOST), not sent. */
			uint64_t seq = gw->cur_seq;
			gw->cur_seq = 0; /* local rejects carry seq 0 */
			for (uint32_t i = 0; i <= gw->mask; i++) {
				struct fp_gw_order *p = &gw->orders[i];
				if (p->state != FP_GW_PENDING_NEW ||
				    p->user_ref_num < m->next_user_ref_num)
					continue;
				if (p->recovered) {
					p->recovered = FP_GW_REC_LOST;
					gw->st->nb_lost++;
					gw->st->nb_local_rejects++;
					gw->st->nb_local_by_reason[FP_GW_REJ_LOST -
								   FP_GW_REJ_FIRST]++;
					exec_emit(gw, FP_EV_EXEC_REJECTED, p, p->client_order_id,
						  p->price, p->qty, 0, FP_GW_REJ_LOST);
					order_final(gw, p, FP_GW_REJECTED);
				} else {
					send_enter(gw, p, &(uint64_t){0});
				}
			}
			gw->cur_seq = seq;
			/* The replay is applied: risk may release what the gateway never had. */
			struct fp_event up = {.type = FP_EV_CONTROL};
			up.u.control.command = FP_EV_CTL_VENUE_UP;
			up.u.control.arg = FP_GW_VENUE_SYNCED;
			up.u.control.value = gw->st->nb_disconnects;
			fp_soup_put_alpha(up.u.control.text, gw->session_name, FP_SOUP_SESSION_LEN);
			fp_ring_enqueue_burst(gw->cfg.exec_ring, &up, 1);
		}
		break;
	default: /* S, P, R, B, X, G, K: nothing to apply to an order */
		break;
	}
}

/* ---- session ---- */

/* Tell risk (the first exec ring) that the venue session went down or came back: its
 * venue breaker trips on the first. Control events are never dropped (invariant 4 keeps
 * room in the exec ring). */
static void venue_notice(struct fp_gw *gw, uint32_t command)
{
	struct fp_event ev = {.type = FP_EV_CONTROL};
	ev.u.control.command = command;
	ev.u.control.value = gw->st->nb_disconnects;
	fp_ring_enqueue_burst(gw->cfg.exec_ring, &ev, 1);
}

/* Logged in to @p session (space padded): tell both exec consumers (J3: they reset their
 * duplicate filter on a new session) before any replayed report, and journal it. */
static void session_notice(struct fp_gw *gw, const char *session, uint64_t requested)
{
	struct fp_event ev = {.type = FP_EV_CONTROL};
	ev.u.control.command = FP_EV_CTL_VENUE_UP;
	ev.u.control.value = gw->st->nb_disconnects;
	fp_soup_put_alpha(ev.u.control.text, session, FP_SOUP_SESSION_LEN);
	fp_ring_enqueue_burst(gw->cfg.exec_ring, &ev, 1);
	if (gw->cfg.exec_ring2)
		fp_ring_enqueue_burst(gw->cfg.exec_ring2, &ev, 1);
	if (gw->cfg.journal_ring) {
		ev.u.control.command = FP_JRNL_CTL_SESSION;
		ev.u.control.value = requested;
		jrnl_add(gw, &ev);
		jrnl_flush(gw);
	}
}

static void session_drop(struct fp_gw *gw)
{
	if (gw->fd >= 0)
		close(gw->fd);
	gw->fd = -1;
	if (gw->state >= FP_GW_SYNCING) {
		gw->st->nb_disconnects++;
		gw->st->breaker = 1; /* a venue disconnect trips the breaker */
		venue_notice(gw, FP_EV_CTL_VENUE_DOWN);
	}
	gw->state = FP_GW_DOWN;
	gw->tx_len = 0;
	gw->retry_at_ns = gw->now_ns + (uint64_t)gw->backoff_ms * 1000000u;
	gw->backoff_ms = FP_MIN(gw->backoff_ms * 2, gw->cfg.backoff_max_ms);
}

static void send_login(struct fp_gw *gw)
{
	uint8_t b[64];
	size_t n = fp_soup_build_login_request(b, sizeof(b), gw->cfg.username, gw->cfg.password,
					       gw->session, gw->st->next_seq);
	fp_soup_rx_init(gw->rx, FP_SOUP_FROM_SERVER, FP_OUCH_MAX_MSG);
	gw->state = FP_GW_LOGGING_IN;
	gw->last_rx_ns = gw->now_ns;
	tx(gw, b, n);
}

static void session_connect(struct fp_gw *gw)
{
	gw->st->nb_connects++;
	gw->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (gw->fd < 0)
		return session_drop(gw);
	int one = 1;
	setsockopt(gw->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(gw->cfg.port)};
	sa.sin_addr.s_addr = gw->venue_addr;
	gw->last_rx_ns = gw->now_ns; /* connect timeout counts from here */
	if (connect(gw->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return send_login(gw);
	if (errno != EINPROGRESS)
		return session_drop(gw);
	gw->state = FP_GW_CONNECTING;
}

static void session_connecting(struct fp_gw *gw)
{
	struct pollfd p = {.fd = gw->fd, .events = POLLOUT};
	if (poll(&p, 1, 0) <= 0)
		return;
	int err = 0;
	socklen_t l = sizeof(err);
	getsockopt(gw->fd, SOL_SOCKET, SO_ERROR, &err, &l);
	if (err != 0)
		return session_drop(gw);
	send_login(gw);
}

static void on_login_accepted(struct fp_gw *gw, const struct fp_soup_pkt *p)
{
	struct fp_soup_login l;
	if (fp_soup_parse_login_accepted(p, &l) != 0)
		return session_drop(gw);
	if (gw->st->next_seq != 0 && l.sequence_number > gw->st->next_seq)
		gw->st->nb_seq_gaps++;
	uint64_t requested = gw->st->next_seq;
	gw->st->next_seq = l.sequence_number;
	gw->st->nb_logins++;
	gw->state = FP_GW_SYNCING;
	snprintf(gw->session_name, sizeof(gw->session_name), "%s", l.session);
	session_notice(gw, l.session, requested);
	struct fp_ouch_msg q = {.type = FP_OUCH_ACCOUNT_QUERY, .dir = FP_OUCH_INBOUND};
	send_ouch(gw, &q);
}

/* Apply up to @p budget venue packets already received (invariant 4). */
static unsigned venue_input(struct fp_gw *gw, unsigned budget)
{
	unsigned nb = 0;
	struct fp_soup_pkt p;
	while (nb < budget && gw->fd >= 0) {
		if (exec_room(gw) < FP_GW_EXEC_RESERVE) {
			gw->st->nb_exec_stalls++;
			break;
		}
		if (jrnl_room(gw) < FP_GW_EXEC_RESERVE) { /* invariant (4), J3 */
			gw->st->nb_journal_stalls++;
			break;
		}
		enum fp_soup_rc rc = fp_soup_rx_next(gw->rx, &p);
		if (rc == FP_SOUP_NEED_MORE)
			break;
		if (rc != FP_SOUP_OK) {
			session_drop(gw);
			break;
		}
		nb++;
		switch (p.type) {
		case FP_SOUP_SEQUENCED: {
			struct fp_ouch_msg m;
			if (gw->state < FP_GW_SYNCING ||
			    fp_ouch_decode(FP_OUCH_OUTBOUND, p.payload, p.payload_len, &m) !=
				    FP_OUCH_OK) {
				session_drop(gw);
				return nb;
			}
			gw->cur_seq = gw->st->next_seq;
			apply_venue(gw, &m); /* invariant (1): apply, then count it */
			gw->cur_seq = 0;
			gw->st->next_seq++;
			gw->st->nb_venue_msgs++;
			if (gw->nb_jbuf)
				jrnl_flush(gw); /* J3: after the exec rings, all at once */
			break;
		}
		case FP_SOUP_LOGIN_ACCEPTED:
			on_login_accepted(gw, &p);
			break;
		case FP_SOUP_LOGIN_REJECTED:
			gw->st->nb_login_rejected++;
			if (gw->rec_session_set) { /* the journal's session is gone (a new day) */
				gw->rec_session_set = 0;
				snprintf(gw->session, sizeof(gw->session), "%s", gw->cfg_session);
				gw->st->next_seq = 1;
				gw->st->nb_session_resets++;
			}
			session_drop(gw);
			return nb;
		case FP_SOUP_END_OF_SESSION:
			session_drop(gw);
			return nb;
		default: /* heartbeat, debug */
			break;
		}
	}
	return nb;
}

static void venue_read(struct fp_gw *gw)
{
	size_t room;
	uint8_t *w = fp_soup_rx_space(gw->rx, &room);
	if (room == 0)
		return;
	ssize_t n = recv(gw->fd, w, room, MSG_DONTWAIT);
	if (n > 0) {
		fp_soup_rx_commit(gw->rx, (size_t)n);
		gw->last_rx_ns = gw->now_ns;
	} else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		session_drop(gw);
	}
}

static void kill_switch(struct fp_gw *gw)
{
	struct fp_shm_ctl_change trip;
	uint64_t set_ns = realtime_ns();
	if (fp_shm_ctl_last_change(gw->cfg.ctl, &trip) && trip.what == FP_CTL_CHANGE_KILL)
		set_ns = trip.time_ns;
	gw->st->killed = 1;
	if (gw->state != FP_GW_UP)
		return; /* retried on every poll until the session is up */
	send_mass_cancel(gw, NULL, 0);
	for (uint32_t i = 0; i <= gw->mask && gw->fd >= 0; i++) {
		struct fp_gw_order *o = &gw->orders[i];
		if (is_open(o) && o->pending != FP_GW_PEND_CANCEL) {
			o->pending = FP_GW_PEND_CANCEL;
			/* Journaled when there is room; a kill never waits for the journal. */
			struct fp_event c = {.type = FP_EV_ORDER_CANCEL, .symbol_id = o->symbol_id};
			c.source = o->strategy_id;
			c.u.order.strategy_id = o->strategy_id;
			c.u.order.orig_client_order_id = o->client_order_id;
			jrnl_order(gw, &c, o->user_ref_num);
			send_cancel(gw, o->user_ref_num, 0);
			gw->st->nb_kill_cancels++;
		}
	}
	gw->st->kill_latency_ns = realtime_ns() - set_ns;
	gw->st->killed = 2; /* done */
}

unsigned fp_gw_poll(struct fp_gw *gw, unsigned budget)
{
	unsigned work = 0;
	gw->now_ns = mono_ns();
	if (gw->cfg.ctl && fp_shm_ctl_killed(gw->cfg.ctl)) {
		if (gw->st->killed != 2)
			kill_switch(gw);
	} else if (fp_unlikely(gw->st->killed)) {
		gw->st->killed =
			0; /* re-armed (fastpath-ctl unkill): orders flow again (issue 16) */
	}
	work += take_orders(gw, budget);
	switch (gw->state) {
	case FP_GW_DOWN:
		if (gw->now_ns >= gw->retry_at_ns)
			session_connect(gw);
		break;
	case FP_GW_CONNECTING:
		if (gw->now_ns - gw->last_rx_ns >= (uint64_t)gw->cfg.timeout_ms * 1000000u)
			session_drop(gw);
		else
			session_connecting(gw);
		break;
	default:
		tx_flush(gw);
		if (gw->fd >= 0 && (gw->state != FP_GW_UP || gw->now_ns >= gw->next_read_ns)) {
			venue_read(gw);
			if (gw->cfg.rx_interval_us > 0)
				gw->next_read_ns =
					gw->now_ns + (uint64_t)gw->cfg.rx_interval_us * 1000u;
		}
		if (gw->fd >= 0)
			work += venue_input(gw, budget);
		if (gw->fd < 0)
			break;
		if (gw->now_ns - gw->last_rx_ns >= (uint64_t)gw->cfg.timeout_ms * 1000000u) {
			gw->st->nb_timeouts++;
			session_drop(gw);
		} else if (gw->now_ns - gw->last_tx_ns >=
			   (uint64_t)gw->cfg.heartbeat_ms * 1000000u) {
			uint8_t hb[FP_SOUP_HDR_SIZE];
			fp_soup_build_empty(hb, sizeof(hb), FP_SOUP_CLIENT_HEARTBEAT);
			gw->st->nb_heartbeats++;
			tx(gw, hb, sizeof(hb));
		}
		break;
	}
	gw->st->session = gw->state;
	return work;
}

/* ---- recovery (cold; fp_gw.h, Recovery): the journal's records, in order ---- */

static struct fp_gw_order *rec_find(struct fp_gw *gw, uint64_t id)
{
	uint32_t v = find_id(gw, id);
	return v ? &gw->orders[v - 1] : NULL;
}

static void rec_urn(struct fp_gw *gw, uint64_t urn)
{
	if (urn >= gw->st->next_user_ref_num && urn < UINT32_MAX) /* invariant (2) */
		gw->st->next_user_ref_num = (uint32_t)urn + 1;
}

static void rec_new(struct fp_gw *gw, const struct fp_event *ev)
{
	const struct fp_ev_order *r = &ev->u.order;
	if (r->client_order_id == 0 || ev->seq == 0 || ev->seq >= UINT32_MAX ||
	    rec_find(gw, r->client_order_id) || find_urn(gw, (uint32_t)ev->seq) ||
	    order_open(gw, &(struct fp_gw_order){.client_order_id = r->client_order_id,
						 .price = r->price,
						 .qty = r->shares,
						 .symbol_id = ev->symbol_id,
						 .strategy_id = r->strategy_id,
						 .side = r->side,
						 .tif = r->tif,
						 .user_ref_num = (uint32_t)ev->seq,
						 .recovered = 1}) == NULL) {
		gw->st->nb_recover_unknown++;
		return;
	}
	gw->st->nb_recovered_orders++;
}

static void rec_replace(struct fp_gw *gw, const struct fp_event *ev)
{
	const struct fp_ev_order *r = &ev->u.order;
	struct fp_gw_order *o = rec_find(gw, r->orig_client_order_id);
	if (o == NULL || !is_open(o) || o->pending != FP_GW_PEND_NONE || ev->seq == 0 ||
	    find_urn(gw, (uint32_t)ev->seq)) {
		gw->st->nb_recover_unknown++;
		return;
	}
	o->pending = FP_GW_PEND_REPLACE;
	o->pend_client_order_id = r->client_order_id;
	o->pend_price = r->price;
	o->pend_qty = r->shares;
	o->pend_user_ref_num = (uint32_t)ev->seq;
	map_put(gw->urn_map, gw->urn_mask, o->pend_user_ref_num, (uint32_t)(o - gw->orders) + 1);
}

/* The old leg of a replace ended and no accepted new leg followed: the order is gone. */
static void rec_replace_end(struct fp_gw *gw)
{
	struct fp_gw_order *o = &gw->orders[gw->rec_replace - 1];
	gw->rec_replace = 0;
	if (is_open(o))
		order_final(gw, o, FP_GW_CANCELED);
}

/* The new leg of a replace was accepted (apply_replaced, replayed). */
static void rec_replaced(struct fp_gw *gw, struct fp_gw_order *o, const struct fp_ev_exec *x)
{
	uint32_t v = (uint32_t)(o - gw->orders) + 1;
	del_urn(gw, o->user_ref_num);
	del_id(gw, o->client_order_id);
	o->user_ref_num = o->pend_user_ref_num;
	o->pend_user_ref_num = 0;
	o->pending = FP_GW_PEND_NONE;
	o->client_order_id = o->pend_client_order_id;
	map_put(gw->id_map, ID_MASK(gw), o->client_order_id, v);
	o->price = x->price;
	o->qty = o->pend_qty;
	o->leaves = x->leaves_shares;
	o->order_reference_number = x->match_number;
	if (o->leaves == 0)
		order_final(gw, o, FP_GW_CANCELED);
}

/* An exec report adopts its order (the journal lost the order record, not the report). */
static struct fp_gw_order *rec_adopt(struct fp_gw *gw, const struct fp_event *ev)
{
	const struct fp_ev_exec *x = &ev->u.exec;
	struct fp_gw_order *o;
	if (x->client_order_id == 0 || x->reserved == 0 || find_urn(gw, x->reserved) ||
	    ev->symbol_id == 0 || ev->symbol_id >= FP_SYMTAB_NB_ENTRIES ||
	    (o = order_open(gw, &(struct fp_gw_order){.client_order_id = x->client_order_id,
						      .price = x->price,
						      .qty = x->shares,
						      .symbol_id = ev->symbol_id,
						      .strategy_id = x->strategy_id,
						      .side = x->side,
						      .user_ref_num = x->reserved,
						      .recovered = 1})) == NULL)
		return NULL;
	gw->st->nb_adopted++;
	gw->st->nb_recovered_orders++;
	return o;
}

static void rec_exec(struct fp_gw *gw, const struct fp_event *ev)
{
	const struct fp_ev_exec *x = &ev->u.exec;
	struct fp_gw_order *o = rec_find(gw, x->client_order_id);
	if (ev->seq != 0 && ev->seq >= gw->st->next_seq)
		gw->st->next_seq = ev->seq + 1; /* J5: resume after the last journaled message */
	if (gw->rec_replace) {
		struct fp_gw_order *p = &gw->orders[gw->rec_replace - 1];
		if (ev->type == FP_EV_EXEC_ACCEPTED &&
		    p->pend_client_order_id == x->client_order_id && is_open(p) &&
		    p->pending == FP_GW_PEND_REPLACE) {
			gw->rec_replace = 0;
			return rec_replaced(gw, p, x);
		}
		rec_replace_end(gw);
	}
	switch (ev->type) {
	case FP_EV_EXEC_ACCEPTED:
		if (o == NULL && (o = rec_adopt(gw, ev)) == NULL)
			break;
		if (o->state != FP_GW_PENDING_NEW)
			return;
		o->state = FP_GW_ACCEPTED;
		o->leaves = x->leaves_shares;
		o->price = x->price;
		o->order_reference_number = x->match_number;
		if (o->leaves == 0)
			order_final(gw, o, FP_GW_CANCELED);
		return;
	case FP_EV_EXEC_FILL:
		if (o == NULL || !is_open(o))
			break;
		o->filled += x->shares;
		o->leaves = FP_MIN(x->leaves_shares, o->leaves);
		o->state = o->leaves ? FP_GW_PARTIAL : FP_GW_FILLED;
		gw->st->nb_recovered_fills++;
		if (o->leaves == 0)
			order_final(gw, o, FP_GW_FILLED);
		return;
	case FP_EV_EXEC_CANCELED:
		if (o == NULL || !is_open(o))
			break;
		/* The old leg of a replace (apply_replaced: reason 0, its accepted new leg is the
		 * next record, journaled in the same push). */
		if (x->leaves_shares == 0 && x->reason == 0 && ev->seq != 0 &&
		    o->pending == FP_GW_PEND_REPLACE) {
			gw->rec_replace = (uint32_t)(o - gw->orders) + 1;
			return;
		}
		o->leaves = FP_MIN(x->leaves_shares, o->leaves);
		if (o->pending == FP_GW_PEND_CANCEL)
			o->pending = FP_GW_PEND_NONE;
		if (o->leaves == 0)
			order_final(gw, o, FP_GW_CANCELED);
		return;
	case FP_EV_EXEC_REJECTED:
		if (ev->seq == 0 && x->reason != FP_GW_REJ_LOST)
			return; /* a local reject: the order was never recorded (invariant 5) */
		if (o != NULL && o->state == FP_GW_PENDING_NEW) {
			order_final(gw, o, FP_GW_REJECTED);
			return;
		}
		if (o == NULL && x->reserved && find_urn(gw, x->reserved)) { /* a replace refused */
			o = &gw->orders[find_urn(gw, x->reserved) - 1];
			if (o->pending == FP_GW_PEND_REPLACE &&
			    o->pend_client_order_id == x->client_order_id) {
				del_urn(gw, o->pend_user_ref_num);
				o->pend_user_ref_num = 0;
				o->pending = FP_GW_PEND_NONE;
				return;
			}
		}
		break;
	default:
		return;
	}
	gw->st->nb_recover_unknown++;
}

int fp_gw_recover_event(struct fp_gw *gw, const struct fp_event *ev)
{
	const struct fp_ev_order *r = &ev->u.order;
	struct fp_gw_order *o;
	gw->st->nb_recovered_records++;
	if (ev->type >= FP_EV_ORDER_NEW && ev->type <= FP_EV_ORDER_MASS_CANCEL &&
	    r->client_order_id)
		gw->rec_recent[gw->nb_rec_recent++ % FP_GW_REC_RECENT] = r->client_order_id;
	if (ev->type >= FP_EV_EXEC_ACCEPTED && ev->type <= FP_EV_EXEC_CANCEL_REJECT)
		return rec_exec(gw, ev), 0;
	if (gw->rec_replace)
		rec_replace_end(gw);
	switch (ev->type) {
	case FP_EV_ORDER_NEW:
		rec_urn(gw, ev->seq);
		rec_new(gw, ev);
		break;
	case FP_EV_ORDER_REPLACE:
		rec_urn(gw, ev->seq);
		rec_replace(gw, ev);
		break;
	case FP_EV_ORDER_CANCEL:
		if ((o = rec_find(gw, r->orig_client_order_id)) && is_open(o) &&
		    o->pending == FP_GW_PEND_NONE)
			o->pending = FP_GW_PEND_CANCEL;
		break;
	case FP_EV_ORDER_MASS_CANCEL:
		rec_urn(gw, ev->seq);
		break;
	case FP_EV_CONTROL:
		if (ev->u.control.command == FP_JRNL_CTL_SESSION) {
			char sess[FP_SOUP_SESSION_LEN + 1];
			fp_soup_get_alpha(sess, ev->u.control.text, FP_SOUP_SESSION_LEN);
			if (strcmp(sess, gw->rec_session) != 0) { /* a new session numbers from 1 */
				snprintf(gw->rec_session, sizeof(gw->rec_session), "%s", sess);
				gw->st->next_seq = FP_MAX(ev->u.control.value, 1);
			} else if (ev->u.control.value > gw->st->next_seq) {
				gw->st->next_seq = ev->u.control.value;
			}
		}
		break;
	default:
		break;
	}
	return 0;
}

void fp_gw_recover_new_day(struct fp_gw *gw)
{
	uint32_t n = gw->mask + 1;
	memset(gw->orders, 0, n * sizeof(*gw->orders));
	memset(gw->id_map, 0, 2 * (size_t)n * sizeof(*gw->id_map));
	memset(gw->urn_map, 0, 4 * (size_t)n * sizeof(*gw->urn_map));
	for (uint32_t i = 0; i < n; i++)
		gw->free_list[i] = n - 1 - i;
	gw->nb_free = n;
	gw->st->nb_open = 0;
	gw->st->next_seq = 1;
	gw->rec_replace = 0;
	gw->rec_session[0] = '\0';
	gw->nb_rec_recent = 0;
}

void fp_gw_recover_done(struct fp_gw *gw)
{
	if (gw->rec_replace)
		rec_replace_end(gw);
	if (gw->rec_session[0]) {
		if (gw->cfg_session[0] == '\0' || strcmp(gw->cfg_session, gw->rec_session) == 0) {
			snprintf(gw->session, sizeof(gw->session), "%s", gw->rec_session);
			gw->rec_session_set = 1;
		} else {
			gw->st->next_seq = 1; /* another session is configured: start it anew */
		}
	}
	gw->st->nb_recovered_open = gw->st->nb_open;
	gw->rec_skip = gw->nb_rec_recent != 0;
}

/* ---- lifecycle ---- */

int fp_gw_credentials_from_env(struct fp_gw_cfg *cfg)
{
	static const struct {
		const char *var;
		size_t off, max;
	} f[] = {
		{"FP_GW_USER", offsetof(struct fp_gw_cfg, username), FP_SOUP_USERNAME_LEN},
		{"FP_GW_PASSWORD", offsetof(struct fp_gw_cfg, password), FP_SOUP_PASSWORD_LEN},
	};
	for (size_t i = 0; i < FP_ARRAY_SIZE(f); i++) {
		char *dst = (char *)cfg + f[i].off;
		if (dst[0])
			continue;
		const char *v = getenv(f[i].var);
		if (v == NULL || v[0] == '\0')
			return fp_err_set(-EINVAL, "gateway: no credential in config or %s",
					  f[i].var);
		if (strlen(v) > f[i].max)
			return fp_err_set(-EINVAL, "gateway: %s longer than %zu characters",
					  f[i].var, f[i].max);
		strcpy(dst, v);
	}
	return 0;
}

int fp_gw_init(struct fp_gw *gw, const struct fp_gw_cfg *cfg)
{
	memset(gw, 0, sizeof(*gw));
	gw->fd = -1;
	gw->cfg = *cfg;
	gw->st = cfg->stats ? cfg->stats : &gw->own_st;
	memset(gw->st, 0, sizeof(*gw->st));
	gw->st->magic = FP_GW_STATS_MAGIC;
	gw->st->version = FP_GW_STATS_VERSION;
	gw->st->size = sizeof(*gw->st);
	struct fp_gw_cfg *c = &gw->cfg;
	if (!c->host)
		c->host = "127.0.0.1";
	if (!c->session)
		c->session = "";
	c->max_orders = c->max_orders ? c->max_orders : 4096;
	c->heartbeat_ms = c->heartbeat_ms ? c->heartbeat_ms : FP_SOUP_HEARTBEAT_MS;
	c->timeout_ms = c->timeout_ms ? c->timeout_ms : FP_SOUP_TIMEOUT_MS;
	c->backoff_min_ms = c->backoff_min_ms ? c->backoff_min_ms : 100;
	c->backoff_max_ms = c->backoff_max_ms ? c->backoff_max_ms : 5000;
	c->rx_interval_us = c->rx_interval_us ? c->rx_interval_us : 20;
	struct in_addr ia;
	if (!c->order_ring || !c->exec_ring)
		return fp_err_set(-EINVAL, "gateway: order_ring and exec_ring are required");
	if (!c->symtab)
		return fp_err_set(-EINVAL, "gateway: no symbol table");
	if (!FP_IS_POW2(c->max_orders) || c->max_orders > (1u << 24))
		return fp_err_set(-EINVAL, "gateway: max_orders %u must be a power of 2 <= 2^24",
				  c->max_orders);
	if (inet_pton(AF_INET, c->host, &ia) != 1 || c->port == 0)
		return fp_err_set(-EINVAL, "gateway: venue address %s:%u is not IPv4:port", c->host,
				  (unsigned)c->port);
	if (!c->username[0] || !c->password[0])
		return fp_err_set(-EINVAL, "gateway: credentials missing (config or FP_GW_USER/"
					   "FP_GW_PASSWORD)");
	if (c->firm[0] && strlen(c->firm) != 4)
		return fp_err_set(-EINVAL, "gateway: firm must be 4 letters");
	if (strlen(c->session) > FP_SOUP_SESSION_LEN)
		return fp_err_set(-EINVAL, "gateway: session longer than %d", FP_SOUP_SESSION_LEN);
	if (fp_ring_capacity(c->exec_ring) < 2 * FP_GW_EXEC_RESERVE ||
	    (c->exec_ring2 && fp_ring_capacity(c->exec_ring2) < 2 * FP_GW_EXEC_RESERVE) ||
	    (c->journal_ring && fp_ring_capacity(c->journal_ring) < 2 * FP_GW_EXEC_RESERVE))
		return fp_err_set(-EINVAL, "gateway: exec or journal ring smaller than %d",
				  2 * FP_GW_EXEC_RESERVE);
	gw->venue_addr = ia.s_addr;
	snprintf(gw->session, sizeof(gw->session), "%s", c->session);
	snprintf(gw->cfg_session, sizeof(gw->cfg_session), "%s", c->session);
	c->host = NULL; /* the caller's strings are not kept */
	c->session = NULL;
	gw->mask = c->max_orders - 1;
	gw->urn_mask = 4 * c->max_orders - 1;
	gw->orders = calloc(c->max_orders, sizeof(*gw->orders));
	gw->free_list = calloc(c->max_orders, sizeof(uint32_t));
	gw->id_map = calloc(2 * (size_t)c->max_orders, sizeof(*gw->id_map));
	gw->urn_map = calloc(4 * (size_t)c->max_orders, sizeof(*gw->urn_map));
	gw->tx = malloc(FP_GW_TX_BACKLOG);
	gw->rx = malloc(sizeof(*gw->rx));
	gw->jbuf = aligned_alloc(FP_CACHE_LINE, FP_GW_JBUF * sizeof(*gw->jbuf));
	if (!gw->orders || !gw->free_list || !gw->id_map || !gw->urn_map || !gw->tx || !gw->rx ||
	    !gw->jbuf) {
		fp_gw_fini(gw);
		return fp_err_set(-ENOMEM, "gateway: tables for %u orders", c->max_orders);
	}
	for (uint32_t i = 0; i < c->max_orders; i++)
		gw->free_list[i] = c->max_orders - 1 - i;
	gw->nb_free = c->max_orders;
	gw->st->next_user_ref_num = c->first_user_ref_num ? c->first_user_ref_num : 1;
	gw->st->next_seq = 1;
	gw->backoff_ms = c->backoff_min_ms;
	gw->state = FP_GW_DOWN;
	fp_soup_rx_init(gw->rx, FP_SOUP_FROM_SERVER, FP_OUCH_MAX_MSG);
	return 0;
}

void fp_gw_fini(struct fp_gw *gw)
{
	if (gw == NULL)
		return;
	if (gw->fd >= 0) {
		uint8_t o[FP_SOUP_HDR_SIZE];
		fp_soup_build_empty(o, sizeof(o), FP_SOUP_LOGOUT_REQUEST);
		send(gw->fd, o, sizeof(o), MSG_NOSIGNAL | MSG_DONTWAIT);
		close(gw->fd);
		gw->fd = -1;
	}
	free(gw->orders);
	free(gw->free_list);
	free(gw->id_map);
	free(gw->urn_map);
	free(gw->tx);
	free(gw->rx);
	free(gw->jbuf);
	gw->jbuf = NULL;
	gw->orders = NULL;
	gw->free_list = NULL;
	gw->id_map = gw->urn_map = NULL;
	gw->tx = NULL;
	gw->rx = NULL;
	/* wipe the credentials held in memory */
	memset(gw->cfg.password, 0, sizeof(gw->cfg.password));
}

const struct fp_gw_stats *fp_gw_stats(const struct fp_gw *gw)
{
	return gw->st;
}

int fp_gw_stats_check(const struct fp_gw_stats *st)
{
	if (st->magic != FP_GW_STATS_MAGIC)
		return fp_err_set(-EPROTO, "gw.stats: bad magic (not a gateway's counters)");
	if (st->version != FP_GW_STATS_VERSION || st->size != sizeof(*st))
		return fp_err_set(-EPROTO,
				  "gw.stats: layout version %u (%u bytes), this program reads %u "
				  "(%zu bytes): use the fastpath that created the segment",
				  st->version, st->size, FP_GW_STATS_VERSION, sizeof(*st));
	return 0;
}

const struct fp_gw_order *fp_gw_find(const struct fp_gw *gw, uint64_t client_order_id)
{
	uint32_t v = client_order_id ? find_id(gw, client_order_id) : NIL;
	return v ? &gw->orders[v - 1] : NULL;
}

void fp_gw_reset_breaker(struct fp_gw *gw)
{
	gw->st->breaker = 0;
}

const char *fp_gw_reject_name(unsigned reason)
{
	static const char *const n[FP_GW_REJ_NB] = {
		[FP_GW_REJ_DUPLICATE_ID - FP_GW_REJ_FIRST] = "duplicate_id",
		[FP_GW_REJ_TABLE_FULL - FP_GW_REJ_FIRST] = "table_full",
		[FP_GW_REJ_NOT_CONNECTED - FP_GW_REJ_FIRST] = "not_connected",
		[FP_GW_REJ_UNKNOWN_SYMBOL - FP_GW_REJ_FIRST] = "unknown_symbol",
		[FP_GW_REJ_KILLED - FP_GW_REJ_FIRST] = "killed",
		[FP_GW_REJ_UNKNOWN_ORDER - FP_GW_REJ_FIRST] = "unknown_order",
		[FP_GW_REJ_PENDING - FP_GW_REJ_FIRST] = "pending",
		[FP_GW_REJ_BAD_ORDER - FP_GW_REJ_FIRST] = "bad_order",
		[FP_GW_REJ_JOURNAL - FP_GW_REJ_FIRST] = "journal_full",
		[FP_GW_REJ_LOST - FP_GW_REJ_FIRST] = "lost",
	};
	return reason >= FP_GW_REJ_FIRST && reason < FP_GW_REJ_FIRST + FP_GW_REJ_NB
		       ? n[reason - FP_GW_REJ_FIRST]
		       : NULL;
}

const char *fp_gw_state_str(uint8_t state)
{
	static const char *const n[] = {"free",   "pending_new", "accepted", "partial",
					"filled", "canceled",    "rejected"};
	return state < FP_ARRAY_SIZE(n) ? n[state] : "?";
}
