/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_gw_order.c - the gateway's order table and order state machine, protocol-free (API
 * and rules in fp_gw.h; the parts of the gateway in fp_gw_pvt.h). The venue adapters
 * (fp_gw_ouch.c) match a venue message to its order and call the transitions below.
 *
 * Definitions.
 *   order    a slot of orders[]; an order chain keeps its slot across replaces.
 *   urn map  UserRefNum -> slot, for the current and the pending (replace) UserRefNum (the
 *            gateway's own order key; a FIX adapter uses it as its ClOrdID sequence too).
 *   id map   client_order_id -> slot; the slot of a final order keeps its id until reuse.
 *   next_seq the number of the next sequenced venue message not yet applied.
 *
 * Invariants.
 *   (1) a venue message is applied, and next_seq advanced, together and only together: a
 *       login requests next_seq, so a replay starts exactly after the last applied
 *       message and nothing is applied twice.
 *   (2) UserRefNums sent are strictly increasing: next_user_ref_num only grows, and after
 *       each login it is raised to the venue's answer (fp_gw_sm_synced).
 *   (3) a transition not in the table below is counted in nb_impossible and not applied.
 *   (4) no venue message is applied unless FP_GW_EXEC_RESERVE exec slots are free, so the
 *       exec ring never drops a report; with a journal, unless as many journal slots are
 *       free too (J3: its reports are journaled, in one push, after the exec rings). One
 *       message makes at most 2 reports: a replace (canceled + accepted), a FIX Trade of
 *       an order pending new (accepted + fill: such an order has no replace in flight), an
 *       order ending with a replace in flight (its last fill or cancel + order_end's
 *       refusal: only an open order is replaced, so its end is one report).
 *   (5) an order message is on the journal ring before its bytes go to send() (J2); an
 *       order event is taken only with FP_GW_EXEC_RESERVE journal slots free, so that its
 *       record or its local reject is journaled.
 *
 * Transition table (function: from -> to; anything else is invariant 3):
 *   fp_gw_sm_accepted        PENDING_NEW, qty <= the order's -> ACCEPTED (dead on
 *                            arrival: -> CANCELED)
 *   fp_gw_sm_executed        ACCEPTED|PARTIAL, qty <= leaves -> PARTIAL | FILLED (leaves 0)
 *   fp_gw_sm_reduce          ACCEPTED|PARTIAL, qty <= leaves -> same | CANCELED (leaves 0)
 *   fp_gw_sm_replaced        ACCEPTED|PARTIAL with a pending replace, filled + leaves <=
 *                            the replace's total -> ACCEPTED|PARTIAL with the new
 *                            UserRefNum, id, price, leaves (dead: CANCELED)
 *   fp_gw_sm_rejected_new    PENDING_NEW -> REJECTED
 *   fp_gw_sm_rejected_replace pending replace dropped (order unchanged)
 *   fp_gw_sm_cancel_rejected pending cancel dropped
 *   fp_gw_sm_modified        ACCEPTED|PARTIAL: leaves = the venue's (only down)
 *   fp_gw_sm_priority        ACCEPTED|PARTIAL: new reference number and price
 * A venue never gets more shares open than we asked for: leaves above the order's quantity
 * (a New or a Replaced that says so) are impossible, so fills never exceed the quantity.
 * An order that ends (any transition above) with a replace in flight has the replace
 * refused right after its last report (order_end, FP_GW_REJ_ORDER_ENDED); the venue's
 * later refusal is then unknown or impossible.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fp_gw_pvt.h"
#include "fp_hmap.h"
#include "fp_journal.h"
#include "fp_order_id.h"
#include "fp_symtab.h"
#include "fp_tsc.h"

/* ---- maps (common/fp_hmap.h): key -> order index + 1; NIL when absent ---- */

/* The id map holds at most max_orders keys (one per slot) and the urn map 2 * max_orders
 * (current and pending UserRefNum of each slot), the capacities fp_gw_init() gives them:
 * a put never finds its map full. */

uint32_t fp_gw_find_id(const struct fp_gw *gw, uint64_t id)
{
	return fp_hmap_find(&gw->id_map, id, NIL);
}

uint32_t fp_gw_find_urn(const struct fp_gw *gw, uint32_t urn)
{
	return fp_hmap_find(&gw->urn_map, urn, NIL);
}

void fp_gw_put_id(struct fp_gw *gw, uint64_t id, uint32_t v)
{
	(void)fp_hmap_put(&gw->id_map, id, v);
}

void fp_gw_put_urn(struct fp_gw *gw, uint32_t urn, uint32_t v)
{
	(void)fp_hmap_put(&gw->urn_map, urn, v);
}

void fp_gw_del_urn(struct fp_gw *gw, uint32_t urn)
{
	(void)fp_hmap_del(&gw->urn_map, urn);
}

void fp_gw_del_id(struct fp_gw *gw, uint64_t id)
{
	(void)fp_hmap_del(&gw->id_map, id);
}

/* ---- id marks: which client order ids a venue report may adopt ---- */

/* Adoption (fp_gw.h, Recovery) takes a venue report of an order the gateway does not know
 * for one a gateway sent just before it crashed, its record lost with the journal ring.
 * Without a bound, a venue that repeated an ended order's New after the order's slot was
 * reused (a FIX Logon with ResetSeqNumFlag, a misbehaving venue) had it adopted again and
 * filled beyond its quantity (fuzz_gw_fix). Ids grow per strategy (shm/fp_order_id.h; a
 * restarted strategy host starts above its journal and the clock, strategies/fp_strat.h),
 * so a lost order of strategy S lies above every id of S in the journal and below the
 * first id of S this gateway takes live: per strategy, known = the highest id recovered
 * or adopted, first_live = the lowest taken from the order ring (refused or not). An id
 * outside (known, first_live) is an order this gateway had (live, journaled or adopted
 * already) or one no gateway of ours sent: never adopted. The table is keyed by strategy
 * id with linear probing; strategies are few and their ids small, so the first probe is
 * nearly always the slot. */

static uint32_t id_mark_slot(const struct fp_gw *gw, uint16_t strategy, bool *found)
{
	uint16_t key = (uint16_t)(strategy + 1);
	uint32_t i = strategy & (FP_GW_ID_MARKS - 1);
	for (uint32_t n = 0; n < FP_GW_ID_MARKS; n++, i = (i + 1) & (FP_GW_ID_MARKS - 1)) {
		if (gw->id_marks[i].key == key || gw->id_marks[i].key == 0) {
			*found = gw->id_marks[i].key == key;
			return i;
		}
	}
	*found = false;
	return FP_GW_ID_MARKS;
}

/* The marks of @p id's strategy, made when new; NULL when the table is full (counted as
 * id_marks_full: that strategy's ids are never adopted). */
static struct fp_gw_id_mark *id_mark(struct fp_gw *gw, uint64_t id)
{
	bool found;
	uint16_t strategy = fp_order_id_strategy(id);
	uint32_t i = id_mark_slot(gw, strategy, &found);
	if (i == FP_GW_ID_MARKS) {
		gw->id_marks_full = 1;
		return NULL;
	}
	struct fp_gw_id_mark *m = &gw->id_marks[i];
	if (!found)
		*m = (struct fp_gw_id_mark){.key = (uint16_t)(strategy + 1),
					    .first_live = UINT64_MAX};
	return m;
}

void fp_gw_id_live(struct fp_gw *gw, uint64_t id)
{
	struct fp_gw_id_mark *m;
	if (id != 0 && (m = id_mark(gw, id)) != NULL && id < m->first_live)
		m->first_live = id;
}

void fp_gw_id_known(struct fp_gw *gw, uint64_t id)
{
	struct fp_gw_id_mark *m;
	if (id != 0 && (m = id_mark(gw, id)) != NULL && id > m->known)
		m->known = id;
}

bool fp_gw_id_adoptable(const struct fp_gw *gw, uint64_t id)
{
	bool found;
	uint32_t i = id_mark_slot(gw, fp_order_id_strategy(id), &found);
	if (found)
		return id > gw->id_marks[i].known && id < gw->id_marks[i].first_live;
	return id != 0 && i != FP_GW_ID_MARKS && !gw->id_marks_full;
}

void fp_gw_id_marks_reset(struct fp_gw *gw)
{
	memset(gw->id_marks, 0, sizeof(gw->id_marks));
	gw->id_marks_full = 0;
}

/* ---- journal (J2, J3): written in place on the journal ring ---- */

/* Records are written straight into the journal ring's free slots (fp_ring_slot) and
 * published by one commit (fp_gw_jrnl_flush): no staging copy, and the records of one
 * venue message (a replace's two reports) are published together even across the ring's
 * wrap point (J3). nb_jbuf counts the records written and not yet committed. The room is
 * the ring's cached figure (fp_ring_room): the store's head is read only when the cache
 * shows too little. */

uint32_t fp_gw_jrnl_room(const struct fp_gw *gw, uint32_t want)
{
	struct fp_ring *j = gw->cfg.journal_ring;
	if (!j)
		return UINT32_MAX;
	uint32_t room = fp_ring_room(j, want + gw->nb_jbuf);
	return room > gw->nb_jbuf ? room - gw->nb_jbuf : 0;
}

/* Publish what is written; invariants (4) and (5) keep room for it. */
void fp_gw_jrnl_flush(struct fp_gw *gw)
{
	if (gw->nb_jbuf == 0)
		return;
	fp_ring_commit(gw->cfg.journal_ring, gw->nb_jbuf);
	gw->nb_jbuf = 0;
}

/* The next free journal slot, NULL (counted) when the ring has none: only the kill switch
 * and lost-order rejects may outrun the room the invariants keep, and a record is never
 * waited for. */
static struct fp_event *jrnl_next(struct fp_gw *gw)
{
	if (fp_gw_jrnl_room(gw, 1) == 0) {
		gw->st->nb_journal_unrecorded++;
		return NULL;
	}
	return fp_ring_slot(gw->cfg.journal_ring, gw->nb_jbuf++);
}

void fp_gw_jrnl_add(struct fp_gw *gw, const struct fp_event *ev)
{
	struct fp_event *slot = jrnl_next(gw);
	if (slot)
		*slot = *ev;
}

/* J2: the order message @p ev (as taken from the order ring, or made by the gateway) with
 * seq = @p urn goes on the journal ring now, before its bytes are handed to send(). */
void fp_gw_jrnl_order(struct fp_gw *gw, const struct fp_event *ev, uint32_t urn)
{
	if (!gw->cfg.journal_ring)
		return;
	struct fp_event *slot = jrnl_next(gw);
	if (slot) {
		*slot = *ev;
		slot->seq = urn;
	}
	fp_gw_jrnl_flush(gw);
}

/* ---- exec reports ---- */

/* Written in place in the first exec ring's next slot and published at once; the second
 * ring and the journal get copies of that slot. */
void fp_gw_exec_emit(struct fp_gw *gw, uint8_t type, const struct fp_gw_order *o, uint64_t id,
		     int64_t price, uint32_t shares, uint64_t match, uint8_t reason)
{
	struct fp_event spare;
	uint32_t got;
	struct fp_event *ev = fp_ring_reserve(gw->cfg.exec_ring, 1, &got);
	/* Invariant (4) guarantees room for venue-driven reports; a local reject is only made
	 * while taking an order event, which checks the room too. Without room (never) the
	 * report still reaches the second ring and the journal. */
	if (fp_unlikely(!got))
		ev = &spare;
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	/* After a login the venue sends what was missed before it answers the Account Query:
	 * reports made while SYNCING are replays. */
	ev->flags = gw->state == FP_GW_SYNCING ? FP_EVF_REPLAY : 0;
	ev->source = o ? o->strategy_id : 0;
	ev->symbol_id = o ? o->symbol_id : 0;
	ev->seq = gw->cur_seq; /* J3: the venue's sequence number, 0 for a local reject */
	ev->t_rx = fp_tsc_now();
	ev->u.exec.client_order_id = id;
	ev->u.exec.price = price;
	ev->u.exec.shares = shares;
	ev->u.exec.leaves_shares = o ? o->leaves : 0;
	ev->u.exec.match_number = match;
	ev->u.exec.strategy_id = o ? o->strategy_id : 0;
	ev->u.exec.side = o ? o->side : 0;
	ev->u.exec.reason = reason;
	ev->u.exec.reserved = o ? o->user_ref_num : 0; /* recovery maps reports by it */
	if (gw->cfg.exec_ring2)
		fp_ring_enqueue_burst(gw->cfg.exec_ring2, ev, 1);
	if (gw->cfg.journal_ring)
		fp_gw_jrnl_add(gw, ev); /* J3: committed after the exec rings (jrnl_flush) */
	if (fp_likely(got))
		fp_ring_commit(gw->cfg.exec_ring, 1);
}

/* The room of the exec rings, from their cached figures (fp_ring_room): a consumer's head
 * is read only when the cache shows fewer than @p want free. */
uint32_t fp_gw_exec_room(const struct fp_gw *gw, uint32_t want)
{
	uint32_t room = fp_ring_room(gw->cfg.exec_ring, want);
	if (gw->cfg.exec_ring2)
		room = FP_MIN(room, fp_ring_room(gw->cfg.exec_ring2, want));
	return room;
}

bool fp_gw_input_room(struct fp_gw *gw)
{
	if (fp_gw_exec_room(gw, FP_GW_EXEC_RESERVE) < FP_GW_EXEC_RESERVE) {
		gw->st->nb_exec_stalls++;
		return false;
	}
	if (fp_gw_jrnl_room(gw, FP_GW_EXEC_RESERVE) < FP_GW_EXEC_RESERVE) {
		gw->st->nb_journal_stalls++;
		return false;
	}
	return true;
}

/* The name of @p symbol_id into @p out (8 bytes) through the symbol table's API (its D2):
 * false when the table does not know it. */
bool fp_gw_symbol(const struct fp_gw *gw, uint32_t symbol_id, char out[8])
{
	return symbol_id != 0 && symbol_id < FP_SYMTAB_NB_ENTRIES &&
	       fp_symtab_name(gw->cfg.symtab, (uint16_t)symbol_id, out);
}

/* ---- the table ---- */

/* Final orders go back to the free list; their ids stay findable until reuse. A replace
 * still in flight is forgotten here (its UserRefNum unmapped): the live state machine has
 * refused it first (order_end), recovery finds that refusal in the journal after. */
void fp_gw_order_final(struct fp_gw *gw, struct fp_gw_order *o, uint8_t state)
{
	o->state = state;
	o->leaves = 0;
	if (o->pend_user_ref_num) /* pending REPLACE, or CANCEL over it (the kill switch) */
		fp_gw_del_urn(gw, o->pend_user_ref_num);
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
		fp_gw_del_id(gw, o->client_order_id);
		fp_gw_del_urn(gw, o->user_ref_num);
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
struct fp_gw_order *fp_gw_order_open(struct fp_gw *gw, const struct fp_gw_order *init)
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
	fp_gw_put_id(gw, o->client_order_id, v);
	fp_gw_put_urn(gw, o->user_ref_num, v);
	if (o->user_ref_num >= gw->st->next_user_ref_num && o->user_ref_num < UINT32_MAX)
		gw->st->next_user_ref_num = o->user_ref_num + 1; /* invariant (2) */
	gw->st->nb_open++;
	return o;
}

/* The venue accepts an order declared lost: an Account Query answer replayed from before
 * the crash (the journal lost its record) ended the sync too early. The venue is right: the
 * order lives again (in a fresh slot: the old one is on the free list) and its reports are
 * applied; risk closed it on the reject, and still counts its fills. Cold, rare. */
struct fp_gw_order *fp_gw_order_relive(struct fp_gw *gw, struct fp_gw_order *old)
{
	struct fp_gw_order keep = *old;
	fp_gw_del_id(gw, old->client_order_id);
	fp_gw_del_urn(gw, old->user_ref_num);
	old->client_order_id = 0; /* so that order_alloc() of that slot unmaps nothing */
	old->user_ref_num = 0;
	keep.recovered = 1;
	struct fp_gw_order *o = fp_gw_order_open(gw, &keep);
	if (o == NULL)
		return NULL;
	gw->st->nb_lost--;
	gw->st->nb_relived++;
	return o;
}

/* ---- transitions (invariant 3) ---- */

/*
 * The venue ended @p o (filled, canceled, dead) and its final report is out. A replace in
 * flight cannot happen any more: the venue answers it with a refusal (OUCH: Rejected of
 * the new UserRefNum, FIX: OrderCancelReject 434=2 "too late"), often much later, or never.
 * Risk still holds the replacement leg open and the strategy still takes it for its quote,
 * so the gateway refuses it now, once, right after the final report, as a refused replace
 * is reported (FP_EV_EXEC_REJECTED of the replacement's id) with FP_GW_REJ_ORDER_ENDED.
 * The venue's own refusal, when it comes, finds no pending replace (its UserRefNum is
 * forgotten: nb_unknown; FIX: nb_impossible) and is not applied twice. Invariant (4): one
 * message makes at most two reports with this one (FP_GW_EXEC_RESERVE): an order with a
 * replace in flight is open (on_replace), so its last report is a single fill or cancel.
 */
static void order_end(struct fp_gw *gw, struct fp_gw_order *o, uint8_t state)
{
	if (o->pend_user_ref_num) { /* a replace in flight (the kill switch may have marked the
				       order's pending a cancel over it: it is in flight too) */
		gw->st->nb_local_rejects++;
		gw->st->nb_local_by_reason[FP_GW_REJ_ORDER_ENDED - FP_GW_REJ_FIRST]++;
		fp_gw_exec_emit(gw, FP_EV_EXEC_REJECTED, o, o->pend_client_order_id, o->pend_price,
				o->pend_qty, 0, FP_GW_REJ_ORDER_ENDED);
	}
	fp_gw_order_final(gw, o, state);
}

void fp_gw_sm_reduce(struct fp_gw *gw, struct fp_gw_order *o, uint32_t dec, uint8_t reason)
{
	if (!fp_gw_is_open(o) || dec > o->leaves)
		return fp_gw_impossible(gw);
	o->leaves -= dec;
	if (o->pending == FP_GW_PEND_CANCEL)
		o->pending = FP_GW_PEND_NONE;
	gw->st->nb_canceled++;
	fp_gw_exec_emit(gw, FP_EV_EXEC_CANCELED, o, o->client_order_id, o->price, dec, 0, reason);
	if (o->leaves == 0)
		order_end(gw, o, FP_GW_CANCELED);
}

void fp_gw_sm_accepted(struct fp_gw *gw, struct fp_gw_order *o, uint32_t qty, int64_t price,
		       uint64_t ref, bool dead)
{
	if (o->state != FP_GW_PENDING_NEW || qty > o->qty)
		return fp_gw_impossible(gw);
	o->state = FP_GW_ACCEPTED;
	o->order_reference_number = ref;
	o->price = price;
	o->leaves = dead ? 0 : qty;
	gw->st->nb_accepted++;
	fp_gw_exec_emit(gw, FP_EV_EXEC_ACCEPTED, o, o->client_order_id, o->price, qty, ref, 0);
	if (dead)
		order_end(gw, o, FP_GW_CANCELED);
}

void fp_gw_sm_executed(struct fp_gw *gw, struct fp_gw_order *o, uint32_t qty, int64_t price,
		       uint64_t match, uint8_t liquidity)
{
	if (!fp_gw_is_open(o) || qty == 0 || qty > o->leaves)
		return fp_gw_impossible(gw);
	o->filled += qty;
	o->leaves -= qty;
	o->state = o->leaves ? FP_GW_PARTIAL : FP_GW_FILLED;
	gw->st->nb_fills++;
	fp_gw_exec_emit(gw, FP_EV_EXEC_FILL, o, o->client_order_id, price, qty, match, liquidity);
	if (o->leaves == 0)
		order_end(gw, o, FP_GW_FILLED);
}

/* The old id ends (canceled, leaves 0), the replacement starts (accepted). */
void fp_gw_sm_replaced(struct fp_gw *gw, struct fp_gw_order *o, uint32_t new_urn, uint32_t qty,
		       int64_t price, uint64_t ref, bool dead)
{
	if (!fp_gw_is_open(o) || o->pending != FP_GW_PEND_REPLACE ||
	    o->pend_user_ref_num != new_urn || (uint64_t)o->filled + qty > o->pend_qty)
		return fp_gw_impossible(gw);
	uint32_t v = (uint32_t)(o - gw->orders) + 1;
	uint64_t old_id = o->client_order_id;
	uint32_t old_leaves = o->leaves;
	o->leaves = 0;
	fp_gw_exec_emit(gw, FP_EV_EXEC_CANCELED, o, old_id, o->price, old_leaves, 0, 0);
	fp_gw_del_urn(gw, o->user_ref_num);
	fp_gw_del_id(gw, old_id);
	o->user_ref_num = new_urn;
	o->pend_user_ref_num = 0;
	o->pending = FP_GW_PEND_NONE;
	o->client_order_id = o->pend_client_order_id;
	fp_gw_put_id(gw, o->client_order_id, v);
	o->price = price;
	o->qty = o->pend_qty;
	o->leaves = dead ? 0 : qty;
	o->order_reference_number = ref;
	gw->st->nb_replaced++;
	fp_gw_exec_emit(gw, FP_EV_EXEC_ACCEPTED, o, o->client_order_id, o->price, qty, ref, 0);
	if (dead || o->leaves == 0)
		order_end(gw, o, FP_GW_CANCELED);
}

void fp_gw_sm_rejected_new(struct fp_gw *gw, struct fp_gw_order *o, uint8_t reason)
{
	if (o->state != FP_GW_PENDING_NEW)
		return fp_gw_impossible(gw);
	gw->st->nb_rejected++;
	fp_gw_exec_emit(gw, FP_EV_EXEC_REJECTED, o, o->client_order_id, o->price, o->qty, 0,
			reason);
	order_end(gw, o, FP_GW_REJECTED);
}

void fp_gw_sm_rejected_replace(struct fp_gw *gw, struct fp_gw_order *o, uint8_t reason)
{
	if (o->pending != FP_GW_PEND_REPLACE)
		return fp_gw_impossible(gw);
	gw->st->nb_rejected++;
	fp_gw_exec_emit(gw, FP_EV_EXEC_REJECTED, o, o->pend_client_order_id, o->pend_price,
			o->pend_qty, 0, reason);
	fp_gw_del_urn(gw, o->pend_user_ref_num);
	o->pend_user_ref_num = 0;
	o->pending = FP_GW_PEND_NONE;
}

void fp_gw_sm_cancel_rejected(struct fp_gw *gw, struct fp_gw_order *o)
{
	if (o->pending != FP_GW_PEND_CANCEL)
		return fp_gw_impossible(gw);
	gw->st->nb_cancel_rejects++;
	o->pending = FP_GW_PEND_NONE;
}

void fp_gw_sm_modified(struct fp_gw *gw, struct fp_gw_order *o, uint32_t leaves)
{
	if (!fp_gw_is_open(o) || leaves > o->leaves)
		return fp_gw_impossible(gw);
	if (leaves < o->leaves)
		fp_gw_sm_reduce(gw, o, o->leaves - leaves, 'U');
}

void fp_gw_sm_priority(struct fp_gw *gw, struct fp_gw_order *o, uint64_t ref, int64_t price)
{
	if (!fp_gw_is_open(o))
		return fp_gw_impossible(gw);
	o->order_reference_number = ref;
	o->price = price;
}

void fp_gw_sm_synced(struct fp_gw *gw, uint32_t venue_next_urn)
{
	if (venue_next_urn > gw->st->next_user_ref_num)
		gw->st->next_user_ref_num = venue_next_urn; /* invariant (2) */
	if (gw->state != FP_GW_SYNCING)
		return;
	gw->state = FP_GW_UP;
	gw->backoff_ms = gw->cfg.backoff_min_ms;
	/* New orders the venue never saw (sent just before a drop) go again with their own
	 * UserRefNum: resending inbound messages is benign (OUCH 2). One rebuilt from the
	 * journal was never sent (a crash between J2 and send()): it is stale, so it is
	 * released (FP_GW_REJ_LOST), not sent. */
	uint64_t seq = gw->cur_seq;
	gw->cur_seq = 0; /* local rejects carry seq 0 */
	for (uint32_t i = 0; i <= gw->mask; i++) {
		struct fp_gw_order *p = &gw->orders[i];
		if (p->state != FP_GW_PENDING_NEW || p->user_ref_num < venue_next_urn)
			continue;
		if (p->recovered) {
			p->recovered = FP_GW_REC_LOST;
			gw->st->nb_lost++;
			gw->st->nb_local_rejects++;
			gw->st->nb_local_by_reason[FP_GW_REJ_LOST - FP_GW_REJ_FIRST]++;
			fp_gw_exec_emit(gw, FP_EV_EXEC_REJECTED, p, p->client_order_id, p->price,
					p->qty, 0, FP_GW_REJ_LOST);
			order_end(gw, p, FP_GW_REJECTED);
		} else {
			gw->proto->enter(gw, p, &(uint64_t){0});
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
