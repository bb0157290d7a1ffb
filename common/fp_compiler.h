/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_compiler.h - compiler attributes and tiny helpers used by every module.
 *
 * Any process or thread may include this; it holds macros only, no state. Bare
 * __attribute__ is not used elsewhere in the tree: wrap it here (style.md, "Small habits").
 */
#ifndef FP_COMPILER_H
#define FP_COMPILER_H

#include <stddef.h>
#include <stdint.h>

/** Size of a cache line on every x86-64 we target. */
#define FP_CACHE_LINE 64

#define FP_CACHE_ALIGNED __attribute__((aligned(FP_CACHE_LINE)))
#define FP_PACKED        __attribute__((packed))
#define FP_COLD          __attribute__((cold))
#define FP_NOINLINE      __attribute__((noinline))
#define FP_ALWAYS_INLINE inline __attribute__((always_inline))
#define FP_UNUSED        __attribute__((unused))
#define FP_WARN_UNUSED   __attribute__((warn_unused_result))
#define FP_PRINTF(f, a)  __attribute__((format(printf, f, a)))
#define FP_MALLOC        __attribute__((malloc))

#define fp_likely(x)   __builtin_expect(!!(x), 1)
#define fp_unlikely(x) __builtin_expect(!!(x), 0)

#define FP_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FP_MIN(a, b)     ((a) < (b) ? (a) : (b))
#define FP_MAX(a, b)     ((a) > (b) ? (a) : (b))

/** Round @p x up to a multiple of @p align (a power of two). */
#define FP_ALIGN_UP(x, align) (((x) + ((align)-1)) & ~((__typeof__(x))(align)-1))

/** True when @p x is a non-zero power of two. */
#define FP_IS_POW2(x) ((x) != 0 && (((x) & ((x)-1)) == 0))

/** Spin-wait hint: lets the sibling hyperthread run and saves power in pause loops. */
static inline void fp_cpu_relax(void)
{
	__builtin_ia32_pause();
}

/** Compiler-only barrier: stops the compiler, not the CPU, from reordering around it. */
#define fp_compiler_barrier() __asm__ volatile("" ::: "memory")

#endif /* FP_COMPILER_H */
