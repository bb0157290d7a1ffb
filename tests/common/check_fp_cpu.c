/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_cpu.c - CPU pinning: unknown cores refused with the core and the allowed list in
 * the message; every allowed core accepted and verified with sched_getcpu(); the count of
 * accepted cores equals fp_cpu_count(); offline and disallowed cores refused with their own
 * errors, on a 4-CPU topology given to hwloc as XML (HWLOC_XMLFILE, HWLOC_THISSYSTEM=1):
 * CPU 3 offline, CPU 2 outside the allowed set.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fp_cpu.h"
#include "fp_err.h"

static const int bad_cores[] = {-1, 100000, 1 << 30};

START_TEST(test_cpu_refuses_unknown_core_naming_it_and_allowed_list)
{
	char allowed[256], want[320];
	int core = bad_cores[_i];
	ck_assert_int_eq(fp_cpu_allowed_list(allowed, sizeof(allowed)), 0);
	ck_assert_int_eq(fp_cpu_pin_self(core), -EINVAL);
	snprintf(want, sizeof(want), "core %d is not a CPU of this machine (allowed: %s)", core,
		 allowed);
	ck_assert_msg(strncmp(fp_err_msg(), want, strlen(want)) == 0, "got '%s', want '%s'",
		      fp_err_msg(), want);
}
END_TEST

START_TEST(test_cpu_count_is_positive_and_within_configured)
{
	int n = fp_cpu_count();
	ck_assert_msg(n >= 1, "fp_cpu_count: %d (%s)", n, fp_err_msg());
	ck_assert_int_le(n, (int)sysconf(_SC_NPROCESSORS_CONF));
	char list[256];
	ck_assert_int_eq(fp_cpu_allowed_list(list, sizeof(list)), 0);
	ck_assert_msg(list[0] >= '0' && list[0] <= '9', "allowed list '%s'", list);
}
END_TEST

START_TEST(test_cpu_pins_to_each_allowed_core)
{
	int last = (int)sysconf(_SC_NPROCESSORS_CONF) + 4, pinned = 0;
	for (int core = 0; core < last; core++) {
		int rc = fp_cpu_pin_self(core);
		if (rc < 0) {
			ck_assert_msg(rc == -EINVAL || rc == -ENODEV || rc == -EPERM,
				      "core %d: %d %s", core, rc, fp_err_msg());
			ck_assert_msg(strstr(fp_err_msg(), "allowed: ") != NULL, "core %d: %s",
				      core, fp_err_msg());
			continue;
		}
		/* Strict binding: the thread is on the core now and stays there. */
		for (int k = 0; k < 1000; k++) {
			ck_assert_int_eq(fp_cpu_current(), core);
			ck_assert_int_eq(sched_getcpu(), core);
			if (k % 100 == 0)
				sched_yield();
		}
		cpu_set_t set;
		ck_assert_int_eq(sched_getaffinity(0, sizeof(set), &set), 0);
		ck_assert_int_eq(CPU_COUNT(&set), 1);
		ck_assert(CPU_ISSET(core, &set));
		pinned++;
	}
	ck_assert_int_eq(pinned, fp_cpu_count());
}
END_TEST

/* 4 CPUs: 0-2 online (cpuset 0x7 of complete 0xf), 0-1 allowed (0x3). */
static const char topo_xml[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<!DOCTYPE topology SYSTEM \"hwloc2.dtd\">\n"
	"<topology version=\"2.0\">\n"
	"<object type=\"Machine\" os_index=\"0\" cpuset=\"0x00000007\" "
	"complete_cpuset=\"0x0000000f\" allowed_cpuset=\"0x00000003\" nodeset=\"0x00000001\" "
	"complete_nodeset=\"0x00000001\" allowed_nodeset=\"0x00000001\" gp_index=\"1\">\n"
	"<object type=\"NUMANode\" os_index=\"0\" cpuset=\"0x00000007\" "
	"complete_cpuset=\"0x0000000f\" nodeset=\"0x00000001\" complete_nodeset=\"0x00000001\" "
	"gp_index=\"6\" local_memory=\"1073741824\"/>\n"
	"<object type=\"PU\" os_index=\"0\" cpuset=\"0x00000001\" complete_cpuset=\"0x00000001\" "
	"nodeset=\"0x00000001\" complete_nodeset=\"0x00000001\" gp_index=\"2\"/>\n"
	"<object type=\"PU\" os_index=\"1\" cpuset=\"0x00000002\" complete_cpuset=\"0x00000002\" "
	"nodeset=\"0x00000001\" complete_nodeset=\"0x00000001\" gp_index=\"3\"/>\n"
	"<object type=\"PU\" os_index=\"2\" cpuset=\"0x00000004\" complete_cpuset=\"0x00000004\" "
	"nodeset=\"0x00000001\" complete_nodeset=\"0x00000001\" gp_index=\"4\"/>\n"
	"</object>\n"
	"</topology>\n";

START_TEST(test_cpu_refuses_offline_and_disallowed_cores)
{
	char path[] = "/tmp/check_fp_cpu_topo.XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, topo_xml, sizeof(topo_xml) - 1), (ssize_t)sizeof(topo_xml) - 1);
	close(fd);
	setenv("HWLOC_XMLFILE", path, 1);
	setenv("HWLOC_THISSYSTEM", "1", 1);

	ck_assert_int_eq(fp_cpu_count(), 2);
	ck_assert_int_eq(fp_cpu_pin_self(3), -ENODEV);
	ck_assert_msg(strncmp(fp_err_msg(), "core 3 is offline (allowed: 0-1)", 32) == 0,
		      "got '%s'", fp_err_msg());
	ck_assert_int_eq(fp_cpu_pin_self(2), -EPERM);
	ck_assert_msg(strstr(fp_err_msg(), "core 2 is outside this process's allowed cores "
					   "(cgroup cpuset; allowed: 0-1)") == fp_err_msg(),
		      "got '%s'", fp_err_msg());
	ck_assert_int_eq(fp_cpu_pin_self(4), -EINVAL);
	ck_assert_msg(strncmp(fp_err_msg(), "core 4 is not a CPU of this machine (allowed: 0-1)",
			      50) == 0,
		      "got '%s'", fp_err_msg());

	unsetenv("HWLOC_XMLFILE");
	unsetenv("HWLOC_THISSYSTEM");
	unlink(path);
}
END_TEST

static Suite *fp_cpu_suite(void)
{
	Suite *s = suite_create("fp_cpu");
	TCase *tc = tcase_create("negative");
	tcase_add_loop_test(tc, test_cpu_refuses_unknown_core_naming_it_and_allowed_list, 0,
			    FP_ARRAY_SIZE(bad_cores));
	tcase_add_test(tc, test_cpu_refuses_offline_and_disallowed_cores);
	suite_add_tcase(s, tc);
	tc = tcase_create("pin");
	tcase_add_test(tc, test_cpu_count_is_positive_and_within_configured);
	tcase_add_test(tc, test_cpu_pins_to_each_allowed_core);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fp_cpu_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
