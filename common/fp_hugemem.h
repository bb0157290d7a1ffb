/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_hugemem.h - a stage's big private tables on explicit huge pages first.
 *
 * A lookup in a large table touched at random (the book's orders and levels, risk's symbol
 * states, order table and limit sets) must cost a bounded number of cache misses and no
 * page walk (issue 15; docs/book.md, docs/risk.md "Performance"). Such tables are mapped
 * from the reserved hugepage pool (MAP_HUGETLB, the pool the segment uses:
 * /proc/sys/vm/nr_hugepages, see shm/fp_shm.c); when the pool has no room, on a 2 MiB
 * aligned range advised for transparent huge pages (the kernel may or may not grant them:
 * the mapping is checked in /proc/self/smaps and the result recorded), else small pages.
 * Touched at allocation unless the caller says not to: no page fault later.
 *
 * Who may call: any stage, cold only (allocation reads /proc, maps, touches): init, and
 * risk's limits watcher when it allocates a new set. Any thread; no shared state.
 */
#ifndef FP_HUGEMEM_H
#define FP_HUGEMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** How a mapping is backed. */
enum fp_hugemem_backing {
	FP_HUGEMEM_NONE = 0,    /**< not allocated */
	FP_HUGEMEM_HUGETLB = 1, /**< explicit 2 MiB pages from the reserved pool */
	FP_HUGEMEM_THP = 2,     /**< transparent huge pages, granted (smaps) */
	FP_HUGEMEM_SMALL = 3,   /**< 4 KiB pages: a cold line may cost a page walk */
};

/** One mapping. */
struct fp_hugemem {
	void *ptr;
	size_t bytes;      /**< mapped (whole huge pages when backed by them) */
	unsigned backing;  /**< enum fp_hugemem_backing */
	unsigned huge_pct; /**< THP: share of the mapping on huge pages (smaps), else 0/100 */
};

/**
 * Map @p bytes (zeroed; every page touched when @p touch) into @p m, named @p what in the
 * error. Cold.
 * @return m->ptr, or NULL (fp_err says how much could not be mapped).
 */
void *fp_hugemem_alloc(struct fp_hugemem *m, size_t bytes, bool touch, const char *what);

/** Unmap; a zeroed or already freed @p m is a no-op. */
void fp_hugemem_free(struct fp_hugemem *m);

/** Bytes of @p m on huge pages now (all of it for hugetlb; smaps for THP); -1: unknown. */
int64_t fp_hugemem_huge_bytes(const struct fp_hugemem *m);

/** "hugetlb", "thp", "small", "none". */
const char *fp_hugemem_backing_name(unsigned backing);

#endif /* FP_HUGEMEM_H */
