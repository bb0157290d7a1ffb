/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_risk_breaker.c - circuit breaker state machine (see fp_risk_breaker.h for the diagram).
 *
 * Risk thread only, except the reset request word that fastpath-ctl stores.
 */
#include <inttypes.h>
#include <string.h>

#include "fp_risk_breaker.h"

void fp_risk_breaker_init(struct fp_risk_breaker_region *b)
{
	memset(b, 0, sizeof(*b));
	b->magic = FP_RISK_BREAKER_MAGIC;
	b->version = FP_RISK_BREAKER_VERSION;
}

static void record(struct fp_risk_breaker_region *b, uint32_t from, uint32_t to,
		   enum fp_risk_trip why, uint32_t symbol_id, int64_t value, uint64_t now)
{
	uint64_t n = atomic_load_explicit(&b->nb_records, memory_order_relaxed);
	b->log[n % FP_RISK_BREAKER_LOG] = (struct fp_risk_breaker_rec){.tsc = now,
								       .from = from,
								       .to = to,
								       .reason = why,
								       .symbol_id = symbol_id,
								       .value = value};
	/* release: a reader that sees the count sees the record (pairs with its acquire) */
	atomic_store_explicit(&b->nb_records, n + 1, memory_order_release);
}

static void set_state(struct fp_risk_breaker_region *b, uint32_t to, enum fp_risk_trip why,
		      uint32_t symbol_id, int64_t value, uint64_t now)
{
	uint32_t from = atomic_load_explicit(&b->state, memory_order_relaxed);
	record(b, from, to, why, symbol_id, value, now);
	atomic_store_explicit(&b->state, to, memory_order_release);
}

int fp_risk_breaker_trip(struct fp_risk_breaker_region *b, enum fp_risk_trip why,
			 uint32_t symbol_id, int64_t value, uint64_t now)
{
	uint32_t was = atomic_load_explicit(&b->state, memory_order_relaxed);
	b->opened_tsc = now;
	b->nb_trips++;
	atomic_store_explicit(&b->reason, why, memory_order_relaxed);
	if (was == FP_RISK_BRK_OPEN)
		return 0; /* already open: the timer restarts, no new record */
	set_state(b, FP_RISK_BRK_OPEN, why, symbol_id, value, now);
	return was == FP_RISK_BRK_CLOSED;
}

enum fp_risk_breaker_state fp_risk_breaker_tick(struct fp_risk_breaker_region *b,
						uint64_t cooldown_tsc, uint64_t now)
{
	uint32_t st = atomic_load_explicit(&b->state, memory_order_relaxed);
	if (st == FP_RISK_BRK_OPEN && now - b->opened_tsc >= cooldown_tsc) {
		set_state(b, FP_RISK_BRK_COOLDOWN, FP_RISK_TRIP_COOLDOWN_DONE, 0, 0, now);
		st = FP_RISK_BRK_COOLDOWN;
	}
	/* acquire: pairs with fp_risk_breaker_request_reset()'s release */
	if (atomic_load_explicit(&b->reset_request, memory_order_acquire)) {
		atomic_store_explicit(&b->reset_request, 0, memory_order_relaxed);
		if (st == FP_RISK_BRK_COOLDOWN) {
			set_state(b, FP_RISK_BRK_CLOSED, FP_RISK_TRIP_RESET, 0, 0, now);
			st = FP_RISK_BRK_CLOSED;
		} else if (st == FP_RISK_BRK_OPEN) {
			record(b, st, st, FP_RISK_TRIP_RESET_REFUSED, 0,
			       (int64_t)(cooldown_tsc - (now - b->opened_tsc)), now);
		}
	}
	return (enum fp_risk_breaker_state)st;
}

void fp_risk_breaker_set(struct fp_risk_breaker_region *b, enum fp_risk_breaker_state to,
			 enum fp_risk_trip why, uint64_t now)
{
	if (to == FP_RISK_BRK_OPEN)
		b->opened_tsc = now;
	if (atomic_load_explicit(&b->state, memory_order_relaxed) != (uint32_t)to)
		set_state(b, to, why, 0, 0, now);
}

const char *fp_risk_breaker_state_name(unsigned state)
{
	static const char *const names[] = {"closed", "open", "cooldown"};
	return state < FP_ARRAY_SIZE(names) ? names[state] : "unknown";
}

const char *fp_risk_trip_name(unsigned reason)
{
	static const char *const names[FP_RISK_TRIP_MAX] = {
		"none",       "daily_loss", "position",      "rejects",      "venue_disconnect",
		"stale_data", "manual",     "cooldown_done", "manual_reset", "reset_refused"};
	return reason < FP_RISK_TRIP_MAX ? names[reason] : "unknown";
}

void fp_risk_breaker_dump(FILE *out, const struct fp_risk_breaker_region *b)
{
	uint64_t n = atomic_load_explicit(&b->nb_records, memory_order_acquire);
	fprintf(out, "breaker: %s (last trip: %s), %" PRIu64 " trips, %" PRIu64 " records\n",
		fp_risk_breaker_state_name(atomic_load(&b->state)),
		fp_risk_trip_name(atomic_load(&b->reason)), b->nb_trips, n);
	uint64_t first = n > FP_RISK_BREAKER_LOG ? n - FP_RISK_BREAKER_LOG : 0;
	for (uint64_t i = first; i < n; i++) {
		const struct fp_risk_breaker_rec *r = &b->log[i % FP_RISK_BREAKER_LOG];
		fprintf(out, "  %" PRIu64 ": %s -> %s (%s) symbol %" PRIu32 " value %" PRId64 "\n",
			r->tsc, fp_risk_breaker_state_name(r->from),
			fp_risk_breaker_state_name(r->to), fp_risk_trip_name(r->reason),
			r->symbol_id, r->value);
	}
}
