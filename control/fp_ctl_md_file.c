/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_md_file.c - map a market-data file and walk its ITCH messages (API in fp_ctl_md.h).
 *
 * Cold path, CLI process only. Framing comes from proto/: fp_pcap (records), fp_net
 * (Ethernet/VLAN/IPv4/UDP, payload bounded by the IP total length), fp_mold (MoldUDP64) and
 * fp_itch's stream (raw files). Session accounting follows MoldUDP64 1.0:
 *   (1) the first packet of a session sets its expected sequence number (captures start
 *       mid-stream, so nothing before it is "missing");
 *   (2) a data packet or heartbeat whose sequence number is above the expected one is a gap
 *       of (seq - expected) missing messages; heartbeats carry the next sequence number;
 *   (3) a message whose sequence number is below the expected one is a duplicate (it is
 *       still delivered, flagged, so that a dump shows what is in the file);
 *   (4) sequence number 0 is outside MoldUDP64's numbering (it starts at 1): such packets
 *       (the zeroed 20230822_* captures) are counted as unsequenced and not tracked.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fp_ctl_md.h"
#include "fp_err.h"
#include "fp_net.h"
#include "fp_pcap.h"

int fp_ctl_md_file_open(struct fp_ctl_md_file *f, const char *path)
{
	memset(f, 0, sizeof(*f));
	f->path = path;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fp_err_set(-errno, "cannot open %s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int rc = -errno;
		close(fd);
		return fp_err_set(rc, "cannot stat %s: %s", path, strerror(-rc));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return fp_err_set(-EINVAL, "%s is not a regular file", path);
	}
	if (st.st_size == 0) {
		close(fd);
		return fp_err_set(-EINVAL, "%s is empty", path);
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	int map_errno = errno;
	close(fd);
	if (p == MAP_FAILED)
		return fp_err_set(-map_errno, "cannot map %s: %s", path, strerror(map_errno));
	f->buf = p;
	f->len = (size_t)st.st_size;

	int kind = fp_pcap_probe(f->buf, f->len);
	if (kind == 1 && f->len < FP_PCAP_FILE_HDR_LEN) { /* cut inside its header: the walk */
		f->format = FP_CTL_MD_PCAP;               /* says truncated (issue 18) */
		return 0;
	}
	if (kind) { /* classic pcap or pcapng: fp_pcap reads both */
		struct fp_pcap pc;
		int rc = fp_pcap_open(&pc, f->buf, f->len);
		if (rc < 0) {
			fp_ctl_md_file_close(f);
			return fp_err_append(rc, "%s", path);
		}
		f->format = FP_CTL_MD_PCAP;
		return 0;
	}
	if (fp_itch_stream_probe(f->buf, f->len)) {
		f->format = FP_CTL_MD_ITCH;
		return 0;
	}
	fp_ctl_md_file_close(f);
	return fp_err_set(-EINVAL, "%s is neither a pcap nor a raw ITCH 5.0 file", path);
}

void fp_ctl_md_file_close(struct fp_ctl_md_file *f)
{
	if (!f || !f->buf)
		return;
	munmap((void *)(uintptr_t)f->buf, f->len);
	f->buf = NULL;
	f->len = 0;
}

static struct fp_ctl_md_session *session_of(struct fp_ctl_md_stats *st, const char *name)
{
	for (uint32_t i = 0; i < st->nb_sessions; i++)
		if (fp_mold_session_eq(st->sessions[i].name, name))
			return &st->sessions[i];
	if (st->nb_sessions == FP_CTL_MD_MAX_SESSIONS)
		return NULL;
	struct fp_ctl_md_session *s = &st->sessions[st->nb_sessions++];
	memset(s, 0, sizeof(*s));
	memcpy(s->name, name, FP_MOLD_SESSION_LEN);
	return s;
}

/* Count a message and hand it over; returns the callback's verdict. */
static int deliver(struct fp_ctl_md_msg *m, fp_ctl_md_msg_fn fn, void *ctx,
		   struct fp_ctl_md_stats *st)
{
	m->result = fp_itch_check(m->msg, m->len);
	if (m->result == FP_ITCH_OK) {
		st->messages++;
		st->by_type[m->msg[0]]++;
	} else {
		st->errors++;
	}
	return fn ? fn(ctx, m) : 0;
}

/* Rules (2) and (3) of the header for a data packet or heartbeat at @p seq. */
static void session_advance(struct fp_ctl_md_session *s, struct fp_ctl_md_stats *st, uint64_t seq)
{
	if (s->packets + s->heartbeats == 0) { /* rule (1) */
		s->first_seq = seq;
		s->next_seq = seq;
	}
	if (seq > s->next_seq) {
		st->gaps++;
		st->missing += seq - s->next_seq;
		s->next_seq = seq;
	}
}

static int walk_mold(const uint8_t *payload, uint32_t len, uint64_t ts_ns, uint64_t base,
		     fp_ctl_md_msg_fn fn, void *ctx, struct fp_ctl_md_stats *st)
{
	struct fp_mold_pkt pkt;
	enum fp_mold_result r = fp_mold_parse(payload, len, &pkt);
	if (r == FP_MOLD_SHORT) {
		st->errors++;
		return 0;
	}
	int sequenced = pkt.sequence_number != 0; /* rule (4) */
	struct fp_ctl_md_session *s = session_of(st, pkt.session);
	if (!s) {
		st->sessions_dropped++;
		sequenced = 0;
	}
	if (r == FP_MOLD_HEARTBEAT || r == FP_MOLD_END_OF_SESSION) {
		if (s && sequenced)
			session_advance(s, st, pkt.sequence_number);
		if (s) {
			s->heartbeats += (r == FP_MOLD_HEARTBEAT);
			s->ended |= (r == FP_MOLD_END_OF_SESSION);
		}
		return 0;
	}
	if (s && sequenced)
		session_advance(s, st, pkt.sequence_number);
	if (s)
		s->packets++;

	struct fp_mold_iter it;
	struct fp_ctl_md_msg m = {.session = pkt.session, .ts_ns = ts_ns};
	uint16_t n;
	fp_mold_iter_init(&it, &pkt);
	while ((r = fp_mold_iter_next(&it, &m.msg, &n, &m.seq)) == FP_MOLD_OK) {
		m.len = n;
		m.offset = base + (uint64_t)(m.msg - payload);
		m.has_seq = (uint8_t)sequenced;
		m.duplicate = 0;
		if (s) {
			s->messages++;
			if (!sequenced) {
				s->unsequenced++;
			} else if (m.seq < s->next_seq) { /* rule (3) */
				m.duplicate = 1;
				st->duplicates++;
			} else {
				s->next_seq = m.seq + 1;
			}
		}
		if (deliver(&m, fn, ctx, st)) {
			st->stopped = 1;
			return 1;
		}
	}
	if (r == FP_MOLD_TRUNCATED)
		st->errors++;
	return 0;
}

static int walk_pcap(const struct fp_ctl_md_file *f, int port, fp_ctl_md_msg_fn fn, void *ctx,
		     struct fp_ctl_md_stats *st)
{
	struct fp_pcap p;
	struct fp_pcap_rec rec;
	enum fp_pcap_result r;
	if (f->len < FP_PCAP_FILE_HDR_LEN) { /* issue 18: cut inside the file header */
		st->truncated = 1;
		return 0;
	}
	if (fp_pcap_open(&p, f->buf, f->len) < 0)
		return fp_err_append(-EINVAL, "%s", f->path);
	while ((r = fp_pcap_next(&p, &rec)) == FP_PCAP_OK) {
		struct fp_net_pkt pkt;
		st->packets++;
		enum fp_net_result nr = fp_net_parse_link(rec.linktype, rec.data, rec.caplen, &pkt);
		if (nr != FP_NET_OK) {
			/* A cut frame or corrupt header is an error; other traffic is skipped. */
			if (nr == FP_NET_SHORT || nr == FP_NET_BAD_IP || nr == FP_NET_BAD_L4)
				st->errors++;
			else
				st->skipped++;
			continue;
		}
		if (pkt.ip_proto != FP_IP_PROTO_UDP || (port >= 0 && pkt.dst_port != port)) {
			st->skipped++;
			continue;
		}
		uint64_t base = (uint64_t)(pkt.payload - f->buf);
		if (walk_mold(pkt.payload, pkt.payload_len, rec.ts_ns, base, fn, ctx, st))
			return 0;
	}
	if (r == FP_PCAP_TRUNCATED)
		st->truncated = 1;
	else if (r == FP_PCAP_CORRUPT) {
		st->errors++;
		st->corrupt = 1;
		st->corrupt_offset = p.pos;
		memcpy(&st->corrupt_len, f->buf + p.pos + 8, sizeof(st->corrupt_len));
		if (p.swapped)
			st->corrupt_len = __builtin_bswap32(st->corrupt_len);
	}
	return 0;
}

static int walk_itch(const struct fp_ctl_md_file *f, fp_ctl_md_msg_fn fn, void *ctx,
		     struct fp_ctl_md_stats *st)
{
	struct fp_itch_stream s;
	struct fp_ctl_md_msg m = {0};
	enum fp_itch_stream_result r;
	fp_itch_stream_init(&s, f->buf, f->len);
	while ((r = fp_itch_stream_next(&s, &m.msg, &m.len)) == FP_ITCH_STREAM_OK) {
		m.offset = (uint64_t)(m.msg - f->buf);
		st->zero_len = s.nb_zero_len;
		if (deliver(&m, fn, ctx, st)) {
			st->stopped = 1;
			return 0;
		}
	}
	st->zero_len = s.nb_zero_len;
	if (r == FP_ITCH_STREAM_TRUNCATED)
		st->truncated = 1;
	else if (r == FP_ITCH_STREAM_BAD)
		st->errors++; /* a zero prefix before an unknown type: cannot resync */
	return 0;
}

int fp_ctl_md_walk(const struct fp_ctl_md_file *f, int port, fp_ctl_md_msg_fn fn, void *ctx,
		   struct fp_ctl_md_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (f->format == FP_CTL_MD_PCAP)
		return walk_pcap(f, port, fn, ctx, st);
	return walk_itch(f, fn, ctx, st);
}
