/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_ouch_fuzz.c - deterministic mutation fuzzing of the OUCH 5.0 and SoupBinTCP
 * decoders, run in every build (the ASan build makes out-of-bounds reads fatal). Covers:
 *   - valid messages of every type, both directions, with options, mutated (byte flips,
 *     random bytes, truncation, extension, appendage-length and TagValue-length edits);
 *   - SoupBinTCP streams of such messages, mutated the same way, read whole and in chunks;
 *   - properties of fp_ouch_fuzz_one.h: a message that decodes re-encodes to its exact
 *     bytes; the stream reader agrees with the whole-buffer parser.
 * The seed of each case is its loop index (printed on failure). The same properties run
 * under libFuzzer with -DFP_FUZZ=ON (tests/proto_ouch/fuzz_fp_ouch.c).
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_ouch_fuzz_one.h"

#define NB_SEEDS_MAX 64
#define ITERS        60000

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

struct seed {
	uint8_t b[FP_OUCH_MAX_MSG];
	size_t len;
};

static unsigned make_seeds(struct seed *out)
{
	static const char in[] = "OUXMCDEQ", outb[] = "SAUCDEBJPITMRXGKQ";
	unsigned n = 0;
	for (int dir = 1; dir <= 2; dir++) {
		const char *types = dir == 1 ? in : outb;
		for (const char *t = types; *t; t++) {
			for (int opt = 0; opt <= 1; opt++) {
				struct fp_ouch_msg m = {.type = (uint8_t)*t,
							.dir = (uint8_t)dir,
							.has_appendage = 1};
				m.user_ref_num = 42;
				m.quantity = 100;
				m.price = 1234500;
				memcpy(m.symbol, "AAPL    ", 8);
				memcpy(m.cl_ord_id, "ID            ", 14);
				if (opt && *t != 'S') {
					m.opts.user_ref_idx = 3;
					fp_ouch_opt_add(&m.opts, FP_OUCH_TAG_USER_REF_IDX);
				}
				if (opt && (*t == 'O' || *t == 'A')) {
					memcpy(m.opts.firm, "FIRM", 4);
					fp_ouch_opt_add(&m.opts, FP_OUCH_TAG_FIRM);
					m.opts.min_qty = 100;
					fp_ouch_opt_add(&m.opts, FP_OUCH_TAG_MIN_QTY);
				}
				int k = fp_ouch_encode(&m, out[n].b, sizeof(out[n].b));
				if (k > 0 && n < NB_SEEDS_MAX)
					out[n++].len = (size_t)k;
			}
		}
	}
	return n;
}

static size_t mutate(uint64_t *r, uint8_t *b, size_t len, size_t cap)
{
	unsigned nb = 1 + (unsigned)(rng_next(r) % 4);
	for (unsigned i = 0; i < nb; i++) {
		switch (rng_next(r) % 6) {
		case 0: /* flip a bit */
			if (len)
				b[rng_next(r) % len] ^= (uint8_t)(1u << (rng_next(r) % 8));
			break;
		case 1: /* random byte */
			if (len)
				b[rng_next(r) % len] = (uint8_t)rng_next(r);
			break;
		case 2: /* truncate */
			if (len)
				len = (size_t)(rng_next(r) % len);
			break;
		case 3: /* extend with random bytes */ {
			size_t add = 1 + (size_t)(rng_next(r) % 8);
			for (size_t k = 0; k < add && len < cap; k++)
				b[len++] = (uint8_t)rng_next(r);
			break;
		}
		case 4: /* small edit near the end: appendage lengths and TagValue headers */
			if (len > 2)
				b[len - 1 - rng_next(r) % FP_MIN(len - 1, (size_t)12)] =
					(uint8_t)(rng_next(r) % 32);
			break;
		default: /* a type letter from the other set */
			if (len)
				b[0] = (uint8_t) "OUXMCDEQSABJPITRGK+LHZ"[rng_next(r) % 22];
			break;
		}
	}
	return len;
}

static struct seed seeds[NB_SEEDS_MAX];
static unsigned nb_seeds;

START_TEST(test_ouch_fuzz_messages_keep_properties)
{
	if (nb_seeds == 0)
		nb_seeds = make_seeds(seeds);
	ck_assert_uint_gt(nb_seeds, 40);
	for (unsigned i = 0; i < nb_seeds; i++) /* the seeds themselves */
		ck_assert_int_eq(fp_ouch_fuzz_one(seeds[i].b, seeds[i].len), 0);
	uint8_t buf[FP_OUCH_MAX_MSG + 16];
	for (uint64_t it = 0; it < ITERS; it++) {
		uint64_t r = it * 0x9E3779B97F4A7C15ull + 1;
		const struct seed *s = &seeds[rng_next(&r) % nb_seeds];
		memcpy(buf, s->b, s->len);
		size_t len = mutate(&r, buf, s->len, sizeof(buf));
		int bad = fp_ouch_fuzz_one(buf, len);
		ck_assert_msg(bad == 0, "case %" PRIu64 ": property %d", it, bad);
	}
}
END_TEST

START_TEST(test_soup_fuzz_streams_keep_properties)
{
	if (nb_seeds == 0)
		nb_seeds = make_seeds(seeds);
	uint8_t buf[2048];
	for (uint64_t it = 0; it < ITERS / 4; it++) {
		uint64_t r = it * 0xD1B54A32D192ED03ull + 7;
		size_t len = 0;
		unsigned nb = 1 + (unsigned)(rng_next(&r) % 6);
		for (unsigned k = 0; k < nb; k++) {
			const struct seed *s = &seeds[rng_next(&r) % nb_seeds];
			uint8_t type = (uint8_t) "SUHRZO"[rng_next(&r) % 6];
			size_t n =
				type == 'S' || type == 'U'
					? fp_soup_build_data(buf + len, sizeof(buf) - len, type,
							     s->b, s->len)
					: fp_soup_build_empty(buf + len, sizeof(buf) - len, type);
			len += n;
		}
		len = mutate(&r, buf, len, sizeof(buf));
		int bad = fp_ouch_fuzz_one(buf, len);
		ck_assert_msg(bad == 0, "stream %" PRIu64 ": property %d", it, bad);
	}
}
END_TEST

static Suite *fp_ouch_fuzz_suite(void)
{
	Suite *s = suite_create("fp_ouch_fuzz");
	TCase *tc = tcase_create("mutation");
	tcase_add_test(tc, test_ouch_fuzz_messages_keep_properties);
	tcase_add_test(tc, test_soup_fuzz_streams_keep_properties);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fp_ouch_fuzz_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
