/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_sim_itch.c - the simulator's ITCH 5.0 / MoldUDP64 publisher (see fp_sim_itch.h).
 *
 * Simulator main thread only. Codecs: ITCH 5.0 through proto/fp_itch.h (fp_itch_encode),
 * MoldUDP64 through proto/fp_mold.h (builder, heartbeat, end of session, request parse);
 * this file only frames the packets as Ethernet/IPv4/UDP for the pcap file (fp_net.h
 * layouts) and moves bytes.
 *
 * Invariants
 *   (1) Sequence numbers are given at publish time: the open packet holds messages
 *       [pkt_seq, next_seq) and the history slot of sequence s is s & (history - 1).
 *   (2) The history holds the last `history` messages: s is retransmittable iff
 *       next_seq - history <= s < next_seq (and s >= 1).
 *   (3) A packet is sent whole or dropped whole; the fault injection acts on packets,
 *       never on the sequence numbers, so a receiver sees a gap, a duplicate or an
 *       out-of-order packet exactly as on a real feed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fp_compiler.h"
#include "fp_err.h"
#include "fp_itch.h"
#include "fp_mold.h"
#include "fp_net.h"
#include "fp_pcap.h"
#include "fp_sim_itch.h"

/* Ethernet + IPv4 + UDP in front of each MoldUDP64 packet in the pcap file. */
#define FRAME_HDR_LEN  (14 + 20 + 8)
#define PKT_MAX        (65535 - 28)
#define SRC_PORT       26399
#define HIST_SLOT_DATA 52 /* u16 length + up to FP_ITCH_MAX_LEN (50) bytes */
#define NS_PER_DAY     (86400ull * 1000000000ull)

struct fp_sim_itch {
	struct fp_sim_itch_cfg cfg;
	struct fp_sim_itch_stats st;
	int fd;    /**< multicast sender, -1 = none */
	int rr_fd; /**< rerequest server, -1 = none */
	struct sockaddr_in dst;
	uint32_t src_addr; /**< host order, for the pcap frames */
	uint32_t dst_addr;
	FILE *pcap;
	uint16_t ip_id;
	uint32_t max_pkt;        /**< MoldUDP64 packet bytes: mtu - 28 */
	uint64_t next_seq;       /**< sequence of the next message published */
	uint64_t last_send_mono; /**< for heartbeats */
	uint64_t last_ts;        /**< ITCH time of the last message */
	uint64_t first_ts;       /**< ITCH time of the open packet's first message */
	uint64_t rng;            /**< fault injection */
	struct fp_mold_builder b;
	uint8_t *pkt;  /**< open packet [max_pkt] */
	uint8_t *held; /**< a packet held back for reordering */
	uint32_t held_len;
	uint64_t held_ts;
	uint8_t *hist; /**< [history][HIST_SLOT_DATA] */
	uint8_t frame[FRAME_HDR_LEN + PKT_MAX];
};

void fp_sim_itch_cfg_default(struct fp_sim_itch_cfg *c)
{
	*c = (struct fp_sim_itch_cfg){
		.port = 26400,
		.iface = "127.0.0.1",
		.ttl = 1,
		.loop = true,
		.mtu = 1500,
		.history = 1u << 18,
		.seed = 1,
		.heartbeat_ns = 1000000000ull,
		.batch_ns = 50000,
	};
	memcpy(c->session, "FPSIM00001", 10);
}

/* xorshift64*: the fault injection's own stream, so that faults do not perturb the market. */
static double rnd01(struct fp_sim_itch *p)
{
	uint64_t x = p->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	p->rng = x;
	return (double)((x * UINT64_C(2685821657736338717)) >> 11) * 0x1.0p-53;
}

static int open_pcap(struct fp_sim_itch *p)
{
	p->pcap = fopen(p->cfg.pcap_path, "wb");
	if (!p->pcap)
		return fp_err_set(-errno, "cannot create pcap '%s': %s", p->cfg.pcap_path,
				  strerror(errno));
	setvbuf(p->pcap, NULL, _IOFBF, 1 << 20);
	uint8_t hdr[FP_PCAP_FILE_HDR_LEN];
	fp_pcap_write_file_hdr(hdr, FP_LINKTYPE_ETHERNET, 65535, 1);
	if (fwrite(hdr, sizeof(hdr), 1, p->pcap) != 1)
		return fp_err_set(-EIO, "cannot write pcap '%s'", p->cfg.pcap_path);
	return 0;
}

static int open_udp(struct fp_sim_itch *p)
{
	struct in_addr ifa, grp;
	if (inet_pton(AF_INET, p->cfg.group, &grp) != 1)
		return fp_err_set(-EINVAL, "multicast group '%s' is not an IPv4 address",
				  p->cfg.group);
	p->dst_addr = ntohl(grp.s_addr);
	p->fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (p->fd < 0)
		return fp_err_set(-errno, "socket: %s", strerror(errno));
	inet_pton(AF_INET, p->cfg.iface, &ifa);
	unsigned char ttl = (unsigned char)p->cfg.ttl, loop = p->cfg.loop ? 1 : 0;
	int sndbuf = 4 << 20;
	if (setsockopt(p->fd, IPPROTO_IP, IP_MULTICAST_IF, &ifa, sizeof(ifa)) < 0 ||
	    setsockopt(p->fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl)) < 0 ||
	    setsockopt(p->fd, IPPROTO_IP, IP_MULTICAST_LOOP, &loop, sizeof(loop)) < 0)
		return fp_err_set(-errno, "multicast options on %s for %s:%u: %s", p->cfg.iface,
				  p->cfg.group, p->cfg.port, strerror(errno));
	(void)setsockopt(p->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	p->dst = (struct sockaddr_in){
		.sin_family = AF_INET, .sin_port = htons(p->cfg.port), .sin_addr = grp};
	return 0;
}

static int open_rerequest(struct fp_sim_itch *p)
{
	struct in_addr ifa;
	inet_pton(AF_INET, p->cfg.iface, &ifa);
	p->rr_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (p->rr_fd < 0)
		return fp_err_set(-errno, "socket: %s", strerror(errno));
	int one = 1;
	(void)setsockopt(p->rr_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = {
		.sin_family = AF_INET, .sin_port = htons(p->cfg.rerequest_port), .sin_addr = ifa};
	if (bind(p->rr_fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return fp_err_set(-errno, "rerequest server: cannot bind %s:%u: %s", p->cfg.iface,
				  p->cfg.rerequest_port, strerror(errno));
	return 0;
}

struct fp_sim_itch *fp_sim_itch_create(const struct fp_sim_itch_cfg *cfg)
{
	int rc = -EINVAL;
	struct fp_sim_itch *p = calloc(1, sizeof(*p));
	if (!p) {
		fp_err_set(-ENOMEM, "ITCH publisher: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	p->cfg = *cfg;
	p->fd = p->rr_fd = -1;
	p->next_seq = 1;
	p->rng = cfg->seed * UINT64_C(0x9E3779B97F4A7C15) + 1;
	if (!p->cfg.iface || !p->cfg.iface[0])
		p->cfg.iface = "127.0.0.1";
	struct in_addr ifa;
	if (inet_pton(AF_INET, p->cfg.iface, &ifa) != 1) {
		rc = fp_err_set(-EINVAL, "interface address '%s' is not an IPv4 address",
				p->cfg.iface);
		goto err;
	}
	p->src_addr = ntohl(ifa.s_addr);
	p->dst_addr = 0xEFC00001; /* 239.192.0.1 when only a pcap is written */
	if (cfg->mtu < 128 || cfg->mtu > 65535) {
		rc = fp_err_set(-EINVAL, "mtu %u must be in 128..65535", cfg->mtu);
		goto err;
	}
	if (!FP_IS_POW2(cfg->history) || cfg->history < 1024) {
		rc = fp_err_set(-EINVAL, "history %u must be a power of 2 >= 1024", cfg->history);
		goto err;
	}
	if (cfg->loss < 0 || cfg->loss > 1 || cfg->dup < 0 || cfg->dup > 1 || cfg->reorder < 0 ||
	    cfg->reorder > 1) {
		rc = fp_err_set(-EINVAL, "loss, dup and reorder must be probabilities in 0..1");
		goto err;
	}
	p->max_pkt = cfg->mtu - 28;
	p->pkt = malloc(p->max_pkt);
	p->held = malloc(p->max_pkt);
	p->hist = malloc((size_t)cfg->history * HIST_SLOT_DATA);
	if (!p->pkt || !p->held || !p->hist) {
		rc = fp_err_set(-ENOMEM, "ITCH publisher: out of memory for %u messages of history",
				cfg->history);
		goto err;
	}
	if (cfg->group && cfg->group[0] && (rc = open_udp(p)) < 0)
		goto err;
	if (cfg->pcap_path && (rc = open_pcap(p)) < 0)
		goto err;
	if (cfg->rerequest_port && (rc = open_rerequest(p)) < 0)
		goto err;
	fp_mold_build_init(&p->b, p->pkt, p->max_pkt, p->cfg.session, p->next_seq);
	return p;
err:
	fp_sim_itch_destroy(p);
	errno = -rc;
	return NULL;
}

void fp_sim_itch_destroy(struct fp_sim_itch *p)
{
	if (!p)
		return;
	if (p->pcap)
		fclose(p->pcap);
	if (p->fd >= 0)
		close(p->fd);
	if (p->rr_fd >= 0)
		close(p->rr_fd);
	free(p->pkt);
	free(p->held);
	free(p->hist);
	free(p);
}

/* ---------------------------------------------------------------- sending */

static uint16_t ip_checksum(const uint8_t *h, unsigned len)
{
	uint32_t sum = 0;
	for (unsigned i = 0; i + 1 < len; i += 2)
		sum += fp_get_be16(h + i);
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)~sum;
}

static void pcap_write(struct fp_sim_itch *p, const uint8_t *pkt, uint32_t len, uint64_t ts,
		       uint32_t dst_addr, uint16_t dst_port)
{
	uint8_t *f = p->frame;
	/* Ethernet: IPv4 multicast MAC 01:00:5e + low 23 bits of the group */
	f[0] = 0x01;
	f[1] = 0x00;
	f[2] = 0x5e;
	f[3] = (uint8_t)((dst_addr >> 16) & 0x7f);
	f[4] = (uint8_t)(dst_addr >> 8);
	f[5] = (uint8_t)dst_addr;
	if ((dst_addr >> 28) != 0xE) /* unicast (a retransmission): a made-up peer MAC */
		memcpy(f, "\x02\x00\x00\x00\x00\x02", 6);
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6);
	fp_put_be16(f + 12, FP_ETHER_TYPE_IPV4);
	uint8_t *ip = f + 14;
	ip[0] = 0x45;
	ip[1] = 0;
	fp_put_be16(ip + 2, (uint16_t)(20 + 8 + len));
	fp_put_be16(ip + 4, p->ip_id++);
	fp_put_be16(ip + 6, 0x4000); /* DF */
	ip[8] = (uint8_t)(p->cfg.ttl > 0 ? p->cfg.ttl : 1);
	ip[9] = FP_IP_PROTO_UDP;
	fp_put_be16(ip + 10, 0);
	fp_put_be32(ip + 12, p->src_addr);
	fp_put_be32(ip + 16, dst_addr);
	fp_put_be16(ip + 10, ip_checksum(ip, 20));
	uint8_t *udp = ip + 20;
	fp_put_be16(udp, SRC_PORT);
	fp_put_be16(udp + 2, dst_port);
	fp_put_be16(udp + 4, (uint16_t)(8 + len));
	fp_put_be16(udp + 6, 0); /* no checksum: allowed over IPv4 */
	memcpy(udp + 8, pkt, len);
	uint32_t flen = FRAME_HDR_LEN + len;
	uint8_t rec[FP_PCAP_REC_HDR_LEN];
	fp_pcap_write_rec_hdr(rec, p->cfg.midnight_epoch_ns + ts, flen, flen, 1);
	fwrite(rec, sizeof(rec), 1, p->pcap);
	fwrite(f, flen, 1, p->pcap);
}

/* Put one packet on the wire (socket and pcap), no fault injection. */
static void emit(struct fp_sim_itch *p, const uint8_t *pkt, uint32_t len, uint64_t ts)
{
	if (p->fd >= 0 &&
	    sendto(p->fd, pkt, len, MSG_DONTWAIT, (struct sockaddr *)&p->dst, sizeof(p->dst)) < 0)
		p->st.nb_send_errors++;
	if (p->pcap)
		pcap_write(p, pkt, len, ts, p->dst_addr, p->cfg.port);
	p->st.nb_packets++;
	p->st.nb_bytes += len;
}

/* Send a packet through the fault injection (3). */
static void send_packet(struct fp_sim_itch *p, const uint8_t *pkt, uint32_t len, uint64_t ts)
{
	if (p->cfg.loss > 0 && rnd01(p) < p->cfg.loss) {
		p->st.nb_dropped++;
		return;
	}
	if (p->cfg.reorder > 0 && !p->held_len && rnd01(p) < p->cfg.reorder) {
		memcpy(p->held, pkt, len);
		p->held_len = len;
		p->held_ts = ts;
		p->st.nb_reordered++;
		return;
	}
	emit(p, pkt, len, ts);
	if (p->cfg.dup > 0 && rnd01(p) < p->cfg.dup) {
		emit(p, pkt, len, ts);
		p->st.nb_duplicated++;
	}
	if (p->held_len) {
		emit(p, p->held, p->held_len, p->held_ts);
		p->held_len = 0;
	}
}

void fp_sim_itch_flush(struct fp_sim_itch *p, uint64_t ts)
{
	if (!p->b.count) {
		if (p->held_len) { /* never keep a reordered packet waiting forever */
			emit(p, p->held, p->held_len, p->held_ts);
			p->held_len = 0;
		}
		return;
	}
	uint32_t len = fp_mold_build_finish(&p->b);
	p->st.nb_data_packets++;
	send_packet(p, p->pkt, len, ts > p->last_ts ? ts : p->last_ts);
	fp_mold_build_init(&p->b, p->pkt, p->max_pkt, p->cfg.session, p->next_seq);
	p->last_send_mono = 0; /* "sent recently": poll() re-arms the heartbeat timer */
}

void fp_sim_itch_flush_due(struct fp_sim_itch *p, uint64_t ts)
{
	if (p->b.count && (ts < p->first_ts || ts - p->first_ts >= p->cfg.batch_ns))
		fp_sim_itch_flush(p, ts);
}

uint64_t fp_sim_itch_due_ts(const struct fp_sim_itch *p)
{
	if (!p->b.count)
		return UINT64_MAX;
	return p->cfg.batch_ns > UINT64_MAX - p->first_ts ? UINT64_MAX
							  : p->first_ts + p->cfg.batch_ns;
}

/* Sequence one ITCH message: into the open packet (flushing a full one) and the history. */
static void publish(struct fp_sim_itch *p, struct fp_itch_msg *m)
{
	uint8_t buf[FP_ITCH_MAX_LEN];
	uint64_t ts = m->timestamp;
	m->tracking_number = 0;
	/* ITCH time is since midnight: a run that crosses midnight wraps (the pcap time and
	 * the batching use the unwrapped time). */
	m->timestamp = ts % NS_PER_DAY;
	uint32_t len = fp_itch_encode(m, buf, sizeof(buf));
	m->timestamp = ts;
	if (!len)
		return;
	uint8_t *dst = fp_mold_build_reserve(&p->b, (uint16_t)len);
	if (!dst) {
		fp_sim_itch_flush(p, m->timestamp);
		dst = fp_mold_build_reserve(&p->b, (uint16_t)len);
	}
	memcpy(dst, buf, len);
	if (p->b.count == 1)
		p->first_ts = m->timestamp;
	uint8_t *h = p->hist + (p->next_seq & (p->cfg.history - 1)) * HIST_SLOT_DATA;
	fp_put_be16(h, (uint16_t)len);
	memcpy(h + 2, buf, len);
	p->next_seq++;
	p->last_ts = m->timestamp;
	p->st.nb_msgs++;
	p->st.by_type[(uint8_t)m->type & 127]++;
}

void fp_sim_itch_on_md(void *arg, const struct fp_sim_md *e)
{
	struct fp_sim_itch *p = arg;
	struct fp_itch_msg m;
	memset(&m, 0, sizeof(m));
	m.type = (char)e->type;
	m.stock_locate = e->locate;
	m.timestamp = e->ts_ns;
	switch (e->type) {
	case 'A':
		m.u.add_order.order_reference_number = e->ref;
		m.u.add_order.buy_sell_indicator = (char)e->side;
		m.u.add_order.shares = e->qty;
		memcpy(m.u.add_order.stock, e->stock, 8);
		m.u.add_order.price = (uint32_t)e->price;
		break;
	case 'F':
		m.u.add_order_mpid.order_reference_number = e->ref;
		m.u.add_order_mpid.buy_sell_indicator = (char)e->side;
		m.u.add_order_mpid.shares = e->qty;
		memcpy(m.u.add_order_mpid.stock, e->stock, 8);
		m.u.add_order_mpid.price = (uint32_t)e->price;
		memcpy(m.u.add_order_mpid.attribution, e->mpid, 4);
		break;
	case 'E':
		m.u.order_executed.order_reference_number = e->ref;
		m.u.order_executed.executed_shares = e->qty;
		m.u.order_executed.match_number = e->match_number;
		break;
	case 'C':
		m.u.order_executed_with_price.order_reference_number = e->ref;
		m.u.order_executed_with_price.executed_shares = e->qty;
		m.u.order_executed_with_price.match_number = e->match_number;
		m.u.order_executed_with_price.printable = (char)e->printable;
		m.u.order_executed_with_price.execution_price = (uint32_t)e->price;
		break;
	case 'X':
		m.u.order_cancel.order_reference_number = e->ref;
		m.u.order_cancel.cancelled_shares = e->qty;
		break;
	case 'D':
		m.u.order_delete.order_reference_number = e->ref;
		break;
	case 'U':
		m.u.order_replace.original_order_reference_number = e->ref;
		m.u.order_replace.new_order_reference_number = e->new_ref;
		m.u.order_replace.shares = e->qty;
		m.u.order_replace.price = (uint32_t)e->price;
		break;
	case 'P':
		m.u.trade.order_reference_number = 0;
		/* spec 1.5.1: "B" since 2014 (non-displayed executions show no side) */
		m.u.trade.buy_sell_indicator = 'B';
		m.u.trade.shares = e->qty;
		memcpy(m.u.trade.stock, e->stock, 8);
		m.u.trade.price = (uint32_t)e->price;
		m.u.trade.match_number = e->match_number;
		break;
	case 'Q':
		m.u.cross_trade.shares = e->qty;
		memcpy(m.u.cross_trade.stock, e->stock, 8);
		m.u.cross_trade.cross_price = (uint32_t)e->price;
		m.u.cross_trade.match_number = e->match_number;
		m.u.cross_trade.cross_type = (char)e->cross_type;
		break;
	case 'H':
		memcpy(m.u.stock_trading_action.stock, e->stock, 8);
		m.u.stock_trading_action.trading_state = (char)e->state;
		m.u.stock_trading_action.reserved = ' ';
		memcpy(m.u.stock_trading_action.reason, e->reason, 4);
		break;
	default:
		return;
	}
	publish(p, &m);
}

void fp_sim_itch_system_event(struct fp_sim_itch *p, char code, uint64_t ts)
{
	struct fp_itch_msg m;
	memset(&m, 0, sizeof(m));
	m.type = 'S';
	m.timestamp = ts;
	m.u.system_event.event_code = code;
	publish(p, &m);
}

void fp_sim_itch_stock_directory(struct fp_sim_itch *p, const struct fp_sim_stock *s, uint64_t ts)
{
	struct fp_itch_msg m;
	fp_sim_itch_directory_msg(&m, s, ts);
	publish(p, &m);
}

void fp_sim_itch_directory_msg(struct fp_itch_msg *mp, const struct fp_sim_stock *s, uint64_t ts)
{
	struct fp_itch_msg m;
	memset(&m, 0, sizeof(m));
	m.type = 'R';
	m.stock_locate = s->locate;
	m.timestamp = ts;
	struct fp_itch_stock_directory_v *d = &m.u.stock_directory;
	memcpy(d->stock, s->stock, 8);
	d->market_category = s->market_category;
	d->financial_status_indicator =
		s->market_category == 'N' || s->market_category == 'P' ? ' ' : 'N';
	d->round_lot_size = s->round_lot;
	d->round_lots_only = 'N';
	d->issue_classification = s->issue_classification;
	memcpy(d->issue_sub_type, s->issue_sub_type, 2);
	d->authenticity = 'P';
	d->short_sale_threshold_indicator = 'N';
	d->ipo_flag = 'N';
	d->luld_reference_price_tier = s->luld_tier;
	d->etp_flag = s->etp_flag;
	d->etp_leverage_factor = 0;
	d->inverse_indicator = 'N';
	*mp = m;
}

/* ---------------------------------------------------------------- rerequests, heartbeats */

/* Answer one request from the history (2): as many packets as the range needs. */
static void serve_request(struct fp_sim_itch *p, const uint8_t *req, uint32_t len,
			  const struct sockaddr_in *from, uint64_t ts)
{
	const char *session;
	uint64_t seq;
	uint16_t count;
	p->st.nb_requests++;
	if (fp_mold_request_parse(req, len, &session, &seq, &count) < 0 ||
	    !fp_mold_session_eq(session, p->cfg.session) || count == 0 || seq == 0 ||
	    seq >= p->next_seq || seq + p->cfg.history < p->next_seq) {
		p->st.nb_bad_requests++;
		return;
	}
	uint64_t end = seq + count;
	if (end > p->next_seq)
		end = p->next_seq;
	uint8_t out[PKT_MAX];
	while (seq < end) {
		struct fp_mold_builder b;
		fp_mold_build_init(&b, out, p->max_pkt, p->cfg.session, seq);
		while (seq < end) {
			const uint8_t *h = p->hist + (seq & (p->cfg.history - 1)) * HIST_SLOT_DATA;
			if (fp_mold_build_append(&b, h + 2, fp_get_be16(h)) < 0)
				break;
			seq++;
			p->st.nb_retrans_msgs++;
		}
		uint32_t n = fp_mold_build_finish(&b);
		if (sendto(p->rr_fd, out, n, MSG_DONTWAIT, (const struct sockaddr *)from,
			   sizeof(*from)) < 0)
			p->st.nb_send_errors++;
		/* Not written to the pcap file: it records the multicast feed only. */
	}
	(void)ts;
}

unsigned fp_sim_itch_poll(struct fp_sim_itch *p, uint64_t ts, uint64_t mono_ns, unsigned budget)
{
	unsigned n = 0;
	while (p->rr_fd >= 0 && n < budget) {
		uint8_t req[64];
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t r = recvfrom(p->rr_fd, req, sizeof(req), 0, (struct sockaddr *)&from, &fl);
		if (r < 0)
			break;
		serve_request(p, req, (uint32_t)r, &from, ts);
		n++;
	}
	if (p->last_send_mono == 0) {
		p->last_send_mono = mono_ns;
	} else if (mono_ns - p->last_send_mono >= p->cfg.heartbeat_ns && !p->b.count) {
		uint8_t hb[FP_MOLD_HDR_LEN];
		fp_mold_build_heartbeat(hb, p->cfg.session, p->next_seq);
		emit(p, hb, sizeof(hb), ts);
		p->st.nb_heartbeats++;
		p->last_send_mono = mono_ns;
	}
	return n;
}

void fp_sim_itch_end_session(struct fp_sim_itch *p, uint64_t ts)
{
	fp_sim_itch_flush(p, ts);
	if (p->held_len) {
		emit(p, p->held, p->held_len, p->held_ts);
		p->held_len = 0;
	}
	uint8_t eos[FP_MOLD_HDR_LEN];
	fp_mold_build_end_of_session(eos, p->cfg.session, p->next_seq);
	emit(p, eos, sizeof(eos), ts);
	p->st.nb_end++;
	if (p->pcap)
		fflush(p->pcap);
}

uint64_t fp_sim_itch_next_seq(const struct fp_sim_itch *p)
{
	return p->next_seq;
}

uint16_t fp_sim_itch_rerequest_port(const struct fp_sim_itch *p)
{
	if (p->rr_fd < 0)
		return 0;
	struct sockaddr_in a;
	socklen_t l = sizeof(a);
	if (getsockname(p->rr_fd, (struct sockaddr *)&a, &l) < 0)
		return 0;
	return ntohs(a.sin_port);
}

const struct fp_sim_itch_stats *fp_sim_itch_stats(const struct fp_sim_itch *p)
{
	return &p->st;
}

/* Seconds since 1970 of 00:00 UTC on @p day of @p month of @p year (proleptic Gregorian,
 * days_from_civil). */
static int64_t utc_day(int64_t year, unsigned month, unsigned day)
{
	year -= month <= 2;
	int64_t era = (year >= 0 ? year : year - 399) / 400;
	unsigned yoe = (unsigned)(year - era * 400);
	unsigned doy = (153 * (month + (month > 2 ? (unsigned)-3 : 9)) + 2) / 5 + day - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + (int64_t)doe - 719468) * 86400;
}

/* Day of month of the @p nth Sunday of @p month of @p year. */
static unsigned nth_sunday(int64_t year, unsigned month, unsigned nth)
{
	int64_t days = utc_day(year, month, 1) / 86400;    /* 1970-01-01 was a Thursday */
	unsigned wday = (unsigned)(((days % 7) + 11) % 7); /* 0 = Sunday */
	return 1 + (7 - wday) % 7 + 7 * (nth - 1);
}

int64_t fp_sim_eastern_offset_s(int64_t utc_s)
{
	int64_t days = utc_s / 86400 - (utc_s % 86400 < 0);
	/* year of the UTC date (civil_from_days) */
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	int64_t year = (int64_t)yoe + era * 400 + (mp >= 10);
	int64_t edt_from = utc_day(year, 3, nth_sunday(year, 3, 2)) + 7 * 3600;
	int64_t edt_to = utc_day(year, 11, nth_sunday(year, 11, 1)) + 6 * 3600;
	return utc_s >= edt_from && utc_s < edt_to ? -4 * 3600 : -5 * 3600;
}
