/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_risk_core.c - the engine's tables: allocation, the order and position lookups, the
 * positions region, reset and dumps (fp_risk_core.h; invariants in fp_risk_core_pvt.h).
 *
 * Risk thread only for everything but init/fini and the region readers.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fp_err.h"
#include "fp_risk_core.h"
#include "fp_risk_core_pvt.h"

/* ---- lookups ---- */

static inline uint32_t pos_hash(uint16_t strat, uint32_t sym)
{
	uint64_t k = ((uint64_t)strat << 32 | sym) * 0x9E3779B97F4A7C15ULL;
	return (uint32_t)(k >> 32);
}

struct fp_risk_pos *fp_risk_pos_lookup(const struct fp_risk_core *rc, uint16_t strat, uint32_t sym,
				       uint32_t *slot)
{
	uint32_t h = pos_hash(strat, sym);
	for (uint32_t i = 0; i < FP_RISK_PROBE_MAX; i++) {
		uint32_t s = (h + i) & rc->pos_mask;
		uint32_t idx = rc->pos_index[s];
		if (idx == 0) {
			*slot = s;
			return NULL;
		}
		struct fp_risk_pos *p = &rc->region->pos[idx - 1];
		if (p->strategy_id == strat && p->symbol_id == sym) {
			*slot = s;
			return p;
		}
	}
	*slot = UINT32_MAX;
	return NULL;
}

/* Find or create the entry; NULL only when the table is full. */
struct fp_risk_pos *fp_risk_pos_get(struct fp_risk_core *rc, uint16_t strat, uint32_t sym)
{
	uint32_t slot;
	struct fp_risk_pos *p = fp_risk_pos_lookup(rc, strat, sym, &slot);
	if (fp_likely(p != NULL))
		return p;
	uint32_t n = atomic_load_explicit(&rc->region->nb_used, memory_order_relaxed);
	if (slot == UINT32_MAX || n >= rc->pos_capacity)
		return NULL;
	p = &rc->region->pos[n];
	fp_seqlock_write_begin(&p->lock);
	p->strategy_id = strat;
	p->symbol_id = sym;
	fp_seqlock_write_end(&p->lock);
	rc->pos_index[slot] = n + 1;
	rc->sym[sym].strat_mask |= 1ULL << strat;
	/* release: a reader that sees nb_used sees the entry's ids (pairs with its acquire) */
	atomic_store_explicit(&rc->region->nb_used, n + 1, memory_order_release);
	return p;
}

const struct fp_risk_pos *fp_risk_pos_find(const struct fp_risk_core *rc, uint16_t strategy_id,
					   uint32_t symbol_id)
{
	uint32_t slot;
	return fp_risk_pos_lookup(rc, strategy_id, symbol_id, &slot);
}

const struct fp_risk_order *fp_risk_order_find(const struct fp_risk_core *rc, uint64_t coid)
{
	uint32_t slot;
	return fp_risk_ord_lookup(rc, coid, &slot);
}

/* ---- lifecycle ---- */

size_t fp_risk_pos_region_memsize(uint32_t capacity)
{
	return sizeof(struct fp_risk_pos_region) + (size_t)capacity * sizeof(struct fp_risk_pos);
}

void fp_risk_pos_region_init(struct fp_risk_pos_region *r, uint32_t capacity)
{
	memset(r, 0, fp_risk_pos_region_memsize(capacity));
	r->magic = FP_RISK_POS_MAGIC;
	r->version = FP_RISK_POS_VERSION;
	r->capacity = capacity;
}

int fp_risk_core_init(struct fp_risk_core *rc, const struct fp_risk_core_cfg *cfg)
{
	memset(rc, 0, sizeof(*rc));
	if (cfg->nb_symbols < 2 || cfg->nb_symbols > FP_RISK_MAX_SYMBOLS)
		return fp_err_set(-EINVAL, "risk: nb_symbols %" PRIu32 " not in 2..%d",
				  cfg->nb_symbols, FP_RISK_MAX_SYMBOLS);
	if (!FP_IS_POW2(cfg->order_capacity) || cfg->order_capacity < 64)
		return fp_err_set(-EINVAL,
				  "risk: order_capacity %" PRIu32 " must be a power of 2 >= 64",
				  cfg->order_capacity);
	if (!FP_IS_POW2(cfg->pos_capacity) || cfg->pos_capacity < 16 ||
	    cfg->pos_capacity > (1u << 24))
		return fp_err_set(-EINVAL,
				  "risk: pos_capacity %" PRIu32 " must be a power of 2 in 16..2^24",
				  cfg->pos_capacity);
	if (cfg->pos_region && (cfg->pos_region->magic != FP_RISK_POS_MAGIC ||
				cfg->pos_region->capacity < cfg->pos_capacity))
		return fp_err_set(-EINVAL,
				  "risk: positions region not formatted for %" PRIu32 " entries",
				  cfg->pos_capacity);

	rc->nb_symbols = cfg->nb_symbols;
	rc->order_mask = cfg->order_capacity - 1;
	rc->pos_capacity = cfg->pos_capacity;
	rc->pos_mask = 2 * cfg->pos_capacity - 1; /* load factor <= 1/2 */
	rc->kill_word = cfg->kill_word;
	rc->trading_word = cfg->trading_word;
	rc->next_exit_id = 1;
	/* One mapping for the three tables, on huge pages (fp_hugemem.h): the symbol states
	 * first (what every check reads), then the position index, then the order table. No
	 * line of them costs a page walk, and nothing faults in after this. */
	size_t sz_sym = FP_ALIGN_UP(sizeof(*rc->sym) * cfg->nb_symbols, (size_t)4096);
	size_t sz_idx = FP_ALIGN_UP(sizeof(uint32_t) * 2 * cfg->pos_capacity, (size_t)4096);
	size_t sz_ord = sizeof(*rc->orders) * cfg->order_capacity;
	char *m = fp_hugemem_alloc(&rc->mem, sz_sym + sz_idx + sz_ord, true, "risk tables");
	if (m) {
		rc->sym = (struct fp_risk_sym_state *)m;
		rc->pos_index = (uint32_t *)(m + sz_sym);
		rc->orders = (struct fp_risk_order *)(m + sz_sym + sz_idx);
	}
	if (cfg->pos_region) {
		rc->region = cfg->pos_region;
	} else {
		size_t sz = FP_ALIGN_UP(fp_risk_pos_region_memsize(cfg->pos_capacity),
					(size_t)FP_CACHE_LINE);
		rc->region = aligned_alloc(FP_CACHE_LINE, sz);
		rc->owns_region = 1;
		if (rc->region)
			fp_risk_pos_region_init(rc->region, cfg->pos_capacity);
	}
	if (!m || !rc->region) {
		fp_risk_core_fini(rc);
		return fp_err_set(-ENOMEM,
				  "risk: cannot allocate tables for %" PRIu32 " symbols, %" PRIu32
				  " orders",
				  cfg->nb_symbols, cfg->order_capacity);
	}
	memset(rc->sym, 0, sizeof(*rc->sym) * cfg->nb_symbols);
	memset(rc->orders, 0, sizeof(*rc->orders) * cfg->order_capacity);
	memset(rc->pos_index, 0, sizeof(uint32_t) * 2 * cfg->pos_capacity);
	/* Rebuild the index of a region that already holds positions (restart). */
	uint32_t n = atomic_load_explicit(&rc->region->nb_used, memory_order_acquire);
	for (uint32_t i = 0; i < n; i++) {
		struct fp_risk_pos *p = &rc->region->pos[i];
		uint32_t slot;
		if (p->symbol_id >= rc->nb_symbols || p->strategy_id >= FP_RISK_MAX_STRATEGIES ||
		    fp_risk_pos_lookup(rc, p->strategy_id, p->symbol_id, &slot) ||
		    slot == UINT32_MAX)
			continue;
		rc->pos_index[slot] = i + 1;
		rc->sym[p->symbol_id].strat_mask |= 1ULL << p->strategy_id;
		rc->sym[p->symbol_id].position += p->position;
		rc->sym[p->symbol_id].cost += p->cost;
	}
	return 0;
}

void fp_risk_core_fini(struct fp_risk_core *rc)
{
	if (!rc)
		return;
	fp_hugemem_free(&rc->mem);
	if (rc->owns_region)
		free(rc->region);
	rc->sym = NULL;
	rc->orders = NULL;
	rc->pos_index = NULL;
	rc->region = NULL;
	rc->owns_region = 0;
}

/* ---- reset ---- */

void fp_risk_core_reset(struct fp_risk_core *rc)
{
	fp_risk_pos_region_init(rc->region, rc->region->capacity);
	memset(rc->sym, 0, sizeof(*rc->sym) * rc->nb_symbols);
	memset(rc->strat, 0, sizeof(rc->strat));
	memset(rc->orders, 0, sizeof(*rc->orders) * (rc->order_mask + 1));
	memset(rc->pos_index, 0, sizeof(uint32_t) * 2 * rc->pos_capacity);
	rc->open_buy_notional = rc->open_sell_notional = 0;
	rc->open_orders = 0;
	rc->nb_orders = 0;
	rc->consec_rejects = 0;
	rc->next_exit_id = 1;
}

int fp_risk_pos_read(const struct fp_risk_pos_region *r, uint32_t idx, struct fp_risk_pos *out)
{
	if (idx >= atomic_load_explicit(&r->nb_used, memory_order_acquire) || idx >= r->capacity)
		return -ERANGE;
	const struct fp_risk_pos *p = &r->pos[idx];
	if (!fp_seqlock_read_copy(&p->lock, out, p, sizeof(*out), 1000))
		return -EAGAIN;
	return 0;
}

int fp_risk_pnl_read(const struct fp_risk_pnl *line, struct fp_risk_pnl *out)
{
	return fp_seqlock_read_copy(&line->lock, out, line, sizeof(*out), 1000) ? 0 : -EAGAIN;
}

static void pnl_print(FILE *out, const char *who, int id, const struct fp_risk_pnl *l)
{
	fprintf(out,
		"%s %d: realized %" PRId64 " unrealized %" PRId64 " gross %" PRId64 " net %" PRId64
		" fills %" PRIu64 " shares %" PRIu64 " losses_in_a_row %" PRIu32 "\n",
		who, id, l->realized, l->unreal, l->gross, l->net, l->nb_fills, l->fill_shares,
		l->consec_losses);
}

void fp_risk_pos_region_dump(FILE *out, const struct fp_risk_pos_region *r)
{
	struct fp_risk_pnl l;
	fprintf(out, "positions: %" PRIu32 " of %" PRIu32 " entries, day %" PRIu64 "\n",
		atomic_load(&r->nb_used), r->capacity, r->day);
	if (fp_risk_pnl_read(&r->firm, &l) == 0)
		pnl_print(out, "firm", 0, &l);
	for (int i = 0; i < FP_RISK_MAX_STRATEGIES; i++)
		if (fp_risk_pnl_read(&r->strat[i], &l) == 0 && (l.nb_fills || l.unreal || l.gross))
			pnl_print(out, "strategy", i, &l);
	uint32_t n = atomic_load_explicit(&r->nb_used, memory_order_acquire);
	for (uint32_t i = 0; i < n; i++) {
		struct fp_risk_pos p;
		if (fp_risk_pos_read(r, i, &p) == 0 && (p.position || p.realized))
			fprintf(out,
				"  strategy %u symbol %" PRIu32 ": position %" PRId64
				" cost %" PRId64 " realized %" PRId64 " unrealized %" PRId64
				" mark %" PRId64 "%s\n",
				(unsigned)p.strategy_id, p.symbol_id, p.position, p.cost,
				p.realized, p.unreal, p.mark,
				p.flags & FP_RISK_POSF_EXITING ? " exiting" : "");
	}
}

void fp_risk_core_dump(FILE *out, const struct fp_risk_core *rc)
{
	const struct fp_risk_pnl *f = &rc->region->firm;
	fprintf(out,
		"risk: checked %" PRIu64 " accepted %" PRIu64 " fills %" PRIu64
		" open_orders %" PRIu32 " realized %" PRId64 " unreal %" PRId64 " gross %" PRId64
		" net %" PRId64 " consec_losses %" PRIu32 "\n",
		rc->cnt.checked, rc->cnt.accepted, rc->cnt.fills, rc->open_orders, f->realized,
		f->unreal, f->gross, f->net, f->consec_losses);
	for (unsigned i = 1; i < FP_RISK_REASON_MAX; i++)
		if (rc->cnt.rejected[i])
			fprintf(out, "  reject %-22s %" PRIu64 "\n", fp_risk_reason_name(i),
				rc->cnt.rejected[i]);
}
