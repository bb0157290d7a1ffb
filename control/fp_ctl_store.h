/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_store.h - recovery from the journal for the stage adapters (rule J5 of
 * shm/fp_journal.h): wait until the store has written everything the journal rings hold,
 * then replay the instance's journal files. Implemented in fp_ctl_stage_store.c.
 *
 * Who may call: a stage adapter's init() (worker process, cold: it sleeps, opens and maps
 * files, allocates). Never from poll().
 */
#ifndef FP_CTL_STORE_H
#define FP_CTL_STORE_H

#include <stdint.h>

#include "fp_ctl_stage.h"
#include "fp_store_replay.h"

/** Default of store.recover_wait_ms: how long recovery waits for the rings to drain. */
#define FP_CTL_STORE_RECOVER_WAIT_MS 10000

/**
 * When the store stage is not placed (no FP_JRNL_RING_* region in the segment): return 0
 * at once. Else wait until every journal ring is empty (rules J1, J5; up to
 * store.recover_wait_ms, then -ETIMEDOUT with a message), then fp_store_replay() over
 * store.dir for env->instance, calling @p fn for each record (a torn tail of the newest
 * file ends the replay normally).
 *
 * The store must run in another worker than the caller (it drains the rings meanwhile).
 *
 * @return records replayed (>= 0), or a negative errno with fp_err text: -ETIMEDOUT,
 *         -EBADMSG (damaged journal), -EINVAL (config), fn's negative result. A positive
 *         result of fn stops the replay and counts as success.
 */
int64_t fp_ctl_store_recover(const struct fp_ctl_env *env, fp_store_replay_fn fn, void *arg);

#endif /* FP_CTL_STORE_H */
