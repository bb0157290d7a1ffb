/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_tsc.h - the time-stamp counter as the clock of every hop: read, calibrate, convert.
 *
 * Any process, any core. fp_tsc_now(), fp_tsc_now_ordered(), fp_tsc_to_ns() and
 * fp_tsc_from_ns() are hot-path safe: a few instructions, no syscall, no allocation, no
 * division. fp_tsc_calibrate() and fp_tsc_conv_init() are cold: calibration sleeps for about
 * 60 ms and reads /proc/cpuinfo.
 *
 * One process (the supervisor) calibrates once and stores the Hz in the segment header;
 * every other process builds its struct fp_tsc_conv from that stored Hz, so that all of
 * them turn the same cycle count into the same nanoseconds. A TSC stamp taken on one core
 * may be compared with one taken on another only because the TSC is invariant
 * (constant_tsc + nonstop_tsc) and synchronised across cores; fp_tsc_calibrate() refuses a
 * machine without both flags.
 *
 *     uint64_t t0 = fp_tsc_now();
 *     ...
 *     uint64_t ns = fp_tsc_to_ns(&conv, fp_tsc_now() - t0);
 */
#ifndef FP_TSC_H
#define FP_TSC_H

#include <stdint.h>

#include "fp_compiler.h"

/** Fixed-point shift of the cycles->ns and ns->cycles multipliers (see fp_tsc_conv). */
#define FP_TSC_CONV_SHIFT 32

/** Lowest and highest TSC rates fp_tsc_conv_init() accepts (Hz). */
#define FP_TSC_HZ_MIN 100000000ULL    /* 100 MHz */
#define FP_TSC_HZ_MAX 100000000000ULL /* 100 GHz */

/**
 * Precomputed conversion between TSC cycles and nanoseconds, private to each process (it
 * holds no pointers and may also live in shared memory). Built by fp_tsc_conv_init().
 *
 * ns = (cycles * ns_mult) >> FP_TSC_CONV_SHIFT, with a 64x64->128-bit multiply, so any
 * 64-bit cycle count converts without overflow and without a division. ns_mult is
 * 1e9 * 2^32 / hz rounded, so the relative error of a conversion is below 2^-32 * hz / 1e9
 * (under 1e-9 for any TSC up to 4 GHz) plus the error of hz itself.
 */
struct fp_tsc_conv {
	uint64_t hz;       /**< TSC rate, cycles per second */
	uint64_t ns_mult;  /**< cycles->ns multiplier, 1e9 * 2^32 / hz */
	uint64_t cyc_mult; /**< ns->cycles multiplier, hz * 2^32 / 1e9 */
};

/**
 * Measure the TSC rate against CLOCK_MONOTONIC (cold: sleeps about 60 ms, up to three times
 * that on a busy machine).
 *
 * Takes several 12 ms windows. Each window's ends are (TSC, CLOCK_MONOTONIC) pairs read
 * back to back, retried until the TSC reads around clock_gettime() are close, so that a
 * preemption or an interrupt between the two reads cannot skew a pair; the result is the
 * median of the windows' rates. Preemption inside a window is harmless (both clocks run).
 *
 * @param hz  receives the rate in Hz
 * @return 0; -ENOTSUP when the TSC is not invariant (the message names the missing
 *         /proc/cpuinfo flags); -EIO when the windows disagree by more than 0.1% or a
 *         clock could not be read (the message gives the figures).
 */
int fp_tsc_calibrate(uint64_t *hz);

/**
 * Whether this CPU's TSC is invariant: 1 when /proc/cpuinfo lists both constant_tsc and
 * nonstop_tsc, 0 when one is missing (then @p missing, if not NULL, receives the missing
 * flag names), negative errno when /proc/cpuinfo cannot be read.
 */
int fp_tsc_invariant(char *missing, unsigned missing_len);

/**
 * Build a conversion from a rate (from fp_tsc_calibrate() or from the segment header).
 *
 * @return 0; -EINVAL when @p hz is outside [FP_TSC_HZ_MIN, FP_TSC_HZ_MAX].
 */
int fp_tsc_conv_init(struct fp_tsc_conv *conv, uint64_t hz);

/** Read the TSC, unordered: the CPU may move it across neighbouring loads and stores. */
static inline uint64_t fp_tsc_now(void)
{
	return __builtin_ia32_rdtsc();
}

/**
 * Read the TSC at a measurement edge: every earlier instruction has completed before the
 * read (first LFENCE) and no later instruction starts before it (second LFENCE). Costs
 * roughly twice fp_tsc_now(); use it at the start and the end of a timed region.
 */
static inline uint64_t fp_tsc_now_ordered(void)
{
	__builtin_ia32_lfence();
	uint64_t t = __builtin_ia32_rdtsc();
	__builtin_ia32_lfence();
	return t;
}

/** Convert a count of cycles (a difference of stamps) to nanoseconds. */
static inline uint64_t fp_tsc_to_ns(const struct fp_tsc_conv *conv, uint64_t cycles)
{
	return (uint64_t)(((unsigned __int128)cycles * conv->ns_mult) >> FP_TSC_CONV_SHIFT);
}

/** Convert nanoseconds to a count of cycles (deadlines in a poll loop). */
static inline uint64_t fp_tsc_from_ns(const struct fp_tsc_conv *conv, uint64_t ns)
{
	return (uint64_t)(((unsigned __int128)ns * conv->cyc_mult) >> FP_TSC_CONV_SHIFT);
}

#endif /* FP_TSC_H */
