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
 * cfg.populate is 0; the stage: per-symbol tables, touched at init) and may fail;
 * fp_book_core_apply() and fp_book_poll() never allocate, block, log or make a syscall.
 * Everything is sized by struct fp_book_cfg; an exhausted capacity is counted and marks that
 * symbol stale.
 *
 * Design notes are at the top of fp_book_core.c; docs/book.md has the figures.
 */
#ifndef FP_BOOK_H
#define FP_BOOK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fp_compiler.h"
#include "fp_hugemem.h"
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
	uint64_t max_levels;  /**< price levels across all books (pool slots; fallback entries) */
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
	uint64_t capacity_levels;  /**< add refused: level pool or fallback arena full (stale) */
	uint64_t halts;            /**< trading actions into a state other than 'T' */
	uint64_t stale_marks;      /**< FP_EV_MD_STALE events (and capacity) marking stale */
	uint64_t eod_clears;       /**< books cleared on system event 'C' */
	uint64_t ignored;          /**< md events that do not change books (P, Q, I, ...) */
	uint64_t live_orders;      /**< orders in the book now */
	uint64_t levels_used;      /**< level pool slots in use (high-water) */
};

/**
 * One aggregated price level, in the level pool. Its index never changes while it lives
 * (orders hold it: exec, cancel and delete reach their level without a search), whether the
 * side's window or its fallback array points to it. The key is the price for bids and
 * -price for asks, so that on both sides the best level has the highest key.
 */
struct fp_book_level {
	int64_t key;     /**< bid: price; ask: -price */
	uint64_t shares; /**< sum of the orders' open shares */
	uint32_t orders; /**< live orders at this price */
	uint32_t next;   /**< free-list link while the slot is free */
};

/** Price slots of one side's window (a power of two, a multiple of 64). */
#define FP_BOOK_WIN 256u

/** Where the best price of a side sits when its window is placed (3/4 up: room to improve). */
#define FP_BOOK_WIN_POS (FP_BOOK_WIN - FP_BOOK_WIN / 4)

/** One entry of a side's fallback array (levels outside the window), sorted by key. */
struct fp_book_fb {
	int64_t key;    /**< the level's key (read without touching the level) */
	uint32_t level; /**< level pool index; free-list link of a free chunk's first entry */
	uint32_t reserved;
};

/**
 * One side of one symbol (64 bytes, one cache line): a window of FP_BOOK_WIN price slots
 * around the touch and a sorted fallback array for every other level.
 *
 * Window: slot i holds the level of key (lo + i) * tick when bit i of bits is set (the slot
 * array is in fp_book_core.win, FP_BOOK_WIN entries per side). tick is 100 (a penny) for a
 * side placed at a price >= $1, else 1; 0 while the side is unplaced. Fallback: the levels
 * off the window's tick or outside its range, ascending keys, best last, in chunks of the
 * fallback arena (size classes as FP_BOOK_CLS_MIN << cls).
 */
struct fp_book_side {
	int64_t lo;                      /**< tick number (key / tick) of window slot 0 */
	int64_t fb_top;                  /**< highest key in the fallback (valid when fb_count) */
	uint32_t tick;                   /**< 0 (unplaced), 1 or 100 */
	uint32_t fb_base;                /**< index of the fallback chunk in the fallback arena */
	uint32_t fb_count;               /**< fallback entries in use */
	uint8_t fb_cls;                  /**< size class of the chunk */
	uint8_t fb_has;                  /**< 1 when the side owns a chunk */
	uint16_t nwin;                   /**< levels in the window */
	uint64_t bits[FP_BOOK_WIN / 64]; /**< occupied window slots */
} FP_CACHE_ALIGNED;

static_assert(sizeof(struct fp_book_side) == 64, "fp_book_side is one cache line");

/** Per-symbol state: 64 bytes, one cache line. */
struct fp_book_sym {
	int64_t best_key[2];    /**< key of the best level of each side (valid unless NONE) */
	uint32_t best_level[2]; /**< level pool index of each side's best; UINT32_MAX: empty */
	uint32_t reserved[2];
	int64_t top_bid;         /**< last reported top: best bid price (0 = none) */
	int64_t top_ask;         /**< best ask price (0 = none) */
	uint32_t top_bid_shares; /**< clamped to UINT32_MAX */
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
	uint8_t reserved[3];
	uint32_t level; /**< index of its level in the level pool */
};

static_assert(sizeof(struct fp_book_order) == 32, "two orders per cache line");

/** The book core: process-local handle over memory mapped at init. */
struct fp_book_core {
	struct fp_book_cfg cfg;
	struct fp_book_sym *syms;     /**< cfg.max_symbols entries */
	struct fp_book_side *sides;   /**< 2 * cfg.max_symbols: [symbol * 2 + side] */
	uint32_t *win;                /**< FP_BOOK_WIN level indices per side, same order */
	struct fp_book_order *orders; /**< order_mask + 1 slots */
	struct fp_book_level *levels; /**< level pool: cfg.max_levels slots */
	struct fp_book_fb *fb;        /**< fallback arena: cfg.max_levels entries */
	uint64_t order_mask;          /**< table slots - 1 (power of two) */
	uint32_t order_shift;         /**< log2(table slots) */
	uint32_t nb_classes;          /**< size classes of fallback chunks */
	uint32_t fb_bump;             /**< next never-used fallback arena entry */
	uint32_t level_bump;          /**< next never-used level pool slot */
	uint32_t level_free;          /**< first free level pool slot (UINT32_MAX: none) */
	uint32_t levels_live;         /**< level pool slots in use */
	uint32_t last_symbol;         /**< symbol changed by the last fp_book_core_apply() */
	uint8_t exec_side;            /**< with FP_BOOK_CHG_EXEC: resting side, 'B' or 'S' */
	int64_t exec_price;     /**< with FP_BOOK_CHG_EXEC: the execution's price (Price(4)) */
	uint32_t free_head[24]; /**< per size class: first free fallback chunk (UINT32_MAX: none) */
	struct fp_hugemem mem;  /**< the one mapping (common/fp_hugemem.h: how it is backed) */
	char warning[256]; /**< why the tables are not on explicit huge pages ("" when they are) */
	struct fp_book_stats st;
};

/** Smallest fallback chunk of one side (size class 0). */
#define FP_BOOK_CLS_MIN 8u

/** Fill @p cfg with the defaults (16 k symbols, 10 M orders, 4 M level slots, EOD clear). */
void fp_book_cfg_default(struct fp_book_cfg *cfg);

/** Bytes fp_book_core_init() maps for @p cfg (0 when the configuration is invalid). */
size_t fp_book_core_memsize(const struct fp_book_cfg *cfg);

/**
 * Map and initialise a core. Cold path; pair with fp_book_core_fini(). The tables go on
 * explicit 2 MiB pages from the reserved pool (MAP_HUGETLB, as the segment does) when it
 * has room; otherwise on memory advised for transparent huge pages, and bc->warning says
 * why and how to reserve the pool (the caller logs it). Every page is touched at init
 * unless cfg->populate is 0.
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
 * Prefetch pipeline. A message costs up to three dependent cache misses: the order slot
 * (and an add's symbol and side lines), then its symbol's, side's and level's lines (an
 * add: the window slot of its price), then an add's level and the symbol's best levels. Called
 * on the events FP_BOOK_PF_ORDER, FP_BOOK_PF_SYM and FP_BOOK_PF_LEVELS ahead of
 * fp_book_core_apply(), each stage finds the line the previous one brought in, so that the
 * misses of several messages overlap instead of adding up. Hints only: they never change the
 * book.
 */
#define FP_BOOK_PF_ORDER  8
#define FP_BOOK_PF_SYM    4
#define FP_BOOK_PF_LEVELS 2

/** Stage 1: the order slot (and, for an add, the symbol's and the side's lines). */
static inline void fp_book_core_prefetch(const struct fp_book_core *bc, const struct fp_event *ev)
{
	uint64_t ref = fp_book__ref(ev);
	if (!ref)
		return;
	__builtin_prefetch(&bc->orders[fp_book__home(bc, ref)], 1, 3);
	if (ev->type == FP_EV_MD_ADD && ev->symbol_id < bc->cfg.max_symbols) {
		unsigned side = ev->u.add.side == FP_SIDE_BUY ? FP_BOOK_BID : FP_BOOK_ASK;
		__builtin_prefetch(&bc->syms[ev->symbol_id], 1, 3);
		__builtin_prefetch(&bc->sides[(size_t)ev->symbol_id * 2 + side], 1, 3);
	}
}

/** @internal The live order an event names when it sits in its home slot, else NULL. */
static inline const struct fp_book_order *fp_book__order_at_home(const struct fp_book_core *bc,
								 const struct fp_event *ev)
{
	uint64_t ref = fp_book__ref(ev);
	if (!ref)
		return NULL;
	const struct fp_book_order *o = &bc->orders[fp_book__home(bc, ref)];
	return o->ref == ref ? o : NULL; /* displaced or unknown: let apply() probe */
}

/** @internal Window slot of an add's price, or NULL when the price is off the window. */
static inline const uint32_t *fp_book__add_slot(const struct fp_book_core *bc,
						const struct fp_event *ev, unsigned *side_out)
{
	uint32_t sym = ev->symbol_id;
	if (sym >= bc->cfg.max_symbols)
		return NULL;
	unsigned side = ev->u.add.side == FP_SIDE_BUY ? FP_BOOK_BID : FP_BOOK_ASK;
	size_t s2 = (size_t)sym * 2 + side;
	const struct fp_book_side *sd = &bc->sides[s2];
	int64_t key = side == FP_BOOK_BID ? ev->u.add.price : -ev->u.add.price;
	int64_t kt = sd->tick == 100 ? key / 100 : key;
	uint64_t d = (uint64_t)(kt - sd->lo);
	*side_out = side;
	return d < FP_BOOK_WIN ? &bc->win[s2 * FP_BOOK_WIN + d] : NULL;
}

/** Stage 2: an add's window slot; the symbol's and side's lines and the level of the rest. */
static inline void fp_book_core_prefetch_sym(const struct fp_book_core *bc,
					     const struct fp_event *ev)
{
	if (ev->type == FP_EV_MD_ADD) {
		unsigned side;
		const uint32_t *slot = fp_book__add_slot(bc, ev, &side);
		if (slot)
			__builtin_prefetch(slot, 1, 3);
		return;
	}
	const struct fp_book_order *o = fp_book__order_at_home(bc, ev);
	if (!o)
		return;
	__builtin_prefetch(&bc->syms[o->symbol], 1, 3);
	__builtin_prefetch(&bc->sides[(size_t)o->symbol * 2 + o->side], 1, 3);
	__builtin_prefetch(&bc->levels[o->level], 1, 3);
}

/** Stage 3: the level of an add's price, and the best levels of the event's symbol. */
static inline void fp_book_core_prefetch_levels(const struct fp_book_core *bc,
						const struct fp_event *ev)
{
	uint32_t sym;
	if (ev->type == FP_EV_MD_ADD) {
		unsigned side;
		const uint32_t *slot = fp_book__add_slot(bc, ev, &side);
		sym = ev->symbol_id;
		if (!slot)
			return;
		size_t d = (size_t)(slot - &bc->win[((size_t)sym * 2 + side) * FP_BOOK_WIN]);
		const struct fp_book_side *sd = &bc->sides[(size_t)sym * 2 + side];
		if ((sd->bits[d / 64] >> (d % 64)) & 1)
			__builtin_prefetch(&bc->levels[*slot], 1, 3);
	} else {
		const struct fp_book_order *o = fp_book__order_at_home(bc, ev);
		if (!o)
			return;
		sym = o->symbol;
	}
	const struct fp_book_sym *s = &bc->syms[sym];
	for (unsigned k = 0; k < 2; k++)
		if (s->best_level[k] != UINT32_MAX)
			__builtin_prefetch(&bc->levels[s->best_level[k]], 0, 3);
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

/**
 * Walk the levels of one side, best first: fp_book_iter_init() then fp_book_iter_next()
 * until it returns NULL. Readers (depth, snapshots, the backtest's fills); the book must not
 * change during the walk.
 */
struct fp_book_iter {
	const struct fp_book_core *bc;
	const struct fp_book_side *sd;
	const uint32_t *win;
	int32_t wpos;  /**< next window slot to look at, downwards (-1: window done) */
	uint32_t fpos; /**< fallback entries not yet returned (next: fpos - 1) */
};

/** Start a walk of @p side of @p symbol (an unknown symbol or side walks nothing). */
void fp_book_iter_init(struct fp_book_iter *it, const struct fp_book_core *bc, uint32_t symbol,
		       unsigned side);

/** The next level, best first, or NULL after the last. */
const struct fp_book_level *fp_book_iter_next(struct fp_book_iter *it);

/** Price of level @p l of @p side. */
static inline int64_t fp_book_level_price(const struct fp_book_level *l, unsigned side)
{
	return side == FP_BOOK_BID ? l->key : -l->key;
}

/** The level at @p price on one side of @p symbol, or NULL when there is none. */
const struct fp_book_level *fp_book_core_level(const struct fp_book_core *bc, uint32_t symbol,
					       unsigned side, int64_t price);

/**
 * Bytes of the core's mapping that the kernel backs with huge pages now (explicit or
 * transparent; reads /proc/self/smaps: cold, for benches and logs). -1 when unreadable.
 */
int64_t fp_book_core_huge_bytes(const struct fp_book_core *bc);

/** "hugetlb", "thp" or "small" (bc->mem.backing). */
const char *fp_book_backing_name(const struct fp_book_core *bc);

/** Levels on one side of @p symbol (0 for an unknown symbol). */
uint32_t fp_book_core_nb_levels(const struct fp_book_core *bc, uint32_t symbol, unsigned side);

/** Find a live order (tests, tools). @return the order or NULL. */
const struct fp_book_order *fp_book_core_find(const struct fp_book_core *bc, uint64_t ref);

/** Print the counters of @p st, one "name value" per line. */
void fp_book_stats_dump(FILE *out, const struct fp_book_stats *st);

/** Print the depth of @p symbol (up to @p max levels a side) for people. */
void fp_book_core_dump(FILE *out, const struct fp_book_core *bc, uint32_t symbol, uint32_t max);

#endif /* FP_BOOK_H */
