/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_store_stage.c - the store stage: ring events into the file with their producer
 * and in order; slots released only after the write (J1: a failing write, by RLIMIT_FSIZE,
 * releases nothing); rotation at UTC midnight with an injected clock; fsync counters of the
 * three policies; control block changes journaled, missed ones counted; disk full on a
 * small tmpfs (root; skipped with a message otherwise): kill switch tripped with the
 * reason, slots kept, then space freed and every record lands exactly once.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fp_err.h"
#include "fp_journal.h"
#include "fp_store_replay.h"
#include "fp_store_stage.h"

#define MS    1000000ull
#define DAY   (86400ull * 1000000000ull)
#define T0_NS (1795478400ull * 1000000000ull) /* 2026-11-24 00:00 UTC */

static char tmpdir[64];
static uint64_t fake_now;

static uint64_t fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_fp_sstage.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	fake_now = T0_NS + 12 * 3600 * 1000000000ull;
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "%s/small", tmpdir);
	umount2(cmd, MNT_DETACH); /* left mounted by a failed disk-full test */
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct fp_ring *ring_new(uint32_t cap)
{
	struct fp_ring *r = aligned_alloc(64, fp_ring_memsize(cap));
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(fp_ring_init(r, cap, "j"), 0);
	return r;
}

static void push(struct fp_ring *r, uint16_t type, uint64_t seq)
{
	struct fp_event ev = {.type = type, .seq = seq, .symbol_id = (uint32_t)seq % 97};
	ck_assert_uint_eq(fp_ring_enqueue_burst(r, &ev, 1), 1);
}

static void base_cfg(struct fp_store_cfg *c, const char *dir, struct fp_ring *risk,
		     struct fp_ring *gw)
{
	memset(c, 0, sizeof(*c));
	c->dir = dir;
	c->instance = "t";
	c->inputs[0] = (struct fp_store_input){risk, FP_JRNL_SRC_RISK};
	c->inputs[1] = (struct fp_store_input){gw, FP_JRNL_SRC_GW};
	c->nb_inputs = 2;
	c->fsync = FP_STORE_FSYNC_NONE;
	c->clock_ns = fake_clock;
}

/* What replay saw: records per producer, event seqs per producer in order. */
struct tally {
	uint64_t n, by_src[5], start, ctl, next_seq[5], dup;
	uint32_t days[4];
	unsigned nb_days;
	struct fp_shm_ctl_change last_ctl;
};

static int on_rec(void *arg, const struct fp_store_record *r, uint32_t day)
{
	struct tally *t = arg;
	t->n++;
	if (!t->nb_days || t->days[t->nb_days - 1] != day)
		t->days[t->nb_days++] = day;
	ck_assert_uint_lt(r->flags, 5);
	t->by_src[r->flags]++;
	if (r->type == FP_JRNL_REC_STORE_START) {
		ck_assert_uint_eq(r->len, sizeof(struct fp_jrnl_store_start));
		t->start++;
	} else if (r->type == FP_JRNL_REC_CTL_CHANGE) {
		ck_assert_uint_eq(r->len, sizeof(t->last_ctl));
		memcpy(&t->last_ctl, r->payload, sizeof(t->last_ctl));
		t->ctl++;
	} else {
		struct fp_event ev;
		ck_assert_uint_eq(r->len, sizeof(ev));
		memcpy(&ev, r->payload, sizeof(ev));
		ck_assert_uint_eq(ev.type, r->type);
		/* every producer's events in order, each once */
		ck_assert_msg(ev.seq == t->next_seq[r->flags] + 1, "src %u: seq %llu after %llu",
			      r->flags, (unsigned long long)ev.seq,
			      (unsigned long long)t->next_seq[r->flags]);
		t->next_seq[r->flags] = ev.seq;
	}
	return 0;
}

static void replay(const char *dir, struct tally *t)
{
	struct fp_store_replay_stats st;
	memset(t, 0, sizeof(*t));
	ck_assert_msg(fp_store_replay(dir, "t", on_rec, t, &st) == 0, "%s", fp_err_msg());
	ck_assert_uint_eq(st.torn_bytes, 0);
}

START_TEST(test_stage_refuses_bad_config)
{
	struct fp_store_stage s;
	struct fp_store_cfg c;
	struct fp_ring *a = ring_new(64), *b = ring_new(64);
	base_cfg(&c, "", a, b);
	ck_assert_int_eq(fp_store_stage_init(&s, &c), -EINVAL);
	base_cfg(&c, tmpdir, NULL, b);
	ck_assert_int_eq(fp_store_stage_init(&s, &c), -EINVAL);
	ck_assert_msg(strstr(fp_err_msg(), "journal ring 0 is missing") != NULL, "%s",
		      fp_err_msg());
	free(a);
	free(b);
}
END_TEST

START_TEST(test_stage_writes_ring_events_with_their_producer)
{
	struct fp_store_stage s;
	struct fp_store_cfg c;
	struct fp_ring *risk = ring_new(256), *gw = ring_new(256);
	char dir[128];
	struct tally t;
	snprintf(dir, sizeof(dir), "%s/a/b", tmpdir); /* created with its parents */
	base_cfg(&c, dir, risk, gw);
	ck_assert_msg(fp_store_stage_init(&s, &c) == 0, "%s", fp_err_msg());
	for (uint64_t i = 1; i <= 200; i++) {
		push(risk, FP_EV_ORDER_NEW, i);
		if (i <= 150)
			push(gw, FP_EV_EXEC_FILL, i);
	}
	unsigned polls = 0;
	while (fp_ring_count(risk) + fp_ring_count(gw) > 0 && polls < 100) {
		fp_store_stage_poll(&s, 64);
		polls++;
	}
	ck_assert_uint_eq(fp_ring_count(risk) + fp_ring_count(gw), 0);
	const struct fp_store_stats *st = fp_store_stage_stats(&s);
	ck_assert_uint_eq(st->ring_records[0], 200);
	ck_assert_uint_eq(st->ring_records[1], 150);
	ck_assert_uint_eq(st->records, 351);
	ck_assert_uint_eq(st->bytes,
			  350 * (FP_STORE_REC_HDR_SIZE + 64) + FP_STORE_REC_HDR_SIZE + 32);
	ck_assert_uint_eq(fp_store_stage_poll(&s, 64), 0);
	fp_store_stage_fini(&s);
	replay(dir, &t);
	ck_assert_uint_eq(t.n, 351);
	ck_assert_uint_eq(t.start, 1);
	ck_assert_uint_eq(t.by_src[FP_JRNL_SRC_RISK], 200);
	ck_assert_uint_eq(t.by_src[FP_JRNL_SRC_GW], 150);
	ck_assert_uint_eq(t.by_src[FP_JRNL_SRC_STORE], 1);
	/* a restart appends to the same file, after a second start record */
	ck_assert_int_eq(fp_store_stage_init(&s, &c), 0);
	push(gw, FP_EV_EXEC_FILL, 151);
	fp_store_stage_poll(&s, 64);
	fp_store_stage_fini(&s);
	replay(dir, &t);
	ck_assert_uint_eq(t.n, 353);
	ck_assert_uint_eq(t.start, 2);
	free(risk);
	free(gw);
}
END_TEST

static void ignore_sigxfsz(void)
{
	signal(SIGXFSZ, SIG_IGN); /* write() then fails with EFBIG */
}

static void set_fsize(rlim_t n)
{
	struct rlimit rl;
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
	rl.rlim_cur = n;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

START_TEST(test_stage_releases_slots_only_after_the_write)
{
	struct fp_store_stage s;
	struct fp_store_cfg c;
	struct fp_ring *risk = ring_new(256), *gw = ring_new(256);
	struct fp_shm_ctl *ctl = aligned_alloc(64, sizeof(*ctl));
	struct fp_shm_ctl_change ch;
	struct tally t;
	fp_shm_ctl_init(ctl);
	base_cfg(&c, tmpdir, risk, gw);
	c.ctl = ctl;
	c.retry_ms = 100;
	ck_assert_int_eq(fp_store_stage_init(&s, &c), 0);
	push(risk, FP_EV_ORDER_NEW, 1);
	fp_store_stage_poll(&s, 64);
	ck_assert_uint_eq(fp_ring_count(risk), 0);

	/* The file may not grow: the write fails, nothing is released. */
	ignore_sigxfsz();
	struct stat sb;
	ck_assert_int_eq(stat(fp_store_stage_stats(&s)->path, &sb), 0);
	set_fsize((rlim_t)sb.st_size);
	for (uint64_t i = 2; i <= 40; i++)
		push(risk, FP_EV_ORDER_NEW, i);
	push(gw, FP_EV_EXEC_ACCEPTED, 1);
	fp_store_stage_poll(&s, 64);
	ck_assert_uint_eq(fp_ring_count(risk), 39);
	ck_assert_uint_eq(fp_ring_count(gw), 1);
	const struct fp_store_stats *st = fp_store_stage_stats(&s);
	ck_assert_uint_eq(st->halted, 1);
	ck_assert_uint_eq(st->write_errors, 1);
	ck_assert_int_eq(st->last_errno, EFBIG);
	ck_assert(fp_shm_ctl_killed(ctl));
	ck_assert(fp_shm_ctl_last_change(ctl, &ch));
	ck_assert_str_eq(ch.who, "store");
	ck_assert_msg(strstr(ch.reason, "journal write failed: File too large") == ch.reason, "%s",
		      ch.reason);
	ck_assert_msg(strstr(ch.reason, "trading halted; free space, then rearm") != NULL, "%s",
		      ch.reason);
	/* more events meanwhile: not taken; no retry before retry_ms */
	push(risk, FP_EV_ORDER_NEW, 41);
	fake_now += 50 * MS;
	ck_assert_uint_eq(fp_store_stage_poll(&s, 64), 0);
	ck_assert_uint_eq(st->write_errors, 1);
	ck_assert_int_eq(
		fp_store_stage_append(&s, FP_JRNL_REC_POS_SNAPSHOT, FP_JRNL_SRC_STORE, &ch, 64),
		-EAGAIN);
	fake_now += 60 * MS;
	fp_store_stage_poll(&s, 64); /* retry, fails again; the switch is tripped once */
	ck_assert_uint_eq(st->write_errors, 2);
	ck_assert_uint_eq(st->halts, 1);
	ck_assert_uint_eq(atomic_load(&ctl->change_seq), 1);

	set_fsize(RLIM_INFINITY);
	fake_now += 100 * MS;
	for (int i = 0; i < 5; i++)
		fp_store_stage_poll(&s, 64);
	ck_assert_uint_eq(st->halted, 0);
	ck_assert_uint_eq(fp_ring_count(risk) + fp_ring_count(gw), 0);
	fp_store_stage_fini(&s);
	replay(tmpdir, &t);
	ck_assert_uint_eq(t.by_src[FP_JRNL_SRC_RISK], 41);
	ck_assert_uint_eq(t.by_src[FP_JRNL_SRC_GW], 1);
	ck_assert_uint_eq(t.ctl, 1); /* the store's own kill, journaled once writes resumed */
	ck_assert_str_eq(t.last_ctl.who, "store");
	free(risk);
	free(gw);
	free(ctl);
}
END_TEST

START_TEST(test_stage_rotates_at_utc_midnight)
{
	struct fp_store_stage s;
	struct fp_store_cfg c;
	struct fp_ring *risk = ring_new(64), *gw = ring_new(64);
	struct tally t;
	char p[256];
	fake_now = T0_NS + DAY - 5 * MS;
	base_cfg(&c, tmpdir, risk, gw);
	ck_assert_int_eq(fp_store_stage_init(&s, &c), 0);
	push(risk, FP_EV_ORDER_NEW, 1);
	fp_store_stage_poll(&s, 64);
	fake_now += 5 * MS; /* 00:00:00.000 of the next day */
	push(risk, FP_EV_ORDER_NEW, 2);
	fp_store_stage_poll(&s, 64);
	fake_now += DAY;
	push(risk, FP_EV_ORDER_NEW, 3);
	fp_store_stage_poll(&s, 64);
	ck_assert_uint_eq(fp_store_stage_stats(&s)->rotations, 2);
	ck_assert_int_eq(fp_store_journal_path(p, sizeof(p), tmpdir, "t", fake_now), 0);
	ck_assert_str_eq(fp_store_stage_stats(&s)->path, p);
	fp_store_stage_fini(&s);
	replay(tmpdir, &t);
	ck_assert_uint_eq(t.nb_days, 3);
	ck_assert_uint_eq(t.days[0], 20261124);
	ck_assert_uint_eq(t.days[1], 20261125);
	ck_assert_uint_eq(t.days[2], 20261126);
	ck_assert_uint_eq(t.start, 3);
	ck_assert_uint_eq(t.by_src[FP_JRNL_SRC_RISK], 3);
	free(risk);
	free(gw);
}
END_TEST

/* Ten polls with one event each, 1 ms apart; the fsync count per policy. */
static const struct {
	const char *desc;
	enum fp_store_fsync policy;
	uint64_t fsyncs;
} fsync_cases[] = {
	{"batch", FP_STORE_FSYNC_BATCH, 1 + 10},           /* the start record, then every write */
	{"interval 4 ms", FP_STORE_FSYNC_INTERVAL, 1 + 2}, /* at +4 and +8 ms */
	{"none", FP_STORE_FSYNC_NONE, 0},
};

START_TEST(test_stage_fsync_policies)
{
	struct fp_store_stage s;
	struct fp_store_cfg c;
	struct fp_ring *risk = ring_new(64), *gw = ring_new(64);
	base_cfg(&c, tmpdir, risk, gw);
	c.fsync = fsync_cases[_i].policy;
	c.fsync_interval_ms = 4;
	ck_assert_int_eq(fp_store_stage_init(&s, &c), 0);
	for (uint64_t i = 1; i <= 10; i++) {
		fake_now += MS;
		push(risk, FP_EV_ORDER_NEW, i);
		fp_store_stage_poll(&s, 64);
	}
	const struct fp_store_stats *st = fp_store_stage_stats(&s);
	ck_assert_msg(st->fsyncs == fsync_cases[_i].fsyncs, "%s: %llu fsyncs", fsync_cases[_i].desc,
		      (unsigned long long)st->fsyncs);
	ck_assert_uint_eq(st->writes, 11);
	if (fsync_cases[_i].policy == FP_STORE_FSYNC_INTERVAL) {
		/* idle but dirty: synced once the interval has passed, then nothing */
		fake_now += 4 * MS;
		fp_store_stage_poll(&s, 64);
		fp_store_stage_poll(&s, 64);
		ck_assert_uint_eq(st->fsyncs, 4);
	}
	fp_store_stage_fini(&s);
	free(risk);
	free(gw);
}
END_TEST

START_TEST(test_stage_journals_control_changes)
{
	struct fp_store_stage s;
	struct fp_store_cfg c;
	struct fp_ring *risk = ring_new(64), *gw = ring_new(64);
	struct fp_shm_ctl *ctl = aligned_alloc(64, sizeof(*ctl));
	struct tally t;
	fp_shm_ctl_init(ctl);
	fp_shm_ctl_set_trading(ctl, FP_TRADING_ON, "supervisor", "start");
	base_cfg(&c, tmpdir, risk, gw);
	c.ctl = ctl;
	ck_assert_int_eq(fp_store_stage_init(&s, &c), 0);
	fp_store_stage_poll(&s, 64);
	ck_assert_uint_eq(fp_store_stage_stats(&s)->ctl_changes, 1);
	fp_store_stage_poll(&s, 64);
	ck_assert_uint_eq(fp_store_stage_stats(&s)->ctl_changes, 1);
	fp_shm_ctl_kill(ctl, "ctl:alice", "fat finger");
	fp_shm_ctl_rearm(ctl, "ctl:alice", "ok");
	fp_shm_ctl_kill(ctl, "ctl:bob", "again");
	fp_store_stage_poll(&s, 64);
	ck_assert_uint_eq(fp_store_stage_stats(&s)->ctl_changes, 2);
	ck_assert_uint_eq(fp_store_stage_stats(&s)->ctl_missed, 2);
	fp_store_stage_fini(&s);
	replay(tmpdir, &t);
	ck_assert_uint_eq(t.ctl, 2);
	ck_assert_uint_eq(t.by_src[FP_JRNL_SRC_CTL], 2);
	ck_assert_uint_eq(t.last_ctl.seq, 4);
	ck_assert_uint_eq(t.last_ctl.what, FP_CTL_CHANGE_KILL);
	ck_assert_str_eq(t.last_ctl.who, "ctl:bob");
	ck_assert_str_eq(t.last_ctl.reason, "again");
	/* ctl_seq_seen: a restarted store does not journal a change twice */
	c.ctl_seq_seen = 4;
	ck_assert_int_eq(fp_store_stage_init(&s, &c), 0);
	fp_store_stage_poll(&s, 64);
	ck_assert_uint_eq(fp_store_stage_stats(&s)->ctl_changes, 0);
	fp_store_stage_fini(&s);
	free(risk);
	free(gw);
	free(ctl);
}
END_TEST

START_TEST(test_stage_halts_on_disk_full_and_resumes_exactly_once)
{
	struct fp_store_stage s;
	struct fp_store_cfg c;
	struct fp_ring *risk = ring_new(4096), *gw = ring_new(4096);
	struct fp_shm_ctl *ctl = aligned_alloc(64, sizeof(*ctl));
	struct fp_shm_ctl_change ch;
	struct tally t;
	char dir[128];
	snprintf(dir, sizeof(dir), "%s/small", tmpdir);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	if (mount("tmpfs", dir, "tmpfs", 0, "size=64k") != 0) {
		fprintf(stderr,
			"check_fp_store_stage: disk-full test SKIPPED: cannot mount a tmpfs: %s\n",
			strerror(errno));
		return;
	}
	fp_shm_ctl_init(ctl);
	base_cfg(&c, dir, risk, gw);
	c.ctl = ctl;
	c.fsync = FP_STORE_FSYNC_BATCH;
	ck_assert_int_eq(fp_store_stage_init(&s, &c), 0);
	const struct fp_store_stats *st = fp_store_stage_stats(&s);
	/* 64 KiB hold about 780 records: 2000 events cannot all fit */
	uint64_t seq = 0;
	for (int round = 0; round < 40 && !st->halted; round++) {
		for (int k = 0; k < 50; k++) {
			push(risk, FP_EV_ORDER_NEW, ++seq);
			push(gw, FP_EV_EXEC_FILL, seq);
		}
		fake_now += MS;
		fp_store_stage_poll(&s, 64);
		while (!st->halted && fp_ring_count(risk) + fp_ring_count(gw) > 0)
			fp_store_stage_poll(&s, 64);
	}
	ck_assert_uint_eq(st->halted, 1);
	ck_assert_int_eq(st->last_errno, ENOSPC);
	ck_assert(fp_shm_ctl_killed(ctl));
	ck_assert(fp_shm_ctl_last_change(ctl, &ch));
	ck_assert_str_eq(ch.who, "store");
	ck_assert_msg(strstr(ch.reason, "journal write failed: No space left on device (") ==
			      ch.reason,
		      "%s", ch.reason);
	uint32_t held = fp_ring_count(risk) + fp_ring_count(gw);
	ck_assert_uint_gt(held, 0);
	fake_now += 200 * MS;
	fp_store_stage_poll(&s, 64); /* still full */
	ck_assert_uint_eq(fp_ring_count(risk) + fp_ring_count(gw), held);
	ck_assert_uint_ge(st->write_errors, 2);

	/* free space: the same batch lands, then the rest */
	ck_assert_int_eq(mount("tmpfs", dir, "tmpfs", MS_REMOUNT, "size=1m"), 0);
	fake_now += 200 * MS;
	for (int i = 0; i < 200 && fp_ring_count(risk) + fp_ring_count(gw) > 0; i++)
		fp_store_stage_poll(&s, 64);
	ck_assert_uint_eq(fp_ring_count(risk) + fp_ring_count(gw), 0);
	ck_assert_uint_eq(st->halted, 0);
	ck_assert(fp_shm_ctl_killed(ctl)); /* until an operator rearms */
	fp_store_stage_fini(&s);
	replay(dir, &t); /* on_rec checks each producer's seq: no gap, no double */
	ck_assert_uint_eq(t.by_src[FP_JRNL_SRC_RISK], seq);
	ck_assert_uint_eq(t.by_src[FP_JRNL_SRC_GW], seq);
	ck_assert_uint_eq(t.ctl, 1);
	ck_assert_int_eq(umount(dir), 0);
	free(risk);
	free(gw);
	free(ctl);
}
END_TEST

static Suite *stage_suite(void)
{
	Suite *s = suite_create("fp_store_stage");
	TCase *tc = tcase_create("stage");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_stage_refuses_bad_config);
	tcase_add_test(tc, test_stage_writes_ring_events_with_their_producer);
	tcase_add_test(tc, test_stage_releases_slots_only_after_the_write);
	tcase_add_test(tc, test_stage_rotates_at_utc_midnight);
	tcase_add_loop_test(tc, test_stage_fsync_policies, 0, 3);
	tcase_add_test(tc, test_stage_journals_control_changes);
	tcase_add_test(tc, test_stage_halts_on_disk_full_and_resumes_exactly_once);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(stage_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
