#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Report (and with --apply, change) the machine settings fastpath wants for low latency:
# hugepages, isolated cores, IRQ affinity, CPU frequency governor, transparent hugepages.
# Without --apply it changes nothing and prints what it would change. Root for --apply.
#   usage: deploy/tune.sh [--apply] [--hugepages N] [--cores LIST]
set -euo pipefail

apply=0
want_huge=512          # 2 MiB pages: 1 GiB
cores=""               # trading cores (default: the isolated ones)
while (($#)); do
	case $1 in
	--apply) apply=1 ;;
	--hugepages) want_huge=$2; shift ;;
	--cores) cores=$2; shift ;;
	-h | --help) sed -n '3,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "tune.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
	esac
	shift
done
if ((apply)) && [[ $(id -u) -ne 0 ]]; then
	echo "tune.sh: --apply needs root" >&2; exit 1
fi

nb_advice=0
say() { printf '%-22s %s\n' "$1" "$2"; }
advise() { printf '  -> %s\n' "$1"; nb_advice=$((nb_advice + 1)); }

# Hugepages (2 MiB): the segment is backed by hugetlbfs when enough are free.
hp=/sys/kernel/mm/hugepages/hugepages-2048kB
nr=$(cat $hp/nr_hugepages 2>/dev/null || echo 0)
free=$(cat $hp/free_hugepages 2>/dev/null || echo 0)
say "hugepages 2M" "$nr reserved, $free free (want >= $want_huge)"
if ((nr < want_huge)); then
	if ((apply)); then
		echo "$want_huge" >$hp/nr_hugepages
		say "" "reserved: $(cat $hp/nr_hugepages)"
	else
		advise "echo $want_huge > $hp/nr_hugepages (persist: vm.nr_hugepages=$want_huge in /etc/sysctl.d/)"
	fi
fi
if ! grep -q hugetlbfs /proc/mounts; then
	if ((apply)); then
		mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages
	else
		advise "mount -t hugetlbfs nodev /dev/hugepages (or enable dev-hugepages.mount)"
	fi
fi

# Isolated cores: trading workers should own cores the scheduler leaves alone.
iso=$(cat /sys/devices/system/cpu/isolated 2>/dev/null || true)
say "isolated cores" "${iso:-none}"
if [[ -z $iso ]]; then
	advise "boot with isolcpus=managed_irq,domain,2-N nohz_full=2-N rcu_nocbs=2-N (kernel command line; needs a reboot)"
fi
cores=${cores:-$iso}

# IRQ affinity: keep device interrupts off the trading cores.
dflt=$(cat /proc/irq/default_smp_affinity 2>/dev/null || echo "?")
say "irq default affinity" "$dflt"
if [[ -n $cores ]]; then
	advise "pin IRQs away from cores $cores: echo <housekeeping cpus> > /proc/irq/*/smp_affinity_list; stop irqbalance or ban those cores (IRQBALANCE_BANNED_CPULIST=$cores)"
fi
if systemctl is-active --quiet irqbalance 2>/dev/null; then
	say "irqbalance" "active"
fi

# CPU frequency governor: performance avoids ramp-up latency.
govs=$(cat /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor 2>/dev/null | sort | uniq -c | tr '\n' ' ' || true)
say "cpu governor" "${govs:-not exposed (VM or fixed frequency)}"
if [[ -n $govs && $govs != *performance* ]]; then
	if ((apply)); then
		for g in /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor; do echo performance >"$g"; done
	else
		advise "set the governor to performance (cpupower frequency-set -g performance)"
	fi
fi

# Transparent hugepages: khugepaged compaction causes latency spikes; fastpath uses hugetlbfs.
thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo "?")
say "THP" "$thp"
if [[ $thp != *"[never]"* && $thp != "?" ]]; then
	if ((apply)); then
		echo never >/sys/kernel/mm/transparent_hugepage/enabled
	else
		advise "echo never > /sys/kernel/mm/transparent_hugepage/enabled (or transparent_hugepage=never at boot)"
	fi
fi

# Memory locking: the supervisor mlocks the segment.
say "memlock limit" "$(ulimit -l)"
[[ $(ulimit -l) == unlimited ]] || advise "LimitMEMLOCK=infinity (deploy/systemd/fastpath@.service does this)"

if ((apply)); then
	echo "tune.sh: applied what can be changed at run time; boot parameters above need a reboot"
else
	echo "tune.sh: $nb_advice suggestion(s); nothing changed (run with --apply as root to change)"
fi
