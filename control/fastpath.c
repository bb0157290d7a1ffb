/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fastpath.c - `fastpath run --config F`: the supervisor of one instance.
 *
 * Creates the segment, starts the workers of the placement, restarts the ones that die,
 * prints a one-line summary each second with --summary, and on SIGTERM/SIGINT (or at the
 * end of --duration) trips the kill switch so open orders are cancelled, stops the workers
 * and removes the segment. SIGUSR1 trips the kill switch and keeps running.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fp_ctl_pipeline.h"
#ifdef FP_HAVE_BACKTEST
#include "fp_bt.h"
#endif
#include "fp_err.h"
#include "fp_gw.h"
#include "fp_opt.h"
#include "fp_risk_breaker.h"
#include "fp_version.h"

/* Longest wait at stop for the cancels of open orders to be acknowledged (and fills racing
 * them to reach risk and the journal) before the workers are stopped. */
#define FP_RUN_DRAIN_MS 3000u

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t kill_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void on_kill_signal(int sig)
{
	(void)sig;
	kill_requested = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fastpath run --config FILE [--duration S] [--summary] [--report FILE]\n"
		"       fastpath backtest --config FILE --data FILE... [options] "
		"(docs/backtest.md)\n"
		"       fastpath --help | --version\n\n"
		"Run one instance: create its shared-memory segment, start the workers of the\n"
		"placement pinned to their cores, restart a worker that dies, and stop cleanly on\n"
		"SIGTERM or SIGINT (open orders are cancelled first). SIGUSR1 trips the kill "
		"switch.\n"
		"A worker in a crash loop (restart.max_restarts deaths within restart.window_ms)\n"
		"trips the kill switch and fails the run: it stops cleanly and exits 1 with the\n"
		"reason. Exit status: 0 stopped as asked, 1 refused or failed, 2 bad usage.\n\n"
		"  --config FILE   libconfig file (see config/dev.conf)\n"
		"  --duration S    stop by itself after S seconds (default: run until a signal)\n"
		"  --summary       print a one-line live summary every second\n"
		"  --report FILE   write the final summary as one JSON object to FILE\n\n"
		"Attach to a running instance with fastpath-ctl.\n");
}

static void fmt_rate(char *buf, size_t len, double v)
{
	if (v >= 1e6)
		snprintf(buf, len, "%.2fM", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
}

static void print_summary(const struct fp_ctl_summary *s, const struct fp_ctl_summary *prev,
			  double elapsed_s, double dt_s)
{
	char md_rate[16];
	/* Counters never go back (restarts are carried, fp_ctl_carry_add), but a worker's
	 * restart can show a dip of microseconds: never a negative (wrapped) rate. */
	fmt_rate(md_rate, sizeof(md_rate),
		 s->md_messages >= prev->md_messages
			 ? (double)(s->md_messages - prev->md_messages) / dt_s
			 : 0.0);
	/* A breaker that refuses orders (open, or cooled down and waiting for its manual reset)
	 * names its last trip, so that a log shows why nothing trades. */
	char breaker[48] = "closed";
	if (s->breaker_state)
		snprintf(breaker, sizeof(breaker), "%s (%s)",
			 s->breaker_state == FP_RISK_BRK_COOLDOWN ? "COOLDOWN" : "OPEN",
			 fp_risk_trip_name(s->breaker_reason));
	printf("[%5.0fs] md %s msg/s  book %" PRIu64 " upd  orders %" PRIu64 "  fills %" PRIu64
	       "  rejects %" PRIu64 "  pos %+" PRId64 "  pnl %+.2f  t2t p50 %.2fus p99 %.2fus"
	       "  breaker %s  venue %s",
	       elapsed_s, md_rate, s->book_updates, s->orders_sent, s->fills,
	       s->risk_rejected + s->venue_rejects + s->gw_rejects, s->position_shares,
	       (double)(s->realized_pnl + s->unrealized_pnl) / 1e4, (double)s->t2t_p50_ns / 1e3,
	       (double)s->t2t_p99_ns / 1e3, breaker, s->venue_connected ? "up" : "down");
	/* One line (scripts read the last one): the journal's figures at its end. */
	if (s->journal_records || s->journal_write_errors)
		printf("  journal %" PRIu64 " rec %.0f kB%s", s->journal_records,
		       (double)s->journal_bytes / 1e3,
		       s->journal_halted ? "  JOURNAL HALTED (write failing)" : "");
	printf("\n");
	fflush(stdout);
}

static int write_report(const char *path, const struct fp_ctl_summary *s, double elapsed_s,
			const char *instance)
{
	static const double q[] = FP_CTL_T2T_QUANTILES;
	FILE *f = fopen(path, "w");
	if (!f)
		return fp_err_set(-errno, "cannot write report %s: %s", path, strerror(errno));
	fprintf(f,
		"{\"instance\": \"%s\", \"duration_s\": %.1f, \"md_messages\": %" PRIu64
		", \"md_gaps\": %" PRIu64 ", \"md_overruns\": %" PRIu64
		", \"book_updates\": %" PRIu64 ", \"intents\": %" PRIu64
		", \"risk_rejected\": %" PRIu64 ", \"orders\": %" PRIu64 ", \"acks\": %" PRIu64
		", \"fills\": %" PRIu64 ", \"filled_shares\": %" PRIu64 ", \"cancels\": %" PRIu64
		", \"venue_rejects\": %" PRIu64 ", \"position\": %" PRId64 ", \"cash\": %" PRId64
		", \"risk_fills\": %" PRIu64 ", \"risk_unknown_exec\": %" PRIu64
		", \"risk_exec_dups\": %" PRIu64
		", \"realized_pnl\": %.4f, \"unrealized_pnl\": %.4f, \"breaker_state\": %u"
		", \"journal\": {\"records\": %" PRIu64 ", \"bytes\": %" PRIu64
		", \"fsyncs\": %" PRIu64 ", \"write_errors\": %" PRIu64 ", \"halted\": %u}"
		", \"tick_to_trade\": {\"count\": %" PRIu64 ", \"p50_ns\": %" PRIu64
		", \"p99_ns\": %" PRIu64 ", \"p99_9_ns\": %" PRIu64 ", \"max_ns\": %" PRIu64
		", \"hops\": {\"md_book_strategy_p50_ns\": %" PRIu64
		", \"md_book_strategy_p99_ns\": %" PRIu64 ", \"risk_gateway_p50_ns\": %" PRIu64
		", \"risk_gateway_p99_ns\": %" PRIu64 "}, \"quantiles\": [",
		instance, elapsed_s, s->md_messages, s->md_gaps, s->md_overruns, s->book_updates,
		s->intents, s->risk_rejected, s->orders_sent, s->acks, s->fills, s->filled_shares,
		s->cancels, s->venue_rejects, s->position_shares, s->cash, s->risk_fills,
		s->risk_unknown_exec, s->risk_exec_dups, (double)s->realized_pnl / 1e4,
		(double)s->unrealized_pnl / 1e4, s->breaker_state, s->journal_records,
		s->journal_bytes, s->journal_fsyncs, s->journal_write_errors, s->journal_halted,
		s->t2t_count, s->t2t_p50_ns, s->t2t_p99_ns, s->t2t_p999_ns, s->t2t_max_ns,
		s->hop_decide_p50_ns, s->hop_decide_p99_ns, s->hop_route_p50_ns,
		s->hop_route_p99_ns);
	for (unsigned i = 0; i < FP_ARRAY_SIZE(q); i++)
		fprintf(f, "%s[%.4f, %" PRIu64 "]", i ? ", " : "", q[i], s->t2t_quantile_ns[i]);
	/* The gateway's own rejects, by named reason (issue 16). */
	fprintf(f,
		"]}, \"replaces\": %" PRIu64 ", \"tx_backlog\": %" PRIu64 ", \"rx_reads\": %" PRIu64
		", \"rx_gap_max_ns\": %" PRIu64 ", \"gateway_rejects\": %" PRIu64
		", \"gateway_reject_reasons\": {",
		s->replaces_sent, s->gw_tx_backlog, s->gw_rx_reads, s->gw_rx_gap_max_ns,
		s->gw_rejects);
	const char *sep = "";
	for (unsigned i = 0; i < FP_ARRAY_SIZE(s->gw_rejects_by_reason); i++)
		if (s->gw_rejects_by_reason[i] && fp_gw_reject_name(FP_GW_REJ_FIRST + i)) {
			fprintf(f, "%s\"%s\": %" PRIu64, sep,
				fp_gw_reject_name(FP_GW_REJ_FIRST + i), s->gw_rejects_by_reason[i]);
			sep = ", ";
		}
	fprintf(f, "}}\n");
	if (fclose(f) != 0)
		return fp_err_set(-errno, "cannot write report %s: %s", path, strerror(errno));
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"duration", required_argument, NULL, 'd'},
		{"summary", no_argument, NULL, 's'},
		{"report", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config = NULL, *report = NULL;
	double duration = 0;
	int summary = 0, c;
	static struct fp_ctl_pipeline p; /* large; not shared mutable state: main's own */

	while ((c = getopt_long(argc, argv, "c:d:sr:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'd':
			if (fp_opt_pos("--duration", optarg, &duration) < 0) {
				fprintf(stderr, "fastpath: %s\n", fp_err_msg());
				return 2;
			}
			break;
		case 's':
			summary = 1;
			break;
		case 'r':
			report = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "fastpath: bad arguments (try 'fastpath --help')\n");
			return 2;
		}
	}
	if (!config || optind != argc) {
		fprintf(stderr, "fastpath run: %s (try 'fastpath --help')\n",
			config ? "unexpected argument" : "--config FILE is required");
		return 2;
	}
	if (fp_ctl_pipeline_load(&p, config) < 0) {
		fprintf(stderr, "fastpath: %s\n", fp_err_msg());
		return 1;
	}
	if (fp_ctl_pipeline_create(&p) < 0) {
		fprintf(stderr, "fastpath: %s\n", fp_err_msg());
		fp_ctl_pipeline_fini(&p);
		return 1;
	}
	if (p.seg.warning[0])
		fprintf(stderr, "fastpath: warning: %s\n", p.seg.warning);

	struct sigaction sa = {.sa_handler = on_stop_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_kill_signal;
	sigaction(SIGUSR1, &sa, NULL);

	if (fp_ctl_pipeline_start(&p) < 0) {
		fprintf(stderr, "fastpath: %s\n", fp_err_msg());
		fp_ctl_pipeline_stop(&p, 0, "start failed");
		fp_ctl_pipeline_fini(&p);
		return 1;
	}
	fprintf(stderr, "fastpath: instance '%s' running, %u workers (segment %s)\n", p.instance,
		p.nb_workers, p.seg.path);

	struct fp_ctl_summary sum, prev = {0};
	double start = now_s(), last = start;
	while (!stop_requested && !p.failed[0] && (duration <= 0 || now_s() - start < duration)) {
		if (kill_requested) {
			kill_requested = 0;
			fp_shm_ctl_kill(p.ctl, "supervisor", "SIGUSR1");
			fprintf(stderr, "fastpath: kill switch tripped (SIGUSR1)\n");
		}
		fp_ctl_pipeline_step(&p);
		usleep(10000);
		double t = now_s();
		if (summary && t - last >= 1.0) {
			fp_ctl_pipeline_summary(&p, &sum);
			print_summary(&sum, &prev, t - start, t - last);
			prev = sum;
			last = t;
		}
	}

	double elapsed = now_s() - start;
	/* A crash loop fails the run (issue 16): stop cleanly (cancels first), then exit 1. */
	unsigned killed = fp_ctl_pipeline_stop_summary(&p, FP_RUN_DRAIN_MS,
						       p.failed[0]      ? "crash loop"
						       : stop_requested ? "signal"
									: "duration",
						       &sum);
	if (summary)
		print_summary(&sum, &prev, elapsed, FP_MAX(now_s() - last, 1e-3));
	if (killed)
		fprintf(stderr, "fastpath: %u workers had to be killed at stop\n", killed);
	int rc = 0;
	if (report && write_report(report, &sum, elapsed, p.instance) < 0) {
		fprintf(stderr, "fastpath: %s\n", fp_err_msg());
		rc = 1;
	}
	fp_ctl_pipeline_fini(&p);
	fprintf(stderr, "fastpath: instance stopped\n");
	if (p.failed[0]) {
		fprintf(stderr, "fastpath: run failed: %s\n", p.failed);
		rc = 1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("fastpath %s\n", FP_VERSION_TEXT);
		return 0;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
#ifdef FP_HAVE_BACKTEST
	if (!strcmp(argv[1], "backtest"))
		return fp_bt_main(argc - 1, argv + 1);
#endif
	fprintf(stderr, "fastpath: unknown command '%s' (try 'fastpath --help')\n", argv[1]);
	return 2;
}
