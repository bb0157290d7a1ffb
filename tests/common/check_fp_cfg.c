/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_cfg.c - configuration loader. Every error shape of fp_cfg.h, each on its own:
 * unreadable file, syntax error (string and file, with the line), wrong type, out of
 * range (int, int64, double, string length, enum), bool spelt 1, missing required key
 * (under the root and under a group), unknown key (with and without a suggestion, several,
 * not a group); then the good paths: defaults, every getter, lists of groups, @include.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fp_cfg.h"
#include "fp_err.h"

/* Lines matter: the messages below cite them. */
static const char sample[] = "# sample configuration\n"                                   /* 1 */
			     "instance = \"dev\";\n"                                      /* 2 */
			     "idle = \"spn\";\n"                                          /* 3 */
			     "spin_ns = 5000000000L;\n"                                   /* 4 */
			     "risk = {\n"                                                 /* 5 */
			     "  max_notional = 1000000.5;\n"                              /* 6 */
			     "  max_qty = -3;\n"                                          /* 7 */
			     "  enabled = 1;\n"                                           /* 8 */
			     "  max_qyt = 10;\n"                                          /* 9 */
			     "  symbol = \"AAPL-TOO-LONG\";\n"                            /* 10 */
			     "  ratio = \"half\";\n"                                      /* 11 */
			     "};\n"                                                       /* 12 */
			     "workers = (\n"                                              /* 13 */
			     "  { name = \"md\"; core = 0; },\n"                          /* 14 */
			     "  { name = \"risk\"; core = -1; }\n"                        /* 15 */
			     ");\n"                                                       /* 16 */
			     "ok = { a = 1; b = 2L; c = true; d = 0.25; e = \"x\"; };\n"; /* 17 */

static struct fp_cfg *cfg;

static void setup(void)
{
	cfg = fp_cfg_load_string(sample, "config.conf");
	ck_assert_msg(cfg != NULL, "%s", fp_err_msg());
}

static void teardown(void)
{
	fp_cfg_free(cfg);
	cfg = NULL;
}

/* fp_err_msg() starts with @p want (the "(func file:line)" trail follows it). */
#define ck_assert_err(want)                                                                     \
	ck_assert_msg(strncmp(fp_err_msg(), (want), strlen(want)) == 0, "got  '%s'\nwant '%s'", \
		      fp_err_msg(), (want))

START_TEST(test_cfg_error_prefixes_file_and_line)
{
	const struct fp_cfg_node *w = fp_cfg_lookup(cfg, NULL, "workers.[1]");
	ck_assert_int_eq(fp_cfg_error(cfg, w, -EINVAL, "worker '%s' has no stages", "risk"),
			 -EINVAL);
	ck_assert_err("config.conf:15: worker 'risk' has no stages");
	ck_assert_int_eq(fp_cfg_error(cfg, NULL, -EINVAL, "no worker runs stage '%s'", "book"),
			 -EINVAL);
	ck_assert_err("config.conf: no worker runs stage 'book'");
	ck_assert_str_eq(fp_cfg_file(cfg, w), "config.conf");
}
END_TEST

START_TEST(test_cfg_refuses_unreadable_file)
{
	errno = 0;
	ck_assert_ptr_null(fp_cfg_load_file("/nonexistent/fastpath.conf"));
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_err("cannot read configuration /nonexistent/fastpath.conf: No such file or "
		      "directory");
}
END_TEST

START_TEST(test_cfg_reports_syntax_error_line_in_string)
{
	errno = 0;
	ck_assert_ptr_null(fp_cfg_load_string("a = 1;\nb = 2;\nc = ;\n", "config.conf"));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_err("config.conf:3: syntax error");
}
END_TEST

static char *write_file(const char *dir, const char *name, const char *text)
{
	static char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

START_TEST(test_cfg_reports_syntax_error_line_in_file)
{
	char dir[] = "/tmp/check_fp_cfg.XXXXXX", want[PATH_MAX + 32];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	const char *path =
		write_file(dir, "config.conf", "a = 1;\n\n\n\n\n\n\n\n\n\n\nb = { c = ; };\n");
	ck_assert_ptr_null(fp_cfg_load_file(path));
	snprintf(want, sizeof(want), "%s:12: syntax error", path);
	ck_assert_err(want);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* Issue 18 (found by fuzz_config): an empty file read past the end of getdelim's buffer;
 * a NUL byte cut the text short and the rest went unread. */
START_TEST(test_cfg_empty_file_and_nul_byte)
{
	char dir[] = "/tmp/check_fp_cfg.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	const char *path = write_file(dir, "empty.conf", "");
	struct fp_cfg *c = fp_cfg_load_file(path);
	ck_assert_msg(c != NULL, "%s", fp_err_msg());
	ck_assert_uint_eq(fp_cfg_length(fp_cfg_root(c)), 0);
	fp_cfg_free(c);
	unlink(path);
	for (unsigned k = 0; k < 2; k++) { /* a NUL inside, and a NUL at the very end */
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/nul.conf", dir);
		FILE *f = fopen(p, "w");
		ck_assert_ptr_nonnull(f);
		fwrite(k ? "a = 1;\n\0" : "a = 1;\0b = ;\n", 1, k ? 8 : 13, f);
		fclose(f);
		ck_assert_ptr_null(fp_cfg_load_file(p));
		ck_assert_int_eq(errno, EINVAL);
		ck_assert_msg(strstr(fp_err_msg(),
				     k ? "a NUL byte at offset 7" : "a NUL byte at offset 6"),
			      "got '%s'", fp_err_msg());
		unlink(p);
	}
	rmdir(dir);
}
END_TEST

START_TEST(test_cfg_int_below_min_names_path_line_and_value)
{
	const struct fp_cfg_node *risk = fp_cfg_lookup(cfg, NULL, "risk");
	int v = 99;
	ck_assert_int_eq(fp_cfg_get_int(cfg, risk, "max_qty", 0, 1, INT_MAX, &v), -EINVAL);
	ck_assert_err("config.conf:7: 'risk.max_qty' must be an integer ≥ 1, got -3");
	ck_assert_int_eq(v, 99);
	/* Same setting by a root path. */
	ck_assert_int_eq(fp_cfg_get_int(cfg, NULL, "risk.max_qty", 0, 1, 100, &v), -EINVAL);
	ck_assert_err("config.conf:7: 'risk.max_qty' must be an integer in 1..100, got -3");
	ck_assert_int_eq(fp_cfg_get_int(cfg, NULL, "risk.max_qty", 0, INT_MIN, -4, &v), -EINVAL);
	ck_assert_err("config.conf:7: 'risk.max_qty' must be an integer ≤ -4, got -3");
}
END_TEST

START_TEST(test_cfg_int_wrong_type_shows_value)
{
	int v;
	ck_assert_int_eq(fp_cfg_get_int(cfg, NULL, "instance", 0, INT_MIN, INT_MAX, &v), -EINVAL);
	ck_assert_err("config.conf:2: 'instance' must be an integer, got \"dev\"");
	ck_assert_int_eq(fp_cfg_get_int(cfg, NULL, "risk.max_notional", 0, 0, 10, &v), -EINVAL);
	ck_assert_err("config.conf:6: 'risk.max_notional' must be an integer in 0..10, got 1e+06");
	ck_assert_int_eq(fp_cfg_get_int(cfg, NULL, "risk", 0, INT_MIN, INT_MAX, &v), -EINVAL);
	ck_assert_err("config.conf:5: 'risk' must be an integer, got a group");
}
END_TEST

START_TEST(test_cfg_int_too_big_for_int_but_fine_as_int64)
{
	int v;
	int64_t v64 = 0;
	ck_assert_int_eq(fp_cfg_get_int(cfg, NULL, "spin_ns", 0, 0, INT_MAX, &v), -EINVAL);
	ck_assert_err("config.conf:4: 'spin_ns' must be an integer ≥ 0, got 5000000000");
	ck_assert_int_eq(fp_cfg_get_int64(cfg, NULL, "spin_ns", 0, 0, INT64_MAX, &v64), 0);
	ck_assert_int_eq(v64, 5000000000LL);
	ck_assert_int_eq(fp_cfg_get_int64(cfg, NULL, "spin_ns", 0, 0, 1000, &v64), -EINVAL);
	ck_assert_err("config.conf:4: 'spin_ns' must be an integer in 0..1000, got 5000000000");
}
END_TEST

START_TEST(test_cfg_refuses_unsuffixed_64bit_integer)
{
	/* libconfig 1.5 would silently truncate these to 32 bits (705032704, -1, ...). */
	ck_assert_ptr_null(fp_cfg_load_string("a = 1; # 9999999999 in a comment is fine\n"
					      "s = \"9999999999\";\n"
					      "max_notional = 5000000000;\n",
					      "config.conf"));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_err("config.conf:3: integer 5000000000 does not fit 32 bits: write "
		      "5000000000L for a 64-bit integer");
	ck_assert_ptr_null(fp_cfg_load_string("x = 0x1FFFFFFFF;", "config.conf"));
	ck_assert_err("config.conf:1: integer 0x1FFFFFFFF does not fit 32 bits");
	ck_assert_ptr_null(fp_cfg_load_string("x = -2147483649;", "config.conf"));
	ck_assert_err("config.conf:1: integer -2147483649 does not fit 32 bits");
	/* The edges of 32 bits, suffixed values, floats and names with digits pass. */
	struct fp_cfg *c = fp_cfg_load_string("a = 2147483647; b = -2147483648; c = 0xFFFFFFFF;\n"
					      "d = 9999999999L; e = 1.5e+300; f = 12345678901.5;\n"
					      "g9999999999 = 1; h = [1, 2];\n",
					      "config.conf");
	ck_assert_msg(c != NULL, "%s", fp_err_msg());
	int64_t v = 0;
	ck_assert_int_eq(fp_cfg_get_int64(c, NULL, "d", 0, 0, INT64_MAX, &v), 0);
	ck_assert_int_eq(v, 9999999999LL);
	fp_cfg_free(c);
}
END_TEST

START_TEST(test_cfg_bool_refuses_one)
{
	bool b = false;
	ck_assert_int_eq(fp_cfg_get_bool(cfg, NULL, "risk.enabled", false, &b), -EINVAL);
	ck_assert_err("config.conf:8: 'risk.enabled' must be true or false, got 1");
}
END_TEST

START_TEST(test_cfg_double_range_and_type)
{
	double d = 0;
	ck_assert_int_eq(fp_cfg_get_double(cfg, NULL, "risk.max_notional", 0, 0, 1e6, &d), -EINVAL);
	ck_assert_err("config.conf:6: 'risk.max_notional' must be a number in 0..1e+06, got 1e+06");
	ck_assert_int_eq(fp_cfg_get_double(cfg, NULL, "risk.ratio", 0, 0, 1, &d), -EINVAL);
	ck_assert_err("config.conf:11: 'risk.ratio' must be a number in 0..1, got \"half\"");
}
END_TEST

START_TEST(test_cfg_string_too_long_and_enum_unknown)
{
	const char *s = NULL;
	int e = -1;
	static const char *const idle[] = {"spin", "backoff", NULL};
	ck_assert_int_eq(fp_cfg_get_string(cfg, NULL, "risk.symbol", NULL, 8, &s), -EINVAL);
	ck_assert_err("config.conf:10: 'risk.symbol' must be a string of at most 8 bytes, got "
		      "\"AAPL-TOO-LONG\"");
	ck_assert_int_eq(fp_cfg_get_string(cfg, NULL, "spin_ns", NULL, 0, &s), -EINVAL);
	ck_assert_err("config.conf:4: 'spin_ns' must be a string, got 5000000000");
	ck_assert_int_eq(fp_cfg_get_enum(cfg, NULL, "idle", idle, 0, &e), -EINVAL);
	ck_assert_err("config.conf:3: 'idle' must be one of spin, backoff, got \"spn\"");
	ck_assert_int_eq(e, -1);
}
END_TEST

START_TEST(test_cfg_missing_required_key)
{
	const struct fp_cfg_node *risk = fp_cfg_lookup(cfg, NULL, "risk");
	ck_assert_int_eq(fp_cfg_require(cfg, risk, "max_position"), -ENOENT);
	ck_assert_err("config.conf:5: 'risk' lacks required key 'max_position'");
	ck_assert_int_eq(fp_cfg_require(cfg, NULL, "gateway.host"), -ENOENT);
	ck_assert_err("config.conf: required key 'gateway.host' is missing");
	ck_assert_int_eq(fp_cfg_require(cfg, risk, "max_qty"), 0);
}
END_TEST

START_TEST(test_cfg_unknown_key_suggests_close_match)
{
	static const char *const keys[] = {"max_notional", "max_qty", "enabled",
					   "symbol",       "ratio",   NULL};
	const struct fp_cfg_node *risk = fp_cfg_lookup(cfg, NULL, "risk");
	ck_assert_int_eq(fp_cfg_check_keys(cfg, risk, keys), -EINVAL);
	ck_assert_err("config.conf:9: unknown key 'max_qyt' in 'risk' (did you mean 'max_qty'?) "
		      "(allowed: max_notional, max_qty, enabled, symbol, ratio)");
}
END_TEST

START_TEST(test_cfg_unknown_keys_counted_without_suggestion)
{
	static const char *const keys[] = {"max_notional", "zzz", NULL};
	const struct fp_cfg_node *risk = fp_cfg_lookup(cfg, NULL, "risk");
	ck_assert_int_eq(fp_cfg_check_keys(cfg, risk, keys), -EINVAL);
	ck_assert_err("config.conf:7: unknown key 'max_qty' in 'risk' (allowed: max_notional, "
		      "zzz) and 4 more unknown keys");
	/* A scalar is not a group; an absent group passes. */
	ck_assert_int_eq(fp_cfg_check_keys(cfg, fp_cfg_lookup(cfg, NULL, "idle"), keys), -ENOTDIR);
	ck_assert_err("config.conf:3: 'idle' must be a group { ... }");
	ck_assert_int_eq(fp_cfg_check_keys(cfg, fp_cfg_lookup(cfg, NULL, "nope"), keys), 0);
}
END_TEST

START_TEST(test_cfg_error_inside_list_names_element_path)
{
	const struct fp_cfg_node *workers = fp_cfg_lookup(cfg, NULL, "workers");
	ck_assert_int_eq(fp_cfg_kind(workers), FP_CFG_KIND_LIST);
	ck_assert_uint_eq(fp_cfg_length(workers), 2);
	const char *name = NULL;
	int core = -5;
	const struct fp_cfg_node *w0 = fp_cfg_elem(workers, 0), *w1 = fp_cfg_elem(workers, 1);
	ck_assert_ptr_null(fp_cfg_elem(workers, 2));
	ck_assert_int_eq(fp_cfg_get_string(cfg, w0, "name", NULL, 16, &name), 0);
	ck_assert_str_eq(name, "md");
	ck_assert_int_eq(fp_cfg_get_int(cfg, w0, "core", -1, 0, 1023, &core), 0);
	ck_assert_int_eq(core, 0);
	ck_assert_ptr_eq(fp_cfg_lookup(cfg, NULL, "workers.[1].core"),
			 fp_cfg_lookup(cfg, w1, "core"));
	ck_assert_int_eq(fp_cfg_get_int(cfg, w1, "core", -1, 0, 1023, &core), -EINVAL);
	ck_assert_err("config.conf:15: 'workers.[1].core' must be an integer in 0..1023, got -1");
}
END_TEST

START_TEST(test_cfg_getters_read_values_and_defaults)
{
	const struct fp_cfg_node *ok = fp_cfg_lookup(cfg, NULL, "ok");
	int i = 0;
	int64_t i64 = 0;
	bool b = false;
	double d = 0;
	const char *s = NULL;
	ck_assert_int_eq(fp_cfg_get_int(cfg, ok, "a", 0, 0, 10, &i), 0);
	ck_assert_int_eq(i, 1);
	ck_assert_int_eq(fp_cfg_get_int64(cfg, ok, "b", 0, 0, 10, &i64), 0);
	ck_assert_int_eq(i64, 2);
	ck_assert_int_eq(fp_cfg_get_bool(cfg, ok, "c", false, &b), 0);
	ck_assert(b);
	ck_assert_int_eq(fp_cfg_get_double(cfg, ok, "d", 0, 0, 1, &d), 0);
	ck_assert(d == 0.25);
	ck_assert_int_eq(fp_cfg_get_double(cfg, ok, "a", 0, 0, 1, &d), 0); /* int as double */
	ck_assert(d == 1.0);
	ck_assert_int_eq(fp_cfg_get_string(cfg, ok, "e", NULL, 0, &s), 0);
	ck_assert_str_eq(s, "x");
	/* Absent: the defaults, even outside the range (the caller's choice). */
	ck_assert_int_eq(fp_cfg_get_int(cfg, ok, "zz", 7, 0, 1, &i), 0);
	ck_assert_int_eq(i, 7);
	ck_assert_int_eq(fp_cfg_get_int64(cfg, ok, "zz", -9, 0, 1, &i64), 0);
	ck_assert_int_eq(i64, -9);
	ck_assert_int_eq(fp_cfg_get_bool(cfg, ok, "zz", true, &b), 0);
	ck_assert(b);
	ck_assert_int_eq(fp_cfg_get_double(cfg, ok, "zz", 0.5, 0, 1, &d), 0);
	ck_assert(d == 0.5);
	ck_assert_int_eq(fp_cfg_get_string(cfg, ok, "zz", "dflt", 0, &s), 0);
	ck_assert_str_eq(s, "dflt");
	static const char *const idle[] = {"spin", "backoff", NULL};
	int e = -1;
	ck_assert_int_eq(fp_cfg_get_enum(cfg, ok, "zz", idle, 1, &e), 0);
	ck_assert_int_eq(e, 1);
	ck_assert_int_eq(fp_cfg_get_enum(cfg, ok, "e", idle, 1, &e), -EINVAL);
	/* Node helpers. */
	char path[64];
	ck_assert_str_eq(fp_cfg_path(fp_cfg_lookup(cfg, ok, "d"), path, sizeof(path)), "ok.d");
	ck_assert_str_eq(fp_cfg_path(fp_cfg_root(cfg), path, sizeof(path)), "(root)");
	ck_assert_str_eq(fp_cfg_key(fp_cfg_lookup(cfg, ok, "d")), "d");
	ck_assert_uint_eq(fp_cfg_line(ok), 17);
	ck_assert_str_eq(fp_cfg_name(cfg), "config.conf");
	ck_assert_int_eq(fp_cfg_kind(NULL), FP_CFG_KIND_NONE);
	ck_assert_int_eq(fp_cfg_kind(fp_cfg_lookup(cfg, ok, "e")), FP_CFG_KIND_STRING);
}
END_TEST

START_TEST(test_cfg_file_with_include_relative_to_its_folder)
{
	char dir[] = "/tmp/check_fp_cfg.XXXXXX", want[PATH_MAX + 64];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char inc[PATH_MAX], main_path[PATH_MAX];
	snprintf(inc, sizeof(inc), "%s", write_file(dir, "limits.conf", "\nmax_qty = 0;\n"));
	snprintf(main_path, sizeof(main_path), "%s",
		 write_file(dir, "main.conf", "risk = {\n  @include \"limits.conf\"\n};\n"));
	struct fp_cfg *c = fp_cfg_load_file(main_path);
	ck_assert_msg(c != NULL, "%s", fp_err_msg());
	int v;
	ck_assert_int_eq(fp_cfg_get_int(c, NULL, "risk.max_qty", 0, 1, 10, &v), -EINVAL);
	/* The message, fp_cfg_file() and fp_cfg_error() point into the included file. */
	snprintf(want, sizeof(want), ":2: 'risk.max_qty' must be an integer in 1..10, got 0");
	ck_assert_msg(strstr(fp_err_msg(), "limits.conf") != NULL &&
			      strstr(fp_err_msg(), want) != NULL,
		      "got '%s'", fp_err_msg());

	const struct fp_cfg_node *q = fp_cfg_lookup(c, NULL, "risk.max_qty");
	ck_assert_msg(strstr(fp_cfg_file(c, q), "limits.conf") != NULL, "%s", fp_cfg_file(c, q));
	ck_assert_msg(strstr(fp_cfg_file(c, fp_cfg_lookup(c, NULL, "risk")), "main.conf") != NULL,
		      "%s", fp_cfg_file(c, fp_cfg_lookup(c, NULL, "risk")));
	ck_assert_uint_eq(fp_cfg_line(q), 2);
	ck_assert_int_eq(fp_cfg_error(c, q, -ERANGE, "'%s' too small", "max_qty"), -ERANGE);
	ck_assert_err("limits.conf:2: 'max_qty' too small");
	fp_cfg_free(c);
	unlink(inc);
	unlink(main_path);
	rmdir(dir);
}
END_TEST

/* Paths inside a file resolve against its folder (an @include'd file: that file's folder),
 * whatever the working directory when they are read; absolute and empty paths stay. */
START_TEST(test_cfg_path_relative_to_the_file_folder)
{
	char dir[] = "/tmp/check_fp_cfg.XXXXXX", real[PATH_MAX], want[PATH_MAX + 64];
	char sub[64], inc[64], cwd[PATH_MAX];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_nonnull(realpath(dir, real));
	snprintf(sub, sizeof(sub), "%s/etc", dir);
	ck_assert_int_eq(mkdir(sub, 0700), 0);
	snprintf(inc, sizeof(inc), "%s/etc/inc", dir);
	ck_assert_int_eq(mkdir(inc, 0700), 0);
	write_file(inc, "more.conf", "lib = \"strat/libmine.so\";\n");
	write_file(sub, "main.conf",
		   "risk = { limits = \"risk.conf\"; abs = \"/var/lib/j\"; none = \"\";\n"
		   "  dot = \"./journal\"; up = \"../build/journal\"; };\n"
		   "s = {\n  @include \"inc/more.conf\"\n};\n");
	/* Loaded by a relative name, read from another working directory. */
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(dir), 0);
	struct fp_cfg *c = fp_cfg_load_file("etc/main.conf");
	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_msg(c != NULL, "%s", fp_err_msg());
	const char *v;
	ck_assert_int_eq(fp_cfg_get_path(c, NULL, "risk.limits", NULL, 0, &v), 0);
	snprintf(want, sizeof(want), "%s/etc/risk.conf", real);
	ck_assert_str_eq(v, want);
	ck_assert_int_eq(fp_cfg_get_path(c, NULL, "risk.dot", NULL, 0, &v), 0);
	snprintf(want, sizeof(want), "%s/etc/journal", real);
	ck_assert_str_eq(v, want);
	ck_assert_int_eq(fp_cfg_get_path(c, NULL, "risk.up", NULL, 0, &v), 0);
	snprintf(want, sizeof(want), "%s/etc/../build/journal", real);
	ck_assert_str_eq(v, want);
	ck_assert_int_eq(fp_cfg_get_path(c, NULL, "risk.abs", NULL, 0, &v), 0);
	ck_assert_str_eq(v, "/var/lib/j");
	ck_assert_int_eq(fp_cfg_get_path(c, NULL, "risk.none", NULL, 0, &v), 0);
	ck_assert_str_eq(v, "");
	ck_assert_int_eq(fp_cfg_get_path(c, NULL, "risk.absent", "dflt", 0, &v), 0);
	ck_assert_str_eq(v, "dflt");
	ck_assert_int_eq(fp_cfg_get_path(c, NULL, "s.lib", NULL, 0, &v), 0);
	ck_assert_msg(strstr(v, "/etc/inc/strat/libmine.so") != NULL && v[0] == '/', "%s", v);
	/* The limit applies to the resolved path; a non-string is refused like a string. */
	ck_assert_int_eq(fp_cfg_get_path(c, NULL, "risk.limits", NULL, 12, &v), -EINVAL);
	ck_assert_msg(strstr(fp_err_msg(), "main.conf:1: 'risk.limits' must be a path of at "
					   "most 12 bytes") != NULL,
		      "%s", fp_err_msg());
	ck_assert_int_eq(fp_cfg_get_path(c, NULL, "s", NULL, 0, &v), -EINVAL);
	fp_cfg_free(c);
	ck_assert_int_eq(chdir(cwd), 0);

	/* No file, no folder: a string's paths stay relative to the working directory. */
	c = fp_cfg_load_string("limits = \"risk.conf\";\n", "s.conf");
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(fp_cfg_get_path(c, NULL, "limits", NULL, 0, &v), 0);
	ck_assert_str_eq(v, "risk.conf");
	fp_cfg_free(c);
	char rm[PATH_MAX + 16];
	snprintf(rm, sizeof(rm), "rm -rf %s", dir);
	ck_assert_int_eq(system(rm), 0);
}
END_TEST

static Suite *fp_cfg_suite(void)
{
	Suite *s = suite_create("fp_cfg");
	TCase *tc = tcase_create("load");
	tcase_add_test(tc, test_cfg_refuses_unreadable_file);
	tcase_add_test(tc, test_cfg_reports_syntax_error_line_in_string);
	tcase_add_test(tc, test_cfg_reports_syntax_error_line_in_file);
	tcase_add_test(tc, test_cfg_empty_file_and_nul_byte);
	tcase_add_test(tc, test_cfg_file_with_include_relative_to_its_folder);
	tcase_add_test(tc, test_cfg_path_relative_to_the_file_folder);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_cfg_int_below_min_names_path_line_and_value);
	tcase_add_test(tc, test_cfg_int_wrong_type_shows_value);
	tcase_add_test(tc, test_cfg_int_too_big_for_int_but_fine_as_int64);
	tcase_add_test(tc, test_cfg_refuses_unsuffixed_64bit_integer);
	tcase_add_test(tc, test_cfg_bool_refuses_one);
	tcase_add_test(tc, test_cfg_double_range_and_type);
	tcase_add_test(tc, test_cfg_string_too_long_and_enum_unknown);
	tcase_add_test(tc, test_cfg_missing_required_key);
	tcase_add_test(tc, test_cfg_unknown_key_suggests_close_match);
	tcase_add_test(tc, test_cfg_unknown_keys_counted_without_suggestion);
	tcase_add_test(tc, test_cfg_error_inside_list_names_element_path);
	tcase_add_test(tc, test_cfg_error_prefixes_file_and_line);
	suite_add_tcase(s, tc);
	tc = tcase_create("values");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_cfg_getters_read_values_and_defaults);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fp_cfg_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
