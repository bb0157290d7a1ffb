/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pg_mkjournal.c - test tool of tests/store_pg: appends rounds of journal records of every
 * kind (shm/fp_journal.h) to a journal file with the journal library, as the store would.
 *
 *   pg_mkjournal FILE [--instance NAME] [--rounds N] [--first R] [--sleep-ms MS]
 *   pg_mkjournal --count FILE...     prints "records N": the valid records of the files
 *
 * Each run opens FILE (recovering a torn tail like the store), appends a STORE_START record,
 * then N rounds (numbered from R) of the records below, flushing after each round and
 * sleeping MS between rounds. The values of round r are functions of r, so that a test can
 * spot-check them: see add_round(). At the end it prints "records S" (the file's last sequence)
 * and "TABLE COUNT" lines: the rows this run adds to each table of deploy/sql.
 *
 * Test process only; blocks, allocates, prints.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fp_err.h"
#include "fp_event.h"
#include "fp_journal.h"
#include "fp_shm_ctl.h"
#include "fp_store_journal.h"

enum { T_ORDERS, T_EXECS, T_RISK, T_CTL, T_SESS, T_POS, T_PNL, T_START, T_OTHER, T_NB };
static const char *const tnames[T_NB] = {"orders",          "executions",   "risk_events",
					 "control_actions", "sessions",     "positions",
					 "pnl_snapshots",   "store_starts", "other_records"};

struct mk {
	struct fp_store_journal *j;
	uint64_t counts[T_NB];
	int rc;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void put(struct mk *m, int table, uint16_t type, uint16_t src, const void *p, uint32_t len)
{
	if (m->rc == 0)
		m->rc = fp_store_journal_append_flags(m->j, type, src, p, len);
	m->counts[table]++;
}

static void put_ev(struct mk *m, int table, uint16_t src, const struct fp_event *ev)
{
	put(m, table, ev->type, src, ev, sizeof(*ev));
}

static struct fp_event order(uint8_t type, uint64_t r, uint64_t coid, uint64_t seq)
{
	struct fp_event ev = {.type = type, .symbol_id = (uint32_t)(1 + r % 5), .seq = seq};
	ev.source = (uint16_t)(1 + r % 2);
	ev.t_rx = 1000000 + r;
	ev.u.order =
		(struct fp_ev_order){.client_order_id = coid,
				     .price = 100000 + (int64_t)r,
				     .shares = 100,
				     .strategy_id = (uint16_t)(1 + r % 2),
				     .side = r % 2 ? FP_SIDE_SELL : FP_SIDE_BUY,
				     .tif = FP_TIF_DAY,
				     .orig_client_order_id = type == FP_EV_ORDER_NEW ? 0 : 1000 + r,
				     .t_decide = 2000000 + r};
	return ev;
}

static struct fp_event exec(uint8_t type, uint64_t r, uint64_t soup, uint8_t reason)
{
	struct fp_event ev = {.type = type, .symbol_id = (uint32_t)(1 + r % 5), .seq = soup};
	ev.t_rx = 3000000 + r;
	ev.u.exec = (struct fp_ev_exec){.client_order_id = 1000 + r,
					.price = 100000 + (int64_t)r,
					.shares = type == FP_EV_EXEC_FILL ? 40 : 100,
					.leaves_shares = type == FP_EV_EXEC_FILL ? 60 : 0,
					.match_number = 5000 + r,
					.strategy_id = (uint16_t)(1 + r % 2),
					.side = r % 2 ? FP_SIDE_SELL : FP_SIDE_BUY,
					.reason = reason};
	return ev;
}

static struct fp_event control(uint32_t command, uint64_t r, uint32_t arg, uint64_t value,
			       const char *text)
{
	struct fp_event ev = {.type = FP_EV_CONTROL, .symbol_id = (uint32_t)(1 + r % 5)};
	ev.u.control.command = command;
	ev.u.control.arg = arg;
	ev.u.control.value = value;
	memcpy(ev.u.control.text, text, strnlen(text, sizeof(ev.u.control.text)));
	return ev;
}

/* One round: 26 records, every kind at least once. */
static void add_round(struct mk *m, uint64_t r)
{
	struct fp_event ev;
	uint64_t coid = 1000 + r, soup = 10 * r + 1;

	for (uint8_t t = FP_EV_ORDER_NEW; t <= FP_EV_ORDER_MASS_CANCEL; t++) {
		ev = order(t, r, t == FP_EV_ORDER_NEW ? coid : coid + 100000 * (t - 47), r + 1);
		put_ev(m, T_ORDERS, FP_JRNL_SRC_RISK, &ev); /* accepted by risk */
		put_ev(m, T_ORDERS, FP_JRNL_SRC_GW, &ev);   /* handed to send() */
	}
	put_ev(m, T_OTHER, FP_JRNL_SRC_GW, &(struct fp_event){0}); /* type 0: no kind of ours */
	static const uint8_t reasons[] = {0, 0, 'U', 'X', 0, 'Z'};
	for (uint8_t t = FP_EV_EXEC_ACCEPTED; t <= FP_EV_EXEC_CANCEL_REJECT; t++) {
		uint64_t s = t == FP_EV_EXEC_REJECTED ? 0 : soup + (t - FP_EV_EXEC_ACCEPTED);
		ev = exec(t, r, s, reasons[t - FP_EV_EXEC_ACCEPTED]);
		put_ev(m, T_EXECS, FP_JRNL_SRC_GW, &ev);
	}
	ev = (struct fp_event){.type = FP_EV_RISK_REJECT, .symbol_id = (uint32_t)(1 + r % 5)};
	ev.u.reject = (struct fp_ev_risk_reject){.client_order_id = 900000 + r,
						 .price = 100000 + (int64_t)r,
						 .shares = 99999,
						 .strategy_id = (uint16_t)(1 + r % 2),
						 .reason = 12, /* FP_RISK_QTY_MAX */
						 .side = FP_SIDE_BUY,
						 .order_type = FP_EV_ORDER_NEW};
	put_ev(m, T_RISK, FP_JRNL_SRC_RISK, &ev);
	ev = control(FP_JRNL_CTL_BREAKER_TRIP, r, 1 /* DAILY_LOSS */, 12345 + r, "loss beyond max");
	put_ev(m, T_RISK, FP_JRNL_SRC_RISK, &ev);
	ev = control(FP_JRNL_CTL_BREAKER_RESET, r, 8 /* RESET */, 0, "reset by ctl");
	put_ev(m, T_RISK, FP_JRNL_SRC_RISK, &ev);
	ev = control(FP_JRNL_CTL_SESSION, r, 0, soup, "SESS000001");
	ev.source = 1;
	put_ev(m, T_SESS, FP_JRNL_SRC_GW, &ev);
	ev = control(FP_EV_CTL_VENUE_UP, r, 0, 0, "SESS000001");
	put_ev(m, T_OTHER, FP_JRNL_SRC_GW, &ev);

	uint64_t t_ns = now_ns();
	struct fp_shm_ctl_change c = {.seq = r + 1,
				      .time_ns = t_ns,
				      .tsc = 4000000 + r,
				      .pid = 4242,
				      .what = FP_CTL_CHANGE_TRADING,
				      .old_value = FP_TRADING_ON,
				      .new_value = FP_TRADING_HALTED};
	snprintf(c.who, sizeof(c.who), "ctl:tester");
	snprintf(c.reason, sizeof(c.reason), "round %" PRIu64 " halt, a \\ and a\ttab", r);
	put(m, T_CTL, FP_JRNL_REC_CTL_CHANGE, FP_JRNL_SRC_CTL, &c, sizeof(c));
	for (uint16_t s = 1; s <= 2; s++) {
		struct fp_jrnl_pos_snapshot p = {.time_ns = t_ns,
						 .strategy_id = s,
						 .symbol_id = (uint32_t)(1 + r % 5),
						 .position = (int64_t)(10 * r) * (s == 1 ? 1 : -1),
						 .cost = 1000000 + (int64_t)r,
						 .realized = 500 + (int64_t)r,
						 .unreal = -20,
						 .mark = 100000 + (int64_t)r};
		memcpy(p.stock, "AAPL    ", 8);
		put(m, T_POS, FP_JRNL_REC_POS_SNAPSHOT, FP_JRNL_SRC_STORE, &p, sizeof(p));
	}
	for (int k = 0; k < 2; k++) {
		struct fp_jrnl_pnl_snapshot p = {.time_ns = t_ns,
						 .strategy_id = k ? 1 : FP_JRNL_PNL_FIRM,
						 .nb_fills = (uint32_t)r,
						 .realized = 700 + (int64_t)r,
						 .unreal = -30,
						 .gross = 670,
						 .net = 600,
						 .fill_shares = 40 * r};
		put(m, T_PNL, FP_JRNL_REC_PNL_SNAPSHOT, FP_JRNL_SRC_STORE, &p, sizeof(p));
	}
	uint8_t odd[5] = {1, 2, 3, 4, 5};
	put(m, T_OTHER, 0x1ff, FP_JRNL_SRC_STORE, odd, sizeof(odd));
}

/* --count: the valid records of @p files (up to a torn tail), with the journal reader. */
static int count(int nb, char **files)
{
	uint64_t total = 0;
	for (int i = 0; i < nb; i++) {
		struct fp_store_journal_iter it;
		struct fp_store_record rec;
		if (fp_store_journal_iter_open(&it, files[i]) < 0) {
			fprintf(stderr, "pg_mkjournal: %s\n", fp_err_msg());
			return 1;
		}
		while (fp_store_journal_iter_next(&it, &rec) == 1)
			total++;
		fp_store_journal_iter_close(&it);
	}
	printf("records %" PRIu64 "\n", total);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--count"))
		return count(argc - 2, argv + 2);
	const char *path = NULL, *instance = "pgtest";
	uint64_t rounds = 10, first = 0;
	unsigned sleep_ms = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--instance") && i + 1 < argc)
			instance = argv[++i];
		else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--first") && i + 1 < argc)
			first = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--sleep-ms") && i + 1 < argc)
			sleep_ms = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--help")) {
			printf("usage: pg_mkjournal FILE [--instance NAME] [--rounds N] [--first "
			       "R] "
			       "[--sleep-ms MS]\n");
			return 0;
		} else if (!path && argv[i][0] != '-')
			path = argv[i];
		else {
			fprintf(stderr, "pg_mkjournal: bad argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (!path) {
		fprintf(stderr, "pg_mkjournal: needs a FILE\n");
		return 2;
	}
	struct mk m = {0};
	if (fp_store_journal_open(path, instance, &m.j) < 0) {
		fprintf(stderr, "pg_mkjournal: %s\n", fp_err_msg());
		return 1;
	}
	struct fp_jrnl_store_start s = {.time_ns = now_ns(),
					.pid = getpid(),
					.version = FP_JRNL_VERSION,
					.records = fp_store_journal_next_seq(m.j) - 1};
	put(&m, T_START, FP_JRNL_REC_STORE_START, FP_JRNL_SRC_STORE, &s, sizeof(s));
	for (uint64_t r = first; r < first + rounds && m.rc == 0; r++) {
		add_round(&m, r);
		if (m.rc == 0)
			m.rc = fp_store_journal_flush(m.j, false);
		if (sleep_ms) {
			struct timespec ts = {sleep_ms / 1000, (long)(sleep_ms % 1000) * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
	uint64_t last = fp_store_journal_next_seq(m.j) - 1;
	int rc = fp_store_journal_close(m.j);
	if (m.rc < 0 || rc < 0) {
		fprintf(stderr, "pg_mkjournal: %s\n", fp_err_msg());
		return 1;
	}
	printf("records %" PRIu64 "\n", last);
	for (int t = 0; t < T_NB; t++)
		printf("%s %" PRIu64 "\n", tnames[t], m.counts[t]);
	return 0;
}
