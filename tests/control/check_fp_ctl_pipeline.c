/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_ctl_pipeline.c - the supervisor's configuration: every refusal names the file,
 * the line and the rule (unknown stage, stage placed twice, ring not a power of two, no
 * placement, bad idle policy, misspelt key); a valid md-only instance runs, creates its
 * segment with the fixed ring topology, and removes it at stop.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(void)
{
	Suite *s = suite_create("fp_ctl_pipeline");
	TCase *neg = tcase_create("config_refusals");
	TCase *run = tcase_create("run");

	tcase_add_test(run, test_ring_graph_checks_placements);
	tcase_add_test(neg, test_pipeline_refuses_unknown_stage);
	tcase_add_test(neg, test_pipeline_refuses_stage_placed_twice);
	tcase_add_test(neg, test_pipeline_refuses_ring_not_power_of_two);
	tcase_add_test(neg, test_pipeline_refuses_missing_placement);
	tcase_add_test(neg, test_pipeline_refuses_bad_idle_and_typo);
	tcase_add_test(run, test_pipeline_runs_md_instance_and_cleans_up);
	tcase_set_timeout(run, 30);
	suite_add_tcase(s, neg);
	suite_add_tcase(s, run);

	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
