#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A backtest's journal loads into PostgreSQL (docs/backtest.md, docs/postgres.md): the
# market maker on the RITCH sample (../shared/data/itch50), `fastpath-ctl journal load` of
# DIR/journal into a private PostgreSQL 15 (tests/store_pg/pg_lib.sh), then the view
# positions_eod (the close's position snapshots) and the fills in `executions` both equal
# the report's lines: position and realized P&L per (strategy, symbol).
. "$2/tests/store_pg/pg_lib.sh"
ctl=$bin/bin/fastpath-ctl
data=$3/itch50/ritch_ex20101224.TEST_ITCH_50
[[ -r $data ]] || fail "no $data (../shared/data beside the source tree)"
pg_init

cat >"$work/bt.conf" <<CONF
instance = "btpg";
book = { symbols = 64; orders = 65536; populate = false; };
strategies = { timer_us = 1000; list = (
  { id = 1; name = "mm"; symbol = 2; params = ["size=100", "half_spread=300", "requote=200"]; },
  { id = 2; name = "mm"; symbol = 3; params = ["size=200", "half_spread=100", "requote=100"]; } ); };
risk = { limits = "$src/config/risk.conf"; env = "dev"; symbols = 64; };
backtest = { fee_maker = -20; fee_taker = 30; latency = "entry=20us,resp=20us"; };
CONF
"$bin/bin/fastpath" backtest --config "$work/bt.conf" --data "$data" --out "$work/bt" \
	--no-plots --quiet || fail "backtest exited with $?"
"$ctl" journal load "$work/bt/journal" --db "$PG_URL" >"$work/load.txt" 2>&1 || {
	cat "$work/load.txt"
	fail "journal load exited with $?"
}
cat "$work/load.txt"

# the report's lines: strategy|symbol|position|realized (Price(4) units)
want=$(jq -r '.lines[] | "\(.strategy)|\(.symbol)|\(.position)|\(.realized * 10000 | round)"' \
	"$work/bt/report.json" | sort)
[[ -n $want ]] || fail "the backtest made no report lines (no orders?)"
echo "report:        $(tr '\n' ' ' <<<"$want")"

eod=$(pg_sql "SELECT strategy_id || '|' || symbol_id || '|' || position || '|' || realized
	FROM positions_eod WHERE instance = 'btpg' AND day = '2010-12-24'" | sort)
echo "positions_eod: $(tr '\n' ' ' <<<"$eod")"
[[ $eod == "$want" ]] || fail "positions_eod differs from the report"

# the same positions from the fills alone (lines that traded)
fills=$(pg_sql "SELECT strategy_id || '|' || symbol_id || '|' ||
	sum(CASE side WHEN 'B' THEN shares ELSE -shares END)
	FROM executions WHERE kind = 'fill' GROUP BY strategy_id, symbol_id" | sort)
want_fills=$(jq -r '.lines[] | select(.fills > 0) | "\(.strategy)|\(.symbol)|\(.position)"' \
	"$work/bt/report.json" | sort)
echo "fills:         $(tr '\n' ' ' <<<"$fills")"
[[ -n $fills && $fills == "$want_fills" ]] || fail "executions give other positions: $want_fills"
nfills=$(pg_sql "SELECT count(*) FROM executions WHERE kind = 'fill'")
[[ $nfills == $(jq '[.lines[].fills] | add' "$work/bt/report.json") ]] ||
	fail "$nfills fills in PostgreSQL"
echo "PASS: a backtest journal loads; positions_eod and the fills equal the report"
