/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_strat_ind.c - streaming indicators against straightforward reference
 * computations over the whole history (recomputed from scratch at every step): EMA (and a
 * hand-computed sequence), SMA, Bollinger (two-pass variance), RSI (Wilder), MACD, ATR,
 * VWAP, book imbalance, time bars (1 s and 1 min) from trades including empty periods.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "fp_strat_ind.h"

#define N 2000

static double series[N];

static void make_series(unsigned seed)
{
	srand(seed);
	double x = 1000000.0;
	for (int i = 0; i < N; i++) {
		x += (double)(rand() % 2001 - 1000);
		series[i] = x;
	}
}

static int close_enough(double a, double b, double tol)
{
	return fabs(a - b) <= tol * (1.0 + fabs(b));
}

#define ck_close(a, b, tol)                                                                        \
	ck_assert_msg(close_enough((double)(a), (double)(b), (tol)), "%s = %.10g, want %.10g", #a, \
		      (double)(a), (double)(b))

START_TEST(test_ema_hand_computed)
{
	struct fp_ind_ema e;
	fp_ind_ema_init(&e, 3); /* alpha 0.5 */
	ck_close(fp_ind_ema_update(&e, 1), 1.0, 1e-12);
	ck_close(fp_ind_ema_update(&e, 2), 1.5, 1e-12);
	ck_assert(!e.ready);
	ck_close(fp_ind_ema_update(&e, 3), 2.25, 1e-12);
	ck_assert(e.ready);
	ck_close(fp_ind_ema_update(&e, 4), 3.125, 1e-12);
}
END_TEST

static double ref_ema(const double *x, int n, unsigned period)
{
	double a = 2.0 / (period + 1.0), v = x[0];
	for (int i = 1; i < n; i++)
		v = a * x[i] + (1 - a) * v;
	return v;
}

START_TEST(test_ema_sma_bollinger_against_reference)
{
	make_series(1);
	struct fp_ind_ema e;
	struct fp_ind_sma s;
	struct fp_ind_bollinger b;
	fp_ind_ema_init(&e, 20);
	fp_ind_sma_init(&s, 20);
	fp_ind_bollinger_init(&b, 20, 2.0);
	for (int i = 0; i < N; i++) {
		fp_ind_ema_update(&e, series[i]);
		double sma = fp_ind_sma_update(&s, series[i]);
		fp_ind_bollinger_update(&b, series[i]);
		if (i % 97)
			continue;
		ck_close(e.value, ref_ema(series, i + 1, 20), 1e-9);
		int from = i + 1 >= 20 ? i + 1 - 20 : 0, n = i + 1 - from;
		double sum = 0, ss = 0;
		for (int k = from; k <= i; k++)
			sum += series[k];
		double mean = sum / n;
		for (int k = from; k <= i; k++)
			ss += (series[k] - mean) * (series[k] - mean);
		double sd = sqrt(ss / n);
		ck_close(sma, mean, 1e-9);
		ck_close(b.mid, mean, 1e-9);
		ck_assert_msg(fabs(b.sd - sd) < 1e-3 * (1 + sd), "sd %g want %g", b.sd, sd);
		ck_assert_msg(fabs(b.upper - (mean + 2 * sd)) < 1e-2, "upper");
		ck_assert_msg(fabs(b.lower - (mean - 2 * sd)) < 1e-2, "lower");
	}
	ck_assert(s.ready);
}
END_TEST

/* Wilder's RSI recomputed from the start of the series. */
static double ref_rsi(const double *x, int n, unsigned p)
{
	double g = 0, l = 0;
	unsigned k = 0;
	for (int i = 1; i < n; i++) {
		double d = x[i] - x[i - 1], gain = d > 0 ? d : 0, loss = d < 0 ? -d : 0;
		k++;
		if (k <= p) {
			g = (g * (k - 1) + gain) / k;
			l = (l * (k - 1) + loss) / k;
		} else {
			g = (g * (p - 1) + gain) / p;
			l = (l * (p - 1) + loss) / p;
		}
	}
	return g + l == 0 ? 50.0 : 100.0 * g / (g + l);
}

START_TEST(test_rsi_macd_against_reference)
{
	make_series(2);
	struct fp_ind_rsi r;
	struct fp_ind_macd m;
	fp_ind_rsi_init(&r, 14);
	fp_ind_macd_init(&m, 12, 26, 9);
	double macd_hist[N];
	for (int i = 0; i < N; i++) {
		fp_ind_rsi_update(&r, series[i]);
		fp_ind_macd_update(&m, series[i]);
		macd_hist[i] = ref_ema(series, i + 1, 12) - ref_ema(series, i + 1, 26);
		if (i % 89 || i == 0)
			continue;
		ck_close(r.value, ref_rsi(series, i + 1, 14), 1e-9);
		ck_close(m.macd, macd_hist[i], 1e-6);
		ck_close(m.hist, macd_hist[i] - ref_ema(macd_hist, i + 1, 9), 1e-6);
	}
	ck_assert(r.ready);
	ck_assert(r.value > 0 && r.value < 100);
	/* all gains: 100 */
	fp_ind_rsi_init(&r, 3);
	for (int i = 0; i < 10; i++)
		fp_ind_rsi_update(&r, i);
	ck_close(r.value, 100.0, 1e-12);
}
END_TEST

START_TEST(test_atr_vwap_imbalance)
{
	make_series(3);
	struct fp_ind_atr a;
	fp_ind_atr_init(&a, 14);
	double tr[N / 4];
	int nb = 0;
	double prev_close = 0;
	for (int i = 0; i + 4 <= N; i += 4, nb++) {
		double hi = series[i], lo = series[i], cl = series[i + 3];
		for (int k = i; k < i + 4; k++) {
			hi = series[k] > hi ? series[k] : hi;
			lo = series[k] < lo ? series[k] : lo;
		}
		double t = hi - lo;
		if (nb) {
			t = fmax(t, fabs(hi - prev_close));
			t = fmax(t, fabs(lo - prev_close));
		}
		tr[nb] = t;
		prev_close = cl;
		fp_ind_atr_update(&a, hi, lo, cl);
		/* reference: mean of the first 14, then Wilder */
		double ref = 0;
		for (int k = 0; k <= nb; k++)
			ref = k < 14 ? (ref * k + tr[k]) / (k + 1) : (ref * 13 + tr[k]) / 14;
		ck_close(a.value, ref, 1e-9);
	}
	struct fp_ind_vwap w;
	fp_ind_vwap_reset(&w);
	double pv = 0, v = 0, got = 0;
	for (int i = 0; i < 100; i++) {
		got = fp_ind_vwap_update(&w, series[i], 100 + i);
		pv += series[i] * (100 + i);
		v += 100 + i;
	}
	ck_close(got, pv / v, 1e-12);
	ck_close(fp_ind_imbalance(300, 100), 0.5, 1e-12);
	ck_close(fp_ind_imbalance(0, 100), -1.0, 1e-12);
	ck_close(fp_ind_imbalance(0, 0), 0.0, 1e-12);
}
END_TEST

START_TEST(test_time_bars)
{
	const uint64_t S = 1000000000ULL;
	struct fp_ind_bars b;
	fp_ind_bars_init(&b, S);
	ck_assert_int_eq(fp_ind_bars_trade(&b, 10 * S + 5, 100, 10), 0);
	ck_assert_int_eq(fp_ind_bars_trade(&b, 10 * S + 500, 103, 5), 0);
	ck_assert_int_eq(fp_ind_bars_trade(&b, 10 * S + 900, 99, 5), 0);
	ck_assert_int_eq(fp_ind_bars_trade(&b, 11 * S - 1, 101, 20), 0);
	ck_assert_int_eq(fp_ind_bars_trade(&b, 13 * S, 110, 1), 1); /* 11 and 12 are empty */
	ck_assert_uint_eq(b.last.start_ns, 10 * S);
	ck_close(b.last.open, 100, 0);
	ck_close(b.last.high, 103, 0);
	ck_close(b.last.low, 99, 0);
	ck_close(b.last.close, 101, 0);
	ck_close(b.last.volume, 40, 0);
	ck_close(b.last.pv / b.last.volume, (1000 + 515 + 495 + 2020) / 40.0, 1e-12);
	ck_assert_uint_eq(b.last.nb_trades, 4);
	ck_assert_uint_eq(b.cur.start_ns, 13 * S);
	ck_assert_uint_eq(b.nb_closed, 1);
	/* one minute bars: against a naive grouping of random trades */
	make_series(4);
	fp_ind_bars_init(&b, 60 * S);
	uint64_t ts = 34200 * S;
	double hi = 0, lo = 1e18, vol = 0;
	uint64_t cur_start = 0;
	for (int i = 0; i < N; i++) {
		ts += (uint64_t)(rand() % 3000) * 1000000ULL;
		uint64_t start = ts - ts % (60 * S);
		if (i && start != cur_start) {
			ck_assert_int_eq(fp_ind_bars_trade(&b, ts, series[i], 1), 1);
			ck_close(b.last.high, hi, 0);
			ck_close(b.last.low, lo, 0);
			ck_close(b.last.volume, vol, 0);
			hi = 0, lo = 1e18, vol = 0;
		} else {
			ck_assert_int_eq(fp_ind_bars_trade(&b, ts, series[i], 1), 0);
		}
		cur_start = start;
		hi = fmax(hi, series[i]);
		lo = fmin(lo, series[i]);
		vol += 1;
	}
	fp_ind_bars_init(&b, 1); /* clamped to 1 s */
	ck_assert_uint_eq(b.period_ns, S);
	fp_ind_bars_init(&b, 7200 * S); /* clamped to 1 h */
	ck_assert_uint_eq(b.period_ns, 3600 * S);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_strat_ind");
	TCase *tc = tcase_create("indicators");
	tcase_add_test(tc, test_ema_hand_computed);
	tcase_add_test(tc, test_ema_sma_bollinger_against_reference);
	tcase_add_test(tc, test_rsi_macd_against_reference);
	tcase_add_test(tc, test_atr_vwap_imbalance);
	tcase_add_test(tc, test_time_bars);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
