/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_util.h - helpers shared by the libFuzzer targets of tests/fuzz/ (test code only:
 * allocates, makes syscalls, aborts on a broken property so that libFuzzer saves the input).
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A property that must hold for every input: abort (libFuzzer keeps the input) if not. */
#define CHECK(cond)                                                                         \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                     \
			abort();                                                            \
		}                                                                           \
	} while (0)

static char fuzz_tmpdir_path[256]; /* the folder of fuzz_tmpdir() */

/* At exit (a run that reached its -runs or -max_total_time, a merge): the folder and the
 * files the target wrote in it go. A crash leaves them; tests/fuzz/run.sh puts every
 * target's folder inside one of its own (FP_FUZZ_TMP) and removes that whatever happens. */
static inline void fuzz_tmpdir_remove(void)
{
	DIR *d = opendir(fuzz_tmpdir_path);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				(void)unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	(void)rmdir(fuzz_tmpdir_path);
}

/* A private folder, made once: under $FP_FUZZ_TMP when set, else /dev/shm (tmpfs: no disk
 * I/O per execution); flat (files only), removed at exit. */
static inline const char *fuzz_tmpdir(void)
{
	if (!fuzz_tmpdir_path[0]) {
		const char *parent = getenv("FP_FUZZ_TMP");
		snprintf(fuzz_tmpdir_path, sizeof(fuzz_tmpdir_path), "%s/fp-fuzz.XXXXXX",
			 parent && parent[0] ? parent : "/dev/shm");
		if (!mkdtemp(fuzz_tmpdir_path))
			abort();
		atexit(fuzz_tmpdir_remove);
	}
	return fuzz_tmpdir_path;
}

/* Write @p len bytes to @p path (created or truncated, mode 0600). */
static inline void fuzz_write_file(const char *path, const uint8_t *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, data + off, len - off);
		CHECK(n > 0);
		off += (size_t)n;
	}
	close(fd);
}

#endif /* FUZZ_UTIL_H */
