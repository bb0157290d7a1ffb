#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# install_dpkg BUILD SOURCE SHARED_DATA: the .deb of install_package installed with
# `dpkg -i`, its maintainer scripts run for real, then purged, and this machine untouched.
#
# How: not system-wide. The test enters a private mount namespace (unshare -m), lays an
# overlay over / whose writable layer is a tmpfs, and chroots into it: dpkg, its database,
# /etc (the `fastpath` user and group postinst creates), /usr and /lib see this machine's
# real files but every write lands in the tmpfs. /proc, /sys and /dev are the host's
# (bind mounts); /run is empty, so the scripts do not talk to the host's systemd. The
# namespace, the overlay and the tmpfs end with the test process, however it ends (a
# failed check, a timeout, kill -9): nothing can be left half-installed on the host, and
# the host's dpkg lock is never taken. The host's package state and users are compared
# before and after anyway.
#
# Inside: dpkg -i; dpkg says installed; the `fastpath` user and group exist;
# /etc/fastpath holds the conffiles; `fastpath --version` from PATH; `fastpath-ctl config
# validate /etc/fastpath/dev.conf` passes from / and from /tmp; systemd-analyze verify on
# the installed units; dpkg --purge; the files and /etc/fastpath are gone, dpkg says
# not installed. Needs root (skips, exit 77, otherwise).
set -euo pipefail
# config validate checks what run checks, the gateway credentials (environment only) too.
export FP_GW_USER=inst FP_GW_PASSWORD=inst
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# ---- inside the namespace: $0 --inside WORK DEB ----
if [[ ${1:-} == --inside ]]; then
	work=$2
	deb=$3
	mount -t tmpfs -o size=2g,mode=0700 fp-dpkg "$work/t"
	mkdir -p "$work/t/upper" "$work/t/wk" "$work/t/root"
	if ! mount -t overlay overlay -o "lowerdir=/,upperdir=$work/t/upper,workdir=$work/t/wk" \
		"$work/t/root" 2>"$work/t/overlay.err"; then
		echo "skip: cannot mount an overlay over / here: $(cat "$work/t/overlay.err")"
		exit 77
	fi
	r=$work/t/root
	for d in proc sys dev; do mount --rbind "/$d" "$r/$d"; done
	mount -t tmpfs -o mode=0755 fp-run "$r/run"
	cp "$deb" "$r/tmp/fastpath.deb"
	exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		FP_VERSION_TEXT="$FP_VERSION_TEXT" FP_GW_USER=inst FP_GW_PASSWORD=inst /bin/bash -s <<-'CHROOT'
		set -euo pipefail
		fail() { echo "FAIL (chroot): $*" >&2; exit 1; }
		# A machine that has fastpath already (a package, a `make install`): start from a
		# clean slate, in the overlay only.
		dpkg --purge fastpath >/dev/null 2>&1 || true
		rm -rf /etc/fastpath
		dpkg -i /tmp/fastpath.deb >/tmp/dpkg-i.log 2>&1 ||
			{ cat /tmp/dpkg-i.log >&2; fail "dpkg -i failed"; }
		st=$(dpkg-query -W -f='${Status}' fastpath)
		[[ $st == "install ok installed" ]] || fail "dpkg status after dpkg -i: $st"
		echo "ok: dpkg -i: $st"
		getent group fastpath >/dev/null || fail "postinst created no fastpath group"
		getent passwd fastpath >/dev/null || fail "postinst created no fastpath user"
		[[ $(stat -c %U:%G /var/lib/fastpath) == fastpath:fastpath ]] ||
			fail "/var/lib/fastpath is $(stat -c %U:%G /var/lib/fastpath)"
		for c in dev.conf production.conf risk.conf sim.conf; do
			[[ -f /etc/fastpath/$c ]] || fail "/etc/fastpath/$c missing"
		done
		[[ $(fastpath --version) == "fastpath $FP_VERSION_TEXT" ]] ||
			fail "fastpath --version: $(fastpath --version)"
		echo "ok: user and group fastpath, /etc/fastpath, $(fastpath --version)"
		for d in / /tmp; do
			out=$(cd "$d" && fastpath-ctl config validate /etc/fastpath/dev.conf 2>&1) ||
				fail "fastpath-ctl config validate /etc/fastpath/dev.conf from $d: $out"
		done
		echo "ok: from / and /tmp: $out"
		systemd-analyze verify --man=no /lib/systemd/system/fastpath@.service \
			/lib/systemd/system/fastpath-metrics@.service \
			/lib/systemd/system/fastpath-jload@.service \
			/lib/systemd/system/fastpath-firm@.service >/tmp/verify.log 2>&1 ||
			{ cat /tmp/verify.log >&2; fail "systemd-analyze verify on the installed units"; }
		echo "ok: systemd-analyze verify on the installed units"
		dpkg --purge fastpath >/tmp/dpkg-p.log 2>&1 ||
			{ cat /tmp/dpkg-p.log >&2; fail "dpkg --purge failed"; }
		st=$(dpkg-query -W -f='${Status}' fastpath 2>/dev/null || true)
		[[ $st != *installed* || $st == *not-installed* ]] || fail "status after purge: $st"
		for f in /usr/bin/fastpath /etc/fastpath /lib/systemd/system/fastpath@.service \
			/usr/include/fastpath; do
			[[ ! -e $f ]] || fail "$f is still there after dpkg --purge"
		done
		echo "ok: dpkg --purge removed the files and /etc/fastpath (${st:-forgotten})"
	CHROOT
fi

# ---- outside ----
build=$1
ver=${FP_VERSION:?FP_VERSION: the version of this build}
deb=$build/install-test/fastpath_${ver}_amd64.deb
if [[ $(id -u) -ne 0 ]]; then
	echo "skip: needs root (a private mount namespace and an overlay over /)"
	exit 77
fi
[[ -f $deb ]] || fail "no $deb: install_package makes it (ctest fixture fp_deb)"
host_state() {
	dpkg-query -W -f='${Status}\n' fastpath 2>/dev/null || echo absent
	getent passwd fastpath || echo "no user"
	getent group fastpath || echo "no group"
	ls -d /etc/fastpath 2>/dev/null || echo "no /etc/fastpath"
}
before=$(host_state)
work=$(mktemp -d /tmp/fp-dpkg.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/t"
rc=0
unshare -m --propagation private bash "$0" --inside "$work" "$deb" || rc=$?
after=$(host_state)
[[ $before == "$after" ]] || fail "the host changed: before '$before', after '$after'"
((rc == 0 || rc == 77)) || fail "inside the overlay (exit $rc)"
((rc == 77)) && exit 77
echo "ok: the host is as before: $(head -n 1 <<<"$after")"
