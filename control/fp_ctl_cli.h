/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_cli.h - internals of `fastpath-ctl`: the command context, the command table entry,
 * the text/JSON emitter and the handlers of every command (fp_ctl_cli_*.c).
 *
 * fastpath-ctl process only (an operator's shell, a metrics server); cold paths that may
 * block, allocate and print. Nothing here runs in a worker: read commands attach the segment
 * read-only and copy what they show through the regions' seqlocks, so they never slow the
 * hot path; writes go only through the owners' cold APIs (fp_shm_ctl_kill, fp_risk_limits_
 * publish). These files are compiled into fastpath-ctl alone, not into libfp_ctl.
 */
#ifndef FP_CTL_CLI_H
#define FP_CTL_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fp_ctl_stage.h"
#include "fp_shm.h"

/** Exit codes of fastpath-ctl (documented in --help and docs/operations.md). */
enum fp_cli_exit {
	FP_CLI_OK = 0,          /**< done */
	FP_CLI_FAILED = 1,      /**< the command failed or was refused (message says why) */
	FP_CLI_USAGE = 2,       /**< bad arguments */
	FP_CLI_NO_INSTANCE = 3, /**< no segment for the instance: not running */
	FP_CLI_STALE = 4,       /**< a segment left by a dead supervisor */
	FP_CLI_PERM = 5,        /**< no permission to attach (group) or to write */
	FP_CLI_BAD_SEGMENT = 6, /**< not ours, other layout version, truncated, still creating;
				 *   a journal damaged in the middle (journal commands) */
	FP_CLI_NO_DB = 7,       /**< the database is unreachable (journal load, migrate) */
};

/** Command needs (fp_cli_cmd.flags). */
#define FP_CLI_F_NOSEG  0x1u /**< runs without a segment (config validate, help) */
#define FP_CLI_F_WRITE  0x2u /**< attaches read-write */
#define FP_CLI_F_NOJSON 0x4u /**< --json is not meaningful (writes echo text; top; metrics) */

/** The emitter: one code path prints either indented "key: value" text or JSON. */
struct fp_cli_out {
	FILE *f;
	int json;
	int depth;
	bool first[32];    /**< nothing emitted yet at this depth */
	bool in_array[32]; /**< this depth is an array */
};

/** One invocation. */
struct fp_cli {
	const char *instance;
	int instance_set; /**< --instance was given (else the default or $FASTPATH_INSTANCE) */
	int json;
	int argc;    /**< arguments after the command words */
	char **argv; /**< ... */
	struct fp_shm seg;
	int attached;
	struct fp_cli_out out;
	char user[24]; /**< login of the caller (truncated), for change records */
};

/** A command: the table generates dispatch and --help (Redis commands.def style). */
struct fp_cli_cmd {
	const char *name;    /**< one or two words: "status", "limits set" */
	int arity;           /**< words counting the name: n exactly, or -n at least n */
	unsigned flags;      /**< FP_CLI_F_* */
	const char *syntax;  /**< argument syntax for help */
	const char *summary; /**< one line */
	int (*fn)(struct fp_cli *c);
	const char *help; /**< more lines for `COMMAND --help` (NULL: none) */
};

/* emitter */
void fp_cli_obj(struct fp_cli_out *o, const char *key);
void fp_cli_arr(struct fp_cli_out *o, const char *key);
void fp_cli_end(struct fp_cli_out *o);
void fp_cli_str(struct fp_cli_out *o, const char *key, const char *v);
void fp_cli_u64(struct fp_cli_out *o, const char *key, uint64_t v);
void fp_cli_i64(struct fp_cli_out *o, const char *key, int64_t v);
void fp_cli_dbl(struct fp_cli_out *o, const char *key, double v);
void fp_cli_bool(struct fp_cli_out *o, const char *key, bool v);
/** Price(4) or price units as dollars with 4 decimals. */
void fp_cli_px(struct fp_cli_out *o, const char *key, int64_t v);

/* helpers shared by the handlers */
/** Print "fastpath-ctl: <msg>" to stderr. @return @p code. */
int fp_cli_fail(int code, const char *fmt, ...) FP_PRINTF(2, 3);
/** Region of the attached segment, or NULL. */
void *fp_cli_region(const struct fp_cli *c, const char *name, uint64_t *size);
/** Nanoseconds since the TSC value @p tsc (0: never). */
uint64_t fp_cli_tsc_age_ns(const struct fp_cli *c, uint64_t tsc);
/** Every stage's figures (fp_ctl_stage_ops.report) over the attached segment. */
void fp_cli_summary(const struct fp_cli *c, struct fp_ctl_summary *sum);
/** Name of a worker state, trading state, gateway session state. */
const char *fp_cli_worker_state(unsigned s);
const char *fp_cli_trading_name(unsigned s);
const char *fp_cli_session_name(unsigned s);
/** enum fp_gw_transport_kind in words: "tcp", "tls" (no handshake yet), "tls1.2", "tls1.3". */
const char *fp_cli_transport_name(unsigned t);
/** Copy a space-padded 8-byte ITCH stock into a C string. */
void fp_cli_stock(char dst[9], const char src[8]);
/** Symbol id of @p arg: a number, or a stock name looked up in symtab. 0 if unknown. */
uint32_t fp_cli_symbol_id(const struct fp_cli *c, const char *arg);

/* handlers (syntax lines above each, in fp_ctl_cli_*.c) */
int fp_cli_status(struct fp_cli *c);
int fp_cli_kill(struct fp_cli *c);
int fp_cli_unkill(struct fp_cli *c);
int fp_cli_breaker_reset(struct fp_cli *c);
int fp_cli_limits_show(struct fp_cli *c);
int fp_cli_limits_set(struct fp_cli *c);
int fp_cli_positions(struct fp_cli *c);
int fp_cli_orders(struct fp_cli *c);
int fp_cli_book(struct fp_cli *c);
int fp_cli_stats(struct fp_cli *c);
int fp_cli_top(struct fp_cli *c);
int fp_cli_config_validate(struct fp_cli *c);
int fp_cli_metrics(struct fp_cli *c);
int fp_cli_serve_metrics(struct fp_cli *c);
int fp_cli_journal_dump(struct fp_cli *c);
int fp_cli_journal_load(struct fp_cli *c);
int fp_cli_journal_migrate(struct fp_cli *c);
int fp_cli_firm_status(struct fp_cli *c);
int fp_cli_firm_kill(struct fp_cli *c);
int fp_cli_firm_unkill(struct fp_cli *c);
int fp_cli_firm_budget(struct fp_cli *c);
int fp_cli_firm_listen(struct fp_cli *c);
/** Details of the firm commands (options, exit codes) for their --help. */
extern const char fp_cli_firm_help[];
/** Details of journal dump (fields, tail, exit codes) for its --help. */
extern const char fp_cli_journal_dump_help[];
/** Details of journal load/migrate (options, exit codes) for their --help. */
extern const char fp_cli_journal_load_help[];

/** Write the Prometheus text exposition of the attached segment to @p f. */
void fp_cli_metrics_write(const struct fp_cli *c, FILE *f);

#endif /* FP_CTL_CLI_H */
