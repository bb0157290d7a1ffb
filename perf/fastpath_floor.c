/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fastpath_floor.c - `fastpath-floor`: the floor of venue-side tick-to-trade. The least a
 * trading system can do between a trigger on the feed and its order at the venue: the
 * same receive backend as fastpath's md, through the same code (dataplane/fp_md_rx.h:
 * `udp`, one recvmmsg(MSG_DONTWAIT) per pass; `dpdk`, one rte_eth_rx_burst of a port
 * hot-plugged from devargs, e.g. net_af_packet; `xdp`, one peek of an AF_XDP rx ring), a
 * walk of the MoldUDP64 packet for an ITCH replace ('U', what fastpath-sim's triggers are)
 * on the trigger symbol's locate, then at once one send() of a prepared OUCH 5.0 Enter
 * Order (an IOC buy of 100 ZXZZT; the trigger's price is written into it, which is how the
 * simulator knows which trigger it answers) on a SoupBinTCP session logged in beforehand.
 * No book, no strategy, no risk, no journal. `fastpath-bench t2t` runs it against
 * fastpath-sim --trigger-rate beside fastpath itself: ours - floor is what fastpath adds.
 *
 * The next order (its UserRefNum and ClOrdID) is prepared after each send, so that the path
 * from a trigger to send() is the packet walk only. Every FLOOR_HOUSEKEEP empty passes, and
 * at most once a millisecond, the session is read (acks, heartbeats: read and dropped) and a
 * client heartbeat sent when due; that is the only other syscall. Ends after --duration, at
 * the feed's end of session, or on SIGINT/SIGTERM, with one JSON line: orders sent, passes,
 * triggers seen, and the core it ran on. A perf tool: it blocks, allocates and exits freely
 * outside the loop.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fp_compiler.h"
#include "fp_endian.h"
#include "fp_err.h"
#include "fp_md_rx.h"
#include "fp_mold.h"
#include "fp_opt.h"
#include "fp_ouch.h"
#include "fp_soup.h"
#include "fp_version.h"

#define FLOOR_BATCH        32         /* datagrams per burst, as md's default burst */
#define FLOOR_HOUSEKEEP    4096       /* empty passes between two looks at the clock */
#define FLOOR_HOUSEKEEP_NS 1000000ull /* and at least 1 ms between two reads of the session */
#define ITCH_U_LEN         35 /* ITCH 5.0 Order Replace: ... New Reference (8), Shares (4), */
#define ITCH_U_PRICE       31 /* then Price (4) at offset 31 */

static volatile sig_atomic_t floor_quit;

static void on_signal(int sig)
{
	(void)sig;
	floor_quit = 1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fastpath-floor --group ADDR:PORT --venue ADDR:PORT --locate N\n"
		"                      [--backend udp|dpdk|xdp] [--interface ADDR]\n"
		"                      [--dpdk-dev DEVARGS] [--eal-args ARGS] [--ifname IF]\n"
		"                      [--core C] [--duration S]\n\n"
		"The floor of venue-side tick-to-trade: one receive burst per pass on the feed\n"
		"(md's own receive backends), and on\n"
		"an ITCH replace of stock locate N one send() of a prepared OUCH Enter Order\n"
		"(IOC buy 100 ZXZZT at the replace's price) on a SoupBinTCP session (user and "
		"password from\n"
		"FP_GW_USER / FP_GW_PASSWORD). No book, strategy or risk. Prints one JSON line.\n\n"
		"  --group ADDR:PORT   the ITCH feed (multicast group, or any address: the port)\n"
		"  --venue ADDR:PORT   the OUCH / SoupBinTCP acceptor\n"
		"  --locate N          stock locate of the trigger symbol\n"
		"  --backend B         udp (default), dpdk or xdp: md's receive backend\n"
		"  --interface ADDR    udp: interface address of the group (default 127.0.0.1)\n"
		"  --dpdk-dev DEVARGS  dpdk: device to hot-plug, e.g. net_af_packet0,iface=veth0\n"
		"  --eal-args ARGS     dpdk: EAL arguments (default: as md, docs/dataplane.md)\n"
		"  --ifname IF         xdp: interface (queue 0)\n"
		"  --core C            pin to core C (default: not pinned)\n"
		"  --duration S        stop after S seconds (default: at the end of session)\n");
}

static int parse_addr(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (*end || port == 0 || port > 65535 || inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -1;
	return 0;
}

/* Read whole SoupBinTCP packets until one of @p type arrives (blocking; login only). */
static int wait_packet(int fd, uint8_t want, uint8_t *got)
{
	uint8_t buf[FP_SOUP_RX_BUF];
	size_t have = 0;
	for (;;) {
		ssize_t n = recv(fd, buf + have, sizeof(buf) - have, 0);
		if (n <= 0)
			return -1;
		have += (size_t)n;
		while (have >= FP_SOUP_HDR_SIZE) {
			size_t len = (size_t)fp_get_be16(buf) + 2;
			if (have < len)
				break;
			*got = buf[2];
			if (buf[2] == want || buf[2] == FP_SOUP_LOGIN_REJECTED)
				return 0;
			memmove(buf, buf + len, have - len);
			have -= len;
		}
	}
}

static int open_session(const struct sockaddr_in *venue)
{
	const char *user = getenv("FP_GW_USER"), *pass = getenv("FP_GW_PASSWORD");
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	uint8_t buf[64], got = 0;
	/* The venue may still be starting: wait for its listener, up to 10 s. */
	int rc = -1;
	for (int i = 0; fd >= 0 && i < 200; i++) {
		rc = connect(fd, (const struct sockaddr *)venue, sizeof(*venue));
		if (rc == 0 || errno != ECONNREFUSED)
			break;
		usleep(50000);
	}
	if (fd < 0 || rc < 0) {
		fprintf(stderr, "fastpath-floor: cannot connect to the venue: %s\n",
			strerror(errno));
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	size_t n = fp_soup_build_login_request(buf, sizeof(buf), user ? user : "", pass ? pass : "",
					       "", 0);
	if (send(fd, buf, n, MSG_NOSIGNAL) != (ssize_t)n || wait_packet(fd, 'A', &got) < 0 ||
	    got != FP_SOUP_LOGIN_ACCEPTED) {
		fprintf(stderr, "fastpath-floor: login refused or lost (set FP_GW_USER and "
				"FP_GW_PASSWORD to an account of the venue)\n");
		close(fd);
		return -1;
	}
	return fd;
}

/* The next Enter Order: a SoupBinTCP 'U' packet around OUCH 'O' with UserRefNum @p urn. */
static size_t build_order(uint8_t *pkt, size_t cap, uint32_t urn)
{
	char clordid[15];
	snprintf(clordid, sizeof(clordid), "FLOOR%09" PRIu32, urn % 1000000000u);
	struct fp_ouch_enter e = {.price = 0, /* the trigger's, written before send */
				  .user_ref_num = urn,
				  .quantity = 100,
				  .symbol = "ZXZZT   ",
				  .cl_ord_id = clordid,
				  .side = 'B',
				  .time_in_force = '3',
				  .display = 'Y',
				  .capacity = 'A',
				  .intermarket_sweep_eligibility = 'N',
				  .cross_type = 'N'};
	int len = fp_ouch_encode_enter_order(pkt + FP_SOUP_HDR_SIZE, cap - FP_SOUP_HDR_SIZE, &e);
	if (len < 0)
		return 0;
	return fp_soup_put_hdr(pkt, FP_SOUP_UNSEQUENCED, (size_t)len) + (size_t)len;
}

/* An option value refused (common/fp_opt.h): its reason on stderr. @return exit status 2. */
static int refused(void)
{
	fprintf(stderr, "fastpath-floor: %s\n", fp_err_msg());
	return 2;
}

int main(int argc, char **argv)
{
	struct sockaddr_in venue = {0};
	struct fp_md_rx_cfg rx_cfg = {.kind = FP_MD_RX_UDP, .nb_groups = 1, .burst = FLOOR_BATCH};
	const char *iface = "127.0.0.1";
	int have_grp = 0, have_venue = 0;
	long core = -1, locate = 0;
	uint64_t opt_v; /* an integer option's value */
	double duration = 0;
	/* Every option but --help and --version takes a value: i steps over both. */
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--version")) {
			printf("fastpath-floor %s\n", FP_VERSION_TEXT);
			return 0;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!v) {
			fprintf(stderr, "fastpath-floor: '%s' needs a value (try --help)\n", a);
			return 2;
		} else if (!strcmp(a, "--group")) {
			have_grp = fp_md_group_parse(v, &rx_cfg.groups[0]) == 0 &&
				   rx_cfg.groups[0].port != 0;
		} else if (!strcmp(a, "--venue")) {
			have_venue = parse_addr(v, &venue) == 0;
		} else if (!strcmp(a, "--locate")) {
			if (fp_opt_u64(a, v, 1, 65535, &opt_v) < 0)
				return refused();
			locate = (long)opt_v;
		} else if (!strcmp(a, "--interface")) {
			iface = v;
		} else if (!strcmp(a, "--backend")) {
			if (fp_md_rx_kind_parse(v, &rx_cfg.kind) < 0 ||
			    rx_cfg.kind == FP_MD_RX_PCAP) {
				fprintf(stderr, "fastpath-floor: --backend is udp, dpdk or xdp\n");
				return 2;
			}
		} else if (!strcmp(a, "--dpdk-dev")) {
			rx_cfg.dpdk_dev = v;
		} else if (!strcmp(a, "--eal-args")) {
			rx_cfg.eal_args = v;
		} else if (!strcmp(a, "--ifname")) {
			rx_cfg.ifname = v;
		} else if (!strcmp(a, "--core")) {
			if (fp_opt_u64(a, v, 0, CPU_SETSIZE - 1, &opt_v) < 0)
				return refused();
			core = (long)opt_v;
		} else if (!strcmp(a, "--duration")) {
			if (fp_opt_num(a, v, 0, 1e9, &duration) < 0)
				return refused();
		} else {
			fprintf(stderr, "fastpath-floor: unknown option '%s' (try --help)\n", a);
			return 2;
		}
	}
	if (!have_grp || !have_venue || locate < 1 || locate > 65535) {
		fprintf(stderr, "fastpath-floor: --group ADDR:PORT, --venue ADDR:PORT and --locate "
				"1..65535 are needed (try --help)\n");
		return 2;
	}
	if (core >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(core, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0) {
			fprintf(stderr, "fastpath-floor: cannot pin to core %ld: %s\n", core,
				strerror(errno));
			return 1;
		}
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct in_addr ifa;
	if (inet_pton(AF_INET, iface, &ifa) != 1) {
		fprintf(stderr, "fastpath-floor: --interface '%s' is not an IPv4 address\n", iface);
		return 2;
	}
	rx_cfg.if_addr = ntohl(ifa.s_addr);
	rx_cfg.rcvbuf_bytes = 8u << 20; /* as fastpath's md stage gives its udp sockets */
	struct fp_md_rx *md;
	if (fp_md_rx_open(&md, &rx_cfg) < 0) {
		fprintf(stderr, "fastpath-floor: cannot open the feed (%s): %s\n",
			fp_md_rx_kind_name(rx_cfg.kind), fp_err_msg());
		return 1;
	}
	int oe = open_session(&venue);
	if (oe < 0)
		return 1;
	fprintf(stderr, "fastpath-floor: logged in\n");

	struct fp_md_pkt pkts[FLOOR_BATCH];
	uint8_t order[128], hb[8], sink[FP_SOUP_RX_BUF];
	uint32_t urn = 1;
	size_t order_len = build_order(order, sizeof(order), urn);
	struct fp_ouch_enter_order *wire = (struct fp_ouch_enter_order *)(order + FP_SOUP_HDR_SIZE);
	size_t hb_len = fp_soup_build_empty(hb, sizeof(hb), FP_SOUP_CLIENT_HEARTBEAT);
	uint64_t passes = 0, empty = 0, triggers = 0, sent = 0, send_short = 0, packets = 0;
	uint64_t t_end = duration > 0 ? mono_ns() + (uint64_t)(duration * 1e9) : UINT64_MAX;
	uint64_t last_hb = mono_ns(), last_hk = last_hb;
	unsigned idle = 0;
	bool ended = false;
	while (!floor_quit && !ended) {
		passes++;
		unsigned r = fp_md_rx_burst(md, pkts, FLOOR_BATCH);
		if (r == 0) {
			empty++;
			if (++idle < FLOOR_HOUSEKEEP)
				continue;
			idle = 0;
			uint64_t now = mono_ns(); /* vDSO: no syscall */
			if (now - last_hk < FLOOR_HOUSEKEEP_NS)
				continue; /* a pass of dpdk or xdp is ~100 ns: 4096 are not 1 ms */
			last_hk = now;
			while (recv(oe, sink, sizeof(sink), MSG_DONTWAIT) > 0)
				;
			if (now - last_hb >= 500000000ull) {
				send(oe, hb, hb_len, MSG_DONTWAIT | MSG_NOSIGNAL);
				last_hb = now;
			}
			if (now >= t_end)
				break;
			continue;
		}
		for (unsigned k = 0; k < r; k++) {
			struct fp_mold_pkt pkt;
			struct fp_mold_iter it;
			const uint8_t *m;
			uint16_t len;
			uint64_t seq;
			packets++;
			enum fp_mold_result kind = fp_mold_parse(pkts[k].data, pkts[k].len, &pkt);
			ended |= kind == FP_MOLD_END_OF_SESSION;
			if (kind != FP_MOLD_OK)
				continue;
			fp_mold_iter_init(&it, &pkt);
			while (fp_mold_iter_next(&it, &m, &len, &seq) == FP_MOLD_OK) {
				if (len < ITCH_U_LEN || m[0] != 'U' ||
				    fp_get_be16(m + 1) != (uint16_t)locate)
					continue;
				triggers++;
				fp_put_be64(&wire->price, fp_get_be32(m + ITCH_U_PRICE));
				ssize_t n = send(oe, order, order_len, MSG_DONTWAIT | MSG_NOSIGNAL);
				sent += n == (ssize_t)order_len;
				send_short += n != (ssize_t)order_len;
				if (fp_unlikely(sent + send_short == 1)) /* once, after the send */
					fprintf(stderr, "fastpath-floor: first order sent\n");
				order_len = build_order(order, sizeof(order), ++urn);
			}
		}
	}
	printf("{\"passes\": %" PRIu64 ", \"empty_passes\": %" PRIu64 ", \"packets\": %" PRIu64
	       ", \"triggers\": %" PRIu64 ", \"orders\": %" PRIu64 ", \"send_short\": %" PRIu64
	       ", \"core\": %d, \"pinned\": %ld, \"backend\": \"%s\"}\n",
	       passes, empty, packets, triggers, sent, send_short, sched_getcpu(), core,
	       fp_md_rx_kind_name(rx_cfg.kind));
	close(oe);
	fp_md_rx_close(md);
	return 0;
}
