/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_md.h - the pieces of the fastpath-md command: reading a market-data file (classic
 * pcap or pcapng of MoldUDP64, or a raw ITCH 5.0 file of u16-length-prefixed messages) message by
 * message with MoldUDP64 session accounting, and the sub-command handlers.
 *
 * Cold path, CLI process only: opens and maps files, allocates nothing per message, and the
 * sub-command handlers print to stdout/stderr (they are main()'s helpers; the walker itself
 * never prints). Single-threaded.
 */
#ifndef FP_CTL_MD_H
#define FP_CTL_MD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fp_itch.h"
#include "fp_mold.h"

/** What a file holds, as detected by fp_ctl_md_file_open(). */
enum fp_ctl_md_format {
	FP_CTL_MD_PCAP = 1, /**< classic pcap or pcapng; UDP payloads are MoldUDP64 packets */
	FP_CTL_MD_ITCH,     /**< raw ITCH: u16 BE length, then the message */
};

/** A mapped input file. */
struct fp_ctl_md_file {
	const uint8_t *buf;
	size_t len;
	enum fp_ctl_md_format format;
	const char *path;
};

/**
 * Map @p path read-only and detect its format. Cold path.
 * @return 0; -errno when it cannot be opened or mapped; -EINVAL when it is empty, or
 *         neither a capture (classic pcap or pcapng) nor a raw ITCH 5.0 file (fp_err_msg()
 *         says which).
 */
int fp_ctl_md_file_open(struct fp_ctl_md_file *f, const char *path);

/** Unmap. fp_ctl_md_file_close(NULL) is a no-op. Pair of fp_ctl_md_file_open(). */
void fp_ctl_md_file_close(struct fp_ctl_md_file *f);

/** One message handed to the walker's callback. */
struct fp_ctl_md_msg {
	const uint8_t *msg;         /**< from the type byte on */
	uint32_t len;               /**< its framed length */
	enum fp_itch_result result; /**< fp_itch_check() of it; only OK ones are counted */
	uint8_t has_seq;            /**< a MoldUDP64 sequence number is known */
	uint8_t duplicate;          /**< sequence number already seen in this session */
	uint64_t seq;               /**< MoldUDP64 sequence number (has_seq) */
	const char *session;        /**< 10 bytes, NULL for raw ITCH files */
	uint64_t ts_ns;             /**< pcap capture time, 0 for raw files */
	uint64_t offset;            /**< byte offset of the message in the file */
};

/** Accounting of one MoldUDP64 session. */
struct fp_ctl_md_session {
	char name[FP_MOLD_SESSION_LEN];
	uint64_t first_seq;   /**< first sequence number seen */
	uint64_t next_seq;    /**< one past the highest seen (expected next) */
	uint64_t messages;    /**< messages delivered, duplicates included */
	uint64_t packets;     /**< data packets */
	uint64_t heartbeats;  /**< packets with message_count 0 */
	uint64_t unsequenced; /**< messages of packets with sequence number 0 (zeroed captures) */
	uint8_t ended;        /**< end-of-session packet seen */
};

#define FP_CTL_MD_MAX_SESSIONS 64

/** Totals of a walk. */
struct fp_ctl_md_stats {
	uint64_t messages;     /**< well-formed ITCH messages */
	uint64_t by_type[256]; /**< well-formed messages per type byte */
	uint64_t errors;       /**< bad ITCH messages and bad framing (Mold, pcap, IP) */
	uint64_t gaps;         /**< MoldUDP64 sequence jumps forward */
	uint64_t missing;      /**< messages skipped by those jumps */
	uint64_t duplicates;   /**< messages whose sequence number was already seen */
	uint64_t packets;      /**< pcap records */
	uint64_t skipped;      /**< records not taken (not UDP, other port, not IPv4) */
	uint64_t zero_len;     /**< raw ITCH messages whose length prefix was 0 */
	uint8_t truncated;     /**< the file ends inside a record, a message or the pcap header */
	uint8_t corrupt;       /**< a pcap record length beyond any snap length stopped the walk */
	uint32_t corrupt_len;  /**< that length */
	uint64_t corrupt_offset; /**< offset of that record's header */
	uint8_t stopped;         /**< the callback asked to stop */
	uint32_t nb_sessions;
	uint64_t sessions_dropped; /**< packets of sessions beyond FP_CTL_MD_MAX_SESSIONS */
	struct fp_ctl_md_session sessions[FP_CTL_MD_MAX_SESSIONS];
};

/** Callback: return 0 to go on, non-zero to stop the walk. */
typedef int (*fp_ctl_md_msg_fn)(void *ctx, const struct fp_ctl_md_msg *m);

/**
 * Walk every message of a file in order, calling @p fn for each one (well-formed or not: see
 * fp_ctl_md_msg.result), and fill @p st. For pcaps, only UDP datagrams to @p port are read
 * (@p port < 0: every UDP payload), as MoldUDP64.
 * @return 0 (problems in the data are counted in @p st, not returned)
 */
int fp_ctl_md_walk(const struct fp_ctl_md_file *f, int port, fp_ctl_md_msg_fn fn, void *ctx,
		   struct fp_ctl_md_stats *st);

/* ---- sub-commands: int handler(int argc, char **argv), argv[0] = the sub-command ---- */

/* fastpath-md dump FILE [--type A,E] [--port N] */
int fp_ctl_md_dump(int argc, char **argv);
void fp_ctl_md_dump_usage(FILE *out);

/* fastpath-md book FILE --symbol S [--depth N] [--json] (fp_ctl_md_book.c) */
int fp_ctl_md_book(int argc, char **argv);
void fp_ctl_md_book_usage(FILE *out);

#endif /* FP_CTL_MD_H */
