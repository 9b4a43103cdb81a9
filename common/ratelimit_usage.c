/*
 * ratelimit_usage.c - what `milterkit ratelimit show|reset|top` read and
 * change: usage of a key under a rule, computed from its TATs (see
 * mk_ratelimit.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit_priv.h"

/* Fill u from the TATs of rule r for key. */
static void
usage_of(const struct rl_rule *r, const char *key, const int64_t *tat,
    int64_t now, struct mk_rl_usage *u)
{
	const struct mk_rl_limits *lim = mk_rl__limits_for(r, key);

	memset(u, 0, sizeof(*u));
	snprintf(u->rule, sizeof(u->rule), "%s", r->name);
	snprintf(u->key, sizeof(u->key), "%s", key);
	for (int i = 0; i < lim->nmsg + lim->nrcpt; i++) {
		int is_msg = i < lim->nmsg;
		const struct mk_rl_rate *rate = is_msg ? &lim->msg[i] :
		    &lim->rcpt[i - lim->nmsg];
		int64_t interval = rate->period / rate->count;
		int64_t used = 0;
		double fill;

		if (interval < 1)
			interval = 1;
		if (tat[i] > now)
			used = (tat[i] - now + interval - 1) / interval;
		u->rate[i].what = is_msg ? "messages" : "recipients";
		u->rate[i].limit = rate->count;
		u->rate[i].period = rate->period / MK_RL_NS;
		u->rate[i].used = used;
		fill = (double)used / (double)rate->count;
		if (fill > u->fill)
			u->fill = fill;
	}
	u->nrates = lim->nmsg + lim->nrcpt;
}

int
mk_rl_state_get(struct mk_rl_engine *e, const char *rule, const char *key,
    int64_t now, struct mk_rl_usage *u)
{
	const struct rl_rule *r = mk_rl__rule_named(e->rules, rule);
	int64_t tat[2 * MK_RL_RATES_MAX];
	int n, rc;

	if (r == NULL)
		return mk_rl__err(MK_RL_ENORULE, "no rule [ratelimit %s] in the"
		    " configuration", rule);
	n = mk_rl__limits_for(r, key)->nmsg + mk_rl__limits_for(r, key)->nrcpt;
	if ((rc = mk_rl__state_read(e, rule, key, tat, n)) != 0)
		return rc;
	for (int i = 0; i < n; i++) {
		if (tat[i] != 0) {
			usage_of(r, key, tat, now, u);
			return 0;
		}
	}
	return 1;
}

int
mk_rl_state_reset(struct mk_rl_engine *e, const char *rule, const char *key)
{
	char kbuf[RL_NAME_MAX + MK_RL_KEY_MAX + 2];
	size_t rl = strlen(rule), kl = strlen(key);
	MDB_val k;
	MDB_txn *txn;
	int rc;

	if (rl > RL_NAME_MAX || kl >= MK_RL_KEY_MAX)
		return mk_rl__err(MK_RL_EINVAL, "rule or key too long");
	if ((rc = mk_rl__env_ready(e)) != 0)
		return rc;
	memcpy(kbuf, rule, rl);
	kbuf[rl] = '\0';
	memcpy(kbuf + rl + 1, key, kl);
	k.mv_data = kbuf;
	k.mv_size = rl + 1 + kl;
	if ((rc = mdb_txn_begin(e->env, NULL, 0, &txn)) != 0)
		return mk_rl__err(MK_RL_ESTORE, "ratelimit store %s: %s",
		    e->dir, mdb_strerror(rc));
	rc = mdb_del(txn, e->dbi, &k, NULL);
	if (rc == MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return 1;
	}
	if (rc != 0 || (rc = mdb_txn_commit(txn)) != 0) {
		if (rc != 0 && txn != NULL)
			mdb_txn_abort(txn);
		return mk_rl__err(MK_RL_ESTORE, "ratelimit store %s: %s",
		    e->dir, mdb_strerror(rc));
	}
	return 0;
}

/* Keep out[0..*got) the highest fills, at most n, highest first. */
static void
top_insert(struct mk_rl_usage *out, size_t n, size_t *got,
    const struct mk_rl_usage *u)
{
	size_t i;

	if (*got == n) {
		if (out[n - 1].fill >= u->fill)
			return;
		i = n - 1;		/* the lowest makes way */
	} else {
		i = (*got)++;
	}
	while (i > 0 && out[i - 1].fill < u->fill) {
		out[i] = out[i - 1];
		i--;
	}
	out[i] = *u;
}

int
mk_rl_state_top(struct mk_rl_engine *e, int64_t now, size_t n,
    struct mk_rl_usage *out, size_t *got)
{
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	int rc, op = MDB_FIRST;

	*got = 0;
	if (n == 0)
		return 0;
	memset(out, 0, n * sizeof(*out));
	if ((rc = mk_rl__env_ready(e)) != 0)
		return rc;
	if ((rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &txn)) != 0)
		return mk_rl__err(MK_RL_ESTORE, "ratelimit store %s: %s",
		    e->dir, mdb_strerror(rc));
	if ((rc = mdb_cursor_open(txn, e->dbi, &cur)) != 0) {
		mdb_txn_abort(txn);
		return mk_rl__err(MK_RL_ESTORE, "ratelimit store %s: %s",
		    e->dir, mdb_strerror(rc));
	}
	while ((rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
		const char *z = memchr(k.mv_data, '\0', k.mv_size);
		char rule[RL_NAME_MAX + 1], key[MK_RL_KEY_MAX];
		int64_t tat[2 * MK_RL_RATES_MAX];
		const struct rl_rule *r;
		struct mk_rl_usage u;
		size_t rl, kl;

		op = MDB_NEXT;
		if (z == NULL || (rl = (size_t)(z - (char *)k.mv_data)) >
		    RL_NAME_MAX || (kl = k.mv_size - rl - 1) >= sizeof(key))
			continue;
		memcpy(rule, k.mv_data, rl);
		rule[rl] = '\0';
		memcpy(key, z + 1, kl);
		key[kl] = '\0';
		if ((r = mk_rl__rule_named(e->rules, rule)) == NULL)
			continue;	/* a rule no longer configured */
		if (mk_rl__decode(&v, tat, 2 * MK_RL_RATES_MAX) != 0)
			continue;
		usage_of(r, key, tat, now, &u);
		if (u.fill > 0)
			top_insert(out, n, got, &u);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (rc != MDB_NOTFOUND)
		return mk_rl__err(MK_RL_ESTORE, "ratelimit store %s: %s",
		    e->dir, mdb_strerror(rc));
	return 0;
}
