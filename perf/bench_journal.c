/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_journal.c - `fastpath-bench journal [--json] [options]`: journal append+flush
 * throughput against a plain write() of the same number of bytes, in one run.
 *
 *   fastpath  fp_store_journal_append of 64-byte struct fp_event payloads, then
 *             fp_store_journal_flush every --batch events (CRC32C, framing, one pwrite)
 *   write     write() of a prepared buffer of the same size per batch (no framing, no CRC)
 * Both without and with fdatasync after every batch, in a fresh file of --dir each run
 * (default /var/tmp: on a tmpfs such as /tmp fdatasync costs nothing). Medians of --runs.
 *
 * Cold tool: allocates, makes syscalls, prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fp_bench.h"
#include "fp_err.h"
#include "fp_event.h"
#include "fp_store_journal.h"

int fp_bench_journal(int argc, char **argv);
extern const char fp_bench_journal_summary[];
const char fp_bench_journal_summary[] =
	"journal append+flush throughput (with/without fdatasync) vs plain write()";

#define RUNS_MAX  15
#define REC_BYTES (FP_STORE_REC_HDR_SIZE + sizeof(struct fp_event))

struct jopts {
	const char *dir;
	uint64_t events, sync_events;
	unsigned batch, runs;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Seconds to journal @n events in batches, or < 0 on error (message in fp_err). */
static double run_journal(const char *path, uint64_t n, unsigned batch, bool sync)
{
	struct fp_store_journal *j;
	struct fp_event ev;
	unlink(path);
	if (fp_store_journal_open(path, "bench", &j) < 0)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.type = FP_EV_ORDER_NEW;
	double t0 = now_s();
	int rc = 0;
	for (uint64_t i = 1; i <= n && rc == 0; i++) {
		ev.seq = i;
		ev.t_rx = i * 3;
		rc = fp_store_journal_append(j, ev.type, &ev, sizeof(ev));
		if (rc == 0 && (i % batch == 0 || i == n))
			rc = fp_store_journal_flush(j, sync);
	}
	double t = now_s() - t0;
	if (fp_store_journal_close(j) < 0 || rc < 0)
		return -1;
	unlink(path);
	return t;
}

/* Seconds to write() the same bytes per batch, or < 0 on error. */
static double run_write(const char *path, uint64_t n, unsigned batch, bool sync, const uint8_t *buf)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fp_err_set(-errno, "cannot create %s: %s", path, strerror(errno));
	double t0 = now_s();
	for (uint64_t i = 0; i < n; i += batch) {
		size_t bytes = (size_t)(n - i < batch ? n - i : batch) * REC_BYTES;
		if (write(fd, buf, bytes) != (ssize_t)bytes || (sync && fdatasync(fd) < 0)) {
			fp_err_set(-EIO, "cannot write %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
	}
	double t = now_s() - t0;
	close(fd);
	unlink(path);
	return t;
}

static int parse(int argc, char **argv, struct jopts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			printf("usage: fastpath-bench journal [--json] [--dir DIR] [--events N]\n"
			       "         [--sync-events N] [--batch B] [--runs R]\n%s\n"
			       "  --dir DIR          where the files go (default /var/tmp)\n"
			       "  --events N         events per run without fdatasync (200000)\n"
			       "  --sync-events N    events per run with fdatasync per batch "
			       "(20000)\n"
			       "  --batch B          events per flush (64)\n"
			       "  --runs R           runs, median reported (5, at most %d)\n",
			       fp_bench_journal_summary, RUNS_MAX);
			return 1;
		} else if (!strcmp(a, "--dir") && i + 1 < argc) {
			o->dir = argv[++i];
		} else if (!strcmp(a, "--events") && i + 1 < argc) {
			uint64_t v_;
			if (fp_bench_opt_u64("journal", argv[i], argv[i + 1], UINT64_MAX, &v_) < 0)
				return -1;
			o->events = v_;
			i++;
		} else if (!strcmp(a, "--sync-events") && i + 1 < argc) {
			uint64_t v_;
			if (fp_bench_opt_u64("journal", argv[i], argv[i + 1], UINT64_MAX, &v_) < 0)
				return -1;
			o->sync_events = v_;
			i++;
		} else if (!strcmp(a, "--batch") && i + 1 < argc) {
			uint64_t v_;
			if (fp_bench_opt_u64("journal", argv[i], argv[i + 1], UINT32_MAX, &v_) < 0)
				return -1;
			o->batch = (unsigned)v_;
			i++;
		} else if (!strcmp(a, "--runs") && i + 1 < argc) {
			uint64_t v_;
			if (fp_bench_opt_u64("journal", argv[i], argv[i + 1], UINT32_MAX, &v_) < 0)
				return -1;
			o->runs = (unsigned)v_;
			i++;
		} else if (strcmp(a, "--json") != 0) {
			fprintf(stderr, "fastpath-bench journal: unknown option '%s'\n", a);
			return -1;
		}
	}
	if (!o->events || !o->sync_events || o->batch < 1 || o->batch > 4096 || o->runs < 1 ||
	    o->runs > RUNS_MAX) {
		fprintf(stderr,
			"fastpath-bench journal: --events/--sync-events must be > 0, "
			"--batch 1..4096, --runs 1..%d\n",
			RUNS_MAX);
		return -1;
	}
	return 0;
}

int fp_bench_journal(int argc, char **argv)
{
	struct jopts o = {
		.dir = "/var/tmp", .events = 200000, .sync_events = 20000, .batch = 64, .runs = 5};
	int prc = parse(argc, argv, &o);
	if (prc)
		return prc > 0 ? 0 : 2;
	bool json = fp_bench_want_json(argc, argv);
	char path[4096];
	snprintf(path, sizeof(path), "%s/fastpath-bench-journal.%d", o.dir, (int)getpid());
	uint8_t *buf = calloc(o.batch, REC_BYTES);
	if (!buf) {
		fprintf(stderr, "fastpath-bench journal: no memory\n");
		return 1;
	}
	for (size_t k = 0; k < (size_t)o.batch * REC_BYTES; k++)
		buf[k] = (uint8_t)(k * 13);

	/* t[variant][run]: 0 journal, 1 journal+sync, 2 write, 3 write+sync */
	double t[4][RUNS_MAX];
	for (unsigned r = 0; r < o.runs; r++) {
		t[0][r] = run_journal(path, o.events, o.batch, false);
		t[2][r] = run_write(path, o.events, o.batch, false, buf);
		t[1][r] = run_journal(path, o.sync_events, o.batch, true);
		t[3][r] = run_write(path, o.sync_events, o.batch, true, buf);
		for (int v = 0; v < 4; v++)
			if (t[v][r] < 0) {
				fprintf(stderr, "fastpath-bench journal: %s\n", fp_err_msg());
				free(buf);
				return 1;
			}
	}
	free(buf);
	double med[4];
	for (int v = 0; v < 4; v++)
		med[v] = median(t[v], o.runs);
	struct fp_bench_result res[2] = {{.name = "fastpath"}, {.name = "write"}};
	for (int k = 0; k < 2; k++) {
		double ev = (double)o.events / med[k * 2];
		double evs = (double)o.sync_events / med[k * 2 + 1];
		fp_bench_metric(&res[k], "events_per_s", ev);
		fp_bench_metric(&res[k], "mbytes_per_s", ev * REC_BYTES / 1e6);
		fp_bench_metric(&res[k], "fdatasync_events_per_s", evs);
		fp_bench_metric(&res[k], "fdatasync_mbytes_per_s", evs * REC_BYTES / 1e6);
		fp_bench_metric(&res[k], "fdatasync_batches_per_s", evs / o.batch);
	}
	struct fp_bench_result extra = {.name = "run"};
	fp_bench_metric(&extra, "ratio_fastpath_vs_write", med[2] / med[0]);
	fp_bench_metric(&extra, "ratio_fastpath_vs_write_fdatasync", med[3] / med[1]);
	fp_bench_metric(&extra, "batch_events", o.batch);
	fp_bench_metric(&extra, "record_bytes", (double)REC_BYTES);
	fp_bench_metric(&extra, "runs", o.runs);
	if (!json)
		printf("files in %s, %" PRIu64 " events (%" PRIu64 " with fdatasync), batch %u, "
		       "median of %u runs\n",
		       o.dir, o.events, o.sync_events, o.batch, o.runs);
	fp_bench_report(stdout, "journal", json, res, 2, &extra);
	return 0;
}
