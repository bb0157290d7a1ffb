/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_md_rx.h - one receive interface for market data: bursts of UDP payloads with an rx
 * TSC stamp, from DPDK, AF_XDP, a kernel UDP multicast socket or a pcap file.
 *
 * fp_md_rx_open()/fp_md_rx_close() are cold (they allocate, make syscalls, may print
 * nothing). fp_md_rx_burst() is the hot path of the md core: no allocation, no syscall
 * except the backend's own receive: recvmmsg for FP_MD_RX_UDP; for AF_XDP a non-blocking
 * recvfrom() that wakes the kernel when it set the fill ring's need_wakeup flag (it ran
 * out of frames; fp_md_rx_xdp.c); none for pcap (the file is mapped and populated at open;
 * pacing reads CLOCK_MONOTONIC through the vDSO); none of ours for DPDK, whose poll-mode
 * drivers make none on a NIC (a virtual device makes its own: net_pcap reads its file
 * through libpcap). One thread per handle. A burst's packets stay valid until the next
 * fp_md_rx_burst() or fp_md_rx_close() on the same handle.
 *
 * Filtering: only UDP/IPv4 datagrams to a configured group:port pair are returned (any
 * UDP datagram when no group is configured). Payloads are bounded by the IP total length,
 * so trailers of capture devices are never read as data.
 */
#ifndef FP_MD_RX_H
#define FP_MD_RX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FP_MD_RX_BURST_MAX  64 /**< most packets per burst */
#define FP_MD_RX_GROUPS_MAX 8  /**< multicast group:port pairs per handle */

enum fp_md_rx_kind {
	FP_MD_RX_NONE = 0,
	FP_MD_RX_PCAP, /**< replay a pcap file (or an in-memory capture) */
	FP_MD_RX_UDP,  /**< kernel UDP socket, multicast membership, recvmmsg */
	FP_MD_RX_DPDK, /**< DPDK ethdev port/queue (real NIC or vdev) */
	FP_MD_RX_XDP,  /**< AF_XDP socket on an interface queue (libxdp) */
};

/** A UDP destination to keep: IPv4 address and port, host byte order. */
struct fp_md_group {
	uint32_t addr; /**< multicast group (or unicast address); 0 = any address */
	uint16_t port; /**< 0 = any port */
};

/** One received UDP datagram. */
struct fp_md_pkt {
	const uint8_t *data; /**< UDP payload */
	uint32_t len;        /**< payload bytes */
	uint32_t src_addr;   /**< IPv4, host order */
	uint32_t dst_addr;
	uint16_t src_port;
	uint16_t dst_port;
	uint64_t t_rx;   /**< TSC when the burst was received */
	uint64_t cap_ns; /**< capture timestamp (pcap; ns since the epoch), 0 when unknown */
};

/** Settings of one receive handle; strings are copied by fp_md_rx_open(). */
struct fp_md_rx_cfg {
	enum fp_md_rx_kind kind;
	struct fp_md_group groups[FP_MD_RX_GROUPS_MAX];
	unsigned nb_groups;
	unsigned burst; /**< packets per burst, 1..FP_MD_RX_BURST_MAX (0 = 32) */

	/* FP_MD_RX_PCAP */
	const char *pcap_path; /**< file to replay, or NULL with pcap_buf */
	const void *pcap_buf;  /**< in-memory capture (not copied: must outlive the handle) */
	size_t pcap_len;
	double speed;      /**< 0 = as fast as possible; else capture time / speed */
	unsigned nb_loops; /**< replays of the file (0 = 1) */

	/* FP_MD_RX_UDP */
	uint32_t if_addr;      /**< local interface address for memberships (0 = any) */
	uint32_t rcvbuf_bytes; /**< SO_RCVBUF (0 = system default) */

	/* FP_MD_RX_DPDK */
	const char *eal_args; /**< EAL arguments (NULL = automatic, see docs/dataplane.md) */
	const char *dpdk_dev; /**< devargs to hot-plug, e.g. "net_pcap0,rx_pcap=F" (NULL = none) */
	uint16_t dpdk_port;   /**< port id when dpdk_dev is NULL */
	uint16_t dpdk_queue;  /**< rx queue */
	uint32_t nb_mbufs;    /**< mbuf pool size (0 = 8191) */

	/* FP_MD_RX_XDP */
	const char *ifname; /**< interface */
	uint32_t xdp_queue; /**< queue id */
};

/** Receive counters (fixed-size, single writer). */
struct fp_md_rx_stats {
	uint64_t packets;  /**< returned to the caller */
	uint64_t bytes;    /**< payload bytes returned */
	uint64_t filtered; /**< frames not matching a group:port (or not UDP/IPv4) */
	uint64_t errors;   /**< malformed frames, receive errors */
	uint64_t dropped;  /**< reported dropped by the NIC or kernel, where known */
};

struct fp_md_rx;

/**
 * Open a receive handle (cold; allocates). On failure the fp_err message says what to do
 * (e.g. which DPDK driver or privilege is missing).
 * @return 0, -EINVAL (bad config), -ENOENT (file/interface), -EPERM, -ENOTSUP, or another
 *         negative errno of the backend
 */
int fp_md_rx_open(struct fp_md_rx **out, const struct fp_md_rx_cfg *cfg);

/** Close and free (NULL is a no-op). Pair of fp_md_rx_open(). */
void fp_md_rx_close(struct fp_md_rx *rx);

/**
 * Receive up to @p n (<= the configured burst) datagrams. Hot path; never blocks.
 * @return the number of packets filled in @p pkts (0 when none is ready)
 */
unsigned fp_md_rx_burst(struct fp_md_rx *rx, struct fp_md_pkt *pkts, unsigned n);

/** True once a finite source (pcap) has nothing more to give. */
bool fp_md_rx_eof(const struct fp_md_rx *rx);

/** The handle's counters. */
const struct fp_md_rx_stats *fp_md_rx_stats(const struct fp_md_rx *rx);

/** Short name of a backend kind ("pcap", "udp", "dpdk", "xdp"). */
const char *fp_md_rx_kind_name(enum fp_md_rx_kind kind);

/** Parse a backend name into @p kind. @return 0 or -EINVAL. */
int fp_md_rx_kind_parse(const char *name, enum fp_md_rx_kind *kind);

/** Parse "A.B.C.D:PORT" into @p g (addr and port, host order). @return 0 or -EINVAL. */
int fp_md_group_parse(const char *text, struct fp_md_group *g);

#endif /* FP_MD_RX_H */
