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
 *   level array  each side of a symbol owns one chunk of the level arena: a sorted array of
 *                levels by key (bid: price, ask: -price), best level LAST, so that the
 *                common changes (at or near the touch) move few entries. Lookups scan from
 *                the best level for FP_BOOK_SCAN steps, then binary-search the rest.
 *   size class   chunks hold FP_BOOK_CLS_MIN << cls levels. A full side moves to a chunk
 *                of the next class (copy, old chunk to its class's free list). Chunks come
 *                from a free list, else from the bump pointer; none returns to the bump.
 *
 * Invariants
 *   (1) every live order is in exactly one level: the level of its side and price holds
 *       orders == number of live orders at that price, shares == the sum of their shares.
 *   (2) a level with orders == 0 does not exist (it is removed when its last order goes).
 *   (3) levels of a side are strictly ascending by key; best is at base + count - 1.
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

/** Levels compared linearly from the best one before a binary search takes over. */
#define FP_BOOK_SCAN 8u

#define FP_BOOK_NONE UINT32_MAX

/** Transparent huge page size (x86-64). */
#define FP_BOOK_HUGE ((size_t)2 << 20)

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

static size_t part_sym(const struct fp_book_cfg *cfg)
{
	return FP_ALIGN_UP((size_t)cfg->max_symbols * sizeof(struct fp_book_sym), (size_t)4096);
}

static size_t part_orders(const struct fp_book_cfg *cfg)
{
	return FP_ALIGN_UP(table_slots(cfg->max_orders) * sizeof(struct fp_book_order),
			   (size_t)4096);
}

size_t fp_book_core_memsize(const struct fp_book_cfg *cfg)
{
	if (!cfg || cfg->max_symbols == 0 || cfg->max_orders == 0 || cfg->max_levels == 0)
		return 0;
	return part_sym(cfg) + part_orders(cfg) +
	       FP_ALIGN_UP((size_t)cfg->max_levels * sizeof(struct fp_book_level), (size_t)4096);
}

static void reset_levels(struct fp_book_core *bc)
{
	bc->level_bump = 0;
	for (unsigned i = 0; i < FP_ARRAY_SIZE(bc->free_head); i++)
		bc->free_head[i] = FP_BOOK_NONE;
	for (uint32_t s = 0; s < bc->cfg.max_symbols; s++)
		for (unsigned k = 0; k < 2; k++)
			memset(&bc->syms[s].side[k], 0, sizeof(bc->syms[s].side[k]));
}

int fp_book_core_init(struct fp_book_core *bc, const struct fp_book_cfg *cfg)
{
	int rc;

	memset(bc, 0, sizeof(*bc));
	if ((rc = cfg_check(cfg)) < 0)
		return fp_err_append(rc, "book configuration");
	bc->cfg = *cfg;
	/* 2 MiB more than needed, so that the tables start on a 2 MiB boundary and transparent
	 * huge pages can back them: the order table is touched at random, and with 4 KiB pages
	 * almost every lookup would also miss the TLB. */
	size_t need = fp_book_core_memsize(cfg);
	bc->map_size = need + FP_BOOK_HUGE;
	void *raw = mmap(NULL, bc->map_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (raw == MAP_FAILED) {
		bc->map = NULL;
		return fp_err_set(-ENOMEM, "cannot map %zu bytes for the books", bc->map_size);
	}
	bc->map = raw;
	char *m = (char *)FP_ALIGN_UP((uintptr_t)raw, (uintptr_t)FP_BOOK_HUGE);
	(void)madvise(m, need, MADV_HUGEPAGE); /* a hint: 4 KiB pages still work */
	if (cfg->populate)                     /* touch every page now: no page fault in apply() */
		for (size_t off = 0; off < need; off += 4096)
			m[off] = 0;
	bc->syms = (struct fp_book_sym *)m;
	bc->orders = (struct fp_book_order *)(m + part_sym(cfg));
	bc->levels = (struct fp_book_level *)((char *)bc->orders + part_orders(cfg));
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
	if (!bc || !bc->map)
		return;
	munmap(bc->map, bc->map_size);
	bc->map = NULL;
}

/* ---- level arena ---- */

static uint32_t chunk_alloc(struct fp_book_core *bc, uint32_t cls)
{
	uint32_t idx = bc->free_head[cls];
	if (idx != FP_BOOK_NONE) {
		bc->free_head[cls] = bc->levels[idx].next;
		return idx;
	}
	if ((uint64_t)bc->level_bump + cls_cap(cls) > bc->cfg.max_levels)
		return FP_BOOK_NONE;
	idx = bc->level_bump;
	bc->level_bump += cls_cap(cls);
	bc->st.levels_used = bc->level_bump;
	return idx;
}

static void chunk_free(struct fp_book_core *bc, uint32_t idx, uint32_t cls)
{
	bc->levels[idx].next = bc->free_head[cls];
	bc->free_head[cls] = idx;
}

/** Make room for one more level on @p sd; 0 or -1 when the arena is exhausted. */
static FP_NOINLINE int side_grow(struct fp_book_core *bc, struct fp_book_side *sd)
{
	uint32_t cls = sd->has ? sd->cls + 1 : 0;
	if (cls >= bc->nb_classes)
		return -1;
	uint32_t idx = chunk_alloc(bc, cls);
	if (idx == FP_BOOK_NONE)
		return -1;
	if (sd->has) {
		memcpy(&bc->levels[idx], &bc->levels[sd->base],
		       sd->count * sizeof(struct fp_book_level));
		chunk_free(bc, sd->base, sd->cls);
	}
	sd->base = idx;
	sd->cls = cls;
	sd->has = 1;
	return 0;
}

/**
 * Position of @p key among the levels @p lv[0 .. n-1]: the index of the level with that key
 * (*found = 1) or the index where it would be inserted (*found = 0). Invariant (3).
 */
static inline uint32_t level_search(const struct fp_book_level *lv, uint32_t n, int64_t key,
				    int *found)
{
	uint32_t i = n, stop = n > FP_BOOK_SCAN ? n - FP_BOOK_SCAN : 0;
	while (i > stop && lv[i - 1].key > key)
		i--;
	if (i == stop && i > 0) {
		/* beyond the scanned window: the answer is in [0, stop] */
		uint32_t lo = 0, hi = stop;
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;
			if (lv[mid].key > key)
				hi = mid;
			else
				lo = mid + 1;
		}
		i = lo;
	}
	/* i = number of levels with key <= key */
	*found = i > 0 && lv[i - 1].key == key;
	return *found ? i - 1 : i;
}

static inline int64_t side_key(unsigned side, int64_t price)
{
	return side == FP_BOOK_BID ? price : -price;
}

/** Add @p shares (one order) to the level @p price of @p sd; -1 when out of level slots. */
static inline int level_add(struct fp_book_core *bc, struct fp_book_side *sd, unsigned side,
			    int64_t price, uint32_t shares)
{
	int64_t key = side_key(side, price);
	int found;
	struct fp_book_level *lv = &bc->levels[sd->base];
	uint32_t pos = level_search(lv, sd->count, key, &found);
	if (found) {
		lv[pos].shares += shares;
		lv[pos].orders++;
		return 0;
	}
	if (fp_unlikely(!sd->has || sd->count == cls_cap(sd->cls))) {
		if (side_grow(bc, sd) < 0)
			return -1;
		lv = &bc->levels[sd->base];
	}
	if (pos < sd->count)
		memmove(&lv[pos + 1], &lv[pos], (sd->count - pos) * sizeof(*lv));
	lv[pos].key = key;
	lv[pos].shares = shares;
	lv[pos].orders = 1;
	lv[pos].next = 0;
	sd->count++;
	return 0;
}

/**
 * Take @p shares from the level @p price of @p sd, and one order when @p gone. Returns 0, or
 * -1 when the level is missing or smaller (a broken invariant (1): counted by the caller).
 */
static inline int level_sub(struct fp_book_core *bc, struct fp_book_side *sd, unsigned side,
			    int64_t price, uint32_t shares, int gone)
{
	int found;
	struct fp_book_level *lv = &bc->levels[sd->base];
	uint32_t pos = level_search(lv, sd->count, side_key(side, price), &found);
	if (fp_unlikely(!found))
		return -1;
	int bad = 0;
	if (fp_unlikely(lv[pos].shares < shares)) {
		bad = -1;
		lv[pos].shares = 0;
	} else {
		lv[pos].shares -= shares;
	}
	if (gone && --lv[pos].orders == 0) {
		sd->count--;
		if (pos < sd->count)
			memmove(&lv[pos], &lv[pos + 1], (sd->count - pos) * sizeof(*lv));
	}
	return bad;
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
	if (ref == 0 || !bc->map)
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
	const struct fp_book_side *b = &s->side[FP_BOOK_BID], *a = &s->side[FP_BOOK_ASK];
	int64_t bid = 0, ask = 0;
	uint64_t bsz = 0, asz = 0;
	if (b->count) {
		const struct fp_book_level *l = &bc->levels[b->base + b->count - 1];
		bid = l->key;
		bsz = l->shares;
	}
	if (a->count) {
		const struct fp_book_level *l = &bc->levels[a->base + a->count - 1];
		ask = -l->key;
		asz = l->shares;
	}
	uint8_t cross = 0;
	if (b->count && a->count && bid >= ask)
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
	struct fp_book_sym *s = &bc->syms[symbol];
	if (fp_unlikely(level_add(bc, &s->side[side], side, price, shares) < 0)) {
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
	struct fp_book_side *sd = &bc->syms[symbol].side[o->side];
	if (fp_unlikely(level_sub(bc, sd, o->side, o->price, n, gone) < 0))
		bc->st.negative_size++;
	if (gone)
		order_remove_slot(bc, i);
	return changed(bc, symbol);
}

/** Remove the order in slot @p i entirely (D, first half of U). */
static void order_delete(struct fp_book_core *bc, uint64_t i)
{
	struct fp_book_order *o = &bc->orders[i];
	struct fp_book_side *sd = &bc->syms[o->symbol].side[o->side];
	if (fp_unlikely(level_sub(bc, sd, o->side, o->price, o->shares, 1) < 0))
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
	return bc->syms[symbol].side[side].count;
}

uint32_t fp_book_core_depth(const struct fp_book_core *bc, uint32_t symbol, unsigned side,
			    struct fp_book_depth_level *out, uint32_t max)
{
	if (symbol >= bc->cfg.max_symbols || side > 1)
		return 0;
	const struct fp_book_side *sd = &bc->syms[symbol].side[side];
	uint32_t n = FP_MIN(sd->count, max);
	for (uint32_t k = 0; k < n; k++) {
		const struct fp_book_level *l = &bc->levels[sd->base + sd->count - 1 - k];
		out[k].price = side == FP_BOOK_BID ? l->key : -l->key;
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
		symbol, s->seq, s->state, s->side[0].count, s->side[1].count);
	for (unsigned side = 0; side < 2; side++)
		for (uint32_t k = 0; k < FP_MIN(max, s->side[side].count); k++) {
			const struct fp_book_level *p =
				&bc->levels[s->side[side].base + s->side[side].count - 1 - k];
			l.price = side == FP_BOOK_BID ? p->key : -p->key;
			fprintf(out, "  %s %" PRId64 " %" PRIu64 " %" PRIu32 "\n",
				side ? "ask" : "bid", l.price, p->shares, p->orders);
		}
}
