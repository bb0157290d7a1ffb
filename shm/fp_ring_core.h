/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ring_core.h - the shared-memory layout of the SPSC event ring: do not include directly,
 * include fp_ring.h.
 *
 * Plain data, no functions. The struct lives in the segment (or any 64-byte aligned memory)
 * and holds no pointer: the slots follow the header, so the same struct works in every
 * process that maps it, at any address.
 *
 *   OFFSET  SIZE      FIELD  WRITTEN BY           DESCRIPTION
 *   0       64        hdr    fp_ring_init() only  magic, version, capacity, mask, name
 *   64      64        -      nobody               guard line
 *   128     64        prod   producer             tail, pending, cached copy of head
 *   192     64        -      nobody               guard line
 *   256     64        cons   consumer             head, ready (end of the slots seen full)
 *   320     64        -      nobody               guard line
 *   384     64 * cap  slots  producer; the consumer clears FP_RING_SLOT_FULL
 *
 * Why guard lines: the L2 adjacent-line prefetcher pulls cache lines in 128-byte pairs, so a
 * write to a line can disturb its pair on the other core. Each side's line is paired with an
 * empty one (DPDK's RTE_CACHE_GUARD, Aeron's double padding).
 *
 * Positions: `tail` and `head` are 64-bit free-running counts of events ever produced and
 * consumed (Aeron's form). They never wrap in practice (2^64 events at 10^9 events/s is 584
 * years) and, should they, unsigned subtraction still gives the right count because capacity
 * is at most 2^31. A slot's index is `position & mask`. tail - head is the number of events
 * in the ring, between 0 and capacity.
 *
 * Slot format (version 2): a slot is a struct fp_event whose `type` byte carries one bit of
 * the ring's, FP_RING_SLOT_FULL (bit 7; event types stop at FP_EV_TYPE_MAX = 127). The
 * producer sets it last, with a release store, when it publishes the slot; the consumer
 * learns that a slot is full from the slot itself (one cache line per hop, no index line)
 * and clears the bit before it gives the slot back, so a slot the producer writes in place
 * (fp_ring_reserve) reads as empty until fp_ring_commit. Events handed out by dequeue and
 * peek never show the bit. `tail` is still published after each commit (for counts,
 * monitors and crash recovery), but the consumer does not read it.
 *
 * Crash recovery: `prod.pending` is the end of the commit in progress (== tail outside one)
 * and `cons.ready` the end of the slots the consumer has seen full (>= head, stored before
 * it clears a slot's bit). A producer killed inside a commit leaves pending != tail: its next
 * produce call (and fp_ring_count) finds the true end from the slots' bits and `ready`. A
 * consumer killed between peek and release finds its events again from `ready`.
 */
#ifndef FP_RING_CORE_H
#define FP_RING_CORE_H

#include <assert.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "fp_compiler.h"
#include "fp_event.h"

/** "FPRING\0\1" read as a little-endian uint64 ("none of the above" for a zeroed ring). */
#define FP_RING_MAGIC UINT64_C(0x0100474e49525046)

/** Layout version of struct fp_ring and its slot format; bump when either changes.
 * 2: the slot's own full bit (FP_RING_SLOT_FULL), prod.pending, cons.ready. */
#define FP_RING_VERSION 2

/** Bit 7 of a slot's `type`: the slot holds a published event (fp_ring_core.h, slot format). */
#define FP_RING_SLOT_FULL 0x80u

/** Bytes of name kept, NUL included. */
#define FP_RING_NAMESIZE 32

/** Largest capacity accepted: counts must fit a uint32_t. */
#define FP_RING_CAPACITY_MAX (UINT32_C(1) << 31)

/** Read-only after fp_ring_init(): shared by both sides without contention. */
struct fp_ring_hdr {
	uint64_t magic;              /**< FP_RING_MAGIC */
	uint32_t version;            /**< FP_RING_VERSION */
	uint32_t capacity;           /**< slots, a power of two */
	uint32_t mask;               /**< capacity - 1 */
	uint32_t slot_bytes;         /**< sizeof(struct fp_event), for foreign readers */
	uint32_t event_version;      /**< FP_EVENT_VERSION at init */
	uint32_t reserved;           /**< zero */
	char name[FP_RING_NAMESIZE]; /**< NUL-terminated, for dumps and the region directory */
};

/** Written by the producer only. */
struct fp_ring_prod {
	_Atomic uint64_t tail;    /**< end of the published slots; for counts and recovery */
	uint64_t head_cache;      /**< last cons.head seen; producer-private */
	uint32_t mask;            /**< copy of hdr.mask, so the producer touches one line */
	uint32_t capacity;        /**< copy of hdr.capacity */
	_Atomic uint64_t pending; /**< end of the commit in progress; == tail outside one */
};

/** Written by the consumer only. */
struct fp_ring_cons {
	_Atomic uint64_t head;  /**< position of the next slot to read; read by the producer */
	_Atomic uint64_t ready; /**< slots before it were seen full (>= head); for recovery */
	uint32_t mask;          /**< copy of hdr.mask */
	uint32_t capacity;      /**< copy of hdr.capacity */
};

/** A single-producer single-consumer ring of struct fp_event (fp_ring.h for the API). */
struct fp_ring {
	alignas(FP_CACHE_LINE) struct fp_ring_hdr hdr;
	alignas(FP_CACHE_LINE) uint8_t guard0[FP_CACHE_LINE];
	alignas(FP_CACHE_LINE) struct fp_ring_prod prod;
	alignas(FP_CACHE_LINE) uint8_t guard1[FP_CACHE_LINE];
	alignas(FP_CACHE_LINE) struct fp_ring_cons cons;
	alignas(FP_CACHE_LINE) uint8_t guard2[FP_CACHE_LINE];
	struct fp_event slots[]; /**< capacity slots */
};

static_assert(sizeof(struct fp_ring_hdr) == 64, "ring header is one line");
static_assert(sizeof(_Atomic uint64_t) == 8 && alignof(_Atomic uint64_t) == 8,
	      "64-bit atomics are plain 8-byte words (lock-free, shareable across processes)");
static_assert(offsetof(struct fp_ring, hdr) == 0, "fp_ring.hdr offset");
static_assert(offsetof(struct fp_ring, prod) == 128, "fp_ring.prod offset");
static_assert(offsetof(struct fp_ring, cons) == 256, "fp_ring.cons offset");
static_assert(offsetof(struct fp_ring, slots) == 384, "fp_ring.slots offset");
static_assert(sizeof(struct fp_ring) == 384, "fp_ring header size");
static_assert(offsetof(struct fp_ring_prod, tail) == 0, "fp_ring_prod.tail offset");
static_assert(offsetof(struct fp_ring_prod, head_cache) == 8, "fp_ring_prod.head_cache offset");
static_assert(offsetof(struct fp_ring_prod, pending) == 24, "fp_ring_prod.pending offset");
static_assert(sizeof(struct fp_ring_prod) <= 64, "the producer's words fit its line");
static_assert(offsetof(struct fp_ring_cons, head) == 0, "fp_ring_cons.head offset");
static_assert(offsetof(struct fp_ring_cons, ready) == 8, "fp_ring_cons.ready offset");
static_assert(sizeof(struct fp_ring_cons) <= 64, "the consumer's words fit its line");
static_assert(offsetof(struct fp_event, type) == 0 && sizeof(((struct fp_event *)0)->type) == 1,
	      "the slot's full bit lives in the event's first byte, its type");
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ &&
		      offsetof(struct fp_event, symbol_id) + 4 == 8,
	      "the type is the low byte of the slot's first 8-byte word (enqueue stores it last)");
static_assert(FP_EV_TYPE_MAX < FP_RING_SLOT_FULL,
	      "event types leave bit 7 of the type byte to the ring (FP_RING_SLOT_FULL)");

#endif /* FP_RING_CORE_H */
