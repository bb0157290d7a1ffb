/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_sim_engine.h - the simulator's matching engine: one price-time priority limit order
 * book per symbol (stock locate), limit and market orders, DAY and IOC, cancel and reduce,
 * replace with OUCH 5.0 semantics, partial fills, self-match prevention, halts with a
 * reopening cross.
 *
 * Who may call: the simulator's main thread only (one engine per thread; no locks). Init
 * allocates every pool once (jemalloc, cold path); after init the order calls never
 * allocate, except that a side with more price levels than ever before grows its level
 * array. No syscalls, no logging. Deterministic: the engine has no clock and no randomness
 * of its own; the same calls with the same timestamps give the same callbacks, order
 * reference numbers and match numbers.
 *
 * Prices are int64 with 4 implied decimals (ITCH/OUCH "Price": 1.0000 = 10000). Order
 * reference numbers (ITCH "Order Reference Number", OUCH "Order Reference Number") and match
 * numbers are assigned by the engine from 1, day-unique across symbols.
 *
 * Owners. Every order carries an owner: FP_SIM_OWNER_MARKET (0) for the synthetic flow, or a
 * client id (1..max_owners-1) chosen by the order-entry acceptor, plus the client's token
 * (the OUCH UserRefNum; the engine indexes (owner, token) so that the acceptor can find an
 * order by token) and a firm (4 ASCII letters packed by fp_sim_firm(); 0 = none) used for
 * self-match prevention and for ITCH 'F' attribution. Callbacks about client orders go to
 * the order listener; every change of a book goes to the market-data listener as the ITCH
 * 5.0 message the venue would publish. Listeners must not call back into the engine.
 *
 * Sequence of callbacks for an entered order (each one optional):
 *   rejected                                           (nothing else follows)
 *   accepted, executed*, [canceled (IOC/market/SMP)]   md: E/C/P for each resting order hit,
 *                                                      then A/F if the remainder rests.
 */
#ifndef FP_SIM_ENGINE_H
#define FP_SIM_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/** Owner of the synthetic background flow; its orders produce no order-listener calls. */
#define FP_SIM_OWNER_MARKET 0u

/** Price of a market order (OUCH: 0x7FFFFFFF, or 2,000,000,000 = $200,000.0000). */
#define FP_SIM_PRICE_MARKET INT64_C(0x7FFFFFFF)
/** Largest limit price accepted: $199,999.9900 (OUCH 5.0 §1.2). */
#define FP_SIM_PRICE_MAX    INT64_C(1999999900)
/** Largest order quantity accepted: less than 1,000,000 shares (OUCH 5.0 §2.1). */
#define FP_SIM_QTY_MAX      999999u

enum fp_sim_side {
	FP_SIM_BUY = 'B',
	FP_SIM_SELL = 'S', /**< OUCH 'T' (short) and 'E' (short exempt) map here */
};

/** Time in force kept by the engine. */
enum fp_sim_tif {
	FP_SIM_TIF_DAY = 0, /**< rests until canceled or the end of the session */
	FP_SIM_TIF_IOC = 1, /**< what does not trade at once is canceled ('I') */
};

/** Display of a resting order: what the ITCH feed shows. Values are OUCH "Display". */
enum fp_sim_display {
	FP_SIM_DISPLAY_VISIBLE = 'Y',      /**< ITCH 'A' */
	FP_SIM_DISPLAY_HIDDEN = 'N',       /**< not on the feed; executions as ITCH 'P' */
	FP_SIM_DISPLAY_ATTRIBUTABLE = 'A', /**< ITCH 'F' with the firm as MPID */
};

/** Cancel reasons: the OUCH 5.0 Appendix B codes. */
enum fp_sim_cancel_reason {
	FP_SIM_CXL_USER = 'U',        /**< cancel or reduce requested by the owner */
	FP_SIM_CXL_IOC = 'I',         /**< IOC (or market) remainder */
	FP_SIM_CXL_SELF_MATCH = 'Q',  /**< would have traded with the same firm */
	FP_SIM_CXL_SUPERVISORY = 'S', /**< mass cancel / operator */
	FP_SIM_CXL_CLOSED = 'E',      /**< end of session (DAY expiry) */
	FP_SIM_CXL_SYSTEM = 'Z',      /**< removed by the system (e.g. invalid replace) */
};

/** Reject reasons: the OUCH 5.0 Appendix C codes (16-bit "Reason"). */
enum fp_sim_reject_reason {
	FP_SIM_REJ_NONE = 0,
	FP_SIM_REJ_DESTINATION_CLOSED = 0x0002, /**< session not open */
	FP_SIM_REJ_HALTED = 0x0007,             /**< symbol halted and the order is IOC/market */
	FP_SIM_REJ_INVALID_SIDE = 0x0009,
	FP_SIM_REJ_PROCESSING_ERROR = 0x000A, /**< order pool or client index full */
	FP_SIM_REJ_INVALID_QUANTITY = 0x0013, /**< 0 or over FP_SIM_QTY_MAX */
	FP_SIM_REJ_INVALID_SYMBOL = 0x0017,
	FP_SIM_REJ_INVALID_PRICE = 0x001D,   /**< <= 0, over the max, or off the tick */
	FP_SIM_REJ_DUPLICATE_TOKEN = 0x000F, /**< "Other": (owner, token) already live */
};

/** Liquidity flags of an execution (OUCH 5.0 Appendix D). */
enum fp_sim_liquidity {
	FP_SIM_LIQ_ADDED = 'A',
	FP_SIM_LIQ_REMOVED = 'R',
	FP_SIM_LIQ_HIDDEN_ADDED = 'J',
	FP_SIM_LIQ_HALT_CROSS = 'H',
};

/** Trading state of a symbol (ITCH 'H' "Trading State"). */
enum fp_sim_trading_state {
	FP_SIM_STATE_TRADING = 'T',
	FP_SIM_STATE_HALTED = 'H',
	FP_SIM_STATE_PAUSED = 'P',
	FP_SIM_STATE_QUOTATION = 'Q', /**< quotation only: orders rest, no matching */
};

/** Self-match prevention: which of the two orders of one firm is canceled. */
enum fp_sim_smp_mode {
	FP_SIM_SMP_CANCEL_NEWEST = 0, /**< the incoming order's remainder ('Q') */
	FP_SIM_SMP_CANCEL_OLDEST = 1, /**< the resting order ('Q'), matching goes on */
	FP_SIM_SMP_OFF = 2,
};

/** A new order, as given to fp_sim_engine_enter(). */
struct fp_sim_order_req {
	uint32_t owner;  /**< FP_SIM_OWNER_MARKET or a client id < max_owners */
	uint32_t token;  /**< client's id (OUCH UserRefNum), unique per live order of an owner */
	uint32_t firm;   /**< fp_sim_firm("ABCD"), 0 = none (no SMP, no attribution) */
	uint16_t locate; /**< symbol: 1..max_symbols, as added with fp_sim_engine_add_symbol */
	uint8_t side;    /**< enum fp_sim_side */
	uint8_t tif;     /**< enum fp_sim_tif (see fp_sim_tif_from_ouch) */
	uint8_t display; /**< enum fp_sim_display */
	uint32_t qty;    /**< shares, 1..FP_SIM_QTY_MAX */
	int64_t price;   /**< limit price (4 decimals) or FP_SIM_PRICE_MARKET */
	uint64_t
		user; /**< opaque to the engine, echoed in fp_sim_order_info (e.g. a session slot) */
};

/** What the order listener learns about a client order (every callback carries one). */
struct fp_sim_order_info {
	uint64_t ts_ns; /**< timestamp given to the call that caused this */
	uint64_t ref;   /**< engine's order reference number (0 in a reject) */
	uint64_t user;  /**< fp_sim_order_req.user */
	int64_t price;  /**< accepted limit price (FP_SIM_PRICE_MARKET for market) */
	uint32_t owner;
	uint32_t token;
	uint32_t firm;
	uint32_t open_qty; /**< shares still on the book after this event */
	uint32_t exec_qty; /**< shares executed over the whole order/replace chain */
	uint16_t locate;
	uint8_t side; /**< enum fp_sim_side */
	uint8_t tif;  /**< accepted TIF (a market order is accepted as IOC) */
	uint8_t display;
	uint8_t live; /**< 1 = on the book after this event ("Order State" L), 0 = dead */
};

/** Order listener: the order-entry acceptor turns these into OUCH messages. */
struct fp_sim_order_listener {
	void *arg;
	/** Accepted (OUCH 'A'). For a replace, on_replaced is called instead. */
	void (*on_accepted)(void *arg, const struct fp_sim_order_info *o);
	/** Executed (OUCH 'E'): @p qty at @p price, liquidity enum fp_sim_liquidity. */
	void (*on_executed)(void *arg, const struct fp_sim_order_info *o, uint32_t qty,
			    int64_t price, uint64_t match_number, uint8_t liquidity);
	/** Canceled or reduced (OUCH 'C'): @p qty_decrement shares gone, reason enum. */
	void (*on_canceled)(void *arg, const struct fp_sim_order_info *o, uint32_t qty_decrement,
			    uint8_t reason);
	/** Replaced (OUCH 'U'): @p o is the replacement (new token, maybe new ref). */
	void (*on_replaced)(void *arg, const struct fp_sim_order_info *o, uint32_t orig_token,
			    uint64_t orig_ref);
	/** Rejected (OUCH 'J'): @p o carries the request's fields, ref 0. */
	void (*on_rejected)(void *arg, const struct fp_sim_order_info *o, uint16_t reason);
};

/**
 * One market-data change, named by the ITCH 5.0 message type that publishes it:
 * 'A'/'F' add, 'E' executed, 'C' executed with price, 'X' cancel (partial), 'D' delete,
 * 'U' replace, 'P' trade (hidden order), 'Q' cross trade, 'H' trading action.
 */
struct fp_sim_md {
	uint64_t ts_ns;
	uint64_t ref;          /**< A F E C X D P(0) U: order reference (U: original) */
	uint64_t new_ref;      /**< U: new order reference number */
	uint64_t match_number; /**< E C P Q */
	int64_t price;         /**< A F U P Q: price; C: execution price */
	uint32_t qty;          /**< A F U P Q: shares; E C: executed; X: canceled */
	uint16_t locate;
	uint8_t type;       /**< ITCH message type */
	uint8_t side;       /**< A F P: 'B' / 'S' */
	uint8_t printable;  /**< C: 'Y' / 'N' */
	uint8_t state;      /**< H: enum fp_sim_trading_state */
	uint8_t cross_type; /**< Q: 'H' halt/IPO cross */
	char stock[8];      /**< A F P Q H: symbol, space-padded */
	char mpid[4];       /**< F: attribution (the firm) */
	char reason[4];     /**< H: ITCH reason, space-padded */
};

/** Market-data listener: the ITCH publisher turns each change into one ITCH message. */
struct fp_sim_md_listener {
	void *arg;
	void (*on_md)(void *arg, const struct fp_sim_md *m);
};

struct fp_sim_engine_cfg {
	uint32_t max_orders;  /**< live orders at once, all symbols (default 1 << 20) */
	uint16_t max_symbols; /**< highest stock locate (default 1024) */
	uint32_t max_owners;  /**< client ids are 1..max_owners-1 (default 256) */
	uint8_t smp_mode;     /**< enum fp_sim_smp_mode (default cancel newest) */
	struct fp_sim_order_listener order_listener; /**< NULL members are skipped */
	struct fp_sim_md_listener md_listener;       /**< NULL on_md: no market data */
};

/** Per-engine counters (read any time by the engine's thread). */
struct fp_sim_engine_stats {
	uint64_t nb_enter; /**< orders entered (accepted or not) */
	uint64_t nb_accepted;
	uint64_t nb_rejected;
	uint64_t nb_cancel; /**< cancels and reductions applied */
	uint64_t nb_replace;
	uint64_t nb_trades; /**< matches (= last match number) */
	uint64_t nb_shares; /**< shares traded */
	uint64_t nb_smp;    /**< self-match preventions */
	uint32_t nb_live;   /**< orders on the books now */
};

struct fp_sim_engine; /* opaque */

/** Pack a 4-letter firm / MPID ("GSCO") into a firm id (0 for NULL or ""). */
uint32_t fp_sim_firm(const char *mpid);
/** Unpack a firm id into 4 space-padded bytes. */
void fp_sim_firm_str(uint32_t firm, char out[4]);

/**
 * Map an OUCH 5.0 Time In Force byte to the engine's TIF: '0' Day, '5' GTX and 'E' after
 * hours, '6' GTT → DAY (the simulator has one session); '3' IOC → IOC. Other bytes: -1.
 */
int fp_sim_tif_from_ouch(uint8_t ouch_tif);
/** The OUCH byte of an engine TIF: DAY '0', IOC '3'. */
uint8_t fp_sim_tif_to_ouch(uint8_t tif);

/**
 * Allocate an engine (cold path). Pair with fp_sim_engine_destroy().
 * @return the engine, or NULL with fp_err set (-EINVAL bad config, -ENOMEM).
 */
struct fp_sim_engine *fp_sim_engine_create(const struct fp_sim_engine_cfg *cfg);
/** Free the engine; NULL is a no-op. No callbacks are made. */
void fp_sim_engine_destroy(struct fp_sim_engine *e);

/**
 * Declare symbol @p locate (1..max_symbols) named @p stock (up to 8 chars), trading in
 * ticks of @p tick (price units: 100 = $0.01; 1 = $0.0001), in state TRADING.
 * @return 0, -EINVAL (locate out of range, empty name, tick 0), -EEXIST.
 */
int fp_sim_engine_add_symbol(struct fp_sim_engine *e, uint16_t locate, const char *stock,
			     int64_t tick);
/** Locate of symbol @p stock (8 bytes space-padded or NUL-terminated), 0 if unknown. */
uint16_t fp_sim_engine_find_symbol(const struct fp_sim_engine *e, const char *stock);
/** Stock name of @p locate, 8 bytes space-padded (not NUL-terminated), NULL if unknown. */
const char *fp_sim_engine_stock(const struct fp_sim_engine *e, uint16_t locate);

/**
 * Enter an order: validate, accept, match against the other side in price-time priority
 * (at the resting order's price), then rest the remainder (DAY limit) or cancel it (IOC,
 * market: reason 'I'). During a halt/pause/quotation state, limit DAY orders rest without
 * matching and IOC/market orders are rejected (Halted).
 * @return the order reference number (> 0), or 0 when rejected (the reason went to
 *         on_rejected, and is also stored in *reject when @p reject is not NULL).
 */
uint64_t fp_sim_engine_enter(struct fp_sim_engine *e, const struct fp_sim_order_req *req,
			     uint64_t ts_ns, uint16_t *reject);

/**
 * Cancel or reduce order @p ref to @p qty open shares (OUCH Cancel: 0 cancels all). A qty
 * >= the open shares, or an unknown/dead order, does nothing (superfluous cancels are
 * silently ignored, OUCH §2.3). md: 'X' for a reduction, 'D' for a full cancel.
 * @return shares removed (0 when nothing happened).
 */
uint32_t fp_sim_engine_cancel(struct fp_sim_engine *e, uint64_t ref, uint32_t qty, uint8_t reason,
			      uint64_t ts_ns);

/**
 * Replace order @p ref (OUCH Replace): @p req holds the new token, quantity, price, tif and
 * display (side, symbol, owner and firm are kept from the original). req->qty is the total
 * liable over the chain, executed shares included (OUCH §2.2): the new open quantity is
 * qty - executed; if that is <= 0 the order is canceled. Priority:
 *   - same price and the open quantity goes down (or stays): the order keeps its place and
 *     its reference number; md 'X' for the reduction;
 *   - anything else: priority lost, a new reference number, md 'U'; the replacement may
 *     then trade at once like a new order.
 * Returns 0 (and calls nothing) when @p ref is not live (OUCH: silently ignored). An
 * invalid price or quantity cancels the original ('Z', OUCH §2.2 case 2).
 * @return the replacement's reference number, or 0.
 */
uint64_t fp_sim_engine_replace(struct fp_sim_engine *e, uint64_t ref,
			       const struct fp_sim_order_req *req, uint64_t ts_ns);

/**
 * Cancel every live order of @p owner, optionally only on @p locate (0 = all) and one
 * @p side (0 = both), with @p reason. md 'D' for each. @return orders canceled.
 */
uint32_t fp_sim_engine_mass_cancel(struct fp_sim_engine *e, uint32_t owner, uint16_t locate,
				   uint8_t side, uint8_t reason, uint64_t ts_ns);

/**
 * Set the trading state of @p locate (md 'H' with @p reason, 4 chars, NULL = spaces).
 * Going back to TRADING from another state runs the reopening cross: while the book is
 * crossed, orders trade at one price per step (md 'C' non-printable for each resting order,
 * then one 'Q' per step). @return 0, -EINVAL.
 */
int fp_sim_engine_set_state(struct fp_sim_engine *e, uint16_t locate, uint8_t state,
			    const char *reason, uint64_t ts_ns);

/** Reference number of the live order (@p owner, @p token), 0 if none (owner != 0). */
uint64_t fp_sim_engine_lookup(const struct fp_sim_engine *e, uint32_t owner, uint32_t token);

/** Fill @p o with the live order @p ref. @return true if live. */
bool fp_sim_engine_order(const struct fp_sim_engine *e, uint64_t ref, struct fp_sim_order_info *o);

/** Best bid/ask of @p locate: price 0 and qty 0 on an empty side. Any pointer may be NULL. */
void fp_sim_engine_bbo(const struct fp_sim_engine *e, uint16_t locate, int64_t *bid_px,
		       uint64_t *bid_qty, int64_t *ask_px, uint64_t *ask_qty);

/** Number of price levels on one side of @p locate. */
uint32_t fp_sim_engine_depth(const struct fp_sim_engine *e, uint16_t locate, uint8_t side);

/** Number of live FP_SIM_OWNER_MARKET orders on @p locate. */
uint32_t fp_sim_engine_market_orders(const struct fp_sim_engine *e, uint16_t locate);
/** The @p i-th live FP_SIM_OWNER_MARKET order of @p locate (i < market_orders), for the flow
 * generator's random cancels. @return its reference number, 0 if out of range. */
uint64_t fp_sim_engine_market_order_at(const struct fp_sim_engine *e, uint16_t locate, uint32_t i);

/**
 * Visit every live order of @p locate: bids then asks, each side from the best level to the
 * worst, each level in time priority (what a snapshot needs to rebuild the book with its
 * queue positions). @p fn must not call back into the engine. @return orders visited.
 */
uint32_t fp_sim_engine_foreach_order(const struct fp_sim_engine *e, uint16_t locate,
				     void (*fn)(void *arg, const struct fp_sim_order_info *o),
				     void *arg);

/** Trading state of @p locate (0 if unknown). */
uint8_t fp_sim_engine_state(const struct fp_sim_engine *e, uint16_t locate);

const struct fp_sim_engine_stats *fp_sim_engine_stats(const struct fp_sim_engine *e);

/**
 * Check every invariant of every book (levels sorted, quantities summed, FIFO links,
 * indexes): for tests. @return 0, or -EPROTO with fp_err set naming the first violation.
 */
int fp_sim_engine_check(const struct fp_sim_engine *e);

/** Print the book of @p locate (every level and order) for failing tests. */
void fp_sim_engine_dump(FILE *out, const struct fp_sim_engine *e, uint16_t locate);

#endif /* FP_SIM_ENGINE_H */
