/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_ctl_store.c - recovery for the stage adapters (fp_ctl_store_recover): nothing
 * to do without journal rings; a ring that the store does not drain times out with a
 * message; empty rings replay the files of store.dir. The adapter in a pipeline: a store
 * group without the stage and the stage without the group are refused; setup restores the
 * kill switch and a halted trading state from the journal (and journals that), but not the
 * supervisor's kill of an orderly stop.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fp_ctl_pipeline.h"
#include "fp_ctl_store.h"
#include "fp_err.h"
#include "fp_journal.h"
#include "fp_store_journal.h"

static char tmpdir[64];
static char instance[32];

static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_fp_ctl_store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(instance, sizeof(instance), "ctlstore%d", (int)getpid());
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* A segment in tmpdir with the journal rings (or none), and a config naming tmpdir. */
static void make_env(struct fp_ctl_env *env, struct fp_shm *seg, bool rings)
{
	struct fp_shm_region_spec regs[2] = {
		{FP_JRNL_RING_RISK, fp_ring_memsize(64), FP_RING_VERSION},
		{FP_JRNL_RING_GW, fp_ring_memsize(64), FP_RING_VERSION},
	};
	struct fp_shm_opts o = {.instance = instance,
				.regions = regs,
				.nb_regions = rings ? 2 : 0,
				.hugepages = FP_SHM_HUGE_OFF,
				.shm_dir = tmpdir,
				.flags = FP_SHM_F_NO_MLOCK,
				.tsc_hz = 1000000000};
	char text[512];
	ck_assert_msg(fp_shm_create(seg, &o) == 0, "%s", fp_err_msg());
	if (rings) {
		ck_assert_int_eq(fp_ring_init(fp_shm_region(seg, FP_JRNL_RING_RISK, NULL), 64, "r"),
				 0);
		ck_assert_int_eq(fp_ring_init(fp_shm_region(seg, FP_JRNL_RING_GW, NULL), 64, "g"),
				 0);
	}
	snprintf(text, sizeof(text), "store = { dir = \"%s/j\"; recover_wait_ms = 50; };\n",
		 tmpdir);
	memset(env, 0, sizeof(*env));
	env->cfg = fp_cfg_load_string(text, "test.conf");
	ck_assert_ptr_nonnull(env->cfg);
	env->seg = seg;
	env->instance = instance;
	env->tsc_hz = 1000000000;
}

static void free_env(struct fp_ctl_env *env)
{
	fp_shm_destroy(env->seg);
	fp_cfg_free((struct fp_cfg *)env->cfg);
}

static int count_rec(void *arg, const struct fp_store_record *rec, uint32_t day)
{
	(void)rec;
	(void)day;
	++*(uint64_t *)arg;
	return 0;
}

START_TEST(test_recover_without_journal_rings_does_nothing)
{
	struct fp_ctl_env env;
	struct fp_shm seg;
	uint64_t n = 0;
	make_env(&env, &seg, false);
	ck_assert_int_eq(fp_ctl_store_recover(&env, count_rec, &n), 0);
	ck_assert_uint_eq(n, 0);
	free_env(&env);
}
END_TEST

START_TEST(test_recover_times_out_while_a_ring_holds_events)
{
	struct fp_ctl_env env;
	struct fp_shm seg;
	struct fp_event ev = {.type = FP_EV_ORDER_NEW};
	uint64_t n = 0;
	make_env(&env, &seg, true);
	ck_assert_uint_eq(fp_ring_enqueue_burst(fp_shm_region(&seg, FP_JRNL_RING_GW, NULL), &ev, 1),
			  1);
	ck_assert_int_eq(fp_ctl_store_recover(&env, count_rec, &n), -ETIMEDOUT);
	ck_assert_msg(strstr(fp_err_msg(), "1 journal events still unwritten after 50 ms") != NULL,
		      "%s", fp_err_msg());
	free_env(&env);
}
END_TEST

START_TEST(test_recover_replays_the_files_once_rings_are_empty)
{
	struct fp_ctl_env env;
	struct fp_shm seg;
	struct fp_store_journal *j;
	char dir[128], path[256];
	uint64_t n = 0;
	make_env(&env, &seg, true);
	snprintf(dir, sizeof(dir), "%s/j", tmpdir);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	ck_assert_int_eq(fp_store_journal_path(path, sizeof(path), dir, instance, 1), 0);
	ck_assert_int_eq(fp_store_journal_open(path, instance, &j), 0);
	for (int i = 0; i < 7; i++)
		ck_assert_int_eq(fp_store_journal_append(j, 1, "x", 1), 0);
	ck_assert_int_eq(fp_store_journal_close(j), 0);
	ck_assert_int_eq(fp_ctl_store_recover(&env, count_rec, &n), 7);
	ck_assert_uint_eq(n, 7);
	free_env(&env);
}
END_TEST

static const char *write_conf(const char *stages, const char *store)
{
	static char path[128];
	char text[1024];
	snprintf(path, sizeof(path), "%s/run.conf", tmpdir);
	snprintf(text, sizeof(text),
		 "instance = \"%s\";\nsegment = { hugepages = \"off\"; };\n"
		 "placement = { workers = ( { name = \"w\"; stages = [%s]; } ); };\n%s\n",
		 instance, stages, store);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

START_TEST(test_pipeline_refuses_store_group_without_stage_and_stage_without_group)
{
	static struct fp_ctl_pipeline p;
	char grp[256];
	snprintf(grp, sizeof(grp), "store = { dir = \"%s/j\"; };", tmpdir);
	ck_assert_int_eq(fp_ctl_pipeline_load(&p, write_conf("\"book\"", grp)), -EINVAL);
	ck_assert_msg(strstr(fp_err_msg(), "a 'store' group but no worker runs stage 'store'"),
		      "%s", fp_err_msg());
	fp_ctl_pipeline_fini(&p);
	ck_assert_int_eq(fp_ctl_pipeline_load(&p, write_conf("\"store\"", "")), 0);
	ck_assert_int_eq(fp_ctl_pipeline_create(&p), -EINVAL);
	ck_assert_msg(strstr(fp_err_msg(), "stage 'store' is placed but the 'store' group is "
					   "missing"),
		      "%s", fp_err_msg());
	fp_ctl_pipeline_fini(&p);
}
END_TEST

/* Journal these control changes (what, who, reason) into today's file of store dir j. */
static void journal_changes(const struct fp_shm_ctl_change *chs, unsigned nb)
{
	struct fp_store_journal *j;
	char dir[128], path[256];
	struct timespec ts;
	snprintf(dir, sizeof(dir), "%s/j", tmpdir);
	mkdir(dir, 0755);
	clock_gettime(CLOCK_REALTIME, &ts);
	ck_assert_int_eq(fp_store_journal_path(path, sizeof(path), dir, instance,
					       (uint64_t)ts.tv_sec * 1000000000ull),
			 0);
	ck_assert_int_eq(fp_store_journal_open(path, instance, &j), 0);
	for (unsigned i = 0; i < nb; i++)
		ck_assert_int_eq(fp_store_journal_append_flags(j, FP_JRNL_REC_CTL_CHANGE,
							       FP_JRNL_SRC_CTL, &chs[i],
							       sizeof(chs[i])),
				 0);
	ck_assert_int_eq(fp_store_journal_close(j), 0);
}

static int count_ctl(void *arg, const struct fp_store_record *rec, uint32_t day)
{
	(void)day;
	if (rec->type == FP_JRNL_REC_CTL_CHANGE) {
		struct fp_shm_ctl_change ch;
		memcpy(&ch, rec->payload, sizeof(ch));
		if (strstr(ch.reason, "restored from journal: "))
			++*(uint64_t *)arg;
	}
	return 0;
}

/* Start a store-only pipeline on that journal; check the control block; stop. */
static void start_and_check(bool killed, const char *reason, uint32_t trading)
{
	static struct fp_ctl_pipeline p;
	struct fp_shm_ctl_change last;
	char grp[256];
	snprintf(grp, sizeof(grp), "store = { dir = \"%s/j\"; };", tmpdir);
	ck_assert_int_eq(fp_ctl_pipeline_load(&p, write_conf("\"store\"", grp)), 0);
	ck_assert_msg(fp_ctl_pipeline_create(&p) == 0, "%s", fp_err_msg());
	ck_assert_int_eq(fp_shm_ctl_killed(p.ctl), killed);
	ck_assert_uint_eq(fp_shm_ctl_trading(p.ctl), trading);
	if (reason) {
		bool found = false;
		/* the kill is change 1; when trading is restored too it is change 2 */
		ck_assert(fp_shm_ctl_last_change(p.ctl, &last));
		found = strcmp(last.reason, reason) == 0;
		ck_assert_msg(found || last.what == FP_CTL_CHANGE_TRADING, "%s", last.reason);
	}
	fp_ctl_pipeline_stop(&p, 0, "test");
	fp_ctl_pipeline_fini(&p);
}

START_TEST(test_setup_restores_the_kill_switch_from_the_journal)
{
	struct fp_shm_ctl_change chs[3] = {
		{.seq = 1,
		 .what = FP_CTL_CHANGE_TRADING,
		 .new_value = FP_TRADING_ON,
		 .who = "supervisor",
		 .reason = "start"},
		{.seq = 2,
		 .what = FP_CTL_CHANGE_KILL,
		 .new_value = 1,
		 .who = "ctl:alice",
		 .reason = "fat finger"},
		{.seq = 3,
		 .what = FP_CTL_CHANGE_KILL,
		 .old_value = 1,
		 .new_value = 1,
		 .who = "supervisor",
		 .reason = FP_CTL_STOP_REASON_PREFIX "signal"},
	};
	char dir[128];
	uint64_t restored = 0;
	journal_changes(chs, 3);
	start_and_check(true, "restored from journal: fat finger", FP_TRADING_ON);
	/* the restored kill is journaled: a second start restores it again, not nested */
	start_and_check(true, "restored from journal: fat finger", FP_TRADING_ON);
	snprintf(dir, sizeof(dir), "%s/j", tmpdir);
	ck_assert_int_eq(fp_store_replay(dir, instance, count_ctl, &restored, NULL), 0);
	ck_assert_uint_ge(restored, 1);
}
END_TEST

START_TEST(test_setup_does_not_restore_an_orderly_stop_or_a_rearm)
{
	struct fp_shm_ctl_change chs[3] = {
		{.seq = 1,
		 .what = FP_CTL_CHANGE_KILL,
		 .new_value = 1,
		 .who = "ctl:alice",
		 .reason = "fat finger"},
		{.seq = 2,
		 .what = FP_CTL_CHANGE_REARM,
		 .old_value = 1,
		 .who = "ctl:alice",
		 .reason = "ok"},
		{.seq = 3,
		 .what = FP_CTL_CHANGE_KILL,
		 .new_value = 1,
		 .who = "supervisor",
		 .reason = FP_CTL_STOP_REASON_PREFIX "duration"},
	};
	journal_changes(chs, 3);
	start_and_check(false, NULL, FP_TRADING_ON);
}
END_TEST

START_TEST(test_setup_restores_a_halted_trading_state)
{
	struct fp_shm_ctl_change chs[2] = {
		{.seq = 1,
		 .what = FP_CTL_CHANGE_TRADING,
		 .new_value = FP_TRADING_ON,
		 .who = "supervisor",
		 .reason = "start"},
		{.seq = 2,
		 .what = FP_CTL_CHANGE_TRADING,
		 .old_value = FP_TRADING_ON,
		 .new_value = FP_TRADING_HALTED,
		 .who = "ctl:bob",
		 .reason = "news"},
	};
	journal_changes(chs, 2);
	start_and_check(false, "restored from journal: news", FP_TRADING_HALTED);
}
END_TEST

static Suite *ctl_store_suite(void)
{
	Suite *s = suite_create("fp_ctl_store");
	TCase *tc = tcase_create("recover");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_recover_without_journal_rings_does_nothing);
	tcase_add_test(tc, test_recover_times_out_while_a_ring_holds_events);
	tcase_add_test(tc, test_recover_replays_the_files_once_rings_are_empty);
	suite_add_tcase(s, tc);
	tc = tcase_create("adapter");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pipeline_refuses_store_group_without_stage_and_stage_without_group);
	tcase_add_test(tc, test_setup_restores_the_kill_switch_from_the_journal);
	tcase_add_test(tc, test_setup_does_not_restore_an_orderly_stop_or_a_rearm);
	tcase_add_test(tc, test_setup_restores_a_halted_trading_state);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ctl_store_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
