/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_risk_limits.c - limit sets: invalid sets refused with a message (negative
 * amounts, min > max, a rate without a burst, bad states); the sample config/risk.conf
 * loads per environment with its overrides; a broken file names its line; an unknown key
 * or a limit left out is refused with file:line (fail closed, issue 16); derived TSC
 * fields; reason names.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fp_err.h"
#include "fp_risk_limits.h"

static struct fp_risk_limits *L;

static void setup(void)
{
	L = aligned_alloc(64, sizeof(*L));
	ck_assert_ptr_nonnull(L);
	fp_risk_limits_default(L, 32);
}

static void teardown(void)
{
	free(L);
}

static void expect_refused(const char *what, const char *needle)
{
	int rc = fp_risk_limits_validate(L);
	ck_assert_msg(rc == -EINVAL, "%s: validate returned %d", what, rc);
	ck_assert_msg(strstr(fp_err_msg(), needle), "%s: message '%s' lacks '%s'", what,
		      fp_err_msg(), needle);
	fp_risk_limits_default(L, 32);
}

START_TEST(test_invalid_sets_are_refused)
{
	ck_assert_int_eq(fp_risk_limits_validate(L), 0);
	L->sym[3].qty_min = 10;
	L->sym[3].qty_max = 9;
	expect_refused("qty", "symbol 3: qty_min 10 greater than qty_max 9");
	L->sym[4].price_min = 100;
	L->sym[4].price_max = 99;
	expect_refused("price", "price_min 100 greater than price_max 99");
	L->sym[5].max_notional = -1;
	expect_refused("notional", "max_notional must not be negative");
	L->strat[2].max_daily_loss = -5;
	expect_refused("loss", "strategy 2: max_daily_loss must not be negative");
	L->g.max_gross = -1;
	expect_refused("gross", "max_gross must not be negative");
	L->strat[1].order_rate = 10;
	expect_refused("burst", "needs order_burst");
	L->g.state = 7;
	expect_refused("state", "unknown trading state");
	L->nb_symbols = 1;
	expect_refused("nb_symbols", "nb_symbols 1");
	L->magic = 0;
	expect_refused("magic", "bad magic");
}
END_TEST

START_TEST(test_sample_config_loads)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/config/risk.conf", FP_SOURCE_DIR);
	int rc = fp_risk_limits_load(L, path, "dev", 32);
	ck_assert_msg(rc == 0, "load: %s", fp_err_msg());
	ck_assert_str_eq(L->env, "dev");
	ck_assert_int_eq(L->g.max_daily_loss, 50000LL * 10000);
	ck_assert_int_eq(L->g.stale_ms, 2000);
	ck_assert_int_eq(L->sym[2].price_min, 100);
	ck_assert_int_eq(L->sym[2].max_position, 20000);
	ck_assert_int_eq(L->sym[1].max_position, 5000); /* override */
	ck_assert_int_eq(L->sym[1].collar_bps, 200);
	ck_assert_int_eq(L->sym[1].qty_max, 10000); /* default kept */
	ck_assert_uint_eq(L->sym[7].flags, FP_RISK_SYMF_RESTRICTED);
	ck_assert_int_eq(L->strat[2].stop_loss_bps, 150);
	ck_assert_int_eq(L->strat[3].state, FP_RISK_REDUCING);
	ck_assert_int_eq(L->strat[4].max_open_orders, 500);
	ck_assert_int_eq(fp_risk_limits_load(L, path, "prod", 32), 0);
	ck_assert_int_eq(L->g.stale_ms, 500);
	ck_assert_int_eq(fp_risk_limits_load(L, path, "nowhere", 32), -ENOENT);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "no environment 'nowhere'"));
	ck_assert_int_eq(fp_risk_limits_load(L, "/nonexistent/risk.conf", "dev", 32), -ENOENT);
}
END_TEST

static const char *write_tmp(const char *text)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/fp_risk_limits_%d.conf", (int)getpid());
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* A complete environment "t": every limit written; tests change one thing in it. */
#define ENV_GLOBAL                                                                          \
	"  global: { max_gross = 1000000.0; max_net = 500000.0; max_daily_loss = 1000.0;\n" \
	"    max_open_orders = 100; max_consec_losses = 10; stale_ms = 0;\n"                \
	"    max_consec_rejects = 0; breaker_cooldown_ms = 1000; };\n"
#define ENV_SYMBOL                                                                        \
	"  symbol: { price_min = 0.01; price_max = 100.0; max_notional = 10000.0;\n"      \
	"    max_position = 1000; qty_max = 500; max_open_orders = 10; collar_bps = 0;\n" \
	"    order_rate = 0; cancel_rate = 100; cancel_burst = 10; };\n"
#define ENV_STRATEGY                                                                           \
	"  strategy: { max_gross = 100000.0; max_net = 50000.0; max_daily_loss = 500.0;\n"     \
	"    max_open_orders = 50; max_consec_losses = 5; order_rate = 10; order_burst = 2;\n" \
	"    cancel_rate = 0; };\n"

static const char *env_text(const char *global, const char *symbol, const char *strategy,
			    const char *extra)
{
	static char text[4096];
	snprintf(text, sizeof(text), "environments: {\n t: {\n%s%s%s%s };\n};\n", global, symbol,
		 strategy, extra);
	return text;
}

START_TEST(test_bad_config_names_line_and_field)
{
	const char *p = write_tmp(env_text(ENV_GLOBAL, ENV_SYMBOL, ENV_STRATEGY, ""));
	ck_assert_msg(fp_risk_limits_load(L, p, "t", 32) == 0, "%s", fp_err_msg());
	p = write_tmp(
		env_text(ENV_GLOBAL,
			 "  symbol: { qty_min = 5; qty_max = 4; price_min = 1; price_max = 2;\n"
			 "    max_notional = 1; max_position = 1; max_open_orders = 1;\n"
			 "    collar_bps = 0; order_rate = 0; cancel_rate = 0; };\n",
			 ENV_STRATEGY, ""));
	ck_assert_int_eq(fp_risk_limits_load(L, p, "t", 32), -EINVAL);
	ck_assert_msg(strstr(fp_err_msg(), "qty_min 5 greater than qty_max 4"), "%s", fp_err_msg());
	p = write_tmp("environments: {\n  t: {\n    global: { max_gross = ;\n  };\n};\n");
	ck_assert_int_eq(fp_risk_limits_load(L, p, "t", 32), -EINVAL);
	ck_assert_msg(strstr(fp_err_msg(), ":3:"), "%s", fp_err_msg());
	p = write_tmp(env_text(ENV_GLOBAL, ENV_SYMBOL, ENV_STRATEGY,
			       "  symbols = ( { id = 99; qty_max = 5; } );\n"));
	ck_assert_int_eq(fp_risk_limits_load(L, p, "t", 32), -EINVAL);
	ck_assert_msg(strstr(fp_err_msg(), ":12: 'environments.t.symbols.[0].id' must be an "
					   "integer in 0..31, got 99"),
		      "%s", fp_err_msg());
	p = write_tmp(env_text(ENV_GLOBAL, ENV_SYMBOL, ENV_STRATEGY,
			       "  strategies = ( { id = 3; state = \"sleepy\"; } );\n"));
	ck_assert_int_eq(fp_risk_limits_load(L, p, "t", 32), -EINVAL);
	ck_assert_msg(strstr(fp_err_msg(), "sleepy"), "%s", fp_err_msg());
	p = write_tmp(env_text(ENV_GLOBAL, ENV_SYMBOL, ENV_STRATEGY,
			       "  strategies = ( { id = 3; max_net = -3.0; } );\n"));
	ck_assert_int_eq(fp_risk_limits_load(L, p, "t", 32), -EINVAL);
	ck_assert_msg(strstr(fp_err_msg(), ":12: 'environments.t.strategies.[0].max_net' must be"),
		      "%s", fp_err_msg());
	unlink(p);
}
END_TEST

/*
 * Issue 16 item 4: a misspelt key used to be ignored, leaving its limit unlimited
 * (max_gross = INT64_MAX / 4). Now an unknown key anywhere is refused with file:line and
 * the closest known key, and a limit left out of a default group is an error.
 */
START_TEST(test_unknown_or_missing_limit_is_refused)
{
	const char *p = write_tmp(env_text(
		"  global: { max_gros = 1000000.0; max_net = 500000.0; max_daily_loss = 1000.0;\n"
		"    max_open_orders = 100; max_consec_losses = 10; stale_ms = 0;\n"
		"    max_consec_rejects = 0; breaker_cooldown_ms = 1000; };\n",
		ENV_SYMBOL, ENV_STRATEGY, ""));
	ck_assert_int_eq(fp_risk_limits_load(L, p, "t", 32), -EINVAL);
	ck_assert_msg(strstr(fp_err_msg(), p) &&
			      strstr(fp_err_msg(), ":3: unknown key 'max_gros'") &&
			      strstr(fp_err_msg(), "did you mean 'max_gross'"),
		      "%s", fp_err_msg());
	/* The same key, left out: an error naming it, not an unlimited default. */
	p = write_tmp(env_text("  global: { max_net = 500000.0; max_daily_loss = 1000.0;\n"
			       "    max_open_orders = 100; max_consec_losses = 10; stale_ms = 0;\n"
			       "    max_consec_rejects = 0; breaker_cooldown_ms = 1000; };\n",
			       ENV_SYMBOL, ENV_STRATEGY, ""));
	ck_assert_int_eq(fp_risk_limits_load(L, p, "t", 32), -EINVAL);
	ck_assert_msg(strstr(fp_err_msg(), ":3: 'global' lacks limit 'max_gross'"), "%s",
		      fp_err_msg());
	/* Unknown keys in overrides, in the environment and at the top are refused too. */
	p = write_tmp(env_text(ENV_GLOBAL, ENV_SYMBOL, ENV_STRATEGY,
			       "  symbols = ( { id = 1; max_postion = 5; } );\n"));
	ck_assert_int_eq(fp_risk_limits_load(L, p, "t", 32), -EINVAL);
	ck_assert_msg(strstr(fp_err_msg(), ":12: unknown key 'max_postion'"), "%s", fp_err_msg());
	p = write_tmp(env_text(ENV_GLOBAL, ENV_SYMBOL, ENV_STRATEGY, "  limits = 1;\n"));
	ck_assert_int_eq(fp_risk_limits_load(L, p, "t", 32), -EINVAL);
	ck_assert_msg(strstr(fp_err_msg(), ":12: unknown key 'limits' in 'environments.t'"), "%s",
		      fp_err_msg());
	p = write_tmp("environment: { t: { }; };\n");
	ck_assert_int_eq(fp_risk_limits_load(L, p, "t", 32), -EINVAL);
	ck_assert_msg(strstr(fp_err_msg(), ":1: unknown key 'environment'"), "%s", fp_err_msg());
	/* A group of limits left out is an error too. */
	p = write_tmp(env_text(ENV_GLOBAL, ENV_SYMBOL, "", ""));
	ck_assert_int_eq(fp_risk_limits_load(L, p, "t", 32), -EINVAL);
	ck_assert_msg(strstr(fp_err_msg(), "lacks its 'strategy' group"), "%s", fp_err_msg());
	/* Keys with a documented default: a protective switch defaults to on. */
	p = write_tmp(env_text(ENV_GLOBAL, ENV_SYMBOL, ENV_STRATEGY, ""));
	ck_assert_msg(fp_risk_limits_load(L, p, "t", 32) == 0, "%s", fp_err_msg());
	ck_assert_uint_eq(L->g.breaker_on_position, 1);
	ck_assert_uint_eq(L->g.breaker_on_venue, 1);
	ck_assert_uint_eq(L->sym[5].qty_min, 1);
	ck_assert_int_eq(L->g.max_gross, 1000000LL * 10000);
	ck_assert_int_eq(L->sym[5].max_position, 1000);
	ck_assert_uint_eq(L->strat[9].enabled, 1);
	unlink(p);
}
END_TEST

START_TEST(test_derive_rates)
{
	L->sym[1].order_rate = 1000;
	L->sym[1].order_burst = 5;
	L->strat[0].cancel_rate = 3;
	L->strat[0].cancel_burst = 1;
	L->g.stale_ms = 250;
	fp_risk_limits_derive(L, 3000000000ULL);
	ck_assert_uint_eq(L->sym[1].order_iv_tsc, 3000000);
	ck_assert_uint_eq(L->sym[1].order_tau_tsc, 12000000);
	ck_assert_uint_eq(L->strat[0].cancel_iv_tsc, 1000000000);
	ck_assert_uint_eq(L->strat[0].cancel_tau_tsc, 0);
	ck_assert_uint_eq(L->sym[2].order_iv_tsc, 0);
	ck_assert_uint_eq(L->g.stale_tsc, 750000000);
}
END_TEST

START_TEST(test_reason_names)
{
	for (unsigned i = 0; i < FP_RISK_REASON_MAX; i++)
		ck_assert_str_ne(fp_risk_reason_name(i), "unknown");
	ck_assert_str_eq(fp_risk_reason_name(FP_RISK_BACKPRESSURE), "backpressure");
	ck_assert_str_eq(fp_risk_reason_name(FP_RISK_REASON_MAX), "unknown");
	ck_assert_str_eq(fp_risk_state_name(FP_RISK_REDUCING), "reducing");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_risk_limits");
	TCase *tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_invalid_sets_are_refused);
	tcase_add_test(tc, test_sample_config_loads);
	tcase_add_test(tc, test_bad_config_names_line_and_field);
	tcase_add_test(tc, test_unknown_or_missing_limit_is_refused);
	tcase_add_test(tc, test_derive_rates);
	tcase_add_test(tc, test_reason_names);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
