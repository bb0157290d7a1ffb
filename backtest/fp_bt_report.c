/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_bt_report.c - report.json of a backtest (fp_bt.h) and the `fastpath backtest` command.
 *
 * Metrics per (strategy, symbol) line, money in dollars:
 *   realized / unrealized P&L (average cost; marked at the recorded mid), fees (maker and
 *   taker per share from the config, rebates negative), net = realized + unrealized - fees;
 *   orders, fills, fill_rate = filled shares / ordered shares; avg_queue_wait_ns over
 *   passive fills (last place in the queue -> fill); slippage_per_share against the mid at
 *   the order's arrival (positive: paid more than the mid); max_position (shares);
 *   from per-minute equity changes r (dollars): sharpe = mean(r) / sd(r) x sqrt(252 x 390),
 *   sortino = mean(r) / sqrt(mean(min(r,0)^2)) x sqrt(252 x 390), max_drawdown (dollars,
 *   peak to trough), profit_factor = sum(r > 0) / -sum(r < 0), win_rate = minutes with
 *   r > 0 / minutes with r != 0.
 * Everything but the "wall" line is a function of data, config and seed (determinism test).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fp_bt.h"
#include "fp_err.h"

#define MINUTES_PER_YEAR (252.0 * 390.0)

static double safe_div(double a, double b)
{
	return b != 0 ? a / b : 0;
}

/* "HH:MM:SS.uuuuuu" of the feed clock, "dayN HH:MM:SS.uuuuuu" after the first day. */
static void tod(char *buf, size_t n, uint64_t ns)
{
	unsigned day = (unsigned)(ns / 86400000000000ull);
	unsigned s = (unsigned)(ns % 86400000000000ull / 1000000000ull);
	unsigned us = (unsigned)(ns % 1000000000ull / 1000);
	if (day)
		snprintf(buf, n, "day%u %02u:%02u:%02u.%06u", day % 1000, s / 3600 % 24,
			 s / 60 % 60, s % 60, us % 1000000);
	else
		snprintf(buf, n, "%02u:%02u:%02u.%06u", s / 3600 % 24, s / 60 % 60, s % 60,
			 us % 1000000);
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", *s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

void fp_bt_report_json(FILE *out, const struct fp_bt_opts *o, const struct fp_bt_result *r)
{
	char a[40], z[40];
	tod(a, sizeof(a), r->sim_start_ns);
	tod(z, sizeof(z), r->sim_end_ns);
	fprintf(out, "{\n  \"report\": \"fastpath-backtest\", \"version\": 1,\n");
	fprintf(out, "  \"config\": ");
	json_str(out, o->config ? o->config : "");
	fprintf(out, ", \"data\": [");
	for (unsigned i = 0; i < o->nb_data; i++) {
		fprintf(out, "%s", i ? ", " : "");
		json_str(out, o->data[i]);
	}
	fprintf(out, "],\n  \"latency\": ");
	json_str(out, r->latency);
	fprintf(out, ", \"seed\": %" PRIu64 ",\n", r->seed);
	fprintf(out,
		"  \"run\": {\"messages\": %" PRIu64 ", \"md_events\": %" PRIu64
		", \"tops\": %" PRIu64 ", \"top_checksum\": \"%016" PRIx64
		"\", \"intents\": %" PRIu64 ", \"risk_rejects\": %" PRIu64
		", \"orders_to_venue\": %" PRIu64 ", \"timer_rounds\": %" PRIu64
		", \"closes\": %" PRIu64 ", \"close_orders\": %" PRIu64
		", \"close_unflat\": %" PRIu64
		", \"sim_start\": \"%s\", \"sim_end\": \"%s\", \"sim_seconds\": %.6f},\n",
		r->messages, r->md_events, r->tops, r->top_checksum, r->intents, r->risk_rejects,
		r->orders_to_venue, r->timers, r->closes, r->close_orders, r->close_unflat, a, z,
		(double)(r->sim_end_ns - r->sim_start_ns) / 1e9);
	fprintf(out,
		"  \"wall\": {\"wall_seconds\": %.6f, \"msg_per_s\": %.0f, \"replay_cpu_seconds\": "
		"%.6f, \"replay_msg_per_cpu_s\": %.0f},\n",
		r->wall_s, safe_div((double)r->messages, r->wall_s), r->replay_cpu_s,
		safe_div((double)r->messages, r->replay_cpu_s));
	fprintf(out,
		"  \"bad_data\": {\"truncated\": %" PRIu64 ", \"gaps\": %" PRIu64
		", \"missing\": %" PRIu64 ", \"unknown_type\": %" PRIu64 ", \"malformed\": %" PRIu64
		", \"out_of_order\": %" PRIu64 ", \"duplicates\": %" PRIu64 ", \"first\": ",
		r->bad.truncated, r->bad.gaps, r->bad.missing, r->bad.unknown_type,
		r->bad.malformed, r->bad.out_of_order, r->bad.duplicates);
	json_str(out, r->bad.first);
	fprintf(out, ", \"stopped\": %s},\n", r->stopped_strict ? "true" : "false");
	fprintf(out, "  \"journal\": {\"path\": ");
	json_str(out, r->journal_path);
	fprintf(out, ", \"records\": %" PRIu64 ", \"sha256\": \"%s\"},\n", r->journal_records,
		r->journal_sha256);
	fprintf(out, "  \"lines\": [");
	for (unsigned i = 0; i < r->nb_lines; i++) {
		const struct fp_bt_line *l = &r->lines[i];
		double n = (double)l->minutes;
		double mean = safe_div(l->sum_r, n);
		double var = n > 1 ? (l->sum_r2 - n * mean * mean) / (n - 1) : 0;
		double down = sqrt(safe_div(l->sum_down2, n));
		double sharpe = var > 0 ? mean / sqrt(var) * sqrt(MINUTES_PER_YEAR) : 0;
		double sortino = down > 0 ? mean / down * sqrt(MINUTES_PER_YEAR) : 0;
		fprintf(out, "%s\n    {\"strategy\": %u, \"symbol\": %u, \"stock\": ", i ? "," : "",
			l->strategy_id, l->symbol_id);
		json_str(out, l->stock);
		fprintf(out,
			", \"realized\": %.4f, \"unrealized\": %.4f, \"fees\": %.4f, \"net\": %.4f,"
			" \"position\": %" PRId64 ", \"max_position\": %" PRId64
			", \"orders\": %" PRIu64 ", \"ordered_shares\": %" PRIu64
			", \"fills\": %" PRIu64 ", \"filled_shares\": %" PRIu64
			", \"passive_fills\": %" PRIu64 ", \"cancels\": %" PRIu64
			", \"rejects\": %" PRIu64
			", \"fill_rate\": %.6f, \"avg_queue_wait_ns\": %.0f,"
			" \"avg_fill_latency_ns\": %.0f, \"slippage_per_share\": %.6f,"
			" \"sharpe\": %.4f, \"sortino\": %.4f, \"max_drawdown\": %.4f,"
			" \"profit_factor\": %.4f, \"win_rate\": %.4f, \"minutes\": %" PRIu64 "}",
			l->realized, l->unrealized, l->fees, l->realized + l->unrealized - l->fees,
			l->position, l->max_position, l->orders, l->ordered_shares, l->fills,
			l->filled_shares, l->passive_fills, l->cancels, l->rejects,
			safe_div((double)l->filled_shares, (double)l->ordered_shares),
			safe_div(l->queue_wait_sum_ns, (double)l->passive_fills),
			safe_div(l->fill_latency_sum_ns, (double)l->fills),
			safe_div(l->slippage_sum, (double)l->slippage_shares), sharpe, sortino,
			l->max_drawdown, safe_div(l->gross_win, l->gross_loss),
			safe_div((double)l->wins, (double)l->nonzero), l->minutes);
	}
	fprintf(out, "%s]\n}\n", r->nb_lines ? "\n  " : "");
}

void fp_bt_usage(FILE *out)
{
	fprintf(out,
		"usage: fastpath backtest --config FILE --data FILE... [--from HH:MM:SS] "
		"[--to HH:MM:SS]\n"
		"                         [--latency SPEC] [--seed N] [--out DIR] [--json] "
		"[--strict] [--quiet]\n"
		"                         [--set KEY=V] [--sweep KEY=V1,V2,...] [--no-plots]\n"
		"  Replay recorded market data (raw ITCH / NASDAQ BinaryFILE, pcap or pcapng of "
		"MoldUDP64, gzip)\n"
		"  through the config's book, strategies and risk against a simulated venue with "
		"exact\n"
		"  L3 queue position. Writes DIR/journal/, DIR/report.json, DIR/fills.csv, "
		"DIR/equity.csv\n"
		"  (DIR defaults to build/backtest). See docs/backtest.md.\n"
		"  --latency  feed=D,entry=D,resp=D; D = 250ns, 20us, 1ms, or hist:FILE "
		"(report.json quantiles)\n"
		"  --strict   stop at the first bad datum (exit 3); without it, bad data is "
		"counted\n"
		"  --set KEY=V        override: strategy.ID.PARAM, latency.feed|entry|resp, seed,\n"
		"                     backtest.fee_maker|fee_taker\n"
		"  --sweep KEY=V1,V2  one run per value (several --sweep: the product), in "
		"parallel\n"
		"                     processes; a comparison table and DIR/sweep.json\n"
		"  --no-plots         no PNG plots (gnuplot) next to report.json\n");
}

static int parse_tod(const char *s, int64_t *ns)
{
	unsigned h, m, sec = 0;
	int n = sscanf(s, "%u:%u:%u", &h, &m, &sec);
	if (n < 2 || h > 23 || m > 59 || sec > 59)
		return -EINVAL;
	*ns = ((int64_t)h * 3600 + m * 60 + sec) * 1000000000LL;
	return 0;
}

/* PNG plots of DIR with gnuplot (the demo's plotting tool): equity and drawdown, position,
 * fill latency, for the (strategy, symbol) lines that filled (the first 12; every line is
 * in equity.csv). A missing gnuplot is a warning, not a failure: the CSV files stay. */
static void make_plots(const char *dir)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/plots.gp", dir);
	FILE *g = fopen(path, "w");
	if (!g)
		return;
	fprintf(g,
		"set terminal pngcairo size 1000,700 noenhanced\n"
		"set datafile separator ','\n"
		"keys = system(\"tail -n +2 %s/fills.csv | cut -d, -f2,3 --output-delimiter=: | "
		"sort -u | head -n 12 | tr '\\n' ' '\")\n"
		"rows(k) = sprintf(\"< awk -F, -v k=%%s 'NR > 1 && $2 \\\":\\\" $3 == k' "
		"%s/equity.csv\", k)\n"
		"set xlabel 'feed time (s since midnight)'\n"
		"set output '%s/equity.png'\n"
		"set multiplot layout 2,1 title 'equity (net P&L, $) and drawdown per "
		"strategy:symbol'\n"
		"set ylabel 'equity $'\n"
		"plot for [k in keys] rows(k) using 1:4 with lines title k\n"
		"set ylabel 'drawdown $'\n"
		"plot for [k in keys] rows(k) using 1:(-$5) with lines title k\n"
		"unset multiplot\n"
		"set output '%s/position.png'\n"
		"set ylabel 'shares'\n"
		"set title 'position per strategy:symbol'\n"
		"plot for [k in keys] rows(k) using 1:6 with steps title k\n"
		"set output '%s/fill_latency.png'\n"
		"set title 'fill latency: decision to fill report'\n"
		"set ylabel 'us'\n"
		"plot '%s/fills.csv' using ($1/1e9):($9/1e3) skip 1 with points pt 7 ps 0.6 "
		"title 'fills'\n",
		dir, dir, dir, dir, dir, dir);
	fclose(g);
	char cmd[800];
	snprintf(cmd, sizeof(cmd), "gnuplot '%s' 2>'%s/plots.log'", path, dir);
	if (system(cmd) != 0)
		fprintf(stderr,
			"fastpath backtest: warning: gnuplot failed or is missing (%s/plots.log); "
			"the CSV files are there\n",
			dir);
}

/* First number after "KEY": in @p text, summed over every occurrence when @p sum. */
static double json_num(const char *text, const char *key, bool sum)
{
	char pat[64];
	double total = 0;
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	for (const char *p = strstr(text, pat); p; p = strstr(p + 1, pat)) {
		total += strtod(p + strlen(pat), NULL);
		if (!sum)
			break;
	}
	return total;
}

/* --sweep: one backtest per combination of values, in child processes (as many at a time as
 * there are cores), each in DIR/sweep-NN; then one comparison table and DIR/sweep.json. */
static int sweep_main(const struct fp_bt_opts *base, const char *const *keys, unsigned nb_keys)
{
	static char vals[FP_BT_MAX_SWEEP][16][96];
	static char sets[FP_BT_MAX_RUNS][FP_BT_MAX_SWEEP][200];
	unsigned nb_vals[FP_BT_MAX_SWEEP], nb_runs = 1;
	const char *dir = base->out_dir ? base->out_dir : "build/backtest";
	for (unsigned k = 0; k < nb_keys; k++) {
		const char *eq = strchr(keys[k], '=');
		char list[512];
		snprintf(list, sizeof(list), "%s", eq + 1);
		nb_vals[k] = 0;
		char *save = NULL;
		for (char *v = strtok_r(list, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
			if (nb_vals[k] == 16) {
				fprintf(stderr,
					"fastpath backtest: --sweep: at most 16 values a key\n");
				return 2;
			}
			snprintf(vals[k][nb_vals[k]++], sizeof(vals[k][0]), "%s", v);
		}
		nb_runs *= nb_vals[k] ? nb_vals[k] : 1;
	}
	if (nb_runs > FP_BT_MAX_RUNS) {
		fprintf(stderr, "fastpath backtest: --sweep: %u runs, at most %d\n", nb_runs,
			FP_BT_MAX_RUNS);
		return 2;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "fastpath backtest: cannot create %s: %s\n", dir, strerror(errno));
		return 1;
	}
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned running = 0, next = 0, failed = 0;
	pid_t pid_of[FP_BT_MAX_RUNS];
	char outs[FP_BT_MAX_RUNS][600];
	for (unsigned r = 0; r < nb_runs; r++) {
		unsigned idx = r;
		for (unsigned k = nb_keys; k-- > 0;) {
			unsigned key_len = (unsigned)(strchr(keys[k], '=') - keys[k]);
			snprintf(sets[r][k], sizeof(sets[r][k]), "%.*s=%s", key_len, keys[k],
				 vals[k][idx % nb_vals[k]]);
			idx /= nb_vals[k];
		}
		snprintf(outs[r], sizeof(outs[r]), "%s/sweep-%02u", dir, r);
	}
	fprintf(stderr, "fastpath backtest: sweep of %u runs, %ld at a time\n", nb_runs, ncpu);
	while (next < nb_runs || running) {
		if (next < nb_runs && running < (unsigned)(ncpu > 0 ? ncpu : 1)) {
			unsigned r = next++;
			fflush(NULL);
			pid_t pid = fork();
			if (pid == 0) {
				static struct fp_bt_result res;
				struct fp_bt_opts o = *base;
				o.out_dir = outs[r];
				o.progress = NULL;
				for (unsigned k = 0; k < nb_keys && o.nb_set < FP_BT_MAX_SET; k++)
					o.set[o.nb_set++] = sets[r][k];
				int rc = fp_bt_run(&o, &res);
				if (rc < 0 && !res.stopped_strict) {
					fprintf(stderr, "fastpath backtest: run %u: %s\n", r,
						fp_err_msg());
					_exit(1);
				}
				char path[700];
				snprintf(path, sizeof(path), "%.600s/report.json", outs[r]);
				FILE *f = fopen(path, "w");
				if (!f)
					_exit(1);
				fp_bt_report_json(f, &o, &res);
				fclose(f);
				make_plots(outs[r]);
				_exit(0);
			}
			if (pid < 0) {
				fprintf(stderr, "fastpath backtest: fork: %s\n", strerror(errno));
				return 1;
			}
			pid_of[r] = pid;
			running++;
			continue;
		}
		int st;
		pid_t done = wait(&st);
		if (done < 0)
			break;
		running--;
		for (unsigned r = 0; r < next; r++)
			if (pid_of[r] == done && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
				failed++;
	}
	char path[700];
	snprintf(path, sizeof(path), "%s/sweep.json", dir);
	FILE *js = fopen(path, "w");
	if (!js) {
		fprintf(stderr, "fastpath backtest: cannot write %s\n", path);
		return 1;
	}
	printf("%-4s", "run");
	for (unsigned k = 0; k < nb_keys; k++)
		printf("  %-24.*s", (int)(strchr(keys[k], '=') - keys[k]), keys[k]);
	printf("  %10s %8s %8s %10s %8s %10s\n", "net $", "orders", "fills", "fees $", "sharpe",
	       "max dd $");
	fprintf(js, "{\"sweep\": [");
	for (unsigned r = 0; r < nb_runs; r++) {
		char rp[700];
		snprintf(rp, sizeof(rp), "%.600s/report.json", outs[r]);
		FILE *f = fopen(rp, "r");
		char text[1 << 16];
		size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
		if (f)
			fclose(f);
		text[n] = 0;
		double net = json_num(text, "net", true), orders = json_num(text, "orders", true),
		       fills = json_num(text, "fills", true), fees = json_num(text, "fees", true),
		       sharpe = json_num(text, "sharpe", false),
		       dd = json_num(text, "max_drawdown", false);
		printf("%-4u", r);
		fprintf(js, "%s\n  {\"run\": %u, \"dir\": \"%s\", \"ok\": %s, \"set\": {",
			r ? "," : "", r, outs[r], n ? "true" : "false");
		for (unsigned k = 0; k < nb_keys; k++) {
			const char *eq = strchr(sets[r][k], '=');
			printf("  %-24s", eq + 1);
			fprintf(js, "%s\"%.*s\": \"%s\"", k ? ", " : "", (int)(eq - sets[r][k]),
				sets[r][k], eq + 1);
		}
		printf("  %10.2f %8.0f %8.0f %10.2f %8.2f %10.2f\n", net, orders, fills, fees,
		       sharpe, dd);
		fprintf(js,
			"}, \"net\": %.4f, \"orders\": %.0f, \"fills\": %.0f, \"fees\": %.4f, "
			"\"sharpe\": %.4f, \"max_drawdown\": %.4f}",
			net, orders, fills, fees, sharpe, dd);
	}
	fprintf(js, "\n]}\n");
	fclose(js);
	printf("(net, orders, fills and fees summed over the report lines; sharpe and max dd of "
	       "the first line; %s)\n",
	       path);
	return failed ? 1 : 0;
}

/* The command's progress line on stderr (the library never prints). */
static void print_progress(void *arg, const struct fp_bt_progress *p)
{
	(void)arg;
	uint64_t tod = p->sim_ns / 1000000000ull;
	double rate = p->wall_s > 0 ? (double)p->messages / p->wall_s : 0;
	double eta = p->done > 0 ? p->wall_s * (1 - p->done) / p->done : 0;
	fprintf(stderr,
		"[backtest] %.1fM msg  sim %02u:%02u:%02u  %.2fM msg/s  %s%.0fs  orders %" PRIu64
		"\n",
		(double)p->messages / 1e6, (unsigned)(tod / 3600), (unsigned)(tod / 60 % 60),
		(unsigned)(tod % 60), rate / 1e6, p->last ? "wall " : "ETA ",
		p->last ? p->wall_s : eta, p->orders);
}

int fp_bt_main(int argc, char **argv)
{
	static struct fp_bt_result res; /* large: main's own, not shared state */
	struct fp_bt_opts o = {.from_ns = -1, .to_ns = -1, .seed = -1, .progress = print_progress};
	enum {
		O_CONFIG = 1,
		O_DATA,
		O_FROM,
		O_TO,
		O_LAT,
		O_SEED,
		O_OUT,
		O_JSON,
		O_STRICT,
		O_QUIET,
		O_SET,
		O_SWEEP,
		O_PLOT,
		O_HELP
	};
	static const struct option longopts[] = {{"config", required_argument, NULL, O_CONFIG},
						 {"data", required_argument, NULL, O_DATA},
						 {"from", required_argument, NULL, O_FROM},
						 {"to", required_argument, NULL, O_TO},
						 {"latency", required_argument, NULL, O_LAT},
						 {"seed", required_argument, NULL, O_SEED},
						 {"out", required_argument, NULL, O_OUT},
						 {"json", no_argument, NULL, O_JSON},
						 {"strict", no_argument, NULL, O_STRICT},
						 {"quiet", no_argument, NULL, O_QUIET},
						 {"set", required_argument, NULL, O_SET},
						 {"sweep", required_argument, NULL, O_SWEEP},
						 {"no-plots", no_argument, NULL, O_PLOT},
						 {"help", no_argument, NULL, O_HELP},
						 {NULL, 0, NULL, 0}};
	const char *sweep[FP_BT_MAX_SWEEP];
	unsigned nb_sweep = 0;
	bool plots = true;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		char *end;
		switch (c) {
		case O_CONFIG:
			o.config = optarg;
			break;
		case O_DATA: /* --data A B C: every following non-option argument */
			optind--;
			while (optind < argc && argv[optind][0] != '-') {
				if (o.nb_data == FP_BT_MAX_FILES) {
					fprintf(stderr,
						"fastpath backtest: at most %d data files\n",
						FP_BT_MAX_FILES);
					return 2;
				}
				o.data[o.nb_data++] = argv[optind++];
			}
			break;
		case O_FROM:
		case O_TO:
			if (parse_tod(optarg, c == O_FROM ? &o.from_ns : &o.to_ns) < 0) {
				fprintf(stderr,
					"fastpath backtest: --%s wants HH:MM[:SS], got '%s'\n",
					c == O_FROM ? "from" : "to", optarg);
				return 2;
			}
			break;
		case O_LAT:
			o.latency = optarg;
			break;
		case O_SEED:
			o.seed = strtoll(optarg, &end, 10);
			if (*end || o.seed < 0) {
				fprintf(stderr, "fastpath backtest: --seed wants a number >= 0\n");
				return 2;
			}
			break;
		case O_OUT:
			o.out_dir = optarg;
			break;
		case O_JSON:
			o.json = true;
			break;
		case O_STRICT:
			o.strict = true;
			break;
		case O_QUIET:
			o.progress = NULL;
			break;
		case O_SET:
			if (o.nb_set == FP_BT_MAX_SET - FP_BT_MAX_SWEEP) {
				fprintf(stderr, "fastpath backtest: at most %d --set\n",
					FP_BT_MAX_SET - FP_BT_MAX_SWEEP);
				return 2;
			}
			o.set[o.nb_set++] = optarg;
			break;
		case O_SWEEP:
			if (nb_sweep == FP_BT_MAX_SWEEP || !strchr(optarg, '=')) {
				fprintf(stderr,
					"fastpath backtest: --sweep KEY=V1,V2,... (at most "
					"%d)\n",
					FP_BT_MAX_SWEEP);
				return 2;
			}
			sweep[nb_sweep++] = optarg;
			break;
		case O_PLOT:
			plots = false;
			break;
		case O_HELP:
			fp_bt_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "fastpath backtest: bad arguments (try --help)\n");
			return 2;
		}
	}
	if (optind < argc || !o.config || !o.nb_data) {
		fprintf(stderr, "fastpath backtest: --config FILE and --data FILE... are required "
				"(try --help)\n");
		return 2;
	}
	if (nb_sweep)
		return sweep_main(&o, sweep, nb_sweep);
	int rc = fp_bt_run(&o, &res);
	if (rc < 0 && !res.stopped_strict) {
		fprintf(stderr, "fastpath backtest: %s\n", fp_err_msg());
		return 1;
	}
	const char *dir = o.out_dir ? o.out_dir : "build/backtest";
	char path[600];
	snprintf(path, sizeof(path), "%s/report.json", dir);
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "fastpath backtest: cannot write %s: %s\n", path, strerror(errno));
		return 1;
	}
	fp_bt_report_json(f, &o, &res);
	fclose(f);
	if (plots)
		make_plots(dir);
	if (o.json)
		fp_bt_report_json(stdout, &o, &res);
	if (res.bad.first[0])
		fprintf(stderr, "fastpath backtest: bad data: %s (and %" PRIu64 " more; see %s)\n",
			res.bad.first,
			res.bad.truncated + res.bad.gaps + res.bad.unknown_type +
				res.bad.malformed + res.bad.out_of_order - 1,
			path);
	if (res.stopped_strict) {
		fprintf(stderr, "fastpath backtest: stopped by --strict\n");
		return 3;
	}
	return 0;
}
