#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A FIX 4.4 order over TLS 1.3 to QuickFIX (issue 14), with certificates this test makes
# with the openssl CLI: QuickFIX's example executor (built from libquickfix-doc's sources)
# is the TLS acceptor on loopback with its FIX 4.4 dictionary validation on; fp-fix-probe
# (fastpath's FIX codec on OpenSSL) logs on, sends a NewOrderSingle at 150.2525 and gets
# its fill back at exactly that price; QuickFIX's log shows no session-level reject. Then
# what must be refused, each with a one-line reason: a certificate of another CA, a
# certificate that does not name the host, a server that speaks only TLS 1.1.
#   fix_quickfix_tls.sh BIN SRC
set -euo pipefail
bin=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
work=$(mktemp -d /tmp/fp-fix.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	[[ ${KEEP:-0} == 1 ]] || rm -rf "$work"
	[[ -z ${port:-} ]] || fp_test_ports_release "$port" $$
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	tail -20 "$work/executor.log" >&2 || true
	exit 1
}
. "$src/tests/common/fp_test_ports.sh" # ports of our own: the tests' one allocator
port=$(fp_test_ports_claim $$) || fail "no free block of test ports"
dict=$src/../shared/data/fix/FIX44.xml
[[ -s $dict ]] || fail "no FIX 4.4 dictionary at $dict"

# A CA, a server certificate it signs for localhost/127.0.0.1, and a rogue CA.
. "$(dirname "$0")/qf_lib.sh"
cd "$work"
ossl() { openssl "$@" >/dev/null 2>&1 || fail "openssl $1 failed"; }
qf_certs
ossl req -x509 -newkey rsa:2048 -nodes -keyout rogue.key -out rogue.crt -days 2 -subj "/CN=rogue CA"
qf_executor "$bin/fp-quickfix-executor" "$port" "$dict"

"$bin/fp-fix-probe" "$port" ca.crt localhost FPST EXEC 1.3 >probe.log 2>&1 ||
	{ cat probe.log >&2; fail "no fill over TLS 1.3 (exit $?)"; }
cat probe.log
grep -q '^tls: TLSv1.3 ' probe.log || fail "not TLS 1.3"
grep -q '^fill: FP0000000001 100 @ 1502525' probe.log || fail "no fill at 150.2525"
grep -q '35=D' executor.log || fail "QuickFIX logged no NewOrderSingle"
! grep -E $'(\x01|^)35=3\x01' executor.log || fail "QuickFIX sent a session-level Reject"
! grep -qi 'reject' executor.log || fail "QuickFIX logged a reject"

# Refused, each with its reason.
refused() { # WANT_REASON ARGS...
	local want=$1; shift
	if "$bin/fp-fix-probe" "$@" >refused.log 2>&1; then fail "accepted: $*"; fi
	grep -q "^tls: refused: .*$want" refused.log || { cat refused.log >&2; fail "no '$want'"; }
	echo "refused as it must be: $(grep '^tls: refused' refused.log)"
}
refused "certificate" "$port" rogue.crt localhost FPST EXEC 1.2
refused "hostname mismatch" "$port" ca.crt venue.example.com FPST EXEC 1.2
# A server that speaks TLS 1.1 only (openssl s_server, legacy security level).
old=$((port + 1))
openssl s_server -accept "$old" -cert server.crt -key server.key -tls1_1 \
	-cipher 'DEFAULT:@SECLEVEL=0' -quiet >s_server.log 2>&1 &
pids+=($!)
for _ in $(seq 100); do
	(exec 3<>/dev/tcp/127.0.0.1/$old) 2>/dev/null && break
	sleep 0.05
done
refused "protocol" "$old" ca.crt localhost FPST EXEC 1.2
echo "1 passed, 0 failed"
