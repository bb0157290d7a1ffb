/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_sim_glimpse.h - the simulator's snapshot service, in the manner of NASDAQ GLIMPSE 5.0:
 * a SoupBinTCP 3.0 server on a TCP port that answers each login with the current state of
 * the book as ITCH 5.0 messages, then a Snapshot message carrying the ITCH sequence number
 * at which a client resumes processing the real-time (MoldUDP64) feed.
 *
 * What a client receives, each message in one SoupBinTCP sequenced data packet ('S'),
 * numbered from 1 after the Login Accepted:
 *
 *   'S' system event 'Q' (market hours: the state the simulator runs in)
 *   'R' stock directory of every symbol, then 'H' its trading state
 *   'A' (or 'F' with the firm as MPID) for every displayed open order: per symbol, bids
 *       then asks, best price first, each price level in time priority, with the order's
 *       reference number and open shares (hidden orders are never on the feed)
 *   'M' Snapshot: 9 bytes, Message Type 'M' then the ITCH sequence number (8 bytes,
 *       big-endian) of the first real-time message NOT reflected in the snapshot
 *
 * Every real-time message below that sequence number is already in the snapshot; every
 * message from it on is not. The server closes the connection once the snapshot is sent.
 * Any username and password are accepted (the simulator's feed has no entitlements); a
 * requested session other than blank or the feed's session is rejected ('S').
 *
 * Simulator main thread only: fp_sim_glimpse_poll() accepts, reads logins, and sends with
 * non-blocking sockets; a snapshot is built in memory at login (cold path, allocates).
 */
#ifndef FP_SIM_GLIMPSE_H
#define FP_SIM_GLIMPSE_H

#include <stdint.h>
#include <stdio.h>

#include "fp_sim_engine.h"
#include "fp_sim_itch.h"
#include "fp_sim_market.h"

#define FP_SIM_GLIMPSE_SNAPSHOT     'M' /**< GLIMPSE Snapshot message type */
#define FP_SIM_GLIMPSE_SNAPSHOT_LEN 9   /**< type + ITCH sequence number (u64 BE) */
#define FP_SIM_GLIMPSE_MAX_CLIENTS  8

struct fp_sim_glimpse_cfg {
	const char *bind_addr; /**< IPv4 address to listen on (127.0.0.1) */
	uint16_t port;         /**< TCP port; 0 = any free port (see fp_sim_glimpse_port) */
	char session[10];      /**< the feed's MoldUDP64 session, space padded */
};

struct fp_sim_glimpse_stats {
	uint64_t nb_connections;
	uint64_t nb_logins;
	uint64_t nb_rejected; /**< logins for another session, malformed packets */
	uint64_t nb_snapshots;
	uint64_t nb_orders; /**< add orders sent, all snapshots */
	uint64_t nb_msgs;   /**< messages sent, all snapshots */
	uint64_t last_seq;  /**< sequence number of the last snapshot message */
};

struct fp_sim_glimpse;

/**
 * Listen on cfg->bind_addr:cfg->port. The engine, market and publisher are read at each
 * login (they must outlive the server). Pair with fp_sim_glimpse_destroy().
 * @return the server, or NULL with fp_err set (bad address, port in use)
 */
struct fp_sim_glimpse *fp_sim_glimpse_create(const struct fp_sim_glimpse_cfg *cfg,
					     const struct fp_sim_engine *eng,
					     const struct fp_sim_market *mkt,
					     const struct fp_sim_itch *itch);

/** Close every connection and the listener; NULL is a no-op. */
void fp_sim_glimpse_destroy(struct fp_sim_glimpse *g);

/** Accept, read logins, build and send snapshots (ITCH time @p ts_ns). @return work done. */
unsigned fp_sim_glimpse_poll(struct fp_sim_glimpse *g, uint64_t ts_ns);

/** The TCP port listened on. */
uint16_t fp_sim_glimpse_port(const struct fp_sim_glimpse *g);

const struct fp_sim_glimpse_stats *fp_sim_glimpse_stats(const struct fp_sim_glimpse *g);

/**
 * Write the displayed book of every symbol, @p depth levels a side, one line per symbol:
 *
 *     STOCK bids P:S:N,P:S:N asks P:S:N
 *
 * (price in 4 decimals, shares, orders; best first; "-" for an empty side). The same form
 * that tests build from `fastpath-ctl book`, so that the two can be compared with diff.
 */
void fp_sim_glimpse_write_depth(FILE *out, const struct fp_sim_engine *eng,
				const struct fp_sim_market *mkt, unsigned depth);

#endif /* FP_SIM_GLIMPSE_H */
