/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_book_stage.h - the book stage: md ring in, book-top and trade events out, depth snapshots.
 *
 * One thread (the worker that hosts the stage) calls fp_book_poll(); fp_book_init() and
 * fp_book_fini() run on the cold path of the same process. The stage knows nothing of its
 * placement: it is given a consumer end of the md ring, producer ends of the strategy rings,
 * and (optionally) the snapshot and stats regions, all in caller memory (the segment).
 * fp_book_poll() never allocates, blocks, logs or makes a syscall.
 *
 * Per md event: apply it to the core (fp_book.h); when the top of its symbol changed
 * (prices, sizes, or the STALE/HALTED/CROSSED flags), enqueue one FP_EV_BOOK_TOP to every
 * strategy ring (a full ring drops it and counts an overrun: the next top carries the state
 * anyway); remember the symbol as touched. At the end of each poll, write the snapshot of
 * every touched symbol once (the throttle: one snapshot per symbol per poll batch).
 *
 * History is rebuilt silently (design.md §2): while a symbol's book is stale (md recovering,
 * a gap, an overrun), its tops are not published, except the one that says it became stale
 * (FP_EVF_STALE: the book state change strategies receive instead of tops from history);
 * the first top after FP_STALE_RECOVERED says it is live again. A symbol that never had a
 * top published gets none about an empty book. FP_EV_MD_STALE with reason
 * FP_STALE_REBUILD empties every book first (md starts the session over).
 * Trades: every execution the venue prints is enqueued, before the top it changes, as one
 * FP_EV_MD_TRADE (u.trade) to every strategy ring not in cfg.tops_only (a full ring drops
 * it: trade_overrun):
 *   E  price of the resting order in our book, side its side ('B' bid, 'S' ask); an E
 *      naming an order we do not hold has no price and publishes nothing (unknown_execute)
 *   C  the message's execution price, the resting order's side; a C marked non-printable
 *      ('N') publishes nothing (the venue prints that volume elsewhere)
 *   P  as received (side 'B' since 2014, reference usually 0)
 *   Q  shares (clamped to 2^32-1), cross price, match number, side 0, reference 0 and the
 *      flag FP_EVF_CROSS; a cross of 0 shares publishes nothing
 * seq, t_rx, source and ts_ns are the cause's; FP_EVF_STALE marks an E or C while the
 * symbol's book is stale (its price came from that book); FP_EVF_REPLAY is carried over.
 */
#ifndef FP_BOOK_STAGE_H
#define FP_BOOK_STAGE_H

#include <stdint.h>

#include "fp_book.h"
#include "fp_book_snap.h"
#include "fp_ring.h"

#define FP_BOOK_MAX_OUT 16 /**< strategy rings fed by one book stage */

#define FP_BOOK_STATS_MAGIC   0x5354415453424b42ull /* "BKBSTATS" little-endian */
#define FP_BOOK_STATS_VERSION 2                     /* 2: trades, trade_overrun */
#define FP_BOOK_STATS_NAME    "book_stats"          /**< region name in the segment */

/** Counters of the stage, meant for a segment region (single writer: the book thread). */
struct fp_book_stage_stats {
	uint64_t magic;       /**< FP_BOOK_STATS_MAGIC */
	uint32_t version;     /**< FP_BOOK_STATS_VERSION */
	uint32_t nb_out;      /**< strategy rings */
	uint64_t polls;       /**< fp_book_poll() calls that found work */
	uint64_t md_events;   /**< md events consumed */
	uint64_t tops;        /**< top events published (per ring: tops * nb_out minus overruns) */
	uint64_t top_overrun; /**< top events dropped on a full strategy ring */
	uint64_t snapshots;   /**< snapshot entries written */
	uint64_t clears;      /**< every-symbol rescans (end of day, global stale) */
	uint64_t stale_tops;  /**< tops of stale books not published (history rebuilt silently) */
	uint64_t rebuilds;    /**< books emptied for a rebuild (FP_STALE_REBUILD) */
	uint64_t trades;      /**< trade events published (E, C, P, Q) */
	uint64_t trade_overrun; /**< trade events dropped on a full strategy ring */
	uint64_t reserved[4];
	struct fp_book_stats core; /**< the core's counters, copied at the end of each poll */
} FP_CACHE_ALIGNED;

static_assert(sizeof(struct fp_book_stage_stats) % FP_CACHE_LINE == 0, "whole lines");
static_assert(offsetof(struct fp_book_stage_stats, core) == 128, "core counters offset");

struct fp_book_stage_cfg {
	struct fp_book_cfg book;              /**< capacities */
	struct fp_ring *md;                   /**< md ring (this stage consumes) */
	struct fp_ring *out[FP_BOOK_MAX_OUT]; /**< strategy rings (this stage produces) */
	uint32_t nb_out;
	uint32_t tops_only;  /**< bit i: out[i] gets tops only, no trades (risk's ring) */
	uint32_t snap_depth; /**< levels a side in snapshots (0: no snapshots) */
	void *snap_mem;      /**< snapshot region (fp_book_snap_memsize()); may be NULL */
	uint64_t snap_size;
	struct fp_book_stage_stats *stats; /**< stats region; NULL: kept in the stage only */
};

struct fp_book {
	struct fp_book_core core;
	struct fp_ring *md;
	struct fp_ring *out[FP_BOOK_MAX_OUT];
	uint32_t nb_out;
	uint32_t tops_only;            /**< bit i: no trades to out[i] */
	struct fp_book_snap_hdr *snap; /**< NULL: no snapshots */
	uint32_t snap_depth;
	uint32_t nb_dirty;
	uint32_t *dirty;     /**< symbols touched in this poll (max_symbols entries) */
	uint8_t *dirty_mark; /**< 1 when in dirty[] */
	struct fp_book_stage_stats *stats;
	struct fp_book_stage_stats own_stats;
	struct fp_book_snap_level *tmp; /**< scratch for one side of a snapshot */
	uint64_t *last_t_rx;            /**< per symbol: t_rx of the last change (for snapshots) */
	uint64_t *last_ts_ns;
	uint8_t *pub; /**< per symbol: 0 no top published yet, 1 last one live, 2 stale */
};

/**
 * Start the stage: map the core, lay out the snapshot region (when given) and the stats.
 * Cold; pair with fp_book_fini().
 *
 * @return 0, -EINVAL (no md ring, too many rings, bad capacities), -ENOMEM, -ENOSPC
 *         (snapshot region too small); fp_err says which
 */
int fp_book_init(struct fp_book *b, const struct fp_book_stage_cfg *cfg);

/**
 * Consume up to @p budget md events: apply, publish tops, then write the snapshots of the
 * touched symbols. Book thread only; never blocks.
 *
 * @return md events consumed (0: the md ring was empty)
 */
unsigned fp_book_poll(struct fp_book *b, unsigned budget);

/** Stop the stage and unmap its memory; NULL is a no-op. The rings and regions stay. */
void fp_book_fini(struct fp_book *b);

/** The stage's counters (the stats region when one was given). */
static inline const struct fp_book_stage_stats *fp_book_stats(const struct fp_book *b)
{
	return b->stats;
}

#endif /* FP_BOOK_STAGE_H */
