/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_world.c - the gateway tests' shared harness (gw_world.h).
 */
#include "gw_world.h"

#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

const struct fp_sim_oe_user test_users[2] = {
	{"alice", "secret1", "ALCE"},
	{"bob", "secret2", "BOBB"},
};

uint8_t last_flags;

const struct fp_symtab *test_symtab(void)
{
	static struct fp_symtab *t;
	if (t == NULL) {
		t = aligned_alloc(FP_CACHE_LINE, sizeof(*t));
		ck_assert_ptr_nonnull(t);
		fp_symtab_init(t);
		fp_symtab_set_directory(t, 1, "AAPL    ", 100, 'Q');
		fp_symtab_set_directory(t, 2, "MSFT    ", 100, 'Q');
	}
	return t;
}

uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct fp_ring *ring_new(uint32_t cap, const char *name)
{
	struct fp_ring *r = aligned_alloc(64, fp_ring_memsize(cap));
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(fp_ring_init(r, cap, name), 0);
	return r;
}

int venue_listener(struct sockaddr_in *sa, int rcvbuf)
{
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(ls, 0);
	if (rcvbuf > 0)
		ck_assert_int_eq(setsockopt(ls, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
	*sa = (struct sockaddr_in){.sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(bind(ls, (struct sockaddr *)sa, sizeof(*sa)), 0);
	ck_assert_int_eq(listen(ls, 1), 0);
	socklen_t sl = sizeof(*sa);
	ck_assert_int_eq(getsockname(ls, (struct sockaddr *)sa, &sl), 0);
	return ls;
}

void side_cfg(struct side *s, struct fp_gw_cfg *cfg, uint16_t port, uint32_t jrnl_cap)
{
	s->orders = ring_new(256, "orders");
	s->execs = ring_new(256, "execs");
	s->execs2 = ring_new(512, "execs2");
	s->jrnl = ring_new(jrnl_cap, "jrnl");
	s->hold_jrnl = 0;
	s->nb_cap = 0;
	s->next_id = 7ull << 48 | 1000; /* strategy 7, as fp_strat_host.c builds ids */
	*cfg = (struct fp_gw_cfg){
		.port = port,
		.order_ring = s->orders,
		.exec_ring = s->execs,
		.exec_ring2 = s->execs2,
		.journal_ring = s->jrnl,
		.symtab = test_symtab(),
		.max_orders = 64,
		.heartbeat_ms = 100,
		.timeout_ms = 2000,
		.backoff_min_ms = 20,
		.backoff_max_ms = 80,
	};
}

void side_free(struct side *s)
{
	fp_gw_fini(&s->gw);
	free(s->orders);
	free(s->execs);
	free(s->execs2);
	free(s->jrnl);
}

void drain_journal(struct side *s)
{
	struct fp_event ev;
	while (!s->hold_jrnl && fp_ring_dequeue_burst(s->jrnl, &ev, 1) == 1) {
		ck_assert_uint_lt(s->nb_cap, FP_ARRAY_SIZE(s->cap));
		s->cap[s->nb_cap++] = ev;
	}
}

struct world *world_alloc(void)
{
	struct world *w = aligned_alloc(64, FP_ALIGN_UP(sizeof(*w), 64));
	ck_assert_ptr_nonnull(w);
	memset(w, 0, sizeof(*w));
	fp_shm_ctl_init(&w->ctl);
	struct fp_sim_engine_cfg ecfg = {.max_orders = 1 << 12, .max_symbols = 8, .max_owners = 8};
	ecfg.order_listener = fp_sim_oe_listener(&w->oe);
	w->e = fp_sim_engine_create(&ecfg);
	ck_assert_int_eq(fp_sim_engine_add_symbol(w->e, 1, "AAPL", 100), 0);
	ck_assert_int_eq(fp_sim_engine_add_symbol(w->e, 2, "MSFT", 100), 0);
	struct fp_sim_oe_cfg ocfg = {.users = test_users, .nb_users = 2};
	ck_assert_int_eq(fp_sim_oe_init(&w->oe, &ocfg, w->e), 0);
	return w;
}

void world_free(struct world *w)
{
	side_free(&w->a);
	side_free(&w->b);
	if (w->has_fx)
		fp_sim_fix_fini(&w->fx);
	fp_sim_oe_fini(&w->oe);
	fp_sim_engine_destroy(w->e);
	free(w);
}

void pump(struct world *w, unsigned ms)
{
	uint64_t end = mono_ns() + (uint64_t)ms * 1000000u;
	do {
		fp_sim_oe_poll(&w->oe);
		if (w->has_fx)
			fp_sim_fix_poll(&w->fx);
		if (!w->pause_a)
			fp_gw_poll(&w->a.gw, 32);
		fp_gw_poll(&w->b.gw, 32);
		drain_journal(&w->a);
		drain_journal(&w->b);
		usleep(100);
	} while (mono_ns() < end);
}

void pump_until_up(struct world *w, struct side *s)
{
	uint64_t end = mono_ns() + 5000000000ull;
	while (fp_gw_stats(&s->gw)->session != FP_GW_UP && mono_ns() < end)
		pump(w, 1);
	ck_assert_msg(fp_gw_stats(&s->gw)->session == FP_GW_UP, "session not up: %s",
		      fp_gw_last_error(&s->gw));
}

uint64_t order(struct side *s, uint8_t type, uint32_t sym, uint8_t side, uint32_t qty,
	       int64_t price, uint8_t tif, uint64_t orig)
{
	struct fp_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.symbol_id = sym;
	ev.t_rx = 1;
	ev.u.order.client_order_id = type == FP_EV_ORDER_CANCEL ? 0 : ++s->next_id;
	ev.u.order.price = price;
	ev.u.order.shares = qty;
	ev.u.order.side = side;
	ev.u.order.tif = tif;
	ev.u.order.strategy_id = 7;
	ev.u.order.orig_client_order_id = orig;
	ck_assert_uint_eq(fp_ring_enqueue_burst(s->orders, &ev, 1), 1);
	return ev.u.order.client_order_id;
}

/* A control notice on @p s's first exec ring: venue down, or up (not its synced mark). */
static void count_notice(struct side *s, const struct fp_event *ev)
{
	s->nb_venue_down += ev->u.control.command == FP_EV_CTL_VENUE_DOWN;
	s->nb_venue_up += ev->u.control.command == FP_EV_CTL_VENUE_UP && !ev->u.control.arg;
}

struct fp_ev_exec expect(struct world *w, struct side *s, uint8_t type)
{
	struct fp_event ev;
	uint64_t end = mono_ns() + 3000000000ull;
	for (;;) {
		while (fp_ring_dequeue_burst(s->execs, &ev, 1) == 0) {
			ck_assert_msg(mono_ns() < end, "no exec report (wanted type %u): %s", type,
				      fp_gw_last_error(&s->gw));
			pump(w, 1);
		}
		if (ev.type != FP_EV_CONTROL)
			break;
		count_notice(s, &ev);
	}
	ck_assert_msg(ev.type == type, "exec type %u, wanted %u (reason 0x%x)", ev.type, type,
		      ev.u.exec.reason);
	last_flags = ev.flags;
	struct fp_event ev2;
	do /* the second consumer gets the session notices too, not the venue-down ones */
		ck_assert_uint_eq(fp_ring_dequeue_burst(s->execs2, &ev2, 1), 1);
	while (ev2.type == FP_EV_CONTROL);
	ck_assert_int_eq(memcmp(&ev, &ev2, sizeof(ev)), 0);
	ck_assert_uint_eq(ev.u.exec.strategy_id, ev.source);
	return ev.u.exec;
}

void expect_none(struct world *w, struct side *s)
{
	const struct fp_event *ev;
	uint32_t nb;
	pump(w, 50);
	while ((ev = fp_ring_peek(s->execs, 1, &nb)) && ev->type == FP_EV_CONTROL) {
		count_notice(s, ev);
		fp_ring_release(s->execs, 1);
	}
	while ((ev = fp_ring_peek(s->execs2, 1, &nb)) && ev->type == FP_EV_CONTROL)
		fp_ring_release(s->execs2, 1);
	ck_assert_uint_eq(fp_ring_count(s->execs), 0);
	ck_assert_uint_eq(fp_ring_count(s->execs2), 0);
}
