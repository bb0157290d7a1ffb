/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * itch_test_util.h - helpers shared by the tests of tests/proto_itch: load a file of
 * ../shared/data into memory, skip when the data folder is absent, walk the MoldUDP64
 * messages of a capture.
 *
 * Test code only (allocates, reads files).
 */
#ifndef ITCH_TEST_UTIL_H
#define ITCH_TEST_UTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fp_mold.h"
#include "fp_net.h"
#include "fp_pcap.h"

/** Path of a file of the shared data folder (static buffer: test code only). */
static inline const char *td_path(const char *rel)
{
	static char path[1024];
	snprintf(path, sizeof(path), "%s/%s", FP_SHARED_DATA, rel);
	return path;
}

/** True when the shared data folder exists; prints why a test skips otherwise. */
static inline int td_have_data(void)
{
	struct stat st;
	if (stat(FP_SHARED_DATA, &st) == 0 && S_ISDIR(st.st_mode))
		return 1;
	fprintf(stderr, "skip: shared data folder %s is absent\n", FP_SHARED_DATA);
	return 0;
}

/** Whole file in a malloc'ed buffer (caller frees); fails the test when unreadable. */
static inline uint8_t *td_load(const char *rel, size_t *len)
{
	const char *path = td_path(rel);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/** One MoldUDP64 message of a capture. */
struct td_msg {
	const uint8_t *msg;
	uint16_t len;
	uint64_t seq;
	char session[FP_MOLD_SESSION_LEN + 1];
	uint16_t count; /**< message_count of its packet */
	uint16_t dst_port;
};

/** Every message of every UDP/MoldUDP64 packet of a capture into @p out; returns the count. */
static inline unsigned td_pcap_msgs(const uint8_t *buf, size_t len, struct td_msg *out,
				    unsigned max)
{
	struct fp_pcap p;
	struct fp_pcap_rec rec;
	unsigned n = 0;
	ck_assert_int_eq(fp_pcap_open(&p, buf, len), 0);
	while (fp_pcap_next(&p, &rec) == FP_PCAP_OK) {
		struct fp_net_pkt pkt;
		ck_assert_int_eq(fp_net_parse_link(p.linktype, rec.data, rec.caplen, &pkt),
				 FP_NET_OK);
		ck_assert_uint_eq(pkt.ip_proto, FP_IP_PROTO_UDP);
		struct fp_mold_pkt mp;
		ck_assert_int_eq(fp_mold_parse(pkt.payload, pkt.payload_len, &mp), FP_MOLD_OK);
		struct fp_mold_iter it;
		fp_mold_iter_init(&it, &mp);
		struct td_msg m;
		while (n < max && fp_mold_iter_next(&it, &m.msg, &m.len, &m.seq) == FP_MOLD_OK) {
			memcpy(m.session, mp.session, FP_MOLD_SESSION_LEN);
			m.session[FP_MOLD_SESSION_LEN] = 0;
			m.count = mp.message_count;
			m.dst_port = pkt.dst_port;
			out[n++] = m;
		}
	}
	return n;
}

#endif /* ITCH_TEST_UTIL_H */
