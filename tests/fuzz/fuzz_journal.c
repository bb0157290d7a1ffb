/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_journal.c - libFuzzer target for the journal file reader and its recovery
 * (store/fp_store_journal: fp_store_journal_iter_* as `fastpath-ctl journal dump/load` and
 * the replay read it, fp_store_journal_open as the store opens it at start), with torn and
 * hostile files.
 *
 * Input: one mode byte, then the file. Mode 0 takes the file as it is; mode 1 first
 * rewrites the header CRC; mode 2 also rewrites the CRC of every record it can walk (so the
 * fuzzer reaches lengths, sequences and torn tails instead of stopping at a checksum).
 * Properties: the reader returns records inside the file with sequences 1, 2, 3...; open
 * either refuses (the message names the damage) or keeps exactly the records the reader
 * returned before the damage, and then the file reads clean to its end, takes one more
 * record with the next sequence, and reads clean again. The input is read in memory
 * (fp_store_journal_iter_mem: fp_store_journal_iter_open's reader without the file); only
 * open, its recovery and the append go through a file (tmpfs), read back with pread.
 * Seeds: journals written by tests/store_pg/pg_mkjournal at build time, whole and cut.
 */
#include <errno.h>
#include <sys/stat.h>

#include "fp_err.h"
#include "fp_store_journal.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* Mode 1/2: make the checksums right so that the structure is what gets tested. */
static void fix_crcs(uint8_t *f, size_t size, int records)
{
	if (size < FP_STORE_HDR_SIZE)
		return;
	put32(f + FP_STORE_HDR_OFF_CRC, fp_store_crc32c(f, FP_STORE_HDR_OFF_CRC));
	for (size_t off = FP_STORE_HDR_SIZE; records && off + FP_STORE_REC_HDR_SIZE <= size;) {
		uint32_t len = get32(f + off);
		if (len > FP_STORE_PAYLOAD_MAX || off + FP_STORE_REC_HDR_SIZE + len > size)
			break;
		uint32_t c = fp_store_crc32c_update(~0u, f + off, FP_STORE_REC_OFF_CRC);
		c = ~fp_store_crc32c_update(c, f + off + FP_STORE_REC_HDR_SIZE, len);
		put32(f + off + FP_STORE_REC_OFF_CRC, c);
		off += FP_STORE_REC_HDR_SIZE + len;
	}
}

/* Read the journal of @p size bytes at @p buf to its end: the records in sequence; *clean
 * when the end is clean. */
static uint64_t read_all(const uint8_t *buf, size_t size, bool *clean, char *instance)
{
	struct fp_store_journal_iter it;
	struct fp_store_record rec;
	uint64_t nb = 0;
	int rc;
	*clean = false;
	if (fp_store_journal_iter_mem(&it, buf, size, "fuzz journal") < 0)
		return UINT64_MAX;
	if (instance)
		snprintf(instance, FP_STORE_INSTANCE_MAX, "%s", it.instance);
	while ((rc = fp_store_journal_iter_next(&it, &rec)) == 1) {
		CHECK(rec.seq == nb + 1);
		CHECK(rec.len <= FP_STORE_PAYLOAD_MAX);
		CHECK(rec.offset >= FP_STORE_HDR_SIZE &&
		      rec.offset + FP_STORE_REC_HDR_SIZE + rec.len <= size);
		CHECK((const uint8_t *)rec.payload == it.map + rec.offset + FP_STORE_REC_HDR_SIZE);
		nb++;
	}
	CHECK(rc == 0 || rc == -EBADMSG);
	*clean = rc == 0;
	if (rc < 0) {
		struct fp_store_record found;
		(void)fp_store_journal_iter_torn(&it, &found);
	}
	fp_store_journal_iter_close(&it);
	return nb;
}

/* What the file at @p path holds now (its whole size must be @p expect), read with pread,
 * through read_all() (no mapping per execution: mmap/munmap were most of the time). */
static uint64_t read_file(const char *path, size_t expect, bool *clean)
{
	static uint8_t *buf; /* grows to the largest file seen */
	static size_t cap;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	struct stat st;
	CHECK(fstat(fd, &st) == 0 && (size_t)st.st_size == expect);
	if (expect > cap) {
		free(buf);
		cap = expect;
		buf = malloc(cap);
		CHECK(buf != NULL);
	}
	CHECK(pread(fd, buf, expect, 0) == (ssize_t)expect);
	close(fd);
	return read_all(buf, expect, clean, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (1u << 20))
		return 0;
	int mode = data[0] % 3;
	size--;
	uint8_t *f = malloc(size ? size : 1);
	CHECK(f != NULL);
	memcpy(f, data + 1, size);
	if (mode)
		fix_crcs(f, size, mode == 2);
	char path[128], instance[FP_STORE_INSTANCE_MAX];
	bool clean;
	uint64_t before = read_all(f, size, &clean, instance);
	if (before == UINT64_MAX || !instance[0]) {
		free(f);
		return 0; /* header refused: nothing more to read */
	}
	snprintf(path, sizeof(path), "%s/j.fpj", fuzz_tmpdir());
	fuzz_write_file(path, f, size);
	free(f);

	struct fp_store_journal *j;
	if (fp_store_journal_open(path, instance, &j) < 0) {
		CHECK(fp_err_msg()[0] != '\0');
		return 0;
	}
	const struct fp_store_recovery *r = fp_store_journal_recovery(j);
	CHECK(r->records == before && r->last_seq == before);
	CHECK(fp_store_journal_next_seq(j) == before + 1);
	CHECK(!clean || r->truncated_bytes == 0);
	size_t kept = (size_t)fp_store_journal_size(j);
	bool clean2;
	CHECK(read_file(path, kept, &clean2) == before && clean2);
	static const uint8_t payload[64] = {1, 2, 3};
	CHECK(fp_store_journal_append(j, 7, payload, sizeof(payload)) == 0);
	CHECK(fp_store_journal_flush(j, false) == 0);
	CHECK(fp_store_journal_close(j) == 0);
	CHECK(read_file(path, kept + FP_STORE_REC_HDR_SIZE + sizeof(payload), &clean2) ==
		      before + 1 &&
	      clean2);
	return 0;
}
