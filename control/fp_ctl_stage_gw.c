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
 *
 * Journal and recovery (shm/fp_journal.h): when the segment holds FP_JRNL_RING_GW (the
 * store stage is placed), the gateway journals to it, and init() replays the instance's
 * journal (fp_ctl_store_recover, J5: after the rings drained) into the gateway before its
 * first poll: GW records only, a file of a later day starting the order table anew. One log
 * line says what was recovered.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_ctl_stage.h"
#include "fp_ctl_store.h"
#include "fp_err.h"
#include "fp_gw.h"
#include "fp_journal.h"
#include "fp_log.h"
#include "fp_risk.h"
#include "fp_symtab.h"

/* Risk reads these gateway figures from the exec ring without including the gateway. */
static_assert(FP_RISK_GW_NOT_CONNECTED == FP_GW_REJ_NOT_CONNECTED, "not-connected reject");
static_assert(FP_RISK_VENUE_SYNCED == FP_GW_VENUE_SYNCED, "venue synced argument");

_Static_assert(FP_GW_REJ_NB <= FP_ARRAY_SIZE(((struct fp_ctl_summary *)0)->gw_rejects_by_reason),
	       "fp_ctl_summary.gw_rejects_by_reason holds every gateway reject reason");

/*
 * Fills across a restart of the gateway's worker, exactly (issue 16 item 5): with a
 * journal, the fills of this run are those the journal held beyond the ones it held at the
 * first start (j0) plus the ones counted since; without one, the last published count of
 * the earlier runs is carried. Region "gw.carry", written by the gateway's worker only.
 */
struct gw_carry {
	uint64_t started;  /**< 1 once the first run of this instance started */
	uint64_t j0_fills; /**< fills in the journal at that first start */
	uint64_t fills;    /**< without a journal: fills counted by earlier runs */
	uint64_t reserved[5];
};

struct gw_adapter {
	struct fp_gw gw;
	uint32_t rec_day; /**< recovery: YYYYMMDD of the file being replayed */
	char host[64];
	struct fp_log log;
	uint32_t seen_errors; /**< fp_gw.nb_errors already logged */
	uint8_t seen_up;      /**< the session's transport was logged since it came up */
};

/* One journal record (fp_ctl_store_recover's callback): the gateway's own events. */
static int gw_replay(void *arg, const struct fp_store_record *rec, uint32_t day)
{
	struct gw_adapter *a = arg;
	struct fp_event ev;
	if (rec->flags != FP_JRNL_SRC_GW || rec->type >= 0x100 || rec->len != sizeof(ev))
		return 0;
	memcpy(&ev, rec->payload, sizeof(ev)); /* the mapping gives no alignment */
	if (a->rec_day && day != a->rec_day)
		fp_gw_recover_new_day(&a->gw); /* yesterday's orders and session are over */
	a->rec_day = day;
	return fp_gw_recover_event(&a->gw, &ev);
}

static int gw_recover(struct gw_adapter *a, const struct fp_ctl_env *env)
{
	struct fp_log log;
	int64_t n = fp_ctl_store_recover(env, gw_replay, a);
	if (n < 0)
		return (int)fp_err_append((int)n, "gateway: recovery from the journal");
	fp_gw_recover_done(&a->gw);
	const struct fp_gw_stats *st = fp_gw_stats(&a->gw);
	fp_log_init(&log, stderr, "gateway", FP_LOG_INFO);
	fp_log(&log, FP_LOG_INFO,
	       "recovered %" PRId64 " journal records (%" PRIu64 " of the gateway): %" PRIu64
	       " orders, %" PRIu64 " open, %" PRIu64 " fills, %" PRIu64
	       " adopted; session '%s', next seq %" PRIu64 ", next UserRefNum %" PRIu32,
	       n, st->nb_recovered_records, st->nb_recovered_orders, st->nb_recovered_open,
	       st->nb_recovered_fills, st->nb_adopted, a->gw.session, st->next_seq,
	       st->next_user_ref_num);
	return 0;
}

static const char *const gw_keys[] = {
	"venue",      "session",        "firm",           "max_orders",         "heartbeat_ms",
	"timeout_ms", "backoff_min_ms", "backoff_max_ms", FP_GW_CFG_VENUE_KEYS, NULL};

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
	if ((rc = fp_gw_cfg_load_venue(cfg, c, g)) < 0 ||
	    (rc = fp_cfg_check_keys(c, g, gw_keys)) < 0 ||
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
	struct in_addr addr;
	if (inet_pton(AF_INET, host, &addr) != 1) /* what fp_gw_init() accepts (no DNS) */
		return fp_err_set(
			-EINVAL,
			"%s:%u: gateway.venue must be IPV4:PORT (an address, not a name), "
			"got '%s'",
			fp_cfg_name(c), fp_cfg_line(fp_cfg_lookup(c, g, "venue")), venue);
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
	    (rc = fp_ctl_plan_add(plan, "gw.stats", sizeof(struct fp_gw_stats),
				  FP_GW_STATS_VERSION)) < 0)
		return rc;
	if ((rc = fp_ctl_plan_add(plan, "gw.carry", sizeof(struct gw_carry), 1)) < 0 ||
	    (rc = fp_ctl_plan_add(plan, "gw.hop.decide", sizeof(struct fp_hist), 1)) < 0 ||
	    (rc = fp_ctl_plan_add(plan, "gw.hop.route", sizeof(struct fp_hist), 1)) < 0)
		return rc;
	return fp_ctl_plan_add(plan, "gw.t2t", sizeof(struct fp_hist), 1);
}

static int gw_setup(const struct fp_ctl_env *env)
{
	memset(fp_shm_region(env->seg, "gw.carry", NULL), 0, sizeof(struct gw_carry));
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
	cfg.stats = fp_ctl_region(env, "gw.stats", NULL); /* the gateway counts in it */
	struct gw_carry *carry = fp_ctl_region(env, "gw.carry", NULL);
	if (!symtab || !cfg.order_ring || !cfg.exec_ring || !cfg.exec_ring2 || !cfg.ctl ||
	    !cfg.t2t_hist || !cfg.decide_hist || !cfg.route_hist || !cfg.stats || !carry)
		return -ENOENT;
	/* The last run's fills, as it counted them, before init zeroes the region. */
	uint64_t last_run_fills = fp_gw_stats_check(cfg.stats) == 0 ? cfg.stats->nb_fills : 0;
	cfg.symtab = symtab;
	/* md fills the symbol table in this instance: log in once it holds the directory. */
	cfg.wait_directory = fp_shm_region(env->seg, "md.stats", NULL) != NULL;
	if (fp_shm_region(env->seg, FP_JRNL_RING_GW, NULL) &&
	    (cfg.journal_ring = fp_ctl_ring(env, FP_JRNL_RING_GW)) == NULL)
		return -EPROTO;
	fp_log_init(&a->log, stderr, "gateway", FP_LOG_INFO);
	if (cfg.protocol == FP_GW_PROTO_FIX44 && cfg.tls == FP_GW_TLS_OFF)
		fp_log(&a->log, FP_LOG_WARN,
		       "gateway.tls = \"off\": FIX session to %s:%u in plain TCP, credentials "
		       "and orders unencrypted",
		       a->host, (unsigned)cfg.port);
	if ((rc = fp_gw_init(&a->gw, &cfg)) < 0)
		return rc;
	fp_log(&a->log, FP_LOG_INFO, "venue %s:%u, protocol %s, transport %s", a->host,
	       (unsigned)cfg.port, cfg.protocol == FP_GW_PROTO_FIX44 ? "fix44" : "ouch50",
	       a->gw.tls ? "tls" : "tcp");
	a->seen_errors = 0;
	a->seen_up = 0;
	a->rec_day = 0;
	if (cfg.journal_ring && (rc = gw_recover(a, env)) < 0) { /* no store: nothing to replay */
		fp_gw_fini(&a->gw);
		return rc;
	}
	if (!carry->started) {
		carry->j0_fills = fp_gw_stats(&a->gw)->nb_recovered_fills;
		carry->started = 1;
	} else if (!cfg.journal_ring) {
		carry->fills += last_run_fills;
	}
	return 0;
}

static unsigned gw_poll(void *ctx, unsigned budget)
{
	struct gw_adapter *a = ctx;
	unsigned work = fp_gw_poll(&a->gw, budget);
	/* Cold branches: a session failure or a session up, once each (never the hot path's
	 * business: the gateway itself does not log). */
	if (fp_unlikely(a->gw.nb_errors != a->seen_errors)) {
		a->seen_errors = a->gw.nb_errors;
		fp_log(&a->log, FP_LOG_WARN, "%s", fp_gw_last_error(&a->gw));
	}
	if (fp_unlikely((a->gw.state == FP_GW_UP) != a->seen_up)) {
		a->seen_up = a->gw.state == FP_GW_UP;
		if (a->seen_up)
			fp_log(&a->log, FP_LOG_INFO, "venue session up over %s",
			       fp_gw_transport(&a->gw));
		else
			fp_log(&a->log, FP_LOG_WARN,
			       "venue session down (%" PRIu64 " disconnects so far)",
			       fp_gw_stats(&a->gw)->nb_disconnects);
	}
	return work;
}

static void gw_fini(void *ctx)
{
	struct gw_adapter *a = ctx;
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

	if (st && fp_gw_stats_check(st) == 0) {
		/* What reached the venue, not what risk passed (issue 16). */
		sum->orders_sent = st->nb_orders_sent;
		sum->replaces_sent = st->nb_replaces_sent;
		sum->gw_tx_backlog = st->nb_tx_backlog;
		sum->gw_rx_reads = st->nb_rx_reads;
		sum->gw_rx_gap_max_ns = st->rx_gap_max_ns;
		sum->gw_rejects = st->nb_local_rejects;
		for (unsigned i = 0; i < FP_GW_REJ_NB; i++)
			sum->gw_rejects_by_reason[i] = st->nb_local_by_reason[i];
		sum->acks = st->nb_accepted;
		const struct gw_carry *carry = fp_shm_region(env->seg, "gw.carry", NULL);
		sum->fills = st->nb_fills;
		if (carry && carry->started && st->nb_recovered_fills >= carry->j0_fills)
			sum->fills += carry->fills + st->nb_recovered_fills - carry->j0_fills;
		sum->cancels = st->nb_canceled;
		sum->venue_rejects = st->nb_rejected;
		sum->open_orders = st->nb_open;
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
