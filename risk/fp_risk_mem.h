/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_risk_mem.h - where risk's big private tables live: explicit huge pages first.
 *
 * A pre-trade check on a cold symbol must cost a bounded number of cache misses and no page
 * walk (docs/risk.md, "Performance"). The symbol state, the order table, the position index
 * and each limit set are therefore mapped from the reserved hugepage pool (MAP_HUGETLB, the
 * pool the segment uses: /proc/sys/vm/nr_hugepages, see shm/fp_shm.c); when the pool has
 * no room, on transparent huge pages by madvise (the kernel may or may not grant them: the
 * mapping is checked in /proc/self/smaps and the result recorded), else on small pages.
 * Every mapping is touched at allocation: no page fault later.
 *
 * Cold only (allocation reads /proc, maps, touches): risk's init, and the limits watcher
 * when it allocates a new set. Any thread; no shared state.
 */
#ifndef FP_RISK_MEM_H
#define FP_RISK_MEM_H

#include <stddef.h>

/** How a mapping is backed. */
enum fp_risk_mem_backing {
	FP_RISK_MEM_NONE = 0,    /**< not allocated */
	FP_RISK_MEM_HUGETLB = 1, /**< explicit 2 MiB pages from the reserved pool */
	FP_RISK_MEM_THP = 2,     /**< transparent huge pages, granted (smaps) */
	FP_RISK_MEM_SMALL = 3,   /**< 4 KiB pages: a cold line may cost a page walk */
};

/** One mapping. */
struct fp_risk_mem {
	void *ptr;
	size_t bytes;      /**< mapped (whole huge pages when backed by them) */
	unsigned backing;  /**< enum fp_risk_mem_backing */
	unsigned huge_pct; /**< THP: share of the mapping on huge pages (smaps), else 0/100 */
};

/**
 * Map @p bytes (zeroed, touched) into @p m. Cold.
 * @return m->ptr, or NULL (fp_err says how much could not be mapped).
 */
void *fp_risk_mem_alloc(struct fp_risk_mem *m, size_t bytes);

/** Unmap; a zeroed or already freed @p m is a no-op. */
void fp_risk_mem_free(struct fp_risk_mem *m);

/** "hugetlb", "thp", "small", "none". */
const char *fp_risk_mem_backing_name(unsigned backing);

#endif /* FP_RISK_MEM_H */
