/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_store_pg_copy.c - the PostgreSQL loader's COPY encoder without a server: the exact
 * text row of an order, of a control change (escapes, the carried clock), of an unknown record
 * (bytea), and the one-row-per-record rule (invariant (3) of fp_store_pg_load.c).
 */
#include <check.h>
#include <string.h>

#include "fp_event.h"
#include "fp_journal.h"
#include "fp_shm_ctl.h"
#include "fp_store_pg_pvt.h"

/* 2026-11-24 09:30:00.123456 UTC */
#define T_NS (1795512600ull * 1000000000ull + 123456789ull)

static const char *row(const struct fp_store_pg_enc *e, enum fp_store_pg_table t)
{
	static char out[2048];
	size_t n = e->rows[t].len < sizeof(out) - 1 ? e->rows[t].len : sizeof(out) - 1;
	memcpy(out, e->rows[t].p ? e->rows[t].p : "", n);
	out[n] = '\0';
	return out;
}

START_TEST(order_row)
{
	struct fp_store_pg_enc e = {0};
	struct fp_event ev = {
		.type = FP_EV_ORDER_NEW, .source = 3, .symbol_id = 7, .seq = 42, .t_rx = 1000};
	ev.u.order = (struct fp_ev_order){.client_order_id = 99,
					  .price = 873900,
					  .shares = 100,
					  .strategy_id = 1,
					  .side = 'B',
					  .tif = 0,
					  .t_decide = 1200};
	struct fp_store_record r = {.seq = 5,
				    .type = FP_EV_ORDER_NEW,
				    .flags = FP_JRNL_SRC_GW,
				    .len = sizeof(ev),
				    .payload = &ev};
	fp_store_pg_enc_file(&e, "a\\b", 17, T_NS);
	fp_store_pg_enc_record(&e, &r);
	ck_assert_str_eq(
		row(&e, FP_STORE_PG_ORDERS),
		"a\\\\b\t17\t5\t2026-11-24 09:30:00.123456+00\tgw\tnew\t99\t0\t1\t7\tB\t100"
		"\t873900\tday\t42\t42\t3\t0\t1000\t1200\n");
	ck_assert_uint_eq(e.nb_rows[FP_STORE_PG_ORDERS], 1);
	/* the same event from risk: no URN */
	r.flags = FP_JRNL_SRC_RISK;
	fp_store_pg_enc_reset(&e);
	fp_store_pg_enc_record(&e, &r);
	ck_assert_ptr_nonnull(strstr(row(&e, FP_STORE_PG_ORDERS), "\tday\t\\N\t42\t"));
	ck_assert(!fp_store_pg_enc_oom(&e));
	fp_store_pg_enc_free(&e);
}
END_TEST

START_TEST(ctl_change_row)
{
	struct fp_store_pg_enc e = {0};
	struct fp_shm_ctl_change c = {.seq = 3,
				      .time_ns = T_NS + 1000000000ull,
				      .pid = 12,
				      .what = FP_CTL_CHANGE_KILL,
				      .old_value = 0,
				      .new_value = 1,
				      .tsc = 77};
	snprintf(c.who, sizeof(c.who), "firm:ops\\x");
	snprintf(c.reason, sizeof(c.reason), "tab\there \xe9");
	struct fp_store_record r = {
		.seq = 9, .type = FP_JRNL_REC_CTL_CHANGE, .len = sizeof(c), .payload = &c};
	fp_store_pg_enc_file(&e, "i1", 17, T_NS);
	fp_store_pg_enc_record(&e, &r);
	ck_assert_str_eq(row(&e, FP_STORE_PG_CONTROL_ACTIONS),
			 "i1\t17\t9\t2026-11-24 09:30:01.123456+00\t3\tkill\t0\t1\tfirm:ops\\\\x"
			 "\ttab?here ?\t12\t77\n");
	/* the change's clock is carried to the records after it */
	ck_assert_uint_eq(e.time_ns, T_NS + 1000000000ull);
	fp_store_pg_enc_free(&e);
}
END_TEST

START_TEST(other_and_one_row_each)
{
	struct fp_store_pg_enc e = {0};
	const uint8_t odd[3] = {0x00, 0xab, 0x10};
	struct fp_store_record r = {.seq = 1, .type = 0x7777, .flags = 4, .len = 3, .payload = odd};
	fp_store_pg_enc_file(&e, "i1", 17, T_NS);
	fp_store_pg_enc_record(&e, &r);
	ck_assert_str_eq(row(&e, FP_STORE_PG_OTHER_RECORDS),
			 "i1\t17\t1\t2026-11-24 09:30:00.123456+00\t30583\t4\t\\\\x00ab10\n");
	/* a ctl change of the wrong length is kept whole, not decoded */
	struct fp_shm_ctl_change c = {0};
	r = (struct fp_store_record){
		.seq = 2, .type = FP_JRNL_REC_CTL_CHANGE, .len = 8, .payload = &c};
	fp_store_pg_enc_record(&e, &r);
	unsigned total = 0;
	for (unsigned t = 0; t < FP_STORE_PG_NB_TABLES; t++)
		total += e.nb_rows[t];
	ck_assert_uint_eq(total, 2);
	ck_assert_uint_eq(e.nb_rows[FP_STORE_PG_OTHER_RECORDS], 2);
	ck_assert_str_eq(fp_store_pg_tables[FP_STORE_PG_POSITIONS].name, "positions");
	fp_store_pg_enc_free(&e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_store_pg_copy");
	TCase *tc = tcase_create("copy");
	tcase_add_test(tc, order_row);
	tcase_add_test(tc, ctl_change_row);
	tcase_add_test(tc, other_and_one_row_each);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
