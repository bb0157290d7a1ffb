/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_seqlock.h - sequence lock for snapshots in shared memory: one writer, many readers,
 * readers retry instead of blocking the writer.
 *
 * Who may call: exactly one writer thread per seqlock (any process); any number of reader
 * threads (any process). Writer and readers never block each other, never make a syscall
 * and never allocate. A reader may have to retry while the writer is inside a write; a
 * reader that must stay bounded uses fp_seqlock_read_copy() with a retry limit.
 *
 *     writer:                              reader:
 *     fp_seqlock_write_begin(&t->lock);    uint64_t s;
 *     t->bid = bid; t->ask = ask;          do {
 *     fp_seqlock_write_end(&t->lock);              s = fp_seqlock_read_begin(&t->lock);
 *                                                  snap = t->data;
 *                                          } while (fp_seqlock_read_retry(&t->lock, s));
 *
 * Memory ordering (Boehm, "Can seqlocks get along with programming language memory
 * models?", 2012). The sequence is even when the data is stable and odd during a write.
 *
 *   W1  writer: store seq = s+1 (relaxed), then a release fence        pairs with RF
 *       => no data store of this write becomes visible before seq is odd: a reader that
 *          sees any new data byte and then fences (RF) reads seq >= s+1.
 *   W2  writer: store-release seq = s+2 after the data stores           pairs with R1
 *       => a reader whose R1 sees s+2 sees all the data of the write.
 *   R1  reader: load-acquire seq before the data loads                  pairs with W2
 *   RF  reader: acquire fence after the data loads, then a relaxed
 *       load of seq (R2); equal to R1's even value means no write overlapped.
 *
 * The data itself is read and written with plain accesses. In ISO C that is a data race
 * whose result is discarded by the retry; GCC and Clang on x86-64 and AArch64 compile it
 * to ordinary loads, which is what the Linux kernel's seqlock relies on too. The snapshot
 * must therefore be copied out and used only after fp_seqlock_read_retry() returns false
 * (never follow an offset read inside the section before validating it).
 *
 * The sequence is 64 bits, so it never wraps back to a value a slow reader saw.
 */
#ifndef FP_SEQLOCK_H
#define FP_SEQLOCK_H

#include <assert.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fp_compiler.h"

/** A sequence lock word; embed it next to the data it protects (shared memory is fine). */
struct fp_seqlock {
	_Atomic uint64_t seq; /**< even: stable; odd: a write is in progress */
};

static_assert(sizeof(struct fp_seqlock) == 8, "fp_seqlock is one 64-bit word");

/** Initialise to "stable, no write yet" (0). Cold; before any reader or writer runs. */
inline void fp_seqlock_init(struct fp_seqlock *sl)
{
	atomic_init(&sl->seq, 0);
}

/** Start a write. Writer only (NOT multi-writer safe). Pair with fp_seqlock_write_end(). */
inline void fp_seqlock_write_begin(struct fp_seqlock *sl)
{
	/* Relaxed: only the writer writes seq. */
	uint64_t s = atomic_load_explicit(&sl->seq, memory_order_relaxed);
	atomic_store_explicit(&sl->seq, s + 1, memory_order_relaxed);
	/* W1: pairs with RF; seq is odd before any data store of this write is visible. */
	atomic_thread_fence(memory_order_release);
}

/** Finish a write begun by fp_seqlock_write_begin(). Writer only. */
inline void fp_seqlock_write_end(struct fp_seqlock *sl)
{
	uint64_t s = atomic_load_explicit(&sl->seq, memory_order_relaxed);
	/* W2: pairs with R1; the data stores are visible before seq is even again. */
	atomic_store_explicit(&sl->seq, s + 1, memory_order_release);
}

/**
 * Start a read. Any thread. Does not wait: if a write is in progress the value is odd and
 * fp_seqlock_read_retry() will say retry.
 *
 * @return the sequence to hand to fp_seqlock_read_retry()
 */
inline uint64_t fp_seqlock_read_begin(const struct fp_seqlock *sl)
{
	/* R1: pairs with W2; the data of the write that made seq even is visible. */
	return atomic_load_explicit(&sl->seq, memory_order_acquire);
}

/**
 * End a read. Any thread.
 *
 * @param s  the value fp_seqlock_read_begin() returned
 * @return   true when the data read since then may be torn (a write overlapped or was in
 *           progress): discard it and read again; false when it is a consistent snapshot
 */
inline bool fp_seqlock_read_retry(const struct fp_seqlock *sl, uint64_t s)
{
	/* RF: pairs with W1; the data loads above complete before seq is read again. */
	atomic_thread_fence(memory_order_acquire);
	/* R2: relaxed is enough after the fence. */
	return (s & 1) != 0 || atomic_load_explicit(&sl->seq, memory_order_relaxed) != s;
}

/**
 * Copy @p bytes from @p src (protected by @p sl) to @p dst as one consistent snapshot,
 * trying at most @p max_tries times (pausing between tries). Any thread. Out of line: the
 * copy dominates, and the pause helper is static.
 *
 * @return true when @p dst holds a consistent snapshot, false when every try overlapped a
 *         write (the writer is busy or died inside a write; @p dst content is undefined)
 */
bool fp_seqlock_read_copy(const struct fp_seqlock *sl, void *dst, const void *src, size_t bytes,
			  unsigned max_tries);

#endif /* FP_SEQLOCK_H */
