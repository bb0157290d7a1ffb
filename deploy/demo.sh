#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# `make demo`: the main job. Starts the exchange simulator (ITCH 5.0 over MoldUDP64 on
# loopback multicast, OUCH 5.0 over SoupBinTCP on 127.0.0.1:15000) and the fastpath
# pipeline (config/dev.conf: md -> book -> market maker -> risk -> gateway, fused on one
# core), prints a live summary each second for DURATION seconds (or until Ctrl-C), then a
# report: build/demo/report.json and a tick-to-trade plot build/demo/t2t.png.
set -euo pipefail
build=${1:-build}
duration=${DURATION:-30}
rate=${RATE:-20000}
out=$build/demo
mkdir -p "$out"
for b in fastpath fastpath-sim; do
	[[ -x $build/bin/$b ]] || { echo "demo: $build/bin/$b is missing: run 'make build'" >&2; exit 1; }
done

# Hugepages for the segment (design.md §3): reserve some when we may and none are free.
if [[ $(id -u) -eq 0 && -w /proc/sys/vm/nr_hugepages ]]; then
	free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
	if ((free < 64)); then
		echo $(($(cat /proc/sys/vm/nr_hugepages) + 128)) >/proc/sys/vm/nr_hugepages 2>/dev/null || true
	fi
fi

# The simulator (the venue) starts empty each time: so does the journal of its orders.
rm -rf "$build/journal"

# Paper-trading credentials of the simulator's default account (config/sim.conf). The
# gateway reads them from the environment only.
export FP_GW_USER=fpuser FP_GW_PASSWORD=fppass

sim_pid=
run_pid=
cleanup() {
	[[ -n $sim_pid ]] && kill -INT "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null || true
	[[ -n $run_pid ]] && kill -TERM "$run_pid" 2>/dev/null && wait "$run_pid" 2>/dev/null || true
}
trap cleanup EXIT
trap 'echo; echo "demo: stopping"' INT

# The pipeline first, so that it sees the trading session from its first message (stock
# directory included); then the simulator on core 0 (the worker is on core 1).
echo "demo: pipeline (config/dev.conf) for ${duration}s, simulator at $rate msg/s; Ctrl-C stops"
"$build/bin/fastpath" run --config config/dev.conf --duration "$duration" --summary \
	--report "$out/report.json" &
run_pid=$!
for _ in $(seq 50); do
	[[ -e /dev/shm/fastpath-dev ]] || compgen -G "/dev/hugepages*/fastpath-dev" >/dev/null && break
	sleep 0.1
done
sleep 0.5
taskset -c 0 "$build/bin/fastpath-sim" --config config/sim.conf --rate "$rate" \
	--duration $((duration + 2)) --json >"$out/sim.json" 2>"$out/sim.log" &
sim_pid=$!

rc=0
wait "$run_pid" || rc=$?
run_pid=
cleanup
sim_pid=

if [[ ! -s $out/report.json ]]; then
	echo "demo: the pipeline wrote no report (exit $rc); see messages above" >&2
	exit 1
fi

# Tick-to-trade quantiles as "quantile ns" lines, then the plot.
grep -o '\[[01]\.[0-9]*, [0-9]*\]' "$out/report.json" | tr -d '[],' >"$out/t2t.dat"
if command -v gnuplot >/dev/null; then
	gnuplot <<-PLOT
		set terminal pngcairo size 900,500 noenhanced
		set output "$out/t2t.png"
		set title "fastpath tick-to-trade (t_rx to order bytes handed to send), ${duration}s demo"
		set xlabel "percentile"
		set ylabel "microseconds"
		set logscale y
		set grid
		set xtics ("p10" 0, "p50" 1, "p75" 2, "p90" 3, "p99" 4, "p99.9" 5, "p99.99" 6, "max" 7)
		plot "$out/t2t.dat" using 0:(\$2/1000.0) with linespoints lw 2 pt 7 title "tick-to-trade"
	PLOT
fi

echo
echo "demo report ($out/report.json):"
sed -e 's/, "/\n  "/g' -e 's/^{/  /' -e 's/}$//' "$out/report.json" | grep -v quantiles
[[ -f $out/t2t.png ]] && echo "  plot: $out/t2t.png"
echo "  simulator: $(tail -n 1 "$out/sim.json")"

# Issue 15: tick-to-trade p99 under 100 us with the fused worker spinning alone on core 1,
# or why not, from what shared that core with it (a figure taken on a shared core measures
# the scheduler, not the pipeline).
p99=$(grep -o '"p99_ns": [0-9]*' "$out/report.json" | head -n 1 | grep -o '[0-9]*$' || echo 0)
if ((p99 > 0 && p99 <= 100000)); then
	echo "demo: t2t p99 $((p99 / 1000)) us: under the 100 us goal (fused worker spinning on core 1)"
elif ((p99 > 100000)); then
	echo "demo: t2t p99 $((p99 / 1000)) us: above the 100 us goal. Why, measured now:"
	echo "  load average $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
	echo "  busiest other programs last seen on core 1 (%cpu over their life):"
	ps -eo psr=,pcpu=,pid=,comm= --sort=-pcpu | awk '$1 == 1 && $4 !~ /^fastpath/ && $4 != "ps"' | head -n 5 |
		sed 's/^/    /'
	echo "  the worker is preempted while they run there: on an isolated core (isolcpus,"
	echo "  deploy/tune.sh) nothing else runs beside it."
fi
exit "$rc"
