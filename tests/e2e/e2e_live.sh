#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Live versus history (issue 16): a pipeline that joins a running session, and whose md
# worker is then killed -9 and restarted, rebuilds its books from history silently and
# trades only on live data.
#   e2e_live.sh BIN SRC rerequest   the session is 5 s old: md recovers it from sequence 1
#                                   through the rerequest server (it holds the whole day)
#   e2e_live.sh BIN SRC snapshot    the session is 60 s old (--fast-forward) and the
#                                   rerequest history (1024 messages) long exhausted: md
#                                   loads a GLIMPSE-style snapshot, then the live feed
# What must hold, each time md recovers: the ping strategies send no order while md is not
# live (risk would refuse it as symbol_stale: none is refused so), they trade again once it
# is; md says which path it took; at the end every symbol's book (5 levels a side, price,
# shares, orders) equals the simulator's own.
. "$(dirname "$0")/e2e_lib.sh"
mode=${3:?usage: e2e_live.sh BIN SRC rerequest|snapshot}
instance="live$$"
snap_port=$((base + 3))

if [[ $mode == snapshot ]]; then
	ff=60
	cat >"$work/sim.conf" <<-CONF
		itch = { port = $md_port; rerequest_port = $rereq_port; history = 1024;
		         snapshot_port = $snap_port; };
		ouch = { port = $oe_port; };
	CONF
	snap="snapshot = \"127.0.0.1:$snap_port\";"
else
	ff=5
	write_sim_config
	snap=""
fi
md_group="md = { backend = \"udp\"; groups = [\"239.192.0.1:$md_port\"]; interface = \"127.0.0.1\";
  rerequest = \"127.0.0.1:$rereq_port\"; $snap stale_timeout_ms = 2000; };"
strategies_group='strategies = { list = (
  { id = 1; name = "ping"; symbol = 1; params = ["size=100", "every=5"]; },
  { id = 2; name = "ping"; symbol = 2; params = ["size=100", "every=5"]; }
); };'
write_run_config '{ name = "feed"; stages = ["md"]; },
		  { name = "trade"; stages = ["book", "strategies", "risk", "gateway"]; },
		  { name = "store"; stages = ["store"]; }'
echo "store = { dir = \"$work/journal\"; fsync = \"interval\"; fsync_interval_ms = 10; };" \
	>>"$work/run.conf"
sed -i "s/^instance = .*/instance = \"$instance\";/" "$work/run.conf"
# ping's IOC orders rest nowhere and rarely fill: only the rejects-in-a-row breaker matters.
sed -e 's/max_consec_rejects = [0-9]*/max_consec_rejects = 1000000/' \
	"$src/config/risk.conf" >"$work/risk.conf"
sed -i "s|$src/config/risk.conf|$work/risk.conf|" "$work/run.conf"

# The system python (a version manager's shim can take seconds to start on a busy machine).
py=$(command -v /usr/bin/python3 || command -v python3)
# stat PATH...: figures of one `fastpath-ctl stats --json` (dotted paths), "" when absent.
stat() {
	timeout 10 "$bin/fastpath-ctl" --instance "$instance" stats --json 2>>"$work/ctl.err" |
		"$py" -c '
import json, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    d = {}
out = []
for p in sys.argv[1:]:
    v = d
    for k in p.split("."):
        v = v.get(k, {}) if isinstance(v, dict) else {}
    out.append(str(v) if not isinstance(v, dict) else "")
print(" ".join(out))' "$@" 2>>"$work/ctl.err" || true
}
# wait_state WHAT CONDITION: poll (bounded) until the shell condition holds.
wait_state() {
	local what=$1 cond=$2
	for _ in $(seq 600); do
		eval "$cond" && return 0
		[[ -z ${run_pid:-} ]] || kill -0 "$run_pid" 2>/dev/null || fail "fastpath run exited"
		sleep 0.2
	done
	fail "timed out waiting for $what"
}
worker_pid() {
	timeout 10 "$bin/fastpath-ctl" --instance "$instance" status --json | "$py" -c 'import json,sys; print(next(w["pid"] for w in json.load(sys.stdin)["workers"] if w["name"] == sys.argv[1]))' "$1"
}
lives() { grep -c "books live at sequence" "$work/run.log" || true; }
# orders: orders the gateway sent so far (the live summary's last line)
orders() { tail -n 1 "$work/summary.log" | sed -n 's/.*orders \([0-9]*\).*/\1/p' | grep . || echo 0; }

# The simulator first: the session is $ff s old when the pipeline starts.
# (--duration only bounds a hung run: the market stops on our SIGUSR1 below.)
"$bin/fastpath-sim" --config "$work/sim.conf" --rate 5000 --symbols 20 --fast-forward $ff \
	--duration $((ff + 90)) --progress \
	--book-out "$work/sim_book.txt" --json \
	>"$work/sim.json" 2>"$work/sim.log" &
sim_pid=$!
pids+=("$sim_pid")
sim_t() { sed -n 's/.*t=\([0-9]*\)s.*/\1/p' "$work/sim.log" 2>/dev/null | tail -n 1 | grep . || echo 0; }
wait_state "the simulator $ff s into its session" '[[ $(sim_t) -ge $ff ]]'

# (--duration only bounds a hung run: the test ends it with SIGINT once the books are
# compared. It was 60 s, a clock that a loaded machine passed in the middle of the
# comparison: the run stopped and its books no longer followed the feed; make stress.)
"$bin/fastpath" run --config "$work/run.conf" --duration 600 --summary \
	--report "$work/report.json" >"$work/summary.log" 2>"$work/run.log" &
run_pid=$!
pids+=("$run_pid")

for round in 1 2; do
	wait_state "md live (round $round)" '[[ $(lives) -ge $round && $(stat md.state) == live ]]'
	read -r path us joins snaps reqs rec <<<"$(stat md.last_path md.last_recovery_us \
		md.late_joins md.snapshots md.requests_sent md.recovered)"
	echo "round $round: md live after $us us by $path (late joins $joins, snapshots $snaps," \
		"requests $reqs, recovered $rec)"
	[[ $path == "$mode" ]] || fail "md recovered by $path, not by $mode"
	n0=$(orders)
	wait_state "orders on live data (round $round)" '[[ $(orders) -gt $n0 ]]'
	read -r states hist <<<"$(stat strategies.book_states strategies.history_dropped)"
	echo "round $round: orders $(orders); strategies told of $states stale books," \
		"$hist events from history not handed on"
	if ((round == 1)); then
		pid=""
		wait_state "the feed worker's pid" 'pid=$(worker_pid feed 2>>"$work/ctl.err") && [[ -n $pid ]]'
		kill -9 "$pid"
		echo "killed the md worker (pid $pid)"
		wait_state "the md worker restarted" "grep -q \"worker 'feed' restarted\" '$work/run.log'"
	fi
done
grep "md\[" "$work/run.log" | sed 's/^/  /' | tail -n 8

# Both recoveries seen: trading stops, then the market (SIGUSR1, --market-stop at once; it
# stopped at a fixed time before, 25 s in, a clock the rounds had to beat) and the simulator
# writes its books: every symbol's book equals the simulator's once the last packets are in.
# Trading first: an IOC of ours that fills after the simulator wrote its books moves them.
# ping traded on while the books were compared, and under load (make test beside make
# stress) IOCs filled in that time: AAPL's and MSFT's books differed by the orders they
# took. The kill switch, then every order answered (none open at the gateway), then the stop.
ctl kill --reason "e2e: books compared" >/dev/null || fail "fastpath-ctl kill failed"
wait_for 30 none_open || fail "orders still open after the kill: $(ctl orders --json)"
kill -USR1 "$sim_pid"
wait_state "the simulator's market to stop" '[[ -s $work/sim_book.txt ]]'
syms=$(cut -d' ' -f1 "$work/sim_book.txt")
# our_books: the same lines as the simulator's, from `fastpath-ctl book` (one python run).
our_books() {
	"$py" - "$bin/fastpath-ctl" "$instance" $syms <<-'PY'
		import json, subprocess, sys
		from decimal import Decimal
		ctl, inst = sys.argv[1], sys.argv[2]
		for s in sys.argv[3:]:
		    out = subprocess.run([ctl, "--instance", inst, "book", s, "--depth", "5", "--json"],
		                         capture_output=True, text=True, timeout=30)
		    if out.returncode != 0:  # said, not a half-written table
		        print(s, "error", out.stderr.strip())
		        continue
		    b = json.loads(out.stdout, parse_float=Decimal)
		    side = lambda k: ",".join("%d:%d:%d" % (int(l["price"] * 10000), l["shares"],
		                                             l["orders"]) for l in b.get(k, [])) or "-"
		    print(s, "bids", side("bids"), "asks", side("asks"))
	PY
}
# The last packets may be on their way: until the books are equal (a state), 30 s at most.
books_equal() {
	our_books >"$work/our_book.txt" 2>>"$work/ctl.err" || true
	cmp -s "$work/our_book.txt" "$work/sim_book.txt"
}
end=$((SECONDS + 30))
until books_equal; do
	((SECONDS < end)) || break
	kill -0 "$run_pid" 2>/dev/null || fail "fastpath run exited before its books were compared"
	sleep 0.2
done
if ! cmp -s "$work/our_book.txt" "$work/sim_book.txt"; then
	# (diff says 1 when they differ: under set -e that ended the script before fail()
	# could show the logs)
	diff "$work/sim_book.txt" "$work/our_book.txt" | head -20 >&2 || true
	fail "books differ from the simulator's"
fi
echo "books of $(wc -l <"$work/sim_book.txt") symbols equal the simulator's"

# Every risk decision is in the journal: none refused an order as symbol_stale, i.e. no
# strategy acted on data that was not live (risk would have refused it so).
kill -INT "$run_pid"
wait "$run_pid" || fail "fastpath run exited with $?"
dump=$(for f in "$work"/journal/*.fpj; do ctl journal dump "$f"; done)
n_orders=$(grep -c 'type=order_new' <<<"$dump" || true)
n_stale=$(grep -c 'symbol_stale' <<<"$dump" || true)
echo "journal: $n_orders new orders, $n_stale refused as symbol_stale"
((n_orders > 0)) || fail "no order in the journal"
((n_stale == 0)) || fail "strategies sent $n_stale orders on data that was not live"

echo "1 passed, 0 failed"
