/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_store_pg.h - the PostgreSQL loader: copies journal records (fp_store_journal.h, payloads
 * per shm/fp_journal.h) into the audit schema of deploy/sql/ with libpq, idempotently.
 *
 * Files: fp_store_pg_copy.c (records -> COPY rows, no libpq), fp_store_pg_conn.c (connection,
 * migrations), fp_store_pg_load.c (batches, files); their shared state is fp_store_pg_pvt.h.
 *
 * Who may call: an offline process of its own (`fastpath-ctl journal load`), never a worker:
 * it blocks on the network, allocates and makes syscalls. It only reads journal files, so a
 * database that is slow or down never slows the pipeline that writes them.
 *
 * How a file is loaded (fp_store_pg_load_file): records are read with the journal reader from
 * where load_progress says the last load stopped, decoded into COPY text rows per table,
 * and every batch of N records goes in one transaction: COPY into temporary staging tables,
 * INSERT ... SELECT ... ON CONFLICT DO NOTHING into the tables (key: instance, file creation
 * time, sequence), then load_progress moves on. A crash or a lost connection anywhere leaves
 * either the whole batch or none of it, and loading it again stores nothing twice. A damaged
 * record with nothing valid after it is the tail of a file being written: the load stops
 * there ("not yet") and a later call goes on from it.
 *
 * Errors (negative errno, text in fp_err_msg(), never a password):
 *   -EINVAL     bad connection string (PQconninfoParse refused it)
 *   -EACCES     the server refused the login (authentication, pg_hba.conf)
 *   -ENOTCONN   the server is unreachable or the connection was lost (retry later)
 *   -ENOENT     no such file or directory
 *   -EBADMSG    a journal damaged in the middle (valid records after the damage), or a
 *               header that is not a journal's
 *   -EPROTO     the server refused a statement (schema, constraint): not worth a retry
 */
#ifndef FP_STORE_PG_H
#define FP_STORE_PG_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct pg_conn;

/** A versioned migration of deploy/sql/, embedded at build time (NNN_name.sql). */
struct fp_store_pg_migration {
	unsigned version; /**< NNN */
	const char *name; /**< "001_init" */
	const char *sql;
};

/** The migrations in version order (generated from deploy/sql/ by fp_store_pg.cmake). */
extern const struct fp_store_pg_migration fp_store_pg_migrations[];
extern const unsigned fp_store_pg_nb_migrations;

/** Tables the loader fills (index of fp_store_pg_stats.rows). */
enum fp_store_pg_table {
	FP_STORE_PG_ORDERS = 0,
	FP_STORE_PG_EXECUTIONS,
	FP_STORE_PG_RISK_EVENTS,
	FP_STORE_PG_CONTROL_ACTIONS,
	FP_STORE_PG_SESSIONS,
	FP_STORE_PG_POSITIONS,
	FP_STORE_PG_PNL_SNAPSHOTS,
	FP_STORE_PG_STORE_STARTS,
	FP_STORE_PG_OTHER_RECORDS,
	FP_STORE_PG_NB_TABLES
};

/** Name of a table ("orders", ...). */
const char *fp_store_pg_table_name(enum fp_store_pg_table t);

/** Options of a loader. */
struct fp_store_pg_opts {
	const char *conninfo; /**< libpq URL or key=value string ("" = libpq's PG* defaults) */
	const char *instance; /**< load only files of this instance (NULL: any) */
	uint32_t batch;       /**< records per transaction (0: 5000) */
	/** Names of risk reject reasons and breaker trip reasons (risk/), NULL when unknown:
	 *  the loader fills risk_events.reason_name with them. */
	const char *(*reject_reason_name)(unsigned reason);
	const char *(*trip_reason_name)(unsigned reason);
	/** When set and *stop becomes non-zero (a signal handler's flag), a load ends after
	 *  the batch in progress with FP_STORE_PG_STOPPED. */
	const volatile sig_atomic_t *stop;
	/** application_name of the connection (NULL: "fastpath-ctl journal load"). */
	const char *app_name;
	/** A connection that loads nothing (fastpath-ctl firm): no staging tables. */
	int no_staging;
};

/** What a loader did so far (fp_store_pg_stats). */
struct fp_store_pg_stats {
	uint64_t records;                              /**< records read and committed */
	uint64_t rows;                                 /**< new rows (records not stored before) */
	uint64_t rows_by_table[FP_STORE_PG_NB_TABLES]; /**< new rows per table */
	uint64_t batches;                              /**< transactions committed */
	uint64_t files;                                /**< files visited */
	uint64_t migrations;                           /**< migrations applied by this loader */
};

/** Result of fp_store_pg_load_file() and fp_store_pg_load_path(). */
enum fp_store_pg_end {
	FP_STORE_PG_CLEAN = 0,   /**< every record of the file is stored */
	FP_STORE_PG_TAIL = 1,    /**< stopped at a torn tail (a record being written): not yet */
	FP_STORE_PG_SKIPPED = 2, /**< a file of another instance than opts.instance */
	FP_STORE_PG_STOPPED = 3, /**< *opts.stop was set: ended after a committed batch */
};

struct fp_store_pg;

/**
 * Connect, apply the missing migrations (one transaction, under an advisory lock so that
 * two loaders never race) and prepare the staging tables.
 * @return 0 and *pgp, or -EINVAL, -EACCES, -ENOTCONN, -EPROTO, -ENOMEM (see the file comment).
 *         On failure *pgp is NULL.
 */
int fp_store_pg_open(const struct fp_store_pg_opts *opts, struct fp_store_pg **pgp);

/** Close the connection (NULL is accepted). Pair of fp_store_pg_open(). */
void fp_store_pg_close(struct fp_store_pg *pg);

/**
 * Drop the connection and connect again (after -ENOTCONN); what is known about the files'
 * progress is forgotten and read again from load_progress.
 * @return 0 or the errors of fp_store_pg_open().
 */
int fp_store_pg_reconnect(struct fp_store_pg *pg);

/**
 * Load the records of journal file @p path that are not stored yet.
 * @return an enum fp_store_pg_end, or a negative errno.
 */
int fp_store_pg_load_file(struct fp_store_pg *pg, const char *path);

/**
 * Load @p path: a journal file, or a directory whose journal files (<instance>-YYYYMMDD.fpj,
 * of opts.instance when set) are loaded oldest first. Files that did not change size since
 * this loader stored all of them are not read again.
 * @return FP_STORE_PG_CLEAN, FP_STORE_PG_TAIL (one file stopped at a torn tail),
 *         FP_STORE_PG_STOPPED, or a negative errno (the first error; the files before it
 *         are loaded).
 */
int fp_store_pg_load_path(struct fp_store_pg *pg, const char *path);

/**
 * The loader's libpq connection (PGconn *, whose tag is struct pg_conn), for a caller that
 * runs statements of its own on it (fastpath-ctl firm: the firm tables of deploy/sql/). Valid
 * until the next fp_store_pg_reconnect() or fp_store_pg_close(); the caller leaves it idle
 * (no transaction open) between calls into the loader.
 */
struct pg_conn *fp_store_pg_conn(struct fp_store_pg *pg);

/** What this loader did. */
const struct fp_store_pg_stats *fp_store_pg_stats(const struct fp_store_pg *pg);

/**
 * Copy @p conninfo into @p buf (of @p size bytes) with any password replaced by "***", for
 * messages. Works on URLs (postgresql://user:pw@host/db) and key=value strings.
 */
void fp_store_pg_redact(const char *conninfo, char *buf, size_t size);

#endif /* FP_STORE_PG_H */
