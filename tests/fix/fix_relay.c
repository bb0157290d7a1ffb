/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fix_relay.c - `fp-fix-relay LISTEN_PORT VENUE_PORT`: a TCP relay on loopback between a
 * FIX client and its venue that can cut the session in the middle (test tool of
 * fix_quickfix_resend.sh; not shipped).
 *
 * It forwards bytes both ways, one client connection at a time, each to a new connection to
 * 127.0.0.1:VENUE_PORT. On SIGUSR1 it cuts the current connection so that messages are lost
 * in both directions, at TLS record boundaries (the records it forwards stay whole, so each
 * end sees a clean stream that just stops):
 *   phase 1  what the venue sends is dropped (the client's still goes through, so the venue
 *            answers orders the client will never hear of), until VENUE_DROP records;
 *   phase 2  what the client sends is dropped as well, until one record (the venue never
 *            hears of it);
 *   then both sockets are closed (no FIN-wait: RST-free close). The next client connection
 *   is relayed whole again.
 * A peer that closes first ends the connection too. Every state change is one line on
 * stdout ("relay: ..."), for the test to wait on.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define VENUE_DROP 3 /* venue records dropped before the client's are */

static volatile sig_atomic_t cut_asked;

static void on_usr1(int sig)
{
	(void)sig;
	cut_asked = 1;
}

/* One direction: where its TLS record stands, and whether it drops. */
struct dir {
	int from, to;
	const char *name;
	uint8_t hdr[5];
	unsigned hdr_len; /* header bytes seen of the record being read (in_body: 5) */
	size_t left;      /* bytes of the record's body still to come */
	int cut;          /* asked to drop: from the next record boundary on */
	int dropping;     /* dropping (set at a boundary once cut) */
	unsigned nb_drop; /* whole records dropped */
};

static struct sockaddr_in loopback(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int send_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static void record_end(struct dir *d)
{
	d->hdr_len = 0;
	if (d->dropping)
		d->nb_drop++;
}

/* Pass (or, once cut, drop) @p n bytes read from d->from, record by record: a record is a
 * 5-byte header (type, version, length) and its body. @return 0, -1 when the peer is gone. */
static int pump(struct dir *d, const uint8_t *b, size_t n)
{
	while (n > 0) {
		size_t k;
		if (d->hdr_len < 5) {
			if (d->hdr_len == 0 && d->cut)
				d->dropping = 1; /* a record boundary */
			d->hdr[d->hdr_len++] = *b;
			k = 1;
			if (d->hdr_len == 5)
				d->left = (size_t)d->hdr[3] << 8 | d->hdr[4];
		} else {
			k = n < d->left ? n : d->left;
			d->left -= k;
		}
		if (!d->dropping && send_all(d->to, b, k) < 0)
			return -1;
		b += k;
		n -= k;
		if (d->hdr_len == 5 && d->left == 0)
			record_end(d); /* the body is whole (or empty) */
	}
	return 0;
}

static void relay(int cfd, uint16_t venue_port, unsigned conn)
{
	struct sockaddr_in va = loopback(venue_port);
	int vfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (vfd < 0 || connect(vfd, (struct sockaddr *)&va, sizeof(va)) != 0) {
		printf("relay: connection %u: venue port %u refused: %s\n", conn, venue_port,
		       strerror(errno));
		if (vfd >= 0)
			close(vfd);
		close(cfd);
		return;
	}
	int one = 1;
	setsockopt(vfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	printf("relay: connection %u relayed\n", conn);
	struct dir up = {.from = cfd, .to = vfd, .name = "client"};
	struct dir down = {.from = vfd, .to = cfd, .name = "venue"};
	int phase = 0;
	uint8_t buf[65536];
	for (;;) {
		if (cut_asked && phase == 0) {
			cut_asked = 0;
			phase = 1;
			down.cut = 1;
			printf("relay: connection %u cut: dropping what the venue sends\n", conn);
		}
		if (phase == 1 && down.nb_drop >= VENUE_DROP) {
			phase = 2;
			up.cut = 1;
			printf("relay: connection %u: %u venue records dropped; dropping what the "
			       "client sends\n",
			       conn, down.nb_drop);
		}
		if (phase == 2 && up.nb_drop >= 1) {
			printf("relay: connection %u closed after dropping %u venue records and %u "
			       "client records\n",
			       conn, down.nb_drop, up.nb_drop);
			break;
		}
		struct pollfd p[2] = {{.fd = cfd, .events = POLLIN}, {.fd = vfd, .events = POLLIN}};
		int r = poll(p, 2, 50);
		if (r < 0 && errno != EINTR)
			break;
		int gone = 0;
		for (int i = 0; i < 2 && r > 0; i++) {
			if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			struct dir *d = i == 0 ? &up : &down;
			ssize_t n = recv(d->from, buf, sizeof(buf), MSG_DONTWAIT);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n <= 0 || pump(d, buf, (size_t)n) < 0) {
				printf("relay: connection %u: the %s closed\n", conn, d->name);
				gone = 1;
				break;
			}
		}
		if (gone)
			break;
	}
	close(vfd);
	close(cfd);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: fp-fix-relay LISTEN_PORT VENUE_PORT (SIGUSR1 cuts)\n");
		return 2;
	}
	uint16_t lport = (uint16_t)atoi(argv[1]), vport = (uint16_t)atoi(argv[2]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct sigaction sa = {.sa_handler = on_usr1};
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = loopback(lport);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(lfd, 4) != 0) {
		fprintf(stderr, "fp-fix-relay: port %u: %s\n", lport, strerror(errno));
		return 1;
	}
	printf("relay: listening on %u for %u\n", lport, vport);
	for (unsigned conn = 1;; conn++) {
		int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR) {
				conn--;
				continue;
			}
			fprintf(stderr, "fp-fix-relay: accept: %s\n", strerror(errno));
			return 1;
		}
		relay(cfd, vport, conn);
	}
}
