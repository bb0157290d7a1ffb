/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_md_mold.c - MoldUDP64 session logic (see fp_md_mold.h for the flow and invariants).
 *
 * Follows MoldUDP64 1.0 (packet: session 10, sequence u64, count u16, then u16-length
 * message blocks; count 0 = heartbeat, 0xFFFF = end of session). Called on the md core
 * only; no I/O, no allocation.
 *
 * States of the head of the stream:
 *
 *     IN ORDER (expected == hi_seq) --packet ahead of expected--> GAP (expected < hi_seq)
 *     GAP --missing range arrives (any line)--> IN ORDER     [fp_md_mold_on_packet, _next]
 *     GAP --stale_timeout_ns passes--> flush: holes counted lost, buffer drained in order,
 *           expected = hi_seq                                 [fp_md_mold_tick, _next]
 *
 * A/B arbitration needs no extra state: both lines feed one session and the first copy of
 * a sequence number wins, because the second finds it below `expected` (invariant 1).
 */
#include <errno.h>
#include <string.h>

#include "fp_err.h"
#include "fp_md_mold.h"

#define SLOT_EMPTY UINT64_MAX

size_t fp_md_mold_memsize(uint32_t window)
{
	return sizeof(struct fp_md_mold) + (size_t)window * sizeof(struct fp_md_mold_slot);
}

static bool session_blank(const char *s)
{
	for (unsigned i = 0; i < FP_MD_MOLD_SESSION_LEN; i++)
		if (s[i] != 0 && s[i] != ' ')
			return false;
	return true;
}

int fp_md_mold_init(struct fp_md_mold *s, const struct fp_md_mold_cfg *cfg)
{
	if (!FP_IS_POW2(cfg->window) || cfg->window > FP_MD_MOLD_WINDOW_MAX)
		return fp_err_set(-EINVAL,
				  "mold window %u must be a power of 2 between 1 and %u messages",
				  cfg->window, FP_MD_MOLD_WINDOW_MAX);
	if (cfg->max_request == 0)
		return fp_err_set(-EINVAL, "mold max_request must be at least 1 message");
	memset(s, 0, sizeof(*s));
	s->cfg = *cfg;
	s->mask = cfg->window - 1;
	s->stats = &s->own_stats;
	if (!session_blank(cfg->session)) {
		memcpy(s->session, cfg->session, FP_MD_MOLD_SESSION_LEN);
		s->session_known = true;
	}
	if (cfg->first_seq != 0) {
		s->expected = s->hi_seq = s->flush_until = cfg->first_seq;
		s->seq_known = true;
	}
	for (uint32_t i = 0; i < cfg->window; i++)
		s->slots[i].seq = SLOT_EMPTY;
	return 0;
}

void fp_md_mold_set_stats(struct fp_md_mold *s, struct fp_md_mold_stats *stats)
{
	s->stats = stats ? stats : &s->own_stats;
}

/* Invariant (3): drop buffered copies of [from, to), which are now delivered elsewhere. */
static uint32_t drop_buffered(struct fp_md_mold *s, uint64_t from, uint64_t to)
{
	uint32_t dropped = 0;
	if (to - from > (uint64_t)s->mask + 1)
		from = to - s->mask - 1;
	for (uint64_t q = from; q < to && s->nb_buffered; q++) {
		struct fp_md_mold_slot *sl = &s->slots[q & s->mask];
		if (sl->seq == q) {
			sl->seq = SLOT_EMPTY;
			s->nb_buffered--;
			dropped++;
		}
	}
	return dropped;
}

/* A packet beyond expected: keep its messages in the window (3), count the rest. */
static void buffer_packet(struct fp_md_mold *s, const struct fp_md_mold_pkt *p, uint64_t old_hi)
{
	struct fp_mold_iter it;
	const uint8_t *msg;
	uint16_t len;
	uint64_t q;
	uint64_t limit = s->expected + s->mask + 1;
	fp_mold_iter_init(&it, &p->mold);
	enum fp_mold_result r;
	while ((r = fp_mold_iter_next(&it, &msg, &len, &q)) == FP_MOLD_OK) {
		if (q < s->expected) { /* (5): a held session sees packets it already has */
			s->stats->duplicates++;
			continue;
		}
		if (q >= limit) {
			s->stats->out_of_window += it.left + 1u;
			return;
		}
		struct fp_md_mold_slot *sl = &s->slots[q & s->mask];
		if (sl->seq == q) {
			s->stats->duplicates++;
		} else if (len > FP_MD_MOLD_SLOT_DATA) {
			s->stats->errors++; /* cannot keep it: the hole stays and times out */
		} else {
			sl->seq = q;
			sl->t_rx = p->t_rx;
			sl->len = len;
			sl->line = p->line;
			memcpy(sl->data, msg, len);
			s->nb_buffered++;
			s->stats->buffered++;
			if (q < old_hi) /* it was a hole: filled out of order */
				s->stats->recovered++;
		}
	}
	if (r != FP_MOLD_END)
		s->stats->errors++;
}

/* Raise hi_seq to @p next (one past the packet); opens or widens a gap when ahead. */
static void note_ahead(struct fp_md_mold *s, uint64_t first, uint64_t next, uint64_t now_ns)
{
	if (first > s->hi_seq) { /* messages [hi_seq, first) never seen on any line */
		if (!fp_md_mold_gap_open(s))
			s->gap_since_ns = now_ns; /* (4) */
		s->stats->gaps++;
		s->stats->missing += first - s->hi_seq;
	}
	if (next > s->hi_seq)
		s->hi_seq = next;
}

enum fp_md_mold_action fp_md_mold_on_packet(struct fp_md_mold *s, const struct fp_md_mold_pkt *p,
					    uint64_t now_ns, uint32_t *skip)
{
	if (fp_unlikely(s->cfg.passthrough)) {
		s->stats->packets[p->line]++;
		if (p->mold.message_count == FP_MD_MOLD_HEARTBEAT ||
		    p->mold.message_count == FP_MD_MOLD_END)
			return FP_MD_MOLD_DROP;
		s->stats->messages += p->mold.message_count;
		*skip = 0;
		return FP_MD_MOLD_DELIVER;
	}
	if (fp_unlikely(!s->session_known)) {
		memcpy(s->session, p->mold.session, FP_MD_MOLD_SESSION_LEN);
		s->session_known = true;
	} else if (fp_unlikely(memcmp(s->session, p->mold.session, FP_MD_MOLD_SESSION_LEN) != 0)) {
		s->stats->foreign++;
		return FP_MD_MOLD_DROP;
	}
	if (fp_unlikely(!s->seq_known)) {
		s->expected = s->hi_seq = s->flush_until = p->mold.sequence_number;
		s->seq_known = true;
	}
	s->stats->packets[p->line]++;

	if (fp_unlikely(p->mold.message_count == FP_MD_MOLD_HEARTBEAT ||
			p->mold.message_count == FP_MD_MOLD_END)) {
		/* Both carry the next sequence number: anything below it exists. */
		if (p->mold.message_count == FP_MD_MOLD_END) {
			s->stats->end_of_session++;
			s->ended = true;
		} else {
			s->stats->heartbeats++;
		}
		note_ahead(s, p->mold.sequence_number, p->mold.sequence_number, now_ns);
		return FP_MD_MOLD_DROP;
	}

	uint64_t next = p->mold.sequence_number + p->mold.message_count;
	if (fp_unlikely(s->hold)) { /* (5) */
		if (next <= s->expected) {
			s->stats->duplicates += p->mold.message_count;
			return FP_MD_MOLD_DROP;
		}
		uint64_t old_hi = s->hi_seq;
		note_ahead(s, p->mold.sequence_number, next, now_ns);
		buffer_packet(s, p, old_hi);
		return FP_MD_MOLD_BUFFERED;
	}
	if (fp_likely(p->mold.sequence_number == s->expected && !fp_md_mold_gap_open(s))) {
		/* The common case: exactly the next packet, no gap. */
		s->expected = s->hi_seq = s->flush_until = next;
		s->stats->messages += p->mold.message_count;
		*skip = 0;
		return FP_MD_MOLD_DELIVER;
	}
	if (next <= s->expected) { /* (1): every message already delivered or lost */
		s->stats->duplicates += p->mold.message_count;
		return FP_MD_MOLD_DROP;
	}
	if (p->mold.sequence_number <= s->expected) {
		/* Starts at or before expected, ends beyond: deliver the new part. */
		uint64_t old = s->expected;
		uint32_t k = (uint32_t)(old - p->mold.sequence_number);
		s->stats->duplicates += k;
		if (fp_md_mold_gap_open(s)) {
			uint64_t filled_to = next < s->hi_seq ? next : s->hi_seq;
			uint32_t dup = drop_buffered(s, old, filled_to);
			s->stats->duplicates += dup;
			s->stats->recovered += filled_to - old - dup;
			s->gap_since_ns = now_ns; /* (4) the head moved: a new head gap */
		}
		s->expected = next;
		if (s->flush_until < next)
			s->flush_until = next;
		if (s->hi_seq < next)
			s->hi_seq = next;
		s->stats->messages += p->mold.message_count - k;
		*skip = k;
		return FP_MD_MOLD_DELIVER;
	}
	/* Ahead of expected: a gap before this packet. */
	uint64_t old_hi = s->hi_seq;
	note_ahead(s, p->mold.sequence_number, next, now_ns);
	buffer_packet(s, p, old_hi);
	return FP_MD_MOLD_BUFFERED;
}

const struct fp_md_mold_msg *fp_md_mold_next(struct fp_md_mold *s, struct fp_md_mold_msg *m,
					     uint64_t now_ns)
{
	while (s->expected < s->hi_seq && !s->hold) { /* (5) */
		if (s->nb_buffered == 0) {
			if (s->flush_until <= s->expected)
				return NULL;
			/* After a stale timeout: nothing buffered, skip the rest of the holes. */
			uint64_t to = s->flush_until < s->hi_seq ? s->flush_until : s->hi_seq;
			s->stats->lost += to - s->expected;
			s->expected = to;
			continue;
		}
		struct fp_md_mold_slot *sl = &s->slots[s->expected & s->mask];
		if (sl->seq == s->expected) {
			sl->seq = SLOT_EMPTY;
			s->nb_buffered--;
			m->data = sl->data;
			m->len = sl->len;
			m->line = sl->line;
			m->seq = s->expected;
			m->t_rx = sl->t_rx;
			s->expected++;
			s->stats->messages++;
			if (s->flush_until < s->expected)
				s->flush_until = s->expected;
			if (fp_md_mold_gap_open(s) &&
			    s->slots[s->expected & s->mask].seq != s->expected)
				s->gap_since_ns = now_ns; /* (4) a new head hole */
			return m;
		}
		if (s->expected < s->flush_until) { /* a hole given up on */
			s->stats->lost++;
			s->expected++;
			continue;
		}
		return NULL;
	}
	return NULL;
}

/* First buffered sequence after expected (bounded by the window), or hi_seq. */
static uint64_t head_hole_end(const struct fp_md_mold *s)
{
	uint64_t lim = s->expected + s->mask + 1;
	if (lim > s->hi_seq)
		lim = s->hi_seq;
	if (s->nb_buffered == 0)
		return s->hi_seq;
	for (uint64_t q = s->expected; q < lim; q++)
		if (s->slots[q & s->mask].seq == q)
			return q;
	return lim;
}

unsigned fp_md_mold_tick(struct fp_md_mold *s, uint64_t now_ns, struct fp_md_mold_tick *out)
{
	out->what = 0;
	if (!fp_md_mold_gap_open(s) || s->flush_until > s->expected || s->hold)
		return 0; /* (4) */
	uint64_t hole_end = head_hole_end(s);
	if (now_ns - s->gap_since_ns >= s->cfg.stale_timeout_ns) {
		out->what |= FP_MD_MOLD_TICK_STALE;
		out->stale_seq = s->expected;
		out->stale_count = s->hi_seq - s->expected - s->nb_buffered;
		s->flush_until = s->hi_seq;
		s->stats->stale++;
		return out->what;
	}
	if (!s->requested_once || now_ns - s->last_request_ns >= s->cfg.request_interval_ns) {
		uint64_t n = hole_end - s->expected;
		out->what |= FP_MD_MOLD_TICK_REQUEST;
		out->request_seq = s->expected;
		out->request_count = (uint16_t)(n < s->cfg.max_request ? n : s->cfg.max_request);
		s->last_request_ns = now_ns;
		s->requested_once = true;
		s->stats->requests++;
	}
	return out->what;
}

void fp_md_mold_hold(struct fp_md_mold *s, bool hold)
{
	s->hold = hold;
}

/* Drop every buffered message outside [lo, hi) (invariant 3 for a new `expected`). */
static uint32_t drop_outside(struct fp_md_mold *s, uint64_t lo, uint64_t hi)
{
	uint32_t dropped = 0;
	for (uint32_t i = 0; i <= s->mask && s->nb_buffered; i++) {
		struct fp_md_mold_slot *sl = &s->slots[i];
		if (sl->seq != SLOT_EMPTY && (sl->seq < lo || sl->seq >= hi)) {
			sl->seq = SLOT_EMPTY;
			s->nb_buffered--;
			dropped++;
		}
	}
	return dropped;
}

void fp_md_mold_skip_to(struct fp_md_mold *s, uint64_t seq, uint64_t now_ns)
{
	if (!s->seq_known) {
		s->expected = s->hi_seq = s->flush_until = seq;
		s->seq_known = true;
		return;
	}
	if (seq > s->expected) { /* (1): below seq, everything is in the snapshot */
		drop_outside(s, seq, seq + s->mask + 1);
		s->stats->skipped += seq - s->expected;
		s->expected = seq;
		if (s->hi_seq < seq)
			s->hi_seq = seq;
	} else if (seq < s->expected) { /* [seq, expected) becomes a gap to request */
		drop_outside(s, seq, seq + s->mask + 1);
		s->expected = seq;
	}
	s->flush_until = s->expected;
	s->gap_since_ns = now_ns; /* (4) a new head gap, if any */
	s->requested_once = false;
}
