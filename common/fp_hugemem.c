/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_hugemem.c - private tables on explicit huge pages, transparent huge pages as the
 * fallback (fp_hugemem.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "fp_compiler.h"
#include "fp_err.h"
#include "fp_hugemem.h"

#define HUGE_2M ((size_t)2 << 20)

/* Bytes of [p, p + bytes) that /proc/self/smaps reports as AnonHugePages; -1: unknown. */
static int64_t thp_bytes(const void *p, size_t bytes)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	if (!f)
		return -1;
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
	return (int64_t)(huge_kb * 1024 > bytes ? bytes : huge_kb * 1024);
}

void *fp_hugemem_alloc(struct fp_hugemem *m, size_t bytes, bool touch, const char *what)
{
	memset(m, 0, sizeof(*m));
	size_t len = FP_ALIGN_UP(bytes ? bytes : 1, HUGE_2M);
	/* The reserved pool: explicit huge pages, never split, no page walk beyond 2 MiB. */
	void *p =
		mmap(NULL, len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (touch ? MAP_POPULATE : 0), -1, 0);
	if (p != MAP_FAILED) {
		m->ptr = p;
		m->bytes = len;
		m->backing = FP_HUGEMEM_HUGETLB;
		m->huge_pct = 100;
		return p; /* zero; with MAP_POPULATE faulted in */
	}
	/* Fallback: ask for transparent huge pages on a 2 MiB-aligned range. */
	size_t over = len + HUGE_2M;
	char *raw = mmap(NULL, over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED) {
		fp_err_set(-ENOMEM, "%s: cannot map %zu bytes", what, len);
		return NULL;
	}
	char *al = (char *)FP_ALIGN_UP((uintptr_t)raw, (uintptr_t)HUGE_2M);
	if (al > raw)
		munmap(raw, (size_t)(al - raw));
	if (al + len < raw + over)
		munmap(al + len, (size_t)(raw + over - (al + len)));
	(void)madvise(al, len, MADV_HUGEPAGE); /* a hint: small pages still work */
	if (touch)
		for (size_t off = 0; off < len; off += 4096)
			((volatile char *)al)[off] = 0; /* no page fault after start */
	m->ptr = al;
	m->bytes = len;
	int64_t huge = thp_bytes(al, len);
	m->huge_pct = huge > 0 ? (unsigned)((uint64_t)huge * 100 / len) : 0;
	m->backing = m->huge_pct ? FP_HUGEMEM_THP : FP_HUGEMEM_SMALL;
	return al;
}

int64_t fp_hugemem_huge_bytes(const struct fp_hugemem *m)
{
	if (!m->ptr)
		return -1;
	return m->backing == FP_HUGEMEM_HUGETLB ? (int64_t)m->bytes : thp_bytes(m->ptr, m->bytes);
}

void fp_hugemem_free(struct fp_hugemem *m)
{
	if (!m || !m->ptr)
		return;
	munmap(m->ptr, m->bytes);
	memset(m, 0, sizeof(*m));
}

const char *fp_hugemem_backing_name(unsigned backing)
{
	switch (backing) {
	case FP_HUGEMEM_HUGETLB:
		return "hugetlb";
	case FP_HUGEMEM_THP:
		return "thp";
	case FP_HUGEMEM_SMALL:
		return "small";
	default:
		return "none";
	}
}
