/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_md_normalize.c - ITCH 5.0 message -> struct fp_event (mapping in fp_md_normalize.h;
 * offsets from proto/fp_itch.h, which asserts them against the spec). Pure; any thread.
 *
 * The slot is zeroed first and then filled field by field, so that unused payload bytes are
 * always zero (the book and the journal compare events byte for byte). Building the event in a
 * local and copying it out costs one more 64-byte copy; on the shared development machine the
 * two forms measured within noise of each other. The type and length are checked before the
 * slot is touched, so a refused message leaves it as it was.
 */
#include <string.h>

#include "fp_endian.h"
#include "fp_md_normalize.h"

#define B(o)   (msg[(o)])
#define U32(o) fp_get_be32(msg + (o))
#define U64(o) fp_get_be64(msg + (o))

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
		e->u.add.order_reference_number = U64(11);
		e->u.add.side = B(19);
		e->u.add.shares = U32(20);
		e->u.add.price = (int64_t)U32(32);
		if (msg[0] == 'F') {
			e->flags = FP_EVF_ATTRIBUTED;
			memcpy(e->u.add.attribution, msg + 36, 4);
		}
		break;
	case 'E': /* 1.4.1 */
	case 'C': /* 1.4.2 */
		e->type = FP_EV_MD_EXECUTE;
		e->u.execute.ts_ns = ts;
		e->u.execute.order_reference_number = U64(11);
		e->u.execute.executed_shares = U32(19);
		e->u.execute.match_number = U64(23);
		if (msg[0] == 'C') {
			e->flags = FP_EVF_WITH_PRICE;
			e->u.execute.printable = B(31);
			e->u.execute.execution_price = (int64_t)U32(32);
		} else {
			e->u.execute.printable = 'Y';
		}
		break;
	case 'X': /* 1.4.3 */
		e->type = FP_EV_MD_CANCEL;
		e->u.cancel.ts_ns = ts;
		e->u.cancel.order_reference_number = U64(11);
		e->u.cancel.cancelled_shares = U32(19);
		break;
	case 'D': /* 1.4.4 */
		e->type = FP_EV_MD_DELETE;
		e->u.del.ts_ns = ts;
		e->u.del.order_reference_number = U64(11);
		break;
	case 'U': /* 1.4.5 */
		e->type = FP_EV_MD_REPLACE;
		e->u.replace.ts_ns = ts;
		e->u.replace.original_order_reference_number = U64(11);
		e->u.replace.new_order_reference_number = U64(19);
		e->u.replace.shares = U32(27);
		e->u.replace.price = (int64_t)U32(31);
		break;
	case 'P': /* 1.5.1 */
		e->type = FP_EV_MD_TRADE;
		e->u.trade.ts_ns = ts;
		e->u.trade.order_reference_number = U64(11);
		e->u.trade.side = B(19);
		e->u.trade.shares = U32(20);
		e->u.trade.price = (int64_t)U32(32);
		e->u.trade.match_number = U64(36);
		break;
	case 'Q': /* 1.5.2 */
		e->type = FP_EV_MD_CROSS_TRADE;
		e->u.cross_trade.ts_ns = ts;
		e->u.cross_trade.shares = U64(11);
		e->u.cross_trade.cross_price = (int64_t)U32(27);
		e->u.cross_trade.match_number = U64(31);
		e->u.cross_trade.cross_type = B(39);
		break;
	case 'B': /* 1.5.3 */
		e->type = FP_EV_MD_BROKEN_TRADE;
		e->u.broken_trade.ts_ns = ts;
		e->u.broken_trade.match_number = U64(11);
		break;
	case 'S': /* 1.1 */
		e->type = FP_EV_MD_SYSTEM;
		e->u.system.ts_ns = ts;
		e->u.system.event_code = B(11);
		break;
	case 'R': { /* 1.2.1 */
		struct fp_ev_md_stock_directory *d = &e->u.stock_directory;
		e->type = FP_EV_MD_STOCK_DIRECTORY;
		d->ts_ns = ts;
		memcpy(d->stock, msg + 11, 8);
		d->market_category = B(19);
		d->financial_status_indicator = B(20);
		d->round_lot_size = U32(21);
		d->round_lots_only = B(25);
		d->issue_classification = B(26);
		memcpy(d->issue_sub_type, msg + 27, 2);
		d->authenticity = B(29);
		d->short_sale_threshold_indicator = B(30);
		d->ipo_flag = B(31);
		d->luld_reference_price_tier = B(32);
		d->etp_flag = B(33);
		d->etp_leverage_factor = U32(34);
		d->inverse_indicator = B(38);
		break;
	}
	case 'H': /* 1.2.2 */
		e->type = FP_EV_MD_TRADING_ACTION;
		e->u.trading_action.ts_ns = ts;
		e->u.trading_action.trading_state = B(19);
		e->u.trading_action.reserved = B(20);
		memcpy(e->u.trading_action.reason, msg + 21, 4);
		break;
	case 'Y': /* 1.2.3 */
		e->type = FP_EV_MD_REG_SHO;
		e->u.reg_sho.ts_ns = ts;
		e->u.reg_sho.reg_sho_action = B(19);
		break;
	case 'L': /* 1.2.4 */
		e->type = FP_EV_MD_MPID_POSITION;
		e->u.mpid_position.ts_ns = ts;
		memcpy(e->u.mpid_position.mpid, msg + 11, 4);
		e->u.mpid_position.primary_market_maker = B(23);
		e->u.mpid_position.market_maker_mode = B(24);
		e->u.mpid_position.market_participant_state = B(25);
		break;
	case 'V': /* 1.2.5.1 */
		e->type = FP_EV_MD_MWCB_DECLINE;
		e->u.mwcb_decline.ts_ns = ts;
		e->u.mwcb_decline.level_1 = (int64_t)U64(11);
		e->u.mwcb_decline.level_2 = (int64_t)U64(19);
		e->u.mwcb_decline.level_3 = (int64_t)U64(27);
		break;
	case 'W': /* 1.2.5.2 */
		e->type = FP_EV_MD_MWCB_STATUS;
		e->u.mwcb_status.ts_ns = ts;
		e->u.mwcb_status.breached_level = B(11);
		break;
	case 'K': /* 1.2.6 */
		e->type = FP_EV_MD_IPO_QUOTING;
		e->u.ipo_quoting.ts_ns = ts;
		e->u.ipo_quoting.ipo_quotation_release_time = U32(19);
		e->u.ipo_quoting.ipo_quotation_release_qualifier = B(23);
		e->u.ipo_quoting.ipo_price = (int64_t)U32(24);
		break;
	case 'J': /* 1.2.7 */
		e->type = FP_EV_MD_LULD_COLLAR;
		e->u.luld_collar.ts_ns = ts;
		e->u.luld_collar.auction_collar_reference_price = (int64_t)U32(19);
		e->u.luld_collar.upper_auction_collar_price = (int64_t)U32(23);
		e->u.luld_collar.lower_auction_collar_price = (int64_t)U32(27);
		e->u.luld_collar.auction_collar_extension = U32(31);
		break;
	case 'h': /* 1.2.8 */
		e->type = FP_EV_MD_OPERATIONAL_HALT;
		e->u.operational_halt.ts_ns = ts;
		e->u.operational_halt.market_code = B(19);
		e->u.operational_halt.operational_halt_action = B(20);
		break;
	case 'I': /* 1.6 */
		e->type = FP_EV_MD_NOII;
		e->u.noii.ts_ns = ts;
		e->u.noii.paired_shares = U64(11);
		e->u.noii.imbalance_shares = U64(19);
		e->u.noii.imbalance_direction = B(27);
		e->u.noii.far_price = U32(36);
		e->u.noii.near_price = U32(40);
		e->u.noii.current_reference_price = U32(44);
		e->u.noii.cross_type = B(48);
		e->u.noii.price_variation_indicator = B(49);
		break;
	case 'N': /* 1.7 */
		e->type = FP_EV_MD_RPII;
		e->u.rpii.ts_ns = ts;
		e->u.rpii.interest_flag = B(19);
		break;
	case 'O': /* 1.8 */
		e->type = FP_EV_MD_DLCR;
		e->u.dlcr.ts_ns = ts;
		e->u.dlcr.open_eligibility_status = B(19);
		e->u.dlcr.minimum_allowable_price = U32(20);
		e->u.dlcr.maximum_allowable_price = U32(24);
		e->u.dlcr.near_execution_price = U32(28);
		e->u.dlcr.near_execution_time = U64(32);
		e->u.dlcr.lower_price_range_collar = U32(40);
		e->u.dlcr.upper_price_range_collar = U32(44);
		break;
	default: /* unreachable: fp_itch_check() accepts only the types above */
		return FP_ITCH_UNKNOWN_TYPE;
	}
	return FP_ITCH_OK;
}
