/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_sim_oe.c - the simulator's OUCH/SoupBinTCP acceptor over loopback, in one thread
 * (the test pumps fp_sim_oe_poll() while its clients wait). Covers:
 *   - negative: bad password (Login Rejected 'A'), unknown session ('S'), garbage, an
 *     oversized length, data before login: each disconnected with its counter while a good
 *     client keeps trading;
 *   - login, Enter Order -> Accepted (echo fields), crossing orders of two accounts ->
 *     Executed on both sides, Cancel, Replace, Modify, Mass Cancel, Account Query,
 *     Rejected with the spec's reason code;
 *   - disconnect, fills while away, reconnect with a requested sequence number: the missed
 *     messages are replayed exactly once, then live flow continues;
 *   - heartbeats from the server when idle, idle timeout of a silent client;
 *   - a slow reader (tiny socket buffers, never reads) is disconnected, others unharmed.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fp_ouch.h"
#include "fp_sim_engine.h"
#include "fp_sim_oe.h"
#include "fp_soup.h"

static const struct fp_sim_oe_user users[] = {
	{"alice", "secret1", "ALCE"},
	{"bob", "secret2", "BOBB"},
	{"carol", "secret3", "CARL"},
};

struct fixture {
	struct fp_sim_engine *e;
	struct fp_sim_oe oe;
};

static struct fp_sim_md_listener fx_md; /* market data of the next fixture (none: NULL) */

static struct fixture *fx_new(struct fp_sim_oe_cfg *cfg)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct fp_sim_engine_cfg ecfg = {
		.max_orders = 1 << 14, .max_symbols = 16, .max_owners = 16, .md_listener = fx_md};
	ecfg.order_listener = fp_sim_oe_listener(&f->oe);
	f->e = fp_sim_engine_create(&ecfg);
	ck_assert_ptr_nonnull(f->e);
	ck_assert_int_eq(fp_sim_engine_add_symbol(f->e, 1, "AAPL", 100), 0);
	ck_assert_int_eq(fp_sim_engine_add_symbol(f->e, 2, "MSFT", 100), 0);
	cfg->users = users;
	cfg->nb_users = 3;
	ck_assert_int_eq(fp_sim_oe_init(&f->oe, cfg, f->e), 0);
	return f;
}

static void fx_free(struct fixture *f)
{
	fp_sim_oe_fini(&f->oe);
	fp_sim_engine_destroy(f->e);
	free(f);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void pump(struct fixture *f, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	do {
		fp_sim_oe_poll(&f->oe);
		usleep(200);
	} while (now_ms() < end);
}

/* ---- a minimal client ---- */

struct client {
	int fd;
	int closed;
	struct fp_soup_rx rx;
	uint64_t nb_seq; /* sequenced messages received */
};

static void cl_connect(struct fixture *f, struct client *c, int rcvbuf)
{
	memset(c, 0, sizeof(*c));
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(c->fd, 0);
	if (rcvbuf)
		setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(fp_sim_oe_port(&f->oe))};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int rc = connect(c->fd, (struct sockaddr *)&sa, sizeof(sa));
	ck_assert(rc == 0 || errno == EINPROGRESS);
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fp_soup_rx_init(&c->rx, FP_SOUP_FROM_SERVER, 1024);
	pump(f, 5);
}

static void cl_send(struct fixture *f, struct client *c, const void *b, size_t n)
{
	const uint8_t *p = b;
	while (n > 0) {
		ssize_t k = send(c->fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EAGAIN) {
			pump(f, 1);
			continue;
		}
		ck_assert_int_gt(k, 0);
		p += k;
		n -= (size_t)k;
	}
}

static void cl_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Next packet other than a server heartbeat, within @p ms. 1 got one, 0 timeout, -1 EOF. */
static int cl_next(struct fixture *f, struct client *c, struct fp_soup_pkt *p, uint8_t *copy,
		   unsigned ms)
{
	uint64_t end = now_ms() + ms;
	for (;;) {
		enum fp_soup_rc rc;
		while ((rc = fp_soup_rx_next(&c->rx, p)) == FP_SOUP_OK) {
			if (p->type == FP_SOUP_SERVER_HEARTBEAT)
				continue;
			if (p->type == FP_SOUP_SEQUENCED)
				c->nb_seq++;
			memcpy(copy, p->payload, p->payload_len);
			p->payload = copy;
			return 1;
		}
		ck_assert_int_eq(rc, FP_SOUP_NEED_MORE);
		if (c->closed || now_ms() > end)
			return c->closed ? -1 : 0;
		fp_sim_oe_poll(&f->oe);
		size_t room;
		uint8_t *w = fp_soup_rx_space(&c->rx, &room);
		ssize_t n = recv(c->fd, w, room, MSG_DONTWAIT);
		if (n > 0)
			fp_soup_rx_commit(&c->rx, (size_t)n);
		else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			c->closed = 1;
		else
			usleep(100);
	}
}

/* Next OUCH message (sequenced), decoded. */
static void cl_expect(struct fixture *f, struct client *c, uint8_t type, struct fp_ouch_msg *m)
{
	struct fp_soup_pkt p;
	uint8_t copy[2048];
	int rc = cl_next(f, c, &p, copy, 2000);
	ck_assert_msg(rc == 1, "waiting for '%c': %s", type, rc == 0 ? "timeout" : "closed");
	ck_assert_msg(p.type == FP_SOUP_SEQUENCED, "got packet '%c', not S", p.type);
	ck_assert_int_eq(fp_ouch_decode(FP_OUCH_OUTBOUND, p.payload, p.payload_len, m), FP_OUCH_OK);
	ck_assert_msg(m->type == type, "expected '%c', got '%c'", type, m->type);
}

static void cl_expect_nothing(struct fixture *f, struct client *c, unsigned ms)
{
	struct fp_soup_pkt p;
	uint8_t copy[2048];
	int rc = cl_next(f, c, &p, copy, ms);
	ck_assert_msg(rc == 0, "unexpected packet '%c' (%d)", rc == 1 ? p.type : '-', rc);
}

static void cl_expect_closed(struct fixture *f, struct client *c)
{
	struct fp_soup_pkt p;
	uint8_t copy[2048];
	int rc;
	while ((rc = cl_next(f, c, &p, copy, 3000)) == 1)
		;
	ck_assert_msg(rc == -1, "connection still open");
}

/* Login; returns the sequence number of Login Accepted (0 if rejected: *reason set). */
static uint64_t cl_login(struct fixture *f, struct client *c, const char *user, const char *pw,
			 const char *session, uint64_t seq, uint8_t *reason)
{
	uint8_t b[64];
	size_t n = fp_soup_build_login_request(b, sizeof(b), user, pw, session, seq);
	cl_send(f, c, b, n);
	struct fp_soup_pkt p;
	uint8_t copy[2048];
	ck_assert_int_eq(cl_next(f, c, &p, copy, 2000), 1);
	if (p.type == FP_SOUP_LOGIN_REJECTED) {
		*reason = p.payload[0];
		return 0;
	}
	ck_assert_int_eq(p.type, FP_SOUP_LOGIN_ACCEPTED);
	struct fp_soup_login l;
	ck_assert_int_eq(fp_soup_parse_login_accepted(&p, &l), 0);
	ck_assert_str_eq(l.session, "FPSIM00001");
	return l.sequence_number;
}

static void cl_ouch(struct fixture *f, struct client *c, const struct fp_ouch_msg *m)
{
	uint8_t b[FP_OUCH_MAX_MSG + 3];
	int n = fp_ouch_encode(m, b + 3, sizeof(b) - 3);
	ck_assert_int_gt(n, 0);
	fp_soup_put_hdr(b, FP_SOUP_UNSEQUENCED, (size_t)n);
	cl_send(f, c, b, (size_t)n + 3);
}

static void cl_enter(struct fixture *f, struct client *c, uint32_t urn, uint8_t side, uint32_t qty,
		     const char *sym, int64_t price, uint8_t tif)
{
	struct fp_ouch_msg m = {.type = 'O', .dir = FP_OUCH_INBOUND, .has_appendage = 1};
	m.user_ref_num = urn;
	m.side = side;
	m.quantity = qty;
	memset(m.symbol, ' ', 8);
	memcpy(m.symbol, sym, strlen(sym));
	m.price = price;
	m.time_in_force = tif;
	m.display = 'Y';
	m.capacity = 'P';
	m.intermarket_sweep_eligibility = 'N';
	m.cross_type = 'N';
	memcpy(m.cl_ord_id, "CL-0000000000 ", 14);
	m.cl_ord_id[12] = (char)('0' + urn % 10);
	cl_ouch(f, c, &m);
}

static void cl_cancel(struct fixture *f, struct client *c, uint32_t urn, uint32_t qty)
{
	struct fp_ouch_msg m = {.type = 'X', .dir = FP_OUCH_INBOUND};
	m.user_ref_num = urn;
	m.quantity = qty;
	cl_ouch(f, c, &m);
}

/* ---- negative ---- */

START_TEST(test_oe_rejects_bad_password_and_unknown_session)
{
	struct fp_sim_oe_cfg cfg = {0};
	struct fixture *f = fx_new(&cfg);
	struct client c;
	uint8_t reason = 0;
	cl_connect(f, &c, 0);
	ck_assert_uint_eq(cl_login(f, &c, "alice", "wrong", "", 0, &reason), 0);
	ck_assert_int_eq(reason, FP_SOUP_REJECT_NOT_AUTHORIZED);
	cl_expect_closed(f, &c);
	cl_close(&c);
	cl_connect(f, &c, 0);
	ck_assert_uint_eq(cl_login(f, &c, "mallory", "secret1", "", 0, &reason), 0);
	ck_assert_int_eq(reason, FP_SOUP_REJECT_NOT_AUTHORIZED);
	cl_close(&c);
	cl_connect(f, &c, 0);
	ck_assert_uint_eq(cl_login(f, &c, "alice", "secret1", "OTHERSESS", 0, &reason), 0);
	ck_assert_int_eq(reason, FP_SOUP_REJECT_NO_SESSION);
	cl_close(&c);
	pump(f, 20);
	ck_assert_uint_eq(fp_sim_oe_stats(&f->oe)->nb_login_rejected, 3);
	ck_assert_uint_eq(fp_sim_oe_stats(&f->oe)->nb_logins, 0);
	ck_assert_uint_eq(fp_sim_oe_stats(&f->oe)->nb_clients, 0);
	fx_free(f);
}
END_TEST

START_TEST(test_oe_disconnects_misbehaving_clients_while_good_one_trades)
{
	struct fp_sim_oe_cfg cfg = {0};
	struct fixture *f = fx_new(&cfg);
	struct client good, bad;
	struct fp_ouch_msg m;
	uint8_t r;
	cl_connect(f, &good, 0);
	ck_assert_uint_eq(cl_login(f, &good, "alice", "secret1", "", 0, &r), 1);

	cl_connect(f, &bad, 0); /* garbage */
	cl_send(f, &bad, "GET / HTTP/1.1\r\n\r\n", 18);
	cl_expect_closed(f, &bad);
	cl_close(&bad);
	ck_assert_uint_eq(fp_sim_oe_stats(&f->oe)->nb_bad_framing, 1);

	cl_connect(f, &bad, 0); /* oversized length */
	cl_send(f, &bad, "\xff\xffU", 3);
	cl_expect_closed(f, &bad);
	cl_close(&bad);
	ck_assert_uint_eq(fp_sim_oe_stats(&f->oe)->nb_bad_framing, 2);

	cl_connect(f, &bad, 0); /* order before login */
	cl_enter(f, &bad, 1, 'B', 100, "AAPL", 1000000, '0');
	cl_expect_closed(f, &bad);
	cl_close(&bad);
	ck_assert_uint_eq(fp_sim_oe_stats(&f->oe)->nb_bad_ouch, 1);

	cl_connect(f, &bad, 0); /* malformed OUCH after login: undefined tag */
	ck_assert_uint_eq(cl_login(f, &bad, "bob", "secret2", "", 0, &r), 1);
	uint8_t junk[3 + 50] = {0, 51, 'U', 'O'};
	fp_put_be16(junk + 3 + 45, 3);
	junk[3 + 47] = 2;
	junk[3 + 48] = 99;
	cl_send(f, &bad, junk, sizeof(junk));
	cl_expect_closed(f, &bad);
	cl_close(&bad);
	ck_assert_uint_eq(fp_sim_oe_stats(&f->oe)->nb_bad_ouch, 2);

	/* The good client is untouched and trades on. */
	cl_enter(f, &good, 1, 'B', 100, "AAPL", 1000000, '0');
	cl_expect(f, &good, 'A', &m);
	ck_assert_uint_eq(m.user_ref_num, 1);
	ck_assert_uint_eq(fp_sim_oe_stats(&f->oe)->nb_logged_in, 1);
	cl_close(&good);
	fx_free(f);
}
END_TEST

/* ---- trading ---- */

START_TEST(test_oe_orders_fills_and_every_request_type)
{
	struct fp_sim_oe_cfg cfg = {0};
	struct fixture *f = fx_new(&cfg);
	struct client a, b;
	struct fp_ouch_msg m;
	uint8_t r;
	cl_connect(f, &a, 0);
	cl_connect(f, &b, 0);
	ck_assert_uint_eq(cl_login(f, &a, "alice", "secret1", "", 0, &r), 1);
	ck_assert_uint_eq(cl_login(f, &b, "bob", "secret2", "FPSIM00001", 0, &r), 1);

	cl_enter(f, &a, 10, 'B', 300, "AAPL", 1502500, '0');
	cl_expect(f, &a, 'A', &m);
	ck_assert_uint_eq(m.user_ref_num, 10);
	ck_assert_int_eq(m.side, 'B');
	ck_assert_uint_eq(m.quantity, 300);
	ck_assert_int_eq(memcmp(m.symbol, "AAPL    ", 8), 0);
	ck_assert_int_eq(m.price, 1502500);
	ck_assert_int_eq(m.time_in_force, '0');
	ck_assert_int_eq(m.capacity, 'P');
	ck_assert_int_eq(m.order_state, 'L');
	ck_assert_int_eq(memcmp(m.cl_ord_id, "CL-0000000000 ", 14), 0);
	ck_assert_uint_gt(m.order_reference_number, 0);
	ck_assert_int_eq(memcmp(m.opts.firm, "ALCE", 4), 0);

	/* Bob sells short 100 through Alice's bid: both see the fill, same match number. */
	cl_enter(f, &b, 5, 'T', 100, "AAPL", 1500000, '3');
	cl_expect(f, &b, 'A', &m);
	ck_assert_int_eq(m.side, 'T');
	struct fp_ouch_msg eb, ea;
	cl_expect(f, &b, 'E', &eb);
	ck_assert_uint_eq(eb.quantity, 100);
	ck_assert_int_eq(eb.price, 1502500);
	ck_assert_int_eq(eb.liquidity_flag, 'R');
	cl_expect(f, &a, 'E', &ea);
	ck_assert_uint_eq(ea.user_ref_num, 10);
	ck_assert_uint_eq(ea.quantity, 100);
	ck_assert_int_eq(ea.liquidity_flag, 'A');
	ck_assert_uint_eq(ea.match_number, eb.match_number);

	/* Partial cancel to 150 open, then replace to a new price, then modify down. */
	cl_cancel(f, &a, 10, 150);
	cl_expect(f, &a, 'C', &m);
	ck_assert_uint_eq(m.quantity, 50);
	ck_assert_int_eq(m.reason, FP_OUCH_CXL_USER);
	struct fp_ouch_msg u = {.type = 'U', .dir = FP_OUCH_INBOUND, .has_appendage = 1};
	u.orig_user_ref_num = 10;
	u.user_ref_num = 11;
	u.quantity = 300; /* total liable incl. the 100 executed: 200 open */
	u.price = 1490000;
	u.time_in_force = '0';
	u.display = 'Y';
	u.intermarket_sweep_eligibility = 'N';
	memcpy(u.cl_ord_id, "REPL-11       ", 14);
	cl_ouch(f, &a, &u);
	cl_expect(f, &a, 'U', &m);
	ck_assert_uint_eq(m.orig_user_ref_num, 10);
	ck_assert_uint_eq(m.user_ref_num, 11);
	ck_assert_uint_eq(m.quantity, 200);
	ck_assert_int_eq(m.price, 1490000);
	ck_assert_int_eq(memcmp(m.cl_ord_id, "REPL-11", 7), 0);
	struct fp_ouch_msg mo = {.type = 'M', .dir = FP_OUCH_INBOUND};
	mo.user_ref_num = 11;
	mo.side = 'B';
	mo.quantity = 120;
	cl_ouch(f, &a, &mo);
	cl_expect(f, &a, 'M', &m);
	ck_assert_uint_eq(m.quantity, 120);
	ck_assert_int_eq(m.side, 'B');

	/* Rejects with spec codes; a stale UserRefNum is ignored. */
	cl_enter(f, &a, 12, 'B', 10, "ZZZZ", 1000000, '0');
	cl_expect(f, &a, 'J', &m);
	ck_assert_uint_eq(m.user_ref_num, 12);
	ck_assert_uint_eq(m.reject_reason, FP_OUCH_REJ_INVALID_SYMBOL);
	cl_enter(f, &a, 13, 'X', 10, "AAPL", 1000000, '0');
	cl_expect(f, &a, 'J', &m);
	ck_assert_uint_eq(m.reject_reason, FP_OUCH_REJ_INVALID_SIDE);
	cl_enter(f, &a, 14, 'B', 0, "AAPL", 1000000, '0');
	cl_expect(f, &a, 'J', &m);
	ck_assert_uint_eq(m.reject_reason, FP_OUCH_REJ_INVALID_QUANTITY);
	cl_enter(f, &a, 3, 'B', 10, "AAPL", 1000000, '0');
	cl_expect_nothing(f, &a, 50);

	/* Another order on MSFT, then mass cancel everything of Alice. */
	cl_enter(f, &a, 20, 'S', 50, "MSFT", 3000000, '0');
	cl_expect(f, &a, 'A', &m);
	struct fp_ouch_msg mc = {.type = 'C', .dir = FP_OUCH_INBOUND, .has_appendage = 1};
	mc.user_ref_num = 21;
	memcpy(mc.firm, "ALCE", 4);
	memset(mc.symbol, ' ', 8);
	cl_ouch(f, &a, &mc);
	cl_expect(f, &a, 'X', &m);
	ck_assert_uint_eq(m.user_ref_num, 21);
	cl_expect(f, &a, 'C', &m);
	cl_expect(f, &a, 'C', &m);
	ck_assert_uint_eq(fp_sim_engine_stats(f->e)->nb_live, 0);

	/* Account query, disable / enable order entry. */
	struct fp_ouch_msg q = {.type = 'Q', .dir = FP_OUCH_INBOUND};
	cl_ouch(f, &a, &q);
	cl_expect(f, &a, 'Q', &m);
	ck_assert_uint_eq(m.next_user_ref_num, 22);
	struct fp_ouch_msg d = {.type = 'D', .dir = FP_OUCH_INBOUND, .has_appendage = 1};
	d.user_ref_num = 22;
	memcpy(d.firm, "ALCE", 4);
	cl_ouch(f, &a, &d);
	cl_expect(f, &a, 'G', &m);
	cl_enter(f, &a, 23, 'B', 10, "AAPL", 1000000, '0');
	cl_expect(f, &a, 'J', &m);
	d.type = 'E';
	d.user_ref_num = 24;
	cl_ouch(f, &a, &d);
	cl_expect(f, &a, 'K', &m);
	cl_enter(f, &a, 25, 'B', 10, "AAPL", 1000000, '3'); /* IOC, nothing to hit */
	cl_expect(f, &a, 'A', &m);
	cl_expect(f, &a, 'C', &m);
	ck_assert_int_eq(m.reason, FP_OUCH_CXL_IOC);
	ck_assert_int_eq(fp_sim_engine_check(f->e), 0);

	/* The venue's duplicate check: cl_enter's ClOrdID ends in urn % 10, so 20 repeats 10's
	 * and 23 repeats 13's; the replace (REPL-11) is an order message too; the ignored
	 * retransmission (3) is not. */
	struct fp_sim_oe_record rec;
	const char *user;
	ck_assert(fp_sim_oe_account_record(&f->oe, 0, &rec, &user));
	ck_assert_str_eq(user, "alice");
	ck_assert_uint_eq(rec.nb_orders, 8);
	ck_assert_uint_eq(rec.nb_dup_clordid, 2);
	cl_close(&a);
	cl_close(&b);
	fx_free(f);
}
END_TEST

/* Disconnect, fills while away, reconnect with a sequence number: replay exactly once. */
START_TEST(test_oe_replays_missed_messages_exactly_once)
{
	struct fp_sim_oe_cfg cfg = {0};
	struct fixture *f = fx_new(&cfg);
	struct client a, b;
	struct fp_ouch_msg m;
	uint8_t r;
	cl_connect(f, &a, 0);
	cl_connect(f, &b, 0);
	ck_assert_uint_eq(cl_login(f, &a, "alice", "secret1", "", 0, &r), 1);
	ck_assert_uint_eq(cl_login(f, &b, "bob", "secret2", "", 0, &r), 1);
	cl_enter(f, &a, 1, 'S', 500, "MSFT", 2000000, '0');
	cl_expect(f, &a, 'A', &m); /* seq 1 */
	uint64_t seen = a.nb_seq;
	ck_assert_uint_eq(seen, 1);
	cl_close(&a);
	pump(f, 20);
	ck_assert_uint_eq(fp_sim_oe_stats(&f->oe)->nb_logged_in, 1);

	/* Alice is away: three fills of 100 (seq 2, 3, 4). */
	for (uint32_t i = 0; i < 3; i++) {
		cl_enter(f, &b, 100 + i, 'B', 100, "MSFT", 2000000, '3');
		cl_expect(f, &b, 'A', &m);
		cl_expect(f, &b, 'E', &m);
	}
	ck_assert_uint_eq(fp_sim_oe_next_seq(&f->oe, "alice"), 5);

	/* Reconnect asking for seq 2: Login Accepted says 2, then 2..4 arrive once. */
	cl_connect(f, &a, 0);
	ck_assert_uint_eq(cl_login(f, &a, "alice", "secret1", "", seen + 1, &r), 2);
	uint32_t filled = 0;
	for (int i = 0; i < 3; i++) {
		cl_expect(f, &a, 'E', &m);
		ck_assert_uint_eq(m.user_ref_num, 1);
		filled += m.quantity;
	}
	ck_assert_uint_eq(filled, 300);
	cl_expect_nothing(f, &a, 50);
	ck_assert_uint_eq(fp_sim_oe_stats(&f->oe)->nb_replayed, 3);

	/* Live flow goes on after the replay (seq 5). */
	cl_enter(f, &b, 200, 'B', 50, "MSFT", 2000000, '3');
	cl_expect(f, &a, 'E', &m);
	ck_assert_uint_eq(m.quantity, 50);
	ck_assert_uint_eq(a.nb_seq, 4);

	/* A login with sequence 0 replays nothing; a newer login takes the session over. */
	struct client a2;
	cl_connect(f, &a2, 0);
	ck_assert_uint_eq(cl_login(f, &a2, "alice", "secret1", "", 0, &r), 6);
	cl_expect_closed(f, &a);
	cl_expect_nothing(f, &a2, 50);
	ck_assert_uint_eq(fp_sim_oe_stats(&f->oe)->nb_takeovers, 1);
	ck_assert_uint_eq(fp_sim_oe_stats(&f->oe)->nb_replayed, 3);

	/* A requested sequence beyond the session's next one starts at the next one. */
	cl_close(&a2);
	cl_connect(f, &a2, 0);
	ck_assert_uint_eq(cl_login(f, &a2, "alice", "secret1", "", 999, &r), 6);
	cl_close(&a);
	cl_close(&a2);
	cl_close(&b);
	fx_free(f);
}
END_TEST

START_TEST(test_oe_heartbeats_and_idle_timeout)
{
	struct fp_sim_oe_cfg cfg = {.heartbeat_ms = 50, .timeout_ms = 1000};
	struct fixture *f = fx_new(&cfg);
	struct client a;
	uint8_t r;
	cl_connect(f, &a, 0);
	ck_assert_uint_eq(cl_login(f, &a, "alice", "secret1", "", 0, &r), 1);
	/* Waits on the stats, not on a fixed sleep, so that a loaded machine cannot fail it. */
	uint64_t end = now_ms() + 900;
	while (fp_sim_oe_stats(&f->oe)->nb_heartbeats < 2 && now_ms() < end)
		pump(f, 5);
	ck_assert_uint_ge(fp_sim_oe_stats(&f->oe)->nb_heartbeats, 2);
	ck_assert_uint_eq(fp_sim_oe_stats(&f->oe)->nb_timeouts, 0);
	/* The client stays silent: it is dropped after timeout_ms. */
	cl_expect_closed(f, &a);
	ck_assert_uint_eq(fp_sim_oe_stats(&f->oe)->nb_timeouts, 1);
	cl_close(&a);
	/* A client that never logs in is dropped too. */
	cl_connect(f, &a, 0);
	cl_expect_closed(f, &a);
	ck_assert_uint_eq(fp_sim_oe_stats(&f->oe)->nb_timeouts, 2);
	cl_close(&a);
	fx_free(f);
}
END_TEST

START_TEST(test_oe_disconnects_slow_reader)
{
	struct fp_sim_oe_cfg cfg = {.history = 256, .out_buf = 2048, .sock_sndbuf = 4096};
	struct fixture *f = fx_new(&cfg);
	struct client slow, b;
	struct fp_ouch_msg m;
	uint8_t r;
	cl_connect(f, &slow, 2048);
	cl_connect(f, &b, 0);
	ck_assert_uint_eq(cl_login(f, &slow, "alice", "secret1", "", 0, &r), 1);
	ck_assert_uint_eq(cl_login(f, &b, "bob", "secret2", "", 0, &r), 1);
	cl_enter(f, &slow, 1, 'S', 900000, "AAPL", 1000000, '0');
	pump(f, 20);
	/* 1500 fills for Alice, who never reads; Bob reads his own and keeps trading. */
	for (uint32_t i = 0; i < 1500 && fp_sim_oe_stats(&f->oe)->nb_slow_readers == 0; i++) {
		cl_enter(f, &b, 10 + i, 'B', 1, "AAPL", 1000000, '3');
		cl_expect(f, &b, 'A', &m);
		cl_expect(f, &b, 'E', &m);
	}
	ck_assert_uint_eq(fp_sim_oe_stats(&f->oe)->nb_slow_readers, 1);
	ck_assert_uint_eq(fp_sim_oe_stats(&f->oe)->nb_logged_in, 1);
	cl_enter(f, &b, 5000, 'B', 1, "AAPL", 1000000, '3');
	cl_expect(f, &b, 'A', &m);
	cl_close(&slow);
	cl_close(&b);
	fx_free(f);
}
END_TEST

/* 24 accounts connected at once, each trading; one of them misbehaves mid-way. */
START_TEST(test_oe_serves_many_clients_at_once)
{
	enum { N = 24 };
	static struct fp_sim_oe_user many[N];
	for (int i = 0; i < N; i++) {
		snprintf(many[i].username, sizeof(many[i].username), "u%02d", i);
		snprintf(many[i].password, sizeof(many[i].password), "pw%02d", i);
	}
	struct fixture *f = calloc(1, sizeof(*f));
	struct fp_sim_engine_cfg ecfg = {
		.max_orders = 1 << 14, .max_symbols = 16, .max_owners = 64};
	ecfg.order_listener = fp_sim_oe_listener(&f->oe);
	f->e = fp_sim_engine_create(&ecfg);
	ck_assert_int_eq(fp_sim_engine_add_symbol(f->e, 1, "AAPL", 100), 0);
	struct fp_sim_oe_cfg cfg = {.users = many, .nb_users = N, .max_clients = 32};
	ck_assert_int_eq(fp_sim_oe_init(&f->oe, &cfg, f->e), 0);
	static struct client c[N];
	uint8_t r;
	for (int i = 0; i < N; i++) {
		cl_connect(f, &c[i], 0);
		ck_assert_uint_eq(cl_login(f, &c[i], many[i].username, many[i].password, "", 0, &r),
				  1);
	}
	ck_assert_uint_eq(fp_sim_oe_stats(&f->oe)->nb_logged_in, N);
	/* Even accounts bid, odd accounts sell into them: every order trades once. */
	struct fp_ouch_msg m;
	for (int i = 0; i < N; i += 2) {
		cl_enter(f, &c[i], 1, 'B', 100, "AAPL", 1000000, '0');
		cl_expect(f, &c[i], 'A', &m);
	}
	cl_send(f, &c[5], "\x00\x05Zjunk", 7); /* a bad one among them */
	for (int i = 1; i < N; i += 2) {
		if (i == 5)
			continue;
		cl_enter(f, &c[i], 1, 'S', 100, "AAPL", 1000000, '3');
		cl_expect(f, &c[i], 'A', &m);
		cl_expect(f, &c[i], 'E', &m);
	}
	for (int i = 0; i < N; i += 2)
		if (i != N - 2) /* account 5 never sold: the last bid (time priority) rests */
			cl_expect(f, &c[i], 'E', &m);
	cl_expect_closed(f, &c[5]);
	ck_assert_uint_eq(fp_sim_oe_stats(&f->oe)->nb_bad_framing, 1);
	ck_assert_uint_eq(fp_sim_oe_stats(&f->oe)->nb_logged_in, N - 1);
	ck_assert_uint_eq(fp_sim_engine_stats(f->e)->nb_trades, N / 2 - 1);
	for (int i = 0; i < N; i++)
		cl_close(&c[i]);
	fx_free(f);
}
END_TEST

START_TEST(test_oe_init_refuses_bad_config)
{
	struct fp_sim_engine_cfg ecfg = {.max_orders = 1024, .max_symbols = 4, .max_owners = 8};
	struct fp_sim_oe oe;
	ecfg.order_listener = fp_sim_oe_listener(&oe);
	struct fp_sim_engine *e = fp_sim_engine_create(&ecfg);
	struct fp_sim_oe_user bad[] = {{"", "x", ""}};
	struct fp_sim_oe_cfg cfg = {.users = bad, .nb_users = 1};
	ck_assert_int_eq(fp_sim_oe_init(&oe, &cfg, e), -EINVAL);
	struct fp_sim_oe_user dup[] = {{"a", "x", ""}, {"a", "y", ""}};
	cfg.users = dup;
	cfg.nb_users = 2;
	ck_assert_int_eq(fp_sim_oe_init(&oe, &cfg, e), -EINVAL);
	struct fp_sim_oe_cfg c2 = {.bind_addr = "not-an-ip"};
	ck_assert_int_eq(fp_sim_oe_init(&oe, &c2, e), -EINVAL);
	struct fp_sim_oe_cfg c3 = {0}; /* defaults: the built-in account */
	ck_assert_int_eq(fp_sim_oe_init(&oe, &c3, e), 0);
	ck_assert_uint_eq(fp_sim_oe_next_seq(&oe, FP_SIM_OE_DEFAULT_USER), 1);
	fp_sim_oe_fini(&oe);
	fp_sim_engine_destroy(e);
}
END_TEST

/* ---- one clock: the session's, never the wall clock ---- */

struct md_log {
	unsigned n;
	struct fp_sim_md m[32];
};

static void log_md(void *arg, const struct fp_sim_md *m)
{
	struct md_log *l = arg;
	if (l->n < 32)
		l->m[l->n++] = *m;
}

/* Next sequenced message of @p c, appended raw to @p out; its timestamp must be @p ts. */
static void take(struct fixture *f, struct client *c, uint8_t type, uint64_t ts, uint8_t *out,
		 size_t *len)
{
	struct fp_soup_pkt p;
	uint8_t copy[2048];
	struct fp_ouch_msg m;
	ck_assert_int_eq(cl_next(f, c, &p, copy, 2000), 1);
	ck_assert_int_eq(p.type, FP_SOUP_SEQUENCED);
	ck_assert_int_eq(fp_ouch_decode(FP_OUCH_OUTBOUND, p.payload, p.payload_len, &m),
			 FP_OUCH_OK);
	ck_assert_msg(m.type == type, "expected '%c', got '%c'", type, m.type);
	ck_assert_uint_eq(m.timestamp, ts);
	memcpy(out + *len, p.payload, p.payload_len);
	*len += p.payload_len;
}

/* Two clients trade at fixed session times: every OUCH reply and every market data event
 * carries the time set for it; returns the OUCH bytes both clients got. */
static size_t clocked_session(uint8_t *out, struct md_log *ml)
{
	const uint64_t t0 = 34200000000000ull; /* 09:30:00 */
	struct fp_sim_oe_cfg cfg = {0};
	memset(ml, 0, sizeof(*ml));
	fx_md = (struct fp_sim_md_listener){ml, log_md};
	struct fixture *f = fx_new(&cfg);
	fx_md = (struct fp_sim_md_listener){0};
	struct client a, b;
	uint8_t r;
	size_t len = 0;
	fp_sim_oe_set_time(&f->oe, t0);
	cl_connect(f, &a, 0);
	cl_connect(f, &b, 0);
	ck_assert_uint_eq(cl_login(f, &a, "alice", "secret1", "", 0, &r), 1);
	ck_assert_uint_eq(cl_login(f, &b, "bob", "secret2", "", 0, &r), 1);
	fp_sim_oe_set_time(&f->oe, t0 + 1000);
	cl_enter(f, &a, 10, 'B', 300, "AAPL", 1502500, '0');
	take(f, &a, 'A', t0 + 1000, out, &len);
	fp_sim_oe_set_time(&f->oe, t0 + 2000);
	cl_enter(f, &b, 5, 'S', 100, "AAPL", 1500000, '3');
	take(f, &b, 'A', t0 + 2000, out, &len);
	take(f, &b, 'E', t0 + 2000, out, &len);
	take(f, &a, 'E', t0 + 2000, out, &len);
	fp_sim_oe_set_time(&f->oe, t0 + 3000);
	cl_cancel(f, &a, 10, 0);
	take(f, &a, 'C', t0 + 3000, out, &len);
	cl_close(&a);
	cl_close(&b);
	fx_free(f);
	/* add, execution, delete: on the same clock, in order */
	ck_assert_uint_ge(ml->n, 3);
	for (unsigned i = 0; i < ml->n; i++) {
		ck_assert_uint_ge(ml->m[i].ts_ns, t0 + 1000);
		ck_assert_uint_le(ml->m[i].ts_ns, t0 + 3000);
		if (i)
			ck_assert_uint_ge(ml->m[i].ts_ns, ml->m[i - 1].ts_ns);
	}
	return len;
}

START_TEST(test_oe_one_clock_same_orders_same_bytes)
{
	static uint8_t out1[4096], out2[4096];
	static struct md_log m1, m2;
	size_t n1 = clocked_session(out1, &m1);
	size_t n2 = clocked_session(out2, &m2);
	ck_assert_uint_eq(n1, n2);
	ck_assert_msg(!memcmp(out1, out2, n1), "same orders at the same times, other bytes");
	ck_assert_uint_eq(m1.n, m2.n);
	for (unsigned i = 0; i < m1.n; i++) {
		ck_assert_uint_eq(m1.m[i].ts_ns, m2.m[i].ts_ns);
		ck_assert_uint_eq(m1.m[i].type, m2.m[i].type);
		ck_assert_uint_eq(m1.m[i].ref, m2.m[i].ref);
		ck_assert_uint_eq(m1.m[i].qty, m2.m[i].qty);
		ck_assert_int_eq(m1.m[i].price, m2.m[i].price);
		ck_assert_uint_eq(m1.m[i].match_number, m2.m[i].match_number);
	}
}
END_TEST

static Suite *fp_sim_oe_suite(void)
{
	Suite *s = suite_create("fp_sim_oe");
	TCase *tc = tcase_create("negative");
	tcase_add_test(tc, test_oe_init_refuses_bad_config);
	tcase_add_test(tc, test_oe_one_clock_same_orders_same_bytes);
	tcase_add_test(tc, test_oe_rejects_bad_password_and_unknown_session);
	tcase_add_test(tc, test_oe_disconnects_misbehaving_clients_while_good_one_trades);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tc = tcase_create("session");
	tcase_add_test(tc, test_oe_orders_fills_and_every_request_type);
	tcase_add_test(tc, test_oe_replays_missed_messages_exactly_once);
	tcase_add_test(tc, test_oe_heartbeats_and_idle_timeout);
	tcase_add_test(tc, test_oe_disconnects_slow_reader);
	tcase_add_test(tc, test_oe_serves_many_clients_at_once);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fp_sim_oe_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
