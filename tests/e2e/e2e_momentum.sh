#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The momentum strategy against the simulator on loopback: its averages feed on the trades
# the book stage publishes (E, C, P, Q), so it only trades when trades reach on_trade
# through the pipeline. It must send orders and get fills, and at the end the fills and the
# position risk derived from our execution reports equal the venue's own record.
. "$(dirname "$0")/e2e_lib.sh"
write_sim_config
m='params = ["size=100", "imbalance=0.2", "fast=5", "slow=15", "stop_bps=10", "take_bps=10"]'
strategies="{ id = 11; name = \"momentum\"; symbol = 1; $m; },
		  { id = 12; name = \"momentum\"; symbol = 2; $m; },
		  { id = 13; name = \"momentum\"; symbol = 3; $m; }" \
	write_run_config '{ name = "fused"; stages = ["md", "book", "strategies", "risk", "gateway"]; }'
start_run 8
wait "$run_pid" || fail "fastpath run exited with $?"
# The run is over: the venue writes its record now (SIGINT), not 3 s later at its --duration.
kill -INT "$sim_pid" 2>/dev/null || true
wait "$sim_pid" || true

r=$work/report.json
[[ -s $r ]] || fail "no report"
md=$(json "$r" md_messages); orders=$(json "$r" orders); fills=$(json "$r" fills)
pos=$(json "$r" position); cash=$(json "$r" cash)
s=$work/sim.json
sim_fills=$(json "$s" fills); sim_pos=$(json "$s" position); sim_cash=$(json "$s" cash)
echo "momentum: md $md, orders $orders, fills $fills, position $pos, cash $cash"
echo "venue:    fills $sim_fills, position $sim_pos, cash $sim_cash"
((md > 50000)) || fail "too few market data messages ($md)"
((orders > 0)) || fail "momentum sent no order: trades do not reach on_trade"
((fills > 0)) || fail "momentum got no fill in 8 s"
[[ $fills == "$sim_fills" ]] || fail "fills: ours $fills, venue's $sim_fills"
[[ $pos == "$sim_pos" ]] || fail "position: ours $pos, venue's $sim_pos"
[[ $cash == "$sim_cash" ]] || fail "cash: ours $cash, venue's $sim_cash"
echo "1 passed, 0 failed"
