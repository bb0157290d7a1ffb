/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_bt_lat.h - the backtest's latency models: feed (exchange timestamp -> our event),
 * order entry (decision -> venue) and response (venue -> our stages), each a constant or
 * seeded samples from a histogram file (the "quantiles" of `fastpath run --report`'s
 * report.json, or lines "QUANTILE NANOSECONDS").
 *
 * Backtest engine and tests only; cold parse (allocates nothing after it), hot sample (no
 * syscall). Deterministic: the same spec and seed give the same samples.
 *
 * --latency SPEC: comma-separated KEY=VALUE, KEY one of feed, entry, resp; VALUE a duration
 * ("250ns", "20us", "1ms", plain numbers are ns) or "hist:FILE". Defaults: 0.
 *   --latency entry=20us,resp=hist:build/demo/report.json
 */
#ifndef FP_BT_LAT_H
#define FP_BT_LAT_H

#include <stdint.h>

#define FP_BT_LAT_POINTS 64

/** One latency model. */
struct fp_bt_lat {
	uint32_t nb;                   /**< 0: the constant */
	uint64_t constant_ns;          /**< when nb == 0 */
	double q[FP_BT_LAT_POINTS];    /**< quantiles, ascending, in (0, 1] */
	uint64_t ns[FP_BT_LAT_POINTS]; /**< the latency at each quantile */
	uint64_t rng;                  /**< xorshift64* state (never 0) */
};

enum fp_bt_lat_kind { FP_BT_LAT_FEED = 0, FP_BT_LAT_ENTRY, FP_BT_LAT_RESP, FP_BT_LAT_NB };

/**
 * Parse @p spec (NULL or "" = every latency 0) into the three models, seeded from @p seed
 * (each model its own stream). Cold. @return 0 or -EINVAL/-ENOENT with fp_err text.
 */
int fp_bt_lat_parse(struct fp_bt_lat lat[FP_BT_LAT_NB], const char *spec, uint64_t seed);

/** Load a histogram file into @p l. @return 0 or a negative errno with fp_err text. */
int fp_bt_lat_load(struct fp_bt_lat *l, const char *path);

/** One sample, ns: the constant, or the inverse of the file's distribution (linear between
 *  quantiles, the first value below the first quantile). */
uint64_t fp_bt_lat_sample(struct fp_bt_lat *l);

#endif /* FP_BT_LAT_H */
