/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_cli_firm.c - `fastpath-ctl firm`: many instances, one firm, through PostgreSQL
 * (docs/scale.md; tables and views in deploy/sql/002_firm.sql).
 *
 *   firm status   the firm-wide view over every instance's loaded journal
 *   firm kill     record who/when/why in firm_actions, NOTIFY fp_firm, wait for the acks
 *   firm unkill   the same; succeeds once every instance acknowledged and is armed again
 *   firm budget   the firm's gross limit and each instance's share of it
 *   firm listen   an instance's end of the channel: a process of its own beside the
 *                 instance (attached read-write to its segment), never a worker
 *
 * The listener (one per instance) LISTENs on fp_firm. A kill notification carries the
 * action's id, who and why, so the listener trips the instance's kill switch
 * (fp_shm_ctl_kill, the same cold API as `fastpath-ctl kill`) before its first round trip,
 * then acknowledges in firm_instances and NOTIFYs fp_firm_ack. A budget change makes it read
 * its row and publish firm_gross_budget in the risk limits region (fp_risk_limits_publish),
 * then write applied_budget: the sum rule of 002_firm.sql counts the larger of the budget
 * and what is applied, so the instances' limits never sum above the firm's.
 *
 * Fail closed: a watchdog thread trips the kill switch when no round trip with the database
 * succeeded for --fail-closed-ms (whatever the main thread is blocked on), and says so on
 * stderr, in the change record and, once the database is back, in firm_instances.note. A
 * later firm unkill (a new action) or `fastpath-ctl unkill` re-arms it. The watchdog counts
 * from the listener's start: one that cannot finish its first round trip in time trips too,
 * and a listener that starts re-applies a firm kill in force but never an unkill that the
 * instance acknowledged before (so a restart re-arms nothing that fail closed tripped).
 *
 * Invariant (F1): the listener re-arms only a kill switch that the firm tripped (by an action
 * or by its fail-closed watchdog); a switch tripped by anyone else (a breaker, an operator)
 * stays tripped, and the listener's acknowledgement says why.
 *
 * fastpath-ctl only; cold: blocks on libpq, allocates, prints.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fp_ctl_cli.h"
#include "fp_err.h"
#include "fp_risk_limits.h"
#include "fp_shm_ctl.h"
#include "fp_store_pg.h"

#define FIRM_CHANNEL     "fp_firm"
#define FIRM_ACK_CHANNEL "fp_firm_ack"
#define WAIT_MS_DEFAULT  5000u
#define FAIL_MS_DEFAULT  2000u

const char fp_cli_firm_help[] =
	"\n"
	"  --db URL            libpq URL or key=value string (default $FASTPATH_DB)\n"
	"  --reason R          kill/unkill: why (recorded in firm_actions)\n"
	"  --wait-ms N         kill/unkill/budget: wait this long for every listening instance's\n"
	"                      acknowledgement (default 5000; budget: 0 = do not wait)\n"
	"  --firm-gross X      budget: the firm's gross limit, price units (10000 = $1)\n"
	"  NAME=X              budget: instance NAME's share of it, price units\n"
	"  --fail-closed-ms N  listen: trip the instance's kill switch when the database was\n"
	"                      unreachable this long (default 2000)\n"
	"firm listen runs beside each instance (--instance NAME) until the instance stops or\n"
	"SIGINT/SIGTERM. Budgets move from A to B by lowering A first: the database refuses a\n"
	"sum above the firm limit, counting budgets not yet applied.\n"
	"exit codes: 0 done, 1 refused or not acknowledged by every instance in time, 2 bad\n"
	"  arguments, 5 login refused, 7 database unreachable.\n";

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- arguments and connection ---- */

struct firm_args {
	char *db;
	const char *reason;
	uint32_t wait_ms;
	uint32_t fail_ms;
	int64_t firm_gross; /**< -1: not given */
	const char *budgets[32];
	int nb_budgets;
};

static int parse_u32(const char *opt, const char *s, uint32_t max, uint32_t *out)
{
	char *end = NULL;
	unsigned long v = s ? strtoul(s, &end, 10) : 0;
	if (!s || !*s || *end || v > max)
		return fp_cli_fail(FP_CLI_USAGE, "%s needs a number 0..%u", opt, max);
	*out = (uint32_t)v;
	return 0;
}

static int firm_parse(struct fp_cli *c, struct firm_args *a, const char *cmd)
{
	const char *env = getenv("FASTPATH_DB");
	*a = (struct firm_args){
		.wait_ms = WAIT_MS_DEFAULT, .fail_ms = FAIL_MS_DEFAULT, .firm_gross = -1};
	bool budget = !strcmp(cmd, "budget"), listen = !strcmp(cmd, "listen");
	bool killish = !strcmp(cmd, "kill") || !strcmp(cmd, "unkill");
	for (int i = 0; i < c->argc; i++) {
		const char *s = c->argv[i], *v = i + 1 < c->argc ? c->argv[i + 1] : NULL;
		int rc = 0;
		if (!strcmp(s, "--db") && v) {
			free(a->db);
			a->db = strdup(v);
			i++;
		} else if (!strcmp(s, "--reason") && v && killish) {
			a->reason = v;
			i++;
		} else if (!strcmp(s, "--wait-ms") && (killish || budget)) {
			rc = parse_u32(s, v, 600000, &a->wait_ms);
			i++;
		} else if (!strcmp(s, "--fail-closed-ms") && listen) {
			rc = parse_u32(s, v, 3600000, &a->fail_ms);
			if (!rc && a->fail_ms < 50)
				rc = fp_cli_fail(FP_CLI_USAGE, "--fail-closed-ms must be >= 50");
			i++;
		} else if (!strcmp(s, "--firm-gross") && budget && v) {
			char *end;
			long long x = strtoll(v, &end, 10);
			if (!*v || *end || x < 0)
				rc = fp_cli_fail(FP_CLI_USAGE, "--firm-gross needs an amount >= 0");
			a->firm_gross = x;
			i++;
		} else if (budget && s[0] != '-' && strchr(s, '=') && a->nb_budgets < 32) {
			a->budgets[a->nb_budgets++] = s;
		} else {
			rc = fp_cli_fail(FP_CLI_USAGE,
					 "firm %s: unexpected argument '%s' (see --help)", cmd, s);
		}
		if (rc)
			return rc;
	}
	if (!a->db && env)
		a->db = strdup(env);
	if (!a->db)
		return fp_cli_fail(FP_CLI_USAGE, "firm %s needs --db URL (or $FASTPATH_DB)", cmd);
	return 0;
}

static int open_db(const char *db, const char *app, struct fp_store_pg **pg)
{
	struct fp_store_pg_opts o = {.conninfo = db, .app_name = app, .no_staging = 1};
	int rc = fp_store_pg_open(&o, pg);
	if (rc == 0)
		return 0;
	int code = rc == -EINVAL     ? FP_CLI_USAGE
		   : rc == -EACCES   ? FP_CLI_PERM
		   : rc == -ENOTCONN ? FP_CLI_NO_DB
				     : FP_CLI_FAILED;
	return fp_cli_fail(code, "%s", fp_err_msg());
}

/* Run @sql with text parameters; NULL and a message on failure (the result is cleared). */
static PGresult *q(PGconn *conn, const char *sql, int n, const char *const *params)
{
	PGresult *r = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType s = PQresultStatus(r);
	if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK)
		return r;
	char msg[512];
	snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(r));
	msg[strcspn(msg, "\n")] = '\0';
	fp_err_set(-EPROTO, "database: %s", msg[0] ? msg : PQerrorMessage(conn));
	PQclear(r);
	return NULL;
}

/* ---- firm status ---- */

/* Emit every row of @r as an object of its columns (numbers, booleans, text; NULL: left
 * out). */
static void emit_rows(struct fp_cli_out *o, const char *key, const PGresult *r)
{
	fp_cli_arr(o, key);
	for (int i = 0; i < PQntuples(r); i++) {
		fp_cli_obj(o, NULL);
		for (int j = 0; j < PQnfields(r); j++) {
			if (PQgetisnull(r, i, j))
				continue;
			const char *name = PQfname(r, j), *v = PQgetvalue(r, i, j);
			Oid t = PQftype(r, j);
			if (t == 20 || t == 21 || t == 23 || t == 1700) /* int8 int2 int4 numeric */
				fp_cli_i64(o, name, strtoll(v, NULL, 10));
			else if (t == 701) /* float8 */
				fp_cli_dbl(o, name, strtod(v, NULL));
			else if (t == 16) /* bool */
				fp_cli_bool(o, name, v[0] == 't');
			else
				fp_cli_str(o, name, v);
		}
		fp_cli_end(o);
	}
	fp_cli_end(o);
}

static const struct {
	const char *key;
	const char *sql;
} status_queries[] = {
	{"firm", "SELECT (SELECT max_gross FROM firm_limits) AS max_gross, "
		 "(SELECT coalesce(sum(gross_budget), 0) FROM firm_instances) AS budgets, "
		 "a.action AS last_action, a.id AS action_id, a.who, a.reason, "
		 "to_char(a.at, 'YYYY-MM-DD\"T\"HH24:MI:SS.US') AS at, e.* FROM firm_exposure e "
		 "LEFT JOIN (SELECT * FROM firm_actions ORDER BY id DESC LIMIT 1) a ON true"},
	/* each view computed once (MATERIALIZED), then joined on the instances' names */
	{"instances",
	 "WITH x AS MATERIALIZED (SELECT * FROM firm_exposure_instance), "
	 "y AS MATERIALIZED (SELECT * FROM firm_activity), "
	 "n AS (SELECT instance FROM firm_instances UNION SELECT instance FROM x "
	 "UNION SELECT instance FROM y) "
	 "SELECT n.instance, i.killed, i.acked_action, i.note, "
	 "round(extract(epoch FROM clock_timestamp() - i.last_seen) * 1000)::bigint "
	 "AS seen_ms_ago, i.gross_budget, i.applied_budget, x.position, x.gross, x.net, "
	 "x.realized, x.unreal, x.pnl, y.orders, y.orders_sent, y.fills, y.filled_shares, "
	 "y.risk_rejects FROM n LEFT JOIN firm_instances i USING (instance) "
	 "LEFT JOIN x USING (instance) LEFT JOIN y USING (instance) ORDER BY 1"},
	{"symbols", "SELECT * FROM firm_exposure_symbol ORDER BY gross DESC, symbol_id LIMIT 50"},
	{"open_orders", "SELECT instance, coid, strategy_id, symbol_id, side, qty, price FROM "
			"firm_open_orders ORDER BY instance, coid LIMIT 50"},
	{"risk_events", "SELECT instance, to_char(time, 'YYYY-MM-DD\"T\"HH24:MI:SS.US') AS time, "
			"kind, reason_name, strategy_id, symbol_id, coid FROM firm_risk_events "
			"LIMIT 20"},
};

/* firm status --db URL [--json] */
int fp_cli_firm_status(struct fp_cli *c)
{
	struct firm_args a;
	struct fp_store_pg *pg = NULL;
	int rc = firm_parse(c, &a, "status");
	if (!rc)
		rc = open_db(a.db, "fastpath-ctl firm status", &pg);
	free(a.db);
	if (rc)
		return rc;
	PGconn *conn = fp_store_pg_conn(pg);
	struct fp_cli_out *o = &c->out;
	PGresult *res[sizeof(status_queries) / sizeof(status_queries[0])] = {0};
	double ms[sizeof(res) / sizeof(res[0])];
	/* One snapshot: every view reads the same committed state. */
	PQclear(PQexec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
	for (unsigned i = 0; i < sizeof(res) / sizeof(res[0]) && !rc; i++) {
		uint64_t t0 = mono_ns();
		res[i] = q(conn, status_queries[i].sql, 0, NULL);
		ms[i] = (double)(mono_ns() - t0) / 1e6;
		if (!res[i])
			rc = fp_cli_fail(FP_CLI_FAILED, "%s", fp_err_msg());
	}
	PQclear(PQexec(conn, "COMMIT"));
	if (!rc) {
		fp_cli_obj(o, NULL);
		for (unsigned i = 0; i < sizeof(res) / sizeof(res[0]); i++)
			emit_rows(o, status_queries[i].key, res[i]);
		fp_cli_obj(o, "query_ms");
		for (unsigned i = 0; i < sizeof(res) / sizeof(res[0]); i++)
			fp_cli_dbl(o, status_queries[i].key, ms[i]);
		fp_cli_end(o);
		fp_cli_end(o);
	}
	for (unsigned i = 0; i < sizeof(res) / sizeof(res[0]); i++)
		PQclear(res[i]);
	fp_store_pg_close(pg);
	return rc;
}

/* ---- waiting for acknowledgements ---- */

/* Wait until @done_sql (one row, one boolean) answers true, woken by fp_firm_ack
 * notifications (LISTENed before the action), at most @wait_ms. @return 1 done, 0 not in
 * time, -1 error. */
static int wait_acks(PGconn *conn, const char *done_sql, const char *const *params, int n,
		     uint32_t wait_ms)
{
	uint64_t end = mono_ns() + (uint64_t)wait_ms * 1000000u;
	for (;;) {
		PGresult *r = q(conn, done_sql, n, params);
		if (!r)
			return -1;
		bool done = PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
		PQclear(r);
		if (done)
			return 1;
		uint64_t now = mono_ns();
		if (now >= end)
			return 0;
		struct pollfd p = {.fd = PQsocket(conn), .events = POLLIN};
		int left_ms = (int)((end - now + 999999u) / 1000000u);
		if (poll(&p, 1, left_ms) < 0 && errno != EINTR)
			return -1;
		if (!PQconsumeInput(conn))
			return -1;
		PGnotify *nt;
		while ((nt = PQnotifies(conn)))
			PQfreemem(nt);
	}
}

static void who_am_i(const struct fp_cli *c, char *who, size_t size)
{
	char host[64] = "";
	gethostname(host, sizeof(host) - 1);
	snprintf(who, size, "ctl:%s@%s", c->user, host);
}

/* firm kill|unkill --db URL [--reason R] [--wait-ms N] */
static int firm_kill_or_unkill(struct fp_cli *c, bool kill)
{
	const char *action = kill ? "kill" : "unkill";
	struct firm_args a;
	struct fp_store_pg *pg = NULL;
	int rc = firm_parse(c, &a, action);
	if (!rc)
		rc = open_db(a.db, "fastpath-ctl firm kill", &pg);
	free(a.db);
	if (rc)
		return rc;
	PGconn *conn = fp_store_pg_conn(pg);
	char who[96];
	who_am_i(c, who, sizeof(who));
	const char *reason = a.reason ? a.reason : kill ? "firm kill" : "firm unkill";
	const char *p[3] = {action, who, reason};
	PGresult *r = NULL;
	PQclear(PQexec(conn, "LISTEN " FIRM_ACK_CHANNEL));
	/* The record and the signal commit together: a listener that sees the notification
	 * finds the row. The payload carries id, who and why so that it can trip first. */
	if (!(r = q(conn,
		    "WITH a AS (INSERT INTO firm_actions (action, who, reason) VALUES ($1, $2, $3) "
		    "RETURNING id) SELECT id, pg_notify('" FIRM_CHANNEL
		    "', $1 || ':' || id || ':' || octet_length($2) || ':' || $2 || $3) FROM a",
		    3, p))) {
		fp_store_pg_close(pg);
		return fp_cli_fail(FP_CLI_FAILED, "%s", fp_err_msg());
	}
	char id[32];
	snprintf(id, sizeof(id), "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	printf("firm %s: action %s by %s: %s\n", action, id, who, reason);
	const char *pid[1] = {id};
	int w = wait_acks(
		conn,
		kill ? "SELECT coalesce(bool_and(acked_action >= $1 AND killed), true) FROM "
		       "firm_instances"
		     : "SELECT coalesce(bool_and(acked_action >= $1 AND NOT killed), true) "
		       "FROM firm_instances",
		pid, 1, a.wait_ms);
	r = q(conn,
	      "SELECT i.instance, i.acked_action >= $1, i.killed, i.note, "
	      "round(extract(epoch FROM i.acked_at - f.at) * 1e6)::bigint "
	      "FROM firm_instances i, firm_actions f WHERE f.id = $1 ORDER BY 1",
	      1, pid);
	int missing = 0;
	for (int i = 0; r && i < PQntuples(r); i++) {
		bool acked = PQgetvalue(r, i, 1)[0] == 't', killed = PQgetvalue(r, i, 2)[0] == 't';
		if (acked && killed == kill) {
			printf("  %s: %s, acknowledged in %.3f ms\n", PQgetvalue(r, i, 0),
			       killed ? "killed" : "armed",
			       (double)strtoll(PQgetvalue(r, i, 4), NULL, 10) / 1000.0);
		} else {
			missing++;
			printf("  %s: %s%s%s\n", PQgetvalue(r, i, 0),
			       acked ? (killed ? "acknowledged, still killed" : "armed")
				     : "no acknowledgement",
			       PQgetvalue(r, i, 3)[0] ? ": " : "", PQgetvalue(r, i, 3));
		}
	}
	if (r && PQntuples(r) == 0)
		printf("  no instance listens (start `fastpath-ctl firm listen` beside each)\n");
	PQclear(r);
	fp_store_pg_close(pg);
	if (w < 0 || !r)
		return fp_cli_fail(FP_CLI_FAILED, "%s", fp_err_msg());
	if (missing)
		return fp_cli_fail(FP_CLI_FAILED,
				   "firm %s: %d instance(s) did not acknowledge within %u ms "
				   "(the action is recorded; see `firm status`)",
				   action, missing, a.wait_ms);
	return FP_CLI_OK;
}

/* firm kill --db URL [--reason R] [--wait-ms N] */
int fp_cli_firm_kill(struct fp_cli *c)
{
	return firm_kill_or_unkill(c, true);
}

/* firm unkill --db URL [--reason R] [--wait-ms N] */
int fp_cli_firm_unkill(struct fp_cli *c)
{
	return firm_kill_or_unkill(c, false);
}

/* ---- firm budget ---- */

/* firm budget --db URL [--firm-gross X] [NAME=X...] [--wait-ms N] */
int fp_cli_firm_budget(struct fp_cli *c)
{
	struct firm_args a;
	struct fp_store_pg *pg = NULL;
	int rc = firm_parse(c, &a, "budget");
	if (!rc)
		rc = open_db(a.db, "fastpath-ctl firm budget", &pg);
	free(a.db);
	if (rc)
		return rc;
	PGconn *conn = fp_store_pg_conn(pg);
	char who[96], amount[32];
	who_am_i(c, who, sizeof(who));
	PQclear(PQexec(conn, "LISTEN " FIRM_ACK_CHANNEL));
	if (a.firm_gross >= 0) {
		snprintf(amount, sizeof(amount), "%" PRId64, a.firm_gross);
		const char *p[2] = {amount, who};
		PGresult *r = q(conn,
				"INSERT INTO firm_limits (max_gross, updated_by) VALUES ($1, $2) "
				"ON CONFLICT (one) DO UPDATE SET max_gross = EXCLUDED.max_gross, "
				"updated_by = EXCLUDED.updated_by, updated_at = clock_timestamp()",
				2, p);
		if (!r)
			rc = fp_cli_fail(FP_CLI_FAILED, "refused: %s", fp_err_msg());
		else
			printf("firm gross limit: %s (by %s)\n", amount, who);
		PQclear(r);
	}
	/* One instance at a time, each acknowledged before the next: lower budgets first
	 * (the caller's order), so that the sum rule admits the raises after them. */
	for (int i = 0; i < a.nb_budgets && !rc; i++) {
		const char *eq = strchr(a.budgets[i], '=');
		char name[128];
		char *end;
		long long x = strtoll(eq + 1, &end, 10);
		if (eq == a.budgets[i] || !eq[1] || *end || x < 0 ||
		    (size_t)(eq - a.budgets[i]) >= sizeof(name)) {
			rc = fp_cli_fail(FP_CLI_USAGE, "expected NAME=AMOUNT (>= 0), got '%s'",
					 a.budgets[i]);
			break;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(eq - a.budgets[i]), a.budgets[i]);
		snprintf(amount, sizeof(amount), "%lld", x);
		const char *p[2] = {name, amount};
		PGresult *r =
			q(conn,
			  "INSERT INTO firm_instances (instance, gross_budget) VALUES ($1, $2) "
			  "ON CONFLICT (instance) DO UPDATE SET gross_budget = "
			  "EXCLUDED.gross_budget",
			  2, p);
		if (!r) {
			rc = fp_cli_fail(FP_CLI_FAILED, "refused: %s budget %s: %s", name, amount,
					 fp_err_msg());
			break;
		}
		PQclear(r);
		printf("  %s: gross budget %s\n", name, amount);
		if (a.wait_ms == 0)
			continue;
		int w = wait_acks(conn,
				  "SELECT applied_budget IS NOT DISTINCT FROM (CASE WHEN EXISTS "
				  "(SELECT 1 FROM firm_limits) THEN gross_budget END) FROM "
				  "firm_instances WHERE instance = $1",
				  p, 1, a.wait_ms);
		if (w <= 0)
			rc = fp_cli_fail(FP_CLI_FAILED,
					 "%s did not apply its budget within %u ms (is its "
					 "`firm listen` running?)",
					 name, a.wait_ms);
	}
	fp_store_pg_close(pg);
	return rc;
}

/* ---- firm listen ---- */

struct listener {
	struct fp_cli *c;
	struct fp_shm_ctl *ctl;
	struct fp_risk_limits_shm *lim_shm; /**< NULL: no risk stage */
	struct fp_risk_limits *lim;         /**< scratch copy (about 2 MiB) */
	struct fp_store_pg *pg;
	struct firm_args a;
	_Atomic uint64_t last_ok_ns; /**< monotonic time of the last good round trip */
	_Atomic int db_tripped;      /**< the watchdog tripped the switch (fail closed) */
	_Atomic int stop;
	bool firm_tripped; /**< the firm tripped the switch (F1) */
	uint64_t acked;    /**< newest firm action applied */
	uint64_t seen;     /**< newest action the instance acknowledged before we registered */
	bool budget_on;    /**< what the risk limits region enforces now ... */
	int64_t budget;    /**< ... */
	/* what firm_instances says (an acknowledgement is notified when it changes) */
	uint64_t rep_acked;
	int rep_killed; /**< -1: nothing reported on this connection */
	bool rep_on;
	int64_t rep_budget;
	char note[160];
	char host[64];
};

static volatile sig_atomic_t listen_stop;

static void on_stop(int sig)
{
	(void)sig;
	listen_stop = 1;
}

/* The watchdog: fail closed when the database has been out of reach too long. It trips an
 * armed switch only, and again whenever someone re-arms it while the database is still out
 * of reach (a local `fastpath-ctl unkill` does not outlast the outage); a switch tripped
 * by someone else stays theirs (F1). */
static void *watchdog(void *arg)
{
	struct listener *l = arg;
	uint64_t fail_ns = (uint64_t)l->a.fail_ms * 1000000u;
	struct timespec tick = {0, 5000000}; /* 5 ms: the trip is late by at most this */
	while (!atomic_load(&l->stop)) {
		nanosleep(&tick, NULL);
		if (fp_shm_ctl_killed(l->ctl))
			continue;
		atomic_store(&l->db_tripped, 0); /* re-armed, by anyone: our trip is over */
		/* Read after the switch: a re-arm by sync_state() comes after its round trip's
		 * time, so a watchdog that sees the re-arm sees that time too. */
		uint64_t last = atomic_load(&l->last_ok_ns), now = mono_ns();
		if (now > last + fail_ns) {
			char why[FP_SHM_CTL_TEXT_SIZE];
			snprintf(why, sizeof(why),
				 "firm database unreachable for %u ms (fail closed)", l->a.fail_ms);
			fp_shm_ctl_kill(l->ctl, "firm:listener", why);
			atomic_store(&l->db_tripped, 1);
			fprintf(stderr,
				"fastpath-ctl firm listen: %s: kill switch tripped (last good "
				"round "
				"trip %" PRIu64 " ms ago)\n",
				why, (now - last) / 1000000u);
		}
	}
	return NULL;
}

static void set_note(struct listener *l)
{
	struct fp_shm_ctl_change ch;
	l->note[0] = '\0';
	if (!fp_shm_ctl_killed(l->ctl))
		return;
	if (fp_shm_ctl_last_change(l->ctl, &ch) && ch.what == FP_CTL_CHANGE_KILL)
		snprintf(l->note, sizeof(l->note), "tripped by %.32s: %.100s", ch.who, ch.reason);
	else
		snprintf(l->note, sizeof(l->note), "tripped");
}

/* Apply a firm action to the kill switch (F1). */
static void apply_action(struct listener *l, bool kill, const char *who, const char *reason)
{
	char w[FP_SHM_CTL_WHO_SIZE];
	snprintf(w, sizeof(w), "firm:%s", who);
	if (kill) {
		/* F1: a switch tripped before (a breaker, an operator) stays theirs */
		if (!fp_shm_ctl_killed(l->ctl) || atomic_load(&l->db_tripped))
			l->firm_tripped = true;
		fp_shm_ctl_kill(l->ctl, w, reason);
	} else if (fp_shm_ctl_killed(l->ctl) && (l->firm_tripped || atomic_load(&l->db_tripped))) {
		fp_shm_ctl_rearm(l->ctl, w, reason);
		l->firm_tripped = false;
		atomic_store(&l->db_tripped, 0);
	}
}

/* Publish this instance's budget into the risk limits region when it differs. */
static int apply_budget(struct listener *l, bool on, int64_t budget)
{
	if (!l->lim_shm)
		return 0;
	if (fp_risk_limits_read(l->lim_shm, l->lim) < 0)
		return fp_err_set(-EAGAIN, "risk limits region unreadable");
	struct fp_risk_global_limits *g = &l->lim->g;
	l->budget_on = g->firm_budget_on;
	l->budget = g->firm_gross_budget;
	if (g->firm_budget_on == (uint32_t)on && (!on || g->firm_gross_budget == budget))
		return 0;
	uint64_t gen = l->lim->generation;
	char audit[FP_SHM_CTL_TEXT_SIZE];
	snprintf(audit, sizeof(audit),
		 "global firm_gross_budget: %" PRId64 " -> %" PRId64 "; firm_budget_on: %u -> %u",
		 g->firm_gross_budget, on ? budget : 0, g->firm_budget_on, on ? 1u : 0u);
	g->firm_budget_on = on;
	g->firm_gross_budget = on ? budget : 0;
	int rc = fp_risk_limits_publish(l->lim_shm, l->lim);
	if (rc < 0)
		return rc;
	fp_shm_ctl_note(l->ctl, FP_CTL_CHANGE_LIMITS, (uint32_t)gen, (uint32_t)(gen + 1),
			"firm:budget", audit);
	l->budget_on = on;
	l->budget = on ? budget : 0;
	return 0;
}

/* One round trip of state: read the newest action and our budget, apply them, then write
 * our acknowledgement and heartbeat. @return 0, or <0 (connection trouble). */
static int sync_state(struct listener *l)
{
	PGconn *conn = fp_store_pg_conn(l->pg);
	const char *inst = l->c->instance;
	const char *p1[1] = {inst};
	PGresult *r = q(conn,
			"SELECT a.id, a.action, a.who, a.reason, l.max_gross IS NOT NULL, "
			"i.gross_budget, i.applied_budget FROM firm_instances i "
			"LEFT JOIN LATERAL (SELECT * FROM firm_actions ORDER BY id DESC LIMIT 1) a "
			"ON true LEFT JOIN firm_limits l ON true WHERE i.instance = $1",
			1, p1);
	if (!r)
		return -ENOTCONN;
	/* A good round trip, before an unkill below re-arms the switch: the watchdog must
	 * not take the outage that just ended for one still going on. */
	atomic_store(&l->last_ok_ns, mono_ns());
	if (PQntuples(r) != 1) {
		PQclear(r);
		return fp_err_set(-EPROTO, "instance %s is not registered", inst);
	}
	if (!fp_shm_ctl_killed(l->ctl))
		l->firm_tripped = false; /* re-armed, by anyone: the firm's trip is over */
	if (!PQgetisnull(r, 0, 0)) {
		uint64_t id = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
		bool kill = !strcmp(PQgetvalue(r, 0, 1), "kill");
		/* A kill in force trips a fresh instance; an unkill the instance acknowledged
		 * before is no new decision: a switch tripped since (fail closed, by this
		 * listener's watchdog or the last one's) waits for a later unkill. */
		if (id > l->acked && (kill || id > l->seen))
			apply_action(l, kill, PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 3));
		if (id > l->acked)
			l->acked = id;
	}
	bool on = PQgetvalue(r, 0, 4)[0] == 't';
	int64_t budget = strtoll(PQgetvalue(r, 0, 5), NULL, 10);
	PQclear(r);
	char applied[32], acked[32], killed[2], ack_chg[2], app_chg[2];
	if (apply_budget(l, on, budget) < 0)
		fprintf(stderr, "fastpath-ctl firm listen: budget not applied: %s\n", fp_err_msg());
	if (on && !l->lim_shm)
		fprintf(stderr,
			"fastpath-ctl firm listen: instance %s has no risk stage: its budget is "
			"not enforced\n",
			inst);
	set_note(l);
	if (atomic_load(&l->db_tripped) && fp_shm_ctl_killed(l->ctl))
		snprintf(l->note, sizeof(l->note),
			 "tripped: firm database unreachable for %u ms (fail closed)",
			 l->a.fail_ms);
	int k = fp_shm_ctl_killed(l->ctl);
	bool ack_changed = l->rep_killed != k || l->rep_acked != l->acked;
	bool app_changed = l->rep_killed < 0 || l->rep_on != l->budget_on ||
			   (l->budget_on && l->rep_budget != l->budget);
	snprintf(applied, sizeof(applied), "%" PRId64, l->budget);
	snprintf(acked, sizeof(acked), "%" PRIu64, l->acked);
	snprintf(killed, sizeof(killed), "%c", k ? 't' : 'f');
	snprintf(ack_chg, sizeof(ack_chg), "%c", ack_changed ? 't' : 'f');
	snprintf(app_chg, sizeof(app_chg), "%c", app_changed ? 't' : 'f');
	/* applied_budget: what risk enforces (NULL: no firm budget in force here) */
	const char *p[7] = {inst,    acked,  killed, l->note, l->budget_on ? applied : NULL,
			    ack_chg, app_chg};
	r = q(conn,
	      "WITH u AS (UPDATE firm_instances SET last_seen = statement_timestamp(), "
	      "acked_at = CASE WHEN $6::boolean THEN statement_timestamp() ELSE acked_at END, "
	      "acked_action = $2, killed = $3, note = $4, applied_budget = $5, "
	      "applied_at = CASE WHEN $7::boolean THEN statement_timestamp() ELSE applied_at "
	      "END WHERE instance = $1 RETURNING 1) SELECT CASE WHEN $6::boolean OR "
	      "$7::boolean THEN pg_notify('" FIRM_ACK_CHANNEL "', $1) END FROM u",
	      7, p);
	if (!r)
		return -ENOTCONN;
	PQclear(r);
	l->rep_acked = l->acked;
	l->rep_killed = k;
	l->rep_on = l->budget_on;
	l->rep_budget = l->budget;
	atomic_store(&l->last_ok_ns, mono_ns());
	return 0;
}

/* Connect, register, LISTEN, sync. */
static int listen_connect(struct listener *l)
{
	fp_store_pg_close(l->pg);
	l->pg = NULL;
	struct fp_store_pg_opts o = {
		.conninfo = l->a.db, .app_name = "fastpath-ctl firm listen", .no_staging = 1};
	int rc = fp_store_pg_open(&o, &l->pg);
	if (rc < 0)
		return rc;
	PGconn *conn = fp_store_pg_conn(l->pg);
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	const char *p[3] = {l->c->instance, l->host, pid};
	PGresult *r = q(conn,
			"INSERT INTO firm_instances (instance, host, listener_pid) VALUES "
			"($1, $2, $3) ON CONFLICT (instance) DO UPDATE SET host = EXCLUDED.host, "
			"listener_pid = EXCLUDED.listener_pid, started_at = clock_timestamp() "
			"RETURNING acked_action",
			3, p);
	if (!r)
		return -EPROTO;
	/* A listener that starts (again) applies the newest action: a firm kill in force
	 * trips a fresh instance; an unkill re-arms only what the firm tripped (F1), and
	 * only one the instance has not acknowledged yet (sync_state). */
	if (PQntuples(r) == 1)
		l->seen = FP_MAX(l->seen, strtoull(PQgetvalue(r, 0, 0), NULL, 10));
	PQclear(r);
	l->rep_killed = -1;
	r = q(conn, "LISTEN " FIRM_CHANNEL, 0, NULL);
	if (!r)
		return -EPROTO;
	PQclear(r);
	return sync_state(l);
}

/* "kill:ID:LEN:WHOREASON" (WHO is LEN bytes): trip before any round trip; the
 * acknowledgement follows in sync_state(). */
static void on_notify(struct listener *l, const char *payload)
{
	char who[FP_SHM_CTL_WHO_SIZE];
	char *end;
	if (strncmp(payload, "kill:", 5))
		return;
	uint64_t id = strtoull(payload + 5, &end, 10);
	if (*end != ':')
		return;
	unsigned long len = strtoul(end + 1, &end, 10);
	if (*end != ':' || len > strlen(end + 1))
		return;
	snprintf(who, sizeof(who), "%.*s", (int)FP_MIN(len, sizeof(who) - 1), end + 1);
	if (id > l->acked) {
		apply_action(l, true, who, end + 1 + len);
		l->acked = id;
	}
}

static bool instance_alive(const struct fp_cli *c)
{
	int pid = c->seg.hdr->creator_pid;
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* firm listen --db URL [--fail-closed-ms N]   (with --instance NAME) */
int fp_cli_firm_listen(struct fp_cli *c)
{
	struct listener *l = calloc(1, sizeof(*l));
	if (!l)
		return fp_cli_fail(FP_CLI_FAILED, "out of memory");
	l->c = c;
	int rc = firm_parse(c, &l->a, "listen");
	if (rc) {
		free(l);
		return rc;
	}
	l->ctl = fp_cli_region(c, "ctl", NULL);
	l->lim_shm = fp_cli_region(c, "risk.limits", NULL);
	l->lim = malloc(sizeof(*l->lim));
	if (!l->ctl || !l->lim) {
		free(l->lim);
		free(l->a.db);
		free(l);
		return fp_cli_fail(FP_CLI_FAILED,
				   "instance '%s' has no control block (or out "
				   "of memory)",
				   c->instance);
	}
	gethostname(l->host, sizeof(l->host) - 1);
	struct fp_shm_ctl_change ch;
	/* F1: a switch the firm tripped before this listener started is the firm's. */
	l->firm_tripped = fp_shm_ctl_killed(l->ctl) && fp_shm_ctl_last_change(l->ctl, &ch) &&
			  ch.what == FP_CTL_CHANGE_KILL && !strncmp(ch.who, "firm:", 5);
	struct sigaction sa = {.sa_handler = on_stop};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	atomic_store(&l->last_ok_ns, mono_ns());
	pthread_t wd;
	if (pthread_create(&wd, NULL, watchdog, l) != 0) {
		free(l->lim);
		free(l->a.db);
		free(l);
		return fp_cli_fail(FP_CLI_FAILED, "cannot start the watchdog thread");
	}
	fprintf(stderr,
		"fastpath-ctl firm listen: instance %s, fail closed after %u ms without the "
		"database\n",
		c->instance, l->a.fail_ms);
	unsigned hb_ms = FP_MIN(200u, l->a.fail_ms / 4);
	bool up = false, said_down = false, was_up = false;
	uint64_t last_sync = 0;
	while (!listen_stop && instance_alive(c)) {
		if (!up) {
			int r = listen_connect(l);
			up = r == 0;
			if (!up && !said_down) { /* once per outage: the retries every 50 ms */
				fprintf(stderr, "fastpath-ctl firm listen: %s: no database: %s\n",
					c->instance, fp_err_msg());
				said_down = true;
			}
			if (!up) {
				struct timespec ts = {0, 50000000};
				nanosleep(&ts, NULL);
				continue;
			}
			fprintf(stderr, "fastpath-ctl firm listen: %s: connected%s%s\n",
				c->instance, was_up ? " again" : "",
				atomic_load(&l->db_tripped)
					? " (still killed: fail closed; a later firm unkill or "
					  "fastpath-ctl unkill re-arms it)"
					: "");
			said_down = false;
			was_up = true;
			last_sync = mono_ns();
		}
		PGconn *conn = fp_store_pg_conn(l->pg);
		struct pollfd p = {.fd = PQsocket(conn), .events = POLLIN};
		int n = poll(&p, 1, (int)hb_ms);
		bool want = false;
		if (n > 0) {
			if (!PQconsumeInput(conn)) {
				up = false;
				continue;
			}
			PGnotify *nt;
			while ((nt = PQnotifies(conn))) {
				on_notify(l, nt->extra);
				PQfreemem(nt);
				want = true;
			}
		}
		if (want || mono_ns() - last_sync >= (uint64_t)hb_ms * 1000000u) {
			up = sync_state(l) == 0;
			if (!up)
				fprintf(stderr,
					"fastpath-ctl firm listen: %s: round trip failed: %s\n",
					c->instance, fp_err_msg());
			last_sync = mono_ns();
		}
	}
	atomic_store(&l->stop, 1);
	pthread_join(wd, NULL);
	fprintf(stderr, "fastpath-ctl firm listen: %s: %s\n", c->instance,
		listen_stop ? "stopped" : "the instance stopped");
	fp_store_pg_close(l->pg);
	free(l->lim);
	free(l->a.db);
	free(l);
	return FP_CLI_OK;
}
