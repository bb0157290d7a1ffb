/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_sim_itch.h - the simulator's ITCH 5.0 publisher: turns every book change of the
 * matching engine (struct fp_sim_md) and the session's administrative messages into ITCH
 * 5.0 messages (proto/fp_itch.h), packs them into MoldUDP64 packets (proto/fp_mold.h) of at
 * most one MTU, and sends them to a UDP multicast group and/or a pcap file of
 * Ethernet/IPv4/UDP frames. Keeps a bounded history of sent messages and answers
 * MoldUDP64 retransmission requests from it. Can drop, duplicate and reorder packets on
 * purpose to exercise a receiver's gap recovery.
 *
 * Simulator main thread only. Create opens sockets and the file and allocates the history
 * (cold path). Publishing appends to the open packet (no syscall); a full packet, a flush
 * or a poll sends (sendto, fwrite). Timestamps are ITCH's: nanoseconds since midnight US
 * Eastern (the venue's day; fp_sim_eastern_offset_s() gives the offset from UTC).
 */
#ifndef FP_SIM_ITCH_H
#define FP_SIM_ITCH_H

#include <stdbool.h>
#include <stdint.h>

#include "fp_sim_engine.h"
#include "fp_sim_market.h"

struct fp_sim_itch_cfg {
	char session[10];           /**< MoldUDP64 session, space-padded (default "FPSIM00001") */
	const char *group;          /**< multicast group, e.g. "239.192.0.1"; NULL/"" = no UDP */
	uint16_t port;              /**< destination UDP port (default 26400) */
	const char *iface;          /**< IP_MULTICAST_IF and pcap source address (127.0.0.1) */
	int ttl;                    /**< multicast TTL (default 1) */
	bool loop;                  /**< IP_MULTICAST_LOOP (default true) */
	const char *pcap_path;      /**< pcap file to write, NULL = none */
	uint16_t rerequest_port;    /**< rerequest server port on iface, 0 = none */
	uint32_t mtu;               /**< IP MTU bounding a packet (default 1500) */
	uint32_t history;           /**< messages kept for retransmission (power of 2; 1 << 18) */
	double loss;                /**< probability of dropping a packet (0..1) */
	double dup;                 /**< probability of sending a packet twice */
	double reorder;             /**< probability of holding a packet back behind the next */
	uint64_t seed;              /**< of the fault injection */
	uint64_t midnight_epoch_ns; /**< pcap time of ITCH timestamp 0: the epoch (UTC ns since
				       1970) of the US Eastern midnight that starts the day */
	uint64_t heartbeat_ns;      /**< idle time before a heartbeat (default 1 s) */
	uint64_t batch_ns;          /**< longest a message waits for more to share its packet,
				        in ITCH time (default 50 us; 0 = send at every flush) */
};

struct fp_sim_itch_stats {
	uint64_t nb_msgs;         /**< ITCH messages sequenced */
	uint64_t by_type[128];    /**< per ITCH message type */
	uint64_t nb_packets;      /**< UDP datagrams of the feed (data, heartbeat, end), as sent */
	uint64_t nb_data_packets; /**< data packets built (before fault injection) */
	uint64_t nb_heartbeats;
	uint64_t nb_end;     /**< end-of-session packets */
	uint64_t nb_bytes;   /**< MoldUDP64 bytes sent */
	uint64_t nb_dropped; /**< packets dropped on purpose (--loss) */
	uint64_t nb_duplicated;
	uint64_t nb_reordered;
	uint64_t nb_send_errors;  /**< sendto failures (counted, not fatal) */
	uint64_t nb_requests;     /**< retransmission requests received */
	uint64_t nb_bad_requests; /**< wrong session, size, or out of the history */
	uint64_t nb_retrans_msgs; /**< messages sent again */
};

struct fp_sim_itch;

/** Fill @p cfg with the defaults above (no UDP group, no pcap, no rerequest server). */
void fp_sim_itch_cfg_default(struct fp_sim_itch_cfg *cfg);

/**
 * Open the sinks (socket, pcap file, rerequest socket) and allocate the history.
 * Pair with fp_sim_itch_destroy(). @return the publisher, or NULL with fp_err set.
 */
struct fp_sim_itch *fp_sim_itch_create(const struct fp_sim_itch_cfg *cfg);
/** Flush, close everything (no end-of-session is sent: call fp_sim_itch_end_session). */
void fp_sim_itch_destroy(struct fp_sim_itch *p);

/** Market-data listener of the engine (arg = the publisher). */
void fp_sim_itch_on_md(void *arg, const struct fp_sim_md *m);

/** 'S' system event @p code ('O','S','Q','M','E','C'). */
void fp_sim_itch_system_event(struct fp_sim_itch *p, char code, uint64_t ts_ns);
/** 'R' stock directory of @p s. */
void fp_sim_itch_stock_directory(struct fp_sim_itch *p, const struct fp_sim_stock *s,
				 uint64_t ts_ns);

struct fp_itch_msg;
/** Fill @p m with the 'R' stock directory of @p s (what fp_sim_itch_stock_directory sends;
 *  the snapshot server sends the same). */
void fp_sim_itch_directory_msg(struct fp_itch_msg *m, const struct fp_sim_stock *s, uint64_t ts_ns);

/** Send the open packet if it holds any message. */
void fp_sim_itch_flush(struct fp_sim_itch *p, uint64_t ts_ns);

/** Send the open packet if its first message is batch_ns old at ITCH time @p ts_ns. */
void fp_sim_itch_flush_due(struct fp_sim_itch *p, uint64_t ts_ns);

/** ITCH time at which the open packet is due (UINT64_MAX when it is empty). */
uint64_t fp_sim_itch_due_ts(const struct fp_sim_itch *p);

/**
 * Serve retransmission requests (up to @p budget) and send a heartbeat when nothing was
 * sent for heartbeat_ns of @p mono_ns (a monotonic clock). @return requests served.
 */
unsigned fp_sim_itch_poll(struct fp_sim_itch *p, uint64_t ts_ns, uint64_t mono_ns, unsigned budget);

/** Flush, then send the MoldUDP64 end-of-session packet (count 0xFFFF). */
void fp_sim_itch_end_session(struct fp_sim_itch *p, uint64_t ts_ns);

/** Next MoldUDP64 sequence number (messages sequenced + 1). */
uint64_t fp_sim_itch_next_seq(const struct fp_sim_itch *p);

/** UDP port of the rerequest server (useful with rerequest_port chosen by the kernel). */
uint16_t fp_sim_itch_rerequest_port(const struct fp_sim_itch *p);

const struct fp_sim_itch_stats *fp_sim_itch_stats(const struct fp_sim_itch *p);

/**
 * Seconds US Eastern time is off UTC at @p utc_s (seconds since 1970): -4 h (EDT) from the
 * second Sunday of March 07:00 UTC (02:00 EST) to the first Sunday of November 06:00 UTC
 * (02:00 EDT), -5 h (EST) otherwise: the US rule since 2007. Needs no tz database.
 */
int64_t fp_sim_eastern_offset_s(int64_t utc_s);

#endif /* FP_SIM_ITCH_H */
