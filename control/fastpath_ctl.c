/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fastpath_ctl.c - `fastpath-ctl`: the operator's control CLI of a running instance
 * (status, kill switch, limits, positions, orders, book, stats, top, metrics), its journal
 * in PostgreSQL (journal load) and the firm of many instances (firm: fp_ctl_cli_firm.c).
 *
 * Its own process, never on a trading core: it attaches the instance's segment (read-only
 * unless the command writes), reads regions through their seqlocks, and writes only through
 * the owners' cold APIs. One command table (below) drives both dispatch and --help.
 */
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fp_ctl_cli.h"
#include "fp_err.h"
#include "fp_version.h"

/* The one table: name, arity (Redis style: words counting the command's own, n exactly or
 * -n at least n), flags, syntax, summary, handler. Help lists it in this order. */
static const struct fp_cli_cmd commands[] = {
	{"status", 1, 0, "", "instance, workers, kill switch, breaker, trading state, last change",
	 fp_cli_status},
	{"kill", -1, FP_CLI_F_WRITE | FP_CLI_F_NOJSON, "[--reason R]",
	 "trip the kill switch: risk refuses new orders, the gateway cancels open ones",
	 fp_cli_kill},
	{"unkill", -1, FP_CLI_F_WRITE | FP_CLI_F_NOJSON, "[--reason R]", "re-arm the kill switch",
	 fp_cli_unkill},
	{"breaker reset", -2, FP_CLI_F_WRITE | FP_CLI_F_NOJSON, "[--reason R]",
	 "close a risk breaker whose cooldown has passed (refused while still open)",
	 fp_cli_breaker_reset},
	{"limits show", -2, 0, "[global|symbol:ID|strategy:ID]",
	 "risk limits in force (generation, global, one symbol or strategy); checks switched "
	 "off and limits at their maximum are marked off / unlimited",
	 fp_cli_limits_show},
	{"limits set", -4, FP_CLI_F_WRITE | FP_CLI_F_NOJSON,
	 "SCOPE KEY=VALUE... (SCOPE: global, symbol:ID|NAME, symbols, strategy:ID, strategies)",
	 "validate and publish a new limit generation, echo the change", fp_cli_limits_set},
	{"positions", 1, 0, "", "positions and P&L per strategy and symbol, firm totals",
	 fp_cli_positions},
	{"orders", -1, 0, "[--open]", "order counts and open orders (from the gateway's figures)",
	 fp_cli_orders},
	{"book", -2, 0, "SYMBOL [--depth N]", "top-N depth of a symbol (book snapshot region)",
	 fp_cli_book},
	{"stats", 1, 0, "", "rings, md counters, gaps, overruns, stage counters, tick-to-trade",
	 fp_cli_stats},
	{"top", 1, FP_CLI_F_NOJSON, "", "live full-screen view, refreshed each second (q quits)",
	 fp_cli_top},
	{"config validate", 3, FP_CLI_F_NOSEG, "FILE",
	 "check FILE exactly as `fastpath run` does (same code); OK or file:line error",
	 fp_cli_config_validate},
	{"metrics", 1, FP_CLI_F_NOJSON, "", "Prometheus text exposition of the instance",
	 fp_cli_metrics},
	{"serve-metrics", -1, FP_CLI_F_NOJSON, "[--listen ADDR:PORT] [--timeout S]",
	 "serve /metrics /health /ready /live over HTTP (default 127.0.0.1:9464)",
	 fp_cli_serve_metrics},
	{"journal dump", 3, FP_CLI_F_NOSEG, "FILE",
	 "decode a journal file: one line per record, then its tail (torn, damaged)",
	 fp_cli_journal_dump, fp_cli_journal_dump_help},
	{"journal load", -3, FP_CLI_F_NOSEG,
	 "PATH --db URL [--instance NAME] [--follow] [--batch N]",
	 "copy journal records (a file, or a directory's files) into PostgreSQL, once each",
	 fp_cli_journal_load, fp_cli_journal_load_help},
	{"journal migrate", -2, FP_CLI_F_NOSEG | FP_CLI_F_NOJSON, "--db URL",
	 "apply the missing deploy/sql migrations to the database", fp_cli_journal_migrate,
	 fp_cli_journal_load_help},
	{"firm status", -2, FP_CLI_F_NOSEG, "--db URL",
	 "the firm-wide view: exposure, P&L, activity per instance and symbol, open orders",
	 fp_cli_firm_status, fp_cli_firm_help},
	{"firm kill", -2, FP_CLI_F_NOSEG | FP_CLI_F_NOJSON, "--db URL [--reason R] [--wait-ms N]",
	 "trip every instance's kill switch through PostgreSQL, wait for the acks",
	 fp_cli_firm_kill, fp_cli_firm_help},
	{"firm unkill", -2, FP_CLI_F_NOSEG | FP_CLI_F_NOJSON, "--db URL [--reason R] [--wait-ms N]",
	 "re-arm them; succeeds once every instance acknowledged", fp_cli_firm_unkill,
	 fp_cli_firm_help},
	{"firm budget", -2, FP_CLI_F_NOSEG | FP_CLI_F_NOJSON,
	 "--db URL [--firm-gross X] [NAME=X...] [--wait-ms N]",
	 "the firm's gross limit and each instance's share of it", fp_cli_firm_budget,
	 fp_cli_firm_help},
	{"firm listen", -2, FP_CLI_F_WRITE | FP_CLI_F_NOJSON, "--db URL [--fail-closed-ms N]",
	 "an instance's end of the firm channel (runs beside it)", fp_cli_firm_listen,
	 fp_cli_firm_help},
};

#define NB_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: fastpath-ctl [--instance NAME] COMMAND [ARGS] [--json]\n\n"
		   "Inspect and steer a running fastpath instance through its shared-memory "
		   "segment.\nThe instance defaults to $FASTPATH_INSTANCE, else \"dev\".\n\n"
		   "commands:\n");
	for (unsigned i = 0; i < NB_COMMANDS; i++) {
		char head[96];
		snprintf(head, sizeof(head), "%s %s", commands[i].name, commands[i].syntax);
		fprintf(f, "  %-44s %s%s\n", head, commands[i].summary,
			commands[i].flags & FP_CLI_F_NOJSON ? "" : " [--json]");
	}
	fprintf(f, "\nexit codes:\n"
		   "  0 done   1 command failed or refused   2 bad arguments\n"
		   "  3 no such instance (not running)   4 stale segment of a dead supervisor\n"
		   "  5 permission denied   6 incompatible or corrupt segment (or journal)\n"
		   "  7 database unreachable (journal load, migrate, firm)\n");
}

/* `fastpath-ctl COMMAND --help`: that command's line of the table. */
static int command_usage(const struct fp_cli_cmd *cmd)
{
	printf("usage: fastpath-ctl %s %s%s\n%s\n", cmd->name, cmd->syntax,
	       cmd->flags & FP_CLI_F_NOJSON ? "" : " [--json]", cmd->summary);
	if (cmd->help)
		fputs(cmd->help, stdout);
	return FP_CLI_OK;
}

static const struct fp_cli_cmd *lookup(int argc, char **argv, int *words)
{
	for (unsigned i = 0; i < NB_COMMANDS; i++) {
		const char *n = commands[i].name, *sp = strchr(n, ' ');
		if (!sp && !strcmp(n, argv[0])) {
			*words = 1;
			return &commands[i];
		}
		if (sp && argc >= 2 && !strncmp(n, argv[0], (size_t)(sp - n)) &&
		    strlen(argv[0]) == (size_t)(sp - n) && !strcmp(sp + 1, argv[1])) {
			*words = 2;
			return &commands[i];
		}
	}
	return NULL;
}

/* Start time of @p pid in clock ticks (/proc/PID/stat field 22), 0 if gone. */
static uint64_t proc_start(int pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	unsigned long long v = 0;
	/* after ")": state is field 3; start time is field 22 */
	if (sscanf(p + 2,
		   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
		   "%*d %*d %llu",
		   &v) != 1)
		return 0;
	return v;
}

/* Issue 18: an empty or path-like --instance is a usage error, not a "corrupt segment". */
static bool instance_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= FP_SHM_INSTANCE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && !strchr("_.-", name[i]))
			return false;
	return true;
}

static int attach(struct fp_cli *c, int write)
{
	struct fp_shm_opts o = {
		.instance = c->instance,
		.flags = FP_SHM_F_NO_MLOCK | (write ? 0 : FP_SHM_F_RDONLY),
	};
	int rc = fp_shm_attach(&c->seg, &o);
	switch (rc) {
	case 0:
		break;
	case -ENOENT:
		return fp_cli_fail(FP_CLI_NO_INSTANCE,
				   "no instance '%s' is running (start it with 'fastpath run "
				   "--config F', or pass --instance NAME)",
				   c->instance);
	case -EACCES:
	case -EPERM:
		return fp_cli_fail(FP_CLI_PERM,
				   "no permission to attach instance '%s'%s (run as its user or "
				   "join the segment's group)",
				   c->instance, write ? " read-write" : "");
	case -EAGAIN:
		return fp_cli_fail(FP_CLI_BAD_SEGMENT,
				   "instance '%s' is still starting (try again in a moment)",
				   c->instance);
	default:
		return fp_cli_fail(FP_CLI_BAD_SEGMENT,
				   "cannot attach instance '%s': %s (rebuild fastpath-ctl from the "
				   "same tree as the supervisor)",
				   c->instance, fp_err_msg());
	}
	c->attached = 1;
	const struct fp_shm_hdr *h = c->seg.hdr;
	int pid = h->creator_pid;
	bool alive = pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
	uint64_t st = alive ? proc_start(pid) : 0;
	if (!alive || (st && h->creator_start && st != h->creator_start)) {
		char path[256];
		snprintf(path, sizeof(path), "%s", c->seg.path);
		fp_shm_detach(&c->seg);
		c->attached = 0;
		return fp_cli_fail(FP_CLI_STALE,
				   "instance '%s': stale segment of a dead supervisor (pid %d); "
				   "remove %s or start the instance again",
				   c->instance, pid, path);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("fastpath-ctl %s\n", FP_VERSION_TEXT);
		return 0;
	}
	struct fp_cli c = {.instance = getenv("FASTPATH_INSTANCE")};
	char *rest[64];
	int nb = 0;

	if (!c.instance || !*c.instance)
		c.instance = "dev";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			c.json = 1;
		} else if (!strcmp(argv[i], "--instance") || !strcmp(argv[i], "-i")) {
			if (++i >= argc)
				return fp_cli_fail(FP_CLI_USAGE, "--instance needs a name");
			c.instance = argv[i];
			c.instance_set = 1;
		} else if (!strncmp(argv[i], "--instance=", 11)) {
			c.instance = argv[i] + 11;
			c.instance_set = 1;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") ||
			   (nb == 0 && !strcmp(argv[i], "help"))) {
			int words = 0;
			const struct fp_cli_cmd *cmd = nb ? lookup(nb, rest, &words) : NULL;
			if (cmd)
				return command_usage(cmd);
			usage(stdout);
			return FP_CLI_OK;
		} else if (nb < 64) {
			rest[nb++] = argv[i];
		} else {
			return fp_cli_fail(FP_CLI_USAGE, "too many arguments");
		}
	}
	if (!instance_name_ok(c.instance))
		return fp_cli_fail(
			FP_CLI_USAGE,
			"invalid instance name '%s': use 1..%d letters, digits, '_', '.' "
			"or '-' (the name of the instance, not a path)",
			c.instance, FP_SHM_INSTANCE_MAX - 1);
	if (nb == 0) {
		usage(stderr);
		return FP_CLI_USAGE;
	}
	int words = 0;
	const struct fp_cli_cmd *cmd = lookup(nb, rest, &words);
	if (!cmd)
		return fp_cli_fail(FP_CLI_USAGE,
				   "unknown command '%s%s%s' (try 'fastpath-ctl --help')", rest[0],
				   nb > 1 ? " " : "", nb > 1 ? rest[1] : "");
	c.argc = nb - words;
	c.argv = rest + words;
	if ((cmd->arity > 0 && nb != cmd->arity) || (cmd->arity < 0 && nb < -cmd->arity))
		return fp_cli_fail(FP_CLI_USAGE,
				   "wrong number of arguments for '%s' (usage: %s %s)", cmd->name,
				   cmd->name, cmd->syntax);
	if (c.json && (cmd->flags & FP_CLI_F_NOJSON))
		return fp_cli_fail(FP_CLI_USAGE, "'%s' has no --json output", cmd->name);

	const struct passwd *pw = getpwuid(getuid());
	snprintf(c.user, sizeof(c.user), "%s", pw ? pw->pw_name : "uid");
	c.out = (struct fp_cli_out){.f = stdout, .json = c.json};
	if (!(cmd->flags & FP_CLI_F_NOSEG)) {
		int rc = attach(&c, cmd->flags & FP_CLI_F_WRITE);
		if (rc)
			return rc;
	}
	int rc = cmd->fn(&c);
	fflush(stdout);
	if (c.attached)
		fp_shm_detach(&c.seg);
	return rc;
}
