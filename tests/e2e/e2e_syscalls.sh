#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# No syscall in steady state on the hot path (design.md §7): the md (pcap replay, paced),
# book, strategy and risk stages spin in one worker while a feed flows and
# orders leave; fp-syscount follows that worker's main thread for a second and must count
# nothing. The gateway, in its own worker, may only send and poll its socket (plus the
# backoff idle policy's yields and sleeps, and one restart_syscall when ptrace attaches to a
# sleeping thread).
. "$(dirname "$0")/e2e_lib.sh"
write_sim_config
# A capture of the simulator's feed to replay, then the simulator as the venue only.
"$bin/fastpath-sim" --config "$work/sim.conf" --no-udp --rate 20000 --symbols 20 \
	--duration 4 --oe-port 0 --pcap-out "$work/feed.pcap" >/dev/null 2>&1 ||
	fail "could not record a feed"
# Replayed at a tenth of capture speed (2,000 msg/s): 40 s of feed, so that the windows
# below fall inside it even when the venue comes up late on a loaded machine (beside
# stress-ng, a 16 s feed had ended before the window closed). The feed is finite: a live
# UDP feed would make the hot worker call recvmmsg.
md_group="md = { backend = \"pcap\"; pcap = \"$work/feed.pcap\"; speed = 0.1; first_seq = 0; };"
write_run_config '{ name = "hot"; core = 1; idle = "spin"; stages = ["md", "book", "strategies", "risk"]; },
		  { name = "gw"; core = 0; stages = ["gateway"]; }'
start_run 100 # an upper bound: stop_run ends it once measured

# States, not clocks (issue 18): steady state is the venue session up and the feed flowing
# (a gateway still connecting makes socket/connect calls, a worker still starting maps
# memory); the workers by name, from fastpath-ctl (e2e_lib.sh).
wait_until "venue session and feed" summary_has 'md [1-9].* venue up'
echo "steady state: $(tail -n 1 "$work/summary.log")"
hot=$(worker_pid hot) || fail "no pid for the hot worker"
gw=$(worker_pid gw) || fail "no pid for the gateway worker"
"$bin/fp-syscount" --pid "$hot" --window-ms 1000 >"$work/hot.json" || fail "fp-syscount failed"
echo "hot window closed: $(tail -n 1 "$work/summary.log")"
# The window was steady state only if the feed still flows after it (the summary line
# printed after the window counts messages of the last second).
wait_until "new summary line" summary_lines_over "$(wc -l <"$work/summary.log")"
summary_has 'md [1-9]' || fail "the feed ended before the hot worker's window closed: $(tail -n 1 "$work/summary.log")"
"$bin/fp-syscount" --pid "$gw" --window-ms 1000 >"$work/gw.json" || fail "fp-syscount failed"
stop_run

# The worker's main thread has the process's pid as its tid.
main_total=$(grep -o "\"$hot\": {\"total\": [0-9]*" "$work/hot.json" | grep -o '[0-9]*$' || true)
echo "hot worker (md, book, strategies, risk): $(cat "$work/hot.json")"
echo "gateway worker: $(cat "$work/gw.json")"
upd=$(json "$work/report.json" book_updates)
((upd > 1000)) || fail "the feed did not flow ($upd book updates)" # 0.1x: about 2k a second
[[ -z $main_total || $main_total == 0 ]] ||
	fail "$main_total syscalls on the hot worker's main thread: $(cat "$work/hot.json")"
other=$(sed -n 's/.*"by_syscall": {\([^}]*\)}.*/\1/p' "$work/gw.json" |
	tr ',' '\n' | grep -vE '"(sendto|recvfrom|write|read|poll|nanosleep|clock_nanosleep|sched_yield|restart_syscall)"' | grep -c ':' || true)
((other == 0)) || fail "gateway made other syscalls: $(cat "$work/gw.json")"
echo "1 passed, 0 failed"
