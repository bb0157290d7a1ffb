/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_md_book.c - `fastpath-md book FILE --symbol S [--depth N] [--json]`: replay a
 * market-data file through the book core and print the final depth of one symbol (issue 5).
 *
 * CLI process only (prints; maps the file; maps the book core lazily, without pre-faulting).
 * The book is the production core of book/ (fp_book.h), fed by the production normalizer
 * (fp_md_normalize); the end-of-day clear is off, so "final" means after the last message.
 * The symbol is found by its stock directory ('R') name, or given as a stock locate number.
 *
 * Output (--json), best level first:
 *   {"symbol": "ALC", "bids": [["10.2500", 300, 2], ...], "asks": [["10.2600", 100, 1], ...]}
 * The text form adds the locate, the state and the book counters.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_book.h"
#include "fp_ctl_md.h"
#include "fp_err.h"
#include "fp_md_normalize.h"

#define BOOK_MAX_LOCATES 65536 /* ITCH Stock Locate is 16 bits */

struct book_ctx {
	struct fp_book_core bc;
	char (*names)[8]; /**< per locate: stock directory name, space padded */
	uint64_t applied;
	uint64_t bad;
};

void fp_ctl_md_book_usage(FILE *out)
{
	fputs("usage: fastpath-md book FILE --symbol S [--depth N] [--json]\n"
	      "Replay FILE (pcap of MoldUDP64, or raw ITCH 5.0) through the book builder and "
	      "print\n"
	      "the final depth of one symbol, best level first.\n"
	      "  --symbol S   stock symbol from the stock directory ('R'), or a stock locate "
	      "number\n"
	      "  --depth N    levels a side to print (default: all)\n"
	      "  --json       {\"symbol\": S, \"bids\": [[price_str, shares, orders], ...], "
	      "\"asks\": [...]}\n",
	      out);
}

static int on_msg(void *arg, const struct fp_ctl_md_msg *m)
{
	struct book_ctx *c = arg;
	struct fp_event ev;
	if (m->result != FP_ITCH_OK || m->duplicate)
		return 0;
	if (fp_md_normalize(m->msg, m->len, m->seq, 0, 0, &ev) != FP_ITCH_OK) {
		c->bad++;
		return 0;
	}
	if (ev.type == FP_EV_MD_STOCK_DIRECTORY && ev.symbol_id < BOOK_MAX_LOCATES)
		memcpy(c->names[ev.symbol_id], ev.u.stock_directory.stock, 8);
	fp_book_core_apply(&c->bc, &ev);
	c->applied++;
	return 0;
}

static int64_t find_symbol(const struct book_ctx *c, const char *s)
{
	char want[8];
	size_t n = strlen(s);
	if (n == 0 || n > 8)
		return -1;
	memset(want, ' ', sizeof(want));
	memcpy(want, s, n);
	for (uint32_t i = 0; i < BOOK_MAX_LOCATES; i++)
		if (!memcmp(c->names[i], want, 8))
			return i;
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*end == '\0' && v > 0 && v < BOOK_MAX_LOCATES)
		return (int64_t)v;
	return -1;
}

static void print_side_json(FILE *out, const struct fp_book_depth_level *lv, uint32_t n)
{
	char px[32];
	fputc('[', out);
	for (uint32_t i = 0; i < n; i++) {
		fp_itch_price_str(px, sizeof(px), (uint64_t)lv[i].price, 4);
		fprintf(out, "%s[\"%s\", %" PRIu64 ", %" PRIu32 "]", i ? ", " : "", px,
			lv[i].shares, lv[i].orders);
	}
	fputc(']', out);
}

static void print_side_text(FILE *out, const char *name, const struct fp_book_depth_level *lv,
			    uint32_t n, uint32_t total)
{
	char px[32];
	fprintf(out, "%s (%" PRIu32 " of %" PRIu32 " levels):\n", name, n, total);
	fprintf(out, "  %14s %12s %8s\n", "price", "shares", "orders");
	for (uint32_t i = 0; i < n; i++) {
		fp_itch_price_str(px, sizeof(px), (uint64_t)lv[i].price, 4);
		fprintf(out, "  %14s %12" PRIu64 " %8" PRIu32 "\n", px, lv[i].shares, lv[i].orders);
	}
}

int fp_ctl_md_book(int argc, char **argv)
{
	static const struct option opts[] = {
		{"symbol", required_argument, NULL, 's'},
		{"depth", required_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *symbol = NULL;
	uint32_t depth = UINT32_MAX;
	int json = 0, opt, rc = 1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "s:d:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			symbol = optarg;
			break;
		case 'd': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || !*optarg || v == 0 || v > UINT32_MAX) {
				fprintf(stderr,
					"fastpath-md book: --depth '%s' is not a number >= 1\n",
					optarg);
				return 1;
			}
			depth = (uint32_t)v;
			break;
		}
		case 'j':
			json = 1;
			break;
		case 'h':
			fp_ctl_md_book_usage(stdout);
			return 0;
		default:
			fprintf(stderr,
				"fastpath-md book: bad option (see fastpath-md book --help)\n");
			return 1;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "fastpath-md book: give exactly one FILE (see --help)\n");
		return 1;
	}
	if (!symbol) {
		fprintf(stderr, "fastpath-md book: --symbol S is required\n");
		return 1;
	}

	struct fp_ctl_md_file f;
	if (fp_ctl_md_file_open(&f, argv[optind]) < 0) {
		fprintf(stderr, "fastpath-md book: %s\n", fp_err_msg());
		return 1;
	}
	struct book_ctx c = {0};
	struct fp_book_cfg cfg;
	fp_book_cfg_default(&cfg);
	cfg.max_symbols = BOOK_MAX_LOCATES;
	cfg.max_orders = FP_MIN((uint64_t)FP_BOOK_DEFAULT_ORDERS, (uint64_t)f.len / 19 + 16);
	cfg.max_levels = FP_MIN(2 * cfg.max_orders + 4u * 1024 * 1024, (uint64_t)1 << 31);
	cfg.eod_clear = 0; /* print the depth as of the last message */
	cfg.populate = 0;  /* a CLI: let pages fault in as they are used */
	c.names = calloc(BOOK_MAX_LOCATES, sizeof(*c.names));
	if (!c.names || fp_book_core_init(&c.bc, &cfg) < 0) {
		fprintf(stderr, "fastpath-md book: %s\n", c.names ? fp_err_msg() : "out of memory");
		goto out;
	}
	struct fp_ctl_md_stats *st = calloc(1, sizeof(*st));
	if (!st) {
		fprintf(stderr, "fastpath-md book: out of memory\n");
		goto out;
	}
	fp_ctl_md_walk(&f, -1, on_msg, &c, st);
	if (st->zero_len)
		fprintf(stderr,
			"fastpath-md book: warning: %" PRIu64 " length prefixes were 0; messages "
			"sized by their type\n",
			st->zero_len);
	if (st->truncated)
		fprintf(stderr, "fastpath-md book: warning: %s is truncated\n", argv[optind]);
	free(st);

	int64_t sym = find_symbol(&c, symbol);
	if (sym < 0) {
		fprintf(stderr, "fastpath-md book: symbol '%s' not in the file's stock directory\n",
			symbol);
		goto out;
	}
	uint32_t nb = fp_book_core_nb_levels(&c.bc, (uint32_t)sym, FP_BOOK_BID);
	uint32_t na = fp_book_core_nb_levels(&c.bc, (uint32_t)sym, FP_BOOK_ASK);
	struct fp_book_depth_level *bids = calloc(nb + 1, sizeof(*bids));
	struct fp_book_depth_level *asks = calloc(na + 1, sizeof(*asks));
	if (!bids || !asks) {
		free(bids);
		free(asks);
		fprintf(stderr, "fastpath-md book: out of memory\n");
		goto out;
	}
	uint32_t gb =
		fp_book_core_depth(&c.bc, (uint32_t)sym, FP_BOOK_BID, bids, FP_MIN(nb, depth));
	uint32_t ga =
		fp_book_core_depth(&c.bc, (uint32_t)sym, FP_BOOK_ASK, asks, FP_MIN(na, depth));
	if (json) {
		printf("{\"symbol\": \"%s\", \"bids\": ", symbol);
		print_side_json(stdout, bids, gb);
		printf(", \"asks\": ");
		print_side_json(stdout, asks, ga);
		printf("}\n");
	} else {
		const struct fp_book_sym *s = &c.bc.syms[sym];
		printf("%s (stock locate %" PRId64 ") after %" PRIu64 " messages: state%s%s%s%s\n",
		       symbol, sym, c.applied, s->state ? "" : " normal",
		       (s->state & FP_BOOK_SYM_LOCKED)    ? " locked"
		       : (s->state & FP_BOOK_SYM_CROSSED) ? " crossed"
							  : "",
		       (s->state & FP_BOOK_SYM_HALTED) ? " halted" : "",
		       (s->state & FP_BOOK_SYM_STALE) ? " stale" : "");
		print_side_text(stdout, "bids", bids, gb, nb);
		print_side_text(stdout, "asks", asks, ga, na);
		printf("book counters (all symbols):\n");
		fp_book_stats_dump(stdout, &c.bc.st);
	}
	free(bids);
	free(asks);
	rc = 0;
out:
	fp_book_core_fini(&c.bc);
	free(c.names);
	fp_ctl_md_file_close(&f);
	return rc;
}
