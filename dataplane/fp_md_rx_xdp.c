/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_md_rx_xdp.c - the AF_XDP receive backend (libxdp): not implemented yet.
 *
 * Opening it fails with -ENOTSUP and a message that names the alternatives; see
 * docs/dataplane.md ("What is left").
 */
#include <errno.h>

#include "fp_err.h"
#include "fp_md_rx_pvt.h"

static int xdp_open(struct fp_md_rx *rx)
{
	return fp_err_set(-ENOTSUP,
			  "the AF_XDP backend (interface %s queue %u) is not implemented yet: use "
			  "backend dpdk with EAL device 'net_af_xdp0,iface=%s,start_queue=%u', or "
			  "backend udp",
			  rx->cfg.ifname ? rx->cfg.ifname : "?", rx->cfg.xdp_queue,
			  rx->cfg.ifname ? rx->cfg.ifname : "IF", rx->cfg.xdp_queue);
}

static unsigned xdp_burst(struct fp_md_rx *rx, struct fp_md_pkt *pkts, unsigned n)
{
	(void)rx;
	(void)pkts;
	(void)n;
	return 0;
}

static void xdp_close(struct fp_md_rx *rx)
{
	(void)rx;
}

const struct fp_md_rx_ops fp_md_rx_xdp_ops = {
	.name = "xdp",
	.open = xdp_open,
	.burst = xdp_burst,
	.close = xdp_close,
};
