#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The circuit breaker's whole cycle against the simulator, the way an operator meets it:
# a limit that refuses every order trips the rejects breaker (max_consec_rejects in a row),
# which cancels the open orders and trips the kill switch (breaker_sets_kill); a reset asked
# for while the breaker is still open is refused; once the cause is fixed and the cooldown
# has passed, `fastpath-ctl breaker reset` closes it, `unkill` re-arms, and the next order
# risk approves reaches the venue. `status` says what is true at every step.
. "$(dirname "$0")/e2e_lib.sh"
instance="e2e$$"
write_sim_config
write_run_config '{ name = "fused"; stages = ["md", "book", "strategies", "risk", "gateway"]; }'
# Rejects trip the breaker after 5 in a row here, and its cooldown is 10 minutes until the
# test shortens it (so that a reset asked for at once meets an open breaker, whatever the
# machine's load); the loss breakers are relaxed so that the rejects are what trips it.
sed -e 's/max_consec_losses = [0-9]*/max_consec_losses = 1000000/' \
	-e 's/max_consec_rejects = [0-9]*/max_consec_rejects = 5/' \
	-e 's/breaker_cooldown_ms = [0-9]*/breaker_cooldown_ms = 600000/' \
	-e 's/max_daily_loss = [0-9.]*/max_daily_loss = 100000000.0/' \
	"$src/config/risk.conf" >"$work/risk.conf"
sed -i "s|$src/config/risk.conf|$work/risk.conf|" "$work/run.conf"
start_run 90

# status_is PYTHON-EXPRESSION: over d, the parsed `fastpath-ctl status --json`.
status_is() {
	ctl status --json 2>/dev/null | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)" 2>/dev/null
}

wait_for 30 sent_above 0 || fail "no order reached the venue before the trip"
gross=$(ctl limits show --json | python3 -c "import json,sys; print(json.load(sys.stdin)['global']['max_gross'])") ||
	fail "limits show --json has no global max_gross"
# The cause: a gross limit of one price unit refuses every new order.
ctl limits set global max_gross=1 >/dev/null || fail "limits set global max_gross=1 failed"
wait_for 20 status_is "d['breaker']['state'] != 'closed'" ||
	fail "the breaker did not trip on rejects: $(ctl status --json)"
status_is "d['breaker']['reason'] == 'rejects' and d['killed'] is True" ||
	fail "tripped, but status says: $(ctl status --json)"
wait_for 15 none_open || fail "orders still open after the trip"
echo "tripped: $(ctl status --json | python3 -c "import json,sys; d=json.load(sys.stdin)['breaker']; print(d['state'], d['reason'], d['trips'])")"

# Still open (its cooldown has not passed): the reset is refused, exit 1, and changes nothing.
status_is "d['breaker']['state'] == 'open'" || fail "not open after the trip: $(ctl status --json)"
out=$(ctl breaker reset --reason "too early" 2>&1) && fail "a reset while open was taken: $out"
[[ $out == *"breaker reset refused: it is still open"* ]] || fail "reset while open: $out"
status_is "d['breaker']['state'] == 'open' and d['killed'] is True" ||
	fail "a refused reset changed the state: $(ctl status --json)"
echo "reset while open: refused"

# Fix the cause, shorten the cooldown (the limit is read on every tick), reset, re-arm.
ctl limits set global max_gross="$gross" breaker_cooldown_ms=200 >/dev/null ||
	fail "limits set global max_gross=$gross breaker_cooldown_ms=200 failed"
wait_for 20 status_is "d['breaker']['state'] == 'cooldown'" ||
	fail "the breaker did not reach cooldown: $(ctl status --json)"
out=$(ctl breaker reset --reason "e2e: cause fixed" 2>&1) || fail "breaker reset after the cooldown: $out"
[[ $out == *"cooldown -> closed"* ]] || fail "breaker reset said: $out"
status_is "d['breaker']['state'] == 'closed'" || fail "status after the reset: $(ctl status --json)"
status_is "d['killed'] is True" || fail "the reset re-armed the kill switch by itself"
tripped_sent=$(orders_field orders_sent)
ctl unkill --reason "e2e: breaker reset" >/dev/null || fail "fastpath-ctl unkill failed"
wait_for 20 sent_above "$tripped_sent" ||
	fail "no order reached the venue after reset and unkill (sent $tripped_sent; $(ctl status --json))"
status_is "d['breaker']['state'] == 'closed' and d['killed'] is False" ||
	fail "trading again, but status says: $(ctl status --json)"
echo "orders sent at the trip: $tripped_sent; after reset and unkill: $(orders_field orders_sent)"

kill -TERM "$run_pid"
wait "$run_pid" || fail "fastpath run exited with $?"
kill -TERM "$sim_pid"
wait "$sim_pid" || true
echo "1 passed, 0 failed"
