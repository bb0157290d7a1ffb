/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_md_gen.h - a synthetic ITCH 5.0 feed in MoldUDP64 packets, and pcap images of it, for
 * tests, benchmarks and demos.
 *
 * Cold path only: allocates, any thread. Messages are encoded with proto/fp_itch.h and
 * packed with proto/fp_mold.h (the project's one codec per protocol); the pcap image uses
 * proto/fp_pcap.h's writers around Ethernet/IPv4/UDP headers. The stream is a function of
 * the seed: the same config gives the same bytes.
 */
#ifndef FP_MD_GEN_H
#define FP_MD_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fp_md_gen_cfg {
	uint64_t nb_msgs;     /**< messages in the feed (a system event and a directory first) */
	uint32_t max_per_pkt; /**< most messages per packet (1..; packets stay <= 1400 bytes) */
	uint32_t nb_symbols;  /**< stock locates 1..nb_symbols */
	uint64_t seed;
	char session[10];
	uint64_t first_seq; /**< sequence number of the first message (0 = 1) */
	uint32_t dst_addr;  /**< pcap image: UDP destination, host order */
	uint16_t dst_port;
	uint64_t ts0_ns;          /**< pcap image: capture time of the first packet */
	uint64_t pkt_interval_ns; /**< pcap image: capture time between packets */
};

/** The feed: packet i is buf[off[i] .. off[i] + len[i]) (a whole MoldUDP64 datagram). */
struct fp_md_feed {
	uint8_t *buf;
	size_t buf_len;
	uint64_t *off;
	uint32_t *len;
	uint64_t *first_seq; /**< sequence number of packet i's first message */
	uint16_t *count;     /**< messages in packet i */
	uint64_t nb_pkts;
	uint64_t nb_msgs;
	uint64_t by_type[64]; /**< messages per type, index type - 'A' */
	struct fp_md_gen_cfg cfg;
};

/** Build a feed. @return 0, -EINVAL or -ENOMEM (fp_err says which). */
int fp_md_gen_feed(struct fp_md_feed *f, const struct fp_md_gen_cfg *cfg);

/** Free what fp_md_gen_feed() allocated (the struct itself is the caller's). */
void fp_md_gen_free(struct fp_md_feed *f);

/**
 * Write a nanosecond pcap image (Ethernet, optionally one VLAN tag, IPv4, UDP) of the
 * packets for which @p keep returns true (NULL = all). *out is malloc'ed; free() it.
 * @return 0 or -ENOMEM
 */
int fp_md_gen_pcap(const struct fp_md_feed *f, bool vlan, bool (*keep)(uint64_t i, void *arg),
		   void *arg, uint8_t **out, size_t *out_len);

/** Write @p len bytes of @p buf to @p path. @return 0 or a negative errno. */
int fp_md_gen_write_file(const char *path, const void *buf, size_t len);

#endif /* FP_MD_GEN_H */
