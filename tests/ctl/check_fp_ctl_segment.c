/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_ctl_segment.c - fastpath-ctl's figures against a segment whose contents the test
 * writes itself (this process plays the supervisor): a position with known cost and P&L, firm
 * totals, gateway counters, tick-to-trade samples of a known size, and, where the book module
 * provides its snapshot region, a book with known levels. Checks the JSON of positions,
 * orders, stats and book, and the Prometheus series derived from them (units converted:
 * Price(4) to dollars, TSC cycles to seconds).
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fp_err.h"
#include "fp_gw.h"
#include "fp_hist.h"
#include "fp_risk_core.h"
#include "fp_shm.h"
#include "fp_shm_ctl.h"
#include "fp_symtab.h"
#if __has_include("fp_book_snap.h")
#include "fp_book_snap.h"
#define HAVE_BOOK_SNAP 1
#endif

#define CTL FP_BINARY_DIR "/bin/fastpath-ctl"

static char instance[64];
static char out[65536];
static struct fp_shm seg;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void json_check(const char *cmd, const char *assertion)
{
	setenv("FP_ASSERT", assertion, 1);
	int rc = sh(CTL " --instance %s %s --json | python3 -c 'import json,os,sys; "
			"d=json.load(sys.stdin); assert eval(os.environ[\"FP_ASSERT\"]), d' 2>&1",
		    instance, cmd);
	ck_assert_msg(rc == 0, "'%s --json': assertion '%s' failed: %s", cmd, assertion, out);
}

static void build_segment(void)
{
	snprintf(instance, sizeof(instance), "ctlseg%d", (int)getpid());
	struct fp_shm_region_spec regs[] = {
		{"ctl", sizeof(struct fp_shm_ctl), FP_SHM_CTL_VERSION},
		{"workers", sizeof(struct fp_shm_workers), FP_SHM_WORKERS_VERSION},
		{"symtab", sizeof(struct fp_symtab), FP_SYMTAB_VERSION},
		{"risk.positions", fp_risk_pos_region_memsize(16), FP_RISK_POS_VERSION},
		{"gw.stats", sizeof(struct fp_gw_stats), 1},
		{"gw.t2t", sizeof(struct fp_hist), 1},
#ifdef HAVE_BOOK_SNAP
		{"book.snap", fp_book_snap_memsize(16, 4), FP_BOOK_SNAP_VERSION},
#endif
	};
	struct fp_shm_opts o = {
		.instance = instance,
		.regions = regs,
		.nb_regions = sizeof(regs) / sizeof(regs[0]),
		.hugepages = FP_SHM_HUGE_OFF,
		.flags = FP_SHM_F_NO_MLOCK,
	};
	ck_assert_msg(fp_shm_create(&seg, &o) == 0, "%s", fp_err_msg());
	fp_shm_ctl_init(fp_shm_region(&seg, "ctl", NULL));
	fp_shm_workers_init(fp_shm_region(&seg, "workers", NULL));
	struct fp_symtab *t = fp_shm_region(&seg, "symtab", NULL);
	fp_symtab_init(t);
	fp_symtab_set_directory(t, 1, "AAPL    ", 100, 'Q');

	/* Long 100 AAPL at $150.00 (cost 100 x 1500000), marked at $151.00, $25.50 realized. */
	struct fp_risk_pos_region *r = fp_shm_region(&seg, "risk.positions", NULL);
	fp_risk_pos_region_init(r, 16);
	r->pos[3].strategy_id = 2;
	r->pos[3].symbol_id = 1;
	r->pos[3].position = 100;
	r->pos[3].cost = 150000000;
	r->pos[3].mark = 1510000;
	r->pos[3].unreal = 1000000;
	r->pos[3].realized = 255000;
	r->firm.realized = 255000;
	r->firm.unreal = 1000000;
	r->firm.gross = 150000000;
	r->firm.net = 150000000;
	r->firm.nb_fills = 3;

	struct fp_gw_stats *g = fp_shm_region(&seg, "gw.stats", NULL);
	g->magic = FP_GW_STATS_MAGIC; /* as fp_gw_init() lays it out */
	g->version = FP_GW_STATS_VERSION;
	g->size = sizeof(*g);
	g->nb_sent = 10;
	g->nb_accepted = 9;
	g->nb_fills = 3;
	g->nb_rejected = 1;
	g->nb_open = 4;
	g->session = FP_GW_UP;
	g->transport = FP_GW_TRANSPORT_TLS13; /* kernel TLS took sending, not receiving */
	g->ktls_tx = 1;
	g->ktls_rx = 0;

	/* Three samples of 5 us in TSC cycles. */
	struct fp_hist *h = fp_shm_region(&seg, "gw.t2t", NULL);
	fp_hist_init(h);
	for (int i = 0; i < 3; i++)
		fp_hist_record(h, seg.hdr->tsc_hz / 200000);

#ifdef HAVE_BOOK_SNAP
	uint64_t size;
	struct fp_book_snap_hdr *b = fp_shm_region(&seg, "book.snap", &size);
	ck_assert_int_eq(fp_book_snap_init(b, size, 16, 4), 0);
	struct fp_book_snap_entry *e = fp_book_snap_entry(b, 1);
	e->symbol = 1;
	memcpy(e->stock, "AAPL    ", 8);
	e->nb_bids = 2;
	e->nb_asks = 1;
	e->lv[0] = (struct fp_book_snap_level){1500000, 300, 2};
	e->lv[1] = (struct fp_book_snap_level){1499000, 100, 1};
	e->lv[4] = (struct fp_book_snap_level){1501000, 200, 1};
#endif
	fp_shm_set_state(&seg, FP_SHM_STATE_READY);
}

START_TEST(test_ctl_figures_from_a_known_segment)
{
	if (system("command -v python3 >/dev/null 2>&1") != 0) {
		fprintf(stderr, "skip: python3 absent (deploy/packages.d/40-ctl.txt)\n");
		return;
	}
	build_segment();
	json_check("positions",
		   "d['positions'] == [{'strategy': 2, 'symbol_id': 1, 'symbol': 'AAPL', "
		   "'position': 100, 'cost': 15000.0, 'mark': 151.0, 'realized': 25.5, "
		   "'unrealized': 100.0}] and d['firm']['gross'] == 15000.0 and d['firm']['fills'] "
		   "== 3");
	json_check("orders", "d['open'] == 4 and d['sent'] == 10 and d['session'] == 'up'");
	json_check("status", "d['gateway'] == {'session': 'up', 'transport': 'tls1.3', 'ktls_tx': "
			     "True, 'ktls_rx': False}");
	json_check("stats", "d['gateway']['transport'] == 'tls1.3' and d['gateway']['ktls_tx'] "
			    "and not d['gateway']['ktls_rx']");
	json_check("stats", "d['tick_to_trade']['count'] == 3 and "
			    "4900 < d['tick_to_trade']['p50_ns'] < 5100");
	ck_assert_int_eq(sh(CTL " --instance %s metrics", instance), 0);
	ck_assert_msg(strstr(out, "fastpath_position_shares{strategy=\"2\",symbol=\"AAPL\","
				  "symbol_id=\"1\"} 100\n"),
		      "%s", out);
	ck_assert_msg(strstr(out, "fastpath_pnl_realized_dollars 25.5\n"), "%s", out);
	ck_assert_msg(strstr(out, "fastpath_exposure_gross_dollars 15000\n"), "%s", out);
	ck_assert_msg(strstr(out, "fastpath_tick_to_trade_seconds_bucket{le=\"2e-06\"} 0\n"), "%s",
		      out);
	ck_assert_msg(strstr(out, "fastpath_tick_to_trade_seconds_bucket{le=\"1e-05\"} 3\n"), "%s",
		      out);
	ck_assert_msg(strstr(out, "fastpath_venue_connected 1\n"), "%s", out);
	ck_assert_msg(strstr(out, "fastpath_venue_ktls{direction=\"tx\"} 1\n"), "%s", out);
	ck_assert_msg(strstr(out, "fastpath_venue_ktls{direction=\"rx\"} 0\n"), "%s", out);
#ifdef HAVE_BOOK_SNAP
	json_check("book AAPL --depth 1", "d['symbol'] == 'AAPL' and d['bids'] == [{'price': "
					  "150.0, 'shares': 300, 'orders': 2}] and "
					  "d['asks'][0]['price'] == 150.1");
#else
	fprintf(stderr, "note: book/fp_book_snap.h absent: book command not checked\n");
#endif
	fp_shm_destroy(&seg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_ctl_segment");
	TCase *tc = tcase_create("figures");
	tcase_add_test(tc, test_ctl_figures_from_a_known_segment);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
