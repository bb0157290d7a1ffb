/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_md.h - the md stage: receive bursts (one or two lines of one MoldUDP64 session),
 * sequence them, normalize each ITCH 5.0 message into a struct fp_event and push it, with
 * its t_rx, into the md ring(s).
 *
 * Stage shape (design.md §2): fp_md_init() (cold: opens the receive backends and the
 * retransmission transport, allocates), fp_md_poll() (hot, on the md core: no allocation,
 * no syscall except the backend's own receive and, only while a gap is open, the
 * retransmission request and its answers), fp_md_fini(). One thread per struct fp_md.
 *
 * Events are normalized straight into reserved ring slots (fp_ring_reserve/commit, no copy)
 * and committed at the end of each poll. Rings: events go to rings[symbol_id % nb_rings];
 * FP_EV_MD_STALE for symbol 0 (a gap given up on) goes to every ring. A full ring is an
 * overrun: the event is dropped and counted, its symbol is marked, and FP_EV_MD_STALE (reason
 * FP_STALE_OVERRUN) for that symbol is pushed as soon as the ring has room, before any newer
 * event of that ring.
 *
 * Live versus history (design.md §2). The stage is in one of four states (fp_md_state):
 *
 *   LIVE --a gap opens, or the first packet is beyond first_seq--> RECOVERING or SNAPSHOT
 *   RECOVERING --the gap is filled and the buffer drained (caught up)--> LIVE
 *   RECOVERING --a gap given up (stale timeout), snapshot server configured--> SNAPSHOT
 *   RECOVERING --a gap given up, no snapshot server--> BROKEN (stays stale)
 *   SNAPSHOT --snapshot loaded, live packets buffered meanwhile--> RECOVERING
 *
 * Entering RECOVERING or SNAPSHOT pushes FP_EV_MD_STALE for symbol 0 (every symbol) with
 * reason FP_STALE_RECOVERING, or FP_STALE_REBUILD when the books must start over (nothing
 * delivered yet by this stage: a late join, a restart; or a snapshot), and marks every
 * symbol stale in the symbol table; every event pushed until LIVE carries FP_EVF_REPLAY;
 * back to LIVE pushes FP_STALE_RECOVERED (t_rx 0: no tick-to-trade sample is taken from it)
 * and clears the marks. Counters (fp_md_stats) say which path was taken and how long it
 * took; the transitions are few and the stage's host logs them (fp_md_transition).
 */
#ifndef FP_MD_H
#define FP_MD_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include "fp_event.h"
#include "fp_md_mold.h"
#include "fp_md_rx.h"
#include "fp_soup.h"
#include "fp_symtab.h"

struct fp_ring;
struct fp_cfg;
struct fp_cfg_node;

#define FP_MD_RINGS_MAX     4
#define FP_MD_LINES_MAX     2                     /**< A and B */
#define FP_MD_SYMBOLS_MAX   65536                 /**< ITCH stock locate is 16 bits */
#define FP_MD_STATS_MAGIC   0x46504d4453544154ull /* "FPMDSTAT" */
#define FP_MD_STATS_VERSION 2

/** Where the stage stands (fp_md_stats.state). */
enum fp_md_state {
	FP_MD_LIVE = 0,       /**< in sequence with the live feed: events are live */
	FP_MD_RECOVERING = 1, /**< filling a gap (rerequest) or draining the buffer: history */
	FP_MD_SNAPSHOT = 2,   /**< loading a snapshot; live packets wait in the buffer */
	FP_MD_BROKEN = 3,     /**< data lost and no snapshot server: books stay stale */
};

/** Name of a state ("live", "recovering", "snapshot", "broken"). */
const char *fp_md_state_name(unsigned state);

/** Counters of the stage: fixed-size, single writer (the md core), meant for a segment. */
struct fp_md_stats {
	uint64_t magic;       /**< FP_MD_STATS_MAGIC */
	uint64_t version;     /**< FP_MD_STATS_VERSION */
	uint64_t packets;     /**< UDP datagrams received (all lines, answers included) */
	uint64_t messages;    /**< ITCH messages normalized and pushed (or overrun) */
	uint64_t by_type[64]; /**< messages per ITCH type, index type - 'A' ('h' = 39) */
	uint64_t gaps;        /**< copies of mold.* for readers that want the short list */
	uint64_t missing;
	uint64_t duplicates;
	uint64_t errors;       /**< short/unknown/over-long ITCH messages, malformed Mold packets */
	uint64_t unknown;      /**< of errors: unknown ITCH type */
	uint64_t overruns;     /**< events dropped because a ring was full */
	uint64_t stale_events; /**< FP_EV_MD_STALE pushed */
	uint64_t requests_sent;
	uint64_t request_errors; /**< sends that failed */
	struct fp_md_mold_stats mold;
	struct fp_md_rx_stats rx[FP_MD_LINES_MAX];
	/* Live versus history (version 2). */
	uint64_t state;            /**< enum fp_md_state */
	uint64_t transitions;      /**< state changes (a host logs each one) */
	uint64_t late_joins;       /**< first packet beyond first_seq: joined a running session */
	uint64_t recoveries;       /**< returns to LIVE */
	uint64_t last_recovery_ns; /**< how long the last return to LIVE took (stale to live) */
	uint64_t last_path;        /**< how it recovered: 1 rerequest, 2 snapshot */
	uint64_t live_seq;         /**< sequence expected when it last went LIVE */
	uint64_t snapshots;        /**< snapshots loaded */
	uint64_t snapshot_gaps;    /**< of them: for a gap given up (older than the history) */
	uint64_t snapshot_msgs;    /**< messages applied from snapshots */
	uint64_t snapshot_errors;  /**< snapshot attempts that failed (retried) */
	uint64_t snapshot_seq;     /**< the last snapshot's resume sequence number */
	uint64_t last_snapshot_ns; /**< how long the last snapshot took (connect to 'M') */
};
static_assert(sizeof(struct fp_md_stats) % 8 == 0, "fp_md_stats is 64-bit words");

/** Retransmission transport: sends requests and receives answers (injectable for tests). */
struct fp_md_req_ops {
	/** Send one request packet. @return 0 or a negative errno. */
	int (*send)(void *arg, const void *buf, uint32_t len);
	/** Receive up to @p n answer datagrams without blocking. @return how many. */
	unsigned (*recv)(void *arg, struct fp_md_pkt *pkts, unsigned n);
};

/** Stage settings; validated once by fp_md_init(). */
struct fp_md_cfg {
	struct fp_md_rx_cfg lines[FP_MD_LINES_MAX]; /**< A (and B) */
	unsigned nb_lines;                          /**< 1 or 2 */
	struct fp_md_mold_cfg mold;
	uint32_t rerequest_addr; /**< IPv4 host order; 0 = no retransmission requests */
	uint16_t rerequest_port;
	uint32_t snapshot_addr; /**< GLIMPSE-style snapshot server (SoupBinTCP), 0 = none */
	uint16_t snapshot_port;
	uint32_t snapshot_timeout_ms;    /**< a snapshot not complete by then is retried (5000) */
	const struct fp_md_req_ops *req; /**< NULL = UDP socket to rerequest_addr:port */
	void *req_arg;
	struct fp_ring *rings[FP_MD_RINGS_MAX];
	unsigned nb_rings;
	uint16_t source;                 /**< fp_event.source of every event */
	struct fp_md_stats *stats;       /**< NULL = the stage's own */
	struct fp_symtab *symtab;        /**< segment symbol table (shm/fp_symtab.h); NULL = none */
	uint64_t (*clock_ns)(void *arg); /**< NULL = CLOCK_MONOTONIC (vDSO, no syscall) */
	void *clock_arg;
};

#define FP_MD_STAGE_MAX 64 /**< ring slots reserved at a time */

/** @internal Per-ring output: a reserved window of ring slots, and overrun state. */
struct fp_md_out {
	struct fp_ring *ring;
	struct fp_event *win; /**< slots reserved in the ring (fp_ring_reserve) */
	uint32_t win_n;       /**< slots in the window */
	uint32_t win_used;    /**< written, to be committed */
	bool stale_pending;   /**< some symbol is marked below */
	uint64_t stale_words[FP_MD_SYMBOLS_MAX / 64]; /**< symbols whose events were dropped */
	struct fp_event scratch; /**< where an event goes when the ring is full */
};

/** @internal The snapshot client (SoupBinTCP, non-blocking; runs only in SNAPSHOT). */
struct fp_md_snap {
	int fd;            /**< -1 when not connected */
	uint8_t phase;     /**< 0 idle, 1 connecting, 2 receiving */
	uint8_t for_gap;   /**< loading for a gap given up (else a late join) */
	uint64_t t0_ns;    /**< attempt started */
	uint64_t retry_ns; /**< next attempt not before */
	uint64_t first_ns; /**< first attempt of this recovery */
	struct fp_soup_rx rx;
};

/** The stage (allocated by the caller, e.g. statically or with aligned_alloc). */
struct fp_md {
	struct fp_md_cfg cfg;
	struct fp_md_rx *rx[FP_MD_LINES_MAX];
	struct fp_md_stats *stats;
	struct fp_md_stats own_stats;
	struct fp_md_mold *mold;
	struct fp_md_out *out; /**< nb_rings entries */
	int req_fd;            /**< default transport socket, -1 when none */
	unsigned next_line;
	uint64_t last_t_rx;
	unsigned state;          /**< enum fp_md_state */
	uint8_t replay_flags;    /**< FP_EVF_REPLAY while not LIVE */
	bool delivered;          /**< some feed message was pushed by this stage */
	bool directory_ready;    /**< the symbol table's directory_ready is set (fp_symtab.h) */
	bool joined;             /**< the first line packet was seen */
	uint64_t stale_since_ns; /**< when the current recovery began */
	struct fp_md_snap snap;
	uint8_t req_buf[4][2048]; /**< default transport's answer buffers */
};

/**
 * Fill @p out from the libconfig group @p md (keys: docs/dataplane.md, config/md.conf):
 * lines, session and gap-recovery settings, rerequest server, source. Rings, stats, the
 * symbol table, the clock and the transport stay for the caller to set. Strings point into
 * @p cfg: keep it until fp_md_init(). Cold path.
 * @return 0, or -EINVAL/-ENOENT with a "FILE:LINE: 'path' ..." message
 */
int fp_md_cfg_load(const struct fp_cfg *cfg, const struct fp_cfg_node *md, struct fp_md_cfg *out);

/**
 * Initialise the stage: open the lines, the transport, the session. Cold; allocates.
 * @return 0, or a negative errno with the fp_err message (bad config: -EINVAL)
 */
int fp_md_init(struct fp_md *md, const struct fp_md_cfg *cfg);

/**
 * Do up to @p budget packets of work: receive, sequence, normalize, push; then run the
 * gap timers (request, stale). Hot path.
 * @return packets handled (0 when idle)
 */
unsigned fp_md_poll(struct fp_md *md, unsigned budget);

/** True when every line is a finite source that has ended and nothing is left to push. */
bool fp_md_eof(const struct fp_md *md);

/** Close everything opened by fp_md_init() (NULL is a no-op). */
void fp_md_fini(struct fp_md *md);

/**
 * Handle one received MoldUDP64 datagram as if it came from @p line (what fp_md_poll does
 * for each packet; exposed for benchmarks and tools that bring their own receive).
 */
void fp_md_on_datagram(struct fp_md *md, const struct fp_md_pkt *pkt, uint8_t line,
		       uint64_t now_ns);

/** Push staged events into the rings (fp_md_poll does it at the end of each burst). */
void fp_md_flush(struct fp_md *md);

#endif /* FP_MD_H */
