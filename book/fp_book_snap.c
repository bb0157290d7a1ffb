/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_book_snap.c - lay out, check and read the book snapshot region (fp_book_snap.h).
 *
 * fp_book_snap_init() runs once on the cold path before readers attach; the readers run in
 * any thread or process and never block the writer (they retry a bounded number of times).
 */
#include <errno.h>
#include <string.h>

#include "fp_book_snap.h"
#include "fp_err.h"

int fp_book_snap_init(void *mem, uint64_t size, uint32_t nb_symbols, uint32_t depth)
{
	if (depth == 0 || depth > FP_BOOK_SNAP_MAX_DEPTH)
		return fp_err_set(-EINVAL, "snapshot depth %u not in 1..%u", depth,
				  FP_BOOK_SNAP_MAX_DEPTH);
	uint64_t need = fp_book_snap_memsize(nb_symbols, depth);
	if (size < need)
		return fp_err_set(-ENOSPC, "snapshot region of %lu bytes, %lu needed",
				  (unsigned long)size, (unsigned long)need);
	memset(mem, 0, need);
	struct fp_book_snap_hdr *h = mem;
	h->depth = depth;
	h->nb_symbols = nb_symbols;
	h->entry_size = fp_book_snap_entry_size(depth);
	h->size = need;
	for (uint32_t s = 0; s < nb_symbols; s++) {
		struct fp_book_snap_entry *e = fp_book_snap_entry(h, s);
		fp_seqlock_init(&e->lock);
		e->symbol = s;
	}
	h->version = FP_BOOK_SNAP_VERSION;
	h->magic = FP_BOOK_SNAP_MAGIC; /* last: before readers attach (cold path) */
	return 0;
}

int fp_book_snap_check(const void *mem, uint64_t size)
{
	const struct fp_book_snap_hdr *h = mem;
	if (size < sizeof(*h))
		return fp_err_set(-EINVAL, "snapshot region of %lu bytes", (unsigned long)size);
	if (h->magic != FP_BOOK_SNAP_MAGIC || h->version != FP_BOOK_SNAP_VERSION)
		return fp_err_set(-EPROTO,
				  "snapshot region layout version %u (magic %016lx), this program "
				  "reads version %u",
				  h->version, (unsigned long)h->magic, FP_BOOK_SNAP_VERSION);
	if (h->size > size || h->entry_size != fp_book_snap_entry_size(h->depth) ||
	    fp_book_snap_memsize(h->nb_symbols, h->depth) != h->size)
		return fp_err_set(-EINVAL, "snapshot region header is inconsistent");
	return 0;
}

int fp_book_snap_read(const struct fp_book_snap_hdr *h, uint32_t symbol,
		      struct fp_book_snap_entry *out, unsigned max_tries)
{
	if (symbol >= h->nb_symbols)
		return -ERANGE;
	const struct fp_book_snap_entry *e =
		fp_book_snap_entry((struct fp_book_snap_hdr *)(uintptr_t)h, symbol);
	if (!fp_seqlock_read_copy(&e->lock, out, e, h->entry_size, max_tries))
		return -EBUSY;
	return 0;
}

int fp_book_snap_side(const struct fp_book_snap_hdr *h, uint32_t symbol, unsigned side,
		      struct fp_book_snap_level *out, uint32_t max, uint32_t *state,
		      unsigned max_tries)
{
	if (symbol >= h->nb_symbols || side > 1)
		return -ERANGE;
	const struct fp_book_snap_entry *e =
		fp_book_snap_entry((struct fp_book_snap_hdr *)(uintptr_t)h, symbol);
	const struct fp_book_snap_level *lv = &e->lv[side * h->depth];
	for (unsigned i = 0; i < max_tries; i++) {
		uint64_t s = fp_seqlock_read_begin(&e->lock);
		if (s & 1) {
			fp_cpu_relax();
			continue;
		}
		uint32_t n = side ? e->nb_asks : e->nb_bids;
		uint32_t st = e->state;
		n = FP_MIN(FP_MIN(n, max), h->depth); /* a torn count is bounded, then discarded */
		memcpy(out, lv, (size_t)n * sizeof(*out));
		if (!fp_seqlock_read_retry(&e->lock, s)) {
			if (state)
				*state = st;
			return (int)n;
		}
		fp_cpu_relax();
	}
	return -EBUSY;
}

int64_t fp_book_snap_find(const struct fp_book_snap_hdr *h, const char *stock)
{
	char want[8];
	size_t n = strlen(stock);
	if (n == 0 || n > 8)
		return -ENOENT;
	memset(want, ' ', sizeof(want));
	memcpy(want, stock, n);
	for (uint32_t s = 0; s < h->nb_symbols; s++) {
		char got[8];
		const struct fp_book_snap_entry *e =
			fp_book_snap_entry((struct fp_book_snap_hdr *)(uintptr_t)h, s);
		if (fp_seqlock_read_copy(&e->lock, got, e->stock, sizeof(got), 1000) &&
		    !memcmp(got, want, sizeof(want)))
			return s;
	}
	return -ENOENT;
}
