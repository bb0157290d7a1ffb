# SPDX-License-Identifier: BSD-3-Clause
"""fastpath: read what `fastpath backtest` (and a live run) leave behind into pandas.

    import fastpath
    rep = fastpath.read_report("build/backtest/report.json")   # dict, as written
    lines = fastpath.report_lines(rep)                         # DataFrame, one row per line
    fills = fastpath.read_fills("build/backtest")              # DataFrame of fills.csv
    equity = fastpath.read_equity("build/backtest")            # DataFrame of equity.csv
    j = fastpath.read_journal("build/backtest/journal/bt-20101224.fpj")

read_journal() decodes the journal file (store/fp_store_journal.h: 64-byte header, then
records of a 20-byte header and a payload) and, for records that are ring events, the
64-byte struct fp_event (shm/fp_event.h): orders, execution reports, risk rejects. It
reads a backtest's journal and a live one alike (the same records). Prices are dollars
(Price(4) / 10^4). Only the standard library, numpy and pandas (Debian packages).
"""
import json
import os
import struct

import numpy as np
import pandas as pd

__all__ = ["read_report", "report_lines", "read_fills", "read_equity", "read_journal",
           "EVENT_TYPES", "PRODUCERS"]

# shm/fp_event.h enum fp_ev_type (the values records carry); one table, used below.
EVENT_TYPES = {
    1: "md_system", 2: "md_stock_directory", 3: "md_trading_action", 11: "md_add",
    12: "md_execute", 13: "md_cancel", 14: "md_delete", 15: "md_replace", 16: "md_trade",
    32: "book_top", 48: "order_new", 49: "order_cancel", 50: "order_replace",
    51: "order_mass_cancel", 64: "exec_accepted", 65: "exec_fill", 66: "exec_canceled",
    67: "exec_rejected", 68: "exec_replaced", 69: "exec_cancel_reject", 80: "risk_reject",
    96: "control", 0x100: "ctl_change", 0x101: "store_start", 0x102: "pos_snapshot",
    0x103: "pnl_snapshot",
}
# shm/fp_journal.h enum fp_jrnl_src
PRODUCERS = {0: "none", 1: "risk", 2: "gw", 3: "ctl", 4: "store"}

_MAGIC = b"FPJRNL01"
_HDR = 64
_REC = struct.Struct("<IHHQI")       # length, type, flags, sequence, crc32c
_EV = struct.Struct("<BBHIQQ")       # fp_event: type, flags, source, symbol_id, seq, t_rx
_ORDER = struct.Struct("<QqIHBBQQ")  # fp_ev_order at offset 24
_EXEC = struct.Struct("<QqIIQHBBI")  # fp_ev_exec at offset 24
_REJECT = struct.Struct("<QqIHHBB")  # fp_ev_risk_reject at offset 24
_POS = struct.Struct("<QHHIqqqqq8s")   # fp_jrnl_pos_snapshot (shm/fp_journal.h), 64 bytes


def read_report(path):
    """report.json of a backtest (or a directory holding one), as a dict."""
    if os.path.isdir(path):
        path = os.path.join(path, "report.json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def report_lines(report):
    """The (strategy, symbol) lines of a report as a DataFrame (stock names stripped)."""
    df = pd.DataFrame(report.get("lines", []))
    if not df.empty:
        df["stock"] = df["stock"].str.strip()
    return df


def read_fills(directory):
    """fills.csv of a backtest directory: one row per fill, t_ns as a Timedelta column too."""
    df = pd.read_csv(os.path.join(directory, "fills.csv"))
    df["t"] = pd.to_timedelta(df["t_ns"], unit="ns")
    return df


def read_equity(directory):
    """equity.csv: per simulated second and (strategy, symbol): equity, drawdown, position."""
    return pd.read_csv(os.path.join(directory, "equity.csv"))


def read_journal(path):
    """A journal file as a DataFrame, one row per record, event fields decoded.

    Columns: seq, offset, producer, record, and for ring events: ev_type, ev_flags,
    source, symbol_id, ev_seq, t_rx, client_order_id, price, shares, leaves, strategy_id,
    side, reason, match_number, orig_client_order_id; for position snapshots (pos_snapshot:
    a backtest writes one per report line at each day's close): t_ns, strategy_id,
    symbol_id, position, cost, realized, unrealized, price (the mark), stock (NaN where a
    record has none).
    Raises ValueError for a file that is not a journal or whose sequence breaks.
    """
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < _HDR or data[:8] != _MAGIC:
        raise ValueError(f"{path}: not a fastpath journal (magic {data[:8]!r})")
    rows = []
    off, expect = _HDR, 1
    while off + _REC.size <= len(data):
        length, rtype, flags, seq, _crc = _REC.unpack_from(data, off)
        payload = data[off + _REC.size: off + _REC.size + length]
        if len(payload) < length:
            break  # a torn tail: the store truncates it on its next open
        if seq != expect:
            raise ValueError(f"{path}: record at offset {off} has sequence {seq}, "
                             f"expected {expect}")
        row = {"seq": seq, "offset": off, "producer": PRODUCERS.get(flags, str(flags)),
               "record": EVENT_TYPES.get(rtype, str(rtype))}
        if rtype < 0x100 and length == 64:
            et, ef, src, sym, evseq, trx = _EV.unpack_from(payload, 0)
            row.update(ev_type=EVENT_TYPES.get(et, str(et)), ev_flags=ef, source=src,
                       symbol_id=sym, ev_seq=evseq, t_rx=trx)
            if 48 <= et <= 51:
                coid, px, sh, sid, side, tif, orig, _t = _ORDER.unpack_from(payload, 24)
                row.update(client_order_id=coid, price=px / 1e4, shares=sh, strategy_id=sid,
                           side=chr(side) if side else "", tif=tif,
                           orig_client_order_id=orig)
            elif 64 <= et <= 69:
                coid, px, sh, lv, match, sid, side, reason, _r = _EXEC.unpack_from(payload, 24)
                row.update(client_order_id=coid, price=px / 1e4, shares=sh, leaves=lv,
                           match_number=match, strategy_id=sid,
                           side=chr(side) if side else "", reason=reason)
            elif et == 80:
                coid, px, sh, sid, reason, side, _ot = _REJECT.unpack_from(payload, 24)
                row.update(client_order_id=coid, price=px / 1e4, shares=sh, strategy_id=sid,
                           reason=reason, side=chr(side) if side else "")
        elif rtype == 0x102 and length == _POS.size:  # a position snapshot (the close's)
            t, sid, _r, sym, pos, cost, real, unreal, mark, stock = _POS.unpack_from(payload)
            row.update(t_ns=t, strategy_id=sid, symbol_id=sym, position=pos,
                       cost=cost / 1e4, realized=real / 1e4, unrealized=unreal / 1e4,
                       price=mark / 1e4, stock=stock.decode("ascii", "replace").strip())
        rows.append(row)
        off += _REC.size + length
        expect += 1
    df = pd.DataFrame(rows)
    for col in ("client_order_id", "orig_client_order_id", "match_number"):
        if col in df:
            df[col] = df[col].astype("Float64").astype("UInt64")
    return df
