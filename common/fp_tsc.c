/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_tsc.c - TSC calibration against CLOCK_MONOTONIC and cycle/ns conversion (see fp_tsc.h).
 *
 * Cold code only: any process, may block (sleeps), reads /proc/cpuinfo, never allocates.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fp_err.h"
#include "fp_tsc.h"

/* Calibration windows: FP_TSC_WINDOWS of FP_TSC_WINDOW_NS each, about 60 ms in all. */
#define FP_TSC_WINDOWS        5
#define FP_TSC_WINDOW_NS      12000000L
/* Tries to get a tight (TSC, monotonic) pair; the tightest one is kept. */
#define FP_TSC_PAIR_TRIES     32
/* Windows may disagree by this many parts per million before calibration gives up. */
#define FP_TSC_MAX_SPREAD_PPM 1000
/* Whole calibrations tried before giving up. */
#define FP_TSC_ATTEMPTS       3

/* True when the flags line @p line holds the whole word @p word. */
static int fp_tsc_has_flag(const char *line, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = line; (p = strstr(p, word)) != NULL; p += n) {
		int start = p == line || p[-1] == ' ' || p[-1] == '\t';
		int end = p[n] == ' ' || p[n] == '\n' || p[n] == '\0';
		if (start && end)
			return 1;
	}
	return 0;
}

int fp_tsc_invariant(char *missing, unsigned missing_len)
{
	static const char *const need[] = {"constant_tsc", "nonstop_tsc"};
	char line[8192];
	int found = 0;
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (f == NULL)
		return fp_err_set(-errno, "cannot read /proc/cpuinfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		found = 1;
		break;
	}
	fclose(f);
	if (!found)
		line[0] = '\0';
	if (missing != NULL && missing_len > 0)
		missing[0] = '\0';
	int ok = 1;
	for (unsigned i = 0; i < FP_ARRAY_SIZE(need); i++) {
		if (fp_tsc_has_flag(line, need[i]))
			continue;
		ok = 0;
		if (missing != NULL && missing_len > 0) {
			size_t len = strlen(missing);
			snprintf(missing + len, missing_len - len, "%s%s", len ? " " : "", need[i]);
		}
	}
	return ok;
}

static uint64_t fp_tsc_timespec_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ULL + (uint64_t)ts->tv_nsec;
}

/*
 * One (TSC, monotonic ns) pair: clock_gettime() bracketed by two TSC reads, retried and the
 * narrowest bracket kept. The TSC of the pair is the bracket's midpoint.
 */
static int fp_tsc_pair(uint64_t *tsc, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < FP_TSC_PAIR_TRIES; i++) {
		struct timespec ts;
		uint64_t a = fp_tsc_now_ordered();
		if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
			return -errno;
		uint64_t b = fp_tsc_now_ordered();
		if (b - a < best) {
			best = b - a;
			*tsc = a + (b - a) / 2;
			*ns = fp_tsc_timespec_ns(&ts);
		}
	}
	return 0;
}

static int fp_tsc_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* One calibration: FP_TSC_WINDOWS windows, median rate, agreement check. */
static int fp_tsc_calibrate_once(uint64_t *hz)
{
	uint64_t rate[FP_TSC_WINDOWS];
	int rc;

	for (int w = 0; w < FP_TSC_WINDOWS; w++) {
		uint64_t c0 = 0, n0 = 0, c1 = 0, n1 = 0;
		struct timespec pause = {0, FP_TSC_WINDOW_NS};

		if ((rc = fp_tsc_pair(&c0, &n0)) < 0)
			return fp_err_set(-EIO, "clock_gettime(CLOCK_MONOTONIC): %s",
					  strerror(-rc));
		while (nanosleep(&pause, &pause) != 0 && errno == EINTR)
			;
		if ((rc = fp_tsc_pair(&c1, &n1)) < 0)
			return fp_err_set(-EIO, "clock_gettime(CLOCK_MONOTONIC): %s",
					  strerror(-rc));
		if (n1 <= n0 || c1 <= c0)
			return fp_err_set(-EIO,
					  "TSC or CLOCK_MONOTONIC did not advance over a %ld ns "
					  "window (tsc %" PRIu64 "->%" PRIu64 ", ns %" PRIu64
					  "->%" PRIu64 ")",
					  FP_TSC_WINDOW_NS, c0, c1, n0, n1);
		rate[w] = (uint64_t)((unsigned __int128)(c1 - c0) * 1000000000ULL / (n1 - n0));
	}
	qsort(rate, FP_TSC_WINDOWS, sizeof(rate[0]), fp_tsc_cmp_u64);
	uint64_t med = rate[FP_TSC_WINDOWS / 2];
	/* The middle three windows must agree; the extremes may be hit by a bad pair. */
	uint64_t spread = rate[FP_TSC_WINDOWS / 2 + 1] - rate[FP_TSC_WINDOWS / 2 - 1];
	if (spread > med / 1000000 * FP_TSC_MAX_SPREAD_PPM)
		return fp_err_set(-EIO,
				  "TSC calibration unstable: middle windows give %" PRIu64
				  "..%" PRIu64 " Hz (more than %d ppm apart)",
				  rate[FP_TSC_WINDOWS / 2 - 1], rate[FP_TSC_WINDOWS / 2 + 1],
				  FP_TSC_MAX_SPREAD_PPM);
	*hz = med;
	return 0;
}

int fp_tsc_calibrate(uint64_t *hz)
{
	char missing[64];
	int rc = fp_tsc_invariant(missing, sizeof(missing));

	if (rc < 0)
		return fp_err_append(rc, "cannot tell whether the TSC is invariant");
	if (rc == 0)
		return fp_err_set(-ENOTSUP,
				  "TSC is not invariant: /proc/cpuinfo lacks %s, so cycle counts "
				  "cannot be turned into time (needs constant_tsc and nonstop_tsc)",
				  missing);
	/* A busy machine may spoil one run (see FP_TSC_MAX_SPREAD_PPM): try a few. */
	for (int attempt = 0; attempt < FP_TSC_ATTEMPTS; attempt++) {
		if ((rc = fp_tsc_calibrate_once(hz)) == 0)
			return 0;
	}
	return fp_err_append(rc, "after %d calibration attempts", FP_TSC_ATTEMPTS);
}

int fp_tsc_conv_init(struct fp_tsc_conv *conv, uint64_t hz)
{
	if (hz < FP_TSC_HZ_MIN || hz > FP_TSC_HZ_MAX)
		return fp_err_set(-EINVAL,
				  "TSC rate %" PRIu64 " Hz is outside %" PRIu64 "..%" PRIu64 " Hz",
				  hz, (uint64_t)FP_TSC_HZ_MIN, (uint64_t)FP_TSC_HZ_MAX);
	unsigned __int128 one = (unsigned __int128)1 << FP_TSC_CONV_SHIFT;
	conv->hz = hz;
	conv->ns_mult = (uint64_t)((1000000000ULL * one + hz / 2) / hz);
	conv->cyc_mult = (uint64_t)((hz * one + 500000000ULL) / 1000000000ULL);
	return 0;
}
