/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ouch.c - OUCH 5.0 codec (layouts in fp_ouch.h; spec: OUCH 5.0, NASDAQ, April 2023).
 *
 * Pure functions: any thread, hot path included; no allocation, no errno.
 *
 * Design: each message type has a constant layout (struct ouch_layout) generated from the
 * same field tables as the wire structs: for every field the wire offset and size, the
 * kind, and the offset of the same-named member in struct fp_ouch_msg. Decode and encode
 * walk that list. Options are described by one table indexed by tag (struct ouch_opt).
 *
 * Rules enforced (each cited where it is checked):
 *   (1) the message is at least its fixed part; where the spec calls Appendage Length
 *       optional, a message that ends exactly before it has no appendage;
 *   (2) otherwise fixed part + 2 + Appendage Length == message length, exactly;
 *   (3) every TagValue element has length >= 1 and ends inside the appendage;
 *   (4) its tag is defined (Appendix A), allowed on this message (the spec's list under
 *       Optional Appendage), appears once, and length - 1 == the tag's value size;
 *   (5) alpha options take only the spec's values; ExpireTime < 86400.
 */
#include <string.h>

#include "fp_ouch.h"

enum ouch_kind { K_CHAR, K_ALPHA, K_U16, K_U32, K_U64, K_U8ANY };

struct ouch_field {
	uint8_t wire_off;
	uint8_t size;
	uint8_t kind; /* enum ouch_kind */
	uint8_t host_off;
};

struct ouch_layout {
	const char *name;
	uint8_t type;
	uint8_t fixed_len; /* up to and including Appendage Length (or whole, if none) */
	uint8_t app_off;   /* offset of Appendage Length */
	uint8_t app;       /* APP_NONE, APP_REQUIRED, APP_OPTIONAL */
	uint32_t allowed;  /* bit (1 << tag) */
	uint8_t nb_fields;
	struct ouch_field fields[16];
};

enum { APP_NONE, APP_REQUIRED, APP_OPTIONAL };

static_assert(sizeof(struct fp_ouch_msg) < 256, "host offsets fit a byte");

#define HOST_FIELD(S, name, off, size, kind) \
	{(off), (size), K_##kind, (uint8_t)offsetof(struct fp_ouch_msg, name)},
#define HOST_CHECK(S, name, off, size, kind)                             \
	static_assert(sizeof(((struct fp_ouch_msg *)0)->name) == (size), \
		      "fp_ouch_msg." #name " has the wire size");

#define NB_FIELDS(FIELDS) \
	(uint8_t)(sizeof((struct ouch_field[]){FIELDS(HOST_FIELD, x)}) / sizeof(struct ouch_field))

#define LAYOUT(nm, t, S, FIELDS, app_kind, allow)                                          \
	{                                                                                  \
		.name = nm, .type = t,                                                     \
		.fixed_len = (uint8_t)(offsetof(struct S, appendage_length) + 2),          \
		.app_off = (uint8_t)offsetof(struct S, appendage_length), .app = app_kind, \
		.allowed = allow, .nb_fields = NB_FIELDS(FIELDS),                          \
		.fields = {FIELDS(HOST_FIELD, S)},                                         \
	}

#define T(tag) (1u << FP_OUCH_TAG_##tag)

FP_OUCH_ENTER_ORDER_FIELDS(HOST_CHECK, x)
FP_OUCH_REPLACE_ORDER_FIELDS(HOST_CHECK, x)
FP_OUCH_MASS_CANCEL_FIELDS(HOST_CHECK, x)
FP_OUCH_ORDER_ACCEPTED_FIELDS(HOST_CHECK, x)
FP_OUCH_ORDER_REPLACED_FIELDS(HOST_CHECK, x)
FP_OUCH_ORDER_CANCELED_FIELDS(HOST_CHECK, x)
FP_OUCH_AIQ_CANCELED_FIELDS(HOST_CHECK, x)
FP_OUCH_ORDER_EXECUTED_FIELDS(HOST_CHECK, x)
FP_OUCH_BROKEN_TRADE_FIELDS(HOST_CHECK, x)
FP_OUCH_ORDER_REJECTED_FIELDS(HOST_CHECK, x)
FP_OUCH_ORDER_PRIORITY_UPDATE_FIELDS(HOST_CHECK, x)
FP_OUCH_ORDER_RESTATED_FIELDS(HOST_CHECK, x)
FP_OUCH_SYSTEM_EVENT_FIELDS(HOST_CHECK, x)
FP_OUCH_ACCOUNT_QUERY_RESPONSE_FIELDS(HOST_CHECK, x)

/* Options allowed on Enter Order (spec 2.1). */
#define ENTER_OPTS                                                                                \
	(T(FIRM) | T(MIN_QTY) | T(CUSTOMER_TYPE) | T(MAX_FLOOR) | T(PRICE_TYPE) | T(PEG_OFFSET) | \
	 T(DISCRETION_PRICE) | T(DISCRETION_PRICE_TYPE) | T(DISCRETION_PEG_OFFSET) |              \
	 T(POST_ONLY) | T(RANDOM_RESERVES) | T(EXPIRE_TIME) | T(TRADE_NOW) | T(HANDLE_INST) |     \
	 T(GROUP_ID) | T(SHARES_LOCATED) | T(LOCATE_BROKER) | T(USER_REF_IDX))
/* Replace Order (spec 2.2): Enter's minus Firm, GroupID, CustomerType, plus Side. */
#define REPLACE_OPTS                                                                 \
	(T(MIN_QTY) | T(MAX_FLOOR) | T(PRICE_TYPE) | T(POST_ONLY) | T(EXPIRE_TIME) | \
	 T(TRADE_NOW) | T(HANDLE_INST) | T(RANDOM_RESERVES) | T(PEG_OFFSET) |        \
	 T(DISCRETION_PRICE) | T(DISCRETION_PRICE_TYPE) | T(DISCRETION_PEG_OFFSET) | \
	 T(SHARES_LOCATED) | T(LOCATE_BROKER) | T(USER_REF_IDX) | T(SIDE))
/* Order Accepted (spec 3.2). */
#define ACCEPTED_OPTS                                                                             \
	(T(FIRM) | T(MIN_QTY) | T(CUSTOMER_TYPE) | T(MAX_FLOOR) | T(PRICE_TYPE) | T(PEG_OFFSET) | \
	 T(DISCRETION_PRICE) | T(DISCRETION_PRICE_TYPE) | T(DISCRETION_PEG_OFFSET) |              \
	 T(POST_ONLY) | T(RANDOM_RESERVES) | T(ROUTE) | T(EXPIRE_TIME) | T(TRADE_NOW) |           \
	 T(HANDLE_INST) | T(BBO_WEIGHT_INDICATOR) | T(GROUP_ID) | T(SHARES_LOCATED) |             \
	 T(USER_REF_IDX))
/* Order Replaced (spec 3.3). */
#define REPLACED_OPTS                                                                          \
	(T(FIRM) | T(MIN_QTY) | T(MAX_FLOOR) | T(PRICE_TYPE) | T(POST_ONLY) | T(EXPIRE_TIME) | \
	 T(TRADE_NOW) | T(HANDLE_INST) | T(BBO_WEIGHT_INDICATOR) | T(USER_REF_IDX))
#define IDX_OPTS    T(USER_REF_IDX)
#define MODIFY_OPTS (T(USER_REF_IDX) | T(SHARES_LOCATED) | T(LOCATE_BROKER))
#define MASS_OPTS   (T(SIDE) | T(GROUP_ID) | T(USER_REF_IDX))
#define RESTATED_OPTS \
	(T(DISPLAY_QUANTITY) | T(DISPLAY_PRICE) | T(SECONDARY_ORD_REF_NUM) | T(USER_REF_IDX))

static const struct ouch_layout inbound[] = {
	LAYOUT("Enter Order", 'O', fp_ouch_enter_order, FP_OUCH_ENTER_ORDER_FIELDS, APP_REQUIRED,
	       ENTER_OPTS),
	LAYOUT("Replace Order", 'U', fp_ouch_replace_order, FP_OUCH_REPLACE_ORDER_FIELDS,
	       APP_REQUIRED, REPLACE_OPTS),
	LAYOUT("Cancel Order", 'X', fp_ouch_cancel_order, FP_OUCH_CANCEL_ORDER_FIELDS, APP_OPTIONAL,
	       IDX_OPTS),
	LAYOUT("Modify Order", 'M', fp_ouch_modify_order, FP_OUCH_MODIFY_ORDER_FIELDS, APP_OPTIONAL,
	       MODIFY_OPTS),
	LAYOUT("Mass Cancel", 'C', fp_ouch_mass_cancel, FP_OUCH_MASS_CANCEL_FIELDS, APP_REQUIRED,
	       MASS_OPTS),
	LAYOUT("Disable Order Entry", 'D', fp_ouch_order_entry_control,
	       FP_OUCH_ORDER_ENTRY_CONTROL_FIELDS, APP_REQUIRED, IDX_OPTS),
	LAYOUT("Enable Order Entry", 'E', fp_ouch_order_entry_control,
	       FP_OUCH_ORDER_ENTRY_CONTROL_FIELDS, APP_REQUIRED, IDX_OPTS),
	LAYOUT("Account Query", 'Q', fp_ouch_account_query, FP_OUCH_ACCOUNT_QUERY_FIELDS,
	       APP_OPTIONAL, IDX_OPTS),
};

static const struct ouch_layout outbound[] = {
	{
		.name = "System Event",
		.type = 'S',
		.fixed_len = sizeof(struct fp_ouch_system_event),
		.app_off = sizeof(struct fp_ouch_system_event),
		.app = APP_NONE,
		.allowed = 0,
		.nb_fields = NB_FIELDS(FP_OUCH_SYSTEM_EVENT_FIELDS),
		.fields = {FP_OUCH_SYSTEM_EVENT_FIELDS(HOST_FIELD, x)},
	},
	LAYOUT("Order Accepted", 'A', fp_ouch_order_accepted, FP_OUCH_ORDER_ACCEPTED_FIELDS,
	       APP_REQUIRED, ACCEPTED_OPTS),
	LAYOUT("Order Replaced", 'U', fp_ouch_order_replaced, FP_OUCH_ORDER_REPLACED_FIELDS,
	       APP_REQUIRED, REPLACED_OPTS),
	LAYOUT("Order Canceled", 'C', fp_ouch_order_canceled, FP_OUCH_ORDER_CANCELED_FIELDS,
	       APP_OPTIONAL, IDX_OPTS),
	LAYOUT("AIQ Canceled", 'D', fp_ouch_aiq_canceled, FP_OUCH_AIQ_CANCELED_FIELDS, APP_OPTIONAL,
	       IDX_OPTS),
	LAYOUT("Order Executed", 'E', fp_ouch_order_executed, FP_OUCH_ORDER_EXECUTED_FIELDS,
	       APP_REQUIRED, IDX_OPTS),
	LAYOUT("Broken Trade", 'B', fp_ouch_broken_trade, FP_OUCH_BROKEN_TRADE_FIELDS, APP_OPTIONAL,
	       IDX_OPTS),
	LAYOUT("Rejected", 'J', fp_ouch_order_rejected, FP_OUCH_ORDER_REJECTED_FIELDS, APP_OPTIONAL,
	       IDX_OPTS),
	LAYOUT("Cancel Pending", 'P', fp_ouch_cancel_status, FP_OUCH_CANCEL_STATUS_FIELDS,
	       APP_OPTIONAL, IDX_OPTS),
	LAYOUT("Cancel Reject", 'I', fp_ouch_cancel_status, FP_OUCH_CANCEL_STATUS_FIELDS,
	       APP_OPTIONAL, IDX_OPTS),
	LAYOUT("Order Priority Update", 'T', fp_ouch_order_priority_update,
	       FP_OUCH_ORDER_PRIORITY_UPDATE_FIELDS, APP_OPTIONAL, IDX_OPTS),
	LAYOUT("Order Modified", 'M', fp_ouch_order_modified, FP_OUCH_ORDER_MODIFIED_FIELDS,
	       APP_OPTIONAL, MODIFY_OPTS),
	LAYOUT("Order Restated", 'R', fp_ouch_order_restated, FP_OUCH_ORDER_RESTATED_FIELDS,
	       APP_REQUIRED, RESTATED_OPTS),
	LAYOUT("Mass Cancel Response", 'X', fp_ouch_mass_cancel_response,
	       FP_OUCH_MASS_CANCEL_RESPONSE_FIELDS, APP_REQUIRED, MASS_OPTS),
	LAYOUT("Disable Order Entry Response", 'G', fp_ouch_entry_control_response,
	       FP_OUCH_ENTRY_CONTROL_RESPONSE_FIELDS, APP_REQUIRED, IDX_OPTS),
	LAYOUT("Enable Order Entry Response", 'K', fp_ouch_entry_control_response,
	       FP_OUCH_ENTRY_CONTROL_RESPONSE_FIELDS, APP_REQUIRED, IDX_OPTS),
	LAYOUT("Account Query Response", 'Q', fp_ouch_account_query_response,
	       FP_OUCH_ACCOUNT_QUERY_RESPONSE_FIELDS, APP_OPTIONAL, IDX_OPTS),
};

/* ---- options (Appendix A) ---- */

struct ouch_opt {
	uint8_t size; /* 0 = tag not defined */
	uint8_t kind; /* enum ouch_kind; K_U32 with is_signed for signed prices */
	uint8_t host_off;
	const char *values; /* rule (5): allowed alpha values, NULL = any printable */
};

#define OPT(tag, sz, kind, member, vals) \
	[FP_OUCH_TAG_##                  \
		tag] = {sz, K_##kind, (uint8_t)offsetof(struct fp_ouch_options, member), vals}

static const struct ouch_opt opts[FP_OUCH_TAG_MAX + 1] = {
	OPT(SECONDARY_ORD_REF_NUM, 8, U64, secondary_ord_ref_num, NULL),
	OPT(FIRM, 4, ALPHA, firm, NULL),
	OPT(MIN_QTY, 4, U32, min_qty, NULL),
	OPT(CUSTOMER_TYPE, 1, CHAR, customer_type, "RN "),
	OPT(MAX_FLOOR, 4, U32, max_floor, NULL),
	OPT(PRICE_TYPE, 1, CHAR, price_type, "LPMRQm"),
	OPT(PEG_OFFSET, 4, U32, peg_offset, NULL),
	OPT(DISCRETION_PRICE, 8, U64, discretion_price, NULL),
	OPT(DISCRETION_PRICE_TYPE, 1, CHAR, discretion_price_type, "LPMR"),
	OPT(DISCRETION_PEG_OFFSET, 4, U32, discretion_peg_offset, NULL),
	OPT(POST_ONLY, 1, CHAR, post_only, "PN"),
	OPT(RANDOM_RESERVES, 4, U32, random_reserves, NULL),
	OPT(ROUTE, 4, ALPHA, route, NULL),
	OPT(EXPIRE_TIME, 4, U32, expire_time, NULL),
	OPT(TRADE_NOW, 1, CHAR, trade_now, "YN "),
	OPT(HANDLE_INST, 1, CHAR, handle_inst, "IOTQBD "),
	OPT(BBO_WEIGHT_INDICATOR, 1, CHAR, bbo_weight_indicator, "0123SN "),
	OPT(DISPLAY_QUANTITY, 4, U32, display_quantity, NULL),
	OPT(DISPLAY_PRICE, 8, U64, display_price, NULL),
	OPT(GROUP_ID, 2, U16, group_id, NULL),
	OPT(SHARES_LOCATED, 1, CHAR, shares_located, "YN"),
	OPT(LOCATE_BROKER, 4, ALPHA, locate_broker, NULL),
	OPT(SIDE, 1, CHAR, side, "BSTE"),
	OPT(USER_REF_IDX, 1, U8ANY, user_ref_idx, NULL),
};

/* ---- helpers ---- */

static const struct ouch_layout *find_layout(enum fp_ouch_dir dir, uint8_t type)
{
	const struct ouch_layout *t = dir == FP_OUCH_INBOUND ? inbound : outbound;
	size_t n = dir == FP_OUCH_INBOUND ? FP_ARRAY_SIZE(inbound) : FP_ARRAY_SIZE(outbound);
	if (dir != FP_OUCH_INBOUND && dir != FP_OUCH_OUTBOUND)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (t[i].type == type)
			return &t[i];
	return NULL;
}

/* Copy one field of @p size bytes from big-endian wire to host memory. */
static inline void get_field(uint8_t kind, uint8_t size, const uint8_t *w, uint8_t *h)
{
	switch (kind) {
	case K_U16: {
		uint16_t v = fp_get_be16(w);
		memcpy(h, &v, 2);
		break;
	}
	case K_U32: {
		uint32_t v = fp_get_be32(w);
		memcpy(h, &v, 4);
		break;
	}
	case K_U64: {
		uint64_t v = fp_get_be64(w);
		memcpy(h, &v, 8);
		break;
	}
	default: /* K_CHAR, K_ALPHA, K_U8ANY: bytes as they are */
		memcpy(h, w, size);
		break;
	}
}

static inline void put_field(uint8_t kind, uint8_t size, uint8_t *w, const uint8_t *h)
{
	switch (kind) {
	case K_U16: {
		uint16_t v;
		memcpy(&v, h, 2);
		fp_put_be16(w, v);
		break;
	}
	case K_U32: {
		uint32_t v;
		memcpy(&v, h, 4);
		fp_put_be32(w, v);
		break;
	}
	case K_U64: {
		uint64_t v;
		memcpy(&v, h, 8);
		fp_put_be64(w, v);
		break;
	}
	default:
		memcpy(w, h, size);
		break;
	}
}

/* Rule (5) on a host value. */
static enum fp_ouch_rc check_opt_value(uint8_t tag, const struct ouch_opt *o, const uint8_t *h)
{
	if (o->kind == K_CHAR) {
		if (o->values != NULL && (*h == 0 || strchr(o->values, *h) == NULL))
			return FP_OUCH_ERR_TAG_VALUE;
	} else if (o->kind == K_ALPHA) {
		for (unsigned i = 0; i < o->size; i++)
			if (h[i] < 0x20 || h[i] > 0x7e)
				return FP_OUCH_ERR_TAG_VALUE;
	} else if (tag == FP_OUCH_TAG_EXPIRE_TIME) {
		uint32_t v;
		memcpy(&v, h, 4);
		if (v >= 86400)
			return FP_OUCH_ERR_TAG_VALUE;
	}
	return FP_OUCH_OK;
}

static enum fp_ouch_rc decode_options(const struct ouch_layout *l, const uint8_t *p, size_t len,
				      struct fp_ouch_options *o)
{
	size_t off = 0;
	while (off < len) {
		uint8_t elen = p[off];
		if (elen == 0 || off + 1 + elen > len) /* Rule (3) */
			return FP_OUCH_ERR_APPENDAGE;
		uint8_t tag = p[off + 1];
		if (tag > FP_OUCH_TAG_MAX || opts[tag].size == 0) /* Rule (4) */
			return FP_OUCH_ERR_TAG;
		if (!(l->allowed & (1u << tag)))
			return FP_OUCH_ERR_TAG_NOT_ALLOWED;
		if (o->present & (1u << tag))
			return FP_OUCH_ERR_TAG_DUP;
		const struct ouch_opt *d = &opts[tag];
		if (elen - 1u != d->size)
			return FP_OUCH_ERR_TAG_LENGTH;
		uint8_t *h = (uint8_t *)o + d->host_off;
		get_field(d->kind, d->size, p + off + 2, h);
		enum fp_ouch_rc rc = check_opt_value(tag, d, h);
		if (rc != FP_OUCH_OK)
			return rc;
		o->present |= 1u << tag;
		o->tags[o->nb_tags++] = tag;
		off += 1u + elen;
	}
	return FP_OUCH_OK;
}

enum fp_ouch_rc fp_ouch_decode(enum fp_ouch_dir dir, const uint8_t *buf, size_t len,
			       struct fp_ouch_msg *msg)
{
	if (len < 1)
		return FP_OUCH_ERR_SHORT;
	const struct ouch_layout *l = find_layout(dir, buf[0]);
	if (l == NULL)
		return FP_OUCH_ERR_TYPE;
	memset(msg, 0, sizeof(*msg));
	msg->dir = (uint8_t)dir;
	/* Rule (1) */
	if (l->app == APP_NONE) {
		if (len != l->fixed_len)
			return len < l->fixed_len ? FP_OUCH_ERR_SHORT : FP_OUCH_ERR_LENGTH;
	} else if (len == l->app_off && l->app == APP_OPTIONAL) {
		msg->has_appendage = 0;
	} else if (len < l->fixed_len) {
		return FP_OUCH_ERR_SHORT;
	} else {
		uint16_t app_len = fp_get_be16(buf + l->app_off);
		if ((size_t)l->fixed_len + app_len != len) /* Rule (2) */
			return FP_OUCH_ERR_LENGTH;
		msg->has_appendage = 1;
	}
	for (unsigned i = 0; i < l->nb_fields; i++) {
		const struct ouch_field *f = &l->fields[i];
		get_field(f->kind, f->size, buf + f->wire_off, (uint8_t *)msg + f->host_off);
	}
	if (msg->has_appendage)
		return decode_options(l, buf + l->fixed_len, len - l->fixed_len, &msg->opts);
	return FP_OUCH_OK;
}

int fp_ouch_encode(const struct fp_ouch_msg *msg, uint8_t *buf, size_t cap)
{
	const struct ouch_layout *l = find_layout((enum fp_ouch_dir)msg->dir, msg->type);
	if (l == NULL)
		return FP_OUCH_ERR_TYPE;
	const struct fp_ouch_options *o = &msg->opts;
	int with_app = l->app == APP_REQUIRED ||
		       (l->app == APP_OPTIONAL && (msg->has_appendage || o->nb_tags > 0));
	size_t len = with_app ? l->fixed_len : l->app_off;
	if (l->app == APP_NONE)
		len = l->fixed_len;
	if (!with_app && o->nb_tags > 0)
		return FP_OUCH_ERR_TAG_NOT_ALLOWED;
	if (cap < len)
		return FP_OUCH_ERR_NOSPACE;
	for (unsigned i = 0; i < l->nb_fields; i++) {
		const struct ouch_field *f = &l->fields[i];
		put_field(f->kind, f->size, buf + f->wire_off, (const uint8_t *)msg + f->host_off);
	}
	buf[0] = msg->type;
	if (!with_app)
		return (int)len;
	for (unsigned i = 0; i < o->nb_tags; i++) {
		uint8_t tag = o->tags[i];
		if (tag > FP_OUCH_TAG_MAX || opts[tag].size == 0)
			return FP_OUCH_ERR_TAG;
		if (!(l->allowed & (1u << tag)))
			return FP_OUCH_ERR_TAG_NOT_ALLOWED;
		const struct ouch_opt *d = &opts[tag];
		const uint8_t *h = (const uint8_t *)o + d->host_off;
		enum fp_ouch_rc rc = check_opt_value(tag, d, h);
		if (rc != FP_OUCH_OK)
			return rc;
		if (cap < len + 2u + d->size)
			return FP_OUCH_ERR_NOSPACE;
		buf[len] = (uint8_t)(1 + d->size);
		buf[len + 1] = tag;
		put_field(d->kind, d->size, buf + len + 2, h);
		len += 2u + d->size;
	}
	fp_put_be16(buf + l->app_off, (uint16_t)(len - l->fixed_len));
	return (int)len;
}

int fp_ouch_encode_enter_order(uint8_t *buf, size_t cap, const struct fp_ouch_enter *e)
{
	struct fp_ouch_enter_order *w = (struct fp_ouch_enter_order *)buf;
	size_t len = sizeof(*w) + (e->firm ? 6 : 0);
	if (cap < len)
		return FP_OUCH_ERR_NOSPACE;
	w->type = FP_OUCH_ENTER_ORDER;
	fp_put_be32(&w->user_ref_num, e->user_ref_num);
	w->side = e->side;
	fp_put_be32(&w->quantity, e->quantity);
	memcpy(w->symbol, e->symbol, sizeof(w->symbol));
	fp_put_be64(&w->price, (uint64_t)e->price);
	w->time_in_force = e->time_in_force;
	w->display = e->display;
	w->capacity = e->capacity;
	w->intermarket_sweep_eligibility = e->intermarket_sweep_eligibility;
	w->cross_type = e->cross_type;
	memcpy(w->cl_ord_id, e->cl_ord_id, sizeof(w->cl_ord_id));
	fp_put_be16(&w->appendage_length, e->firm ? 6 : 0);
	if (e->firm) {
		buf[sizeof(*w)] = 5;
		buf[sizeof(*w) + 1] = FP_OUCH_TAG_FIRM;
		memcpy(buf + sizeof(*w) + 2, e->firm, 4);
	}
	return (int)len;
}

int fp_ouch_encode_cancel_order(uint8_t *buf, size_t cap, uint32_t user_ref_num, uint32_t quantity)
{
	if (cap < offsetof(struct fp_ouch_cancel_order, appendage_length))
		return FP_OUCH_ERR_NOSPACE;
	buf[0] = FP_OUCH_CANCEL_ORDER;
	fp_put_be32(buf + 1, user_ref_num);
	fp_put_be32(buf + 5, quantity);
	return (int)offsetof(struct fp_ouch_cancel_order, appendage_length);
}

size_t fp_ouch_fixed_len(enum fp_ouch_dir dir, uint8_t type)
{
	const struct ouch_layout *l = find_layout(dir, type);
	return l ? l->fixed_len : 0;
}

const char *fp_ouch_msg_name(enum fp_ouch_dir dir, uint8_t type)
{
	const struct ouch_layout *l = find_layout(dir, type);
	return l ? l->name : NULL;
}

unsigned fp_ouch_opt_size(uint8_t tag)
{
	return tag <= FP_OUCH_TAG_MAX ? opts[tag].size : 0;
}

const char *fp_ouch_rc_str(enum fp_ouch_rc rc)
{
	switch (rc) {
	case FP_OUCH_OK:
		return "ok";
	case FP_OUCH_ERR_SHORT:
		return "message shorter than its fixed part";
	case FP_OUCH_ERR_TYPE:
		return "unknown message type";
	case FP_OUCH_ERR_LENGTH:
		return "appendage length disagrees with the message length";
	case FP_OUCH_ERR_APPENDAGE:
		return "malformed TagValue element";
	case FP_OUCH_ERR_TAG:
		return "undefined option tag";
	case FP_OUCH_ERR_TAG_NOT_ALLOWED:
		return "option not allowed on this message";
	case FP_OUCH_ERR_TAG_LENGTH:
		return "option value of the wrong size";
	case FP_OUCH_ERR_TAG_VALUE:
		return "option value not allowed";
	case FP_OUCH_ERR_TAG_DUP:
		return "option repeated";
	case FP_OUCH_ERR_NOSPACE:
		return "buffer too small";
	}
	return "?";
}
