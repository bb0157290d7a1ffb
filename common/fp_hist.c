/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_hist.c - the cold side of the log-linear histogram: init, merge, percentiles, dump
 * (layout and concurrency contract in fp_hist.h).
 *
 * Any thread of any process; no allocation, no syscall except fp_hist_dump()'s output.
 * Readers take one relaxed load per field and derive totals from the buckets they read,
 * so a concurrent writer can make a result stale but never inconsistent with itself.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "fp_err.h"
#include "fp_hist.h"

static uint64_t fp_hist_load(const _Atomic uint64_t *p)
{
	/* Relaxed is enough: one writer, and each field is read on its own (fp_hist.h). */
	return atomic_load_explicit(p, memory_order_relaxed);
}

static void fp_hist_zero(struct fp_hist *h)
{
	atomic_store_explicit(&h->count, 0, memory_order_relaxed);
	atomic_store_explicit(&h->sum, 0, memory_order_relaxed);
	atomic_store_explicit(&h->min, UINT64_MAX, memory_order_relaxed);
	atomic_store_explicit(&h->max, 0, memory_order_relaxed);
	for (unsigned i = 0; i < FP_HIST_NB_BUCKETS; i++)
		atomic_store_explicit(&h->bucket[i], 0, memory_order_relaxed);
}

void fp_hist_init(struct fp_hist *h)
{
	h->magic = FP_HIST_MAGIC;
	h->version = FP_HIST_VERSION;
	h->sub_bits = FP_HIST_SUB_BITS;
	h->nb_buckets = FP_HIST_NB_BUCKETS;
	h->reserved0 = 0;
	h->reserved1[0] = h->reserved1[1] = 0;
	fp_hist_zero(h);
}

void fp_hist_reset(struct fp_hist *h)
{
	fp_hist_zero(h);
}

/* Shift of bucket @p index: the inverse of fp_hist_index(). */
static unsigned fp_hist_shift(unsigned index)
{
	unsigned e = index >> FP_HIST_SUB_BITS;
	return e == 0 ? 0 : e - 1;
}

uint64_t fp_hist_bucket_lo(unsigned index)
{
	unsigned shift = fp_hist_shift(index);
	return (uint64_t)(index - (shift << FP_HIST_SUB_BITS)) << shift;
}

uint64_t fp_hist_bucket_hi(unsigned index)
{
	unsigned shift = fp_hist_shift(index);
	return fp_hist_bucket_lo(index) + (((uint64_t)1 << shift) - 1);
}

static int fp_hist_valid(const struct fp_hist *h)
{
	return h->magic == FP_HIST_MAGIC && h->version == FP_HIST_VERSION &&
	       h->sub_bits == FP_HIST_SUB_BITS && h->nb_buckets == FP_HIST_NB_BUCKETS;
}

int fp_hist_merge(struct fp_hist *dst, const struct fp_hist *src)
{
	if (!fp_hist_valid(dst) || !fp_hist_valid(src))
		return fp_err_set(-EINVAL,
				  "histogram merge: %s is not a version %u histogram "
				  "(magic 0x%08x version %u)",
				  fp_hist_valid(dst) ? "source" : "destination", FP_HIST_VERSION,
				  fp_hist_valid(dst) ? src->magic : dst->magic,
				  fp_hist_valid(dst) ? src->version : dst->version);
	uint64_t n = 0;
	for (unsigned i = 0; i < FP_HIST_NB_BUCKETS; i++) {
		uint64_t c = fp_hist_load(&src->bucket[i]);
		if (c == 0)
			continue;
		fp__hist_add(&dst->bucket[i], c);
		n += c;
	}
	if (n == 0)
		return 0;
	/* Count from the buckets copied, so dst stays self-consistent if src is being written. */
	fp__hist_add(&dst->count, n);
	fp__hist_add(&dst->sum, fp_hist_load(&src->sum));
	uint64_t mn = fp_hist_load(&src->min), mx = fp_hist_load(&src->max);
	if (mn < fp_hist_load(&dst->min))
		atomic_store_explicit(&dst->min, mn, memory_order_relaxed);
	if (mx > fp_hist_load(&dst->max))
		atomic_store_explicit(&dst->max, mx, memory_order_relaxed);
	return 0;
}

uint64_t fp_hist_count(const struct fp_hist *h)
{
	return fp_hist_load(&h->count);
}

uint64_t fp_hist_min(const struct fp_hist *h)
{
	return fp_hist_load(&h->count) ? fp_hist_load(&h->min) : 0;
}

uint64_t fp_hist_max(const struct fp_hist *h)
{
	return fp_hist_load(&h->max);
}

double fp_hist_mean(const struct fp_hist *h)
{
	uint64_t n = fp_hist_load(&h->count);
	return n ? (double)fp_hist_load(&h->sum) / (double)n : 0.0;
}

uint64_t fp_hist_percentile(const struct fp_hist *h, double q)
{
	uint64_t total = 0;
	for (unsigned i = 0; i < FP_HIST_NB_BUCKETS; i++)
		total += fp_hist_load(&h->bucket[i]);
	if (total == 0)
		return 0;
	uint64_t mn = fp_hist_load(&h->min), mx = fp_hist_load(&h->max);
	if (!(q > 0.0)) /* also NaN */
		return mn;
	if (q >= 1.0)
		return mx;
	/* Nearest rank: the ceil(q * total)-th smallest sample, 1-based. */
	uint64_t rank = (uint64_t)ceil(q * (double)total);
	if (rank < 1)
		rank = 1;
	if (rank >= total)
		return mx;
	uint64_t seen = 0;
	for (unsigned i = 0; i < FP_HIST_NB_BUCKETS; i++) {
		seen += fp_hist_load(&h->bucket[i]);
		if (seen < rank)
			continue;
		uint64_t lo = fp_hist_bucket_lo(i), hi = fp_hist_bucket_hi(i);
		uint64_t v = lo + (hi - lo) / 2;
		return v < mn ? mn : v > mx ? mx : v;
	}
	return mx; /* only if the buckets shrank between the passes (a concurrent reset) */
}

void fp_hist_dump(FILE *out, const struct fp_hist *h, const char *name, unsigned flags)
{
	fprintf(out,
		"%s: count=%" PRIu64 " min=%" PRIu64 " p50=%" PRIu64 " p90=%" PRIu64 " p99=%" PRIu64
		" p99.9=%" PRIu64 " p99.99=%" PRIu64 " max=%" PRIu64 " mean=%.1f\n",
		name, fp_hist_count(h), fp_hist_min(h), fp_hist_percentile(h, 0.5),
		fp_hist_percentile(h, 0.9), fp_hist_percentile(h, 0.99),
		fp_hist_percentile(h, 0.999), fp_hist_percentile(h, 0.9999), fp_hist_max(h),
		fp_hist_mean(h));
	if (!(flags & FP_HIST_DUMP_BUCKETS))
		return;
	for (unsigned i = 0; i < FP_HIST_NB_BUCKETS; i++) {
		uint64_t c = fp_hist_load(&h->bucket[i]);
		if (c)
			fprintf(out, "  [%" PRIu64 ", %" PRIu64 "] %" PRIu64 "\n",
				fp_hist_bucket_lo(i), fp_hist_bucket_hi(i), c);
	}
}
