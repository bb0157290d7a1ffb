/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_md_gen.c - synthetic ITCH 5.0 / MoldUDP64 feed (see fp_md_gen.h). Cold path.
 *
 * Mix (per 1000 messages, roughly a NASDAQ day's order flow): A 330, F 30, E 80, C 20,
 * X 60, D 280, U 120, P 40, plus H, Y, L, Q, B, I, N, O, J, K, V, W, h a few each, so that
 * every type is exercised. References and match numbers grow monotonically.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fp_endian.h"
#include "fp_err.h"
#include "fp_itch.h"
#include "fp_md_gen.h"
#include "fp_mold.h"
#include "fp_net.h"
#include "fp_pcap.h"

#define PKT_MAX_BYTES 1400

static uint64_t rng_next(uint64_t *s)
{
	/* splitmix64: small, fast, good enough for test data */
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static const struct {
	char type;
	unsigned weight;
} mix[] = {
	{'A', 330}, {'F', 30}, {'E', 80}, {'C', 20}, {'X', 60}, {'D', 280}, {'U', 120}, {'P', 40},
	{'H', 4},   {'Y', 4},  {'L', 4},  {'Q', 4},  {'B', 2},  {'I', 6},   {'N', 4},   {'O', 2},
	{'J', 2},   {'K', 2},  {'V', 1},  {'W', 1},  {'h', 1},  {'S', 1},   {'R', 2},
};

static void stock_name(char out[8], uint32_t locate)
{
	memset(out, ' ', 8);
	out[0] = 'S';
	for (int i = 4; i >= 1; i--) {
		out[i] = (char)('A' + locate % 26);
		locate /= 26;
	}
}

static void gen_msg(struct fp_itch_msg *m, char type, uint64_t *rng, uint32_t nb_symbols,
		    uint16_t locate, uint64_t *next_ref, uint64_t *next_match, uint64_t ts)
{
	memset(m, 0, sizeof(*m));
	uint64_t r = rng_next(rng);
	m->type = type;
	m->stock_locate = locate ? locate : (uint16_t)(1 + r % nb_symbols);
	m->tracking_number = (uint16_t)(r >> 16);
	m->timestamp = ts;
	uint64_t ref = *next_ref > 1 ? *next_ref - 1 - (r >> 20) % FP_MIN(*next_ref - 1, 1000) : 1;
	uint32_t px = (uint32_t)(10000 + (r >> 32) % 2000000);
	uint32_t sh = (uint32_t)(1 + (r >> 40) % 5000);
	switch (type) {
	case 'S':
		m->u.system_event.event_code = 'O';
		break;
	case 'R':
		stock_name(m->u.stock_directory.stock, m->stock_locate);
		m->u.stock_directory.market_category = 'Q';
		m->u.stock_directory.financial_status_indicator = 'N';
		m->u.stock_directory.round_lot_size = 100;
		m->u.stock_directory.round_lots_only = 'N';
		m->u.stock_directory.issue_classification = 'C';
		memcpy(m->u.stock_directory.issue_sub_type, "Z ", 2);
		m->u.stock_directory.authenticity = 'P';
		m->u.stock_directory.short_sale_threshold_indicator = 'N';
		m->u.stock_directory.ipo_flag = 'N';
		m->u.stock_directory.luld_reference_price_tier = '1';
		m->u.stock_directory.etp_flag = 'N';
		m->u.stock_directory.inverse_indicator = 'N';
		break;
	case 'H':
		stock_name(m->u.stock_trading_action.stock, m->stock_locate);
		m->u.stock_trading_action.trading_state = 'T';
		m->u.stock_trading_action.reserved = ' ';
		memcpy(m->u.stock_trading_action.reason, "    ", 4);
		break;
	case 'Y':
		stock_name(m->u.reg_sho_restriction.stock, m->stock_locate);
		m->u.reg_sho_restriction.reg_sho_action = '0';
		break;
	case 'L':
		memcpy(m->u.market_participant_position.mpid, "ABCD", 4);
		stock_name(m->u.market_participant_position.stock, m->stock_locate);
		m->u.market_participant_position.primary_market_maker = 'N';
		m->u.market_participant_position.market_maker_mode = 'N';
		m->u.market_participant_position.market_participant_state = 'A';
		break;
	case 'V':
		m->u.mwcb_decline_level.level_1 = 400000000000ull;
		m->u.mwcb_decline_level.level_2 = 380000000000ull;
		m->u.mwcb_decline_level.level_3 = 350000000000ull;
		break;
	case 'W':
		m->u.mwcb_status.breached_level = '1';
		break;
	case 'K':
		stock_name(m->u.ipo_quoting_period_update.stock, m->stock_locate);
		m->u.ipo_quoting_period_update.ipo_quotation_release_time = 36000;
		m->u.ipo_quoting_period_update.ipo_quotation_release_qualifier = 'A';
		m->u.ipo_quoting_period_update.ipo_price = px;
		break;
	case 'J':
		stock_name(m->u.luld_auction_collar.stock, m->stock_locate);
		m->u.luld_auction_collar.auction_collar_reference_price = px;
		m->u.luld_auction_collar.upper_auction_collar_price = px + 100;
		m->u.luld_auction_collar.lower_auction_collar_price = px - 100;
		m->u.luld_auction_collar.auction_collar_extension = 1;
		break;
	case 'h':
		stock_name(m->u.operational_halt.stock, m->stock_locate);
		m->u.operational_halt.market_code = 'Q';
		m->u.operational_halt.operational_halt_action = 'H';
		break;
	case 'A':
	case 'F':
		m->u.add_order.order_reference_number = (*next_ref)++;
		m->u.add_order.buy_sell_indicator = (r & 1) ? 'B' : 'S';
		m->u.add_order.shares = sh;
		stock_name(m->u.add_order.stock, m->stock_locate);
		m->u.add_order.price = px;
		if (type == 'F') {
			m->u.add_order_mpid.order_reference_number =
				m->u.add_order.order_reference_number;
			m->u.add_order_mpid.buy_sell_indicator = m->u.add_order.buy_sell_indicator;
			m->u.add_order_mpid.shares = sh;
			stock_name(m->u.add_order_mpid.stock, m->stock_locate);
			m->u.add_order_mpid.price = px;
			memcpy(m->u.add_order_mpid.attribution, "MPID", 4);
		}
		break;
	case 'E':
		m->u.order_executed.order_reference_number = ref;
		m->u.order_executed.executed_shares = sh;
		m->u.order_executed.match_number = (*next_match)++;
		break;
	case 'C':
		m->u.order_executed_with_price.order_reference_number = ref;
		m->u.order_executed_with_price.executed_shares = sh;
		m->u.order_executed_with_price.match_number = (*next_match)++;
		m->u.order_executed_with_price.printable = 'Y';
		m->u.order_executed_with_price.execution_price = px;
		break;
	case 'X':
		m->u.order_cancel.order_reference_number = ref;
		m->u.order_cancel.cancelled_shares = sh;
		break;
	case 'D':
		m->u.order_delete.order_reference_number = ref;
		break;
	case 'U':
		m->u.order_replace.original_order_reference_number = ref;
		m->u.order_replace.new_order_reference_number = (*next_ref)++;
		m->u.order_replace.shares = sh;
		m->u.order_replace.price = px;
		break;
	case 'P':
		m->u.trade.order_reference_number = 0;
		m->u.trade.buy_sell_indicator = 'B';
		m->u.trade.shares = sh;
		stock_name(m->u.trade.stock, m->stock_locate);
		m->u.trade.price = px;
		m->u.trade.match_number = (*next_match)++;
		break;
	case 'Q':
		m->u.cross_trade.shares = sh;
		stock_name(m->u.cross_trade.stock, m->stock_locate);
		m->u.cross_trade.cross_price = px;
		m->u.cross_trade.match_number = (*next_match)++;
		m->u.cross_trade.cross_type = 'O';
		break;
	case 'B':
		m->u.broken_trade.match_number = *next_match > 1 ? *next_match - 1 : 1;
		break;
	case 'I':
		m->u.noii.paired_shares = sh;
		m->u.noii.imbalance_shares = sh / 2;
		m->u.noii.imbalance_direction = 'B';
		stock_name(m->u.noii.stock, m->stock_locate);
		m->u.noii.far_price = px;
		m->u.noii.near_price = px;
		m->u.noii.current_reference_price = px;
		m->u.noii.cross_type = 'O';
		m->u.noii.price_variation_indicator = 'L';
		break;
	case 'N':
		stock_name(m->u.rpii.stock, m->stock_locate);
		m->u.rpii.interest_flag = 'B';
		break;
	case 'O':
		stock_name(m->u.dlcr.stock, m->stock_locate);
		m->u.dlcr.open_eligibility_status = 'Y';
		m->u.dlcr.minimum_allowable_price = px - 100;
		m->u.dlcr.maximum_allowable_price = px + 100;
		m->u.dlcr.near_execution_price = px;
		m->u.dlcr.near_execution_time = ts;
		m->u.dlcr.lower_price_range_collar = px - 50;
		m->u.dlcr.upper_price_range_collar = px + 50;
		break;
	default:
		break;
	}
}

void fp_md_gen_free(struct fp_md_feed *f)
{
	free(f->buf);
	free(f->off);
	free(f->len);
	free(f->first_seq);
	free(f->count);
	memset(f, 0, sizeof(*f));
}

static int grow(struct fp_md_feed *f, size_t cap_pkts, size_t cap_buf)
{
	void *p;
	if (!(p = realloc(f->buf, cap_buf)))
		return -ENOMEM;
	f->buf = p;
	if (!(p = realloc(f->off, cap_pkts * sizeof(*f->off))))
		return -ENOMEM;
	f->off = p;
	if (!(p = realloc(f->len, cap_pkts * sizeof(*f->len))))
		return -ENOMEM;
	f->len = p;
	if (!(p = realloc(f->first_seq, cap_pkts * sizeof(*f->first_seq))))
		return -ENOMEM;
	f->first_seq = p;
	if (!(p = realloc(f->count, cap_pkts * sizeof(*f->count))))
		return -ENOMEM;
	f->count = p;
	return 0;
}

int fp_md_gen_feed(struct fp_md_feed *f, const struct fp_md_gen_cfg *cfg)
{
	memset(f, 0, sizeof(*f));
	if (cfg->nb_msgs == 0 || cfg->max_per_pkt == 0 || cfg->nb_symbols == 0 ||
	    cfg->nb_symbols > 65535)
		return fp_err_set(-EINVAL, "feed generator: messages, max_per_pkt and 1..65535 "
					   "symbols must be set");
	f->cfg = *cfg;
	size_t cap_pkts = (size_t)(cfg->nb_msgs * 2 / cfg->max_per_pkt) + 1024;
	size_t cap_buf = (size_t)cfg->nb_msgs * 40 + cap_pkts * FP_MOLD_HDR_LEN + PKT_MAX_BYTES;
	if (grow(f, cap_pkts, cap_buf) < 0 && (fp_md_gen_free(f), 1))
		return fp_err_set(-ENOMEM, "feed generator: no memory for %" PRIu64 " messages",
				  cfg->nb_msgs);
	unsigned total_w = 0;
	for (unsigned i = 0; i < FP_ARRAY_SIZE(mix); i++)
		total_w += mix[i].weight;
	uint64_t rng = cfg->seed, next_ref = 1, next_match = 1;
	uint64_t seq = cfg->first_seq ? cfg->first_seq : 1;
	uint64_t ts = 4ull * 3600 * 1000000000ull;
	size_t pos = 0;
	uint64_t made = 0;
	while (made < cfg->nb_msgs) {
		if ((f->nb_pkts == cap_pkts || pos + PKT_MAX_BYTES > cap_buf) &&
		    grow(f, cap_pkts *= 2, cap_buf *= 2) < 0) {
			fp_md_gen_free(f);
			return fp_err_set(-ENOMEM,
					  "feed generator: out of memory at %" PRIu64 " messages",
					  made);
		}
		struct fp_mold_builder b;
		uint32_t want = 1 + (uint32_t)(rng_next(&rng) % cfg->max_per_pkt);
		fp_mold_build_init(&b, f->buf + pos, PKT_MAX_BYTES, cfg->session, seq);
		while (b.count < want && made < cfg->nb_msgs) {
			struct fp_itch_msg m;
			char type;
			if (made == 0) {
				type = 'S';
			} else if (made <= cfg->nb_symbols && made < cfg->nb_msgs / 2) {
				type = 'R';
			} else {
				unsigned w = (unsigned)(rng_next(&rng) % total_w), i = 0;
				while (w >= mix[i].weight)
					w -= mix[i++].weight;
				type = mix[i].type;
			}
			ts += 1 + rng_next(&rng) % 1000;
			gen_msg(&m, type, &rng, cfg->nb_symbols, type == 'R' ? (uint16_t)made : 0,
				&next_ref, &next_match, ts);
			uint32_t ml = fp_itch_length((uint8_t)type);
			uint8_t *dst = fp_mold_build_reserve(&b, (uint16_t)ml);
			if (!dst)
				break;
			fp_itch_encode(&m, dst, ml);
			f->by_type[(uint8_t)(type - 'A') & 63]++;
			made++;
		}
		uint32_t len = fp_mold_build_finish(&b);
		f->off[f->nb_pkts] = pos;
		f->len[f->nb_pkts] = len;
		f->first_seq[f->nb_pkts] = seq;
		f->count[f->nb_pkts] = b.count;
		f->nb_pkts++;
		seq += b.count;
		pos += len;
	}
	f->buf_len = pos;
	f->nb_msgs = made;
	return 0;
}

int fp_md_gen_pcap(const struct fp_md_feed *f, bool vlan, bool (*keep)(uint64_t i, void *arg),
		   void *arg, uint8_t **out, size_t *out_len)
{
	const uint32_t l2 = 14 + (vlan ? 4 : 0), hdrs = l2 + 20 + 8;
	size_t cap = FP_PCAP_FILE_HDR_LEN + f->buf_len + f->nb_pkts * (FP_PCAP_REC_HDR_LEN + hdrs);
	uint8_t *img = malloc(cap);
	if (!img)
		return fp_err_set(-ENOMEM, "feed generator: no memory for a %zu-byte pcap", cap);
	fp_pcap_write_file_hdr(img, FP_LINKTYPE_ETHERNET, 65535, 1);
	size_t pos = FP_PCAP_FILE_HDR_LEN;
	for (uint64_t i = 0; i < f->nb_pkts; i++) {
		if (keep && !keep(i, arg))
			continue;
		uint32_t plen = f->len[i], flen = hdrs + plen;
		fp_pcap_write_rec_hdr(img + pos, f->cfg.ts0_ns + i * f->cfg.pkt_interval_ns, flen,
				      flen, 1);
		uint8_t *e = img + pos + FP_PCAP_REC_HDR_LEN;
		static const uint8_t dmac[6] = {0x01, 0x00, 0x5e, 0x36, 0x0c, 0x6f};
		static const uint8_t smac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
		memcpy(e, dmac, 6);
		memcpy(e + 6, smac, 6);
		if (vlan) {
			fp_put_be16(e + 12, FP_ETHER_TYPE_VLAN);
			fp_put_be16(e + 14, 100);
			fp_put_be16(e + 16, FP_ETHER_TYPE_IPV4);
		} else {
			fp_put_be16(e + 12, FP_ETHER_TYPE_IPV4);
		}
		uint8_t *ip = e + l2;
		memset(ip, 0, 20);
		ip[0] = 0x45;
		fp_put_be16(ip + 2, (uint16_t)(20 + 8 + plen));
		ip[8] = 64;
		ip[9] = FP_IP_PROTO_UDP;
		fp_put_be32(ip + 12, 0x0A000001);
		fp_put_be32(ip + 16, f->cfg.dst_addr);
		uint32_t sum = 0;
		for (int k = 0; k < 20; k += 2)
			sum += fp_get_be16(ip + k);
		while (sum >> 16)
			sum = (sum & 0xFFFF) + (sum >> 16);
		fp_put_be16(ip + 10, (uint16_t)~sum);
		uint8_t *udp = ip + 20;
		fp_put_be16(udp, 40000);
		fp_put_be16(udp + 2, f->cfg.dst_port);
		fp_put_be16(udp + 4, (uint16_t)(8 + plen));
		fp_put_be16(udp + 6, 0);
		memcpy(udp + 8, f->buf + f->off[i], plen);
		pos += FP_PCAP_REC_HDR_LEN + flen;
	}
	*out = img;
	*out_len = pos;
	return 0;
}

int fp_md_gen_write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return fp_err_set(-errno, "cannot create %s: %s", path, strerror(errno));
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n <= 0) {
			int rc = -errno;
			close(fd);
			return fp_err_set(rc, "cannot write %s: %s", path, strerror(-rc));
		}
		p += n;
		len -= (size_t)n;
	}
	return close(fd) == 0 ? 0 : fp_err_set(-errno, "cannot close %s", path);
}
