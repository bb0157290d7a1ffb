/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_log.c - cold-path logging (see fp_log.h). Formats a whole line on the stack, then
 * writes it with one fwrite() and flushes, so each line reaches the file in one write(2).
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "fp_err.h"
#include "fp_log.h"

static const char *const fp_log_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void fp_log_init(struct fp_log *log, FILE *out, const char *component, enum fp_log_level level)
{
	log->out = out;
	log->level = level;
	snprintf(log->component, sizeof(log->component), "%s", component ? component : "");
}

void fp_log_set_level(struct fp_log *log, enum fp_log_level level)
{
	log->level = level;
}

const char *fp_log_level_name(enum fp_log_level level)
{
	return (unsigned)level < FP_ARRAY_SIZE(fp_log_names) ? fp_log_names[level] : "?";
}

int fp_log_level_parse(const char *name, enum fp_log_level *level)
{
	for (unsigned i = 0; i < FP_ARRAY_SIZE(fp_log_names); i++) {
		if (strcasecmp(name, fp_log_names[i]) == 0) {
			*level = (enum fp_log_level)i;
			return 0;
		}
	}
	if (strcasecmp(name, "warning") == 0) {
		*level = FP_LOG_WARN;
		return 0;
	}
	return fp_err_set(-EINVAL, "unknown log level '%s' (use error, warn, info or debug)", name);
}

void fp_log(const struct fp_log *log, enum fp_log_level level, const char *fmt, ...)
{
	char line[FP_LOG_LINE_MAX];
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (!fp_log_enabled(log, level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof(line),
			 "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ %-5s %s[%d]: ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			 ts.tv_nsec / 1000, fp_log_level_name(level), log->component,
			 (int)getpid());
	size_t used = n > 0 ? FP_MIN((size_t)n, sizeof(line) - 1) : 0;
	va_start(ap, fmt);
	n = vsnprintf(line + used, sizeof(line) - used, fmt, ap);
	va_end(ap);
	if (n > 0)
		used += (size_t)n;
	if (used > sizeof(line) - 2) {
		/* Truncated: mark it, keep room for the newline. */
		used = sizeof(line) - 2;
		memcpy(line + used - 3, "...", 3);
	}
	line[used++] = '\n';
	fwrite(line, 1, used, log->out);
	fflush(log->out);
}
