/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_strat_builtin.c - the built-in strategies, written against strategy.h only (exactly
 * as a .so strategy would be):
 *
 *   mm        market maker: one bid and one ask around the mid, shifted against inventory
 *             (fair = mid - skew x position), no new risk on a side past max_position;
 *             requotes (replace) when the wanted price moves by `requote` or more;
 *             one order message in flight per quote: the quote is left alone until its
 *             new order or replace is answered (accepted, or refused: the gateway always
 *             answers, also when the old leg ends first); a refused replace gives the
 *             quote its old leg back when that leg still lives (forgetting it would leave
 *             it live behind a new quote), and no order when the leg ended first. A
 *             quote taken down at max_position stays the quote until its end is reported
 *             (canceled or filled): were the cancel refused, the order would still rest,
 *             and no second order goes beside it.
 *             params: symbol, size (100), half_spread (100 = 0.01), tick (100), skew (1,
 *             price units per share held), max_position (1000), requote (100)
 *   momentum  enters with an IOC at the touch when the book imbalance passes `imbalance`
 *             (0.3) and the fast EMA of trade prices is on the same side of the slow one;
 *             leaves with an IOC on a stop-loss (`stop_bps`, 50) or take-profit
 *             (`take_bps`, 100) measured from the entry fill at the mid.
 *             params: symbol, size (100), imbalance, fast (10), slow (30), stop_bps, take_bps
 *   ping      an IOC on every `every`-th book change (100) of `symbol` (0 = any), at the
 *             touch of alternating sides (the side there is when the book is one-sided, as
 *             fastpath-sim's tick-to-trade trigger symbol is), `size` (100) shares:
 *             latency measurement.
 *
 * Callbacks run on the strategy worker: no allocation, no syscalls (strategy.h).
 */
#include <errno.h>
#include <string.h>

#include "fp_strat.h"
#include "fp_strat_ind.h"

/* ---- market maker ---- */

struct mm_quote {
	uint64_t id;        /**< live order, or the replacement in flight (0 = none) */
	int64_t price;      /**< its price */
	uint64_t prev_id;   /**< replace in flight: the leg it replaces while live (0 = ended) */
	int64_t prev_price; /**< that leg's price */
	uint8_t in_flight;  /**< a new order or a replace sent, its answer not seen yet */
	uint8_t canceling;  /**< a cancel of id sent, the order's end not seen yet */
	uint8_t pad[6];
};

struct mm_state {
	uint32_t symbol;
	uint32_t size;
	int64_t half_spread;
	int64_t tick;
	int64_t skew;
	int64_t max_position;
	int64_t requote;
	struct mm_quote bid, ask;
	uint64_t nb_quotes;
};

static int mm_init(void *st, const struct fp_strat_params *p, struct fp_strat_ctx *ctx)
{
	struct mm_state *s = st;
	(void)ctx;
	s->symbol = (uint32_t)fp_strat_param_i64(p, "symbol", 0);
	s->size = (uint32_t)fp_strat_param_i64(p, "size", 100);
	s->half_spread = fp_strat_param_i64(p, "half_spread", 100);
	s->tick = fp_strat_param_i64(p, "tick", 100);
	s->skew = fp_strat_param_i64(p, "skew", 1);
	s->max_position = fp_strat_param_i64(p, "max_position", 1000);
	s->requote = fp_strat_param_i64(p, "requote", 100);
	if (!s->symbol || !s->size || s->tick <= 0 || s->half_spread <= 0 || s->max_position <= 0)
		return -EINVAL;
	return 0;
}

static int64_t floor_tick(int64_t px, int64_t tick)
{
	int64_t q = px / tick;
	if (px % tick && px < 0)
		q--;
	return q * tick;
}

static void mm_side(struct mm_state *s, struct fp_strat_ctx *ctx, struct mm_quote *q, uint8_t side,
		    int64_t want, int allowed)
{
	if (q->in_flight)
		return; /* a new order or a replace in flight: its answer first (a cancel or a
			   replace of it now would name an order the venue does not have yet: the
			   gateway refuses it, and under load such refusals trip the rejects
			   breaker) */
	if (q->canceling)
		return; /* the quote lives until its end is reported: a new quote now would
			   rest beside it if the cancel were refused */
	if (!allowed || want <= 0) {
		/* past the cap: take the quote down (kept if the cancel found no room) */
		if (q->id && fp_strat_cancel(ctx, s->symbol, q->id) == 0)
			q->canceling = 1;
		return;
	}
	if (!q->id) {
		q->id = fp_strat_new(ctx, s->symbol, side, s->size, want, FP_TIF_DAY);
		q->price = want;
		q->in_flight = q->id != 0; /* no old leg to fall back on (prev_id 0) */
		s->nb_quotes += q->id != 0;
	} else if (want - q->price >= s->requote || q->price - want >= s->requote) {
		uint64_t id = fp_strat_replace(ctx, s->symbol, q->id, side, s->size, want);
		if (id) {
			q->prev_id = q->id;
			q->prev_price = q->price;
			q->in_flight = 1;
			q->id = id;
			q->price = want;
			s->nb_quotes++;
		}
	}
}

static void mm_on_top(void *st, struct fp_strat_ctx *ctx, const struct fp_event *ev)
{
	struct mm_state *s = st;
	const struct fp_ev_book_top *t = &ev->u.top;
	if (ev->symbol_id != s->symbol || t->bid_price <= 0 || t->ask_price <= 0 ||
	    (ev->flags & (FP_EVF_STALE | FP_EVF_HALTED | FP_EVF_CROSSED)))
		return;
	int64_t pos = fp_strat_position(ctx, s->symbol);
	int64_t fair = (t->bid_price + t->ask_price) / 2 - s->skew * pos;
	int64_t want_bid = floor_tick(fair - s->half_spread, s->tick);
	int64_t want_ask = -floor_tick(-(fair + s->half_spread), s->tick); /* ceil */
	mm_side(s, ctx, &s->bid, FP_SIDE_BUY, want_bid, pos < s->max_position);
	mm_side(s, ctx, &s->ask, FP_SIDE_SELL, want_ask, pos > -s->max_position);
}

/* Order @p id ended (canceled, or filled to the last share). The old leg of the replace
 * in flight: the replacement's answer still comes, right after (the gateway reports a
 * done replace as the old leg canceled then the new accepted, and refuses the replace of
 * an order that ended right after its last report: reason order_ended), so the quote waits
 * for it, knowing that no old leg is left to fall back on. */
static void mm_quote_ended(struct mm_quote *q, uint64_t id)
{
	if (q->in_flight && q->prev_id == id)
		q->prev_id = 0;
	else if (q->id == id)
		memset(q, 0, sizeof(*q));
}

/* Order @p id was refused (by risk, the gateway or the venue). A refused replacement
 * leaves the quote its old leg when that leg still lives (a replace the venue, risk or
 * the gateway refused for a live order); when the leg ended first (its end was reported
 * before: the gateway's order_ended refusal) the quote has no order. A refused old leg (a
 * new order refused after the replace of it went) never lived: the replacement's answer
 * decides, as for an old leg that ended. */
static void mm_quote_refused(struct mm_quote *q, uint64_t id)
{
	if (q->in_flight && q->prev_id == id) {
		q->prev_id = 0;
	} else if (q->id == id) {
		uint64_t back = q->in_flight ? q->prev_id : 0;
		int64_t back_price = q->prev_price;
		memset(q, 0, sizeof(*q));
		q->id = back;
		q->price = back ? back_price : 0;
	}
}

/* Order @p id accepted (@p leaves open): a replacement's acceptance ends its replace; one
 * dead on arrival leaves the quote without an order. */
static void mm_quote_accepted(struct mm_quote *q, uint64_t id, uint32_t leaves)
{
	if (q->id != id)
		return;
	if (leaves == 0) {
		memset(q, 0, sizeof(*q));
		return;
	}
	q->in_flight = 0;
	q->prev_id = 0;
}

static void mm_on_exec(void *st, struct fp_strat_ctx *ctx, const struct fp_event *ev)
{
	struct mm_state *s = st;
	(void)ctx;
	const struct fp_ev_exec *x = &ev->u.exec;
	if (ev->type == FP_EV_EXEC_REJECTED) {
		mm_quote_refused(&s->bid, x->client_order_id);
		mm_quote_refused(&s->ask, x->client_order_id);
	} else if (ev->type == FP_EV_EXEC_ACCEPTED) {
		mm_quote_accepted(&s->bid, x->client_order_id, x->leaves_shares);
		mm_quote_accepted(&s->ask, x->client_order_id, x->leaves_shares);
	} else if (ev->type == FP_EV_EXEC_CANCELED ||
		   (ev->type == FP_EV_EXEC_FILL && x->leaves_shares == 0)) {
		mm_quote_ended(&s->bid, x->client_order_id);
		mm_quote_ended(&s->ask, x->client_order_id);
	}
}

static void mm_on_reject(void *st, struct fp_strat_ctx *ctx, const struct fp_event *ev)
{
	struct mm_state *s = st;
	(void)ctx;
	mm_quote_refused(&s->bid, ev->u.reject.client_order_id);
	mm_quote_refused(&s->ask, ev->u.reject.client_order_id);
}

static const struct fp_strat_param_decl mm_params[] = {
	{"symbol", "symbol id to quote (required)"},
	{"size", "shares per quote (100)"},
	{"half_spread", "distance of each quote from fair, Price(4) (100 = 0.01)"},
	{"tick", "price increment quotes are rounded to, Price(4) (100)"},
	{"skew", "fair value shift per share held, Price(4) (1)"},
	{"max_position", "no new risk on a side beyond this many shares (1000)"},
	{"requote", "replace a quote when its price should move this much (100)"},
	{NULL, NULL},
};

static const struct fp_strat_ops mm_ops = {
	.abi_version = FP_STRAT_ABI_VERSION,
	.state_size = sizeof(struct mm_state),
	.name = "mm",
	.init = mm_init,
	.on_book_top = mm_on_top,
	.on_exec = mm_on_exec,
	.on_reject = mm_on_reject,
	.params = mm_params,
};

/* ---- momentum ---- */

struct mom_state {
	uint32_t symbol;
	uint32_t size;
	double imbalance;
	int64_t stop_bps, take_bps;
	struct fp_ind_ema fast, slow;
	uint64_t pending; /**< an IOC is out: wait for its end */
	int64_t entry;    /**< average entry price of the position */
	uint64_t nb_entries, nb_exits;
};

static int mom_init(void *st, const struct fp_strat_params *p, struct fp_strat_ctx *ctx)
{
	struct mom_state *s = st;
	(void)ctx;
	s->symbol = (uint32_t)fp_strat_param_i64(p, "symbol", 0);
	s->size = (uint32_t)fp_strat_param_i64(p, "size", 100);
	s->imbalance = fp_strat_param_f64(p, "imbalance", 0.3);
	s->stop_bps = fp_strat_param_i64(p, "stop_bps", 50);
	s->take_bps = fp_strat_param_i64(p, "take_bps", 100);
	fp_ind_ema_init(&s->fast, (uint32_t)fp_strat_param_i64(p, "fast", 10));
	fp_ind_ema_init(&s->slow, (uint32_t)fp_strat_param_i64(p, "slow", 30));
	if (!s->symbol || !s->size || s->imbalance <= 0 || s->imbalance >= 1)
		return -EINVAL;
	return 0;
}

static void mom_on_trade(void *st, struct fp_strat_ctx *ctx, const struct fp_event *ev)
{
	struct mom_state *s = st;
	(void)ctx;
	if (ev->symbol_id != s->symbol)
		return;
	fp_ind_ema_update(&s->fast, (double)ev->u.trade.price);
	fp_ind_ema_update(&s->slow, (double)ev->u.trade.price);
}

static void mom_on_top(void *st, struct fp_strat_ctx *ctx, const struct fp_event *ev)
{
	struct mom_state *s = st;
	const struct fp_ev_book_top *t = &ev->u.top;
	if (ev->symbol_id != s->symbol || s->pending || t->bid_price <= 0 || t->ask_price <= 0 ||
	    (ev->flags & (FP_EVF_STALE | FP_EVF_HALTED | FP_EVF_CROSSED)))
		return;
	int64_t pos = fp_strat_position(ctx, s->symbol);
	if (pos == 0) {
		if (!s->slow.ready)
			return;
		double imb = fp_ind_imbalance(t->bid_shares, t->ask_shares);
		uint8_t side = 0;
		if (imb >= s->imbalance && s->fast.value > s->slow.value)
			side = FP_SIDE_BUY;
		else if (imb <= -s->imbalance && s->fast.value < s->slow.value)
			side = FP_SIDE_SELL;
		if (side) {
			int64_t px = side == FP_SIDE_BUY ? t->ask_price : t->bid_price;
			s->pending = fp_strat_new(ctx, s->symbol, side, s->size, px, FP_TIF_IOC);
			s->nb_entries += s->pending != 0;
		}
		return;
	}
	if (s->entry <= 0)
		return;
	int64_t mid = (t->bid_price + t->ask_price) / 2;
	int64_t move = pos > 0 ? mid - s->entry : s->entry - mid; /* in our favour */
	if (move * 10000 <= -s->stop_bps * s->entry || move * 10000 >= s->take_bps * s->entry) {
		uint8_t side = pos > 0 ? FP_SIDE_SELL : FP_SIDE_BUY;
		int64_t px = pos > 0 ? t->bid_price : t->ask_price;
		uint32_t q = (uint32_t)(pos > 0 ? pos : -pos);
		s->pending = fp_strat_new(ctx, s->symbol, side, q, px, FP_TIF_IOC);
		s->nb_exits += s->pending != 0;
	}
}

static void mom_on_exec(void *st, struct fp_strat_ctx *ctx, const struct fp_event *ev)
{
	struct mom_state *s = st;
	const struct fp_ev_exec *x = &ev->u.exec;
	if (x->client_order_id != s->pending)
		return;
	if (ev->type == FP_EV_EXEC_FILL) {
		int64_t pos = fp_strat_position(ctx, s->symbol); /* already includes this fill */
		s->entry = pos ? x->price : 0;
	}
	if (ev->type == FP_EV_EXEC_CANCELED || ev->type == FP_EV_EXEC_REJECTED ||
	    (ev->type == FP_EV_EXEC_FILL && x->leaves_shares == 0))
		s->pending = 0;
}

static void mom_on_reject(void *st, struct fp_strat_ctx *ctx, const struct fp_event *ev)
{
	struct mom_state *s = st;
	(void)ctx;
	if (ev->u.reject.client_order_id == s->pending)
		s->pending = 0;
}

static const struct fp_strat_param_decl mom_params[] = {
	{"symbol", "symbol id to trade (required)"},
	{"size", "shares per entry (100)"},
	{"imbalance", "book imbalance that triggers an entry (0.3)"},
	{"fast", "fast EMA of trade prices, in trades (10)"},
	{"slow", "slow EMA of trade prices, in trades (30)"},
	{"stop_bps", "stop-loss from the entry, basis points (50)"},
	{"take_bps", "take-profit from the entry, basis points (100)"},
	{NULL, NULL},
};

static const struct fp_strat_ops momentum_ops = {
	.abi_version = FP_STRAT_ABI_VERSION,
	.state_size = sizeof(struct mom_state),
	.name = "momentum",
	.init = mom_init,
	.on_book_top = mom_on_top,
	.on_trade = mom_on_trade,
	.on_exec = mom_on_exec,
	.on_reject = mom_on_reject,
	.params = mom_params,
};

/* ---- ping ---- */

struct ping_state {
	uint32_t symbol;
	uint32_t size;
	uint64_t every;
	uint64_t seen;
	uint64_t sent;
};

static int ping_init(void *st, const struct fp_strat_params *p, struct fp_strat_ctx *ctx)
{
	struct ping_state *s = st;
	(void)ctx;
	s->symbol = (uint32_t)fp_strat_param_i64(p, "symbol", 0);
	s->size = (uint32_t)fp_strat_param_i64(p, "size", 100);
	s->every = (uint64_t)fp_strat_param_i64(p, "every", 100);
	return s->every && s->size ? 0 : -EINVAL;
}

static void ping_on_top(void *st, struct fp_strat_ctx *ctx, const struct fp_event *ev)
{
	struct ping_state *s = st;
	const struct fp_ev_book_top *t = &ev->u.top;
	if ((s->symbol && ev->symbol_id != s->symbol) ||
	    (ev->flags & (FP_EVF_STALE | FP_EVF_HALTED)))
		return;
	if (++s->seen % s->every)
		return;
	int buy = (s->sent & 1) == 0;
	if ((buy ? t->bid_price : t->ask_price) <= 0)
		buy = !buy;
	int64_t px = buy ? t->bid_price : t->ask_price;
	if (px <= 0)
		return;
	s->sent += fp_strat_new(ctx, ev->symbol_id, buy ? FP_SIDE_BUY : FP_SIDE_SELL, s->size, px,
				FP_TIF_IOC) != 0;
}

static const struct fp_strat_param_decl ping_params[] = {
	{"symbol", "symbol id to ping (0 = any)"},
	{"size", "shares per order (100)"},
	{"every", "send on every n-th book change (100)"},
	{NULL, NULL},
};

static const struct fp_strat_ops ping_ops = {
	.abi_version = FP_STRAT_ABI_VERSION,
	.state_size = sizeof(struct ping_state),
	.name = "ping",
	.init = ping_init,
	.on_book_top = ping_on_top,
	.params = ping_params,
};

const struct fp_strat_ops *fp_strat_builtin(const char *name)
{
	static const struct fp_strat_ops *const all[] = {&mm_ops, &momentum_ops, &ping_ops};
	for (unsigned i = 0; i < FP_ARRAY_SIZE(all); i++)
		if (!strcmp(all[i]->name, name))
			return all[i];
	return NULL;
}
