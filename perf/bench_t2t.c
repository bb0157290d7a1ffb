/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_t2t.c - `fastpath-bench t2t [--json] [--duration S] [--rate R] [--trigger-rate T]
 * [--backends udp,dpdk,xdp] [--protocol ouch50|fix44]`: tick-to-trade of the whole pipeline
 * against the built-in simulator, as the pipeline sees it and as the venue sees it, beside
 * the floor, for each md receive backend asked (default all three).
 *
 * Every run: `fastpath-sim` (ITCH 5.0 over MoldUDP64 multicast, OUCH 5.0 over SoupBinTCP,
 * R background events/s, pinned to core 0) with T tick-to-trade triggers/s on the reserved
 * symbol ZXZZT (sim/fp_sim_trigger.h: one ITCH replace of a marker bid per trigger, stamped
 * right before its sendto; the answering order stamped when the acceptor's recv returns
 * it; the market and the run's clock start when the client has logged in), and a client
 * on core 1 (when there is one) answering every trigger:
 *
 *   fastpath   `fastpath run`, one worker with every stage on core 1, spin, the `ping`
 *              strategy on ZXZZT with every = 1 (an IOC buy at the new bid per trigger)
 *   journaled  fused, plus the store stage in its own worker beside the simulator (core 0,
 *              backoff) writing every decision to a journal (fsync every 10 ms)
 *   pipelined  one worker per stage (md, book, strategies, risk, gateway), spin when the
 *              machine has a core for each beside the simulator, else backoff
 *   floor      `fastpath-floor` (perf/fastpath_floor.c): the same receive backend (one
 *              recvmmsg per pass), then one send() of a prepared Enter Order; nothing else
 *
 * --protocol fix44: the fastpath runs (named ...-fix44) trade FIX 4.4 over TLS 1.3 with the
 * simulator's FIX acceptor (sim/fp_sim_fix.h, the same engine; its arrival stamped when
 * SSL_read returns the order), with a test CA and certificate made here by the openssl
 * CLI; the floor stays OUCH over TCP, so ours_minus_floor includes FIX and TLS.
 *
 * Backends: `udp` runs the four above on loopback. `dpdk` (DPDK's net_af_packet PMD,
 * hot-plugged by md from its config) and `xdp` (AF_XDP, libxdp) run `fastpath` and `floor`
 * only, with the simulator in a network namespace of its own on the far side of two veth
 * pairs (perf/fp_bench_netns.h: the feed on one, order entry and rerequests on the other),
 * and the floor on the same backend. A backend that cannot run here (no namespace, no
 * AF_XDP) is reported with the reason; the others still run. One result object per backend
 * ("udp", "dpdk", "xdp") puts ours, the floor and ours - floor side by side.
 *
 * Figures: venue_* = the simulator's arrival - departure per trigger (p50/p99/p99.9/max),
 * for every run; internal p50_ns.. = the gateway's histogram (TSC when send() took the
 * order minus t_rx, stamped when recvmmsg returned the packet) and its two hops, for the
 * fastpath runs. ours_minus_floor_* = fastpath's venue figure - the floor's: what fastpath
 * adds. Conditions, measured in the same run: the cost of one getppid() and of one empty
 * recvmmsg() on core 1, the syscalls per pass of the fused worker and of the floor
 * (fp-syscount, one second, in a separate short run of each since tracing slows the
 * process down; a pass = one md recvmmsg), where every thread ran (placement lines, and
 * sim_cpu / worker_cpu / floor_cpu / worker_core_sharers: other threads of the pipeline
 * allowed on the worker's core), and the load average. Cold tool: forks, execs, sleeps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fp_bench.h"
#include "fp_bench_netns.h"
#include "fp_bench_proc.h"
#include "fp_compiler.h"
#include "fp_cpu.h"

int fp_bench_t2t(int argc, char **argv);

const char fp_bench_t2t_summary[] =
	"tick-to-trade against fastpath-sim, internal and venue-side, beside the floor";

#define T2T_SIM_SYMBOLS 100 /* the trigger symbol is the next locate */
#define T2T_LOCATE      (T2T_SIM_SYMBOLS + 1)

enum t2t_kind { T2T_FUSED, T2T_JOURNALED, T2T_PIPELINED, T2T_FLOOR };

struct t2t_run {
	const char *name;
	enum t2t_kind kind;
	uint16_t md_port, rereq_port, oe_port;
	const char *backend;              /**< md's: "udp" (loopback), "dpdk", "xdp" */
	const struct fp_bench_netns *net; /**< the simulator's namespace; NULL = loopback */
};

struct t2t_env {
	struct fp_bench_sim_env sim;
	int nb_cores, sim_core, worker_core;
	double duration, rate, trigger_rate;
	bool fix; /* --protocol fix44 */
};

/* The FIX runs' acceptor listens beside the OUCH port. */
static uint16_t fix_port(const struct t2t_run *r)
{
	return (uint16_t)(r->oe_port + 5);
}

/* --protocol fix44: a test CA and the simulator's certificate for localhost (EC P-256, as
 * sim/fix_test_certs.sh makes them), in the scratch folder. */
static int make_certs(const struct t2t_env *e)
{
	char cmd[4 * PATH_MAX + 512];
	const char *d = e->sim.dir;
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && o='-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes' && "
		 "openssl req -x509 $o -keyout ca.key -out ca.crt -days 2 -subj '/CN=t2t CA' && "
		 "openssl req $o -keyout server.key -out server.csr -subj /CN=localhost && "
		 "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' >san.ext && "
		 "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
		 "-out server.crt -days 2 -extfile san.ext",
		 d);
	char quiet[sizeof(cmd) + 32];
	snprintf(quiet, sizeof(quiet), "(%s) >/dev/null 2>&1", cmd);
	if (system(quiet) != 0) {
		fprintf(stderr,
			"fastpath-bench t2t: openssl could not make the test certificates "
			"in %s (is the openssl CLI installed?)\n",
			d);
		return -1;
	}
	return 0;
}

static void write_sim_config(const struct t2t_env *e, const struct t2t_run *r, char *path,
			     size_t len)
{
	char text[1024 + 2 * PATH_MAX];
	snprintf(path, len, "%s/%s-sim.conf", e->sim.dir, r->name);
	snprintf(text, sizeof(text),
		 "sim = { symbols = %d; trigger_rate = %.0f; };\n"
		 "itch = { group = \"%s\"; port = %u; rerequest_port = %u; interface = \"%s\"; };\n"
		 "ouch = { port = %u; bind = \"%s\"; };\n",
		 T2T_SIM_SYMBOLS, e->trigger_rate, e->sim.group, r->md_port, r->rereq_port,
		 r->net ? r->net->sim_feed_ip : "127.0.0.1", r->oe_port,
		 r->net ? r->net->sim_oe_ip : "127.0.0.1");
	if (e->fix && r->kind != T2T_FLOOR) {
		size_t n = strlen(text);
		snprintf(text + n, sizeof(text) - n,
			 "fix = { port = %u; tls_cert_file = \"%s/server.crt\"; tls_key_file = "
			 "\"%s/server.key\"; };\n",
			 fix_port(r), e->sim.dir, e->sim.dir);
	}
	fp_bench_write_file(path, text);
}

/* The md group of run @p r: its backend on loopback (udp) or on our end of the feed link. */
static void md_line(const struct t2t_env *e, const struct t2t_run *r, char *out, size_t len)
{
	const struct fp_bench_netns *n = r->net;
	if (!n)
		snprintf(out, len,
			 "md = { backend = \"udp\"; groups = [\"%s:%u\"]; interface = "
			 "\"127.0.0.1\"; rerequest = \"127.0.0.1:%u\"; };",
			 e->sim.group, r->md_port, r->rereq_port);
	else if (!strcmp(r->backend, "dpdk"))
		snprintf(out, len,
			 "md = { backend = \"dpdk\"; dpdk_dev = \"net_af_packet0,iface=%s\"; "
			 "groups = [\"%s:%u\"]; rerequest = \"%s:%u\"; };",
			 n->feed_if, e->sim.group, r->md_port, n->sim_feed_ip, r->rereq_port);
	else
		snprintf(out, len,
			 "md = { backend = \"xdp\"; ifname = \"%s\"; xdp_queue = 0; "
			 "groups = [\"%s:%u\"]; rerequest = \"%s:%u\"; };",
			 n->feed_if, e->sim.group, r->md_port, n->sim_feed_ip, r->rereq_port);
}

/* The floor's command line for run @p r (strings in @p buf). */
static void floor_argv(const struct t2t_env *e, const struct t2t_run *r, char *argv[16],
		       char buf[6][PATH_MAX + 32])
{
	unsigned a = 0;
	snprintf(buf[0], sizeof(buf[0]), "%s/fastpath-floor", e->sim.bindir);
	snprintf(buf[1], sizeof(buf[1]), "%s:%u", e->sim.group, r->md_port);
	snprintf(buf[2], sizeof(buf[2]), "%s:%u", r->net ? r->net->sim_oe_ip : "127.0.0.1",
		 r->oe_port);
	snprintf(buf[3], sizeof(buf[3]), "%d", T2T_LOCATE);
	snprintf(buf[4], sizeof(buf[4]), "%d", e->worker_core);
	argv[a++] = buf[0];
	argv[a++] = (char *)"--group";
	argv[a++] = buf[1];
	argv[a++] = (char *)"--venue";
	argv[a++] = buf[2];
	argv[a++] = (char *)"--locate";
	argv[a++] = buf[3];
	argv[a++] = (char *)"--core";
	argv[a++] = buf[4];
	argv[a++] = (char *)"--backend";
	argv[a++] = (char *)r->backend;
	if (r->net && !strcmp(r->backend, "dpdk")) {
		snprintf(buf[5], sizeof(buf[5]), "net_af_packet0,iface=%s", r->net->feed_if);
		argv[a++] = (char *)"--dpdk-dev";
		argv[a++] = buf[5];
	} else if (r->net) {
		argv[a++] = (char *)"--ifname";
		argv[a++] = (char *)r->net->feed_if;
	}
	argv[a] = NULL;
}

/* The simulator's command line: @p sim_argv, run in the namespace of @p r when it has one. */
static pid_t spawn_sim(const struct t2t_run *r, char **sim_argv, const char *log, int core)
{
	if (!r->net)
		return fp_bench_spawn(sim_argv, log, core);
	char *argv[24];
	unsigned a = 0;
	argv[a++] = (char *)r->net->ip_bin;
	argv[a++] = (char *)"netns";
	argv[a++] = (char *)"exec";
	argv[a++] = (char *)r->net->ns;
	for (unsigned i = 0; sim_argv[i] && a < 23; i++)
		argv[a++] = sim_argv[i];
	argv[a] = NULL;
	return fp_bench_spawn(argv, log, core); /* ip netns exec execs the simulator itself */
}

static void write_run_config(const struct t2t_env *e, const struct t2t_run *r, char *path,
			     size_t len)
{
	char text[16384], workers[1024], store[PATH_MAX + 96] = "", venue[PATH_MAX + 256], md[512];
	const char *idle = "spin";

	if (r->kind != T2T_PIPELINED) {
		snprintf(workers, sizeof(workers),
			 "{ name = \"fused\"; core = %d; stages = [\"md\", \"book\", "
			 "\"strategies\", \"risk\", \"gateway\"]; }",
			 e->worker_core);
		if (r->kind == T2T_JOURNALED) {
			size_t n = strlen(workers);
			snprintf(workers + n, sizeof(workers) - n,
				 ", { name = \"store\"; core = %d; stages = [\"store\"]; idle = "
				 "\"backoff\"; }",
				 e->sim_core);
			snprintf(store, sizeof(store),
				 "store = { dir = \"%s/%s-journal\"; fsync = \"interval\"; "
				 "fsync_interval_ms = 10; };\n",
				 e->sim.dir, r->name);
		}
	} else {
		static const char *const st[] = {"md", "book", "strategies", "risk", "gateway"};
		size_t n = 0;
		if (e->nb_cores < 6)
			idle = "backoff";
		for (unsigned i = 0; i < 5; i++)
			n += (size_t)snprintf(
				workers + n, sizeof(workers) - n,
				"%s{ name = \"%s\"; core = %d; stages = [\"%s\"]; }", i ? ", " : "",
				st[i], e->nb_cores > 1 ? 1 + (int)i % (e->nb_cores - 1) : 0, st[i]);
	}
	const char *oe_ip = r->net ? r->net->sim_oe_ip : "127.0.0.1";
	if (e->fix) /* the simulator's FIX acceptor, an account's CompIDs, TLS 1.3 */
		snprintf(venue, sizeof(venue),
			 "venue = \"%s:%u\"; protocol = \"fix44\"; sender_comp_id = "
			 "\"FPUSER\"; target_comp_id = \"FPSIM\"; tls_ca_file = \"%s/ca.crt\"; "
			 "tls_server_name = \"localhost\";",
			 oe_ip, fix_port(r), e->sim.dir);
	else
		snprintf(venue, sizeof(venue), "venue = \"%s:%u\";", oe_ip, r->oe_port);
	md_line(e, r, md, sizeof(md));
	snprintf(path, len, "%s/%s.conf", e->sim.dir, r->name);
	snprintf(text, sizeof(text),
		 "instance = \"t2t-%s-%d\";\n"
		 "segment = { hugepages = \"auto\"; };\n"
		 "placement = { idle = \"%s\"; workers = ( %s ); };\n"
		 "%s\n"
		 "book = { symbols = 1024; orders = 262144; depth = 5; };\n"
		 "strategies = { list = ( { id = 7; name = \"ping\"; params = [\"symbol=%d\", "
		 "\"every=1\", \"size=100\"]; } ); };\n"
		 "risk = { limits = \"%s\"; env = \"dev\"; symbols = 1024; };\n"
		 "gateway = { %s };\n%s",
		 r->name, (int)getpid(), idle, workers, md, T2T_LOCATE, e->sim.risk, venue, store);
	fp_bench_write_file(path, text);
}

/* The simulator's "trigger" object into @p res as venue_* metrics. */
static void venue_metrics(const char *sim_log, struct fp_bench_result *res)
{
	static char text[1 << 16];
	fp_bench_read_file(sim_log, text, sizeof(text));
	const char *t = strstr(text, "\"trigger\": {");
	if (!t)
		t = "";
	fp_bench_metric(res, "venue_p50_ns", fp_bench_json_number(t, "p50_ns"));
	fp_bench_metric(res, "venue_p99_ns", fp_bench_json_number(t, "p99_ns"));
	fp_bench_metric(res, "venue_p99_9_ns", fp_bench_json_number(t, "p99_9_ns"));
	fp_bench_metric(res, "venue_max_ns", fp_bench_json_number(t, "max_ns"));
	fp_bench_metric(res, "venue_min_ns", fp_bench_json_number(t, "min_ns"));
	fp_bench_metric(res, "triggers_sent", fp_bench_json_number(t, "sent"));
	fp_bench_metric(res, "triggers_answered", fp_bench_json_number(t, "answered"));
	fp_bench_metric(res, "triggers_extra", fp_bench_json_number(t, "extra"));
}

/* Whether a Cpus_allowed_list such as "0-1,4" holds @p core. */
static bool cpu_in_list(const char *list, int core)
{
	while (*list) {
		char *end;
		long lo = strtol(list, &end, 10), hi = lo;
		if (end == list)
			return false;
		if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		if (core >= lo && core <= hi)
			return true;
		if (*end && *end != ',')
			return false;
		list = *end ? end + 1 : end;
	}
	return false;
}

struct t2t_place {
	int sim_cpu, client_cpu, sharers;
};

/* Where the simulator and the client ran (sampled mid-run), printed for people. */
static void placement(const struct t2t_env *e, const struct t2t_run *r, pid_t sim, pid_t client,
		      bool json, struct t2t_place *pl)
{
	struct fp_bench_task t[64];
	unsigned n = fp_bench_tasks(sim, false, t, 64);
	pl->sim_cpu = n ? t[0].cpu : -1;
	if (!json)
		fp_bench_print_tasks(stdout, "fastpath-sim", t, n);
	n = fp_bench_tasks(client, true, t, 64);
	pid_t worker = r->kind == T2T_FLOOR ? client : fp_bench_busiest_child(client);
	pl->client_cpu = -1;
	pl->sharers = 0;
	for (unsigned i = 0; i < n; i++) {
		if (t[i].tid == (int)worker)
			pl->client_cpu = t[i].cpu;
		else if (r->kind != T2T_PIPELINED &&
			 (t[i].cpu == e->worker_core || cpu_in_list(t[i].allowed, e->worker_core)))
			pl->sharers++; /* may run on the measured core */
	}
	if (!json)
		fp_bench_print_tasks(stdout, r->name, t, n);
}

static int run_one(const struct t2t_env *e, const struct t2t_run *r, double duration, bool json,
		   struct fp_bench_result *res, struct t2t_place *pl)
{
	char sim_cfg[PATH_MAX], run_cfg[PATH_MAX], report[PATH_MAX], sim_bin[PATH_MAX + 16],
		run_bin[PATH_MAX + 24], sim_dur[32], rate_s[32], log_run[PATH_MAX],
		log_sim[PATH_MAX], fbuf[6][PATH_MAX + 32];
	int status;

	write_sim_config(e, r, sim_cfg, sizeof(sim_cfg));
	snprintf(report, sizeof(report), "%s/%s-report.json", e->sim.dir, r->name);
	snprintf(log_run, sizeof(log_run), "%s/%s-run.log", e->sim.dir, r->name);
	snprintf(log_sim, sizeof(log_sim), "%s/%s-sim.log", e->sim.dir, r->name);
	snprintf(sim_bin, sizeof(sim_bin), "%s/fastpath-sim", e->sim.bindir);
	snprintf(sim_dur, sizeof(sim_dur), "%.1f", duration);
	snprintf(rate_s, sizeof(rate_s), "%.0f", e->rate);
	unlink(report);
	char *sim_argv[] = {sim_bin,      "--config", sim_cfg,  "--rate",        rate_s,
			    "--duration", sim_dur,    "--json", "--wait-client", NULL};
	pid_t client, sim;
	if (r->kind == T2T_FLOOR) {
		char *argv[16];
		floor_argv(e, r, argv, fbuf);
		sim = spawn_sim(r, sim_argv, log_sim, e->sim_core);
		client = fp_bench_spawn(argv, log_run, -1); /* it waits for the venue */
	} else {
		snprintf(run_bin, sizeof(run_bin), "%s/fastpath", e->sim.bindir);
		write_run_config(e, r, run_cfg, sizeof(run_cfg));
		char *argv[] = {run_bin, "run", "--config", run_cfg, "--report", report, NULL};
		client = fp_bench_spawn(argv, log_run, -1);
		if (fp_bench_wait_text(log_run, "running", 30) < 0)
			fprintf(stderr, "fastpath-bench t2t: %s: not running after 30 s (see %s)\n",
				r->name, log_run);
		sim = spawn_sim(r, sim_argv, log_sim, e->sim_core);
	}
	/* The simulator's run is the measurement: duration simulated seconds (longer in wall
	 * time when the machine cannot keep up), then the client is stopped. Meanwhile: how
	 * busy the client's core was with other programs than the client's (foreign load). */
	unsigned long long b0 = 0, t0 = 0, b1 = 0, t1 = 0, c0, c1 = 0;
	int have = fp_bench_cpu_jiffies(e->worker_core, &b0, &t0) == 0;
	c0 = c1 = fp_bench_tree_jiffies(client);
	usleep((useconds_t)(duration * 5e5));
	if (pl)
		placement(e, r, sim, client, json, pl);
	bool client_gone = false;
	while (waitpid(sim, NULL, WNOHANG) != sim) { /* last samples while the client lives */
		if (!client_gone && waitpid(client, &status, WNOHANG) == client) {
			client_gone = true; /* it failed: the simulator would wait for it forever */
			kill(sim, SIGINT);
		}
		c1 = fp_bench_tree_jiffies(client);
		have = have && fp_bench_cpu_jiffies(e->worker_core, &b1, &t1) == 0;
		usleep(100000);
	}
	if (!client_gone) {
		kill(client, SIGINT);
		waitpid(client, &status, 0);
	}

	res->name = r->name;
	/* The client's own time counts on its core at most (the supervisor may run elsewhere):
	 * what is left is other programs'. */
	if (have && t1 > t0) {
		double own = (double)(c1 > c0 ? c1 - c0 : 0), busy = (double)(b1 - b0);
		double foreign = busy > own ? busy - own : 0;
		fp_bench_metric(res, "worker_core_foreign_busy_pct",
				100.0 * foreign / (double)(t1 - t0));
	}
	if (r->kind == T2T_FLOOR) {
		static char text[4096];
		fp_bench_read_file(log_run, text, sizeof(text));
		if (fp_bench_json_number(text, "orders") < 0) {
			fprintf(stderr, "fastpath-bench t2t: %s: no summary (see %s)\n", r->name,
				log_run);
			return -1;
		}
		venue_metrics(log_sim, res);
		fp_bench_metric(res, "orders", fp_bench_json_number(text, "orders"));
		return 0;
	}
	static char text[16384];
	if (fp_bench_read_file(report, text, sizeof(text)) < 0) {
		fprintf(stderr, "fastpath-bench t2t: %s: no report (see %s)\n", r->name, log_run);
		return -1;
	}
	venue_metrics(log_sim, res);
	static char sim_text[1 << 16];
	fp_bench_read_file(log_sim, sim_text, sizeof(sim_text));
	double wall = fp_bench_json_number(sim_text, "wall_s");
	fp_bench_metric(res, "p50_ns", fp_bench_json_number(text, "p50_ns"));
	fp_bench_metric(res, "p99_ns", fp_bench_json_number(text, "p99_ns"));
	fp_bench_metric(res, "p99_9_ns", fp_bench_json_number(text, "p99_9_ns"));
	fp_bench_metric(res, "max_ns", fp_bench_json_number(text, "max_ns"));
	fp_bench_metric(res, "hop_md_book_strategy_p50_ns",
			fp_bench_json_number(text, "md_book_strategy_p50_ns"));
	fp_bench_metric(res, "hop_md_book_strategy_p99_ns",
			fp_bench_json_number(text, "md_book_strategy_p99_ns"));
	fp_bench_metric(res, "hop_risk_gateway_p50_ns",
			fp_bench_json_number(text, "risk_gateway_p50_ns"));
	fp_bench_metric(res, "hop_risk_gateway_p99_ns",
			fp_bench_json_number(text, "risk_gateway_p99_ns"));
	fp_bench_metric(res, "orders", fp_bench_json_number(text, "count"));
	fp_bench_metric(res, "risk_rejected", fp_bench_json_number(text, "risk_rejected"));
	/* Orders send() did not take whole (no t2t sample) and the gateway's reads. */
	fp_bench_metric(res, "tx_backlog", fp_bench_json_number(text, "tx_backlog"));
	fp_bench_metric(res, "rx_gap_max_ns", fp_bench_json_number(text, "rx_gap_max_ns"));
	fp_bench_metric(res, "md_messages_per_s",
			wall > 0 ? fp_bench_json_number(text, "md_messages") / wall : -1);
	if (r->kind == T2T_JOURNALED) {
		fp_bench_metric(res, "journal_records", fp_bench_json_number(text, "records"));
		fp_bench_metric(res, "journal_fsyncs", fp_bench_json_number(text, "fsyncs"));
	}
	return 0;
}

/* Syscalls per pass of the client (the fused worker, or the floor): a short run of its
 * own, fp-syscount on it for one second in the middle. */
static void syscalls_per_pass(const struct t2t_env *e, const struct t2t_run *r,
			      struct fp_bench_result *extra, const char *prefix)
{
	char sim_cfg[PATH_MAX], run_cfg[PATH_MAX], bin[PATH_MAX + 24], sim_bin[PATH_MAX + 16],
		rate_s[32], name[64], log[PATH_MAX + 32], fbuf[6][PATH_MAX + 32];
	static char json[1 << 16];
	write_sim_config(e, r, sim_cfg, sizeof(sim_cfg));
	snprintf(sim_bin, sizeof(sim_bin), "%s/fastpath-sim", e->sim.bindir);
	snprintf(rate_s, sizeof(rate_s), "%.0f", e->rate);
	snprintf(log, sizeof(log), "%s/%s-syscount.log", e->sim.dir, r->name);
	char *sim_argv[] = {sim_bin,      "--config", sim_cfg,         "--rate", rate_s,
			    "--duration", "4",        "--wait-client", NULL};
	pid_t client, sim, worker = -1;
	if (r->kind == T2T_FLOOR) {
		char *argv[16];
		floor_argv(e, r, argv, fbuf);
		sim = spawn_sim(r, sim_argv, "/dev/null", e->sim_core);
		client = worker = fp_bench_spawn(argv, log, -1);
	} else {
		snprintf(bin, sizeof(bin), "%s/fastpath", e->sim.bindir);
		write_run_config(e, r, run_cfg, sizeof(run_cfg));
		char *argv[] = {bin, "run", "--config", run_cfg, NULL};
		client = fp_bench_spawn(argv, log, -1);
		fp_bench_wait_text(log, "running", 30);
		sim = spawn_sim(r, sim_argv, "/dev/null", e->sim_core);
	}
	/* Count once orders flow (a kernel-bypass md takes a while to set up its port). */
	if (fp_bench_wait_text(log, r->kind == T2T_FLOOR ? "first order sent" : "venue session up",
			       30) < 0)
		fprintf(stderr, "fastpath-bench t2t: %s: no order flow after 30 s (see %s)\n",
			r->name, log);
	usleep(300000);
	if (r->kind != T2T_FLOOR)
		worker = fp_bench_busiest_child(client);
	/* Untraced first (perf_event counters: the per-pass figure), then fp-syscount for the
	 * breakdown by syscall and thread (ptrace slows the passes, so its per-pass figure
	 * is kept apart as _traced). */
	static const char *const sc_names[] = {"recvmmsg", "recvfrom", "sendto"};
	double unt[4] = {0};
	int unt_rc = worker > 0 ? fp_bench_syscount_untraced(worker, 1000, sc_names, 3, unt) : -1;
	int unt_errno = unt_rc < 0 ? errno : 0;
	long total = worker > 0 ? fp_bench_syscount(e->sim.bindir, worker, 1000, json, sizeof(json))
				: -1;
	if (waitpid(client, NULL, WNOHANG) == client)
		kill(sim, SIGINT); /* the client failed: the simulator would wait for it forever */
	else
		waitpid(sim, NULL, 0);
	kill(client, SIGINT);
	waitpid(client, NULL, 0);
	waitpid(sim, NULL, 0);
	/* The main thread (tid = pid) runs the passes; other threads are counted apart. Its
	 * object in "by_thread" ends at the first "}}". */
	char key[32], main_obj[2048] = "";
	snprintf(key, sizeof(key), "\"%d\": {", (int)worker);
	const char *bt = strstr(json, "\"by_thread\"");
	const char *mt = total >= 0 && bt ? strstr(bt, key) : NULL;
	if (mt) {
		const char *end = strstr(mt, "}}");
		snprintf(main_obj, sizeof(main_obj), "%.*s",
			 (int)(end ? end - mt : (long)strlen(mt)), mt);
	}
	double main_total = mt ? fp_bench_json_number(main_obj, "total") : -1;
	double polls = mt ? fp_bench_json_number(main_obj, "recvmmsg") : -1;
	double sends = mt ? fp_bench_json_number(main_obj, "sendto") : -1;
	char saved[PATH_MAX + 32];
	snprintf(saved, sizeof(saved), "%s/%s-syscount.json", e->sim.dir, r->name);
	FILE *f = fopen(saved, "w");
	if (f) {
		fputs(json, f);
		fclose(f);
	}
	snprintf(name, sizeof(name), "%s_syscalls_per_s", prefix);
	fp_bench_metric(extra, strdup(name), main_total);
	snprintf(name, sizeof(name), "%s_syscalls_per_pass", prefix);
	fp_bench_metric(extra, strdup(name),
			unt_rc == 0 && unt[1] > 0     ? unt[0] / unt[1]
			: main_total > 0 && polls > 0 ? main_total / polls
						      : -1);
	snprintf(name, sizeof(name), "%s_recv_per_pass", prefix);
	fp_bench_metric(extra, strdup(name), unt_rc == 0 && unt[1] > 0 ? unt[2] / unt[1] : -1);
	snprintf(name, sizeof(name), "%s_syscalls_per_pass_traced", prefix);
	fp_bench_metric(extra, strdup(name), main_total > 0 && polls > 0 ? main_total / polls : -1);
	snprintf(name, sizeof(name), "%s_sends_per_s", prefix);
	fp_bench_metric(extra, strdup(name), sends > 0 ? sends : 0);
	snprintf(name, sizeof(name), "%s_other_threads_syscalls_per_s", prefix);
	fp_bench_metric(extra, strdup(name),
			total >= 0 && main_total >= 0 ? total - main_total : -1);
	if (total < 0)
		fprintf(stderr, "fastpath-bench t2t: %s: fp-syscount failed (ptrace rights?): %s\n",
			r->name, json);
	if (unt_rc < 0)
		fprintf(stderr,
			"fastpath-bench t2t: %s: untraced syscall count failed (%s): per pass "
			"from fp-syscount, slowed by ptrace\n",
			r->name, strerror(unt_errno));
}

static double loadavg(void)
{
	char text[128];
	return fp_bench_read_file("/proc/loadavg", text, sizeof(text)) > 0 ? strtod(text, NULL)
									   : -1;
}

/* One object of backend @p name: ours (@p ours), the floor (@p flr), ours - floor, and what
 * each run's worker did with syscalls (from @p extra's "<prefix>_*" figures). */
static void backend_result(const char *name, const struct fp_bench_result *ours,
			   const struct fp_bench_result *flr, const struct fp_bench_result *extra,
			   const char *prefix, const char *floor_prefix, int sharers,
			   struct fp_bench_result *out)
{
	static const char *const q[] = {"p50", "p99", "p99_9", "max"};
	static const char *const ours_keys[] = {"ours_venue_p50_ns", "ours_venue_p99_ns",
						"ours_venue_p99_9_ns", "ours_venue_max_ns"};
	static const char *const floor_keys[] = {"floor_venue_p50_ns", "floor_venue_p99_ns",
						 "floor_venue_p99_9_ns", "floor_venue_max_ns"};
	static const char *const diff_keys[] = {
		"ours_minus_floor_p50_ns", "ours_minus_floor_p99_ns", "ours_minus_floor_p99_9_ns",
		"ours_minus_floor_max_ns"};
	char key[64];
	out->name = name;
	fp_bench_metric(out, "available", 1);
	for (unsigned i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "venue_%s_ns", q[i]);
		double o = fp_bench_get(ours, key, -1), f = fp_bench_get(flr, key, -1);
		fp_bench_metric(out, ours_keys[i], o);
		fp_bench_metric(out, floor_keys[i], f);
		fp_bench_metric(out, diff_keys[i], o > 0 && f > 0 ? o - f : -1);
	}
	fp_bench_metric(out, "ours_internal_p50_ns", fp_bench_get(ours, "p50_ns", -1));
	fp_bench_metric(out, "ours_internal_p99_ns", fp_bench_get(ours, "p99_ns", -1));
	fp_bench_metric(out, "ours_triggers_sent", fp_bench_get(ours, "triggers_sent", -1));
	fp_bench_metric(out, "ours_triggers_answered", fp_bench_get(ours, "triggers_answered", -1));
	fp_bench_metric(out, "floor_triggers_sent", fp_bench_get(flr, "triggers_sent", -1));
	fp_bench_metric(out, "floor_triggers_answered", fp_bench_get(flr, "triggers_answered", -1));
	fp_bench_metric(out, "ours_core_sharers", sharers);
	fp_bench_metric(out, "ours_foreign_busy_pct",
			fp_bench_get(ours, "worker_core_foreign_busy_pct", -1));
	fp_bench_metric(out, "floor_foreign_busy_pct",
			fp_bench_get(flr, "worker_core_foreign_busy_pct", -1));
	static const char *const sys_ours[] = {"ours_syscalls_per_pass", "ours_syscalls_per_s",
					       "ours_sends_per_s"};
	static const char *const sys_floor[] = {"floor_syscalls_per_pass", "floor_syscalls_per_s",
						"floor_sends_per_s"};
	static const char *const sys_suffix[] = {"syscalls_per_pass", "syscalls_per_s",
						 "sends_per_s"};
	for (unsigned i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "%s_%s", prefix, sys_suffix[i]);
		fp_bench_metric(out, sys_ours[i], fp_bench_get(extra, key, -1));
		snprintf(key, sizeof(key), "%s_%s", floor_prefix, sys_suffix[i]);
		fp_bench_metric(out, sys_floor[i], fp_bench_get(extra, key, -1));
	}
}

/* Parse --backends LIST into @p want[udp, dpdk, xdp]. @return 0 or -1. */
static int parse_backends(const char *list, bool want[3])
{
	static const char *const names[] = {"udp", "dpdk", "xdp"};
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", list);
	want[0] = want[1] = want[2] = false;
	for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
		unsigned i = 0;
		while (i < 3 && strcmp(t, names[i]))
			i++;
		if (i == 3) {
			fprintf(stderr,
				"fastpath-bench t2t: --backends takes udp, dpdk and xdp, "
				"comma-separated; got '%s'\n",
				t);
			return -1;
		}
		want[i] = true;
	}
	return want[0] || want[1] || want[2] ? 0 : -1;
}

/* Why a run of a kernel-bypass backend failed: the client log's first error line. */
static void run_failure(const char *dir, const char *run, char *why, size_t len)
{
	char path[PATH_MAX], text[8192];
	snprintf(path, sizeof(path), "%s/%s-run.log", dir, run);
	snprintf(why, len, "%s did not run (see %.200s)", run, path);
	if (fp_bench_read_file(path, text, sizeof(text)) <= 0)
		return;
	for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
		if (strstr(l, "error") || strstr(l, "cannot") || strstr(l, "failed") ||
		    strstr(l, "refused")) {
			for (char *c = l; *c; c++)
				if (*c == '"')
					*c = '\'';
			snprintf(why, len, "%s: %.400s", run, l);
			return;
		}
}

int fp_bench_t2t(int argc, char **argv)
{
	struct t2t_env e = {.duration = 10, .rate = 20000, .trigger_rate = 500};
	bool json = fp_bench_want_json(argc, argv);
	bool want[3] = {true, true, true}; /* udp, dpdk, xdp */

	for (int i = 1; i < argc; i++) {
		double *opt = !strcmp(argv[i], "--duration")       ? &e.duration
			      : !strcmp(argv[i], "--rate")         ? &e.rate
			      : !strcmp(argv[i], "--trigger-rate") ? &e.trigger_rate
								   : NULL;
		if (opt && i + 1 < argc) {
			if (fp_bench_opt_pos("t2t", argv[i], argv[i + 1], opt) < 0)
				return 2;
			i++;
		} else if (!strcmp(argv[i], "--protocol") && i + 1 < argc) {
			if (strcmp(argv[i + 1], "ouch50") && strcmp(argv[i + 1], "fix44")) {
				fprintf(stderr,
					"fastpath-bench t2t: --protocol %s: ouch50 or fix44\n",
					argv[i + 1]);
				return 2;
			}
			e.fix = !strcmp(argv[++i], "fix44");
		} else if (!strcmp(argv[i], "--backends") && i + 1 < argc) {
			if (parse_backends(argv[++i], want) < 0)
				return 2;
		} else if (!strcmp(argv[i], "--help")) {
			printf("usage: fastpath-bench t2t [--json] [--duration S] [--rate "
			       "MSG_PER_S] [--trigger-rate N]\n"
			       "                          [--backends udp,dpdk,xdp] [--protocol "
			       "ouch50|fix44]\n"
			       "%s.\n"
			       "  --duration S      seconds per run (default 10)\n"
			       "  --rate R          background events/s of the simulator (20000)\n"
			       "  --trigger-rate N  tick-to-trade triggers/s (500; risk allows "
			       "1000 "
			       "orders/s a symbol)\n"
			       "  --backends LIST   md receive backends to measure (default "
			       "udp,dpdk,xdp)\n"
			       "  --protocol P      the gateway's: ouch50 (OUCH 5.0 over TCP, "
			       "default) or\n"
			       "                    fix44 (FIX 4.4 over TLS 1.3 to the simulator's "
			       "FIX acceptor;\n"
			       "                    the floor stays OUCH)\n"
			       "udp: fastpath fused, journaled and pipelined, and fastpath-floor, "
			       "each\nagainst fastpath-sim on loopback; dpdk (net_af_packet) and "
			       "xdp (AF_XDP):\nfastpath fused and fastpath-floor on that backend, "
			       "the simulator in a network\nnamespace behind veth links (root "
			       "needed); see docs/perf.md.\n",
			       fp_bench_t2t_summary);
			return 0;
		} else if (strcmp(argv[i], "--json")) {
			fprintf(stderr, "fastpath-bench t2t: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	if (fp_bench_sim_setup(&e.sim, "t2t", T2T_LOCATE) < 0 || (e.fix && make_certs(&e) < 0))
		return 1;
	e.nb_cores = fp_cpu_count();
	e.sim_core = 0;
	e.worker_core = e.nb_cores > 1 ? 1 : 0;

	static struct fp_bench_netns nets[2]; /* dpdk's, xdp's */
	const struct t2t_run udp_runs[] = {
		{e.fix ? "fastpath-fix44" : "fastpath", T2T_FUSED, 26510, 26511, 15510, "udp",
		 NULL},
		{e.fix ? "journaled-fix44" : "journaled", T2T_JOURNALED, 26530, 26531, 15530, "udp",
		 NULL},
		{e.fix ? "pipelined-fix44" : "pipelined", T2T_PIPELINED, 26520, 26521, 15520, "udp",
		 NULL},
		{"floor", T2T_FLOOR, 26540, 26541, 15540, "udp", NULL},
	};
	const struct t2t_run bypass_runs[2][2] = {
		{{e.fix ? "dpdk_fastpath-fix44" : "dpdk_fastpath", T2T_FUSED, 26550, 26551, 15550,
		  "dpdk", &nets[0]},
		 {"dpdk_floor", T2T_FLOOR, 26560, 26561, 15560, "dpdk", &nets[0]}},
		{{e.fix ? "xdp_fastpath-fix44" : "xdp_fastpath", T2T_FUSED, 26570, 26571, 15570,
		  "xdp", &nets[1]},
		 {"xdp_floor", T2T_FLOOR, 26580, 26581, 15580, "xdp", &nets[1]}},
	};
	enum { NB_UDP = FP_ARRAY_SIZE(udp_runs), NB_MAX = NB_UDP + 4 + 3 };
	static struct fp_bench_result res[NB_MAX], extra;
	unsigned nb = 0;
	struct t2t_place pl_fused = {-1, -1, -1}, pl_floor = {-1, -1, -1};
	struct t2t_place pl_bypass[2] = {{-1, -1, -1}, {-1, -1, -1}};
	double load0 = loadavg(), g_ns, r_ns;
	fp_bench_syscall_cost(e.worker_core, &g_ns, &r_ns);
	if (want[0]) {
		for (unsigned i = 0; i < NB_UDP; i++) {
			struct t2t_place *pl = udp_runs[i].kind == T2T_FUSED   ? &pl_fused
					       : udp_runs[i].kind == T2T_FLOOR ? &pl_floor
									       : NULL;
			if (run_one(&e, &udp_runs[i], e.duration, json, &res[nb], pl) < 0)
				return 1;
			nb++;
		}
		syscalls_per_pass(&e, &udp_runs[0], &extra, "fused");
		syscalls_per_pass(&e, &udp_runs[3], &extra, "floor");
	}
	/* Kernel bypass: each backend in a namespace of its own, removed before the next. */
	struct fp_bench_result bypass[2][2] = {0};
	static char why[2][512];
	bool ran[2] = {false, false};
	static const char *const prefixes[2][2] = {{"dpdk_fused", "dpdk_floor"},
						   {"xdp_fused", "xdp_floor"}};
	for (unsigned b = 0; b < 2; b++) {
		if (!want[b + 1])
			continue;
		if (fp_bench_netns_up(&nets[b], b, why[b], sizeof(why[b])) < 0) {
			fprintf(stderr, "fastpath-bench t2t: %s not measured: %s\n",
				bypass_runs[b][0].backend, why[b]);
			continue;
		}
		ran[b] = run_one(&e, &bypass_runs[b][0], e.duration, json, &bypass[b][0],
				 &pl_bypass[b]) == 0;
		if (!ran[b])
			run_failure(e.sim.dir, bypass_runs[b][0].name, why[b], sizeof(why[b]));
		if (ran[b] &&
		    run_one(&e, &bypass_runs[b][1], e.duration, json, &bypass[b][1], NULL) < 0) {
			ran[b] = false;
			run_failure(e.sim.dir, bypass_runs[b][1].name, why[b], sizeof(why[b]));
		}
		if (ran[b]) {
			syscalls_per_pass(&e, &bypass_runs[b][0], &extra, prefixes[b][0]);
			syscalls_per_pass(&e, &bypass_runs[b][1], &extra, prefixes[b][1]);
			res[nb++] = bypass[b][0];
			res[nb++] = bypass[b][1];
		} else {
			fprintf(stderr, "fastpath-bench t2t: %s not measured: %s\n",
				bypass_runs[b][0].backend, why[b]);
		}
		fp_bench_netns_down(&nets[b]);
	}
	/* One object per backend: ours, the floor, ours - floor side by side. */
	static const char *const bnames[3] = {"udp", "dpdk", "xdp"};
	for (unsigned b = 0; b < 3; b++) {
		if (!want[b])
			continue;
		struct fp_bench_result *o = &res[nb++];
		if (b == 0) {
			backend_result("udp", &res[0], &res[3], &extra, "fused", "floor",
				       pl_fused.sharers, o);
		} else if (ran[b - 1]) {
			backend_result(bnames[b], &bypass[b - 1][0], &bypass[b - 1][1], &extra,
				       prefixes[b - 1][0], prefixes[b - 1][1],
				       pl_bypass[b - 1].sharers, o);
		} else {
			o->name = bnames[b];
			o->note = why[b - 1];
			fp_bench_metric(o, "available", 0);
		}
	}
	if (want[0]) {
		double ours50 = fp_bench_get(&res[0], "venue_p50_ns", -1);
		double floor50 = fp_bench_get(&res[3], "venue_p50_ns", -1);
		if (ours50 > 0 && floor50 > 0)
			fp_bench_metric(&extra, "ratio_ours_floor_p50", ours50 / floor50);
		double fused = fp_bench_get(&res[0], "p50_ns", 0);
		double fused99 = fp_bench_get(&res[0], "p99_ns", 0);
		if (fused > 0 && fused99 > 0) {
			fp_bench_metric(&extra, "ratio_journaled_p50",
					fp_bench_get(&res[1], "p50_ns", 0) / fused);
			fp_bench_metric(&extra, "ratio_journaled_p99",
					fp_bench_get(&res[1], "p99_ns", 0) / fused99);
			fp_bench_metric(&extra, "ratio_pipelined_p50",
					fp_bench_get(&res[2], "p50_ns", 0) / fused);
		}
	}
	fp_bench_metric(&extra, "syscall_getppid_ns", g_ns);
	fp_bench_metric(&extra, "syscall_recvmmsg_empty_ns", r_ns);
	fp_bench_metric(&extra, "sim_cpu", pl_fused.sim_cpu);
	fp_bench_metric(&extra, "worker_cpu", pl_fused.client_cpu);
	fp_bench_metric(&extra, "worker_core_sharers", pl_fused.sharers);
	fp_bench_metric(&extra, "floor_cpu", pl_floor.client_cpu);
	fp_bench_metric(&extra, "dpdk_worker_cpu", pl_bypass[0].client_cpu);
	fp_bench_metric(&extra, "xdp_worker_cpu", pl_bypass[1].client_cpu);
	fp_bench_metric(&extra, "cores", e.nb_cores);
	fp_bench_metric(&extra, "trigger_rate_per_s", e.trigger_rate);
	fp_bench_metric(&extra, "protocol_fix44", e.fix);
	fp_bench_metric(&extra, "loadavg_1m_start", load0);
	fp_bench_metric(&extra, "loadavg_1m_end", loadavg());
	fp_bench_report(stdout, "t2t", json, res, nb, &extra);
	if (!json)
		printf("  configs, reports and logs: %s\n", e.sim.dir);
	return 0;
}
