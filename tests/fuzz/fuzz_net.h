/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_net.h - loopback sockets for the fuzz targets that drive a real listener (the
 * simulator's acceptor and rerequest server, the gateway's venue session). Test code only.
 */
#ifndef FUZZ_NET_H
#define FUZZ_NET_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "fuzz_util.h"

static inline struct sockaddr_in fuzz_loopback(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* A TCP connection to 127.0.0.1:@p port (blocking connect, then non-blocking). */
static inline int fuzz_tcp_connect(uint16_t port)
{
	struct sockaddr_in a = fuzz_loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	CHECK(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Send all of @p len bytes (blocking); false when the peer closed first. */
static inline bool fuzz_send_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

#endif /* FUZZ_NET_H */
