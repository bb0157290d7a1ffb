/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_gw_ouch.c - the gateway's OUCH 5.0 over SoupBinTCP 3.0 adapter (struct fp_gw_proto,
 * fp_gw_pvt.h): login with the sequence number to resume from, Account Query to sync,
 * heartbeats, logout; Enter, Cancel, Replace and Mass Cancel encoded in place behind their
 * SoupBinTCP header; the venue's sequenced messages decoded (proto/fp_ouch.h) and matched
 * to their order by UserRefNum, then applied through the protocol-free state machine
 * (fp_gw_order.c). Wire formats: proto/fp_ouch.h, proto/fp_soup.h.
 *
 *   Accepted   A  fp_gw_sm_accepted (Order State 'D': dead on arrival); an unknown
 *                 UserRefNum adopts the order from the message (fp_gw.h, Recovery)
 *   Executed   E  fp_gw_sm_executed
 *   Canceled   C, AIQ Canceled D  fp_gw_sm_reduce
 *   Replaced   U  fp_gw_sm_replaced (an unknown new UserRefNum adopts the replace)
 *   Rejected   J  fp_gw_sm_rejected_new, or _replace for a pending replace's UserRefNum
 *   Cancel Rej I  fp_gw_sm_cancel_rejected
 *   Modified   M  fp_gw_sm_modified
 *   Priority   T  fp_gw_sm_priority
 *   Account Query Response Q  fp_gw_sm_synced
 *   Broken     B and the rest: nothing to apply to an order
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "fp_gw_pvt.h"
#include "fp_order_id.h"
#include "fp_symtab.h"
#include "fp_tsc.h"

/* ---- sending ---- */

static int send_ouch(struct fp_gw *gw, const struct fp_ouch_msg *m)
{
	uint8_t pkt[FP_SOUP_HDR_SIZE + FP_OUCH_MAX_MSG];
	int n = fp_ouch_encode(m, pkt + FP_SOUP_HDR_SIZE, FP_OUCH_MAX_MSG);
	if (n <= 0)
		return -1;
	fp_soup_put_hdr(pkt, FP_SOUP_UNSEQUENCED, (size_t)n);
	gw->st->nb_sent++;
	return fp_gw_tx(gw, pkt, (size_t)n + FP_SOUP_HDR_SIZE);
}

static uint8_t ouch_tif(uint8_t tif)
{
	return tif == FP_TIF_IOC ? '3' : tif == FP_TIF_GTX ? '5' : '0';
}

/* Encode and send an Enter Order; *handed_tsc is the TSC when its bytes were handed to the
 * socket (tick-to-trade ends there: the kernel's TCP path is not ours to count). */
static int ouch_enter(struct fp_gw *gw, const struct fp_gw_order *o, uint64_t *handed_tsc)
{
	uint8_t pkt[FP_SOUP_HDR_SIZE + FP_OUCH_MAX_MSG];
	char cl_ord_id[14], symbol[8];
	fp_gw_clordid_put(cl_ord_id, o->client_order_id);
	if (!fp_gw_symbol(gw, o->symbol_id, symbol)) /* checked by on_new: the venue refuses it */
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
	return fp_gw_tx(gw, pkt, (size_t)n + FP_SOUP_HDR_SIZE);
}

static int ouch_cancel(struct fp_gw *gw, const struct fp_gw_order *ord, uint32_t leave_qty)
{
	uint8_t pkt[FP_SOUP_HDR_SIZE + 16];
	int n = fp_ouch_encode_cancel_order(pkt + FP_SOUP_HDR_SIZE, 16, ord->user_ref_num,
					    leave_qty);
	fp_soup_put_hdr(pkt, FP_SOUP_UNSEQUENCED, (size_t)n);
	gw->st->nb_sent++;
	return fp_gw_tx(gw, pkt, (size_t)n + FP_SOUP_HDR_SIZE);
}

static int ouch_replace(struct fp_gw *gw, const struct fp_gw_order *o, uint8_t tif)
{
	struct fp_ouch_msg m = {
		.type = FP_OUCH_REPLACE_ORDER, .dir = FP_OUCH_INBOUND, .has_appendage = 1};
	m.orig_user_ref_num = o->user_ref_num;
	m.user_ref_num = o->pend_user_ref_num;
	m.quantity = o->pend_qty; /* total liable over the chain (OUCH 2.2) */
	m.price = o->pend_price;
	m.time_in_force = ouch_tif(tif);
	m.display = 'Y';
	m.intermarket_sweep_eligibility = 'N';
	fp_gw_clordid_put(m.cl_ord_id, o->pend_client_order_id);
	return send_ouch(gw, &m);
}

/* Firm: the configured one, spaces when none (docs/ouch.md, Mass Cancel Firm). */
static int ouch_mass_cancel(struct fp_gw *gw, uint32_t symbol_id, uint32_t key)
{
	struct fp_ouch_msg m = {
		.type = FP_OUCH_MASS_CANCEL, .dir = FP_OUCH_INBOUND, .has_appendage = 1};
	m.user_ref_num = key;
	fp_soup_put_alpha(m.firm, gw->cfg.firm, 4);
	if (!fp_gw_symbol(gw, symbol_id, m.symbol)) /* 0: every symbol */
		memset(m.symbol, ' ', 8);
	return send_ouch(gw, &m);
}

static void ouch_heartbeat(struct fp_gw *gw)
{
	uint8_t hb[FP_SOUP_HDR_SIZE];
	fp_soup_build_empty(hb, sizeof(hb), FP_SOUP_CLIENT_HEARTBEAT);
	gw->st->nb_heartbeats++;
	fp_gw_tx(gw, hb, sizeof(hb));
}

static void ouch_logout(struct fp_gw *gw)
{
	uint8_t o[FP_SOUP_HDR_SIZE];
	fp_soup_build_empty(o, sizeof(o), FP_SOUP_LOGOUT_REQUEST);
	send(gw->fd, o, sizeof(o), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* ---- venue messages ---- */

static struct fp_gw_order *venue_order(struct fp_gw *gw, uint32_t urn)
{
	uint32_t v = fp_gw_find_urn(gw, urn);
	if (v == NIL) {
		gw->st->nb_unknown++;
		return NULL;
	}
	return &gw->orders[v - 1];
}

static uint8_t fp_tif(uint8_t ouch_tif)
{
	return ouch_tif == '3' ? FP_TIF_IOC : ouch_tif == '5' ? FP_TIF_GTX : FP_TIF_DAY;
}

/* Take over an order the venue accepted but the gateway does not know: it was sent just
 * before a crash and its journal record was lost with the ring (fp_gw.h, Recovery). Cold:
 * a scan of the symbol table, made only for a ClOrdID of ours not in use and above its
 * strategy's mark (the cheap checks first: an Accepted for an unknown UserRefNum with a
 * ClOrdID that is not ours cost a scan of 65,535 entries; fuzz_gw_venue spent 90% of its
 * time there). NULL (counted as unknown by the caller) when the ClOrdID or the symbol is
 * not one of ours, the id is in use or not above its mark, or the table is full. */
static struct fp_gw_order *adopt(struct fp_gw *gw, const struct fp_ouch_msg *m)
{
	uint64_t id = fp_gw_clordid_get(m->cl_ord_id, 14);
	if (id == 0 || m->user_ref_num == 0 || fp_gw_find_id(gw, id) != NIL ||
	    !fp_gw_id_adoptable(gw, id))
		return NULL;
	uint32_t sym = 0;
	char name[8];
	for (uint32_t i = 1; i < FP_SYMTAB_NB_ENTRIES && !sym; i++)
		if (fp_gw_symbol(gw, i, name) && memcmp(name, m->symbol, 8) == 0)
			sym = i;
	if (sym == 0)
		return NULL;
	struct fp_gw_order *o =
		fp_gw_order_open(gw, &(struct fp_gw_order){.client_order_id = id,
							   .price = m->price,
							   .qty = m->quantity,
							   .symbol_id = sym,
							   .strategy_id = fp_order_id_strategy(id),
							   .side = m->side,
							   .tif = fp_tif(m->time_in_force),
							   .user_ref_num = m->user_ref_num});
	if (o != NULL) {
		fp_gw_id_known(gw, id);
		gw->st->nb_adopted++;
	}
	return o;
}

/* The venue replaced @p o with a UserRefNum the gateway does not know: the Replace Order
 * was sent just before a crash and its journal record was lost (fp_gw.h, Recovery). Take
 * the replacement from the message (ClOrdID), so that the replace applies and the reports
 * of the new UserRefNum find their order. A pending replace of another UserRefNum was
 * refused meanwhile (its Rejected is before this message): it is dropped. Cold. */
static void adopt_replace(struct fp_gw *gw, struct fp_gw_order *o, const struct fp_ouch_msg *m)
{
	uint64_t id = fp_gw_clordid_get(m->cl_ord_id, 14);
	if (id == 0 || m->user_ref_num == 0 || fp_gw_find_id(gw, id) != NIL ||
	    !fp_gw_id_adoptable(gw, id))
		return;
	fp_gw_id_known(gw, id);
	if (o->pending == FP_GW_PEND_REPLACE)
		fp_gw_del_urn(gw, o->pend_user_ref_num);
	o->pending = FP_GW_PEND_REPLACE;
	o->pend_client_order_id = id;
	o->pend_price = m->price;
	o->pend_qty = o->filled + m->quantity;
	o->pend_user_ref_num = m->user_ref_num;
	fp_gw_put_urn(gw, m->user_ref_num, (uint32_t)(o - gw->orders) + 1);
	gw->st->nb_adopted++;
	if (m->user_ref_num >= gw->st->next_user_ref_num) /* invariant (2) */
		gw->st->next_user_ref_num = m->user_ref_num + 1;
}

static void apply_replaced(struct fp_gw *gw, const struct fp_ouch_msg *m)
{
	struct fp_gw_order *o = venue_order(gw, m->orig_user_ref_num);
	if (o == NULL)
		return;
	if (fp_gw_is_open(o) && o->user_ref_num == m->orig_user_ref_num &&
	    fp_gw_find_urn(gw, m->user_ref_num) == NIL)
		adopt_replace(gw, o, m);
	if (o->user_ref_num != m->orig_user_ref_num)
		return fp_gw_impossible(gw);
	fp_gw_sm_replaced(gw, o, m->user_ref_num, m->quantity, m->price, m->order_reference_number,
			  m->order_state == 'D');
	fp_gw_kill_follow(gw, o);
}

static void apply_rejected(struct fp_gw *gw, const struct fp_ouch_msg *m)
{
	struct fp_gw_order *o = venue_order(gw, m->user_ref_num);
	if (o == NULL)
		return;
	uint8_t reason = (uint8_t)(m->reject_reason > 0x7f ? 0x7f : m->reject_reason);
	if (o->state == FP_GW_PENDING_NEW && o->user_ref_num == m->user_ref_num) {
		fp_gw_sm_rejected_new(gw, o, reason);
	} else if (o->pending == FP_GW_PEND_REPLACE && o->pend_user_ref_num == m->user_ref_num) {
		fp_gw_sm_rejected_replace(gw, o, reason);
		fp_gw_kill_follow(gw, o);
	} else {
		fp_gw_impossible(gw);
	}
}

static void apply_venue(struct fp_gw *gw, const struct fp_ouch_msg *m)
{
	struct fp_gw_order *o;
	switch (m->type) {
	case FP_OUCH_ORDER_ACCEPTED:
		if (fp_gw_find_urn(gw, m->user_ref_num) == NIL && (o = adopt(gw, m)) != NULL)
			; /* sent before a crash, not journaled: known from now on */
		else if ((o = venue_order(gw, m->user_ref_num)) == NULL)
			break;
		else if (o->recovered == FP_GW_REC_LOST && o->state == FP_GW_REJECTED &&
			 o->user_ref_num == m->user_ref_num &&
			 (o = fp_gw_order_relive(gw, o)) == NULL)
			break;
		if (o->user_ref_num != m->user_ref_num)
			fp_gw_impossible(gw);
		else
			fp_gw_sm_accepted(gw, o, m->quantity, m->price, m->order_reference_number,
					  m->order_state == 'D');
		break;
	case FP_OUCH_ORDER_EXECUTED:
		if ((o = venue_order(gw, m->user_ref_num)) != NULL)
			fp_gw_sm_executed(gw, o, m->quantity, m->price, m->match_number,
					  m->liquidity_flag);
		break;
	case FP_OUCH_ORDER_CANCELED:
		if ((o = venue_order(gw, m->user_ref_num)) != NULL)
			fp_gw_sm_reduce(gw, o, m->quantity, m->reason);
		break;
	case FP_OUCH_AIQ_CANCELED:
		if ((o = venue_order(gw, m->user_ref_num)) != NULL)
			fp_gw_sm_reduce(gw, o, m->decrement_shares, m->reason);
		break;
	case FP_OUCH_ORDER_REPLACED:
		apply_replaced(gw, m);
		break;
	case FP_OUCH_ORDER_REJECTED:
		apply_rejected(gw, m);
		break;
	case FP_OUCH_CANCEL_REJECT:
		if ((o = venue_order(gw, m->user_ref_num)) != NULL)
			fp_gw_sm_cancel_rejected(gw, o);
		break;
	case FP_OUCH_ORDER_MODIFIED:
		if ((o = venue_order(gw, m->user_ref_num)) != NULL)
			fp_gw_sm_modified(gw, o, m->quantity);
		break;
	case FP_OUCH_ORDER_PRIORITY_UPDATE:
		if ((o = venue_order(gw, m->user_ref_num)) != NULL)
			fp_gw_sm_priority(gw, o, m->order_reference_number, m->price);
		break;
	case FP_OUCH_ACCOUNT_QUERY_RESPONSE:
		fp_gw_sm_synced(gw, m->next_user_ref_num);
		break;
	default: /* S, P, R, B, X, G, K: nothing to apply to an order */
		break;
	}
}

/* ---- session (SoupBinTCP) ---- */

static void ouch_login(struct fp_gw *gw)
{
	uint8_t b[64];
	size_t n = fp_soup_build_login_request(b, sizeof(b), gw->cfg.username, gw->cfg.password,
					       gw->session, gw->st->next_seq);
	fp_soup_rx_init(gw->rx, FP_SOUP_FROM_SERVER, FP_OUCH_MAX_MSG);
	gw->state = FP_GW_LOGGING_IN;
	gw->last_rx_ns = gw->now_ns;
	fp_gw_tx(gw, b, n);
}

static void on_login_accepted(struct fp_gw *gw, const struct fp_soup_pkt *p)
{
	struct fp_soup_login l;
	if (fp_soup_parse_login_accepted(p, &l) != 0)
		return fp_gw_session_drop(gw);
	if (gw->st->next_seq != 0 && l.sequence_number > gw->st->next_seq)
		gw->st->nb_seq_gaps++;
	uint64_t requested = gw->st->next_seq;
	gw->st->next_seq = l.sequence_number;
	gw->st->nb_logins++;
	gw->state = FP_GW_SYNCING;
	snprintf(gw->session_name, sizeof(gw->session_name), "%s", l.session);
	fp_gw_session_notice(gw, l.session, requested);
	struct fp_ouch_msg q = {.type = FP_OUCH_ACCOUNT_QUERY, .dir = FP_OUCH_INBOUND};
	send_ouch(gw, &q);
}

/* Apply up to @p budget venue packets already received (invariant 4). */
static unsigned ouch_input(struct fp_gw *gw, unsigned budget)
{
	unsigned nb = 0;
	struct fp_soup_pkt p;
	while (nb < budget && gw->fd >= 0) {
		if (!fp_gw_input_room(gw))
			break;
		enum fp_soup_rc rc = fp_soup_rx_next(gw->rx, &p);
		if (rc == FP_SOUP_NEED_MORE)
			break;
		if (rc != FP_SOUP_OK) {
			fp_gw_session_drop(gw);
			break;
		}
		nb++;
		switch (p.type) {
		case FP_SOUP_SEQUENCED: {
			struct fp_ouch_msg m;
			if (gw->state < FP_GW_SYNCING ||
			    fp_ouch_decode(FP_OUCH_OUTBOUND, p.payload, p.payload_len, &m) !=
				    FP_OUCH_OK) {
				fp_gw_session_drop(gw);
				return nb;
			}
			gw->cur_seq = gw->st->next_seq;
			apply_venue(gw, &m); /* invariant (1): apply, then count it */
			gw->cur_seq = 0;
			gw->st->next_seq++;
			gw->st->nb_venue_msgs++;
			if (gw->nb_jbuf)
				fp_gw_jrnl_flush(gw); /* J3: after the exec rings, all at once */
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
			fp_gw_session_drop(gw);
			return nb;
		case FP_SOUP_END_OF_SESSION:
			fp_gw_session_drop(gw);
			return nb;
		default: /* heartbeat, debug */
			break;
		}
	}
	return nb;
}

static void ouch_read(struct fp_gw *gw)
{
	size_t room;
	uint8_t *w = fp_soup_rx_space(gw->rx, &room);
	if (room != 0)
		fp_soup_rx_commit(gw->rx, fp_gw_rx(gw, w, room));
}

const struct fp_gw_proto fp_gw_ouch_proto = {
	.name = "ouch50",
	.login = ouch_login,
	.read = ouch_read,
	.input = ouch_input,
	.heartbeat = ouch_heartbeat,
	.logout = ouch_logout,
	.enter = ouch_enter,
	.cancel = ouch_cancel,
	.replace = ouch_replace,
	.mass_cancel = ouch_mass_cancel,
};
