/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_md.c - `fastpath-bench md [--json] [--msgs N] [--runs R] [--no-dpdk]`: market-data
 * decode + normalize throughput of the md stage.
 *
 * A synthetic ITCH 5.0 feed (>= 10 M messages by default, MoldUDP64 packets of up to 1400
 * bytes, fp_md_gen) is built in memory as a pcap image, then run through:
 *   fastpath      pcap backend over the in-memory capture -> fp_md stage (MoldUDP64
 *                 sequencing, fp_md_normalize, push to a 64 Ki-slot ring drained by the
 *                 same thread with peek/release)
 *   dpdk_net_pcap the same capture written to a temp file, read by DPDK's net_pcap vdev
 *                 (EAL --no-huge) -> the same stage
 *   itch_decode   reference: proto's table-driven fp_itch_decode of every message of the
 *                 same packets (no sequencing, no event, no ring)
 * Figures: msgs_per_s and per_msg_ns (median of --runs; time is the thread's CPU time, so
 * that a busy machine does not count other processes' time slices), p50/p99 per packet (a
 * separate pass timing each datagram with the TSC), and the memory each path uses.
 * Single thread, on whatever core it runs on (pin it with taskset for stable figures).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fp_bench.h"
#include "fp_err.h"
#include "fp_hist.h"
#include "fp_itch.h"
#include "fp_md.h"
#include "fp_md_gen.h"
#include "fp_mold.h"
#include "fp_ring.h"
#include "fp_tsc.h"

int fp_bench_md(int argc, char **argv);
extern const char fp_bench_md_summary[];
const char fp_bench_md_summary[] =
	"md stage decode+normalize throughput: pcap in memory, DPDK net_pcap, vs fp_itch_decode";

#define RING_CAP 65536
#define RUNS_MAX 15
#define LAT_PKTS 200000

/* Thread CPU time: the figures are per core even when the machine is oversubscribed. */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
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

static struct fp_md_cfg md_cfg(struct fp_ring *ring, const struct fp_md_rx_cfg *line)
{
	struct fp_md_cfg cfg = {
		.nb_lines = 1,
		.mold = {.first_seq = 1,
			 .window = 4096,
			 .max_request = 1000,
			 .request_interval_ns = 1000000,
			 .stale_timeout_ns = 1000000000},
		.rings = {ring},
		.nb_rings = 1,
	};
	cfg.lines[0] = *line;
	return cfg;
}

/* One pass of the stage over a line until `want` messages (or eof / 30 s). */
static int run_stage(const struct fp_md_rx_cfg *line, struct fp_ring *ring, uint64_t want,
		     double *secs, uint64_t *msgs, size_t *stage_bytes)
{
	struct fp_md *md = aligned_alloc(64, FP_ALIGN_UP(sizeof(*md), 64));
	struct fp_md_cfg cfg = md_cfg(ring, line);
	int rc = fp_md_init(md, &cfg);
	if (rc < 0) {
		free(md);
		return rc;
	}
	*stage_bytes = sizeof(*md) + fp_md_mold_memsize(cfg.mold.window) + sizeof(*md->out);
	double t0 = now_s(), last = t0;
	for (;;) {
		unsigned n = fp_md_poll(md, 64);
		uint32_t nb;
		while (fp_ring_peek(ring, RING_CAP, &nb) && nb)
			fp_ring_release(ring, nb);
		if (md->stats->messages >= want || fp_md_eof(md))
			break;
		if (n == 0 && ((last = now_s()) - t0 > 30))
			break;
	}
	*secs = now_s() - t0;
	*msgs = md->stats->messages;
	fp_md_fini(md);
	free(md);
	return 0;
}

/* Time each datagram of the first LAT_PKTS packets: p50/p99 of one packet's work. */
static void packet_latency(const struct fp_md_rx_cfg *line, struct fp_ring *ring, struct fp_hist *h,
			   const struct fp_tsc_conv *conv)
{
	struct fp_md *md = aligned_alloc(64, FP_ALIGN_UP(sizeof(*md), 64));
	struct fp_md_cfg cfg = md_cfg(ring, line);
	if (fp_md_init(md, &cfg) < 0) {
		free(md);
		return;
	}
	struct fp_md_pkt pkts[32];
	struct fp_md_rx *rx = md->rx[0];
	for (unsigned done = 0, idle = 0; done < LAT_PKTS && idle < 100000;) {
		unsigned n = fp_md_rx_burst(rx, pkts, 32);
		if (n == 0) {
			idle++;
			continue;
		}
		idle = 0;
		for (unsigned i = 0; i < n; i++) {
			uint64_t t0 = fp_tsc_now_ordered();
			fp_md_on_datagram(md, &pkts[i], 0, 0);
			fp_md_flush(md);
			uint64_t t1 = fp_tsc_now_ordered();
			fp_hist_record(h, fp_tsc_to_ns(conv, t1 - t0));
			uint32_t nb;
			while (fp_ring_peek(ring, RING_CAP, &nb) && nb)
				fp_ring_release(ring, nb);
		}
		done += n;
	}
	fp_md_fini(md);
	free(md);
}

/* Reference: generic table-driven decode of every message, no stage. */
static double reference_pass(const struct fp_md_feed *f, uint64_t *msgs)
{
	struct fp_itch_msg m;
	uint64_t n = 0, sink = 0;
	double t0 = now_s();
	for (uint64_t i = 0; i < f->nb_pkts; i++) {
		struct fp_mold_pkt p = {0};
		if (fp_mold_parse(f->buf + f->off[i], f->len[i], &p) != FP_MOLD_OK)
			continue;
		struct fp_mold_iter it;
		const uint8_t *msg;
		uint16_t len;
		uint64_t seq;
		fp_mold_iter_init(&it, &p);
		while (fp_mold_iter_next(&it, &msg, &len, &seq) == FP_MOLD_OK) {
			if (fp_itch_decode(msg, len, &m) == FP_ITCH_OK)
				sink += (uint64_t)m.stock_locate;
			n++;
		}
	}
	double dt = now_s() - t0;
	*msgs = n + (sink == 0xFFFFFFFFFFFFull); /* keep the loop */
	return dt;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fastpath-bench md [--json] [--msgs N] [--runs R] [--no-dpdk]\n"
		"  --msgs N    messages in the generated capture (default 10000000, min 1000)\n"
		"  --runs R    passes per variant, median reported (default 3, max %d)\n"
		"  --no-dpdk   skip the DPDK net_pcap variant\n",
		RUNS_MAX);
}

int fp_bench_md(int argc, char **argv)
{
	uint64_t nb_msgs = 10000000;
	unsigned runs = 3;
	bool json = fp_bench_want_json(argc, argv), dpdk = true;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--msgs") && i + 1 < argc) {
			uint64_t v_;
			if (fp_bench_opt_u64("md", argv[i], argv[i + 1], UINT64_MAX, &v_) < 0)
				return 2;
			nb_msgs = v_;
			i++;
		} else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
			uint64_t v_;
			if (fp_bench_opt_u64("md", argv[i], argv[i + 1], UINT32_MAX, &v_) < 0)
				return 2;
			runs = (unsigned)v_;
			i++;
		} else if (!strcmp(argv[i], "--no-dpdk")) {
			dpdk = false;
		} else if (strcmp(argv[i], "--json") && strcmp(argv[i], "md")) {
			fprintf(stderr, "fastpath-bench md: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (nb_msgs < 1000 || runs < 1 || runs > RUNS_MAX) {
		fprintf(stderr, "fastpath-bench md: --msgs must be >= 1000 and --runs 1..%d\n",
			RUNS_MAX);
		return 2;
	}
	uint64_t hz;
	struct fp_tsc_conv conv;
	if (fp_tsc_calibrate(&hz) < 0 || fp_tsc_conv_init(&conv, hz) < 0) {
		fprintf(stderr, "fastpath-bench md: %s\n", fp_err_msg());
		return 1;
	}
	struct fp_md_gen_cfg gc = {.nb_msgs = nb_msgs,
				   .max_per_pkt = 64,
				   .nb_symbols = 8000,
				   .seed = 42,
				   .first_seq = 1,
				   .dst_addr = 0xE9360C6F,
				   .dst_port = 26477,
				   .ts0_ns = 1692711000000000000ull,
				   .pkt_interval_ns = 1000};
	memcpy(gc.session, "BENCHSESS1", 10);
	struct fp_md_feed f;
	uint8_t *img;
	size_t img_len;
	if (fp_md_gen_feed(&f, &gc) < 0 ||
	    fp_md_gen_pcap(&f, true, NULL, NULL, &img, &img_len) < 0) {
		fprintf(stderr, "fastpath-bench md: %s\n", fp_err_msg());
		return 1;
	}
	struct fp_ring *ring = aligned_alloc(64, fp_ring_memsize(RING_CAP));
	fp_ring_init(ring, RING_CAP, "md_bench");

	struct fp_bench_result res[3] = {
		{.name = "fastpath"}, {.name = "dpdk_net_pcap"}, {.name = "itch_decode"}};
	unsigned nb_res = 0;
	double rate[RUNS_MAX];
	struct fp_hist *h = aligned_alloc(64, sizeof(*h));

	/* 1. pcap backend over the in-memory capture. */
	struct fp_md_rx_cfg mem = {.kind = FP_MD_RX_PCAP, .pcap_buf = img, .pcap_len = img_len};
	size_t stage_bytes = 0;
	for (unsigned r = 0; r < runs; r++) {
		double s;
		uint64_t m;
		if (run_stage(&mem, ring, f.nb_msgs, &s, &m, &stage_bytes) < 0) {
			fprintf(stderr, "fastpath-bench md: %s\n", fp_err_msg());
			return 1;
		}
		rate[r] = (double)m / s;
	}
	double med = median(rate, runs);
	fp_hist_init(h);
	packet_latency(&mem, ring, h, &conv);
	fp_bench_metric(&res[0], "msgs_per_s", med);
	fp_bench_metric(&res[0], "per_msg_ns", 1e9 / med);
	fp_bench_metric(&res[0], "p50_pkt_ns", (double)fp_hist_percentile(h, 0.50));
	fp_bench_metric(&res[0], "p99_pkt_ns", (double)fp_hist_percentile(h, 0.99));
	fp_bench_metric(&res[0], "msgs_per_pkt", (double)f.nb_msgs / (double)f.nb_pkts);
	fp_bench_metric(&res[0], "capture_bytes", (double)img_len);
	fp_bench_metric(&res[0], "mem_bytes",
			(double)(img_len + stage_bytes + fp_ring_memsize(RING_CAP)));
	fp_bench_metric(&res[0], "messages", (double)f.nb_msgs);
	nb_res++;

	/* 2. DPDK net_pcap from a temp file. */
	if (dpdk) {
		char path[] = "/tmp/fp_bench_md_XXXXXX";
		int fd = mkstemp(path);
		if (fd < 0 || (close(fd), fp_md_gen_write_file(path, img, img_len)) < 0) {
			fprintf(stderr, "fastpath-bench md: cannot write a temp capture: %s\n",
				fp_err_msg());
			return 1;
		}
		bool ok = true;
		for (unsigned r = 0; r < runs && ok; r++) {
			char dev[256];
			snprintf(dev, sizeof(dev), "net_pcap%u,rx_pcap=%s", r, path);
			struct fp_md_rx_cfg dc = {.kind = FP_MD_RX_DPDK, .dpdk_dev = dev};
			double s;
			uint64_t m;
			if (run_stage(&dc, ring, f.nb_msgs, &s, &m, &stage_bytes) < 0) {
				fprintf(stderr, "fastpath-bench md: dpdk variant skipped: %s\n",
					fp_err_msg());
				ok = false;
				break;
			}
			rate[r] = (double)m / s;
			if (m < f.nb_msgs)
				fprintf(stderr,
					"fastpath-bench md: net_pcap delivered %" PRIu64
					" of %" PRIu64 " messages\n",
					m, f.nb_msgs);
		}
		if (ok) {
			char dev[256];
			snprintf(dev, sizeof(dev), "net_pcap%u,rx_pcap=%s", runs, path);
			struct fp_md_rx_cfg dc = {.kind = FP_MD_RX_DPDK, .dpdk_dev = dev};
			fp_hist_init(h);
			packet_latency(&dc, ring, h, &conv);
		}
		unlink(path);
		if (ok) {
			double dm = median(rate, runs);
			fp_bench_metric(&res[1], "msgs_per_s", dm);
			fp_bench_metric(&res[1], "per_msg_ns", 1e9 / dm);
			fp_bench_metric(&res[1], "p50_pkt_ns", (double)fp_hist_percentile(h, 0.50));
			fp_bench_metric(&res[1], "p99_pkt_ns", (double)fp_hist_percentile(h, 0.99));
			/* mbuf pool: 8191 mbufs of 2176 B data room + 128 B header; EAL -m 256 */
			fp_bench_metric(&res[1], "mbuf_pool_bytes", 8191.0 * (2176 + 128));
			fp_bench_metric(&res[1], "eal_reserved_bytes", 256.0 * 1024 * 1024);
			fp_bench_metric(&res[1], "mem_bytes",
					8191.0 * (2176 + 128) + (double)stage_bytes +
						(double)fp_ring_memsize(RING_CAP));
			fp_bench_metric(&res[1], "capture_file_bytes", (double)img_len);
			nb_res++;
		}
	}

	/* 3. Reference: fp_itch_decode of the same messages. */
	for (unsigned r = 0; r < runs; r++) {
		uint64_t m;
		double s = reference_pass(&f, &m);
		rate[r] = (double)m / s;
	}
	double ref = median(rate, runs);
	struct fp_bench_result *rr = &res[nb_res];
	*rr = res[2];
	fp_bench_metric(rr, "msgs_per_s", ref);
	fp_bench_metric(rr, "per_msg_ns", 1e9 / ref);
	fp_bench_metric(rr, "mem_bytes", (double)f.buf_len);
	nb_res++;

	struct fp_bench_result extra = {.name = "ratios"};
	fp_bench_metric(&extra, "ratio_fastpath_vs_itch_decode", med / ref);
	if (nb_res == 3)
		fp_bench_metric(&extra, "ratio_fastpath_vs_dpdk_net_pcap",
				med / fp_bench_get(&res[1], "msgs_per_s", 1));
	fp_bench_metric(&extra, "runs", runs);
	fp_bench_report(stdout, "md", json, res, nb_res, &extra);
	free(h);
	free(ring);
	free(img);
	fp_md_gen_free(&f);
	return 0;
}
