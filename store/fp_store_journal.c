/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_store_journal.c - journal file writer with tail recovery, and its reader (see
 * fp_store_journal.h for the layout and the recovery rules).
 *
 * Cold path: the store stage's worker and tools only; blocks, allocates, makes syscalls.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fp_err.h"
#include "fp_store_journal.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the journal is little-endian");

struct fp_store_journal {
	int fd;
	uint64_t good_off; /* bytes of the file that hold valid records */
	uint64_t next_seq;
	uint8_t *buf; /* batch: whole records, not written yet */
	size_t len;
	uint32_t nrec; /* records in buf */
	struct fp_store_recovery rec;
	char path[4096];
};

/* Little-endian accessors (x86 is little-endian: plain unaligned copies). */
static uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

const char *fp_store_tail_str(enum fp_store_tail reason)
{
	switch (reason) {
	case FP_STORE_TAIL_CLEAN:
		return "clean";
	case FP_STORE_TAIL_SHORT:
		return "short record";
	case FP_STORE_TAIL_BAD_LENGTH:
		return "bad length";
	case FP_STORE_TAIL_BAD_CRC:
		return "bad CRC";
	case FP_STORE_TAIL_TORN_HEADER:
		return "torn file header";
	}
	return "?";
}

static uint32_t rec_crc(const uint8_t *hdr, const uint8_t *payload, uint32_t len)
{
	uint32_t c = fp_store_crc32c_update(~0u, hdr, FP_STORE_REC_OFF_CRC);
	return ~fp_store_crc32c_update(c, payload, len);
}

/* Check the record at @off; CLEAN when valid (whatever its sequence). */
static enum fp_store_tail rec_check(const uint8_t *map, size_t size, size_t off,
				    struct fp_store_record *r)
{
	if (size - off < FP_STORE_REC_HDR_SIZE)
		return FP_STORE_TAIL_SHORT;
	const uint8_t *h = map + off;
	uint32_t len = get32(h + FP_STORE_REC_OFF_LEN);
	if (len > FP_STORE_PAYLOAD_MAX)
		return FP_STORE_TAIL_BAD_LENGTH;
	if (size - off - FP_STORE_REC_HDR_SIZE < len)
		return FP_STORE_TAIL_SHORT;
	if (rec_crc(h, h + FP_STORE_REC_HDR_SIZE, len) != get32(h + FP_STORE_REC_OFF_CRC))
		return FP_STORE_TAIL_BAD_CRC;
	r->seq = get64(h + FP_STORE_REC_OFF_SEQ);
	r->offset = off;
	r->type = get16(h + FP_STORE_REC_OFF_TYPE);
	r->flags = get16(h + FP_STORE_REC_OFF_FLAGS);
	r->len = len;
	r->payload = h + FP_STORE_REC_HDR_SIZE;
	return FP_STORE_TAIL_CLEAN;
}

/* Is there a valid record with a sequence above @last_seq anywhere after @off? */
static bool valid_after(const uint8_t *map, size_t size, size_t off, uint64_t last_seq,
			struct fp_store_record *found)
{
	for (size_t p = off + 1; p + FP_STORE_REC_HDR_SIZE <= size; p++)
		if (rec_check(map, size, p, found) == FP_STORE_TAIL_CLEAN && found->seq > last_seq)
			return true;
	return false;
}

static void hdr_build(uint8_t *h, const char *instance, uint64_t created_ns)
{
	uint32_t version = FP_STORE_JOURNAL_VERSION, hsize = FP_STORE_HDR_SIZE;
	memset(h, 0, FP_STORE_HDR_SIZE);
	memcpy(h + FP_STORE_HDR_OFF_MAGIC, FP_STORE_JOURNAL_MAGIC, 8);
	memcpy(h + FP_STORE_HDR_OFF_VERSION, &version, 4);
	memcpy(h + FP_STORE_HDR_OFF_HDRSIZE, &hsize, 4);
	memcpy(h + FP_STORE_HDR_OFF_CREATED, &created_ns, 8);
	memcpy(h + FP_STORE_HDR_OFF_INSTANCE, instance, strlen(instance));
	uint32_t crc = fp_store_crc32c(h, FP_STORE_HDR_OFF_CRC);
	memcpy(h + FP_STORE_HDR_OFF_CRC, &crc, 4);
}

static int hdr_check(const uint8_t *h, size_t size, const char *path)
{
	if (size < FP_STORE_HDR_SIZE || memcmp(h, FP_STORE_JOURNAL_MAGIC, 8) != 0)
		return fp_err_set(-EINVAL, "%s is not a journal (no FPJRNL01 header)", path);
	if (fp_store_crc32c(h, FP_STORE_HDR_OFF_CRC) != get32(h + FP_STORE_HDR_OFF_CRC))
		return fp_err_set(-EBADMSG, "%s: journal header CRC does not match", path);
	if (get32(h + FP_STORE_HDR_OFF_VERSION) != FP_STORE_JOURNAL_VERSION)
		return fp_err_set(-EINVAL, "%s: journal version %" PRIu32 ", expected %d", path,
				  get32(h + FP_STORE_HDR_OFF_VERSION), FP_STORE_JOURNAL_VERSION);
	if (h[FP_STORE_HDR_OFF_CRC - 1] != '\0')
		return fp_err_set(-EBADMSG, "%s: instance name is not terminated", path);
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t len, uint64_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ENOSPC;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int new_file(struct fp_store_journal *j, const char *instance, uint64_t old_size)
{
	struct timespec ts;
	uint8_t h[FP_STORE_HDR_SIZE];
	clock_gettime(CLOCK_REALTIME, &ts);
	hdr_build(h, instance, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
	int rc = write_all(j->fd, h, sizeof(h), 0);
	if (rc == 0 && ftruncate(j->fd, FP_STORE_HDR_SIZE) < 0)
		rc = -errno;
	if (rc == 0 && fdatasync(j->fd) < 0)
		rc = -errno;
	if (rc < 0)
		return fp_err_set(rc, "cannot write the header of %s: %s", j->path, strerror(-rc));
	if (old_size > 0) {
		j->rec.reason = FP_STORE_TAIL_TORN_HEADER;
		j->rec.truncated_bytes = old_size;
	}
	j->rec.truncated_at = FP_STORE_HDR_SIZE;
	j->good_off = FP_STORE_HDR_SIZE;
	return 0;
}

/* Check every record of an existing file; truncate a torn tail; refuse middle damage. */
static int recover(struct fp_store_journal *j, const char *instance, size_t size)
{
	void *m = mmap(NULL, size, PROT_READ, MAP_SHARED, j->fd, 0);
	if (m == MAP_FAILED)
		return fp_err_set(-errno, "cannot map %s: %s", j->path, strerror(errno));
	const uint8_t *map = m;
	int rc = hdr_check(map, size, j->path);
	if (rc == 0 && strcmp((const char *)map + FP_STORE_HDR_OFF_INSTANCE, instance) != 0)
		rc = fp_err_set(-EINVAL, "%s belongs to instance '%s', not '%s'", j->path,
				(const char *)map + FP_STORE_HDR_OFF_INSTANCE, instance);
	size_t off = FP_STORE_HDR_SIZE;
	struct fp_store_record r;
	uint64_t last = 0, n = 0;
	enum fp_store_tail why = FP_STORE_TAIL_CLEAN;
	while (rc == 0 && off < size) {
		why = rec_check(map, size, off, &r);
		if (why != FP_STORE_TAIL_CLEAN)
			break;
		if (r.seq != last + 1) {
			rc = fp_err_set(-EBADMSG,
					"%s: sequence break at offset %zu: sequence %" PRIu64
					" follows %" PRIu64,
					j->path, off, r.seq, last);
			break;
		}
		last = r.seq;
		n++;
		off += FP_STORE_REC_HDR_SIZE + r.len;
	}
	if (rc == 0 && why != FP_STORE_TAIL_CLEAN && valid_after(map, size, off, last, &r))
		rc = fp_err_set(-EBADMSG,
				"%s: corrupt record (%s) at offset %zu, sequence %" PRIu64
				" expected; valid records follow (sequence %" PRIu64
				" at offset %" PRIu64 "): refusing to recover",
				j->path, fp_store_tail_str(why), off, last + 1, r.seq, r.offset);
	munmap(m, size);
	if (rc < 0)
		return rc;
	if (off < size && ftruncate(j->fd, (off_t)off) < 0)
		return fp_err_set(-errno, "cannot truncate %s to %zu: %s", j->path, off,
				  strerror(errno));
	if (off < size && fdatasync(j->fd) < 0)
		return fp_err_set(-errno, "cannot sync %s: %s", j->path, strerror(errno));
	j->rec = (struct fp_store_recovery){.records = n,
					    .last_seq = last,
					    .truncated_bytes = size - off,
					    .truncated_at = off,
					    .reason = why};
	j->good_off = off;
	j->next_seq = last + 1;
	return 0;
}

int fp_store_journal_open(const char *path, const char *instance, struct fp_store_journal **jp)
{
	*jp = NULL;
	if (!instance || !*instance || strlen(instance) >= FP_STORE_INSTANCE_MAX)
		return fp_err_set(-EINVAL, "instance name must have 1..%d characters",
				  FP_STORE_INSTANCE_MAX - 1);
	struct fp_store_journal *j = calloc(1, sizeof(*j));
	if (!j || !(j->buf = malloc(FP_STORE_BATCH_BYTES))) {
		free(j);
		return fp_err_set(-ENOMEM, "no memory for the journal of %s", path);
	}
	snprintf(j->path, sizeof(j->path), "%s", path);
	j->next_seq = 1;
	int rc = 0;
	struct stat st;
	j->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, FP_STORE_FILE_MODE);
	if (j->fd < 0)
		rc = fp_err_set(-errno, "cannot open journal %s: %s", path, strerror(errno));
	else if (fstat(j->fd, &st) < 0)
		rc = fp_err_set(-errno, "cannot stat %s: %s", path, strerror(errno));
	else if (st.st_uid == geteuid() && (st.st_mode & 07777) != FP_STORE_FILE_MODE &&
		 fchmod(j->fd, FP_STORE_FILE_MODE) < 0) /* the umask, or an older 0644 file */
		rc = fp_err_set(-errno, "chmod 0640 %s: %s", path, strerror(errno));
	else if (st.st_size < FP_STORE_HDR_SIZE)
		rc = new_file(j, instance, (uint64_t)st.st_size);
	else
		rc = recover(j, instance, (size_t)st.st_size);
	if (rc < 0) {
		if (j->fd >= 0)
			close(j->fd);
		free(j->buf);
		free(j);
		return rc;
	}
	*jp = j;
	return 0;
}

const struct fp_store_recovery *fp_store_journal_recovery(const struct fp_store_journal *j)
{
	return &j->rec;
}

uint64_t fp_store_journal_next_seq(const struct fp_store_journal *j)
{
	return j->next_seq + j->nrec;
}

uint64_t fp_store_journal_size(const struct fp_store_journal *j)
{
	return j->good_off;
}

int fp_store_journal_append(struct fp_store_journal *j, uint16_t type, const void *payload,
			    uint32_t len)
{
	return fp_store_journal_append_flags(j, type, 0, payload, len);
}

int fp_store_journal_append_flags(struct fp_store_journal *j, uint16_t type, uint16_t flags,
				  const void *payload, uint32_t len)
{
	if (len > FP_STORE_PAYLOAD_MAX || (len && !payload))
		return fp_err_set(-EINVAL, "journal payload of %" PRIu32 " bytes (max %d)", len,
				  FP_STORE_PAYLOAD_MAX);
	if (j->len + FP_STORE_REC_HDR_SIZE + len > FP_STORE_BATCH_BYTES) {
		int rc = fp_store_journal_flush(j, false);
		if (rc < 0)
			return rc;
	}
	uint8_t *h = j->buf + j->len;
	uint64_t seq = j->next_seq + j->nrec;
	memcpy(h + FP_STORE_REC_OFF_LEN, &len, 4);
	memcpy(h + FP_STORE_REC_OFF_TYPE, &type, 2);
	memcpy(h + FP_STORE_REC_OFF_FLAGS, &flags, 2);
	memcpy(h + FP_STORE_REC_OFF_SEQ, &seq, 8);
	if (len)
		memcpy(h + FP_STORE_REC_HDR_SIZE, payload, len);
	uint32_t crc = rec_crc(h, h + FP_STORE_REC_HDR_SIZE, len);
	memcpy(h + FP_STORE_REC_OFF_CRC, &crc, 4);
	j->len += FP_STORE_REC_HDR_SIZE + len;
	j->nrec++;
	return 0;
}

int fp_store_journal_flush(struct fp_store_journal *j, bool sync)
{
	int rc = 0;
	if (j->len > 0)
		rc = write_all(j->fd, j->buf, j->len, j->good_off);
	if (rc == 0 && sync && fdatasync(j->fd) < 0)
		rc = -errno;
	if (rc < 0) {
		/* Cut whatever part of the batch reached the file; keep the batch for a retry. */
		int trc = ftruncate(j->fd, (off_t)j->good_off) < 0 ? -errno : 0;
		fp_err_set(rc,
			   "cannot write %u journal records (%zu bytes) to %s at offset %" PRIu64
			   ": %s",
			   j->nrec, j->len, j->path, j->good_off, strerror(-rc));
		if (trc < 0)
			fp_err_append(rc, "and cannot truncate it back: %s", strerror(-trc));
		return rc;
	}
	j->good_off += j->len;
	j->next_seq += j->nrec;
	j->len = 0;
	j->nrec = 0;
	return 0;
}

int fp_store_journal_close(struct fp_store_journal *j)
{
	if (!j)
		return 0;
	int rc = fp_store_journal_flush(j, false);
	close(j->fd);
	free(j->buf);
	free(j);
	return rc;
}

/* The header of the journal at it->map: checked, its fields taken; records from after it. */
static int iter_start(struct fp_store_journal_iter *it, const char *name)
{
	int rc = hdr_check(it->map, it->size, name);
	if (rc < 0)
		return rc;
	it->created_ns = get64(it->map + FP_STORE_HDR_OFF_CREATED);
	memcpy(it->instance, it->map + FP_STORE_HDR_OFF_INSTANCE, FP_STORE_INSTANCE_MAX);
	it->off = FP_STORE_HDR_SIZE;
	return 0;
}

int fp_store_journal_iter_open(struct fp_store_journal_iter *it, const char *path)
{
	struct stat st;
	memset(it, 0, sizeof(*it));
	it->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (it->fd < 0)
		return fp_err_set(-errno, "cannot open journal %s: %s", path, strerror(errno));
	int rc = 0;
	if (fstat(it->fd, &st) < 0)
		rc = fp_err_set(-errno, "cannot stat %s: %s", path, strerror(errno));
	else if (st.st_size < FP_STORE_HDR_SIZE)
		rc = fp_err_set(-EINVAL, "%s is not a journal (%lld bytes)", path,
				(long long)st.st_size);
	if (rc == 0) {
		it->size = (size_t)st.st_size;
		void *m = mmap(NULL, it->size, PROT_READ, MAP_SHARED, it->fd, 0);
		if (m == MAP_FAILED)
			rc = fp_err_set(-errno, "cannot map %s: %s", path, strerror(errno));
		else
			it->map = m;
		it->mapped = it->map != NULL;
	}
	if (rc == 0)
		rc = iter_start(it, path);
	if (rc < 0) {
		fp_store_journal_iter_close(it);
		return rc;
	}
	return 0;
}

int fp_store_journal_iter_mem(struct fp_store_journal_iter *it, const void *buf, size_t size,
			      const char *name)
{
	memset(it, 0, sizeof(*it));
	it->fd = -1;
	if (size < FP_STORE_HDR_SIZE)
		return fp_err_set(-EINVAL, "%s is not a journal (%zu bytes)", name, size);
	it->map = buf;
	it->size = size;
	int rc = iter_start(it, name);
	if (rc < 0)
		fp_store_journal_iter_close(it);
	return rc;
}

int fp_store_journal_iter_next(struct fp_store_journal_iter *it, struct fp_store_record *rec)
{
	if (it->off >= it->size)
		return 0;
	enum fp_store_tail why = rec_check(it->map, it->size, it->off, rec);
	if (why != FP_STORE_TAIL_CLEAN)
		return fp_err_set(-EBADMSG,
				  "journal record at offset %zu (sequence %" PRIu64 "): %s",
				  it->off, it->last_seq + 1, fp_store_tail_str(why));
	if (rec->seq != it->last_seq + 1)
		return fp_err_set(-EBADMSG,
				  "journal sequence break at offset %zu: %" PRIu64
				  " follows %" PRIu64,
				  it->off, rec->seq, it->last_seq);
	it->last_seq = rec->seq;
	it->off += FP_STORE_REC_HDR_SIZE + rec->len;
	return 1;
}

bool fp_store_journal_iter_torn(const struct fp_store_journal_iter *it,
				struct fp_store_record *found)
{
	memset(found, 0, sizeof(*found));
	if (it->off >= it->size)
		return false;
	if (rec_check(it->map, it->size, it->off, found) == FP_STORE_TAIL_CLEAN) {
		found->seq = 0; /* a valid record out of sequence: not a torn write */
		return false;
	}
	return !valid_after(it->map, it->size, it->off, it->last_seq, found);
}

void fp_store_journal_iter_close(struct fp_store_journal_iter *it)
{
	if (it->map && it->mapped)
		munmap((void *)it->map, it->size);
	if (it->fd >= 0)
		close(it->fd);
	it->map = NULL;
	it->mapped = false;
	it->fd = -1;
}
