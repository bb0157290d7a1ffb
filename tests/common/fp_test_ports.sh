# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# Ports of its own for a shell test (sourced; test code only). The same allocator as the C
# tests' tests/common/fp_test_ports.h (read the protocol there): blocks of 10 ports at
# 10000 + 10 k (k = 0..999, below the kernel's ephemeral ports), claimed under an
# exclusive flock of /tmp/fp-e2e-ports/.lock by a file holding the owner's pid. A block
# whose owner died (kill -9, a ctest timeout) is taken over; one with one of its first 4
# ports bound by someone else is skipped.
fp_test_ports_dir=/tmp/fp-e2e-ports

# fp_test_ports_claim PID: claim a block for PID (alive as long as the ports are used),
# print its first port; exit status 1 when none is free.
fp_test_ports_claim() {
	mkdir -p "$fp_test_ports_dir"
	# shellcheck disable=SC2016 # the script is expanded by the bash run under the lock
	flock "$fp_test_ports_dir/.lock" bash -c '
	dir=$1 me=$2
	bound=$(ss -Hltnu 2>/dev/null | awk "{print \$5}" | sed "s/.*://")
	for ((i = 0; i < 1000; i++)); do
		b=$((10000 + ((me + i) % 1000) * 10))
		if [[ -f $dir/$b ]] && kill -0 "$(cat "$dir/$b")" 2>/dev/null; then continue; fi
		for p in $b $((b + 1)) $((b + 2)) $((b + 3)); do
			grep -qx "$p" <<<"$bound" && continue 2
		done
		echo "$me" >"$dir/$b"
		echo "$b"
		exit 0
	done
	exit 1' _ "$fp_test_ports_dir" "$1"
}

# fp_test_ports_release BASE PID: give the block back (if PID still owns it).
fp_test_ports_release() {
	[[ -z ${1:-} || $(cat "$fp_test_ports_dir/$1" 2>/dev/null) != "$2" ]] ||
		rm -f "$fp_test_ports_dir/$1"
}
