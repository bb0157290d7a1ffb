/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_sim_oe.c - libFuzzer target for the simulator's order-entry input: SoupBinTCP
 * framing, login and OUCH 5.0 requests as sim/fp_sim_oe reads them from a client, over a
 * real TCP connection into a real matching engine.
 *
 * Input: one flag byte, then the client's bytes. With bit 0 set a valid login of the
 * default account goes first, so that the fuzzer spends its time on OUCH after login.
 * Each input is one connection: connect, send, close our side, poll the acceptor until it
 * has closed the connection too, reading what it sent. Properties: the acceptor never
 * crashes or hangs on any byte stream (ASan, UBSan, a bound on polls); it closes the
 * connection after our EOF; everything it sent is well-formed SoupBinTCP from a server,
 * and every sequenced packet holds an OUCH message that decodes (outbound) and re-encodes
 * to the same bytes; no connection is left open afterwards.
 * Seeds: OUCH messages from ../shared/data/pcap/ouch50 (copied at build time).
 */
#include <errno.h>

#include "fp_ouch.h"
#include "fp_sim_engine.h"
#include "fp_sim_oe.h"
#include "fp_soup.h"
#include "fuzz_net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fp_sim_oe oe;
static struct fp_sim_engine *eng;
static uint8_t *out;
#define OUT_MAX (1u << 20)

static void setup(void)
{
	struct fp_sim_engine_cfg ecfg = {.max_orders = 1 << 14, .max_symbols = 64};
	ecfg.order_listener = fp_sim_oe_listener(&oe);
	eng = fp_sim_engine_create(&ecfg);
	CHECK(eng != NULL);
	struct fp_sim_oe_cfg cfg = {.port = 0, .max_clients = 4, .history = 1 << 16};
	CHECK(fp_sim_oe_init(&oe, &cfg, eng) == 0);
	out = malloc(OUT_MAX);
	CHECK(out != NULL);
}

/* Every packet the acceptor sent is server SoupBinTCP; sequenced ones hold valid OUCH. */
static void check_output(const uint8_t *b, size_t len)
{
	size_t off = 0;
	while (off < len) {
		struct fp_soup_pkt p;
		enum fp_soup_rc rc =
			fp_soup_parse(b + off, len - off, FP_SOUP_FROM_SERVER, FP_OUCH_MAX_MSG, &p);
		if (rc == FP_SOUP_NEED_MORE)
			break; /* the acceptor may close mid-packet only if it dropped us */
		CHECK(rc == FP_SOUP_OK);
		if (p.type == FP_SOUP_SEQUENCED) {
			struct fp_ouch_msg m;
			CHECK(fp_ouch_decode(FP_OUCH_OUTBOUND, p.payload, p.payload_len, &m) ==
			      FP_OUCH_OK);
			uint8_t again[FP_OUCH_MAX_MSG * 2];
			int n = fp_ouch_encode(&m, again, sizeof(again));
			CHECK(n == (int)p.payload_len && !memcmp(again, p.payload, p.payload_len));
		}
		off += p.wire_len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (!eng)
		setup();
	int fd = fuzz_tcp_connect(fp_sim_oe_port(&oe));
	while (fp_sim_oe_stats(&oe)->nb_clients == 0) /* accepted */
		fp_sim_oe_poll(&oe);
	uint8_t login[64];
	bool ok = true;
	if (data[0] & 1) {
		size_t n = fp_soup_build_login_request(login, sizeof(login), "fpuser", "fppass",
						       NULL, 0);
		ok = fuzz_send_all(fd, login, n);
	}
	size_t off = 0;
	while (ok && off < size - 1) { /* in pieces, polling between: the acceptor reads */
		size_t k = size - 1 - off < 1024 ? size - 1 - off : 1024;
		ok = fuzz_send_all(fd, data + 1 + off, k);
		off += k;
		fp_sim_oe_poll(&oe);
	}
	shutdown(fd, SHUT_WR);
	size_t got = 0;
	for (unsigned i = 0;; i++) {
		CHECK(i < 2000000); /* the acceptor must close after our EOF */
		fp_sim_oe_poll(&oe);
		ssize_t n = recv(fd, out + got, OUT_MAX - got, MSG_DONTWAIT);
		if (n > 0) {
			got += (size_t)n;
			CHECK(got < OUT_MAX);
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			break; /* closed (or reset) by the acceptor */
		}
	}
	close(fd);
	for (unsigned i = 0; fp_sim_oe_stats(&oe)->nb_clients != 0; i++) {
		CHECK(i < 2000000);
		fp_sim_oe_poll(&oe);
	}
	check_output(out, got);
	return 0;
}
