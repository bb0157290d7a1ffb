#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Test-only TLS material for fastpath-sim's FIX acceptor (config/sim-fix.conf) and the
# gateway that trusts it (config/dev-fix.conf), made at build time with the openssl CLI:
#   DIR/ca.crt        a CA valid 30 days, its key DIR/ca.key
#   DIR/server.crt    the simulator's certificate for localhost and 127.0.0.1, key server.key
# Never committed, never for production: a real venue's CA bundle replaces ca.crt.
#   fix_test_certs.sh DIR
set -euo pipefail
dir=${1:?usage: fix_test_certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
umask 077
o=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
openssl req -x509 "${o[@]}" -keyout ca.key -out ca.crt -days 30 \
	-subj "/CN=fastpath test CA (not for production)" 2>/dev/null
openssl req "${o[@]}" -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >san.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt \
	-days 30 -extfile san.ext 2>/dev/null
chmod 644 ca.crt server.crt
rm -f server.csr san.ext
