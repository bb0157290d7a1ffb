/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_md_normalize.h - one ITCH 5.0 message to one 64-byte struct fp_event (shm/fp_event.h).
 *
 * Called by the md stage on its core for every received message, by the book tests and by
 * tools. Pure over caller memory: no syscalls, no allocation, no errno; any thread.
 * The message is read straight from the wire bytes (no intermediate decode); its type and
 * length are checked first, so a short, unknown or over-long message leaves the event
 * untouched and is reported by the result (the caller counts it).
 *
 * Mapping (fp_event.h documents the payloads): symbol_id = Stock Locate; seq = the MoldUDP64
 * sequence number given by the caller; every payload starts with ts_ns = Timestamp. Price(4)
 * fields widen to int64 with the same 4 decimals (873900 = 87.3900), except the NOII and DLCR
 * prices, which stay 32-bit; MWCB levels keep Price(8). 'F' is FP_EV_MD_ADD with
 * FP_EVF_ATTRIBUTED and the MPID; 'C' is FP_EV_MD_EXECUTE with FP_EVF_WITH_PRICE; an 'E'
 * carries execution_price 0 and printable 'Y'. The Stock field of messages other than 'R' is
 * not carried: the symbol table maps symbol_id to it.
 */
#ifndef FP_MD_NORMALIZE_H
#define FP_MD_NORMALIZE_H

#include <stdint.h>

#include "fp_event.h"
#include "fp_itch.h"

/**
 * Turn one ITCH message into an event. Any thread; hot path.
 *
 * @param msg     the message from its type byte on
 * @param len     its length
 * @param seq     MoldUDP64 sequence number (0 when unknown)
 * @param t_rx    TSC at packet receive
 * @param source  feed line id (fp_event.source)
 * @param ev      written whole (all 64 bytes) on FP_ITCH_OK, untouched otherwise
 * @return FP_ITCH_OK, FP_ITCH_UNKNOWN_TYPE, FP_ITCH_SHORT or FP_ITCH_LENGTH_MISMATCH
 */
enum fp_itch_result fp_md_normalize(const uint8_t *msg, uint32_t len, uint64_t seq, uint64_t t_rx,
				    uint16_t source, struct fp_event *ev);

/** The fp_ev_type an ITCH message type normalizes to; FP_EV_NONE when unknown. */
uint8_t fp_md_event_type(uint8_t itch_type);

#endif /* FP_MD_NORMALIZE_H */
