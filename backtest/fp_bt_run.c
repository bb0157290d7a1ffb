/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_bt_run.c - the backtest engine (fp_bt.h): the stages of `fastpath run`, wired with
 * private rings in one thread, fed by the recording, in recording time.
 *
 * Each recorded message at exchange time T (ITCH timestamp; several files = several days,
 * day d adds d x 86400 s) goes through, in this order:
 *   1. every pending event due before T happens, in time order, with the clock set to its
 *      time: an order reaching the venue (fp_bt_venue_order), or a venue report reaching
 *      our stages (exec rings; then strategies and risk are polled, as live);
 *   2. the venue sees the message (queue position) before the book applies it;
 *   3. fp_md_normalize() turns it into an event (t_rx = T + feed latency) on the md ring;
 *   4. the clock becomes T + feed latency; book, strategy host and risk are polled in the
 *      pipeline's order (design.md §2); the orders risk passed are journaled (as the gateway
 *      does) and scheduled at the venue at clock + order-entry latency (one session: FIFO,
 *      so a later order never overtakes an earlier one); venue reports reach the stages at
 *      their venue time + response latency (FIFO likewise).
 * Strategy timers and risk's rate limits, stale checks and cooldowns read the same clock
 * (fp_strat_host_cfg.clock, fp_risk_cfg.clock). A timer round due between two events fires
 * at its own time (the clock set to it), within a trading day.
 *
 * The close of each day (file): the first system event 'M' (end of market hours) or 'C'
 * (end of messages, before the book clears), else the file's last message. backtest.close =
 * "carry" keeps positions and orders open into the next file; "flatten" cancels our open
 * orders and sends, for every open position, an IOC through risk (from the strategy's id)
 * priced to take enough of the recorded book, then lets everything in flight settle; the
 * strategies are not polled during the close (the market is closed to them) and see its
 * reports at the next day's first message. Either way the close journals a position snapshot
 * of every report line (positions_eod).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "fp_book_stage.h"
#include "fp_bt.h"
#include "fp_bt_lat.h"
#include "fp_bt_venue.h"
#include "fp_cfg.h"
#include "fp_compiler.h"
#include "fp_ctl_md.h"
#include "fp_ctl_stage.h"
#include "fp_err.h"
#include "fp_itch.h"
#include "fp_journal.h"
#include "fp_md_normalize.h"
#include "fp_order_id.h"
#include "fp_pcap.h"
#include "fp_risk.h"
#include "fp_store_journal.h"
#include "fp_strat.h"

#define NS_PER_DAY     86400000000000ull
#define NS_PER_MIN     60000000000ull
#define PENDING_MAX    65536u /* orders in flight to the venue, reports in flight back */
#define RING_SMALL     4096u
#define SYMBOLS_MAX    65536u
/* Sequence numbers of the close's orders (per strategy id): far above any host sequence. */
#define CLOSE_SEQ_BASE (1ull << 47)

/* A FIFO of timed events (orders to the venue, reports back). */
struct timed {
	struct fp_event ev;
	uint64_t t;
	uint64_t t_decide, t_arrive; /* a fill's order: decision, last place in the queue */
	int64_t arrival_mid2;        /* a fill's order: mid x 2 at arrival */
	uint64_t pad[4];
};
struct fifo {
	struct timed *a;
	uint32_t head, tail; /* free-running; tail - head = count */
	uint64_t last_t;     /* FIFO: a later entry never becomes due before an earlier one */
};

enum {
	R_MD,
	R_TAP,
	R_TOP,
	R_TOP_RISK,
	R_INTENT,
	R_ORDER,
	R_EXEC_RISK,
	R_EXEC_STRAT,
	R_REJECT,
	R_JRNL,
	R_NB
};

struct bt {
	const struct fp_bt_opts *o;
	struct fp_bt_result *res;
	struct fp_cfg *cfg;
	struct fp_ring *ring[R_NB];
	struct fp_book book;
	struct fp_strat_host host;
	struct fp_risk risk;
	struct fp_risk_limits limits;
	struct fp_bt_venue venue;
	struct fp_bt_lat lat[FP_BT_LAT_NB];
	struct fifo to_venue, to_us;
	uint64_t clock;    /* the stages' clock: feed ns, day * NS_PER_DAY + ns of day */
	uint64_t day_base; /* NS_PER_DAY x file index */
	uint64_t last_ts;  /* last exchange time seen (monotonic) */
	uint64_t next_minute, next_second;
	int trading; /* past --from */
	int stop;
	int flatten;           /* backtest.close = "flatten" (else "carry") */
	int day_open;          /* the file in progress has replayed a message */
	int closed;            /* the file in progress had its close */
	int closing;           /* the close runs: strategies are not polled */
	uint64_t day_epoch_ns; /* midnight of the file's day, ns since the epoch */
	uint64_t close_seq;
	int64_t fee_maker, fee_taker; /* Price(4) units per share (negative = rebate) */
	char lat_buf[1024];           /* the latency spec with --set overrides */
	uint32_t nb_symbols;
	char (*stock)[9]; /* names from the stock directory */
	int64_t *mark2;   /* per symbol: bid + ask of the last two-sided, uncrossed top */
	/* data file in progress, for positions and progress */
	const char *path;
	size_t file_len;
	uint64_t file_bad; /* bad messages the walker handed over in this file */
	uint64_t last_end; /* offset just past the last message handed over */
	uint64_t expect_seq[FP_CTL_MD_MAX_SESSIONS];
	char sessions[FP_CTL_MD_MAX_SESSIONS][FP_MOLD_SESSION_LEN];
	unsigned nb_sessions, last_session;
	/* journal */
	int jrnl_ready;         /* opened for the file in progress */
	uint32_t file_day;      /* YYYYMMDD of the file in progress when the data has no date */
	uint64_t file_start_ns; /* its first message, ns since the epoch (store start record) */
	struct fp_store_journal *jrnl;
	char jdir[512];
	uint32_t jday;
	char instance[32];
	unsigned nb_jfiles;
	char jfiles[8][600];
	/* progress */
	struct timespec t0, last_progress;
	uint64_t total_bytes, done_bytes;
	FILE *fills_csv, *equity_csv;
};

/* ---- clock hooks of the stages ---- */

static uint64_t bt_clock(void *arg)
{
	return ((const struct bt *)arg)->clock;
}

/* ---- small helpers ---- */

static struct fp_ring *ring_new(uint32_t cap, const char *name)
{
	struct fp_ring *r = aligned_alloc(64, fp_ring_memsize(cap));
	if (r && fp_ring_init(r, cap, name) < 0) {
		free(r);
		return NULL;
	}
	return r;
}

static int fifo_init(struct fifo *f)
{
	memset(f, 0, sizeof(*f));
	f->a = aligned_alloc(64, sizeof(*f->a) * PENDING_MAX);
	return f->a ? 0 : -ENOMEM;
}

static uint32_t fifo_count(const struct fifo *f)
{
	return f->tail - f->head;
}

static int fifo_push(struct fifo *f, uint64_t t, const struct fp_event *ev,
		     const struct fp_bt_vorder *o)
{
	if (fifo_count(f) == PENDING_MAX)
		return -ENOSPC;
	if (t < f->last_t)
		t = f->last_t;
	f->last_t = t;
	struct timed *e = &f->a[f->tail++ & (PENDING_MAX - 1)];
	e->t = t;
	e->ev = *ev;
	e->t_decide = o ? o->t_decide : 0;
	e->t_arrive = o ? o->t_arrive : 0;
	e->arrival_mid2 = o ? o->arrival_mid : 0;
	return 0;
}

static const struct timed *fifo_front(const struct fifo *f)
{
	return fifo_count(f) ? &f->a[f->head & (PENDING_MAX - 1)] : NULL;
}

static double elapsed_s(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) * 1e-9;
}

static void bad(struct bt *b, uint64_t *counter, uint64_t offset, const char *what)
{
	(*counter)++;
	if (!b->res->bad.first[0])
		snprintf(b->res->bad.first, sizeof(b->res->bad.first), "%s:%" PRIu64 ": %s",
			 b->path, offset, what);
	if (b->o->strict)
		b->stop = 1, b->res->stopped_strict = 1;
}

/* ---- journal ---- */

static int jrnl_put(struct bt *b, uint16_t src, const struct fp_event *ev)
{
	if (!b->jrnl)
		return 0;
	b->res->journal_records++;
	return fp_store_journal_append_flags(b->jrnl, ev->type, src, ev, sizeof(*ev));
}

static int jrnl_open(struct bt *b, uint32_t day)
{
	if (b->o->no_journal || (b->jrnl && day == b->jday))
		return 0;
	if (b->jrnl) {
		int rc = fp_store_journal_close(b->jrnl);
		b->jrnl = NULL;
		if (rc < 0)
			return rc;
	}
	if (b->nb_jfiles == 8)
		return fp_err_set(-ENOSPC, "backtest: more than 8 trading days in one run");
	char *path = b->jfiles[b->nb_jfiles];
	snprintf(path, sizeof(b->jfiles[0]), "%s/%s-%08" PRIu32 ".fpj", b->jdir, b->instance, day);
	unlink(path); /* a backtest's journal is its own: start afresh */
	int rc = fp_store_journal_open(path, b->instance, &b->jrnl);
	if (rc < 0)
		return rc;
	b->nb_jfiles++;
	b->jday = day;
	struct fp_jrnl_store_start ss = {.time_ns = b->file_start_ns, .version = FP_JRNL_VERSION};
	b->res->journal_records++;
	return fp_store_journal_append_flags(b->jrnl, FP_JRNL_REC_STORE_START, FP_JRNL_SRC_STORE,
					     &ss, sizeof(ss));
}

/* The journal header holds its creation time (CLOCK_REALTIME): a backtest's is the feed's
 * day, so that the same run gives the same bytes. Rewritten with its CRC after close. */
static int jrnl_stamp(const char *path, uint64_t created_ns)
{
	uint8_t h[FP_STORE_HDR_SIZE];
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fp_err_set(-errno, "%s: %s", path, strerror(errno));
	int rc = 0;
	if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		rc = fp_err_set(-EIO, "%s: short header", path);
	} else {
		memcpy(h + FP_STORE_HDR_OFF_CREATED, &created_ns, 8);
		uint32_t crc = fp_store_crc32c(h, FP_STORE_HDR_OFF_CRC);
		memcpy(h + FP_STORE_HDR_OFF_CRC, &crc, 4);
		if (pwrite(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
			rc = fp_err_set(-EIO, "%s: cannot rewrite the header", path);
	}
	close(fd);
	return rc;
}

static int jrnl_finish(struct bt *b)
{
	int rc = 0;
	if (b->jrnl && (rc = fp_store_journal_close(b->jrnl)) < 0)
		return rc;
	b->jrnl = NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dig[32];
	unsigned dlen = 0;
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		return fp_err_set(-ENOMEM, "backtest: OpenSSL SHA-256 unavailable");
	}
	for (unsigned i = 0; i < b->nb_jfiles && rc == 0; i++) {
		unsigned day = 0;
		sscanf(strrchr(b->jfiles[i], '-') + 1, "%8u", &day);
		struct tm tm = {.tm_year = (int)(day / 10000) - 1900,
				.tm_mon = (int)(day / 100 % 100) - 1,
				.tm_mday = (int)(day % 100)};
		uint64_t created = (uint64_t)timegm(&tm) * 1000000000ull;
		if ((rc = jrnl_stamp(b->jfiles[i], created)) < 0)
			break;
		FILE *f = fopen(b->jfiles[i], "rb");
		if (!f) {
			rc = fp_err_set(-errno, "%s: %s", b->jfiles[i], strerror(errno));
			break;
		}
		char buf[65536];
		size_t n;
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			EVP_DigestUpdate(md, buf, n);
		fclose(f);
	}
	EVP_DigestFinal_ex(md, dig, &dlen);
	EVP_MD_CTX_free(md);
	for (unsigned i = 0; i < 32; i++)
		snprintf(b->res->journal_sha256 + 2 * i, 3, "%02x", dig[i]);
	if (b->nb_jfiles) /* relative to DIR: the report does not depend on where it is */
		snprintf(b->res->journal_path, sizeof(b->res->journal_path), "journal/%s",
			 strrchr(b->jfiles[0], '/') + 1);
	return rc;
}

/* ---- report lines ---- */

static struct fp_bt_line *line_of(struct bt *b, uint16_t strategy_id, uint32_t symbol_id)
{
	struct fp_bt_result *r = b->res;
	for (unsigned i = 0; i < r->nb_lines; i++)
		if (r->lines[i].strategy_id == strategy_id && r->lines[i].symbol_id == symbol_id)
			return &r->lines[i];
	if (r->nb_lines == FP_BT_MAX_LINES)
		return NULL;
	struct fp_bt_line *l = &r->lines[r->nb_lines++];
	memset(l, 0, sizeof(*l));
	l->strategy_id = strategy_id;
	l->symbol_id = symbol_id;
	return l;
}

/* Mark of a symbol, dollars: the mid of its last two-sided, uncrossed top (the book is
 * cleared at the end of the day: the last mid before that stays the mark). */
static double mark_of(const struct bt *b, uint32_t symbol, double fallback)
{
	return b->mark2[symbol] ? (double)b->mark2[symbol] / 2e4 : fallback;
}

static double line_equity(const struct bt *b, struct fp_bt_line *l)
{
	double px = l->position ? mark_of(b, l->symbol_id, l->cost / (double)l->position) : 0;
	l->unrealized = (double)l->position * px - l->cost;
	return l->realized + l->unrealized - l->fees;
}

/* Per-minute sample of every line's equity (Sharpe, Sortino, drawdown, profit factor). */
static void minute_tick(struct bt *b, uint64_t minute_ns)
{
	for (unsigned i = 0; i < b->res->nb_lines; i++) {
		struct fp_bt_line *l = &b->res->lines[i];
		double e = line_equity(b, l);
		double r = e - l->last_equity;
		l->last_equity = e;
		l->minutes++;
		l->sum_r += r;
		l->sum_r2 += r * r;
		if (r < 0)
			l->sum_down2 += r * r, l->gross_loss -= r;
		else
			l->gross_win += r;
		if (r != 0)
			l->nonzero++, l->wins += r > 0;
		if (e > l->peak)
			l->peak = e;
		if (l->peak - e > l->max_drawdown)
			l->max_drawdown = l->peak - e;
	}
	(void)minute_ns;
}

/* Once a simulated second: every line's equity, drawdown and position into equity.csv
 * (the plots; the metrics use the minutes). */
static void second_tick(struct bt *b, uint64_t t_ns)
{
	for (unsigned i = 0; b->equity_csv && i < b->res->nb_lines; i++) {
		struct fp_bt_line *l = &b->res->lines[i];
		double e = line_equity(b, l);
		if (e > l->csv_peak || l->csv_samples++ == 0)
			l->csv_peak = e;
		fprintf(b->equity_csv, "%.3f,%u,%u,%.4f,%.4f,%" PRId64 "\n", (double)t_ns / 1e9,
			l->strategy_id, l->symbol_id, e, l->csv_peak - e, l->position);
	}
}

/* The clock reached @p t: the per-minute and per-second samples due before it. */
static void ticks_to(struct bt *b, uint64_t t)
{
	while (b->next_second <= t) {
		second_tick(b, b->next_second);
		b->next_second += 1000000000ull;
	}
	while (b->next_minute <= t) {
		minute_tick(b, b->next_minute);
		b->next_minute += NS_PER_MIN;
	}
}

/* A fill reaches our stages: book it in the report line. */
static void account_fill(struct bt *b, const struct fp_event *ev, uint64_t t_decide,
			 uint64_t t_arrive, int64_t arrival_mid2)
{
	struct fp_bt_line *l = line_of(b, ev->u.exec.strategy_id, ev->symbol_id);
	if (!l)
		return;
	const struct fp_ev_exec *x = &ev->u.exec;
	int64_t q = x->side == FP_SIDE_BUY ? (int64_t)x->shares : -(int64_t)x->shares;
	double px = (double)x->price / 1e4;
	l->fills++;
	l->filled_shares += x->shares;
	int maker = x->reason == 'A';
	l->fees += (double)x->shares * (double)(maker ? b->fee_maker : b->fee_taker) / 1e4;
	if (maker) {
		l->passive_fills++;
		l->queue_wait_sum_ns += (double)(ev->t_rx - t_arrive);
	}
	if (arrival_mid2) {
		double mid = (double)arrival_mid2 / 2e4;
		l->slippage_sum += (double)q * (px - mid);
		l->slippage_shares += x->shares;
	}
	l->fill_latency_sum_ns += (double)(b->clock - t_decide);
	/* average cost: realize on the closing part */
	int64_t pos = l->position;
	if (pos == 0 || (pos > 0) == (q > 0)) {
		l->cost += (double)q * px;
	} else {
		int64_t close = FP_MIN(llabs(q), llabs(pos));
		double avg = l->cost / (double)pos;
		double sign = pos > 0 ? 1 : -1;
		l->realized += sign * (double)close * (px - avg);
		l->cost -= sign * (double)close * avg;
		int64_t rest = llabs(q) - close;
		if (rest)
			l->cost += (q > 0 ? 1 : -1) * (double)rest * px;
	}
	l->position += q;
	if (l->position == 0)
		l->cost = 0;
	if (llabs(l->position) > l->max_position)
		l->max_position = llabs(l->position);
	if (b->fills_csv)
		fprintf(b->fills_csv, "%" PRIu64 ",%u,%u,%c,%.4f,%u,%c,%" PRIu64 ",%" PRIu64 "\n",
			ev->t_rx, x->strategy_id, ev->symbol_id, x->side, px, x->shares,
			x->reason ? x->reason : '?', maker ? ev->t_rx - t_arrive : 0,
			b->clock - t_decide);
}

/* ---- the venue's reports ---- */

static void venue_emit(void *arg, const struct fp_event *ev, const struct fp_bt_vorder *o)
{
	struct bt *b = arg;
	uint64_t due = ev->t_rx + fp_bt_lat_sample(&b->lat[FP_BT_LAT_RESP]);
	if (fifo_push(&b->to_us, due, ev, o) < 0) {
		fp_err_set(-ENOSPC, "backtest: more than %u venue reports in flight", PENDING_MAX);
		b->stop = 1;
	}
}

/* ---- the pipeline's steps ---- */

/* Journal what risk put on its journal ring. */
static void drain_risk_journal(struct bt *b)
{
	struct fp_event ev;
	while (fp_ring_dequeue_burst(b->ring[R_JRNL], &ev, 1) == 1) {
		if (ev.type == FP_EV_RISK_REJECT)
			b->res->risk_rejects++;
		if (jrnl_put(b, FP_JRNL_SRC_RISK, &ev) < 0)
			b->stop = 1;
	}
}

/* Orders risk passed: journaled as the gateway does (J2), sent to the venue. */
static void drain_orders(struct bt *b)
{
	struct fp_event ev;
	while (fp_ring_dequeue_burst(b->ring[R_ORDER], &ev, 1) == 1) {
		b->res->orders_to_venue++;
		if (jrnl_put(b, FP_JRNL_SRC_GW, &ev) < 0)
			b->stop = 1;
		if (ev.type == FP_EV_ORDER_NEW) {
			struct fp_bt_line *l = line_of(b, ev.u.order.strategy_id, ev.symbol_id);
			if (l)
				l->orders++, l->ordered_shares += ev.u.order.shares;
		}
		uint64_t due = b->clock + fp_bt_lat_sample(&b->lat[FP_BT_LAT_ENTRY]);
		if (fifo_push(&b->to_venue, due, &ev, NULL) < 0) {
			fp_err_set(-ENOSPC, "backtest: more than %u orders in flight", PENDING_MAX);
			b->stop = 1;
		}
	}
}

/* Strategies, then risk, as the fused worker polls them; then what they produced. A poll
 * that would find nothing (no input, no timer due, nothing waiting: fp_*_has_work) is
 * skipped: most messages move no top, and the stages see the same events at the same
 * clock either way. */
static void poll_trading(struct bt *b)
{
	for (int pass = 0; pass < 4; pass++) {
		unsigned work = 0;
		if (!b->o->no_strategies && !b->closing &&
		    fp_strat_host_has_work(&b->host, b->clock))
			work += fp_strat_host_poll(&b->host, 64);
		if (fp_risk_has_work(&b->risk))
			work += fp_risk_poll(&b->risk, 64);
		if (fp_ring_count(b->ring[R_JRNL]))
			drain_risk_journal(b);
		if (fp_ring_count(b->ring[R_ORDER]))
			drain_orders(b);
		if (!work)
			break;
	}
}

/* One pending event at its time: an order reaches the venue, or a report reaches us. */
static void step_pending(struct bt *b, int to_venue)
{
	struct fifo *f = to_venue ? &b->to_venue : &b->to_us;
	struct timed e = *fifo_front(f);
	f->head++;
	if (e.t > b->clock)
		b->clock = e.t;
	if (to_venue) {
		fp_bt_venue_order(&b->venue, &e.ev, e.t);
		return;
	}
	e.ev.t_rx = e.t; /* when our stages see it */
	fp_ring_enqueue_burst(b->ring[R_EXEC_RISK], &e.ev, 1);
	fp_ring_enqueue_burst(b->ring[R_EXEC_STRAT], &e.ev, 1);
	if (jrnl_put(b, FP_JRNL_SRC_GW, &e.ev) < 0)
		b->stop = 1;
	struct fp_bt_line *l = line_of(b, e.ev.u.exec.strategy_id, e.ev.symbol_id);
	if (e.ev.type == FP_EV_EXEC_FILL)
		account_fill(b, &e.ev, e.t_decide, e.t_arrive, e.arrival_mid2);
	else if (l && e.ev.type == FP_EV_EXEC_REJECTED)
		l->rejects++;
	else if (l && e.ev.type == FP_EV_EXEC_CANCELED)
		l->cancels++;
	poll_trading(b);
}

/* Everything pending up to (and including) time @p t, in time order. */
static void run_until(struct bt *b, uint64_t t)
{
	for (;;) {
		const struct timed *v = fifo_front(&b->to_venue), *u = fifo_front(&b->to_us);
		uint64_t tv = v ? v->t : UINT64_MAX, tu = u ? u->t : UINT64_MAX;
		if (FP_MIN(tv, tu) > t)
			return;
		ticks_to(b, FP_MIN(tv, tu));
		step_pending(b, tv <= tu); /* at a tie the order reaches the venue first */
	}
}

/* Everything due before @p t, strategy timer rounds included: a round due between two
 * events fires at its own time, as on a live clock (within a trading day, past --from;
 * the first message of a day starts the day's timer phase). */
static void advance_to(struct bt *b, uint64_t t)
{
	while (b->day_open && b->trading && !b->closing && !b->o->no_strategies) {
		uint64_t due = fp_strat_host_next_timer(&b->host);
		if (due >= t)
			break;
		run_until(b, due);
		ticks_to(b, due);
		if (due > b->clock)
			b->clock = due;
		poll_trading(b);
		b->res->timers++;
	}
	run_until(b, t);
}

/* Tops for the strategies pass through a tap (book -> tap -> host's ring) that counts them
 * and folds them into a running checksum: the live/backtest parity test compares it. */
static void tap_tops(struct bt *b)
{
	const struct fp_event *ev;
	uint32_t n;
	int feed = b->trading && !b->closing && !b->o->no_strategies;
	while ((ev = fp_ring_peek(b->ring[R_TAP], 64, &n)) != NULL && n > 0) {
		for (uint32_t i = 0; i < n; i++) {
			/* To the host: what some strategy takes (fp_strat_host_wants). The
			 * host's ring is drained at every message; a burst of tops (a clear of
			 * every symbol) waits for the host instead of being dropped. */
			if (feed && fp_strat_host_wants(&b->host, ev[i].symbol_id))
				while (fp_ring_enqueue_burst(b->ring[R_TOP], &ev[i], 1) == 0)
					poll_trading(b);
			if (ev[i].type != FP_EV_BOOK_TOP)
				continue;
			const struct fp_ev_book_top *t = &ev[i].u.top;
			if (t->bid_price > 0 && t->ask_price > 0 && t->bid_price < t->ask_price)
				b->mark2[ev[i].symbol_id] = t->bid_price + t->ask_price;
			if (!b->trading)
				continue;
			uint64_t x[5] = {ev[i].symbol_id | (uint64_t)ev[i].flags << 32,
					 (uint64_t)t->bid_price, (uint64_t)t->ask_price,
					 t->bid_shares | (uint64_t)t->ask_shares << 32, t->ts_ns};
			uint64_t h = b->res->top_checksum;
			for (int k = 0; k < 5; k++)
				h = (h ^ x[k]) * 0x100000001b3ull;
			b->res->top_checksum = h;
			b->res->tops++;
		}
		fp_ring_release(b->ring[R_TAP], n);
	}
}

/* The caller's progress callback, at most once a wall second (and once at the end). */
static void progress(struct bt *b, uint64_t offset, int last)
{
	struct timespec now;
	if (!b->o->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!last && elapsed_s(&b->last_progress, &now) < 1.0)
		return;
	b->last_progress = now;
	double done = (double)(b->done_bytes + offset);
	struct fp_bt_progress p = {
		.messages = b->res->messages,
		.orders = b->res->orders_to_venue,
		.sim_ns = b->last_ts % NS_PER_DAY,
		.wall_s = elapsed_s(&b->t0, &now),
		.done = b->total_bytes ? FP_MIN(done / (double)b->total_bytes, 1.0) : 1.0,
		.last = last != 0,
	};
	b->o->progress(b->o->progress_arg, &p);
}

/* ---- the close of a day (backtest.close) ---- */

/* An order of the close, from strategy @p sid, onto risk's intent ring (as a strategy's). */
static void close_intent(struct bt *b, uint8_t type, uint16_t sid, uint32_t symbol, uint64_t orig,
			 uint8_t side, uint32_t shares, int64_t price)
{
	struct fp_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.source = sid;
	ev.symbol_id = symbol;
	ev.u.order.client_order_id = fp_order_id_make(sid, CLOSE_SEQ_BASE + b->close_seq++);
	ev.seq = ev.u.order.client_order_id;
	ev.u.order.orig_client_order_id = orig;
	ev.u.order.strategy_id = sid;
	ev.u.order.side = side;
	ev.u.order.shares = shares;
	ev.u.order.price = price;
	ev.u.order.tif = FP_TIF_IOC;
	ev.u.order.t_decide = b->clock;
	while (fp_ring_enqueue_burst(b->ring[R_INTENT], &ev, 1) == 0)
		poll_trading(b); /* risk drains it */
}

/* Risk, the orders it passed, the venue's answers: until nothing is in flight. */
static void settle(struct bt *b)
{
	for (int round = 0; round < 64 && !b->stop; round++) {
		poll_trading(b);
		if (!fifo_count(&b->to_venue) && !fifo_count(&b->to_us))
			break;
		run_until(b, UINT64_MAX - 1);
	}
}

/* Let what is in flight arrive, cancel our open orders, then take the recorded book for
 * every open position. */
static void close_flatten(struct bt *b)
{
	const struct fp_bt_venue *v = &b->venue;
	settle(b); /* orders in flight reach the venue first: they are cancelled too */
	for (uint32_t i = 0; i < v->hi; i++) {
		const struct fp_bt_vorder *o = &v->orders[i];
		if (o->id)
			close_intent(b, FP_EV_ORDER_CANCEL, o->strategy_id, o->symbol_id, o->id,
				     o->side, 0, 0);
	}
	settle(b);
	for (unsigned i = 0; i < b->res->nb_lines; i++) {
		const struct fp_bt_line *l = &b->res->lines[i];
		if (!l->position)
			continue;
		/* the price that takes |position| shares of the other side, level by level */
		struct fp_book_depth_level lv[64];
		uint32_t n =
			fp_book_core_depth(&b->book.core, l->symbol_id,
					   l->position > 0 ? FP_BOOK_BID : FP_BOOK_ASK, lv, 64);
		uint64_t need = (uint64_t)llabs(l->position), got = 0;
		int64_t px = 0;
		for (uint32_t k = 0; k < n && got < need; k++)
			got += lv[k].shares, px = lv[k].price;
		if (!px)
			continue; /* an empty side: counted below */
		close_intent(b, FP_EV_ORDER_NEW, l->strategy_id, l->symbol_id, 0,
			     l->position > 0 ? FP_SIDE_SELL : FP_SIDE_BUY, (uint32_t)need, px);
		b->res->close_orders++;
	}
	settle(b);
	for (unsigned i = 0; i < b->res->nb_lines; i++)
		b->res->close_unflat += b->res->lines[i].position != 0;
}

/* Every report line's position, cost and P&L at the close, as the store's snapshots
 * (FP_JRNL_REC_POS_SNAPSHOT; Price(4) units), so that positions_eod shows the day's end. */
static void close_snapshots(struct bt *b)
{
	uint64_t t = b->day_epoch_ns + (b->clock > b->day_base ? b->clock - b->day_base : 0);
	for (unsigned i = 0; i < b->res->nb_lines && b->jrnl; i++) {
		struct fp_bt_line *l = &b->res->lines[i];
		line_equity(b, l);
		struct fp_jrnl_pos_snapshot ps = {
			.time_ns = t,
			.strategy_id = l->strategy_id,
			.symbol_id = l->symbol_id,
			.position = l->position,
			.cost = llround(l->cost * 1e4),
			.realized = llround(l->realized * 1e4),
			.unreal = llround(l->unrealized * 1e4),
			.mark = l->symbol_id < b->nb_symbols ? b->mark2[l->symbol_id] / 2 : 0,
		};
		if (l->symbol_id < b->nb_symbols)
			memcpy(ps.stock, b->stock[l->symbol_id], sizeof(ps.stock));
		b->res->journal_records++;
		if (fp_store_journal_append_flags(b->jrnl, FP_JRNL_REC_POS_SNAPSHOT,
						  FP_JRNL_SRC_STORE, &ps, sizeof(ps)) < 0)
			b->stop = 2;
	}
}

/* The day's close (once a file; see the top of this file); the snapshots follow at the
 * end of the file. */
static void day_close(struct bt *b)
{
	if (b->closed || !b->day_open)
		return;
	b->closed = 1;
	b->res->closes++;
	if (b->flatten && !b->o->no_strategies) {
		b->closing = 1;
		close_flatten(b);
	}
}

/* Session accounting for gaps (the walker counts them too; we want their positions). */
static void check_seq(struct bt *b, const struct fp_ctl_md_msg *m)
{
	unsigned i = b->last_session; /* a capture is mostly one session: try it first */
	if (i >= b->nb_sessions || memcmp(b->sessions[i], m->session, FP_MOLD_SESSION_LEN))
		for (i = 0; i < b->nb_sessions; i++)
			if (!memcmp(b->sessions[i], m->session, FP_MOLD_SESSION_LEN))
				break;
	b->last_session = i;
	if (i == b->nb_sessions) {
		if (i == FP_CTL_MD_MAX_SESSIONS)
			return;
		memcpy(b->sessions[i], m->session, FP_MOLD_SESSION_LEN);
		b->expect_seq[i] = m->seq;
		b->nb_sessions++;
	}
	if (m->seq > b->expect_seq[i]) {
		char what[96];
		snprintf(what, sizeof(what), "gap: sequence %" PRIu64 " expected, %" PRIu64 " seen",
			 b->expect_seq[i], m->seq);
		b->res->bad.missing += m->seq - b->expect_seq[i];
		bad(b, &b->res->bad.gaps, m->offset, what);
	}
	b->expect_seq[i] = m->seq + 1;
}

static int on_msg(void *arg, const struct fp_ctl_md_msg *m)
{
	struct bt *b = arg;
	struct fp_bt_bad *bd = &b->res->bad;
	b->last_end = m->offset + m->len;
	if (m->result != FP_ITCH_OK) {
		b->file_bad++;
		char what[64];
		snprintf(what, sizeof(what), "ITCH message type 0x%02x, %u bytes: %s",
			 m->len ? m->msg[0] : 0, m->len,
			 m->result == FP_ITCH_UNKNOWN_TYPE ? "unknown type" : "bad length");
		bad(b, m->result == FP_ITCH_UNKNOWN_TYPE ? &bd->unknown_type : &bd->malformed,
		    m->offset, what);
		return b->stop;
	}
	if (m->duplicate) {
		bd->duplicates++;
		return 0;
	}
	if (m->has_seq && m->session)
		check_seq(b, m);
	uint64_t ts = b->day_base + fp_itch_timestamp(m->msg);
	if (ts < b->last_ts) {
		char what[96];
		snprintf(what, sizeof(what), "timestamp %" PRIu64 " ns before the previous one",
			 b->last_ts - ts);
		bad(b, &bd->out_of_order, m->offset, what);
		ts = b->last_ts; /* time never goes back: the message counts at the last time */
	}
	if (b->stop)
		return 1;
	if (!b->jrnl_ready) { /* the file's day: the capture's clock, else its name, config */
		uint32_t day = b->file_day;
		if (m->ts_ns) {
			time_t sec = (time_t)(m->ts_ns / 1000000000ull);
			struct tm tm;
			gmtime_r(&sec, &tm);
			day = (uint32_t)((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 +
					 tm.tm_mday);
		}
		b->jrnl_ready = 1;
		struct tm tm = {.tm_year = (int)(day / 10000) - 1900,
				.tm_mon = (int)(day / 100 % 100) - 1,
				.tm_mday = (int)(day % 100)};
		b->day_epoch_ns = (uint64_t)timegm(&tm) * 1000000000ull;
		b->file_start_ns = b->day_epoch_ns + fp_itch_timestamp(m->msg); /* first message */
		if (jrnl_open(b, day) < 0)
			return b->stop = 2;
	}
	if (b->o->to_ns >= 0 && ts - b->day_base > (uint64_t)b->o->to_ns)
		return b->stop = 1;
	b->last_ts = ts;
	if (!b->res->sim_start_ns) {
		b->res->sim_start_ns = ts;
		b->next_minute = (ts / NS_PER_MIN + 1) * NS_PER_MIN;
		b->next_second = (ts / 1000000000ull + 1) * 1000000000ull;
	}
	b->res->messages++;

	/* 1. what is due before this message (timer rounds included) */
	advance_to(b, ts);
	ticks_to(b, ts);
	/* 3. normalize (same code as the md stage) */
	const struct fp_bt_lat *feed = &b->lat[FP_BT_LAT_FEED]; /* a constant: no call */
	uint64_t t_ev =
		ts + (feed->nb ? fp_bt_lat_sample(&b->lat[FP_BT_LAT_FEED]) : feed->constant_ns);
	uint32_t got;
	struct fp_event *ev = fp_ring_reserve(b->ring[R_MD], 1, &got);
	if (!got || fp_md_normalize(m->msg, m->len, m->seq, t_ev, 0, ev) != FP_ITCH_OK)
		return 0;
	if (ev->type == FP_EV_MD_STOCK_DIRECTORY && ev->symbol_id < b->nb_symbols)
		snprintf(b->stock[ev->symbol_id], 9, "%.8s", ev->u.stock_directory.stock);
	if (ev->type == FP_EV_MD_SYSTEM &&
	    (ev->u.system.event_code == 'M' || ev->u.system.event_code == 'C')) {
		if (ts > b->clock) /* the close decides at the event's exchange time */
			b->clock = ts;
		day_close(b); /* the close (before the book clears at 'C') */
	}
	/* 2. the venue sees it before the book applies it */
	fp_bt_venue_md(&b->venue, ev, ts); /* before --from too: it tracks references (V1) */
	fp_ring_commit(b->ring[R_MD], 1);
	b->res->md_events++;
	/* 4. the stages at the event's time */
	if (t_ev > b->clock)
		b->clock = t_ev;
	fp_book_poll(&b->book, 64);
	if (!b->trading && (b->o->from_ns < 0 || ts - b->day_base >= (uint64_t)b->o->from_ns))
		b->trading = 1;
	tap_tops(b);
	if (b->trading)
		poll_trading(b);
	else if (fp_risk_has_work(&b->risk))
		fp_risk_poll(&b->risk, 64);
	b->day_open = 1;
	if ((b->res->messages & 0xfffff) == 0)
		progress(b, m->offset, 0);
	return b->stop;
}

/* ---- set-up ---- */

static int setup_rings(struct bt *b)
{
	static const char *const names[R_NB] = {
		"bt.md",    "bt.tap",       "bt.top",        "bt.top.risk", "bt.intent",
		"bt.order", "bt.exec.risk", "bt.exec.strat", "bt.reject",   "bt.jrnl.risk"};
	for (int i = 0; i < R_NB; i++) {
		uint32_t cap = i == R_MD ? 64 : i == R_JRNL ? 16384 : RING_SMALL;
		if (!(b->ring[i] = ring_new(cap, names[i])))
			return fp_err_set(-ENOMEM, "backtest: cannot allocate ring %s", names[i]);
	}
	if (fifo_init(&b->to_venue) < 0 || fifo_init(&b->to_us) < 0)
		return fp_err_set(-ENOMEM, "backtest: cannot allocate the in-flight queues");
	return 0;
}

static const char *const bt_keys[] = {"fee_maker", "fee_taker",  "latency", "seed",
				      "date",      "max_orders", "close",   NULL};

static int setup_stages(struct bt *b)
{
	struct fp_ctl_env env = {.cfg = b->cfg, .tsc_hz = 1000000000ull, .instance = b->instance};
	const struct fp_cfg_node *g = fp_cfg_lookup(b->cfg, NULL, "backtest");
	struct fp_book_stage_cfg bcfg;
	struct fp_strat_host_cfg scfg;
	struct fp_ctl_risk_settings rs;
	const char *latency = "", *inst = "backtest", *close = "carry";
	int64_t seed = 1, date = 19700101, max_orders = 4096;
	int rc;

	if ((rc = fp_cfg_get_string(b->cfg, NULL, "instance", "backtest", 24, &inst)) < 0)
		return rc;
	snprintf(b->instance, sizeof(b->instance), "%s", inst);
	if (g &&
	    ((rc = fp_cfg_check_keys(b->cfg, g, bt_keys)) < 0 ||
	     (rc = fp_cfg_get_int64(b->cfg, g, "fee_maker", 0, -10000, 10000, &b->fee_maker)) < 0 ||
	     (rc = fp_cfg_get_int64(b->cfg, g, "fee_taker", 0, -10000, 10000, &b->fee_taker)) < 0 ||
	     (rc = fp_cfg_get_string(b->cfg, g, "latency", "", 0, &latency)) < 0 ||
	     (rc = fp_cfg_get_int64(b->cfg, g, "seed", 1, 0, INT64_MAX, &seed)) < 0 ||
	     (rc = fp_cfg_get_int64(b->cfg, g, "date", 19700101, 19700101, 29991231, &date)) < 0 ||
	     (rc = fp_cfg_get_int64(b->cfg, g, "max_orders", 4096, 16, 1 << 20, &max_orders)) < 0 ||
	     (rc = fp_cfg_get_string(b->cfg, g, "close", "carry", 0, &close)) < 0))
		return rc;
	if (strcmp(close, "carry") && strcmp(close, "flatten"))
		return fp_err_set(
			-EINVAL,
			"backtest.close = \"%s\": say \"carry\" (positions and orders go on "
			"into the next file) or \"flatten\" (closed at each day's close)",
			close);
	b->flatten = !strcmp(close, "flatten");
	b->file_day = (uint32_t)date;
	if (b->o->latency)
		latency = b->o->latency;
	if (b->o->seed >= 0)
		seed = b->o->seed;
	/* --set / --sweep overrides beyond strategy.ID.KEY (applied below) */
	char *lat_buf = b->lat_buf;
	snprintf(lat_buf, sizeof(b->lat_buf), "%s", latency);
	for (unsigned i = 0; i < b->o->nb_set; i++) {
		const char *kv = b->o->set[i], *eq = strchr(kv, '=');
		long long v;
		char *end;
		if (!eq)
			return fp_err_set(-EINVAL, "--set/--sweep: '%s' is not KEY=VALUE", kv);
		v = strtoll(eq + 1, &end, 10);
		if (!strncmp(kv, "latency.", 8)) {
			size_t n = strlen(lat_buf);
			snprintf(lat_buf + n, sizeof(b->lat_buf) - n, "%s%s", n ? "," : "", kv + 8);
		} else if (!strncmp(kv, "seed=", 5) && !*end && v >= 0) {
			seed = v;
		} else if (!strncmp(kv, "backtest.fee_maker=", 19) && !*end) {
			b->fee_maker = v;
		} else if (!strncmp(kv, "backtest.fee_taker=", 19) && !*end) {
			b->fee_taker = v;
		} else if (strncmp(kv, "strategy.", 9)) {
			return fp_err_set(
				-EINVAL,
				"--set/--sweep: unknown key in '%s' (strategy.ID.PARAM, "
				"latency.feed|entry|resp, seed, backtest.fee_maker|fee_taker)",
				kv);
		}
	}
	latency = lat_buf;
	snprintf(b->res->latency, sizeof(b->res->latency), "%s", latency);
	b->res->seed = (uint64_t)seed;
	if ((rc = fp_bt_lat_parse(b->lat, latency, (uint64_t)seed)) < 0)
		return rc;

	/* book: the config's capacities; no snapshots (they serve fastpath-ctl) */
	if ((rc = fp_ctl_book_cfg(&env, &bcfg)) < 0)
		return rc;
	bcfg.snap_depth = 0;
	bcfg.md = b->ring[R_MD];
	bcfg.out[0] = b->ring[R_TAP];
	bcfg.out[1] = b->ring[R_TOP_RISK];
	bcfg.nb_out = 2;
	if ((rc = fp_book_init(&b->book, &bcfg)) < 0)
		return rc;
	b->nb_symbols = bcfg.book.max_symbols;
	if (!(b->stock = calloc(b->nb_symbols, sizeof(*b->stock))) ||
	    !(b->mark2 = calloc(b->nb_symbols, sizeof(*b->mark2))))
		return fp_err_set(-ENOMEM, "backtest: cannot allocate the symbol names");

	/* strategies: the same list, params, .so files */
	if ((rc = fp_ctl_strat_cfg(&env, &scfg)) < 0)
		return rc;
	scfg.md[0] = b->ring[R_TOP];
	scfg.nb_md = 1;
	scfg.exec = b->ring[R_EXEC_STRAT];
	scfg.reject = b->ring[R_REJECT];
	scfg.intent = b->ring[R_INTENT];
	scfg.clock = bt_clock;
	scfg.clock_arg = b;
	scfg.first_seq = 1;
	for (unsigned i = 0; i < b->o->nb_set; i++) { /* strategy.ID.KEY=VALUE overrides */
		unsigned id;
		char kv[128];
		if (sscanf(b->o->set[i], "strategy.%u.%127s", &id, kv) != 2)
			continue;
		for (unsigned k = 0; k < scfg.nb_strategies; k++) {
			struct fp_strat_params *p = &scfg.strat[k].params;
			const char *eq = strchr(kv, '=');
			if (scfg.strat[k].id != id || !eq)
				continue;
			for (unsigned j = 0; j < p->nb; j++) /* replace an existing key */
				if (strlen(p->p[j].key) == (size_t)(eq - kv) &&
				    !strncmp(p->p[j].key, kv, (size_t)(eq - kv))) {
					p->p[j] = p->p[--p->nb];
					break;
				}
			if (fp_strat_params_add(p, kv) < 0)
				return fp_err_set(-EINVAL, "--sweep/--set: '%s' is not key=value",
						  b->o->set[i]);
		}
	}
	if ((rc = fp_strat_host_init(&b->host, &scfg)) < 0)
		return rc;

	/* risk: the same limits file and environment; static limits (no segment) */
	if ((rc = fp_ctl_risk_cfg(&env, &rs)) < 0 ||
	    (rc = fp_risk_limits_load(&b->limits, rs.limits_path, rs.env, rs.nb_symbols)) < 0)
		return rc;
	struct fp_risk_cfg rcfg = {
		.intent = {b->ring[R_INTENT]},
		.reject = {b->ring[R_REJECT]},
		.nb_intent = 1,
		.exec = {b->ring[R_EXEC_RISK]},
		.nb_exec = 1,
		.md = {b->ring[R_TOP_RISK]},
		.nb_md = 1,
		.order = b->ring[R_ORDER],
		.nb_symbols = rs.nb_symbols,
		.order_capacity = rs.nb_orders,
		.pos_capacity = rs.nb_positions,
		.limits = &b->limits,
		.tsc_hz = env.tsc_hz,
		.breaker_sets_kill = rs.breaker_sets_kill,
		.journal = b->o->no_journal ? NULL : b->ring[R_JRNL],
		.clock = bt_clock,
		.clock_arg = b,
	};
	if ((rc = fp_risk_init(&b->risk, &rcfg)) < 0)
		return rc;

	struct fp_bt_venue_cfg vcfg = {.book = &b->book.core,
				       .max_orders = (uint32_t)max_orders,
				       .emit = venue_emit,
				       .emit_arg = b};
	return fp_bt_venue_init(&b->venue, &vcfg);
}

static void teardown(struct bt *b)
{
	fp_bt_venue_fini(&b->venue);
	fp_risk_fini(&b->risk);
	fp_strat_host_fini(&b->host);
	if (b->book.md)
		fp_book_fini(&b->book);
	for (int i = 0; i < R_NB; i++)
		free(b->ring[i]);
	free(b->to_venue.a);
	free(b->to_us.a);
	free(b->stock);
	free(b->mark2);
	if (b->jrnl)
		fp_store_journal_close(b->jrnl);
	if (b->fills_csv)
		fclose(b->fills_csv);
	if (b->equity_csv)
		fclose(b->equity_csv);
	fp_cfg_free(b->cfg);
}

/* A gzip file, inflated into memory, as the walker's file (format from its first bytes). */
static int load_gz(const char *path, struct fp_ctl_md_file *f)
{
	gzFile gz = gzopen(path, "rb");
	size_t cap = 1 << 24, len = 0;
	uint8_t *buf = malloc(cap);
	if (!gz || !buf) {
		if (gz)
			gzclose(gz);
		free(buf);
		return fp_err_set(-errno ? -errno : -ENOMEM, "cannot open %s", path);
	}
	for (;;) {
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				gzclose(gz);
				return fp_err_set(-ENOMEM, "%s: too large to inflate", path);
			}
			buf = nb;
			cap *= 2;
		}
		int n = gzread(gz, buf + len, (unsigned)FP_MIN(cap - len, (size_t)1 << 30));
		if (n < 0) {
			int e;
			const char *msg = gzerror(gz, &e);
			fp_err_set(-EIO, "%s: %s", path, msg);
			free(buf);
			gzclose(gz);
			return -EIO;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	gzclose(gz); /* a truncated gzip stream reads up to the damage (reported as truncated) */
	memset(f, 0, sizeof(*f));
	f->buf = buf;
	f->len = len;
	f->path = path;
	int kind = fp_pcap_probe(buf, len); /* 1 classic pcap, 2 pcapng: fp_pcap reads both */
	if (kind == 0 && !fp_itch_stream_probe(buf, len)) {
		free(buf);
		return fp_err_set(-EINVAL,
				  "%s: inflated data is neither a capture (pcap, pcapng) nor raw "
				  "ITCH 5.0",
				  path);
	}
	f->format = kind ? FP_CTL_MD_PCAP : FP_CTL_MD_ITCH;
	return 0;
}

/* YYYYMMDD in a file name (e.g. ritch_ex20101224.TEST_ITCH_50), else 0. */
static uint32_t day_of_name(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (const char *p = base; *p; p++) {
		unsigned d = 0, k;
		for (k = 0; k < 8 && p[k] >= '0' && p[k] <= '9'; k++)
			d = d * 10 + (unsigned)(p[k] - '0');
		if (k == 8 && d >= 19900101 && d <= 29991231 && d / 100 % 100 >= 1 &&
		    d / 100 % 100 <= 12 && d % 100 >= 1 && d % 100 <= 31)
			return d;
	}
	return 0;
}

static int replay_file(struct bt *b, const char *path, unsigned idx)
{
	struct fp_ctl_md_file f;
	struct fp_ctl_md_stats *st = calloc(1, sizeof(*st));
	int rc, gz = 0;
	FILE *probe = fopen(path, "rb");
	unsigned char magic[2] = {0, 0};
	if (!st)
		return -ENOMEM;
	if (probe) {
		gz = fread(magic, 1, 2, probe) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
		fclose(probe);
	}
	rc = gz ? load_gz(path, &f) : fp_ctl_md_file_open(&f, path);
	if (rc < 0) {
		free(st);
		return rc;
	}
	b->path = path;
	b->file_len = f.len;
	b->day_base = (uint64_t)idx * NS_PER_DAY;
	b->jrnl_ready = 0;
	b->nb_sessions = 0;
	b->day_open = b->closed = b->closing = 0;
	uint32_t d = day_of_name(path);
	if (d)
		b->file_day = d;
	b->file_bad = 0;
	b->last_end = 0;
	fp_ctl_md_walk(&f, -1, on_msg, b, st);
	if (!b->res->stopped_strict && b->stop != 2 && b->day_open) {
		day_close(b); /* at the end of the day's data, unless 'C' closed it */
		if (idx + 1 == b->o->nb_data || b->stop) { /* the run's end: in flight happens */
			run_until(b, UINT64_MAX - 1);
			poll_trading(b);
		}
		close_snapshots(b);
	}
	if (!st->stopped && f.format == FP_CTL_MD_ITCH && st->errors > b->file_bad)
		bad(b, &b->res->bad.unknown_type, b->last_end,
		    "unknown message type after a zero length prefix: the rest of the file cannot "
		    "be framed");
	if (st->truncated) {
		char what[96];
		snprintf(what, sizeof(what), "file ends inside a record (%zu bytes)", f.len);
		bad(b, &b->res->bad.truncated, f.len, what);
	}
	b->done_bytes += f.len;
	if (gz)
		free((void *)(uintptr_t)f.buf);
	else
		fp_ctl_md_file_close(&f);
	free(st);
	return b->stop == 2 ? -EIO : 0;
}

int fp_bt_run(const struct fp_bt_opts *o, struct fp_bt_result *res)
{
	struct bt *b = aligned_alloc(64, FP_ALIGN_UP(sizeof(*b), (size_t)64));
	int rc = 0;
	if (!b)
		return fp_err_set(-ENOMEM, "backtest: out of memory");
	memset(b, 0, sizeof(*b));
	memset(res, 0, sizeof(*res));
	b->o = o;
	b->res = res;
	clock_gettime(CLOCK_MONOTONIC, &b->t0);
	b->last_progress = b->t0;
	if (!o->config || !o->nb_data) {
		rc = fp_err_set(-EINVAL, "backtest: --config and --data are required");
		goto out;
	}
	if (!(b->cfg = fp_cfg_load_file(o->config))) {
		rc = fp_err_append(-EINVAL, "backtest: config");
		goto out;
	}
	const char *dir = o->out_dir ? o->out_dir : "build/backtest";
	if (!o->no_journal) {
		char path[600];
		snprintf(b->jdir, sizeof(b->jdir), "%s/journal", dir);
		if ((mkdir(dir, 0755) < 0 && errno != EEXIST) ||
		    (mkdir(b->jdir, 0755) < 0 && errno != EEXIST)) {
			rc = fp_err_set(-errno, "backtest: cannot create %s: %s", b->jdir,
					strerror(errno));
			goto out;
		}
		snprintf(path, sizeof(path), "%s/fills.csv", dir);
		b->fills_csv = fopen(path, "w");
		snprintf(path, sizeof(path), "%s/equity.csv", dir);
		b->equity_csv = fopen(path, "w");
		if (!b->fills_csv || !b->equity_csv) {
			rc = fp_err_set(-errno, "backtest: cannot write in %s: %s", dir,
					strerror(errno));
			goto out;
		}
		fprintf(b->fills_csv, "t_ns,strategy,symbol,side,price,shares,liquidity,"
				      "queue_wait_ns,fill_latency_ns\n");
		fprintf(b->equity_csv, "t_s,strategy,symbol,equity,drawdown,position\n");
	}
	if ((rc = setup_rings(b)) < 0 || (rc = setup_stages(b)) < 0)
		goto out;
	for (unsigned i = 0; i < o->nb_data; i++) {
		struct stat sst;
		if (stat(o->data[i], &sst) == 0)
			b->total_bytes += (uint64_t)sst.st_size;
	}
	struct timespec c0, c1;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	for (unsigned i = 0; i < o->nb_data && !b->stop; i++)
		if ((rc = replay_file(b, o->data[i], i)) < 0)
			goto out;
	/* the end of the data: what is in flight still happens (done at the last file's close,
	 * unless that file held no message) */
	if (!b->res->stopped_strict && !b->day_open) {
		run_until(b, UINT64_MAX - 1);
		poll_trading(b);
	}
	drain_risk_journal(b);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	res->replay_cpu_s = elapsed_s(&c0, &c1);
	res->sim_end_ns = b->last_ts;
	minute_tick(b, b->next_minute);
	second_tick(b, b->last_ts);
	res->intents = b->host.stats->intents;
	for (unsigned i = 0; i < res->nb_lines; i++) {
		struct fp_bt_line *l = &res->lines[i];
		line_equity(b, l);
		if (l->symbol_id < b->nb_symbols)
			snprintf(l->stock, sizeof(l->stock), "%s", b->stock[l->symbol_id]);
	}
	if (!o->no_journal && (rc = jrnl_finish(b)) < 0)
		goto out;
	progress(b, 0, 1);
	if (res->stopped_strict)
		rc = fp_err_set(-EILSEQ, "backtest: --strict: %s", res->bad.first);
out:;
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->wall_s = elapsed_s(&b->t0, &t1);
	teardown(b);
	free(b);
	return rc;
}
