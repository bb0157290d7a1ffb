#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The venue password never reaches a log, the journal or a report (issue 18, docs/security.md):
# a run with the journal on, over FIX 4.4 on TLS (the Logon carries Password 554) and over
# OUCH (the SoupBinTCP login carries it), with a password no other text contains; once
# orders fill, every file the run wrote is searched for it, the binary journal included.
. "$(dirname "$0")/e2e_lib.sh"
secret="Zq7Kx9Wp"
export FP_GW_PASSWORD=$secret
FP_E2E_PROTOCOL=${FP_E2E_PROTOCOL:-fix44}
write_sim_config
sed -i "s|ouch = { port = $oe_port; };|ouch = { port = $oe_port; users = ({ username = \"fpuser\"; password = \"$secret\"; firm = \"FPST\"; }); };|" "$work/sim.conf"
grep -q "$secret" "$work/sim.conf" || fail "the simulator's account was not set"
write_run_config '{ name = "fused"; stages = ["md", "book", "strategies", "risk", "gateway"]; },
		  { name = "store"; stages = ["store"]; }'
echo "store = { dir = \"$work/journal\"; fsync = \"interval\"; fsync_interval_ms = 10; };" \
	>>"$work/run.conf"
start_run 60
wait_until "fill" summary_has ' fills [1-9]'
stop_run
ls "$work"/journal/*.fpj >/dev/null 2>&1 || fail "no journal written"
# Every file of the run except the simulator's own configuration (the venue side).
hits=$(grep -rla --exclude=sim.conf -- "$secret" "$work" || true)
[[ -z $hits ]] || fail "the password is in: $hits"
echo "password searched in $(find "$work" -type f | wc -l) files (logs, summary, report, journal): absent"
echo "1 passed, 0 failed"
