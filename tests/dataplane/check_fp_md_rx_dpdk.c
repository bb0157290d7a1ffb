/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_md_rx_dpdk.c - the DPDK backend with virtual devices and no hugepages: the real
 * captures through net_pcap give the same payloads as the pcap backend; a missing device
 * or driver fails with a message that says what to do.
 */
#include <errno.h>
#include <glob.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "fp_pcap.h"
#include "md_stage_util.h"

static struct rx_digest via_pcap(const char *path)
{
	struct fp_md_rx *rx;
	struct fp_md_rx_cfg cfg = {.kind = FP_MD_RX_PCAP, .pcap_path = path};
	ck_assert_int_eq(fp_md_rx_open(&rx, &cfg), 0);
	struct rx_digest d = rx_drain(rx, 0, 100);
	fp_md_rx_close(rx);
	return d;
}

static struct rx_digest via_dpdk(const char *path, unsigned idx, uint64_t want)
{
	char dev[512];
	snprintf(dev, sizeof(dev), "net_pcap%u,rx_pcap=%s", idx, path);
	struct fp_md_rx *rx;
	struct fp_md_rx_cfg cfg = {.kind = FP_MD_RX_DPDK, .dpdk_dev = dev};
	int rc = fp_md_rx_open(&rx, &cfg);
	ck_assert_msg(rc == 0, "dpdk open %s: %s", path, fp_err_msg());
	struct rx_digest d = rx_drain(rx, want, 500);
	struct rx_digest extra = rx_drain(rx, 0, 20);
	ck_assert_msg(extra.packets == 0, "%s: %llu packets too many", path,
		      (unsigned long long)extra.packets);
	fp_md_rx_close(rx);
	return d;
}

START_TEST(test_dpdk_net_pcap_matches_pcap_backend_on_real_captures)
{
	if (!shared_data_present())
		return;
	glob_t g;
	ck_assert_int_eq(glob(ITCH_PCAP_DIR "/*.pcap", 0, NULL, &g), 0);
	ck_assert_uint_ge(g.gl_pathc, 20);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct rx_digest a = via_pcap(g.gl_pathv[i]);
		struct rx_digest b = via_dpdk(g.gl_pathv[i], (unsigned)i, a.packets);
		ck_assert_msg(a.packets > 0, "%s: no packet", g.gl_pathv[i]);
		ck_assert_msg(a.packets == b.packets && a.hash == b.hash,
			      "%s: pcap %llu packets, dpdk %llu", g.gl_pathv[i],
			      (unsigned long long)a.packets, (unsigned long long)b.packets);
	}
	globfree(&g);
}
END_TEST

START_TEST(test_dpdk_missing_port_says_what_to_do)
{
	struct fp_md_rx *rx;
	struct fp_md_rx_cfg cfg = {.kind = FP_MD_RX_DPDK, .dpdk_port = 7};
	ck_assert_int_eq(fp_md_rx_open(&rx, &cfg), -ENODEV);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "-d "));
	cfg.dpdk_dev = "net_nosuchdrv0,x=1";
	ck_assert_int_lt(fp_md_rx_open(&rx, &cfg), 0);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "net_nosuchdrv"));
}
END_TEST

/* Run the md stage over one line until `want` events (then 20 ms more) or 10 s. */
static void stage_collect(const struct fp_md_rx_cfg *line, bool passthrough, size_t want,
			  struct evlist *got)
{
	struct fp_ring *ring = ring_new(4096);
	struct fp_md_cfg cfg = stage_cfg(ring);
	cfg.lines[0] = *line;
	cfg.mold.first_seq = 0;
	cfg.mold.passthrough = passthrough;
	struct fp_md md;
	int rc = fp_md_init(&md, &cfg);
	ck_assert_msg(rc == 0, "%s", fp_err_msg());
	struct timespec t0, now, last;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	last = t0;
	for (;;) {
		unsigned n = fp_md_poll(&md, 64);
		ring_drain(ring, got);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (n)
			last = now;
		long idle_ms =
			(now.tv_sec - last.tv_sec) * 1000 + (now.tv_nsec - last.tv_nsec) / 1000000;
		long all_ms =
			(now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
		if ((got->n >= want && idle_ms > 20) || all_ms > 10000 ||
		    (line->kind == FP_MD_RX_PCAP && fp_md_eof(&md)))
			break;
	}
	fp_md_fini(&md);
	free(ring);
}

static void compare_backends(const char *path, unsigned idx, bool passthrough)
{
	struct evlist a = {0}, b = {0};
	struct fp_md_rx_cfg pc = {.kind = FP_MD_RX_PCAP, .pcap_path = path};
	stage_collect(&pc, passthrough, 0, &a);
	char dev[512];
	snprintf(dev, sizeof(dev), "net_pcap%u,rx_pcap=%s", idx, path);
	struct fp_md_rx_cfg dc = {.kind = FP_MD_RX_DPDK, .dpdk_dev = dev};
	stage_collect(&dc, passthrough, a.n, &b);
	ck_assert_msg(a.n > 0, "%s: no event", path);
	assert_same_events(&a, &b, path);
	evlist_free(&a);
	evlist_free(&b);
}

START_TEST(test_dpdk_stage_events_equal_pcap_backend_on_real_captures)
{
	if (!shared_data_present())
		return;
	glob_t g;
	ck_assert_int_eq(glob(ITCH_PCAP_DIR "/*.pcap", 0, NULL, &g), 0);
	for (size_t i = 0; i < g.gl_pathc; i++)
		compare_backends(g.gl_pathv[i], 100 + (unsigned)i,
				 strstr(g.gl_pathv[i], "/20230822_") != NULL);
	globfree(&g);
}
END_TEST

START_TEST(test_dpdk_stage_events_equal_pcap_backend_on_generated_capture)
{
	struct fp_md_feed f;
	struct fp_md_gen_cfg gc = gen_cfg(200000, 11);
	ck_assert_int_eq(fp_md_gen_feed(&f, &gc), 0);
	uint8_t *img;
	size_t img_len;
	ck_assert_int_eq(fp_md_gen_pcap(&f, true, NULL, NULL, &img, &img_len), 0);
	char path[] = "/tmp/fp_md_dpdk_XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(fp_md_gen_write_file(path, img, img_len), 0);
	struct evlist want = {0};
	feed_reference(&f, &want);
	struct evlist a = {0}, b = {0};
	struct fp_md_rx_cfg pc = {.kind = FP_MD_RX_PCAP, .pcap_path = path};
	stage_collect(&pc, false, 0, &a);
	char dev[512];
	snprintf(dev, sizeof(dev), "net_pcap200,rx_pcap=%s", path);
	struct fp_md_rx_cfg dc = {.kind = FP_MD_RX_DPDK, .dpdk_dev = dev};
	stage_collect(&dc, false, want.n, &b);
	unlink(path);
	assert_same_events(&want, &a, "pcap backend");
	assert_same_events(&want, &b, "dpdk net_pcap");
	evlist_free(&want);
	evlist_free(&a);
	evlist_free(&b);
	free(img);
	fp_md_gen_free(&f);
}
END_TEST

/* net_ring: what the test transmits on the port comes back on its rx queue (the vdev's rx
 * and tx share one rte_ring), so the stage receives frames the test builds. */
START_TEST(test_dpdk_net_ring_feeds_the_stage)
{
	struct fp_md_feed f;
	struct fp_md_gen_cfg gc = gen_cfg(5000, 31);
	ck_assert_int_eq(fp_md_gen_feed(&f, &gc), 0);
	uint8_t *img;
	size_t img_len;
	ck_assert_int_eq(fp_md_gen_pcap(&f, true, NULL, NULL, &img, &img_len), 0);
	struct fp_ring *ring = ring_new(8192);
	struct fp_md_cfg cfg = stage_cfg(ring);
	cfg.lines[0] = (struct fp_md_rx_cfg){.kind = FP_MD_RX_DPDK, .dpdk_dev = "net_ring7"};
	struct fp_md md;
	int rc = fp_md_init(&md, &cfg);
	ck_assert_msg(rc == 0, "%s", fp_err_msg());
	uint16_t port;
	ck_assert_int_eq(rte_eth_dev_get_port_by_name("net_ring7", &port), 0);
	struct rte_mempool *mp =
		rte_pktmbuf_pool_create("test_tx", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	ck_assert_ptr_nonnull(mp);
	struct fp_pcap pc;
	ck_assert_int_eq(fp_pcap_open(&pc, img, img_len), 0);
	struct fp_pcap_rec rec;
	struct evlist got = {0}, want = {0};
	while (fp_pcap_next(&pc, &rec) == FP_PCAP_OK) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		ck_assert_ptr_nonnull(m);
		memcpy(rte_pktmbuf_append(m, (uint16_t)rec.caplen), rec.data, rec.caplen);
		while (rte_eth_tx_burst(port, 0, &m, 1) == 0)
			while (fp_md_poll(&md, 64))
				ring_drain(ring, &got);
	}
	for (int i = 0; i < 1000 && got.n < f.nb_msgs; i++) {
		fp_md_poll(&md, 64);
		ring_drain(ring, &got);
	}
	feed_reference(&f, &want);
	assert_same_events(&want, &got, "net_ring");
	ck_assert_uint_eq(md.stats->rx[0].packets, f.nb_pkts);
	fp_md_fini(&md);
	rte_mempool_free(mp);
	evlist_free(&got);
	evlist_free(&want);
	free(ring);
	free(img);
	fp_md_gen_free(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_md_rx_dpdk");
	TCase *tc = tcase_create("dpdk");
	tcase_set_tags(tc, "dpdk");
	tcase_add_test(tc, test_dpdk_missing_port_says_what_to_do);
	tcase_add_test(tc, test_dpdk_net_pcap_matches_pcap_backend_on_real_captures);
	tcase_add_test(tc, test_dpdk_stage_events_equal_pcap_backend_on_real_captures);
	tcase_add_test(tc, test_dpdk_stage_events_equal_pcap_backend_on_generated_capture);
	tcase_add_test(tc, test_dpdk_net_ring_feeds_the_stage);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
