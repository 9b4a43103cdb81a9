/*
 * NAME
 *	mk_ratelimit - per-sender rate limits: rules, arithmetic, state
 * SYNOPSIS
 *	#include "mk_ratelimit.h"
 *
 *	int	mk_rl_rules_load(const struct mk_conf *conf,
 *			struct mk_rl_rules **out, char *err, size_t errlen);
 *	void	mk_rl_rules_free(struct mk_rl_rules *rules);
 *
 *	int	mk_rl_engine_open(const char *dir, const struct mk_rl_rules *r,
 *			long long map_size, struct mk_rl_engine **out,
 *			char *err, size_t errlen);
 *	void	mk_rl_engine_close(struct mk_rl_engine *e);
 *	int	mk_rl_check(struct mk_rl_engine *e,
 *			const struct mk_rl_request *rq, struct mk_rl_txn *tx,
 *			int64_t now, struct mk_rl_verdict *v);
 *	int	mk_rl_batch_end(struct mk_rl_engine *e, char *err,
 *			size_t errlen);
 *	int	mk_rl_flush(struct mk_rl_engine *e, char *err, size_t errlen);
 *	void	mk_rl_txn_reset(struct mk_rl_txn *tx);
 *
 *	int	mk_rl_gcra(int64_t *tat, const struct mk_rl_rate *rate,
 *			int64_t burst, int64_t used, int64_t cost, int64_t now,
 *			int commit);
 *	int	mk_rl_rates_check(const char *text, char *err, size_t errlen);
 *	int	mk_rl_keys_check(const char *text, char *err, size_t errlen);
 *	int	mk_rl_overrides_check(const char *text, char *err,
 *			size_t errlen);
 *	int	mk_rl_rule_finish(void *rule_conf, char *err, size_t errlen);
 *
 *	int	mk_rl_state_get(struct mk_rl_engine *e, const char *rule,
 *			const char *key, int64_t now, struct mk_rl_usage *u);
 *	int	mk_rl_state_reset(struct mk_rl_engine *e, const char *rule,
 *			const char *key);
 *	int	mk_rl_state_top(struct mk_rl_engine *e, int64_t now, size_t n,
 *			struct mk_rl_usage *out, size_t *got);
 *	const char *mk_rl_strerror(int code);
 *	const char *mk_rl_errdetail(void);
 * DESCRIPTION
 *	Rules come from the [ratelimit NAME] sections of milterkit.conf:
 *
 *		[ratelimit per-user]
 *		key = sasl_username, sender, client_address/24
 *		messages = 100/1m, 2000/1d
 *		recipients = 500/1h
 *		burst = 0
 *		action = defer		# defer | reject | warn
 *		exempt = monitor@example.com, 192.0.2.10
 *		override = bulk@example.com messages=1000/1m recipients=20000/1h
 *
 *	key names the request attributes that identify the sender, first
 *	present wins: sasl_username, sender, sender_domain, client_address
 *	(optionally /N, the IPv4 prefix length; IPv6 addresses use
 *	ipv6_prefix, default 64), recipient_domain. A rule whose key is
 *	absent from a request does not apply to it. messages and recipients
 *	are lists of N/PERIOD (PERIOD a duration: 30s, 1m, 1h, 1d, 1w); a
 *	rule needs at least one. burst is how many units beyond each rate
 *	may go at once. exempt lists key values never limited; override,
 *	';'-separated, gives key values their own limits.
 *
 *	The arithmetic is GCRA: per key and rate, one theoretical arrival
 *	time (TAT, nanoseconds), no history. A rate of N per T admits N units
 *	at once (plus burst) and then one unit every T/N. mk_rl_gcra() tells
 *	whether cost more units, after used units already promised, fit at
 *	time now (1 yes, 0 no); with commit it also advances *tat by cost.
 *
 *	Counting is exact and fair. At RCPT a recipient is admitted when one
 *	more message and this transaction's recipients plus one fit; nothing
 *	is written. At END-OF-MESSAGE the message is counted once, with its
 *	real recipient_count: the state is updated. So rejected or aborted
 *	mail is not counted. recipient_domain keys have no single value at
 *	END-OF-MESSAGE: they count each recipient at RCPT. The caller keeps
 *	one struct mk_rl_txn per client connection; a new instance attribute
 *	resets it.
 *
 *	mk_rl_check() fills v: v->action is MK_RL_DUNNO, MK_RL_DEFER,
 *	MK_RL_REJECT or MK_RL_WARN (the rule's action when exceeded: warn
 *	means log and let pass), with the rule, key, what was exceeded and
 *	v->reply, the policy reply line without "action=" (e.g.
 *	"DEFER 4.7.1 ..."). Returns 0, or a negative MK_RL_E* code with
 *	v->reply naming the cause (store trouble): the caller applies its
 *	on_error.
 *
 *	Counts are committed by a thread of the engine, the writer, not by
 *	mk_rl_check(): it queues the update and returns, and later checks of
 *	this engine see it at once (exact counting within the process). The
 *	writer commits what is queued, in one write transaction, once the
 *	oldest update is 1 ms old or 256 are queued, so a busy daemon pays one
 *	commit for many messages and no reply waits for the disk; other
 *	processes see the counts about 1 to 2 ms later. What a process that
 *	dies had not committed is lost, as after a machine crash. When a
 *	commit fails, its updates are lost and, until a commit succeeds,
 *	mk_rl_check() returns MK_RL_ESTORE for requests it counts (they stay
 *	queued: the next commit may keep them). mk_rl_batch_end() is cheap:
 *	call it after each round of requests; it returns MK_RL_ESTORE when
 *	commits failed since the last call, with the cause and how many
 *	updates were lost in err. mk_rl_flush() commits everything queued
 *	and waits for it: 0, or MK_RL_ESTORE with the cause in err.
 *	mk_rl_engine_close() flushes and stops the writer. One thread uses an
 *	engine (the writer is the engine's own business).
 *	mk_rl_engine_open() only records where the state is (the environment
 *	opens on first use): 0, or MK_RL_EINVAL with a message in err.
 *	mk_rl_engine_check() opens it now (creating it when missing), so that
 *	a daemon can say at start that it cannot enforce anything: 0, or
 *	MK_RL_ESTORE with mk_rl_errdetail().
 *
 *	now is nanoseconds on any clock that does not go back (tests inject
 *	their own); state stores absolute TATs, so processes sharing a store
 *	must use CLOCK_REALTIME.
 *
 *	The state lives in DIR/ratelimit, an LMDB environment of its own
 *	(so a bulk import never holds up counters). Commits do not wait for
 *	the metadata to reach the disk: after a machine crash the counters
 *	may lose their last instants, the file never its integrity.
 *	mk_rl_state_get/reset/top serve `milterkit ratelimit show|reset|top`:
 *	usage is reported per rate as units used in the current window
 *	(derived from the TAT) against the limit. mk_rl_state_get() returns
 *	0 (u filled), 1 when the rule has no state for the key, or an error
 *	(MK_RL_ENORULE: the configuration has no such rule);
 *	mk_rl_state_reset() 0, 1 (nothing to reset) or an error
 *	(MK_RL_EINVAL: rule or key too long); mk_rl_state_top() fills out
 *	with the n keys closest to a limit, highest fill first.
 *
 *	Errors are negative MK_RL_E* codes (mk_mem.h says how common/ reports
 *	errors): mk_rl_strerror() explains a code, mk_rl_errdetail() gives
 *	the particulars of the calling thread's last error (path, LMDB's or
 *	the system's reason) for the log line. The checks of configuration
 *	values, mk_rl_rule_finish() and mk_rl_rules_load() return -1 with a
 *	message in err.
 */
#ifndef MK_RATELIMIT_H
#define MK_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "mk_conf.h"

#define MK_RL_RATES_MAX 4	/* per kind (messages, recipients) */
#define MK_RL_KEYS_MAX 6
#define MK_RL_KEY_MAX 320	/* one key value, octets */
#define MK_RL_NS 1000000000LL

enum {
	MK_RL_OK = 0,
	MK_RL_ESTORE = -1,	/* the state store failed: open, read, commit */
	MK_RL_ENORULE = -2,	/* no [ratelimit NAME] of that name */
	MK_RL_EINVAL = -3,	/* bad argument: path, rule or key too long */
	MK_RL_ESYS = -4		/* the writer thread cannot start */
};

enum { MK_RL_DUNNO, MK_RL_DEFER, MK_RL_REJECT, MK_RL_WARN };
enum { MK_RL_ACT_DEFER, MK_RL_ACT_REJECT, MK_RL_ACT_WARN };	/* config */
enum {
	MK_RL_KEY_SASL, MK_RL_KEY_SENDER, MK_RL_KEY_SENDER_DOMAIN,
	MK_RL_KEY_CLIENT, MK_RL_KEY_RCPT_DOMAIN
};

struct mk_rl_rate {
	int64_t count;		/* N */
	int64_t period;		/* T, nanoseconds */
};

struct mk_rl_limits {
	struct mk_rl_rate msg[MK_RL_RATES_MAX];
	int nmsg;
	struct mk_rl_rate rcpt[MK_RL_RATES_MAX];
	int nrcpt;
};

struct mk_rl_rules;
struct mk_rl_engine;

/* What the policy request says, borrowed from the parsed request. */
struct mk_rl_request {
	const char *protocol_state;	/* RCPT, DATA, END-OF-MESSAGE, ... */
	const char *instance;
	const char *queue_id;
	const char *sasl_username;
	const char *sender;
	const char *client_address;
	const char *recipient;
	long recipient_count;		/* -1 when absent */
};

/* One client connection's message in progress. */
struct mk_rl_txn {
	char instance[64];
	int64_t rcpts;			/* recipients admitted so far */
};

struct mk_rl_verdict {
	int action;			/* MK_RL_* */
	const char *rule;		/* rule name, NULL when none applied */
	char key[MK_RL_KEY_MAX];	/* the key value limited */
	const char *what;		/* "messages" or "recipients" */
	int64_t limit;			/* N of the rate exceeded */
	int64_t period;			/* its T, seconds */
	int64_t used;			/* units used in that window */
	char reply[512];		/* "DUNNO", "DEFER 4.7.1 ...", ... */
};

struct mk_rl_usage {
	char rule[65];
	char key[MK_RL_KEY_MAX];
	int nrates;
	struct {
		const char *what;	/* "messages" or "recipients" */
		int64_t limit, period, used;
	} rate[2 * MK_RL_RATES_MAX];
	double fill;			/* highest used/limit of the rates */
};

int mk_rl_rules_load(const struct mk_conf *conf, struct mk_rl_rules **out,
    char *err, size_t errlen);
void mk_rl_rules_free(struct mk_rl_rules *rules);
size_t mk_rl_rules_count(const struct mk_rl_rules *rules);

int mk_rl_engine_open(const char *dir, const struct mk_rl_rules *rules,
    long long map_size, struct mk_rl_engine **out, char *err, size_t errlen);
void mk_rl_engine_close(struct mk_rl_engine *e);
int mk_rl_engine_check(struct mk_rl_engine *e);
int mk_rl_check(struct mk_rl_engine *e, const struct mk_rl_request *rq,
    struct mk_rl_txn *tx, int64_t now, struct mk_rl_verdict *v);
int mk_rl_batch_end(struct mk_rl_engine *e, char *err, size_t errlen);
int mk_rl_flush(struct mk_rl_engine *e, char *err, size_t errlen);
void mk_rl_txn_reset(struct mk_rl_txn *tx);

int mk_rl_gcra(int64_t *tat, const struct mk_rl_rate *rate, int64_t burst,
    int64_t used, int64_t cost, int64_t now, int commit);
int mk_rl_rates_check(const char *text, char *err, size_t errlen);
int mk_rl_keys_check(const char *text, char *err, size_t errlen);
int mk_rl_overrides_check(const char *text, char *err, size_t errlen);
int mk_rl_rule_finish(void *rule_conf, char *err, size_t errlen);

int mk_rl_state_get(struct mk_rl_engine *e, const char *rule, const char *key,
    int64_t now, struct mk_rl_usage *u);
int mk_rl_state_reset(struct mk_rl_engine *e, const char *rule,
    const char *key);
int mk_rl_state_top(struct mk_rl_engine *e, int64_t now, size_t n,
    struct mk_rl_usage *out, size_t *got);
const char *mk_rl_strerror(int code);
const char *mk_rl_errdetail(void);

#endif
