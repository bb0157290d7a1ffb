/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_risk_limits.c - defaults, validation, TSC derivation and config loading of risk limits.
 *
 * Cold path only: called by the risk stage at init, by the limits watcher thread and by
 * fastpath-ctl. May allocate (libconfig) and reports failures through fp_err.
 */
#include <errno.h>
#include <inttypes.h>
#include <libconfig.h>
#include <stdio.h>
#include <string.h>

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
	[FP_RISK_BACKPRESSURE] = "backpressure",
	[FP_RISK_JOURNAL_FULL] = "journal_full",
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
	    (rc = check_amount("global", 0, "max_daily_loss", g->max_daily_loss)) < 0)
		return rc;
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
 * Read an integer setting if present. libconfig stores plain numbers as int and large ones
 * as int64 (with an L suffix); both are accepted. A float or string is a type error.
 */
static int cfg_i64(const config_setting_t *grp, const char *name, int64_t *out)
{
	const config_setting_t *s = config_setting_get_member(grp, name);
	if (!s)
		return 0;
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64 && t != CONFIG_TYPE_BOOL)
		return fp_err_set(-EINVAL, "%s:%d: '%s' must be an integer",
				  config_setting_source_file(s) ? config_setting_source_file(s)
								: "config",
				  config_setting_source_line(s), name);
	*out = config_setting_get_int64(s);
	if (t == CONFIG_TYPE_INT)
		*out = config_setting_get_int(s);
	if (t == CONFIG_TYPE_BOOL)
		*out = config_setting_get_bool(s);
	return 0;
}

static int cfg_u32(const config_setting_t *grp, const char *name, uint32_t *out)
{
	int64_t v = *out;
	int rc = cfg_i64(grp, name, &v);
	if (rc < 0)
		return rc;
	if (v < 0 || v > UINT32_MAX) {
		const config_setting_t *s = config_setting_get_member(grp, name);
		return fp_err_set(-EINVAL, "config:%d: '%s' = %" PRId64 " must be in 0..%u",
				  config_setting_source_line(s), name, v, UINT32_MAX);
	}
	*out = (uint32_t)v;
	return 0;
}

/* Price settings may be written as floats in dollars ("price_max = 5000.0") or Price(4). */
static int cfg_price(const config_setting_t *grp, const char *name, int64_t *out)
{
	const config_setting_t *s = config_setting_get_member(grp, name);
	if (s && config_setting_type(s) == CONFIG_TYPE_FLOAT) {
		double d = config_setting_get_float(s);
		*out = (int64_t)(d * 10000.0 + (d >= 0 ? 0.5 : -0.5));
		return 0;
	}
	return cfg_i64(grp, name, out);
}

static int load_sym(const config_setting_t *grp, struct fp_risk_sym_limits *s)
{
	int rc;
	uint32_t restricted = !!(s->flags & FP_RISK_SYMF_RESTRICTED);
	uint32_t collar = s->collar_bps;
	if ((rc = cfg_price(grp, "price_min", &s->price_min)) < 0 ||
	    (rc = cfg_price(grp, "price_max", &s->price_max)) < 0 ||
	    (rc = cfg_price(grp, "max_notional", &s->max_notional)) < 0 ||
	    (rc = cfg_i64(grp, "max_position", &s->max_position)) < 0 ||
	    (rc = cfg_u32(grp, "qty_min", &s->qty_min)) < 0 ||
	    (rc = cfg_u32(grp, "qty_max", &s->qty_max)) < 0 ||
	    (rc = cfg_u32(grp, "collar_bps", &collar)) < 0 ||
	    (rc = cfg_u32(grp, "max_open_orders", &s->max_open_orders)) < 0 ||
	    (rc = cfg_u32(grp, "order_rate", &s->order_rate)) < 0 ||
	    (rc = cfg_u32(grp, "order_burst", &s->order_burst)) < 0 ||
	    (rc = cfg_u32(grp, "cancel_rate", &s->cancel_rate)) < 0 ||
	    (rc = cfg_u32(grp, "cancel_burst", &s->cancel_burst)) < 0 ||
	    (rc = cfg_u32(grp, "restricted", &restricted)) < 0)
		return rc;
	if (collar > 10000) {
		const config_setting_t *c = config_setting_get_member(grp, "collar_bps");
		return fp_err_set(-EINVAL, "config:%d: collar_bps %" PRIu32 " above 10000",
				  config_setting_source_line(c), collar);
	}
	s->collar_bps = (uint16_t)collar;
	s->flags = (uint16_t)((s->flags & ~(unsigned)FP_RISK_SYMF_RESTRICTED) |
			      (restricted ? FP_RISK_SYMF_RESTRICTED : 0));
	return 0;
}

static int parse_state(const config_setting_t *grp, uint32_t *state)
{
	const char *str;
	if (!config_setting_lookup_string(grp, "state", &str))
		return 0;
	for (uint32_t i = 0; i <= FP_RISK_HALTED; i++)
		if (!strcmp(str, fp_risk_state_name(i))) {
			*state = i;
			return 0;
		}
	return fp_err_set(-EINVAL, "config:%d: state '%s' is not active, reducing or halted",
			  config_setting_source_line(config_setting_get_member(grp, "state")), str);
}

static int load_strat(const config_setting_t *grp, struct fp_risk_strat_limits *s)
{
	int rc;
	if ((rc = cfg_price(grp, "max_gross", &s->max_gross)) < 0 ||
	    (rc = cfg_price(grp, "max_net", &s->max_net)) < 0 ||
	    (rc = cfg_price(grp, "max_daily_loss", &s->max_daily_loss)) < 0 ||
	    (rc = cfg_price(grp, "stop_loss_abs", &s->stop_loss_abs)) < 0 ||
	    (rc = cfg_u32(grp, "max_open_orders", &s->max_open_orders)) < 0 ||
	    (rc = cfg_u32(grp, "max_consec_losses", &s->max_consec_losses)) < 0 ||
	    (rc = cfg_u32(grp, "order_rate", &s->order_rate)) < 0 ||
	    (rc = cfg_u32(grp, "order_burst", &s->order_burst)) < 0 ||
	    (rc = cfg_u32(grp, "cancel_rate", &s->cancel_rate)) < 0 ||
	    (rc = cfg_u32(grp, "cancel_burst", &s->cancel_burst)) < 0 ||
	    (rc = cfg_u32(grp, "enabled", &s->enabled)) < 0 ||
	    (rc = cfg_u32(grp, "stop_loss_bps", &s->stop_loss_bps)) < 0 ||
	    (rc = cfg_u32(grp, "trailing_stop_bps", &s->trailing_stop_bps)) < 0 ||
	    (rc = cfg_u32(grp, "take_profit_bps", &s->take_profit_bps)) < 0 ||
	    (rc = parse_state(grp, &s->state)) < 0)
		return rc;
	return 0;
}

static int load_global(const config_setting_t *grp, struct fp_risk_global_limits *g)
{
	int rc;
	if ((rc = cfg_price(grp, "max_gross", &g->max_gross)) < 0 ||
	    (rc = cfg_price(grp, "max_net", &g->max_net)) < 0 ||
	    (rc = cfg_price(grp, "max_daily_loss", &g->max_daily_loss)) < 0 ||
	    (rc = cfg_u32(grp, "max_open_orders", &g->max_open_orders)) < 0 ||
	    (rc = cfg_u32(grp, "max_consec_losses", &g->max_consec_losses)) < 0 ||
	    (rc = cfg_u32(grp, "stale_ms", &g->stale_ms)) < 0 ||
	    (rc = cfg_u32(grp, "max_consec_rejects", &g->max_consec_rejects)) < 0 ||
	    (rc = cfg_u32(grp, "breaker_cooldown_ms", &g->breaker_cooldown_ms)) < 0 ||
	    (rc = cfg_u32(grp, "breaker_on_position", &g->breaker_on_position)) < 0 ||
	    (rc = cfg_u32(grp, "breaker_on_stale", &g->breaker_on_stale)) < 0 ||
	    (rc = cfg_u32(grp, "breaker_on_loss", &g->breaker_on_loss)) < 0 ||
	    (rc = cfg_u32(grp, "breaker_on_venue", &g->breaker_on_venue)) < 0 ||
	    (rc = parse_state(grp, &g->state)) < 0)
		return rc;
	return 0;
}

/* Overrides: a list of groups, each with an "id" and the settings to change. */
static int load_overrides(const config_setting_t *list, unsigned limit, const char *what,
			  struct fp_risk_limits *lim)
{
	if (!list)
		return 0;
	if (!config_setting_is_list(list) && !config_setting_is_array(list))
		return fp_err_set(-EINVAL, "config:%d: '%s' must be a list of groups",
				  config_setting_source_line(list), what);
	for (int i = 0; i < config_setting_length(list); i++) {
		const config_setting_t *grp = config_setting_get_elem(list, (unsigned)i);
		int id;
		if (!config_setting_is_group(grp) || !config_setting_lookup_int(grp, "id", &id))
			return fp_err_set(-EINVAL, "config:%d: each %s entry needs an integer id",
					  config_setting_source_line(grp), what);
		if (id < 0 || (unsigned)id >= limit)
			return fp_err_set(-EINVAL, "config:%d: %s id %d not in 0..%u",
					  config_setting_source_line(grp), what, id, limit - 1);
		int rc = !strcmp(what, "symbols") ? load_sym(grp, &lim->sym[id])
						  : load_strat(grp, &lim->strat[id]);
		if (rc < 0)
			return fp_err_append(rc, "%s id %d", what, id);
	}
	return 0;
}

int fp_risk_limits_load(struct fp_risk_limits *lim, const char *path, const char *env,
			uint32_t nb_symbols)
{
	config_t cfg;
	int rc = 0;
	config_init(&cfg);
	if (!config_read_file(&cfg, path)) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			rc = fp_err_set(-ENOENT, "cannot read %s", path);
		else
			rc = fp_err_set(-EINVAL, "%s:%d: %s", path, config_error_line(&cfg),
					config_error_text(&cfg));
		goto out;
	}
	fp_risk_limits_default(lim, nb_symbols);
	const config_setting_t *envs = config_lookup(&cfg, "environments");
	const config_setting_t *e = envs ? config_setting_get_member(envs, env) : NULL;
	if (!e) {
		rc = fp_err_set(-ENOENT, "%s: no environment '%s' under 'environments'", path, env);
		goto out;
	}
	snprintf(lim->env, sizeof(lim->env), "%s", env);
	const config_setting_t *grp;
	if ((grp = config_setting_get_member(e, "global")) && (rc = load_global(grp, &lim->g)) < 0)
		goto err;
	if ((grp = config_setting_get_member(e, "strategy"))) {
		struct fp_risk_strat_limits dflt = lim->strat[0];
		if ((rc = load_strat(grp, &dflt)) < 0)
			goto err;
		for (unsigned i = 0; i < FP_RISK_MAX_STRATEGIES; i++)
			lim->strat[i] = dflt;
	}
	if ((grp = config_setting_get_member(e, "symbol"))) {
		struct fp_risk_sym_limits dflt = lim->sym[0];
		if ((rc = load_sym(grp, &dflt)) < 0)
			goto err;
		for (unsigned i = 0; i < FP_RISK_MAX_SYMBOLS; i++)
			lim->sym[i] = dflt;
	}
	if ((rc = load_overrides(config_setting_get_member(e, "strategies"), FP_RISK_MAX_STRATEGIES,
				 "strategies", lim)) < 0)
		goto err;
	if ((rc = load_overrides(config_setting_get_member(e, "symbols"), nb_symbols, "symbols",
				 lim)) < 0)
		goto err;
	if ((rc = fp_risk_limits_validate(lim)) < 0)
		goto err;
	goto out;
err:
	fp_err_append(rc, "%s, environment '%s'", path, env);
out:
	config_destroy(&cfg);
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
