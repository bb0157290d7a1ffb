#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `fastpath-ctl journal load DIR --follow` while a writer appends records and a new day file
# appears: every record arrives, once; SIGTERM ends the follower with exit 0.
. "$(dirname "$0")/pg_lib.sh"
ctl=$bin/bin/fastpath-ctl
mk=$bin/tests/pg_mkjournal
pg_init
jdir=$work/journal
mkdir -p "$jdir"
"$mk" "$jdir/pgf-20261125.fpj" --instance pgf --rounds 5 >"$work/mk1.txt" || fail "mk 1"

"$ctl" journal load "$jdir" --db "$PG_URL" --follow --batch 50 >"$work/follow.out" \
	2>"$work/follow.err" &
fpid=$!
pids+=("$fpid")
"$mk" "$jdir/pgf-20261125.fpj" --instance pgf --rounds 20 --first 5 --sleep-ms 50 \
	>"$work/mk2.txt" || fail "mk 2"
"$mk" "$jdir/pgf-20261126.fpj" --instance pgf --rounds 10 --sleep-ms 50 >"$work/mk3.txt" ||
	fail "mk 3"
want=$(($(sed -n 's/^records //p' "$work/mk2.txt") + $(sed -n 's/^records //p' "$work/mk3.txt")))

# wait_rows N SECONDS: until the tables hold N rows
wait_rows() {
	local got=0
	for _ in $(seq $((${2} * 10))); do
		got=$(pg_sql "SELECT coalesce(sum(nb), 0) FROM journal_counts")
		[[ $got == "$1" ]] && return 0
		sleep 0.1
	done
	fail "follower stored $got rows, expected $1"
}
wait_rows "$want" 10
kill -TERM "$fpid"
wait "$fpid" || fail "follower exited with $? after SIGTERM"
pids=()
[[ $(pg_sql "SELECT sum(last_seq) FROM load_progress") == "$want" ]] || fail "load_progress"
[[ $(pg_sql "SELECT count(*) FROM journal_files") == 2 ]] || fail "journal_files"
[[ ! -s $work/follow.err ]] || fail "follower complained: $(cat "$work/follow.err")"
grep -q "loaded $want records ($want new rows) from 2 files" "$work/follow.out" ||
	fail "summary: $(cat "$work/follow.out")"
echo "1 passed, 0 failed"
