/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_stages.c - the table of stages the supervisor can place (see fp_ctl_stage.h).
 * Each adapter lives in fp_ctl_stage_<name>.c.
 */
#include <stddef.h>

#include "fp_ctl_stage.h"

extern const struct fp_ctl_stage_ops fp_ctl_stage_md;
extern const struct fp_ctl_stage_ops fp_ctl_stage_book;
extern const struct fp_ctl_stage_ops fp_ctl_stage_strat;
extern const struct fp_ctl_stage_ops fp_ctl_stage_risk;
extern const struct fp_ctl_stage_ops fp_ctl_stage_gw;
extern const struct fp_ctl_stage_ops fp_ctl_stage_store;

const struct fp_ctl_stage_ops *const fp_ctl_stages[] = {
	&fp_ctl_stage_md,
	&fp_ctl_stage_book,
	&fp_ctl_stage_strat,
	&fp_ctl_stage_risk,
	&fp_ctl_stage_gw,
	&fp_ctl_stage_store,
	NULL,
};
