/*
 * ratelimit.c - the limit arithmetic (GCRA) and the decision for one
 * policy request (see mk_ratelimit.h).
 *
 * A decision is made in two passes over the rules: the first finds whether
 * every rule admits the request (nothing written), the second, only when
 * the request passes, counts it for the rules that count at this stage. So
 * a message deferred by one rule is not counted by another.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mk_mem.h"
#include "ratelimit_priv.h"

int
mk_rl_gcra(int64_t *tat, const struct mk_rl_rate *rate, int64_t burst,
    int64_t used, int64_t cost, int64_t now, int commit)
{
	int64_t interval = rate->period / rate->count;
	int64_t start = *tat > now ? *tat : now;
	int fits;

	if (interval < 1)
		interval = 1;
	/* Admitted when the bucket, after used + cost more units, still
	 * empties within one period plus the burst allowance. */
	fits = start + (used + cost) * interval - now <=
	    rate->period + burst * interval;
	if (commit)
		*tat = start + cost * interval;
	return fits;
}

/* Units used in the window of rate, as the TAT tells. */
static int64_t
units_used(int64_t tat, const struct mk_rl_rate *rate, int64_t now)
{
	int64_t interval = rate->period / rate->count;

	if (interval < 1)
		interval = 1;
	return tat > now ? (tat - now + interval - 1) / interval : 0;
}

void
mk_rl_txn_reset(struct mk_rl_txn *tx)
{
	memset(tx, 0, sizeof(*tx));
}

int
mk_rl_engine_open(const char *dir, const struct mk_rl_rules *rules,
    long long map_size, struct mk_rl_engine **out, char *err, size_t errlen)
{
	struct mk_rl_engine *e = mk_calloc(1, sizeof(*e));
	int n = snprintf(e->dir, sizeof(e->dir), "%s/ratelimit", dir);

	*out = NULL;
	if (n < 0 || (size_t)n >= sizeof(e->dir)) {
		snprintf(err, errlen, "%.80s...: path too long", dir);
		free(e);
		return MK_RL_EINVAL;
	}
	snprintf(e->top, sizeof(e->top), "%s", dir);
	e->rules = rules;
	e->map_size = map_size > 0 ? map_size : 1LL << 30;
	*out = e;
	return 0;
}

void
mk_rl_engine_close(struct mk_rl_engine *e)
{
	if (e == NULL)
		return;
	mk_rl__state_close(e);
	free(e);
}

/* What one rule says of the request at this stage (eval_rule(): 0, or a
 * negative MK_RL_E* code). */
struct rule_eval {
	int counts;		/* it counts something at this stage */
	int fits;
	const char *what;	/* the first rate that does not fit */
	int64_t limit, period, used;
};

static int
eval_rule(struct mk_rl_engine *e, const struct rl_rule *r, const char *key,
    int eom, int64_t rcpts, int64_t now, int commit, struct rule_eval *ev)
{
	const struct mk_rl_limits *lim = mk_rl__limits_for(r, key);
	int64_t tat[2 * MK_RL_RATES_MAX], add[2 * MK_RL_RATES_MAX];
	int rcptdom = r->keys[0] == MK_RL_KEY_RCPT_DOMAIN;
	int n = lim->nmsg + lim->nrcpt, rc;

	memset(ev, 0, sizeof(*ev));
	ev->fits = 1;
	ev->counts = eom ? !rcptdom : rcptdom;
	if (eom && rcptdom)
		return 0;		/* counted at RCPT */
	if ((rc = mk_rl__state_read(e, r->name, key, tat, n)) != 0)
		return rc;
	for (int i = 0; i < n; i++) {
		int is_msg = i < lim->nmsg;
		const struct mk_rl_rate *rate = is_msg ? &lim->msg[i] :
		    &lim->rcpt[i - lim->nmsg];
		/* RCPT: one more message and one more recipient must fit;
		 * END-OF-MESSAGE: the message and its recipients. */
		int64_t used = !is_msg && !eom && !rcptdom ? rcpts : 0;
		int64_t cost = is_msg ? 1 : eom ? rcpts : 1;
		int64_t before = units_used(tat[i], rate, now);
		int64_t start = tat[i] > now ? tat[i] : now;

		if (!mk_rl_gcra(&tat[i], rate, r->burst, used, cost, now,
		    commit && ev->counts) && ev->fits) {
			ev->fits = 0;
			ev->what = is_msg ? "messages" : "recipients";
			ev->limit = rate->count;
			ev->period = rate->period / MK_RL_NS;
			ev->used = before + used;
		}
		add[i] = tat[i] - start;	/* what the writer merges */
	}
	if (commit && ev->counts && n > 0)
		return mk_rl__state_write(e, r->name, key, now, add, tat, n);
	return 0;
}

static void
set_verdict(struct mk_rl_verdict *v, const struct rl_rule *r, const char *key,
    const struct rule_eval *ev)
{
	v->rule = r->name;
	snprintf(v->key, sizeof(v->key), "%s", key);
	v->what = ev->what;
	v->limit = ev->limit;
	v->period = ev->period;
	v->used = ev->used;
	switch (r->action) {
	case MK_RL_ACT_REJECT:
		v->action = MK_RL_REJECT;
		snprintf(v->reply, sizeof(v->reply), "REJECT 5.7.1 %s", r->text);
		break;
	case MK_RL_ACT_WARN:
		v->action = MK_RL_WARN;
		snprintf(v->reply, sizeof(v->reply), "DUNNO");
		break;
	default:
		v->action = MK_RL_DEFER;
		snprintf(v->reply, sizeof(v->reply), "DEFER 4.7.1 %s", r->text);
		break;
	}
}

/* One pass over the rules; commit counts. The first defer or reject
 * ends the first pass; warns are noted and the request goes on. */
static int
rules_pass(struct mk_rl_engine *e, const struct mk_rl_request *rq, int eom,
    int64_t rcpts, int64_t now, int commit, struct mk_rl_verdict *v)
{
	char key[MK_RL_KEY_MAX];
	struct rule_eval ev;
	int rc;

	for (size_t i = 0; i < e->rules->n; i++) {
		const struct rl_rule *r = &e->rules->v[i];

		if (!mk_rl__key_of(r, rq, key, sizeof(key)) ||
		    mk_rl__exempt(r, key))
			continue;
		if ((rc = eval_rule(e, r, key, eom, rcpts, now, commit,
		    &ev)) != 0)
			return rc;
		if (commit || ev.fits)
			continue;
		if (v->action == MK_RL_DUNNO || r->action != MK_RL_ACT_WARN)
			set_verdict(v, r, key, &ev);
		if (r->action != MK_RL_ACT_WARN)
			return 0;
	}
	return 0;
}

int
mk_rl_check(struct mk_rl_engine *e, const struct mk_rl_request *rq,
    struct mk_rl_txn *tx, int64_t now, struct mk_rl_verdict *v)
{
	const char *state = rq->protocol_state ? rq->protocol_state : "";
	int eom = strcasecmp(state, "END-OF-MESSAGE") == 0;
	int64_t rcpts;
	int rc;

	memset(v, 0, sizeof(*v));
	v->action = MK_RL_DUNNO;
	snprintf(v->reply, sizeof(v->reply), "DUNNO");
	if (rq->instance != NULL && strncmp(tx->instance, rq->instance,
	    sizeof(tx->instance) - 1) != 0) {
		mk_rl_txn_reset(tx);
		snprintf(tx->instance, sizeof(tx->instance), "%s", rq->instance);
	}
	if (!eom && strcasecmp(state, "RCPT") != 0)
		return 0;
	rcpts = eom ? (rq->recipient_count >= 0 ? rq->recipient_count :
	    tx->rcpts) : tx->rcpts;
	if ((rc = rules_pass(e, rq, eom, rcpts, now, 0, v)) != 0 ||
	    ((v->action == MK_RL_DUNNO || v->action == MK_RL_WARN) &&
	    (rc = rules_pass(e, rq, eom, rcpts, now, 1, v)) != 0)) {
		v->action = MK_RL_DUNNO;
		snprintf(v->reply, sizeof(v->reply), "%s", mk_rl_errdetail());
		return rc;
	}
	if (!eom && (v->action == MK_RL_DUNNO || v->action == MK_RL_WARN))
		tx->rcpts++;
	return 0;
}
