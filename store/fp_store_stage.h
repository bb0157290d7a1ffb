/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_store_stage.h - the store stage: drains the journal rings of the other stages into
 * the day's journal file (shm/fp_journal.h), journals control block changes, rotates at UTC
 * midnight, and halts trading (kill switch) rather than let the pipeline trade unrecorded
 * when the file cannot be written.
 *
 * Who may call: the store's own worker only (off the hot path): init, poll and fini make
 * syscalls (write, fdatasync, open, mkdir), and init allocates. One stage per instance: it
 * is the single consumer of each journal ring and the single writer of its files.
 *
 * Rules kept (numbers of fp_journal.h):
 *   J1  a ring's slots are released only after the write() of their records returned.
 *   A failed write (ENOSPC, EIO, a failed fdatasync) keeps the batch in memory and the
 *   slots unreleased, so the producers see their journal ring fill up and refuse orders;
 *   the stage trips the kill switch once per outage, and retries every retry_ms; once a
 *   write succeeds, the batch lands exactly once and the stage resumes. The kill switch
 *   stays tripped until an operator rearms it.
 */
#ifndef FP_STORE_STAGE_H
#define FP_STORE_STAGE_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fp_ring.h"
#include "fp_shm_ctl.h"
#include "fp_store_journal.h"

#define FP_STORE_MAX_RINGS     8
#define FP_STORE_STATS_MAGIC   0x54534a46u /* "FJST" */
#define FP_STORE_STATS_VERSION 1
#define FP_STORE_POLL_MAX      1024 /**< ring events per ring per poll, at most */

/** When the stage makes the file durable (config store.fsync). */
enum fp_store_fsync {
	FP_STORE_FSYNC_BATCH = 0,    /**< fdatasync after every write */
	FP_STORE_FSYNC_INTERVAL = 1, /**< at most one fdatasync per fsync_interval_ms */
	FP_STORE_FSYNC_NONE = 2,     /**< never (page cache only: survives a process crash) */
};

/** One journal ring and who produces it. */
struct fp_store_input {
	struct fp_ring *ring;
	uint16_t src; /**< enum fp_jrnl_src, written as the record's flags */
};

struct fp_store_stats;

struct fp_store_cfg {
	const char *dir;      /**< journal directory (created, with parents) */
	const char *instance; /**< file names DIR/<instance>-YYYYMMDD.fpj */
	/** Group owning the directories and files the store creates (the segment's configured
	 *  group); NULL or "" = the creator's. Modes: FP_STORE_DIR_MODE, FP_STORE_FILE_MODE. */
	const char *group;
	struct fp_store_input inputs[FP_STORE_MAX_RINGS];
	unsigned nb_inputs;
	struct fp_shm_ctl *ctl; /**< control block: journal its changes, trip it; NULL = none */
	uint64_t ctl_seq_seen;  /**< ctl changes up to this seq are already journaled */
	enum fp_store_fsync fsync;
	uint32_t fsync_interval_ms;   /**< FP_STORE_FSYNC_INTERVAL */
	uint32_t retry_ms;            /**< retry of a failed write, 0 = 100 */
	struct fp_store_stats *stats; /**< published figures (region "store.stats"); NULL = own */
	/** Wall clock, ns since the epoch (rotation, intervals); NULL = CLOCK_REALTIME. */
	uint64_t (*clock_ns)(void *arg);
	void *clock_arg;
};

/**
 * The figures of the stage (region "store.stats"). Single writer: the store worker; readers
 * in other processes may see a torn set of counters (each one is monotonic).
 */
struct fp_store_stats {
	uint32_t magic;   /**< FP_STORE_STATS_MAGIC */
	uint32_t version; /**< FP_STORE_STATS_VERSION */
	uint32_t halted;  /**< 1 while writes fail (batch kept, rings not released) */
	int32_t last_errno;
	uint64_t records;         /**< records written (every kind) */
	uint64_t bytes;           /**< bytes written, record headers included */
	uint64_t writes;          /**< successful flushes of a batch */
	uint64_t fsyncs;          /**< successful fdatasync calls */
	uint64_t write_errors;    /**< failed writes or syncs (each retry counts) */
	uint64_t halts;           /**< outages: times the stage went from writing to halted */
	uint64_t rotations;       /**< files closed at midnight */
	uint64_t ctl_changes;     /**< control block changes journaled */
	uint64_t ctl_missed;      /**< changes overwritten before the store saw them */
	uint64_t snapshots;       /**< position and P&L snapshot records */
	uint64_t dropped;         /**< records fp_store_stage_append() refused while halted */
	uint64_t truncated_bytes; /**< torn tail cut when the current file was opened */
	uint64_t ring_records[FP_STORE_MAX_RINGS]; /**< events written per input ring */
	char path[256];                            /**< current file */
	char last_error[256];                      /**< text of the last failure */
};
static_assert(sizeof(struct fp_store_stats) % 8 == 0, "store stats: 8-byte fields");
static_assert(offsetof(struct fp_store_stats, records) == 16, "store stats header");

/** The stage (process-local: holds pointers). */
struct fp_store_stage {
	struct fp_store_cfg cfg;
	struct fp_store_journal *j; /**< NULL until opened (or while an open fails) */
	struct fp_store_stats *st;
	struct fp_store_stats own_stats;
	uint32_t pending[FP_STORE_MAX_RINGS]; /**< peeked and appended, not released yet */
	uint64_t batch_records, batch_bytes;  /**< appended, not written yet */
	uint64_t next_midnight_ns;
	uint64_t retry_at_ns;
	uint64_t last_sync_ns;
	bool dirty; /**< written since the last fdatasync */
	uint64_t ctl_seen;
	char dir[4096];
	char instance[FP_STORE_INSTANCE_MAX];
	char group[64]; /**< cfg.group, copied ("" = the creator's) */
};

/**
 * Validate @p cfg, create the directory, open (recovering a torn tail) or create today's
 * file and append a FP_JRNL_REC_STORE_START record. Pair with fp_store_stage_fini().
 * @return 0 or a negative errno with fp_err text (-EINVAL config, -EBADMSG damaged file,
 *         I/O errors).
 */
int fp_store_stage_init(struct fp_store_stage *s, const struct fp_store_cfg *cfg);

/**
 * One pass: rotate at midnight, retry a failed write when due, journal a control block
 * change, peek up to @p budget (at most FP_STORE_POLL_MAX) events of each ring, write them
 * in one batch, then release their slots (J1); fsync per policy.
 * @return events and records handled (0 when idle or halted).
 */
unsigned fp_store_stage_poll(struct fp_store_stage *s, unsigned budget);

/**
 * Add a record of the stage's owner (snapshots...) to the batch; written with the next
 * poll's batch. @return 0; -EAGAIN while halted (the record is dropped and counted: the
 * caller's records are periodic); -EINVAL (len > FP_STORE_PAYLOAD_MAX).
 */
int fp_store_stage_append(struct fp_store_stage *s, uint16_t type, uint16_t src,
			  const void *payload, uint32_t len);

/** Write what is pending (fsync unless the policy is none) and close; NULL is a no-op. */
void fp_store_stage_fini(struct fp_store_stage *s);

/** The stage's figures. */
static inline const struct fp_store_stats *fp_store_stage_stats(const struct fp_store_stage *s)
{
	return s->st;
}

/** Create @p dir and its parents (mode 0750). Cold. @return 0 or negative errno, fp_err. */
int fp_store_mkdir(const char *dir);

/**
 * fp_store_mkdir(), and give each folder it creates to @p group (NULL or "" = ours), mode
 * 0750 whatever the umask (issue 18). Cold. @return 0, -ENOENT (no such group) or the
 * negative errno of mkdir/chmod/chown, with fp_err text saying what to do.
 */
int fp_store_mkdir_group(const char *dir, const char *group);

/**
 * Give the journal file @p path to @p group (NULL or "" = leave it) with mode 0640. Cold.
 * @return 0 or negative errno with fp_err text.
 */
int fp_store_file_group(const char *path, const char *group);

/** Initialise a stats region (supervisor, before READY). */
void fp_store_stats_init(struct fp_store_stats *st);

#endif /* FP_STORE_STAGE_H */
