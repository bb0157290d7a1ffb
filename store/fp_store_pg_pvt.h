/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_store_pg_pvt.h - @internal state shared by the three files of the PostgreSQL loader; do
 * not include it outside store/fp_store_pg*.c and their tests.
 *
 * The loader is three files, one idea each:
 *   fp_store_pg_copy.c  journal records -> COPY text rows (struct fp_store_pg_enc); no libpq,
 *                       so its tests need no server (tests/store_pg/check_fp_store_pg_copy.c)
 *   fp_store_pg_conn.c  connection, error classes, password redaction, migrations, lifecycle
 *   fp_store_pg_load.c  batches (COPY, INSERT ... ON CONFLICT, load_progress), files, folders
 * The connection is held as `struct pg_conn *`, libpq's own tag of PGconn, so that this
 * header does not pull in libpq-fe.h.
 *
 * Same contract as fp_store_pg.h: an offline process only; allocates, blocks, syscalls.
 */
#ifndef FP_STORE_PG_PVT_H
#define FP_STORE_PG_PVT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fp_store_journal.h"
#include "fp_store_pg.h"

/** Name and COPY column list of each table, in enum fp_store_pg_table order. */
struct fp_store_pg_table_def {
	const char *name;
	const char *cols;
};
extern const struct fp_store_pg_table_def fp_store_pg_tables[FP_STORE_PG_NB_TABLES];

/** A growable text buffer (COPY rows, SQL). */
struct fp_store_pg_buf {
	char *p;
	size_t len;
	size_t cap;
	int oom; /**< an allocation failed: the batch is refused at flush */
};

/** Append @p n bytes (sets oom on failure). */
void fp_store_pg_buf_mem(struct fp_store_pg_buf *b, const char *s, size_t n);
/** Append one byte. */
void fp_store_pg_buf_ch(struct fp_store_pg_buf *b, char c);

/** The COPY encoder: the rows of the batch being built, per table. */
struct fp_store_pg_enc {
	struct fp_store_pg_buf rows[FP_STORE_PG_NB_TABLES];
	uint32_t nb_rows[FP_STORE_PG_NB_TABLES];
	uint32_t nb_batch; /**< records in the batch (the caller counts them) */
	/* the file being loaded */
	char prefix[160]; /**< escaped "instance\tcreated_ns" */
	uint64_t time_ns; /**< carried wall clock */
	uint64_t time_fmt_ns;
	char time_fmt[64];
	/* names of risk reasons (fp_store_pg_opts), NULL when unknown */
	const char *(*reject_reason_name)(unsigned reason);
	const char *(*trip_reason_name)(unsigned reason);
};

/** Start encoding records of file (@p instance, @p created_ns), wall clock @p time_ns. */
void fp_store_pg_enc_file(struct fp_store_pg_enc *e, const char *instance, uint64_t created_ns,
			  uint64_t time_ns);
/** One record -> one row of one table (invariant (3) of fp_store_pg_load.c). */
void fp_store_pg_enc_record(struct fp_store_pg_enc *e, const struct fp_store_record *r);
/** Empty the batch (keeps the buffers). */
void fp_store_pg_enc_reset(struct fp_store_pg_enc *e);
/** True when an allocation failed since the last reset. */
bool fp_store_pg_enc_oom(const struct fp_store_pg_enc *e);
/** Free the buffers. */
void fp_store_pg_enc_free(struct fp_store_pg_enc *e);

/** A journal file this loader has seen. */
struct fp_store_pg_file {
	char *path;
	char instance[FP_STORE_INSTANCE_MAX];
	uint64_t created_ns;
	uint64_t last_seq;     /**< stored up to here (load_progress) */
	uint64_t last_off;     /**< file offset after last_seq */
	uint64_t last_time_ns; /**< carried time after last_seq */
	uint64_t size_done;    /**< file size when all of it was stored (0: not yet) */
	bool known;            /**< progress read from the database on this connection */
};

struct pg_conn; /* libpq's PGconn */

struct fp_store_pg {
	struct pg_conn *conn;
	char *conninfo;
	char *instance;
	struct fp_store_pg_opts opts;
	struct fp_store_pg_stats st;
	struct fp_store_pg_file *files;
	size_t nb_files;
	size_t cap_files;
	struct fp_store_pg_enc enc; /**< the batch being built */
	struct fp_store_pg_buf sql;
	char redacted_buf[256];
};

/* fp_store_pg_conn.c, for fp_store_pg_load.c */
struct pg_result;
/** The error of the last failed call on the connection, classified (-ENOTCONN, -EPROTO). */
int fp_store_pg_fail(struct fp_store_pg *pg, const struct pg_result *res, const char *what);
/** Run @p sql (no result rows wanted). @return 0 or fp_store_pg_fail()'s. */
int fp_store_pg_exec(struct fp_store_pg *pg, const char *sql, const char *what);
/** Roll back an open transaction, if any. */
void fp_store_pg_rollback(struct fp_store_pg *pg);

#endif /* FP_STORE_PG_PVT_H */
