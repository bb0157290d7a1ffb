/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_md_rx_xdp.c - the AF_XDP backend on a veth pair inside a private network and
 * mount namespace created by the test (design.md §10: unshare instead of `ip netns add`,
 * so that nothing is left on the host; bpffs mounted privately): a missing interface is a
 * clear error; multicast datagrams sent out of one end arrive through the XSK socket on
 * the other; the md stage over AF_XDP gives the reference event stream.
 * Skips with a message where namespaces cannot be created (no CAP_SYS_ADMIN).
 */
#define _GNU_SOURCE /* unshare */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include "md_stage_util.h"

#define GROUP 0xEF090909u /* 239.9.9.9 */
#define PORT  30000

/* A private netns with veth fpx0 (10.99.0.1) <-> fpx1 (10.99.0.2), bpffs mounted. */
static int make_veth_ns(void)
{
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) {
		fprintf(stderr, "SKIP: cannot create namespaces (%s): AF_XDP test not run\n",
			strerror(errno));
		return 0;
	}
	mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	ck_assert_int_eq(mount("sysfs", "/sys", "sysfs", 0, NULL), 0);
	ck_assert_int_eq(mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL), 0);
	int rc = system("ip link set lo up && ip link add fpx0 type veth peer name fpx1 && "
			"ip addr add 10.99.0.1/24 dev fpx0 && ip addr add 10.99.0.2/24 dev fpx1 && "
			"ip link set fpx0 up && ip link set fpx1 up");
	ck_assert_msg(rc == 0, "ip link setup failed (%d): is iproute2 installed?", rc);
	return 1;
}

static int sender(void)
{
	int tx = socket(AF_INET, SOCK_DGRAM, 0);
	struct in_addr ifa = {.s_addr = htonl(0x0A630002)}; /* fpx1 */
	setsockopt(tx, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof(ifa));
	return tx;
}

static void send_to_group(int tx, const void *buf, size_t len)
{
	struct sockaddr_in to = {
		.sin_family = AF_INET, .sin_port = htons(PORT), .sin_addr.s_addr = htonl(GROUP)};
	ck_assert_int_eq(sendto(tx, buf, len, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)len);
}

START_TEST(test_xdp_missing_interface_is_named)
{
	struct fp_md_rx *rx;
	struct fp_md_rx_cfg cfg = {.kind = FP_MD_RX_XDP, .ifname = "fpnosuch0"};
	ck_assert_int_eq(fp_md_rx_open(&rx, &cfg), -ENOENT);
	ck_assert_ptr_nonnull(strstr(fp_err_msg(), "fpnosuch0"));
	cfg.ifname = NULL;
	ck_assert_int_eq(fp_md_rx_open(&rx, &cfg), -EINVAL);
}
END_TEST

START_TEST(test_xdp_receives_multicast_on_veth)
{
	if (!make_veth_ns())
		return;
	struct fp_md_rx *rx;
	struct fp_md_rx_cfg cfg = {.kind = FP_MD_RX_XDP, .ifname = "fpx0", .nb_groups = 1};
	cfg.groups[0] = (struct fp_md_group){.addr = GROUP, .port = PORT};
	int rc = fp_md_rx_open(&rx, &cfg);
	ck_assert_msg(rc == 0, "xdp open: %s", fp_err_msg());
	int tx = sender();
	struct rx_digest want = {0};
	for (int i = 0; i < 100; i++) {
		uint8_t msg[200];
		memset(msg, i, sizeof(msg));
		send_to_group(tx, msg, 20u + (unsigned)i);
		digest_add(&want, msg, 20u + (unsigned)i);
	}
	struct rx_digest d = rx_drain(rx, 100, 1000);
	ck_assert_uint_eq(d.packets, 100);
	ck_assert_uint_eq(d.hash, want.hash);
	close(tx);
	fp_md_rx_close(rx);
}
END_TEST

START_TEST(test_xdp_stage_gives_reference_stream)
{
	if (!make_veth_ns())
		return;
	struct fp_md_feed f;
	struct fp_md_gen_cfg gc = gen_cfg(20000, 21);
	ck_assert_int_eq(fp_md_gen_feed(&f, &gc), 0);
	struct fp_ring *ring = ring_new(4096);
	struct fp_md_cfg cfg = stage_cfg(ring);
	cfg.lines[0] =
		(struct fp_md_rx_cfg){.kind = FP_MD_RX_XDP, .ifname = "fpx0", .nb_groups = 1};
	cfg.lines[0].groups[0] = (struct fp_md_group){.addr = GROUP, .port = PORT};
	struct fp_md md;
	int rc = fp_md_init(&md, &cfg);
	ck_assert_msg(rc == 0, "%s", fp_err_msg());
	int tx = sender();
	struct evlist got = {0}, want = {0};
	for (uint64_t i = 0; i < f.nb_pkts; i++) {
		send_to_group(tx, f.buf + f.off[i], f.len[i]);
		if (i % 16 == 15)
			while (fp_md_poll(&md, 64))
				ring_drain(ring, &got);
	}
	for (int idle = 0; idle < 500 && got.n < f.nb_msgs; idle++) {
		if (!fp_md_poll(&md, 64))
			usleep(1000);
		ring_drain(ring, &got);
	}
	feed_reference(&f, &want);
	assert_same_events(&want, &got, "af_xdp");
	ck_assert_uint_eq(md.stats->gaps, 0);
	close(tx);
	evlist_free(&got);
	evlist_free(&want);
	fp_md_fini(&md);
	free(ring);
	fp_md_gen_free(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fp_md_rx_xdp");
	TCase *tc = tcase_create("xdp");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_xdp_missing_interface_is_named);
	tcase_add_test(tc, test_xdp_receives_multicast_on_veth);
	tcase_add_test(tc, test_xdp_stage_gives_reference_stream);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
