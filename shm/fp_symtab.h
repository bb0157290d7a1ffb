/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_symtab.h - the symbol table region ("symtab"): one entry per ITCH stock locate
 * (1..65535; 0 = none), with the name, round lot, market category, trading state and a
 * stale flag (enum fp_stale_reason: md sets it on every symbol while it rebuilds from
 * history and clears it when live again; the book keeps its own per-symbol mark,
 * FP_BOOK_SYM_STALE, for what it publishes).
 *
 * Who may call: a single writer, the md stage (fp_symtab_set_*), hot path; any number of
 * readers in any process, hot path: today the gateway (the name for OUCH, fp_symtab_name();
 * validity of an order's symbol), risk (the stale flag: no order on a stale symbol), the
 * store stage (names in position snapshots) and fastpath-ctl. No syscall, no lock, no
 * allocation.
 *
 * Consistency: the directory fields (name, round_lot, market_category) are written once
 * per session, when the ITCH Stock Directory message arrives, before `valid` is set with a
 * store-release; a reader that sees valid == 1 with a load-acquire sees them whole (D1/D2
 * below). Trading state and stale are single-byte atomics that change during the day and
 * are read on their own. A directory sent again with other values is applied with valid
 * set to 0 around the update, so a reader can only see it torn if it read valid before
 * the update and the fields during it; readers that need the exact name (ctl) read it
 * twice and compare.
 *
 *   D1  writer: fields, then store-release valid = 1             pairs with D2
 *   D2  reader: load-acquire valid, then the fields               pairs with D1
 */
#ifndef FP_SYMTAB_H
#define FP_SYMTAB_H

#include <assert.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fp_compiler.h"

#define FP_SYMTAB_MAGIC      0x4d595346u /* "FSYM" */
#define FP_SYMTAB_VERSION    2           /* 2: directory_ready (1: a reserved word) */
/** Entries: every 16-bit stock locate; entry 0 stays unused ("none"). */
#define FP_SYMTAB_NB_ENTRIES 65536

/** One symbol (16 bytes; four per cache line). */
struct fp_symbol {
	char name[8];                  /**< ITCH Stock, space padded, not NUL-terminated */
	uint32_t round_lot;            /**< ITCH Round Lot Size, shares */
	uint8_t market_category;       /**< ITCH Market Category ('Q', 'N', ...) */
	_Atomic uint8_t trading_state; /**< ITCH 'H' 'P' 'Q' 'T'; 0 = not yet known */
	_Atomic uint8_t stale;         /**< enum fp_stale_reason (fp_event.h); 0 = fresh */
	_Atomic uint8_t valid;         /**< 1 once the directory fields are set */
};

/** The region: a header line, then the entries indexed by stock locate. */
struct fp_symtab {
	uint32_t magic;            /**< FP_SYMTAB_MAGIC */
	uint32_t version;          /**< FP_SYMTAB_VERSION */
	_Atomic uint32_t nb_valid; /**< entries with valid == 1 (writer only; stats) */
	/** 1 once md holds the session's whole directory: it was in sequence from the
	 *  session's first message, or caught up with the live feed after a gap, a late join or
	 *  a snapshot (writer: md, store-release; readers: load-acquire). Until then a name
	 *  that is missing may only be missing yet: the gateway does not log in before it (a
	 *  venue's replay may carry orders that only their symbol names can adopt). */
	_Atomic uint32_t directory_ready;
	_Atomic uint64_t nb_updates; /**< directory + state + stale updates (writer only) */
	uint8_t pad[40];
	alignas(FP_CACHE_LINE) struct fp_symbol sym[FP_SYMTAB_NB_ENTRIES];
};

static_assert(sizeof(struct fp_symbol) == 16, "fp_symbol size");
static_assert(offsetof(struct fp_symbol, round_lot) == 8, "fp_symbol.round_lot");
static_assert(offsetof(struct fp_symbol, market_category) == 12, "fp_symbol.market_category");
static_assert(offsetof(struct fp_symbol, trading_state) == 13, "fp_symbol.trading_state");
static_assert(offsetof(struct fp_symbol, stale) == 14, "fp_symbol.stale");
static_assert(offsetof(struct fp_symbol, valid) == 15, "fp_symbol.valid");
static_assert(offsetof(struct fp_symtab, sym) == 64, "fp_symtab.sym");
static_assert(sizeof(struct fp_symtab) == 64 + 16 * FP_SYMTAB_NB_ENTRIES, "fp_symtab size");

/** Initialise an empty table. Cold, creator only (zeroes 1 MiB). */
void fp_symtab_init(struct fp_symtab *t);

/** Check magic and version after attach. @return 0 or -EPROTO with fp_err text. */
int fp_symtab_check(const struct fp_symtab *t);

/** The entry of @p locate (any value of a uint16_t is in range). Any thread. */
inline const struct fp_symbol *fp_symtab_get(const struct fp_symtab *t, uint16_t locate)
{
	return &t->sym[locate];
}

/** True when @p locate has a directory entry. Any thread, hot path. */
inline bool fp_symtab_valid(const struct fp_symtab *t, uint16_t locate)
{
	/* D2: pairs with D1; the directory fields are visible after this. */
	return atomic_load_explicit(&t->sym[locate].valid, memory_order_acquire) != 0;
}

/** True when @p locate may be traded: known, trading state 'T', data not stale. Hot path. */
inline bool fp_symtab_tradable(const struct fp_symtab *t, uint16_t locate)
{
	const struct fp_symbol *s = &t->sym[locate];
	/* Relaxed: independent single-byte flags; valid is checked with D2 first. */
	return fp_symtab_valid(t, locate) &&
	       atomic_load_explicit(&s->trading_state, memory_order_relaxed) == 'T' &&
	       atomic_load_explicit(&s->stale, memory_order_relaxed) == 0;
}

/**
 * Copy the name of @p locate (8 bytes, space padded) into @p out, through D2. Any thread,
 * hot path (the gateway puts it on the wire).
 * @return true when the entry is valid before and after the copy (a directory re-sent
 *         meanwhile clears valid around its update), false otherwise (@p out undefined).
 */
inline bool fp_symtab_name(const struct fp_symtab *t, uint16_t locate, char out[8])
{
	if (!fp_symtab_valid(t, locate)) /* D2 */
		return false;
	memcpy(out, t->sym[locate].name, sizeof(t->sym[locate].name));
	/* The copy is ordered before the second look at valid (a reader's seqlock check). */
	atomic_thread_fence(memory_order_acquire);
	return atomic_load_explicit(&t->sym[locate].valid, memory_order_relaxed) != 0;
}

/** Set the directory fields of @p locate (ITCH 'R'). Writer (md stage) only, hot path. */
inline void fp_symtab_set_directory(struct fp_symtab *t, uint16_t locate, const char name[8],
				    uint32_t round_lot, uint8_t market_category)
{
	struct fp_symbol *s = &t->sym[locate];
	bool was_valid = atomic_load_explicit(&s->valid, memory_order_relaxed) != 0;
	if (was_valid)
		atomic_store_explicit(&s->valid, 0, memory_order_relaxed);
	memcpy(s->name, name, sizeof(s->name));
	s->round_lot = round_lot;
	s->market_category = market_category;
	/* D1: pairs with D2; the fields above are visible to whoever sees valid == 1. */
	atomic_store_explicit(&s->valid, 1, memory_order_release);
	if (!was_valid)
		atomic_store_explicit(&t->nb_valid,
				      atomic_load_explicit(&t->nb_valid, memory_order_relaxed) + 1,
				      memory_order_relaxed);
	atomic_store_explicit(&t->nb_updates,
			      atomic_load_explicit(&t->nb_updates, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

/** md has the session's whole directory (see directory_ready). Writer only, cold. */
inline void fp_symtab_set_directory_ready(struct fp_symtab *t)
{
	atomic_store_explicit(&t->directory_ready, 1, memory_order_release);
}

/** True once md holds the session's whole directory. Any thread. */
inline bool fp_symtab_directory_ready(const struct fp_symtab *t)
{
	return atomic_load_explicit(&t->directory_ready, memory_order_acquire) != 0;
}

/** Set the trading state of @p locate (ITCH 'H'). Writer only, hot path. */
inline void fp_symtab_set_trading_state(struct fp_symtab *t, uint16_t locate, uint8_t state)
{
	/* Relaxed: a single byte read on its own. */
	atomic_store_explicit(&t->sym[locate].trading_state, state, memory_order_relaxed);
	atomic_store_explicit(&t->nb_updates,
			      atomic_load_explicit(&t->nb_updates, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

/** Mark @p locate stale (reason != 0) or fresh (0). Writer only, hot path. */
inline void fp_symtab_set_stale(struct fp_symtab *t, uint16_t locate, uint8_t reason)
{
	/* Relaxed: a single byte read on its own. */
	atomic_store_explicit(&t->sym[locate].stale, reason, memory_order_relaxed);
	atomic_store_explicit(&t->nb_updates,
			      atomic_load_explicit(&t->nb_updates, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

/** Print the valid entries (at most @p max of them). Any process. */
void fp_symtab_dump(FILE *out, const struct fp_symtab *t, unsigned max);

#endif /* FP_SYMTAB_H */
