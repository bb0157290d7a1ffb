/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_syscount.c - the fp-syscount tool against children whose syscalls are known:
 *   negative: no --pid, a bad --window-ms, a process that does not exist;
 *   a child spinning without syscalls -> total 0;
 *   a child calling getppid in a loop -> counts attributed to getppid;
 *   three threads, one calling getppid -> counts on that thread only, all threads seen;
 *   a thread created during the window -> attached (TRACECLONE), its 10 getppid counted;
 *   detach is clean: afterwards the child runs on, untraced.
 */
#define _GNU_SOURCE
#include <check.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SYSCOUNT FP_BINARY_DIR "/bin/fp-syscount"

/* Run fp-syscount with @p args; its stdout into @p out; returns its exit status. */
static int run_tool(const char *args, char *out, size_t len)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", SYSCOUNT, args);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	size_t n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int syscount(pid_t pid, int window_ms, char *out, size_t len)
{
	char args[64];
	snprintf(args, sizeof(args), "--pid %d --window-ms %d", (int)pid, window_ms);
	return run_tool(args, out, len);
}

/* The number after "key": in @p json (searching from @p from), or -1. */
static long long json_num(const char *json, const char *key)
{
	char pat[96];
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	const char *p = strstr(json, pat);
	return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

/* The by_thread entry of @p tid, or NULL. */
static const char *json_thread(const char *json, pid_t tid)
{
	char pat[48];
	snprintf(pat, sizeof(pat), "\"%d\": {", (int)tid);
	const char *bt = strstr(json, "\"by_thread\"");
	return bt ? strstr(bt, pat) : NULL;
}

/* Shared with the children: progress counter and thread ids. */
struct shared {
	_Atomic uint64_t spins;
	_Atomic int tid_caller;
	_Atomic int tid_spinner;
	_Atomic int ready;
	_Atomic int go; /* body_late_thread: the tracer has stopped the child once */
};

static struct shared *shared_new(void)
{
	struct shared *s =
		mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(s, MAP_FAILED);
	memset(s, 0, sizeof(*s));
	return s;
}

static void spin_forever(struct shared *s)
{
	for (;;)
		atomic_fetch_add_explicit(&s->spins, 1, memory_order_relaxed);
}

static pid_t spawn(void (*body)(struct shared *), struct shared *s)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		body(s);
		_exit(0);
	}
	while (!atomic_load(&s->ready))
		usleep(1000);
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void body_spin(struct shared *s)
{
	atomic_store(&s->ready, 1);
	spin_forever(s);
}

static void body_getppid(struct shared *s)
{
	atomic_store(&s->ready, 1);
	for (;;)
		getppid();
}

static void *thread_spin(void *arg)
{
	struct shared *s = arg;
	atomic_store(&s->tid_spinner, (int)gettid());
	spin_forever(s);
	return NULL;
}

static void *thread_getppid(void *arg)
{
	struct shared *s = arg;
	atomic_store(&s->tid_caller, (int)gettid());
	for (;;)
		getppid();
	return NULL;
}

static void body_threads(struct shared *s)
{
	pthread_t a, b;
	pthread_create(&a, NULL, thread_spin, s);
	pthread_create(&b, NULL, thread_getppid, s);
	while (!atomic_load(&s->tid_spinner) || !atomic_load(&s->tid_caller))
		;
	atomic_store(&s->ready, 1);
	for (;;) /* the main thread spins too: no syscalls */
		;
}

static int traced(void)
{
	char line[256];
	int tracer = 0;
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %d", &tracer) == 1)
			break;
	if (f)
		fclose(f);
	return tracer != 0;
}

static void *thread_10_getppid(void *arg)
{
	(void)arg;
	for (int i = 0; i < 10; i++)
		getppid();
	return NULL;
}

static void body_late_thread(struct shared *s)
{
	atomic_store(&s->ready, 1);
	while (!traced())
		usleep(1000);
	/*
	 * Traced is not yet inside the window: fp-syscount seizes, then interrupts, and counts
	 * only once every thread is attached. A thread made in between is followed but its
	 * clone goes uncounted (issue 18: the test failed so under load). Wait for the state
	 * "stopped by the tracer once" (watch_tracing_stop() sets go): everything after it
	 * runs inside the window. The yields are syscalls, so stops keep coming to be seen.
	 */
	while (!atomic_load(&s->go))
		sched_yield();
	pthread_t t;
	pthread_create(&t, NULL, thread_10_getppid, NULL);
	pthread_join(t, NULL);
	spin_forever(s);
}

START_TEST(test_syscount_refuses_bad_arguments)
{
	char out[512];
	ck_assert_int_eq(run_tool("", out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "fp-syscount: --pid is required") != NULL, "got '%s'", out);
	ck_assert_int_eq(run_tool("--pid 1 --window-ms 0", out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "--window-ms must be 1..3600000, got '0'") != NULL, "got '%s'",
		      out);
	ck_assert_int_eq(run_tool("--pid 2147483000 --window-ms 10", out, sizeof(out)), 1);
	ck_assert_msg(strstr(out, "fp-syscount: no process 2147483000") != NULL, "got '%s'", out);
	ck_assert_int_eq(run_tool("--help", out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "usage: fp-syscount --pid PID") != NULL, "got '%s'", out);
}
END_TEST

START_TEST(test_syscount_spinning_child_makes_no_syscalls)
{
	struct shared *s = shared_new();
	pid_t pid = spawn(body_spin, s);
	char out[4096];
	int rc = syscount(pid, 300, out, sizeof(out));
	ck_assert_msg(rc == 0, "fp-syscount exited with %d: '%s'", rc, out);
	ck_assert_msg(json_num(out, "pid") == pid, "got '%s'", out);
	ck_assert_msg(json_num(out, "window_ms") == 300, "got '%s'", out);
	ck_assert_msg(json_num(out, "total") == 0, "got '%s'", out);
	ck_assert_msg(strstr(out, "\"by_syscall\": {}") != NULL, "got '%s'", out);
	/* Clean detach: the child is no longer traced and still runs. */
	char path[64], line[256];
	int tracer = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %d", &tracer) == 1)
			break;
	fclose(f);
	ck_assert_int_eq(tracer, 0);
	/* It runs on: wait for its counter to move (a state, not a 20 ms sleep: on a loaded
	 * machine the child may not get a core for longer). A child left stopped never moves;
	 * 20 s only bounds that failure, below the case's timeout. */
	uint64_t before = atomic_load(&s->spins);
	for (int ms = 0; ms < 20000 && atomic_load(&s->spins) == before; ms++)
		usleep(1000);
	ck_assert_uint_gt(atomic_load(&s->spins), before);
	reap(pid);
}
END_TEST

START_TEST(test_syscount_attributes_getppid_loop)
{
	struct shared *s = shared_new();
	pid_t pid = spawn(body_getppid, s);
	char out[4096];
	int rc = syscount(pid, 300, out, sizeof(out));
	ck_assert_msg(rc == 0, "fp-syscount exited with %d: '%s'", rc, out);
	long long total = json_num(out, "total"), n = json_num(out, "getppid");
	/* Under heavy load the tracer may get only a few round trips in: any count will do. */
	ck_assert_msg(n > 0 && n * 10 >= total * 9, "got '%s'", out);
	/* The busiest syscall comes first. */
	ck_assert_msg(strstr(out, "\"by_syscall\": {\"getppid\": ") != NULL, "got '%s'", out);
	reap(pid);
}
END_TEST

START_TEST(test_syscount_counts_per_thread)
{
	struct shared *s = shared_new();
	pid_t pid = spawn(body_threads, s);
	char out[8192];
	int rc = syscount(pid, 300, out, sizeof(out));
	ck_assert_msg(rc == 0, "fp-syscount exited with %d: '%s'", rc, out);
	ck_assert_msg(json_num(out, "threads") == 3, "got '%s'", out);
	const char *caller = json_thread(out, (pid_t)atomic_load(&s->tid_caller));
	const char *spinner = json_thread(out, (pid_t)atomic_load(&s->tid_spinner));
	const char *main_thr = json_thread(out, pid);
	ck_assert_msg(caller && spinner && main_thr, "got '%s'", out);
	ck_assert_msg(json_num(main_thr, "total") == 0, "main: '%s'", main_thr);
	ck_assert_msg(json_num(spinner, "total") == 0, "spinner: '%s'", spinner);
	ck_assert_msg(json_num(caller, "getppid") > 0, "caller: '%s'", caller);
	reap(pid);
}
END_TEST

struct watch {
	struct shared *s;
	pid_t pid;
};

/* Set s->go once process @p pid has been seen in a ptrace stop ('t'; 'T' on old kernels). */
static void *watch_tracing_stop(void *arg)
{
	struct watch *w = arg;
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)w->pid);
	for (;;) {
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		if (f)
			fclose(f);
		buf[n] = '\0';
		const char *p = strrchr(buf, ')');
		if (f == NULL || (p && (p[2] == 't' || p[2] == 'T'))) {
			atomic_store(&w->s->go, 1);
			return NULL;
		}
		usleep(100);
	}
}

START_TEST(test_syscount_follows_thread_created_in_window)
{
	struct shared *s = shared_new();
	pid_t pid = spawn(body_late_thread, s);
	struct watch w = {s, pid};
	pthread_t watcher;
	ck_assert_int_eq(pthread_create(&watcher, NULL, watch_tracing_stop, &w), 0);
	char out[8192];
	/*
	 * The thread makes ~40 syscalls (creation, 10 getppid, exit), 80 ptrace stops; at load
	 * average 25 on 2 cores a stop can take tens of ms to be served, hence 3 s.
	 */
	int rc = syscount(pid, 3000, out, sizeof(out));
	ck_assert_msg(rc == 0, "fp-syscount exited with %d: '%s'", rc, out);
	ck_assert_msg(json_num(out, "getppid") == 10, "got '%s'", out);
	ck_assert_msg(json_num(out, "threads") >= 2, "got '%s'", out);
	ck_assert_msg(strstr(out, "\"clone") != NULL, "got '%s'", out);
	pthread_join(watcher, NULL);
	reap(pid);
}
END_TEST

static Suite *fp_syscount_suite(void)
{
	Suite *s = suite_create("fp_syscount");
	TCase *tc = tcase_create("negative");
	tcase_add_test(tc, test_syscount_refuses_bad_arguments);
	suite_add_tcase(s, tc);
	tc = tcase_create("count");
	tcase_add_test(tc, test_syscount_spinning_child_makes_no_syscalls);
	tcase_add_test(tc, test_syscount_attributes_getppid_loop);
	tcase_add_test(tc, test_syscount_counts_per_thread);
	tcase_add_test(tc, test_syscount_follows_thread_created_in_window);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fp_syscount_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
