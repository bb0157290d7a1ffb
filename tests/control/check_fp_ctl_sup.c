/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_ctl_sup.c - process supervision: restart of a dead worker with back-off, crash
 * loop detection, orderly stop, escalation to signals for a worker that ignores the stop,
 * negative cases of init; and the idle policy parser.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fp_ctl_idle.h"
#include "fp_ctl_sup.h"

/* Shared with the forked workers: what each should do and how often it ran. */
struct test_board {
	volatile int behaviour[4]; /* 0 run until stop, 1 exit at once, 2 ignore SIGTERM */
	volatile int stop;
	volatile int nb_runs[4];
	volatile int crash_loops;
};

static struct test_board *board_new(void)
{
	void *p = mmap(NULL, sizeof(struct test_board), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	memset(p, 0, sizeof(struct test_board));
	return p;
}

static int worker_body(void *arg, unsigned idx)
{
	struct test_board *b = arg;
	__atomic_fetch_add(&b->nb_runs[idx], 1, __ATOMIC_SEQ_CST);
	if (b->behaviour[idx] == 1)
		return 3;
	if (b->behaviour[idx] == 2)
		signal(SIGTERM, SIG_IGN);
	while (!b->stop || b->behaviour[idx] == 2)
		usleep(1000);
	return 0;
}

static void on_crash_loop(void *arg, unsigned idx, const struct fp_ctl_proc *p)
{
	struct test_board *b = arg;
	(void)idx;
	(void)p;
	b->crash_loops++;
}

static const struct fp_ctl_restart_policy fast_policy = {
	.max_restarts = 3,
	.restart_window_ms = 10000,
	.restart_backoff_ms = 5,
	.restart_backoff_max_ms = 20,
	.stop_timeout_ms = 200,
};

static void run_for_ms(struct fp_ctl_sup *sup, unsigned ms)
{
	uint64_t end = fp_ctl_now_ms() + ms;
	while (fp_ctl_now_ms() < end) {
		fp_ctl_sup_step(sup);
		usleep(2000);
	}
}

START_TEST(test_sup_rejects_bad_worker_lists)
{
	struct fp_ctl_sup sup;
	struct fp_ctl_sup_hooks hooks = {.worker_main = worker_body};
	const char *names[] = {"a", ""};
	ck_assert_int_eq(fp_ctl_sup_init(&sup, &fast_policy, &hooks, names, 0), -EINVAL);
	ck_assert_int_eq(fp_ctl_sup_init(&sup, &fast_policy, &hooks, names, 2), -EINVAL);
	hooks.worker_main = NULL;
	ck_assert_int_eq(fp_ctl_sup_init(&sup, &fast_policy, &hooks, names, 1), -EINVAL);
}
END_TEST

START_TEST(test_sup_restarts_killed_worker)
{
	struct test_board *b = board_new();
	struct fp_ctl_sup sup;
	struct fp_ctl_sup_hooks hooks = {.worker_main = worker_body, .arg = b};
	const char *names[] = {"md", "risk"};

	ck_assert_int_eq(fp_ctl_sup_init(&sup, &fast_policy, &hooks, names, 2), 0);
	ck_assert_int_eq(fp_ctl_sup_start(&sup), 0);
	run_for_ms(&sup, 50);
	pid_t first = sup.procs[1].pid;
	kill(first, SIGKILL);
	run_for_ms(&sup, 100);
	ck_assert_int_eq(sup.procs[1].state, FP_PROC_RUNNING);
	ck_assert_int_ne(sup.procs[1].pid, first);
	ck_assert_uint_eq(sup.procs[1].nb_starts, 2);
	ck_assert_int_eq(b->nb_runs[1], 2);
	ck_assert_int_eq(b->nb_runs[0], 1);
	b->stop = 1;
	ck_assert_uint_eq(fp_ctl_sup_stop(&sup), 0);
	ck_assert_int_eq(sup.procs[0].state, FP_PROC_DOWN);
	ck_assert_int_eq(sup.procs[1].state, FP_PROC_DOWN);
}
END_TEST

START_TEST(test_sup_detects_crash_loop)
{
	struct test_board *b = board_new();
	struct fp_ctl_sup sup;
	struct fp_ctl_sup_hooks hooks = {
		.worker_main = worker_body, .on_crash_loop = on_crash_loop, .arg = b};
	const char *names[] = {"gw"};

	b->behaviour[0] = 1;
	ck_assert_int_eq(fp_ctl_sup_init(&sup, &fast_policy, &hooks, names, 1), 0);
	ck_assert_int_eq(fp_ctl_sup_start(&sup), 0);
	run_for_ms(&sup, 400);
	ck_assert_int_eq(sup.procs[0].state, FP_PROC_FAILED);
	ck_assert_int_eq(b->crash_loops, 1);
	/* First start plus max_restarts restarts, then no more. */
	ck_assert_int_eq(b->nb_runs[0], 1 + (int)fast_policy.max_restarts);
	ck_assert(WIFEXITED(sup.procs[0].last_status));
	ck_assert_int_eq(WEXITSTATUS(sup.procs[0].last_status), 3);
}
END_TEST

START_TEST(test_sup_kills_worker_that_ignores_stop)
{
	struct test_board *b = board_new();
	struct fp_ctl_sup sup;
	struct fp_ctl_sup_hooks hooks = {.worker_main = worker_body, .arg = b};
	const char *names[] = {"good", "deaf"};

	b->behaviour[1] = 2;
	ck_assert_int_eq(fp_ctl_sup_init(&sup, &fast_policy, &hooks, names, 2), 0);
	ck_assert_int_eq(fp_ctl_sup_start(&sup), 0);
	run_for_ms(&sup, 50);
	b->stop = 1;
	ck_assert_uint_eq(fp_ctl_sup_stop(&sup), 1);
	ck_assert_int_eq(sup.procs[1].state, FP_PROC_DOWN);
	ck_assert(WIFSIGNALED(sup.procs[1].last_status));
	ck_assert_int_eq(WTERMSIG(sup.procs[1].last_status), SIGKILL);
}
END_TEST

START_TEST(test_idle_policy_parse)
{
	enum fp_idle_policy p;
	ck_assert_int_eq(fp_idle_policy_parse("spin", &p), 0);
	ck_assert_int_eq(p, FP_IDLE_SPIN);
	ck_assert_int_eq(fp_idle_policy_parse("backoff", &p), 0);
	ck_assert_int_eq(p, FP_IDLE_BACKOFF);
	ck_assert_int_eq(fp_idle_policy_parse("sleepy", &p), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_ctl_sup");
	TCase *neg = tcase_create("negative");
	TCase *life = tcase_create("lifecycle");

	tcase_add_test(neg, test_sup_rejects_bad_worker_lists);
	tcase_add_test(neg, test_idle_policy_parse);
	tcase_add_test(life, test_sup_restarts_killed_worker);
	tcase_add_test(life, test_sup_detects_crash_loop);
	tcase_add_test(life, test_sup_kills_worker_that_ignores_stop);
	tcase_set_timeout(life, 30);
	suite_add_tcase(s, neg);
	suite_add_tcase(s, life);

	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
