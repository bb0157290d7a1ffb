/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_book_core.c - the book core: orders, price levels and tops of every symbol.
 *
 * Called by the book worker's thread only. fp_book_core_init() maps and pre-faults all memory
 * (cold path); every other function works in that memory and never allocates, blocks or
 * makes a syscall. fp_book_core_clear() (end of day) touches the whole order table.
 *
 * Definitions
 *   order table  open addressing with linear probing, the orders stored in place (one cache
 *                miss per lookup instead of two with a separate pool): fp_hmap.h's record
 *                layer. Slots = the power of two >= 1.5 * max_orders, so the load stays
 *                <= 2/3 and a probe always meets an empty slot. Deletion shifts the
 *                following entries back (no tombstones).
 *   home slot    fp_book__home(), fp_hmap.h's FP_HMAP_WINDOW: the reference's low bits
 *                unchanged, plus a mixed offset of its high bits. Venues number orders
 *                sequentially, so the orders of one window of table-size references never
 *                collide and recent orders sit next to each other (cache friendly); windows
 *                get random offsets, so arbitrary or adversarial references still spread.
 *   level pool   every price level is one slot of the level pool (key, shares, orders); its
 *                index is stable while it lives and each order holds it, so exec, cancel
 *                and delete reach their level in O(1) (no search, no memmove).
 *   window       each side has FP_BOOK_WIN price slots addressed by (key / tick) - lo: the
 *                levels near the touch are found by one index computation. A bitmap of the
 *                occupied slots gives the best level with a count-leading-zeros. tick is
 *                100 (a penny) when the side is placed at a price >= $1, else 1 (ITCH's
 *                Price(4)); it is chosen when the window is placed on an empty window.
 *   fallback     every level off the window's tick or outside its range sits in the side's
 *                fallback: a sorted array of {key, level} (best last), in chunks of the
 *                fallback arena (8 << k entries, moved to the next class when full, old
 *                chunk to a per-class free list). Deep levels and sub-penny prices only.
 *   re-centering when an add lands above the window, the window moves so that it sits at
 *                FP_BOOK_WIN_POS; when the best window level falls into the lowest quarter
 *                (or the window empties while the fallback holds levels) it moves down the
 *                same way. Levels leaving the window are merged into the fallback, levels
 *                of the fallback entering its range move into the window: only indices
 *                move, the levels stay where they are.
 *   best         syms[].best_key/best_level cache each side's best level (updated when a
 *                level appears or the best one goes), so a top costs the symbol's line and
 *                the two best levels' lines.
 *
 * Invariants
 *   (1) every live order is in exactly one level (orders[].level): the level of its side
 *       and price holds orders == number of live orders at that price, shares == the sum of
 *       their shares.
 *   (2) a level with orders == 0 does not exist (it is removed when its last order goes).
 *   (3) a level is in its side's window iff its key is a multiple of tick and key / tick is
 *       in [lo, lo + FP_BOOK_WIN); every other level of the side is in its fallback, whose
 *       keys are strictly ascending. No two levels of a side share a key.
 *   (6) best_level/best_key of a side name its level of highest key (UINT32_MAX: empty).
 *   (4) live_orders <= max_orders < table slots: every probe ends at an empty slot.
 *   (5) the book never changes an order the venue did not change: inconsistencies are
 *       counted (struct fp_book_stats) and the venue's word is taken as far as it goes
 *       (an execute larger than the order removes the order; nothing is matched).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>

#include "fp_book.h"
#include "fp_err.h"

#include <stdio.h>
#include <stdlib.h>

#define FP_BOOK_NONE UINT32_MAX

/** Huge page size (x86-64): the explicit pool's and transparent huge pages'. */
#define FP_BOOK_HUGE ((size_t)2 << 20)

#define FP_BOOK_WIN_WORDS (FP_BOOK_WIN / 64)

static_assert(FP_BOOK_WIN % 64 == 0 && (FP_BOOK_WIN & (FP_BOOK_WIN - 1)) == 0,
	      "window: a power of two, whole bitmap words");
static_assert(FP_BOOK_WIN <= UINT16_MAX, "fp_book_side.nwin is 16 bits");

static uint32_t cls_cap(uint32_t cls)
{
	return FP_BOOK_CLS_MIN << cls;
}

void fp_book_cfg_default(struct fp_book_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_symbols = FP_BOOK_DEFAULT_SYMBOLS;
	cfg->max_orders = FP_BOOK_DEFAULT_ORDERS;
	cfg->max_levels = FP_BOOK_DEFAULT_LEVELS;
	cfg->eod_clear = 1;
	cfg->populate = 1;
}

static uint64_t table_slots(uint64_t max_orders)
{
	uint64_t want = max_orders + max_orders / 2 + 1, slots = 16;
	while (slots < want)
		slots <<= 1;
	return slots;
}

static int cfg_check(const struct fp_book_cfg *cfg)
{
	if (cfg->max_symbols == 0 || cfg->max_symbols > (1u << 24))
		return fp_err_set(-EINVAL, "max_symbols %" PRIu32 " not in 1..16777216",
				  cfg->max_symbols);
	if (cfg->max_orders == 0 || cfg->max_orders > (1ull << 32))
		return fp_err_set(-EINVAL, "max_orders %" PRIu64 " not in 1..2^32",
				  cfg->max_orders);
	if (cfg->max_levels < FP_BOOK_CLS_MIN || cfg->max_levels >= UINT32_MAX)
		return fp_err_set(-EINVAL, "max_levels %" PRIu64 " not in 8..2^32-2",
				  cfg->max_levels);
	return 0;
}

/* The parts of the one mapping, in order, each 4 KiB aligned. */
enum { P_SYMS, P_SIDES, P_WIN, P_ORDERS, P_LEVELS, P_FB, NB_PARTS };

static size_t part_size(const struct fp_book_cfg *cfg, int part)
{
	size_t n;
	switch (part) {
	case P_SYMS:
		n = (size_t)cfg->max_symbols * sizeof(struct fp_book_sym);
		break;
	case P_SIDES:
		n = (size_t)cfg->max_symbols * 2 * sizeof(struct fp_book_side);
		break;
	case P_WIN:
		n = (size_t)cfg->max_symbols * 2 * FP_BOOK_WIN * sizeof(uint32_t);
		break;
	case P_ORDERS:
		n = table_slots(cfg->max_orders) * sizeof(struct fp_book_order);
		break;
	case P_LEVELS:
		n = (size_t)cfg->max_levels * sizeof(struct fp_book_level);
		break;
	default:
		n = (size_t)cfg->max_levels * sizeof(struct fp_book_fb);
		break;
	}
	return FP_ALIGN_UP(n, (size_t)4096);
}

size_t fp_book_core_memsize(const struct fp_book_cfg *cfg)
{
	if (!cfg || cfg->max_symbols == 0 || cfg->max_orders == 0 || cfg->max_levels == 0)
		return 0;
	size_t n = 0;
	for (int p = 0; p < NB_PARTS; p++)
		n += part_size(cfg, p);
	return n;
}

/** Empty every side and both arenas (init and end of day). */
static void reset_levels(struct fp_book_core *bc)
{
	bc->fb_bump = 0;
	bc->level_bump = 0;
	bc->level_free = FP_BOOK_NONE;
	bc->levels_live = 0;
	for (unsigned i = 0; i < FP_ARRAY_SIZE(bc->free_head); i++)
		bc->free_head[i] = FP_BOOK_NONE;
	memset(bc->sides, 0, part_size(&bc->cfg, P_SIDES));
	for (uint32_t s = 0; s < bc->cfg.max_symbols; s++)
		for (unsigned k = 0; k < 2; k++) {
			bc->syms[s].best_level[k] = FP_BOOK_NONE;
			bc->syms[s].best_key[k] = 0;
		}
}

int fp_book_core_init(struct fp_book_core *bc, const struct fp_book_cfg *cfg)
{
	int rc;

	memset(bc, 0, sizeof(*bc));
	if ((rc = cfg_check(cfg)) < 0)
		return fp_err_append(rc, "book configuration");
	bc->cfg = *cfg;
	/* Whole 2 MiB pages: the order table and the levels are touched at random, and with
	 * 4 KiB pages almost every lookup would also miss the TLB. */
	size_t size = FP_ALIGN_UP(fp_book_core_memsize(cfg), FP_BOOK_HUGE);
	char *m = fp_hugemem_alloc(&bc->mem, size, cfg->populate, "book tables");
	if (!m)
		return fp_err_append(-ENOMEM, "the books");
	if (bc->mem.backing != FP_HUGEMEM_HUGETLB)
		snprintf(bc->warning, sizeof(bc->warning),
			 "book tables (%zu MiB) not on the reserved hugepage pool but %s (the "
			 "kernel may refuse transparent huge pages: TLB misses); reserve %zu more "
			 "2 MiB hugepages in /proc/sys/vm/nr_hugepages",
			 size >> 20, fp_hugemem_backing_name(bc->mem.backing), size / FP_BOOK_HUGE);
	char *part[NB_PARTS];
	for (int p = 0; p < NB_PARTS; p++) {
		part[p] = m;
		m += part_size(cfg, p);
	}
	bc->syms = (struct fp_book_sym *)part[P_SYMS];
	bc->sides = (struct fp_book_side *)part[P_SIDES];
	bc->win = (uint32_t *)part[P_WIN];
	bc->orders = (struct fp_book_order *)part[P_ORDERS];
	bc->levels = (struct fp_book_level *)part[P_LEVELS];
	bc->fb = (struct fp_book_fb *)part[P_FB];
	uint64_t slots = table_slots(cfg->max_orders);
	bc->order_mask = slots - 1;
	bc->order_shift = (uint32_t)__builtin_ctzll(slots);
	bc->nb_classes = 0;
	while (bc->nb_classes < FP_ARRAY_SIZE(bc->free_head) &&
	       cls_cap(bc->nb_classes) <= cfg->max_levels)
		bc->nb_classes++;
	reset_levels(bc);
	return 0;
}

void fp_book_core_fini(struct fp_book_core *bc)
{
	if (!bc)
		return;
	fp_hugemem_free(&bc->mem);
}

const char *fp_book_backing_name(const struct fp_book_core *bc)
{
	return fp_hugemem_backing_name(bc->mem.backing);
}

int64_t fp_book_core_huge_bytes(const struct fp_book_core *bc)
{
	return fp_hugemem_huge_bytes(&bc->mem);
}

/* ---- level pool ---- */

static inline uint32_t level_new(struct fp_book_core *bc, int64_t key, uint32_t shares)
{
	uint32_t idx = bc->level_free;
	if (idx != FP_BOOK_NONE) {
		bc->level_free = bc->levels[idx].next;
	} else {
		if (fp_unlikely(bc->level_bump >= bc->cfg.max_levels))
			return FP_BOOK_NONE;
		idx = bc->level_bump++;
	}
	struct fp_book_level *l = &bc->levels[idx];
	l->key = key;
	l->shares = shares;
	l->orders = 1;
	l->next = 0;
	if (++bc->levels_live > bc->st.levels_used)
		bc->st.levels_used = bc->levels_live;
	return idx;
}

static inline void level_free(struct fp_book_core *bc, uint32_t idx)
{
	bc->levels[idx].next = bc->level_free;
	bc->level_free = idx;
	bc->levels_live--;
}

/* ---- fallback arrays ---- */

static uint32_t chunk_alloc(struct fp_book_core *bc, uint32_t cls)
{
	uint32_t idx = bc->free_head[cls];
	if (idx != FP_BOOK_NONE) {
		bc->free_head[cls] = bc->fb[idx].level;
		return idx;
	}
	if ((uint64_t)bc->fb_bump + cls_cap(cls) > bc->cfg.max_levels)
		return FP_BOOK_NONE;
	idx = bc->fb_bump;
	bc->fb_bump += cls_cap(cls);
	return idx;
}

static void chunk_free(struct fp_book_core *bc, uint32_t idx, uint32_t cls)
{
	bc->fb[idx].level = bc->free_head[cls];
	bc->free_head[cls] = idx;
}

/** Make room for @p need fallback entries on @p sd; -1 when the arena is exhausted. */
static FP_NOINLINE int fb_reserve(struct fp_book_core *bc, struct fp_book_side *sd, uint32_t need)
{
	if (sd->fb_has && need <= cls_cap(sd->fb_cls))
		return 0;
	uint32_t cls = sd->fb_has ? sd->fb_cls + 1u : 0;
	while (cls < bc->nb_classes && cls_cap(cls) < need)
		cls++;
	if (cls >= bc->nb_classes)
		return -1;
	uint32_t idx = chunk_alloc(bc, cls);
	if (idx == FP_BOOK_NONE)
		return -1;
	if (sd->fb_has) {
		memcpy(&bc->fb[idx], &bc->fb[sd->fb_base],
		       sd->fb_count * sizeof(struct fp_book_fb));
		chunk_free(bc, sd->fb_base, sd->fb_cls);
	}
	sd->fb_base = idx;
	sd->fb_cls = (uint8_t)cls;
	sd->fb_has = 1;
	return 0;
}

/** Number of fallback entries of @p sd with a key < @p key (binary search). */
static inline uint32_t fb_lower(const struct fp_book_core *bc, const struct fp_book_side *sd,
				int64_t key)
{
	const struct fp_book_fb *fb = &bc->fb[sd->fb_base];
	uint32_t n = sd->fb_count, lo = 0, hi = n;
	/* near the touch first: most fallback changes are at its top end */
	if (n && fb[n - 1].key < key)
		return n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (fb[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/** Index of the fallback entry of @p key, or FP_BOOK_NONE. */
static inline uint32_t fb_find(const struct fp_book_core *bc, const struct fp_book_side *sd,
			       int64_t key)
{
	if (!sd->fb_count)
		return FP_BOOK_NONE;
	uint32_t i = fb_lower(bc, sd, key);
	return i < sd->fb_count && bc->fb[sd->fb_base + i].key == key ? i : FP_BOOK_NONE;
}

/** Insert level @p lvl of key @p key (absent) into the fallback; -1 when out of room. */
static int fb_insert(struct fp_book_core *bc, struct fp_book_side *sd, int64_t key, uint32_t lvl)
{
	if (fp_unlikely(fb_reserve(bc, sd, sd->fb_count + 1u) < 0))
		return -1;
	struct fp_book_fb *fb = &bc->fb[sd->fb_base];
	uint32_t pos = fb_lower(bc, sd, key);
	if (pos < sd->fb_count)
		memmove(&fb[pos + 1], &fb[pos], (sd->fb_count - pos) * sizeof(*fb));
	fb[pos] = (struct fp_book_fb){.key = key, .level = lvl};
	sd->fb_count++;
	sd->fb_top = fb[sd->fb_count - 1].key;
	return 0;
}

static void fb_remove_at(struct fp_book_core *bc, struct fp_book_side *sd, uint32_t pos)
{
	struct fp_book_fb *fb = &bc->fb[sd->fb_base];
	sd->fb_count--;
	if (pos < sd->fb_count)
		memmove(&fb[pos], &fb[pos + 1], (sd->fb_count - pos) * sizeof(*fb));
	if (sd->fb_count)
		sd->fb_top = fb[sd->fb_count - 1].key;
}

/* ---- windows ---- */

/** Tick of a window placed at @p key: a penny at $1 and above, else 0.0001 (Price(4)). */
static inline uint32_t tick_for(int64_t key)
{
	int64_t price = key < 0 ? -key : key;
	return price >= 10000 ? 100u : 1u;
}

/** Tick number of @p key (floor(key / tick)); *on = 1 when key is a multiple of tick. */
static inline int64_t key_tick(int64_t key, uint32_t tick, int *on)
{
	if (tick != 100) {
		*on = 1;
		return key;
	}
	int64_t q = key / 100, r = key - q * 100;
	*on = r == 0;
	return r < 0 ? q - 1 : q;
}

/** Highest occupied window slot of @p sd, or -1. */
static inline int win_best(const struct fp_book_side *sd)
{
	for (int w = FP_BOOK_WIN_WORDS - 1; w >= 0; w--)
		if (sd->bits[w])
			return w * 64 + 63 - __builtin_clzll(sd->bits[w]);
	return -1;
}

/** Highest occupied window slot of @p sd at or below @p from, or -1. */
static inline int win_below(const struct fp_book_side *sd, int from)
{
	if (from < 0)
		return -1;
	int w = from / 64;
	uint64_t m = sd->bits[w] & (~0ull >> (63 - from % 64));
	for (;;) {
		if (m)
			return w * 64 + 63 - __builtin_clzll(m);
		if (--w < 0)
			return -1;
		m = sd->bits[w];
	}
}

static inline int bit_test(const struct fp_book_side *sd, uint32_t i)
{
	return (sd->bits[i / 64] >> (i % 64)) & 1;
}

/**
 * Move the window of side @p s2 to start at tick number @p new_lo (same tick): window levels
 * outside the new range are merged into the fallback, fallback levels on the tick inside it
 * move into the window. -1 (nothing changed) when the fallback arena has no room.
 */
static FP_NOINLINE int recenter(struct fp_book_core *bc, size_t s2, int64_t new_lo)
{
	struct fp_book_side *sd = &bc->sides[s2];
	uint32_t *win = &bc->win[s2 * FP_BOOK_WIN];
	struct fp_book_fb out[FP_BOOK_WIN];
	uint32_t keep[FP_BOOK_WIN];
	uint64_t bits[FP_BOOK_WIN_WORDS] = {0};
	uint32_t nout = 0, nkeep = 0;
	int64_t tick = sd->tick;

	memset(keep, 0xff, sizeof(keep));
	for (int i = win_below(sd, FP_BOOK_WIN - 1); i >= 0; i = win_below(sd, i - 1)) {
		int64_t kt = sd->lo + i, d = kt - new_lo;
		if (d >= 0 && d < (int64_t)FP_BOOK_WIN) {
			keep[d] = win[i];
			bits[d / 64] |= 1ull << (d % 64);
			nkeep++;
		} else {
			out[nout++] = (struct fp_book_fb){.key = kt * tick, .level = win[i]};
		}
	}
	/* out[] is in descending key order */
	if (nout) {
		if (fb_reserve(bc, sd, sd->fb_count + nout) < 0)
			return -1;
		struct fp_book_fb *fb = &bc->fb[sd->fb_base];
		/* merge backwards: both sorted, the larger keys go last */
		uint32_t a = sd->fb_count, b = 0, dst = sd->fb_count + nout;
		while (b < nout) {
			if (a > 0 && fb[a - 1].key > out[b].key)
				fb[--dst] = fb[--a];
			else
				fb[--dst] = out[b++];
		}
		sd->fb_count += nout;
		sd->fb_top = fb[sd->fb_count - 1].key;
	}
	/* pull the fallback's levels on the tick in the new range */
	if (sd->fb_count) {
		struct fp_book_fb *fb = &bc->fb[sd->fb_base];
		int64_t lo_key = new_lo * tick, hi_key = (new_lo + (int64_t)FP_BOOK_WIN) * tick;
		uint32_t i = fb_lower(bc, sd, lo_key), w = i;
		for (; i < sd->fb_count && fb[i].key < hi_key; i++) {
			if (fb[i].key % tick == 0) {
				int64_t d = fb[i].key / tick - new_lo;
				keep[d] = fb[i].level;
				bits[d / 64] |= 1ull << (d % 64);
				nkeep++;
			} else {
				fb[w++] = fb[i];
			}
		}
		if (w != i) {
			memmove(&fb[w], &fb[i], (sd->fb_count - i) * sizeof(*fb));
			sd->fb_count -= i - w;
		}
		if (sd->fb_count)
			sd->fb_top = fb[sd->fb_count - 1].key;
	}
	for (uint32_t d = 0; d < FP_BOOK_WIN; d++)
		if (keep[d] != FP_BOOK_NONE)
			win[d] = keep[d];
	memcpy(sd->bits, bits, sizeof(bits));
	sd->nwin = (uint16_t)nkeep;
	sd->lo = new_lo;
	return 0;
}

/** Place or move an empty window at @p key (it becomes the window's slot FP_BOOK_WIN_POS). */
static void place_empty(struct fp_book_core *bc, size_t s2, int64_t key)
{
	struct fp_book_side *sd = &bc->sides[s2];
	int on;
	sd->tick = tick_for(key);
	if (!sd->fb_count) { /* nothing to pull either */
		sd->lo = key_tick(key, sd->tick, &on) - (int64_t)FP_BOOK_WIN_POS;
		return;
	}
	/* an empty window sends nothing to the fallback: this cannot fail */
	(void)recenter(bc, s2, key_tick(key, sd->tick, &on) - (int64_t)FP_BOOK_WIN_POS);
}

/** Best level of a side from its window and fallback: into syms[].best_*. */
static void best_recompute(struct fp_book_core *bc, uint32_t symbol, unsigned side)
{
	size_t s2 = (size_t)symbol * 2 + side;
	const struct fp_book_side *sd = &bc->sides[s2];
	struct fp_book_sym *s = &bc->syms[symbol];
	int i = win_best(sd);
	uint32_t lvl = FP_BOOK_NONE;
	int64_t key = 0;
	if (i >= 0) {
		key = (sd->lo + i) * (int64_t)sd->tick;
		lvl = bc->win[s2 * FP_BOOK_WIN + (uint32_t)i];
	}
	if (sd->fb_count && (lvl == FP_BOOK_NONE || sd->fb_top > key)) {
		key = sd->fb_top;
		lvl = bc->fb[sd->fb_base + sd->fb_count - 1].level;
	}
	s->best_key[side] = key;
	s->best_level[side] = lvl;
}

/**
 * Add @p shares (one order) at @p price on @p side of @p symbol.
 * @return the level's pool index, or FP_BOOK_NONE when out of level room.
 */
static inline uint32_t level_add(struct fp_book_core *bc, uint32_t symbol, unsigned side,
				 int64_t price, uint32_t shares)
{
	size_t s2 = (size_t)symbol * 2 + side;
	struct fp_book_side *sd = &bc->sides[s2];
	struct fp_book_sym *s = &bc->syms[symbol];
	int64_t key = side == FP_BOOK_BID ? price : -price;
	int on;
	if (fp_unlikely(sd->nwin == 0))
		place_empty(bc, s2, key);
	int64_t kt = key_tick(key, sd->tick, &on);
	uint64_t d = (uint64_t)(kt - sd->lo);
	if (fp_unlikely(on && d >= FP_BOOK_WIN && kt > sd->lo)) {
		/* above the window: move it up (the fallback may refuse: then the level goes
		 * there, invariant (3) allows it only outside the range, which it is) */
		if (recenter(bc, s2, kt - (int64_t)FP_BOOK_WIN_POS) == 0)
			d = (uint64_t)(kt - sd->lo);
	}
	uint32_t lvl;
	if (fp_likely(on && d < FP_BOOK_WIN)) {
		uint32_t *slot = &bc->win[s2 * FP_BOOK_WIN + d];
		if (bit_test(sd, (uint32_t)d)) {
			struct fp_book_level *l = &bc->levels[*slot];
			l->shares += shares;
			l->orders++;
			return *slot;
		}
		lvl = level_new(bc, key, shares);
		if (fp_unlikely(lvl == FP_BOOK_NONE))
			return FP_BOOK_NONE;
		*slot = lvl;
		sd->bits[d / 64] |= 1ull << (d % 64);
		sd->nwin++;
	} else {
		uint32_t pos = fb_find(bc, sd, key);
		if (pos != FP_BOOK_NONE) {
			lvl = bc->fb[sd->fb_base + pos].level;
			bc->levels[lvl].shares += shares;
			bc->levels[lvl].orders++;
			return lvl;
		}
		lvl = level_new(bc, key, shares);
		if (fp_unlikely(lvl == FP_BOOK_NONE))
			return FP_BOOK_NONE;
		if (fp_unlikely(fb_insert(bc, sd, key, lvl) < 0)) {
			level_free(bc, lvl);
			return FP_BOOK_NONE;
		}
	}
	if (s->best_level[side] == FP_BOOK_NONE || key > s->best_key[side]) {
		s->best_key[side] = key;
		s->best_level[side] = lvl;
	}
	return lvl;
}

/** Remove the empty level @p lvl from its side (invariant (2)). */
static void level_remove(struct fp_book_core *bc, uint32_t symbol, unsigned side, uint32_t lvl)
{
	size_t s2 = (size_t)symbol * 2 + side;
	struct fp_book_side *sd = &bc->sides[s2];
	int64_t key = bc->levels[lvl].key;
	int on;
	int64_t kt = key_tick(key, sd->tick, &on);
	uint64_t d = (uint64_t)(kt - sd->lo);
	if (fp_likely(sd->tick && on && d < FP_BOOK_WIN)) {
		sd->bits[d / 64] &= ~(1ull << (d % 64));
		sd->nwin--;
		int best = win_best(sd);
		if (best < 0) {
			if (sd->fb_count) /* the touch is in the fallback now: go there */
				place_empty(bc, s2, sd->fb_top);
		} else if (best < (int)(FP_BOOK_WIN / 4)) {
			/* the touch fell into the lowest quarter: follow it down (nothing leaves
			 * the window, so this cannot fail) */
			(void)recenter(bc, s2, sd->lo + best - (int64_t)FP_BOOK_WIN_POS);
		}
	} else {
		uint32_t pos = fb_find(bc, sd, key);
		if (pos != FP_BOOK_NONE)
			fb_remove_at(bc, sd, pos);
	}
	level_free(bc, lvl);
	if (bc->syms[symbol].best_level[side] == lvl)
		best_recompute(bc, symbol, side);
}

/**
 * Take @p shares from level @p lvl, and one order when @p gone (removing the level with its
 * last order). Returns 0, or -1 when the level had fewer shares (a broken invariant (1):
 * counted by the caller).
 */
static inline int level_sub(struct fp_book_core *bc, uint32_t symbol, unsigned side, uint32_t lvl,
			    uint32_t shares, int gone)
{
	struct fp_book_level *l = &bc->levels[lvl];
	int bad = 0;
	if (fp_unlikely(l->shares < shares)) {
		bad = -1;
		l->shares = 0;
	} else {
		l->shares -= shares;
	}
	if (gone && --l->orders == 0)
		level_remove(bc, symbol, side, lvl);
	return bad;
}

const struct fp_book_level *fp_book_core_level(const struct fp_book_core *bc, uint32_t symbol,
					       unsigned side, int64_t price)
{
	if (symbol >= bc->cfg.max_symbols || side > 1)
		return NULL;
	size_t s2 = (size_t)symbol * 2 + side;
	const struct fp_book_side *sd = &bc->sides[s2];
	int64_t key = side == FP_BOOK_BID ? price : -price;
	int on;
	int64_t kt = key_tick(key, sd->tick, &on);
	uint64_t d = (uint64_t)(kt - sd->lo);
	if (sd->tick && on && d < FP_BOOK_WIN)
		return bit_test(sd, (uint32_t)d) ? &bc->levels[bc->win[s2 * FP_BOOK_WIN + d]]
						 : NULL;
	uint32_t pos = fb_find(bc, sd, key);
	return pos == FP_BOOK_NONE ? NULL : &bc->levels[bc->fb[sd->fb_base + pos].level];
}

void fp_book_iter_init(struct fp_book_iter *it, const struct fp_book_core *bc, uint32_t symbol,
		       unsigned side)
{
	memset(it, 0, sizeof(*it));
	it->bc = bc;
	it->wpos = -1;
	if (symbol >= bc->cfg.max_symbols || side > 1)
		return;
	size_t s2 = (size_t)symbol * 2 + side;
	it->sd = &bc->sides[s2];
	it->win = &bc->win[s2 * FP_BOOK_WIN];
	it->wpos = it->sd->nwin ? (int32_t)FP_BOOK_WIN - 1 : -1;
	it->fpos = it->sd->fb_count;
}

const struct fp_book_level *fp_book_iter_next(struct fp_book_iter *it)
{
	const struct fp_book_side *sd = it->sd;
	if (!sd)
		return NULL;
	int i = win_below(sd, it->wpos);
	const struct fp_book_fb *f = it->fpos ? &it->bc->fb[sd->fb_base + it->fpos - 1] : NULL;
	if (i < 0) {
		it->wpos = -1;
		if (!f)
			return NULL;
		it->fpos--;
		return &it->bc->levels[f->level];
	}
	if (f && f->key > (sd->lo + i) * (int64_t)sd->tick) {
		it->fpos--;
		return &it->bc->levels[f->level];
	}
	it->wpos = i - 1;
	return &it->bc->levels[it->win[i]];
}

/* ---- order table ---- */

/* The table's probe and backward shift are common/fp_hmap.h's record layer, over the orders
 * in place, homed FP_HMAP_WINDOW (fp_book__home()). */

/** Slot of @p ref, or of the empty slot that ends its probe (check ->ref). */
static inline uint64_t order_probe(const struct fp_book_core *bc, uint64_t ref)
{
	return fp_hmap_rec_probe(bc->orders, sizeof(*bc->orders),
				 offsetof(struct fp_book_order, ref), fp_book__geom(bc),
				 FP_HMAP_WINDOW, ref);
}

/** Remove the order in slot @p i, shifting later entries of its cluster back. */
static inline void order_remove_slot(struct fp_book_core *bc, uint64_t i)
{
	fp_hmap_rec_remove(bc->orders, sizeof(*bc->orders), offsetof(struct fp_book_order, ref),
			   fp_book__geom(bc), FP_HMAP_WINDOW, i);
	bc->st.live_orders--;
}

const struct fp_book_order *fp_book_core_find(const struct fp_book_core *bc, uint64_t ref)
{
	if (ref == 0 || !bc->mem.ptr)
		return NULL;
	uint64_t i = order_probe(bc, ref);
	return bc->orders[i].ref == ref ? &bc->orders[i] : NULL;
}

/* ---- tops ---- */

static FP_COLD void mark_stale(struct fp_book_core *bc, uint32_t symbol, uint8_t reason)
{
	bc->syms[symbol].state |= FP_BOOK_SYM_STALE;
	bc->syms[symbol].stale_reason = reason;
	bc->st.stale_marks++;
}

unsigned fp_book_core_check_top(struct fp_book_core *bc, uint32_t symbol)
{
	struct fp_book_sym *s = &bc->syms[symbol];
	uint32_t lb = s->best_level[FP_BOOK_BID], la = s->best_level[FP_BOOK_ASK];
	int64_t bid = 0, ask = 0;
	uint64_t bsz = 0, asz = 0;
	if (lb != FP_BOOK_NONE) {
		bid = s->best_key[FP_BOOK_BID];
		bsz = bc->levels[lb].shares;
	}
	if (la != FP_BOOK_NONE) {
		ask = -s->best_key[FP_BOOK_ASK];
		asz = bc->levels[la].shares;
	}
	uint8_t cross = 0;
	if (lb != FP_BOOK_NONE && la != FP_BOOK_NONE && bid >= ask)
		cross = FP_BOOK_SYM_CROSSED | (bid == ask ? FP_BOOK_SYM_LOCKED : 0);
	uint8_t old = s->state & (FP_BOOK_SYM_CROSSED | FP_BOOK_SYM_LOCKED);
	if (fp_unlikely(cross != old)) {
		if (cross == FP_BOOK_SYM_CROSSED)
			bc->st.crossed++;
		else if (cross)
			bc->st.locked++;
		s->state =
			(uint8_t)((s->state & ~(FP_BOOK_SYM_CROSSED | FP_BOOK_SYM_LOCKED)) | cross);
	}
	uint32_t bs = bsz > UINT32_MAX ? UINT32_MAX : (uint32_t)bsz;
	uint32_t as = asz > UINT32_MAX ? UINT32_MAX : (uint32_t)asz;
	if (bid == s->top_bid && ask == s->top_ask && bs == s->top_bid_shares &&
	    as == s->top_ask_shares && s->state == s->top_state)
		return 0;
	s->top_bid = bid;
	s->top_ask = ask;
	s->top_bid_shares = bs;
	s->top_ask_shares = as;
	s->top_state = s->state;
	return FP_BOOK_CHG_TOP;
}

void fp_book_core_top_event(const struct fp_book_core *bc, uint32_t symbol,
			    const struct fp_event *cause, struct fp_event *out)
{
	const struct fp_book_sym *s = &bc->syms[symbol];
	memset(out, 0, sizeof(*out));
	out->type = FP_EV_BOOK_TOP;
	out->flags = (uint8_t)(((s->top_state & FP_BOOK_SYM_STALE) ? FP_EVF_STALE : 0) |
			       ((s->top_state & FP_BOOK_SYM_HALTED) ? FP_EVF_HALTED : 0) |
			       ((s->top_state & FP_BOOK_SYM_CROSSED) ? FP_EVF_CROSSED : 0));
	out->symbol_id = symbol;
	if (cause) {
		out->source = cause->source;
		out->seq = cause->seq;
		out->t_rx = cause->t_rx;
		out->u.top.ts_ns = cause->u.add.ts_ns; /* every md payload starts with ts_ns */
	}
	out->u.top.bid_price = s->top_bid;
	out->u.top.ask_price = s->top_ask;
	out->u.top.bid_shares = s->top_bid_shares;
	out->u.top.ask_shares = s->top_ask_shares;
	out->u.top.book_seq = s->seq;
}

/* ---- message handlers ---- */

static unsigned changed(struct fp_book_core *bc, uint32_t symbol)
{
	bc->last_symbol = symbol;
	bc->syms[symbol].seq++;
	return FP_BOOK_CHG_DEPTH | fp_book_core_check_top(bc, symbol);
}

/** Insert a new order (A, F, second half of U). */
static unsigned order_add(struct fp_book_core *bc, uint32_t symbol, unsigned side, uint64_t ref,
			  int64_t price, uint32_t shares)
{
	if (fp_unlikely(bc->st.live_orders >= bc->cfg.max_orders)) {
		bc->st.capacity_orders++;
		mark_stale(bc, symbol, FP_STALE_CAPACITY);
		bc->last_symbol = symbol;
		return fp_book_core_check_top(bc, symbol);
	}
	uint64_t i = order_probe(bc, ref);
	if (fp_unlikely(bc->orders[i].ref == ref)) {
		bc->st.duplicate_order++;
		return 0;
	}
	uint32_t lvl = level_add(bc, symbol, side, price, shares);
	if (fp_unlikely(lvl == FP_BOOK_NONE)) {
		bc->st.capacity_levels++;
		mark_stale(bc, symbol, FP_STALE_CAPACITY);
		bc->last_symbol = symbol;
		return fp_book_core_check_top(bc, symbol);
	}
	struct fp_book_order *o = &bc->orders[i];
	o->ref = ref;
	o->price = price;
	o->shares = shares;
	o->symbol = symbol;
	o->side = (uint8_t)side;
	o->level = lvl;
	bc->st.live_orders++;
	return changed(bc, symbol);
}

/** Take @p n shares off the order in slot @p i (E, C, X); @p too_large counts an overrun. */
static unsigned order_reduce(struct fp_book_core *bc, uint64_t i, uint32_t n, uint64_t *too_large)
{
	struct fp_book_order *o = &bc->orders[i];
	uint32_t symbol = o->symbol;
	if (fp_unlikely(n > o->shares)) {
		(*too_large)++;
		n = o->shares;
	}
	o->shares -= n;
	int gone = o->shares == 0;
	if (fp_unlikely(level_sub(bc, symbol, o->side, o->level, n, gone) < 0))
		bc->st.negative_size++;
	if (gone)
		order_remove_slot(bc, i);
	return changed(bc, symbol);
}

/** Remove the order in slot @p i entirely (D, first half of U). */
static void order_delete(struct fp_book_core *bc, uint64_t i)
{
	struct fp_book_order *o = &bc->orders[i];
	if (fp_unlikely(level_sub(bc, o->symbol, o->side, o->level, o->shares, 1) < 0))
		bc->st.negative_size++;
	order_remove_slot(bc, i);
}

static FP_COLD unsigned apply_cold(struct fp_book_core *bc, const struct fp_event *ev);

unsigned fp_book_core_apply(struct fp_book_core *bc, const struct fp_event *ev)
{
	uint64_t i, ref;
	uint32_t symbol = ev->symbol_id;

	bc->st.events++;
	switch (ev->type) {
	case FP_EV_MD_ADD: {
		const struct fp_ev_md_add *a = &ev->u.add;
		unsigned side = a->side == FP_SIDE_BUY ? FP_BOOK_BID : FP_BOOK_ASK;
		bc->st.adds++;
		if (fp_unlikely(symbol >= bc->cfg.max_symbols)) {
			bc->st.bad_symbol++;
			return 0;
		}
		if (fp_unlikely((a->side != FP_SIDE_BUY && a->side != FP_SIDE_SELL) ||
				a->order_reference_number == 0 || a->price <= 0 ||
				a->price > INT64_MAX / 2)) {
			bc->st.bad_event++;
			return 0;
		}
		return order_add(bc, symbol, side, a->order_reference_number, a->price, a->shares);
	}
	case FP_EV_MD_EXECUTE:
		bc->st.executes++;
		ref = ev->u.execute.order_reference_number;
		i = order_probe(bc, ref);
		if (fp_unlikely(ref == 0 || bc->orders[i].ref != ref)) {
			bc->st.unknown_order++;
			bc->st.unknown_execute++;
			return 0;
		}
		bc->exec_side = bc->orders[i].side == FP_BOOK_BID ? FP_SIDE_BUY : FP_SIDE_SELL;
		bc->exec_price = (ev->flags & FP_EVF_WITH_PRICE) ? ev->u.execute.execution_price
								 : bc->orders[i].price;
		return FP_BOOK_CHG_EXEC |
		       order_reduce(bc, i, ev->u.execute.executed_shares, &bc->st.negative_size);
	case FP_EV_MD_CANCEL:
		bc->st.cancels++;
		ref = ev->u.cancel.order_reference_number;
		i = order_probe(bc, ref);
		if (fp_unlikely(ref == 0 || bc->orders[i].ref != ref)) {
			bc->st.unknown_order++;
			bc->st.unknown_cancel++;
			return 0;
		}
		return order_reduce(bc, i, ev->u.cancel.cancelled_shares, &bc->st.cancel_too_large);
	case FP_EV_MD_DELETE:
		bc->st.deletes++;
		ref = ev->u.del.order_reference_number;
		i = order_probe(bc, ref);
		if (fp_unlikely(ref == 0 || bc->orders[i].ref != ref)) {
			bc->st.unknown_order++;
			bc->st.unknown_delete++;
			return 0;
		}
		symbol = bc->orders[i].symbol;
		order_delete(bc, i);
		return changed(bc, symbol);
	case FP_EV_MD_REPLACE: {
		const struct fp_ev_md_replace *u = &ev->u.replace;
		bc->st.replaces++;
		ref = u->original_order_reference_number;
		i = order_probe(bc, ref);
		if (fp_unlikely(ref == 0 || bc->orders[i].ref != ref)) {
			bc->st.unknown_order++;
			bc->st.unknown_replace++;
			return 0;
		}
		symbol = bc->orders[i].symbol;
		unsigned side = bc->orders[i].side;
		order_delete(bc, i);
		if (fp_unlikely(u->new_order_reference_number == 0 || u->price <= 0 ||
				u->price > INT64_MAX / 2)) {
			bc->st.bad_event++;
			return changed(bc, symbol);
		}
		unsigned chg = order_add(bc, symbol, side, u->new_order_reference_number, u->price,
					 u->shares);
		if (!(chg & FP_BOOK_CHG_DEPTH)) /* the delete happened even if the add did not */
			chg |= changed(bc, symbol);
		return chg;
	}
	default:
		return apply_cold(bc, ev);
	}
}

void fp_book_core_clear(struct fp_book_core *bc)
{
	memset(bc->orders, 0, (bc->order_mask + 1) * sizeof(struct fp_book_order));
	reset_levels(bc);
	bc->st.live_orders = 0;
	for (uint32_t s = 0; s < bc->cfg.max_symbols; s++) {
		bc->syms[s].seq++;
		bc->syms[s].state &= (uint8_t) ~(FP_BOOK_SYM_CROSSED | FP_BOOK_SYM_LOCKED);
	}
}

/** Trading state, system events, stale marks and the messages that change no book. */
static FP_COLD unsigned apply_cold(struct fp_book_core *bc, const struct fp_event *ev)
{
	uint32_t symbol = ev->symbol_id;

	switch (ev->type) {
	case FP_EV_MD_TRADING_ACTION: {
		if (symbol >= bc->cfg.max_symbols) {
			bc->st.bad_symbol++;
			return 0;
		}
		struct fp_book_sym *s = &bc->syms[symbol];
		uint8_t ts = ev->u.trading_action.trading_state;
		s->trading_state = ts;
		if (ts != 'T') {
			if (!(s->state & FP_BOOK_SYM_HALTED))
				bc->st.halts++;
			s->state |= FP_BOOK_SYM_HALTED;
		} else {
			s->state &= (uint8_t)~FP_BOOK_SYM_HALTED;
		}
		bc->last_symbol = symbol;
		return fp_book_core_check_top(bc, symbol);
	}
	case FP_EV_MD_SYSTEM:
		if (ev->u.system.event_code == 'C' && bc->cfg.eod_clear) {
			fp_book_core_clear(bc);
			bc->st.eod_clears++;
			return FP_BOOK_CHG_ALL;
		}
		return 0;
	case FP_EV_MD_STALE: {
		int recovered = ev->u.stale.reason == FP_STALE_RECOVERED;
		uint32_t lo = symbol, hi = symbol + 1;
		if (symbol == 0) {
			lo = 0;
			hi = bc->cfg.max_symbols;
		} else if (symbol >= bc->cfg.max_symbols) {
			bc->st.bad_symbol++;
			return 0;
		}
		for (uint32_t s = lo; s < hi; s++) {
			if (recovered) {
				bc->syms[s].state &= (uint8_t)~FP_BOOK_SYM_STALE;
				bc->syms[s].stale_reason = FP_STALE_NONE;
			} else {
				bc->syms[s].state |= FP_BOOK_SYM_STALE;
				bc->syms[s].stale_reason = (uint8_t)ev->u.stale.reason;
			}
		}
		if (!recovered)
			bc->st.stale_marks++;
		if (symbol == 0)
			return FP_BOOK_CHG_ALL;
		bc->last_symbol = symbol;
		return fp_book_core_check_top(bc, symbol);
	}
	default:
		bc->st.ignored++;
		return 0;
	}
}

/* ---- readers ---- */

uint32_t fp_book_core_nb_levels(const struct fp_book_core *bc, uint32_t symbol, unsigned side)
{
	if (symbol >= bc->cfg.max_symbols || side > 1)
		return 0;
	const struct fp_book_side *sd = &bc->sides[(size_t)symbol * 2 + side];
	return (uint32_t)sd->nwin + sd->fb_count;
}

uint32_t fp_book_core_depth(const struct fp_book_core *bc, uint32_t symbol, unsigned side,
			    struct fp_book_depth_level *out, uint32_t max)
{
	if (symbol >= bc->cfg.max_symbols || side > 1)
		return 0;
	struct fp_book_iter it;
	const struct fp_book_level *l;
	uint32_t n = 0;
	fp_book_iter_init(&it, bc, symbol, side);
	for (uint32_t k = 0; k < max && (l = fp_book_iter_next(&it)); k++, n++) {
		out[k].price = fp_book_level_price(l, side);
		out[k].shares = l->shares;
		out[k].orders = l->orders;
		out[k].reserved = 0;
	}
	return n;
}

void fp_book_stats_dump(FILE *out, const struct fp_book_stats *st)
{
#define X(f) fprintf(out, "%-18s %" PRIu64 "\n", #f, st->f)
	X(events);
	X(adds);
	X(executes);
	X(cancels);
	X(deletes);
	X(replaces);
	X(unknown_order);
	X(unknown_execute);
	X(unknown_cancel);
	X(unknown_delete);
	X(unknown_replace);
	X(cancel_too_large);
	X(negative_size);
	X(duplicate_order);
	X(crossed);
	X(locked);
	X(bad_symbol);
	X(bad_event);
	X(capacity_orders);
	X(capacity_levels);
	X(halts);
	X(stale_marks);
	X(eod_clears);
	X(ignored);
	X(live_orders);
	X(levels_used);
#undef X
}

void fp_book_core_dump(FILE *out, const struct fp_book_core *bc, uint32_t symbol, uint32_t max)
{
	struct fp_book_depth_level l;
	if (symbol >= bc->cfg.max_symbols) {
		fprintf(out, "symbol %" PRIu32 ": out of range\n", symbol);
		return;
	}
	const struct fp_book_sym *s = &bc->syms[symbol];
	fprintf(out,
		"symbol %" PRIu32 " seq %" PRIu32 " state 0x%02x bids %" PRIu32 " asks %" PRIu32
		"\n",
		symbol, s->seq, s->state, fp_book_core_nb_levels(bc, symbol, FP_BOOK_BID),
		fp_book_core_nb_levels(bc, symbol, FP_BOOK_ASK));
	for (unsigned side = 0; side < 2; side++) {
		struct fp_book_iter it;
		const struct fp_book_level *p;
		fp_book_iter_init(&it, bc, symbol, side);
		for (uint32_t k = 0; k < max && (p = fp_book_iter_next(&it)); k++) {
			l.price = fp_book_level_price(p, side);
			fprintf(out, "  %s %" PRId64 " %" PRIu64 " %" PRIu32 "\n",
				side ? "ask" : "bid", l.price, p->shares, p->orders);
		}
	}
}
