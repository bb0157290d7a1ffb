/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_gw_sess.c - the gateway's session transport: a non-blocking TCP connection to the
 * venue (TCP_NODELAY), send() with a backlog for what the socket does not take, one recv()
 * per call, drop and reconnect with exponential backoff (what a drop does to the session's
 * state is fp_gw_venue.c's). Protocol-free: the adapter (struct fp_gw_proto, fp_gw_pvt.h)
 * logs in on connect and parses what is received. The socket calls are all here, so that a
 * test can replace this file alone with a fake transport (tests/fuzz/fuzz_gw_fix.c).
 *
 * Under TLS (fp_gw_tls.c) the same calls go through SSL_write/SSL_read, and the handshake
 * runs while CONNECTING, after the TCP connect.
 *
 * Syscalls: send() (the one of tick-to-trade), recv(), and socket()/connect()/poll()/
 * close() while the session is down. Never blocks.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fp_gw_pvt.h"

/* send() or, under TLS, SSL_write(): bytes taken, or -1 with errno (EAGAIN: try later). */
static ssize_t tx_some(struct fp_gw *gw, const uint8_t *b, size_t n)
{
	if (gw->tls == NULL)
		return send(gw->fd, b, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	long k = fp_gw_tls_send(gw, b, n);
	if (k > 0)
		return k;
	errno = k == 0 ? EAGAIN : EPIPE;
	return -1;
}

/* Hand @p n bytes to the socket (the one syscall of the hot path); what it does not take
 * waits in the backlog, in order, behind what already waits there. 0 when send() took
 * them whole, 1 when (some of) them wait in the backlog, -1 when the session was dropped. */
int fp_gw_tx(struct fp_gw *gw, const uint8_t *b, size_t n)
{
	gw->last_tx_ns = gw->now_ns;
	if (gw->fd < 0)
		return -1;
	if (gw->tx_len == 0) {
		ssize_t k = tx_some(gw, b, n);
		if (k == (ssize_t)n)
			return 0;
		if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			fp_gw_session_drop(gw);
			return -1;
		}
		if (k > 0) {
			b += k;
			n -= (size_t)k;
		}
	}
	if (gw->tx_len + n > FP_GW_TX_BACKLOG) { /* the venue stopped reading */
		fp_gw_session_drop(gw);
		return -1;
	}
	memcpy(gw->tx + gw->tx_len, b, n);
	gw->tx_len += (uint32_t)n;
	gw->st->nb_tx_backlog++;
	return 1;
}

void fp_gw_tx_flush(struct fp_gw *gw)
{
	if (gw->tx_len == 0)
		return;
	ssize_t k = tx_some(gw, gw->tx, gw->tx_len);
	if (k > 0) {
		memmove(gw->tx, gw->tx + k, gw->tx_len - (size_t)k);
		gw->tx_len -= (uint32_t)k;
	} else if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		fp_gw_session_drop(gw);
	}
}

/* One non-blocking recv() (the adapter's buffer); a closed or failed socket drops the
 * session. */
size_t fp_gw_rx(struct fp_gw *gw, uint8_t *buf, size_t room)
{
	ssize_t n;
	if (gw->tls) {
		long k = fp_gw_tls_recv(gw, buf, room);
		if (k == 0)
			return 0;
		n = k > 0 ? k : 0;
		errno = k > 0 ? 0 : ECONNRESET;
	} else {
		n = recv(gw->fd, buf, room, MSG_DONTWAIT);
	}
	gw->st->nb_rx_reads++;
	if (n > 0) {
		gw->last_rx_ns = gw->now_ns;
		return (size_t)n;
	}
	if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
		fp_gw_session_drop(gw);
	return 0;
}

/* TCP is up: the TLS handshake, or the protocol's login. */
static void connected(struct fp_gw *gw)
{
	if (gw->tls == NULL)
		return gw->proto->login(gw);
	if (fp_gw_tls_start(gw) < 0)
		return fp_gw_session_drop(gw);
	gw->state = FP_GW_CONNECTING; /* handshaking: fp_gw_session_connecting drives it */
	fp_gw_session_connecting(gw);
}

void fp_gw_session_drop(struct fp_gw *gw)
{
	fp_gw_tls_close(gw);
	if (gw->fd >= 0)
		close(gw->fd);
	gw->fd = -1;
	fp_gw_session_down(gw);
}

void fp_gw_session_connect(struct fp_gw *gw)
{
	gw->st->nb_connects++;
	gw->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (gw->fd < 0)
		return fp_gw_session_drop(gw);
	int one = 1;
	setsockopt(gw->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(gw->cfg.port)};
	sa.sin_addr.s_addr = gw->venue_addr;
	gw->last_rx_ns = gw->now_ns; /* connect timeout counts from here */
	if (connect(gw->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return connected(gw);
	if (errno != EINPROGRESS)
		return fp_gw_session_drop(gw);
	gw->state = FP_GW_CONNECTING;
}

void fp_gw_session_connecting(struct fp_gw *gw)
{
	if (gw->tls && fp_gw_tls_handshaking(gw)) {
		int r = fp_gw_tls_handshake(gw);
		if (r < 0)
			return fp_gw_session_drop(gw);
		if (r > 0)
			gw->proto->login(gw);
		return;
	}
	struct pollfd p = {.fd = gw->fd, .events = POLLOUT};
	if (poll(&p, 1, 0) <= 0)
		return;
	int err = 0;
	socklen_t l = sizeof(err);
	getsockopt(gw->fd, SOL_SOCKET, SO_ERROR, &err, &l);
	if (err != 0)
		return fp_gw_session_drop(gw);
	connected(gw);
}
