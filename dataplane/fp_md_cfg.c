/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_md_cfg.c - the md stage's settings from a libconfig group (common/fp_cfg.h); the keys
 * are listed in docs/dataplane.md and config/md.conf.
 *
 * Two shapes: `md = { ...; lines = ( {line A}, {line B} ); }`, or the flat form of
 * control/fp_ctl_stage_md.c where the md group itself is line A (its key names, e.g.
 * "interface", "dpdk_port", "xdp_queue", are accepted as aliases).
 *
 * Cold path (start-up): reads, validates with line-numbered messages, allocates nothing of
 * its own. Strings in the result point into the struct fp_cfg: keep it until fp_md_init()
 * (which copies them).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "fp_cfg.h"
#include "fp_err.h"
#include "fp_md.h"

/* Keys of the md group itself. */
#define MD_KEYS                                                                           \
	"source", "session", "first_seq", "window", "max_request", "request_interval_ms", \
		"stale_timeout_ms", "passthrough", "rerequest", "lines"

/* Keys of a line; the second row are the names control/fp_ctl_stage_md.c reads, accepted as
 * aliases so that one config file serves both readers. */
#define LINE_KEYS                                                                                \
	"backend", "groups", "burst", "pcap", "speed", "loops", "if_addr", "rcvbuf", "eal_args", \
		"dpdk_dev", "port", "queue", "mbufs", "ifname", "interface", "dpdk_port",        \
		"dpdk_queue", "xdp_queue"

static const char *const md_keys[] = {MD_KEYS, NULL};
static const char *const line_keys[] = {LINE_KEYS, NULL};
static const char *const flat_keys[] = {MD_KEYS, LINE_KEYS, NULL};

static const char *const backends[] = {"pcap", "udp", "dpdk", "xdp", NULL};

static int where(const struct fp_cfg *cfg, const struct fp_cfg_node *n, int rc, const char *what)
{
	char path[128];
	return fp_err_set(rc, "%s:%u: '%s' %s", fp_cfg_name(cfg), fp_cfg_line(n),
			  fp_cfg_path(n, path, sizeof(path)), what);
}

/* First of @p names present under @p base, else names[0] (so that absent = default). */
static const char *alias(const struct fp_cfg *cfg, const struct fp_cfg_node *base,
			 const char *const *names)
{
	for (unsigned i = 0; names[i]; i++)
		if (fp_cfg_lookup(cfg, base, names[i]))
			return names[i];
	return names[0];
}

static int load_line(const struct fp_cfg *cfg, const struct fp_cfg_node *ln, bool check,
		     struct fp_md_rx_cfg *rx)
{
	static const char *const if_names[] = {"if_addr", "interface", NULL};
	static const char *const port_names[] = {"port", "dpdk_port", NULL};
	static const char *const queue_names[] = {"queue", "dpdk_queue", "xdp_queue", NULL};
	int rc, kind, v;
	double d;
	const char *s;
	if ((check && (rc = fp_cfg_check_keys(cfg, ln, line_keys)) < 0) ||
	    (rc = fp_cfg_require(cfg, ln, "backend")) < 0 ||
	    (rc = fp_cfg_get_enum(cfg, ln, "backend", backends, 0, &kind)) < 0)
		return rc;
	rx->kind = (enum fp_md_rx_kind)(kind + 1); /* order of backends[] = enum order */
	const struct fp_cfg_node *groups = fp_cfg_lookup(cfg, ln, "groups");
	if (groups) {
		if (fp_cfg_length(groups) > FP_MD_RX_GROUPS_MAX)
			return where(cfg, groups, -EINVAL, "holds more than 8 groups");
		for (unsigned i = 0; i < fp_cfg_length(groups); i++) {
			const struct fp_cfg_node *g = fp_cfg_elem(groups, i);
			char key[16];
			snprintf(key, sizeof(key), "[%u]", i);
			if ((rc = fp_cfg_get_string(cfg, groups, key, NULL, 64, &s)) < 0)
				return rc;
			if (!s || fp_md_group_parse(s, &rx->groups[i]) < 0)
				return where(cfg, g, -EINVAL, "must be \"A.B.C.D:PORT\"");
		}
		rx->nb_groups = fp_cfg_length(groups);
	}
	if ((rc = fp_cfg_get_int(cfg, ln, "burst", 32, 1, FP_MD_RX_BURST_MAX, &v)) < 0)
		return rc;
	rx->burst = (unsigned)v;
	if ((rc = fp_cfg_get_path(cfg, ln, "pcap", NULL, 255, &rx->pcap_path)) < 0 ||
	    (rc = fp_cfg_get_double(cfg, ln, "speed", 0, 0, 1e6, &d)) < 0)
		return rc;
	rx->speed = d;
	if ((rc = fp_cfg_get_int(cfg, ln, "loops", 1, 1, INT_MAX, &v)) < 0)
		return rc;
	rx->nb_loops = (unsigned)v;
	const char *ifk = alias(cfg, ln, if_names);
	if ((rc = fp_cfg_get_string(cfg, ln, ifk, NULL, 15, &s)) < 0)
		return rc;
	if (s && *s) {
		struct in_addr a;
		if (inet_pton(AF_INET, s, &a) != 1)
			return where(cfg, fp_cfg_lookup(cfg, ln, ifk), -EINVAL,
				     "must be an IPv4 address");
		rx->if_addr = ntohl(a.s_addr);
	}
	if ((rc = fp_cfg_get_int(cfg, ln, "rcvbuf", 0, 0, INT_MAX, &v)) < 0)
		return rc;
	rx->rcvbuf_bytes = (uint32_t)v;
	if ((rc = fp_cfg_get_string(cfg, ln, "eal_args", NULL, 511, &rx->eal_args)) < 0 ||
	    (rc = fp_cfg_get_string(cfg, ln, "dpdk_dev", NULL, 255, &rx->dpdk_dev)) < 0 ||
	    (rc = fp_cfg_get_int(cfg, ln, alias(cfg, ln, port_names), 0, 0, 65535, &v)) < 0)
		return rc;
	rx->dpdk_port = (uint16_t)v;
	if ((rc = fp_cfg_get_int(cfg, ln, alias(cfg, ln, queue_names), 0, 0, 65535, &v)) < 0)
		return rc;
	rx->dpdk_queue = (uint16_t)v;
	rx->xdp_queue = (uint32_t)v;
	if ((rc = fp_cfg_get_int(cfg, ln, "mbufs", 8191, 64, INT_MAX, &v)) < 0)
		return rc;
	rx->nb_mbufs = (uint32_t)v;
	if ((rc = fp_cfg_get_string(cfg, ln, "ifname", NULL, 31, &rx->ifname)) < 0)
		return rc;
	if (rx->kind == FP_MD_RX_PCAP && !rx->pcap_path)
		return where(cfg, ln, -EINVAL, "backend \"pcap\" needs a 'pcap' file");
	if (rx->kind == FP_MD_RX_UDP && rx->nb_groups == 0)
		return where(cfg, ln, -EINVAL, "backend \"udp\" needs 'groups'");
	if (rx->kind == FP_MD_RX_XDP && !rx->ifname)
		return where(cfg, ln, -EINVAL, "backend \"xdp\" needs 'ifname'");
	return 0;
}

int fp_md_cfg_load(const struct fp_cfg *cfg, const struct fp_cfg_node *md, struct fp_md_cfg *out)
{
	int rc, v;
	int64_t v64;
	const char *s;
	memset(out, 0, sizeof(*out));
	if (!md)
		return fp_err_set(-ENOENT, "%s: no 'md' group", fp_cfg_name(cfg));
	const struct fp_cfg_node *lines = fp_cfg_lookup(cfg, md, "lines");
	if ((rc = fp_cfg_check_keys(cfg, md, lines ? md_keys : flat_keys)) < 0 ||
	    (rc = fp_cfg_get_int(cfg, md, "source", 0, 0, 65535, &v)) < 0)
		return rc;
	out->source = (uint16_t)v;
	if ((rc = fp_cfg_get_string(cfg, md, "session", NULL, FP_MD_MOLD_SESSION_LEN, &s)) < 0)
		return rc;
	memset(out->mold.session, ' ', sizeof(out->mold.session));
	if (s)
		memcpy(out->mold.session, s, strlen(s));
	if ((rc = fp_cfg_get_int64(cfg, md, "first_seq", 0, 0, INT64_MAX, &v64)) < 0)
		return rc;
	out->mold.first_seq = (uint64_t)v64;
	if ((rc = fp_cfg_get_int(cfg, md, "window", 65536, 1, FP_MD_MOLD_WINDOW_MAX, &v)) < 0)
		return rc;
	if (!FP_IS_POW2((unsigned)v))
		return where(cfg, fp_cfg_lookup(cfg, md, "window"), -EINVAL,
			     "must be a power of 2");
	out->mold.window = (uint32_t)v;
	if ((rc = fp_cfg_get_int(cfg, md, "max_request", 1000, 1, 65534, &v)) < 0)
		return rc;
	out->mold.max_request = (uint16_t)v;
	if ((rc = fp_cfg_get_int(cfg, md, "request_interval_ms", 10, 1, 60000, &v)) < 0)
		return rc;
	out->mold.request_interval_ns = (uint64_t)v * 1000000;
	if ((rc = fp_cfg_get_int(cfg, md, "stale_timeout_ms", 2000, 1, 3600000, &v)) < 0)
		return rc;
	out->mold.stale_timeout_ns = (uint64_t)v * 1000000;
	bool pass;
	if ((rc = fp_cfg_get_bool(cfg, md, "passthrough", false, &pass)) < 0)
		return rc;
	out->mold.passthrough = pass;
	if ((rc = fp_cfg_get_string(cfg, md, "rerequest", NULL, 64, &s)) < 0)
		return rc;
	if (s && *s) {
		struct fp_md_group g;
		if (fp_md_group_parse(s, &g) < 0 || g.addr == 0 || g.port == 0)
			return where(cfg, fp_cfg_lookup(cfg, md, "rerequest"), -EINVAL,
				     "must be \"A.B.C.D:PORT\" with an address and a port");
		out->rerequest_addr = g.addr;
		out->rerequest_port = g.port;
	}
	if (!lines) { /* the flat form: the md group is line A */
		if ((rc = load_line(cfg, md, false, &out->lines[0])) < 0)
			return rc;
		out->nb_lines = 1;
		return 0;
	}
	unsigned n = fp_cfg_length(lines);
	if (fp_cfg_kind(lines) != FP_CFG_KIND_LIST || n < 1 || n > FP_MD_LINES_MAX)
		return where(cfg, lines, -EINVAL, "must be a list of 1 or 2 line groups (A, B)");
	for (unsigned i = 0; i < n; i++)
		if ((rc = load_line(cfg, fp_cfg_elem(lines, i), true, &out->lines[i])) < 0)
			return rc;
	out->nb_lines = n;
	return 0;
}
