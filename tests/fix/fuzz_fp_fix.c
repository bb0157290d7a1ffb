/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_fp_fix.c - libFuzzer target for the FIX 4.4 parser (built with -DFP_FUZZ=ON and
 * clang: build-fuzz/fuzz/fuzz_fix; `make fuzz` runs it). Properties in fp_fix_fuzz_one.h,
 * on the input as it is and on the input framed as a body with the right BodyLength and
 * CheckSum (so that the tag parser is reached, not only the framing checks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_fix_fuzz_one.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (fp_fix_fuzz_one(data, len) != 0)
		abort();
	if (len == 0 || len > FP_FIX_MAX_BODY)
		return 0;
	uint8_t *b = malloc(len + 32);
	if (!b)
		return 0;
	int n = snprintf((char *)b, 32, FP_FIX_BEGIN "9=%zu\x01", len);
	memcpy(b + n, data, len);
	size_t k = (size_t)n + len;
	unsigned sum = 0;
	for (size_t i = 0; i < k; i++)
		sum += b[i];
	k += (size_t)snprintf((char *)b + k, 8, "10=%03u\x01", sum & 0xff);
	if (fp_fix_fuzz_one(b, k) != 0)
		abort();
	free(b);
	return 0;
}
