/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_sim_rereq.c - libFuzzer target for the MoldUDP64 retransmission request: the parser
 * (proto/fp_mold: fp_mold_request_parse, which the md stage's request builder mirrors) and
 * the simulator's rerequest server that answers it (sim/fp_sim_itch), over a real UDP socket.
 *
 * The server holds 300 sequenced messages. Each input is parsed, then sent as one datagram.
 * Properties: a request parses iff it is 20 bytes, and rebuilding it gives the same bytes;
 * the server counts every datagram as a request and refuses (counts as bad) exactly those
 * with a wrong length or session, count 0, or a range outside its history; every answer is
 * a MoldUDP64 packet of the session whose messages are the ones asked for, in order, and
 * together they cover [seq, min(seq + count, next)).
 */
#include <errno.h>
#include <time.h>

#include "fp_err.h"
#include "fp_mold.h"
#include "fp_sim_itch.h"
#include "fuzz_net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SESSION "FPSIM00001"
#define NB_MSGS 300

static struct fp_sim_itch *srv;
static int cli = -1;
static struct sockaddr_in srv_addr;

static void setup(void)
{
	struct fp_sim_itch_cfg cfg;
	fp_sim_itch_cfg_default(&cfg);
	memcpy(cfg.session, SESSION, 10);
	cfg.history = 1024;
	cfg.batch_ns = 0;
	/* A port of our own, derived from the pid (several fuzzers may run at once). */
	for (unsigned i = 0; i < 200 && !srv; i++) {
		cfg.rerequest_port = (uint16_t)(30000 + (getpid() * 7 + i * 13) % 30000);
		srv = fp_sim_itch_create(&cfg);
	}
	CHECK(srv != NULL);
	for (unsigned i = 0; i < NB_MSGS; i++)
		fp_sim_itch_system_event(srv, "OSQMEC"[i % 6], 1000 + i);
	fp_sim_itch_flush(srv, 2000);
	CHECK(fp_sim_itch_next_seq(srv) == NB_MSGS + 1);
	srv_addr = fuzz_loopback(fp_sim_itch_rerequest_port(srv));
	cli = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK(cli >= 0);
	struct sockaddr_in any = fuzz_loopback(0);
	CHECK(bind(cli, (struct sockaddr *)&any, sizeof(any)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!srv)
		setup();
	/* 1. the parser */
	const char *session;
	uint64_t seq = 0;
	uint16_t count = 0;
	int rc = fp_mold_request_parse(data, (uint32_t)size, &session, &seq, &count);
	CHECK((rc == 0) == (size == FP_MOLD_REQUEST_LEN));
	if (rc == 0) {
		uint8_t again[FP_MOLD_REQUEST_LEN];
		char s[11];
		memcpy(s, session, 10);
		s[10] = '\0';
		fp_mold_request_build(again, s, seq, count);
		/* the builder pads a short (NUL-ended) name with spaces: compare the rest */
		CHECK(memcmp(again + 10, data + 10, 10) == 0);
	}
	if (size == 0 || size > 64)
		return 0; /* the server reads at most 64 bytes of a datagram */

	/* 2. the server, through its socket */
	const struct fp_sim_itch_stats *st = fp_sim_itch_stats(srv);
	uint64_t req0 = st->nb_requests, bad0 = st->nb_bad_requests;
	uint64_t rt0 = st->nb_retrans_msgs;
	CHECK(sendto(cli, data, size, 0, (struct sockaddr *)&srv_addr, sizeof(srv_addr)) ==
	      (ssize_t)size);
	for (unsigned i = 0; st->nb_requests == req0; i++) {
		CHECK(i < 1000000); /* loopback delivers at once; this only bounds a bug */
		fp_sim_itch_poll(srv, 3000, 1, 16);
	}
	CHECK(st->nb_requests == req0 + 1);
	uint64_t next = NB_MSGS + 1;
	bool good = rc == 0 && !memcmp(session, SESSION, 10) && count != 0 && seq != 0 &&
		    seq < next && seq + 1024 >= next;
	CHECK(good == (st->nb_bad_requests == bad0));
	if (!good)
		return 0;
	uint64_t end = seq + count < next ? seq + count : next;
	CHECK(st->nb_retrans_msgs - rt0 == end - seq);
	uint64_t want = seq;
	while (want < end) {
		uint8_t pkt[2048];
		ssize_t n = recv(cli, pkt, sizeof(pkt), 0);
		CHECK(n > 0);
		struct fp_mold_pkt p;
		CHECK(fp_mold_parse(pkt, (uint32_t)n, &p) == FP_MOLD_OK);
		CHECK(!memcmp(p.session, SESSION, 10) && p.sequence_number == want);
		CHECK(p.message_count > 0 && want + p.message_count <= end);
		want += p.message_count;
	}
	uint8_t extra[16];
	CHECK(recv(cli, extra, sizeof(extra), MSG_DONTWAIT) < 0 && errno == EAGAIN);
	return 0;
}
