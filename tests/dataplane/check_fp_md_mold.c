/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_md_mold.c - MoldUDP64 session logic with an injected clock: negative config,
 * in-order delivery, duplicates and old packets, reordering within the window, gaps and
 * their counters, A/B merge (first copy wins), heartbeats and end of session, rate-limited
 * retransmission requests and recovery from the answers, an unrecoverable gap -> stale, and
 * a random A/B/loss/retransmission property test against a plain model.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_endian.h"
#include "fp_md_mold.h"

#define MS 1000000ull

struct harness {
	struct fp_md_mold *s;
	uint8_t buf[2048];
	uint64_t got[4096]; /* sequence numbers delivered, in order */
	unsigned nb_got;
	uint8_t got_line[4096];
};

static struct fp_md_mold_cfg default_cfg(void)
{
	struct fp_md_mold_cfg cfg = {
		.first_seq = 1,
		.window = 64,
		.max_request = 100,
		.request_interval_ns = 10 * MS,
		.stale_timeout_ns = 100 * MS,
	};
	memcpy(cfg.session, "SESSION001", 10);
	return cfg;
}

static struct fp_md_mold *new_session(const struct fp_md_mold_cfg *cfg)
{
	struct fp_md_mold *s = aligned_alloc(64, FP_ALIGN_UP(fp_md_mold_memsize(cfg->window), 64));
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(fp_md_mold_init(s, cfg), 0);
	return s;
}

/* Build a packet of `count` messages seq..seq+count-1; message body = 8-byte BE seq. */
static struct fp_md_mold_pkt mkpkt(struct harness *h, const char *session, uint64_t seq,
				   uint16_t count, uint8_t line)
{
	uint8_t *b = h->buf;
	unsigned n = (count == FP_MD_MOLD_END) ? 0 : count;
	for (unsigned i = 0; i < n; i++) {
		fp_put_be16(b, 8);
		fp_put_be64(b + 2, seq + i);
		b += 10;
	}
	return (struct fp_md_mold_pkt){.mold = {.session = session,
						.sequence_number = seq,
						.message_count = count,
						.blocks = h->buf,
						.blocks_len = (uint32_t)(b - h->buf)},
				       .line = line,
				       .t_rx = seq};
}

/* Feed one packet and collect what is delivered (packet part, then drained buffer). */
static enum fp_md_mold_action feed(struct harness *h, const char *session, uint64_t seq,
				   uint16_t count, uint8_t line, uint64_t now)
{
	struct fp_md_mold_pkt p = mkpkt(h, session, seq, count, line);
	uint32_t skip = 0;
	enum fp_md_mold_action a = fp_md_mold_on_packet(h->s, &p, now, &skip);
	if (a == FP_MD_MOLD_DELIVER) {
		for (uint32_t i = skip; i < count; i++) {
			uint64_t q = fp_get_be64(p.mold.blocks + 10 * i + 2);
			ck_assert_uint_eq(q, seq + i);
			h->got_line[h->nb_got] = line;
			h->got[h->nb_got++] = q;
		}
	}
	struct fp_md_mold_msg m;
	while (fp_md_mold_next(h->s, &m, now)) {
		ck_assert_uint_eq(m.len, 8);
		ck_assert_uint_eq(fp_get_be64(m.data), m.seq);
		h->got_line[h->nb_got] = m.line;
		h->got[h->nb_got++] = m.seq;
	}
	return a;
}

static void drain(struct harness *h, uint64_t now)
{
	struct fp_md_mold_msg m;
	while (fp_md_mold_next(h->s, &m, now)) {
		h->got_line[h->nb_got] = m.line;
		h->got[h->nb_got++] = m.seq;
	}
}

static void assert_delivered_range(const struct harness *h, uint64_t from, uint64_t to)
{
	ck_assert_uint_eq(h->nb_got, to - from);
	for (unsigned i = 0; i < h->nb_got; i++)
		ck_assert_msg(h->got[i] == from + i, "delivery %u: seq %llu, expected %llu", i,
			      (unsigned long long)h->got[i], (unsigned long long)(from + i));
}

static struct harness *harness_new(const struct fp_md_mold_cfg *cfg)
{
	struct harness *h = calloc(1, sizeof(*h));
	h->s = new_session(cfg);
	return h;
}

static void harness_free(struct harness *h)
{
	free(h->s);
	free(h);
}

START_TEST(test_mold_rejects_bad_window_and_request)
{
	struct fp_md_mold_cfg cfg = default_cfg();
	struct fp_md_mold *s = aligned_alloc(64, FP_ALIGN_UP(fp_md_mold_memsize(256), 64));
	cfg.window = 48;
	ck_assert_int_eq(fp_md_mold_init(s, &cfg), -EINVAL);
	cfg.window = 0;
	ck_assert_int_eq(fp_md_mold_init(s, &cfg), -EINVAL);
	cfg.window = 1u << 20;
	ck_assert_int_eq(fp_md_mold_init(s, &cfg), -EINVAL);
	cfg.window = 64;
	cfg.max_request = 0;
	ck_assert_int_eq(fp_md_mold_init(s, &cfg), -EINVAL);
	free(s);
}
END_TEST

START_TEST(test_mold_delivers_in_order_packets)
{
	struct fp_md_mold_cfg cfg = default_cfg();
	struct harness *h = harness_new(&cfg);
	ck_assert_int_eq(feed(h, "SESSION001", 1, 3, 0, 0), FP_MD_MOLD_DELIVER);
	ck_assert_int_eq(feed(h, "SESSION001", 4, 2, 0, 0), FP_MD_MOLD_DELIVER);
	assert_delivered_range(h, 1, 6);
	ck_assert_uint_eq(h->s->stats->messages, 5);
	ck_assert_uint_eq(h->s->stats->gaps, 0);
	ck_assert(!fp_md_mold_gap_open(h->s));
	harness_free(h);
}
END_TEST

START_TEST(test_mold_learns_session_and_sequence_when_unset)
{
	struct fp_md_mold_cfg cfg = default_cfg();
	memset(cfg.session, ' ', 10);
	cfg.first_seq = 0;
	struct harness *h = harness_new(&cfg);
	ck_assert_int_eq(feed(h, "000010059B", 14757701, 2, 0, 0), FP_MD_MOLD_DELIVER);
	ck_assert_int_eq(feed(h, "OTHERSESSN", 14757703, 1, 0, 0), FP_MD_MOLD_DROP);
	ck_assert_uint_eq(h->s->stats->foreign, 1);
	assert_delivered_range(h, 14757701, 14757703);
	harness_free(h);
}
END_TEST

START_TEST(test_mold_drops_duplicates_and_old_packets)
{
	struct fp_md_mold_cfg cfg = default_cfg();
	struct harness *h = harness_new(&cfg);
	feed(h, "SESSION001", 1, 5, 0, 0);
	ck_assert_int_eq(feed(h, "SESSION001", 1, 5, 0, 0), FP_MD_MOLD_DROP);
	ck_assert_int_eq(feed(h, "SESSION001", 2, 2, 0, 0), FP_MD_MOLD_DROP);
	/* Overlap: 4..7, of which 4 and 5 are old. */
	ck_assert_int_eq(feed(h, "SESSION001", 4, 4, 0, 0), FP_MD_MOLD_DELIVER);
	assert_delivered_range(h, 1, 8);
	ck_assert_uint_eq(h->s->stats->duplicates, 5 + 2 + 2);
	ck_assert_uint_eq(h->s->stats->gaps, 0);
	harness_free(h);
}
END_TEST

START_TEST(test_mold_reorders_within_window)
{
	struct fp_md_mold_cfg cfg = default_cfg();
	struct harness *h = harness_new(&cfg);
	feed(h, "SESSION001", 1, 2, 0, 0);                                        /* 1,2 */
	ck_assert_int_eq(feed(h, "SESSION001", 5, 2, 0, 0), FP_MD_MOLD_BUFFERED); /* 5,6 */
	ck_assert_int_eq(feed(h, "SESSION001", 4, 1, 0, 0), FP_MD_MOLD_BUFFERED); /* 4 */
	ck_assert(fp_md_mold_gap_open(h->s));
	ck_assert_uint_eq(h->nb_got, 2);
	ck_assert_int_eq(feed(h, "SESSION001", 3, 1, 0, 0), FP_MD_MOLD_DELIVER); /* 3 */
	assert_delivered_range(h, 1, 7);
	ck_assert(!fp_md_mold_gap_open(h->s));
	ck_assert_uint_eq(h->s->stats->gaps, 1);
	ck_assert_uint_eq(h->s->stats->missing, 2);
	ck_assert_uint_eq(h->s->stats->recovered, 2);
	ck_assert_uint_eq(h->s->stats->lost, 0);
	harness_free(h);
}
END_TEST

START_TEST(test_mold_counts_gaps_and_out_of_window)
{
	struct fp_md_mold_cfg cfg = default_cfg();
	cfg.window = 8;
	struct harness *h = harness_new(&cfg);
	feed(h, "SESSION001", 1, 1, 0, 0);
	/* expected 2; window covers 2..9; 8..11 is half in. */
	ck_assert_int_eq(feed(h, "SESSION001", 8, 4, 0, 0), FP_MD_MOLD_BUFFERED);
	ck_assert_uint_eq(h->s->stats->gaps, 1);
	ck_assert_uint_eq(h->s->stats->missing, 6);
	ck_assert_uint_eq(h->s->stats->buffered, 2);
	ck_assert_uint_eq(h->s->stats->out_of_window, 2);
	harness_free(h);
}
END_TEST

START_TEST(test_mold_merges_a_and_b_first_copy_wins)
{
	struct fp_md_mold_cfg cfg = default_cfg();
	struct harness *h = harness_new(&cfg);
	/* A loses 3..4, B loses 6; B is late for 1..2. */
	feed(h, "SESSION001", 1, 2, FP_MD_MOLD_LINE_A, 0);
	feed(h, "SESSION001", 1, 2, FP_MD_MOLD_LINE_B, 0);
	feed(h, "SESSION001", 3, 2, FP_MD_MOLD_LINE_B, 0);
	feed(h, "SESSION001", 5, 1, FP_MD_MOLD_LINE_A, 0);
	feed(h, "SESSION001", 5, 1, FP_MD_MOLD_LINE_B, 0);
	feed(h, "SESSION001", 6, 1, FP_MD_MOLD_LINE_A, 0);
	assert_delivered_range(h, 1, 7);
	ck_assert_uint_eq(h->got_line[0], FP_MD_MOLD_LINE_A);
	ck_assert_uint_eq(h->got_line[2], FP_MD_MOLD_LINE_B);
	ck_assert_uint_eq(h->got_line[5], FP_MD_MOLD_LINE_A);
	ck_assert_uint_eq(h->s->stats->duplicates, 3);
	ck_assert_uint_eq(h->s->stats->gaps, 0);
	ck_assert_uint_eq(h->s->stats->packets[FP_MD_MOLD_LINE_A], 3);
	ck_assert_uint_eq(h->s->stats->packets[FP_MD_MOLD_LINE_B], 3);
	harness_free(h);
}
END_TEST

START_TEST(test_mold_heartbeat_reveals_gap_and_end_of_session)
{
	struct fp_md_mold_cfg cfg = default_cfg();
	struct harness *h = harness_new(&cfg);
	feed(h, "SESSION001", 1, 2, 0, 0);
	ck_assert_int_eq(feed(h, "SESSION001", 3, FP_MD_MOLD_HEARTBEAT, 0, 0), FP_MD_MOLD_DROP);
	ck_assert(!fp_md_mold_gap_open(h->s));
	/* Heartbeat says next is 6: 3..5 were sent and lost. */
	feed(h, "SESSION001", 6, FP_MD_MOLD_HEARTBEAT, 0, MS);
	ck_assert(fp_md_mold_gap_open(h->s));
	ck_assert_uint_eq(h->s->stats->missing, 3);
	ck_assert_uint_eq(h->s->stats->heartbeats, 2);
	feed(h, "SESSION001", 3, 3, FP_MD_MOLD_LINE_RETRANS, 2 * MS);
	ck_assert(!fp_md_mold_gap_open(h->s));
	ck_assert_uint_eq(h->s->stats->recovered, 3);
	feed(h, "SESSION001", 6, FP_MD_MOLD_END, 0, 3 * MS);
	ck_assert(h->s->ended);
	ck_assert_uint_eq(h->s->stats->end_of_session, 1);
	assert_delivered_range(h, 1, 6);
	harness_free(h);
}
END_TEST

START_TEST(test_mold_requests_missing_range_rate_limited)
{
	struct fp_md_mold_cfg cfg = default_cfg();
	cfg.max_request = 3;
	struct harness *h = harness_new(&cfg);
	struct fp_md_mold_tick t;
	feed(h, "SESSION001", 1, 1, 0, 0);
	ck_assert_uint_eq(fp_md_mold_tick(h->s, 0, &t), 0); /* no gap, no request */
	feed(h, "SESSION001", 10, 1, 0, 1 * MS);            /* 2..9 missing */
	ck_assert_uint_eq(fp_md_mold_tick(h->s, 1 * MS, &t), FP_MD_MOLD_TICK_REQUEST);
	ck_assert_uint_eq(t.request_seq, 2);
	ck_assert_uint_eq(t.request_count, 3); /* capped by max_request */
	/* Rate limit: nothing before request_interval_ns. */
	ck_assert_uint_eq(fp_md_mold_tick(h->s, 5 * MS, &t), 0);
	ck_assert_uint_eq(fp_md_mold_tick(h->s, 11 * MS, &t), FP_MD_MOLD_TICK_REQUEST);
	ck_assert_uint_eq(h->s->stats->requests, 2);
	/* Answer 2..4: next request starts at 5 and stops before the buffered 10. */
	feed(h, "SESSION001", 2, 3, FP_MD_MOLD_LINE_RETRANS, 12 * MS);
	ck_assert_uint_eq(fp_md_mold_tick(h->s, 21 * MS, &t), FP_MD_MOLD_TICK_REQUEST);
	ck_assert_uint_eq(t.request_seq, 5);
	ck_assert_uint_eq(t.request_count, 3);
	feed(h, "SESSION001", 5, 5, FP_MD_MOLD_LINE_RETRANS, 22 * MS);
	assert_delivered_range(h, 1, 11);
	ck_assert_uint_eq(h->got_line[1], FP_MD_MOLD_LINE_RETRANS);
	ck_assert(!fp_md_mold_gap_open(h->s));
	ck_assert_uint_eq(fp_md_mold_tick(h->s, 40 * MS, &t), 0);
	ck_assert_uint_eq(h->s->stats->recovered, 8);
	ck_assert_uint_eq(h->s->stats->lost, 0);
	harness_free(h);
}
END_TEST

START_TEST(test_mold_unrecoverable_gap_goes_stale_and_moves_on)
{
	struct fp_md_mold_cfg cfg = default_cfg();
	struct harness *h = harness_new(&cfg);
	struct fp_md_mold_tick t;
	feed(h, "SESSION001", 1, 1, 0, 0);
	feed(h, "SESSION001", 4, 2, 0, 1 * MS); /* 2,3 missing; 4,5 buffered */
	feed(h, "SESSION001", 8, 1, 0, 2 * MS); /* 6,7 missing; 8 buffered */
	ck_assert_uint_eq(fp_md_mold_tick(h->s, 50 * MS, &t), FP_MD_MOLD_TICK_REQUEST);
	ck_assert_uint_eq(fp_md_mold_tick(h->s, 101 * MS, &t), FP_MD_MOLD_TICK_STALE);
	ck_assert_uint_eq(t.stale_seq, 2);
	ck_assert_uint_eq(t.stale_count, 4);
	drain(h, 101 * MS);
	ck_assert_uint_eq(h->nb_got, 4);
	ck_assert_uint_eq(h->got[1], 4);
	ck_assert_uint_eq(h->got[2], 5);
	ck_assert_uint_eq(h->got[3], 8);
	ck_assert_uint_eq(h->s->stats->lost, 4);
	ck_assert(!fp_md_mold_gap_open(h->s));
	/* Late answers for the lost range are now old: dropped. */
	ck_assert_int_eq(feed(h, "SESSION001", 2, 2, FP_MD_MOLD_LINE_RETRANS, 102 * MS),
			 FP_MD_MOLD_DROP);
	ck_assert_int_eq(feed(h, "SESSION001", 9, 1, 0, 103 * MS), FP_MD_MOLD_DELIVER);
	ck_assert_uint_eq(fp_md_mold_tick(h->s, 500 * MS, &t), 0);
	harness_free(h);
}
END_TEST

START_TEST(test_mold_stale_with_nothing_buffered_skips_to_high_water)
{
	struct fp_md_mold_cfg cfg = default_cfg();
	cfg.window = 4;
	struct harness *h = harness_new(&cfg);
	struct fp_md_mold_tick t;
	feed(h, "SESSION001", 1, 1, 0, 0);
	feed(h, "SESSION001", 1000, FP_MD_MOLD_HEARTBEAT, 0, 0);
	ck_assert_uint_eq(fp_md_mold_tick(h->s, 100 * MS, &t), FP_MD_MOLD_TICK_STALE);
	ck_assert_uint_eq(t.stale_count, 998);
	drain(h, 100 * MS);
	ck_assert_uint_eq(h->s->stats->lost, 998);
	ck_assert_int_eq(feed(h, "SESSION001", 1000, 1, 0, 101 * MS), FP_MD_MOLD_DELIVER);
	harness_free(h);
}
END_TEST

/* Property: random split of 1..N into packets, sent on A and B with random loss and
 * reordering, answered by retransmissions; everything arrives exactly once, in order. */
/* A late join by snapshot (issue 16): the session is held while the snapshot loads (live
 * packets wait in the buffer, nothing is asked for), then resumes at the snapshot's
 * sequence: older buffered messages are dropped as in the snapshot, newer ones drain. */
START_TEST(test_mold_hold_buffers_then_skip_to_snapshot_sequence)
{
	struct fp_md_mold_cfg cfg = default_cfg();
	struct harness *h = harness_new(&cfg);
	fp_md_mold_skip_to(h->s, 1000, 0); /* first live packet at 1000 */
	fp_md_mold_hold(h->s, true);
	ck_assert_int_eq(feed(h, "SESSION001", 1000, 4, 0, 0), FP_MD_MOLD_BUFFERED);
	ck_assert_int_eq(feed(h, "SESSION001", 1004, 4, 0, 0), FP_MD_MOLD_BUFFERED);
	ck_assert_int_eq(feed(h, "SESSION001", 1008, 2, 0, 0), FP_MD_MOLD_BUFFERED);
	ck_assert_uint_eq(h->nb_got, 0);
	struct fp_md_mold_tick t;
	ck_assert_uint_eq(fp_md_mold_tick(h->s, 1000 * MS, &t), 0); /* held: no request */
	fp_md_mold_skip_to(h->s, 1006, 1000 * MS);                  /* the snapshot's seq */
	fp_md_mold_hold(h->s, false);
	drain(h, 1000 * MS);
	assert_delivered_range(h, 1006, 1010);
	ck_assert(!fp_md_mold_gap_open(h->s));
	ck_assert_uint_eq(h->s->nb_buffered, 0);
	ck_assert_uint_eq(h->s->stats->skipped, 1006 - 1);
	ck_assert_uint_eq(h->s->stats->lost, 0);
	/* a snapshot older than the buffer: the range between becomes a gap to ask for */
	harness_free(h);
	h = harness_new(&cfg);
	fp_md_mold_skip_to(h->s, 500, 0);
	fp_md_mold_hold(h->s, true);
	feed(h, "SESSION001", 500, 4, 0, 0);
	fp_md_mold_skip_to(h->s, 490, 0);
	fp_md_mold_hold(h->s, false);
	ck_assert(fp_md_mold_gap_open(h->s));
	ck_assert_uint_eq(fp_md_mold_tick(h->s, 0, &t), FP_MD_MOLD_TICK_REQUEST);
	ck_assert_uint_eq(t.request_seq, 490);
	ck_assert_uint_eq(t.request_count, 10);
	feed(h, "SESSION001", 490, 10, FP_MD_MOLD_LINE_RETRANS, 0);
	assert_delivered_range(h, 490, 504);
	harness_free(h);
}
END_TEST

START_TEST(test_mold_random_ab_loss_recovers_everything)
{
	unsigned seed = 1000u + (unsigned)_i;
	srand(seed);
	struct fp_md_mold_cfg cfg = default_cfg();
	cfg.window = 1024;
	struct harness *h = harness_new(&cfg);
	const uint64_t n = 2000;
	uint64_t now = 0;
	struct fp_md_mold_tick t;
	for (uint64_t q = 1; q <= n;) {
		uint16_t c = (uint16_t)(1 + rand() % 5);
		if (q + c > n + 1)
			c = (uint16_t)(n + 1 - q);
		if (rand() % 4)
			feed(h, "SESSION001", q, c, FP_MD_MOLD_LINE_A, now);
		if (rand() % 4)
			feed(h, "SESSION001", q, c, FP_MD_MOLD_LINE_B, now);
		now += MS / 10;
		if (fp_md_mold_tick(h->s, now, &t) & FP_MD_MOLD_TICK_REQUEST) {
			uint64_t last = h->s->hi_seq;
			uint64_t cnt = t.request_count;
			if (t.request_seq + cnt > last)
				cnt = last - t.request_seq;
			if (cnt)
				feed(h, "SESSION001", t.request_seq, (uint16_t)cnt,
				     FP_MD_MOLD_LINE_RETRANS, now);
		}
		q += c;
	}
	/* Tail: a heartbeat reveals any lost end, then requests finish the job. */
	feed(h, "SESSION001", n + 1, FP_MD_MOLD_HEARTBEAT, 0, now);
	for (int i = 0; i < 100000 && fp_md_mold_gap_open(h->s); i++) {
		now += 20 * MS / 2;
		if (fp_md_mold_tick(h->s, now, &t) & FP_MD_MOLD_TICK_REQUEST)
			feed(h, "SESSION001", t.request_seq, t.request_count,
			     FP_MD_MOLD_LINE_RETRANS, now);
	}
	ck_assert_msg(h->s->stats->lost == 0, "seed %u: lost %llu", seed,
		      (unsigned long long)h->s->stats->lost);
	ck_assert_msg(h->nb_got == n, "seed %u: got %u of %llu", seed, h->nb_got,
		      (unsigned long long)n);
	assert_delivered_range(h, 1, n + 1);
	harness_free(h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_md_mold");
	TCase *neg = tcase_create("negative");
	tcase_add_test(neg, test_mold_rejects_bad_window_and_request);
	suite_add_tcase(s, neg);
	TCase *seq = tcase_create("sequencing");
	tcase_add_test(seq, test_mold_delivers_in_order_packets);
	tcase_add_test(seq, test_mold_learns_session_and_sequence_when_unset);
	tcase_add_test(seq, test_mold_drops_duplicates_and_old_packets);
	tcase_add_test(seq, test_mold_reorders_within_window);
	tcase_add_test(seq, test_mold_counts_gaps_and_out_of_window);
	tcase_add_test(seq, test_mold_merges_a_and_b_first_copy_wins);
	tcase_add_test(seq, test_mold_heartbeat_reveals_gap_and_end_of_session);
	suite_add_tcase(s, seq);
	TCase *rec = tcase_create("recovery");
	tcase_add_test(rec, test_mold_requests_missing_range_rate_limited);
	tcase_add_test(rec, test_mold_unrecoverable_gap_goes_stale_and_moves_on);
	tcase_add_test(rec, test_mold_stale_with_nothing_buffered_skips_to_high_water);
	tcase_add_test(rec, test_mold_hold_buffers_then_skip_to_snapshot_sequence);
	tcase_add_loop_test(rec, test_mold_random_ab_loss_recovers_everything, 0, 20);
	suite_add_tcase(s, rec);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
