/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_fix_fuzz_one.h - the properties the FIX parser must keep on any input, shared by the
 * libFuzzer target (fuzz_fp_fix.c) and the seeded run in ctest (check_fp_fix.c):
 *   - fp_fix_parse() never reads past @p len and never crashes (ASan, UBSan);
 *   - on FP_FIX_OK: the message fits the input, every field's value lies inside the body and
 *     ends at an SOH, MsgType is the first field, and every strict prefix of the message
 *     parses as FP_FIX_NEED_MORE (nothing is decided before the bytes are there), or as an
 *     error only for the BeginString check;
 *   - any other result is FP_FIX_NEED_MORE or one of the negative codes, with a name.
 * @return 0 when they hold, else the number of the broken property.
 */
#ifndef FP_FIX_FUZZ_ONE_H
#define FP_FIX_FUZZ_ONE_H

#include <stdlib.h>
#include <string.h>

#include "fp_fix.h"

static inline int fp_fix_fuzz_one(const uint8_t *data, size_t len)
{
	/* a copy of exactly len bytes, so that ASan sees any read past the end */
	uint8_t *b = malloc(len ? len : 1);
	struct fp_fix_msg *m = malloc(sizeof(*m));
	int bad = 0;
	if (!b || !m) {
		free(b);
		free(m);
		return 0;
	}
	memcpy(b, data, len);
	enum fp_fix_rc rc = fp_fix_parse(b, len, m);
	if (rc == FP_FIX_OK) {
		if (m->len > len || m->nb_fields == 0 || m->f[0].tag != FP_FIX_TAG_MSG_TYPE)
			bad = 1;
		for (uint32_t i = 0; !bad && i < m->nb_fields; i++)
			if (m->f[i].len == 0 || (size_t)m->f[i].off + m->f[i].len >= m->len ||
			    b[m->f[i].off + m->f[i].len] != FP_FIX_SOH)
				bad = 2;
		for (size_t k = 0; !bad && k < m->len; k++) {
			struct fp_fix_msg *p = malloc(sizeof(*p));
			uint8_t *c = malloc(k ? k : 1);
			if (p && c) {
				memcpy(c, b, k);
				enum fp_fix_rc r = fp_fix_parse(c, k, p);
				if (r != FP_FIX_NEED_MORE)
					bad = 3;
			}
			free(p);
			free(c);
		}
	} else if (rc != FP_FIX_NEED_MORE && (rc >= 0 || !strcmp(fp_fix_rc_str(rc), "?"))) {
		bad = 4;
	}
	free(b);
	free(m);
	return bad;
}

#endif /* FP_FIX_FUZZ_ONE_H */
