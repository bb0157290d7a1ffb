/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_ctl_pipeline.c - the supervisor's configuration: every refusal names the file,
 * the line and the rule (unknown stage, stage placed twice, ring not a power of two, no
 * placement, bad idle policy, misspelt key); a valid md-only instance runs, creates its
 * segment with the fixed ring topology, and removes it at stop; `fastpath run` exits 1
 * with the reason after a worker's crash loop.
 */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fp_ctl_pipeline.h"
#include "fp_err.h"

static char cfg_path[64];

static void write_cfg(const char *text)
{
	snprintf(cfg_path, sizeof(cfg_path), "/tmp/fp_ctl_test_%d.conf", (int)getpid());
	FILE *f = fopen(cfg_path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void expect_refusal(const char *text, const char *needle)
{
	static struct fp_ctl_pipeline p;
	write_cfg(text);
	int rc = fp_ctl_pipeline_load(&p, cfg_path);
	ck_assert_msg(rc < 0, "config accepted, expected '%s'", needle);
	ck_assert_msg(strstr(fp_err_msg(), needle) != NULL, "message '%s' lacks '%s'", fp_err_msg(),
		      needle);
	fp_ctl_pipeline_fini(&p);
	unlink(cfg_path);
}

#define PCAP     FP_SHARED_DATA "/pcap/itch50/AddOrderNoMpidAttributionMessage.pcap"
#define MD_GROUP "md = { backend = \"pcap\"; pcap = \"" PCAP "\"; };\n"

/* The ring graph is well formed (each ring once, two different known stages) and a
 * placement with one end of a ring is named. */
START_TEST(test_ring_graph_checks_placements)
{
	char half[512];
	const char *all[] = {"md", "book", "strategies", "risk", "gateway"};
	ck_assert_int_eq(fp_ctl_ring_graph_check(all, 5, half, sizeof(half)), 0);
	ck_assert_str_eq(half, "");
	const char *md[] = {"md"};
	ck_assert_int_eq(fp_ctl_ring_graph_check(md, 1, half, sizeof(half)), 0);
	ck_assert_str_eq(half, "ring.md (consumer 'book' not placed)");
	const char *no_gw[] = {"md", "book", "strategies", "risk"};
	ck_assert_int_eq(fp_ctl_ring_graph_check(no_gw, 4, half, sizeof(half)), 0);
	ck_assert_ptr_nonnull(strstr(half, "ring.order (consumer 'gateway' not placed)"));
	ck_assert_ptr_nonnull(strstr(half, "ring.exec.risk (producer 'gateway' not placed)"));
}
END_TEST

START_TEST(test_pipeline_refuses_unknown_stage)
{
	expect_refusal("placement = { workers = ( { name = \"w\"; stages = [\"md\", \"bogus\"]; "
		       "} ); };\n" MD_GROUP,
		       ":1: worker 'w': unknown stage 'bogus' (known: md");
}
END_TEST

START_TEST(test_pipeline_refuses_stage_placed_twice)
{
	expect_refusal("placement = { workers = (\n { name = \"a\"; stages = [\"md\"]; },\n"
		       " { name = \"b\"; stages = [\"md\"]; } ); };\n" MD_GROUP,
		       "stage 'md' placed twice");
}
END_TEST

START_TEST(test_pipeline_refuses_ring_not_power_of_two)
{
	expect_refusal("rings = { md = 1000; };\nplacement = { workers = ( { name = \"w\"; "
		       "stages = [\"md\"]; } ); };\n" MD_GROUP,
		       ":1: 'rings.md' must be a power of two, got 1000");
}
END_TEST

START_TEST(test_pipeline_refuses_missing_placement)
{
	expect_refusal("instance = \"x\";\n", "required key 'placement' is missing");
}
END_TEST

START_TEST(test_pipeline_refuses_bad_idle_and_typo)
{
	expect_refusal("placement = { idle = \"lazy\"; workers = ( { name = \"w\"; "
		       "stages = [\"md\"]; } ); };\n" MD_GROUP,
		       "'placement.idle' must be \"spin\" or \"backoff\"");
	expect_refusal("placement = { workers = ( { name = \"w\"; stages = [\"md\"]; "
		       "coer = 1; } ); };\n" MD_GROUP,
		       "unknown key 'coer'");
}
END_TEST

/* Invariant (5), issue 15: a worker polls its stages in pipeline order whatever order its
 * config lists them in, so what one stage hands on reaches the next in the same pass. */
START_TEST(test_pipeline_polls_a_worker_in_pipeline_order)
{
	static struct fp_ctl_pipeline p;
	write_cfg("placement = { workers = ( { name = \"w\"; stages = [\"book\", \"md\"]; } ); "
		  "};\n" MD_GROUP);
	ck_assert_msg(fp_ctl_pipeline_load(&p, cfg_path) == 0, "%s", fp_err_msg());
	ck_assert_uint_eq(p.workers[0].nb_stages, 2);
	ck_assert_str_eq(p.workers[0].stages[0]->name, "md");
	ck_assert_str_eq(p.workers[0].stages[1]->name, "book");
	fp_ctl_pipeline_fini(&p);
	unlink(cfg_path);
}
END_TEST

START_TEST(test_pipeline_runs_md_instance_and_cleans_up)
{
	static struct fp_ctl_pipeline p;
	char text[1024];

	if (access(PCAP, R_OK) != 0) {
		fprintf(stderr, "skip: %s absent (../shared/data)\n", PCAP);
		return;
	}
	snprintf(text, sizeof(text),
		 "instance = \"ctltest%d\";\nsegment = { hugepages = \"off\"; };\n"
		 "placement = { workers = ( { name = \"feed\"; stages = [\"md\"]; } ); "
		 "};\n" MD_GROUP,
		 (int)getpid());
	write_cfg(text);
	ck_assert_msg(fp_ctl_pipeline_load(&p, cfg_path) == 0, "%s", fp_err_msg());
	ck_assert_msg(fp_ctl_pipeline_create(&p) == 0, "%s", fp_err_msg());
	for (unsigned i = 0; i < FP_CTL_NB_RINGS; i++)
		ck_assert_ptr_nonnull(fp_shm_region(&p.seg, fp_ctl_ring_graph[i].ring, NULL));
	char path[256];
	snprintf(path, sizeof(path), "%s", p.seg.path);
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_int_eq(fp_ctl_pipeline_start(&p), 0);

	struct fp_ctl_summary sum = {0};
	for (int i = 0; i < 300 && sum.md_messages == 0; i++) {
		fp_ctl_pipeline_step(&p);
		usleep(10000);
		fp_ctl_pipeline_summary(&p, &sum);
	}
	ck_assert_uint_eq(sum.md_messages, 1);
	ck_assert_uint_eq(fp_ctl_pipeline_stop(&p, 0, "test"), 0);
	ck_assert_int_ne(access(path, F_OK), 0);
	fp_ctl_pipeline_fini(&p);
	unlink(cfg_path);
}
END_TEST

/*
 * Issue 16 item 5: the summary counts across a worker's restart. The md worker reads a
 * one-message capture, is killed (-9) and restarted by the supervisor, and reads it again:
 * the summary must say 2 messages (it said 1, the restarted worker's count alone), and it
 * never goes below 1 on the way.
 */
START_TEST(test_summary_counts_across_worker_restart)
{
	static struct fp_ctl_pipeline p;
	char text[1024];

	if (access(PCAP, R_OK) != 0) {
		fprintf(stderr, "skip: %s absent (../shared/data)\n", PCAP);
		return;
	}
	snprintf(text, sizeof(text),
		 "instance = \"ctlcarry%d\";\nsegment = { hugepages = \"off\"; };\n"
		 "restart = { backoff_ms = 1; backoff_max_ms = 5; };\n"
		 "placement = { workers = ( { name = \"feed\"; stages = [\"md\"]; } ); "
		 "};\n" MD_GROUP,
		 (int)getpid());
	write_cfg(text);
	ck_assert_msg(fp_ctl_pipeline_load(&p, cfg_path) == 0, "%s", fp_err_msg());
	ck_assert_msg(fp_ctl_pipeline_create(&p) == 0, "%s", fp_err_msg());
	ck_assert_int_eq(fp_ctl_pipeline_start(&p), 0);
	struct fp_ctl_summary sum = {0};
	for (int i = 0; i < 500 && sum.md_messages == 0; i++) {
		fp_ctl_pipeline_step(&p);
		usleep(10000);
		fp_ctl_pipeline_summary(&p, &sum);
	}
	ck_assert_uint_eq(sum.md_messages, 1);
	/* The worker publishes at init and at every stop; wait until it runs, then kill it. */
	pid_t victim = 0;
	for (int i = 0; i < 500 && !victim; i++) {
		if (atomic_load(&p.wtab->w[0].state) == FP_WORKER_RUNNING)
			victim = p.wtab->w[0].pid;
		else
			usleep(10000);
	}
	ck_assert_int_gt(victim, 0);
	ck_assert_int_eq(kill(victim, SIGKILL), 0);
	for (int i = 0; i < 500 && sum.md_messages < 2; i++) {
		fp_ctl_pipeline_step(&p);
		usleep(10000);
		fp_ctl_pipeline_summary(&p, &sum);
		ck_assert_uint_ge(sum.md_messages, 1);
	}
	ck_assert_msg(sum.md_messages == 2,
		      "md messages after the restart: %" PRIu64 " (restarts %u)", sum.md_messages,
		      p.wtab->w[0].restarts);
	ck_assert_uint_eq(p.wtab->w[0].restarts, 1);
	fp_ctl_pipeline_stop(&p, 0, "test");
	fp_ctl_pipeline_fini(&p);
	unlink(cfg_path);
}
END_TEST

/*
 * Issue 16 item 4: a worker that crash-loops until the kill switch trips fails the run:
 * `fastpath run` stops cleanly (it does not wait for --duration) and exits 1 with the
 * reason. The md worker here dies at every init (its capture is not a pcap file).
 */
START_TEST(test_run_exits_nonzero_after_crash_loop)
{
	char text[1024], bad[96], cmd[512], out[16384];
	snprintf(bad, sizeof(bad), "/tmp/fp_ctl_test_%d.notpcap", (int)getpid());
	FILE *f = fopen(bad, "w");
	ck_assert_ptr_nonnull(f);
	fputs("this is not a capture\n", f);
	fclose(f);
	snprintf(text, sizeof(text),
		 "instance = \"ctlcrash%d\";\nsegment = { hugepages = \"off\"; };\n"
		 "restart = { max_restarts = 2; window_ms = 600000; backoff_ms = 1; "
		 "backoff_max_ms = 5; };\n"
		 "placement = { workers = ( { name = \"feed\"; stages = [\"md\"]; } ); };\n"
		 "md = { backend = \"pcap\"; pcap = \"%s\"; };\n",
		 (int)getpid(), bad);
	write_cfg(text);
	snprintf(cmd, sizeof(cmd),
		 FP_BINARY_DIR "/bin/fastpath run --config %s --duration 600 2>&1", cfg_path);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "exit status %d: %s", st, out);
	const char *stopped = strstr(out, "fastpath: instance stopped");
	const char *failed = strstr(out, "fastpath: run failed: worker 'feed' in a crash loop "
					 "(3 deaths within restart.window_ms = 600000 ms, the "
					 "last exit status 1");
	ck_assert_msg(stopped && failed && stopped < failed, "%s", out);
	unlink(bad);
	unlink(cfg_path);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_ctl_pipeline");
	TCase *neg = tcase_create("config_refusals");
	TCase *run = tcase_create("run");

	tcase_add_test(run, test_ring_graph_checks_placements);
	tcase_add_test(run, test_pipeline_polls_a_worker_in_pipeline_order);
	tcase_add_test(neg, test_pipeline_refuses_unknown_stage);
	tcase_add_test(neg, test_pipeline_refuses_stage_placed_twice);
	tcase_add_test(neg, test_pipeline_refuses_ring_not_power_of_two);
	tcase_add_test(neg, test_pipeline_refuses_missing_placement);
	tcase_add_test(neg, test_pipeline_refuses_bad_idle_and_typo);
	tcase_add_test(run, test_pipeline_runs_md_instance_and_cleans_up);
	tcase_add_test(run, test_run_exits_nonzero_after_crash_loop);
	tcase_add_test(run, test_summary_counts_across_worker_restart);
	tcase_set_timeout(run, 60);
	suite_add_tcase(s, neg);
	suite_add_tcase(s, run);

	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
