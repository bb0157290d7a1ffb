/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_book_sim.c - the book core on the simulator's own capture (fastpath-sim).
 *
 * Covers: a pcap of MoldUDP64 written by fastpath-sim (a matching venue: its books never
 * cross and it never names an order it did not add), read by fastpath-md's walker and the
 * production normalizer, applied to the core and to the reference book; the full depth of
 * the event's symbol is compared after EVERY event, every symbol at the end; the venue's
 * feed must give zero unknown orders, and books cross or lock only while halted or while the
 * reopening cross's executions are printed. Skipped (with a message) when fastpath-sim was
 * not built.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fp_book_ref.h"
#include "fp_ctl_md.h"
#include "fp_md_normalize.h"

#define SIM_BIN FP_BINARY_DIR "/bin/fastpath-sim"

struct replay {
	struct fp_book_core bc;
	struct fp_book_ref *rb;
	uint64_t events, compared;
	uint64_t cross_halted;  /**< books that crossed or locked while halted */
	uint64_t cross_uncross; /**< ... on an execution (the reopening cross being printed) */
	uint64_t cross_other;   /**< ... anywhere else: a venue bug */
	int failed;
	char why[256];
};

static int same_depth(const struct replay *r, uint32_t sym)
{
	static struct fp_book_depth_level a[4096], b[4096];
	for (unsigned side = 0; side < 2; side++) {
		uint32_t na = fp_book_core_depth(&r->bc, sym, side, a, 4096);
		uint32_t nb = fp_book_ref_depth(r->rb, sym, side, b, 4096);
		if (na != nb || memcmp(a, b, na * sizeof(a[0])))
			return 0;
	}
	return 1;
}

static int on_msg(void *arg, const struct fp_ctl_md_msg *m)
{
	struct replay *r = arg;
	struct fp_event ev;
	if (m->result != FP_ITCH_OK || m->duplicate)
		return 0;
	if (fp_md_normalize(m->msg, m->len, m->seq, 1, 0, &ev) != FP_ITCH_OK)
		return 0;
	uint64_t before = r->bc.st.crossed + r->bc.st.locked;
	unsigned chg = fp_book_core_apply(&r->bc, &ev);
	if (r->bc.st.crossed + r->bc.st.locked != before) {
		if (r->bc.syms[r->bc.last_symbol].state & FP_BOOK_SYM_HALTED)
			r->cross_halted++;
		else if (ev.type == FP_EV_MD_EXECUTE)
			r->cross_uncross++;
		else
			r->cross_other++;
	}
	fp_book_ref_apply(r->rb, &ev);
	r->events++;
	if (!(chg & FP_BOOK_CHG_ALL) && ev.symbol_id < r->bc.cfg.max_symbols) {
		r->compared++;
		if (!same_depth(r, ev.symbol_id)) {
			snprintf(r->why, sizeof(r->why),
				 "event %lu (type %u, symbol %u): depth differs",
				 (unsigned long)r->events, ev.type, ev.symbol_id);
			r->failed = 1;
			return 1;
		}
	}
	return 0;
}

START_TEST(test_book_matches_reference_on_sim_capture)
{
	if (access(SIM_BIN, X_OK) != 0) {
		fprintf(stderr, "skip: %s not built\n", SIM_BIN);
		return;
	}
	char conf[64], pcap[64], cmd[512];
	snprintf(conf, sizeof(conf), "/tmp/fp_book_sim_%d.conf", (int)getpid());
	snprintf(pcap, sizeof(pcap), "/tmp/fp_book_sim_%d.pcap", (int)getpid());
	FILE *f = fopen(conf, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f,
		"sim = { start_time = \"09:30:00\"; halt_interval = 0.5; halt_duration = 0.2; };\n"
		"itch = { port = 26477; rerequest_port = 0; };\n"
		"ouch = { port = 0; };\n");
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "%s --config %s --no-udp --json --pcap-out %s --duration 1.5 --rate 100000 "
		 "--seed 5 >/dev/null",
		 SIM_BIN, conf, pcap);
	ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
	unlink(conf);

	static struct replay r;
	struct fp_book_cfg cfg;
	fp_book_cfg_default(&cfg);
	cfg.max_symbols = 65536;
	cfg.max_orders = 1000000;
	cfg.max_levels = 1u << 22;
	cfg.populate = 0;
	cfg.eod_clear = 0;
	ck_assert_int_eq(fp_book_core_init(&r.bc, &cfg), 0);
	r.rb = fp_book_ref_new(cfg.max_symbols, 0);
	ck_assert_ptr_nonnull(r.rb);
	struct fp_ctl_md_file mf;
	ck_assert_int_eq(fp_ctl_md_file_open(&mf, pcap), 0);
	static struct fp_ctl_md_stats st;
	fp_ctl_md_walk(&mf, -1, on_msg, &r, &st);
	fp_ctl_md_file_close(&mf);
	unlink(pcap);
	ck_assert_msg(!r.failed, "%s", r.why);
	ck_assert_uint_gt(r.bc.st.adds, 1000);
	ck_assert_uint_gt(r.bc.st.executes + r.bc.st.cancels + r.bc.st.deletes + r.bc.st.replaces,
			  1000);
	for (uint32_t s = 0; s < cfg.max_symbols; s++)
		ck_assert_msg(same_depth(&r, s), "symbol %u at the end", s);
	/* a matching venue's own feed: consistent, and crossed only while a symbol is halted
	 * (orders accumulate for the reopening cross) or while the executions of that cross
	 * are printed after the resume */
	ck_assert_uint_eq(r.bc.st.unknown_order, 0);
	ck_assert_uint_eq(r.cross_other, 0);
	ck_assert_uint_eq(r.bc.st.crossed + r.bc.st.locked, r.cross_halted + r.cross_uncross);
	ck_assert_uint_eq(r.bc.st.cancel_too_large + r.bc.st.negative_size, 0);
	ck_assert_uint_eq(r.bc.st.live_orders, fp_book_ref_stats(r.rb)->live_orders);
	fprintf(stderr,
		"sim capture: %lu events, %lu compared, %lu live orders, crossed/locked %lu "
		"while halted, %lu during the reopening\n",
		(unsigned long)r.events, (unsigned long)r.compared,
		(unsigned long)r.bc.st.live_orders, (unsigned long)r.cross_halted,
		(unsigned long)r.cross_uncross);
	fp_book_ref_free(r.rb);
	fp_book_core_fini(&r.bc);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_book_sim");
	TCase *tc = tcase_create("sim");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_book_matches_reference_on_sim_capture);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
