#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# PostgreSQL stopped for 10 s (pg_ctl stop -m fast) while the follower runs and records keep
# being appended: the follower says so once, retries, says when the database is back, and
# after catching up every journal record is stored exactly once.
. "$(dirname "$0")/pg_lib.sh"
ctl=$bin/bin/fastpath-ctl
mk=$bin/tests/pg_mkjournal
pg_init
jdir=$work/journal
mkdir -p "$jdir"
j=$jdir/pgo-20261125.fpj

"$ctl" journal load "$jdir" --db "$PG_URL" --follow >"$work/follow.out" 2>"$work/follow.err" &
fpid=$!
pids+=("$fpid")
"$mk" "$j" --instance pgo --rounds 150 --sleep-ms 100 >"$work/mk.txt" &
mkpid=$!
sleep 2
before=$(pg_sql "SELECT coalesce(sum(nb), 0) FROM journal_counts")
((before > 0)) || fail "nothing loaded before the outage"
pg_stop
t_stop=$(date +%s.%N)
size_stop=$(stat -c %s "$j")
sleep 10
size_start=$(stat -c %s "$j")
((size_start > size_stop)) || fail "the journal did not grow during the outage"
pg_start
wait "$mkpid" || fail "pg_mkjournal"
want=$(sed -n 's/^records //p' "$work/mk.txt")
got=0
for _ in $(seq 150); do
	got=$(pg_sql "SELECT coalesce(sum(nb), 0) FROM journal_counts")
	[[ $got == "$want" ]] && break
	sleep 0.1
done
t_done=$(date +%s.%N)
kill -TERM "$fpid"
wait "$fpid" || fail "follower exited with $? after SIGTERM"
pids=()
cat "$work/follow.err"
[[ $got == "$want" ]] || fail "after the outage: $got rows for $want records"
[[ $(pg_sql "SELECT last_seq FROM load_progress") == "$want" ]] || fail "load_progress"
[[ $(pg_sql "SELECT count(DISTINCT seq) FROM (SELECT seq FROM orders UNION ALL SELECT seq
	FROM executions UNION ALL SELECT seq FROM risk_events UNION ALL SELECT seq FROM
	control_actions UNION ALL SELECT seq FROM sessions UNION ALL SELECT seq FROM positions
	UNION ALL SELECT seq FROM pnl_snapshots UNION ALL SELECT seq FROM store_starts UNION ALL
	SELECT seq FROM other_records) s") == "$want" ]] || fail "a sequence stored twice or lost"
[[ $(grep -c "retrying every" "$work/follow.err") == 1 ]] || fail "outage not reported once"
[[ $(grep -c "database back after" "$work/follow.err") == 1 ]] || fail "recovery not reported"
awk -v b="$before" -v w="$want" -v s="$t_stop" -v d="$t_done" 'BEGIN {
	printf "outage: %d rows before, %d records after, all stored %.1f s after the restart\n",
		b, w, d - s - 10 }'
echo "1 passed, 0 failed"
