/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_ctl_store.c - recovery for the stage adapters (fp_ctl_store_recover): nothing
 * to do without journal rings; a ring that the store does not drain times out with a
 * message; empty rings replay the files of store.dir.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static Suite *ctl_store_suite(void)
{
	Suite *s = suite_create("fp_ctl_store");
	TCase *tc = tcase_create("recover");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_recover_without_journal_rings_does_nothing);
	tcase_add_test(tc, test_recover_times_out_while_a_ring_holds_events);
	tcase_add_test(tc, test_recover_replays_the_files_once_rings_are_empty);
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
