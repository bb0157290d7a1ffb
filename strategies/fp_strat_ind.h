/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_strat_ind.h - streaming indicators for strategies: O(1) per update, fixed-size state.
 *
 * Any thread that owns the state (strategies call them from their callbacks): no
 * allocation, no syscalls, no locks. Values are doubles in whatever unit the caller feeds
 * (usually Price(4) as a double). Each indicator is "warm" once it has seen enough samples
 * (`ready`); before that its value is the best available (e.g. the EMA of what it has seen).
 *
 *   EMA       alpha = 2 / (n + 1), seeded with the first sample
 *   SMA       ring of the last n samples (n <= FP_IND_WINDOW_MAX), running sum
 *   RSI       Wilder: first n changes averaged, then avg = (avg * (n - 1) + x) / n
 *   MACD      EMA(fast) - EMA(slow), signal = EMA(signal) of that, histogram = difference
 *   Bollinger SMA and population standard deviation of the last n, bands at +- k sd
 *   ATR       Wilder average of true range max(h - l, |h - prev close|, |l - prev close|)
 *   VWAP      cumulative sum(price x size) / sum(size) since reset
 *   imbalance (bid size - ask size) / (bid size + ask size), in [-1, 1]
 *   bars      time bars (open, high, low, close, volume, vwap) from trades, period 1 s .. 1 h
 *             in venue nanoseconds, aligned to multiples of the period; empty periods are
 *             skipped (a bar closes when a trade of a later period arrives)
 */
#ifndef FP_STRAT_IND_H
#define FP_STRAT_IND_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define FP_IND_WINDOW_MAX 512

struct fp_ind_ema {
	double alpha;
	double value;
	uint32_t n;     /**< samples seen (saturates) */
	uint32_t ready; /**< n >= period */
	uint32_t period;
};

static inline void fp_ind_ema_init(struct fp_ind_ema *e, uint32_t period)
{
	memset(e, 0, sizeof(*e));
	e->period = period ? period : 1;
	e->alpha = 2.0 / ((double)e->period + 1.0);
}

static inline double fp_ind_ema_update(struct fp_ind_ema *e, double x)
{
	if (e->n == 0)
		e->value = x;
	else
		e->value += e->alpha * (x - e->value);
	if (e->n < UINT32_MAX)
		e->n++;
	e->ready = e->n >= e->period;
	return e->value;
}

struct fp_ind_sma {
	double buf[FP_IND_WINDOW_MAX];
	double sum;
	double sum_sq; /**< for Bollinger */
	uint32_t period;
	uint32_t pos;
	uint32_t n; /**< samples in the window (<= period) */
	uint32_t ready;
};

static inline void fp_ind_sma_init(struct fp_ind_sma *s, uint32_t period)
{
	memset(s, 0, sizeof(*s));
	if (period == 0)
		period = 1;
	s->period = period > FP_IND_WINDOW_MAX ? FP_IND_WINDOW_MAX : period;
}

static inline double fp_ind_sma_update(struct fp_ind_sma *s, double x)
{
	if (s->n == s->period) {
		double old = s->buf[s->pos];
		s->sum -= old;
		s->sum_sq -= old * old;
	} else {
		s->n++;
	}
	s->buf[s->pos] = x;
	s->sum += x;
	s->sum_sq += x * x;
	s->pos = s->pos + 1 == s->period ? 0 : s->pos + 1;
	s->ready = s->n == s->period;
	return s->sum / s->n;
}

static inline double fp_ind_sma_value(const struct fp_ind_sma *s)
{
	return s->n ? s->sum / s->n : 0.0;
}

struct fp_ind_bollinger {
	struct fp_ind_sma sma;
	double k;
	double mid, upper, lower, sd;
};

static inline void fp_ind_bollinger_init(struct fp_ind_bollinger *b, uint32_t period, double k)
{
	fp_ind_sma_init(&b->sma, period);
	b->k = k;
	b->mid = b->upper = b->lower = b->sd = 0;
}

static inline void fp_ind_bollinger_update(struct fp_ind_bollinger *b, double x)
{
	b->mid = fp_ind_sma_update(&b->sma, x);
	double var = b->sma.sum_sq / b->sma.n - b->mid * b->mid;
	b->sd = var > 0 ? sqrt(var) : 0.0;
	b->upper = b->mid + b->k * b->sd;
	b->lower = b->mid - b->k * b->sd;
}

struct fp_ind_rsi {
	double prev;
	double avg_gain, avg_loss;
	double value; /**< 0 .. 100; 50 until ready */
	uint32_t period;
	uint32_t n; /**< changes seen */
	uint32_t ready;
	uint32_t has_prev;
};

static inline void fp_ind_rsi_init(struct fp_ind_rsi *r, uint32_t period)
{
	memset(r, 0, sizeof(*r));
	r->period = period ? period : 1;
	r->value = 50.0;
}

static inline double fp_ind_rsi_update(struct fp_ind_rsi *r, double x)
{
	if (!r->has_prev) {
		r->prev = x;
		r->has_prev = 1;
		return r->value;
	}
	double d = x - r->prev, gain = d > 0 ? d : 0, loss = d < 0 ? -d : 0;
	r->prev = x;
	r->n++;
	if (r->n <= r->period) { /* seed: simple average of the first `period` changes */
		r->avg_gain += (gain - r->avg_gain) / r->n;
		r->avg_loss += (loss - r->avg_loss) / r->n;
	} else {
		r->avg_gain = (r->avg_gain * (r->period - 1) + gain) / r->period;
		r->avg_loss = (r->avg_loss * (r->period - 1) + loss) / r->period;
	}
	r->ready = r->n >= r->period;
	if (r->avg_gain + r->avg_loss == 0)
		r->value = 50.0;
	else
		r->value = 100.0 * r->avg_gain / (r->avg_gain + r->avg_loss);
	return r->value;
}

struct fp_ind_macd {
	struct fp_ind_ema fast, slow, signal;
	double macd, hist;
};

static inline void fp_ind_macd_init(struct fp_ind_macd *m, uint32_t fast, uint32_t slow,
				    uint32_t signal)
{
	fp_ind_ema_init(&m->fast, fast);
	fp_ind_ema_init(&m->slow, slow);
	fp_ind_ema_init(&m->signal, signal);
	m->macd = m->hist = 0;
}

static inline void fp_ind_macd_update(struct fp_ind_macd *m, double x)
{
	m->macd = fp_ind_ema_update(&m->fast, x) - fp_ind_ema_update(&m->slow, x);
	m->hist = m->macd - fp_ind_ema_update(&m->signal, m->macd);
}

struct fp_ind_atr {
	double prev_close;
	double value;
	uint32_t period;
	uint32_t n;
	uint32_t ready;
	uint32_t has_prev;
};

static inline void fp_ind_atr_init(struct fp_ind_atr *a, uint32_t period)
{
	memset(a, 0, sizeof(*a));
	a->period = period ? period : 1;
}

/** Feed one bar (high, low, close). */
static inline double fp_ind_atr_update(struct fp_ind_atr *a, double high, double low, double close)
{
	double tr = high - low;
	if (a->has_prev) {
		double u = fabs(high - a->prev_close), d = fabs(low - a->prev_close);
		tr = tr > u ? tr : u;
		tr = tr > d ? tr : d;
	}
	a->has_prev = 1;
	a->prev_close = close;
	a->n++;
	if (a->n <= a->period)
		a->value += (tr - a->value) / a->n;
	else
		a->value = (a->value * (a->period - 1) + tr) / a->period;
	a->ready = a->n >= a->period;
	return a->value;
}

struct fp_ind_vwap {
	double pv;
	double v;
};

static inline void fp_ind_vwap_reset(struct fp_ind_vwap *w)
{
	w->pv = w->v = 0;
}

static inline double fp_ind_vwap_update(struct fp_ind_vwap *w, double price, double size)
{
	w->pv += price * size;
	w->v += size;
	return w->v > 0 ? w->pv / w->v : 0.0;
}

/** Order-book imbalance of a top: (bid - ask) / (bid + ask), 0 when both are empty. */
static inline double fp_ind_imbalance(uint32_t bid_shares, uint32_t ask_shares)
{
	double b = bid_shares, a = ask_shares;
	return a + b > 0 ? (b - a) / (a + b) : 0.0;
}

/** One time bar. */
struct fp_ind_bar {
	uint64_t start_ns; /**< venue ns since midnight, multiple of the period */
	double open, high, low, close;
	double volume;
	double pv; /**< sum price x size (vwap = pv / volume) */
	uint32_t nb_trades;
	uint32_t reserved;
};

struct fp_ind_bars {
	uint64_t period_ns;     /**< 1e9 .. 3600e9 */
	struct fp_ind_bar cur;  /**< the bar being built (nb_trades 0 = none yet) */
	struct fp_ind_bar last; /**< the last completed bar */
	uint64_t nb_closed;
};

static inline void fp_ind_bars_init(struct fp_ind_bars *b, uint64_t period_ns)
{
	memset(b, 0, sizeof(*b));
	if (period_ns < 1000000000ULL)
		period_ns = 1000000000ULL;
	if (period_ns > 3600000000000ULL)
		period_ns = 3600000000000ULL;
	b->period_ns = period_ns;
}

/**
 * Add a trade. @return 1 when it closed the previous bar (then b->last holds it), else 0.
 * Trades older than the current bar are folded into it (venue timestamps may tie).
 */
static inline int fp_ind_bars_trade(struct fp_ind_bars *b, uint64_t ts_ns, double price,
				    double size)
{
	uint64_t start = ts_ns - ts_ns % b->period_ns;
	int closed = 0;
	if (b->cur.nb_trades && start > b->cur.start_ns) {
		b->last = b->cur;
		b->nb_closed++;
		b->cur.nb_trades = 0;
		closed = 1;
	}
	if (!b->cur.nb_trades) {
		b->cur = (struct fp_ind_bar){.start_ns = start,
					     .open = price,
					     .high = price,
					     .low = price,
					     .close = price};
	}
	struct fp_ind_bar *c = &b->cur;
	if (price > c->high)
		c->high = price;
	if (price < c->low)
		c->low = price;
	c->close = price;
	c->volume += size;
	c->pv += price * size;
	c->nb_trades++;
	return closed;
}

#endif /* FP_STRAT_IND_H */
