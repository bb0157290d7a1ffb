/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fastpath_bench.c - `fastpath-bench NAME [--json] [options]`: the benchmarks of perf/.
 *
 * Benchmarks report, tests check: every sub-command prints its figures (p50/p99/p99.9/max
 * latency, throughput) beside a reference measured in the same run, and with --json one
 * JSON object in the shape of design.md §12.
 */
#include <stdio.h>
#include <string.h>

#include "fp_bench.h"
#include "fp_version.h"

#define FP_BENCH(name)                                     \
	extern int fp_bench_##name(int argc, char **argv); \
	extern const char fp_bench_##name##_summary[];
#include "fp_bench_table.h"
#undef FP_BENCH

struct fp_bench_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct fp_bench_cmd fp_bench_cmds[] = {
#define FP_BENCH(name) {#name, fp_bench_##name, fp_bench_##name##_summary},
#include "fp_bench_table.h"
#undef FP_BENCH
	{NULL, NULL, NULL},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: fastpath-bench NAME [--json] [options]\n"
		     "       fastpath-bench NAME --help\n\n"
		     "Benchmarks (each compares against a reference in the same run):\n");
	for (const struct fp_bench_cmd *c = fp_bench_cmds; c->name; c++)
		fprintf(out, "  %-8s %s\n", c->name, c->summary);
	fprintf(out, "\n--json prints one JSON object: {\"bench\": NAME, \"results\": [...]}.\n");
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("fastpath-bench %s\n", FP_VERSION_TEXT);
		return 0;
	}
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (const struct fp_bench_cmd *c = fp_bench_cmds; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->run(argc - 1, argv + 1);
	fprintf(stderr, "fastpath-bench: unknown benchmark '%s' (try --help)\n", argv[1]);
	return 2;
}
