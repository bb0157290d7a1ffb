#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Venue-side tick-to-trade, end to end (sim/fp_sim_trigger.h, docs/perf.md): fastpath-sim
# with --trigger-rate against (1) the pipeline with `ping` on the trigger symbol ZXZZT and
# (2) fastpath-floor. Each client answers triggers, the venue matches every answer to its
# trigger by price: answered > 0, every order the client sent is one the venue counted
# (answer, extra or stray), and the samples are positive. With FP_E2E_PROTOCOL=fix44 the
# pipeline's gateway speaks FIX 4.4 over TLS to the simulator's FIX acceptor, which stamps
# the arrivals too (the floor speaks OUCH only: part 2 is skipped).
. "$(dirname "$0")/../e2e/e2e_lib.sh"
locate=21 # --symbols 20: ZXZZT is the next locate
sed "0,/symbols = (/s//symbols = (\n      { id = $locate; collar_bps = 0; },/" \
	"$src/config/risk.conf" >"$work/risk.conf"
cat >"$work/sim.conf" <<CONF
sim = { symbols = 20; trigger_rate = 100.0; };
itch = { port = $md_port; rerequest_port = $rereq_port; };
ouch = { port = $oe_port; };
CONF
if [[ ${FP_E2E_PROTOCOL:-ouch50} == fix44 ]]; then
	make_fix_certs
	echo "fix = { port = $fix_port; tls_cert_file = \"$work/server.crt\"; tls_key_file = \"$work/server.key\"; };" >>"$work/sim.conf"
fi
strategies="{ id = 7; name = \"ping\"; params = [\"symbol=$locate\", \"every=1\", \"size=100\"]; }"
write_run_config '{ name = "fused"; stages = ["md", "book", "strategies", "risk", "gateway"]; }'
sed -i "s|$src/config/risk.conf|$work/risk.conf|" "$work/run.conf"

# venue_answered: the simulator's last --progress line counts an answered trigger.
venue_answered() { grep 'answered=' "$work/sim.log" | tail -n 1 | grep -q 'answered=[1-9]'; }
# venue_settled: after the client stopped, two later --progress lines count the same
# answers, extras and strays: every order the client sent has been read.
venue_counts() { grep 'answered=' "$work/sim.log" | tail -n 1 | grep -o 'answered=.*'; }
progress_lines_over() { (($(grep -c 'answered=' "$work/sim.log") > $1)); }
venue_settled() {
	local a
	wait_until "progress line" progress_lines_over "$(grep -c 'answered=' "$work/sim.log")"
	a=$(venue_counts)
	wait_until "progress line" progress_lines_over "$(grep -c 'answered=' "$work/sim.log")"
	[[ $a == "$(venue_counts)" ]]
}

# (1) the pipeline: wait until the venue has matched answers, stop the pipeline, wait until
# the venue has read everything, then stop the simulator (its summary: the venue's record).
"$bin/fastpath" run --config "$work/run.conf" --summary --report "$work/report.json" \
	>"$work/summary.log" 2>"$work/run.log" &
run_pid=$!
pids+=("$run_pid")
wait_until "running instance" grep -qE "instance '.*' running|fastpath: .*(error|failed|refused)" \
	"$work/run.log"
"$bin/fastpath-sim" --config "$work/sim.conf" --rate 20000 --duration 600 --progress --json \
	>"$work/sim.json" 2>"$work/sim.log" &
sim_pid=$!
pids+=("$sim_pid")
wait_until "an answered trigger" venue_answered
kill -TERM "$run_pid"
wait "$run_pid" || fail "fastpath run exited with $? on SIGTERM"
wait_until "the venue's counts settled" venue_settled
kill -INT "$sim_pid"
wait "$sim_pid" || fail "fastpath-sim exited with $?"
trig=$(grep -o '"trigger": {[^}]*}' "$work/sim.json") || fail "no trigger record in sim.json"
echo "pipeline: $trig"
ans=$(json <(echo "$trig") answered)
((ans > 0)) || fail "no trigger answered"
# Every order is counted once: an answer, a second answer at a trigger's price (extra),
# or at no trigger's price (stray: the marker's first add, answered before any trigger).
orders=$(json "$work/report.json" orders)
((orders == ans + $(json <(echo "$trig") extra) + $(json <(echo "$trig") stray))) ||
	fail "the pipeline sent $orders orders, the venue counted $trig"
(($(json <(echo "$trig") min_ns) > 0)) || fail "a sample is not positive: $trig"
if [[ ${FP_E2E_PROTOCOL:-ouch50} == fix44 ]]; then
	grep -q "venue session up over tls1" "$work/run.log" || fail "the gateway was not on FIX/TLS"
	echo "1 passed, 0 failed"
	exit 0
fi

# (2) the floor, the same way.
"$bin/fastpath-sim" --config "$work/sim.conf" --rate 2000 --duration 600 --progress --json \
	>"$work/sim2.json" 2>"$work/sim.log" &
sim_pid=$!
pids+=("$sim_pid")
"$bin/fastpath-floor" --group "239.192.0.1:$md_port" --venue "127.0.0.1:$oe_port" \
	--locate "$locate" >"$work/floor.json" 2>"$work/run.log" &
floor_pid=$!
pids+=("$floor_pid")
wait_until "an answered trigger" venue_answered
kill -INT "$floor_pid"
wait "$floor_pid" || fail "fastpath-floor exited with $?"
wait_until "the venue's counts settled" venue_settled
kill -INT "$sim_pid"
wait "$sim_pid" || fail "fastpath-sim exited with $?"
trig=$(grep -o '"trigger": {[^}]*}' "$work/sim2.json") || fail "no trigger record in sim2.json"
echo "floor: $trig; $(cat "$work/floor.json")"
ans=$(json <(echo "$trig") answered)
sent=$(json "$work/floor.json" orders)
((ans > 0)) || fail "no trigger answered by the floor"
((sent == ans + $(json <(echo "$trig") extra) + $(json <(echo "$trig") stray))) ||
	fail "the floor sent $sent orders, the venue counted $trig"
echo "1 passed, 0 failed"
