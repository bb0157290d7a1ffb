/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_fp_fix.c - libFuzzer target for the FIX 4.4 parser (built with -DFP_FUZZ=ON and
 * clang: build-fuzz/fuzz/fuzz_fix; `make fuzz` runs it). Properties in fp_fix_fuzz_one.h.
 */
#include <stdlib.h>

#include "fp_fix_fuzz_one.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (fp_fix_fuzz_one(data, len) != 0)
		abort();
	return 0;
}
