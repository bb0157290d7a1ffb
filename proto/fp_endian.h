/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_endian.h - big-endian wire types and accessors shared by every codec in proto/.
 *
 * ITCH 5.0, MoldUDP64, SoupBinTCP 3.0 and OUCH 5.0 are all big-endian ("network order").
 * The fp_be*_t types document a field's byte order in a struct (as DPDK's rte_be16_t do);
 * fields are read and written only through fp_get_be* / fp_put_be*, which take byte
 * pointers and so never perform an unaligned or packed-member load. Pure functions: any
 * thread, hot path included.
 */
#ifndef FP_ENDIAN_H
#define FP_ENDIAN_H

#include <stdint.h>
#include <string.h>

typedef uint16_t fp_be16_t; /**< 16-bit big-endian value (documentation only) */
typedef uint32_t fp_be32_t; /**< 32-bit big-endian value (documentation only) */
typedef uint64_t fp_be64_t; /**< 64-bit big-endian value (documentation only) */

static inline uint16_t fp_get_be16(const void *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return __builtin_bswap16(v);
}

static inline uint32_t fp_get_be32(const void *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return __builtin_bswap32(v);
}

static inline uint64_t fp_get_be64(const void *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return __builtin_bswap64(v);
}

/** ITCH's 6-byte timestamp (nanoseconds since midnight). */
static inline uint64_t fp_get_be48(const void *p)
{
	const uint8_t *b = p;
	return ((uint64_t)fp_get_be16(b) << 32) | fp_get_be32(b + 2);
}

static inline void fp_put_be16(void *p, uint16_t v)
{
	v = __builtin_bswap16(v);
	memcpy(p, &v, sizeof(v));
}

static inline void fp_put_be32(void *p, uint32_t v)
{
	v = __builtin_bswap32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void fp_put_be64(void *p, uint64_t v)
{
	v = __builtin_bswap64(v);
	memcpy(p, &v, sizeof(v));
}

static inline void fp_put_be48(void *p, uint64_t v)
{
	uint8_t *b = p;
	fp_put_be16(b, (uint16_t)(v >> 32));
	fp_put_be32(b + 2, (uint32_t)v);
}

#endif /* FP_ENDIAN_H */
