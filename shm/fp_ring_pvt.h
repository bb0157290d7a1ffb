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
 * Memory ordering. The consumer learns that a slot is full from the slot itself: the
 * producer sets FP_RING_SLOT_FULL (bit 7 of the slot's type byte) after writing the slot, the
 * consumer reads it with an acquire load and clears it before giving the slot back. The
 * labels below are cited at each atomic:
 *
 *   R1  producer: set each slot's full bit after writing the slot, with a release store
 *       (enqueue) or after a release fence (commit)                    pairs with A2
 *   A2  consumer: load-acquire a slot's type byte, bit set, before reading the slot
 *       => the consumer sees every byte of an event once it sees the event's full bit;
 *          one cache line moves per event, the slot's own (the floor of a hop).
 *   R2  consumer: store-release cons.head after reading slots and clearing their bits
 *   A1  producer: load-acquire  cons.head before overwriting the slots  pairs with R2
 *       => the producer never overwrites a slot the consumer is still reading, and a slot
 *          it gets back reads as empty until it sets the bit again.
 *   R3  producer: store-release prod.tail after the bits; read by fp_ring_count (monitors,
 *       room checks) and by recovery, never by the consumer's hot path.
 *   R4  consumer: release fence between storing cons.ready and clearing bits; recovery
 *       (fp_ring.c) reads a bit and then ready, so a cleared bit implies ready covers it.
 *
 * A side's own position is loaded relaxed: only that side writes it. The producer's cached
 * copy of cons.head (head_cache) is a plain field: a stale cache only understates the room,
 * because positions only grow; it is refreshed only when it says "not enough", so in steady
 * state the producer touches the consumer's line once per lap, not once per event. The
 * consumer keeps cons.ready, the end of the slots it has seen full: it reads slot bits only
 * beyond it, and only when it needs more events than ready - head.
 */
#ifndef FP_RING_PVT_H
#define FP_RING_PVT_H

#include <string.h>

#include "fp_ring_core.h"

/** @internal A slot's first 8 bytes (type, flags, source, symbol_id) as one word; the full
 * bit is bit 7 of its first byte, the type. */
typedef uint64_t __attribute__((may_alias)) fp_ring_slot_word;

/** @internal The type byte of the slot of position @p pos: where its full bit lives. */
inline uint8_t *__fp_ring_slot_type(const struct fp_ring *r, uint64_t pos, uint32_t mask)
{
	return (uint8_t *)&r->slots[pos & mask].type;
}

/**
 * @internal The end of the published slots from @p tail: those in [tail, pending) whose
 * full bit is set or that the consumer has seen full (cons.ready). Cold: only after a
 * producer died inside a commit, or for a count racing with a commit.
 */
uint64_t __fp_ring_visible_end(const struct fp_ring *r, uint64_t tail, uint64_t pending) FP_COLD;

/** @internal Make prod.tail the true end after a producer died inside a commit. */
uint64_t __fp_ring_prod_recover(struct fp_ring *r) FP_COLD;

/** @internal The producer's tail, recovered first when a commit was left half done. */
inline uint64_t __fp_ring_prod_tail(struct fp_ring *r)
{
	/* Relaxed: only the producer writes prod.tail and prod.pending. */
	uint64_t tail = atomic_load_explicit(&r->prod.tail, memory_order_relaxed);
	if (fp_unlikely(atomic_load_explicit(&r->prod.pending, memory_order_relaxed) != tail))
		tail = __fp_ring_prod_recover(r);
	return tail;
}

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
 * @internal Publish the @p n slots written from @p tail: pending first (so that a crash
 * inside is found), then each slot's full bit in order, then tail.
 */
inline void __fp_ring_publish(struct fp_ring *r, uint64_t tail, uint32_t n)
{
	uint32_t mask = r->prod.mask;
	atomic_store_explicit(&r->prod.pending, tail + n, memory_order_relaxed);
	/* R1: pairs with A2; the slots' bytes (and pending) before any of their full bits. */
	atomic_thread_fence(memory_order_release);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *type = __fp_ring_slot_type(r, tail + i, mask);
		__atomic_store_n(type, (uint8_t)(*type | FP_RING_SLOT_FULL), __ATOMIC_RELAXED);
	}
	/* R3: counts and recovery; the consumer does not wait for it. */
	atomic_store_explicit(&r->prod.tail, tail + n, memory_order_release);
}

/**
 * @internal Events ready for the consumer from @p head, reading slot bits (A2) beyond
 * cons.ready only when ready - head is fewer than @p n.
 */
inline uint32_t __fp_ring_cons_avail(struct fp_ring *r, uint64_t head, uint32_t n)
{
	/* Relaxed: only the consumer writes cons.ready. */
	uint64_t ready = atomic_load_explicit(&r->cons.ready, memory_order_relaxed);
	uint32_t avail = (uint32_t)(ready - head);
	if (avail < n) {
		uint32_t mask = r->cons.mask;
		/* Never past head + capacity: that slot is head's own, full from this lap. */
		uint64_t end = ready, lim = head + FP_MIN(n, r->cons.capacity);
		/* A2: pairs with R1; a slot whose full bit is set is fully written. */
		while (end != lim &&
		       (__atomic_load_n(__fp_ring_slot_type(r, end, mask), __ATOMIC_ACQUIRE) &
			FP_RING_SLOT_FULL))
			end++;
		if (end != ready) /* an empty poll writes nothing */
			atomic_store_explicit(&r->cons.ready, end, memory_order_relaxed);
		avail = (uint32_t)(end - head);
	}
	return avail;
}

/**
 * @internal Clear the full bit of the @p n slots from @p head (seen full: cons.ready covers
 * them), so that they read as empty when the producer writes them again in place.
 */
inline void __fp_ring_clear_full(struct fp_ring *r, uint64_t head, uint32_t n)
{
	uint32_t mask = r->cons.mask;
	/* R4: cons.ready before the cleared bits, for recovery. */
	atomic_thread_fence(memory_order_release);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *type = __fp_ring_slot_type(r, head + i, mask);
		uint8_t t = __atomic_load_n(type, __ATOMIC_RELAXED);
		if (t & FP_RING_SLOT_FULL) /* already clear when peeked again */
			__atomic_store_n(type, (uint8_t)(t & ~FP_RING_SLOT_FULL), __ATOMIC_RELAXED);
	}
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
	uint64_t tail = __fp_ring_prod_tail(r);
	uint32_t room = __fp_ring_prod_room(r, tail, n);
	if (room < n) {
		if (bulk)
			return 0;
		n = room;
	}
	if (fp_unlikely(n == 0))
		return 0;
	uint32_t mask = r->prod.mask;
	atomic_store_explicit(&r->prod.pending, tail + n, memory_order_relaxed);
	for (uint32_t i = 0; i < n; i++) { /* each slot published as soon as it is written */
		struct fp_event *slot = &r->slots[(tail + i) & mask];
		uint64_t first;
		/* The first word last, with the full bit, whatever the caller's type held: no
		 * store of the caller's bytes can make the slot read full early. */
		memcpy((char *)slot + sizeof(first), (const char *)&evs[i] + sizeof(first),
		       sizeof(*slot) - sizeof(first));
		memcpy(&first, &evs[i], sizeof(first));
		/* R1: pairs with A2; the slot's bytes (and pending) before its full bit. */
		__atomic_store_n((fp_ring_slot_word *)(void *)slot, first | FP_RING_SLOT_FULL,
				 __ATOMIC_RELEASE);
	}
	/* R3: counts and recovery; the consumer does not wait for it. */
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
	for (uint32_t i = 0; i < n; i++) /* the copies are events, not slots */
		evs[i].type &= (uint8_t)~FP_RING_SLOT_FULL;
	__fp_ring_clear_full(r, head, n);
	/* R2: pairs with A1; the slots are copied out and may be overwritten. */
	atomic_store_explicit(&r->cons.head, head + n, memory_order_release);
	return n;
}

#endif /* FP_RING_PVT_H */
