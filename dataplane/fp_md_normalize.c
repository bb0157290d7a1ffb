/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_md_normalize.c - ITCH 5.0 message -> struct fp_event (mapping in fp_md_normalize.h).
 * Pure; any thread. Every offset and width comes from proto/fp_itch.h's packed wire structs
 * (offsetof, sizeof), which assert them against the spec: no number here restates the wire.
 *
 * The slot is zeroed first and then filled field by field, so that unused payload bytes are
 * always zero (the book and the journal compare events byte for byte). Building the event in a
 * local and copying it out costs one more 64-byte copy; on the shared development machine the
 * two forms measured within noise of each other. The type and length are checked before the
 * slot is touched, so a refused message leaves it as it was.
 */
#include <assert.h>
#include <stddef.h>
#include <string.h>

#include "fp_endian.h"
#include "fp_md_normalize.h"

/* Field @p f of wire struct fp_itch_@p s in msg: where it starts and how wide it is. */
#define AT(s, f)    (msg + offsetof(struct fp_itch_##s, f))
#define WIDTH(s, f) sizeof(((const struct fp_itch_##s *)0)->f)

/* Read field @p f of message @p s as the width the wire struct gives it (checked). */
#define B(s, f)                                                            \
	({                                                                 \
		static_assert(WIDTH(s, f) == 1, #s "." #f " is one byte"); \
		(uint8_t) AT(s, f)[0];                                     \
	})
#define U32(s, f)                                                            \
	({                                                                   \
		static_assert(WIDTH(s, f) == 4, #s "." #f " is four bytes"); \
		fp_get_be32(AT(s, f));                                       \
	})
#define U64(s, f)                                                             \
	({                                                                    \
		static_assert(WIDTH(s, f) == 8, #s "." #f " is eight bytes"); \
		fp_get_be64(AT(s, f));                                        \
	})
/* Copy the text field @p f into @p dst, which has its width. */
#define STR(dst, s, f)                                                                   \
	do {                                                                             \
		static_assert(sizeof(dst) == WIDTH(s, f), #s "." #f ": width of " #dst); \
		memcpy((dst), AT(s, f), sizeof(dst));                                    \
	} while (0)

uint8_t fp_md_event_type(uint8_t itch_type)
{
	switch (itch_type) {
	case 'S':
		return FP_EV_MD_SYSTEM;
	case 'R':
		return FP_EV_MD_STOCK_DIRECTORY;
	case 'H':
		return FP_EV_MD_TRADING_ACTION;
	case 'Y':
		return FP_EV_MD_REG_SHO;
	case 'L':
		return FP_EV_MD_MPID_POSITION;
	case 'V':
		return FP_EV_MD_MWCB_DECLINE;
	case 'W':
		return FP_EV_MD_MWCB_STATUS;
	case 'K':
		return FP_EV_MD_IPO_QUOTING;
	case 'J':
		return FP_EV_MD_LULD_COLLAR;
	case 'h':
		return FP_EV_MD_OPERATIONAL_HALT;
	case 'A':
	case 'F':
		return FP_EV_MD_ADD;
	case 'E':
	case 'C':
		return FP_EV_MD_EXECUTE;
	case 'X':
		return FP_EV_MD_CANCEL;
	case 'D':
		return FP_EV_MD_DELETE;
	case 'U':
		return FP_EV_MD_REPLACE;
	case 'P':
		return FP_EV_MD_TRADE;
	case 'Q':
		return FP_EV_MD_CROSS_TRADE;
	case 'B':
		return FP_EV_MD_BROKEN_TRADE;
	case 'I':
		return FP_EV_MD_NOII;
	case 'N':
		return FP_EV_MD_RPII;
	case 'O':
		return FP_EV_MD_DLCR;
	default:
		return FP_EV_NONE;
	}
}

enum fp_itch_result fp_md_normalize(const uint8_t *msg, uint32_t len, uint64_t seq, uint64_t t_rx,
				    uint16_t source, struct fp_event *ev)
{
	enum fp_itch_result r = fp_itch_check(msg, len);
	if (fp_unlikely(r != FP_ITCH_OK))
		return r;

	struct fp_event *e = ev;
	memset(e, 0, sizeof(*e));
	e->source = source;
	e->symbol_id = fp_itch_stock_locate(msg);
	e->seq = seq;
	e->t_rx = t_rx;
	uint64_t ts = fp_itch_timestamp(msg);

	switch (msg[0]) {
	case 'A': /* 1.3.1 */
	case 'F': /* 1.3.2 */
		e->type = FP_EV_MD_ADD;
		e->u.add.ts_ns = ts;
		e->u.add.order_reference_number = U64(add_order, order_reference_number);
		e->u.add.side = B(add_order, buy_sell_indicator);
		e->u.add.shares = U32(add_order, shares);
		e->u.add.price = (int64_t)U32(add_order, price);
		if (msg[0] == 'F') {
			e->flags = FP_EVF_ATTRIBUTED;
			STR(e->u.add.attribution, add_order_mpid, attribution);
		}
		break;
	case 'E': /* 1.4.1 */
	case 'C': /* 1.4.2 */
		e->type = FP_EV_MD_EXECUTE;
		e->u.execute.ts_ns = ts;
		e->u.execute.order_reference_number = U64(order_executed, order_reference_number);
		e->u.execute.executed_shares = U32(order_executed, executed_shares);
		e->u.execute.match_number = U64(order_executed, match_number);
		if (msg[0] == 'C') {
			e->flags = FP_EVF_WITH_PRICE;
			e->u.execute.printable = B(order_executed_with_price, printable);
			e->u.execute.execution_price =
				(int64_t)U32(order_executed_with_price, execution_price);
		} else {
			e->u.execute.printable = 'Y';
		}
		break;
	case 'X': /* 1.4.3 */
		e->type = FP_EV_MD_CANCEL;
		e->u.cancel.ts_ns = ts;
		e->u.cancel.order_reference_number = U64(order_cancel, order_reference_number);
		e->u.cancel.cancelled_shares = U32(order_cancel, cancelled_shares);
		break;
	case 'D': /* 1.4.4 */
		e->type = FP_EV_MD_DELETE;
		e->u.del.ts_ns = ts;
		e->u.del.order_reference_number = U64(order_delete, order_reference_number);
		break;
	case 'U': /* 1.4.5 */
		e->type = FP_EV_MD_REPLACE;
		e->u.replace.ts_ns = ts;
		e->u.replace.original_order_reference_number =
			U64(order_replace, original_order_reference_number);
		e->u.replace.new_order_reference_number =
			U64(order_replace, new_order_reference_number);
		e->u.replace.shares = U32(order_replace, shares);
		e->u.replace.price = (int64_t)U32(order_replace, price);
		break;
	case 'P': /* 1.5.1 */
		e->type = FP_EV_MD_TRADE;
		e->u.trade.ts_ns = ts;
		e->u.trade.order_reference_number = U64(trade, order_reference_number);
		e->u.trade.side = B(trade, buy_sell_indicator);
		e->u.trade.shares = U32(trade, shares);
		e->u.trade.price = (int64_t)U32(trade, price);
		e->u.trade.match_number = U64(trade, match_number);
		break;
	case 'Q': /* 1.5.2 */
		e->type = FP_EV_MD_CROSS_TRADE;
		e->u.cross_trade.ts_ns = ts;
		e->u.cross_trade.shares = U64(cross_trade, shares);
		e->u.cross_trade.cross_price = (int64_t)U32(cross_trade, cross_price);
		e->u.cross_trade.match_number = U64(cross_trade, match_number);
		e->u.cross_trade.cross_type = B(cross_trade, cross_type);
		break;
	case 'B': /* 1.5.3 */
		e->type = FP_EV_MD_BROKEN_TRADE;
		e->u.broken_trade.ts_ns = ts;
		e->u.broken_trade.match_number = U64(broken_trade, match_number);
		break;
	case 'S': /* 1.1 */
		e->type = FP_EV_MD_SYSTEM;
		e->u.system.ts_ns = ts;
		e->u.system.event_code = B(system_event, event_code);
		break;
	case 'R': { /* 1.2.1 */
		struct fp_ev_md_stock_directory *d = &e->u.stock_directory;
		e->type = FP_EV_MD_STOCK_DIRECTORY;
		d->ts_ns = ts;
		STR(d->stock, stock_directory, stock);
		d->market_category = B(stock_directory, market_category);
		d->financial_status_indicator = B(stock_directory, financial_status_indicator);
		d->round_lot_size = U32(stock_directory, round_lot_size);
		d->round_lots_only = B(stock_directory, round_lots_only);
		d->issue_classification = B(stock_directory, issue_classification);
		STR(d->issue_sub_type, stock_directory, issue_sub_type);
		d->authenticity = B(stock_directory, authenticity);
		d->short_sale_threshold_indicator =
			B(stock_directory, short_sale_threshold_indicator);
		d->ipo_flag = B(stock_directory, ipo_flag);
		d->luld_reference_price_tier = B(stock_directory, luld_reference_price_tier);
		d->etp_flag = B(stock_directory, etp_flag);
		d->etp_leverage_factor = U32(stock_directory, etp_leverage_factor);
		d->inverse_indicator = B(stock_directory, inverse_indicator);
		break;
	}
	case 'H': /* 1.2.2 */
		e->type = FP_EV_MD_TRADING_ACTION;
		e->u.trading_action.ts_ns = ts;
		e->u.trading_action.trading_state = B(stock_trading_action, trading_state);
		e->u.trading_action.reserved = B(stock_trading_action, reserved);
		STR(e->u.trading_action.reason, stock_trading_action, reason);
		break;
	case 'Y': /* 1.2.3 */
		e->type = FP_EV_MD_REG_SHO;
		e->u.reg_sho.ts_ns = ts;
		e->u.reg_sho.reg_sho_action = B(reg_sho_restriction, reg_sho_action);
		break;
	case 'L': /* 1.2.4 */
		e->type = FP_EV_MD_MPID_POSITION;
		e->u.mpid_position.ts_ns = ts;
		STR(e->u.mpid_position.mpid, market_participant_position, mpid);
		e->u.mpid_position.primary_market_maker =
			B(market_participant_position, primary_market_maker);
		e->u.mpid_position.market_maker_mode =
			B(market_participant_position, market_maker_mode);
		e->u.mpid_position.market_participant_state =
			B(market_participant_position, market_participant_state);
		break;
	case 'V': /* 1.2.5.1 */
		e->type = FP_EV_MD_MWCB_DECLINE;
		e->u.mwcb_decline.ts_ns = ts;
		e->u.mwcb_decline.level_1 = (int64_t)U64(mwcb_decline_level, level_1);
		e->u.mwcb_decline.level_2 = (int64_t)U64(mwcb_decline_level, level_2);
		e->u.mwcb_decline.level_3 = (int64_t)U64(mwcb_decline_level, level_3);
		break;
	case 'W': /* 1.2.5.2 */
		e->type = FP_EV_MD_MWCB_STATUS;
		e->u.mwcb_status.ts_ns = ts;
		e->u.mwcb_status.breached_level = B(mwcb_status, breached_level);
		break;
	case 'K': /* 1.2.6 */
		e->type = FP_EV_MD_IPO_QUOTING;
		e->u.ipo_quoting.ts_ns = ts;
		e->u.ipo_quoting.ipo_quotation_release_time =
			U32(ipo_quoting_period_update, ipo_quotation_release_time);
		e->u.ipo_quoting.ipo_quotation_release_qualifier =
			B(ipo_quoting_period_update, ipo_quotation_release_qualifier);
		e->u.ipo_quoting.ipo_price = (int64_t)U32(ipo_quoting_period_update, ipo_price);
		break;
	case 'J': /* 1.2.7 */
		e->type = FP_EV_MD_LULD_COLLAR;
		e->u.luld_collar.ts_ns = ts;
		e->u.luld_collar.auction_collar_reference_price =
			(int64_t)U32(luld_auction_collar, auction_collar_reference_price);
		e->u.luld_collar.upper_auction_collar_price =
			(int64_t)U32(luld_auction_collar, upper_auction_collar_price);
		e->u.luld_collar.lower_auction_collar_price =
			(int64_t)U32(luld_auction_collar, lower_auction_collar_price);
		e->u.luld_collar.auction_collar_extension =
			U32(luld_auction_collar, auction_collar_extension);
		break;
	case 'h': /* 1.2.8 */
		e->type = FP_EV_MD_OPERATIONAL_HALT;
		e->u.operational_halt.ts_ns = ts;
		e->u.operational_halt.market_code = B(operational_halt, market_code);
		e->u.operational_halt.operational_halt_action =
			B(operational_halt, operational_halt_action);
		break;
	case 'I': /* 1.6 */
		e->type = FP_EV_MD_NOII;
		e->u.noii.ts_ns = ts;
		e->u.noii.paired_shares = U64(noii, paired_shares);
		e->u.noii.imbalance_shares = U64(noii, imbalance_shares);
		e->u.noii.imbalance_direction = B(noii, imbalance_direction);
		e->u.noii.far_price = U32(noii, far_price);
		e->u.noii.near_price = U32(noii, near_price);
		e->u.noii.current_reference_price = U32(noii, current_reference_price);
		e->u.noii.cross_type = B(noii, cross_type);
		e->u.noii.price_variation_indicator = B(noii, price_variation_indicator);
		break;
	case 'N': /* 1.7 */
		e->type = FP_EV_MD_RPII;
		e->u.rpii.ts_ns = ts;
		e->u.rpii.interest_flag = B(rpii, interest_flag);
		break;
	case 'O': /* 1.8 */
		e->type = FP_EV_MD_DLCR;
		e->u.dlcr.ts_ns = ts;
		e->u.dlcr.open_eligibility_status = B(dlcr, open_eligibility_status);
		e->u.dlcr.minimum_allowable_price = U32(dlcr, minimum_allowable_price);
		e->u.dlcr.maximum_allowable_price = U32(dlcr, maximum_allowable_price);
		e->u.dlcr.near_execution_price = U32(dlcr, near_execution_price);
		e->u.dlcr.near_execution_time = U64(dlcr, near_execution_time);
		e->u.dlcr.lower_price_range_collar = U32(dlcr, lower_price_range_collar);
		e->u.dlcr.upper_price_range_collar = U32(dlcr, upper_price_range_collar);
		break;
	default: /* unreachable: fp_itch_check() accepts only the types above */
		return FP_ITCH_UNKNOWN_TYPE;
	}
	return FP_ITCH_OK;
}
