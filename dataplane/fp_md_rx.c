/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_md_rx.c - the receive handle: config validation and dispatch to a backend
 * (fp_md_rx_pcap.c, fp_md_rx_udp.c, fp_md_rx_dpdk.c, fp_md_rx_xdp.c).
 *
 * open/close are cold and allocate; fp_md_rx_burst() is one indirect call into the
 * backend per burst (not per packet).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_err.h"
#include "fp_md_rx_pvt.h"

static const struct {
	enum fp_md_rx_kind kind;
	const char *name;
} fp_md_rx_kinds[] = {
	{FP_MD_RX_PCAP, "pcap"},
	{FP_MD_RX_UDP, "udp"},
	{FP_MD_RX_DPDK, "dpdk"},
	{FP_MD_RX_XDP, "xdp"},
};

const char *fp_md_rx_kind_name(enum fp_md_rx_kind kind)
{
	for (unsigned i = 0; i < FP_ARRAY_SIZE(fp_md_rx_kinds); i++)
		if (fp_md_rx_kinds[i].kind == kind)
			return fp_md_rx_kinds[i].name;
	return "none";
}

int fp_md_rx_kind_parse(const char *name, enum fp_md_rx_kind *kind)
{
	for (unsigned i = 0; i < FP_ARRAY_SIZE(fp_md_rx_kinds); i++)
		if (!strcmp(fp_md_rx_kinds[i].name, name)) {
			*kind = fp_md_rx_kinds[i].kind;
			return 0;
		}
	return fp_err_set(-EINVAL, "unknown rx backend '%s' (pcap, udp, dpdk or xdp)", name);
}

int fp_md_group_parse(const char *text, struct fp_md_group *g)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	if (!colon || colon == text || (size_t)(colon - text) >= sizeof(host))
		return fp_err_set(-EINVAL, "group '%s' is not ADDRESS:PORT", text);
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = 0;
	struct in_addr a;
	if (inet_pton(AF_INET, host, &a) != 1)
		return fp_err_set(-EINVAL, "group '%s': '%s' is not an IPv4 address", text, host);
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port > 65535)
		return fp_err_set(-EINVAL, "group '%s': port must be 0..65535", text);
	g->addr = ntohl(a.s_addr);
	g->port = (uint16_t)port;
	return 0;
}

static int copy_str(char *dst, size_t cap, const char **field, const char *what)
{
	if (!*field)
		return 0;
	size_t n = strlen(*field);
	if (n >= cap)
		return fp_err_set(-EINVAL, "%s is longer than %zu bytes", what, cap - 1);
	memcpy(dst, *field, n + 1);
	*field = dst;
	return 0;
}

int fp_md_rx_open(struct fp_md_rx **out, const struct fp_md_rx_cfg *cfg)
{
	const struct fp_md_rx_ops *ops;
	switch (cfg->kind) {
	case FP_MD_RX_PCAP:
		ops = &fp_md_rx_pcap_ops;
		break;
	case FP_MD_RX_UDP:
		ops = &fp_md_rx_udp_ops;
		break;
	case FP_MD_RX_DPDK:
		ops = &fp_md_rx_dpdk_ops;
		break;
	case FP_MD_RX_XDP:
		ops = &fp_md_rx_xdp_ops;
		break;
	default:
		return fp_err_set(-EINVAL, "rx backend %d is not one of pcap, udp, dpdk, xdp",
				  (int)cfg->kind);
	}
	if (cfg->burst > FP_MD_RX_BURST_MAX)
		return fp_err_set(-EINVAL, "rx burst %u exceeds %u", cfg->burst,
				  FP_MD_RX_BURST_MAX);
	if (cfg->nb_groups > FP_MD_RX_GROUPS_MAX)
		return fp_err_set(-EINVAL, "%u groups exceed the %u allowed", cfg->nb_groups,
				  FP_MD_RX_GROUPS_MAX);
	struct fp_md_rx *rx = calloc(1, sizeof(*rx));
	if (!rx)
		return fp_err_set(-ENOMEM, "no memory for an rx handle");
	rx->cfg = *cfg;
	if (rx->cfg.burst == 0)
		rx->cfg.burst = 32;
	int rc;
	if ((rc = copy_str(rx->pcap_path, sizeof(rx->pcap_path), &rx->cfg.pcap_path, "pcap path")) <
		    0 ||
	    (rc = copy_str(rx->eal_args, sizeof(rx->eal_args), &rx->cfg.eal_args,
			   "EAL arguments")) < 0 ||
	    (rc = copy_str(rx->dpdk_dev, sizeof(rx->dpdk_dev), &rx->cfg.dpdk_dev, "DPDK device")) <
		    0 ||
	    (rc = copy_str(rx->ifname, sizeof(rx->ifname), &rx->cfg.ifname, "interface name")) < 0)
		goto err;
	rx->ops = ops;
	if ((rc = ops->open(rx)) < 0) {
		fp_err_append(rc, "opening the %s rx backend", ops->name);
		goto err;
	}
	*out = rx;
	return 0;
err:
	free(rx);
	return rc;
}

void fp_md_rx_close(struct fp_md_rx *rx)
{
	if (!rx)
		return;
	rx->ops->close(rx);
	free(rx);
}

unsigned fp_md_rx_burst(struct fp_md_rx *rx, struct fp_md_pkt *pkts, unsigned n)
{
	if (n > rx->cfg.burst)
		n = rx->cfg.burst;
	return rx->ops->burst(rx, pkts, n);
}

bool fp_md_rx_eof(const struct fp_md_rx *rx)
{
	return rx->eof;
}

const struct fp_md_rx_stats *fp_md_rx_stats(const struct fp_md_rx *rx)
{
	return &rx->stats;
}
