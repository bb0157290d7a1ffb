#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Errors of `fastpath-ctl journal load`: one line each, the documented exit code, never the
# password: bad URL (2), login refused (5), database unreachable (7), missing file (1), a
# journal damaged in the middle (6, the records before the damage stored); a torn tail is
# "not yet" (0, the rest loaded by the next run).
. "$(dirname "$0")/pg_lib.sh"
ctl=$bin/bin/fastpath-ctl
mk=$bin/tests/pg_mkjournal
pg_init
j=$work/pge-20261125.fpj
"$mk" "$j" --instance pge --rounds 4 >"$work/mk.txt" || fail "pg_mkjournal"
records=$(sed -n 's/^records //p' "$work/mk.txt")

# expect CODE WHAT ARGS...: exit code CODE, one line on stderr, no "s3cret" anywhere
expect() {
	local code=$1 what=$2 rc=0
	shift 2
	"$ctl" "$@" >"$work/out" 2>"$work/err" || rc=$?
	[[ $rc == "$code" ]] || fail "$what: exit $rc, expected $code ($(cat "$work/err"))"
	[[ $(wc -l <"$work/err") == 1 ]] || fail "$what: not one line: $(cat "$work/err")"
	! grep -q s3cret "$work/out" "$work/err" || fail "$what: password printed"
	echo "$what: exit $rc: $(cat "$work/err")"
}
expect 2 "bad URL" journal load "$j" --db "postgresql://u:s3cret@127.0.0.1:$PG_PORT/x?bogus=1"
expect 2 "bad URL" journal load "$j" --db "host=127.0.0.1 password=s3cret nonsense"
expect 5 "login refused" journal load "$j" --db "postgresql://nosuch:s3cret@127.0.0.1:$PG_PORT/fastpath"
expect 7 "unreachable" journal load "$j" --db "postgresql://u:s3cret@127.0.0.1:1/fastpath"
expect 1 "missing file" journal load "$work/none.fpj" --db "$PG_URL"
expect 2 "no database" journal load "$j"
expect 2 "unknown option" journal load "$j" --db "$PG_URL" --bogus
grep -q "exit codes" <<<"$("$ctl" journal load --help)" || fail "journal load --help"

# Torn tail: the last record cut short is left for later, the rest stored.
cp "$j" "$work/torn.fpj"
truncate -s -7 "$work/torn.fpj"
"$ctl" journal load "$work/torn.fpj" --db "$PG_URL" >"$work/out" || fail "torn tail: exit $?"
grep -q "torn tail" "$work/out" || fail "torn tail not reported: $(cat "$work/out")"
[[ $(pg_sql "SELECT last_seq FROM load_progress") == $((records - 1)) ]] || fail "torn tail rows"
# Damage in the middle: a payload byte of record 3 flipped, valid records after it.
"$mk" "$work/mid-20261125.fpj" --instance pgm --rounds 4 >/dev/null || fail "pg_mkjournal mid"
off=$((64 + 2 * (20 + 32) + 20 + 30))
printf '\xff' | dd of="$work/mid-20261125.fpj" bs=1 seek=$off conv=notrunc 2>/dev/null
expect 6 "damaged middle" journal load "$work/mid-20261125.fpj" --db "$PG_URL"
[[ $(pg_sql "SELECT last_seq FROM load_progress WHERE instance = 'pgm'") == 2 ]] ||
	fail "records before the damage not stored"
echo "1 passed, 0 failed"
