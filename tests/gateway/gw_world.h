/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gw_world.h - the harness the gateway's tests share (check_fp_gw*.c;
 * tests only): a matching engine with the simulator's OUCH acceptor (and, for FIX, its FIX
 * acceptor), two gateways Alice and Bob with their rings, and the calls that drive them in
 * one thread: pump() polls everyone in turn, order() is the strategy, expect() is risk
 * reading the exec ring (and checking the second consumer sees the same), drain_journal()
 * is the store. A test's own venue, hand-made, listens on venue_listener().
 */
#ifndef GW_WORLD_H
#define GW_WORLD_H

#include <netinet/in.h>
#include <stdint.h>

#include "fp_event.h"
#include "fp_gw.h"
#include "fp_ring.h"
#include "fp_shm_ctl.h"
#include "fp_sim_engine.h"
#include "fp_sim_fix.h"
#include "fp_sim_oe.h"
#include "fp_symtab.h"

struct side {
	struct fp_gw gw;
	struct fp_ring *orders;
	struct fp_ring *execs;
	struct fp_ring *execs2; /* a second consumer: must see the same reports */
	struct fp_ring *jrnl;   /* journal ring, drained into cap[] by pump() unless hold_jrnl */
	int hold_jrnl;
	uint32_t nb_cap;
	struct fp_event cap[1024];
	uint64_t next_id;
	unsigned nb_venue_down, nb_venue_up; /* control notices for risk, on execs only */
};

struct world {
	struct fp_sim_engine *e;
	struct fp_sim_oe oe;
	struct fp_sim_fix fx; /* polled when has_fx (the FIX tests) */
	int has_fx;
	struct side a, b;
	struct fp_shm_ctl ctl;
	int pause_a; /* do not poll Alice's gateway (it cannot notice a drop or reconnect) */
};

/** The accounts of the simulator's acceptor: alice/secret1 (ALCE), bob/secret2 (BOBB). */
extern const struct fp_sim_oe_user test_users[2];
/** Flags of the last report expect() returned. */
extern uint8_t last_flags;

/** The symbol table the gateway reads names from: AAPL at 1, MSFT at 2. */
const struct fp_symtab *test_symtab(void);
uint64_t mono_ns(void);
struct fp_ring *ring_new(uint32_t cap, const char *name);
/** A hand-made venue's listening socket on a free loopback port (its address in @p sa);
 *  @p rcvbuf > 0 sets a small receive buffer, so that a venue that stops reading fills it. */
int venue_listener(struct sockaddr_in *sa, int rcvbuf);

/** @p s's rings (a journal ring of @p jrnl_cap) and a gateway config to @p port on
 *  loopback with them: heartbeat 100 ms, timeout 2 s, backoff 20-80 ms, 64 orders. */
void side_cfg(struct side *s, struct fp_gw_cfg *cfg, uint16_t port, uint32_t jrnl_cap);
void side_free(struct side *s);
/** The store's part: take what the gateway journaled (J1), unless hold_jrnl. */
void drain_journal(struct side *s);

/** The engine (AAPL, MSFT) and its OUCH acceptor with test_users; no gateway yet. */
struct world *world_alloc(void);
void world_free(struct world *w);
/** Poll the acceptors and both gateways (Alice unless pause_a), drain the journals, for
 *  @p ms (at least once). */
void pump(struct world *w, unsigned ms);
/** Pump until @p s's session is up; 5 s at most. */
void pump_until_up(struct world *w, struct side *s);

/** The strategy's order event of @p type on @p s's order ring. @return its id (0: cancel). */
uint64_t order(struct side *s, uint8_t type, uint32_t sym, uint8_t side, uint32_t qty,
	       int64_t price, uint8_t tif, uint64_t orig);
/** The next exec report of @p s, of @p type, within 3 s; the second consumer got the same,
 *  control notices are counted on the way. */
struct fp_ev_exec expect(struct world *w, struct side *s, uint8_t type);
/** Nothing but control notices comes within 50 ms. */
void expect_none(struct world *w, struct side *s);

#endif /* GW_WORLD_H */
