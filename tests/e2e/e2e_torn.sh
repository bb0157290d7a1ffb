#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A journal with a torn last record (issue 9's fault tests): after a run, the journal's
# last record is cut in half as a crash during its write would leave it. What must hold:
# the next start reports the torn tail and cuts it, keeps every record before it
# unchanged, does not restore the orderly stop's kill switch, and the gateway and risk
# recover every record kept. (Whether it trades again depends on the breaker the first
# run left: risk restores it from the journal too.)
. "$(dirname "$0")/e2e_lib.sh"
jdir=$work/journal
write_sim_config
write_run_config '{ name = "trade"; stages = ["md", "book", "strategies", "risk", "gateway"]; },
		  { name = "store"; stages = ["store"]; }'
echo "store = { dir = \"$jdir\"; };" >>"$work/run.conf"
orders() { sed -n 's/.*"orders": \([0-9]*\).*/\1/p' "$work/report.json" | head -n 1; }

start_run 100
wait_until "order" summary_has ' orders [1-9]'
stop_run
first=$(orders)
((${first:-0} > 0)) || fail "no order in the first run"
f=$(ls "$jdir"/*.fpj)
"$bin/fastpath-ctl" journal dump "$f" >"$work/before.txt" || fail "first journal damaged"
n=$(grep -c '^seq=' "$work/before.txt")
truncate -s -30 "$f" # the last record loses its end: a short record
"$bin/fastpath-ctl" journal dump "$f" >"$work/torn.txt" || fail "torn journal refused by dump"
tail -n 1 "$work/torn.txt" | grep -q "tail=torn" || fail "dump: $(tail -n 1 "$work/torn.txt")"

mv "$work/run.log" "$work/run1.log"
start_run 100
wait_until "recovery" grep -q "gateway.*recovered [0-9]* journal records" "$work/run.log"
wait_until "summary" summary_has 'orders'
stop_run
grep -q "torn tail (short record) of .* bytes at offset .* cut; $((n - 1)) records kept" \
	"$work/run.log" || fail "torn tail not reported"
# (a breaker that tripped during the first run is restored, rightly; the stop's kill not)
grep -q "kill switch tripped again.*'supervisor': stop: " "$work/run.log" &&
	fail "the orderly stop's kill was restored: $(grep "tripped again" "$work/run.log")"
got=$(sed -n 's/.*gateway.*recovered \([0-9]*\) journal records.*/\1/p' "$work/run.log")
((${got:-0} >= n - 1)) || fail "the gateway recovered ${got:-no} records of $((n - 1))"
"$bin/fastpath-ctl" journal dump "$f" >"$work/after.txt" || fail "journal damaged after restart"
tail -n 1 "$work/after.txt" | grep -q "tail=clean" || fail "after: $(tail -n 1 "$work/after.txt")"
# The records before the torn one are unchanged, and the file goes on after them.
diff <(grep '^seq=' "$work/before.txt" | head -n $((n - 1))) \
	<(grep '^seq=' "$work/after.txt" | head -n $((n - 1))) >/dev/null ||
	fail "records before the torn one changed"
# From record n on: the control changes the supervisor restored from the journal (a breaker
# the first run tripped: "restored from journal: ..."), written at setup, then the store's
# start record.
start=$(sed -n 's/^seq=\([0-9]*\) .*type=store_start.*/\1/p' "$work/after.txt" | tail -n 1)
[[ -n $start ]] && ((start >= n)) || fail "no store start at or after record $n"
for ((s = n; s < start; s++)); do
	grep -qE "^seq=$s .*type=ctl_change.*reason=\"restored from journal: " "$work/after.txt" ||
		fail "record $s before the new start is not a restored control change: $(grep "^seq=$s " "$work/after.txt")"
done
echo "first run: $first orders, $n records; torn record cut; the gateway recovered $got records; $(grep -c '^seq=' "$work/after.txt") records after the second run"
echo "1 passed, 0 failed"
