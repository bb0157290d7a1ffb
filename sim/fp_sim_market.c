/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_sim_market.c - the synthetic market (see fp_sim_market.h).
 *
 * Simulator main thread only. Model, per event (Poisson arrivals at cfg.rate per simulated
 * second over the whole market; a symbol is picked with a Zipf-like weight so that a few
 * names are busy and most are quiet, as on a real day):
 *   - the symbol's fair price takes a random-walk step (one tick up or down, pulled back
 *     towards its reference so that a long run stays near realistic levels);
 *   - add (p_add): a DAY limit order on a random side, most at or behind the touch
 *     (geometric distance in ticks), some inside the spread; quantity in round lots with a
 *     few odd lots; some hidden, some attributed to a market-maker MPID;
 *   - cancel (p_cancel): a random live background order, fully (ITCH 'D') or reduced
 *     (ITCH 'X');
 *   - replace (p_replace): a random live order moved to a new price near the fair price
 *     (ITCH 'U');
 *   - marketable (p_marketable): an IOC limit through the touch or a market order;
 *   - with halt_interval_s > 0, a symbol is halted now and then (ITCH 'H') and reopens by
 *     a cross after halt_duration_s.
 * A symbol over max_orders_per_symbol resting orders turns adds into cancels.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_compiler.h"
#include "fp_err.h"
#include "fp_sim_market.h"

/* Real names and rough price levels (dollars). Non-Nasdaq listings carry their category. */
struct fp_sim_ticker {
	const char *name;
	double px;
	char category;
	char etf;
};

static const struct fp_sim_ticker fp_sim_tickers[] = {
	{"AAPL", 189.5, 'Q', 0},  {"MSFT", 415.2, 'Q', 0},  {"NVDA", 121.4, 'Q', 0},
	{"AMZN", 181.3, 'Q', 0},  {"GOOGL", 171.9, 'Q', 0}, {"META", 484.6, 'Q', 0},
	{"TSLA", 176.8, 'Q', 0},  {"AVGO", 1352.0, 'Q', 0}, {"COST", 762.4, 'Q', 0},
	{"PEP", 171.1, 'Q', 0},   {"NFLX", 621.7, 'Q', 0},  {"AMD", 161.3, 'Q', 0},
	{"ADBE", 482.2, 'Q', 0},  {"CSCO", 48.1, 'Q', 0},   {"INTC", 31.2, 'Q', 0},
	{"CMCSA", 39.4, 'Q', 0},  {"TMUS", 165.0, 'Q', 0},  {"TXN", 175.5, 'Q', 0},
	{"QCOM", 170.3, 'Q', 0},  {"INTU", 630.8, 'Q', 0},  {"AMGN", 281.6, 'Q', 0},
	{"HON", 200.2, 'Q', 0},   {"AMAT", 210.9, 'Q', 0},  {"ISRG", 391.4, 'Q', 0},
	{"BKNG", 3601.0, 'Q', 0}, {"SBUX", 78.3, 'Q', 0},   {"MDLZ", 70.1, 'Q', 0},
	{"GILD", 68.2, 'Q', 0},   {"ADI", 200.7, 'Q', 0},   {"VRTX", 421.9, 'Q', 0},
	{"ADP", 250.3, 'Q', 0},   {"REGN", 962.5, 'Q', 0},  {"LRCX", 903.1, 'Q', 0},
	{"PANW", 320.4, 'Q', 0},  {"MU", 120.6, 'Q', 0},    {"SNPS", 541.0, 'Q', 0},
	{"KLAC", 702.3, 'Q', 0},  {"CDNS", 290.1, 'Q', 0},  {"MELI", 1651.0, 'Q', 0},
	{"PYPL", 62.4, 'Q', 0},   {"ASML", 951.2, 'Q', 0},  {"MAR", 240.8, 'Q', 0},
	{"ORLY", 1002.0, 'Q', 0}, {"CTAS", 651.5, 'Q', 0},  {"ABNB", 150.2, 'Q', 0},
	{"MNST", 53.4, 'Q', 0},   {"CSX", 34.1, 'Q', 0},    {"PCAR", 105.7, 'Q', 0},
	{"NXPI", 250.6, 'Q', 0},  {"WDAY", 260.3, 'Q', 0},  {"CRWD", 331.8, 'Q', 0},
	{"FTNT", 60.2, 'Q', 0},   {"ROP", 551.4, 'Q', 0},   {"ADSK", 230.9, 'Q', 0},
	{"CHTR", 270.5, 'Q', 0},  {"PDD", 141.2, 'Q', 0},   {"DXCM", 130.4, 'Q', 0},
	{"KDP", 33.6, 'Q', 0},    {"AEP", 85.3, 'Q', 0},    {"MRVL", 70.8, 'Q', 0},
	{"ODFL", 190.2, 'Q', 0},  {"PAYX", 120.9, 'Q', 0},  {"CPRT", 55.1, 'Q', 0},
	{"ROST", 145.6, 'Q', 0},  {"IDXX", 501.3, 'Q', 0},  {"KHC", 35.2, 'Q', 0},
	{"LULU", 381.7, 'Q', 0},  {"EXC", 38.4, 'Q', 0},    {"FAST", 68.9, 'Q', 0},
	{"CTSH", 68.3, 'Q', 0},   {"BKR", 34.5, 'Q', 0},    {"EA", 130.2, 'Q', 0},
	{"GEHC", 88.1, 'Q', 0},   {"VRSK", 240.6, 'Q', 0},  {"CSGP", 78.5, 'Q', 0},
	{"XEL", 54.2, 'Q', 0},    {"FANG", 200.4, 'Q', 0},  {"TTWO", 150.7, 'Q', 0},
	{"ANSS", 330.2, 'Q', 0},  {"DDOG", 120.3, 'Q', 0},  {"ON", 70.6, 'Q', 0},
	{"TEAM", 190.8, 'Q', 0},  {"CDW", 240.1, 'Q', 0},   {"ZS", 190.5, 'Q', 0},
	{"BIIB", 220.9, 'Q', 0},  {"MDB", 351.0, 'Q', 0},   {"ILMN", 120.4, 'Q', 0},
	{"WBD", 8.52, 'Q', 0},    {"SIRI", 3.21, 'Q', 0},   {"ZVZZT", 10.00, 'G', 0},
	{"MULN", 0.3512, 'S', 0}, {"SPY", 521.3, 'P', 1},   {"QQQ", 441.6, 'Q', 1},
	{"IWM", 200.9, 'P', 1},   {"TQQQ", 60.4, 'Q', 1},   {"SQQQ", 10.2, 'Q', 1},
	{"JPM", 195.3, 'N', 0},   {"BAC", 37.6, 'N', 0},    {"XOM", 115.2, 'N', 0},
	{"KO", 60.3, 'N', 0},     {"DIS", 110.8, 'N', 0},   {"GE", 160.5, 'N', 0},
	{"F", 12.14, 'N', 0},     {"T", 17.21, 'N', 0},     {"PFE", 28.37, 'N', 0},
	{"WMT", 60.44, 'N', 0},   {"V", 275.9, 'N', 0},     {"MA", 455.1, 'N', 0},
};

/* Market makers whose attributed quotes appear as ITCH 'F'. */
static const char *const fp_sim_mpids[] = {"GSCO", "MSCO", "JPMS", "UBSS",
					   "CDRG", "VIRT", "SUSQ", "NITE"};

struct fp_sim_msym {
	int64_t fair;           /**< fair price, in ticks */
	int64_t ref;            /**< reference (opening) price, in ticks */
	double weight;          /**< cumulative pick weight */
	uint64_t halt_until_ns; /**< 0 = trading */
};

struct fp_sim_market {
	struct fp_sim_market_cfg cfg;
	struct fp_sim_market_stats st;
	struct fp_sim_engine *eng;
	struct fp_sim_stock *dir; /**< [nb_symbols + 1], index = locate */
	struct fp_sim_msym *sym;  /**< [nb_symbols + 1] */
	uint64_t rng[4];          /**< xoshiro256** */
	uint64_t next_ns;         /**< next event, simulated ns */
	uint64_t next_halt_ns;
	uint64_t halted; /**< symbols halted now (0 or 1: one at a time) */
	uint16_t halted_locate;
	double mean_gap_ns;
	double c_add, c_cancel, c_replace; /**< cumulative mix thresholds */
};

/* ---------------------------------------------------------------- random numbers */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rnd(struct fp_sim_market *m)
{
	uint64_t *s = m->rng;
	uint64_t r = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

/** Uniform in [0, 1). */
static inline double rnd01(struct fp_sim_market *m)
{
	return (double)(rnd(m) >> 11) * 0x1.0p-53;
}

static inline uint32_t rnd_below(struct fp_sim_market *m, uint32_t n)
{
	return (uint32_t)(((rnd(m) >> 32) * (uint64_t)n) >> 32);
}

/** Geometric number of failures before a success of probability @p p. */
static inline uint32_t rnd_geom(struct fp_sim_market *m, double p)
{
	double u = rnd01(m);
	return (uint32_t)(log1p(-u) / log1p(-p));
}

/* ---------------------------------------------------------------- directory */

void fp_sim_market_cfg_default(struct fp_sim_market_cfg *c)
{
	*c = (struct fp_sim_market_cfg){
		.nb_symbols = 100,
		.seed = 1,
		.rate = 1000,
		.p_add = 0.50,
		.p_cancel = 0.30,
		.p_replace = 0.08,
		.p_marketable = 0.12,
		.p_hidden = 0.03,
		.p_attributed = 0.10,
		.halt_interval_s = 0,
		.halt_duration_s = 1.0,
		.max_orders_per_symbol = 400,
	};
}

static void set_name(char out[8], const char *name)
{
	memset(out, ' ', 8);
	memcpy(out, name, strnlen(name, 8));
}

/* Directory entry @p i (0-based): a real ticker first, then made-up four-letter names
 * ("XA..") with log-normal prices. */
static void make_stock(struct fp_sim_market *m, uint32_t i, struct fp_sim_stock *s)
{
	double px;
	char cat = 'Q', etf = 0;
	if (i < FP_ARRAY_SIZE(fp_sim_tickers)) {
		set_name(s->stock, fp_sim_tickers[i].name);
		px = fp_sim_tickers[i].px;
		cat = fp_sim_tickers[i].category;
		etf = fp_sim_tickers[i].etf;
	} else {
		uint32_t k = i - (uint32_t)FP_ARRAY_SIZE(fp_sim_tickers);
		char nm[6] = {'X',
			      (char)('A' + (k / 676) % 26),
			      (char)('A' + (k / 26) % 26),
			      (char)('A' + k % 26),
			      0,
			      0};
		set_name(s->stock, nm);
		/* exp(N(3.5, 1)): median ~$33, most between $5 and $250 */
		double u1 = rnd01(m) + 1e-12, u2 = rnd01(m);
		double z = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
		px = exp(3.5 + z);
		if (px < 1.5)
			px = 1.5 + rnd01(m);
		cat = "QGSN"[rnd_below(m, 4)];
	}
	s->tick = px < 1.0 ? 1 : 100;
	s->ref_price = (int64_t)llround(px * 10000.0 / (double)s->tick) * s->tick;
	s->round_lot = px >= 1000 ? 10 : 100;
	s->market_category = cat;
	s->issue_classification = etf ? 'Q' : 'C';
	memcpy(s->issue_sub_type, etf ? "I " : "C ", 2);
	s->etp_flag = etf ? 'Y' : 'N';
	s->luld_tier = i < 60 || etf ? '1' : '2';
}

struct fp_sim_market *fp_sim_market_create(const struct fp_sim_market_cfg *cfg,
					   struct fp_sim_engine *eng)
{
	if (cfg->nb_symbols == 0 || cfg->nb_symbols > 5000) {
		fp_err_set(-EINVAL, "symbols %u must be in 1..5000", cfg->nb_symbols);
		errno = EINVAL;
		return NULL;
	}
	if (!(cfg->rate > 0)) {
		fp_err_set(-EINVAL, "rate %g must be > 0 messages/s", cfg->rate);
		errno = EINVAL;
		return NULL;
	}
	double mix = cfg->p_add + cfg->p_cancel + cfg->p_replace + cfg->p_marketable;
	if (cfg->p_add <= 0 || cfg->p_cancel < 0 || cfg->p_replace < 0 || cfg->p_marketable < 0 ||
	    !(mix > 0)) {
		fp_err_set(-EINVAL, "event mix: p_add must be > 0 and the others >= 0");
		errno = EINVAL;
		return NULL;
	}
	struct fp_sim_market *m = calloc(1, sizeof(*m));
	if (!m)
		goto nomem;
	m->cfg = *cfg;
	m->eng = eng;
	m->dir = calloc(cfg->nb_symbols + 1, sizeof(*m->dir));
	m->sym = calloc(cfg->nb_symbols + 1, sizeof(*m->sym));
	if (!m->dir || !m->sym)
		goto nomem;
	uint64_t x = cfg->seed ? cfg->seed : 1;
	for (int i = 0; i < 4; i++)
		m->rng[i] = splitmix64(&x);
	m->c_add = cfg->p_add / mix;
	m->c_cancel = m->c_add + cfg->p_cancel / mix;
	m->c_replace = m->c_cancel + cfg->p_replace / mix;
	double w = 0;
	for (uint32_t i = 0; i < cfg->nb_symbols; i++) {
		uint16_t loc = (uint16_t)(i + 1);
		struct fp_sim_stock *s = &m->dir[loc];
		make_stock(m, i, s);
		s->locate = loc;
		char nm[9];
		memcpy(nm, s->stock, 8);
		nm[8] = 0;
		int rc = fp_sim_engine_add_symbol(eng, loc, nm, s->tick);
		if (rc < 0) {
			fp_err_append(rc, "synthetic market: symbol %u", loc);
			fp_sim_market_destroy(m);
			errno = -rc;
			return NULL;
		}
		m->sym[loc].ref = m->sym[loc].fair = s->ref_price / s->tick;
		w += 1.0 / sqrt((double)loc); /* Zipf-like, exponent 1/2 */
		m->sym[loc].weight = w;
	}
	for (uint32_t l = 1; l <= cfg->nb_symbols; l++)
		m->sym[l].weight /= w;
	fp_sim_market_set_rate(m, cfg->rate);
	m->next_ns = (uint64_t)(-log1p(-rnd01(m)) * m->mean_gap_ns);
	if (cfg->halt_interval_s > 0)
		m->next_halt_ns = (uint64_t)(-log1p(-rnd01(m)) * cfg->halt_interval_s * 1e9);
	return m;
nomem:
	fp_sim_market_destroy(m);
	fp_err_set(-ENOMEM, "synthetic market: out of memory");
	errno = ENOMEM;
	return NULL;
}

void fp_sim_market_destroy(struct fp_sim_market *m)
{
	if (!m)
		return;
	free(m->dir);
	free(m->sym);
	free(m);
}

uint32_t fp_sim_market_nb_symbols(const struct fp_sim_market *m)
{
	return m->cfg.nb_symbols;
}

const struct fp_sim_stock *fp_sim_market_stock(const struct fp_sim_market *m, uint16_t locate)
{
	return locate && locate <= m->cfg.nb_symbols ? &m->dir[locate] : NULL;
}

uint64_t fp_sim_market_next_ns(const struct fp_sim_market *m)
{
	uint64_t n = m->next_ns;
	if (m->cfg.halt_interval_s > 0 && m->next_halt_ns < n)
		n = m->next_halt_ns;
	return n;
}

void fp_sim_market_set_rate(struct fp_sim_market *m, double rate)
{
	if (rate > 0) {
		m->cfg.rate = rate;
		m->mean_gap_ns = 1e9 / rate;
	}
}

const struct fp_sim_market_stats *fp_sim_market_stats(const struct fp_sim_market *m)
{
	return &m->st;
}

/* ---------------------------------------------------------------- events */

static uint16_t pick_symbol(struct fp_sim_market *m)
{
	double u = rnd01(m);
	uint32_t lo = 1, hi = m->cfg.nb_symbols;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (m->sym[mid].weight < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (uint16_t)lo;
}

static uint32_t pick_qty(struct fp_sim_market *m, const struct fp_sim_stock *s)
{
	if (rnd_below(m, 20) == 0) /* odd lot */
		return 1 + rnd_below(m, s->round_lot > 1 ? s->round_lot - 1 : 1);
	return s->round_lot * (1 + rnd_geom(m, 0.35));
}

/* Random-walk step of the fair price, pulled back towards the reference. */
static void walk(struct fp_sim_market *m, uint16_t loc)
{
	struct fp_sim_msym *y = &m->sym[loc];
	uint32_t r = rnd_below(m, 1000);
	int64_t drift = y->fair - y->ref;
	/* 1 in 5 steps moves; the pull grows with the distance (|drift| / ref per mille). */
	int64_t bias = y->ref > 0 ? (drift * 2000) / y->ref : 0;
	if (r < 100 - bias)
		y->fair++;
	else if (r >= 900 - bias)
		y->fair--;
	if (y->fair < 1)
		y->fair = 1;
}

static void ev_add(struct fp_sim_market *m, uint16_t loc, uint64_t ts)
{
	const struct fp_sim_stock *s = &m->dir[loc];
	struct fp_sim_msym *y = &m->sym[loc];
	uint8_t side = rnd(m) & 1 ? FP_SIM_BUY : FP_SIM_SELL;
	int64_t bid, ask;
	fp_sim_engine_bbo(m->eng, loc, &bid, NULL, &ask, NULL);
	/* Half-spread of 1 to 3 ticks around fair; then a geometric distance behind it. */
	int64_t half = 1 + (int64_t)rnd_below(m, 3);
	int64_t dist = (int64_t)rnd_geom(m, 0.25);
	int64_t t = side == FP_SIM_BUY ? y->fair - half - dist : y->fair + half + dist;
	int64_t px = t * s->tick;
	/* Never cross the book with a passive add: stay one tick off the other side. */
	if (side == FP_SIM_BUY && ask && px >= ask)
		px = ask - s->tick;
	if (side == FP_SIM_SELL && bid && px <= bid)
		px = bid + s->tick;
	if (px <= 0)
		px = s->tick;
	uint32_t r = rnd_below(m, 1000);
	uint8_t display = FP_SIM_DISPLAY_VISIBLE;
	uint32_t firm = 0;
	if (r < (uint32_t)(m->cfg.p_hidden * 1000)) {
		display = FP_SIM_DISPLAY_HIDDEN;
	} else if (r < (uint32_t)((m->cfg.p_hidden + m->cfg.p_attributed) * 1000)) {
		display = FP_SIM_DISPLAY_ATTRIBUTABLE;
		firm = fp_sim_firm(fp_sim_mpids[rnd_below(m, FP_ARRAY_SIZE(fp_sim_mpids))]);
	}
	struct fp_sim_order_req q = {.owner = FP_SIM_OWNER_MARKET,
				     .firm = firm,
				     .locate = loc,
				     .side = side,
				     .tif = FP_SIM_TIF_DAY,
				     .display = display,
				     .qty = pick_qty(m, s),
				     .price = px};
	fp_sim_engine_enter(m->eng, &q, ts, NULL);
	m->st.nb_add++;
}

static uint64_t random_order(struct fp_sim_market *m, uint16_t loc)
{
	uint32_t n = fp_sim_engine_market_orders(m->eng, loc);
	return n ? fp_sim_engine_market_order_at(m->eng, loc, rnd_below(m, n)) : 0;
}

static void ev_cancel(struct fp_sim_market *m, uint16_t loc, uint64_t ts)
{
	uint64_t ref = random_order(m, loc);
	if (!ref)
		return ev_add(m, loc, ts);
	struct fp_sim_order_info o;
	fp_sim_engine_order(m->eng, ref, &o);
	uint32_t keep = 0;
	if (o.open_qty > 1 && rnd_below(m, 3) == 0) {
		keep = 1 + rnd_below(m, o.open_qty - 1);
		m->st.nb_reduce++;
	} else {
		m->st.nb_cancel++;
	}
	fp_sim_engine_cancel(m->eng, ref, keep, FP_SIM_CXL_USER, ts);
}

static void ev_replace(struct fp_sim_market *m, uint16_t loc, uint64_t ts)
{
	uint64_t ref = random_order(m, loc);
	if (!ref)
		return ev_add(m, loc, ts);
	const struct fp_sim_stock *s = &m->dir[loc];
	struct fp_sim_order_info o;
	fp_sim_engine_order(m->eng, ref, &o);
	int64_t bid, ask;
	fp_sim_engine_bbo(m->eng, loc, &bid, NULL, &ask, NULL);
	int64_t dist = 1 + (int64_t)rnd_geom(m, 0.3);
	int64_t px = (o.side == FP_SIM_BUY ? m->sym[loc].fair - dist : m->sym[loc].fair + dist) *
		     s->tick;
	if (o.side == FP_SIM_BUY && ask && px >= ask)
		px = ask - s->tick;
	if (o.side == FP_SIM_SELL && bid && px <= bid)
		px = bid + s->tick;
	if (px <= 0)
		px = s->tick;
	struct fp_sim_order_req q = {.qty = o.exec_qty + pick_qty(m, s),
				     .price = px,
				     .tif = FP_SIM_TIF_DAY,
				     .display = o.display};
	fp_sim_engine_replace(m->eng, ref, &q, ts);
	m->st.nb_replace++;
}

static void ev_marketable(struct fp_sim_market *m, uint16_t loc, uint64_t ts)
{
	const struct fp_sim_stock *s = &m->dir[loc];
	uint8_t side = rnd(m) & 1 ? FP_SIM_BUY : FP_SIM_SELL;
	int64_t bid, ask;
	fp_sim_engine_bbo(m->eng, loc, &bid, NULL, &ask, NULL);
	int64_t touch = side == FP_SIM_BUY ? ask : bid;
	int64_t px = FP_SIM_PRICE_MARKET;
	if (touch && rnd_below(m, 5) != 0) {
		int64_t through = (int64_t)rnd_below(m, 3) * s->tick;
		px = side == FP_SIM_BUY ? touch + through : touch - through;
		if (px <= 0)
			px = s->tick;
	}
	struct fp_sim_order_req q = {.owner = FP_SIM_OWNER_MARKET,
				     .locate = loc,
				     .side = side,
				     .tif = FP_SIM_TIF_IOC,
				     .display = FP_SIM_DISPLAY_VISIBLE,
				     .qty = pick_qty(m, s),
				     .price = px};
	/* During a halt, eager traders leave DAY orders through the touch instead: they rest
	 * crossed and trade in the reopening cross (ITCH 'C' and 'Q'). */
	if (fp_sim_engine_state(m->eng, loc) != FP_SIM_STATE_TRADING) {
		q.tif = FP_SIM_TIF_DAY;
		if (px == FP_SIM_PRICE_MARKET)
			q.price =
				(side == FP_SIM_BUY ? m->sym[loc].fair + 2 : m->sym[loc].fair - 2) *
				s->tick;
		if (q.price <= 0)
			q.price = s->tick;
	}
	fp_sim_engine_enter(m->eng, &q, ts, NULL);
	m->st.nb_marketable++;
}

static void ev_halt(struct fp_sim_market *m, uint64_t now, uint64_t ts)
{
	if (m->halted) {
		fp_sim_engine_set_state(m->eng, m->halted_locate, FP_SIM_STATE_TRADING, NULL, ts);
		m->halted = 0;
		m->next_halt_ns =
			now + (uint64_t)(-log1p(-rnd01(m)) * m->cfg.halt_interval_s * 1e9);
		return;
	}
	uint16_t loc = pick_symbol(m);
	/* LULD pause ('P', "LUDP") or a news halt ('H', "T1"), alternately at random. */
	if (rnd(m) & 1)
		fp_sim_engine_set_state(m->eng, loc, FP_SIM_STATE_PAUSED, "LUDP", ts);
	else
		fp_sim_engine_set_state(m->eng, loc, FP_SIM_STATE_HALTED, "T1", ts);
	m->halted = 1;
	m->halted_locate = loc;
	m->st.nb_halts++;
	m->next_halt_ns = now + (uint64_t)(m->cfg.halt_duration_s * 1e9);
}

unsigned fp_sim_market_step(struct fp_sim_market *m, uint64_t now_ns, uint64_t ts_base_ns,
			    unsigned budget)
{
	unsigned n = 0;
	while (n < budget) {
		bool halt = m->cfg.halt_interval_s > 0 && m->next_halt_ns <= m->next_ns;
		uint64_t t = halt ? m->next_halt_ns : m->next_ns;
		if (t > now_ns)
			break;
		uint64_t ts = ts_base_ns + t;
		n++;
		if (halt) {
			ev_halt(m, t, ts);
			continue;
		}
		m->next_ns = t + 1 + (uint64_t)(-log1p(-rnd01(m)) * m->mean_gap_ns);
		m->st.nb_events++;
		uint16_t loc = pick_symbol(m);
		walk(m, loc);
		double u = rnd01(m);
		if (u < m->c_add) {
			if (fp_sim_engine_market_orders(m->eng, loc) >=
			    m->cfg.max_orders_per_symbol)
				ev_cancel(m, loc, ts);
			else
				ev_add(m, loc, ts);
		} else if (u < m->c_cancel) {
			ev_cancel(m, loc, ts);
		} else if (u < m->c_replace) {
			ev_replace(m, loc, ts);
		} else {
			ev_marketable(m, loc, ts);
		}
	}
	return n;
}
