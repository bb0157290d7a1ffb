/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_gw_fix.c - libFuzzer target for the gateway's FIX 4.4 session layer
 * (gateway/fp_gw_fix.c): arbitrary inbound byte streams through the real session state
 * machine and order table (fp_gw.c, fp_gw_order.c, fp_gw_fix.c) over a fake transport.
 *
 * The fake transport replaces gateway/fp_gw_sess.c (same functions, fp_gw_pvt.h): connect
 * succeeds at once, what the gateway sends is parsed and checked here, what it receives
 * comes from the input, and the input's end (or a cut) is the venue's EOF. No socket, no
 * TLS (fp_gw_tls.c is linked for its symbols, tls = "off"). What a drop does to the
 * session, the notices and the last error are the real ones (fp_gw_venue.c).
 *
 * Input: byte 0 = flags, byte 1 = read size (0: whatever is queued; else 1..255 bytes per
 * recv, so messages arrive split anywhere), then the venue's side:
 *   flags bit 0  raw: the rest is the byte stream as is (framing, BodyLength, CheckSum);
 *                else a script, one line per venue message: its body with '|' for SOH
 *                ("35=8|34=2|49=FPSIM|56=FPST|...|"), which the harness frames with
 *                BeginString, BodyLength and CheckSum, so that the fuzzer spends its time
 *                on the session rules, not on checksums; two lines are special:
 *                  "!"  the venue drops the connection here (the gateway reconnects and
 *                       logs on again: the resend on logon);
 *                  "+"  the strategy sends orders now: two new orders, a cancel of the
 *                       first and a replace of the second (ClOrdIDs 1, 2, 3; 1.<seq>).
 *   flags bit 1  the gateway logs on with ResetSeqNumFlag (141=Y).
 *
 * Properties (abort, so that libFuzzer keeps the input):
 *   - no crash, no out-of-bounds, no undefined behaviour (ASan, UBSan);
 *   - every message the gateway sends frames and parses (BodyLength, CheckSum), names our
 *     CompIDs, a connection's first is a Logon and nothing follows its Logout;
 *   - outbound MsgSeqNums rise by one (from 1 after a Logon with 141=Y), except a
 *     SequenceReset-GapFill answering a ResendRequest, which has PossDupFlag=Y, its
 *     MsgSeqNum below the next one and NewSeqNo above its own;
 *   - the inbound sequence (next expected MsgSeqNum) never goes backwards except at a
 *     Logon with ResetSeqNumFlag;
 *   - a NewOrderSingle's ClOrdID is never sent twice on one connection, unless our
 *     SequenceReset-GapFill covered its last sending (the venue discards what a gap fill
 *     covers, so the order is entered again: once per gap fill, never twice for one);
 *   - a session the gateway ends itself (garbled message, CompID problem, MsgSeqNum too
 *     low without PossDupFlag, ...) ends with our Logout;
 *   - the fills of an order never exceed its quantity; the exec rings carry only
 *     execution reports and control events.
 * Seeds: tests/fix/fix_seeds.sh (real FIX 4.4 session scripts: Logon, fills, resends,
 * gap fills, resets, rejects, logout), written at build time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fp_event.h"
#include "fp_fix.h"
#include "fp_gw_pvt.h"
#include "fp_ring.h"
#include "fp_soup.h"
#include "fp_symtab.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SENDER "FPST"
#define TARGET "FPSIM"
#define RXQ    (1 << 17)

/* ---- the fake transport (what gateway/fp_gw_sess.c does over a socket) ---- */

static struct {
	uint8_t q[RXQ]; /* venue bytes not yet read by the gateway */
	size_t q_len, q_off;
	bool eof;         /* the venue closes once the queue is read */
	unsigned rd_size; /* bytes per recv (0: all) */
	/* what the gateway sent on this connection */
	unsigned nb_out;
	bool logout_out;
	uint64_t out_next;   /* next outbound MsgSeqNum expected (0: not known yet) */
	uint64_t ids[64];    /* ClOrdIDs of the NewOrderSingles on this connection */
	uint64_t id_seq[64]; /* the MsgSeqNum each was sent with (0: our gap fill covered it) */
	unsigned nb_ids;
	uint64_t errors_at_connect; /* gw.nb_errors when this connection started */
	bool reset;                 /* we log on with ResetSeqNumFlag */
	bool ordered;               /* "+" done (once per input: ClOrdIDs stay unique) */
} t;

int fp_gw_tx(struct fp_gw *gw, const uint8_t *b, size_t n)
{
	gw->last_tx_ns = gw->now_ns;
	if (gw->fd < 0)
		return -1;
	struct fp_fix_msg m;
	CHECK(fp_fix_parse(b, n, &m) == FP_FIX_OK && m.len == n); /* one whole message */
	size_t l;
	const char *s = fp_fix_get_str(&m, FP_FIX_TAG_SENDER_COMP_ID, &l);
	CHECK(s && l == strlen(SENDER) && !memcmp(s, SENDER, l));
	s = fp_fix_get_str(&m, FP_FIX_TAG_TARGET_COMP_ID, &l);
	CHECK(s && l == strlen(TARGET) && !memcmp(s, TARGET, l));
	CHECK(!t.logout_out);                            /* nothing after our Logout */
	CHECK(t.nb_out > 0 || !strcmp(m.msg_type, "A")); /* a connection starts with a Logon */
	t.nb_out++;
	bool gap_fill = !strcmp(m.msg_type, "4") && m.poss_dup;
	if (gap_fill) { /* an answer to a ResendRequest: numbered where the gap starts */
		uint64_t new_seq = 0;
		CHECK(fp_fix_get_u64(&m, FP_FIX_TAG_NEW_SEQ_NO, &new_seq) == 0);
		CHECK(new_seq > m.seq_num && m.seq_num < t.out_next);
		CHECK(fp_fix_find(&m, FP_FIX_TAG_ORIG_SENDING_TIME) != NULL);
		for (unsigned i = 0; i < t.nb_ids; i++) /* the venue discards what it covers */
			if (t.id_seq[i] >= m.seq_num && t.id_seq[i] < new_seq)
				t.id_seq[i] = 0;
	} else {
		s = fp_fix_get_str(&m, FP_FIX_TAG_RESET_SEQ_NUM_FLAG, &l);
		if (!strcmp(m.msg_type, "A") && s && l == 1 && s[0] == 'Y')
			CHECK(m.seq_num == 1);
		else if (t.out_next)
			CHECK(m.seq_num == t.out_next);
		t.out_next = m.seq_num + 1;
	}
	if (!strcmp(m.msg_type, "5"))
		t.logout_out = true;
	if (!strcmp(m.msg_type, "D")) {
		s = fp_fix_get_str(&m, FP_FIX_TAG_CL_ORD_ID, &l);
		CHECK(s != NULL);
		uint64_t id = fp_gw_clordid_get(s, l);
		for (unsigned i = 0; i < t.nb_ids; i++) /* no order sent twice, unless the */
			CHECK(t.ids[i] != id || t.id_seq[i] == 0); /* gap fill withdrew it */
		if (t.nb_ids < 64) {
			t.ids[t.nb_ids] = id;
			t.id_seq[t.nb_ids++] = m.seq_num;
		}
	}
	return 0;
}

void fp_gw_tx_flush(struct fp_gw *gw)
{
	(void)gw;
}

void fp_gw_session_drop(struct fp_gw *gw)
{
	/* A session the gateway ended itself ends with its Logout (Volume 2). */
	if (gw->fd >= 0 && gw->state >= FP_GW_LOGGING_IN && gw->nb_errors != t.errors_at_connect &&
	    !strncmp(gw->last_error, "FIX session ended", 17))
		CHECK(t.logout_out);
	if (gw->fd >= 0)
		close(gw->fd);
	gw->fd = -1;
	fp_gw_session_down(gw); /* the real one (fp_gw_venue.c) */
	gw->retry_at_ns = 0;    /* reconnect on the next poll */
}

void fp_gw_session_connect(struct fp_gw *gw)
{
	gw->st->nb_connects++;
	gw->fd = open("/dev/null", O_RDONLY | O_CLOEXEC); /* a descriptor to hold, no socket */
	CHECK(gw->fd >= 0);
	t.nb_out = 0;
	t.logout_out = false;
	t.nb_ids = 0;
	t.eof = false;
	t.errors_at_connect = gw->nb_errors;
	gw->last_rx_ns = gw->now_ns;
	gw->proto->login(gw);
}

void fp_gw_session_connecting(struct fp_gw *gw)
{
	(void)gw; /* connect is immediate here */
}

size_t fp_gw_rx(struct fp_gw *gw, uint8_t *buf, size_t room)
{
	size_t n = t.q_len - t.q_off;
	if (n == 0) {
		if (t.eof)
			fp_gw_session_drop(gw); /* the venue closed */
		return 0;
	}
	if (t.rd_size && n > t.rd_size)
		n = t.rd_size;
	if (n > room)
		n = room;
	memcpy(buf, t.q + t.q_off, n);
	t.q_off += n;
	gw->last_rx_ns = gw->now_ns;
	return n;
}

/* ---- the harness ---- */

static struct fp_ring *rings[3]; /* orders, execs, journal */
static struct fp_symtab *symtab;
static struct fp_gw gw;
static uint32_t fill_max[8], filled[8]; /* by client_order_id (1..7) */

static struct fp_ring *ring(uint32_t cap, const char *name)
{
	struct fp_ring *r = aligned_alloc(64, (fp_ring_memsize(cap) + 63) & ~(size_t)63);
	CHECK(r != NULL && fp_ring_init(r, cap, name) == 0);
	return r;
}

static void setup(void)
{
	rings[0] = ring(256, "order");
	rings[1] = ring(4096, "exec");
	rings[2] = ring(4096, "journal");
	symtab = aligned_alloc(64, (sizeof(*symtab) + 63) & ~(size_t)63);
	CHECK(symtab != NULL);
	fp_symtab_init(symtab);
	fp_symtab_set_directory(symtab, 1, "AAPL    ", 100, 'Q');
	fp_symtab_set_directory(symtab, 2, "MSFT    ", 100, 'Q');
}

/* Drain the rings the gateway writes; the exec ring carries reports and controls only,
 * and no order is filled beyond its quantity. */
static void drain(void)
{
	uint32_t nb;
	const struct fp_event *ev = fp_ring_peek(rings[1], 4096, &nb);
	for (uint32_t i = 0; i < nb; i++) {
		CHECK(ev[i].type == FP_EV_CONTROL || ev[i].type >= FP_EV_EXEC_ACCEPTED);
		uint64_t id = ev[i].u.exec.client_order_id;
		if (ev[i].type == FP_EV_EXEC_FILL && id < 8 && fill_max[id]) {
			filled[id] += ev[i].u.exec.shares;
			CHECK(filled[id] <= fill_max[id]);
		}
	}
	fp_ring_release(rings[1], nb);
	ev = fp_ring_peek(rings[2], 4096, &nb);
	fp_ring_release(rings[2], nb);
}

static void poll_once(void)
{
	uint64_t before = gw.st->next_seq;
	uint8_t state = gw.state;
	fp_gw_poll(&gw, 64);
	/* The inbound sequence goes back only at a Logon with ResetSeqNumFlag: the venue's
	 * (read while logging in) or ours (sent when the poll connected). */
	CHECK(gw.st->next_seq >= before || state == FP_GW_LOGGING_IN ||
	      (state == FP_GW_DOWN && t.reset));
	drain();
}

/* Poll until the queued bytes are read and applied, or the session is gone. */
static void settle(void)
{
	for (unsigned i = 0; i < 4096 && gw.fd >= 0; i++) {
		size_t left = t.q_len - t.q_off;
		poll_once();
		if (left == 0 && t.q_len - t.q_off == 0 && !t.eof)
			break;
	}
}

static void queue(const uint8_t *b, size_t n)
{
	if (t.q_off == t.q_len)
		t.q_off = t.q_len = 0;
	if (n > RXQ - t.q_len)
		n = RXQ - t.q_len;
	memcpy(t.q + t.q_len, b, n);
	t.q_len += n;
}

/* One script line (a message body, '|' for SOH) framed as the venue would send it. */
static void queue_framed(const uint8_t *line, size_t n)
{
	static uint8_t msg[8192];
	if (n > 4000)
		n = 4000;
	char head[32];
	int h = snprintf(head, sizeof(head), "8=FIX.4.4\0019=%zu\001", n);
	memcpy(msg, head, (size_t)h);
	for (size_t i = 0; i < n; i++)
		msg[h + i] = line[i] == '|' ? FP_FIX_SOH : line[i];
	unsigned sum = 0;
	for (size_t i = 0; i < (size_t)h + n; i++)
		sum += msg[i];
	int k = snprintf((char *)msg + h + n, 16, "10=%03u\001", sum % 256);
	queue(msg, (size_t)h + n + (size_t)k);
}

static void order(uint8_t type, uint64_t id, uint64_t orig, uint32_t sym, uint8_t side,
		  uint32_t qty)
{
	struct fp_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.symbol_id = sym;
	ev.t_rx = 1;
	ev.u.order.client_order_id = id;
	ev.u.order.orig_client_order_id = orig;
	ev.u.order.price = 1500000;
	ev.u.order.shares = qty;
	ev.u.order.side = side;
	ev.u.order.tif = FP_TIF_DAY;
	ev.u.order.strategy_id = 7;
	fp_ring_enqueue_burst(rings[0], &ev, 1);
	if (id && id < 8)
		fill_max[id] = qty;
}

/* "+": the strategy's orders. The replace's new leg (3) may fill up to its total. */
static void orders(void)
{
	if (t.ordered)
		return; /* once per input: ClOrdIDs stay unique */
	t.ordered = true;
	order(FP_EV_ORDER_NEW, 1, 0, 1, FP_SIDE_BUY, 100);
	order(FP_EV_ORDER_NEW, 2, 0, 2, FP_SIDE_SELL, 100);
	poll_once();
	order(FP_EV_ORDER_CANCEL, 0, 1, 1, FP_SIDE_BUY, 0);
	order(FP_EV_ORDER_REPLACE, 3, 2, 2, FP_SIDE_SELL, 150);
	fill_max[2] = 150; /* the old leg's fills count under the chain's total */
	poll_once();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	if (!symtab)
		setup();
	memset(&t, 0, sizeof(t));
	memset(fill_max, 0, sizeof(fill_max));
	memset(filled, 0, sizeof(filled));
	t.rd_size = data[1];
	t.reset = (data[0] & 2) != 0;
	struct fp_gw_cfg cfg = {
		.port = 1, /* never dialed: the fake transport connects at once */
		.order_ring = rings[0],
		.exec_ring = rings[1],
		.journal_ring = rings[2],
		.symtab = symtab,
		.max_orders = 64,
		.heartbeat_ms = 30000,
		.timeout_ms = 60000,
		.backoff_min_ms = 1,
		.backoff_max_ms = 1,
		.rx_interval_us = -1,
		.protocol = FP_GW_PROTO_FIX44,
		.tls = FP_GW_TLS_OFF,
		.fix_reset_on_logon = (data[0] & 2) != 0,
	};
	strcpy(cfg.username, "fpuser");
	strcpy(cfg.password, "fppass");
	strcpy(cfg.sender_comp_id, SENDER);
	strcpy(cfg.target_comp_id, TARGET);
	CHECK(fp_gw_init(&gw, &cfg) == 0);
	poll_once(); /* connect + Logon */
	const uint8_t *p = data + 2, *end = data + size;
	if (data[0] & 1) {
		queue(p, (size_t)(end - p));
	} else {
		while (p < end) {
			const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = (size_t)((nl ? nl : end) - p);
			if (n == 1 && p[0] == '!') { /* the venue drops the connection */
				t.eof = true;
				settle();
				for (unsigned i = 0; i < 4 && gw.fd < 0; i++)
					poll_once(); /* reconnect + Logon */
			} else if (n == 1 && p[0] == '+') {
				orders();
			} else if (n > 0) {
				queue_framed(p, n);
				settle();
			}
			p += n + (nl != NULL);
		}
	}
	t.eof = true;
	settle();
	fp_gw_fini(&gw);
	drain();
	uint32_t nb;
	fp_ring_peek(rings[0], 256, &nb); /* orders the gateway never took */
	fp_ring_release(rings[0], nb);
	return 0;
}
