/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_sim_burst.h - bursts of the background flow: every `every` simulated seconds, the
 * market's rate is `factor` times the base rate for `len` simulated seconds (e.g. 5x for
 * 10 ms each second), then back to the base. What `fastpath-bench load` drives the pipeline
 * with besides steady rates.
 *
 * Who may call: the simulator's main thread. No allocation, no syscalls.
 */
#ifndef FP_SIM_BURST_H
#define FP_SIM_BURST_H

#include <stdbool.h>
#include <stdint.h>

#include "fp_sim_market.h"

struct fp_sim_burst {
	double base;       /**< events per simulated second outside bursts */
	double factor;     /**< rate multiplier during a burst (> 1) */
	uint64_t len_ns;   /**< burst length, simulated ns */
	uint64_t every_ns; /**< one burst starts every this many simulated ns */
	bool on;           /**< in a burst now */
	uint64_t nb_bursts;
};

/** Set up bursts of @p factor x @p base for @p len_s every @p every_s (len_s < every_s). */
void fp_sim_burst_init(struct fp_sim_burst *b, double base, double factor, double len_s,
		       double every_s);

/** Set the market's rate for simulated time @p sim_ns (from the start of the session). */
void fp_sim_burst_step(struct fp_sim_burst *b, struct fp_sim_market *m, uint64_t sim_ns);

#endif /* FP_SIM_BURST_H */
