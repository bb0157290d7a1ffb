// SPDX-License-Identifier: BSD-3-Clause
// fp-quickfix-book - a test counterparty, not shipped: a QuickFIX FIX 4.4 acceptor over TLS
// whose orders rest (issue 14, fix_quickfix_cancel_replace.sh). QuickFIX's packaged
// examples cannot test cancel and replace: the executor fills every NewOrderSingle at once
// and answers nothing else, ordermatch speaks FIX 4.2 only. QuickFIX does the whole session
// layer (logon, sequence numbers, resend, dictionary validation, Reject and
// BusinessMessageReject); this file is only the application:
//   NewOrderSingle (limit)     -> ExecutionReport ExecType=New, the order rests
//   OrderCancelRequest         -> ExecutionReport ExecType=Canceled (ClOrdID = the request's,
//                                 OrigClOrdID = the order's), the order is gone
//   OrderCancelReplaceRequest  -> ExecutionReport ExecType=Replaced (ClOrdID = the new one,
//                                 OrigClOrdID = the replaced one), the order rests under
//                                 the new ClOrdID with the new quantity and price
// A cancel or replace naming no resting order gets an OrderCancelReject (Unknown order); a
// NewOrderSingle that is not a limit order or reuses a ClOrdID gets ExecType=Rejected. Any
// other application message is left to QuickFIX's MessageCracker (BusinessMessageReject).
// Nothing is ever filled.
//
// Every action is one line in LOG (flushed at once), ending with the running totals, so that
// a test compares the last line with what the gateway says it sent:
//   canceled ORIG by CLORDID | news 4 cancels 1 replaces 7 rejects 0 open 3
//
//   fp-quickfix-book SETTINGS_FILE LOG
// SETTINGS_FILE: QuickFIX session settings (acceptor, ServerCertificateFile, ...).
#include "quickfix/Application.h"
#include "quickfix/FileStore.h"
#include "quickfix/Log.h"
#include "quickfix/MessageCracker.h"
#include "quickfix/Mutex.h"
#include "quickfix/Session.h"
#include "quickfix/SessionSettings.h"
#include "quickfix/ThreadedSSLSocketAcceptor.h"
#include "quickfix/Utility.h"
#include "quickfix/fix44/ExecutionReport.h"
#include "quickfix/fix44/NewOrderSingle.h"
#include "quickfix/fix44/OrderCancelReject.h"
#include "quickfix/fix44/OrderCancelReplaceRequest.h"
#include "quickfix/fix44/OrderCancelRequest.h"

#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

namespace
{

struct Resting {
	std::string order_id;
	std::string symbol;
	char side;
	double qty;
	double price;
};

class Book : public FIX::Application, public FIX::MessageCracker
{
      public:
	explicit Book(const std::string &log_path) : log_(log_path.c_str(), std::ios::app)
	{
	}
	bool log_ok() const
	{
		return log_.good();
	}

	void onCreate(const FIX::SessionID &)
	{
	}
	void onLogon(const FIX::SessionID &)
	{
	}
	void onLogout(const FIX::SessionID &)
	{
	}
	void toAdmin(FIX::Message &, const FIX::SessionID &)
	{
	}
	void toApp(FIX::Message &, const FIX::SessionID &) throw(FIX::DoNotSend)
	{
	}
	void fromAdmin(const FIX::Message &,
		       const FIX::SessionID &) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
						     FIX::IncorrectTagValue, FIX::RejectLogon)
	{
	}
	void fromApp(const FIX::Message &m,
		     const FIX::SessionID &id) throw(FIX::FieldNotFound, FIX::IncorrectDataFormat,
						     FIX::IncorrectTagValue,
						     FIX::UnsupportedMessageType)
	{
		FIX::Locker lock(mutex_); // ThreadedSSLSocketAcceptor: one thread per connection
		crack(m, id);
	}

	void onMessage(const FIX44::NewOrderSingle &m, const FIX::SessionID &id)
	{
		FIX::ClOrdID cl;
		FIX::Symbol sym;
		FIX::Side side;
		FIX::OrderQty qty;
		FIX::OrdType type;
		m.get(cl);
		m.get(sym);
		m.get(side);
		m.get(qty);
		m.get(type);
		Resting r{std::to_string(++next_order_), sym.getValue(), side.getValue(),
			  qty.getValue(), 0.0};
		if (type.getValue() != FIX::OrdType_LIMIT || !m.isSetField(FIX::FIELD::Price) ||
		    book_.count(cl.getValue())) {
			rejects_++;
			send(report(r, cl.getValue(), "", FIX::ExecType_REJECTED,
				    FIX::OrdStatus_REJECTED, 0),
			     id);
			note("rejected " + cl.getValue());
			return;
		}
		FIX::Price px;
		m.get(px);
		r.price = px.getValue();
		book_[cl.getValue()] = r;
		news_++;
		send(report(r, cl.getValue(), "", FIX::ExecType_NEW, FIX::OrdStatus_NEW, r.qty),
		     id);
		note("new " + cl.getValue());
	}

	void onMessage(const FIX44::OrderCancelRequest &m, const FIX::SessionID &id)
	{
		FIX::ClOrdID cl;
		FIX::OrigClOrdID orig;
		m.get(cl);
		m.get(orig);
		std::map<std::string, Resting>::iterator it = book_.find(orig.getValue());
		if (it == book_.end())
			return unknown(cl.getValue(), orig.getValue(),
				       FIX::CxlRejResponseTo_ORDER_CANCEL_REQUEST, id);
		Resting r = it->second;
		book_.erase(it);
		cancels_++;
		send(report(r, cl.getValue(), orig.getValue(), FIX::ExecType_CANCELED,
			    FIX::OrdStatus_CANCELED, 0),
		     id);
		note("canceled " + orig.getValue() + " by " + cl.getValue());
	}

	void onMessage(const FIX44::OrderCancelReplaceRequest &m, const FIX::SessionID &id)
	{
		FIX::ClOrdID cl;
		FIX::OrigClOrdID orig;
		FIX::OrderQty qty;
		FIX::Price px;
		m.get(cl);
		m.get(orig);
		m.get(qty);
		m.get(px);
		std::map<std::string, Resting>::iterator it = book_.find(orig.getValue());
		if (it == book_.end() || book_.count(cl.getValue()))
			return unknown(cl.getValue(), orig.getValue(),
				       FIX::CxlRejResponseTo_ORDER_CANCEL_REPLACE_REQUEST, id);
		Resting r = it->second;
		book_.erase(it);
		r.qty = qty.getValue(); // nothing is ever filled: the new quantity all rests
		r.price = px.getValue();
		book_[cl.getValue()] = r;
		replaces_++;
		FIX44::ExecutionReport er =
			report(r, cl.getValue(), orig.getValue(), FIX::ExecType_REPLACED,
			       FIX::OrdStatus_NEW, r.qty);
		send(er, id);
		note("replaced " + orig.getValue() + " by " + cl.getValue());
	}

      private:
	FIX44::ExecutionReport report(const Resting &r, const std::string &cl,
				      const std::string &orig, char exec_type, char status,
				      double leaves)
	{
		FIX44::ExecutionReport er(
			FIX::OrderID(r.order_id), FIX::ExecID(std::to_string(++next_exec_)),
			FIX::ExecType(exec_type), FIX::OrdStatus(status), FIX::Side(r.side),
			FIX::LeavesQty(leaves), FIX::CumQty(0), FIX::AvgPx(0));
		er.set(FIX::ClOrdID(cl));
		if (!orig.empty())
			er.set(FIX::OrigClOrdID(orig));
		er.set(FIX::Symbol(r.symbol));
		er.set(FIX::OrderQty(r.qty));
		if (exec_type != FIX::ExecType_REJECTED) {
			er.set(FIX::OrdType(FIX::OrdType_LIMIT));
			er.set(FIX::Price(r.price));
		}
		er.set(FIX::TransactTime());
		return er;
	}

	void unknown(const std::string &cl, const std::string &orig, char response_to,
		     const FIX::SessionID &id)
	{
		FIX44::OrderCancelReject rej(FIX::OrderID("NONE"), FIX::ClOrdID(cl),
					     FIX::OrigClOrdID(orig),
					     FIX::OrdStatus(FIX::OrdStatus_REJECTED),
					     FIX::CxlRejResponseTo(response_to));
		rej.set(FIX::CxlRejReason(FIX::CxlRejReason_UNKNOWN_ORDER));
		rejects_++;
		send(rej, id);
		note("cancel_rejected " + orig + " by " + cl);
	}

	void send(FIX::Message m, const FIX::SessionID &id)
	{
		try {
			FIX::Session::sendToTarget(m, id);
		} catch (const FIX::SessionNotFound &) {
			note("session not found");
		}
	}

	void note(const std::string &what)
	{
		log_ << what << " | news " << news_ << " cancels " << cancels_ << " replaces "
		     << replaces_ << " rejects " << rejects_ << " open " << book_.size()
		     << std::endl;
	}

	FIX::Mutex mutex_;
	std::ofstream log_;
	std::map<std::string, Resting> book_; // by ClOrdID
	unsigned long next_order_ = 0, next_exec_ = 0;
	unsigned long news_ = 0, cancels_ = 0, replaces_ = 0, rejects_ = 0;
};

} // namespace

int main(int argc, char **argv)
{
	if (argc != 3) {
		std::cerr << "usage: " << argv[0] << " SETTINGS_FILE LOG" << std::endl;
		return 2;
	}
	try {
		FIX::SessionSettings settings(argv[1]);
		Book book(argv[2]);
		if (!book.log_ok()) {
			std::cerr << argv[0] << ": cannot write " << argv[2] << std::endl;
			return 1;
		}
		FIX::FileStoreFactory store(settings);
		FIX::ScreenLogFactory log(settings);
		FIX::ThreadedSSLSocketAcceptor acceptor(book, store, settings, log);
		acceptor.start();
		std::cout << "fp-quickfix-book: accepting" << std::endl;
		for (;;) // until the test's SIGINT/SIGKILL
			FIX::process_sleep(1);
	} catch (const std::exception &e) {
		std::cerr << argv[0] << ": " << e.what() << std::endl;
		return 1;
	}
}
