/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_ouch.c - `fastpath-bench ouch [--json] [--runs R] [--orders N]`: cost of the OUCH 5.0
 * codec on the order path, and the gateway's order path over loopback.
 *
 * Variants (one thread, whatever core it runs on):
 *   fastpath     fp_ouch_encode_enter_order() of an Enter Order (Firm appendage) behind its
 *                SoupBinTCP header (what the gateway sends; generic_encode_ns: the same
 *                bytes through the table-driven fp_ouch_encode()), and fp_ouch_decode() of an
 *                Order Executed: the codec the gateway and the simulator share;
 *   handwritten  reference: the same bytes by a template copy plus fp_put_be* of the
 *                variable fields, and a direct fp_get_be* read of the Executed fields (the
 *                least a specialised codec could do).
 * Figures: encode_ns, decode_ns per message (median over --runs of 1 M messages each) and
 * ratio_encode / ratio_decode (fastpath / handwritten). Then gw_order_ns: the gateway's
 * order path from a FP_EV_ORDER_NEW in its ring to send() returned (p50/p99 over --orders
 * orders), against the simulator's acceptor on loopback, in the same thread; tcp_send is its
 * reference: send() alone of the same bytes on a loopback TCP connection.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "fp_bench.h"
#include "fp_err.h"
#include "fp_gw.h"
#include "fp_hist.h"
#include "fp_ouch.h"
#include "fp_ring.h"
#include "fp_sim_engine.h"
#include "fp_sim_oe.h"
#include "fp_soup.h"
#include "fp_tsc.h"

int fp_bench_ouch(int argc, char **argv);
extern const char fp_bench_ouch_summary[];
const char fp_bench_ouch_summary[] =
	"OUCH 5.0 encode/decode vs a hand-written codec; gateway ring->send() over loopback";

#define NB_MSGS  1000000u
#define RUNS_MAX 15

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void enter_msg(struct fp_ouch_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = 'O';
	m->dir = FP_OUCH_INBOUND;
	m->has_appendage = 1;
	m->side = 'B';
	m->quantity = 100;
	memcpy(m->symbol, "AAPL    ", 8);
	m->price = 1502500;
	m->time_in_force = '0';
	m->display = 'Y';
	m->capacity = 'P';
	m->intermarket_sweep_eligibility = 'N';
	m->cross_type = 'N';
	memcpy(m->cl_ord_id, "ABCDEFGH      ", 14);
	memcpy(m->opts.firm, "FPST", 4);
	fp_ouch_opt_add(&m->opts, FP_OUCH_TAG_FIRM);
}

/* The reference encoder: a prepared packet, then the fields that change per order. */
static size_t hand_encode(uint8_t *out, const uint8_t *tmpl, size_t len, uint32_t urn, uint32_t qty,
			  int64_t price)
{
	memcpy(out, tmpl, len);
	fp_put_be32(out + 3 + 1, urn);
	fp_put_be32(out + 3 + 6, qty);
	fp_put_be64(out + 3 + 18, (uint64_t)price);
	return len;
}

struct exec_fields {
	uint64_t timestamp, match;
	int64_t price;
	uint32_t urn, qty;
	uint8_t liq;
};

static int hand_decode(const uint8_t *b, size_t len, struct exec_fields *f)
{
	if (len < 36 || b[0] != 'E' || (size_t)fp_get_be16(b + 34) + 36 != len)
		return -1;
	f->timestamp = fp_get_be64(b + 1);
	f->urn = fp_get_be32(b + 9);
	f->qty = fp_get_be32(b + 13);
	f->price = (int64_t)fp_get_be64(b + 17);
	f->liq = b[25];
	f->match = fp_get_be64(b + 26);
	return 0;
}

/* The gateway's ring -> send() path against the simulator's acceptor (one thread). */
static int gw_loopback(unsigned nb_orders, struct fp_hist *h)
{
	static const char symbols[][8] = {"        ", "AAPL    "};
	struct fp_sim_oe *oe = calloc(1, sizeof(*oe));
	struct fp_gw *gw = calloc(1, sizeof(*gw));
	struct fp_sim_engine_cfg ecfg = {.max_orders = 1 << 20, .max_symbols = 4, .max_owners = 4};
	ecfg.order_listener = fp_sim_oe_listener(oe);
	struct fp_sim_engine *e = fp_sim_engine_create(&ecfg);
	struct fp_ring *ro = aligned_alloc(64, fp_ring_memsize(1024));
	struct fp_ring *rx = aligned_alloc(64, fp_ring_memsize(4096));
	int rc = -1;
	if (!oe || !gw || !e || !ro || !rx || fp_sim_engine_add_symbol(e, 1, "AAPL", 100) < 0 ||
	    fp_ring_init(ro, 1024, "orders") < 0 || fp_ring_init(rx, 4096, "execs") < 0)
		goto out;
	struct fp_sim_oe_cfg ocfg = {.history = 1 << 20};
	if (fp_sim_oe_init(oe, &ocfg, e) < 0)
		goto out;
	struct fp_gw_cfg gcfg = {.port = fp_sim_oe_port(oe),
				 .username = FP_SIM_OE_DEFAULT_USER,
				 .password = FP_SIM_OE_DEFAULT_PASSWORD,
				 .firm = FP_SIM_OE_DEFAULT_FIRM,
				 .order_ring = ro,
				 .exec_ring = rx,
				 .symbols = &symbols[0][0],
				 .nb_symbols = 2,
				 .max_orders = 1 << 16,
				 .t2t_hist = h};
	if (fp_gw_init(gw, &gcfg) < 0)
		goto out_oe;
	double end = now_s() + 3;
	while (fp_gw_stats(gw)->session != FP_GW_UP && now_s() < end) {
		fp_sim_oe_poll(oe);
		fp_gw_poll(gw, 32);
	}
	if (fp_gw_stats(gw)->session != FP_GW_UP)
		goto out_gw;
	struct fp_event ev, x;
	for (unsigned i = 0; i < nb_orders; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.type = FP_EV_ORDER_NEW;
		ev.symbol_id = 1;
		ev.u.order.client_order_id = i + 1;
		ev.u.order.side = i & 1 ? 'S' : 'B';
		ev.u.order.shares = 100;
		/* buys below, sells above: nothing trades, the book just grows */
		ev.u.order.price = i & 1 ? 2000000 + (i % 512) * 100 : 1000000 - (i % 512) * 100;
		ev.t_rx = fp_tsc_now();
		fp_ring_enqueue_burst(ro, &ev, 1);
		fp_gw_poll(gw, 1); /* the measured path: ring -> encode -> send() */
		for (int k = 0; k < 4; k++)
			fp_sim_oe_poll(oe);
		while (fp_ring_dequeue_burst(rx, &x, 1))
			;
		if (fp_gw_stats(gw)->nb_open > 60000)
			break;
	}
	rc = 0;
out_gw:
	fp_gw_fini(gw);
out_oe:
	fp_sim_oe_fini(oe);
out:
	fp_sim_engine_destroy(e);
	free(ro);
	free(rx);
	free(gw);
	free(oe);
	return rc;
}

/* Reference for the gateway figure: send() alone of the same 59 bytes on a loopback TCP
 * connection with TCP_NODELAY, the peer in an epoll set answering each message with 67
 * bytes (an Order Accepted), read back after each send: the gateway's traffic pattern. */
static int raw_send(unsigned nb, struct fp_hist *h)
{
	int ls = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0), s = -1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	int one = 1, rc = -1, ep = -1;
	if (ls < 0 || c < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(ls, 1) < 0 || getsockname(ls, (struct sockaddr *)&sa, &sl) < 0 ||
	    connect(c, (struct sockaddr *)&sa, sizeof(sa)) < 0 || (s = accept(ls, NULL, NULL)) < 0)
		goto out;
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* The receiver sits in an epoll set, as the simulator's sockets do: the wake-up is part
	 * of what send() costs on loopback. */
	ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN};
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) < 0)
		goto out;
	uint8_t pkt[59] = {0, 57, 'U', 'O'}, sink[4096];
	for (unsigned i = 0; i < nb; i++) {
		pkt[7] = (uint8_t)i;
		uint64_t t0 = fp_tsc_now();
		if (send(c, pkt, sizeof(pkt), MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)sizeof(pkt))
			goto out;
		fp_hist_record(h, fp_tsc_now() - t0);
		/* as in the gateway's poll: read the venue after sending; the venue answers */
		while (recv(c, sink, sizeof(sink), MSG_DONTWAIT) > 0)
			;
		while (recv(s, sink, sizeof(sink), MSG_DONTWAIT) > 0)
			;
		if (send(s, sink, 67, MSG_NOSIGNAL | MSG_DONTWAIT) != 67)
			goto out;
	}
	rc = 0;
out:
	if (ep >= 0)
		close(ep);
	if (s >= 0)
		close(s);
	if (c >= 0)
		close(c);
	if (ls >= 0)
		close(ls);
	return rc;
}

int fp_bench_ouch(int argc, char **argv)
{
	bool json = fp_bench_want_json(argc, argv);
	unsigned runs = 7, nb_orders = 20000;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: fastpath-bench ouch [--json] [--runs R] [--orders N]\n%s\n",
			       fp_bench_ouch_summary);
			return 0;
		} else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
			uint64_t v_;
			if (fp_bench_opt_u64("ouch", argv[i], argv[i + 1], UINT32_MAX, &v_) < 0)
				return 2;
			runs = (unsigned)v_;
			i++;
		} else if (!strcmp(argv[i], "--orders") && i + 1 < argc) {
			uint64_t v_;
			if (fp_bench_opt_u64("ouch", argv[i], argv[i + 1], UINT32_MAX, &v_) < 0)
				return 2;
			nb_orders = (unsigned)v_;
			i++;
		} else if (strcmp(argv[i], "--json") && strcmp(argv[i], "ouch")) {
			fprintf(stderr, "fastpath-bench ouch: unknown argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (runs == 0 || runs > RUNS_MAX || nb_orders == 0 || nb_orders > 1000000) {
		fprintf(stderr, "fastpath-bench ouch: --runs 1..%d, --orders 1..1000000\n",
			RUNS_MAX);
		return 2;
	}
	struct fp_ouch_msg m;
	enter_msg(&m);
	uint8_t pkt[FP_SOUP_HDR_SIZE + FP_OUCH_MAX_MSG], tmpl[sizeof(pkt)];
	int n = fp_ouch_encode(&m, tmpl + 3, FP_OUCH_MAX_MSG);
	fp_soup_put_hdr(tmpl, 'U', (size_t)n);
	size_t tlen = (size_t)n + 3;

	struct fp_ouch_msg e = {.type = 'E',
				.dir = FP_OUCH_OUTBOUND,
				.quantity = 100,
				.price = 1502500,
				.liquidity_flag = 'A',
				.match_number = 77};
	uint8_t ebuf[64];
	int elen = fp_ouch_encode(&e, ebuf, sizeof(ebuf));

	double genc[RUNS_MAX], enc[RUNS_MAX], henc[RUNS_MAX], dec[RUNS_MAX], hdec[RUNS_MAX];
	volatile uint64_t sink = 0;
	for (unsigned r = 0; r < runs; r++) {
		double t0 = now_s();
		for (uint32_t i = 0; i < NB_MSGS; i++) {
			m.user_ref_num = i;
			m.quantity = 100 + (i & 7);
			int k = fp_ouch_encode(&m, pkt + 3, FP_OUCH_MAX_MSG);
			fp_soup_put_hdr(pkt, 'U', (size_t)k);
			sink += pkt[7];
		}
		double t1 = now_s();
		for (uint32_t i = 0; i < NB_MSGS; i++) {
			int k = fp_ouch_encode_enter_order(
				pkt + 3, FP_OUCH_MAX_MSG, i, 'B', 100 + (i & 7), "AAPL    ",
				1502500, '0', 'Y', 'P', 'N', 'N', "ABCDEFGH      ", "FPST");
			fp_soup_put_hdr(pkt, 'U', (size_t)k);
			sink += pkt[7];
		}
		double t1b = now_s();
		for (uint32_t i = 0; i < NB_MSGS; i++) {
			hand_encode(pkt, tmpl, tlen, i, 100 + (i & 7), 1502500);
			sink += pkt[7];
		}
		double t2 = now_s();
		struct fp_ouch_msg d;
		for (uint32_t i = 0; i < NB_MSGS; i++) {
			ebuf[12] = (uint8_t)i;
			if (fp_ouch_decode(FP_OUCH_OUTBOUND, ebuf, (size_t)elen, &d) == FP_OUCH_OK)
				sink += d.user_ref_num;
		}
		double t3 = now_s();
		struct exec_fields f;
		for (uint32_t i = 0; i < NB_MSGS; i++) {
			ebuf[12] = (uint8_t)i;
			if (hand_decode(ebuf, (size_t)elen, &f) == 0)
				sink += f.urn;
		}
		double t4 = now_s();
		genc[r] = (t1 - t0) * 1e9 / NB_MSGS;
		enc[r] = (t1b - t1) * 1e9 / NB_MSGS;
		henc[r] = (t2 - t1b) * 1e9 / NB_MSGS;
		dec[r] = (t3 - t2) * 1e9 / NB_MSGS;
		hdec[r] = (t4 - t3) * 1e9 / NB_MSGS;
	}
	(void)sink;

	struct fp_bench_result res[3] = {{.name = "fastpath"}, {.name = "handwritten"}};
	unsigned nb_res = 2;
	double me = median(enc, runs), mh = median(henc, runs);
	double md = median(dec, runs), mhd = median(hdec, runs);
	fp_bench_metric(&res[0], "encode_ns", me);
	fp_bench_metric(&res[0], "generic_encode_ns", median(genc, runs));
	fp_bench_metric(&res[0], "decode_ns", md);
	fp_bench_metric(&res[1], "encode_ns", mh);
	fp_bench_metric(&res[1], "decode_ns", mhd);

	uint64_t hz = 0;
	struct fp_tsc_conv conv;
	struct fp_hist *h = aligned_alloc(64, sizeof(struct fp_hist));
	if (h && fp_tsc_calibrate(&hz) == 0 && fp_tsc_conv_init(&conv, hz) == 0) {
		fp_hist_init(h);
		if (gw_loopback(nb_orders, h) == 0 && fp_hist_count(h) > 0) {
			fp_bench_metric(&res[0], "gw_order_p50_ns",
					(double)fp_tsc_to_ns(&conv, fp_hist_percentile(h, 0.50)));
			fp_bench_metric(&res[0], "gw_order_p99_ns",
					(double)fp_tsc_to_ns(&conv, fp_hist_percentile(h, 0.99)));
			fp_bench_metric(&res[0], "gw_order_max_ns",
					(double)fp_tsc_to_ns(&conv, fp_hist_max(h)));
			fp_bench_metric(&res[0], "gw_orders", (double)fp_hist_count(h));
		} else {
			fprintf(stderr, "fastpath-bench ouch: gateway loopback skipped: %s\n",
				fp_err_msg());
		}
	}
	if (h && hz && fp_tsc_conv_init(&conv, hz) == 0) {
		fp_hist_init(h);
		if (raw_send(nb_orders, h) == 0) {
			res[2].name = "tcp_send";
			fp_bench_metric(&res[2], "send_p50_ns",
					(double)fp_tsc_to_ns(&conv, fp_hist_percentile(h, 0.50)));
			fp_bench_metric(&res[2], "send_p99_ns",
					(double)fp_tsc_to_ns(&conv, fp_hist_percentile(h, 0.99)));
			nb_res = 3;
		}
	}
	free(h);
	struct fp_bench_result extra = {.name = "ratios"};
	fp_bench_metric(&extra, "ratio_encode", mh > 0 ? me / mh : 0);
	fp_bench_metric(&extra, "ratio_decode", mhd > 0 ? md / mhd : 0);
	if (nb_res == 3 && fp_bench_get(&res[2], "send_p50_ns", 0) > 0)
		fp_bench_metric(&extra, "ratio_gw_order_vs_send_p50",
				fp_bench_get(&res[0], "gw_order_p50_ns", 0) /
					fp_bench_get(&res[2], "send_p50_ns", 1));
	fp_bench_report(stdout, "ouch", json, res, nb_res, &extra);
	return 0;
}
