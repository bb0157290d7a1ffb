/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_stage_store.c - the store stage in the pipeline, and recovery from the journal for
 * the other adapters (fp_ctl_store.h). See store/fp_store_stage.h and shm/fp_journal.h.
 *
 *   store = {
 *     dir = "build/journal";         # journal files DIR/<instance>-YYYYMMDD.fpj (created)
 *     fsync = "interval";            # batch (fdatasync per write) | interval | none
 *     fsync_interval_ms = 10;        # "interval": at most one fdatasync per this many ms
 *     ring = 16384;                  # slots of each journal ring (power of two)
 *     snapshot_ms = 1000;            # position and P&L snapshots every ms (0 = none)
 *     retry_ms = 100;                # after a failed write, retry every ms
 *     recover_wait_ms = 10000;       # a restarting stage waits this long for the rings
 *   };
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fp_ctl_stage.h"
#include "fp_ctl_store.h"
#include "fp_err.h"
#include "fp_journal.h"

enum store_fsync { STORE_FSYNC_BATCH, STORE_FSYNC_INTERVAL, STORE_FSYNC_NONE };

struct store_settings {
	const char *dir;
	int fsync; /* enum store_fsync */
	uint32_t fsync_interval_ms, ring, snapshot_ms, retry_ms, recover_wait_ms;
};

static const char *const store_keys[] = {"dir",         "fsync",    "fsync_interval_ms", "ring",
					 "snapshot_ms", "retry_ms", "recover_wait_ms",   NULL};
static const char *const store_fsync_names[] = {"batch", "interval", "none", NULL};

static int store_settings(const struct fp_ctl_env *env, struct store_settings *s)
{
	const struct fp_cfg *c = env->cfg;
	const struct fp_cfg_node *g = fp_cfg_lookup(c, NULL, "store");
	int64_t fi, ring, snap, retry, wait;
	int rc;

	if (!g)
		return fp_err_set(-EINVAL,
				  "%s: stage 'store' is placed but the 'store' group is missing",
				  fp_cfg_name(c));
	if ((rc = fp_cfg_check_keys(c, g, store_keys)) < 0 ||
	    (rc = fp_cfg_require(c, g, "dir")) < 0 ||
	    (rc = fp_cfg_get_string(c, g, "dir", NULL, 3000, &s->dir)) < 0 ||
	    (rc = fp_cfg_get_enum(c, g, "fsync", store_fsync_names, STORE_FSYNC_INTERVAL,
				  &s->fsync)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "fsync_interval_ms", 10, 1, 60000, &fi)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "ring", 16384, 64, 1 << 24, &ring)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "snapshot_ms", 1000, 0, 3600000, &snap)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "retry_ms", 100, 1, 60000, &retry)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "recover_wait_ms", FP_CTL_STORE_RECOVER_WAIT_MS, 0,
				   3600000, &wait)) < 0)
		return rc;
	if (!s->dir[0])
		return fp_err_set(-EINVAL, "%s:%u: store.dir must not be empty", fp_cfg_name(c),
				  fp_cfg_line(fp_cfg_lookup(c, g, "dir")));
	if (!FP_IS_POW2((uint64_t)ring))
		return fp_err_set(-EINVAL, "%s:%u: store.ring must be a power of two, got %lld",
				  fp_cfg_name(c), fp_cfg_line(fp_cfg_lookup(c, g, "ring")),
				  (long long)ring);
	s->fsync_interval_ms = (uint32_t)fi;
	s->ring = (uint32_t)ring;
	s->snapshot_ms = (uint32_t)snap;
	s->retry_ms = (uint32_t)retry;
	s->recover_wait_ms = (uint32_t)wait;
	return 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- recovery for the other adapters (fp_ctl_store.h) ---- */

static const char *const jrnl_rings[] = {FP_JRNL_RING_RISK, FP_JRNL_RING_GW};

int64_t fp_ctl_store_recover(const struct fp_ctl_env *env, fp_store_replay_fn fn, void *arg)
{
	const struct fp_ring *rings[FP_ARRAY_SIZE(jrnl_rings)];
	struct fp_store_replay_stats st;
	struct store_settings s;
	unsigned nb = 0;
	int rc;

	for (unsigned i = 0; i < FP_ARRAY_SIZE(jrnl_rings); i++)
		if ((rings[nb] = fp_shm_region(env->seg, jrnl_rings[i], NULL)))
			nb++;
	if (nb == 0)
		return 0; /* no store placed: unjournaled, nothing to recover */
	if ((rc = store_settings(env, &s)) < 0)
		return rc;
	/* J5: once the rings are empty, the files hold everything pushed before (J1). */
	uint64_t deadline = mono_ms() + s.recover_wait_ms;
	for (;;) {
		uint32_t pending = 0;
		for (unsigned i = 0; i < nb; i++)
			pending += fp_ring_count(rings[i]);
		if (pending == 0)
			break;
		if (mono_ms() >= deadline)
			return fp_err_set(-ETIMEDOUT,
					  "recovery: %u journal events still unwritten after %u ms "
					  "(store.recover_wait_ms): is the store stage running?",
					  pending, s.recover_wait_ms);
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	}
	rc = fp_store_replay(s.dir, env->instance, fn, arg, &st);
	if (rc < 0)
		return fp_err_append(rc, "recovery of instance '%s' from %s", env->instance, s.dir);
	return (int64_t)st.records;
}
