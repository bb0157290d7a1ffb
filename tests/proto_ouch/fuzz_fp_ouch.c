/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_fp_ouch.c - libFuzzer target for the OUCH 5.0 and SoupBinTCP decoders (built with
 * -DFP_FUZZ=ON and clang: build/tests/fuzz_fp_ouch). Properties in fp_ouch_fuzz_one.h.
 */
#include <stdlib.h>

#include "fp_ouch_fuzz_one.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	if (fp_ouch_fuzz_one(data, len) != 0)
		abort();
	return 0;
}
