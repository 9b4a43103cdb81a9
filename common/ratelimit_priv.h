/*
 * ratelimit_priv.h - what the rate-limit files share: compiled rules, the
 * engine, the state codec, the writer thread and the overlay.
 * Names of the form mk_rl__name (two underscores) are private to the
 * module: shared between its files (and its tests), never called elsewhere.
 *
 *	const struct mk_rl_limits *mk_rl__limits_for(const struct rl_rule *r,
 *			const char *key);
 *	int	mk_rl__key_of(const struct rl_rule *r,
 *			const struct mk_rl_request *rq, char *key, size_t len);
 *	int	mk_rl__exempt(const struct rl_rule *r, const char *key);
 *	const struct rl_rule *mk_rl__rule_named(
 *			const struct mk_rl_rules *rules, const char *name);
 *	int	mk_rl__err(int code, const char *fmt, ...);
 *	int	mk_rl__state_read(struct mk_rl_engine *e, const char *rule,
 *			const char *key, int64_t *tat, int n);
 *	int	mk_rl__state_write(struct mk_rl_engine *e, const char *rule,
 *			const char *key, int64_t now, const int64_t *add,
 *			const int64_t *tat, int n);
 *	int	mk_rl__env_ready(struct mk_rl_engine *e);
 *	int	mk_rl__decode(const MDB_val *v, int64_t *tat, int n);
 *	size_t	mk_rl__encode(const int64_t *tat, int n, unsigned char *buf);
 *	void	mk_rl__state_close(struct mk_rl_engine *e);
 *
 *	(ratelimit_writer.c)
 *	int	mk_rl__wr_start(struct rl_writer **out, MDB_env *env,
 *			MDB_dbi dbi, const char *dir, long long map_size,
 *			size_t cap);
 *	void	mk_rl__wr_stop(struct rl_writer *w);
 *	uint64_t mk_rl__wr_push(struct rl_writer *w, const char *k,
 *			size_t klen, int64_t now, const int64_t *add, int n);
 *	uint64_t mk_rl__wr_committed(struct rl_writer *w);
 *	int	mk_rl__wr_flush(struct rl_writer *w);
 *	size_t	mk_rl__wr_pending(struct rl_writer *w);
 *	int	mk_rl__wr_failing(struct rl_writer *w, char *cause, size_t len);
 *	size_t	mk_rl__wr_report(struct rl_writer *w, char *cause, size_t len);
 *	int	mk_rl__wr_remap_wanted(struct rl_writer *w);
 *	void	mk_rl__wr_hold(struct rl_writer *w, int on);
 *	void	mk_rl__wr_pause(struct rl_writer *w, int on);
 *
 *	(ratelimit_overlay.c)
 *	struct rl_overlay *mk_rl__ov_new(void);
 *	void	mk_rl__ov_free(struct rl_overlay *ov);
 *	int	mk_rl__ov_get(const struct rl_overlay *ov, const char *k,
 *			size_t klen, int64_t *tat, int n);
 *	void	mk_rl__ov_put(struct rl_overlay *ov, const char *k,
 *			size_t klen, const int64_t *tat, int n, uint64_t seq);
 *	void	mk_rl__ov_prune(struct rl_overlay *ov, uint64_t done);
 *	size_t	mk_rl__ov_size(const struct rl_overlay *ov);
 *
 * mk_rl__key_of() gives the key value of the first of the rule's key
 * attributes present in the request: 1 and key filled, 0 when none is.
 * mk_rl__limits_for() gives an override's limits or the rule's. mk_rl__err()
 * records the calling thread's detail for mk_rl_errdetail() and returns
 * code. The other functions return 0 or a negative MK_RL_E* code with the
 * detail recorded, unless said otherwise. mk_rl__state_read() fills
 * tat[0..n) (zeros where there is no state) from the overlay when the key
 * has counts not yet committed, else from a read snapshot of the store.
 * mk_rl__state_write() hands the update (for each rate: TAT = max(TAT, now)
 * + add[i]) to the engine's writer thread, starting it, and records tat, the
 * result, in the overlay; MK_RL_ESTORE also when the writer's last commit
 * failed (the update is queued all the same). mk_rl__env_ready() opens the
 * environment on first use (and again after a failure, at most once a
 * second); 0 or MK_RL_ESTORE. mk_rl__decode() reads a state value into
 * tat[0..n) (zeros beyond what it holds); -1 when it is not a state value.
 * mk_rl__encode() writes one into buf (RL_VAL_MAX octets) and returns its
 * length. mk_rl__state_close() commits what is queued, stops the writer and
 * closes the environment.
 *
 * The writer: mk_rl__wr_start() starts the thread with a ring of cap updates
 * (0, or MK_RL_ESYS); mk_rl__wr_stop() commits what is queued, ends the
 * thread and frees w (NULL is a no-op). mk_rl__wr_push() queues an update,
 * waiting while the ring is full, and returns its sequence number (from 1
 * up); 0 when the writer waits for the map to be adopted (nothing queued).
 * mk_rl__wr_committed() is the sequence number of the last update dealt
 * with: committed, or lost with a failed commit; a read snapshot begun after
 * this call includes it. mk_rl__wr_flush() makes the writer commit
 * everything pushed and waits for it: 0, or 1 when the writer waits for the
 * map to be adopted (adopt it, flush again). mk_rl__wr_pending() counts the
 * updates queued, including those being committed. mk_rl__wr_failing() is 1,
 * with the cause, while the last commit has failed; mk_rl__wr_report()
 * returns how many updates failed commits lost since the last call, with the
 * last cause. mk_rl__wr_remap_wanted() says the writer met MDB_MAP_RESIZED;
 * the checking thread then calls mk_rl__wr_hold(w, 1) (returns once the
 * writer is out of any transaction and keeps it out),
 * mdb_env_set_mapsize(env, 0), mk_rl__wr_hold(w, 0). mk_rl__wr_pause() keeps
 * the writer from committing on its own (tests only); a flush or a stop
 * still commits. The writer's functions are for the one checking thread of
 * the engine.
 *
 * The overlay (used by the checking thread only): mk_rl__ov_get() is 1 with
 * tat[0..n) filled when k has an entry, else 0; mk_rl__ov_put() records tat
 * as k's value after the update numbered seq (seq grows with each call);
 * mk_rl__ov_prune() drops the entries whose last update is done <= done.
 */
#ifndef RATELIMIT_PRIV_H
#define RATELIMIT_PRIV_H

#include <lmdb.h>
#include <time.h>

#include "mk_ratelimit.h"

#define RL_NAME_MAX 64
#define RL_KEY_BUF (RL_NAME_MAX + MK_RL_KEY_MAX + 2)	/* rule NUL key */
#define RL_VAL_MAX (2 + 8 * 2 * MK_RL_RATES_MAX)
#define RL_COMMIT_NS (1000000LL)	/* an update waits at most 1 ms */
#define RL_COMMIT_WRITES 256		/* or this many are queued; max */
#define RL_QUEUE_MAX 4096		/* updates in flight */

struct rl_writer;
struct rl_overlay;

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
	MDB_txn *rtxn;			/* reset between reads, or NULL */
	struct rl_writer *wr;		/* started by the first write */
	struct rl_overlay *ov;		/* with wr */
	time_t failed_at;		/* last failed open */
};

const struct mk_rl_limits *mk_rl__limits_for(const struct rl_rule *r,
    const char *key);
int mk_rl__key_of(const struct rl_rule *r, const struct mk_rl_request *rq,
    char *key, size_t len);
int mk_rl__exempt(const struct rl_rule *r, const char *key);
const struct rl_rule *mk_rl__rule_named(const struct mk_rl_rules *rules,
    const char *name);
int mk_rl__err(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int mk_rl__state_read(struct mk_rl_engine *e, const char *rule,
    const char *key, int64_t *tat, int n);
int mk_rl__state_write(struct mk_rl_engine *e, const char *rule,
    const char *key, int64_t now, const int64_t *add, const int64_t *tat,
    int n);
int mk_rl__env_ready(struct mk_rl_engine *e);
int mk_rl__decode(const MDB_val *v, int64_t *tat, int n);
size_t mk_rl__encode(const int64_t *tat, int n, unsigned char *buf);
void mk_rl__state_close(struct mk_rl_engine *e);

int mk_rl__wr_start(struct rl_writer **out, MDB_env *env, MDB_dbi dbi,
    const char *dir, long long map_size, size_t cap);
void mk_rl__wr_stop(struct rl_writer *w);
uint64_t mk_rl__wr_push(struct rl_writer *w, const char *k, size_t klen,
    int64_t now, const int64_t *add, int n);
uint64_t mk_rl__wr_committed(struct rl_writer *w);
int mk_rl__wr_flush(struct rl_writer *w);
size_t mk_rl__wr_pending(struct rl_writer *w);
int mk_rl__wr_failing(struct rl_writer *w, char *cause, size_t len);
size_t mk_rl__wr_report(struct rl_writer *w, char *cause, size_t len);
int mk_rl__wr_remap_wanted(struct rl_writer *w);
void mk_rl__wr_hold(struct rl_writer *w, int on);
void mk_rl__wr_pause(struct rl_writer *w, int on);

struct rl_overlay *mk_rl__ov_new(void);
void mk_rl__ov_free(struct rl_overlay *ov);
int mk_rl__ov_get(const struct rl_overlay *ov, const char *k, size_t klen,
    int64_t *tat, int n);
void mk_rl__ov_put(struct rl_overlay *ov, const char *k, size_t klen,
    const int64_t *tat, int n, uint64_t seq);
void mk_rl__ov_prune(struct rl_overlay *ov, uint64_t done);
size_t mk_rl__ov_size(const struct rl_overlay *ov);

#endif
