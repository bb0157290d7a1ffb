/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_order_id.h - the layout of a client order id (fp_ev_order.client_order_id), in one
 * place: strategy id (15 bits) << 48 | sequence (48 bits). Bit 63 is always 0.
 *
 * Who may call: anyone (the strategy host makes ids; the gateway, risk and the control plane
 * read the strategy back from one); plain inline arithmetic, hot-path safe. How the host
 * picks sequences so that an id is never repeated in a day is in strategies/fp_strat.h.
 */
#ifndef FP_ORDER_ID_H
#define FP_ORDER_ID_H

#include <stdint.h>

/** Bits of the sequence (the low part). */
#define FP_ORDER_ID_SEQ_BITS      48
/** Mask of the strategy id once shifted down (15 bits). */
#define FP_ORDER_ID_STRATEGY_MASK 0x7fffu

/** The id of sequence @p seq (low 48 bits kept) of strategy @p strategy (15 bits kept). */
static inline uint64_t fp_order_id_make(uint16_t strategy, uint64_t seq)
{
	return (uint64_t)(strategy & FP_ORDER_ID_STRATEGY_MASK) << FP_ORDER_ID_SEQ_BITS |
	       (seq & ((1ull << FP_ORDER_ID_SEQ_BITS) - 1));
}

/** The strategy id of @p id. */
static inline uint16_t fp_order_id_strategy(uint64_t id)
{
	return (uint16_t)((id >> FP_ORDER_ID_SEQ_BITS) & FP_ORDER_ID_STRATEGY_MASK);
}

/** The sequence of @p id. */
static inline uint64_t fp_order_id_seq(uint64_t id)
{
	return id & ((1ull << FP_ORDER_ID_SEQ_BITS) - 1);
}

#endif /* FP_ORDER_ID_H */
