/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_book_snap.h - the book snapshot region: top-N depth of every symbol under a seqlock.
 *
 * Shared memory (a segment region, or any memory in tests). One writer: the book stage's
 * thread (fp_book_poll() writes the symbols it touched). Any number of readers in any
 * process (fastpath-ctl book SYMBOL, tools) read with fp_book_snap_read(), which never
 * blocks the writer and never makes a syscall. Offsets only, fixed-width types.
 *
 *   region   = header (64 bytes), then nb_symbols entries of entry_size bytes
 *   entry    = 64-byte head (seqlock, counts, state, stock), then `depth` bid levels
 *              (best first), then `depth` ask levels (best first)
 *
 *   ENTRY HEAD  OFFSET  SIZE  DESCRIPTION
 *               0       8     seqlock (shm/fp_seqlock.h)
 *               8       4     symbol id
 *               12      4     bid levels filled (<= depth)
 *               16      4     ask levels filled (<= depth)
 *               20      4     state: FP_BOOK_SYM_* bits
 *               24      8     book_seq: the symbol's change sequence when written
 *               32      8     t_rx: TSC of the md message that caused the last change
 *               40      8     ts_ns: its venue timestamp
 *               48      8     stock: the symbol (space padded) from the stock directory
 *               56      4     total bid levels in the book (may exceed depth)
 *               60      4     total ask levels
 */
#ifndef FP_BOOK_SNAP_H
#define FP_BOOK_SNAP_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "fp_compiler.h"
#include "fp_seqlock.h"

#define FP_BOOK_SNAP_MAGIC     0x50414e534b4f4f42ull /* "BOOKSNAP" little-endian */
#define FP_BOOK_SNAP_VERSION   1
#define FP_BOOK_SNAP_NAME      "book_snap" /**< region name in the segment */
#define FP_BOOK_SNAP_MAX_DEPTH 256

struct fp_book_snap_hdr {
	uint64_t magic;      /**< FP_BOOK_SNAP_MAGIC */
	uint32_t version;    /**< FP_BOOK_SNAP_VERSION */
	uint32_t depth;      /**< levels a side per entry */
	uint32_t nb_symbols; /**< entries */
	uint32_t entry_size; /**< bytes per entry */
	uint64_t size;       /**< bytes of the whole region */
	uint8_t reserved[32];
};

static_assert(sizeof(struct fp_book_snap_hdr) == 64, "snap header is one cache line");

struct fp_book_snap_level {
	int64_t price;   /**< Price(4) */
	uint32_t shares; /**< clamped to UINT32_MAX */
	uint32_t orders;
};

static_assert(sizeof(struct fp_book_snap_level) == 16, "snap level is 16 bytes");

struct fp_book_snap_entry {
	struct fp_seqlock lock;
	uint32_t symbol;
	uint32_t nb_bids;
	uint32_t nb_asks;
	uint32_t state;
	uint64_t book_seq;
	uint64_t t_rx;
	uint64_t ts_ns;
	char stock[8];
	uint32_t total_bids;
	uint32_t total_asks;
	struct fp_book_snap_level lv[]; /**< depth bids, then depth asks */
};

static_assert(sizeof(struct fp_book_snap_entry) == 64, "snap entry head is one cache line");
static_assert(offsetof(struct fp_book_snap_entry, symbol) == 8, "symbol offset");
static_assert(offsetof(struct fp_book_snap_entry, state) == 20, "state offset");
static_assert(offsetof(struct fp_book_snap_entry, book_seq) == 24, "book_seq offset");
static_assert(offsetof(struct fp_book_snap_entry, stock) == 48, "stock offset");
static_assert(offsetof(struct fp_book_snap_entry, lv) == 64, "levels offset");

/** Bytes of one entry for @p depth levels a side. */
static inline uint32_t fp_book_snap_entry_size(uint32_t depth)
{
	return (uint32_t)sizeof(struct fp_book_snap_entry) +
	       2 * depth * (uint32_t)sizeof(struct fp_book_snap_level);
}

/** Bytes of a region for @p nb_symbols symbols and @p depth levels a side. */
static inline uint64_t fp_book_snap_memsize(uint32_t nb_symbols, uint32_t depth)
{
	return sizeof(struct fp_book_snap_hdr) +
	       (uint64_t)nb_symbols * fp_book_snap_entry_size(depth);
}

/** Entry of @p symbol (no bounds check: symbol < hdr->nb_symbols). */
static inline struct fp_book_snap_entry *fp_book_snap_entry(struct fp_book_snap_hdr *h,
							    uint32_t symbol)
{
	return (struct fp_book_snap_entry *)((char *)(h + 1) + (uint64_t)symbol * h->entry_size);
}

/**
 * Lay out an empty region in @p mem of @p size bytes. Cold; before readers attach.
 *
 * @return 0, -EINVAL (depth 0 or > FP_BOOK_SNAP_MAX_DEPTH), -ENOSPC (size too small)
 */
int fp_book_snap_init(void *mem, uint64_t size, uint32_t nb_symbols, uint32_t depth);

/**
 * Check that @p mem of @p size bytes holds a snapshot region of this layout version.
 *
 * @return 0, -EPROTO (magic or version differ; fp_err names both versions), -EINVAL (size)
 */
int fp_book_snap_check(const void *mem, uint64_t size);

/**
 * Copy one consistent snapshot of @p symbol into @p out (fp_book_snap_entry_size(depth)
 * bytes). Any thread, any process; never blocks (gives up after @p max_tries overlaps).
 *
 * @return 0, -ERANGE (no such symbol), -EBUSY (every try overlapped a write)
 */
int fp_book_snap_read(const struct fp_book_snap_hdr *h, uint32_t symbol,
		      struct fp_book_snap_entry *out, unsigned max_tries);

/**
 * Copy up to @p max levels of one side (0 bids, 1 asks) of @p symbol, best first, as one
 * consistent read of the entry (the levels and the state at the same write). Any thread,
 * any process; copies only what it returns (no whole-entry buffer: hot-path safe, used by
 * the strategies' depth view). @p state (may be NULL) gets the entry's FP_BOOK_SYM_* bits.
 *
 * @return levels copied, -ERANGE (no such symbol or side), -EBUSY (every try overlapped)
 */
int fp_book_snap_side(const struct fp_book_snap_hdr *h, uint32_t symbol, unsigned side,
		      struct fp_book_snap_level *out, uint32_t max, uint32_t *state,
		      unsigned max_tries);

/**
 * Symbol id whose stock directory name is @p stock (e.g. "AAPL"; compared space padded).
 *
 * @return the symbol id, or -ENOENT
 */
int64_t fp_book_snap_find(const struct fp_book_snap_hdr *h, const char *stock);

#endif /* FP_BOOK_SNAP_H */
