/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_seqlock.c - the one out-of-line copy of each inline function of fp_seqlock.h (C17
 * inline model), and the bounded snapshot copy. No state of its own.
 */
#include "fp_seqlock.h"

extern inline void fp_seqlock_init(struct fp_seqlock *sl);
extern inline void fp_seqlock_write_begin(struct fp_seqlock *sl);
extern inline void fp_seqlock_write_end(struct fp_seqlock *sl);
extern inline uint64_t fp_seqlock_read_begin(const struct fp_seqlock *sl);
extern inline bool fp_seqlock_read_retry(const struct fp_seqlock *sl, uint64_t s);

bool fp_seqlock_read_copy(const struct fp_seqlock *sl, void *dst, const void *src, size_t bytes,
			  unsigned max_tries)
{
	for (unsigned i = 0; i < max_tries; i++) {
		uint64_t s = fp_seqlock_read_begin(sl);
		if (s & 1) {
			fp_cpu_relax();
			continue;
		}
		memcpy(dst, src, bytes);
		if (!fp_seqlock_read_retry(sl, s))
			return true;
		fp_cpu_relax();
	}
	return false;
}
