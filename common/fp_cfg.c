/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_cfg.c - libconfig-backed configuration with typed getters and line-numbered errors
 * (see fp_cfg.h for the message shapes).
 *
 * Cold code: allocates (libconfig's tree), reads files, not thread-safe per struct fp_cfg.
 * A struct fp_cfg_node is a libconfig config_setting_t seen through an opaque type, so the
 * public header needs no libconfig include.
 */
#include <errno.h>
#include <inttypes.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_cfg.h"
#include "fp_err.h"

/* A string made by fp_cfg_get_path(), freed with its struct fp_cfg. */
struct fp_cfg_str {
	struct fp_cfg_str *next;
	char text[];
};

struct fp_cfg {
	config_t lc;              /* libconfig's tree */
	char name[PATH_MAX];      /* file name (or string name) for messages */
	char dir[PATH_MAX];       /* absolute folder of the file; "" for a string */
	struct fp_cfg_str *paths; /* resolved paths handed out by fp_cfg_get_path() */
};

/* Node <-> setting. libconfig takes non-const settings even for reads. */
static config_setting_t *fp_cfg_s(const struct fp_cfg_node *node)
{
	return (config_setting_t *)(uintptr_t)node;
}

static const struct fp_cfg_node *fp_cfg_n(const config_setting_t *s)
{
	return (const struct fp_cfg_node *)s;
}

/* Parse errors: "FILE:LINE: TEXT", then free the config. */
static struct fp_cfg *fp_cfg_parse_failed(struct fp_cfg *cfg)
{
	const char *file = config_error_file(&cfg->lc);
	fp_err_set(-EINVAL, "%s:%d: %s", file ? file : cfg->name, config_error_line(&cfg->lc),
		   config_error_text(&cfg->lc));
	fp_cfg_free(cfg);
	errno = EINVAL;
	return NULL;
}

/*
 * libconfig 1.5 (Debian 12) parses an integer without the L suffix into 32 bits and drops
 * the high bits silently: "max_notional = 5000000000;" reads as 705032704. A limit that is
 * silently wrong is worse than a refused file, so before parsing we scan the text (and
 * every @include'd file) for decimal or hex integers outside 32 bits that lack the L
 * suffix, and refuse them with their line. Strings and comments are skipped.
 */
#define FP_CFG_INCLUDE_DEPTH 10

static int fp_cfg_scan(const char *text, const char *name, const char *dir, int depth);

static int fp_cfg_is_ident(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '*';
}

/* One numeric token at @p p (length @p len), preceded by '-' when @p neg. */
static int fp_cfg_scan_number(const char *p, size_t len, int neg, const char *name, unsigned line)
{
	char tok[64];
	if (len >= sizeof(tok))
		len = sizeof(tok) - 1;
	memcpy(tok, p, len);
	tok[len] = '\0';
	int hex = tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X');
	if (tok[len - 1] == 'L' || tok[len - 1] == 'l')
		return 0; /* 64-bit literal */
	if (!hex && strpbrk(tok, ".eE") != NULL)
		return 0; /* floating point */
	errno = 0;
	unsigned long long v = strtoull(tok, NULL, hex ? 16 : 10);
	unsigned long long lim = hex ? 0xffffffffULL : neg ? 2147483648ULL : 2147483647ULL;
	if (errno == 0 && v <= lim)
		return 0;
	return fp_err_set(-EINVAL,
			  "%s:%u: integer %s%s does not fit 32 bits: write %s%sL for a 64-bit "
			  "integer (libconfig would silently truncate it)",
			  name, line, neg ? "-" : "", tok, neg ? "-" : "", tok);
}

/* @include "file" at @p p: scan that file too. Returns the rc; *end past the directive. */
static int fp_cfg_scan_include(const char *p, const char **end, const char *dir, int depth)
{
	const char *q = p + strlen("@include");
	while (*q == ' ' || *q == '\t')
		q++;
	*end = q;
	if (*q != '"')
		return 0; /* libconfig reports the syntax */
	const char *close = strchr(q + 1, '"');
	if (close == NULL)
		return 0;
	*end = close + 1;
	char path[PATH_MAX];
	int n = (int)(close - q - 1);
	if (q[1] == '/' || dir == NULL)
		snprintf(path, sizeof(path), "%.*s", n, q + 1);
	else
		snprintf(path, sizeof(path), "%s/%.*s", dir, n, q + 1);
	if (depth >= FP_CFG_INCLUDE_DEPTH)
		return fp_err_set(-ELOOP, "%s: @include nested deeper than %d", path,
				  FP_CFG_INCLUDE_DEPTH);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return 0; /* libconfig reports the missing file */
	char *text = NULL;
	size_t cap = 0;
	ssize_t got = getdelim(&text, &cap, '\0', f);
	fclose(f);
	/* got < 0: empty, and the buffer is not terminated (issue 18: read past its end) */
	int rc = got >= 0 ? fp_cfg_scan(text, path, dir, depth + 1) : 0;
	free(text);
	return rc;
}

static int fp_cfg_scan(const char *text, const char *name, const char *dir, int depth)
{
	unsigned line = 1;
	const char *p = text;
	while (*p) {
		int c = (unsigned char)*p;
		if (c == '\n') {
			line++;
			p++;
		} else if (c == '#' || (c == '/' && p[1] == '/')) {
			while (*p && *p != '\n')
				p++;
		} else if (c == '/' && p[1] == '*') {
			for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
				line += *p == '\n';
			p += *p ? 2 : 0;
		} else if (c == '"') {
			for (p++; *p && *p != '"'; p++) {
				line += *p == '\n';
				if (*p == '\\' && p[1])
					p++;
			}
			p += *p ? 1 : 0;
		} else if (c == '@' && strncmp(p, "@include", 8) == 0) {
			int rc = fp_cfg_scan_include(p, &p, dir, depth);
			if (rc < 0)
				return rc;
		} else if (c >= '0' && c <= '9') {
			int neg = p > text && p[-1] == '-';
			const char *start = p;
			while (fp_cfg_is_ident((unsigned char)*p) || *p == '.' || *p == '+') {
				/* a sign belongs to the token only after an exponent */
				if ((*p == '-' || *p == '+') && p[-1] != 'e' && p[-1] != 'E')
					break;
				p++;
			}
			int rc = fp_cfg_scan_number(start, (size_t)(p - start), neg, name, line);
			if (rc < 0)
				return rc;
		} else if (fp_cfg_is_ident(c) && c != '-') {
			/* a name: starts with a letter, '*' or '_', may hold digits and '-' */
			while (fp_cfg_is_ident((unsigned char)*p))
				p++;
		} else {
			p++;
		}
	}
	return 0;
}

static struct fp_cfg *fp_cfg_new(const char *name)
{
	struct fp_cfg *cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL) {
		fp_err_set(-ENOMEM, "out of memory loading %s", name);
		errno = ENOMEM;
		return NULL;
	}
	config_init(&cfg->lc);
	snprintf(cfg->name, sizeof(cfg->name), "%s", name);
	return cfg;
}

/*
 * Remember where @p cfg came from for fp_cfg_get_path(): the absolute folder @p dir of the
 * file (realpath fails only if the folder went away since the file was read: then the
 * folder stays as given).
 */
static void fp_cfg_set_dir(struct fp_cfg *cfg, const char *dir)
{
	char abs[PATH_MAX];
	snprintf(cfg->dir, sizeof(cfg->dir), "%s", realpath(dir, abs) ? abs : dir);
}

struct fp_cfg *fp_cfg_load_file(const char *path)
{
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		int err = errno;
		fp_err_set(-err, "cannot read configuration %s: %s", path, strerror(err));
		errno = err;
		return NULL;
	}
	char *text = NULL;
	size_t cap = 0;
	ssize_t got = getdelim(&text, &cap, '\0', f);
	int err = got < 0 && ferror(f) ? errno : 0;
	/* A NUL byte would end the text early and the rest would go unread: refuse it. */
	bool nul = got > 0 && (text[got - 1] == '\0' || fgetc(f) != EOF);
	fclose(f);
	if (got < 0) { /* an empty file: getdelim leaves the buffer unterminated (issue 18) */
		free(text);
		text = NULL;
	}
	if (err || nul) {
		free(text);
		if (nul)
			fp_err_set(-EINVAL,
				   "%s: a NUL byte at offset %zd: a configuration is text (is this "
				   "the right file?)",
				   path, got - 1);
		else
			fp_err_set(-err, "cannot read configuration %s: %s", path, strerror(err));
		errno = err ? err : EINVAL;
		return NULL;
	}
	/* @include "x.conf" is relative to the including file's folder. */
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	const char *inc = slash == NULL ? "." : dir[0] ? dir : "/";
	struct fp_cfg *cfg = NULL;
	if (fp_cfg_scan(text ? text : "", path, inc, 0) < 0) {
		errno = EINVAL;
	} else if ((cfg = fp_cfg_new(path)) != NULL) {
		fp_cfg_set_dir(cfg, inc);
		config_set_include_dir(&cfg->lc, inc);
		if (config_read_string(&cfg->lc, text ? text : "") != CONFIG_TRUE)
			cfg = fp_cfg_parse_failed(cfg);
	}
	free(text);
	return cfg;
}

struct fp_cfg *fp_cfg_load_string(const char *text, const char *name)
{
	if (fp_cfg_scan(text, name ? name : "<string>", NULL, 0) < 0) {
		errno = EINVAL;
		return NULL;
	}
	struct fp_cfg *cfg = fp_cfg_new(name ? name : "<string>");
	if (cfg == NULL)
		return NULL;
	return config_read_string(&cfg->lc, text) == CONFIG_TRUE ? cfg : fp_cfg_parse_failed(cfg);
}

void fp_cfg_free(struct fp_cfg *cfg)
{
	if (cfg == NULL)
		return;
	config_destroy(&cfg->lc);
	while (cfg->paths) {
		struct fp_cfg_str *next = cfg->paths->next;
		free(cfg->paths);
		cfg->paths = next;
	}
	free(cfg);
}

const char *fp_cfg_name(const struct fp_cfg *cfg)
{
	return cfg->name;
}

const struct fp_cfg_node *fp_cfg_root(const struct fp_cfg *cfg)
{
	return fp_cfg_n(config_root_setting(&cfg->lc));
}

const struct fp_cfg_node *fp_cfg_lookup(const struct fp_cfg *cfg, const struct fp_cfg_node *base,
					const char *path)
{
	config_setting_t *s = fp_cfg_s(base ? base : fp_cfg_root(cfg));
	if (path == NULL || path[0] == '\0')
		return fp_cfg_n(s);
	return fp_cfg_n(config_setting_lookup(s, path));
}

enum fp_cfg_kind fp_cfg_kind(const struct fp_cfg_node *node)
{
	if (node == NULL)
		return FP_CFG_KIND_NONE;
	switch (config_setting_type(fp_cfg_s(node))) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return FP_CFG_KIND_INT;
	case CONFIG_TYPE_FLOAT:
		return FP_CFG_KIND_DOUBLE;
	case CONFIG_TYPE_STRING:
		return FP_CFG_KIND_STRING;
	case CONFIG_TYPE_BOOL:
		return FP_CFG_KIND_BOOL;
	case CONFIG_TYPE_GROUP:
		return FP_CFG_KIND_GROUP;
	case CONFIG_TYPE_LIST:
		return FP_CFG_KIND_LIST;
	case CONFIG_TYPE_ARRAY:
		return FP_CFG_KIND_ARRAY;
	default:
		return FP_CFG_KIND_NONE;
	}
}

unsigned fp_cfg_length(const struct fp_cfg_node *node)
{
	return node ? (unsigned)config_setting_length(fp_cfg_s(node)) : 0;
}

const struct fp_cfg_node *fp_cfg_elem(const struct fp_cfg_node *node, unsigned i)
{
	if (node == NULL || i >= fp_cfg_length(node))
		return NULL;
	return fp_cfg_n(config_setting_get_elem(fp_cfg_s(node), i));
}

const char *fp_cfg_key(const struct fp_cfg_node *node)
{
	return node ? config_setting_name(fp_cfg_s(node)) : NULL;
}

unsigned fp_cfg_line(const struct fp_cfg_node *node)
{
	return node ? config_setting_source_line(fp_cfg_s(node)) : 0;
}

const char *fp_cfg_path(const struct fp_cfg_node *node, char *buf, unsigned len)
{
	const config_setting_t *chain[64];
	unsigned depth = 0;

	if (len == 0)
		return buf;
	for (config_setting_t *s = fp_cfg_s(node);
	     s && config_setting_parent(s) && depth < FP_ARRAY_SIZE(chain);
	     s = config_setting_parent(s))
		chain[depth++] = s;
	if (depth == 0) {
		snprintf(buf, len, "(root)");
		return buf;
	}
	size_t used = 0;
	buf[0] = '\0';
	while (depth-- > 0 && used < len) {
		const config_setting_t *s = chain[depth];
		const char *sep = used ? "." : "";
		int n = s->name ? snprintf(buf + used, len - used, "%s%s", sep, s->name)
				: snprintf(buf + used, len - used, "%s[%d]", sep,
					   config_setting_index(s));
		used += n > 0 ? (size_t)n : 0;
	}
	return buf;
}

const char *fp_cfg_file(const struct fp_cfg *cfg, const struct fp_cfg_node *node)
{
	const config_setting_t *s = fp_cfg_s(node);
	const char *file = s ? config_setting_source_file(s) : NULL;
	return file ? file : cfg->name;
}

/* "FILE:LINE: " (or "FILE: " when the line is unknown) of @p node into @p buf. */
static const char *fp_cfg_where(const struct fp_cfg *cfg, const struct fp_cfg_node *node, char *buf,
				size_t len)
{
	unsigned line = fp_cfg_line(node);
	if (line)
		snprintf(buf, len, "%s:%u: ", fp_cfg_file(cfg, node), line);
	else
		snprintf(buf, len, "%s: ", fp_cfg_file(cfg, node));
	return buf;
}

int fp_cfg_error(const struct fp_cfg *cfg, const struct fp_cfg_node *node, int rc, const char *fmt,
		 ...)
{
	char where[PATH_MAX + 32], text[FP_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return fp_err_set(rc, "%s%s", fp_cfg_where(cfg, node, where, sizeof(where)), text);
}

int fp_cfg_require(const struct fp_cfg *cfg, const struct fp_cfg_node *base, const char *path)
{
	char where[PATH_MAX + 32], bpath[256];
	if (fp_cfg_lookup(cfg, base, path) != NULL)
		return 0;
	if (base == NULL || base == fp_cfg_root(cfg))
		return fp_err_set(-ENOENT, "%s: required key '%s' is missing", cfg->name, path);
	return fp_err_set(-ENOENT, "%s'%s' lacks required key '%s'",
			  fp_cfg_where(cfg, base, where, sizeof(where)),
			  fp_cfg_path(base, bpath, sizeof(bpath)), path);
}

/* Edit distance of two short keys (capped at 64 characters each). */
static unsigned fp_cfg_distance(const char *a, const char *b)
{
	unsigned la = (unsigned)FP_MIN(strlen(a), 64), lb = (unsigned)FP_MIN(strlen(b), 64);
	unsigned row[65];
	for (unsigned j = 0; j <= lb; j++)
		row[j] = j;
	for (unsigned i = 1; i <= la; i++) {
		unsigned diag = row[0];
		row[0] = i;
		for (unsigned j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned sub = diag + (a[i - 1] != b[j - 1]);
			row[j] = FP_MIN(FP_MIN(row[j] + 1, row[j - 1] + 1), sub);
			diag = up;
		}
	}
	return row[lb];
}

int fp_cfg_check_keys(const struct fp_cfg *cfg, const struct fp_cfg_node *group,
		      const char *const *allowed)
{
	char where[PATH_MAX + 32], gpath[256], list[512];
	if (group == NULL)
		return 0;
	fp_cfg_path(group, gpath, sizeof(gpath));
	if (fp_cfg_kind(group) != FP_CFG_KIND_GROUP)
		return fp_err_set(-ENOTDIR, "%s'%s' must be a group { ... }",
				  fp_cfg_where(cfg, group, where, sizeof(where)), gpath);
	size_t used = 0;
	list[0] = '\0';
	for (unsigned k = 0; allowed[k] && used < sizeof(list); k++) {
		int n = snprintf(list + used, sizeof(list) - used, "%s%s", k ? ", " : "",
				 allowed[k]);
		used += n > 0 ? (size_t)n : 0;
	}
	const struct fp_cfg_node *first = NULL;
	unsigned nb_unknown = 0;
	for (unsigned i = 0; i < fp_cfg_length(group); i++) {
		const struct fp_cfg_node *m = fp_cfg_elem(group, i);
		const char *key = fp_cfg_key(m);
		unsigned k = 0;
		while (allowed[k] && strcmp(allowed[k], key) != 0)
			k++;
		if (allowed[k] != NULL)
			continue;
		if (nb_unknown++ == 0)
			first = m;
	}
	if (nb_unknown == 0)
		return 0;
	const char *key = fp_cfg_key(first), *near = NULL;
	unsigned best = UINT_MAX;
	for (unsigned k = 0; allowed[k]; k++) {
		unsigned d = fp_cfg_distance(key, allowed[k]);
		if (d < best) {
			best = d;
			near = allowed[k];
		}
	}
	/* Suggest only a close key: one edit for short keys, a third of the length otherwise. */
	if (best > FP_MAX(1u, (unsigned)strlen(key) / 3))
		near = NULL;
	char more[48] = "";
	if (nb_unknown > 1)
		snprintf(more, sizeof(more), " and %u more unknown key%s", nb_unknown - 1,
			 nb_unknown > 2 ? "s" : "");
	const char *in = fp_cfg_path(group, gpath, sizeof(gpath));
	return fp_err_set(-EINVAL, "%sunknown key '%s' in '%s'%s%s%s (allowed: %s)%s",
			  fp_cfg_where(cfg, first, where, sizeof(where)), key, in,
			  near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "", list,
			  more);
}

/* Render the value of @p s for "got ..." */
static const char *fp_cfg_render(const config_setting_t *s, char *buf, size_t len)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		snprintf(buf, len, "%lld", config_setting_get_int64(s));
		break;
	case CONFIG_TYPE_FLOAT:
		snprintf(buf, len, "%g", config_setting_get_float(s));
		break;
	case CONFIG_TYPE_STRING:
		snprintf(buf, len, "\"%s\"", config_setting_get_string(s));
		break;
	case CONFIG_TYPE_BOOL:
		snprintf(buf, len, "%s", config_setting_get_bool(s) ? "true" : "false");
		break;
	case CONFIG_TYPE_GROUP:
		snprintf(buf, len, "a group");
		break;
	case CONFIG_TYPE_LIST:
		snprintf(buf, len, "a list");
		break;
	case CONFIG_TYPE_ARRAY:
		snprintf(buf, len, "an array");
		break;
	default:
		snprintf(buf, len, "an unknown type");
	}
	return buf;
}

/* "FILE:LINE: 'path' must be WANT, got VALUE" */
static int fp_cfg_bad(const struct fp_cfg *cfg, const struct fp_cfg_node *node, const char *want)
{
	char where[PATH_MAX + 32], path[256], got[128];
	return fp_err_set(-EINVAL, "%s'%s' must be %s, got %s",
			  fp_cfg_where(cfg, node, where, sizeof(where)),
			  fp_cfg_path(node, path, sizeof(path)), want,
			  fp_cfg_render(fp_cfg_s(node), got, sizeof(got)));
}

/* "an integer", "an integer ≥ 1", "an integer ≤ 9", "an integer in 1..9" */
static const char *fp_cfg_int_want(int64_t min, int64_t max, int64_t tmin, int64_t tmax, char *buf,
				   size_t len)
{
	if (min <= tmin && max >= tmax)
		snprintf(buf, len, "an integer");
	else if (max >= tmax)
		snprintf(buf, len, "an integer ≥ %" PRId64, min);
	else if (min <= tmin)
		snprintf(buf, len, "an integer ≤ %" PRId64, max);
	else
		snprintf(buf, len, "an integer in %" PRId64 "..%" PRId64, min, max);
	return buf;
}

static int fp_cfg_int_range(const struct fp_cfg *cfg, const struct fp_cfg_node *base,
			    const char *path, int64_t min, int64_t max, int64_t tmin, int64_t tmax,
			    int64_t *out, int *found)
{
	char want[96];
	const struct fp_cfg_node *n = fp_cfg_lookup(cfg, base, path);
	*found = n != NULL;
	if (n == NULL)
		return 0;
	fp_cfg_int_want(min, max, tmin, tmax, want, sizeof(want));
	if (fp_cfg_kind(n) != FP_CFG_KIND_INT)
		return fp_cfg_bad(cfg, n, want);
	int64_t v = config_setting_get_int64(fp_cfg_s(n));
	if (v < min || v > max)
		return fp_cfg_bad(cfg, n, want);
	*out = v;
	return 0;
}

int fp_cfg_get_int(const struct fp_cfg *cfg, const struct fp_cfg_node *base, const char *path,
		   int dflt, int min, int max, int *out)
{
	int64_t v = 0;
	int found;
	int rc = fp_cfg_int_range(cfg, base, path, min, max, INT_MIN, INT_MAX, &v, &found);
	if (rc == 0)
		*out = found ? (int)v : dflt;
	return rc;
}

int fp_cfg_get_int64(const struct fp_cfg *cfg, const struct fp_cfg_node *base, const char *path,
		     int64_t dflt, int64_t min, int64_t max, int64_t *out)
{
	int64_t v = 0;
	int found;
	int rc = fp_cfg_int_range(cfg, base, path, min, max, INT64_MIN, INT64_MAX, &v, &found);
	if (rc == 0)
		*out = found ? v : dflt;
	return rc;
}

int fp_cfg_get_bool(const struct fp_cfg *cfg, const struct fp_cfg_node *base, const char *path,
		    bool dflt, bool *out)
{
	const struct fp_cfg_node *n = fp_cfg_lookup(cfg, base, path);
	if (n == NULL) {
		*out = dflt;
		return 0;
	}
	if (fp_cfg_kind(n) != FP_CFG_KIND_BOOL)
		return fp_cfg_bad(cfg, n, "true or false");
	*out = config_setting_get_bool(fp_cfg_s(n)) != 0;
	return 0;
}

int fp_cfg_get_double(const struct fp_cfg *cfg, const struct fp_cfg_node *base, const char *path,
		      double dflt, double min, double max, double *out)
{
	char want[96];
	const struct fp_cfg_node *n = fp_cfg_lookup(cfg, base, path);
	if (n == NULL) {
		*out = dflt;
		return 0;
	}
	snprintf(want, sizeof(want), "a number in %g..%g", min, max);
	double v;
	if (fp_cfg_kind(n) == FP_CFG_KIND_DOUBLE)
		v = config_setting_get_float(fp_cfg_s(n));
	else if (fp_cfg_kind(n) == FP_CFG_KIND_INT)
		v = (double)config_setting_get_int64(fp_cfg_s(n));
	else
		return fp_cfg_bad(cfg, n, want);
	if (!(v >= min && v <= max))
		return fp_cfg_bad(cfg, n, want);
	*out = v;
	return 0;
}

int fp_cfg_get_string(const struct fp_cfg *cfg, const struct fp_cfg_node *base, const char *path,
		      const char *dflt, unsigned max_len, const char **out)
{
	char want[64];
	const struct fp_cfg_node *n = fp_cfg_lookup(cfg, base, path);
	if (n == NULL) {
		*out = dflt;
		return 0;
	}
	if (max_len)
		snprintf(want, sizeof(want), "a string of at most %u bytes", max_len);
	else
		snprintf(want, sizeof(want), "a string");
	if (fp_cfg_kind(n) != FP_CFG_KIND_STRING)
		return fp_cfg_bad(cfg, n, want);
	const char *v = config_setting_get_string(fp_cfg_s(n));
	if (max_len && strlen(v) > max_len)
		return fp_cfg_bad(cfg, n, want);
	*out = v;
	return 0;
}

int fp_cfg_get_enum(const struct fp_cfg *cfg, const struct fp_cfg_node *base, const char *path,
		    const char *const *choices, int dflt, int *out)
{
	char want[256] = "one of ";
	const struct fp_cfg_node *n = fp_cfg_lookup(cfg, base, path);
	if (n == NULL) {
		*out = dflt;
		return 0;
	}
	const char *v = fp_cfg_kind(n) == FP_CFG_KIND_STRING
				? config_setting_get_string(fp_cfg_s(n))
				: NULL;
	for (int k = 0; v && choices[k]; k++) {
		if (strcmp(choices[k], v) == 0) {
			*out = k;
			return 0;
		}
	}
	for (int k = 0; choices[k]; k++) {
		size_t used = strlen(want);
		snprintf(want + used, sizeof(want) - used, "%s%s", k ? ", " : "", choices[k]);
	}
	return fp_cfg_bad(cfg, n, want);
}

/*
 * Folder that a relative path of @p s is relative to, into @p buf (returns what snprintf()
 * does): the folder of the file holding the setting. libconfig names an @include'd file
 * as the directive does, relative to the include folder: the top file's folder.
 */
static int fp_cfg_node_dir(const struct fp_cfg *cfg, const config_setting_t *s, char *buf,
			   size_t len)
{
	const char *file = config_setting_source_file(s);
	int w;
	if (file == NULL || strcmp(file, cfg->name) == 0)
		return snprintf(buf, len, "%s", cfg->dir);
	const char *slash = strrchr(file, '/');
	int n = slash ? (int)(slash - file) : 0;
	if (file[0] == '/')
		w = snprintf(buf, len, "%.*s", n ? n : 1, file);
	else if (n)
		w = snprintf(buf, len, "%s/%.*s", cfg->dir, n, file);
	else
		w = snprintf(buf, len, "%s", cfg->dir);
	return w;
}

int fp_cfg_get_path(const struct fp_cfg *cfg, const struct fp_cfg_node *base, const char *path,
		    const char *dflt, unsigned max_len, const char **out)
{
	const char *v;
	int rc = fp_cfg_get_string(cfg, base, path, dflt, 0, &v);
	if (rc < 0)
		return rc;
	const struct fp_cfg_node *n = fp_cfg_lookup(cfg, base, path);
	char dir[PATH_MAX];
	dir[0] = '\0';
	if (n != NULL && cfg->dir[0] && v[0] && v[0] != '/' &&
	    fp_cfg_node_dir(cfg, fp_cfg_s(n), dir, sizeof(dir)) >= (int)sizeof(dir))
		return fp_cfg_error(cfg, n, -ENAMETOOLONG, "the folder of '%s' is too long", v);
	if (v != NULL && dir[0]) {
		const char *rel = v;
		while (rel[0] == '.' && rel[1] == '/')
			rel += 2;
		size_t need = strlen(dir) + 1 + strlen(rel) + 1;
		struct fp_cfg_str *str = malloc(sizeof(*str) + need);
		if (str == NULL)
			return fp_cfg_error(cfg, n, -ENOMEM, "out of memory resolving '%s'", v);
		snprintf(str->text, need, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", rel);
		/* The cfg owns the string: a logically const addition, freed by fp_cfg_free(). */
		struct fp_cfg *own = (struct fp_cfg *)(uintptr_t)cfg;
		str->next = own->paths;
		own->paths = str;
		v = str->text;
	}
	if (n != NULL && max_len && strlen(v) > max_len) {
		char bpath[256];
		return fp_cfg_error(
			cfg, n, -EINVAL,
			"'%s' must be a path of at most %u bytes, got \"%s\" (%zu bytes "
			"resolved against the configuration's folder)",
			fp_cfg_path(n, bpath, sizeof(bpath)), max_len, v, strlen(v));
	}
	*out = v;
	return 0;
}
