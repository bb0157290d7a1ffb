/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_md_mold.h - MoldUDP64 session logic: sequencing, A/B arbitration, gap recovery.
 *
 * Called by the md stage on its own core (one thread per session object). Pure logic: no
 * I/O, no syscalls, no allocation after fp_md_mold_init() (which works on caller memory:
 * the session embeds its out-of-order buffer). Time is passed in by the caller (`now_ns`,
 * any monotonic nanosecond clock), so tests are deterministic.
 *
 * How a packet flows (the caller parsed the MoldUDP64 header with proto/fp_mold.h):
 *
 *     act = fp_md_mold_on_packet(s, &pkt, now_ns, &skip);
 *     if (act == FP_MD_MOLD_DELIVER)   -> caller decodes messages [skip, count) of the packet,
 *                                        their sequence numbers are pkt.seq + i (the session
 *                                        has already moved `expected` past the packet)
 *     while ((m = fp_md_mold_next(s, &one)))  -> messages that became in order (recovered)
 *     fp_md_mold_tick(s, now_ns, &tick)       -> a retransmission request to send, or a
 *                                                gap to give up on (emit FP_EV_MD_STALE)
 *
 * Invariants (cited by number in fp_md_mold.c):
 *  (1) Every message with sequence < `expected` was delivered exactly once or counted lost.
 *  (2) `hi_seq` >= `expected`; a gap is open iff expected < hi_seq.
 *  (3) A buffer slot is valid iff slot.seq is in [expected, expected + window) and the slot's
 *      seq equals the message's; `nb_buffered` counts the valid slots.
 *  (4) The request timer and the stale timer only run while a gap is open and the
 *      session is not held.
 *  (5) While held (fp_md_mold_hold), nothing is delivered: every packet is buffered
 *      within the window from `expected`, as if a gap were open before it.
 */
#ifndef FP_MD_MOLD_H
#define FP_MD_MOLD_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fp_compiler.h"
#include "fp_mold.h"

#define FP_MD_MOLD_SESSION_LEN FP_MOLD_SESSION_LEN
#define FP_MD_MOLD_HEARTBEAT   FP_MOLD_COUNT_HEARTBEAT
#define FP_MD_MOLD_END         FP_MOLD_COUNT_END
#define FP_MD_MOLD_SLOT_DATA   104 /**< largest message kept in the reorder buffer */
#define FP_MD_MOLD_WINDOW_MAX  65536

/** Which line a packet came from: A/B are arbitrated; RETRANS are rerequest answers. */
enum fp_md_mold_line {
	FP_MD_MOLD_LINE_A = 0,
	FP_MD_MOLD_LINE_B = 1,
	FP_MD_MOLD_LINE_RETRANS = 2,
	FP_MD_MOLD_NB_LINES = 3,
};

/** A MoldUDP64 downstream packet parsed by fp_mold_parse(), with where and when it came. */
struct fp_md_mold_pkt {
	struct fp_mold_pkt mold; /**< pointers into the receive buffer */
	uint8_t line;            /**< enum fp_md_mold_line */
	uint64_t t_rx;           /**< TSC at receive, kept with buffered messages */
};

/** Session settings, validated once by fp_md_mold_init(). */
struct fp_md_mold_cfg {
	char session[FP_MD_MOLD_SESSION_LEN]; /**< all zero or blank = learn from first packet */
	uint64_t first_seq;           /**< expected first sequence; 0 = learn from first packet */
	uint32_t window;              /**< reorder buffer, messages; power of 2, <= 65536 */
	uint16_t max_request;         /**< most messages asked per request (>= 1) */
	uint64_t request_interval_ns; /**< least time between two requests */
	uint64_t stale_timeout_ns;    /**< give up on a gap open this long */
	uint8_t passthrough; /**< 1 = no sequencing: deliver every packet as it comes (captures
			       * with zeroed session and sequence, tools) */
};

/** Counters, fixed-size and single-writer, meant for a segment region. */
struct fp_md_mold_stats {
	uint64_t packets[FP_MD_MOLD_NB_LINES]; /**< accepted packets per line */
	uint64_t messages;                     /**< messages delivered in order */
	uint64_t heartbeats;                   /**< heartbeat packets */
	uint64_t end_of_session;               /**< end-of-session packets */
	uint64_t duplicates;    /**< messages dropped: already delivered (other line, repeat) */
	uint64_t gaps;          /**< gaps opened (a packet ahead of the expected sequence) */
	uint64_t missing;       /**< messages missing when their gap opened */
	uint64_t recovered;     /**< missing messages that arrived later (any line) */
	uint64_t lost;          /**< missing messages given up on (stale timeout) */
	uint64_t buffered;      /**< messages held in the reorder buffer */
	uint64_t out_of_window; /**< messages ahead of the buffer window, dropped */
	uint64_t requests;      /**< retransmission requests asked for */
	uint64_t stale;         /**< gaps given up on */
	uint64_t foreign;       /**< packets of another session, dropped */
	uint64_t errors;        /**< malformed packets (count disagrees with the bytes) */
	uint64_t skipped;       /**< messages covered by a snapshot (fp_md_mold_skip_to) */
};
static_assert(sizeof(struct fp_md_mold_stats) == 18 * 8, "fp_md_mold_stats layout");

/** What the caller does with a packet. */
enum fp_md_mold_action {
	FP_MD_MOLD_DROP = 0, /**< nothing to deliver (duplicate, heartbeat, foreign, error) */
	FP_MD_MOLD_DELIVER,  /**< deliver messages [skip, count) of the packet, in order */
	FP_MD_MOLD_BUFFERED, /**< ahead of a gap: kept (or counted out of window) for later */
};

/** Out of fp_md_mold_tick(). */
struct fp_md_mold_tick {
	unsigned what;          /**< FP_MD_MOLD_TICK_* bits */
	uint64_t request_seq;   /**< REQUEST: first sequence to ask for */
	uint16_t request_count; /**< REQUEST: how many */
	uint64_t stale_seq;     /**< STALE: first message given up on */
	uint64_t stale_count;   /**< STALE: messages given up on */
};
#define FP_MD_MOLD_TICK_REQUEST 0x1
#define FP_MD_MOLD_TICK_STALE   0x2

/** One message handed out by fp_md_mold_next(). */
struct fp_md_mold_msg {
	const uint8_t *data;
	uint16_t len;
	uint8_t line; /**< line it arrived on (RETRANS = recovered by request) */
	uint64_t seq;
	uint64_t t_rx;
};

/** @internal A reorder-buffer slot. */
struct fp_md_mold_slot {
	uint64_t seq; /**< UINT64_MAX = empty */
	uint64_t t_rx;
	uint16_t len;
	uint8_t line;
	uint8_t data[FP_MD_MOLD_SLOT_DATA + 5];
};
static_assert(sizeof(struct fp_md_mold_slot) == 128, "two cache lines per slot");

/** Session state; fp_md_mold_memsize(window) bytes (slots follow the struct). */
struct fp_md_mold {
	char session[FP_MD_MOLD_SESSION_LEN];
	bool session_known;
	bool seq_known;
	bool ended;            /**< end of session seen */
	uint64_t expected;     /**< next sequence to deliver */
	uint64_t hi_seq;       /**< one past the highest sequence known to exist (2) */
	uint64_t flush_until;  /**< drain skips holes below this (after a stale timeout) */
	uint64_t gap_since_ns; /**< when the head gap was (re)opened (4) */
	uint64_t last_request_ns;
	bool requested_once;
	bool hold; /**< deliver nothing, buffer everything (a snapshot loads) */
	uint32_t nb_buffered;
	uint32_t mask; /**< window - 1 */
	struct fp_md_mold_cfg cfg;
	struct fp_md_mold_stats *stats; /**< own_stats unless redirected to a segment */
	struct fp_md_mold_stats own_stats;
	struct fp_md_mold_slot slots[] FP_CACHE_ALIGNED;
};

/** Bytes a session with @p window buffer slots needs (caller allocates, 64-byte aligned). */
size_t fp_md_mold_memsize(uint32_t window);

/**
 * Initialise a session in caller memory of fp_md_mold_memsize(cfg->window) bytes.
 * Not thread-safe; cold path.
 * @return 0, or -EINVAL (window not a power of 2 or too large, max_request 0) with fp_err.
 */
int fp_md_mold_init(struct fp_md_mold *s, const struct fp_md_mold_cfg *cfg);

/** Count into @p stats (e.g. a segment region) instead of the session's own counters. */
void fp_md_mold_set_stats(struct fp_md_mold *s, struct fp_md_mold_stats *stats);

/**
 * Sequence one packet (any line). Hot path: no I/O. Duplicates and old packets are
 * dropped and counted; a packet ahead of `expected` opens or widens a gap and its messages
 * are buffered (within the window).
 * @param skip  out, for FP_MD_MOLD_DELIVER: messages at the start of the packet to skip
 */
enum fp_md_mold_action fp_md_mold_on_packet(struct fp_md_mold *s, const struct fp_md_mold_pkt *p,
					    uint64_t now_ns, uint32_t *skip);

/** The next buffered message that is now in order, or NULL (@p m filled when not NULL). */
const struct fp_md_mold_msg *fp_md_mold_next(struct fp_md_mold *s, struct fp_md_mold_msg *m,
					     uint64_t now_ns);

/**
 * Timers: say whether to send a retransmission request now (rate-limited) and whether the
 * head gap has been open longer than stale_timeout_ns, in which case it is given up on:
 * its messages are counted lost and fp_md_mold_next() moves past them.
 * @return out->what (0 when nothing to do)
 */
unsigned fp_md_mold_tick(struct fp_md_mold *s, uint64_t now_ns, struct fp_md_mold_tick *out);

/**
 * Hold the session (@p hold true): deliver nothing, buffer every message from `expected` on
 * within the window, ask for nothing (invariant 5); or release it. Used while a snapshot
 * loads: the live packets that arrive meanwhile wait here. Cold.
 */
void fp_md_mold_hold(struct fp_md_mold *s, bool hold);

/**
 * Messages below @p seq are covered by a snapshot: move `expected` to @p seq (forward: the
 * buffered messages below it are dropped and counted `skipped`; backward: what lies beyond
 * the window from @p seq is dropped and the range becomes a gap to request). A session that
 * has not learnt its sequence yet starts at @p seq. Cold.
 */
void fp_md_mold_skip_to(struct fp_md_mold *s, uint64_t seq, uint64_t now_ns);

/** True while a gap is open (some sequence below hi_seq is neither delivered nor lost). */
static inline bool fp_md_mold_gap_open(const struct fp_md_mold *s)
{
	return s->expected < s->hi_seq;
}

/** True when fp_md_mold_next() may return a message. */
static inline bool fp_md_mold_pending(const struct fp_md_mold *s)
{
	return s->nb_buffered != 0 || s->flush_until > s->expected;
}

#endif /* FP_MD_MOLD_H */
