/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * strategy.h - the stable C ABI between the strategy host and a strategy (built in, or a
 * shared object loaded from a path in the config).
 *
 * Who calls what: the host (one thread, the strategy worker) calls a strategy's callbacks;
 * a callback emits orders through the context it is given. Callbacks run on the hot path:
 * they must not block, allocate, make syscalls, take locks or log; all a strategy needs is
 * its private state, which the host allocates (state_size bytes, zeroed, 64-byte aligned)
 * and hands to every callback. init() and fini() are cold and may do anything.
 *
 * A shared object exports one function:
 *
 *     const struct fp_strat_ops *fp_strategy_entry(void);
 *
 * returning a static table whose abi_version is FP_STRAT_ABI_VERSION; the host refuses any
 * other version. The ABI changes only by appending members to the ends of these structs
 * and bumping FP_STRAT_ABI_VERSION; events are struct fp_event (fp_event.h, itself versioned
 * by FP_EVENT_VERSION). A strategy uses no symbol of the host: everything goes through
 * ctx->api, so a .so links against nothing of ours.
 *
 * Prices are Price(4) (ITCH 4 decimals), quantities shares, times TSC cycles.
 */
#ifndef FP_STRATEGY_H
#define FP_STRATEGY_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fp_event.h"

/* 2: fp_strat_api.depth (fp_strat_depth), struct fp_strat_level
 * 3: fp_strat_ops.params (declared parameters; the host refuses any other key) */
#define FP_STRAT_ABI_VERSION 3
#define FP_STRAT_ENTRY       "fp_strategy_entry"
#define FP_STRAT_MAX_PARAMS  16

/** One configuration parameter, as text (the strategy parses what it needs at init). */
struct fp_strat_param {
	char key[32];
	char value[64];
};

/** One parameter a strategy reads (fp_strat_ops.params). */
struct fp_strat_param_decl {
	const char *key; /**< < 32 characters; NULL ends the list */
	const char *doc; /**< one line: meaning and default, for messages and docs */
};

/** Key of the parameter the host adds from the config entry's `symbol`: every strategy
 *  accepts it, declared or not. */
#define FP_STRAT_PARAM_SYMBOL "symbol"

/** Parameters of one strategy instance. */
struct fp_strat_params {
	uint32_t nb;
	struct fp_strat_param p[FP_STRAT_MAX_PARAMS];
};

struct fp_strat_ctx;

/** One price level of a depth view (fp_strat_depth()). */
struct fp_strat_level {
	int64_t price;   /**< Price(4) */
	uint32_t shares; /**< open shares at this price (clamped to 2^32-1) */
	uint32_t orders; /**< orders at this price */
};

/** What a strategy may ask of its host (function pointers: no link dependency). */
struct fp_strat_api {
	/**
	 * Emit a new limit order. @return its client order id, 0 when refused by the host
	 * (outbox full: the intent ring is backed up; try again on a later event).
	 */
	uint64_t (*new_order)(struct fp_strat_ctx *ctx, uint32_t symbol_id, uint8_t side,
			      uint32_t shares, int64_t price, uint8_t tif);
	/** Ask to cancel order @p client_order_id. @return 0, or -1 when the outbox is full. */
	int (*cancel)(struct fp_strat_ctx *ctx, uint32_t symbol_id, uint64_t client_order_id);
	/** Replace an order's size and price: @return the new order's id, 0 when refused. */
	uint64_t (*replace)(struct fp_strat_ctx *ctx, uint32_t symbol_id, uint64_t client_order_id,
			    uint8_t side, uint32_t shares, int64_t price);
	/** This strategy's position in @p symbol_id from its own fills (shares, long > 0). */
	int64_t (*position)(const struct fp_strat_ctx *ctx, uint32_t symbol_id);
	/* ---- ABI 2 ---- */
	/**
	 * Copy up to @p levels price levels of one side (FP_SIDE_BUY: bids, FP_SIDE_SELL:
	 * asks) of @p symbol_id, best first, from the book worker's last snapshot (read under
	 * its seqlock: read-only, no syscall, no lock, never waits on the book). The view
	 * holds the snapshot depth the pipeline configures (book.depth) and may lag the
	 * tops this strategy was handed by up to one book poll batch.
	 * @return levels copied (0: empty side), -EINVAL (bad side, NULL out), -ERANGE
	 *         (unknown symbol), -ENODATA (the pipeline keeps no snapshots), -EBUSY (the
	 *         book rewrote the symbol during every try: ask again on a later event),
	 *         -ESTALE (the book is stale for this symbol: do not trade on it)
	 */
	int (*depth)(const struct fp_strat_ctx *ctx, uint32_t symbol_id, uint8_t side,
		     uint32_t levels, struct fp_strat_level *out);
};

/** Handed to every callback. */
struct fp_strat_ctx {
	const struct fp_strat_api *api;
	void *host;           /**< the host's, opaque */
	uint16_t strategy_id; /**< what risk and P&L track */
	uint16_t reserved0;
	uint32_t reserved1;
	uint64_t now_tsc; /**< TSC when the current event was taken from its ring */
	uint64_t tsc_hz;  /**< TSC rate */
	const struct fp_event
		*cause; /**< event being handled (its t_rx goes on orders); NULL for timers */
};

/** The table a strategy provides. Callbacks other than init may be NULL. */
struct fp_strat_ops {
	uint32_t abi_version; /**< FP_STRAT_ABI_VERSION */
	uint32_t state_size;  /**< bytes of private state (<= 1 MiB) */
	const char *name;
	/** Cold: parse params, set the state up. @return 0 or negative errno (refuses to start).
	 *  A config check (`config validate`, and `fastpath run` before any worker starts)
	 *  also runs init then fini once in a scratch host, to refuse what init refuses: keep
	 *  what init does outside its state (files, connections) safe to do twice. */
	int (*init)(void *state, const struct fp_strat_params *params, struct fp_strat_ctx *ctx);
	void (*on_book_top)(void *state, struct fp_strat_ctx *ctx, const struct fp_event *ev);
	void (*on_trade)(void *state, struct fp_strat_ctx *ctx, const struct fp_event *ev);
	/** Execution reports of this strategy's own orders (FP_EV_EXEC_*). */
	void (*on_exec)(void *state, struct fp_strat_ctx *ctx, const struct fp_event *ev);
	/** An intent that risk refused (FP_EV_RISK_REJECT; reason: enum fp_risk_reason). */
	void (*on_reject)(void *state, struct fp_strat_ctx *ctx, const struct fp_event *ev);
	/** Called every timer period of the host. */
	void (*on_timer)(void *state, struct fp_strat_ctx *ctx);
	/** Cold. */
	void (*fini)(void *state);
	/* ---- ABI 3 ---- */
	/**
	 * Every parameter init() reads, ended by {NULL}; NULL: none. The host refuses to start
	 * a strategy given any other key (FP_STRAT_PARAM_SYMBOL excepted): a misspelled key
	 * would otherwise leave its default in force without a word.
	 */
	const struct fp_strat_param_decl *params;
};

/* ---- inline helpers for strategies (no host symbols needed) ---- */

static inline uint64_t fp_strat_new(struct fp_strat_ctx *ctx, uint32_t symbol_id, uint8_t side,
				    uint32_t shares, int64_t price, uint8_t tif)
{
	return ctx->api->new_order(ctx, symbol_id, side, shares, price, tif);
}

static inline int fp_strat_cancel(struct fp_strat_ctx *ctx, uint32_t symbol_id, uint64_t id)
{
	return ctx->api->cancel(ctx, symbol_id, id);
}

static inline uint64_t fp_strat_replace(struct fp_strat_ctx *ctx, uint32_t symbol_id, uint64_t id,
					uint8_t side, uint32_t shares, int64_t price)
{
	return ctx->api->replace(ctx, symbol_id, id, side, shares, price);
}

static inline int64_t fp_strat_position(const struct fp_strat_ctx *ctx, uint32_t symbol_id)
{
	return ctx->api->position(ctx, symbol_id);
}

/** Depth of one side of a symbol, best first (fp_strat_api.depth). Hot-path safe. */
static inline int fp_strat_depth(const struct fp_strat_ctx *ctx, uint32_t symbol_id, uint8_t side,
				 uint32_t levels, struct fp_strat_level *out)
{
	return ctx->api->depth(ctx, symbol_id, side, levels, out);
}

/** Text value of parameter @p key, or NULL (cold: init only). */
static inline const char *fp_strat_param_str(const struct fp_strat_params *p, const char *key)
{
	for (uint32_t i = 0; i < p->nb && i < FP_STRAT_MAX_PARAMS; i++)
		if (!strncmp(p->p[i].key, key, sizeof(p->p[i].key)))
			return p->p[i].value;
	return NULL;
}

/** Integer parameter @p key, or @p dflt when absent (cold: init only). */
static inline int64_t fp_strat_param_i64(const struct fp_strat_params *p, const char *key,
					 int64_t dflt)
{
	const char *v = fp_strat_param_str(p, key);
	return v ? strtoll(v, NULL, 0) : dflt;
}

/** Floating parameter @p key, or @p dflt when absent (cold: init only). */
static inline double fp_strat_param_f64(const struct fp_strat_params *p, const char *key,
					double dflt)
{
	const char *v = fp_strat_param_str(p, key);
	return v ? strtod(v, NULL) : dflt;
}

#endif /* FP_STRATEGY_H */
