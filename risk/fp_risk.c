/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_risk.c - the risk stage (see fp_risk.h for rings and threads).
 *
 * Two threads touch a struct fp_risk:
 *   risk thread  init, every poll, fini. Reads r->lim inside an RCU read-side section
 *                (free under QSBR) and announces a quiescent state after each poll.
 *   watcher      cold: every watch_us it compares the limits region's seqlock sequence with
 *                the last one adopted; on a change it copies the set out (consistent, via
 *                the seqlock), validates and derives it, swaps the RCU pointer, waits for a
 *                grace period (synchronize_rcu: the risk thread has finished every poll that
 *                could hold the old pointer) and frees the old copy. It never blocks the
 *                risk thread and the risk thread never sees a partly written set.
 * fini takes the risk thread offline before joining the watcher, so that a watcher inside
 * synchronize_rcu() can finish.
 */
#define _GNU_SOURCE /* pthread_attr_setaffinity_np, CPU_SET: the watcher off the worker's core */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu-qsbr.h>

#include "fp_cpu.h"
#include "fp_err.h"
#include "fp_risk.h"
#include "fp_stats_hdr.h"
#include "fp_tsc.h"

/* ---- limits watcher (cold thread) ---- */

/* The stage's clock (fp_risk_cfg.clock): the TSC, or the caller's (a backtest). */
static inline uint64_t risk_now(const struct fp_risk *r)
{
	return r->cfg.clock ? r->cfg.clock(r->cfg.clock_arg) : fp_tsc_now();
}

/* A limit set on huge pages (fp_hugemem.h: a check reads its symbol's line without a page
 * walk), the mapping's descriptor kept right after it. Cold: init and the watcher. */
struct limits_box {
	struct fp_risk_limits lim; /* first: a set's address is its box's */
	struct fp_hugemem mem;
};

static struct fp_risk_limits *limits_alloc(void)
{
	struct fp_hugemem m;
	struct limits_box *b = fp_hugemem_alloc(&m, sizeof(*b), true, "risk limits");
	if (!b)
		return NULL;
	b->mem = m;
	return &b->lim;
}

static void limits_free(struct fp_risk_limits *lim)
{
	if (!lim)
		return;
	struct fp_hugemem m = ((struct limits_box *)lim)->mem; /* copied out: it is unmapped */
	fp_hugemem_free(&m);
}

/* Where the set in use lives (the check reads it on every intent). */
static unsigned limits_backing(const struct fp_risk_limits *lim)
{
	return ((const struct limits_box *)lim)->mem.backing;
}

/*
 * Keep the watcher off the worker's core (issue 15): a thread starts with its creator's
 * affinity, and the worker pins itself before its stages start, so the watcher would wake
 * every watch_us on the measured core. It runs on the process's other allowed cores
 * (@p apart); when there is none (one core, or the worker is not pinned) it shares, and the
 * counters say so (fp_risk_stats.watcher_apart). Cold: init. @return 1 when apart.
 */
static int watcher_cpus(cpu_set_t *apart)
{
	char list[256];
	cpu_set_t worker;
	CPU_ZERO(apart);
	if (pthread_getaffinity_np(pthread_self(), sizeof(worker), &worker) != 0 ||
	    fp_cpu_allowed_list(list, sizeof(list)) < 0)
		return 0;
	int allowed = 0;
	for (char *p = list; *p;) { /* "0-3,6" */
		char *end;
		long lo = strtol(p, &end, 10), hi = lo;
		if (end == p)
			break;
		if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		for (long c = lo; c <= hi && c < CPU_SETSIZE; c++) {
			allowed++;
			if (c >= 0 && !CPU_ISSET((int)c, &worker))
				CPU_SET((int)c, apart);
		}
		p = *end == ',' ? end + 1 : end;
	}
	/* nowhere else to go, or the worker is not pinned (it may run anywhere): shares */
	return CPU_COUNT(apart) > 0 && CPU_COUNT(&worker) < allowed;
}

static void *watcher_main(void *arg)
{
	struct fp_risk *r = arg;
	/* Not the sequence now: a set published between init's copy and this line (the firm
	 * listener applies a budget as soon as the segment is up) would never be adopted, and
	 * `limits show` would say what risk does not enforce (e2e_firm: an instance refused
	 * every order for a budget it had). */
	uint64_t last = r->lim_seq;
	struct timespec ts = {.tv_sec = r->cfg.watch_us / 1000000,
			      .tv_nsec = (long)(r->cfg.watch_us % 1000000) * 1000};
	while (!atomic_load_explicit(&r->stop, memory_order_acquire)) {
		nanosleep(&ts, NULL);
		uint64_t seq = fp_risk_limits_shm_seq(r->cfg.limits_shm);
		if (seq == last || (seq & 1))
			continue;
		struct fp_risk_limits *fresh = limits_alloc();
		if (!fresh)
			continue; /* try again next period */
		if (fp_risk_limits_read(r->cfg.limits_shm, fresh) < 0) {
			limits_free(fresh); /* the writer is busy: try again next period */
			continue;
		}
		if (fp_risk_limits_validate(fresh) < 0) {
			limits_free(fresh);
			atomic_fetch_add_explicit(&r->st->limits_refused, 1, memory_order_relaxed);
			last = seq;
			continue;
		}
		fp_risk_limits_derive(fresh, r->cfg.tsc_hz);
		struct fp_risk_limits *old = rcu_xchg_pointer(&r->lim, fresh);
		synchronize_rcu(); /* every poll that could hold `old` has ended */
		limits_free(old);
		r->st->limits_backing = limits_backing(fresh);
		atomic_fetch_add_explicit(&r->st->limits_updates, 1, memory_order_relaxed);
		last = seq;
	}
	return NULL;
}

/* ---- lifecycle ---- */

/* Lay the counters out in @p region (NULL: in the stage), zeroed, before any writer runs. */
static void stats_format(struct fp_risk *r, struct fp_risk_stats *region)
{
	r->st = region ? region : &r->own_stats;
	memset(r->st, 0, sizeof(*r->st)); /* before the watcher exists: no concurrent add */
	r->st->magic = FP_RISK_STATS_MAGIC;
	r->st->version = FP_RISK_STATS_VERSION;
	r->st->size = (uint32_t)sizeof(*r->st);
}

int fp_risk_stats_check(const struct fp_risk_stats *st)
{
	return fp_stats_hdr_check(st,
				  &(struct fp_stats_hdr){.magic = FP_RISK_STATS_MAGIC,
							 .version = FP_RISK_STATS_VERSION,
							 .size = sizeof(*st)},
				  "risk.stats", "a risk stage's counters");
}

int fp_risk_init(struct fp_risk *r, const struct fp_risk_cfg *cfg)
{
	int rc;
	memset(r, 0, sizeof(*r));
	r->st = &r->own_stats;
	if (!cfg->order)
		return fp_err_set(-EINVAL, "risk: no order ring");
	if (cfg->nb_intent > FP_RISK_MAX_RINGS || cfg->nb_exec > FP_RISK_MAX_RINGS ||
	    cfg->nb_md > FP_RISK_MAX_RINGS)
		return fp_err_set(-EINVAL, "risk: more than %d rings of one kind",
				  FP_RISK_MAX_RINGS);
	for (uint32_t i = 0; i < cfg->nb_intent; i++)
		if (!cfg->intent[i])
			return fp_err_set(-EINVAL, "risk: intent ring %" PRIu32 " missing", i);
	for (uint32_t i = 0; i < cfg->nb_exec; i++)
		if (!cfg->exec[i])
			return fp_err_set(-EINVAL, "risk: exec ring %" PRIu32 " missing", i);
	for (uint32_t i = 0; i < cfg->nb_md; i++)
		if (!cfg->md[i])
			return fp_err_set(-EINVAL, "risk: md ring %" PRIu32 " missing", i);
	if (cfg->tsc_hz < FP_TSC_HZ_MIN || cfg->tsc_hz > FP_TSC_HZ_MAX)
		return fp_err_set(-EINVAL, "risk: tsc_hz %" PRIu64 " out of range", cfg->tsc_hz);
	if (!cfg->limits_shm && !cfg->limits)
		return fp_err_set(-EINVAL, "risk: neither a limits region nor a limit set");
	r->cfg = *cfg;
	if (!r->cfg.watch_us)
		r->cfg.watch_us = 1000;
	stats_format(r, cfg->stats);

	struct fp_risk_limits *lim = limits_alloc();
	if (!lim)
		return fp_err_set(-ENOMEM, "risk: cannot allocate a limit set");
	if (cfg->limits_shm) {
		/* Before the copy: a write after this read makes the watcher adopt again. */
		r->lim_seq = fp_risk_limits_shm_seq(cfg->limits_shm);
		if ((rc = fp_risk_limits_read(cfg->limits_shm, lim)) < 0)
			goto err_lim;
	} else {
		memcpy(lim, cfg->limits, sizeof(*lim));
	}
	if ((rc = fp_risk_limits_validate(lim)) < 0)
		goto err_lim;
	fp_risk_limits_derive(lim, cfg->tsc_hz);

	struct fp_risk_core_cfg ccfg = {
		.nb_symbols = cfg->nb_symbols,
		.order_capacity = cfg->order_capacity,
		.pos_capacity = cfg->pos_capacity,
		.pos_region = cfg->pos_region,
		.kill_word = cfg->kill_word ? cfg->kill_word : (cfg->ctl ? &cfg->ctl->kill : NULL),
		.trading_word = cfg->ctl ? &cfg->ctl->trading_state : NULL,
	};
	if ((rc = fp_risk_core_init(&r->core, &ccfg)) < 0)
		goto err_lim;

	if (cfg->breaker) {
		r->brk = cfg->breaker;
		if (r->brk->magic != FP_RISK_BREAKER_MAGIC)
			fp_risk_breaker_init(r->brk);
	} else {
		r->brk = r->brk_owned = aligned_alloc(FP_CACHE_LINE, sizeof(*r->brk));
		if (!r->brk) {
			rc = fp_err_set(-ENOMEM, "risk: cannot allocate the breaker");
			goto err_core;
		}
		fp_risk_breaker_init(r->brk);
	}
	r->core.breaker_open = atomic_load(&r->brk->state) != FP_RISK_BRK_CLOSED;
	if (!r->cfg.kill_word && cfg->ctl)
		r->cfg.kill_word = &cfg->ctl->kill;
	r->last_kill = r->cfg.kill_word ? atomic_load(r->cfg.kill_word) : 0;

	r->st->tables_backing = r->core.mem.backing;
	r->st->limits_backing = limits_backing(lim);
	rcu_register_thread();
	rcu_assign_pointer(r->lim, lim);
	if (cfg->limits_shm) {
		cpu_set_t apart;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		r->st->watcher_apart = (uint64_t)watcher_cpus(&apart);
		if (r->st->watcher_apart)
			pthread_attr_setaffinity_np(&attr, sizeof(apart), &apart);
		int e = pthread_create(&r->watcher, &attr, watcher_main, r);
		pthread_attr_destroy(&attr);
		if (e) {
			rcu_unregister_thread();
			rc = fp_err_set(-e, "risk: cannot start the limits watcher");
			goto err_brk;
		}
		r->has_watcher = 1;
	}
	return 0;

err_brk:
	free(r->brk_owned);
err_core:
	fp_risk_core_fini(&r->core);
err_lim:
	limits_free(lim);
	r->lim = NULL;
	return fp_err_append(rc, "risk stage init");
}

void fp_risk_fini(struct fp_risk *r)
{
	if (!r || !r->lim)
		return;
	if (r->has_watcher) {
		atomic_store_explicit(&r->stop, 1, memory_order_release);
		rcu_thread_offline(); /* let a watcher inside synchronize_rcu() finish */
		pthread_join(r->watcher, NULL);
		rcu_thread_online();
		r->has_watcher = 0;
	}
	rcu_unregister_thread();
	limits_free(r->lim);
	r->lim = NULL;
	free(r->brk_owned);
	r->brk_owned = NULL;
	fp_risk_core_fini(&r->core);
}

/* ---- breaker plumbing ---- */

/* ---- journal (J4): ring enqueues only ---- */

/* Free journal slots, at least @p want when there are that many: the ring's cached room
 * (fp_ring_room), the store's head read only when the cache shows too little. */
static uint32_t jrnl_room(const struct fp_risk *r, uint32_t want)
{
	return r->cfg.journal ? fp_ring_room(r->cfg.journal, want) : UINT32_MAX;
}

/* Journal one event now (the order ring gets it after); 0 when there is no room. */
static int jrnl_put(struct fp_risk *r, const struct fp_event *ev)
{
	return !r->cfg.journal || fp_ring_enqueue_burst(r->cfg.journal, ev, 1) == 1;
}

/* A breaker transition: FP_JRNL_CTL_BREAKER_TRIP (arg = reason, value = its figure, text =
 * its name) or _RESET. Rare; a full journal loses it (counted) rather than wait. */
static void jrnl_breaker(struct fp_risk *r, uint32_t command, uint32_t why, uint32_t symbol_id,
			 int64_t value)
{
	if (!r->cfg.journal || r->recovering)
		return;
	struct fp_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = FP_EV_CONTROL;
	ev.source = FP_RISK_SOURCE_RISK;
	ev.symbol_id = symbol_id;
	ev.seq = r->brk->nb_trips;
	ev.t_rx = risk_now(r);
	ev.u.control.command = command;
	ev.u.control.arg = why;
	ev.u.control.value = (uint64_t)value;
	snprintf(ev.u.control.text, sizeof(ev.u.control.text), "%s", fp_risk_trip_name(why));
	if (!jrnl_put(r, &ev))
		r->st->journal_unrecorded++;
}

static void trip(struct fp_risk *r, enum fp_risk_trip why, uint32_t symbol_id, int64_t value,
		 uint64_t now)
{
	if (fp_risk_breaker_trip(r->brk, why, symbol_id, value, now))
		r->mass_cancel_pending = 1;
	r->core.breaker_open = 1;
	jrnl_breaker(r, FP_JRNL_CTL_BREAKER_TRIP, why, symbol_id, value);
	/* Rare, and bounded: fp_shm_ctl_kill() sets the word first, then writes its record. */
	if (r->cfg.breaker_sets_kill && r->cfg.ctl && !fp_shm_ctl_killed(r->cfg.ctl))
		fp_shm_ctl_kill(r->cfg.ctl, "risk:breaker", fp_risk_trip_name(why));
	else if (r->cfg.breaker_sets_kill && r->cfg.kill_word)
		atomic_store_explicit(r->cfg.kill_word, 1, memory_order_seq_cst);
}

void fp_risk_trip(struct fp_risk *r, enum fp_risk_trip why, uint32_t symbol_id, int64_t value)
{
	trip(r, why, symbol_id, value, risk_now(r));
}

/* ---- inputs ---- */

/* A login to venue session @p text (space padded): a new session numbers from 1 again. */
static void venue_session(struct fp_risk *r, const char *text)
{
	if (fp_jrnl_exec_filter_session(&r->exec_filter, text))
		r->st->exec_last_seq = 0;
}

/* J3: has this report been applied already (the venue replayed it after a gateway restart
 * that had pushed it on the exec ring but not yet on the journal)? */
static int exec_dup(struct fp_risk *r, const struct fp_event *ev)
{
	if (fp_jrnl_exec_replayed(&r->exec_filter, ev)) {
		r->st->exec_dups++;
		return 1;
	}
	r->st->exec_last_seq = r->exec_filter.last_seq;
	return 0;
}

static void on_exec(struct fp_risk *r, const struct fp_risk_limits *lim, const struct fp_event *ev,
		    uint64_t now)
{
	if (ev->type == FP_EV_CONTROL) {
		switch (ev->u.control.command) {
		case FP_RISK_CTL_VENUE_DOWN:
			r->venue_down = 1;
			if (lim->g.breaker_on_venue)
				trip(r, FP_RISK_TRIP_VENUE, 0, ev->u.control.arg, now);
			break;
		case FP_RISK_CTL_VENUE_UP:
			r->venue_down = 0;
			venue_session(r, ev->u.control.text);
			if (ev->u.control.arg == FP_RISK_VENUE_SYNCED && r->nb_unconfirmed) {
				r->st->released += fp_risk_release_unconfirmed(&r->core);
				r->nb_unconfirmed = 0; /* cold, once after a recovery */
			}
			break;
		case FP_RISK_CTL_DAILY_ROLL:
			fp_risk_daily_roll(&r->core);
			break;
		}
		return;
	}
	/* The gateway refused an order for want of a session (it has not logged in yet, or is
	 * reconnecting): refuse new orders here until it says VENUE_UP, so that a strategy that
	 * requotes on every refusal neither spends its order rate nor trips the rejects breaker
	 * before the venue is there (fail closed: venue in doubt). */
	if (ev->type == FP_EV_EXEC_REJECTED && ev->u.exec.reason == FP_RISK_GW_NOT_CONNECTED)
		r->venue_down = 1;
	if (exec_dup(r, ev))
		return;
	fp_risk_on_exec(&r->core, ev);
	if (ev->type == FP_EV_EXEC_FILL && lim->g.breaker_on_position) {
		const struct fp_risk_order *o =
			fp_risk_order_find(&r->core, ev->u.exec.client_order_id);
		if (o) {
			int64_t pos = r->core.sym[o->symbol_id].position;
			if ((pos < 0 ? -pos : pos) > lim->sym[o->symbol_id].max_position)
				trip(r, FP_RISK_TRIP_POSITION, o->symbol_id, pos, now);
		}
	}
}

/* A book stale because md rebuilds it from history (gap fill, snapshot) is refused orders
 * (symbol_stale) but is no fault that trips the stale-data breaker; lost data is. */
static inline int md_recovering(const struct fp_risk *r, const struct fp_event *ev)
{
	return r->cfg.symtab &&
	       atomic_load_explicit(&fp_symtab_get(r->cfg.symtab, (uint16_t)ev->symbol_id)->stale,
				    memory_order_relaxed) == FP_STALE_RECOVERING;
}

static void on_md(struct fp_risk *r, const struct fp_risk_limits *lim, const struct fp_event *ev,
		  uint64_t now)
{
	if (ev->type == FP_EV_BOOK_TOP) {
		fp_risk_on_top(&r->core, ev, now);
		/* the strategies see this top too, and an intent on it may follow: its symbol
		 * limits are in cache by then (on_top wrote the symbol's state lines) */
		fp_risk_prefetch_symbol(&r->core, lim, ev->symbol_id);
		r->st->tops++;
		if (r->nb_exits < FP_RISK_MAX_EXITS)
			r->nb_exits +=
				fp_risk_exits(&r->core, lim, ev->symbol_id, r->exits + r->nb_exits,
					      FP_RISK_MAX_EXITS - r->nb_exits);
		if (ev->flags & FP_EVF_STALE && lim->g.breaker_on_stale && !md_recovering(r, ev))
			trip(r, FP_RISK_TRIP_STALE, ev->symbol_id, 0, now);
	} else if (ev->type == FP_EV_MD_STALE) {
		if (ev->u.stale.reason == FP_STALE_RECOVERED)
			return; /* the next good top clears the flag */
		fp_risk_on_stale(&r->core, ev->symbol_id);
		if (lim->g.breaker_on_stale)
			trip(r, FP_RISK_TRIP_STALE, ev->symbol_id, (int64_t)ev->u.stale.nb_missing,
			     now);
	}
}

/* ---- outputs ---- */

static void make_reject(struct fp_event *out, const struct fp_event *in, unsigned reason)
{
	memset(out, 0, sizeof(*out));
	out->type = FP_EV_RISK_REJECT;
	out->source = in->source;
	out->symbol_id = in->symbol_id;
	out->seq = in->seq;
	out->t_rx = in->t_rx;
	out->u.reject = (struct fp_ev_risk_reject){
		.client_order_id = in->u.order.client_order_id,
		.price = in->u.order.price,
		.shares = in->u.order.shares,
		.strategy_id = in->u.order.strategy_id,
		.reason = (uint16_t)reason,
		.side = in->u.order.side,
		.order_type = in->type,
	};
}

static unsigned send_mass_cancel(struct fp_risk *r)
{
	uint32_t got;
	struct fp_event *e = fp_ring_reserve(r->cfg.order, 1, &got);
	if (!got || jrnl_room(r, 1) == 0)
		return 0; /* never dropped: retried next poll */
	memset(e, 0, sizeof(*e));
	e->type = FP_EV_ORDER_MASS_CANCEL;
	e->source = FP_RISK_SOURCE_RISK;
	e->t_rx = risk_now(r);
	jrnl_put(r, e); /* J4 */
	fp_ring_commit(r->cfg.order, 1);
	r->mass_cancel_pending = 0;
	r->st->mass_cancels++;
	return 1;
}

static unsigned send_exits(struct fp_risk *r, const struct fp_risk_limits *lim, uint64_t now)
{
	unsigned done = 0;
	for (uint32_t i = 0; i < r->nb_exits; i++) {
		uint32_t got;
		struct fp_event *slot = fp_ring_reserve(r->cfg.order, 1, &got);
		if (!got) { /* order ring full: the next top regenerates what is still due */
			r->st->exits_refused += r->nb_exits - i;
			break;
		}
		if (jrnl_room(r, 1) == 0) { /* J4: nothing leaves unrecorded */
			r->st->exits_refused += r->nb_exits - i;
			break;
		}
		if (fp_risk_check(&r->core, lim, &r->exits[i], now) == FP_RISK_OK) {
			jrnl_put(r, &r->exits[i]);
			*slot = r->exits[i];
			fp_ring_commit(r->cfg.order, 1);
			r->st->exits_sent++;
			done++;
		} else {
			r->st->exits_refused++;
		}
	}
	r->nb_exits = 0;
	return done;
}

/* After a recovery: was intent @p ev answered by the risk worker that crashed? It peeks a
 * batch and releases it after answering, so what it answered before dying is still at the
 * head of the ring, and those answers are the last it journaled (J5). Cold: the first
 * batches after a restart. */
static int rec_seen(struct fp_risk *r, const struct fp_event *ev)
{
	if (!fp_jrnl_recent_seen(&r->rec_recent, ev->u.order.client_order_id))
		return 0;
	r->st->recover_skipped++;
	return 1;
}

/* A new order or replace while the gateway has no venue session (venue_down); cancels pass
 * (the gateway answers them). A refusal of the firm's, not the strategy's: not counted in
 * the rejects in a row. */
static inline int venue_down(const struct fp_risk *r, const struct fp_event *ev)
{
	return r->venue_down && (ev->type == FP_EV_ORDER_NEW || ev->type == FP_EV_ORDER_REPLACE);
}

/* A new order or replace on a symbol md marked stale in the symbol table (issue 16: risk
 * refuses orders on data that is not live, whatever the book tops said); cancels pass. */
static inline int symbol_stale(const struct fp_risk *r, const struct fp_event *ev)
{
	return r->cfg.symtab && (ev->type == FP_EV_ORDER_NEW || ev->type == FP_EV_ORDER_REPLACE) &&
	       atomic_load_explicit(&fp_symtab_get(r->cfg.symtab, (uint16_t)ev->symbol_id)->stale,
				    memory_order_relaxed) != 0;
}

/* One batch of intents from ring @p q. Each accepted order is journaled (its record written
 * in place on the journal ring and committed, J4) and then committed on the order ring at
 * once, so that no order waits for the rest of the batch to be checked; rejects are
 * journaled when there is room and published together at the end. */
static unsigned do_intents(struct fp_risk *r, const struct fp_risk_limits *lim, uint32_t q,
			   unsigned budget, uint64_t now)
{
	uint32_t n, nrej, nord;
	struct fp_ring *jr = r->cfg.journal;
	const struct fp_event *in = fp_ring_peek(r->cfg.intent[q], budget, &n);
	if (!n)
		return 0;
	struct fp_ring *rej_ring = r->cfg.reject[q];
	struct fp_event *rej = NULL;
	if (rej_ring) {
		rej = fp_ring_reserve(rej_ring, n, &nrej);
		n = FP_MIN(n, nrej); /* room for every possible answer */
		if (!n)
			return 0;
	}
	/* Journal records of this batch: used_j written, pend_j of them not yet committed. */
	uint32_t jroom = jrnl_room(r, n), used_j = 0, pend_j = 0;
	struct fp_event *ord = fp_ring_reserve(r->cfg.order, n, &nord);
	uint32_t used_ord = 0, used_rej = 0;
	const uint32_t max_rejects = lim->g.max_consec_rejects;
	for (uint32_t i = 0; i < n; i++) {
		const struct fp_event *ev = &in[i];
		enum fp_risk_reason why;
		if (fp_unlikely(r->rec_recent.skip) && rec_seen(r, ev))
			continue; /* answered and journaled before a crash: never twice */
		if (i + 1 < n)    /* overlap the next intent's cache misses with this check */
			fp_risk_prefetch(&r->core, lim, &in[i + 1]);
		if (fp_unlikely(venue_down(r, ev))) {
			why = FP_RISK_VENUE_DOWN;
			r->core.cnt.checked++;
			r->core.cnt.rejected[why]++;
		} else if (fp_unlikely(symbol_stale(r, ev))) {
			why = FP_RISK_SYMBOL_STALE; /* the stale-data check: md is not live */
			r->core.cnt.checked++;
			r->core.cnt.rejected[why]++;
			r->core.consec_rejects++;
		} else if (fp_likely(used_ord < nord && used_j < jroom)) {
			why = fp_risk_check(&r->core, lim, ev, now);
		} else {
			why = used_ord < nord ? FP_RISK_JOURNAL_FULL : FP_RISK_BACKPRESSURE;
			r->st->journal_full += why == FP_RISK_JOURNAL_FULL;
			r->core.cnt.checked++;
			r->core.cnt.rejected[why]++;
		}
		if (why == FP_RISK_OK) {
			if (jr) { /* J4: journaled before the order ring sees it (room was counted) */
				*fp_ring_slot(jr, pend_j) = *ev;
				fp_ring_commit(jr, pend_j + 1);
				used_j++;
				pend_j = 0;
			}
			ord[used_ord++] = *ev;
			fp_ring_commit(r->cfg.order, 1);
			continue;
		}
		struct fp_event re;
		make_reject(&re, ev, why);
		if (rej)
			rej[used_rej++] = re;
		else
			r->st->rejects_unsent++;
		if (jr && used_j < jroom) { /* rejects are journaled too, when there is room */
			*fp_ring_slot(jr, pend_j++) = re;
			used_j++;
		}
		if (max_rejects && r->core.consec_rejects >= max_rejects && !r->core.breaker_open) {
			if (pend_j) { /* the trip's record goes after the rejects that made it */
				fp_ring_commit(jr, pend_j);
				pend_j = 0;
			}
			trip(r, FP_RISK_TRIP_REJECTS, ev->symbol_id, r->core.consec_rejects, now);
			jroom = used_j + jrnl_room(r, n - i); /* the trip took a slot */
		}
	}
	if (pend_j)
		fp_ring_commit(jr, pend_j);
	if (used_rej)
		fp_ring_commit(rej_ring, used_rej);
	fp_ring_release(r->cfg.intent[q], n);
	r->st->intents += n;
	r->st->forwarded += used_ord;
	r->st->rejects_sent += used_rej;
	return n + used_ord + used_rej;
}

unsigned fp_risk_poll(struct fp_risk *r, unsigned budget)
{
	uint64_t now = risk_now(r);
	unsigned work = 0;
	uint32_t n;

	rcu_read_lock();
	const struct fp_risk_limits *lim = rcu_dereference(r->lim);

	if (r->cfg.kill_word) {
		uint32_t k = atomic_load_explicit(r->cfg.kill_word, memory_order_acquire);
		if (k && !r->last_kill)
			r->mass_cancel_pending = 1; /* kill: cancel everything that is open */
		r->last_kill = k;
	}
	int was_open = r->core.breaker_open;
	r->core.breaker_open =
		fp_risk_breaker_tick(r->brk, lim->g.cooldown_tsc, now) != FP_RISK_BRK_CLOSED;
	if (was_open && !r->core.breaker_open) {
		r->core.consec_rejects = 0; /* a reset starts the count again */
		jrnl_breaker(r, FP_JRNL_CTL_BREAKER_RESET, FP_RISK_TRIP_RESET, 0, 0);
	}

	for (uint32_t j = 0; j < r->cfg.nb_exec; j++) {
		const struct fp_event *ev = fp_ring_peek(r->cfg.exec[j], budget, &n);
		for (uint32_t i = 0; i < n; i++)
			on_exec(r, lim, &ev[i], now);
		if (n)
			fp_ring_release(r->cfg.exec[j], n);
		r->st->execs += n;
		work += n;
	}
	for (uint32_t k = 0; k < r->cfg.nb_md; k++) {
		const struct fp_event *ev = fp_ring_peek(r->cfg.md[k], budget, &n);
		for (uint32_t i = 0; i < n; i++)
			on_md(r, lim, &ev[i], now);
		if (n)
			fp_ring_release(r->cfg.md[k], n);
		work += n;
	}
	if (lim->g.breaker_on_loss && !r->core.breaker_open &&
	    fp_risk_firm_pnl(&r->core) < -lim->g.max_daily_loss)
		trip(r, FP_RISK_TRIP_DAILY_LOSS, 0, fp_risk_firm_pnl(&r->core), now);

	if (r->mass_cancel_pending)
		work += send_mass_cancel(r);
	if (r->nb_exits)
		work += send_exits(r, lim, now);
	for (uint32_t i = 0; i < r->cfg.nb_intent; i++)
		work += do_intents(r, lim, (r->rr + i) % r->cfg.nb_intent, budget, now);
	if (r->cfg.nb_intent)
		r->rr = (r->rr + 1) % r->cfg.nb_intent;

	r->st->polls++;
	if (work)
		r->st->checks = r->core.cnt;
	rcu_read_unlock();
	rcu_quiescent_state(); /* no reference to `lim` survives this point */
	return work;
}

/* ---- recovery (J5): the journal's RISK and GW records, in order ---- */

/* The first record: forget what the segment kept (a worker restart keeps the positions
 * region and the breaker), so that the replay counts every fill once. */
static void recover_begin(struct fp_risk *r)
{
	r->recovering = 1;
	fp_risk_core_reset(&r->core);
	fp_risk_breaker_set(r->brk, FP_RISK_BRK_CLOSED, FP_RISK_TRIP_NONE, risk_now(r));
	r->core.breaker_open = 0;
	r->st->exec_last_seq = 0;
	fp_jrnl_exec_filter_reset(&r->exec_filter);
}

int fp_risk_recover_event(struct fp_risk *r, uint32_t src, const struct fp_event *ev, uint32_t day)
{
	if (src != FP_JRNL_SRC_RISK && src != FP_JRNL_SRC_GW)
		return 0;
	if (!r->recovering)
		recover_begin(r);
	if (r->rec_day && day != r->rec_day) { /* a file of a later day: its roll */
		fp_risk_daily_roll(&r->core);
		r->st->recovered_days++;
	}
	r->rec_day = day;
	r->st->recovered_records++;
	if (src == FP_JRNL_SRC_RISK && ev->source != FP_RISK_SOURCE_EXIT &&
	    ev->source != FP_RISK_SOURCE_RISK &&
	    ((ev->type >= FP_EV_ORDER_NEW && ev->type <= FP_EV_ORDER_MASS_CANCEL) ||
	     ev->type == FP_EV_RISK_REJECT)) /* an answer to an intent */
		fp_jrnl_recent_add(&r->rec_recent, ev->type == FP_EV_RISK_REJECT
							   ? ev->u.reject.client_order_id
							   : ev->u.order.client_order_id);
	switch (ev->type) {
	case FP_EV_ORDER_NEW:
	case FP_EV_ORDER_REPLACE: /* forwarded by risk, or sent by the gateway: once per id */
		if (fp_risk_record_order(&r->core, ev) == 1) {
			r->st->recovered_orders++;
			if (src == FP_JRNL_SRC_RISK) {
				fp_risk_order_unconfirmed(&r->core, ev->u.order.client_order_id, 1);
				r->nb_unconfirmed++;
			}
		} else if (src == FP_JRNL_SRC_GW) { /* the gateway had it */
			fp_risk_order_unconfirmed(&r->core, ev->u.order.client_order_id, 0);
		}
		break;
	case FP_EV_EXEC_ACCEPTED:
	case FP_EV_EXEC_FILL:
	case FP_EV_EXEC_CANCELED:
	case FP_EV_EXEC_REJECTED:
	case FP_EV_EXEC_REPLACED:
	case FP_EV_EXEC_CANCEL_REJECT:
		if (src != FP_JRNL_SRC_GW || exec_dup(r, ev))
			break;
		r->st->recovered_fills += ev->type == FP_EV_EXEC_FILL;
		fp_risk_on_exec(&r->core, ev);
		break;
	case FP_EV_CONTROL:
		switch (ev->u.control.command) {
		case FP_JRNL_CTL_SESSION:
			venue_session(r, ev->u.control.text);
			break;
		case FP_JRNL_CTL_BREAKER_TRIP:
			fp_risk_breaker_trip(r->brk, (enum fp_risk_trip)ev->u.control.arg,
					     ev->symbol_id, (int64_t)ev->u.control.value,
					     risk_now(r));
			r->core.breaker_open = 1;
			r->st->recovered_breaker++;
			break;
		case FP_JRNL_CTL_BREAKER_RESET:
			fp_risk_breaker_set(r->brk, FP_RISK_BRK_CLOSED, FP_RISK_TRIP_RESET,
					    risk_now(r));
			r->core.breaker_open = 0;
			r->st->recovered_breaker++;
			break;
		}
		break;
	default: /* rejects, cancels, mass cancels: nothing to rebuild */
		break;
	}
	return 0;
}

void fp_risk_recover_done(struct fp_risk *r)
{
	r->recovering = 0;
	fp_jrnl_recent_arm(&r->rec_recent);
	r->st->checks = r->core.cnt;
}
