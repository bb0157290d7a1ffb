#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# install_destdir BUILD SOURCE SHARED_DATA: `cmake --install` into a temporary root
# (DESTDIR, prefix /usr/local), then only from what landed there:
#   - every binary answers --help and --version (the version and commit of this build),
#     links nothing of the build tree;
#   - the strategy ABI headers and fastpath.pc: a strategy .so builds with
#     `cc -shared -fPIC $(pkg-config --cflags fastpath)` and nothing else, and the
#     installed supervisor, started from /, loads it by a path relative to its config
#     (and the risk limits beside that config), runs it, and stops cleanly;
#   - `fastpath-ctl config validate` of the installed dev.conf passes from / and /tmp;
#   - units, migrations, rules, dashboard, docs are there; the units name this prefix;
#   - a second install keeps an operator's edit of a config and puts the sample beside it.
# Nothing outside its temporary folder is written but the segment of its own instance
# (/dev/shm/fastpath-fpinst<pid>), removed at the end.
set -euo pipefail
# config validate checks what run checks, the gateway credentials (environment only) too.
export FP_GW_USER=inst FP_GW_PASSWORD=inst
build=$1
src=$2
shared=$3
want_version=${FP_VERSION_TEXT:?FP_VERSION_TEXT: the version line of this build}
work=$(mktemp -d /tmp/fp-install.XXXXXX)
root=$work/root
prefix=/usr/local
instance=fpinst$$
sup=
cleanup() {
	if [[ -n $sup ]]; then
		kill -TERM "$sup" 2>/dev/null || true
		wait "$sup" 2>/dev/null || true
	fi
	rm -f "/dev/shm/fastpath-$instance"
	[[ ${KEEP:-0} == 1 ]] || rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	[[ -f $work/run.log ]] && { echo "--- fastpath run log" >&2; tail -20 "$work/run.log" >&2; }
	exit 1
}

DESTDIR=$root cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 ||
	{ cat "$work/install.log" >&2; fail "cmake --install failed"; }
bin=$root$prefix/bin
etc=$root/etc/fastpath

# Binaries: --help and --version, nothing from the build tree.
progs=(fastpath fastpath-ctl fastpath-md fastpath-sim fastpath-bench fastpath-floor fp-syscount)
for p in "${progs[@]}"; do
	[[ -x $bin/$p ]] || fail "$bin/$p was not installed"
	grep -q -E 'R(UN)?PATH' <<<"$(readelf -d "$bin/$p")" && fail "$p carries an rpath"
	out=$(cd / && "$bin/$p" --help 2>&1) || fail "$p --help exited $?: $out"
	grep -qi usage <<<"$out" || fail "$p --help prints no usage: $out"
	out=$(cd / && "$bin/$p" --version 2>&1) || fail "$p --version exited $?: $out"
	[[ $out == "$p $want_version" ]] || fail "$p --version: '$out', want '$p $want_version'"
done
for b in "$build"/bin/*; do # a binary added to the build but not to FP_INSTALL_PROGRAMS
	[[ -x $b && -x $bin/$(basename "$b") ]] || fail "$(basename "$b") is built but not installed"
done
echo "ok: ${#progs[@]} binaries answer --help and --version ($want_version)"

# Files of the prefix and of /etc.
for f in include/fastpath/strategy.h share/pkgconfig/fastpath.pc \
	share/fastpath/sql/001_init.sql share/fastpath/prometheus/alerts.yml \
	share/fastpath/grafana/fastpath.json share/doc/fastpath/operations.md \
	share/doc/fastpath/copyright lib/systemd/system/fastpath@.service \
	lib/systemd/system/fastpath-metrics@.service lib/systemd/system/fastpath-jload@.service \
	lib/systemd/system/fastpath-firm@.service share/doc/fastpath/scale.md; do
	[[ -f $root$prefix/$f ]] || fail "$prefix/$f was not installed"
done
for c in dev.conf production.conf risk.conf sim.conf; do
	[[ -f $etc/$c ]] || fail "/etc/fastpath/$c was not installed"
done
grep -q "^ExecStart=$prefix/bin/fastpath run --config /etc/fastpath/%i.conf$" \
	"$root$prefix/lib/systemd/system/fastpath@.service" || fail "fastpath@.service names other paths"
grep -q 'dir = "/var/lib/fastpath/dev/journal";' "$etc/dev.conf" ||
	fail "the installed dev.conf does not journal to /var/lib/fastpath/dev/journal"
echo "ok: headers, fastpath.pc, units, configs, migrations, rules, dashboard, docs"

# A strategy built against the installed headers alone.
export PKG_CONFIG_PATH=$root$prefix/share/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root
cflags=$(pkg-config --cflags fastpath) || fail "pkg-config --cflags fastpath failed"
cflags=${cflags%% }
[[ $cflags == "-I$root$prefix/include/fastpath" ]] || fail "pkg-config --cflags: '$cflags'"
mkdir -p "$work/etc/strat"
# shellcheck disable=SC2086 # word splitting of the flags is the point
cc -shared -fPIC -std=c17 -Wall -Wextra -Werror $cflags "$src/tests/install/marker_strategy.c" \
	-o "$work/etc/strat/mine.so" || fail "the strategy does not build against the installed headers"
echo "ok: strategy .so built with $cflags"

# The installed supervisor loads it: config and strategy in $work/etc, paths relative to
# the config's folder, started from /.
pcap=$shared/pcap/itch50/AddOrderNoMpidAttributionMessage.pcap
[[ -r $pcap ]] || { echo "skip: $pcap absent (../shared/data)"; exit 77; }
cp "$etc/risk.conf" "$work/etc/risk.conf"
cat >"$work/etc/run.conf" <<-CONF
	instance = "$instance";
	segment = { hugepages = "off"; };
	placement = { workers = ( { name = "feed"; stages = ["md"]; },
	  { name = "trade"; stages = ["strategies", "risk", "gateway"]; } ); };
	md = { backend = "pcap"; pcap = "$pcap"; };
	strategies = { list = ( { id = 7; name = "mine"; path = "strat/mine.so";
	  params = ["marker=$work/marker"]; } ); };
	risk = { limits = "risk.conf"; env = "dev"; };
	gateway = { venue = "127.0.0.1:9"; max_orders = 4096; };
CONF
(cd / && "$bin/fastpath-ctl" config validate "$work/etc/run.conf") >"$work/validate.log" 2>&1 ||
	fail "config validate of the test config: $(cat "$work/validate.log")"
# The gateway wants credentials; its venue (the discard port) refuses: session down. The
# marker is the run's own: one left by a validation that started the strategy would be
# truncated and rewritten under the check below.
rm -f "$work/marker"
(cd / && FP_GW_USER=inst FP_GW_PASSWORD=inst exec "$bin/fastpath" run --config "$work/etc/run.conf") \
	>"$work/run.log" 2>&1 &
sup=$!
# run's own config check starts the strategy once in a scratch host (strategy.h, init),
# then the worker starts it: the marker is written twice, truncated in between, so the line
# is looked for until it is there, and read once.
started=0
for _ in $(seq 200); do
	grep -q "^strategy 7 abi " "$work/marker" 2>/dev/null && { started=1; break; }
	kill -0 "$sup" 2>/dev/null || fail "fastpath run exited before the strategy started"
	sleep 0.1
done
((started)) || fail "the strategy was not started within 20 s (marker: $(cat "$work/marker" 2>&1))"
for _ in $(seq 200); do
	st=$("$bin/fastpath-ctl" --instance "$instance" status --json 2>&1) || true
	grep -q '"trade"' <<<"$st" && ! grep -q '"starting"' <<<"$st" && break
	sleep 0.1
done
grep -q '"trade"' <<<"$st" || fail "status of $instance: $st"
kill -TERM "$sup"
rc=0
wait "$sup" || rc=$?
sup=
((rc == 0)) || fail "fastpath run exited $rc after SIGTERM"
echo "ok: the installed supervisor, run from /, loaded strat/mine.so beside its config"

# The installed sample, validated from anywhere: its paths follow the file, not the cwd.
for d in / /tmp; do
	out=$(cd "$d" && "$bin/fastpath-ctl" config validate "$etc/dev.conf" 2>&1) ||
		fail "config validate $etc/dev.conf from $d: $out"
done
echo "ok: config validate /etc/fastpath/dev.conf from / and /tmp: $out"

# Never overwrite an operator's edit.
echo "# edited by the operator" >>"$etc/dev.conf"
cp "$etc/dev.conf" "$work/edited.conf"
DESTDIR=$root cmake --install "$build" --prefix "$prefix" >"$work/install2.log" 2>&1 ||
	{ cat "$work/install2.log" >&2; fail "the second cmake --install failed"; }
cmp -s "$etc/dev.conf" "$work/edited.conf" || fail "a second install overwrote an edited dev.conf"
[[ -f $etc/dev.conf.dist ]] || fail "no dev.conf.dist beside the edited dev.conf"
grep -q "# edited by the operator" "$etc/dev.conf.dist" && fail "dev.conf.dist is the edited file"
[[ -f $etc/risk.conf.dist ]] && fail "risk.conf.dist written for an unedited risk.conf"
echo "ok: a second install kept the edited dev.conf and wrote dev.conf.dist"
