/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ring_pvt.h - @internal inline helpers of the SPSC event ring: do not include directly,
 * include fp_ring.h.
 *
 * Hot path: no syscalls, no locks, no allocation, no errno. The helpers are C17 `inline`
 * (not `static inline`) because the public inline functions of fp_ring.h call them and an
 * inline function with external linkage may not use internal-linkage names; fp_ring.c emits
 * their one out-of-line copy.
 *
 * Memory ordering. Each side publishes its position with a release store and reads the
 * other side's position with an acquire load; the labels below are cited at each atomic:
 *
 *   R1  producer: store-release prod.tail   after writing the slots      pairs with A2
 *   A2  consumer: load-acquire  prod.tail   before reading the slots      pairs with R1
 *       => the consumer sees every byte of an event once it sees tail cover it.
 *   R2  consumer: store-release cons.head   after reading (copying) slots pairs with A1
 *   A1  producer: load-acquire  cons.head   before overwriting the slots  pairs with R2
 *       => the producer never overwrites a slot the consumer is still reading.
 *
 * A side's own position is loaded relaxed: only that side writes it. The cached copy of
 * the other side's position (head_cache, tail_cache) is a plain field of the caching side:
 * a stale cache only understates the room (or the events) available, never overstates it,
 * because positions only grow. The cache is refreshed only when it says "not enough", so in
 * steady state each side touches the other's line once per batch, not once per event.
 */
#ifndef FP_RING_PVT_H
#define FP_RING_PVT_H

#include <string.h>

#include "fp_ring_core.h"

/**
 * @internal Free slots for the producer, refreshing head_cache (A1) only when the cached
 * value shows fewer than @p n free.
 */
inline uint32_t __fp_ring_prod_room(struct fp_ring *r, uint64_t tail, uint32_t n)
{
	uint32_t room = r->prod.capacity - (uint32_t)(tail - r->prod.head_cache);
	if (room < n) {
		/* A1: pairs with R2; the consumer has finished reading the slots before head. */
		r->prod.head_cache = atomic_load_explicit(&r->cons.head, memory_order_acquire);
		room = r->prod.capacity - (uint32_t)(tail - r->prod.head_cache);
	}
	return room;
}

/**
 * @internal Events ready for the consumer, refreshing tail_cache (A2) only when the cached
 * value shows fewer than @p n.
 */
inline uint32_t __fp_ring_cons_avail(struct fp_ring *r, uint64_t head, uint32_t n)
{
	uint32_t avail = (uint32_t)(r->cons.tail_cache - head);
	if (avail < n) {
		/* A2: pairs with R1; every slot before tail is fully written. */
		uint64_t tail = atomic_load_explicit(&r->prod.tail, memory_order_acquire);
		avail = (uint32_t)(tail - head);
		if (avail != 0) /* an empty poll writes nothing */
			r->cons.tail_cache = tail;
	}
	return avail;
}

/**
 * @internal Copy @p n events into consecutive slots. One event: an inline constant-size
 * copy (no call). A batch: one libc memcpy, which picks the widest vector moves of the CPU
 * at run time (AVX2 and up) where inline code is limited to the build's -march.
 */
inline void __fp_ring_copy(struct fp_event *restrict dst, const struct fp_event *restrict src,
			   uint32_t n)
{
	if (n == 1)
		memcpy(dst, src, sizeof(struct fp_event));
	else
		memcpy(dst, src, (size_t)n * sizeof(struct fp_event));
}

/** @internal Copy into the ring across the wrap point (out of line: the rare case). */
void __fp_ring_copy_in_wrap(struct fp_ring *r, uint32_t idx, const struct fp_event *evs,
			    uint32_t n) FP_COLD;

/** @internal Copy out of the ring across the wrap point (out of line: the rare case). */
void __fp_ring_copy_out_wrap(const struct fp_ring *r, uint32_t idx, struct fp_event *evs,
			     uint32_t n) FP_COLD;

/**
 * @internal Enqueue up to @p n events (all or none when @p bulk).
 * One worker for both public variants; inlining specializes it on the constant @p bulk.
 */
inline uint32_t __fp_ring_do_enqueue(struct fp_ring *r, const struct fp_event *evs, uint32_t n,
				     int bulk)
{
	/* Relaxed: only the producer writes prod.tail. */
	uint64_t tail = atomic_load_explicit(&r->prod.tail, memory_order_relaxed);
	uint32_t room = __fp_ring_prod_room(r, tail, n);
	if (room < n) {
		if (bulk)
			return 0;
		n = room;
	}
	if (fp_unlikely(n == 0))
		return 0;
	uint32_t idx = (uint32_t)tail & r->prod.mask;
	if (fp_likely(idx + n <= r->prod.capacity))
		__fp_ring_copy(&r->slots[idx], evs, n);
	else
		__fp_ring_copy_in_wrap(r, idx, evs, n);
	/* R1: pairs with A2; publishes the slots just written. */
	atomic_store_explicit(&r->prod.tail, tail + n, memory_order_release);
	return n;
}

/** @internal Dequeue up to @p n events. */
inline uint32_t __fp_ring_do_dequeue(struct fp_ring *r, struct fp_event *evs, uint32_t n)
{
	/* Relaxed: only the consumer writes cons.head. */
	uint64_t head = atomic_load_explicit(&r->cons.head, memory_order_relaxed);
	uint32_t avail = __fp_ring_cons_avail(r, head, n);
	if (avail < n)
		n = avail;
	if (fp_unlikely(n == 0))
		return 0;
	uint32_t idx = (uint32_t)head & r->cons.mask;
	if (fp_likely(idx + n <= r->cons.capacity))
		__fp_ring_copy(evs, &r->slots[idx], n);
	else
		__fp_ring_copy_out_wrap(r, idx, evs, n);
	/* R2: pairs with A1; the slots are copied out and may be overwritten. */
	atomic_store_explicit(&r->cons.head, head + n, memory_order_release);
	return n;
}

#endif /* FP_RING_PVT_H */
