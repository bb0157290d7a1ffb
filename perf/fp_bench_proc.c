/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_bench_proc.c - programs under measurement: spawn, reports, placement, syscall costs
 * (see fp_bench_proc.h).
 */
#define _GNU_SOURCE
#include "fp_bench_proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fp_bench.h"
#include "fp_compiler.h"

pid_t fp_bench_spawn(char *const argv[], const char *out_path, int core)
{
	pid_t pid = fork();
	if (pid == 0) {
		int fd = out_path ? open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (core >= 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(core, &set);
			sched_setaffinity(0, sizeof(set), &set);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

int fp_bench_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

long fp_bench_read_file(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	buf[0] = '\0';
	if (!f)
		return -1;
	size_t n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
	return (long)n;
}

int fp_bench_wait_text(const char *path, const char *text, double timeout_s)
{
	static char buf[1 << 16];
	for (double waited = 0; waited < timeout_s; waited += 0.05) {
		if (fp_bench_read_file(path, buf, sizeof(buf)) > 0 && strstr(buf, text))
			return 0;
		usleep(50000);
	}
	return -1;
}

double fp_bench_json_number(const char *text, const char *key)
{
	char pat[96];
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	const char *p = strstr(text, pat);
	return p ? strtod(p + strlen(pat), NULL) : -1;
}

int fp_bench_write_risk(const char *dir, int locate, char *path, size_t len)
{
	static char text[65536];
	if (fp_bench_read_file(FP_SOURCE_DIR "/config/risk.conf", text, sizeof(text)) <= 0)
		return -1;
	char *p = strstr(text, "symbols = (");
	if (!p)
		return -1;
	p += strlen("symbols = (");
	snprintf(path, len, "%s/risk.conf", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%.*s\n      { id = %d; collar_bps = 0; },%s", (int)(p - text), text, locate, p);
	return fclose(f);
}

void fp_bench_group(char *buf, size_t len)
{
	unsigned pid = (unsigned)getpid();
	snprintf(buf, len, "239.193.%u.%u", (pid >> 8) & 255, pid & 255);
}

int fp_bench_bindir(char *dir, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", dir, len - 1);
	if (n <= 0)
		return -1;
	dir[n] = '\0';
	*strrchr(dir, '/') = '\0';
	return 0;
}

int fp_bench_sim_setup(struct fp_bench_sim_env *s, const char *bench, int locate)
{
	if (fp_bench_bindir(s->bindir, sizeof(s->bindir)) < 0) {
		fprintf(stderr, "fastpath-bench %s: cannot find my own folder\n", bench);
		return -1;
	}
	snprintf(s->dir, sizeof(s->dir), "/tmp/fastpath-%s-XXXXXX", bench);
	if (!mkdtemp(s->dir)) {
		fprintf(stderr, "fastpath-bench %s: mkdtemp: %s\n", bench, strerror(errno));
		return -1;
	}
	if (fp_bench_write_risk(s->dir, locate, s->risk, sizeof(s->risk)) != 0) {
		fprintf(stderr,
			"fastpath-bench %s: cannot write %s/risk.conf from config/risk.conf (no "
			"\"symbols = (\" list?)\n",
			bench, s->dir);
		return -1;
	}
	setenv("FP_GW_USER", "fpuser", 1); /* the simulator's paper-trading account */
	setenv("FP_GW_PASSWORD", "fppass", 1);
	fp_bench_group(s->group, sizeof(s->group));
	return 0;
}

static unsigned tasks_of(pid_t pid, struct fp_bench_task *out, unsigned max)
{
	char path[64], text[4096];
	unsigned n = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	for (struct dirent *e; n < max && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		struct fp_bench_task *t = &out[n];
		memset(t, 0, sizeof(*t));
		t->pid = (int)pid;
		t->tid = atoi(e->d_name);
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, t->tid);
		if (fp_bench_read_file(path, text, sizeof(text)) <= 0)
			continue;
		const char *lp = strchr(text, '('), *rp = strrchr(text, ')');
		if (!lp || !rp)
			continue;
		snprintf(t->comm, sizeof(t->comm), "%.*s", (int)(rp - lp - 1), lp + 1);
		/* field 3 (state) follows ") "; processor is field 39 */
		const char *p = rp + 2;
		for (int f = 3; f < 39 && p; f++) {
			p = strchr(p, ' ');
			if (p)
				p++;
		}
		t->cpu = p ? atoi(p) : -1;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid, t->tid);
		fp_bench_read_file(path, text, sizeof(text));
		const char *a = strstr(text, "Cpus_allowed_list:");
		if (a) {
			a += strlen("Cpus_allowed_list:");
			while (*a == ' ' || *a == '\t')
				a++;
			snprintf(t->allowed, sizeof(t->allowed), "%.*s", (int)strcspn(a, "\n"), a);
		}
		n++;
	}
	closedir(d);
	return n;
}

/* Child processes of @p pid, ascending, into @p kids. */
static unsigned children_of(pid_t pid, pid_t *kids, unsigned max)
{
	unsigned n = 0;
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	for (struct dirent *e; n < max && (e = readdir(d));) {
		char path[300], text[512];
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if (fp_bench_read_file(path, text, sizeof(text)) <= 0)
			continue;
		const char *rp = strrchr(text, ')');
		int ppid = 0;
		if (rp && sscanf(rp + 2, "%*c %d", &ppid) == 1 && ppid == (int)pid)
			kids[n++] = (pid_t)atoi(e->d_name);
	}
	closedir(d);
	for (unsigned i = 1; i < n; i++) /* insertion sort: a handful */
		for (unsigned j = i; j > 0 && kids[j] < kids[j - 1]; j--) {
			pid_t x = kids[j];
			kids[j] = kids[j - 1];
			kids[j - 1] = x;
		}
	return n;
}

unsigned fp_bench_tasks(pid_t pid, bool children, struct fp_bench_task *out, unsigned max)
{
	unsigned n = tasks_of(pid, out, max);
	if (children) {
		pid_t kids[64];
		unsigned nk = children_of(pid, kids, 64);
		for (unsigned i = 0; i < nk && n < max; i++)
			n += tasks_of(kids[i], out + n, max - n);
	}
	return n;
}

void fp_bench_print_tasks(FILE *out, const char *label, const struct fp_bench_task *t, unsigned n)
{
	fprintf(out, "  placement %s:", label);
	for (unsigned i = 0; i < n; i++)
		fprintf(out, "%s %s[%d%s] cpus %s ran %d", i ? "," : "", t[i].comm, t[i].tid,
			t[i].tid == t[i].pid ? " main" : "", t[i].allowed, t[i].cpu);
	fprintf(out, "\n");
}

pid_t fp_bench_busiest_child(pid_t pid)
{
	pid_t kids[64], best = -1;
	unsigned n = children_of(pid, kids, 64);
	unsigned long long most = 0;
	for (unsigned i = 0; i < n; i++) {
		char path[64], text[1024], state = 0;
		unsigned long long ut = 0, st = 0;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)kids[i]);
		if (fp_bench_read_file(path, text, sizeof(text)) <= 0)
			continue;
		const char *rp = strrchr(text, ')');
		/* state is field 3, utime and stime fields 14 and 15 */
		if (!rp ||
		    sscanf(rp + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &state,
			   &ut, &st) != 3 ||
		    state == 'Z' || state == 'X')
			continue;
		if (best < 0 || ut + st > most) {
			best = kids[i];
			most = ut + st;
		}
	}
	return best;
}

int fp_bench_cpu_jiffies(int core, unsigned long long *busy, unsigned long long *total)
{
	static char text[1 << 14];
	char key[16];
	if (fp_bench_read_file("/proc/stat", text, sizeof(text)) <= 0)
		return -1;
	snprintf(key, sizeof(key), "\ncpu%d ", core);
	const char *p = strstr(text, key);
	unsigned long long v[8] = {0};
	if (!p || sscanf(p + strlen(key), "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
			 &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		return -1;
	/* user nice system idle iowait irq softirq steal: idle and iowait are not busy */
	*total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
	*busy = *total - v[3] - v[4];
	return 0;
}

static unsigned long long proc_jiffies(pid_t pid)
{
	char path[64], text[1024];
	unsigned long long ut = 0, st = 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (fp_bench_read_file(path, text, sizeof(text)) <= 0)
		return 0;
	const char *rp = strrchr(text, ')');
	if (rp)
		sscanf(rp + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st);
	return ut + st;
}

unsigned long long fp_bench_tree_jiffies(pid_t pid)
{
	pid_t kids[64];
	unsigned n = children_of(pid, kids, 64);
	unsigned long long sum = proc_jiffies(pid);
	for (unsigned i = 0; i < n; i++)
		sum += proc_jiffies(kids[i]);
	return sum;
}

uint64_t fp_bench_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void fp_bench_syscall_cost(int core, double *getppid_ns, double *recvmmsg_ns)
{
	enum { BATCHES = 5, CALLS = 20000 };
	cpu_set_t old, set;
	sched_getaffinity(0, sizeof(old), &old);
	if (core >= 0) {
		CPU_ZERO(&set);
		CPU_SET(core, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (fd >= 0)
		bind(fd, (struct sockaddr *)&sa, sizeof(sa)); /* any free port: nothing arrives */
	static char buf[2048];
	struct iovec iov = {buf, sizeof(buf)};
	struct mmsghdr mm = {.msg_hdr = {.msg_iov = &iov, .msg_iovlen = 1}};
	double g[BATCHES], r[BATCHES];
	for (unsigned b = 0; b < BATCHES; b++) {
		uint64_t t0 = fp_bench_mono_ns();
		for (unsigned i = 0; i < CALLS; i++)
			syscall(SYS_getppid);
		uint64_t t1 = fp_bench_mono_ns();
		for (unsigned i = 0; i < CALLS && fd >= 0; i++)
			recvmmsg(fd, &mm, 1, MSG_DONTWAIT, NULL);
		uint64_t t2 = fp_bench_mono_ns();
		g[b] = (double)(t1 - t0) / CALLS;
		r[b] = fd >= 0 ? (double)(t2 - t1) / CALLS : -1;
	}
	if (fd >= 0)
		close(fd);
	sched_setaffinity(0, sizeof(old), &old);
	*getppid_ns = fp_bench_median(g, BATCHES);
	*recvmmsg_ns = fp_bench_median(r, BATCHES);
}

long fp_bench_syscount(const char *bindir, pid_t pid, unsigned window_ms, char *json, size_t cap)
{
	char bin[PATH_MAX + 16], pid_s[16], win_s[16], out[] = "/tmp/fastpath-syscount-XXXXXX";
	int fd = mkstemp(out);
	json[0] = '\0';
	if (fd < 0)
		return -1;
	close(fd);
	snprintf(bin, sizeof(bin), "%s/fp-syscount", bindir);
	snprintf(pid_s, sizeof(pid_s), "%d", (int)pid);
	snprintf(win_s, sizeof(win_s), "%u", window_ms);
	char *argv[] = {bin, "--pid", pid_s, "--window-ms", win_s, NULL};
	int status = 0;
	pid_t c = fp_bench_spawn(argv, out, -1);
	if (c > 0)
		waitpid(c, &status, 0);
	fp_bench_read_file(out, json, cap);
	unlink(out);
	if (c <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return (long)fp_bench_json_number(json, "total");
}

/* The tracepoint id of @p event ("raw_syscalls/sys_enter"), or -1. */
static long tracepoint_id(const char *event)
{
	static const char *const roots[] = {"/sys/kernel/tracing/events",
					    "/sys/kernel/debug/tracing/events"};
	char path[256], text[32];
	for (size_t i = 0; i < FP_ARRAY_SIZE(roots); i++) {
		snprintf(path, sizeof(path), "%s/%s/id", roots[i], event);
		if (fp_bench_read_file(path, text, sizeof(text)) > 0)
			return strtol(text, NULL, 10);
	}
	return -1;
}

int fp_bench_syscount_untraced(pid_t tid, unsigned window_ms, const char *const *names,
			       unsigned nb_names, double *counts)
{
	int fd[9];
	unsigned nb = 0;
	int rc = -1;
	if (nb_names > 8)
		nb_names = 8;
	for (; nb <= nb_names; nb++) {
		char ev[96];
		if (nb == 0)
			snprintf(ev, sizeof(ev), "raw_syscalls/sys_enter");
		else
			snprintf(ev, sizeof(ev), "syscalls/sys_enter_%s", names[nb - 1]);
		long id = tracepoint_id(ev);
		struct perf_event_attr a;
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		a.type = PERF_TYPE_TRACEPOINT;
		a.config = (uint64_t)id;
		a.disabled = 1;
		fd[nb] = id < 0 ? -1 : (int)syscall(SYS_perf_event_open, &a, tid, -1, -1, 0);
		if (fd[nb] < 0)
			goto out;
	}
	for (unsigned i = 0; i < nb; i++)
		ioctl(fd[i], PERF_EVENT_IOC_ENABLE, 0);
	usleep(window_ms * 1000u);
	for (unsigned i = 0; i < nb; i++)
		ioctl(fd[i], PERF_EVENT_IOC_DISABLE, 0);
	rc = 0;
	for (unsigned i = 0; i < nb; i++) {
		uint64_t v = 0;
		if (read(fd[i], &v, sizeof(v)) != (ssize_t)sizeof(v))
			rc = -1;
		counts[i] = (double)v;
	}
out:
	while (nb > 0)
		close(fd[--nb]);
	return rc;
}
