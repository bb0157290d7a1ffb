/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_sim_engine.c - the simulator's matching engine (API and contract in fp_sim_engine.h).
 *
 * Simulator main thread only. Pools are allocated at create (jemalloc); a level array grows
 * (realloc) only when a side holds more price levels than ever before.
 *
 * Definitions
 *   order   a slot of e->orders (index u32; FP_SIM_NIL = none), live while on a book.
 *   level   {price, qty, head, tail}: FIFO of the orders at one price on one side.
 *   side    an array of levels sorted so that the BEST level is the LAST one: bids by
 *           ascending price, asks by descending price. Taking the best level and removing
 *           it are O(1); adding a price near the touch moves few entries.
 *
 * Invariants (fp_sim_engine_check() verifies them all)
 *   (1) Each side's levels are strictly sorted (bids ascending, asks descending) and none is
 *       empty.
 *   (2) level.qty = sum of open_qty of the orders of its FIFO; every open_qty > 0.
 *   (3) A live order is in exactly one level FIFO, the one of its symbol, side and price;
 *       the FIFO order is the time priority.
 *   (4) e->by_ref maps every live order's ref to its index; e->by_token maps (owner, token)
 *       of every live client order (owner != 0) to its index.
 *   (5) Every live order is in its owner's list; market orders (owner 0) are also in their
 *       symbol's pick array at o->pick_idx.
 *   (6) In state TRADING a book is never crossed (best bid < best ask).
 *
 * Matching: an incoming order takes the best opposite level while it crosses, oldest order
 * first, at the resting order's price. The resting side is published (E, or P when hidden);
 * the incoming side is not (ITCH publishes resting orders only).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fp_compiler.h"
#include "fp_err.h"
#include "fp_hmap.h"
#include "fp_sim_engine.h"

#define FP_SIM_NIL UINT32_MAX

struct fp_sim_order {
	uint64_t ref;
	uint64_t user;
	int64_t price;
	uint32_t open_qty;
	uint32_t exec_qty; /**< over the order/replace chain */
	uint32_t owner;
	uint32_t token;
	uint32_t firm;
	uint32_t prev, next;         /**< level FIFO */
	uint32_t own_prev, own_next; /**< owner list */
	uint32_t pick_idx;           /**< index in the symbol's pick array (owner 0) */
	uint16_t locate;
	uint8_t side;
	uint8_t tif;
	uint8_t display;
	uint8_t live;
};

struct fp_sim_level {
	int64_t price;
	uint64_t qty;
	uint32_t head, tail;
};

struct fp_sim_book_side {
	struct fp_sim_level *lv;
	uint32_t nb, cap;
};

struct fp_sim_sym {
	char stock[8];
	int64_t tick;
	uint8_t state;
	uint8_t present;
	struct fp_sim_book_side side[2]; /**< [0] bids, [1] asks */
	uint32_t *pick;                  /**< indices of owner-0 orders */
	uint32_t nb_pick, cap_pick;
};

struct fp_sim_engine {
	struct fp_sim_engine_cfg cfg;
	struct fp_sim_engine_stats st;
	struct fp_sim_order *orders;
	uint32_t free_head;
	uint64_t next_ref;
	uint64_t next_match;
	/* The maps are sized at init for every order (symbol) at once, so a put never finds
	 * its map full (fp_hmap.h, invariant 1): their puts need no check. */
	struct fp_hmap by_ref;   /**< ref → order index */
	struct fp_hmap by_token; /**< token_key(owner, token) → order index */
	struct fp_hmap by_stock; /**< 8 name bytes as a u64 → locate */
	uint32_t *own_head;      /**< [max_owners] */
	struct fp_sim_sym *syms; /**< [max_symbols + 1] */
};

static inline uint64_t token_key(uint32_t owner, uint32_t token)
{
	/* owner != 0, so the key is never 0 */
	return ((uint64_t)owner << 32) | token;
}

/* ---------------------------------------------------------------- small helpers */

uint32_t fp_sim_firm(const char *mpid)
{
	if (!mpid || !mpid[0])
		return 0;
	char b[4] = {' ', ' ', ' ', ' '};
	for (int i = 0; i < 4 && mpid[i]; i++)
		b[i] = mpid[i];
	return ((uint32_t)(uint8_t)b[0] << 24) | ((uint32_t)(uint8_t)b[1] << 16) |
	       ((uint32_t)(uint8_t)b[2] << 8) | (uint8_t)b[3];
}

void fp_sim_firm_str(uint32_t firm, char out[4])
{
	if (!firm) {
		memset(out, ' ', 4);
		return;
	}
	out[0] = (char)(firm >> 24);
	out[1] = (char)(firm >> 16);
	out[2] = (char)(firm >> 8);
	out[3] = (char)firm;
}

int fp_sim_tif_from_ouch(uint8_t t)
{
	switch (t) {
	case '0':
	case '5':
	case '6':
	case 'E':
		return FP_SIM_TIF_DAY;
	case '3':
		return FP_SIM_TIF_IOC;
	default:
		return -1;
	}
}

uint8_t fp_sim_tif_to_ouch(uint8_t tif)
{
	return tif == FP_SIM_TIF_IOC ? '3' : '0';
}

static inline int side_idx(uint8_t side)
{
	return side == FP_SIM_BUY ? 0 : 1;
}

/* True when a level at @p lv_px on the side opposite to @p side is "better or equal"
 * than @p px from the incoming order's point of view (i.e. they cross). */
static inline bool crosses(uint8_t side, int64_t px, int64_t lv_px)
{
	return side == FP_SIM_BUY ? lv_px <= px : lv_px >= px;
}

static void info_of(const struct fp_sim_order *o, uint64_t ts, struct fp_sim_order_info *i)
{
	i->ts_ns = ts;
	i->ref = o->ref;
	i->user = o->user;
	i->price = o->price;
	i->owner = o->owner;
	i->token = o->token;
	i->firm = o->firm;
	i->open_qty = o->open_qty;
	i->exec_qty = o->exec_qty;
	i->locate = o->locate;
	i->side = o->side;
	i->tif = o->tif;
	i->display = o->display;
	i->live = o->live;
}

static inline void md_emit(const struct fp_sim_engine *e, const struct fp_sim_md *m)
{
	if (e->cfg.md_listener.on_md)
		e->cfg.md_listener.on_md(e->cfg.md_listener.arg, m);
}

static void md_order(const struct fp_sim_engine *e, uint8_t type, const struct fp_sim_order *o,
		     uint64_t ts)
{
	if (o->display == FP_SIM_DISPLAY_HIDDEN)
		return;
	struct fp_sim_md m = {.ts_ns = ts, .type = type, .locate = o->locate, .ref = o->ref};
	if (type == 'A' || type == 'F') {
		const struct fp_sim_sym *s = &e->syms[o->locate];
		m.side = o->side;
		m.qty = o->open_qty;
		m.price = o->price;
		memcpy(m.stock, s->stock, 8);
		fp_sim_firm_str(o->firm, m.mpid);
	}
	md_emit(e, &m);
}

static inline uint8_t add_type(const struct fp_sim_order *o)
{
	return o->display == FP_SIM_DISPLAY_ATTRIBUTABLE && o->firm ? 'F' : 'A';
}

/* ---------------------------------------------------------------- lifecycle */

struct fp_sim_engine *fp_sim_engine_create(const struct fp_sim_engine_cfg *cfg_in)
{
	struct fp_sim_engine_cfg cfg = *cfg_in;
	if (!cfg.max_orders)
		cfg.max_orders = 1u << 20;
	if (!cfg.max_symbols)
		cfg.max_symbols = 1024;
	if (!cfg.max_owners)
		cfg.max_owners = 256;
	if (cfg.max_orders >= (1u << 30)) {
		fp_err_set(-EINVAL, "max_orders %u must be below 2^30", cfg.max_orders);
		errno = EINVAL;
		return NULL;
	}
	if (cfg.smp_mode > FP_SIM_SMP_OFF) {
		fp_err_set(-EINVAL, "smp_mode %u is not one of 0 (newest), 1 (oldest), 2 (off)",
			   cfg.smp_mode);
		errno = EINVAL;
		return NULL;
	}
	struct fp_sim_engine *e = calloc(1, sizeof(*e));
	if (!e)
		goto nomem;
	e->cfg = cfg;
	e->next_ref = 1;
	e->next_match = 1;
	e->orders = calloc(cfg.max_orders, sizeof(*e->orders));
	e->own_head = malloc(sizeof(*e->own_head) * cfg.max_owners);
	e->syms = calloc((size_t)cfg.max_symbols + 1, sizeof(*e->syms));
	if (!e->orders || !e->own_head || !e->syms)
		goto nomem;
	if (fp_hmap_init(&e->by_ref, cfg.max_orders) ||
	    fp_hmap_init(&e->by_token, cfg.max_orders) ||
	    fp_hmap_init(&e->by_stock, cfg.max_symbols))
		goto nomem;
	for (uint32_t i = 0; i < cfg.max_owners; i++)
		e->own_head[i] = FP_SIM_NIL;
	for (uint32_t i = 0; i < cfg.max_orders; i++)
		e->orders[i].next = i + 1 < cfg.max_orders ? i + 1 : FP_SIM_NIL;
	e->free_head = 0;
	return e;
nomem:
	fp_sim_engine_destroy(e);
	fp_err_set(-ENOMEM, "matching engine: out of memory for %u orders", cfg.max_orders);
	errno = ENOMEM;
	return NULL;
}

void fp_sim_engine_destroy(struct fp_sim_engine *e)
{
	if (!e)
		return;
	if (e->syms) {
		for (uint32_t i = 0; i <= e->cfg.max_symbols; i++) {
			free(e->syms[i].side[0].lv);
			free(e->syms[i].side[1].lv);
			free(e->syms[i].pick);
		}
	}
	fp_hmap_fini(&e->by_ref);
	fp_hmap_fini(&e->by_token);
	fp_hmap_fini(&e->by_stock);
	free(e->orders);
	free(e->own_head);
	free(e->syms);
	free(e);
}

int fp_sim_engine_add_symbol(struct fp_sim_engine *e, uint16_t locate, const char *stock,
			     int64_t tick)
{
	if (locate == 0 || locate > e->cfg.max_symbols)
		return fp_err_set(-EINVAL, "stock locate %u out of range 1..%u", locate,
				  e->cfg.max_symbols);
	if (!stock || !stock[0] || stock[0] == ' ' || tick <= 0)
		return fp_err_set(-EINVAL, "symbol %u: empty name or tick %" PRId64 " <= 0", locate,
				  tick);
	struct fp_sim_sym *s = &e->syms[locate];
	if (s->present)
		return fp_err_set(-EEXIST, "stock locate %u already used by %.8s", locate,
				  s->stock);
	memset(s->stock, ' ', 8);
	for (int i = 0; i < 8 && stock[i] && stock[i] != ' '; i++)
		s->stock[i] = stock[i];
	uint64_t key;
	memcpy(&key, s->stock, 8);
	if (fp_hmap_find(&e->by_stock, key, FP_SIM_NIL) != FP_SIM_NIL)
		return fp_err_set(-EEXIST, "symbol %.8s already has a stock locate", s->stock);
	(void)fp_hmap_put(&e->by_stock, key, locate);
	s->tick = tick;
	s->state = FP_SIM_STATE_TRADING;
	s->present = 1;
	for (int k = 0; k < 2; k++) {
		s->side[k].cap = 64;
		s->side[k].lv = malloc(sizeof(struct fp_sim_level) * s->side[k].cap);
		if (!s->side[k].lv)
			return fp_err_set(-ENOMEM, "symbol %.8s: no memory for levels", s->stock);
	}
	s->cap_pick = 1024;
	s->pick = malloc(sizeof(uint32_t) * s->cap_pick);
	if (!s->pick)
		return fp_err_set(-ENOMEM, "symbol %.8s: no memory", s->stock);
	return 0;
}

uint16_t fp_sim_engine_find_symbol(const struct fp_sim_engine *e, const char *stock)
{
	char name[8];
	memset(name, ' ', 8);
	for (int i = 0; i < 8 && stock[i] && stock[i] != ' '; i++)
		name[i] = stock[i];
	uint64_t key;
	memcpy(&key, name, 8);
	uint32_t l = fp_hmap_find(&e->by_stock, key, FP_SIM_NIL);
	return l == FP_SIM_NIL ? 0 : (uint16_t)l;
}

const char *fp_sim_engine_stock(const struct fp_sim_engine *e, uint16_t locate)
{
	if (locate == 0 || locate > e->cfg.max_symbols || !e->syms[locate].present)
		return NULL;
	return e->syms[locate].stock;
}

/* ---------------------------------------------------------------- book mechanics */

/* Index of the level at @p px on side @p bs, or the insertion point with *found = false. */
static uint32_t level_find(const struct fp_sim_book_side *bs, int k, int64_t px, bool *found)
{
	/* Binary search; the array is sorted so that "before" means "worse than px". */
	uint32_t lo = 0, hi = bs->nb;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int64_t p = bs->lv[mid].price;
		bool before = k == 0 ? p < px : p > px; /* mid sorts before px */
		if (p == px) {
			*found = true;
			return mid;
		}
		if (before)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static struct fp_sim_level *level_get(struct fp_sim_book_side *bs, int k, int64_t px)
{
	bool found;
	uint32_t i = level_find(bs, k, px, &found);
	if (found)
		return &bs->lv[i];
	if (bs->nb == bs->cap) {
		uint32_t cap = bs->cap * 2;
		struct fp_sim_level *lv = realloc(bs->lv, sizeof(*lv) * cap);
		if (!lv)
			return NULL;
		bs->lv = lv;
		bs->cap = cap;
	}
	memmove(&bs->lv[i + 1], &bs->lv[i], sizeof(*bs->lv) * (bs->nb - i));
	bs->nb++;
	bs->lv[i] = (struct fp_sim_level){
		.price = px, .qty = 0, .head = FP_SIM_NIL, .tail = FP_SIM_NIL};
	return &bs->lv[i];
}

static void level_remove(struct fp_sim_book_side *bs, struct fp_sim_level *lv)
{
	uint32_t i = (uint32_t)(lv - bs->lv);
	memmove(&bs->lv[i], &bs->lv[i + 1], sizeof(*bs->lv) * (bs->nb - i - 1));
	bs->nb--;
}

static uint32_t order_alloc(struct fp_sim_engine *e)
{
	uint32_t i = e->free_head;
	if (i != FP_SIM_NIL)
		e->free_head = e->orders[i].next;
	return i;
}

/* Link order @p i (fields set, open_qty > 0) at the tail of its level and into the indexes
 * (invariants 2-5). Returns false when the level array could not grow. */
static bool order_rest(struct fp_sim_engine *e, uint32_t i)
{
	struct fp_sim_order *o = &e->orders[i];
	struct fp_sim_sym *s = &e->syms[o->locate];
	int k = side_idx(o->side);
	struct fp_sim_level *lv = level_get(&s->side[k], k, o->price);
	if (!lv)
		return false;
	o->prev = lv->tail;
	o->next = FP_SIM_NIL;
	if (lv->tail != FP_SIM_NIL)
		e->orders[lv->tail].next = i;
	else
		lv->head = i;
	lv->tail = i;
	lv->qty += o->open_qty;
	o->live = 1;
	(void)fp_hmap_put(&e->by_ref, o->ref, i);
	if (o->owner != FP_SIM_OWNER_MARKET)
		(void)fp_hmap_put(&e->by_token, token_key(o->owner, o->token), i);
	o->own_prev = FP_SIM_NIL;
	o->own_next = e->own_head[o->owner];
	if (o->own_next != FP_SIM_NIL)
		e->orders[o->own_next].own_prev = i;
	e->own_head[o->owner] = i;
	if (o->owner == FP_SIM_OWNER_MARKET) {
		if (s->nb_pick == s->cap_pick) {
			uint32_t *p = realloc(s->pick, sizeof(*p) * s->cap_pick * 2);
			if (p) {
				s->pick = p;
				s->cap_pick *= 2;
			}
		}
		if (s->nb_pick < s->cap_pick) {
			o->pick_idx = s->nb_pick;
			s->pick[s->nb_pick++] = i;
		} else {
			o->pick_idx = FP_SIM_NIL; /* not pickable; still correct */
		}
	}
	e->st.nb_live++;
	return true;
}

/* Unlink order @p i from its level (removing an emptied level) and the indexes, and free the
 * slot. The caller has published whatever message the removal needs. */
static void order_unlink(struct fp_sim_engine *e, uint32_t i, struct fp_sim_level *lv)
{
	struct fp_sim_order *o = &e->orders[i];
	struct fp_sim_sym *s = &e->syms[o->locate];
	int k = side_idx(o->side);
	if (!lv) {
		bool found;
		uint32_t li = level_find(&s->side[k], k, o->price, &found);
		lv = &s->side[k].lv[li];
	}
	lv->qty -= o->open_qty;
	if (o->prev != FP_SIM_NIL)
		e->orders[o->prev].next = o->next;
	else
		lv->head = o->next;
	if (o->next != FP_SIM_NIL)
		e->orders[o->next].prev = o->prev;
	else
		lv->tail = o->prev;
	if (lv->head == FP_SIM_NIL)
		level_remove(&s->side[k], lv);
	(void)fp_hmap_del(&e->by_ref, o->ref);
	if (o->owner != FP_SIM_OWNER_MARKET)
		(void)fp_hmap_del(&e->by_token, token_key(o->owner, o->token));
	if (o->own_prev != FP_SIM_NIL)
		e->orders[o->own_prev].own_next = o->own_next;
	else
		e->own_head[o->owner] = o->own_next;
	if (o->own_next != FP_SIM_NIL)
		e->orders[o->own_next].own_prev = o->own_prev;
	if (o->owner == FP_SIM_OWNER_MARKET && o->pick_idx != FP_SIM_NIL) {
		uint32_t last = s->pick[--s->nb_pick];
		s->pick[o->pick_idx] = last;
		e->orders[last].pick_idx = o->pick_idx;
	}
	o->live = 0;
	o->next = e->free_head;
	e->free_head = i;
	e->st.nb_live--;
}

/* ---------------------------------------------------------------- callbacks */

static inline bool is_client(const struct fp_sim_order *o)
{
	return o->owner != FP_SIM_OWNER_MARKET;
}

static void cb_accepted(const struct fp_sim_engine *e, const struct fp_sim_order *o, uint64_t ts)
{
	if (is_client(o) && e->cfg.order_listener.on_accepted) {
		struct fp_sim_order_info i;
		info_of(o, ts, &i);
		e->cfg.order_listener.on_accepted(e->cfg.order_listener.arg, &i);
	}
}

static void cb_executed(const struct fp_sim_engine *e, const struct fp_sim_order *o, uint64_t ts,
			uint32_t qty, int64_t px, uint64_t match, uint8_t liq)
{
	if (is_client(o) && e->cfg.order_listener.on_executed) {
		struct fp_sim_order_info i;
		info_of(o, ts, &i);
		e->cfg.order_listener.on_executed(e->cfg.order_listener.arg, &i, qty, px, match,
						  liq);
	}
}

static void cb_canceled(const struct fp_sim_engine *e, const struct fp_sim_order *o, uint64_t ts,
			uint32_t dec, uint8_t reason)
{
	if (is_client(o) && e->cfg.order_listener.on_canceled) {
		struct fp_sim_order_info i;
		info_of(o, ts, &i);
		e->cfg.order_listener.on_canceled(e->cfg.order_listener.arg, &i, dec, reason);
	}
}

static void cb_rejected(struct fp_sim_engine *e, const struct fp_sim_order_req *r, uint64_t ts,
			uint16_t reason)
{
	e->st.nb_rejected++;
	if (r->owner != FP_SIM_OWNER_MARKET && e->cfg.order_listener.on_rejected) {
		struct fp_sim_order_info i = {
			.ts_ns = ts,
			.user = r->user,
			.price = r->price,
			.owner = r->owner,
			.token = r->token,
			.firm = r->firm,
			.locate = r->locate,
			.side = r->side,
			.tif = r->tif,
			.display = r->display,
		};
		e->cfg.order_listener.on_rejected(e->cfg.order_listener.arg, &i, reason);
	}
}

/* ---------------------------------------------------------------- matching */

/* Remove a resting order whole (cancel/SMP/mass cancel): md 'D', owner canceled. */
static void resting_cancel_all(struct fp_sim_engine *e, uint32_t i, struct fp_sim_level *lv,
			       uint8_t reason, uint64_t ts)
{
	struct fp_sim_order *o = &e->orders[i];
	uint32_t dec = o->open_qty;
	md_order(e, 'D', o, ts);
	order_unlink(e, i, lv);
	o->open_qty = 0;
	cb_canceled(e, o, ts, dec, reason);
	e->st.nb_cancel++;
}

/* Trade @p qty between incoming order @p in (not on a book) and resting order @p ri. */
static void trade(struct fp_sim_engine *e, struct fp_sim_order *in, uint32_t ri,
		  struct fp_sim_level *lv, uint32_t qty, uint64_t ts)
{
	struct fp_sim_order *r = &e->orders[ri];
	uint64_t match = e->next_match++;
	int64_t px = r->price;
	const struct fp_sim_sym *s = &e->syms[r->locate];
	if (r->display == FP_SIM_DISPLAY_HIDDEN) {
		struct fp_sim_md m = {.ts_ns = ts,
				      .type = 'P',
				      .locate = r->locate,
				      .ref = 0,
				      .side = r->side,
				      .qty = qty,
				      .price = px,
				      .match_number = match};
		memcpy(m.stock, s->stock, 8);
		md_emit(e, &m);
	} else {
		struct fp_sim_md m = {.ts_ns = ts,
				      .type = 'E',
				      .locate = r->locate,
				      .ref = r->ref,
				      .qty = qty,
				      .match_number = match};
		md_emit(e, &m);
	}
	e->st.nb_trades++;
	e->st.nb_shares += qty;
	r->exec_qty += qty;
	in->exec_qty += qty;
	in->open_qty -= qty;
	if (qty == r->open_qty) {
		/* A full execution removes the order: ITCH sends no 'D' after it. */
		order_unlink(e, ri, lv);
		r->open_qty = 0;
	} else {
		r->open_qty -= qty;
		lv->qty -= qty;
	}
	uint8_t rliq =
		r->display == FP_SIM_DISPLAY_HIDDEN ? FP_SIM_LIQ_HIDDEN_ADDED : FP_SIM_LIQ_ADDED;
	cb_executed(e, r, ts, qty, px, match, rliq);
	cb_executed(e, in, ts, qty, px, match, FP_SIM_LIQ_REMOVED);
}

/* Match incoming order @p in against the opposite side. Returns true when SMP (newest)
 * stopped it. */
static bool match(struct fp_sim_engine *e, struct fp_sim_order *in, uint64_t ts)
{
	struct fp_sim_sym *s = &e->syms[in->locate];
	int k = side_idx(in->side) ^ 1;
	struct fp_sim_book_side *bs = &s->side[k];
	bool market = in->price == FP_SIM_PRICE_MARKET;
	while (in->open_qty && bs->nb) {
		struct fp_sim_level *lv = &bs->lv[bs->nb - 1];
		if (!market && !crosses(in->side, in->price, lv->price))
			break;
		uint32_t ri = lv->head;
		struct fp_sim_order *r = &e->orders[ri];
		if (in->firm && r->firm == in->firm && e->cfg.smp_mode != FP_SIM_SMP_OFF) {
			e->st.nb_smp++;
			if (e->cfg.smp_mode == FP_SIM_SMP_CANCEL_NEWEST)
				return true;
			resting_cancel_all(e, ri, lv, FP_SIM_CXL_SELF_MATCH, ts);
			continue;
		}
		trade(e, in, ri, lv, FP_MIN(in->open_qty, r->open_qty), ts);
	}
	return false;
}

/* Validate a request's price for symbol @p s: 0 or a reject reason. */
static uint16_t check_price(const struct fp_sim_sym *s, int64_t px)
{
	if (px == FP_SIM_PRICE_MARKET || px == INT64_C(2000000000))
		return 0;
	if (px <= 0 || px > FP_SIM_PRICE_MAX)
		return FP_SIM_REJ_INVALID_PRICE;
	/* Sub-penny ticks are allowed below $1.00 (Reg NMS rule 612). */
	int64_t tick = px < 10000 ? 1 : s->tick;
	return px % tick ? FP_SIM_REJ_INVALID_PRICE : 0;
}

/* Run an order already in slot @p i (fields set, not on a book) through matching, then rest
 * or cancel the remainder. Used by enter and by a priority-losing replace. */
static void execute_incoming(struct fp_sim_engine *e, uint32_t i, uint64_t ts)
{
	struct fp_sim_order *o = &e->orders[i];
	struct fp_sim_sym *s = &e->syms[o->locate];
	bool smp = false;
	if (s->state == FP_SIM_STATE_TRADING)
		smp = match(e, o, ts);
	if (o->open_qty == 0) {
		o->live = 0;
		o->next = e->free_head;
		e->free_head = i;
		return;
	}
	if (smp || o->tif == FP_SIM_TIF_IOC) {
		uint32_t dec = o->open_qty;
		o->open_qty = 0;
		o->live = 0;
		cb_canceled(e, o, ts, dec, smp ? FP_SIM_CXL_SELF_MATCH : FP_SIM_CXL_IOC);
		e->st.nb_cancel++;
		o->next = e->free_head;
		e->free_head = i;
		return;
	}
	if (!order_rest(e, i)) {
		/* Out of memory for a new level: drop the remainder as a system cancel. */
		uint32_t dec = o->open_qty;
		o->open_qty = 0;
		cb_canceled(e, o, ts, dec, FP_SIM_CXL_SYSTEM);
		o->next = e->free_head;
		e->free_head = i;
		return;
	}
	md_order(e, add_type(o), o, ts);
}

static uint16_t validate(const struct fp_sim_engine *e, const struct fp_sim_order_req *r)
{
	if (r->locate == 0 || r->locate > e->cfg.max_symbols || !e->syms[r->locate].present)
		return FP_SIM_REJ_INVALID_SYMBOL;
	if (r->side != FP_SIM_BUY && r->side != FP_SIM_SELL)
		return FP_SIM_REJ_INVALID_SIDE;
	if (r->qty == 0 || r->qty > FP_SIM_QTY_MAX)
		return FP_SIM_REJ_INVALID_QUANTITY;
	if (r->owner >= e->cfg.max_owners)
		return FP_SIM_REJ_PROCESSING_ERROR;
	return check_price(&e->syms[r->locate], r->price);
}

uint64_t fp_sim_engine_enter(struct fp_sim_engine *e, const struct fp_sim_order_req *req,
			     uint64_t ts, uint16_t *reject)
{
	e->st.nb_enter++;
	uint16_t why = validate(e, req);
	bool market = req->price == FP_SIM_PRICE_MARKET || req->price == INT64_C(2000000000);
	if (!why && e->syms[req->locate].state != FP_SIM_STATE_TRADING &&
	    (market || req->tif == FP_SIM_TIF_IOC))
		why = FP_SIM_REJ_HALTED;
	if (!why && req->owner != FP_SIM_OWNER_MARKET &&
	    fp_hmap_find(&e->by_token, token_key(req->owner, req->token), FP_SIM_NIL) != FP_SIM_NIL)
		why = FP_SIM_REJ_DUPLICATE_TOKEN;
	uint32_t i = FP_SIM_NIL;
	if (!why && (i = order_alloc(e)) == FP_SIM_NIL)
		why = FP_SIM_REJ_PROCESSING_ERROR;
	if (reject)
		*reject = why;
	if (why) {
		cb_rejected(e, req, ts, why);
		return 0;
	}
	struct fp_sim_order *o = &e->orders[i];
	*o = (struct fp_sim_order){
		.ref = e->next_ref++,
		.user = req->user,
		.price = market ? FP_SIM_PRICE_MARKET : req->price,
		.open_qty = req->qty,
		.owner = req->owner,
		.token = req->token,
		.firm = req->firm,
		.locate = req->locate,
		.side = req->side,
		.tif = market ? FP_SIM_TIF_IOC : req->tif,
		.display = req->display ? req->display : FP_SIM_DISPLAY_VISIBLE,
		.live = 1,
		.pick_idx = FP_SIM_NIL,
	};
	e->st.nb_accepted++;
	cb_accepted(e, o, ts);
	uint64_t ref = o->ref;
	execute_incoming(e, i, ts);
	return ref;
}

uint32_t fp_sim_engine_cancel(struct fp_sim_engine *e, uint64_t ref, uint32_t qty, uint8_t reason,
			      uint64_t ts)
{
	uint32_t i = fp_hmap_find(&e->by_ref, ref, FP_SIM_NIL);
	if (i == FP_SIM_NIL)
		return 0;
	struct fp_sim_order *o = &e->orders[i];
	if (qty >= o->open_qty)
		return 0;
	uint32_t dec = o->open_qty - qty;
	if (qty == 0) {
		resting_cancel_all(e, i, NULL, reason, ts);
		return dec;
	}
	struct fp_sim_sym *s = &e->syms[o->locate];
	int k = side_idx(o->side);
	bool found;
	uint32_t li = level_find(&s->side[k], k, o->price, &found);
	s->side[k].lv[li].qty -= dec;
	o->open_qty = qty;
	if (o->display != FP_SIM_DISPLAY_HIDDEN) {
		struct fp_sim_md m = {
			.ts_ns = ts, .type = 'X', .locate = o->locate, .ref = o->ref, .qty = dec};
		md_emit(e, &m);
	}
	cb_canceled(e, o, ts, dec, reason);
	e->st.nb_cancel++;
	return dec;
}

uint64_t fp_sim_engine_replace(struct fp_sim_engine *e, uint64_t ref,
			       const struct fp_sim_order_req *req, uint64_t ts)
{
	uint32_t i = fp_hmap_find(&e->by_ref, ref, FP_SIM_NIL);
	if (i == FP_SIM_NIL)
		return 0;
	struct fp_sim_order *o = &e->orders[i];
	struct fp_sim_sym *s = &e->syms[o->locate];
	/* OUCH §2.2 case 1: a replacement token already in use is silently ignored. */
	if (o->owner != FP_SIM_OWNER_MARKET && req->token != o->token &&
	    fp_hmap_find(&e->by_token, token_key(o->owner, req->token), FP_SIM_NIL) != FP_SIM_NIL)
		return 0;
	bool market = req->price == FP_SIM_PRICE_MARKET || req->price == INT64_C(2000000000);
	/* Case 2: invalid details cancel the original. A market price cannot rest. */
	if (req->qty == 0 || req->qty > FP_SIM_QTY_MAX || market ||
	    check_price(s, req->price) != 0) {
		resting_cancel_all(e, i, NULL, FP_SIM_CXL_SYSTEM, ts);
		return 0;
	}
	e->st.nb_replace++;
	uint32_t orig_token = o->token;
	uint8_t display = req->display ? req->display : o->display;
	if (req->qty <= o->exec_qty) {
		/* Nothing left liable: the replacement is dead on arrival. */
		uint32_t dec = o->open_qty;
		md_order(e, 'D', o, ts);
		order_unlink(e, i, NULL);
		o->open_qty = 0;
		if (is_client(o) && e->cfg.order_listener.on_replaced) {
			struct fp_sim_order_info inf;
			info_of(o, ts, &inf);
			inf.token = req->token;
			inf.live = 0;
			e->cfg.order_listener.on_replaced(e->cfg.order_listener.arg, &inf,
							  orig_token, ref);
		}
		(void)dec;
		return 0;
	}
	uint32_t new_open = req->qty - o->exec_qty;
	bool keep = req->price == o->price && new_open <= o->open_qty && display == o->display &&
		    req->tif == o->tif;
	if (keep) {
		/* Priority kept: same ref, reduce in place (md 'X'), token re-keyed. */
		uint32_t dec = o->open_qty - new_open;
		if (dec) {
			int k = side_idx(o->side);
			bool found;
			uint32_t li = level_find(&s->side[k], k, o->price, &found);
			s->side[k].lv[li].qty -= dec;
			o->open_qty = new_open;
			if (o->display != FP_SIM_DISPLAY_HIDDEN) {
				struct fp_sim_md m = {.ts_ns = ts,
						      .type = 'X',
						      .locate = o->locate,
						      .ref = o->ref,
						      .qty = dec};
				md_emit(e, &m);
			}
		}
		if (o->owner != FP_SIM_OWNER_MARKET) {
			(void)fp_hmap_del(&e->by_token, token_key(o->owner, o->token));
			(void)fp_hmap_put(&e->by_token, token_key(o->owner, req->token), i);
		}
		o->token = req->token;
		o->user = req->user;
		if (is_client(o) && e->cfg.order_listener.on_replaced) {
			struct fp_sim_order_info inf;
			info_of(o, ts, &inf);
			e->cfg.order_listener.on_replaced(e->cfg.order_listener.arg, &inf,
							  orig_token, ref);
		}
		return o->ref;
	}
	/* Priority lost: take the order off its level (no message yet), give it a new ref and
	 * the new details, publish 'U' (or D/A when visibility changes), then match it. */
	struct fp_sim_order old = *o;
	order_unlink(e, i, NULL);
	uint32_t j = order_alloc(e); /* the slot just freed: never NIL */
	struct fp_sim_order *n = &e->orders[j];
	*n = old;
	n->ref = e->next_ref++;
	n->token = req->token;
	n->user = req->user;
	n->price = req->price;
	n->open_qty = new_open;
	n->tif = req->tif;
	n->display = display;
	n->live = 1;
	n->pick_idx = FP_SIM_NIL;
	bool old_vis = old.display != FP_SIM_DISPLAY_HIDDEN;
	bool new_vis = display != FP_SIM_DISPLAY_HIDDEN;
	if (is_client(n) && e->cfg.order_listener.on_replaced) {
		struct fp_sim_order_info inf;
		info_of(n, ts, &inf);
		e->cfg.order_listener.on_replaced(e->cfg.order_listener.arg, &inf, orig_token, ref);
	}
	uint64_t new_ref = n->ref;
	/* A replace that crosses trades first (the replacement is an incoming order); the
	 * feed then shows the original deleted and, if some rests, the replacement added.
	 * One that does not cross is published as a single 'U', as the venue does. */
	int k = side_idx(n->side) ^ 1;
	const struct fp_sim_book_side *opp = &s->side[k];
	bool crossing = s->state == FP_SIM_STATE_TRADING && opp->nb &&
			crosses(n->side, n->price, opp->lv[opp->nb - 1].price);
	if (!crossing && n->tif != FP_SIM_TIF_IOC && old_vis && new_vis &&
	    add_type(&old) == add_type(n)) {
		if (!order_rest(e, j)) {
			uint32_t dec = n->open_qty;
			md_order(e, 'D', &old, ts);
			n->open_qty = 0;
			cb_canceled(e, n, ts, dec, FP_SIM_CXL_SYSTEM);
			n->next = e->free_head;
			e->free_head = j;
			return 0;
		}
		struct fp_sim_md m = {.ts_ns = ts,
				      .type = 'U',
				      .locate = n->locate,
				      .ref = old.ref,
				      .new_ref = n->ref,
				      .qty = n->open_qty,
				      .price = n->price};
		md_emit(e, &m);
		return new_ref;
	}
	md_order(e, 'D', &old, ts);
	execute_incoming(e, j, ts);
	return new_ref;
}

uint32_t fp_sim_engine_mass_cancel(struct fp_sim_engine *e, uint32_t owner, uint16_t locate,
				   uint8_t side, uint8_t reason, uint64_t ts)
{
	if (owner >= e->cfg.max_owners)
		return 0;
	uint32_t n = 0;
	uint32_t i = e->own_head[owner];
	while (i != FP_SIM_NIL) {
		uint32_t next = e->orders[i].own_next;
		const struct fp_sim_order *o = &e->orders[i];
		if ((!locate || o->locate == locate) && (!side || o->side == side)) {
			resting_cancel_all(e, i, NULL, reason, ts);
			n++;
		}
		i = next;
	}
	return n;
}

/* One step of the reopening cross: trade the crossed top of book at one price (the midpoint
 * of best bid and best ask, rounded down to the tick), every execution published as a
 * non-printable 'C', then one 'Q' for the step. Returns false when the book is not crossed. */
static bool uncross_step(struct fp_sim_engine *e, uint16_t locate, uint64_t ts)
{
	struct fp_sim_sym *s = &e->syms[locate];
	struct fp_sim_book_side *b = &s->side[0], *a = &s->side[1];
	if (!b->nb || !a->nb || b->lv[b->nb - 1].price < a->lv[a->nb - 1].price)
		return false;
	int64_t bp = b->lv[b->nb - 1].price, ap = a->lv[a->nb - 1].price;
	int64_t tick = ap < 10000 ? 1 : s->tick;
	int64_t cp = ap + ((bp - ap) / 2 / tick) * tick;
	uint64_t total = 0;
	uint64_t last_match = 0;
	while (b->nb && a->nb && b->lv[b->nb - 1].price >= cp && a->lv[a->nb - 1].price <= cp) {
		struct fp_sim_level *bl = &b->lv[b->nb - 1], *al = &a->lv[a->nb - 1];
		uint32_t bi = bl->head, ai = al->head;
		struct fp_sim_order *bo = &e->orders[bi], *ao = &e->orders[ai];
		uint32_t q = FP_MIN(bo->open_qty, ao->open_qty);
		uint64_t match = e->next_match++;
		last_match = match;
		e->st.nb_trades++;
		e->st.nb_shares += q;
		total += q;
		struct fp_sim_order *side_o[2] = {bo, ao};
		struct fp_sim_level *side_l[2] = {bl, al};
		uint32_t side_i[2] = {bi, ai};
		/* Asks first: removing the bid level cannot move the ask array, and vice
		 * versa (separate arrays), so both level pointers stay valid. */
		for (int k = 0; k < 2; k++) {
			struct fp_sim_order *o = side_o[k];
			if (o->display != FP_SIM_DISPLAY_HIDDEN) {
				struct fp_sim_md m = {.ts_ns = ts,
						      .type = 'C',
						      .locate = locate,
						      .ref = o->ref,
						      .qty = q,
						      .match_number = match,
						      .printable = 'N',
						      .price = cp};
				md_emit(e, &m);
			}
			o->exec_qty += q;
			if (q == o->open_qty) {
				order_unlink(e, side_i[k], side_l[k]);
				o->open_qty = 0;
			} else {
				o->open_qty -= q;
				side_l[k]->qty -= q;
			}
			cb_executed(e, o, ts, q, cp, match, FP_SIM_LIQ_HALT_CROSS);
		}
	}
	struct fp_sim_md m = {.ts_ns = ts,
			      .type = 'Q',
			      .locate = locate,
			      .qty = (uint32_t)total,
			      .price = cp,
			      .match_number = last_match,
			      .cross_type = 'H'};
	memcpy(m.stock, s->stock, 8);
	md_emit(e, &m);
	return true;
}

int fp_sim_engine_set_state(struct fp_sim_engine *e, uint16_t locate, uint8_t state,
			    const char *reason, uint64_t ts)
{
	if (locate == 0 || locate > e->cfg.max_symbols || !e->syms[locate].present)
		return fp_err_set(-EINVAL, "unknown stock locate %u", locate);
	if (state != FP_SIM_STATE_TRADING && state != FP_SIM_STATE_HALTED &&
	    state != FP_SIM_STATE_PAUSED && state != FP_SIM_STATE_QUOTATION)
		return fp_err_set(-EINVAL, "trading state '%c' is not one of T H P Q", state);
	struct fp_sim_sym *s = &e->syms[locate];
	uint8_t was = s->state;
	s->state = state;
	struct fp_sim_md m = {.ts_ns = ts, .type = 'H', .locate = locate, .state = state};
	memcpy(m.stock, s->stock, 8);
	memset(m.reason, ' ', 4);
	for (int i = 0; reason && i < 4 && reason[i]; i++)
		m.reason[i] = reason[i];
	md_emit(e, &m);
	if (state == FP_SIM_STATE_TRADING && was != FP_SIM_STATE_TRADING)
		while (uncross_step(e, locate, ts))
			;
	return 0;
}

/* ---------------------------------------------------------------- queries */

uint64_t fp_sim_engine_lookup(const struct fp_sim_engine *e, uint32_t owner, uint32_t token)
{
	if (owner == FP_SIM_OWNER_MARKET || owner >= e->cfg.max_owners)
		return 0;
	uint32_t i = fp_hmap_find(&e->by_token, token_key(owner, token), FP_SIM_NIL);
	return i == FP_SIM_NIL ? 0 : e->orders[i].ref;
}

bool fp_sim_engine_order(const struct fp_sim_engine *e, uint64_t ref, struct fp_sim_order_info *o)
{
	uint32_t i = fp_hmap_find(&e->by_ref, ref, FP_SIM_NIL);
	if (i == FP_SIM_NIL)
		return false;
	info_of(&e->orders[i], 0, o);
	return true;
}

void fp_sim_engine_bbo(const struct fp_sim_engine *e, uint16_t locate, int64_t *bid_px,
		       uint64_t *bid_qty, int64_t *ask_px, uint64_t *ask_qty)
{
	int64_t px[2] = {0, 0};
	uint64_t q[2] = {0, 0};
	if (locate && locate <= e->cfg.max_symbols && e->syms[locate].present) {
		for (int k = 0; k < 2; k++) {
			const struct fp_sim_book_side *bs = &e->syms[locate].side[k];
			if (bs->nb) {
				px[k] = bs->lv[bs->nb - 1].price;
				q[k] = bs->lv[bs->nb - 1].qty;
			}
		}
	}
	if (bid_px)
		*bid_px = px[0];
	if (bid_qty)
		*bid_qty = q[0];
	if (ask_px)
		*ask_px = px[1];
	if (ask_qty)
		*ask_qty = q[1];
}

uint32_t fp_sim_engine_depth(const struct fp_sim_engine *e, uint16_t locate, uint8_t side)
{
	if (!locate || locate > e->cfg.max_symbols || !e->syms[locate].present)
		return 0;
	return e->syms[locate].side[side_idx(side)].nb;
}

uint32_t fp_sim_engine_market_orders(const struct fp_sim_engine *e, uint16_t locate)
{
	if (!locate || locate > e->cfg.max_symbols)
		return 0;
	return e->syms[locate].nb_pick;
}

uint64_t fp_sim_engine_market_order_at(const struct fp_sim_engine *e, uint16_t locate, uint32_t i)
{
	if (!locate || locate > e->cfg.max_symbols || i >= e->syms[locate].nb_pick)
		return 0;
	return e->orders[e->syms[locate].pick[i]].ref;
}

uint32_t fp_sim_engine_foreach_order(const struct fp_sim_engine *e, uint16_t locate,
				     void (*fn)(void *arg, const struct fp_sim_order_info *o),
				     void *arg)
{
	if (!locate || locate > e->cfg.max_symbols || !e->syms[locate].present)
		return 0;
	uint32_t n = 0;
	for (int k = 0; k < 2; k++) {
		const struct fp_sim_book_side *bs = &e->syms[locate].side[k];
		for (uint32_t li = bs->nb; li-- > 0;) /* (1): the best level is the last */
			for (uint32_t i = bs->lv[li].head; i != FP_SIM_NIL; i = e->orders[i].next) {
				struct fp_sim_order_info o;
				info_of(&e->orders[i], 0, &o);
				fn(arg, &o);
				n++;
			}
	}
	return n;
}

uint8_t fp_sim_engine_state(const struct fp_sim_engine *e, uint16_t locate)
{
	if (!locate || locate > e->cfg.max_symbols || !e->syms[locate].present)
		return 0;
	return e->syms[locate].state;
}

const struct fp_sim_engine_stats *fp_sim_engine_stats(const struct fp_sim_engine *e)
{
	return &e->st;
}

/* ---------------------------------------------------------------- checks and dump */

#define CHECK(cond, ...)                                         \
	do {                                                     \
		if (!(cond))                                     \
			return fp_err_set(-EPROTO, __VA_ARGS__); \
	} while (0)

int fp_sim_engine_check(const struct fp_sim_engine *e)
{
	uint32_t live = 0;
	for (uint32_t l = 1; l <= e->cfg.max_symbols; l++) {
		const struct fp_sim_sym *s = &e->syms[l];
		if (!s->present)
			continue;
		uint32_t picks = 0;
		for (int k = 0; k < 2; k++) {
			const struct fp_sim_book_side *bs = &s->side[k];
			for (uint32_t li = 0; li < bs->nb; li++) {
				const struct fp_sim_level *lv = &bs->lv[li];
				if (li) {
					int64_t p0 = bs->lv[li - 1].price;
					CHECK(k == 0 ? p0 < lv->price : p0 > lv->price,
					      "(1) %.8s side %d levels %u,%u out of order",
					      s->stock, k, li - 1, li);
				}
				CHECK(lv->head != FP_SIM_NIL, "(1) %.8s empty level", s->stock);
				uint64_t sum = 0;
				uint32_t prev = FP_SIM_NIL;
				for (uint32_t i = lv->head; i != FP_SIM_NIL;
				     i = e->orders[i].next) {
					const struct fp_sim_order *o = &e->orders[i];
					CHECK(o->live && o->open_qty > 0,
					      "(2) dead order %u in level", i);
					CHECK(o->prev == prev, "(3) broken prev link at order %u",
					      i);
					CHECK(o->locate == l && side_idx(o->side) == k &&
						      o->price == lv->price,
					      "(3) order %" PRIu64 " in the wrong level", o->ref);
					CHECK(fp_hmap_find(&e->by_ref, o->ref, FP_SIM_NIL) == i,
					      "(4) ref %" PRIu64 " not indexed", o->ref);
					if (o->owner)
						CHECK(fp_hmap_find(&e->by_token,
								   token_key(o->owner, o->token),
								   FP_SIM_NIL) == i,
						      "(4) token %u of owner %u not indexed",
						      o->token, o->owner);
					else
						CHECK(o->pick_idx == FP_SIM_NIL ||
							      s->pick[o->pick_idx] == i,
						      "(5) pick index of %" PRIu64, o->ref);
					picks += o->owner == 0;
					sum += o->open_qty;
					prev = i;
					live++;
				}
				CHECK(lv->tail == prev, "(3) %.8s level tail", s->stock);
				CHECK(sum == lv->qty,
				      "(2) %.8s level %" PRId64 " qty %" PRIu64 " != sum %" PRIu64,
				      s->stock, lv->price, lv->qty, sum);
			}
		}
		CHECK(picks == s->nb_pick, "(5) %.8s pick count %u != %u", s->stock, s->nb_pick,
		      picks);
		if (s->state == FP_SIM_STATE_TRADING && s->side[0].nb && s->side[1].nb)
			CHECK(s->side[0].lv[s->side[0].nb - 1].price <
				      s->side[1].lv[s->side[1].nb - 1].price,
			      "(6) %.8s crossed while trading", s->stock);
	}
	CHECK(live == e->st.nb_live, "live count %u != %u on books", e->st.nb_live, live);
	return 0;
}

void fp_sim_engine_dump(FILE *out, const struct fp_sim_engine *e, uint16_t locate)
{
	if (!locate || locate > e->cfg.max_symbols || !e->syms[locate].present) {
		fprintf(out, "locate %u: no such symbol\n", locate);
		return;
	}
	const struct fp_sim_sym *s = &e->syms[locate];
	fprintf(out, "book %.8s (locate %u, state %c)\n", s->stock, locate, s->state);
	for (int k = 1; k >= 0; k--) {
		const struct fp_sim_book_side *bs = &s->side[k];
		for (uint32_t n = 0; n < bs->nb; n++) {
			/* asks worst→best, then bids best→worst */
			uint32_t li = k == 1 ? n : bs->nb - 1 - n;
			const struct fp_sim_level *lv = &bs->lv[li];
			fprintf(out, "  %s %" PRId64 " qty %" PRIu64 ":", k ? "ask" : "bid",
				lv->price, lv->qty);
			for (uint32_t i = lv->head; i != FP_SIM_NIL; i = e->orders[i].next)
				fprintf(out, " #%" PRIu64 "/%u(o%u)", e->orders[i].ref,
					e->orders[i].open_qty, e->orders[i].owner);
			fprintf(out, "\n");
		}
	}
}
