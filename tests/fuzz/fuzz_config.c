/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_config.c - libFuzzer target for the configuration loader: libconfig text through
 * common/fp_cfg (parse, lookups, typed getters, unknown-key checks) and then our checks of
 * a whole `fastpath run` configuration (fp_ctl_pipeline_load: instance, segment, rings,
 * restart policy, placement) and of the stage groups that plan() validates (md, book,
 * gateway, store; risk and strategies are left out: they open the files and libraries
 * their settings name).
 *
 * Properties: a refusal always comes with a message; every getter on every setting either
 * succeeds or says why; a string read back has the length the getter allowed; a
 * configuration that loads yields at least one worker and a non-empty instance name.
 * Inputs naming @include are skipped (they would read any file, /dev/zero included).
 * Seeds: the sample configurations of config/ (copied at build time).
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <limits.h>

#include "fp_cfg.h"
#include "fp_ctl_pipeline.h"
#include "fp_ctl_stage.h"
#include "fp_err.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every getter on @p node (a setting of @p cfg), then its children. */
static void walk(const struct fp_cfg *cfg, const struct fp_cfg_node *node, unsigned depth)
{
	enum fp_cfg_kind k = fp_cfg_kind(node);
	char path[256];
	CHECK(fp_cfg_path(node, path, sizeof(path)) != NULL);
	(void)fp_cfg_line(node);
	if (k == FP_CFG_KIND_GROUP || k == FP_CFG_KIND_LIST || k == FP_CFG_KIND_ARRAY) {
		static const char *const none[] = {NULL};
		int rc = fp_cfg_check_keys(cfg, node, none);
		CHECK(rc == 0 || fp_err_msg()[0]);
		if (depth > 16)
			return;
		unsigned n = fp_cfg_length(node);
		for (unsigned i = 0; i < n && i < 64; i++) {
			const struct fp_cfg_node *e = fp_cfg_elem(node, i);
			CHECK(e != NULL);
			walk(cfg, e, depth + 1);
		}
		return;
	}
	/* A scalar: every getter on its full path ("risk.max_qty", "workers.[1].core"). */
	const struct fp_cfg_node *base = NULL;
	const char *key = path;
	(void)fp_cfg_key(node);
	int64_t v64;
	int v;
	bool b;
	double d;
	const char *s;
	int rc;
	if ((rc = fp_cfg_get_int64(cfg, base, key, 0, INT64_MIN, INT64_MAX, &v64)) < 0)
		CHECK(fp_err_msg()[0]);
	if ((rc = fp_cfg_get_int(cfg, base, key, 0, -5, 5, &v)) < 0)
		CHECK(fp_err_msg()[0]);
	else
		CHECK(v >= -5 && v <= 5);
	if ((rc = fp_cfg_get_bool(cfg, base, key, false, &b)) < 0)
		CHECK(fp_err_msg()[0]);
	if ((rc = fp_cfg_get_double(cfg, base, key, 0, -1e9, 1e9, &d)) < 0)
		CHECK(fp_err_msg()[0]);
	else
		CHECK(d >= -1e9 && d <= 1e9);
	if ((rc = fp_cfg_get_string(cfg, base, key, "", 8, &s)) < 0)
		CHECK(fp_err_msg()[0]);
	else
		CHECK(strlen(s) <= 8);
	static const char *const choices[] = {"spin", "backoff", NULL};
	if ((rc = fp_cfg_get_enum(cfg, base, key, choices, 0, &v)) < 0)
		CHECK(fp_err_msg()[0]);
	else
		CHECK(v == 0 || v == 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 16384 || memmem(data, size, "include", 7))
		return 0;
	char *text = malloc(size + 1);
	CHECK(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';

	/* 1. the text loader and the getters */
	struct fp_cfg *cfg = fp_cfg_load_string(text, "fuzz.conf");
	if (!cfg) {
		CHECK(errno != 0 && fp_err_msg()[0]);
	} else {
		const struct fp_cfg_node *root = fp_cfg_root(cfg);
		CHECK(root != NULL);
		walk(cfg, root, 0);
		fp_cfg_free(cfg);
	}

	/* 2. the whole configuration, as `fastpath run --config` checks it */
	char path[128];
	snprintf(path, sizeof(path), "%s/fuzz.conf", fuzz_tmpdir());
	fuzz_write_file(path, (const uint8_t *)text, size);
	free(text);
	struct fp_ctl_pipeline *p = calloc(1, sizeof(*p));
	CHECK(p != NULL);
	int rc = fp_ctl_pipeline_load(p, path);
	if (rc < 0) {
		CHECK(fp_err_msg()[0]);
	} else {
		CHECK(p->nb_workers > 0 && p->instance[0]);
		static const char *const planned[] = {"md", "book", "gateway", "store"};
		for (unsigned w = 0; w < p->nb_workers; w++)
			for (unsigned s = 0; s < p->workers[w].nb_stages; s++) {
				const struct fp_ctl_stage_ops *ops = p->workers[w].stages[s];
				for (unsigned i = 0; i < 4; i++) {
					if (strcmp(ops->name, planned[i]) || !ops->plan)
						continue;
					struct fp_ctl_plan *plan = calloc(1, sizeof(*plan));
					CHECK(plan != NULL);
					if (ops->plan(&p->env, plan) < 0)
						CHECK(fp_err_msg()[0]);
					free(plan);
				}
			}
	}
	fp_ctl_pipeline_fini(p);
	free(p);
	return 0;
}
