/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_bt.c - whole backtests through fp_bt_run() (backtest/fp_bt.h).
 *
 * Covers: the RITCH sample file (../shared/data/itch50) backtested to the result computed
 * by hand in docs/backtest.md (the probe strategy buys 100 BOB once at the ask of the first
 * two-sided top; taker fee; marked at the last uncrossed mid); determinism (the market
 * maker, a latency histogram with a seed: two runs give byte-identical journals and
 * reports apart from the "wall" line, and another seed gives other latencies); bad data:
 * a truncated file, an unknown message type, timestamps out of order (raw ITCH), a gap in a
 * MoldUDP64 capture (pcap), each counted with its position, and --strict stopping the run;
 * a gzip file replaying like the plain one; a missing file and a bad config refused; the
 * latency specs (constants, a report.json histogram sampled by seed, bad specs refused).
 */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "fp_bt.h"
#include "fp_bt_lat.h"
#include "fp_err.h"
#include "fp_itch.h"
#include "fp_md_gen.h"
#include "fp_pcap.h"

#define RITCH  FP_SHARED_DATA "/itch50/ritch_ex20101224.TEST_ITCH_50"
#define PROBE  FP_BINARY_DIR "/tests/fp_bt_probe.so"
#define LIMITS FP_SOURCE_DIR "/config/risk.conf"
#define PCAPS  FP_SHARED_DATA "/pcap/itch50"

static char dir[256];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_fp_bt.%d", (int)getpid());
	mkdir(dir, 0755);
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot read %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* A config: strategies @p list, limits of config/risk.conf "dev", fees and latency. */
static const char *make_config(const char *name, const char *list, const char *latency)
{
	static char path[300];
	char text[4096];
	snprintf(path, sizeof(path), "%s/%s.conf", dir, name);
	snprintf(text, sizeof(text),
		 "instance = \"%s\";\n"
		 "book = { symbols = 64; orders = 65536; populate = false; };\n"
		 "strategies = { timer_us = %d; list = ( %s ); };\n"
		 "risk = { limits = \"%s\"; env = \"dev\"; symbols = 64; };\n"
		 "backtest = { fee_maker = -20; fee_taker = 30; latency = \"%s\"; seed = 1; "
		 "date = 20101224; };\n",
		 /* 1 ms timer rounds where a test looks at them: the probe has an on_timer,
		  * and the sample spans 16 hours (57 M rounds, slow under the sanitizers) */
		 name, strstr(list, "timer_out") ? 1000 : 0, list, LIMITS, latency);
	write_text(path, text);
	return path;
}

static int run(const char *config, const char *data, const char *out, bool strict,
	       struct fp_bt_result *res, uint64_t seed)
{
	struct fp_bt_opts o = {.config = config,
			       .data = {data},
			       .nb_data = 1,
			       .from_ns = -1,
			       .to_ns = -1,
			       .seed = (int64_t)seed,
			       .out_dir = out,
			       .strict = strict};
	return fp_bt_run(&o, res);
}

static const struct fp_bt_line *line(const struct fp_bt_result *r, uint16_t strat, uint32_t sym)
{
	for (unsigned i = 0; i < r->nb_lines; i++)
		if (r->lines[i].strategy_id == strat && r->lines[i].symbol_id == sym)
			return &r->lines[i];
	return NULL;
}

START_TEST(test_bt_refuses_missing_data_and_bad_config)
{
	static struct fp_bt_result res;
	char out[300], bad[300];
	snprintf(out, sizeof(out), "%s/out", dir);
	const char *cfg = make_config("ok", "{ id = 1; name = \"ping\"; }", "");
	ck_assert_int_lt(run(cfg, "/nonexistent/file.itch", out, false, &res, 1), 0);
	snprintf(bad, sizeof(bad), "%s/bad.conf", dir);
	write_text(bad, "backtest = { fee_maker = 1; colour = 2; };\n");
	ck_assert_int_eq(run(bad, RITCH, out, false, &res, 1), -EINVAL);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "colour"));
}
END_TEST

/* docs/backtest.md, "The RITCH sample by hand". */
START_TEST(test_bt_ritch_probe_matches_hand_computation)
{
	static struct fp_bt_result res;
	char out[300], list[512], probe_out[300];
	snprintf(out, sizeof(out), "%s/ritch", dir);
	snprintf(probe_out, sizeof(probe_out), "%s/p", dir);
	snprintf(list, sizeof(list),
		 "{ id = 1; name = \"probe\"; path = \"%s\"; params = [\"buy=100\", "
		 "\"buy_symbol=2\", \"out=%s\"]; }",
		 PROBE, probe_out);
	ck_assert_int_eq(run(make_config("ritch", list, ""), RITCH, out, false, &res, 1), 0);
	ck_assert_uint_eq(res.messages, 12012);
	ck_assert_uint_eq(res.bad.truncated + res.bad.gaps + res.bad.unknown_type +
				  res.bad.out_of_order + res.bad.malformed,
			  0);
	const struct fp_bt_line *l = line(&res, 1, 2);
	ck_assert_ptr_nonnull(l);
	ck_assert_str_eq(l->stock, "BOB     ");
	ck_assert_uint_eq(l->orders, 1);
	ck_assert_uint_eq(l->fills, 1);
	ck_assert_uint_eq(l->filled_shares, 100);
	ck_assert_int_eq(l->position, 100);
	/* bought at the first two-sided top's ask 5.4167 (bid 5.3167, mid 5.3667) */
	ck_assert_double_eq_tol(l->slippage_sum / (double)l->slippage_shares, 0.05, 1e-9);
	ck_assert_double_eq_tol(l->cost, 541.67, 1e-9);
	/* marked at the last uncrossed mid (5.3833 + 5.3917) / 2 = 5.3875 */
	ck_assert_double_eq_tol(l->unrealized, -2.92, 1e-9);
	ck_assert_double_eq_tol(l->fees, 0.30, 1e-9);
	ck_assert_double_eq_tol(l->realized + l->unrealized - l->fees, -3.22, 1e-9);
	/* the probe saw every top the engine counted, in the same order */
	size_t n;
	char *txt = read_all(probe_out, &n), want[128];
	snprintf(want, sizeof(want), "tops %" PRIu64 " checksum %016" PRIx64 " position 100\n",
		 res.tops, res.top_checksum);
	ck_assert_str_eq(txt, want);
	free(txt);
	/* journal: store start, risk's order, the gateway's order, accepted, fill, and the
	 * close's position snapshot */
	ck_assert_uint_eq(res.journal_records, 6);
	ck_assert_uint_eq(strlen(res.journal_sha256), 64);
}
END_TEST

static char *report_without_wall(const struct fp_bt_opts *o, const struct fp_bt_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fp_bt_report_json(f, o, r);
	fclose(f);
	char *w = strstr(buf, "  \"wall\":");
	ck_assert_ptr_nonnull(w);
	char *e = strchr(w, '\n');
	memmove(w, e + 1, strlen(e + 1) + 1);
	ck_assert_ptr_null(strstr(buf, "wall"));
	return buf;
}

START_TEST(test_bt_same_inputs_give_identical_journal_and_report)
{
	static struct fp_bt_result r1, r2, r3;
	char out1[300], out2[300], out3[300], hist[300], lat[700], j1[700], j2[700];
	snprintf(hist, sizeof(hist), "%s/hist.txt", dir);
	write_text(hist, "# quantile ns\n0.5 5000\n0.9 20000\n0.99 90000\n1.0 400000\n");
	snprintf(lat, sizeof(lat), "feed=1us,entry=hist:%s,resp=hist:%s", hist, hist);
	const char *cfg =
		make_config("det",
			    "{ id = 1; name = \"mm\"; symbol = 2; params = [\"size=100\", "
			    "\"half_spread=300\", \"requote=200\"]; }, "
			    "{ id = 2; name = \"mm\"; symbol = 3; params = [\"size=200\", "
			    "\"half_spread=100\", \"requote=100\"]; }",
			    lat);
	snprintf(out1, sizeof(out1), "%s/d1", dir);
	snprintf(out2, sizeof(out2), "%s/d2", dir);
	snprintf(out3, sizeof(out3), "%s/d3", dir);
	ck_assert_int_eq(run(cfg, RITCH, out1, false, &r1, 7), 0);
	ck_assert_int_eq(run(cfg, RITCH, out2, false, &r2, 7), 0);
	ck_assert_int_eq(run(cfg, RITCH, out3, false, &r3, 8), 0);
	ck_assert_uint_ge(r1.orders_to_venue, 5);
	ck_assert_str_eq(r1.journal_sha256, r2.journal_sha256);
	snprintf(j1, sizeof(j1), "%s/journal/det-20101224.fpj", out1);
	snprintf(j2, sizeof(j2), "%s/journal/det-20101224.fpj", out2);
	size_t n1, n2;
	char *b1 = read_all(j1, &n1), *b2 = read_all(j2, &n2);
	ck_assert_uint_eq(n1, n2);
	ck_assert_int_eq(memcmp(b1, b2, n1), 0);
	free(b1);
	free(b2);
	struct fp_bt_opts o = {.config = cfg, .data = {RITCH}, .nb_data = 1};
	char *t1 = report_without_wall(&o, &r1), *t2 = report_without_wall(&o, &r2);
	ck_assert_str_eq(t1, t2);
	free(t1);
	free(t2);
	/* another seed draws other latencies: another journal (t_rx of the reports) */
	ck_assert_str_ne(r1.journal_sha256, r3.journal_sha256);
}
END_TEST

/* Offset of message @p k (0-based; its type byte) in the RITCH file: a u16 BE prefix,
 * zero in this sample, so each message is sized by its type. */
static long msg_offset(unsigned k)
{
	size_t n, off = 0;
	char *buf = read_all(RITCH, &n);
	for (unsigned i = 0; i < k; i++) {
		unsigned len = (unsigned)(uint8_t)buf[off] << 8 | (uint8_t)buf[off + 1];
		off += 2 + (len ? len : fp_itch_msg_len[(uint8_t)buf[off + 2]]);
	}
	free(buf);
	return (long)off + 2;
}

/* The RITCH file with one byte changed, or cut short: raw ITCH bad data. */
static const char *mutate(const char *name, long cut, long at, uint8_t byte)
{
	static char path[300];
	size_t n;
	char *buf = read_all(RITCH, &n);
	if (at >= 0)
		buf[at] = (char)byte;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	ck_assert_uint_eq(fwrite(buf, 1, n - (size_t)cut, f), n - (size_t)cut);
	fclose(f);
	free(buf);
	return path;
}

/* The RITCH file as a NASDAQ BinaryFILE (each prefix the message's length; the sample has
 * zero prefixes), with the byte at @p at set to @p byte. */
static const char *binaryfile(const char *name, long at, uint8_t byte)
{
	static char path[300];
	size_t n, off = 0;
	char *buf = read_all(RITCH, &n);
	while (off + 2 < n) {
		uint32_t len = fp_itch_msg_len[(uint8_t)buf[off + 2]];
		ck_assert_uint_gt(len, 0);
		buf[off] = (char)(len >> 8);
		buf[off + 1] = (char)len;
		off += 2 + len;
	}
	buf[at] = (char)byte;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	ck_assert_uint_eq(fwrite(buf, 1, n, f), n);
	fclose(f);
	free(buf);
	return path;
}

START_TEST(test_bt_bad_raw_itch_counted_with_position_and_strict_stops)
{
	static struct fp_bt_result res;
	char out[300];
	snprintf(out, sizeof(out), "%s/bad", dir);
	const char *cfg = make_config("bad", "{ id = 1; name = \"ping\"; }", "");

	/* truncated: the last message cut */
	const char *p = mutate("trunc.itch", 5, -1, 0);
	ck_assert_int_eq(run(cfg, p, out, false, &res, 1), 0);
	ck_assert_uint_eq(res.bad.truncated, 1);
	ck_assert_uint_eq(res.messages, 12011);
	ck_assert_ptr_nonnull(strstr(res.bad.first, "trunc.itch:"));

	/* unknown type in a BinaryFILE (real length prefixes): skipped, counted, the rest goes
	 * on; message 100's type byte becomes 'z' */
	long at = msg_offset(100);
	char where[96];
	p = binaryfile("unknown.itch", at, 'z');
	ck_assert_int_eq(run(cfg, p, out, false, &res, 1), 0);
	ck_assert_uint_eq(res.bad.unknown_type, 1);
	ck_assert_uint_eq(res.messages, 12011);
	snprintf(where, sizeof(where), "unknown.itch:%ld: ITCH message type 0x7a", at);
	ck_assert_msg(strstr(res.bad.first, where) != NULL, "%s", res.bad.first);
	ck_assert_int_eq(run(cfg, p, out, true, &res, 1), -EILSEQ);
	ck_assert_int_eq(res.stopped_strict, 1);
	ck_assert_uint_eq(res.messages, 100);

	/* the same in the RITCH file itself (zero length prefixes: messages sized by their
	 * type): nothing after an unknown type can be framed; counted where it stopped */
	p = mutate("unknown0.itch", 0, at, 'z');
	ck_assert_int_eq(run(cfg, p, out, false, &res, 1), 0);
	ck_assert_uint_eq(res.bad.unknown_type, 1);
	ck_assert_uint_eq(res.messages, 100);
	snprintf(where, sizeof(where), "unknown0.itch:%ld: unknown message type", at - 2);
	ck_assert_msg(strstr(res.bad.first, where) != NULL, "%s", res.bad.first);

	/* out of order: the second message's timestamp (offset 14 + 7) set far in the future
	 * (its high byte), so the third goes back in time */
	p = mutate("order.itch", 0, msg_offset(1) + 5, 0x7f);
	ck_assert_int_eq(run(cfg, p, out, false, &res, 1), 0);
	ck_assert_uint_ge(res.bad.out_of_order, 1);
	ck_assert_uint_eq(res.messages, 12012);
	ck_assert_ptr_nonnull(strstr(res.bad.first, "order.itch:"));
	ck_assert_ptr_nonnull(strstr(res.bad.first, "before the previous one"));
	ck_assert_int_eq(run(cfg, p, out, true, &res, 1), -EILSEQ);
	ck_assert_uint_eq(res.messages, 2);
}
END_TEST

static bool drop_packet_5(uint64_t i, void *arg)
{
	(void)arg;
	return i != 5;
}

START_TEST(test_bt_gap_in_capture_counted_and_gzip_replays_alike)
{
	static struct fp_bt_result res, res2;
	struct fp_md_feed feed;
	struct fp_md_gen_cfg gc = {.nb_msgs = 20000,
				   .max_per_pkt = 8,
				   .nb_symbols = 4,
				   .seed = 3,
				   .session = "BTGAP00001",
				   .dst_addr = 0xefc00001,
				   .dst_port = 26400,
				   .ts0_ns = 1291190400000000000ull, /* 2010-12-01 */
				   .pkt_interval_ns = 1000};
	uint8_t *img;
	size_t len;
	char out[300], pcap[300], gz[300];
	ck_assert_int_eq(fp_md_gen_feed(&feed, &gc), 0);
	uint32_t lost = feed.count[5];
	ck_assert_int_eq(fp_md_gen_pcap(&feed, false, drop_packet_5, NULL, &img, &len), 0);
	snprintf(pcap, sizeof(pcap), "%s/gap.pcap", dir);
	ck_assert_int_eq(fp_md_gen_write_file(pcap, img, len), 0);
	snprintf(gz, sizeof(gz), "%s/gap.pcap.gz", dir);
	gzFile g = gzopen(gz, "wb");
	ck_assert_int_eq(gzwrite(g, img, (unsigned)len), (int)len);
	gzclose(g);
	free(img);
	snprintf(out, sizeof(out), "%s/gap", dir);
	const char *cfg = make_config("gap",
				      "{ id = 1; name = \"mm\"; symbol = 1; params = "
				      "[\"size=100\"]; }",
				      "");
	ck_assert_int_eq(run(cfg, pcap, out, false, &res, 1), 0);
	ck_assert_uint_eq(res.bad.gaps, 1);
	ck_assert_uint_eq(res.bad.missing, lost);
	ck_assert_uint_eq(res.messages, feed.nb_msgs - lost);
	ck_assert_ptr_nonnull(strstr(res.bad.first, "gap.pcap:"));
	ck_assert_ptr_nonnull(strstr(res.bad.first, "gap: sequence"));
	/* the journal is named after the capture's day */
	ck_assert_ptr_nonnull(strstr(res.journal_path, "gap-20101201.fpj"));
	ck_assert_int_eq(run(cfg, gz, out, false, &res2, 1), 0);
	ck_assert_uint_eq(res2.messages, res.messages);
	ck_assert_uint_eq(res2.top_checksum, res.top_checksum);
	ck_assert_str_eq(res2.journal_sha256, res.journal_sha256);
	ck_assert_int_eq(run(cfg, pcap, out, true, &res, 1), -EILSEQ);
	fp_md_gen_free(&feed);
}
END_TEST

/* Append @p n bytes of @p b to @p f, padded to 32 bits (pcapng blocks). */
static void ng_put(FILE *f, const void *b, size_t n)
{
	static const uint8_t zero[4];
	ck_assert_uint_eq(fwrite(b, 1, n, f), n);
	if (n % 4)
		ck_assert_uint_eq(fwrite(zero, 1, 4 - n % 4, f), 4 - n % 4);
}

/* The classic capture @p src rewritten as pcapng (SHB, one IDB with if_tsresol 9, one EPB
 * per record) by our own writer: the reader must take what Wireshark writes by default. */
static void pcap_to_pcapng(const char *src, const char *dst)
{
	size_t n;
	char *buf = read_all(src, &n);
	struct fp_pcap p;
	struct fp_pcap_rec rec;
	ck_assert_int_eq(fp_pcap_open(&p, buf, n), 0);
	FILE *f = fopen(dst, "wb");
	ck_assert_ptr_nonnull(f);
	/* version 1.0 (major u16 1, minor u16 0), section length -1 (unknown) */
	uint32_t shb[7] = {FP_PCAPNG_MAGIC, 28, FP_PCAPNG_BOM, 1, 0xffffffffu, 0xffffffffu, 28};
	ng_put(f, shb, sizeof(shb));
	/* link type u16 + reserved, snap length, if_tsresol (code 9, length 1) = 9: ns */
	uint32_t idb[8] = {FP_PCAPNG_BT_IDB, 32, p.linktype, p.snaplen, 9 | 1u << 16, 9, 0, 32};
	ng_put(f, idb, sizeof(idb));
	while (fp_pcap_next(&p, &rec) == FP_PCAP_OK) {
		uint32_t total = 32 + (rec.caplen + 3) / 4 * 4;
		uint32_t h[7] = {
			FP_PCAPNG_BT_EPB,    total,      0,          (uint32_t)(rec.ts_ns >> 32),
			(uint32_t)rec.ts_ns, rec.caplen, rec.origlen};
		ng_put(f, h, sizeof(h));
		ng_put(f, rec.data, rec.caplen);
		ng_put(f, &total, 4);
	}
	fclose(f);
	free(buf);
}

/* --data takes real NASDAQ captures (../shared/data/pcap), and pcapng: ours and, when
 * Wireshark's editcap is installed, editcap's; a pcapng replays exactly as its pcap. */
START_TEST(test_bt_real_captures_and_pcapng_replay_alike)
{
	static struct fp_bt_result res, ng, ed;
	char out[300], pcap[300], png[300], epng[300], cmd[800];
	snprintf(out, sizeof(out), "%s/cap", dir);
	const char *cfg =
		make_config("cap",
			    "{ id = 1; name = \"mm\"; symbol = 1; params = [\"size=100\", "
			    "\"half_spread=100\", \"requote=100\"]; }",
			    "entry=5us,resp=5us");
	/* real messages of 2023-08-22, zeroed sessions (unsequenced: no gap accounting) */
	ck_assert_int_eq(run(cfg, PCAPS "/20230822_AddOrderNoMPID.pcap", out, true, &res, 1), 0);
	ck_assert_uint_eq(res.messages, 5);
	ck_assert_uint_eq(res.md_events, 5);
	ck_assert_str_eq(res.bad.first, "");
	/* one real packet as captured: VLAN, real session and sequence, ns timestamps */
	ck_assert_int_eq(run(cfg, PCAPS "/OrderReplaceMessage.pcap", out, true, &res, 1), 0);
	ck_assert_uint_eq(res.messages, 1);
	ck_assert_str_eq(res.bad.first, "");
	ck_assert_ptr_nonnull(strstr(res.journal_path, "cap-20230822.fpj")); /* capture's day */

	/* a simulator-like feed: the classic pcap, then as pcapng */
	struct fp_md_feed feed;
	struct fp_md_gen_cfg gc = {.nb_msgs = 20000,
				   .max_per_pkt = 8,
				   .nb_symbols = 4,
				   .seed = 5,
				   .session = "BTPCAPNG01",
				   .dst_addr = 0xefc00001,
				   .dst_port = 26400,
				   .ts0_ns = 1291190400000000000ull, /* 2010-12-01 */
				   .pkt_interval_ns = 1000};
	uint8_t *img;
	size_t len;
	ck_assert_int_eq(fp_md_gen_feed(&feed, &gc), 0);
	ck_assert_int_eq(fp_md_gen_pcap(&feed, true, NULL, NULL, &img, &len), 0);
	snprintf(pcap, sizeof(pcap), "%s/feed.pcap", dir);
	ck_assert_int_eq(fp_md_gen_write_file(pcap, img, len), 0);
	free(img);
	snprintf(png, sizeof(png), "%s/feed.pcapng", dir);
	pcap_to_pcapng(pcap, png);
	ck_assert_int_eq(run(cfg, pcap, out, true, &res, 1), 0);
	ck_assert_int_eq(run(cfg, png, out, true, &ng, 1), 0);
	ck_assert_uint_eq(res.messages, feed.nb_msgs);
	ck_assert_uint_gt(res.tops, 100);
	ck_assert_uint_eq(ng.messages, res.messages);
	ck_assert_uint_eq(ng.tops, res.tops);
	ck_assert_uint_eq(ng.top_checksum, res.top_checksum);
	ck_assert_str_eq(ng.journal_sha256, res.journal_sha256);
	if (access("/usr/bin/editcap", X_OK) == 0) {
		snprintf(epng, sizeof(epng), "%s/editcap.pcapng", dir);
		snprintf(cmd, sizeof(cmd), "/usr/bin/editcap -F pcapng '%s' '%s'", pcap, epng);
		ck_assert_int_eq(system(cmd), 0);
		ck_assert_int_eq(run(cfg, epng, out, true, &ed, 1), 0);
		ck_assert_uint_eq(ed.messages, res.messages);
		ck_assert_uint_eq(ed.top_checksum, res.top_checksum);
		ck_assert_str_eq(ed.journal_sha256, res.journal_sha256);
	}
	fp_md_gen_free(&feed);
}
END_TEST

/* A raw ITCH file of two system events ('O' at 09:30:00, 'Q' one second later) and nothing
 * between them: a silent market. */
static const char *silent_second(void)
{
	static char path[300];
	uint8_t buf[2 * 14];
	for (int k = 0; k < 2; k++) {
		uint8_t *m = buf + 14 * k;
		uint64_t ts = (34200ull + (uint64_t)k) * 1000000000ull;
		memset(m, 0, 14);
		m[1] = 12; /* u16 BE length prefix */
		m[2] = 'S';
		for (int i = 0; i < 6; i++) /* timestamp: 6 bytes BE at offset 5 of the message */
			m[2 + 5 + i] = (uint8_t)(ts >> (8 * (5 - i)));
		m[2 + 11] = k ? 'Q' : 'O';
	}
	snprintf(path, sizeof(path), "%s/silent20101224.itch", dir);
	FILE *f = fopen(path, "wb");
	ck_assert_uint_eq(fwrite(buf, 1, sizeof(buf), f), sizeof(buf));
	fclose(f);
	return path;
}

struct progress_seen {
	unsigned calls, lasts;
	struct fp_bt_progress last;
};

static void on_progress(void *arg, const struct fp_bt_progress *p)
{
	struct progress_seen *ps = arg;
	ps->calls++;
	ps->lasts += p->last;
	ps->last = *p;
}

/* Timer rounds fire at their due feed times, between messages too (a silent second of a
 * 1 ms timer: every round 1 ms after the previous one); progress goes to the caller's
 * callback (the library prints nothing; `fastpath backtest` prints it). */
START_TEST(test_bt_timers_fire_at_due_feed_times_and_progress_goes_to_the_caller)
{
	static struct fp_bt_result res;
	struct progress_seen ps = {0};
	char out[300], list[512], tout[300];
	snprintf(out, sizeof(out), "%s/timers", dir);
	snprintf(tout, sizeof(tout), "%s/timers.txt", dir);
	snprintf(list, sizeof(list),
		 "{ id = 1; name = \"probe\"; path = \"%s\"; params = [\"timer_out=%s\"]; }", PROBE,
		 tout);
	struct fp_bt_opts o = {.config = make_config("timers", list, ""),
			       .data = {silent_second()},
			       .nb_data = 1,
			       .from_ns = -1,
			       .to_ns = -1,
			       .seed = 1,
			       .out_dir = out,
			       .progress = on_progress,
			       .progress_arg = &ps};
	ck_assert_int_eq(fp_bt_run(&o, &res), 0);
	ck_assert_uint_eq(res.messages, 2);
	/* rounds at 09:30:00.000 (the first message starts the day's phase), .001 ... .999
	 * between the messages (999, the engine's count), 09:30:01.000 at the second */
	ck_assert_uint_eq(res.timers, 999);
	size_t n;
	char *txt = read_all(tout, &n);
	ck_assert_str_eq(txt, "timers 1001 first 34200000000000 last 34201000000000 "
			      "min_gap 1000000 max_gap 1000000\n");
	free(txt);
	ck_assert_uint_eq(ps.lasts, 1);
	ck_assert_uint_ge(ps.calls, 1);
	ck_assert(ps.last.last);
	ck_assert_uint_eq(ps.last.messages, 2);
	ck_assert_uint_eq(ps.last.sim_ns, 34201000000000ull);
	ck_assert_double_eq(ps.last.done, 1.0);
}
END_TEST

/* Several files are several days, in order: backtest.close = "carry" keeps the position
 * into the next day, "flatten" closes it at each day's close (system event 'M', 16:00:07)
 * through risk and the venue; an unknown value is refused. The probe buys 100 BOB once (the
 * first day). The made-up sample's BOB book is quiet for 12 s before 'M': risk's stale_ms
 * (config/risk.conf) refuses the flatten order there, as it would live (the close does not
 * bypass risk); with stale_ms and the collar off the order goes out and fills. */
START_TEST(test_bt_days_carry_or_flatten_at_the_close)
{
	static struct fp_bt_result carry, flat, refused, stale;
	char out[300], list[512], cfgp[300], text[4096];
	snprintf(list, sizeof(list),
		 "{ id = 1; name = \"probe\"; path = \"%s\"; params = [\"buy=100\", "
		 "\"buy_symbol=2\"]; }",
		 PROBE);
	struct fp_bt_opts o = {.data = {RITCH, RITCH},
			       .nb_data = 2,
			       .from_ns = -1,
			       .to_ns = -1,
			       .seed = 1,
			       .out_dir = out};
	const char *modes[4] = {"carry", "flatten", "sometimes", "stale"};
	struct fp_bt_result *res[4] = {&carry, &flat, &refused, &stale};
	char limits[300];
	size_t n;
	char *lim = read_all(LIMITS, &n), *at;
	snprintf(limits, sizeof(limits), "%s/risk-nostale.conf", dir);
	const char *off[2] = {"stale_ms = ", "collar_bps = "}; /* each value becomes 0 */
	for (int k = 0; k < 2; k++)
		for (at = strstr(lim, off[k]); at; at = strstr(at, off[k])) {
			at += strlen(off[k]);
			for (char *d = at; *d >= '0' && *d <= '9'; d++)
				*d = d == at ? '0' : ' ';
		}
	write_text(limits, lim);
	free(lim);
	for (int k = 0; k < 4; k++) {
		snprintf(cfgp, sizeof(cfgp), "%s/%s.conf", dir, modes[k]);
		snprintf(text, sizeof(text),
			 "instance = \"%s\";\n"
			 "book = { symbols = 64; orders = 65536; populate = false; };\n"
			 "strategies = { timer_us = 0; list = ( %s ); };\n"
			 "risk = { limits = \"%s\"; env = \"dev\"; symbols = 64; };\n"
			 "backtest = { fee_taker = 30; close = \"%s\"; };\n",
			 modes[k], list, k == 3 ? LIMITS : limits, k == 3 ? "flatten" : modes[k]);
		write_text(cfgp, text);
		snprintf(out, sizeof(out), "%s/%s", dir, modes[k]);
		o.config = cfgp;
		o.nb_data = k == 3 ? 1 : 2; /* the refusal needs one day */
		int rc = fp_bt_run(&o, res[k]);
		if (k == 2) {
			ck_assert_int_eq(rc, -EINVAL);
			ck_assert_ptr_nonnull(strstr(fp_err_msg(), "backtest.close"));
			ck_assert_ptr_nonnull(strstr(fp_err_msg(), "sometimes"));
			continue;
		}
		ck_assert_msg(rc == 0, "%s: %s", modes[k], fp_err_msg());
		ck_assert_uint_eq(res[k]->messages, o.nb_data * 12012);
		ck_assert_uint_eq(res[k]->closes, o.nb_data);
	}
	/* carry: bought on day 1, still held at the end of day 2 (marked as on day 1) */
	const struct fp_bt_line *c = line(&carry, 1, 2);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(c->position, 100);
	ck_assert_uint_eq(c->fills, 1);
	ck_assert_uint_eq(carry.close_orders, 0);
	ck_assert_double_eq_tol(c->unrealized, -2.92, 1e-9);
	/* flatten: the close of day 1 sells the 100 to the recorded bids (one taker fill), the
	 * probe does not buy again: flat at both closes, the loss realized */
	const struct fp_bt_line *f = line(&flat, 1, 2);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->position, 0);
	ck_assert_uint_eq(f->orders, 2);
	ck_assert_uint_eq(f->fills, 2);
	ck_assert_uint_eq(f->filled_shares, 200);
	ck_assert_uint_eq(flat.close_orders, 1);
	ck_assert_uint_eq(flat.close_unflat, 0);
	ck_assert_double_eq_tol(f->unrealized, 0, 1e-9);
	ck_assert_double_eq_tol(f->fees, 0.60, 1e-9);
	/* the best bid at 'M' is 6.9667 (the made-up BOB book is crossed by then, up to its
	 * end): 100 x (6.9667 - 5.4167) */
	ck_assert_double_eq_tol(f->realized, 155.0, 1e-9);
	/* the journal of the flatten run holds the close's orders */
	ck_assert_uint_gt(flat.journal_records, carry.journal_records);
	/* risk refuses the flatten order on a stale book: the line stays open, and says so */
	const struct fp_bt_line *s = line(&stale, 1, 2);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(s->position, 100);
	ck_assert_uint_eq(stale.close_orders, 1);
	ck_assert_uint_eq(stale.risk_rejects, 1);
	ck_assert_uint_eq(stale.close_unflat, 1);

	/* an order resting at the close (the probe bids 1000 at the first bid, 5.3167, and
	 * never cancels; nothing in the sample trades down to it): the close cancels it */
	static struct fp_bt_result rest;
	snprintf(cfgp, sizeof(cfgp), "%s/rest.conf", dir);
	snprintf(text, sizeof(text),
		 "instance = \"rest\";\n"
		 "book = { symbols = 64; orders = 65536; populate = false; };\n"
		 "strategies = { timer_us = 0; list = ( { id = 1; name = \"probe\"; "
		 "path = \"%s\"; params = [\"buy=1000\", \"buy_symbol=2\", \"at_bid=1\"]; } ); };\n"
		 "risk = { limits = \"%s\"; env = \"dev\"; symbols = 64; };\n"
		 "backtest = { close = \"flatten\"; };\n",
		 PROBE, limits);
	write_text(cfgp, text);
	snprintf(out, sizeof(out), "%s/rest", dir);
	o.config = cfgp;
	o.nb_data = 1;
	ck_assert_int_eq(fp_bt_run(&o, &rest), 0);
	const struct fp_bt_line *r = line(&rest, 1, 2);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(rest.closes, 1);
	ck_assert_uint_eq(r->cancels, 1); /* the close's: the probe never cancels */
	ck_assert_uint_eq(r->fills, 0);
	ck_assert_int_eq(r->position, 0);
	ck_assert_uint_eq(rest.close_orders, 0);
	ck_assert_uint_eq(rest.close_unflat, 0);
	ck_assert_uint_eq(rest.journal_records, 8); /* start, order x2, ack, cancel x2, out, snap */
}
END_TEST

START_TEST(test_bt_latency_specs_and_seeded_samples)
{
	struct fp_bt_lat a[FP_BT_LAT_NB], c[FP_BT_LAT_NB];
	char hist[300], spec[400];
	ck_assert_int_eq(fp_bt_lat_parse(a, "entry=20", 1), 0); /* plain numbers are ns */
	ck_assert_uint_eq(a[FP_BT_LAT_ENTRY].constant_ns, 20);
	ck_assert_int_eq(fp_bt_lat_parse(a, "feed=250ns,entry=20us,resp=1ms", 1), 0);
	ck_assert_uint_eq(fp_bt_lat_sample(&a[FP_BT_LAT_FEED]), 250);
	ck_assert_uint_eq(fp_bt_lat_sample(&a[FP_BT_LAT_ENTRY]), 20000);
	ck_assert_uint_eq(fp_bt_lat_sample(&a[FP_BT_LAT_RESP]), 1000000);
	ck_assert_int_eq(fp_bt_lat_parse(a, "wire=1us", 1), -EINVAL);
	ck_assert_int_eq(fp_bt_lat_parse(a, "entry=fast", 1), -EINVAL);
	ck_assert_int_eq(fp_bt_lat_parse(a, "entry", 1), -EINVAL);
	ck_assert_int_lt(fp_bt_lat_parse(a, "entry=hist:/nonexistent", 1), 0);
	/* a report.json of fastpath run --report: its quantiles */
	snprintf(hist, sizeof(hist), "%s/report.json", dir);
	write_text(hist, "{\"t2t\": {\"p50_ns\": 9000, \"quantiles\": [[0.1000, 5000], "
			 "[0.5000, 9000], [0.9900, 20000], [1.0000, 50000]]}}\n");
	snprintf(spec, sizeof(spec), "entry=hist:%s", hist);
	ck_assert_int_eq(fp_bt_lat_parse(a, spec, 42), 0);
	ck_assert_int_eq(fp_bt_lat_parse(c, spec, 42), 0);
	ck_assert_uint_eq(a[FP_BT_LAT_ENTRY].nb, 4);
	uint64_t below = 0, lo = UINT64_MAX, hi = 0;
	for (int i = 0; i < 100000; i++) {
		uint64_t x = fp_bt_lat_sample(&a[FP_BT_LAT_ENTRY]);
		ck_assert_uint_eq(x, fp_bt_lat_sample(&c[FP_BT_LAT_ENTRY])); /* same seed */
		below += x <= 9000;
		lo = x < lo ? x : lo;
		hi = x > hi ? x : hi;
	}
	ck_assert_uint_ge(lo, 5000);
	ck_assert_uint_le(hi, 50000);
	ck_assert_uint_gt(below, 48000); /* the median: half the samples, give or take */
	ck_assert_uint_lt(below, 52000);
	write_text(hist, "0.9 100\n0.5 200\n"); /* quantiles must ascend */
	ck_assert_int_eq(fp_bt_lat_parse(a, spec, 1), -EINVAL);
}
END_TEST

static Suite *fp_bt_suite(void)
{
	Suite *s = suite_create("fp_bt");
	TCase *tc = tcase_create("runs");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300); /* each test: a few whole backtests, 10x slower under ASan */
	tcase_add_test(tc, test_bt_latency_specs_and_seeded_samples);
	tcase_add_test(tc, test_bt_refuses_missing_data_and_bad_config);
	tcase_add_test(tc, test_bt_ritch_probe_matches_hand_computation);
	tcase_add_test(tc, test_bt_same_inputs_give_identical_journal_and_report);
	tcase_add_test(tc, test_bt_bad_raw_itch_counted_with_position_and_strict_stops);
	tcase_add_test(tc, test_bt_gap_in_capture_counted_and_gzip_replays_alike);
	tcase_add_test(tc, test_bt_real_captures_and_pcapng_replay_alike);
	tcase_add_test(tc, test_bt_timers_fire_at_due_feed_times_and_progress_goes_to_the_caller);
	tcase_add_test(tc, test_bt_days_carry_or_flatten_at_the_close);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fp_bt_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
