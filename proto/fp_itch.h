/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_itch.h - NASDAQ TotalView-ITCH 5.0 codec: every message type, wire layouts, lengths,
 * decode into a host-order typed view, encode from it.
 *
 * Pure functions over caller memory, no allocation, no I/O, no errno: any process or thread,
 * hot path included. The receive side checks and decodes (or reads the wire structs through
 * the accessors below); the simulator encodes. The spec is NQTVITCHSpecification (Nasdaq
 * TotalView-ITCH 5.0, revision of April 28, 2023) in ../shared/data/specs/.
 *
 * Data types (spec, "Data Types"): every integer is big-endian and unsigned; Alpha fields are
 * ASCII, left-justified and space-padded; Price(4) is a u32 with 4 implied decimals
 * (873900 = 87.3900), Price(8) a u64 with 8; Timestamp is 6 bytes of nanoseconds since
 * midnight. Every message begins with the same 11 bytes (struct fp_itch_hdr):
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       1     message_type     one ASCII letter, table below
 *   1       2     stock_locate     locate code of the security for the day; 0 = not stock related
 *   3       2     tracking_number  Nasdaq internal tracking number
 *   5       6     timestamp        nanoseconds since midnight
 *
 * Messages (type, length in bytes, wire struct):
 *   S 12 system_event                R 39 stock_directory          H 25 stock_trading_action
 *   Y 20 reg_sho_restriction         L 26 market_participant_position
 *   V 35 mwcb_decline_level          W 12 mwcb_status              K 28 ipo_quoting_period_update
 *   J 35 luld_auction_collar         h 21 operational_halt         A 36 add_order
 *   F 40 add_order_mpid              E 31 order_executed           C 36 order_executed_with_price
 *   X 23 order_cancel                D 19 order_delete             U 35 order_replace
 *   P 44 trade                       Q 40 cross_trade              B 19 broken_trade
 *   I 50 noii                        N 20 rpii                     O 48 dlcr
 *
 * The field list of each message is written once, in FP_ITCH_FIELDS_<name>() below (kind,
 * snake_case spec name, offset, size); the typed views, decode, encode, the field descriptors
 * used by fastpath-md and the offset asserts of the wire structs are all generated from it.
 */
#ifndef FP_ITCH_H
#define FP_ITCH_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "fp_compiler.h"
#include "fp_endian.h"

#define FP_ITCH_HDR_LEN  11
#define FP_ITCH_MAX_LEN  50 /**< longest message: 'I' NOII */
#define FP_ITCH_NB_TYPES 23

/* ---- field lists: F(kind, field, offset, size), straight from the spec's tables ---- */

/* Kinds: CHAR Alpha(1); STR Alpha(n); U16/U32/U64 Integer; P4 Price(4) u32; P8 Price(8) u64. */

/* 1.1 System Event */
#define FP_ITCH_FIELDS_system_event(F) F(CHAR, event_code, 11, 1)

/* 1.2.1 Stock Directory */
#define FP_ITCH_FIELDS_stock_directory(F)              \
	F(STR, stock, 11, 8)                           \
	F(CHAR, market_category, 19, 1)                \
	F(CHAR, financial_status_indicator, 20, 1)     \
	F(U32, round_lot_size, 21, 4)                  \
	F(CHAR, round_lots_only, 25, 1)                \
	F(CHAR, issue_classification, 26, 1)           \
	F(STR, issue_sub_type, 27, 2)                  \
	F(CHAR, authenticity, 29, 1)                   \
	F(CHAR, short_sale_threshold_indicator, 30, 1) \
	F(CHAR, ipo_flag, 31, 1)                       \
	F(CHAR, luld_reference_price_tier, 32, 1)      \
	F(CHAR, etp_flag, 33, 1)                       \
	F(U32, etp_leverage_factor, 34, 4)             \
	F(CHAR, inverse_indicator, 38, 1)

/* 1.2.2 Stock Trading Action */
#define FP_ITCH_FIELDS_stock_trading_action(F) \
	F(STR, stock, 11, 8)                   \
	F(CHAR, trading_state, 19, 1)          \
	F(CHAR, reserved, 20, 1)               \
	F(STR, reason, 21, 4)

/* 1.2.3 Reg SHO Short Sale Price Test Restricted Indicator */
#define FP_ITCH_FIELDS_reg_sho_restriction(F) \
	F(STR, stock, 11, 8)                  \
	F(CHAR, reg_sho_action, 19, 1)

/* 1.2.4 Market Participant Position */
#define FP_ITCH_FIELDS_market_participant_position(F) \
	F(STR, mpid, 11, 4)                           \
	F(STR, stock, 15, 8)                          \
	F(CHAR, primary_market_maker, 23, 1)          \
	F(CHAR, market_maker_mode, 24, 1)             \
	F(CHAR, market_participant_state, 25, 1)

/* 1.2.5.1 MWCB Decline Level */
#define FP_ITCH_FIELDS_mwcb_decline_level(F) \
	F(P8, level_1, 11, 8)                \
	F(P8, level_2, 19, 8)                \
	F(P8, level_3, 27, 8)

/* 1.2.5.2 MWCB Status */
#define FP_ITCH_FIELDS_mwcb_status(F) F(CHAR, breached_level, 11, 1)

/* 1.2.6 IPO Quoting Period Update */
#define FP_ITCH_FIELDS_ipo_quoting_period_update(F)     \
	F(STR, stock, 11, 8)                            \
	F(U32, ipo_quotation_release_time, 19, 4)       \
	F(CHAR, ipo_quotation_release_qualifier, 23, 1) \
	F(P4, ipo_price, 24, 4)

/* 1.2.7 LULD Auction Collar */
#define FP_ITCH_FIELDS_luld_auction_collar(F)        \
	F(STR, stock, 11, 8)                         \
	F(P4, auction_collar_reference_price, 19, 4) \
	F(P4, upper_auction_collar_price, 23, 4)     \
	F(P4, lower_auction_collar_price, 27, 4)     \
	F(U32, auction_collar_extension, 31, 4)

/* 1.2.8 Operational Halt */
#define FP_ITCH_FIELDS_operational_halt(F) \
	F(STR, stock, 11, 8)               \
	F(CHAR, market_code, 19, 1)        \
	F(CHAR, operational_halt_action, 20, 1)

/* 1.3.1 Add Order - No MPID Attribution */
#define FP_ITCH_FIELDS_add_order(F)           \
	F(U64, order_reference_number, 11, 8) \
	F(CHAR, buy_sell_indicator, 19, 1)    \
	F(U32, shares, 20, 4)                 \
	F(STR, stock, 24, 8)                  \
	F(P4, price, 32, 4)

/* 1.3.2 Add Order with MPID Attribution */
#define FP_ITCH_FIELDS_add_order_mpid(F) FP_ITCH_FIELDS_add_order(F) F(STR, attribution, 36, 4)

/* 1.4.1 Order Executed */
#define FP_ITCH_FIELDS_order_executed(F)      \
	F(U64, order_reference_number, 11, 8) \
	F(U32, executed_shares, 19, 4)        \
	F(U64, match_number, 23, 8)

/* 1.4.2 Order Executed With Price */
#define FP_ITCH_FIELDS_order_executed_with_price(F) \
	FP_ITCH_FIELDS_order_executed(F) F(CHAR, printable, 31, 1) F(P4, execution_price, 32, 4)

/* 1.4.3 Order Cancel */
#define FP_ITCH_FIELDS_order_cancel(F)        \
	F(U64, order_reference_number, 11, 8) \
	F(U32, cancelled_shares, 19, 4)

/* 1.4.4 Order Delete */
#define FP_ITCH_FIELDS_order_delete(F) F(U64, order_reference_number, 11, 8)

/* 1.4.5 Order Replace */
#define FP_ITCH_FIELDS_order_replace(F)                \
	F(U64, original_order_reference_number, 11, 8) \
	F(U64, new_order_reference_number, 19, 8)      \
	F(U32, shares, 27, 4)                          \
	F(P4, price, 31, 4)

/* 1.5.1 Trade (Non-Cross) */
#define FP_ITCH_FIELDS_trade(F)               \
	F(U64, order_reference_number, 11, 8) \
	F(CHAR, buy_sell_indicator, 19, 1)    \
	F(U32, shares, 20, 4)                 \
	F(STR, stock, 24, 8)                  \
	F(P4, price, 32, 4)                   \
	F(U64, match_number, 36, 8)

/* 1.5.2 Cross Trade */
#define FP_ITCH_FIELDS_cross_trade(F) \
	F(U64, shares, 11, 8)         \
	F(STR, stock, 19, 8)          \
	F(P4, cross_price, 27, 4)     \
	F(U64, match_number, 31, 8)   \
	F(CHAR, cross_type, 39, 1)

/* 1.5.3 Broken Trade / Order Execution */
#define FP_ITCH_FIELDS_broken_trade(F) F(U64, match_number, 11, 8)

/* 1.6 Net Order Imbalance Indicator (NOII) */
#define FP_ITCH_FIELDS_noii(F)                \
	F(U64, paired_shares, 11, 8)          \
	F(U64, imbalance_shares, 19, 8)       \
	F(CHAR, imbalance_direction, 27, 1)   \
	F(STR, stock, 28, 8)                  \
	F(P4, far_price, 36, 4)               \
	F(P4, near_price, 40, 4)              \
	F(P4, current_reference_price, 44, 4) \
	F(CHAR, cross_type, 48, 1)            \
	F(CHAR, price_variation_indicator, 49, 1)

/* 1.7 Retail Price Improvement Indicator (RPII) */
#define FP_ITCH_FIELDS_rpii(F) \
	F(STR, stock, 11, 8)   \
	F(CHAR, interest_flag, 19, 1)

/* 1.8 Direct Listing with Capital Raise Price Discovery */
#define FP_ITCH_FIELDS_dlcr(F)                  \
	F(STR, stock, 11, 8)                    \
	F(CHAR, open_eligibility_status, 19, 1) \
	F(P4, minimum_allowable_price, 20, 4)   \
	F(P4, maximum_allowable_price, 24, 4)   \
	F(P4, near_execution_price, 28, 4)      \
	F(U64, near_execution_time, 32, 8)      \
	F(P4, lower_price_range_collar, 40, 4)  \
	F(P4, upper_price_range_collar, 44, 4)

/** Every message: M(type letter, name, length). Spec order. */
#define FP_ITCH_MESSAGES(M)                     \
	M('S', system_event, 12)                \
	M('R', stock_directory, 39)             \
	M('H', stock_trading_action, 25)        \
	M('Y', reg_sho_restriction, 20)         \
	M('L', market_participant_position, 26) \
	M('V', mwcb_decline_level, 35)          \
	M('W', mwcb_status, 12)                 \
	M('K', ipo_quoting_period_update, 28)   \
	M('J', luld_auction_collar, 35)         \
	M('h', operational_halt, 21)            \
	M('A', add_order, 36)                   \
	M('F', add_order_mpid, 40)              \
	M('E', order_executed, 31)              \
	M('C', order_executed_with_price, 36)   \
	M('X', order_cancel, 23)                \
	M('D', order_delete, 19)                \
	M('U', order_replace, 35)               \
	M('P', trade, 44)                       \
	M('Q', cross_trade, 40)                 \
	M('B', broken_trade, 19)                \
	M('I', noii, 50)                        \
	M('N', rpii, 20)                        \
	M('O', dlcr, 48)

/* ---- wire structs (packed, spec order; read them through fp_endian.h accessors) ---- */

struct fp_itch_hdr {
	char message_type;
	fp_be16_t stock_locate;
	fp_be16_t tracking_number;
	uint8_t timestamp[6];
} FP_PACKED;

/*
 * 1.1 System Event ('S', 12 bytes)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       11    hdr         common header, message_type 'S'
 *   11      1     event_code  O S Q M E C: start of messages, system hours, market hours; end of
 *                      market hours, system hours, messages
 */
struct fp_itch_system_event {
	struct fp_itch_hdr hdr;
	char event_code;
} FP_PACKED;

/*
 * 1.2.1 Stock Directory ('R', 39 bytes)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       11    hdr                             common header, message_type 'R'
 *   11      8     stock                           symbol, space padded
 *   19      1     market_category                 Q G S Nasdaq tiers; N A P Z V others; space
 *   20      1     financial_status_indicator      D E Q S G H J K C N, space
 *   21      4     round_lot_size                  shares in a round lot
 *   25      1     round_lots_only                 Y round lots only, N any size
 *   26      1     issue_classification            Appendix D
 *   27      2     issue_sub_type                  Appendix E
 *   29      1     authenticity                    P live/production, T test
 *   30      1     short_sale_threshold_indicator  Y restricted (Rule 203(b)(3)), N not, space
 *   31      1     ipo_flag                        Y new IPO, N not, space
 *   32      1     luld_reference_price_tier       1 tier 1, 2 tier 2, space
 *   33      1     etp_flag                        Y ETP, N not, space
 *   34      4     etp_leverage_factor             integer leverage of the ETP
 *   38      1     inverse_indicator               Y inverse ETP, N not
 */
struct fp_itch_stock_directory {
	struct fp_itch_hdr hdr;
	char stock[8];
	char market_category;
	char financial_status_indicator;
	fp_be32_t round_lot_size;
	char round_lots_only;
	char issue_classification;
	char issue_sub_type[2];
	char authenticity;
	char short_sale_threshold_indicator;
	char ipo_flag;
	char luld_reference_price_tier;
	char etp_flag;
	fp_be32_t etp_leverage_factor;
	char inverse_indicator;
} FP_PACKED;

/*
 * 1.2.2 Stock Trading Action ('H', 25 bytes)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       11    hdr            common header, message_type 'H'
 *   11      8     stock          symbol, space padded
 *   19      1     trading_state  H halted, P paused, Q quotation only, T trading
 *   20      1     reserved       reserved
 *   21      4     reason         trading action reason (Appendix C)
 */
struct fp_itch_stock_trading_action {
	struct fp_itch_hdr hdr;
	char stock[8];
	char trading_state;
	char reserved;
	char reason[4];
} FP_PACKED;

/*
 * 1.2.3 Reg SHO Short Sale Price Test Restricted Indicator ('Y', 20 bytes)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       11    hdr             common header, message_type 'Y'
 *   11      8     stock           symbol, space padded
 *   19      1     reg_sho_action  0 no test, 1 restriction (intraday drop), 2 restriction remains
 */
struct fp_itch_reg_sho_restriction {
	struct fp_itch_hdr hdr;
	char stock[8];
	char reg_sho_action;
} FP_PACKED;

/*
 * 1.2.4 Market Participant Position ('L', 26 bytes)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       11    hdr                       common header, message_type 'L'
 *   11      4     mpid                      market participant identifier
 *   15      8     stock                     symbol, space padded
 *   23      1     primary_market_maker      Y primary, N not
 *   24      1     market_maker_mode         N normal P passive S syndicate R pre-synd. L penalty
 *   25      1     market_participant_state  A active E excused W withdrawn S susp. D deleted
 */
struct fp_itch_market_participant_position {
	struct fp_itch_hdr hdr;
	char mpid[4];
	char stock[8];
	char primary_market_maker;
	char market_maker_mode;
	char market_participant_state;
} FP_PACKED;

/*
 * 1.2.5.1 MWCB Decline Level ('V', 35 bytes)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       11    hdr      common header, message_type 'V'
 *   11      8     level_1  MWCB level 1, Price(8)
 *   19      8     level_2  MWCB level 2, Price(8)
 *   27      8     level_3  MWCB level 3, Price(8)
 */
struct fp_itch_mwcb_decline_level {
	struct fp_itch_hdr hdr;
	fp_be64_t level_1;
	fp_be64_t level_2;
	fp_be64_t level_3;
} FP_PACKED;

/*
 * 1.2.5.2 MWCB Status ('W', 12 bytes)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       11    hdr             common header, message_type 'W'
 *   11      1     breached_level  1, 2 or 3
 */
struct fp_itch_mwcb_status {
	struct fp_itch_hdr hdr;
	char breached_level;
} FP_PACKED;

/*
 * 1.2.6 IPO Quoting Period Update ('K', 28 bytes)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       11    hdr                              common header, message_type 'K'
 *   11      8     stock                            symbol, space padded
 *   19      4     ipo_quotation_release_time       seconds since midnight (0 if cancelled)
 *   23      1     ipo_quotation_release_qualifier  A anticipated, C cancelled/postponed
 *   24      4     ipo_price                        Price(4) (0 if cancelled)
 */
struct fp_itch_ipo_quoting_period_update {
	struct fp_itch_hdr hdr;
	char stock[8];
	fp_be32_t ipo_quotation_release_time;
	char ipo_quotation_release_qualifier;
	fp_be32_t ipo_price;
} FP_PACKED;

/*
 * 1.2.7 LULD Auction Collar ('J', 35 bytes)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       11    hdr                             common header, message_type 'J'
 *   11      8     stock                           symbol, space padded
 *   19      4     auction_collar_reference_price  Price(4)
 *   23      4     upper_auction_collar_price      Price(4)
 *   27      4     lower_auction_collar_price      Price(4)
 *   31      4     auction_collar_extension        number of extensions of the reopening auction
 */
struct fp_itch_luld_auction_collar {
	struct fp_itch_hdr hdr;
	char stock[8];
	fp_be32_t auction_collar_reference_price;
	fp_be32_t upper_auction_collar_price;
	fp_be32_t lower_auction_collar_price;
	fp_be32_t auction_collar_extension;
} FP_PACKED;

/*
 * 1.2.8 Operational Halt ('h', 21 bytes)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       11    hdr                      common header, message_type 'h'
 *   11      8     stock                    symbol, space padded
 *   19      1     market_code              Q Nasdaq, B BX, X PSX
 *   20      1     operational_halt_action  H halted, T resumed
 */
struct fp_itch_operational_halt {
	struct fp_itch_hdr hdr;
	char stock[8];
	char market_code;
	char operational_halt_action;
} FP_PACKED;

/*
 * 1.3.1 Add Order - No MPID Attribution ('A', 36 bytes)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       11    hdr                     common header, message_type 'A'
 *   11      8     order_reference_number  day-unique order reference
 *   19      1     buy_sell_indicator      B buy, S sell
 *   20      4     shares                  shares
 *   24      8     stock                   symbol, space padded
 *   32      4     price                   Price(4)
 */
struct fp_itch_add_order {
	struct fp_itch_hdr hdr;
	fp_be64_t order_reference_number;
	char buy_sell_indicator;
	fp_be32_t shares;
	char stock[8];
	fp_be32_t price;
} FP_PACKED;

/*
 * 1.3.2 Add Order with MPID Attribution ('F', 40 bytes)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       11    hdr                     common header, message_type 'F'
 *   11      8     order_reference_number  day-unique order reference
 *   19      1     buy_sell_indicator      B buy, S sell
 *   20      4     shares                  shares
 *   24      8     stock                   symbol, space padded
 *   32      4     price                   Price(4)
 *   36      4     attribution             MPID of the order
 */
struct fp_itch_add_order_mpid {
	struct fp_itch_hdr hdr;
	fp_be64_t order_reference_number;
	char buy_sell_indicator;
	fp_be32_t shares;
	char stock[8];
	fp_be32_t price;
	char attribution[4];
} FP_PACKED;

/*
 * 1.4.1 Order Executed ('E', 31 bytes)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       11    hdr                     common header, message_type 'E'
 *   11      8     order_reference_number  day-unique order reference
 *   19      4     executed_shares         shares executed
 *   23      8     match_number            day-unique match number
 */
struct fp_itch_order_executed {
	struct fp_itch_hdr hdr;
	fp_be64_t order_reference_number;
	fp_be32_t executed_shares;
	fp_be64_t match_number;
} FP_PACKED;

/*
 * 1.4.2 Order Executed With Price ('C', 36 bytes)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       11    hdr                     common header, message_type 'C'
 *   11      8     order_reference_number  day-unique order reference
 *   19      4     executed_shares         shares executed
 *   23      8     match_number            day-unique match number
 *   31      1     printable               Y printable, N non-printable
 *   32      4     execution_price         Price(4)
 */
struct fp_itch_order_executed_with_price {
	struct fp_itch_hdr hdr;
	fp_be64_t order_reference_number;
	fp_be32_t executed_shares;
	fp_be64_t match_number;
	char printable;
	fp_be32_t execution_price;
} FP_PACKED;

/*
 * 1.4.3 Order Cancel ('X', 23 bytes)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       11    hdr                     common header, message_type 'X'
 *   11      8     order_reference_number  day-unique order reference
 *   19      4     cancelled_shares        shares removed from the display size
 */
struct fp_itch_order_cancel {
	struct fp_itch_hdr hdr;
	fp_be64_t order_reference_number;
	fp_be32_t cancelled_shares;
} FP_PACKED;

/*
 * 1.4.4 Order Delete ('D', 19 bytes)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       11    hdr                     common header, message_type 'D'
 *   11      8     order_reference_number  day-unique order reference
 */
struct fp_itch_order_delete {
	struct fp_itch_hdr hdr;
	fp_be64_t order_reference_number;
} FP_PACKED;

/*
 * 1.4.5 Order Replace ('U', 35 bytes)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       11    hdr                              common header, message_type 'U'
 *   11      8     original_order_reference_number  order being replaced
 *   19      8     new_order_reference_number       reference used from now on
 *   27      4     shares                           new displayed shares
 *   31      4     price                            new display price, Price(4)
 */
struct fp_itch_order_replace {
	struct fp_itch_hdr hdr;
	fp_be64_t original_order_reference_number;
	fp_be64_t new_order_reference_number;
	fp_be32_t shares;
	fp_be32_t price;
} FP_PACKED;

/*
 * 1.5.1 Trade (Non-Cross) ('P', 44 bytes)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       11    hdr                     common header, message_type 'P'
 *   11      8     order_reference_number  0 since 2010
 *   19      1     buy_sell_indicator      always B since 2014
 *   20      4     shares                  shares
 *   24      8     stock                   symbol, space padded
 *   32      4     price                   match price, Price(4)
 *   36      8     match_number            day-unique match number
 */
struct fp_itch_trade {
	struct fp_itch_hdr hdr;
	fp_be64_t order_reference_number;
	char buy_sell_indicator;
	fp_be32_t shares;
	char stock[8];
	fp_be32_t price;
	fp_be64_t match_number;
} FP_PACKED;

/*
 * 1.5.2 Cross Trade ('Q', 40 bytes)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       11    hdr           common header, message_type 'Q'
 *   11      8     shares        shares matched in the cross
 *   19      8     stock         symbol, space padded
 *   27      4     cross_price   Price(4)
 *   31      8     match_number  day-unique match number
 *   39      1     cross_type    O opening, C closing, H IPO or halted
 */
struct fp_itch_cross_trade {
	struct fp_itch_hdr hdr;
	fp_be64_t shares;
	char stock[8];
	fp_be32_t cross_price;
	fp_be64_t match_number;
	char cross_type;
} FP_PACKED;

/*
 * 1.5.3 Broken Trade / Order Execution ('B', 19 bytes)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       11    hdr           common header, message_type 'B'
 *   11      8     match_number  day-unique match number
 */
struct fp_itch_broken_trade {
	struct fp_itch_hdr hdr;
	fp_be64_t match_number;
} FP_PACKED;

/*
 * 1.6 Net Order Imbalance Indicator (NOII) ('I', 50 bytes)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       11    hdr                        common header, message_type 'I'
 *   11      8     paired_shares              shares matched at the reference price
 *   19      8     imbalance_shares           shares not paired
 *   27      1     imbalance_direction        B buy, S sell, N none, O insufficient orders, P paused
 *   28      8     stock                      symbol, space padded
 *   36      4     far_price                  Price(4), cross orders only
 *   40      4     near_price                 Price(4), cross and continuous
 *   44      4     current_reference_price    Price(4)
 *   48      1     cross_type                 O opening, C closing, H IPO/halted, A ext. close
 *   49      1     price_variation_indicator  L <1%, 1..9, A 10-19.99%, B 20-29.99%, C >=30%, space
 */
struct fp_itch_noii {
	struct fp_itch_hdr hdr;
	fp_be64_t paired_shares;
	fp_be64_t imbalance_shares;
	char imbalance_direction;
	char stock[8];
	fp_be32_t far_price;
	fp_be32_t near_price;
	fp_be32_t current_reference_price;
	char cross_type;
	char price_variation_indicator;
} FP_PACKED;

/*
 * 1.7 Retail Price Improvement Indicator (RPII) ('N', 20 bytes)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       11    hdr            common header, message_type 'N'
 *   11      8     stock          symbol, space padded
 *   19      1     interest_flag  B buy, S sell, A both, N none
 */
struct fp_itch_rpii {
	struct fp_itch_hdr hdr;
	char stock[8];
	char interest_flag;
} FP_PACKED;

/*
 * 1.8 Direct Listing with Capital Raise Price Discovery ('O', 48 bytes)
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       11    hdr                       common header, message_type 'O'
 *   11      8     stock                     symbol, space padded
 *   19      1     open_eligibility_status   N not eligible, Y eligible
 *   20      4     minimum_allowable_price   Price(4)
 *   24      4     maximum_allowable_price   Price(4)
 *   28      4     near_execution_price      Price(4)
 *   32      8     near_execution_time       time the near execution price was set
 *   40      4     lower_price_range_collar  Price(4)
 *   44      4     upper_price_range_collar  Price(4)
 */
struct fp_itch_dlcr {
	struct fp_itch_hdr hdr;
	char stock[8];
	char open_eligibility_status;
	fp_be32_t minimum_allowable_price;
	fp_be32_t maximum_allowable_price;
	fp_be32_t near_execution_price;
	fp_be64_t near_execution_time;
	fp_be32_t lower_price_range_collar;
	fp_be32_t upper_price_range_collar;
} FP_PACKED;

static_assert(sizeof(struct fp_itch_hdr) == FP_ITCH_HDR_LEN, "ITCH header is 11 bytes");
static_assert(offsetof(struct fp_itch_hdr, stock_locate) == 1, "stock_locate offset");
static_assert(offsetof(struct fp_itch_hdr, tracking_number) == 3, "tracking_number offset");
static_assert(offsetof(struct fp_itch_hdr, timestamp) == 5, "timestamp offset");

/* Each wire struct has the spec's length and every field sits at the spec's offset. */
/*
 * clang-format off: the X-macro invocations below end without a semicolon (each expands
 * to static asserts or declarations that carry their own), which clang-format 14 reads
 * as one statement continuing over the lines, indenting one step more on every line.
 */
/* clang-format off */
#define FP_ITCH__ASSERT_FIELD(kind, field, off, size)                               \
	static_assert(offsetof(FP_ITCH__CUR, field) == (off), "offset of " #field); \
	static_assert(sizeof(((FP_ITCH__CUR *)0)->field) == (size), "size of " #field);
#define FP_ITCH__CUR struct fp_itch_system_event
FP_ITCH_FIELDS_system_event(FP_ITCH__ASSERT_FIELD)
#undef FP_ITCH__CUR
#define FP_ITCH__CUR struct fp_itch_stock_directory
FP_ITCH_FIELDS_stock_directory(FP_ITCH__ASSERT_FIELD)
#undef FP_ITCH__CUR
#define FP_ITCH__CUR struct fp_itch_stock_trading_action
FP_ITCH_FIELDS_stock_trading_action(FP_ITCH__ASSERT_FIELD)
#undef FP_ITCH__CUR
#define FP_ITCH__CUR struct fp_itch_reg_sho_restriction
FP_ITCH_FIELDS_reg_sho_restriction(FP_ITCH__ASSERT_FIELD)
#undef FP_ITCH__CUR
#define FP_ITCH__CUR struct fp_itch_market_participant_position
FP_ITCH_FIELDS_market_participant_position(FP_ITCH__ASSERT_FIELD)
#undef FP_ITCH__CUR
#define FP_ITCH__CUR struct fp_itch_mwcb_decline_level
FP_ITCH_FIELDS_mwcb_decline_level(FP_ITCH__ASSERT_FIELD)
#undef FP_ITCH__CUR
#define FP_ITCH__CUR struct fp_itch_mwcb_status
FP_ITCH_FIELDS_mwcb_status(FP_ITCH__ASSERT_FIELD)
#undef FP_ITCH__CUR
#define FP_ITCH__CUR struct fp_itch_ipo_quoting_period_update
FP_ITCH_FIELDS_ipo_quoting_period_update(FP_ITCH__ASSERT_FIELD)
#undef FP_ITCH__CUR
#define FP_ITCH__CUR struct fp_itch_luld_auction_collar
FP_ITCH_FIELDS_luld_auction_collar(FP_ITCH__ASSERT_FIELD)
#undef FP_ITCH__CUR
#define FP_ITCH__CUR struct fp_itch_operational_halt
FP_ITCH_FIELDS_operational_halt(FP_ITCH__ASSERT_FIELD)
#undef FP_ITCH__CUR
#define FP_ITCH__CUR struct fp_itch_add_order
FP_ITCH_FIELDS_add_order(FP_ITCH__ASSERT_FIELD)
#undef FP_ITCH__CUR
#define FP_ITCH__CUR struct fp_itch_add_order_mpid
FP_ITCH_FIELDS_add_order_mpid(FP_ITCH__ASSERT_FIELD)
#undef FP_ITCH__CUR
#define FP_ITCH__CUR struct fp_itch_order_executed
FP_ITCH_FIELDS_order_executed(FP_ITCH__ASSERT_FIELD)
#undef FP_ITCH__CUR
#define FP_ITCH__CUR struct fp_itch_order_executed_with_price
FP_ITCH_FIELDS_order_executed_with_price(FP_ITCH__ASSERT_FIELD)
#undef FP_ITCH__CUR
#define FP_ITCH__CUR struct fp_itch_order_cancel
FP_ITCH_FIELDS_order_cancel(FP_ITCH__ASSERT_FIELD)
#undef FP_ITCH__CUR
#define FP_ITCH__CUR struct fp_itch_order_delete
FP_ITCH_FIELDS_order_delete(FP_ITCH__ASSERT_FIELD)
#undef FP_ITCH__CUR
#define FP_ITCH__CUR struct fp_itch_order_replace
FP_ITCH_FIELDS_order_replace(FP_ITCH__ASSERT_FIELD)
#undef FP_ITCH__CUR
#define FP_ITCH__CUR struct fp_itch_trade
FP_ITCH_FIELDS_trade(FP_ITCH__ASSERT_FIELD)
#undef FP_ITCH__CUR
#define FP_ITCH__CUR struct fp_itch_cross_trade
FP_ITCH_FIELDS_cross_trade(FP_ITCH__ASSERT_FIELD)
#undef FP_ITCH__CUR
#define FP_ITCH__CUR struct fp_itch_broken_trade
FP_ITCH_FIELDS_broken_trade(FP_ITCH__ASSERT_FIELD)
#undef FP_ITCH__CUR
#define FP_ITCH__CUR struct fp_itch_noii
FP_ITCH_FIELDS_noii(FP_ITCH__ASSERT_FIELD)
#undef FP_ITCH__CUR
#define FP_ITCH__CUR struct fp_itch_rpii
FP_ITCH_FIELDS_rpii(FP_ITCH__ASSERT_FIELD)
#undef FP_ITCH__CUR
#define FP_ITCH__CUR struct fp_itch_dlcr
FP_ITCH_FIELDS_dlcr(FP_ITCH__ASSERT_FIELD)
#undef FP_ITCH__CUR
#undef FP_ITCH__ASSERT_FIELD

#define FP_ITCH__ASSERT_SIZE(ch, name, len) \
	static_assert(sizeof(struct fp_itch_##name) == (len), "length of " #name);
FP_ITCH_MESSAGES(FP_ITCH__ASSERT_SIZE)
#undef FP_ITCH__ASSERT_SIZE

/* ---- typed views: host order, same field names; Alpha stays space padded, not terminated ---- */

#define FP_ITCH__DECL_CHAR(field, size)       char field;
#define FP_ITCH__DECL_STR(field, size)        char field[size];
#define FP_ITCH__DECL_U16(field, size)        uint16_t field;
#define FP_ITCH__DECL_U32(field, size)        uint32_t field;
#define FP_ITCH__DECL_U64(field, size)        uint64_t field;
#define FP_ITCH__DECL_P4(field, size)         uint32_t field; /* Price(4) */
#define FP_ITCH__DECL_P8(field, size)         uint64_t field; /* Price(8) */
#define FP_ITCH__DECL(kind, field, off, size) FP_ITCH__DECL_##kind(field, size)
#define FP_ITCH__VIEW(ch, name, len)                 \
	struct fp_itch_##name##_v {                  \
		FP_ITCH_FIELDS_##name(FP_ITCH__DECL) \
	};
FP_ITCH_MESSAGES(FP_ITCH__VIEW)
#undef FP_ITCH__VIEW

/** A decoded message: the common header, then the view selected by `type`. */
struct fp_itch_msg {
	char type; /**< message_type */
	uint16_t stock_locate;
	uint16_t tracking_number;
	uint64_t timestamp; /**< ns since midnight */
	union {
#define FP_ITCH__MEMBER(ch, name, len) struct fp_itch_##name##_v name;
		FP_ITCH_MESSAGES(FP_ITCH__MEMBER)
#undef FP_ITCH__MEMBER
	} u;
};
/* clang-format on */

/** Decode outcome. FP_ITCH_OK = 0. */
enum fp_itch_result {
	FP_ITCH_OK = 0,
	FP_ITCH_UNKNOWN_TYPE,    /**< first byte is no ITCH 5.0 message type */
	FP_ITCH_SHORT,           /**< fewer bytes than the type's length (or none) */
	FP_ITCH_LENGTH_MISMATCH, /**< more bytes than the type's length */
	FP_ITCH_RESULT_MAX
};

/** Field kinds of the descriptor table (the F() kinds above). */
enum fp_itch_kind {
	FP_ITCH_KIND_CHAR = 1, /**< Alpha(1) */
	FP_ITCH_KIND_STR,      /**< Alpha(n), space padded */
	FP_ITCH_KIND_U16,
	FP_ITCH_KIND_U32,
	FP_ITCH_KIND_U64,
	FP_ITCH_KIND_P4, /**< Price(4) in a u32 */
	FP_ITCH_KIND_P8, /**< Price(8) in a u64 */
};

/** One field of a message, for generic printers (fastpath-md) and tests. */
struct fp_itch_field {
	const char *name; /**< spec name in snake_case */
	uint8_t kind;     /**< enum fp_itch_kind */
	uint8_t offset;   /**< in the message */
	uint8_t size;     /**< bytes on the wire */
};

/** One message type. */
struct fp_itch_desc {
	char type;
	uint8_t length;
	uint8_t nb_fields;
	uint8_t index;                      /**< 0..FP_ITCH_NB_TYPES-1, spec order */
	const char *name;                   /**< e.g. "add_order" */
	const struct fp_itch_field *fields; /**< after the common header, in wire order */
};

/**
 * Length in bytes of each message type, 0 for a byte that is no ITCH 5.0 type. Indexed by
 * the type byte; read-only.
 */
extern const uint8_t fp_itch_msg_len[256];

/** Length of messages of type @p type; 0 when unknown. Any thread; pure. */
static inline uint32_t fp_itch_length(uint8_t type)
{
	return fp_itch_msg_len[type];
}

/**
 * Check a message's type and length without decoding it. Any thread; pure; hot path.
 * @return FP_ITCH_OK, FP_ITCH_SHORT (len 0 or below the type's length), FP_ITCH_UNKNOWN_TYPE,
 *         FP_ITCH_LENGTH_MISMATCH (more bytes than the type's length)
 */
static inline enum fp_itch_result fp_itch_check(const void *msg, uint32_t len)
{
	if (fp_unlikely(len == 0))
		return FP_ITCH_SHORT;
	uint32_t want = fp_itch_msg_len[*(const uint8_t *)msg];
	if (fp_likely(len == want))
		return FP_ITCH_OK;
	if (want == 0)
		return FP_ITCH_UNKNOWN_TYPE;
	return len < want ? FP_ITCH_SHORT : FP_ITCH_LENGTH_MISMATCH;
}

/* Accessors of the common header (the message must hold at least FP_ITCH_HDR_LEN bytes). */
static inline uint16_t fp_itch_stock_locate(const void *msg)
{
	return fp_get_be16((const uint8_t *)msg + 1);
}

static inline uint16_t fp_itch_tracking_number(const void *msg)
{
	return fp_get_be16((const uint8_t *)msg + 3);
}

/** The 6-byte timestamp: nanoseconds since midnight. */
static inline uint64_t fp_itch_timestamp(const void *msg)
{
	return fp_get_be48((const uint8_t *)msg + 5);
}

/** Write the 6-byte timestamp (@p ns must be below 2^48). */
static inline void fp_itch_set_timestamp(void *msg, uint64_t ns)
{
	fp_put_be48((uint8_t *)msg + 5, ns);
}

/**
 * Decode one message into its typed view. Any thread; pure; hot path.
 *
 * @param msg  the message, starting at its type byte
 * @param len  its length (from MoldUDP64 or the file's length prefix)
 * @param out  filled (header and the view of its type) on FP_ITCH_OK only
 * @return see fp_itch_check()
 */
enum fp_itch_result fp_itch_decode(const void *msg, uint32_t len, struct fp_itch_msg *out);

/**
 * Encode a typed message into @p buf, big-endian, exactly as the spec lays it out.
 * Any thread; pure.
 *
 * @return bytes written (the type's length), or 0 when @p m->type is unknown or @p cap is
 *         smaller than the type's length
 */
uint32_t fp_itch_encode(const struct fp_itch_msg *m, void *buf, uint32_t cap);

/** Descriptor of a message type, NULL when unknown. */
const struct fp_itch_desc *fp_itch_desc(uint8_t type);

/** Descriptor number @p index (0..FP_ITCH_NB_TYPES-1), in spec order. */
const struct fp_itch_desc *fp_itch_desc_at(unsigned index);

/** Short lowercase name of a result ("ok", "unknown type", "short", "length mismatch"). */
const char *fp_itch_result_str(enum fp_itch_result r);

/**
 * Format a price as a decimal string with @p decimals places ("87.3900" for 873900, 4).
 * @return characters written (excluding the NUL); @p buf of 32 bytes always suffices.
 */
int fp_itch_price_str(char *buf, size_t cap, uint64_t price, unsigned decimals);

/* ---- raw ITCH files: a sequence of (u16 BE length, message) ---- */

/** Walks a buffer of length-prefixed messages (the format of NASDAQ's daily ITCH files). */
struct fp_itch_stream {
	const uint8_t *pos;
	const uint8_t *end;
	uint64_t nb_zero_len; /**< messages whose length prefix was 0 and were sized by type */
};

/** What fp_itch_stream_next() found. */
enum fp_itch_stream_result {
	FP_ITCH_STREAM_OK = 0,    /**< @p msg, @p len hold the next message */
	FP_ITCH_STREAM_END,       /**< clean end of the buffer */
	FP_ITCH_STREAM_TRUNCATED, /**< the last length prefix or message is cut short */
	FP_ITCH_STREAM_BAD,       /**< zero length prefix and an unknown type: cannot resync */
};

static inline void fp_itch_stream_init(struct fp_itch_stream *s, const void *buf, size_t len)
{
	s->pos = (const uint8_t *)buf;
	s->end = s->pos + len;
	s->nb_zero_len = 0;
}

/**
 * Next message of the stream. A length prefix of 0 (files that lost their prefixes, such as
 * RITCH's sample) is replaced by the length of the message's type and counted in
 * nb_zero_len. On anything but FP_ITCH_STREAM_OK the stream stays where it is.
 * Any thread; pure.
 */
static inline enum fp_itch_stream_result fp_itch_stream_next(struct fp_itch_stream *s,
							     const uint8_t **msg, uint32_t *len)
{
	size_t room = (size_t)(s->end - s->pos);
	if (room == 0)
		return FP_ITCH_STREAM_END;
	if (room < 2)
		return FP_ITCH_STREAM_TRUNCATED;
	uint32_t n = fp_get_be16(s->pos);
	int zero = (n == 0);
	if (zero) {
		if (room < 3)
			return FP_ITCH_STREAM_TRUNCATED;
		n = fp_itch_msg_len[s->pos[2]];
		if (n == 0)
			return FP_ITCH_STREAM_BAD;
	}
	if (room - 2 < n)
		return FP_ITCH_STREAM_TRUNCATED;
	*msg = s->pos + 2;
	*len = n;
	s->pos += 2 + (size_t)n;
	s->nb_zero_len += (uint64_t)zero;
	return FP_ITCH_STREAM_OK;
}

/**
 * Does @p buf look like a raw ITCH file? True when its first (up to) 8 length-prefixed
 * messages all have known types and lengths that match their type (or a zero prefix).
 * Any thread; pure.
 */
int fp_itch_stream_probe(const void *buf, size_t len);

#endif /* FP_ITCH_H */
