/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_ring.c - `fastpath-bench ring [--json] [options]`: our SPSC ring against DPDK's
 * rte_ring, liburcu's wfcqueue, a pipe, and a cache-line floor, in one run.
 *
 * Two threads, the producer and the consumer, pinned to two different cores
 * (fp_cpu_pin_self; --cores P,C). Every variant moves 64-byte struct fp_event values:
 *   fastpath  fp_ring_enqueue_burst / fp_ring_dequeue_burst, 4096 slots
 *   rte_ring  rte_ring_create_elem(esize 64, 4096, RING_F_SP_ENQ | RING_F_SC_DEQ) with
 *             rte_ring_sp_enqueue_burst_elem / rte_ring_sc_dequeue_burst_elem; EAL with
 *             --no-huge --no-pci --no-shconf -m 256 (design.md §10), one lcore
 *   wfcqueue  liburcu cds_wfcq (inlined, _LGPL_SOURCE), nonblocking dequeue: a node pool
 *             of 4096 with a consumed counter as flow control, events copied in and out
 *             like the rings
 *   pipe      write()/read() of whole events on a pipe of 4096 events, blocking
 *   floor     the physical floor: for latency a single cache line ping-pong (the event's
 *             own line carries the flag: one line transfer per event, no index); for
 *             throughput a queue of 4096 slots whose flag is in the slot itself (one line
 *             transfer per event, no shared index line at all)
 *
 * Latency (one-way): the producer stamps t_rx = TSC and sends one event, then waits until
 * the consumer has acknowledged it (a separate cache line) before the next, so no event
 * ever queues behind another; the consumer takes the TSC right after receiving and records
 * the difference in an fp_hist. p50/p99/p99.9/max in ns (fp_tsc conversion).
 * Throughput: the producer sends N events in bursts of 1 or 32 as fast as the queue takes
 * them, the consumer receives in bursts of the same size; events/s = N / (last receive -
 * first send). Sequence numbers are checked on every receive.
 *
 * Cold tool: allocates, makes syscalls, prints. Benchmarks are noisy on shared machines:
 * run several times and compare the ratios (fastpath / rte_ring) of the same run.
 */
#define _GNU_SOURCE
#define _LGPL_SOURCE /* liburcu: use the inline fast paths, as a user of wfcqueue would */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <urcu/wfcqueue.h>

#include "fp_bench.h"
#include "fp_cpu.h"
#include "fp_err.h"
#include "fp_hist.h"
#include "fp_ring.h"
#include "fp_tsc.h"

int fp_bench_ring(int argc, char **argv);
extern const char fp_bench_ring_summary[];
const char fp_bench_ring_summary[] =
	"SPSC ring latency/throughput vs rte_ring, liburcu wfcqueue, pipe, cache-line floor";

#define CAPACITY    4096
#define BURST_MAX   32
#define WARMUP      10000
#define NB_VARIANTS 5
#define ROUNDS_MAX  15

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

enum mode { MODE_LAT, MODE_THR };

/* One wfcqueue node: the event in its own line after the link. */
struct wfc_node {
	struct cds_wfcq_node link;
	alignas(64) struct fp_event ev;
};

/* Everything both threads share; each side's hot words on its own line. */
struct bench {
	/* configuration */
	enum mode mode;
	uint32_t burst;
	uint64_t n; /* samples (latency) or events (throughput) */
	int cores[2];
	int fifo;    /* run both threads SCHED_FIFO (--fifo) */
	int verbose; /* time each measurement on stderr (--verbose) */
	/* queues */
	struct fp_ring *ring;
	struct rte_ring *rte;
	struct __cds_wfcq_head wfc_head;
	alignas(64) struct cds_wfcq_tail wfc_tail;
	struct wfc_node *wfc_pool;
	int pipefd[2];
	struct fp_event *floor_slots; /* CAPACITY slots; seq != 0 = full */
	/* producer-written */
	alignas(64) uint64_t wfc_produced;
	uint64_t wfc_consumed_cache;
	uint64_t floor_prod_pos;
	uint64_t t_first;
	/* consumer-written */
	alignas(64) _Atomic uint64_t ack; /* events received (latency mode) */
	alignas(64) _Atomic uint64_t wfc_consumed;
	alignas(64) uint64_t floor_cons_pos;
	uint64_t t_last;
	uint64_t bad_seq;
	struct fp_hist *hist;
	/* start line */
	alignas(64) _Atomic int ready;
	_Atomic int go;
	int pin_rc;
};

/* ---- the five variants: send up to n, receive up to n ---- */

static FP_ALWAYS_INLINE uint32_t send_fastpath(struct bench *b, const struct fp_event *e,
					       uint32_t n)
{
	return fp_ring_enqueue_burst(b->ring, e, n);
}

static FP_ALWAYS_INLINE uint32_t recv_fastpath(struct bench *b, struct fp_event *e, uint32_t n)
{
	return fp_ring_dequeue_burst(b->ring, e, n);
}

static FP_ALWAYS_INLINE uint32_t send_rte(struct bench *b, const struct fp_event *e, uint32_t n)
{
	return rte_ring_sp_enqueue_burst_elem(b->rte, e, sizeof(*e), n, NULL);
}

static FP_ALWAYS_INLINE uint32_t recv_rte(struct bench *b, struct fp_event *e, uint32_t n)
{
	return rte_ring_sc_dequeue_burst_elem(b->rte, e, sizeof(*e), n, NULL);
}

static FP_ALWAYS_INLINE uint32_t send_wfc(struct bench *b, const struct fp_event *e, uint32_t n)
{
	uint32_t i;
	for (i = 0; i < n; i++) {
		if (b->wfc_produced - b->wfc_consumed_cache >= CAPACITY) {
			b->wfc_consumed_cache =
				atomic_load_explicit(&b->wfc_consumed, memory_order_acquire);
			if (b->wfc_produced - b->wfc_consumed_cache >= CAPACITY)
				break;
		}
		struct wfc_node *node = &b->wfc_pool[b->wfc_produced++ % CAPACITY];
		cds_wfcq_node_init(&node->link);
		node->ev = e[i];
		cds_wfcq_enqueue(&b->wfc_head, &b->wfc_tail, &node->link);
	}
	return i;
}

static FP_ALWAYS_INLINE uint32_t recv_wfc(struct bench *b, struct fp_event *e, uint32_t n)
{
	uint32_t i;
	for (i = 0; i < n; i++) {
		/* Nonblocking: the blocking flavour sleeps 10 ms in poll() when it catches an
		 * enqueue half done; we retry on the next call instead, like the rings. */
		struct cds_wfcq_node *l =
			__cds_wfcq_dequeue_nonblocking(&b->wfc_head, &b->wfc_tail);
		if (l == NULL || l == CDS_WFCQ_WOULDBLOCK)
			break;
		e[i] = caa_container_of(l, struct wfc_node, link)->ev;
	}
	if (i)
		atomic_store_explicit(&b->wfc_consumed,
				      atomic_load_explicit(&b->wfc_consumed, memory_order_relaxed) +
					      i,
				      memory_order_release);
	return i;
}

static FP_ALWAYS_INLINE uint32_t send_pipe(struct bench *b, const struct fp_event *e, uint32_t n)
{
	ssize_t w = write(b->pipefd[1], e, n * sizeof(*e)); /* whole events: n*64 <= PIPE_BUF */
	return w > 0 ? (uint32_t)((size_t)w / sizeof(*e)) : 0;
}

static FP_ALWAYS_INLINE uint32_t recv_pipe(struct bench *b, struct fp_event *e, uint32_t n)
{
	ssize_t r = read(b->pipefd[0], e, n * sizeof(*e));
	if (r <= 0)
		return 0;
	size_t got = (size_t)r;
	while (got % sizeof(*e)) { /* never split in practice (whole-event writes) */
		ssize_t more = read(b->pipefd[0], (char *)e + got, sizeof(*e) - got % sizeof(*e));
		if (more > 0)
			got += (size_t)more;
	}
	return (uint32_t)(got / sizeof(*e));
}

/* The floor: the slot's own seq is the flag (seq + 1 when full, 0 when free). */
static FP_ALWAYS_INLINE uint32_t send_floor(struct bench *b, const struct fp_event *e, uint32_t n)
{
	uint32_t i;
	for (i = 0; i < n; i++) {
		struct fp_event *s = &b->floor_slots[b->floor_prod_pos % CAPACITY];
		_Atomic uint64_t *flag = (_Atomic uint64_t *)&s->seq;
		if (atomic_load_explicit(flag, memory_order_acquire) != 0)
			break;
		memcpy((char *)s + 16, (const char *)&e[i] + 16, sizeof(*s) - 16);
		memcpy(s, &e[i], 8);
		atomic_store_explicit(flag, e[i].seq + 1, memory_order_release);
		b->floor_prod_pos++;
	}
	return i;
}

static FP_ALWAYS_INLINE uint32_t recv_floor(struct bench *b, struct fp_event *e, uint32_t n)
{
	uint32_t i;
	for (i = 0; i < n; i++) {
		struct fp_event *s = &b->floor_slots[b->floor_cons_pos % CAPACITY];
		_Atomic uint64_t *flag = (_Atomic uint64_t *)&s->seq;
		uint64_t f = atomic_load_explicit(flag, memory_order_acquire);
		if (f == 0)
			break;
		e[i] = *s;
		e[i].seq = f - 1;
		atomic_store_explicit(flag, 0, memory_order_release);
		b->floor_cons_pos++;
	}
	return i;
}

/* ---- the two loops, specialised per variant by inlining the constant send/recv ---- */

typedef uint32_t (*send_fn)(struct bench *, const struct fp_event *, uint32_t);
typedef uint32_t (*recv_fn)(struct bench *, struct fp_event *, uint32_t);

static void start_line(struct bench *b, int side)
{
	int rc = fp_cpu_pin_self(b->cores[side]);
	if (rc < 0)
		b->pin_rc = rc;
	atomic_fetch_add(&b->ready, 1);
	while (!atomic_load_explicit(&b->go, memory_order_acquire))
		fp_cpu_relax();
	/* Only now: spinning SCHED_FIFO threads would starve main() before the start. */
	if (b->fifo) {
		struct sched_param sp = {.sched_priority = 1};
		rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
		if (rc != 0)
			b->pin_rc = fp_err_set(-rc, "SCHED_FIFO refused: %s", strerror(rc));
	}
}

static FP_ALWAYS_INLINE void producer_loop(struct bench *b, send_fn send)
{
	struct fp_event evs[BURST_MAX];
	memset(evs, 0, sizeof(evs));
	for (unsigned i = 0; i < BURST_MAX; i++)
		evs[i].type = FP_EV_CONTROL;
	start_line(b, 0);
	if (b->mode == MODE_LAT) {
		uint64_t total = b->n + WARMUP;
		for (uint64_t i = 0; i < total; i++) {
			/* Acquire: pairs with the consumer's release of ack. */
			while (atomic_load_explicit(&b->ack, memory_order_acquire) < i)
				fp_cpu_relax();
			evs[0].seq = i;
			evs[0].t_rx = fp_tsc_now();
			while (send(b, evs, 1) == 0)
				fp_cpu_relax();
		}
		return;
	}
	uint64_t sent = 0;
	b->t_first = fp_tsc_now();
	while (sent < b->n) {
		uint32_t k = (uint32_t)FP_MIN((uint64_t)b->burst, b->n - sent);
		for (uint32_t i = 0; i < k; i++)
			evs[i].seq = sent + i;
		uint32_t done = 0;
		while (done < k) {
			uint32_t got = send(b, evs + done, k - done);
			if (got == 0)
				fp_cpu_relax();
			done += got;
		}
		sent += k;
	}
}

static FP_ALWAYS_INLINE void consumer_loop(struct bench *b, recv_fn recv)
{
	struct fp_event evs[BURST_MAX];
	start_line(b, 1);
	if (b->mode == MODE_LAT) {
		uint64_t total = b->n + WARMUP;
		for (uint64_t i = 0; i < total;) {
			if (recv(b, evs, 1) == 0) {
				fp_cpu_relax();
				continue;
			}
			/* Ordered: the stamp must not be taken before the event's load completes. */
			uint64_t now = fp_tsc_now_ordered();
			if (evs[0].seq != i)
				b->bad_seq++;
			if (i >= WARMUP)
				fp_hist_record(b->hist, now > evs[0].t_rx ? now - evs[0].t_rx : 0);
			i++;
			/* Release: pairs with the producer's acquire of ack. */
			atomic_store_explicit(&b->ack, i, memory_order_release);
		}
		return;
	}
	uint64_t want = 0;
	while (want < b->n) {
		uint32_t got = recv(b, evs, b->burst);
		if (got == 0) {
			fp_cpu_relax();
			continue;
		}
		for (uint32_t i = 0; i < got; i++)
			b->bad_seq += evs[i].seq != want++;
	}
	b->t_last = fp_tsc_now();
}

#define VARIANT_THREADS(name)                    \
	static void *prod_##name(void *arg)      \
	{                                        \
		producer_loop(arg, send_##name); \
		return NULL;                     \
	}                                        \
	static void *cons_##name(void *arg)      \
	{                                        \
		consumer_loop(arg, recv_##name); \
		return NULL;                     \
	}
VARIANT_THREADS(fastpath)
VARIANT_THREADS(rte)
VARIANT_THREADS(wfc)
VARIANT_THREADS(pipe)
VARIANT_THREADS(floor)

static const struct variant {
	const char *name;
	void *(*prod)(void *);
	void *(*cons)(void *);
} variants[NB_VARIANTS] = {
	{"fastpath", prod_fastpath, cons_fastpath}, {"rte_ring", prod_rte, cons_rte},
	{"wfcqueue", prod_wfc, cons_wfc},           {"pipe", prod_pipe, cons_pipe},
	{"floor", prod_floor, cons_floor},
};

/* Try pinning a throwaway thread to each core first: a bad --cores is an error up front. */
struct pin_probe {
	int core;
	int rc;
	char msg[FP_ERR_MSG_MAX];
};

static void *pin_probe_thread(void *arg)
{
	struct pin_probe *p = arg;
	p->rc = fp_cpu_pin_self(p->core);
	if (p->rc < 0)
		snprintf(p->msg, sizeof(p->msg), "%s", fp_err_msg());
	return NULL;
}

static int check_cores(const struct bench *b)
{
	for (int side = 0; side < 2; side++) {
		struct pin_probe p = {.core = b->cores[side]};
		pthread_t t;
		if (pthread_create(&t, NULL, pin_probe_thread, &p) != 0)
			return -1;
		pthread_join(t, NULL);
		if (p.rc < 0) {
			fprintf(stderr, "fastpath-bench ring: %s\n", p.msg);
			return -1;
		}
	}
	return 0;
}

/* Fresh queues for one measurement (so no run inherits another's cache state). */
static int queues_reset(struct bench *b, int v)
{
	if (v == 0 && fp_ring_init(b->ring, CAPACITY, "bench") < 0)
		return -1;
	if (v == 1)
		rte_ring_reset(b->rte);
	if (v == 2) {
		__cds_wfcq_init(&b->wfc_head, &b->wfc_tail);
		b->wfc_produced = b->wfc_consumed_cache = 0;
		atomic_store(&b->wfc_consumed, 0);
	}
	if (v == 4) {
		memset(b->floor_slots, 0, CAPACITY * sizeof(struct fp_event));
		b->floor_prod_pos = b->floor_cons_pos = 0;
	}
	atomic_store(&b->ack, 0);
	atomic_store(&b->ready, 0);
	atomic_store(&b->go, 0);
	b->bad_seq = 0;
	b->pin_rc = 0;
	fp_hist_reset(b->hist);
	return 0;
}

static int run_one(struct bench *b, int v, enum mode mode, uint32_t burst, uint64_t n)
{
	b->mode = mode;
	b->burst = burst;
	b->n = n;
	if (queues_reset(b, v) < 0)
		return -1;
	pthread_t tp, tc;
	if (pthread_create(&tc, NULL, variants[v].cons, b) != 0)
		return -1;
	if (pthread_create(&tp, NULL, variants[v].prod, b) != 0) {
		pthread_cancel(tc);
		return -1;
	}
	while (atomic_load(&b->ready) < 2)
		usleep(100);
	atomic_store_explicit(&b->go, 1, memory_order_release);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_join(tp, NULL);
	pthread_join(tc, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (b->verbose)
		fprintf(stderr, "  %-9s %s burst %2u: %" PRIu64 " in %.3f s\n", variants[v].name,
			mode == MODE_LAT ? "latency   " : "throughput", burst, n,
			(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9);
	if (b->pin_rc < 0) {
		fprintf(stderr, "fastpath-bench ring: %s\n", fp_err_msg());
		return -1;
	}
	if (b->bad_seq) {
		fprintf(stderr, "fastpath-bench ring: %s lost or reordered %" PRIu64 " events\n",
			variants[v].name, b->bad_seq);
		return -1;
	}
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fastpath-bench ring [--json] [--cores P,C] [--samples N] [--events N]\n"
		"                           [--rounds R] [--variants A,B] [--fifo] [--verbose]\n"
		"  --cores P,C   producer and consumer cores (default 0,1)\n"
		"  --samples N   latency samples per variant and round (default 50000; pipe N/4)\n"
		"  --events N    events per throughput run (default 10000000; pipe N/5)\n"
		"  --rounds R    rounds, each running every variant; figures are medians over\n"
		"                the rounds (default 3)\n"
		"  --fifo        run the two threads SCHED_FIFO (priority 1; the kernel's RT\n"
		"                throttling still leaves 5%% to others): stable figures on a\n"
		"                machine shared with other work; keep such runs short\n"
		"  --variants L  comma list of fastpath,rte_ring,wfcqueue,pipe,floor (default "
		"all;\n"
		"                the ratio_* keys need fastpath and rte_ring)\n"
		"  --verbose     print the duration of each measurement on stderr\n"
		"  --json        one JSON object (design.md §12) instead of a table\n"
		"Measures %s.\n",
		fp_bench_ring_summary);
}

static int eal_up(int core)
{
	char lcore[16];
	snprintf(lcore, sizeof(lcore), "%d", core);
	char *eal_argv[] = {
		"fastpath-bench",    "--no-huge", "--no-pci", "--no-shconf",    "-m", "256",
		"--log-level=error", "-l",        lcore,      "--no-telemetry", NULL};
	int eal_argc = (int)FP_ARRAY_SIZE(eal_argv) - 1;
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "fastpath-bench ring: DPDK EAL init failed: %s\n",
			rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static int bench_run(struct bench *b, bool json, uint64_t samples, uint64_t events, unsigned rounds,
		     unsigned selected);

int fp_bench_ring(int argc, char **argv)
{
	bool json = fp_bench_want_json(argc, argv);
	struct bench opt = {.cores = {0, 1}}; /* the options, copied into the shared block */
	struct bench *b = &opt;
	uint64_t samples = 50000, events = 10000000;
	unsigned rounds = 3, selected = (1u << NB_VARIANTS) - 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--cores") && i + 1 < argc) {
			if (sscanf(argv[++i], "%d,%d", &b->cores[0], &b->cores[1]) != 2 ||
			    b->cores[0] == b->cores[1]) {
				fprintf(stderr, "fastpath-bench ring: --cores wants two different "
						"cores, e.g. 0,1\n");
				return 2;
			}
		} else if (!strcmp(argv[i], "--samples") && i + 1 < argc) {
			uint64_t v_;
			if (fp_bench_opt_u64("ring", argv[i], argv[i + 1], UINT64_MAX, &v_) < 0)
				return 2;
			samples = v_;
			i++;
		} else if (!strcmp(argv[i], "--variants") && i + 1 < argc) {
			selected = 0;
			char list[256];
			snprintf(list, sizeof(list), "%s", argv[++i]);
			for (char *save, *t = strtok_r(list, ",", &save); t;
			     t = strtok_r(NULL, ",", &save)) {
				int v = 0;
				while (v < NB_VARIANTS && strcmp(variants[v].name, t))
					v++;
				if (v == NB_VARIANTS) {
					fprintf(stderr,
						"fastpath-bench ring: unknown variant '%s'\n", t);
					return 2;
				}
				selected |= 1u << v;
			}
		} else if (!strcmp(argv[i], "--verbose")) {
			b->verbose = 1;
		} else if (!strcmp(argv[i], "--fifo")) {
			b->fifo = 1;
		} else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) {
			uint64_t v_;
			if (fp_bench_opt_u64("ring", argv[i], argv[i + 1], UINT32_MAX, &v_) < 0)
				return 2;
			rounds = (unsigned)v_;
			i++;
		} else if (!strcmp(argv[i], "--events") && i + 1 < argc) {
			uint64_t v_;
			if (fp_bench_opt_u64("ring", argv[i], argv[i + 1], UINT64_MAX, &v_) < 0)
				return 2;
			events = v_;
			i++;
		} else if (strcmp(argv[i], "--json") && strcmp(argv[i], "ring")) {
			fprintf(stderr, "fastpath-bench ring: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (samples < 1000 || events < 1000 || rounds < 1 || rounds > ROUNDS_MAX) {
		fprintf(stderr,
			"fastpath-bench ring: --samples and --events must be >= 1000, "
			"--rounds 1..%d\n",
			ROUNDS_MAX);
		return 2;
	}

	b = aligned_alloc(64, FP_ALIGN_UP(sizeof(struct bench), 64));
	if (b == NULL)
		return 1;
	memcpy(b, &opt, sizeof(opt));
	int rc = bench_run(b, json, samples, events, rounds, selected);
	free(b);
	return rc;
}

/* Everything after the options; @p b is freed by the caller. */
static int bench_run(struct bench *b, bool json, uint64_t samples, uint64_t events, unsigned rounds,
		     unsigned selected)
{
	if (check_cores(b) < 0)
		return 2;
	uint64_t hz;
	struct fp_tsc_conv conv;
	if (fp_tsc_calibrate(&hz) < 0 || fp_tsc_conv_init(&conv, hz) < 0) {
		fprintf(stderr, "fastpath-bench ring: %s\n", fp_err_msg());
		return 1;
	}
	if (eal_up(b->cores[0]) < 0)
		return 1;
	b->ring = aligned_alloc(64, fp_ring_memsize(CAPACITY));
	b->rte = rte_ring_create_elem("fp_bench_ring", sizeof(struct fp_event), CAPACITY,
				      SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	b->wfc_pool = aligned_alloc(64, CAPACITY * sizeof(struct wfc_node));
	b->floor_slots = aligned_alloc(64, CAPACITY * sizeof(struct fp_event));
	b->hist = aligned_alloc(64, FP_HIST_SIZE);
	if (!b->ring || !b->rte || !b->wfc_pool || !b->floor_slots || !b->hist ||
	    pipe(b->pipefd) != 0) {
		fprintf(stderr, "fastpath-bench ring: setup failed: %s\n",
			b->rte ? strerror(errno) : rte_strerror(rte_errno));
		return 1;
	}
	fcntl(b->pipefd[1], F_SETPIPE_SZ, CAPACITY * (int)sizeof(struct fp_event));
	fp_hist_init(b->hist);

	/* Rounds: every variant once per round, so slow phases of a shared machine hit them
	 * all alike; each figure is the median over the rounds. */
	enum { M_P50, M_P99, M_P999, M_MAX, M_B1, M_B32, NB_M };
	static const char *const mnames[NB_M] = {"p50_ns", "p99_ns",          "p999_ns",
						 "max_ns", "b1_events_per_s", "b32_events_per_s"};
	double m[NB_M][NB_VARIANTS][ROUNDS_MAX];
	for (unsigned r = 0; r < rounds; r++) {
		for (int v = 0; v < NB_VARIANTS; v++) {
			if (!(selected & (1u << v)))
				continue;
			uint64_t ns = v == 3 ? samples / 4 : samples;
			if (run_one(b, v, MODE_LAT, 1, ns) < 0)
				return 1;
			m[M_P50][v][r] =
				(double)fp_tsc_to_ns(&conv, fp_hist_percentile(b->hist, 0.5));
			m[M_P99][v][r] =
				(double)fp_tsc_to_ns(&conv, fp_hist_percentile(b->hist, 0.99));
			m[M_P999][v][r] =
				(double)fp_tsc_to_ns(&conv, fp_hist_percentile(b->hist, 0.999));
			m[M_MAX][v][r] = (double)fp_tsc_to_ns(&conv, fp_hist_max(b->hist));
			for (int k = 0; k < 2; k++) {
				uint64_t ne = v == 3 ? events / 5 : events;
				if (run_one(b, v, MODE_THR, k ? 32 : 1, ne) < 0)
					return 1;
				double sec = (double)(b->t_last - b->t_first) / (double)hz;
				m[k ? M_B32 : M_B1][v][r] = (double)ne / sec;
			}
		}
	}
	struct fp_bench_result res[NB_VARIANTS];
	memset(res, 0, sizeof(res));
	unsigned nb_res = 0;
	int idx[NB_VARIANTS] = {-1, -1, -1, -1, -1};
	for (int v = 0; v < NB_VARIANTS; v++) {
		if (!(selected & (1u << v)))
			continue;
		idx[v] = (int)nb_res;
		res[nb_res].name = variants[v].name;
		for (int k = 0; k < NB_M; k++)
			fp_bench_metric(&res[nb_res], mnames[k], median(m[k][v], rounds));
		nb_res++;
	}
	struct fp_bench_result extra = {.name = "ratios"};
	static const char *const keys[] = {"p50_ns", "p99_ns", "p999_ns", "b1_events_per_s",
					   "b32_events_per_s"};
	static const char *const rkeys[] = {"ratio_p50_ns", "ratio_p99_ns", "ratio_p999_ns",
					    "ratio_b1_events_per_s", "ratio_b32_events_per_s"};
	for (unsigned k = 0; idx[0] >= 0 && idx[1] >= 0 && k < FP_ARRAY_SIZE(keys); k++)
		fp_bench_metric(&extra, rkeys[k],
				fp_bench_get(&res[idx[0]], keys[k], 0) /
					fp_bench_get(&res[idx[1]], keys[k], 1));
	fp_bench_report(stdout, "ring", json, res, nb_res, &extra);

	rte_ring_free(b->rte);
	close(b->pipefd[0]);
	close(b->pipefd[1]);
	free(b->ring);
	free(b->wfc_pool);
	free(b->floor_slots);
	free(b->hist);
	rte_eal_cleanup();
	return 0;
}
