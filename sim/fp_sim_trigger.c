/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_sim_trigger.c - the venue's tick-to-trade probe (see fp_sim_trigger.h).
 */
#include "fp_sim_trigger.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fp_err.h"
#include "fp_sim_market.h"

struct fp_sim_trigger {
	struct fp_sim_trigger_cfg cfg;
	struct fp_sim_order_listener inner;
	const uint64_t *recv_mono_ns;
	struct fp_sim_engine *eng;
	struct fp_sim_itch *itch;
	uint64_t period_ns;
	uint64_t next_due;   /**< monotonic; UINT64_MAX before open */
	uint64_t marker_ref; /**< the marker bid on the book */
	uint32_t last;       /**< price slot of the last trigger */
	struct {
		uint64_t dep_ns; /**< departure of the trigger at this price, 0 = none yet */
		bool answered;   /**< that trigger has its sample */
	} slot[FP_SIM_TRIGGER_PRICES];
	uint64_t *samples; /**< arrival - departure, ns */
	struct fp_sim_trigger_stats st;
};

struct fp_sim_trigger *fp_sim_trigger_create(const struct fp_sim_trigger_cfg *cfg)
{
	if (!(cfg->rate > 0 && cfg->rate <= 1e6) || cfg->locate == 0) {
		errno = EINVAL;
		fp_err_set(-EINVAL, "trigger rate must be in (0, 1000000] per second, got %g",
			   cfg->rate);
		return NULL;
	}
	struct fp_sim_trigger *t = calloc(1, sizeof(*t));
	if (t)
		t->samples = calloc(FP_SIM_TRIGGER_MAX_SAMPLES, sizeof(*t->samples));
	if (!t || !t->samples) {
		free(t);
		errno = ENOMEM;
		fp_err_set(-ENOMEM, "no memory for the trigger samples");
		return NULL;
	}
	t->cfg = *cfg;
	t->period_ns = (uint64_t)(1e9 / cfg->rate);
	t->next_due = UINT64_MAX;
	return t;
}

void fp_sim_trigger_destroy(struct fp_sim_trigger *t)
{
	if (!t)
		return;
	free(t->samples);
	free(t);
}

/* An order of a client on the reserved symbol reached the engine. */
static void note_order(struct fp_sim_trigger *t, const struct fp_sim_order_info *o)
{
	if (o->locate != t->cfg.locate)
		return;
	uint64_t arrival = *t->recv_mono_ns;
	int64_t k = (o->price - FP_SIM_TRIGGER_PRICE0) / FP_SIM_TRIGGER_TICK;
	if (o->price < FP_SIM_TRIGGER_PRICE0 || k >= FP_SIM_TRIGGER_PRICES ||
	    (o->price - FP_SIM_TRIGGER_PRICE0) % FP_SIM_TRIGGER_TICK || t->slot[k].dep_ns == 0 ||
	    arrival < t->slot[k].dep_ns) {
		t->st.nb_stray++;
	} else if (t->slot[k].answered) {
		t->st.nb_extra++;
	} else {
		t->slot[k].answered = true;
		if (t->st.nb_answered < FP_SIM_TRIGGER_MAX_SAMPLES)
			t->samples[t->st.nb_answered] = arrival - t->slot[k].dep_ns;
		else
			t->st.nb_dropped++;
		t->st.nb_answered++;
	}
}

static void on_accepted(void *arg, const struct fp_sim_order_info *o)
{
	struct fp_sim_trigger *t = arg;
	note_order(t, o);
	if (t->inner.on_accepted)
		t->inner.on_accepted(t->inner.arg, o);
}

static void on_executed(void *arg, const struct fp_sim_order_info *o, uint32_t qty, int64_t price,
			uint64_t match_number, uint8_t liquidity)
{
	struct fp_sim_trigger *t = arg;
	if (t->inner.on_executed)
		t->inner.on_executed(t->inner.arg, o, qty, price, match_number, liquidity);
}

static void on_canceled(void *arg, const struct fp_sim_order_info *o, uint32_t qty_decrement,
			uint8_t reason)
{
	struct fp_sim_trigger *t = arg;
	if (t->inner.on_canceled)
		t->inner.on_canceled(t->inner.arg, o, qty_decrement, reason);
}

static void on_replaced(void *arg, const struct fp_sim_order_info *o, uint32_t orig_token,
			uint64_t orig_ref)
{
	struct fp_sim_trigger *t = arg;
	if (t->inner.on_replaced)
		t->inner.on_replaced(t->inner.arg, o, orig_token, orig_ref);
}

static void on_rejected(void *arg, const struct fp_sim_order_info *o, uint16_t reason)
{
	struct fp_sim_trigger *t = arg;
	note_order(t, o);
	if (t->inner.on_rejected)
		t->inner.on_rejected(t->inner.arg, o, reason);
}

struct fp_sim_order_listener fp_sim_trigger_listener(struct fp_sim_trigger *t,
						     struct fp_sim_order_listener inner,
						     const uint64_t *recv_mono_ns)
{
	t->inner = inner;
	t->recv_mono_ns = recv_mono_ns;
	return (struct fp_sim_order_listener){
		.arg = t,
		.on_accepted = on_accepted,
		.on_executed = on_executed,
		.on_canceled = on_canceled,
		.on_replaced = on_replaced,
		.on_rejected = on_rejected,
	};
}

static uint64_t rest(struct fp_sim_trigger *t, uint8_t side, int64_t price, uint64_t ts_ns)
{
	struct fp_sim_order_req q = {.owner = FP_SIM_OWNER_MARKET,
				     .locate = t->cfg.locate,
				     .side = side,
				     .tif = FP_SIM_TIF_DAY,
				     .display = FP_SIM_DISPLAY_VISIBLE,
				     .qty = 100,
				     .price = price};
	return fp_sim_engine_enter(t->eng, &q, ts_ns, NULL);
}

static int64_t price_of(uint32_t k)
{
	return FP_SIM_TRIGGER_PRICE0 + (int64_t)k * FP_SIM_TRIGGER_TICK;
}

int fp_sim_trigger_open(struct fp_sim_trigger *t, struct fp_sim_engine *eng,
			struct fp_sim_itch *itch, uint64_t ts_ns, uint64_t mono_ns)
{
	struct fp_sim_stock s = {.locate = t->cfg.locate,
				 .round_lot = 100,
				 .ref_price = INT64_C(1000000),
				 .tick = 100,
				 .market_category = 'Q',
				 .issue_classification = 'C',
				 .issue_sub_type = {'Z', ' '},
				 .etp_flag = 'N',
				 .luld_tier = '2'};
	memset(s.stock, ' ', sizeof(s.stock));
	memcpy(s.stock, FP_SIM_TRIGGER_STOCK, strlen(FP_SIM_TRIGGER_STOCK));
	int rc = fp_sim_engine_add_symbol(eng, t->cfg.locate, FP_SIM_TRIGGER_STOCK, s.tick);
	if (rc < 0)
		return fp_err_append(rc, "trigger symbol %s", FP_SIM_TRIGGER_STOCK);
	t->eng = eng;
	t->itch = itch;
	fp_sim_itch_stock_directory(itch, &s, ts_ns);
	fp_sim_engine_set_state(eng, t->cfg.locate, FP_SIM_STATE_TRADING, NULL, ts_ns);
	t->last = FP_SIM_TRIGGER_PRICES - 1; /* the marker starts at the cycle's last price */
	if (!(t->marker_ref = rest(t, FP_SIM_BUY, price_of(t->last), ts_ns)))
		return fp_err_set(-EINVAL, "trigger symbol %s: the marker was refused",
				  FP_SIM_TRIGGER_STOCK);
	fp_sim_itch_flush(itch, ts_ns);
	t->next_due = mono_ns + t->period_ns;
	return 0;
}

static uint64_t mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

unsigned fp_sim_trigger_poll(struct fp_sim_trigger *t, uint64_t mono_ns, uint64_t ts_ns)
{
	if (mono_ns < t->next_due)
		return 0;
	/* One ITCH message per trigger ('U'), so that a client sees one change of the touch. */
	uint32_t k = (t->last + 1) % FP_SIM_TRIGGER_PRICES;
	struct fp_sim_order_req q = {.owner = FP_SIM_OWNER_MARKET,
				     .tif = FP_SIM_TIF_DAY,
				     .display = FP_SIM_DISPLAY_VISIBLE,
				     .qty = 100,
				     .price = price_of(k)};
	uint64_t ref = fp_sim_engine_replace(t->eng, t->marker_ref, &q, ts_ns);
	if (!ref) /* cannot happen: nothing trades with the marker (no ask, no client sells) */
		return 0;
	t->marker_ref = ref;
	t->last = k;
	uint64_t dep = mono_now();
	fp_sim_itch_flush(t->itch, ts_ns);
	t->slot[k].dep_ns = dep;
	t->slot[k].answered = false;
	t->st.nb_sent++;
	/* No catching up after a stall: the next one a period after this one. */
	t->next_due += t->period_ns;
	if (t->next_due <= dep)
		t->next_due = dep + t->period_ns;
	return 1;
}

bool fp_sim_trigger_waiting(const struct fp_sim_trigger *t, uint64_t mono_ns)
{
	return t->slot[t->last].dep_ns && !t->slot[t->last].answered &&
	       mono_ns - t->slot[t->last].dep_ns < (uint64_t)FP_SIM_TRIGGER_WAIT_MS * 1000000u;
}

uint64_t fp_sim_trigger_due(const struct fp_sim_trigger *t)
{
	return t->next_due;
}

const struct fp_sim_trigger_stats *fp_sim_trigger_stats(const struct fp_sim_trigger *t)
{
	return &t->st;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Nearest-rank quantile q of the n sorted samples (n > 0). */
static uint64_t quantile(const uint64_t *v, uint64_t n, double q)
{
	uint64_t rank = (uint64_t)ceil(q * (double)n);
	return v[rank ? rank - 1 : 0];
}

void fp_sim_trigger_print(FILE *out, struct fp_sim_trigger *t, bool json)
{
	const struct fp_sim_trigger_stats *s = &t->st;
	uint64_t n = s->nb_answered < FP_SIM_TRIGGER_MAX_SAMPLES ? s->nb_answered
								 : FP_SIM_TRIGGER_MAX_SAMPLES;
	uint64_t p50 = 0, p99 = 0, p999 = 0, max = 0, min = 0;
	if (n) {
		qsort(t->samples, n, sizeof(*t->samples), cmp_u64);
		p50 = quantile(t->samples, n, 0.50);
		p99 = quantile(t->samples, n, 0.99);
		p999 = quantile(t->samples, n, 0.999);
		min = t->samples[0];
		max = t->samples[n - 1];
	}
	if (json)
		fprintf(out,
			", \"trigger\": {\"symbol\": \"%s\", \"locate\": %u, \"rate\": %.0f, "
			"\"sent\": %" PRIu64 ", \"answered\": %" PRIu64 ", \"extra\": %" PRIu64
			", \"stray\": %" PRIu64 ", \"p50_ns\": %" PRIu64 ", \"p99_ns\": %" PRIu64
			", \"p99_9_ns\": %" PRIu64 ", \"max_ns\": %" PRIu64 ", \"min_ns\": %" PRIu64
			"}",
			FP_SIM_TRIGGER_STOCK, t->cfg.locate, t->cfg.rate, s->nb_sent,
			s->nb_answered, s->nb_extra, s->nb_stray, p50, p99, p999, max, min);
	else
		fprintf(out,
			"  trigger: %" PRIu64 " sent on %s, %" PRIu64 " answered (%" PRIu64
			" extra, %" PRIu64
			" stray): venue-side tick-to-trade p50 %.2f us, p99 %.2f us, p99.9 "
			"%.2f us, max %.2f us\n",
			s->nb_sent, FP_SIM_TRIGGER_STOCK, s->nb_answered, s->nb_extra, s->nb_stray,
			p50 / 1e3, p99 / 1e3, p999 / 1e3, max / 1e3);
}
