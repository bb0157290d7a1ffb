/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_hist.c - log-linear histogram. Covers, in order:
 *   negative: merge refuses an uninitialised histogram; an empty histogram reads as zeros;
 *   layout: every bucket's bounds map back to it, buckets tile 0..UINT64_MAX without gaps;
 *   edges: 0, 1, 255/256, 2^40, UINT64_MAX recorded and read back; reset empties;
 *   accuracy: percentiles against a sorted reference for several distributions and seeds,
 *   relative error <= 1% (the layout promises 1/256);
 *   merge: merging parts equals recording everything in one histogram, byte for byte;
 *   dump: the one-line summary;
 *   concurrency: a reader during writes sees counts that never go backwards.
 */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_err.h"
#include "fp_hist.h"

static struct fp_hist *hist_new(void)
{
	struct fp_hist *h = aligned_alloc(FP_CACHE_LINE, sizeof(*h));
	ck_assert_ptr_nonnull(h);
	fp_hist_init(h);
	return h;
}

/* splitmix64: a small deterministic generator, seeded by the loop index. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s)
{
	return (double)(rng_next(s) >> 11) * 0x1.0p-53; /* [0, 1) */
}

START_TEST(test_hist_merge_refuses_uninitialised)
{
	struct fp_hist *a = hist_new(), *b = hist_new();
	b->magic = 0;
	ck_assert_int_eq(fp_hist_merge(a, b), -EINVAL);
	ck_assert_msg(strstr(fp_err_msg(), "source is not a version 1 histogram") != NULL,
		      "got '%s'", fp_err_msg());
	ck_assert_int_eq(fp_hist_merge(b, a), -EINVAL);
	ck_assert_msg(strstr(fp_err_msg(), "destination") != NULL, "got '%s'", fp_err_msg());
	free(a);
	free(b);
}
END_TEST

START_TEST(test_hist_empty_reads_as_zero)
{
	struct fp_hist *h = hist_new();
	ck_assert_uint_eq(fp_hist_count(h), 0);
	ck_assert_uint_eq(fp_hist_min(h), 0);
	ck_assert_uint_eq(fp_hist_max(h), 0);
	ck_assert(fp_hist_mean(h) == 0.0);
	ck_assert_uint_eq(fp_hist_percentile(h, 0.0), 0);
	ck_assert_uint_eq(fp_hist_percentile(h, 0.5), 0);
	ck_assert_uint_eq(fp_hist_percentile(h, 1.0), 0);
	free(h);
}
END_TEST

START_TEST(test_hist_buckets_tile_the_range)
{
	ck_assert_uint_eq(fp_hist_index(0), 0);
	ck_assert_uint_eq(fp_hist_index(UINT64_MAX), FP_HIST_NB_BUCKETS - 1);
	ck_assert_uint_eq(fp_hist_bucket_lo(0), 0);
	ck_assert_uint_eq(fp_hist_bucket_hi(FP_HIST_NB_BUCKETS - 1), UINT64_MAX);
	for (unsigned i = 0; i < FP_HIST_NB_BUCKETS; i++) {
		uint64_t lo = fp_hist_bucket_lo(i), hi = fp_hist_bucket_hi(i);
		ck_assert_msg(lo <= hi, "bucket %u: [%" PRIu64 ", %" PRIu64 "]", i, lo, hi);
		ck_assert_msg(fp_hist_index(lo) == i && fp_hist_index(hi) == i,
			      "bucket %u: [%" PRIu64 ", %" PRIu64 "] maps to %u, %u", i, lo, hi,
			      fp_hist_index(lo), fp_hist_index(hi));
		if (i + 1 < FP_HIST_NB_BUCKETS)
			ck_assert_msg(fp_hist_bucket_lo(i + 1) == hi + 1, "gap after bucket %u", i);
		/* Width bound behind the accuracy promise: width <= lo / 128 above 255. */
		if (lo >= 256)
			ck_assert_msg(hi - lo + 1 <= lo / FP_HIST_SUB, "bucket %u too wide", i);
		else
			ck_assert_uint_eq(lo, hi);
	}
}
END_TEST

/* Values that sit on the layout's boundaries. */
static const uint64_t edge_values[] = {0,
				       1,
				       127,
				       128,
				       255,
				       256,
				       257,
				       1000,
				       (1ULL << 40) - 1,
				       1ULL << 40,
				       (1ULL << 40) + 12345,
				       1ULL << 63,
				       UINT64_MAX - 1,
				       UINT64_MAX};

START_TEST(test_hist_edge_value_reads_back)
{
	struct fp_hist *h = hist_new();
	uint64_t v = edge_values[_i];
	fp_hist_record(h, v);
	ck_assert_uint_eq(fp_hist_count(h), 1);
	ck_assert_uint_eq(fp_hist_min(h), v);
	ck_assert_uint_eq(fp_hist_max(h), v);
	/* One sample: min and max are exact, so every percentile is v exactly. */
	for (double q = 0.0; q <= 1.0; q += 0.125)
		ck_assert_msg(fp_hist_percentile(h, q) == v, "v=%" PRIu64 " q=%.3f got %" PRIu64, v,
			      q, fp_hist_percentile(h, q));
	ck_assert(fp_hist_mean(h) == (double)v);
	/* Next to a second value, v's own percentile is within 1/256. */
	fp_hist_record(h, v == 0 ? 1 : 0);
	uint64_t got = fp_hist_percentile(h, v == 0 ? 0.5 : 1.0);
	ck_assert_uint_eq(got, v);
	free(h);
}
END_TEST

START_TEST(test_hist_reset_empties)
{
	struct fp_hist *h = hist_new();
	for (uint64_t v = 0; v < 1000; v++)
		fp_hist_record(h, v * 977);
	fp_hist_reset(h);
	ck_assert_uint_eq(fp_hist_count(h), 0);
	ck_assert_uint_eq(fp_hist_max(h), 0);
	ck_assert_uint_eq(fp_hist_percentile(h, 0.99), 0);
	fp_hist_record(h, 42);
	ck_assert_uint_eq(fp_hist_min(h), 42);
	ck_assert_uint_eq(fp_hist_percentile(h, 0.5), 42);
	free(h);
}
END_TEST

enum dist {
	DIST_UNIFORM_SMALL,
	DIST_UNIFORM_WIDE,
	DIST_EXP,
	DIST_LOGNORMAL,
	DIST_BIMODAL,
	DIST_PARETO,
	DIST_LOG_UNIFORM_64,
	DIST_COUNT
};
static const char *const dist_name[] = {"uniform 0..300",  "uniform 0..2^40", "exponential",
					"lognormal",       "bimodal",         "pareto",
					"log-uniform 2^64"};

static uint64_t draw(enum dist d, uint64_t *s)
{
	double u = rng_unit(s);
	switch (d) {
	case DIST_UNIFORM_SMALL:
		return rng_next(s) % 301;
	case DIST_UNIFORM_WIDE:
		return rng_next(s) & ((1ULL << 40) - 1);
	case DIST_EXP:
		return (uint64_t)(-log1p(-u) * 800.0);
	case DIST_LOGNORMAL: {
		/* Box-Muller, then e^(7 + 1.5 z): a latency-like body with a long tail. */
		double z = sqrt(-2.0 * log1p(-u)) * cos(2.0 * M_PI * rng_unit(s));
		return (uint64_t)exp(7.0 + 1.5 * z);
	}
	case DIST_BIMODAL:
		return u < 0.97 ? 300 + rng_next(s) % 100 : 50000 + rng_next(s) % 5000000;
	case DIST_PARETO:
		return (uint64_t)fmin(200.0 / pow(1.0 - u, 1.0 / 1.1), 0x1.0p62);
	case DIST_LOG_UNIFORM_64: {
		unsigned b = (unsigned)(rng_next(s) % 64);
		return rng_next(s) >> (63 - b);
	}
	default:
		return 0;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

#define ACC_N     200000
#define ACC_SEEDS 3

START_TEST(test_hist_percentiles_within_1pct_of_sorted_reference)
{
	static const double qs[] = {0.0, 0.0001, 0.001, 0.01,  0.1,    0.25,    0.5, 0.75,
				    0.9, 0.95,   0.99,  0.999, 0.9999, 0.99999, 1.0};
	enum dist d = (enum dist)(_i / ACC_SEEDS);
	uint64_t seed = (uint64_t)_i * 7919 + 1, s = seed;
	uint64_t *ref = malloc(ACC_N * sizeof(*ref));
	struct fp_hist *h = hist_new();
	ck_assert_ptr_nonnull(ref);
	for (unsigned k = 0; k < ACC_N; k++) {
		ref[k] = draw(d, &s);
		fp_hist_record(h, ref[k]);
	}
	qsort(ref, ACC_N, sizeof(*ref), cmp_u64);
	ck_assert_uint_eq(fp_hist_count(h), ACC_N);
	ck_assert_uint_eq(fp_hist_min(h), ref[0]);
	ck_assert_uint_eq(fp_hist_max(h), ref[ACC_N - 1]);
	double worst = 0.0;
	for (unsigned k = 0; k < FP_ARRAY_SIZE(qs); k++) {
		uint64_t rank = (uint64_t)ceil(qs[k] * ACC_N);
		uint64_t want = ref[rank == 0 ? 0 : rank - 1];
		uint64_t got = fp_hist_percentile(h, qs[k]);
		double err = want ? fabs((double)got - (double)want) / (double)want : (double)got;
		worst = fmax(worst, err);
		ck_assert_msg(err <= 0.01,
			      "%s seed %" PRIu64 " q=%g: got %" PRIu64 " want %" PRIu64
			      " (err %.4f%%)",
			      dist_name[d], seed, qs[k], got, want, err * 100);
	}
	/* The layout promises half a bucket: 1/256. */
	ck_assert_msg(worst <= 1.0 / 256 + 1e-12, "%s seed %" PRIu64 ": worst error %.5f",
		      dist_name[d], seed, worst);
	free(ref);
	free(h);
}
END_TEST

START_TEST(test_hist_merge_equals_recording_all)
{
	uint64_t s = (uint64_t)_i + 100;
	struct fp_hist *all = hist_new(), *merged = hist_new();
	struct fp_hist *part[3] = {hist_new(), hist_new(), hist_new()};
	for (unsigned k = 0; k < 50000; k++) {
		uint64_t v = draw((enum dist)(k % DIST_COUNT), &s);
		fp_hist_record(all, v);
		fp_hist_record(part[rng_next(&s) % 3], v);
	}
	for (unsigned p = 0; p < 3; p++)
		ck_assert_int_eq(fp_hist_merge(merged, part[p]), 0);
	ck_assert_int_eq(memcmp(all, merged, sizeof(*all)), 0);
	/* Merging an empty histogram changes nothing. */
	fp_hist_reset(part[0]);
	ck_assert_int_eq(fp_hist_merge(merged, part[0]), 0);
	ck_assert_int_eq(memcmp(all, merged, sizeof(*all)), 0);
	free(all);
	free(merged);
	for (unsigned p = 0; p < 3; p++)
		free(part[p]);
}
END_TEST

START_TEST(test_hist_dump_prints_summary_and_buckets)
{
	struct fp_hist *h = hist_new();
	char *buf = NULL;
	size_t len = 0;
	for (uint64_t v = 1; v <= 100; v++)
		fp_hist_record(h, v);
	fp_hist_record(h, 1000000);
	FILE *f = open_memstream(&buf, &len);
	fp_hist_dump(f, h, "hop", FP_HIST_DUMP_BUCKETS);
	fclose(f);
	static const char want[] = "hop: count=101 min=1 p50=51 p90=91 p99=100 p99.9=1000000 "
				   "p99.99=1000000 max=1000000 mean=9951.0\n";
	ck_assert_msg(strncmp(buf, want, strlen(want)) == 0, "got '%s'", buf);
	ck_assert_msg(strstr(buf, "\n  [1, 1] 1\n") != NULL, "got '%s'", buf);
	ck_assert_msg(strstr(buf, "[999424, 1003519] 1\n") != NULL, "got '%s'", buf);
	free(buf);
	free(h);
}
END_TEST

struct race {
	struct fp_hist *h;
	_Atomic int done;
};

static void *race_writer(void *arg)
{
	struct race *r = arg;
	uint64_t s = 5;
	for (unsigned k = 0; k < 2000000; k++)
		fp_hist_record(r->h, draw(DIST_LOGNORMAL, &s));
	atomic_store(&r->done, 1);
	return NULL;
}

START_TEST(test_hist_reader_sees_monotonic_counts_during_writes)
{
	struct race r = {.h = hist_new()};
	pthread_t t;
	uint64_t prev_count = 0;
	ck_assert_int_eq(pthread_create(&t, NULL, race_writer, &r), 0);
	while (!atomic_load(&r.done)) {
		uint64_t c = fp_hist_count(r.h);
		uint64_t p50 = fp_hist_percentile(r.h, 0.5);
		uint64_t mx = fp_hist_max(r.h);
		ck_assert_uint_ge(c, prev_count);
		ck_assert_msg(p50 <= mx || mx == 0, "p50 %" PRIu64 " > max %" PRIu64, p50, mx);
		prev_count = c;
	}
	pthread_join(t, NULL);
	ck_assert_uint_eq(fp_hist_count(r.h), 2000000);
	free(r.h);
}
END_TEST

static Suite *fp_hist_suite(void)
{
	Suite *s = suite_create("fp_hist");
	TCase *tc = tcase_create("negative");
	tcase_add_test(tc, test_hist_merge_refuses_uninitialised);
	tcase_add_test(tc, test_hist_empty_reads_as_zero);
	suite_add_tcase(s, tc);
	tc = tcase_create("layout");
	tcase_add_test(tc, test_hist_buckets_tile_the_range);
	tcase_add_loop_test(tc, test_hist_edge_value_reads_back, 0, FP_ARRAY_SIZE(edge_values));
	tcase_add_test(tc, test_hist_reset_empties);
	suite_add_tcase(s, tc);
	tc = tcase_create("accuracy");
	tcase_add_loop_test(tc, test_hist_percentiles_within_1pct_of_sorted_reference, 0,
			    DIST_COUNT * ACC_SEEDS);
	tcase_add_loop_test(tc, test_hist_merge_equals_recording_all, 0, 4);
	tcase_add_test(tc, test_hist_dump_prints_summary_and_buckets);
	suite_add_tcase(s, tc);
	tc = tcase_create("concurrent");
	tcase_add_test(tc, test_hist_reader_sees_monotonic_counts_during_writes);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fp_hist_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
