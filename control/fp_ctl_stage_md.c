/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_stage_md.c - the md stage in the pipeline: config group `md`, regions md.stats,
 * output ring ring.md, symbol table symtab (see fp_ctl_stage.h, dataplane/fp_md.h).
 *
 *   md = {
 *     backend = "udp";                     # udp | pcap | dpdk | xdp
 *     groups = ["239.192.0.1:26400"];      # group:port pairs kept (udp: joined)
 *     interface = "127.0.0.1";             # udp: interface address for memberships
 *     rcvbuf = 8388608;                    # udp: socket buffer (default 8 MiB here)
 *     pcap = "capture.pcap"; speed = 0.0;  # pcap: file, pacing (0 = as fast as possible)
 *     eal_args = ""; dpdk_dev = ""; dpdk_port = 0; dpdk_queue = 0;   # dpdk
 *     ifname = "eth0"; xdp_queue = 0;      # xdp
 *     rerequest = "127.0.0.1:26401";       # MoldUDP64 retransmission server ("" = none)
 *     window = 65536; max_request = 1000; request_interval_ms = 5; stale_timeout_ms = 500;
 *     first_seq = 1;                       # recover the session from this sequence number
 *                                          # (0 = start from the first packet seen);
 *                                          # default 1 with a rerequest server, else 0
 *   };
 * (full key list, and A/B lines: docs/dataplane.md, config/md.conf)
 *
 * Joining a session late without first_seq = 1 misses the stock directory and every
 * order added before: symbols stay unnamed and books incomplete.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_ctl_stage.h"
#include "fp_err.h"
#include "fp_log.h"
#include "fp_md.h"

#define MD_STATS_REGION "md.stats"

/*
 * The md group is read by the dataplane's own loader (fp_md_cfg_load: flat keys as above,
 * or A/B `lines`). Two rules are ours: with a rerequest server and no explicit first_seq, the
 * stage recovers the session from sequence 1; UDP sockets get an 8 MiB buffer.
 */
static int md_load_cfg(const struct fp_ctl_env *env, struct fp_md_cfg *cfg)
{
	const struct fp_cfg *c = env->cfg;
	const struct fp_cfg_node *g = fp_cfg_lookup(c, NULL, "md");
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	if (!g)
		return fp_err_set(-EINVAL, "%s: stage 'md' is placed but the 'md' group is missing",
				  fp_cfg_name(c));
	if ((rc = fp_md_cfg_load(c, g, cfg)) < 0)
		return rc;
	if (cfg->rerequest_port && !fp_cfg_lookup(c, g, "first_seq"))
		cfg->mold.first_seq = 1;
	for (unsigned i = 0; i < cfg->nb_lines; i++)
		if (cfg->lines[i].kind == FP_MD_RX_UDP && !cfg->lines[i].rcvbuf_bytes)
			cfg->lines[i].rcvbuf_bytes = 8u << 20; /* rides out scheduling hiccups */
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

/* The stage, and what its host has logged of it (live versus history, issue 16). */
struct md_adapter {
	struct fp_md md;
	uint64_t transitions_logged;
	struct fp_log log;
};

static int md_init(void *ctx, const struct fp_ctl_env *env)
{
	struct md_adapter *a = ctx;
	struct fp_md *md = &a->md;
	a->transitions_logged = 0;
	fp_log_init(&a->log, stderr, "md", FP_LOG_INFO);
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

/* One line per change of state (rare: a join, a gap, a recovery): which path, how long. */
static FP_COLD void md_log_transition(struct md_adapter *a)
{
	const struct fp_md_stats *st = a->md.stats;
	a->transitions_logged = st->transitions;
	switch (st->state) {
	case FP_MD_LIVE:
		fp_log(&a->log, FP_LOG_INFO,
		       "books live at sequence %" PRIu64 " after %.1f ms of recovery by %s%s",
		       st->live_seq, (double)st->last_recovery_ns / 1e6,
		       st->last_path == 2 ? "snapshot" : "rerequest",
		       st->last_path == 2 ? "" : " (gap fill)");
		if (st->last_path == 2)
			fp_log(&a->log, FP_LOG_INFO,
			       "snapshot: %" PRIu64 " messages in %.1f ms, resumed the feed at "
			       "sequence %" PRIu64,
			       st->snapshot_msgs, (double)st->last_snapshot_ns / 1e6,
			       st->snapshot_seq);
		break;
	case FP_MD_RECOVERING:
		if (!st->snapshots || st->snapshot_seq != a->md.mold->expected)
			fp_log(&a->log, FP_LOG_INFO,
			       "%s at sequence %" PRIu64 ": books stale, recovering by rerequest",
			       st->late_joins && !st->recoveries ? "joined a running session"
								 : "gap",
			       a->md.mold->expected);
		break;
	case FP_MD_SNAPSHOT:
		fp_log(&a->log, FP_LOG_INFO, "%s: books stale, loading a snapshot",
		       a->md.snap.for_gap ? "gap older than the rerequest history"
					  : "joined a running session");
		break;
	default:
		fp_log(&a->log, FP_LOG_WARN,
		       "gap given up (%" PRIu64 " messages lost) and no snapshot server: books "
		       "stay stale, no orders on them",
		       st->mold.lost);
	}
}

static unsigned md_poll(void *ctx, unsigned budget)
{
	struct md_adapter *a = ctx;
	unsigned n = fp_md_poll(&a->md, budget);
	if (fp_unlikely(a->md.stats->transitions != a->transitions_logged))
		md_log_transition(a);
	return n;
}

static void md_fini(void *ctx)
{
	struct md_adapter *a = ctx;
	fp_md_fini(&a->md);
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
	.ctx_size = sizeof(struct md_adapter),
	.plan = md_plan,
	.init = md_init,
	.poll = md_poll,
	.fini = md_fini,
	.report = md_report,
	.source = true,
};
