/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_md_dump.c - `fastpath-md dump`: one JSON line per ITCH 5.0 message of a file, then a
 * summary line (issue 3).
 *
 * CLI process only (prints to stdout, warnings and bad messages to stderr). Field names are
 * the spec's in snake_case, taken from proto/fp_itch.h's descriptor table so that the dump
 * cannot drift from the codec. Output of one message:
 *
 *   {"type": "A", "seq": 14757721, "stock_locate": 5528, "tracking_number": 0,
 *    "timestamp": 34199999894278, "order_reference_number": 23508286, "buy_sell_indicator": "B",
 *    "shares": 1600, "stock": "IVOO", "price": 873900, "price_str": "87.3900"}
 *
 * Alpha fields are JSON strings with the right padding removed (Alpha(1) fields are kept as
 * they are, so a blank stays " "); every Price(4)/Price(8) field X is printed as the integer X
 * and the decimal string X_str ("price_str" for "price"). "seq" appears where the file gives a
 * MoldUDP64 sequence number, "duplicate":true on a message already seen in its session.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fp_ctl_md.h"
#include "fp_err.h"
#include "fp_opt.h"

/* Bad messages echoed to stderr before going quiet (all are counted in the summary). */
#define DUMP_MAX_ERROR_LINES 10

struct dump_ctx {
	FILE *out;
	uint8_t want[256]; /**< --type filter; all ones when absent */
	uint64_t printed;
	uint64_t error_lines;
	int warned_zero_len;
	const char *path;
};

static void json_str(FILE *out, const char *s, size_t n)
{
	fputc('"', out);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7F)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void print_field(FILE *out, const struct fp_itch_field *fd, const uint8_t *msg)
{
	const uint8_t *p = msg + fd->offset;
	char num[32];
	fprintf(out, ", \"%s\": ", fd->name);
	switch (fd->kind) {
	case FP_ITCH_KIND_CHAR:
		json_str(out, (const char *)p, 1);
		return;
	case FP_ITCH_KIND_STR: {
		size_t n = fd->size;
		while (n > 0 && p[n - 1] == ' ')
			n--;
		json_str(out, (const char *)p, n);
		return;
	}
	case FP_ITCH_KIND_U16:
		fprintf(out, "%" PRIu16, fp_get_be16(p));
		return;
	case FP_ITCH_KIND_U32:
		fprintf(out, "%" PRIu32, fp_get_be32(p));
		return;
	case FP_ITCH_KIND_U64:
		fprintf(out, "%" PRIu64, fp_get_be64(p));
		return;
	case FP_ITCH_KIND_P4:
	case FP_ITCH_KIND_P8: {
		int p8 = fd->kind == FP_ITCH_KIND_P8;
		uint64_t v = p8 ? fp_get_be64(p) : fp_get_be32(p);
		fp_itch_price_str(num, sizeof(num), v, p8 ? 8 : 4);
		fprintf(out, "%" PRIu64 ", \"%s_str\": \"%s\"", v, fd->name, num);
		return;
	}
	default:
		fputs("null", out);
	}
}

static int dump_one(void *arg, const struct fp_ctl_md_msg *m)
{
	struct dump_ctx *c = arg;
	if (m->result != FP_ITCH_OK) {
		if (c->error_lines++ < DUMP_MAX_ERROR_LINES) {
			fprintf(stderr, "fastpath-md: %s: offset %" PRIu64 ": %s message", c->path,
				m->offset, fp_itch_result_str(m->result));
			if (m->len > 0)
				fprintf(stderr, " (type 0x%02x, %" PRIu32 " bytes)", m->msg[0],
					m->len);
			if (m->has_seq)
				fprintf(stderr, " at seq %" PRIu64, m->seq);
			fputc('\n', stderr);
		}
		return 0;
	}
	if (!c->warned_zero_len && m->session == NULL && fp_get_be16(m->msg - 2) == 0) {
		c->warned_zero_len = 1;
		fprintf(stderr,
			"fastpath-md: warning: %s: length prefix 0000 at offset %" PRIu64
			": sizing messages by their type from here on\n",
			c->path, m->offset - 2);
	}
	if (!c->want[m->msg[0]])
		return 0;
	const struct fp_itch_desc *d = fp_itch_desc(m->msg[0]);
	FILE *out = c->out;
	fputs("{\"type\": ", out);
	json_str(out, (const char *)m->msg, 1);
	if (m->has_seq)
		fprintf(out, ", \"seq\": %" PRIu64, m->seq);
	if (m->duplicate)
		fputs(", \"duplicate\": true", out);
	fprintf(out, ", \"stock_locate\": %u, \"tracking_number\": %u, \"timestamp\": %" PRIu64,
		fp_itch_stock_locate(m->msg), fp_itch_tracking_number(m->msg),
		fp_itch_timestamp(m->msg));
	for (unsigned i = 0; i < d->nb_fields; i++)
		print_field(out, &d->fields[i], m->msg);
	fputs("}\n", out);
	c->printed++;
	return 0;
}

static void print_summary(FILE *out, const struct fp_ctl_md_file *f,
			  const struct fp_ctl_md_stats *st, const struct dump_ctx *c)
{
	fprintf(out, "{\"summary\": {\"messages\": %" PRIu64 ", \"by_type\": {", st->messages);
	int first = 1;
	for (unsigned i = 0; i < FP_ITCH_NB_TYPES; i++) {
		const struct fp_itch_desc *d = fp_itch_desc_at(i);
		uint64_t n = st->by_type[(uint8_t)d->type];
		if (n == 0)
			continue;
		fprintf(out, "%s\"%c\": %" PRIu64, first ? "" : ", ", d->type, n);
		first = 0;
	}
	fputs("}, \"sessions\": [", out);
	for (uint32_t i = 0; i < st->nb_sessions; i++) {
		const struct fp_ctl_md_session *s = &st->sessions[i];
		fputs(i ? ", {\"session\": " : "{\"session\": ", out);
		json_str(out, s->name, FP_MOLD_SESSION_LEN);
		fprintf(out,
			", \"first_seq\": %" PRIu64 ", \"next_seq\": %" PRIu64
			", \"messages\": %" PRIu64 ", \"packets\": %" PRIu64
			", \"heartbeats\": %" PRIu64 ", \"unsequenced\": %" PRIu64
			", \"end_of_session\": %s}",
			s->first_seq, s->next_seq, s->messages, s->packets, s->heartbeats,
			s->unsequenced, s->ended ? "true" : "false");
	}
	fprintf(out,
		"], \"gaps\": %" PRIu64 ", \"missing\": %" PRIu64 ", \"duplicates\": %" PRIu64
		", \"errors\": %" PRIu64
		", \"truncated\": %s, \"format\": \"%s\", \"printed\": %" PRIu64,
		st->gaps, st->missing, st->duplicates, st->errors, st->truncated ? "true" : "false",
		f->format == FP_CTL_MD_PCAP ? "pcap" : "itch", c->printed);
	if (f->format == FP_CTL_MD_PCAP)
		fprintf(out, ", \"packets\": %" PRIu64 ", \"skipped_packets\": %" PRIu64,
			st->packets, st->skipped);
	else
		fprintf(out, ", \"zero_length_prefixes\": %" PRIu64, st->zero_len);
	fputs("}}\n", out);
}

void fp_ctl_md_dump_usage(FILE *out)
{
	fputs("usage: fastpath-md dump FILE [--type A,E,...] [--port N] [--summary]\n"
	      "Decode a pcap of MoldUDP64 packets or a raw ITCH 5.0 file (u16 big-endian\n"
	      "length, then the message; a zero length is sized by the type, with a warning).\n"
	      "Prints one JSON line per message, with \"type\", \"seq\" (the MoldUDP64\n"
	      "sequence number, where there is one) and every field of the spec in snake_case\n"
	      "(prices as integers and as decimal strings in <field>_str), then one line:\n"
	      "  {\"summary\": {\"messages\": N, \"by_type\": {...}, \"sessions\": [...],\n"
	      "   \"gaps\": G, \"missing\": M, \"duplicates\": D, \"errors\": E,\n"
	      "   \"truncated\": bool, ...}}\n"
	      "  --type A,E   print only these message types (the summary counts all)\n"
	      "  --port N     pcaps: only UDP datagrams to port N (default: every UDP payload)\n"
	      "  --summary    print only the summary line\n"
	      "  --json       accepted for scripts (the output is always JSON)\n"
	      "  --help       this text\n"
	      "Bad messages and framing (the first 10) are echoed on stderr with their\n"
	      "offset; a file cut short, even inside its pcap header, says truncated.\n"
	      "Exit status: 0 when the file was read (problems in it are counted in the\n"
	      "summary), 1 for bad arguments or an unreadable or foreign file.\n",
	      out);
}

static int parse_types(const char *arg, uint8_t *want)
{
	memset(want, 0, 256);
	const char *p = arg;
	while (*p) {
		uint8_t t = (uint8_t)*p;
		if (fp_itch_length(t) == 0) {
			fprintf(stderr,
				"fastpath-md dump: --type: '%c' is not an ITCH 5.0 message type\n",
				*p);
			return -1;
		}
		want[t] = 1;
		p++;
		if (*p == ',')
			p++;
		else if (*p) {
			fprintf(stderr,
				"fastpath-md dump: --type: expected a comma-separated list of "
				"one-letter types, got '%s'\n",
				arg);
			return -1;
		}
	}
	return 0;
}

/* fastpath-md dump FILE [--type A,E] [--port N] */
int fp_ctl_md_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{"type", required_argument, NULL, 't'}, {"port", required_argument, NULL, 'p'},
		{"summary", no_argument, NULL, 's'},    {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0},
	};
	struct dump_ctx c = {.out = stdout};
	int port = -1, opt;
	uint64_t port_v;
	memset(c.want, 1, sizeof(c.want));
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "t:p:sjh", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			if (parse_types(optarg, c.want) < 0)
				return 1;
			break;
		case 'p':
			if (fp_opt_u64("--port", optarg, 1, 65535, &port_v) < 0) {
				fprintf(stderr, "fastpath-md dump: %s\n", fp_err_msg());
				return 1;
			}
			port = (int)port_v;
			break;
		case 's': /* only the summary line: nothing passes the type filter */
			memset(c.want, 0, sizeof(c.want));
			break;
		case 'j': /* the output is always JSON; accepted for scripts that ask for it */
			break;
		case 'h':
			fp_ctl_md_dump_usage(stdout);
			return 0;
		default:
			fprintf(stderr,
				"fastpath-md dump: unknown or incomplete option '%s' (see "
				"--help)\n",
				argv[optind - 1]);
			return 1;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "fastpath-md dump: expected exactly one FILE (see --help)\n");
		return 1;
	}
	struct fp_ctl_md_file f;
	c.path = argv[optind];
	if (fp_ctl_md_file_open(&f, c.path) < 0) {
		fprintf(stderr, "fastpath-md dump: %s\n", fp_err_msg());
		return 1;
	}
	static char obuf[1 << 16];
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	struct fp_ctl_md_stats *st = malloc(sizeof(*st));
	if (!st) {
		fp_ctl_md_file_close(&f);
		fprintf(stderr, "fastpath-md dump: out of memory\n");
		return 1;
	}
	if (fp_ctl_md_walk(&f, port, dump_one, &c, st) < 0) {
		fprintf(stderr, "fastpath-md dump: %s\n", fp_err_msg());
		free(st);
		fp_ctl_md_file_close(&f);
		return 1;
	}
	if (st->corrupt && c.error_lines++ < DUMP_MAX_ERROR_LINES) /* counts as a bad message */
		fprintf(stderr,
			"fastpath-md: %s: offset %" PRIu64 ": corrupt pcap record length %" PRIu32
			" (above any snap length): the rest of the file is not read\n",
			c.path, st->corrupt_offset, st->corrupt_len);
	if (c.error_lines > DUMP_MAX_ERROR_LINES)
		fprintf(stderr, "fastpath-md: %s: %" PRIu64 " more bad messages not shown\n",
			c.path, c.error_lines - DUMP_MAX_ERROR_LINES);
	if (st->truncated)
		fprintf(stderr,
			"fastpath-md: %s: the file ends inside its header, a record or a "
			"message (truncated)\n",
			c.path);
	print_summary(stdout, &f, st, &c);
	int rc = fflush(stdout) == 0 ? 0 : 1;
	free(st);
	fp_ctl_md_file_close(&f);
	return rc;
}
