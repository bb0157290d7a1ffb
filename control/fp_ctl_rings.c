/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_rings.c - the ring graph of the pipeline (fp_ctl_stage.h): every ring, the config
 * key that sizes it, its default capacity, its one producer and its one consumer. The
 * loader (fp_ctl_pipeline.c) sizes and checks the rings from it; fastpath-ctl status
 * prints it. The stage adapters name the same rings (FP_CTL_RING_*) in their init.
 *
 * The journal rings (FP_JRNL_RING_*, shm/fp_journal.h) are not here: they exist only with
 * a store group, are planned by the store stage and sized by store.ring.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fp_ctl_stage.h"
#include "fp_err.h"

const struct fp_ctl_ring_edge fp_ctl_ring_graph[FP_CTL_NB_RINGS] = {
	{FP_CTL_RING_MD, "md", 65536, "md", "book"},
	{FP_CTL_RING_TOP, "top", 16384, "book", "strategies"},
	{FP_CTL_RING_INTENT, "intent", 4096, "strategies", "risk"},
	{FP_CTL_RING_ORDER, "order", 4096, "risk", "gateway"},
	{FP_CTL_RING_EXEC_RISK, "exec", 4096, "gateway", "risk"},
	{FP_CTL_RING_EXEC_STRAT, "exec", 4096, "gateway", "strategies"},
	{FP_CTL_RING_REJECT, "reject", 4096, "risk", "strategies"},
	{FP_CTL_RING_TOP_RISK, "top", 16384, "book", "risk"},
};

static bool is_placed(const char *const *placed, unsigned nb, const char *stage)
{
	for (unsigned i = 0; i < nb; i++)
		if (!strcmp(placed[i], stage))
			return true;
	return false;
}

int fp_ctl_ring_graph_check(const char *const *placed, unsigned nb, char *half, size_t cap)
{
	size_t len = 0;
	if (cap)
		half[0] = 0;
	for (unsigned i = 0; i < FP_CTL_NB_RINGS; i++) {
		const struct fp_ctl_ring_edge *e = &fp_ctl_ring_graph[i];
		for (unsigned k = 0; k < i; k++)
			if (!strcmp(fp_ctl_ring_graph[k].ring, e->ring))
				return fp_err_set(-EINVAL, "ring graph: '%s' listed twice",
						  e->ring);
		if (!fp_ctl_stage_find(e->producer) || !fp_ctl_stage_find(e->consumer) ||
		    !strcmp(e->producer, e->consumer))
			return fp_err_set(
				-EINVAL,
				"ring graph: '%s' needs two known stages, has '%s' -> '%s'",
				e->ring, e->producer, e->consumer);
		bool p = is_placed(placed, nb, e->producer), c = is_placed(placed, nb, e->consumer);
		if (p != c && cap > len) {
			int n = snprintf(half + len, cap - len, "%s%s (%s '%s' not placed)",
					 len ? ", " : "", e->ring, p ? "consumer" : "producer",
					 p ? e->consumer : e->producer);
			len += n > 0 ? (size_t)n : 0;
		}
	}
	return 0;
}
