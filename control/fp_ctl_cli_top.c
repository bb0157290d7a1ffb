/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_cli_top.c - `fastpath-ctl top`: a live full-screen view of the instance (workers,
 * kill switch, breaker, rings, md and order counters with rates, tick-to-trade), redrawn
 * each second until q, Ctrl-C, or the supervisor stops.
 *
 * fastpath-ctl only; cold (terminal raw mode, ANSI escapes, sleeps in poll()).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "fp_ctl_cli.h"
#include "fp_ctl_pipeline.h"
#include "fp_ring.h"
#include "fp_risk_breaker.h"
#include "fp_shm_ctl.h"

static volatile sig_atomic_t top_stop;

static void on_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

static void draw(const struct fp_cli *c, const struct fp_ctl_summary *s,
		 const struct fp_ctl_summary *prev, double dt)
{
	const struct fp_shm_ctl *ctl = fp_cli_region(c, "ctl", NULL);
	const struct fp_shm_workers *wt = fp_cli_region(c, "workers", NULL);
	const struct fp_risk_breaker_region *brk = fp_cli_region(c, "risk.breaker", NULL);

	printf("\033[H\033[2J");
	printf("fastpath-ctl top - instance %s (supervisor pid %d)   q: quit\n\n",
	       c->seg.hdr->instance, c->seg.hdr->creator_pid);
	printf("kill switch: %-8s trading: %-12s breaker: %s\n",
	       ctl && fp_shm_ctl_killed(ctl) ? "TRIPPED" : "armed",
	       ctl ? fp_cli_trading_name(fp_shm_ctl_trading(ctl)) : "-",
	       brk ? fp_risk_breaker_state_name(atomic_load(&brk->state)) : "-");
	printf("\n%-16s %5s %8s %-9s %12s %8s\n", "WORKER", "CORE", "PID", "STATE", "HEARTBEAT",
	       "RESTARTS");
	for (uint32_t i = 0; wt && i < wt->nb_workers && i < FP_SHM_MAX_WORKERS; i++) {
		const struct fp_shm_worker *w = &wt->w[i];
		printf("%-16s %5d %8d %-9s %9.1f ms %8u\n", w->name, w->core, w->pid,
		       fp_cli_worker_state(atomic_load(&w->state)),
		       (double)fp_cli_tsc_age_ns(c, atomic_load(&w->heartbeat_tsc)) / 1e6,
		       w->restarts);
	}
	printf("\n%-16s %10s %10s\n", "RING", "DEPTH", "CAPACITY");
	for (unsigned i = 0; i < FP_CTL_NB_RINGS; i++) {
		const struct fp_ring *r = fp_cli_region(c, fp_ctl_ring_graph[i].ring, NULL);
		if (r)
			printf("%-16s %10u %10u\n", fp_ctl_ring_graph[i].ring, fp_ring_count(r),
			       fp_ring_capacity(r));
	}
#define RATE(f) (dt > 0 ? (double)(s->f - prev->f) / dt : 0)
	printf("\n%-16s %14s %12s\n", "COUNTER", "TOTAL", "PER SECOND");
	printf("%-16s %14" PRIu64 " %12.0f\n", "md messages", s->md_messages, RATE(md_messages));
	printf("%-16s %14" PRIu64 " %12.0f\n", "md gaps", s->md_gaps, RATE(md_gaps));
	printf("%-16s %14" PRIu64 " %12.0f\n", "md overruns", s->md_overruns, RATE(md_overruns));
	printf("%-16s %14" PRIu64 " %12.0f\n", "book updates", s->book_updates, RATE(book_updates));
	printf("%-16s %14" PRIu64 " %12.0f\n", "intents", s->intents, RATE(intents));
	printf("%-16s %14" PRIu64 " %12.0f\n", "risk rejects", s->risk_rejected,
	       RATE(risk_rejected));
	printf("%-16s %14" PRIu64 " %12.0f\n", "orders sent", s->orders_sent, RATE(orders_sent));
	printf("%-16s %14" PRIu64 " %12.0f\n", "fills", s->fills, RATE(fills));
#undef RATE
	printf("\nposition %" PRId64 " shares   realized %.2f   unrealized %.2f   venue %s\n",
	       s->position_shares, (double)s->realized_pnl / 1e4, (double)s->unrealized_pnl / 1e4,
	       s->venue_connected ? "up" : "down");
	printf("tick-to-trade: n=%" PRIu64 " p50 %" PRIu64 " ns  p99 %" PRIu64 " ns  p99.9 %" PRIu64
	       " ns  max %" PRIu64 " ns\n",
	       s->t2t_count, s->t2t_p50_ns, s->t2t_p99_ns, s->t2t_p999_ns, s->t2t_max_ns);
	fflush(stdout);
}

/* top */
int fp_cli_top(struct fp_cli *c)
{
	struct termios old, raw;
	int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	struct sigaction act = {.sa_handler = on_signal};
	struct fp_ctl_summary prev, cur;

	sigaction(SIGINT, &act, NULL);
	sigaction(SIGTERM, &act, NULL);
	if (tty) {
		raw = old;
		raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	fp_cli_summary(c, &prev);
	draw(c, &prev, &prev, 0);
	while (!top_stop && fp_shm_get_state(&c->seg) == FP_SHM_STATE_READY) {
		struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
		int n = poll(&p, 1, 1000);
		if (n > 0) {
			char ch;
			if (read(STDIN_FILENO, &ch, 1) <= 0 || ch == 'q' || ch == 'Q')
				break;
			continue;
		}
		if (n < 0 && errno != EINTR)
			break;
		fp_cli_summary(c, &cur);
		draw(c, &cur, &prev, 1.0);
		prev = cur;
	}
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
	printf("\n");
	return FP_CLI_OK;
}
