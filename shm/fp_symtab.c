/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_symtab.c - symbol table (fp_symtab.h): init, check, dump, and the out-of-line copies
 * of the inline accessors (C17 inline model). Cold functions; any process.
 */
#include <errno.h>
#include <inttypes.h>

#include "fp_err.h"
#include "fp_symtab.h"

void fp_symtab_init(struct fp_symtab *t)
{
	memset(t, 0, sizeof(*t));
	t->magic = FP_SYMTAB_MAGIC;
	t->version = FP_SYMTAB_VERSION;
}

int fp_symtab_check(const struct fp_symtab *t)
{
	if (t->magic != FP_SYMTAB_MAGIC || t->version != FP_SYMTAB_VERSION)
		return fp_err_set(-EPROTO,
				  "symbol table has magic 0x%08" PRIx32 " version %" PRIu32
				  ", expected 0x%08x version %d: mixed builds?",
				  t->magic, t->version, FP_SYMTAB_MAGIC, FP_SYMTAB_VERSION);
	return 0;
}

void fp_symtab_dump(FILE *out, const struct fp_symtab *t, unsigned max)
{
	fprintf(out, "symtab: %" PRIu32 " symbols, %" PRIu64 " updates\n",
		atomic_load_explicit(&t->nb_valid, memory_order_relaxed),
		atomic_load_explicit(&t->nb_updates, memory_order_relaxed));
	unsigned shown = 0;
	for (uint32_t i = 1; i < FP_SYMTAB_NB_ENTRIES && shown < max; i++) {
		if (!fp_symtab_valid(t, (uint16_t)i))
			continue;
		const struct fp_symbol *s = &t->sym[i];
		uint8_t ts = atomic_load_explicit(&s->trading_state, memory_order_relaxed);
		fprintf(out, "  %5" PRIu32 " %.8s lot=%" PRIu32 " cat=%c state=%c stale=%u\n", i,
			s->name, s->round_lot, s->market_category ? s->market_category : '-',
			ts ? ts : '-', atomic_load_explicit(&s->stale, memory_order_relaxed));
		shown++;
	}
}

extern inline const struct fp_symbol *fp_symtab_get(const struct fp_symtab *t, uint16_t locate);
extern inline bool fp_symtab_valid(const struct fp_symtab *t, uint16_t locate);
extern inline bool fp_symtab_tradable(const struct fp_symtab *t, uint16_t locate);
extern inline bool fp_symtab_name(const struct fp_symtab *t, uint16_t locate, char out[8]);
extern inline void fp_symtab_set_directory(struct fp_symtab *t, uint16_t locate, const char name[8],
					   uint32_t round_lot, uint8_t market_category);
extern inline void fp_symtab_set_trading_state(struct fp_symtab *t, uint16_t locate, uint8_t state);
extern inline void fp_symtab_set_stale(struct fp_symtab *t, uint16_t locate, uint8_t reason);
extern inline void fp_symtab_set_directory_ready(struct fp_symtab *t);
extern inline bool fp_symtab_directory_ready(const struct fp_symtab *t);
