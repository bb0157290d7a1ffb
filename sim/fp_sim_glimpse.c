/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_sim_glimpse.c - the simulator's GLIMPSE-style snapshot server (see fp_sim_glimpse.h).
 *
 * Simulator main thread only. Codecs from proto/: SoupBinTCP 3.0 (fp_soup.h) for framing
 * and logins, ITCH 5.0 (fp_itch.h) for the messages. A client's snapshot is encoded whole
 * into its output buffer at login (so that it is one consistent cut of the book: the main
 * loop runs no engine event in between) and drained by non-blocking sends.
 *
 * Client states:  LOGIN --login request--> SENDING --all bytes sent--> closed
 *                 any state --peer closed, error, bad packet--> closed
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fp_compiler.h"
#include "fp_endian.h"
#include "fp_err.h"
#include "fp_itch.h"
#include "fp_sim_glimpse.h"
#include "fp_soup.h"

#define NS_PER_DAY (86400ull * 1000000000ull)

enum { CL_FREE = 0, CL_LOGIN, CL_SENDING };

struct glimpse_client {
	int fd;
	int state;
	uint8_t *out; /**< the encoded snapshot */
	size_t out_len, out_off, out_cap;
	struct fp_soup_rx rx;
};

struct fp_sim_glimpse {
	struct fp_sim_glimpse_cfg cfg;
	struct fp_sim_glimpse_stats st;
	const struct fp_sim_engine *eng;
	const struct fp_sim_market *mkt;
	const struct fp_sim_itch *itch;
	int lfd;
	struct glimpse_client cl[FP_SIM_GLIMPSE_MAX_CLIENTS];
};

struct fp_sim_glimpse *fp_sim_glimpse_create(const struct fp_sim_glimpse_cfg *cfg,
					     const struct fp_sim_engine *eng,
					     const struct fp_sim_market *mkt,
					     const struct fp_sim_itch *itch)
{
	struct fp_sim_glimpse *g = calloc(1, sizeof(*g));
	int rc;
	if (!g) {
		fp_err_set(-ENOMEM, "snapshot server: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	g->cfg = *cfg;
	g->eng = eng;
	g->mkt = mkt;
	g->itch = itch;
	for (unsigned i = 0; i < FP_SIM_GLIMPSE_MAX_CLIENTS; i++)
		g->cl[i].fd = -1;
	const char *addr = cfg->bind_addr && cfg->bind_addr[0] ? cfg->bind_addr : "127.0.0.1";
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(cfg->port)};
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		rc = fp_err_set(-EINVAL, "snapshot server: '%s' is not an IPv4 address", addr);
		goto err;
	}
	g->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (g->lfd < 0) {
		rc = fp_err_set(-errno, "snapshot server: socket: %s", strerror(errno));
		goto err;
	}
	int one = 1;
	(void)setsockopt(g->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(g->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(g->lfd, 8) < 0) {
		rc = fp_err_set(-errno, "snapshot server: cannot listen on %s:%u: %s", addr,
				cfg->port, strerror(errno));
		goto err;
	}
	return g;
err:
	fp_sim_glimpse_destroy(g);
	errno = -rc;
	return NULL;
}

static void client_close(struct glimpse_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void fp_sim_glimpse_destroy(struct fp_sim_glimpse *g)
{
	if (!g)
		return;
	for (unsigned i = 0; i < FP_SIM_GLIMPSE_MAX_CLIENTS; i++)
		if (g->cl[i].fd >= 0)
			client_close(&g->cl[i]);
	if (g->lfd > 0)
		close(g->lfd);
	free(g);
}

uint16_t fp_sim_glimpse_port(const struct fp_sim_glimpse *g)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);
	if (getsockname(g->lfd, (struct sockaddr *)&a, &l) < 0)
		return 0;
	return ntohs(a.sin_port);
}

const struct fp_sim_glimpse_stats *fp_sim_glimpse_stats(const struct fp_sim_glimpse *g)
{
	return &g->st;
}

/* ---------------------------------------------------------------- encoding */

/* Room for @p n more bytes in the client's buffer (cold: grows by doubling). */
static uint8_t *out_reserve(struct glimpse_client *c, size_t n)
{
	if (c->out_len + n > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 1 << 16;
		while (cap < c->out_len + n)
			cap *= 2;
		uint8_t *p = realloc(c->out, cap);
		if (!p)
			return NULL;
		c->out = p;
		c->out_cap = cap;
	}
	return c->out + c->out_len;
}

/* One ITCH message in one sequenced data packet. @return 0 or -ENOMEM. */
static int put_itch(struct fp_sim_glimpse *g, struct glimpse_client *c, struct fp_itch_msg *m)
{
	uint8_t buf[FP_ITCH_MAX_LEN];
	m->timestamp %= NS_PER_DAY; /* ITCH time is since midnight, as the feed's */
	uint32_t len = fp_itch_encode(m, buf, sizeof(buf));
	uint8_t *dst = len ? out_reserve(c, FP_SOUP_HDR_SIZE + len) : NULL;
	if (!dst)
		return -ENOMEM;
	c->out_len += fp_soup_build_data(dst, FP_SOUP_HDR_SIZE + len, FP_SOUP_SEQUENCED, buf, len);
	g->st.nb_msgs++;
	return 0;
}

struct order_ctx {
	struct fp_sim_glimpse *g;
	struct glimpse_client *c;
	uint64_t ts;
	int rc;
};

static void put_order(void *arg, const struct fp_sim_order_info *o)
{
	struct order_ctx *x = arg;
	if (o->display == FP_SIM_DISPLAY_HIDDEN || x->rc < 0)
		return; /* never on the feed */
	struct fp_itch_msg m;
	memset(&m, 0, sizeof(m));
	m.stock_locate = o->locate;
	m.timestamp = x->ts;
	const char *stock = fp_sim_engine_stock(x->g->eng, o->locate);
	if (o->display == FP_SIM_DISPLAY_ATTRIBUTABLE) {
		m.type = 'F';
		m.u.add_order_mpid.order_reference_number = o->ref;
		m.u.add_order_mpid.buy_sell_indicator = (char)o->side;
		m.u.add_order_mpid.shares = o->open_qty;
		memcpy(m.u.add_order_mpid.stock, stock, 8);
		m.u.add_order_mpid.price = (uint32_t)o->price;
		fp_sim_firm_str(o->firm, m.u.add_order_mpid.attribution);
	} else {
		m.type = 'A';
		m.u.add_order.order_reference_number = o->ref;
		m.u.add_order.buy_sell_indicator = (char)o->side;
		m.u.add_order.shares = o->open_qty;
		memcpy(m.u.add_order.stock, stock, 8);
		m.u.add_order.price = (uint32_t)o->price;
	}
	x->rc = put_itch(x->g, x->c, &m);
	x->g->st.nb_orders++;
}

/* The whole snapshot, after the Login Accepted (see the header for its order). */
static int build_snapshot(struct fp_sim_glimpse *g, struct glimpse_client *c, uint64_t ts)
{
	uint64_t resume = fp_sim_itch_next_seq(g->itch);
	uint8_t *dst = out_reserve(c, 64);
	if (!dst)
		return -ENOMEM;
	char session[11];
	memcpy(session, g->cfg.session, 10);
	session[10] = 0;
	c->out_len += fp_soup_build_login_accepted(dst, 64, session, 1);

	struct fp_itch_msg m;
	memset(&m, 0, sizeof(m));
	m.type = 'S';
	m.timestamp = ts;
	m.u.system_event.event_code = 'Q';
	int rc = put_itch(g, c, &m);
	uint32_t n = fp_sim_market_nb_symbols(g->mkt);
	for (uint16_t l = 1; l <= n && rc == 0; l++) {
		fp_sim_itch_directory_msg(&m, fp_sim_market_stock(g->mkt, l), ts);
		rc = put_itch(g, c, &m);
		memset(&m, 0, sizeof(m));
		m.type = 'H';
		m.stock_locate = l;
		m.timestamp = ts;
		memcpy(m.u.stock_trading_action.stock, fp_sim_engine_stock(g->eng, l), 8);
		m.u.stock_trading_action.trading_state = (char)fp_sim_engine_state(g->eng, l);
		m.u.stock_trading_action.reserved = ' ';
		memcpy(m.u.stock_trading_action.reason, "    ", 4);
		if (rc == 0)
			rc = put_itch(g, c, &m);
	}
	struct order_ctx x = {.g = g, .c = c, .ts = ts};
	for (uint16_t l = 1; l <= n && x.rc == 0 && rc == 0; l++)
		fp_sim_engine_foreach_order(g->eng, l, put_order, &x);
	if (rc < 0 || x.rc < 0)
		return -ENOMEM;
	uint8_t snap[FP_SIM_GLIMPSE_SNAPSHOT_LEN];
	snap[0] = FP_SIM_GLIMPSE_SNAPSHOT;
	fp_put_be64(snap + 1, resume);
	if (!(dst = out_reserve(c, FP_SOUP_HDR_SIZE + sizeof(snap))))
		return -ENOMEM;
	c->out_len += fp_soup_build_data(dst, FP_SOUP_HDR_SIZE + sizeof(snap), FP_SOUP_SEQUENCED,
					 snap, sizeof(snap));
	g->st.nb_msgs++;
	g->st.nb_snapshots++;
	g->st.last_seq = resume;
	return 0;
}

/* ---------------------------------------------------------------- network */

static unsigned on_readable(struct fp_sim_glimpse *g, struct glimpse_client *c, uint64_t ts)
{
	size_t room;
	uint8_t *space = fp_soup_rx_space(&c->rx, &room);
	ssize_t r = room ? recv(c->fd, space, room, MSG_DONTWAIT) : -1;
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
		client_close(c);
		return 1;
	}
	if (r < 0)
		return 0;
	fp_soup_rx_commit(&c->rx, (size_t)r);
	struct fp_soup_pkt pkt;
	enum fp_soup_rc rc;
	while (c->state == CL_LOGIN && (rc = fp_soup_rx_next(&c->rx, &pkt)) == FP_SOUP_OK) {
		struct fp_soup_login lg;
		if (pkt.type != FP_SOUP_LOGIN_REQUEST) /* heartbeats before login: ignored */
			continue;
		char ours[11];
		fp_soup_get_alpha(ours, g->cfg.session, 10);
		if (fp_soup_parse_login_request(&pkt, &lg) < 0 ||
		    (lg.session[0] && strcmp(lg.session, ours) != 0)) {
			uint8_t rej[8];
			size_t n = fp_soup_build_login_rejected(rej, sizeof(rej),
								FP_SOUP_REJECT_NO_SESSION);
			(void)!send(c->fd, rej, n, MSG_DONTWAIT | MSG_NOSIGNAL);
			g->st.nb_rejected++;
			client_close(c);
			return 1;
		}
		g->st.nb_logins++;
		if (build_snapshot(g, c, ts) < 0) {
			client_close(c);
			return 1;
		}
		c->state = CL_SENDING;
	}
	if (c->state == CL_LOGIN && fp_soup_rx_next(&c->rx, &pkt) < 0) {
		g->st.nb_rejected++;
		client_close(c);
	}
	return 1;
}

static unsigned send_some(struct glimpse_client *c)
{
	ssize_t r = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
	if (r < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			client_close(c);
		return 0;
	}
	c->out_off += (size_t)r;
	if (c->out_off == c->out_len) /* all sent: FIN after the data */
		client_close(c);
	return 1;
}

unsigned fp_sim_glimpse_poll(struct fp_sim_glimpse *g, uint64_t ts_ns)
{
	unsigned work = 0;
	for (;;) {
		int fd = accept4(g->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			break;
		struct glimpse_client *c = NULL;
		for (unsigned i = 0; i < FP_SIM_GLIMPSE_MAX_CLIENTS && !c; i++)
			if (g->cl[i].fd < 0)
				c = &g->cl[i];
		if (!c) {
			close(fd); /* busy: the client retries */
			continue;
		}
		int one = 1;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->fd = fd;
		c->state = CL_LOGIN;
		fp_soup_rx_init(&c->rx, FP_SOUP_FROM_CLIENT, 256);
		g->st.nb_connections++;
		work++;
	}
	for (unsigned i = 0; i < FP_SIM_GLIMPSE_MAX_CLIENTS; i++) {
		struct glimpse_client *c = &g->cl[i];
		if (c->fd < 0)
			continue;
		if (c->state == CL_LOGIN)
			work += on_readable(g, c, ts_ns);
		else if (c->state == CL_SENDING)
			work += send_some(c);
	}
	return work;
}

/* ---------------------------------------------------------------- depth for tests */

#define DEPTH_MAX 64

struct depth_level {
	int64_t px;
	uint64_t shares, orders;
};

struct depth_ctx {
	unsigned nb[2]; /**< levels kept per side (0 bids, 1 asks) */
	struct depth_level lv[2][DEPTH_MAX];
	unsigned depth;
};

/* Orders come per side, best level first, in time priority: consecutive prices are one
 * level. Hidden orders are not on the feed, so a level of hidden orders only is no level. */
static void depth_order(void *arg, const struct fp_sim_order_info *o)
{
	struct depth_ctx *d = arg;
	if (o->display == FP_SIM_DISPLAY_HIDDEN)
		return;
	int k = o->side == FP_SIM_BUY ? 0 : 1;
	unsigned n = d->nb[k];
	if (n && d->lv[k][n - 1].px == o->price) {
		d->lv[k][n - 1].shares += o->open_qty;
		d->lv[k][n - 1].orders++;
	} else if (n < d->depth) {
		d->lv[k][n] = (struct depth_level){o->price, o->open_qty, 1};
		d->nb[k]++;
	}
}

void fp_sim_glimpse_write_depth(FILE *out, const struct fp_sim_engine *eng,
				const struct fp_sim_market *mkt, unsigned depth)
{
	uint32_t n = fp_sim_market_nb_symbols(mkt);
	for (uint16_t l = 1; l <= n; l++) {
		char name[9];
		fp_soup_get_alpha(name, fp_sim_engine_stock(eng, l), 8);
		struct depth_ctx d = {.depth = depth < DEPTH_MAX ? depth : DEPTH_MAX};
		fp_sim_engine_foreach_order(eng, l, depth_order, &d);
		fprintf(out, "%s", name);
		for (int k = 0; k < 2; k++) {
			fputs(k ? " asks " : " bids ", out);
			if (!d.nb[k])
				fputc('-', out);
			for (unsigned i = 0; i < d.nb[k]; i++)
				fprintf(out, "%s%" PRId64 ":%" PRIu64 ":%" PRIu64, i ? "," : "",
					d.lv[k][i].px, d.lv[k][i].shares, d.lv[k][i].orders);
		}
		fputc('\n', out);
	}
}
