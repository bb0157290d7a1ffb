/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_md_rx_pvt.h - @internal the receive handle and the backend table, shared by
 * fp_md_rx.c and the fp_md_rx_<backend>.c files. Do not include outside dataplane/.
 */
#ifndef FP_MD_RX_PVT_H
#define FP_MD_RX_PVT_H

#include <stdbool.h>

#include "fp_md_rx.h"

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

#endif /* FP_MD_RX_PVT_H */
