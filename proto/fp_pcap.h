/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_pcap.h - capture files read over an in-memory buffer: classic libpcap (microsecond
 * and nanosecond, either byte order) and pcapng (what Wireshark and dumpcap write by
 * default); classic pcap headers written.
 *
 * Pure, no I/O, no allocation: callers mmap or read the file and pass the bytes. Any thread.
 * The reader walks the records in order and reports a record cut short at the end of the
 * buffer (a truncated capture) instead of returning the partial bytes. One API for both
 * formats: fp_pcap_open() recognises the format, fp_pcap_next() returns packets.
 *
 * pcapng (draft-ietf-opsawg-pcapng): a file is blocks {type u32, total length u32, body,
 * total length u32}, 32-bit aligned, in the byte order of the section they belong to. The
 * reader learns:
 *   SHB 0x0A0D0D0A  section header: byte-order magic 0x1A2B3C4D (either order), version
 *                   1.x; starts a new section (interfaces forgotten)
 *   IDB 0x00000001  interface: link type, snap length, options if_tsresol (9) and
 *                   if_tsoffset (14); up to FP_PCAPNG_MAX_IF a section
 *   EPB 0x00000006  enhanced packet: interface, 64-bit timestamp in the interface's units
 *   SPB 0x00000003  simple packet: interface 0, no timestamp (ts_ns 0), captured length =
 *                   min(original length, snap length, what the block holds)
 *   OPB 0x00000002  obsolete packet block (as EPB, 16-bit interface id)
 * Every other block (name resolution, statistics, decryption secrets, custom) is skipped.
 * fp_pcap.linktype and .snaplen are those of the first interface of the file (read at
 * open); a packet carries its own interface's link type in fp_pcap_rec.linktype.
 *
 * File header (24 bytes), in the byte order given by the magic:
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       4     magic_number   0xA1B2C3D4 (µs) or 0xA1B23C4D (ns), as written by the host
 *   4       2     version_major  2
 *   6       2     version_minor  4
 *   8       4     thiszone       GMT offset, 0 in practice
 *   12      4     sigfigs        0
 *   16      4     snaplen        largest record the capture keeps
 *   20      4     network        link type (LINKTYPE_ETHERNET = 1, see fp_net.h)
 *
 * Record header (16 bytes), then incl_len bytes of frame:
 *
 *   OFFSET  SIZE  DESCRIPTION
 *   0       4     ts_sec    seconds since the epoch
 *   4       4     ts_usec   microseconds, or nanoseconds in a nanosecond file
 *   8       4     incl_len  bytes of the frame saved in the file
 *   12      4     orig_len  bytes of the frame on the wire
 */
#ifndef FP_PCAP_H
#define FP_PCAP_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "fp_compiler.h"

#define FP_PCAP_MAGIC_US     0xA1B2C3D4u
#define FP_PCAP_MAGIC_NS     0xA1B23C4Du
#define FP_PCAPNG_MAGIC      0x0A0D0D0Au /**< section header block type */
#define FP_PCAP_FILE_HDR_LEN 24
#define FP_PCAP_REC_HDR_LEN  16
/** Records larger than this are treated as corruption whatever the snaplen says. */
#define FP_PCAP_MAX_RECORD   (256u * 1024u)

#define FP_PCAPNG_BOM       0x1A2B3C4Du /**< SHB byte-order magic */
#define FP_PCAPNG_BT_IDB    0x00000001u
#define FP_PCAPNG_BT_OPB    0x00000002u
#define FP_PCAPNG_BT_SPB    0x00000003u
#define FP_PCAPNG_BT_EPB    0x00000006u
#define FP_PCAPNG_MAX_IF    16 /**< interfaces per section */
/** Blocks larger than this (headers and options included) are corruption. */
#define FP_PCAPNG_MAX_BLOCK (FP_PCAP_MAX_RECORD + 64u * 1024u)

struct fp_pcap_file_hdr {
	uint32_t magic_number;
	uint16_t version_major;
	uint16_t version_minor;
	int32_t thiszone;
	uint32_t sigfigs;
	uint32_t snaplen;
	uint32_t network;
} FP_PACKED;
static_assert(sizeof(struct fp_pcap_file_hdr) == FP_PCAP_FILE_HDR_LEN, "pcap file header");
static_assert(offsetof(struct fp_pcap_file_hdr, snaplen) == 16, "pcap snaplen offset");
static_assert(offsetof(struct fp_pcap_file_hdr, network) == 20, "pcap network offset");

struct fp_pcap_rec_hdr {
	uint32_t ts_sec;
	uint32_t ts_usec;
	uint32_t incl_len;
	uint32_t orig_len;
} FP_PACKED;
static_assert(sizeof(struct fp_pcap_rec_hdr) == FP_PCAP_REC_HDR_LEN, "pcap record header");
static_assert(offsetof(struct fp_pcap_rec_hdr, incl_len) == 8, "pcap incl_len offset");

/** Reader state over one in-memory capture (caller memory; no fini needed). */
struct fp_pcap {
	const uint8_t *buf; /**< the whole file */
	size_t len;         /**< bytes in buf */
	size_t pos;         /**< offset of the next record header */
	uint64_t nb_rec;    /**< records returned so far */
	uint32_t linktype;  /**< network field of the file header */
	uint32_t snaplen;
	uint8_t swapped;    /**< file written in the other byte order */
	uint8_t nanosecond; /**< ts_usec holds nanoseconds */
	uint16_t version_major;
	uint16_t version_minor;
	/* pcapng only */
	uint8_t ng;     /**< 1: the buffer is pcapng */
	uint32_t nb_if; /**< interfaces of the current section */
	struct fp_pcapng_if {
		uint32_t linktype;
		uint32_t snaplen;
		uint64_t units;   /**< timestamp units per second (if_tsresol; 10^6 by default) */
		int64_t offset_s; /**< if_tsoffset: seconds added to every timestamp */
	} ifs[FP_PCAPNG_MAX_IF];
};

/** One record: points into the caller's buffer. */
struct fp_pcap_rec {
	const uint8_t *data; /**< incl_len bytes of frame */
	uint32_t caplen;     /**< incl_len */
	uint32_t origlen;    /**< orig_len (> caplen when the snap length cut the frame) */
	uint64_t ts_ns;      /**< capture time, nanoseconds since the epoch */
	uint64_t index;      /**< 0-based record number */
	uint32_t linktype;   /**< the record's link type (pcapng: its interface's) */
	uint32_t interface;  /**< pcapng interface id in its section; 0 for classic pcap */
};

/** What fp_pcap_next() found. */
enum fp_pcap_result {
	FP_PCAP_OK = 0,    /**< @p rec holds the next record */
	FP_PCAP_END,       /**< clean end of the capture */
	FP_PCAP_TRUNCATED, /**< the last record (or its header) is cut short: the file ends early */
	FP_PCAP_CORRUPT,   /**< a record length beyond any sane snap length; pcapng: a block
			      whose lengths disagree, an unknown interface, a bad section */
};

/** Magic of the buffer: 1 classic pcap, 2 pcapng, 0 neither. Any thread; pure. */
int fp_pcap_probe(const void *buf, size_t len);

/**
 * Start reading the capture in @p buf (the whole file). Cold path.
 *
 * @return 0, or -EINVAL when @p buf is neither a classic pcap nor a pcapng (or a pcapng
 *         whose first section has no interface before its first packet; the message,
 *         through fp_err, says which), -EPROTO for an unknown major version.
 */
int fp_pcap_open(struct fp_pcap *p, const void *buf, size_t len);

/** Next record; on anything but FP_PCAP_OK the reader stays where it is. Any thread. */
enum fp_pcap_result fp_pcap_next(struct fp_pcap *p, struct fp_pcap_rec *rec);

/** Back to the first record. */
void fp_pcap_rewind(struct fp_pcap *p);

/**
 * Write a native-byte-order file header into @p buf (FP_PCAP_FILE_HDR_LEN bytes).
 * @param nanosecond  non-zero for a nanosecond capture
 */
void fp_pcap_write_file_hdr(void *buf, uint32_t linktype, uint32_t snaplen, int nanosecond);

/** Write a native-byte-order record header (FP_PCAP_REC_HDR_LEN bytes); ts in ns since epoch. */
void fp_pcap_write_rec_hdr(void *buf, uint64_t ts_ns, uint32_t caplen, uint32_t origlen,
			   int nanosecond);

const char *fp_pcap_result_str(enum fp_pcap_result r);

#endif /* FP_PCAP_H */
