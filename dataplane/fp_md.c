/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_md.c - the md stage (see fp_md.h): rx burst -> MoldUDP64 session (fp_md_mold) ->
 * ITCH 5.0 messages -> fp_md_normalize -> reserved ring slots -> md ring(s).
 *
 * Invariants:
 *  (1) Events of one ring leave in sequence order; a ring with stale_pending first gets
 *      its FP_EV_MD_STALE events, and until they are all pushed every newer event of that
 *      ring is dropped as an overrun too (so the consumer never sees data after a hole
 *      without the STALE before it).
 *  (2) fp_md_poll is bounded (budget packets, FP_MD_DRAIN_MAX buffered messages) and
 *      allocates nothing; the only syscalls are the backend's receive and, while a gap is
 *      open, the request send and the answer receive (tests/dataplane checks this under a
 *      seccomp filter). While not LIVE, the snapshot client's connect, send, recv and poll
 *      are added (cold: books are stale then).
 *  (3) Live versus history (fp_md.h): every event pushed while state != LIVE carries
 *      FP_EVF_REPLAY, and comes after the STALE(RECOVERING or REBUILD) of its ring.
 */
#define _GNU_SOURCE /* recvmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fp_err.h"
#include "fp_itch.h"
#include "fp_md.h"
#include "fp_md_normalize.h"
#include "fp_mold.h"
#include "fp_ring.h"
#include "fp_tsc.h"

/* Buffered messages handed on per poll (invariant 2: every poll is bounded). */
#define FP_MD_DRAIN_MAX 1024

static uint64_t default_clock_ns(void *arg)
{
	(void)arg;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- default retransmission transport: one UDP socket connected to the server ---- */

static int udp_req_send(void *arg, const void *buf, uint32_t len)
{
	struct fp_md *md = arg;
	return send(md->req_fd, buf, len, MSG_DONTWAIT) == (ssize_t)len ? 0 : -errno;
}

static unsigned udp_req_recv(void *arg, struct fp_md_pkt *pkts, unsigned n)
{
	struct fp_md *md = arg;
	unsigned got = 0;
	if (n > FP_ARRAY_SIZE(md->req_buf))
		n = FP_ARRAY_SIZE(md->req_buf);
	while (got < n) {
		ssize_t r =
			recv(md->req_fd, md->req_buf[got], sizeof(md->req_buf[got]), MSG_DONTWAIT);
		if (r <= 0)
			break;
		pkts[got] = (struct fp_md_pkt){.data = md->req_buf[got],
					       .len = (uint32_t)r,
					       .src_addr = md->cfg.rerequest_addr,
					       .src_port = md->cfg.rerequest_port,
					       .t_rx = fp_tsc_now()};
		got++;
	}
	return got;
}

static const struct fp_md_req_ops udp_req_ops = {.send = udp_req_send, .recv = udp_req_recv};

static int open_req_socket(struct fp_md *md)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fp_err_set(-errno, "cannot create the rerequest socket: %s",
				  strerror(errno));
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(md->cfg.rerequest_port),
				 .sin_addr.s_addr = htonl(md->cfg.rerequest_addr)};
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int rc = -errno;
		close(fd);
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &sa.sin_addr, a, sizeof(a));
		return fp_err_set(rc, "cannot reach rerequest server %s:%u: %s", a,
				  md->cfg.rerequest_port, strerror(-rc));
	}
	md->req_fd = fd;
	return 0;
}

/* ---- output: staging, overruns, stale marks ---- */

static void mark_stale(struct fp_md_out *o, uint32_t symbol)
{
	symbol &= FP_MD_SYMBOLS_MAX - 1;
	o->stale_words[symbol / 64] |= 1ull << (symbol % 64);
	o->stale_pending = true;
}

/* Push the STALE events of the marked symbols; false when the ring filled up first. */
static bool push_stale_marks(struct fp_md *md, struct fp_md_out *o)
{
	for (unsigned w = 0; w < FP_ARRAY_SIZE(o->stale_words); w++) {
		while (o->stale_words[w]) {
			unsigned bit = (unsigned)__builtin_ctzll(o->stale_words[w]);
			struct fp_event ev = {.type = FP_EV_MD_STALE,
					      .flags = FP_EVF_STALE,
					      .source = md->cfg.source,
					      .symbol_id = w * 64 + bit,
					      .t_rx = md->last_t_rx};
			ev.u.stale.reason = FP_STALE_OVERRUN;
			if (fp_ring_enqueue_burst(o->ring, &ev, 1) == 0)
				return false;
			o->stale_words[w] &= ~(1ull << bit);
			md->stats->stale_events++;
		}
	}
	o->stale_pending = false;
	return true;
}

/* Make the written part of the window visible to the consumer and drop the rest. */
static void flush_out(struct fp_md *md, struct fp_md_out *o)
{
	if (o->win_used)
		fp_ring_commit(o->ring, o->win_used);
	o->win_used = o->win_n = 0;
	if (fp_unlikely(o->stale_pending))
		push_stale_marks(md, o);
}

void fp_md_flush(struct fp_md *md)
{
	for (unsigned r = 0; r < md->cfg.nb_rings; r++)
		flush_out(md, &md->out[r]);
}

/* Window used up: commit it and reserve the next one; the scratch slot when full (1). */
static FP_NOINLINE struct fp_event *out_slot_slow(struct fp_md *md, struct fp_md_out *o)
{
	flush_out(md, o);
	if (o->stale_pending)
		return &o->scratch; /* (1): newer events wait behind the STALE marks */
	uint32_t n;
	struct fp_event *w = fp_ring_reserve(o->ring, FP_MD_STAGE_MAX, &n);
	if (!w)
		return &o->scratch;
	o->win = w;
	o->win_n = n;
	return w;
}

/* Where the next event of ring @p o goes: a reserved slot, or the scratch slot (full). */
static inline struct fp_event *out_slot(struct fp_md *md, struct fp_md_out *o)
{
	if (fp_likely(o->win_used < o->win_n))
		return &o->win[o->win_used];
	return out_slot_slow(md, o);
}

/* The event written at @p ev is complete: keep it, or count it as an overrun. */
static inline void out_commit(struct fp_md *md, struct fp_md_out *o, struct fp_event *ev)
{
	if (fp_likely(ev != &o->scratch)) {
		o->win_used++;
		return;
	}
	md->stats->overruns++;
	mark_stale(o, ev->symbol_id);
}

/* Every ring gets the gap STALE (symbol 0 = all of this session's symbols). */
static void emit_gap_stale(struct fp_md *md, const struct fp_md_mold_tick *t)
{
	for (unsigned r = 0; r < md->cfg.nb_rings; r++) {
		struct fp_md_out *o = &md->out[r];
		struct fp_event *ev = out_slot(md, o);
		memset(ev, 0, sizeof(*ev));
		ev->type = FP_EV_MD_STALE;
		ev->flags = FP_EVF_STALE;
		ev->source = md->cfg.source;
		ev->seq = t->stale_seq;
		ev->t_rx = md->last_t_rx;
		ev->u.stale.first_missing_seq = t->stale_seq;
		ev->u.stale.nb_missing = t->stale_count;
		ev->u.stale.reason = FP_STALE_GAP;
		if (ev != &o->scratch)
			md->stats->stale_events++;
		out_commit(md, o, ev);
	}
}

/* Directory and trading state go to the segment's symbol table (single writer: us). */
static void symtab_fill(struct fp_md *md, const struct fp_event *ev)
{
	uint16_t locate = (uint16_t)ev->symbol_id;
	if (ev->type == FP_EV_MD_STOCK_DIRECTORY)
		fp_symtab_set_directory(md->cfg.symtab, locate, ev->u.stock_directory.stock,
					ev->u.stock_directory.round_lot_size,
					ev->u.stock_directory.market_category);
	else
		fp_symtab_set_trading_state(md->cfg.symtab, locate,
					    ev->u.trading_action.trading_state);
}

/* One ITCH message -> one event in a reserved slot of its ring. */
static inline void emit_msg(struct fp_md *md, const uint8_t *msg, uint16_t len, uint64_t seq,
			    uint64_t t_rx, uint8_t flags)
{
	struct fp_md_out *o = &md->out[0];
	if (md->cfg.nb_rings > 1 && len >= 3)
		o = &md->out[fp_get_be16(msg + 1) % md->cfg.nb_rings];
	struct fp_event *ev = out_slot(md, o);
	enum fp_itch_result r = fp_md_normalize(msg, len, seq, t_rx, md->cfg.source, ev);
	if (fp_unlikely(r != FP_ITCH_OK)) {
		md->stats->errors++;
		if (r == FP_ITCH_UNKNOWN_TYPE)
			md->stats->unknown++;
		return;
	}
	ev->flags |= flags | md->replay_flags; /* (3) */
	md->stats->messages++;
	md->stats->by_type[(uint8_t)(msg[0] - 'A') & 63]++;
	if (fp_unlikely(ev->type == FP_EV_MD_STOCK_DIRECTORY ||
			ev->type == FP_EV_MD_TRADING_ACTION) &&
	    md->cfg.symtab)
		symtab_fill(md, ev);
	out_commit(md, o, ev);
}

/* ---- live versus history (fp_md.h) ---- */

const char *fp_md_state_name(unsigned state)
{
	static const char *const names[] = {"live", "recovering", "snapshot", "broken"};
	return state < FP_ARRAY_SIZE(names) ? names[state] : "?";
}

/* Every ring gets STALE(symbol 0, @p reason), t_rx 0 (no tick-to-trade from it). */
static void emit_all_stale(struct fp_md *md, uint32_t reason)
{
	for (unsigned r = 0; r < md->cfg.nb_rings; r++) {
		struct fp_md_out *o = &md->out[r];
		struct fp_event *ev = out_slot(md, o);
		memset(ev, 0, sizeof(*ev));
		ev->type = FP_EV_MD_STALE;
		ev->flags = reason == FP_STALE_RECOVERED ? 0 : FP_EVF_STALE;
		ev->source = md->cfg.source;
		ev->seq = md->mold->expected;
		ev->u.stale.first_missing_seq = md->mold->expected;
		ev->u.stale.reason = reason;
		if (ev != &o->scratch)
			md->stats->stale_events++;
		out_commit(md, o, ev);
	}
}

/* The symbol table's stale byte of every symbol (cold: 64 k single-byte stores). */
static void symtab_all_stale(struct fp_md *md, uint8_t reason)
{
	if (!md->cfg.symtab)
		return;
	for (uint32_t l = 1; l < FP_SYMTAB_NB_ENTRIES; l++)
		fp_symtab_set_stale(md->cfg.symtab, (uint16_t)l, reason);
}

/* The session is whole up to the live feed for the first time: every Stock Directory of
 * the session is in the symbol table (the gateway logs in after this, fp_symtab.h). */
static FP_COLD void directory_ready(struct fp_md *md)
{
	md->directory_ready = true;
	if (md->cfg.symtab)
		fp_symtab_set_directory_ready(md->cfg.symtab);
}

static void set_state(struct fp_md *md, unsigned state)
{
	md->state = state;
	md->replay_flags = state == FP_MD_LIVE ? 0 : FP_EVF_REPLAY;
	md->stats->state = state;
	md->stats->transitions++;
}

/* LIVE -> RECOVERING or SNAPSHOT: books stale, and emptied when starting over. */
static FP_COLD void enter_stale(struct fp_md *md, unsigned state, bool rebuild, uint64_t now_ns)
{
	if (md->state == FP_MD_LIVE)
		md->stale_since_ns = now_ns;
	emit_all_stale(md, rebuild ? FP_STALE_REBUILD : FP_STALE_RECOVERING);
	symtab_all_stale(md, FP_STALE_RECOVERING);
	set_state(md, state);
}

/* RECOVERING -> LIVE once caught up: nothing missing, nothing buffered. */
static FP_COLD void check_caught_up(struct fp_md *md, uint64_t now_ns)
{
	if (md->state != FP_MD_RECOVERING || fp_md_mold_gap_open(md->mold) ||
	    fp_md_mold_pending(md->mold))
		return;
	fp_md_flush(md); /* (1): the replayed events leave before the RECOVERED mark */
	emit_all_stale(md, FP_STALE_RECOVERED);
	symtab_all_stale(md, FP_STALE_NONE);
	md->stats->recoveries++;
	md->stats->last_recovery_ns = now_ns - md->stale_since_ns;
	md->stats->last_path = md->stats->snapshots && md->snap.first_ns ? 2 : 1;
	md->snap.first_ns = 0;
	md->stats->live_seq = md->mold->expected;
	set_state(md, FP_MD_LIVE);
	if (!md->directory_ready)
		directory_ready(md);
}

static void snap_close(struct fp_md *md)
{
	if (md->snap.fd >= 0)
		close(md->snap.fd);
	md->snap.fd = -1;
	md->snap.phase = 0;
}

/* Enter SNAPSHOT: hold the session (live packets wait in the buffer), books start over. */
static FP_COLD void start_snapshot(struct fp_md *md, bool for_gap, uint64_t now_ns)
{
	fp_md_mold_hold(md->mold, true);
	md->snap.for_gap = for_gap;
	md->snap.retry_ns = now_ns;
	md->snap.first_ns = now_ns;
	if (for_gap)
		md->stats->snapshot_gaps++;
	enter_stale(md, FP_MD_SNAPSHOT, true, now_ns);
}

static FP_COLD void snap_fail(struct fp_md *md, uint64_t now_ns)
{
	md->stats->snapshot_errors++;
	snap_close(md);
	md->snap.retry_ns = now_ns + 1000000000ull; /* try again in a second */
}

static int snap_connect(struct fp_md *md, uint64_t now_ns)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(md->cfg.snapshot_port),
				 .sin_addr.s_addr = htonl(md->cfg.snapshot_addr)};
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	md->snap.fd = fd;
	md->snap.phase = 1;
	md->snap.t0_ns = now_ns;
	fp_soup_rx_init(&md->snap.rx, FP_SOUP_FROM_SERVER, FP_SOUP_MAX_PAYLOAD);
	return 0;
}

/* The snapshot is complete: the live feed resumes at @p seq (buffered packets first). */
static FP_COLD void snap_done(struct fp_md *md, uint64_t seq, uint64_t now_ns)
{
	snap_close(md);
	md->stats->snapshots++;
	md->stats->snapshot_seq = seq;
	md->stats->last_snapshot_ns = now_ns - md->snap.t0_ns;
	md->delivered = true; /* the books hold the snapshot: a later gap fills in place */
	fp_md_mold_skip_to(md->mold, seq, now_ns);
	fp_md_mold_hold(md->mold, false);
	set_state(md, FP_MD_RECOVERING);
}

/* One poll of the snapshot client: connect, log in, apply up to @p max messages (bounded
 * by the room in the rings, so that a snapshot never overruns them). @return work done. */
static FP_COLD unsigned snap_poll(struct fp_md *md, uint64_t now_ns, unsigned max)
{
	struct fp_md_snap *sn = &md->snap;
	if (sn->phase == 0) {
		if (now_ns < sn->retry_ns)
			return 0;
		if (snap_connect(md, now_ns) < 0)
			snap_fail(md, now_ns);
		return 1;
	}
	if (now_ns - sn->t0_ns > (uint64_t)md->cfg.snapshot_timeout_ms * 1000000u) {
		snap_fail(md, now_ns);
		return 1;
	}
	if (sn->phase == 1) { /* connecting: writable = connected, then send the login */
		struct pollfd pfd = {.fd = sn->fd, .events = POLLOUT};
		int err = 0;
		socklen_t el = sizeof(err);
		if (poll(&pfd, 1, 0) <= 0)
			return 0;
		if (getsockopt(sn->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
			snap_fail(md, now_ns);
			return 1;
		}
		uint8_t login[64];
		size_t n = fp_soup_build_login_request(login, sizeof(login), "", "", "", 1);
		if (send(sn->fd, login, n, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)n) {
			snap_fail(md, now_ns);
			return 1;
		}
		sn->phase = 2;
		return 1;
	}
	unsigned done = 0;
	for (unsigned r = 0; r < md->cfg.nb_rings; r++) { /* room in the fullest ring */
		uint32_t room = fp_ring_capacity(md->out[r].ring) - fp_ring_count(md->out[r].ring);
		room = room > FP_MD_STAGE_MAX * 2 ? room - FP_MD_STAGE_MAX * 2 : 0;
		if (room < max)
			max = room;
	}
	while (done < max) {
		struct fp_soup_pkt pkt;
		enum fp_soup_rc rc = fp_soup_rx_next(&sn->rx, &pkt);
		if (rc == FP_SOUP_NEED_MORE) {
			size_t room;
			uint8_t *sp = fp_soup_rx_space(&sn->rx, &room);
			ssize_t got = recv(sn->fd, sp, room, MSG_DONTWAIT);
			if (got > 0) {
				fp_soup_rx_commit(&sn->rx, (size_t)got);
				continue;
			}
			if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			snap_fail(md, now_ns); /* closed before the snapshot message */
			return done + 1;
		}
		if (rc < 0 || pkt.type == FP_SOUP_LOGIN_REJECTED ||
		    pkt.type == FP_SOUP_END_OF_SESSION) {
			snap_fail(md, now_ns);
			return done + 1;
		}
		if (pkt.type != FP_SOUP_SEQUENCED || pkt.payload_len == 0)
			continue; /* login accepted, heartbeats */
		if (pkt.payload[0] == 'M' && pkt.payload_len == 9) { /* GLIMPSE Snapshot */
			snap_done(md, fp_get_be64(pkt.payload + 1), now_ns);
			return done + 1;
		}
		emit_msg(md, pkt.payload, pkt.payload_len, 0, 0, FP_EVF_REPLAY);
		md->stats->snapshot_msgs++;
		done++;
	}
	return done;
}

/* The first packet of a line: beyond first_seq (or a restart) means a running session. */
static FP_COLD void on_first_packet(struct fp_md *md, const struct fp_mold_pkt *mp, uint64_t now_ns)
{
	md->joined = true;
	uint64_t from = md->mold->seq_known ? md->mold->expected : 1;
	if (mp->sequence_number <= from || md->cfg.mold.passthrough)
		return;
	md->stats->late_joins++;
	if (md->cfg.snapshot_port) {
		fp_md_mold_skip_to(md->mold, mp->sequence_number, now_ns);
		start_snapshot(md, false, now_ns);
	} /* else the gap from first_seq opens in the session and is requested */
}

void fp_md_on_datagram(struct fp_md *md, const struct fp_md_pkt *pkt, uint8_t line, uint64_t now_ns)
{
	struct fp_md_mold_pkt mp = {.line = line, .t_rx = pkt->t_rx};
	md->stats->packets++;
	md->last_t_rx = pkt->t_rx;
	if (fp_unlikely(fp_mold_parse(pkt->data, pkt->len, &mp.mold) == FP_MOLD_SHORT)) {
		md->stats->errors++;
		return;
	}
	if (fp_unlikely(!md->joined) && line != FP_MD_MOLD_LINE_RETRANS)
		on_first_packet(md, &mp.mold, now_ns);
	uint32_t skip = 0;
	enum fp_md_mold_action act = fp_md_mold_on_packet(md->mold, &mp, now_ns, &skip);
	if (fp_unlikely(act != FP_MD_MOLD_DELIVER) && md->state == FP_MD_LIVE &&
	    fp_md_mold_gap_open(md->mold)) /* (3): stale before anything after the hole */
		enter_stale(md, FP_MD_RECOVERING, !md->delivered, now_ns);
	if (fp_likely(act == FP_MD_MOLD_DELIVER)) {
		uint8_t flags = line == FP_MD_MOLD_LINE_RETRANS ? FP_EVF_REPLAY : 0;
		struct fp_mold_iter it;
		const uint8_t *msg;
		uint16_t len;
		uint64_t seq;
		enum fp_mold_result r;
		fp_mold_iter_init(&it, &mp.mold);
		while ((r = fp_mold_iter_next(&it, &msg, &len, &seq)) == FP_MOLD_OK) {
			if (fp_unlikely(skip)) {
				skip--;
				continue;
			}
			emit_msg(md, msg, len, seq, pkt->t_rx, flags);
		}
		md->delivered = true;
		if (fp_unlikely(r != FP_MOLD_END))
			md->stats->errors++;
		/* In sequence from the session's first message and live: the directory is whole. */
		if (fp_unlikely(!md->directory_ready) && md->state == FP_MD_LIVE)
			directory_ready(md);
	}
}

/* Buffered messages that became in order (after a recovery or a stale timeout), at most
 * @p max per call so that one poll stays bounded and a ring is not flooded at once. */
static unsigned drain_pending(struct fp_md *md, uint64_t now_ns, unsigned max)
{
	struct fp_md_mold_msg m;
	unsigned n = 0;
	while (n < max && fp_md_mold_next(md->mold, &m, now_ns)) {
		emit_msg(md, m.data, m.len, m.seq, m.t_rx,
			 m.line == FP_MD_MOLD_LINE_RETRANS ? FP_EVF_REPLAY : 0);
		n++;
	}
	if (n)
		md->delivered = true;
	return n;
}

/* Gap timers: request the head hole (rate-limited), give up after the timeout. */
static void run_timers(struct fp_md *md, uint64_t now_ns)
{
	struct fp_md_mold_tick t;
	unsigned what = fp_md_mold_tick(md->mold, now_ns, &t);
	if (what & FP_MD_MOLD_TICK_REQUEST && md->cfg.req) {
		uint8_t buf[FP_MOLD_REQUEST_LEN];
		fp_mold_request_build(buf, md->mold->session, t.request_seq, t.request_count);
		if (md->cfg.req->send(md->cfg.req_arg, buf, sizeof(buf)) == 0)
			md->stats->requests_sent++;
		else
			md->stats->request_errors++;
	}
	if (what & FP_MD_MOLD_TICK_STALE) {
		if (md->cfg.snapshot_port) { /* older than the history: a snapshot instead */
			start_snapshot(md, true, now_ns);
			return;
		}
		emit_gap_stale(md, &t); /* the buffered rest follows through drain_pending() */
		symtab_all_stale(md, FP_STALE_GAP);
		set_state(md, FP_MD_BROKEN); /* data lost for good: books stay stale */
	}
}

static void copy_summary(struct fp_md *md)
{
	struct fp_md_stats *s = md->stats;
	s->gaps = s->mold.gaps;
	s->missing = s->mold.missing;
	s->duplicates = s->mold.duplicates;
	for (unsigned l = 0; l < md->cfg.nb_lines; l++)
		s->rx[l] = *fp_md_rx_stats(md->rx[l]);
}

unsigned fp_md_poll(struct fp_md *md, unsigned budget)
{
	struct fp_md_pkt pkts[FP_MD_RX_BURST_MAX];
	unsigned done = 0;
	uint64_t now_ns = md->cfg.clock_ns(md->cfg.clock_arg);
	for (unsigned k = 0; k < md->cfg.nb_lines && done < budget; k++) {
		unsigned l = md->next_line;
		md->next_line = (l + 1 == md->cfg.nb_lines) ? 0 : l + 1;
		unsigned want = budget - done;
		if (want > FP_MD_RX_BURST_MAX)
			want = FP_MD_RX_BURST_MAX;
		unsigned n = fp_md_rx_burst(md->rx[l], pkts, want);
		for (unsigned i = 0; i < n; i++)
			fp_md_on_datagram(md, &pkts[i], (uint8_t)l, now_ns);
		done += n;
	}
	if (fp_unlikely(md->state == FP_MD_SNAPSHOT))
		done += snap_poll(md, now_ns, FP_MD_DRAIN_MAX);
	if (fp_unlikely(fp_md_mold_gap_open(md->mold) || fp_md_mold_pending(md->mold)) &&
	    md->state != FP_MD_SNAPSHOT) {
		if (md->cfg.req) {
			unsigned n = md->cfg.req->recv(md->cfg.req_arg, pkts, FP_MD_RX_BURST_MAX);
			for (unsigned i = 0; i < n; i++)
				fp_md_on_datagram(md, &pkts[i], FP_MD_MOLD_LINE_RETRANS, now_ns);
			done += n;
		}
		run_timers(md, now_ns);
		done += drain_pending(md, now_ns, FP_MD_DRAIN_MAX);
	}
	if (fp_unlikely(md->state == FP_MD_RECOVERING))
		check_caught_up(md, now_ns);
	fp_md_flush(md);
	copy_summary(md);
	return done;
}

bool fp_md_eof(const struct fp_md *md)
{
	for (unsigned l = 0; l < md->cfg.nb_lines; l++)
		if (!fp_md_rx_eof(md->rx[l]))
			return false;
	for (unsigned r = 0; r < md->cfg.nb_rings; r++)
		if (md->out[r].win_used || md->out[r].stale_pending)
			return false;
	return true;
}

int fp_md_init(struct fp_md *md, const struct fp_md_cfg *cfg)
{
	memset(md, 0, sizeof(*md));
	md->req_fd = -1;
	md->snap.fd = -1;
	if (cfg->nb_lines < 1 || cfg->nb_lines > FP_MD_LINES_MAX)
		return fp_err_set(-EINVAL, "md: %u lines configured; 1 (A) or 2 (A and B) needed",
				  cfg->nb_lines);
	if (cfg->nb_rings < 1 || cfg->nb_rings > FP_MD_RINGS_MAX)
		return fp_err_set(-EINVAL, "md: %u rings configured; 1 to %u needed", cfg->nb_rings,
				  FP_MD_RINGS_MAX);
	for (unsigned r = 0; r < cfg->nb_rings; r++)
		if (!cfg->rings[r])
			return fp_err_set(-EINVAL, "md: ring %u is NULL", r);
	md->cfg = *cfg;
	if (!md->cfg.clock_ns)
		md->cfg.clock_ns = default_clock_ns;
	md->stats = cfg->stats ? cfg->stats : &md->own_stats;
	memset(md->stats, 0, sizeof(*md->stats));
	md->stats->magic = FP_MD_STATS_MAGIC;
	md->stats->version = FP_MD_STATS_VERSION;
	md->stats->state = FP_MD_LIVE;
	int rc;
	md->out = aligned_alloc(64, FP_ALIGN_UP(sizeof(*md->out) * cfg->nb_rings, 64));
	md->mold = aligned_alloc(64, FP_ALIGN_UP(fp_md_mold_memsize(cfg->mold.window), 64));
	if (!md->out || !md->mold) {
		rc = fp_err_set(-ENOMEM, "md: no memory for the session and staging buffers");
		goto err;
	}
	memset(md->out, 0, sizeof(*md->out) * cfg->nb_rings);
	for (unsigned r = 0; r < cfg->nb_rings; r++)
		md->out[r].ring = cfg->rings[r];
	if ((rc = fp_md_mold_init(md->mold, &cfg->mold)) < 0) {
		fp_err_append(rc, "md: MoldUDP64 session");
		goto err;
	}
	fp_md_mold_set_stats(md->mold, &md->stats->mold);
	if (!cfg->req && cfg->rerequest_addr) {
		if ((rc = open_req_socket(md)) < 0)
			goto err;
		md->cfg.req = &udp_req_ops;
		md->cfg.req_arg = md;
	}
	for (unsigned l = 0; l < cfg->nb_lines; l++)
		if ((rc = fp_md_rx_open(&md->rx[l], &cfg->lines[l])) < 0) {
			fp_err_append(rc, "md: line %c", 'A' + l);
			goto err;
		}
	/* Touch the staging and the buffer now: no page fault in the hot loop. */
	memset(md->mold->slots, 0xff, (size_t)cfg->mold.window * sizeof(md->mold->slots[0]));
	return 0;
err:
	fp_md_fini(md);
	return rc;
}

void fp_md_fini(struct fp_md *md)
{
	if (!md)
		return;
	for (unsigned l = 0; l < FP_MD_LINES_MAX; l++) {
		fp_md_rx_close(md->rx[l]);
		md->rx[l] = NULL;
	}
	if (md->req_fd >= 0)
		close(md->req_fd);
	md->req_fd = -1;
	snap_close(md);
	free(md->out);
	free(md->mold);
	md->out = NULL;
	md->mold = NULL;
}
