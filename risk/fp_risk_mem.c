/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_risk_mem.c - risk's private tables on explicit huge pages, transparent huge pages as
 * the fallback (fp_risk_mem.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "fp_compiler.h"
#include "fp_err.h"
#include "fp_risk_mem.h"

#define HUGE_2M ((size_t)2 << 20)

/* Share (percent) of [p, p + bytes) that /proc/self/smaps reports as AnonHugePages. */
static unsigned thp_share(const void *p, size_t bytes)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	if (!f)
		return 0;
	char line[256];
	uintptr_t a = (uintptr_t)p, lo = 0, hi = 0;
	int in = 0;
	uint64_t huge_kb = 0;
	while (fgets(line, sizeof(line), f)) {
		uintptr_t l, h;
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &l, &h) == 2 && strchr(line, '-') &&
		    line[0] != ' ') {
			lo = l;
			hi = h;
			in = a < hi && a + bytes > lo; /* a VMA of the mapping (it may be split) */
			continue;
		}
		unsigned long long kb;
		if (in && sscanf(line, "AnonHugePages: %llu kB", &kb) == 1)
			huge_kb += kb;
	}
	fclose(f);
	(void)lo;
	uint64_t pct = huge_kb * 1024 * 100 / (bytes ? bytes : 1);
	return pct > 100 ? 100 : (unsigned)pct;
}

void *fp_risk_mem_alloc(struct fp_risk_mem *m, size_t bytes)
{
	memset(m, 0, sizeof(*m));
	size_t len = FP_ALIGN_UP(bytes ? bytes : 1, HUGE_2M);
	/* The reserved pool: explicit huge pages, never split, no page walk beyond 2 MiB. */
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
	if (p != MAP_FAILED) {
		m->ptr = p;
		m->bytes = len;
		m->backing = FP_RISK_MEM_HUGETLB;
		m->huge_pct = 100;
		return p; /* MAP_POPULATE: faulted in, and zero */
	}
	/* Fallback: ask for transparent huge pages on a 2 MiB-aligned range. */
	size_t over = len + HUGE_2M;
	char *raw = mmap(NULL, over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED) {
		fp_err_set(-ENOMEM, "risk: cannot map %zu bytes for a table", len);
		return NULL;
	}
	char *al = (char *)FP_ALIGN_UP((uintptr_t)raw, (uintptr_t)HUGE_2M);
	if (al > raw)
		munmap(raw, (size_t)(al - raw));
	if (al + len < raw + over)
		munmap(al + len, (size_t)(raw + over - (al + len)));
	(void)madvise(al, len, MADV_HUGEPAGE); /* a hint: small pages still work */
	for (size_t off = 0; off < len; off += 4096)
		((volatile char *)al)[off] = 0; /* touch: no page fault after start */
	m->ptr = al;
	m->bytes = len;
	m->huge_pct = thp_share(al, len);
	m->backing = m->huge_pct ? FP_RISK_MEM_THP : FP_RISK_MEM_SMALL;
	return al;
}

void fp_risk_mem_free(struct fp_risk_mem *m)
{
	if (!m || !m->ptr)
		return;
	munmap(m->ptr, m->bytes);
	memset(m, 0, sizeof(*m));
}

const char *fp_risk_mem_backing_name(unsigned backing)
{
	switch (backing) {
	case FP_RISK_MEM_HUGETLB:
		return "hugetlb";
	case FP_RISK_MEM_THP:
		return "thp";
	case FP_RISK_MEM_SMALL:
		return "small";
	default:
		return "none";
	}
}
