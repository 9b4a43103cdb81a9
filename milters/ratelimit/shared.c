/*
 * shared.c - the rate-limit filter's state and the one engine a process
 * shares (ratelimit.h): rlf_state_new(), rlf_state_free(), rlf_check().
 *
 * The skeleton runs several event loops (threads) and may hold several
 * configurations at once (connections finish on the one they began with
 * while a reload swaps in a new one). The engine is one thread's at a
 * time and its LMDB environment may be open once per process, so there
 * is one engine, behind a mutex: opened at the first check with the
 * rules of the state checking, reopened when a newer configuration
 * checks, closed (flushed) with the state whose rules it uses.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mk_log.h"
#include "mk_mem.h"
#include "ratelimit.h"
#include "rl_conf.h"

struct rlf_state {
	struct mk_session_choice sessions;
	struct mk_rl_rules *rules;
	char *store;			/* [store] path */
	long long map_size;
	unsigned long seq;		/* configurations in order of init */
};

static pthread_mutex_t eng_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mk_rl_engine *eng;	/* NULL until a check opens it */
static const struct rlf_state *eng_owner; /* whose rules it uses */
static unsigned long next_seq;		/* under eng_lock */
static struct mk_log_limit commit_failed = MK_LOG_LIMIT_INIT;

int
rlf_state_new(const struct mk_conf *conf, struct rlf_state **out, char *err,
    size_t errlen)
{
	const struct rlf_conf *c = rlf_conf(conf);
	struct rlf_state *st = mk_calloc(1, sizeof(*st));

	*out = NULL;
	if (mk_session_choice_parse(&st->sessions, c->d.check, c->d.networks,
	    err, errlen) != 0 ||
	    mk_rl_rules_load(conf, &st->rules, err, errlen) != 0) {
		rlf_state_free(st);
		return -1;
	}
	st->store = mk_strdup(conf->store.path);
	st->map_size = conf->store.map_size;
	pthread_mutex_lock(&eng_lock);
	st->seq = ++next_seq;
	pthread_mutex_unlock(&eng_lock);
	if (mk_rl_rules_count(st->rules) == 0)
		mk_warn("[rlimit]: no [ratelimit NAME] rules: nothing is "
		    "limited");
	*out = st;
	return 0;
}

void
rlf_state_free(struct rlf_state *st)
{
	if (st == NULL)
		return;
	pthread_mutex_lock(&eng_lock);
	if (eng_owner == st) {
		/* Flushes what is queued: no count is lost to a reload. */
		mk_rl_engine_close(eng);
		eng = NULL;
		eng_owner = NULL;
	}
	pthread_mutex_unlock(&eng_lock);
	mk_session_choice_free(&st->sessions);
	mk_rl_rules_free(st->rules);
	free(st->store);
	free(st);
}

const struct mk_session_choice *
rlf_sessions(const void *st)
{
	return &((const struct rlf_state *)st)->sessions;
}

size_t
rlf_rules_count(const struct rlf_state *st)
{
	return mk_rl_rules_count(st->rules);
}

/* The engine st checks with, under eng_lock: NULL with r->cause set. */
static struct mk_rl_engine *
engine_for(struct rlf_state *st, struct rlf_result *r)
{
	if (eng != NULL && eng_owner->seq >= st->seq)
		return eng;
	mk_rl_engine_close(eng);
	eng = NULL;
	eng_owner = NULL;
	if (mk_rl_engine_open(st->store, st->rules, st->map_size, &eng,
	    r->cause, sizeof(r->cause)) != 0) {
		eng = NULL;
		return NULL;
	}
	eng_owner = st;
	return eng;
}

enum rlf_kind
rlf_check(struct rlf_state *st, enum rlf_stage stage,
    const struct rlf_envelope *env, struct mk_rl_txn *tx, int64_t now,
    struct rlf_result *r)
{
	struct mk_rl_request rq;
	struct mk_rl_verdict v;
	struct mk_rl_engine *e;
	char err[512];
	int rc;

	rlf_request(stage, env, &rq, tx);
	pthread_mutex_lock(&eng_lock);
	if ((e = engine_for(st, r)) == NULL) {
		pthread_mutex_unlock(&eng_lock);
		r->kind = RLF_ERROR;
		return r->kind;
	}
	rc = mk_rl_check(e, &rq, tx, now, &v);
	/* v->rule points into the engine's rules: copied under the lock. */
	if (rc == 0)
		rlf_answer(&v, r);
	if (mk_rl_batch_end(e, err, sizeof(err)) < 0)
		mk_log_limited(&commit_failed, MK_LOG_ERROR, "cannot commit "
		    "rate-limit counters: %s", err);
	pthread_mutex_unlock(&eng_lock);
	if (rc < 0) {
		memset(r, 0, sizeof(*r));
		r->what = "";
		r->kind = RLF_ERROR;
		snprintf(r->cause, sizeof(r->cause), "%s", v.reply);
	}
	return r->kind;
}
