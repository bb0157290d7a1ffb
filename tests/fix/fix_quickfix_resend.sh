#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A forced disconnect in the middle of a FIX session with QuickFIX, and the resend on logon
# (issue 14; FIX 4.4 Volume 2): `fastpath run` with gateway.protocol = "fix44" trades over
# TLS 1.3 with QuickFIX's example executor (FIX 4.4 dictionary validation on) through
# fp-fix-relay (fix_relay.c), a TCP relay this test cuts once fills flow:
#   1. what QuickFIX sends is dropped (whole TLS records): fills we never hear of;
#   2. then what the gateway sends is dropped too: messages QuickFIX never hears of;
#   3. both connections close. The gateway reconnects and logs on with its next MsgSeqNum:
#      QuickFIX sees it too high and sends a ResendRequest, answered with a
#      SequenceReset-GapFill (PossDupFlag=Y); QuickFIX's Logon is above what the gateway
#      expects: its ResendRequest, and QuickFIX resends the missed ExecutionReports with
#      PossDupFlag=Y (and gap fills for its admin messages).
# Then the kill switch stops new orders, and once no order is open our fills must equal
# QuickFIX's record (its ExecutionReports with 150=F, resends not counted): every report
# applied once. QuickFIX must log no session-level Reject (35=3).
#   fix_quickfix_resend.sh BIN SRC QFBIN
qf=$(cd "${3:?usage: fix_quickfix_resend.sh BIN SRC QFBIN}" && pwd)
. "$(dirname "$0")/../e2e/e2e_lib.sh"
. "$(dirname "$0")/qf_lib.sh"
relay_port=$((base + 6))
qf_start "$qf"
"$qf/fp-fix-relay" "$relay_port" "$qf_port" >"$work/relay.log" 2>&1 &
relay_pid=$!
pids+=("$relay_pid")
wait_until "relay listening" grep -q "relay: listening" "$work/relay.log"

write_sim_config
write_run_config '{ name = "fused"; stages = ["md", "book", "strategies", "risk", "gateway"]; }'
sed -i "s|gateway = { venue = \"127.0.0.1:$oe_port\"; };|gateway = { venue = \"127.0.0.1:$relay_port\"; protocol = \"fix44\"; sender_comp_id = \"FPST\"; target_comp_id = \"EXEC\"; tls_ca_file = \"$work/ca.crt\"; tls_server_name = \"localhost\"; heartbeat_ms = 5000; };|" "$work/run.conf"
grep -q 'protocol = "fix44"' "$work/run.conf" || fail "run config not pointed at the relay"
# The dev limits stop trading at a venue disconnect (breaker_on_venue) and after losses or
# rejects in a row: relax those, so that what the test sees is the session's recovery.
sed -e 's/max_consec_losses = [0-9]*/max_consec_losses = 1000000/' \
	-e 's/max_consec_rejects = [0-9]*/max_consec_rejects = 1000000/' \
	-e 's/max_daily_loss = [0-9.]*/max_daily_loss = 100000000.0/' \
	-e 's/breaker_on_venue = 1/breaker_on_venue = 0/' \
	"$src/config/risk.conf" >"$work/risk.conf"
sed -i "s|$src/config/risk.conf|$work/risk.conf|" "$work/run.conf"
qf_start_pipeline 120
instance="e2e$$"
sessions_up() { (($(grep -c "venue session up" "$work/run.log") >= $1)); }
fills_above() { local f; f=$(orders_field fills); [[ -n $f ]] && ((f > $1)); }

wait_until "FIX session up" grep -qE "venue session up|fastpath: .*(error|failed|refused)" \
	"$work/run.log"
grep -q "venue session up over tls1.3" "$work/run.log" || fail "no TLS 1.3 session"
wait_until "fill from QuickFIX" fills_above 0
kill -USR1 "$relay_pid"
wait_until "cut in both directions" grep -q "closed after dropping" "$work/relay.log"
cut_fills=$(orders_field fills)
grep "relay: connection 1" "$work/relay.log"
wait_until "second session up (resend applied)" sessions_up 2
wait_until "fill after the reconnect" fills_above "$cut_fills"
ctl kill --reason "fix_quickfix_resend: compare with QuickFIX" >/dev/null ||
	fail "fastpath-ctl kill failed"
wait_until "no open order after the kill" none_open
fills=$(orders_field fills)
log=$work/executor.log
qf_fills() { grep -aE $'\x0135=8\x01.*\x01150=F\x01' "$log" | grep -cav $'\x0143=Y\x01'; }
echo "QuickFIX: $(grep -caE $'\x0135=D\x01' "$log") NewOrderSingle lines, $(qf_fills) fills sent; our fills $fills ($cut_fills at the cut)"
stop_run
kill -TERM "$relay_pid" 2>/dev/null || true

# The resend on logon, in both directions, as QuickFIX logged it.
grep -qaE $'\x0135=2\x01(.*\x01)?49=EXEC\x01' "$log" ||
	fail "QuickFIX sent no ResendRequest (nothing of ours was lost?)"
grep -qaE $'\x0135=4\x01(.*\x01)?49=FPST\x01(.*\x01)?43=Y\x01(.*\x01)?123=Y\x01' "$log" ||
	grep -qaE $'\x0135=4\x01(.*\x01)?43=Y\x01(.*\x01)?49=FPST\x01(.*\x01)?123=Y\x01' "$log" ||
	fail "no SequenceReset-GapFill with PossDupFlag from us in QuickFIX's log"
grep -qaE $'\x0135=2\x01(.*\x01)?49=FPST\x01' "$log" || fail "we sent QuickFIX no ResendRequest"
resent=$(grep -aE $'\x0135=8\x01' "$log" | grep -caE $'\x0143=Y\x01.*\x01122=' || true)
((resent > 0)) || fail "QuickFIX resent no ExecutionReport with PossDupFlag=Y and OrigSendingTime"
! grep -qaE $'\x0135=3\x01' "$log" ||
	fail "QuickFIX sent a session-level Reject: $(grep -aE $'\x0135=3\x01' "$log" | head -1 | tr '\001' '|')"
grep -qE $'\x0135=5\x01(.*\x01)?49=FPST\x01' "$log" || fail "no Logout from us"
qf=$(qf_fills)
rfills=$(json "$work/report.json" fills)
echo "resent by QuickFIX with PossDupFlag: $resent ExecutionReports; report fills $rfills"
[[ $fills == "$qf" ]] || fail "our fills $fills, QuickFIX sent $qf"
[[ $rfills == "$qf" ]] || fail "the report counts $rfills fills, QuickFIX sent $qf"
echo "1 passed, 0 failed"
