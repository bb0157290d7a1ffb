/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_md.c - the md stage end to end (rx -> MoldUDP64 -> ITCH -> event -> ring):
 *   negative config; the real captures (fields of the spec's Add Order example, every
 *   message of the zeroed-sequence captures in passthrough); a generated feed through the
 *   pcap backend equals the reference normalization; A/B lines with disjoint losses merge
 *   into the full stream; a lost range recovered from a real UDP rerequest server on
 *   loopback; an unrecoverable gap -> FP_EV_MD_STALE then the rest (injected clock); a
 *   full ring -> overruns counted and FP_EV_MD_STALE(overrun) before newer events; the
 *   stock directory fills the symbol table; the UDP backend over loopback multicast gives
 *   the same stream (generated feed, and every real capture against the pcap backend);
 *   symbols sharded over two rings with the gap STALE in both; fp_md_poll makes no syscall
 *   (seccomp filter) through a gap, its stale timeout and the drain.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <glob.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "md_stage_util.h"
#include "fp_test_ports.h"

START_TEST(test_md_rejects_bad_config)
{
	struct fp_md md;
	struct fp_ring *ring = ring_new(64);
	struct fp_md_cfg cfg = stage_cfg(ring);
	cfg.nb_lines = 0;
	ck_assert_int_eq(fp_md_init(&md, &cfg), -EINVAL);
	cfg = stage_cfg(ring);
	cfg.nb_rings = 0;
	ck_assert_int_eq(fp_md_init(&md, &cfg), -EINVAL);
	cfg = stage_cfg(ring);
	cfg.mold.window = 1000;
	ck_assert_int_eq(fp_md_init(&md, &cfg), -EINVAL);
	cfg = stage_cfg(ring);
	cfg.lines[0].pcap_path = "/nonexistent.pcap";
	ck_assert_int_eq(fp_md_init(&md, &cfg), -ENOENT);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "line A"));
	free(ring);
}
END_TEST

START_TEST(test_md_real_add_order_has_spec_fields)
{
	if (!shared_data_present())
		return;
	struct fp_md md;
	struct fp_ring *ring = ring_new(64);
	struct fp_md_cfg cfg = stage_cfg(ring);
	cfg.lines[0].pcap_path = ITCH_PCAP_DIR "/AddOrderNoMpidAttributionMessage.pcap";
	cfg.mold.first_seq = 0; /* join the session where the capture starts */
	fp_md_group_parse("233.54.12.111:26477", &cfg.lines[0].groups[0]);
	cfg.lines[0].nb_groups = 1;
	ck_assert_int_eq(fp_md_init(&md, &cfg), 0);
	struct evlist got = {0};
	stage_run(&md, ring, &got, 2000);
	ck_assert_uint_eq(got.n, 1);
	const struct fp_event *e = &got.ev[0];
	ck_assert_uint_eq(e->type, FP_EV_MD_ADD);
	ck_assert_uint_eq(e->symbol_id, 5528);
	ck_assert_uint_eq(e->source, 7);
	ck_assert_uint_ne(e->t_rx, 0);
	ck_assert_uint_ne(e->seq, 0);
	ck_assert_uint_eq(e->u.add.ts_ns, 34199999894278ull);
	ck_assert_uint_eq(e->u.add.order_reference_number, 23508286);
	ck_assert_uint_eq(e->u.add.side, 'B');
	ck_assert_uint_eq(e->u.add.shares, 1600);
	ck_assert_int_eq(e->u.add.price, 873900);
	ck_assert_uint_eq(md.stats->messages, 1);
	ck_assert_uint_eq(md.stats->by_type['A' - 'A'], 1);
	evlist_free(&got);
	fp_md_fini(&md);
	free(ring);
}
END_TEST

START_TEST(test_md_zeroed_captures_decode_every_message_in_passthrough)
{
	if (!shared_data_present())
		return;
	glob_t g;
	ck_assert_int_eq(glob(ITCH_PCAP_DIR "/20230822_*.pcap", 0, NULL, &g), 0);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct fp_md md;
		struct fp_ring *ring = ring_new(64);
		struct fp_md_cfg cfg = stage_cfg(ring);
		cfg.lines[0].pcap_path = g.gl_pathv[i];
		cfg.mold.passthrough = 1;
		ck_assert_int_eq(fp_md_init(&md, &cfg), 0);
		struct evlist got = {0};
		stage_run(&md, ring, &got, 2000);
		ck_assert_msg(got.n >= 1 && got.n == md.stats->messages, "%s: %zu events",
			      g.gl_pathv[i], got.n);
		for (size_t k = 0; k < got.n; k++)
			ck_assert_uint_eq(got.ev[k].type, got.ev[0].type);
		ck_assert_uint_eq(md.stats->errors, 0);
		evlist_free(&got);
		fp_md_fini(&md);
		free(ring);
	}
	globfree(&g);
}
END_TEST

struct keep_arg {
	unsigned mod, rem; /* drop packets with i % mod == rem */
};

static bool keep_fn(uint64_t i, void *arg)
{
	const struct keep_arg *k = arg;
	return k->mod == 0 || i % k->mod != k->rem;
}

START_TEST(test_md_generated_feed_matches_reference)
{
	struct fp_md_feed f;
	struct fp_md_gen_cfg gc = gen_cfg(50000, 1);
	ck_assert_int_eq(fp_md_gen_feed(&f, &gc), 0);
	uint8_t *img;
	size_t img_len;
	ck_assert_int_eq(fp_md_gen_pcap(&f, true, NULL, NULL, &img, &img_len), 0);
	struct fp_ring *ring = ring_new(1024);
	struct fp_md_cfg cfg = stage_cfg(ring);
	cfg.lines[0].pcap_buf = img;
	cfg.lines[0].pcap_len = img_len;
	struct fp_md md;
	ck_assert_int_eq(fp_md_init(&md, &cfg), 0);
	struct evlist got = {0}, want = {0};
	stage_run(&md, ring, &got, 10000);
	feed_reference(&f, &want);
	assert_same_events(&want, &got, "pcap backend");
	ck_assert_uint_eq(md.stats->messages, f.nb_msgs);
	for (unsigned t = 0; t < 64; t++)
		ck_assert_uint_eq(md.stats->by_type[t], f.by_type[t]);
	ck_assert_uint_eq(md.stats->gaps, 0);
	ck_assert_uint_eq(md.stats->errors, 0);
	ck_assert_uint_eq(md.stats->overruns, 0);
	evlist_free(&got);
	evlist_free(&want);
	fp_md_fini(&md);
	free(ring);
	free(img);
	fp_md_gen_free(&f);
}
END_TEST

START_TEST(test_md_ab_lines_with_disjoint_losses_merge)
{
	struct fp_md_feed f;
	struct fp_md_gen_cfg gc = gen_cfg(20000, 2);
	ck_assert_int_eq(fp_md_gen_feed(&f, &gc), 0);
	uint8_t *a, *b;
	size_t a_len, b_len;
	struct keep_arg ka = {3, 0}, kb = {3, 1};
	ck_assert_int_eq(fp_md_gen_pcap(&f, false, keep_fn, &ka, &a, &a_len), 0);
	ck_assert_int_eq(fp_md_gen_pcap(&f, false, keep_fn, &kb, &b, &b_len), 0);
	struct fp_ring *ring = ring_new(1024);
	struct fp_md_cfg cfg = stage_cfg(ring);
	cfg.nb_lines = 2;
	cfg.lines[0].pcap_buf = a;
	cfg.lines[0].pcap_len = a_len;
	cfg.lines[1] = cfg.lines[0];
	cfg.lines[1].pcap_buf = b;
	cfg.lines[1].pcap_len = b_len;
	struct fp_md md;
	ck_assert_int_eq(fp_md_init(&md, &cfg), 0);
	struct evlist got = {0}, want = {0};
	stage_run(&md, ring, &got, 10000);
	feed_reference(&f, &want);
	assert_same_events(&want, &got, "A/B merge");
	ck_assert_uint_gt(md.stats->duplicates, 0);
	ck_assert_uint_eq(md.stats->mold.lost, 0);
	ck_assert_uint_gt(md.stats->mold.packets[0], 0);
	ck_assert_uint_gt(md.stats->mold.packets[1], 0);
	evlist_free(&got);
	evlist_free(&want);
	fp_md_fini(&md);
	free(ring);
	free(a);
	free(b);
	fp_md_gen_free(&f);
}
END_TEST

/* A MoldUDP64 rerequest server on loopback answering from the full feed. */
struct responder {
	const struct fp_md_feed *f;
	int fd;
	uint16_t port;
	atomic_int stop;
	unsigned nb_requests;
};

static void *responder_main(void *arg)
{
	struct responder *r = arg;
	while (!atomic_load(&r->stop)) {
		struct pollfd pfd = {.fd = r->fd, .events = POLLIN};
		if (poll(&pfd, 1, 10) <= 0)
			continue;
		uint8_t req[64];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(r->fd, req, sizeof(req), 0, (struct sockaddr *)&from, &fl);
		const char *sess;
		uint64_t seq;
		uint16_t cnt;
		if (n <= 0 || fp_mold_request_parse(req, (uint32_t)n, &sess, &seq, &cnt) != 0)
			continue;
		r->nb_requests++;
		/* Answer with the original packets that hold [seq, seq + cnt). */
		for (uint64_t i = 0; i < r->f->nb_pkts; i++) {
			uint64_t s0 = r->f->first_seq[i], s1 = s0 + r->f->count[i];
			if (s1 <= seq || s0 >= seq + cnt)
				continue;
			sendto(r->fd, r->f->buf + r->f->off[i], r->f->len[i], 0,
			       (struct sockaddr *)&from, fl);
		}
	}
	return NULL;
}

START_TEST(test_md_lost_range_recovered_from_rerequest_server)
{
	struct fp_md_feed f;
	struct fp_md_gen_cfg gc = gen_cfg(20000, 3);
	ck_assert_int_eq(fp_md_gen_feed(&f, &gc), 0);
	uint8_t *img;
	size_t img_len;
	struct keep_arg k = {50, 7}; /* lose every 50th packet */
	ck_assert_int_eq(fp_md_gen_pcap(&f, false, keep_fn, &k, &img, &img_len), 0);

	struct responder r = {.f = &f};
	r.fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(bind(r.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	socklen_t sl = sizeof(sa);
	getsockname(r.fd, (struct sockaddr *)&sa, &sl);
	r.port = ntohs(sa.sin_port);
	pthread_t th;
	pthread_create(&th, NULL, responder_main, &r);

	struct fp_ring *ring = ring_new(1024);
	struct fp_md_cfg cfg = stage_cfg(ring);
	cfg.lines[0].pcap_buf = img;
	cfg.lines[0].pcap_len = img_len;
	cfg.rerequest_addr = INADDR_LOOPBACK;
	cfg.rerequest_port = r.port;
	struct fp_md md;
	ck_assert_int_eq(fp_md_init(&md, &cfg), 0);
	struct evlist got = {0}, want = {0};
	stage_run(&md, ring, &got, 20000);
	atomic_store(&r.stop, 1);
	pthread_join(th, NULL);
	close(r.fd);

	feed_reference(&f, &want);
	assert_same_events(&want, &got, "recovered");
	ck_assert_uint_gt(md.stats->gaps, 0);
	ck_assert_uint_gt(md.stats->requests_sent, 0);
	ck_assert_uint_gt(md.stats->mold.packets[FP_MD_MOLD_LINE_RETRANS], 0);
	ck_assert_uint_eq(md.stats->mold.lost, 0);
	/* nothing lost: only the marks around the recovery (stale, then live again) */
	ck_assert_uint_eq(md.stats->stale_events, 2 * md.stats->recoveries);
	ck_assert_uint_gt(md.stats->recoveries, 0);
	ck_assert_uint_eq(md.stats->state, FP_MD_LIVE);
	ck_assert_uint_eq(md.stats->last_path, 1);
	size_t replayed = 0;
	for (size_t i = 0; i < got.n; i++)
		replayed += (got.ev[i].flags & FP_EVF_REPLAY) != 0;
	ck_assert_uint_gt(replayed, 0);
	evlist_free(&got);
	evlist_free(&want);
	fp_md_fini(&md);
	free(ring);
	free(img);
	fp_md_gen_free(&f);
}
END_TEST

static uint64_t fake_clock(void *arg)
{
	return *(uint64_t *)arg;
}

START_TEST(test_md_unrecoverable_gap_emits_stale_then_moves_on)
{
	struct fp_md_feed f;
	struct fp_md_gen_cfg gc = gen_cfg(3000, 4);
	ck_assert_int_eq(fp_md_gen_feed(&f, &gc), 0);
	uint8_t *img;
	size_t img_len;
	struct keep_arg k = {100000, 40}; /* lose packet 40 only */
	ck_assert_int_eq(fp_md_gen_pcap(&f, false, keep_fn, &k, &img, &img_len), 0);
	uint64_t now = 1000 * MS_NS;
	struct fp_ring *ring = ring_new(4096);
	struct fp_md_cfg cfg = stage_cfg(ring);
	cfg.lines[0].pcap_buf = img;
	cfg.lines[0].pcap_len = img_len;
	cfg.clock_ns = fake_clock;
	cfg.clock_arg = &now;
	cfg.mold.stale_timeout_ns = 50 * MS_NS;
	struct fp_md md;
	ck_assert_int_eq(fp_md_init(&md, &cfg), 0);
	struct evlist got = {0};
	for (int i = 0; i < 1000 && !fp_md_eof(&md); i++)
		fp_md_poll(&md, 64);
	ring_drain(ring, &got);
	uint64_t lost_seq = f.first_seq[40], lost_n = f.count[40];
	ck_assert_uint_eq(got.n, lost_seq - 1); /* stopped at the hole */
	ck_assert(fp_md_mold_gap_open(md.mold));
	now += 49 * MS_NS;
	fp_md_poll(&md, 64);
	ring_drain(ring, &got);
	ck_assert_uint_eq(got.n, lost_seq - 1); /* not yet */
	now += 2 * MS_NS;
	for (int i = 0; i < 10; i++) /* the buffered rest drains over a few polls */
		fp_md_poll(&md, 64);
	ring_drain(ring, &got);
	const struct fp_event *st = &got.ev[lost_seq - 1];
	ck_assert_uint_eq(st->type, FP_EV_MD_STALE);
	ck_assert_uint_eq(st->symbol_id, 0);
	ck_assert_uint_eq(st->flags & FP_EVF_STALE, FP_EVF_STALE);
	ck_assert_uint_eq(st->u.stale.reason, FP_STALE_GAP);
	ck_assert_uint_eq(st->u.stale.first_missing_seq, lost_seq);
	ck_assert_uint_eq(st->u.stale.nb_missing, lost_n);
	ck_assert_uint_eq(got.n, f.nb_msgs - lost_n + 1);
	ck_assert_uint_eq(got.ev[lost_seq].seq, lost_seq + lost_n);
	ck_assert_uint_eq(got.ev[got.n - 1].seq, f.nb_msgs);
	ck_assert_uint_eq(md.stats->mold.lost, lost_n);
	/* RECOVERING when the gap opened, GAP when given up; no snapshot server: data lost for
	 * good, the books stay stale (BROKEN), nothing says they are live again */
	ck_assert_uint_eq(md.stats->stale_events, 2);
	ck_assert_uint_eq(md.stats->state, FP_MD_BROKEN);
	ck_assert_uint_eq(md.stats->recoveries, 0);
	evlist_free(&got);
	fp_md_fini(&md);
	free(ring);
	free(img);
	fp_md_gen_free(&f);
}
END_TEST

START_TEST(test_md_full_ring_counts_overruns_and_marks_symbols_stale)
{
	struct fp_md_feed f;
	struct fp_md_gen_cfg gc = gen_cfg(2000, 5);
	gc.nb_symbols = 3;
	ck_assert_int_eq(fp_md_gen_feed(&f, &gc), 0);
	uint8_t *img;
	size_t img_len;
	ck_assert_int_eq(fp_md_gen_pcap(&f, false, NULL, NULL, &img, &img_len), 0);
	struct fp_ring *ring = ring_new(64);
	struct fp_md_cfg cfg = stage_cfg(ring);
	cfg.lines[0].pcap_buf = img;
	cfg.lines[0].pcap_len = img_len;
	struct fp_md md;
	ck_assert_int_eq(fp_md_init(&md, &cfg), 0);
	fp_md_poll(&md, 64); /* ~290 messages into a 64-slot ring nobody reads */
	ck_assert_uint_gt(md.stats->overruns, 0);
	ck_assert_uint_eq(fp_ring_count(ring), 64);
	struct evlist got = {0};
	ring_drain(ring, &got);
	size_t first_after = got.n;
	fp_md_poll(&md, 1);
	ring_drain(ring, &got);
	/* The STALE marks come first, one per dropped symbol (at most 3 + system events). */
	size_t nb_stale = 0;
	for (size_t i = first_after; i < got.n && got.ev[i].type == FP_EV_MD_STALE; i++) {
		ck_assert_uint_eq(got.ev[i].u.stale.reason, FP_STALE_OVERRUN);
		ck_assert_uint_le(got.ev[i].symbol_id, 3);
		nb_stale++;
	}
	ck_assert_uint_ge(nb_stale, 1);
	ck_assert_uint_eq(md.stats->stale_events, nb_stale);
	for (size_t i = first_after + nb_stale; i < got.n; i++)
		ck_assert_uint_ne(got.ev[i].type, FP_EV_MD_STALE);
	evlist_free(&got);
	fp_md_fini(&md);
	free(ring);
	free(img);
	fp_md_gen_free(&f);
}
END_TEST

START_TEST(test_md_stock_directory_fills_symbol_table)
{
	struct fp_md_feed f;
	struct fp_md_gen_cfg gc = gen_cfg(1000, 6);
	gc.nb_symbols = 20;
	ck_assert_int_eq(fp_md_gen_feed(&f, &gc), 0);
	uint8_t *img;
	size_t img_len;
	ck_assert_int_eq(fp_md_gen_pcap(&f, false, NULL, NULL, &img, &img_len), 0);
	struct fp_symtab *tab = aligned_alloc(64, sizeof(*tab));
	fp_symtab_init(tab);
	struct fp_ring *ring = ring_new(2048);
	struct fp_md_cfg cfg = stage_cfg(ring);
	cfg.lines[0].pcap_buf = img;
	cfg.lines[0].pcap_len = img_len;
	cfg.symtab = tab;
	struct fp_md md;
	ck_assert_int_eq(fp_md_init(&md, &cfg), 0);
	struct evlist got = {0};
	stage_run(&md, ring, &got, 5000);
	for (unsigned s = 1; s <= 20; s++) {
		ck_assert(fp_symtab_valid(tab, (uint16_t)s));
		ck_assert_uint_eq(tab->sym[s].round_lot, 100);
		ck_assert_uint_eq(tab->sym[s].name[0], 'S');
	}
	ck_assert(!fp_symtab_valid(tab, 21));
	ck_assert_mem_eq(tab->sym[1].name, "SAAAB   ", 8);
	evlist_free(&got);
	fp_md_fini(&md);
	free(ring);
	free(tab);
	free(img);
	fp_md_gen_free(&f);
}
END_TEST

START_TEST(test_md_udp_multicast_gives_the_same_stream)
{
	struct fp_md_feed f;
	struct fp_md_gen_cfg gc = gen_cfg(10000, 7);
	ck_assert_int_eq(fp_md_gen_feed(&f, &gc), 0);
	uint16_t port = fp_test_ports_claim();
	ck_assert_msg(port, "no free block of test ports");
	struct fp_ring *ring = ring_new(4096);
	struct fp_md_cfg cfg = stage_cfg(ring);
	cfg.lines[0].kind = FP_MD_RX_UDP;
	cfg.lines[0].nb_groups = 1;
	cfg.lines[0].groups[0] = (struct fp_md_group){.addr = 0xEF0A0A0B, .port = port};
	cfg.lines[0].if_addr = INADDR_LOOPBACK;
	cfg.lines[0].rcvbuf_bytes = 4 << 20;
	struct fp_md md;
	int rc = fp_md_init(&md, &cfg);
	ck_assert_msg(rc == 0, "%s", fp_err_msg());
	int tx = socket(AF_INET, SOCK_DGRAM, 0);
	struct in_addr lo = {.s_addr = htonl(INADDR_LOOPBACK)};
	int one = 1;
	setsockopt(tx, IPPROTO_IP, IP_MULTICAST_IF, &lo, sizeof(lo));
	setsockopt(tx, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof(one));
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(0xEF0A0A0B)};
	struct evlist got = {0}, want = {0};
	for (uint64_t i = 0; i < f.nb_pkts; i++) {
		ck_assert_int_eq(sendto(tx, f.buf + f.off[i], f.len[i], 0, (struct sockaddr *)&to,
					sizeof(to)),
				 (ssize_t)f.len[i]);
		if (i % 32 == 31)
			while (fp_md_poll(&md, 64))
				ring_drain(ring, &got);
	}
	for (int idle = 0; idle < 200 && got.n < f.nb_msgs; idle++) {
		if (!fp_md_poll(&md, 64))
			usleep(1000);
		ring_drain(ring, &got);
	}
	feed_reference(&f, &want);
	assert_same_events(&want, &got, "udp multicast");
	close(tx);
	evlist_free(&got);
	evlist_free(&want);
	fp_md_fini(&md);
	free(ring);
	fp_md_gen_free(&f);
}
END_TEST

/* Every real capture: the events of the pcap backend equal those of the same UDP payloads
 * sent over loopback multicast to the UDP backend. */
START_TEST(test_md_udp_equals_pcap_on_real_captures)
{
	if (!shared_data_present())
		return;
	glob_t g;
	ck_assert_int_eq(glob(ITCH_PCAP_DIR "/*.pcap", 0, NULL, &g), 0);
	uint16_t port = fp_test_ports_claim();
	ck_assert_msg(port, "no free block of test ports");
	int tx = socket(AF_INET, SOCK_DGRAM, 0);
	struct in_addr lo = {.s_addr = htonl(INADDR_LOOPBACK)};
	int one = 1;
	setsockopt(tx, IPPROTO_IP, IP_MULTICAST_IF, &lo, sizeof(lo));
	setsockopt(tx, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof(one));
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(0xEF0A0A0C)};
	for (size_t i = 0; i < g.gl_pathc; i++) {
		bool zeroed = strstr(g.gl_pathv[i], "/20230822_") != NULL;
		/* 1. pcap backend */
		struct fp_ring *ring = ring_new(256);
		struct fp_md_cfg cfg = stage_cfg(ring);
		cfg.lines[0].pcap_path = g.gl_pathv[i];
		cfg.mold.first_seq = 0;
		cfg.mold.passthrough = zeroed;
		struct fp_md md;
		ck_assert_int_eq(fp_md_init(&md, &cfg), 0);
		struct evlist a = {0}, b = {0};
		stage_run(&md, ring, &a, 2000);
		fp_md_fini(&md);
		/* 2. the same payloads over UDP */
		cfg.lines[0] = (struct fp_md_rx_cfg){
			.kind = FP_MD_RX_UDP, .nb_groups = 1, .if_addr = INADDR_LOOPBACK};
		cfg.lines[0].groups[0] = (struct fp_md_group){.addr = 0xEF0A0A0C, .port = port};
		int rc = fp_md_init(&md, &cfg);
		ck_assert_msg(rc == 0, "%s", fp_err_msg());
		struct fp_md_rx *src;
		struct fp_md_rx_cfg pc = {.kind = FP_MD_RX_PCAP, .pcap_path = g.gl_pathv[i]};
		ck_assert_int_eq(fp_md_rx_open(&src, &pc), 0);
		struct fp_md_pkt pk[8];
		unsigned n;
		while ((n = fp_md_rx_burst(src, pk, 8)) > 0)
			for (unsigned k = 0; k < n; k++)
				ck_assert_int_eq(sendto(tx, pk[k].data, pk[k].len, 0,
							(struct sockaddr *)&to, sizeof(to)),
						 (ssize_t)pk[k].len);
		fp_md_rx_close(src);
		for (int idle = 0; idle < 500 && b.n < a.n; idle++) {
			if (!fp_md_poll(&md, 64))
				usleep(1000);
			ring_drain(ring, &b);
		}
		assert_same_events(&a, &b, g.gl_pathv[i]);
		ck_assert_uint_gt(a.n, 0);
		fp_md_fini(&md);
		evlist_free(&a);
		evlist_free(&b);
		free(ring);
	}
	close(tx);
	globfree(&g);
}
END_TEST

START_TEST(test_md_shards_symbols_over_rings_and_stale_reaches_all)
{
	struct fp_md_feed f;
	struct fp_md_gen_cfg gc = gen_cfg(5000, 8);
	ck_assert_int_eq(fp_md_gen_feed(&f, &gc), 0);
	uint8_t *img;
	size_t img_len;
	struct keep_arg k = {100000, 100}; /* lose packet 100 */
	ck_assert_int_eq(fp_md_gen_pcap(&f, false, keep_fn, &k, &img, &img_len), 0);
	uint64_t now = 0;
	struct fp_ring *r0 = ring_new(8192), *r1 = ring_new(8192);
	struct fp_md_cfg cfg = stage_cfg(r0);
	cfg.rings[1] = r1;
	cfg.nb_rings = 2;
	cfg.lines[0].pcap_buf = img;
	cfg.lines[0].pcap_len = img_len;
	cfg.clock_ns = fake_clock;
	cfg.clock_arg = &now;
	cfg.mold.stale_timeout_ns = 10;
	struct fp_md md;
	ck_assert_int_eq(fp_md_init(&md, &cfg), 0);
	for (int i = 0; i < 1000 && !fp_md_eof(&md); i++)
		fp_md_poll(&md, 64);
	now = 100;
	for (int i = 0; i < 10; i++)
		fp_md_poll(&md, 64);
	struct evlist a = {0}, b = {0};
	ring_drain(r0, &a);
	ring_drain(r1, &b);
	size_t stale_a = 0, stale_b = 0;
	for (size_t i = 0; i < a.n; i++) {
		if (a.ev[i].type == FP_EV_MD_STALE)
			stale_a++;
		else
			ck_assert_uint_eq(a.ev[i].symbol_id % 2, 0);
	}
	for (size_t i = 0; i < b.n; i++) {
		if (b.ev[i].type == FP_EV_MD_STALE)
			stale_b++;
		else
			ck_assert_uint_eq(b.ev[i].symbol_id % 2, 1);
	}
	ck_assert_uint_eq(stale_a, 1);
	ck_assert_uint_eq(stale_b, 1);
	ck_assert_uint_eq(a.n + b.n - 2, f.nb_msgs - f.count[100]);
	evlist_free(&a);
	evlist_free(&b);
	fp_md_fini(&md);
	free(r0);
	free(r1);
	free(img);
	fp_md_gen_free(&f);
}
END_TEST

/* ---- no syscall in fp_md_poll (pcap backend over memory, injected clock) ---- */

struct strict_ctx {
	struct fp_md *md;
	struct fp_ring *ring;
	uint64_t *now;
	volatile uint64_t *result; /* MAP_SHARED: the child's answer */
};

/*
 * Strict mode (SECCOMP_MODE_STRICT) also disables the TSC (rdtsc faults), and the stage
 * stamps t_rx with rdtsc; so the child installs a filter instead: write, exit and
 * rt_sigreturn pass, anything else kills the process with SIGSYS.
 */
static int enter_syscall_jail(void)
{
	struct sock_filter prog[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_write, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_sigreturn, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog fp = {.len = FP_ARRAY_SIZE(prog), .filter = prog};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp);
}

static void poll_body(void *arg)
{
	struct strict_ctx *c = arg;
	uint64_t n = 0;
	for (int i = 0; i < 100000 && !fp_md_eof(c->md); i++) {
		fp_md_poll(c->md, 64);
		*c->now += 1000;
		uint32_t nb;
		while (fp_ring_peek(c->ring, 4096, &nb) && nb) {
			n += nb;
			fp_ring_release(c->ring, nb);
		}
	}
	*c->now += 10000 * MS_NS; /* give up on the gap: the STALE path too */
	for (int i = 0; i < 1000; i++) {
		fp_md_poll(c->md, 64);
		uint32_t nb;
		while (fp_ring_peek(c->ring, 4096, &nb) && nb) {
			n += nb;
			fp_ring_release(c->ring, nb);
		}
	}
	c->result[0] = n;
	c->result[1] = c->md->stats->stale_events;
}

START_TEST(test_md_poll_makes_no_syscall)
{
	struct fp_md_feed f;
	struct fp_md_gen_cfg gc = gen_cfg(20000, 9);
	ck_assert_int_eq(fp_md_gen_feed(&f, &gc), 0);
	uint8_t *img;
	size_t img_len;
	struct keep_arg k = {100000, 500}; /* one gap, never recovered */
	ck_assert_int_eq(fp_md_gen_pcap(&f, true, keep_fn, &k, &img, &img_len), 0);
	uint64_t now = 0;
	struct fp_ring *ring = ring_new(4096);
	struct fp_md_cfg cfg = stage_cfg(ring);
	cfg.lines[0].pcap_buf = img;
	cfg.lines[0].pcap_len = img_len;
	cfg.clock_ns = fake_clock;
	cfg.clock_arg = &now;
	struct fp_md md;
	ck_assert_int_eq(fp_md_init(&md, &cfg), 0);
	struct strict_ctx c = {.md = &md, .ring = ring, .now = &now};
	c.result = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne((void *)c.result, MAP_FAILED);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (enter_syscall_jail() != 0)
			_exit(3);
		poll_body(&c);
		syscall(SYS_exit, 0);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "fp_md_poll made a syscall (status 0x%x, signal %d: SIGSYS = a syscall)", st,
		      WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	/* + STALE(RECOVERING) when the gap opened, + STALE(GAP) when it was given up */
	ck_assert_uint_eq(c.result[0], f.nb_msgs - f.count[500] + 2);
	ck_assert_uint_eq(c.result[1], 2);
	munmap((void *)c.result, 4096);
	fp_md_fini(&md);
	free(ring);
	free(img);
	fp_md_gen_free(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_md");
	TCase *tc = tcase_create("stage");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_md_rejects_bad_config);
	tcase_add_test(tc, test_md_real_add_order_has_spec_fields);
	tcase_add_test(tc, test_md_zeroed_captures_decode_every_message_in_passthrough);
	tcase_add_test(tc, test_md_generated_feed_matches_reference);
	tcase_add_test(tc, test_md_ab_lines_with_disjoint_losses_merge);
	tcase_add_test(tc, test_md_lost_range_recovered_from_rerequest_server);
	tcase_add_test(tc, test_md_unrecoverable_gap_emits_stale_then_moves_on);
	tcase_add_test(tc, test_md_full_ring_counts_overruns_and_marks_symbols_stale);
	tcase_add_test(tc, test_md_stock_directory_fills_symbol_table);
	tcase_add_test(tc, test_md_udp_multicast_gives_the_same_stream);
	tcase_add_test(tc, test_md_udp_equals_pcap_on_real_captures);
	tcase_add_test(tc, test_md_shards_symbols_over_rings_and_stale_reaches_all);
	tcase_add_test(tc, test_md_poll_makes_no_syscall);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
