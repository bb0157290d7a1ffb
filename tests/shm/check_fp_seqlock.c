/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_seqlock.c - the sequence lock (shm/fp_seqlock.h).
 *
 * Covers: sequence states (even/odd) through a write; a read that overlaps a write or
 * starts inside one is told to retry; the bounded copy gives up while a write is open;
 * concurrent: one writer thread and two reader threads (begin/retry loop and bounded copy),
 * and no reader ever accepts a torn snapshot (every word of a snapshot is equal and
 * snapshots never go back in time).
 */
#include <check.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "fp_seqlock.h"

enum { WORDS = 14 };

struct snap {
	uint64_t w[WORDS];
};

struct shared {
	struct fp_seqlock lock;
	struct snap data;
	_Atomic int stop;
};

START_TEST(test_seqlock_sequence_is_odd_inside_a_write)
{
	struct fp_seqlock sl;
	fp_seqlock_init(&sl);
	uint64_t s = fp_seqlock_read_begin(&sl);
	ck_assert_uint_eq(s, 0);
	ck_assert(!fp_seqlock_read_retry(&sl, s));
	fp_seqlock_write_begin(&sl);
	ck_assert_uint_eq(fp_seqlock_read_begin(&sl), 1);
	ck_assert(fp_seqlock_read_retry(&sl, fp_seqlock_read_begin(&sl)));
	fp_seqlock_write_end(&sl);
	ck_assert_uint_eq(fp_seqlock_read_begin(&sl), 2);
}
END_TEST

START_TEST(test_seqlock_read_overlapping_a_write_must_retry)
{
	struct fp_seqlock sl;
	fp_seqlock_init(&sl);
	uint64_t s = fp_seqlock_read_begin(&sl);
	fp_seqlock_write_begin(&sl);
	fp_seqlock_write_end(&sl);
	ck_assert(fp_seqlock_read_retry(&sl, s));
}
END_TEST

START_TEST(test_seqlock_bounded_copy_gives_up_during_a_write)
{
	struct shared sh = {0};
	struct snap out;
	fp_seqlock_init(&sh.lock);
	sh.data.w[0] = 7;
	ck_assert(fp_seqlock_read_copy(&sh.lock, &out, &sh.data, sizeof(out), 1));
	ck_assert_uint_eq(out.w[0], 7);
	fp_seqlock_write_begin(&sh.lock);
	ck_assert(!fp_seqlock_read_copy(&sh.lock, &out, &sh.data, sizeof(out), 100));
	fp_seqlock_write_end(&sh.lock);
	ck_assert(fp_seqlock_read_copy(&sh.lock, &out, &sh.data, sizeof(out), 1));
}
END_TEST

static void *writer(void *arg)
{
	struct shared *sh = arg;
	uint64_t v = 0;
	while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
		v++;
		fp_seqlock_write_begin(&sh->lock);
		for (int i = 0; i < WORDS; i++)
			sh->data.w[i] = v;
		fp_seqlock_write_end(&sh->lock);
	}
	return NULL;
}

struct reader_res {
	struct shared *sh;
	int bounded;
	uint64_t nb_snaps, nb_torn, nb_back, nb_changes;
};

static void *reader(void *arg)
{
	struct reader_res *rr = arg;
	struct shared *sh = rr->sh;
	uint64_t last = 0;
	/* until the writer has moved at least 500 times under our eyes, or 5 s */
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint64_t k = 0; k < 100000 || rr->nb_changes < 500; k++) {
		if ((k & 4095) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec - t0.tv_sec > 5)
				break;
		}
		struct snap s;
		if (rr->bounded) {
			if (!fp_seqlock_read_copy(&sh->lock, &s, &sh->data, sizeof(s), 64))
				continue;
		} else {
			uint64_t seq;
			do {
				seq = fp_seqlock_read_begin(&sh->lock);
				s = sh->data;
			} while (fp_seqlock_read_retry(&sh->lock, seq));
		}
		rr->nb_snaps++;
		for (int i = 1; i < WORDS; i++)
			if (s.w[i] != s.w[0]) {
				rr->nb_torn++;
				break;
			}
		if (s.w[0] < last)
			rr->nb_back++;
		rr->nb_changes += s.w[0] != last;
		last = s.w[0];
	}
	return NULL;
}

START_TEST(test_seqlock_readers_never_see_a_torn_snapshot)
{
	struct shared *sh = aligned_alloc(64, sizeof(*sh) + 64);
	memset(sh, 0, sizeof(*sh));
	fp_seqlock_init(&sh->lock);
	pthread_t w, r[2];
	struct reader_res rr[2] = {{.sh = sh, .bounded = 0}, {.sh = sh, .bounded = 1}};
	ck_assert_int_eq(pthread_create(&w, NULL, writer, sh), 0);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&r[i], NULL, reader, &rr[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(r[i], NULL);
	atomic_store(&sh->stop, 1);
	pthread_join(w, NULL);
	for (int i = 0; i < 2; i++) {
		ck_assert_msg(rr[i].nb_torn == 0, "reader %d accepted %" PRIu64 " torn snapshots",
			      i, rr[i].nb_torn);
		ck_assert_msg(rr[i].nb_back == 0, "reader %d went back in time", i);
		ck_assert_uint_gt(rr[i].nb_snaps, 0);
	}
	/* the readers did see the writer's progress (the test raced for real) */
	ck_assert_uint_gt(rr[0].nb_changes + rr[1].nb_changes, 10);
	free(sh);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_seqlock");
	TCase *tc = tcase_create("single_thread");
	tcase_add_test(tc, test_seqlock_sequence_is_odd_inside_a_write);
	tcase_add_test(tc, test_seqlock_read_overlapping_a_write_must_retry);
	tcase_add_test(tc, test_seqlock_bounded_copy_gives_up_during_a_write);
	suite_add_tcase(s, tc);
	tc = tcase_create("concurrent");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_seqlock_readers_never_see_a_torn_snapshot);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
