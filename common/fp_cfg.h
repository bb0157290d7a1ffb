/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_cfg.h - configuration loading over libconfig: typed, range-checked, line-numbered.
 *
 * Cold paths only (start-up, the CLI, reloads prepared off the hot path): allocates, reads
 * files, never called from a poll loop. One struct fp_cfg per loaded text; it is not
 * thread-safe, but distinct ones may be used from distinct threads.
 *
 * Every error is one line that starts with "FILE:LINE: " and names the setting by its full
 * path, so a user can go straight to it:
 *
 *     dev.conf:12: syntax error
 *     dev.conf:7: 'risk.max_qty' must be an integer >= 1, got -3
 *     dev.conf:9: unknown key 'max_qyt' in 'risk' (did you mean 'max_qty'?; allowed: ...)
 *     dev.conf:5: 'risk' lacks required key 'max_qty'
 *
 * A typical reader of one group:
 *
 *     static const char *const risk_keys[] = {"max_qty", "max_notional", NULL};
 *     const struct fp_cfg_node *risk = fp_cfg_lookup(cfg, NULL, "risk");
 *     if ((rc = fp_cfg_check_keys(cfg, risk, risk_keys)) < 0 ||
 *         (rc = fp_cfg_require(cfg, risk, "max_qty")) < 0 ||
 *         (rc = fp_cfg_get_int(cfg, risk, "max_qty", 0, 1, INT_MAX, &lim->max_qty)) < 0)
 *             return rc;
 *
 * Paths are libconfig paths relative to @p base ("risk.max_qty"; NULL base = the root);
 * list and array elements are reached with "workers.[1].core" or fp_cfg_elem(). Strings
 * returned point into the struct fp_cfg and live until fp_cfg_free().
 *
 * libconfig 1.5 truncates an integer literal beyond 32 bits to its low 32 bits unless it has
 * the L suffix; the loaders refuse such a literal (with its line) instead of letting a
 * limit silently change value. Write 64-bit values as 5000000000L.
 */
#ifndef FP_CFG_H
#define FP_CFG_H

#include <stdbool.h>
#include <stdint.h>

#include "fp_compiler.h"

/** A loaded configuration (opaque). */
struct fp_cfg;

/** One setting inside a struct fp_cfg: a value, a group, a list or an array (opaque). */
struct fp_cfg_node;

/** Kind of a setting, as fp_cfg_kind() reports it. */
enum fp_cfg_kind {
	FP_CFG_KIND_NONE = 0, /**< absent */
	FP_CFG_KIND_INT,      /**< integer (32 or 64 bits) */
	FP_CFG_KIND_DOUBLE,   /**< floating point */
	FP_CFG_KIND_STRING,   /**< string */
	FP_CFG_KIND_BOOL,     /**< true / false */
	FP_CFG_KIND_GROUP,    /**< { key = value; ... } */
	FP_CFG_KIND_LIST,     /**< ( any, ... ) */
	FP_CFG_KIND_ARRAY,    /**< [ scalar, ... ] */
};

/**
 * Parse the file at @p path (libconfig syntax; @include resolved relative to its folder).
 * Pair with fp_cfg_free().
 *
 * @return the configuration, or NULL with errno set (ENOENT/EACCES... when the file cannot
 *         be read, EINVAL on a syntax error, ENOMEM) and the message in fp_err_msg().
 */
struct fp_cfg *fp_cfg_load_file(const char *path) FP_MALLOC;

/**
 * Parse @p text; @p name stands for the file name in messages ("<string>" when NULL).
 * Pair with fp_cfg_free(). @return as fp_cfg_load_file().
 */
struct fp_cfg *fp_cfg_load_string(const char *text, const char *name) FP_MALLOC;

/** Free @p cfg and every string and node taken from it; NULL is a no-op. */
void fp_cfg_free(struct fp_cfg *cfg);

/** The name used in messages: the path given to fp_cfg_load_file(), or the string's name. */
const char *fp_cfg_name(const struct fp_cfg *cfg);

/** The root group. */
const struct fp_cfg_node *fp_cfg_root(const struct fp_cfg *cfg);

/** The setting at @p path under @p base (NULL = root), or NULL when absent (no error). */
const struct fp_cfg_node *fp_cfg_lookup(const struct fp_cfg *cfg, const struct fp_cfg_node *base,
					const char *path);

/** Kind of @p node; FP_CFG_KIND_NONE for NULL. */
enum fp_cfg_kind fp_cfg_kind(const struct fp_cfg_node *node);

/** Elements of a group, list or array (0 for a scalar or NULL). */
unsigned fp_cfg_length(const struct fp_cfg_node *node);

/** Element @p i of a group, list or array, or NULL past the end. */
const struct fp_cfg_node *fp_cfg_elem(const struct fp_cfg_node *node, unsigned i);

/** Key of a group member, or NULL for list/array elements and the root. */
const char *fp_cfg_key(const struct fp_cfg_node *node);

/** Line of @p node in its file (0 when unknown). */
unsigned fp_cfg_line(const struct fp_cfg_node *node);

/**
 * File @p node was read from: for a setting that came from an @include, the included file
 * as the directive names it ("limits.conf", relative to the including file's folder), else
 * fp_cfg_name(). Pair it with fp_cfg_line() in messages.
 */
const char *fp_cfg_file(const struct fp_cfg *cfg, const struct fp_cfg_node *node);

/**
 * Record an error about @p node with fp_err_set(): "FILE:LINE: " (file and line of @p node,
 * "FILE: " when its line is unknown or @p node is NULL) followed by the formatted text.
 * For the checks a caller makes beyond the getters (cross-field rules, unknown names).
 *
 * @return @p rc
 */
int fp_cfg_error(const struct fp_cfg *cfg, const struct fp_cfg_node *node, int rc, const char *fmt,
		 ...) FP_PRINTF(4, 5);

/**
 * Full path of @p node for messages ("workers.[1].core"); the root is "(root)".
 * @return @p buf.
 */
const char *fp_cfg_path(const struct fp_cfg_node *node, char *buf, unsigned len);

/**
 * Fail unless @p path exists under @p base: "FILE:LINE: 'group' lacks required key 'x'".
 * @return 0 or -ENOENT.
 */
int fp_cfg_require(const struct fp_cfg *cfg, const struct fp_cfg_node *base, const char *path);

/**
 * Refuse keys of group @p group that are not in @p allowed (NULL-terminated), so that a
 * misspelt key never passes silently; the message names the key, its line, the closest
 * allowed key when one is near, and the allowed list. A NULL @p group passes (absent
 * optional group). @return 0, -EINVAL (unknown key) or -ENOTDIR (@p group is not a group).
 */
int fp_cfg_check_keys(const struct fp_cfg *cfg, const struct fp_cfg_node *group,
		      const char *const *allowed);

/*
 * Typed getters. Each reads @p path under @p base into @p out: when the setting is absent,
 * *out = dflt and the result is 0 (use fp_cfg_require() first for a mandatory key); when
 * it has the wrong type or lies outside [min, max], *out is unchanged and the result is
 * -EINVAL with "FILE:LINE: 'path' must be <kind and range>, got <value>".
 */

/** int: an integer in [min, max]. */
int fp_cfg_get_int(const struct fp_cfg *cfg, const struct fp_cfg_node *base, const char *path,
		   int dflt, int min, int max, int *out);

/** int64_t: an integer in [min, max] (32- or 64-bit in the file, "L" suffix optional). */
int fp_cfg_get_int64(const struct fp_cfg *cfg, const struct fp_cfg_node *base, const char *path,
		     int64_t dflt, int64_t min, int64_t max, int64_t *out);

/** bool: true or false (not 0/1, not strings). */
int fp_cfg_get_bool(const struct fp_cfg *cfg, const struct fp_cfg_node *base, const char *path,
		    bool dflt, bool *out);

/** double: a number (integers accepted) in [min, max]. */
int fp_cfg_get_double(const struct fp_cfg *cfg, const struct fp_cfg_node *base, const char *path,
		      double dflt, double min, double max, double *out);

/**
 * string: a string of at most @p max_len bytes (0 = any length; an empty string is a
 * string). *out points into @p cfg (or is @p dflt).
 */
int fp_cfg_get_string(const struct fp_cfg *cfg, const struct fp_cfg_node *base, const char *path,
		      const char *dflt, unsigned max_len, const char **out);

/**
 * One of @p choices (NULL-terminated strings): *out is the index of the match, or @p dflt
 * when absent. "FILE:LINE: 'idle' must be one of spin, backoff, got \"spn\"".
 */
int fp_cfg_get_enum(const struct fp_cfg *cfg, const struct fp_cfg_node *base, const char *path,
		    const char *const *choices, int dflt, int *out);

/**
 * A file or folder path from the configuration: the string at @p path under @p base
 * (read as fp_cfg_get_string(), @p max_len applying to the result), resolved against the
 * folder of the file that holds the setting when it is relative, so that
 * `fastpath run --config /etc/fastpath/dev.conf` finds `limits = "risk.conf"` as
 * /etc/fastpath/risk.conf from any working directory. An absolute path, an empty string
 * and @p dflt are returned as they are; so is every path of a configuration parsed with
 * fp_cfg_load_string() (no file: relative to the working directory). *out points into
 * @p cfg. Cold path (allocates).
 *
 * @return 0, -EINVAL (not a string, or longer than @p max_len once resolved), -ENAMETOOLONG
 *         or -ENOMEM.
 */
int fp_cfg_get_path(const struct fp_cfg *cfg, const struct fp_cfg_node *base, const char *path,
		    const char *dflt, unsigned max_len, const char **out);

#endif /* FP_CFG_H */
