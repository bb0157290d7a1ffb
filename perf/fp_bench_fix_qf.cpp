// SPDX-License-Identifier: BSD-3-Clause
// fp_bench_fix_qf.cpp - QuickFIX's own message build and parse for `fastpath-bench fix`
// (perf/bench_fix.c): the reference of issue 14, linked into the bench only (the pipeline
// links no QuickFIX). Built as its own small library so that the C flags stay C's.
#include <cstdint>
#include <cstring>
#include <string>

#include <quickfix/FieldTypes.h>
#include <quickfix/Message.h>
#include <quickfix/fix44/NewOrderSingle.h>

extern "C" int fp_bench_fix_qf(unsigned n, const char *er, std::size_t er_len,
			       std::uint64_t (*now)(void), std::uint64_t *enc, std::uint64_t *parse,
			       std::uint64_t *sink);

// Build and serialize n NewOrderSingles (the fields fastpath writes), then parse n
// ExecutionReports and read ClOrdID, LastQty and LastPx; per-message cycles into enc/parse.
extern "C" int fp_bench_fix_qf(unsigned n, const char *er, std::size_t er_len,
			       std::uint64_t (*now)(void), std::uint64_t *enc, std::uint64_t *parse,
			       std::uint64_t *sink)
{
	try {
		std::string ers(er, er_len);
		FIX::UtcTimeStamp ts;
		for (unsigned i = 0; i < n; i++) {
			std::uint64_t t0 = now();
			FIX44::NewOrderSingle m(FIX::ClOrdID("FP0000000001"), FIX::Side('1'),
						FIX::TransactTime(ts, 3), FIX::OrdType('2'));
			FIX::Header &h = m.getHeader();
			h.setField(FIX::SenderCompID("FPST"));
			h.setField(FIX::TargetCompID("EXEC"));
			h.setField(FIX::MsgSeqNum(i + 1));
			h.setField(FIX::SendingTime(ts, 3));
			m.set(FIX::Account("ACC1"));
			m.set(FIX::HandlInst('1'));
			m.set(FIX::OrderQty(100));
			m.set(FIX::Price(150.25));
			m.set(FIX::Symbol("AAPL"));
			m.set(FIX::TimeInForce('0'));
			std::string s = m.toString();
			enc[i] = now() - t0;
			*sink += s.size();
		}
		for (unsigned i = 0; i < n; i++) {
			std::uint64_t t0 = now();
			FIX::Message m(ers, false);
			FIX::ClOrdID id;
			FIX::LastQty q;
			FIX::LastPx px;
			m.getField(id);
			m.getField(q);
			m.getField(px);
			parse[i] = now() - t0;
			*sink += id.getValue().size() + (std::uint64_t)q.getValue() +
				 (std::uint64_t)(px.getValue() * 10000.0 + 0.5);
		}
	} catch (const std::exception &) {
		return -1;
	}
	return 0;
}
