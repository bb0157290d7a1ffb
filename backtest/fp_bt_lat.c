/* SPDX-License-Identifier: BSD-3-Clause */
/* fp_bt_lat.c - latency models of the backtest (fp_bt_lat.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_bt_lat.h"
#include "fp_err.h"

static const char *const lat_names[FP_BT_LAT_NB] = {"feed", "entry", "resp"};

static int add_point(struct fp_bt_lat *l, double q, double ns, const char *path)
{
	if (q <= 0 || q > 1 || ns < 0 || (l->nb && q <= l->q[l->nb - 1]))
		return fp_err_set(-EINVAL,
				  "%s: quantiles must ascend in (0, 1] with latencies >= 0 (got "
				  "%g %g)",
				  path, q, ns);
	if (l->nb == FP_BT_LAT_POINTS)
		return fp_err_set(-EINVAL, "%s: more than %d quantiles", path, FP_BT_LAT_POINTS);
	l->q[l->nb] = q;
	l->ns[l->nb++] = (uint64_t)ns;
	return 0;
}

int fp_bt_lat_load(struct fp_bt_lat *l, const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[65536];
	int rc = 0;
	if (!f)
		return fp_err_set(-errno, "%s: cannot open the latency histogram: %s", path,
				  strerror(errno));
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	l->nb = 0;
	const char *p = strstr(buf, "\"quantiles\"");
	if (p) { /* report.json: "quantiles": [[0.1000, 8550], ...] */
		p = strchr(p, '[');
		while (p && rc == 0) {
			double q, ns;
			const char *b = strchr(p + 1, '[');
			const char *end = strchr(p + 1, ']');
			if (!b || (end && end < b))
				break;
			if (sscanf(b, "[%lf , %lf ]", &q, &ns) != 2)
				break;
			rc = add_point(l, q, ns, path);
			p = strchr(b, ']');
		}
	} else { /* lines: QUANTILE NANOSECONDS */
		char *save = NULL;
		for (char *line = strtok_r(buf, "\n", &save); line && rc == 0;
		     line = strtok_r(NULL, "\n", &save)) {
			double q, ns;
			if (line[0] == '#' || sscanf(line, "%lf %lf", &q, &ns) != 2)
				continue;
			rc = add_point(l, q, ns, path);
		}
	}
	if (rc == 0 && l->nb == 0)
		rc = fp_err_set(-EINVAL,
				"%s: no quantiles found (a report.json of `fastpath run "
				"--report`, or lines 'QUANTILE NANOSECONDS')",
				path);
	return rc;
}

static int parse_duration(const char *v, uint64_t *ns)
{
	char *end;
	double x = strtod(v, &end);
	double mul = 1;
	if (end == v || x < 0)
		return -EINVAL;
	if (!strcmp(end, "") || !strcmp(end, "ns"))
		mul = 1;
	else if (!strcmp(end, "us"))
		mul = 1e3;
	else if (!strcmp(end, "ms"))
		mul = 1e6;
	else if (!strcmp(end, "s"))
		mul = 1e9;
	else
		return -EINVAL;
	*ns = (uint64_t)(x * mul + 0.5);
	return 0;
}

int fp_bt_lat_parse(struct fp_bt_lat lat[FP_BT_LAT_NB], const char *spec, uint64_t seed)
{
	char buf[1024];
	int rc;
	memset(lat, 0, sizeof(*lat) * FP_BT_LAT_NB);
	for (int k = 0; k < FP_BT_LAT_NB; k++) /* splitmix64 of (seed, k): never 0 */
	{
		uint64_t z = seed + 0x9e3779b97f4a7c15ull * (uint64_t)(k + 1);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		lat[k].rng = (z ^ (z >> 31)) | 1;
	}
	if (!spec || !*spec)
		return 0;
	if (strlen(spec) >= sizeof(buf))
		return fp_err_set(-EINVAL, "--latency: too long");
	snprintf(buf, sizeof(buf), "%s", spec);
	char *save = NULL;
	for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		int k;
		if (!eq)
			return fp_err_set(-EINVAL, "--latency: '%s' is not KEY=VALUE", kv);
		*eq = 0;
		for (k = 0; k < FP_BT_LAT_NB && strcmp(kv, lat_names[k]); k++)
			;
		if (k == FP_BT_LAT_NB)
			return fp_err_set(-EINVAL,
					  "--latency: unknown key '%s' (feed, entry, resp)", kv);
		if (!strncmp(eq + 1, "hist:", 5)) {
			if ((rc = fp_bt_lat_load(&lat[k], eq + 6)) < 0)
				return rc;
		} else if (parse_duration(eq + 1, &lat[k].constant_ns) < 0) {
			return fp_err_set(-EINVAL,
					  "--latency: %s=%s is not a duration (250ns, 20us, 1ms) "
					  "or hist:FILE",
					  kv, eq + 1);
		}
	}
	return 0;
}

uint64_t fp_bt_lat_sample(struct fp_bt_lat *l)
{
	if (l->nb == 0)
		return l->constant_ns;
	l->rng ^= l->rng >> 12; /* xorshift64* */
	l->rng ^= l->rng << 25;
	l->rng ^= l->rng >> 27;
	double u = (double)((l->rng * 0x2545f4914f6cdd1dull) >> 11) * (1.0 / 9007199254740992.0);
	if (u <= l->q[0])
		return l->ns[0];
	for (uint32_t i = 1; i < l->nb; i++)
		if (u <= l->q[i]) {
			double f = (u - l->q[i - 1]) / (l->q[i] - l->q[i - 1]);
			return l->ns[i - 1] + (uint64_t)(f * (double)(l->ns[i] - l->ns[i - 1]));
		}
	return l->ns[l->nb - 1];
}
