/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_risk_limits.c - defaults, validation, TSC derivation and config loading of risk limits.
 *
 * Cold path only: called by the risk stage at init, by the limits watcher thread and by
 * fastpath-ctl. May allocate (libconfig) and reports failures through fp_err.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fp_cfg.h"
#include "fp_err.h"
#include "fp_risk_limits.h"

static const char *const fp_risk_reason_names[FP_RISK_REASON_MAX] = {
	[FP_RISK_OK] = "ok",
	[FP_RISK_KILL_SWITCH] = "kill_switch",
	[FP_RISK_BREAKER_OPEN] = "breaker_open",
	[FP_RISK_STATE_HALTED] = "state_halted",
	[FP_RISK_STATE_REDUCING] = "state_reducing",
	[FP_RISK_UNKNOWN_SYMBOL] = "unknown_symbol",
	[FP_RISK_UNKNOWN_STRATEGY] = "unknown_strategy",
	[FP_RISK_BAD_ORDER] = "bad_order",
	[FP_RISK_RESTRICTED] = "restricted",
	[FP_RISK_SYMBOL_HALTED] = "symbol_halted",
	[FP_RISK_BOOK_STALE] = "book_stale",
	[FP_RISK_QTY_MIN] = "qty_min",
	[FP_RISK_QTY_MAX] = "qty_max",
	[FP_RISK_PRICE_MIN] = "price_min",
	[FP_RISK_PRICE_MAX] = "price_max",
	[FP_RISK_NO_REFERENCE] = "no_reference",
	[FP_RISK_COLLAR] = "collar",
	[FP_RISK_NOTIONAL] = "notional",
	[FP_RISK_POSITION] = "position",
	[FP_RISK_GROSS] = "gross",
	[FP_RISK_NET] = "net",
	[FP_RISK_OPEN_ORDERS_SYMBOL] = "open_orders_symbol",
	[FP_RISK_OPEN_ORDERS_STRATEGY] = "open_orders_strategy",
	[FP_RISK_OPEN_ORDERS_TOTAL] = "open_orders_total",
	[FP_RISK_DAILY_LOSS] = "daily_loss",
	[FP_RISK_CONSECUTIVE_LOSSES] = "consecutive_losses",
	[FP_RISK_ORDER_RATE_STRATEGY] = "order_rate_strategy",
	[FP_RISK_ORDER_RATE_SYMBOL] = "order_rate_symbol",
	[FP_RISK_CANCEL_RATE_STRATEGY] = "cancel_rate_strategy",
	[FP_RISK_CANCEL_RATE_SYMBOL] = "cancel_rate_symbol",
	[FP_RISK_DUPLICATE_ID] = "duplicate_id",
	[FP_RISK_UNKNOWN_ORDER] = "unknown_order",
	[FP_RISK_CAPACITY] = "capacity",
	[FP_RISK_SYMBOL_STALE] = "symbol_stale",
	[FP_RISK_VENUE_DOWN] = "venue_down",
	[FP_RISK_BACKPRESSURE] = "backpressure",
	[FP_RISK_JOURNAL_FULL] = "journal_full",
	[FP_RISK_FIRM_BUDGET] = "firm_budget",
};

const char *fp_risk_reason_name(unsigned reason)
{
	if (reason < FP_RISK_REASON_MAX && fp_risk_reason_names[reason])
		return fp_risk_reason_names[reason];
	return "unknown";
}

const char *fp_risk_state_name(unsigned state)
{
	switch (state) {
	case FP_RISK_ACTIVE:
		return "active";
	case FP_RISK_REDUCING:
		return "reducing";
	case FP_RISK_HALTED:
		return "halted";
	}
	return "unknown";
}

void fp_risk_limits_default(struct fp_risk_limits *lim, uint32_t nb_symbols)
{
	memset(lim, 0, sizeof(*lim));
	lim->magic = FP_RISK_LIMITS_MAGIC;
	lim->version = FP_RISK_LIMITS_VERSION;
	lim->nb_symbols = nb_symbols;
	lim->generation = 1;
	snprintf(lim->env, sizeof(lim->env), "default");
	lim->g = (struct fp_risk_global_limits){
		.max_gross = INT64_MAX / 4,
		.max_net = INT64_MAX / 4,
		.max_daily_loss = INT64_MAX / 4,
		.max_open_orders = UINT32_MAX / 2,
		.max_consec_losses = UINT32_MAX / 2,
		.state = FP_RISK_ACTIVE,
	};
	for (unsigned i = 0; i < FP_RISK_MAX_STRATEGIES; i++)
		lim->strat[i] = (struct fp_risk_strat_limits){
			.max_gross = INT64_MAX / 4,
			.max_net = INT64_MAX / 4,
			.max_daily_loss = INT64_MAX / 4,
			.max_open_orders = UINT32_MAX / 2,
			.max_consec_losses = UINT32_MAX / 2,
			.enabled = 1,
		};
	for (unsigned i = 0; i < FP_RISK_MAX_SYMBOLS; i++)
		lim->sym[i] = (struct fp_risk_sym_limits){
			.price_min = 1,
			.price_max = INT64_MAX / 4,
			.max_notional = INT64_MAX / 4,
			.max_position = INT64_MAX / 4,
			.qty_min = 1,
			.qty_max = UINT32_MAX / 2,
			.max_open_orders = UINT32_MAX / 2,
		};
}

static int check_rate(const char *who, unsigned id, const char *what, uint32_t rate, uint32_t burst)
{
	if (rate > 0 && burst == 0)
		return fp_err_set(-EINVAL, "%s %u: %s_rate %" PRIu32 " needs %s_burst >= 1", who,
				  id, what, rate, what);
	if (rate > 1000000000u)
		return fp_err_set(-EINVAL, "%s %u: %s_rate %" PRIu32 " above 1e9 per second", who,
				  id, what, rate);
	return 0;
}

static int check_amount(const char *who, unsigned id, const char *what, int64_t v)
{
	if (v < 0)
		return fp_err_set(-EINVAL, "%s %u: %s must not be negative (got %" PRId64 ")", who,
				  id, what, v);
	if (v > INT64_MAX / 4)
		return fp_err_set(-EINVAL, "%s %u: %s %" PRId64 " above the maximum %" PRId64, who,
				  id, what, v, INT64_MAX / 4);
	return 0;
}

static int validate_sym(const struct fp_risk_sym_limits *s, unsigned id)
{
	int rc;
	if ((rc = check_amount("symbol", id, "price_min", s->price_min)) < 0 ||
	    (rc = check_amount("symbol", id, "price_max", s->price_max)) < 0 ||
	    (rc = check_amount("symbol", id, "max_notional", s->max_notional)) < 0 ||
	    (rc = check_amount("symbol", id, "max_position", s->max_position)) < 0)
		return rc;
	if (s->price_min > s->price_max)
		return fp_err_set(
			-EINVAL, "symbol %u: price_min %" PRId64 " greater than price_max %" PRId64,
			id, s->price_min, s->price_max);
	if (s->qty_min > s->qty_max)
		return fp_err_set(-EINVAL,
				  "symbol %u: qty_min %" PRIu32 " greater than qty_max %" PRIu32,
				  id, s->qty_min, s->qty_max);
	if (s->qty_max > UINT32_MAX / 2 || s->max_open_orders > UINT32_MAX / 2)
		return fp_err_set(-EINVAL, "symbol %u: qty_max or max_open_orders above 2^31", id);
	if (s->collar_bps > 10000)
		return fp_err_set(-EINVAL, "symbol %u: collar_bps %u above 10000", id,
				  (unsigned)s->collar_bps);
	if (s->flags & ~(unsigned)FP_RISK_SYMF_RESTRICTED)
		return fp_err_set(-EINVAL, "symbol %u: unknown flags 0x%x", id, (unsigned)s->flags);
	if ((rc = check_rate("symbol", id, "order", s->order_rate, s->order_burst)) < 0 ||
	    (rc = check_rate("symbol", id, "cancel", s->cancel_rate, s->cancel_burst)) < 0)
		return rc;
	return 0;
}

static int validate_strat(const struct fp_risk_strat_limits *s, unsigned id)
{
	int rc;
	if ((rc = check_amount("strategy", id, "max_gross", s->max_gross)) < 0 ||
	    (rc = check_amount("strategy", id, "max_net", s->max_net)) < 0 ||
	    (rc = check_amount("strategy", id, "max_daily_loss", s->max_daily_loss)) < 0 ||
	    (rc = check_amount("strategy", id, "stop_loss_abs", s->stop_loss_abs)) < 0)
		return rc;
	if (s->state > FP_RISK_HALTED)
		return fp_err_set(-EINVAL, "strategy %u: unknown trading state %" PRIu32, id,
				  s->state);
	if (s->max_open_orders > UINT32_MAX / 2 || s->max_consec_losses > UINT32_MAX / 2)
		return fp_err_set(-EINVAL, "strategy %u: a count limit is above 2^31", id);
	if (s->stop_loss_bps > 10000 || s->trailing_stop_bps > 10000)
		return fp_err_set(-EINVAL, "strategy %u: stop above 10000 bps", id);
	if ((rc = check_rate("strategy", id, "order", s->order_rate, s->order_burst)) < 0 ||
	    (rc = check_rate("strategy", id, "cancel", s->cancel_rate, s->cancel_burst)) < 0)
		return rc;
	return 0;
}

int fp_risk_limits_validate(const struct fp_risk_limits *lim)
{
	int rc;
	if (lim->magic != FP_RISK_LIMITS_MAGIC || lim->version != FP_RISK_LIMITS_VERSION)
		return fp_err_set(-EINVAL,
				  "limits: bad magic or layout version %" PRIu32 " (expected %d)",
				  lim->version, FP_RISK_LIMITS_VERSION);
	if (lim->nb_symbols < 2 || lim->nb_symbols > FP_RISK_MAX_SYMBOLS)
		return fp_err_set(-EINVAL, "limits: nb_symbols %" PRIu32 " not in 2..%d",
				  lim->nb_symbols, FP_RISK_MAX_SYMBOLS);
	const struct fp_risk_global_limits *g = &lim->g;
	if ((rc = check_amount("global", 0, "max_gross", g->max_gross)) < 0 ||
	    (rc = check_amount("global", 0, "max_net", g->max_net)) < 0 ||
	    (rc = check_amount("global", 0, "max_daily_loss", g->max_daily_loss)) < 0 ||
	    (rc = check_amount("global", 0, "firm_gross_budget", g->firm_gross_budget)) < 0)
		return rc;
	if (g->firm_budget_on > 1)
		return fp_err_set(-EINVAL, "global: firm_budget_on must be 0 or 1, got %" PRIu32,
				  g->firm_budget_on);
	if (g->state > FP_RISK_HALTED)
		return fp_err_set(-EINVAL, "global: unknown trading state %" PRIu32, g->state);
	if (g->max_open_orders > UINT32_MAX / 2 || g->max_consec_losses > UINT32_MAX / 2)
		return fp_err_set(-EINVAL, "global: a count limit is above 2^31");
	for (unsigned i = 0; i < FP_RISK_MAX_STRATEGIES; i++)
		if ((rc = validate_strat(&lim->strat[i], i)) < 0)
			return rc;
	for (unsigned i = 0; i < lim->nb_symbols; i++)
		if ((rc = validate_sym(&lim->sym[i], i)) < 0)
			return rc;
	return 0;
}

/* GCRA parameters: one token every iv cycles, bursts of `burst` back to back (tau). */
static void derive_rate(uint64_t tsc_hz, uint32_t rate, uint32_t burst, uint64_t *iv, uint64_t *tau)
{
	if (rate == 0) {
		*iv = 0;
		*tau = 0;
		return;
	}
	*iv = tsc_hz / rate ? tsc_hz / rate : 1;
	*tau = *iv * (uint64_t)(burst ? burst - 1 : 0);
}

void fp_risk_limits_derive(struct fp_risk_limits *lim, uint64_t tsc_hz)
{
	lim->tsc_hz = tsc_hz;
	lim->g.stale_tsc = (uint64_t)lim->g.stale_ms * tsc_hz / 1000;
	lim->g.cooldown_tsc = (uint64_t)lim->g.breaker_cooldown_ms * tsc_hz / 1000;
	for (unsigned i = 0; i < FP_RISK_MAX_STRATEGIES; i++) {
		struct fp_risk_strat_limits *s = &lim->strat[i];
		derive_rate(tsc_hz, s->order_rate, s->order_burst, &s->order_iv_tsc,
			    &s->order_tau_tsc);
		derive_rate(tsc_hz, s->cancel_rate, s->cancel_burst, &s->cancel_iv_tsc,
			    &s->cancel_tau_tsc);
	}
	for (unsigned i = 0; i < lim->nb_symbols && i < FP_RISK_MAX_SYMBOLS; i++) {
		struct fp_risk_sym_limits *s = &lim->sym[i];
		derive_rate(tsc_hz, s->order_rate, s->order_burst, &s->order_iv_tsc,
			    &s->order_tau_tsc);
		derive_rate(tsc_hz, s->cancel_rate, s->cancel_burst, &s->cancel_iv_tsc,
			    &s->cancel_tau_tsc);
	}
}

/* ---- config loading ---- */

/*
 * Fail closed (issue 16): every key of the file is known (an unknown or misspelt key is
 * refused with its file:line), and every limit of the default groups (global, symbol,
 * strategy) is written out: a limit that is absent is an error, never "unlimited". The
 * few keys that may be left out take the conservative value of the table below (a switch
 * that protects defaults to on; an exit rule, which is not a limit, defaults to off).
 * Writing 0 for a rate, a collar, stale_ms or max_consec_rejects switches that check off
 * on purpose, and fastpath-ctl limits show marks it "off".
 */
enum lim_kind {
	LK_PRICE,      /* int64 price units: a float is dollars, an integer Price(4) units */
	LK_I64,        /* int64 shares */
	LK_U32,        /* uint32 */
	LK_BPS16,      /* uint16 basis points, 0..10000 */
	LK_STATE,      /* uint32 enum fp_risk_state, written as its name */
	LK_RESTRICTED, /* the FP_RISK_SYMF_RESTRICTED bit of a uint16 flags word, 0 or 1 */
};

#define LK_REQ 1 /* the default group must write it */
#define LK_OPT 0 /* may be absent: takes .dflt */

struct lim_key {
	const char *name;
	enum lim_kind kind;
	size_t off;
	int required; /* LK_REQ or LK_OPT, for the default groups; overrides are optional */
	int64_t dflt; /* LK_OPT only */
};

#define KG(n, k, r, d)                                                 \
	{                                                              \
#n, k, offsetof(struct fp_risk_global_limits, n), r, d \
	}
#define KS(n, k, r, d)                                              \
	{                                                           \
#n, k, offsetof(struct fp_risk_sym_limits, n), r, d \
	}
#define KT(n, k, r, d)                                                \
	{                                                             \
#n, k, offsetof(struct fp_risk_strat_limits, n), r, d \
	}

static const struct lim_key global_keys[] = {
	KG(max_gross, LK_PRICE, LK_REQ, 0),
	KG(max_net, LK_PRICE, LK_REQ, 0),
	KG(max_daily_loss, LK_PRICE, LK_REQ, 0),
	KG(max_open_orders, LK_U32, LK_REQ, 0),
	KG(max_consec_losses, LK_U32, LK_REQ, 0),
	KG(state, LK_STATE, LK_OPT, FP_RISK_ACTIVE),
	KG(stale_ms, LK_U32, LK_REQ, 0),
	KG(max_consec_rejects, LK_U32, LK_REQ, 0),
	KG(breaker_cooldown_ms, LK_U32, LK_REQ, 0),
	KG(breaker_on_position, LK_U32, LK_OPT, 1),
	KG(breaker_on_stale, LK_U32, LK_OPT, 1),
	KG(breaker_on_loss, LK_U32, LK_OPT, 1),
	KG(breaker_on_venue, LK_U32, LK_OPT, 1),
	KG(firm_budget_on, LK_U32, LK_OPT, 0),      /* off: no firm listener (docs/scale.md) */
	KG(firm_gross_budget, LK_PRICE, LK_OPT, 0), /* written by the firm listener */
	{NULL, LK_U32, 0, 0, 0},
};

static const struct lim_key sym_keys[] = {
	KS(price_min, LK_PRICE, LK_REQ, 0),
	KS(price_max, LK_PRICE, LK_REQ, 0),
	KS(max_notional, LK_PRICE, LK_REQ, 0),
	KS(max_position, LK_I64, LK_REQ, 0),
	KS(qty_min, LK_U32, LK_OPT, 1),
	KS(qty_max, LK_U32, LK_REQ, 0),
	KS(max_open_orders, LK_U32, LK_REQ, 0),
	KS(collar_bps, LK_BPS16, LK_REQ, 0),
	KS(order_rate, LK_U32, LK_REQ, 0),
	KS(order_burst, LK_U32, LK_OPT, 0),
	KS(cancel_rate, LK_U32, LK_REQ, 0),
	KS(cancel_burst, LK_U32, LK_OPT, 0),
	{"restricted", LK_RESTRICTED, offsetof(struct fp_risk_sym_limits, flags), LK_OPT, 0},
	{NULL, LK_U32, 0, 0, 0},
};

static const struct lim_key strat_keys[] = {
	KT(max_gross, LK_PRICE, LK_REQ, 0),       KT(max_net, LK_PRICE, LK_REQ, 0),
	KT(max_daily_loss, LK_PRICE, LK_REQ, 0),  KT(max_open_orders, LK_U32, LK_REQ, 0),
	KT(max_consec_losses, LK_U32, LK_REQ, 0), KT(order_rate, LK_U32, LK_REQ, 0),
	KT(order_burst, LK_U32, LK_OPT, 0),       KT(cancel_rate, LK_U32, LK_REQ, 0),
	KT(cancel_burst, LK_U32, LK_OPT, 0),      KT(state, LK_STATE, LK_OPT, FP_RISK_ACTIVE),
	KT(enabled, LK_U32, LK_OPT, 1),           KT(stop_loss_abs, LK_PRICE, LK_OPT, 0),
	KT(stop_loss_bps, LK_U32, LK_OPT, 0),     KT(trailing_stop_bps, LK_U32, LK_OPT, 0),
	KT(take_profit_bps, LK_U32, LK_OPT, 0),   {NULL, LK_U32, 0, 0, 0},
};

/* Allowed names of a table (plus "id" for an override), for fp_cfg_check_keys(). */
static void key_names(const struct lim_key *t, int with_id, const char **out, size_t max)
{
	size_t n = 0;
	if (with_id)
		out[n++] = "id";
	for (; t->name && n + 1 < max; t++)
		out[n++] = t->name;
	out[n] = NULL;
}

static int put_key(const struct fp_cfg *cfg, const struct fp_cfg_node *grp, const struct lim_key *k,
		   void *base)
{
	char *p = (char *)base + k->off;
	const struct fp_cfg_node *n = fp_cfg_lookup(cfg, grp, k->name);
	int64_t v = k->dflt;
	int rc = 0;

	switch (k->kind) {
	case LK_PRICE:
		if (fp_cfg_kind(n) == FP_CFG_KIND_DOUBLE) {
			double d;
			if ((rc = fp_cfg_get_double(cfg, grp, k->name, 0, 0,
						    (double)(INT64_MAX / 4) / 10000.0, &d)) < 0)
				return rc;
			v = (int64_t)(d * 10000.0 + 0.5);
		} else if ((rc = fp_cfg_get_int64(cfg, grp, k->name, k->dflt, 0, INT64_MAX / 4,
						  &v)) < 0) {
			return rc;
		}
		memcpy(p, &v, sizeof(v));
		return 0;
	case LK_I64:
		if ((rc = fp_cfg_get_int64(cfg, grp, k->name, k->dflt, 0, INT64_MAX / 4, &v)) < 0)
			return rc;
		memcpy(p, &v, sizeof(v));
		return 0;
	case LK_U32:
	case LK_BPS16:
	case LK_RESTRICTED: {
		int64_t max = k->kind == LK_U32 ? UINT32_MAX : k->kind == LK_BPS16 ? 10000 : 1;
		if ((rc = fp_cfg_get_int64(cfg, grp, k->name, k->dflt, 0, max, &v)) < 0)
			return rc;
		if (k->kind == LK_U32) {
			uint32_t u = (uint32_t)v;
			memcpy(p, &u, sizeof(u));
		} else if (k->kind == LK_BPS16) {
			uint16_t u = (uint16_t)v;
			memcpy(p, &u, sizeof(u));
		} else {
			uint16_t f;
			memcpy(&f, p, sizeof(f));
			f = (uint16_t)((f & ~(unsigned)FP_RISK_SYMF_RESTRICTED) |
				       (v ? FP_RISK_SYMF_RESTRICTED : 0));
			memcpy(p, &f, sizeof(f));
		}
		return 0;
	}
	case LK_STATE: {
		static const char *const states[] = {"active", "reducing", "halted", NULL};
		int st = (int)k->dflt;
		if ((rc = fp_cfg_get_enum(cfg, grp, k->name, states, (int)k->dflt, &st)) < 0)
			return rc;
		uint32_t u = (uint32_t)st;
		memcpy(p, &u, sizeof(u));
		return 0;
	}
	}
	return 0;
}

/*
 * Read group @p grp into @p base with table @p t. @p dflt_group: a default group (every
 * LK_REQ key required, every LK_OPT key absent takes its default); else an override (only
 * the keys written change, "id" allowed).
 */
static int load_group(const struct fp_cfg *cfg, const struct fp_cfg_node *grp,
		      const struct lim_key *t, void *base, int dflt_group)
{
	const char *names[40];
	int rc;

	key_names(t, !dflt_group, names, FP_ARRAY_SIZE(names));
	if ((rc = fp_cfg_check_keys(cfg, grp, names)) < 0)
		return rc;
	for (const struct lim_key *k = t; k->name; k++) {
		int present = fp_cfg_lookup(cfg, grp, k->name) != NULL;
		if (dflt_group && k->required && !present)
			return fp_cfg_error(cfg, grp, -EINVAL,
					    "'%s' lacks limit '%s': every limit is written out "
					    "(0 switches a rate, collar, stale_ms or "
					    "max_consec_rejects off on purpose)",
					    fp_cfg_key(grp), k->name);
		if ((!present && !dflt_group) || (rc = put_key(cfg, grp, k, base)) == 0)
			continue;
		return rc;
	}
	return 0;
}

/* Overrides: a list of groups, each with an "id" and the settings to change. */
static int load_overrides(const struct fp_cfg *cfg, const struct fp_cfg_node *list, unsigned limit,
			  const char *what, struct fp_risk_limits *lim)
{
	if (!list)
		return 0;
	if (fp_cfg_kind(list) != FP_CFG_KIND_LIST)
		return fp_cfg_error(cfg, list, -EINVAL,
				    "'%s' must be a list of groups ( {...}, ... )", what);
	for (unsigned i = 0; i < fp_cfg_length(list); i++) {
		const struct fp_cfg_node *grp = fp_cfg_elem(list, i);
		int64_t id;
		int rc;
		if (fp_cfg_kind(grp) != FP_CFG_KIND_GROUP)
			return fp_cfg_error(cfg, grp, -EINVAL, "each %s entry must be a group",
					    what);
		if ((rc = fp_cfg_require(cfg, grp, "id")) < 0 ||
		    (rc = fp_cfg_get_int64(cfg, grp, "id", 0, 0, limit - 1, &id)) < 0)
			return rc;
		rc = !strcmp(what, "symbols")
			     ? load_group(cfg, grp, sym_keys, &lim->sym[id], 0)
			     : load_group(cfg, grp, strat_keys, &lim->strat[id], 0);
		if (rc < 0)
			return fp_err_append(rc, "%s id %" PRId64, what, id);
	}
	return 0;
}

static const char *const root_keys[] = {"environments", NULL};
static const char *const env_keys[] = {"global",  "symbol",     "strategy",
				       "symbols", "strategies", NULL};

static int load_env(const struct fp_cfg *cfg, const struct fp_cfg_node *e,
		    struct fp_risk_limits *lim, uint32_t nb_symbols)
{
	const struct fp_cfg_node *grp;
	int rc;

	if ((rc = fp_cfg_check_keys(cfg, e, env_keys)) < 0)
		return rc;
	for (unsigned i = 0; i < 3; i++)
		if (fp_cfg_kind(fp_cfg_lookup(cfg, e, env_keys[i])) != FP_CFG_KIND_GROUP)
			return fp_cfg_error(cfg, e, -EINVAL,
					    "environment '%s' lacks its '%s' group of limits",
					    fp_cfg_key(e), env_keys[i]);
	if ((rc = load_group(cfg, fp_cfg_lookup(cfg, e, "global"), global_keys, &lim->g, 1)) < 0)
		return rc;
	grp = fp_cfg_lookup(cfg, e, "strategy");
	if ((rc = load_group(cfg, grp, strat_keys, &lim->strat[0], 1)) < 0)
		return rc;
	for (unsigned i = 1; i < FP_RISK_MAX_STRATEGIES; i++)
		lim->strat[i] = lim->strat[0];
	grp = fp_cfg_lookup(cfg, e, "symbol");
	if ((rc = load_group(cfg, grp, sym_keys, &lim->sym[0], 1)) < 0)
		return rc;
	for (unsigned i = 1; i < FP_RISK_MAX_SYMBOLS; i++)
		lim->sym[i] = lim->sym[0];
	if ((rc = load_overrides(cfg, fp_cfg_lookup(cfg, e, "strategies"), FP_RISK_MAX_STRATEGIES,
				 "strategies", lim)) < 0 ||
	    (rc = load_overrides(cfg, fp_cfg_lookup(cfg, e, "symbols"), nb_symbols, "symbols",
				 lim)) < 0)
		return rc;
	return 0;
}

int fp_risk_limits_load(struct fp_risk_limits *lim, const char *path, const char *env,
			uint32_t nb_symbols)
{
	struct fp_cfg *cfg = fp_cfg_load_file(path);
	int rc;

	if (!cfg)
		return fp_err_append(errno == EINVAL ? -EINVAL : -ENOENT, "risk limits");
	fp_risk_limits_default(lim, nb_symbols);
	const struct fp_cfg_node *envs = fp_cfg_lookup(cfg, NULL, "environments");
	const struct fp_cfg_node *e = NULL;
	if ((rc = fp_cfg_check_keys(cfg, fp_cfg_root(cfg), root_keys)) < 0)
		goto out;
	if (fp_cfg_kind(envs) == FP_CFG_KIND_GROUP)
		e = fp_cfg_lookup(cfg, envs, env);
	if (!e || fp_cfg_kind(e) != FP_CFG_KIND_GROUP || strchr(env, '.')) {
		rc = fp_err_set(-ENOENT, "%s: no environment '%s' under 'environments'", path, env);
		goto out;
	}
	if (strlen(env) >= sizeof(lim->env)) {
		rc = fp_err_set(-EINVAL, "%s: environment name '%s' longer than %zu characters",
				path, env, sizeof(lim->env) - 1);
		goto out;
	}
	snprintf(lim->env, sizeof(lim->env), "%s", env);
	if ((rc = load_env(cfg, e, lim, nb_symbols)) < 0 || (rc = fp_risk_limits_validate(lim)) < 0)
		fp_err_append(rc, "%s, environment '%s'", path, env);
out:
	fp_cfg_free(cfg);
	return rc;
}

/* ---- the segment region ---- */

void fp_risk_limits_shm_init(struct fp_risk_limits_shm *shm, const struct fp_risk_limits *initial)
{
	memset(shm, 0, sizeof(*shm));
	fp_seqlock_init(&shm->lock);
	shm->lim = *initial;
}

int fp_risk_limits_publish(struct fp_risk_limits_shm *shm, const struct fp_risk_limits *lim)
{
	int rc = fp_risk_limits_validate(lim);
	if (rc < 0)
		return fp_err_append(rc, "limits change refused");
	uint64_t gen = shm->lim.generation + 1; /* only this writer writes it */
	fp_seqlock_write_begin(&shm->lock);
	memcpy(&shm->lim, lim,
	       offsetof(struct fp_risk_limits, sym) + lim->nb_symbols * sizeof(lim->sym[0]));
	shm->lim.generation = gen;
	fp_seqlock_write_end(&shm->lock);
	return 0;
}

int fp_risk_limits_read(const struct fp_risk_limits_shm *shm, struct fp_risk_limits *out)
{
	/* Copy only the symbols in use: read the count first (it may change under us), copy,
	 * then check that the consistent copy's count fits what was copied. */
	for (int i = 0; i < 8; i++) {
		uint32_t n = atomic_load_explicit(
			(const _Atomic uint32_t *)(const void *)&shm->lim.nb_symbols,
			memory_order_relaxed);
		if (n > FP_RISK_MAX_SYMBOLS)
			n = FP_RISK_MAX_SYMBOLS;
		size_t bytes = offsetof(struct fp_risk_limits, sym) + n * sizeof(out->sym[0]);
		if (!fp_seqlock_read_copy(&shm->lock, out, &shm->lim, bytes, 1000))
			continue;
		if (out->nb_symbols <= n)
			return 0;
	}
	return fp_err_set(-EAGAIN, "limits region: every read overlapped a write");
}
