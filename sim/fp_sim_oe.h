/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_sim_oe.h - the simulator's order-entry acceptor: OUCH 5.0 over SoupBinTCP 3.0 on a
 * non-blocking TCP listener, feeding the matching engine (fp_sim_engine.h).
 *
 * Who may call: the simulator's main thread, the same thread as the engine (no locks).
 * fp_sim_oe_init() allocates (cold path); fp_sim_oe_poll() never allocates, never blocks,
 * and does bounded work per call: one epoll_wait(0), at most FP_SIM_OE_EVENTS ready sockets
 * with one recv each, one send per connection with pending output, timers. It makes
 * syscalls, so it is off any hot path; the market's own flow does not wait for it.
 *
 * Accounts and sessions. Each configured user (username, password, firm) is one account:
 * one SoupBinTCP session whose sequenced messages are numbered from 1 for the life of the
 * acceptor and kept in a bounded history (cfg.history messages). The engine sees account i
 * as owner i + 1 and the OUCH UserRefNum as the order token, so orders outlive their TCP
 * connection. A login names the account; the requested sequence number (0 = from now on)
 * picks where sending starts, so a client that reconnects receives exactly the messages it
 * missed, once. A newer login of the same account takes the session over (the old
 * connection is closed). Wrong credentials get Login Rejected 'A'; an unknown session
 * name, or a requested sequence number older than the history, 'S'.
 *
 * Hooking into the engine: the engine's order listener must be this acceptor's, set when
 * the engine is created (the struct only has to exist, not be initialised, by then):
 *
 *     static struct fp_sim_oe oe;
 *     ecfg.order_listener = fp_sim_oe_listener(&oe);
 *     eng = fp_sim_engine_create(&ecfg);
 *     fp_sim_oe_init(&oe, &oe_cfg, eng);
 *     for (;;) { ...market flow...; fp_sim_oe_poll(&oe); }
 *     fp_sim_oe_fini(&oe);          (sends End of Session to every client)
 *
 * Misbehaving clients (garbage, oversized or misdirected packets, data before login,
 * malformed OUCH, a reader that lets its output back up beyond cfg.out_buf or the history)
 * are disconnected with a counter; they never block the poll or touch other sessions.
 */
#ifndef FP_SIM_OE_H
#define FP_SIM_OE_H

#include <stdbool.h>
#include <stdint.h>

#include "fp_ouch.h"
#include "fp_sim_engine.h"
#include "fp_soup.h"

#define FP_SIM_OE_EVENTS       32 /**< ready sockets handled per poll */
#define FP_SIM_OE_MAX_USERS    64 /**< accounts (engine owners 1..64) */
#define FP_SIM_OE_DEFAULT_PORT 15000

/** Built-in account used when the configuration names none (paper trading defaults). */
#define FP_SIM_OE_DEFAULT_USER     "fpuser"
#define FP_SIM_OE_DEFAULT_PASSWORD "fppass"
#define FP_SIM_OE_DEFAULT_FIRM     "FPST"

struct fp_sim_oe_user {
	char username[FP_SOUP_USERNAME_LEN + 1]; /**< 1..6 chars */
	char password[FP_SOUP_PASSWORD_LEN + 1]; /**< 1..10 chars */
	char firm[5];                            /**< 4 capitals, "" = none */
};

struct fp_sim_oe_cfg {
	const char *bind_addr; /**< IPv4 address, NULL = "127.0.0.1" */
	uint16_t port;         /**< 0 = any free port (see fp_sim_oe_port) */
	const char *session;   /**< session name (<= 10 chars), NULL/"" = "FPSIM00001" */
	const struct fp_sim_oe_user *users; /**< NULL/0 = the built-in default account */
	uint32_t nb_users;
	uint32_t max_clients;  /**< connections at once (default 64) */
	uint32_t history;      /**< sequenced messages kept per account (default 65536) */
	uint32_t out_buf;      /**< send buffer per connection, bytes (default 65536) */
	uint32_t heartbeat_ms; /**< default FP_SOUP_HEARTBEAT_MS */
	uint32_t timeout_ms;   /**< idle/login/stalled-reader limit, default FP_SOUP_TIMEOUT_MS */
	uint32_t sock_sndbuf;  /**< SO_SNDBUF of client sockets, 0 = kernel default (tests) */
};

struct fp_sim_oe_stats {
	uint64_t nb_connections; /**< TCP connections accepted */
	uint64_t nb_refused;     /**< connections closed at once: max_clients reached */
	uint64_t nb_logins;      /**< logins accepted */
	uint64_t nb_login_rejected;
	uint64_t nb_takeovers; /**< logins that closed an older connection of the account */
	uint64_t nb_logouts;
	uint64_t nb_timeouts;     /**< peers silent for timeout_ms (or never logged in) */
	uint64_t nb_slow_readers; /**< disconnected: output backed up */
	uint64_t nb_bad_framing;  /**< disconnected: SoupBinTCP garbage / oversize / type */
	uint64_t nb_bad_ouch;     /**< disconnected: malformed OUCH or data before login */
	uint64_t nb_disconnects;  /**< every connection closed, whatever the reason */
	uint64_t nb_msgs_in;      /**< OUCH messages received */
	uint64_t nb_msgs_out;     /**< sequenced messages created */
	uint64_t nb_sent;         /**< sequenced messages written to sockets (replays included) */
	uint64_t nb_replayed;     /**< of which sent again after a login with a sequence number */
	uint64_t nb_heartbeats;   /**< server heartbeats sent */
	uint64_t nb_ignored;      /**< requests ignored as the spec says (stale UserRefNum,
				       unknown order, superfluous cancel) */
	uint64_t nb_rejected;     /**< Rejected messages sent */
	uint32_t nb_clients;      /**< connections now */
	uint32_t nb_logged_in;    /**< of which logged in */
};

struct fp_sim_oe_conn;
struct fp_sim_oe_account;

/** The acceptor. Public so that callers can embed it; fields are private. */
struct fp_sim_oe {
	struct fp_sim_engine *engine;
	int listen_fd;
	int epoll_fd;
	uint16_t port;
	char session[FP_SOUP_SESSION_LEN];
	uint32_t max_clients;
	uint32_t history;
	uint32_t out_buf;
	uint32_t heartbeat_ms;
	uint32_t timeout_ms;
	uint32_t sock_sndbuf;
	uint32_t nb_accounts;
	struct fp_sim_oe_account *accounts;
	struct fp_sim_oe_conn *conns;
	uint64_t now_ms;    /**< monotonic, read once per poll */
	uint64_t now_ns;    /**< session clock (fp_sim_oe_set_time): OUCH and engine timestamps */
	const void *cur;    /**< request being applied (echo fields for callbacks) */
	uint32_t cur_owner; /**< its account's engine owner */
	uint32_t cur_token;
	uint8_t cur_mode; /**< what the current request is (modify suppresses 'C') */
	uint8_t ended;
	bool stamp_recv;       /**< set by the caller: stamp recv_mono_ns at every recv */
	uint64_t recv_mono_ns; /**< CLOCK_MONOTONIC when the last recv returned bytes (the
				    arrival stamp of the requests being applied) */
	struct fp_sim_oe_stats st;
};

/** The engine order listener that feeds @p oe (see the header comment). */
struct fp_sim_order_listener fp_sim_oe_listener(struct fp_sim_oe *oe);

/**
 * Bind, listen and allocate every buffer (cold path). Pair with fp_sim_oe_fini().
 * @return 0, or a negative errno with fp_err set: -EINVAL (bad config: user names,
 *         passwords, firms, sizes), -EADDRINUSE etc. from bind, -ENOMEM.
 */
int fp_sim_oe_init(struct fp_sim_oe *oe, const struct fp_sim_oe_cfg *cfg,
		   struct fp_sim_engine *engine);

/**
 * Set the session clock (ns since midnight, the ITCH clock of the same run) that stamps
 * every OUCH message and every engine call of the requests that follow, so that a client's
 * trades carry the same clock as the background flow: ITCH timestamps never go backwards,
 * and a run is repeatable given the same client orders at the same simulated times. The
 * acceptor reads no wall clock for timestamps (only for timeouts and heartbeats).
 */
void fp_sim_oe_set_time(struct fp_sim_oe *oe, uint64_t ts_ns);

/**
 * Do the pending network work without blocking: accept, read and apply requests, send
 * responses and replays, heartbeats, timeouts. @return units of work done (0 = idle).
 */
unsigned fp_sim_oe_poll(struct fp_sim_oe *oe);

/** Send End of Session to every client, flush what the sockets take, close. Keeps the
 *  accounts (fini frees them). */
void fp_sim_oe_end_session(struct fp_sim_oe *oe);

/** End the session, close everything, free. NULL or an uninitialised-by-failure oe is ok. */
void fp_sim_oe_fini(struct fp_sim_oe *oe);

/** The bound TCP port. */
uint16_t fp_sim_oe_port(const struct fp_sim_oe *oe);

const struct fp_sim_oe_stats *fp_sim_oe_stats(const struct fp_sim_oe *oe);

/** The venue's record of one account's executions (what reconciliation compares with). */
struct fp_sim_oe_record {
	uint64_t nb_fills;
	uint64_t bought;         /**< shares bought */
	uint64_t sold;           /**< shares sold (short included) */
	int64_t position;        /**< bought - sold */
	int64_t cash;            /**< sum of -side x shares x price, Price(4) units */
	uint64_t nb_orders;      /**< Enter and Replace Orders processed (not ignored as
				  retransmissions) */
	uint64_t nb_dup_clordid; /**< of which reused a ClOrdID of the session: sent twice */
};

/**
 * Copy the record of account @p idx (0-based, in configuration order) and its user name.
 * @return false past the last account
 */
bool fp_sim_oe_account_record(const struct fp_sim_oe *oe, uint32_t idx,
			      struct fp_sim_oe_record *rec, const char **username);

/** Sequence number of the next sequenced message of account @p user (for tests). */
uint64_t fp_sim_oe_next_seq(const struct fp_sim_oe *oe, const char *user);

/*
 * For another front end on the same accounts (the FIX 4.4 acceptor, fp_sim_fix.h): the
 * same thread, between polls. An account is served by one front end at a time.
 */

/** Index of the account @p user with @p password, or -1 (wrong name or password). */
int fp_sim_oe_account_find(const struct fp_sim_oe *oe, const char *user, const char *password);

/** Apply one inbound OUCH message for account @p idx as if its session had sent it; the
 *  answers are appended to the account's sequenced history. */
void fp_sim_oe_apply(struct fp_sim_oe *oe, uint32_t idx, const struct fp_ouch_msg *m);

/** Sequenced message @p seq of account @p idx (encoded OUCH, *len bytes); NULL when it is
 *  not in the history (not made yet, or turned over). */
const uint8_t *fp_sim_oe_history(const struct fp_sim_oe *oe, uint32_t idx, uint64_t seq,
				 size_t *len);

/** Number of the next sequenced message of account @p idx. */
uint64_t fp_sim_oe_account_next_seq(const struct fp_sim_oe *oe, uint32_t idx);

/** The last UserRefNum account @p idx used (a new order must use a larger one). */
uint32_t fp_sim_oe_account_last_urn(const struct fp_sim_oe *oe, uint32_t idx);

#endif /* FP_SIM_OE_H */
