/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * echo_strategy.h - the state of the test strategy echo_strategy.c (a shared object), read
 * by the host tests through fp_strat_host.slot[].state.
 */
#ifndef ECHO_STRATEGY_H
#define ECHO_STRATEGY_H

#include <stdint.h>

#include "strategy.h"

struct echo_state {
	uint64_t tops, trades, execs, rejects, timers;
	uint32_t size;
	uint32_t last_reason;
	int64_t last_position;
	/* fp_strat_depth() on the last top: return codes and levels (check_fp_strat_depth) */
	int depth_rc[2];
	struct fp_strat_level depth[2][4];
};

#endif /* ECHO_STRATEGY_H */
