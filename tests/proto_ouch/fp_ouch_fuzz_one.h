/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ouch_fuzz_one.h - one fuzz input through the OUCH and SoupBinTCP decoders, checking
 * their properties; shared by the libFuzzer target (fuzz_fp_ouch.c, FP_FUZZ=ON) and the
 * deterministic mutation test that runs in every build (check_fp_ouch_fuzz.c).
 *
 * Properties: no decoder reads outside its input (ASan); an OUCH message that decodes, in
 * either direction, re-encodes to exactly its input bytes; the SoupBinTCP stream reader
 * fed the input in chunks returns the same packets as fp_soup_parse() over the whole
 * input, and each packet lies inside the input.
 */
#ifndef FP_OUCH_FUZZ_ONE_H
#define FP_OUCH_FUZZ_ONE_H

#include <stdlib.h>
#include <string.h>

#include "fp_ouch.h"
#include "fp_soup.h"

/* Returns 0 when every property holds, else the number of the property that failed. */
static inline int fp_ouch_fuzz_one(const uint8_t *data, size_t len)
{
	static const enum fp_ouch_dir dirs[] = {FP_OUCH_INBOUND, FP_OUCH_OUTBOUND};
	for (unsigned d = 0; d < 2; d++) {
		struct fp_ouch_msg m;
		if (fp_ouch_decode(dirs[d], data, len, &m) != FP_OUCH_OK)
			continue;
		uint8_t out[FP_OUCH_MAX_MSG * 2];
		int n = fp_ouch_encode(&m, out, sizeof(out));
		if (n < 0 || (size_t)n != len || memcmp(out, data, len) != 0)
			return 1;
	}
	/* SoupBinTCP: whole-buffer parse vs the incremental reader in 7-byte chunks. */
	static const enum fp_soup_side sides[] = {FP_SOUP_FROM_CLIENT, FP_SOUP_FROM_SERVER};
	struct fp_soup_rx *rx = malloc(sizeof(*rx));
	if (rx == NULL)
		return 0;
	int bad = 0;
	for (unsigned s = 0; s < 2 && !bad; s++) {
		fp_soup_rx_init(rx, sides[s], 512);
		size_t off = 0, fed = 0;
		struct fp_soup_pkt a, b;
		enum fp_soup_rc ra = FP_SOUP_OK, rb;
		for (;;) {
			ra = fp_soup_parse(data + off, len - off, sides[s], 512, &a);
			do {
				rb = fp_soup_rx_next(rx, &b);
				if (rb == FP_SOUP_NEED_MORE && fed < len) {
					size_t room;
					uint8_t *w = fp_soup_rx_space(rx, &room);
					size_t k = len - fed < 7 ? len - fed : 7;
					k = k < room ? k : room;
					memcpy(w, data + fed, k);
					fp_soup_rx_commit(rx, k);
					fed += k;
					continue;
				}
				break;
			} while (1);
			if (ra != rb) {
				bad = 2;
				break;
			}
			if (ra != FP_SOUP_OK)
				break;
			if (a.wire_len != b.wire_len || a.type != b.type ||
			    a.payload + a.payload_len > data + len ||
			    memcmp(a.payload, b.payload, a.payload_len) != 0) {
				bad = 3;
				break;
			}
			off += a.wire_len;
		}
	}
	free(rx);
	return bad;
}

#endif /* FP_OUCH_FUZZ_ONE_H */
