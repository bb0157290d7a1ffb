/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_md_normalize.c - ITCH message -> fp_event: bad messages leave the slot untouched;
 * every type maps to its event type; the header (symbol_id = locate, seq, t_rx, source) and
 * every payload field agree with the decoded message, for random bodies of all 23 types and
 * for the real captures (README's Add Order: 87.3900 as 873900); unused payload bytes are 0.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fp_md_normalize.h"
#include "itch_test_util.h"

START_TEST(test_normalize_rejects_bad_messages_untouched)
{
	uint8_t b[64] = {'A'};
	struct fp_event ev, before;
	memset(&ev, 0x5A, sizeof(ev));
	before = ev;
	ck_assert_int_eq(fp_md_normalize(b, 35, 1, 2, 3, &ev), FP_ITCH_SHORT);
	ck_assert_int_eq(fp_md_normalize(b, 37, 1, 2, 3, &ev), FP_ITCH_LENGTH_MISMATCH);
	ck_assert_int_eq(fp_md_normalize(b, 0, 1, 2, 3, &ev), FP_ITCH_SHORT);
	b[0] = 'z';
	ck_assert_int_eq(fp_md_normalize(b, 36, 1, 2, 3, &ev), FP_ITCH_UNKNOWN_TYPE);
	ck_assert_int_eq(memcmp(&ev, &before, sizeof(ev)), 0);
	ck_assert_uint_eq(fp_md_event_type('z'), FP_EV_NONE);
}
END_TEST

/* The event must carry what decode found, field by field. */
/* Alpha(1) fields are char in the views and uint8_t in the events. */
#define CHR_EQ(a, b) ck_assert_uint_eq((uint8_t)(a), (uint8_t)(b))

static void check_event(const struct fp_itch_msg *m, const struct fp_event *e)
{
	ck_assert_uint_eq(e->type, fp_md_event_type((uint8_t)m->type));
	ck_assert(fp_ev_is_md(e->type));
	ck_assert_uint_eq(e->symbol_id, m->stock_locate);
	ck_assert_uint_eq(e->u.system.ts_ns, m->timestamp); /* every md payload starts with it */
	switch (m->type) {
	case 'S':
		CHR_EQ(e->u.system.event_code, m->u.system_event.event_code);
		break;
	case 'R': {
		const struct fp_itch_stock_directory_v *r = &m->u.stock_directory;
		const struct fp_ev_md_stock_directory *d = &e->u.stock_directory;
		ck_assert_int_eq(memcmp(d->stock, r->stock, 8), 0);
		ck_assert_uint_eq(d->round_lot_size, r->round_lot_size);
		ck_assert_uint_eq(d->etp_leverage_factor, r->etp_leverage_factor);
		CHR_EQ(d->market_category, r->market_category);
		CHR_EQ(d->financial_status_indicator, r->financial_status_indicator);
		CHR_EQ(d->round_lots_only, r->round_lots_only);
		CHR_EQ(d->issue_classification, r->issue_classification);
		ck_assert_int_eq(memcmp(d->issue_sub_type, r->issue_sub_type, 2), 0);
		CHR_EQ(d->authenticity, r->authenticity);
		CHR_EQ(d->short_sale_threshold_indicator, r->short_sale_threshold_indicator);
		CHR_EQ(d->ipo_flag, r->ipo_flag);
		CHR_EQ(d->luld_reference_price_tier, r->luld_reference_price_tier);
		CHR_EQ(d->etp_flag, r->etp_flag);
		CHR_EQ(d->inverse_indicator, r->inverse_indicator);
		break;
	}
	case 'H':
		CHR_EQ(e->u.trading_action.trading_state, m->u.stock_trading_action.trading_state);
		CHR_EQ(e->u.trading_action.reserved, m->u.stock_trading_action.reserved);
		ck_assert_int_eq(
			memcmp(e->u.trading_action.reason, m->u.stock_trading_action.reason, 4), 0);
		break;
	case 'Y':
		CHR_EQ(e->u.reg_sho.reg_sho_action, m->u.reg_sho_restriction.reg_sho_action);
		break;
	case 'L': {
		const struct fp_itch_market_participant_position_v *l =
			&m->u.market_participant_position;
		ck_assert_int_eq(memcmp(e->u.mpid_position.mpid, l->mpid, 4), 0);
		CHR_EQ(e->u.mpid_position.primary_market_maker, l->primary_market_maker);
		CHR_EQ(e->u.mpid_position.market_maker_mode, l->market_maker_mode);
		CHR_EQ(e->u.mpid_position.market_participant_state, l->market_participant_state);
		break;
	}
	case 'V':
		ck_assert_uint_eq((uint64_t)e->u.mwcb_decline.level_1,
				  m->u.mwcb_decline_level.level_1);
		ck_assert_uint_eq((uint64_t)e->u.mwcb_decline.level_2,
				  m->u.mwcb_decline_level.level_2);
		ck_assert_uint_eq((uint64_t)e->u.mwcb_decline.level_3,
				  m->u.mwcb_decline_level.level_3);
		break;
	case 'W':
		CHR_EQ(e->u.mwcb_status.breached_level, m->u.mwcb_status.breached_level);
		break;
	case 'K': {
		const struct fp_itch_ipo_quoting_period_update_v *k =
			&m->u.ipo_quoting_period_update;
		ck_assert_int_eq(e->u.ipo_quoting.ipo_price, k->ipo_price);
		ck_assert_uint_eq(e->u.ipo_quoting.ipo_quotation_release_time,
				  k->ipo_quotation_release_time);
		CHR_EQ(e->u.ipo_quoting.ipo_quotation_release_qualifier,
		       k->ipo_quotation_release_qualifier);
		break;
	}
	case 'J': {
		const struct fp_itch_luld_auction_collar_v *j = &m->u.luld_auction_collar;
		ck_assert_int_eq(e->u.luld_collar.auction_collar_reference_price,
				 j->auction_collar_reference_price);
		ck_assert_int_eq(e->u.luld_collar.upper_auction_collar_price,
				 j->upper_auction_collar_price);
		ck_assert_int_eq(e->u.luld_collar.lower_auction_collar_price,
				 j->lower_auction_collar_price);
		ck_assert_uint_eq(e->u.luld_collar.auction_collar_extension,
				  j->auction_collar_extension);
		break;
	}
	case 'h':
		CHR_EQ(e->u.operational_halt.market_code, m->u.operational_halt.market_code);
		CHR_EQ(e->u.operational_halt.operational_halt_action,
		       m->u.operational_halt.operational_halt_action);
		break;
	case 'A':
	case 'F': {
		/* 'F' begins with the fields of 'A' */
		const struct fp_itch_add_order_v *a = &m->u.add_order;
		ck_assert_uint_eq(e->u.add.order_reference_number, a->order_reference_number);
		CHR_EQ(e->u.add.side, a->buy_sell_indicator);
		ck_assert_uint_eq(e->u.add.shares, a->shares);
		ck_assert_int_eq(e->u.add.price, a->price);
		if (m->type == 'F') {
			ck_assert_uint_eq(e->flags, FP_EVF_ATTRIBUTED);
			ck_assert_int_eq(
				memcmp(e->u.add.attribution, m->u.add_order_mpid.attribution, 4),
				0);
		} else {
			ck_assert_uint_eq(e->flags, 0);
			ck_assert_int_eq(memcmp(e->u.add.attribution, "\0\0\0\0", 4), 0);
		}
		break;
	}
	case 'E':
	case 'C': {
		const struct fp_itch_order_executed_with_price_v *c =
			&m->u.order_executed_with_price;
		ck_assert_uint_eq(e->u.execute.order_reference_number, c->order_reference_number);
		ck_assert_uint_eq(e->u.execute.executed_shares, c->executed_shares);
		ck_assert_uint_eq(e->u.execute.match_number, c->match_number);
		if (m->type == 'C') {
			ck_assert_uint_eq(e->flags, FP_EVF_WITH_PRICE);
			CHR_EQ(e->u.execute.printable, c->printable);
			ck_assert_int_eq(e->u.execute.execution_price, c->execution_price);
		} else {
			ck_assert_uint_eq(e->flags, 0);
			CHR_EQ(e->u.execute.printable, 'Y');
			ck_assert_int_eq(e->u.execute.execution_price, 0);
		}
		break;
	}
	case 'X':
		ck_assert_uint_eq(e->u.cancel.order_reference_number,
				  m->u.order_cancel.order_reference_number);
		ck_assert_uint_eq(e->u.cancel.cancelled_shares, m->u.order_cancel.cancelled_shares);
		break;
	case 'D':
		ck_assert_uint_eq(e->u.del.order_reference_number,
				  m->u.order_delete.order_reference_number);
		break;
	case 'U': {
		const struct fp_itch_order_replace_v *u = &m->u.order_replace;
		ck_assert_uint_eq(e->u.replace.original_order_reference_number,
				  u->original_order_reference_number);
		ck_assert_uint_eq(e->u.replace.new_order_reference_number,
				  u->new_order_reference_number);
		ck_assert_uint_eq(e->u.replace.shares, u->shares);
		ck_assert_int_eq(e->u.replace.price, u->price);
		break;
	}
	case 'P': {
		const struct fp_itch_trade_v *p = &m->u.trade;
		ck_assert_uint_eq(e->u.trade.order_reference_number, p->order_reference_number);
		ck_assert_uint_eq(e->u.trade.match_number, p->match_number);
		ck_assert_int_eq(e->u.trade.price, p->price);
		ck_assert_uint_eq(e->u.trade.shares, p->shares);
		CHR_EQ(e->u.trade.side, p->buy_sell_indicator);
		break;
	}
	case 'Q': {
		const struct fp_itch_cross_trade_v *q = &m->u.cross_trade;
		ck_assert_uint_eq(e->u.cross_trade.shares, q->shares);
		ck_assert_int_eq(e->u.cross_trade.cross_price, q->cross_price);
		ck_assert_uint_eq(e->u.cross_trade.match_number, q->match_number);
		CHR_EQ(e->u.cross_trade.cross_type, q->cross_type);
		break;
	}
	case 'B':
		ck_assert_uint_eq(e->u.broken_trade.match_number, m->u.broken_trade.match_number);
		break;
	case 'I': {
		const struct fp_itch_noii_v *n = &m->u.noii;
		ck_assert_uint_eq(e->u.noii.paired_shares, n->paired_shares);
		ck_assert_uint_eq(e->u.noii.imbalance_shares, n->imbalance_shares);
		ck_assert_uint_eq(e->u.noii.far_price, n->far_price);
		ck_assert_uint_eq(e->u.noii.near_price, n->near_price);
		ck_assert_uint_eq(e->u.noii.current_reference_price, n->current_reference_price);
		CHR_EQ(e->u.noii.imbalance_direction, n->imbalance_direction);
		CHR_EQ(e->u.noii.cross_type, n->cross_type);
		CHR_EQ(e->u.noii.price_variation_indicator, n->price_variation_indicator);
		break;
	}
	case 'N':
		CHR_EQ(e->u.rpii.interest_flag, m->u.rpii.interest_flag);
		break;
	case 'O': {
		const struct fp_itch_dlcr_v *o = &m->u.dlcr;
		ck_assert_uint_eq(e->u.dlcr.near_execution_time, o->near_execution_time);
		ck_assert_uint_eq(e->u.dlcr.minimum_allowable_price, o->minimum_allowable_price);
		ck_assert_uint_eq(e->u.dlcr.maximum_allowable_price, o->maximum_allowable_price);
		ck_assert_uint_eq(e->u.dlcr.near_execution_price, o->near_execution_price);
		ck_assert_uint_eq(e->u.dlcr.lower_price_range_collar, o->lower_price_range_collar);
		ck_assert_uint_eq(e->u.dlcr.upper_price_range_collar, o->upper_price_range_collar);
		CHR_EQ(e->u.dlcr.open_eligibility_status, o->open_eligibility_status);
		break;
	}
	default:
		ck_abort_msg("type %c not checked", m->type);
	}
}

START_TEST(test_normalize_random_bodies_of_every_type)
{
	unsigned seed = 7u + (unsigned)_i;
	for (unsigned i = 0; i < FP_ITCH_NB_TYPES; i++) {
		const struct fp_itch_desc *d = fp_itch_desc_at(i);
		uint8_t b[FP_ITCH_MAX_LEN];
		for (unsigned k = 0; k < d->length; k++)
			b[k] = (uint8_t)rand_r(&seed);
		b[0] = (uint8_t)d->type;
		struct fp_itch_msg m;
		struct fp_event e;
		ck_assert_int_eq(fp_itch_decode(b, d->length, &m), FP_ITCH_OK);
		ck_assert_int_eq(fp_md_normalize(b, d->length, 99, 12345, 2, &e), FP_ITCH_OK);
		ck_assert_uint_eq(e.seq, 99);
		ck_assert_uint_eq(e.t_rx, 12345);
		ck_assert_uint_eq(e.source, 2);
		check_event(&m, &e);
	}
}
END_TEST

START_TEST(test_normalize_unused_payload_bytes_are_zero)
{
	/* A 'D' uses 16 payload bytes: the other 24 must be 0 whatever the slot held before. */
	uint8_t b[19] = {'D'};
	memset(b + 1, 0xFF, sizeof(b) - 1);
	struct fp_event e;
	memset(&e, 0xAB, sizeof(e));
	ck_assert_int_eq(fp_md_normalize(b, sizeof(b), 1, 1, 0, &e), FP_ITCH_OK);
	for (size_t k = sizeof(struct fp_ev_md_delete); k < sizeof(e.u.raw); k++)
		ck_assert_uint_eq(e.u.raw[k], 0);
	ck_assert_uint_eq(e.flags, 0);
}
END_TEST

START_TEST(test_normalize_real_captures)
{
	if (!td_have_data())
		return;
	static const char *const files[] = {
		"pcap/itch50/AddOrderNoMpidAttributionMessage.pcap",
		"pcap/itch50/20230822_AddOrderWithMPID.pcap",
		"pcap/itch50/20230822_CrossTrade.pcap",
		"pcap/itch50/20230822_LULDAuctionCollar.pcap",
		"pcap/itch50/20230822_MarketParticipantPosition.pcap",
		"pcap/itch50/20230822_NetOrderImbalanceIndicator.pcap",
		"pcap/itch50/20230822_NonCrossTrade.pcap",
		"pcap/itch50/20230822_OrderCancel.pcap",
		"pcap/itch50/20230822_OrderDelete.pcap",
		"pcap/itch50/20230822_OrderExecuted.pcap",
		"pcap/itch50/20230822_OrderExecutedWithPrice.pcap",
		"pcap/itch50/20230822_OrderReplace.pcap",
		"pcap/itch50/20230822_RegSHORestriction.pcap",
		"pcap/itch50/20230822_StockTradingAction.pcap",
		"pcap/itch50/20230822_SystemEvent.pcap",
	};
	for (size_t f = 0; f < FP_ARRAY_SIZE(files); f++) {
		size_t len;
		uint8_t *buf = td_load(files[f], &len);
		struct td_msg raw[16];
		unsigned n = td_pcap_msgs(buf, len, raw, 16);
		ck_assert_uint_ge(n, 1);
		for (unsigned k = 0; k < n; k++) {
			struct fp_itch_msg m;
			struct fp_event e;
			ck_assert_int_eq(fp_itch_decode(raw[k].msg, raw[k].len, &m), FP_ITCH_OK);
			ck_assert_int_eq(
				fp_md_normalize(raw[k].msg, raw[k].len, raw[k].seq, 0, 1, &e),
				FP_ITCH_OK);
			ck_assert_uint_eq(e.seq, raw[k].seq);
			check_event(&m, &e);
			if (f == 0) { /* the README's example */
				ck_assert_uint_eq(e.type, FP_EV_MD_ADD);
				ck_assert_uint_eq(e.symbol_id, 5528);
				ck_assert_uint_eq(e.seq, 14757721);
				ck_assert_uint_eq(e.u.add.ts_ns, 34199999894278ull);
				ck_assert_uint_eq(e.u.add.order_reference_number, 23508286);
				ck_assert_int_eq(e.u.add.side, FP_SIDE_BUY);
				ck_assert_uint_eq(e.u.add.shares, 1600);
				ck_assert_int_eq(e.u.add.price, 873900);
			}
		}
		free(buf);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_md_normalize");
	TCase *tc = tcase_create("normalize");
	tcase_add_test(tc, test_normalize_rejects_bad_messages_untouched);
	tcase_add_loop_test(tc, test_normalize_random_bodies_of_every_type, 0, 16);
	tcase_add_test(tc, test_normalize_unused_payload_bytes_are_zero);
	tcase_add_test(tc, test_normalize_real_captures);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
