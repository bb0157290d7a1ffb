/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_stage_strat.c - the strategy host in the pipeline: config group `strategies`,
 * region strat.stats; rings top (book), exec.strat (gateway), reject (risk), intent (to
 * risk). See strategies/fp_strat.h and strategies/strategy.h.
 *
 *   strategies = {
 *     timer_us = 1000;                                    # on_timer period (0 = none)
 *     symbols = 16384;                                    # symbol ids tracked
 *     list = (
 *       { id = 1; name = "mm"; symbol = 1;                # built in: mm, momentum, ping
 *         params = ["size=100", "half_spread=200"]; },
 *       { id = 2; name = "mine"; path = "/opt/strat/libmine.so"; params = []; }
 *     );
 *   };
 *
 * Client order ids never repeat in a day across restarts (strategies/fp_strat.h): the host
 * starts its sequences from the clock, and init() raises that start above the highest
 * sequence found in today's journal (RISK records: intents forwarded or refused; J5 via
 * fp_ctl_store_recover), so a clock stepped back cannot repeat an id either.
 *
 * fp_strat_depth() reads the book's snapshot region (book.snap, when book.depth > 0)
 * through fp_ctl_strat_depth(): the host knows no book layout, the adapter does.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fp_book.h"
#include "fp_book_snap.h"
#include "fp_ctl_stage.h"
#include "fp_ctl_store.h"
#include "fp_err.h"
#include "fp_journal.h"
#include "fp_log.h"
#include "fp_strat.h"

struct strat_adapter {
	struct fp_strat_host host;
};

struct strat_scan {
	uint32_t today;    /**< YYYYMMDD (UTC) */
	uint64_t max_seq;  /**< highest id sequence of today's strategy ids, 0 = none */
	uint64_t nb_today; /**< today's strategy intents seen */
};

/* One journal record: the client order id of an intent risk forwarded or refused. */
static int strat_scan_rec(void *arg, const struct fp_store_record *rec, uint32_t day)
{
	struct strat_scan *sc = arg;
	struct fp_event ev;
	if (day != sc->today || rec->flags != FP_JRNL_SRC_RISK || rec->len != sizeof(ev))
		return 0;
	memcpy(&ev, rec->payload, sizeof(ev));
	uint64_t id;
	if (ev.type >= FP_EV_ORDER_NEW && ev.type <= FP_EV_ORDER_MASS_CANCEL)
		id = ev.u.order.client_order_id;
	else if (ev.type == FP_EV_RISK_REJECT)
		id = ev.u.reject.client_order_id;
	else
		return 0;
	if (id == 0 || (id >> 63)) /* none, or one of risk's own */
		return 0;
	uint64_t seq = id & ((1ULL << FP_STRAT_SEQ_BITS) - 1);
	sc->nb_today++;
	if (seq > sc->max_seq)
		sc->max_seq = seq;
	return 0;
}

static const char *const strat_keys[] = {"timer_us", "symbols", "list", NULL};
static const char *const spec_keys[] = {"id", "name", "path", "symbol", "params", NULL};

/* The node of entry @p e that set parameter @p key: its params[] element, else the entry. */
static const struct fp_cfg_node *strat_param_node(const struct fp_cfg *c,
						  const struct fp_cfg_node *e, const char *key)
{
	const struct fp_cfg_node *params = fp_cfg_lookup(c, e, "params");
	size_t n = strlen(key);
	for (unsigned k = 0; k < fp_cfg_length(params); k++) {
		char elem[16];
		const char *kv;
		snprintf(elem, sizeof(elem), "[%u]", k);
		if (fp_cfg_get_string(c, params, elem, NULL, 0, &kv) == 0 && !strncmp(kv, key, n) &&
		    kv[n] == '=')
			return fp_cfg_elem(params, k);
	}
	return params ? params : e;
}

static int strat_load_cfg(const struct fp_ctl_env *env, struct fp_strat_host_cfg *cfg)
{
	const struct fp_cfg *c = env->cfg;
	const struct fp_cfg_node *g = fp_cfg_lookup(c, NULL, "strategies"), *list;
	int64_t timer_us, nsym;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	if (!g)
		return fp_err_set(-EINVAL,
				  "%s: stage 'strategies' is placed but the 'strategies' group is "
				  "missing",
				  fp_cfg_name(c));
	if ((rc = fp_cfg_check_keys(c, g, strat_keys)) < 0 ||
	    (rc = fp_cfg_require(c, g, "list")) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "timer_us", 1000, 0, 60000000, &timer_us)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "symbols", 16384, 2, FP_STRAT_MAX_SYMBOLS, &nsym)) < 0)
		return rc;
	cfg->timer_us = (uint32_t)timer_us;
	cfg->nb_symbols = (uint32_t)nsym;
	cfg->tsc_hz = env->tsc_hz;
	list = fp_cfg_lookup(c, g, "list");
	if (fp_cfg_length(list) == 0 || fp_cfg_length(list) > FP_STRAT_MAX)
		return fp_err_set(-EINVAL, "%s:%u: strategies.list needs 1 to %d strategies",
				  fp_cfg_name(c), fp_cfg_line(list), FP_STRAT_MAX);
	for (unsigned i = 0; i < fp_cfg_length(list); i++) {
		const struct fp_cfg_node *e = fp_cfg_elem(list, i), *params;
		struct fp_strat_spec *sp = &cfg->strat[cfg->nb_strategies++];
		const char *name, *path;
		int64_t id, symbol;

		if ((rc = fp_cfg_check_keys(c, e, spec_keys)) < 0 ||
		    (rc = fp_cfg_require(c, e, "id")) < 0 ||
		    (rc = fp_cfg_require(c, e, "name")) < 0 ||
		    (rc = fp_cfg_get_int64(c, e, "id", 0, 1, 32767, &id)) < 0 ||
		    (rc = fp_cfg_get_string(c, e, "name", "", sizeof(sp->name) - 1, &name)) < 0 ||
		    (rc = fp_cfg_get_path(c, e, "path", "", sizeof(sp->path) - 1, &path)) < 0 ||
		    (rc = fp_cfg_get_int64(c, e, "symbol", 0, 0, nsym - 1, &symbol)) < 0)
			return rc;
		sp->id = (uint16_t)id;
		sp->symbol_id = (uint32_t)symbol;
		snprintf(sp->name, sizeof(sp->name), "%s", name);
		snprintf(sp->path, sizeof(sp->path), "%s", path);
		if (symbol) {
			char kv[32];
			snprintf(kv, sizeof(kv), "symbol=%ld", (long)symbol);
			fp_strat_params_add(&sp->params, kv);
		}
		params = fp_cfg_lookup(c, e, "params");
		for (unsigned k = 0; k < fp_cfg_length(params); k++) {
			char elem[16];
			const char *kv;
			snprintf(elem, sizeof(elem), "[%u]", k);
			if ((rc = fp_cfg_get_string(c, params, elem, NULL, 0, &kv)) < 0)
				return rc;
			if (fp_strat_params_add(&sp->params, kv) < 0)
				return fp_err_set(-EINVAL,
						  "%s:%u: strategy %ld: parameter '%s' is not "
						  "key=value (or too many)",
						  fp_cfg_name(c), fp_cfg_line(params), (long)id,
						  kv);
		}
		/* A key the strategy does not declare (strategy.h, ABI 3) is refused at its line:
		 * a misspelling would leave the default in force without a word. A strategy
		 * that does not load is left to strat_check(), which says why. */
		int bad;
		if (fp_strat_params_check(sp, &bad) < 0 && bad >= 0) {
			char why[FP_ERR_MSG_MAX]; /* fp_cfg_error() rewrites fp_err's buffer */
			snprintf(why, sizeof(why), "%s", fp_err_msg());
			return fp_cfg_error(c, strat_param_node(c, e, sp->params.p[bad].key),
					    -EINVAL, "strategy %ld: %s", (long)id, why);
		}
	}
	return 0;
}

/*
 * Start strategy @p idx of @p cfg alone, with parameters @p params, in a scratch host (no
 * segment: the intent ring is a local one nothing reads), then stop it. @return its rc.
 */
static int strat_try(struct fp_strat_host *h, struct fp_strat_host_cfg *one,
		     const struct fp_strat_host_cfg *cfg, unsigned idx,
		     const struct fp_strat_params *params, struct fp_ring *ring)
{
	memset(one, 0, sizeof(*one));
	one->intent = ring;
	one->nb_symbols = cfg->nb_symbols;
	one->timer_us = cfg->timer_us;
	one->tsc_hz = 1000000000ULL; /* the segment's rate is not known yet: any valid one */
	one->nb_strategies = 1;
	one->strat[0] = cfg->strat[idx];
	one->strat[0].params = *params;
	int rc = fp_strat_host_init(h, one);
	if (rc == 0)
		fp_strat_host_fini(h);
	return rc;
}

/*
 * Refuse, before any worker starts, a strategy that would not start in the worker (an
 * unknown name, a library that does not load, parameters its init refuses), and name the
 * parameter its init refuses (issue 16): when init fails with every parameter and starts
 * once one of them is left out (so that the strategy takes its default), that one is bad.
 */
static int strat_check(const struct fp_ctl_env *env, const struct fp_strat_host_cfg *cfg)
{
	const struct fp_cfg *c = env->cfg;
	const struct fp_cfg_node *list = fp_cfg_lookup(c, NULL, "strategies.list");
	struct fp_strat_host *h = malloc(sizeof(*h));
	struct fp_strat_host_cfg *one = malloc(sizeof(*one));
	uint64_t ring_bytes = fp_ring_memsize(64);
	struct fp_ring *ring = aligned_alloc(FP_CACHE_LINE, FP_ALIGN_UP(ring_bytes, FP_CACHE_LINE));
	int rc = 0;

	if (!h || !one || !ring || fp_ring_init(ring, 64, "check.intent") < 0) {
		rc = fp_err_set(-ENOMEM, "out of memory checking the strategies");
		goto out;
	}
	for (unsigned i = 0; i < cfg->nb_strategies && rc == 0; i++) {
		const struct fp_strat_spec *sp = &cfg->strat[i];
		const struct fp_cfg_node *e = fp_cfg_elem(list, i);
		if ((rc = strat_try(h, one, cfg, i, &sp->params, ring)) == 0)
			continue;
		char why[FP_ERR_MSG_MAX];
		snprintf(why, sizeof(why), "%s", fp_err_msg());
		if (!sp->path[0] && !fp_strat_builtin(sp->name)) {
			rc = fp_cfg_error(c, fp_cfg_lookup(c, e, "name"), -EINVAL,
					  "strategy %u: no built-in strategy '%s' (mm, momentum, "
					  "ping; or give a path to a library)",
					  (unsigned)sp->id, sp->name);
			break;
		}
		for (unsigned k = 0; k < sp->params.nb; k++) {
			struct fp_strat_params less = {0};
			for (unsigned j = 0; j < sp->params.nb; j++)
				if (j != k)
					less.p[less.nb++] = sp->params.p[j];
			if (strat_try(h, one, cfg, i, &less, ring) != 0)
				continue;
			/* "symbol" comes from the entry's symbol key, the rest from params[]. */
			bool from_symbol = sp->params.p[k].key[0] &&
					   !strcmp(sp->params.p[k].key, "symbol") &&
					   fp_cfg_lookup(c, e, "symbol");
			rc = fp_cfg_error(
				c, fp_cfg_lookup(c, e, from_symbol ? "symbol" : "params"), -EINVAL,
				"strategy %u '%s': parameter '%s=%s' refused by the strategy (it "
				"starts without it)",
				(unsigned)sp->id, sp->name, sp->params.p[k].key,
				sp->params.p[k].value);
			goto out;
		}
		/* No single parameter is to blame: list them; a strategy that sets no message
		 * of its own leaves only "error -22", which says nothing to the user. */
		char given[FP_STRAT_MAX_PARAMS * 100] = "";
		for (unsigned k = 0; k < sp->params.nb; k++)
			snprintf(given + strlen(given), sizeof(given) - strlen(given), "%s%s=%s",
				 k ? ", " : "", sp->params.p[k].key, sp->params.p[k].value);
		rc = fp_cfg_error(c, e, rc,
				  "strategy %u '%s': its init refuses the parameters given (%s): "
				  "one it needs may be missing (docs/strategies.md lists them)%s%s",
				  (unsigned)sp->id, sp->name, given[0] ? given : "none",
				  strncmp(why, "error ", 6) ? ": " : "",
				  strncmp(why, "error ", 6) ? why : "");
	}
out:
	free(ring);
	free(one);
	free(h);
	return rc;
}

static int strat_plan(const struct fp_ctl_env *env, struct fp_ctl_plan *plan)
{
	struct fp_strat_host_cfg *cfg = malloc(sizeof(*cfg));
	int rc = cfg ? strat_load_cfg(env, cfg) : fp_err_set(-ENOMEM, "out of memory");
	if (rc == 0)
		rc = strat_check(env, cfg);
	free(cfg);
	if (rc < 0)
		return rc;
	return fp_ctl_plan_add(plan, "strat.stats", sizeof(struct fp_strat_stats),
			       FP_STRAT_STATS_VERSION);
}

static int strat_init(void *ctx, const struct fp_ctl_env *env)
{
	struct strat_adapter *a = ctx;
	struct fp_strat_host_cfg cfg;
	int rc;

	if ((rc = strat_load_cfg(env, &cfg)) < 0)
		return rc;
	cfg.md[0] = fp_ctl_ring(env, FP_CTL_RING_TOP);
	cfg.nb_md = 1;
	cfg.exec = fp_ctl_ring(env, FP_CTL_RING_EXEC_STRAT);
	cfg.reject = fp_ctl_ring(env, FP_CTL_RING_REJECT);
	cfg.intent = fp_ctl_ring(env, FP_CTL_RING_INTENT);
	cfg.stats = fp_ctl_region(env, "strat.stats", NULL); /* the host counts in it */
	if (!cfg.md[0] || !cfg.exec || !cfg.reject || !cfg.intent || !cfg.stats)
		return -ENOENT;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct strat_scan sc = {.today = fp_store_day_of((uint64_t)now.tv_sec * 1000000000u +
							 (uint64_t)now.tv_nsec)};
	int64_t n = fp_ctl_store_recover(env, strat_scan_rec, &sc);
	if (n < 0)
		return (int)fp_err_append((int)n, "strategies: reading the journal");
	cfg.first_seq = sc.max_seq ? sc.max_seq + 1 : 0;
	/* The depth view (fp_strat_depth): the book's snapshot region, laid out by the book's
	 * setup() before any worker starts; none when book.depth = 0 (-ENODATA). */
	uint64_t snap_size = 0;
	const void *snap = fp_shm_region(env->seg, "book.snap", &snap_size);
	if (snap && fp_book_snap_check(snap, snap_size) == 0) {
		cfg.depth = fp_ctl_strat_depth;
		cfg.depth_view = snap;
	}
	if ((rc = fp_strat_host_init(&a->host, &cfg)) < 0)
		return rc;
	if (n > 0) {
		struct fp_log log;
		fp_log_init(&log, stderr, "strategies", FP_LOG_INFO);
		fp_log(&log, FP_LOG_INFO,
		       "journal: %" PRId64 " records, %" PRIu64 " intents today, highest id "
		       "sequence %" PRIu64 "; ids start at %" PRIu64,
		       n, sc.nb_today, sc.max_seq, a->host.stats->first_seq);
	}
	return 0;
}

int fp_ctl_strat_depth(const void *snap, uint32_t symbol, unsigned side, uint32_t max,
		       struct fp_strat_level *out)
{
	struct fp_book_snap_level lv[FP_BOOK_SNAP_MAX_DEPTH];
	uint32_t state = 0;
	int n = fp_book_snap_side(snap, symbol, side, lv, FP_MIN(max, FP_BOOK_SNAP_MAX_DEPTH),
				  &state, 64);
	if (n < 0)
		return n;
	if (state & FP_BOOK_SYM_STALE)
		return -ESTALE;
	for (int i = 0; i < n; i++)
		out[i] = (struct fp_strat_level){
			.price = lv[i].price, .shares = lv[i].shares, .orders = lv[i].orders};
	return n;
}

static unsigned strat_poll(void *ctx, unsigned budget)
{
	struct strat_adapter *a = ctx;
	return fp_strat_host_poll(&a->host, budget);
}

static void strat_fini(void *ctx)
{
	struct strat_adapter *a = ctx;
	fp_strat_host_fini(&a->host);
}

int fp_ctl_strat_cfg(const struct fp_ctl_env *env, struct fp_strat_host_cfg *out)
{
	return strat_load_cfg(env, out);
}

const struct fp_ctl_stage_ops fp_ctl_stage_strat = {
	.name = "strategies",
	.ctx_size = sizeof(struct strat_adapter),
	.plan = strat_plan,
	.init = strat_init,
	.poll = strat_poll,
	.fini = strat_fini,
};
