#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Run every libFuzzer target of DIR (build-fuzz/fuzz/fuzz_*), FUZZ_JOBS at a time (default
# 2), each with the libFuzzer limit given (-max_total_time=S for `make fuzz`, -runs=N for
# `make fuzz-long`). Each target's corpus (DIR/corpus/NAME) starts as the minimised merge
# (-merge=1) of its seed folder (DIR/seed/<name without fuzz_>, copies of ../shared/data made
# at build time) and grows across runs; it lives in the build folder, never in git.
# Prints one line per target: executions, coverage, features, corpus size, seconds.
# Exit status 1 when a target finds a crash (its log and reproducer stay in DIR).
# usage: run.sh DIR LIMIT [more libFuzzer flags]   (environment: FUZZ_JOBS, FUZZ_TARGETS)
set -euo pipefail
dir=$1
shift
jobs=${FUZZ_JOBS:-2}
# Known leaks of third-party libraries (see the file); ours are never suppressed.
export LSAN_OPTIONS=suppressions=$(cd "$(dirname "$0")" && pwd)/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}
# A 16 MiB quarantine (ASan's default: 256): freed memory is reused sooner, so an execution
# allocates warm pages instead of fresh ones (fuzz_config ran 1.7x faster); 16 MiB still
# holds the frees of dozens of executions (the largest allocation of one is the journal's
# 256 KiB batch), so a use after free inside an input is caught as before.
export ASAN_OPTIONS=quarantine_size_mb=16${ASAN_OPTIONS:+:$ASAN_OPTIONS}
# Each target's scratch folder (fuzz_util.h) goes inside this one, removed however we end.
FP_FUZZ_TMP=$(mktemp -d /dev/shm/fp-fuzz-run.XXXXXX)
export FP_FUZZ_TMP
trap 'rm -rf "$FP_FUZZ_TMP"' EXIT
targets=()
for t in "$dir"/fuzz_*; do
	[[ -x $t && -f $t ]] || continue
	# FUZZ_TARGETS: only these (names, space separated), e.g. one target for a short try
	[[ -z ${FUZZ_TARGETS:-} || " $FUZZ_TARGETS " == *" $(basename "$t") "* ]] && targets+=("$t")
done
((${#targets[@]} > 0)) || { echo "fuzz: no target in $dir (build with make fuzz-build)"; exit 1; }

one() {
	local t=$1 n seed corpus log start rc
	shift
	n=$(basename "$t")
	seed=$dir/seed/${n#fuzz_}
	corpus=$dir/corpus/$n
	log=$dir/$n.log
	mkdir -p "$seed" "$corpus"
	if [[ -z $(ls -A "$corpus") ]]; then # first run: the minimised seed corpus
		"$t" -merge=1 -max_len=65536 "$corpus" "$seed" >"$dir/$n.merge.log" 2>&1 ||
			{ tail -20 "$dir/$n.merge.log"; echo "fuzz: $n: seed merge failed"; return 1; }
	fi
	start=$(date +%s)
	rc=0
	"$t" "$@" -max_len=4096 -print_final_stats=1 -artifact_prefix="$dir/$n-" \
		"$corpus" >"$log" 2>&1 || rc=$?
	local secs=$(($(date +%s) - start))
	if ((rc != 0)); then
		tail -40 "$log"
		echo "fuzz: $n FAILED after $secs s (log $log; reproducer $dir/$n-*)"
		return 1
	fi
	local execs cov ft
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
	ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -n 1 | cut -d' ' -f2)
	printf 'fuzz: %-18s %10s execs  cov %5s  ft %6s  corpus %5s files  %5s s\n' "$n" \
		"${execs:-?}" "${cov:-?}" "${ft:-?}" "$(ls "$corpus" | wc -l)" "$secs"
}

fails=0
running=0
for t in "${targets[@]}"; do
	if ((running >= jobs)); then
		wait -n || fails=$((fails + 1))
		running=$((running - 1))
	fi
	one "$t" "$@" &
	running=$((running + 1))
done
while ((running > 0)); do
	wait -n || fails=$((fails + 1))
	running=$((running - 1))
done
((fails == 0)) || { echo "fuzz: $fails target(s) failed"; exit 1; }
echo "fuzz: ${#targets[@]} targets clean"
