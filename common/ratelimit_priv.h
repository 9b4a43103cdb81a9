/*
 * ratelimit_priv.h - what the rate-limit files share: compiled rules, the
 * engine, and the state codec.
 *
 *	int	rl_rates_parse(const char *text, struct mk_rl_rate *v, int *n,
 *			char *err, size_t errlen);
 *	const struct mk_rl_limits *rl_limits_for(const struct rl_rule *r,
 *			const char *key);
 *	int	rl_key_of(const struct rl_rule *r,
 *			const struct mk_rl_request *rq, char *key, size_t len);
 *	const struct rl_rule *rl_rule_named(const struct mk_rl_rules *rules,
 *			const char *name);
 *	int	rl_err(const char *fmt, ...);
 *	int	rl_state_read(struct mk_rl_engine *e, const char *rule,
 *			const char *key, int64_t *tat, int n);
 *	int	rl_state_write(struct mk_rl_engine *e, const char *rule,
 *			const char *key, const int64_t *tat, int n);
 *	int	rl_env_ready(struct mk_rl_engine *e);
 *	int	rl_decode(const MDB_val *v, int64_t *tat, int n);
 *
 * rl_key_of() gives the key value of the first of the rule's key
 * attributes present in the request: 1 and key filled, 0 when none is.
 * rl_limits_for() gives an override's limits or the rule's. rl_err()
 * records the calling thread's error for mk_rl_strerror() and returns -1.
 * rl_state_read() fills tat[0..n) (zeros where there is no state) inside
 * the engine's batch transaction when one is open, else a read snapshot;
 * rl_state_write() writes into the batch, opening it. rl_env_ready()
 * opens the environment on first use (and again after a failure, at most
 * once a second); 0 or -1. rl_decode() reads a state value into tat[0..n)
 * (zeros beyond what it holds); -1 when it is not a state value.
 */
#ifndef RATELIMIT_PRIV_H
#define RATELIMIT_PRIV_H

#include <lmdb.h>
#include <time.h>

#include "mk_ratelimit.h"

#define RL_NAME_MAX 64

struct rl_override {
	char *key;
	struct mk_rl_limits lim;
};

struct rl_rule {
	char *name;
	int keys[MK_RL_KEYS_MAX];
	int nkeys;
	int v4len, v6len;		/* client_address prefixes */
	struct mk_rl_limits lim;
	int64_t burst;
	int action;			/* MK_RL_ACT_* */
	char **exempt;			/* sorted */
	size_t nexempt;
	struct rl_override *ov;		/* sorted by key */
	size_t nov;
	char *text;
};

struct mk_rl_rules {
	struct rl_rule *v;
	size_t n;
};

struct mk_rl_engine {
	const struct mk_rl_rules *rules;
	char dir[4096];			/* DIR/ratelimit */
	char top[4096];			/* DIR */
	long long map_size;
	MDB_env *env;
	MDB_dbi dbi;
	MDB_txn *wtxn;			/* the batch, NULL when none */
	MDB_txn *rtxn;			/* reset between reads, or NULL */
	int64_t batch_started;		/* CLOCK_MONOTONIC ns */
	size_t batch_writes;
	time_t failed_at;		/* last failed open */
};

int rl_rates_parse(const char *text, struct mk_rl_rate *v, int *n, char *err,
    size_t errlen);
const struct mk_rl_limits *rl_limits_for(const struct rl_rule *r,
    const char *key);
int rl_key_of(const struct rl_rule *r, const struct mk_rl_request *rq,
    char *key, size_t len);
int rl_exempt(const struct rl_rule *r, const char *key);
const struct rl_rule *rl_rule_named(const struct mk_rl_rules *rules,
    const char *name);
int rl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int rl_state_read(struct mk_rl_engine *e, const char *rule, const char *key,
    int64_t *tat, int n);
int rl_state_write(struct mk_rl_engine *e, const char *rule, const char *key,
    const int64_t *tat, int n);
int rl_env_ready(struct mk_rl_engine *e);
int rl_decode(const MDB_val *v, int64_t *tat, int n);

#endif
