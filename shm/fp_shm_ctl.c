/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fp_shm_ctl.c - control block and worker table (fp_shm_ctl.h): the cold writers, the
 * dumps, and the out-of-line copies of the hot inline readers (C17 inline model).
 *
 * Any process; cold path: takes CLOCK_REALTIME, may spin a bounded time on the writers'
 * flag, never blocks in the kernel and never allocates.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fp_err.h"
#include "fp_shm_ctl.h"

/* Spins of the writers' flag before giving up (a writer holds it for < 1 µs). */
#define FP_CTL_WLOCK_SPINS 1000000

void fp_shm_ctl_init(struct fp_shm_ctl *c)
{
	memset(c, 0, sizeof(*c));
	c->magic = FP_SHM_CTL_MAGIC;
	c->version = FP_SHM_CTL_VERSION;
	fp_seqlock_init(&c->lock);
}

int fp_shm_ctl_check(const struct fp_shm_ctl *c)
{
	if (c->magic != FP_SHM_CTL_MAGIC || c->version != FP_SHM_CTL_VERSION)
		return fp_err_set(-EPROTO,
				  "control block has magic 0x%08" PRIx32 " version %" PRIu32
				  ", expected 0x%08x version %d: mixed builds?",
				  c->magic, c->version, FP_SHM_CTL_MAGIC, FP_SHM_CTL_VERSION);
	return 0;
}

/* Write the change record for a change already applied to the words. */
static int fp_shm_ctl_record(struct fp_shm_ctl *c, uint32_t what, uint32_t old_value,
			     uint32_t new_value, const char *who, const char *reason)
{
	uint64_t seq = atomic_fetch_add_explicit(&c->change_seq, 1, memory_order_acq_rel) + 1;
	int spins = 0;
	uint32_t expected = 0;
	/* Acquire on success: pairs with the release of the previous writer's unlock. */
	while (!atomic_compare_exchange_weak_explicit(&c->wlock, &expected, 1, memory_order_acquire,
						      memory_order_relaxed)) {
		expected = 0;
		if (++spins > FP_CTL_WLOCK_SPINS)
			return fp_err_set(
				-EBUSY,
				"control change %" PRIu64 " applied but not recorded: "
				"another writer holds the record (crashed while writing?)",
				seq);
		fp_cpu_relax();
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	fp_seqlock_write_begin(&c->lock);
	struct fp_shm_ctl_change *l = &c->last;
	/* Two writers can get seqs n and n+1 but take the flag in the other order: keep the
	 * record of the highest seq so that `last` never goes back. */
	if (seq > l->seq) {
		memset(l, 0, sizeof(*l));
		l->seq = seq;
		l->time_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
		l->tsc = fp_tsc_now();
		l->pid = (int32_t)getpid();
		l->what = what;
		l->old_value = old_value;
		l->new_value = new_value;
		snprintf(l->who, sizeof(l->who), "%s", who ? who : "?");
		snprintf(l->reason, sizeof(l->reason), "%s", reason ? reason : "");
	}
	fp_seqlock_write_end(&c->lock);
	/* Release: pairs with the next writer's acquire. */
	atomic_store_explicit(&c->wlock, 0, memory_order_release);
	return 0;
}

int fp_shm_ctl_kill(struct fp_shm_ctl *c, const char *who, const char *reason)
{
	/* seq_cst exchange: the switch is tripped before anything else happens here. */
	uint32_t old = atomic_exchange_explicit(&c->kill, 1, memory_order_seq_cst);
	return fp_shm_ctl_record(c, FP_CTL_CHANGE_KILL, old, 1, who, reason);
}

int fp_shm_ctl_rearm(struct fp_shm_ctl *c, const char *who, const char *reason)
{
	uint32_t old = atomic_exchange_explicit(&c->kill, 0, memory_order_seq_cst);
	return fp_shm_ctl_record(c, FP_CTL_CHANGE_REARM, old, 0, who, reason);
}

int fp_shm_ctl_set_trading(struct fp_shm_ctl *c, uint32_t state, const char *who,
			   const char *reason)
{
	if (state > FP_TRADING_CANCEL_ONLY)
		return fp_err_set(-EINVAL, "unknown trading state %" PRIu32, state);
	/* Release: pairs with the acquire of fp_shm_ctl_trading(). */
	uint32_t old = atomic_exchange_explicit(&c->trading_state, state, memory_order_acq_rel);
	return fp_shm_ctl_record(c, FP_CTL_CHANGE_TRADING, old, state, who, reason);
}

bool fp_shm_ctl_last_change(const struct fp_shm_ctl *c, struct fp_shm_ctl_change *out)
{
	return fp_seqlock_read_copy(&c->lock, out, &c->last, sizeof(*out), 1000);
}

void fp_shm_ctl_dump(FILE *out, const struct fp_shm_ctl *c)
{
	static const char *const states[] = {"off", "on", "halted", "cancel-only"};
	uint32_t ts = fp_shm_ctl_trading(c);
	fprintf(out, "control: kill=%s trading=%s changes=%" PRIu64 "\n",
		fp_shm_ctl_killed(c) ? "TRIPPED" : "armed", ts < 4 ? states[ts] : "?",
		atomic_load_explicit(&c->change_seq, memory_order_acquire));
	struct fp_shm_ctl_change l;
	if (fp_shm_ctl_last_change(c, &l) && l.seq)
		fprintf(out,
			"  last change #%" PRIu64 ": what=%" PRIu32 " %" PRIu32 "->%" PRIu32
			" by '%s' (pid %" PRId32 ") at %" PRIu64 " ns: %s\n",
			l.seq, l.what, l.old_value, l.new_value, l.who, l.pid, l.time_ns, l.reason);
}

void fp_shm_workers_init(struct fp_shm_workers *t)
{
	memset(t, 0, sizeof(*t));
	t->magic = FP_SHM_WORKERS_MAGIC;
	t->version = FP_SHM_WORKERS_VERSION;
	for (unsigned i = 0; i < FP_SHM_MAX_WORKERS; i++)
		t->w[i].core = -1;
}

void fp_shm_worker_set_state(struct fp_shm_worker *w, enum fp_worker_state state)
{
	/* Release: pairs with readers' acquire loads of state (pid, core, started_ns). */
	atomic_store_explicit(&w->state, (uint32_t)state, memory_order_release);
}

void fp_shm_workers_dump(FILE *out, const struct fp_shm_workers *t, uint64_t tsc_hz)
{
	static const char *const states[] = {"free",     "starting", "running",
					     "stopping", "exited",   "dead"};
	uint64_t now = fp_tsc_now();
	fprintf(out, "workers (%" PRIu32 "):\n", t->nb_workers);
	for (uint32_t i = 0; i < t->nb_workers && i < FP_SHM_MAX_WORKERS; i++) {
		const struct fp_shm_worker *w = &t->w[i];
		uint32_t st = atomic_load_explicit(&w->state, memory_order_acquire);
		uint64_t hb = atomic_load_explicit(&w->heartbeat_tsc, memory_order_relaxed);
		double age = tsc_hz && hb ? (double)(now - hb) / (double)tsc_hz * 1e3 : -1.0;
		fprintf(out,
			"  %-24.*s core=%-3" PRId32 " pid=%-7" PRId32
			" state=%-8s restarts=%" PRIu32 " heartbeat_age_ms=%.3f\n",
			FP_SHM_WORKER_NAMESIZE, w->name, w->core, w->pid, st < 6 ? states[st] : "?",
			w->restarts, age);
	}
}

extern inline bool fp_shm_ctl_killed(const struct fp_shm_ctl *c);
extern inline uint32_t fp_shm_ctl_trading(const struct fp_shm_ctl *c);
extern inline void fp_shm_worker_beat(struct fp_shm_worker *w, uint64_t now_tsc);

int fp_shm_ctl_note(struct fp_shm_ctl *c, uint32_t what, uint32_t old_value, uint32_t new_value,
		    const char *who, const char *reason)
{
	return fp_shm_ctl_record(c, what, old_value, new_value, who, reason);
}

const char *fp_shm_ctl_what_str(uint32_t what)
{
	static const char *const names[] = {
		[FP_CTL_CHANGE_NONE] = "none",     [FP_CTL_CHANGE_KILL] = "kill",
		[FP_CTL_CHANGE_REARM] = "rearm",   [FP_CTL_CHANGE_TRADING] = "trading",
		[FP_CTL_CHANGE_LIMITS] = "limits",
	};
	return what < FP_ARRAY_SIZE(names) ? names[what] : NULL;
}
