/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_bench_netns.h - a network namespace with two veth pairs to it, for benchmarks that put
 * the simulator on the far side of a link (`fastpath-bench t2t` with the dpdk and xdp md
 * backends). Cold tool code: runs iproute2 (`ip`), may fail where there is no root.
 *
 *   our side (root namespace)           the namespace (the simulator)
 *   feed_if  our_feed_ip/30   <-veth->  feed_peer  sim_feed_ip/30   ITCH multicast out here
 *   oe_if    our_oe_ip/30     <-veth->  oe_peer    sim_oe_ip/30     OUCH acceptor here
 *
 * The feed link carries the feed only: an AF_XDP socket takes every frame of its queue
 * (libxdp's default program redirects all of them), so a TCP session or an ARP exchange on
 * that link would never reach the kernel. Order entry has the second link, and a host route
 * sends our traffic to sim_feed_ip (md's rerequests) over it too.
 */
#ifndef FP_BENCH_NETNS_H
#define FP_BENCH_NETNS_H

#include <stdbool.h>
#include <stddef.h>

struct fp_bench_netns {
	char ns[32];
	char feed_if[32], feed_peer[40], oe_if[32], oe_peer[40]; /**< names of 15 bytes at most */
	char our_feed_ip[48], sim_feed_ip[48], our_oe_ip[48], sim_oe_ip[48];
	char ip_bin[32]; /**< the `ip` program, for `ip netns exec NS PROGRAM` */
	bool up;
};

/**
 * Create the namespace and both links, names and addresses unique to this process and
 * @p slot (0..63). On failure @p why says what failed (iproute2's own message) and
 * everything made so far is removed. @return 0 or -1.
 */
int fp_bench_netns_up(struct fp_bench_netns *n, unsigned slot, char *why, size_t why_len);

/** Remove the namespace and both links (no-op when not up). */
void fp_bench_netns_down(struct fp_bench_netns *n);

#endif /* FP_BENCH_NETNS_H */
