/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_cli_jload.c - `fastpath-ctl journal load` and `journal migrate`: journal files into
 * PostgreSQL through the loader of store/fp_store_pg.h, once or following the files.
 *
 * fastpath-ctl only: its own process, never a worker. It reads the journal files the store
 * writes and nothing else of the instance (no segment), so a database that is slow or down
 * delays only this process, never the pipeline.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fp_ctl_cli.h"
#include "fp_err.h"
#include "fp_risk_breaker.h"
#include "fp_risk_limits.h"
#include "fp_store_pg.h"

#define POLL_MS        200  /**< follow: how often the files are looked at */
#define BACKOFF_MIN_MS 500  /**< follow: first retry after losing the database */
#define BACKOFF_MAX_MS 5000 /**< ... doubling up to this */

const char fp_cli_journal_load_help[] =
	"\n"
	"  PATH             a journal file, or a directory: its <instance>-YYYYMMDD.fpj files,\n"
	"                   oldest first\n"
	"  --db URL         libpq connection URL or key=value string (default $FASTPATH_DB);\n"
	"                   keep the password in ~/.pgpass or $PGPASSWORD, not in the URL\n"
	"  --instance NAME  only the files of instance NAME\n"
	"  --follow         keep loading what is appended and new day files until SIGINT or\n"
	"                   SIGTERM; when the database is down, retry (0.5 s doubling to 5 s)\n"
	"                   and catch up once it is back\n"
	"  --batch N        records per transaction (default 5000)\n"
	"Missing migrations of deploy/sql are applied on connect. Loading again stores nothing\n"
	"twice; a torn tail (a record being written) is left for the next run.\n"
	"exit codes: 0 done, 1 failed (the database refused a statement), 2 bad arguments or\n"
	"  URL, 5 login refused, 6 journal damaged in the middle, 7 database unreachable\n"
	"  (without --follow); a missing PATH is 1.\n";

static volatile sig_atomic_t jload_stop;

static void on_signal(int sig)
{
	(void)sig;
	jload_stop = 1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Sleep @ms, waking early on a stop signal. */
static void nap(unsigned ms)
{
	for (unsigned done = 0; done < ms && !jload_stop; done += 50) {
		struct timespec ts = {0, (long)FP_MIN(50u, ms - done) * 1000000L};
		nanosleep(&ts, NULL);
	}
}

/* Exit code of a loader error, after its one-line message. */
static int jload_fail(int rc)
{
	int code = FP_CLI_FAILED;
	switch (rc) {
	case -EINVAL:
		code = FP_CLI_USAGE;
		break;
	case -EACCES:
		code = FP_CLI_PERM;
		break;
	case -EBADMSG:
		code = FP_CLI_BAD_SEGMENT;
		break;
	case -ENOTCONN:
		code = FP_CLI_NO_DB;
		break;
	}
	return fp_cli_fail(code, "%s", fp_err_msg());
}

/* Hide the password of --db in our argv, so that ps(1) does not show it (the loader keeps
 * its own copy). */
static void argv_hide_password(char *arg)
{
	char red[1024];
	fp_store_pg_redact(arg, red, sizeof(red));
	if (strcmp(red, arg) && strlen(red) <= strlen(arg)) {
		size_t n = strlen(arg);
		memcpy(arg, red, strlen(red));
		memset(arg + strlen(red), ' ', n - strlen(red));
	}
}

struct jload_args {
	const char *path;
	char *db;
	uint32_t batch;
	int follow;
};

static int jload_parse(struct fp_cli *c, struct jload_args *a, int want_path)
{
	const char *env = getenv("FASTPATH_DB");
	memset(a, 0, sizeof(*a));
	for (int i = 0; i < c->argc; i++) {
		const char *s = c->argv[i];
		if (!strcmp(s, "--db") || !strncmp(s, "--db=", 5)) {
			char *v = s[4] == '=' ? c->argv[i] + 5
					      : (i + 1 < c->argc ? c->argv[++i] : NULL);
			if (!v)
				return fp_cli_fail(FP_CLI_USAGE, "--db needs a URL");
			free(a->db);
			a->db = strdup(v);
			argv_hide_password(v);
		} else if (!strcmp(s, "--follow") && want_path) {
			a->follow = 1;
		} else if (!strcmp(s, "--batch") && want_path) {
			char *end = NULL;
			unsigned long v = i + 1 < c->argc ? strtoul(c->argv[++i], &end, 10) : 0;
			if (!end || *end || v == 0 || v > 1000000)
				return fp_cli_fail(FP_CLI_USAGE,
						   "--batch needs a count of 1..1000000");
			a->batch = (uint32_t)v;
		} else if (s[0] == '-' && s[1]) {
			return fp_cli_fail(FP_CLI_USAGE, "unknown option '%s' (see --help)", s);
		} else if (want_path && !a->path) {
			a->path = s;
		} else {
			return fp_cli_fail(FP_CLI_USAGE, "unexpected argument '%s' (see --help)",
					   s);
		}
	}
	if (want_path && !a->path)
		return fp_cli_fail(FP_CLI_USAGE, "journal load needs a PATH (file or directory)");
	if (!a->db && env)
		a->db = strdup(env);
	if (!a->db)
		return fp_cli_fail(FP_CLI_USAGE, "no database: pass --db URL or set FASTPATH_DB");
	return 0;
}

static void jload_summary(struct fp_cli *c, const struct fp_store_pg_stats *st, double secs,
			  const char *tail)
{
	struct fp_cli_out *o = &c->out;
	if (!c->json) {
		printf("loaded %" PRIu64 " records (%" PRIu64 " new rows) from %" PRIu64
		       " files in %.2f s (%.0f records/s), %" PRIu64 " transactions",
		       st->records, st->rows, st->files, secs,
		       secs > 0 ? (double)st->records / secs : 0.0, st->batches);
		for (unsigned t = 0; t < FP_STORE_PG_NB_TABLES; t++)
			if (st->rows_by_table[t])
				printf("%s %s %" PRIu64, t ? "," : ":",
				       fp_store_pg_table_name((enum fp_store_pg_table)t),
				       st->rows_by_table[t]);
		printf("\n");
		if (tail)
			printf("stopped at a torn tail (a record being written?): %s\n", tail);
		return;
	}
	fp_cli_obj(o, NULL);
	fp_cli_u64(o, "records", st->records);
	fp_cli_u64(o, "rows", st->rows);
	fp_cli_u64(o, "files", st->files);
	fp_cli_u64(o, "batches", st->batches);
	fp_cli_u64(o, "migrations", st->migrations);
	fp_cli_dbl(o, "seconds", secs);
	fp_cli_dbl(o, "records_per_s", secs > 0 ? (double)st->records / secs : 0.0);
	fp_cli_bool(o, "torn_tail", tail != NULL);
	fp_cli_obj(o, "tables");
	for (unsigned t = 0; t < FP_STORE_PG_NB_TABLES; t++)
		fp_cli_u64(o, fp_store_pg_table_name((enum fp_store_pg_table)t),
			   st->rows_by_table[t]);
	fp_cli_end(o);
	fp_cli_end(o);
}

/* Connect, or in follow mode retry until the database answers (or a stop signal). */
static int jload_connect(const struct fp_store_pg_opts *opts, int follow, struct fp_store_pg **pg)
{
	unsigned backoff = BACKOFF_MIN_MS;
	int said = 0;
	for (;;) {
		int rc = fp_store_pg_open(opts, pg);
		if (rc != -ENOTCONN || !follow)
			return rc;
		if (!said) {
			fprintf(stderr, "fastpath-ctl: %s; retrying every %.1f..%.1f s\n",
				fp_err_msg(), BACKOFF_MIN_MS / 1e3, BACKOFF_MAX_MS / 1e3);
			said = 1;
		}
		nap(backoff);
		if (jload_stop)
			return -EINTR;
		backoff = FP_MIN(2 * backoff, BACKOFF_MAX_MS);
	}
}

/* journal load PATH --db URL [--instance NAME] [--follow] [--batch N] */
int fp_cli_journal_load(struct fp_cli *c)
{
	struct jload_args a;
	struct fp_store_pg *pg = NULL;
	int rc = jload_parse(c, &a, 1);
	if (rc)
		goto out;
	struct fp_store_pg_opts opts = {
		.conninfo = a.db,
		.instance = c->instance_set ? c->instance : NULL,
		.batch = a.batch,
		.reject_reason_name = fp_risk_reason_name,
		.trip_reason_name = fp_risk_trip_name,
		.stop = &jload_stop,
	};
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: sleeps end early */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	double t0 = now_s();
	rc = jload_connect(&opts, a.follow, &pg);
	if (rc == -EINTR) {
		rc = FP_CLI_OK;
		goto out;
	}
	if (rc < 0) {
		rc = jload_fail(rc);
		goto out;
	}
	char tail[512] = "";
	double down_since = 0;
	unsigned backoff = BACKOFF_MIN_MS;
	for (;;) {
		int r = fp_store_pg_load_path(pg, a.path);
		if (r == -ENOTCONN && a.follow) {
			/* Lost the database: say it once, retry with backoff, catch up after. */
			if (down_since == 0) {
				fprintf(stderr,
					"fastpath-ctl: %s; retrying every %.1f..%.1f s, the "
					"journal "
					"keeps everything meanwhile\n",
					fp_err_msg(), BACKOFF_MIN_MS / 1e3, BACKOFF_MAX_MS / 1e3);
				down_since = now_s();
			}
			nap(backoff);
			backoff = FP_MIN(2 * backoff, BACKOFF_MAX_MS);
			if (jload_stop)
				break;
			if (fp_store_pg_reconnect(pg) == 0) {
				fprintf(stderr,
					"fastpath-ctl: database back after %.1f s; catching up\n",
					now_s() - down_since);
				down_since = 0;
				backoff = BACKOFF_MIN_MS;
			}
			continue;
		}
		if (r < 0) {
			rc = jload_fail(r);
			goto out;
		}
		if (r == FP_STORE_PG_STOPPED)
			break;
		if (!a.follow) {
			if (r == FP_STORE_PG_TAIL)
				snprintf(tail, sizeof(tail), "%s: run again to load the rest",
					 a.path);
			if (r == FP_STORE_PG_SKIPPED) {
				rc = fp_cli_fail(FP_CLI_FAILED,
						 "%s is not a journal of instance '%s'", a.path,
						 c->instance);
				goto out;
			}
			break;
		}
		nap(POLL_MS);
		if (jload_stop)
			break;
	}
	jload_summary(c, fp_store_pg_stats(pg), now_s() - t0, tail[0] ? tail : NULL);
	rc = FP_CLI_OK;
out:
	fp_store_pg_close(pg);
	free(a.db);
	return rc;
}

/* journal migrate --db URL */
int fp_cli_journal_migrate(struct fp_cli *c)
{
	struct jload_args a;
	struct fp_store_pg *pg = NULL;
	int rc = jload_parse(c, &a, 0);
	if (rc == 0) {
		struct fp_store_pg_opts opts = {.conninfo = a.db};
		rc = fp_store_pg_open(&opts, &pg);
		if (rc < 0) {
			rc = jload_fail(rc);
		} else {
			unsigned last =
				fp_store_pg_nb_migrations
					? fp_store_pg_migrations[fp_store_pg_nb_migrations - 1]
						  .version
					: 0;
			printf("schema at version %u: %" PRIu64 " migrations applied now\n", last,
			       fp_store_pg_stats(pg)->migrations);
			rc = FP_CLI_OK;
		}
	}
	fp_store_pg_close(pg);
	free(a.db);
	return rc;
}
