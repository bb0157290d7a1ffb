/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_gw_rec.c - the gateway's recovery from the journal (fp_gw.h, Recovery; J5 in
 * shm/fp_journal.h): the GW records of the instance's journal, in order, rebuild the order
 * table (through fp_gw_order_open), the UserRefNum high-water mark, the session and the
 * next venue sequence number. Cold: after fp_gw_init(), before the first poll.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "fp_gw_pvt.h"
#include "fp_journal.h"
#include "fp_symtab.h"

static struct fp_gw_order *rec_find(struct fp_gw *gw, uint64_t id)
{
	uint32_t v = fp_gw_find_id(gw, id);
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
	    rec_find(gw, r->client_order_id) || fp_gw_find_urn(gw, (uint32_t)ev->seq) ||
	    fp_gw_order_open(gw, &(struct fp_gw_order){.client_order_id = r->client_order_id,
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
	if (o == NULL || !fp_gw_is_open(o) || o->pending != FP_GW_PEND_NONE || ev->seq == 0 ||
	    fp_gw_find_urn(gw, (uint32_t)ev->seq)) {
		gw->st->nb_recover_unknown++;
		return;
	}
	o->pending = FP_GW_PEND_REPLACE;
	o->pend_client_order_id = r->client_order_id;
	o->pend_price = r->price;
	o->pend_qty = r->shares;
	o->pend_user_ref_num = (uint32_t)ev->seq;
	fp_gw_put_urn(gw, o->pend_user_ref_num, (uint32_t)(o - gw->orders) + 1);
}

/* The old leg of a replace ended and no accepted new leg followed: the order is gone. */
static void rec_replace_end(struct fp_gw *gw)
{
	struct fp_gw_order *o = &gw->orders[gw->rec_replace - 1];
	gw->rec_replace = 0;
	if (fp_gw_is_open(o))
		fp_gw_order_final(gw, o, FP_GW_CANCELED);
}

/* The new leg of a replace was accepted (apply_replaced, replayed). */
static void rec_replaced(struct fp_gw *gw, struct fp_gw_order *o, const struct fp_ev_exec *x)
{
	uint32_t v = (uint32_t)(o - gw->orders) + 1;
	fp_gw_del_urn(gw, o->user_ref_num);
	fp_gw_del_id(gw, o->client_order_id);
	o->user_ref_num = o->pend_user_ref_num;
	o->pend_user_ref_num = 0;
	o->pending = FP_GW_PEND_NONE;
	o->client_order_id = o->pend_client_order_id;
	fp_gw_put_id(gw, o->client_order_id, v);
	o->price = x->price;
	o->qty = o->pend_qty;
	o->leaves = x->leaves_shares;
	o->order_reference_number = x->match_number;
	if (o->leaves == 0)
		fp_gw_order_final(gw, o, FP_GW_CANCELED);
}

/* An exec report adopts its order (the journal lost the order record, not the report). */
static struct fp_gw_order *rec_adopt(struct fp_gw *gw, const struct fp_event *ev)
{
	const struct fp_ev_exec *x = &ev->u.exec;
	struct fp_gw_order *o;
	if (x->client_order_id == 0 || x->reserved == 0 || fp_gw_find_urn(gw, x->reserved) ||
	    ev->symbol_id == 0 || ev->symbol_id >= FP_SYMTAB_NB_ENTRIES ||
	    (o = fp_gw_order_open(gw, &(struct fp_gw_order){.client_order_id = x->client_order_id,
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
		    p->pend_client_order_id == x->client_order_id && fp_gw_is_open(p) &&
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
			fp_gw_order_final(gw, o, FP_GW_CANCELED);
		return;
	case FP_EV_EXEC_FILL:
		if (o == NULL || !fp_gw_is_open(o))
			break;
		o->filled += x->shares;
		o->leaves = FP_MIN(x->leaves_shares, o->leaves);
		o->state = o->leaves ? FP_GW_PARTIAL : FP_GW_FILLED;
		gw->st->nb_recovered_fills++;
		if (o->leaves == 0)
			fp_gw_order_final(gw, o, FP_GW_FILLED);
		return;
	case FP_EV_EXEC_CANCELED:
		if (o == NULL || !fp_gw_is_open(o))
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
			fp_gw_order_final(gw, o, FP_GW_CANCELED);
		return;
	case FP_EV_EXEC_REJECTED:
		if (x->reason == FP_GW_REJ_ORDER_ENDED)
			return; /* a replace refused as its order ended: the end dropped it already
				   (fp_gw_order_final), as it did live (order_end) */
		if (ev->seq == 0 && x->reason != FP_GW_REJ_LOST)
			return; /* a local reject: the order was never recorded (invariant 5) */
		if (o != NULL && o->state == FP_GW_PENDING_NEW) {
			fp_gw_order_final(gw, o, FP_GW_REJECTED);
			return;
		}
		if (o == NULL && x->reserved &&
		    fp_gw_find_urn(gw, x->reserved)) { /* a replace refused */
			o = &gw->orders[fp_gw_find_urn(gw, x->reserved) - 1];
			if (o->pending == FP_GW_PEND_REPLACE &&
			    o->pend_client_order_id == x->client_order_id) {
				fp_gw_del_urn(gw, o->pend_user_ref_num);
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
		fp_jrnl_recent_add(&gw->rec_recent, r->client_order_id);
	if (ev->type >= FP_EV_EXEC_ACCEPTED && ev->type <= FP_EV_EXEC_CANCEL_REJECT) {
		fp_gw_id_known(gw, ev->u.exec.client_order_id);
		return rec_exec(gw, ev), 0;
	}
	if (ev->type >= FP_EV_ORDER_NEW && ev->type <= FP_EV_ORDER_MASS_CANCEL)
		fp_gw_id_known(gw, r->client_order_id);
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
		if ((o = rec_find(gw, r->orig_client_order_id)) && fp_gw_is_open(o) &&
		    o->pending == FP_GW_PEND_NONE)
			o->pending = FP_GW_PEND_CANCEL;
		break;
	case FP_EV_ORDER_MASS_CANCEL:
		rec_urn(gw, ev->seq);
		break;
	case FP_EV_CONTROL:
		if (ev->u.control.command == FP_JRNL_CTL_FIX_TX_SEQ)
			fp_gw_fix_recover_tx_seq(gw, ev->u.control.value);
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
	fp_hmap_clear(&gw->id_map);
	fp_hmap_clear(&gw->urn_map);
	for (uint32_t i = 0; i < n; i++)
		gw->free_list[i] = n - 1 - i;
	gw->nb_free = n;
	gw->st->nb_open = 0;
	gw->st->next_seq = 1;
	fp_gw_fix_new_day(gw);
	gw->rec_replace = 0;
	gw->rec_session[0] = '\0';
	fp_jrnl_recent_reset(&gw->rec_recent);
	fp_gw_id_marks_reset(gw);
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
	fp_jrnl_recent_arm(&gw->rec_recent);
}
