/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_stage_risk.c - the risk stage in the pipeline: config group `risk`, regions
 * risk.limits, risk.positions, risk.breaker, risk.stats; rings intent/reject (strategies),
 * order (gateway), exec.risk (gateway), top.risk (book). See risk/fp_risk.h.
 *
 *   risk = {
 *     limits = "risk.conf";          # limit sets per environment (relative to this file)
 *     env = "dev";                   # which environment of that file (required)
 *     symbols = 16384;               # symbol ids tracked (stock locates below this)
 *     orders = 65536;                # client order ids per day (power of two)
 *     positions = 4096;              # (strategy, symbol) positions (power of two)
 *     breaker_sets_kill = true;      # a breaker trip also trips the kill switch
 *   };
 *
 * Journal and recovery (shm/fp_journal.h): when the segment holds FP_JRNL_RING_RISK (the
 * store stage is placed), risk journals to it, and init() replays the instance's journal
 * (fp_ctl_store_recover, J5) before the first poll: RISK and GW records rebuild orders,
 * positions, P&L and the breaker from zero (the positions region is formatted first, so a
 * worker restart counts nothing twice). One log line says what was recovered.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "fp_ctl_stage.h"
#include "fp_ctl_store.h"
#include "fp_err.h"
#include "fp_journal.h"
#include "fp_log.h"
#include "fp_risk.h"
#include "fp_shm_ctl.h"

struct risk_adapter {
	struct fp_risk risk; /* counts in place in region risk.stats (cfg.stats) */
};

/* One journal record (fp_ctl_store_recover's callback): risk's and the gateway's events. */
static int risk_replay(void *arg, const struct fp_store_record *rec, uint32_t day)
{
	struct risk_adapter *a = arg;
	struct fp_event ev;
	if ((rec->flags != FP_JRNL_SRC_RISK && rec->flags != FP_JRNL_SRC_GW) ||
	    rec->type >= 0x100 || rec->len != sizeof(ev))
		return 0;
	memcpy(&ev, rec->payload, sizeof(ev)); /* the mapping gives no alignment */
	return fp_risk_recover_event(&a->risk, rec->flags, &ev, day);
}

/* Say what the tail of a check depends on, when it is not what it should be (issue 15): the
 * tables off the reserved hugepage pool, the limits watcher on the worker's core. */
static void risk_placement_log(const struct fp_risk *r)
{
	struct fp_log log;
	fp_log_init(&log, stderr, "risk", FP_LOG_INFO);
	if (r->st->tables_backing != FP_HUGEMEM_HUGETLB ||
	    r->st->limits_backing != FP_HUGEMEM_HUGETLB)
		fp_log(&log, FP_LOG_WARN,
		       "tables on %s pages, limits on %s pages (%u%% huge): no room in the "
		       "reserved "
		       "hugepage pool, so a check on a cold symbol may cost a page walk; reserve "
		       "more with 'echo N > /proc/sys/vm/nr_hugepages' (as root, before starting)",
		       fp_hugemem_backing_name(r->st->tables_backing),
		       fp_hugemem_backing_name((unsigned)r->st->limits_backing),
		       r->core.mem.huge_pct);
	if (r->has_watcher && !r->st->watcher_apart)
		fp_log(&log, FP_LOG_INFO,
		       "limits watcher shares the worker's core (one allowed core, or the worker "
		       "is not pinned): it wakes every %u us there",
		       r->cfg.watch_us);
}

static int risk_recover(struct risk_adapter *a, const struct fp_ctl_env *env)
{
	struct fp_log log;
	int64_t n = fp_ctl_store_recover(env, risk_replay, a);
	if (n < 0)
		return (int)fp_err_append((int)n, "risk: recovery from the journal");
	fp_risk_recover_done(&a->risk);
	const struct fp_risk *r = &a->risk;
	const struct fp_risk_pos_region *p = r->core.region;
	int64_t shares = 0;
	uint32_t nb_pos = 0, used = atomic_load_explicit(&p->nb_used, memory_order_acquire);
	for (uint32_t i = 0; i < used; i++) {
		nb_pos += p->pos[i].position != 0;
		shares += p->pos[i].position;
	}
	fp_log_init(&log, stderr, "risk", FP_LOG_INFO);
	fp_log(&log, FP_LOG_INFO,
	       "recovered %" PRId64 " journal records (%" PRIu64 " of risk and gateway): %" PRIu64
	       " orders, %" PRIu32 " open, %" PRIu64 " fills, %" PRIu32 " positions (net %" PRId64
	       " shares), realized %" PRId64 ", breaker %s, next seq %" PRIu64,
	       n, r->st->recovered_records, r->st->recovered_orders, r->core.open_orders,
	       r->st->recovered_fills, nb_pos, shares, p->firm.realized,
	       fp_risk_breaker_state_name(atomic_load(&r->brk->state)), r->st->exec_last_seq + 1);
	return 0;
}

static const char *const risk_keys[] = {
	"limits", "env", "symbols", "orders", "positions", "breaker_sets_kill", NULL};

static int risk_settings(const struct fp_ctl_env *env, struct fp_ctl_risk_settings *s)
{
	const struct fp_cfg *c = env->cfg;
	const struct fp_cfg_node *g = fp_cfg_lookup(c, NULL, "risk");
	int64_t nsym, nord, npos;
	int rc;

	if (!g)
		return fp_err_set(-EINVAL,
				  "%s: stage 'risk' is placed but the 'risk' group is missing",
				  fp_cfg_name(c));
	if ((rc = fp_cfg_check_keys(c, g, risk_keys)) < 0 ||
	    (rc = fp_cfg_require(c, g, "limits")) < 0 ||
	    (rc = fp_cfg_require(c, g, "env")) < 0 || /* never another environment's limits */
	    (rc = fp_cfg_get_path(c, g, "limits", NULL, 0, &s->limits_path)) < 0 ||
	    (rc = fp_cfg_get_string(c, g, "env", "dev", 0, &s->env)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "symbols", 16384, 2, FP_RISK_MAX_SYMBOLS, &nsym)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "orders", 65536, 64, 1 << 24, &nord)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "positions", 4096, 16, 1 << 20, &npos)) < 0 ||
	    (rc = fp_cfg_get_bool(c, g, "breaker_sets_kill", true, &s->breaker_sets_kill)) < 0)
		return rc;
	if (!FP_IS_POW2((uint64_t)nord) || !FP_IS_POW2((uint64_t)npos))
		return fp_err_set(-EINVAL,
				  "%s: risk.orders and risk.positions must be powers of two",
				  fp_cfg_name(c));
	s->nb_symbols = (uint32_t)nsym;
	s->nb_orders = (uint32_t)nord;
	s->nb_positions = (uint32_t)npos;
	return 0;
}

static int risk_plan(const struct fp_ctl_env *env, struct fp_ctl_plan *plan)
{
	struct fp_ctl_risk_settings s;
	struct fp_risk_limits lim;
	int rc;

	if ((rc = risk_settings(env, &s)) < 0)
		return rc;
	/* Refuse bad limits before anything starts. */
	if ((rc = fp_risk_limits_load(&lim, s.limits_path, s.env, s.nb_symbols)) < 0)
		return rc;
	if ((rc = fp_ctl_plan_add(plan, "risk.limits", sizeof(struct fp_risk_limits_shm),
				  FP_RISK_LIMITS_VERSION)) < 0 ||
	    (rc = fp_ctl_plan_add(plan, "risk.positions",
				  fp_risk_pos_region_memsize(s.nb_positions),
				  FP_RISK_POS_VERSION)) < 0 ||
	    (rc = fp_ctl_plan_add(plan, "risk.breaker", sizeof(struct fp_risk_breaker_region),
				  FP_RISK_BREAKER_VERSION)) < 0)
		return rc;
	return fp_ctl_plan_add(plan, "risk.stats", sizeof(struct fp_risk_stats),
			       FP_RISK_STATS_VERSION);
}

static int risk_setup(const struct fp_ctl_env *env)
{
	struct fp_ctl_risk_settings s;
	struct fp_risk_limits lim;
	int rc;

	if ((rc = risk_settings(env, &s)) < 0 ||
	    (rc = fp_risk_limits_load(&lim, s.limits_path, s.env, s.nb_symbols)) < 0)
		return rc;
	fp_risk_limits_shm_init(fp_shm_region(env->seg, "risk.limits", NULL), &lim);
	fp_risk_pos_region_init(fp_shm_region(env->seg, "risk.positions", NULL), s.nb_positions);
	fp_risk_breaker_init(fp_shm_region(env->seg, "risk.breaker", NULL));
	return 0;
}

static int risk_init(void *ctx, const struct fp_ctl_env *env)
{
	struct risk_adapter *a = ctx;
	struct fp_shm_ctl *ctl = fp_ctl_region(env, "ctl", NULL);
	struct fp_ctl_risk_settings s;
	int rc;

	if ((rc = risk_settings(env, &s)) < 0)
		return rc;
	struct fp_risk_cfg cfg = {
		.intent = {fp_ctl_ring(env, FP_CTL_RING_INTENT)},
		.reject = {fp_ctl_ring(env, FP_CTL_RING_REJECT)},
		.nb_intent = 1,
		.exec = {fp_ctl_ring(env, FP_CTL_RING_EXEC_RISK)},
		.nb_exec = 1,
		.md = {fp_ctl_ring(env, FP_CTL_RING_TOP_RISK)},
		.nb_md = 1,
		.order = fp_ctl_ring(env, FP_CTL_RING_ORDER),
		.nb_symbols = s.nb_symbols,
		.order_capacity = s.nb_orders,
		.pos_capacity = s.nb_positions,
		.pos_region = fp_ctl_region(env, "risk.positions", NULL),
		.breaker = fp_ctl_region(env, "risk.breaker", NULL),
		.limits_shm = fp_ctl_region(env, "risk.limits", NULL),
		.kill_word = ctl ? &ctl->kill : NULL,
		.ctl = ctl,
		.tsc_hz = env->tsc_hz,
		.breaker_sets_kill = s.breaker_sets_kill,
		.symtab = fp_ctl_region(env, "symtab", NULL), /* md's stale marks (issue 16) */
	};
	cfg.stats = fp_ctl_region(env, "risk.stats", NULL); /* risk counts in it */
	if (!cfg.intent[0] || !cfg.reject[0] || !cfg.exec[0] || !cfg.md[0] || !cfg.order ||
	    !cfg.pos_region || !cfg.breaker || !cfg.limits_shm || !ctl || !cfg.stats)
		return -ENOENT;
	if (fp_shm_region(env->seg, FP_JRNL_RING_RISK, NULL) &&
	    (cfg.journal = fp_ctl_ring(env, FP_JRNL_RING_RISK)) == NULL)
		return -EPROTO;
	if ((rc = fp_risk_init(&a->risk, &cfg)) < 0)
		return rc;
	risk_placement_log(&a->risk);
	if (cfg.journal && (rc = risk_recover(a, env)) < 0) { /* no store: nothing to replay */
		fp_risk_fini(&a->risk);
		return rc;
	}
	return 0;
}

static unsigned risk_poll(void *ctx, unsigned budget)
{
	struct risk_adapter *a = ctx;
	return fp_risk_poll(&a->risk, budget);
}

static void risk_fini(void *ctx)
{
	struct risk_adapter *a = ctx;
	fp_risk_fini(&a->risk);
}

static void risk_report(const struct fp_ctl_env *env, struct fp_ctl_summary *sum)
{
	const struct fp_risk_stats *st = fp_shm_region(env->seg, "risk.stats", NULL);
	const struct fp_risk_pos_region *pos = fp_shm_region(env->seg, "risk.positions", NULL);
	const struct fp_risk_breaker_region *brk = fp_shm_region(env->seg, "risk.breaker", NULL);

	if (st && fp_risk_stats_check(st) == 0) {
		sum->intents = st->intents;
		sum->risk_accepted = st->forwarded;
		sum->risk_rejected = st->rejects_sent + st->rejects_unsent;
		sum->risk_unknown_exec = st->checks.unknown_exec;
		sum->risk_exec_dups = st->exec_dups;
	}
	if (pos) {
		int64_t shares = 0, cash = 0;
		for (uint32_t i = 0; i < pos->capacity; i++) {
			if (pos->pos[i].symbol_id) {
				shares += pos->pos[i].position;
				cash += pos->pos[i].realized - pos->pos[i].cost;
			}
		}
		sum->position_shares = shares;
		sum->cash = cash;
		sum->risk_fills = pos->firm.nb_fills;
		sum->filled_shares = pos->firm.fill_shares;
		sum->realized_pnl = pos->firm.realized;
		sum->unrealized_pnl = pos->firm.unreal;
	}
	if (brk) {
		sum->breaker_state = atomic_load_explicit(&brk->state, memory_order_relaxed);
		sum->breaker_reason = atomic_load_explicit(&brk->reason, memory_order_relaxed);
	}
}

int fp_ctl_risk_cfg(const struct fp_ctl_env *env, struct fp_ctl_risk_settings *out)
{
	return risk_settings(env, out);
}

const struct fp_ctl_stage_ops fp_ctl_stage_risk = {
	.name = "risk",
	.ctx_size = sizeof(struct risk_adapter),
	.plan = risk_plan,
	.setup = risk_setup,
	.init = risk_init,
	.poll = risk_poll,
	.fini = risk_fini,
	.report = risk_report,
};
