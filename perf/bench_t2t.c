/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_t2t.c - `fastpath-bench t2t [--json] [--duration S] [--rate R] [--trigger-rate T]
 * [--protocol ouch50|fix44]`:
 * tick-to-trade of the whole pipeline against the built-in simulator on loopback, as the
 * pipeline sees it and as the venue sees it, beside the floor.
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
 * --protocol fix44: the three fastpath runs (named fastpath-fix44, ...) trade FIX 4.4 over
 * TLS 1.3 with the simulator's FIX acceptor (sim/fp_sim_fix.h, the same engine; its arrival
 * stamped when SSL_read returns the order), with a test CA and certificate made here by the
 * openssl CLI; the floor stays OUCH over TCP, so ours_minus_floor includes FIX and TLS.
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
		 "itch = { group = \"%s\"; port = %u; rerequest_port = %u; };\n"
		 "ouch = { port = %u; };\n",
		 T2T_SIM_SYMBOLS, e->trigger_rate, e->sim.group, r->md_port, r->rereq_port,
		 r->oe_port);
	if (e->fix && r->kind != T2T_FLOOR) {
		size_t n = strlen(text);
		snprintf(text + n, sizeof(text) - n,
			 "fix = { port = %u; tls_cert_file = \"%s/server.crt\"; tls_key_file = "
			 "\"%s/server.key\"; };\n",
			 fix_port(r), e->sim.dir, e->sim.dir);
	}
	fp_bench_write_file(path, text);
}

static void write_run_config(const struct t2t_env *e, const struct t2t_run *r, char *path,
			     size_t len)
{
	char text[16384], workers[1024], store[PATH_MAX + 96] = "", venue[PATH_MAX + 256];
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
	if (e->fix) /* the simulator's FIX acceptor, an account's CompIDs, TLS 1.3 */
		snprintf(venue, sizeof(venue),
			 "venue = \"127.0.0.1:%u\"; protocol = \"fix44\"; sender_comp_id = "
			 "\"FPUSER\"; target_comp_id = \"FPSIM\"; tls_ca_file = \"%s/ca.crt\";",
			 fix_port(r), e->sim.dir);
	else
		snprintf(venue, sizeof(venue), "venue = \"127.0.0.1:%u\";", r->oe_port);
	snprintf(path, len, "%s/%s.conf", e->sim.dir, r->name);
	snprintf(text, sizeof(text),
		 "instance = \"t2t-%s-%d\";\n"
		 "segment = { hugepages = \"auto\"; };\n"
		 "placement = { idle = \"%s\"; workers = ( %s ); };\n"
		 "md = { backend = \"udp\"; groups = [\"%s:%u\"]; interface = "
		 "\"127.0.0.1\"; rerequest = \"127.0.0.1:%u\"; };\n"
		 "book = { symbols = 1024; orders = 262144; depth = 5; };\n"
		 "strategies = { list = ( { id = 7; name = \"ping\"; params = [\"symbol=%d\", "
		 "\"every=1\", \"size=100\"]; } ); };\n"
		 "risk = { limits = \"%s\"; env = \"dev\"; symbols = 1024; };\n"
		 "gateway = { %s };\n%s",
		 r->name, (int)getpid(), idle, workers, e->sim.group, r->md_port, r->rereq_port,
		 T2T_LOCATE, e->sim.risk, venue, store);
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
		log_sim[PATH_MAX], core_s[16], grp[64], venue[64], loc[16];
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
		snprintf(run_bin, sizeof(run_bin), "%s/fastpath-floor", e->sim.bindir);
		snprintf(core_s, sizeof(core_s), "%d", e->worker_core);
		snprintf(grp, sizeof(grp), "%s:%u", e->sim.group, r->md_port);
		snprintf(venue, sizeof(venue), "127.0.0.1:%u", r->oe_port);
		snprintf(loc, sizeof(loc), "%d", T2T_LOCATE);
		char *argv[] = {run_bin,    "--group", grp,      "--venue", venue,
				"--locate", loc,       "--core", core_s,    NULL};
		sim = fp_bench_spawn(sim_argv, log_sim, e->sim_core);
		client = fp_bench_spawn(argv, log_run, -1); /* it waits for the venue */
	} else {
		snprintf(run_bin, sizeof(run_bin), "%s/fastpath", e->sim.bindir);
		write_run_config(e, r, run_cfg, sizeof(run_cfg));
		char *argv[] = {run_bin, "run", "--config", run_cfg, "--report", report, NULL};
		client = fp_bench_spawn(argv, log_run, -1);
		if (fp_bench_wait_text(log_run, "running", 30) < 0)
			fprintf(stderr, "fastpath-bench t2t: %s: not running after 30 s (see %s)\n",
				r->name, log_run);
		sim = fp_bench_spawn(sim_argv, log_sim, e->sim_core);
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
	while (waitpid(sim, NULL, WNOHANG) != sim) { /* last samples while the client lives */
		c1 = fp_bench_tree_jiffies(client);
		have = have && fp_bench_cpu_jiffies(e->worker_core, &b1, &t1) == 0;
		usleep(100000);
	}
	kill(client, SIGINT);
	waitpid(client, &status, 0);

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
			fprintf(stderr, "fastpath-bench t2t: floor: no summary (see %s)\n",
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
		rate_s[32], core_s[16], grp[64], venue[64], loc[16], name[64], log[PATH_MAX + 32];
	static char json[1 << 16];
	write_sim_config(e, r, sim_cfg, sizeof(sim_cfg));
	snprintf(sim_bin, sizeof(sim_bin), "%s/fastpath-sim", e->sim.bindir);
	snprintf(rate_s, sizeof(rate_s), "%.0f", e->rate);
	snprintf(log, sizeof(log), "%s/%s-syscount.log", e->sim.dir, r->name);
	char *sim_argv[] = {sim_bin,      "--config", sim_cfg,         "--rate", rate_s,
			    "--duration", "4",        "--wait-client", NULL};
	pid_t client, sim, worker = -1;
	if (r->kind == T2T_FLOOR) {
		snprintf(bin, sizeof(bin), "%s/fastpath-floor", e->sim.bindir);
		snprintf(core_s, sizeof(core_s), "%d", e->worker_core);
		snprintf(grp, sizeof(grp), "%s:%u", e->sim.group, r->md_port);
		snprintf(venue, sizeof(venue), "127.0.0.1:%u", r->oe_port);
		snprintf(loc, sizeof(loc), "%d", T2T_LOCATE);
		char *argv[] = {bin,        "--group", grp,      "--venue", venue,
				"--locate", loc,       "--core", core_s,    NULL};
		sim = fp_bench_spawn(sim_argv, "/dev/null", e->sim_core);
		client = worker = fp_bench_spawn(argv, log, -1);
	} else {
		snprintf(bin, sizeof(bin), "%s/fastpath", e->sim.bindir);
		write_run_config(e, r, run_cfg, sizeof(run_cfg));
		char *argv[] = {bin, "run", "--config", run_cfg, NULL};
		client = fp_bench_spawn(argv, log, -1);
		fp_bench_wait_text(log, "running", 30);
		sim = fp_bench_spawn(sim_argv, "/dev/null", e->sim_core);
	}
	usleep(1000000);
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
	waitpid(sim, NULL, 0);
	kill(client, SIGINT);
	waitpid(client, NULL, 0);
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

int fp_bench_t2t(int argc, char **argv)
{
	struct t2t_env e = {.duration = 10, .rate = 20000, .trigger_rate = 500};
	bool json = fp_bench_want_json(argc, argv);

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
		} else if (!strcmp(argv[i], "--help")) {
			printf("usage: fastpath-bench t2t [--json] [--duration S] [--rate "
			       "MSG_PER_S] [--trigger-rate N]\n"
			       "                         [--protocol ouch50|fix44]\n"
			       "%s.\n"
			       "  --duration S      seconds per run (default 10)\n"
			       "  --rate R          background events/s of the simulator (20000)\n"
			       "  --trigger-rate N  tick-to-trade triggers/s (500; risk allows "
			       "1000 "
			       "orders/s a symbol)\n"
			       "  --protocol P      the gateway's: ouch50 (OUCH 5.0 over TCP, "
			       "default) "
			       "or\n"
			       "                    fix44 (FIX 4.4 over TLS 1.3 to the simulator's "
			       "FIX "
			       "acceptor;\n"
			       "                    the floor stays OUCH)\n"
			       "Runs fastpath fused, journaled and pipelined, and fastpath-floor, "
			       "each\nagainst fastpath-sim; see docs/perf.md.\n",
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

	const struct t2t_run runs[] = {
		{e.fix ? "fastpath-fix44" : "fastpath", T2T_FUSED, 26510, 26511, 15510},
		{e.fix ? "journaled-fix44" : "journaled", T2T_JOURNALED, 26530, 26531, 15530},
		{e.fix ? "pipelined-fix44" : "pipelined", T2T_PIPELINED, 26520, 26521, 15520},
		{"floor", T2T_FLOOR, 26540, 26541, 15540},
	};
	enum { NB_RUNS = FP_ARRAY_SIZE(runs) };
	struct fp_bench_result res[NB_RUNS] = {0}, extra = {0};
	struct t2t_place pl_fused = {-1, -1, -1}, pl_floor = {-1, -1, -1};
	double load0 = loadavg(), g_ns, r_ns;
	fp_bench_syscall_cost(e.worker_core, &g_ns, &r_ns);
	for (unsigned i = 0; i < NB_RUNS; i++) {
		struct t2t_place *pl = runs[i].kind == T2T_FUSED   ? &pl_fused
				       : runs[i].kind == T2T_FLOOR ? &pl_floor
								   : NULL;
		if (run_one(&e, &runs[i], e.duration, json, &res[i], pl) < 0)
			return 1;
	}
	double ours50 = fp_bench_get(&res[0], "venue_p50_ns", -1);
	double floor50 = fp_bench_get(&res[3], "venue_p50_ns", -1);
	if (ours50 > 0 && floor50 > 0) {
		fp_bench_metric(&extra, "ours_minus_floor_p50_ns", ours50 - floor50);
		fp_bench_metric(&extra, "ours_minus_floor_p99_ns",
				fp_bench_get(&res[0], "venue_p99_ns", 0) -
					fp_bench_get(&res[3], "venue_p99_ns", 0));
		fp_bench_metric(&extra, "ours_minus_floor_p99_9_ns",
				fp_bench_get(&res[0], "venue_p99_9_ns", 0) -
					fp_bench_get(&res[3], "venue_p99_9_ns", 0));
		fp_bench_metric(&extra, "ratio_ours_floor_p50", ours50 / floor50);
	}
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
	syscalls_per_pass(&e, &runs[0], &extra, "fused");
	syscalls_per_pass(&e, &runs[3], &extra, "floor");
	fp_bench_metric(&extra, "syscall_getppid_ns", g_ns);
	fp_bench_metric(&extra, "syscall_recvmmsg_empty_ns", r_ns);
	fp_bench_metric(&extra, "sim_cpu", pl_fused.sim_cpu);
	fp_bench_metric(&extra, "worker_cpu", pl_fused.client_cpu);
	fp_bench_metric(&extra, "worker_core_sharers", pl_fused.sharers);
	fp_bench_metric(&extra, "floor_cpu", pl_floor.client_cpu);
	fp_bench_metric(&extra, "cores", e.nb_cores);
	fp_bench_metric(&extra, "trigger_rate_per_s", e.trigger_rate);
	fp_bench_metric(&extra, "protocol_fix44", e.fix);
	fp_bench_metric(&extra, "loadavg_1m_start", load0);
	fp_bench_metric(&extra, "loadavg_1m_end", loadavg());
	fp_bench_report(stdout, "t2t", json, res, NB_RUNS, &extra);
	if (!json)
		printf("  configs, reports and logs: %s\n", e.sim.dir);
	return 0;
}
