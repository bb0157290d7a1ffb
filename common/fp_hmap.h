/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_hmap.h - the one open-addressing hash map of the tree: 64-bit keys, linear probing,
 * deletion by backward shift (Knuth, TAOCP vol. 3, 6.4, algorithm R), so there are no
 * tombstones and probes stay short however long a process runs.
 *
 * Who may call it: any module, from one thread per table (no internal synchronisation).
 * Two layers share one probe and one backward shift:
 *
 *   records  fp_hmap_rec_probe() / fp_hmap_rec_remove(): a table of the caller's own
 *            records (e.g. the book's orders, stored in place: one cache miss per lookup),
 *            each holding its uint64_t key at a fixed offset. The caller owns the memory.
 *   map      struct fp_hmap: key -> uint32_t value, homed FP_HMAP_SPREAD (the gateway's
 *            and the simulator's lookups); memory allocated once, by fp_hmap_init().
 *
 * Definitions
 *   key      any uint64_t but 0; key 0 marks an empty slot.
 *   geometry struct fp_hmap_geom: slots = 2^bits, mask = slots - 1, kept precomputed (the
 *            probe loads them, it does not derive them).
 *   home     the slot a key's probe starts at (fp_hmap_home()):
 *              FP_HMAP_SPREAD  Fibonacci hashing, the top bits of key * 2^64/phi: any key
 *                              distribution spreads.
 *              FP_HMAP_WINDOW  the key's low bits kept, plus a mixed offset of its high bits:
 *                              sequential keys (venue order references) of one window of
 *                              table size never collide and sit side by side (cache and TLB
 *                              friendly); windows get random offsets, so arbitrary keys
 *                              still spread.
 *
 * Invariants
 *   (1) fewer live keys than slots: every probe ends at its key or at an empty slot. The map
 *       layer sizes its table at twice its most keys (load <= 1/2) and refuses a key beyond.
 *   (2) no key lies in a slot cyclically before its home, and no empty slot lies between its
 *       home and its slot (the probe run is unbroken); deletion keeps this by moving later
 *       entries of the run back into the hole, never by leaving a marker.
 *
 * Hot path: find, put, del, probe and remove are inline and never allocate, block, lock or
 * make a syscall; fp_hmap_init() touches every page of the table (no page fault later).
 * Probe and remove are always inlined, so the record layout and home kind the caller
 * passes are constants and fold away. Cold (fp_hmap.c): slots, init, fini, clear, check.
 */
#ifndef FP_HMAP_H
#define FP_HMAP_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fp_compiler.h"

/** How a key finds its home slot (see Definitions). */
enum fp_hmap_home {
	FP_HMAP_SPREAD = 0,
	FP_HMAP_WINDOW = 1,
};

/** The size of a table: 2^bits slots (1 <= bits <= 63). */
struct fp_hmap_geom {
	uint64_t mask; /**< slots - 1 */
	uint32_t bits; /**< log2(slots) */
	uint32_t rest; /**< 64 - bits (FP_HMAP_SPREAD keeps the top bits of the product) */
};

/** The geometry of a table of 2^@p bits slots (cold: computed once, at init). */
static inline struct fp_hmap_geom fp_hmap_geom_of(uint32_t bits)
{
	return (struct fp_hmap_geom){
		.mask = (UINT64_C(1) << bits) - 1, .bits = bits, .rest = 64 - bits};
}

/** Home slot of @p key in a table of geometry @p g. */
static FP_ALWAYS_INLINE uint64_t fp_hmap_home(uint64_t key, struct fp_hmap_geom g,
					      enum fp_hmap_home how)
{
	if (how == FP_HMAP_SPREAD)
		return (key * UINT64_C(0x9E3779B97F4A7C15)) >> g.rest;
	uint64_t hi = key >> g.bits;
	hi ^= hi >> 31;
	hi *= UINT64_C(0x9E3779B97F4A7C15);
	hi ^= hi >> 29;
	return (key + hi) & g.mask;
}

/** @internal The key of record @p i. */
static FP_ALWAYS_INLINE uint64_t fp_hmap__key(const void *slots, size_t stride, size_t key_off,
					      uint64_t i)
{
	uint64_t key;
	memcpy(&key, (const char *)slots + i * stride + key_off, sizeof(key));
	return key;
}

/**
 * Slot of @p key (!= 0) in a table of geometry @p g of records of @p stride bytes, each with its
 * key at byte @p key_off; or, when absent, of the empty slot that ends its probe (the slot
 * an insert of @p key fills). The caller compares the slot's key with @p key.
 */
static FP_ALWAYS_INLINE uint64_t fp_hmap_rec_probe(const void *slots, size_t stride, size_t key_off,
						   struct fp_hmap_geom g, enum fp_hmap_home how,
						   uint64_t key)
{
	uint64_t i = fp_hmap_home(key, g, how);
	for (;;) {
		uint64_t k = fp_hmap__key(slots, stride, key_off, i);
		if (k == key || k == 0)
			return i;
		i = (i + 1) & g.mask;
	}
}

/**
 * Empty the occupied slot @p i, moving later records of its probe run back into the hole
 * (invariant 2). Records move whole (memcpy of @p stride bytes): a caller holding a pointer
 * to a record of the run must look it up again.
 */
static FP_ALWAYS_INLINE void fp_hmap_rec_remove(void *slots, size_t stride, size_t key_off,
						struct fp_hmap_geom g, enum fp_hmap_home how,
						uint64_t i)
{
	const uint64_t mask = g.mask;
	char *base = (char *)slots;
	for (uint64_t j = i;;) {
		j = (j + 1) & mask;
		uint64_t k = fp_hmap__key(slots, stride, key_off, j);
		if (k == 0)
			break;
		uint64_t home = fp_hmap_home(k, g, how);
		/* record j may fill hole i unless its home lies cyclically in (i, j] */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			memcpy(base + i * stride, base + j * stride, stride);
			i = j;
		}
	}
	const uint64_t empty = 0;
	memcpy(base + i * stride + key_off, &empty, sizeof(empty));
}

/* ---- the map layer: key -> uint32_t ---- */

/** One slot of a struct fp_hmap (16 bytes: four per cache line). */
struct fp_hmap_ent {
	uint64_t key; /**< 0 = empty */
	uint32_t val;
	uint32_t reserved; /**< explicit padding; zero */
};

/** A map of at most max_keys keys to uint32_t values; fields are read-only to callers. */
struct fp_hmap {
	struct fp_hmap_ent *slot; /**< geom.mask + 1 entries, allocated by fp_hmap_init() */
	struct fp_hmap_geom geom;
	uint32_t nb_keys;  /**< live keys */
	uint32_t max_keys; /**< the capacity asked at init (invariant 1) */
};

/** Slots fp_hmap_init() allocates for @p max_keys keys: the power of two >= 2 * max_keys,
 * at least 16. */
uint64_t fp_hmap_slots(uint32_t max_keys);

/**
 * Allocate (cold path; one cache-aligned zeroed block) a map of up to @p max_keys keys.
 * Pair with fp_hmap_fini().
 * @return 0, -EINVAL (max_keys 0 or above 2^31), -ENOMEM; fp_err says which.
 */
int fp_hmap_init(struct fp_hmap *m, uint32_t max_keys);

/** Free the map's memory; a zeroed or finished map is a no-op. */
void fp_hmap_fini(struct fp_hmap *m);

/** Remove every key (cold: touches the whole table). */
void fp_hmap_clear(struct fp_hmap *m);

/** Keys whose probe from their home does not reach them (invariant 2); 0 in a sound map.
 * Cold: for tests and self-checks. */
uint64_t fp_hmap_check(const struct fp_hmap *m);

static FP_ALWAYS_INLINE uint64_t fp_hmap__probe(const struct fp_hmap *m, uint64_t key)
{
	return fp_hmap_rec_probe(m->slot, sizeof(*m->slot), 0, m->geom, FP_HMAP_SPREAD, key);
}

/** Value of @p key; @p absent when the key is not in the map (or is 0). */
static inline uint32_t fp_hmap_find(const struct fp_hmap *m, uint64_t key, uint32_t absent)
{
	if (fp_unlikely(key == 0))
		return absent;
	const struct fp_hmap_ent *e = &m->slot[fp_hmap__probe(m, key)];
	return e->key == key ? e->val : absent;
}

/**
 * Map @p key to @p val, replacing its value when present.
 * @return 0; -EINVAL for key 0; -ENOSPC when @p key is new and max_keys keys are live
 *         (nothing changed).
 */
static inline int fp_hmap_put(struct fp_hmap *m, uint64_t key, uint32_t val)
{
	if (fp_unlikely(key == 0))
		return -EINVAL;
	struct fp_hmap_ent *e = &m->slot[fp_hmap__probe(m, key)];
	if (e->key != key) {
		if (fp_unlikely(m->nb_keys >= m->max_keys))
			return -ENOSPC;
		m->nb_keys++;
		e->key = key;
	}
	e->val = val;
	return 0;
}

/** Remove @p key. @return true when it was there. */
static inline bool fp_hmap_del(struct fp_hmap *m, uint64_t key)
{
	if (fp_unlikely(key == 0))
		return false;
	uint64_t i = fp_hmap__probe(m, key);
	if (m->slot[i].key != key)
		return false;
	fp_hmap_rec_remove(m->slot, sizeof(*m->slot), 0, m->geom, FP_HMAP_SPREAD, i);
	m->nb_keys--;
	return true;
}

#endif /* FP_HMAP_H */
