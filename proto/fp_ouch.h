/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ouch.h - NASDAQ OUCH 5.0 order entry messages: wire layouts, decode, encode, and the
 * appendage (TagValue options) of every message, shared by the gateway and the simulator.
 *
 * Pure code over caller buffers: no I/O, no allocation, no errno, no logging; any thread,
 * hot path included (decode and encode walk a small constant table per message type).
 *
 * Format: "OUCH 5.0 Order Entry Specification", NASDAQ, April 2023
 * (../shared/data/specs/OUCH5-0.txt). OUCH messages travel inside SoupBinTCP packets
 * (fp_soup.h): inbound (client -> host) in 'U' unsequenced data, outbound (host -> client)
 * in 'S' sequenced data; one message per packet, its length is the packet's payload length.
 * All numeric fields are big-endian binary; alpha fields are left-justified, space padded;
 * prices are unsigned with 4 implied decimals (FP_OUCH_PRICE_MARKET = 0x7FFFFFFF is the
 * market-order price for a cross). The same type letter means different messages in the two
 * directions (e.g. 'U' replace order / order replaced), so every call names its direction.
 *
 * Each message below is a table: FIELD, OFFSET, SIZE, KIND (the spec's numbers; KIND CHAR
 * is one alpha byte, ALPHA n alpha bytes, Un an n-bit big-endian integer). The table
 * generates the packed wire struct, a static_assert on every offset, and the codec's field
 * list, so the three cannot disagree. Every message except System Event ends with
 * Appendage Length (u16) and the Optional Appendage: a concatenation of TagValue elements
 *
 *   OFFSET  SIZE  FIELD         DESCRIPTION
 *   0       1     length        bytes that follow in this element (tag + value)
 *   1       1     option_tag    FP_OUCH_TAG_* (spec Appendix A)
 *   2       n     option_value  fixed size per tag
 *
 * Where the spec calls Appendage Length optional, a message that ends before it decodes
 * with has_appendage = 0 (the real Cancel Order and Canceled captures do that).
 *
 * Field names are the spec's in snake_case, with three renames where the spec reuses a name
 * for a different field: Rejected's 2-byte Reason is `reject_reason`, AIQ Canceled's
 * Quantity is `decrement_shares` (its spec name there), "User Reference Number" of the mass
 * cancel and order-entry-control messages is `user_ref_num`.
 */
#ifndef FP_OUCH_H
#define FP_OUCH_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "fp_compiler.h"
#include "fp_endian.h"

/** Largest message this codec writes or reads: 68 fixed bytes + every option once. */
#define FP_OUCH_MAX_MSG      256
/** Price that flags a market order for a cross ($214,748.3647). */
#define FP_OUCH_PRICE_MARKET 0x7FFFFFFFll
/** Largest ordinary limit price ($199,999.9900). */
#define FP_OUCH_PRICE_MAX    1999999900ll
/** Quantities must be below this. */
#define FP_OUCH_QTY_LIMIT    1000000u

enum fp_ouch_dir {
	FP_OUCH_INBOUND = 1,  /**< client -> host (in SoupBinTCP 'U') */
	FP_OUCH_OUTBOUND = 2, /**< host -> client (in SoupBinTCP 'S') */
};

/* Inbound message types. */
#define FP_OUCH_ENTER_ORDER            'O'
#define FP_OUCH_REPLACE_ORDER          'U'
#define FP_OUCH_CANCEL_ORDER           'X'
#define FP_OUCH_MODIFY_ORDER           'M'
#define FP_OUCH_MASS_CANCEL            'C'
#define FP_OUCH_DISABLE_ORDER_ENTRY    'D'
#define FP_OUCH_ENABLE_ORDER_ENTRY     'E'
#define FP_OUCH_ACCOUNT_QUERY          'Q'
/* Outbound message types. */
#define FP_OUCH_SYSTEM_EVENT           'S'
#define FP_OUCH_ORDER_ACCEPTED         'A'
#define FP_OUCH_ORDER_REPLACED         'U'
#define FP_OUCH_ORDER_CANCELED         'C'
#define FP_OUCH_AIQ_CANCELED           'D'
#define FP_OUCH_ORDER_EXECUTED         'E'
#define FP_OUCH_BROKEN_TRADE           'B'
#define FP_OUCH_ORDER_REJECTED         'J'
#define FP_OUCH_CANCEL_PENDING         'P'
#define FP_OUCH_CANCEL_REJECT          'I'
#define FP_OUCH_ORDER_PRIORITY_UPDATE  'T'
#define FP_OUCH_ORDER_MODIFIED         'M'
#define FP_OUCH_ORDER_RESTATED         'R'
#define FP_OUCH_MASS_CANCEL_RESPONSE   'X'
#define FP_OUCH_DISABLE_ENTRY_RESPONSE 'G'
#define FP_OUCH_ENABLE_ENTRY_RESPONSE  'K'
#define FP_OUCH_ACCOUNT_QUERY_RESPONSE 'Q'

/** Option tags (spec Appendix A). 8, 19, 20 and 21 are not defined. */
enum fp_ouch_tag {
	FP_OUCH_TAG_SECONDARY_ORD_REF_NUM = 1,  /**< 8, numeric */
	FP_OUCH_TAG_FIRM = 2,                   /**< 4, alpha */
	FP_OUCH_TAG_MIN_QTY = 3,                /**< 4, integer */
	FP_OUCH_TAG_CUSTOMER_TYPE = 4,          /**< 1: R N space */
	FP_OUCH_TAG_MAX_FLOOR = 5,              /**< 4, integer */
	FP_OUCH_TAG_PRICE_TYPE = 6,             /**< 1: L P M R Q m */
	FP_OUCH_TAG_PEG_OFFSET = 7,             /**< 4, signed price */
	FP_OUCH_TAG_DISCRETION_PRICE = 9,       /**< 8, price */
	FP_OUCH_TAG_DISCRETION_PRICE_TYPE = 10, /**< 1: L P M R */
	FP_OUCH_TAG_DISCRETION_PEG_OFFSET = 11, /**< 4, signed price */
	FP_OUCH_TAG_POST_ONLY = 12,             /**< 1: P N */
	FP_OUCH_TAG_RANDOM_RESERVES = 13,       /**< 4, integer */
	FP_OUCH_TAG_ROUTE = 14,                 /**< 4, alpha */
	FP_OUCH_TAG_EXPIRE_TIME = 15,           /**< 4, seconds < 86400 */
	FP_OUCH_TAG_TRADE_NOW = 16,             /**< 1: Y N space */
	FP_OUCH_TAG_HANDLE_INST = 17,           /**< 1: I O T Q B D space */
	FP_OUCH_TAG_BBO_WEIGHT_INDICATOR = 18,  /**< 1: 0 1 2 3 S N space */
	FP_OUCH_TAG_DISPLAY_QUANTITY = 22,      /**< 4, integer (Order Restated only) */
	FP_OUCH_TAG_DISPLAY_PRICE = 23,         /**< 8, price (Order Restated only) */
	FP_OUCH_TAG_GROUP_ID = 24,              /**< 2, numeric */
	FP_OUCH_TAG_SHARES_LOCATED = 25,        /**< 1: Y N */
	FP_OUCH_TAG_LOCATE_BROKER = 26,         /**< 4, alpha */
	FP_OUCH_TAG_SIDE = 27,                  /**< 1: B S T E */
	FP_OUCH_TAG_USER_REF_IDX = 28,          /**< 1, numeric */
	FP_OUCH_TAG_MAX = 28,
};

/** Most options one message can carry: every defined tag once. */
#define FP_OUCH_MAX_OPTIONS 24

/** Order Canceled reasons (spec Appendix B). */
enum fp_ouch_cancel_reason {
	FP_OUCH_CXL_REGULATORY = 'D',
	FP_OUCH_CXL_CLOSED = 'E',
	FP_OUCH_CXL_POST_ONLY_NMS = 'F',
	FP_OUCH_CXL_POST_ONLY_DISPLAYED = 'G',
	FP_OUCH_CXL_HALTED = 'H',
	FP_OUCH_CXL_IOC = 'I',
	FP_OUCH_CXL_MARKET_COLLARS = 'K',
	FP_OUCH_CXL_SELF_MATCH = 'Q',
	FP_OUCH_CXL_SUPERVISORY = 'S',
	FP_OUCH_CXL_TIMEOUT = 'T',
	FP_OUCH_CXL_USER = 'U',
	FP_OUCH_CXL_OPEN_PROTECTION = 'X',
	FP_OUCH_CXL_SYSTEM = 'Z',
	FP_OUCH_CXL_DLCR_EXCEEDS = 'e',
};

/** Order Rejected reasons (spec Appendix C), 2-byte numeric. */
enum fp_ouch_reject_reason {
	FP_OUCH_REJ_QUOTE_UNAVAILABLE = 0x01,
	FP_OUCH_REJ_DESTINATION_CLOSED = 0x02,
	FP_OUCH_REJ_INVALID_DISPLAY = 0x03,
	FP_OUCH_REJ_INVALID_MAX_FLOOR = 0x04,
	FP_OUCH_REJ_INVALID_PEG_TYPE = 0x05,
	FP_OUCH_REJ_FAT_FINGER = 0x06,
	FP_OUCH_REJ_HALTED = 0x07,
	FP_OUCH_REJ_ISO_NOT_ALLOWED = 0x08,
	FP_OUCH_REJ_INVALID_SIDE = 0x09,
	FP_OUCH_REJ_PROCESSING_ERROR = 0x0A,
	FP_OUCH_REJ_CANCEL_PENDING = 0x0B,
	FP_OUCH_REJ_FIRM_NOT_AUTHORIZED = 0x0C,
	FP_OUCH_REJ_INVALID_MIN_QUANTITY = 0x0D,
	FP_OUCH_REJ_NO_CLOSING_REFERENCE_PRICE = 0x0E,
	FP_OUCH_REJ_OTHER = 0x0F,
	FP_OUCH_REJ_CANCEL_NOT_ALLOWED = 0x10,
	FP_OUCH_REJ_PEGGING_NOT_ALLOWED = 0x11,
	FP_OUCH_REJ_CROSSED_MARKET = 0x12,
	FP_OUCH_REJ_INVALID_QUANTITY = 0x13,
	FP_OUCH_REJ_INVALID_CROSS_ORDER = 0x14,
	FP_OUCH_REJ_REPLACE_NOT_ALLOWED = 0x15,
	FP_OUCH_REJ_ROUTING_NOT_ALLOWED = 0x16,
	FP_OUCH_REJ_INVALID_SYMBOL = 0x17,
	FP_OUCH_REJ_TEST = 0x18,
	FP_OUCH_REJ_LATE_LOC_TOO_AGGRESSIVE = 0x19,
	FP_OUCH_REJ_RETAIL_NOT_ALLOWED = 0x1A,
	FP_OUCH_REJ_INVALID_MIDPOINT_POST_ONLY_PRICE = 0x1B,
	FP_OUCH_REJ_INVALID_DESTINATION = 0x1C,
	FP_OUCH_REJ_INVALID_PRICE = 0x1D,
	FP_OUCH_REJ_SHARES_EXCEED_THRESHOLD = 0x1E,
	FP_OUCH_REJ_EXCEEDS_MAX_NOTIONAL = 0x1F,
	FP_OUCH_REJ_RISK_AGGREGATE_EXPOSURE = 0x20,
	FP_OUCH_REJ_RISK_MARKET_IMPACT = 0x21,
	FP_OUCH_REJ_RISK_RESTRICTED_STOCK = 0x22,
	FP_OUCH_REJ_RISK_SHORT_SELL_RESTRICTED = 0x23,
	FP_OUCH_REJ_RISK_ISO_NOT_ALLOWED = 0x24,
	FP_OUCH_REJ_RISK_EXCEEDS_ADV = 0x25,
	FP_OUCH_REJ_RISK_FAT_FINGER = 0x26,
	FP_OUCH_REJ_RISK_LOCATE_REQUIRED = 0x27,
	FP_OUCH_REJ_RISK_SYMBOL_RATE = 0x28,
	FP_OUCH_REJ_RISK_PORT_RATE = 0x29,
	FP_OUCH_REJ_RISK_DUPLICATE_RATE = 0x2A,
	FP_OUCH_REJ_RISK_SHORT_SELL_NOT_ALLOWED = 0x2B,
	FP_OUCH_REJ_RISK_MARKET_ORDER_NOT_ALLOWED = 0x2C,
	FP_OUCH_REJ_RISK_PRE_MARKET_NOT_ALLOWED = 0x2D,
	FP_OUCH_REJ_RISK_POST_MARKET_NOT_ALLOWED = 0x2E,
	FP_OUCH_REJ_RISK_SHORT_SELL_EXEMPT_NOT_ALLOWED = 0x2F,
	FP_OUCH_REJ_RISK_SINGLE_ORDER_NOTIONAL = 0x30,
	FP_OUCH_REJ_RISK_MAX_QUANTITY = 0x31,
	FP_OUCH_REJ_REG_SHO_STATE_NOT_AVAILABLE = 0x32,
	FP_OUCH_REJ_RISK_IPO_MARKET_BUY_NOT_ALLOWED = 0x33,
};

/* ---- wire layouts: F(S, field, OFFSET, SIZE, KIND) in spec order ---- */

/* 2.1 Enter Order 'O' (Appendage Length at 45, appendage at 47). */
#define FP_OUCH_ENTER_ORDER_FIELDS(F, S)                 \
	F(S, type, 0, 1, CHAR)                           \
	F(S, user_ref_num, 1, 4, U32)                    \
	F(S, side, 5, 1, CHAR)                           \
	F(S, quantity, 6, 4, U32)                        \
	F(S, symbol, 10, 8, ALPHA)                       \
	F(S, price, 18, 8, U64)                          \
	F(S, time_in_force, 26, 1, CHAR)                 \
	F(S, display, 27, 1, CHAR)                       \
	F(S, capacity, 28, 1, CHAR)                      \
	F(S, intermarket_sweep_eligibility, 29, 1, CHAR) \
	F(S, cross_type, 30, 1, CHAR)                    \
	F(S, cl_ord_id, 31, 14, ALPHA)

/* 2.2 Replace Order Request 'U' (Appendage Length at 38). */
#define FP_OUCH_REPLACE_ORDER_FIELDS(F, S)               \
	F(S, type, 0, 1, CHAR)                           \
	F(S, orig_user_ref_num, 1, 4, U32)               \
	F(S, user_ref_num, 5, 4, U32)                    \
	F(S, quantity, 9, 4, U32)                        \
	F(S, price, 13, 8, U64)                          \
	F(S, time_in_force, 21, 1, CHAR)                 \
	F(S, display, 22, 1, CHAR)                       \
	F(S, intermarket_sweep_eligibility, 23, 1, CHAR) \
	F(S, cl_ord_id, 24, 14, ALPHA)

/* 2.3 Cancel Order Request 'X' (Appendage Length at 9, optional). */
#define FP_OUCH_CANCEL_ORDER_FIELDS(F, S) \
	F(S, type, 0, 1, CHAR)            \
	F(S, user_ref_num, 1, 4, U32)     \
	F(S, quantity, 5, 4, U32)

/* 2.4 Modify Order Request 'M' (Appendage Length at 10, optional). */
#define FP_OUCH_MODIFY_ORDER_FIELDS(F, S) \
	F(S, type, 0, 1, CHAR)            \
	F(S, user_ref_num, 1, 4, U32)     \
	F(S, side, 5, 1, CHAR)            \
	F(S, quantity, 6, 4, U32)

/* 2.5 Mass Cancel Request 'C' (Appendage Length at 17). */
#define FP_OUCH_MASS_CANCEL_FIELDS(F, S) \
	F(S, type, 0, 1, CHAR)           \
	F(S, user_ref_num, 1, 4, U32)    \
	F(S, firm, 5, 4, ALPHA)          \
	F(S, symbol, 9, 8, ALPHA)

/* 2.6 Disable Order Entry Request 'D' and 2.7 Enable Order Entry Request 'E'
 * (Appendage Length at 9). */
#define FP_OUCH_ORDER_ENTRY_CONTROL_FIELDS(F, S) \
	F(S, type, 0, 1, CHAR)                   \
	F(S, user_ref_num, 1, 4, U32)            \
	F(S, firm, 5, 4, ALPHA)

/* 2.8 Account Query Request 'Q' (Appendage Length at 1, optional). */
#define FP_OUCH_ACCOUNT_QUERY_FIELDS(F, S) F(S, type, 0, 1, CHAR)

/* 3.1 System Event 'S': 10 bytes, no appendage. */
#define FP_OUCH_SYSTEM_EVENT_FIELDS(F, S) \
	F(S, type, 0, 1, CHAR)            \
	F(S, timestamp, 1, 8, U64)        \
	F(S, event_code, 9, 1, CHAR)

/* 3.2 Order Accepted 'A' (Appendage Length at 62). */
#define FP_OUCH_ORDER_ACCEPTED_FIELDS(F, S)              \
	F(S, type, 0, 1, CHAR)                           \
	F(S, timestamp, 1, 8, U64)                       \
	F(S, user_ref_num, 9, 4, U32)                    \
	F(S, side, 13, 1, CHAR)                          \
	F(S, quantity, 14, 4, U32)                       \
	F(S, symbol, 18, 8, ALPHA)                       \
	F(S, price, 26, 8, U64)                          \
	F(S, time_in_force, 34, 1, CHAR)                 \
	F(S, display, 35, 1, CHAR)                       \
	F(S, order_reference_number, 36, 8, U64)         \
	F(S, capacity, 44, 1, CHAR)                      \
	F(S, intermarket_sweep_eligibility, 45, 1, CHAR) \
	F(S, cross_type, 46, 1, CHAR)                    \
	F(S, order_state, 47, 1, CHAR)                   \
	F(S, cl_ord_id, 48, 14, ALPHA)

/* 3.3 Order Replaced 'U' (Appendage Length at 66). */
#define FP_OUCH_ORDER_REPLACED_FIELDS(F, S)              \
	F(S, type, 0, 1, CHAR)                           \
	F(S, timestamp, 1, 8, U64)                       \
	F(S, orig_user_ref_num, 9, 4, U32)               \
	F(S, user_ref_num, 13, 4, U32)                   \
	F(S, side, 17, 1, CHAR)                          \
	F(S, quantity, 18, 4, U32)                       \
	F(S, symbol, 22, 8, ALPHA)                       \
	F(S, price, 30, 8, U64)                          \
	F(S, time_in_force, 38, 1, CHAR)                 \
	F(S, display, 39, 1, CHAR)                       \
	F(S, order_reference_number, 40, 8, U64)         \
	F(S, capacity, 48, 1, CHAR)                      \
	F(S, intermarket_sweep_eligibility, 49, 1, CHAR) \
	F(S, cross_type, 50, 1, CHAR)                    \
	F(S, order_state, 51, 1, CHAR)                   \
	F(S, cl_ord_id, 52, 14, ALPHA)

/* 3.4 Order Canceled 'C' (Appendage Length at 18, optional). */
#define FP_OUCH_ORDER_CANCELED_FIELDS(F, S) \
	F(S, type, 0, 1, CHAR)              \
	F(S, timestamp, 1, 8, U64)          \
	F(S, user_ref_num, 9, 4, U32)       \
	F(S, quantity, 13, 4, U32)          \
	F(S, reason, 17, 1, CHAR)

/* 3.5 AIQ Canceled 'D' (Appendage Length at 32, optional). */
#define FP_OUCH_AIQ_CANCELED_FIELDS(F, S)                 \
	F(S, type, 0, 1, CHAR)                            \
	F(S, timestamp, 1, 8, U64)                        \
	F(S, user_ref_num, 9, 4, U32)                     \
	F(S, decrement_shares, 13, 4, U32)                \
	F(S, reason, 17, 1, CHAR)                         \
	F(S, quantity_prevented_from_trading, 18, 4, U32) \
	F(S, execution_price, 22, 8, U64)                 \
	F(S, liquidity_flag, 30, 1, CHAR)                 \
	F(S, aiq_strategy, 31, 1, CHAR)

/* 3.6 Order Executed 'E' (Appendage Length at 34). */
#define FP_OUCH_ORDER_EXECUTED_FIELDS(F, S) \
	F(S, type, 0, 1, CHAR)              \
	F(S, timestamp, 1, 8, U64)          \
	F(S, user_ref_num, 9, 4, U32)       \
	F(S, quantity, 13, 4, U32)          \
	F(S, price, 17, 8, U64)             \
	F(S, liquidity_flag, 25, 1, CHAR)   \
	F(S, match_number, 26, 8, U64)

/* 3.7 Broken Trade 'B' (Appendage Length at 36, optional). */
#define FP_OUCH_BROKEN_TRADE_FIELDS(F, S) \
	F(S, type, 0, 1, CHAR)            \
	F(S, timestamp, 1, 8, U64)        \
	F(S, user_ref_num, 9, 4, U32)     \
	F(S, match_number, 13, 8, U64)    \
	F(S, reason, 21, 1, CHAR)         \
	F(S, cl_ord_id, 22, 14, ALPHA)

/* 3.8 Rejected 'J' (Appendage Length at 29, optional). */
#define FP_OUCH_ORDER_REJECTED_FIELDS(F, S) \
	F(S, type, 0, 1, CHAR)              \
	F(S, timestamp, 1, 8, U64)          \
	F(S, user_ref_num, 9, 4, U32)       \
	F(S, reject_reason, 13, 2, U16)     \
	F(S, cl_ord_id, 15, 14, ALPHA)

/* 3.9 Cancel Pending 'P' and 3.10 Cancel Reject 'I' (Appendage Length at 13, optional). */
#define FP_OUCH_CANCEL_STATUS_FIELDS(F, S) \
	F(S, type, 0, 1, CHAR)             \
	F(S, timestamp, 1, 8, U64)         \
	F(S, user_ref_num, 9, 4, U32)

/* 3.11 Order Priority Update 'T' (Appendage Length at 30, optional). */
#define FP_OUCH_ORDER_PRIORITY_UPDATE_FIELDS(F, S) \
	F(S, type, 0, 1, CHAR)                     \
	F(S, timestamp, 1, 8, U64)                 \
	F(S, user_ref_num, 9, 4, U32)              \
	F(S, price, 13, 8, U64)                    \
	F(S, display, 21, 1, CHAR)                 \
	F(S, order_reference_number, 22, 8, U64)

/* 3.12 Order Modified 'M' (Appendage Length at 18, optional). */
#define FP_OUCH_ORDER_MODIFIED_FIELDS(F, S) \
	F(S, type, 0, 1, CHAR)              \
	F(S, timestamp, 1, 8, U64)          \
	F(S, user_ref_num, 9, 4, U32)       \
	F(S, side, 13, 1, CHAR)             \
	F(S, quantity, 14, 4, U32)

/* 3.13 Order Restated 'R' (Appendage Length at 14). */
#define FP_OUCH_ORDER_RESTATED_FIELDS(F, S) \
	F(S, type, 0, 1, CHAR)              \
	F(S, timestamp, 1, 8, U64)          \
	F(S, user_ref_num, 9, 4, U32)       \
	F(S, reason, 13, 1, CHAR)

/* 3.14 Mass Cancel Response 'X' (Appendage Length at 25). */
#define FP_OUCH_MASS_CANCEL_RESPONSE_FIELDS(F, S) \
	F(S, type, 0, 1, CHAR)                    \
	F(S, timestamp, 1, 8, U64)                \
	F(S, user_ref_num, 9, 4, U32)             \
	F(S, firm, 13, 4, ALPHA)                  \
	F(S, symbol, 17, 8, ALPHA)

/* 3.15 Disable Order Entry Response 'G' and 3.16 Enable Order Entry Response 'K'
 * (Appendage Length at 17). */
#define FP_OUCH_ENTRY_CONTROL_RESPONSE_FIELDS(F, S) \
	F(S, type, 0, 1, CHAR)                      \
	F(S, timestamp, 1, 8, U64)                  \
	F(S, user_ref_num, 9, 4, U32)               \
	F(S, firm, 13, 4, ALPHA)

/* 3.17 Account Query Response 'Q' (Appendage Length at 13, optional). */
#define FP_OUCH_ACCOUNT_QUERY_RESPONSE_FIELDS(F, S) \
	F(S, type, 0, 1, CHAR)                      \
	F(S, timestamp, 1, 8, U64)                  \
	F(S, next_user_ref_num, 9, 4, U32)

/* One wire member per KIND (byte order documented by the type). */
#define FP_OUCH_MEMBER_CHAR(name, size)          uint8_t name;
#define FP_OUCH_MEMBER_ALPHA(name, size)         char name[size];
#define FP_OUCH_MEMBER_U16(name, size)           fp_be16_t name;
#define FP_OUCH_MEMBER_U32(name, size)           fp_be32_t name;
#define FP_OUCH_MEMBER_U64(name, size)           fp_be64_t name;
#define FP_OUCH_MEMBER(S, name, off, size, kind) FP_OUCH_MEMBER_##kind(name, size)
#define FP_OUCH_ASSERT_OFFSET(S, name, off, size, kind)                           \
	static_assert(offsetof(struct S, name) == (off), #S "." #name " offset"); \
	static_assert(sizeof(((struct S *)0)->name) == (size), #S "." #name " size");

/** Define wire struct S from FIELDS, followed by Appendage Length at @p app_off. */
#define FP_OUCH_WIRE(S, FIELDS, app_off)                                 \
	struct S {                                                       \
		FIELDS(FP_OUCH_MEMBER, S)                                \
		fp_be16_t appendage_length;                              \
	} FP_PACKED;                                                     \
	FIELDS(FP_OUCH_ASSERT_OFFSET, S)                                 \
	static_assert(offsetof(struct S, appendage_length) == (app_off), \
		      #S ".appendage_length offset");                    \
	static_assert(sizeof(struct S) == (app_off) + 2, #S " size")

FP_OUCH_WIRE(fp_ouch_enter_order, FP_OUCH_ENTER_ORDER_FIELDS, 45);
FP_OUCH_WIRE(fp_ouch_replace_order, FP_OUCH_REPLACE_ORDER_FIELDS, 38);
FP_OUCH_WIRE(fp_ouch_cancel_order, FP_OUCH_CANCEL_ORDER_FIELDS, 9);
FP_OUCH_WIRE(fp_ouch_modify_order, FP_OUCH_MODIFY_ORDER_FIELDS, 10);
FP_OUCH_WIRE(fp_ouch_mass_cancel, FP_OUCH_MASS_CANCEL_FIELDS, 17);
FP_OUCH_WIRE(fp_ouch_order_entry_control, FP_OUCH_ORDER_ENTRY_CONTROL_FIELDS, 9);
FP_OUCH_WIRE(fp_ouch_account_query, FP_OUCH_ACCOUNT_QUERY_FIELDS, 1);
FP_OUCH_WIRE(fp_ouch_order_accepted, FP_OUCH_ORDER_ACCEPTED_FIELDS, 62);
FP_OUCH_WIRE(fp_ouch_order_replaced, FP_OUCH_ORDER_REPLACED_FIELDS, 66);
FP_OUCH_WIRE(fp_ouch_order_canceled, FP_OUCH_ORDER_CANCELED_FIELDS, 18);
FP_OUCH_WIRE(fp_ouch_aiq_canceled, FP_OUCH_AIQ_CANCELED_FIELDS, 32);
FP_OUCH_WIRE(fp_ouch_order_executed, FP_OUCH_ORDER_EXECUTED_FIELDS, 34);
FP_OUCH_WIRE(fp_ouch_broken_trade, FP_OUCH_BROKEN_TRADE_FIELDS, 36);
FP_OUCH_WIRE(fp_ouch_order_rejected, FP_OUCH_ORDER_REJECTED_FIELDS, 29);
FP_OUCH_WIRE(fp_ouch_cancel_status, FP_OUCH_CANCEL_STATUS_FIELDS, 13);
FP_OUCH_WIRE(fp_ouch_order_priority_update, FP_OUCH_ORDER_PRIORITY_UPDATE_FIELDS, 30);
FP_OUCH_WIRE(fp_ouch_order_modified, FP_OUCH_ORDER_MODIFIED_FIELDS, 18);
FP_OUCH_WIRE(fp_ouch_order_restated, FP_OUCH_ORDER_RESTATED_FIELDS, 14);
FP_OUCH_WIRE(fp_ouch_mass_cancel_response, FP_OUCH_MASS_CANCEL_RESPONSE_FIELDS, 25);
FP_OUCH_WIRE(fp_ouch_entry_control_response, FP_OUCH_ENTRY_CONTROL_RESPONSE_FIELDS, 17);
FP_OUCH_WIRE(fp_ouch_account_query_response, FP_OUCH_ACCOUNT_QUERY_RESPONSE_FIELDS, 13);

/** 3.1 System Event: the one message without an appendage. */
struct fp_ouch_system_event {
	FP_OUCH_SYSTEM_EVENT_FIELDS(FP_OUCH_MEMBER, fp_ouch_system_event)
} FP_PACKED;
FP_OUCH_SYSTEM_EVENT_FIELDS(FP_OUCH_ASSERT_OFFSET, fp_ouch_system_event)
static_assert(sizeof(struct fp_ouch_system_event) == 10, "system event size");

/* ---- decoded form (host order) ---- */

/**
 * Parsed optional appendage. `present` has bit (1 << tag) for each option found; `tags`
 * keeps their wire order so that a decoded message re-encodes to the same bytes. Values of
 * absent options are zero. To add an option when encoding: set the value, then
 * fp_ouch_opt_add(opts, tag).
 */
struct fp_ouch_options {
	uint32_t present; /**< bit (1 << FP_OUCH_TAG_*) */
	uint8_t nb_tags;
	uint8_t tags[FP_OUCH_MAX_OPTIONS]; /**< wire order */
	uint8_t customer_type;
	uint8_t price_type;
	uint8_t discretion_price_type;
	uint8_t post_only;
	uint8_t trade_now;
	uint8_t handle_inst;
	uint8_t bbo_weight_indicator;
	uint8_t shares_located;
	uint8_t side;
	uint8_t user_ref_idx;
	uint16_t group_id;
	char firm[4];
	char route[4];
	char locate_broker[4];
	uint32_t min_qty;
	uint32_t max_floor;
	int32_t peg_offset; /**< signed price, 4 decimals */
	int32_t discretion_peg_offset;
	uint32_t random_reserves;
	uint32_t expire_time; /**< seconds, < 86400 */
	uint32_t display_quantity;
	uint64_t secondary_ord_ref_num;
	int64_t discretion_price;
	int64_t display_price;
};

/**
 * Any OUCH 5.0 message, decoded. One flat struct for every type (a field a type lacks
 * stays zero), so that both sides fill and read it the same way. Alpha fields keep their
 * space padding, exactly as on the wire.
 */
struct fp_ouch_msg {
	uint8_t type;          /**< message type letter; with dir it names the message */
	uint8_t dir;           /**< enum fp_ouch_dir */
	uint8_t has_appendage; /**< 0: the message ended before Appendage Length (where the
				    spec allows it; encode omits it then, if no option is set) */
	uint8_t side;
	uint8_t time_in_force;
	uint8_t display;
	uint8_t capacity;
	uint8_t intermarket_sweep_eligibility;
	uint8_t cross_type;
	uint8_t order_state;
	uint8_t reason; /**< alpha reason: Canceled, AIQ Canceled, Broken Trade, Restated */
	uint8_t liquidity_flag;
	uint8_t aiq_strategy;
	uint8_t event_code;
	uint16_t reject_reason; /**< Rejected: enum fp_ouch_reject_reason */
	uint32_t user_ref_num;
	uint32_t orig_user_ref_num;
	uint32_t quantity;
	uint32_t decrement_shares;
	uint32_t quantity_prevented_from_trading;
	uint32_t next_user_ref_num;
	char symbol[8];
	char cl_ord_id[14];
	char firm[4];
	uint64_t timestamp; /**< ns since midnight */
	int64_t price;      /**< 4 decimals */
	int64_t execution_price;
	uint64_t order_reference_number;
	uint64_t match_number;
	struct fp_ouch_options opts;
};

/** Result codes of decode and encode; errors are negative. */
enum fp_ouch_rc {
	FP_OUCH_OK = 0,
	FP_OUCH_ERR_SHORT = -1,           /**< fewer bytes than the fixed part */
	FP_OUCH_ERR_TYPE = -2,            /**< unknown type for this direction */
	FP_OUCH_ERR_LENGTH = -3,          /**< Appendage Length disagrees with the message length */
	FP_OUCH_ERR_APPENDAGE = -4,       /**< TagValue element of length 0 or past the end */
	FP_OUCH_ERR_TAG = -5,             /**< option tag not defined by the spec */
	FP_OUCH_ERR_TAG_NOT_ALLOWED = -6, /**< option the spec does not allow on this message */
	FP_OUCH_ERR_TAG_LENGTH = -7,      /**< option value of the wrong size */
	FP_OUCH_ERR_TAG_VALUE = -8,       /**< option value outside the spec's set */
	FP_OUCH_ERR_TAG_DUP = -9,         /**< the same option twice */
	FP_OUCH_ERR_NOSPACE = -10,        /**< encode: buffer too small */
};

/**
 * Decode one message of @p len bytes (a SoupBinTCP payload). Validates the framing and
 * every option; it does not judge business values (sides, prices): the venue does that
 * with reject reasons.
 *
 * @return FP_OUCH_OK with *msg filled (zeroed first), or a negative enum fp_ouch_rc.
 */
enum fp_ouch_rc fp_ouch_decode(enum fp_ouch_dir dir, const uint8_t *buf, size_t len,
			       struct fp_ouch_msg *msg);

/**
 * Encode @p msg (its type and dir name the layout; options in opts.tags order).
 *
 * @return bytes written (> 0), or a negative enum fp_ouch_rc.
 */
int fp_ouch_encode(const struct fp_ouch_msg *msg, uint8_t *buf, size_t cap);

/** The fields of an Enter Order for fp_ouch_encode_enter_order() (spec 1.1; names as in the
 *  spec). Strings are fixed-width, space padded, not NUL-terminated. */
struct fp_ouch_enter {
	int64_t price;         /**< Price(4) */
	uint32_t user_ref_num; /**< UserRefNum */
	uint32_t quantity;     /**< shares */
	const char *symbol;    /**< 8 bytes */
	const char *cl_ord_id; /**< 14 bytes */
	const char *firm;      /**< 4 bytes for a Firm option, or NULL for no option */
	uint8_t side;          /**< 'B', 'S', 'T', 'E' */
	uint8_t time_in_force; /**< '0' day, '3' IOC, '5' GTX, ... */
	uint8_t display;       /**< 'Y' visible, ... */
	uint8_t capacity;      /**< 'A' agency, 'P' principal, ... */
	uint8_t intermarket_sweep_eligibility; /**< 'Y' / 'N' */
	uint8_t cross_type;                    /**< 'N' continuous market, ... */
};

/**
 * Encode an Enter Order directly from @p e (the gateway's hot path: no table walk). Same
 * bytes as fp_ouch_encode() of the same message.
 *
 * @return bytes written (47, or 53 with a firm), or FP_OUCH_ERR_NOSPACE.
 */
int fp_ouch_encode_enter_order(uint8_t *buf, size_t cap, const struct fp_ouch_enter *e);

/** Encode a Cancel Order without appendage (9 bytes), or FP_OUCH_ERR_NOSPACE. */
int fp_ouch_encode_cancel_order(uint8_t *buf, size_t cap, uint32_t user_ref_num, uint32_t quantity);

/** Size of the fixed part of a message type (up to and including Appendage Length), or 0
 *  for a type unknown in @p dir. */
size_t fp_ouch_fixed_len(enum fp_ouch_dir dir, uint8_t type);

/** Spec name of a message ("Enter Order"), or NULL. */
const char *fp_ouch_msg_name(enum fp_ouch_dir dir, uint8_t type);

/** Name of a result code. */
const char *fp_ouch_rc_str(enum fp_ouch_rc rc);

/** Option @p tag's value size in bytes, or 0 for an undefined tag. */
unsigned fp_ouch_opt_size(uint8_t tag);

/** Mark option @p tag present and append it to the wire order (no-op if already there). */
static inline void fp_ouch_opt_add(struct fp_ouch_options *o, uint8_t tag)
{
	if (tag == 0 || tag > FP_OUCH_TAG_MAX || (o->present & (1u << tag)) ||
	    o->nb_tags >= FP_OUCH_MAX_OPTIONS)
		return;
	o->present |= 1u << tag;
	o->tags[o->nb_tags++] = tag;
}

/** True when option @p tag is present. */
static inline int fp_ouch_opt_has(const struct fp_ouch_options *o, uint8_t tag)
{
	return tag <= FP_OUCH_TAG_MAX && (o->present & (1u << tag)) != 0;
}

#endif /* FP_OUCH_H */
