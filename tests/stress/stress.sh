#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `make stress` (not part of `make test`): the end-to-end and concurrency suites STRESS_N
# times (default 20) while stress-ng keeps both cores and a share of memory busy, then one
# line per test: passes out of runs. A test that needs a retry to pass is a bug (issue 18);
# the log of every failed run is kept under BUILD/stress/, the counts so far in
# BUILD/stress/tally.txt after every round.
# usage: stress.sh BUILD   (environment: STRESS_N, STRESS_TESTS, STRESS_LABELS)
set -euo pipefail
build=$(cd "$1" && pwd)
n=${STRESS_N:-20}
# e2e: every test labelled e2e (pipeline, restart, syscalls, recovery, torn, disk full,
# PostgreSQL outage); concurrency: the suites that race processes and threads.
labels=${STRESS_LABELS:-e2e}
tests=${STRESS_TESTS:-'^(check_fp_ring_xproc|check_fp_ring|check_fp_seqlock|check_fp_syscount|check_fp_ctl_pipeline|check_fp_ctl_sup|check_fp_gw_syscalls|check_fp_ctl_segment)$'}
command -v stress-ng >/dev/null || { echo "stress: stress-ng missing (make setup)"; exit 1; }
out=$build/stress
rm -rf "$out"
mkdir -p "$out"

# The hogs: one CPU worker per core, each busy STRESS_CPU_LOAD% of the time (default 50: a
# core's worth on top of what the tests use), and a memory worker touching 10% of RAM, for as long
# as the runs take; stopped on exit however this script ends.
stress-ng --cpu "$(nproc)" --cpu-load "${STRESS_CPU_LOAD:-50}" --vm 1 --vm-bytes 10% --vm-keep \
	--timeout 0 --quiet &
hog=$!
trap 'kill "$hog" 2>/dev/null; wait "$hog" 2>/dev/null || true' EXIT

declare -A pass runs
# The pass counts so far, one line per test, into $out/tally.txt after every round: a run
# stopped before its last round still says what it proved.
tally() {
	local name
	for name in $(printf '%s\n' "${!runs[@]}" | sort); do
		printf 'stress: %-28s %3d/%d\n' "$name" "${pass[$name]:-0}" "${runs[$name]}"
	done
}
for ((i = 1; i <= n; i++)); do
	for sel in "-L $labels" "-R $tests"; do
		# shellcheck disable=SC2086 # $sel is two words on purpose
		(cd "$build" && ctest $sel --output-on-failure -j 1 >"$out/round.log" 2>&1) || true
		while read -r name result; do
			runs[$name]=$((${runs[$name]:-0} + 1))
			if [[ $result == Passed ]]; then
				pass[$name]=$((${pass[$name]:-0} + 1))
			else
				cp "$out/round.log" "$out/$name.$i.log"
			fi
		done < <(sed -nE 's/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: ([A-Za-z0-9_]+) \.+[* ]*([A-Za-z]+).*/\1 \2/p' \
			"$out/round.log")
	done
	echo "stress: round $i of $n done"
	{
		echo "stress: $i of $n rounds so far ($(date -u +%FT%TZ))"
		tally
	} >"$out/tally.txt"
done
echo "stress: $n rounds beside stress-ng --cpu $(nproc) --cpu-load ${STRESS_CPU_LOAD:-50} --vm 1 --vm-bytes 10%"
tally
bad=0
for name in "${!runs[@]}"; do
	((${pass[$name]:-0} == ${runs[$name]})) || bad=$((bad + 1))
done
((bad == 0)) || { echo "stress: $bad test(s) failed at least once (logs in $out)"; exit 1; }
