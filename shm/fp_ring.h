/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ring.h - single-producer single-consumer ring of 64-byte events in shared memory.
 *
 * Who may call: exactly one producer thread (in any process) and exactly one consumer
 * thread (in any process) per ring; see the contract table below. The produce and consume
 * functions are the hot path: they never block, never make a syscall, never allocate and
 * never set errno; they return counts. fp_ring_memsize/fp_ring_init/fp_ring_dump are cold.
 *
 * The ring is one struct fp_ring (fp_ring_core.h: header, producer line, consumer line,
 * guard lines) followed by `capacity` slots. It holds no pointer, so it works in memory
 * mapped at different addresses by different processes. Capacity is a power of two; all
 * `capacity` slots are usable (positions are free-running, so full and empty differ).
 *
 * Concurrency contract (liburcu wfcqueue.h style): which operation may run on which side.
 *
 *   operation                                  | producer | consumer | other thread
 *   -------------------------------------------+----------+----------+-------------
 *   fp_ring_memsize, fp_ring_init              | before either side starts (no concurrency)
 *   fp_ring_enqueue_burst/_bulk                |   yes    |    no    |     no
 *   fp_ring_reserve, fp_ring_commit            |   yes    |    no    |     no
 *   fp_ring_room, fp_ring_slot                 |   yes    |    no    |     no
 *   fp_ring_dequeue_burst                      |   no     |   yes    |     no
 *   fp_ring_peek, fp_ring_release              |   no     |   yes    |     no
 *   fp_ring_count, fp_ring_capacity            |   yes    |   yes    |  yes (approx.)
 *   fp_ring_dump                               |   yes    |   yes    |  yes (approx.)
 *
 * Producer-side calls must come from one thread at a time (or be externally serialised);
 * the same for consumer-side calls. A producer call and a consumer call may run at the
 * same time. Zero-copy use:
 *
 *     uint32_t nb;
 *     struct fp_event *ev = fp_ring_reserve(r, 32, &nb); // up to 32 contiguous slots
 *     for (uint32_t i = 0; i < nb; i++) fill(&ev[i]);
 *     fp_ring_commit(r, nb);                              // one release store per batch
 *
 *     const struct fp_event *in = fp_ring_peek(r, 32, &nb);
 *     for (uint32_t i = 0; i < nb; i++) handle(&in[i]);
 *     fp_ring_release(r, nb);
 *
 * reserve and peek return a run that does not cross the end of the slot array, so near the
 * wrap point they may return fewer than available; the next call returns the rest.
 *
 * Bit 7 of a slot's `type` is the ring's (FP_RING_SLOT_FULL, fp_ring_core.h): events put on
 * the ring must have a type below 128 (every enum fp_ev_type does), and events taken off it
 * never show the bit. The consumer learns that a slot is full from that bit, so one cache
 * line, the slot's, moves per event.
 *
 * Crash recovery: a producer killed while it writes reserved slots publishes nothing of them;
 * one killed inside fp_ring_commit()/enqueue publishes a prefix of the batch, and its
 * restarted successor's first produce call continues after that prefix (fp_ring_count()
 * counts it meanwhile). A consumer killed between peek and release finds the same events
 * again at its restart (at-least-once, as with an index ring).
 */
#ifndef FP_RING_H
#define FP_RING_H

#include <stdio.h>

#include "fp_ring_core.h"
#include "fp_ring_pvt.h"

/* ---- lifecycle (cold) ---- */

/**
 * Bytes to reserve for a ring of @p capacity events (header plus slots).
 *
 * @param capacity  number of slots: a power of two, 1 .. FP_RING_CAPACITY_MAX
 * @return          the size in bytes, a multiple of 64; 0 when @p capacity is invalid
 */
size_t fp_ring_memsize(uint32_t capacity);

/**
 * Initialise a ring on caller memory (never allocates); pair: none, the memory is the
 * caller's. Zeroes the header and every slot (which also pre-faults them). Not thread safe:
 * call before any producer or consumer uses the ring.
 *
 * @param r         fp_ring_memsize(capacity) bytes, 64-byte aligned
 * @param capacity  a power of two, 1 .. FP_RING_CAPACITY_MAX
 * @param name      for dumps and errors, shorter than FP_RING_NAMESIZE bytes (may be NULL)
 * @return          0, or -EINVAL (NULL/misaligned ring, bad capacity, name too long) with
 *                  fp_err_set() text
 */
int fp_ring_init(struct fp_ring *r, uint32_t capacity, const char *name);

/**
 * Check that @p r looks like an initialised ring (magic, version, capacity), e.g. after
 * attaching a segment. Cold, either side.
 *
 * @param bytes  the bytes available at @p r (the region size); 0 to skip the size check
 * @return       0, or -EPROTO (not a ring, other version) / -EINVAL (bytes too small), with
 *               fp_err_set() text
 */
int fp_ring_check(const struct fp_ring *r, size_t bytes);

/* ---- producer only (NOT multi-producer safe) ---- */

/**
 * Copy up to @p n events into the ring. Producer only.
 *
 * @return the number enqueued, 0 .. n (fewer when the ring is full)
 */
inline uint32_t fp_ring_enqueue_burst(struct fp_ring *r, const struct fp_event *evs, uint32_t n)
{
	return __fp_ring_do_enqueue(r, evs, n, 0);
}

/**
 * Copy all @p n events into the ring, or none when there is no room for all. Producer only.
 *
 * @return n or 0
 */
inline uint32_t fp_ring_enqueue_bulk(struct fp_ring *r, const struct fp_event *evs, uint32_t n)
{
	return __fp_ring_do_enqueue(r, evs, n, 1);
}

/**
 * Reserve up to @p n contiguous free slots for writing in place. Producer only. The slots
 * are invisible to the consumer until fp_ring_commit(); a later reserve without a commit
 * returns the same slots again.
 *
 * @param nb_got  set to the number of slots returned, 0 .. n
 * @return        the first slot, or NULL when *nb_got is 0 (ring full or n == 0)
 */
inline struct fp_event *fp_ring_reserve(struct fp_ring *r, uint32_t n, uint32_t *nb_got)
{
	uint64_t tail = __fp_ring_prod_tail(r);
	uint32_t idx = (uint32_t)tail & r->prod.mask;
	uint32_t room = __fp_ring_prod_room(r, tail, n);
	uint32_t contig = r->prod.capacity - idx;
	n = FP_MIN(n, FP_MIN(room, contig));
	*nb_got = n;
	return n ? &r->slots[idx] : NULL;
}

/**
 * Publish the first @p n slots returned by the last fp_ring_reserve(). Producer only.
 * @p n must not exceed that call's *nb_got. Each slot's type must be below 128.
 */
inline void fp_ring_commit(struct fp_ring *r, uint32_t n)
{
	/* Recovered already by the fp_ring_reserve/_room/_slot that handed out the slots. */
	uint64_t tail = __fp_ring_prod_tail(r);
	__fp_ring_publish(r, tail, n);
}

/**
 * Free slots, as the producer knows them: the consumer's head is read (and the producer's
 * cached copy refreshed) only when the cached copy shows fewer than @p want free, so a
 * producer that checks for room before every batch touches the consumer's line once per
 * refill, not once per check. Producer only. The figure may understate the room (the
 * consumer may have freed more since), never overstate it.
 *
 * @param want  the room the caller needs; 0 never reads the consumer's head
 * @return      free slots, 0 .. capacity (at least @p want when there are that many)
 */
inline uint32_t fp_ring_room(struct fp_ring *r, uint32_t want)
{
	/* Recovered first: fp_ring_slot() and fp_ring_commit() count from this tail. */
	uint64_t tail = __fp_ring_prod_tail(r);
	return __fp_ring_prod_room(r, tail, want);
}

/**
 * The free slot @p k places past the producer's position (k = 0: the slot the next
 * fp_ring_reserve() returns first), for writing several events in place across the wrap
 * point and publishing them with one fp_ring_commit(k + 1). Producer only. @p k must be
 * below a figure fp_ring_room() returned; the slot is invisible to the consumer until a
 * commit covers it.
 */
inline struct fp_event *fp_ring_slot(struct fp_ring *r, uint32_t k)
{
	uint64_t tail = __fp_ring_prod_tail(r);
	return &r->slots[(uint32_t)(tail + k) & r->prod.mask];
}

/* ---- consumer only (NOT multi-consumer safe) ---- */

/**
 * Copy up to @p n events out of the ring. Consumer only.
 *
 * @return the number dequeued, 0 .. n (fewer when the ring holds fewer)
 */
inline uint32_t fp_ring_dequeue_burst(struct fp_ring *r, struct fp_event *evs, uint32_t n)
{
	return __fp_ring_do_dequeue(r, evs, n);
}

/**
 * Look at up to @p max contiguous events in place without consuming them. Consumer only.
 * The events stay valid until fp_ring_release().
 *
 * @param nb_got  set to the number of events returned, 0 .. max
 * @return        the first event, or NULL when *nb_got is 0 (ring empty or max == 0)
 */
inline const struct fp_event *fp_ring_peek(struct fp_ring *r, uint32_t max, uint32_t *nb_got)
{
	/* Relaxed: only the consumer writes cons.head. */
	uint64_t head = atomic_load_explicit(&r->cons.head, memory_order_relaxed);
	uint32_t idx = (uint32_t)head & r->cons.mask;
	uint32_t contig = r->cons.capacity - idx;
	max = FP_MIN(max, contig);
	max = FP_MIN(max, __fp_ring_cons_avail(r, head, max));
	*nb_got = max;
	if (max == 0)
		return NULL;
	__fp_ring_clear_full(r, head, max); /* the events as they were put, without the bit */
	return &r->slots[idx];
}

/**
 * Consume the first @p n events returned by the last fp_ring_peek(), giving their slots
 * back to the producer. Consumer only. @p n must not exceed that call's *nb_got.
 */
inline void fp_ring_release(struct fp_ring *r, uint32_t n)
{
	uint64_t head = atomic_load_explicit(&r->cons.head, memory_order_relaxed);
	/* R2: pairs with A1; the events are read and their slots may be reused. */
	atomic_store_explicit(&r->cons.head, head + n, memory_order_release);
}

/* ---- either side ---- */

/**
 * Number of events in the ring. Any thread; exact when called by the producer or the
 * consumer while the other side is idle, otherwise a snapshot that may be stale.
 */
inline uint32_t fp_ring_count(const struct fp_ring *r)
{
	/* Acquire head before tail; both pair with R2/R3 only to read fresh values. */
	uint64_t head = atomic_load_explicit(&r->cons.head, memory_order_acquire);
	uint64_t tail = atomic_load_explicit(&r->prod.tail, memory_order_acquire);
	if (fp_unlikely(atomic_load_explicit(&r->prod.pending, memory_order_relaxed) != tail))
		tail = __fp_ring_visible_end(
			r, tail, atomic_load_explicit(&r->prod.pending, memory_order_relaxed));
	/* The consumer sees a slot's bit before the producer stores tail (R3): head may pass the
	 * tail read here by the events of one commit; that ring is empty, not full. */
	int64_t n = (int64_t)(tail - head);
	if (n <= 0)
		return 0;
	return (uint64_t)n > r->hdr.capacity ? r->hdr.capacity : (uint32_t)n;
}

/** Number of slots (the power of two given to fp_ring_init). Any thread. */
inline uint32_t fp_ring_capacity(const struct fp_ring *r)
{
	return r->hdr.capacity;
}

/** Name given to fp_ring_init(). Any thread. */
inline const char *fp_ring_name(const struct fp_ring *r)
{
	return r->hdr.name;
}

/* ---- debug (cold) ---- */

/** Print the ring's header, positions, caches and count to @p out. Any thread. */
void fp_ring_dump(FILE *out, const struct fp_ring *r);

#endif /* FP_RING_H */
