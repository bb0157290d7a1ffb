/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_syscount.c - fp-syscount: count the system calls of every thread of a running process
 * over a time window, with ptrace, and print them as one JSON object.
 *
 * A test tool (tests/ and perf/ use it to prove "no syscalls in steady state" for worker
 * processes), run by hand or by a test as root or with CAP_SYS_PTRACE. It allocates and
 * blocks freely. The traced process slows down while traced (every syscall stops it twice),
 * but one that makes no syscalls runs at full speed: only its syscalls are intercepted.
 *
 * How (ptrace(2) "PTRACE_SEIZE" and "syscall-stops"):
 *   1. attach: PTRACE_SEIZE every thread listed in /proc/PID/task with TRACESYSGOOD and
 *      TRACECLONE (threads created later are attached by the kernel), then
 *      PTRACE_INTERRUPT each so it stops and can be resumed with PTRACE_SYSCALL; list the
 *      tasks again until no new thread appears;
 *   2. window: resume every stop with PTRACE_SYSCALL; at each syscall-stop ask the kernel
 *      (PTRACE_GET_SYSCALL_INFO) whether it is an entry and count the entry by thread and
 *      number; pass signals through; leave group-stops with PTRACE_LISTEN;
 *   3. detach: PTRACE_INTERRUPT every thread and PTRACE_DETACH it at its next stop, handing
 *      back a signal that was about to be delivered.
 * A syscall already in progress when the window opens is not counted (only entries are);
 * a thread interrupted inside a restartable syscall may show one restart entry.
 *
 * Output: {"pid": P, "window_ms": N, "total": T, "threads": K,
 *          "by_syscall": {"write": 3, ...}, "by_thread": {"TID": {"total": T, "by_syscall":
 *          {...}}, ...}} with syscalls in decreasing count order.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fp_syscall_names.h" /* generated: static const char *const fp_syscall_names[] */
#include "fp_version.h"

/* Syscall numbers counted per thread; higher ones go to the last slot. */
#define FP_SC_NR_MAX 1024

struct fp_sc_thread {
	pid_t tid;
	int live;        /* traced and not exited */
	uint64_t total;  /* syscall entries in the window */
	uint64_t *count; /* [FP_SC_NR_MAX] entries per number */
};

struct fp_sc {
	pid_t pid;
	unsigned nb_threads, cap;
	struct fp_sc_thread *thr;
};

static volatile sig_atomic_t fp_sc_window_over;

static void fp_sc_on_alarm(int sig)
{
	(void)sig;
	fp_sc_window_over = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fp-syscount --pid PID [--window-ms N]\n"
		"Attach to every thread of PID with ptrace for N ms (default 1000), count the\n"
		"system calls each thread enters, detach, and print one JSON object:\n"
		"  {\"pid\": P, \"window_ms\": N, \"total\": T, \"threads\": K,\n"
		"   \"by_syscall\": {\"write\": 3, ...}, \"by_thread\": {\"TID\": {...}}}\n"
		"Needs root or CAP_SYS_PTRACE. Exit status 0 on success, 1 on error.\n");
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	fputs("fp-syscount: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static struct fp_sc_thread *fp_sc_find(struct fp_sc *sc, pid_t tid)
{
	for (unsigned i = 0; i < sc->nb_threads; i++)
		if (sc->thr[i].tid == tid)
			return &sc->thr[i];
	return NULL;
}

static struct fp_sc_thread *fp_sc_add(struct fp_sc *sc, pid_t tid)
{
	struct fp_sc_thread *t = fp_sc_find(sc, tid);
	if (t != NULL) {
		t->live = 1;
		return t;
	}
	if (sc->nb_threads == sc->cap) {
		sc->cap = sc->cap ? sc->cap * 2 : 16;
		sc->thr = realloc(sc->thr, sc->cap * sizeof(*sc->thr));
		if (sc->thr == NULL)
			die("out of memory");
	}
	t = &sc->thr[sc->nb_threads++];
	t->tid = tid;
	t->live = 1;
	t->total = 0;
	t->count = calloc(FP_SC_NR_MAX, sizeof(*t->count));
	if (t->count == NULL)
		die("out of memory");
	return t;
}

/* The TracerPid of thread @p tid (0: none), or -1 when it cannot be read. */
static pid_t fp_sc_tracer_of(pid_t tid)
{
	char path[64], line[256];
	int tracer = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %d", &tracer) == 1)
			break;
	if (f)
		fclose(f);
	return (pid_t)tracer;
}

/* Seize every thread of /proc/PID/task not yet traced; returns how many were new. */
static unsigned fp_sc_seize_tasks(struct fp_sc *sc)
{
	char path[64];
	unsigned nb_new = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)sc->pid);
	DIR *d = opendir(path);
	if (d == NULL) {
		if (sc->nb_threads == 0)
			die("no process %d: cannot open %s: %s", (int)sc->pid, path,
			    strerror(errno));
		return 0; /* the process is exiting */
	}
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		pid_t tid = (pid_t)atoi(e->d_name);
		if (fp_sc_find(sc, tid) != NULL)
			continue;
		long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACECLONE;
		if (ptrace(PTRACE_SEIZE, tid, 0, opts) != 0) {
			if (errno == ESRCH)
				continue; /* the thread exited meanwhile */
			/*
			 * Issue 18: a thread the process created after we seized its parent
			 * and before we interrupted it is already ours (TRACECLONE attached
			 * it, and its clone event waits for the window), so SEIZE says EPERM.
			 * It starts in a ptrace-stop of its own: take it, do not interrupt it.
			 */
			if (errno == EPERM && fp_sc_tracer_of(tid) == getpid()) {
				fp_sc_add(sc, tid);
				nb_new++;
				continue;
			}
			/* EPERM on the very first thread is the usual case: say how to fix it. */
			die("cannot attach to thread %d of pid %d: %s%s", (int)tid, (int)sc->pid,
			    strerror(errno),
			    errno == EPERM ? " (needs root or CAP_SYS_PTRACE, and no other tracer)"
					   : "");
		}
		fp_sc_add(sc, tid);
		if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) != 0 && errno != ESRCH)
			die("PTRACE_INTERRUPT thread %d: %s", (int)tid, strerror(errno));
		nb_new++;
	}
	closedir(d);
	return nb_new;
}

static int fp_sc_is_group_stop_sig(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* One wait status of @p tid during the window: count and resume. */
static void fp_sc_handle(struct fp_sc *sc, pid_t tid, int st)
{
	struct fp_sc_thread *t = fp_sc_find(sc, tid);
	if (WIFEXITED(st) || WIFSIGNALED(st)) {
		if (t != NULL)
			t->live = 0;
		return;
	}
	if (!WIFSTOPPED(st))
		return;
	if (t == NULL) /* a new thread, auto-attached by TRACECLONE, stopping first */
		t = fp_sc_add(sc, tid);
	int sig = WSTOPSIG(st), event = st >> 16, inject = 0;
	if (sig == (SIGTRAP | 0x80)) {
		struct __ptrace_syscall_info info;
		long n = ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof(info), &info);
		if (n > 0 && info.op == PTRACE_SYSCALL_INFO_ENTRY) {
			uint64_t nr = info.entry.nr;
			t->count[nr < FP_SC_NR_MAX ? nr : FP_SC_NR_MAX - 1]++;
			t->total++;
		}
	} else if (event == PTRACE_EVENT_CLONE) {
		unsigned long child = 0;
		if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &child) == 0 && child != 0)
			fp_sc_add(sc, (pid_t)child);
	} else if (event == PTRACE_EVENT_STOP) {
		if (fp_sc_is_group_stop_sig(sig)) {
			ptrace(PTRACE_LISTEN, tid, 0, 0); /* stay stopped, as untraced */
			return;
		}
	} else if (event == 0) {
		inject = sig; /* signal-delivery-stop: deliver it */
	}
	if (ptrace(PTRACE_SYSCALL, tid, 0, inject) != 0 && errno == ESRCH)
		t->live = 0;
}

static unsigned fp_sc_live(const struct fp_sc *sc)
{
	unsigned n = 0;
	for (unsigned i = 0; i < sc->nb_threads; i++)
		n += sc->thr[i].live != 0;
	return n;
}

/* Stop every live thread and detach it at its next stop. */
static void fp_sc_detach_all(struct fp_sc *sc)
{
	for (unsigned i = 0; i < sc->nb_threads; i++)
		if (sc->thr[i].live && ptrace(PTRACE_INTERRUPT, sc->thr[i].tid, 0, 0) != 0)
			sc->thr[i].live = 0; /* ESRCH: gone */
	while (fp_sc_live(sc) > 0) {
		int st;
		pid_t tid = waitpid(-1, &st, __WALL);
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: nothing left to wait for */
		}
		struct fp_sc_thread *t = fp_sc_find(sc, tid);
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (t)
				t->live = 0;
			continue;
		}
		int sig = WSTOPSIG(st), event = st >> 16;
		int pass = event == 0 && sig != (SIGTRAP | 0x80) ? sig : 0;
		ptrace(PTRACE_DETACH, tid, 0, pass);
		if (t)
			t->live = 0;
		else /* a thread born during detach: it is traced too, let it go */
			fp_sc_add(sc, tid)->live = 0;
	}
}

struct fp_sc_pair {
	unsigned nr;
	uint64_t count;
};

static int fp_sc_pair_cmp(const void *a, const void *b)
{
	const struct fp_sc_pair *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->nr < y->nr ? -1 : x->nr > y->nr;
}

static const char *fp_sc_name(unsigned nr, char *buf, size_t len)
{
	unsigned nb = (unsigned)(sizeof(fp_syscall_names) / sizeof(fp_syscall_names[0]));
	if (nr < nb && fp_syscall_names[nr] != NULL)
		return fp_syscall_names[nr];
	snprintf(buf, len, "syscall_%u", nr);
	return buf;
}

/* {"name": count, ...} of @p count, in decreasing count order. */
static void fp_sc_print_counts(const uint64_t *count)
{
	struct fp_sc_pair pairs[FP_SC_NR_MAX];
	unsigned n = 0;
	char buf[32];
	for (unsigned nr = 0; nr < FP_SC_NR_MAX; nr++)
		if (count[nr])
			pairs[n++] = (struct fp_sc_pair){nr, count[nr]};
	qsort(pairs, n, sizeof(pairs[0]), fp_sc_pair_cmp);
	putchar('{');
	for (unsigned i = 0; i < n; i++)
		printf("%s\"%s\": %" PRIu64, i ? ", " : "",
		       fp_sc_name(pairs[i].nr, buf, sizeof(buf)), pairs[i].count);
	putchar('}');
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("fp-syscount %s\n", FP_VERSION_TEXT);
		return 0;
	}
	static const struct option opts[] = {{"pid", required_argument, NULL, 'p'},
					     {"window-ms", required_argument, NULL, 'w'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	struct fp_sc sc = {0};
	long window_ms = 1000;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "p:w:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p': {
			long v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v <= 0 || v > INT32_MAX)
				die("--pid must be a positive process id, got '%s'", optarg);
			sc.pid = (pid_t)v;
			break;
		}
		case 'w':
			window_ms = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || window_ms < 1 || window_ms > 3600000)
				die("--window-ms must be 1..3600000, got '%s'", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
	if (sc.pid == 0)
		die("--pid is required (see --help)");
	if (sc.pid == getpid())
		die("cannot trace myself (pid %d)", (int)sc.pid);

	/* The window: SIGALRM after N ms, then every 5 ms in case one lands outside waitpid. */
	struct sigaction sa = {.sa_handler = fp_sc_on_alarm}; /* no SA_RESTART: waitpid -> EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);

	/* 1. attach (repeat until a listing finds no new thread) */
	for (int round = 0; round < 100 && fp_sc_seize_tasks(&sc) > 0; round++)
		;
	if (sc.nb_threads == 0)
		die("pid %d has no threads to trace", (int)sc.pid);

	struct itimerval it = {.it_interval = {0, 5000},
			       .it_value = {window_ms / 1000, (window_ms % 1000) * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);

	/* 2. window */
	while (!fp_sc_window_over) {
		int st;
		pid_t tid = waitpid(-1, &st, __WALL);
		if (tid < 0) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: every thread exited */
		}
		fp_sc_handle(&sc, tid, st);
	}
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);

	/* 3. detach */
	fp_sc_detach_all(&sc);

	uint64_t total = 0, *all = calloc(FP_SC_NR_MAX, sizeof(*all));
	if (all == NULL)
		die("out of memory");
	for (unsigned i = 0; i < sc.nb_threads; i++) {
		total += sc.thr[i].total;
		for (unsigned nr = 0; nr < FP_SC_NR_MAX; nr++)
			all[nr] += sc.thr[i].count[nr];
	}
	printf("{\"pid\": %d, \"window_ms\": %ld, \"total\": %" PRIu64 ", \"threads\": %u, "
	       "\"by_syscall\": ",
	       (int)sc.pid, window_ms, total, sc.nb_threads);
	fp_sc_print_counts(all);
	printf(", \"by_thread\": {");
	for (unsigned i = 0; i < sc.nb_threads; i++) {
		printf("%s\"%d\": {\"total\": %" PRIu64 ", \"by_syscall\": ", i ? ", " : "",
		       (int)sc.thr[i].tid, sc.thr[i].total);
		fp_sc_print_counts(sc.thr[i].count);
		putchar('}');
	}
	printf("}}\n");
	for (unsigned i = 0; i < sc.nb_threads; i++)
		free(sc.thr[i].count);
	free(sc.thr);
	free(all);
	return 0;
}
