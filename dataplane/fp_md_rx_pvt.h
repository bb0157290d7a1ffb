/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_md_rx_pvt.h - @internal the receive handle and the backend table, shared by
 * fp_md_rx.c and the fp_md_rx_<backend>.c files. Do not include outside dataplane/.
 */
#ifndef FP_MD_RX_PVT_H
#define FP_MD_RX_PVT_H

#include <stdbool.h>

#include "fp_md_rx.h"
#include "fp_net.h"

struct fp_md_rx;

/** @internal One backend: open fills rx->be; burst and close as in fp_md_rx.h. */
struct fp_md_rx_ops {
	const char *name;
	int (*open)(struct fp_md_rx *rx);
	unsigned (*burst)(struct fp_md_rx *rx, struct fp_md_pkt *pkts, unsigned n);
	void (*close)(struct fp_md_rx *rx);
};

/** @internal The handle. */
struct fp_md_rx {
	const struct fp_md_rx_ops *ops;
	struct fp_md_rx_cfg cfg; /**< strings point into the copies below */
	char pcap_path[256];
	char eal_args[512];
	char dpdk_dev[256];
	char ifname[32];
	struct fp_md_rx_stats stats;
	bool eof;
	void *be; /**< backend state */
};

extern const struct fp_md_rx_ops fp_md_rx_pcap_ops;
extern const struct fp_md_rx_ops fp_md_rx_udp_ops;
extern const struct fp_md_rx_ops fp_md_rx_dpdk_ops;
extern const struct fp_md_rx_ops fp_md_rx_xdp_ops;

/** @internal True when (addr, port) matches a configured group (or none is configured). */
static inline bool fp_md_rx_match(const struct fp_md_rx_cfg *cfg, uint32_t addr, uint16_t port)
{
	if (cfg->nb_groups == 0)
		return true;
	for (unsigned i = 0; i < cfg->nb_groups; i++) {
		const struct fp_md_group *g = &cfg->groups[i];
		if ((g->addr == 0 || g->addr == addr) && (g->port == 0 || g->port == port))
			return true;
	}
	return false;
}

/**
 * @internal Keep a parsed frame when it is UDP to a configured group: fill *pkt and count
 * it, else count it as filtered. The one filter of every frame-level backend (pcap, DPDK,
 * AF_XDP). Hot path. @return 1 when kept, 0 when filtered.
 */
static inline unsigned fp_md_rx_take(struct fp_md_rx *rx, enum fp_net_result r,
				     const struct fp_net_pkt *np, uint64_t t_rx, uint64_t cap_ns,
				     struct fp_md_pkt *pkt)
{
	if (r != FP_NET_OK || np->ip_proto != FP_IP_PROTO_UDP ||
	    !fp_md_rx_match(&rx->cfg, np->dst_addr, np->dst_port)) {
		rx->stats.filtered++;
		return 0;
	}
	*pkt = (struct fp_md_pkt){.data = np->payload,
				  .len = np->payload_len,
				  .src_addr = np->src_addr,
				  .dst_addr = np->dst_addr,
				  .src_port = np->src_port,
				  .dst_port = np->dst_port,
				  .t_rx = t_rx,
				  .cap_ns = cap_ns};
	rx->stats.packets++;
	rx->stats.bytes += np->payload_len;
	return 1;
}

#endif /* FP_MD_RX_PVT_H */
