/*
 * NAME
 *	suppress.h - milterkit-suppress: the RCPT decision, without the
 *	milter protocol
 * SYNOPSIS
 *	#include "suppress.h"
 *
 *	int	supp_state_new(const struct mk_conf *conf,
 *			struct supp_state **out, char *err, size_t errlen);
 *	void	supp_state_free(struct supp_state *s);
 *	const struct mk_session_choice *supp_sessions(const void *s);
 *	void	supp_sender_scope(const char *sender, char *scope,
 *			size_t len);
 *	void	supp_decide(struct supp_state *s, const char *rcpt,
 *			const char *scope, int64_t now,
 *			struct supp_result *r);
 * DESCRIPTION
 *	supp_state_new() builds the state of one configuration: the session
 *	choice, the exemptions, the reply templates and a lazily opened
 *	store handle. A store that is missing at start is not an error: it
 *	is opened at the first RCPT that finds it. supp_state_free() releases
 *	the state (NULL is a no-op); it must not run while another thread
 *	decides with it (the milter skeleton's snapshots guarantee that).
 *
 *	supp_sessions() gives the session choice ("check", "networks"):
 *	the skeleton's sessions() hook, which decides the sessions looked
 *	at.
 *	supp_sender_scope() gives the sender domain of MAIL FROM, normalized,
 *	or "" for the null sender and anything unparsable (global entries
 *	only, then).
 *
 *	supp_decide() decides one recipient as given in RCPT TO (with or
 *	without angle brackets): SUPP_PASS, SUPP_EXEMPT, SUPP_REJECT (with
 *	the entry and the formatted reply), SUPP_MALFORMED (left to the MTA)
 *	or SUPP_ERROR (store missing or unreadable; r->cause says why). The
 *	store is checked for replacement or removal at most once a second,
 *	and reopened when it was replaced; handles still in use by other
 *	threads are closed when the last of them is done.
 */
#ifndef SUPPRESS_H
#define SUPPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "mk_addr.h"
#include "mk_conf.h"
#include "mk_reply.h"
#include "mk_session.h"
#include "mk_store.h"

enum supp_verdict {
	SUPP_PASS,
	SUPP_EXEMPT,
	SUPP_REJECT,
	SUPP_MALFORMED,
	SUPP_ERROR
};

struct supp_state;

struct supp_result {
	enum supp_verdict verdict;
	char rcpt[MK_ADDR_MAX * 2 + 4];		/* normalized, when parsed */
	struct mk_supp_entry hit;		/* SUPP_REJECT */
	struct mk_reply reply;			/* SUPP_REJECT */
	char cause[512];			/* SUPP_MALFORMED, SUPP_ERROR */
};

int supp_state_new(const struct mk_conf *conf, struct supp_state **out,
    char *err, size_t errlen);
void supp_state_free(struct supp_state *s);
const struct mk_session_choice *supp_sessions(const void *s);
void supp_sender_scope(const char *sender, char *scope, size_t len);
void supp_decide(struct supp_state *s, const char *rcpt, const char *scope,
    int64_t now, struct supp_result *r);

#endif
