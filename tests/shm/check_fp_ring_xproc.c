/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_ring_xproc.c - cross-process stress of the SPSC ring on a real segment.
 *
 * The test creates an instance segment with one ring region and a result region, then
 * forks a producer process and a consumer process that each attach to the segment by name
 * (their own mappings, at their own addresses). The producer sends 50 M events (5 M under
 * the sanitizers, FP_SANITIZE=1; FP_RING_STRESS_EVENTS overrides) through every producer
 * flavour (burst, bulk, reserve/commit) with varying batch sizes; each event carries its
 * sequence number, the running checksum of all sequence numbers before it, and a payload
 * derived from both. The consumer drains with dequeue_burst and peek/release and checks
 * every event: sequence = expected (nothing lost, duplicated or reordered), checksum =
 * its own running checksum, payload intact (no torn slot). Both processes write their
 * totals into the result region; the parent compares them.
 *
 * Waiting sides spin briefly, then yield: the test machines are oversubscribed.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fp_err.h"
#include "fp_ring.h"
#include "fp_shm.h"

#define RING_CAPACITY 4096

struct stress_result {
	_Atomic uint64_t produced;
	_Atomic uint64_t consumed;
	_Atomic uint64_t bad_seq;
	_Atomic uint64_t bad_sum;
	_Atomic uint64_t bad_payload;
	_Atomic uint64_t first_bad_seq; /* expected seq at the first error, + 1 */
	uint64_t prod_sum;              /* producer's final checksum */
	uint64_t cons_sum;              /* consumer's final checksum */
};

static uint64_t nb_events(void)
{
	const char *n = getenv("FP_RING_STRESS_EVENTS");
	if (n && *n)
		return strtoull(n, NULL, 10);
	const char *san = getenv("FP_SANITIZE");
	return san && san[0] == '1' ? 5000000 : 50000000;
}

static inline uint64_t sum_next(uint64_t sum, uint64_t seq)
{
	return (sum ^ seq) * UINT64_C(0x100000001b3) + 1;
}

static inline void ev_fill(struct fp_event *ev, uint64_t seq, uint64_t sum)
{
	ev->type = FP_EV_CONTROL;
	ev->seq = seq;
	ev->t_rx = sum;
	ev->u.control.value = seq ^ sum;
	ev->u.control.command = (uint32_t)seq;
	ev->u.control.arg = (uint32_t)(sum >> 32);
}

static inline int ev_payload_ok(const struct fp_event *ev)
{
	return ev->type == FP_EV_CONTROL && ev->u.control.value == (ev->seq ^ ev->t_rx) &&
	       ev->u.control.command == (uint32_t)ev->seq &&
	       ev->u.control.arg == (uint32_t)(ev->t_rx >> 32);
}

static void wait_a_bit(unsigned *idle)
{
	if (++*idle < 128)
		fp_cpu_relax();
	else
		sched_yield();
}

static int attach(const char *instance, struct fp_shm *seg, struct fp_ring **r,
		  struct stress_result **res)
{
	struct fp_shm_opts o = {.instance = instance};
	uint64_t size;
	if (fp_shm_attach(seg, &o) != 0)
		return -1;
	*r = fp_shm_region(seg, "ring", &size);
	*res = fp_shm_region(seg, "result", NULL);
	return *r && *res && fp_ring_check(*r, size) == 0 ? 0 : -1;
}

static void producer(const char *instance, uint64_t n)
{
	struct fp_shm seg;
	struct fp_ring *r;
	struct stress_result *res;
	if (attach(instance, &seg, &r, &res) != 0)
		_exit(10);
	struct fp_event evs[64];
	uint64_t seq = 0, sum = 0;
	unsigned k = 0, idle = 0;
	while (seq < n) {
		uint32_t want = (uint32_t)FP_MIN(n - seq, (uint64_t)((k * 7) % 64) + 1), got;
		switch (k++ % 3) {
		case 0:
		case 1: {
			uint64_t s = sum;
			for (uint32_t i = 0; i < want; i++) {
				ev_fill(&evs[i], seq + i, s);
				s = sum_next(s, seq + i);
			}
			got = (k % 3 == 1) ? fp_ring_enqueue_burst(r, evs, want)
					   : fp_ring_enqueue_bulk(r, evs, want);
			break;
		}
		default: {
			struct fp_event *w = fp_ring_reserve(r, want, &got);
			uint64_t s = sum;
			for (uint32_t i = 0; i < got; i++) {
				ev_fill(&w[i], seq + i, s);
				s = sum_next(s, seq + i);
			}
			fp_ring_commit(r, got);
		}
		}
		for (uint32_t i = 0; i < got; i++)
			sum = sum_next(sum, seq + i);
		seq += got;
		if (got == 0)
			wait_a_bit(&idle);
		else
			idle = 0;
	}
	res->prod_sum = sum;
	atomic_store(&res->produced, seq);
	fp_shm_detach(&seg);
	_exit(0);
}

static void check_ev(struct stress_result *res, const struct fp_event *ev, uint64_t *want,
		     uint64_t *sum)
{
	if (fp_unlikely(ev->seq != *want)) {
		if (atomic_fetch_add(&res->bad_seq, 1) == 0)
			atomic_store(&res->first_bad_seq, *want + 1);
		*want = ev->seq; /* resynchronise, keep counting */
	}
	if (fp_unlikely(ev->t_rx != *sum))
		atomic_fetch_add(&res->bad_sum, 1);
	if (fp_unlikely(!ev_payload_ok(ev)))
		atomic_fetch_add(&res->bad_payload, 1);
	*sum = sum_next(*sum, ev->seq);
	(*want)++;
}

static void consumer(const char *instance, uint64_t n)
{
	struct fp_shm seg;
	struct fp_ring *r;
	struct stress_result *res;
	if (attach(instance, &seg, &r, &res) != 0)
		_exit(11);
	struct fp_event evs[64];
	uint64_t want = 0, sum = 0, count = 0;
	unsigned k = 0, idle = 0;
	while (count < n) {
		uint32_t got;
		uint32_t max = (k * 5) % 64 + 1;
		if (k++ & 1) {
			got = fp_ring_dequeue_burst(r, evs, max);
			for (uint32_t i = 0; i < got; i++)
				check_ev(res, &evs[i], &want, &sum);
		} else {
			const struct fp_event *p = fp_ring_peek(r, max, &got);
			for (uint32_t i = 0; i < got; i++)
				check_ev(res, &p[i], &want, &sum);
			fp_ring_release(r, got);
		}
		count += got;
		if (got == 0)
			wait_a_bit(&idle);
		else
			idle = 0;
	}
	/* nothing beyond n: a duplicate at the end would show up here */
	for (int i = 0; i < 1000; i++)
		count += fp_ring_dequeue_burst(r, evs, 64);
	res->cons_sum = sum;
	atomic_store(&res->consumed, count);
	fp_shm_detach(&seg);
	_exit(0);
}

START_TEST(test_ring_across_processes_loses_nothing)
{
	const uint64_t n = nb_events();
	char instance[64];
	snprintf(instance, sizeof(instance), "check-xproc-%d", (int)getpid());
	struct fp_shm_region_spec regions[] = {
		{"ring", fp_ring_memsize(RING_CAPACITY), FP_RING_VERSION},
		{"result", sizeof(struct stress_result), 1},
	};
	struct fp_shm_opts o = {.instance = instance,
				.regions = regions,
				.nb_regions = 2,
				.tsc_hz = 1000000000u,
				.hugepages = FP_SHM_HUGE_OFF};
	struct fp_shm seg;
	ck_assert_msg(fp_shm_create(&seg, &o) == 0, "%s", fp_err_msg());
	ck_assert_int_eq(fp_ring_init(fp_shm_region(&seg, "ring", NULL), RING_CAPACITY, "xproc"),
			 0);
	struct stress_result *res = fp_shm_region(&seg, "result", NULL);
	fp_shm_set_state(&seg, FP_SHM_STATE_READY);

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pc = fork();
	ck_assert_int_ge(pc, 0);
	if (pc == 0)
		consumer(instance, n);
	pid_t pp = fork();
	ck_assert_int_ge(pp, 0);
	if (pp == 0)
		producer(instance, n);
	int st_p, st_c;
	ck_assert_int_eq(waitpid(pp, &st_p, 0), pp);
	ck_assert_int_eq(waitpid(pc, &st_c, 0), pc);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
	fprintf(stderr, "%" PRIu64 " events across processes in %.2f s (%.1f M events/s)\n", n, s,
		(double)n / s / 1e6);
	ck_assert_msg(WIFEXITED(st_p) && WEXITSTATUS(st_p) == 0, "producer status 0x%x", st_p);
	ck_assert_msg(WIFEXITED(st_c) && WEXITSTATUS(st_c) == 0, "consumer status 0x%x", st_c);
	struct fp_ring *r = fp_shm_region(&seg, "ring", NULL);
	if (res->bad_seq || res->bad_sum || res->bad_payload || res->consumed != n)
		fp_ring_dump(stderr, r);
	ck_assert_msg(res->bad_seq == 0, "%" PRIu64 " events out of sequence, first at %" PRIu64,
		      res->bad_seq, res->first_bad_seq - 1);
	ck_assert_msg(res->bad_sum == 0, "%" PRIu64 " checksum mismatches", res->bad_sum);
	ck_assert_msg(res->bad_payload == 0, "%" PRIu64 " torn payloads", res->bad_payload);
	ck_assert_uint_eq(res->produced, n);
	ck_assert_uint_eq(res->consumed, n);
	ck_assert_uint_eq(res->prod_sum, res->cons_sum);
	ck_assert_uint_eq(fp_ring_count(r), 0);
	fp_shm_destroy(&seg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_ring_xproc");
	TCase *tc = tcase_create("stress");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_ring_across_processes_loses_nothing);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
