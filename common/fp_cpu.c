/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_cpu.c - thread pinning and core accounting through hwloc (see fp_cpu.h).
 *
 * Cold code: allocates (the hwloc topology), reads /sys, may block briefly.
 * The topology is loaded with HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED so that a core outside
 * the cgroup is still known and can be refused by name as "not allowed" rather than
 * "unknown"; the complete cpuset also keeps offline cores, reported as "offline".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <hwloc.h>
#include <sched.h>
#include <string.h>

#include "fp_cpu.h"
#include "fp_err.h"

/* Load the topology; @p topo is destroyed by the caller with hwloc_topology_destroy(). */
static int fp_cpu_topo(hwloc_topology_t *topo)
{
	if (hwloc_topology_init(topo) != 0)
		return fp_err_set(-ENOMEM, "hwloc_topology_init failed: %s", strerror(errno));
	if (hwloc_topology_set_flags(*topo, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED) != 0 ||
	    hwloc_topology_load(*topo) != 0) {
		int err = errno ? errno : EIO;
		hwloc_topology_destroy(*topo);
		return fp_err_set(-err, "cannot load the hwloc topology: %s", strerror(err));
	}
	return 0;
}

/* Allocated set of usable cores: allowed and online. Free with hwloc_bitmap_free(). */
static hwloc_bitmap_t fp_cpu_usable(hwloc_topology_t topo)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	if (set != NULL)
		hwloc_bitmap_and(set, hwloc_topology_get_allowed_cpuset(topo),
				 hwloc_topology_get_topology_cpuset(topo));
	return set;
}

static void fp_cpu_list(hwloc_const_bitmap_t set, char *buf, size_t len)
{
	if (len == 0)
		return;
	if (hwloc_bitmap_list_snprintf(buf, len, set) < 0)
		buf[0] = '\0';
}

int fp_cpu_allowed_list(char *buf, size_t len)
{
	hwloc_topology_t topo;
	int rc = fp_cpu_topo(&topo);
	if (rc < 0)
		return rc;
	hwloc_bitmap_t set = fp_cpu_usable(topo);
	if (set == NULL) {
		hwloc_topology_destroy(topo);
		return fp_err_set(-ENOMEM, "out of memory for a cpuset");
	}
	fp_cpu_list(set, buf, len);
	hwloc_bitmap_free(set);
	hwloc_topology_destroy(topo);
	return 0;
}

int fp_cpu_count(void)
{
	hwloc_topology_t topo;
	int rc = fp_cpu_topo(&topo);
	if (rc < 0)
		return rc;
	hwloc_bitmap_t set = fp_cpu_usable(topo);
	rc = set ? hwloc_bitmap_weight(set) : fp_err_set(-ENOMEM, "out of memory for a cpuset");
	hwloc_bitmap_free(set);
	hwloc_topology_destroy(topo);
	return rc;
}

int fp_cpu_pin_self(int core)
{
	hwloc_topology_t topo;
	hwloc_bitmap_t usable = NULL, one = NULL;
	char allowed[256];
	int rc = fp_cpu_topo(&topo);

	if (rc < 0)
		return fp_err_append(rc, "pinning to core %d", core);
	usable = fp_cpu_usable(topo);
	one = hwloc_bitmap_alloc();
	if (usable == NULL || one == NULL) {
		rc = fp_err_set(-ENOMEM, "out of memory for a cpuset");
		goto out;
	}
	fp_cpu_list(usable, allowed, sizeof(allowed));
	if (core < 0 ||
	    !hwloc_bitmap_isset(hwloc_topology_get_complete_cpuset(topo), (unsigned)core)) {
		rc = fp_err_set(-EINVAL, "core %d is not a CPU of this machine (allowed: %s)", core,
				allowed);
		goto out;
	}
	if (!hwloc_bitmap_isset(hwloc_topology_get_topology_cpuset(topo), (unsigned)core)) {
		rc = fp_err_set(-ENODEV, "core %d is offline (allowed: %s)", core, allowed);
		goto out;
	}
	if (!hwloc_bitmap_isset(usable, (unsigned)core)) {
		rc = fp_err_set(-EPERM,
				"core %d is outside this process's allowed cores (cgroup cpuset; "
				"allowed: %s)",
				core, allowed);
		goto out;
	}
	hwloc_bitmap_only(one, (unsigned)core);
	if (hwloc_set_cpubind(topo, one, HWLOC_CPUBIND_THREAD | HWLOC_CPUBIND_STRICT) != 0) {
		int err = errno ? errno : EINVAL;
		rc = fp_err_set(-err, "cannot bind this thread to core %d: %s (allowed: %s)", core,
				strerror(err), allowed);
		goto out;
	}
	rc = 0;
out:
	hwloc_bitmap_free(one);
	hwloc_bitmap_free(usable);
	hwloc_topology_destroy(topo);
	return rc;
}

int fp_cpu_current(void)
{
	int cpu = sched_getcpu();
	return cpu >= 0 ? cpu : fp_err_set(-errno, "sched_getcpu: %s", strerror(errno));
}
