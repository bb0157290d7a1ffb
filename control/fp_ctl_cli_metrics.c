/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_cli_metrics.c - fastpath-ctl metrics and serve-metrics: the segment's counters in
 * the Prometheus text exposition format (version 0.0.4), on stdout or over HTTP with
 * libmicrohttpd (/metrics, /health, /ready, /live).
 *
 * fastpath-ctl only, its own process, never a trading core: each scrape copies counters out
 * of the segment (single-writer counters read as they are; seqlocked lines through their
 * readers). Names are fastpath_* with the unit in the name; money in dollars (price units
 * / 10000), times in seconds. Health: /live = this server runs; /ready = the segment is
 * READY and every worker RUNNING; /health = ready, kill switch armed and breaker closed
 * (503 with the reason otherwise).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fp_ctl_cli.h"
#include "fp_ctl_pipeline.h"
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

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one(FILE *f, const char *name, const char *type, const char *help, double v)
{
	head(f, name, type, help);
	fprintf(f, "%s %.17g\n", name, v);
}

static double dollars(int64_t price_units)
{
	return (double)price_units / 10000.0;
}

/* Tick-to-trade: cumulative buckets at fixed bounds (seconds) from the log-linear fp_hist. */
static void t2t(const struct fp_cli *c, FILE *f, const struct fp_hist *h)
{
	static const double le[] = {1e-6,   2e-6,   5e-6, 10e-6, 20e-6,  50e-6, 100e-6,
				    200e-6, 500e-6, 1e-3, 10e-3, 100e-3, 1.0};
	double hz = (double)c->seg.hdr->tsc_hz;
	if (hz <= 0)
		return;
	const char *n = "fastpath_tick_to_trade_seconds";
	head(f, n, "histogram", "Market data receive to order send (gateway), seconds.");
	uint64_t total = 0;
	unsigned b = 0, nb = sizeof(le) / sizeof(le[0]);
	for (unsigned i = 0; i < nb; i++) {
		double bound_cycles = le[i] * hz;
		while (b < FP_HIST_NB_BUCKETS && (double)fp_hist_bucket_hi(b) <= bound_cycles)
			total += atomic_load_explicit(&h->bucket[b++], memory_order_relaxed);
		fprintf(f, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", n, le[i], total);
	}
	uint64_t count = fp_hist_count(h);
	fprintf(f, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", n, count);
	fprintf(f, "%s_sum %.9g\n%s_count %" PRIu64 "\n", n,
		(double)atomic_load_explicit(&h->sum, memory_order_relaxed) / hz, n, count);
	/* The same samples as a summary (quantiles since start), for tables without PromQL. */
	const char *q = "fastpath_tick_to_trade_quantiles_seconds";
	head(f, q, "summary", "Tick-to-trade quantiles since start, seconds.");
	static const double qs[] = {0.5, 0.9, 0.99, 0.999};
	for (unsigned i = 0; i < 4; i++)
		fprintf(f, "%s{quantile=\"%g\"} %.9g\n", q, qs[i],
			count ? (double)fp_hist_percentile(h, qs[i]) / hz : 0);
	fprintf(f, "%s_sum %.9g\n%s_count %" PRIu64 "\n", q,
		(double)atomic_load_explicit(&h->sum, memory_order_relaxed) / hz, q, count);
}

void fp_cli_metrics_write(const struct fp_cli *c, FILE *f)
{
	const struct fp_shm_hdr *hdr = c->seg.hdr;
	const struct fp_shm_ctl *ctl = fp_cli_region(c, "ctl", NULL);
	const struct fp_shm_workers *wt = fp_cli_region(c, "workers", NULL);
	struct fp_ctl_summary sum;
	fp_cli_summary(c, &sum);

	head(f, "fastpath_info", "gauge", "Instance identity (always 1).");
	fprintf(f, "fastpath_info{instance=\"%s\",supervisor_pid=\"%d\"} 1\n", hdr->instance,
		hdr->creator_pid);
	one(f, "fastpath_up", "gauge", "1 while the segment is READY.",
	    fp_shm_get_state(&c->seg) == FP_SHM_STATE_READY);
	if (ctl) {
		one(f, "fastpath_kill_switch", "gauge", "1 when the kill switch is tripped.",
		    fp_shm_ctl_killed(ctl));
		one(f, "fastpath_trading_state", "gauge",
		    "Trading state: 0 off, 1 on, 2 halted, 3 cancel only.",
		    fp_shm_ctl_trading(ctl));
		one(f, "fastpath_control_changes_total", "counter",
		    "Kill switch and trading state changes recorded.",
		    (double)atomic_load(&ctl->change_seq));
	}
	if (wt) {
		head(f, "fastpath_worker_heartbeat_age_seconds", "gauge",
		     "Time since the worker's last loop.");
		for (uint32_t i = 0; i < wt->nb_workers && i < FP_SHM_MAX_WORKERS; i++)
			fprintf(f, "fastpath_worker_heartbeat_age_seconds{worker=\"%s\"} %.9g\n",
				wt->w[i].name,
				(double)fp_cli_tsc_age_ns(c, atomic_load(&wt->w[i].heartbeat_tsc)) /
					1e9);
		head(f, "fastpath_worker_up", "gauge", "1 while the worker is RUNNING.");
		for (uint32_t i = 0; i < wt->nb_workers && i < FP_SHM_MAX_WORKERS; i++)
			fprintf(f, "fastpath_worker_up{worker=\"%s\"} %d\n", wt->w[i].name,
				atomic_load(&wt->w[i].state) == FP_WORKER_RUNNING);
		head(f, "fastpath_worker_restarts_total", "counter", "Restarts by the supervisor.");
		for (uint32_t i = 0; i < wt->nb_workers && i < FP_SHM_MAX_WORKERS; i++)
			fprintf(f, "fastpath_worker_restarts_total{worker=\"%s\"} %u\n",
				wt->w[i].name, wt->w[i].restarts);
	}
	head(f, "fastpath_ring_depth_events", "gauge", "Events waiting in the ring.");
	for (unsigned i = 0; i < FP_CTL_NB_RINGS; i++) {
		const struct fp_ring *r = fp_cli_region(c, fp_ctl_ring_graph[i].ring, NULL);
		if (r)
			fprintf(f, "fastpath_ring_depth_events{ring=\"%s\"} %u\n",
				fp_ctl_ring_graph[i].ring, fp_ring_count(r));
	}
	head(f, "fastpath_ring_capacity_events", "gauge", "Slots of the ring.");
	for (unsigned i = 0; i < FP_CTL_NB_RINGS; i++) {
		const struct fp_ring *r = fp_cli_region(c, fp_ctl_ring_graph[i].ring, NULL);
		if (r)
			fprintf(f, "fastpath_ring_capacity_events{ring=\"%s\"} %u\n",
				fp_ctl_ring_graph[i].ring, fp_ring_capacity(r));
	}
	const struct fp_md_stats *md = fp_cli_region(c, "md.stats", NULL);
	if (md) {
		one(f, "fastpath_md_packets_total", "counter", "Market data datagrams received.",
		    (double)md->packets);
		one(f, "fastpath_md_messages_total", "counter", "ITCH messages normalized.",
		    (double)md->messages);
		one(f, "fastpath_md_gaps_total", "counter", "Sequence gaps opened.",
		    (double)md->gaps);
		one(f, "fastpath_md_missing_messages_total", "counter",
		    "Messages missing when their gap opened.", (double)md->missing);
		one(f, "fastpath_md_lost_messages_total", "counter",
		    "Missing messages given up on (stale timeout).", (double)md->mold.lost);
		uint64_t done = md->mold.recovered + md->mold.lost;
		one(f, "fastpath_md_gap_outstanding_messages", "gauge",
		    "Messages still missing in open gaps.",
		    md->missing > done ? (double)(md->missing - done) : 0);
		one(f, "fastpath_md_duplicates_total", "counter", "Duplicate messages dropped.",
		    (double)md->duplicates);
		one(f, "fastpath_md_errors_total", "counter", "Malformed packets or messages.",
		    (double)md->errors);
		one(f, "fastpath_md_overruns_total", "counter", "Events dropped: ring full.",
		    (double)md->overruns);
		one(f, "fastpath_md_stale_events_total", "counter", "Stale marks pushed.",
		    (double)md->stale_events);
		one(f, "fastpath_md_retransmit_requests_total", "counter",
		    "Retransmission requests sent.", (double)md->requests_sent);
	}
	one(f, "fastpath_book_updates_total", "counter", "Order book changes applied.",
	    (double)sum.book_updates);
	one(f, "fastpath_book_tops_total", "counter", "Top-of-book events published.",
	    (double)sum.book_tops);
	const struct fp_strat_stats *ss = fp_cli_region(c, "strat.stats", NULL);
	if (ss && fp_strat_stats_check(ss) == 0)
		one(f, "fastpath_strategy_intents_total", "counter",
		    "Order intents from strategies.", (double)ss->intents);
	const struct fp_risk_stats *rs = fp_cli_region(c, "risk.stats", NULL);
	const struct fp_gw_stats *g = fp_cli_region(c, "gw.stats", NULL);
	if (g && fp_gw_stats_check(g) < 0) /* another layout: leave its figures out */
		g = NULL;
	if (rs && fp_risk_stats_check(rs) < 0)
		rs = NULL; /* another layout: not read */
	if (rs) {
		one(f, "fastpath_risk_checked_total", "counter", "Intents checked by risk.",
		    (double)rs->intents);
		one(f, "fastpath_risk_accepted_total", "counter", "Intents passed to the gateway.",
		    (double)rs->forwarded);
		one(f, "fastpath_risk_mass_cancels_total", "counter", "Mass cancels asked for.",
		    (double)rs->mass_cancels);
	}
	head(f, "fastpath_rejects_total", "counter",
	     "Rejected orders by where they were refused (risk: per-reason counts are private "
	     "to the risk stage).");
	if (rs)
		fprintf(f, "fastpath_rejects_total{reason=\"risk\"} %" PRIu64 "\n",
			rs->rejects_sent + rs->rejects_unsent);
	if (g) {
		fprintf(f, "fastpath_rejects_total{reason=\"venue\"} %" PRIu64 "\n",
			g->nb_rejected);
		fprintf(f, "fastpath_rejects_total{reason=\"gateway\"} %" PRIu64 "\n",
			g->nb_local_rejects);
		head(f, "fastpath_orders_total", "counter", "Orders by outcome at the gateway.");
		fprintf(f,
			"fastpath_orders_total{outcome=\"sent\"} %" PRIu64 "\n"
			"fastpath_orders_total{outcome=\"accepted\"} %" PRIu64 "\n"
			"fastpath_orders_total{outcome=\"canceled\"} %" PRIu64 "\n"
			"fastpath_orders_total{outcome=\"replaced\"} %" PRIu64 "\n"
			"fastpath_orders_total{outcome=\"rejected\"} %" PRIu64 "\n",
			g->nb_sent, g->nb_accepted, g->nb_canceled, g->nb_replaced, g->nb_rejected);
		one(f, "fastpath_fills_total", "counter", "Executions received.",
		    (double)g->nb_fills);
		one(f, "fastpath_orders_open", "gauge", "Orders not yet final.", g->nb_open);
		one(f, "fastpath_venue_connected", "gauge", "1 while the venue session is up.",
		    g->session == FP_GW_UP);
		one(f, "fastpath_venue_disconnects_total", "counter", "Venue sessions lost.",
		    (double)g->nb_disconnects);
		one(f, "fastpath_cancel_rejects_total", "counter",
		    "Cancels refused (by the venue, or a FIX partial cancel): the order stays "
		    "open.",
		    (double)g->nb_cancel_rejects);
		head(f, "fastpath_venue_messages_refused_total", "counter",
		     "Venue messages refused, never applied: naming an order the gateway does not "
		     "know, or a transition it cannot make (a fill beyond the leaves).");
		fprintf(f,
			"fastpath_venue_messages_refused_total{why=\"unknown_order\"} %" PRIu64 "\n"
			"fastpath_venue_messages_refused_total{why=\"impossible\"} %" PRIu64 "\n",
			g->nb_unknown, g->nb_impossible);
		head(f, "fastpath_venue_ktls", "gauge",
		     "1 when kernel TLS offload carries the venue session in that direction.");
		fprintf(f,
			"fastpath_venue_ktls{direction=\"tx\"} %u\n"
			"fastpath_venue_ktls{direction=\"rx\"} %u\n",
			(unsigned)g->ktls_tx, (unsigned)g->ktls_rx);
		one(f, "fastpath_kill_cancels_total", "counter", "Cancels sent by the kill switch.",
		    (double)g->nb_kill_cancels);
		one(f, "fastpath_gateway_tx_backlog_total", "counter",
		    "Messages send() did not take whole (queued; no tick-to-trade sample).",
		    (double)g->nb_tx_backlog);
		one(f, "fastpath_gateway_rx_reads_total", "counter",
		    "recv() calls on the venue socket.", (double)g->nb_rx_reads);
		one(f, "fastpath_gateway_rx_gap_max_seconds", "gauge",
		    "Longest time between two reads of the venue socket while up.",
		    (double)g->rx_gap_max_ns / 1e9);
	}
	const struct fp_risk_breaker_region *brk = fp_cli_region(c, "risk.breaker", NULL);
	if (brk) {
		one(f, "fastpath_breaker_state", "gauge", "Breaker: 0 closed, 1 open, 2 cooldown.",
		    atomic_load(&brk->state));
		one(f, "fastpath_breaker_trips_total", "counter", "Breaker trips.",
		    (double)brk->nb_trips);
	}
	const struct fp_risk_limits_shm *lim = fp_cli_region(c, "risk.limits", NULL);
	if (lim) {
		one(f, "fastpath_limits_generation", "gauge", "Generation of the limits in force.",
		    (double)lim->lim.generation);
		one(f, "fastpath_daily_loss_limit_dollars", "gauge", "Firm max daily loss.",
		    dollars(lim->lim.g.max_daily_loss));
	}
	const struct fp_risk_pos_region *pr = fp_cli_region(c, "risk.positions", NULL);
	if (pr) {
		struct fp_risk_pnl p;
		if (fp_seqlock_read_copy(&pr->firm.lock, &p, &pr->firm, sizeof(p), 1000)) {
			one(f, "fastpath_pnl_realized_dollars", "gauge", "Firm realized P&L today.",
			    dollars(p.realized));
			one(f, "fastpath_pnl_unrealized_dollars", "gauge",
			    "Firm unrealized P&L at the mid.", dollars(p.unreal));
			one(f, "fastpath_exposure_gross_dollars", "gauge", "Firm gross exposure.",
			    dollars(p.gross));
			one(f, "fastpath_exposure_net_dollars", "gauge", "Firm net exposure.",
			    dollars(p.net));
		}
		const struct fp_symtab *t = fp_cli_region(c, "symtab", NULL);
		head(f, "fastpath_position_shares", "gauge", "Position per strategy and symbol.");
		for (uint32_t i = 0; i < pr->capacity; i++) {
			struct fp_risk_pos q;
			if (!pr->pos[i].symbol_id ||
			    !fp_seqlock_read_copy(&pr->pos[i].lock, &q, &pr->pos[i], sizeof(q),
						  1000) ||
			    !q.symbol_id)
				continue;
			char name[9] = "";
			if (t && q.symbol_id < FP_SYMTAB_NB_ENTRIES)
				fp_cli_stock(name, t->sym[q.symbol_id].name);
			fprintf(f,
				"fastpath_position_shares{strategy=\"%u\",symbol=\"%s\",symbol_id="
				"\"%u\"} %" PRId64 "\n",
				q.strategy_id, name, q.symbol_id, q.position);
		}
	}
	const struct fp_hist *h = fp_cli_region(c, "gw.t2t", NULL);
	if (h)
		t2t(c, f, h);
}

/* metrics */
int fp_cli_metrics(struct fp_cli *c)
{
	fp_cli_metrics_write(c, stdout);
	return FP_CLI_OK;
}

/* ---- serve-metrics ---- */

static volatile sig_atomic_t serve_stop;

static void on_signal(int sig)
{
	(void)sig;
	serve_stop = 1;
}

/* Why the instance is not ready / not healthy; NULL when it is. */
static const char *not_ready(const struct fp_cli *c)
{
	if (fp_shm_get_state(&c->seg) != FP_SHM_STATE_READY)
		return "segment not ready";
	if (c->seg.hdr->creator_pid <= 0 ||
	    (kill(c->seg.hdr->creator_pid, 0) < 0 && errno == ESRCH))
		return "supervisor gone";
	const struct fp_shm_workers *wt = fp_cli_region(c, "workers", NULL);
	for (uint32_t i = 0; wt && i < wt->nb_workers && i < FP_SHM_MAX_WORKERS; i++)
		if (atomic_load(&wt->w[i].state) != FP_WORKER_RUNNING)
			return "a worker is not running";
	return NULL;
}

static const char *not_healthy(const struct fp_cli *c)
{
	const char *why = not_ready(c);
	if (why)
		return why;
	const struct fp_shm_ctl *ctl = fp_cli_region(c, "ctl", NULL);
	if (ctl && fp_shm_ctl_killed(ctl))
		return "kill switch tripped";
	const struct fp_risk_breaker_region *brk = fp_cli_region(c, "risk.breaker", NULL);
	if (brk && atomic_load(&brk->state) != FP_RISK_BRK_CLOSED)
		return "breaker open";
	return NULL;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, char *body, size_t len,
			     const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **req_cls)
{
	const struct fp_cli *c = cls;
	char *body = NULL;
	size_t len = 0;
	(void)version, (void)upload, (void)upload_size, (void)req_cls;

	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, strdup("GET only\n"), 9,
			     "text/plain");
	FILE *f = open_memstream(&body, &len);
	if (!f)
		return MHD_NO;
	unsigned status = MHD_HTTP_OK;
	const char *type = "text/plain; charset=utf-8";
	if (!strcmp(url, "/metrics")) {
		fp_cli_metrics_write(c, f);
		type = "text/plain; version=0.0.4; charset=utf-8";
	} else if (!strcmp(url, "/live")) {
		fputs("ok\n", f);
	} else if (!strcmp(url, "/ready") || !strcmp(url, "/health")) {
		const char *why = !strcmp(url, "/ready") ? not_ready(c) : not_healthy(c);
		if (why)
			status = MHD_HTTP_SERVICE_UNAVAILABLE;
		fprintf(f, "%s\n", why ? why : "ok");
	} else {
		status = MHD_HTTP_NOT_FOUND;
		fputs("not found: /metrics /health /ready /live\n", f);
	}
	fclose(f);
	return reply(conn, status, body, len, type);
}

/*
 * Issue 18: about 1,000 idle connections used to lock out every scrape (select() and no
 * limits) and idle ones were never closed. Now: epoll (no FD_SETSIZE ceiling), at most
 * FP_METRICS_MAX_CONNS connections in all and FP_METRICS_MAX_PER_IP per client address
 * (more are closed at once), and a connection idle or stalled for --timeout seconds is
 * closed; a scraper on another address keeps getting /metrics and /health.
 */
#define FP_METRICS_MAX_CONNS  256u
#define FP_METRICS_MAX_PER_IP 16u
#define FP_METRICS_TIMEOUT_S  10u

/* serve-metrics [--listen ADDR:PORT] [--timeout S] */
int fp_cli_serve_metrics(struct fp_cli *c)
{
	const char *listen = "127.0.0.1:9464";
	unsigned long timeout_s = FP_METRICS_TIMEOUT_S;
	char *end;
	for (int i = 0; i < c->argc; i++) {
		if (!strcmp(c->argv[i], "--listen") && i + 1 < c->argc) {
			listen = c->argv[++i];
		} else if (!strcmp(c->argv[i], "--timeout") && i + 1 < c->argc) {
			const char *v = c->argv[++i];
			timeout_s = strtoul(v, &end, 10);
			if (!*v || *end || timeout_s < 1 || timeout_s > 3600)
				return fp_cli_fail(
					FP_CLI_USAGE,
					"serve-metrics: --timeout must be 1..3600 s, got "
					"'%s'",
					v);
		} else {
			return fp_cli_fail(FP_CLI_USAGE, "serve-metrics: unexpected argument '%s'",
					   c->argv[i]);
		}
	}
	char host[64];
	const char *colon = strrchr(listen, ':');
	unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	if (!colon || (size_t)(colon - listen) >= sizeof(host) || !colon[1] || *end || port > 65535)
		return fp_cli_fail(FP_CLI_USAGE, "--listen wants ADDR:PORT, got '%s'", listen);
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return fp_cli_fail(FP_CLI_USAGE, "--listen: '%s' is not an IPv4 address", host);
	sa.sin_port = htons((uint16_t)port);

	struct sigaction act = {.sa_handler = on_signal};
	sigaction(SIGINT, &act, NULL);
	sigaction(SIGTERM, &act, NULL);
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, (uint16_t)port, NULL, NULL, handle,
		c, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)FP_METRICS_MAX_CONNS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned)FP_METRICS_MAX_PER_IP, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)timeout_s,
		MHD_OPTION_END);
	if (!d)
		return fp_cli_fail(FP_CLI_FAILED, "cannot listen on %s: %s", listen,
				   strerror(errno));
	fprintf(stderr,
		"fastpath-ctl: serving instance '%s' on http://%s/metrics (at most %u "
		"connections, %u per client, idle ones closed after %lu s)\n",
		c->instance, listen, FP_METRICS_MAX_CONNS, FP_METRICS_MAX_PER_IP, timeout_s);
	/* Stop when signalled or when the instance goes away, and say which (issue 18). */
	int rc = FP_CLI_OK;
	int pid = c->seg.hdr->creator_pid;
	while (!serve_stop) {
		usleep(200000);
		if (fp_shm_get_state(&c->seg) == FP_SHM_STATE_STOPPING) {
			fprintf(stderr,
				"fastpath-ctl: instance '%s' is stopping: serve-metrics "
				"exits\n",
				c->instance);
			break;
		}
		if (kill(pid, 0) < 0 && errno == ESRCH) {
			rc = fp_cli_fail(FP_CLI_STALE,
					 "instance '%s' died: its supervisor (pid %d) is gone and "
					 "its segment is stale; serve-metrics exits",
					 c->instance, pid);
			break;
		}
	}
	MHD_stop_daemon(d);
	return rc;
}
