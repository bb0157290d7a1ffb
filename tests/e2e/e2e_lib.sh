# SPDX-License-Identifier: BSD-3-Clause
# Helpers of the end-to-end tests: a private work folder, ports of our own, the simulator
# and the supervisor started and always stopped, JSON fields read with sed.
set -euo pipefail
bin=$1
src=$2
work=$(mktemp -d "${FP_E2E_TMP:-/tmp}/fp-e2e.XXXXXX") # FP_E2E_TMP: elsewhere than /tmp
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	sleep 0.5
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	[[ ${KEEP:-0} == 1 ]] || rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	echo "--- run log" >&2; tail -20 "$work/run.log" >&2 || true
	echo "--- sim log" >&2; tail -5 "$work/sim.log" >&2 || true
	exit 1
}
# Ports derived from our pid so that concurrent runs do not meet.
base=$((20000 + ($$ % 400) * 10))
md_port=$base; rereq_port=$((base + 1)); oe_port=$((base + 2))
export FP_GW_USER=fpuser FP_GW_PASSWORD=fppass

# json FILE KEY: the first number after "KEY": in FILE
json() { sed -n "s/.*\"$2\": \(-\{0,1\}[0-9.]*\).*/\1/p" "$1" | head -n 1; }

write_sim_config() {
	cat >"$work/sim.conf" <<-CONF
		itch = { port = $md_port; rerequest_port = $rereq_port; };
		ouch = { port = $oe_port; };
	CONF
}

# write_run_config PLACEMENT_WORKERS; $md_group replaces the md group when set,
# $strategies_group the whole strategies group, or $strategies only its list (two market
# makers by default).
write_run_config() {
	local md=${md_group:-"md = { backend = \"udp\"; groups = [\"239.192.0.1:$md_port\"]; interface = \"127.0.0.1\"; rerequest = \"127.0.0.1:$rereq_port\"; stale_timeout_ms = 2000; };"}
	local strats=${strategies:-'{ id = 1; name = "mm"; symbol = 1;
		    params = ["size=100", "half_spread=100", "max_position=2000", "requote=100"]; },
		  { id = 2; name = "mm"; symbol = 2;
		    params = ["size=100", "half_spread=100", "max_position=2000", "requote=100"]; }'}
	local strategies_txt=${strategies_group:-"strategies = { list = (
		  $strats
		); };"}
	cat >"$work/run.conf" <<-CONF
		instance = "e2e$$";
		segment = { hugepages = "off"; };
		placement = { idle = "backoff"; workers = ( $1 ); };
		$md
		book = { symbols = 1024; orders = 262144; depth = 5; };
		$strategies_txt
		risk = { limits = "$src/config/risk.conf"; env = "dev"; symbols = 1024; };
		gateway = { venue = "127.0.0.1:$oe_port"; };
	CONF
}

# start_run DURATION: the supervisor with a live summary, then the simulator.
start_run() {
	"$bin/fastpath" run --config "$work/run.conf" --duration "$1" --summary \
		--report "$work/report.json" >"$work/summary.log" 2>"$work/run.log" &
	run_pid=$!
	pids+=("$run_pid")
	sleep 0.7
	"$bin/fastpath-sim" --config "$work/sim.conf" --rate 20000 --symbols 20 \
		--duration $(($1 + 3)) --json >"$work/sim.json" 2>"$work/sim.log" &
	sim_pid=$!
	pids+=("$sim_pid")
}
