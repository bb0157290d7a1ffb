/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_store_modes.c - the journal belongs to its owner and group (issue 18):
 *   folders the store creates are 0750 and files 0640 whatever the umask (022, 077, 0);
 *   both get the configured group; an older 0644 journal is brought down to 0640;
 *   a group that does not exist is refused with a message that says what to do.
 * Run as root (CI is): giving a file to another group needs it; skips with a message else.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fp_err.h"
#include "fp_store_journal.h"
#include "fp_store_stage.h"

static char root[64];

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/fp-modes.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	ck_assert_int_eq(system(cmd), 0);
}

/* A group that is not ours, to see the chown happen: nogroup (65534) or daemon. */
static const char *other_group(gid_t *gid)
{
	static const char *const names[] = {"nogroup", "daemon", "nobody"};
	for (unsigned i = 0; i < 3; i++) {
		struct group *g = getgrnam(names[i]);
		if (g && g->gr_gid != getegid()) {
			*gid = g->gr_gid;
			return names[i];
		}
	}
	return NULL;
}

static void check_mode(const char *path, mode_t mode, gid_t gid)
{
	struct stat st;
	ck_assert_msg(stat(path, &st) == 0, "%s: %s", path, strerror(errno));
	ck_assert_msg((st.st_mode & 07777) == mode, "%s: mode 0%o, want 0%o", path,
		      (unsigned)(st.st_mode & 07777), (unsigned)mode);
	ck_assert_msg(st.st_gid == gid, "%s: group %u, want %u", path, (unsigned)st.st_gid,
		      (unsigned)gid);
}

/* A store over @p dir (no rings): its init creates the folders and today's file. */
static int start_store(const char *dir, const char *group, char *file, size_t len)
{
	struct fp_store_stage *s = calloc(1, sizeof(*s));
	struct fp_store_cfg cfg = {.dir = dir, .instance = "modes", .group = group};
	int rc = fp_store_stage_init(s, &cfg);
	if (rc == 0) {
		snprintf(file, len, "%s", fp_store_stage_stats(s)->path);
		fp_store_stage_fini(s);
	}
	free(s);
	return rc;
}

START_TEST(test_store_modes_under_every_umask)
{
	static const mode_t masks[] = {022, 077, 0};
	gid_t gid;
	const char *group = other_group(&gid);
	if (geteuid() != 0 || group == NULL) {
		fprintf(stderr, "check_fp_store_modes: skipped (needs root and a second group)\n");
		return;
	}
	for (unsigned i = 0; i < 3; i++) {
		char dir[256], top[192], file[512];
		snprintf(top, sizeof(top), "%s/u%u", root, i);
		snprintf(dir, sizeof(dir), "%s/journal", top);
		mode_t old = umask(masks[i]);
		int rc = start_store(dir, group, file, sizeof(file));
		umask(old);
		ck_assert_msg(rc == 0, "umask 0%o: %s", (unsigned)masks[i], fp_err_msg());
		check_mode(top, FP_STORE_DIR_MODE, gid); /* a parent it created too */
		check_mode(dir, FP_STORE_DIR_MODE, gid);
		check_mode(file, FP_STORE_FILE_MODE, gid);
	}
}
END_TEST

START_TEST(test_store_brings_an_old_0644_journal_down)
{
	char dir[128], file[512], again[512];
	snprintf(dir, sizeof(dir), "%s/j", root);
	ck_assert_int_eq(start_store(dir, NULL, file, sizeof(file)), 0);
	ck_assert_int_eq(chmod(file, 0644), 0);
	ck_assert_int_eq(start_store(dir, "", again, sizeof(again)), 0);
	ck_assert_str_eq(file, again);
	check_mode(file, FP_STORE_FILE_MODE, getegid());
}
END_TEST

START_TEST(test_store_refuses_an_unknown_group)
{
	char dir[128], file[512];
	snprintf(dir, sizeof(dir), "%s/x", root);
	int rc = start_store(dir, "fp-no-such-group", file, sizeof(file));
	ck_assert_int_lt(rc, 0);
	ck_assert_msg(strstr(fp_err_msg(), "group 'fp-no-such-group'") &&
			      strstr(fp_err_msg(), "groupadd fp-no-such-group"),
		      "got '%s'", fp_err_msg());
	ck_assert_int_ne(access(dir, F_OK), 0); /* nothing created */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_store_modes");
	TCase *tc = tcase_create("modes");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_store_modes_under_every_umask);
	tcase_add_test(tc, test_store_brings_an_old_0644_journal_down);
	tcase_add_test(tc, test_store_refuses_an_unknown_group);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
