#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# No syscall in steady state on the hot path (design.md §7): the md (pcap replay paced at
# capture speed), book, strategy and risk stages spin in one worker while a feed flows and
# orders leave; fp-syscount follows that worker's main thread for a second and must count
# nothing. The gateway, in its own worker, may only send and poll its socket.
. "$(dirname "$0")/e2e_lib.sh"
write_sim_config
# A capture of the simulator's feed to replay, then the simulator as the venue only.
"$bin/fastpath-sim" --config "$work/sim.conf" --no-udp --rate 20000 --symbols 20 \
	--duration 4 --oe-port 0 --pcap-out "$work/feed.pcap" >/dev/null 2>&1 ||
	fail "could not record a feed"
md_group="md = { backend = \"pcap\"; pcap = \"$work/feed.pcap\"; speed = 1.0; first_seq = 0; };"
write_run_config '{ name = "hot"; core = 1; idle = "spin"; stages = ["md", "book", "strategies", "risk"]; },
		  { name = "gw"; core = 0; stages = ["gateway"]; }'
start_run 6

sleep 2.5
hot=$(pgrep -P "$run_pid" | head -n 1)
gw=$(pgrep -P "$run_pid" | tail -n 1)
"$bin/fp-syscount" --pid "$hot" --window-ms 1000 >"$work/hot.json" || fail "fp-syscount failed"
"$bin/fp-syscount" --pid "$gw" --window-ms 1000 >"$work/gw.json" || fail "fp-syscount failed"
wait "$run_pid" || fail "fastpath run exited with $?"

# The worker's main thread has the process's pid as its tid.
main_total=$(grep -o "\"$hot\": {\"total\": [0-9]*" "$work/hot.json" | grep -o '[0-9]*$' || true)
echo "hot worker (md, book, strategies, risk): $(cat "$work/hot.json")"
echo "gateway worker: $(cat "$work/gw.json")"
upd=$(json "$work/report.json" book_updates)
((upd > 10000)) || fail "the feed did not flow ($upd book updates)"
[[ -z $main_total || $main_total == 0 ]] ||
	fail "$main_total syscalls on the hot worker's main thread: $(cat "$work/hot.json")"
other=$(sed -n 's/.*"by_syscall": {\([^}]*\)}.*/\1/p' "$work/gw.json" |
	tr ',' '\n' | grep -vE '"(sendto|recvfrom|write|read|poll|nanosleep|clock_nanosleep|sched_yield)"' | grep -c ':' || true)
((other == 0)) || fail "gateway made other syscalls: $(cat "$work/gw.json")"
echo "1 passed, 0 failed"
