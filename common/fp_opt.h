/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_opt.h - command-line option values, checked whole: an integer or a number in a range,
 * so that "1.5", "5x", " 5", "-5" (which strtoull would wrap to 2^64 - 5), "nan" and "inf"
 * are refused with a reason instead of being taken for something else.
 *
 * Who may call: the command-line programs, on their cold path. Errors go through fp_err
 * (the message names the option, the range and the value; main() prints fp_err_msg()), in
 * the words of the config loader's range errors (fp_cfg.h).
 */
#ifndef FP_OPT_H
#define FP_OPT_H

#include <stdint.h>

/**
 * @p s, the value of option @p opt, as an integer in [@p lo, @p hi]: decimal digits only.
 * @return 0 (*out set), or -EINVAL ("OPT must be an integer in LO..HI, got 'S'").
 */
int fp_opt_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out);

/**
 * @p s as a finite number in [@p lo, @p hi] (strtod's syntax, whole string).
 * @return 0 (*out set), or -EINVAL ("OPT must be a number in LO..HI, got 'S'").
 */
int fp_opt_num(const char *opt, const char *s, double lo, double hi, double *out);

/**
 * @p s as a finite number above 0 (a duration, a rate).
 * @return 0 (*out set), or -EINVAL ("OPT must be a number > 0, got 'S'").
 */
int fp_opt_pos(const char *opt, const char *s, double *out);

#endif /* FP_OPT_H */
