#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# install_package BUILD SOURCE SHARED_DATA: `make package` (cpack -G DEB) into
# BUILD/install-test/, then read the .deb without installing it:
#   - dpkg-deb --info: name, version, amd64, Depends from dpkg-shlibdeps (runtime
#     libraries, no -dev package, no build tool), conffiles for /etc/fastpath;
#   - dpkg-deb --contents: binaries in /usr/bin, units in /lib/systemd/system, configs in
#     /etc/fastpath, the strategy headers and fastpath.pc; nothing under /usr/local;
#   - lintian reports no error (warnings are listed).
# install_dpkg then installs this .deb (fixture fp_deb) and runs systemd-analyze verify on
# the units where they are installed (it needs the system's own units beside them).
set -euo pipefail
build=$1
ver=${FP_VERSION:?FP_VERSION: the version of this build}
out=$build/install-test
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
rm -rf "$out"
mkdir -p "$out"
t0=$SECONDS
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$out" >"$out/cpack.log" 2>&1 ||
	{ tail -30 "$out/cpack.log" >&2; fail "cpack -G DEB failed"; }
deb=$out/fastpath_${ver}_amd64.deb
[[ -f $deb ]] || fail "no $deb (cpack wrote: $(ls "$out"))"
echo "ok: $(basename "$deb") ($(du -k "$deb" | cut -f1) kB) in $((SECONDS - t0)) s"

info=$(dpkg-deb --info "$deb")
field() { sed -n "s/^ $1: //p" <<<"$info"; }
[[ $(field Package) == fastpath ]] || fail "Package: $(field Package)"
[[ $(field Version) == "$ver" ]] || fail "Version: $(field Version), want $ver"
[[ $(field Architecture) == amd64 ]] || fail "Architecture: $(field Architecture)"
deps=$(field Depends)
grep -qE '(^|, )adduser( |,|$)' <<<"$deps" || fail "Depends lacks adduser (postinst): $deps"
grep -qE -- '-dev( |,|$)|(^|, )(cmake|clang[^,]*|gcc[^,]*|g\+\+[^,]*|check)( |,|$)' <<<"$deps" &&
	fail "Depends names a build-only package: $deps"
# Every shared library a packaged binary needs comes from a package in Depends (one
# dpkg -S for all of them: each call reads the whole file database).
mkdir -p "$out/root"
dpkg-deb -x "$deb" "$out/root"
sonames=$(for b in "$out"/root/usr/bin/*; do
	readelf -d "$b" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
done | sort -u)
ldcache=$(ldconfig -p)
# dpkg knows a library under the name it shipped: the soname link or its target, under
# /lib or /usr/lib (merged /usr). Every candidate of every library in one query.
cands() { local p; for p in "$1" "$(readlink -f "$1")"; do
	echo "$p"; [[ $p == /usr/* ]] && echo "${p#/usr}" || echo "/usr$p"; done; }
libs=()
for so in $sonames; do
	lib=$(awk -v so="$so" '$1 == so && /x86-64/ {print $NF; exit}' <<<"$ldcache")
	[[ -n $lib ]] || fail "a packaged binary needs $so, which ldconfig does not know"
	libs+=("$lib")
done
mapfile -t all < <(for lib in "${libs[@]}"; do cands "$lib"; done | sort -u)
owners=$(dpkg -S "${all[@]}" 2>/dev/null || true)
for lib in "${libs[@]}"; do
	pkg=
	for c in $(cands "$lib"); do
		# exact match, not a regular expression: libstdc++ has regex characters in its name
		line=$(awk -v want=": $c" 'substr($0, length($0) - length(want) + 1) == want {
			print; exit }' <<<"$owners")
		[[ -n $line ]] && { pkg=${line%%:*}; break; }
	done
	[[ -n $pkg ]] || fail "no package owns $lib"
	grep -qF ", $pkg " <<<", ${deps//,/ ,} " || fail "$lib ($pkg) is needed but absent from Depends: $deps"
done
echo "ok: the ${#libs[@]} libraries the binaries link come from packages in Depends"
conffiles=$(dpkg-deb --info "$deb" conffiles)
for c in dev.conf production.conf risk.conf sim.conf; do
	grep -qx "/etc/fastpath/$c" <<<"$conffiles" || fail "/etc/fastpath/$c is not a conffile"
done
echo "ok: Depends: $deps"

contents=$(dpkg-deb --contents "$deb" | awk '{print $6}')
for f in ./usr/bin/fastpath ./usr/bin/fastpath-ctl ./usr/bin/fastpath-md ./usr/bin/fastpath-sim \
	./usr/bin/fastpath-bench ./usr/bin/fastpath-floor ./usr/bin/fp-syscount ./lib/systemd/system/fastpath@.service \
	./lib/systemd/system/fastpath-metrics@.service ./lib/systemd/system/fastpath-jload@.service \
	./etc/fastpath/dev.conf ./etc/fastpath/risk.conf ./usr/include/fastpath/strategy.h \
	./usr/include/fastpath/fp_event.h ./usr/share/pkgconfig/fastpath.pc \
	./usr/share/fastpath/sql/001_init.sql ./usr/share/doc/fastpath/copyright \
	./usr/share/doc/fastpath/changelog.gz; do
	grep -qxF "$f" <<<"$contents" || fail "the package lacks $f"
done
grep -q '^\./usr/local' <<<"$contents" && fail "the package holds files under /usr/local"
echo "ok: $(grep -vc '/$' <<<"$contents") files, binaries, units, configs, headers, fastpath.pc"

# lintian: no error. Its tags go to the log; the warnings are shown.
lintian --fail-on error --tag-display-limit 0 "$deb" >"$out/lintian.log" 2>&1 ||
	{ cat "$out/lintian.log" >&2; fail "lintian reports errors"; }
grep -E '^[EW]:' "$out/lintian.log" | sed 's/^/  lintian: /' || true
echo "ok: lintian: no error ($(grep -c '^W:' "$out/lintian.log" || true) warnings)"
