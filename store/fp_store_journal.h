/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_store_journal.h - the journal file: an append-only file of CRC32C-checked, sequenced
 * records, with recovery of a torn tail on open and a reader that iterates over it.
 *
 * Who may call: the store stage's own worker (cold path: it blocks, allocates and makes
 * syscalls; never call it from a hot loop) and offline tools (dump, load). One writer per
 * file; readers of a file that a writer appends to see a prefix of it.
 *
 * File layout, little-endian, packed (no padding anywhere):
 *
 *   File header (64 bytes, at offset 0)
 *   OFFSET  SIZE  DESCRIPTION
 *   0       8     magic "FPJRNL01" (no NUL)
 *   8       4     version, FP_STORE_JOURNAL_VERSION
 *   12      4     header size in bytes (64)
 *   16      8     creation time, nanoseconds since the Unix epoch (CLOCK_REALTIME)
 *   24      32    instance name, NUL-padded (at most 31 characters)
 *   56      4     CRC32C of bytes 0..55
 *   60      4     reserved, 0
 *
 *   Record (20-byte header + payload), records follow each other from offset 64
 *   OFFSET  SIZE  DESCRIPTION
 *   0       4     length of the payload in bytes, 0..FP_STORE_PAYLOAD_MAX
 *   4       2     type (the producer's type, e.g. enum fp_ev_type for a struct fp_event)
 *   6       2     flags (the producer, enum fp_jrnl_src of shm/fp_journal.h; 0 = none)
 *   8       8     sequence: 1 for the first record of the file, then +1 per record
 *   16      4     CRC32C of bytes 0..15 of this header followed by the payload
 *   20      len   payload (a 64-byte struct fp_event, or any bytes)
 *
 * The CRC covers the length too, so a damaged length is caught like a damaged payload.
 *
 * Recovery on open (fp_store_journal_open): records are checked from the start. At the first
 * record that is short (extends past the end of the file), has an impossible length or a
 * bad CRC, the rest of the file is searched, at every byte offset, for a valid record with
 * a higher sequence. None: the damage is a torn tail (a crash during a write); it is
 * truncated away and reported in struct fp_store_recovery. One found: the damage is in the
 * middle, nothing is truncated and open fails with -EBADMSG and a message naming the
 * offset and the sequence expected there. A valid record whose sequence is not the previous
 * one + 1 also fails with -EBADMSG. (A payload that itself holds a valid journal record
 * after a torn point would be taken for middle damage: open refuses rather than truncates.)
 */
#ifndef FP_STORE_JOURNAL_H
#define FP_STORE_JOURNAL_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FP_STORE_JOURNAL_MAGIC   "FPJRNL01"
#define FP_STORE_JOURNAL_VERSION 1
#define FP_STORE_HDR_SIZE        64   /**< file header bytes */
#define FP_STORE_REC_HDR_SIZE    20   /**< record header bytes */
#define FP_STORE_PAYLOAD_MAX     4096 /**< largest payload of one record */
#define FP_STORE_INSTANCE_MAX    32   /**< instance field bytes, NUL included */
/* Issue 18: the journal holds every order, fill and P&L. Its owner writes, the configured
 * group (the segment's) reads, others nothing: files 0640, directories the store creates
 * 0750, whatever the umask. */
#define FP_STORE_FILE_MODE       0640
#define FP_STORE_DIR_MODE        0750

/* Offsets of the fields above, for code and static_asserts. */
#define FP_STORE_HDR_OFF_MAGIC    0
#define FP_STORE_HDR_OFF_VERSION  8
#define FP_STORE_HDR_OFF_HDRSIZE  12
#define FP_STORE_HDR_OFF_CREATED  16
#define FP_STORE_HDR_OFF_INSTANCE 24
#define FP_STORE_HDR_OFF_CRC      56
#define FP_STORE_REC_OFF_LEN      0
#define FP_STORE_REC_OFF_TYPE     4
#define FP_STORE_REC_OFF_FLAGS    6
#define FP_STORE_REC_OFF_SEQ      8
#define FP_STORE_REC_OFF_CRC      16

static_assert(FP_STORE_HDR_OFF_INSTANCE + FP_STORE_INSTANCE_MAX == FP_STORE_HDR_OFF_CRC,
	      "instance ends where the header CRC starts");
static_assert(FP_STORE_HDR_OFF_CRC + 8 == FP_STORE_HDR_SIZE, "file header is 64 bytes");
static_assert(FP_STORE_REC_OFF_CRC + 4 == FP_STORE_REC_HDR_SIZE, "record header is 20 bytes");

/** How the tail of the file was found on open. */
enum fp_store_tail {
	FP_STORE_TAIL_CLEAN = 0,  /**< every byte belonged to a valid record */
	FP_STORE_TAIL_SHORT,      /**< the last record extends past the end of the file */
	FP_STORE_TAIL_BAD_LENGTH, /**< a record's length is above FP_STORE_PAYLOAD_MAX */
	FP_STORE_TAIL_BAD_CRC,    /**< a record's CRC does not match */
	FP_STORE_TAIL_TORN_HEADER /**< the file was shorter than its header: rewritten */
};

/** What open found and did; all zero (CLEAN) for a new file. */
struct fp_store_recovery {
	uint64_t records;         /**< valid records kept */
	uint64_t last_seq;        /**< sequence of the last valid record (0 = none) */
	uint64_t truncated_bytes; /**< bytes cut from the end of the file */
	uint64_t truncated_at;    /**< file size after the cut (= offset of the damage) */
	enum fp_store_tail reason;
};

/** One record as the reader returns it; payload points into the reader's mapping. */
struct fp_store_record {
	uint64_t seq;
	uint64_t offset; /**< of the record header in the file */
	uint16_t type;
	uint16_t flags;
	uint32_t len;
	const void *payload;
};

struct fp_store_journal;

/** CRC32C (Castagnoli, reflected, init and final xor ~0) of @p len bytes; SSE4.2 if built
 *  with it, else the table. fp_store_crc32c_sw() is always the table version. Any thread. */
uint32_t fp_store_crc32c(const void *buf, size_t len);
uint32_t fp_store_crc32c_sw(const void *buf, size_t len);
/** Continue a CRC: crc = fp_store_crc32c_update(~0u, ...); ... result = ~crc. */
uint32_t fp_store_crc32c_update(uint32_t crc, const void *buf, size_t len);

/** Short text of a tail reason ("clean", "short record", ...). */
const char *fp_store_tail_str(enum fp_store_tail reason);

/**
 * Create @p path with a header naming @p instance, or open it for append after recovery
 * (see the file comment). An existing file of another instance is refused (-EINVAL).
 * @return 0 and *jp, or a negative errno with fp_err_msg(): -EBADMSG for middle damage.
 */
int fp_store_journal_open(const char *path, const char *instance, struct fp_store_journal **jp);

/** What open found (valid until close). */
const struct fp_store_recovery *fp_store_journal_recovery(const struct fp_store_journal *j);

/** Sequence that the next appended record will get. */
uint64_t fp_store_journal_next_seq(const struct fp_store_journal *j);

/** File offset up to which records are written (and, after a flush with fsync, durable). */
uint64_t fp_store_journal_size(const struct fp_store_journal *j);

/**
 * Add one record to the batch in memory; nothing is written until the next flush, except
 * that a full batch buffer (FP_STORE_BATCH_BYTES) is flushed without fsync first.
 * @return 0, -EINVAL (len > FP_STORE_PAYLOAD_MAX), or the error of that implicit flush.
 */
int fp_store_journal_append(struct fp_store_journal *j, uint16_t type, const void *payload,
			    uint32_t len);

/** fp_store_journal_append() with the record's @p flags (the producer, fp_journal.h). */
int fp_store_journal_append_flags(struct fp_store_journal *j, uint16_t type, uint16_t flags,
				  const void *payload, uint32_t len);

#define FP_STORE_BATCH_BYTES (256u * 1024u)

/**
 * Write the batch with one write() (more only after a short write), then fdatasync() if
 * @p sync. On failure (-ENOSPC, -EIO...) the file is truncated back to its last good size,
 * so that no partial record is visible, and the batch stays in memory for a later retry.
 * @return 0 or a negative errno with fp_err_msg().
 */
int fp_store_journal_flush(struct fp_store_journal *j, bool sync);

/** Flush (without fsync) and close; NULL is accepted. @return the flush's result. */
int fp_store_journal_close(struct fp_store_journal *j);

/** Reader over a journal file (a read-only mapping of the file as it was at open). */
struct fp_store_journal_iter {
	int fd;
	bool mapped; /* map is ours (iter_open), not the caller's buffer (iter_mem) */
	const uint8_t *map;
	size_t size;
	size_t off;
	uint64_t last_seq;
	uint64_t created_ns;
	char instance[FP_STORE_INSTANCE_MAX];
};

/** Open @p path for reading and check its header. @return 0 or a negative errno. */
int fp_store_journal_iter_open(struct fp_store_journal_iter *it, const char *path);

/**
 * Read a journal held in memory (@p size bytes at @p buf, which must outlive the iterator;
 * @p name names it in messages): the same header check and record reader as
 * fp_store_journal_iter_open(), without a file (a copy in memory, the fuzz target's input).
 * fp_store_journal_iter_close() leaves the buffer alone. @return 0 or a negative errno.
 */
int fp_store_journal_iter_mem(struct fp_store_journal_iter *it, const void *buf, size_t size,
			      const char *name);

/**
 * Next record into @p rec.
 * @return 1 (a record), 0 (clean end of file), or -EBADMSG with fp_err_msg() naming the
 *         offset (a damaged or torn record, or a sequence break); the iterator stays there.
 */
int fp_store_journal_iter_next(struct fp_store_journal_iter *it, struct fp_store_record *rec);

/**
 * After fp_store_journal_iter_next() returned -EBADMSG: is the damage at the iterator's
 * position a torn tail? The test of fp_store_journal_open's recovery, without truncating.
 * @return true when the record there is damaged (not a valid record out of sequence) and
 *         no valid record with a higher sequence follows it anywhere in the file; false
 *         otherwise, with *found the first such record (found->seq = 0 when the record at
 *         the position is valid but out of sequence).
 */
bool fp_store_journal_iter_torn(const struct fp_store_journal_iter *it,
				struct fp_store_record *found);

void fp_store_journal_iter_close(struct fp_store_journal_iter *it);

#endif /* FP_STORE_JOURNAL_H */
