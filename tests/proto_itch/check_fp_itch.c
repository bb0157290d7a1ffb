/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_itch.c - the ITCH 5.0 codec against the spec and against real data:
 *  - the length table and the field descriptors match the spec (every field contiguous from
 *    offset 11 to the message length);
 *  - short, over-long and unknown messages are refused by type;
 *  - every message type of the real captures in ../shared/data/pcap/itch50 (both the
 *    20230822_* files and the *Message.pcap files) decodes with the values of the data README
 *    and the bytes, and encode(decode(x)) == x byte for byte for every captured message;
 *  - the types absent from the captures (V W K h B N O) decode from spec-built byte vectors;
 *  - random bodies of every type round-trip (seeded by the loop index);
 *  - the three raw files of ../shared/data/itch50 give exactly the README's counts (RITCH with
 *    its zero length prefixes, lukef_sample reported truncated).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fp_itch.h"
#include "itch_test_util.h"

/* ---- spec tables ---- */

static const struct {
	char type;
	uint8_t len;
} spec_lengths[] = {
	{'S', 12}, {'R', 39}, {'H', 25}, {'Y', 20}, {'L', 26}, {'V', 35}, {'W', 12}, {'K', 28},
	{'J', 35}, {'h', 21}, {'A', 36}, {'F', 40}, {'E', 31}, {'C', 36}, {'X', 23}, {'D', 19},
	{'U', 35}, {'P', 44}, {'Q', 40}, {'B', 19}, {'I', 50}, {'N', 20}, {'O', 48},
};

START_TEST(test_itch_length_table_matches_spec)
{
	unsigned known = 0;
	for (unsigned t = 0; t < 256; t++)
		known += fp_itch_length((uint8_t)t) != 0;
	ck_assert_uint_eq(known, FP_ITCH_NB_TYPES);
	ck_assert_uint_eq(FP_ARRAY_SIZE(spec_lengths), FP_ITCH_NB_TYPES);
	for (size_t i = 0; i < FP_ARRAY_SIZE(spec_lengths); i++) {
		ck_assert_msg(fp_itch_length((uint8_t)spec_lengths[i].type) == spec_lengths[i].len,
			      "type %c", spec_lengths[i].type);
		const struct fp_itch_desc *d = fp_itch_desc((uint8_t)spec_lengths[i].type);
		ck_assert_ptr_nonnull(d);
		ck_assert_uint_eq(d->length, spec_lengths[i].len);
		ck_assert_ptr_eq(fp_itch_desc_at(d->index), d);
	}
	ck_assert_ptr_null(fp_itch_desc('Z'));
	ck_assert_ptr_null(fp_itch_desc_at(FP_ITCH_NB_TYPES));
}
END_TEST

START_TEST(test_itch_fields_cover_each_message)
{
	for (unsigned i = 0; i < FP_ITCH_NB_TYPES; i++) {
		const struct fp_itch_desc *d = fp_itch_desc_at(i);
		unsigned off = FP_ITCH_HDR_LEN;
		for (unsigned f = 0; f < d->nb_fields; f++) {
			ck_assert_msg(d->fields[f].offset == off, "%s.%s at %u, expected %u",
				      d->name, d->fields[f].name, d->fields[f].offset, off);
			off += d->fields[f].size;
		}
		ck_assert_msg(off == d->length, "%s ends at %u, length %u", d->name, off,
			      d->length);
	}
}
END_TEST

START_TEST(test_itch_rejects_short_long_and_unknown)
{
	uint8_t b[64] = {0};
	struct fp_itch_msg m;
	ck_assert_int_eq(fp_itch_decode(b, 0, &m), FP_ITCH_SHORT);
	b[0] = 'Z';
	ck_assert_int_eq(fp_itch_decode(b, 20, &m), FP_ITCH_UNKNOWN_TYPE);
	b[0] = 0;
	ck_assert_int_eq(fp_itch_decode(b, 20, &m), FP_ITCH_UNKNOWN_TYPE);
	for (unsigned i = 0; i < FP_ITCH_NB_TYPES; i++) {
		const struct fp_itch_desc *d = fp_itch_desc_at(i);
		b[0] = (uint8_t)d->type;
		for (uint32_t n = 1; n < d->length; n++)
			ck_assert_int_eq(fp_itch_decode(b, n, &m), FP_ITCH_SHORT);
		ck_assert_int_eq(fp_itch_decode(b, d->length + 1u, &m), FP_ITCH_LENGTH_MISMATCH);
		ck_assert_int_eq(fp_itch_decode(b, d->length, &m), FP_ITCH_OK);
		/* encode refuses a buffer one byte too small */
		ck_assert_uint_eq(fp_itch_encode(&m, b, d->length - 1u), 0);
	}
	m.type = 'Z';
	ck_assert_uint_eq(fp_itch_encode(&m, b, sizeof(b)), 0);
	ck_assert_str_eq(fp_itch_result_str(FP_ITCH_LENGTH_MISMATCH), "length mismatch");
}
END_TEST

START_TEST(test_itch_price_and_timestamp_helpers)
{
	char s[32];
	fp_itch_price_str(s, sizeof(s), 873900, 4);
	ck_assert_str_eq(s, "87.3900");
	fp_itch_price_str(s, sizeof(s), 5, 4);
	ck_assert_str_eq(s, "0.0005");
	fp_itch_price_str(s, sizeof(s), 0x77359400u, 4); /* the spec's maximum Price(4) */
	ck_assert_str_eq(s, "200000.0000");
	fp_itch_price_str(s, sizeof(s), 123456789012ull, 8);
	ck_assert_str_eq(s, "1234.56789012");
	uint8_t b[12] = {'S'};
	fp_itch_set_timestamp(b, 34199999894278ull);
	ck_assert_uint_eq(fp_itch_timestamp(b), 34199999894278ull);
	ck_assert_uint_eq(b[5], 0x1F); /* 0x1F1ACED85306 */
	ck_assert_uint_eq(b[10], 0x06);
}
END_TEST

/* ---- real captures ---- */

#define MAX_MSGS 16

static const struct {
	const char *file;
	char type;
	unsigned count;
} captures[] = {
	{"pcap/itch50/20230822_AddOrderNoMPID.pcap", 'A', 5},
	{"pcap/itch50/20230822_AddOrderWithMPID.pcap", 'F', 5},
	{"pcap/itch50/20230822_CrossTrade.pcap", 'Q', 5},
	{"pcap/itch50/20230822_LULDAuctionCollar.pcap", 'J', 5},
	{"pcap/itch50/20230822_MarketParticipantPosition.pcap", 'L', 5},
	{"pcap/itch50/20230822_NetOrderImbalanceIndicator.pcap", 'I', 5},
	{"pcap/itch50/20230822_NonCrossTrade.pcap", 'P', 5},
	{"pcap/itch50/20230822_OrderCancel.pcap", 'X', 5},
	{"pcap/itch50/20230822_OrderDelete.pcap", 'D', 5},
	{"pcap/itch50/20230822_OrderExecuted.pcap", 'E', 5},
	{"pcap/itch50/20230822_OrderExecutedWithPrice.pcap", 'C', 5},
	{"pcap/itch50/20230822_OrderReplace.pcap", 'U', 5},
	{"pcap/itch50/20230822_RegSHORestriction.pcap", 'Y', 5},
	{"pcap/itch50/20230822_StockTradingAction.pcap", 'H', 5},
	{"pcap/itch50/20230822_SystemEvent.pcap", 'S', 1},
	{"pcap/itch50/AddOrderNoMpidAttributionMessage.pcap", 'A', 1},
	{"pcap/itch50/MarketParticipantPositionMessage.pcap", 'L', 1},
	{"pcap/itch50/NetOrderImbalanceIndicatorMessage.pcap", 'I', 1},
	{"pcap/itch50/OrderDeleteMessage.pcap", 'D', 1},
	{"pcap/itch50/OrderExecutedMessage.pcap", 'E', 1},
	{"pcap/itch50/OrderReplaceMessage.pcap", 'U', 1},
	{"pcap/itch50/StockTradingActionMessage.pcap", 'H', 1},
};

/* Files loaded by decode_capture(): raw[] points into them until free_captures(). */
static uint8_t *loaded[64];
static unsigned nb_loaded;

static void free_captures(void)
{
	while (nb_loaded)
		free(loaded[--nb_loaded]);
}

/* Decode the messages of capture @p i into @p m; returns how many. */
static unsigned decode_capture(unsigned i, struct fp_itch_msg *m, struct td_msg *raw)
{
	size_t len;
	uint8_t *buf = td_load(captures[i].file, &len);
	ck_assert_uint_lt(nb_loaded, FP_ARRAY_SIZE(loaded));
	loaded[nb_loaded++] = buf;
	unsigned n = td_pcap_msgs(buf, len, raw, MAX_MSGS);
	for (unsigned k = 0; k < n; k++)
		ck_assert_msg(fp_itch_decode(raw[k].msg, raw[k].len, &m[k]) == FP_ITCH_OK,
			      "%s message %u", captures[i].file, k);
	return n;
}

START_TEST(test_itch_every_capture_decodes_and_round_trips)
{
	if (!td_have_data())
		return;
	struct fp_itch_msg m[MAX_MSGS];
	struct td_msg raw[MAX_MSGS];
	unsigned n = decode_capture((unsigned)_i, m, raw);
	ck_assert_msg(n == captures[_i].count, "%s: %u messages", captures[_i].file, n);
	for (unsigned k = 0; k < n; k++) {
		uint8_t out[FP_ITCH_MAX_LEN];
		ck_assert_int_eq(m[k].type, captures[_i].type);
		ck_assert_uint_eq(fp_itch_encode(&m[k], out, sizeof(out)), raw[k].len);
		ck_assert_msg(memcmp(out, raw[k].msg, raw[k].len) == 0,
			      "%s message %u: encode(decode(x)) != x", captures[_i].file, k);
	}
	free_captures();
}
END_TEST

static unsigned capture_index(const char *file)
{
	for (unsigned i = 0; i < FP_ARRAY_SIZE(captures); i++)
		if (strstr(captures[i].file, file))
			return i;
	ck_abort_msg("no capture %s", file);
	return 0;
}

START_TEST(test_itch_add_order_readme_fields)
{
	if (!td_have_data())
		return;
	struct fp_itch_msg m[MAX_MSGS];
	struct td_msg raw[MAX_MSGS];
	/* The README's example, in both captures of that message. */
	const char *files[] = {"/AddOrderNoMpidAttributionMessage.pcap",
			       "/20230822_AddOrderNoMPID.pcap"};
	for (unsigned f = 0; f < 2; f++) {
		decode_capture(capture_index(files[f]), m, raw);
		const struct fp_itch_add_order_v *a = &m[0].u.add_order;
		ck_assert_int_eq(m[0].type, 'A');
		ck_assert_uint_eq(m[0].stock_locate, 5528);
		ck_assert_uint_eq(m[0].tracking_number, 0);
		ck_assert_uint_eq(m[0].timestamp, 34199999894278ull);
		ck_assert_uint_eq(a->order_reference_number, 23508286);
		ck_assert_int_eq(a->buy_sell_indicator, 'B');
		ck_assert_uint_eq(a->shares, 1600);
		ck_assert_int_eq(memcmp(a->stock, "IVOO    ", 8), 0);
		ck_assert_uint_eq(a->price, 873900);
	}
	ck_assert_str_eq(raw[0].session, ""); /* zeroed session in the 20230822_* files */
	decode_capture(capture_index("/AddOrderNoMpidAttributionMessage.pcap"), m, raw);
	ck_assert_str_eq(raw[0].session, "000010059B");
	ck_assert_uint_eq(raw[0].seq, 14757721);
	free_captures();
}
END_TEST

START_TEST(test_itch_order_replace_capture_fields)
{
	if (!td_have_data())
		return;
	struct fp_itch_msg m[MAX_MSGS];
	struct td_msg raw[MAX_MSGS];
	decode_capture(capture_index("/OrderReplaceMessage.pcap"), m, raw);
	ck_assert_str_eq(raw[0].session, "000010059B");
	ck_assert_uint_eq(raw[0].seq, 14757701);
	ck_assert_uint_eq(raw[0].dst_port, 26477);
	const struct fp_itch_order_replace_v *u = &m[0].u.order_replace;
	ck_assert_uint_eq(m[0].stock_locate, 7603);
	ck_assert_uint_eq(m[0].timestamp, 34199999836649ull);
	ck_assert_uint_eq(u->original_order_reference_number, 0xE6897F);
	ck_assert_uint_eq(u->new_order_reference_number, 0x145F2C7);
	ck_assert_uint_eq(u->shares, 100);
	ck_assert_uint_eq(u->price, 1062600); /* 106.2600 */
	free_captures();
}
END_TEST

/* First message of each 20230822_* capture, field by field (values read off the bytes with
 * the spec's offsets). */
START_TEST(test_itch_capture_fields_by_type)
{
	if (!td_have_data())
		return;
	struct fp_itch_msg m[MAX_MSGS];
	struct td_msg raw[MAX_MSGS];

	decode_capture(capture_index("_AddOrderWithMPID"), m, raw);
	const struct fp_itch_add_order_mpid_v *f = &m[0].u.add_order_mpid;
	ck_assert_uint_eq(m[0].stock_locate, 1738);
	ck_assert_uint_eq(f->order_reference_number, 0x120BE75);
	ck_assert_int_eq(f->buy_sell_indicator, 'S');
	ck_assert_uint_eq(f->shares, 100);
	ck_assert_int_eq(memcmp(f->stock, "CASY    ", 8), 0);
	ck_assert_uint_eq(f->price, 0x26FD40);
	ck_assert_int_eq(memcmp(f->attribution, "FLTU", 4), 0);

	decode_capture(capture_index("_CrossTrade"), m, raw);
	const struct fp_itch_cross_trade_v *q = &m[0].u.cross_trade;
	ck_assert_uint_eq(m[0].tracking_number, 1);
	ck_assert_uint_eq(q->shares, 0);
	ck_assert_int_eq(memcmp(q->stock, "BAC-Q   ", 8), 0);
	ck_assert_uint_eq(q->match_number, 0x3E63E);
	ck_assert_int_eq(q->cross_type, 'O');
	ck_assert_uint_eq(m[2].u.cross_trade.shares, 0x15C9);
	ck_assert_uint_eq(m[2].u.cross_trade.cross_price, 0x2FC10);

	decode_capture(capture_index("_LULDAuctionCollar"), m, raw);
	const struct fp_itch_luld_auction_collar_v *j = &m[0].u.luld_auction_collar;
	ck_assert_int_eq(memcmp(j->stock, "ZXZZT   ", 8), 0);
	ck_assert_uint_eq(j->auction_collar_reference_price, 0x20918);
	ck_assert_uint_eq(j->upper_auction_collar_price, 0x22344);
	ck_assert_uint_eq(j->lower_auction_collar_price, 0x1AA90);
	ck_assert_uint_eq(j->auction_collar_extension, 0);
	ck_assert_uint_eq(m[4].u.luld_auction_collar.auction_collar_extension, 1);

	decode_capture(capture_index("_MarketParticipantPosition"), m, raw);
	const struct fp_itch_market_participant_position_v *l = &m[0].u.market_participant_position;
	ck_assert_int_eq(memcmp(l->mpid, "MAXM", 4), 0);
	ck_assert_int_eq(memcmp(l->stock, "FDLS    ", 8), 0);
	ck_assert_int_eq(l->primary_market_maker, 'Y');
	ck_assert_int_eq(l->market_maker_mode, 'N');
	ck_assert_int_eq(l->market_participant_state, 'A');

	decode_capture(capture_index("_NetOrderImbalanceIndicator"), m, raw);
	const struct fp_itch_noii_v *ni = &m[3].u.noii;
	ck_assert_uint_eq(m[3].stock_locate, 6462);
	ck_assert_uint_eq(ni->paired_shares, 1);
	ck_assert_uint_eq(ni->imbalance_shares, 0);
	ck_assert_int_eq(ni->imbalance_direction, 'N');
	ck_assert_int_eq(memcmp(ni->stock, "MDC     ", 8), 0);
	ck_assert_uint_eq(ni->far_price, 0x71610);
	ck_assert_uint_eq(ni->near_price, 0x71610);
	ck_assert_uint_eq(ni->current_reference_price, 0x71610);
	ck_assert_int_eq(ni->cross_type, 'O');
	ck_assert_int_eq(ni->price_variation_indicator, 'L');

	decode_capture(capture_index("_NonCrossTrade"), m, raw);
	const struct fp_itch_trade_v *p = &m[0].u.trade;
	ck_assert_uint_eq(m[0].stock_locate, 4499);
	ck_assert_uint_eq(p->order_reference_number, 0); /* zero since 2010 (spec 1.5.1) */
	ck_assert_int_eq(p->buy_sell_indicator, 'B');    /* always B since 2014 */
	ck_assert_uint_eq(p->shares, 100);
	ck_assert_int_eq(memcmp(p->stock, "GOOGL   ", 8), 0);
	ck_assert_uint_eq(p->price, 0x1399F8);
	ck_assert_uint_eq(p->match_number, 0x3E642);

	decode_capture(capture_index("_OrderCancel"), m, raw);
	ck_assert_uint_eq(m[0].u.order_cancel.order_reference_number, 0x2041A00);
	ck_assert_uint_eq(m[0].u.order_cancel.cancelled_shares, 100);

	decode_capture(capture_index("_OrderDelete"), m, raw);
	ck_assert_uint_eq(m[0].u.order_delete.order_reference_number, 0x165B51A);

	decode_capture(capture_index("_OrderExecuted.pcap"), m, raw);
	ck_assert_uint_eq(m[0].tracking_number, 2);
	ck_assert_uint_eq(m[0].u.order_executed.order_reference_number, 0x166929A);
	ck_assert_uint_eq(m[0].u.order_executed.executed_shares, 25);
	ck_assert_uint_eq(m[0].u.order_executed.match_number, 0x3E63B);

	decode_capture(capture_index("_OrderExecutedWithPrice"), m, raw);
	const struct fp_itch_order_executed_with_price_v *c = &m[0].u.order_executed_with_price;
	ck_assert_uint_eq(c->order_reference_number, 0x13113DE);
	ck_assert_uint_eq(c->executed_shares, 0x133E);
	ck_assert_uint_eq(c->match_number, 0x3E65D);
	ck_assert_int_eq(c->printable, 'N');
	ck_assert_uint_eq(c->execution_price, 0x36E20);
	ck_assert_int_eq(m[2].u.order_executed_with_price.printable, 'Y');

	decode_capture(capture_index("_RegSHORestriction"), m, raw);
	ck_assert_int_eq(memcmp(m[0].u.reg_sho_restriction.stock, "SOPA    ", 8), 0);
	ck_assert_int_eq(m[0].u.reg_sho_restriction.reg_sho_action, '1');

	decode_capture(capture_index("_StockTradingAction"), m, raw);
	const struct fp_itch_stock_trading_action_v *h = &m[0].u.stock_trading_action;
	ck_assert_int_eq(memcmp(h->stock, "ZXZZT   ", 8), 0);
	ck_assert_int_eq(h->trading_state, 'P');
	ck_assert_int_eq(h->reserved, ' ');
	ck_assert_int_eq(memcmp(h->reason, "LUDP", 4), 0);

	decode_capture(capture_index("_SystemEvent"), m, raw);
	ck_assert_uint_eq(m[0].stock_locate, 0);
	ck_assert_uint_eq(m[0].timestamp, 34200000070384ull);
	ck_assert_int_eq(m[0].u.system_event.event_code, 'Q');
	free_captures();
}
END_TEST

/* ---- types absent from the captures: bytes laid out by hand from the spec's tables ---- */

static void put_hdr(uint8_t *b, char type, uint16_t locate, uint16_t track, uint64_t ts)
{
	b[0] = (uint8_t)type;
	fp_put_be16(b + 1, locate);
	fp_put_be16(b + 3, track);
	fp_put_be48(b + 5, ts);
}

static void check_round_trip(const uint8_t *b, uint32_t len, struct fp_itch_msg *m)
{
	uint8_t out[FP_ITCH_MAX_LEN];
	ck_assert_int_eq(fp_itch_decode(b, len, m), FP_ITCH_OK);
	ck_assert_uint_eq(fp_itch_encode(m, out, sizeof(out)), len);
	ck_assert_int_eq(memcmp(out, b, len), 0);
}

START_TEST(test_itch_spec_vectors_for_uncaptured_types)
{
	uint8_t b[FP_ITCH_MAX_LEN];
	struct fp_itch_msg m;

	memset(b, 0, sizeof(b)); /* V: MWCB decline levels, Price(8) */
	put_hdr(b, 'V', 0, 1, 30000000000000ull);
	fp_put_be64(b + 11, 3000012345678ull);
	fp_put_be64(b + 19, 2800000000000ull);
	fp_put_be64(b + 27, 2500000000000ull);
	check_round_trip(b, 35, &m);
	ck_assert_uint_eq(m.u.mwcb_decline_level.level_1, 3000012345678ull);
	ck_assert_uint_eq(m.u.mwcb_decline_level.level_3, 2500000000000ull);

	put_hdr(b, 'W', 0, 2, 1); /* W */
	b[11] = '2';
	check_round_trip(b, 12, &m);
	ck_assert_int_eq(m.u.mwcb_status.breached_level, '2');

	put_hdr(b, 'K', 0, 3, 2); /* K */
	memcpy(b + 11, "NEWCO   ", 8);
	fp_put_be32(b + 19, 36000);
	b[23] = 'A';
	fp_put_be32(b + 24, 215000);
	check_round_trip(b, 28, &m);
	ck_assert_uint_eq(m.u.ipo_quoting_period_update.ipo_quotation_release_time, 36000);
	ck_assert_int_eq(m.u.ipo_quoting_period_update.ipo_quotation_release_qualifier, 'A');
	ck_assert_uint_eq(m.u.ipo_quoting_period_update.ipo_price, 215000);

	put_hdr(b, 'h', 42, 4, 3); /* h */
	memcpy(b + 11, "AAPL    ", 8);
	b[19] = 'Q';
	b[20] = 'H';
	check_round_trip(b, 21, &m);
	ck_assert_uint_eq(m.stock_locate, 42);
	ck_assert_int_eq(m.u.operational_halt.market_code, 'Q');
	ck_assert_int_eq(m.u.operational_halt.operational_halt_action, 'H');

	put_hdr(b, 'B', 42, 5, 4); /* B */
	fp_put_be64(b + 11, 987654321);
	check_round_trip(b, 19, &m);
	ck_assert_uint_eq(m.u.broken_trade.match_number, 987654321);

	put_hdr(b, 'N', 42, 6, 5); /* N */
	memcpy(b + 11, "AAPL    ", 8);
	b[19] = 'A';
	check_round_trip(b, 20, &m);
	ck_assert_int_eq(m.u.rpii.interest_flag, 'A');

	put_hdr(b, 'O', 42, 7, 6); /* O: DLCR */
	memcpy(b + 11, "DLCR    ", 8);
	b[19] = 'Y';
	fp_put_be32(b + 20, 80000);
	fp_put_be32(b + 24, 180000);
	fp_put_be32(b + 28, 100000);
	fp_put_be64(b + 32, 36000000000000ull);
	fp_put_be32(b + 40, 90000);
	fp_put_be32(b + 44, 110000);
	check_round_trip(b, 48, &m);
	const struct fp_itch_dlcr_v *o = &m.u.dlcr;
	ck_assert_int_eq(o->open_eligibility_status, 'Y');
	ck_assert_uint_eq(o->minimum_allowable_price, 80000);
	ck_assert_uint_eq(o->maximum_allowable_price, 180000);
	ck_assert_uint_eq(o->near_execution_price, 100000);
	ck_assert_uint_eq(o->near_execution_time, 36000000000000ull);
	ck_assert_uint_eq(o->lower_price_range_collar, 90000);
	ck_assert_uint_eq(o->upper_price_range_collar, 110000);
}
END_TEST

/* Random bodies of every type: decode then encode gives the same bytes (seed = _i). */
START_TEST(test_itch_random_bodies_round_trip)
{
	unsigned seed = 1000u + (unsigned)_i;
	for (unsigned i = 0; i < FP_ITCH_NB_TYPES; i++) {
		const struct fp_itch_desc *d = fp_itch_desc_at(i);
		uint8_t b[FP_ITCH_MAX_LEN];
		struct fp_itch_msg m;
		for (unsigned rep = 0; rep < 50; rep++) {
			for (unsigned k = 0; k < d->length; k++)
				b[k] = (uint8_t)rand_r(&seed);
			b[0] = (uint8_t)d->type;
			uint8_t out[FP_ITCH_MAX_LEN];
			ck_assert_int_eq(fp_itch_decode(b, d->length, &m), FP_ITCH_OK);
			ck_assert_uint_eq(fp_itch_encode(&m, out, sizeof(out)), d->length);
			ck_assert_msg(memcmp(out, b, d->length) == 0, "type %c seed %u", d->type,
				      1000u + (unsigned)_i);
		}
	}
}
END_TEST

/* ---- raw ITCH files ---- */

struct file_counts {
	unsigned by_type[256];
	unsigned total;
	unsigned buy, sell;
	unsigned errors;
	enum fp_itch_stream_result end;
	uint64_t zero_len;
	char stock_of[65536][9]; /* locate -> symbol from 'R' */
	unsigned orders_of[65536];
	unsigned trades_of[65536];
};

static struct file_counts *count_file(const char *rel)
{
	size_t len;
	uint8_t *buf = td_load(rel, &len);
	struct file_counts *c = calloc(1, sizeof(*c));
	struct fp_itch_stream s;
	const uint8_t *msg;
	uint32_t n;
	fp_itch_stream_init(&s, buf, len);
	ck_assert(fp_itch_stream_probe(buf, len));
	while ((c->end = fp_itch_stream_next(&s, &msg, &n)) == FP_ITCH_STREAM_OK) {
		struct fp_itch_msg m;
		if (fp_itch_decode(msg, n, &m) != FP_ITCH_OK) {
			c->errors++;
			continue;
		}
		c->total++;
		c->by_type[(uint8_t)m.type]++;
		if (m.type == 'R')
			memcpy(c->stock_of[m.stock_locate], m.u.stock_directory.stock, 8);
		if (m.type == 'A' || m.type == 'F') {
			/* 'F' begins with the same fields as 'A' (spec 1.3.2) */
			char side = m.type == 'A' ? m.u.add_order.buy_sell_indicator
						  : m.u.add_order_mpid.buy_sell_indicator;
			c->buy += side == 'B';
			c->sell += side == 'S';
			c->orders_of[m.stock_locate]++;
		}
		if (m.type == 'P')
			c->trades_of[m.stock_locate]++;
	}
	c->zero_len = s.nb_zero_len;
	free(buf);
	return c;
}

static unsigned per_stock(const struct file_counts *c, const unsigned *of, const char *stock)
{
	char padded[9];
	snprintf(padded, sizeof(padded), "%-8s", stock);
	unsigned n = 0;
	for (unsigned l = 0; l < 65536; l++)
		if (memcmp(c->stock_of[l], padded, 8) == 0)
			n += of[l];
	return n;
}

START_TEST(test_itch_ritch_file_counts)
{
	if (!td_have_data())
		return;
	struct file_counts *c = count_file("itch50/ritch_ex20101224.TEST_ITCH_50");
	ck_assert_int_eq(c->end, FP_ITCH_STREAM_END);
	ck_assert_uint_eq(c->errors, 0);
	ck_assert_uint_eq(c->total, 12012);
	ck_assert_uint_eq(c->zero_len, 12012); /* every prefix is 0000 */
	static const struct {
		char t;
		unsigned n;
	} want[] = {{'S', 6},   {'R', 3},  {'H', 3},    {'A', 4997}, {'F', 3},
		    {'E', 198}, {'X', 45}, {'D', 1745}, {'U', 12},   {'P', 5000}};
	unsigned sum = 0;
	for (size_t i = 0; i < FP_ARRAY_SIZE(want); i++) {
		ck_assert_msg(c->by_type[(uint8_t)want[i].t] == want[i].n, "%c: %u, want %u",
			      want[i].t, c->by_type[(uint8_t)want[i].t], want[i].n);
		sum += want[i].n;
	}
	ck_assert_uint_eq(sum, c->total);
	ck_assert_uint_eq(c->buy, 2432);
	ck_assert_uint_eq(c->sell, 2568);
	ck_assert_uint_eq(per_stock(c, c->orders_of, "ALC"), 950);
	ck_assert_uint_eq(per_stock(c, c->orders_of, "BOB"), 2482);
	ck_assert_uint_eq(per_stock(c, c->orders_of, "CHAR"), 1568);
	ck_assert_uint_eq(per_stock(c, c->trades_of, "ALC"), 1885);
	ck_assert_uint_eq(per_stock(c, c->trades_of, "BOB"), 1658);
	ck_assert_uint_eq(per_stock(c, c->trades_of, "CHAR"), 1457);
	free(c);
}
END_TEST

START_TEST(test_itch_bbekele_file_counts)
{
	if (!td_have_data())
		return;
	struct file_counts *c = count_file("itch50/bbekele_sample.itch");
	ck_assert_int_eq(c->end, FP_ITCH_STREAM_END);
	ck_assert_uint_eq(c->errors, 0);
	ck_assert_uint_eq(c->zero_len, 0);
	ck_assert_uint_eq(c->total, 1000);
	ck_assert_uint_eq(c->by_type['S'], 1);
	ck_assert_uint_eq(c->by_type['R'], 993);
	ck_assert_uint_eq(c->by_type['H'], 3);
	ck_assert_uint_eq(c->by_type['Y'], 3);
	free(c);
}
END_TEST

START_TEST(test_itch_lukef_file_is_truncated)
{
	if (!td_have_data())
		return;
	struct file_counts *c = count_file("itch50/lukef_sample.itch");
	ck_assert_int_eq(c->end, FP_ITCH_STREAM_TRUNCATED);
	ck_assert_uint_eq(c->errors, 0);
	ck_assert_uint_eq(c->total, 101);
	ck_assert_uint_eq(c->by_type['S'], 1);
	ck_assert_uint_eq(c->by_type['R'], 98);
	ck_assert_uint_eq(c->by_type['H'], 1);
	ck_assert_uint_eq(c->by_type['Y'], 1);
	free(c);
}
END_TEST

START_TEST(test_itch_stream_cuts_and_probe)
{
	/* Two messages; every cut inside the second one is a truncation, never a message. */
	uint8_t b[2 + 12 + 2 + 19] = {0};
	fp_put_be16(b, 12);
	put_hdr(b + 2, 'S', 0, 0, 1);
	b[13] = 'O';
	fp_put_be16(b + 14, 19);
	put_hdr(b + 16, 'D', 1, 0, 2);
	struct fp_itch_stream s;
	const uint8_t *msg;
	uint32_t n;
	for (size_t cut = 15; cut < sizeof(b); cut++) {
		fp_itch_stream_init(&s, b, cut);
		ck_assert_int_eq(fp_itch_stream_next(&s, &msg, &n), FP_ITCH_STREAM_OK);
		ck_assert_int_eq(fp_itch_stream_next(&s, &msg, &n), FP_ITCH_STREAM_TRUNCATED);
	}
	fp_itch_stream_init(&s, b, sizeof(b));
	ck_assert_int_eq(fp_itch_stream_next(&s, &msg, &n), FP_ITCH_STREAM_OK);
	ck_assert_int_eq(fp_itch_stream_next(&s, &msg, &n), FP_ITCH_STREAM_OK);
	ck_assert_uint_eq(n, 19);
	ck_assert_int_eq(fp_itch_stream_next(&s, &msg, &n), FP_ITCH_STREAM_END);
	ck_assert(fp_itch_stream_probe(b, sizeof(b)));
	/* A zero prefix before an unknown type cannot be sized. */
	uint8_t z[4] = {0, 0, 'Z', 0};
	fp_itch_stream_init(&s, z, sizeof(z));
	ck_assert_int_eq(fp_itch_stream_next(&s, &msg, &n), FP_ITCH_STREAM_BAD);
	ck_assert(!fp_itch_stream_probe(z, sizeof(z)));
	const char text[] = "this is not an ITCH file at all";
	ck_assert(!fp_itch_stream_probe(text, sizeof(text)));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_itch");
	TCase *tc = tcase_create("spec");
	tcase_add_test(tc, test_itch_rejects_short_long_and_unknown);
	tcase_add_test(tc, test_itch_length_table_matches_spec);
	tcase_add_test(tc, test_itch_fields_cover_each_message);
	tcase_add_test(tc, test_itch_price_and_timestamp_helpers);
	tcase_add_test(tc, test_itch_spec_vectors_for_uncaptured_types);
	tcase_add_loop_test(tc, test_itch_random_bodies_round_trip, 0, 8);
	suite_add_tcase(s, tc);
	tc = tcase_create("captures");
	tcase_add_loop_test(tc, test_itch_every_capture_decodes_and_round_trips, 0,
			    (int)FP_ARRAY_SIZE(captures));
	tcase_add_test(tc, test_itch_add_order_readme_fields);
	tcase_add_test(tc, test_itch_order_replace_capture_fields);
	tcase_add_test(tc, test_itch_capture_fields_by_type);
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_add_test(tc, test_itch_stream_cuts_and_probe);
	tcase_add_test(tc, test_itch_ritch_file_counts);
	tcase_add_test(tc, test_itch_bbekele_file_counts);
	tcase_add_test(tc, test_itch_lukef_file_is_truncated);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
