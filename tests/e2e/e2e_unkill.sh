#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Kill, then unkill, resumes trading (issue 16, item 1): after `fastpath-ctl kill` the
# gateway cancels every open order and sends nothing; after `fastpath-ctl unkill` the next
# approved order reaches the venue (the simulator's record of the account counts it). The
# summary counts orders sent to the venue (equal to the venue's record at the end), and the
# gateway's own rejects carry named reasons in the report.
. "$(dirname "$0")/e2e_lib.sh"
instance="e2e$$"
write_sim_config
write_run_config '{ name = "fused"; stages = ["md", "book", "strategies", "risk", "gateway"]; }'
# The dev limits stop the market makers after a few rejects in a row: relax those, so that
# what stops trading here is the kill switch and nothing else.
sed -e 's/max_consec_losses = [0-9]*/max_consec_losses = 1000000/' \
	-e 's/max_consec_rejects = [0-9]*/max_consec_rejects = 1000000/' \
	-e 's/max_daily_loss = [0-9.]*/max_daily_loss = 100000000.0/' \
	"$src/config/risk.conf" >"$work/risk.conf"
sed -i "s|$src/config/risk.conf|$work/risk.conf|" "$work/run.conf"
# A long run stopped by SIGTERM once the states below are seen (a loaded CI machine may
# need seconds to reach them; a quick one stops early).
start_run 60


wait_for 30 sent_above 0 || fail "no order reached the venue before the kill"
ctl kill --reason "e2e unkill test" >/dev/null || fail "fastpath-ctl kill failed"
wait_for 15 none_open || fail "orders still open after the kill"
killed_sent=$(orders_field orders_sent)
ctl unkill --reason "e2e unkill test" >/dev/null || fail "fastpath-ctl unkill failed"
wait_for 15 sent_above "$killed_sent" ||
	fail "no order left after unkill (sent $killed_sent at the kill; gateway: $(ctl orders --json))"
echo "orders sent at the kill: $killed_sent; after unkill: $(orders_field orders_sent)"

kill -TERM "$run_pid" # orderly stop: open orders cancelled, report written
wait "$run_pid" || fail "fastpath run exited with $?"
kill -TERM "$sim_pid" # then the venue, which writes its record of the account
wait "$sim_pid" || true
r=$work/report.json
[[ -s $r ]] || fail "no report"
orders=$(json "$r" orders); replaces=$(json "$r" replaces)
sim_orders=$(sed -n 's/.*"accounts": \[.*"orders": \([0-9]*\).*/\1/p' "$work/sim.json")
echo "sent: $orders orders and $replaces replaces; the venue processed $sim_orders of both"
((orders > killed_sent)) || fail "the report counts $orders orders, $killed_sent at the kill"
# The venue processes every Enter Order and every Replace Order but those that crossed with
# the end of their order (OUCH 2.2: ignored); the summary counts what was sent.
((orders <= sim_orders && sim_orders <= orders + replaces)) ||
	fail "summary counts $orders orders + $replaces replaces, the venue processed $sim_orders"
# Every gateway reject the report shows has a name.
rej=$(sed -n 's/.*"gateway_reject_reasons": {\([^}]*\)}.*/\1/p' "$r")
gw_rej=$(json "$r" gateway_rejects)
named=0
for n in $(echo "$rej" | grep -o ': [0-9]*' | tr -d ': '); do named=$((named + n)); done
[[ $named == "${gw_rej:-x}" ]] || fail "gateway rejects $gw_rej, named $named ($rej)"
echo "gateway rejects: $gw_rej {$rej}"
echo "1 passed, 0 failed"
