/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_cli_write.c - fastpath-ctl's write commands and the limits view: kill, unkill,
 * breaker reset, limits show, limits set.
 *
 * Writes go only through the owners' cold APIs: the kill switch through fp_shm_ctl_kill /
 * fp_shm_ctl_rearm (which record who, why, old and new value in the control block's change
 * record), limits through fp_risk_limits_publish (validated, a new generation under the
 * region's seqlock; the risk stage adopts it through RCU). fastpath-ctl is the region's one
 * writer after start: two operators setting limits at the same instant would race (the
 * later generation wins, both are validated).
 *
 * fastpath-ctl only; cold (allocates about 4 MiB for limits, prints).
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "fp_ctl_cli.h"
#include "fp_err.h"
#include "fp_risk_breaker.h"
#include "fp_risk_limits.h"
#include "fp_shm_ctl.h"

static const char *reason_arg(const struct fp_cli *c, const char *dflt, int *bad)
{
	const char *r = dflt;
	for (int i = 0; i < c->argc; i++) {
		if (!strcmp(c->argv[i], "--reason") && i + 1 < c->argc)
			r = c->argv[++i];
		else
			*bad = i + 1;
	}
	return r;
}

static int kill_or_rearm(struct fp_cli *c, int kill)
{
	int bad = 0;
	const char *reason = reason_arg(c, kill ? "operator kill" : "operator re-arm", &bad);
	if (bad)
		return fp_cli_fail(FP_CLI_USAGE,
				   "%s: unexpected argument '%s' (usage: %s [--reason "
				   "R])",
				   kill ? "kill" : "unkill", c->argv[bad - 1],
				   kill ? "kill" : "unkill");
	struct fp_shm_ctl *ctl = fp_cli_region(c, "ctl", NULL);
	if (!ctl)
		return fp_cli_fail(FP_CLI_BAD_SEGMENT, "segment has no control block");
	char who[FP_SHM_CTL_WHO_SIZE];
	snprintf(who, sizeof(who), "ctl:%s", c->user);
	bool was = fp_shm_ctl_killed(ctl);
	int rc = kill ? fp_shm_ctl_kill(ctl, who, reason) : fp_shm_ctl_rearm(ctl, who, reason);
	bool now = fp_shm_ctl_killed(ctl);
	printf("kill switch: %s -> %s (by %s: %s; change %" PRIu64 ")\n", was ? "tripped" : "armed",
	       now ? "tripped" : "armed", who, reason, (uint64_t)atomic_load(&ctl->change_seq));
	if (rc == -EBUSY)
		fprintf(stderr,
			"fastpath-ctl: warning: the switch is %s but the change record "
			"could not be written (another writer held it)\n",
			now ? "tripped" : "armed");
	if (now == (bool)kill)
		return FP_CLI_OK;
	/* Someone else changed it back between our change and the read: a firm listener
	 * without its database trips a re-armed switch within milliseconds. Say who. */
	struct fp_shm_ctl_change ch;
	if (fp_shm_ctl_last_change(ctl, &ch) && strcmp(ch.who, who))
		return fp_cli_fail(FP_CLI_FAILED,
				   "%s: the kill switch was %s again at once by %.32s: %.120s (it "
				   "stays %s until that cause is gone; `fastpath-ctl status`)",
				   kill ? "kill" : "unkill", now ? "tripped" : "re-armed", ch.who,
				   ch.reason, now ? "tripped" : "armed");
	return fp_cli_fail(FP_CLI_FAILED, "%s: the kill switch is %s (`fastpath-ctl status`)",
			   kill ? "kill" : "unkill", now ? "tripped" : "armed");
}

/* kill [--reason R] */
int fp_cli_kill(struct fp_cli *c)
{
	return kill_or_rearm(c, 1);
}

/* unkill [--reason R] */
int fp_cli_unkill(struct fp_cli *c)
{
	return kill_or_rearm(c, 0);
}

/* breaker reset [--reason R]: ask risk to close a breaker that has cooled down, and wait
 * (up to 2 s) for risk to take the request, so that what is printed is what is true. Risk
 * journals the reset (or its refusal while the breaker is still open). */
int fp_cli_breaker_reset(struct fp_cli *c)
{
	int bad = 0;
	const char *reason = reason_arg(c, "operator reset", &bad);
	if (bad)
		return fp_cli_fail(FP_CLI_USAGE,
				   "breaker reset: unexpected argument '%s' (usage: breaker reset "
				   "[--reason R])",
				   c->argv[bad - 1]);
	struct fp_risk_breaker_region *b = fp_cli_region(c, "risk.breaker", NULL);
	if (!b)
		return fp_cli_fail(FP_CLI_FAILED, "instance '%s' has no risk stage (no breaker)",
				   c->instance);
	uint32_t was = atomic_load_explicit(&b->state, memory_order_acquire);
	if (was == FP_RISK_BRK_CLOSED) {
		printf("breaker: closed already (nothing to reset)\n");
		return FP_CLI_OK;
	}
	fp_risk_breaker_request_reset(b);
	/* Risk clears the request on its next poll; a stopped risk stage never will. */
	for (int i = 0; i < 200 && atomic_load_explicit(&b->reset_request, memory_order_acquire);
	     i++)
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
	if (atomic_load_explicit(&b->reset_request, memory_order_acquire))
		return fp_cli_fail(FP_CLI_FAILED,
				   "breaker reset: risk did not take the request within 2 s (is "
				   "the instance running? `fastpath-ctl status`); it stays asked");
	uint32_t now = atomic_load_explicit(&b->state, memory_order_acquire);
	printf("breaker: %s -> %s (by ctl:%s: %s)\n", fp_risk_breaker_state_name(was),
	       fp_risk_breaker_state_name(now), c->user, reason);
	if (now != FP_RISK_BRK_CLOSED)
		return fp_cli_fail(
			FP_CLI_FAILED,
			"breaker reset refused: it is still %s (a reset is taken once "
			"its cooldown, breaker_cooldown_ms, has passed; fix the cause of "
			"the trip first)",
			fp_risk_breaker_state_name(now));
	return FP_CLI_OK;
}

/* ---- limits: one field table per scope drives show, set and the echo ---- */

enum field_type { F_I64, F_U32, F_U16, F_STATE };

struct field {
	const char *name;
	size_t off;
	enum field_type type;
};

#define G(n, t)                                                  \
	{                                                        \
#n, offsetof(struct fp_risk_global_limits, n), t \
	}
#define SY(n, t)                                              \
	{                                                     \
#n, offsetof(struct fp_risk_sym_limits, n), t \
	}
#define ST(n, t)                                                \
	{                                                       \
#n, offsetof(struct fp_risk_strat_limits, n), t \
	}

static const struct field global_fields[] = {
	G(max_gross, F_I64),
	G(max_net, F_I64),
	G(max_daily_loss, F_I64),
	G(max_open_orders, F_U32),
	G(max_consec_losses, F_U32),
	G(state, F_STATE),
	G(stale_ms, F_U32),
	G(max_consec_rejects, F_U32),
	G(breaker_cooldown_ms, F_U32),
	G(breaker_on_position, F_U32),
	G(breaker_on_stale, F_U32),
	G(breaker_on_loss, F_U32),
	G(breaker_on_venue, F_U32),
	G(firm_gross_budget, F_I64),
	G(firm_budget_on, F_U32),
	{NULL, 0, F_I64},
};
static const struct field sym_fields[] = {
	SY(price_min, F_I64),       SY(price_max, F_I64),   SY(max_notional, F_I64),
	SY(max_position, F_I64),    SY(qty_min, F_U32),     SY(qty_max, F_U32),
	SY(max_open_orders, F_U32), SY(collar_bps, F_U16),  SY(flags, F_U16),
	SY(order_rate, F_U32),      SY(order_burst, F_U32), SY(cancel_rate, F_U32),
	SY(cancel_burst, F_U32),    {NULL, 0, F_I64},
};
static const struct field strat_fields[] = {
	ST(max_gross, F_I64),     ST(max_net, F_I64),           ST(max_daily_loss, F_I64),
	ST(stop_loss_abs, F_I64), ST(max_open_orders, F_U32),   ST(max_consec_losses, F_U32),
	ST(order_rate, F_U32),    ST(order_burst, F_U32),       ST(cancel_rate, F_U32),
	ST(cancel_burst, F_U32),  ST(state, F_STATE),           ST(enabled, F_U32),
	ST(stop_loss_bps, F_U32), ST(trailing_stop_bps, F_U32), ST(take_profit_bps, F_U32),
	{NULL, 0, F_I64},
};

static int64_t field_get(const void *base, const struct field *f)
{
	const char *p = (const char *)base + f->off;
	switch (f->type) {
	case F_I64: {
		int64_t v;
		memcpy(&v, p, 8);
		return v;
	}
	case F_U16: {
		uint16_t v;
		memcpy(&v, p, 2);
		return v;
	}
	default: {
		uint32_t v;
		memcpy(&v, p, 4);
		return v;
	}
	}
}

static void field_put(void *base, const struct field *f, int64_t v)
{
	char *p = (char *)base + f->off;
	if (f->type == F_I64) {
		memcpy(p, &v, 8);
	} else if (f->type == F_U16) {
		uint16_t u = (uint16_t)v;
		memcpy(p, &u, 2);
	} else {
		uint32_t u = (uint32_t)v;
		memcpy(p, &u, 4);
	}
}

/*
 * Limits switched off on purpose, or left at their maximum, are marked (issue 16): a check
 * whose 0 means "off" (risk/fp_risk_limits.h) reads "off", an amount or count at the
 * largest value a set accepts reads "unlimited". Text shows the mark beside the value;
 * JSON keeps the numbers and lists the marked fields in "off" and "unlimited".
 */
static const char *const off_when_zero[] = {"stale_ms",
					    "max_consec_rejects",
					    "breaker_on_position",
					    "breaker_on_stale",
					    "breaker_on_loss",
					    "breaker_on_venue",
					    "collar_bps",
					    "order_rate",
					    "cancel_rate",
					    "stop_loss_abs",
					    "stop_loss_bps",
					    "trailing_stop_bps",
					    "take_profit_bps",
					    NULL};

static const char *field_mark(const struct field *f, int64_t v)
{
	if (v == 0)
		for (const char *const *n = off_when_zero; *n; n++)
			if (!strcmp(*n, f->name))
				return "off";
	if ((f->type == F_I64 && v >= INT64_MAX / 4) ||
	    (f->type == F_U32 && strcmp(f->name, "state") && v >= UINT32_MAX / 2))
		return "unlimited";
	return NULL;
}

static void emit_marked(struct fp_cli_out *o, const char *key, const void *base,
			const struct field *fs, const char *mark)
{
	bool any = false;
	for (const struct field *f = fs; f->name; f++) {
		const char *m = f->type == F_STATE ? NULL : field_mark(f, field_get(base, f));
		if (!m || strcmp(m, mark))
			continue;
		if (!any)
			fp_cli_arr(o, key);
		any = true;
		fp_cli_str(o, NULL, f->name);
	}
	if (any)
		fp_cli_end(o);
}

static void emit_fields(struct fp_cli_out *o, const char *key, const void *base,
			const struct field *fs)
{
	fp_cli_obj(o, key);
	for (const struct field *f = fs; f->name; f++) {
		int64_t v = field_get(base, f);
		const char *mark = f->type == F_STATE ? NULL : field_mark(f, v);
		char text[48];
		if (f->type == F_STATE) {
			fp_cli_str(o, f->name, fp_risk_state_name((unsigned)v));
		} else if (mark && !o->json) {
			snprintf(text, sizeof(text), "%" PRId64 " (%s)", v, mark);
			fp_cli_str(o, f->name, text);
		} else {
			fp_cli_i64(o, f->name, v);
		}
	}
	if (o->json) {
		emit_marked(o, "off", base, fs, "off");
		emit_marked(o, "unlimited", base, fs, "unlimited");
	}
	fp_cli_end(o);
}

/* A scope: which struct(s) a KEY=VALUE applies to. */
struct scope {
	const struct field *fields;
	void *first;    /**< the one struct, or the first of a range */
	size_t stride;  /**< bytes between structs of a range */
	unsigned count; /**< structs in the range */
	char label[32];
};

static int parse_scope(const struct fp_cli *c, struct fp_risk_limits *lim, const char *s,
		       struct scope *sc)
{
	memset(sc, 0, sizeof(*sc));
	snprintf(sc->label, sizeof(sc->label), "%s", s);
	if (!strcmp(s, "global")) {
		*sc = (struct scope){global_fields, &lim->g, 0, 1, "global"};
	} else if (!strcmp(s, "symbols")) {
		*sc = (struct scope){sym_fields, &lim->sym[1], sizeof(lim->sym[0]),
				     lim->nb_symbols > 1 ? lim->nb_symbols - 1 : 0, "symbols"};
	} else if (!strcmp(s, "strategies")) {
		*sc = (struct scope){strat_fields, &lim->strat[0], sizeof(lim->strat[0]),
				     FP_RISK_MAX_STRATEGIES, "strategies"};
	} else if (!strncmp(s, "symbol:", 7)) {
		uint32_t id = fp_cli_symbol_id(c, s + 7);
		if (!id || id >= lim->nb_symbols)
			return fp_cli_fail(FP_CLI_USAGE,
					   "unknown symbol '%s' (ids 1..%u or a name "
					   "from the directory)",
					   s + 7, lim->nb_symbols - 1);
		*sc = (struct scope){sym_fields, &lim->sym[id], 0, 1, ""};
		snprintf(sc->label, sizeof(sc->label), "symbol:%u", id);
	} else if (!strncmp(s, "strategy:", 9)) {
		char *end;
		unsigned long id = strtoul(s + 9, &end, 10);
		if (!s[9] || *end || id >= FP_RISK_MAX_STRATEGIES)
			return fp_cli_fail(FP_CLI_USAGE, "strategy id must be 0..%d, got '%s'",
					   FP_RISK_MAX_STRATEGIES - 1, s + 9);
		*sc = (struct scope){strat_fields, &lim->strat[id], 0, 1, ""};
		snprintf(sc->label, sizeof(sc->label), "strategy:%lu", id);
	} else {
		return fp_cli_fail(FP_CLI_USAGE,
				   "unknown scope '%s' (global, symbol:ID|NAME, "
				   "symbols, strategy:ID, strategies)",
				   s);
	}
	return 0;
}

static struct fp_risk_limits *read_limits(const struct fp_cli *c, struct fp_risk_limits_shm **shm)
{
	*shm = fp_cli_region(c, "risk.limits", NULL);
	if (!*shm) {
		fp_cli_fail(FP_CLI_FAILED, "instance '%s' has no risk stage (no risk.limits)",
			    c->instance);
		return NULL;
	}
	struct fp_risk_limits *lim = malloc(sizeof(*lim));
	if (!lim) {
		fp_cli_fail(FP_CLI_FAILED, "out of memory");
		return NULL;
	}
	if (fp_risk_limits_read(*shm, lim) < 0) {
		free(lim);
		fp_cli_fail(FP_CLI_FAILED, "limits are being rewritten without end (a writer died "
					   "inside a publish?)");
		return NULL;
	}
	return lim;
}

/* limits show [global|symbol:ID|strategy:ID] */
int fp_cli_limits_show(struct fp_cli *c)
{
	struct fp_risk_limits_shm *shm;
	struct fp_risk_limits *lim = read_limits(c, &shm);
	if (!lim)
		return FP_CLI_FAILED;
	struct fp_cli_out *o = &c->out;
	struct scope sc;
	int rc = 0;
	if (c->argc > 1) {
		free(lim);
		return fp_cli_fail(FP_CLI_USAGE, "limits show takes at most one scope");
	}
	if (c->argc == 1 && (rc = parse_scope(c, lim, c->argv[0], &sc)) != 0) {
		free(lim);
		return rc;
	}
	fp_cli_obj(o, NULL);
	fp_cli_u64(o, "generation", lim->generation);
	fp_cli_str(o, "env", lim->env);
	fp_cli_u64(o, "nb_symbols", lim->nb_symbols);
	if (c->argc == 1) {
		emit_fields(o, sc.label, sc.first, sc.fields);
	} else {
		emit_fields(o, "global", &lim->g, global_fields);
		emit_fields(o, "symbol_default", &lim->sym[1], sym_fields);
		emit_fields(o, "strategy_default", &lim->strat[0], strat_fields);
	}
	fp_cli_end(o);
	free(lim);
	return FP_CLI_OK;
}

static int parse_value(const struct field *f, const char *s, int64_t *v)
{
	if (f->type == F_STATE) {
		for (unsigned st = FP_RISK_ACTIVE; st <= FP_RISK_HALTED; st++)
			if (!strcmp(s, fp_risk_state_name(st))) {
				*v = st;
				return 0;
			}
		return fp_cli_fail(FP_CLI_USAGE, "%s must be active, reducing or halted, got '%s'",
				   f->name, s);
	}
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (!*s || *end || errno)
		return fp_cli_fail(FP_CLI_USAGE,
				   "%s: '%s' is not an integer (prices Price(4), "
				   "amounts in price units)",
				   f->name, s);
	if (f->type == F_U32 && (x < 0 || x > UINT32_MAX))
		return fp_cli_fail(FP_CLI_FAILED, "refused: %s must be 0..%u, got %lld", f->name,
				   UINT32_MAX, x);
	if (f->type == F_U16 && (x < 0 || x > UINT16_MAX))
		return fp_cli_fail(FP_CLI_FAILED, "refused: %s must be 0..%u, got %lld", f->name,
				   UINT16_MAX, x);
	*v = x;
	return 0;
}

/* limits set SCOPE KEY=VALUE... */
int fp_cli_limits_set(struct fp_cli *c)
{
	struct fp_risk_limits_shm *shm;
	struct fp_risk_limits *lim = read_limits(c, &shm);
	if (!lim)
		return FP_CLI_FAILED;
	struct scope sc;
	int rc = parse_scope(c, lim, c->argv[0], &sc);
	const struct field *set[32];
	int64_t old[32], val[32];
	int nb = 0;
	uint64_t gen = lim->generation;

	for (int i = 1; !rc && i < c->argc; i++) {
		char key[64];
		const char *eq = strchr(c->argv[i], '=');
		if (!eq || eq == c->argv[i] || (size_t)(eq - c->argv[i]) >= sizeof(key) ||
		    nb >= 32) {
			rc = fp_cli_fail(FP_CLI_USAGE, "expected KEY=VALUE, got '%s'", c->argv[i]);
			break;
		}
		memcpy(key, c->argv[i], (size_t)(eq - c->argv[i]));
		key[eq - c->argv[i]] = '\0';
		const struct field *f = sc.fields;
		while (f->name && strcmp(f->name, key))
			f++;
		if (!f->name) {
			char known[512] = "";
			for (const struct field *k = sc.fields; k->name; k++)
				snprintf(known + strlen(known), sizeof(known) - strlen(known),
					 "%s%s", known[0] ? " " : "", k->name);
			rc = fp_cli_fail(FP_CLI_USAGE, "unknown key '%s' for %s (known: %s)", key,
					 sc.label, known);
			break;
		}
		if ((rc = parse_value(f, eq + 1, &val[nb])) != 0)
			break;
		set[nb] = f;
		old[nb] = field_get(sc.first, f);
		for (unsigned k = 0; k < sc.count; k++)
			field_put((char *)sc.first + k * sc.stride, f, val[nb]);
		nb++;
	}
	if (!rc) {
		fp_risk_limits_derive(lim, lim->tsc_hz ? lim->tsc_hz : c->seg.hdr->tsc_hz);
		if (fp_risk_limits_publish(shm, lim) < 0)
			rc = fp_cli_fail(FP_CLI_FAILED, "refused: %s", fp_err_msg());
	}
	if (!rc) {
		struct fp_risk_limits *now = malloc(sizeof(*now));
		uint64_t ngen = now && fp_risk_limits_read(shm, now) == 0 ? now->generation : 0;
		char who[FP_SHM_CTL_WHO_SIZE], audit[FP_SHM_CTL_TEXT_SIZE] = "";
		size_t len = 0;
		printf("limits: generation %" PRIu64 " -> %" PRIu64 " (by ctl:%s)\n", gen, ngen,
		       c->user);
		for (int i = 0; i < nb; i++) {
			int64_t nv = now ? field_get((char *)now + ((char *)sc.first - (char *)lim),
						     set[i])
					 : val[i];
			printf("  %s %s: %" PRId64 " -> %" PRId64 "\n", sc.label, set[i]->name,
			       old[i], nv);
			if (len < sizeof(audit))
				len += (size_t)snprintf(audit + len, sizeof(audit) - len,
							"%s%s %s: %" PRId64 " -> %" PRId64,
							i ? "; " : "", sc.label, set[i]->name,
							old[i], nv);
		}
		/* The audit record: who, when, generation old -> new, every key old -> new. */
		snprintf(who, sizeof(who), "ctl:%s", c->user);
		struct fp_shm_ctl *ctl = fp_shm_region(&c->seg, "ctl", NULL);
		if (ctl && fp_shm_ctl_note(ctl, FP_CTL_CHANGE_LIMITS, (uint32_t)gen, (uint32_t)ngen,
					   who, audit) < 0)
			fprintf(stderr, "fastpath-ctl: warning: %s\n", fp_err_msg());
		free(now);
	}
	free(lim);
	return rc;
}
