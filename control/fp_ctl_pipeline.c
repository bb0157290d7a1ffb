/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_pipeline.c - configuration, segment plan, worker loop and teardown of one
 * instance (see fp_ctl_pipeline.h).
 *
 * Segment life, with the function making each transition:
 *
 *   (none) --create()--> CREATING --create()--> READY --stop()--> STOPPING --stop()--> (gone)
 *
 * Invariants:
 *   (1) A worker polls its stages only while the segment is READY; it leaves its loop
 *       within one pass of seeing STOPPING (checked every FP_CTL_STOP_CHECK_PASSES passes).
 *       Then it drains: its stages other than sources (ops->source: input from outside
 *       the segment) are polled until a pass does no work, for at most
 *       FP_CTL_STOP_DRAIN_MS, so that what a source counted reached the stages after it
 *       (issue 18: under load the book had not applied the md ring's backlog at stop).
 *   (2) Every ring has exactly one producing and one consuming stage
 *       (fp_ctl_ring_graph, checked by load() with the stages placed in exactly one
 *       worker each; a ring with only one end placed is allowed: partial pipelines run).
 *   (3) Regions are initialised by the supervisor before READY; workers only attach to
 *       them (they inherit the mapping across fork).
 *   (4) A worker's stages fed by rings catch up with its sources every pass: after one
 *       round of every stage, the non-source stages get more rounds (at most
 *       FP_CTL_CATCHUP_ROUNDS) while they still find work. A source's budget counts
 *       packets and one md packet carries many messages, so with one round a pass the
 *       book of a fused worker that lost CPU time fell behind, and the md ring overran
 *       (issue 18: "book applied 209500 of 213879 md events" under load).
 *   (5) A worker polls its stages in pipeline order (fp_ctl_stages[]), whatever order
 *       its config lists them in (sort_stages): an intent made in a pass is checked by
 *       risk and sent by the gateway in that pass, before the next receive poll.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fp_cpu.h"
#include "fp_ctl_pipeline.h"
#include "fp_err.h"
#include "fp_journal.h"
#include "fp_log.h"
#include "fp_symtab.h"
#include "fp_tsc.h"

#define FP_CTL_STOP_CHECK_PASSES 256u
#define FP_CTL_DEFAULT_BUDGET    64u
#define FP_CTL_DRAIN_TICK_MS     10u
#define FP_CTL_DRAIN_MIN_MS      100u
#define FP_CTL_STOP_DRAIN_MS     1000u
#define FP_CTL_CATCHUP_ROUNDS    16u

/* ---- plan helpers for the stage adapters ---- */

int fp_ctl_plan_add(struct fp_ctl_plan *plan, const char *name, uint64_t size, uint32_t version)
{
	for (unsigned i = 0; i < plan->nb; i++) {
		if (strcmp(plan->names[i], name))
			continue;
		if (plan->specs[i].size == size && plan->specs[i].version == version)
			return 0;
		return fp_err_set(-EEXIST, "region '%s' planned twice with different sizes", name);
	}
	if (plan->nb == FP_CTL_MAX_PLAN)
		return fp_err_set(-ENOSPC, "more than %d regions planned", FP_CTL_MAX_PLAN);
	if (strlen(name) >= FP_SHM_NAMESIZE)
		return fp_err_set(-EINVAL, "region name '%s' longer than %d characters", name,
				  FP_SHM_NAMESIZE - 1);
	strcpy(plan->names[plan->nb], name);
	plan->specs[plan->nb] = (struct fp_shm_region_spec){plan->names[plan->nb], size, version};
	plan->nb++;
	return 0;
}

void *fp_ctl_region(const struct fp_ctl_env *env, const char *name, uint64_t *size)
{
	void *r = fp_shm_region(env->seg, name, size);
	if (!r)
		fp_err_set(-ENOENT, "segment of instance '%s' has no region '%s'", env->instance,
			   name);
	return r;
}

struct fp_ring *fp_ctl_ring(const struct fp_ctl_env *env, const char *name)
{
	uint64_t size;
	struct fp_ring *r = fp_ctl_region(env, name, &size);
	if (r && fp_ring_check(r, size) < 0) {
		fp_err_append(-EPROTO, "ring '%s'", name);
		return NULL;
	}
	return r;
}

const struct fp_ctl_stage_ops *fp_ctl_stage_find(const char *name)
{
	for (const struct fp_ctl_stage_ops *const *s = fp_ctl_stages; *s; s++)
		if (!strcmp((*s)->name, name))
			return *s;
	return NULL;
}

/* ---- configuration ---- */

static int plan_all(struct fp_ctl_pipeline *p, struct fp_ctl_plan *plan);

static const char *const top_keys[] = {"instance", "segment", "rings",      "restart", "placement",
				       "md",       "book",    "strategies", "risk",    "gateway",
				       "store",    "demo",    "backtest",   NULL};
static const char *const segment_keys[] = {"hugepages", "group", NULL};
static const char *const restart_keys[] = {"max_restarts",   "window_ms",       "backoff_ms",
					   "backoff_max_ms", "stop_timeout_ms", NULL};
static const char *const placement_keys[] = {"idle", "budget", "workers", NULL};
static const char *const worker_keys[] = {"name", "core", "stages", "idle", "budget", NULL};
static const char *const rings_keys[] = {"md", "top", "intent", "order", "exec", "reject", NULL};

static int load_segment(struct fp_ctl_pipeline *p)
{
	const struct fp_cfg_node *g = fp_cfg_lookup(p->cfg, NULL, "segment");
	const char *huge = "auto", *group = "";
	int rc;

	if (!g) { /* absent: NULL would make the getters read the root group */
		p->hugepages = FP_SHM_HUGE_AUTO;
		return 0;
	}
	if ((rc = fp_cfg_check_keys(p->cfg, g, segment_keys)) < 0 ||
	    (rc = fp_cfg_get_string(p->cfg, g, "hugepages", "auto", 0, &huge)) < 0 ||
	    (rc = fp_cfg_get_string(p->cfg, g, "group", "", 63, &group)) < 0)
		return rc;
	if (!strcmp(huge, "auto") || !strcmp(huge, "2M"))
		p->hugepages = FP_SHM_HUGE_AUTO;
	else if (!strcmp(huge, "1G"))
		p->hugepages = FP_SHM_HUGE_1G;
	else if (!strcmp(huge, "off"))
		p->hugepages = FP_SHM_HUGE_OFF;
	else
		return fp_err_set(-EINVAL, "%s:%u: 'segment.hugepages' must be auto, 2M, 1G or off",
				  fp_cfg_name(p->cfg),
				  fp_cfg_line(fp_cfg_lookup(p->cfg, g, "hugepages")));
	snprintf(p->group, sizeof(p->group), "%s", group);
	return 0;
}

static int load_rings(struct fp_ctl_pipeline *p)
{
	const struct fp_cfg_node *g = fp_cfg_lookup(p->cfg, NULL, "rings");
	int rc = fp_cfg_check_keys(p->cfg, g, rings_keys);

	for (unsigned i = 0; rc == 0 && i < FP_CTL_NB_RINGS; i++) {
		const struct fp_ctl_ring_edge *e = &fp_ctl_ring_graph[i];
		int64_t cap = e->capacity;
		if (!g) {
			p->ring_capacity[i] = (uint32_t)cap;
			continue;
		}
		rc = fp_cfg_get_int64(p->cfg, g, e->key, e->capacity, 2, FP_RING_CAPACITY_MAX,
				      &cap);
		if (rc == 0 && !FP_IS_POW2((uint64_t)cap))
			rc = fp_err_set(-EINVAL,
					"%s:%u: 'rings.%s' must be a power of two, got %" PRId64,
					fp_cfg_name(p->cfg),
					fp_cfg_line(fp_cfg_lookup(p->cfg, g, e->key)), e->key, cap);
		p->ring_capacity[i] = (uint32_t)cap;
	}
	return rc;
}

static int load_restart(struct fp_ctl_pipeline *p)
{
	const struct fp_cfg_node *g = fp_cfg_lookup(p->cfg, NULL, "restart");
	struct fp_ctl_restart_policy *r = &p->restart;
	int64_t v[5] = {5, 60000, 100, 5000, 2000};
	int rc;

	if (g &&
	    ((rc = fp_cfg_check_keys(p->cfg, g, restart_keys)) < 0 ||
	     (rc = fp_cfg_get_int64(p->cfg, g, "max_restarts", 5, 0, 1000, &v[0])) < 0 ||
	     (rc = fp_cfg_get_int64(p->cfg, g, "window_ms", 60000, 1, 86400000, &v[1])) < 0 ||
	     (rc = fp_cfg_get_int64(p->cfg, g, "backoff_ms", 100, 0, 600000, &v[2])) < 0 ||
	     (rc = fp_cfg_get_int64(p->cfg, g, "backoff_max_ms", 5000, 0, 600000, &v[3])) < 0 ||
	     (rc = fp_cfg_get_int64(p->cfg, g, "stop_timeout_ms", 2000, 10, 600000, &v[4])) < 0))
		return rc;
	r->max_restarts = (uint32_t)v[0];
	r->restart_window_ms = (uint32_t)v[1];
	r->restart_backoff_ms = (uint32_t)v[2];
	r->restart_backoff_max_ms = (uint32_t)FP_MAX(v[3], v[2]);
	r->stop_timeout_ms = (uint32_t)v[4];
	return 0;
}

/* Invariant (5): a worker polls its stages in pipeline order (fp_ctl_stages[]: md, book,
 * strategies, risk, gateway, store), whatever order its config lists them in, so that what
 * one stage hands on in a pass reaches the stages after it in that pass: an intent made by
 * the strategies is checked and sent before the next receive poll (issue 15). */
static unsigned pipeline_rank(const struct fp_ctl_stage_ops *ops)
{
	unsigned i = 0;
	while (fp_ctl_stages[i] && fp_ctl_stages[i] != ops)
		i++;
	return i;
}

static void sort_stages(struct fp_ctl_worker_spec *spec)
{
	for (unsigned i = 1; i < spec->nb_stages; i++) {
		const struct fp_ctl_stage_ops *ops = spec->stages[i];
		unsigned j = i;
		for (; j > 0 && pipeline_rank(spec->stages[j - 1]) > pipeline_rank(ops); j--)
			spec->stages[j] = spec->stages[j - 1];
		spec->stages[j] = ops;
	}
}

static int load_worker(struct fp_ctl_pipeline *p, const struct fp_cfg_node *w,
		       enum fp_idle_policy idle, unsigned budget,
		       const struct fp_ctl_stage_ops **placed, unsigned *nb_placed)
{
	struct fp_ctl_worker_spec *spec = &p->workers[p->nb_workers];
	const struct fp_cfg_node *stages;
	const char *name, *idle_text = NULL;
	int64_t core, budget64;
	char path[96];
	int rc;

	fp_cfg_path(w, path, sizeof(path));
	if ((rc = fp_cfg_check_keys(p->cfg, w, worker_keys)) < 0 ||
	    (rc = fp_cfg_require(p->cfg, w, "name")) < 0 ||
	    (rc = fp_cfg_require(p->cfg, w, "stages")) < 0 ||
	    (rc = fp_cfg_get_string(p->cfg, w, "name", "", 0, &name)) < 0 ||
	    (rc = fp_cfg_get_int64(p->cfg, w, "core", -1, -1, 4095, &core)) < 0 ||
	    (rc = fp_cfg_get_string(p->cfg, w, "idle", NULL, 0, &idle_text)) < 0 ||
	    (rc = fp_cfg_get_int64(p->cfg, w, "budget", budget, 1, 65536, &budget64)) < 0)
		return rc;
	if (!name[0] || strlen(name) >= sizeof(spec->name))
		return fp_err_set(-EINVAL, "%s:%u: '%s.name' must have 1 to %zu characters",
				  fp_cfg_name(p->cfg), fp_cfg_line(w), path,
				  sizeof(spec->name) - 1);
	snprintf(spec->name, sizeof(spec->name), "%s", name);
	spec->core = (int)core;
	spec->budget = (unsigned)budget64;
	spec->idle = idle;
	if (idle_text && fp_idle_policy_parse(idle_text, &spec->idle) < 0)
		return fp_err_set(-EINVAL, "%s:%u: '%s.idle' must be \"spin\" or \"backoff\"",
				  fp_cfg_name(p->cfg), fp_cfg_line(w), path);

	stages = fp_cfg_lookup(p->cfg, w, "stages");
	spec->nb_stages = 0;
	for (unsigned i = 0; i < fp_cfg_length(stages); i++) {
		const char *sname = NULL;
		char elem[16];
		snprintf(elem, sizeof(elem), "[%u]", i);
		if ((rc = fp_cfg_get_string(p->cfg, stages, elem, NULL, 0, &sname)) < 0)
			return rc;
		const struct fp_ctl_stage_ops *ops = sname ? fp_ctl_stage_find(sname) : NULL;
		if (!ops) {
			char known[256] = "";
			for (const struct fp_ctl_stage_ops *const *s = fp_ctl_stages; *s; s++)
				snprintf(known + strlen(known), sizeof(known) - strlen(known),
					 "%s%s", known[0] ? ", " : "", (*s)->name);
			return fp_err_set(-EINVAL,
					  "%s:%u: worker '%s': unknown stage '%s' (known: %s)",
					  fp_cfg_name(p->cfg), fp_cfg_line(stages), name,
					  sname ? sname : "?", known);
		}
		for (unsigned k = 0; k < *nb_placed; k++)
			if (placed[k] == ops)
				return fp_err_set(-EINVAL,
						  "%s:%u: stage '%s' placed twice: each stage runs "
						  "in exactly one worker",
						  fp_cfg_name(p->cfg), fp_cfg_line(stages), sname);
		if (spec->nb_stages == FP_CTL_MAX_STAGES_PER_WORKER)
			return fp_err_set(-EINVAL, "%s:%u: worker '%s' has more than %d stages",
					  fp_cfg_name(p->cfg), fp_cfg_line(stages), name,
					  FP_CTL_MAX_STAGES_PER_WORKER);
		placed[(*nb_placed)++] = ops;
		spec->stages[spec->nb_stages++] = ops;
	}
	if (spec->nb_stages == 0)
		return fp_err_set(-EINVAL, "%s:%u: worker '%s' has no stages", fp_cfg_name(p->cfg),
				  fp_cfg_line(stages), name);
	sort_stages(spec);
	for (unsigned i = 0; i < p->nb_workers; i++)
		if (!strcmp(p->workers[i].name, name))
			return fp_err_set(-EINVAL, "%s:%u: two workers named '%s'",
					  fp_cfg_name(p->cfg), fp_cfg_line(w), name);
	p->nb_workers++;
	return 0;
}

static int load_placement(struct fp_ctl_pipeline *p)
{
	const struct fp_cfg_node *g = fp_cfg_lookup(p->cfg, NULL, "placement");
	const struct fp_ctl_stage_ops *placed[32];
	const struct fp_cfg_node *workers;
	enum fp_idle_policy idle = FP_IDLE_BACKOFF;
	const char *idle_text = "backoff";
	unsigned nb_placed = 0;
	int64_t budget;
	int rc;

	if ((rc = fp_cfg_require(p->cfg, NULL, "placement")) < 0 ||
	    (rc = fp_cfg_check_keys(p->cfg, g, placement_keys)) < 0 ||
	    (rc = fp_cfg_require(p->cfg, g, "workers")) < 0 ||
	    (rc = fp_cfg_get_string(p->cfg, g, "idle", "backoff", 0, &idle_text)) < 0 ||
	    (rc = fp_cfg_get_int64(p->cfg, g, "budget", FP_CTL_DEFAULT_BUDGET, 1, 65536, &budget)) <
		    0)
		return rc;
	if (fp_idle_policy_parse(idle_text, &idle) < 0)
		return fp_err_set(-EINVAL,
				  "%s:%u: 'placement.idle' must be \"spin\" or \"backoff\"",
				  fp_cfg_name(p->cfg), fp_cfg_line(g));
	workers = fp_cfg_lookup(p->cfg, g, "workers");
	if (fp_cfg_length(workers) == 0 || fp_cfg_length(workers) > FP_SHM_MAX_WORKERS)
		return fp_err_set(-EINVAL, "%s:%u: 'placement.workers' needs 1 to %d workers",
				  fp_cfg_name(p->cfg), fp_cfg_line(workers), FP_SHM_MAX_WORKERS);
	for (unsigned i = 0; i < fp_cfg_length(workers); i++)
		if ((rc = load_worker(p, fp_cfg_elem(workers, i), idle, (unsigned)budget, placed,
				      &nb_placed)) < 0)
			return rc;
	const char *names[FP_ARRAY_SIZE(placed)];
	for (unsigned i = 0; i < nb_placed; i++)
		names[i] = placed[i]->name;
	/* the graph itself; partial pipelines (a ring with one end placed) run on purpose */
	if ((rc = fp_ctl_ring_graph_check(names, nb_placed, NULL, 0)) < 0)
		return rc;
	/* A journal configured but not written would be a silent loss of the audit trail. */
	const struct fp_cfg_node *store = fp_cfg_lookup(p->cfg, NULL, "store");
	bool store_placed = false;
	for (unsigned i = 0; i < nb_placed; i++)
		store_placed |= !strcmp(placed[i]->name, "store");
	if (store && !store_placed)
		return fp_err_set(-EINVAL,
				  "%s:%u: a 'store' group but no worker runs stage 'store': place "
				  "it (its own worker) or remove the group",
				  fp_cfg_name(p->cfg), fp_cfg_line(store));
	return 0;
}

/* What fp_cpu_pin_self() says of @p core, asked from a thread of its own (so that the
 * caller stays unpinned): the worker's own check, made before any worker starts. */
struct core_probe {
	int core, rc;
	char msg[FP_ERR_MSG_MAX];
};

static void *core_probe_main(void *arg)
{
	struct core_probe *cp = arg;
	cp->rc = fp_cpu_pin_self(cp->core);
	if (cp->rc < 0)
		snprintf(cp->msg, sizeof(cp->msg), "%s", fp_err_msg());
	return NULL;
}

static int check_cores(const struct fp_ctl_pipeline *p)
{
	const struct fp_cfg_node *workers = fp_cfg_lookup(p->cfg, NULL, "placement.workers");
	for (unsigned i = 0; i < p->nb_workers; i++) {
		struct core_probe cp = {.core = p->workers[i].core};
		pthread_t t;
		if (cp.core < 0)
			continue;
		if (pthread_create(&t, NULL, core_probe_main, &cp) != 0)
			return fp_err_set(-EAGAIN, "cannot start a thread to check core %d",
					  cp.core);
		pthread_join(t, NULL);
		if (cp.rc < 0)
			return fp_cfg_error(p->cfg,
					    fp_cfg_lookup(p->cfg, fp_cfg_elem(workers, i), "core"),
					    cp.rc, "worker '%s': %s", p->workers[i].name, cp.msg);
	}
	return 0;
}

/*
 * Everything `fastpath run` checks before it creates the segment, in one place, so that
 * `fastpath-ctl config validate` refuses exactly what run refuses (issue 16): names the
 * segment takes (instance, group), the cores of the placement, and every placed stage's
 * own group through its plan() (unknown keys, required keys, files it reads, credentials,
 * strategies started once on scratch memory).
 */
static int check_all(struct fp_ctl_pipeline *p)
{
	struct fp_ctl_plan *plan;
	int rc;

	if ((rc = fp_shm_check_instance(p->instance)) < 0)
		return fp_cfg_error(p->cfg, fp_cfg_lookup(p->cfg, NULL, "instance"), rc,
				    "'instance': %s", fp_err_msg());
	if (p->group[0] && (rc = fp_shm_check_group(p->group, NULL)) < 0)
		return fp_cfg_error(p->cfg, fp_cfg_lookup(p->cfg, NULL, "segment.group"), rc,
				    "'segment.group': %s", fp_err_msg());
	if ((rc = check_cores(p)) < 0)
		return rc;
	plan = malloc(sizeof(*plan));
	if (!plan)
		return fp_err_set(-ENOMEM, "out of memory checking the configuration");
	rc = plan_all(p, plan);
	free(plan);
	return rc;
}

int fp_ctl_pipeline_load(struct fp_ctl_pipeline *p, const char *path)
{
	const char *instance;
	int rc;

	memset(p, 0, sizeof(*p));
	p->seg.fd = -1;
	p->cfg = fp_cfg_load_file(path);
	if (!p->cfg)
		return fp_err_append(-errno, "loading configuration");
	if ((rc = fp_cfg_check_keys(p->cfg, fp_cfg_root(p->cfg), top_keys)) < 0 ||
	    (rc = fp_cfg_get_string(p->cfg, NULL, "instance", "default", FP_SHM_INSTANCE_MAX - 1,
				    &instance)) < 0 ||
	    (rc = load_segment(p)) < 0 || (rc = load_rings(p)) < 0 || (rc = load_restart(p)) < 0 ||
	    (rc = load_placement(p)) < 0)
		return rc;
	snprintf(p->instance, sizeof(p->instance), "%s", instance);
	fp_log_init(&p->log, stderr, "supervisor", FP_LOG_INFO);
	p->env.cfg = p->cfg;
	p->env.instance = p->instance;
	return check_all(p);
}

void fp_ctl_pipeline_fini(struct fp_ctl_pipeline *p)
{
	fp_cfg_free(p->cfg);
	p->cfg = NULL;
}

/* ---- segment ---- */

static int plan_all(struct fp_ctl_pipeline *p, struct fp_ctl_plan *plan)
{
	int rc;

	memset(plan, 0, sizeof(*plan));
	if ((rc = fp_ctl_plan_add(plan, "ctl", sizeof(struct fp_shm_ctl), FP_SHM_CTL_VERSION)) <
		    0 ||
	    (rc = fp_ctl_plan_add(plan, "workers", sizeof(struct fp_shm_workers),
				  FP_SHM_WORKERS_VERSION)) < 0 ||
	    (rc = fp_ctl_plan_add(plan, "symtab", sizeof(struct fp_symtab), FP_SYMTAB_VERSION)) <
		    0 ||
	    (rc = fp_ctl_plan_add(plan, FP_CTL_CARRY_REGION, sizeof(struct fp_ctl_carry),
				  FP_CTL_CARRY_VERSION)) < 0)
		return rc;
	for (unsigned i = 0; i < FP_CTL_NB_RINGS; i++)
		if ((rc = fp_ctl_plan_add(plan, fp_ctl_ring_graph[i].ring,
					  fp_ring_memsize(p->ring_capacity[i]), FP_RING_VERSION)) <
		    0)
			return rc;
	for (unsigned w = 0; w < p->nb_workers; w++)
		for (unsigned s = 0; s < p->workers[w].nb_stages; s++) {
			const struct fp_ctl_stage_ops *ops = p->workers[w].stages[s];
			if (ops->plan && (rc = ops->plan(&p->env, plan)) < 0)
				return fp_err_append(rc, "planning stage '%s'", ops->name);
		}
	return 0;
}

int fp_ctl_pipeline_create(struct fp_ctl_pipeline *p)
{
	struct fp_ctl_plan plan;
	struct fp_shm_opts opts = {
		.instance = p->instance,
		.group = p->group[0] ? p->group : NULL,
		.hugepages = p->hugepages,
	};
	int rc;

	if ((rc = plan_all(p, &plan)) < 0)
		return rc;
	opts.regions = plan.specs;
	opts.nb_regions = plan.nb;
	if ((rc = fp_shm_create(&p->seg, &opts)) < 0)
		return fp_err_append(rc, "creating the segment of instance '%s'", p->instance);
	p->env.seg = &p->seg;
	p->env.tsc_hz = p->seg.hdr->tsc_hz;

	p->ctl = fp_shm_region(&p->seg, "ctl", NULL);
	p->wtab = fp_shm_region(&p->seg, "workers", NULL);
	fp_shm_ctl_init(p->ctl);
	fp_shm_workers_init(p->wtab);
	fp_symtab_init(fp_shm_region(&p->seg, "symtab", NULL));
	memset(fp_shm_region(&p->seg, FP_CTL_CARRY_REGION, NULL), 0, sizeof(struct fp_ctl_carry));
	p->wtab->nb_workers = p->nb_workers;
	for (unsigned i = 0; i < p->nb_workers; i++) {
		snprintf(p->wtab->w[i].name, sizeof(p->wtab->w[i].name), "%s", p->workers[i].name);
		p->wtab->w[i].core = p->workers[i].core;
	}
	for (unsigned i = 0; i < FP_CTL_NB_RINGS; i++) {
		struct fp_ring *r = fp_shm_region(&p->seg, fp_ctl_ring_graph[i].ring, NULL);
		if ((rc = fp_ring_init(r, p->ring_capacity[i], fp_ctl_ring_graph[i].ring)) < 0)
			goto err;
	}
	for (unsigned w = 0; w < p->nb_workers; w++)
		for (unsigned s = 0; s < p->workers[w].nb_stages; s++) {
			const struct fp_ctl_stage_ops *ops = p->workers[w].stages[s];
			if (ops->setup && (rc = ops->setup(&p->env)) < 0) {
				fp_err_append(rc, "setting up stage '%s'", ops->name);
				goto err;
			}
		}
	/* ON, unless a stage restored a halted or cancel-only state (the store's journal). */
	if (fp_shm_ctl_trading(p->ctl) == FP_TRADING_OFF)
		fp_shm_ctl_set_trading(p->ctl, FP_TRADING_ON, "supervisor", "start");
	fp_shm_set_state(&p->seg, FP_SHM_STATE_READY);
	return 0;
err:
	fp_shm_destroy(&p->seg);
	return rc;
}

/* ---- counters across restarts (fp_ctl_pipeline.h) ---- */

/* Summary fields that restart from zero with their worker (uint64_t each). */
static const size_t fp_ctl_carry_fields[] = {
	offsetof(struct fp_ctl_summary, md_packets),
	offsetof(struct fp_ctl_summary, md_messages),
	offsetof(struct fp_ctl_summary, md_gaps),
	offsetof(struct fp_ctl_summary, md_errors),
	offsetof(struct fp_ctl_summary, md_overruns),
	offsetof(struct fp_ctl_summary, book_updates),
	offsetof(struct fp_ctl_summary, book_tops),
	offsetof(struct fp_ctl_summary, book_integrity_errors),
	offsetof(struct fp_ctl_summary, intents),
	offsetof(struct fp_ctl_summary, risk_accepted),
	offsetof(struct fp_ctl_summary, risk_rejected),
	offsetof(struct fp_ctl_summary, orders_sent),
	offsetof(struct fp_ctl_summary, acks),
	offsetof(struct fp_ctl_summary, cancels),
	offsetof(struct fp_ctl_summary, venue_rejects),
	offsetof(struct fp_ctl_summary, risk_unknown_exec),
	offsetof(struct fp_ctl_summary, risk_exec_dups),
};

static uint64_t *carry_field(struct fp_ctl_summary *s, size_t off)
{
	return (uint64_t *)(void *)((char *)s + off);
}

void fp_ctl_carry_add(const struct fp_shm *seg, struct fp_ctl_summary *sum)
{
	const struct fp_ctl_carry *c = fp_shm_region(seg, FP_CTL_CARRY_REGION, NULL);
	if (!c)
		return;
	for (unsigned w = 0; w < FP_SHM_MAX_WORKERS; w++)
		for (unsigned f = 0; f < FP_ARRAY_SIZE(fp_ctl_carry_fields); f++)
			*carry_field(sum, fp_ctl_carry_fields[f]) +=
				*carry_field((struct fp_ctl_summary *)(uintptr_t)&c->line[w],
					     fp_ctl_carry_fields[f]);
}

/* A restarting worker: add what its stages published last to its carried line, before
 * their init starts them from zero. */
static void carry_restart(const struct fp_ctl_pipeline *p, const struct fp_ctl_env *env,
			  unsigned idx)
{
	struct fp_ctl_carry *c = fp_shm_region(&p->seg, FP_CTL_CARRY_REGION, NULL);
	struct fp_ctl_summary last;
	if (!c)
		return;
	if (!c->started[idx]) {
		c->started[idx] = 1;
		return;
	}
	memset(&last, 0, sizeof(last));
	for (unsigned s = 0; s < p->workers[idx].nb_stages; s++)
		if (p->workers[idx].stages[s]->report)
			p->workers[idx].stages[s]->report(env, &last);
	for (unsigned f = 0; f < FP_ARRAY_SIZE(fp_ctl_carry_fields); f++)
		*carry_field(&c->line[idx], fp_ctl_carry_fields[f]) +=
			*carry_field(&last, fp_ctl_carry_fields[f]);
}

/* ---- the worker process ---- */

struct fp_ctl_worker_stage {
	const struct fp_ctl_stage_ops *ops;
	void *ctx;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* One round of every stage but the sources; the work done. */
static unsigned poll_fed(const struct fp_ctl_worker_stage *st, unsigned nb, unsigned budget)
{
	unsigned work = 0;
	for (unsigned s = 0; s < nb; s++)
		if (!st[s].ops->source)
			work += st[s].ops->poll(st[s].ctx, budget);
	return work;
}

/* Invariant (1)'s drain at stop: every stage but the sources until a round does nothing. */
static void drain(const struct fp_ctl_worker_stage *st, unsigned nb, unsigned budget)
{
	uint64_t deadline = mono_ms() + FP_CTL_STOP_DRAIN_MS;
	while (poll_fed(st, nb, budget) > 0 && mono_ms() < deadline)
		;
}

static int worker_main(void *arg, unsigned idx)
{
	struct fp_ctl_pipeline *p = arg;
	const struct fp_ctl_worker_spec *spec = &p->workers[idx];
	struct fp_shm_worker *me = &p->wtab->w[idx];
	struct fp_ctl_worker_stage st[FP_CTL_MAX_STAGES_PER_WORKER];
	struct fp_ctl_env env = p->env;
	struct fp_idle idle;
	unsigned nb_init = 0, pass = 0;
	int rc = 0;

	env.worker_idx = idx;
	me->pid = (int32_t)getpid();
	me->started_ns = (uint64_t)time(NULL) * 1000000000ull;
	fp_shm_worker_set_state(me, FP_WORKER_STARTING);
	if (spec->core >= 0 && (rc = fp_cpu_pin_self(spec->core)) < 0) {
		fp_log_error(&p->log, "worker '%s': %s", spec->name, fp_err_msg());
		goto out;
	}
	/* Nothing may fault in later: lock what stages allocate at init too. */
	mlockall(MCL_CURRENT | MCL_FUTURE);
	carry_restart(p, &env, idx);
	for (; nb_init < spec->nb_stages; nb_init++) {
		st[nb_init].ops = spec->stages[nb_init];
		st[nb_init].ctx = aligned_alloc(
			FP_CACHE_LINE, FP_ALIGN_UP(st[nb_init].ops->ctx_size, FP_CACHE_LINE));
		if (!st[nb_init].ctx) {
			rc = -ENOMEM;
			goto out;
		}
		memset(st[nb_init].ctx, 0, st[nb_init].ops->ctx_size);
		if ((rc = st[nb_init].ops->init(st[nb_init].ctx, &env)) < 0) {
			fp_log_error(&p->log, "worker '%s': stage '%s': %s", spec->name,
				     st[nb_init].ops->name, fp_err_msg());
			free(st[nb_init].ctx);
			goto out;
		}
	}
	fp_shm_worker_set_state(me, FP_WORKER_RUNNING);
	fp_idle_init(&idle, spec->idle);

	/* The loop: invariants (1) and (4). */
	for (;;) {
		unsigned work = 0, fed = 0;
		for (unsigned s = 0; s < nb_init; s++) {
			unsigned n = st[s].ops->poll(st[s].ctx, spec->budget);
			work += n;
			fed += st[s].ops->source ? 0 : n;
		}
		for (unsigned r = 0; fed > 0 && r < FP_CTL_CATCHUP_ROUNDS; r++) {
			fed = poll_fed(st, nb_init, spec->budget);
			work += fed;
		}
		fp_shm_worker_beat(me, fp_tsc_now());
		if (fp_unlikely(++pass % FP_CTL_STOP_CHECK_PASSES == 0) &&
		    fp_shm_get_state(&p->seg) != FP_SHM_STATE_READY)
			break;
		fp_idle_step(&idle, work);
	}
	fp_shm_worker_set_state(me, FP_WORKER_STOPPING);
	drain(st, nb_init, spec->budget);
out:
	while (nb_init > 0) {
		nb_init--;
		if (st[nb_init].ops->fini)
			st[nb_init].ops->fini(st[nb_init].ctx);
		free(st[nb_init].ctx);
	}
	fp_shm_worker_set_state(me, rc < 0 ? FP_WORKER_DEAD : FP_WORKER_EXITED);
	return rc < 0 ? 1 : 0;
}

static void on_worker_event(void *arg, unsigned idx, const struct fp_ctl_proc *proc,
			    const char *what)
{
	struct fp_ctl_pipeline *p = arg;
	struct fp_shm_worker *w = &p->wtab->w[idx];

	if (!strcmp(what, "restarted"))
		w->restarts++;
	if (!strcmp(what, "died") || !strcmp(what, "crash loop"))
		fp_shm_worker_set_state(w, FP_WORKER_DEAD);
	if (!strcmp(what, "stopped") || !strcmp(what, "restarted"))
		fp_log_info(&p->log, "worker '%s' %s (pid %d)", proc->name, what,
			    (int)proc->last_pid);
	else if (strcmp(what, "started") && WIFSIGNALED(proc->last_status))
		fp_log_warn(&p->log, "worker '%s' %s (pid %d, killed by signal %d: %s)", proc->name,
			    what, (int)proc->last_pid, WTERMSIG(proc->last_status),
			    strsignal(WTERMSIG(proc->last_status)));
	else if (strcmp(what, "started"))
		fp_log_warn(&p->log, "worker '%s' %s (pid %d, exit status %d)", proc->name, what,
			    (int)proc->last_pid, WEXITSTATUS(proc->last_status));
}

static void on_crash_loop(void *arg, unsigned idx, const struct fp_ctl_proc *proc)
{
	struct fp_ctl_pipeline *p = arg;
	char reason[96];

	(void)idx;
	snprintf(reason, sizeof(reason), "worker '%s' in a crash loop", proc->name);
	fp_shm_ctl_kill(p->ctl, "supervisor", reason);
	fp_log_error(&p->log, "%s: kill switch tripped", reason);
	if (!p->failed[0]) {
		char last[48];
		if (WIFSIGNALED(proc->last_status))
			snprintf(last, sizeof(last), "killed by signal %d",
				 WTERMSIG(proc->last_status));
		else
			snprintf(last, sizeof(last), "exit status %d",
				 WEXITSTATUS(proc->last_status));
		snprintf(p->failed, sizeof(p->failed),
			 "%s (%u deaths within restart.window_ms = %u ms, the last %s; its log "
			 "lines above say why)",
			 reason, proc->nb_deaths_in_window, p->restart.restart_window_ms, last);
	}
}

int fp_ctl_pipeline_start(struct fp_ctl_pipeline *p)
{
	const char *names[FP_SHM_MAX_WORKERS];
	struct fp_ctl_sup_hooks hooks = {
		.worker_main = worker_main,
		.on_event = on_worker_event,
		.on_crash_loop = on_crash_loop,
		.arg = p,
	};
	int rc;

	for (unsigned i = 0; i < p->nb_workers; i++)
		names[i] = p->workers[i].name;
	if ((rc = fp_ctl_sup_init(&p->sup, &p->restart, &hooks, names, p->nb_workers)) < 0)
		return rc;
	return fp_ctl_sup_start(&p->sup);
}

unsigned fp_ctl_pipeline_step(struct fp_ctl_pipeline *p)
{
	return fp_ctl_sup_step(&p->sup);
}

void fp_ctl_pipeline_summary(const struct fp_ctl_pipeline *p, struct fp_ctl_summary *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned w = 0; w < p->nb_workers; w++)
		for (unsigned s = 0; s < p->workers[w].nb_stages; s++) {
			const struct fp_ctl_stage_ops *ops = p->workers[w].stages[s];
			if (ops->report)
				ops->report(&p->env, sum);
		}
	fp_ctl_carry_add(&p->seg, sum);
}

/*
 * True when nothing of the order path is in flight: the gateway has no open order left
 * and the rings that carry orders, execution reports and journal events are empty, so that
 * every fill the venue sent before its cancel acknowledgements has reached risk, the
 * strategies and the journal.
 */
static bool order_path_quiet(const struct fp_ctl_pipeline *p)
{
	static const char *const rings[] = {FP_CTL_RING_ORDER, FP_CTL_RING_EXEC_RISK,
					    FP_CTL_RING_EXEC_STRAT, FP_JRNL_RING_RISK,
					    FP_JRNL_RING_GW};
	struct fp_ctl_summary sum;

	fp_ctl_pipeline_summary(p, &sum);
	if (sum.open_orders)
		return false;
	for (unsigned i = 0; i < FP_ARRAY_SIZE(rings); i++) {
		const struct fp_ring *r = fp_shm_region(&p->seg, rings[i], NULL);
		if (r && fp_ring_count(r))
			return false;
	}
	return true;
}

unsigned fp_ctl_pipeline_stop(struct fp_ctl_pipeline *p, unsigned drain_ms, const char *why)
{
	return fp_ctl_pipeline_stop_summary(p, drain_ms, why, NULL);
}

unsigned fp_ctl_pipeline_stop_summary(struct fp_ctl_pipeline *p, unsigned drain_ms, const char *why,
				      struct fp_ctl_summary *final)
{
	const struct timespec tick = {.tv_nsec = FP_CTL_DRAIN_TICK_MS * 1000000L};
	unsigned killed;

	if (!p->seg.hdr)
		return 0;
	/* Risk refuses new orders and the gateway cancels what is open (kill switch). */
	char reason[FP_SHM_CTL_TEXT_SIZE];
	snprintf(reason, sizeof(reason), FP_CTL_STOP_REASON_PREFIX "%s", why);
	fp_shm_ctl_kill(p->ctl, "supervisor", reason);
	/* Give the cancels their acknowledgements (and racing fills their way to risk and the
	 * journal) before the workers stop, up to drain_ms. The first ticks always pass: the
	 * stats the check reads are published every few hundred polls. */
	for (unsigned waited = 0; waited < drain_ms; waited += FP_CTL_DRAIN_TICK_MS) {
		nanosleep(&tick, NULL);
		if (waited >= FP_CTL_DRAIN_MIN_MS && order_path_quiet(p))
			break;
	}
	fp_shm_set_state(&p->seg, FP_SHM_STATE_STOPPING);
	killed = fp_ctl_sup_stop(&p->sup);
	if (final) /* the workers' fini published their last figures */
		fp_ctl_pipeline_summary(p, final);
	fp_shm_destroy(&p->seg);
	return killed;
}
