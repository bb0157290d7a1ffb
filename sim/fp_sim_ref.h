/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_sim_ref.h - a naive reference matcher: every resting order in one unsorted array, the
 * best opposite order found by a full scan for each fill. The oracle of the matching
 * engine's property test and the reference of `fastpath-bench sim`; never used by the
 * simulator itself.
 *
 * Any single thread; allocates (grows its array) on the calling path; no syscalls.
 * Price-time priority with the same order reference numbering as fp_sim_engine (from 1,
 * one per entered order), so that both can be compared trade by trade.
 */
#ifndef FP_SIM_REF_H
#define FP_SIM_REF_H

#include <stdbool.h>
#include <stdint.h>

struct fp_sim_ref_order {
	uint64_t ref;
	uint64_t seq; /**< time priority */
	int64_t price;
	uint32_t qty;
	uint16_t locate;
	uint8_t side; /**< 'B' / 'S' */
};

struct fp_sim_ref {
	struct fp_sim_ref_order *o;
	uint32_t nb, cap;
	uint64_t next_ref;
	uint64_t next_seq;
};

/** Called for each fill: the resting order's ref, the shares and the price. */
typedef void (*fp_sim_ref_trade_fn)(void *arg, uint64_t maker_ref, uint32_t qty, int64_t px);

/** Empty matcher. Pair with fp_sim_ref_fini(). @return 0 or -ENOMEM. */
int fp_sim_ref_init(struct fp_sim_ref *r, uint32_t capacity);
void fp_sim_ref_fini(struct fp_sim_ref *r);

/**
 * Enter a limit order (@p price, or FP_SIM_PRICE_MARKET: never rests); IOC when @p ioc.
 * @return its reference number.
 */
uint64_t fp_sim_ref_enter(struct fp_sim_ref *r, uint16_t locate, uint8_t side, uint32_t qty,
			  int64_t price, bool ioc, fp_sim_ref_trade_fn fn, void *arg);

/** Reduce order @p ref to @p qty shares (0 = cancel). @return shares removed. */
uint32_t fp_sim_ref_cancel(struct fp_sim_ref *r, uint64_t ref, uint32_t qty);

/**
 * Replace order @p ref with @p qty open shares at @p price (a DAY limit): same price and
 * qty <= open keeps the order's place and reference; otherwise the order leaves the book
 * and comes back as a new order (new reference, may trade at once).
 * @return the order's reference afterwards, 0 when @p ref is not on the book.
 */
uint64_t fp_sim_ref_replace(struct fp_sim_ref *r, uint64_t ref, uint32_t qty, int64_t price,
			    fp_sim_ref_trade_fn fn, void *arg);

/** Best price and the shares at it on @p side of @p locate (0/0 when empty). */
void fp_sim_ref_best(const struct fp_sim_ref *r, uint16_t locate, uint8_t side, int64_t *px,
		     uint64_t *qty);

#endif /* FP_SIM_REF_H */
