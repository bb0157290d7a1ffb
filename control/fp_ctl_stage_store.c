/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_ctl_stage_store.c - the store stage in the pipeline: config group `store`, regions
 * ring.jrnl.risk and ring.jrnl.gw (the journal rings, shm/fp_journal.h) and store.stats;
 * and recovery from the journal for the other adapters (fp_ctl_store.h). See
 * store/fp_store_stage.h.
 *
 *   store = {
 *     dir = "../build/journal";      # journal files DIR/<instance>-YYYYMMDD.fpj (created;
 *                                    # relative to this file's folder, fp_cfg_get_path)
 *     fsync = "interval";            # batch (fdatasync per write) | interval | none
 *     fsync_interval_ms = 10;        # "interval": at most one fdatasync per this many ms
 *     ring = 16384;                  # slots of each journal ring (power of two)
 *     snapshot_ms = 1000;            # position and P&L snapshots every ms (0 = none)
 *     retry_ms = 100;                # after a failed write, retry every ms
 *     recover_wait_ms = 10000;       # a restarting stage waits this long for the rings
 *   };
 *
 * Place the store in a worker of its own (off the hot path: it makes syscalls), never with
 * a stage that recovers from the journal (that stage's init waits for the store to drain
 * the rings). A `store` group without a placed store stage is refused, and so is a placed
 * store without the group.
 *
 * Setup (supervisor, before READY) restores the control block from the journal: when the
 * last kill/rearm record is a kill, the kill switch is tripped again (who "supervisor",
 * reason "restored from journal: <original reason>"); when the last trading state record
 * is halted or cancel-only, that state is set again. The supervisor's own kill of an
 * orderly stop (who "supervisor", reason starting FP_CTL_STOP_REASON_PREFIX) is not a
 * reason to stay killed and is skipped, and so are the kills journaled after it until the
 * next store start (e.g. risk's reject breaker, tripped by the stop's own rejects). The
 * restored changes are journaled at once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fp_ctl_pipeline.h"
#include "fp_ctl_stage.h"
#include "fp_ctl_store.h"
#include "fp_err.h"
#include "fp_journal.h"
#include "fp_log.h"
#include "fp_risk.h"
#include "fp_shm_ctl.h"
#include "fp_store_stage.h"
#include "fp_symtab.h"

#define RESTORED_PREFIX "restored from journal: "

enum store_fsync { STORE_FSYNC_BATCH, STORE_FSYNC_INTERVAL, STORE_FSYNC_NONE };

struct store_settings {
	const char *dir;
	const char *group; /* segment.group: owner of the journal folders and files ("" = ours) */
	int fsync;         /* enum store_fsync */
	uint32_t fsync_interval_ms, ring, snapshot_ms, retry_ms, recover_wait_ms;
};

static const char *const store_keys[] = {"dir",         "fsync",    "fsync_interval_ms", "ring",
					 "snapshot_ms", "retry_ms", "recover_wait_ms",   NULL};
static const char *const store_fsync_names[] = {"batch", "interval", "none", NULL};

static int store_settings(const struct fp_ctl_env *env, struct store_settings *s)
{
	const struct fp_cfg *c = env->cfg;
	const struct fp_cfg_node *g = fp_cfg_lookup(c, NULL, "store");
	int64_t fi, ring, snap, retry, wait;
	int rc;

	if (!g)
		return fp_err_set(-EINVAL,
				  "%s: stage 'store' is placed but the 'store' group is missing",
				  fp_cfg_name(c));
	if ((rc = fp_cfg_check_keys(c, g, store_keys)) < 0 ||
	    (rc = fp_cfg_require(c, g, "dir")) < 0 ||
	    (rc = fp_cfg_get_path(c, g, "dir", NULL, 3000, &s->dir)) < 0 ||
	    (rc = fp_cfg_get_enum(c, g, "fsync", store_fsync_names, STORE_FSYNC_INTERVAL,
				  &s->fsync)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "fsync_interval_ms", 10, 1, 60000, &fi)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "ring", 16384, 64, 1 << 24, &ring)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "snapshot_ms", 1000, 0, 3600000, &snap)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "retry_ms", 100, 1, 60000, &retry)) < 0 ||
	    (rc = fp_cfg_get_int64(c, g, "recover_wait_ms", FP_CTL_STORE_RECOVER_WAIT_MS, 0,
				   3600000, &wait)) < 0)
		return rc;
	const struct fp_cfg_node *seg = fp_cfg_lookup(c, NULL, "segment");
	s->group = "";
	if (seg && (rc = fp_cfg_get_string(c, seg, "group", "", 63, &s->group)) < 0)
		return rc;
	if (!s->dir[0])
		return fp_err_set(-EINVAL, "%s:%u: store.dir must not be empty", fp_cfg_name(c),
				  fp_cfg_line(fp_cfg_lookup(c, g, "dir")));
	if (!FP_IS_POW2((uint64_t)ring))
		return fp_err_set(-EINVAL, "%s:%u: store.ring must be a power of two, got %lld",
				  fp_cfg_name(c), fp_cfg_line(fp_cfg_lookup(c, g, "ring")),
				  (long long)ring);
	s->fsync_interval_ms = (uint32_t)fi;
	s->ring = (uint32_t)ring;
	s->snapshot_ms = (uint32_t)snap;
	s->retry_ms = (uint32_t)retry;
	s->recover_wait_ms = (uint32_t)wait;
	return 0;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- recovery for the other adapters (fp_ctl_store.h) ---- */

static const char *const jrnl_rings[] = {FP_JRNL_RING_RISK, FP_JRNL_RING_GW};

int64_t fp_ctl_store_recover(const struct fp_ctl_env *env, fp_store_replay_fn fn, void *arg)
{
	const struct fp_ring *rings[FP_ARRAY_SIZE(jrnl_rings)];
	struct fp_store_replay_stats st;
	struct store_settings s;
	unsigned nb = 0;
	int rc;

	for (unsigned i = 0; i < FP_ARRAY_SIZE(jrnl_rings); i++)
		if ((rings[nb] = fp_shm_region(env->seg, jrnl_rings[i], NULL)))
			nb++;
	if (nb == 0)
		return 0; /* no store placed: unjournaled, nothing to recover */
	if ((rc = store_settings(env, &s)) < 0)
		return rc;
	/* J5: once the rings are empty, the files hold everything pushed before (J1). */
	uint64_t deadline = mono_ms() + s.recover_wait_ms;
	for (;;) {
		uint32_t pending = 0;
		for (unsigned i = 0; i < nb; i++)
			pending += fp_ring_count(rings[i]);
		if (pending == 0)
			break;
		if (mono_ms() >= deadline)
			return fp_err_set(-ETIMEDOUT,
					  "recovery: %u journal events still unwritten after %u ms "
					  "(store.recover_wait_ms): is the store stage running?",
					  pending, s.recover_wait_ms);
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	}
	rc = fp_store_replay(s.dir, env->instance, fn, arg, &st);
	if (rc < 0)
		return fp_err_append(rc, "recovery of instance '%s' from %s", env->instance, s.dir);
	return (int64_t)st.records;
}

/* ---- control block restore (setup) ---- */

struct ctl_restore {
	bool have_kill, have_trading;
	bool stopping; /* after an orderly stop's kill, until the next store start */
	struct fp_shm_ctl_change kill, trading; /* last kill/rearm, last trading change */
};

static bool orderly_stop(const struct fp_shm_ctl_change *ch)
{
	return !strcmp(ch->who, "supervisor") &&
	       !strncmp(ch->reason, FP_CTL_STOP_REASON_PREFIX, strlen(FP_CTL_STOP_REASON_PREFIX));
}

static int on_ctl_record(void *arg, const struct fp_store_record *rec, uint32_t day)
{
	struct ctl_restore *r = arg;
	struct fp_shm_ctl_change ch;

	(void)day;
	if (rec->type == FP_JRNL_REC_STORE_START)
		r->stopping = false;
	if (rec->type != FP_JRNL_REC_CTL_CHANGE || rec->len != sizeof(ch))
		return 0;
	memcpy(&ch, rec->payload, sizeof(ch));
	ch.who[sizeof(ch.who) - 1] = '\0';
	ch.reason[sizeof(ch.reason) - 1] = '\0';
	if (ch.what == FP_CTL_CHANGE_KILL && orderly_stop(&ch)) {
		/* Kills that follow it (a breaker tripped by the rejects of the stop's own
		 * kill switch) are part of the stop too. */
		r->stopping = true;
	} else if ((ch.what == FP_CTL_CHANGE_KILL && !r->stopping) ||
		   ch.what == FP_CTL_CHANGE_REARM) {
		r->kill = ch;
		r->have_kill = true;
	} else if (ch.what == FP_CTL_CHANGE_TRADING) {
		r->trading = ch;
		r->have_trading = true;
	}
	return 0;
}

static void restored_reason(char *buf, size_t len, const char *reason)
{
	if (!strncmp(reason, RESTORED_PREFIX, strlen(RESTORED_PREFIX)))
		reason += strlen(RESTORED_PREFIX); /* not "restored from journal: restored ..." */
	snprintf(buf, len, RESTORED_PREFIX "%.104s", reason);
}

/* Append the changes just made to today's file (so that the next restart sees them). */
static int journal_restored(const struct fp_ctl_env *env, const struct store_settings *s,
			    const struct fp_shm_ctl_change *chs, unsigned nb)
{
	struct fp_store_journal *j;
	struct timespec ts;
	char path[4096];
	int rc;

	clock_gettime(CLOCK_REALTIME, &ts);
	if ((rc = fp_store_journal_path(path, sizeof(path), s->dir, env->instance,
					(uint64_t)ts.tv_sec * 1000000000ull +
						(uint64_t)ts.tv_nsec)) < 0 ||
	    (rc = fp_store_journal_open(path, env->instance, &j)) < 0)
		return rc;
	if ((rc = fp_store_file_group(path, s->group)) < 0) {
		fp_store_journal_close(j);
		return rc;
	}
	for (unsigned i = 0; i < nb && rc == 0; i++)
		rc = fp_store_journal_append_flags(j, FP_JRNL_REC_CTL_CHANGE, FP_JRNL_SRC_CTL,
						   &chs[i], sizeof(chs[i]));
	if (rc == 0)
		rc = fp_store_journal_flush(j, true);
	int crc = fp_store_journal_close(j);
	return rc < 0 ? rc : crc;
}

static int restore_ctl(const struct fp_ctl_env *env, const struct store_settings *s,
		       struct fp_shm_ctl *ctl, const struct fp_log *log)
{
	struct ctl_restore r = {0};
	struct fp_shm_ctl_change done[2];
	char why[FP_SHM_CTL_TEXT_SIZE];
	unsigned nb = 0;
	struct fp_store_replay_stats st;
	int rc = fp_store_replay(s->dir, env->instance, on_ctl_record, &r, &st);

	if (rc < 0)
		return fp_err_append(rc, "restoring the control block from %s", s->dir);
	if (st.files)
		fp_log_info(log, "journal %s: %" PRIu32 " files, %" PRIu64 " records", s->dir,
			    st.files, st.records);
	if (r.have_kill && r.kill.what == FP_CTL_CHANGE_KILL) {
		restored_reason(why, sizeof(why), r.kill.reason);
		fp_shm_ctl_kill(ctl, "supervisor", why);
		fp_log_warn(log, "kill switch tripped again, as the journal left it (by '%s': %s)",
			    r.kill.who, r.kill.reason);
		if (fp_shm_ctl_last_change(ctl, &done[nb]))
			nb++;
	}
	if (r.have_trading && (r.trading.new_value == FP_TRADING_HALTED ||
			       r.trading.new_value == FP_TRADING_CANCEL_ONLY)) {
		restored_reason(why, sizeof(why), r.trading.reason);
		fp_shm_ctl_set_trading(ctl, r.trading.new_value, "supervisor", why);
		fp_log_warn(log, "trading state %s again, as the journal left it (by '%s': %s)",
			    r.trading.new_value == FP_TRADING_HALTED ? "halted" : "cancel-only",
			    r.trading.who, r.trading.reason);
		if (fp_shm_ctl_last_change(ctl, &done[nb]))
			nb++;
	}
	return nb ? journal_restored(env, s, done, nb) : 0;
}

/* ---- the stage ---- */

struct store_adapter {
	struct fp_store_stage stage;
	const struct fp_risk_pos_region *pos; /* NULL: risk not placed, no snapshots */
	const struct fp_symtab *symtab;
	uint64_t snapshot_ns, next_snapshot_ns;
};

static int store_plan(const struct fp_ctl_env *env, struct fp_ctl_plan *plan)
{
	struct store_settings s;
	int rc;

	if ((rc = store_settings(env, &s)) < 0)
		return rc;
	for (unsigned i = 0; i < FP_ARRAY_SIZE(jrnl_rings); i++)
		if ((rc = fp_ctl_plan_add(plan, jrnl_rings[i], fp_ring_memsize(s.ring),
					  FP_RING_VERSION)) < 0)
			return rc;
	return fp_ctl_plan_add(plan, "store.stats", sizeof(struct fp_store_stats),
			       FP_STORE_STATS_VERSION);
}

static int store_setup(const struct fp_ctl_env *env)
{
	struct fp_log log;
	struct store_settings s;
	struct fp_store_journal *j;
	char path[4096];
	int rc;

	if ((rc = store_settings(env, &s)) < 0)
		return rc;
	for (unsigned i = 0; i < FP_ARRAY_SIZE(jrnl_rings); i++)
		if ((rc = fp_ring_init(fp_shm_region(env->seg, jrnl_rings[i], NULL), s.ring,
				       jrnl_rings[i])) < 0)
			return rc;
	fp_store_stats_init(fp_shm_region(env->seg, "store.stats", NULL));
	if ((rc = fp_store_mkdir_group(s.dir, s.group)) < 0)
		return rc;
	/* Cut a torn tail of the newest file now, before any worker reads it (J5), whatever
	 * its day: a torn file that is no longer the newest would be damage. */
	if ((rc = fp_store_newest_file(path, sizeof(path), s.dir, env->instance)) < 0)
		return rc;
	fp_log_init(&log, stderr, "store", FP_LOG_INFO);
	if (rc == 1) {
		if ((rc = fp_store_journal_open(path, env->instance, &j)) < 0)
			return fp_err_append(rc,
					     "the journal of instance '%s' is damaged: "
					     "recovery refused",
					     env->instance);
		const struct fp_store_recovery *rec = fp_store_journal_recovery(j);
		if (rec->truncated_bytes)
			fp_log_warn(&log,
				    "%s: torn tail (%s) of %" PRIu64 " bytes at offset %" PRIu64
				    " cut; %" PRIu64 " records kept",
				    path, fp_store_tail_str(rec->reason), rec->truncated_bytes,
				    rec->truncated_at, rec->records);
		fp_store_journal_close(j);
	}
	struct fp_shm_ctl *ctl = fp_ctl_region(env, "ctl", NULL);
	return ctl ? restore_ctl(env, &s, ctl, &log) : -ENOENT;
}

/* The seq of the last control change of this segment already in the newest file. */
static uint64_t ctl_seq_journaled(const struct fp_ctl_env *env, const struct store_settings *s)
{
	struct fp_store_journal_iter it;
	struct fp_store_record rec;
	struct fp_shm_ctl_change ch;
	char path[4096];
	uint64_t seen = 0;

	if (fp_store_newest_file(path, sizeof(path), s->dir, env->instance) != 1 ||
	    fp_store_journal_iter_open(&it, path) < 0)
		return 0;
	while (fp_store_journal_iter_next(&it, &rec) == 1) {
		if (rec.type != FP_JRNL_REC_CTL_CHANGE || rec.len != sizeof(ch))
			continue;
		memcpy(&ch, rec.payload, sizeof(ch));
		if (ch.time_ns >= env->seg->hdr->created_ns)
			seen = ch.seq;
	}
	fp_store_journal_iter_close(&it);
	return seen;
}

static int store_init(void *ctx, const struct fp_ctl_env *env)
{
	struct store_adapter *a = ctx;
	struct store_settings s;
	int rc;

	if ((rc = store_settings(env, &s)) < 0)
		return rc;
	struct fp_store_cfg cfg = {
		.dir = s.dir,
		.instance = env->instance,
		.group = s.group,
		.inputs = {{fp_ctl_ring(env, FP_JRNL_RING_RISK), FP_JRNL_SRC_RISK},
			   {fp_ctl_ring(env, FP_JRNL_RING_GW), FP_JRNL_SRC_GW}},
		.nb_inputs = 2,
		.ctl = fp_ctl_region(env, "ctl", NULL),
		.ctl_seq_seen = ctl_seq_journaled(env, &s),
		.fsync = s.fsync == STORE_FSYNC_BATCH      ? FP_STORE_FSYNC_BATCH
			 : s.fsync == STORE_FSYNC_INTERVAL ? FP_STORE_FSYNC_INTERVAL
							   : FP_STORE_FSYNC_NONE,
		.fsync_interval_ms = s.fsync_interval_ms,
		.retry_ms = s.retry_ms,
		.stats = fp_ctl_region(env, "store.stats", NULL),
	};
	if (!cfg.inputs[0].ring || !cfg.inputs[1].ring || !cfg.ctl || !cfg.stats)
		return -ENOENT;
	a->pos = fp_shm_region(env->seg, "risk.positions", NULL);
	a->symtab = fp_shm_region(env->seg, "symtab", NULL);
	a->snapshot_ns = (uint64_t)s.snapshot_ms * 1000000u;
	a->next_snapshot_ns = mono_ms() * 1000000u + a->snapshot_ns;
	return fp_store_stage_init(&a->stage, &cfg);
}

static uint64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void snap_pnl(struct store_adapter *a, const struct fp_risk_pnl *line, uint16_t id,
		     uint64_t now)
{
	struct fp_risk_pnl p;
	if (fp_risk_pnl_read(line, &p) < 0)
		return;
	struct fp_jrnl_pnl_snapshot sn = {
		.time_ns = now,
		.strategy_id = id,
		.nb_fills = (uint32_t)p.nb_fills,
		.realized = p.realized,
		.unreal = p.unreal,
		.gross = p.gross,
		.net = p.net,
		.fill_shares = p.fill_shares,
	};
	fp_store_stage_append(&a->stage, FP_JRNL_REC_PNL_SNAPSHOT, FP_JRNL_SRC_STORE, &sn,
			      sizeof(sn));
}

/* Positions and P&L lines of risk.positions, as records of the next batch. */
static unsigned snapshot(struct store_adapter *a)
{
	uint64_t now = real_ns();
	uint32_t used = atomic_load_explicit(&a->pos->nb_used, memory_order_acquire);
	unsigned n = 0;

	for (uint32_t i = 0; i < used && i < a->pos->capacity; i++) {
		struct fp_risk_pos p;
		if (fp_risk_pos_read(a->pos, i, &p) < 0 || !p.symbol_id)
			continue;
		struct fp_jrnl_pos_snapshot sn = {
			.time_ns = now,
			.strategy_id = p.strategy_id,
			.symbol_id = p.symbol_id,
			.position = p.position,
			.cost = p.cost,
			.realized = p.realized,
			.unreal = p.unreal,
			.mark = p.mark,
		};
		if (a->symtab && p.symbol_id < FP_SYMTAB_NB_ENTRIES &&
		    fp_symtab_valid(a->symtab, (uint16_t)p.symbol_id))
			memcpy(sn.stock, fp_symtab_get(a->symtab, (uint16_t)p.symbol_id)->name,
			       sizeof(sn.stock));
		if (fp_store_stage_append(&a->stage, FP_JRNL_REC_POS_SNAPSHOT, FP_JRNL_SRC_STORE,
					  &sn, sizeof(sn)) < 0)
			return n;
		n++;
	}
	snap_pnl(a, &a->pos->firm, FP_JRNL_PNL_FIRM, now);
	for (uint16_t id = 0; id < FP_RISK_MAX_STRATEGIES; id++)
		if (a->pos->strat[id].nb_fills)
			snap_pnl(a, &a->pos->strat[id], id, now);
	return n + 1;
}

static unsigned store_poll(void *ctx, unsigned budget)
{
	struct store_adapter *a = ctx;
	unsigned work = 0;

	if (a->pos && a->snapshot_ns) {
		uint64_t now = mono_ms() * 1000000u;
		if (now >= a->next_snapshot_ns) {
			a->next_snapshot_ns = now + a->snapshot_ns;
			if (!fp_store_stage_stats(&a->stage)->halted)
				work += snapshot(a);
		}
	}
	return work + fp_store_stage_poll(&a->stage, budget);
}

static void store_fini(void *ctx)
{
	struct store_adapter *a = ctx;
	fp_store_stage_fini(&a->stage);
}

static void store_report(const struct fp_ctl_env *env, struct fp_ctl_summary *sum)
{
	const struct fp_store_stats *st = fp_shm_region(env->seg, "store.stats", NULL);

	if (!st || st->magic != FP_STORE_STATS_MAGIC)
		return;
	sum->journal_records = st->records;
	sum->journal_bytes = st->bytes;
	sum->journal_fsyncs = st->fsyncs;
	sum->journal_write_errors = st->write_errors;
	sum->journal_halted = st->halted;
}

const struct fp_ctl_stage_ops fp_ctl_stage_store = {
	.name = "store",
	.ctx_size = sizeof(struct store_adapter),
	.plan = store_plan,
	.setup = store_setup,
	.init = store_init,
	.poll = store_poll,
	.fini = store_fini,
	.report = store_report,
};
