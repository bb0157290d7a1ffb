#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The mission's receive path, live (issue 15): the pipeline with md.backend = "dpdk" (DPDK's
# net_af_packet PMD, hot-plugged from the md config by `fastpath run` itself, EAL arguments
# chosen as in production: --in-memory with hugepages, else --no-huge) on our end of a veth
# pair whose other end sits in a network namespace of its own, where the simulator sends
# its ITCH/MoldUDP64 feed out of that end and accepts OUCH. The gateway and md's rerequests
# reach the simulator over the veth addresses too: the namespace has its own loopback, and
# a venue on another host is reached over an interface, not loopback. The pipeline must
# trade, and its fills and position equal the venue's record.
# SKIP (exit 77) with the reason where the namespace or the veth cannot be made (not root,
# no CAP_NET_ADMIN, no iproute2); the namespace and the veth are removed on every exit.
. "$(dirname "$0")/e2e_lib.sh"

# Names and addresses of our own, from our port block (claimed under e2e_lib.sh's lock, so
# unique among concurrent runs): a netns, a veth pair, a /30 in 10.100.0.0/14.
idx=$(((base - 10000) / 10))
netns=fpe2e-$base
veth=fpe$base
peer=fpe${base}n
subnet=10.$((100 + idx / 256)).$((idx % 256))
our_ip=$subnet.1
sim_ip=$subnet.2
netns_cleanup() {
	ip netns del "$netns" 2>/dev/null || true # takes the veth pair with it
	ip link del "$veth" 2>/dev/null || true
}
trap 'cleanup; netns_cleanup' EXIT
trap 'exit 143' TERM INT HUP
skip() {
	echo "SKIP: $*" >&2
	exit 77
}
command -v ip >/dev/null || skip "no 'ip' command (iproute2): the dpdk veth test needs it"
netns_cleanup # a run killed with -9 that held our block left them behind
err=$(ip netns add "$netns" 2>&1) || skip "cannot create a network namespace ($err): run as root or with CAP_NET_ADMIN and CAP_SYS_ADMIN"
err=$(ip link add "$veth" type veth peer name "$peer" netns "$netns" 2>&1) ||
	skip "cannot create a veth pair ($err): the kernel needs veth (CONFIG_VETH) and CAP_NET_ADMIN"
ip addr add "$our_ip/30" dev "$veth" && ip link set "$veth" up &&
	ip -n "$netns" link set lo up && ip -n "$netns" addr add "$sim_ip/30" dev "$peer" &&
	ip -n "$netns" link set "$peer" up || fail "veth addresses or links could not be set"

# The simulator: feed and rerequest server on its end of the veth, OUCH acceptor there too.
cat >"$work/sim.conf" <<-CONF
	itch = { port = $md_port; rerequest_port = $rereq_port; interface = "$sim_ip"; };
	ouch = { port = $oe_port; bind = "$sim_ip"; };
CONF
sim_netns=$netns # start_run runs the simulator in the namespace
# Its market starts once our gateway has logged in: md (whose DPDK port takes a moment to
# set up) then misses at most the session's first packets, recovered by rerequest over the
# veth in milliseconds. Gaps may still happen on a loaded machine (af_packet's ring fills
# while the worker is not running): md recovers them the same way.
sim_opts=--wait-client
md_group="md = { backend = \"dpdk\"; dpdk_dev = \"net_af_packet$base,iface=$veth\"; groups = [\"239.192.0.1:$md_port\"]; rerequest = \"$sim_ip:$rereq_port\"; stale_timeout_ms = 2000; };"
write_run_config '{ name = "fused"; stages = ["md", "book", "strategies", "risk", "gateway"]; }'
sed -i "s|venue = \"127.0.0.1:$oe_port\"|venue = \"$sim_ip:$oe_port\"|" "$work/run.conf"
grep -q "venue = \"$sim_ip:$oe_port\"" "$work/run.conf" || fail "gateway venue not set to the veth"

# States, not clocks (as e2e_pipeline.sh): trade until the venue has filled us, trip the
# kill switch so that no new order leaves, wait until our fill count has settled, then stop.
start_run 100
wait_until "fill" summary_has ' fills [1-9]'
kill -USR1 "$run_pid" # no new order after this: our record and the venue's can settle
wait_until "kill switch acknowledgement" grep -q "kill switch tripped (SIGUSR1)" "$work/run.log"
wait_until "settled fill count" summary_settled fills
stop_run

report_figures
r=$work/report.json
echo "dpdk (net_af_packet on $veth, simulator in netns $netns at $sim_ip):"
echo "pipeline: md $md, book updates $upd, orders $orders, fills $fills, position $pos"
echo "venue:    fills $sim_fills, position $sim_pos"
((md > 0)) || fail "no market data over DPDK"
# Each recovery (late join, gap) adds a stale and a recovered mark to the book's count.
gaps=$(json "$r" md_gaps); overruns=$(json "$r" md_overruns)
echo "md gaps $gaps, overruns $overruns"
((overruns == 0)) || fail "md ring overran $overruns times"
((upd >= md)) || fail "book applied $upd of $md md events"
((orders > 0)) || fail "no order left the gateway"
((fills > 0)) || fail "no fill in the report"
[[ $fills == "$sim_fills" ]] || fail "fills: ours $fills, venue's $sim_fills"
[[ $pos == "$sim_pos" ]] || fail "position: ours $pos, venue's $sim_pos"
echo "1 passed, 0 failed"
