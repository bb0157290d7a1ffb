/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_store_pg.c - the PostgreSQL loader of journal files (see fp_store_pg.h; schema in
 * deploy/sql/, payloads in shm/fp_journal.h).
 *
 * Offline process only (fastpath-ctl journal load): blocks on libpq, allocates, syscalls.
 *
 * Invariants:
 *   (1) Rows and the load_progress line that covers them commit in one transaction, so the
 *       progress never claims a row that is not stored, and a row stored without its progress
 *       (impossible by (1), or a second loader) is only skipped by ON CONFLICT next time.
 *   (2) The in-memory progress of a file (struct pg_file) moves only after a COMMIT returned;
 *       after any error it is re-read from the database (fp_store_pg_reconnect clears it).
 *   (3) A record maps to exactly one row of exactly one table (record_encode), so that the
 *       row count over the tables equals the journal's record count.
 */
#define _GNU_SOURCE /* asprintf */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fp_err.h"
#include "fp_event.h"
#include "fp_journal.h"
#include "fp_shm_ctl.h"
#include "fp_store_journal.h"
#include "fp_store_pg.h"

#define PG_BATCH_DEFAULT 5000u
#define PG_LOCK_KEY      "1718644839" /* 0x66707067 "fppg": migrations one loader at a time */

/* ---- tables: name and COPY column list, in enum fp_store_pg_table order ---- */

#define COMMON_COLS "instance, file_created_ns, seq, time, "

static const struct pg_table {
	const char *name;
	const char *cols;
} tables[FP_STORE_PG_NB_TABLES] = {
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
	return (unsigned)t < FP_STORE_PG_NB_TABLES ? tables[t].name : "?";
}

/* ---- a growable text buffer for COPY rows ---- */

struct pg_buf {
	char *p;
	size_t len;
	size_t cap;
	int oom; /* an allocation failed: the batch is refused at flush */
};

static bool buf_room(struct pg_buf *b, size_t n)
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

static void buf_mem(struct pg_buf *b, const char *s, size_t n)
{
	if (!buf_room(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void buf_ch(struct pg_buf *b, char c)
{
	if (buf_room(b, 1))
		b->p[b->len++] = c;
}

static void buf_u64(struct pg_buf *b, uint64_t v)
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
static void buf_i64(struct pg_buf *b, int64_t v)
{
	if (v < 0) {
		buf_ch(b, '-');
		buf_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		buf_u64(b, (uint64_t)v);
	}
}

/* Column separators: every column but the first starts with a tab (COPY text format). */
static void col_i64(struct pg_buf *b, int64_t v)
{
	buf_ch(b, '\t');
	buf_i64(b, v);
}

static void col_u64(struct pg_buf *b, uint64_t v)
{
	col_i64(b, (int64_t)v);
}

static void col_null(struct pg_buf *b)
{
	buf_mem(b, "\t\\N", 3);
}

/* Text of at most @n bytes (stops at NUL), trailing spaces dropped; bytes that are not
 * printable ASCII become '?' (the database is UTF-8; journal text is ASCII by contract). */
static void col_text(struct pg_buf *b, const char *s, size_t n)
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

static void col_str(struct pg_buf *b, const char *s)
{
	col_text(b, s, strlen(s));
}

/* A one-byte code (side, reason): the character when printable, else its number. */
static void col_code(struct pg_buf *b, uint8_t c)
{
	if (c > 0x20 && c < 0x7f && c != '\\') {
		char t[2] = {'\t', (char)c};
		buf_mem(b, t, 2);
	} else {
		col_i64(b, c);
	}
}

static void col_bytea(struct pg_buf *b, const uint8_t *p, size_t n)
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

/* ---- the loader ---- */

/** A journal file this loader has seen. */
struct pg_file {
	char *path;
	char instance[FP_STORE_INSTANCE_MAX];
	uint64_t created_ns;
	uint64_t last_seq;     /**< stored up to here (load_progress) */
	uint64_t last_off;     /**< file offset after last_seq */
	uint64_t last_time_ns; /**< carried time after last_seq */
	uint64_t size_done;    /**< file size when all of it was stored (0: not yet) */
	bool known;            /**< progress read from the database on this connection */
};

struct fp_store_pg {
	PGconn *conn;
	char *conninfo;
	char *instance;
	struct fp_store_pg_opts opts;
	struct fp_store_pg_stats st;
	struct pg_file *files;
	size_t nb_files;
	size_t cap_files;
	/* the batch being built */
	struct pg_buf rows[FP_STORE_PG_NB_TABLES];
	uint32_t nb_rows[FP_STORE_PG_NB_TABLES];
	uint32_t nb_batch;
	struct pg_buf sql;
	/* the file being loaded */
	char prefix[160]; /**< escaped "instance\tcreated_ns" */
	uint64_t time_ns; /**< carried wall clock */
	uint64_t time_fmt_ns;
	char time_fmt[64];
	char redacted_buf[256];
};

/* ---- passwords never leave: spans of a password in a connection string ---- */

struct span {
	size_t off, len;
};

/* Up to @max password values of @ci: "user:PW@" of a URL and every "password=PW". */
static unsigned password_spans(const char *ci, struct span *sp, unsigned max)
{
	unsigned n = 0;
	const char *scheme = strstr(ci, "://");
	if (scheme && (!strncmp(ci, "postgresql://", 13) || !strncmp(ci, "postgres://", 11))) {
		const char *auth = scheme + 3;
		size_t alen = strcspn(auth, "/?");
		const char *at = NULL;
		for (size_t i = 0; i < alen; i++)
			if (auth[i] == '@')
				at = auth + i;
		if (at) {
			const char *colon = memchr(auth, ':', (size_t)(at - auth));
			if (colon && n < max)
				sp[n++] = (struct span){(size_t)(colon + 1 - ci),
							(size_t)(at - colon - 1)};
		}
	}
	for (const char *p = ci; (p = strstr(p, "password")) && n < max; p += 8) {
		const char *v = p + 8;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v != '=')
			continue;
		v++;
		while (*v == ' ' || *v == '\t')
			v++;
		size_t len;
		if (*v == '\'') {
			const char *e = v + 1;
			while (*e && *e != '\'')
				e += (*e == '\\' && e[1]) ? 2 : 1;
			len = (size_t)(e - v) + (*e ? 1 : 0);
		} else {
			len = strcspn(v, " \t&");
		}
		sp[n++] = (struct span){(size_t)(v - ci), len};
	}
	return n;
}

void fp_store_pg_redact(const char *conninfo, char *buf, size_t size)
{
	struct span sp[8];
	unsigned n = password_spans(conninfo, sp, 8);
	size_t o = 0, i = 0, len = strlen(conninfo);
	if (size == 0)
		return;
	while (i < len && o + 1 < size) {
		bool hit = false;
		for (unsigned k = 0; k < n; k++) {
			if (i == sp[k].off && sp[k].len > 0) {
				for (const char *s = "***"; *s && o + 1 < size; s++)
					buf[o++] = *s;
				i += sp[k].len;
				hit = true;
				break;
			}
		}
		if (!hit)
			buf[o++] = conninfo[i++];
	}
	buf[o] = '\0';
}

/* @msg (libpq's, possibly several lines) as one line, with any password of @ci masked. */
static void one_line(const char *ci, const char *msg, char *out, size_t size)
{
	struct span sp[8];
	unsigned n = password_spans(ci, sp, 8);
	size_t o = 0;
	for (const char *m = msg; *m && o + 1 < size;) {
		bool hit = false;
		for (unsigned k = 0; k < n; k++) {
			if (sp[k].len >= 3 && !strncmp(m, ci + sp[k].off, sp[k].len)) {
				for (const char *s = "***"; *s && o + 1 < size; s++)
					out[o++] = *s;
				m += sp[k].len;
				hit = true;
				break;
			}
		}
		if (hit)
			continue;
		char c = *m++;
		if (c == '\n') {
			while (*m == '\n' || *m == ' ' || *m == '\t')
				m++;
			if (*m && o + 2 < size) {
				out[o++] = ';';
				out[o++] = ' ';
			}
		} else {
			out[o++] = c == '\t' ? ' ' : c;
		}
	}
	out[o] = '\0';
}

static void notice_ignore(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* The error of the last failed call on the connection, classified. */
static int pg_fail(struct fp_store_pg *pg, const PGresult *res, const char *what)
{
	char msg[512];
	const char *raw = res ? PQresultErrorMessage(res) : "";
	if (!raw || !*raw)
		raw = PQerrorMessage(pg->conn);
	one_line(pg->conninfo, raw, msg, sizeof(msg));
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	bool lost = PQstatus(pg->conn) != CONNECTION_OK || !state || !strncmp(state, "08", 2) ||
		    !strncmp(state, "57P", 3);
	if (lost)
		return fp_err_set(-ENOTCONN, "database connection lost during %s: %s", what, msg);
	return fp_err_set(-EPROTO, "database refused %s: %s", what, msg);
}

/* Run @sql (one or more statements, no result rows wanted). */
static int pg_exec(struct fp_store_pg *pg, const char *sql, const char *what)
{
	PGresult *res = PQexec(pg->conn, sql);
	ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	int rc = (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) ? 0 : pg_fail(pg, res, what);
	PQclear(res);
	return rc;
}

static void pg_rollback(struct fp_store_pg *pg)
{
	if (PQstatus(pg->conn) == CONNECTION_OK && PQtransactionStatus(pg->conn) != PQTRANS_IDLE)
		PQclear(PQexec(pg->conn, "ROLLBACK"));
}

/* Apply the embedded migrations that schema_migrations lacks (one transaction). */
static int pg_migrate(struct fp_store_pg *pg)
{
	char sql[256];
	int rc = pg_exec(pg,
			 "BEGIN;"
			 "SELECT pg_advisory_xact_lock(" PG_LOCK_KEY ");"
			 "CREATE TABLE IF NOT EXISTS schema_migrations ("
			 " version integer PRIMARY KEY, name text NOT NULL,"
			 " applied_at timestamptz NOT NULL DEFAULT now())",
			 "the schema_migrations table");
	if (rc < 0)
		goto err;
	PGresult *res = PQexec(pg->conn, "SELECT version FROM schema_migrations");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = pg_fail(pg, res, "reading schema_migrations");
		PQclear(res);
		goto err;
	}
	for (unsigned m = 0; m < fp_store_pg_nb_migrations; m++) {
		const struct fp_store_pg_migration *mg = &fp_store_pg_migrations[m];
		bool applied = false;
		for (int r = 0; r < PQntuples(res) && !applied; r++)
			applied = (unsigned)atoi(PQgetvalue(res, r, 0)) == mg->version;
		if (applied)
			continue;
		rc = pg_exec(pg, mg->sql, mg->name);
		if (rc < 0) {
			PQclear(res);
			fp_err_append(rc, "migration %s", mg->name);
			goto err;
		}
		snprintf(sql, sizeof(sql),
			 "INSERT INTO schema_migrations (version, name) VALUES (%u, '%s')",
			 mg->version, mg->name);
		rc = pg_exec(pg, sql, "recording a migration");
		if (rc < 0) {
			PQclear(res);
			goto err;
		}
		pg->st.migrations++;
	}
	PQclear(res);
	return pg_exec(pg, "COMMIT", "committing the migrations");
err:
	pg_rollback(pg);
	return rc;
}

/* Temporary staging tables of this session: emptied by every COMMIT. */
static int pg_staging(struct fp_store_pg *pg)
{
	char sql[256];
	for (unsigned t = 0; t < FP_STORE_PG_NB_TABLES; t++) {
		snprintf(sql, sizeof(sql),
			 "CREATE TEMP TABLE IF NOT EXISTS s_%s (LIKE %s) ON COMMIT DELETE ROWS",
			 tables[t].name, tables[t].name);
		int rc = pg_exec(pg, sql, "creating a staging table");
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int pg_connect(struct fp_store_pg *pg)
{
	char msg[512];
	/* The user's string (dbname, expanded) comes last, so it overrides these defaults. */
	const char *keys[] = {"connect_timeout", "fallback_application_name", "dbname", NULL};
	const char *vals[] = {"5", "fastpath-ctl journal load", pg->conninfo, NULL};

	if (pg->conn)
		PQfinish(pg->conn);
	pg->conn = PQconnectdbParams(keys, vals, 1);
	if (!pg->conn)
		return fp_err_set(-ENOMEM, "cannot allocate a libpq connection");
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		const char *raw = PQerrorMessage(pg->conn);
		one_line(pg->conninfo, raw, msg, sizeof(msg));
		fp_store_pg_redact(pg->conninfo, pg->redacted_buf, sizeof(pg->redacted_buf));
		if (PQconnectionNeedsPassword(pg->conn) || strstr(raw, "authentication failed") ||
		    strstr(raw, "pg_hba.conf") || strstr(raw, "does not exist") ||
		    strstr(raw, "permission denied"))
			return fp_err_set(-EACCES, "database %s refused the login: %s",
					  pg->redacted_buf, msg);
		return fp_err_set(-ENOTCONN, "database %s unreachable: %s", pg->redacted_buf, msg);
	}
	PQsetNoticeProcessor(pg->conn, notice_ignore, NULL);
	/* synchronous_commit off: a commit the server loses in a crash loses its load_progress
	 * line with it (1), so the loader loads those records again; no WAL flush per batch. */
	int rc = pg_exec(pg, "SET client_min_messages = warning; SET synchronous_commit = off",
			 "session settings");
	if (rc == 0)
		rc = pg_migrate(pg);
	if (rc == 0)
		rc = pg_staging(pg);
	for (size_t i = 0; i < pg->nb_files; i++)
		pg->files[i].known = false; /* (2) */
	return rc;
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

static void col_name_or_num(struct pg_buf *b, const char *name, int64_t v)
{
	if (name)
		col_str(b, name);
	else
		col_i64(b, v);
}

/* Start a row of @t: instance, file, seq, time. */
static struct pg_buf *row_begin(struct fp_store_pg *pg, enum fp_store_pg_table t, uint64_t seq,
				uint64_t time_ns)
{
	struct pg_buf *b = &pg->rows[t];
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
static uint64_t timed(struct fp_store_pg *pg, uint64_t time_ns)
{
	if (time_ns > pg->time_ns)
		pg->time_ns = time_ns;
	return time_ns;
}

static void enc_order(struct fp_store_pg *pg, const struct fp_store_record *r,
		      const struct fp_event *ev)
{
	const struct fp_ev_order *o = &ev->u.order;
	struct pg_buf *b = row_begin(pg, FP_STORE_PG_ORDERS, r->seq, pg->time_ns);
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

static void enc_exec(struct fp_store_pg *pg, const struct fp_store_record *r,
		     const struct fp_event *ev)
{
	const struct fp_ev_exec *x = &ev->u.exec;
	struct pg_buf *b = row_begin(pg, FP_STORE_PG_EXECUTIONS, r->seq, pg->time_ns);
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

static void enc_reject(struct fp_store_pg *pg, const struct fp_store_record *r,
		       const struct fp_event *ev)
{
	const struct fp_ev_risk_reject *j = &ev->u.reject;
	const char *name =
		pg->opts.reject_reason_name ? pg->opts.reject_reason_name(j->reason) : NULL;
	struct pg_buf *b = row_begin(pg, FP_STORE_PG_RISK_EVENTS, r->seq, pg->time_ns);
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

static void enc_breaker(struct fp_store_pg *pg, const struct fp_store_record *r,
			const struct fp_event *ev)
{
	const struct fp_ev_control *c = &ev->u.control;
	const char *name = pg->opts.trip_reason_name ? pg->opts.trip_reason_name(c->arg) : NULL;
	struct pg_buf *b = row_begin(pg, FP_STORE_PG_RISK_EVENTS, r->seq, pg->time_ns);
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

static void enc_session(struct fp_store_pg *pg, const struct fp_store_record *r,
			const struct fp_event *ev)
{
	const struct fp_ev_control *c = &ev->u.control;
	struct pg_buf *b = row_begin(pg, FP_STORE_PG_SESSIONS, r->seq, pg->time_ns);
	col_text(b, c->text, sizeof(c->text));
	col_u64(b, c->value);
	col_i64(b, ev->source);
	buf_ch(b, '\n');
}

static void enc_other(struct fp_store_pg *pg, const struct fp_store_record *r)
{
	struct pg_buf *b = row_begin(pg, FP_STORE_PG_OTHER_RECORDS, r->seq, pg->time_ns);
	col_i64(b, r->type);
	col_i64(b, r->flags);
	col_bytea(b, r->payload, r->len);
	buf_ch(b, '\n');
}

static void enc_ctl_change(struct fp_store_pg *pg, const struct fp_store_record *r)
{
	struct fp_shm_ctl_change c;
	memcpy(&c, r->payload, sizeof(c));
	struct pg_buf *b = row_begin(pg, FP_STORE_PG_CONTROL_ACTIONS, r->seq, timed(pg, c.time_ns));
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

static void enc_store_start(struct fp_store_pg *pg, const struct fp_store_record *r)
{
	struct fp_jrnl_store_start s;
	memcpy(&s, r->payload, sizeof(s));
	struct pg_buf *b = row_begin(pg, FP_STORE_PG_STORE_STARTS, r->seq, timed(pg, s.time_ns));
	col_i64(b, s.pid);
	col_i64(b, s.version);
	col_u64(b, s.records);
	buf_ch(b, '\n');
}

static void enc_pos(struct fp_store_pg *pg, const struct fp_store_record *r)
{
	struct fp_jrnl_pos_snapshot p;
	memcpy(&p, r->payload, sizeof(p));
	struct pg_buf *b = row_begin(pg, FP_STORE_PG_POSITIONS, r->seq, timed(pg, p.time_ns));
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

static void enc_pnl(struct fp_store_pg *pg, const struct fp_store_record *r)
{
	struct fp_jrnl_pnl_snapshot p;
	memcpy(&p, r->payload, sizeof(p));
	struct pg_buf *b = row_begin(pg, FP_STORE_PG_PNL_SNAPSHOTS, r->seq, timed(pg, p.time_ns));
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

/* One record -> one row of one table (3). */
static void record_encode(struct fp_store_pg *pg, const struct fp_store_record *r)
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

/* ---- batches ---- */

static void batch_reset(struct fp_store_pg *pg)
{
	for (unsigned t = 0; t < FP_STORE_PG_NB_TABLES; t++) {
		pg->rows[t].len = 0;
		pg->rows[t].oom = 0;
		pg->nb_rows[t] = 0;
	}
	pg->nb_batch = 0;
}

static int copy_in(struct fp_store_pg *pg, unsigned t)
{
	char sql[512];
	snprintf(sql, sizeof(sql), "COPY s_%s (%s) FROM STDIN", tables[t].name, tables[t].cols);
	PGresult *res = PQexec(pg->conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		int rc = pg_fail(pg, res, "COPY");
		PQclear(res);
		return rc;
	}
	PQclear(res);
	const struct pg_buf *b = &pg->rows[t];
	int ok = 1;
	for (size_t off = 0; off < b->len && ok == 1;) {
		size_t n = FP_MIN(b->len - off, (size_t)1 << 20);
		ok = PQputCopyData(pg->conn, b->p + off, (int)n);
		off += n;
	}
	if (ok == 1)
		ok = PQputCopyEnd(pg->conn, NULL);
	int rc = 0;
	while ((res = PQgetResult(pg->conn))) {
		if (rc == 0 && PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = pg_fail(pg, res, "COPY");
		PQclear(res);
	}
	if (rc == 0 && ok != 1)
		rc = pg_fail(pg, NULL, "COPY");
	return rc;
}

/* Store the batch and the progress of @f after it in one transaction (1), (2). */
static int batch_commit(struct fp_store_pg *pg, struct pg_file *f, uint64_t last_seq,
			uint64_t last_off)
{
	uint64_t added[FP_STORE_PG_NB_TABLES] = {0}, total = 0;
	PGresult *res;
	int rc = 0;

	if (pg->nb_batch == 0)
		return 0;
	for (unsigned t = 0; t < FP_STORE_PG_NB_TABLES; t++)
		if (pg->rows[t].oom) {
			batch_reset(pg);
			return fp_err_set(-ENOMEM, "out of memory for a batch of COPY rows");
		}
	rc = pg_exec(pg, "BEGIN", "BEGIN");
	for (unsigned t = 0; t < FP_STORE_PG_NB_TABLES && rc == 0; t++)
		if (pg->nb_rows[t])
			rc = copy_in(pg, t);
	if (rc < 0)
		goto err;

	/* One round trip: an INSERT per table, each answering with its own row count. */
	struct pg_buf *q = &pg->sql;
	unsigned order[FP_STORE_PG_NB_TABLES], nb = 0;
	q->len = 0;
	for (unsigned t = 0; t < FP_STORE_PG_NB_TABLES; t++) {
		if (!pg->nb_rows[t])
			continue;
		order[nb++] = t;
		char sql[1024];
		int n = snprintf(sql, sizeof(sql),
				 "INSERT INTO %s (%s) SELECT %s FROM s_%s ON CONFLICT DO NOTHING;",
				 tables[t].name, tables[t].cols, tables[t].cols, tables[t].name);
		buf_mem(q, sql, (size_t)n);
	}
	buf_ch(q, '\0');
	if (q->oom) {
		rc = fp_err_set(-ENOMEM, "out of memory for a batch");
		goto err;
	}
	if (!PQsendQuery(pg->conn, q->p)) {
		rc = pg_fail(pg, NULL, "INSERT");
		goto err;
	}
	for (unsigned i = 0; (res = PQgetResult(pg->conn)); i++) {
		if (rc == 0 && PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = pg_fail(pg, res, "INSERT");
		else if (rc == 0 && i < nb)
			added[order[i]] = strtoull(PQcmdTuples(res), NULL, 10);
		PQclear(res);
	}
	if (rc < 0)
		goto err;
	for (unsigned t = 0; t < FP_STORE_PG_NB_TABLES; t++)
		total += added[t];

	char *lit = PQescapeLiteral(pg->conn, f->instance, strlen(f->instance));
	if (!lit) {
		rc = pg_fail(pg, NULL, "escaping the instance name");
		goto err;
	}
	char sql[1024];
	snprintf(sql, sizeof(sql),
		 "INSERT INTO load_progress AS p (instance, file_created_ns, last_seq, "
		 "last_offset, last_time_ns, records) VALUES (%s, %" PRId64 ", %" PRId64
		 ", %" PRId64 ", %" PRId64 ", %" PRIu64 ") ON CONFLICT (instance, "
		 "file_created_ns) DO UPDATE SET last_seq = EXCLUDED.last_seq, last_offset = "
		 "EXCLUDED.last_offset, last_time_ns = EXCLUDED.last_time_ns, records = p.records "
		 "+ EXCLUDED.records, updated_at = now() WHERE p.last_seq < EXCLUDED.last_seq;"
		 "COMMIT",
		 lit, (int64_t)f->created_ns, (int64_t)last_seq, (int64_t)last_off,
		 (int64_t)pg->time_ns, total);
	PQfreemem(lit);
	rc = pg_exec(pg, sql, "COMMIT");
	if (rc < 0)
		goto err;

	/* Committed: the progress moves (2). */
	f->last_seq = last_seq;
	f->last_off = last_off;
	f->last_time_ns = pg->time_ns;
	pg->st.records += pg->nb_batch;
	pg->st.rows += total;
	for (unsigned t = 0; t < FP_STORE_PG_NB_TABLES; t++)
		pg->st.rows_by_table[t] += added[t];
	pg->st.batches++;
	batch_reset(pg);
	return 0;
err:
	pg_rollback(pg);
	batch_reset(pg);
	return rc;
}

/* ---- files ---- */

static struct pg_file *file_by_path(struct fp_store_pg *pg, const char *path)
{
	for (size_t i = 0; i < pg->nb_files; i++)
		if (!strcmp(pg->files[i].path, path))
			return &pg->files[i];
	return NULL;
}

static struct pg_file *file_add(struct fp_store_pg *pg, const char *path)
{
	if (pg->nb_files == pg->cap_files) {
		size_t cap = pg->cap_files ? 2 * pg->cap_files : 16;
		struct pg_file *fs = realloc(pg->files, cap * sizeof(*fs));
		if (!fs)
			return NULL;
		pg->files = fs;
		pg->cap_files = cap;
	}
	struct pg_file *f = &pg->files[pg->nb_files];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	if (!f->path)
		return NULL;
	pg->nb_files++;
	pg->st.files = pg->nb_files;
	return f;
}

/* Register the file and read how far it was loaded (load_progress). */
static int progress_read(struct fp_store_pg *pg, struct pg_file *f)
{
	char *inst = PQescapeLiteral(pg->conn, f->instance, strlen(f->instance));
	char *path = PQescapeLiteral(pg->conn, f->path, strlen(f->path));
	char *sql = NULL;
	int rc = 0;
	if (!inst || !path) {
		rc = pg_fail(pg, NULL, "escaping a literal");
		goto out;
	}
	if (asprintf(&sql,
		     "INSERT INTO journal_files (instance, file_created_ns, day, path) VALUES "
		     "(%s, %" PRId64 ", (to_timestamp(%" PRId64
		     " / 1e9) AT TIME ZONE 'UTC')::date, "
		     "%s) ON CONFLICT DO NOTHING;"
		     "SELECT last_seq, last_offset, last_time_ns FROM load_progress WHERE "
		     "instance = %s AND file_created_ns = %" PRId64,
		     inst, (int64_t)f->created_ns, (int64_t)f->created_ns, path, inst,
		     (int64_t)f->created_ns) < 0) {
		sql = NULL;
		rc = fp_err_set(-ENOMEM, "out of memory");
		goto out;
	}
	PGresult *res = PQexec(pg->conn, sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = pg_fail(pg, res, "reading load_progress");
	} else if (PQntuples(res) == 1) {
		f->last_seq = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
		f->last_off = strtoull(PQgetvalue(res, 0, 1), NULL, 10);
		f->last_time_ns = strtoull(PQgetvalue(res, 0, 2), NULL, 10);
		f->known = true;
	} else {
		f->last_seq = 0;
		f->last_off = 0;
		f->last_time_ns = 0;
		f->known = true;
	}
	PQclear(res);
out:
	PQfreemem(inst);
	PQfreemem(path);
	free(sql);
	return rc;
}

int fp_store_pg_load_file(struct fp_store_pg *pg, const char *path)
{
	struct fp_store_journal_iter it;
	struct fp_store_record rec;
	struct stat st;
	int rc;

	if (stat(path, &st) < 0)
		return fp_err_set(-errno, "cannot read journal %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fp_err_set(-EBADMSG, "%s is not a journal file", path);
	struct pg_file *f = file_by_path(pg, path);
	if (f && f->known && f->size_done == (uint64_t)st.st_size)
		return FP_STORE_PG_CLEAN; /* unchanged since all of it was stored */
	if (st.st_size < FP_STORE_HDR_SIZE)
		return FP_STORE_PG_TAIL; /* its header is not written yet */
	rc = fp_store_journal_iter_open(&it, path);
	if (rc == -EINVAL)
		rc = -EBADMSG;
	if (rc == -EBADMSG && fp_err_code() == -EINVAL)
		return fp_err_set(rc, "%s is not a journal", path);
	if (rc < 0)
		return rc;
	if (pg->instance && strcmp(pg->instance, it.instance)) {
		fp_store_journal_iter_close(&it);
		return FP_STORE_PG_SKIPPED;
	}
	if (f && (f->created_ns != it.created_ns || strcmp(f->instance, it.instance))) {
		f->known = false; /* another file under the same name */
		f->size_done = 0;
	}
	if (!f && !(f = file_add(pg, path))) {
		fp_store_journal_iter_close(&it);
		return fp_err_set(-ENOMEM, "out of memory");
	}
	if (!f->known) {
		memcpy(f->instance, it.instance, sizeof(f->instance));
		f->created_ns = it.created_ns;
		f->size_done = 0;
		rc = progress_read(pg, f);
		if (rc < 0)
			goto out;
	}

	/* The escaped row prefix of this file: "instance\tcreated_ns". */
	size_t o = 0;
	for (const char *s = f->instance; *s && o + 2 < sizeof(pg->prefix) - 24; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\\')
			pg->prefix[o++] = '\\';
		pg->prefix[o++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	snprintf(pg->prefix + o, sizeof(pg->prefix) - o, "\t%" PRId64, (int64_t)f->created_ns);
	pg->time_ns = f->last_time_ns ? f->last_time_ns : f->created_ns;
	pg->time_fmt[0] = '\0';

	/* Resume after the last stored record (the file only grows: its offset stays). */
	if (f->last_off >= FP_STORE_HDR_SIZE && f->last_off <= it.size) {
		it.off = f->last_off;
		it.last_seq = f->last_seq;
	}
	uint32_t batch = pg->opts.batch ? pg->opts.batch : PG_BATCH_DEFAULT;
	batch_reset(pg);
	for (;;) {
		rc = fp_store_journal_iter_next(&it, &rec);
		if (rc == 1) {
			if (rec.seq <= f->last_seq)
				continue;
			record_encode(pg, &rec);
			if (++pg->nb_batch >= batch) {
				rc = batch_commit(pg, f, it.last_seq, it.off);
				if (rc < 0)
					goto out;
				if (pg->opts.stop && *pg->opts.stop) {
					rc = FP_STORE_PG_STOPPED;
					goto out;
				}
			}
			continue;
		}
		if (rc == 0) {
			rc = batch_commit(pg, f, it.last_seq, it.off);
			if (rc == 0) {
				f->size_done = it.size;
				rc = FP_STORE_PG_CLEAN;
			}
			goto out;
		}
		/* damaged: a record being written (not yet), or damage before valid records;
		 * either way what precedes it is good and stored first */
		char what[256];
		snprintf(what, sizeof(what), "%s", fp_err_msg());
		char *loc = strrchr(what, '(');
		if (loc && loc > what && strstr(loc, ".c:"))
			loc[-1] = '\0'; /* the reader's source location */
		struct fp_store_record found;
		bool torn = fp_store_journal_iter_torn(&it, &found);
		rc = batch_commit(pg, f, it.last_seq, it.off);
		if (rc == 0 && torn)
			rc = FP_STORE_PG_TAIL;
		else if (rc == 0)
			rc = fp_err_set(
				-EBADMSG,
				"journal %s is damaged in the middle (%s) and valid records "
				"follow; records up to sequence %" PRIu64 " are stored",
				path, what, f->last_seq);
		goto out;
	}
out:
	fp_store_journal_iter_close(&it);
	return rc;
}

/* ---- directories ---- */

/* "<instance>-YYYYMMDD.fpj" (of @instance when set): the offset of the date, else 0. */
static size_t journal_name(const char *name, const char *instance)
{
	size_t len = strlen(name);
	if (len < 15 || strcmp(name + len - 4, ".fpj"))
		return 0;
	size_t d = len - 12;
	if (name[d - 1] != '-')
		return 0;
	for (size_t i = d; i < d + 8; i++)
		if (!isdigit((unsigned char)name[i]))
			return 0;
	if (instance && (strlen(instance) != d - 1 || strncmp(name, instance, d - 1)))
		return 0;
	return d;
}

static int by_date(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	size_t lx = strlen(x), ly = strlen(y);
	int c = strncmp(x + lx - 12, y + ly - 12, 8);
	return c ? c : strcmp(x, y);
}

static int load_dir(struct fp_store_pg *pg, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return fp_err_set(-errno, "cannot read directory %s: %s", dir, strerror(errno));
	char **names = NULL;
	size_t nb = 0, cap = 0;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!journal_name(e->d_name, pg->instance))
			continue;
		if (nb == cap) {
			cap = cap ? 2 * cap : 16;
			char **n = realloc(names, cap * sizeof(*n));
			if (!n) {
				rc = fp_err_set(-ENOMEM, "out of memory");
				break;
			}
			names = n;
		}
		if (asprintf(&names[nb], "%s/%s", dir, e->d_name) < 0) {
			rc = fp_err_set(-ENOMEM, "out of memory");
			break;
		}
		nb++;
	}
	closedir(d);
	if (rc == 0 && nb > 1) /* names is NULL while the directory has no journal yet */
		qsort(names, nb, sizeof(*names), by_date);
	bool tail = false;
	for (size_t i = 0; i < nb && rc == 0; i++) {
		int r = fp_store_pg_load_file(pg, names[i]);
		if (r == FP_STORE_PG_TAIL)
			tail = true;
		else if (r < 0 || r == FP_STORE_PG_STOPPED)
			rc = r;
	}
	for (size_t i = 0; i < nb; i++)
		free(names[i]);
	free(names);
	return rc ? rc : tail ? FP_STORE_PG_TAIL : FP_STORE_PG_CLEAN;
}

int fp_store_pg_load_path(struct fp_store_pg *pg, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return fp_err_set(-errno, "cannot read %s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return load_dir(pg, path);
	return fp_store_pg_load_file(pg, path);
}

/* ---- lifecycle ---- */

int fp_store_pg_open(const struct fp_store_pg_opts *opts, struct fp_store_pg **pgp)
{
	char *err = NULL, msg[512];
	const char *ci = opts->conninfo ? opts->conninfo : "";
	*pgp = NULL;
	PQconninfoOption *parsed = PQconninfoParse(ci, &err);
	if (!parsed) {
		one_line(ci, err ? err : "out of memory", msg, sizeof(msg));
		PQfreemem(err);
		return fp_err_set(-EINVAL, "bad connection string: %s", msg);
	}
	PQconninfoFree(parsed);

	struct fp_store_pg *pg = calloc(1, sizeof(*pg));
	if (!pg)
		return fp_err_set(-ENOMEM, "out of memory");
	pg->opts = *opts;
	pg->conninfo = strdup(ci);
	pg->instance = opts->instance ? strdup(opts->instance) : NULL;
	if (!pg->conninfo || (opts->instance && !pg->instance)) {
		fp_store_pg_close(pg);
		return fp_err_set(-ENOMEM, "out of memory");
	}
	pg->opts.conninfo = pg->conninfo;
	pg->opts.instance = pg->instance;
	int rc = pg_connect(pg);
	if (rc < 0) {
		fp_store_pg_close(pg);
		return rc;
	}
	*pgp = pg;
	return 0;
}

int fp_store_pg_reconnect(struct fp_store_pg *pg)
{
	return pg_connect(pg);
}

const struct fp_store_pg_stats *fp_store_pg_stats(const struct fp_store_pg *pg)
{
	return &pg->st;
}

void fp_store_pg_close(struct fp_store_pg *pg)
{
	if (!pg)
		return;
	if (pg->conn)
		PQfinish(pg->conn);
	for (size_t i = 0; i < pg->nb_files; i++)
		free(pg->files[i].path);
	free(pg->files);
	for (unsigned t = 0; t < FP_STORE_PG_NB_TABLES; t++)
		free(pg->rows[t].p);
	free(pg->sql.p);
	free(pg->conninfo);
	free(pg->instance);
	free(pg);
}
