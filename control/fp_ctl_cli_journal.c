/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_cli_journal.c - `fastpath-ctl journal ...`: offline commands over journal files
 * (store/fp_store_journal.h; record payloads in shm/fp_journal.h). They need no running
 * instance. fastpath-ctl process only; reads files, prints.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fp_ctl_cli.h"
#include "fp_err.h"
#include "fp_event.h"
#include "fp_gw.h"
#include "fp_journal.h"
#include "fp_shm_ctl.h"
#include "fp_store_journal.h"

/* One output line: " key=value" pairs in text, "key": value members in JSON. */
struct jline {
	FILE *f;
	int json;
	int first;
};

static void jl_begin(struct jline *l)
{
	l->first = 1;
	if (l->json)
		fputc('{', l->f);
}

static void jl_end(struct jline *l)
{
	fputs(l->json ? "}\n" : "\n", l->f);
}

static void jl_key(struct jline *l, const char *key)
{
	if (l->json)
		fprintf(l->f, "%s\"%s\": ", l->first ? "" : ", ", key);
	else if (key[0])
		fprintf(l->f, "%s%s=", l->first ? "" : " ", key);
	else if (!l->first)
		fputc(' ', l->f);
	l->first = 0;
}

static void jl_u64(struct jline *l, const char *key, uint64_t v)
{
	jl_key(l, key);
	fprintf(l->f, "%" PRIu64, v);
}

static void jl_i64(struct jline *l, const char *key, int64_t v)
{
	jl_key(l, key);
	fprintf(l->f, "%" PRId64, v);
}

/* Price(4) (or price units) as a decimal with 4 places. */
static void jl_px(struct jline *l, const char *key, int64_t v)
{
	uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	jl_key(l, key);
	fprintf(l->f, "%s%" PRIu64 ".%04" PRIu64, v < 0 ? "-" : "", a / 10000, a % 10000);
}

/* A string of at most @n bytes (stops at NUL), quoted in JSON (and in text when it has
 * spaces or is empty), escaped. */
static void jl_strn(struct jline *l, const char *key, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	int quote = l->json || len == 0 || memchr(s, ' ', len) || memchr(s, '=', len);
	jl_key(l, key);
	if (quote)
		fputc('"', l->f);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\')
			fprintf(l->f, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(l->f, "\\u%04x", ch);
		else
			fputc(ch, l->f);
	}
	if (quote)
		fputc('"', l->f);
}

static void jl_str(struct jline *l, const char *key, const char *s)
{
	jl_strn(l, key, s, strlen(s));
}

static void jl_chr(struct jline *l, const char *key, uint8_t c)
{
	char s[2] = {c >= 0x20 && c < 0x7f ? (char)c : '?', '\0'};
	jl_str(l, key, s);
}

/* Stock name without its space padding. */
static void jl_stock(struct jline *l, const char *key, const char s[8])
{
	size_t n = strnlen(s, 8);
	while (n > 0 && s[n - 1] == ' ')
		n--;
	jl_strn(l, key, s, n);
}

static void jl_time(struct jline *l, const char *key, uint64_t ns)
{
	time_t t = (time_t)(ns / 1000000000u);
	struct tm tm;
	char buf[40];
	gmtime_r(&t, &tm);
	size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof(buf) - n, ".%06" PRIu64 "Z", ns % 1000000000u / 1000u);
	jl_str(l, key, buf);
}

static const char *src_name(uint16_t src)
{
	static const char *const names[] = {"none", "risk", "gw", "ctl", "store"};
	return src < FP_ARRAY_SIZE(names) ? names[src] : "?";
}

static const char *type_name(uint16_t type)
{
	switch (type) {
	case FP_EV_ORDER_NEW:
		return "order_new";
	case FP_EV_ORDER_CANCEL:
		return "order_cancel";
	case FP_EV_ORDER_REPLACE:
		return "order_replace";
	case FP_EV_ORDER_MASS_CANCEL:
		return "order_mass_cancel";
	case FP_EV_EXEC_ACCEPTED:
		return "exec_accepted";
	case FP_EV_EXEC_FILL:
		return "exec_fill";
	case FP_EV_EXEC_CANCELED:
		return "exec_canceled";
	case FP_EV_EXEC_REJECTED:
		return "exec_rejected";
	case FP_EV_EXEC_REPLACED:
		return "exec_replaced";
	case FP_EV_EXEC_CANCEL_REJECT:
		return "exec_cancel_reject";
	case FP_EV_RISK_REJECT:
		return "risk_reject";
	case FP_EV_CONTROL:
		return "control";
	case FP_JRNL_REC_CTL_CHANGE:
		return "ctl_change";
	case FP_JRNL_REC_STORE_START:
		return "store_start";
	case FP_JRNL_REC_POS_SNAPSHOT:
		return "pos_snapshot";
	case FP_JRNL_REC_PNL_SNAPSHOT:
		return "pnl_snapshot";
	}
	return NULL;
}

static const char *ctl_command_name(uint32_t cmd)
{
	switch (cmd) {
	case FP_JRNL_CTL_BREAKER_TRIP:
		return "breaker_trip";
	case FP_JRNL_CTL_BREAKER_RESET:
		return "breaker_reset";
	case FP_JRNL_CTL_SESSION:
		return "session";
	case FP_EV_CTL_VENUE_DOWN:
		return "venue_down";
	case FP_EV_CTL_VENUE_UP:
		return "venue_up";
	}
	return NULL;
}

static void dump_event(struct jline *l, const struct fp_event *ev, uint16_t src)
{
	jl_u64(l, "sym", ev->symbol_id);
	if (ev->type >= FP_EV_ORDER_NEW && ev->type <= FP_EV_ORDER_MASS_CANCEL) {
		const struct fp_ev_order *o = &ev->u.order;
		jl_u64(l, "coid", o->client_order_id);
		jl_chr(l, "side", o->side);
		jl_u64(l, "qty", o->shares);
		jl_px(l, "price", o->price);
		jl_u64(l, "strategy", o->strategy_id);
		jl_u64(l, "tif", o->tif);
		if (o->orig_client_order_id)
			jl_u64(l, "orig_coid", o->orig_client_order_id);
		if (src == FP_JRNL_SRC_GW)
			jl_u64(l, "urn", ev->seq);
	} else if (ev->type >= FP_EV_EXEC_ACCEPTED && ev->type <= FP_EV_EXEC_CANCEL_REJECT) {
		const struct fp_ev_exec *x = &ev->u.exec;
		jl_u64(l, "coid", x->client_order_id);
		jl_chr(l, "side", x->side);
		jl_u64(l, "shares", x->shares);
		jl_px(l, "price", x->price);
		jl_u64(l, "leaves", x->leaves_shares);
		jl_u64(l, "match", x->match_number);
		jl_u64(l, "strategy", x->strategy_id);
		if (ev->type == FP_EV_EXEC_REJECTED && fp_gw_reject_name(x->reason))
			jl_str(l, "reason", fp_gw_reject_name(x->reason)); /* the gateway's own */
		else if (ev->type == FP_EV_EXEC_REJECTED && x->reason)
			jl_u64(l, "reason", x->reason); /* the venue's (OUCH Appendix C, numeric) */
		else if (x->reason)
			jl_chr(l, "reason", x->reason);
		jl_u64(l, "soup_seq", ev->seq);
		if (ev->flags & FP_EVF_REPLAY)
			jl_u64(l, "replay", 1);
	} else if (ev->type == FP_EV_RISK_REJECT) {
		const struct fp_ev_risk_reject *r = &ev->u.reject;
		jl_u64(l, "coid", r->client_order_id);
		jl_chr(l, "side", r->side);
		jl_u64(l, "qty", r->shares);
		jl_px(l, "price", r->price);
		jl_u64(l, "strategy", r->strategy_id);
		jl_u64(l, "reason", r->reason);
		jl_str(l, "order_type", type_name(r->order_type) ? type_name(r->order_type) : "?");
	} else if (ev->type == FP_EV_CONTROL) {
		const struct fp_ev_control *c = &ev->u.control;
		const char *name = ctl_command_name(c->command);
		if (name)
			jl_str(l, "command", name);
		else
			jl_u64(l, "command", c->command);
		jl_u64(l, "arg", c->arg);
		jl_u64(l, "value", c->value);
		jl_strn(l, "text", c->text, sizeof(c->text));
	} else {
		jl_u64(l, "event_seq", ev->seq);
	}
}

static void dump_record(struct jline *l, const struct fp_store_record *r)
{
	const char *tn = type_name(r->type);

	jl_begin(l);
	jl_u64(l, "seq", r->seq);
	jl_u64(l, "offset", r->offset);
	jl_str(l, "producer", src_name(r->flags));
	if (tn)
		jl_str(l, "type", tn);
	else
		jl_u64(l, "type", r->type);
	if (r->type < 0x100 && r->len == sizeof(struct fp_event)) {
		struct fp_event ev;
		memcpy(&ev, r->payload, sizeof(ev));
		dump_event(l, &ev, r->flags);
	} else if (r->type == FP_JRNL_REC_CTL_CHANGE &&
		   r->len == sizeof(struct fp_shm_ctl_change)) {
		struct fp_shm_ctl_change ch;
		memcpy(&ch, r->payload, sizeof(ch));
		jl_u64(l, "change", ch.seq);
		const char *what = fp_shm_ctl_what_str(ch.what);
		jl_str(l, "what", what ? what : "?");
		jl_u64(l, "old", ch.old_value);
		jl_u64(l, "new", ch.new_value);
		jl_strn(l, "who", ch.who, sizeof(ch.who));
		jl_i64(l, "pid", ch.pid);
		jl_time(l, "time", ch.time_ns);
		jl_strn(l, "reason", ch.reason, sizeof(ch.reason));
	} else if (r->type == FP_JRNL_REC_STORE_START &&
		   r->len == sizeof(struct fp_jrnl_store_start)) {
		struct fp_jrnl_store_start s;
		memcpy(&s, r->payload, sizeof(s));
		jl_time(l, "time", s.time_ns);
		jl_i64(l, "pid", s.pid);
		jl_u64(l, "version", s.version);
		jl_u64(l, "records_before", s.records);
	} else if (r->type == FP_JRNL_REC_POS_SNAPSHOT &&
		   r->len == sizeof(struct fp_jrnl_pos_snapshot)) {
		struct fp_jrnl_pos_snapshot p;
		memcpy(&p, r->payload, sizeof(p));
		jl_time(l, "time", p.time_ns);
		jl_u64(l, "strategy", p.strategy_id);
		jl_u64(l, "sym", p.symbol_id);
		jl_stock(l, "stock", p.stock);
		jl_i64(l, "position", p.position);
		jl_px(l, "cost", p.cost);
		jl_px(l, "realized", p.realized);
		jl_px(l, "unreal", p.unreal);
		jl_px(l, "mark", p.mark);
	} else if (r->type == FP_JRNL_REC_PNL_SNAPSHOT &&
		   r->len == sizeof(struct fp_jrnl_pnl_snapshot)) {
		struct fp_jrnl_pnl_snapshot p;
		memcpy(&p, r->payload, sizeof(p));
		jl_time(l, "time", p.time_ns);
		if (p.strategy_id == FP_JRNL_PNL_FIRM)
			jl_str(l, "strategy", "firm");
		else
			jl_u64(l, "strategy", p.strategy_id);
		jl_u64(l, "fills", p.nb_fills);
		jl_u64(l, "fill_shares", p.fill_shares);
		jl_px(l, "realized", p.realized);
		jl_px(l, "unreal", p.unreal);
		jl_px(l, "gross", p.gross);
		jl_px(l, "net", p.net);
	} else {
		jl_u64(l, "len", r->len);
	}
	jl_end(l);
}

const char fp_cli_journal_dump_help[] =
	"One line per record: seq, offset, producer (risk, gw, ctl, store), type, then its\n"
	"fields: orders coid/side/qty/price/strategy/urn (UserRefNum), executions coid/shares/\n"
	"price/leaves/match/soup_seq, control changes what/old/new/who/reason, snapshots.\n"
	"A last line '# end:' gives the record count and the tail: clean, torn (a write cut\n"
	"by a crash; the store truncates it at its next open) or damaged.\n"
	"--json prints the same as one JSON object per line.\n"
	"Exit: 0 clean or torn tail, 1 damaged or unreadable file, 2 bad arguments.\n";

/* journal dump FILE */
int fp_cli_journal_dump(struct fp_cli *c)
{
	struct fp_store_journal_iter it;
	struct fp_store_record rec, found;
	struct jline l = {.f = stdout, .json = c->json};
	uint64_t n = 0;
	int rc;

	if (c->argc != 1)
		return fp_cli_fail(FP_CLI_USAGE, "usage: journal dump FILE [--json]");
	if (fp_store_journal_iter_open(&it, c->argv[0]) < 0)
		return fp_cli_fail(FP_CLI_FAILED, "%s", fp_err_msg());
	if (!c->json)
		printf("# journal %s: instance '%s', created ", c->argv[0], it.instance);
	if (!c->json) {
		l.first = 1;
		jl_time(&l, "", it.created_ns);
		printf("\n");
	}
	while ((rc = fp_store_journal_iter_next(&it, &rec)) == 1) {
		dump_record(&l, &rec);
		n++;
	}
	int code = FP_CLI_OK;
	jl_begin(&l);
	if (!l.json)
		fputs("# end:", l.f), l.first = 0;
	jl_u64(&l, "records", n);
	if (rc == 0) {
		jl_str(&l, "tail", "clean");
	} else if (fp_store_journal_iter_torn(&it, &found)) {
		/* A crash in the middle of a write: the store's next open cuts it. */
		jl_str(&l, "tail", "torn");
		jl_u64(&l, "torn_offset", it.off);
		jl_u64(&l, "torn_bytes", it.size - it.off);
	} else {
		jl_str(&l, "tail", "damaged");
		jl_u64(&l, "damage_offset", it.off);
		jl_u64(&l, "expected_seq", it.last_seq + 1);
		code = FP_CLI_FAILED;
	}
	jl_end(&l);
	fflush(stdout);
	if (code != FP_CLI_OK)
		fp_cli_fail(code, "%s: %s%s", c->argv[0], fp_err_msg(),
			    found.seq ? ": valid records follow, the journal is damaged" : "");
	fp_store_journal_iter_close(&it);
	return code;
}
