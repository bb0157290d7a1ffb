#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Seeds of the FIX fuzz targets, FIX 4.4 sessions as a venue sends them to the gateway
# (SenderCompID FPSIM, TargetCompID FPST; fields and values of ../shared/data/fix/FIX44.xml),
# written at build time by tests/fuzz/seeds.sh (never committed):
#   SEED/gw_fix/*  fuzz_gw_fix scripts: flags byte, read-size byte, then one message body a
#                  line ('|' for SOH; the harness frames it), "+" = the strategy's orders
#                  (ClOrdIDs 1, 2, replace 2 -> 3), "!" = the venue drops the connection;
#                  and raw streams (flags bit 0) of the same messages framed here.
#   SEED/fix/*     fuzz_fix: single framed messages (BodyLength and CheckSum computed here).
# usage: fix_seeds.sh SEED_DIR
set -euo pipefail
export LC_ALL=C
seed=${1:?usage: fix_seeds.sh SEED_DIR}
mkdir -p "$seed/gw_fix" "$seed/fix"
rm -f "$seed/gw_fix"/* "$seed/fix"/*

ts=20260105-14:30:00.000
h() { printf '49=FPSIM|56=FPST|34=%s|52=%s|' "$1" "$ts"; } # header after 35
logon() { printf '35=A|%s98=0|108=30|%s\n' "$(h "$1")" "${2:-}"; }
hb() { printf '35=0|%s%s\n' "$(h "$1")" "${2:-}"; }
er() { # er SEQ EXECTYPE ORDSTATUS CLORDID SIDE LASTQTY LEAVES [extra]
	printf '35=8|%s37=O%s|17=E%s%s|150=%s|39=%s|11=%s|55=%s|54=%s|38=100|40=2|44=150.0000|32=%s|31=150.0000|151=%s|14=%s|6=150.0000|%s\n' \
		"$(h "$1")" "$4" "$1" "$2" "$2" "$3" "$4" "$([[ $5 == 1 ]] && echo AAPL || echo MSFT)" \
		"$5" "$6" "$7" "$((100 - $7))" "${8:-}"
}
# a script: flags, read size, lines
script() {
	local name=$1 flags=$2 rd=$3
	shift 3
	{ printf "\\x$(printf %02x "$flags")\\x$(printf %02x "$rd")"; printf '%s' "$*"; } \
		>"$seed/gw_fix/$name"
}
# frame BODY ('|' for SOH): BeginString, BodyLength, body, CheckSum
frame() {
	local body
	body=$(printf '%s' "$1" | tr '|' '\001')
	local head
	head=$(printf '8=FIX.4.4\0019=%d\001' "${#body}")
	local sum
	sum=$(printf '%s%s' "$head" "$body" | od -An -tu1 -v | tr -s ' ' '\n' |
		awk 'NF { s += $1 } END { print s % 256 }')
	printf '%s%s10=%03d\001' "$head" "$body" "$sum"
}

fills="$(logon 1)
+
$(er 2 0 0 1 1 0 100)
$(er 3 F 2 1 1 100 0)
$(er 4 0 0 2 2 0 100)
$(er 5 F 1 2 2 40 60 '851=1|')
35=8|$(h 6)37=O2|17=E6|150=5|39=5|11=3|41=2|55=MSFT|54=2|38=150|40=2|44=150.0000|151=110|14=40|6=150.0000|
35=9|$(h 7)37=O1|11=1.5|41=1|39=2|434=1|102=1|58=too late to cancel|
$(er 8 F 2 3 2 110 0)
35=1|$(h 9)112=TEST1|
$(hb 10 '112=TEST1|')
35=5|$(h 11)58=end of day|
"
script logon-orders-fills 0 0 "$fills"
script logon-orders-fills-split 0 7 "$fills"
script reset-logon 2 0 "$(logon 1 '141=Y|')
+
$(er 2 0 0 1 1 0 100)
$(er 3 4 4 1 1 0 0 '41=1|')
$(er 4 8 8 2 2 0 0 '103=3|')
"
# The venue's Logon above what we expect: our ResendRequest; the venue resends with
# PossDupFlag and fills the rest (its Logon's number included) with a gap fill.
script logon-gap-resend 0 0 "$(logon 5)
+
35=8|$(h 1)43=Y|122=$ts|37=O1|17=E1|150=0|39=0|11=1|55=AAPL|54=1|38=100|40=2|44=150.0000|151=100|14=0|6=0|
35=4|$(h 2)43=Y|122=$ts|123=Y|36=6|
$(er 6 F 2 1 1 100 0)
"
# A connection cut in the middle of fills, then a Logon above our number: resend on logon.
script cut-resend 0 0 "$(logon 1)
+
$(er 2 0 0 1 1 0 100)
!
$(logon 6)
35=8|$(h 3)43=Y|122=$ts|37=O1|17=E3|150=F|39=1|11=1|55=AAPL|54=1|38=100|40=2|44=150.0000|32=50|31=150.0000|151=50|14=50|6=150.0000|
35=4|$(h 4)43=Y|122=$ts|123=Y|36=7|
$(er 7 F 2 1 1 50 0)
"
script seq-too-low 0 0 "$(logon 1)
$(hb 2)
$(hb 2)
"
script seq-low-possdup 0 0 "$(logon 1)
$(hb 2)
35=0|$(h 2)43=Y|122=$ts|
$(hb 3)
"
script seq-too-high 0 0 "$(logon 1)
$(hb 4)
35=4|$(h 2)123=Y|36=4|
$(hb 4)
"
script seq-reset 0 0 "$(logon 1)
35=4|$(h 2)36=20|
$(hb 20)
35=4|$(h 21)36=5|
"
script venue-resend-request 0 0 "$(logon 1)
+
35=2|$(h 2)7=1|16=0|
35=2|$(h 3)7=2|16=3|
"
script rejects 0 0 "$(logon 1)
+
35=3|$(h 2)45=2|373=1|371=55|58=unknown symbol|
35=j|$(h 3)45=4|380=3|372=G|58=unsupported|
35=j|$(h 4)45=3|380=3|372=F|
"
script logout-first 0 0 "35=5|$(h 1)58=not now|
"
script wrong-compid 0 0 "$(logon 1)
35=0|49=OTHER|56=FPST|34=2|52=$ts|
"
# raw streams: the same messages framed, as bytes on the wire
raw() {
	local name=$1 rd=$2
	shift 2
	{
		printf "\\x01\\x$(printf %02x "$rd")"
		for b in "$@"; do frame "$b"; done
	} >"$seed/gw_fix/$name"
}
mapfile -t lines < <(printf '%s' "$fills" | grep -v '^+$')
raw raw-logon-fills 0 "${lines[@]}"
raw raw-logon-fills-split 13 "${lines[@]}"
for i in "${!lines[@]}"; do frame "${lines[$i]}" >"$seed/fix/msg$i"; done
exit 0
