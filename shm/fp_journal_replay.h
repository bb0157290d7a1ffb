/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_journal_replay.h - the two filters that the journal's ordering rules (fp_journal.h)
 * ask of a consumer, written once for every stage that consumes:
 *
 *   struct fp_jrnl_exec_filter  rule J3: drop an execution report already applied (the
 *                               venue replays what a gateway crash left unjournaled).
 *                               Risk and the strategy host on their exec rings, risk again
 *                               when it replays the journal.
 *   struct fp_jrnl_recent       rule J5, after a restart: the input ring's head may still hold
 *                               the events a stage answered and journaled before it died
 *                               (stages peek a batch and release it after answering). The
 *                               ids of the last answers journaled skip them, once. Risk
 *                               (intents) and the gateway (orders).
 *
 * Any stage may include it. Each filter belongs to one thread (the consumer's); plain
 * structs, no allocation. fp_jrnl_exec_replayed() is hot-path safe (O(1), no syscall);
 * fp_jrnl_recent_seen() is O(FP_JRNL_RECENT) and runs only while `skip` is set, on the
 * first batches after a restart.
 */
#ifndef FP_JOURNAL_REPLAY_H
#define FP_JOURNAL_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fp_event.h"

/** Bytes of a venue session name compared (u.control.text of a login; 10 used, padded). */
#define FP_JRNL_SESSION_LEN 12

/** J3 state of one consumer of execution reports. Zero is the initial state. */
struct fp_jrnl_exec_filter {
	uint64_t last_seq;   /**< last venue sequence number applied; 0: none this session */
	uint32_t last_types; /**< bit (type - FP_EV_EXEC_ACCEPTED): types applied at last_seq */
	char session[FP_JRNL_SESSION_LEN]; /**< venue session of the last login */
};

/** Forget everything (a replay that starts from the first record). */
static inline void fp_jrnl_exec_filter_reset(struct fp_jrnl_exec_filter *f)
{
	memset(f, 0, sizeof(*f));
}

/**
 * A login to venue session @p text (FP_EV_CTL_VENUE_UP or FP_JRNL_CTL_SESSION
 * u.control.text, space padded): a new session numbers its messages from 1 again, the same
 * session (a reconnect) goes on. @return true when the session is new.
 */
static inline bool fp_jrnl_exec_filter_session(struct fp_jrnl_exec_filter *f, const char *text)
{
	if (memcmp(f->session, text, sizeof(f->session)) == 0)
		return false;
	memcpy(f->session, text, sizeof(f->session));
	f->last_seq = 0;
	f->last_types = 0;
	return true;
}

/**
 * J3: is execution report @p ev (FP_EV_EXEC_*) a replay of one already applied? A report is
 * a replay when its seq is below the last applied, or equal to it with a type already
 * applied at that seq (one venue message may make two reports of one seq, of two types: a
 * replace's CANCELED of the old id and ACCEPTED of the new; a FIX Trade's ACCEPTED and
 * FILL; an order's last FILL or CANCELED and the REJECTED of its replace in flight, reason
 * order_ended). seq 0 (the gateway's own reject) is never a replay. When it is not one,
 * the report is recorded as applied.
 */
static inline bool fp_jrnl_exec_replayed(struct fp_jrnl_exec_filter *f, const struct fp_event *ev)
{
	if (ev->seq == 0)
		return false;
	uint32_t bit = 1u << ((ev->type - FP_EV_EXEC_ACCEPTED) & 31);
	if (ev->seq < f->last_seq || (ev->seq == f->last_seq && (f->last_types & bit)))
		return true;
	if (ev->seq != f->last_seq)
		f->last_types = 0;
	f->last_types |= bit;
	f->last_seq = ev->seq;
	return false;
}

/** Answers remembered by a recovery (more than a poll's batch of input events). */
#define FP_JRNL_RECENT 256

/** J5 state of one stage: the client order ids of its last journaled answers. */
struct fp_jrnl_recent {
	uint32_t skip; /**< the input ring's head may hold events already answered */
	uint32_t n;    /**< ids added since the reset (the last FP_JRNL_RECENT are kept) */
	uint64_t id[FP_JRNL_RECENT];
};

/** Forget every id (a replay that starts from the first record). */
static inline void fp_jrnl_recent_reset(struct fp_jrnl_recent *r)
{
	r->skip = 0;
	r->n = 0;
}

/** The replay met an answer to the event with client order id @p id. */
static inline void fp_jrnl_recent_add(struct fp_jrnl_recent *r, uint64_t id)
{
	r->id[r->n++ % FP_JRNL_RECENT] = id;
}

/** End of the replay: check the input ring's head if any answer was met. */
static inline void fp_jrnl_recent_arm(struct fp_jrnl_recent *r)
{
	r->skip = r->n != 0;
}

/**
 * Was the input event with client order id @p id answered before the crash? Call it only
 * while r->skip is set. The first event that was not ends the check (skip cleared): the
 * answered events are the head of the ring, in order.
 */
static inline bool fp_jrnl_recent_seen(struct fp_jrnl_recent *r, uint64_t id)
{
	uint32_t n = r->n < FP_JRNL_RECENT ? r->n : FP_JRNL_RECENT;
	for (uint32_t i = 0; id && i < n; i++)
		if (r->id[i] == id)
			return true;
	r->skip = 0;
	return false;
}

#endif /* FP_JOURNAL_REPLAY_H */
