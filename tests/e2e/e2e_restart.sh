#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# kill -9 of a worker: the supervisor restarts it, the restarted md stage recovers the
# session from the simulator's rerequest server, and market data flows again.
# States, not clocks (issue 18): the kill once book updates flow, the verdict once the
# restarted worker's updates are counted (it slept 3 s, then 4 s, in a 9 s run before).
. "$(dirname "$0")/e2e_lib.sh"
write_sim_config
write_run_config '{ name = "feed"; stages = ["md", "book"]; },
		  { name = "trade"; stages = ["strategies", "risk", "gateway"]; }'
start_run 60 # an upper bound: stop_run ends it once everything is seen

# book_updates: the book updates counted in the live summary's last line.
book_updates() { tail -n 1 "$work/summary.log" | sed -n 's/.*book \([0-9]*\) upd.*/\1/p'; }
updates_above() { local u; u=$(book_updates); ((${u:-0} > $1)); }
wait_until "book updates" updates_above 0
feed=$(worker_pid feed) || fail "no pid for the feed worker"
md_before=$(book_updates)
kill -9 "$feed"
wait_until "restart of the feed worker" grep -q "worker 'feed' restarted" "$work/run.log"
# Counted from a summary line printed after the restart: the restarted worker's own updates.
wait_until "new summary line" summary_lines_over "$(wc -l <"$work/summary.log")"
md_restarted=$(book_updates)
wait_until "book updates after the restart" updates_above "${md_restarted:-0}"
md_after=$(book_updates)
stop_run

grep -q "worker 'feed' died" "$work/run.log" || fail "death not reported"
grep -q "worker 'feed' restarted" "$work/run.log" || fail "worker not restarted"
echo "book updates before the kill: $md_before, at the restart: $md_restarted, then: $md_after"
((md_after > md_before)) || fail "no book updates after the restart"
echo "1 passed, 0 failed"
