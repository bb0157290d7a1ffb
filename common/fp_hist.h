/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_hist.h - fixed-size log-linear latency histogram, usable in shared memory.
 *
 * One writer per histogram (the worker that owns it), any number of readers in any process.
 * fp_hist_record() is hot-path safe: about twenty instructions, no branch on the bucket, no
 * syscall, no allocation, no lock and no locked instruction. Everything else is cold.
 *
 * Layout (the scheme of HdrHistogram with 7 sub-bucket bits): values 0..255 have a bucket
 * each; above that every power of two [2^e, 2^(e+1)) is cut into 128 equal sub-buckets,
 * so a bucket is at most 1/128 of its lower bound wide. Percentiles report the middle of a
 * bucket (clamped to the exact min and max), so any reported value is within 1/256
 * (0.4%) of the true sample of that rank, over the whole uint64_t range. The bucket of v is
 *
 *     shift = max(0, msb(v) - 7);   index = shift * 128 + (v >> shift)
 *
 * which is one LZCNT/BSR, a shift and an add (fp_hist_index()).
 *
 * Shared memory: struct fp_hist holds fixed-width integers only (no pointers), starts with
 * magic and version, and is FP_HIST_SIZE bytes (59,456). The writer updates each field with
 * a relaxed atomic load+store (plain MOVs on x86-64, never a LOCK prefix); readers load with
 * relaxed atomics. A reader therefore sees each field whole and never decreasing (except
 * across fp_hist_reset(), which only the writer calls), but fields need not agree with each
 * other at one instant (count may be ahead of the buckets, for instance): readers derive
 * the total from the buckets they read and so stay self-consistent. For an exact snapshot,
 * the writer publishes a copy (e.g. merges into a seqlock-protected region).
 *
 * The unit is the caller's: record TSC cycles on the hot path (cheapest) and convert the
 * percentiles with fp_tsc_to_ns() when reading, or record nanoseconds.
 */
#ifndef FP_HIST_H
#define FP_HIST_H

#include <assert.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "fp_compiler.h"

#define FP_HIST_MAGIC   0x48495354U /* "HIST" */
#define FP_HIST_VERSION 1U

/** Sub-buckets per power of two are 2^FP_HIST_SUB_BITS. */
#define FP_HIST_SUB_BITS   7
#define FP_HIST_SUB        (1U << FP_HIST_SUB_BITS)
/** Buckets: shift ranges over 0..(63 - FP_HIST_SUB_BITS), each with FP_HIST_SUB indices,
 *  plus the FP_HIST_SUB exact values below 2^FP_HIST_SUB_BITS. */
#define FP_HIST_NB_BUCKETS ((64 - FP_HIST_SUB_BITS + 1) * FP_HIST_SUB)

/** fp_hist_dump() flags. */
#define FP_HIST_DUMP_BUCKETS 0x1U /**< also list every non-empty bucket, one per line */

/**
 * A histogram. Initialise with fp_hist_init() (on any memory, shared or not), then only
 * its one writer calls fp_hist_record(), fp_hist_merge() (as dst) and fp_hist_reset().
 */
struct fp_hist {
	uint32_t magic;                              /**< FP_HIST_MAGIC once initialised */
	uint16_t version;                            /**< FP_HIST_VERSION */
	uint16_t sub_bits;                           /**< FP_HIST_SUB_BITS */
	uint32_t nb_buckets;                         /**< FP_HIST_NB_BUCKETS */
	uint32_t reserved0;                          /**< zero */
	_Atomic uint64_t count;                      /**< samples recorded */
	_Atomic uint64_t sum;                        /**< sum of samples, modulo 2^64 */
	_Atomic uint64_t min;                        /**< smallest sample, UINT64_MAX when empty */
	_Atomic uint64_t max;                        /**< largest sample, 0 when empty */
	uint64_t reserved1[2];                       /**< zero; pads the header to one cache line */
	_Atomic uint64_t bucket[FP_HIST_NB_BUCKETS]; /**< samples per bucket */
} FP_CACHE_ALIGNED;

/** Bytes of one struct fp_hist. */
#define FP_HIST_SIZE (FP_CACHE_LINE + FP_HIST_NB_BUCKETS * 8)

static_assert(FP_HIST_NB_BUCKETS == 7424, "bucket count of layout version 1");
static_assert(sizeof(struct fp_hist) == FP_HIST_SIZE, "fp_hist size");
static_assert(sizeof(struct fp_hist) % FP_CACHE_LINE == 0, "fp_hist is whole cache lines");
static_assert(offsetof(struct fp_hist, count) == 16, "fp_hist.count offset");
static_assert(offsetof(struct fp_hist, max) == 40, "fp_hist.max offset");
static_assert(offsetof(struct fp_hist, bucket) == FP_CACHE_LINE, "buckets start line 1");

/**
 * Prepare @p h: empty. Any memory of FP_HIST_SIZE bytes aligned to FP_CACHE_LINE (a segment
 * region, or aligned_alloc(FP_CACHE_LINE, FP_HIST_SIZE)): the type is cache-line aligned.
 */
void fp_hist_init(struct fp_hist *h);

/** Empty @p h again (writer only; readers may see a mix of old and zero counts meanwhile). */
void fp_hist_reset(struct fp_hist *h);

/**
 * Bucket index of @p value: 0 .. FP_HIST_NB_BUCKETS - 1. Values below 256 map to
 * themselves; see the layout at the top of this file.
 */
static inline unsigned fp_hist_index(uint64_t value)
{
	/* msb(value | 0x80) >= 7, so shift >= 0 and values below 256 keep shift 0. */
	unsigned shift = 63 - FP_HIST_SUB_BITS - (unsigned)__builtin_clzll(value | FP_HIST_SUB);
	return (shift << FP_HIST_SUB_BITS) + (unsigned)(value >> shift);
}

/* Single-writer increment: relaxed load and store, no read-modify-write instruction. */
static inline void fp__hist_add(_Atomic uint64_t *p, uint64_t n)
{
	atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/**
 * Count one sample (writer only; hot path). Readers may run concurrently (see top).
 */
static inline void fp_hist_record(struct fp_hist *h, uint64_t value)
{
	fp__hist_add(&h->bucket[fp_hist_index(value)], 1);
	fp__hist_add(&h->count, 1);
	fp__hist_add(&h->sum, value);
	if (value < atomic_load_explicit(&h->min, memory_order_relaxed))
		atomic_store_explicit(&h->min, value, memory_order_relaxed);
	if (value > atomic_load_explicit(&h->max, memory_order_relaxed))
		atomic_store_explicit(&h->max, value, memory_order_relaxed);
}

/** Lowest value that falls in bucket @p index. */
uint64_t fp_hist_bucket_lo(unsigned index);

/** Highest value that falls in bucket @p index. */
uint64_t fp_hist_bucket_hi(unsigned index);

/**
 * Add every sample of @p src to @p dst (dst's writer only; src may be written meanwhile).
 * Afterwards dst reads as if it had recorded src's samples itself.
 *
 * @return 0; -EINVAL when either is not an initialised histogram of this layout version.
 */
int fp_hist_merge(struct fp_hist *dst, const struct fp_hist *src);

/**
 * Value at quantile @p q (0..1, clamped): the smallest recorded value v such that at least
 * ceil(q * count) samples are <= v (q = 0 gives the minimum, q = 1 the maximum, both
 * exact). Within 0.4% of the exact sample of that rank. 0 when empty. Any thread.
 */
uint64_t fp_hist_percentile(const struct fp_hist *h, double q);

/** Samples recorded (any thread). */
uint64_t fp_hist_count(const struct fp_hist *h);

/** Smallest sample, 0 when empty (any thread). */
uint64_t fp_hist_min(const struct fp_hist *h);

/** Largest sample, 0 when empty (any thread). */
uint64_t fp_hist_max(const struct fp_hist *h);

/** Mean of the samples (exact while their sum fits 64 bits), 0 when empty (any thread). */
double fp_hist_mean(const struct fp_hist *h);

/**
 * Print @p h as one line "name: count=N min=.. p50=.. p90=.. p99=.. p99.9=.. p99.99=.. max=..
 * mean=.." (values in the recorded unit); with FP_HIST_DUMP_BUCKETS, then one line per
 * non-empty bucket "  [lo, hi] count". Cold.
 */
void fp_hist_dump(FILE *out, const struct fp_hist *h, const char *name, unsigned flags);

#endif /* FP_HIST_H */
