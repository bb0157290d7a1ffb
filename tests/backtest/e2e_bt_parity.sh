#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Live/backtest parity (issue 13): a live run of the pipeline against the simulator, whose
# feed the simulator also records (--pcap-out), then `fastpath backtest` of that capture
# with the same configuration file. The probe strategy (a .so, tests/backtest/
# bt_probe_strategy.c) folds every book top it is given into a running checksum: live and
# backtest must deliver the same tops in the same order. The ping strategy must emit the
# same intents (symbol, side, shares, price, in order; client order ids differ: a live host
# starts them from the clock). Fills may differ, and the test says why: ping's IOCs sit at
# the touch of their own side and fill only when the other side moved to their price during
# the order-entry latency: live, the simulator's book at the real arrival; in the backtest,
# the recorded book at decision + 20 us (rule V4: every backtest fill takes liquidity, 'R').
# A strategy whose orders rest would differ by the queue model (V1-V3) as well: its orders
# were never in the recording.
. "$(dirname "$0")/../e2e/e2e_lib.sh"
probe=$3
write_sim_config
cat >"$work/run.conf" <<CONF
instance = "par$$";
segment = { hugepages = "off"; };
placement = { idle = "backoff"; workers = (
  { name = "fused"; stages = ["md", "book", "strategies", "risk", "gateway"]; },
  { name = "store"; stages = ["store"]; } ); };
md = { backend = "udp"; groups = ["239.192.0.1:$md_port"]; interface = "127.0.0.1";
       rerequest = "127.0.0.1:$rereq_port"; stale_timeout_ms = 2000; };
book = { symbols = 1024; orders = 262144; depth = 5; };
strategies = { list = (
  { id = 1; name = "probe"; path = "$probe"; params = ["out=$work/live.probe"]; },
  { id = 2; name = "ping"; params = ["every=40", "size=100"]; } ); };
risk = { limits = "$src/config/risk.conf"; env = "dev"; symbols = 1024; };
gateway = { venue = "127.0.0.1:$oe_port"; };
store = { dir = "$work/journal"; };
backtest = { latency = "entry=20us,resp=20us"; };
CONF
mkdir -p "$work/journal"
"$bin/fastpath" run --config "$work/run.conf" --duration 9 --report "$work/report.json" \
	>"$work/summary.log" 2>"$work/run.log" &
run_pid=$!
pids+=("$run_pid")
sleep 0.7
"$bin/fastpath-sim" --config "$work/sim.conf" --rate 4000 --symbols 10 --duration 5 \
	--pcap-out "$work/feed.pcap" --json >"$work/sim.json" 2>"$work/sim.log" &
sim_pid=$!
pids+=("$sim_pid")
wait "$sim_pid" || fail "fastpath-sim exited with $?"
wait "$run_pid" || fail "fastpath run exited with $?"
[[ -s $work/live.probe ]] || fail "the live probe wrote nothing"

recorded=$("$bin/fastpath-md" dump "$work/feed.pcap" --type S 2>/dev/null |
	sed -n 's/.*"summary": {"messages": \([0-9]*\).*/\1/p')
live_md=$(json "$work/report.json" md_messages)
echo "capture: $recorded messages; live md: $live_md"
[[ $recorded == "$live_md" ]] || fail "the live run saw $live_md of $recorded messages"

"$bin/fastpath" backtest --config "$work/run.conf" --data "$work/feed.pcap" --out "$work/bt" \
	--set "strategy.1.out=$work/bt.probe" --quiet 2>"$work/bt.log" ||
	{ cat "$work/bt.log" >&2; fail "fastpath backtest exited with $?"; }
echo "live:     $(cat "$work/live.probe")"
echo "backtest: $(cat "$work/bt.probe")"
cmp -s "$work/live.probe" "$work/bt.probe" || fail "the strategies saw other book tops"

# ping's intents as risk journaled them (forwarded or refused), without ids and times
intents() {
	"$bin/fastpath-ctl" journal dump "$1" |
		sed -n 's/.*producer=risk type=\(order_new\|risk_reject\) \(sym=[0-9]* \)coid=[0-9]* \(side=. qty=[0-9]* price=[0-9.]*\) strategy=2.*/\2\3/p'
}
intents "$(ls "$work"/journal/*.fpj | head -n 1)" >"$work/live.intents"
intents "$(ls "$work"/bt/journal/*.fpj | head -n 1)" >"$work/bt.intents"
n_live=$(wc -l <"$work/live.intents")
n_bt=$(wc -l <"$work/bt.intents")
echo "ping intents: live $n_live, backtest $n_bt"
((n_live > 5)) || fail "too few ping intents live ($n_live)"
cmp -s "$work/live.intents" "$work/bt.intents" ||
	{ diff "$work/live.intents" "$work/bt.intents" | head >&2; fail "ping's intents differ"; }
live_fills=$(json "$work/report.json" fills)
bt_fills=$(sed -n 's/.*"strategy": 2, .*"fills": \([0-9]*\),.*/\1/p' "$work/bt/report.json" |
	awk '{s += $1} END {print s + 0}')
not_taking=$(awk -F, 'NR > 1 && $2 == 2 && $7 != "R"' "$work/bt/fills.csv" | wc -l)
echo "fills: live $live_fills, backtest $bt_fills; every backtest fill took liquidity at" \
	"arrival (the touch reached the IOC within the entry latency): $((not_taking == 0))"
((not_taking == 0)) || fail "$not_taking backtest fills of ping did not take liquidity"
echo "1 passed, 0 failed"
