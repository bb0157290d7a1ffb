/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_bt.h - the backtest: replay recorded market data (NASDAQ BinaryFILE / raw ITCH 5.0,
 * gzip too, and pcap captures of MoldUDP64) through the same stage code as `fastpath run`
 * (md normalize, book, strategy host, risk, with the same configuration files), against a
 * simulated venue with exact L3 queue position (fp_bt_venue.h), under latency models
 * (fp_bt_lat.h); writes a journal (the live records), report.json and plots.
 *
 * Who may call: `fastpath backtest` (fp_bt_main), fastpath-bench and tests. One process,
 * one thread: no segment, no pinning, no sockets. Time is the feed's (ITCH timestamps):
 * the stages get it through their clock hooks, so a day replays as fast as the CPU goes.
 * Cold paths allocate; the library never prints: progress goes to the caller's callback
 * (fp_bt_opts.progress; the command prints it on stderr); the replay loop allocates nothing.
 * docs/backtest.md is the user's page.
 */
#ifndef FP_BT_H
#define FP_BT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define FP_BT_MAX_FILES 64
#define FP_BT_MAX_LINES 64 /**< (strategy, symbol) lines in a report */
#define FP_BT_MAX_SWEEP 4  /**< keys of --sweep */
#define FP_BT_MAX_SET   8  /**< --set and --sweep overrides of one run */
#define FP_BT_MAX_RUNS  64 /**< runs of one --sweep (the product of its values) */

/** Where a run stands, handed to fp_bt_opts.progress. */
struct fp_bt_progress {
	uint64_t messages; /**< ITCH messages replayed so far */
	uint64_t orders;   /**< orders sent to the simulated venue so far */
	uint64_t sim_ns;   /**< feed time of day of the last message, ns */
	double wall_s;     /**< since the run started */
	double done;       /**< fraction of the input bytes replayed, 0..1 */
	bool last;         /**< the run's end (called once) */
};

/** Progress callback: about once a wall-clock second, and once at the end. */
typedef void (*fp_bt_progress_fn)(void *arg, const struct fp_bt_progress *p);

/** What to run (the command line, after the config file). */
struct fp_bt_opts {
	const char *config;
	const char *data[FP_BT_MAX_FILES];
	unsigned nb_data;
	int64_t from_ns;     /**< feed time of day to start trading at; -1 = from the start */
	int64_t to_ns;       /**< feed time of day to stop at; -1 = to the end */
	const char *latency; /**< NULL: the config's backtest.latency */
	int64_t seed;        /**< < 0: the config's backtest.seed */
	const char *out_dir; /**< NULL: build/backtest */
	bool json;           /**< print report.json on stdout */
	bool strict;         /**< stop at the first bad datum */
	fp_bt_progress_fn progress; /**< NULL: no progress reports */
	void *progress_arg;
	bool no_journal;    /**< benchmarks: no journal, no report files */
	bool no_strategies; /**< benchmarks: book and venue only (strategies not polled) */
	/** Overrides KEY=VALUE (--set, --sweep): strategy.ID.PARAM, latency.feed|entry|resp,
	 *  seed, backtest.fee_maker|fee_taker. */
	const char *set[FP_BT_MAX_SET];
	unsigned nb_set;
};

/** One (strategy, symbol) line of the report (money in dollars, times in ns). */
struct fp_bt_line {
	uint16_t strategy_id;
	uint32_t symbol_id;
	char stock[9];
	int64_t position, max_position;
	double cost; /**< signed cost basis of the open position, dollars */
	double realized, unrealized, fees;
	uint64_t orders, ordered_shares, fills, filled_shares, cancels, rejects;
	uint64_t passive_fills;
	double queue_wait_sum_ns; /**< over passive fills */
	double slippage_sum;      /**< dollars, signed (positive = paid above the mid) */
	uint64_t slippage_shares;
	double fill_latency_sum_ns; /**< decision -> fill report reaching the strategy */
	/* per-minute equity */
	double last_equity, peak, max_drawdown;
	double sum_r, sum_r2, sum_down2, gross_win, gross_loss;
	uint64_t minutes, wins, nonzero;
	double csv_peak; /**< equity.csv: peak of the per-second samples */
	uint64_t csv_samples;
};

/** Counts of bad input, with where the first of each kind was. */
struct fp_bt_bad {
	uint64_t truncated, gaps, missing, unknown_type, malformed, out_of_order, duplicates;
	char first[256]; /**< "FILE:OFFSET: what" of the first problem ("" = none) */
};

/** What a run did. */
struct fp_bt_result {
	uint64_t messages;     /**< ITCH messages replayed */
	uint64_t md_events;    /**< normalized events given to the book */
	uint64_t tops;         /**< book tops the strategies saw */
	uint64_t top_checksum; /**< running checksum of those tops (parity with a live run) */
	uint64_t intents, risk_rejects, orders_to_venue;
	uint64_t sim_start_ns, sim_end_ns; /**< feed time (day * 86400e9 + ns of day) */
	double wall_s;
	double replay_cpu_s; /**< CPU time of this thread in the replay itself (the files, the
			      *   closes), without set-up, teardown and report files */
	struct fp_bt_bad bad;
	uint64_t journal_records;
	char journal_sha256[65];
	char journal_path[600];
	unsigned nb_lines;
	struct fp_bt_line lines[FP_BT_MAX_LINES];
	int stopped_strict;    /**< --strict stopped the run at bad data */
	uint64_t closes;       /**< trading days closed (backtest.close) */
	uint64_t close_orders; /**< flatten orders sent at the closes */
	uint64_t close_unflat; /**< lines left open after a flatten close (no liquidity) */
	uint64_t timers;       /**< timer rounds fired between events (at their due times) */
	char latency[256];     /**< the latency spec in effect */
	uint64_t seed;         /**< the seed in effect */
};

/**
 * Run one backtest. Writes DIR/journal/, DIR/report.json, DIR/equity.csv, DIR/fills.csv
 * (unless opts->no_journal). @return 0, or a negative errno with fp_err text (bad config,
 * unreadable data, --strict stop: -EILSEQ).
 */
int fp_bt_run(const struct fp_bt_opts *opts, struct fp_bt_result *res);

/** Write @p res as the report's JSON object to @p out. */
void fp_bt_report_json(FILE *out, const struct fp_bt_opts *opts, const struct fp_bt_result *res);

/** `fastpath backtest ...`: argv[0] = "backtest". @return the process exit status. */
int fp_bt_main(int argc, char **argv);

/** Usage text of fp_bt_main. */
void fp_bt_usage(FILE *out);

#endif /* FP_BT_H */
