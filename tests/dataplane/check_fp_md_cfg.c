/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_md_cfg.c - the md stage's libconfig loader: the sample config/md.conf loads with
 * the documented values; misspelt keys, bad groups, a window that is not a power of 2, a
 * missing 'lines' list and backends without their required keys fail with FILE:LINE.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fp_cfg.h"
#include "fp_err.h"
#include "fp_md.h"

static int load(const char *text, struct fp_md_cfg *out)
{
	struct fp_cfg *cfg = fp_cfg_load_string(text, "t.conf");
	ck_assert_msg(cfg != NULL, "%s", fp_err_msg());
	int rc = fp_md_cfg_load(cfg, fp_cfg_lookup(cfg, NULL, "md"), out);
	fp_cfg_free(cfg);
	return rc;
}

START_TEST(test_md_cfg_sample_loads)
{
	struct fp_cfg *cfg = fp_cfg_load_file(FP_SOURCE_DIR "/config/md.conf");
	ck_assert_msg(cfg != NULL, "%s", fp_err_msg());
	struct fp_md_cfg c;
	int rc = fp_md_cfg_load(cfg, fp_cfg_lookup(cfg, NULL, "md"), &c);
	ck_assert_msg(rc == 0, "%s", fp_err_msg());
	ck_assert_uint_eq(c.source, 1);
	ck_assert_mem_eq(c.mold.session, "          ", 10);
	ck_assert_uint_eq(c.mold.window, 65536);
	ck_assert_uint_eq(c.mold.max_request, 1000);
	ck_assert_uint_eq(c.mold.request_interval_ns, 10000000);
	ck_assert_uint_eq(c.mold.stale_timeout_ns, 2000000000);
	ck_assert_uint_eq(c.rerequest_addr, 0x7F000001);
	ck_assert_uint_eq(c.rerequest_port, 26478);
	ck_assert_uint_eq(c.nb_lines, 2);
	ck_assert_int_eq(c.lines[0].kind, FP_MD_RX_DPDK);
	ck_assert_ptr_nonnull(strstr(c.lines[0].dpdk_dev, "net_pcap0"));
	ck_assert_uint_eq(c.lines[0].nb_groups, 1);
	ck_assert_uint_eq(c.lines[0].groups[0].addr, 0xE9360C6F);
	ck_assert_uint_eq(c.lines[0].groups[0].port, 26477);
	ck_assert_int_eq(c.lines[1].kind, FP_MD_RX_UDP);
	ck_assert_uint_eq(c.lines[1].if_addr, 0x7F000001);
	ck_assert_uint_eq(c.lines[1].rcvbuf_bytes, 4194304);
	fp_cfg_free(cfg);
}
END_TEST

START_TEST(test_md_cfg_flat_form_of_the_supervisor_loads)
{
	struct fp_md_cfg c;
	int rc = load("md = { backend = \"udp\"; groups = [\"239.192.0.1:26400\"];"
		      " interface = \"127.0.0.1\"; rerequest = \"127.0.0.1:26401\";"
		      " window = 1024; stale_timeout_ms = 500; dpdk_port = 3; xdp_queue = 2; };",
		      &c);
	ck_assert_msg(rc == 0, "%s", fp_err_msg());
	ck_assert_uint_eq(c.nb_lines, 1);
	ck_assert_int_eq(c.lines[0].kind, FP_MD_RX_UDP);
	ck_assert_uint_eq(c.lines[0].if_addr, 0x7F000001);
	ck_assert_uint_eq(c.lines[0].groups[0].addr, 0xEFC00001);
	ck_assert_uint_eq(c.lines[0].groups[0].port, 26400);
	ck_assert_uint_eq(c.lines[0].dpdk_port, 3);
	ck_assert_uint_eq(c.lines[0].xdp_queue, 2);
	ck_assert_uint_eq(c.rerequest_port, 26401);
	ck_assert_uint_eq(c.mold.window, 1024);
	ck_assert_uint_eq(c.mold.stale_timeout_ns, 500000000);
}
END_TEST

static const struct {
	const char *desc;
	const char *text;
	const char *msg; /* expected in the error */
} bad[] = {
	{"misspelt key", "md: { lines = ({ backend = \"pcap\"; pcap = \"x\"; }); windw = 4; };",
	 "windw"},
	{"no lines and no backend", "md: { window = 64; };", "backend"},
	{"line key beside lines",
	 "md: { pcap = \"x\"; lines = ({ backend = \"pcap\"; pcap = \"x\"; }); };", "pcap"},
	{"window not a power of 2",
	 "md: { window = 1000; lines = ({ backend = \"pcap\"; pcap = \"x\"; }); };", "power of 2"},
	{"bad backend", "md: { lines = ({ backend = \"rdma\"; }); };", "backend"},
	{"udp without groups", "md: { lines = ({ backend = \"udp\"; }); };", "groups"},
	{"bad group", "md: { lines = ({ backend = \"udp\"; groups = [\"1.2.3:4\"]; }); };",
	 "A.B.C.D:PORT"},
	{"pcap without file", "md: { lines = ({ backend = \"pcap\"; }); };", "pcap"},
	{"three lines",
	 "md: { lines = ({ backend = \"pcap\"; pcap = \"a\"; }, { backend = \"pcap\"; pcap = "
	 "\"b\"; }, { backend = \"pcap\"; pcap = \"c\"; }); };",
	 "1 or 2"},
	{"bad rerequest",
	 "md: { rerequest = \"x\"; lines = ({ backend = \"pcap\"; pcap = \"a\"; }); };",
	 "rerequest"},
};

START_TEST(test_md_cfg_rejects_bad_settings_with_line)
{
	struct fp_md_cfg c;
	int rc = load(bad[_i].text, &c);
	ck_assert_msg(rc < 0, "%s: accepted", bad[_i].desc);
	ck_assert_msg(strstr(fp_err_msg(), bad[_i].msg) != NULL, "%s: message '%s'", bad[_i].desc,
		      fp_err_msg());
	ck_assert_msg(strstr(fp_err_msg(), "t.conf:") != NULL, "%s: no FILE:LINE in '%s'",
		      bad[_i].desc, fp_err_msg());
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_md_cfg");
	TCase *tc = tcase_create("cfg");
	tcase_add_test(tc, test_md_cfg_sample_loads);
	tcase_add_test(tc, test_md_cfg_flat_form_of_the_supervisor_loads);
	tcase_add_loop_test(tc, test_md_cfg_rejects_bad_settings_with_line, 0,
			    (int)(sizeof(bad) / sizeof(bad[0])));
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
