/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_hmap.c - the cold half of the hash map (fp_hmap.h): sizing, allocation, clearing and
 * the invariant check. The probe, insert and backward shift are inline in the header.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fp_err.h"
#include "fp_hmap.h"

uint64_t fp_hmap_slots(uint32_t max_keys)
{
	uint64_t slots = 16;
	while (slots < 2 * (uint64_t)max_keys)
		slots <<= 1;
	return slots;
}

int fp_hmap_init(struct fp_hmap *m, uint32_t max_keys)
{
	memset(m, 0, sizeof(*m));
	if (max_keys == 0 || max_keys > (UINT32_C(1) << 31))
		return fp_err_set(-EINVAL, "hash map of %u keys: give 1 to 2^31", max_keys);
	uint64_t slots = fp_hmap_slots(max_keys);
	size_t bytes = (size_t)slots * sizeof(*m->slot);
	m->slot = aligned_alloc(FP_CACHE_LINE, bytes);
	if (!m->slot)
		return fp_err_set(-ENOMEM, "hash map of %u keys: cannot allocate %zu bytes",
				  max_keys, bytes);
	memset(m->slot, 0, bytes);
	m->geom = fp_hmap_geom_of((uint32_t)__builtin_ctzll(slots));
	m->max_keys = max_keys;
	return 0;
}

void fp_hmap_fini(struct fp_hmap *m)
{
	if (!m)
		return;
	free(m->slot);
	memset(m, 0, sizeof(*m));
}

void fp_hmap_clear(struct fp_hmap *m)
{
	if (m->slot)
		memset(m->slot, 0, (size_t)(m->geom.mask + 1) * sizeof(*m->slot));
	m->nb_keys = 0;
}

uint64_t fp_hmap_check(const struct fp_hmap *m)
{
	uint64_t bad = 0, live = 0;
	if (!m->slot)
		return 0;
	for (uint64_t i = 0; i <= m->geom.mask; i++) {
		uint64_t key = m->slot[i].key;
		if (key == 0)
			continue;
		live++;
		if (fp_hmap__probe(m, key) != i)
			bad++;
	}
	/* a count that disagrees with the table is a broken map too */
	return bad + (live != m->nb_keys);
}
