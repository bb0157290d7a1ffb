/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_gw_fix.c - the gateway speaking FIX 4.4 over TLS (gateway/fp_gw_fix.c,
 * fp_gw_tls.c) to the simulator's FIX acceptor (sim/fp_sim_fix.h), on loopback in one
 * thread, with certificates the test makes (fp_test_tls_certs.h). Alice trades over FIX on
 * TLS, Bob over OUCH on TCP, against the same matching engine. Covers:
 *   - orders, fills (both sides see the same match), replace, cancel; a partial cancel is
 *     refused (FIX has none); the transport says TLS 1.3; the journal holds the session,
 *     the outbound MsgSeqNum reservation and every report with seq = its MsgSeqNum;
 *   - the connection dies in the middle of fills: the gateway logs on again, asks for the
 *     gap (ResendRequest) and applies every missed fill once, flagged as replays;
 *   - the kill switch cancels every open order and what was in flight, each cancel counted
 *     once in kill_cancels;
 *   - a gateway killed without a Logout, the last report's journal record lost: the new one
 *     recovers from the journal, logs on above every MsgSeqNum it used, fills its gap from
 *     the venue's resend, applies each fill once and enters nothing twice;
 *   - refused, each with a one-line reason and the breaker tripped: a certificate of
 *     another CA, an expired certificate, a certificate for another name;
 *   - a venue message with a MsgSeqNum too low and no PossDupFlag ends the session with a
 *     Logout (a hand-made venue on plain TCP, tls = "off");
 *   - a hand-made venue fills an order whose replace is in flight: the fill, then the
 *     replacement refused (FP_GW_REJ_ORDER_ENDED); its later 434=2 is impossible;
 *   - configuration: protocol and tls values, comp ids required for fix44, tls on without a
 *     CA file, and gateway.password refused with a message naming FP_GW_PASSWORD.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fp_cfg.h"
#include "fp_err.h"
#include "fp_fix.h"
#include "fp_gw.h"
#include "fp_gw_pvt.h" /* fp_gw_clordid_put: the one ClOrdID encoding */
#include "fp_journal.h"
#include "fp_ring.h"
#include "fp_sim_engine.h"
#include "fp_sim_fix.h"
#include "fp_sim_oe.h"
#include "fp_symtab.h"
#include "fp_test_tls_certs.h"
#include "gw_world.h"

static char dir[64];

/* Certificates: a CA, the venue's (127.0.0.1 and localhost), one of a rogue CA, an expired
 * one and one for another name. Made once per process, in its own folder. */
static void make_certs(void)
{
	if (dir[0])
		return;
	snprintf(dir, sizeof(dir), "/tmp/fp-gwfix.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct test_cert ca, rogue, srv, old, other;
	const char *san = "DNS:localhost,IP:127.0.0.1";
	ck_assert_int_eq(test_cert_make(&ca, dir, "ca", "fastpath test CA", NULL, NULL, -60, 86400),
			 0);
	ck_assert_int_eq(test_cert_make(&rogue, dir, "rogue", "rogue CA", NULL, NULL, -60, 86400),
			 0);
	ck_assert_int_eq(test_cert_make(&srv, dir, "server", "localhost", san, &ca, -60, 86400), 0);
	ck_assert_int_eq(
		test_cert_make(&old, dir, "expired", "localhost", san, &ca, -172800, -86400), 0);
	ck_assert_int_eq(test_cert_make(&other, dir, "other", "venue.example", "DNS:venue.example",
					&ca, -60, 86400),
			 0);
	test_cert_free(&ca);
	test_cert_free(&rogue);
	test_cert_free(&srv);
	test_cert_free(&old);
	test_cert_free(&other);
}

static const char *path(const char *name)
{
	static char p[8][128];
	static int k;
	k = (k + 1) % 8;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

/* @p s's rings and config to @p port (gw_world.h), FIX timings: HeartBtInt is whole
 * seconds, so the heartbeat is 1 s (a faster one would put Heartbeats between the messages
 * a hand-made venue expects), and the timeout 3 s. */
static void fix_side_cfg(struct side *s, struct fp_gw_cfg *cfg, uint16_t port)
{
	side_cfg(s, cfg, port, 1024);
	cfg->heartbeat_ms = 1000;
	cfg->timeout_ms = 3000;
}

/* Alice over FIX 4.4 on TLS, verified against @p ca as @p name (NULL: the address). */
static int alice_init(struct world *w, struct side *s, uint16_t port, const char *ca,
		      const char *name)
{
	struct fp_gw_cfg cfg;
	fix_side_cfg(s, &cfg, port);
	strcpy(cfg.username, "alice");
	strcpy(cfg.password, "secret1");
	cfg.protocol = FP_GW_PROTO_FIX44;
	cfg.tls = FP_GW_TLS_ON;
	cfg.tls_ca_file = ca;
	cfg.tls_server_name = name;
	strcpy(cfg.sender_comp_id, "ALICE");
	strcpy(cfg.target_comp_id, "FPSIM");
	cfg.ctl = w ? &w->ctl : NULL;
	return fp_gw_init(&s->gw, &cfg);
}

/* Alice over FIX on TLS to the simulator's FIX acceptor, Bob over OUCH, logged in. */
static struct world *world_new(void)
{
	make_certs();
	struct world *w = world_alloc();
	struct fp_sim_fix_cfg fcfg = {.tls_cert_file = path("server.crt"),
				      .tls_key_file = path("server.key")};
	ck_assert_int_eq(fp_sim_fix_init(&w->fx, &fcfg, &w->oe), 0);
	w->has_fx = 1;
	ck_assert_int_eq(alice_init(w, &w->a, fp_sim_fix_port(&w->fx), path("ca.crt"), NULL), 0);
	struct fp_gw_cfg cfg;
	fix_side_cfg(&w->b, &cfg, fp_sim_oe_port(&w->oe));
	strcpy(cfg.username, "bob");
	strcpy(cfg.password, "secret2");
	ck_assert_int_eq(fp_gw_init(&w->b.gw, &cfg), 0);
	pump_until_up(w, &w->a);
	pump_until_up(w, &w->b);
	return w;
}

START_TEST(test_fix_tls_orders_fills_replace_cancel)
{
	struct world *w = world_new();
	ck_assert_str_eq(fp_gw_transport(&w->b.gw), "tcp");
	ck_assert_ptr_nonnull(strstr(fp_gw_transport(&w->a.gw), "tls1.3"));
	/* gw.stats says the same for fastpath-ctl status and metrics: TLS 1.3, kernel TLS by
	 * direction as the transport's name says; none where the kernel has no "tls" ULP. */
	const struct fp_gw_stats *ga = fp_gw_stats(&w->a.gw), *gb = fp_gw_stats(&w->b.gw);
	const char *ta = fp_gw_transport(&w->a.gw);
	ck_assert_uint_eq(gb->transport, FP_GW_TRANSPORT_TCP);
	ck_assert_uint_eq(ga->transport, FP_GW_TRANSPORT_TLS13);
	ck_assert_uint_eq(ga->ktls_tx, strstr(ta, "+ktls") && !strstr(ta, "+ktls-rx"));
	ck_assert_uint_eq(ga->ktls_rx, strstr(ta, "+ktls") && !strstr(ta, "+ktls-tx"));
	char ulp[256] = "";
	FILE *uf = fopen("/proc/sys/net/ipv4/tcp_available_ulp", "r");
	if (uf) {
		if (!fgets(ulp, sizeof(ulp), uf))
			ulp[0] = '\0';
		fclose(uf);
	}
	if (!strstr(ulp, "tls"))
		ck_assert(!ga->ktls_tx && !ga->ktls_rx);
	uint64_t buy = order(&w->a, FP_EV_ORDER_NEW, 1, 'B', 300, 1502500, FP_TIF_DAY, 0);
	struct fp_ev_exec x = expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	ck_assert_uint_eq(x.client_order_id, buy);
	ck_assert_uint_eq(x.leaves_shares, 300);
	ck_assert_int_eq(x.price, 1502500);

	/* Bob sells over OUCH into Alice's FIX order: one engine, one match. */
	order(&w->b, FP_EV_ORDER_NEW, 1, 'S', 100, 1502500, FP_TIF_IOC, 0);
	expect(w, &w->b, FP_EV_EXEC_ACCEPTED);
	struct fp_ev_exec fb = expect(w, &w->b, FP_EV_EXEC_FILL);
	struct fp_ev_exec fa = expect(w, &w->a, FP_EV_EXEC_FILL);
	ck_assert_uint_eq(fa.client_order_id, buy);
	ck_assert_uint_eq(fa.shares, 100);
	ck_assert_uint_eq(fa.leaves_shares, 200);
	ck_assert_int_eq(fa.price, 1502500); /* decimal text both ways, exactly */
	ck_assert_uint_eq(fa.match_number, fb.match_number);

	/* Replace: 300 liable -> 250 at a new price. */
	uint64_t rep = order(&w->a, FP_EV_ORDER_REPLACE, 1, 'B', 250, 1490000, FP_TIF_DAY, buy);
	x = expect(w, &w->a, FP_EV_EXEC_CANCELED);
	ck_assert_uint_eq(x.client_order_id, buy);
	x = expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	ck_assert_uint_eq(x.client_order_id, rep);
	ck_assert_uint_eq(x.leaves_shares, 150);
	ck_assert_int_eq(x.price, 1490000);
	ck_assert_int_eq(fp_gw_find(&w->a.gw, rep)->state, FP_GW_PARTIAL);

	/* FIX has no partial cancel: refused locally, the order keeps its shares. */
	order(&w->a, FP_EV_ORDER_CANCEL, 1, 'B', 40, 0, 0, rep);
	expect_none(w, &w->a);
	ck_assert_uint_eq(fp_gw_find(&w->a.gw, rep)->leaves, 150);
	ck_assert_int_eq(fp_gw_find(&w->a.gw, rep)->pending, FP_GW_PEND_NONE);
	order(&w->a, FP_EV_ORDER_CANCEL, 1, 'B', 0, 0, 0, rep);
	x = expect(w, &w->a, FP_EV_EXEC_CANCELED);
	ck_assert_uint_eq(x.client_order_id, rep);
	ck_assert_uint_eq(x.leaves_shares, 0);
	ck_assert_int_eq(fp_gw_find(&w->a.gw, rep)->state, FP_GW_CANCELED);

	const struct fp_gw_stats *st = fp_gw_stats(&w->a.gw);
	ck_assert_uint_eq(st->nb_open, 0);
	ck_assert_uint_eq(st->nb_impossible, 0);
	ck_assert_uint_eq(st->nb_unknown, 0);
	ck_assert_uint_eq(fp_sim_fix_stats(&w->fx)->nb_garbled, 0);
	ck_assert_uint_eq(fp_sim_fix_stats(&w->fx)->nb_seq_low, 0);

	/* The venue's record (what reconciliation reads) has Alice's fill. */
	struct fp_sim_oe_record rec;
	const char *u;
	ck_assert(fp_sim_oe_account_record(&w->oe, 0, &rec, &u));
	ck_assert_str_eq(u, "alice");
	ck_assert_uint_eq(rec.nb_fills, 1);
	ck_assert_uint_eq(rec.bought, 100);

	/* Journal: the session (named by TargetCompID), the MsgSeqNum reservation, the orders
	 * and the reports with seq = their MsgSeqNum, strictly rising. */
	pump(w, 5);
	int sess = 0, txseq = 0;
	uint64_t last = 0;
	for (uint32_t i = 0; i < w->a.nb_cap; i++) {
		const struct fp_event *ev = &w->a.cap[i];
		if (ev->type == FP_EV_CONTROL && ev->u.control.command == FP_JRNL_CTL_SESSION)
			sess += memcmp(ev->u.control.text, "FPSIM", 5) == 0;
		if (ev->type == FP_EV_CONTROL && ev->u.control.command == FP_JRNL_CTL_FIX_TX_SEQ)
			txseq++;
		if (ev->type >= FP_EV_EXEC_ACCEPTED && ev->seq) {
			ck_assert_uint_ge(ev->seq, last);
			last = ev->seq;
		}
	}
	ck_assert_int_eq(sess, 1);
	ck_assert_int_ge(txseq, 1);
	ck_assert_uint_gt(st->next_seq, last); /* admin messages after the last report too */
	world_free(w);
}
END_TEST

START_TEST(test_fix_reconnect_resends_missed_fills_once)
{
	struct world *w = world_new();
	uint64_t sell = order(&w->a, FP_EV_ORDER_NEW, 2, 'S', 1000, 2000000, FP_TIF_DAY, 0);
	expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	uint32_t filled = 0;
	for (int i = 0; i < 3; i++) {
		order(&w->b, FP_EV_ORDER_NEW, 2, 'B', 50, 2000000, FP_TIF_IOC, 0);
		filled += expect(w, &w->a, FP_EV_EXEC_FILL).shares;
	}
	/* The connection dies under Alice's gateway; fills go out meanwhile and are lost. */
	w->pause_a = 1;
	shutdown(w->a.gw.fd, SHUT_RDWR);
	for (int i = 0; i < 4; i++) {
		order(&w->b, FP_EV_ORDER_NEW, 2, 'B', 25, 2000000, FP_TIF_IOC, 0);
		expect(w, &w->b, FP_EV_EXEC_ACCEPTED);
		expect(w, &w->b, FP_EV_EXEC_FILL);
	}
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
	ck_assert_uint_ge(fp_sim_fix_stats(&w->fx)->nb_resent, 4);
	ck_assert_uint_ge(fp_gw_stats(&w->a.gw)->nb_seq_gaps, 1);
	const struct fp_gw_order *o = fp_gw_find(&w->a.gw, sell);
	ck_assert_uint_eq(o->filled, 250);
	ck_assert_uint_eq(o->leaves, 750);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_fills, 7);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_impossible, 0);
	ck_assert_uint_eq(fp_sim_engine_stats(w->e)->nb_enter, 8); /* nothing entered twice */
	ck_assert_uint_eq(fp_sim_fix_stats(&w->fx)->nb_seq_low, 0);
	order(&w->b, FP_EV_ORDER_NEW, 2, 'B', 10, 2000000, FP_TIF_IOC, 0);
	ck_assert_uint_eq(expect(w, &w->a, FP_EV_EXEC_FILL).shares, 10);
	ck_assert_int_eq(last_flags & FP_EVF_REPLAY, 0);
	world_free(w);
}
END_TEST

START_TEST(test_fix_recovers_after_kill_without_double_fills)
{
	struct world *w = world_new();
	uint64_t sell = order(&w->a, FP_EV_ORDER_NEW, 2, 'S', 1000, 2000000, FP_TIF_DAY, 0);
	expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	for (int i = 0; i < 3; i++) {
		order(&w->b, FP_EV_ORDER_NEW, 2, 'B', 50, 2000000, FP_TIF_IOC, 0);
		expect(w, &w->a, FP_EV_EXEC_FILL);
	}
	pump(w, 5);
	uint32_t keep = w->a.nb_cap - 1; /* the third fill's record is lost (J3 window) */
	ck_assert_int_eq(w->a.cap[keep].type, FP_EV_EXEC_FILL);
	w->pause_a = 1;
	for (int i = 0; i < 4; i++) {
		order(&w->b, FP_EV_ORDER_NEW, 2, 'B', 25, 2000000, FP_TIF_IOC, 0);
		expect(w, &w->b, FP_EV_EXEC_ACCEPTED);
		expect(w, &w->b, FP_EV_EXEC_FILL);
	}
	/* kill -9: no Logout, the socket just closes. */
	struct fp_event *cap = malloc(sizeof(w->a.cap));
	memcpy(cap, w->a.cap, keep * sizeof(*cap));
	uint64_t next_id = w->a.next_id;
	close(w->a.gw.fd);
	w->a.gw.fd = -1;
	side_free(&w->a);
	ck_assert_int_eq(alice_init(w, &w->a, fp_sim_fix_port(&w->fx), path("ca.crt"), NULL), 0);
	w->a.next_id = next_id;
	for (uint32_t i = 0; i < keep; i++)
		ck_assert_int_eq(fp_gw_recover_event(&w->a.gw, &cap[i]), 0);
	fp_gw_recover_done(&w->a.gw);
	free(cap);
	w->pause_a = 0;
	const struct fp_gw_stats *st = fp_gw_stats(&w->a.gw);
	ck_assert_uint_eq(st->nb_recovered_fills, 2);
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
	const struct fp_gw_order *o = fp_gw_find(&w->a.gw, sell);
	ck_assert_uint_eq(o->filled, 250);
	ck_assert_uint_eq(o->leaves, 750);
	ck_assert_uint_eq(st->nb_impossible, 0);
	ck_assert_uint_eq(st->nb_unknown, 0);
	ck_assert_uint_eq(st->nb_orders_sent, 0); /* nothing entered again */
	ck_assert_uint_eq(fp_sim_engine_stats(w->e)->nb_enter, 1 + 7);
	/* The venue never saw a MsgSeqNum of ours go backwards. */
	ck_assert_uint_eq(fp_sim_fix_stats(&w->fx)->nb_seq_low, 0);
	ck_assert_uint_eq(fp_sim_fix_stats(&w->fx)->nb_logons, 2);
	/* Trading goes on. */
	order(&w->a, FP_EV_ORDER_CANCEL, 2, 'S', 0, 0, 0, sell);
	ck_assert_uint_eq(expect(w, &w->a, FP_EV_EXEC_CANCELED).leaves_shares, 0);
	world_free(w);
}
END_TEST

/* The kill switch over FIX: every open order canceled, and what was in flight at the trip
 * (a new order, a replace) canceled once the venue answers it: nothing stays live. */
START_TEST(test_fix_kill_switch_leaves_nothing_live)
{
	struct world *w = world_new();
	uint64_t ids[4];
	for (int i = 0; i < 4; i++) {
		ids[i] = order(&w->a, FP_EV_ORDER_NEW, 1 + (i & 1), 'B', 100, 1000000 + i * 100,
			       FP_TIF_DAY, 0);
		expect(w, &w->a, FP_EV_EXEC_ACCEPTED);
	}
	/* In flight when the switch trips: a replace and a new order, sent in this poll. */
	order(&w->a, FP_EV_ORDER_REPLACE, 1, 'B', 100, 990000, FP_TIF_DAY, ids[0]);
	order(&w->a, FP_EV_ORDER_NEW, 2, 'B', 100, 900000, FP_TIF_DAY, 0);
	fp_gw_poll(&w->a.gw, 8);
	fp_shm_ctl_kill(&w->ctl, "test", "kill switch test");
	fp_gw_poll(&w->a.gw, 8);
	ck_assert_int_eq(fp_gw_stats(&w->a.gw)->killed, 2);
	uint64_t end = mono_ns() + 3000000000ull;
	while ((fp_gw_stats(&w->a.gw)->nb_open || fp_sim_engine_stats(w->e)->nb_live) &&
	       mono_ns() < end)
		pump(w, 1);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_open, 0);
	ck_assert_uint_eq(fp_sim_engine_stats(w->e)->nb_live, 0);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_impossible, 0);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_unknown, 0);
	/* kill_cancels = the cancels the kill sent, one per order (5), as the venue applied
	 * them: those of the per-order mass cancel counted, the replace's counted once, when
	 * it goes after the Replaced (fix_quickfix_cancel_replace found 1 for 21). */
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_kill_cancels, 5);
	ck_assert_uint_eq(fp_sim_engine_stats(w->e)->nb_cancel, 5);
	ck_assert_uint_eq(fp_gw_stats(&w->a.gw)->nb_canceled, 5);
	order(&w->a, FP_EV_ORDER_NEW, 1, 'B', 100, 1000000, FP_TIF_DAY, 0);
	struct fp_event ev = {0};
	end = mono_ns() + 3000000000ull;
	while (!(ev.type == FP_EV_EXEC_REJECTED && ev.u.exec.reason == FP_GW_REJ_KILLED) &&
	       mono_ns() < end)
		if (fp_ring_dequeue_burst(w->a.execs, &ev, 1) == 0)
			pump(w, 1);
	ck_assert_int_eq(ev.type, FP_EV_EXEC_REJECTED); /* refused locally after the kill */
	ck_assert_int_eq(ev.u.exec.reason, FP_GW_REJ_KILLED);
	world_free(w);
}
END_TEST

/* A gateway that must never log on: its reason, its breaker. */
static void refused(struct world *w, uint16_t port, const char *ca, const char *name,
		    const char *why)
{
	struct side c;
	ck_assert_int_eq(alice_init(w, &c, port, ca, name), 0);
	uint64_t end = mono_ns() + 3000000000ull;
	while (strstr(fp_gw_last_error(&c.gw), why) == NULL && mono_ns() < end) {
		pump(w, 1);
		fp_gw_poll(&c.gw, 8);
	}
	ck_assert_msg(strstr(fp_gw_last_error(&c.gw), why) != NULL, "wanted '%s', got '%s'", why,
		      fp_gw_last_error(&c.gw));
	ck_assert_ptr_null(strchr(fp_gw_last_error(&c.gw), '\n')); /* one line */
	ck_assert_int_ne(fp_gw_stats(&c.gw)->session, FP_GW_UP);
	ck_assert_int_eq(fp_gw_stats(&c.gw)->breaker, 1);
	ck_assert_uint_eq(fp_gw_stats(&c.gw)->nb_logins, 0);
	side_free(&c);
}

START_TEST(test_fix_tls_refuses_untrusted_expired_and_misnamed_certificates)
{
	struct world *w = world_new();
	uint16_t port = fp_sim_fix_port(&w->fx);
	refused(w, port, path("rogue.crt"), NULL, "unable to get local issuer certificate");
	refused(w, port, path("ca.crt"), "venue.example", "certificate verify failed");
	/* A venue whose certificate expired. */
	struct fp_sim_fix old;
	struct fp_sim_fix_cfg fcfg = {.tls_cert_file = path("expired.crt"),
				      .tls_key_file = path("expired.key")};
	ck_assert_int_eq(fp_sim_fix_init(&old, &fcfg, &w->oe), 0);
	struct side c;
	ck_assert_int_eq(alice_init(w, &c, fp_sim_fix_port(&old), path("ca.crt"), NULL), 0);
	uint64_t end = mono_ns() + 3000000000ull;
	while (!strstr(fp_gw_last_error(&c.gw), "certificate has expired") && mono_ns() < end) {
		fp_sim_fix_poll(&old);
		fp_gw_poll(&c.gw, 8);
		usleep(100);
	}
	ck_assert_msg(strstr(fp_gw_last_error(&c.gw), "certificate has expired") != NULL,
		      "got '%s'", fp_gw_last_error(&c.gw));
	ck_assert_int_eq(fp_gw_stats(&c.gw)->breaker, 1);
	side_free(&c);
	fp_sim_fix_fini(&old);
	/* The right CA and name still work. */
	ck_assert_int_eq(fp_gw_stats(&w->a.gw)->session, FP_GW_UP);
	world_free(w);
}
END_TEST

/* ---- a hand-made venue on plain TCP ---- */

static size_t fix_msg(uint8_t *buf, size_t cap, const char *type, uint64_t seq, const char *body)
{
	struct fp_fix_tmpl t;
	struct fp_fix_writer wr;
	const uint8_t *m;
	ck_assert_int_eq(fp_fix_tmpl_init(&t, type, "FPSIM", "ALICE"), 0);
	uint8_t tmp[512];
	fp_fix_begin(&wr, tmp, sizeof(tmp), &t, seq, 1700000000000000000ull);
	size_t n = strlen(body);
	memcpy(wr.p, body, n);
	wr.p += n;
	int len = fp_fix_finish(&wr, &m);
	ck_assert_int_gt(len, 0);
	ck_assert_uint_le((size_t)len, cap);
	memcpy(buf, m, (size_t)len);
	return (size_t)len;
}

/* Poll @p s's gateway while @p cond holds, 1 ms apart, 200 times at most: the callers wait
 * on a state (a counter, the session), and assert it after. */
#define poll_while(s, cond)                          \
	for (int i_ = 0; i_ < 200 && (cond); i_++) { \
		fp_gw_poll(&(s)->gw, 8);             \
		usleep(1000);                        \
	}

/* The hand-made venue (listening on *@p lfd) accepts the gateway's connection and answers
 * its Logon (checked: at 1, checksum right, Username sent; with ResetSeqNumFlag when
 * @p reset) with its own at 1, then waits until the session is up. @return the venue's
 * end of the connection. */
static int raw_logon(struct side *s, int lfd, bool reset)
{
	fp_gw_poll(&s->gw, 8); /* connect + Logon */
	int fd = -1;
	for (int i = 0; i < 500 && fd < 0; i++) { /* after the backoff when reconnecting */
		fd = accept(lfd, NULL, NULL);     /* lfd does not block; fd does */
		fp_gw_poll(&s->gw, 8);
		if (fd < 0)
			usleep(1000);
	}
	ck_assert_int_ge(fd, 0);
	uint8_t in[2048], out[512];
	ssize_t n = -1;
	for (int i = 0; i < 500 && n <= 0; i++) {
		fp_gw_poll(&s->gw, 8);
		usleep(1000);
		n = recv(fd, in, sizeof(in), MSG_DONTWAIT);
	}
	ck_assert_int_gt(n, 0);
	struct fp_fix_msg m;
	ck_assert_int_eq(fp_fix_parse(in, (size_t)n, &m), FP_FIX_OK); /* checksum right */
	ck_assert_str_eq(m.msg_type, "A");
	ck_assert_uint_eq(m.seq_num, 1);
	size_t ul;
	ck_assert_ptr_nonnull(fp_fix_get_str(&m, 553, &ul));
	ck_assert_int_eq(fp_fix_find(&m, FP_FIX_TAG_RESET_SEQ_NUM_FLAG) != NULL, reset);
	size_t k = fix_msg(out, sizeof(out), "A", 1,
			   reset ? "98=0\x01"
				   "108=1\x01"
				   "141=Y\x01"
				 : "98=0\x01"
				   "108=1\x01");
	ck_assert_int_eq(send(fd, out, k, 0), (ssize_t)k);
	poll_while(s, fp_gw_stats(&s->gw)->session != FP_GW_UP);
	ck_assert_int_eq(fp_gw_stats(&s->gw)->session, FP_GW_UP);
	return fd;
}

/* A gateway on plain TCP (ResetSeqNumFlag on every Logon when @p reset) to a hand-made
 * venue listening on *@p lfd, logged on (raw_logon). @return the venue's end. */
static int raw_session_reset(struct side *s, int *lfd, bool reset)
{
	struct sockaddr_in sa;
	*lfd = venue_listener(&sa, 0);
	ck_assert_int_eq(fcntl(*lfd, F_SETFL, O_NONBLOCK), 0); /* raw_logon polls accept() */
	struct fp_gw_cfg cfg;
	fix_side_cfg(s, &cfg, ntohs(sa.sin_port));
	strcpy(cfg.username, "alice");
	strcpy(cfg.password, "secret1");
	cfg.protocol = FP_GW_PROTO_FIX44;
	cfg.tls = FP_GW_TLS_OFF;
	cfg.fix_reset_on_logon = reset;
	strcpy(cfg.sender_comp_id, "ALICE");
	strcpy(cfg.target_comp_id, "FPSIM");
	ck_assert_int_eq(fp_gw_init(&s->gw, &cfg), 0);
	ck_assert_str_eq(fp_gw_transport(&s->gw), "tcp");
	ck_assert_uint_eq(fp_gw_stats(&s->gw)->transport, FP_GW_TRANSPORT_TCP);
	return raw_logon(s, *lfd, reset);
}

static int raw_session(struct side *s, int *lfd)
{
	return raw_session_reset(s, lfd, false);
}

START_TEST(test_fix_too_low_seq_without_possdup_ends_with_logout)
{
	struct side s;
	int lfd, fd = raw_session(&s, &lfd);
	uint8_t in[2048], out[512];
	/* The venue's Logon was 1: a Heartbeat at 1 again, no PossDupFlag. */
	size_t k = fix_msg(out, sizeof(out), "0", 1, "");
	ck_assert_int_eq(send(fd, out, k, 0), (ssize_t)k);
	poll_while(&s, fp_gw_stats(&s.gw)->session == FP_GW_UP);
	ck_assert_int_ne(fp_gw_stats(&s.gw)->session, FP_GW_UP);
	ck_assert_ptr_nonnull(strstr(fp_gw_last_error(&s.gw), "MsgSeqNum too low"));
	ssize_t n = recv(fd, in, sizeof(in), 0);
	ck_assert_int_gt(n, 0);
	struct fp_fix_msg m;
	size_t ul;
	ck_assert_int_eq(fp_fix_parse(in, (size_t)n, &m), FP_FIX_OK);
	ck_assert_str_eq(m.msg_type, "5"); /* Logout, with the reason */
	ck_assert_ptr_nonnull(fp_fix_get_str(&m, FP_FIX_TAG_TEXT, &ul));
	ck_assert_int_eq(fp_gw_stats(&s.gw)->breaker, 1);
	close(fd);
	close(lfd);
	side_free(&s);
}
END_TEST

/* What the gateway sent a hand-made venue: bytes read, and how many of them the last
 * message handed out took. */
struct raw_in {
	uint8_t buf[4096];
	size_t have, used;
};

/* The next whole message the gateway sent on @p fd (polling it meanwhile) into @p m. */
static void next_msg(struct side *s, int fd, struct raw_in *r, struct fp_fix_msg *m)
{
	memmove(r->buf, r->buf + r->used, r->have - r->used);
	r->have -= r->used;
	r->used = 0;
	for (int i = 0; i < 2000; i++) {
		if (r->have && fp_fix_parse(r->buf, r->have, m) == FP_FIX_OK) {
			r->used = m->len;
			return;
		}
		fp_gw_poll(&s->gw, 8);
		ssize_t n = recv(fd, r->buf + r->have, sizeof(r->buf) - r->have, MSG_DONTWAIT);
		if (n > 0)
			r->have += (size_t)n;
		else
			usleep(1000);
	}
	ck_abort_msg("the gateway sent nothing more");
}

/* Whatever the gateway sends on @p fd within 50 ms holds no NewOrderSingle. */
static void no_new_order_sent(struct side *s, int fd, struct raw_in *r)
{
	for (int i = 0; i < 50; i++) {
		fp_gw_poll(&s->gw, 8);
		usleep(1000);
	}
	ssize_t n;
	while ((n = recv(fd, r->buf + r->have, sizeof(r->buf) - r->have, MSG_DONTWAIT)) > 0)
		r->have += (size_t)n;
	struct fp_fix_msg m;
	for (size_t off = r->used; off < r->have; off += m.len) {
		ck_assert_int_eq(fp_fix_parse(r->buf + off, r->have - off, &m), FP_FIX_OK);
		ck_assert_str_ne(m.msg_type, "D");
	}
}

/* The ClOrdID of the NewOrderSingle @p m into @p out (16 bytes). */
static void clordid_of(const struct fp_fix_msg *m, char *out)
{
	size_t ul;
	const char *c = fp_fix_get_str(m, FP_FIX_TAG_CL_ORD_ID, &ul);
	ck_assert(c && ul < 16);
	memcpy(out, c, ul);
	out[ul] = '\0';
}

/* Regression (found against QuickFIX, fix_quickfix_resend): a ResendRequest inside the
 * session that covers an order message. The gateway answers with a gap fill (it never sends
 * an order twice), and the venue, told to skip that number, never applies the order: so
 * the gateway enters it again with a new MsgSeqNum, and its fill is applied once. Before
 * the fix the order stayed pending new forever. */
START_TEST(test_fix_resend_request_gap_fill_enters_the_order_again)
{
	struct side s;
	int lfd, fd = raw_session(&s, &lfd);
	static struct raw_in in;
	uint8_t out[512];
	size_t ul;
	struct fp_fix_msg m;
	memset(&in, 0, sizeof(in));
	uint64_t id = order(&s, FP_EV_ORDER_NEW, 1, 'B', 100, 1502500, FP_TIF_DAY, 0);
	next_msg(&s, fd, &in, &m);
	ck_assert_str_eq(m.msg_type, "D");
	uint64_t d_seq = m.seq_num;
	char clordid[16];
	const char *c = fp_fix_get_str(&m, FP_FIX_TAG_CL_ORD_ID, &ul);
	ck_assert(c && ul < sizeof(clordid));
	memcpy(clordid, c, ul);
	clordid[ul] = '\0';
	ck_assert_uint_ne(id, 0);
	/* The venue (next inbound 2) asks for everything from the order on. */
	char body[128];
	snprintf(body, sizeof(body),
		 "7=%llu\x01"
		 "16=0\x01",
		 (unsigned long long)d_seq);
	size_t k = fix_msg(out, sizeof(out), "2", 2, body);
	ck_assert_int_eq(send(fd, out, k, 0), (ssize_t)k);
	next_msg(&s, fd, &in, &m);
	ck_assert_str_eq(m.msg_type, "4"); /* SequenceReset-GapFill over the order */
	uint64_t new_seq = 0;
	ck_assert_uint_eq(m.seq_num, d_seq);
	ck_assert_uint_eq(m.poss_dup, 1);
	ck_assert_int_eq(fp_fix_get_u64(&m, FP_FIX_TAG_NEW_SEQ_NO, &new_seq), 0);
	ck_assert_uint_eq(new_seq, d_seq + 1);
	next_msg(&s, fd, &in, &m);
	ck_assert_str_eq(m.msg_type, "D"); /* the same order, numbered after the gap fill */
	ck_assert_uint_eq(m.seq_num, new_seq);
	ck_assert_uint_eq(m.poss_dup, 0);
	c = fp_fix_get_str(&m, FP_FIX_TAG_CL_ORD_ID, &ul);
	ck_assert(c && ul == strlen(clordid) && !memcmp(c, clordid, ul));
	/* Regression (fuzz_gw_fix): the venue asks for the old number once more. It gets a gap
	 * fill over it, and the order is not entered a third time: it lives at its new number
	 * only (a second entry would let the venue fill it twice). */
	snprintf(body, sizeof(body),
		 "7=%llu\x01"
		 "16=%llu\x01",
		 (unsigned long long)d_seq, (unsigned long long)d_seq);
	k = fix_msg(out, sizeof(out), "2", 3, body);
	ck_assert_int_eq(send(fd, out, k, 0), (ssize_t)k);
	next_msg(&s, fd, &in, &m);
	ck_assert_str_eq(m.msg_type, "4");
	ck_assert_uint_eq(m.seq_num, d_seq);
	ck_assert_int_eq(fp_fix_get_u64(&m, FP_FIX_TAG_NEW_SEQ_NO, &new_seq), 0);
	ck_assert_uint_eq(new_seq, d_seq + 1);
	/* Its fill (a Trade without a New, as QuickFIX's executor sends it): applied once. */
	snprintf(body, sizeof(body),
		 "37=O1\x01"
		 "17=E1\x01"
		 "150=F\x01"
		 "39=2\x01"
		 "11=%s\x01"
		 "55=AAPL\x01"
		 "54=1\x01"
		 "38=100\x01"
		 "32=100\x01"
		 "31=150.25\x01"
		 "151=0\x01"
		 "14=100\x01"
		 "6=150.25\x01",
		 clordid);
	k = fix_msg(out, sizeof(out), "8", 4, body);
	ck_assert_int_eq(send(fd, out, k, 0), (ssize_t)k);
	poll_while(&s, fp_gw_stats(&s.gw)->nb_fills == 0);
	ck_assert_uint_eq(fp_gw_stats(&s.gw)->nb_fills, 1);
	ck_assert_uint_eq(fp_gw_stats(&s.gw)->nb_open, 0);
	ck_assert_uint_eq(fp_gw_stats(&s.gw)->nb_impossible, 0);
	no_new_order_sent(&s, fd, &in); /* no third NewOrderSingle */
	close(fd);
	close(lfd);
	side_free(&s);
}
END_TEST

/* An ExecutionReport for our order @p clordid, MsgSeqNum @p seq, with the fields @p rest
 * ('|' for SOH). */
static void venue_report(int fd, uint64_t seq, const char *clordid, const char *rest)
{
	char body[256];
	uint8_t out[512];
	snprintf(body, sizeof(body),
		 "37=O1\x01"
		 "11=%s\x01"
		 "55=AAPL\x01"
		 "54=1\x01"
		 "38=100\x01"
		 "%s",
		 clordid, rest);
	for (char *p = body; *p; p++)
		if (*p == '|')
			*p = FP_FIX_SOH;
	size_t k = fix_msg(out, sizeof(out), "8", seq, body);
	ck_assert_int_eq(send(fd, out, k, 0), (ssize_t)k);
}

/* Regression (fuzz_gw_fix): a venue whose New says more shares are open than we asked for
 * (LeavesQty 700 for 100). The report is impossible and not applied, so the order is never
 * filled beyond its quantity: its first Trade accepts it at 100 and fills it, a second
 * Trade of 100 is impossible too. Before the fix the gateway took the venue's 700 and
 * reported 200 shares filled of an order for 100. */
START_TEST(test_fix_venue_overstating_leaves_never_fills_beyond_quantity)
{
	struct side s;
	int lfd, fd = raw_session(&s, &lfd);
	static struct raw_in in;
	struct fp_fix_msg m;
	size_t ul;
	memset(&in, 0, sizeof(in));
	order(&s, FP_EV_ORDER_NEW, 1, 'B', 100, 1502500, FP_TIF_DAY, 0);
	next_msg(&s, fd, &in, &m);
	ck_assert_str_eq(m.msg_type, "D");
	char clordid[16];
	const char *c = fp_fix_get_str(&m, FP_FIX_TAG_CL_ORD_ID, &ul);
	ck_assert(c && ul < sizeof(clordid));
	memcpy(clordid, c, ul);
	clordid[ul] = '\0';
	const struct fp_gw_stats *st = fp_gw_stats(&s.gw);
	venue_report(fd, 2, clordid, "17=E1|150=0|39=0|44=150.25|32=0|31=0|151=700|14=0|6=0|");
	poll_while(&s, st->nb_impossible == 0);
	ck_assert_uint_eq(st->nb_impossible, 1);
	ck_assert_uint_eq(st->nb_accepted, 0);
	for (unsigned i = 0; i < 2; i++) { /* two Trades of 100 each */
		char rest[160];
		snprintf(rest, sizeof(rest),
			 "17=E%u|150=F|39=2|32=100|31=150.25|151=0|14=100|6=150.25|", 2 + i);
		venue_report(fd, 3 + i, clordid, rest);
	}
	poll_while(&s, st->nb_impossible < 2);
	ck_assert_uint_eq(st->nb_fills, 1);
	ck_assert_uint_eq(st->nb_impossible, 2);
	ck_assert_uint_eq(st->nb_open, 0);
	uint32_t filled = 0;
	struct fp_event ev;
	while (fp_ring_dequeue_burst(s.execs, &ev, 1) == 1)
		if (ev.type == FP_EV_EXEC_FILL)
			filled += ev.u.exec.shares;
	ck_assert_uint_eq(filled, 100);
	close(fd);
	close(lfd);
	side_free(&s);
}
END_TEST

/* Next exec report of @p s (session notices skipped): it is there already. */
static struct fp_event next_exec(struct side *s)
{
	struct fp_event ev;
	do
		ck_assert_uint_eq(fp_ring_dequeue_burst(s->execs, &ev, 1), 1);
	while (ev.type == FP_EV_CONTROL);
	return ev;
}

/* A buy of 100 at 150.25 entered on @p s's raw session @p fd and accepted by the venue (its
 * MsgSeqNum 2): the order's id, its ClOrdID in @p clordid (16 bytes). */
static uint64_t accepted_order(struct side *s, int fd, struct raw_in *in, char *clordid)
{
	struct fp_fix_msg m;
	const struct fp_gw_stats *st = fp_gw_stats(&s->gw);
	uint64_t id = order(s, FP_EV_ORDER_NEW, 1, 'B', 100, 1502500, FP_TIF_DAY, 0);
	next_msg(s, fd, in, &m);
	ck_assert_str_eq(m.msg_type, "D");
	clordid_of(&m, clordid);
	venue_report(fd, 2, clordid, "17=E1|150=0|39=0|44=150.25|32=0|31=0|151=100|14=0|6=0|");
	poll_while(s, st->nb_accepted == 0);
	ck_assert_uint_eq(st->nb_accepted, 1);
	return id;
}

/* Regression (fuzz_gw_fix): a venue that repeats the New of an order that ended (here
 * within the session; in the finding after a Logon with ResetSeqNumFlag), once the order's
 * slot went to the next order and its ClOrdID is no longer in the table. The gateway took
 * it for an order lost in a crash and adopted it again, and the repeated Trade filled it
 * beyond its quantity (102 of 100). Now only an id where a lost order can be is adopted
 * (fp_gw.h, Recovery: below the first id of its strategy taken live, above those
 * journaled or adopted): the repeats are unknown, as is a New for an id above the live
 * ones; a New for an id below them is still adopted. */
START_TEST(test_fix_venue_repeating_an_ended_order_never_adopts_it)
{
	struct side s;
	int lfd, fd = raw_session(&s, &lfd);
	static struct raw_in in;
	struct fp_fix_msg m;
	char ida[16], idb[16], later[16], lost[16];
	memset(&in, 0, sizeof(in));
	const struct fp_gw_stats *st = fp_gw_stats(&s.gw);
	uint64_t a = accepted_order(&s, fd, &in, ida);
	venue_report(fd, 3, ida, "17=E2|150=F|39=2|32=100|31=150.25|151=0|14=100|6=150.25|");
	poll_while(&s, st->nb_fills == 0);
	ck_assert_int_eq(fp_gw_find(&s.gw, a)->state, FP_GW_FILLED);
	uint64_t b = order(&s, FP_EV_ORDER_NEW, 1, 'B', 100, 1502500, FP_TIF_DAY, 0);
	next_msg(&s, fd, &in, &m);
	ck_assert_str_eq(m.msg_type, "D");
	clordid_of(&m, idb);
	ck_assert_ptr_null(fp_gw_find(&s.gw, a)); /* its slot is b's now */
	ck_assert_ptr_nonnull(fp_gw_find(&s.gw, b));
	venue_report(fd, 4, ida, "17=E1|150=0|39=0|44=150.25|32=0|31=0|151=100|14=0|6=0|");
	venue_report(fd, 5, ida, "17=E3|150=F|39=1|32=2|31=150.25|151=98|14=2|6=150.25|");
	fp_gw_clordid_put(later, b + 1000);
	*strchr(later, ' ') = '\0';
	venue_report(fd, 6, later, "17=E4|150=0|39=0|44=150.25|32=0|31=0|151=100|14=0|6=0|");
	fp_gw_clordid_put(lost, a - 1000);
	*strchr(lost, ' ') = '\0';
	venue_report(fd, 7, lost, "17=E5|150=0|39=0|44=150.25|32=0|31=0|151=100|14=0|6=0|");
	poll_while(&s, st->next_seq < 8);
	ck_assert_uint_eq(st->next_seq, 8); /* applied */
	ck_assert_uint_eq(st->nb_unknown, 3);
	ck_assert_uint_eq(st->nb_adopted, 1);
	ck_assert_uint_eq(st->nb_fills, 1);
	ck_assert_ptr_null(fp_gw_find(&s.gw, a));
	ck_assert_ptr_null(fp_gw_find(&s.gw, b + 1000));
	ck_assert_ptr_nonnull(fp_gw_find(&s.gw, a - 1000));
	ck_assert_int_eq(next_exec(&s).type, FP_EV_EXEC_ACCEPTED); /* a */
	struct fp_event f = next_exec(&s);
	ck_assert_int_eq(f.type, FP_EV_EXEC_FILL);
	ck_assert_uint_eq(f.u.exec.client_order_id, a);
	ck_assert_uint_eq(f.u.exec.shares, 100);
	struct fp_event x = next_exec(&s); /* the id below the live ones, adopted */
	ck_assert_int_eq(x.type, FP_EV_EXEC_ACCEPTED);
	ck_assert_uint_eq(x.u.exec.client_order_id, a - 1000);
	ck_assert_uint_eq(fp_ring_count(s.execs), 0); /* nothing of a's repeats */
	close(fd);
	close(lfd);
	side_free(&s);
}
END_TEST

/* A replace in flight when the venue fills the old leg in full before it answers the
 * replace (common against QuickFIX in a fast market): the fill, then the replacement
 * refused (FP_GW_REJ_ORDER_ENDED), once; the venue's "too late to replace" (35=9, 434=2)
 * after it is counted impossible, not applied. Before: the replacement was dropped without
 * a word (risk held its reserve, the strategy took it for its quote). */
START_TEST(test_fix_replace_in_flight_refused_when_its_order_fills)
{
	struct side s;
	int lfd, fd = raw_session(&s, &lfd);
	static struct raw_in in;
	struct fp_fix_msg m;
	char old_id[16], new_id[16];
	uint8_t out[512];
	memset(&in, 0, sizeof(in));
	const struct fp_gw_stats *st = fp_gw_stats(&s.gw);
	uint64_t a = accepted_order(&s, fd, &in, old_id);
	uint64_t r = order(&s, FP_EV_ORDER_REPLACE, 1, 'B', 100, 1503500, FP_TIF_DAY, a);
	next_msg(&s, fd, &in, &m);
	ck_assert_str_eq(m.msg_type, "G");
	clordid_of(&m, new_id);
	/* the venue fills the old leg to the end before it answers the replace */
	venue_report(fd, 3, old_id, "17=E2|150=F|39=2|32=100|31=150.25|151=0|14=100|6=150.25|");
	poll_while(&s, st->nb_fills == 0);
	ck_assert_uint_eq(st->nb_fills, 1);
	ck_assert_int_eq(next_exec(&s).type, FP_EV_EXEC_ACCEPTED);
	struct fp_event f = next_exec(&s);
	ck_assert_int_eq(f.type, FP_EV_EXEC_FILL);
	ck_assert_uint_eq(f.u.exec.client_order_id, a);
	ck_assert_uint_eq(f.u.exec.leaves_shares, 0);
	struct fp_event x = next_exec(&s); /* right after the fill */
	ck_assert_int_eq(x.type, FP_EV_EXEC_REJECTED);
	ck_assert_uint_eq(x.u.exec.client_order_id, r);
	ck_assert_int_eq(x.u.exec.reason, FP_GW_REJ_ORDER_ENDED);
	ck_assert_int_eq(x.u.exec.price, 1503500);
	ck_assert_uint_eq(x.seq, 3); /* made by the venue's Trade: journaled with it (J3) */
	ck_assert_uint_eq(fp_ring_count(s.execs), 0);
	ck_assert_uint_eq(st->nb_local_by_reason[FP_GW_REJ_ORDER_ENDED - FP_GW_REJ_FIRST], 1);
	ck_assert_uint_eq(st->nb_open, 0);
	ck_assert_int_eq(fp_gw_find(&s.gw, a)->state, FP_GW_FILLED);
	ck_assert_ptr_null(fp_gw_find(&s.gw, r));
	/* the venue's answer to the replace, later: too late (434=2, 102=0) */
	char body[160];
	snprintf(body, sizeof(body),
		 "37=O1\x01"
		 "11=%s\x01"
		 "41=%s\x01"
		 "39=2\x01"
		 "434=2\x01"
		 "102=0\x01",
		 new_id, old_id);
	size_t k = fix_msg(out, sizeof(out), "9", 4, body);
	ck_assert_int_eq(send(fd, out, k, 0), (ssize_t)k);
	poll_while(&s, st->next_seq < 5);
	ck_assert_uint_eq(st->next_seq, 5);      /* applied */
	ck_assert_uint_eq(st->nb_impossible, 1); /* no pending replace: not applied twice */
	ck_assert_uint_eq(fp_ring_count(s.execs), 0);
	ck_assert_uint_eq(st->nb_local_by_reason[FP_GW_REJ_ORDER_ENDED - FP_GW_REJ_FIRST], 1);
	close(fd);
	close(lfd);
	side_free(&s);
}
END_TEST

/* A cancel the venue refuses (OrderCancelReject, 434=1) leaves the order open and is
 * counted in nb_cancel_rejects, as is a partial cancel (FIX has no "cancel down to": refused
 * here, nothing sent); neither is reported, and a later cancel of the order goes out. */
START_TEST(test_fix_cancel_refused_leaves_the_order_open_and_counted)
{
	struct side s;
	int lfd, fd = raw_session(&s, &lfd);
	static struct raw_in in;
	struct fp_fix_msg m;
	char id[16], cxl_id[16];
	uint8_t out[512];
	memset(&in, 0, sizeof(in));
	const struct fp_gw_stats *st = fp_gw_stats(&s.gw);
	uint64_t a = accepted_order(&s, fd, &in, id);
	uint64_t sent = st->nb_sent;
	order(&s, FP_EV_ORDER_CANCEL, 1, 'B', 40, 0, 0, a); /* down to 40: refused here */
	fp_gw_poll(&s.gw, 8);
	ck_assert_uint_eq(st->nb_cancel_rejects, 1);
	ck_assert_uint_eq(st->nb_sent, sent);
	ck_assert_int_eq(fp_gw_find(&s.gw, a)->pending, FP_GW_PEND_NONE);
	order(&s, FP_EV_ORDER_CANCEL, 1, 'B', 0, 0, 0, a);
	next_msg(&s, fd, &in, &m);
	ck_assert_str_eq(m.msg_type, "F");
	clordid_of(&m, cxl_id);
	char body[160];
	snprintf(body, sizeof(body),
		 "37=O1\x01"
		 "11=%s\x01"
		 "41=%s\x01"
		 "39=0\x01"
		 "434=1\x01"
		 "102=1\x01",
		 cxl_id, id);
	size_t k = fix_msg(out, sizeof(out), "9", 3, body);
	ck_assert_int_eq(send(fd, out, k, 0), (ssize_t)k);
	poll_while(&s, st->next_seq < 4);
	ck_assert_uint_eq(st->next_seq, 4); /* applied */
	ck_assert_uint_eq(st->nb_cancel_rejects, 2);
	ck_assert_uint_eq(st->nb_impossible, 0);
	ck_assert_uint_eq(st->nb_open, 1);
	const struct fp_gw_order *o = fp_gw_find(&s.gw, a);
	ck_assert_int_eq(o->state, FP_GW_ACCEPTED);
	ck_assert_int_eq(o->pending, FP_GW_PEND_NONE);
	ck_assert_int_eq(next_exec(&s).type, FP_EV_EXEC_ACCEPTED);
	ck_assert_uint_eq(fp_ring_count(s.execs), 0);      /* the refusals are not reported */
	order(&s, FP_EV_ORDER_CANCEL, 1, 'B', 0, 0, 0, a); /* not refused as pending */
	next_msg(&s, fd, &in, &m);
	ck_assert_str_eq(m.msg_type, "F");
	ck_assert_uint_eq(st->nb_local_rejects, 0);
	close(fd);
	close(lfd);
	side_free(&s);
}
END_TEST

/* Regression (fuzz_gw_fix): with ResetSeqNumFlag our MsgSeqNums start again at 1 on every
 * Logon, so a number of the last connection names another message than the same number
 * of this one. An order the venue never acknowledged is entered again after the new Logon;
 * a ResendRequest over the new numbers enters it once more, once. Before the fix a message
 * remembered from the last connection under a number the gap fill covered entered it a
 * second time. */
START_TEST(test_fix_reset_logon_forgets_the_last_connection_numbers)
{
	struct side s;
	int lfd, fd = raw_session_reset(&s, &lfd, true);
	static struct raw_in in;
	struct fp_fix_msg m;
	uint8_t out[512];
	uint64_t new_seq = 0;
	char ida[16], idb[16], id[16];
	memset(&in, 0, sizeof(in));
	const struct fp_gw_stats *st = fp_gw_stats(&s.gw);
	order(&s, FP_EV_ORDER_NEW, 1, 'B', 100, 1502500, FP_TIF_DAY, 0);
	next_msg(&s, fd, &in, &m);
	ck_assert_str_eq(m.msg_type, "D");
	ck_assert_uint_eq(m.seq_num, 2);
	clordid_of(&m, ida);
	order(&s, FP_EV_ORDER_NEW, 1, 'B', 100, 1502500, FP_TIF_DAY, 0);
	next_msg(&s, fd, &in, &m);
	ck_assert_str_eq(m.msg_type, "D");
	ck_assert_uint_eq(m.seq_num, 3);
	clordid_of(&m, idb);
	venue_report(fd, 2, ida, "17=E1|150=0|39=0|44=150.25|32=0|31=0|151=100|14=0|6=0|");
	poll_while(&s, st->nb_accepted == 0);
	ck_assert_uint_eq(st->nb_accepted, 1); /* A is live; B the venue never saw */
	close(fd);                             /* the venue drops the connection */
	poll_while(&s, st->session == FP_GW_UP);
	memset(&in, 0, sizeof(in));
	fd = raw_logon(&s, lfd, true);
	next_msg(&s, fd, &in, &m); /* B again, after the new Logon (1) */
	ck_assert_str_eq(m.msg_type, "D");
	ck_assert_uint_eq(m.seq_num, 2);
	clordid_of(&m, id);
	ck_assert_str_eq(id, idb);
	size_t k = fix_msg(out, sizeof(out), "1", 2, "112=T1\x01"); /* TestRequest */
	ck_assert_int_eq(send(fd, out, k, 0), (ssize_t)k);
	next_msg(&s, fd, &in, &m);
	ck_assert_str_eq(m.msg_type, "0"); /* its Heartbeat at 3: the last connection's B */
	ck_assert_uint_eq(m.seq_num, 3);
	k = fix_msg(out, sizeof(out), "2", 3,
		    "7=1\x01"
		    "16=0\x01");
	ck_assert_int_eq(send(fd, out, k, 0), (ssize_t)k);
	next_msg(&s, fd, &in, &m);
	ck_assert_str_eq(m.msg_type, "4");
	ck_assert_uint_eq(m.seq_num, 1);
	ck_assert_int_eq(fp_fix_get_u64(&m, FP_FIX_TAG_NEW_SEQ_NO, &new_seq), 0);
	ck_assert_uint_eq(new_seq, 4);
	next_msg(&s, fd, &in, &m); /* B once more, once */
	ck_assert_str_eq(m.msg_type, "D");
	ck_assert_uint_eq(m.seq_num, 4);
	clordid_of(&m, id);
	ck_assert_str_eq(id, idb);
	no_new_order_sent(&s, fd, &in);
	close(fd);
	close(lfd);
	side_free(&s);
}
END_TEST

START_TEST(test_fix_config_keys)
{
	static const char text[] =
		"ok = { host = \"127.0.0.1\"; username = \"alice\"; protocol = \"fix44\";\n"
		"  sender_comp_id = \"ALICE\"; target_comp_id = \"FPSIM\"; tls = \"on\";\n"
		"  tls_ca_file = \"/etc/ssl/ca.crt\"; reset_seq_num = true; };\n"
		"proto = { username = \"alice\";\n  protocol = \"fix42\"; };\n"
		"ids = { username = \"alice\"; protocol = \"fix44\"; };\n"
		"pw = { username = \"alice\";\n\n  password = \"hunter2\"; };\n";
	struct fp_cfg *c = fp_cfg_load_string(text, "gw.conf");
	ck_assert_ptr_nonnull(c);
	setenv("FP_GW_PASSWORD", "secret1", 1);
	struct fp_gw_cfg g = {0};
	ck_assert_int_eq(fp_gw_cfg_load(&g, c, fp_cfg_lookup(c, NULL, "ok")), 0);
	ck_assert_int_eq(g.protocol, FP_GW_PROTO_FIX44);
	ck_assert_int_eq(g.tls, FP_GW_TLS_ON);
	ck_assert_int_eq(g.fix_reset_on_logon, 1);
	ck_assert_str_eq(g.sender_comp_id, "ALICE");
	ck_assert_str_eq(g.target_comp_id, "FPSIM");
	ck_assert_str_eq(g.tls_ca_file, "/etc/ssl/ca.crt");
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(fp_gw_cfg_load(&g, c, fp_cfg_lookup(c, NULL, "proto")), -EINVAL);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "gw.conf:5"));
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "fix42"));
	ck_assert_int_eq(fp_gw_cfg_load(&g, c, fp_cfg_lookup(c, NULL, "ids")), -EINVAL);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "sender_comp_id"));
	ck_assert_int_eq(fp_gw_cfg_load(&g, c, fp_cfg_lookup(c, NULL, "pw")), -EINVAL);
	ck_assert_msg(strstr(fp_err_msg(), "gw.conf:9") != NULL, "%s", fp_err_msg());
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "FP_GW_PASSWORD"));
	ck_assert_ptr_null(strstr(fp_err_msg(), "hunter2")); /* never echoed */
	unsetenv("FP_GW_PASSWORD");
	fp_cfg_free(c);

	/* tls on without a CA file: refused at init, fail closed. */
	struct side s;
	struct fp_gw_cfg cfg;
	fix_side_cfg(&s, &cfg, 15000);
	strcpy(cfg.username, "alice");
	strcpy(cfg.password, "secret1");
	cfg.protocol = FP_GW_PROTO_FIX44;
	strcpy(cfg.sender_comp_id, "ALICE");
	strcpy(cfg.target_comp_id, "FPSIM");
	ck_assert_int_eq(fp_gw_init(&s.gw, &cfg), -EINVAL); /* fix44: tls on by default */
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "tls_ca_file"));
	free(s.orders);
	free(s.execs);
	free(s.execs2);
	free(s.jrnl);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("gw_fix");
	TCase *tc = tcase_create("fix");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fix_config_keys);
	tcase_add_test(tc, test_fix_too_low_seq_without_possdup_ends_with_logout);
	tcase_add_test(tc, test_fix_tls_orders_fills_replace_cancel);
	tcase_add_test(tc, test_fix_reconnect_resends_missed_fills_once);
	tcase_add_test(tc, test_fix_resend_request_gap_fill_enters_the_order_again);
	tcase_add_test(tc, test_fix_venue_overstating_leaves_never_fills_beyond_quantity);
	tcase_add_test(tc, test_fix_venue_repeating_an_ended_order_never_adopts_it);
	tcase_add_test(tc, test_fix_reset_logon_forgets_the_last_connection_numbers);
	tcase_add_test(tc, test_fix_replace_in_flight_refused_when_its_order_fills);
	tcase_add_test(tc, test_fix_cancel_refused_leaves_the_order_open_and_counted);
	tcase_add_test(tc, test_fix_kill_switch_leaves_nothing_live);
	tcase_add_test(tc, test_fix_recovers_after_kill_without_double_fills);
	tcase_add_test(tc, test_fix_tls_refuses_untrusted_expired_and_misnamed_certificates);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (dir[0]) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return nf ? 1 : 0;
}
