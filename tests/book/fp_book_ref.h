/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_book_ref.h - the reference book: plain, slow and obviously correct (tests and perf only).
 *
 * Any single thread of a test or benchmark; it allocates with malloc on every new order and
 * level array, which is the point: it shares no code or trick with book/fp_book_core.c.
 * Orders sit in a chained hash table (one malloc'ed node each); each side of each symbol is
 * a sorted array of levels (best first) searched linearly from the best and grown with
 * realloc. It follows the same rules as the core (docs/book.md, "Rules"): unknown orders,
 * too-large cancels and executes, duplicate references, end-of-day clear.
 */
#ifndef FP_BOOK_REF_H
#define FP_BOOK_REF_H

#include <stdint.h>

#include "fp_book.h"
#include "fp_event.h"

struct fp_book_ref_stats {
	uint64_t unknown_order;
	uint64_t cancel_too_large;
	uint64_t negative_size;
	uint64_t duplicate_order;
	uint64_t crossed;
	uint64_t locked;
	uint64_t live_orders;
	uint64_t bad_event;
	uint64_t bad_symbol;
	uint64_t halts;
};

struct fp_book_ref;

/** A reference book for symbols 0 .. @p max_symbols - 1; NULL when out of memory. */
struct fp_book_ref *fp_book_ref_new(uint32_t max_symbols, int eod_clear);

/** Free it (NULL is a no-op). */
void fp_book_ref_free(struct fp_book_ref *rb);

/** Apply one md event. */
void fp_book_ref_apply(struct fp_book_ref *rb, const struct fp_event *ev);

/** Copy up to @p max levels of one side, best first; returns the number copied. */
uint32_t fp_book_ref_depth(const struct fp_book_ref *rb, uint32_t symbol, unsigned side,
			   struct fp_book_depth_level *out, uint32_t max);

/** Levels on one side of @p symbol. */
uint32_t fp_book_ref_nb_levels(const struct fp_book_ref *rb, uint32_t symbol, unsigned side);

/** The counters. */
const struct fp_book_ref_stats *fp_book_ref_stats(const struct fp_book_ref *rb);

/** 1 when the last trading action of @p symbol was not 'T'. */
int fp_book_ref_halted(const struct fp_book_ref *rb, uint32_t symbol);

#endif /* FP_BOOK_REF_H */
