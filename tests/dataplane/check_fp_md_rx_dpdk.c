/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_md_rx_dpdk.c - the DPDK backend with virtual devices and no hugepages: the real
 * captures through net_pcap give the same payloads as the pcap backend; a missing device
 * or driver fails with a message that says what to do.
 */
#include <errno.h>
#include <glob.h>

#include "md_test_util.h"

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

int main(void)
{
	Suite *s = suite_create("fp_md_rx_dpdk");
	TCase *tc = tcase_create("dpdk");
	tcase_set_tags(tc, "dpdk");
	tcase_add_test(tc, test_dpdk_missing_port_says_what_to_do);
	tcase_add_test(tc, test_dpdk_net_pcap_matches_pcap_backend_on_real_captures);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
