#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Disk full on the journal in the middle of trading (issue 9's fault tests): the journal
# directory is a small tmpfs that we fill up while the market makers trade. What must hold:
# the store trips the kill switch with the journal's reason (`fastpath-ctl status`), the
# gateway sends no new order after it, nothing is traded unrecorded; once space is freed
# the store writes what it held, exactly once, and the kill switch stays tripped until an
# operator rearms it. Needs root (mount); exits 77 (skipped) without it.
. "$(dirname "$0")/e2e_lib.sh"
instance="e2e$$"
jdir=$work/journal
mkdir -p "$jdir"
if ! mount -t tmpfs -o size=8m tmpfs "$jdir" 2>/dev/null; then
	echo "SKIPPED: cannot mount a tmpfs (needs root)"
	exit 77
fi
trap 'umount -l "$jdir" 2>/dev/null || true; cleanup' EXIT

write_sim_config
write_run_config '{ name = "trade"; stages = ["md", "book", "strategies", "risk", "gateway"]; },
		  { name = "store"; stages = ["store"]; }'
echo "store = { dir = \"$jdir\"; fsync = \"batch\"; retry_ms = 50; snapshot_ms = 200; };" \
	>>"$work/run.conf"
orders_now() { tail -n 1 "$work/summary.log" | sed -n 's/.*orders \([0-9]*\).*/\1/p'; }
# (a here-string, not a pipe: grep -q stops reading at its match, and under pipefail the
# writer's SIGPIPE on a long status failed the test, though the text was there)
killed() { grep -q "killed: true" <<<"$(ctl status)"; }
halted() { tail -n 1 "$work/summary.log" | grep -q "JOURNAL HALTED"; }
start_run 60 # an upper bound: stop_run ends it once everything is seen

trading() { local o; o=$(orders_now); ((${o:-0} > 50)); }
wait_for 20 trading ||
	fail "no order before the disk filled: $(tail -n 1 "$work/summary.log"); $(why_not_trading)"
before=$(orders_now)
# Fill the journal's file system: the store's next write fails with ENOSPC.
dd if=/dev/zero of="$jdir/filler" bs=64k 2>/dev/null || true
wait_for 5 killed || fail "kill switch not tripped: $(ctl status)"
status=$(ctl status) || fail "fastpath-ctl status failed"
grep -q "journal write failed: No space left on device" <<<"$status" ||
	fail "no journal reason in the status: $status"
wait_for 3 halted || fail "summary does not say halted: $(tail -n 1 "$work/summary.log")"
sleep 1.1 # a summary line after the last order the gateway took before the switch
halted_orders=$(orders_now)
sleep 2
after=$(orders_now)
echo "orders: $before before the disk filled, $halted_orders when halted, $after 2 s later"
[[ $after == "$halted_orders" ]] || fail "orders kept leaving after the halt ($halted_orders then $after)"

# Free the space: the store catches up; the switch stays tripped.
rm -f "$jdir/filler"
resumed() { ! halted; }
wait_for 4 resumed || fail "store still halted after space was freed"
killed || fail "the kill switch was rearmed without an operator"

# Seen: stop now (an orderly stop, exit 0) rather than wait out the 30 s run.
stop_run
r=$work/report.json
errors=$(sed -n 's/.*"write_errors": \([0-9]*\).*/\1/p' "$r")
records=$(sed -n 's/.*"journal": {"records": \([0-9]*\).*/\1/p' "$r")
((${errors:-0} > 0)) || fail "no write error counted"
f=$(ls "$jdir"/*.fpj)
"$bin/fastpath-ctl" journal dump "$f" >"$work/dump.txt" || fail "journal dump: damaged journal"
tail -n 1 "$work/dump.txt" | grep -q "tail=clean" || fail "journal tail: $(tail -n 1 "$work/dump.txt")"
in_file=$(grep -c '^seq=' "$work/dump.txt")
# Every order the gateway sent is in the journal once (J2), and each UserRefNum once.
sent=$(json "$r" orders)
urns=$(grep 'producer=gw type=order_new' "$work/dump.txt" | sed -n 's/.* urn=\([0-9]*\).*/\1/p')
dups=$(echo "$urns" | sort | uniq -d | wc -l)
echo "journal: $records records written at the last summary, $in_file in the file, $errors write errors; gateway orders $sent, journaled new orders $(echo "$urns" | wc -l), repeated $dups"
# (the report is taken before the stop: the store writes a few more records while draining)
((in_file >= records)) || fail "records written $records, in the file only $in_file"
[[ $dups == 0 ]] || fail "$dups order records written twice"
echo "1 passed, 0 failed"
