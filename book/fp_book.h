/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_book.h - per-order (L3) books for every symbol, aggregated price levels (L2) and BBO.
 *
 * Two layers live in book/:
 *   - the book core (`struct fp_book_core`, this header's first half): applies one market-data
 *     event (struct fp_event, FP_EV_MD_*) to the books of every symbol. It mirrors the venue:
 *     it never matches or "fixes" orders; what looks wrong is counted (struct fp_book_stats).
 *   - the stage (`struct fp_book`, fp_book_stage.h): consumes the md ring, applies each event
 *     to the core, publishes FP_EV_BOOK_TOP events to every strategy ring when a top of book
 *     changes and FP_EV_MD_TRADE events for every execution (E, C, P, Q), and writes top-N
 *     depth snapshots of the symbols it touched into a shared region under a seqlock
 *     (fp_book_snap.h).
 *
 * Threading: one thread owns a core/stage (the book worker); nothing here is thread-safe
 * (other threads and processes read only the snapshot region, under its seqlock).
 * Only the *_init functions allocate (the core: one mmap, pre-faulted unless
 * cfg.populate is 0; the stage: per-symbol tables, touched at init) and may fail; fp_book_core_apply()
 * and fp_book_poll() never allocate, block, log or make a syscall. Everything is sized by
 * struct fp_book_cfg; an exhausted capacity is counted and marks that symbol stale.
 *
 * Design notes are at the top of fp_book_core.c; docs/book.md has the figures.
 */
#ifndef FP_BOOK_H
#define FP_BOOK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fp_compiler.h"
#include "fp_event.h"
#include "fp_hmap.h"

/* Defaults of struct fp_book_cfg (issue 5: at least 16 k symbols and 10 M live orders). */
#define FP_BOOK_DEFAULT_SYMBOLS 16384
#define FP_BOOK_DEFAULT_ORDERS  (10u * 1000u * 1000u)
#define FP_BOOK_DEFAULT_LEVELS  (4u * 1024u * 1024u)

/** Sides, as indices of struct fp_book_sym.side[]. */
enum fp_book_side_idx {
	FP_BOOK_BID = 0,
	FP_BOOK_ASK = 1,
};

/* Per-symbol state bits (struct fp_book_sym.state). */
#define FP_BOOK_SYM_STALE   0x01 /**< gap, overrun or capacity: the book may be wrong */
#define FP_BOOK_SYM_HALTED  0x02 /**< last trading action was not 'T' */
#define FP_BOOK_SYM_CROSSED 0x04 /**< best bid >= best ask (locked or crossed) */
#define FP_BOOK_SYM_LOCKED  0x08 /**< with FP_BOOK_SYM_CROSSED: best bid == best ask */

/* Return bits of fp_book_core_apply(). */
#define FP_BOOK_CHG_DEPTH 0x1 /**< some level of the event's symbol changed */
#define FP_BOOK_CHG_TOP   0x2 /**< the top (prices, sizes or flags) differs from the last one */
#define FP_BOOK_CHG_ALL   0x4 /**< every book changed (end-of-day clear, global stale) */
#define FP_BOOK_CHG_EXEC  0x8 /**< E or C of a live order: exec_price/exec_side say at what */

/** Configuration of the core; fp_book_cfg_default() fills the defaults. */
struct fp_book_cfg {
	uint32_t max_symbols; /**< symbol ids (stock locates) 0 .. max_symbols - 1 */
	uint32_t eod_clear;   /**< 1: clear every book on system event 'C' (end of messages) */
	uint64_t max_orders;  /**< live orders across all symbols */
	uint64_t max_levels;  /**< price-level slots across all books (arrays grow by doubling) */
	uint32_t populate;    /**< 1: touch every page at init (production); 0 for small tests */
	uint32_t reserved;
};

/** Integrity and capacity counters of the core (single writer: the book thread). */
struct fp_book_stats {
	uint64_t events;           /**< md events given to fp_book_core_apply() */
	uint64_t adds;             /**< A and F */
	uint64_t executes;         /**< E and C */
	uint64_t cancels;          /**< X */
	uint64_t deletes;          /**< D */
	uint64_t replaces;         /**< U */
	uint64_t unknown_order;    /**< E, C, X, D or U naming an order not in the book */
	uint64_t unknown_execute;  /**< ... of which E or C */
	uint64_t unknown_cancel;   /**< ... of which X */
	uint64_t unknown_delete;   /**< ... of which D */
	uint64_t unknown_replace;  /**< ... of which U */
	uint64_t cancel_too_large; /**< X of more shares than the order has (order removed) */
	uint64_t negative_size;    /**< E/C of more shares than the order has (order removed) */
	uint64_t duplicate_order;  /**< A/F/U adding a reference that is live (dropped) */
	uint64_t crossed;          /**< transitions of a book into bid > ask */
	uint64_t locked;           /**< transitions of a book into bid == ask */
	uint64_t bad_symbol;       /**< symbol_id >= max_symbols (event dropped) */
	uint64_t bad_event;        /**< bad side, price or zero reference (event dropped) */
	uint64_t capacity_orders;  /**< add refused: max_orders live (symbol marked stale) */
	uint64_t capacity_levels;  /**< add refused: level arena exhausted (symbol stale) */
	uint64_t halts;            /**< trading actions into a state other than 'T' */
	uint64_t stale_marks;      /**< FP_EV_MD_STALE events (and capacity) marking stale */
	uint64_t eod_clears;       /**< books cleared on system event 'C' */
	uint64_t ignored;          /**< md events that do not change books (P, Q, I, ...) */
	uint64_t live_orders;      /**< orders in the book now */
	uint64_t levels_used;      /**< level slots taken from the arena (high-water) */
};

/** One aggregated price level. The key is the price for bids and -price for asks. */
struct fp_book_level {
	int64_t key;     /**< bid: price; ask: -price (ascending keys, best last) */
	uint64_t shares; /**< sum of the orders' open shares */
	uint32_t orders; /**< live orders at this price */
	uint32_t next;   /**< free-list link of a free chunk's first slot; 0 otherwise */
};

/** One side of one symbol: a sorted array of levels in the arena, best level last. */
struct fp_book_side {
	uint32_t base;  /**< index of the first slot in the level arena */
	uint32_t count; /**< levels in use: slots base .. base + count - 1 */
	uint32_t cls;   /**< size class: capacity = FP_BOOK_CLS_MIN << cls (count 0: maybe none) */
	uint32_t has;   /**< 1 when the side owns a chunk */
};

/** Per-symbol state: 64 bytes, one cache line. */
struct fp_book_sym {
	struct fp_book_side side[2]; /**< FP_BOOK_BID, FP_BOOK_ASK */
	int64_t top_bid;             /**< last reported top: best bid price (0 = none) */
	int64_t top_ask;             /**< best ask price (0 = none) */
	uint32_t top_bid_shares;     /**< clamped to UINT32_MAX */
	uint32_t top_ask_shares;
	uint32_t seq;          /**< count of depth changes of this symbol (wraps) */
	uint8_t state;         /**< FP_BOOK_SYM_* */
	uint8_t top_state;     /**< state when the top was last reported */
	uint8_t trading_state; /**< last 'H' trading state (0 = none seen yet) */
	uint8_t stale_reason;  /**< enum fp_stale_reason while stale */
} FP_CACHE_ALIGNED;

static_assert(sizeof(struct fp_book_sym) == 64, "fp_book_sym is one cache line");

/** One live order in the order table (open addressing, stored in place). */
struct fp_book_order {
	uint64_t ref;    /**< order reference number; 0 = empty slot */
	int64_t price;   /**< Price(4) */
	uint32_t shares; /**< open shares */
	uint32_t symbol; /**< symbol id */
	uint8_t side;    /**< FP_BOOK_BID or FP_BOOK_ASK */
	uint8_t reserved[7];
};

static_assert(sizeof(struct fp_book_order) == 32, "two orders per cache line");

/** The book core: process-local handle over memory mapped at init. */
struct fp_book_core {
	struct fp_book_cfg cfg;
	struct fp_book_sym *syms;     /**< cfg.max_symbols entries */
	struct fp_book_order *orders; /**< order_mask + 1 slots */
	struct fp_book_level *levels; /**< cfg.max_levels slots */
	uint64_t order_mask;          /**< table slots - 1 (power of two) */
	uint32_t order_shift;         /**< log2(table slots) */
	uint32_t nb_classes;          /**< size classes of level chunks */
	uint32_t level_bump;          /**< next never-used arena slot */
	uint32_t last_symbol;         /**< symbol changed by the last fp_book_core_apply() */
	uint8_t exec_side;            /**< with FP_BOOK_CHG_EXEC: resting side, 'B' or 'S' */
	int64_t exec_price;     /**< with FP_BOOK_CHG_EXEC: the execution's price (Price(4)) */
	uint32_t free_head[24]; /**< per size class: first free chunk (UINT32_MAX: none) */
	void *map;              /**< the one mapping */
	size_t map_size;
	struct fp_book_stats st;
};

/** Smallest chunk of levels of one side (size class 0). */
#define FP_BOOK_CLS_MIN 8u

/** Fill @p cfg with the defaults (16 k symbols, 10 M orders, 4 M level slots, EOD clear). */
void fp_book_cfg_default(struct fp_book_cfg *cfg);

/** Bytes fp_book_core_init() maps for @p cfg (0 when the configuration is invalid). */
size_t fp_book_core_memsize(const struct fp_book_cfg *cfg);

/**
 * Map (anonymous, MADV_HUGEPAGE) and initialise a core; with cfg->populate, touch every
 * page now so that apply() never page-faults. Cold path; pair with fp_book_core_fini().
 *
 * @return 0, -EINVAL (zero or oversized capacity), -ENOMEM (mmap failed); fp_err has why.
 */
int fp_book_core_init(struct fp_book_core *bc, const struct fp_book_cfg *cfg);

/** Unmap the core's memory; NULL or a zeroed core is a no-op. */
void fp_book_core_fini(struct fp_book_core *bc);

/**
 * Apply one market-data event. Book thread only; never allocates or blocks.
 *
 * @return FP_BOOK_CHG_* bits for bc->last_symbol (the symbol of the order it touched, which
 *         is the event's symbol_id for a consistent feed). With FP_BOOK_CHG_TOP the symbol's
 *         top_* fields hold the new top and top_state its flags: the caller publishes them
 *         (fp_book_core_top_event()). With FP_BOOK_CHG_ALL every symbol may have changed:
 *         the caller runs fp_book_core_check_top() on each. With FP_BOOK_CHG_EXEC (E or C
 *         of a live order) exec_price holds the price it executed at (the resting order's
 *         for E, the message's for C) and exec_side the resting order's side, so that the
 *         stage can publish the trade (an E of an unknown order has no price: no trade).
 */
unsigned fp_book_core_apply(struct fp_book_core *bc, const struct fp_event *ev);

/**
 * Recompute the top of @p symbol and compare it with the last reported one.
 *
 * @return FP_BOOK_CHG_TOP when it changed (the top_* fields then hold the new one), else 0.
 */
unsigned fp_book_core_check_top(struct fp_book_core *bc, uint32_t symbol);

static_assert(offsetof(struct fp_ev_md_add, order_reference_number) == 8, "ref offset");
static_assert(offsetof(struct fp_ev_md_execute, order_reference_number) == 8, "ref offset");
static_assert(offsetof(struct fp_ev_md_cancel, order_reference_number) == 8, "ref offset");
static_assert(offsetof(struct fp_ev_md_delete, order_reference_number) == 8, "ref offset");

/** @internal The order table's geometry (fp_hmap.h). */
static inline struct fp_hmap_geom fp_book__geom(const struct fp_book_core *bc)
{
	return (struct fp_hmap_geom){
		.mask = bc->order_mask, .bits = bc->order_shift, .rest = 64 - bc->order_shift};
}

/** @internal Home slot of order reference @p ref: identity within a window of table size,
 * a mixed offset per window (see "Order table" in fp_book_core.c). */
static inline uint64_t fp_book__home(const struct fp_book_core *bc, uint64_t ref)
{
	return fp_hmap_home(ref, fp_book__geom(bc), FP_HMAP_WINDOW);
}

/** @internal Reference of the order an md event names (0 when none). */
static inline uint64_t fp_book__ref(const struct fp_event *ev)
{
	switch (ev->type) {
	case FP_EV_MD_ADD:
	case FP_EV_MD_EXECUTE:
	case FP_EV_MD_CANCEL:
	case FP_EV_MD_DELETE:
		/* add, execute, cancel and delete all hold the reference at the same offset */
		return ev->u.del.order_reference_number;
	case FP_EV_MD_REPLACE:
		return ev->u.replace.original_order_reference_number;
	default:
		return 0;
	}
}

/*
 * Prefetch pipeline. A message costs up to three dependent cache misses: the order slot,
 * then its symbol's line, then the level array near the touch. Called on the events
 * FP_BOOK_PF_ORDER, FP_BOOK_PF_SYM and FP_BOOK_PF_LEVELS ahead of fp_book_core_apply(),
 * each stage finds the line the previous one brought in, so that the misses of several
 * messages overlap instead of adding up. Hints only: they never change the book.
 */
#define FP_BOOK_PF_ORDER  8
#define FP_BOOK_PF_SYM    4
#define FP_BOOK_PF_LEVELS 2

/** Stage 1: the order slot (and, for an add, the symbol's line). */
static inline void fp_book_core_prefetch(const struct fp_book_core *bc, const struct fp_event *ev)
{
	uint64_t ref = fp_book__ref(ev);
	if (!ref)
		return;
	__builtin_prefetch(&bc->orders[fp_book__home(bc, ref)], 1, 3);
	if (ev->type == FP_EV_MD_ADD && ev->symbol_id < bc->cfg.max_symbols)
		__builtin_prefetch(&bc->syms[ev->symbol_id], 1, 3);
}

/** @internal Symbol and side an event will touch; 0 when unknown (yet). */
static inline int fp_book__target(const struct fp_book_core *bc, const struct fp_event *ev,
				  uint32_t *sym, unsigned *side)
{
	if (ev->type == FP_EV_MD_ADD) {
		*sym = ev->symbol_id;
		*side = ev->u.add.side == FP_SIDE_BUY ? FP_BOOK_BID : FP_BOOK_ASK;
		return *sym < bc->cfg.max_symbols;
	}
	uint64_t ref = fp_book__ref(ev);
	if (!ref)
		return 0;
	const struct fp_book_order *o = &bc->orders[fp_book__home(bc, ref)];
	if (o->ref != ref) /* displaced or unknown: let apply() probe */
		return 0;
	*sym = o->symbol;
	*side = o->side;
	return 1;
}

/** Stage 2: the symbol's line of an execute, cancel, delete or replace. */
static inline void fp_book_core_prefetch_sym(const struct fp_book_core *bc,
					     const struct fp_event *ev)
{
	uint32_t sym;
	unsigned side;
	if (ev->type != FP_EV_MD_ADD && fp_book__target(bc, ev, &sym, &side))
		__builtin_prefetch(&bc->syms[sym], 1, 3);
}

/** Stage 3: the last (best) levels of the side the event touches. */
static inline void fp_book_core_prefetch_levels(const struct fp_book_core *bc,
						const struct fp_event *ev)
{
	uint32_t sym;
	unsigned side;
	if (!fp_book__target(bc, ev, &sym, &side))
		return;
	const struct fp_book_side *sd = &bc->syms[sym].side[side];
	if (sd->count == 0)
		return;
	const struct fp_book_level *best = &bc->levels[sd->base + sd->count - 1];
	__builtin_prefetch(best, 1, 3);
	if (sd->count > 2)
		__builtin_prefetch(best - 2, 1, 3);
}

/** Empty every book (orders and levels); keeps counters, trading and stale states. */
void fp_book_core_clear(struct fp_book_core *bc);

/** Fill @p out with the FP_EV_BOOK_TOP event of @p symbol, caused by @p cause. */
void fp_book_core_top_event(const struct fp_book_core *bc, uint32_t symbol,
			    const struct fp_event *cause, struct fp_event *out);

/** One level as read by fp_book_core_depth(). */
struct fp_book_depth_level {
	int64_t price;
	uint64_t shares;
	uint32_t orders;
	uint32_t reserved;
};

/**
 * Copy up to @p max levels of one side of @p symbol, best first.
 *
 * @return levels copied (0 for an unknown symbol or an empty side).
 */
uint32_t fp_book_core_depth(const struct fp_book_core *bc, uint32_t symbol, unsigned side,
			    struct fp_book_depth_level *out, uint32_t max);

/** Levels on one side of @p symbol (0 for an unknown symbol). */
uint32_t fp_book_core_nb_levels(const struct fp_book_core *bc, uint32_t symbol, unsigned side);

/** Find a live order (tests, tools). @return the order or NULL. */
const struct fp_book_order *fp_book_core_find(const struct fp_book_core *bc, uint64_t ref);

/** Print the counters of @p st, one "name value" per line. */
void fp_book_stats_dump(FILE *out, const struct fp_book_stats *st);

/** Print the depth of @p symbol (up to @p max levels a side) for people. */
void fp_book_core_dump(FILE *out, const struct fp_book_core *bc, uint32_t symbol, uint32_t max);

#endif /* FP_BOOK_H */
