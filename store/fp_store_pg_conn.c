/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_store_pg_conn.c - the PostgreSQL loader's connection (see fp_store_pg.h): connect,
 * classify errors, keep passwords out of every message, apply the migrations of deploy/sql/
 * (embedded by fp_store_pg.cmake), open and close.
 *
 * Offline process only (fastpath-ctl): blocks on libpq, allocates, syscalls.
 */
#include <errno.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_err.h"
#include "fp_store_pg_pvt.h"

#define PG_LOCK_KEY "1718644839" /* 0x66707067 "fppg": migrations one loader at a time */

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

int fp_store_pg_fail(struct fp_store_pg *pg, const PGresult *res, const char *what)
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
int fp_store_pg_exec(struct fp_store_pg *pg, const char *sql, const char *what)
{
	PGresult *res = PQexec(pg->conn, sql);
	ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	int rc = (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) ? 0
								 : fp_store_pg_fail(pg, res, what);
	PQclear(res);
	return rc;
}

void fp_store_pg_rollback(struct fp_store_pg *pg)
{
	if (PQstatus(pg->conn) == CONNECTION_OK && PQtransactionStatus(pg->conn) != PQTRANS_IDLE)
		PQclear(PQexec(pg->conn, "ROLLBACK"));
}

/* Apply the embedded migrations that schema_migrations lacks (one transaction). */
static int pg_migrate(struct fp_store_pg *pg)
{
	char sql[256];
	int rc = fp_store_pg_exec(pg,
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
		rc = fp_store_pg_fail(pg, res, "reading schema_migrations");
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
		rc = fp_store_pg_exec(pg, mg->sql, mg->name);
		if (rc < 0) {
			PQclear(res);
			fp_err_append(rc, "migration %s", mg->name);
			goto err;
		}
		snprintf(sql, sizeof(sql),
			 "INSERT INTO schema_migrations (version, name) VALUES (%u, '%s')",
			 mg->version, mg->name);
		rc = fp_store_pg_exec(pg, sql, "recording a migration");
		if (rc < 0) {
			PQclear(res);
			goto err;
		}
		pg->st.migrations++;
	}
	PQclear(res);
	return fp_store_pg_exec(pg, "COMMIT", "committing the migrations");
err:
	fp_store_pg_rollback(pg);
	return rc;
}

/* Temporary staging tables of this session: emptied by every COMMIT. */
static int pg_staging(struct fp_store_pg *pg)
{
	char sql[256];
	for (unsigned t = 0; t < FP_STORE_PG_NB_TABLES; t++) {
		snprintf(sql, sizeof(sql),
			 "CREATE TEMP TABLE IF NOT EXISTS s_%s (LIKE %s) ON COMMIT DELETE ROWS",
			 fp_store_pg_tables[t].name, fp_store_pg_tables[t].name);
		int rc = fp_store_pg_exec(pg, sql, "creating a staging table");
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
	const char *vals[] = {"5",
			      pg->opts.app_name ? pg->opts.app_name : "fastpath-ctl journal load",
			      pg->conninfo, NULL};

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
	int rc = fp_store_pg_exec(pg,
				  "SET client_min_messages = warning; SET synchronous_commit = off",
				  "session settings");
	if (rc == 0)
		rc = pg_migrate(pg);
	if (rc == 0 && !pg->opts.no_staging)
		rc = pg_staging(pg);
	for (size_t i = 0; i < pg->nb_files; i++)
		pg->files[i].known = false; /* (2) */
	return rc;
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
	pg->enc.reject_reason_name = opts->reject_reason_name;
	pg->enc.trip_reason_name = opts->trip_reason_name;
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
	fp_store_pg_enc_free(&pg->enc);
	free(pg->sql.p);
	free(pg->conninfo);
	free(pg->instance);
	free(pg);
}

struct pg_conn *fp_store_pg_conn(struct fp_store_pg *pg)
{
	return pg->conn;
}
