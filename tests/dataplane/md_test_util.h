/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * md_test_util.h - helpers shared by the dataplane tests: read a file, drain an rx handle
 * into a digest of its payloads, build MoldUDP64/ITCH captures in memory.
 */
#ifndef MD_TEST_UTIL_H
#define MD_TEST_UTIL_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fp_md_rx.h"
#include "fp_err.h"

#define ITCH_PCAP_DIR FP_SHARED_DATA "/pcap/itch50"

static inline int shared_data_present(void)
{
	struct stat st;
	if (stat(ITCH_PCAP_DIR, &st) != 0) {
		fprintf(stderr, "SKIP: %s is absent (shared test data)\n", ITCH_PCAP_DIR);
		return 0;
	}
	return 1;
}

/* What a backend delivered: packet count, payload bytes, and an FNV-1a digest over them. */
struct rx_digest {
	uint64_t packets;
	uint64_t bytes;
	uint64_t hash;
};

static inline void digest_add(struct rx_digest *d, const uint8_t *p, uint32_t len)
{
	uint64_t h = d->hash ? d->hash : 1469598103934665603ull;
	for (uint32_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	h = (h ^ len) * 1099511628211ull;
	d->hash = h;
	d->packets++;
	d->bytes += len;
}

/* Drain until eof, `want` packets, or `idle_ms` without a packet. */
static inline struct rx_digest rx_drain(struct fp_md_rx *rx, uint64_t want, unsigned idle_ms)
{
	struct rx_digest d = {0};
	struct fp_md_pkt pkts[FP_MD_RX_BURST_MAX];
	struct timespec last, now;
	clock_gettime(CLOCK_MONOTONIC, &last);
	while (!fp_md_rx_eof(rx) && (want == 0 || d.packets < want)) {
		unsigned n = fp_md_rx_burst(rx, pkts, FP_MD_RX_BURST_MAX);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (n)
			last = now;
		else if ((now.tv_sec - last.tv_sec) * 1000 +
				 (now.tv_nsec - last.tv_nsec) / 1000000 >
			 idle_ms)
			break;
		for (unsigned i = 0; i < n; i++)
			digest_add(&d, pkts[i].data, pkts[i].len);
	}
	return d;
}

#endif /* MD_TEST_UTIL_H */
