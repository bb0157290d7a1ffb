/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_store_replay.h - replay of an instance's journal files (DIR/<instance>-YYYYMMDD.fpj,
 * shm/fp_journal.h), oldest first, for recovery after a restart (rule J5).
 *
 * Who may call: any process, cold path only (opens, maps and reads files; allocates). The
 * replay is read-only: it never truncates, so it may run while the store appends to the
 * newest file (it then sees a prefix of it, and a record being written is a torn tail).
 */
#ifndef FP_STORE_REPLAY_H
#define FP_STORE_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "fp_store_journal.h"

#define FP_STORE_FILE_SUFFIX ".fpj"

/** What a replay saw. */
struct fp_store_replay_stats {
	uint32_t files;      /**< journal files read */
	uint64_t records;    /**< records handed to the callback */
	uint64_t torn_bytes; /**< bytes of the torn tail of the newest file (0 = clean) */
	char torn_file[256]; /**< that file, "" when clean */
};

/**
 * Called for each record, in file order. @p day is the YYYYMMDD of the file.
 * @return 0 to go on; non-zero stops the replay and becomes its result.
 */
typedef int (*fp_store_replay_fn)(void *arg, const struct fp_store_record *rec, uint32_t day);

/**
 * Replay every journal file of @p instance in @p dir, oldest first.
 *
 * A damaged record in the newest file with no valid record of a higher sequence after it
 * is a torn tail (a crash, or the store's write in progress): the replay stops there,
 * counts its bytes in st->torn_bytes and returns normally. Damage anywhere else (an older
 * file, or valid records after the damage) is -EBADMSG with fp_err text naming the file,
 * the offset and the sequence. No @p dir or no file: 0 records, returns 0.
 *
 * @param st  may be NULL.
 * @return 0, fn's non-zero result, -EBADMSG, -EINVAL (a file of another instance or not a
 *         journal), or another negative errno (I/O), each with fp_err text.
 */
int fp_store_replay(const char *dir, const char *instance, fp_store_replay_fn fn, void *arg,
		    struct fp_store_replay_stats *st);

/**
 * DIR/<instance>-YYYYMMDD.fpj for the UTC day of @p time_ns (ns since the epoch).
 * @return 0, or -ENAMETOOLONG when it does not fit in @p len.
 */
int fp_store_journal_path(char *buf, size_t len, const char *dir, const char *instance,
			  uint64_t time_ns);

/** YYYYMMDD of the UTC day of @p time_ns. */
uint32_t fp_store_day_of(uint64_t time_ns);

/** ns since the epoch of 00:00 UTC of the day after @p time_ns's day. */
uint64_t fp_store_next_midnight(uint64_t time_ns);

/**
 * Path of the newest journal file of @p instance in @p dir into @p buf.
 * @return 1 (found), 0 (none, or no @p dir), or a negative errno with fp_err text.
 */
int fp_store_newest_file(char *buf, size_t len, const char *dir, const char *instance);

#endif /* FP_STORE_REPLAY_H */
