/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_stage_md.c - the md stage in the pipeline: config group `md`, regions md.stats,
 * output ring ring.md, symbol table symtab (see fp_ctl_stage.h, dataplane/fp_md.h).
 *
 *   md = {
 *     backend = "udp";                     # udp | pcap | dpdk | xdp
 *     groups = ["239.192.0.1:26400"];      # group:port pairs kept (udp: joined)
 *     interface = "127.0.0.1";             # udp: interface address for memberships
 *     rcvbuf_bytes = 8388608;              # udp: socket buffer, rides out scheduling hiccups
 *     pcap = "capture.pcap"; speed = 0.0;  # pcap: file, pacing (0 = as fast as possible)
 *     eal_args = ""; dpdk_dev = ""; dpdk_port = 0; dpdk_queue = 0;   # dpdk
 *     ifname = "eth0"; xdp_queue = 0;      # xdp
 *     rerequest = "127.0.0.1:26401";       # MoldUDP64 retransmission server ("" = none)
 *     window = 65536; max_request = 1000; request_interval_ms = 5; stale_timeout_ms = 500;
 *     first_seq = 1;                       # recover the session from this sequence number
 *                                          # (0 = start from the first packet seen);
 *                                          # default 1 with a rerequest server, else 0
 *   };
 *
 * Joining a session late without first_seq = 1 misses the stock directory and every
 * order added before: symbols stay unnamed and books incomplete.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_ctl_stage.h"
#include "fp_err.h"
#include "fp_md.h"

#define MD_STATS_REGION "md.stats"

static const char *const md_keys[] = {
	"backend",          "groups",    "interface", "pcap",         "speed",
	"eal_args",         "dpdk_dev",  "dpdk_port", "dpdk_queue",   "ifname",
	"xdp_queue",        "rerequest", "window",    "max_request",  "request_interval_ms",
	"stale_timeout_ms", "session",   "first_seq", "rcvbuf_bytes", NULL};

/* Parse "a.b.c.d:port" (port optional when @p need_port is 0). */
static int parse_addr_port(const char *text, uint32_t *addr, uint16_t *port, int need_port)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	size_t n = colon ? (size_t)(colon - text) : strlen(text);
	struct in_addr in;

	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, &in) != 1)
		return -EINVAL;
	*addr = ntohl(in.s_addr);
	*port = 0;
	if (colon) {
		char *end;
		long v = strtol(colon + 1, &end, 10);
		if (*end || v <= 0 || v > 65535)
			return -EINVAL;
		*port = (uint16_t)v;
	} else if (need_port) {
		return -EINVAL;
	}
	return 0;
}

static int md_load_cfg(const struct fp_ctl_env *env, struct fp_md_cfg *cfg)
{
	static const char *const backends[] = {"udp", "pcap", "dpdk", "xdp", NULL};
	static const enum fp_md_rx_kind kinds[] = {FP_MD_RX_UDP, FP_MD_RX_PCAP, FP_MD_RX_DPDK,
						   FP_MD_RX_XDP};
	const struct fp_cfg *c = env->cfg;
	const struct fp_cfg_node *g = fp_cfg_lookup(c, NULL, "md");
	struct fp_md_rx_cfg *line = &cfg->lines[0];
	const char *iface = "", *rereq = "", *session = "";
	int64_t window, max_request, interval_ms, stale_ms, port, queue, xq, first_seq, rcvbuf;
	double speed;
	int backend, rc;

	memset(cfg, 0, sizeof(*cfg));
	if (!g)
		return fp_err_set(-EINVAL, "%s: stage 'md' is placed but the 'md' group is missing",
				  fp_cfg_name(c));
	if ((rc = fp_cfg_check_keys(c, g, md_keys)) < 0 ||
	    (rc = fp_cfg_get_enum(c, g, "backend", backends, 0, &backend)) < 0 ||
	    (rc = fp_cfg_get_string(c, g, "interface", "", 0, &iface)) < 0 ||
	    (rc = fp_cfg_get_string(c, g, "pcap", NULL, 0, &line->pcap_path)) < 0 ||
	    (rc = fp_cfg_get_double(c, g, "speed", 0.0, 0.0, 1e6, &speed)) < 0 ||
	    (rc = fp_cfg_get_string(c, g, "eal_args", NULL, 0, &line->eal_args)) < 0 ||
	    (rc = fp_cfg_get_string(c, g, "dpdk_dev", NULL, 0, &line->dpdk_dev)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "dpdk_port", 0, 0, 65535, &port)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "dpdk_queue", 0, 0, 65535, &queue)) < 0 ||
	    (rc = fp_cfg_get_string(c, g, "ifname", NULL, 0, &line->ifname)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "xdp_queue", 0, 0, 65535, &xq)) < 0 ||
	    (rc = fp_cfg_get_string(c, g, "rerequest", "", 0, &rereq)) < 0 ||
	    (rc = fp_cfg_get_string(c, g, "session", "", FP_MD_MOLD_SESSION_LEN, &session)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "window", 65536, 1, 65536, &window)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "max_request", 1000, 1, 65535, &max_request)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "request_interval_ms", 5, 0, 60000, &interval_ms)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "stale_timeout_ms", 500, 1, 3600000, &stale_ms)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "rcvbuf_bytes", 8 << 20, 0, 1 << 30, &rcvbuf)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "first_seq", rereq[0] ? 1 : 0, 0, INT64_MAX, &first_seq)) <
		    0)
		return rc;
	line->kind = kinds[backend];
	line->speed = speed;
	line->dpdk_port = (uint16_t)port;
	line->dpdk_queue = (uint16_t)queue;
	line->xdp_queue = (uint32_t)xq;
	if (line->kind == FP_MD_RX_PCAP && !line->pcap_path)
		return fp_err_set(-EINVAL, "%s: md.backend \"pcap\" needs md.pcap = \"FILE\"",
				  fp_cfg_name(c));
	if (iface[0]) {
		uint16_t unused;
		if (parse_addr_port(iface, &line->if_addr, &unused, 0) < 0)
			return fp_err_set(-EINVAL,
					  "%s: md.interface must be an IPv4 address, got '%s'",
					  fp_cfg_name(c), iface);
	}
	const struct fp_cfg_node *groups = fp_cfg_lookup(c, g, "groups");
	for (unsigned i = 0; i < fp_cfg_length(groups); i++) {
		char elem[16];
		const char *text;
		snprintf(elem, sizeof(elem), "[%u]", i);
		if ((rc = fp_cfg_get_string(c, groups, elem, NULL, 0, &text)) < 0)
			return rc;
		if (line->nb_groups == FP_MD_RX_GROUPS_MAX)
			return fp_err_set(-EINVAL, "%s:%u: md.groups: at most %d groups",
					  fp_cfg_name(c), fp_cfg_line(groups), FP_MD_RX_GROUPS_MAX);
		struct fp_md_group *grp = &line->groups[line->nb_groups++];
		if (parse_addr_port(text, &grp->addr, &grp->port, 1) < 0)
			return fp_err_set(-EINVAL,
					  "%s:%u: md.groups: '%s' is not IPV4:PORT (e.g. "
					  "\"239.192.0.1:26400\")",
					  fp_cfg_name(c), fp_cfg_line(groups), text);
	}
	if (line->kind == FP_MD_RX_UDP && line->nb_groups == 0)
		return fp_err_set(-EINVAL, "%s: md.backend \"udp\" needs md.groups",
				  fp_cfg_name(c));
	if (rereq[0] && parse_addr_port(rereq, &cfg->rerequest_addr, &cfg->rerequest_port, 1) < 0)
		return fp_err_set(-EINVAL, "%s: md.rerequest must be IPV4:PORT, got '%s'",
				  fp_cfg_name(c), rereq);
	if (!FP_IS_POW2((uint64_t)window))
		return fp_err_set(-EINVAL, "%s: md.window must be a power of two, got %ld",
				  fp_cfg_name(c), (long)window);
	cfg->nb_lines = 1;
	memset(cfg->mold.session, ' ', sizeof(cfg->mold.session));
	memcpy(cfg->mold.session, session, strlen(session));
	if (!session[0])
		memset(cfg->mold.session, 0, sizeof(cfg->mold.session));
	cfg->mold.first_seq = (uint64_t)first_seq;
	line->rcvbuf_bytes = (uint32_t)rcvbuf;
	cfg->mold.window = (uint32_t)window;
	cfg->mold.max_request = (uint16_t)max_request;
	cfg->mold.request_interval_ns = (uint64_t)interval_ms * 1000000u;
	cfg->mold.stale_timeout_ns = (uint64_t)stale_ms * 1000000u;
	return 0;
}

static int md_plan(const struct fp_ctl_env *env, struct fp_ctl_plan *plan)
{
	struct fp_md_cfg cfg;
	int rc = md_load_cfg(env, &cfg); /* refuse a bad config before anything starts */
	if (rc < 0)
		return rc;
	return fp_ctl_plan_add(plan, MD_STATS_REGION, sizeof(struct fp_md_stats),
			       FP_MD_STATS_VERSION);
}

static int md_init(void *ctx, const struct fp_ctl_env *env)
{
	struct fp_md *md = ctx;
	struct fp_md_cfg cfg;
	int rc;

	if ((rc = md_load_cfg(env, &cfg)) < 0)
		return rc;
	cfg.rings[0] = fp_ctl_ring(env, FP_CTL_RING_MD);
	cfg.stats = fp_ctl_region(env, MD_STATS_REGION, NULL);
	cfg.symtab = fp_ctl_region(env, "symtab", NULL);
	if (!cfg.rings[0] || !cfg.stats || !cfg.symtab)
		return -ENOENT;
	cfg.nb_rings = 1;
	return fp_md_init(md, &cfg);
}

static unsigned md_poll(void *ctx, unsigned budget)
{
	return fp_md_poll(ctx, budget);
}

static void md_fini(void *ctx)
{
	fp_md_fini(ctx);
}

static void md_report(const struct fp_ctl_env *env, struct fp_ctl_summary *sum)
{
	const struct fp_md_stats *st = fp_shm_region(env->seg, MD_STATS_REGION, NULL);
	if (!st)
		return;
	sum->md_packets = st->packets;
	sum->md_messages = st->messages;
	sum->md_gaps = st->gaps;
	sum->md_errors = st->errors;
	sum->md_overruns = st->overruns;
}

const struct fp_ctl_stage_ops fp_ctl_stage_md = {
	.name = "md",
	.ctx_size = sizeof(struct fp_md),
	.plan = md_plan,
	.init = md_init,
	.poll = md_poll,
	.fini = md_fini,
	.report = md_report,
};
