/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_net.c - Ethernet/VLAN, IPv4, UDP and TCP header parsing (layouts in fp_net.h).
 *
 * Follows RFC 791 (IPv4), RFC 768 (UDP), RFC 793 (TCP) and IEEE 802.1Q. Pure; any thread.
 * Every length read from the wire is checked against the bytes that are really there before
 * it is used, so a corrupt frame yields an error, never a read outside the buffer.
 */
#include "fp_net.h"

enum fp_net_result fp_net_parse_ipv4(const uint8_t *ip, uint32_t len, uint16_t base,
				     struct fp_net_pkt *pkt)
{
	if (fp_unlikely(len < sizeof(struct fp_ipv4_hdr)))
		return FP_NET_SHORT;
	const struct fp_ipv4_hdr *h = (const struct fp_ipv4_hdr *)ip;
	if (fp_unlikely((h->version_ihl >> 4) != 4))
		return FP_NET_NOT_IPV4;
	uint32_t ihl = (uint32_t)(h->version_ihl & 0x0F) * 4;
	uint32_t total = fp_get_be16(&h->total_length);
	if (fp_unlikely(ihl < sizeof(*h) || total < ihl))
		return FP_NET_BAD_IP;
	if (fp_unlikely(total > len))
		return FP_NET_SHORT; /* cut by the snap length, or a lying total length */
	uint16_t frag = fp_get_be16(&h->fragment_offset);
	pkt->l3_offset = base;
	pkt->src_addr = fp_get_be32(&h->src_addr);
	pkt->dst_addr = fp_get_be32(&h->dst_addr);
	pkt->ip_proto = h->next_proto_id;
	pkt->trailer_len = len - total;
	if (fp_unlikely(frag & (FP_IPV4_MF | FP_IPV4_OFFSET_MASK)))
		return FP_NET_FRAGMENT;

	const uint8_t *l4 = ip + ihl;
	uint32_t l4_len = total - ihl; /* the IP total length bounds everything below */
	pkt->l4_offset = (uint16_t)(base + ihl);
	if (h->next_proto_id == FP_IP_PROTO_UDP) {
		if (fp_unlikely(l4_len < sizeof(struct fp_udp_hdr)))
			return FP_NET_SHORT;
		const struct fp_udp_hdr *u = (const struct fp_udp_hdr *)l4;
		uint32_t dgram = fp_get_be16(&u->dgram_len);
		if (fp_unlikely(dgram < sizeof(*u) || dgram > l4_len))
			return FP_NET_BAD_L4;
		pkt->src_port = fp_get_be16(&u->src_port);
		pkt->dst_port = fp_get_be16(&u->dst_port);
		pkt->payload = l4 + sizeof(*u);
		pkt->payload_len = dgram - (uint32_t)sizeof(*u);
		return FP_NET_OK;
	}
	if (h->next_proto_id == FP_IP_PROTO_TCP) {
		if (fp_unlikely(l4_len < sizeof(struct fp_tcp_hdr)))
			return FP_NET_SHORT;
		const struct fp_tcp_hdr *t = (const struct fp_tcp_hdr *)l4;
		uint32_t doff = (uint32_t)(t->data_off >> 4) * 4;
		if (fp_unlikely(doff < sizeof(*t) || doff > l4_len))
			return FP_NET_BAD_L4;
		pkt->src_port = fp_get_be16(&t->src_port);
		pkt->dst_port = fp_get_be16(&t->dst_port);
		pkt->tcp_seq = fp_get_be32(&t->sent_seq);
		pkt->tcp_ack = fp_get_be32(&t->recv_ack);
		pkt->tcp_flags = t->tcp_flags;
		pkt->payload = l4 + doff;
		pkt->payload_len = l4_len - doff;
		return FP_NET_OK;
	}
	return FP_NET_OTHER_PROTO;
}

enum fp_net_result fp_net_parse_eth(const uint8_t *frame, uint32_t len, struct fp_net_pkt *pkt)
{
	if (fp_unlikely(len < sizeof(struct fp_ether_hdr)))
		return FP_NET_SHORT;
	uint32_t off = sizeof(struct fp_ether_hdr);
	uint16_t type = fp_get_be16(frame + 12);
	pkt->nb_vlan = 0;
	pkt->vlan_id = 0;
	/* Bounded loop: at most FP_NET_MAX_VLAN tags, then the type must be IPv4. */
	while ((type == FP_ETHER_TYPE_VLAN || type == FP_ETHER_TYPE_QINQ) &&
	       pkt->nb_vlan < FP_NET_MAX_VLAN) {
		if (fp_unlikely(len < off + sizeof(struct fp_vlan_hdr)))
			return FP_NET_SHORT;
		pkt->vlan_id = fp_get_be16(frame + off) & 0x0FFF;
		type = fp_get_be16(frame + off + 2);
		off += sizeof(struct fp_vlan_hdr);
		pkt->nb_vlan++;
	}
	if (type != FP_ETHER_TYPE_IPV4)
		return FP_NET_NOT_IPV4;
	return fp_net_parse_ipv4(frame + off, len - off, (uint16_t)off, pkt);
}

enum fp_net_result fp_net_parse_link(uint32_t linktype, const uint8_t *frame, uint32_t len,
				     struct fp_net_pkt *pkt)
{
	switch (linktype) {
	case FP_LINKTYPE_ETHERNET:
		return fp_net_parse_eth(frame, len, pkt);
	case FP_LINKTYPE_RAW:
	case 12: /* DLT_RAW on OpenBSD-derived captures */
	case FP_LINKTYPE_IPV4:
		pkt->nb_vlan = 0;
		pkt->vlan_id = 0;
		return fp_net_parse_ipv4(frame, len, 0, pkt);
	case FP_LINKTYPE_LINUX_SLL:
		/* 16-byte cooked header: packet type, ARPHRD, addr len, addr[8], protocol. */
		if (len < 16)
			return FP_NET_SHORT;
		pkt->nb_vlan = 0;
		pkt->vlan_id = 0;
		if (fp_get_be16(frame + 14) != FP_ETHER_TYPE_IPV4)
			return FP_NET_NOT_IPV4;
		return fp_net_parse_ipv4(frame + 16, len - 16, 16, pkt);
	default:
		return FP_NET_BAD_LINKTYPE;
	}
}

const char *fp_net_result_str(enum fp_net_result r)
{
	static const char *const names[FP_NET_RESULT_MAX] = {
		[FP_NET_OK] = "ok",
		[FP_NET_SHORT] = "short",
		[FP_NET_NOT_IPV4] = "not ipv4",
		[FP_NET_BAD_IP] = "bad ip header",
		[FP_NET_FRAGMENT] = "ip fragment",
		[FP_NET_OTHER_PROTO] = "neither udp nor tcp",
		[FP_NET_BAD_L4] = "bad udp/tcp header",
		[FP_NET_BAD_LINKTYPE] = "unsupported link type",
	};
	return (unsigned)r < FP_NET_RESULT_MAX ? names[r] : "?";
}
