/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_gw_venue.c - libFuzzer target for the gateway's inbound side: the venue's byte
 * stream (SoupBinTCP framing, Login Accepted/Rejected, heartbeats, sequenced OUCH 5.0
 * outbound messages) read by a real gateway (gateway/fp_gw) from a real TCP connection,
 * and applied to its order table.
 *
 * Input: one flag byte, then the venue's bytes. With bit 0 set a valid Login Accepted goes
 * first, so that the fuzzer spends its time on sequenced OUCH messages after login. Each
 * input is one session: the gateway connects to our listener, logs in, reads what we send,
 * and drops the session at our EOF (or earlier, on garbage). Properties: no crash or hang
 * (ASan, UBSan, bounded polls); the gateway drops the session after our EOF; every event it
 * publishes on the exec ring is an execution report.
 * Seeds: OUCH captures of ../shared/data/pcap/ouch50 (copied at build time).
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <fcntl.h>

#include "fp_event.h"
#include "fp_gw.h"
#include "fp_ring.h"
#include "fp_soup.h"
#include "fp_symtab.h"
#include "fuzz_net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fp_gw gw;
static struct fp_ring *exec_ring, *order_ring;
static int lfd = -1;
static int ready;

static struct fp_ring *ring(uint32_t cap, const char *name)
{
	struct fp_ring *r = aligned_alloc(64, (fp_ring_memsize(cap) + 63) & ~(size_t)63);
	CHECK(r != NULL && fp_ring_init(r, cap, name) == 0);
	return r;
}

static void setup(void)
{
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	CHECK(lfd >= 0);
	struct sockaddr_in a = fuzz_loopback(0);
	socklen_t al = sizeof(a);
	CHECK(bind(lfd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(lfd, 4) == 0);
	CHECK(getsockname(lfd, (struct sockaddr *)&a, &al) == 0);
	exec_ring = ring(1024, "exec");
	order_ring = ring(1024, "order");
	/* The symbol table the gateway reads names from (shm/fp_symtab.h). */
	static struct fp_symtab *symtab;
	symtab = aligned_alloc(64, (sizeof(*symtab) + 63) & ~(size_t)63);
	CHECK(symtab != NULL);
	fp_symtab_init(symtab);
	fp_symtab_set_directory(symtab, 1, "AAPL    ", 100, 'Q');
	fp_symtab_set_directory(symtab, 2, "MSFT    ", 100, 'Q');
	struct fp_gw_cfg cfg = {
		.port = ntohs(a.sin_port),
		.username = "fpuser",
		.password = "fppass",
		.order_ring = order_ring,
		.exec_ring = exec_ring,
		.symtab = symtab,
		.max_orders = 256,
		/* Never reconnects inside an input: a session it drops on garbage stays down
		 * until the input ends (gw.retry_at_ns = 0 below). With a 1 ms backoff a
		 * stall of the loaded machine let it connect again, to a listener nobody
		 * accepts on, and the wait for our EOF below never ended (CI). */
		.backoff_min_ms = 3600000,
		.backoff_max_ms = 3600000,
		.rx_interval_us = -1,
		.timeout_ms = 60000,
	};
	CHECK(fp_gw_init(&gw, &cfg) == 0);
	ready = 1;
}

/* Poll the gateway once and take what it published: execution reports only. */
static void poll_gw(void)
{
	fp_gw_poll(&gw, 64);
	uint32_t nb;
	const struct fp_event *ev = fp_ring_peek(exec_ring, 256, &nb);
	for (uint32_t i = 0; i < nb; i++)
		CHECK(ev[i].type >= FP_EV_EXEC_ACCEPTED);
	fp_ring_release(exec_ring, nb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (!ready)
		setup();
	int fd = -1;
	for (unsigned i = 0; fd < 0; i++) { /* the gateway connects (backoff 1 ms) */
		CHECK(i < 5000000);
		poll_gw();
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		CHECK(fd >= 0 || errno == EAGAIN || errno == EINTR);
	}
	uint8_t buf[4096];
	bool ok = true;
	if (data[0] & 1) {
		size_t n = fp_soup_build_login_accepted(buf, sizeof(buf), "S1", 1);
		ok = fuzz_send_all(fd, buf, n);
	}
	size_t off = 0;
	while (ok && off < size - 1) {
		size_t k = size - 1 - off < 1024 ? size - 1 - off : 1024;
		ok = fuzz_send_all(fd, data + 1 + off, k);
		off += k;
		poll_gw();
	}
	shutdown(fd, SHUT_WR);
	/* Our EOF drops the session, this one: it never reconnects meanwhile (backoff). */
	uint64_t connects = gw.st->nb_connects;
	for (unsigned i = 0; gw.fd >= 0; i++) {
		CHECK(gw.st->nb_connects == connects);
		CHECK(i < 5000000);
		poll_gw();
		while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) /* what it sent us */
			;
	}
	close(fd);
	/* The next input's session at once: the backoff is not what this target tests. */
	gw.retry_at_ns = 0;
	return 0;
}
