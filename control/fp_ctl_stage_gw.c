/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_stage_gw.c - the order gateway in the pipeline: config group `gateway`, regions
 * gw.stats, gw.t2t (tick-to-trade histogram, TSC cycles) and its two hops gw.hop.decide
 * (t_rx -> strategy decision) and gw.hop.route (decision -> send); rings order (from risk),
 * exec.risk and exec.strat (fan-out of execution reports). See gateway/fp_gw.h.
 *
 *   gateway = {
 *     venue = "127.0.0.1:15000";    # SoupBinTCP / OUCH 5.0 server
 *     session = "";                 # requested session ("" = current)
 *     firm = "";                    # Firm appendage on Enter Order ("" = none)
 *     max_orders = 4096;            # open orders at once (power of two)
 *     heartbeat_ms = 1000; timeout_ms = 15000; backoff_min_ms = 100; backoff_max_ms = 5000;
 *   };
 *
 * Credentials come from the environment only (FP_GW_USER, FP_GW_PASSWORD): never from the
 * command line, never from a file others may read, never logged.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_ctl_stage.h"
#include "fp_err.h"
#include "fp_gw.h"
#include "fp_symtab.h"

#define GW_STATS_PUBLISH_POLLS 256u

struct gw_adapter {
	struct fp_gw gw;
	struct fp_gw_stats *published;
	unsigned polls;
	char host[64];
};

static const char *const gw_keys[] = {"venue",          "session",        "firm",
				      "max_orders",     "heartbeat_ms",   "timeout_ms",
				      "backoff_min_ms", "backoff_max_ms", NULL};

static int gw_load_cfg(const struct fp_ctl_env *env, struct fp_gw_cfg *cfg, char *host,
		       size_t host_len)
{
	const struct fp_cfg *c = env->cfg;
	const struct fp_cfg_node *g = fp_cfg_lookup(c, NULL, "gateway");
	const char *venue, *session, *firm;
	int64_t max_orders, hb, to, bmin, bmax;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	if (!g)
		return fp_err_set(
			-EINVAL, "%s: stage 'gateway' is placed but the 'gateway' group is missing",
			fp_cfg_name(c));
	if ((rc = fp_cfg_check_keys(c, g, gw_keys)) < 0 ||
	    (rc = fp_cfg_require(c, g, "venue")) < 0 ||
	    (rc = fp_cfg_get_string(c, g, "venue", "", 0, &venue)) < 0 ||
	    (rc = fp_cfg_get_string(c, g, "session", "", 10, &session)) < 0 ||
	    (rc = fp_cfg_get_string(c, g, "firm", "", 4, &firm)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "max_orders", 4096, 16, 1 << 24, &max_orders)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "heartbeat_ms", 1000, 10, 60000, &hb)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "timeout_ms", 15000, 100, 600000, &to)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "backoff_min_ms", 100, 1, 600000, &bmin)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "backoff_max_ms", 5000, 1, 600000, &bmax)) < 0)
		return rc;
	const char *colon = strrchr(venue, ':');
	char *end;
	long port = colon ? strtol(colon + 1, &end, 10) : 0;
	if (!colon || *end || port <= 0 || port > 65535 || (size_t)(colon - venue) >= host_len)
		return fp_err_set(-EINVAL, "%s:%u: gateway.venue must be IPV4:PORT, got '%s'",
				  fp_cfg_name(c), fp_cfg_line(fp_cfg_lookup(c, g, "venue")), venue);
	memcpy(host, venue, (size_t)(colon - venue));
	host[colon - venue] = '\0';
	if (!FP_IS_POW2((uint64_t)max_orders))
		return fp_err_set(-EINVAL, "%s: gateway.max_orders must be a power of two",
				  fp_cfg_name(c));
	cfg->host = host;
	cfg->port = (uint16_t)port;
	cfg->session = session;
	snprintf(cfg->firm, sizeof(cfg->firm), "%s", firm);
	cfg->max_orders = (uint32_t)max_orders;
	cfg->heartbeat_ms = (uint32_t)hb;
	cfg->timeout_ms = (uint32_t)to;
	cfg->backoff_min_ms = (uint32_t)bmin;
	cfg->backoff_max_ms = (uint32_t)FP_MAX(bmax, bmin);
	return 0;
}

static int gw_plan(const struct fp_ctl_env *env, struct fp_ctl_plan *plan)
{
	struct fp_gw_cfg cfg;
	char host[64];
	int rc;

	/* Missing credentials fail here, before any worker starts (and crash-loops). */
	if ((rc = gw_load_cfg(env, &cfg, host, sizeof(host))) < 0 ||
	    (rc = fp_gw_credentials_from_env(&cfg)) < 0 ||
	    (rc = fp_ctl_plan_add(plan, "gw.stats", sizeof(struct fp_gw_stats), 1)) < 0)
		return rc;
	if ((rc = fp_ctl_plan_add(plan, "gw.hop.decide", sizeof(struct fp_hist), 1)) < 0 ||
	    (rc = fp_ctl_plan_add(plan, "gw.hop.route", sizeof(struct fp_hist), 1)) < 0)
		return rc;
	return fp_ctl_plan_add(plan, "gw.t2t", sizeof(struct fp_hist), 1);
}

static int gw_setup(const struct fp_ctl_env *env)
{
	fp_hist_init(fp_shm_region(env->seg, "gw.t2t", NULL));
	fp_hist_init(fp_shm_region(env->seg, "gw.hop.decide", NULL));
	fp_hist_init(fp_shm_region(env->seg, "gw.hop.route", NULL));
	return 0;
}

static int gw_init(void *ctx, const struct fp_ctl_env *env)
{
	struct gw_adapter *a = ctx;
	struct fp_symtab *symtab = fp_ctl_region(env, "symtab", NULL);
	struct fp_gw_cfg cfg;
	int rc;

	if ((rc = gw_load_cfg(env, &cfg, a->host, sizeof(a->host))) < 0 ||
	    (rc = fp_gw_credentials_from_env(&cfg)) < 0)
		return rc;
	cfg.order_ring = fp_ctl_ring(env, FP_CTL_RING_ORDER);
	cfg.exec_ring = fp_ctl_ring(env, FP_CTL_RING_EXEC_RISK);
	cfg.exec_ring2 = fp_ctl_ring(env, FP_CTL_RING_EXEC_STRAT);
	cfg.ctl = fp_ctl_region(env, "ctl", NULL);
	cfg.t2t_hist = fp_ctl_region(env, "gw.t2t", NULL);
	cfg.decide_hist = fp_ctl_region(env, "gw.hop.decide", NULL);
	cfg.route_hist = fp_ctl_region(env, "gw.hop.route", NULL);
	a->published = fp_ctl_region(env, "gw.stats", NULL);
	if (!symtab || !cfg.order_ring || !cfg.exec_ring || !cfg.exec_ring2 || !cfg.ctl ||
	    !cfg.t2t_hist || !cfg.decide_hist || !cfg.route_hist || !a->published)
		return -ENOENT;
	cfg.symbols = symtab->sym[0].name;
	cfg.symbol_stride = sizeof(symtab->sym[0]);
	cfg.nb_symbols = FP_SYMTAB_NB_ENTRIES;
	return fp_gw_init(&a->gw, &cfg);
}

static unsigned gw_poll(void *ctx, unsigned budget)
{
	struct gw_adapter *a = ctx;
	unsigned work = fp_gw_poll(&a->gw, budget);

	if (fp_unlikely(++a->polls % GW_STATS_PUBLISH_POLLS == 0))
		memcpy(a->published, fp_gw_stats(&a->gw), sizeof(*a->published));
	return work;
}

static void gw_fini(void *ctx)
{
	struct gw_adapter *a = ctx;
	memcpy(a->published, fp_gw_stats(&a->gw), sizeof(*a->published));
	fp_gw_fini(&a->gw);
}

static uint64_t hist_ns(const struct fp_hist *h, double q, double ns_per_cycle)
{
	return h && fp_hist_count(h) ? (uint64_t)((double)fp_hist_percentile(h, q) * ns_per_cycle)
				     : 0;
}

static void gw_report(const struct fp_ctl_env *env, struct fp_ctl_summary *sum)
{
	static const double q[] = FP_CTL_T2T_QUANTILES;
	const struct fp_gw_stats *st = fp_shm_region(env->seg, "gw.stats", NULL);
	const struct fp_hist *h = fp_shm_region(env->seg, "gw.t2t", NULL);
	double ns_per_cycle = env->tsc_hz ? 1e9 / (double)env->tsc_hz : 0;

	if (st) {
		sum->orders_sent = st->nb_orders_in;
		sum->acks = st->nb_accepted;
		sum->fills = st->nb_fills;
		sum->cancels = st->nb_canceled;
		sum->venue_rejects = st->nb_rejected;
		sum->venue_connected = st->session == FP_GW_UP;
	}
	const struct fp_hist *hd = fp_shm_region(env->seg, "gw.hop.decide", NULL);
	const struct fp_hist *hr = fp_shm_region(env->seg, "gw.hop.route", NULL);
	sum->hop_decide_p50_ns = hist_ns(hd, 0.50, ns_per_cycle);
	sum->hop_decide_p99_ns = hist_ns(hd, 0.99, ns_per_cycle);
	sum->hop_route_p50_ns = hist_ns(hr, 0.50, ns_per_cycle);
	sum->hop_route_p99_ns = hist_ns(hr, 0.99, ns_per_cycle);
	if (h && fp_hist_count(h)) {
		sum->t2t_count = fp_hist_count(h);
		sum->t2t_p50_ns = (uint64_t)((double)fp_hist_percentile(h, 0.50) * ns_per_cycle);
		sum->t2t_p99_ns = (uint64_t)((double)fp_hist_percentile(h, 0.99) * ns_per_cycle);
		sum->t2t_p999_ns = (uint64_t)((double)fp_hist_percentile(h, 0.999) * ns_per_cycle);
		sum->t2t_max_ns = (uint64_t)((double)fp_hist_percentile(h, 1.0) * ns_per_cycle);
		for (unsigned i = 0; i < FP_ARRAY_SIZE(q); i++)
			sum->t2t_quantile_ns[i] =
				(uint64_t)((double)fp_hist_percentile(h, q[i]) * ns_per_cycle);
	}
}

const struct fp_ctl_stage_ops fp_ctl_stage_gw = {
	.name = "gateway",
	.ctx_size = sizeof(struct gw_adapter),
	.plan = gw_plan,
	.setup = gw_setup,
	.init = gw_init,
	.poll = gw_poll,
	.fini = gw_fini,
	.report = gw_report,
};
