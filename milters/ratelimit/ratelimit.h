/*
 * NAME
 *	ratelimit.h - the rate-limit filter's plain logic: requests to the
 *	engine from a milter's envelope, verdicts to replies, and the one
 *	engine a process shares
 * SYNOPSIS
 *	#include "ratelimit.h"
 *
 *	void	rlf_request(enum rlf_stage stage,
 *			const struct rlf_envelope *env,
 *			struct mk_rl_request *rq, struct mk_rl_txn *tx);
 *	void	rlf_answer(const struct mk_rl_verdict *v,
 *			struct rlf_result *r);
 *	const char *rlf_kind_name(enum rlf_kind kind);
 *
 *	int	rlf_state_new(const struct mk_conf *conf,
 *			struct rlf_state **out, char *err, size_t errlen);
 *	void	rlf_state_free(struct rlf_state *st);
 *	const struct mk_session_choice *rlf_sessions(const void *st);
 *	size_t	rlf_rules_count(const struct rlf_state *st);
 *	enum rlf_kind rlf_check(struct rlf_state *st, enum rlf_stage stage,
 *			const struct rlf_envelope *env, struct mk_rl_txn *tx,
 *			int64_t now, struct rlf_result *r);
 * DESCRIPTION
 *	The filter asks the engine of mk_ratelimit.h what milterkit-policyd
 *	asks it, with the same rules ([ratelimit NAME]) and the same state
 *	(the store's ratelimit/ environment), so both, and `milterkit
 *	ratelimit show|reset|top`, see the same counters.
 *
 *	rlf_request() (decide.c) fills rq as a policy request of protocol
 *	state RCPT or END-OF-MESSAGE would be, from env (borrowed: rq points
 *	into it): sasl_username from {auth_authen}, the sender as given
 *	("<>" or empty: none), the client address (none for "local" mail),
 *	the recipient at RCPT, recipient_count at END-OF-MESSAGE. It also
 *	sets tx->rcpts to the recipients the message has so far before this
 *	one (env->nrcpt - 1 at RCPT: the skeleton's count, in which a
 *	recipient refused by another filter of a chain is absent), so the
 *	engine admits one more against the recipients that really passed.
 *
 *	rlf_answer() (decide.c) maps a verdict to what the MTA is told,
 *	worded as milterkit-policyd words it: defer is RLF_TEMPFAIL with
 *	450 4.7.1 and the rule's text, reject RLF_REJECT with 550 5.7.1,
 *	warn RLF_WARN (passes, logged), none RLF_PASS; the rule, key and
 *	rate exceeded are copied for the log line.
 *
 *	rlf_state_new() (shared.c) builds the filter's state for one
 *	configuration: the session choice of [rlimit], the rules, the
 *	store's path and map size. It opens nothing: the store opens on the
 *	first check (after the daemon dropped its privileges, and never for
 *	-t). 0, or -1 with err. rlf_state_free(NULL) is a no-op.
 *
 *	rlf_check() asks the engine for one stage of one message and fills
 *	r; it returns r->kind. RLF_ERROR is store trouble, with the cause in
 *	r->cause: the caller applies on_error. The engine is used by one
 *	thread at a time (mk_ratelimit.h) and LMDB forbids one environment
 *	opened twice in a process, so every state of a process shares one
 *	engine behind a mutex, opened with the rules of the newest
 *	configuration that checked something; a connection still on an
 *	older configuration goes on with the engine as it is, so a reload
 *	never flip-flops it (a reload that fails never reaches it). Counts
 *	are queued for the engine's writer; each check ends its batch
 *	(mk_rl_batch_end()), so failed commits are reported, once a minute
 *	at most, by the check that follows them.
 * SEE ALSO
 *	mk_ratelimit.h, filter.c, milterkit-ratelimit(8)
 */
#ifndef RLF_RATELIMIT_H
#define RLF_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "mk_conf.h"
#include "mk_ratelimit.h"
#include "mk_reply.h"
#include "mk_session.h"

enum rlf_stage { RLF_RCPT, RLF_EOM };
enum rlf_kind { RLF_PASS, RLF_WARN, RLF_TEMPFAIL, RLF_REJECT, RLF_ERROR };

/* What the milter knows of the message, borrowed. */
struct rlf_envelope {
	const char *qid;		/* NULL or "" when unknown */
	const char *auth;		/* {auth_authen}, NULL or "": none */
	const char *sender;		/* as given: "<a@b>", "<>" */
	const char *client;		/* "192.0.2.1", "local", NULL */
	const char *rcpt;		/* RCPT: the recipient */
	unsigned nrcpt;			/* RCPT: passed so far, this one
					 * included; EOM: the recipients */
};

struct rlf_result {
	enum rlf_kind kind;
	char rcode[4];			/* "450", "550" */
	char xcode[8];			/* "4.7.1", "5.7.1" */
	char text[MK_REPLY_TEXT_MAX + 1];
	char rule[65];			/* "" when no rule applied */
	char key[MK_RL_KEY_MAX];
	const char *what;		/* "messages", "recipients" or "" */
	int64_t limit, period, used;
	char cause[512];		/* RLF_ERROR */
};

struct rlf_state;

void rlf_request(enum rlf_stage stage, const struct rlf_envelope *env,
    struct mk_rl_request *rq, struct mk_rl_txn *tx);
void rlf_answer(const struct mk_rl_verdict *v, struct rlf_result *r);
const char *rlf_kind_name(enum rlf_kind kind);

int rlf_state_new(const struct mk_conf *conf, struct rlf_state **out,
    char *err, size_t errlen);
void rlf_state_free(struct rlf_state *st);
const struct mk_session_choice *rlf_sessions(const void *st);
size_t rlf_rules_count(const struct rlf_state *st);
enum rlf_kind rlf_check(struct rlf_state *st, enum rlf_stage stage,
    const struct rlf_envelope *env, struct mk_rl_txn *tx, int64_t now,
    struct rlf_result *r);

#endif
