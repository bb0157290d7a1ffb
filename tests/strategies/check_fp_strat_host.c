/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_strat_host.c - the strategy host driving strategies through rings.
 *
 * Covers: bad configurations refused with a message (unknown built-in, missing .so, ids used
 * twice, a strategy whose init refuses); ping sends on every Nth book change at the touch of
 * alternating sides with t_rx carried; the market maker quotes around the mid, skews with
 * inventory, requotes by replace and stops adding risk at its position cap; momentum enters
 * on imbalance plus EMA trend and leaves on its stop; a strategy loaded from a .so receives
 * tops, trades, its own execution reports (others' are not routed to it), risk rejects and
 * timers; a full intent ring holds intents in the outbox, none lost, and a full outbox
 * refuses new orders to the strategy; client order ids of a restarted host are above every
 * id of the one before and at or above cfg.first_seq; execution reports replayed by the
 * venue after a gateway restart (seq not above the last, same session) are dropped; the
 * counters are kept in the strat.stats region given, stamped and checked; a parameter key a
 * strategy (built in or .so) does not declare is refused, with the keys it takes.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "echo_strategy.h"
#include "fp_err.h"
#include "fp_strat.h"
#include "fp_tsc.h"

#define PX 1000000

static struct fp_ring *md, *exec_r, *rej, *intent;
static struct fp_strat_host *H;
static struct fp_strat_host_cfg C;

static struct fp_ring *ring(uint32_t cap)
{
	struct fp_ring *r = aligned_alloc(64, FP_ALIGN_UP(fp_ring_memsize(cap), (size_t)64));
	ck_assert_int_eq(fp_ring_init(r, cap, "t"), 0);
	return r;
}

static void setup(void)
{
	md = ring(512);
	exec_r = ring(64);
	rej = ring(64);
	intent = ring(512);
	H = aligned_alloc(64, sizeof(*H));
	memset(&C, 0, sizeof(C));
	C.md[0] = md;
	C.nb_md = 1;
	C.exec = exec_r;
	C.reject = rej;
	C.intent = intent;
	C.nb_symbols = 16;
	C.tsc_hz = 2000000000ULL;
	memset(H, 0, sizeof(*H));
}

static void teardown(void)
{
	fp_strat_host_fini(H);
	free(H);
	free(md);
	free(exec_r);
	free(rej);
	free(intent);
}

static struct fp_strat_spec *add(uint16_t id, const char *name, const char *path)
{
	struct fp_strat_spec *s = &C.strat[C.nb_strategies++];
	memset(s, 0, sizeof(*s));
	s->id = id;
	snprintf(s->name, sizeof(s->name), "%s", name);
	if (path)
		snprintf(s->path, sizeof(s->path), "%s", path);
	return s;
}

static void param(struct fp_strat_spec *s, const char *kv)
{
	ck_assert_int_eq(fp_strat_params_add(&s->params, kv), 0);
}

static void start(void)
{
	int rc = fp_strat_host_init(H, &C);
	ck_assert_msg(rc == 0, "init: %s", fp_err_msg());
}

static void top(uint32_t sym, int64_t bid, int64_t ask, uint32_t bsz, uint32_t asz, uint64_t t_rx)
{
	struct fp_event ev = {.type = FP_EV_BOOK_TOP, .symbol_id = sym, .t_rx = t_rx};
	ev.u.top = (struct fp_ev_book_top){
		.bid_price = bid, .ask_price = ask, .bid_shares = bsz, .ask_shares = asz};
	ck_assert_uint_eq(fp_ring_enqueue_burst(md, &ev, 1), 1);
}

static void trade(uint32_t sym, int64_t px)
{
	struct fp_event ev = {.type = FP_EV_MD_TRADE, .symbol_id = sym};
	ev.u.trade.price = px;
	ev.u.trade.shares = 100;
	ck_assert_uint_eq(fp_ring_enqueue_burst(md, &ev, 1), 1);
}

static void fill(uint16_t strat, uint32_t sym, uint64_t id, uint8_t side, uint32_t q, int64_t px,
		 uint32_t leaves)
{
	struct fp_event ev = {.type = FP_EV_EXEC_FILL, .symbol_id = sym};
	ev.u.exec = (struct fp_ev_exec){.client_order_id = id,
					.price = px,
					.shares = q,
					.leaves_shares = leaves,
					.strategy_id = strat,
					.side = side};
	ck_assert_uint_eq(fp_ring_enqueue_burst(exec_r, &ev, 1), 1);
}

/* An execution report of @p type (canceled, accepted, rejected) for order @p id. */
static void exec_ev(uint8_t type, uint16_t strat, uint32_t sym, uint64_t id, uint32_t leaves)
{
	struct fp_event ev = {.type = type, .symbol_id = sym};
	ev.u.exec = (struct fp_ev_exec){
		.client_order_id = id, .leaves_shares = leaves, .strategy_id = strat};
	ck_assert_uint_eq(fp_ring_enqueue_burst(exec_r, &ev, 1), 1);
}

static unsigned take(struct fp_event *out, unsigned max)
{
	return fp_ring_dequeue_burst(intent, out, max);
}

/* mm's book moves to @p bid / @p ask (symbol 2, 500 shares a side), the host polls: the
 * number of intents it sent, taken into @p out (8 at most). */
static unsigned move(int64_t bid, int64_t ask, struct fp_event *out)
{
	top(2, bid, ask, 500, 500, 0);
	fp_strat_host_poll(H, 64);
	return take(out, 8);
}

/* Ids of @p n ping orders (one per top). */
static void ping_ids(uint64_t *ids, unsigned n)
{
	struct fp_event out[16];
	for (unsigned i = 0; i < n; i++)
		top(1, PX - 100, PX + 100, 100, 100, 1);
	fp_strat_host_poll(H, 64);
	ck_assert_uint_eq(take(out, 16), n);
	for (unsigned i = 0; i < n; i++)
		ids[i] = out[i].u.order.client_order_id;
}

START_TEST(test_ids_never_repeat_across_restarts)
{
	struct fp_strat_spec *s = add(9, "ping", NULL);
	param(s, "every=1");
	uint64_t a[8], b[8];
	start();
	ping_ids(a, 8);
	fp_strat_host_fini(H);
	usleep(2); /* a worker restart takes far longer than a microsecond */
	start();
	ping_ids(b, 8);
	for (int i = 0; i < 8; i++) {
		ck_assert_uint_eq(b[i] >> FP_STRAT_SEQ_BITS, 9);
		ck_assert_uint_gt(b[i], a[7]);
		ck_assert_uint_gt(a[i] & ((1ULL << FP_STRAT_SEQ_BITS) - 1), 0);
	}
	/* a floor from the journal beats the clock (above the day's last microsecond << 11,
	 * 86400e6 << 11 < 1.8e14: 2^47 alone is passed by the clock at 19:05 UTC) */
	fp_strat_host_fini(H);
	C.first_seq = (1ULL << 47) + (1ULL << 46) + 5;
	start();
	ping_ids(b, 1);
	ck_assert_uint_eq(b[0], (9ULL << FP_STRAT_SEQ_BITS) | C.first_seq);
	ck_assert_uint_eq(H->stats->first_seq, C.first_seq);
}
END_TEST

/* The host counts in the region it is given (strat.stats), laid out and stamped for readers
 * in other processes; a region of another layout is refused by the reader's check. */
START_TEST(test_stats_region_counted_in_place_and_checked)
{
	struct fp_strat_stats *region = aligned_alloc(FP_CACHE_LINE, sizeof(*region));
	memset(region, 0xa5, sizeof(*region)); /* init zeroes it */
	C.stats = region;
	struct fp_strat_spec *s = add(3, "ping", NULL);
	param(s, "every=1");
	start();
	ck_assert_ptr_eq(H->stats, region);
	ck_assert_int_eq(fp_strat_stats_check(region), 0);
	ck_assert_uint_eq(region->reserved[0], 0);
	top(1, PX - 100, PX + 100, 100, 100, 1);
	top(1, PX - 100, PX + 100, 200, 100, 2);
	fp_strat_host_poll(H, 64);
	ck_assert_uint_eq(region->md, 2); /* no copy step: the figures are there at once */
	ck_assert_uint_eq(region->intents, 2);
	region->version++;
	ck_assert_int_eq(fp_strat_stats_check(region), -EPROTO);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "layout version"));
	region->version--;
	region->magic = 0;
	ck_assert_int_eq(fp_strat_stats_check(region), -EPROTO);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "bad magic"));
	fp_strat_host_fini(H);
	memset(H, 0, sizeof(*H));
	free(region);
}
END_TEST

static void venue_up(const char *session)
{
	struct fp_event up = {.type = FP_EV_CONTROL};
	up.u.control.command = FP_EV_CTL_VENUE_UP;
	memcpy(up.u.control.text, session, strlen(session));
	ck_assert_uint_eq(fp_ring_enqueue_burst(exec_r, &up, 1), 1);
}

START_TEST(test_replayed_exec_reports_dropped)
{
	add(4, "ping", NULL);
	start();
	venue_up("FPSIM00001");
	static const uint64_t seqs[] = {5, 6, 6, 4, 7, 0, 0};
	for (unsigned i = 0; i < FP_ARRAY_SIZE(seqs); i++) {
		struct fp_event ev = {.type = FP_EV_EXEC_FILL, .symbol_id = 2, .seq = seqs[i]};
		ev.u.exec = (struct fp_ev_exec){.client_order_id = 1,
						.price = PX,
						.shares = 10,
						.strategy_id = 4,
						.side = 'B'};
		ck_assert_uint_eq(fp_ring_enqueue_burst(exec_r, &ev, 1), 1);
	}
	fp_strat_host_poll(H, 64);
	ck_assert_uint_eq(H->stats->exec_dups, 2);
	ck_assert_int_eq(H->slot[0].position[2], 50);
	/* a replace: two reports of one seq (canceled, accepted) both apply; their replay not */
	for (int k = 0; k < 2; k++)
		for (uint8_t t = FP_EV_EXEC_CANCELED; t;
		     t = t == FP_EV_EXEC_CANCELED ? FP_EV_EXEC_ACCEPTED : 0) {
			struct fp_event ev = {.type = t, .symbol_id = 2, .seq = 8};
			ev.u.exec = (struct fp_ev_exec){
				.client_order_id = 3, .strategy_id = 4, .side = 'B'};
			ck_assert_uint_eq(fp_ring_enqueue_burst(exec_r, &ev, 1), 1);
		}
	fp_strat_host_poll(H, 64);
	ck_assert_uint_eq(H->stats->execs, 7 + 4 + 1);
	ck_assert_uint_eq(H->stats->exec_dups, 4);
	venue_up("FPSIM00002"); /* a new session numbers from 1 */
	struct fp_event ev = {.type = FP_EV_EXEC_FILL, .symbol_id = 2, .seq = 1};
	ev.u.exec = (struct fp_ev_exec){
		.client_order_id = 2, .price = PX, .shares = 10, .strategy_id = 4, .side = 'B'};
	ck_assert_uint_eq(fp_ring_enqueue_burst(exec_r, &ev, 1), 1);
	fp_strat_host_poll(H, 64);
	ck_assert_int_eq(H->slot[0].position[2], 60);
	ck_assert_uint_eq(H->stats->exec_dups, 4);
}
END_TEST

START_TEST(test_bad_configs_refused)
{
	add(1, "nosuch", NULL);
	ck_assert_int_eq(fp_strat_host_init(H, &C), -EINVAL);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "no built-in strategy 'nosuch'"));
	C.nb_strategies = 0;
	add(1, "x", "/nonexistent/strategy.so");
	ck_assert_int_eq(fp_strat_host_init(H, &C), -ENOENT);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "/nonexistent/strategy.so"));
	C.nb_strategies = 0;
	add(1, "ping", NULL);
	add(1, "ping", NULL);
	ck_assert_int_eq(fp_strat_host_init(H, &C), -EINVAL);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "used twice"));
	C.nb_strategies = 0;
	add(4, "mm", NULL); /* no symbol */
	ck_assert_int_eq(fp_strat_host_init(H, &C), -EINVAL);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "strategy 4 'mm'"));
	/* a key the strategy does not declare (strategy.h ABI 3): refused, not ignored */
	C.nb_strategies = 0;
	struct fp_strat_spec *mm = add(5, "mm", NULL);
	param(mm, "symbol=1");
	param(mm, "half_spred=300");
	ck_assert_int_eq(fp_strat_host_init(H, &C), -EINVAL);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "strategy 'mm' has no parameter 'half_spred' "
						   "(it takes: symbol, size, half_spread,"));
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "strategy 5 'mm'"));
	int bad = -1;
	ck_assert_int_eq(fp_strat_params_check(mm, &bad), -EINVAL);
	ck_assert_int_eq(bad, 1);
	mm->params.p[1] = (struct fp_strat_param){"half_spread", "300"};
	ck_assert_int_eq(fp_strat_params_check(mm, &bad), 0);
	ck_assert_int_eq(bad, -1);
	struct fp_strat_spec nosuch = {.name = "nosuch"};
	ck_assert_int_eq(fp_strat_params_check(&nosuch, &bad), -EINVAL);
	ck_assert_int_eq(bad, -1); /* not a parameter's fault */
	struct fp_strat_params p = {0};
	ck_assert_int_eq(fp_strat_params_add(&p, "novalue"), -EINVAL);
	C.nb_strategies = 0;
	C.intent = NULL;
	ck_assert_int_eq(fp_strat_host_init(H, &C), -EINVAL);
}
END_TEST

START_TEST(test_ping_every_nth_change)
{
	struct fp_strat_spec *s = add(3, "ping", NULL);
	param(s, "every=3");
	param(s, "size=50");
	start();
	for (int i = 0; i < 7; i++)
		top(1 + (i % 2), PX - 100 - i, PX + 100 + i, 100, 100, 1000 + (uint64_t)i);
	fp_strat_host_poll(H, 64);
	struct fp_event out[8];
	ck_assert_uint_eq(take(out, 8), 2);
	ck_assert_uint_eq(out[0].type, FP_EV_ORDER_NEW);
	ck_assert_uint_eq(out[0].u.order.side, FP_SIDE_BUY);
	ck_assert_int_eq(out[0].u.order.price, PX - 100 - 2); /* the 3rd top's bid */
	ck_assert_uint_eq(out[0].t_rx, 1002);
	ck_assert_uint_eq(out[0].symbol_id, 1);
	ck_assert_uint_eq(out[0].u.order.tif, FP_TIF_IOC);
	ck_assert_uint_eq(out[0].u.order.strategy_id, 3);
	ck_assert_uint_eq(out[0].u.order.client_order_id >> 48, 3);
	ck_assert_uint_eq(out[1].u.order.side, FP_SIDE_SELL);
	ck_assert_int_eq(out[1].u.order.price, PX + 100 + 5);
	ck_assert_uint_ne(out[0].u.order.client_order_id, out[1].u.order.client_order_id);
	ck_assert_uint_gt(out[1].u.order.t_decide, 0);
}
END_TEST

START_TEST(test_market_maker_skew_requote_cap)
{
	struct fp_strat_spec *s = add(7, "mm", NULL);
	param(s, "symbol=2");
	param(s, "size=100");
	param(s, "half_spread=100");
	param(s, "tick=100");
	param(s, "skew=1");
	param(s, "max_position=200");
	start();
	struct fp_event out[8];
	top(2, PX - 100, PX + 100, 500, 500, 0);
	top(3, PX - 100, PX + 100, 500, 500, 0); /* another symbol: ignored */
	fp_strat_host_poll(H, 64);
	ck_assert_uint_eq(take(out, 8), 2);
	ck_assert_uint_eq(out[0].u.order.side, FP_SIDE_BUY);
	ck_assert_int_eq(out[0].u.order.price, PX - 100);
	ck_assert_uint_eq(out[1].u.order.side, FP_SIDE_SELL);
	ck_assert_int_eq(out[1].u.order.price, PX + 100);
	uint64_t bid = out[0].u.order.client_order_id, ask = out[1].u.order.client_order_id;
	exec_ev(FP_EV_EXEC_ACCEPTED, 7, 2, bid, 100); /* quotes move once the venue has them */
	exec_ev(FP_EV_EXEC_ACCEPTED, 7, 2, ask, 100);
	/* bid filled: long 100, fair moves down 100 */
	fill(7, 2, bid, FP_SIDE_BUY, 100, PX - 100, 0);
	ck_assert_uint_eq(move(PX - 100, PX + 100, out), 2);
	ck_assert_uint_eq(out[0].type, FP_EV_ORDER_NEW); /* a new bid, lower */
	ck_assert_int_eq(out[0].u.order.price, PX - 200);
	ck_assert_uint_eq(out[1].type, FP_EV_ORDER_REPLACE); /* the ask moves down */
	ck_assert_uint_eq(out[1].u.order.orig_client_order_id, ask);
	ck_assert_int_eq(out[1].u.order.price, PX);
	uint64_t old_ask = ask;
	bid = out[0].u.order.client_order_id;
	ask = out[1].u.order.client_order_id;
	/* the replace done as the gateway reports it: the old leg canceled, the new accepted */
	exec_ev(FP_EV_EXEC_CANCELED, 7, 2, old_ask, 0);
	exec_ev(FP_EV_EXEC_ACCEPTED, 7, 2, ask, 100);
	/* at the cap: no more bids; the live bid is cancelled only if still there */
	fill(7, 2, bid, FP_SIDE_BUY, 100, PX - 200, 0);
	ck_assert_uint_eq(move(PX - 100, PX + 100, out), 1);
	ck_assert_uint_eq(out[0].type, FP_EV_ORDER_REPLACE);
	ck_assert_uint_eq(out[0].u.order.side, FP_SIDE_SELL);
	ck_assert_int_eq(out[0].u.order.price, PX - 100); /* fair = mid - 200 */
	/* unchanged book: no requote */
	ck_assert_uint_eq(move(PX - 100, PX + 100, out), 0);
}
END_TEST

/* One replace in flight per quote, and a refused replace gives the quote its old leg back
 * while that leg lives (fix_quickfix_cancel_replace found the market maker forgetting it:
 * a replace of a replacement not yet answered was refused, the quote dropped, a new one
 * sent, the old leg left resting: 22 orders at the venue for 4 quotes); when the old leg
 * ended first (the gateway's order_ended refusal follows its last report) the quote has
 * no order and a new one is entered. */
START_TEST(test_market_maker_one_replace_in_flight)
{
	struct fp_strat_spec *s = add(8, "mm", NULL);
	param(s, "symbol=2");
	param(s, "requote=100");
	start();
	struct fp_event out[8];
	ck_assert_uint_eq(move(PX - 100, PX + 100, out), 2);
	uint64_t bid = out[0].u.order.client_order_id, ask = out[1].u.order.client_order_id;
	/* the new orders unanswered: a move asks for nothing (a replace of an order the venue
	 * does not have yet is refused; under load such refusals tripped the rejects breaker:
	 * make stress, e2e_diskfull) */
	ck_assert_uint_eq(move(PX, PX + 200, out), 0);
	exec_ev(FP_EV_EXEC_ACCEPTED, 8, 2, bid, 100);
	exec_ev(FP_EV_EXEC_ACCEPTED, 8, 2, ask, 100);
	ck_assert_uint_eq(move(PX, PX + 200, out), 2); /* up 100: both sides requote */
	ck_assert_uint_eq(out[0].type, FP_EV_ORDER_REPLACE);
	ck_assert_uint_eq(out[0].u.order.orig_client_order_id, bid);
	uint64_t bid2 = out[0].u.order.client_order_id;
	/* unanswered: another move asks for nothing, neither a replace nor a new quote */
	ck_assert_uint_eq(move(PX + 100, PX + 300, out), 0);
	/* the replace refused (the old leg lives): the old leg is the quote again and is
	 * requoted, no new order */
	exec_ev(FP_EV_EXEC_REJECTED, 8, 2, bid2, 0);
	ck_assert_uint_eq(move(PX + 100, PX + 300, out), 1);
	ck_assert_uint_eq(out[0].type, FP_EV_ORDER_REPLACE);
	ck_assert_uint_eq(out[0].u.order.orig_client_order_id, bid);
	ck_assert_int_eq(out[0].u.order.price, PX + 100);
	uint64_t bid3 = out[0].u.order.client_order_id;
	/* done this time (old leg canceled, replacement accepted), then canceled (a kill):
	 * the quote is gone and a new one is entered */
	exec_ev(FP_EV_EXEC_CANCELED, 8, 2, bid, 0);
	exec_ev(FP_EV_EXEC_ACCEPTED, 8, 2, bid3, 100);
	exec_ev(FP_EV_EXEC_CANCELED, 8, 2, bid3, 0);
	ck_assert_uint_eq(move(PX + 100, PX + 300, out), 1);
	ck_assert_uint_eq(out[0].type, FP_EV_ORDER_NEW);
	ck_assert_uint_eq(out[0].u.order.side, FP_SIDE_BUY);
	uint64_t bid4 = out[0].u.order.client_order_id;
	/* a move before its answer asks for nothing; then refused (the gateway not connected
	 * yet): the quote is gone, and a new one is entered */
	ck_assert_uint_eq(move(PX + 200, PX + 400, out), 0);
	exec_ev(FP_EV_EXEC_REJECTED, 8, 2, bid4, 0);
	ck_assert_uint_eq(move(PX + 200, PX + 400, out), 1);
	ck_assert_uint_eq(out[0].type, FP_EV_ORDER_NEW);
	ck_assert_uint_eq(out[0].u.order.side, FP_SIDE_BUY);
	/* a replace the venue refuses while its old leg lives gives the quote that leg back,
	 * every time: the next move replaces it again (no new order beside a live one) */
	uint64_t bid5 = out[0].u.order.client_order_id;
	exec_ev(FP_EV_EXEC_ACCEPTED, 8, 2, bid5, 100);
	for (int i = 0; i < 2; i++) {
		top(2, PX + 300, PX + 500, 500, 500, 0);
		fp_strat_host_poll(H, 64);
		ck_assert_uint_eq(take(out, 8), 1);
		ck_assert_uint_eq(out[0].type, FP_EV_ORDER_REPLACE);
		ck_assert_uint_eq(out[0].u.order.orig_client_order_id, bid5);
		exec_ev(FP_EV_EXEC_REJECTED, 8, 2, out[0].u.order.client_order_id, 0);
	}
	/* the old leg fills to the end before the venue answers the replace: the gateway
	 * reports the fill, then the replacement refused (order_ended); the quote has no
	 * order (the filled leg is not given back) and a new one is entered */
	ck_assert_uint_eq(move(PX + 300, PX + 500, out), 1);
	ck_assert_uint_eq(out[0].type, FP_EV_ORDER_REPLACE);
	uint64_t bid6 = out[0].u.order.client_order_id;
	fill(8, 2, bid5, FP_SIDE_BUY, 100, PX + 200, 0);
	ck_assert_uint_eq(move(PX + 300, PX + 500, out),
			  0); /* still waiting for the replace's answer */
	exec_ev(FP_EV_EXEC_REJECTED, 8, 2, bid6, 0);
	ck_assert_uint_eq(move(PX + 300, PX + 500, out), 1);
	ck_assert_uint_eq(out[0].type, FP_EV_ORDER_NEW);
	ck_assert_uint_eq(out[0].u.order.side, FP_SIDE_BUY);
	/* a replacement dead on arrival (accepted with nothing open) leaves no quote either */
	uint64_t bid7 = out[0].u.order.client_order_id;
	exec_ev(FP_EV_EXEC_ACCEPTED, 8, 2, bid7, 100);
	ck_assert_uint_eq(move(PX + 400, PX + 600, out), 1);
	ck_assert_uint_eq(out[0].type, FP_EV_ORDER_REPLACE);
	exec_ev(FP_EV_EXEC_CANCELED, 8, 2, bid7, 0);
	exec_ev(FP_EV_EXEC_ACCEPTED, 8, 2, out[0].u.order.client_order_id, 0);
	ck_assert_uint_eq(move(PX + 400, PX + 600, out), 1);
	ck_assert_uint_eq(out[0].type, FP_EV_ORDER_NEW);
}
END_TEST

/* A quote taken down at max_position stays the quote until its end is reported: the
 * market maker used to forget it as the cancel left, so had the cancel been refused, the
 * order would have rested beside the next quote. */
START_TEST(test_market_maker_keeps_a_quote_being_canceled)
{
	struct fp_strat_spec *s = add(9, "mm", NULL);
	param(s, "symbol=2");
	param(s, "size=200");
	param(s, "skew=0");
	param(s, "max_position=100");
	start();
	struct fp_event out[8];
	ck_assert_uint_eq(move(PX - 100, PX + 100, out), 2);
	uint64_t bid = out[0].u.order.client_order_id, ask = out[1].u.order.client_order_id;
	exec_ev(FP_EV_EXEC_ACCEPTED, 9, 2, bid, 200);
	exec_ev(FP_EV_EXEC_ACCEPTED, 9, 2, ask, 200);
	/* half the bid fills: long 100, at the cap; the rest of the bid is canceled */
	fill(9, 2, bid, FP_SIDE_BUY, 100, PX - 100, 100);
	ck_assert_uint_eq(move(PX - 100, PX + 100, out), 1);
	ck_assert_uint_eq(out[0].type, FP_EV_ORDER_CANCEL);
	ck_assert_uint_eq(out[0].u.order.orig_client_order_id, bid);
	/* back under the cap before the cancel is answered: no new bid beside the old one,
	 * and no second cancel */
	fill(9, 2, ask, FP_SIDE_SELL, 100, PX + 100, 100);
	ck_assert_uint_eq(move(PX - 100, PX + 100, out), 0);
	ck_assert_uint_eq(move(PX - 100, PX + 100, out), 0);
	/* the cancel done: the bid is quoted again */
	exec_ev(FP_EV_EXEC_CANCELED, 9, 2, bid, 0);
	ck_assert_uint_eq(move(PX - 100, PX + 100, out), 1);
	ck_assert_uint_eq(out[0].type, FP_EV_ORDER_NEW);
	ck_assert_uint_eq(out[0].u.order.side, FP_SIDE_BUY);
	ck_assert_int_eq(out[0].u.order.price, PX - 100);
	/* at the cap again; this time the bid's last fill ends it before the cancel does */
	bid = out[0].u.order.client_order_id;
	exec_ev(FP_EV_EXEC_ACCEPTED, 9, 2, bid, 200);
	fill(9, 2, bid, FP_SIDE_BUY, 100, PX - 100, 100);
	ck_assert_uint_eq(move(PX - 100, PX + 100, out), 1);
	ck_assert_uint_eq(out[0].type, FP_EV_ORDER_CANCEL);
	fill(9, 2, bid, FP_SIDE_BUY, 100, PX - 100, 0);  /* long 200 */
	fill(9, 2, ask, FP_SIDE_SELL, 100, PX + 100, 0); /* long 100: at the cap */
	/* the bid is gone (no cancel of it again, no bid at the cap); the ask, filled to the
	 * end, is quoted again */
	ck_assert_uint_eq(move(PX - 100, PX + 100, out), 1);
	ck_assert_uint_eq(out[0].type, FP_EV_ORDER_NEW);
	ck_assert_uint_eq(out[0].u.order.side, FP_SIDE_SELL);
}
END_TEST

START_TEST(test_momentum_entry_and_stop)
{
	struct fp_strat_spec *s = add(9, "momentum", NULL);
	param(s, "symbol=4");
	param(s, "fast=2");
	param(s, "slow=4");
	param(s, "imbalance=0.3");
	param(s, "stop_bps=50");
	param(s, "take_bps=100");
	param(s, "size=10");
	start();
	struct fp_event out[8];
	for (int i = 0; i < 6; i++)
		trade(4, PX + 100 * i);          /* rising: fast above slow */
	top(4, PX - 100, PX + 100, 100, 100, 0); /* balanced: nothing */
	fp_strat_host_poll(H, 64);
	ck_assert_uint_eq(take(out, 8), 0);
	top(4, PX - 100, PX + 100, 300, 100, 0); /* imbalance 0.5 */
	fp_strat_host_poll(H, 64);
	ck_assert_uint_eq(take(out, 8), 1);
	ck_assert_uint_eq(out[0].u.order.side, FP_SIDE_BUY);
	ck_assert_int_eq(out[0].u.order.price, PX + 100);
	ck_assert_uint_eq(out[0].u.order.tif, FP_TIF_IOC);
	fill(9, 4, out[0].u.order.client_order_id, FP_SIDE_BUY, 10, PX + 100, 0);
	top(4, PX - 100, PX + 100, 300, 100, 0); /* mid = entry - 100: -1 bp, no exit */
	fp_strat_host_poll(H, 64);
	ck_assert_uint_eq(take(out, 8), 0);
	top(4, PX + 100 - 5200, PX + 100 - 5000, 100, 100, 0); /* mid = entry - 0.51 % */
	fp_strat_host_poll(H, 64);
	ck_assert_uint_eq(take(out, 8), 1);
	ck_assert_uint_eq(out[0].u.order.side, FP_SIDE_SELL);
	ck_assert_uint_eq(out[0].u.order.shares, 10);
	ck_assert_int_eq(out[0].u.order.price, PX + 100 - 5200);
}
END_TEST

/* A .so strategy declares its parameters too: what it declares starts, anything else (but
 * the host's own "symbol") is refused with the list it takes. */
START_TEST(test_so_strategy_declared_params)
{
	struct fp_strat_spec *s = add(11, "echo", FP_STRAT_ECHO_SO);
	param(s, "size=7");
	param(s, "symbol=5");
	int bad = -1;
	ck_assert_int_eq(fp_strat_params_check(s, &bad), 0);
	start();
	top(5, PX - 1, PX + 1, 1, 1, 0);
	fp_strat_host_poll(H, 64);
	struct fp_event out[2];
	ck_assert_uint_eq(take(out, 2), 1);
	ck_assert_uint_eq(out[0].u.order.shares, 7); /* the declared parameter took effect */
	fp_strat_host_fini(H);
	param(s, "colour=red");
	ck_assert_int_eq(fp_strat_params_check(s, &bad), -EINVAL);
	ck_assert_int_eq(bad, 2);
	ck_assert_int_eq(fp_strat_host_init(H, &C), -EINVAL);
	ck_assert_msg(strstr(fp_err_msg(), "strategy 'echo' has no parameter 'colour' (it takes: "
					   "size)"),
		      "got '%s'", fp_err_msg());
}
END_TEST

START_TEST(test_so_strategy_gets_its_events)
{
	struct fp_strat_spec *s = add(11, "echo", FP_STRAT_ECHO_SO);
	param(s, "size=7");
	s->symbol_id = 5;
	add(12, "ping", NULL);
	C.timer_us = 1;
	start();
	top(5, PX - 1, PX + 1, 1, 1, 0);
	top(6, PX - 1, PX + 1, 1, 1, 0); /* filtered by symbol_id */
	trade(5, PX);
	fp_strat_host_poll(H, 64);
	struct fp_event out[8];
	ck_assert_uint_eq(take(out, 8), 1);
	ck_assert_uint_eq(out[0].u.order.shares, 7);
	ck_assert_uint_eq(out[0].u.order.strategy_id, 11);
	fill(11, 5, out[0].u.order.client_order_id, FP_SIDE_BUY, 7, PX - 1, 0);
	fill(12, 5, 999, FP_SIDE_BUY, 1, PX, 0); /* ping's: not routed to echo */
	fill(13, 5, 998, FP_SIDE_BUY, 1, PX, 0); /* nobody's */
	struct fp_event r = {.type = FP_EV_RISK_REJECT, .symbol_id = 5};
	r.u.reject.strategy_id = 11;
	r.u.reject.reason = 12;
	ck_assert_uint_eq(fp_ring_enqueue_burst(rej, &r, 1), 1);
	usleep(1000);
	fp_strat_host_poll(H, 64);
	const struct echo_state *e = H->slot[0].state;
	ck_assert_uint_eq(e->tops, 1);
	ck_assert_uint_eq(e->trades, 1);
	ck_assert_uint_eq(e->execs, 1);
	ck_assert_int_eq(e->last_position, 7);
	ck_assert_uint_eq(e->rejects, 1);
	ck_assert_uint_eq(e->last_reason, 12);
	ck_assert_uint_ge(e->timers, 1);
	ck_assert_uint_eq(H->stats->unrouted, 1);
}
END_TEST

START_TEST(test_full_intent_ring_loses_nothing)
{
	free(intent);
	intent = ring(4);
	C.intent = intent;
	struct fp_strat_spec *s = add(2, "ping", NULL);
	param(s, "every=1");
	start();
	for (int i = 0; i < 10; i++)
		top(1, PX - 1, PX + 1, 1, 1, 0);
	fp_strat_host_poll(H, 64);
	struct fp_event out[16];
	uint64_t seen = 0, last = 0;
	for (int round = 0; round < 5; round++) {
		unsigned n = take(out, 16);
		for (unsigned i = 0; i < n; i++) {
			ck_assert_uint_gt(out[i].u.order.client_order_id, last); /* in order */
			last = out[i].u.order.client_order_id;
		}
		seen += n;
		fp_strat_host_poll(H, 64);
	}
	ck_assert_uint_eq(seen, 10);
	/* outbox full: the strategy is told (new_order returns 0), nothing is dropped */
	for (int i = 0; i < 300; i++) {
		if (fp_ring_count(md) == fp_ring_capacity(md))
			fp_strat_host_poll(H, 512);
		top(1, PX - 1, PX + 1, 1, 1, 0);
	}
	fp_strat_host_poll(H, 512);
	ck_assert_uint_gt(H->stats->outbox_full, 0);
	uint64_t before = H->stats->intents;
	seen = 0;
	for (int round = 0; round < 200 && (seen < FP_STRAT_OUTBOX + 4); round++) {
		seen += take(out, 16);
		fp_strat_host_poll(H, 0);
	}
	ck_assert_uint_eq(seen + 0, H->stats->intents - before + 4);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_strat_host");
	TCase *tc = tcase_create("host");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_bad_configs_refused);
	tcase_add_test(tc, test_ids_never_repeat_across_restarts);
	tcase_add_test(tc, test_stats_region_counted_in_place_and_checked);
	tcase_add_test(tc, test_replayed_exec_reports_dropped);
	tcase_add_test(tc, test_ping_every_nth_change);
	tcase_add_test(tc, test_market_maker_skew_requote_cap);
	tcase_add_test(tc, test_market_maker_one_replace_in_flight);
	tcase_add_test(tc, test_market_maker_keeps_a_quote_being_canceled);
	tcase_add_test(tc, test_momentum_entry_and_stop);
	tcase_add_test(tc, test_so_strategy_gets_its_events);
	tcase_add_test(tc, test_so_strategy_declared_params);
	tcase_add_test(tc, test_full_intent_ring_loses_nothing);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
