/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_strat_host.c - the strategy host stage (see fp_strat.h).
 *
 * Strategy worker thread only. Invariants:
 *  (1) intents reach the intent ring in emission order, each published as soon as it is
 *      made (written in place, no copy); the outbox holds them only while the ring is
 *      full: [out_head, out_tail) are waiting, and while any waits new intents queue
 *      behind it. Nothing in it is ever dropped: it drains into the intent ring before any
 *      new event is handled when possible, and a strategy sees 0 from new_order() once it
 *      is full.
 *  (2) slot[i].position[s] = sum of signed fills of strategy i in symbol s (own view; the
 *      authoritative P&L lives in risk).
 *  (3) Live versus history (design.md §2): a strategy sees a book top flagged FP_EVF_STALE
 *      only as the book's state change (the book stage publishes no other top of a stale
 *      book), then tops again once the book is live; md events rebuilt from history
 *      (FP_EVF_REPLAY or FP_EVF_STALE) are never handed on; an order caused by anything
 *      but a live event carries t_rx 0, so no tick-to-trade sample is taken from it.
 */
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fp_err.h"
#include "fp_strat.h"
#include "fp_tsc.h"

/* ---- the API given to strategies ---- */

/* The slot of a new intent (invariant 1): written in place in the intent ring and published
 * by intent_done() as soon as it is filled, so that it reaches risk in the pass it was made;
 * in the outbox only while the ring is full or earlier intents still wait there (order is
 * kept). NULL when the outbox is full too. */
static struct fp_event *intent_slot(struct fp_strat_host *h)
{
	struct fp_event *e = NULL;
	uint32_t got = 0;
	if (h->out_head == h->out_tail)
		e = fp_ring_reserve(h->cfg.intent, 1, &got);
	if (got) {
		h->in_ring = 1;
	} else if (h->out_tail - h->out_head >= FP_STRAT_OUTBOX) {
		h->stats->outbox_full++;
		return NULL;
	} else {
		e = &h->outbox[h->out_tail++ % FP_STRAT_OUTBOX];
	}
	memset(e, 0, sizeof(*e));
	return e;
}

/* The intent from intent_slot() is filled: publish it when it is in the ring. */
static void intent_done(struct fp_strat_host *h)
{
	if (!h->in_ring)
		return;
	h->in_ring = 0;
	fp_ring_commit(h->cfg.intent, 1);
	h->stats->intents++;
}

static struct fp_strat_slot *ctx_slot(struct fp_strat_ctx *ctx)
{
	return (struct fp_strat_slot *)((char *)ctx - offsetof(struct fp_strat_slot, ctx));
}

static uint64_t next_id(struct fp_strat_host *h, struct fp_strat_slot *s)
{
	(void)h;
	return fp_order_id_make(s->ctx.strategy_id, s->next_seq++); /* shm/fp_order_id.h */
}

/* Where today's id sequences start (fp_strat.h): never below an id issued earlier today. */
static uint64_t first_seq(uint64_t floor)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t us = (uint64_t)(ts.tv_sec % 86400) * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	uint64_t start = us << FP_STRAT_SEQ_US_SHIFT;
	return FP_MAX(start, floor);
}

/* The host's clock (fp_strat_host_cfg.clock): the TSC, or the caller's (a backtest). */
static inline uint64_t host_now(const struct fp_strat_host *h)
{
	return h->cfg.clock ? h->cfg.clock(h->cfg.clock_arg) : fp_tsc_now();
}

static void fill_common(struct fp_event *e, uint8_t type, struct fp_strat_ctx *ctx,
			uint32_t symbol_id)
{
	e->type = type;
	e->source = ctx->strategy_id;
	e->symbol_id = symbol_id;
	/* (3): only live events give tick-to-trade samples */
	e->t_rx = ctx->cause && !(ctx->cause->flags & (FP_EVF_REPLAY | FP_EVF_STALE))
			  ? ctx->cause->t_rx
			  : 0;
	e->u.order.strategy_id = ctx->strategy_id;
	e->u.order.t_decide = host_now(ctx->host);
}

static uint64_t api_new(struct fp_strat_ctx *ctx, uint32_t symbol_id, uint8_t side, uint32_t shares,
			int64_t price, uint8_t tif)
{
	struct fp_strat_host *h = ctx->host;
	struct fp_event *e = intent_slot(h);
	if (!e)
		return 0;
	struct fp_strat_slot *s = ctx_slot(ctx);
	fill_common(e, FP_EV_ORDER_NEW, ctx, symbol_id);
	e->u.order.client_order_id = next_id(h, s);
	e->seq = e->u.order.client_order_id;
	e->u.order.price = price;
	e->u.order.shares = shares;
	e->u.order.side = side;
	e->u.order.tif = tif;
	uint64_t cid = e->u.order.client_order_id; /* the slot is risk's once published */
	intent_done(h);
	return cid;
}

static int api_cancel(struct fp_strat_ctx *ctx, uint32_t symbol_id, uint64_t id)
{
	struct fp_strat_host *h = ctx->host;
	struct fp_event *e = intent_slot(h);
	if (!e)
		return -1;
	fill_common(e, FP_EV_ORDER_CANCEL, ctx, symbol_id);
	e->u.order.client_order_id = next_id(h, ctx_slot(ctx));
	e->seq = e->u.order.client_order_id;
	e->u.order.orig_client_order_id = id;
	intent_done(h);
	return 0;
}

static uint64_t api_replace(struct fp_strat_ctx *ctx, uint32_t symbol_id, uint64_t id, uint8_t side,
			    uint32_t shares, int64_t price)
{
	struct fp_strat_host *h = ctx->host;
	struct fp_event *e = intent_slot(h);
	if (!e)
		return 0;
	fill_common(e, FP_EV_ORDER_REPLACE, ctx, symbol_id);
	e->u.order.client_order_id = next_id(h, ctx_slot(ctx));
	e->seq = e->u.order.client_order_id;
	e->u.order.orig_client_order_id = id;
	e->u.order.side = side;
	e->u.order.shares = shares;
	e->u.order.price = price;
	uint64_t cid = e->u.order.client_order_id; /* the slot is risk's once published */
	intent_done(h);
	return cid;
}

static int64_t api_position(const struct fp_strat_ctx *ctx, uint32_t symbol_id)
{
	const struct fp_strat_host *h = ctx->host;
	const struct fp_strat_slot *s =
		(const struct fp_strat_slot *)((const char *)ctx -
					       offsetof(struct fp_strat_slot, ctx));
	return symbol_id < h->cfg.nb_symbols ? s->position[symbol_id] : 0;
}

static int api_depth(const struct fp_strat_ctx *ctx, uint32_t symbol_id, uint8_t side,
		     uint32_t levels, struct fp_strat_level *out)
{
	const struct fp_strat_host *h = ctx->host;
	if (!out || (side != FP_SIDE_BUY && side != FP_SIDE_SELL))
		return -EINVAL;
	if (!h->cfg.depth)
		return -ENODATA;
	return h->cfg.depth(h->cfg.depth_view, symbol_id, side == FP_SIDE_BUY ? 0 : 1, levels, out);
}

static const struct fp_strat_api fp_strat_api_v2 = {
	.new_order = api_new,
	.cancel = api_cancel,
	.replace = api_replace,
	.position = api_position,
	.depth = api_depth,
};

/* ---- lifecycle ---- */

int fp_strat_params_add(struct fp_strat_params *p, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv || p->nb >= FP_STRAT_MAX_PARAMS ||
	    (size_t)(eq - kv) >= sizeof(p->p[0].key) || strlen(eq + 1) >= sizeof(p->p[0].value))
		return fp_err_set(-EINVAL,
				  "strategy parameter '%s': need key=value (key < 32, "
				  "value < 64 chars, at most %d)",
				  kv, FP_STRAT_MAX_PARAMS);
	struct fp_strat_param *e = &p->p[p->nb++];
	memset(e, 0, sizeof(*e));
	memcpy(e->key, kv, (size_t)(eq - kv));
	snprintf(e->value, sizeof(e->value), "%s", eq + 1);
	return 0;
}

static int load_ops(const struct fp_strat_spec *sp, const struct fp_strat_ops **ops, void **dl)
{
	*dl = NULL;
	if (!sp->path[0]) {
		*ops = fp_strat_builtin(sp->name);
		if (!*ops)
			return fp_err_set(-EINVAL, "no built-in strategy '%s' (mm, momentum, ping)",
					  sp->name);
		return 0;
	}
	*dl = dlopen(sp->path, RTLD_NOW | RTLD_LOCAL);
	if (!*dl)
		return fp_err_set(-ENOENT, "cannot load %s: %s", sp->path, dlerror());
	const struct fp_strat_ops *(*entry)(void);
	*(void **)&entry = dlsym(*dl, FP_STRAT_ENTRY);
	if (!entry) {
		dlclose(*dl);
		*dl = NULL;
		return fp_err_set(-ENOENT, "%s exports no %s()", sp->path, FP_STRAT_ENTRY);
	}
	*ops = entry();
	return 0;
}

/* The first key of @p p that @p ops does not declare (strategy.h, fp_strat_ops.params):
 * -EINVAL with *bad = its index and a message listing the declared keys; else 0. */
static int params_declared(const struct fp_strat_ops *ops, const struct fp_strat_params *p,
			   int *bad)
{
	*bad = -1;
	for (uint32_t i = 0; i < p->nb && i < FP_STRAT_MAX_PARAMS; i++) {
		const char *key = p->p[i].key;
		bool known = !strncmp(key, FP_STRAT_PARAM_SYMBOL, sizeof(p->p[i].key));
		for (const struct fp_strat_param_decl *d = ops->params; !known && d && d->key; d++)
			known = !strncmp(key, d->key, sizeof(p->p[i].key));
		if (known)
			continue;
		char list[FP_STRAT_MAX_PARAMS * 34] = "";
		for (const struct fp_strat_param_decl *d = ops->params; d && d->key; d++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 list[0] ? ", " : "", d->key);
		*bad = (int)i;
		return fp_err_set(-EINVAL, "strategy '%s' has no parameter '%.*s' (it takes: %s)",
				  ops->name ? ops->name : "?", (int)sizeof(p->p[i].key), key,
				  list[0] ? list : "none");
	}
	return 0;
}

int fp_strat_params_check(const struct fp_strat_spec *sp, int *bad)
{
	const struct fp_strat_ops *ops = NULL;
	void *dl = NULL;
	*bad = -1;
	int rc = load_ops(sp, &ops, &dl);
	if (rc < 0)
		return rc;
	if (!ops || ops->abi_version != FP_STRAT_ABI_VERSION)
		rc = fp_err_set(-EINVAL, "ABI version %u (want version %d)",
				ops ? ops->abi_version : 0, FP_STRAT_ABI_VERSION);
	else
		rc = params_declared(ops, &sp->params, bad);
	if (dl)
		dlclose(dl);
	return rc;
}

int fp_strat_host_init(struct fp_strat_host *h, const struct fp_strat_host_cfg *cfg)
{
	int rc;
	memset(h, 0, sizeof(*h));
	h->stats = cfg->stats ? cfg->stats : &h->own_stats;
	memset(h->stats, 0, sizeof(*h->stats));
	h->stats->magic = FP_STRAT_STATS_MAGIC;
	h->stats->version = FP_STRAT_STATS_VERSION;
	h->stats->size = sizeof(*h->stats);
	if (!cfg->intent)
		return fp_err_set(-EINVAL, "strategy host: no intent ring");
	if (cfg->nb_md > FP_STRAT_MAX_MD || cfg->nb_strategies > FP_STRAT_MAX)
		return fp_err_set(-EINVAL, "strategy host: at most %d md rings and %d strategies",
				  FP_STRAT_MAX_MD, FP_STRAT_MAX);
	if (cfg->nb_symbols < 2 || cfg->nb_symbols > FP_STRAT_MAX_SYMBOLS)
		return fp_err_set(-EINVAL, "strategy host: nb_symbols %" PRIu32 " not in 2..%d",
				  cfg->nb_symbols, FP_STRAT_MAX_SYMBOLS);
	if (cfg->tsc_hz < FP_TSC_HZ_MIN || cfg->tsc_hz > FP_TSC_HZ_MAX)
		return fp_err_set(-EINVAL, "strategy host: tsc_hz %" PRIu64 " out of range",
				  cfg->tsc_hz);
	h->cfg = *cfg;
	h->stats->first_seq = cfg->clock ? cfg->first_seq : first_seq(cfg->first_seq);
	h->timer_tsc = cfg->timer_us ? cfg->tsc_hz * cfg->timer_us / 1000000 : 0;
	h->next_timer = host_now(h) + h->timer_tsc;
	for (uint32_t i = 0; i < cfg->nb_strategies; i++) {
		const struct fp_strat_spec *sp = &cfg->strat[i];
		struct fp_strat_slot *s = &h->slot[i];
		if (sp->id >= 32768 || h->route[sp->id]) {
			rc = fp_err_set(-EINVAL, "strategy id %u out of range or used twice",
					(unsigned)sp->id);
			goto err;
		}
		if ((rc = load_ops(sp, &s->ops, &s->dl)) < 0)
			goto err_named;
		if (!s->ops || s->ops->abi_version != FP_STRAT_ABI_VERSION ||
		    s->ops->state_size > (1u << 20)) {
			rc = fp_err_set(-EINVAL,
					"ABI version %u, state %u bytes (want version %d, "
					"<= 1 MiB)",
					s->ops ? s->ops->abi_version : 0,
					s->ops ? s->ops->state_size : 0, FP_STRAT_ABI_VERSION);
			h->nb = i + 1;
			goto err_named;
		}
		int bad;
		if ((rc = params_declared(s->ops, &sp->params, &bad)) < 0) {
			h->nb = i + 1;
			goto err_named;
		}
		size_t ssz = FP_ALIGN_UP((size_t)s->ops->state_size + 1, (size_t)64);
		s->state = aligned_alloc(64, ssz);
		s->position = calloc(cfg->nb_symbols, sizeof(int64_t));
		h->nb = i + 1;
		if (!s->state || !s->position) {
			rc = fp_err_set(-ENOMEM, "cannot allocate the state");
			goto err_named;
		}
		memset(s->state, 0, ssz);
		s->symbol_id = sp->symbol_id;
		s->next_seq = h->stats->first_seq;
		s->ctx = (struct fp_strat_ctx){.api = &fp_strat_api_v2,
					       .host = h,
					       .strategy_id = sp->id,
					       .tsc_hz = cfg->tsc_hz,
					       .now_tsc = host_now(h)};
		h->route[sp->id] = (uint8_t)(i + 1);
		h->nb_timed += s->ops->on_timer != NULL;
		if (s->ops->init && (rc = s->ops->init(s->state, &sp->params, &s->ctx)) < 0) {
			s->ops = NULL; /* no fini for a strategy that did not start */
			rc = fp_err_append(rc < 0 ? rc : -EINVAL, "init refused");
			goto err_named;
		}
	}
	/* Orders emitted by init() are on the intent ring already (or in the outbox). */
	return 0;
err_named:
	fp_err_append(rc, "strategy %u '%s'%s%s", (unsigned)cfg->strat[h->nb ? h->nb - 1 : 0].id,
		      cfg->strat[h->nb ? h->nb - 1 : 0].name,
		      cfg->strat[h->nb ? h->nb - 1 : 0].path[0] ? " from " : "",
		      cfg->strat[h->nb ? h->nb - 1 : 0].path);
err:
	fp_strat_host_fini(h);
	return rc;
}

void fp_strat_host_fini(struct fp_strat_host *h)
{
	if (!h)
		return;
	for (uint32_t i = 0; i < h->nb; i++) {
		struct fp_strat_slot *s = &h->slot[i];
		if (s->ops && s->ops->fini && s->state)
			s->ops->fini(s->state);
		free(s->state);
		free(s->position);
		if (s->dl)
			dlclose(s->dl);
		memset(s, 0, sizeof(*s));
	}
	h->nb = 0;
}

/* ---- poll ---- */

static unsigned flush(struct fp_strat_host *h)
{
	unsigned done = 0;
	while (h->out_head != h->out_tail) {
		uint32_t idx = h->out_head % FP_STRAT_OUTBOX;
		uint32_t n = FP_MIN(h->out_tail - h->out_head, FP_STRAT_OUTBOX - idx);
		uint32_t got = fp_ring_enqueue_burst(h->cfg.intent, &h->outbox[idx], n);
		h->out_head += got;
		done += got;
		if (got < n)
			break; /* ring full: the rest waits (invariant 1) */
	}
	h->stats->intents += done;
	return done;
}

static void dispatch_md(struct fp_strat_host *h, const struct fp_event *ev, uint64_t now)
{
	if (fp_unlikely(ev->flags & (FP_EVF_STALE | FP_EVF_REPLAY))) { /* (3) */
		if (ev->type != FP_EV_BOOK_TOP || !(ev->flags & FP_EVF_STALE)) {
			h->stats->history++;
			return;
		}
		h->stats->book_states++; /* the book went stale: strategies are told */
	}
	for (uint32_t i = 0; i < h->nb; i++) {
		struct fp_strat_slot *s = &h->slot[i];
		if (s->symbol_id && s->symbol_id != ev->symbol_id)
			continue;
		s->ctx.now_tsc = now;
		s->ctx.cause = ev;
		if (ev->type == FP_EV_BOOK_TOP) {
			if (s->ops->on_book_top)
				s->ops->on_book_top(s->state, &s->ctx, ev);
		} else if (ev->type == FP_EV_MD_TRADE && s->ops->on_trade) {
			s->ops->on_trade(s->state, &s->ctx, ev);
		}
		s->ctx.cause = NULL;
	}
}

static struct fp_strat_slot *route(struct fp_strat_host *h, uint16_t strategy_id)
{
	uint8_t r = strategy_id < 32768 ? h->route[strategy_id] : 0;
	if (!r) {
		h->stats->unrouted++;
		return NULL;
	}
	return &h->slot[r - 1];
}

unsigned fp_strat_host_poll(struct fp_strat_host *h, unsigned budget)
{
	uint64_t now = host_now(h);
	unsigned work = flush(h);
	uint32_t n;

	/* Own fills and rejects first, so that decisions on md see the latest position. */
	if (h->cfg.exec) {
		const struct fp_event *ev = fp_ring_peek(h->cfg.exec, budget, &n);
		for (uint32_t i = 0; i < n; i++) {
			if (ev[i].type == FP_EV_CONTROL) { /* a login: a new session restarts seq */
				if (ev[i].u.control.command == FP_EV_CTL_VENUE_UP &&
				    fp_jrnl_exec_filter_session(&h->exec_filter,
								ev[i].u.control.text))
					h->stats->exec_last_seq = 0;
				continue;
			}
			if (fp_jrnl_exec_replayed(&h->exec_filter, &ev[i])) { /* J3 */
				h->stats->exec_dups++;
				continue;
			}
			h->stats->exec_last_seq = h->exec_filter.last_seq;
			struct fp_strat_slot *s = route(h, ev[i].u.exec.strategy_id);
			if (!s)
				continue;
			if (ev[i].type == FP_EV_EXEC_FILL && ev[i].symbol_id < h->cfg.nb_symbols)
				s->position[ev[i].symbol_id] +=
					ev[i].u.exec.side == FP_SIDE_BUY
						? ev[i].u.exec.shares
						: -(int64_t)ev[i].u.exec.shares;
			if (s->ops->on_exec) {
				s->ctx.now_tsc = now;
				s->ctx.cause = &ev[i];
				s->ops->on_exec(s->state, &s->ctx, &ev[i]);
				s->ctx.cause = NULL;
			}
		}
		if (n)
			fp_ring_release(h->cfg.exec, n);
		h->stats->execs += n;
		work += n;
	}
	if (h->cfg.reject) {
		const struct fp_event *ev = fp_ring_peek(h->cfg.reject, budget, &n);
		for (uint32_t i = 0; i < n; i++) {
			struct fp_strat_slot *s = route(h, ev[i].u.reject.strategy_id);
			if (s && s->ops->on_reject) {
				s->ctx.now_tsc = now;
				s->ctx.cause = &ev[i];
				s->ops->on_reject(s->state, &s->ctx, &ev[i]);
				s->ctx.cause = NULL;
			}
		}
		if (n)
			fp_ring_release(h->cfg.reject, n);
		h->stats->rejects += n;
		work += n;
	}
	for (uint32_t k = 0; k < h->cfg.nb_md; k++) {
		const struct fp_event *ev = fp_ring_peek(h->cfg.md[k], budget, &n);
		for (uint32_t i = 0; i < n; i++)
			if (ev[i].type == FP_EV_BOOK_TOP || ev[i].type == FP_EV_MD_TRADE)
				dispatch_md(h, &ev[i], now);
		if (n)
			fp_ring_release(h->cfg.md[k], n);
		h->stats->md += n;
		work += n;
	}
	if (h->timer_tsc && now >= h->next_timer) {
		h->next_timer = now + h->timer_tsc;
		for (uint32_t i = 0; i < h->nb; i++) {
			struct fp_strat_slot *s = &h->slot[i];
			if (s->ops->on_timer) {
				s->ctx.now_tsc = now;
				s->ops->on_timer(s->state, &s->ctx);
			}
		}
		h->stats->timers++;
	}
	return work + flush(h);
}

int fp_strat_stats_check(const struct fp_strat_stats *st)
{
	const struct fp_stats_hdr want = {FP_STRAT_STATS_MAGIC, FP_STRAT_STATS_VERSION,
					  sizeof(*st)};
	return fp_stats_hdr_check(st, &want, "strat.stats", "a strategy host's counters");
}
