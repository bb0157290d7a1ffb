/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_util.h - helpers shared by the libFuzzer targets of tests/fuzz/ (test code only:
 * allocates, makes syscalls, aborts on a broken property so that libFuzzer saves the input).
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

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

/* A private folder under /dev/shm (tmpfs: no disk I/O per execution), made once. */
static inline const char *fuzz_tmpdir(void)
{
	static char dir[64];
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/dev/shm/fp-fuzz.XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	return dir;
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
