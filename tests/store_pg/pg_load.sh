#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `fastpath-ctl journal load` of a journal holding every record kind: the rows per table
# equal what pg_mkjournal wrote, spot-checked values survive the trip, a second load adds
# nothing (idempotent), a directory load picks up day files, `journal migrate` is a no-op on
# a migrated database, and --instance keeps to its own files.
. "$(dirname "$0")/pg_lib.sh"
ctl=$bin/bin/fastpath-ctl
mk=$bin/tests/pg_mkjournal
pg_init
jdir=$work/journal
mkdir -p "$jdir"
j=$jdir/pgt-20261125.fpj
"$mk" "$j" --instance pgt --rounds 20 >"$work/mk.txt" || fail "pg_mkjournal"
records=$(sed -n 's/^records //p' "$work/mk.txt")

# count TABLE: rows of the table (all files)
count() { pg_sql "SELECT count(*) FROM $1"; }
check_counts() {
	local t want got
	while read -r t want; do
		[[ $t == records ]] && continue
		got=$(count "$t")
		[[ $got == "$want" ]] || fail "$t: $got rows, expected $want ($1)"
	done <"$work/mk.txt"
}

"$ctl" journal load "$j" --db "$PG_URL" >"$work/load1.txt" 2>&1 || {
	cat "$work/load1.txt"
	fail "first load exited with $?"
}
cat "$work/load1.txt"
check_counts "first load"
total=$(pg_sql "SELECT sum(nb) FROM journal_counts")
[[ $total == "$records" ]] || fail "$total rows in all tables for $records records"
[[ $(pg_sql "SELECT last_seq FROM load_progress") == "$records" ]] || fail "load_progress"
[[ $(pg_sql "SELECT string_agg(version::text, ' ' ORDER BY version) FROM schema_migrations") == "1 2" ]] ||
	fail "schema_migrations"

# Spot checks (values of round 3 of pg_mkjournal).
q() { pg_sql "$1"; }
[[ $(q "SELECT kind, coid, strategy_id, symbol_id, side, qty, price, tif, urn FROM orders
	WHERE producer = 'gw' AND coid = 1003") == "new|1003|2|4|S|100|100003|day|4" ]] ||
	fail "gw order of round 3: $(q "SELECT * FROM orders WHERE producer='gw' AND coid=1003")"
[[ $(q "SELECT count(*) FROM orders WHERE producer = 'risk' AND urn IS NULL") == 80 ]] ||
	fail "risk orders carry no URN"
[[ $(q "SELECT shares, price, leaves, match_number, soup_seq, replay FROM executions
	WHERE kind = 'fill' AND coid = 1003") == "40|100003|60|5003|32|f" ]] ||
	fail "fill of round 3: $(q "SELECT * FROM executions WHERE kind='fill' AND coid=1003")"
[[ $(q "SELECT coalesce(soup_seq::text, 'null'), reason FROM executions
	WHERE kind = 'rejected' AND coid = 1003") == "null|X" ]] || fail "local reject"
[[ $(q "SELECT reason, reason_name, qty, order_kind FROM risk_events
	WHERE kind = 'reject' AND coid = 900003") == "12|qty_max|99999|new" ]] ||
	fail "risk reject: $(q "SELECT * FROM risk_events WHERE coid = 900003")"
[[ $(q "SELECT reason_name, value, text FROM risk_events
	WHERE kind = 'breaker_trip' ORDER BY seq LIMIT 1") == "daily_loss|12345|loss beyond max" ]] ||
	fail "breaker trip: $(q "SELECT * FROM risk_events WHERE kind = 'breaker_trip' LIMIT 1")"
[[ $(q "SELECT what, old_value, new_value, who, reason, pid FROM control_actions
	WHERE change_seq = 4") == $'trading|1|2|ctl:tester|round 3 halt, a \\ and a?tab|4242' ]] ||
	fail "control action: $(q "SELECT * FROM control_actions WHERE change_seq = 4")"
[[ $(q "SELECT session, requested_seq FROM sessions ORDER BY seq LIMIT 1 OFFSET 3") == \
	"SESS000001|31" ]] || fail "session"
[[ $(q "SELECT position, stock, mark FROM positions WHERE strategy_id = 2
	ORDER BY seq DESC LIMIT 1") == "-190|AAPL|100019" ]] || fail "position snapshot"
[[ $(q "SELECT count(*) FROM pnl_snapshots WHERE strategy_id IS NULL") == 20 ]] ||
	fail "firm P&L lines"
[[ $(q "SELECT count(*) FROM positions_eod") == 10 ]] || fail "positions_eod"
[[ $(q "SELECT encode(payload, 'hex') FROM other_records WHERE type = 511 LIMIT 1") == \
	0102030405 ]] || fail "other record payload"
[[ $(q "SELECT count(*) FROM orders WHERE time < '2020-01-01'") == 0 ]] || fail "order times"

# Idempotent: a second load stores nothing new, even from scratch (progress removed).
"$ctl" journal load "$j" --db "$PG_URL" --json >"$work/load2.json" || fail "second load"
grep -q '"rows":0' "$work/load2.json" || fail "second load added rows: $(cat "$work/load2.json")"
pg_sql "DELETE FROM load_progress" >/dev/null
"$ctl" journal load "$jdir" --db "$PG_URL" --batch 7 --json >"$work/load3.json" ||
	fail "load from scratch"
grep -q "\"records\":$records," "$work/load3.json" || fail "reload read: $(cat "$work/load3.json")"
grep -q '"rows":0' "$work/load3.json" || fail "reload added rows: $(cat "$work/load3.json")"
check_counts "reload"

# A directory: a new day file of the same instance and a file of another instance.
"$mk" "$jdir/pgt-20261126.fpj" --instance pgt --rounds 2 >/dev/null || fail "day 2"
"$mk" "$jdir/other-20261126.fpj" --instance other --rounds 1 >/dev/null || fail "other"
"$ctl" --instance pgt journal load "$jdir" --db "$PG_URL" >/dev/null || fail "dir load"
[[ $(q "SELECT count(DISTINCT file_created_ns) FROM orders WHERE instance = 'pgt'") == 2 ]] ||
	fail "second day file not loaded"
[[ $(q "SELECT count(*) FROM orders WHERE instance = 'other'") == 0 ]] ||
	fail "--instance pgt loaded another instance"
"$ctl" journal load "$jdir" --db "$PG_URL" >/dev/null || fail "dir load, all instances"
[[ $(q "SELECT count(*) FROM orders WHERE instance = 'other'") == 8 ]] || fail "instance other"
out=$("$ctl" journal migrate --db "$PG_URL") || fail "migrate exited $?"
grep -q "version 2: 0 migrations applied" <<<"$out" ||
	fail "migrate on a migrated database"
echo "1 passed, 0 failed"
