/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_sim_oe.c - the simulator's OUCH 5.0 / SoupBinTCP 3.0 acceptor (API in fp_sim_oe.h).
 *
 * Main thread of the simulator only; poll never blocks or allocates.
 *
 * Definitions.
 *   account  one configured user; engine owner = account index + 1. Holds the session's
 *            sequenced messages: number s (from 1) lives in history slot (s-1) % history
 *            while next_seq - history <= s < next_seq.
 *   conn     one TCP connection: FREE -> LOGIN -> ACTIVE (-> CLOSING) -> FREE.
 *   send_seq the next sequenced message a conn will write; messages are never pushed to a
 *            connection: every poll copies history[send_seq, next_seq) into the conn's
 *            output buffer as far as it has room, so replay and live flow are one path.
 *
 * Invariants.
 *   (1) an account has at most one ACTIVE conn (acct->conn), and that conn's account is it.
 *   (2) for an ACTIVE conn, oldest(acct) <= send_seq <= acct->next_seq; a conn whose
 *       send_seq falls below oldest (the client reads slower than the history turns over)
 *       is closed as a slow reader: it could never be sent what it missed.
 *   (3) out[out_off, out_len) are bytes accepted for sending, in order; only whole SoupBinTCP
 *       packets are appended.
 *   (4) cur/cur_owner/cur_token describe the request being applied while the engine runs
 *       its callbacks; callbacks about any other order do not use the echo fields.
 *
 * Transitions: conn_open (accept) FREE->LOGIN; do_login LOGIN->ACTIVE or LOGIN->CLOSING
 * (after Login Rejected); conn_close any->FREE (timeouts, errors, logout, takeover).
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fp_err.h"
#include "fp_sim_oe.h"

#define SLOT_SIZE 128 /* one history entry: length byte + message */

enum conn_state { C_FREE = 0, C_LOGIN, C_ACTIVE, C_CLOSING };
enum cur_mode { CUR_NONE = 0, CUR_ENTER, CUR_REPLACE, CUR_MODIFY };

struct fp_sim_oe_account {
	struct fp_sim_oe_user user;
	uint32_t firm;               /* fp_sim_firm(user.firm) */
	uint32_t conn;               /* index + 1 of the ACTIVE conn, 0 = none (invariant 1) */
	uint32_t last_urn;           /* last UserRefNum processed (strictly increasing rule) */
	uint8_t disabled;            /* Disable Order Entry in force */
	uint64_t next_seq;           /* number of the next sequenced message, from 1 */
	uint8_t *hist;               /* history * SLOT_SIZE */
	uint64_t *clordid_set;       /* hashes of the ClOrdIDs entered, open addressing, 0 = free */
	uint32_t clordid_cap;        /* slots of clordid_set, power of two (0 = none yet) */
	struct fp_sim_oe_record rec; /* the venue's record of the account's trades */
};

struct fp_sim_oe_conn {
	int fd;
	uint8_t state; /* enum conn_state */
	uint32_t account;
	uint64_t send_seq;
	uint64_t replay_until; /* messages below this were missed: count them as replayed */
	uint64_t open_ms;
	uint64_t last_rx_ms;
	uint64_t last_tx_ms;
	uint64_t stall_ms; /* when the socket last refused bytes, 0 = flowing */
	uint32_t out_off;
	uint32_t out_len;
	uint8_t *out;
	struct fp_soup_rx *rx;
};

/* ---- small helpers ---- */

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t oldest_seq(const struct fp_sim_oe *oe, const struct fp_sim_oe_account *a)
{
	return a->next_seq > oe->history ? a->next_seq - oe->history : 1;
}

/* The echo fields the engine keeps for us in fp_sim_order_req.user. */
static uint64_t pack_user(uint8_t side, uint8_t capacity, uint8_t iso, uint8_t cross)
{
	return (uint64_t)side | (uint64_t)capacity << 8 | (uint64_t)iso << 16 |
	       (uint64_t)cross << 24;
}

static uint8_t user_byte(uint64_t user, unsigned i, uint8_t dflt)
{
	uint8_t b = (uint8_t)(user >> (8 * i));
	return b ? b : dflt;
}

/* ---- sequenced output ---- */

/* Append one sequenced message to account @p a's history (never fails: the history is a
 * ring; readers that fall behind it are closed, invariant 2). */
static void emit(struct fp_sim_oe *oe, struct fp_sim_oe_account *a, struct fp_ouch_msg *m)
{
	m->dir = FP_OUCH_OUTBOUND;
	m->timestamp = oe->now_ns;
	uint8_t *slot = a->hist + ((a->next_seq - 1) % oe->history) * SLOT_SIZE;
	int n = fp_ouch_encode(m, slot + 1, SLOT_SIZE - 1);
	if (n <= 0) /* cannot happen for messages built here; keep the sequence dense */
		n = fp_ouch_encode(&(struct fp_ouch_msg){.type = 'S',
							 .dir = FP_OUCH_OUTBOUND,
							 .event_code = 'S'},
				   slot + 1, SLOT_SIZE - 1);
	slot[0] = (uint8_t)n;
	a->next_seq++;
	oe->st.nb_msgs_out++;
}

static struct fp_sim_oe_account *owner_account(struct fp_sim_oe *oe, uint32_t owner)
{
	if (owner == 0 || owner > oe->nb_accounts)
		return NULL;
	return &oe->accounts[owner - 1];
}

static const struct fp_ouch_msg *cur_req(const struct fp_sim_oe *oe,
					 const struct fp_sim_order_info *o)
{
	if (oe->cur != NULL && o->owner == oe->cur_owner && o->token == oe->cur_token)
		return oe->cur; /* invariant (4) */
	return NULL;
}

static void fill_order_fields(struct fp_sim_oe *oe, struct fp_ouch_msg *m,
			      const struct fp_sim_order_info *o, const struct fp_ouch_msg *req)
{
	const char *stock = fp_sim_engine_stock(oe->engine, o->locate);
	m->user_ref_num = o->token;
	m->side = user_byte(o->user, 0, o->side);
	memcpy(m->symbol, stock ? stock : "        ", 8);
	m->price = o->price;
	m->time_in_force = fp_sim_tif_to_ouch(o->tif);
	m->display = o->display;
	m->order_reference_number = o->ref;
	m->capacity = user_byte(o->user, 1, 'A');
	m->intermarket_sweep_eligibility = user_byte(o->user, 2, 'N');
	m->cross_type = user_byte(o->user, 3, 'N');
	m->order_state = o->live ? 'L' : 'D';
	if (req)
		memcpy(m->cl_ord_id, req->cl_ord_id, sizeof(m->cl_ord_id));
	else
		memset(m->cl_ord_id, ' ', sizeof(m->cl_ord_id));
}

static void echo_firm(const struct fp_sim_oe_account *a, struct fp_ouch_msg *m)
{
	m->has_appendage = 1;
	if (a->user.firm[0]) {
		memcpy(m->opts.firm, a->user.firm, 4);
		fp_ouch_opt_add(&m->opts, FP_OUCH_TAG_FIRM);
	}
}

/* ---- engine callbacks -> OUCH outbound ---- */

static void on_accepted(void *arg, const struct fp_sim_order_info *o)
{
	struct fp_sim_oe *oe = arg;
	struct fp_sim_oe_account *a = owner_account(oe, o->owner);
	if (a == NULL)
		return;
	const struct fp_ouch_msg *req = cur_req(oe, o);
	struct fp_ouch_msg m = {.type = FP_OUCH_ORDER_ACCEPTED};
	fill_order_fields(oe, &m, o, req);
	m.quantity = req ? req->quantity : o->open_qty + o->exec_qty;
	echo_firm(a, &m);
	emit(oe, a, &m);
}

static void on_executed(void *arg, const struct fp_sim_order_info *o, uint32_t qty, int64_t price,
			uint64_t match_number, uint8_t liquidity)
{
	struct fp_sim_oe *oe = arg;
	struct fp_sim_oe_account *a = owner_account(oe, o->owner);
	if (a == NULL)
		return;
	struct fp_ouch_msg m = {.type = FP_OUCH_ORDER_EXECUTED, .has_appendage = 1};
	int64_t sign = o->side == FP_SIM_BUY ? 1 : -1;
	a->rec.nb_fills++;
	a->rec.position += sign * (int64_t)qty;
	a->rec.cash -= sign * (int64_t)qty * price;
	if (sign > 0)
		a->rec.bought += qty;
	else
		a->rec.sold += qty;
	m.user_ref_num = o->token;
	m.quantity = qty;
	m.price = price;
	m.liquidity_flag = liquidity;
	m.match_number = match_number;
	emit(oe, a, &m);
}

static void on_canceled(void *arg, const struct fp_sim_order_info *o, uint32_t dec, uint8_t reason)
{
	struct fp_sim_oe *oe = arg;
	struct fp_sim_oe_account *a = owner_account(oe, o->owner);
	if (a == NULL)
		return;
	if (oe->cur_mode == CUR_MODIFY && cur_req(oe, o) != NULL)
		return; /* a Modify answers with Order Modified instead */
	struct fp_ouch_msg m = {.type = FP_OUCH_ORDER_CANCELED};
	m.user_ref_num = o->token;
	m.quantity = dec;
	m.reason = reason;
	emit(oe, a, &m);
}

static void on_replaced(void *arg, const struct fp_sim_order_info *o, uint32_t orig_token,
			uint64_t orig_ref)
{
	struct fp_sim_oe *oe = arg;
	(void)orig_ref;
	struct fp_sim_oe_account *a = owner_account(oe, o->owner);
	if (a == NULL)
		return;
	struct fp_ouch_msg m = {.type = FP_OUCH_ORDER_REPLACED};
	fill_order_fields(oe, &m, o, cur_req(oe, o));
	m.orig_user_ref_num = orig_token;
	m.quantity = o->open_qty;
	echo_firm(a, &m);
	emit(oe, a, &m);
}

static void on_rejected(void *arg, const struct fp_sim_order_info *o, uint16_t reason)
{
	struct fp_sim_oe *oe = arg;
	struct fp_sim_oe_account *a = owner_account(oe, o->owner);
	if (a == NULL)
		return;
	const struct fp_ouch_msg *req = cur_req(oe, o);
	struct fp_ouch_msg m = {.type = FP_OUCH_ORDER_REJECTED};
	m.user_ref_num = o->token;
	m.reject_reason = reason;
	if (req)
		memcpy(m.cl_ord_id, req->cl_ord_id, sizeof(m.cl_ord_id));
	else
		memset(m.cl_ord_id, ' ', sizeof(m.cl_ord_id));
	oe->st.nb_rejected++;
	emit(oe, a, &m);
}

struct fp_sim_order_listener fp_sim_oe_listener(struct fp_sim_oe *oe)
{
	struct fp_sim_order_listener l = {
		.arg = oe,
		.on_accepted = on_accepted,
		.on_executed = on_executed,
		.on_canceled = on_canceled,
		.on_replaced = on_replaced,
		.on_rejected = on_rejected,
	};
	return l;
}

/* ---- OUCH inbound -> engine ---- */

static void reject(struct fp_sim_oe *oe, struct fp_sim_oe_account *a, const struct fp_ouch_msg *req,
		   uint16_t reason)
{
	struct fp_ouch_msg m = {.type = FP_OUCH_ORDER_REJECTED};
	m.user_ref_num = req->user_ref_num;
	m.reject_reason = reason;
	memcpy(m.cl_ord_id, req->cl_ord_id, sizeof(m.cl_ord_id));
	oe->st.nb_rejected++;
	emit(oe, a, &m);
}

/* Options the engine does not implement are refused rather than silently dropped. */
static uint16_t check_order_opts(const struct fp_sim_oe_account *a, const struct fp_ouch_msg *m)
{
	const struct fp_ouch_options *o = &m->opts;
	if (fp_ouch_opt_has(o, FP_OUCH_TAG_FIRM) && memcmp(o->firm, "    ", 4) != 0 &&
	    fp_sim_firm((char[5]){o->firm[0], o->firm[1], o->firm[2], o->firm[3], 0}) != a->firm)
		return FP_OUCH_REJ_FIRM_NOT_AUTHORIZED;
	if (o->user_ref_idx != 0) /* one order flow channel per account */
		return FP_OUCH_REJ_OTHER;
	if (fp_ouch_opt_has(o, FP_OUCH_TAG_PRICE_TYPE) && o->price_type != 'L')
		return FP_OUCH_REJ_INVALID_PEG_TYPE;
	if (o->max_floor != 0)
		return FP_OUCH_REJ_INVALID_MAX_FLOOR;
	if (o->min_qty != 0)
		return FP_OUCH_REJ_INVALID_MIN_QUANTITY;
	return 0;
}

static int display_ok(uint8_t d)
{
	return d == 'Y' || d == 'N' || d == 'A';
}

static void set_cur(struct fp_sim_oe *oe, const struct fp_ouch_msg *m, uint32_t owner,
		    uint32_t token, uint8_t mode)
{
	oe->cur = m;
	oe->cur_owner = owner;
	oe->cur_token = token;
	oe->cur_mode = mode;
}

/* FNV-1a of the 14 ClOrdID bytes, never 0 (the free mark). */
static uint64_t clordid_hash(const char id[14])
{
	uint64_t h = 1469598103934665603ull;
	for (int i = 0; i < 14; i++)
		h = (h ^ (uint8_t)id[i]) * 1099511628211ull;
	return h ? h : 1;
}

static bool clordid_insert(uint64_t *set, uint32_t cap, uint64_t h)
{
	for (uint32_t i = (uint32_t)h & (cap - 1);; i = (i + 1) & (cap - 1)) {
		if (set[i] == h)
			return false;
		if (set[i] == 0) {
			set[i] = h;
			return true;
		}
	}
}

/*
 * The venue's check that a client never sends the same order twice: every ClOrdID of an
 * account's Enter and Replace Orders is remembered for the session, and a repeat is counted in
 * its record (the order itself is still accepted: OUCH does not require ClOrdIDs to be unique,
 * which is exactly why a client that resends after a crash would double its position).
 */
static void clordid_note(struct fp_sim_oe_account *a, const char id[14])
{
	if (a->rec.nb_orders * 2 >= a->clordid_cap) { /* keep the load factor below 1/2 */
		uint32_t cap = a->clordid_cap ? a->clordid_cap * 2 : 4096;
		uint64_t *set = calloc(cap, sizeof(*set));
		if (!set)
			return; /* out of memory: the check degrades, the venue goes on */
		for (uint32_t i = 0; i < a->clordid_cap; i++)
			if (a->clordid_set[i])
				clordid_insert(set, cap, a->clordid_set[i]);
		free(a->clordid_set);
		a->clordid_set = set;
		a->clordid_cap = cap;
	}
	a->rec.nb_orders++;
	if (!clordid_insert(a->clordid_set, a->clordid_cap, clordid_hash(id)))
		a->rec.nb_dup_clordid++;
}

static void do_enter(struct fp_sim_oe *oe, struct fp_sim_oe_account *a, uint32_t owner,
		     const struct fp_ouch_msg *m)
{
	if (m->user_ref_num <= a->last_urn) { /* spec 1.2: a retransmission */
		oe->st.nb_ignored++;
		return;
	}
	a->last_urn = m->user_ref_num;
	clordid_note(a, m->cl_ord_id);
	uint16_t reason = check_order_opts(a, m);
	int tif = fp_sim_tif_from_ouch(m->time_in_force);
	uint16_t locate = fp_sim_engine_find_symbol(oe->engine, m->symbol);
	if (reason == 0 && a->disabled)
		reason = FP_OUCH_REJ_OTHER;
	if (reason == 0 && !(m->side == 'B' || m->side == 'S' || m->side == 'T' || m->side == 'E'))
		reason = FP_OUCH_REJ_INVALID_SIDE;
	if (reason == 0 && tif < 0)
		reason = FP_OUCH_REJ_OTHER;
	if (reason == 0 && !display_ok(m->display))
		reason = FP_OUCH_REJ_INVALID_DISPLAY;
	if (reason == 0 && locate == 0)
		reason = FP_OUCH_REJ_INVALID_SYMBOL;
	if (reason) {
		reject(oe, a, m, reason);
		return;
	}
	struct fp_sim_order_req req = {
		.owner = owner,
		.token = m->user_ref_num,
		.firm = a->firm,
		.locate = locate,
		.side = m->side == 'B' ? FP_SIM_BUY : FP_SIM_SELL,
		.tif = (uint8_t)tif,
		.display = m->display,
		.qty = m->quantity,
		.price = m->price,
		.user = pack_user(m->side, m->capacity, m->intermarket_sweep_eligibility,
				  m->cross_type),
	};
	set_cur(oe, m, owner, m->user_ref_num, CUR_ENTER);
	fp_sim_engine_enter(oe->engine, &req, oe->now_ns, NULL);
	set_cur(oe, NULL, 0, 0, CUR_NONE);
}

static void do_replace(struct fp_sim_oe *oe, struct fp_sim_oe_account *a, uint32_t owner,
		       const struct fp_ouch_msg *m)
{
	uint64_t ref = fp_sim_engine_lookup(oe->engine, owner, m->orig_user_ref_num);
	struct fp_sim_order_info info;
	if (m->user_ref_num <= a->last_urn || ref == 0 ||
	    !fp_sim_engine_order(oe->engine, ref, &info)) {
		oe->st.nb_ignored++; /* spec 2.2 case 1: silently ignored, not consumed */
		return;
	}
	a->last_urn = m->user_ref_num;
	clordid_note(a, m->cl_ord_id);
	uint16_t reason = check_order_opts(a, m);
	int tif = fp_sim_tif_from_ouch(m->time_in_force);
	if (reason == 0 && tif < 0)
		reason = FP_OUCH_REJ_OTHER;
	if (reason == 0 && !display_ok(m->display))
		reason = FP_OUCH_REJ_INVALID_DISPLAY;
	if (reason) { /* case 3: the original stays intact, the new UserRefNum is consumed */
		reject(oe, a, m, reason);
		return;
	}
	struct fp_sim_order_req req = {
		.owner = owner,
		.token = m->user_ref_num,
		.firm = a->firm,
		.locate = info.locate,
		.side = info.side,
		.tif = (uint8_t)tif,
		.display = m->display,
		.qty = m->quantity,
		.price = m->price,
		.user = pack_user(user_byte(info.user, 0, info.side), user_byte(info.user, 1, 'A'),
				  m->intermarket_sweep_eligibility, user_byte(info.user, 3, 'N')),
	};
	set_cur(oe, m, owner, m->user_ref_num, CUR_REPLACE);
	fp_sim_engine_replace(oe->engine, ref, &req, oe->now_ns);
	set_cur(oe, NULL, 0, 0, CUR_NONE);
}

static void do_cancel(struct fp_sim_oe *oe, uint32_t owner, const struct fp_ouch_msg *m)
{
	uint64_t ref = fp_sim_engine_lookup(oe->engine, owner, m->user_ref_num);
	if (ref == 0 ||
	    fp_sim_engine_cancel(oe->engine, ref, m->quantity, FP_SIM_CXL_USER, oe->now_ns) == 0)
		oe->st.nb_ignored++; /* spec 2.3: superfluous cancels are silently ignored */
}

static void do_modify(struct fp_sim_oe *oe, struct fp_sim_oe_account *a, uint32_t owner,
		      const struct fp_ouch_msg *m)
{
	uint64_t ref = fp_sim_engine_lookup(oe->engine, owner, m->user_ref_num);
	struct fp_sim_order_info info;
	if (ref == 0 || !fp_sim_engine_order(oe->engine, ref, &info)) {
		oe->st.nb_ignored++;
		return;
	}
	/* Only sell <-> sell short <-> sell short exempt (spec 2.4); more shares: ignored. */
	int side_ok = info.side == FP_SIM_BUY
			      ? m->side == 'B'
			      : (m->side == 'S' || m->side == 'T' || m->side == 'E');
	if (!side_ok || m->quantity > info.open_qty) {
		oe->st.nb_ignored++;
		return;
	}
	set_cur(oe, m, owner, m->user_ref_num, CUR_MODIFY);
	if (m->quantity < info.open_qty)
		fp_sim_engine_cancel(oe->engine, ref, m->quantity, FP_SIM_CXL_USER, oe->now_ns);
	set_cur(oe, NULL, 0, 0, CUR_NONE);
	struct fp_ouch_msg r = {.type = FP_OUCH_ORDER_MODIFIED};
	r.user_ref_num = m->user_ref_num;
	r.side = m->side;
	r.quantity = m->quantity;
	emit(oe, a, &r);
}

static void do_mass_cancel(struct fp_sim_oe *oe, struct fp_sim_oe_account *a, uint32_t owner,
			   const struct fp_ouch_msg *m)
{
	if (m->user_ref_num <= a->last_urn) {
		oe->st.nb_ignored++;
		return;
	}
	a->last_urn = m->user_ref_num;
	int all_symbols = memcmp(m->symbol, "        ", 8) == 0;
	uint16_t locate = all_symbols ? 0 : fp_sim_engine_find_symbol(oe->engine, m->symbol);
	uint8_t side = 0;
	if (fp_ouch_opt_has(&m->opts, FP_OUCH_TAG_SIDE))
		side = m->opts.side == 'B' ? FP_SIM_BUY : FP_SIM_SELL;
	struct fp_ouch_msg r = {.type = FP_OUCH_MASS_CANCEL_RESPONSE, .has_appendage = 1};
	r.user_ref_num = m->user_ref_num;
	memcpy(r.firm, m->firm, 4);
	memcpy(r.symbol, m->symbol, 8);
	r.opts = m->opts;
	emit(oe, a, &r);
	if (all_symbols || locate != 0)
		fp_sim_engine_mass_cancel(oe->engine, owner, locate, side, FP_SIM_CXL_USER,
					  oe->now_ns);
}

static void do_entry_control(struct fp_sim_oe *oe, struct fp_sim_oe_account *a,
			     const struct fp_ouch_msg *m)
{
	if (m->user_ref_num <= a->last_urn) {
		oe->st.nb_ignored++;
		return;
	}
	a->last_urn = m->user_ref_num;
	a->disabled = m->type == FP_OUCH_DISABLE_ORDER_ENTRY;
	struct fp_ouch_msg r = {.has_appendage = 1};
	r.type = a->disabled ? FP_OUCH_DISABLE_ENTRY_RESPONSE : FP_OUCH_ENABLE_ENTRY_RESPONSE;
	r.user_ref_num = m->user_ref_num;
	memcpy(r.firm, m->firm, 4);
	r.opts = m->opts;
	emit(oe, a, &r);
}

static void apply_ouch(struct fp_sim_oe *oe, uint32_t acct_idx, const struct fp_ouch_msg *m)
{
	struct fp_sim_oe_account *a = &oe->accounts[acct_idx];
	uint32_t owner = acct_idx + 1;
	oe->st.nb_msgs_in++;
	switch (m->type) {
	case FP_OUCH_ENTER_ORDER:
		do_enter(oe, a, owner, m);
		break;
	case FP_OUCH_REPLACE_ORDER:
		do_replace(oe, a, owner, m);
		break;
	case FP_OUCH_CANCEL_ORDER:
		do_cancel(oe, owner, m);
		break;
	case FP_OUCH_MODIFY_ORDER:
		do_modify(oe, a, owner, m);
		break;
	case FP_OUCH_MASS_CANCEL:
		do_mass_cancel(oe, a, owner, m);
		break;
	case FP_OUCH_DISABLE_ORDER_ENTRY:
	case FP_OUCH_ENABLE_ORDER_ENTRY:
		do_entry_control(oe, a, m);
		break;
	case FP_OUCH_ACCOUNT_QUERY: {
		struct fp_ouch_msg r = {.type = FP_OUCH_ACCOUNT_QUERY_RESPONSE};
		r.next_user_ref_num = a->last_urn + 1;
		emit(oe, a, &r);
		break;
	}
	default:
		break;
	}
}

/* ---- connections ---- */

static struct fp_sim_oe_conn *conn_at(struct fp_sim_oe *oe, uint32_t idx)
{
	return &oe->conns[idx];
}

static void conn_close(struct fp_sim_oe *oe, struct fp_sim_oe_conn *c)
{
	if (c->state == C_FREE)
		return;
	if (c->state == C_ACTIVE) {
		struct fp_sim_oe_account *a = &oe->accounts[c->account];
		if (a->conn == (uint32_t)(c - oe->conns) + 1)
			a->conn = 0;
		oe->st.nb_logged_in--;
	}
	close(c->fd); /* also leaves the epoll set */
	c->fd = -1;
	c->state = C_FREE;
	oe->st.nb_clients--;
	oe->st.nb_disconnects++;
}

/* Queue @p n bytes; 0, or -1 when the buffer cannot take them (invariant 3). */
static int out_put(struct fp_sim_oe *oe, struct fp_sim_oe_conn *c, const void *p, size_t n)
{
	if (c->out_len + n > oe->out_buf && c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + n > oe->out_buf)
		return -1;
	memcpy(c->out + c->out_len, p, n);
	c->out_len += (uint32_t)n;
	c->last_tx_ms = oe->now_ms;
	return 0;
}

/* Copy history[send_seq, next_seq) into the output buffer while it has room. */
static unsigned conn_fill(struct fp_sim_oe *oe, struct fp_sim_oe_conn *c)
{
	struct fp_sim_oe_account *a = &oe->accounts[c->account];
	unsigned nb = 0;
	if (c->send_seq < oldest_seq(oe, a)) { /* invariant (2) */
		oe->st.nb_slow_readers++;
		conn_close(oe, c);
		return 0;
	}
	while (c->send_seq < a->next_seq) {
		const uint8_t *slot = a->hist + ((c->send_seq - 1) % oe->history) * SLOT_SIZE;
		uint8_t pkt[SLOT_SIZE + FP_SOUP_HDR_SIZE];
		fp_soup_put_hdr(pkt, FP_SOUP_SEQUENCED, slot[0]);
		memcpy(pkt + FP_SOUP_HDR_SIZE, slot + 1, slot[0]);
		if (out_put(oe, c, pkt, FP_SOUP_HDR_SIZE + slot[0]) < 0)
			break;
		if (c->send_seq < c->replay_until)
			oe->st.nb_replayed++;
		c->send_seq++;
		oe->st.nb_sent++;
		nb++;
	}
	return nb;
}

/* One send of the pending output. */
static void conn_flush(struct fp_sim_oe *oe, struct fp_sim_oe_conn *c)
{
	if (c->out_off == c->out_len)
		return;
	ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n > 0) {
		c->out_off += (uint32_t)n;
		if (c->out_off == c->out_len)
			c->out_off = c->out_len = 0;
		c->stall_ms = 0;
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		if (c->stall_ms == 0)
			c->stall_ms = oe->now_ms;
		return;
	}
	conn_close(oe, c); /* peer reset */
}

static struct fp_sim_oe_account *find_account(struct fp_sim_oe *oe, const char *user)
{
	for (uint32_t i = 0; i < oe->nb_accounts; i++)
		if (strcmp(oe->accounts[i].user.username, user) == 0)
			return &oe->accounts[i];
	return NULL;
}

static void login_reject(struct fp_sim_oe *oe, struct fp_sim_oe_conn *c, uint8_t reason)
{
	uint8_t b[8];
	size_t n = fp_soup_build_login_rejected(b, sizeof(b), reason);
	out_put(oe, c, b, n);
	oe->st.nb_login_rejected++;
	c->state = C_CLOSING;
}

static void do_login(struct fp_sim_oe *oe, struct fp_sim_oe_conn *c, const struct fp_soup_pkt *p)
{
	struct fp_soup_login l;
	if (fp_soup_parse_login_request(p, &l) != 0) {
		oe->st.nb_bad_framing++;
		conn_close(oe, c);
		return;
	}
	struct fp_sim_oe_account *a = find_account(oe, l.username);
	if (a == NULL || strcmp(a->user.password, l.password) != 0) {
		login_reject(oe, c, FP_SOUP_REJECT_NOT_AUTHORIZED);
		return;
	}
	char session[FP_SOUP_SESSION_LEN + 1];
	fp_soup_get_alpha(session, oe->session, FP_SOUP_SESSION_LEN);
	uint64_t start = l.sequence_number;
	if (start == 0 || start > a->next_seq)
		start = a->next_seq;
	if ((l.session[0] && strcmp(l.session, session) != 0) || start < oldest_seq(oe, a)) {
		login_reject(oe, c, FP_SOUP_REJECT_NO_SESSION);
		return;
	}
	uint32_t idx = (uint32_t)(c - oe->conns);
	if (a->conn != 0 && a->conn != idx + 1) {
		oe->st.nb_takeovers++;
		conn_close(oe, conn_at(oe, a->conn - 1));
	}
	a->conn = idx + 1;
	c->account = (uint32_t)(a - oe->accounts);
	c->state = C_ACTIVE;
	c->send_seq = start;
	c->replay_until = a->next_seq;
	oe->st.nb_logins++;
	oe->st.nb_logged_in++;
	uint8_t b[64];
	size_t n = fp_soup_build_login_accepted(b, sizeof(b), session, start);
	out_put(oe, c, b, n);
}

/* Parse and apply every whole packet in the rx buffer (at most FP_SOUP_RX_BUF / 3). */
static unsigned conn_input(struct fp_sim_oe *oe, struct fp_sim_oe_conn *c)
{
	struct fp_soup_pkt p;
	enum fp_soup_rc rc;
	unsigned nb = 0;
	while (c->state == C_LOGIN || c->state == C_ACTIVE) {
		rc = fp_soup_rx_next(c->rx, &p);
		if (rc == FP_SOUP_NEED_MORE)
			break;
		if (rc != FP_SOUP_OK) {
			oe->st.nb_bad_framing++;
			conn_close(oe, c);
			break;
		}
		nb++;
		if (p.type == FP_SOUP_CLIENT_HEARTBEAT || p.type == FP_SOUP_DEBUG)
			continue;
		if (c->state == C_LOGIN) {
			if (p.type == FP_SOUP_LOGIN_REQUEST) {
				do_login(oe, c, &p);
			} else {
				oe->st.nb_bad_ouch++; /* data before login */
				conn_close(oe, c);
			}
			continue;
		}
		if (p.type == FP_SOUP_LOGOUT_REQUEST) {
			oe->st.nb_logouts++;
			conn_close(oe, c);
			break;
		}
		struct fp_ouch_msg m;
		if (p.type != FP_SOUP_UNSEQUENCED ||
		    fp_ouch_decode(FP_OUCH_INBOUND, p.payload, p.payload_len, &m) != FP_OUCH_OK) {
			oe->st.nb_bad_ouch++; /* second login, or malformed OUCH */
			conn_close(oe, c);
			break;
		}
		apply_ouch(oe, c->account, &m);
	}
	return nb;
}

static void conn_read(struct fp_sim_oe *oe, struct fp_sim_oe_conn *c)
{
	size_t room;
	uint8_t *w = fp_soup_rx_space(c->rx, &room);
	ssize_t n = recv(c->fd, w, room, MSG_DONTWAIT);
	if (n > 0) {
		if (oe->stamp_recv) { /* venue-side tick-to-trade (fp_sim_trigger.h) */
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			oe->recv_mono_ns =
				(uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		}
		fp_soup_rx_commit(c->rx, (size_t)n);
		c->last_rx_ms = oe->now_ms;
		conn_input(oe, c);
	} else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		conn_close(oe, c); /* peer closed or reset */
	}
}

static void conn_accept(struct fp_sim_oe *oe)
{
	for (int k = 0; k < 8; k++) {
		int fd = accept4(oe->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		oe->st.nb_connections++;
		uint32_t i;
		for (i = 0; i < oe->max_clients; i++)
			if (oe->conns[i].state == C_FREE)
				break;
		if (i == oe->max_clients) {
			oe->st.nb_refused++;
			close(fd);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (oe->sock_sndbuf) {
			int sz = (int)oe->sock_sndbuf;
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		}
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i + 1};
		if (epoll_ctl(oe->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			continue;
		}
		struct fp_sim_oe_conn *c = &oe->conns[i];
		c->fd = fd;
		c->state = C_LOGIN;
		c->out_off = c->out_len = 0;
		c->open_ms = c->last_rx_ms = c->last_tx_ms = oe->now_ms;
		c->stall_ms = 0;
		c->send_seq = c->replay_until = 0;
		fp_soup_rx_init(c->rx, FP_SOUP_FROM_CLIENT, FP_OUCH_MAX_MSG);
		oe->st.nb_clients++;
	}
}

/* Timers, replay/live output and one send for every open connection. */
static unsigned conns_service(struct fp_sim_oe *oe)
{
	unsigned work = 0;
	for (uint32_t i = 0; i < oe->max_clients; i++) {
		struct fp_sim_oe_conn *c = &oe->conns[i];
		if (c->state == C_FREE)
			continue;
		if (c->state == C_CLOSING) {
			conn_flush(oe, c);
			conn_close(oe, c);
			continue;
		}
		if (oe->now_ms - c->last_rx_ms >= oe->timeout_ms ||
		    (c->state == C_LOGIN && oe->now_ms - c->open_ms >= oe->timeout_ms)) {
			oe->st.nb_timeouts++;
			conn_close(oe, c);
			continue;
		}
		if (c->stall_ms != 0 && oe->now_ms - c->stall_ms >= oe->timeout_ms) {
			oe->st.nb_slow_readers++;
			conn_close(oe, c);
			continue;
		}
		if (c->state == C_ACTIVE) {
			work += conn_fill(oe, c);
			if (c->state == C_FREE)
				continue;
			if (c->out_off == c->out_len &&
			    oe->now_ms - c->last_tx_ms >= oe->heartbeat_ms) {
				uint8_t hb[FP_SOUP_HDR_SIZE];
				fp_soup_build_empty(hb, sizeof(hb), FP_SOUP_SERVER_HEARTBEAT);
				out_put(oe, c, hb, sizeof(hb));
				oe->st.nb_heartbeats++;
			}
		}
		conn_flush(oe, c);
	}
	return work;
}

void fp_sim_oe_set_time(struct fp_sim_oe *oe, uint64_t ts_ns)
{
	oe->now_ns = ts_ns;
}

unsigned fp_sim_oe_poll(struct fp_sim_oe *oe)
{
	if (oe->ended)
		return 0;
	oe->now_ms = mono_ms(); /* timeouts and heartbeats only; now_ns is the session clock */
	struct epoll_event evs[FP_SIM_OE_EVENTS];
	int n = epoll_wait(oe->epoll_fd, evs, FP_SIM_OE_EVENTS, 0);
	unsigned work = 0;
	for (int k = 0; k < n; k++) {
		uint32_t id = evs[k].data.u32;
		work++;
		if (id == 0) {
			conn_accept(oe);
			continue;
		}
		struct fp_sim_oe_conn *c = &oe->conns[id - 1];
		if (c->state == C_LOGIN || c->state == C_ACTIVE)
			conn_read(oe, c);
	}
	return work + conns_service(oe);
}

/* ---- lifecycle ---- */

static int valid_user(const struct fp_sim_oe_user *u)
{
	size_t f = strlen(u->firm);
	return u->username[0] && strlen(u->username) <= FP_SOUP_USERNAME_LEN && u->password[0] &&
	       strlen(u->password) <= FP_SOUP_PASSWORD_LEN && (f == 0 || f == 4) &&
	       !strchr(u->username, ' ') && !strchr(u->password, ' ');
}

int fp_sim_oe_init(struct fp_sim_oe *oe, const struct fp_sim_oe_cfg *cfg,
		   struct fp_sim_engine *engine)
{
	static const struct fp_sim_oe_user dflt = {
		FP_SIM_OE_DEFAULT_USER, FP_SIM_OE_DEFAULT_PASSWORD, FP_SIM_OE_DEFAULT_FIRM};
	memset(oe, 0, sizeof(*oe));
	oe->listen_fd = oe->epoll_fd = -1;
	oe->engine = engine;
	const struct fp_sim_oe_user *users = cfg->nb_users ? cfg->users : &dflt;
	uint32_t nb_users = cfg->nb_users ? cfg->nb_users : 1;
	if (engine == NULL || (cfg->nb_users && cfg->users == NULL))
		return fp_err_set(-EINVAL, "order entry: no engine or no user table");
	if (nb_users > FP_SIM_OE_MAX_USERS)
		return fp_err_set(-EINVAL, "order entry: %u users, at most %u", nb_users,
				  FP_SIM_OE_MAX_USERS);
	const char *session = cfg->session && cfg->session[0] ? cfg->session : "FPSIM00001";
	if (strlen(session) > FP_SOUP_SESSION_LEN || session[0] == '\0')
		return fp_err_set(-EINVAL, "order entry: session name '%s' must be 1..%d chars",
				  session, FP_SOUP_SESSION_LEN);
	fp_soup_put_alpha(oe->session, session, FP_SOUP_SESSION_LEN);
	oe->max_clients = cfg->max_clients ? cfg->max_clients : 64;
	oe->history = cfg->history ? cfg->history : 65536;
	oe->out_buf = cfg->out_buf ? cfg->out_buf : 65536;
	oe->heartbeat_ms = cfg->heartbeat_ms ? cfg->heartbeat_ms : FP_SOUP_HEARTBEAT_MS;
	oe->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : FP_SOUP_TIMEOUT_MS;
	oe->sock_sndbuf = cfg->sock_sndbuf;
	if (oe->max_clients > 4096 || oe->out_buf < 1024 || oe->history > (1u << 24))
		return fp_err_set(-EINVAL,
				  "order entry: max_clients <= 4096, out_buf >= 1024, "
				  "history <= 16M (got %u, %u, %u)",
				  oe->max_clients, oe->out_buf, oe->history);
	int rc = -ENOMEM;
	oe->accounts = calloc(nb_users, sizeof(*oe->accounts));
	oe->conns = calloc(oe->max_clients, sizeof(*oe->conns));
	if (!oe->accounts || !oe->conns)
		goto err;
	oe->nb_accounts = nb_users;
	for (uint32_t i = 0; i < nb_users; i++) {
		struct fp_sim_oe_account *a = &oe->accounts[i];
		if (!valid_user(&users[i])) {
			rc = fp_err_set(-EINVAL,
					"order entry: user %u: username 1..6, password 1..10 "
					"chars without spaces, firm empty or 4 letters",
					i);
			goto err;
		}
		if (find_account(oe, users[i].username) != NULL) {
			rc = fp_err_set(-EINVAL, "order entry: user '%s' twice", users[i].username);
			goto err;
		}
		a->user = users[i];
		a->firm = fp_sim_firm(a->user.firm);
		a->next_seq = 1;
		a->hist = malloc((size_t)oe->history * SLOT_SIZE);
		if (!a->hist)
			goto err;
	}
	for (uint32_t i = 0; i < oe->max_clients; i++) {
		oe->conns[i].fd = -1;
		oe->conns[i].out = malloc(oe->out_buf);
		oe->conns[i].rx = malloc(sizeof(struct fp_soup_rx));
		if (!oe->conns[i].out || !oe->conns[i].rx)
			goto err;
	}
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(cfg->port)};
	const char *addr = cfg->bind_addr ? cfg->bind_addr : "127.0.0.1";
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		rc = fp_err_set(-EINVAL, "order entry: bad bind address '%s'", addr);
		goto err;
	}
	oe->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (oe->listen_fd < 0) {
		rc = fp_err_set(-errno, "order entry: socket: %s", strerror(errno));
		goto err;
	}
	int one = 1;
	setsockopt(oe->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(oe->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(oe->listen_fd, 64) < 0) {
		rc = fp_err_set(-errno, "order entry: cannot listen on %s:%u: %s", addr,
				(unsigned)cfg->port, strerror(errno));
		goto err;
	}
	socklen_t sl = sizeof(sa);
	getsockname(oe->listen_fd, (struct sockaddr *)&sa, &sl);
	oe->port = ntohs(sa.sin_port);
	oe->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 0};
	if (oe->epoll_fd < 0 || epoll_ctl(oe->epoll_fd, EPOLL_CTL_ADD, oe->listen_fd, &ev) < 0) {
		rc = fp_err_set(-errno, "order entry: epoll: %s", strerror(errno));
		goto err;
	}
	oe->now_ms = mono_ms();
	oe->now_ns = 0; /* fp_sim_oe_set_time() */
	return 0;
err:
	if (rc == -ENOMEM)
		fp_err_set(rc, "order entry: out of memory for %u clients, %u users",
			   oe->max_clients, nb_users);
	fp_sim_oe_fini(oe);
	return rc;
}

void fp_sim_oe_end_session(struct fp_sim_oe *oe)
{
	if (oe == NULL || oe->ended || oe->conns == NULL)
		return;
	oe->now_ms = mono_ms();
	for (uint32_t i = 0; i < oe->max_clients; i++) {
		struct fp_sim_oe_conn *c = &oe->conns[i];
		if (c->state == C_FREE)
			continue;
		if (c->state == C_ACTIVE) {
			conn_fill(oe, c);
			if (c->state == C_FREE)
				continue;
			uint8_t z[FP_SOUP_HDR_SIZE];
			fp_soup_build_empty(z, sizeof(z), FP_SOUP_END_OF_SESSION);
			out_put(oe, c, z, sizeof(z));
		}
		conn_flush(oe, c);
		conn_close(oe, c);
	}
	oe->ended = 1;
}

void fp_sim_oe_fini(struct fp_sim_oe *oe)
{
	if (oe == NULL)
		return;
	fp_sim_oe_end_session(oe);
	if (oe->conns) {
		for (uint32_t i = 0; i < oe->max_clients; i++) {
			free(oe->conns[i].out);
			free(oe->conns[i].rx);
		}
	}
	if (oe->accounts)
		for (uint32_t i = 0; i < oe->nb_accounts; i++) {
			free(oe->accounts[i].hist);
			free(oe->accounts[i].clordid_set);
		}
	free(oe->conns);
	free(oe->accounts);
	oe->conns = NULL;
	oe->accounts = NULL;
	if (oe->epoll_fd >= 0)
		close(oe->epoll_fd);
	if (oe->listen_fd >= 0)
		close(oe->listen_fd);
	oe->epoll_fd = oe->listen_fd = -1;
}

uint16_t fp_sim_oe_port(const struct fp_sim_oe *oe)
{
	return oe->port;
}

const struct fp_sim_oe_stats *fp_sim_oe_stats(const struct fp_sim_oe *oe)
{
	return &oe->st;
}

uint64_t fp_sim_oe_next_seq(const struct fp_sim_oe *oe, const char *user)
{
	for (uint32_t i = 0; i < oe->nb_accounts; i++)
		if (strcmp(oe->accounts[i].user.username, user) == 0)
			return oe->accounts[i].next_seq;
	return 0;
}

bool fp_sim_oe_account_record(const struct fp_sim_oe *oe, uint32_t idx,
			      struct fp_sim_oe_record *rec, const char **username)
{
	if (idx >= oe->nb_accounts)
		return false;
	*rec = oe->accounts[idx].rec;
	*username = oe->accounts[idx].user.username;
	return true;
}

/* ---- for another front end (fp_sim_fix.c) ---- */

int fp_sim_oe_account_find(const struct fp_sim_oe *oe, const char *user, const char *password)
{
	for (uint32_t i = 0; i < oe->nb_accounts; i++)
		if (strcmp(oe->accounts[i].user.username, user) == 0)
			return strcmp(oe->accounts[i].user.password, password) == 0 ? (int)i : -1;
	return -1;
}

void fp_sim_oe_apply(struct fp_sim_oe *oe, uint32_t idx, const struct fp_ouch_msg *m)
{
	if (idx < oe->nb_accounts)
		apply_ouch(oe, idx, m);
}

const uint8_t *fp_sim_oe_history(const struct fp_sim_oe *oe, uint32_t idx, uint64_t seq,
				 size_t *len)
{
	if (idx >= oe->nb_accounts)
		return NULL;
	const struct fp_sim_oe_account *a = &oe->accounts[idx];
	if (seq >= a->next_seq || seq < oldest_seq(oe, a))
		return NULL;
	const uint8_t *slot = a->hist + ((seq - 1) % oe->history) * SLOT_SIZE;
	*len = slot[0];
	return slot + 1;
}

uint64_t fp_sim_oe_account_next_seq(const struct fp_sim_oe *oe, uint32_t idx)
{
	return idx < oe->nb_accounts ? oe->accounts[idx].next_seq : 0;
}

uint32_t fp_sim_oe_account_last_urn(const struct fp_sim_oe *oe, uint32_t idx)
{
	return idx < oe->nb_accounts ? oe->accounts[idx].last_urn : 0;
}
