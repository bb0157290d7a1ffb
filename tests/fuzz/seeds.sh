#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Seed corpora of the fuzz targets (run by the fp_fuzz_corpus target at build time; nothing
# here is committed): copies of ../shared/data (captures, ITCH files, OUCH captures), the
# sample configurations of config/, a rerequest, and journals written by pg_mkjournal
# (whole, cut inside the last record, cut inside the header; each with the 3 mode bytes of
# fuzz_journal). run.sh minimises each folder into its target's corpus.
# usage: seeds.sh SHARED_DATA SOURCE_DIR SEED_DIR PG_MKJOURNAL
set -u
data=$1 src=$2 seed=$3 mkj=$4
mkdir -p "$seed"/{md_packet,pcap,journal,config,sim_rereq,sim_oe,ouch,gw_venue}
if [[ -d $data ]]; then
	cp "$data"/pcap/itch50/*.pcap "$data"/itch50/* "$seed/md_packet/" 2>/dev/null
	cp "$data"/pcap/*/*.pcap* "$seed/pcap/" 2>/dev/null
	cp "$data"/pcap/ouch50/* "$seed/sim_oe/" 2>/dev/null
	cp "$data"/pcap/ouch50/* "$seed/ouch/" 2>/dev/null
	cp "$data"/pcap/ouch50/* "$seed/gw_venue/" 2>/dev/null
else
	echo "fuzz: no shared data at $data: the capture seed folders stay empty"
fi
cp "$src"/config/*.conf "$seed/config/"
printf 'FPSIM00001\0\0\0\0\0\0\0\1\0\12' >"$seed/sim_rereq/req1"
# FIX 4.4 sessions and messages (fuzz_gw_fix, fuzz_fix): tests/fix/fix_seeds.sh
bash "$src/tests/fix/fix_seeds.sh" "$seed" || exit 1
j=$seed/journal
rm -f "$j"/*
"$mkj" "$j/a.fpj" --instance fuzz --rounds 2 >/dev/null || exit 1
for m in 0 1 2; do
	{ printf "\\00$m"; cat "$j/a.fpj"; } >"$j/m$m"
	{ printf "\\00$m"; head -c -30 "$j/a.fpj"; } >"$j/m$m-torn"
	{ printf "\\00$m"; head -c 40 "$j/a.fpj"; } >"$j/m$m-hdr"
done
rm -f "$j/a.fpj"
exit 0
