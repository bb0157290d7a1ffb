/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_book_stage.c - the book stage (fp_book_stage.h): md ring -> core -> tops, trades, snapshots.
 *
 * fp_book_init()/fp_book_fini() are cold (they allocate); fp_book_poll() is the hot path of
 * the book worker: no allocation, syscall, lock or log. Events are read in place from the
 * md ring (peek/release) and run through the core's prefetch pipeline (fp_book.h: order
 * slot, symbol line, best levels, a few events ahead) so that the cache misses of several
 * messages overlap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fp_book_stage.h"
#include "fp_err.h"

int fp_book_init(struct fp_book *b, const struct fp_book_stage_cfg *cfg)
{
	int rc;

	memset(b, 0, sizeof(*b));
	if (!cfg->md)
		return fp_err_set(-EINVAL, "book stage needs an md ring");
	if (cfg->nb_out > FP_BOOK_MAX_OUT)
		return fp_err_set(-EINVAL, "%u strategy rings, at most %u", cfg->nb_out,
				  FP_BOOK_MAX_OUT);
	for (uint32_t i = 0; i < cfg->nb_out; i++)
		if (!cfg->out[i])
			return fp_err_set(-EINVAL, "strategy ring %u is missing", i);
	if ((rc = fp_book_core_init(&b->core, &cfg->book)) < 0)
		return fp_err_append(rc, "book stage");
	b->md = cfg->md;
	b->nb_out = cfg->nb_out;
	b->tops_only = cfg->tops_only;
	memcpy(b->out, cfg->out, sizeof(b->out));
	uint32_t nsym = cfg->book.max_symbols;
	b->dirty = calloc(nsym, sizeof(*b->dirty));
	b->dirty_mark = calloc(nsym, 1);
	b->last_t_rx = calloc(nsym, sizeof(*b->last_t_rx));
	b->last_ts_ns = calloc(nsym, sizeof(*b->last_ts_ns));
	b->pub = calloc(nsym, 1);
	if (!b->dirty || !b->dirty_mark || !b->last_t_rx || !b->last_ts_ns || !b->pub) {
		rc = fp_err_set(-ENOMEM, "book stage tables for %u symbols", nsym);
		goto err;
	}
	/* Touch every page now (calloc may hand out untouched zero pages): no page fault on
	 * the hot path (fp_book.h). */
	memset(b->dirty, 0, nsym * sizeof(*b->dirty));
	memset(b->dirty_mark, 0, nsym);
	memset(b->last_t_rx, 0, nsym * sizeof(*b->last_t_rx));
	memset(b->last_ts_ns, 0, nsym * sizeof(*b->last_ts_ns));
	memset(b->pub, 0, nsym);
	if (cfg->snap_mem && cfg->snap_depth) {
		rc = fp_book_snap_init(cfg->snap_mem, cfg->snap_size, nsym, cfg->snap_depth);
		if (rc < 0) {
			fp_err_append(rc, "book stage");
			goto err;
		}
		b->snap = cfg->snap_mem;
		b->snap_depth = cfg->snap_depth;
	}
	b->stats = cfg->stats ? cfg->stats : &b->own_stats;
	memset(b->stats, 0, sizeof(*b->stats));
	b->stats->magic = FP_BOOK_STATS_MAGIC;
	b->stats->version = FP_BOOK_STATS_VERSION;
	b->stats->nb_out = cfg->nb_out;
	return 0;
err:
	fp_book_fini(b);
	return rc;
}

void fp_book_fini(struct fp_book *b)
{
	if (!b)
		return;
	fp_book_core_fini(&b->core);
	free(b->dirty);
	free(b->dirty_mark);
	free(b->last_t_rx);
	free(b->last_ts_ns);
	free(b->pub);
	b->pub = NULL;
	b->dirty = NULL;
	b->dirty_mark = NULL;
	b->last_t_rx = NULL;
	b->last_ts_ns = NULL;
}

static inline void touch(struct fp_book *b, uint32_t symbol, const struct fp_event *ev)
{
	b->last_t_rx[symbol] = ev->t_rx;
	b->last_ts_ns[symbol] = ev->u.add.ts_ns; /* every md payload starts with ts_ns */
	if (!b->dirty_mark[symbol]) {
		b->dirty_mark[symbol] = 1;
		b->dirty[b->nb_dirty++] = symbol;
	}
}

static inline void publish_top(struct fp_book *b, uint32_t symbol, const struct fp_event *cause)
{
	struct fp_event top;
	fp_book_core_top_event(&b->core, symbol, cause, &top);
	uint8_t was = b->pub[symbol];
	if (fp_unlikely(top.flags & FP_EVF_STALE)) {
		if (was != 1) { /* already told, or never told anything: history stays silent */
			b->stats->stale_tops++;
			return;
		}
		b->pub[symbol] = 2;
	} else if (fp_unlikely(was != 1)) {
		if (was == 0 && !top.u.top.bid_price && !top.u.top.ask_price)
			return; /* an empty book nobody heard of */
		b->pub[symbol] = 1;
	}
	b->stats->tops++;
	for (uint32_t i = 0; i < b->nb_out; i++)
		if (fp_unlikely(fp_ring_enqueue_burst(b->out[i], &top, 1) == 0))
			b->stats->top_overrun++;
}

static inline void publish_trade(struct fp_book *b, const struct fp_event *cause, uint32_t symbol,
				 const struct fp_ev_md_trade *t, uint8_t flags)
{
	struct fp_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = FP_EV_MD_TRADE;
	ev.flags = (uint8_t)((cause->flags & FP_EVF_REPLAY) | flags);
	ev.source = cause->source;
	ev.symbol_id = symbol;
	ev.seq = cause->seq;
	ev.t_rx = cause->t_rx;
	ev.u.trade = *t;
	b->stats->trades++;
	for (uint32_t i = 0; i < b->nb_out; i++)
		if (!(b->tops_only & (1u << i)) &&
		    fp_unlikely(fp_ring_enqueue_burst(b->out[i], &ev, 1) == 0))
			b->stats->trade_overrun++;
}

/** E or C of a live order (FP_BOOK_CHG_EXEC): the core knows its price and side. */
static inline void publish_exec(struct fp_book *b, uint32_t symbol, const struct fp_event *ev)
{
	const struct fp_ev_md_execute *x = &ev->u.execute;
	if ((ev->flags & FP_EVF_WITH_PRICE) && x->printable == 'N')
		return;
	struct fp_ev_md_trade t = {
		.ts_ns = x->ts_ns,
		.order_reference_number = x->order_reference_number,
		.match_number = x->match_number,
		.price = b->core.exec_price,
		.shares = x->executed_shares,
		.side = b->core.exec_side,
	};
	publish_trade(b, ev, symbol, &t,
		      (b->core.syms[symbol].state & FP_BOOK_SYM_STALE) ? FP_EVF_STALE : 0);
}

/** P (non-cross trade) and Q (cross): prints of no displayed order; nothing in the core. */
static FP_COLD void publish_print(struct fp_book *b, const struct fp_event *ev)
{
	if (ev->symbol_id == 0 || ev->symbol_id >= b->core.cfg.max_symbols)
		return;
	if (ev->type == FP_EV_MD_TRADE) {
		publish_trade(b, ev, ev->symbol_id, &ev->u.trade, 0);
		return;
	}
	const struct fp_ev_md_cross_trade *q = &ev->u.cross_trade;
	if (q->shares == 0)
		return;
	struct fp_ev_md_trade t = {
		.ts_ns = q->ts_ns,
		.match_number = q->match_number,
		.price = q->cross_price,
		.shares = q->shares > UINT32_MAX ? UINT32_MAX : (uint32_t)q->shares,
	};
	publish_trade(b, ev, ev->symbol_id, &t, FP_EVF_CROSS);
}

/** End of day or a global stale mark: look at every symbol's top (cold, O(symbols)). */
static FP_COLD void rescan_all(struct fp_book *b, const struct fp_event *cause)
{
	b->stats->clears++;
	for (uint32_t s = 0; s < b->core.cfg.max_symbols; s++)
		if (fp_book_core_check_top(&b->core, s)) {
			publish_top(b, s, cause);
			touch(b, s, cause);
		}
}

static FP_COLD void stock_directory(struct fp_book *b, const struct fp_event *ev)
{
	if (!b->snap || ev->symbol_id >= b->core.cfg.max_symbols)
		return;
	struct fp_book_snap_entry *e = fp_book_snap_entry(b->snap, ev->symbol_id);
	fp_seqlock_write_begin(&e->lock);
	memcpy(e->stock, ev->u.stock_directory.stock, sizeof(e->stock));
	fp_seqlock_write_end(&e->lock);
}

static void write_snapshot(struct fp_book *b, uint32_t symbol)
{
	struct fp_book_snap_entry *e = fp_book_snap_entry(b->snap, symbol);
	const struct fp_book_core *bc = &b->core;
	const struct fp_book_sym *s = &bc->syms[symbol];
	uint32_t depth = b->snap_depth;

	fp_seqlock_write_begin(&e->lock);
	e->state = s->state;
	e->book_seq = s->seq;
	e->t_rx = b->last_t_rx[symbol];
	e->ts_ns = b->last_ts_ns[symbol];
	for (unsigned side = 0; side < 2; side++) {
		struct fp_book_snap_level *out = &e->lv[side * depth];
		struct fp_book_iter it;
		const struct fp_book_level *l;
		uint32_t n = 0;
		fp_book_iter_init(&it, bc, symbol, side);
		for (uint32_t k = 0; k < depth && (l = fp_book_iter_next(&it)); k++, n++) {
			out[k].price = fp_book_level_price(l, side);
			out[k].shares = l->shares > UINT32_MAX ? UINT32_MAX : (uint32_t)l->shares;
			out[k].orders = l->orders;
		}
		if (side == FP_BOOK_BID) {
			e->nb_bids = n;
			e->total_bids = fp_book_core_nb_levels(bc, symbol, side);
		} else {
			e->nb_asks = n;
			e->total_asks = fp_book_core_nb_levels(bc, symbol, side);
		}
	}
	fp_seqlock_write_end(&e->lock);
}

unsigned fp_book_poll(struct fp_book *b, unsigned budget)
{
	uint32_t got;
	const struct fp_event *evs = fp_ring_peek(b->md, budget, &got);
	if (got == 0)
		return 0;
	for (uint32_t i = 0; i < got && i < FP_BOOK_PF_ORDER; i++)
		fp_book_core_prefetch(&b->core, &evs[i]);
	for (uint32_t i = 0; i < got; i++) {
		const struct fp_event *ev = &evs[i];
		if (i + FP_BOOK_PF_ORDER < got)
			fp_book_core_prefetch(&b->core, &evs[i + FP_BOOK_PF_ORDER]);
		if (i + FP_BOOK_PF_SYM < got)
			fp_book_core_prefetch_sym(&b->core, &evs[i + FP_BOOK_PF_SYM]);
		if (i + FP_BOOK_PF_LEVELS < got)
			fp_book_core_prefetch_levels(&b->core, &evs[i + FP_BOOK_PF_LEVELS]);
		if (fp_unlikely(ev->type == FP_EV_MD_STALE &&
				ev->u.stale.reason == FP_STALE_REBUILD)) {
			fp_book_core_clear(&b->core); /* md starts over: rebuilt from nothing */
			b->stats->rebuilds++;
		}
		unsigned chg = fp_book_core_apply(&b->core, ev);
		if (fp_likely(!(chg & FP_BOOK_CHG_ALL))) {
			uint32_t symbol = b->core.last_symbol;
			if (chg & FP_BOOK_CHG_EXEC)
				publish_exec(b, symbol, ev);
			if (chg & FP_BOOK_CHG_TOP)
				publish_top(b, symbol, ev);
			if (chg & (FP_BOOK_CHG_DEPTH | FP_BOOK_CHG_TOP))
				touch(b, symbol, ev);
			else if (fp_unlikely(ev->type == FP_EV_MD_STOCK_DIRECTORY))
				stock_directory(b, ev);
			else if (fp_unlikely(ev->type == FP_EV_MD_TRADE ||
					     ev->type == FP_EV_MD_CROSS_TRADE))
				publish_print(b, ev);
		} else {
			rescan_all(b, ev);
		}
	}
	fp_ring_release(b->md, got);

	if (b->snap)
		for (uint32_t k = 0; k < b->nb_dirty; k++)
			write_snapshot(b, b->dirty[k]);
	b->stats->snapshots += b->snap ? b->nb_dirty : 0;
	for (uint32_t k = 0; k < b->nb_dirty; k++)
		b->dirty_mark[b->dirty[k]] = 0;
	b->nb_dirty = 0;

	b->stats->polls++;
	b->stats->md_events += got;
	b->stats->core = b->core.st;
	return got;
}
