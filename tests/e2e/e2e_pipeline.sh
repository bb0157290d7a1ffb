#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The whole pipeline against the simulator on loopback (fused placement): market data
# flows into books, the market makers quote, orders fill, and at the end the positions the
# risk stage derived from our execution reports equal the venue's own record of the
# account. SIGUSR1 to the supervisor trips the kill switch: no order leaves after it.
. "$(dirname "$0")/e2e_lib.sh"
write_sim_config
write_run_config '{ name = "fused"; stages = ["md", "book", "strategies", "risk", "gateway"]; }'
# States, not clocks (issue 18): trade until the venue has filled us, trip the switch, wait
# until it is acknowledged and the order count has settled, then stop.
start_run 100
wait_until "fill" summary_has ' fills [1-9]'
kill -USR1 "$run_pid"
wait_until "kill switch acknowledgement" grep -q "kill switch tripped (SIGUSR1)" "$work/run.log"
wait_until "settled order count" summary_settled orders
orders_after_kill=$(summary_field orders)
stop_run

report_figures
r=$work/report.json
echo "pipeline: md $md, book updates $upd, orders $orders, fills $fills, position $pos"
echo "venue:    fills $sim_fills, position $sim_pos; orders once the count settled after the kill: $orders_after_kill"
((md > 50000)) || fail "too few market data messages ($md)"
overruns=$(json "$r" md_overruns)
((overruns == 0)) || fail "md ring overran $overruns times (book applied $upd of $md md events)"
# Every md event reaches the book; the book also counts the stale and live marks of each
# recovery (a gap, or a late join at the session's start), which md does not count as
# messages: at most two per gap and two for the join.
gaps=$(json "$r" md_gaps)
((upd >= md && upd - md <= 2 * (gaps + 1))) ||
	fail "book applied $upd of $md md events ($gaps gaps)"
((orders > 0)) || fail "no order left the gateway"
((fills > 0)) || fail "no fill in the report"
[[ $fills == "$sim_fills" ]] || fail "fills: ours $fills, venue's $sim_fills"
[[ $pos == "$sim_pos" ]] || fail "position: ours $pos, venue's $sim_pos"
[[ -n $orders_after_kill && $orders == "$orders_after_kill" ]] ||
	fail "orders kept leaving after the kill switch ($orders_after_kill then $orders)"
grep -q "kill switch tripped (SIGUSR1)" "$work/run.log" || fail "SIGUSR1 not acknowledged"
echo "1 passed, 0 failed"
