#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# kill -9 of a worker: the supervisor restarts it, the restarted md stage recovers the
# session from the simulator's rerequest server, and market data flows again.
. "$(dirname "$0")/e2e_lib.sh"
write_sim_config
write_run_config '{ name = "feed"; stages = ["md", "book"]; },
		  { name = "trade"; stages = ["strategies", "risk", "gateway"]; }'
start_run 9

sleep 3
feed=$(pgrep -P "$run_pid" | head -n 1)
[[ -n $feed ]] || fail "no worker process"
md_before=$(tail -n 1 "$work/summary.log" | sed -n 's/.*book \([0-9]*\) upd.*/\1/p')
kill -9 "$feed"
sleep 4
md_after=$(tail -n 1 "$work/summary.log" | sed -n 's/.*book \([0-9]*\) upd.*/\1/p')
wait "$run_pid" || fail "fastpath run exited with $?"

grep -q "worker 'feed' died" "$work/run.log" || fail "death not reported"
grep -q "worker 'feed' restarted" "$work/run.log" || fail "worker not restarted"
echo "book updates before the kill: $md_before, 4 s after: $md_after"
((md_after > md_before)) || fail "no book updates after the restart"
echo "1 passed, 0 failed"
