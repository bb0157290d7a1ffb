/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ring.c - cold paths of the SPSC event ring (init, check, dump, recovery, the wrap-around
 * copy out)
 * and the one out-of-line copy of each inline function of fp_ring.h (C17 inline model).
 *
 * Any thread may call init/check/dump (they may format an error; they never block).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "fp_err.h"
#include "fp_ring.h"

size_t fp_ring_memsize(uint32_t capacity)
{
	if (!FP_IS_POW2(capacity) || capacity > FP_RING_CAPACITY_MAX)
		return 0;
	return sizeof(struct fp_ring) + (size_t)capacity * sizeof(struct fp_event);
}

int fp_ring_init(struct fp_ring *r, uint32_t capacity, const char *name)
{
	if (name == NULL)
		name = "";
	if (r == NULL || ((uintptr_t)r % FP_CACHE_LINE) != 0)
		return fp_err_set(-EINVAL, "ring '%s': memory must be %d-byte aligned", name,
				  FP_CACHE_LINE);
	if (!FP_IS_POW2(capacity) || capacity > FP_RING_CAPACITY_MAX)
		return fp_err_set(-EINVAL,
				  "ring '%s': capacity %" PRIu32 " must be a power of 2 between 1 "
				  "and %" PRIu32,
				  name, capacity, FP_RING_CAPACITY_MAX);
	if (strlen(name) >= FP_RING_NAMESIZE)
		return fp_err_set(-EINVAL, "ring name '%s' is longer than %d characters", name,
				  FP_RING_NAMESIZE - 1);

	memset(r, 0, fp_ring_memsize(capacity));
	r->hdr.magic = FP_RING_MAGIC;
	r->hdr.version = FP_RING_VERSION;
	r->hdr.capacity = capacity;
	r->hdr.mask = capacity - 1;
	r->hdr.slot_bytes = sizeof(struct fp_event);
	r->hdr.event_version = FP_EVENT_VERSION;
	strcpy(r->hdr.name, name);
	r->prod.capacity = r->cons.capacity = capacity;
	r->prod.mask = r->cons.mask = capacity - 1;
	atomic_init(&r->prod.tail, 0);
	atomic_init(&r->cons.head, 0);
	/* The sides start on other threads: whatever hands them the ring (thread creation, the
	 * segment's state word set to ready with a release store) orders these writes. */
	return 0;
}

int fp_ring_check(const struct fp_ring *r, size_t bytes)
{
	if (bytes != 0 && bytes < sizeof(struct fp_ring))
		return fp_err_set(-EINVAL, "ring region of %zu bytes is smaller than a ring header",
				  bytes);
	if (r->hdr.magic != FP_RING_MAGIC)
		return fp_err_set(-EPROTO, "not a fastpath ring (magic 0x%016" PRIx64 ")",
				  r->hdr.magic);
	if (r->hdr.version != FP_RING_VERSION || r->hdr.event_version != FP_EVENT_VERSION ||
	    r->hdr.slot_bytes != sizeof(struct fp_event))
		return fp_err_set(-EPROTO,
				  "ring '%.*s' has layout version %" PRIu32
				  " (event version %" PRIu32
				  "), this build uses %d (event version %d): restart the instance "
				  "with one build",
				  FP_RING_NAMESIZE, r->hdr.name, r->hdr.version,
				  r->hdr.event_version, FP_RING_VERSION, FP_EVENT_VERSION);
	if (!FP_IS_POW2(r->hdr.capacity) || r->hdr.mask != r->hdr.capacity - 1 ||
	    r->prod.capacity != r->hdr.capacity || r->cons.capacity != r->hdr.capacity)
		return fp_err_set(-EPROTO, "ring '%.*s' header is corrupt (capacity %" PRIu32 ")",
				  FP_RING_NAMESIZE, r->hdr.name, r->hdr.capacity);
	if (bytes != 0 && bytes < fp_ring_memsize(r->hdr.capacity))
		return fp_err_set(-EINVAL,
				  "ring '%.*s' of capacity %" PRIu32
				  " needs %zu bytes, region has %zu",
				  FP_RING_NAMESIZE, r->hdr.name, r->hdr.capacity,
				  fp_ring_memsize(r->hdr.capacity), bytes);
	return 0;
}

void __fp_ring_copy_out_wrap(const struct fp_ring *r, uint32_t idx, struct fp_event *evs,
			     uint32_t n)
{
	uint32_t first = r->cons.capacity - idx;
	__fp_ring_copy(evs, &r->slots[idx], first);
	__fp_ring_copy(evs + first, &r->slots[0], n - first);
}

uint64_t __fp_ring_visible_end(const struct fp_ring *r, uint64_t tail, uint64_t pending)
{
	uint32_t mask = r->hdr.mask;
	uint64_t p = tail;
	/* A slot of the commit is published when its bit is set, or when the consumer saw it
	 * set (ready > p) and has cleared it since: R4 orders ready before the clear, so the
	 * acquire of the bit followed by the read of ready cannot miss both. A commit sets the
	 * bits in order, and a killed process leaves a prefix of its stores, so the first slot
	 * that is neither ends the published run. */
	for (uint64_t left = FP_MIN(pending - tail, (uint64_t)r->hdr.capacity); left; left--, p++)
		if (!(__atomic_load_n(__fp_ring_slot_type(r, p, mask), __ATOMIC_ACQUIRE) &
		      FP_RING_SLOT_FULL) &&
		    (int64_t)(atomic_load_explicit(&r->cons.ready, memory_order_acquire) - p) <= 0)
			break;
	return p;
}

uint64_t __fp_ring_prod_recover(struct fp_ring *r)
{
	uint64_t tail = atomic_load_explicit(&r->prod.tail, memory_order_relaxed);
	uint64_t pending = atomic_load_explicit(&r->prod.pending, memory_order_relaxed);
	/* The slots after the published run hold no bit (the bits are set in order), so the
	 * next commit may write them in place again. */
	uint64_t end = __fp_ring_visible_end(r, tail, pending);
	atomic_store_explicit(&r->prod.pending, end, memory_order_relaxed);
	atomic_store_explicit(&r->prod.tail, end, memory_order_release);
	return end;
}

void fp_ring_dump(FILE *out, const struct fp_ring *r)
{
	uint64_t head = atomic_load_explicit(&r->cons.head, memory_order_acquire);
	uint64_t tail = atomic_load_explicit(&r->prod.tail, memory_order_acquire);
	fprintf(out, "ring <%.*s>@%p\n", FP_RING_NAMESIZE, r->hdr.name, (const void *)r);
	fprintf(out, "  magic=0x%016" PRIx64 " version=%" PRIu32 " event_version=%" PRIu32 "\n",
		r->hdr.magic, r->hdr.version, r->hdr.event_version);
	fprintf(out, "  capacity=%" PRIu32 " mask=0x%" PRIx32 " slot_bytes=%" PRIu32 "\n",
		r->hdr.capacity, r->hdr.mask, r->hdr.slot_bytes);
	fprintf(out,
		"  prod.tail=%" PRIu64 " prod.pending=%" PRIu64 " prod.head_cache=%" PRIu64 "\n",
		tail, atomic_load_explicit(&r->prod.pending, memory_order_relaxed),
		r->prod.head_cache);
	fprintf(out, "  cons.head=%" PRIu64 " cons.ready=%" PRIu64 "\n", head,
		atomic_load_explicit(&r->cons.ready, memory_order_relaxed));
	fprintf(out, "  used=%" PRIu32 " free=%" PRIu32 "\n", fp_ring_count(r),
		r->hdr.capacity - fp_ring_count(r));
}

/* The one out-of-line definition of each inline function (C17 6.7.4). */
extern inline uint8_t *__fp_ring_slot_type(const struct fp_ring *r, uint64_t pos, uint32_t mask);
extern inline uint64_t __fp_ring_prod_tail(struct fp_ring *r);
extern inline void __fp_ring_publish(struct fp_ring *r, uint64_t tail, uint32_t n);
extern inline void __fp_ring_clear_full(struct fp_ring *r, uint64_t head, uint32_t n);
extern inline uint32_t __fp_ring_prod_room(struct fp_ring *r, uint64_t tail, uint32_t n);
extern inline uint32_t __fp_ring_cons_avail(struct fp_ring *r, uint64_t head, uint32_t n);
extern inline void __fp_ring_copy(struct fp_event *restrict dst,
				  const struct fp_event *restrict src, uint32_t n);
extern inline uint32_t __fp_ring_do_enqueue(struct fp_ring *r, const struct fp_event *evs,
					    uint32_t n, int bulk);
extern inline uint32_t __fp_ring_do_dequeue(struct fp_ring *r, struct fp_event *evs, uint32_t n);
extern inline uint32_t fp_ring_enqueue_burst(struct fp_ring *r, const struct fp_event *evs,
					     uint32_t n);
extern inline uint32_t fp_ring_enqueue_bulk(struct fp_ring *r, const struct fp_event *evs,
					    uint32_t n);
extern inline struct fp_event *fp_ring_reserve(struct fp_ring *r, uint32_t n, uint32_t *nb_got);
extern inline void fp_ring_commit(struct fp_ring *r, uint32_t n);
extern inline uint32_t fp_ring_room(struct fp_ring *r, uint32_t want);
extern inline struct fp_event *fp_ring_slot(struct fp_ring *r, uint32_t k);
extern inline uint32_t fp_ring_dequeue_burst(struct fp_ring *r, struct fp_event *evs, uint32_t n);
extern inline const struct fp_event *fp_ring_peek(struct fp_ring *r, uint32_t max,
						  uint32_t *nb_got);
extern inline void fp_ring_release(struct fp_ring *r, uint32_t n);
extern inline uint32_t fp_ring_count(const struct fp_ring *r);
extern inline uint32_t fp_ring_capacity(const struct fp_ring *r);
extern inline const char *fp_ring_name(const struct fp_ring *r);
