#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Issue 9's fault test "PostgreSQL stopped for 10 s during trading", end to end: the pipeline
# with a store worker trades against the simulator while `fastpath-ctl journal load --follow`
# copies its journal into PostgreSQL. PostgreSQL is stopped for 10 s mid-session. What must
# survive: trading (orders keep leaving the gateway during the outage), and the audit trail
# (once PostgreSQL is back the database holds exactly the journal's records, each once).
#   e2e_pg_outage.sh BUILD/bin SRC
. "$(dirname "$0")/../e2e/e2e_lib.sh"
. "$(dirname "$0")/pg_lib.sh"
skip_unless_pg
mk=$bin/../tests/pg_mkjournal
write_sim_config
write_run_config '{ name = "fused"; stages = ["md", "book", "strategies", "risk", "gateway"]; },
		  { name = "store"; stages = ["store"]; }'
echo "store = { dir = \"$work/journal\"; fsync = \"interval\"; fsync_interval_ms = 10; };" \
	>>"$work/run.conf"
# Orders the gateway refuses while its venue session comes up (NOT_CONNECTED) can trip the
# rejects breaker, and with it the kill switch, before the outage starts: what is measured
# here is PostgreSQL's effect on trading, so that breaker is out of the way.
sed 's/max_consec_rejects = [0-9]*;/max_consec_rejects = 1000000;/' "$src/config/risk.conf" \
	>"$work/risk.conf"
sed -i "s|$src/config/risk.conf|$work/risk.conf|" "$work/run.conf"
mkdir -p "$work/journal"
pg_init

"$bin/fastpath-ctl" journal load "$work/journal" --db "$PG_URL" --follow \
	>"$work/follow.out" 2>"$work/follow.err" &
pids+=($!)
follow_pid=$!
# pg_fail MSG: fail with the follower's messages too.
pg_fail() {
	echo "--- follower" >&2
	cat "$work/follow.err" >&2 || true
	fail "$@"
}
orders_now() { tail -n 1 "$work/summary.log" | sed -n 's/.*orders \([0-9]*\).*/\1/p'; }
rows_now() { pg_sql "SELECT coalesce(sum(nb), 0) FROM journal_counts"; }

start_run 17
sleep 3
rows_before=0
for _ in $(seq 40); do
	rows_before=$(rows_now)
	((rows_before > 0)) && break
	sleep 0.25
done
kill -0 "$follow_pid" 2>/dev/null || pg_fail "the follower died"
((rows_before > 0)) || pg_fail "nothing in PostgreSQL after 3 to 13 s of trading"
orders_before=$(orders_now)
pg_stop
sleep 10
orders_during=$(orders_now)
pg_start
wait "$run_pid" || fail "fastpath run exited with $?"
# The run is over: the venue writes its record now (SIGINT), not 3 s later at its --duration.
kill -INT "$sim_pid" 2>/dev/null || true
wait "$sim_pid" || true
echo "orders: $orders_before when PostgreSQL stopped, $orders_during 10 s later"
((orders_during > orders_before)) || pg_fail "trading stopped with PostgreSQL"

mapfile -t files < <(ls "$work"/journal/*.fpj)
want=$("$mk" --count "${files[@]}" | sed -n 's/^records //p')
got=0
for _ in $(seq 100); do
	got=$(rows_now)
	[[ $got == "$want" ]] && break
	sleep 0.1
done
kill -TERM "$follow_pid"
wait "$follow_pid" || pg_fail "follower exited with $? after SIGTERM"
cat "$work/follow.err"
[[ $got == "$want" ]] || pg_fail "PostgreSQL holds $got rows for $want journal records"
[[ $(pg_sql "SELECT sum(last_seq) FROM load_progress") == "$want" ]] || fail "load_progress"
grep -q "database back after" "$work/follow.err" || fail "the follower did not see the outage"
sent=$(pg_sql "SELECT count(*) FROM orders_sent")
fills=$(pg_sql "SELECT count(*) FROM executions WHERE kind = 'fill'")
snaps=$(pg_sql "SELECT count(*) FROM positions")
echo "journal: $want records; PostgreSQL: $got rows, $sent orders sent, $fills fills," \
	"$snaps position snapshots"
((snaps > 0)) || fail "no position snapshot in PostgreSQL"
# The same figures from `fastpath-ctl journal dump` (the store's own reader of the files).
for f in "${files[@]}"; do "$bin/fastpath-ctl" journal dump "$f"; done >"$work/dump.txt" ||
	fail "journal dump"
d_records=$(sed -n 's/^# end: records=\([0-9]*\).*/\1/p' "$work/dump.txt" | awk '{n += $1} END {print n}')
d_sent=$(grep -c "producer=gw type=order_" "$work/dump.txt" || true)
d_fills=$(grep -c "producer=gw type=exec_fill " "$work/dump.txt" || true)
echo "journal dump: $d_records records, $d_sent orders sent, $d_fills fills"
[[ $d_records == "$want" && $d_sent == "$sent" && $d_fills == "$fills" ]] ||
	fail "PostgreSQL and journal dump disagree"
echo "1 passed, 0 failed"
