#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Install every Debian package fastpath needs to build, test and run.
#
# Idempotent and non-interactive: the package lists live in deploy/packages.d/*.txt (one
# package per line, '#' comments), one file per area so that modules add their own. When all
# are present the script returns in well under a second without touching apt.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mapfile -t wanted < <(cat "$here"/packages.d/*.txt | sed 's/#.*//; s/[[:space:]]//g' | grep -v '^$' | sort -u)

# One dpkg-query for all (one per package took ~13 s on a loaded machine, at every make).
declare -A installed=()
while read -r pkg; do
	installed[$pkg]=1
done < <(dpkg-query -W -f='${Package} ${Status}\n' "${wanted[@]}" 2>/dev/null |
	sed -n 's/ install ok installed$//p')
missing=()
for pkg in "${wanted[@]}"; do
	[[ -n ${installed[$pkg]:-} ]] || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
	echo "setup: all ${#wanted[@]} packages present"
	exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
	echo "setup: missing packages: ${missing[*]}" >&2
	echo "setup: run 'sudo $0' (or install them with apt-get) and try again" >&2
	exit 1
fi

echo "setup: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer before apt does.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt_opts=(-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold --no-install-recommends)
if ! apt-get install "${apt_opts[@]}" "${missing[@]}"; then
	apt-get update -q
	apt-get install "${apt_opts[@]}" "${missing[@]}"
fi
echo "setup: done"
