/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_stats_hdr.h - the header a stage's counters region starts with (gw.stats,
 * strat.stats): magic, layout version and size, and the one check a reader in another
 * process makes before it reads a figure.
 *
 * Who may call: the region's writer stamps it at init (cold); any reader checks it after
 * attach (cold). The region's struct starts with these three fields and static-asserts
 * their offsets against struct fp_stats_hdr.
 */
#ifndef FP_STATS_HDR_H
#define FP_STATS_HDR_H

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "fp_err.h"

/** The first 16 bytes of a counters region. */
struct fp_stats_hdr {
	uint64_t magic;   /**< the region's FP_*_STATS_MAGIC */
	uint32_t version; /**< its FP_*_STATS_VERSION */
	uint32_t size;    /**< sizeof its struct */
};

static_assert(sizeof(struct fp_stats_hdr) == 16, "fp_stats_hdr: 16 bytes, no padding");

/**
 * Check the header of region @p name (what: the kind of counters, for the message) against
 * @p want. Cold.
 * @return 0, or -EPROTO with fp_err text: not such a region, or another layout.
 */
static inline int fp_stats_hdr_check(const void *region, const struct fp_stats_hdr *want,
				     const char *name, const char *what)
{
	const struct fp_stats_hdr *h = region;
	if (h->magic != want->magic)
		return fp_err_set(-EPROTO, "%s: bad magic (not %s)", name, what);
	if (h->version != want->version || h->size != want->size)
		return fp_err_set(-EPROTO,
				  "%s: layout version %u (%u bytes), this program reads %u "
				  "(%u bytes): use the fastpath that created the segment",
				  name, h->version, h->size, want->version, want->size);
	return 0;
}

#endif /* FP_STATS_HDR_H */
