/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_event.h - the 64-byte event that every ring carries (design.md §5).
 *
 * Any stage may include it; it is plain data, no functions. One event fills one cache line
 * and one ring slot. The 24-byte header is common to every type; the 40-byte payload is a
 * union selected by `type`.
 *
 *   OFFSET  SIZE  FIELD      DESCRIPTION
 *   0       1     type       enum fp_ev_type
 *   1       1     flags      FP_EVF_* bits
 *   2       2     source     producer's id: strategy id for intents, venue line for md
 *   4       4     symbol_id  index in the symbol table (= ITCH stock locate); 0 = none
 *   8       8     seq        MoldUDP64 sequence number for md; producer's own sequence else
 *   16      8     t_rx       TSC at packet receive, copied unchanged down the pipeline so
 *                            that every hop and tick-to-trade measure from the same stamp
 *   24      40    u          payload
 *
 * Units: prices are int64 fixed point with 4 decimals (ITCH Price(4): 873900 = 87.3900),
 * except the MWCB levels (ITCH Price(8), 8 decimals) and the NOII/DLCR prices, which stay
 * 32-bit ITCH Price(4) values so that those messages fit the slot. Quantities are integer
 * shares. `ts_ns` is the venue timestamp in nanoseconds since midnight.
 *
 * Layout version: FP_EVENT_VERSION is part of the segment's layout version; bump both when
 * a field moves.
 */
#ifndef FP_EVENT_H
#define FP_EVENT_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "fp_compiler.h"

#define FP_EVENT_VERSION 1
#define FP_EVENT_SIZE    64

/** Event types. 0 is reserved for "none" so that a zeroed slot is never a valid event. */
enum fp_ev_type {
	FP_EV_NONE = 0,

	/* Market data: dataplane -> book, one event per ITCH 5.0 message. */
	FP_EV_MD_SYSTEM = 1,       /**< 'S' system event */
	FP_EV_MD_STOCK_DIRECTORY,  /**< 'R' */
	FP_EV_MD_TRADING_ACTION,   /**< 'H' */
	FP_EV_MD_REG_SHO,          /**< 'Y' */
	FP_EV_MD_MPID_POSITION,    /**< 'L' market participant position */
	FP_EV_MD_MWCB_DECLINE,     /**< 'V' MWCB decline level */
	FP_EV_MD_MWCB_STATUS,      /**< 'W' */
	FP_EV_MD_IPO_QUOTING,      /**< 'K' */
	FP_EV_MD_LULD_COLLAR,      /**< 'J' */
	FP_EV_MD_OPERATIONAL_HALT, /**< 'h' */
	FP_EV_MD_ADD,              /**< 'A', and 'F' with FP_EVF_ATTRIBUTED */
	FP_EV_MD_EXECUTE,          /**< 'E', and 'C' with FP_EVF_WITH_PRICE */
	FP_EV_MD_CANCEL,           /**< 'X' partial cancel */
	FP_EV_MD_DELETE,           /**< 'D' */
	FP_EV_MD_REPLACE,          /**< 'U' */
	FP_EV_MD_TRADE,            /**< 'P' non-cross trade; book -> strategy: every execution */
	FP_EV_MD_CROSS_TRADE,      /**< 'Q' */
	FP_EV_MD_BROKEN_TRADE,     /**< 'B' */
	FP_EV_MD_NOII,             /**< 'I' net order imbalance indicator */
	FP_EV_MD_RPII,             /**< 'N' retail price improvement indicator */
	FP_EV_MD_DLCR,             /**< 'O' direct listing with capital raise */
	FP_EV_MD_STALE,            /**< not ITCH: data for symbol_id (0 = all) is unreliable */

	/* Book -> strategy host. */
	FP_EV_BOOK_TOP = 32, /**< best bid/offer changed */

	/* Strategy host -> risk -> gateway. */
	FP_EV_ORDER_NEW = 48,
	FP_EV_ORDER_CANCEL,
	FP_EV_ORDER_REPLACE,
	FP_EV_ORDER_MASS_CANCEL,

	/* Gateway -> risk and strategy host. */
	FP_EV_EXEC_ACCEPTED = 64,
	FP_EV_EXEC_FILL,
	FP_EV_EXEC_CANCELED,
	FP_EV_EXEC_REJECTED,
	FP_EV_EXEC_REPLACED,
	FP_EV_EXEC_CANCEL_REJECT,

	/* Risk -> strategy host: an intent that never left. */
	FP_EV_RISK_REJECT = 80,

	/* Any stage: control plane requests and notices. */
	FP_EV_CONTROL = 96,

	/* Bit 7 of the type byte is the ring's (FP_RING_SLOT_FULL, fp_ring_core.h): a type
	 * never has it, so a slot written in place reads as empty until it is committed. */
	FP_EV_TYPE_MAX = 127
};

/* Flags (the meaning of a bit may depend on the type family). */
#define FP_EVF_STALE      0x01 /**< book or symbol data may be wrong: do not trade on it */
#define FP_EVF_ATTRIBUTED 0x02 /**< md add: 'F' with MPID attribution */
#define FP_EVF_WITH_PRICE 0x04 /**< md execute: 'C' executed with price */
#define FP_EVF_REPLAY     0x08 /**< recovered by retransmission or venue replay */
#define FP_EVF_CROSSED    0x10 /**< book top: bid >= ask (locked or crossed) */
#define FP_EVF_HALTED     0x20 /**< book top: symbol not in trading state 'T' */
#define FP_EVF_CROSS      0x40 /**< md trade from the book stage: a cross ('Q'), no order */

/* Sides as on the wire (ITCH buy/sell indicator, OUCH side). */
#define FP_SIDE_BUY          'B'
#define FP_SIDE_SELL         'S'
#define FP_SIDE_SELL_SHORT   'T'
#define FP_SIDE_SHORT_EXEMPT 'E'

/* ---- market data payloads: every one starts with the venue timestamp ---- */

struct fp_ev_md_system {
	uint64_t ts_ns;
	uint8_t event_code; /**< 'O' 'S' 'Q' 'M' 'E' 'C' */
};

struct fp_ev_md_stock_directory {
	uint64_t ts_ns;
	char stock[8]; /**< space padded, as on the wire */
	uint32_t round_lot_size;
	uint32_t etp_leverage_factor;
	uint8_t market_category;
	uint8_t financial_status_indicator;
	uint8_t round_lots_only;
	uint8_t issue_classification;
	char issue_sub_type[2];
	uint8_t authenticity;
	uint8_t short_sale_threshold_indicator;
	uint8_t ipo_flag;
	uint8_t luld_reference_price_tier;
	uint8_t etp_flag;
	uint8_t inverse_indicator;
};

struct fp_ev_md_trading_action {
	uint64_t ts_ns;
	uint8_t trading_state; /**< 'H' halted, 'P' paused, 'Q' quotation only, 'T' trading */
	uint8_t reserved;
	char reason[4];
};

struct fp_ev_md_reg_sho {
	uint64_t ts_ns;
	uint8_t reg_sho_action; /**< '0' '1' '2' */
};

struct fp_ev_md_mpid_position {
	uint64_t ts_ns;
	char mpid[4];
	uint8_t primary_market_maker;
	uint8_t market_maker_mode;
	uint8_t market_participant_state;
};

struct fp_ev_md_mwcb_decline {
	uint64_t ts_ns;
	int64_t level_1; /**< Price(8): 8 decimals */
	int64_t level_2;
	int64_t level_3;
};

struct fp_ev_md_mwcb_status {
	uint64_t ts_ns;
	uint8_t breached_level; /**< '1' '2' '3' */
};

struct fp_ev_md_ipo_quoting {
	uint64_t ts_ns;
	int64_t ipo_price;
	uint32_t ipo_quotation_release_time; /**< seconds since midnight */
	uint8_t ipo_quotation_release_qualifier;
};

struct fp_ev_md_luld_collar {
	uint64_t ts_ns;
	int64_t auction_collar_reference_price;
	int64_t upper_auction_collar_price;
	int64_t lower_auction_collar_price;
	uint32_t auction_collar_extension;
};

struct fp_ev_md_operational_halt {
	uint64_t ts_ns;
	uint8_t market_code;             /**< 'Q' 'B' 'X' */
	uint8_t operational_halt_action; /**< 'H' halted, 'T' resumed */
};

struct fp_ev_md_add {
	uint64_t ts_ns;
	uint64_t order_reference_number;
	int64_t price;
	uint32_t shares;
	uint8_t side; /**< FP_SIDE_BUY or FP_SIDE_SELL */
	uint8_t reserved[3];
	char attribution[4]; /**< MPID for 'F' (FP_EVF_ATTRIBUTED), zero otherwise */
};

struct fp_ev_md_execute {
	uint64_t ts_ns;
	uint64_t order_reference_number;
	uint64_t match_number;
	int64_t execution_price; /**< 'C' only (FP_EVF_WITH_PRICE); 0 for 'E' */
	uint32_t executed_shares;
	uint8_t printable; /**< 'C' only: 'Y'/'N'; 'Y' for 'E' */
};

struct fp_ev_md_cancel {
	uint64_t ts_ns;
	uint64_t order_reference_number;
	uint32_t cancelled_shares;
};

struct fp_ev_md_delete {
	uint64_t ts_ns;
	uint64_t order_reference_number;
};

struct fp_ev_md_replace {
	uint64_t ts_ns;
	uint64_t original_order_reference_number;
	uint64_t new_order_reference_number;
	int64_t price;
	uint32_t shares;
};

struct fp_ev_md_trade {
	uint64_t ts_ns;
	uint64_t order_reference_number;
	uint64_t match_number;
	int64_t price;
	uint32_t shares;
	uint8_t side;
};

struct fp_ev_md_cross_trade {
	uint64_t ts_ns;
	uint64_t shares;
	int64_t cross_price;
	uint64_t match_number;
	uint8_t cross_type;
};

struct fp_ev_md_broken_trade {
	uint64_t ts_ns;
	uint64_t match_number;
};

struct fp_ev_md_noii {
	uint64_t ts_ns;
	uint64_t paired_shares;
	uint64_t imbalance_shares;
	uint32_t far_price; /**< Price(4), 32-bit as on the wire */
	uint32_t near_price;
	uint32_t current_reference_price;
	uint8_t imbalance_direction;
	uint8_t cross_type;
	uint8_t price_variation_indicator;
};

struct fp_ev_md_rpii {
	uint64_t ts_ns;
	uint8_t interest_flag;
};

struct fp_ev_md_dlcr {
	uint64_t ts_ns;
	uint64_t near_execution_time;
	uint32_t minimum_allowable_price; /**< Price(4), 32-bit as on the wire */
	uint32_t maximum_allowable_price;
	uint32_t near_execution_price;
	uint32_t lower_price_range_collar;
	uint32_t upper_price_range_collar;
	uint8_t open_eligibility_status;
};

/** Why data became stale (FP_EV_MD_STALE and FP_EVF_STALE). */
enum fp_stale_reason {
	FP_STALE_NONE = 0,
	FP_STALE_GAP,        /**< MoldUDP64 gap not recovered in time */
	FP_STALE_OVERRUN,    /**< md ring was full: events were dropped */
	FP_STALE_CAPACITY,   /**< book capacity exhausted for the symbol */
	FP_STALE_RECOVERED,  /**< the stale condition is over (book rebuilt) */
	FP_STALE_RECOVERING, /**< md rebuilds from history (gap fill, rerequest, snapshot):
			      *   books follow it silently until FP_STALE_RECOVERED */
	FP_STALE_REBUILD,    /**< as RECOVERING, and every book is emptied first: md starts the
			      *   session over (late join, restart, snapshot) */
};

struct fp_ev_md_stale {
	uint64_t ts_ns;
	uint64_t first_missing_seq;
	uint64_t nb_missing;
	uint32_t reason; /**< enum fp_stale_reason */
};

/* ---- book -> strategy ---- */

struct fp_ev_book_top {
	int64_t bid_price; /**< 0 when no bid */
	int64_t ask_price; /**< 0 when no ask */
	uint32_t bid_shares;
	uint32_t ask_shares;
	uint64_t book_seq; /**< per-symbol count of book changes */
	uint64_t ts_ns;    /**< venue timestamp of the causing message */
};

/* ---- strategy -> risk -> gateway ---- */

/** Time in force of an intent (mapped to OUCH 5.0 TIF by the gateway). */
enum fp_tif {
	FP_TIF_DAY = 0,
	FP_TIF_IOC = 1,
	FP_TIF_GTX = 2, /**< good till extended hours */
};

struct fp_ev_order {
	uint64_t client_order_id; /**< unique per instance and day */
	int64_t price;
	uint32_t shares; /**< new/replace: order size; cancel: shares to leave open */
	uint16_t strategy_id;
	uint8_t side;
	uint8_t tif;                   /**< enum fp_tif */
	uint64_t orig_client_order_id; /**< cancel/replace: the order it applies to */
	uint64_t t_decide;             /**< TSC when the strategy emitted it */
};

/* ---- gateway -> risk and strategy ---- */

struct fp_ev_exec {
	uint64_t client_order_id;
	int64_t price;          /**< fill price, or the accepted limit */
	uint32_t shares;        /**< filled / accepted / canceled shares of this report */
	uint32_t leaves_shares; /**< still open after this report */
	uint64_t match_number;  /**< fill; venue order reference otherwise */
	uint16_t strategy_id;
	uint8_t side;
	uint8_t reason; /**< venue reject/cancel reason as on the wire */
	uint32_t reserved;
};

/* ---- risk -> strategy ---- */

struct fp_ev_risk_reject {
	uint64_t client_order_id;
	int64_t price;
	uint32_t shares;
	uint16_t strategy_id;
	uint16_t reason; /**< enum fp_risk_reason (risk/) */
	uint8_t side;
	uint8_t order_type; /**< the fp_ev_type of the refused intent */
};

/* ---- control ---- */

/* fp_ev_control.command values shared by stages that cannot include each other. */
#define FP_EV_CTL_VENUE_DOWN 0x7601 /**< gateway -> risk: venue session lost */
#define FP_EV_CTL_VENUE_UP   0x7602 /**< gateway -> risk: venue session back */

struct fp_ev_control {
	uint32_t command;
	uint32_t arg;
	uint64_t value;
	char text[24];
};

/** The ring slot: one cache line. */
struct fp_event {
	uint8_t type;  /**< enum fp_ev_type (< 128: bit 7 is the ring's) */
	uint8_t flags; /**< FP_EVF_* */
	uint16_t source;
	uint32_t symbol_id;
	uint64_t seq;
	uint64_t t_rx; /**< TSC cycles at packet receive */
	union {
		uint8_t raw[40];
		struct fp_ev_md_system system;
		struct fp_ev_md_stock_directory stock_directory;
		struct fp_ev_md_trading_action trading_action;
		struct fp_ev_md_reg_sho reg_sho;
		struct fp_ev_md_mpid_position mpid_position;
		struct fp_ev_md_mwcb_decline mwcb_decline;
		struct fp_ev_md_mwcb_status mwcb_status;
		struct fp_ev_md_ipo_quoting ipo_quoting;
		struct fp_ev_md_luld_collar luld_collar;
		struct fp_ev_md_operational_halt operational_halt;
		struct fp_ev_md_add add;
		struct fp_ev_md_execute execute;
		struct fp_ev_md_cancel cancel;
		struct fp_ev_md_delete del;
		struct fp_ev_md_replace replace;
		struct fp_ev_md_trade trade;
		struct fp_ev_md_cross_trade cross_trade;
		struct fp_ev_md_broken_trade broken_trade;
		struct fp_ev_md_noii noii;
		struct fp_ev_md_rpii rpii;
		struct fp_ev_md_dlcr dlcr;
		struct fp_ev_md_stale stale;
		struct fp_ev_book_top top;
		struct fp_ev_order order;
		struct fp_ev_exec exec;
		struct fp_ev_risk_reject reject;
		struct fp_ev_control control;
	} u;
} FP_CACHE_ALIGNED;

static_assert(sizeof(struct fp_event) == FP_EVENT_SIZE, "fp_event must be one cache line");
static_assert(_Alignof(struct fp_event) == 64, "fp_event must be cache-line aligned");
static_assert(offsetof(struct fp_event, flags) == 1, "fp_event.flags offset");
static_assert(offsetof(struct fp_event, source) == 2, "fp_event.source offset");
static_assert(offsetof(struct fp_event, symbol_id) == 4, "fp_event.symbol_id offset");
static_assert(offsetof(struct fp_event, seq) == 8, "fp_event.seq offset");
static_assert(offsetof(struct fp_event, t_rx) == 16, "fp_event.t_rx offset");
static_assert(offsetof(struct fp_event, u) == 24, "fp_event.u offset");
static_assert(sizeof(((struct fp_event *)0)->u) == 40, "fp_event payload is 40 bytes");

/** True for the market-data family (dataplane -> book). */
static inline int fp_ev_is_md(uint8_t type)
{
	return type >= FP_EV_MD_SYSTEM && type <= FP_EV_MD_STALE;
}

#endif /* FP_EVENT_H */
