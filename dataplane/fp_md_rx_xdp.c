/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_md_rx_xdp.c - the AF_XDP receive backend: one XSK socket (libxdp) on an interface
 * queue, its UMEM in a private mapping, frames parsed with proto/fp_net.h.
 *
 * Open (cold): maps and touches a 16 MiB UMEM (4096 frames of 4 KiB), creates the socket
 * with libxdp's default redirect program (native mode when the driver has it, else generic
 * "skb" mode), and posts half the frames to the fill ring. The kernel's refusals are turned
 * into messages that name the cause: no such interface, missing CAP_NET_ADMIN/CAP_BPF, no
 * bpffs (`mount -t bpf bpf /sys/fs/bpf`), a queue the NIC does not have, XDP unsupported.
 *
 * Burst (hot): the frames of the previous burst go back to the fill ring, then one peek of
 * the rx ring. No syscall, except a wake-up recvfrom() when the kernel sets the fill ring's
 * need_wakeup flag (XDP_USE_NEED_WAKEUP), which happens only when it ran out of frames.
 */
#include <errno.h>
#include <stdarg.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <linux/if_link.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include "fp_err.h"
#include "fp_md_rx_pvt.h"
#include "fp_net.h"
#include "fp_tsc.h"

#define XDP_NB_FRAMES   4096
#define XDP_FRAME_SIZE  XSK_UMEM__DEFAULT_FRAME_SIZE
#define XDP_RING_SIZE   2048
#define BPF_FS_MAGIC_NR 0xcafe4a11

struct xdp_be {
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	struct xsk_ring_cons rx;
	void *area;
	size_t area_len;
	uint32_t nb_held; /**< rx descriptors of the last burst, released at the next */
	uint64_t held_addr[FP_MD_RX_BURST_MAX];
};

static void xdp_close(struct fp_md_rx *rx)
{
	struct xdp_be *be = rx->be;
	if (!be)
		return;
	if (be->xsk)
		xsk_socket__delete(be->xsk);
	if (be->umem)
		xsk_umem__delete(be->umem);
	if (be->area)
		munmap(be->area, be->area_len);
	free(be);
	rx->be = NULL;
}

static bool bpffs_mounted(void)
{
	struct statfs st;
	return statfs("/sys/fs/bpf", &st) == 0 && (unsigned long)st.f_type == BPF_FS_MAGIC_NR;
}

static int xsk_error(struct fp_md_rx *rx, int rc)
{
	const char *ifn = rx->cfg.ifname;
	unsigned q = rx->cfg.xdp_queue;
	switch (-rc) {
	case EPERM:
	case EACCES:
		return fp_err_set(
			rc,
			"AF_XDP socket on %s queue %u refused: %s (needs CAP_NET_ADMIN and "
			"CAP_BPF, or root)",
			ifn, q, strerror(-rc));
	case EOPNOTSUPP:
		return fp_err_set(
			rc,
			"AF_XDP on %s queue %u: the driver or kernel does not support XDP "
			"sockets here (%s)",
			ifn, q, strerror(-rc));
	case EINVAL:
		return fp_err_set(rc,
				  "AF_XDP on %s queue %u: invalid (%s): does the interface have "
				  "queue %u, is it up, is another XDP program attached?",
				  ifn, q, strerror(-rc), q);
	case EBUSY:
		return fp_err_set(rc,
				  "AF_XDP on %s queue %u: busy: another socket or program "
				  "holds the queue",
				  ifn, q);
	default:
		if (!bpffs_mounted())
			return fp_err_set(rc,
					  "AF_XDP on %s queue %u failed: %s; bpffs is not mounted "
					  "(mount -t bpf bpf /sys/fs/bpf)",
					  ifn, q, strerror(-rc));
		return fp_err_set(rc, "AF_XDP on %s queue %u failed: %s", ifn, q, strerror(-rc));
	}
}

/* libbpf and libxdp print to stderr by default; a library of ours must not (style.md).
 * Their diagnostics are replaced by the messages of xsk_error(). */
static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int quiet_libxdp(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static int xdp_open(struct fp_md_rx *rx)
{
	const struct fp_md_rx_cfg *cfg = &rx->cfg;
	if (!cfg->ifname || !*cfg->ifname)
		return fp_err_set(-EINVAL, "the xdp backend needs an interface (ifname)");
	if (if_nametoindex(cfg->ifname) == 0)
		return fp_err_set(-ENOENT, "AF_XDP: interface '%s' does not exist", cfg->ifname);
	libbpf_set_print(quiet_libbpf);
	libxdp_set_print(quiet_libxdp);
	struct xdp_be *be = calloc(1, sizeof(*be));
	if (!be)
		return fp_err_set(-ENOMEM, "no memory for the xdp backend");
	rx->be = be;
	int rc;
	be->area_len = (size_t)XDP_NB_FRAMES * XDP_FRAME_SIZE;
	be->area = mmap(NULL, be->area_len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (be->area == MAP_FAILED) {
		be->area = NULL;
		rc = fp_err_set(-errno, "AF_XDP: cannot map a %zu-byte UMEM: %s", be->area_len,
				strerror(errno));
		goto err;
	}
	struct xsk_umem_config ucfg = {.fill_size = XDP_RING_SIZE,
				       .comp_size = XDP_RING_SIZE,
				       .frame_size = XDP_FRAME_SIZE,
				       .frame_headroom = 0,
				       .flags = 0};
	rc = xsk_umem__create(&be->umem, be->area, be->area_len, &be->fq, &be->cq, &ucfg);
	if (rc) {
		rc = rc < 0 ? rc : -rc;
		fp_err_set(rc, "AF_XDP: cannot register the UMEM: %s", strerror(-rc));
		goto err;
	}
	struct xsk_socket_config scfg = {.rx_size = XDP_RING_SIZE,
					 .tx_size = 0,
					 .libxdp_flags = 0,
					 .xdp_flags = 0,
					 .bind_flags = XDP_USE_NEED_WAKEUP};
	rc = xsk_socket__create(&be->xsk, cfg->ifname, cfg->xdp_queue, be->umem, &be->rx, NULL,
				&scfg);
	if (rc) {
		be->xsk = NULL;
		xsk_error(rx, rc < 0 ? rc : -rc);
		rc = rc < 0 ? rc : -rc;
		goto err;
	}
	uint32_t idx;
	uint32_t n = xsk_ring_prod__reserve(&be->fq, XDP_RING_SIZE, &idx);
	for (uint32_t i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&be->fq, idx + i) = (uint64_t)i * XDP_FRAME_SIZE;
	xsk_ring_prod__submit(&be->fq, n);
	return 0;
err:
	xdp_close(rx);
	return rc;
}

static unsigned xdp_burst(struct fp_md_rx *rx, struct fp_md_pkt *pkts, unsigned n)
{
	struct xdp_be *be = rx->be;
	uint32_t idx;
	if (be->nb_held) {
		/* The fill ring has room: every frame posted there came back through rx. */
		xsk_ring_cons__release(&be->rx, be->nb_held);
		if (xsk_ring_prod__reserve(&be->fq, be->nb_held, &idx) == be->nb_held) {
			for (uint32_t i = 0; i < be->nb_held; i++)
				*xsk_ring_prod__fill_addr(&be->fq, idx + i) = be->held_addr[i];
			xsk_ring_prod__submit(&be->fq, be->nb_held);
		} else {
			rx->stats.errors++; /* cannot happen with fill_size >= frames posted */
		}
		be->nb_held = 0;
	}
	if (xsk_ring_prod__needs_wakeup(&be->fq))
		recvfrom(xsk_socket__fd(be->xsk), NULL, 0, MSG_DONTWAIT, NULL, NULL);
	uint32_t nb = xsk_ring_cons__peek(&be->rx, n, &idx);
	if (nb == 0)
		return 0;
	be->nb_held = nb;
	uint64_t now = fp_tsc_now();
	unsigned got = 0;
	for (uint32_t i = 0; i < nb; i++) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&be->rx, idx + i);
		be->held_addr[i] = d->addr;
		const uint8_t *frame = xsk_umem__get_data(be->area, d->addr);
		struct fp_net_pkt np;
		enum fp_net_result r = fp_net_parse_eth(frame, d->len, &np);
		got += fp_md_rx_take(rx, r, &np, now, 0, &pkts[got]);
	}
	return got;
}

const struct fp_md_rx_ops fp_md_rx_xdp_ops = {
	.name = "xdp",
	.open = xdp_open,
	.burst = xdp_burst,
	.close = xdp_close,
};
