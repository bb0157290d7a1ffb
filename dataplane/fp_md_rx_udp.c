/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_md_rx_udp.c - the portable receive backend: kernel UDP sockets, multicast membership,
 * recvmmsg.
 *
 * One non-blocking socket per distinct configured port (bound to INADDR_ANY:port, with
 * IP_MULTICAST_ALL off so that only joined groups arrive), joined to each multicast group
 * of that port on `if_addr`. A burst is one recvmmsg(MSG_DONTWAIT) per socket, round-robin,
 * into buffers allocated at open: the only syscall of the hot path. IP_PKTINFO gives the
 * destination address so that group filtering matches the other backends.
 */
#define _GNU_SOURCE /* recvmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fp_err.h"
#include "fp_md_rx_pvt.h"
#include "fp_tsc.h"

#define UDP_BUF_BYTES 2048 /* larger than any Ethernet MTU datagram */

struct udp_be {
	int fds[FP_MD_RX_GROUPS_MAX];
	uint16_t ports[FP_MD_RX_GROUPS_MAX];
	unsigned nb_fds;
	unsigned next_fd;
	struct mmsghdr msgs[FP_MD_RX_BURST_MAX];
	struct iovec iov[FP_MD_RX_BURST_MAX];
	struct sockaddr_in from[FP_MD_RX_BURST_MAX];
	uint8_t ctrl[FP_MD_RX_BURST_MAX][64];
	uint8_t bufs[FP_MD_RX_BURST_MAX][UDP_BUF_BYTES];
};

static void udp_close(struct fp_md_rx *rx)
{
	struct udp_be *be = rx->be;
	if (!be)
		return;
	for (unsigned i = 0; i < be->nb_fds; i++)
		close(be->fds[i]);
	free(be);
	rx->be = NULL;
}

static int udp_socket(struct fp_md_rx *rx, uint16_t port, int *out)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fp_err_set(-errno, "cannot create a UDP socket: %s", strerror(errno));
	int one = 1, zero = 0;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof(zero));
	if (rx->cfg.rcvbuf_bytes) {
		int v = (int)rx->cfg.rcvbuf_bytes;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	}
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int rc = -errno;
		close(fd);
		return fp_err_set(rc, "cannot bind UDP port %u: %s", port, strerror(-rc));
	}
	*out = fd;
	return 0;
}

static int udp_open(struct fp_md_rx *rx)
{
	const struct fp_md_rx_cfg *cfg = &rx->cfg;
	if (cfg->nb_groups == 0)
		return fp_err_set(-EINVAL, "the udp backend needs at least one group ADDRESS:PORT");
	struct udp_be *be = calloc(1, sizeof(*be));
	if (!be)
		return fp_err_set(-ENOMEM, "no memory for the udp backend");
	rx->be = be;
	int rc;
	for (unsigned g = 0; g < cfg->nb_groups; g++) {
		const struct fp_md_group *grp = &cfg->groups[g];
		if (grp->port == 0) {
			rc = fp_err_set(-EINVAL,
					"udp backend: group %u has port 0 (a port is needed)", g);
			goto err;
		}
		unsigned i;
		for (i = 0; i < be->nb_fds && be->ports[i] != grp->port; i++)
			;
		if (i == be->nb_fds) {
			if ((rc = udp_socket(rx, grp->port, &be->fds[i])) < 0)
				goto err;
			be->ports[i] = grp->port;
			be->nb_fds++;
		}
		if (IN_MULTICAST(grp->addr)) {
			struct ip_mreq mr = {.imr_multiaddr.s_addr = htonl(grp->addr),
					     .imr_interface.s_addr = htonl(cfg->if_addr)};
			if (setsockopt(be->fds[i], IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)) <
			    0) {
				char a[INET_ADDRSTRLEN], ifa[INET_ADDRSTRLEN];
				rc = -errno;
				inet_ntop(AF_INET, &mr.imr_multiaddr, a, sizeof(a));
				inet_ntop(AF_INET, &mr.imr_interface, ifa, sizeof(ifa));
				fp_err_set(rc,
					   "cannot join group %s on interface %s: %s (is there a "
					   "multicast route? on loopback use if_addr 127.0.0.1)",
					   a, ifa, strerror(-rc));
				goto err;
			}
		}
	}
	for (unsigned i = 0; i < FP_MD_RX_BURST_MAX; i++) {
		be->iov[i] = (struct iovec){.iov_base = be->bufs[i], .iov_len = UDP_BUF_BYTES};
		be->msgs[i].msg_hdr = (struct msghdr){.msg_name = &be->from[i],
						      .msg_namelen = sizeof(be->from[i]),
						      .msg_iov = &be->iov[i],
						      .msg_iovlen = 1,
						      .msg_control = be->ctrl[i],
						      .msg_controllen = sizeof(be->ctrl[i])};
	}
	return 0;
err:
	udp_close(rx);
	return rc;
}

static uint32_t pktinfo_dst(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			return ntohl(pi.ipi_addr.s_addr);
		}
	return 0;
}

static unsigned udp_burst(struct fp_md_rx *rx, struct fp_md_pkt *pkts, unsigned n)
{
	struct udp_be *be = rx->be;
	unsigned got = 0, used = 0; /* packets returned; buffers filled (>= got) */
	for (unsigned k = 0; k < be->nb_fds && used < n; k++) {
		unsigned i = be->next_fd;
		be->next_fd = (i + 1 == be->nb_fds) ? 0 : i + 1;
		for (unsigned j = used; j < n; j++) {
			be->msgs[j].msg_hdr.msg_namelen = sizeof(be->from[j]);
			be->msgs[j].msg_hdr.msg_controllen = sizeof(be->ctrl[j]);
		}
		int r = recvmmsg(be->fds[i], &be->msgs[used], n - used, MSG_DONTWAIT, NULL);
		if (r <= 0) {
			if (r < 0 && errno != EAGAIN && errno != EINTR)
				rx->stats.errors++;
			continue;
		}
		uint64_t now = fp_tsc_now();
		for (unsigned j = used; j < used + (unsigned)r; j++) {
			struct msghdr *mh = &be->msgs[j].msg_hdr;
			uint32_t dst = pktinfo_dst(mh);
			if (!fp_md_rx_match(&rx->cfg, dst, be->ports[i]) ||
			    (mh->msg_flags & MSG_TRUNC)) {
				rx->stats.filtered++;
				continue;
			}
			pkts[got++] =
				(struct fp_md_pkt){.data = be->bufs[j],
						   .len = be->msgs[j].msg_len,
						   .src_addr = ntohl(be->from[j].sin_addr.s_addr),
						   .dst_addr = dst,
						   .src_port = ntohs(be->from[j].sin_port),
						   .dst_port = be->ports[i],
						   .t_rx = now};
			rx->stats.packets++;
			rx->stats.bytes += be->msgs[j].msg_len;
		}
		used += (unsigned)r;
	}
	return got;
}

const struct fp_md_rx_ops fp_md_rx_udp_ops = {
	.name = "udp",
	.open = udp_open,
	.burst = udp_burst,
	.close = udp_close,
};
