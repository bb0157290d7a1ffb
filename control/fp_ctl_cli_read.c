/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_cli_read.c - fastpath-ctl's read commands: status, positions, orders, book, stats,
 * config validate. Each copies what it shows out of the segment (seqlocked regions through
 * their readers), never writes, and prints text or, with --json, one JSON object.
 *
 * fastpath-ctl only; cold (allocates, prints).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fp_ctl_cli.h"
#include "fp_ctl_pipeline.h"
#include "fp_err.h"
#include "fp_gw.h"
#include "fp_hist.h"
#include "fp_md.h"
#include "fp_ring.h"
#include "fp_risk.h"
#include "fp_risk_breaker.h"
#include "fp_risk_core.h"
#include "fp_shm_ctl.h"
#include "fp_strat.h"
#include "fp_symtab.h"
#if __has_include("fp_book_snap.h")
#include "fp_book_snap.h"
#define CLI_HAVE_BOOK_SNAP 1
#endif

static const char *backing_name(uint32_t b)
{
	return b == FP_SHM_BACKING_HUGE_2M   ? "hugetlbfs-2M"
	       : b == FP_SHM_BACKING_HUGE_1G ? "hugetlbfs-1G"
					     : "shm";
}

static void emit_change(struct fp_cli_out *o, const struct fp_shm_ctl *ctl)
{
	struct fp_shm_ctl_change ch;
	fp_cli_obj(o, "last_change");
	if (fp_shm_ctl_last_change(ctl, &ch) && ch.seq) {
		fp_cli_u64(o, "seq", ch.seq);
		const char *what = fp_shm_ctl_what_str(ch.what);
		fp_cli_str(o, "what", what ? what : "unknown");
		fp_cli_u64(o, "old", ch.old_value);
		fp_cli_u64(o, "new", ch.new_value);
		fp_cli_str(o, "who", ch.who);
		fp_cli_str(o, "reason", ch.reason);
		fp_cli_i64(o, "pid", ch.pid);
		fp_cli_u64(o, "time_ns", ch.time_ns);
	} else {
		fp_cli_u64(o, "seq", 0);
	}
	fp_cli_end(o);
}

/* The latest transition to open among the breaker's kept records: the symbol and the
 * figure that tripped it (P&L, position, rejects in a row, missing messages). */
static void emit_last_trip(struct fp_cli_out *o, const struct fp_risk_breaker_region *brk)
{
	uint64_t n = atomic_load_explicit(&brk->nb_records, memory_order_acquire);
	uint64_t first = n > FP_RISK_BREAKER_LOG ? n - FP_RISK_BREAKER_LOG : 0;
	for (uint64_t i = n; i-- > first;) {
		const struct fp_risk_breaker_rec *r = &brk->log[i % FP_RISK_BREAKER_LOG];
		if (r->to != FP_RISK_BRK_OPEN || r->from == FP_RISK_BRK_OPEN)
			continue;
		fp_cli_obj(o, "last_trip");
		fp_cli_str(o, "reason", fp_risk_trip_name(r->reason));
		fp_cli_u64(o, "symbol", r->symbol_id);
		fp_cli_i64(o, "value", r->value);
		fp_cli_end(o);
		return;
	}
}

/* status */
int fp_cli_status(struct fp_cli *c)
{
	struct fp_cli_out *o = &c->out;
	const struct fp_shm_hdr *h = c->seg.hdr;
	const struct fp_shm_ctl *ctl = fp_cli_region(c, "ctl", NULL);
	const struct fp_shm_workers *wt = fp_cli_region(c, "workers", NULL);
	const struct fp_risk_breaker_region *brk = fp_cli_region(c, "risk.breaker", NULL);
	const struct fp_risk_limits_shm *lim = fp_cli_region(c, "risk.limits", NULL);

	fp_cli_obj(o, NULL);
	fp_cli_str(o, "instance", h->instance);
	fp_cli_obj(o, "segment");
	fp_cli_str(o, "path", c->seg.path);
	fp_cli_str(o, "backing", backing_name(h->backing));
	fp_cli_u64(o, "bytes", h->total_bytes);
	fp_cli_i64(o, "supervisor_pid", h->creator_pid);
	fp_cli_str(o, "state",
		   fp_shm_get_state(&c->seg) == FP_SHM_STATE_READY      ? "ready"
		   : fp_shm_get_state(&c->seg) == FP_SHM_STATE_STOPPING ? "stopping"
									: "creating");
	fp_cli_u64(o, "tsc_hz", h->tsc_hz);
	fp_cli_u64(o, "created_ns", h->created_ns);
	fp_cli_end(o);
	fp_cli_arr(o, "workers");
	for (uint32_t i = 0; wt && i < wt->nb_workers && i < FP_SHM_MAX_WORKERS; i++) {
		const struct fp_shm_worker *w = &wt->w[i];
		uint64_t hb = atomic_load_explicit(&w->heartbeat_tsc, memory_order_relaxed);
		fp_cli_obj(o, NULL);
		fp_cli_str(o, "name", w->name);
		fp_cli_i64(o, "core", w->core);
		fp_cli_i64(o, "pid", w->pid);
		fp_cli_str(o, "state", fp_cli_worker_state(atomic_load(&w->state)));
		fp_cli_dbl(o, "heartbeat_age_ms", hb ? (double)fp_cli_tsc_age_ns(c, hb) / 1e6 : -1);
		fp_cli_u64(o, "restarts", w->restarts);
		fp_cli_end(o);
	}
	fp_cli_end(o);
	/* the ring graph (fp_ctl_ring_graph): who feeds whom, and how full each ring is */
	fp_cli_arr(o, "rings");
	for (unsigned i = 0; i < FP_CTL_NB_RINGS; i++) {
		const struct fp_ctl_ring_edge *e = &fp_ctl_ring_graph[i];
		const struct fp_ring *r = fp_cli_region(c, e->ring, NULL);
		fp_cli_obj(o, NULL);
		fp_cli_str(o, "ring", e->ring);
		fp_cli_str(o, "producer", e->producer);
		fp_cli_str(o, "consumer", e->consumer);
		if (r) {
			fp_cli_u64(o, "capacity", fp_ring_capacity(r));
			fp_cli_u64(o, "count", fp_ring_count(r));
		}
		fp_cli_end(o);
	}
	fp_cli_end(o);
	if (ctl) {
		fp_cli_bool(o, "killed", fp_shm_ctl_killed(ctl));
		fp_cli_str(o, "trading_state", fp_cli_trading_name(fp_shm_ctl_trading(ctl)));
		fp_cli_u64(o, "control_changes", atomic_load(&ctl->change_seq));
		emit_change(o, ctl);
	}
	fp_cli_obj(o, "breaker");
	if (brk) {
		fp_cli_str(o, "state", fp_risk_breaker_state_name(atomic_load(&brk->state)));
		fp_cli_str(o, "reason", fp_risk_trip_name(atomic_load(&brk->reason)));
		fp_cli_u64(o, "trips", brk->nb_trips);
		emit_last_trip(o, brk);
	} else {
		fp_cli_str(o, "state", "absent (no risk stage)");
	}
	fp_cli_end(o);
	if (lim)
		fp_cli_u64(o, "limits_generation", lim->lim.generation);
	/* The venue session, what carries it (TLS version, kernel TLS offload by direction: the
	 * log line "venue session up over tls1.3+ktls" says it too), and the send and receive
	 * paths (docs/gateway.md). */
	const struct fp_gw_stats *g = fp_cli_region(c, "gw.stats", NULL);
	if (g && fp_gw_stats_check(g) == 0) {
		fp_cli_obj(o, "gateway");
		fp_cli_str(o, "session", fp_cli_session_name(g->session));
		fp_cli_str(o, "transport", fp_cli_transport_name(g->transport));
		fp_cli_bool(o, "ktls_tx", g->ktls_tx);
		fp_cli_bool(o, "ktls_rx", g->ktls_rx);
		fp_cli_u64(o, "sent", g->nb_sent);
		fp_cli_u64(o, "tx_backlog", g->nb_tx_backlog);
		fp_cli_u64(o, "rx_reads", g->nb_rx_reads);
		fp_cli_dbl(o, "rx_gap_max_us", (double)g->rx_gap_max_ns / 1e3);
		fp_cli_end(o);
	}
	fp_cli_end(o);
	return FP_CLI_OK;
}

static void pnl_line(struct fp_cli_out *o, const char *key, const struct fp_risk_pnl *src)
{
	struct fp_risk_pnl p;
	if (!fp_seqlock_read_copy(&src->lock, &p, src, sizeof(p), 1000))
		return;
	fp_cli_obj(o, key);
	fp_cli_px(o, "realized", p.realized);
	fp_cli_px(o, "unrealized", p.unreal);
	fp_cli_px(o, "gross", p.gross);
	fp_cli_px(o, "net", p.net);
	fp_cli_u64(o, "fills", p.nb_fills);
	fp_cli_u64(o, "fill_shares", p.fill_shares);
	fp_cli_u64(o, "consec_losses", p.consec_losses);
	fp_cli_end(o);
}

/* positions */
int fp_cli_positions(struct fp_cli *c)
{
	struct fp_cli_out *o = &c->out;
	uint64_t size;
	const struct fp_risk_pos_region *r = fp_cli_region(c, "risk.positions", &size);
	const struct fp_symtab *t = fp_cli_region(c, "symtab", NULL);

	if (!r)
		return fp_cli_fail(FP_CLI_FAILED, "instance '%s' has no risk stage (no positions)",
				   c->instance);
	fp_cli_obj(o, NULL);
	fp_cli_str(o, "units", "dollars");
	pnl_line(o, "firm", &r->firm);
	fp_cli_arr(o, "positions");
	for (uint32_t i = 0; i < r->capacity; i++) {
		struct fp_risk_pos p;
		if (!r->pos[i].symbol_id ||
		    !fp_seqlock_read_copy(&r->pos[i].lock, &p, &r->pos[i], sizeof(p), 1000) ||
		    !p.symbol_id)
			continue;
		char name[9] = "";
		if (t && p.symbol_id < FP_SYMTAB_NB_ENTRIES)
			fp_cli_stock(name, t->sym[p.symbol_id].name);
		fp_cli_obj(o, NULL);
		fp_cli_u64(o, "strategy", p.strategy_id);
		fp_cli_u64(o, "symbol_id", p.symbol_id);
		fp_cli_str(o, "symbol", name);
		fp_cli_i64(o, "position", p.position);
		fp_cli_px(o, "cost", p.cost);
		fp_cli_px(o, "mark", p.mark);
		fp_cli_px(o, "realized", p.realized);
		fp_cli_px(o, "unrealized", p.unreal);
		fp_cli_end(o);
	}
	fp_cli_end(o);
	fp_cli_arr(o, "strategies");
	for (unsigned s = 0; s < FP_RISK_MAX_STRATEGIES; s++) {
		struct fp_risk_pnl p;
		if (!fp_seqlock_read_copy(&r->strat[s].lock, &p, &r->strat[s], sizeof(p), 1000) ||
		    (!p.nb_fills && !p.gross && !p.realized))
			continue;
		fp_cli_obj(o, NULL);
		fp_cli_u64(o, "strategy", s);
		fp_cli_px(o, "realized", p.realized);
		fp_cli_px(o, "unrealized", p.unreal);
		fp_cli_px(o, "gross", p.gross);
		fp_cli_px(o, "net", p.net);
		fp_cli_u64(o, "fills", p.nb_fills);
		fp_cli_end(o);
	}
	fp_cli_end(o);
	fp_cli_end(o);
	return FP_CLI_OK;
}

/* orders [--open] */
int fp_cli_orders(struct fp_cli *c)
{
	struct fp_cli_out *o = &c->out;
	int open_only = 0;
	for (int i = 0; i < c->argc; i++) {
		if (!strcmp(c->argv[i], "--open"))
			open_only = 1;
		else
			return fp_cli_fail(FP_CLI_USAGE, "orders: unknown option '%s'", c->argv[i]);
	}
	const struct fp_gw_stats *g = fp_cli_region(c, "gw.stats", NULL);
	if (!g)
		return fp_cli_fail(FP_CLI_FAILED, "instance '%s' has no gateway stage (no orders)",
				   c->instance);
	if (fp_gw_stats_check(g) < 0)
		return fp_cli_fail(FP_CLI_FAILED, "%s", fp_err_msg());
	/* The gateway keeps its order table in process memory, not in the segment: what
	 * the segment has is its counters and the number of orders not yet final. */
	fp_cli_obj(o, NULL);
	fp_cli_str(o, "source", "gw.stats counters (the order table is private to the gateway)");
	fp_cli_u64(o, "open", g->nb_open);
	if (!open_only) {
		fp_cli_u64(o, "received", g->nb_orders_in);
		fp_cli_u64(o, "sent", g->nb_sent);
		fp_cli_u64(o, "orders_sent", g->nb_orders_sent);
		fp_cli_u64(o, "replaces_sent", g->nb_replaces_sent);
		fp_cli_u64(o, "tx_backlog", g->nb_tx_backlog);
		fp_cli_u64(o, "accepted", g->nb_accepted);
		fp_cli_u64(o, "fills", g->nb_fills);
		fp_cli_u64(o, "canceled", g->nb_canceled);
		fp_cli_u64(o, "replaced", g->nb_replaced);
		fp_cli_u64(o, "venue_rejected", g->nb_rejected);
		fp_cli_u64(o, "cancel_rejects", g->nb_cancel_rejects);
		fp_cli_u64(o, "local_rejected", g->nb_local_rejects);
		fp_cli_obj(o, "local_rejected_by_reason");
		for (unsigned i = 0; i < FP_GW_REJ_NB; i++)
			if (g->nb_local_by_reason[i])
				fp_cli_u64(o, fp_gw_reject_name(FP_GW_REJ_FIRST + i),
					   g->nb_local_by_reason[i]);
		fp_cli_end(o);
		fp_cli_u64(o, "kill_cancels", g->nb_kill_cancels);
		fp_cli_str(o, "session", fp_cli_session_name(g->session));
	}
	fp_cli_end(o);
	return FP_CLI_OK;
}

/* book SYMBOL [--depth N] */
int fp_cli_book(struct fp_cli *c)
{
	unsigned depth = 5;
	const char *sym = NULL;
	for (int i = 0; i < c->argc; i++) {
		if (!strcmp(c->argv[i], "--depth") && i + 1 < c->argc) {
			char *end;
			unsigned long v = strtoul(c->argv[++i], &end, 10);
			if (*end || v == 0 || v > 1000)
				return fp_cli_fail(FP_CLI_USAGE, "book: --depth must be 1..1000");
			depth = (unsigned)v;
		} else if (!sym && c->argv[i][0] != '-') {
			sym = c->argv[i];
		} else {
			return fp_cli_fail(FP_CLI_USAGE, "book: unexpected argument '%s'",
					   c->argv[i]);
		}
	}
	if (!sym)
		return fp_cli_fail(FP_CLI_USAGE, "book: SYMBOL is required");
#ifdef CLI_HAVE_BOOK_SNAP
	uint64_t size;
	const struct fp_book_snap_hdr *h = fp_cli_region(c, "book.snap", &size);
	if (!h)
		h = fp_cli_region(c, FP_BOOK_SNAP_NAME, &size);
	if (!h)
		return fp_cli_fail(FP_CLI_FAILED, "instance '%s' has no book stage (no book.snap)",
				   c->instance);
	if (fp_book_snap_check(h, size) < 0)
		return fp_cli_fail(FP_CLI_BAD_SEGMENT, "book.snap: %s", fp_err_msg());
	uint32_t id = fp_cli_symbol_id(c, sym);
	if (!id || id >= h->nb_symbols)
		return fp_cli_fail(FP_CLI_FAILED, "book: unknown symbol '%s'", sym);
	struct fp_book_snap_entry *e = malloc(fp_book_snap_entry_size(h->depth));
	if (!e)
		return fp_cli_fail(FP_CLI_FAILED, "out of memory");
	if (fp_book_snap_read(h, id, e, 1000) < 0) {
		free(e);
		return fp_cli_fail(FP_CLI_FAILED, "book: %s is being written too fast to read",
				   sym);
	}
	struct fp_cli_out *o = &c->out;
	char name[9];
	fp_cli_stock(name, e->stock);
	if (depth > h->depth)
		depth = h->depth;
	fp_cli_obj(o, NULL);
	fp_cli_str(o, "symbol", name[0] ? name : sym);
	fp_cli_u64(o, "symbol_id", id);
	fp_cli_u64(o, "book_seq", e->book_seq);
	fp_cli_u64(o, "state", e->state);
	fp_cli_u64(o, "total_bid_levels", e->total_bids);
	fp_cli_u64(o, "total_ask_levels", e->total_asks);
	for (int side = 0; side < 2; side++) {
		uint32_t n = side ? e->nb_asks : e->nb_bids;
		fp_cli_arr(o, side ? "asks" : "bids");
		for (uint32_t i = 0; i < n && i < depth; i++) {
			const struct fp_book_snap_level *l = &e->lv[side * h->depth + i];
			fp_cli_obj(o, NULL);
			fp_cli_px(o, "price", l->price);
			fp_cli_u64(o, "shares", l->shares);
			fp_cli_u64(o, "orders", l->orders);
			fp_cli_end(o);
		}
		fp_cli_end(o);
	}
	fp_cli_end(o);
	free(e);
	return FP_CLI_OK;
#else
	(void)depth;
	return fp_cli_fail(FP_CLI_FAILED,
			   "book: this build has no book snapshot reader (book/fp_book_snap.h "
			   "not yet in the tree)");
#endif
}

static void emit_hist(const struct fp_cli *c, struct fp_cli_out *o, const char *key,
		      const struct fp_hist *hist)
{
	double ns = c->seg.hdr->tsc_hz ? 1e9 / (double)c->seg.hdr->tsc_hz : 0;
	fp_cli_obj(o, key);
	fp_cli_u64(o, "count", fp_hist_count(hist));
	fp_cli_dbl(o, "p50_ns", (double)fp_hist_percentile(hist, 0.50) * ns);
	fp_cli_dbl(o, "p99_ns", (double)fp_hist_percentile(hist, 0.99) * ns);
	fp_cli_dbl(o, "p999_ns", (double)fp_hist_percentile(hist, 0.999) * ns);
	fp_cli_dbl(o, "max_ns", (double)fp_hist_max(hist) * ns);
	fp_cli_end(o);
}

/* stats */
int fp_cli_stats(struct fp_cli *c)
{
	struct fp_cli_out *o = &c->out;
	struct fp_ctl_summary sum;
	fp_cli_summary(c, &sum);

	fp_cli_obj(o, NULL);
	fp_cli_arr(o, "rings");
	for (unsigned i = 0; i < FP_CTL_NB_RINGS; i++) {
		const struct fp_ring *r = fp_cli_region(c, fp_ctl_ring_graph[i].ring, NULL);
		if (!r)
			continue;
		uint32_t n = fp_ring_count(r), cap = fp_ring_capacity(r);
		fp_cli_obj(o, NULL);
		fp_cli_str(o, "name", fp_ctl_ring_graph[i].ring);
		fp_cli_u64(o, "count", n);
		fp_cli_u64(o, "capacity", cap);
		fp_cli_dbl(o, "occupancy", cap ? (double)n / cap : 0);
		fp_cli_end(o);
	}
	fp_cli_end(o);
	const struct fp_md_stats *md = fp_cli_region(c, "md.stats", NULL);
	if (md) {
		fp_cli_obj(o, "md");
		fp_cli_u64(o, "packets", md->packets);
		fp_cli_u64(o, "messages", md->messages);
		fp_cli_u64(o, "gaps", md->gaps);
		fp_cli_u64(o, "missing", md->missing);
		fp_cli_u64(o, "recovered", md->mold.recovered);
		fp_cli_u64(o, "lost", md->mold.lost);
		fp_cli_u64(o, "duplicates", md->duplicates);
		fp_cli_u64(o, "errors", md->errors);
		fp_cli_u64(o, "overruns", md->overruns);
		fp_cli_u64(o, "stale_events", md->stale_events);
		fp_cli_u64(o, "requests_sent", md->requests_sent);
		if (md->version >= 2) { /* live versus history (issue 16) */
			fp_cli_str(o, "state", fp_md_state_name((unsigned)md->state));
			fp_cli_u64(o, "late_joins", md->late_joins);
			fp_cli_u64(o, "recoveries", md->recoveries);
			fp_cli_u64(o, "last_recovery_us", md->last_recovery_ns / 1000);
			fp_cli_str(o, "last_path",
				   md->last_path == 2   ? "snapshot"
				   : md->last_path == 1 ? "rerequest"
							: "none");
			fp_cli_u64(o, "snapshots", md->snapshots);
			fp_cli_u64(o, "snapshot_gaps", md->snapshot_gaps);
			fp_cli_u64(o, "snapshot_msgs", md->snapshot_msgs);
			fp_cli_u64(o, "snapshot_errors", md->snapshot_errors);
			fp_cli_u64(o, "last_snapshot_us", md->last_snapshot_ns / 1000);
			fp_cli_u64(o, "end_of_session", md->mold.end_of_session);
		}
		fp_cli_end(o);
	}
	fp_cli_obj(o, "book");
	fp_cli_u64(o, "updates", sum.book_updates);
	fp_cli_u64(o, "tops", sum.book_tops);
	fp_cli_u64(o, "integrity_errors", sum.book_integrity_errors);
	fp_cli_end(o);
	const struct fp_strat_stats *ss = fp_cli_region(c, "strat.stats", NULL);
	if (ss && fp_strat_stats_check(ss) == 0) {
		fp_cli_obj(o, "strategies");
		fp_cli_u64(o, "md", ss->md);
		fp_cli_u64(o, "intents", ss->intents);
		fp_cli_u64(o, "execs", ss->execs);
		fp_cli_u64(o, "rejects", ss->rejects);
		fp_cli_u64(o, "outbox_full", ss->outbox_full);
		fp_cli_u64(o, "book_states", ss->book_states);
		fp_cli_u64(o, "history_dropped", ss->history);
		fp_cli_end(o);
	}
	const struct fp_risk_stats *rs = fp_cli_region(c, "risk.stats", NULL);
	if (rs && fp_risk_stats_check(rs) == 0) {
		fp_cli_obj(o, "risk");
		fp_cli_u64(o, "intents", rs->intents);
		fp_cli_u64(o, "forwarded", rs->forwarded);
		fp_cli_u64(o, "rejects", rs->rejects_sent + rs->rejects_unsent);
		fp_cli_u64(o, "execs", rs->execs);
		fp_cli_u64(o, "mass_cancels", rs->mass_cancels);
		fp_cli_u64(o, "limits_updates", atomic_load(&rs->limits_updates));
		fp_cli_u64(o, "limits_refused", atomic_load(&rs->limits_refused));
		fp_cli_end(o);
	}
	const struct fp_gw_stats *g = fp_cli_region(c, "gw.stats", NULL);
	if (g) {
		fp_cli_obj(o, "gateway");
		fp_cli_str(o, "session", fp_cli_session_name(g->session));
		fp_cli_u64(o, "orders_in", g->nb_orders_in);
		fp_cli_u64(o, "sent", g->nb_sent);
		fp_cli_u64(o, "accepted", g->nb_accepted);
		fp_cli_u64(o, "fills", g->nb_fills);
		fp_cli_u64(o, "canceled", g->nb_canceled);
		fp_cli_u64(o, "rejected", g->nb_rejected);
		fp_cli_u64(o, "cancel_rejects", g->nb_cancel_rejects);
		/* A misbehaving venue: messages refused, never applied (docs/gateway.md). */
		fp_cli_u64(o, "venue_unknown", g->nb_unknown);
		fp_cli_u64(o, "venue_impossible", g->nb_impossible);
		fp_cli_u64(o, "disconnects", g->nb_disconnects);
		fp_cli_u64(o, "open", g->nb_open);
		fp_cli_u64(o, "adopted", g->nb_adopted);
		/* Logins held until md had every symbol name (fp_gw_cfg.wait_directory). */
		fp_cli_u64(o, "directory_waits", g->nb_directory_waits);
		fp_cli_str(o, "transport", fp_cli_transport_name(g->transport));
		fp_cli_bool(o, "ktls_tx", g->ktls_tx);
		fp_cli_bool(o, "ktls_rx", g->ktls_rx);
		fp_cli_end(o);
	}
	const struct fp_hist *t2t = fp_cli_region(c, "gw.t2t", NULL);
	if (t2t)
		emit_hist(c, o, "tick_to_trade", t2t);
	fp_cli_end(o);
	return FP_CLI_OK;
}

/* config validate FILE */
int fp_cli_config_validate(struct fp_cli *c)
{
	static struct fp_ctl_pipeline p;
	int rc = fp_ctl_pipeline_load(&p, c->argv[0]);
	if (rc < 0) {
		fprintf(stderr, "%s\n", fp_err_msg());
		fp_ctl_pipeline_fini(&p);
		return FP_CLI_FAILED;
	}
	if (c->json)
		printf("{\"file\":\"%s\",\"ok\":true,\"instance\":\"%s\",\"workers\":%u}\n",
		       c->argv[0], p.instance, p.nb_workers);
	else
		printf("%s: OK (instance '%s', %u workers)\n", c->argv[0], p.instance,
		       p.nb_workers);
	fp_ctl_pipeline_fini(&p);
	return FP_CLI_OK;
}
