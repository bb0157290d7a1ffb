#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Crash recovery from the journal, in the middle of fills (issue 9's fault tests):
#   e2e_recover.sh BIN SRC gateway      kill -9 of the gateway worker
#   e2e_recover.sh BIN SRC risk         kill -9 of the risk worker
#   e2e_recover.sh BIN SRC supervisor   kill -9 of the supervisor (its workers die with it),
#                                       then a new supervisor on the same journal
# What must survive, checked against the simulator's own record of the account at the end:
# every fill counted once (fills, position and cash, i.e. P&L at any mark, equal the
# venue's), and no order sent twice (the venue saw no ClOrdID twice).
. "$(dirname "$0")/e2e_lib.sh"
victim=${3:?usage: e2e_recover.sh BIN SRC gateway|risk|supervisor}
instance="e2e$$"

write_sim_config
write_run_config '{ name = "feed"; stages = ["md", "book", "strategies"]; },
		  { name = "risk"; stages = ["risk"]; },
		  { name = "gw"; stages = ["gateway"]; },
		  { name = "store"; stages = ["store"]; }'
echo "store = { dir = \"$work/journal\"; fsync = \"interval\"; fsync_interval_ms = 10; };" \
	>>"$work/run.conf"
# The dev limits stop the market makers within seconds (losses in a row, then rejects in a
# row trip the breaker and the kill switch): relax those so that fills go on across the crash.
sed -e 's/max_consec_losses = [0-9]*/max_consec_losses = 1000000/' \
	-e 's/max_consec_rejects = [0-9]*/max_consec_rejects = 1000000/' \
	-e 's/max_daily_loss = [0-9.]*/max_daily_loss = 100000000.0/' \
	"$src/config/risk.conf" >"$work/risk.conf"
sed -i "s|$src/config/risk.conf|$work/risk.conf|" "$work/run.conf"

# fills_now: fills so far in the live summary.
fills_now() { tail -n 1 "$work/summary.log" | sed -n 's/.*fills \([0-9]*\).*/\1/p'; }

if [[ $victim == supervisor ]]; then
	# One supervisor for 30 s, killed after 5; a second one on the same journal for 8 s.
	"$bin/fastpath" run --config "$work/run.conf" --duration 30 --summary \
		>"$work/summary1.log" 2>"$work/run1.log" &
	run_pid=$!
	pids+=("$run_pid")
	wait_until "running instance" grep -qE "instance '.*' running|fastpath: .*(error|failed|refused)" \
		"$work/run1.log"
	"$bin/fastpath-sim" --config "$work/sim.conf" --rate 20000 --symbols 20 --duration 20 \
		--json >"$work/sim.json" 2>"$work/sim.log" &
	sim_pid=$!
	pids+=("$sim_pid")
	# In the middle of fills (a state, not 5 s: on a loaded machine trading starts later; the
	# first fill, so that the most of the run is left after the crash).
	fills1() { tail -n 1 "$work/summary1.log" | sed -n 's/.*fills \([0-9]*\).*/\1/p'; }
	mid_fills1() { local f; f=$(fills1); ((${f:-0} > 0)); }
	wait_until "fill" mid_fills1
	before=$(fills1)
	kill -9 "$run_pid"
	wait "$run_pid" 2>/dev/null || true
	# Its workers follow it (PR_SET_PDEATHSIG); 5 s only bounds the failure.
	workers_gone() { ! pgrep -f "fastpath run --config $work/run.conf" >/dev/null; }
	E2E_WAIT_S=5 wait_until "end of the workers (they outlived their supervisor)" workers_gone
	start_sup() {
		"$bin/fastpath" run --config "$work/run.conf" --duration 8 --summary \
			--report "$work/report.json" >"$work/summary.log" 2>"$work/run.log" &
		run_pid=$!
		pids+=("$run_pid")
	}
	start_sup
else
	start_run 14
	mid_fills() { local f; f=$(fills_now); ((${f:-0} > 0)); }
	wait_until "fill" mid_fills
	before=$(fills_now)
	pid=$(worker_pid "$([[ $victim == gateway ]] && echo gw || echo risk)") ||
		fail "no pid for the $victim worker"
	kill -9 "$pid" 2>/dev/null ||
		fail "the $victim worker ($pid) was gone before the kill: $(tail -n 1 "$work/summary.log")"
fi
echo "killed the $victim with ${before:-0} fills so far"
((${before:-0} > 0)) || fail "no fill before the crash: nothing to recover"

wait "$run_pid" || fail "fastpath run exited with $?"
# The run is over: the venue writes its record now (SIGINT), not 3 s later at its --duration.
kill -INT "$sim_pid" 2>/dev/null || true
wait "$sim_pid" || true
r=$work/report.json
[[ -s $r ]] || fail "no report"
grep -q "recovered" "$work/run.log" || fail "no recovery reported in the log"
if [[ $victim != supervisor ]]; then
	grep -q "worker '$([[ $victim == gateway ]] && echo gw || echo risk)' restarted" \
		"$work/run.log" || fail "the $victim worker was not restarted"
fi

pos=$(json "$r" position); cash=$(json "$r" cash); fills=$(json "$r" risk_fills)
s=$work/sim.json
sim_pos=$(json "$s" position); sim_cash=$(json "$s" cash); sim_fills=$(json "$s" fills)
dups=$(json "$s" dup_clordid); sim_orders=$(sed -n 's/.*"accounts".*"orders": \([0-9]*\).*/\1/p' "$s")
echo "ours:  fills $fills, position $pos, cash $cash"
echo "venue: fills $sim_fills, position $sim_pos, cash $sim_cash; orders $sim_orders, ClOrdIDs repeated $dups"
[[ -n $sim_fills && -n $dups ]] || fail "no account record from the simulator"
((sim_fills > before)) || fail "no fill after the crash ($before then $sim_fills)"
[[ $dups == 0 ]] || fail "$dups orders were sent twice"
if [[ $fills != "$sim_fills" ]]; then
	# Which side lost them: the gateway (not in the journal) or risk (journaled, not counted)?
	j=$(for f in "$work"/journal/*.fpj; do "$bin/fastpath-ctl" journal dump "$f"; done |
		grep -c 'producer=gw type=exec_fill' || true)
	fail "fills: ours $fills, venue's $sim_fills, in the journal $j; risk: unknown orders" \
		"$(json "$r" risk_unknown_exec), replays dropped $(json "$r" risk_exec_dups)"
fi
# The report's own fill count (the gateway's) too, across the restart (issue 16 item 5).
rfills=$(json "$r" fills)
[[ $victim == supervisor || $rfills == "$sim_fills" ]] ||
	fail "report fills $rfills, venue's $sim_fills (the gateway's count did not survive)"
[[ $pos == "$sim_pos" ]] || fail "position: ours $pos, venue's $sim_pos"
[[ $cash == "$sim_cash" ]] || fail "cash (P&L at any mark): ours $cash, venue's $sim_cash"
echo "1 passed, 0 failed"
