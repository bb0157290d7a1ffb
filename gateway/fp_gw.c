/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_gw.c - the order gateway stage (API and rules in fp_gw.h): order intents from the
 * order ring are checked and turned into orders (fp_gw_order_open), journaled (J2) and
 * sent by the venue protocol's adapter; the kill switch; the poll loop over the session
 * transport; lifecycle. The parts and their files: fp_gw_pvt.h. The order state machine
 * and its numbered invariants: fp_gw_order.c.
 *
 * One worker thread. Everything is allocated in fp_gw_init(); the poll loop does not
 * allocate, and its syscalls are send(), a recv() every rx_interval_us at most while the
 * session is up (read_due), and connect()/poll() while the session is down.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fp_err.h"
#include "fp_gw_pvt.h"
#include "fp_journal.h"
#include "fp_symtab.h"
#include "fp_tsc.h"

/* ---- order events (hot path) ---- */

static void local_reject(struct fp_gw *gw, const struct fp_event *ev, uint8_t reason)
{
	struct fp_gw_order tmp = {.strategy_id = ev->u.order.strategy_id,
				  .symbol_id = ev->symbol_id,
				  .side = ev->u.order.side};
	gw->st->nb_local_rejects++;
	gw->st->nb_local_by_reason[reason - FP_GW_REJ_FIRST]++;
	fp_gw_exec_emit(gw, FP_EV_EXEC_REJECTED, &tmp, ev->u.order.client_order_id,
			ev->u.order.price, ev->u.order.shares, 0, reason);
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
	if (fp_gw_find_id(gw, r->client_order_id) != NIL)
		return local_reject(gw, ev, FP_GW_REJ_DUPLICATE_ID);
	struct fp_gw_order *o =
		fp_gw_order_open(gw, &(struct fp_gw_order){
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
	fp_gw_jrnl_order(gw, ev, o->user_ref_num); /* invariant (5) */
	uint64_t handed;
	/* A tick-to-trade sample only when send() took the order whole: one queued in the
	 * backlog (enter() returns 1, nb_tx_backlog) leaves later, at a time not measured. */
	if (gw->proto->enter(gw, o, &handed) == 0 && ev->t_rx) {
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
	uint32_t v = fp_gw_find_id(gw, ev->u.order.orig_client_order_id);
	if (v == NIL || !fp_gw_is_open(&gw->orders[v - 1])) {
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
	fp_gw_jrnl_order(gw, ev, o->user_ref_num); /* invariant (5) */
	gw->proto->cancel(gw, o, ev->u.order.shares);
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
	if (fp_gw_find_id(gw, r->client_order_id) != NIL)
		return local_reject(gw, ev, FP_GW_REJ_DUPLICATE_ID);
	struct fp_gw_order *o = open_order(gw, ev);
	if (o == NULL)
		return;
	o->pending = FP_GW_PEND_REPLACE;
	o->pend_client_order_id = r->client_order_id;
	o->pend_price = r->price;
	o->pend_qty = r->shares;
	o->pend_user_ref_num = gw->st->next_user_ref_num++; /* invariant (2) */
	fp_gw_put_urn(gw, o->pend_user_ref_num, (uint32_t)(o - gw->orders) + 1);
	fp_gw_jrnl_order(gw, ev, o->pend_user_ref_num); /* invariant (5) */
	gw->st->nb_replaces_sent++;
	gw->proto->replace(gw, o, r->tif);
}

/* One Mass Cancel of @p symbol_id (0: every symbol), journaled as @p ev or, made by the
 * kill switch, as a record of its own. */
static void mass_cancel(struct fp_gw *gw, const struct fp_event *ev, uint32_t symbol_id)
{
	uint32_t urn = gw->st->next_user_ref_num++; /* invariant (2) */
	struct fp_event mc = {.type = FP_EV_ORDER_MASS_CANCEL, .symbol_id = symbol_id};
	fp_gw_jrnl_order(gw, ev ? ev : &mc, urn);
	gw->proto->mass_cancel(gw, symbol_id, urn);
}

/* After a recovery: was @p ev (at the head of the order ring) handled by the gateway that
 * crashed? It peeks a batch and releases it after handling it, so what it handled before
 * dying is still there, and those are the last order messages it journaled. The first event
 * that is not one of them ends the check. Cold: only the first batch after a restart. */
static int rec_seen(struct fp_gw *gw, const struct fp_event *ev)
{
	if (!fp_jrnl_recent_seen(&gw->rec_recent, ev->u.order.client_order_id))
		return 0;
	gw->st->nb_recover_skipped++;
	return 1;
}

static unsigned take_orders(struct fp_gw *gw, unsigned budget)
{
	uint32_t nb;
	/* Each event may add one local reject: only take what the exec ring can answer. */
	uint32_t room = fp_gw_exec_room(gw, budget);
	const struct fp_event *evs = fp_ring_peek(gw->cfg.order_ring, FP_MIN(budget, room), &nb);
	/* Journal room, once per batch: each event adds at most one record (its order
	 * message or its local reject). */
	uint32_t jroom = nb ? fp_gw_jrnl_room(gw, nb + FP_GW_EXEC_RESERVE) : 0;
	for (uint32_t i = 0; i < nb; i++) {
		const struct fp_event *ev = &evs[i];
		gw->st->nb_orders_in++;
		fp_gw_id_live(gw, ev->u.order.client_order_id); /* refused or not: never adopted */
		if (fp_unlikely(gw->rec_recent.skip) && rec_seen(gw, ev))
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
				mass_cancel(gw, ev, ev->symbol_id);
			break;
		default:
			break;
		}
	}
	if (gw->nb_jbuf)
		fp_gw_jrnl_flush(gw); /* local rejects */
	fp_ring_release(gw->cfg.order_ring, nb);
	return nb;
}

/* ---- kill switch, poll ---- */

/* The kill switch's cancel of open order @p o, nothing in flight on it: journaled first (J2;
 * when there is room: a kill never waits for the journal), sent, counted. */
static void kill_cancel(struct fp_gw *gw, struct fp_gw_order *o)
{
	struct fp_event c = {.type = FP_EV_ORDER_CANCEL, .symbol_id = o->symbol_id};
	c.source = o->strategy_id;
	c.u.order.strategy_id = o->strategy_id;
	c.u.order.orig_client_order_id = o->client_order_id;
	o->pending = FP_GW_PEND_CANCEL;
	fp_gw_jrnl_order(gw, &c, o->user_ref_num);
	gw->st->nb_kill_cancels++;
	gw->proto->cancel(gw, o, 0);
}

/* One Mass Cancel, then a cancel of every open order with nothing in flight. An order with
 * a replace in flight is left to its answer: which id the venue knows it by (the old leg's
 * or the replacement's) depends on whether it applied the replace first, and a cancel under
 * the wrong one is ignored (OUCH) or cannot be sent (FIX cancels only a leg the venue
 * answered). The Mass Cancel takes down whichever lives; the replace's answer (Replaced or
 * refused) is applied, and what it leaves open is canceled then (fp_gw_kill_follow). An
 * order with a cancel in flight needs nothing more. */
static void kill_switch(struct fp_gw *gw)
{
	struct fp_shm_ctl_change trip;
	uint64_t set_ns = fp_gw_realtime_ns();
	if (fp_shm_ctl_last_change(gw->cfg.ctl, &trip) && trip.what == FP_CTL_CHANGE_KILL)
		set_ns = trip.time_ns;
	gw->st->killed = 1;
	if (gw->state != FP_GW_UP)
		return; /* retried on every poll until the session is up */
	mass_cancel(gw, NULL, 0);
	for (uint32_t i = 0; i <= gw->mask && gw->fd >= 0; i++) {
		struct fp_gw_order *o = &gw->orders[i];
		if (fp_gw_is_open(o) && o->pending == FP_GW_PEND_NONE)
			kill_cancel(gw, o);
	}
	gw->st->kill_latency_ns = fp_gw_realtime_ns() - set_ns;
	gw->st->killed = 2; /* done */
}

void fp_gw_kill_follow(struct fp_gw *gw, struct fp_gw_order *o)
{
	if (gw->st->killed && fp_gw_is_open(o) && o->pending == FP_GW_PEND_NONE)
		kill_cancel(gw, o);
}

/* Whether this poll reads the venue's socket (docs/gateway.md, "Reading the venue"): every
 * poll until the session is up; then at most every rx_interval_us, and not in a poll that
 * took order events (@p taken) unless the read is a whole interval late, so that the recv()
 * never stands between an order and the next md poll, yet reads never starve. */
static bool read_due(const struct fp_gw *gw, unsigned taken)
{
	if (gw->state != FP_GW_UP || gw->cfg.rx_interval_us < 0)
		return true;
	if (gw->now_ns < gw->next_read_ns)
		return false;
	return taken == 0 ||
	       gw->now_ns >= gw->next_read_ns + (uint64_t)gw->cfg.rx_interval_us * 1000u;
}

static void read_venue(struct fp_gw *gw)
{
	if (gw->state == FP_GW_UP && gw->last_read_ns &&
	    gw->now_ns - gw->last_read_ns > gw->st->rx_gap_max_ns)
		gw->st->rx_gap_max_ns = gw->now_ns - gw->last_read_ns;
	gw->last_read_ns = gw->now_ns;
	gw->proto->read(gw);
	if (gw->cfg.rx_interval_us > 0)
		gw->next_read_ns = gw->now_ns + (uint64_t)gw->cfg.rx_interval_us * 1000u;
}

unsigned fp_gw_poll(struct fp_gw *gw, unsigned budget)
{
	unsigned work = 0, taken;
	gw->now_ns = fp_gw_mono_ns();
	if (gw->cfg.ctl && fp_shm_ctl_killed(gw->cfg.ctl)) {
		if (gw->st->killed != 2)
			kill_switch(gw);
	} else if (fp_unlikely(gw->st->killed)) {
		/* Re-armed (fastpath-ctl unkill): orders flow again (issue 16). */
		gw->st->killed = 0;
	}
	taken = take_orders(gw, budget);
	work += taken;
	switch (gw->state) {
	case FP_GW_DOWN:
		if (gw->now_ns < gw->retry_at_ns)
			break;
		if (gw->cfg.wait_directory && !fp_symtab_directory_ready(gw->cfg.symtab)) {
			/* Not before md has every symbol name (fp_gw_cfg.wait_directory). */
			gw->st->nb_directory_waits++;
			gw->retry_at_ns = gw->now_ns + 10 * 1000000u;
			break;
		}
		fp_gw_session_connect(gw);
		break;
	case FP_GW_CONNECTING:
		if (gw->now_ns - gw->last_rx_ns >= (uint64_t)gw->cfg.timeout_ms * 1000000u)
			fp_gw_session_drop(gw);
		else
			fp_gw_session_connecting(gw);
		break;
	default:
		fp_gw_tx_flush(gw);
		if (gw->fd >= 0 && read_due(gw, taken))
			read_venue(gw);
		if (gw->fd >= 0)
			work += gw->proto->input(gw, budget);
		if (gw->fd < 0)
			break;
		if (gw->now_ns - gw->last_rx_ns >= (uint64_t)gw->cfg.timeout_ms * 1000000u) {
			gw->st->nb_timeouts++;
			fp_gw_set_error(gw, "venue silent for %u ms: session dropped",
					gw->cfg.timeout_ms);
			fp_gw_session_drop(gw);
		} else if (gw->now_ns - gw->last_tx_ns >=
			   (uint64_t)gw->cfg.heartbeat_ms * 1000000u) {
			gw->proto->heartbeat(gw);
		}
		break;
	}
	gw->st->session = gw->state;
	return work;
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
	if (c->protocol > FP_GW_PROTO_FIX44 || c->tls > FP_GW_TLS_OFF)
		return fp_err_set(-EINVAL, "gateway: protocol %u or tls %u unknown", c->protocol,
				  c->tls);
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
	gw->orders = calloc(c->max_orders, sizeof(*gw->orders));
	gw->free_list = calloc(c->max_orders, sizeof(uint32_t));
	gw->tx = malloc(FP_GW_TX_BACKLOG);
	gw->rx = malloc(sizeof(*gw->rx));
	if (!gw->orders || !gw->free_list || !gw->tx || !gw->rx ||
	    fp_hmap_init(&gw->id_map, c->max_orders) < 0 ||
	    fp_hmap_init(&gw->urn_map, 2 * c->max_orders) < 0) {
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
	gw->proto = c->protocol == FP_GW_PROTO_FIX44 ? &fp_gw_fix_proto : &fp_gw_ouch_proto;
	fp_soup_rx_init(gw->rx, FP_SOUP_FROM_SERVER, FP_OUCH_MAX_MSG);
	int rc;
	if (c->protocol == FP_GW_PROTO_FIX44 && (rc = fp_gw_fix_init(gw)) < 0) {
		fp_gw_fini(gw);
		return rc;
	}
	if (c->tls == FP_GW_TLS_DEFAULT)
		c->tls = c->protocol == FP_GW_PROTO_FIX44 ? FP_GW_TLS_ON : FP_GW_TLS_OFF;
	if (c->tls == FP_GW_TLS_ON && (rc = fp_gw_tls_init(gw)) < 0) {
		fp_gw_fini(gw);
		return rc;
	}
	c->tls_ca_file = c->tls_cert_file = c->tls_key_file = c->tls_server_name = NULL;
	return 0;
}

void fp_gw_fini(struct fp_gw *gw)
{
	if (gw == NULL)
		return;
	if (gw->fd >= 0) {
		if (gw->state >= FP_GW_LOGGING_IN)
			gw->proto->logout(gw);
		fp_gw_tls_close(gw);
		close(gw->fd);
		gw->fd = -1;
	}
	fp_gw_tls_fini(gw);
	fp_gw_fix_fini(gw);
	free(gw->orders);
	free(gw->free_list);
	fp_hmap_fini(&gw->id_map);
	fp_hmap_fini(&gw->urn_map);
	free(gw->tx);
	free(gw->rx);
	gw->orders = NULL;
	gw->free_list = NULL;
	gw->tx = NULL;
	gw->rx = NULL;
	/* wipe the credentials held in memory */
	memset(gw->cfg.password, 0, sizeof(gw->cfg.password));
}

const char *fp_gw_last_error(const struct fp_gw *gw)
{
	return gw->last_error;
}

const struct fp_gw_stats *fp_gw_stats(const struct fp_gw *gw)
{
	return gw->st;
}

int fp_gw_stats_check(const struct fp_gw_stats *st)
{
	const struct fp_stats_hdr want = {FP_GW_STATS_MAGIC, FP_GW_STATS_VERSION, sizeof(*st)};
	return fp_stats_hdr_check(st, &want, "gw.stats", "a gateway's counters");
}

const struct fp_gw_order *fp_gw_find(const struct fp_gw *gw, uint64_t client_order_id)
{
	uint32_t v = client_order_id ? fp_gw_find_id(gw, client_order_id) : NIL;
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
		[FP_GW_REJ_ORDER_ENDED - FP_GW_REJ_FIRST] = "order_ended",
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
