/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_cli_out.c - fastpath-ctl's output (one emitter for text and JSON) and the helpers
 * its handlers share (regions, TSC ages, names, symbol lookup, stage summaries).
 *
 * fastpath-ctl only; cold, prints to the FILE it is given.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fp_ctl_cli.h"
#include "fp_ctl_pipeline.h"
#include "fp_gw.h"
#include "fp_shm_ctl.h"
#include "fp_symtab.h"
#include "fp_tsc.h"

/* Text: "  key: value" lines, nested objects indented, array items opened by "-".
 * JSON: one document, keys in emission order, no trailing newline until depth 0 closes. */
static void pre_sep(struct fp_cli_out *o, const char *key, const char *sep)
{
	int d = o->depth;
	if (o->json) {
		if (d > 0 && !o->first[d])
			fputc(',', o->f);
		if (key && !o->in_array[d])
			fprintf(o->f, "\"%s\":", key);
	} else {
		for (int i = 0; i < d - 1; i++)
			fputs("  ", o->f);
		if (o->in_array[d])
			fprintf(o->f, "-%s", sep);
		else if (key)
			fprintf(o->f, "%s:%s", key, sep);
	}
	o->first[d] = false;
}

static void pre(struct fp_cli_out *o, const char *key)
{
	pre_sep(o, key, " ");
}

static void open(struct fp_cli_out *o, const char *key, bool array)
{
	if (o->json) {
		pre(o, key);
		fputc(array ? '[' : '{', o->f);
	} else if (o->depth > 0) {
		pre_sep(o, key, "");
		fputc('\n', o->f);
	}
	o->depth++;
	o->first[o->depth] = true;
	o->in_array[o->depth] = array;
}

void fp_cli_obj(struct fp_cli_out *o, const char *key)
{
	open(o, key, false);
}

void fp_cli_arr(struct fp_cli_out *o, const char *key)
{
	open(o, key, true);
}

void fp_cli_end(struct fp_cli_out *o)
{
	bool array = o->in_array[o->depth];
	o->depth--;
	if (o->json) {
		fputc(array ? ']' : '}', o->f);
		if (o->depth == 0)
			fputc('\n', o->f);
	}
}

void fp_cli_str(struct fp_cli_out *o, const char *key, const char *v)
{
	pre(o, key);
	if (!o->json) {
		fprintf(o->f, "%s\n", v);
		return;
	}
	fputc('"', o->f);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(o->f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(o->f, "\\u%04x", *p);
		else
			fputc(*p, o->f);
	}
	fputc('"', o->f);
}

void fp_cli_u64(struct fp_cli_out *o, const char *key, uint64_t v)
{
	pre(o, key);
	fprintf(o->f, o->json ? "%" PRIu64 : "%" PRIu64 "\n", v);
}

void fp_cli_i64(struct fp_cli_out *o, const char *key, int64_t v)
{
	pre(o, key);
	fprintf(o->f, o->json ? "%" PRId64 : "%" PRId64 "\n", v);
}

void fp_cli_dbl(struct fp_cli_out *o, const char *key, double v)
{
	pre(o, key);
	fprintf(o->f, o->json ? "%.6g" : "%.6g\n", v);
}

void fp_cli_bool(struct fp_cli_out *o, const char *key, bool v)
{
	pre(o, key);
	fprintf(o->f, o->json ? "%s" : "%s\n", v ? "true" : "false");
}

void fp_cli_px(struct fp_cli_out *o, const char *key, int64_t v)
{
	pre(o, key);
	uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	fprintf(o->f, "%s%" PRIu64 ".%04" PRIu64 "%s", v < 0 ? "-" : "", a / 10000, a % 10000,
		o->json ? "" : "\n");
}

int fp_cli_fail(int code, const char *fmt, ...)
{
	va_list ap;
	fputs("fastpath-ctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

void *fp_cli_region(const struct fp_cli *c, const char *name, uint64_t *size)
{
	return c->attached ? fp_shm_region(&c->seg, name, size) : NULL;
}

uint64_t fp_cli_tsc_age_ns(const struct fp_cli *c, uint64_t tsc)
{
	uint64_t hz = c->seg.hdr ? c->seg.hdr->tsc_hz : 0;
	uint64_t now = fp_tsc_now();
	if (!tsc || !hz || now < tsc)
		return 0;
	return (uint64_t)((double)(now - tsc) * 1e9 / (double)hz);
}

void fp_cli_summary(const struct fp_cli *c, struct fp_ctl_summary *sum)
{
	struct fp_ctl_env env = {
		.seg = (struct fp_shm *)&c->seg,
		.tsc_hz = c->seg.hdr->tsc_hz,
		.instance = c->instance,
	};
	memset(sum, 0, sizeof(*sum));
	for (unsigned i = 0; fp_ctl_stages[i]; i++)
		if (fp_ctl_stages[i]->report)
			fp_ctl_stages[i]->report(&env, sum);
	fp_ctl_carry_add(&c->seg, sum); /* counters of restarted workers' earlier runs */
}

const char *fp_cli_worker_state(unsigned s)
{
	static const char *const names[] = {"free",     "starting", "running",
					    "stopping", "exited",   "dead"};
	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

const char *fp_cli_trading_name(unsigned s)
{
	static const char *const names[] = {"off", "on", "halted", "cancel_only"};
	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

const char *fp_cli_session_name(unsigned s)
{
	static const char *const names[] = {"down", "connecting", "logging_in", "syncing", "up"};
	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

const char *fp_cli_transport_name(unsigned t)
{
	static const char *const names[] = {"tcp", "tls", "tls1.2", "tls1.3"};
	return t < sizeof(names) / sizeof(names[0]) ? names[t] : "unknown";
}

void fp_cli_stock(char dst[9], const char src[8])
{
	int n = 8;
	memcpy(dst, src, 8);
	while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\0'))
		n--;
	dst[n] = '\0';
}

uint32_t fp_cli_symbol_id(const struct fp_cli *c, const char *arg)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);
	if (*arg && !*end)
		return v < FP_SYMTAB_NB_ENTRIES ? (uint32_t)v : 0;
	const struct fp_symtab *t = fp_cli_region(c, "symtab", NULL);
	if (!t)
		return 0;
	for (uint32_t i = 1; i < FP_SYMTAB_NB_ENTRIES; i++) {
		char name[9];
		if (!atomic_load_explicit(&t->sym[i].valid, memory_order_acquire))
			continue;
		fp_cli_stock(name, t->sym[i].name);
		if (!strcmp(name, arg))
			return i;
	}
	return 0;
}
