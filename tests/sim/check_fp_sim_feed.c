/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_sim_feed.c - the simulator's ITCH 5.0 / MoldUDP64 feed.
 *
 * Covers: the publisher on its own (rejects a bad configuration; packs several messages per
 * packet within the MTU; answers a MoldUDP64 retransmission request from its history and
 * ignores requests for another session or outside the history; drops, duplicates and
 * reorders packets on request without touching sequence numbers); then `fastpath-sim`
 * end to end: a 2-second run at a high rate writes a pcap whose every frame parses
 * (Ethernet/IPv4/UDP, MoldUDP64, ITCH 5.0 with the proto/ codecs), with contiguous sequence
 * numbers, and whose message counts per type equal the simulator's own JSON summary;
 * `fastpath-md dump` of that pcap agrees with the summary (skipped with a message when
 * fastpath-md is not built); tshark's moldudp64 dissector agrees on every packet's framing
 * (skipped when tshark is absent); the same seed publishes the same messages; config/sim.conf
 * gives the built-in defaults; an OUCH client logs in over SoupBinTCP, its order crossing
 * the synthetic book is accepted and executed, and each execution's match number is in the
 * ITCH feed as the resting order's 'E' (or 'P' when it was hidden); a receiver joined to the
 * multicast group on loopback gets every packet of a run, gap-free.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fp_err.h"
#include "fp_itch.h"
#include "fp_mold.h"
#include "fp_net.h"
#include "fp_ouch.h"
#include "fp_pcap.h"
#include "fp_sim_itch.h"
#include "fp_soup.h"
#include "fp_test_ports.h"

#define SIM_BIN   FP_BINARY_DIR "/bin/fastpath-sim"
#define MD_BIN    FP_BINARY_DIR "/bin/fastpath-md"
#define FEED_PORT 26477

/* ---------------------------------------------------------------- pcap decoding */

struct feed {
	uint64_t msgs;
	uint64_t by_type[128];
	uint64_t packets; /* every MoldUDP64 datagram */
	uint64_t heartbeats;
	uint64_t ends;
	uint64_t next_seq;               /* expected sequence of the next data packet */
	uint64_t seq_errors;             /* data packets not at the expected sequence */
	uint64_t bad_frames;             /* frames or messages that do not parse */
	uint32_t max_len;                /* largest MoldUDP64 packet */
	uint64_t last_ts, ts_backward;   /* ITCH timestamps lower than the one before */
	uint64_t last_rec, rec_backward; /* pcap record times lower than the one before */
	uint64_t trade_not_b;            /* 'P' with a Buy/Sell Indicator other than 'B' */
	char framing[1 << 22];           /* "seq count\n" per packet, as tshark prints them */
	size_t framing_len;
	uint8_t *stream; /* every message (timestamps zeroed), in sequence order */
	size_t stream_len;
};

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct stat st;
	fstat(fileno(f), &st);
	uint8_t *b = malloc((size_t)st.st_size + 1);
	*len = fread(b, 1, (size_t)st.st_size, f);
	fclose(f);
	return b;
}

static void decode_pcap(const char *path, struct feed *fd, bool keep_stream)
{
	memset(fd, 0, offsetof(struct feed, framing));
	fd->framing_len = 0;
	fd->next_seq = 1;
	size_t len = 0;
	uint8_t *buf = read_file(path, &len);
	ck_assert_msg(buf, "cannot read %s", path);
	struct fp_pcap pc;
	ck_assert_int_eq(fp_pcap_open(&pc, buf, len), 0);
	size_t cap = keep_stream ? len : 0;
	fd->stream = keep_stream ? malloc(cap) : NULL;
	struct fp_pcap_rec rec;
	enum fp_pcap_result r;
	while ((r = fp_pcap_next(&pc, &rec)) == FP_PCAP_OK) {
		struct fp_net_pkt np;
		if (fp_net_parse_link(pc.linktype, rec.data, rec.caplen, &np) != FP_NET_OK ||
		    np.ip_proto != FP_IP_PROTO_UDP) {
			fd->bad_frames++;
			continue;
		}
		struct fp_mold_pkt mp = {0};
		enum fp_mold_result mr = fp_mold_parse(np.payload, np.payload_len, &mp);
		fd->packets++;
		fd->rec_backward += rec.ts_ns < fd->last_rec;
		fd->last_rec = rec.ts_ns;
		if (np.payload_len > fd->max_len)
			fd->max_len = np.payload_len;
		if (fd->framing_len + 64 < sizeof(fd->framing))
			fd->framing_len += (size_t)snprintf(
				fd->framing + fd->framing_len, 64, "%llu\t%u\n",
				(unsigned long long)mp.sequence_number, mp.message_count);
		if (mr == FP_MOLD_HEARTBEAT) {
			fd->heartbeats++;
			continue;
		}
		if (mr == FP_MOLD_END_OF_SESSION) {
			fd->ends++;
			continue;
		}
		if (mr != FP_MOLD_OK ||
		    fp_mold_validate(np.payload, np.payload_len) != FP_MOLD_OK) {
			fd->bad_frames++;
			continue;
		}
		if (mp.sequence_number != fd->next_seq)
			fd->seq_errors++;
		fd->next_seq = mp.sequence_number + mp.message_count;
		struct fp_mold_iter it;
		fp_mold_iter_init(&it, &mp);
		const uint8_t *msg;
		uint16_t ml;
		uint64_t seq;
		while (fp_mold_iter_next(&it, &msg, &ml, &seq) == FP_MOLD_OK) {
			struct fp_itch_msg im;
			if (fp_itch_decode(msg, ml, &im) != FP_ITCH_OK) {
				fd->bad_frames++;
				continue;
			}
			fd->msgs++;
			fd->by_type[(uint8_t)im.type & 127]++;
			fd->ts_backward += im.timestamp < fd->last_ts;
			fd->last_ts = im.timestamp;
			fd->trade_not_b += im.type == 'P' && im.u.trade.buy_sell_indicator != 'B';
			if (keep_stream && fd->stream_len + ml <= cap) {
				memcpy(fd->stream + fd->stream_len, msg, ml);
				fp_itch_set_timestamp(fd->stream + fd->stream_len, 0);
				fd->stream_len += ml;
			}
		}
	}
	ck_assert_int_eq(r, FP_PCAP_END);
	free(buf);
}

/* ---------------------------------------------------------------- running fastpath-sim */

/* Value of "key": N in a one-line JSON object (first match); -1 if absent. */
static long long json_num(const char *json, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	const char *p = strstr(json, pat);
	return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

/* Value of the last "key": N in @p json; -1 if absent. */
static long long json_num_last(const char *json, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	const char *p = NULL, *q = json;
	while ((q = strstr(q, pat)) != NULL)
		p = q++;
	return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

/* Count of type @p t in the "by_type" object of @p json (0 if absent). */
static long long json_type(const char *json, char t)
{
	const char *bt = strstr(json, "\"by_type\": {");
	ck_assert_ptr_nonnull(bt);
	const char *end = strchr(bt, '}');
	char pat[8];
	snprintf(pat, sizeof(pat), "\"%c\": ", t);
	const char *p = strstr(bt, pat);
	return p && p < end ? strtoll(p + strlen(pat), NULL, 10) : 0;
}

static char *write_conf(void)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/fp_sim_test_%d.conf", (int)getpid());
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	/* no multicast, no rerequest server, order entry on any free port: tests may run in
	 * parallel with other simulators on the machine */
	fprintf(f,
		"sim = { start_time = \"09:30:00\"; halt_interval = 0.4; halt_duration = 0.2; "
		"};\n"
		"itch = { port = %d; rerequest_port = 0; batch_us = 200.0; };\n"
		"ouch = { port = 0; };\n",
		FEED_PORT);
	fclose(f);
	return path;
}

/* Run fastpath-sim with @p args, return its last stdout line (the JSON summary). */
static void run_sim(const char *args, const char *pcap, char *json, size_t cap)
{
	char cmd[1024];
	char *conf = write_conf();
	snprintf(cmd, sizeof(cmd), "%s --config %s --no-udp --json --pcap-out %s %s", SIM_BIN, conf,
		 pcap, args);
	FILE *p = popen(cmd, "r");
	ck_assert_msg(p, "cannot run %s", cmd);
	char line[8192];
	json[0] = 0;
	while (fgets(line, sizeof(line), p))
		if (line[0] == '{')
			snprintf(json, cap, "%s", line);
	int st = pclose(p);
	unlink(conf);
	ck_assert_msg(st == 0, "%s exited with %d", cmd, st);
	ck_assert_msg(json[0] == '{', "no JSON summary from %s", cmd);
}

static struct feed g_feed; /* large: static */

START_TEST(test_sim_pcap_matches_own_summary)
{
	char pcap[64], json[8192];
	snprintf(pcap, sizeof(pcap), "/tmp/fp_sim_test_%d.pcap", (int)getpid());
	run_sim("--duration 2 --rate 50000 --seed 7", pcap, json, sizeof(json));
	struct feed *fd = &g_feed;
	decode_pcap(pcap, fd, false);
	ck_assert_uint_eq(fd->bad_frames, 0);
	ck_assert_uint_eq(fd->seq_errors, 0);
	ck_assert_uint_eq(fd->ends, 1);
	ck_assert_int_eq((long long)fd->msgs, json_num(json, "messages"));
	ck_assert_int_eq((long long)fd->packets, json_num(json, "packets"));
	ck_assert_int_eq((long long)fd->heartbeats, json_num(json, "heartbeats"));
	ck_assert_int_eq((long long)fd->next_seq, json_num(json, "next_seq"));
	for (int t = 'A'; t <= 'z'; t++)
		ck_assert_msg((long long)fd->by_type[t] == json_type(json, (char)t),
			      "type %c: pcap %llu, summary %lld", t,
			      (unsigned long long)fd->by_type[t], json_type(json, (char)t));
	/* every message family the venue sends, at this rate and with halts */
	const char *want = "SRHAFECXDUPQ";
	for (const char *t = want; *t; t++)
		ck_assert_msg(fd->by_type[(int)*t] > 0, "no '%c' message in 2 s", *t);
	ck_assert_uint_le(fd->max_len, 1500 - 28);
	ck_assert_msg(fd->msgs > 3 * (fd->packets - fd->heartbeats - fd->ends),
		      "several messages per packet: %llu in %llu", (unsigned long long)fd->msgs,
		      (unsigned long long)fd->packets);
	/* 2 s at 50,000 events/s: about 100,000 events and more ITCH messages */
	ck_assert_int_gt(json_num(json, "messages"), 90000);
	ck_assert_int_gt(json_num(json, "trades"), 1000);

	/* fastpath-md dump: decode the same file and agree with the summary */
	if (access(MD_BIN, X_OK) != 0) {
		fprintf(stderr, "skip: %s not built; fastpath-md comparison not run\n", MD_BIN);
	} else {
		char cmd[512], line[8192], last[8192] = "";
		snprintf(cmd, sizeof(cmd), "%s dump %s --summary 2>/dev/null", MD_BIN, pcap);
		FILE *p = popen(cmd, "r");
		while (fgets(line, sizeof(line), p))
			snprintf(last, sizeof(last), "%s", line);
		ck_assert_int_eq(pclose(p), 0);
		fprintf(stderr, "fastpath-md: %s", last);
		ck_assert_msg(strstr(last, "{\"summary\": "), "no summary from %s", cmd);
		ck_assert_msg(json_num(last, "messages") == json_num(json, "messages"),
			      "fastpath-md %s vs fastpath-sim %s", last, json);
		for (int t = 'A'; t <= 'z'; t++)
			ck_assert_msg(json_type(last, (char)t) == json_type(json, (char)t),
				      "type %c: fastpath-md %lld, fastpath-sim %lld", t,
				      json_type(last, (char)t), json_type(json, (char)t));
		/* per session: data packets, heartbeats, next sequence; then every datagram */
		ck_assert_int_eq(json_num(last, "packets"), json_num(json, "data_packets"));
		ck_assert_int_eq(json_num(last, "heartbeats"), json_num(json, "heartbeats"));
		ck_assert_int_eq(json_num(last, "next_seq"), json_num(json, "next_seq"));
		ck_assert_int_eq(json_num_last(last, "packets"), json_num(json, "packets"));
		ck_assert(strstr(last, "\"end_of_session\": true"));
		ck_assert(strstr(last, "\"session\": \"FPSIM00001\""));
		ck_assert_int_eq(json_num(last, "gaps"), 0);
		ck_assert_int_eq(json_num(last, "missing"), 0);
		ck_assert_int_eq(json_num(last, "duplicates"), 0);
		ck_assert_int_eq(json_num(last, "errors"), 0);
	}

	/* tshark's moldudp64 dissector: same (sequence, count) for every packet */
	if (system("command -v tshark >/dev/null 2>&1") != 0) {
		fprintf(stderr, "skip: tshark not installed; framing oracle not run\n");
	} else {
		char cmd[512];
		snprintf(cmd, sizeof(cmd),
			 "tshark -r %s -d udp.port==%d,moldudp64 -T fields -e moldudp64.sequence "
			 "-e moldudp64.count 2>/dev/null",
			 pcap, FEED_PORT);
		FILE *p = popen(cmd, "r");
		static char out[1 << 22];
		size_t n = fread(out, 1, sizeof(out) - 1, p);
		out[n] = 0;
		pclose(p);
		ck_assert_msg(n == fd->framing_len && !memcmp(out, fd->framing, n),
			      "tshark framing differs (%zu vs %zu bytes)", n, fd->framing_len);
	}
	unlink(pcap);
}
END_TEST

START_TEST(test_sim_same_seed_publishes_same_messages)
{
	char p1[64], p2[64], j1[8192], j2[8192];
	snprintf(p1, sizeof(p1), "/tmp/fp_sim_test_%d_a.pcap", (int)getpid());
	snprintf(p2, sizeof(p2), "/tmp/fp_sim_test_%d_b.pcap", (int)getpid());
	run_sim("--duration 0.5 --rate 20000 --seed 11", p1, j1, sizeof(j1));
	run_sim("--duration 0.5 --rate 20000 --seed 11", p2, j2, sizeof(j2));
	static struct feed a, b;
	decode_pcap(p1, &a, true);
	decode_pcap(p2, &b, true);
	ck_assert_uint_eq(a.msgs, b.msgs);
	ck_assert_uint_eq(a.stream_len, b.stream_len);
	ck_assert_msg(!memcmp(a.stream, b.stream, a.stream_len), "same seed, other messages");
	free(a.stream);
	free(b.stream);
	unlink(p1);
	unlink(p2);
}
END_TEST

/* ITCH counts from midnight US Eastern: EDT from the second Sunday of March 07:00 UTC to the
 * first Sunday of November 06:00 UTC, EST otherwise. */
START_TEST(test_sim_eastern_offset)
{
	ck_assert_int_eq(fp_sim_eastern_offset_s(1768478400), -5 * 3600); /* 2026-01-15 12:00Z */
	ck_assert_int_eq(fp_sim_eastern_offset_s(1782907200), -4 * 3600); /* 2026-07-01 12:00Z */
	ck_assert_int_eq(fp_sim_eastern_offset_s(1772953199), -5 * 3600); /* 2026-03-08 06:59:59Z */
	ck_assert_int_eq(fp_sim_eastern_offset_s(1772953200), -4 * 3600); /* 07:00:00Z */
	ck_assert_int_eq(fp_sim_eastern_offset_s(1793512799), -4 * 3600); /* 2026-11-01 05:59:59Z */
	ck_assert_int_eq(fp_sim_eastern_offset_s(1793512800), -5 * 3600); /* 06:00:00Z */
	ck_assert_int_eq(fp_sim_eastern_offset_s(1710054000), -4 * 3600); /* 2024-03-10 07:00Z */
	ck_assert_int_eq(fp_sim_eastern_offset_s(1710053999), -5 * 3600);
	ck_assert_int_eq(fp_sim_eastern_offset_s(0), -5 * 3600); /* 1970-01-01 */
}
END_TEST

START_TEST(test_sim_rejects_bad_options)
{
	ck_assert_int_ne(system(SIM_BIN " --duration abc >/dev/null 2>&1"), 0);
	ck_assert_int_ne(system(SIM_BIN " --bogus >/dev/null 2>&1"), 0);
	ck_assert_int_ne(system(SIM_BIN " --config /nonexistent.conf >/dev/null 2>&1"), 0);
	ck_assert_int_eq(system(SIM_BIN " --help >/dev/null 2>&1"), 0);
}
END_TEST

START_TEST(test_sim_config_file_is_the_defaults)
{
	char cmd[512], line[8192], a[8192] = "", b[8192] = "";
	snprintf(cmd, sizeof(cmd),
		 "%s --config %s/config/sim.conf --no-udp --oe-port 0 --duration 0.3 --seed 5 "
		 "--json",
		 SIM_BIN, FP_SOURCE_DIR);
	FILE *p = popen(cmd, "r");
	while (fgets(line, sizeof(line), p))
		snprintf(a, sizeof(a), "%s", line);
	ck_assert_int_eq(pclose(p), 0);
	snprintf(cmd, sizeof(cmd), "%s --no-udp --oe-port 0 --duration 0.3 --seed 5 --json",
		 SIM_BIN);
	p = popen(cmd, "r");
	while (fgets(line, sizeof(line), p))
		snprintf(b, sizeof(b), "%s", line);
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_int_gt(json_num(a, "messages"), 100);
	ck_assert_int_eq(json_num(a, "messages"), json_num(b, "messages"));
	ck_assert_int_eq(json_num(a, "trades"), json_num(b, "trades"));
}
END_TEST

static uint16_t free_tcp_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	bind(s, (struct sockaddr *)&a, sizeof(a));
	socklen_t l = sizeof(a);
	getsockname(s, (struct sockaddr *)&a, &l);
	close(s);
	return ntohs(a.sin_port);
}

/* Read one SoupBinTCP packet (u16 length, type, payload) within 2 s; returns its type and
 * payload length, 0 on timeout or close. */
static uint8_t soup_read(int fd, uint8_t *payload, size_t cap, size_t *len)
{
	uint8_t hdr[3];
	size_t got = 0;
	while (got < 3) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, 2000) <= 0)
			return 0;
		ssize_t n = recv(fd, hdr + got, 3 - got, 0);
		if (n <= 0)
			return 0;
		got += (size_t)n;
	}
	size_t want = (size_t)fp_get_be16(hdr) - 1;
	ck_assert_uint_le(want, cap);
	for (got = 0; got < want;) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, 2000) <= 0)
			return 0;
		ssize_t n = recv(fd, payload + got, want - got, 0);
		if (n <= 0)
			return 0;
		got += (size_t)n;
	}
	*len = want;
	return hdr[2];
}

/* Is the execution with match number @p match in the ITCH feed of @p path? */
static bool feed_has_match(const char *path, uint64_t match)
{
	size_t len = 0;
	uint8_t *buf = read_file(path, &len);
	ck_assert_ptr_nonnull(buf);
	struct fp_pcap pc;
	ck_assert_int_eq(fp_pcap_open(&pc, buf, len), 0);
	struct fp_pcap_rec rec;
	bool found = false;
	while (!found && fp_pcap_next(&pc, &rec) == FP_PCAP_OK) {
		struct fp_net_pkt np;
		struct fp_mold_pkt mp = {0};
		if (fp_net_parse_link(pc.linktype, rec.data, rec.caplen, &np) != FP_NET_OK ||
		    fp_mold_parse(np.payload, np.payload_len, &mp) != FP_MOLD_OK)
			continue;
		struct fp_mold_iter it;
		fp_mold_iter_init(&it, &mp);
		const uint8_t *msg;
		uint16_t ml;
		uint64_t seq;
		while (fp_mold_iter_next(&it, &msg, &ml, &seq) == FP_MOLD_OK) {
			struct fp_itch_msg im;
			if (fp_itch_decode(msg, ml, &im) != FP_ITCH_OK)
				continue;
			/* the resting order's execution: 'E', or 'P' when it was hidden */
			if ((im.type == 'E' && im.u.order_executed.match_number == match) ||
			    (im.type == 'P' && im.u.trade.match_number == match))
				found = true;
		}
	}
	free(buf);
	return found;
}

START_TEST(test_sim_client_order_trades_and_appears_in_feed)
{
	char pcap[64], port[16], *conf = write_conf();
	snprintf(pcap, sizeof(pcap), "/tmp/fp_sim_test_%d_oe.pcap", (int)getpid());
	uint16_t oe_port = free_tcp_port();
	snprintf(port, sizeof(port), "%u", oe_port);
	pid_t pid = fork();
	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		execl(SIM_BIN, SIM_BIN, "--config", conf, "--no-udp", "--duration", "2.5", "--rate",
		      "5000", "--oe-port", port, "--pcap-out", pcap, "--halt-interval", "0",
		      (char *)NULL);
		_exit(127);
	}
	int fd = -1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(oe_port)};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	for (int i = 0; i < 100 && fd < 0; i++) {
		usleep(20000);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
			close(fd);
			fd = -1;
		}
	}
	ck_assert_msg(fd >= 0, "cannot connect to fastpath-sim on port %u", oe_port);
	uint8_t b[512], pl[512];
	size_t len = 0, n = fp_soup_build_login_request(b, sizeof(b), "fpuser", "fppass", "", 0);
	ck_assert_int_eq(send(fd, b, n, 0), (ssize_t)n);
	ck_assert_uint_eq(soup_read(fd, pl, sizeof(pl), &len), FP_SOUP_LOGIN_ACCEPTED);
	usleep(700000); /* let the background flow build the book */
	struct fp_ouch_msg m;
	memset(&m, 0, sizeof(m));
	m.type = 'O';
	m.dir = FP_OUCH_INBOUND;
	m.has_appendage = 1;
	m.user_ref_num = 1;
	m.side = 'B';
	m.quantity = 500;
	memcpy(m.symbol, "AAPL    ", 8);
	m.price = 2500000; /* $250.00: through every AAPL ask */
	m.time_in_force = '3';
	m.display = 'Y';
	m.capacity = 'A';
	m.intermarket_sweep_eligibility = 'N';
	m.cross_type = 'N';
	memset(m.cl_ord_id, ' ', sizeof(m.cl_ord_id));
	int ol = fp_ouch_encode(&m, pl, sizeof(pl));
	ck_assert_int_gt(ol, 0);
	n = fp_soup_build_data(b, sizeof(b), FP_SOUP_UNSEQUENCED, pl, (size_t)ol);
	ck_assert_int_eq(send(fd, b, n, 0), (ssize_t)n);
	uint64_t matches[64];
	unsigned nb_match = 0, accepted = 0, done = 0;
	uint8_t t;
	while (!done && (t = soup_read(fd, pl, sizeof(pl), &len)) != 0) {
		if (t != FP_SOUP_SEQUENCED)
			continue;
		struct fp_ouch_msg r;
		ck_assert_int_eq(fp_ouch_decode(FP_OUCH_OUTBOUND, pl, len, &r), FP_OUCH_OK);
		if (r.type == 'A')
			accepted++;
		if (r.type == 'E' && nb_match < 64)
			matches[nb_match++] = r.match_number;
		if (r.type == 'C' || r.type == 'J') /* IOC remainder, or the end */
			done = 1;
	}
	close(fd);
	int st;
	waitpid(pid, &st, 0);
	unlink(conf);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "fastpath-sim failed: %d", st);
	ck_assert_uint_eq(accepted, 1);
	ck_assert_uint_gt(nb_match, 0);
	/* one clock: the client's trade (start_time 09:30:00, the wall clock elsewhere) never
	 * steps the feed's timestamps back, in ITCH or in the pcap records; P says 'B' */
	decode_pcap(pcap, &g_feed, false);
	ck_assert_uint_gt(g_feed.msgs, 1000);
	ck_assert_msg(g_feed.ts_backward == 0, "%llu ITCH timestamps went backwards",
		      (unsigned long long)g_feed.ts_backward);
	ck_assert_uint_eq(g_feed.rec_backward, 0);
	ck_assert_uint_eq(g_feed.trade_not_b, 0);
	for (unsigned i = 0; i < nb_match; i++)
		ck_assert_msg(feed_has_match(pcap, matches[i]),
			      "match %llu of the client's fill is not in the ITCH feed",
			      (unsigned long long)matches[i]);
	unlink(pcap);
}
END_TEST

START_TEST(test_sim_multicast_on_loopback_carries_the_feed)
{
	uint16_t port = fp_test_ports_claim();
	ck_assert_msg(port, "no free block of test ports");
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	int one = 1, rcvbuf = 8 << 20;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, "239.192.0.77", &a.sin_addr);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	struct ip_mreq mr;
	inet_pton(AF_INET, "239.192.0.77", &mr.imr_multiaddr);
	inet_pton(AF_INET, "127.0.0.1", &mr.imr_interface);
	ck_assert_int_eq(setsockopt(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)), 0);
	char out[64], portstr[16], *conf = write_conf();
	snprintf(out, sizeof(out), "/tmp/fp_sim_test_%d_mc.out", (int)getpid());
	snprintf(portstr, sizeof(portstr), "%u", port);
	pid_t pid = fork();
	if (pid == 0) {
		freopen(out, "w", stdout);
		execl(SIM_BIN, SIM_BIN, "--config", conf, "--group", "239.192.0.77", "--port",
		      portstr, "--duration", "1", "--rate", "2000", "--json", (char *)NULL);
		_exit(127);
	}
	uint64_t msgs = 0, pkts = 0, next = 1, gaps = 0;
	bool end = false;
	uint8_t buf[2048];
	while (!end) {
		struct pollfd pf = {.fd = s, .events = POLLIN};
		if (poll(&pf, 1, 5000) <= 0)
			break;
		ssize_t n = recv(s, buf, sizeof(buf), 0);
		struct fp_mold_pkt mp;
		enum fp_mold_result r = fp_mold_parse(buf, (uint32_t)n, &mp);
		pkts++;
		if (r == FP_MOLD_END_OF_SESSION)
			end = true;
		if (r != FP_MOLD_OK)
			continue;
		gaps += mp.sequence_number != next;
		next = mp.sequence_number + mp.message_count;
		msgs += mp.message_count;
	}
	close(s);
	int st;
	waitpid(pid, &st, 0);
	unlink(conf);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	FILE *f = fopen(out, "r");
	char line[8192], json[8192] = "";
	while (f && fgets(line, sizeof(line), f))
		if (line[0] == '{')
			snprintf(json, sizeof(json), "%s", line);
	if (f)
		fclose(f);
	unlink(out);
	ck_assert_msg(end, "no end-of-session packet received on 239.192.0.77:%u", port);
	ck_assert_uint_eq(gaps, 0);
	ck_assert_int_eq((long long)msgs, json_num(json, "messages"));
	ck_assert_int_eq((long long)pkts, json_num(json, "packets"));
}
END_TEST

/* ---------------------------------------------------------------- publisher unit tests */

static void add_order(struct fp_sim_itch *p, uint64_t ref, uint64_t ts)
{
	struct fp_sim_md m = {.ts_ns = ts,
			      .type = 'A',
			      .locate = 1,
			      .ref = ref,
			      .side = 'B',
			      .qty = 100,
			      .price = 100000};
	memcpy(m.stock, "AAPL    ", 8);
	fp_sim_itch_on_md(p, &m);
}

START_TEST(test_itch_rejects_bad_config)
{
	struct fp_sim_itch_cfg c;
	fp_sim_itch_cfg_default(&c);
	c.history = 1000;
	ck_assert_ptr_null(fp_sim_itch_create(&c));
	fp_sim_itch_cfg_default(&c);
	c.mtu = 64;
	ck_assert_ptr_null(fp_sim_itch_create(&c));
	fp_sim_itch_cfg_default(&c);
	c.loss = 2;
	ck_assert_ptr_null(fp_sim_itch_create(&c));
	fp_sim_itch_cfg_default(&c);
	c.group = "not-an-address";
	ck_assert_ptr_null(fp_sim_itch_create(&c));
}
END_TEST

START_TEST(test_itch_packs_within_mtu_and_serves_rerequests)
{
	char pcap[64];
	snprintf(pcap, sizeof(pcap), "/tmp/fp_sim_test_%d_u.pcap", (int)getpid());
	struct fp_sim_itch_cfg c;
	fp_sim_itch_cfg_default(&c);
	c.pcap_path = pcap;
	c.mtu = 576; /* 548 bytes of MoldUDP64: 20 + 13 adds of 2 + 36 (514), not 14 (552) */
	c.history = 1024;
	c.rerequest_port = fp_test_ports_claim();
	ck_assert_msg(c.rerequest_port, "no free block of test ports");
	struct fp_sim_itch *p = fp_sim_itch_create(&c);
	ck_assert_msg(p, "%s", fp_err_msg());
	for (uint64_t i = 1; i <= 2000; i++)
		add_order(p, i, 1000 + i);
	fp_sim_itch_flush(p, 5000);
	const struct fp_sim_itch_stats *st = fp_sim_itch_stats(p);
	ck_assert_uint_eq(st->nb_msgs, 2000);
	ck_assert_uint_eq(st->nb_data_packets, (2000 + 12) / 13);
	ck_assert_uint_eq(fp_sim_itch_next_seq(p), 2001);

	/* a request for 3 messages from 1990, one for an old (overwritten) sequence, one for
	 * another session */
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(c.rerequest_port)};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	uint8_t req[FP_MOLD_REQUEST_LEN];
	fp_mold_request_build(req, "FPSIM00001", 1990, 3);
	sendto(s, req, sizeof(req), 0, (struct sockaddr *)&a, sizeof(a));
	fp_mold_request_build(req, "FPSIM00001", 5, 3);
	sendto(s, req, sizeof(req), 0, (struct sockaddr *)&a, sizeof(a));
	fp_mold_request_build(req, "OTHER00001", 1990, 3);
	sendto(s, req, sizeof(req), 0, (struct sockaddr *)&a, sizeof(a));
	usleep(20000);
	ck_assert_uint_eq(fp_sim_itch_poll(p, 6000, 1, 16), 3);
	ck_assert_uint_eq(st->nb_requests, 3);
	ck_assert_uint_eq(st->nb_bad_requests, 2);
	ck_assert_uint_eq(st->nb_retrans_msgs, 3);
	uint8_t buf[2048];
	ssize_t n = recv(s, buf, sizeof(buf), MSG_DONTWAIT);
	ck_assert_int_eq(n, 20 + 3 * (2 + 36));
	struct fp_mold_pkt mp;
	ck_assert_int_eq(fp_mold_parse(buf, (uint32_t)n, &mp), FP_MOLD_OK);
	ck_assert_uint_eq(mp.sequence_number, 1990);
	ck_assert_uint_eq(mp.message_count, 3);
	struct fp_itch_msg im;
	ck_assert_int_eq(fp_itch_decode(mp.blocks + 2, 36, &im), FP_ITCH_OK);
	ck_assert_uint_eq(im.u.add_order.order_reference_number, 1990);
	ck_assert_uint_eq(im.timestamp, 1000 + 1990);
	close(s);
	fp_sim_itch_end_session(p, 7000);
	fp_sim_itch_destroy(p);

	static struct feed fd;
	decode_pcap(pcap, &fd, false);
	ck_assert_uint_eq(fd.msgs, 2000);
	ck_assert_uint_eq(fd.seq_errors, 0);
	ck_assert_uint_eq(fd.ends, 1);
	ck_assert_uint_le(fd.max_len, 548);
	unlink(pcap);
}
END_TEST

START_TEST(test_itch_fault_injection_keeps_sequence_numbers)
{
	char pcap[64];
	snprintf(pcap, sizeof(pcap), "/tmp/fp_sim_test_%d_f.pcap", (int)getpid());
	struct fp_sim_itch_cfg c;
	fp_sim_itch_cfg_default(&c);
	c.pcap_path = pcap;
	c.loss = 0.1;
	c.dup = 0.1;
	c.reorder = 0.1;
	c.seed = 3;
	c.batch_ns = 0;
	struct fp_sim_itch *p = fp_sim_itch_create(&c);
	ck_assert_ptr_nonnull(p);
	for (uint64_t i = 1; i <= 1000; i++) {
		add_order(p, i, i);
		fp_sim_itch_flush(p, i); /* one message per packet */
	}
	fp_sim_itch_end_session(p, 2000);
	const struct fp_sim_itch_stats *st = fp_sim_itch_stats(p);
	ck_assert_uint_gt(st->nb_dropped, 50);
	ck_assert_uint_gt(st->nb_duplicated, 50);
	ck_assert_uint_gt(st->nb_reordered, 50);
	uint64_t sent = st->nb_packets;
	ck_assert_uint_eq(sent, 1000 - st->nb_dropped + st->nb_duplicated + 1);
	fp_sim_itch_destroy(p);
	static struct feed fd;
	decode_pcap(pcap, &fd, false);
	ck_assert_uint_eq(fd.packets, sent);
	ck_assert_uint_eq(fd.bad_frames, 0);
	ck_assert_uint_gt(fd.seq_errors, 100); /* gaps, duplicates, out of order */
	unlink(pcap);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_sim_feed");
	TCase *pub = tcase_create("publisher");
	tcase_add_test(pub, test_itch_rejects_bad_config);
	tcase_add_test(pub, test_itch_packs_within_mtu_and_serves_rerequests);
	tcase_add_test(pub, test_itch_fault_injection_keeps_sequence_numbers);
	suite_add_tcase(s, pub);
	TCase *e2e = tcase_create("fastpath-sim");
	tcase_add_test(e2e, test_sim_eastern_offset);
	tcase_set_timeout(e2e, 60);
	tcase_add_test(e2e, test_sim_rejects_bad_options);
	tcase_add_test(e2e, test_sim_pcap_matches_own_summary);
	tcase_add_test(e2e, test_sim_same_seed_publishes_same_messages);
	tcase_add_test(e2e, test_sim_config_file_is_the_defaults);
	tcase_add_test(e2e, test_sim_multicast_on_loopback_carries_the_feed);
	tcase_add_test(e2e, test_sim_client_order_trades_and_appears_in_feed);
	suite_add_tcase(s, e2e);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
