/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_gw_venue.c - what the session's ups and downs do to the gateway, whatever carries
 * it: the venue up/down notices to the exec rings (and the journal), the error kept for
 * the log, and the state a dropped session leaves (breaker, backoff). No socket call:
 * fp_gw_sess.c (the transport) and a test's fake transport share this file.
 */
#include <stdarg.h>
#include <stdio.h>

#include "fp_gw_pvt.h"
#include "fp_journal.h"

/* Tell risk (the first exec ring) that the venue session went down or came back: its
 * venue breaker trips on the first. Control events are never dropped (invariant 4 keeps
 * room in the exec ring). */
void fp_gw_venue_notice(struct fp_gw *gw, uint32_t command)
{
	struct fp_event ev = {.type = FP_EV_CONTROL};
	ev.u.control.command = command;
	ev.u.control.value = gw->st->nb_disconnects;
	fp_ring_enqueue_burst(gw->cfg.exec_ring, &ev, 1);
}

/* Logged in to @p session (space padded): tell both exec consumers (J3: they reset their
 * duplicate filter on a new session) before any replayed report, and journal it. */
void fp_gw_session_notice(struct fp_gw *gw, const char *session, uint64_t requested)
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
		fp_gw_jrnl_add(gw, &ev);
		fp_gw_jrnl_flush(gw);
	}
}

void fp_gw_set_error(struct fp_gw *gw, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(gw->last_error, sizeof(gw->last_error), fmt, ap);
	va_end(ap);
	gw->nb_errors++;
}

/* The transport is closed: count the disconnect, trip the venue breaker and tell risk
 * when the session had been up, and wait the backoff before the next connect. */
void fp_gw_session_down(struct fp_gw *gw)
{
	if (gw->state >= FP_GW_SYNCING) {
		gw->st->nb_disconnects++;
		gw->st->breaker = 1; /* a venue disconnect trips the breaker */
		fp_gw_venue_notice(gw, FP_EV_CTL_VENUE_DOWN);
	}
	gw->state = FP_GW_DOWN;
	gw->tx_len = 0;
	gw->retry_at_ns = gw->now_ns + (uint64_t)gw->backoff_ms * 1000000u;
	gw->backoff_ms = FP_MIN(gw->backoff_ms * 2, gw->cfg.backoff_max_ms);
}
