/*
 * ratelimit_writer.c - the thread that commits an engine's counts to
 * DIR/ratelimit, so that no reply waits for a commit (see
 * ratelimit_priv.h).
 *
 * The checking thread pushes updates into a ring of fixed size and goes
 * on; once the oldest is RL_COMMIT_NS old, RL_COMMIT_WRITES are queued,
 * or a flush asks, the writer takes the queued updates, at most
 * RL_COMMIT_WRITES, and applies them in ONE write transaction, which it
 * begins and commits itself (LMDB binds a write transaction to its
 * thread); when it has fallen behind, commits follow one another. An update is not
 * a value but a merge: for each rate, TAT = max(stored TAT, now) + add,
 * what mk_rl_gcra() does when it commits. So counts made by other
 * processes meanwhile add up instead of being overwritten, and a key reset
 * by `milterkit ratelimit reset` starts again from the updates after it.
 *
 * committed is the sequence number of the last update dealt with
 * (committed, or lost with a failed commit); it is published after the
 * commit, so a read snapshot begun after reading it includes that commit.
 * A full ring makes mk_rl__wr_push() wait for the writer: memory stays bounded
 * when the disk falls behind. MDB_MAP_RESIZED (another process grew the
 * map) at the writer's begin leaves the batch queued and asks the
 * checking thread to adopt the new size (mk_rl__wr_hold() while it does: LMDB
 * wants no transaction of the process active then).
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mk_log.h"
#include "mk_mem.h"
#include "ratelimit_priv.h"

struct rl_update {
	uint64_t seq;
	int64_t queued;			/* CLOCK_MONOTONIC ns */
	int64_t now;			/* the request's clock */
	int64_t add[2 * MK_RL_RATES_MAX];
	int n;
	size_t klen;
	char k[RL_KEY_BUF];
};

struct rl_writer {
	MDB_env *env;
	MDB_dbi dbi;
	const char *dir;		/* the engine's, for messages */
	long long map_size;
	pthread_t tid;
	pthread_mutex_t mu;		/* guards everything below */
	pthread_cond_t work;		/* to the writer (CLOCK_MONOTONIC) */
	pthread_cond_t space, done;	/* to the checking thread */
	struct rl_update *q;
	size_t cap, head, count;
	uint64_t pushed;		/* sequence of the last push */
	_Atomic uint64_t committed;	/* of the last update dealt with */
	uint64_t want;			/* a flush waits for this one */
	int busy;			/* inside a write transaction */
	int hold, paused, stop;
	_Atomic int remap;		/* waits for mk_rl__wr_hold() */
	_Atomic int failing;		/* the last commit failed */
	size_t lost;			/* since mk_rl__wr_report() */
	char cause[256];
};

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * MK_RL_NS + ts.tv_nsec;
}

/* Apply an update: each rate's TAT = max(TAT, now) + add[i]. */
static void
tat_merge(int64_t *tat, int64_t now, const int64_t *add, int n)
{
	for (int i = 0; i < n; i++)
		tat[i] = (tat[i] > now ? tat[i] : now) + add[i];
}

/* Apply q[first..first+k) in one transaction: 0, 1 when the map must be
 * adopted first (nothing done), -1 with cause. */
static int
apply(struct rl_writer *w, size_t first, size_t k, char *cause, size_t len)
{
	unsigned char vbuf[RL_VAL_MAX];
	MDB_txn *txn;
	int rc;

	if ((rc = mdb_txn_begin(w->env, NULL, 0, &txn)) == MDB_MAP_RESIZED)
		return 1;
	if (rc != 0)
		goto fail;
	for (size_t i = 0; i < k; i++) {
		const struct rl_update *u = &w->q[(first + i) % w->cap];
		int64_t tat[2 * MK_RL_RATES_MAX];
		MDB_val key = { u->klen, (void *)u->k }, v;

		rc = mdb_get(txn, w->dbi, &key, &v);
		if (rc == 0 && mk_rl__decode(&v, tat, u->n) != 0)
			memset(tat, 0, sizeof(tat));	/* start afresh */
		else if (rc == MDB_NOTFOUND)
			memset(tat, 0, sizeof(tat));
		else if (rc != 0)
			break;
		tat_merge(tat, u->now, u->add, u->n);
		v.mv_data = vbuf;
		v.mv_size = mk_rl__encode(tat, u->n, vbuf);
		if ((rc = mdb_put(txn, w->dbi, &key, &v, 0)) != 0)
			break;
	}
	if (rc != 0) {
		mdb_txn_abort(txn);
		goto fail;
	}
	if ((rc = mdb_txn_commit(txn)) == 0)
		return 0;
fail:
	if (rc == MDB_MAP_FULL)
		snprintf(cause, len, "ratelimit store %s is full (map_size %lld):"
		    " raise [store] map_size", w->dir, w->map_size);
	else
		snprintf(cause, len, "ratelimit store %s: %s", w->dir,
		    mdb_strerror(rc));
	return -1;
}

/* Whether the writer should commit now; else *deadline is when. */
static int
due(const struct rl_writer *w, struct timespec *deadline)
{
	int64_t at;

	if (w->stop || w->count >= RL_COMMIT_WRITES || w->want > w->committed)
		return 1;
	at = w->q[w->head].queued + RL_COMMIT_NS;
	if (mono_ns() >= at)
		return 1;
	deadline->tv_sec = (time_t)(at / MK_RL_NS);
	deadline->tv_nsec = (long)(at % MK_RL_NS);
	return 0;
}

static void *
writer_main(void *arg)
{
	struct rl_writer *w = arg;
	char cause[sizeof(w->cause)];
	struct timespec deadline;
	struct sched_param sp = { .sched_priority = 0 };

	/* Waking up, the writer must not preempt the thread that answers:
	 * SCHED_BATCH tasks do not preempt on wakeup. Best effort. */
	pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
	pthread_mutex_lock(&w->mu);
	for (;;) {
		size_t first, k;
		int rc;

		/* Stopping, it commits what is queued; unless the map could
		 * not be adopted: then that is lost. */
		if (w->stop && (w->count == 0 || w->remap))
			break;
		if (w->count == 0 || w->hold || w->remap || (w->paused &&
		    !w->stop && w->want <= w->committed)) {
			pthread_cond_wait(&w->work, &w->mu);
			continue;
		}
		if (!due(w, &deadline)) {
			pthread_cond_timedwait(&w->work, &w->mu, &deadline);
			continue;
		}
		/* At most RL_COMMIT_WRITES: LMDB keeps the pages a commit
		 * dirtied for the next ones, so the biggest commit sets the
		 * memory for good. */
		first = w->head;
		k = w->count < RL_COMMIT_WRITES ? w->count : RL_COMMIT_WRITES;
		w->busy = 1;
		pthread_mutex_unlock(&w->mu);
		rc = apply(w, first, k, cause, sizeof(cause));
		pthread_mutex_lock(&w->mu);
		w->busy = 0;
		if (rc == 1) {
			/* A flush or a push waiting for room adopts it. */
			atomic_store(&w->remap, 1);
			pthread_cond_broadcast(&w->done);
			pthread_cond_broadcast(&w->space);
			continue;
		}
		if (rc != 0) {
			w->lost += k;
			memcpy(w->cause, cause, sizeof(w->cause));
		}
		atomic_store(&w->failing, rc != 0);
		w->head = (first + k) % w->cap;
		w->count -= k;
		atomic_store_explicit(&w->committed,
		    w->q[(first + k - 1) % w->cap].seq, memory_order_release);
		pthread_cond_broadcast(&w->space);
		pthread_cond_broadcast(&w->done);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int
mk_rl__wr_start(struct rl_writer **out, MDB_env *env, MDB_dbi dbi,
    const char *dir, long long map_size, size_t cap)
{
	struct rl_writer *w = mk_calloc(1, sizeof(*w));
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

	*out = NULL;
	w->env = env;
	w->dbi = dbi;
	w->dir = dir;
	w->map_size = map_size;
	w->cap = cap > 0 ? cap : 1;
	w->q = mk_calloc(w->cap, sizeof(*w->q));
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->work, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&w->space, NULL);
	pthread_cond_init(&w->done, NULL);
	/* Signals stay with the daemon's own thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&w->tid, NULL, writer_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&w->work);
		pthread_cond_destroy(&w->space);
		pthread_cond_destroy(&w->done);
		pthread_mutex_destroy(&w->mu);
		free(w->q);
		free(w);
		return mk_rl__err(MK_RL_ESYS, "cannot start the rate-limit"
		    " writer thread: %s", strerror(rc));
	}
	*out = w;
	return 0;
}

void
mk_rl__wr_stop(struct rl_writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->tid, NULL);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->space);
	pthread_cond_destroy(&w->done);
	pthread_mutex_destroy(&w->mu);
	free(w->q);
	free(w);
}

uint64_t
mk_rl__wr_push(struct rl_writer *w, const char *k, size_t klen, int64_t now,
    const int64_t *add, int n)
{
	struct rl_update *u;
	uint64_t seq;

	if (klen > sizeof(u->k) || n > 2 * MK_RL_RATES_MAX)
		mk_panic("mk_rl__wr_push: key of %zu octets, %d rates", klen,
		    n);
	pthread_mutex_lock(&w->mu);
	while (w->count == w->cap && !w->remap)
		pthread_cond_wait(&w->space, &w->mu);
	if (w->count == w->cap) {
		pthread_mutex_unlock(&w->mu);
		return 0;		/* the caller adopts the map first */
	}
	u = &w->q[(w->head + w->count) % w->cap];
	u->seq = seq = ++w->pushed;
	u->queued = mono_ns();
	u->now = now;
	memcpy(u->add, add, (size_t)n * sizeof(*add));
	u->n = n;
	memcpy(u->k, k, klen);
	u->klen = klen;
	/* The writer sleeps until there is work, then until it is due. */
	if (++w->count == 1 || w->count == RL_COMMIT_WRITES)
		pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	return seq;
}

uint64_t
mk_rl__wr_committed(struct rl_writer *w)
{
	return atomic_load_explicit(&w->committed, memory_order_acquire);
}

int
mk_rl__wr_flush(struct rl_writer *w)
{
	int rc = 0;

	pthread_mutex_lock(&w->mu);
	w->want = w->pushed;
	pthread_cond_signal(&w->work);
	while (atomic_load(&w->committed) < w->want) {
		if (atomic_load(&w->remap)) {
			rc = 1;
			break;
		}
		pthread_cond_wait(&w->done, &w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

size_t
mk_rl__wr_pending(struct rl_writer *w)
{
	size_t n;

	pthread_mutex_lock(&w->mu);
	n = w->count;
	pthread_mutex_unlock(&w->mu);
	return n;
}

int
mk_rl__wr_remap_wanted(struct rl_writer *w)
{
	return atomic_load_explicit(&w->remap, memory_order_relaxed);
}

void
mk_rl__wr_hold(struct rl_writer *w, int on)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->hold = on;
	while (on && w->busy)
		pthread_cond_wait(&w->done, &w->mu);
	if (!on) {
		atomic_store(&w->remap, 0);
		pthread_cond_signal(&w->work);
	}
	pthread_mutex_unlock(&w->mu);
}

void
mk_rl__wr_pause(struct rl_writer *w, int on)
{
	pthread_mutex_lock(&w->mu);
	w->paused = on;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
}

int
mk_rl__wr_failing(struct rl_writer *w, char *cause, size_t len)
{
	if (!atomic_load_explicit(&w->failing, memory_order_relaxed))
		return 0;
	pthread_mutex_lock(&w->mu);
	snprintf(cause, len, "%s", w->cause);
	pthread_mutex_unlock(&w->mu);
	return 1;
}

size_t
mk_rl__wr_report(struct rl_writer *w, char *cause, size_t len)
{
	size_t lost;

	pthread_mutex_lock(&w->mu);
	lost = w->lost;
	if (lost > 0)
		snprintf(cause, len, "%s", w->cause);
	w->lost = 0;
	pthread_mutex_unlock(&w->mu);
	return lost;
}
