/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_hmap.c - the backward-shift hash map. Covers, in order:
 *   negative: init refuses 0 and oversized capacities; key 0 is refused; a full map refuses a
 *   new key and leaves the map unchanged, yet still updates a present key;
 *   map: put/find/del against a reference array under random operations (random keys,
 *   sequential keys, keys that share their home), the invariant check after every step;
 *   wrap: a probe run across the end of the table survives deletions at its start;
 *   records: the record layer over a caller's struct (key not first), both home kinds,
 *   against the same reference, the records' other fields moving with their keys;
 *   clear: an emptied map takes the same keys again.
 */
#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fp_err.h"
#include "fp_hmap.h"

/* In the long loops: ck_assert marks a checkpoint per call (a write), too slow there. */
#define EXPECT(cond)                                                       \
	do {                                                               \
		if (!(cond))                                               \
			ck_abort_msg("step %d: %s is false", step, #cond); \
	} while (0)

/* splitmix64: a small deterministic generator, seeded by the loop index. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

START_TEST(test_hmap_init_refuses_bad_capacity)
{
	struct fp_hmap m;
	ck_assert_int_eq(fp_hmap_init(&m, 0), -EINVAL);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "give 1 to 2^31"));
	ck_assert_int_eq(fp_hmap_init(&m, UINT32_MAX), -EINVAL);
	fp_hmap_fini(&m); /* a failed init leaves a map fini accepts */
	ck_assert_uint_eq(fp_hmap_slots(1), 16);
	ck_assert_uint_eq(fp_hmap_slots(8), 16);
	ck_assert_uint_eq(fp_hmap_slots(9), 32);
	ck_assert_uint_eq(fp_hmap_slots(1u << 20), 1u << 21);
}
END_TEST

START_TEST(test_hmap_key_zero_and_full_map_refused)
{
	struct fp_hmap m;
	ck_assert_int_eq(fp_hmap_init(&m, 5), 0);
	ck_assert_int_eq(fp_hmap_put(&m, 0, 1), -EINVAL);
	ck_assert_uint_eq(fp_hmap_find(&m, 0, 99), 99);
	ck_assert(!fp_hmap_del(&m, 0));
	for (uint64_t k = 1; k <= 5; k++)
		ck_assert_int_eq(fp_hmap_put(&m, k * 1000003, (uint32_t)k), 0);
	ck_assert_int_eq(fp_hmap_put(&m, 77, 7), -ENOSPC);
	ck_assert_uint_eq(fp_hmap_find(&m, 77, 0), 0);
	ck_assert_uint_eq(m.nb_keys, 5);
	ck_assert_int_eq(fp_hmap_put(&m, 3 * 1000003, 33), 0); /* update needs no room */
	ck_assert_uint_eq(fp_hmap_find(&m, 3 * 1000003, 0), 33);
	ck_assert(fp_hmap_del(&m, 2 * 1000003));
	ck_assert(!fp_hmap_del(&m, 2 * 1000003));
	ck_assert_int_eq(fp_hmap_put(&m, 77, 7), 0);
	ck_assert_uint_eq(fp_hmap_check(&m), 0);
	fp_hmap_fini(&m);
	fp_hmap_fini(&m); /* twice is a no-op */
}
END_TEST

enum key_kind { KEYS_RANDOM, KEYS_SEQUENTIAL, KEYS_SAME_HOME, KEYS_NB };

#define REF_KEYS 600

/* Key number @p n of a pool of REF_KEYS keys of @p kind (never 0). */
static uint64_t pool_key(enum key_kind kind, uint64_t n, struct fp_hmap_geom g)
{
	switch (kind) {
	case KEYS_RANDOM: {
		uint64_t s = n * 7919 + 1;
		return rng_next(&s) | 1;
	}
	case KEYS_SEQUENTIAL:
		return 1000000 + n;
	default: { /* the n-th key homed at slot 3: one long run */
		uint64_t k = 0;
		for (uint64_t found = 0; found <= n;)
			found += fp_hmap_home(++k, g, FP_HMAP_SPREAD) == 3;
		return k;
	}
	}
}

START_TEST(test_hmap_matches_reference_under_random_operations)
{
	enum key_kind kind = (enum key_kind)(_i % KEYS_NB);
	uint64_t seed = (uint64_t)_i;
	uint32_t max_keys = kind == KEYS_SAME_HOME ? 15 : 400;
	struct fp_hmap m;
	ck_assert_int_eq(fp_hmap_init(&m, max_keys), 0);
	uint32_t pool = kind == KEYS_SAME_HOME ? 15 : REF_KEYS;
	uint64_t keys[REF_KEYS];
	for (uint32_t q = 0; q < pool; q++)
		keys[q] = pool_key(kind, q, m.geom);
	uint32_t ref[REF_KEYS]; /* value + 1 per pool key, 0 = absent */
	memset(ref, 0, sizeof(ref));
	uint32_t live = 0;
	for (int step = 0; step < 20000; step++) {
		uint32_t n = (uint32_t)(rng_next(&seed) % pool);
		uint64_t key = keys[n];
		uint32_t val = (uint32_t)(rng_next(&seed) % 1000000);
		if (rng_next(&seed) % 2) {
			int rc = fp_hmap_put(&m, key, val);
			if (ref[n] == 0 && live == max_keys) {
				EXPECT(rc == -ENOSPC);
			} else {
				EXPECT(rc == 0);
				live += ref[n] == 0;
				ref[n] = val + 1;
			}
		} else {
			EXPECT(fp_hmap_del(&m, key) == (ref[n] != 0));
			live -= ref[n] != 0;
			ref[n] = 0;
		}
		EXPECT(m.nb_keys == live);
		if (step % 97 == 0 || kind == KEYS_SAME_HOME) {
			EXPECT(fp_hmap_check(&m) == 0);
			for (uint32_t q = 0; q < pool; q++)
				EXPECT(fp_hmap_find(&m, keys[q], UINT32_MAX) ==
				       (ref[q] ? ref[q] - 1 : UINT32_MAX));
		}
	}
	fp_hmap_fini(&m);
}
END_TEST

START_TEST(test_hmap_run_across_table_end_survives_deletes)
{
	struct fp_hmap m;
	ck_assert_int_eq(fp_hmap_init(&m, 8), 0); /* 16 slots */
	/* keys homed at the last slot: the run wraps to slots 0, 1, ... */
	uint64_t keys[6];
	uint32_t nb = 0;
	for (uint64_t k = 1; nb < 6; k++)
		if (fp_hmap_home(k, m.geom, FP_HMAP_SPREAD) == 15)
			keys[nb++] = k;
	for (uint32_t i = 0; i < nb; i++)
		ck_assert_int_eq(fp_hmap_put(&m, keys[i], i), 0);
	ck_assert_uint_eq(m.slot[15].key, keys[0]);
	ck_assert_uint_eq(m.slot[0].key, keys[1]);
	for (uint32_t i = 0; i < nb; i++) { /* delete from the front: the rest shift back */
		ck_assert(fp_hmap_del(&m, keys[i]));
		ck_assert_uint_eq(fp_hmap_check(&m), 0);
		for (uint32_t j = i + 1; j < nb; j++)
			ck_assert_uint_eq(fp_hmap_find(&m, keys[j], 99), j);
		if (i + 1 < nb)
			ck_assert_uint_eq(m.slot[15].key, keys[i + 1]);
	}
	for (uint32_t s = 0; s < 16; s++)
		ck_assert_uint_eq(m.slot[s].key, 0);
	fp_hmap_fini(&m);
}
END_TEST

/* A caller's record with its key in the middle, as a table of the record layer holds it. */
struct rec {
	uint32_t a;
	uint32_t b;
	uint64_t key;
	uint64_t c;
};

#define REC_BITS 10

static uint64_t rec_probe(const struct rec *t, enum fp_hmap_home how, uint64_t key)
{
	if (how == FP_HMAP_WINDOW)
		return fp_hmap_rec_probe(t, sizeof(*t), offsetof(struct rec, key),
					 fp_hmap_geom_of(REC_BITS), FP_HMAP_WINDOW, key);
	return fp_hmap_rec_probe(t, sizeof(*t), offsetof(struct rec, key),
				 fp_hmap_geom_of(REC_BITS), FP_HMAP_SPREAD, key);
}

static void rec_remove(struct rec *t, enum fp_hmap_home how, uint64_t i)
{
	if (how == FP_HMAP_WINDOW)
		fp_hmap_rec_remove(t, sizeof(*t), offsetof(struct rec, key),
				   fp_hmap_geom_of(REC_BITS), FP_HMAP_WINDOW, i);
	else
		fp_hmap_rec_remove(t, sizeof(*t), offsetof(struct rec, key),
				   fp_hmap_geom_of(REC_BITS), FP_HMAP_SPREAD, i);
}

START_TEST(test_hmap_records_match_reference)
{
	enum fp_hmap_home how = _i % 2 ? FP_HMAP_WINDOW : FP_HMAP_SPREAD;
	enum key_kind kind = _i / 2 ? KEYS_SEQUENTIAL : KEYS_RANDOM;
	uint64_t seed = 1000 + (uint64_t)_i;
	struct rec *t = calloc(1u << REC_BITS, sizeof(*t));
	ck_assert_ptr_nonnull(t);
	uint8_t live[REF_KEYS] = {0};
	uint32_t nb_live = 0;
	for (int step = 0; step < 20000; step++) {
		uint32_t n = (uint32_t)(rng_next(&seed) % REF_KEYS);
		uint64_t key = pool_key(kind, n, fp_hmap_geom_of(REC_BITS));
		uint64_t i = rec_probe(t, how, key);
		EXPECT((t[i].key == key) == (live[n] != 0));
		if (!live[n] && nb_live < 700) { /* load <= 0.69: invariant 1 */
			t[i] = (struct rec){.a = n, .b = ~n, .key = key, .c = key ^ 0x5555};
			live[n] = 1;
			nb_live++;
		} else if (live[n]) {
			rec_remove(t, how, i);
			live[n] = 0;
			nb_live--;
		}
		if (step % 101 == 0)
			for (uint32_t q = 0; q < REF_KEYS; q++) {
				uint64_t k = pool_key(kind, q, fp_hmap_geom_of(REC_BITS));
				const struct rec *r = &t[rec_probe(t, how, k)];
				EXPECT((r->key == k) == (live[q] != 0));
				if (live[q]) /* the record moved whole */
					EXPECT(r->a == q && r->b == ~q && r->c == (k ^ 0x5555));
			}
	}
	free(t);
}
END_TEST

START_TEST(test_hmap_window_keeps_sequential_keys_adjacent)
{
	/* the book's reason for FP_HMAP_WINDOW: consecutive references, consecutive slots */
	uint64_t h0 = fp_hmap_home(5000, fp_hmap_geom_of(12), FP_HMAP_WINDOW);
	for (uint64_t k = 5001; k < 5100; k++)
		ck_assert_uint_eq(fp_hmap_home(k, fp_hmap_geom_of(12), FP_HMAP_WINDOW),
				  (h0 + (k - 5000)) & 4095);
}
END_TEST

START_TEST(test_hmap_clear_empties)
{
	struct fp_hmap m;
	ck_assert_int_eq(fp_hmap_init(&m, 100), 0);
	for (uint64_t k = 1; k <= 100; k++)
		ck_assert_int_eq(fp_hmap_put(&m, k, (uint32_t)k), 0);
	fp_hmap_clear(&m);
	ck_assert_uint_eq(m.nb_keys, 0);
	ck_assert_uint_eq(fp_hmap_find(&m, 50, 0), 0);
	for (uint64_t k = 1; k <= 100; k++)
		ck_assert_int_eq(fp_hmap_put(&m, k, (uint32_t)k + 1), 0);
	ck_assert_uint_eq(fp_hmap_find(&m, 50, 0), 51);
	ck_assert_uint_eq(fp_hmap_check(&m), 0);
	fp_hmap_fini(&m);
}
END_TEST

static Suite *fp_hmap_suite(void)
{
	Suite *s = suite_create("fp_hmap");
	TCase *tc = tcase_create("negative");
	tcase_add_test(tc, test_hmap_init_refuses_bad_capacity);
	tcase_add_test(tc, test_hmap_key_zero_and_full_map_refused);
	suite_add_tcase(s, tc);
	tc = tcase_create("map");
	tcase_add_loop_test(tc, test_hmap_matches_reference_under_random_operations, 0,
			    3 * KEYS_NB);
	tcase_add_test(tc, test_hmap_run_across_table_end_survives_deletes);
	tcase_add_test(tc, test_hmap_clear_empties);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tc = tcase_create("records");
	tcase_add_loop_test(tc, test_hmap_records_match_reference, 0, 4);
	tcase_add_test(tc, test_hmap_window_keeps_sequential_keys_adjacent);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fp_hmap_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
