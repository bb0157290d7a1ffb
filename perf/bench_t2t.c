/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_t2t.c - `fastpath-bench t2t [--json] [--duration S] [--rate R]`: tick-to-trade of
 * the whole pipeline against the built-in simulator on loopback.
 *
 * For each placement, one run: `fastpath-sim` (ITCH 5.0 over MoldUDP64 multicast, OUCH 5.0
 * over SoupBinTCP, pinned to core 0) and `fastpath run` with the `ping` strategy (an IOC
 * on every 20th book change), each with configs written to a temporary folder and ports of
 * their own. Tick-to-trade is the gateway's histogram: TSC when the order's bytes are
 * handed to send() minus the t_rx stamped when the packet that caused it was received,
 * and its two hops split at the strategy's decision stamp (t_decide): md + book + strategy,
 * then risk + gateway.
 *
 *   fused      one worker, every stage, core 1, spin (what a 2-core machine can do)
 *   journaled  fused, plus the store stage in its own worker beside the simulator (core 0,
 *              backoff): risk and the gateway push every decision on their journal rings
 *              and the store writes them to a journal file (fsync every 10 ms), so that
 *              the difference to `fused` is what journaling costs the hot path
 *   pipelined  one worker per stage (md, book, strategies, risk, gateway), spin when the
 *              machine has a core for each of them beside the simulator, else backoff on
 *              the cores there are (then a sharing measurement, not a pipeline one)
 *
 * The reference is the fused placement: ratio_journaled_p50 = journaled / fused,
 * ratio_pipelined_p50 = pipelined / fused. Cold tool: forks, execs, sleeps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fp_bench.h"
#include "fp_compiler.h"
#include "fp_cpu.h"

int fp_bench_t2t(int argc, char **argv);

const char fp_bench_t2t_summary[] =
	"tick-to-trade of the pipeline against fastpath-sim, fused and pipelined";

struct t2t_run {
	const char *name;
	int pipelined;
	int journaled;
	uint16_t md_port, rereq_port, oe_port;
};

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

static void write_configs(const char *dir, const struct t2t_run *r, int nb_cores, char *sim_cfg,
			  char *run_cfg, size_t len)
{
	char text[16384], workers[1024], store[PATH_MAX + 96] = "";
	const char *idle = "spin";

	snprintf(sim_cfg, len, "%s/%s-sim.conf", dir, r->name);
	snprintf(text, sizeof(text),
		 "itch = { port = %u; rerequest_port = %u; };\n"
		 "ouch = { port = %u; };\n",
		 r->md_port, r->rereq_port, r->oe_port);
	write_file(sim_cfg, text);

	if (!r->pipelined) {
		snprintf(workers, sizeof(workers),
			 "{ name = \"fused\"; core = %d; stages = [\"md\", \"book\", "
			 "\"strategies\", \"risk\", \"gateway\"]; }",
			 nb_cores > 1 ? 1 : 0);
		if (r->journaled) {
			size_t n = strlen(workers);
			snprintf(workers + n, sizeof(workers) - n,
				 ", { name = \"store\"; core = 0; stages = [\"store\"]; idle = "
				 "\"backoff\"; }");
			snprintf(store, sizeof(store),
				 "store = { dir = \"%s/%s-journal\"; fsync = \"interval\"; "
				 "fsync_interval_ms = 10; };\n",
				 dir, r->name);
		}
	} else {
		static const char *const st[] = {"md", "book", "strategies", "risk", "gateway"};
		size_t n = 0;
		if (nb_cores < 6)
			idle = "backoff";
		for (unsigned i = 0; i < 5; i++)
			n += (size_t)snprintf(
				workers + n, sizeof(workers) - n,
				"%s{ name = \"%s\"; core = %d; stages = [\"%s\"]; }", i ? ", " : "",
				st[i], nb_cores > 1 ? 1 + (int)i % (nb_cores - 1) : 0, st[i]);
	}
	snprintf(run_cfg, len, "%s/%s.conf", dir, r->name);
	snprintf(text, sizeof(text),
		 "instance = \"t2t-%s-%d\";\n"
		 "segment = { hugepages = \"auto\"; };\n"
		 "placement = { idle = \"%s\"; workers = ( %s ); };\n"
		 "md = { backend = \"udp\"; groups = [\"239.192.0.1:%u\"]; interface = "
		 "\"127.0.0.1\"; rerequest = \"127.0.0.1:%u\"; };\n"
		 "book = { symbols = 1024; orders = 262144; depth = 5; };\n"
		 "strategies = { list = ( { id = 7; name = \"ping\"; params = [\"every=20\", "
		 "\"size=100\"]; } ); };\n"
		 "risk = { limits = \"%s\"; env = \"dev\"; symbols = 1024; };\n"
		 "gateway = { venue = \"127.0.0.1:%u\"; };\n%s",
		 r->name, (int)getpid(), idle, workers, r->md_port, r->rereq_port,
		 FP_SOURCE_DIR "/config/risk.conf", r->oe_port, store);
	write_file(run_cfg, text);
}

static pid_t spawn(char *const argv[], const char *out_path)
{
	pid_t pid = fork();
	if (pid == 0) {
		int fd = out_path ? open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* The number after "key": in text, or -1. */
static double json_number(const char *text, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	const char *p = strstr(text, pat);
	return p ? strtod(p + strlen(pat), NULL) : -1;
}

static int run_one(const char *bindir, const char *dir, const struct t2t_run *r, int nb_cores,
		   double duration, double rate, struct fp_bench_result *res)
{
	char sim_cfg[PATH_MAX], run_cfg[PATH_MAX], report[PATH_MAX], sim_bin[PATH_MAX + 16],
		run_bin[PATH_MAX + 16], dur[32], sim_dur[32], rate_s[32], log_run[PATH_MAX],
		log_sim[PATH_MAX];
	int status;

	write_configs(dir, r, nb_cores, sim_cfg, run_cfg, sizeof(sim_cfg));
	snprintf(report, sizeof(report), "%s/%s-report.json", dir, r->name);
	snprintf(log_run, sizeof(log_run), "%s/%s-run.log", dir, r->name);
	snprintf(log_sim, sizeof(log_sim), "%s/%s-sim.log", dir, r->name);
	snprintf(sim_bin, sizeof(sim_bin), "%s/fastpath-sim", bindir);
	snprintf(run_bin, sizeof(run_bin), "%s/fastpath", bindir);
	snprintf(dur, sizeof(dur), "%.1f", duration);
	snprintf(sim_dur, sizeof(sim_dur), "%.1f", duration + 2);
	snprintf(rate_s, sizeof(rate_s), "%.0f", rate);
	unlink(report);

	char *run_argv[] = {run_bin, "run",      "--config", run_cfg, "--duration",
			    dur,     "--report", report,     NULL};
	pid_t run = spawn(run_argv, log_run);
	usleep(700000);
	char *sim_argv[] = {sim_bin, "--config",   sim_cfg, "--rate",
			    rate_s,  "--duration", sim_dur, NULL};
	pid_t sim = spawn(sim_argv, log_sim);
	waitpid(run, &status, 0);
	kill(sim, SIGINT);
	waitpid(sim, NULL, 0);

	FILE *f = fopen(report, "r");
	char text[8192] = "";
	if (!f) {
		fprintf(stderr, "fastpath-bench t2t: %s: no report (see %s)\n", r->name, log_run);
		return -1;
	}
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);

	res->name = r->name;
	fp_bench_metric(res, "p50_ns", json_number(text, "p50_ns"));
	fp_bench_metric(res, "p99_ns", json_number(text, "p99_ns"));
	fp_bench_metric(res, "p99_9_ns", json_number(text, "p99_9_ns"));
	fp_bench_metric(res, "max_ns", json_number(text, "max_ns"));
	fp_bench_metric(res, "hop_md_book_strategy_p50_ns",
			json_number(text, "md_book_strategy_p50_ns"));
	fp_bench_metric(res, "hop_md_book_strategy_p99_ns",
			json_number(text, "md_book_strategy_p99_ns"));
	fp_bench_metric(res, "hop_risk_gateway_p50_ns", json_number(text, "risk_gateway_p50_ns"));
	fp_bench_metric(res, "hop_risk_gateway_p99_ns", json_number(text, "risk_gateway_p99_ns"));
	fp_bench_metric(res, "orders", json_number(text, "count"));
	fp_bench_metric(res, "fills", json_number(text, "fills"));
	fp_bench_metric(res, "md_messages", json_number(text, "md_messages"));
	fp_bench_metric(res, "md_messages_per_s", json_number(text, "md_messages") / duration);
	if (r->journaled) {
		fp_bench_metric(res, "journal_records", json_number(text, "records"));
		fp_bench_metric(res, "journal_fsyncs", json_number(text, "fsyncs"));
	}
	return 0;
}

int fp_bench_t2t(int argc, char **argv)
{
	double duration = 10, rate = 20000;
	bool json = fp_bench_want_json(argc, argv);
	char bindir[PATH_MAX], dir[] = "/tmp/fastpath-t2t-XXXXXX";

	for (int i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "--duration") || !strcmp(argv[i], "--rate")) &&
		    i + 1 < argc) {
			if (fp_bench_opt_pos("t2t", argv[i], argv[i + 1],
					     argv[i][2] == 'd' ? &duration : &rate) < 0)
				return 2;
			i++;
		} else if (!strcmp(argv[i], "--help")) {
			printf("usage: fastpath-bench t2t [--json] [--duration S] [--rate "
			       "MSG_PER_S]\n"
			       "%s.\n",
			       fp_bench_t2t_summary);
			return 0;
		} else if (strcmp(argv[i], "--json")) {
			fprintf(stderr, "fastpath-bench t2t: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	if (duration <= 0 || rate <= 0) {
		fprintf(stderr, "fastpath-bench t2t: --duration and --rate must be > 0\n");
		return 2;
	}
	ssize_t n = readlink("/proc/self/exe", bindir, sizeof(bindir) - 1);
	if (n <= 0) {
		fprintf(stderr, "fastpath-bench t2t: cannot find my own folder\n");
		return 1;
	}
	bindir[n] = '\0';
	*strrchr(bindir, '/') = '\0';
	if (!mkdtemp(dir)) {
		fprintf(stderr, "fastpath-bench t2t: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	setenv("FP_GW_USER", "fpuser", 1); /* the simulator's paper-trading account */
	setenv("FP_GW_PASSWORD", "fppass", 1);

	int nb_cores = fp_cpu_count();
	const struct t2t_run runs[] = {
		{"fastpath", 0, 0, 26510, 26511, 15510},
		{"journaled", 0, 1, 26530, 26531, 15530},
		{"pipelined", 1, 0, 26520, 26521, 15520},
	};
	enum { NB_RUNS = FP_ARRAY_SIZE(runs) };
	struct fp_bench_result res[NB_RUNS] = {0}, extra = {0};
	for (unsigned i = 0; i < NB_RUNS; i++)
		if (run_one(bindir, dir, &runs[i], nb_cores, duration, rate, &res[i]) < 0)
			return 1;
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
	fp_bench_metric(&extra, "cores", nb_cores);
	fp_bench_report(stdout, "t2t", json, res, NB_RUNS, &extra);
	if (!json)
		printf("  configs, reports and logs: %s\n", dir);
	return 0;
}
