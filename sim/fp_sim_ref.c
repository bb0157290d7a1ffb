/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_sim_ref.c - the naive reference matcher (see fp_sim_ref.h): deliberately simple, so
 * that it is obviously right rather than fast.
 */
#include <errno.h>
#include <stdlib.h>

#include "fp_sim_engine.h"
#include "fp_sim_ref.h"

int fp_sim_ref_init(struct fp_sim_ref *r, uint32_t capacity)
{
	r->cap = capacity ? capacity : 1024;
	r->nb = 0;
	r->next_ref = 1;
	r->next_seq = 1;
	r->o = malloc(sizeof(*r->o) * r->cap);
	return r->o ? 0 : -ENOMEM;
}

void fp_sim_ref_fini(struct fp_sim_ref *r)
{
	free(r->o);
	r->o = NULL;
}

/* Index of the best order on @p side of @p locate, or -1. */
static long best(const struct fp_sim_ref *r, uint16_t locate, uint8_t side)
{
	long b = -1;
	for (uint32_t i = 0; i < r->nb; i++) {
		const struct fp_sim_ref_order *o = &r->o[i];
		if (o->locate != locate || o->side != side)
			continue;
		if (b < 0) {
			b = i;
			continue;
		}
		const struct fp_sim_ref_order *c = &r->o[b];
		bool better = side == 'B' ? o->price > c->price : o->price < c->price;
		if (better || (o->price == c->price && o->seq < c->seq))
			b = i;
	}
	return b;
}

uint64_t fp_sim_ref_enter(struct fp_sim_ref *r, uint16_t locate, uint8_t side, uint32_t qty,
			  int64_t price, bool ioc, fp_sim_ref_trade_fn fn, void *arg)
{
	uint64_t ref = r->next_ref++;
	uint8_t other = side == 'B' ? 'S' : 'B';
	bool market = price == FP_SIM_PRICE_MARKET;
	while (qty) {
		long b = best(r, locate, other);
		if (b < 0)
			break;
		struct fp_sim_ref_order *m = &r->o[b];
		if (!market && (side == 'B' ? m->price > price : m->price < price))
			break;
		uint32_t q = qty < m->qty ? qty : m->qty;
		if (fn)
			fn(arg, m->ref, q, m->price);
		qty -= q;
		m->qty -= q;
		if (!m->qty)
			r->o[b] = r->o[--r->nb];
	}
	if (!qty || ioc || market)
		return ref;
	if (r->nb == r->cap) {
		struct fp_sim_ref_order *o = realloc(r->o, sizeof(*o) * r->cap * 2);
		if (!o)
			return ref;
		r->o = o;
		r->cap *= 2;
	}
	r->o[r->nb++] = (struct fp_sim_ref_order){.ref = ref,
						  .seq = r->next_seq++,
						  .price = price,
						  .qty = qty,
						  .locate = locate,
						  .side = side};
	return ref;
}

uint32_t fp_sim_ref_cancel(struct fp_sim_ref *r, uint64_t ref, uint32_t qty)
{
	for (uint32_t i = 0; i < r->nb; i++) {
		if (r->o[i].ref != ref)
			continue;
		if (qty >= r->o[i].qty)
			return 0;
		uint32_t dec = r->o[i].qty - qty;
		if (qty)
			r->o[i].qty = qty;
		else
			r->o[i] = r->o[--r->nb];
		return dec;
	}
	return 0;
}

uint64_t fp_sim_ref_replace(struct fp_sim_ref *r, uint64_t ref, uint32_t qty, int64_t price,
			    fp_sim_ref_trade_fn fn, void *arg)
{
	for (uint32_t i = 0; i < r->nb; i++) {
		struct fp_sim_ref_order *o = &r->o[i];
		if (o->ref != ref)
			continue;
		if (price == o->price && qty <= o->qty) {
			o->qty = qty;
			return ref;
		}
		uint16_t locate = o->locate;
		uint8_t side = o->side;
		r->o[i] = r->o[--r->nb];
		return fp_sim_ref_enter(r, locate, side, qty, price, false, fn, arg);
	}
	return 0;
}

void fp_sim_ref_best(const struct fp_sim_ref *r, uint16_t locate, uint8_t side, int64_t *px,
		     uint64_t *qty)
{
	long b = best(r, locate, side);
	*px = b < 0 ? 0 : r->o[b].price;
	*qty = 0;
	for (uint32_t i = 0; b >= 0 && i < r->nb; i++)
		if (r->o[i].locate == locate && r->o[i].side == side && r->o[i].price == *px)
			*qty += r->o[i].qty;
}
