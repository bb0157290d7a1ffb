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
	rm -f "/dev/shm/fastpath-e2e$$" # a supervisor killed above leaves its segment behind
	[[ ${KEEP:-0} == 1 ]] || rm -rf "$work"
	[[ -z ${base:-} ]] || fp_test_ports_release "$base" $$
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	# while the instance runs: its breaker, kill switch and md state (why it did not trade)
	[[ -e /dev/shm/fastpath-e2e$$ ]] && echo "--- instance: $(why_not_trading)" >&2
	# fail_logs: the logs a test wants shown (default: the run's and the simulator's)
	local f
	for f in "${fail_logs[@]:-$work/run.log $work/sim.log}"; do
		for f in $f; do
			echo "--- ${f#"$work"/}" >&2
			tail -20 "$f" >&2 || true
		done
	done
	exit 1
}
# Ports of our own: a block of 10 (base..base+9) from the allocator every test shares
# (tests/common/fp_test_ports.sh, the C tests' fp_test_ports.h), so that concurrent runs
# never share one (pid % N blocks did: two runs on one multicast port hear each other's feed).
. "$src/tests/common/fp_test_ports.sh"
base=$(fp_test_ports_claim $$) || { echo "FAIL: no free block of test ports" >&2; exit 1; }
md_port=$base; rereq_port=$((base + 1)); oe_port=$((base + 2))
export FP_GW_USER=fpuser FP_GW_PASSWORD=fppass
# FP_E2E_PROTOCOL=fix44: the gateway speaks FIX 4.4 over TLS to the simulator's FIX acceptor
# (same engine, same account), with certificates made here by the openssl CLI; else OUCH.
fix_port=$((base + 4))
make_fix_certs() {
	local o=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
	openssl req -x509 "${o[@]}" -keyout "$work/ca.key" -out "$work/ca.crt" -days 2 \
		-subj "/CN=fastpath e2e CA" 2>/dev/null || fail "openssl: test CA"
	openssl req "${o[@]}" -keyout "$work/server.key" -out "$work/server.csr" \
		-subj "/CN=localhost" 2>/dev/null || fail "openssl: server key"
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$work/san.ext"
	openssl x509 -req -in "$work/server.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" \
		-CAcreateserial -out "$work/server.crt" -days 2 -extfile "$work/san.ext" \
		2>/dev/null || fail "openssl: server certificate"
}

# json FILE KEY: the first number after "KEY": in FILE
json() { sed -n "s/.*\"$2\": \(-\{0,1\}[0-9.]*\).*/\1/p" "$1" | head -n 1; }

write_sim_config() {
	cat >"$work/sim.conf" <<-CONF
		itch = { port = $md_port; rerequest_port = $rereq_port; };
		ouch = { port = $oe_port; };
	CONF
	if [[ ${FP_E2E_PROTOCOL:-ouch50} == fix44 ]]; then
		make_fix_certs
		echo "fix = { port = $fix_port; tls_cert_file = \"$work/server.crt\"; tls_key_file = \"$work/server.key\"; };" >>"$work/sim.conf"
	fi
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
	[[ ${FP_E2E_PROTOCOL:-ouch50} == fix44 ]] &&
		sed -i "s|gateway = { venue = \"127.0.0.1:$oe_port\"; };|gateway = { venue = \"127.0.0.1:$fix_port\"; protocol = \"fix44\"; sender_comp_id = \"FPUSER\"; target_comp_id = \"FPSIM\"; tls_ca_file = \"$work/ca.crt\"; };|" "$work/run.conf"
	return 0
}

# wait_until WHAT CMD...: poll CMD every 0.1 s until it succeeds. A test waits for a state,
# never for a clock (issue 18); E2E_WAIT_S (default 90) only bounds a run that hangs.
wait_until() {
	local what=$1 end=$((SECONDS + ${E2E_WAIT_S:-90}))
	shift
	until "$@"; do
		((SECONDS < end)) || fail "no $what after ${E2E_WAIT_S:-90} s"
		sleep 0.1
	done
}
# report_figures: md, upd, orders, fills, pos from our report ($work/report.json) and
# sim_fills, sim_pos from the venue's ($work/sim.json), for a test to compare.
report_figures() {
	local r=$work/report.json
	[[ -s $r ]] || fail "no report"
	md=$(json "$r" md_messages); upd=$(json "$r" book_updates); orders=$(json "$r" orders)
	fills=$(json "$r" fills); pos=$(json "$r" position)
	sim_fills=$(json "$work/sim.json" fills); sim_pos=$(json "$work/sim.json" position)
}
# ctl ARGS...: fastpath-ctl on this test's instance.
ctl() { "$bin/fastpath-ctl" --instance "$instance" "$@"; }
# orders_field KEY: a number from `fastpath-ctl orders --json` ("" while there is none).
orders_field() { ctl orders --json 2>/dev/null | sed -n "s/.*\"$1\": *\([0-9]*\).*/\1/p" | head -n 1; }
sent_above() { local s; s=$(orders_field orders_sent); [[ -n $s ]] && ((s > $1)); }
none_open() { [[ $(orders_field open) == 0 ]]; }
# wait_for SECONDS CMD...: true once CMD succeeds, polled every 0.1 s; false after SECONDS
# (the caller says what did not happen).
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do ((SECONDS < end)) || return 1; sleep 0.1; done
}
# worker_pid NAME: the pid of worker NAME of our instance, from `fastpath-ctl status --json`
# (sed, not python: python3 takes seconds to start on a loaded machine, and a test that
# kills a worker mid-run must not lose them).
worker_pid() {
	local p
	p=$("$bin/fastpath-ctl" --instance "e2e$$" status --json |
		grep -o "\"name\":\"$1\",\"core\":-\{0,1\}[0-9]*,\"pid\":[0-9]*" | sed 's/.*"pid"://')
	[[ -n $p ]] && echo "$p"
}
# why_not_trading: the breaker (its last trip: reason, symbol, figure), kill switch and
# trading state from `fastpath-ctl status`, and md's state, for a failure message.
why_not_trading() {
	timeout 10 "$bin/fastpath-ctl" --instance "e2e$$" status --json 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
b = s.get("breaker", {})
t = b.get("last_trip") or {}
c = s.get("last_change") or {}
print("breaker %s (last trip %s, symbol %s, value %s; %s trips), killed %s, trading %s,"
      " last control change: %s %s" % (b.get("state"), b.get("reason"), t.get("symbol"),
      t.get("value"), b.get("trips"), s.get("killed"), s.get("trading_state"),
      c.get("who", ""), c.get("reason", "")))' 2>/dev/null || echo "(no status)"
	timeout 10 "$bin/fastpath-ctl" --instance "e2e$$" stats --json 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
m = s.get("md", {})
print("md %s (gaps %s, lost %s, recoveries %s)" % (m.get("state"), m.get("gaps"),
      m.get("lost"), m.get("recoveries")))' 2>/dev/null || true
}
# summary_has REGEX: the live summary's last line matches (e.g. 'orders [1-9]').
summary_has() { tail -n 1 "$work/summary.log" 2>/dev/null | grep -qE "$1"; }
# summary_field NAME: the number after NAME in the summary's last line ("orders 12").
summary_field() { tail -n 1 "$work/summary.log" | sed -n "s/.* $1 \([-+0-9]*\) .*/\1/p"; }
# summary_settled NAME: two summary lines printed after this call show the same NAME.
summary_lines_over() { (($(wc -l <"$work/summary.log") > $1)); }
summary_settled() {
	local a b
	wait_until "new summary line" summary_lines_over "$(wc -l <"$work/summary.log")"
	a=$(summary_field "$1")
	wait_until "new summary line" summary_lines_over "$(wc -l <"$work/summary.log")"
	b=$(summary_field "$1")
	[[ $a == "$b" ]]
}

# start_run DURATION: the supervisor with a live summary, then (once it runs) the simulator.
start_run() {
	"$bin/fastpath" run --config "$work/run.conf" --duration "$1" --summary \
		--report "$work/report.json" >"$work/summary.log" 2>"$work/run.log" &
	run_pid=$!
	pids+=("$run_pid")
	wait_until "running instance" grep -qE "instance '.*' running|fastpath: .*(error|failed|refused)" \
		"$work/run.log"
	# $sim_netns: the simulator runs in that network namespace; $sim_opts: more options of
	# it (e2e_dpdk_veth.sh)
	${sim_netns:+ip netns exec "$sim_netns"} "$bin/fastpath-sim" --config "$work/sim.conf" \
		--rate 20000 --symbols 20 --duration $(($1 + 3)) ${sim_opts:-} --json \
		>"$work/sim.json" 2>"$work/sim.log" &
	sim_pid=$!
	pids+=("$sim_pid")
}

# stop_run: SIGTERM to the supervisor (an orderly stop: it must exit 0), then the simulator
# (SIGINT: it writes its --json record and exits).
stop_run() {
	kill -TERM "$run_pid"
	wait "$run_pid" || fail "fastpath run exited with $? on SIGTERM"
	kill -INT "$sim_pid" 2>/dev/null || true
	wait "$sim_pid" || true
}
