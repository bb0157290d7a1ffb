/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_load.c - `fastpath-bench load [--json] [--step S] [--rates R1,R2,..] [--burst F]`:
 * the pipeline (one fused worker on core 1, spin, `ping` answering tick-to-trade triggers)
 * against fastpath-sim (pinned to core 0) at rising message rates, each for S simulated
 * seconds (default 3): 100k, 250k, 500k and 1M ITCH messages/s steady, then each with
 * bursts of F (5) times the rate for 10 ms every second.
 *
 * Per step, from the pipeline's shared-memory stats regions (attached read-only, sampled
 * every millisecond by this process on core 0 beside the simulator) and report.json:
 *   md_*            gaps, missing (when the gaps opened), recovered, lost (given up),
 *                   overruns (events dropped on a full ring), out_of_window
 *   undelivered     messages the simulator sent that md never delivered in order, after
 *                   the feed ended and md's count stopped moving
 *   loss            lost + overruns + out_of_window + undelivered: 0 = zero loss
 *   ring_*_hwm      the most events seen waiting in each ring (sampled every ms: a lower
 *                   bound of the true high-water mark); book_lag_events = ring.md's, the
 *                   events md has handed over that the book has not applied yet
 *   t2t_p99_ns      the gateway's tick-to-trade p99; venue_t2t_p99_ns the simulator's
 *                   (triggers at 500/s, sim/fp_sim_trigger.h)
 *   sim_msg_per_s   what the simulator achieved (messages / wall seconds): below the target
 *                   when the simulator's core cannot produce it, then the step measures less
 * knee_msg_per_s: the highest steady target met (sim within 10 %) with zero loss, and the
 * same with bursts. The reference is the first (lowest) step. Cold tool: forks, sleeps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fp_bench.h"
#include "fp_bench_proc.h"
#include "fp_compiler.h"
#include "fp_cpu.h"
#include "fp_ctl_stage.h"
#include "fp_md.h"
#include "fp_ring.h"
#include "fp_shm.h"

int fp_bench_load(int argc, char **argv);

const char fp_bench_load_summary[] =
	"the pipeline at 100k..1M msg/s and in bursts: loss, gaps, ring depth, t2t p99, knee";

#define LOAD_MAX_STEPS  16
#define LOAD_SYMBOLS    100
#define LOAD_LOCATE     (LOAD_SYMBOLS + 1)
#define LOAD_MSG_PER_EV 1.07 /* ITCH messages per background event (config/sim.conf) */

struct load_env {
	struct fp_bench_sim_env sim;
	int worker_core, sim_core;
	double step_s, burst;
};

static int run_step(const struct load_env *e, unsigned k, double target, bool burst,
		    struct fp_bench_result *res)
{
	char name[64], sim_cfg[PATH_MAX], run_cfg[PATH_MAX], report[PATH_MAX], log_run[PATH_MAX],
		log_sim[PATH_MAX], sim_bin[PATH_MAX + 16], run_bin[PATH_MAX + 16], rate_s[32],
		dur_s[32], burst_s[32], instance[64];
	static char text[1 << 16];
	uint16_t md_port = (uint16_t)(26600 + 4 * k), oe_port = (uint16_t)(15600 + k);

	snprintf(name, sizeof(name), "%.0fk%s", target / 1e3, burst ? "+burst" : "");
	snprintf(instance, sizeof(instance), "load-%u-%d", k, (int)getpid());
	snprintf(sim_cfg, sizeof(sim_cfg), "%s/%u-sim.conf", e->sim.dir, k);
	snprintf(run_cfg, sizeof(run_cfg), "%s/%u.conf", e->sim.dir, k);
	snprintf(report, sizeof(report), "%s/%u-report.json", e->sim.dir, k);
	snprintf(log_run, sizeof(log_run), "%s/%u-run.log", e->sim.dir, k);
	snprintf(log_sim, sizeof(log_sim), "%s/%u-sim.log", e->sim.dir, k);
	snprintf(sim_bin, sizeof(sim_bin), "%s/fastpath-sim", e->sim.bindir);
	snprintf(run_bin, sizeof(run_bin), "%s/fastpath", e->sim.bindir);
	snprintf(rate_s, sizeof(rate_s), "%.0f", target / LOAD_MSG_PER_EV);
	snprintf(dur_s, sizeof(dur_s), "%.1f", e->step_s);
	snprintf(burst_s, sizeof(burst_s), "%g", burst ? e->burst : 0.0);
	snprintf(text, sizeof(text),
		 "sim = { symbols = %d; trigger_rate = 500.0; };\n"
		 "itch = { group = \"%s\"; port = %u; rerequest_port = %u; };\n"
		 "ouch = { port = %u; };\n",
		 LOAD_SYMBOLS, e->sim.group, md_port, md_port + 1, oe_port);
	fp_bench_write_file(sim_cfg, text);
	snprintf(text, sizeof(text),
		 "instance = \"%s\";\n"
		 "segment = { hugepages = \"auto\"; };\n"
		 "placement = { idle = \"spin\"; workers = ( { name = \"fused\"; core = %d; "
		 "stages = [\"md\", \"book\", \"strategies\", \"risk\", \"gateway\"]; } ); };\n"
		 "md = { backend = \"udp\"; groups = [\"%s:%u\"]; interface = "
		 "\"127.0.0.1\"; rerequest = \"127.0.0.1:%u\"; };\n"
		 "book = { symbols = 1024; orders = 262144; depth = 5; };\n"
		 "strategies = { list = ( { id = 7; name = \"ping\"; params = [\"symbol=%d\", "
		 "\"every=1\", \"size=100\"]; } ); };\n"
		 "risk = { limits = \"%s\"; env = \"dev\"; symbols = 1024; };\n"
		 "gateway = { venue = \"127.0.0.1:%u\"; };\n",
		 instance, e->worker_core, e->sim.group, md_port, md_port + 1, LOAD_LOCATE,
		 e->sim.risk, oe_port);
	fp_bench_write_file(run_cfg, text);

	char *run_argv[] = {run_bin, "run", "--config", run_cfg, "--report", report, NULL};
	pid_t run = fp_bench_spawn(run_argv, log_run, -1);
	if (fp_bench_wait_text(log_run, "running", 30) < 0) {
		fprintf(stderr, "fastpath-bench load: %s: the pipeline did not start (see %s)\n",
			name, log_run);
		kill(run, SIGINT);
		waitpid(run, NULL, 0);
		return -1;
	}
	struct fp_shm seg = {0};
	struct fp_shm_opts so = {.instance = instance,
				 .flags = FP_SHM_F_RDONLY | FP_SHM_F_NO_MLOCK};
	const struct fp_ring *rings[FP_CTL_NB_RINGS] = {0};
	const struct fp_md_stats *md = NULL;
	if (fp_shm_attach(&seg, &so) == 0) {
		for (unsigned i = 0; i < FP_CTL_NB_RINGS; i++)
			rings[i] = fp_shm_region(&seg, fp_ctl_ring_graph[i].ring, NULL);
		md = fp_shm_region(&seg, "md.stats", NULL);
	}
	char *sim_argv[] = {sim_bin, "--config", sim_cfg, "--rate", rate_s,          "--duration",
			    dur_s,   "--burst",  burst_s, "--json", "--wait-client", NULL};
	pid_t sim = fp_bench_spawn(sim_argv, log_sim, e->sim_core);

	/* Sample the rings every millisecond while the feed runs (this thread beside the
	 * simulator, off the worker's core). */
	uint32_t hwm[FP_CTL_NB_RINGS] = {0};
	for (;;) {
		for (unsigned i = 0; i < FP_CTL_NB_RINGS; i++)
			if (rings[i]) {
				uint32_t c = fp_ring_count(rings[i]);
				hwm[i] = c > hwm[i] ? c : hwm[i];
			}
		if (waitpid(sim, NULL, WNOHANG) == sim)
			break;
		struct timespec ms = {0, 1000000};
		nanosleep(&ms, NULL);
	}
	/* The feed ended: wait until md's count stops moving (at most 3 s). */
	uint64_t delivered = 0;
	if (md) {
		uint64_t last = UINT64_MAX, t0 = fp_bench_mono_ns(), still = fp_bench_mono_ns();
		while (fp_bench_mono_ns() - t0 < 3000000000ull) {
			uint64_t now = __atomic_load_n(&md->mold.messages, __ATOMIC_ACQUIRE);
			if (now != last) {
				last = now;
				still = fp_bench_mono_ns();
			} else if (fp_bench_mono_ns() - still > 500000000ull) {
				break;
			}
			usleep(10000);
		}
		delivered = last;
	}
	struct fp_md_stats mds = {0};
	if (md)
		memcpy(&mds, md, sizeof(mds));
	fp_shm_detach(&seg);
	kill(run, SIGINT);
	waitpid(run, NULL, 0);

	static char rep[16384], simj[1 << 16];
	fp_bench_read_file(report, rep, sizeof(rep));
	fp_bench_read_file(log_sim, simj, sizeof(simj));
	const char *sj = strstr(simj, "{\"messages\"");
	sj = sj ? sj : "";
	const char *tj = strstr(sj, "\"trigger\": {");
	tj = tj ? tj : "";
	double sent = fp_bench_json_number(sj, "messages");
	double wall = fp_bench_json_number(sj, "wall_s");
	double undelivered = md && sent > delivered ? sent - (double)delivered : 0;
	double loss = (double)(mds.mold.lost + mds.overruns + mds.mold.out_of_window) + undelivered;

	res->name = strdup(name);
	fp_bench_metric(res, "target_msg_per_s", target);
	fp_bench_metric(res, "sim_msg_per_s", wall > 0 ? sent / wall : -1);
	fp_bench_metric(res, "md_msg_per_s", wall > 0 ? (double)delivered / wall : -1);
	fp_bench_metric(res, "sim_messages", sent);
	fp_bench_metric(res, "loss", md ? loss : -1);
	fp_bench_metric(res, "undelivered", md ? undelivered : -1);
	fp_bench_metric(res, "md_gaps", (double)mds.mold.gaps);
	fp_bench_metric(res, "md_missing", (double)mds.mold.missing);
	fp_bench_metric(res, "md_recovered", (double)mds.mold.recovered);
	fp_bench_metric(res, "md_lost", (double)mds.mold.lost);
	fp_bench_metric(res, "md_overruns", (double)mds.overruns);
	fp_bench_metric(res, "md_out_of_window", (double)mds.mold.out_of_window);
	for (unsigned i = 0; i < FP_CTL_NB_RINGS; i++) {
		char m[64];
		snprintf(m, sizeof(m), "%s_hwm_events", fp_ctl_ring_graph[i].ring);
		for (char *c = m; *c; c++)
			*c = *c == '.' ? '_' : *c;
		fp_bench_metric(res, strdup(m), rings[i] ? (double)hwm[i] : -1);
	}
	fp_bench_metric(res, "book_lag_events", rings[0] ? (double)hwm[0] : -1);
	fp_bench_metric(res, "t2t_p50_ns", fp_bench_json_number(rep, "p50_ns"));
	fp_bench_metric(res, "t2t_p99_ns", fp_bench_json_number(rep, "p99_ns"));
	fp_bench_metric(res, "venue_t2t_p50_ns", fp_bench_json_number(tj, "p50_ns"));
	fp_bench_metric(res, "venue_t2t_p99_ns", fp_bench_json_number(tj, "p99_ns"));
	fp_bench_metric(res, "triggers_answered", fp_bench_json_number(tj, "answered"));
	fp_bench_metric(res, "triggers_sent", fp_bench_json_number(tj, "sent"));
	if (burst)
		fp_bench_metric(res, "bursts", fp_bench_json_number(sj, "bursts"));
	return 0;
}

static int parse_rates(const char *s, double *rates, unsigned *n)
{
	*n = 0;
	while (*s && *n < LOAD_MAX_STEPS / 2) {
		char *end;
		double v = strtod(s, &end);
		if (end == s || !(v > 0 && v <= 1e8))
			return -1;
		rates[(*n)++] = v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return *n ? 0 : -1;
}

int fp_bench_load(int argc, char **argv)
{
	struct load_env e = {.step_s = 3, .burst = 5};
	double rates[LOAD_MAX_STEPS] = {100000, 250000, 500000, 1000000};
	unsigned nb_rates = 4;
	bool json = fp_bench_want_json(argc, argv);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--step") && i + 1 < argc) {
			if (fp_bench_opt_pos("load", argv[i], argv[i + 1], &e.step_s) < 0)
				return 2;
			i++;
		} else if (!strcmp(argv[i], "--burst") && i + 1 < argc) {
			char *end;
			e.burst = strtod(argv[++i], &end);
			if (*end || !(e.burst == 0 || (e.burst > 1 && e.burst <= 1000))) {
				fprintf(stderr,
					"fastpath-bench load: --burst must be 0 (none) or a "
					"factor in (1, 1000]\n");
				return 2;
			}
		} else if (!strcmp(argv[i], "--rates") && i + 1 < argc) {
			if (parse_rates(argv[++i], rates, &nb_rates) < 0) {
				fprintf(stderr,
					"fastpath-bench load: --rates wants up to %d "
					"messages/s, comma separated (e.g. 100000,250000)\n",
					LOAD_MAX_STEPS / 2);
				return 2;
			}
		} else if (!strcmp(argv[i], "--help")) {
			printf("usage: fastpath-bench load [--json] [--step S] [--rates R1,R2,..] "
			       "[--burst F]\n%s.\n"
			       "  --step S       simulated seconds per step (default 3)\n"
			       "  --rates LIST   ITCH messages/s per step (default "
			       "100000,250000,500000,1000000)\n"
			       "  --burst F      then each rate with bursts of F x for 10 ms every "
			       "second (default 5; 0 = none)\n"
			       "See docs/perf.md for what each figure means.\n",
			       fp_bench_load_summary);
			return 0;
		} else if (strcmp(argv[i], "--json")) {
			fprintf(stderr, "fastpath-bench load: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	if (fp_bench_sim_setup(&e.sim, "load", LOAD_LOCATE) < 0)
		return 1;
	int nb_cores = fp_cpu_count();
	e.sim_core = 0;
	e.worker_core = nb_cores > 1 ? 1 : 0;
	fp_cpu_pin_self(e.sim_core); /* the sampler stays off the worker's core */

	static struct fp_bench_result res[LOAD_MAX_STEPS];
	struct fp_bench_result extra = {0};
	unsigned n = 0;
	double knee = 0, knee_burst = 0;
	for (unsigned b = 0; b < (e.burst > 0 ? 2u : 1u); b++)
		for (unsigned i = 0; i < nb_rates; i++, n++) {
			if (run_step(&e, n, rates[i], b == 1, &res[n]) < 0)
				return 1;
			double got = fp_bench_get(&res[n], "sim_msg_per_s", 0);
			if (fp_bench_get(&res[n], "loss", -1) == 0 && got >= 0.9 * rates[i]) {
				double *kn = b ? &knee_burst : &knee;
				*kn = rates[i] > *kn ? rates[i] : *kn;
			}
		}
	char text[128];
	fp_bench_metric(&extra, "knee_msg_per_s", knee);
	if (e.burst > 0)
		fp_bench_metric(&extra, "knee_burst_msg_per_s", knee_burst);
	fp_bench_metric(&extra, "step_s", e.step_s);
	fp_bench_metric(&extra, "cores", nb_cores);
	if (fp_bench_read_file("/proc/loadavg", text, sizeof(text)) > 0)
		fp_bench_metric(&extra, "loadavg_1m_end", strtod(text, NULL));
	fp_bench_report(stdout, "load", json, res, n, &extra);
	if (!json)
		printf("  configs, reports and logs: %s\n", e.sim.dir);
	return 0;
}
