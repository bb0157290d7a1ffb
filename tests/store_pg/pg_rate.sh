#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Load rate of `fastpath-ctl journal load` (not in ctest: a measurement for docs/postgres.md).
#   bash tests/store_pg/pg_rate.sh BUILD_DIR SRC_DIR [ROUNDS] [RUNS] [BATCH]
# Writes one journal of ROUNDS x 26 records of every kind (default 40000: 1.04 M records),
# then loads it RUNS times (default 3) into an empty database and prints each rate and the
# median, plus the rate of a reload (everything already stored).
. "$(dirname "$0")/pg_lib.sh"
rounds=${3:-40000}
runs=${4:-3}
batch=${5:-5000}
pg_init
j=$work/rate-20261125.fpj
"$bin/tests/pg_mkjournal" "$j" --instance rate --rounds "$rounds" >"$work/mk.txt" || fail "mk"
records=$(sed -n 's/^records //p' "$work/mk.txt")
echo "journal: $records records, $(($(stat -c %s "$j") / 1048576)) MiB"
rates=()
for i in $(seq "$runs"); do
	pg_sql "DROP SCHEMA public CASCADE; CREATE SCHEMA public" >/dev/null 2>&1
	"$bin/bin/fastpath-ctl" journal load "$j" --db "$PG_URL" --batch "$batch" --json \
		>"$work/r.json" || fail "load"
	r=$(sed -n 's/.*"records_per_s":\([0-9.]*\).*/\1/p' "$work/r.json")
	echo "run $i: $r records/s"
	rates+=("$r")
done
median=$(printf '%s\n' "${rates[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "median: $median records/s (batch $batch)"
pg_sql "DELETE FROM load_progress" >/dev/null
"$bin/bin/fastpath-ctl" journal load "$j" --db "$PG_URL" --batch "$batch" --json >"$work/r.json"
echo "reload (all stored already): $(sed -n 's/.*"records_per_s":\([0-9.]*\).*/\1/p' \
	"$work/r.json") records/s"
