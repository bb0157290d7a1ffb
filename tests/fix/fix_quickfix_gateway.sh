#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The real gateway against QuickFIX (issue 14): `fastpath run` (market data from
# fastpath-sim, the market makers, risk) with gateway.protocol = "fix44" over TLS 1.3 to
# QuickFIX's example executor (built from libquickfix-doc's sources, FIX 4.4 dictionary
# validation on), which fills every limit order it gets at once (a Trade without a New).
# Logon, orders, fills, then an orderly stop with a Logout. QuickFIX must log no
# session-level Reject (35=3): every message we sent parsed and validated. (The executor
# answers only NewOrderSingle: fix_quickfix_cancel_replace.sh tests cancel and replace,
# against fp-quickfix-book.)
#   fix_quickfix_gateway.sh BIN SRC QFBIN
qf=$(cd "${3:?usage: fix_quickfix_gateway.sh BIN SRC QFBIN}" && pwd)
. "$(dirname "$0")/../e2e/e2e_lib.sh"
. "$(dirname "$0")/qf_lib.sh"
qf_start "$qf"

write_sim_config
write_run_config '{ name = "fused"; stages = ["md", "book", "strategies", "risk", "gateway"]; }'
sed -i "s|gateway = { venue = \"127.0.0.1:$oe_port\"; };|gateway = { venue = \"127.0.0.1:$qf_port\"; protocol = \"fix44\"; sender_comp_id = \"FPST\"; target_comp_id = \"EXEC\"; tls_ca_file = \"$work/ca.crt\"; tls_server_name = \"localhost\"; heartbeat_ms = 5000; };|" "$work/run.conf"
grep -q 'protocol = "fix44"' "$work/run.conf" || fail "run config not pointed at QuickFIX"
qf_start_pipeline 60
wait_until "FIX session up" grep -qE "venue session up|fastpath: .*(error|failed|refused)" \
	"$work/run.log"
grep -q "venue session up over tls1.3" "$work/run.log" || fail "no TLS 1.3 session"
wait_until "fill from QuickFIX" summary_has ' fills [1-9]'
stop_run
log=$work/executor.log
grep -q "venue session up over tls1.3" "$work/run.log" || fail "not TLS 1.3"
grep -qE $'\x0135=A\x01' "$log" || fail "QuickFIX logged no Logon"
grep -qE $'\x0135=D\x01' "$log" || fail "QuickFIX logged no NewOrderSingle"
grep -qE $'\x0135=8\x01.*\x01150=F\x01' "$log" || fail "QuickFIX sent no fill"
grep -qE $'\x0135=5\x01(.*\x01)?49=FPST\x01' "$log" || fail "no Logout from us"
! grep -qE $'\x0135=3\x01' "$log" || fail "QuickFIX sent a session-level Reject: $(grep -aE $'\x0135=3\x01' "$log" | head -1 | tr '\001' '|')"
fills=$(json "$work/report.json" fills)
qf_fills=$(grep -caE $'\x0135=8\x01.*\x01150=F\x01' "$log")
echo "QuickFIX: $(grep -caE $'\x0135=D\x01' "$log") NewOrderSingle, $qf_fills fills sent; our fills $fills"
((fills > 0 && fills <= qf_fills)) || fail "our fills $fills, QuickFIX sent $qf_fills"
echo "1 passed, 0 failed"
