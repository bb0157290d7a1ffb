#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Cancel and replace against QuickFIX (issue 14): `fastpath run` (market data from
# fastpath-sim, the `mm` market makers, risk) with gateway.protocol = "fix44" over TLS 1.3 to
# fp-quickfix-book (qf_book.cpp: QuickFIX's session layer, FIX 4.4 dictionary validation on,
# every order rests; OrderCancelRequest -> ExecType=Canceled, OrderCancelReplaceRequest ->
# ExecType=Replaced). The market makers requote by replace as the simulated market moves;
# once QuickFIX has applied replaces, the kill switch cancels every open order (a replace
# in flight is canceled once its Replaced comes back). Then, with nothing open on our side
# nor in QuickFIX's book:
#   - QuickFIX logged no session-level Reject (35=3), no BusinessMessageReject (35=j), no
#     OrderCancelReject (35=9) and rejected no order;
#   - the replaces it applied = replaces_sent = replaced (`fastpath-ctl orders --json`) =
#     "replaces" in our report; the cancels it applied = kill_cancels (the market makers
#     cancel only at max_position, and nothing fills here) = canceled = "cancels" in our
#     report; its NewOrderSingles = orders_sent = "orders";
#   - QuickFIX's book never held more orders than the 4 quotes.
#   fix_quickfix_cancel_replace.sh BIN SRC QFBIN
qf=$(cd "${3:?usage: fix_quickfix_cancel_replace.sh BIN SRC QFBIN}" && pwd)
. "$(dirname "$0")/../e2e/e2e_lib.sh"
qf_port=$((base + 5))
dict=$src/../shared/data/fix/FIX44.xml
[[ -s $dict ]] || fail "no FIX 4.4 dictionary at $dict"
. "$(dirname "$0")/qf_lib.sh"
cd "$work"
qf_certs # RSA: not make_fix_certs' EC keys
book=$work/book.log
qf_executor "$qf/fp-quickfix-book" "$qf_port" "$dict" "$book"

write_sim_config
write_run_config '{ name = "fused"; stages = ["md", "book", "strategies", "risk", "gateway"]; }'
sed -i "s|gateway = { venue = \"127.0.0.1:$oe_port\"; };|gateway = { venue = \"127.0.0.1:$qf_port\"; protocol = \"fix44\"; sender_comp_id = \"FPST\"; target_comp_id = \"EXEC\"; tls_ca_file = \"$work/ca.crt\"; tls_server_name = \"localhost\"; heartbeat_ms = 5000; };|" "$work/run.conf"
grep -q 'protocol = "fix44"' "$work/run.conf" || fail "run config not pointed at QuickFIX"
qf_start_pipeline 120
instance="e2e$$"

# book_field NAME: a running total from the last line of fp-quickfix-book's log ("" before
# its first action).
book_field() { tail -n 1 "$book" 2>/dev/null | sed -n "s/.* $1 \([0-9]*\).*/\1/p"; }
book_replaces_above() { local r; r=$(book_field replaces); [[ -n $r ]] && ((r > $1)); }
book_empty() { [[ $(book_field open) == 0 ]]; }

wait_until "FIX session up" grep -qE "venue session up|fastpath: .*(error|failed|refused)" \
	"$work/run.log"
grep -q "venue session up over tls1.3" "$work/run.log" || fail "no TLS 1.3 session"
wait_until "replaces applied by QuickFIX" book_replaces_above 4
ctl kill --reason "fix_quickfix_cancel_replace: compare with QuickFIX" >/dev/null ||
	fail "fastpath-ctl kill failed"
wait_until "no open order after the kill" none_open
wait_until "QuickFIX's book empty after the kill" book_empty
for f in orders_sent replaces_sent replaced canceled kill_cancels venue_rejected; do
	printf -v "our_$f" '%s' "$(orders_field "$f")"
done
qf_news=$(book_field news) qf_cancels=$(book_field cancels)
qf_replaces=$(book_field replaces) qf_rejects=$(book_field rejects)
echo "QuickFIX applied: $qf_news NewOrderSingle, $qf_replaces replaces, $qf_cancels cancels ($qf_rejects rejected), open $(book_field open)"
echo "we sent: orders_sent $our_orders_sent, replaces_sent $our_replaces_sent, kill_cancels $our_kill_cancels; applied: replaced $our_replaced, canceled $our_canceled, venue_rejected $our_venue_rejected; open $(orders_field open)"
stop_run

log=$work/executor.log
grep -qaE $'\x0135=G\x01' "$log" || fail "QuickFIX logged no OrderCancelReplaceRequest"
grep -qaE $'\x0135=F\x01' "$log" || fail "QuickFIX logged no OrderCancelRequest"
for t in 3 j 9; do
	! grep -qaE $'\x0135='$t$'\x01' "$log" ||
		fail "QuickFIX sent 35=$t: $(grep -aE $'\x0135='$t$'\x01' "$log" | head -1 | tr '\001' '|')"
done
((qf_rejects == 0 && our_venue_rejected == 0)) ||
	fail "QuickFIX rejected $qf_rejects orders (we counted $our_venue_rejected)"
((qf_replaces > 4)) || fail "QuickFIX applied $qf_replaces replaces"
((qf_replaces == our_replaces_sent && qf_replaces == our_replaced)) ||
	fail "replaces: QuickFIX applied $qf_replaces, we sent $our_replaces_sent, applied $our_replaced"
((qf_cancels > 0 && qf_cancels == our_kill_cancels && qf_cancels == our_canceled)) ||
	fail "cancels: QuickFIX applied $qf_cancels, we sent $our_kill_cancels, applied $our_canceled"
((qf_news == our_orders_sent)) ||
	fail "new orders: QuickFIX got $qf_news, we sent $our_orders_sent"
# The report written at the end of the run: the stop's own kill found nothing open.
report_figures
rep_replaces=$(json "$work/report.json" replaces)
rep_cancels=$(json "$work/report.json" cancels)
echo "report: orders $orders, replaces $rep_replaces, cancels $rep_cancels, fills $fills"
((rep_replaces == qf_replaces && rep_cancels == qf_cancels && orders == qf_news)) ||
	fail "report: orders $orders replaces $rep_replaces cancels $rep_cancels; QuickFIX $qf_news $qf_replaces $qf_cancels"
book_empty || fail "QuickFIX's book not empty at the end: $(tail -n 1 "$book")"
# Two market makers, a bid and an ask each: 4 quotes. More orders resting at QuickFIX are
# quotes the market maker lost track of: one replace in flight per quote, every replace
# answered (the gateway refuses one whose order ended first), the old leg given back while
# it lives (docs/strategies.md, mm).
max_open=$(sed -n 's/.* open \([0-9]*\)$/\1/p' "$book" | sort -n | tail -n 1)
echo "QuickFIX's book held at most $max_open orders (4 quotes)"
((max_open <= 4)) || fail "QuickFIX's book held $max_open orders for 4 quotes"
((fills == 0)) || fail "$fills fills from a counterparty that never fills"
echo "1 passed, 0 failed"
