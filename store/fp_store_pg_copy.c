/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_store_pg_copy.c - journal records -> PostgreSQL COPY text rows, one row of one table per
 * record (schema in deploy/sql/001_init.sql, payloads in shm/fp_journal.h, COPY text format
 * of the PostgreSQL 15 manual, "COPY": tab-separated columns, \N for NULL, backslash escapes).
 *
 * No libpq: the encoder only fills buffers, so it is tested without a server
 * (tests/store_pg/check_fp_store_pg_copy.c). Offline process only (allocates).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fp_event.h"
#include "fp_journal.h"
#include "fp_shm_ctl.h"
#include "fp_store_pg_pvt.h"

/* ---- tables: name and COPY column list, in enum fp_store_pg_table order ---- */

#define COMMON_COLS "instance, file_created_ns, seq, time, "

const struct fp_store_pg_table_def fp_store_pg_tables[FP_STORE_PG_NB_TABLES] = {
	{"orders", COMMON_COLS "producer, kind, coid, orig_coid, strategy_id, symbol_id, side, "
			       "qty, price, tif, urn, ev_seq, source, flags, t_rx, t_decide"},
	{"executions", COMMON_COLS "kind, coid, strategy_id, symbol_id, side, shares, price, "
				   "leaves, match_number, soup_seq, reason, replay, flags, t_rx"},
	{"risk_events", COMMON_COLS "kind, coid, strategy_id, symbol_id, side, qty, price, "
				    "order_kind, reason, reason_name, value, text"},
	{"control_actions", COMMON_COLS "change_seq, what, old_value, new_value, who, reason, "
					"pid, tsc"},
	{"sessions", COMMON_COLS "session, requested_seq, source"},
	{"positions", COMMON_COLS "strategy_id, symbol_id, stock, position, cost, realized, "
				  "unreal, mark"},
	{"pnl_snapshots", COMMON_COLS "strategy_id, nb_fills, realized, unreal, gross, net, "
				      "fill_shares"},
	{"store_starts", COMMON_COLS "pid, version, records"},
	{"other_records", COMMON_COLS "type, producer, payload"},
};

const char *fp_store_pg_table_name(enum fp_store_pg_table t)
{
	return (unsigned)t < FP_STORE_PG_NB_TABLES ? fp_store_pg_tables[t].name : "?";
}

/* ---- a growable text buffer for COPY rows ---- */

static bool buf_room(struct fp_store_pg_buf *b, size_t n)
{
	if (b->len + n <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 64 * 1024;
	while (cap < b->len + n)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = 1;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void buf_mem(struct fp_store_pg_buf *b, const char *s, size_t n)
{
	if (!buf_room(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void buf_ch(struct fp_store_pg_buf *b, char c)
{
	if (buf_room(b, 1))
		b->p[b->len++] = c;
}

static void buf_u64(struct fp_store_pg_buf *b, uint64_t v)
{
	char t[24];
	int i = sizeof(t);
	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	buf_mem(b, t + i, sizeof(t) - (size_t)i);
}

/* bigint column: a uint64 above INT64_MAX is stored as its two's complement. */
static void buf_i64(struct fp_store_pg_buf *b, int64_t v)
{
	if (v < 0) {
		buf_ch(b, '-');
		buf_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		buf_u64(b, (uint64_t)v);
	}
}

/* Column separators: every column but the first starts with a tab (COPY text format). */
static void col_i64(struct fp_store_pg_buf *b, int64_t v)
{
	buf_ch(b, '\t');
	buf_i64(b, v);
}

static void col_u64(struct fp_store_pg_buf *b, uint64_t v)
{
	col_i64(b, (int64_t)v);
}

static void col_null(struct fp_store_pg_buf *b)
{
	buf_mem(b, "\t\\N", 3);
}

/* Text of at most @n bytes (stops at NUL), trailing spaces dropped; bytes that are not
 * printable ASCII become '?' (the database is UTF-8; journal text is ASCII by contract). */
static void col_text(struct fp_store_pg_buf *b, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	while (len > 0 && s[len - 1] == ' ')
		len--;
	buf_ch(b, '\t');
	if (!buf_room(b, 2 * len))
		return;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\') {
			b->p[b->len++] = '\\';
			b->p[b->len++] = '\\';
		} else {
			b->p[b->len++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
		}
	}
}

static void col_str(struct fp_store_pg_buf *b, const char *s)
{
	col_text(b, s, strlen(s));
}

/* A one-byte code (side, reason): the character when printable, else its number. */
static void col_code(struct fp_store_pg_buf *b, uint8_t c)
{
	if (c > 0x20 && c < 0x7f && c != '\\') {
		char t[2] = {'\t', (char)c};
		buf_mem(b, t, 2);
	} else {
		col_i64(b, c);
	}
}

static void col_bytea(struct fp_store_pg_buf *b, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	buf_mem(b, "\t\\\\x", 4);
	if (!buf_room(b, 2 * n))
		return;
	for (size_t i = 0; i < n; i++) {
		b->p[b->len++] = hex[p[i] >> 4];
		b->p[b->len++] = hex[p[i] & 15];
	}
}

void fp_store_pg_buf_mem(struct fp_store_pg_buf *b, const char *s, size_t n)
{
	buf_mem(b, s, n);
}

void fp_store_pg_buf_ch(struct fp_store_pg_buf *b, char c)
{
	buf_ch(b, c);
}

/* ---- records -> COPY rows ---- */

static const char *order_kind(unsigned type)
{
	static const char *const names[] = {"new", "cancel", "replace", "mass_cancel"};
	return type >= FP_EV_ORDER_NEW && type <= FP_EV_ORDER_MASS_CANCEL
		       ? names[type - FP_EV_ORDER_NEW]
		       : NULL;
}

static const char *exec_kind(unsigned type)
{
	static const char *const names[] = {"accepted", "fill",     "canceled",
					    "rejected", "replaced", "cancel_reject"};
	return type >= FP_EV_EXEC_ACCEPTED && type <= FP_EV_EXEC_CANCEL_REJECT
		       ? names[type - FP_EV_EXEC_ACCEPTED]
		       : NULL;
}

static void col_name_or_num(struct fp_store_pg_buf *b, const char *name, int64_t v)
{
	if (name)
		col_str(b, name);
	else
		col_i64(b, v);
}

/* Start a row of @t: instance, file, seq, time. */
static struct fp_store_pg_buf *row_begin(struct fp_store_pg_enc *pg, enum fp_store_pg_table t,
					 uint64_t seq, uint64_t time_ns)
{
	struct fp_store_pg_buf *b = &pg->rows[t];
	if (pg->time_fmt_ns != time_ns || !pg->time_fmt[0]) {
		struct tm tm;
		time_t s = (time_t)(time_ns / 1000000000u);
		gmtime_r(&s, &tm);
		snprintf(pg->time_fmt, sizeof(pg->time_fmt),
			 "%04d-%02d-%02d %02d:%02d:%02d.%06u+00", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (unsigned)(time_ns % 1000000000u / 1000u));
		pg->time_fmt_ns = time_ns;
	}
	buf_mem(b, pg->prefix, strlen(pg->prefix));
	col_u64(b, seq);
	buf_ch(b, '\t');
	buf_mem(b, pg->time_fmt, strlen(pg->time_fmt));
	pg->nb_rows[t]++;
	return b;
}

/* A record with a wall clock of its own: carry it to the records after it. */
static uint64_t timed(struct fp_store_pg_enc *pg, uint64_t time_ns)
{
	if (time_ns > pg->time_ns)
		pg->time_ns = time_ns;
	return time_ns;
}

static void enc_order(struct fp_store_pg_enc *pg, const struct fp_store_record *r,
		      const struct fp_event *ev)
{
	const struct fp_ev_order *o = &ev->u.order;
	struct fp_store_pg_buf *b = row_begin(pg, FP_STORE_PG_ORDERS, r->seq, pg->time_ns);
	static const char *const tif[] = {"day", "ioc", "gtx"};
	col_str(b, r->flags == FP_JRNL_SRC_GW ? "gw" : r->flags == FP_JRNL_SRC_RISK ? "risk" : "?");
	col_str(b, order_kind(ev->type));
	col_u64(b, o->client_order_id);
	col_u64(b, o->orig_client_order_id);
	col_i64(b, o->strategy_id);
	col_i64(b, ev->symbol_id);
	col_code(b, o->side);
	col_i64(b, o->shares);
	col_i64(b, o->price);
	col_name_or_num(b, o->tif < 3 ? tif[o->tif] : NULL, o->tif);
	if (r->flags == FP_JRNL_SRC_GW &&
	    (ev->type == FP_EV_ORDER_NEW || ev->type == FP_EV_ORDER_REPLACE))
		col_u64(b, ev->seq);
	else
		col_null(b);
	col_u64(b, ev->seq);
	col_i64(b, ev->source);
	col_i64(b, ev->flags);
	col_u64(b, ev->t_rx);
	col_u64(b, o->t_decide);
	buf_ch(b, '\n');
}

static void enc_exec(struct fp_store_pg_enc *pg, const struct fp_store_record *r,
		     const struct fp_event *ev)
{
	const struct fp_ev_exec *x = &ev->u.exec;
	struct fp_store_pg_buf *b = row_begin(pg, FP_STORE_PG_EXECUTIONS, r->seq, pg->time_ns);
	col_str(b, exec_kind(ev->type));
	col_u64(b, x->client_order_id);
	col_i64(b, x->strategy_id);
	col_i64(b, ev->symbol_id);
	col_code(b, x->side);
	col_i64(b, x->shares);
	col_i64(b, x->price);
	col_i64(b, x->leaves_shares);
	col_u64(b, x->match_number);
	if (ev->seq)
		col_u64(b, ev->seq);
	else
		col_null(b);
	if (x->reason)
		col_code(b, x->reason);
	else
		col_null(b);
	col_str(b, ev->flags & FP_EVF_REPLAY ? "t" : "f");
	col_i64(b, ev->flags);
	col_u64(b, ev->t_rx);
	buf_ch(b, '\n');
}

static void enc_reject(struct fp_store_pg_enc *pg, const struct fp_store_record *r,
		       const struct fp_event *ev)
{
	const struct fp_ev_risk_reject *j = &ev->u.reject;
	const char *name = pg->reject_reason_name ? pg->reject_reason_name(j->reason) : NULL;
	struct fp_store_pg_buf *b = row_begin(pg, FP_STORE_PG_RISK_EVENTS, r->seq, pg->time_ns);
	col_str(b, "reject");
	col_u64(b, j->client_order_id);
	col_i64(b, j->strategy_id);
	col_i64(b, ev->symbol_id);
	col_code(b, j->side);
	col_i64(b, j->shares);
	col_i64(b, j->price);
	col_name_or_num(b, order_kind(j->order_type), j->order_type);
	col_i64(b, j->reason);
	if (name)
		col_str(b, name);
	else
		col_null(b);
	col_null(b);
	col_null(b);
	buf_ch(b, '\n');
}

static void enc_breaker(struct fp_store_pg_enc *pg, const struct fp_store_record *r,
			const struct fp_event *ev)
{
	const struct fp_ev_control *c = &ev->u.control;
	const char *name = pg->trip_reason_name ? pg->trip_reason_name(c->arg) : NULL;
	struct fp_store_pg_buf *b = row_begin(pg, FP_STORE_PG_RISK_EVENTS, r->seq, pg->time_ns);
	col_str(b, c->command == FP_JRNL_CTL_BREAKER_TRIP ? "breaker_trip" : "breaker_reset");
	for (int i = 0; i < 2; i++) /* coid, strategy_id */
		col_null(b);
	col_i64(b, ev->symbol_id);
	for (int i = 0; i < 4; i++) /* side, qty, price, order_kind */
		col_null(b);
	col_i64(b, c->arg);
	if (name)
		col_str(b, name);
	else
		col_null(b);
	col_u64(b, c->value);
	col_text(b, c->text, sizeof(c->text));
	buf_ch(b, '\n');
}

static void enc_session(struct fp_store_pg_enc *pg, const struct fp_store_record *r,
			const struct fp_event *ev)
{
	const struct fp_ev_control *c = &ev->u.control;
	struct fp_store_pg_buf *b = row_begin(pg, FP_STORE_PG_SESSIONS, r->seq, pg->time_ns);
	col_text(b, c->text, sizeof(c->text));
	col_u64(b, c->value);
	col_i64(b, ev->source);
	buf_ch(b, '\n');
}

static void enc_other(struct fp_store_pg_enc *pg, const struct fp_store_record *r)
{
	struct fp_store_pg_buf *b = row_begin(pg, FP_STORE_PG_OTHER_RECORDS, r->seq, pg->time_ns);
	col_i64(b, r->type);
	col_i64(b, r->flags);
	col_bytea(b, r->payload, r->len);
	buf_ch(b, '\n');
}

static void enc_ctl_change(struct fp_store_pg_enc *pg, const struct fp_store_record *r)
{
	struct fp_shm_ctl_change c;
	memcpy(&c, r->payload, sizeof(c));
	struct fp_store_pg_buf *b =
		row_begin(pg, FP_STORE_PG_CONTROL_ACTIONS, r->seq, timed(pg, c.time_ns));
	col_u64(b, c.seq);
	col_name_or_num(b, fp_shm_ctl_what_str(c.what), c.what);
	col_i64(b, c.old_value);
	col_i64(b, c.new_value);
	col_text(b, c.who, sizeof(c.who));
	col_text(b, c.reason, sizeof(c.reason));
	col_i64(b, c.pid);
	col_u64(b, c.tsc);
	buf_ch(b, '\n');
}

static void enc_store_start(struct fp_store_pg_enc *pg, const struct fp_store_record *r)
{
	struct fp_jrnl_store_start s;
	memcpy(&s, r->payload, sizeof(s));
	struct fp_store_pg_buf *b =
		row_begin(pg, FP_STORE_PG_STORE_STARTS, r->seq, timed(pg, s.time_ns));
	col_i64(b, s.pid);
	col_i64(b, s.version);
	col_u64(b, s.records);
	buf_ch(b, '\n');
}

static void enc_pos(struct fp_store_pg_enc *pg, const struct fp_store_record *r)
{
	struct fp_jrnl_pos_snapshot p;
	memcpy(&p, r->payload, sizeof(p));
	struct fp_store_pg_buf *b =
		row_begin(pg, FP_STORE_PG_POSITIONS, r->seq, timed(pg, p.time_ns));
	col_i64(b, p.strategy_id);
	col_i64(b, p.symbol_id);
	col_text(b, p.stock, sizeof(p.stock));
	col_i64(b, p.position);
	col_i64(b, p.cost);
	col_i64(b, p.realized);
	col_i64(b, p.unreal);
	col_i64(b, p.mark);
	buf_ch(b, '\n');
}

static void enc_pnl(struct fp_store_pg_enc *pg, const struct fp_store_record *r)
{
	struct fp_jrnl_pnl_snapshot p;
	memcpy(&p, r->payload, sizeof(p));
	struct fp_store_pg_buf *b =
		row_begin(pg, FP_STORE_PG_PNL_SNAPSHOTS, r->seq, timed(pg, p.time_ns));
	if (p.strategy_id == FP_JRNL_PNL_FIRM)
		col_null(b);
	else
		col_i64(b, p.strategy_id);
	col_i64(b, p.nb_fills);
	col_i64(b, p.realized);
	col_i64(b, p.unreal);
	col_i64(b, p.gross);
	col_i64(b, p.net);
	col_u64(b, p.fill_shares);
	buf_ch(b, '\n');
}

/* One record -> one row of one table (invariant (3) of fp_store_pg_load.c). */
void fp_store_pg_enc_record(struct fp_store_pg_enc *pg, const struct fp_store_record *r)
{
	if (r->type < 0x100 && r->len == sizeof(struct fp_event)) {
		struct fp_event ev;
		memcpy(&ev, r->payload, sizeof(ev));
		if (ev.type != r->type) {
			enc_other(pg, r);
		} else if (order_kind(ev.type)) {
			enc_order(pg, r, &ev);
		} else if (exec_kind(ev.type)) {
			enc_exec(pg, r, &ev);
		} else if (ev.type == FP_EV_RISK_REJECT) {
			enc_reject(pg, r, &ev);
		} else if (ev.type == FP_EV_CONTROL &&
			   (ev.u.control.command == FP_JRNL_CTL_BREAKER_TRIP ||
			    ev.u.control.command == FP_JRNL_CTL_BREAKER_RESET)) {
			enc_breaker(pg, r, &ev);
		} else if (ev.type == FP_EV_CONTROL &&
			   ev.u.control.command == FP_JRNL_CTL_SESSION) {
			enc_session(pg, r, &ev);
		} else {
			enc_other(pg, r);
		}
		return;
	}
	switch (r->type) {
	case FP_JRNL_REC_CTL_CHANGE:
		if (r->len == sizeof(struct fp_shm_ctl_change)) {
			enc_ctl_change(pg, r);
			return;
		}
		break;
	case FP_JRNL_REC_STORE_START:
		if (r->len == sizeof(struct fp_jrnl_store_start)) {
			enc_store_start(pg, r);
			return;
		}
		break;
	case FP_JRNL_REC_POS_SNAPSHOT:
		if (r->len == sizeof(struct fp_jrnl_pos_snapshot)) {
			enc_pos(pg, r);
			return;
		}
		break;
	case FP_JRNL_REC_PNL_SNAPSHOT:
		if (r->len == sizeof(struct fp_jrnl_pnl_snapshot)) {
			enc_pnl(pg, r);
			return;
		}
		break;
	}
	enc_other(pg, r);
}

/* ---- the batch ---- */

void fp_store_pg_enc_file(struct fp_store_pg_enc *e, const char *instance, uint64_t created_ns,
			  uint64_t time_ns)
{
	/* The escaped row prefix of this file: "instance\tcreated_ns". */
	size_t o = 0;
	for (const char *s = instance; *s && o + 2 < sizeof(e->prefix) - 24; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\\')
			e->prefix[o++] = '\\';
		e->prefix[o++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	snprintf(e->prefix + o, sizeof(e->prefix) - o, "\t%" PRId64, (int64_t)created_ns);
	e->time_ns = time_ns;
	e->time_fmt[0] = '\0';
}

void fp_store_pg_enc_reset(struct fp_store_pg_enc *e)
{
	for (unsigned t = 0; t < FP_STORE_PG_NB_TABLES; t++) {
		e->rows[t].len = 0;
		e->rows[t].oom = 0;
		e->nb_rows[t] = 0;
	}
	e->nb_batch = 0;
}

bool fp_store_pg_enc_oom(const struct fp_store_pg_enc *e)
{
	for (unsigned t = 0; t < FP_STORE_PG_NB_TABLES; t++)
		if (e->rows[t].oom)
			return true;
	return false;
}

void fp_store_pg_enc_free(struct fp_store_pg_enc *e)
{
	for (unsigned t = 0; t < FP_STORE_PG_NB_TABLES; t++) {
		free(e->rows[t].p);
		e->rows[t] = (struct fp_store_pg_buf){0};
	}
}
