/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_sim_fix.h - the simulator's FIX 4.4 acceptor, over TCP or TLS (OpenSSL), beside the
 * OUCH one and on the same matching engine: a FIX front end over the OUCH acceptor's
 * accounts (fp_sim_oe.h). A FIX order is entered as the OUCH message it means on the
 * account the Logon names (Username 553 / Password 554), and the account's sequenced OUCH
 * answers are translated into ExecutionReports and OrderCancelRejects; so the fills, the
 * venue's record (fp_sim_oe_account_record) and the ITCH feed are the same whichever
 * protocol a client speaks. An account is used by one protocol at a time.
 *
 * Who may call: the simulator's main thread, the same as fp_sim_oe's (no locks). init
 * allocates; poll never allocates or blocks, and does bounded work per call.
 *
 * Session (FIX 4.4 Volume 2, the acceptor's side): Logon (98, 108, 141=Y resets both
 * numbers to 1), Heartbeat, TestRequest, ResendRequest (application messages sent again
 * with PossDupFlag=Y and OrigSendingTime from a history of FP_SIM_FIX_HISTORY messages,
 * admin ones as one SequenceReset-GapFill), SequenceReset, Reject, Logout. Sequence
 * numbers in both directions live with the account for the acceptor's life, so a client
 * that reconnects is resent what it missed. A MsgSeqNum below the expected one without
 * PossDupFlag ends the session with a Logout; above it, the acceptor asks for a resend and
 * moves on (the gap is filled by the client's gap fill: a test venue, lenient there).
 * Inbound messages have BodyLength and CheckSum checked (proto/fp_fix.h); a garbled one
 * closes the connection with a counter.
 *
 * Orders: NewOrderSingle (limit, 40=2), OrderCancelRequest, OrderCancelReplaceRequest;
 * anything else in the application layer gets a BusinessMessageReject.
 */
#ifndef FP_SIM_FIX_H
#define FP_SIM_FIX_H

#include <stdint.h>

#include "fp_sim_oe.h"

#define FP_SIM_FIX_MAX_CONNS    16
#define FP_SIM_FIX_HISTORY      4096  /**< application messages kept per account for resend */
#define FP_SIM_FIX_ORDERS       65536 /**< orders remembered per account (power of two) */
#define FP_SIM_FIX_DEFAULT_PORT 15100

struct fp_sim_fix_cfg {
	const char *bind_addr;     /**< IPv4, NULL = 127.0.0.1 */
	uint16_t port;             /**< 0 = any free port (fp_sim_fix_port) */
	const char *comp_id;       /**< our SenderCompID, NULL = "FPSIM" */
	const char *tls_cert_file; /**< PEM certificate chain; NULL = plain TCP */
	const char *tls_key_file;  /**< its key (unencrypted: a test venue) */
	uint32_t heartbeat_ms;     /**< when the client names none, default 1000 */
	uint32_t timeout_ms;       /**< a silent client is disconnected (default 15000) */
};

struct fp_sim_fix_stats {
	uint64_t nb_connections;
	uint64_t nb_tls_failed; /**< handshakes that failed */
	uint64_t nb_logons;
	uint64_t nb_logon_rejected;
	uint64_t nb_logouts;
	uint64_t nb_garbled; /**< framing, BodyLength or CheckSum wrong: disconnected */
	uint64_t nb_seq_low; /**< MsgSeqNum too low without PossDupFlag: Logout */
	uint64_t nb_msgs_in;
	uint64_t nb_msgs_out;
	uint64_t nb_resent;   /**< application messages sent again on a ResendRequest */
	uint64_t nb_orders;   /**< NewOrderSingle and replace requests passed to the engine */
	uint64_t nb_rejected; /**< requests refused before the engine (bad fields, unknown) */
};

struct fp_sim_fix_conn;
struct fp_sim_fix_sess;

/** The acceptor. Public so that callers can embed it; fields are private. */
struct fp_sim_fix {
	struct fp_sim_oe *oe;
	int listen_fd;
	uint16_t port;
	char comp_id[33];
	uint32_t heartbeat_ms;
	uint32_t timeout_ms;
	void *ssl_ctx; /**< SSL_CTX, NULL = TCP */
	uint64_t now_ms;
	uint32_t nb_sess;
	struct fp_sim_fix_sess *sess; /**< one per account of @p oe */
	struct fp_sim_fix_conn *conns;
	struct fp_sim_fix_stats st;
};

/** Bind, listen, allocate (cold). @return 0 or a negative errno (fp_err set). */
int fp_sim_fix_init(struct fp_sim_fix *fx, const struct fp_sim_fix_cfg *cfg, struct fp_sim_oe *oe);

/** Accept, read and apply requests, translate the accounts' answers, send. @return work. */
unsigned fp_sim_fix_poll(struct fp_sim_fix *fx);

/** Logout every client, close, free. NULL or a failed init is fine. */
void fp_sim_fix_fini(struct fp_sim_fix *fx);

uint16_t fp_sim_fix_port(const struct fp_sim_fix *fx);
const struct fp_sim_fix_stats *fp_sim_fix_stats(const struct fp_sim_fix *fx);

#endif /* FP_SIM_FIX_H */
