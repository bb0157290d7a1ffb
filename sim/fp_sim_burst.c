/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_sim_burst.c - bursts of the background flow (see fp_sim_burst.h).
 */
#include "fp_sim_burst.h"

void fp_sim_burst_init(struct fp_sim_burst *b, double base, double factor, double len_s,
		       double every_s)
{
	b->base = base;
	b->factor = factor;
	b->len_ns = (uint64_t)(len_s * 1e9);
	b->every_ns = (uint64_t)(every_s * 1e9);
	b->on = false;
	b->nb_bursts = 0;
}

void fp_sim_burst_step(struct fp_sim_burst *b, struct fp_sim_market *m, uint64_t sim_ns)
{
	/* The first burst starts one period in, so that a run begins at the base rate. */
	bool on = sim_ns >= b->every_ns && sim_ns % b->every_ns < b->len_ns;
	if (on == b->on)
		return;
	b->on = on;
	b->nb_bursts += on;
	fp_sim_market_set_rate(m, on ? b->base * b->factor : b->base);
}
