/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_journal.h - what the stages put on their journal rings, what the store writes for it,
 * and the ordering rules that make recovery after a crash exact (design.md §2, "every stage
 * --journal ring--> store").
 *
 * Any stage may include it: plain data and constants, no functions. A stage that journals
 * owns one SPSC ring (FP_JRNL_RING_*): it produces, the store stage consumes. The rings
 * exist only when the store stage is placed; a stage that finds no journal ring in the
 * segment runs unjournaled and recovers nothing.
 *
 * Journal record (store/fp_store_journal.h) for one ring event:
 *   type    = event.type (enum fp_ev_type, < 0x100)
 *   flags   = producer (enum fp_jrnl_src)
 *   payload = the 64-byte struct fp_event exactly as it was on the ring
 * Records that are not ring events have a type >= 0x100 (FP_JRNL_REC_*) and the payloads
 * defined below (little-endian, no padding).
 *
 * Events per producer:
 *
 *   producer  type                        meaning; fields beyond the usual ones
 *   RISK      FP_EV_ORDER_NEW/CANCEL/     an intent (or risk's own exit or mass cancel) that
 *             REPLACE/MASS_CANCEL         risk accepted, as pushed on the order ring
 *   RISK      FP_EV_RISK_REJECT           an intent refused, as sent back to the strategy
 *   RISK      FP_EV_CONTROL               u.control.command FP_JRNL_CTL_BREAKER_TRIP or
 *                                         _RESET: arg = trip reason, value = its figure,
 *                                         text = why; the breaker's state after it
 *   GW        FP_EV_ORDER_NEW/CANCEL/     an order message about to be handed to send();
 *             REPLACE/MASS_CANCEL         seq = the UserRefNum it carries (new, replace)
 *   GW        FP_EV_EXEC_*                a venue message applied (or the gateway's own
 *                                         reject), as pushed on the exec rings; seq = its
 *                                         SoupBinTCP sequence number, 0 for a local reject
 *   GW        FP_EV_CONTROL               FP_JRNL_CTL_SESSION: logged in; text = session
 *                                         (10 characters, space padded), value = the
 *                                         sequence number requested at login
 *   GW        FP_EV_CONTROL               FP_JRNL_CTL_FIX_TX_SEQ (FIX venues): value = the
 *                                         outbound MsgSeqNum reserved up to (exclusive);
 *                                         a restarted gateway logs on at the last such
 *                                         value, never below a number it may have sent
 *   CTL       FP_JRNL_REC_CTL_CHANGE      a control block change (kill, rearm, trading
 *                                         state, limits), written by the store
 *   STORE     FP_JRNL_REC_STORE_START     the store (re)started on this file
 *   STORE     FP_JRNL_REC_POS_SNAPSHOT    a position, copied from risk.positions
 *   STORE     FP_JRNL_REC_PNL_SNAPSHOT    a P&L line (firm or strategy), ditto
 *
 * Ordering rules (each one closes a crash window):
 *   (J1) The store releases a journal ring's slots only after the write() of their records
 *        returned: once a journal ring is empty, everything its producer pushed before is in
 *        the file (page cache; on disk per the fsync policy).
 *   (J2) The gateway journals an order before handing it to send(); with no room on its
 *        journal ring it refuses the order locally. Nothing leaves unrecorded.
 *   (J3) The gateway pushes an applied venue message on its exec rings first and on its
 *        journal ring second. A crash in between makes the venue replay that message after
 *        the next login, so a consumer may see it twice: consumers drop an exec event whose
 *        non-zero seq is below the last seq they applied in the same venue session, or equal
 *        to it with a type already applied at that seq (one venue message may make two
 *        reports of one seq: a replace's CANCELED of the old id and ACCEPTED of the new).
 *        FP_EV_CTL_VENUE_UP carries the session in u.control.text.
 *   (J4) Risk journals an intent it accepts before pushing it on the order ring.
 *   (J5) A stage that restarts waits until every journal ring is empty (J1), then replays
 *        the journal files of its instance, oldest first, and only then polls its rings.
 *        The gateway resumes its session at the last journaled sequence number + 1; the
 *        venue's replay brings what the journal had not recorded.
 *
 * Files: DIR/<instance>-YYYYMMDD.fpj, one per UTC day (after the US close), so a trading
 * day is one file. Version: FP_JRNL_VERSION; bump it when a payload below changes.
 */
#ifndef FP_JOURNAL_H
#define FP_JOURNAL_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "fp_event.h"

#define FP_JRNL_VERSION 1

/* Journal rings in the segment (capacity: config store.ring). */
#define FP_JRNL_RING_RISK "ring.jrnl.risk" /**< risk -> store */
#define FP_JRNL_RING_GW   "ring.jrnl.gw"   /**< gateway -> store */

/** Who produced a record (journal record flags). */
enum fp_jrnl_src {
	FP_JRNL_SRC_NONE = 0,
	FP_JRNL_SRC_RISK = 1,
	FP_JRNL_SRC_GW = 2,
	FP_JRNL_SRC_CTL = 3,
	FP_JRNL_SRC_STORE = 4,
};

/* fp_ev_control.command values of journal events (beside FP_EV_CTL_VENUE_*). */
#define FP_JRNL_CTL_BREAKER_TRIP  0x7701 /**< risk: breaker opened */
#define FP_JRNL_CTL_BREAKER_RESET 0x7702 /**< risk: breaker closed again */
#define FP_JRNL_CTL_SESSION       0x7703 /**< gateway: logged in to a venue session */
#define FP_JRNL_CTL_FIX_TX_SEQ    0x7704 /**< gateway: FIX outbound MsgSeqNum reserved */

/** Record types that are not ring events (journal record type). */
enum fp_jrnl_rec {
	FP_JRNL_REC_CTL_CHANGE = 0x100,   /**< struct fp_shm_ctl_change (256 bytes) */
	FP_JRNL_REC_STORE_START = 0x101,  /**< struct fp_jrnl_store_start */
	FP_JRNL_REC_POS_SNAPSHOT = 0x102, /**< struct fp_jrnl_pos_snapshot */
	FP_JRNL_REC_PNL_SNAPSHOT = 0x103, /**< struct fp_jrnl_pnl_snapshot */
};

/** FP_JRNL_REC_STORE_START payload (32 bytes). */
struct fp_jrnl_store_start {
	uint64_t time_ns; /**< CLOCK_REALTIME */
	int32_t pid;
	uint32_t version; /**< FP_JRNL_VERSION */
	uint64_t records; /**< records already in the file */
	uint64_t reserved;
};
static_assert(sizeof(struct fp_jrnl_store_start) == 32, "store start record is 32 bytes");

/** FP_JRNL_REC_POS_SNAPSHOT payload (64 bytes): one (strategy, symbol) position. */
struct fp_jrnl_pos_snapshot {
	uint64_t time_ns; /**< CLOCK_REALTIME of the snapshot */
	uint16_t strategy_id;
	uint16_t reserved;
	uint32_t symbol_id;
	int64_t position; /**< shares, long > 0 */
	int64_t cost;     /**< signed cost basis, price units (4 decimals) */
	int64_t realized; /**< price units, today */
	int64_t unreal;
	int64_t mark;  /**< Price(4) */
	char stock[8]; /**< space padded, from the symbol table ("" when unknown) */
};
static_assert(sizeof(struct fp_jrnl_pos_snapshot) == 64, "position snapshot is 64 bytes");

/** Strategy id of the firm line in a P&L snapshot. */
#define FP_JRNL_PNL_FIRM 0xffff

/** FP_JRNL_REC_PNL_SNAPSHOT payload (56 bytes). */
struct fp_jrnl_pnl_snapshot {
	uint64_t time_ns;
	uint16_t strategy_id; /**< FP_JRNL_PNL_FIRM for the firm */
	uint16_t reserved;
	uint32_t nb_fills;
	int64_t realized;
	int64_t unreal;
	int64_t gross;
	int64_t net;
	uint64_t fill_shares;
};
static_assert(sizeof(struct fp_jrnl_pnl_snapshot) == 56, "P&L snapshot is 56 bytes");

#endif /* FP_JOURNAL_H */
