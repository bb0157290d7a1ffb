/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_gw_syscalls.c - the gateway's steady state makes no syscall but send() and its
 * bounded socket read (issue 7). Covers:
 *   - a child process runs one gateway stage in a busy loop (an IOC order from its ring every
 *     ~50 us, Accepted and Canceled coming back), against the simulator's acceptor in the
 *     parent;
 *   - fp-syscount (tests/tools) traces the child for 500 ms: every syscall counted is
 *     sendto or recvfrom, and there are sends (the orders) in the window.
 * Needs ptrace (root or CAP_SYS_PTRACE); skipped under the sanitizers, whose runtime makes
 * its own syscalls.
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fp_gw.h"
#include "fp_ring.h"
#include "fp_symtab.h"
#include "fp_sim_engine.h"
#include "fp_sim_oe.h"
#include "fp_tsc.h"
#include "gw_world.h"

#define SYSCOUNT FP_BINARY_DIR "/bin/fp-syscount"

struct venue {
	struct fp_sim_engine *e;
	struct fp_sim_oe oe;
	atomic_int stop;
};

static void *venue_loop(void *arg)
{
	struct venue *v = arg;
	while (!atomic_load_explicit(&v->stop, memory_order_relaxed)) {
		fp_sim_oe_poll(&v->oe);
		usleep(50);
	}
	return NULL;
}

/* The child: a gateway worker. Writes one byte to @p ready_fd once its session is up, then
 * trades for @p run_ms without any call of its own that enters the kernel. */
static void gateway_child(uint16_t port, int ready_fd, unsigned run_ms)
{
	struct fp_ring *ro = aligned_alloc(64, fp_ring_memsize(1024));
	struct fp_ring *rx = aligned_alloc(64, fp_ring_memsize(4096));
	struct fp_gw *gw = calloc(1, sizeof(*gw));
	if (!ro || !rx || !gw || fp_ring_init(ro, 1024, "o") < 0 || fp_ring_init(rx, 4096, "x") < 0)
		_exit(2);
	struct fp_gw_cfg cfg = {.port = port,
				.username = FP_SIM_OE_DEFAULT_USER,
				.password = FP_SIM_OE_DEFAULT_PASSWORD,
				.order_ring = ro,
				.exec_ring = rx,
				.symtab = test_symtab(),
				.max_orders = 1 << 14};
	if (fp_gw_init(gw, &cfg) < 0)
		_exit(3);
	uint64_t end = mono_ns() + 3000000000ull;
	while (fp_gw_stats(gw)->session != FP_GW_UP && mono_ns() < end)
		fp_gw_poll(gw, 32);
	if (fp_gw_stats(gw)->session != FP_GW_UP)
		_exit(4);
	if (write(ready_fd, "r", 1) != 1)
		_exit(5);
	end = mono_ns() + (uint64_t)run_ms * 1000000u;
	uint64_t next = 0, id = 0;
	struct fp_event ev, x;
	while (mono_ns() < end) { /* clock_gettime: vDSO, no syscall */
		if (mono_ns() >= next) {
			memset(&ev, 0, sizeof(ev));
			ev.type = FP_EV_ORDER_NEW;
			ev.symbol_id = 1;
			ev.u.order.client_order_id = ++id;
			ev.u.order.side =
				id & 1 ? 'B' : 'S'; /* every sell fills the buy before it */
			ev.u.order.shares = 100;
			ev.u.order.price = 1000000;
			ev.u.order.tif = FP_TIF_DAY;
			ev.t_rx = fp_tsc_now();
			fp_ring_enqueue_burst(ro, &ev, 1);
			next = mono_ns() + 50000;
		}
		fp_gw_poll(gw, 32);
		while (fp_ring_dequeue_burst(rx, &x, 1))
			;
	}
	const struct fp_gw_stats *st = fp_gw_stats(gw);
	_exit(st->nb_accepted > 100 && st->nb_canceled > 100 && st->nb_impossible == 0 ? 0 : 6);
}

START_TEST(test_gw_steady_state_syscalls_are_send_and_recv)
{
	const char *san = getenv("FP_SANITIZE");
	if (san && strcmp(san, "1") == 0) {
		fprintf(stderr, "skip: the sanitizer runtime makes its own syscalls\n");
		return;
	}
	if (access(SYSCOUNT, X_OK) != 0) {
		fprintf(stderr, "skip: %s not built\n", SYSCOUNT);
		return;
	}
	struct venue *v = calloc(1, sizeof(*v));
	struct fp_sim_engine_cfg ecfg = {.max_orders = 1 << 16, .max_symbols = 4, .max_owners = 4};
	ecfg.order_listener = fp_sim_oe_listener(&v->oe);
	v->e = fp_sim_engine_create(&ecfg);
	ck_assert_int_eq(fp_sim_engine_add_symbol(v->e, 1, "AAPL", 100), 0);
	struct fp_sim_oe_cfg ocfg = {.history = 1 << 18};
	ck_assert_int_eq(fp_sim_oe_init(&v->oe, &ocfg, v->e), 0);
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, venue_loop, v), 0);
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	pid_t child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		close(pfd[0]);
		gateway_child(fp_sim_oe_port(&v->oe), pfd[1], 2500);
	}
	close(pfd[1]);
	char c;
	ck_assert_int_eq(read(pfd[0], &c, 1), 1);
	usleep(200000); /* past the login and the first orders */
	char cmd[512], out[8192];
	snprintf(cmd, sizeof(cmd), "%s --pid %d --window-ms 500 2>&1", SYSCOUNT, (int)child);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	int rc = pclose(p);
	int status;
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	atomic_store(&v->stop, 1);
	pthread_join(t, NULL);
	fp_sim_oe_fini(&v->oe);
	fp_sim_engine_destroy(v->e);
	free(v);
	close(pfd[0]);
	if (rc != 0 && strstr(out, "ptrace") != NULL) {
		fprintf(stderr, "skip: no ptrace here: %s\n", out);
		return;
	}
	ck_assert_msg(rc == 0, "fp-syscount failed: %s", out);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "gateway child status %d",
		      status);
	/* "by_syscall": {"name": count, ...}: only sendto and recvfrom may appear. */
	const char *bs = strstr(out, "\"by_syscall\": {");
	ck_assert_msg(bs != NULL, "no by_syscall in %s", out);
	bs += strlen("\"by_syscall\": {");
	const char *end = strchr(bs, '}');
	ck_assert_ptr_nonnull(end);
	char list[2048];
	snprintf(list, sizeof(list), "%.*s", (int)(end - bs), bs);
	fprintf(stderr, "gateway steady state, 500 ms: {%s}\n", list);
	char *save = NULL;
	int sends = 0;
	for (char *item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char name[64] = "";
		int count = 0;
		ck_assert_int_eq(sscanf(item, " \"%63[^\"]\": %d", name, &count), 2);
		ck_assert_msg(strcmp(name, "sendto") == 0 || strcmp(name, "recvfrom") == 0,
			      "syscall %s (%d times) in the gateway's steady state: %s", name,
			      count, out);
		if (strcmp(name, "sendto") == 0)
			sends = count;
	}
	ck_assert_msg(sends > 0, "no order sent in the window: %s", out);
}
END_TEST

static Suite *fp_gw_syscalls_suite(void)
{
	Suite *s = suite_create("fp_gw_syscalls");
	TCase *tc = tcase_create("steady_state");
	tcase_add_test(tc, test_gw_steady_state_syscalls_are_send_and_recv);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fp_gw_syscalls_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
