# SPDX-License-Identifier: BSD-3-Clause
# qf_lib.sh - what the QuickFIX tests share (sourced by fix_quickfix_tls.sh,
# fix_quickfix_gateway.sh, fix_quickfix_resend.sh and fix_quickfix_cancel_replace.sh; they
# provide $work, the pids array and fail()).

# qf_certs: in the current folder, a test CA (ca.crt, ca.key) and a server certificate it
# signs for localhost and 127.0.0.1 (server.crt, server.key). RSA: QuickFIX's SSL acceptor
# does not take EC keys.
qf_certs() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
		-subj "/CN=fastpath test CA" >/dev/null 2>&1 || fail "openssl: CA"
	openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
		-subj "/CN=localhost" >/dev/null 2>&1 || fail "openssl: server key"
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.ext
	openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
		-out server.crt -days 2 -extfile san.ext >/dev/null 2>&1 ||
		fail "openssl: server certificate"
}

# qf_executor EXECUTOR PORT DICT [ARGS...]: QuickFIX's example executor (or another QuickFIX
# acceptor taking the settings file first: fp-quickfix-book) as a TLS 1.2/1.3 acceptor on
# 127.0.0.1:PORT (session EXEC <- FPST, FIX 4.4 dictionary DICT with validation on, log in
# executor.log), started in the background (added to pids) and waited for until its port
# takes a connection (a state, not a clock). ARGS follow the settings file (default: SSL,
# the example's switch to its TLS acceptor), run in $work.
qf_executor() {
	local exe=$1 port=$2 dict=$3
	shift 3
	(($#)) || set -- SSL
	mkdir -p "$work/store"
	cat >"$work/executor.cfg" <<CFG
[DEFAULT]
ConnectionType=acceptor
SocketAcceptPort=$port
SocketReuseAddress=Y
StartTime=00:00:00
EndTime=00:00:00
FileStorePath=$work/store
UseDataDictionary=Y
DataDictionary=$dict
ValidateUserDefinedFields=Y
ServerCertificateFile=$work/server.crt
ServerCertificateKeyFile=$work/server.key
SSLProtocol=all -SSLv2 -SSLv3 -TLSv1 -TLSv1_1

[SESSION]
BeginString=FIX.4.4
SenderCompID=EXEC
TargetCompID=FPST
CFG
	(cd "$work" && exec "$exe" executor.cfg "$@" >executor.log 2>&1) &
	pids+=($!)
	local end=$((SECONDS + 30))
	until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
		kill -0 "${pids[-1]}" 2>/dev/null ||
			fail "QuickFIX exited: $(tail -1 "$work/executor.log")"
		((SECONDS < end)) || fail "QuickFIX acceptor not listening on port $port after 30 s"
		sleep 0.05
	done
}

# qf_start_pipeline SECONDS: the simulator's market data first (the gateway logs on once md
# holds the session's symbol directory, fp_gw_cfg.wait_directory; risk refuses orders as
# venue_down until the session is up), then `fastpath run` for SECONDS with $work/run.conf;
# both in the background (sim_pid, run_pid, added to pids). Needs $bin from e2e_lib.sh.
qf_start_pipeline() {
	"$bin/fastpath-sim" --config "$work/sim.conf" --rate 20000 --symbols 20 \
		--duration $(($1 + 3)) --json >"$work/sim.json" 2>"$work/sim.log" &
	sim_pid=$!
	pids+=("$sim_pid")
	"$bin/fastpath" run --config "$work/run.conf" --duration "$1" --summary \
		--report "$work/report.json" >"$work/summary.log" 2>"$work/run.log" &
	run_pid=$!
	pids+=("$run_pid")
}

# qf_start QFBIN: QuickFIX's executor (QFBIN/fp-quickfix-executor) as a TLS acceptor on
# qf_port (base + 5) with the FIX 4.4 dictionary of ../shared (dict), its certificates made
# in $work (the current folder from here on).
qf_start() {
	qf_port=$((base + 5))
	dict=$src/../shared/data/fix/FIX44.xml
	[[ -s $dict ]] || fail "no FIX 4.4 dictionary at $dict"
	cd "$work"
	qf_certs # RSA: not make_fix_certs' EC keys
	qf_executor "$1/fp-quickfix-executor" "$qf_port" "$dict"
}
