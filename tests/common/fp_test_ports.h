/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_test_ports.h - ports of its own for a C test (test code only; the shell tests use
 * tests/common/fp_test_ports.sh, the same protocol): one allocator for every test that
 * binds a fixed UDP, multicast or TCP port, so that tests running side by side (ctest -j,
 * the Release and ASan suites at once, `make stress`) never share one. A port derived
 * from the pid did collide: two tests on one multicast port hear each other's feed.
 *
 * The protocol (both implementations): blocks of FP_TEST_PORTS_BLOCK ports at
 * 10000 + 10 k (k = 0..999; below the kernel's ephemeral ports), claimed under an
 * exclusive flock(2) of FP_TEST_PORTS_DIR/.lock by writing the owner's pid into
 * FP_TEST_PORTS_DIR/<first port>. A block whose owner is dead is free again (no release
 * needed: a test killed by a timeout frees its block by dying); a block with one of its
 * first 4 ports bound by anyone else is skipped.
 */
#ifndef FP_TEST_PORTS_H
#define FP_TEST_PORTS_H

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define FP_TEST_PORTS_DIR   "/tmp/fp-e2e-ports"
#define FP_TEST_PORTS_FIRST 10000
#define FP_TEST_PORTS_BLOCK 10
#define FP_TEST_PORTS_NB    1000

/* Is @p port free for a socket of @p type on any address (nothing bound to it)? */
static inline int fp_test_port_free(int type, uint16_t port)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* The pid written in @p path, or 0. */
static inline pid_t fp_test_ports_owner(const char *path)
{
	FILE *f = fopen(path, "r");
	long pid = 0;
	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return (pid_t)pid;
}

/*
 * Claim a block of FP_TEST_PORTS_BLOCK ports for this process (until it exits) and return
 * its first port; 0 (with a message on stderr) when no block is free or the lock folder
 * cannot be used.
 */
static inline uint16_t fp_test_ports_claim(void)
{
	(void)mkdir(FP_TEST_PORTS_DIR, 01777);
	int lk = open(FP_TEST_PORTS_DIR "/.lock", O_RDONLY | O_CREAT | O_CLOEXEC, 0666);
	if (lk < 0 || flock(lk, LOCK_EX) < 0) {
		fprintf(stderr, "fp_test_ports: cannot lock %s/.lock: %s\n", FP_TEST_PORTS_DIR,
			strerror(errno));
		if (lk >= 0)
			close(lk);
		return 0;
	}
	pid_t me = getpid();
	uint16_t got = 0;
	for (unsigned i = 0; i < FP_TEST_PORTS_NB && !got; i++) {
		unsigned b = FP_TEST_PORTS_FIRST +
			     (((unsigned)me + i) % FP_TEST_PORTS_NB) * FP_TEST_PORTS_BLOCK;
		char path[64];
		snprintf(path, sizeof(path), FP_TEST_PORTS_DIR "/%u", b);
		pid_t owner = fp_test_ports_owner(path);
		if (owner > 0 && (kill(owner, 0) == 0 || errno == EPERM))
			continue; /* a live owner */
		int bound = 0;
		for (unsigned p = b; p < b + 4 && !bound; p++)
			bound = !fp_test_port_free(SOCK_STREAM, (uint16_t)p) ||
				!fp_test_port_free(SOCK_DGRAM, (uint16_t)p);
		if (bound)
			continue;
		FILE *f = fopen(path, "w");
		if (!f)
			continue;
		fprintf(f, "%ld\n", (long)me);
		if (fclose(f) == 0)
			got = (uint16_t)b;
	}
	close(lk); /* releases the lock */
	if (!got)
		fprintf(stderr, "fp_test_ports: no free block of ports in %d-%d\n",
			FP_TEST_PORTS_FIRST,
			FP_TEST_PORTS_FIRST + FP_TEST_PORTS_NB * FP_TEST_PORTS_BLOCK - 1);
	return got;
}

#endif /* FP_TEST_PORTS_H */
