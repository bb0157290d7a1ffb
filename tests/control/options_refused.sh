#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Bad numbers on the command line are refused with exit 2 and a one-line reason naming the
# option (issue 16 item 4): `--duration nan` used to run for no time at all, and a negative
# count given to fastpath-bench wrapped to 2^64 - n (or 2^32 - n) and was taken.
#   options_refused.sh BIN_DIR
set -u
bin=${1:?usage: options_refused.sh BIN_DIR}
failed=0

# expect_refused NEEDLE COMMAND...: exit 2, NEEDLE on stderr.
expect_refused() {
	local needle=$1
	shift
	local err rc
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [[ $rc != 2 || $err != *"$needle"* ]]; then
		echo "FAIL: '$*' exited $rc: $err (wanted 2 and '$needle')"
		failed=1
	fi
}

expect_refused "--duration must be a number > 0, got 'nan'" "$bin/fastpath" run --config x --duration nan
expect_refused "--duration must be a number > 0, got 'inf'" "$bin/fastpath" run --config x --duration inf
expect_refused "--duration must be a number > 0, got 'nan'" "$bin/fastpath-bench" t2t --duration nan
expect_refused "--rate must be a number > 0, got '-5'" "$bin/fastpath-bench" t2t --rate -5
expect_refused "--runs must be an integer in 0..4294967295, got '-1'" "$bin/fastpath-bench" book --runs -1
expect_refused "--seed must be an integer in" "$bin/fastpath-bench" book --seed -3
expect_refused "--iters must be an integer in" "$bin/fastpath-bench" common --iters -10000000
expect_refused "--events must be an integer in" "$bin/fastpath-bench" journal --events -1
expect_refused "--msgs must be an integer in" "$bin/fastpath-bench" md --msgs 12x
expect_refused "--orders must be an integer in" "$bin/fastpath-bench" ouch --orders -20000
expect_refused "--samples must be an integer in" "$bin/fastpath-bench" ring --samples -1
expect_refused "--orders must be an integer in" "$bin/fastpath-bench" risk --orders " 5"
expect_refused "--msgs must be an integer in" "$bin/fastpath-bench" backtest --msgs -5
expect_refused "--runs must be an integer in 0..9, got '-1'" "$bin/fastpath-bench" backtest --runs -1
expect_refused "--core must be an integer in 0.." "$bin/fastpath-floor" --core 1.5
expect_refused "--locate must be an integer in 1..65535, got '99999'" \
	"$bin/fastpath-floor" --locate 99999
expect_refused "--duration must be a number in 0.." "$bin/fastpath-floor" --duration 5x
# fastpath-sim shares the same checks (common/fp_opt.h): "-1" is not 2^64 - 1.
expect_refused "--seed must be an integer in 0..18446744073709551615, got '-1'" \
	"$bin/fastpath-sim" --seed -1
expect_refused "--loss must be a number in 0..1, got '0.5x'" "$bin/fastpath-sim" --loss 0.5x
((failed == 0)) && echo "all refused"
exit $failed
