/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_net.h - Ethernet (with 802.1Q/802.1ad VLAN tags), IPv4, UDP and TCP header parsing over a
 * byte buffer.
 *
 * Pure functions over caller memory: any process or thread, hot path included (no syscalls, no
 * allocation, no errno). Used by the dataplane's rx backends, the pcap replay, fastpath-md and
 * the OUCH capture readers. All header fields are big-endian (network order) and are read
 * through proto/fp_endian.h.
 *
 * The L4 payload is bounded by the IPv4 total length, never by the frame length: Ethernet
 * pads short frames to 60 bytes and some capture devices append a trailer (a timestamp) after
 * the IP packet; both must not be read as payload.
 */
#ifndef FP_NET_H
#define FP_NET_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "fp_compiler.h"
#include "fp_endian.h"

#define FP_ETHER_TYPE_IPV4 0x0800
#define FP_ETHER_TYPE_VLAN 0x8100 /**< 802.1Q */
#define FP_ETHER_TYPE_QINQ 0x88A8 /**< 802.1ad outer tag */
#define FP_IP_PROTO_TCP    6
#define FP_IP_PROTO_UDP    17

/** Most VLAN tags accepted in front of the IP header (QinQ = 2). */
#define FP_NET_MAX_VLAN 2

/* pcap link types (LINKTYPE_*) understood by fp_net_parse_link(). */
#define FP_LINKTYPE_ETHERNET  1
#define FP_LINKTYPE_RAW       101 /**< raw IP (also 12 on some systems) */
#define FP_LINKTYPE_LINUX_SLL 113
#define FP_LINKTYPE_IPV4      228

/*
 * Ethernet II header. Byte order: big-endian.
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       6     dst_addr    destination MAC
 *   6       6     src_addr    source MAC
 *   12      2     ether_type  0x0800 IPv4, 0x8100 VLAN tag follows
 */
struct fp_ether_hdr {
	uint8_t dst_addr[6];
	uint8_t src_addr[6];
	fp_be16_t ether_type;
} FP_PACKED;
static_assert(sizeof(struct fp_ether_hdr) == 14, "Ethernet header is 14 bytes");
static_assert(offsetof(struct fp_ether_hdr, ether_type) == 12, "ether_type offset");

/*
 * 802.1Q tag, following the outer ether_type 0x8100.
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       2     vlan_tci    PCP(3) DEI(1) VID(12)
 *   2       2     eth_proto   ether type of what follows
 */
struct fp_vlan_hdr {
	fp_be16_t vlan_tci;
	fp_be16_t eth_proto;
} FP_PACKED;
static_assert(sizeof(struct fp_vlan_hdr) == 4, "VLAN tag is 4 bytes");

/*
 * IPv4 header (RFC 791), options follow when IHL > 5.
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       1     version_ihl      version (4) << 4 | header length in 32-bit words
 *   1       1     type_of_service
 *   2       2     total_length     header + payload, bytes
 *   4       2     packet_id
 *   6       2     fragment_offset  flags(3) | offset(13) in 8-byte units
 *   8       1     time_to_live
 *   9       1     next_proto_id    6 TCP, 17 UDP
 *   10      2     hdr_checksum
 *   12      4     src_addr
 *   16      4     dst_addr
 */
struct fp_ipv4_hdr {
	uint8_t version_ihl;
	uint8_t type_of_service;
	fp_be16_t total_length;
	fp_be16_t packet_id;
	fp_be16_t fragment_offset;
	uint8_t time_to_live;
	uint8_t next_proto_id;
	fp_be16_t hdr_checksum;
	fp_be32_t src_addr;
	fp_be32_t dst_addr;
} FP_PACKED;
static_assert(sizeof(struct fp_ipv4_hdr) == 20, "IPv4 header is 20 bytes");
static_assert(offsetof(struct fp_ipv4_hdr, total_length) == 2, "total_length offset");
static_assert(offsetof(struct fp_ipv4_hdr, next_proto_id) == 9, "next_proto_id offset");
static_assert(offsetof(struct fp_ipv4_hdr, src_addr) == 12, "src_addr offset");
static_assert(offsetof(struct fp_ipv4_hdr, dst_addr) == 16, "dst_addr offset");

#define FP_IPV4_MF          0x2000 /**< more fragments */
#define FP_IPV4_OFFSET_MASK 0x1FFF

/*
 * UDP header (RFC 768).
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       2     src_port
 *   2       2     dst_port
 *   4       2     dgram_len    header + payload, bytes
 *   6       2     dgram_cksum
 */
struct fp_udp_hdr {
	fp_be16_t src_port;
	fp_be16_t dst_port;
	fp_be16_t dgram_len;
	fp_be16_t dgram_cksum;
} FP_PACKED;
static_assert(sizeof(struct fp_udp_hdr) == 8, "UDP header is 8 bytes");

/*
 * TCP header (RFC 793), options follow when data offset > 5.
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       2     src_port
 *   2       2     dst_port
 *   4       4     sent_seq    sequence number
 *   8       4     recv_ack    acknowledgement number
 *   12      1     data_off    header length in 32-bit words << 4
 *   13      1     tcp_flags   FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10
 *   14      2     rx_win
 *   16      2     cksum
 *   18      2     tcp_urp
 */
struct fp_tcp_hdr {
	fp_be16_t src_port;
	fp_be16_t dst_port;
	fp_be32_t sent_seq;
	fp_be32_t recv_ack;
	uint8_t data_off;
	uint8_t tcp_flags;
	fp_be16_t rx_win;
	fp_be16_t cksum;
	fp_be16_t tcp_urp;
} FP_PACKED;
static_assert(sizeof(struct fp_tcp_hdr) == 20, "TCP header is 20 bytes");
static_assert(offsetof(struct fp_tcp_hdr, data_off) == 12, "data_off offset");

#define FP_TCP_FIN 0x01
#define FP_TCP_SYN 0x02
#define FP_TCP_RST 0x04
#define FP_TCP_PSH 0x08
#define FP_TCP_ACK 0x10

/** Outcome of a parse; FP_NET_OK = 0 so that `if (fp_net_parse_eth(...))` reads as failure. */
enum fp_net_result {
	FP_NET_OK = 0,
	FP_NET_SHORT,        /**< a header does not fit the buffer (or IP total length) */
	FP_NET_NOT_IPV4,     /**< another ether type (ARP, IPv6, ...) or IP version */
	FP_NET_BAD_IP,       /**< IHL < 5, total length < header, or beyond the frame */
	FP_NET_FRAGMENT,     /**< an IPv4 fragment: not reassembled */
	FP_NET_OTHER_PROTO,  /**< neither UDP nor TCP */
	FP_NET_BAD_L4,       /**< UDP length or TCP data offset inconsistent */
	FP_NET_BAD_LINKTYPE, /**< fp_net_parse_link(): link type not supported */
	FP_NET_RESULT_MAX
};

/** What a parse found. Addresses and ports are in host order. */
struct fp_net_pkt {
	const uint8_t *payload; /**< UDP/TCP payload, inside the frame */
	uint32_t payload_len;   /**< bytes, bounded by the IP total length */
	uint32_t src_addr;      /**< IPv4 source, host order (10.0.0.1 = 0x0A000001) */
	uint32_t dst_addr;      /**< IPv4 destination, host order */
	uint16_t src_port;
	uint16_t dst_port;
	uint8_t ip_proto;     /**< FP_IP_PROTO_UDP or FP_IP_PROTO_TCP */
	uint8_t nb_vlan;      /**< VLAN tags seen (0..FP_NET_MAX_VLAN) */
	uint16_t vlan_id;     /**< VID of the innermost tag, 0 when untagged */
	uint16_t l3_offset;   /**< offset of the IPv4 header in the frame */
	uint16_t l4_offset;   /**< offset of the UDP/TCP header in the frame */
	uint32_t tcp_seq;     /**< TCP only: sent_seq */
	uint32_t tcp_ack;     /**< TCP only: recv_ack */
	uint8_t tcp_flags;    /**< TCP only */
	uint32_t trailer_len; /**< bytes after the IP packet (padding, capture trailer) */
};

/**
 * Parse an Ethernet frame down to its UDP or TCP payload. Any thread; pure.
 *
 * @param frame  the frame from the destination MAC on
 * @param len    bytes available in @p frame (captured length)
 * @param pkt    filled on FP_NET_OK; partially filled otherwise
 * @return FP_NET_OK or the first problem found
 */
enum fp_net_result fp_net_parse_eth(const uint8_t *frame, uint32_t len, struct fp_net_pkt *pkt);

/**
 * Parse an IPv4 packet (no link header) down to its UDP or TCP payload. Any thread; pure.
 * Offsets in @p pkt are relative to @p ip plus @p base (the link header's length).
 */
enum fp_net_result fp_net_parse_ipv4(const uint8_t *ip, uint32_t len, uint16_t base,
				     struct fp_net_pkt *pkt);

/** Parse a frame of pcap link type @p linktype (FP_LINKTYPE_*). Any thread; pure. */
enum fp_net_result fp_net_parse_link(uint32_t linktype, const uint8_t *frame, uint32_t len,
				     struct fp_net_pkt *pkt);

/** Short lowercase name of a result ("ok", "short", ...), for counters and messages. */
const char *fp_net_result_str(enum fp_net_result r);

#endif /* FP_NET_H */
