/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_bench_netns.c - the namespace and veth links of fp_bench_netns.h, made and removed
 * with iproute2.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fp_bench_netns.h"

/* Run @p cmd through the shell; its output (stderr too) into @p out. @return exit status. */
static int run_cmd(const char *cmd, char *out, size_t len)
{
	char full[4200];
	snprintf(full, sizeof(full), "(%s) 2>&1", cmd);
	FILE *p = popen(full, "r");
	if (!p) {
		snprintf(out, len, "cannot run the shell");
		return -1;
	}
	size_t n = fread(out, 1, len - 1, p);
	out[n] = 0;
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = 0;
	for (size_t i = 0; i < n; i++)
		if (out[i] == '\n' || out[i] == '"')
			out[i] = out[i] == '"' ? '\'' : ' ';
	return pclose(p);
}

void fp_bench_netns_down(struct fp_bench_netns *n)
{
	char cmd[512], out[256];
	if (!n->ns[0])
		return;
	/* Deleting the namespace deletes the peers in it, and with them both pairs. */
	snprintf(cmd, sizeof(cmd), "%s netns del %s; %s link del %s; %s link del %s", n->ip_bin,
		 n->ns, n->ip_bin, n->feed_if, n->ip_bin, n->oe_if);
	run_cmd(cmd, out, sizeof(out));
	n->up = false;
}

int fp_bench_netns_up(struct fp_bench_netns *n, unsigned slot, char *why, size_t why_len)
{
	static const char *const ips[] = {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"};
	memset(n, 0, sizeof(*n));
	for (unsigned i = 0; i < sizeof(ips) / sizeof(ips[0]) && !n->ip_bin[0]; i++)
		if (access(ips[i], X_OK) == 0)
			snprintf(n->ip_bin, sizeof(n->ip_bin), "%s", ips[i]);
	if (!n->ip_bin[0]) {
		snprintf(why, why_len, "no 'ip' program (install iproute2)");
		return -1;
	}
	unsigned id = (unsigned)getpid() % 10000000u,
		 sub = ((unsigned)getpid() * 64 + slot) % 16384;
	snprintf(n->ns, sizeof(n->ns), "fpbench-%u-%u", id, slot % 64);
	snprintf(n->feed_if, sizeof(n->feed_if), "fb%u%uf", id % 1000000u, slot % 64);
	snprintf(n->feed_peer, sizeof(n->feed_peer), "%sn", n->feed_if);
	snprintf(n->oe_if, sizeof(n->oe_if), "fb%u%uo", id % 1000000u, slot % 64);
	snprintf(n->oe_peer, sizeof(n->oe_peer), "%sn", n->oe_if);
	/* One /29 a (process, slot) in 10.96.0.0/15: two /30s, the feed's and order entry's. */
	unsigned b = 96 + sub / 8192, third = (sub / 32) % 256, fourth = (sub % 32) * 8;
	snprintf(n->our_feed_ip, sizeof(n->our_feed_ip), "10.%u.%u.%u", b, third, fourth + 1);
	snprintf(n->sim_feed_ip, sizeof(n->sim_feed_ip), "10.%u.%u.%u", b, third, fourth + 2);
	snprintf(n->our_oe_ip, sizeof(n->our_oe_ip), "10.%u.%u.%u", b, third, fourth + 5);
	snprintf(n->sim_oe_ip, sizeof(n->sim_oe_ip), "10.%u.%u.%u", b, third, fourth + 6);
	char cmd[4096];
	const char *ip = n->ip_bin;
	snprintf(cmd, sizeof(cmd),
		 "%s netns add %s && "
		 "%s link add %s type veth peer name %s netns %s && "
		 "%s link add %s type veth peer name %s netns %s && "
		 "%s addr add %s/30 dev %s && %s link set %s up && "
		 "%s addr add %s/30 dev %s && %s link set %s up && "
		 "%s -n %s link set lo up && "
		 "%s -n %s addr add %s/30 dev %s && %s -n %s link set %s up && "
		 "%s -n %s addr add %s/30 dev %s && %s -n %s link set %s up && "
		 "%s route add %s/32 via %s dev %s",
		 ip, n->ns, ip, n->feed_if, n->feed_peer, n->ns, ip, n->oe_if, n->oe_peer, n->ns,
		 ip, n->our_feed_ip, n->feed_if, ip, n->feed_if, ip, n->our_oe_ip, n->oe_if, ip,
		 n->oe_if, ip, n->ns, ip, n->ns, n->sim_feed_ip, n->feed_peer, ip, n->ns,
		 n->feed_peer, ip, n->ns, n->sim_oe_ip, n->oe_peer, ip, n->ns, n->oe_peer, ip,
		 n->sim_feed_ip, n->sim_oe_ip, n->oe_if);
	char out[512];
	if (run_cmd(cmd, out, sizeof(out)) != 0) {
		snprintf(why, why_len, "cannot set up namespace %s with its veth links: %s", n->ns,
			 out[0] ? out : "ip failed");
		fp_bench_netns_down(n);
		return -1;
	}
	n->up = true;
	return 0;
}
