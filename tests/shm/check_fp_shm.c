/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_shm.c - the instance segment (shm/fp_shm.h) and the small shared structs that
 * live in it (control block, worker table: fp_shm_ctl.h; symbol table: fp_symtab.h).
 *
 * Covers:
 *  - negative first: bad instance names, duplicate/empty/oversized regions, attach to a
 *    missing instance; attach refuses another layout version (message names both), a
 *    foreign file (wrong magic; create will not delete it either), a truncated file, a
 *    segment still being created, and a user outside the segment's group (a child that
 *    setuid()s to nobody); create refuses a live instance and takes over a dead one;
 *  - lifecycle: create (header fields, region alignment, mode 0660, zeroed regions),
 *    attach from another process sees the creator's writes and vice versa, destroy;
 *    a group member (nobody in group nogroup) may attach;
 *  - backing: /dev/shm fallback warns with the nr_hugepages command; hugetlbfs is used
 *    when free 2 MiB hugepages exist (skipped, with a note, when none are reserved);
 *  - control block: kill, re-arm, trading state, audit record; worker table; symbol table.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fp_err.h"
#include "fp_ring.h"
#include "fp_shm.h"
#include "fp_shm_ctl.h"
#include "fp_symtab.h"

static const struct fp_shm_region_spec test_regions[] = {
	{"ring.a", 0, FP_RING_VERSION}, /* size set in opts_for() */
	{"ctl", sizeof(struct fp_shm_ctl), FP_SHM_CTL_VERSION},
	{"workers", sizeof(struct fp_shm_workers), FP_SHM_WORKERS_VERSION},
	{"odd", 100, 7},
};

struct test_seg {
	char instance[64];
	struct fp_shm_region_spec regions[4];
	struct fp_shm_opts opts;
};

static void opts_for(struct test_seg *t, const char *tag)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->instance, sizeof(t->instance), "check-%s-%d", tag, (int)getpid());
	memcpy(t->regions, test_regions, sizeof(test_regions));
	t->regions[0].size = fp_ring_memsize(1024);
	t->opts.instance = t->instance;
	t->opts.regions = t->regions;
	t->opts.nb_regions = 4;
	t->opts.tsc_hz = 2000000000u;
	t->opts.hugepages = FP_SHM_HUGE_OFF;
}

static void create_ready(struct test_seg *t, struct fp_shm *seg)
{
	ck_assert_msg(fp_shm_create(seg, &t->opts) == 0, "create: %s", fp_err_msg());
	fp_shm_set_state(seg, FP_SHM_STATE_READY);
}

/* ---- negative ---- */

START_TEST(test_shm_rejects_bad_options)
{
	struct test_seg t;
	struct fp_shm seg;
	opts_for(&t, "opts");
	static const char *const bad_names[] = {
		"", "a/b", "has space", "0123456789012345678901234567890123456789012345678"};
	for (size_t i = 0; i < FP_ARRAY_SIZE(bad_names); i++) {
		t.opts.instance = bad_names[i];
		ck_assert_msg(fp_shm_create(&seg, &t.opts) == -EINVAL, "name '%s'", bad_names[i]);
	}
	t.opts.instance = NULL;
	ck_assert_int_eq(fp_shm_create(&seg, &t.opts), -EINVAL);
	t.opts.instance = t.instance;
	t.regions[3].name = "ctl";
	ck_assert_int_eq(fp_shm_create(&seg, &t.opts), -EINVAL);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "declared twice"));
	t.regions[3].name = "odd";
	t.regions[3].size = 0;
	ck_assert_int_eq(fp_shm_create(&seg, &t.opts), -EINVAL);
	t.regions[3].size = 100;
	t.regions[3].name = "a-region-name-that-is-far-too-long";
	ck_assert_int_eq(fp_shm_create(&seg, &t.opts), -EINVAL);
}
END_TEST

START_TEST(test_shm_attach_refuses_missing_instance)
{
	struct test_seg t;
	struct fp_shm seg;
	opts_for(&t, "missing");
	ck_assert_int_eq(fp_shm_attach(&seg, &t.opts), -ENOENT);
	ck_assert_msg(strstr(fp_err_msg(), "not running") != NULL, "%s", fp_err_msg());
}
END_TEST

START_TEST(test_shm_attach_refuses_other_layout_version)
{
	struct test_seg t;
	struct fp_shm seg, other;
	opts_for(&t, "version");
	create_ready(&t, &seg);
	seg.hdr->layout_version = FP_SHM_LAYOUT_VERSION + 1; /* as a newer build would write */
	ck_assert_int_eq(fp_shm_attach(&other, &t.opts), -EPROTONOSUPPORT);
	char theirs[32], ours[32];
	uint32_t v = FP_SHM_LAYOUT_VERSION + 1, w = FP_SHM_LAYOUT_VERSION;
	snprintf(theirs, sizeof(theirs), "%u.%u.%u", v >> 16, (v >> 8) & 0xff, v & 0xff);
	snprintf(ours, sizeof(ours), "%u.%u.%u", w >> 16, (w >> 8) & 0xff, w & 0xff);
	ck_assert_msg(strstr(fp_err_msg(), theirs) && strstr(fp_err_msg(), ours),
		      "message must name %s and %s: %s", theirs, ours, fp_err_msg());
	ck_assert_int_eq(fp_shm_destroy(&seg), 0);
}
END_TEST

START_TEST(test_shm_refuses_foreign_file)
{
	struct test_seg t;
	struct fp_shm seg;
	opts_for(&t, "foreign");
	char path[256];
	snprintf(path, sizeof(path), "/dev/shm/fastpath-%s", t.instance);
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	char junk[8192];
	memset(junk, 'x', sizeof(junk));
	ck_assert_int_eq(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	ck_assert_int_eq(fp_shm_attach(&seg, &t.opts), -EPROTO);
	ck_assert_msg(strstr(fp_err_msg(), "not a fastpath segment") != NULL, "%s", fp_err_msg());
	ck_assert_int_eq(fp_shm_create(&seg, &t.opts), -EEXIST); /* never deletes it */
	ck_assert_msg(strstr(fp_err_msg(), "rm ") != NULL, "%s", fp_err_msg());
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	unlink(path);
}
END_TEST

START_TEST(test_shm_attach_refuses_truncated_file)
{
	struct test_seg t;
	struct fp_shm seg, other;
	opts_for(&t, "trunc");
	create_ready(&t, &seg);
	ck_assert_int_eq(truncate(seg.path, 8192), 0);
	ck_assert_int_eq(fp_shm_attach(&other, &t.opts), -EBADMSG);
	ck_assert_msg(strstr(fp_err_msg(), "truncated") != NULL, "%s", fp_err_msg());
	unlink(seg.path);
	fp_shm_detach(&seg);
}
END_TEST

START_TEST(test_shm_attach_refuses_segment_being_created)
{
	struct test_seg t;
	struct fp_shm seg, other;
	opts_for(&t, "creating");
	ck_assert_int_eq(fp_shm_create(&seg, &t.opts), 0);
	ck_assert_int_eq(fp_shm_attach(&other, &t.opts), -EAGAIN);
	fp_shm_set_state(&seg, FP_SHM_STATE_READY);
	ck_assert_int_eq(fp_shm_attach(&other, &t.opts), 0);
	fp_shm_detach(&other);
	fp_shm_destroy(&seg);
}
END_TEST

/* In a child: become nobody (gid nogroup, no supplementary groups), attach, report. */
static int attach_as_nobody(const struct fp_shm_opts *opts, char *msg, size_t len)
{
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(pfd[0]);
		if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
			_exit(100);
		struct fp_shm_opts o = *opts;
		o.flags |= FP_SHM_F_NO_MLOCK;
		struct fp_shm seg;
		int rc = fp_shm_attach(&seg, &o);
		const char *m = fp_err_msg();
		if (write(pfd[1], m, strlen(m)) < 0)
			_exit(101);
		if (rc == 0) {
			fp_shm_detach(&seg);
			_exit(0);
		}
		_exit(-rc);
	}
	close(pfd[1]);
	ssize_t n = read(pfd[0], msg, len - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(pfd[0]);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

START_TEST(test_shm_attach_refuses_user_outside_group)
{
	if (geteuid() != 0) {
		fprintf(stderr, "skip: needs root to setuid() to nobody\n");
		return;
	}
	struct test_seg t;
	struct fp_shm seg;
	char msg[1024];
	opts_for(&t, "perm");
	t.opts.group = "root";
	create_ready(&t, &seg);
	struct stat st;
	ck_assert_int_eq(stat(seg.path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0660);
	int rc = attach_as_nobody(&t.opts, msg, sizeof(msg));
	ck_assert_msg(rc == EACCES, "nobody attached (rc %d): %s", rc, msg);
	ck_assert_msg(strstr(msg, "group 'root'") != NULL, "%s", msg);
	fp_shm_destroy(&seg);
}
END_TEST

START_TEST(test_shm_group_member_may_attach)
{
	if (geteuid() != 0 || getgrnam("nogroup") == NULL) {
		fprintf(stderr, "skip: needs root and group nogroup\n");
		return;
	}
	struct test_seg t;
	struct fp_shm seg;
	char msg[1024];
	opts_for(&t, "member");
	t.opts.group = "nogroup";
	create_ready(&t, &seg);
	int rc = attach_as_nobody(&t.opts, msg, sizeof(msg));
	ck_assert_msg(rc == 0, "group member refused (rc %d): %s", rc, msg);
	fp_shm_destroy(&seg);
}
END_TEST

START_TEST(test_shm_rejects_unknown_group)
{
	struct test_seg t;
	struct fp_shm seg;
	opts_for(&t, "nogrp");
	t.opts.group = "no-such-group-fastpath";
	ck_assert_int_lt(fp_shm_create(&seg, &t.opts), 0);
	ck_assert_msg(strstr(fp_err_msg(), "groupadd") != NULL, "%s", fp_err_msg());
}
END_TEST

START_TEST(test_shm_refuses_second_create_of_live_instance)
{
	struct test_seg t;
	struct fp_shm seg, again;
	opts_for(&t, "live");
	create_ready(&t, &seg);
	ck_assert_int_eq(fp_shm_create(&again, &t.opts), -EEXIST);
	ck_assert_msg(strstr(fp_err_msg(), "is live") != NULL, "%s", fp_err_msg());
	ck_assert_int_eq(fp_shm_attach(&again, &t.opts), 0); /* untouched */
	fp_shm_detach(&again);
	fp_shm_destroy(&seg);
}
END_TEST

START_TEST(test_shm_takes_over_instance_of_dead_creator)
{
	struct test_seg t;
	struct fp_shm seg;
	opts_for(&t, "stale");
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct fp_shm s;
		_exit(fp_shm_create(&s, &t.opts) == 0 ? 0 : 1); /* dies without destroy */
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_msg(fp_shm_create(&seg, &t.opts) == 0, "%s", fp_err_msg());
	char want[64];
	snprintf(want, sizeof(want), "pid %d", (int)pid);
	ck_assert_msg(strstr(seg.warning, "took over") && strstr(seg.warning, want), "%s",
		      seg.warning);
	ck_assert_int_eq(seg.hdr->creator_pid, getpid());
	fp_shm_destroy(&seg);
}
END_TEST

/* ---- lifecycle ---- */

START_TEST(test_shm_create_fills_header_and_aligns_regions)
{
	struct test_seg t;
	struct fp_shm seg;
	opts_for(&t, "hdr");
	ck_assert_int_eq(fp_shm_create(&seg, &t.opts), 0);
	const struct fp_shm_hdr *h = seg.hdr;
	ck_assert_uint_eq(h->magic, FP_SHM_MAGIC);
	ck_assert_uint_eq(h->layout_version, FP_SHM_LAYOUT_VERSION);
	ck_assert_uint_eq(h->layout_version & 0xff, FP_EVENT_VERSION);
	ck_assert_uint_eq(h->tsc_hz, 2000000000u);
	ck_assert_int_eq(h->creator_pid, getpid());
	ck_assert_uint_gt(h->created_ns, 1600000000ull * 1000000000ull);
	ck_assert_uint_eq(fp_shm_get_state(&seg), FP_SHM_STATE_CREATING);
	ck_assert_uint_eq(h->backing, FP_SHM_BACKING_SHM);
	ck_assert_uint_eq(h->nb_regions, 4);
	ck_assert_str_eq(h->instance, t.instance);
	ck_assert_uint_eq(h->total_bytes % h->page_bytes, 0);
	uint64_t prev_end = FP_SHM_HDR_BYTES;
	for (unsigned i = 0; i < 4; i++) {
		uint64_t size;
		uint8_t *p = fp_shm_region(&seg, t.regions[i].name, &size);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq(size, t.regions[i].size);
		ck_assert_uint_eq((uintptr_t)p % FP_SHM_REGION_ALIGN, 0);
		ck_assert_uint_ge((uint64_t)(p - (uint8_t *)h), prev_end);
		prev_end = (uint64_t)(p - (uint8_t *)h) + size;
		ck_assert_uint_le(prev_end, h->total_bytes);
		for (uint64_t k = 0; k < size; k++)
			ck_assert_uint_eq(p[k], 0);
		ck_assert_uint_eq(fp_shm_region_entry(&seg, t.regions[i].name)->version,
				  t.regions[i].version);
	}
	ck_assert_ptr_null(fp_shm_region(&seg, "absent", NULL));
	fp_shm_dump(stderr, &seg);
	ck_assert_int_eq(fp_shm_destroy(&seg), 0);
	ck_assert_int_eq(access(seg.path, F_OK), -1);
}
END_TEST

START_TEST(test_shm_regions_are_shared_between_processes)
{
	struct test_seg t;
	struct fp_shm seg;
	opts_for(&t, "share");
	ck_assert_int_eq(fp_shm_create(&seg, &t.opts), 0);
	struct fp_ring *r = fp_shm_region(&seg, "ring.a", NULL);
	ck_assert_int_eq(fp_ring_init(r, 1024, "a"), 0);
	fp_shm_set_state(&seg, FP_SHM_STATE_READY);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) { /* another process, its own mapping at another address */
		struct fp_shm s;
		if (fp_shm_attach(&s, &t.opts) != 0)
			_exit(1);
		uint64_t size;
		struct fp_ring *cr = fp_shm_region(&s, "ring.a", &size);
		if (fp_ring_check(cr, size) != 0)
			_exit(2);
		struct fp_event ev = {.type = FP_EV_CONTROL, .seq = 42};
		if (fp_ring_enqueue_burst(cr, &ev, 1) != 1)
			_exit(3);
		fp_shm_detach(&s);
		_exit(0);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status 0x%x", st);
	struct fp_event ev;
	ck_assert_uint_eq(fp_ring_dequeue_burst(r, &ev, 1), 1);
	ck_assert_uint_eq(ev.seq, 42);
	fp_shm_destroy(&seg);
}
END_TEST

START_TEST(test_shm_create_calibrates_tsc_when_not_given)
{
	struct test_seg t;
	struct fp_shm seg;
	opts_for(&t, "tsc");
	t.opts.tsc_hz = 0;
	int rc = fp_shm_create(&seg, &t.opts);
	if (rc == -ENOTSUP) {
		fprintf(stderr, "skip: TSC not invariant here: %s\n", fp_err_msg());
		return;
	}
	ck_assert_msg(rc == 0, "%s", fp_err_msg());
	ck_assert_uint_gt(seg.hdr->tsc_hz, FP_TSC_HZ_MIN);
	fp_shm_destroy(&seg);
}
END_TEST

/* ---- backing ---- */

static int64_t free_2m_hugepages(void)
{
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "r");
	long long v = -1;
	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

START_TEST(test_shm_fallback_warns_how_to_reserve_hugepages)
{
	if (free_2m_hugepages() > 0) {
		fprintf(stderr, "skip: hugepages are reserved here, no fallback to check\n");
		return;
	}
	struct test_seg t;
	struct fp_shm seg;
	opts_for(&t, "fallback");
	t.opts.hugepages = FP_SHM_HUGE_AUTO;
	ck_assert_int_eq(fp_shm_create(&seg, &t.opts), 0);
	ck_assert_uint_eq(seg.hdr->backing, FP_SHM_BACKING_SHM);
	ck_assert_msg(strstr(seg.warning, "/proc/sys/vm/nr_hugepages") != NULL, "%s", seg.warning);
	fp_shm_destroy(&seg);
}
END_TEST

START_TEST(test_shm_uses_hugetlbfs_when_hugepages_are_free)
{
	if (free_2m_hugepages() < 2) {
		fprintf(stderr, "skip: no free 2 MiB hugepages (echo 16 > "
				"/proc/sys/vm/nr_hugepages to run this test)\n");
		return;
	}
	struct test_seg t;
	struct fp_shm seg, other;
	opts_for(&t, "huge");
	t.opts.hugepages = FP_SHM_HUGE_AUTO;
	ck_assert_msg(fp_shm_create(&seg, &t.opts) == 0, "%s", fp_err_msg());
	ck_assert_uint_eq(seg.hdr->backing, FP_SHM_BACKING_HUGE_2M);
	ck_assert_uint_eq(seg.hdr->page_bytes, 2u << 20);
	ck_assert_str_eq(seg.warning, "");
	fp_shm_set_state(&seg, FP_SHM_STATE_READY);
	ck_assert_msg(fp_shm_attach(&other, &t.opts) == 0, "%s", fp_err_msg());
	ck_assert_str_eq(other.path, seg.path);
	fp_shm_detach(&other);
	fp_shm_destroy(&seg);
}
END_TEST

/* ---- control block, workers, symbol table ---- */

START_TEST(test_ctl_kill_switch_and_audit_record)
{
	struct fp_shm_ctl *c = aligned_alloc(64, sizeof(*c));
	fp_shm_ctl_init(c);
	ck_assert_int_eq(fp_shm_ctl_check(c), 0);
	ck_assert(!fp_shm_ctl_killed(c));
	ck_assert_uint_eq(fp_shm_ctl_trading(c), FP_TRADING_OFF);
	ck_assert_int_eq(fp_shm_ctl_set_trading(c, FP_TRADING_ON, "supervisor", "open"), 0);
	ck_assert_int_eq(fp_shm_ctl_kill(c, "ctl:alice", "runaway strategy 3"), 0);
	ck_assert(fp_shm_ctl_killed(c));
	struct fp_shm_ctl_change l;
	ck_assert(fp_shm_ctl_last_change(c, &l));
	ck_assert_uint_eq(l.seq, 2);
	ck_assert_uint_eq(l.what, FP_CTL_CHANGE_KILL);
	ck_assert_uint_eq(l.old_value, 0);
	ck_assert_uint_eq(l.new_value, 1);
	ck_assert_str_eq(l.who, "ctl:alice");
	ck_assert_str_eq(l.reason, "runaway strategy 3");
	ck_assert_int_eq(l.pid, getpid());
	ck_assert_int_eq(fp_shm_ctl_rearm(c, "ctl:bob", "fixed"), 0);
	ck_assert(!fp_shm_ctl_killed(c));
	ck_assert_int_eq(fp_shm_ctl_set_trading(c, 9, "x", "y"), -EINVAL);
	ck_assert_uint_eq(atomic_load(&c->change_seq), 3);
	fp_shm_ctl_dump(stderr, c);
	c->version = 99;
	ck_assert_int_eq(fp_shm_ctl_check(c), -EPROTO);
	free(c);
}
END_TEST

START_TEST(test_workers_table_heartbeat_and_state)
{
	struct fp_shm_workers *t = aligned_alloc(64, sizeof(*t));
	fp_shm_workers_init(t);
	t->nb_workers = 1;
	snprintf(t->w[0].name, sizeof(t->w[0].name), "md+book");
	t->w[0].core = 1;
	t->w[0].pid = getpid();
	fp_shm_worker_set_state(&t->w[0], FP_WORKER_RUNNING);
	fp_shm_worker_beat(&t->w[0], 12345);
	ck_assert_uint_eq(atomic_load(&t->w[0].heartbeat_tsc), 12345);
	ck_assert_uint_eq(atomic_load(&t->w[0].state), FP_WORKER_RUNNING);
	ck_assert_int_eq(t->w[1].core, -1);
	fp_shm_workers_dump(stderr, t, 0);
	free(t);
}
END_TEST

START_TEST(test_symtab_directory_state_and_stale)
{
	struct fp_symtab *t = aligned_alloc(64, sizeof(*t));
	fp_symtab_init(t);
	ck_assert_int_eq(fp_symtab_check(t), 0);
	ck_assert(!fp_symtab_valid(t, 13));
	fp_symtab_set_directory(t, 13, "AAPL    ", 100, 'Q');
	ck_assert(fp_symtab_valid(t, 13));
	ck_assert(!fp_symtab_tradable(t, 13));
	fp_symtab_set_trading_state(t, 13, 'T');
	ck_assert(fp_symtab_tradable(t, 13));
	fp_symtab_set_stale(t, 13, FP_STALE_GAP);
	ck_assert(!fp_symtab_tradable(t, 13));
	fp_symtab_set_stale(t, 13, 0);
	ck_assert(fp_symtab_tradable(t, 13));
	fp_symtab_set_directory(t, 65535, "ZVZZT   ", 100, 'N');
	ck_assert_uint_eq(atomic_load(&t->nb_valid), 2);
	fp_symtab_set_directory(t, 13, "AAPL    ", 100, 'Q'); /* sent again */
	ck_assert_uint_eq(atomic_load(&t->nb_valid), 2);
	ck_assert_mem_eq(fp_symtab_get(t, 13)->name, "AAPL    ", 8);
	ck_assert_uint_eq(fp_symtab_get(t, 65535)->round_lot, 100);
	fp_symtab_dump(stderr, t, 10);
	free(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_shm");
	TCase *tc = tcase_create("negative");
	tcase_add_test(tc, test_shm_rejects_bad_options);
	tcase_add_test(tc, test_shm_attach_refuses_missing_instance);
	tcase_add_test(tc, test_shm_attach_refuses_other_layout_version);
	tcase_add_test(tc, test_shm_refuses_foreign_file);
	tcase_add_test(tc, test_shm_attach_refuses_truncated_file);
	tcase_add_test(tc, test_shm_attach_refuses_segment_being_created);
	tcase_add_test(tc, test_shm_attach_refuses_user_outside_group);
	tcase_add_test(tc, test_shm_rejects_unknown_group);
	tcase_add_test(tc, test_shm_refuses_second_create_of_live_instance);
	tcase_add_test(tc, test_shm_takes_over_instance_of_dead_creator);
	suite_add_tcase(s, tc);
	tc = tcase_create("lifecycle");
	tcase_add_test(tc, test_shm_create_fills_header_and_aligns_regions);
	tcase_add_test(tc, test_shm_regions_are_shared_between_processes);
	tcase_add_test(tc, test_shm_group_member_may_attach);
	tcase_add_test(tc, test_shm_create_calibrates_tsc_when_not_given);
	suite_add_tcase(s, tc);
	tc = tcase_create("backing");
	tcase_add_test(tc, test_shm_fallback_warns_how_to_reserve_hugepages);
	tcase_add_test(tc, test_shm_uses_hugetlbfs_when_hugepages_are_free);
	suite_add_tcase(s, tc);
	tc = tcase_create("structs");
	tcase_add_test(tc, test_ctl_kill_switch_and_audit_record);
	tcase_add_test(tc, test_workers_table_heartbeat_and_state);
	tcase_add_test(tc, test_symtab_directory_state_and_stale);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
