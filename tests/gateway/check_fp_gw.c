/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_gw.c - the order gateway against the simulator's acceptor on loopback, in one
 * thread (the test pumps the simulator, the gateways and a fake venue in turn). Covers:
 *   - negative: bad configs, credentials from the environment (and their absence), orders
 *     while disconnected and duplicate ids rejected locally, a wrong password never logs in;
 *   - a fake venue that sends an unknown UserRefNum, a second Accepted, a fill larger than
 *     the leaves: counted as unknown / impossible, never applied; a fake venue that fills
 *     an order whose replace is in flight: the fill, then the replacement refused
 *     (FP_GW_REJ_ORDER_ENDED), the venue's later refusal counted, the journal replayed to
 *     the same table;
 *   - new -> accepted -> partial -> filled against a second gateway (two accounts), cancel,
 *     replace (old id canceled, new id accepted), exec reports on the exec ring;
 *   - the venue drops the session in the middle of fills: breaker trips, the gateway
 *     reconnects with its sequence number, the fills missed are applied exactly once, no
 *     order is entered twice;
 *   - the kill switch cancels every open order and later orders are refused;
 *   - journal (shm/fp_journal.h) and recovery, the journal captured from the journal ring:
 *     a gateway crashes in the middle of fills (no logout), the last report's journal record
 *     is lost (J3 window), a new gateway recovers from the capture (the order ring still
 *     holds an event the dead one handled: skipped): no order entered twice,
 *     every fill applied once, next_seq right; an order whose journal records were lost is
 *     adopted from the venue's Accepted, a replace from its Replaced; an order journaled but
 *     never sent is released as FP_GW_REJ_LOST; a full journal ring refuses orders locally
 *     and stops reading; a
 *     recovered session the venue refuses (a new day) falls back to the configured one; an
 *     order declared lost too early (an old Account Query answer replayed) is revived by
 *     the venue's Accepted and its fills apply.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fp_cfg.h"
#include "fp_err.h"
#include "fp_gw.h"
#include "fp_hist.h"
#include "fp_journal.h"
#include "fp_ring.h"
#include "fp_symtab.h"
#include "fp_sim_engine.h"
#include "fp_sim_oe.h"
#include "gw_world.h"

/* Alice or Bob over OUCH to the simulator's acceptor, with a journal ring of @p jrnl_cap. */
static void side_init_j(struct world *w, struct side *s, const char *user, const char *pw,
			const char *firm, uint32_t jrnl_cap)
{
	struct fp_gw_cfg cfg;
	side_cfg(s, &cfg, fp_sim_oe_port(&w->oe), jrnl_cap);
	cfg.ctl = &w->ctl;
	strcpy(cfg.username, user);
	strcpy(cfg.password, pw);
	strcpy(cfg.firm, firm);
	ck_assert_int_eq(fp_gw_init(&s->gw, &cfg), 0);
}

static void side_init(struct world *w, struct side *s, const char *user, const char *pw,
		      const char *firm)
{
	side_init_j(w, s, user, pw, firm, 1024);
}

/* Alice and Bob logged in over OUCH (gw_world.h). */
static struct world *world_new(void)
{
	struct world *w = world_alloc();
	side_init(w, &w->a, "alice", "secret1", "ALCE");
	side_init(w, &w->b, "bob", "secret2", "BOBB");
	pump_until_up(w, &w->a);
	pump_until_up(w, &w->b);
	return w;
}

/* ---- negative ---- */

START_TEST(test_gw_init_refuses_bad_config)
{
	struct fp_ring *r1 = ring_new(16, "o"), *r2 = ring_new(16, "x");
	struct fp_gw gw;
	struct fp_gw_cfg cfg = {
		.port = 1, .order_ring = r1, .exec_ring = r2, .symtab = test_symtab()};
	unsetenv("FP_GW_USER");
	unsetenv("FP_GW_PASSWORD");
	ck_assert_int_eq(fp_gw_credentials_from_env(&cfg), -EINVAL);
	ck_assert_int_eq(fp_gw_init(&gw, &cfg), -EINVAL); /* no credentials */
	setenv("FP_GW_USER", "alice", 1);
	setenv("FP_GW_PASSWORD", "waytoolongpassword", 1);
	ck_assert_int_eq(fp_gw_credentials_from_env(&cfg), -EINVAL);
	ck_assert_ptr_null(strstr(fp_err_msg(), "waytoolong")); /* never echo a secret */
	setenv("FP_GW_PASSWORD", "secret1", 1);
	ck_assert_int_eq(fp_gw_credentials_from_env(&cfg), 0);
	ck_assert_str_eq(cfg.username, "alice");
	ck_assert_str_eq(cfg.password, "secret1");
	unsetenv("FP_GW_USER");
	unsetenv("FP_GW_PASSWORD");
	cfg.max_orders = 100;
	ck_assert_int_eq(fp_gw_init(&gw, &cfg), -EINVAL);
	cfg.max_orders = 0;
	cfg.host = "localhost";
	ck_assert_int_eq(fp_gw_init(&gw, &cfg), -EINVAL);
	cfg.host = NULL;
	cfg.symtab = NULL;
	ck_assert_int_eq(fp_gw_init(&gw, &cfg), -EINVAL);
	cfg.symtab = test_symtab();
	ck_assert_int_eq(fp_gw_init(&gw, &cfg), 0);
	fp_gw_fini(&gw);
	free(r1);
	free(r2);
}
END_TEST

START_TEST(test_gw_rejects_locally_when_down_and_duplicates)
{
	struct world *w = world_new();
	/* A gateway with the wrong password never gets up; its orders are refused. */
	struct side c;
	side_init(w, &c, "alice", "badpass", "ALCE");
	for (int i = 0; i < 100; i++) {
		fp_sim_oe_poll(&w->oe);
		fp_gw_poll(&c.gw, 8);
		usleep(500);
	}
	ck_assert_uint_ge(fp_gw_stats(&c.gw)->nb_login_rejected, 1);
	ck_assert_int_ne(fp_gw_stats(&c.gw)->session, FP_GW_UP);
	order(&c, FP_EV_ORDER_NEW, 1, 'B', 10, 1000000, FP_TIF_DAY, 0);
	fp_gw_poll(&c.gw, 8);
	struct fp_event ev;
	ck_assert_uint_eq(fp_ring_dequeue_burst(c.execs, &ev, 1), 1);
	ck_assert_int_eq(ev.type, FP_EV_EXEC_REJECTED);
	ck_assert_int_eq(ev.u.exec.reason, FP_GW_REJ_NOT_CONNECTED);
	ck_assert_uint_eq(ev.seq, 0); /* a local reject has no venue sequence number */
	side_free(&c);

	/* Duplicate id, unknown symbol, bad side, cancel of an unknown order. */
	uint64_t id = order(&w->a, FP_EV_ORDER_NEW, 1, 'B', 10, 1000000, FP_TIF_DAY, 0);
	expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	w->a.next_id--;
	order(&w->a, FP_EV_ORDER_NEW, 1, 'B', 10, 1000000, FP_TIF_DAY, 0);
	ck_assert_int_eq(expect(w, &w->a, FP_EV_EXEC_REJECTED).reason, FP_GW_REJ_DUPLICATE_ID);
	order(&w->a, FP_EV_ORDER_NEW, 9, 'B', 10, 1000000, FP_TIF_DAY, 0);
	ck_assert_int_eq(expect(w, &w->a, FP_EV_EXEC_REJECTED).reason, FP_GW_REJ_UNKNOWN_SYMBOL);
	order(&w->a, FP_EV_ORDER_NEW, 1, 'Z', 10, 1000000, FP_TIF_DAY, 0);
	ck_assert_int_eq(expect(w, &w->a, FP_EV_EXEC_REJECTED).reason, FP_GW_REJ_BAD_ORDER);
	order(&w->a, FP_EV_ORDER_CANCEL, 1, 'B', 0, 0, 0, 424242);
	ck_assert_int_eq(expect(w, &w->a, FP_EV_EXEC_REJECTED).reason, FP_GW_REJ_UNKNOWN_ORDER);
	/* A venue reject (price off the tick) comes back with the venue's reason. */
	order(&w->a, FP_EV_ORDER_NEW, 1, 'B', 10, 1000001, FP_TIF_DAY, 0);
	ck_assert_int_eq(expect(w, &w->a, FP_EV_EXEC_REJECTED).reason, FP_OUCH_REJ_INVALID_PRICE);
	ck_assert_int_eq(fp_gw_find(&w->a.gw, id)->state, FP_GW_ACCEPTED);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_impossible, 0);
	world_free(w);
}
END_TEST

START_TEST(test_gw_cfg_load_reads_group_and_env)
{
	static const char text[] = "gateway = { host = \"127.0.0.1\"; port = 15001;\n"
				   "  username = \"alice\"; firm = \"ALCE\"; capacity = \"A\";\n"
				   "  max_orders = 1024; heartbeat_ms = 500; };\n"
				   "bad = { port = 1; pasword = \"x\"; };\n";
	struct fp_cfg *c = fp_cfg_load_string(text, "gw.conf");
	ck_assert_ptr_nonnull(c);
	struct fp_gw_cfg g = {0};
	setenv("FP_GW_PASSWORD", "secret1", 1);
	ck_assert_int_eq(fp_gw_cfg_load(&g, c, fp_cfg_lookup(c, NULL, "gateway")), 0);
	ck_assert_str_eq(g.host, "127.0.0.1");
	ck_assert_uint_eq(g.port, 15001);
	ck_assert_str_eq(g.username, "alice");
	ck_assert_str_eq(g.password, "secret1"); /* from the environment */
	ck_assert_str_eq(g.firm, "ALCE");
	ck_assert_int_eq(g.capacity, 'A');
	ck_assert_uint_eq(g.max_orders, 1024);
	ck_assert_uint_eq(g.heartbeat_ms, 500);
	ck_assert_uint_eq(g.timeout_ms, FP_SOUP_TIMEOUT_MS);
	struct fp_gw_cfg h = {0};
	ck_assert_int_eq(fp_gw_cfg_load(&h, c, fp_cfg_lookup(c, NULL, "bad")), -EINVAL);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "pasword"));
	unsetenv("FP_GW_PASSWORD");
	fp_cfg_free(c);
}
END_TEST

/* Poll @p gw until it has applied @p nb venue messages (a bounded number of polls). */
static void poll_until_msgs(struct fp_gw *gw, uint64_t nb)
{
	for (int i = 0; i < 4000 && fp_gw_stats(gw)->nb_venue_msgs < nb; i++) {
		fp_gw_poll(gw, 8);
		usleep(250);
	}
	ck_assert_uint_eq(fp_gw_stats(gw)->nb_venue_msgs, nb);
}

/* The hand-made venue sends @p nb sequenced OUCH messages in one write. */
static void venue_send(int fd, struct fp_ouch_msg *m, int nb)
{
	uint8_t b[1024];
	size_t n = 0;
	for (int i = 0; i < nb; i++) {
		m[i].dir = FP_OUCH_OUTBOUND;
		m[i].has_appendage = 1;
		int k = fp_ouch_encode(&m[i], b + n + 3, 128);
		ck_assert_int_gt(k, 0);
		fp_soup_put_hdr(b + n, 'S', (size_t)k);
		n += 3 + (size_t)k;
	}
	ck_assert_int_eq(send(fd, b, n, 0), (ssize_t)n);
}

/* A hand-made venue that misbehaves after a correct login. */
START_TEST(test_gw_counts_unknown_and_impossible_venue_messages)
{
	struct sockaddr_in sa;
	int ls = venue_listener(&sa, 0);
	struct fp_ring *ro = ring_new(64, "o"), *rx = ring_new(64, "x");
	struct fp_gw_cfg cfg = {.port = ntohs(sa.sin_port),
				.order_ring = ro,
				.exec_ring = rx,
				.symtab = test_symtab(),
				.firm = "FIRM",
				.username = "u",
				.password = "p"};
	struct fp_gw gw;
	ck_assert_int_eq(fp_gw_init(&gw, &cfg), 0);
	fp_gw_poll(&gw, 8);
	int fd = accept(ls, NULL, NULL);
	ck_assert_int_ge(fd, 0);
	for (int i = 0; i < 20; i++) {
		fp_gw_poll(&gw, 8);
		usleep(500);
	}
	uint8_t b[512];
	ck_assert_int_eq(recv(fd, b, sizeof(b), MSG_DONTWAIT), 49); /* the login request */
	size_t n = fp_soup_build_login_accepted(b, sizeof(b), "FAKE", 1);
	struct fp_ouch_msg q = {.type = 'Q', .dir = FP_OUCH_OUTBOUND, .next_user_ref_num = 50};
	int k = fp_ouch_encode(&q, b + n + 3, 64);
	fp_soup_put_hdr(b + n, 'S', (size_t)k);
	n += 3 + (size_t)k;
	ck_assert_int_eq(send(fd, b, n, 0), (ssize_t)n);
	for (int i = 0; i < 50 && fp_gw_stats(&gw)->session != FP_GW_UP; i++) {
		fp_gw_poll(&gw, 8);
		usleep(500);
	}
	ck_assert_int_eq(fp_gw_stats(&gw)->session, FP_GW_UP);
	ck_assert_uint_eq(fp_gw_stats(&gw)->next_user_ref_num, 50); /* raised by the venue */
	struct fp_event ev = {.type = FP_EV_ORDER_NEW, .symbol_id = 1};
	ev.u.order.client_order_id = 77;
	ev.u.order.side = 'B';
	ev.u.order.shares = 100;
	ev.u.order.price = 1000000;
	fp_ring_enqueue_burst(ro, &ev, 1);
	fp_gw_poll(&gw, 8);
	const struct fp_gw_order *o = fp_gw_find(&gw, 77);
	ck_assert_ptr_nonnull(o);
	ck_assert_uint_eq(o->user_ref_num, 50);
	/* Accepted for 700 of our 100 (impossible: the venue never opens more than we asked,
	 * fuzz_gw_fix), Accepted for 50, Accepted again, Executed for an unknown 999,
	 * Executed 150 > 100. */
	struct fp_ouch_msg m[5] = {
		{.type = 'A', .user_ref_num = 50, .side = 'B', .quantity = 700, .order_state = 'L'},
		{.type = 'A', .user_ref_num = 50, .side = 'B', .quantity = 100, .order_state = 'L'},
		{.type = 'A', .user_ref_num = 50, .side = 'B', .quantity = 100, .order_state = 'L'},
		{.type = 'E', .user_ref_num = 999, .quantity = 10},
		{.type = 'E', .user_ref_num = 50, .quantity = 150},
	};
	venue_send(fd, m, 5);
	poll_until_msgs(&gw, 6);
	ck_assert_uint_eq(fp_gw_stats(&gw)->nb_unknown, 1);
	ck_assert_uint_eq(fp_gw_stats(&gw)->nb_impossible, 3);
	ck_assert_uint_eq(fp_gw_stats(&gw)->nb_accepted, 1);
	ck_assert_int_eq(o->state, FP_GW_ACCEPTED);
	ck_assert_uint_eq(o->leaves, 100);
	ck_assert_uint_eq(o->filled, 0);
	/* the session notices (login, synchronised), then only the first Accepted */
	ck_assert_uint_eq(fp_ring_count(rx), 3);
	/* A cancel the venue refuses (Cancel Reject) leaves the order open, counted in
	 * nb_cancel_rejects, and a later cancel of it goes out (not refused as pending); a
	 * Cancel Reject with no cancel in flight is impossible. */
	struct fp_event cx = {.type = FP_EV_ORDER_CANCEL, .symbol_id = 1};
	cx.u.order.client_order_id = 78;
	cx.u.order.orig_client_order_id = 77;
	fp_ring_enqueue_burst(ro, &cx, 1);
	fp_gw_poll(&gw, 8);
	ck_assert_int_eq(o->pending, FP_GW_PEND_CANCEL);
	struct fp_ouch_msg rej[2] = {{.type = FP_OUCH_CANCEL_REJECT, .user_ref_num = 50},
				     {.type = FP_OUCH_CANCEL_REJECT, .user_ref_num = 50}};
	venue_send(fd, rej, 2);
	poll_until_msgs(&gw, 8);
	ck_assert_uint_eq(fp_gw_stats(&gw)->nb_cancel_rejects, 1);
	ck_assert_uint_eq(fp_gw_stats(&gw)->nb_impossible, 4);
	ck_assert_int_eq(o->state, FP_GW_ACCEPTED);
	ck_assert_int_eq(o->pending, FP_GW_PEND_NONE);
	ck_assert_uint_eq(o->leaves, 100);
	ck_assert_uint_eq(fp_ring_count(rx), 3); /* nothing reported */
	uint64_t sent = fp_gw_stats(&gw)->nb_sent;
	cx.u.order.client_order_id = 79;
	fp_ring_enqueue_burst(ro, &cx, 1);
	fp_gw_poll(&gw, 8);
	ck_assert_uint_eq(fp_gw_stats(&gw)->nb_sent, sent + 1);
	ck_assert_uint_eq(fp_gw_stats(&gw)->nb_local_rejects, 0);
	ck_assert_int_eq(o->pending, FP_GW_PEND_CANCEL);
	/* An Accepted for an unknown UserRefNum adopts its order (fp_gw.h, Recovery) only where
	 * a lost order can be: below the first id of its strategy taken live (77; nothing
	 * journaled). ClOrdID "2A" (74: an order a gateway before this one may have sent) is
	 * adopted, "2Q" (90: above the live ones, not sent by any gateway of ours) is unknown. */
	struct fp_ouch_msg ad[2] = {
		{.type = 'A', .user_ref_num = 60, .side = 'B', .quantity = 10, .order_state = 'L'},
		{.type = 'A', .user_ref_num = 61, .side = 'B', .quantity = 10, .order_state = 'L'},
	};
	for (int i = 0; i < 2; i++) {
		memcpy(ad[i].symbol, "AAPL    ", 8);
		memcpy(ad[i].cl_ord_id, i == 0 ? "2A            " : "2Q            ", 14);
	}
	venue_send(fd, ad, 2);
	poll_until_msgs(&gw, 10);
	ck_assert_uint_eq(fp_gw_stats(&gw)->nb_unknown, 2);
	ck_assert_uint_eq(fp_gw_stats(&gw)->nb_adopted, 1);
	ck_assert_uint_eq(fp_gw_find(&gw, 74)->user_ref_num, 60);
	ck_assert_ptr_null(fp_gw_find(&gw, 90));
	/* A Mass Cancel carries the configured firm (issue 17; spaces only without one). */
	while (recv(fd, b, sizeof(b), MSG_DONTWAIT) > 0)
		;
	struct fp_event mc = {.type = FP_EV_ORDER_MASS_CANCEL, .symbol_id = 1};
	fp_ring_enqueue_burst(ro, &mc, 1);
	fp_gw_poll(&gw, 8);
	ssize_t got = recv(fd, b, sizeof(b), 0);
	struct fp_soup_pkt p;
	ck_assert_int_eq(fp_soup_parse(b, (size_t)got, FP_SOUP_FROM_CLIENT, 512, &p), FP_SOUP_OK);
	ck_assert_int_eq(p.type, FP_SOUP_UNSEQUENCED);
	struct fp_ouch_msg c;
	ck_assert_int_eq(fp_ouch_decode(FP_OUCH_INBOUND, p.payload, p.payload_len, &c), FP_OUCH_OK);
	ck_assert_int_eq(c.type, FP_OUCH_MASS_CANCEL);
	ck_assert_int_eq(memcmp(c.firm, "FIRM", 4), 0);
	ck_assert_int_eq(memcmp(c.symbol, "AAPL    ", 8), 0);
	fp_gw_fini(&gw);
	close(fd);
	close(ls);
	free(ro);
	free(rx);
}
END_TEST

/* Poll @p gw until it has applied @p nb venue messages, then take the journal records. */
static void poll_until_applied(struct fp_gw *gw, uint64_t nb, struct fp_ring *jrnl,
			       struct fp_event *cap, uint32_t *nb_cap)
{
	poll_until_msgs(gw, nb);
	while (fp_ring_dequeue_burst(jrnl, &cap[*nb_cap], 1) == 1)
		(*nb_cap)++;
}

/* Next exec report on @p rx (session notices skipped): it is there already. */
static struct fp_event next_exec(struct fp_ring *rx)
{
	struct fp_event ev;
	do
		ck_assert_uint_eq(fp_ring_dequeue_burst(rx, &ev, 1), 1);
	while (ev.type == FP_EV_CONTROL);
	return ev;
}

/* A replace in flight when its order fills in full (the venue fills the old leg before it
 * answers the replace): the gateway reports the fill, then the replacement refused with
 * FP_GW_REJ_ORDER_ENDED, once; the venue's own refusal after it is counted, not applied;
 * replaying the journal rebuilds the same order table. Before: the replacement was dropped
 * without a word (risk held its reserve, the strategy took it for its quote). */
START_TEST(test_gw_refuses_a_replace_in_flight_when_its_order_ends)
{
	struct sockaddr_in sa;
	int ls = venue_listener(&sa, 0);
	struct fp_ring *ro = ring_new(64, "o"), *rx = ring_new(64, "x"), *rj = ring_new(64, "j");
	struct fp_gw_cfg cfg = {.port = ntohs(sa.sin_port),
				.order_ring = ro,
				.exec_ring = rx,
				.journal_ring = rj,
				.symtab = test_symtab(),
				.username = "u",
				.password = "p"};
	struct fp_gw gw;
	struct fp_event cap[32];
	uint32_t nb_cap = 0;
	ck_assert_int_eq(fp_gw_init(&gw, &cfg), 0);
	fp_gw_poll(&gw, 8);
	int fd = accept(ls, NULL, NULL);
	ck_assert_int_ge(fd, 0);
	uint8_t b[512];
	size_t n = fp_soup_build_login_accepted(b, sizeof(b), "FAKE", 1);
	ck_assert_int_eq(send(fd, b, n, 0), (ssize_t)n);
	struct fp_ouch_msg q = {.type = 'Q', .next_user_ref_num = 50};
	venue_send(fd, &q, 1);
	poll_until_applied(&gw, 1, rj, cap, &nb_cap);
	ck_assert_int_eq(fp_gw_stats(&gw)->session, FP_GW_UP);
	struct fp_event ev = {.type = FP_EV_ORDER_NEW, .symbol_id = 1};
	ev.u.order = (struct fp_ev_order){.client_order_id = 77,
					  .price = 1000000,
					  .shares = 100,
					  .strategy_id = 3,
					  .side = 'B'};
	fp_ring_enqueue_burst(ro, &ev, 1);
	fp_gw_poll(&gw, 8);
	struct fp_ouch_msg acc = {.type = 'A',
				  .user_ref_num = 50,
				  .side = 'B',
				  .quantity = 100,
				  .price = 1000000,
				  .order_reference_number = 9001,
				  .order_state = 'L'};
	venue_send(fd, &acc, 1);
	poll_until_applied(&gw, 2, rj, cap, &nb_cap);
	/* the replace goes out (UserRefNum 51); the venue fills the old leg before answering */
	struct fp_event rep = {.type = FP_EV_ORDER_REPLACE, .symbol_id = 1};
	rep.u.order = (struct fp_ev_order){.client_order_id = 78,
					   .orig_client_order_id = 77,
					   .price = 1010000,
					   .shares = 100,
					   .strategy_id = 3,
					   .side = 'B'};
	fp_ring_enqueue_burst(ro, &rep, 1);
	fp_gw_poll(&gw, 8);
	ck_assert_int_eq(fp_gw_find(&gw, 77)->pending, FP_GW_PEND_REPLACE);
	struct fp_ouch_msg fill = {.type = 'E',
				   .user_ref_num = 50,
				   .quantity = 100,
				   .price = 1000000,
				   .match_number = 5};
	venue_send(fd, &fill, 1);
	poll_until_applied(&gw, 3, rj, cap, &nb_cap);
	ck_assert_int_eq(next_exec(rx).type, FP_EV_EXEC_ACCEPTED);
	struct fp_event f = next_exec(rx);
	ck_assert_int_eq(f.type, FP_EV_EXEC_FILL);
	ck_assert_uint_eq(f.u.exec.client_order_id, 77);
	ck_assert_uint_eq(f.u.exec.leaves_shares, 0);
	struct fp_event r = next_exec(rx); /* right after the fill, the replacement refused */
	ck_assert_int_eq(r.type, FP_EV_EXEC_REJECTED);
	ck_assert_uint_eq(r.u.exec.client_order_id, 78);
	ck_assert_int_eq(r.u.exec.reason, FP_GW_REJ_ORDER_ENDED);
	ck_assert_str_eq(fp_gw_reject_name(r.u.exec.reason), "order_ended");
	ck_assert_int_eq(r.u.exec.price, 1010000);
	ck_assert_uint_eq(r.u.exec.shares, 100);
	ck_assert_uint_eq(r.u.exec.strategy_id, 3);
	ck_assert_uint_eq(r.seq, f.seq); /* made by the venue's fill: journaled with it (J3) */
	ck_assert_uint_eq(fp_ring_count(rx), 0);
	const struct fp_gw_stats *st = fp_gw_stats(&gw);
	ck_assert_uint_eq(st->nb_local_by_reason[FP_GW_REJ_ORDER_ENDED - FP_GW_REJ_FIRST], 1);
	ck_assert_uint_eq(st->nb_open, 0);
	const struct fp_gw_order *o = fp_gw_find(&gw, 77);
	ck_assert_int_eq(o->state, FP_GW_FILLED);
	ck_assert_int_eq(o->pending, FP_GW_PEND_NONE);
	ck_assert_ptr_null(fp_gw_find(&gw, 78));
	/* the venue's refusal of that replace, later: its UserRefNum is forgotten, counted,
	 * nothing reported again */
	struct fp_ouch_msg rj51 = {.type = 'J', .user_ref_num = 51, .reject_reason = 1};
	venue_send(fd, &rj51, 1);
	poll_until_applied(&gw, 4, rj, cap, &nb_cap);
	ck_assert_uint_eq(st->nb_unknown, 1);
	ck_assert_uint_eq(st->nb_impossible, 0);
	ck_assert_uint_eq(fp_ring_count(rx), 0);
	ck_assert_uint_eq(st->nb_local_by_reason[FP_GW_REJ_ORDER_ENDED - FP_GW_REJ_FIRST], 1);

	/* Recovery from what was journaled rebuilds the same table. */
	struct fp_ring *ro2 = ring_new(64, "o2"), *rx2 = ring_new(64, "x2");
	struct fp_gw_cfg cfg2 = cfg;
	cfg2.order_ring = ro2;
	cfg2.exec_ring = rx2;
	cfg2.journal_ring = NULL;
	struct fp_gw gw2;
	ck_assert_int_eq(fp_gw_init(&gw2, &cfg2), 0);
	for (uint32_t i = 0; i < nb_cap; i++)
		ck_assert_int_eq(fp_gw_recover_event(&gw2, &cap[i]), 0);
	fp_gw_recover_done(&gw2);
	const struct fp_gw_stats *st2 = fp_gw_stats(&gw2);
	ck_assert_uint_eq(st2->nb_recover_unknown, 0);
	ck_assert_uint_eq(st2->nb_open, 0);
	/* after the fill's message: the venue's Rejected made no record, so a login replays it
	 * (harmless: unknown, as above) */
	ck_assert_uint_eq(st2->next_seq, f.seq + 1);
	ck_assert_uint_eq(st2->next_user_ref_num, st->next_user_ref_num);
	const struct fp_gw_order *o2 = fp_gw_find(&gw2, 77);
	ck_assert_ptr_nonnull(o2);
	ck_assert_int_eq(o2->state, o->state);
	ck_assert_int_eq(o2->pending, o->pending);
	ck_assert_uint_eq(o2->pend_user_ref_num, o->pend_user_ref_num);
	ck_assert_uint_eq(o2->user_ref_num, o->user_ref_num);
	ck_assert_uint_eq(o2->filled, o->filled);
	ck_assert_uint_eq(o2->leaves, o->leaves);
	ck_assert_uint_eq(o2->qty, o->qty);
	ck_assert_ptr_null(fp_gw_find(&gw2, 78));
	ck_assert_uint_eq(fp_ring_count(rx2), 0); /* recovery reports nothing */
	fp_gw_fini(&gw2);
	fp_gw_fini(&gw);
	close(fd);
	close(ls);
	free(ro);
	free(rx);
	free(rj);
	free(ro2);
	free(rx2);
}
END_TEST

/* ---- trading ---- */

START_TEST(test_gw_orders_fills_cancel_replace)
{
	struct world *w = world_new();
	uint64_t buy = order(&w->a, FP_EV_ORDER_NEW, 1, 'B', 300, 1500000, FP_TIF_DAY, 0);
	struct fp_ev_exec x = expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	ck_assert_uint_eq(x.client_order_id, buy);
	ck_assert_uint_eq(x.shares, 300);
	ck_assert_uint_eq(x.leaves_shares, 300);
	ck_assert_uint_gt(x.match_number, 0); /* venue order reference */

	order(&w->b, FP_EV_ORDER_NEW, 1, 'S', 100, 1500000, FP_TIF_IOC, 0);
	expect(w, &w->b, FP_EV_EXEC_ACCEPTED);
	struct fp_ev_exec fb = expect(w, &w->b, FP_EV_EXEC_FILL);
	struct fp_ev_exec fa = expect(w, &w->a, FP_EV_EXEC_FILL);
	ck_assert_uint_eq(fa.client_order_id, buy);
	ck_assert_uint_eq(fa.shares, 100);
	ck_assert_uint_eq(fa.leaves_shares, 200);
	ck_assert_int_eq(fa.price, 1500000);
	ck_assert_uint_eq(fa.match_number, fb.match_number);
	ck_assert_int_eq(fp_gw_find(&w->a.gw, buy)->state, FP_GW_PARTIAL);

	/* Replace: 300 liable -> 250 at a new price: old id canceled, new id accepted. */
	uint64_t rep = order(&w->a, FP_EV_ORDER_REPLACE, 1, 'B', 250, 1490000, FP_TIF_DAY, buy);
	x = expect(w, &w->a, FP_EV_EXEC_CANCELED);
	ck_assert_uint_eq(x.client_order_id, buy);
	ck_assert_uint_eq(x.leaves_shares, 0);
	x = expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	ck_assert_uint_eq(x.client_order_id, rep);
	ck_assert_uint_eq(x.leaves_shares, 150);
	ck_assert_int_eq(x.price, 1490000);
	ck_assert_ptr_null(fp_gw_find(&w->a.gw, buy));
	const struct fp_gw_order *o = fp_gw_find(&w->a.gw, rep);
	ck_assert_int_eq(o->state, FP_GW_PARTIAL);

	/* The rest fills: 150 against Bob. */
	order(&w->b, FP_EV_ORDER_NEW, 1, 'S', 400, 1490000, FP_TIF_IOC, 0);
	expect(w, &w->b, FP_EV_EXEC_ACCEPTED);
	fa = expect(w, &w->a, FP_EV_EXEC_FILL);
	ck_assert_uint_eq(fa.shares, 150);
	ck_assert_uint_eq(fa.leaves_shares, 0);
	ck_assert_int_eq(o->state, FP_GW_FILLED);

	/* Cancel: reduce to 40, then cancel the rest. */
	uint64_t s2 = order(&w->a, FP_EV_ORDER_NEW, 2, 'T', 100, 3000000, FP_TIF_DAY, 0);
	expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	order(&w->a, FP_EV_ORDER_CANCEL, 2, 'T', 40, 0, 0, s2);
	x = expect(w, &w->a, FP_EV_EXEC_CANCELED);
	ck_assert_uint_eq(x.shares, 60);
	ck_assert_uint_eq(x.leaves_shares, 40);
	ck_assert_int_eq(x.reason, FP_OUCH_CXL_USER);
	order(&w->a, FP_EV_ORDER_CANCEL, 2, 'T', 0, 0, 0, s2);
	x = expect(w, &w->a, FP_EV_EXEC_CANCELED);
	ck_assert_uint_eq(x.leaves_shares, 0);
	ck_assert_int_eq(fp_gw_find(&w->a.gw, s2)->state, FP_GW_CANCELED);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_open, 0);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_impossible, 0);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_unknown, 0);
	world_free(w);
}
END_TEST

/* Issue 15: a message send() does not take whole waits in the backlog and is counted
 * (nb_tx_backlog); a new order sent that way gives no tick-to-trade sample (its bytes
 * leave later, at a time not measured), one send() takes does. A hand-made venue with a
 * small receive buffer stops reading so that the socket fills. */
START_TEST(test_gw_backlog_send_is_counted_and_not_sampled)
{
	struct sockaddr_in sa;
	int ls = venue_listener(&sa, 4096);
	struct fp_hist *h = aligned_alloc(64, FP_ALIGN_UP(sizeof(*h), 64));
	fp_hist_init(h);
	struct fp_ring *ro = ring_new(64, "o"), *rx = ring_new(64, "x");
	struct fp_gw_cfg cfg = {.port = ntohs(sa.sin_port),
				.order_ring = ro,
				.exec_ring = rx,
				.symtab = test_symtab(),
				.username = "u",
				.password = "p",
				.t2t_hist = h};
	struct fp_gw gw;
	ck_assert_int_eq(fp_gw_init(&gw, &cfg), 0);
	const struct fp_gw_stats *st = fp_gw_stats(&gw);
	fp_gw_poll(&gw, 8);
	int fd = accept(ls, NULL, NULL);
	ck_assert_int_ge(fd, 0);
	uint8_t b[512];
	ssize_t got = 0;
	for (int i = 0; i < 2000 && got <= 0; i++) { /* the login request */
		fp_gw_poll(&gw, 8);
		got = recv(fd, b, sizeof(b), MSG_DONTWAIT);
		usleep(500);
	}
	ck_assert_int_eq(got, 49);
	size_t n = fp_soup_build_login_accepted(b, sizeof(b), "FAKE", 1);
	struct fp_ouch_msg q = {.type = 'Q', .dir = FP_OUCH_OUTBOUND, .next_user_ref_num = 50};
	int k = fp_ouch_encode(&q, b + n + 3, 64);
	fp_soup_put_hdr(b + n, 'S', (size_t)k);
	n += 3 + (size_t)k;
	ck_assert_int_eq(send(fd, b, n, 0), (ssize_t)n);
	for (int i = 0; i < 2000 && st->session != FP_GW_UP; i++) {
		fp_gw_poll(&gw, 8);
		usleep(500);
	}
	ck_assert_int_eq(st->session, FP_GW_UP);
	while (recv(fd, b, sizeof(b), MSG_DONTWAIT) > 0) /* the Account Query */
		;

	struct fp_event ev = {.type = FP_EV_ORDER_NEW, .symbol_id = 1, .t_rx = 1};
	ev.u.order.client_order_id = 77;
	ev.u.order.side = 'B';
	ev.u.order.shares = 100;
	ev.u.order.price = 1000000;
	ck_assert_uint_eq(fp_ring_enqueue_burst(ro, &ev, 1), 1);
	fp_gw_poll(&gw, 8);
	ck_assert_uint_eq(st->nb_orders_sent, 1);
	ck_assert_uint_eq(st->nb_tx_backlog, 0);
	ck_assert_uint_eq(fp_hist_count(h), 1); /* send() took it: a sample */

	/* The venue stops reading: mass cancels fill the socket until one waits. */
	for (unsigned i = 0; i < 200000 && st->nb_tx_backlog == 0; i++) {
		struct fp_event mc = {.type = FP_EV_ORDER_MASS_CANCEL, .symbol_id = 1};
		ck_assert_uint_eq(fp_ring_enqueue_burst(ro, &mc, 1), 1);
		fp_gw_poll(&gw, 8);
	}
	ck_assert_uint_gt(st->nb_tx_backlog, 0);
	ck_assert_int_eq(st->session, FP_GW_UP);
	uint64_t backlog = st->nb_tx_backlog;
	ev.u.order.client_order_id = 78;
	ck_assert_uint_eq(fp_ring_enqueue_burst(ro, &ev, 1), 1);
	fp_gw_poll(&gw, 8);
	ck_assert_uint_eq(st->nb_orders_sent, 2);
	ck_assert_uint_eq(st->nb_tx_backlog, backlog + 1); /* behind the waiting bytes */
	ck_assert_uint_eq(fp_hist_count(h), 1);            /* and no sample for it */

	/* The venue reads again: the backlog drains, the order arrives last and whole. */
	static uint8_t stream[1 << 23];
	size_t len = 0;
	for (int idle = 0; idle < 200 && len < sizeof(stream);) {
		fp_gw_poll(&gw, 8);
		ssize_t r = recv(fd, stream + len, sizeof(stream) - len, MSG_DONTWAIT);
		if (r > 0) {
			len += (size_t)r;
			idle = 0;
		} else {
			idle++;
			usleep(500);
		}
	}
	unsigned enters = 0;
	struct fp_ouch_msg last = {0};
	for (size_t off = 0; off + 3 <= len;) {
		struct fp_soup_pkt p;
		size_t plen = 2 + ((size_t)stream[off] << 8 | stream[off + 1]);
		ck_assert_uint_le(off + plen, len);
		ck_assert_int_eq(fp_soup_parse(stream + off, plen, FP_SOUP_FROM_CLIENT, 512, &p),
				 FP_SOUP_OK);
		struct fp_ouch_msg m;
		if (p.type == FP_SOUP_UNSEQUENCED &&
		    fp_ouch_decode(FP_OUCH_INBOUND, p.payload, p.payload_len, &m) == FP_OUCH_OK &&
		    m.type == FP_OUCH_ENTER_ORDER) {
			enters++;
			last = m;
		}
		off += plen;
	}
	ck_assert_uint_eq(enters, 2);
	ck_assert_int_eq(memcmp(last.cl_ord_id, "2E            ", 14), 0); /* 78 in base 32 */
	ck_assert_int_eq(st->session, FP_GW_UP);
	fp_gw_fini(&gw);
	close(fd);
	close(ls);
	free(ro);
	free(rx);
	free(h);
}
END_TEST

/* Issue 15: a due read of the venue's socket never stands between an order and the next
 * pass: the poll that takes an order sends it and leaves the recv() to the next poll. */
START_TEST(test_gw_poll_that_sends_an_order_leaves_the_read_to_the_next)
{
	struct world *w = world_new();
	const struct fp_gw_stats *st = fp_gw_stats(&w->a.gw);
	w->a.gw.cfg.rx_interval_us = 500000; /* a due read is late only after 1 s */
	uint64_t reads = st->nb_rx_reads;
	while (st->nb_rx_reads == reads) /* the read at the end of the current interval */
		fp_gw_poll(&w->a.gw, 32);
	usleep(600000); /* the next read is due (after 0.5 s), not late (1 s) */
	reads = st->nb_rx_reads;
	uint64_t sent = st->nb_orders_sent;
	order(&w->a, FP_EV_ORDER_NEW, 1, 'B', 100, 1500000, FP_TIF_DAY, 0);
	fp_gw_poll(&w->a.gw, 32);
	ck_assert_uint_eq(st->nb_orders_sent, sent + 1); /* sent in the poll that took it */
	ck_assert_uint_eq(st->nb_rx_reads, reads);       /* and no recv() in that poll */
	fp_gw_poll(&w->a.gw, 32);
	ck_assert_uint_eq(st->nb_rx_reads, reads + 1); /* the next poll reads */
	ck_assert_uint_ge(st->rx_gap_max_ns, 500000000u);
	expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	world_free(w);
}
END_TEST

/* The venue drops Alice in the middle of fills; the fills she missed are applied once. */
START_TEST(test_gw_reconnect_replays_fills_exactly_once)
{
	struct world *w = world_new();
	uint64_t sell = order(&w->a, FP_EV_ORDER_NEW, 2, 'S', 1000, 2000000, FP_TIF_DAY, 0);
	expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	uint32_t filled = 0;
	for (int i = 0; i < 3; i++) {
		order(&w->b, FP_EV_ORDER_NEW, 2, 'B', 50, 2000000, FP_TIF_IOC, 0);
		filled += expect(w, &w->a, FP_EV_EXEC_FILL).shares;
	}
	/* Drop: an intruder with Alice's credentials takes her session over. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(fp_sim_oe_port(&w->oe)),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	uint8_t b[64];
	size_t n = fp_soup_build_login_request(b, sizeof(b), "alice", "secret1", "", 0);
	ck_assert_int_eq(send(fd, b, n, 0), (ssize_t)n);
	w->pause_a = 1;
	/* Fills while the gateway is away. */
	for (int i = 0; i < 4; i++) {
		order(&w->b, FP_EV_ORDER_NEW, 2, 'B', 25, 2000000, FP_TIF_IOC, 0);
		expect(w, &w->b, FP_EV_EXEC_ACCEPTED);
		expect(w, &w->b, FP_EV_EXEC_FILL);
	}
	ck_assert_uint_eq(fp_sim_oe_stats(&w->oe)->nb_takeovers, 1);
	close(fd);
	w->pause_a = 0;
	pump(w, 5);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_disconnects, 1);
	ck_assert_int_eq(fp_gw_stats(&w->a.gw)->breaker, 1);
	pump_until_up(w, &w->a);
	for (int i = 0; i < 4; i++) {
		struct fp_ev_exec f = expect(w, &w->a, FP_EV_EXEC_FILL);
		ck_assert_uint_eq(f.client_order_id, sell);
		ck_assert_int_eq(last_flags & FP_EVF_REPLAY, FP_EVF_REPLAY);
		filled += f.shares;
	}
	expect_none(w, &w->a);
	ck_assert_uint_eq(filled, 250);
	ck_assert_uint_eq(fp_sim_oe_stats(&w->oe)->nb_replayed, 4);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_logins, 2);
	const struct fp_gw_order *o = fp_gw_find(&w->a.gw, sell);
	ck_assert_uint_eq(o->filled, 250);
	ck_assert_uint_eq(o->leaves, 750);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_fills, 7);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_impossible, 0);
	ck_assert_uint_eq(fp_sim_engine_stats(w->e)->nb_shares, 250);
	/* No order was entered twice: Alice 1, Bob 7. */
	ck_assert_uint_eq(fp_sim_engine_stats(w->e)->nb_enter, 8);
	/* Trading goes on after the reconnect. */
	order(&w->b, FP_EV_ORDER_NEW, 2, 'B', 10, 2000000, FP_TIF_IOC, 0);
	ck_assert_uint_eq(expect(w, &w->a, FP_EV_EXEC_FILL).shares, 10);
	ck_assert_int_eq(last_flags & FP_EVF_REPLAY, 0);
	fp_gw_reset_breaker(&w->a.gw);
	ck_assert_int_eq(fp_gw_stats(&w->a.gw)->breaker, 0);
	ck_assert_uint_eq(w->a.nb_venue_down, 1); /* risk's venue breaker was told */
	ck_assert_uint_eq(w->a.nb_venue_up, 2);   /* each login: the first, the reconnect */
	world_free(w);
}
END_TEST

START_TEST(test_gw_kill_switch_cancels_every_open_order)
{
	struct world *w = world_new();
	for (int i = 0; i < 10; i++) {
		order(&w->a, FP_EV_ORDER_NEW, 1 + (i & 1), 'B', 100, 1000000 + i * 100, FP_TIF_DAY,
		      0);
		expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	}
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_open, 10);
	ck_assert_uint_eq(fp_sim_engine_stats(w->e)->nb_live, 10);
	fp_shm_ctl_kill(&w->ctl, "test", "kill switch test");
	pump(w, 50);
	ck_assert_int_eq(fp_gw_stats(&w->a.gw)->killed, 2);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_kill_cancels, 10);
	ck_assert_uint_gt(fp_gw_stats(&w->a.gw)->kill_latency_ns, 0);
	for (int i = 0; i < 10; i++)
		ck_assert_uint_eq(expect(w, &w->a, FP_EV_EXEC_CANCELED).leaves_shares, 0);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_open, 0);
	ck_assert_uint_eq(fp_sim_engine_stats(w->e)->nb_live, 0);
	order(&w->a, FP_EV_ORDER_NEW, 1, 'B', 100, 1000000, FP_TIF_DAY, 0);
	ck_assert_int_eq(expect(w, &w->a, FP_EV_EXEC_REJECTED).reason, FP_GW_REJ_KILLED);
	ck_assert_str_eq(fp_gw_reject_name(FP_GW_REJ_KILLED), "killed");
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_local_by_reason[FP_GW_REJ_KILLED - 0x80], 1);
	/* Re-armed (fastpath-ctl unkill): the next order reaches the venue (issue 16). */
	uint64_t sent = fp_gw_stats(&w->a.gw)->nb_orders_sent;
	fp_shm_ctl_rearm(&w->ctl, "test", "re-arm");
	pump(w, 5);
	ck_assert_int_eq(fp_gw_stats(&w->a.gw)->killed, 0);
	order(&w->a, FP_EV_ORDER_NEW, 1, 'B', 100, 1000000, FP_TIF_DAY, 0);
	expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_orders_sent, sent + 1);
	ck_assert_uint_eq(fp_sim_engine_stats(w->e)->nb_live, 1);
	world_free(w);
}
END_TEST

/* The kill switch over OUCH with a replace in flight that changes the quantity: the venue
 * applies the replace before it reads the kill's Mass Cancel. The gateway applies the
 * Replaced (the old leg canceled, the replacement accepted), and the replacement is
 * canceled: nothing stays live, at the venue or in the gateway. Before the fix the kill
 * marked the order pending cancel over its replace, the Replaced was refused as
 * impossible, and the venue's Canceled of 300 shares could not apply to the old leg's 100:
 * the gateway, risk and the strategy held an order open that the venue had canceled. */
START_TEST(test_gw_kill_switch_with_a_replace_in_flight)
{
	struct world *w = world_new();
	uint64_t id = order(&w->a, FP_EV_ORDER_NEW, 1, 'B', 100, 1000000, FP_TIF_DAY, 0);
	expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	uint64_t r = order(&w->a, FP_EV_ORDER_REPLACE, 1, 'B', 300, 1000100, FP_TIF_DAY, id);
	fp_gw_poll(&w->a.gw, 32); /* the Replace leaves; the venue has not read it yet */
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_replaces_sent, 1);
	fp_shm_ctl_kill(&w->ctl, "test", "kill switch test");
	fp_gw_poll(&w->a.gw, 32);
	ck_assert_int_eq(fp_gw_stats(&w->a.gw)->killed, 2);
	struct fp_ev_exec x = expect(w, &w->a, FP_EV_EXEC_CANCELED); /* the old leg */
	ck_assert_uint_eq(x.client_order_id, id);
	x = expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	ck_assert_uint_eq(x.client_order_id, r);
	ck_assert_uint_eq(x.leaves_shares, 300);
	x = expect(w, &w->a, FP_EV_EXEC_CANCELED);
	ck_assert_uint_eq(x.client_order_id, r);
	ck_assert_uint_eq(x.leaves_shares, 0);
	expect_none(w, &w->a);
	ck_assert_uint_eq(fp_sim_engine_stats(w->e)->nb_live, 0);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_open, 0);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_impossible, 0);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_unknown, 0);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_kill_cancels, 1); /* the replacement's */
	/* J2: the cancel sent is journaled, and only it (not one for the old leg at the trip,
	 * which waited for the replace's answer and was never sent). */
	drain_journal(&w->a);
	uint32_t nb_cancels = 0;
	for (uint32_t i = 0; i < w->a.nb_cap; i++) {
		if (w->a.cap[i].type != FP_EV_ORDER_CANCEL)
			continue;
		nb_cancels++;
		ck_assert_uint_eq(w->a.cap[i].u.order.orig_client_order_id, r);
	}
	ck_assert_uint_eq(nb_cancels, 1);
	world_free(w);
}
END_TEST

/* ---- journal and recovery ---- */

/* The gateway of @p s dies (no Logout: the venue just sees the connection close) and a new
 * one recovers from the first @p nb_keep journal records captured (J5), plus @p extra. */
static void crash_and_recover(struct world *w, struct side *s, uint32_t nb_keep,
			      const struct fp_event *extra, uint32_t nb_extra)
{
	struct fp_event *keep = aligned_alloc(64, sizeof(s->cap));
	uint32_t n = FP_MIN(nb_keep, s->nb_cap);
	memcpy(keep, s->cap, n * sizeof(*keep));
	uint64_t next_id = s->next_id; /* the strategy host's ids never repeat (strategies/) */
	close(s->gw.fd);
	s->gw.fd = -1;
	side_free(s);
	int is_a = s == &w->a;
	side_init(w, s, is_a ? "alice" : "bob", is_a ? "secret1" : "secret2",
		  is_a ? "ALCE" : "BOBB");
	s->next_id = next_id;
	for (uint32_t i = 0; i < n; i++)
		ck_assert_int_eq(fp_gw_recover_event(&s->gw, &keep[i]), 0);
	for (uint32_t i = 0; i < nb_extra; i++)
		ck_assert_int_eq(fp_gw_recover_event(&s->gw, &extra[i]), 0);
	fp_gw_recover_done(&s->gw);
	free(keep);
}

/* Highest venue sequence number among the captured records. */
static uint64_t cap_last_seq(const struct side *s, uint32_t n)
{
	uint64_t last = 0;
	for (uint32_t i = 0; i < n && i < s->nb_cap; i++)
		if (s->cap[i].type >= FP_EV_EXEC_ACCEPTED && s->cap[i].seq > last)
			last = s->cap[i].seq;
	return last;
}

START_TEST(test_gw_journals_orders_before_send_and_reports_after)
{
	struct world *w = world_new();
	uint64_t buy = order(&w->a, FP_EV_ORDER_NEW, 1, 'B', 100, 1500000, FP_TIF_DAY, 0);
	expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	order(&w->b, FP_EV_ORDER_NEW, 1, 'S', 40, 1500000, FP_TIF_IOC, 0);
	expect(w, &w->a, FP_EV_EXEC_FILL);
	pump(w, 5);
	/* session, order (seq = UserRefNum), accepted, fill (seq = SoupBinTCP numbers) */
	struct side *a = &w->a;
	ck_assert_uint_eq(a->nb_cap, 4);
	ck_assert_int_eq(a->cap[0].type, FP_EV_CONTROL);
	ck_assert_uint_eq(a->cap[0].u.control.command, FP_JRNL_CTL_SESSION);
	ck_assert_int_eq(memcmp(a->cap[0].u.control.text, "FPSIM00001", 10), 0);
	ck_assert_uint_eq(a->cap[0].u.control.value, 1); /* requested at login */
	ck_assert_int_eq(a->cap[1].type, FP_EV_ORDER_NEW);
	ck_assert_uint_eq(a->cap[1].u.order.client_order_id, buy);
	ck_assert_uint_eq(a->cap[1].seq, fp_gw_find(&a->gw, buy)->user_ref_num);
	ck_assert_int_eq(a->cap[2].type, FP_EV_EXEC_ACCEPTED);
	ck_assert_int_eq(a->cap[3].type, FP_EV_EXEC_FILL);
	ck_assert_uint_eq(a->cap[3].seq, a->cap[2].seq + 1);
	ck_assert_uint_eq(a->cap[3].seq + 1, fp_gw_stats(&a->gw)->next_seq);
	ck_assert_uint_eq(a->cap[3].u.exec.reserved, a->cap[1].seq);
	world_free(w);
}
END_TEST

/* Alice's gateway dies in the middle of fills; the journal lost the record of the last
 * fill it applied (pushed on the exec rings, not yet on the journal ring: J3). */
START_TEST(test_gw_recovers_mid_fills_without_resending_or_double_fills)
{
	struct world *w = world_new();
	uint64_t sell = order(&w->a, FP_EV_ORDER_NEW, 2, 'S', 1000, 2000000, FP_TIF_DAY, 0);
	uint64_t rest = order(&w->a, FP_EV_ORDER_NEW, 1, 'B', 100, 1000000, FP_TIF_DAY, 0);
	expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	uint32_t sell_urn = fp_gw_find(&w->a.gw, sell)->user_ref_num;
	for (int i = 0; i < 3; i++) {
		order(&w->b, FP_EV_ORDER_NEW, 2, 'B', 50, 2000000, FP_TIF_IOC, 0);
		expect(w, &w->a, FP_EV_EXEC_FILL);
	}
	pump(w, 5);
	uint32_t keep = w->a.nb_cap - 1; /* the third fill's record is lost */
	ck_assert_int_eq(w->a.cap[keep].type, FP_EV_EXEC_FILL);
	w->pause_a = 1;
	for (int i = 0; i < 4; i++) { /* fills while Alice is dead */
		order(&w->b, FP_EV_ORDER_NEW, 2, 'B', 25, 2000000, FP_TIF_IOC, 0);
		expect(w, &w->b, FP_EV_EXEC_ACCEPTED);
		expect(w, &w->b, FP_EV_EXEC_FILL);
	}
	uint64_t last = cap_last_seq(&w->a, keep);
	crash_and_recover(w, &w->a, keep, NULL, 0);
	w->pause_a = 0;
	/* The dead gateway had not released its last batch: the order ring still holds it. */
	struct fp_event again = {.type = FP_EV_ORDER_NEW, .symbol_id = 1};
	again.u.order = (struct fp_ev_order){
		.client_order_id = rest, .price = 1000000, .shares = 100, .side = 'B'};
	ck_assert_uint_eq(fp_ring_enqueue_burst(w->a.orders, &again, 1), 1);
	const struct fp_gw_stats *st = fp_gw_stats(&w->a.gw);
	ck_assert_uint_eq(st->next_seq, last + 1);
	ck_assert_uint_eq(st->nb_recovered_orders, 2);
	ck_assert_uint_eq(st->nb_recovered_open, 2);
	ck_assert_uint_eq(st->nb_recovered_fills, 2);
	ck_assert_uint_eq(st->nb_recover_unknown, 0);
	ck_assert_uint_gt(st->next_user_ref_num, sell_urn);
	const struct fp_gw_order *o = fp_gw_find(&w->a.gw, sell);
	ck_assert_int_eq(o->state, FP_GW_PARTIAL);
	ck_assert_uint_eq(o->filled, 100);
	ck_assert_uint_eq(o->leaves, 900);
	ck_assert_int_eq(fp_gw_find(&w->a.gw, rest)->state, FP_GW_ACCEPTED);
	/* The venue replays the lost fill and the four made while Alice was away. */
	pump_until_up(w, &w->a);
	uint32_t filled = 0;
	for (int i = 0; i < 5; i++) {
		struct fp_ev_exec f = expect(w, &w->a, FP_EV_EXEC_FILL);
		ck_assert_uint_eq(f.client_order_id, sell);
		ck_assert_int_eq(last_flags & FP_EVF_REPLAY, FP_EVF_REPLAY);
		filled += f.shares;
	}
	expect_none(w, &w->a);
	ck_assert_uint_eq(filled, 150);
	ck_assert_uint_eq(o->filled, 250);
	ck_assert_uint_eq(o->leaves, 750);
	ck_assert_uint_eq(st->nb_impossible, 0);
	ck_assert_uint_eq(st->nb_unknown, 0);
	ck_assert_uint_eq(st->nb_sent, 1); /* the Account Query only: nothing entered again */
	ck_assert_uint_eq(st->nb_recover_skipped, 1);
	ck_assert_uint_eq(st->nb_local_rejects, 0);
	ck_assert_uint_eq(fp_sim_engine_stats(w->e)->nb_enter, 2 + 7);
	/* Trading goes on: a new order gets a UserRefNum above every one used. */
	uint64_t next = order(&w->a, FP_EV_ORDER_NEW, 1, 'B', 10, 1000000, FP_TIF_DAY, 0);
	expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	ck_assert_uint_gt(fp_gw_find(&w->a.gw, next)->user_ref_num, sell_urn + 1);
	/* The cancel of a recovered order works. */
	order(&w->a, FP_EV_ORDER_CANCEL, 1, 'B', 0, 0, 0, rest);
	ck_assert_uint_eq(expect(w, &w->a, FP_EV_EXEC_CANCELED).leaves_shares, 0);
	world_free(w);
}
END_TEST

/* The journal lost Alice's order and its reports (a supervisor crash: the ring died with
 * the segment); the venue's replay of its Accepted adopts it, then its fills count. */
START_TEST(test_gw_adopts_an_unjournaled_order_from_the_venue)
{
	struct world *w = world_new();
	uint64_t buy = order(&w->a, FP_EV_ORDER_NEW, 1, 'B', 300, 1500000, FP_TIF_DAY, 0);
	expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	order(&w->b, FP_EV_ORDER_NEW, 1, 'S', 100, 1500000, FP_TIF_IOC, 0);
	expect(w, &w->a, FP_EV_EXEC_FILL);
	uint32_t urn = fp_gw_find(&w->a.gw, buy)->user_ref_num;
	pump(w, 5);
	crash_and_recover(w, &w->a, 1, NULL, 0); /* only the session record survived */
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->next_seq, 1);
	ck_assert_ptr_null(fp_gw_find(&w->a.gw, buy));
	/* The strategy host runs on: its next order, taken before the venue's replay (refused:
	 * not connected yet), lies above the lost one, which is still adopted. */
	uint64_t next = order(&w->a, FP_EV_ORDER_NEW, 1, 'B', 10, 1400000, FP_TIF_DAY, 0);
	struct fp_ev_exec x = expect(w, &w->a, FP_EV_EXEC_REJECTED);
	ck_assert_uint_eq(x.client_order_id, next);
	ck_assert_int_eq(x.reason, FP_GW_REJ_NOT_CONNECTED);
	pump_until_up(w, &w->a);
	x = expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	ck_assert_uint_eq(x.client_order_id, buy);
	ck_assert_uint_eq(x.strategy_id, 7);
	ck_assert_uint_eq(expect(w, &w->a, FP_EV_EXEC_FILL).shares, 100);
	const struct fp_gw_order *o = fp_gw_find(&w->a.gw, buy);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(o->state, FP_GW_PARTIAL);
	ck_assert_uint_eq(o->leaves, 200);
	ck_assert_uint_eq(o->strategy_id, 7);
	ck_assert_uint_eq(o->symbol_id, 1);
	ck_assert_uint_eq(o->user_ref_num, urn);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_adopted, 1);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_unknown, 0);
	ck_assert_uint_gt(fp_gw_stats(&w->a.gw)->next_user_ref_num, urn);
	order(&w->b, FP_EV_ORDER_NEW, 1, 'S', 200, 1500000, FP_TIF_IOC, 0);
	ck_assert_uint_eq(expect(w, &w->a, FP_EV_EXEC_FILL).leaves_shares, 0);
	ck_assert_int_eq(o->state, FP_GW_FILLED);
	world_free(w);
}
END_TEST

/* A crash between J2 and send(): the journal has an order the venue never received. */
START_TEST(test_gw_releases_a_journaled_order_never_sent)
{
	struct world *w = world_new();
	order(&w->a, FP_EV_ORDER_NEW, 1, 'B', 300, 1500000, FP_TIF_DAY, 0);
	expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	pump(w, 5);
	uint32_t next_urn = fp_gw_stats(&w->a.gw)->next_user_ref_num;
	struct fp_event lost = {.type = FP_EV_ORDER_NEW, .symbol_id = 2, .seq = next_urn};
	lost.u.order = (struct fp_ev_order){.client_order_id = 7ull << 48 | 5555,
					    .price = 2000000,
					    .shares = 10,
					    .strategy_id = 7,
					    .side = 'S'};
	uint64_t entered = fp_sim_engine_stats(w->e)->nb_enter;
	crash_and_recover(w, &w->a, w->a.nb_cap, &lost, 1);
	ck_assert_int_eq(fp_gw_find(&w->a.gw, lost.u.order.client_order_id)->state,
			 FP_GW_PENDING_NEW);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->next_user_ref_num, next_urn + 1);
	pump_until_up(w, &w->a);
	struct fp_ev_exec x = expect(w, &w->a, FP_EV_EXEC_REJECTED);
	ck_assert_uint_eq(x.client_order_id, lost.u.order.client_order_id);
	ck_assert_int_eq(x.reason, FP_GW_REJ_LOST);
	ck_assert_uint_eq(x.strategy_id, 7);
	expect_none(w, &w->a);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_lost, 1);
	ck_assert_int_eq(fp_gw_find(&w->a.gw, lost.u.order.client_order_id)->state, FP_GW_REJECTED);
	ck_assert_uint_eq(fp_sim_engine_stats(w->e)->nb_enter, entered); /* never sent */
	/* The reject is journaled (seq 0), so a second recovery releases it too. */
	const struct fp_event *j = &w->a.cap[w->a.nb_cap - 1];
	ck_assert_int_eq(j->type, FP_EV_EXEC_REJECTED);
	ck_assert_uint_eq(j->seq, 0);
	world_free(w);
}
END_TEST

START_TEST(test_gw_refuses_orders_and_stops_reading_when_the_journal_is_full)
{
	struct world *w = world_new();
	side_free(&w->a);
	side_init_j(w, &w->a, "alice", "secret1", "ALCE", 4);
	w->a.hold_jrnl = 1; /* the store is stuck */
	pump_until_up(w, &w->a);
	ck_assert_uint_eq(fp_ring_count(w->a.jrnl), 1); /* the session record */
	uint64_t entered = fp_sim_engine_stats(w->e)->nb_enter;
	uint64_t id = order(&w->a, FP_EV_ORDER_NEW, 1, 'B', 100, 1500000, FP_TIF_DAY, 0);
	expect(w, &w->a, FP_EV_EXEC_ACCEPTED); /* journal: session, order, accepted */
	order(&w->a, FP_EV_ORDER_NEW, 1, 'B', 100, 1500000, FP_TIF_DAY, 0);
	ck_assert_int_eq(expect(w, &w->a, FP_EV_EXEC_REJECTED).reason, FP_GW_REJ_JOURNAL);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_journal_full, 1);
	ck_assert_uint_eq(fp_ring_count(w->a.jrnl), 4); /* the reject too */
	ck_assert_uint_eq(fp_sim_engine_stats(w->e)->nb_enter, entered + 1);
	/* A fill for Alice waits at the venue until the journal has room. */
	order(&w->b, FP_EV_ORDER_NEW, 1, 'S', 30, 1500000, FP_TIF_IOC, 0);
	expect(w, &w->b, FP_EV_EXEC_ACCEPTED);
	expect(w, &w->b, FP_EV_EXEC_FILL);
	pump(w, 20);
	ck_assert_uint_eq(fp_ring_count(w->a.execs), 0);
	ck_assert_uint_gt(fp_gw_stats(&w->a.gw)->nb_journal_stalls, 0);
	w->a.hold_jrnl = 0;
	struct fp_ev_exec f = expect(w, &w->a, FP_EV_EXEC_FILL);
	ck_assert_uint_eq(f.client_order_id, id);
	ck_assert_uint_eq(f.shares, 30);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_journal_unrecorded, 0);
	world_free(w);
}
END_TEST

/* The journal names a session the venue no longer has (a new day): start the current one. */
START_TEST(test_gw_falls_back_when_the_recovered_session_is_gone)
{
	struct world *w = world_new();
	struct fp_event old = {.type = FP_EV_CONTROL};
	old.u.control.command = FP_JRNL_CTL_SESSION;
	old.u.control.value = 40;
	memcpy(old.u.control.text, "OLDSESS001", 10);
	crash_and_recover(w, &w->a, 0, &old, 1);
	ck_assert_str_eq(w->a.gw.session, "OLDSESS001");
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->next_seq, 40);
	pump_until_up(w, &w->a);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_session_resets, 1);
	ck_assert_uint_ge(fp_gw_stats(&w->a.gw)->nb_login_rejected, 1);
	ck_assert_str_eq(w->a.gw.session, "");
	uint64_t id = order(&w->a, FP_EV_ORDER_NEW, 1, 'B', 10, 1000000, FP_TIF_DAY, 0);
	ck_assert_uint_eq(expect(w, &w->a, FP_EV_EXEC_ACCEPTED).client_order_id, id);
	world_free(w);
}
END_TEST

/* The journal lost the Accepted of Alice's first order (a supervisor crash): the replay
 * from 1 brings the Account Query answer of the first login before that Accepted, so the
 * sync ends early and the order is declared lost; the Accepted that follows revives it. */
START_TEST(test_gw_revives_a_lost_order_the_venue_accepts)
{
	struct world *w = world_new();
	uint64_t id = order(&w->a, FP_EV_ORDER_NEW, 1, 'B', 100, 1500000, FP_TIF_DAY, 0);
	expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	pump(w, 5);
	ck_assert_int_eq(w->a.cap[1].type, FP_EV_ORDER_NEW);
	crash_and_recover(w, &w->a, 2, NULL, 0); /* session and order records only */
	pump_until_up(w, &w->a);
	ck_assert_int_eq(expect(w, &w->a, FP_EV_EXEC_REJECTED).reason, FP_GW_REJ_LOST);
	struct fp_ev_exec x = expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	ck_assert_uint_eq(x.client_order_id, id);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_relived, 1);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_lost, 0);
	ck_assert_int_eq(fp_gw_find(&w->a.gw, id)->state, FP_GW_ACCEPTED);
	order(&w->b, FP_EV_ORDER_NEW, 1, 'S', 60, 1500000, FP_TIF_IOC, 0);
	ck_assert_uint_eq(expect(w, &w->a, FP_EV_EXEC_FILL).leaves_shares, 40);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_impossible, 0);
	world_free(w);
}
END_TEST

/* The journal lost a replace (order record and reports): the venue's replayed Replaced
 * adopts the replacement from its ClOrdID, and the replacement's fills apply. */
START_TEST(test_gw_adopts_an_unjournaled_replace_from_the_venue)
{
	struct world *w = world_new();
	uint64_t a = order(&w->a, FP_EV_ORDER_NEW, 1, 'B', 100, 1500000, FP_TIF_DAY, 0);
	expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	pump(w, 5);
	uint32_t keep = w->a.nb_cap; /* session, order, accepted */
	uint64_t r = order(&w->a, FP_EV_ORDER_REPLACE, 1, 'B', 80, 1490000, FP_TIF_DAY, a);
	expect(w, &w->a, FP_EV_EXEC_CANCELED);
	expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	pump(w, 5);
	crash_and_recover(w, &w->a, keep, NULL, 0);
	ck_assert_int_eq(fp_gw_find(&w->a.gw, a)->state, FP_GW_ACCEPTED);
	pump_until_up(w, &w->a);
	ck_assert_uint_eq(expect(w, &w->a, FP_EV_EXEC_CANCELED).client_order_id, a);
	struct fp_ev_exec x = expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	ck_assert_uint_eq(x.client_order_id, r);
	ck_assert_uint_eq(x.leaves_shares, 80);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_adopted, 1);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_impossible, 0);
	order(&w->b, FP_EV_ORDER_NEW, 1, 'S', 30, 1490000, FP_TIF_IOC, 0);
	x = expect(w, &w->a, FP_EV_EXEC_FILL);
	ck_assert_uint_eq(x.client_order_id, r);
	ck_assert_uint_eq(x.leaves_shares, 50);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_unknown, 0);
	world_free(w);
}
END_TEST

static Suite *fp_gw_suite(void)
{
	Suite *s = suite_create("fp_gw");
	TCase *tc = tcase_create("negative");
	tcase_add_test(tc, test_gw_init_refuses_bad_config);
	tcase_add_test(tc, test_gw_cfg_load_reads_group_and_env);
	tcase_add_test(tc, test_gw_rejects_locally_when_down_and_duplicates);
	tcase_add_test(tc, test_gw_counts_unknown_and_impossible_venue_messages);
	tcase_add_test(tc, test_gw_refuses_a_replace_in_flight_when_its_order_ends);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tc = tcase_create("venue");
	tcase_add_test(tc, test_gw_orders_fills_cancel_replace);
	tcase_add_test(tc, test_gw_reconnect_replays_fills_exactly_once);
	tcase_add_test(tc, test_gw_kill_switch_cancels_every_open_order);
	tcase_add_test(tc, test_gw_kill_switch_with_a_replace_in_flight);
	tcase_add_test(tc, test_gw_backlog_send_is_counted_and_not_sampled);
	tcase_add_test(tc, test_gw_poll_that_sends_an_order_leaves_the_read_to_the_next);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	tc = tcase_create("recovery");
	tcase_add_test(tc, test_gw_journals_orders_before_send_and_reports_after);
	tcase_add_test(tc, test_gw_recovers_mid_fills_without_resending_or_double_fills);
	tcase_add_test(tc, test_gw_adopts_an_unjournaled_order_from_the_venue);
	tcase_add_test(tc, test_gw_adopts_an_unjournaled_replace_from_the_venue);
	tcase_add_test(tc, test_gw_releases_a_journaled_order_never_sent);
	tcase_add_test(tc, test_gw_refuses_orders_and_stops_reading_when_the_journal_is_full);
	tcase_add_test(tc, test_gw_falls_back_when_the_recovered_session_is_gone);
	tcase_add_test(tc, test_gw_revives_a_lost_order_the_venue_accepts);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fp_gw_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
