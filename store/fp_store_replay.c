/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_store_replay.c - replay of an instance's journal files, oldest first (see
 * fp_store_replay.h). The torn-tail test is the journal library's own
 * (fp_store_journal_iter_torn), so that recovery on open and replay agree on what is torn.
 *
 * Cold path: any process; opens, maps and reads files, allocates.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fp_err.h"
#include "fp_store_replay.h"

#define NS_PER_DAY (86400ull * 1000000000ull)

uint32_t fp_store_day_of(uint64_t time_ns)
{
	time_t t = (time_t)(time_ns / 1000000000ull);
	struct tm tm;
	gmtime_r(&t, &tm);
	return (uint32_t)(tm.tm_year + 1900) * 10000u + (uint32_t)(tm.tm_mon + 1) * 100u +
	       (uint32_t)tm.tm_mday;
}

uint64_t fp_store_next_midnight(uint64_t time_ns)
{
	return (time_ns / NS_PER_DAY + 1) * NS_PER_DAY;
}

static int path_of_day(char *buf, size_t len, const char *dir, const char *instance, uint32_t day)
{
	int n = snprintf(buf, len, "%s/%s-%08" PRIu32 FP_STORE_FILE_SUFFIX, dir, instance, day);
	if (n < 0 || (size_t)n >= len)
		return fp_err_set(-ENAMETOOLONG, "journal path in '%s' for instance '%s' too long",
				  dir, instance);
	return 0;
}

int fp_store_journal_path(char *buf, size_t len, const char *dir, const char *instance,
			  uint64_t time_ns)
{
	return path_of_day(buf, len, dir, instance, fp_store_day_of(time_ns));
}

/* YYYYMMDD of "<instance>-YYYYMMDD.fpj", or 0 when @name is not such a file. */
static uint32_t day_of_name(const char *name, const char *instance)
{
	size_t ilen = strlen(instance);
	uint32_t day = 0;

	if (strncmp(name, instance, ilen) != 0 || name[ilen] != '-')
		return 0;
	name += ilen + 1;
	for (int i = 0; i < 8; i++) {
		if (name[i] < '0' || name[i] > '9')
			return 0;
		day = day * 10u + (uint32_t)(name[i] - '0');
	}
	return strcmp(name + 8, FP_STORE_FILE_SUFFIX) == 0 ? day : 0;
}

static int cmp_day(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* The days of the journal files of @instance in @dir, sorted; *days is malloc'ed. */
static int list_days(const char *dir, const char *instance, uint32_t **days, size_t *nb)
{
	DIR *d = opendir(dir);
	size_t cap = 0;

	*days = NULL;
	*nb = 0;
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return fp_err_set(-errno, "cannot open journal directory %s: %s", dir,
				  strerror(errno));
	}
	for (struct dirent *e; (e = readdir(d));) {
		uint32_t day = day_of_name(e->d_name, instance);
		if (!day)
			continue;
		if (*nb == cap) {
			cap = cap ? cap * 2 : 16;
			uint32_t *n = realloc(*days, cap * sizeof(**days));
			if (!n) {
				closedir(d);
				free(*days);
				*days = NULL;
				return fp_err_set(-ENOMEM, "no memory to list %s", dir);
			}
			*days = n;
		}
		(*days)[(*nb)++] = day;
	}
	closedir(d);
	if (*nb > 1)
		qsort(*days, *nb, sizeof(**days), cmp_day);
	return 0;
}

int fp_store_newest_file(char *buf, size_t len, const char *dir, const char *instance)
{
	uint32_t *days;
	size_t nb;
	int rc = list_days(dir, instance, &days, &nb);

	if (rc == 0 && nb > 0)
		rc = path_of_day(buf, len, dir, instance, days[nb - 1]) < 0 ? -ENAMETOOLONG : 1;
	free(days);
	return rc;
}

/* Note where the torn tail is (truncated to the field's size: it is for messages). */
static void note_torn(struct fp_store_replay_stats *st, const char *path, uint64_t bytes)
{
	size_t n = strlen(path);
	if (n >= sizeof(st->torn_file))
		n = sizeof(st->torn_file) - 1;
	memcpy(st->torn_file, path, n);
	st->torn_file[n] = '\0';
	st->torn_bytes = bytes;
}

/* Replay one file; @newest allows a torn tail. */
static int replay_file(const char *path, const char *instance, uint32_t day, bool newest,
		       fp_store_replay_fn fn, void *arg, struct fp_store_replay_stats *st)
{
	struct fp_store_journal_iter it;
	struct fp_store_record rec, found;
	struct stat sb;
	int rc;

	/* The store creates a file and then writes its header: a short newest file is torn. */
	if (newest && stat(path, &sb) == 0 && sb.st_size < FP_STORE_HDR_SIZE) {
		note_torn(st, path, (uint64_t)sb.st_size);
		return 0;
	}
	if ((rc = fp_store_journal_iter_open(&it, path)) < 0)
		return rc;
	if (strcmp(it.instance, instance) != 0) {
		rc = fp_err_set(-EINVAL, "%s belongs to instance '%s', not '%s'", path, it.instance,
				instance);
		goto out;
	}
	st->files++;
	while ((rc = fp_store_journal_iter_next(&it, &rec)) == 1) {
		st->records++;
		if ((rc = fn(arg, &rec, day)) != 0)
			goto out;
	}
	if (rc == -EBADMSG) {
		bool torn = fp_store_journal_iter_torn(&it, &found);
		if (newest && torn) {
			note_torn(st, path, it.size - it.off);
			rc = 0;
		} else if (found.seq) {
			rc = fp_err_append(-EBADMSG,
					   "in %s; valid records follow (sequence %" PRIu64
					   " at offset %" PRIu64 "): the journal is damaged",
					   path, found.seq, found.offset);
		} else {
			rc = fp_err_append(-EBADMSG, "in %s: the journal is damaged%s", path,
					   newest ? "" : " (not the newest file)");
		}
	}
out:
	fp_store_journal_iter_close(&it);
	return rc;
}

int fp_store_replay(const char *dir, const char *instance, fp_store_replay_fn fn, void *arg,
		    struct fp_store_replay_stats *st)
{
	struct fp_store_replay_stats local;
	char path[4096];
	uint32_t *days;
	size_t nb;
	int rc;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	if ((rc = list_days(dir, instance, &days, &nb)) < 0)
		return rc;
	for (size_t i = 0; i < nb && rc == 0; i++) {
		if ((rc = path_of_day(path, sizeof(path), dir, instance, days[i])) < 0)
			break;
		rc = replay_file(path, instance, days[i], i + 1 == nb, fn, arg, st);
	}
	free(days);
	return rc;
}
