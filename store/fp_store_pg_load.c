/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_store_pg_load.c - the PostgreSQL loader's batches and files (see fp_store_pg.h; schema
 * in deploy/sql/, rows encoded by fp_store_pg_copy.c).
 *
 * Offline process only (fastpath-ctl journal load): blocks on libpq, allocates, syscalls.
 *
 * Invariants:
 *   (1) Rows and the load_progress line that covers them commit in one transaction, so the
 *       progress never claims a row that is not stored, and a row stored without its progress
 *       (impossible by (1), or a second loader) is only skipped by ON CONFLICT next time.
 *   (2) The in-memory progress of a file (struct fp_store_pg_file) moves only after a COMMIT
 *       returned; after any error it is re-read from the database (fp_store_pg_reconnect
 *       clears it).
 *   (3) A record maps to exactly one row of exactly one table (fp_store_pg_enc_record), so
 *       that the row count over the tables equals the journal's record count.
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

#include "fp_err.h"
#include "fp_store_pg_pvt.h"

#define PG_BATCH_DEFAULT 5000u

/* ---- batches ---- */

static void batch_reset(struct fp_store_pg *pg)
{
	fp_store_pg_enc_reset(&pg->enc);
}

static int copy_in(struct fp_store_pg *pg, unsigned t)
{
	char sql[512];
	snprintf(sql, sizeof(sql), "COPY s_%s (%s) FROM STDIN", fp_store_pg_tables[t].name,
		 fp_store_pg_tables[t].cols);
	PGresult *res = PQexec(pg->conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		int rc = fp_store_pg_fail(pg, res, "COPY");
		PQclear(res);
		return rc;
	}
	PQclear(res);
	const struct fp_store_pg_buf *b = &pg->enc.rows[t];
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
			rc = fp_store_pg_fail(pg, res, "COPY");
		PQclear(res);
	}
	if (rc == 0 && ok != 1)
		rc = fp_store_pg_fail(pg, NULL, "COPY");
	return rc;
}

/* Store the batch and the progress of @f after it in one transaction (1), (2). */
static int batch_commit(struct fp_store_pg *pg, struct fp_store_pg_file *f, uint64_t last_seq,
			uint64_t last_off)
{
	uint64_t added[FP_STORE_PG_NB_TABLES] = {0}, total = 0;
	PGresult *res;
	int rc = 0;

	if (pg->enc.nb_batch == 0)
		return 0;
	if (fp_store_pg_enc_oom(&pg->enc)) {
		batch_reset(pg);
		return fp_err_set(-ENOMEM, "out of memory for a batch of COPY rows");
	}
	rc = fp_store_pg_exec(pg, "BEGIN", "BEGIN");
	for (unsigned t = 0; t < FP_STORE_PG_NB_TABLES && rc == 0; t++)
		if (pg->enc.nb_rows[t])
			rc = copy_in(pg, t);
	if (rc < 0)
		goto err;

	/* One round trip: an INSERT per table, each answering with its own row count. */
	struct fp_store_pg_buf *q = &pg->sql;
	unsigned order[FP_STORE_PG_NB_TABLES], nb = 0;
	q->len = 0;
	for (unsigned t = 0; t < FP_STORE_PG_NB_TABLES; t++) {
		if (!pg->enc.nb_rows[t])
			continue;
		order[nb++] = t;
		char sql[1024];
		int n = snprintf(sql, sizeof(sql),
				 "INSERT INTO %s (%s) SELECT %s FROM s_%s ON CONFLICT DO NOTHING;",
				 fp_store_pg_tables[t].name, fp_store_pg_tables[t].cols,
				 fp_store_pg_tables[t].cols, fp_store_pg_tables[t].name);
		fp_store_pg_buf_mem(q, sql, (size_t)n);
	}
	fp_store_pg_buf_ch(q, '\0');
	if (q->oom) {
		rc = fp_err_set(-ENOMEM, "out of memory for a batch");
		goto err;
	}
	if (!PQsendQuery(pg->conn, q->p)) {
		rc = fp_store_pg_fail(pg, NULL, "INSERT");
		goto err;
	}
	for (unsigned i = 0; (res = PQgetResult(pg->conn)); i++) {
		if (rc == 0 && PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = fp_store_pg_fail(pg, res, "INSERT");
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
		rc = fp_store_pg_fail(pg, NULL, "escaping the instance name");
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
		 (int64_t)pg->enc.time_ns, total);
	PQfreemem(lit);
	rc = fp_store_pg_exec(pg, sql, "COMMIT");
	if (rc < 0)
		goto err;

	/* Committed: the progress moves (2). */
	f->last_seq = last_seq;
	f->last_off = last_off;
	f->last_time_ns = pg->enc.time_ns;
	pg->st.records += pg->enc.nb_batch;
	pg->st.rows += total;
	for (unsigned t = 0; t < FP_STORE_PG_NB_TABLES; t++)
		pg->st.rows_by_table[t] += added[t];
	pg->st.batches++;
	batch_reset(pg);
	return 0;
err:
	fp_store_pg_rollback(pg);
	batch_reset(pg);
	return rc;
}
/* ---- files ---- */

static struct fp_store_pg_file *file_by_path(struct fp_store_pg *pg, const char *path)
{
	for (size_t i = 0; i < pg->nb_files; i++)
		if (!strcmp(pg->files[i].path, path))
			return &pg->files[i];
	return NULL;
}

static struct fp_store_pg_file *file_add(struct fp_store_pg *pg, const char *path)
{
	if (pg->nb_files == pg->cap_files) {
		size_t cap = pg->cap_files ? 2 * pg->cap_files : 16;
		struct fp_store_pg_file *fs = realloc(pg->files, cap * sizeof(*fs));
		if (!fs)
			return NULL;
		pg->files = fs;
		pg->cap_files = cap;
	}
	struct fp_store_pg_file *f = &pg->files[pg->nb_files];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	if (!f->path)
		return NULL;
	pg->nb_files++;
	pg->st.files = pg->nb_files;
	return f;
}

/* Register the file and read how far it was loaded (load_progress). */
static int progress_read(struct fp_store_pg *pg, struct fp_store_pg_file *f)
{
	char *inst = PQescapeLiteral(pg->conn, f->instance, strlen(f->instance));
	char *path = PQescapeLiteral(pg->conn, f->path, strlen(f->path));
	char *sql = NULL;
	int rc = 0;
	if (!inst || !path) {
		rc = fp_store_pg_fail(pg, NULL, "escaping a literal");
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
		rc = fp_store_pg_fail(pg, res, "reading load_progress");
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
	struct fp_store_pg_file *f = file_by_path(pg, path);
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

	fp_store_pg_enc_file(&pg->enc, f->instance, f->created_ns,
			     f->last_time_ns ? f->last_time_ns : f->created_ns);

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
			fp_store_pg_enc_record(&pg->enc, &rec);
			if (++pg->enc.nb_batch >= batch) {
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
