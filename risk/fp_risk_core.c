/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_risk_core.c - the pre-trade check engine (see fp_risk_core.h for the accounting).
 *
 * Risk thread only for everything but init/fini/roll. Invariants:
 *  (1) sym[s].open_buy / open_sell = sum of leaves of OPEN orders in s per side; the same
 *      for the open notionals (leaves x limit price) per strategy and firm, and open_orders.
 *  (2) region->firm.realized and .unreal = sums over strategies' lines; firm gross and net
 *      are computed on the netted per-symbol cost (sym[s].cost), strategies' on their own.
 *  (3) an order id, once in the table, stays for the day (OPEN, then DONE), so duplicates are
 *      refused until fp_risk_daily_roll(). Entries are never deleted inside a day, so linear
 *      probing chains never break.
 *  (4) a position entry, once created for (strategy, symbol), stays (the region is
 *      append-only inside a day and across days).
 * Check order (first failure wins): kill, breaker, ids, side, trading state, restricted,
 * venue halt, stale book, quantity, price, collar, notional, position, open orders, gross,
 * net, daily loss, losses in a row, duplicate id, throttles. Orders that strictly reduce the
 * symbol's position skip gross, net, daily loss and losses in a row, so that exits can leave.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fp_err.h"
#include "fp_risk_core.h"

/* Longest probe sequence of the hash tables; a longer one is "capacity". */
#define FP_RISK_PROBE_MAX 32

/* ---- helpers ---- */

/*
 * Slot of @p coid on probe @p k. Ids are usually (strategy << 48 | sequence), so consecutive
 * ids of a strategy should land in consecutive slots (one cache line holds two entries, and
 * the next insert is in the line just written). The table is cut into blocks of 64 slots:
 * the low 6 bits of the id pick the slot inside a block, and a multiplicative hash of the
 * other bits and the probe number picks the block. Ids 64 apart never compete for a slot;
 * two ranges that hash to the same block move to another block on the next probe (double
 * hashing by block), so clusters stay short at any load.
 */
static inline uint32_t ord_slot(const struct fp_risk_core *rc, uint64_t coid, uint32_t k)
{
	uint64_t x = ((coid >> 6) + (uint64_t)k * 0x632BE59BD9B4E019ULL) * 0x9E3779B97F4A7C15ULL;
	uint32_t block = (uint32_t)(x >> 32) & (rc->order_mask >> 6);
	return block << 6 | (uint32_t)(coid & 63);
}

static inline uint32_t pos_hash(uint16_t strat, uint32_t sym)
{
	uint64_t k = ((uint64_t)strat << 32 | sym) * 0x9E3779B97F4A7C15ULL;
	return (uint32_t)(k >> 32);
}

static inline int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

static inline int side_is_buy(uint8_t side)
{
	return side == FP_SIDE_BUY;
}

static inline int side_valid(uint8_t side)
{
	return side == FP_SIDE_BUY || side == FP_SIDE_SELL || side == FP_SIDE_SELL_SHORT ||
	       side == FP_SIDE_SHORT_EXEMPT;
}

/*
 * Find @p coid. Returns the entry (any state) or NULL; *slot receives the free slot where it
 * would go (UINT32_MAX when the probe limit was reached: the table is too full).
 */
static inline struct fp_risk_order *ord_lookup(const struct fp_risk_core *rc, uint64_t coid,
					       uint32_t *slot)
{
	for (uint32_t i = 0; i < FP_RISK_PROBE_MAX; i++) {
		uint32_t s = ord_slot(rc, coid, i);
		struct fp_risk_order *o = &rc->orders[s];
		if (o->state == FP_RISK_ORD_FREE) {
			*slot = s;
			return NULL;
		}
		if (o->client_order_id == coid) {
			*slot = s;
			return o;
		}
	}
	*slot = UINT32_MAX;
	return NULL;
}

static struct fp_risk_pos *pos_lookup(const struct fp_risk_core *rc, uint16_t strat, uint32_t sym,
				      uint32_t *slot)
{
	uint32_t h = pos_hash(strat, sym);
	for (uint32_t i = 0; i < FP_RISK_PROBE_MAX; i++) {
		uint32_t s = (h + i) & rc->pos_mask;
		uint32_t idx = rc->pos_index[s];
		if (idx == 0) {
			*slot = s;
			return NULL;
		}
		struct fp_risk_pos *p = &rc->region->pos[idx - 1];
		if (p->strategy_id == strat && p->symbol_id == sym) {
			*slot = s;
			return p;
		}
	}
	*slot = UINT32_MAX;
	return NULL;
}

/* Find or create the entry; NULL only when the table is full. */
static struct fp_risk_pos *pos_get(struct fp_risk_core *rc, uint16_t strat, uint32_t sym)
{
	uint32_t slot;
	struct fp_risk_pos *p = pos_lookup(rc, strat, sym, &slot);
	if (fp_likely(p != NULL))
		return p;
	uint32_t n = atomic_load_explicit(&rc->region->nb_used, memory_order_relaxed);
	if (slot == UINT32_MAX || n >= rc->pos_capacity)
		return NULL;
	p = &rc->region->pos[n];
	fp_seqlock_write_begin(&p->lock);
	p->strategy_id = strat;
	p->symbol_id = sym;
	fp_seqlock_write_end(&p->lock);
	rc->pos_index[slot] = n + 1;
	rc->sym[sym].strat_mask |= 1ULL << strat;
	/* release: a reader that sees nb_used sees the entry's ids (pairs with its acquire) */
	atomic_store_explicit(&rc->region->nb_used, n + 1, memory_order_release);
	return p;
}

const struct fp_risk_pos *fp_risk_pos_find(const struct fp_risk_core *rc, uint16_t strategy_id,
					   uint32_t symbol_id)
{
	uint32_t slot;
	return pos_lookup(rc, strategy_id, symbol_id, &slot);
}

const struct fp_risk_order *fp_risk_order_find(const struct fp_risk_core *rc, uint64_t coid)
{
	uint32_t slot;
	return ord_lookup(rc, coid, &slot);
}

/* ---- lifecycle ---- */

/*
 * Big tables (the order table is tens of MiB) on 2 MiB pages where the kernel allows it
 * (transparent huge pages, madvise mode): a fresh block of the order table is then rarely a
 * TLB miss. Cold; falls back to small pages silently. Released with free().
 */
static void *big_alloc(size_t bytes)
{
	const size_t huge = 2u << 20;
	if (bytes < huge)
		return aligned_alloc(FP_CACHE_LINE, FP_ALIGN_UP(bytes, (size_t)FP_CACHE_LINE));
	void *p = aligned_alloc(huge, FP_ALIGN_UP(bytes, huge));
	if (p)
		(void)madvise(p, FP_ALIGN_UP(bytes, huge), MADV_HUGEPAGE);
	return p;
}

size_t fp_risk_pos_region_memsize(uint32_t capacity)
{
	return sizeof(struct fp_risk_pos_region) + (size_t)capacity * sizeof(struct fp_risk_pos);
}

void fp_risk_pos_region_init(struct fp_risk_pos_region *r, uint32_t capacity)
{
	memset(r, 0, fp_risk_pos_region_memsize(capacity));
	r->magic = FP_RISK_POS_MAGIC;
	r->version = FP_RISK_POS_VERSION;
	r->capacity = capacity;
}

int fp_risk_core_init(struct fp_risk_core *rc, const struct fp_risk_core_cfg *cfg)
{
	memset(rc, 0, sizeof(*rc));
	if (cfg->nb_symbols < 2 || cfg->nb_symbols > FP_RISK_MAX_SYMBOLS)
		return fp_err_set(-EINVAL, "risk: nb_symbols %" PRIu32 " not in 2..%d",
				  cfg->nb_symbols, FP_RISK_MAX_SYMBOLS);
	if (!FP_IS_POW2(cfg->order_capacity) || cfg->order_capacity < 64)
		return fp_err_set(-EINVAL,
				  "risk: order_capacity %" PRIu32 " must be a power of 2 >= 64",
				  cfg->order_capacity);
	if (!FP_IS_POW2(cfg->pos_capacity) || cfg->pos_capacity < 16 ||
	    cfg->pos_capacity > (1u << 24))
		return fp_err_set(-EINVAL,
				  "risk: pos_capacity %" PRIu32 " must be a power of 2 in 16..2^24",
				  cfg->pos_capacity);
	if (cfg->pos_region && (cfg->pos_region->magic != FP_RISK_POS_MAGIC ||
				cfg->pos_region->capacity < cfg->pos_capacity))
		return fp_err_set(-EINVAL,
				  "risk: positions region not formatted for %" PRIu32 " entries",
				  cfg->pos_capacity);

	rc->nb_symbols = cfg->nb_symbols;
	rc->order_mask = cfg->order_capacity - 1;
	rc->pos_capacity = cfg->pos_capacity;
	rc->pos_mask = 2 * cfg->pos_capacity - 1; /* load factor <= 1/2 */
	rc->kill_word = cfg->kill_word;
	rc->trading_word = cfg->trading_word;
	rc->next_exit_id = 1;
	/* calloc touches nothing; memset below does, so no page fault happens later. */
	rc->sym = aligned_alloc(FP_CACHE_LINE, sizeof(*rc->sym) * cfg->nb_symbols);
	rc->orders = big_alloc(sizeof(*rc->orders) * cfg->order_capacity);
	rc->pos_index = aligned_alloc(FP_CACHE_LINE, sizeof(uint32_t) * 2 * cfg->pos_capacity);
	if (cfg->pos_region) {
		rc->region = cfg->pos_region;
	} else {
		size_t sz = FP_ALIGN_UP(fp_risk_pos_region_memsize(cfg->pos_capacity),
					(size_t)FP_CACHE_LINE);
		rc->region = aligned_alloc(FP_CACHE_LINE, sz);
		rc->owns_region = 1;
		if (rc->region)
			fp_risk_pos_region_init(rc->region, cfg->pos_capacity);
	}
	if (!rc->sym || !rc->orders || !rc->pos_index || !rc->region) {
		fp_risk_core_fini(rc);
		return fp_err_set(-ENOMEM,
				  "risk: cannot allocate tables for %" PRIu32 " symbols, %" PRIu32
				  " orders",
				  cfg->nb_symbols, cfg->order_capacity);
	}
	memset(rc->sym, 0, sizeof(*rc->sym) * cfg->nb_symbols);
	memset(rc->orders, 0, sizeof(*rc->orders) * cfg->order_capacity);
	memset(rc->pos_index, 0, sizeof(uint32_t) * 2 * cfg->pos_capacity);
	/* Rebuild the index of a region that already holds positions (restart). */
	uint32_t n = atomic_load_explicit(&rc->region->nb_used, memory_order_acquire);
	for (uint32_t i = 0; i < n; i++) {
		struct fp_risk_pos *p = &rc->region->pos[i];
		uint32_t slot;
		if (p->symbol_id >= rc->nb_symbols || p->strategy_id >= FP_RISK_MAX_STRATEGIES ||
		    pos_lookup(rc, p->strategy_id, p->symbol_id, &slot) || slot == UINT32_MAX)
			continue;
		rc->pos_index[slot] = i + 1;
		rc->sym[p->symbol_id].strat_mask |= 1ULL << p->strategy_id;
		rc->sym[p->symbol_id].position += p->position;
		rc->sym[p->symbol_id].cost += p->cost;
	}
	return 0;
}

void fp_risk_core_fini(struct fp_risk_core *rc)
{
	if (!rc)
		return;
	free(rc->sym);
	free(rc->orders);
	free(rc->pos_index);
	if (rc->owns_region)
		free(rc->region);
	rc->sym = NULL;
	rc->orders = NULL;
	rc->pos_index = NULL;
	rc->region = NULL;
	rc->owns_region = 0;
}

/* ---- checks ---- */

/* GCRA throttle: may one more event pass at @p now? (no state change) */
static inline int gcra_ok(uint64_t tat, uint64_t iv, uint64_t tau, uint64_t now)
{
	return iv == 0 || tat <= now + tau;
}

static inline uint64_t gcra_next(uint64_t tat, uint64_t iv, uint64_t now)
{
	return (tat > now ? tat : now) + iv;
}

/* Does an order of @p qty on @p buy side strictly reduce the firm position in @p s,
 * counting the same-side open orders (so that several reducing orders cannot flip it)? */
static inline int reduces(const struct fp_risk_sym_state *s, int buy, int64_t qty,
			  int64_t same_side_open)
{
	if (buy)
		return s->position < 0 && s->position + same_side_open + qty <= 0;
	return s->position > 0 && s->position - same_side_open - qty >= 0;
}

/*
 * Does a reject count toward the rejects-in-a-row breaker? That breaker catches a strategy
 * gone wrong. A refusal the firm imposes (kill switch, open breaker, halted trading) says
 * nothing about the strategy, and counting it would re-trip the breaker after every kill
 * (and the journal would restore it open at the next start); a cancel or replace that lost
 * the race with a fill or a cancel (unknown order) is the everyday race of market making.
 */
static inline bool counts_as_strategy_error(enum fp_risk_reason r)
{
	return r != FP_RISK_KILL_SWITCH && r != FP_RISK_BREAKER_OPEN && r != FP_RISK_STATE_HALTED &&
	       r != FP_RISK_UNKNOWN_ORDER;
}

static inline enum fp_risk_reason reject(struct fp_risk_core *rc, enum fp_risk_reason r)
{
	rc->cnt.rejected[r]++;
	rc->consec_rejects += counts_as_strategy_error(r);
	return r;
}

static enum fp_risk_reason check_cancel(struct fp_risk_core *rc, const struct fp_risk_limits *lim,
					const struct fp_event *ev, uint64_t now)
{
	const struct fp_ev_order *o = &ev->u.order;
	if (o->strategy_id >= FP_RISK_MAX_STRATEGIES)
		return reject(rc, FP_RISK_UNKNOWN_STRATEGY);
	uint32_t slot;
	const struct fp_risk_order *old = ord_lookup(rc, o->orig_client_order_id, &slot);
	if (!old || old->state != FP_RISK_ORD_OPEN ||
	    (old->strategy_id != o->strategy_id && ev->source != FP_RISK_SOURCE_EXIT))
		return reject(rc, FP_RISK_UNKNOWN_ORDER); /* not open, or another strategy's */
	const struct fp_risk_strat_limits *ls = &lim->strat[o->strategy_id];
	const struct fp_risk_sym_limits *ly = &lim->sym[old->symbol_id];
	struct fp_risk_strat_state *st = &rc->strat[o->strategy_id];
	struct fp_risk_sym_state *s = &rc->sym[old->symbol_id];
	if (!gcra_ok(st->cancel_tat, ls->cancel_iv_tsc, ls->cancel_tau_tsc, now))
		return reject(rc, FP_RISK_CANCEL_RATE_STRATEGY);
	if (!gcra_ok(s->cancel_tat, ly->cancel_iv_tsc, ly->cancel_tau_tsc, now))
		return reject(rc, FP_RISK_CANCEL_RATE_SYMBOL);
	if (ls->cancel_iv_tsc)
		st->cancel_tat = gcra_next(st->cancel_tat, ls->cancel_iv_tsc, now);
	if (ly->cancel_iv_tsc)
		s->cancel_tat = gcra_next(s->cancel_tat, ly->cancel_iv_tsc, now);
	rc->cnt.accepted++;
	rc->consec_rejects = 0;
	return FP_RISK_OK;
}

/* New order, or the new leg of a replace (@p old = the order it replaces). */
static enum fp_risk_reason check_new(struct fp_risk_core *rc, const struct fp_risk_limits *lim,
				     const struct fp_event *ev, uint64_t now,
				     struct fp_risk_order *old, uint32_t old_slot)
{
	const struct fp_ev_order *o = &ev->u.order;
	const uint32_t sym = ev->symbol_id;
	const uint16_t sid = o->strategy_id;

	if (fp_unlikely(sym == 0 || sym >= rc->nb_symbols || sym >= lim->nb_symbols))
		return reject(rc, FP_RISK_UNKNOWN_SYMBOL);
	if (fp_unlikely(sid >= FP_RISK_MAX_STRATEGIES || !lim->strat[sid].enabled))
		return reject(rc, FP_RISK_UNKNOWN_STRATEGY);
	if (fp_unlikely(!side_valid(o->side) || o->client_order_id == 0))
		return reject(rc, FP_RISK_BAD_ORDER);

	const struct fp_risk_global_limits *lg = &lim->g;
	const struct fp_risk_strat_limits *ls = &lim->strat[sid];
	const struct fp_risk_sym_limits *ly = &lim->sym[sym];
	struct fp_risk_sym_state *s = &rc->sym[sym];
	struct fp_risk_strat_state *st = &rc->strat[sid];
	const struct fp_risk_pnl *fp = &rc->region->firm;
	const struct fp_risk_pnl *sp = &rc->region->strat[sid];
	const int buy = side_is_buy(o->side);
	const int64_t qty = o->shares;
	const int64_t price = o->price;

	/* A replace takes the place of the old order's leaves on the same side. */
	int64_t old_qty = 0, old_notional = 0;
	if (old) {
		if (old->symbol_id != sym || side_is_buy(old->side) != buy)
			return reject(rc, FP_RISK_BAD_ORDER);
		old_qty = old->leaves;
		old_notional = (int64_t)old->leaves * old->price;
	}
	const int64_t open_same = (buy ? s->open_buy : s->open_sell) - old_qty;
	const int is_reducing = reduces(s, buy, qty, open_same);

	uint32_t state = FP_MAX(lg->state, ls->state);
	if (fp_unlikely(state != FP_RISK_ACTIVE)) {
		if (state == FP_RISK_HALTED)
			return reject(rc, FP_RISK_STATE_HALTED);
		if (!is_reducing)
			return reject(rc, FP_RISK_STATE_REDUCING);
	}
	if (fp_unlikely(ly->flags & FP_RISK_SYMF_RESTRICTED))
		return reject(rc, FP_RISK_RESTRICTED);
	if (fp_unlikely(s->flags & FP_RISK_SYM_HALTED))
		return reject(rc, FP_RISK_SYMBOL_HALTED);
	if (fp_unlikely((s->flags & FP_RISK_SYM_STALE) ||
			(lg->stale_tsc && (s->top_tsc == 0 || now - s->top_tsc > lg->stale_tsc))))
		return reject(rc, FP_RISK_BOOK_STALE);

	if (qty < ly->qty_min)
		return reject(rc, FP_RISK_QTY_MIN);
	if (qty > ly->qty_max)
		return reject(rc, FP_RISK_QTY_MAX);
	if (price < ly->price_min)
		return reject(rc, FP_RISK_PRICE_MIN);
	if (price > ly->price_max)
		return reject(rc, FP_RISK_PRICE_MAX);
	if (ly->collar_bps) {
		if (s->mid <= 0)
			return reject(rc, FP_RISK_NO_REFERENCE);
		/* |price - mid| / mid > collar_bps / 10000, without division */
		if ((__int128)abs64(price - s->mid) * 10000 > (__int128)ly->collar_bps * s->mid)
			return reject(rc, FP_RISK_COLLAR);
	}
	int64_t notional;
	if (__builtin_mul_overflow(price, qty, &notional) || notional > ly->max_notional)
		return reject(rc, FP_RISK_NOTIONAL);

	/* worst case: every same-side open order fills, then this one */
	if (buy ? s->position + open_same + qty > ly->max_position
		: open_same + qty - s->position > ly->max_position)
		return reject(rc, FP_RISK_POSITION);

	if (!old) { /* a replace leaves the counts as they are once the old leg closes */
		if (s->open_orders >= ly->max_open_orders)
			return reject(rc, FP_RISK_OPEN_ORDERS_SYMBOL);
		if (st->open_orders >= ls->max_open_orders)
			return reject(rc, FP_RISK_OPEN_ORDERS_STRATEGY);
		if (rc->open_orders >= lg->max_open_orders)
			return reject(rc, FP_RISK_OPEN_ORDERS_TOTAL);
	}

	if (!is_reducing) {
		int64_t add = notional - old_notional;
		if (fp->gross + rc->open_buy_notional + rc->open_sell_notional + add >
			    lg->max_gross ||
		    sp->gross + st->open_buy_notional + st->open_sell_notional + add >
			    ls->max_gross)
			return reject(rc, FP_RISK_GROSS);
		/* the instance's share of the firm's gross limit (docs/scale.md), on top */
		if (lg->firm_budget_on &&
		    fp->gross + rc->open_buy_notional + rc->open_sell_notional + add >
			    lg->firm_gross_budget)
			return reject(rc, FP_RISK_FIRM_BUDGET);
		if (buy ? (fp->net + rc->open_buy_notional + add > lg->max_net ||
			   sp->net + st->open_buy_notional + add > ls->max_net)
			: (fp->net - rc->open_sell_notional - add < -lg->max_net ||
			   sp->net - st->open_sell_notional - add < -ls->max_net))
			return reject(rc, FP_RISK_NET);
		if (fp->realized + fp->unreal < -lg->max_daily_loss ||
		    sp->realized + sp->unreal < -ls->max_daily_loss)
			return reject(rc, FP_RISK_DAILY_LOSS);
		if (fp->consec_losses >= lg->max_consec_losses ||
		    sp->consec_losses >= ls->max_consec_losses)
			return reject(rc, FP_RISK_CONSECUTIVE_LOSSES);
	}

	uint32_t slot;
	if (ord_lookup(rc, o->client_order_id, &slot))
		return reject(rc, FP_RISK_DUPLICATE_ID);
	if (fp_unlikely(slot == UINT32_MAX))
		return reject(rc, FP_RISK_CAPACITY);
	/* The position entry must exist before a fill can arrive. */
	if (fp_unlikely(!(s->strat_mask & (1ULL << sid))) && !pos_get(rc, sid, sym))
		return reject(rc, FP_RISK_CAPACITY);

	if (!gcra_ok(st->order_tat, ls->order_iv_tsc, ls->order_tau_tsc, now))
		return reject(rc, FP_RISK_ORDER_RATE_STRATEGY);
	if (!gcra_ok(s->order_tat, ly->order_iv_tsc, ly->order_tau_tsc, now))
		return reject(rc, FP_RISK_ORDER_RATE_SYMBOL);

	/* ---- accepted: record (invariant 1) ---- */
	if (ls->order_iv_tsc)
		st->order_tat = gcra_next(st->order_tat, ls->order_iv_tsc, now);
	if (ly->order_iv_tsc)
		s->order_tat = gcra_next(s->order_tat, ly->order_iv_tsc, now);
	rc->orders[slot] = (struct fp_risk_order){
		.client_order_id = o->client_order_id,
		.price = price,
		.leaves = (uint32_t)qty,
		.link = old ? old_slot + 1 : 0,
		.symbol_id = (uint16_t)sym,
		.strategy_id = sid,
		.side = buy ? FP_SIDE_BUY : FP_SIDE_SELL,
		.state = FP_RISK_ORD_OPEN,
		.flags = ev->source == FP_RISK_SOURCE_EXIT ? FP_RISK_ORDF_EXIT : 0,
	};
	rc->nb_orders++;
	/* The strategy's next ids go 8 slots (4 lines) further, or into a fresh block: fetch
	 * that line now, while it is not on the critical path of the next check. */
	__builtin_prefetch(&rc->orders[ord_slot(rc, o->client_order_id + 8, 0)], 1, 3);
	if (buy) {
		s->open_buy += qty;
		st->open_buy_notional += notional;
		rc->open_buy_notional += notional;
	} else {
		s->open_sell += qty;
		st->open_sell_notional += notional;
		rc->open_sell_notional += notional;
	}
	s->open_orders++;
	st->open_orders++;
	rc->open_orders++;
	if (ev->source == FP_RISK_SOURCE_EXIT) {
		uint32_t ps;
		struct fp_risk_pos *p = pos_lookup(rc, sid, sym, &ps);
		if (p)
			p->flags |= FP_RISK_POSF_EXITING;
	}
	rc->cnt.accepted++;
	rc->consec_rejects = 0;
	return FP_RISK_OK;
}

/* The control block: kill switch, then the instance's trading state (only ON trades).
 * Acquire: pairs with the stores of fp_shm_ctl_kill() / fp_shm_ctl_set_trading(). */
static inline enum fp_risk_reason ctl_reason(const struct fp_risk_core *rc)
{
	if (rc->kill_word && atomic_load_explicit(rc->kill_word, memory_order_acquire))
		return FP_RISK_KILL_SWITCH;
	if (rc->trading_word &&
	    atomic_load_explicit(rc->trading_word, memory_order_acquire) != FP_TRADING_ON)
		return FP_RISK_STATE_HALTED;
	return FP_RISK_OK;
}

enum fp_risk_reason fp_risk_check(struct fp_risk_core *rc, const struct fp_risk_limits *lim,
				  const struct fp_event *ev, uint64_t now)
{
	rc->cnt.checked++;
	switch (ev->type) {
	case FP_EV_ORDER_NEW:
		if (fp_unlikely(ctl_reason(rc) != FP_RISK_OK))
			return reject(rc, ctl_reason(rc));
		if (fp_unlikely(rc->breaker_open))
			return reject(rc, FP_RISK_BREAKER_OPEN);
		return check_new(rc, lim, ev, now, NULL, 0);
	case FP_EV_ORDER_REPLACE: {
		if (ctl_reason(rc) != FP_RISK_OK)
			return reject(rc, ctl_reason(rc));
		if (rc->breaker_open)
			return reject(rc, FP_RISK_BREAKER_OPEN);
		uint32_t slot;
		struct fp_risk_order *old = ord_lookup(rc, ev->u.order.orig_client_order_id, &slot);
		if (!old || old->state != FP_RISK_ORD_OPEN ||
		    old->strategy_id != ev->u.order.strategy_id)
			return reject(rc, FP_RISK_UNKNOWN_ORDER);
		return check_new(rc, lim, ev, now, old, slot);
	}
	case FP_EV_ORDER_CANCEL:
		return check_cancel(rc, lim, ev, now);
	case FP_EV_ORDER_MASS_CANCEL:
		rc->cnt.accepted++;
		return FP_RISK_OK;
	default:
		return reject(rc, FP_RISK_BAD_ORDER);
	}
}

void fp_risk_prefetch(const struct fp_risk_core *rc, const struct fp_risk_limits *lim,
		      const struct fp_event *ev)
{
	uint32_t sym = ev->symbol_id;
	if (sym >= rc->nb_symbols)
		return;
	__builtin_prefetch(&rc->sym[sym], 1, 3);
	__builtin_prefetch(&lim->sym[sym], 0, 3);
	__builtin_prefetch(
		&rc->orders[ord_slot(rc,
				     ev->type == FP_EV_ORDER_NEW ? ev->u.order.client_order_id
								 : ev->u.order.orig_client_order_id,
				     0)],
		1, 3);
}

/* ---- execution reports ---- */

/*
 * Apply a signed fill @p dq at @p price to (position, cost); return the realized P&L.
 * Exact when the position goes flat or flips (the whole cost leaves); a partial reduction
 * removes cost * q / |position|, truncated toward zero (a sub-unit remainder stays in cost
 * and is realized when the position closes).
 */
static int64_t fill_apply(int64_t *pos, int64_t *cost, int64_t dq, int64_t price)
{
	int64_t p = *pos;
	if (p == 0 || (p > 0) == (dq > 0)) {
		*pos = p + dq;
		*cost += dq * price;
		return 0;
	}
	int64_t ap = abs64(p), q = abs64(dq);
	if (q < ap) {
		int64_t removed = (int64_t)((__int128)*cost * q / ap);
		int64_t r = (p > 0 ? q * price : -q * price) - removed;
		*cost -= removed;
		*pos = p + dq;
		return r;
	}
	int64_t r = (p > 0 ? ap * price : -ap * price) - *cost;
	int64_t rest = q - ap;
	*pos = dq > 0 ? rest : -rest;
	*cost = *pos * price;
	return r;
}

/* Release @p q shares of an open order (invariant 1); close it when nothing is left. */
static void ord_release(struct fp_risk_core *rc, struct fp_risk_order *o, uint32_t q)
{
	if (q > o->leaves)
		q = o->leaves;
	struct fp_risk_sym_state *s = &rc->sym[o->symbol_id];
	struct fp_risk_strat_state *st = &rc->strat[o->strategy_id];
	int64_t n = (int64_t)q * o->price;
	if (o->side == FP_SIDE_BUY) {
		s->open_buy -= q;
		st->open_buy_notional -= n;
		rc->open_buy_notional -= n;
	} else {
		s->open_sell -= q;
		st->open_sell_notional -= n;
		rc->open_sell_notional -= n;
	}
	o->leaves -= q;
	if (o->leaves == 0 && o->state == FP_RISK_ORD_OPEN) {
		o->state = FP_RISK_ORD_DONE;
		s->open_orders--;
		st->open_orders--;
		rc->open_orders--;
		if (o->flags & FP_RISK_ORDF_EXIT) {
			uint32_t ps;
			struct fp_risk_pos *p = pos_lookup(rc, o->strategy_id, o->symbol_id, &ps);
			if (p)
				p->flags &= (uint16_t)~FP_RISK_POSF_EXITING;
		}
	}
}

static void ord_close(struct fp_risk_core *rc, struct fp_risk_order *o)
{
	ord_release(rc, o, o->leaves);
	if (o->state == FP_RISK_ORD_OPEN) { /* zero-leaves open order */
		o->state = FP_RISK_ORD_DONE;
		rc->sym[o->symbol_id].open_orders--;
		rc->strat[o->strategy_id].open_orders--;
		rc->open_orders--;
	}
}

static int64_t apply_fill(struct fp_risk_core *rc, const struct fp_risk_order *o, uint32_t q,
			  int64_t price)
{
	struct fp_risk_sym_state *s = &rc->sym[o->symbol_id];
	struct fp_risk_pos *p = pos_get(rc, o->strategy_id, o->symbol_id);
	struct fp_risk_pnl *sp = &rc->region->strat[o->strategy_id];
	struct fp_risk_pnl *fp = &rc->region->firm;
	int64_t dq = o->side == FP_SIDE_BUY ? (int64_t)q : -(int64_t)q;
	if (!p) { /* table full: keep the firm view right at least */
		rc->cnt.unknown_exec++;
		return 0;
	}

	fp_seqlock_write_begin(&p->lock);
	int64_t was_pos = p->position, old_cost = p->cost, old_unreal = p->unreal;
	int64_t r = fill_apply(&p->position, &p->cost, dq, price);
	p->realized += r;
	int64_t mark = s->mid > 0 ? s->mid : price;
	p->mark = mark;
	if (was_pos == 0 || (was_pos > 0) != (p->position > 0))
		p->best_mark = price; /* a new position (opened or flipped) */
	p->unreal = p->position * mark - p->cost;
	fp_seqlock_write_end(&p->lock);

	int64_t sym_old_cost = s->cost;
	fill_apply(&s->position, &s->cost, dq, price);

	fp_seqlock_write_begin(&sp->lock);
	sp->realized += r;
	sp->unreal += p->unreal - old_unreal;
	sp->gross += abs64(p->cost) - abs64(old_cost);
	sp->net += p->cost - old_cost;
	sp->nb_fills++;
	sp->fill_shares += q;
	if (r < 0)
		sp->consec_losses++;
	else if (r > 0)
		sp->consec_losses = 0;
	fp_seqlock_write_end(&sp->lock);

	fp_seqlock_write_begin(&fp->lock);
	fp->realized += r;
	fp->unreal += p->unreal - old_unreal;
	fp->gross += abs64(s->cost) - abs64(sym_old_cost);
	fp->net += s->cost - sym_old_cost;
	fp->nb_fills++;
	fp->fill_shares += q;
	if (r < 0)
		fp->consec_losses++;
	else if (r > 0)
		fp->consec_losses = 0;
	fp_seqlock_write_end(&fp->lock);
	rc->cnt.fills++;
	return r;
}

/*
 * Record an order that was not checked here (recovery, adoption): the bookkeeping of an
 * accepted check_new() (invariant 1) without the checks and the throttles. Cold path, but
 * O(1). @return 1, 0 (id known or unusable), -ENOSPC (probe limit or positions full).
 */
static int ord_insert(struct fp_risk_core *rc, uint64_t coid, int64_t price, uint32_t qty,
		      uint32_t sym, uint16_t sid, uint8_t side, uint64_t orig, uint16_t source)
{
	uint32_t slot, old_slot;
	if (coid == 0 || sym == 0 || sym >= rc->nb_symbols || sid >= FP_RISK_MAX_STRATEGIES ||
	    !side_valid(side) || ord_lookup(rc, coid, &slot))
		return 0;
	if (slot == UINT32_MAX ||
	    (!(rc->sym[sym].strat_mask & (1ULL << sid)) && !pos_get(rc, sid, sym)))
		return -ENOSPC;
	struct fp_risk_order *old = orig ? ord_lookup(rc, orig, &old_slot) : NULL;
	int buy = side_is_buy(side);
	int exit = source == FP_RISK_SOURCE_EXIT || (coid & FP_RISK_COID_RISK);
	rc->orders[slot] = (struct fp_risk_order){
		.client_order_id = coid,
		.price = price,
		.leaves = qty,
		.link = old && old->state == FP_RISK_ORD_OPEN ? old_slot + 1 : 0,
		.symbol_id = (uint16_t)sym,
		.strategy_id = sid,
		.side = buy ? FP_SIDE_BUY : FP_SIDE_SELL,
		.state = FP_RISK_ORD_OPEN,
		.flags = exit ? FP_RISK_ORDF_EXIT : 0,
	};
	rc->nb_orders++;
	struct fp_risk_sym_state *s = &rc->sym[sym];
	struct fp_risk_strat_state *st = &rc->strat[sid];
	int64_t notional = (int64_t)qty * price;
	if (buy) {
		s->open_buy += qty;
		st->open_buy_notional += notional;
		rc->open_buy_notional += notional;
	} else {
		s->open_sell += qty;
		st->open_sell_notional += notional;
		rc->open_sell_notional += notional;
	}
	s->open_orders++;
	st->open_orders++;
	rc->open_orders++;
	if (coid & FP_RISK_COID_RISK) { /* risk's own ids never repeat after a restart */
		uint64_t n = (coid & ~FP_RISK_COID_RISK) + 1;
		if (n > rc->next_exit_id)
			rc->next_exit_id = n;
		uint32_t ps;
		struct fp_risk_pos *p = pos_lookup(rc, sid, sym, &ps);
		if (p)
			p->flags |= FP_RISK_POSF_EXITING;
	}
	return 1;
}

/* A closed order the venue accepted after all (recovery only): open again with @p leaves. */
static void ord_reopen(struct fp_risk_core *rc, struct fp_risk_order *o, uint32_t leaves)
{
	struct fp_risk_sym_state *s = &rc->sym[o->symbol_id];
	struct fp_risk_strat_state *st = &rc->strat[o->strategy_id];
	int64_t n = (int64_t)leaves * o->price;
	if (o->side == FP_SIDE_BUY) {
		s->open_buy += leaves;
		st->open_buy_notional += n;
		rc->open_buy_notional += n;
	} else {
		s->open_sell += leaves;
		st->open_sell_notional += n;
		rc->open_sell_notional += n;
	}
	o->leaves = leaves;
	o->state = FP_RISK_ORD_OPEN;
	s->open_orders++;
	st->open_orders++;
	rc->open_orders++;
}

int fp_risk_record_order(struct fp_risk_core *rc, const struct fp_event *ev)
{
	const struct fp_ev_order *o = &ev->u.order;
	if (ev->type != FP_EV_ORDER_NEW && ev->type != FP_EV_ORDER_REPLACE)
		return 0;
	return ord_insert(
		rc, o->client_order_id, o->price, o->shares, ev->symbol_id, o->strategy_id, o->side,
		ev->type == FP_EV_ORDER_REPLACE ? o->orig_client_order_id : 0, ev->source);
}

int64_t fp_risk_on_exec(struct fp_risk_core *rc, const struct fp_event *ev)
{
	const struct fp_ev_exec *x = &ev->u.exec;
	uint32_t slot;
	struct fp_risk_order *o = ord_lookup(rc, x->client_order_id, &slot);
	if (!o && ev->type == FP_EV_EXEC_ACCEPTED && x->leaves_shares &&
	    ord_insert(rc, x->client_order_id, x->price, x->leaves_shares, ev->symbol_id,
		       x->strategy_id, x->side, 0, 0) == 1) {
		rc->cnt.adopted++; /* sent, but its intent was not recorded (a crash): adopt it */
		return 0;
	}
	if (!o) {
		rc->cnt.unknown_exec++;
		return 0;
	}
	o->flags &= (uint8_t)~FP_RISK_ORDF_UNCONFIRMED; /* the gateway has it */
	int64_t r = 0;
	switch (ev->type) {
	case FP_EV_EXEC_FILL: {
		/* Every filled share moves the position, even beyond what we think is open
		 * (a fill racing a cancel, an over-fill): positions must follow the venue. */
		uint32_t q = FP_MIN(x->shares, o->leaves);
		if (x->shares > q)
			rc->cnt.late_fills++;
		if (x->shares)
			r = apply_fill(rc, o, x->shares, x->price);
		ord_release(rc, o, q);
		if (o->leaves > x->leaves_shares) /* the venue says less is left: believe it */
			ord_release(rc, o, o->leaves - x->leaves_shares);
		if (o->state == FP_RISK_ORD_OPEN && o->leaves == 0)
			ord_close(rc, o);
		break;
	}
	case FP_EV_EXEC_CANCELED:
		if (o->leaves > x->leaves_shares)
			ord_release(rc, o, o->leaves - x->leaves_shares);
		if (x->leaves_shares == 0)
			ord_close(rc, o);
		break;
	case FP_EV_EXEC_REJECTED:
		ord_close(rc, o);
		break;
	case FP_EV_EXEC_ACCEPTED:
		if (x->leaves_shares == 0 && o->state == FP_RISK_ORD_OPEN) {
			ord_close(rc, o); /* dead on arrival (OUCH order state 'D') */
		} else if (x->leaves_shares && o->state == FP_RISK_ORD_DONE && !o->link) {
			/* closed as lost or released after a recovery, yet the venue has it */
			ord_reopen(rc, o, x->leaves_shares);
			rc->cnt.adopted++;
		}
		break;
	case FP_EV_EXEC_REPLACED:
		/* reported on the new id: the old leg is gone */
		if (o->link) {
			struct fp_risk_order *old = &rc->orders[o->link - 1];
			if (old->state == FP_RISK_ORD_OPEN)
				ord_close(rc, old);
			o->link = 0;
		}
		break;
	case FP_EV_EXEC_CANCEL_REJECT:
		if (o->link) /* a refused replace: the new leg never existed */
			ord_close(rc, o);
		break;
	default:
		break;
	}
	return r;
}

/* ---- market data ---- */

void fp_risk_on_top(struct fp_risk_core *rc, const struct fp_event *ev, uint64_t now)
{
	uint32_t sym = ev->symbol_id;
	if (sym == 0 || sym >= rc->nb_symbols)
		return;
	struct fp_risk_sym_state *s = &rc->sym[sym];
	const struct fp_ev_book_top *t = &ev->u.top;
	s->bid = t->bid_price;
	s->ask = t->ask_price;
	s->mid = (t->bid_price > 0 && t->ask_price > 0 && !(ev->flags & FP_EVF_CROSSED))
			 ? (t->bid_price + t->ask_price) / 2
			 : 0;
	s->top_tsc = now;
	s->flags = (ev->flags & FP_EVF_HALTED ? FP_RISK_SYM_HALTED : 0) |
		   (ev->flags & FP_EVF_STALE ? FP_RISK_SYM_STALE : 0);
	if (s->mid <= 0)
		return;
	/* Re-mark every strategy's position in this symbol (<= 64, usually one or two). */
	for (uint64_t m = s->strat_mask; m; m &= m - 1) {
		uint16_t sid = (uint16_t)__builtin_ctzll(m);
		uint32_t ps;
		struct fp_risk_pos *p = pos_lookup(rc, sid, sym, &ps);
		if (!p)
			continue;
		int64_t old = p->unreal;
		fp_seqlock_write_begin(&p->lock);
		p->mark = s->mid;
		p->unreal = p->position * s->mid - p->cost;
		if (p->position > 0 && s->mid > p->best_mark)
			p->best_mark = s->mid;
		else if (p->position < 0 && (s->mid < p->best_mark || p->best_mark == 0))
			p->best_mark = s->mid;
		fp_seqlock_write_end(&p->lock);
		int64_t d = p->unreal - old;
		if (d) {
			struct fp_risk_pnl *sp = &rc->region->strat[sid];
			fp_seqlock_write_begin(&sp->lock);
			sp->unreal += d;
			fp_seqlock_write_end(&sp->lock);
			fp_seqlock_write_begin(&rc->region->firm.lock);
			rc->region->firm.unreal += d;
			fp_seqlock_write_end(&rc->region->firm.lock);
		}
	}
}

void fp_risk_on_stale(struct fp_risk_core *rc, uint32_t symbol_id)
{
	if (symbol_id == 0) {
		for (uint32_t i = 1; i < rc->nb_symbols; i++)
			rc->sym[i].flags |= FP_RISK_SYM_STALE;
	} else if (symbol_id < rc->nb_symbols) {
		rc->sym[symbol_id].flags |= FP_RISK_SYM_STALE;
	}
}

/* ---- exits ---- */

/* Has a stop or take-profit of @p l triggered for @p p? */
static int exit_due(const struct fp_risk_pos *p, const struct fp_risk_strat_limits *l)
{
	if (p->position == 0 || p->mark <= 0)
		return 0;
	__int128 ac = abs64(p->cost), u = p->unreal;
	if (l->stop_loss_bps && -u * 10000 >= (__int128)l->stop_loss_bps * ac)
		return 1;
	if (l->take_profit_bps && u * 10000 >= (__int128)l->take_profit_bps * ac)
		return 1;
	if (l->stop_loss_abs && -u >= l->stop_loss_abs)
		return 1;
	if (l->trailing_stop_bps && p->best_mark > 0) {
		__int128 move = p->position > 0 ? p->best_mark - p->mark : p->mark - p->best_mark;
		if (move * 10000 >= (__int128)l->trailing_stop_bps * p->best_mark)
			return 1;
	}
	return 0;
}

unsigned fp_risk_exits(struct fp_risk_core *rc, const struct fp_risk_limits *lim,
		       uint32_t symbol_id, struct fp_event *out, unsigned max)
{
	if (symbol_id == 0 || symbol_id >= rc->nb_symbols)
		return 0;
	const struct fp_risk_sym_state *s = &rc->sym[symbol_id];
	unsigned n = 0;
	for (uint64_t m = s->strat_mask; m && n < max; m &= m - 1) {
		uint16_t sid = (uint16_t)__builtin_ctzll(m);
		uint32_t ps;
		struct fp_risk_pos *p = pos_lookup(rc, sid, symbol_id, &ps);
		if (!p || (p->flags & FP_RISK_POSF_EXITING) || !exit_due(p, &lim->strat[sid]))
			continue;
		int sell = p->position > 0;
		int64_t px = sell ? s->bid : s->ask;
		if (px <= 0)
			continue;
		int64_t q = abs64(p->position);
		if (q > lim->sym[symbol_id].qty_max)
			q = lim->sym[symbol_id].qty_max;
		struct fp_event *e = &out[n++];
		memset(e, 0, sizeof(*e));
		e->type = FP_EV_ORDER_NEW;
		e->source = FP_RISK_SOURCE_EXIT;
		e->symbol_id = symbol_id;
		e->seq = rc->next_exit_id;
		e->u.order = (struct fp_ev_order){
			.client_order_id = FP_RISK_COID_RISK | rc->next_exit_id++,
			.price = px,
			.shares = (uint32_t)q,
			.strategy_id = sid,
			.side = sell ? FP_SIDE_SELL : FP_SIDE_BUY,
			.tif = FP_TIF_IOC,
		};
		rc->cnt.exits++;
	}
	return n;
}

/* ---- recovery ---- */

void fp_risk_core_reset(struct fp_risk_core *rc)
{
	fp_risk_pos_region_init(rc->region, rc->region->capacity);
	memset(rc->sym, 0, sizeof(*rc->sym) * rc->nb_symbols);
	memset(rc->strat, 0, sizeof(rc->strat));
	memset(rc->orders, 0, sizeof(*rc->orders) * (rc->order_mask + 1));
	memset(rc->pos_index, 0, sizeof(uint32_t) * 2 * rc->pos_capacity);
	rc->open_buy_notional = rc->open_sell_notional = 0;
	rc->open_orders = 0;
	rc->nb_orders = 0;
	rc->consec_rejects = 0;
	rc->next_exit_id = 1;
}

void fp_risk_order_unconfirmed(struct fp_risk_core *rc, uint64_t coid, int on)
{
	uint32_t slot;
	struct fp_risk_order *o = ord_lookup(rc, coid, &slot);
	if (o && on)
		o->flags |= FP_RISK_ORDF_UNCONFIRMED;
	else if (o)
		o->flags &= (uint8_t)~FP_RISK_ORDF_UNCONFIRMED;
}

uint32_t fp_risk_release_unconfirmed(struct fp_risk_core *rc)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i <= rc->order_mask; i++) {
		struct fp_risk_order *o = &rc->orders[i];
		if (!(o->flags & FP_RISK_ORDF_UNCONFIRMED))
			continue;
		o->flags &= (uint8_t)~FP_RISK_ORDF_UNCONFIRMED;
		if (o->state == FP_RISK_ORD_OPEN) {
			ord_close(rc, o);
			n++;
		}
	}
	return n;
}

/* ---- day roll ---- */

void fp_risk_daily_roll(struct fp_risk_core *rc)
{
	struct fp_risk_pos_region *r = rc->region;
	uint32_t n = atomic_load_explicit(&r->nb_used, memory_order_relaxed);
	for (uint32_t i = 0; i < n; i++) {
		struct fp_risk_pos *p = &r->pos[i];
		fp_seqlock_write_begin(&p->lock);
		p->realized = 0;
		if (p->mark > 0) /* carry the position at the last mark: a new day starts flat */
			p->cost = p->position * p->mark;
		p->unreal = 0;
		fp_seqlock_write_end(&p->lock);
	}
	struct fp_risk_pnl *lines[FP_RISK_MAX_STRATEGIES + 1];
	lines[0] = &r->firm;
	for (unsigned i = 0; i < FP_RISK_MAX_STRATEGIES; i++)
		lines[i + 1] = &r->strat[i];
	for (unsigned i = 0; i <= FP_RISK_MAX_STRATEGIES; i++) {
		fp_seqlock_write_begin(&lines[i]->lock);
		lines[i]->realized = 0;
		lines[i]->unreal = 0;
		lines[i]->consec_losses = 0;
		lines[i]->nb_fills = 0;
		lines[i]->fill_shares = 0;
		lines[i]->gross = 0;
		lines[i]->net = 0;
		fp_seqlock_write_end(&lines[i]->lock);
	}
	/* Recompute cost-based exposures and the firm's per-symbol cost from the entries. */
	for (uint32_t i = 1; i < rc->nb_symbols; i++)
		rc->sym[i].cost = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct fp_risk_pos *p = &r->pos[i];
		r->strat[p->strategy_id].gross += abs64(p->cost);
		r->strat[p->strategy_id].net += p->cost;
		rc->sym[p->symbol_id].cost += p->cost;
	}
	for (uint32_t i = 1; i < rc->nb_symbols; i++) {
		r->firm.gross += abs64(rc->sym[i].cost);
		r->firm.net += rc->sym[i].cost;
	}
	/* Keep open orders (they may still fill), forget the closed ones: rebuild the table.
	 * Cold (between sessions): a scratch copy keeps the probe chains right (invariant 3). */
	uint32_t cap = rc->order_mask + 1, nb_open = 0;
	for (uint32_t i = 0; i < cap; i++)
		nb_open += rc->orders[i].state == FP_RISK_ORD_OPEN;
	struct fp_risk_order *keep = malloc(sizeof(*keep) * (nb_open ? nb_open : 1));
	if (!keep) { /* keep the day's ids rather than lose open orders */
		r->day++;
		return;
	}
	nb_open = 0;
	for (uint32_t i = 0; i < cap; i++)
		if (rc->orders[i].state == FP_RISK_ORD_OPEN)
			keep[nb_open++] = rc->orders[i];
	memset(rc->orders, 0, sizeof(*rc->orders) * cap);
	for (uint32_t i = 0; i < nb_open; i++) {
		uint32_t slot;
		if (!ord_lookup(rc, keep[i].client_order_id, &slot) && slot != UINT32_MAX) {
			keep[i].link = 0;
			rc->orders[slot] = keep[i];
		}
	}
	free(keep);
	rc->nb_orders = nb_open;
	r->day++;
}

int fp_risk_pos_read(const struct fp_risk_pos_region *r, uint32_t idx, struct fp_risk_pos *out)
{
	if (idx >= atomic_load_explicit(&r->nb_used, memory_order_acquire) || idx >= r->capacity)
		return -ERANGE;
	const struct fp_risk_pos *p = &r->pos[idx];
	if (!fp_seqlock_read_copy(&p->lock, out, p, sizeof(*out), 1000))
		return -EAGAIN;
	return 0;
}

int fp_risk_pnl_read(const struct fp_risk_pnl *line, struct fp_risk_pnl *out)
{
	return fp_seqlock_read_copy(&line->lock, out, line, sizeof(*out), 1000) ? 0 : -EAGAIN;
}

static void pnl_print(FILE *out, const char *who, int id, const struct fp_risk_pnl *l)
{
	fprintf(out,
		"%s %d: realized %" PRId64 " unrealized %" PRId64 " gross %" PRId64 " net %" PRId64
		" fills %" PRIu64 " shares %" PRIu64 " losses_in_a_row %" PRIu32 "\n",
		who, id, l->realized, l->unreal, l->gross, l->net, l->nb_fills, l->fill_shares,
		l->consec_losses);
}

void fp_risk_pos_region_dump(FILE *out, const struct fp_risk_pos_region *r)
{
	struct fp_risk_pnl l;
	fprintf(out, "positions: %" PRIu32 " of %" PRIu32 " entries, day %" PRIu64 "\n",
		atomic_load(&r->nb_used), r->capacity, r->day);
	if (fp_risk_pnl_read(&r->firm, &l) == 0)
		pnl_print(out, "firm", 0, &l);
	for (int i = 0; i < FP_RISK_MAX_STRATEGIES; i++)
		if (fp_risk_pnl_read(&r->strat[i], &l) == 0 && (l.nb_fills || l.unreal || l.gross))
			pnl_print(out, "strategy", i, &l);
	uint32_t n = atomic_load_explicit(&r->nb_used, memory_order_acquire);
	for (uint32_t i = 0; i < n; i++) {
		struct fp_risk_pos p;
		if (fp_risk_pos_read(r, i, &p) == 0 && (p.position || p.realized))
			fprintf(out,
				"  strategy %u symbol %" PRIu32 ": position %" PRId64
				" cost %" PRId64 " realized %" PRId64 " unrealized %" PRId64
				" mark %" PRId64 "%s\n",
				(unsigned)p.strategy_id, p.symbol_id, p.position, p.cost,
				p.realized, p.unreal, p.mark,
				p.flags & FP_RISK_POSF_EXITING ? " exiting" : "");
	}
}

void fp_risk_core_dump(FILE *out, const struct fp_risk_core *rc)
{
	const struct fp_risk_pnl *f = &rc->region->firm;
	fprintf(out,
		"risk: checked %" PRIu64 " accepted %" PRIu64 " fills %" PRIu64
		" open_orders %" PRIu32 " realized %" PRId64 " unreal %" PRId64 " gross %" PRId64
		" net %" PRId64 " consec_losses %" PRIu32 "\n",
		rc->cnt.checked, rc->cnt.accepted, rc->cnt.fills, rc->open_orders, f->realized,
		f->unreal, f->gross, f->net, f->consec_losses);
	for (unsigned i = 1; i < FP_RISK_REASON_MAX; i++)
		if (rc->cnt.rejected[i])
			fprintf(out, "  reject %-22s %" PRIu64 "\n", fp_risk_reason_name(i),
				rc->cnt.rejected[i]);
}
