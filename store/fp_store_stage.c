/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_store_stage.c - the store stage (see fp_store_stage.h; record layout and ordering rules
 * in shm/fp_journal.h, file layout in fp_store_journal.h).
 *
 * Store worker only; cold path (write, fdatasync, open, mkdir). States and transitions:
 *
 *   WRITING --flush fails (fail())--> HALTED --retry_ms, flush succeeds (poll())--> WRITING
 *   any --midnight (rotate())--> WRITING on the next day's file
 *
 * Invariants:
 *   (1) pending[i] != 0 only while HALTED: after a successful flush every peeked slot is
 *       released at once (J1); while HALTED nothing more is peeked, so the batch in memory
 *       is exactly the records of the pending slots (plus the store's own records).
 *   (2) A record is appended to the batch once: a retry rewrites the same batch at the
 *       same offset (the journal library truncated its partial write), so it lands once.
 *   (3) j == NULL only before the first open and while an open (rotation) fails; then
 *       nothing is pending (the old file's batch was written before it was closed).
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fp_err.h"
#include "fp_journal.h"
#include "fp_store_replay.h"
#include "fp_store_stage.h"

#define NS_PER_MS 1000000ull

static uint64_t real_clock_ns(void *arg)
{
	struct timespec ts;
	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(const struct fp_store_stage *s)
{
	return s->cfg.clock_ns(s->cfg.clock_arg);
}

void fp_store_stats_init(struct fp_store_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->magic = FP_STORE_STATS_MAGIC;
	st->version = FP_STORE_STATS_VERSION;
}

/* The gid of group @p name into *gid ((gid_t)-1 for NULL or ""). */
static int group_gid(const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	char buf[4096];

	*gid = (gid_t)-1;
	if (!name || !name[0])
		return 0;
	int e = getgrnam_r(name, &gr, buf, sizeof(buf), &res);
	if (res == NULL)
		return fp_err_set(e ? -e : -ENOENT,
				  "group '%s' (configured owner of the journal) does not exist: "
				  "create it ('groupadd %s') or change segment.group",
				  name, name);
	*gid = gr.gr_gid;
	return 0;
}

int fp_store_mkdir_group(const char *dir, const char *group)
{
	char p[4096];
	size_t n = strlen(dir);
	gid_t gid;
	int rc;

	if (n >= sizeof(p))
		return fp_err_set(-ENAMETOOLONG, "journal directory name too long: %s", dir);
	if ((rc = group_gid(group, &gid)) < 0)
		return rc;
	memcpy(p, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		char c = p[i];
		p[i] = '\0';
		if (mkdir(p, FP_STORE_DIR_MODE) < 0) {
			if (errno != EEXIST)
				return fp_err_set(-errno, "cannot create journal directory %s: %s",
						  p, strerror(errno));
		} else if (chmod(p, FP_STORE_DIR_MODE) < 0 || /* the umask may have cut it */
			   (gid != (gid_t)-1 && chown(p, (uid_t)-1, gid) < 0)) {
			return fp_err_set(-errno,
					  "cannot give journal directory %s mode 0750 and group "
					  "'%s': %s (run as root or as a member of the group)",
					  p, group ? group : "", strerror(errno));
		}
		p[i] = c;
	}
	return 0;
}

int fp_store_mkdir(const char *dir)
{
	return fp_store_mkdir_group(dir, NULL);
}

int fp_store_file_group(const char *path, const char *group)
{
	gid_t gid;
	int rc = group_gid(group, &gid);

	if (rc < 0 || gid == (gid_t)-1)
		return rc;
	if (chown(path, (uid_t)-1, gid) < 0)
		return fp_err_set(-errno,
				  "cannot give journal %s to group '%s': %s (run as root or as a "
				  "member of the group)",
				  path, group, strerror(errno));
	return 0;
}

/* Count a failure; the first of an outage trips the kill switch (HALTED). */
static void fail(struct fp_store_stage *s, int rc, uint64_t now)
{
	struct fp_store_stats *st = s->st;

	st->write_errors++;
	st->last_errno = -rc;
	snprintf(st->last_error, sizeof(st->last_error), "%s", fp_err_msg());
	s->retry_at_ns = now + (uint64_t)s->cfg.retry_ms * NS_PER_MS;
	if (st->halted)
		return;
	st->halted = 1;
	st->halts++;
	if (s->cfg.ctl) {
		char why[FP_SHM_CTL_TEXT_SIZE];
		snprintf(why, sizeof(why),
			 "journal write failed: %s (%.48s): trading halted; free space, then rearm",
			 strerror(-rc), s->dir);
		fp_shm_ctl_kill(s->cfg.ctl, "store", why);
	}
}

static void release_pending(struct fp_store_stage *s)
{
	for (unsigned i = 0; i < s->cfg.nb_inputs; i++) {
		if (!s->pending[i])
			continue;
		fp_ring_release(s->cfg.inputs[i].ring, s->pending[i]); /* J1 */
		s->st->ring_records[i] += s->pending[i];
		s->pending[i] = 0;
	}
}

/* Write the batch (sync per @sync); on success count it and release the slots (J1). */
static int flush(struct fp_store_stage *s, bool sync, uint64_t now)
{
	int rc = fp_store_journal_flush(s->j, sync);
	if (rc < 0)
		return rc;
	if (s->batch_records) {
		s->st->records += s->batch_records;
		s->st->bytes += s->batch_bytes;
		s->st->writes++;
		s->dirty = true;
	}
	if (sync) {
		s->st->fsyncs++;
		s->dirty = false;
		s->last_sync_ns = now;
	}
	s->batch_records = 0;
	s->batch_bytes = 0;
	release_pending(s);
	return 0;
}

static int append(struct fp_store_stage *s, uint16_t type, uint16_t src, const void *payload,
		  uint32_t len)
{
	int rc = fp_store_journal_append_flags(s->j, type, src, payload, len);
	if (rc == 0) {
		s->batch_records++;
		s->batch_bytes += FP_STORE_REC_HDR_SIZE + len;
	}
	return rc;
}

/* Close the current file (its batch written) and open the file of @now's day. */
static int rotate(struct fp_store_stage *s, uint64_t now)
{
	char path[4096];
	int rc;

	if (s->j) {
		if ((rc = flush(s, s->cfg.fsync != FP_STORE_FSYNC_NONE, now)) < 0)
			return rc;
		fp_store_journal_close(s->j);
		s->j = NULL;
		s->st->rotations++;
	}
	if ((rc = fp_store_journal_path(path, sizeof(path), s->dir, s->instance, now)) < 0 ||
	    (rc = fp_store_mkdir_group(s->dir, s->cfg.group)) < 0 ||
	    (rc = fp_store_journal_open(path, s->instance, &s->j)) < 0)
		return rc;
	if ((rc = fp_store_file_group(path, s->cfg.group)) < 0)
		return rc;
	const struct fp_store_recovery *rec = fp_store_journal_recovery(s->j);
	struct fp_jrnl_store_start start = {
		.time_ns = now,
		.pid = (int32_t)getpid(),
		.version = FP_JRNL_VERSION,
		.records = rec->records,
	};
	s->st->truncated_bytes = rec->truncated_bytes;
	snprintf(s->st->path, sizeof(s->st->path), "%.255s", path);
	s->next_midnight_ns = fp_store_next_midnight(now);
	if ((rc = append(s, FP_JRNL_REC_STORE_START, FP_JRNL_SRC_STORE, &start, sizeof(start))) < 0)
		return rc;
	return flush(s, s->cfg.fsync != FP_STORE_FSYNC_NONE, now);
}

int fp_store_stage_init(struct fp_store_stage *s, const struct fp_store_cfg *cfg)
{
	memset(s, 0, sizeof(*s));
	if (!cfg->dir || !cfg->dir[0] || strlen(cfg->dir) >= sizeof(s->dir))
		return fp_err_set(-EINVAL, "store: a journal directory is required");
	if (!cfg->instance || !cfg->instance[0] || strlen(cfg->instance) >= sizeof(s->instance))
		return fp_err_set(-EINVAL, "store: instance name must have 1..%d characters",
				  FP_STORE_INSTANCE_MAX - 1);
	if (cfg->group && strlen(cfg->group) >= sizeof(s->group))
		return fp_err_set(-EINVAL, "store: group name longer than %zu characters",
				  sizeof(s->group) - 1);
	if (cfg->nb_inputs > FP_STORE_MAX_RINGS)
		return fp_err_set(-EINVAL, "store: %u journal rings, at most %d", cfg->nb_inputs,
				  FP_STORE_MAX_RINGS);
	for (unsigned i = 0; i < cfg->nb_inputs; i++)
		if (!cfg->inputs[i].ring)
			return fp_err_set(-EINVAL, "store: journal ring %u is missing", i);
	if (cfg->fsync > FP_STORE_FSYNC_NONE)
		return fp_err_set(-EINVAL, "store: unknown fsync policy %d", (int)cfg->fsync);
	s->cfg = *cfg;
	if (!s->cfg.clock_ns)
		s->cfg.clock_ns = real_clock_ns;
	if (!s->cfg.retry_ms)
		s->cfg.retry_ms = 100;
	if (!s->cfg.fsync_interval_ms)
		s->cfg.fsync_interval_ms = 10;
	snprintf(s->dir, sizeof(s->dir), "%s", cfg->dir);
	snprintf(s->instance, sizeof(s->instance), "%s", cfg->instance);
	snprintf(s->group, sizeof(s->group), "%s", cfg->group ? cfg->group : "");
	s->cfg.group = s->group;
	s->cfg.dir = s->dir;
	s->cfg.instance = s->instance;
	s->st = cfg->stats ? cfg->stats : &s->own_stats;
	if (!cfg->stats)
		fp_store_stats_init(s->st);
	s->st->halted = 0;
	s->ctl_seen = cfg->ctl_seq_seen;
	uint64_t now = now_ns(s);
	s->last_sync_ns = now;
	int rc = rotate(s, now);
	if (rc < 0) {
		fp_store_journal_close(s->j);
		s->j = NULL;
		return fp_err_append(rc, "starting the store of instance '%s'", s->instance);
	}
	return 0;
}

/* Journal the control block's last change when change_seq moved. */
static unsigned journal_ctl(struct fp_store_stage *s)
{
	struct fp_shm_ctl_change ch;
	uint64_t seq = atomic_load_explicit(&s->cfg.ctl->change_seq, memory_order_acquire);

	if (seq == s->ctl_seen || !fp_shm_ctl_last_change(s->cfg.ctl, &ch) || ch.seq <= s->ctl_seen)
		return 0;
	if (append(s, FP_JRNL_REC_CTL_CHANGE, FP_JRNL_SRC_CTL, &ch, sizeof(ch)) < 0)
		return 0;
	s->st->ctl_missed += ch.seq - s->ctl_seen - 1;
	s->st->ctl_changes++;
	s->ctl_seen = ch.seq;
	return 1;
}

unsigned fp_store_stage_poll(struct fp_store_stage *s, unsigned budget)
{
	uint64_t now = now_ns(s);
	unsigned work = 0;
	int rc;

	if (s->st->halted) {
		if (now < s->retry_at_ns)
			return 0;
		/* Invariant (2): the same batch again, at the same offset. */
		if (s->j &&
		    (rc = flush(s, s->cfg.fsync != FP_STORE_FSYNC_NONE || s->dirty, now)) < 0) {
			fail(s, rc, now);
			return 0;
		}
	}
	if (!s->j || now >= s->next_midnight_ns) {
		if ((rc = rotate(s, now)) < 0) {
			fail(s, rc, now);
			return 0;
		}
	}
	s->st->halted = 0;

	if (s->cfg.ctl)
		work += journal_ctl(s);
	if (budget > FP_STORE_POLL_MAX)
		budget = FP_STORE_POLL_MAX;
	for (unsigned i = 0; i < s->cfg.nb_inputs; i++) {
		uint32_t nb;
		const struct fp_event *ev = fp_ring_peek(s->cfg.inputs[i].ring, budget, &nb);
		uint32_t k = 0;
		for (; k < nb; k++)
			if (append(s, ev[k].type, s->cfg.inputs[i].src, &ev[k], sizeof(ev[k])) < 0)
				break;
		s->pending[i] = k; /* released by flush() only (J1) */
		work += k;
	}
	bool sync = s->cfg.fsync == FP_STORE_FSYNC_BATCH && s->batch_records;
	if (s->cfg.fsync == FP_STORE_FSYNC_INTERVAL && (s->dirty || s->batch_records) &&
	    now - s->last_sync_ns >= (uint64_t)s->cfg.fsync_interval_ms * NS_PER_MS)
		sync = true;
	if (s->batch_records || sync) {
		if ((rc = flush(s, sync, now)) < 0)
			fail(s, rc, now);
	}
	return work;
}

int fp_store_stage_append(struct fp_store_stage *s, uint16_t type, uint16_t src,
			  const void *payload, uint32_t len)
{
	if (s->st->halted || !s->j) {
		s->st->dropped++;
		return -EAGAIN;
	}
	int rc = append(s, type, src, payload, len);
	if (rc == 0 && type >= FP_JRNL_REC_POS_SNAPSHOT && type <= FP_JRNL_REC_PNL_SNAPSHOT)
		s->st->snapshots++;
	return rc;
}

void fp_store_stage_fini(struct fp_store_stage *s)
{
	if (!s || !s->j)
		return;
	uint64_t now = now_ns(s);
	int rc = flush(s, s->cfg.fsync != FP_STORE_FSYNC_NONE, now);
	if (rc < 0) {
		fail(s, rc, now);
		/* close() tries the batch once more: if it lands, its slots are done (J1);
		 * if not, they stay on the rings for the next store (invariant 2). */
		if (fp_store_journal_close(s->j) == 0)
			release_pending(s);
	} else {
		fp_store_journal_close(s->j);
	}
	s->j = NULL;
}
