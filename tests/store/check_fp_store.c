/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_store.c - the journal file: CRC32C, round trip, torn tails at every byte,
 * middle damage refused, bad CRC in the last record, disk full.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fp_err.h"
#include "fp_event.h"
#include "fp_store_journal.h"

static char tmpdir[64];

/* On tmpfs: the recovery is what is tested, not the disk; its fdatasync per open (thousands
 * of cuts below) took ~40 s of this suite on a disk, nothing on tmpfs (same code path). */
static void setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/dev/shm/check_fp_store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "%s/small", tmpdir);
	umount2(cmd, MNT_DETACH); /* left mounted by a failed disk-full test */
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static void path_of(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", tmpdir, name);
}

static void make_event(struct fp_event *ev, uint64_t i)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = FP_EV_ORDER_NEW;
	ev->symbol_id = (uint32_t)(i % 8000);
	ev->seq = i;
	ev->t_rx = i * 7919u;
}

/* Write @n events (64-byte payloads) in batches of 64, fsync on the last one. */
static void write_events(const char *path, uint64_t n)
{
	struct fp_store_journal *j;
	ck_assert_msg(fp_store_journal_open(path, "test", &j) == 0, "%s", fp_err_msg());
	for (uint64_t i = 1; i <= n; i++) {
		struct fp_event ev;
		make_event(&ev, i);
		ck_assert_int_eq(fp_store_journal_append(j, ev.type, &ev, sizeof(ev)), 0);
		if (i % 64 == 0 || i == n)
			ck_assert_int_eq(fp_store_journal_flush(j, i == n), 0);
	}
	ck_assert_int_eq(fp_store_journal_close(j), 0);
}

static off_t file_size(const char *path)
{
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_size;
}

static void copy_prefix(const char *src, const char *dst, off_t len)
{
	static uint8_t buf[1 << 20];
	int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert(in >= 0 && out >= 0);
	ck_assert((size_t)len <= sizeof(buf));
	ck_assert_int_eq(read(in, buf, (size_t)len), len);
	ck_assert_int_eq(write(out, buf, (size_t)len), len);
	close(in);
	close(out);
}

static void poke(const char *path, off_t off, uint8_t xor_mask)
{
	int fd = open(path, O_RDWR);
	uint8_t b;
	ck_assert(fd >= 0);
	ck_assert_int_eq(pread(fd, &b, 1, off), 1);
	b ^= xor_mask;
	ck_assert_int_eq(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

/* Read the whole file; return the record count, check sequences and payloads. */
static uint64_t read_all(const char *path)
{
	struct fp_store_journal_iter it;
	struct fp_store_record r;
	uint64_t n = 0;
	int rc;
	ck_assert_msg(fp_store_journal_iter_open(&it, path) == 0, "%s", fp_err_msg());
	ck_assert_str_eq(it.instance, "test");
	while ((rc = fp_store_journal_iter_next(&it, &r)) == 1) {
		n++;
		ck_assert_uint_eq(r.seq, n);
		ck_assert_uint_eq(r.len, sizeof(struct fp_event));
		struct fp_event ev;
		make_event(&ev, n);
		ck_assert_uint_eq(r.type, FP_EV_ORDER_NEW);
		ck_assert(memcmp(r.payload, &ev, sizeof(ev)) == 0);
	}
	ck_assert_msg(rc == 0, "%s", fp_err_msg());
	fp_store_journal_iter_close(&it);
	return n;
}

#define REC_BYTES (FP_STORE_REC_HDR_SIZE + sizeof(struct fp_event))

START_TEST(test_crc32c_check_value)
{
	ck_assert_uint_eq(fp_store_crc32c("123456789", 9), 0xE3069283u);
	ck_assert_uint_eq(fp_store_crc32c_sw("123456789", 9), 0xE3069283u);
	ck_assert_uint_eq(fp_store_crc32c("", 0), 0);
	/* RFC 3720 B.4: 32 bytes of zeros, of 0xff. */
	uint8_t b[32];
	memset(b, 0, sizeof(b));
	ck_assert_uint_eq(fp_store_crc32c(b, sizeof(b)), 0x8A9136AAu);
	memset(b, 0xff, sizeof(b));
	ck_assert_uint_eq(fp_store_crc32c(b, sizeof(b)), 0x62A8AB43u);
	/* Hardware and table agree on every length and alignment. */
	uint8_t big[300];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 31 + 7);
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len + off <= sizeof(big); len += 13)
			ck_assert_uint_eq(fp_store_crc32c(big + off, len),
					  fp_store_crc32c_sw(big + off, len));
}
END_TEST

START_TEST(test_round_trip_100k)
{
	char path[128];
	path_of(path, sizeof(path), "rt.jrnl");
	write_events(path, 60000);
	/* Reopen, append the rest: sequences continue. */
	struct fp_store_journal *j;
	ck_assert_msg(fp_store_journal_open(path, "test", &j) == 0, "%s", fp_err_msg());
	const struct fp_store_recovery *rec = fp_store_journal_recovery(j);
	ck_assert_uint_eq(rec->records, 60000);
	ck_assert_uint_eq(rec->last_seq, 60000);
	ck_assert_uint_eq(rec->truncated_bytes, 0);
	ck_assert_int_eq(rec->reason, FP_STORE_TAIL_CLEAN);
	ck_assert_uint_eq(fp_store_journal_next_seq(j), 60001);
	for (uint64_t i = 60001; i <= 100000; i++) {
		struct fp_event ev;
		make_event(&ev, i);
		ck_assert_int_eq(fp_store_journal_append(j, ev.type, &ev, sizeof(ev)), 0);
	}
	ck_assert_int_eq(fp_store_journal_flush(j, true), 0);
	ck_assert_uint_eq(fp_store_journal_size(j), FP_STORE_HDR_SIZE + 100000 * REC_BYTES);
	ck_assert_int_eq(fp_store_journal_close(j), 0);
	ck_assert_int_eq(file_size(path), FP_STORE_HDR_SIZE + 100000 * REC_BYTES);
	ck_assert_uint_eq(read_all(path), 100000);
	ck_assert_msg(fp_store_journal_open(path, "test", &j) == 0, "%s", fp_err_msg());
	ck_assert_uint_eq(fp_store_journal_recovery(j)->last_seq, 100000);
	ck_assert_int_eq(fp_store_journal_close(j), 0);
}
END_TEST

START_TEST(test_other_payloads_and_limits)
{
	char path[128];
	path_of(path, sizeof(path), "var.jrnl");
	struct fp_store_journal *j;
	static uint8_t big[FP_STORE_PAYLOAD_MAX + 1];
	memset(big, 0xab, sizeof(big));
	ck_assert_int_eq(fp_store_journal_open(path, "test", &j), 0);
	ck_assert_int_eq(fp_store_journal_append(j, 7, NULL, 0), 0);
	ck_assert_int_eq(fp_store_journal_append(j, 8, big, FP_STORE_PAYLOAD_MAX), 0);
	ck_assert_int_eq(fp_store_journal_append(j, 9, big, FP_STORE_PAYLOAD_MAX + 1), -EINVAL);
	/* More than one batch buffer: appends flush by themselves. */
	for (int i = 0; i < 200; i++)
		ck_assert_int_eq(fp_store_journal_append(j, 10, big, 3000), 0);
	ck_assert_int_eq(fp_store_journal_close(j), 0);
	ck_assert_int_eq(fp_store_journal_open(path, "other", &j), -EINVAL);
	ck_assert_msg(strstr(fp_err_msg(), "instance 'test'") != NULL, "%s", fp_err_msg());
	ck_assert_int_eq(fp_store_journal_open(path, "test", &j), 0);
	ck_assert_uint_eq(fp_store_journal_recovery(j)->records, 202);
	ck_assert_int_eq(fp_store_journal_close(j), 0);
	struct fp_store_journal_iter it;
	struct fp_store_record r;
	ck_assert_int_eq(fp_store_journal_iter_open(&it, path), 0);
	ck_assert_int_eq(fp_store_journal_iter_next(&it, &r), 1);
	ck_assert_uint_eq(r.type, 7);
	ck_assert_uint_eq(r.len, 0);
	ck_assert_int_eq(fp_store_journal_iter_next(&it, &r), 1);
	ck_assert_uint_eq(r.type, 8);
	ck_assert_uint_eq(r.len, FP_STORE_PAYLOAD_MAX);
	ck_assert(memcmp(r.payload, big, FP_STORE_PAYLOAD_MAX) == 0);
	fp_store_journal_iter_close(&it);
	/* Not a journal. */
	path_of(path, sizeof(path), "junk");
	FILE *f = fopen(path, "w");
	fprintf(f, "%0100d", 0);
	fclose(f);
	ck_assert_int_eq(fp_store_journal_open(path, "test", &j), -EINVAL);
	ck_assert_int_eq(fp_store_journal_iter_open(&it, path), -EINVAL);
}
END_TEST

/* A journal read from memory: the same records as from its file, and the same refusals
 * (too short, damaged header, a torn record). */
START_TEST(test_iter_mem_reads_what_iter_open_reads)
{
	char path[128];
	path_of(path, sizeof(path), "mem.jrnl");
	write_events(path, 100);
	off_t size = file_size(path);
	uint8_t *buf = malloc((size_t)size);
	ck_assert_ptr_nonnull(buf);
	int fd = open(path, O_RDONLY);
	ck_assert(fd >= 0);
	ck_assert_int_eq(pread(fd, buf, (size_t)size, 0), size);
	close(fd);
	struct fp_store_journal_iter it;
	struct fp_store_record r;
	ck_assert_msg(fp_store_journal_iter_mem(&it, buf, (size_t)size, "mem") == 0, "%s",
		      fp_err_msg());
	ck_assert_str_eq(it.instance, "test");
	uint64_t n = 0;
	int rc;
	while ((rc = fp_store_journal_iter_next(&it, &r)) == 1) {
		n++;
		struct fp_event ev;
		make_event(&ev, n);
		ck_assert_uint_eq(r.seq, n);
		ck_assert(memcmp(r.payload, &ev, sizeof(ev)) == 0);
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(n, read_all(path));
	fp_store_journal_iter_close(&it);
	/* A torn last record: the reader stops there with -EBADMSG, as on the file. */
	ck_assert_int_eq(fp_store_journal_iter_mem(&it, buf, (size_t)size - 3, "mem"), 0);
	for (n = 0; (rc = fp_store_journal_iter_next(&it, &r)) == 1;)
		n++;
	ck_assert_int_eq(rc, -EBADMSG);
	ck_assert_uint_eq(n, 99);
	fp_store_journal_iter_close(&it);
	/* Shorter than a header; a damaged header. */
	ck_assert_int_eq(fp_store_journal_iter_mem(&it, buf, FP_STORE_HDR_SIZE - 1, "mem"),
			 -EINVAL);
	buf[1] ^= 0xff;
	ck_assert_int_lt(fp_store_journal_iter_mem(&it, buf, (size_t)size, "mem"), 0);
	ck_assert_msg(strstr(fp_err_msg(), "mem") != NULL, "%s", fp_err_msg());
	free(buf);
	unlink(path);
}
END_TEST

/* Cut the last record at every byte: open keeps the previous ones and reports the cut. */
static void torn_tail_every_byte(uint32_t last_len)
{
	char full[128], cut[128];
	path_of(full, sizeof(full), "full.jrnl");
	path_of(cut, sizeof(cut), "cut.jrnl");
	unlink(full);
	write_events(full, 10);
	struct fp_store_journal *j;
	static uint8_t payload[FP_STORE_PAYLOAD_MAX];
	memset(payload, 0x5a, sizeof(payload));
	ck_assert_int_eq(fp_store_journal_open(full, "test", &j), 0);
	ck_assert_int_eq(fp_store_journal_append(j, 3, payload, last_len), 0);
	ck_assert_int_eq(fp_store_journal_close(j), 0);
	off_t good = FP_STORE_HDR_SIZE + 10 * (off_t)REC_BYTES;
	off_t size = file_size(full);
	ck_assert_int_eq(size, good + FP_STORE_REC_HDR_SIZE + last_len);
	for (off_t len = good + 1; len < size; len++) {
		copy_prefix(full, cut, len);
		int rc = fp_store_journal_open(cut, "test", &j);
		ck_assert_msg(rc == 0, "cut at %lld: %s", (long long)len, fp_err_msg());
		const struct fp_store_recovery *rec = fp_store_journal_recovery(j);
		ck_assert_uint_eq(rec->records, 10);
		ck_assert_uint_eq(rec->last_seq, 10);
		ck_assert_uint_eq(rec->truncated_bytes, (uint64_t)(len - good));
		ck_assert_uint_eq(rec->truncated_at, (uint64_t)good);
		ck_assert_int_eq(rec->reason, FP_STORE_TAIL_SHORT);
		ck_assert_uint_eq(fp_store_journal_next_seq(j), 11);
		ck_assert_int_eq(fp_store_journal_close(j), 0);
		ck_assert_int_eq(file_size(cut), good);
		ck_assert_uint_eq(read_all(cut), 10);
	}
}

START_TEST(test_torn_tail_every_byte)
{
	torn_tail_every_byte(sizeof(struct fp_event));
	torn_tail_every_byte(FP_STORE_PAYLOAD_MAX);
}
END_TEST

START_TEST(test_torn_file_header)
{
	char path[128];
	path_of(path, sizeof(path), "hdr.jrnl");
	write_events(path, 1);
	ck_assert_int_eq(truncate(path, 40), 0);
	struct fp_store_journal *j;
	ck_assert_msg(fp_store_journal_open(path, "test", &j) == 0, "%s", fp_err_msg());
	ck_assert_int_eq(fp_store_journal_recovery(j)->reason, FP_STORE_TAIL_TORN_HEADER);
	ck_assert_uint_eq(fp_store_journal_recovery(j)->truncated_bytes, 40);
	ck_assert_int_eq(fp_store_journal_close(j), 0);
	ck_assert_uint_eq(read_all(path), 0);
}
END_TEST

START_TEST(test_middle_corruption_refused)
{
	char path[128];
	path_of(path, sizeof(path), "mid.jrnl");
	write_events(path, 1000);
	/* One byte of the payload of record 500, then one of the length of record 700. */
	off_t rec500 = FP_STORE_HDR_SIZE + 499 * (off_t)REC_BYTES;
	off_t rec700 = FP_STORE_HDR_SIZE + 699 * (off_t)REC_BYTES;
	struct fp_store_journal *j = NULL;
	char want[64];
	for (int k = 0; k < 2; k++) {
		off_t at = k == 0 ? rec500 : rec700;
		poke(path, at + (k == 0 ? 30 : 1), 0x10);
		ck_assert_int_eq(fp_store_journal_open(path, "test", &j), -EBADMSG);
		ck_assert_ptr_null(j);
		snprintf(want, sizeof(want), "at offset %lld, sequence %d expected", (long long)at,
			 k == 0 ? 500 : 700);
		ck_assert_msg(strstr(fp_err_msg(), want) != NULL, "%s", fp_err_msg());
		ck_assert_int_eq(file_size(path), FP_STORE_HDR_SIZE + 1000 * REC_BYTES);
		poke(path, at + (k == 0 ? 30 : 1), 0x10); /* repair */
		ck_assert_uint_eq(read_all(path), 1000);
	}
	/* A sequence break (two records swapped) is refused too. */
	static uint8_t buf[2 * REC_BYTES];
	int fd = open(path, O_RDWR);
	ck_assert_int_eq(pread(fd, buf, sizeof(buf), rec500), sizeof(buf));
	ck_assert_int_eq(pwrite(fd, buf + REC_BYTES, REC_BYTES, rec500), REC_BYTES);
	ck_assert_int_eq(pwrite(fd, buf, REC_BYTES, rec500 + REC_BYTES), REC_BYTES);
	close(fd);
	ck_assert_int_eq(fp_store_journal_open(path, "test", &j), -EBADMSG);
	ck_assert_msg(strstr(fp_err_msg(), "sequence break") != NULL, "%s", fp_err_msg());
	struct fp_store_journal_iter it;
	struct fp_store_record r;
	ck_assert_int_eq(fp_store_journal_iter_open(&it, path), 0);
	for (int i = 0; i < 499; i++)
		ck_assert_int_eq(fp_store_journal_iter_next(&it, &r), 1);
	ck_assert_int_eq(fp_store_journal_iter_next(&it, &r), -EBADMSG);
	fp_store_journal_iter_close(&it);
}
END_TEST

START_TEST(test_bad_crc_last_record_truncated)
{
	char path[128];
	path_of(path, sizeof(path), "crc.jrnl");
	write_events(path, 100);
	off_t last = FP_STORE_HDR_SIZE + 99 * (off_t)REC_BYTES;
	poke(path, last + FP_STORE_REC_OFF_CRC, 0x01);
	struct fp_store_journal_iter it;
	struct fp_store_record r;
	ck_assert_int_eq(fp_store_journal_iter_open(&it, path), 0);
	for (int i = 0; i < 99; i++)
		ck_assert_int_eq(fp_store_journal_iter_next(&it, &r), 1);
	ck_assert_int_eq(fp_store_journal_iter_next(&it, &r), -EBADMSG);
	ck_assert_msg(strstr(fp_err_msg(), "bad CRC") != NULL, "%s", fp_err_msg());
	fp_store_journal_iter_close(&it);
	struct fp_store_journal *j;
	ck_assert_msg(fp_store_journal_open(path, "test", &j) == 0, "%s", fp_err_msg());
	const struct fp_store_recovery *rec = fp_store_journal_recovery(j);
	ck_assert_uint_eq(rec->records, 99);
	ck_assert_uint_eq(rec->last_seq, 99);
	ck_assert_uint_eq(rec->truncated_bytes, REC_BYTES);
	ck_assert_int_eq(rec->reason, FP_STORE_TAIL_BAD_CRC);
	/* Appending again continues at 100. */
	struct fp_event ev;
	make_event(&ev, 100);
	ck_assert_int_eq(fp_store_journal_append(j, ev.type, &ev, sizeof(ev)), 0);
	ck_assert_int_eq(fp_store_journal_close(j), 0);
	ck_assert_uint_eq(read_all(path), 100);
	/* Garbage (bad length) after the last record is a torn tail as well. */
	int fd = open(path, O_WRONLY | O_APPEND);
	uint8_t junk[50];
	memset(junk, 0xee, sizeof(junk));
	ck_assert_int_eq(write(fd, junk, sizeof(junk)), sizeof(junk));
	close(fd);
	ck_assert_int_eq(fp_store_journal_open(path, "test", &j), 0);
	ck_assert_int_eq(fp_store_journal_recovery(j)->reason, FP_STORE_TAIL_BAD_LENGTH);
	ck_assert_uint_eq(fp_store_journal_recovery(j)->truncated_bytes, sizeof(junk));
	ck_assert_int_eq(fp_store_journal_close(j), 0);
}
END_TEST

START_TEST(test_disk_full)
{
	char dir[128], path[160];
	path_of(dir, sizeof(dir), "small");
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	if (mount("tmpfs", dir, "tmpfs", 0, "size=64k") != 0) {
		fprintf(stderr,
			"check_fp_store: disk-full test SKIPPED: cannot mount a tmpfs: %s\n",
			strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/full.jrnl", dir);
	struct fp_store_journal *j;
	ck_assert_int_eq(fp_store_journal_open(path, "test", &j), 0);
	uint64_t i = 0, flushed = 0;
	int rc = 0;
	while (rc == 0 && i < 100000) {
		struct fp_event ev;
		make_event(&ev, ++i);
		ck_assert_int_eq(fp_store_journal_append(j, ev.type, &ev, sizeof(ev)), 0);
		if (i % 64 == 0) {
			rc = fp_store_journal_flush(j, true);
			if (rc == 0)
				flushed = i;
		}
	}
	ck_assert_int_eq(rc, -ENOSPC);
	ck_assert_msg(strstr(fp_err_msg(), "No space left") != NULL, "%s", fp_err_msg());
	ck_assert_uint_gt(flushed, 0);
	ck_assert_uint_eq(fp_store_journal_size(j), FP_STORE_HDR_SIZE + flushed * REC_BYTES);
	ck_assert_int_eq(file_size(path), FP_STORE_HDR_SIZE + flushed * REC_BYTES);
	/* The batch stays buffered: still failing, still nothing partial on disk. */
	ck_assert_int_eq(fp_store_journal_flush(j, false), -ENOSPC);
	ck_assert_int_eq(fp_store_journal_close(j), -ENOSPC);
	ck_assert_uint_eq(read_all(path), flushed);
	ck_assert_int_eq(fp_store_journal_open(path, "test", &j), 0);
	ck_assert_int_eq(fp_store_journal_recovery(j)->reason, FP_STORE_TAIL_CLEAN);
	ck_assert_uint_eq(fp_store_journal_recovery(j)->last_seq, flushed);
	ck_assert_int_eq(fp_store_journal_close(j), 0);
	ck_assert_int_eq(umount(dir), 0);
}
END_TEST

static Suite *fp_store_suite(void)
{
	Suite *s = suite_create("fp_store");
	TCase *tc = tcase_create("journal");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_crc32c_check_value);
	tcase_add_test(tc, test_round_trip_100k);
	tcase_add_test(tc, test_other_payloads_and_limits);
	tcase_add_test(tc, test_iter_mem_reads_what_iter_open_reads);
	tcase_add_test(tc, test_torn_tail_every_byte);
	tcase_add_test(tc, test_torn_file_header);
	tcase_add_test(tc, test_middle_corruption_refused);
	tcase_add_test(tc, test_bad_crc_last_record_truncated);
	tcase_add_test(tc, test_disk_full);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fp_store_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
