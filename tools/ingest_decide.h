/*
 * NAME
 *	ingest_decide - what `milterkit ingest` does with one parsed report
 * SYNOPSIS
 *	#include "ingest_decide.h"
 *
 *	size_t	ing_decide(const struct ing_ctx *x,
 *			const struct ingest_report *r, const char *env_rcpt,
 *			const char *env_sender, struct ing_decision *out,
 *			size_t max);
 *	int	ing_mailto_match(const char *tpl, const char *local,
 *			char *token, char *domain, size_t domlen);
 * DESCRIPTION
 *	ing_decide() turns a report (ingest_parse.h) into decisions, one per
 *	recipient, without touching the store: which kind, which normalized
 *	recipient, which scope, which reason, or why nothing is done (kind
 *	ING_IGNORED with why). env_rcpt is the address the report was
 *	delivered to (the pipe transport's ${original_recipient}, or the
 *	report's X-Original-To, Delivered-To or To), env_sender its envelope
 *	sender; either may be NULL or "". Rules (milterkit(8) has them for
 *	operators):
 *	- mail to the List-Unsubscribe mailto: address (the [headers]
 *	  unsubscribe_mailto template, %t the token) is an unsubscribe of its
 *	  sender (envelope, else From), scoped to the token's domain, when the
 *	  token verifies for that sender and the address's domain (or %d, or
 *	  a parent domain of the address's); automatic mail there (bounces,
 *	  auto-replies) is ignored;
 *	- the return-path token is looked for in env_rcpt, then in the
 *	  returned message's Return-Path, then in an ARF report's
 *	  Original-Mail-From; it gives the sender domain (the scope) and,
 *	  when the message had one recipient, the recipient; without a
 *	  [returnpath] secret_file there is no token to check;
 *	- bounces (DSN or free text): with a token that does not verify or
 *	  has expired, ignored; without a token, ignored when require_token,
 *	  else scoped by the returned message's From; hard → suppress (reason
 *	  bounce, for ever), soft → counted, ignored items (delays) ignored;
 *	  an item without a recipient takes the token's;
 *	- complaints (ARF, unless complaints = no): recipient from the token,
 *	  else Original-Rcpt-To or the original To; scope the token's sender
 *	  domain, else Original-Mail-From's, else the original From's; an
 *	  expired but authentic token still counts (complaints come late);
 *	  Feedback-Type not-spam is ignored;
 *	- auto-replies and anything else: ignored.
 *	Returns the number of decisions written (at least 1, at most max).
 *
 *	ing_mailto_match() matches a local part against the local part of
 *	the mailto: template: literal text (either case), %t 32 base32
 *	characters (copied into token, 33 octets), %d a domain (copied into
 *	domain). 1 on a match, else 0.
 */
#ifndef INGEST_DECIDE_H
#define INGEST_DECIDE_H

#include <stddef.h>
#include <stdint.h>

#include "ingest_conf.h"
#include "ingest_parse.h"
#include "mk_addr.h"
#include "mk_store.h"
#include "mk_token.h"

struct ing_ctx {
	const struct ingest_conf *c;
	const struct mk_addr_opts *ao;	/* the store's normalization */
	const unsigned char *rp_key;	/* [returnpath] secret_file, or NULL */
	size_t rp_keylen;
	const unsigned char *unsub_key;	/* [headers] unsubscribe_secret_file */
	size_t unsub_keylen;
	const char *unsub_mailto;	/* [headers] unsubscribe_mailto */
	int64_t now;
};

struct ing_decision {
	int kind;				/* ING_HARD ... ING_IGNORED */
	char rcpt[MK_SUPP_TARGET_MAX + 1];	/* normalized, "" unknown */
	char status[16];
	char scope[MK_SUPP_SCOPE_MAX + 1];	/* "" global */
	int reason;				/* MK_REASON_* */
	char why[160];				/* for the log and the JSON */
};

size_t ing_decide(const struct ing_ctx *x, const struct ingest_report *r,
    const char *env_rcpt, const char *env_sender, struct ing_decision *out,
    size_t max);
int ing_mailto_match(const char *tpl, const char *local, char *token,
    char *domain, size_t domlen);

#endif
