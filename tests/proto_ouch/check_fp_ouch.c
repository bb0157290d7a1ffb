/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * check_fp_ouch.c - OUCH 5.0 codec. Covers:
 *   - negative: empty and short messages, unknown types per direction, Appendage Length
 *     that disagrees with the message, malformed TagValue elements, undefined tags, tags
 *     not allowed on a message, wrong option sizes, values outside the spec's sets,
 *     repeated options, too small encode buffers;
 *   - the real captures in ../shared/data/pcap/ouch50/ (read with fp_pcap/fp_net, the TCP
 *     payload bounded by the IP total length, then SoupBinTCP): every field the data README
 *     lists, and re-encoding to the same bytes;
 *   - a round trip of every message type, both directions, with and without options;
 *   - every option tag round-trips on a message that allows it.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_net.h"
#include "fp_ouch.h"
#include "fp_pcap.h"
#include "fp_soup.h"

/* ---- negative ---- */

START_TEST(test_ouch_rejects_empty_and_unknown)
{
	struct fp_ouch_msg m;
	uint8_t b[64] = {0};
	ck_assert_int_eq(fp_ouch_decode(FP_OUCH_INBOUND, b, 0, &m), FP_OUCH_ERR_SHORT);
	b[0] = 'A'; /* outbound only */
	ck_assert_int_eq(fp_ouch_decode(FP_OUCH_INBOUND, b, 64, &m), FP_OUCH_ERR_TYPE);
	b[0] = 'O'; /* inbound only */
	ck_assert_int_eq(fp_ouch_decode(FP_OUCH_OUTBOUND, b, 64, &m), FP_OUCH_ERR_TYPE);
	b[0] = 'z';
	ck_assert_int_eq(fp_ouch_decode(FP_OUCH_INBOUND, b, 64, &m), FP_OUCH_ERR_TYPE);
	ck_assert_int_eq(fp_ouch_decode(7, b, 64, &m), FP_OUCH_ERR_TYPE);
}
END_TEST

START_TEST(test_ouch_rejects_short_and_bad_appendage_length)
{
	struct fp_ouch_msg m;
	uint8_t b[64] = {'O'};
	ck_assert_int_eq(fp_ouch_decode(FP_OUCH_INBOUND, b, 46, &m), FP_OUCH_ERR_SHORT);
	ck_assert_int_eq(fp_ouch_decode(FP_OUCH_INBOUND, b, 45, &m), FP_OUCH_ERR_SHORT);
	ck_assert_int_eq(fp_ouch_decode(FP_OUCH_INBOUND, b, 47, &m), FP_OUCH_OK);
	ck_assert_int_eq(fp_ouch_decode(FP_OUCH_INBOUND, b, 48, &m), FP_OUCH_ERR_LENGTH);
	b[46] = 3; /* says 3 more bytes, only 2 */
	ck_assert_int_eq(fp_ouch_decode(FP_OUCH_INBOUND, b, 49, &m), FP_OUCH_ERR_LENGTH);
	/* System Event has no appendage: exactly 10 bytes */
	uint8_t s[12] = {'S'};
	ck_assert_int_eq(fp_ouch_decode(FP_OUCH_OUTBOUND, s, 10, &m), FP_OUCH_OK);
	ck_assert_int_eq(fp_ouch_decode(FP_OUCH_OUTBOUND, s, 11, &m), FP_OUCH_ERR_LENGTH);
	ck_assert_int_eq(fp_ouch_decode(FP_OUCH_OUTBOUND, s, 9, &m), FP_OUCH_ERR_SHORT);
	/* Cancel Order may end before Appendage Length, but not inside it */
	uint8_t x[12] = {'X'};
	ck_assert_int_eq(fp_ouch_decode(FP_OUCH_INBOUND, x, 9, &m), FP_OUCH_OK);
	ck_assert_int_eq(m.has_appendage, 0);
	ck_assert_int_eq(fp_ouch_decode(FP_OUCH_INBOUND, x, 10, &m), FP_OUCH_ERR_SHORT);
	ck_assert_int_eq(fp_ouch_decode(FP_OUCH_INBOUND, x, 11, &m), FP_OUCH_OK);
	ck_assert_int_eq(m.has_appendage, 1);
	/* Order Executed's Appendage Length is not optional */
	uint8_t e[40] = {'E'};
	ck_assert_int_eq(fp_ouch_decode(FP_OUCH_OUTBOUND, e, 34, &m), FP_OUCH_ERR_SHORT);
}
END_TEST

/* An Enter Order with the appendage @p app of @p n bytes. */
static size_t enter_with(uint8_t *b, const uint8_t *app, size_t n)
{
	memset(b, 0, 47);
	b[0] = 'O';
	fp_put_be16(b + 45, (uint16_t)n);
	memcpy(b + 47, app, n);
	return 47 + n;
}

static const struct {
	const char *desc;
	uint8_t app[12];
	uint8_t len;
	enum fp_ouch_rc rc;
} bad_apps[] = {
	{"element length 0", {0, 2}, 2, FP_OUCH_ERR_APPENDAGE},
	{"element past the end", {5, 2, 'L', 'I'}, 4, FP_OUCH_ERR_APPENDAGE},
	{"undefined tag 8", {2, 8, 0}, 3, FP_OUCH_ERR_TAG},
	{"undefined tag 19", {2, 19, 0}, 3, FP_OUCH_ERR_TAG},
	{"undefined tag 99", {2, 99, 0}, 3, FP_OUCH_ERR_TAG},
	{"BBO weight not on Enter", {2, 18, '0'}, 3, FP_OUCH_ERR_TAG_NOT_ALLOWED},
	{"Route not on Enter", {5, 14, 'A', 'B', 'C', 'D'}, 6, FP_OUCH_ERR_TAG_NOT_ALLOWED},
	{"Firm of 3 bytes", {4, 2, 'A', 'B', 'C'}, 5, FP_OUCH_ERR_TAG_LENGTH},
	{"MinQty of 2 bytes", {3, 3, 0, 1}, 4, FP_OUCH_ERR_TAG_LENGTH},
	{"PostOnly 'Y'", {2, 12, 'Y'}, 3, FP_OUCH_ERR_TAG_VALUE},
	{"PriceType 'x'", {2, 6, 'x'}, 3, FP_OUCH_ERR_TAG_VALUE},
	{"SharesLocated ' '", {2, 25, ' '}, 3, FP_OUCH_ERR_TAG_VALUE},
	{"ExpireTime 86400", {5, 15, 0, 1, 0x51, 0x80}, 6, FP_OUCH_ERR_TAG_VALUE},
	{"Firm with a control byte", {5, 2, 'A', 1, 'C', 'D'}, 6, FP_OUCH_ERR_TAG_VALUE},
	{"Firm twice",
	 {5, 2, 'A', 'B', 'C', 'D', 5, 2, 'A', 'B', 'C', 'D'},
	 12,
	 FP_OUCH_ERR_TAG_DUP},
};

START_TEST(test_ouch_rejects_bad_appendages)
{
	uint8_t b[80];
	struct fp_ouch_msg m;
	size_t n = enter_with(b, bad_apps[_i].app, bad_apps[_i].len);
	enum fp_ouch_rc rc = fp_ouch_decode(FP_OUCH_INBOUND, b, n, &m);
	ck_assert_msg(rc == bad_apps[_i].rc, "%s: got %s", bad_apps[_i].desc, fp_ouch_rc_str(rc));
}
END_TEST

START_TEST(test_ouch_encode_refuses_bad_input)
{
	struct fp_ouch_msg m = {.type = 'O', .dir = FP_OUCH_INBOUND};
	uint8_t b[128];
	ck_assert_int_eq(fp_ouch_encode(&m, b, 46), FP_OUCH_ERR_NOSPACE);
	ck_assert_int_eq(fp_ouch_encode(&m, b, 47), 47);
	m.opts.post_only = 'Y';
	fp_ouch_opt_add(&m.opts, FP_OUCH_TAG_POST_ONLY);
	ck_assert_int_eq(fp_ouch_encode(&m, b, sizeof(b)), FP_OUCH_ERR_TAG_VALUE);
	m.opts.post_only = 'P';
	ck_assert_int_eq(fp_ouch_encode(&m, b, 49), FP_OUCH_ERR_NOSPACE);
	ck_assert_int_eq(fp_ouch_encode(&m, b, 50), 50);
	fp_ouch_opt_add(&m.opts, FP_OUCH_TAG_ROUTE);
	ck_assert_int_eq(fp_ouch_encode(&m, b, sizeof(b)), FP_OUCH_ERR_TAG_NOT_ALLOWED);
	struct fp_ouch_msg s = {.type = 'S', .dir = FP_OUCH_OUTBOUND};
	fp_ouch_opt_add(&s.opts, FP_OUCH_TAG_USER_REF_IDX);
	ck_assert_int_eq(fp_ouch_encode(&s, b, sizeof(b)), FP_OUCH_ERR_TAG_NOT_ALLOWED);
	struct fp_ouch_msg z = {.type = 'z', .dir = FP_OUCH_OUTBOUND};
	ck_assert_int_eq(fp_ouch_encode(&z, b, sizeof(b)), FP_OUCH_ERR_TYPE);
}
END_TEST

/* ---- real captures ---- */

struct capture {
	uint8_t file[4096];
	size_t file_len;
	struct fp_net_pkt net;
	struct fp_soup_pkt soup;
};

/* Read @p name, parse its one frame down to the SoupBinTCP packet. 0, or 1 to skip. */
static int load_capture(const char *name, enum fp_soup_side side, struct capture *c)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/pcap/ouch50/%s", FP_SHARED_DATA, name);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "skip: %s not found (no ../shared/data)\n", path);
		return 1;
	}
	c->file_len = fread(c->file, 1, sizeof(c->file), f);
	fclose(f);
	struct fp_pcap p;
	struct fp_pcap_rec rec;
	ck_assert_int_eq(fp_pcap_open(&p, c->file, c->file_len), 0);
	ck_assert_int_eq(fp_pcap_next(&p, &rec), FP_PCAP_OK);
	ck_assert_int_eq(fp_pcap_next(&p, &rec + 0) == FP_PCAP_OK ? 1 : 0, 0);
	fp_pcap_rewind(&p);
	ck_assert_int_eq(fp_pcap_next(&p, &rec), FP_PCAP_OK);
	ck_assert_int_eq(fp_net_parse_link(p.linktype, rec.data, rec.caplen, &c->net), FP_NET_OK);
	ck_assert_int_eq(c->net.ip_proto, FP_IP_PROTO_TCP);
	ck_assert_int_eq(fp_soup_parse(c->net.payload, c->net.payload_len, side, 1024, &c->soup),
			 FP_SOUP_OK);
	/* The SoupBinTCP packet is the whole TCP payload: nothing of a trailer in it. */
	ck_assert_uint_eq(c->soup.wire_len, c->net.payload_len);
	return 0;
}

static void assert_reencodes(const struct capture *c, const struct fp_ouch_msg *m)
{
	uint8_t out[FP_OUCH_MAX_MSG];
	int n = fp_ouch_encode(m, out, sizeof(out));
	ck_assert_int_eq(n, c->soup.payload_len);
	ck_assert_int_eq(memcmp(out, c->soup.payload, (size_t)n), 0);
}

START_TEST(test_ouch_capture_enter_order)
{
	struct capture c;
	if (load_capture("EnterOrderMessage.pcap", FP_SOUP_FROM_CLIENT, &c))
		return;
	ck_assert_int_eq(c.net.nb_vlan, 1);
	ck_assert_int_eq(c.soup.type, 'U');
	struct fp_ouch_msg m;
	ck_assert_int_eq(fp_ouch_decode(FP_OUCH_INBOUND, c.soup.payload, c.soup.payload_len, &m),
			 FP_OUCH_OK);
	ck_assert_int_eq(m.type, 'O');
	ck_assert_uint_eq(m.user_ref_num, 113);
	ck_assert_int_eq(m.side, 'T');
	ck_assert_uint_eq(m.quantity, 225);
	ck_assert_int_eq(memcmp(m.symbol, "CVLT    ", 8), 0);
	ck_assert_int_eq(m.price, 630200);
	ck_assert_int_eq(m.time_in_force, '0');
	ck_assert_int_eq(m.display, 'Y');
	ck_assert_int_eq(m.capacity, 'A');
	ck_assert_int_eq(m.intermarket_sweep_eligibility, 'N');
	ck_assert_int_eq(m.cross_type, 'N');
	ck_assert_int_eq(memcmp(m.cl_ord_id, "H8FUB8IV      ", 14), 0);
	/* Appendage length 6: one TagValue element of length 5, tag 2 (Firm) "LIME". */
	ck_assert_int_eq(fp_get_be16(c.soup.payload + 45), 6);
	ck_assert_int_eq(c.soup.payload[47], 5);
	ck_assert_int_eq(m.has_appendage, 1);
	ck_assert_int_eq(m.opts.nb_tags, 1);
	ck_assert(fp_ouch_opt_has(&m.opts, FP_OUCH_TAG_FIRM));
	ck_assert_int_eq(memcmp(m.opts.firm, "LIME", 4), 0);
	assert_reencodes(&c, &m);
}
END_TEST

START_TEST(test_ouch_capture_order_accepted)
{
	struct capture c;
	if (load_capture("OrderAcceptedMessage.pcap", FP_SOUP_FROM_SERVER, &c))
		return;
	ck_assert_uint_gt(c.net.trailer_len, 0);
	ck_assert_int_eq(c.soup.type, 'S');
	struct fp_ouch_msg m;
	ck_assert_int_eq(fp_ouch_decode(FP_OUCH_OUTBOUND, c.soup.payload, c.soup.payload_len, &m),
			 FP_OUCH_OK);
	ck_assert_int_eq(m.type, 'A');
	ck_assert_uint_eq(m.timestamp, 0x0000289b4d64af87ull);
	ck_assert_uint_eq(m.user_ref_num, 7682701);
	ck_assert_int_eq(m.side, 'B');
	ck_assert_uint_eq(m.quantity, 40);
	ck_assert_int_eq(memcmp(m.symbol, "ADBE    ", 8), 0);
	ck_assert_int_eq(m.price, 4777800);
	ck_assert_int_eq(m.time_in_force, '5');
	ck_assert_int_eq(m.display, 'Y');
	ck_assert_uint_eq(m.order_reference_number, 257340661);
	ck_assert_int_eq(m.capacity, 'A');
	ck_assert_int_eq(m.intermarket_sweep_eligibility, 'N');
	ck_assert_int_eq(m.cross_type, 'N');
	ck_assert_int_eq(m.order_state, 'L');
	ck_assert_int_eq(memcmp(m.cl_ord_id, "7682701       ", 14), 0);
	ck_assert_int_eq(m.opts.nb_tags, 2);
	ck_assert_int_eq(m.opts.tags[0], FP_OUCH_TAG_FIRM);
	ck_assert_int_eq(memcmp(m.opts.firm, "MLRO", 4), 0);
	ck_assert_int_eq(m.opts.tags[1], FP_OUCH_TAG_BBO_WEIGHT_INDICATOR);
	ck_assert_int_eq(m.opts.bbo_weight_indicator, '0');
	assert_reencodes(&c, &m);
}
END_TEST

START_TEST(test_ouch_capture_cancel_order)
{
	struct capture c;
	if (load_capture("CancelOrderMessage.pcap", FP_SOUP_FROM_CLIENT, &c))
		return;
	ck_assert_uint_gt(c.net.trailer_len, 0);
	ck_assert_int_eq(c.soup.type, 'U');
	struct fp_ouch_msg m;
	ck_assert_int_eq(fp_ouch_decode(FP_OUCH_INBOUND, c.soup.payload, c.soup.payload_len, &m),
			 FP_OUCH_OK);
	ck_assert_int_eq(m.type, 'X');
	ck_assert_uint_eq(m.user_ref_num, 7679601);
	ck_assert_uint_eq(m.quantity, 0);
	ck_assert_int_eq(m.has_appendage, 0); /* the optional Appendage Length is absent */
	assert_reencodes(&c, &m);
}
END_TEST

START_TEST(test_ouch_capture_canceled)
{
	struct capture c;
	if (load_capture("CanceledMessage.pcap", FP_SOUP_FROM_SERVER, &c))
		return;
	ck_assert_uint_gt(c.net.trailer_len, 0);
	ck_assert_int_eq(c.soup.type, 'S');
	struct fp_ouch_msg m;
	ck_assert_int_eq(fp_ouch_decode(FP_OUCH_OUTBOUND, c.soup.payload, c.soup.payload_len, &m),
			 FP_OUCH_OK);
	ck_assert_int_eq(m.type, 'C');
	ck_assert_uint_eq(m.user_ref_num, 7682701); /* the order accepted above */
	ck_assert_uint_eq(m.quantity, 40);
	ck_assert_int_eq(m.reason, FP_OUCH_CXL_USER);
	ck_assert_int_eq(m.has_appendage, 0);
	assert_reencodes(&c, &m);
}
END_TEST

START_TEST(test_ouch_capture_heartbeats)
{
	struct capture c;
	if (load_capture("ClientHeartbeatPacket.pcap", FP_SOUP_FROM_CLIENT, &c))
		return;
	ck_assert_int_eq(c.soup.type, FP_SOUP_CLIENT_HEARTBEAT);
	ck_assert_uint_eq(c.soup.payload_len, 0);
	uint8_t b[3];
	ck_assert_uint_eq(fp_soup_build_empty(b, 3, 'R'), 3);
	ck_assert_int_eq(memcmp(b, c.net.payload, 3), 0);
	ck_assert_int_eq(load_capture("ServerHeartbeatPacket.pcap", FP_SOUP_FROM_SERVER, &c), 0);
	ck_assert_int_eq(c.soup.type, FP_SOUP_SERVER_HEARTBEAT);
	ck_assert_uint_eq(fp_soup_build_empty(b, 3, 'H'), 3);
	ck_assert_int_eq(memcmp(b, c.net.payload, 3), 0);
	/* A server heartbeat read as if a client had sent it is refused. */
	struct fp_soup_pkt p;
	ck_assert_int_eq(fp_soup_parse(c.net.payload, 3, FP_SOUP_FROM_CLIENT, 64, &p),
			 FP_SOUP_ERR_TYPE);
}
END_TEST

/* ---- round trips ---- */

static const struct {
	uint8_t dir;
	uint8_t type;
	uint8_t tag; /* one option the message allows (0: none) */
} all_types[] = {
	{FP_OUCH_INBOUND, 'O', FP_OUCH_TAG_FIRM},
	{FP_OUCH_INBOUND, 'U', FP_OUCH_TAG_SIDE},
	{FP_OUCH_INBOUND, 'X', FP_OUCH_TAG_USER_REF_IDX},
	{FP_OUCH_INBOUND, 'M', FP_OUCH_TAG_LOCATE_BROKER},
	{FP_OUCH_INBOUND, 'C', FP_OUCH_TAG_GROUP_ID},
	{FP_OUCH_INBOUND, 'D', FP_OUCH_TAG_USER_REF_IDX},
	{FP_OUCH_INBOUND, 'E', FP_OUCH_TAG_USER_REF_IDX},
	{FP_OUCH_INBOUND, 'Q', FP_OUCH_TAG_USER_REF_IDX},
	{FP_OUCH_OUTBOUND, 'S', 0},
	{FP_OUCH_OUTBOUND, 'A', FP_OUCH_TAG_ROUTE},
	{FP_OUCH_OUTBOUND, 'U', FP_OUCH_TAG_BBO_WEIGHT_INDICATOR},
	{FP_OUCH_OUTBOUND, 'C', FP_OUCH_TAG_USER_REF_IDX},
	{FP_OUCH_OUTBOUND, 'D', FP_OUCH_TAG_USER_REF_IDX},
	{FP_OUCH_OUTBOUND, 'E', FP_OUCH_TAG_USER_REF_IDX},
	{FP_OUCH_OUTBOUND, 'B', FP_OUCH_TAG_USER_REF_IDX},
	{FP_OUCH_OUTBOUND, 'J', FP_OUCH_TAG_USER_REF_IDX},
	{FP_OUCH_OUTBOUND, 'P', FP_OUCH_TAG_USER_REF_IDX},
	{FP_OUCH_OUTBOUND, 'I', FP_OUCH_TAG_USER_REF_IDX},
	{FP_OUCH_OUTBOUND, 'T', FP_OUCH_TAG_USER_REF_IDX},
	{FP_OUCH_OUTBOUND, 'M', FP_OUCH_TAG_SHARES_LOCATED},
	{FP_OUCH_OUTBOUND, 'R', FP_OUCH_TAG_DISPLAY_PRICE},
	{FP_OUCH_OUTBOUND, 'X', FP_OUCH_TAG_SIDE},
	{FP_OUCH_OUTBOUND, 'G', FP_OUCH_TAG_USER_REF_IDX},
	{FP_OUCH_OUTBOUND, 'K', FP_OUCH_TAG_USER_REF_IDX},
	{FP_OUCH_OUTBOUND, 'Q', FP_OUCH_TAG_USER_REF_IDX},
};

/* Fill every field with a value distinct per field (fields a type lacks are dropped by
 * the encoder, so compare wire bytes, not structs). */
static void fill_all(struct fp_ouch_msg *m, uint8_t dir, uint8_t type, unsigned seed)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->dir = dir;
	m->side = 'B';
	m->time_in_force = '3';
	m->display = 'Y';
	m->capacity = 'P';
	m->intermarket_sweep_eligibility = 'N';
	m->cross_type = 'N';
	m->order_state = 'L';
	m->reason = 'U';
	m->liquidity_flag = 'R';
	m->aiq_strategy = 'O';
	m->event_code = 'S';
	m->reject_reason = FP_OUCH_REJ_INVALID_PRICE;
	m->user_ref_num = 1000 + seed;
	m->orig_user_ref_num = 999 + seed;
	m->quantity = 12345;
	m->decrement_shares = 17;
	m->quantity_prevented_from_trading = 18;
	m->next_user_ref_num = 2000 + seed;
	memcpy(m->symbol, "AAPL    ", 8);
	memcpy(m->cl_ord_id, "CLORD-0001    ", 14);
	memcpy(m->firm, "FRMA", 4);
	m->timestamp = 34200000000000ull + seed;
	m->price = 1234500;
	m->execution_price = 1234600;
	m->order_reference_number = 0x0102030405060708ull;
	m->match_number = 0x1112131415161718ull;
}

static void set_opt(struct fp_ouch_options *o, uint8_t tag)
{
	switch (tag) {
	case FP_OUCH_TAG_FIRM:
		memcpy(o->firm, "LIME", 4);
		break;
	case FP_OUCH_TAG_ROUTE:
		memcpy(o->route, "RTE1", 4);
		break;
	case FP_OUCH_TAG_LOCATE_BROKER:
		memcpy(o->locate_broker, "BRKR", 4);
		break;
	case FP_OUCH_TAG_SIDE:
		o->side = 'E';
		break;
	case FP_OUCH_TAG_SHARES_LOCATED:
		o->shares_located = 'Y';
		break;
	case FP_OUCH_TAG_BBO_WEIGHT_INDICATOR:
		o->bbo_weight_indicator = 'S';
		break;
	case FP_OUCH_TAG_GROUP_ID:
		o->group_id = 0xBEEF;
		break;
	case FP_OUCH_TAG_USER_REF_IDX:
		o->user_ref_idx = 200;
		break;
	case FP_OUCH_TAG_DISPLAY_PRICE:
		o->display_price = 99990000;
		break;
	default:
		break;
	}
	fp_ouch_opt_add(o, tag);
}

START_TEST(test_ouch_round_trips_every_type)
{
	uint8_t dir = all_types[_i].dir, type = all_types[_i].type;
	const char *name = fp_ouch_msg_name(dir, type);
	ck_assert_ptr_nonnull(name);
	for (int with_opt = 0; with_opt <= 1; with_opt++) {
		struct fp_ouch_msg m, d;
		fill_all(&m, dir, type, (unsigned)_i);
		m.has_appendage = 1;
		if (with_opt && all_types[_i].tag)
			set_opt(&m.opts, all_types[_i].tag);
		uint8_t b1[FP_OUCH_MAX_MSG], b2[FP_OUCH_MAX_MSG];
		int n1 = fp_ouch_encode(&m, b1, sizeof(b1));
		ck_assert_msg(n1 > 0, "%s: encode %d", name, n1);
		ck_assert_msg((size_t)n1 >= fp_ouch_fixed_len(dir, type), "%s", name);
		enum fp_ouch_rc rc = fp_ouch_decode(dir, b1, (size_t)n1, &d);
		ck_assert_msg(rc == FP_OUCH_OK, "%s: decode %s", name, fp_ouch_rc_str(rc));
		ck_assert_int_eq(d.type, type);
		int n2 = fp_ouch_encode(&d, b2, sizeof(b2));
		ck_assert_msg(n2 == n1 && memcmp(b1, b2, (size_t)n1) == 0, "%s: bytes differ",
			      name);
		if (type != 'S' && type != 'Q')
			ck_assert_msg(d.user_ref_num == m.user_ref_num ||
					      d.next_user_ref_num == m.next_user_ref_num,
				      "%s", name);
		ck_assert_int_eq(d.opts.present, m.opts.present);
		ck_assert_int_eq(memcmp(&d.opts, &m.opts, sizeof(m.opts)), 0);
	}
}
END_TEST

/* Exact wire bytes of one outbound message, from the spec's offsets. */
START_TEST(test_ouch_executed_layout_matches_spec)
{
	struct fp_ouch_msg m;
	fill_all(&m, FP_OUCH_OUTBOUND, 'E', 0);
	uint8_t b[64];
	ck_assert_int_eq(fp_ouch_encode(&m, b, sizeof(b)), 36);
	ck_assert_int_eq(b[0], 'E');
	ck_assert_uint_eq(fp_get_be64(b + 1), m.timestamp);
	ck_assert_uint_eq(fp_get_be32(b + 9), 1000);
	ck_assert_uint_eq(fp_get_be32(b + 13), 12345);
	ck_assert_uint_eq(fp_get_be64(b + 17), 1234500);
	ck_assert_int_eq(b[25], 'R');
	ck_assert_uint_eq(fp_get_be64(b + 26), 0x1112131415161718ull);
	ck_assert_uint_eq(fp_get_be16(b + 34), 0);
	/* Rejected: 2-byte reason at 13, ClOrdID at 15 */
	fill_all(&m, FP_OUCH_OUTBOUND, 'J', 0);
	ck_assert_int_eq(fp_ouch_encode(&m, b, sizeof(b)), 29); /* no appendage: optional */
	ck_assert_uint_eq(fp_get_be16(b + 13), FP_OUCH_REJ_INVALID_PRICE);
	ck_assert_int_eq(memcmp(b + 15, "CLORD-0001    ", 14), 0);
}
END_TEST

/* Every defined tag, with a legal value, on a message allowing it. */
START_TEST(test_ouch_every_option_round_trips)
{
	for (uint8_t tag = 1; tag <= FP_OUCH_TAG_MAX; tag++) {
		unsigned size = fp_ouch_opt_size(tag);
		if (size == 0)
			continue;
		uint8_t type = 'A', dir = FP_OUCH_OUTBOUND;
		if (tag == FP_OUCH_TAG_DISPLAY_QUANTITY || tag == FP_OUCH_TAG_DISPLAY_PRICE ||
		    tag == FP_OUCH_TAG_SECONDARY_ORD_REF_NUM)
			type = 'R';
		if (tag == FP_OUCH_TAG_LOCATE_BROKER)
			type = 'O', dir = FP_OUCH_INBOUND;
		if (tag == FP_OUCH_TAG_SIDE)
			type = 'U', dir = FP_OUCH_INBOUND;
		uint8_t app[16] = {(uint8_t)(size + 1), tag};
		/* a legal value: the first of the set for alpha, digits otherwise */
		static const struct {
			uint8_t tag, v;
		} alpha[] = {{4, 'R'},  {6, 'M'},  {10, 'P'}, {12, 'P'}, {16, 'Y'},
			     {17, 'I'}, {18, '3'}, {25, 'N'}, {27, 'T'}};
		memset(app + 2, size == 4 ? 'A' : 1, size);
		if (tag == FP_OUCH_TAG_EXPIRE_TIME)
			fp_put_be32(app + 2, 3600);
		for (size_t i = 0; i < FP_ARRAY_SIZE(alpha); i++)
			if (alpha[i].tag == tag)
				app[2] = alpha[i].v;
		uint8_t b[128] = {type};
		size_t fixed = fp_ouch_fixed_len(dir, type);
		fp_put_be16(b + fixed - 2, (uint16_t)(size + 2));
		memcpy(b + fixed, app, size + 2);
		struct fp_ouch_msg m;
		enum fp_ouch_rc rc = fp_ouch_decode(dir, b, fixed + size + 2, &m);
		ck_assert_msg(rc == FP_OUCH_OK, "tag %u: %s", tag, fp_ouch_rc_str(rc));
		ck_assert_msg(fp_ouch_opt_has(&m.opts, tag), "tag %u", tag);
		uint8_t out[128];
		int n = fp_ouch_encode(&m, out, sizeof(out));
		ck_assert_msg(n == (int)(fixed + size + 2) && memcmp(out, b, (size_t)n) == 0,
			      "tag %u re-encodes", tag);
	}
}
END_TEST

/* The direct encoders write what the table-driven encoder writes. */
START_TEST(test_ouch_direct_encoders_match_generic)
{
	struct fp_ouch_msg m = {.type = 'O', .dir = FP_OUCH_INBOUND, .has_appendage = 1};
	m.user_ref_num = 113;
	m.side = 'T';
	m.quantity = 225;
	memcpy(m.symbol, "CVLT    ", 8);
	m.price = 630200;
	m.time_in_force = '0';
	m.display = 'Y';
	m.capacity = 'A';
	m.intermarket_sweep_eligibility = 'N';
	m.cross_type = 'N';
	memcpy(m.cl_ord_id, "H8FUB8IV      ", 14);
	uint8_t g[128], d[128];
	for (int firm = 0; firm <= 1; firm++) {
		if (firm) {
			memcpy(m.opts.firm, "LIME", 4);
			fp_ouch_opt_add(&m.opts, FP_OUCH_TAG_FIRM);
		}
		int n = fp_ouch_encode(&m, g, sizeof(g));
		struct fp_ouch_enter e = {.user_ref_num = 113,
					  .side = 'T',
					  .quantity = 225,
					  .symbol = "CVLT    ",
					  .price = 630200,
					  .time_in_force = '0',
					  .display = 'Y',
					  .capacity = 'A',
					  .intermarket_sweep_eligibility = 'N',
					  .cross_type = 'N',
					  .cl_ord_id = "H8FUB8IV      ",
					  .firm = firm ? "LIME" : NULL};
		int k = fp_ouch_encode_enter_order(d, sizeof(d), &e);
		ck_assert_int_eq(k, n);
		ck_assert_int_eq(memcmp(g, d, (size_t)n), 0);
		ck_assert_int_eq(fp_ouch_encode_enter_order(d, (size_t)n - 1, &e),
				 FP_OUCH_ERR_NOSPACE);
	}
	struct fp_ouch_msg x = {.type = 'X', .dir = FP_OUCH_INBOUND, .user_ref_num = 7679601};
	int n = fp_ouch_encode(&x, g, sizeof(g));
	ck_assert_int_eq(fp_ouch_encode_cancel_order(d, sizeof(d), 7679601, 0), n);
	ck_assert_int_eq(memcmp(g, d, (size_t)n), 0);
	ck_assert_int_eq(fp_ouch_encode_cancel_order(d, 8, 1, 0), FP_OUCH_ERR_NOSPACE);
}
END_TEST

static Suite *fp_ouch_suite(void)
{
	Suite *s = suite_create("fp_ouch");
	TCase *tc = tcase_create("negative");
	tcase_add_test(tc, test_ouch_rejects_empty_and_unknown);
	tcase_add_test(tc, test_ouch_rejects_short_and_bad_appendage_length);
	tcase_add_loop_test(tc, test_ouch_rejects_bad_appendages, 0, (int)FP_ARRAY_SIZE(bad_apps));
	tcase_add_test(tc, test_ouch_encode_refuses_bad_input);
	suite_add_tcase(s, tc);
	tc = tcase_create("captures");
	tcase_add_test(tc, test_ouch_capture_enter_order);
	tcase_add_test(tc, test_ouch_capture_order_accepted);
	tcase_add_test(tc, test_ouch_capture_cancel_order);
	tcase_add_test(tc, test_ouch_capture_canceled);
	tcase_add_test(tc, test_ouch_capture_heartbeats);
	suite_add_tcase(s, tc);
	tc = tcase_create("round_trip");
	tcase_add_loop_test(tc, test_ouch_round_trips_every_type, 0, (int)FP_ARRAY_SIZE(all_types));
	tcase_add_test(tc, test_ouch_executed_layout_matches_spec);
	tcase_add_test(tc, test_ouch_every_option_round_trips);
	tcase_add_test(tc, test_ouch_direct_encoders_match_generic);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fp_ouch_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
