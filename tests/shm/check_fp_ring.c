/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_ring.c - the SPSC event ring (shm/fp_ring.h).
 *
 * Covers, one TCase per family:
 *  - negative: zero, non-power-of-two and too large capacities refused, long names refused,
 *    misaligned memory refused, fp_ring_check() on a foreign or other-version header;
 *  - single thread: empty, full, bulk all-or-nothing, burst partial, batch sizes 1..capacity,
 *    reserve/commit and peek/release in place, count and capacity;
 *  - wrap: positions set directly just before the slot-array end and just before 2^64;
 *  - model: random operation sequences against a plain array model (seed = loop index,
 *    printed on failure);
 *  - no syscall: produce/consume run inside seccomp strict mode (only read, write, _exit and
 *    sigreturn allowed; anything else is SIGKILL), plus a control proving the check bites;
 *  - slot bit: the full bit (FP_RING_SLOT_FULL) set on publish, never shown to the consumer,
 *    cleared before a slot goes back (every flag kept); a slot written in place, whole or
 *    leaving its old type, reads empty until commit;
 *  - crash: a producer killed inside a commit (every prefix of its bits; the successor
 *    starting with enqueue or with fp_ring_room/fp_ring_slot), a consumer killed
 *    between peek and release or between seeing and clearing bits, and a producer process
 *    killed with SIGKILL while producing, its successor going on in the same ring;
 *  - concurrent: a producer and a consumer thread, every API flavour, sequence checked.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fp_err.h"
#include "fp_ring.h"

static struct fp_ring *ring_new(uint32_t capacity)
{
	size_t bytes = fp_ring_memsize(capacity);
	ck_assert_uint_gt(bytes, 0);
	struct fp_ring *r = aligned_alloc(FP_CACHE_LINE, bytes);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(fp_ring_init(r, capacity, "test"), 0);
	return r;
}

/* Start both sides at position @p pos, as if pos events had gone through (Aeron's tests). */
static void ring_set_pos(struct fp_ring *r, uint64_t pos)
{
	atomic_store(&r->prod.tail, pos);
	atomic_store(&r->prod.pending, pos);
	atomic_store(&r->cons.head, pos);
	atomic_store(&r->cons.ready, pos);
	r->prod.head_cache = pos;
}

static void ev_make(struct fp_event *ev, uint64_t seq)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = FP_EV_CONTROL;
	ev->seq = seq;
	ev->t_rx = ~seq;
	memset(ev->u.raw, (int)(seq & 0xff), sizeof(ev->u.raw));
}

static bool ev_is(const struct fp_event *ev, uint64_t seq)
{
	struct fp_event want;
	ev_make(&want, seq);
	return memcmp(ev, &want, sizeof(want)) == 0;
}

/* ---- negative ---- */

START_TEST(test_ring_rejects_bad_capacity)
{
	static const uint32_t bad[] = {0, 3, 6, 100, 1000, (1u << 31) + 1, 0xffffffffu};
	struct fp_ring *r = aligned_alloc(FP_CACHE_LINE, fp_ring_memsize(8));
	for (size_t i = 0; i < FP_ARRAY_SIZE(bad); i++) {
		ck_assert_msg(fp_ring_memsize(bad[i]) == 0, "memsize(%u) must be 0", bad[i]);
		ck_assert_msg(fp_ring_init(r, bad[i], "bad") == -EINVAL, "init(%u) must fail",
			      bad[i]);
		ck_assert_msg(strstr(fp_err_msg(), "power of 2") != NULL, "message: %s",
			      fp_err_msg());
	}
	ck_assert_uint_eq(fp_ring_memsize(1), sizeof(struct fp_ring) + 64);
	ck_assert_uint_eq(fp_ring_memsize(1u << 31), sizeof(struct fp_ring) + (64ull << 31));
	free(r);
}
END_TEST

START_TEST(test_ring_rejects_long_name_and_misaligned_memory)
{
	struct fp_ring *r = aligned_alloc(FP_CACHE_LINE, fp_ring_memsize(8) + FP_CACHE_LINE);
	ck_assert_int_eq(fp_ring_init(r, 8, "0123456789012345678901234567890123"), -EINVAL);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "longer than 31"));
	ck_assert_int_eq(fp_ring_init((struct fp_ring *)((char *)r + 8), 8, "x"), -EINVAL);
	ck_assert_int_eq(fp_ring_init(NULL, 8, "x"), -EINVAL);
	ck_assert_int_eq(fp_ring_init(r, 8, NULL), 0);
	free(r);
}
END_TEST

START_TEST(test_ring_check_refuses_foreign_and_other_version)
{
	struct fp_ring *r = ring_new(16);
	ck_assert_int_eq(fp_ring_check(r, fp_ring_memsize(16)), 0);
	ck_assert_int_eq(fp_ring_check(r, fp_ring_memsize(8)), -EINVAL);
	r->hdr.version = FP_RING_VERSION + 1;
	ck_assert_int_eq(fp_ring_check(r, 0), -EPROTO);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "layout version"));
	r->hdr.version = FP_RING_VERSION;
	r->hdr.magic = 0;
	ck_assert_int_eq(fp_ring_check(r, 0), -EPROTO);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "not a fastpath ring"));
	free(r);
}
END_TEST

/* ---- single thread ---- */

START_TEST(test_ring_starts_empty)
{
	struct fp_ring *r = ring_new(8);
	struct fp_event ev;
	uint32_t nb = 99;
	ck_assert_uint_eq(fp_ring_count(r), 0);
	ck_assert_uint_eq(fp_ring_capacity(r), 8);
	ck_assert_str_eq(fp_ring_name(r), "test");
	ck_assert_uint_eq(fp_ring_dequeue_burst(r, &ev, 1), 0);
	ck_assert_ptr_null(fp_ring_peek(r, 4, &nb));
	ck_assert_uint_eq(nb, 0);
	free(r);
}
END_TEST

START_TEST(test_ring_rejects_write_when_full)
{
	struct fp_ring *r = ring_new(8);
	struct fp_event evs[9];
	for (int i = 0; i < 9; i++)
		ev_make(&evs[i], (uint64_t)i);
	ck_assert_uint_eq(fp_ring_enqueue_burst(r, evs, 9), 8); /* every slot usable */
	ck_assert_uint_eq(fp_ring_count(r), 8);
	ck_assert_uint_eq(fp_ring_enqueue_burst(r, &evs[8], 1), 0);
	ck_assert_uint_eq(fp_ring_enqueue_bulk(r, &evs[8], 1), 0);
	uint32_t nb = 99;
	ck_assert_ptr_null(fp_ring_reserve(r, 1, &nb));
	ck_assert_uint_eq(nb, 0);
	struct fp_event out;
	ck_assert_uint_eq(fp_ring_dequeue_burst(r, &out, 1), 1);
	ck_assert(ev_is(&out, 0));
	ck_assert_uint_eq(fp_ring_enqueue_bulk(r, &evs[8], 1), 1);
	for (uint64_t i = 1; i <= 8; i++) {
		ck_assert_uint_eq(fp_ring_dequeue_burst(r, &out, 1), 1);
		ck_assert_msg(ev_is(&out, i), "event %" PRIu64 " wrong", i);
	}
	free(r);
}
END_TEST

START_TEST(test_ring_bulk_is_all_or_nothing)
{
	struct fp_ring *r = ring_new(16);
	struct fp_event evs[16];
	for (int i = 0; i < 16; i++)
		ev_make(&evs[i], (uint64_t)i);
	ck_assert_uint_eq(fp_ring_enqueue_bulk(r, evs, 10), 10);
	ck_assert_uint_eq(fp_ring_enqueue_bulk(r, evs, 7), 0);
	ck_assert_uint_eq(fp_ring_count(r), 10);
	ck_assert_uint_eq(fp_ring_enqueue_bulk(r, evs, 6), 6);
	ck_assert_uint_eq(fp_ring_count(r), 16);
	free(r);
}
END_TEST

/* Every batch size 1..capacity through every flavour, across several laps. */
START_TEST(test_ring_moves_every_batch_size)
{
	enum { CAP = 32 };
	struct fp_ring *r = ring_new(CAP);
	struct fp_event in[CAP], out[CAP];
	uint64_t seq_in = 0, seq_out = 0;
	for (uint32_t n = 1; n <= CAP; n++) {
		for (int lap = 0; lap < 3; lap++) {
			for (uint32_t i = 0; i < n; i++)
				ev_make(&in[i], seq_in + i);
			uint32_t got = lap == 0 ? fp_ring_enqueue_bulk(r, in, n)
						: fp_ring_enqueue_burst(r, in, n);
			ck_assert_msg(got == n, "n=%u lap=%d enqueued %u", n, lap, got);
			seq_in += n;
			if (lap == 2) {
				uint32_t done = 0;
				while (done < n) { /* peek runs stop at the wrap point */
					uint32_t nb;
					const struct fp_event *p = fp_ring_peek(r, n - done, &nb);
					ck_assert_ptr_nonnull(p);
					for (uint32_t i = 0; i < nb; i++)
						ck_assert(ev_is(&p[i], seq_out++));
					fp_ring_release(r, nb);
					done += nb;
				}
			} else {
				uint32_t done = 0;
				while (done < n)
					done += fp_ring_dequeue_burst(r, out + done, n - done);
				for (uint32_t i = 0; i < n; i++)
					ck_assert_msg(ev_is(&out[i], seq_out++), "n=%u lap=%d i=%u",
						      n, lap, i);
			}
			ck_assert_uint_eq(fp_ring_count(r), 0);
		}
	}
	free(r);
}
END_TEST

START_TEST(test_ring_reserve_commit_in_place)
{
	struct fp_ring *r = ring_new(8);
	uint32_t nb;
	struct fp_event *w = fp_ring_reserve(r, 5, &nb);
	ck_assert_ptr_nonnull(w);
	ck_assert_uint_eq(nb, 5);
	for (uint32_t i = 0; i < nb; i++)
		ev_make(&w[i], 100 + i);
	ck_assert_uint_eq(fp_ring_count(r), 0); /* invisible until commit */
	fp_ring_commit(r, 3);                   /* commit part of the reservation */
	ck_assert_uint_eq(fp_ring_count(r), 3);
	const struct fp_event *p = fp_ring_peek(r, 8, &nb);
	ck_assert_uint_eq(nb, 3);
	ck_assert(ev_is(&p[0], 100) && ev_is(&p[2], 102));
	fp_ring_release(r, 1);
	ck_assert_uint_eq(fp_ring_count(r), 2);
	p = fp_ring_peek(r, 8, &nb);
	ck_assert_uint_eq(nb, 2);
	ck_assert(ev_is(&p[0], 101));
	ck_assert_uint_eq(fp_ring_reserve(r, 0, &nb) == NULL && nb == 0, 1);
	free(r);
}
END_TEST

/* ---- slot bit ---- */

START_TEST(test_ring_slot_bit_marks_full_and_never_shows)
{
	struct fp_ring *r = ring_new(4);
	struct fp_event ev, out;
	uint32_t nb;
	for (uint64_t pos = 0; pos < 16; pos++) {
		ev_make(&ev, pos);
		ev.flags = 0xff; /* every flag bit survives the ring's bit beside them */
		ck_assert_uint_eq(fp_ring_enqueue_burst(r, &ev, 1), 1);
		ck_assert_uint_eq(r->slots[pos & 3].type, FP_EV_CONTROL | FP_RING_SLOT_FULL);
		ck_assert_uint_eq(r->slots[(pos + 1) & 3].type & FP_RING_SLOT_FULL, 0);
		if (pos % 2) {
			const struct fp_event *p = fp_ring_peek(r, 4, &nb);
			ck_assert_uint_eq(nb, 1);
			ck_assert(memcmp(p, &ev, sizeof(ev)) == 0); /* cleared in place */
			fp_ring_release(r, 1);
		} else {
			ck_assert_uint_eq(fp_ring_dequeue_burst(r, &out, 1), 1);
			ck_assert(memcmp(&out, &ev, sizeof(ev)) == 0);
		}
		/* cleared before the slot goes back */
		ck_assert_uint_eq(r->slots[pos & 3].type, FP_EV_CONTROL);
		ck_assert_uint_eq(fp_ring_dequeue_burst(r, &out, 1), 0);
	}
	/* A caller's event with bit 7 in its type (a contract breach) still publishes whole. */
	ev_make(&ev, 99);
	ev.type |= FP_RING_SLOT_FULL;
	ck_assert_uint_eq(fp_ring_enqueue_burst(r, &ev, 1), 1);
	ck_assert_uint_eq(fp_ring_dequeue_burst(r, &out, 1), 1);
	ck_assert(ev_is(&out, 99));
	free(r);
}
END_TEST

START_TEST(test_ring_reserved_slot_reads_empty_until_commit)
{
	struct fp_ring *r = ring_new(4);
	struct fp_event out[4];
	uint32_t nb;
	for (uint64_t lap = 0; lap < 6; lap++) { /* every slot again holds an old event */
		struct fp_event *w = fp_ring_reserve(r, 4, &nb);
		ck_assert_uint_eq(nb, 4);
		for (uint32_t i = 0; i < 4; i++) {
			uint32_t seen;
			if (lap % 3 == 2) /* a fill that leaves type and flags as they were */
				w[i].seq = lap * 4 + i;
			else
				ev_make(&w[i], lap * 4 + i);
			ck_assert_ptr_null(fp_ring_peek(r, 4, &seen));
			ck_assert_uint_eq(fp_ring_count(r), 0);
		}
		fp_ring_commit(r, 4);
		if (lap % 2) { /* peek clears the bits in place, dequeue too: both before a lap */
			const struct fp_event *p = fp_ring_peek(r, 4, &nb);
			ck_assert_uint_eq(nb, 4);
			for (uint32_t i = 0; i < 4; i++)
				ck_assert(p[i].seq == lap * 4 + i && p[i].type == FP_EV_CONTROL);
			fp_ring_release(r, 4);
		} else {
			ck_assert_uint_eq(fp_ring_dequeue_burst(r, out, 4), 4);
			for (uint32_t i = 0; i < 4; i++)
				ck_assert(out[i].seq == lap * 4 + i &&
					  out[i].type == FP_EV_CONTROL);
		}
	}
	free(r);
}
END_TEST

/* ---- crash ---- */

/* A slot as the consumer leaves it: the event of position @p pos, its full bit cleared. */
static void slot_set_prev_lap(struct fp_ring *r, uint64_t pos)
{
	ev_make(&r->slots[pos & r->hdr.mask], pos);
}

/* What a producer killed inside fp_ring_commit(r, n) leaves: pending stored, the bits of the
 * first @p bits slots set (a commit sets them in order), tail not stored. */
static void commit_killed_after(struct fp_ring *r, uint32_t n, uint32_t bits)
{
	uint64_t tail = atomic_load(&r->prod.tail);
	atomic_store(&r->prod.pending, tail + n);
	for (uint32_t i = 0; i < bits; i++) {
		r->slots[(tail + i) & r->hdr.mask].type |= FP_RING_SLOT_FULL;
	}
}

START_TEST(test_ring_producer_killed_inside_commit)
{
	/* _i: how many of the 4 bits were set (0..4), whether the consumer took the published
	 * prefix before the restarted producer's first call, and where (a lap boundary near or
	 * not). */
	const uint32_t bits = (uint32_t)_i % 5;
	const bool consumed_first = _i % 10 >= 5;
	const uint64_t start = _i % 20 >= 10 ? 16 * 3 - 2 : 16 * 6 + 5; /* mid-lap; lap start */
	const bool via_slot = _i >= 20; /* the successor starts with fp_ring_room/_slot */
	struct fp_ring *r = ring_new(16);
	ring_set_pos(r, start);
	struct fp_event ev[4], out[16];
	uint32_t nb;
	for (uint32_t i = 0; i < 2; i++)
		ev_make(&ev[i], i);
	for (uint32_t i = 0; i < 16; i++) /* the previous lap's events, consumed */
		slot_set_prev_lap(r, start - 16 + i);
	ck_assert_uint_eq(fp_ring_enqueue_burst(r, ev, 2), 2);
	struct fp_event *w = fp_ring_reserve(r, 4, &nb);
	ck_assert_uint_eq(nb, 4);
	for (uint32_t i = 0; i < 4; i++)
		ev_make(&w[i], 2 + i);
	commit_killed_after(r, 4, bits);
	/* What a restarted stage waiting for an empty ring (J5) sees: the published prefix. */
	ck_assert_uint_eq(fp_ring_count(r), 2 + bits);
	uint64_t want = 0;
	if (consumed_first) {
		ck_assert_uint_eq(fp_ring_dequeue_burst(r, out, 16), 2 + bits);
		for (uint32_t i = 0; i < 2 + bits; i++)
			ck_assert(ev_is(&out[i], want++));
		ck_assert_uint_eq(fp_ring_count(r), 0); /* head is past the stored tail */
	}
	/* The restarted producer goes on after the prefix; the rest of the batch never shows. */
	if (via_slot) {
		ck_assert_uint_ge(fp_ring_room(r, 4), 4);
		for (uint32_t i = 0; i < 4; i++)
			ev_make(fp_ring_slot(r, i), 100 + i);
		fp_ring_commit(r, 4);
	} else {
		for (uint32_t i = 0; i < 4; i++)
			ev_make(&ev[i], 100 + i);
		ck_assert_uint_eq(fp_ring_enqueue_burst(r, ev, 4), 4);
	}
	ck_assert_uint_eq(atomic_load(&r->prod.tail), start + 2 + bits + 4);
	ck_assert_uint_eq(atomic_load(&r->prod.pending), start + 2 + bits + 4);
	uint32_t got = fp_ring_dequeue_burst(r, out, 16);
	ck_assert_uint_eq(got, (consumed_first ? 0 : 2 + bits) + 4);
	for (uint32_t i = 0; i < got; i++)
		ck_assert_msg(ev_is(&out[i], want < 2 + bits ? want : 100 + want - 2 - bits),
			      "event %u of %u (bits %u)", i, got, bits),
			want++;
	ck_assert_uint_eq(fp_ring_count(r), 0);
	ck_assert_uint_eq(fp_ring_dequeue_burst(r, out, 8), 0);
	free(r);
}
END_TEST

START_TEST(test_ring_consumer_killed_between_peek_and_release)
{
	struct fp_ring *r = ring_new(8);
	struct fp_event ev[3], out[3];
	uint32_t nb;
	for (uint32_t i = 0; i < 3; i++)
		ev_make(&ev[i], i);
	ck_assert_uint_eq(fp_ring_enqueue_burst(r, ev, 3), 3);
	const struct fp_event *p = fp_ring_peek(r, 8, &nb);
	ck_assert_uint_eq(nb, 3);    /* the bits are cleared now; killed before the release */
	p = fp_ring_peek(r, 8, &nb); /* the restarted consumer */
	ck_assert_uint_eq(nb, 3);
	for (uint32_t i = 0; i < 3; i++)
		ck_assert(ev_is(&p[i], i));
	fp_ring_release(r, 3);
	/* Killed after storing cons.ready, before clearing the bits (R4's window). */
	ck_assert_uint_eq(fp_ring_enqueue_burst(r, ev, 3), 3);
	atomic_store(&r->cons.ready, atomic_load(&r->cons.head) + 3);
	p = fp_ring_peek(r, 2, &nb);
	ck_assert_uint_eq(nb, 2);
	ck_assert(ev_is(&p[0], 0) && ev_is(&p[1], 1));
	ck_assert_uint_eq(fp_ring_dequeue_burst(r, out, 3), 3);
	for (uint32_t i = 0; i < 3; i++)
		ck_assert(ev_is(&out[i], i));
	free(r);
}
END_TEST

/* The child: produce consecutive events in every flavour until killed. */
static void killed_producer(struct fp_ring *r, uint64_t seq)
{
	struct fp_event evs[16];
	for (unsigned k = 0;; k++) {
		uint32_t n = (k % 16) + 1, got = 0, nb;
		for (uint32_t i = 0; i < n; i++)
			ev_make(&evs[i], seq + i);
		if (k % 3 == 0) {
			got = fp_ring_enqueue_burst(r, evs, n);
		} else if (k % 3 == 1) {
			got = fp_ring_enqueue_bulk(r, evs, n);
		} else {
			struct fp_event *w = fp_ring_reserve(r, n, &nb);
			for (uint32_t i = 0; i < nb; i++)
				ev_make(&w[i], seq + i);
			fp_ring_commit(r, nb);
			got = nb;
		}
		seq += got;
		if (got == 0)
			sched_yield();
	}
}

/* Consume what is there, @p max events at most; every event whole and the next in
 * sequence. */
static uint64_t drain_checked(struct fp_ring *r, uint64_t *want, uint64_t max)
{
	struct fp_event out[16];
	uint64_t n = 0;
	uint32_t got;
	while (n < max &&
	       (got = fp_ring_dequeue_burst(r, out, (uint32_t)FP_MIN(16, max - n))) > 0) {
		for (uint32_t i = 0; i < got; i++, n++)
			ck_assert_msg(ev_is(&out[i], *want),
				      "event %" PRIu64 " torn or out of order", *want),
				(*want)++;
	}
	return n;
}

START_TEST(test_ring_producer_sigkilled_successor_goes_on)
{
	/* Room for far more than the child writes while the kill is on its way, so the kill
	 * lands while it produces (inside a commit, most of the time), not while it waits. */
	const uint32_t cap = 1u << 16;
	struct fp_ring *r = mmap(NULL, fp_ring_memsize(cap), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(r, MAP_FAILED);
	ck_assert_int_eq(fp_ring_init(r, cap, "kill"), 0);
	uint64_t want = 0;
	const char *san = getenv("FP_SANITIZE"); /* 10x slower per event under the sanitizers */
	const int rounds = san && san[0] == '1' ? 12 : 50;
	for (int round = 0; round < rounds; round++) {
		uint64_t base = want; /* each producer starts where the consumer stands */
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			killed_producer(r, base);
			_exit(0);
		}
		/* Kill it once it has moved a number of events that varies with the round. */
		uint64_t until = base + 300 + (uint64_t)round * 97;
		unsigned idle = 0;
		while (want < until)
			if (drain_checked(r, &want, until - want) == 0 && ++idle % 64 == 0)
				sched_yield();
		ck_assert_int_eq(kill(pid, SIGKILL), 0);
		int st;
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
		/* Everything it published arrives whole and in order; then the ring is empty. */
		drain_checked(r, &want, UINT64_MAX);
		ck_assert_uint_eq(fp_ring_count(r), 0);
	}
	/* The last successor in this process: every flavour, the consumer sees all of it. */
	struct fp_event ev[8];
	for (uint32_t i = 0; i < 8; i++)
		ev_make(&ev[i], want + i);
	ck_assert_uint_eq(fp_ring_enqueue_bulk(r, ev, 8), 8);
	uint32_t nb;
	struct fp_event *w = fp_ring_reserve(r, 8, &nb);
	ck_assert_uint_gt(nb, 0);
	for (uint32_t i = 0; i < nb; i++)
		ev_make(&w[i], want + 8 + i);
	fp_ring_commit(r, nb);
	ck_assert_uint_eq(drain_checked(r, &want, UINT64_MAX), 8 + nb);
	munmap(r, fp_ring_memsize(cap));
}
END_TEST

/* ---- wrap ---- */

static void check_wrap_at(uint64_t start, uint32_t cap)
{
	struct fp_ring *r = ring_new(cap);
	ring_set_pos(r, start);
	struct fp_event in[8], out[8];
	for (uint32_t i = 0; i < 8; i++)
		ev_make(&in[i], start + i);
	/* a copying burst across the slot-array end */
	ck_assert_uint_eq(fp_ring_enqueue_burst(r, in, 8), 8);
	ck_assert_uint_eq(fp_ring_count(r), 8);
	ck_assert_uint_eq(fp_ring_dequeue_burst(r, out, 8), 8);
	for (uint32_t i = 0; i < 8; i++)
		ck_assert_msg(ev_is(&out[i], start + i), "start=%" PRIu64 " i=%u", start, i);
	/* reserve and peek stop at the end of the array, then go on from slot 0 */
	ring_set_pos(r, start);
	uint32_t nb;
	struct fp_event *w = fp_ring_reserve(r, 8, &nb);
	uint32_t to_end = cap - (uint32_t)(start & (cap - 1));
	ck_assert_uint_eq(nb, FP_MIN(8, to_end));
	ck_assert_ptr_eq(w, &r->slots[start & (cap - 1)]);
	fp_ring_commit(r, nb);
	if (nb < 8) {
		uint32_t nb2;
		w = fp_ring_reserve(r, 8, &nb2);
		ck_assert_ptr_eq(w, &r->slots[0]);
		ck_assert_uint_eq(nb2, 8);
		fp_ring_commit(r, 8 - nb);
	}
	ck_assert_uint_eq(fp_ring_count(r), 8);
	const struct fp_event *p = fp_ring_peek(r, 8, &nb);
	ck_assert_uint_eq(nb, FP_MIN(8, to_end));
	ck_assert_ptr_eq(p, &r->slots[start & (cap - 1)]);
	fp_ring_release(r, nb);
	ck_assert_uint_eq(fp_ring_count(r), 8 - nb);
	free(r);
}

START_TEST(test_ring_wraps_at_array_end)
{
	for (uint64_t back = 1; back <= 8; back++)
		check_wrap_at(16 * 1000 - back, 16);
}
END_TEST

START_TEST(test_ring_wraps_at_2_pow_64)
{
	for (uint64_t back = 1; back <= 9; back++)
		check_wrap_at(UINT64_MAX - back + 1, 16);
}
END_TEST

START_TEST(test_ring_full_and_empty_across_2_pow_64)
{
	struct fp_ring *r = ring_new(4);
	ring_set_pos(r, UINT64_MAX - 1);
	struct fp_event ev[4];
	for (int i = 0; i < 4; i++)
		ev_make(&ev[i], (uint64_t)i);
	ck_assert_uint_eq(fp_ring_enqueue_burst(r, ev, 4), 4);
	ck_assert_uint_eq(fp_ring_enqueue_burst(r, ev, 1), 0);
	ck_assert_uint_eq(fp_ring_count(r), 4);
	ck_assert_uint_eq(fp_ring_dequeue_burst(r, ev, 4), 4);
	ck_assert_uint_eq(fp_ring_count(r), 0);
	ck_assert_uint_eq(fp_ring_dequeue_burst(r, ev, 1), 0);
	free(r);
}
END_TEST

/* ---- model ---- */

static uint64_t rnd_next(uint64_t *s)
{
	/* xorshift64*: deterministic per seed */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

START_TEST(test_ring_matches_array_model)
{
	const int seed = _i;
	uint64_t s = (uint64_t)seed * UINT64_C(0x9E3779B97F4A7C15) + 1;
	const uint32_t cap = 1u << (rnd_next(&s) % 7); /* 1 .. 64 */
	struct fp_ring *r = ring_new(cap);
	uint64_t start = (seed % 3 == 0) ? UINT64_MAX - rnd_next(&s) % 200 : rnd_next(&s) % 1000;
	ring_set_pos(r, start);
	uint64_t m_head = start, m_tail = start; /* model: events [m_head, m_tail) are queued */
	struct fp_event buf[80];
	for (int op = 0; op < 1000; op++) {
		uint32_t n = (uint32_t)(rnd_next(&s) % (cap + 3));
		uint32_t used = (uint32_t)(m_tail - m_head), room = cap - used, nb;
		uint32_t got = 0;
		switch (rnd_next(&s) % 6) {
		case 0: /* burst enqueue */
			for (uint32_t i = 0; i < n; i++)
				ev_make(&buf[i], m_tail + i);
			got = fp_ring_enqueue_burst(r, buf, n);
			ck_assert_msg(got == FP_MIN(n, room), "seed %d op %d: burst %u of %u", seed,
				      op, got, n);
			m_tail += got;
			break;
		case 1: /* bulk enqueue */
			for (uint32_t i = 0; i < n; i++)
				ev_make(&buf[i], m_tail + i);
			got = fp_ring_enqueue_bulk(r, buf, n);
			ck_assert_msg(got == (n <= room ? n : 0), "seed %d op %d: bulk", seed, op);
			m_tail += got;
			break;
		case 2: { /* reserve, fill, commit part */
			struct fp_event *w = fp_ring_reserve(r, n, &nb);
			uint32_t contig = cap - (uint32_t)(m_tail & (cap - 1));
			ck_assert_msg(nb == FP_MIN(n, FP_MIN(room, contig)),
				      "seed %d op %d: reserve", seed, op);
			ck_assert_msg((w == NULL) == (nb == 0), "seed %d op %d", seed, op);
			uint32_t c = nb ? (uint32_t)(rnd_next(&s) % (nb + 1)) : 0;
			for (uint32_t i = 0; i < c; i++)
				ev_make(&w[i], m_tail + i);
			fp_ring_commit(r, c);
			m_tail += c;
			break;
		}
		case 3: /* dequeue */
			got = fp_ring_dequeue_burst(r, buf, n);
			ck_assert_msg(got == FP_MIN(n, used), "seed %d op %d: dequeue", seed, op);
			for (uint32_t i = 0; i < got; i++)
				ck_assert_msg(ev_is(&buf[i], m_head + i), "seed %d op %d: content",
					      seed, op);
			m_head += got;
			break;
		case 4: { /* peek, release part */
			const struct fp_event *p = fp_ring_peek(r, n, &nb);
			uint32_t contig = cap - (uint32_t)(m_head & (cap - 1));
			ck_assert_msg(nb == FP_MIN(n, FP_MIN(used, contig)), "seed %d op %d: peek",
				      seed, op);
			for (uint32_t i = 0; i < nb; i++)
				ck_assert_msg(ev_is(&p[i], m_head + i),
					      "seed %d op %d: peek content", seed, op);
			uint32_t c = nb ? (uint32_t)(rnd_next(&s) % (nb + 1)) : 0;
			fp_ring_release(r, c);
			m_head += c;
			break;
		}
		default:
			ck_assert_msg(fp_ring_count(r) == used, "seed %d op %d: count", seed, op);
			break;
		}
		if (fp_ring_count(r) != (uint32_t)(m_tail - m_head)) {
			fp_ring_dump(stderr, r);
			ck_abort_msg("seed %d op %d: count %u, model %u", seed, op,
				     fp_ring_count(r), (uint32_t)(m_tail - m_head));
		}
	}
	free(r);
}
END_TEST

/* ---- no syscall in the hot path ---- */

/*
 * Run @p body in a forked child that first enters seccomp strict mode: from then on any
 * syscall but read/write/_exit/sigreturn kills it with SIGKILL. The child leaves with a raw
 * SYS_exit (exit() would call exit_group, which strict mode forbids). Returns the wait status.
 */
static int run_in_seccomp_strict(void (*body)(void *), void *arg)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) != 0)
			_exit(3);
		body(arg);
		syscall(SYS_exit, 0);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return st;
}

struct strict_ctx {
	struct fp_ring *r;
	volatile uint64_t *result; /* MAP_SHARED: the child's answer */
};

static void hot_path_body(void *arg)
{
	struct strict_ctx *c = arg;
	struct fp_ring *r = c->r;
	struct fp_event in[32], out[32];
	uint64_t seq_in = 0, seq_out = 0, bad = 0;
	memset(in, 0, sizeof(in)); /* type 0: below 128, as the ring requires */
	for (int iter = 0; iter < 20000; iter++) {
		uint32_t n = (uint32_t)(iter % 32) + 1, nb;
		for (uint32_t i = 0; i < n; i++)
			in[i].seq = seq_in + i;
		seq_in += fp_ring_enqueue_burst(r, in, n);
		struct fp_event *w = fp_ring_reserve(r, 3, &nb);
		for (uint32_t i = 0; i < nb; i++)
			w[i].seq = seq_in + i;
		fp_ring_commit(r, nb);
		seq_in += nb;
		seq_in += fp_ring_enqueue_bulk(r, in, 0);
		uint32_t got = fp_ring_dequeue_burst(r, out, n);
		for (uint32_t i = 0; i < got; i++)
			bad += out[i].seq != seq_out++;
		const struct fp_event *p = fp_ring_peek(r, 5, &nb);
		for (uint32_t i = 0; i < nb; i++)
			bad += p[i].seq != seq_out++;
		fp_ring_release(r, nb);
		bad += fp_ring_count(r) != (uint32_t)(seq_in - seq_out);
	}
	c->result[0] = seq_out;
	c->result[1] = bad;
}

START_TEST(test_ring_hot_path_makes_no_syscall)
{
	struct strict_ctx c = {.r = ring_new(64)};
	c.result = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne((void *)c.result, MAP_FAILED);
	int st = run_in_seccomp_strict(hot_path_body, &c);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "the hot path made a forbidden syscall (status 0x%x, signal %d)", st,
		      WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	ck_assert_uint_gt(c.result[0], 100000);
	ck_assert_uint_eq(c.result[1], 0);
	munmap((void *)c.result, 4096);
	free(c.r);
}
END_TEST

static void getpid_body(void *arg)
{
	(void)arg;
	(void)syscall(SYS_getpid);
}

/* The control: the same harness kills a child that makes one ordinary syscall. */
START_TEST(test_ring_seccomp_harness_catches_a_syscall)
{
	int st = run_in_seccomp_strict(getpid_body, NULL);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "status 0x%x", st);
}
END_TEST

/* ---- concurrent ---- */

/* Fewer events under the sanitizers (FP_SANITIZE=1 from ctest): 10x slower per event. */
static uint64_t conc_events(void)
{
	const char *san = getenv("FP_SANITIZE");
	return san && san[0] == '1' ? 100000 : 1000000;
}

/* Spin a little, then give the core away: the test machine is oversubscribed. */
static void conc_wait(unsigned *idle)
{
	if (++*idle < 64)
		fp_cpu_relax();
	else
		sched_yield();
}

static void *conc_producer(void *arg)
{
	struct fp_ring *r = arg;
	struct fp_event evs[16];
	memset(evs, 0, sizeof(evs)); /* type 0: below 128, as the ring requires */
	const uint64_t nb_events = conc_events();
	uint64_t seq = 0;
	unsigned k = 0, idle = 0;
	while (seq < nb_events) {
		uint32_t n = (uint32_t)FP_MIN(nb_events - seq, (k % 16) + 1), got = 0, nb;
		switch (k++ % 3) {
		case 0:
			for (uint32_t i = 0; i < n; i++)
				evs[i].seq = seq + i;
			got = fp_ring_enqueue_burst(r, evs, n);
			break;
		case 1:
			for (uint32_t i = 0; i < n; i++)
				evs[i].seq = seq + i;
			got = fp_ring_enqueue_bulk(r, evs, n);
			break;
		default: {
			struct fp_event *w = fp_ring_reserve(r, n, &nb);
			for (uint32_t i = 0; i < nb; i++)
				w[i].seq = seq + i;
			fp_ring_commit(r, nb);
			got = nb;
		}
		}
		seq += got;
		if (got == 0)
			conc_wait(&idle);
		else
			idle = 0;
	}
	return NULL;
}

START_TEST(test_ring_threads_keep_order)
{
	struct fp_ring *r = ring_new(256);
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, conc_producer, r), 0);
	const uint64_t nb_events = conc_events();
	uint64_t want = 0;
	struct fp_event out[16];
	unsigned k = 0, idle = 0;
	while (want < nb_events) {
		uint32_t n = (k % 16) + 1, nb;
		if (k++ & 1) {
			uint32_t got = fp_ring_dequeue_burst(r, out, n);
			for (uint32_t i = 0; i < got; i++)
				ck_assert_msg(out[i].seq == want, "got %" PRIu64 " want %" PRIu64,
					      out[i].seq, want),
					want++;
			if (!got)
				conc_wait(&idle);
			else
				idle = 0;
		} else {
			const struct fp_event *p = fp_ring_peek(r, n, &nb);
			for (uint32_t i = 0; i < nb; i++)
				ck_assert_msg(p[i].seq == want, "got %" PRIu64 " want %" PRIu64,
					      p[i].seq, want),
					want++;
			fp_ring_release(r, nb);
			if (!nb)
				conc_wait(&idle);
			else
				idle = 0;
		}
	}
	pthread_join(t, NULL);
	ck_assert_uint_eq(fp_ring_count(r), 0);
	free(r);
}
END_TEST

static Suite *fp_ring_suite(void)
{
	Suite *s = suite_create("fp_ring");
	TCase *tc = tcase_create("negative");
	tcase_add_test(tc, test_ring_rejects_bad_capacity);
	tcase_add_test(tc, test_ring_rejects_long_name_and_misaligned_memory);
	tcase_add_test(tc, test_ring_check_refuses_foreign_and_other_version);
	suite_add_tcase(s, tc);

	tc = tcase_create("single_thread");
	tcase_add_test(tc, test_ring_starts_empty);
	tcase_add_test(tc, test_ring_rejects_write_when_full);
	tcase_add_test(tc, test_ring_bulk_is_all_or_nothing);
	tcase_add_test(tc, test_ring_moves_every_batch_size);
	tcase_add_test(tc, test_ring_reserve_commit_in_place);
	suite_add_tcase(s, tc);

	tc = tcase_create("slot_bit");
	tcase_add_test(tc, test_ring_slot_bit_marks_full_and_never_shows);
	tcase_add_test(tc, test_ring_reserved_slot_reads_empty_until_commit);
	suite_add_tcase(s, tc);

	tc = tcase_create("crash");
	tcase_set_timeout(tc, 100);
	tcase_add_loop_test(tc, test_ring_producer_killed_inside_commit, 0, 40);
	tcase_add_test(tc, test_ring_consumer_killed_between_peek_and_release);
	tcase_add_test(tc, test_ring_producer_sigkilled_successor_goes_on);
	suite_add_tcase(s, tc);

	tc = tcase_create("wrap");
	tcase_add_test(tc, test_ring_wraps_at_array_end);
	tcase_add_test(tc, test_ring_wraps_at_2_pow_64);
	tcase_add_test(tc, test_ring_full_and_empty_across_2_pow_64);
	suite_add_tcase(s, tc);

	tc = tcase_create("model");
	/* 100 seeds; 30 under the sanitizers (FP_SANITIZE=1), where each is 10x slower */
	const char *san = getenv("FP_SANITIZE");
	tcase_add_loop_test(tc, test_ring_matches_array_model, 0, san && san[0] == '1' ? 30 : 100);
	suite_add_tcase(s, tc);

	tc = tcase_create("no_syscall");
	tcase_add_test(tc, test_ring_hot_path_makes_no_syscall);
	tcase_add_test(tc, test_ring_seccomp_harness_catches_a_syscall);
	suite_add_tcase(s, tc);

	tc = tcase_create("concurrent");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ring_threads_keep_order);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fp_ring_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
