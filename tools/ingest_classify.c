/*
 * NAME
 *	ingest_classify.c - from an enhanced status code to hard, soft or
 *	ignored
 * SYNOPSIS
 *	#include "ingest_parse.h"
 *
 *	int	ingest_classify(const char *status, const char *diag,
 *			const char *action);
 *	const char *ingest_kind_name(int kind);
 *	const char *ingest_type_name(int type);
 *	int	ing_status_valid(const char *s, size_t n);
 *	void	ing_status_guess(const char *text, char *out, size_t outlen);
 * DESCRIPTION
 *	ingest_classify() decides what one failed recipient means for the
 *	list: ING_HARD (the address is gone: suppress it), ING_SOFT (count
 *	it; the address may work later) or ING_IGNORED (not a failure).
 *	action is the DSN Action (NULL or "" = failed, as for free-text
 *	bounces); status an enhanced status code (RFC 3463) or NULL/"";
 *	diag the diagnostic text, NULL allowed.
 *
 *	Action other than "failed" (delayed, delivered, relayed,
 *	expanded, anything unknown)	ignored: a delay warning is not a
 *					bounce, the final DSN follows
 *	no valid status			guessed from diag (below); nothing
 *					guessed: soft
 *	2.x.x				ignored
 *	4.x.x				soft (also with Action failed: the
 *					queue lifetime ran out)
 *	5.1.0 5.1.1 5.1.2 5.1.3 5.1.6
 *	5.1.10, other 5.1.x		hard: bad mailbox or domain
 *	5.1.4 5.1.5 5.1.7 5.1.8 5.1.9	soft: ambiguous address, or about
 *					the sender's address, not the
 *					recipient's
 *	5.2.1				hard: mailbox disabled
 *	5.2.2, other 5.2.x		soft: mailbox full, too large...
 *	5.4.4				hard: unable to route (no such domain)
 *	5.3.x 5.4.x 5.6.x 5.7.x		soft: system, network, content,
 *					policy (spam blocks, authentication)
 *	5.0.x 5.2.0 5.3.0 5.4.0 5.5.x
 *	5.8.x and up			hard when diag reads like "user
 *					unknown" or "no such domain" (servers
 *					that answer 550 5.0.0 or 5.5.0 for
 *					an unknown user), else soft
 *	5.7.x stays soft whatever its text: a spam filter's words must not
 *	remove a subscriber.
 *
 *	ing_status_guess() derives a status from reply text: the first
 *	4.x.x or 5.x.x code in it when there is one; else from its basic reply
 *	code and words:
 *	"unrouteable"/"unroutable"		5.4.4
 *	"host unknown", "domain not found", "no such domain"	5.1.2
 *	"user unknown", "no such user", "does not exist", "not found",
 *	"doesn't have a ... account", "mailbox unavailable" (what
 *	Outlook.com answers with 550 5.5.0 for an unknown user) ...	5.1.1
 *	"mailbox disabled", "account disabled"	5.2.1
 *	552, "mailbox full", "quota"		5.2.2
 *	other 5xx				5.0.0
 *	4xx with "mailbox full"/"quota"		4.2.2
 *	other 4xx (421, 45x)			4.0.0
 *	The word rules apply without a reply code too; the 4xx rules need
 *	one. Nothing recognized: "".
 *
 *	ing_status_valid() checks the form "c.sss.ddd": class 2, 4 or 5,
 *	one to three digits in each of the other two fields.
 * SEE ALSO
 *	RFC 3463, ingest_parse.h
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ingest_parse.h"

static const char *const user_words[] = {
	"user unknown", "unknown user", "no such user", "no such mailbox",
	"no such recipient", "no mailbox", "does not exist", "doesn't exist",
	"not exist", "not found", "couldn't be found", "unknown recipient",
	"recipient unknown", "invalid recipient", "invalid mailbox",
	"unknown local part", "unknown address", "address unknown",
	"recipnotfound", "recipientnotfound", "no longer valid",
	"no longer available", "not a valid mailbox", "mailbox unavailable",
	NULL
};
static const char *const domain_words[] = {
	"host unknown", "domain not found", "no such domain",
	"host or domain name not found", "domain does not exist", NULL
};
static const char *const route_words[] = {
	"unrouteable", "unroutable", NULL
};
static const char *const disabled_words[] = {
	"mailbox disabled", "account disabled", "account has been disabled",
	"account is disabled", "mailbox is disabled", NULL
};
static const char *const full_words[] = {
	"mailbox full", "mailbox is full", "quota", "insufficient storage",
	"exceeded storage", "mailbox size limit", "out of storage", NULL
};

const char *
ingest_kind_name(int kind)
{
	switch (kind) {
	case ING_HARD:
		return "hard";
	case ING_SOFT:
		return "soft";
	case ING_COMPLAINT:
		return "complaint";
	case ING_UNSUBSCRIBE:
		return "unsubscribe";
	case ING_IGNORED:
		return "ignored";
	}
	return "?";
}

const char *
ingest_type_name(int type)
{
	switch (type) {
	case ING_T_UNKNOWN:
		return "unknown";
	case ING_T_DSN:
		return "dsn";
	case ING_T_BOUNCE_TEXT:
		return "bounce-text";
	case ING_T_ARF:
		return "arf";
	case ING_T_AUTOREPLY:
		return "autoreply";
	}
	return "?";
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Length of a run of 1-3 digits at s (within n), 0 when none or longer. */
static size_t
digits(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && is_digit((unsigned char)s[i]))
		i++;
	return i <= 3 ? i : 0;
}

int
ing_status_valid(const char *s, size_t n)
{
	size_t a, b;

	if (n < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') ||
	    s[1] != '.')
		return 0;
	a = digits(s + 2, n - 2);
	if (a == 0 || 2 + a >= n || s[2 + a] != '.')
		return 0;
	b = digits(s + 3 + a, n - 3 - a);
	return b > 0 && 3 + a + b == n;
}

static int
has_word(const char *text, const char *const *words)
{
	size_t n;

	if (text == NULL)
		return 0;
	n = strlen(text);
	for (; *words != NULL; words++)
		if (ing_memcasemem(text, n, *words) != NULL)
			return 1;
	return 0;
}

/* "doesn't have a yahoo.com account" and the like. */
static int
no_account(const char *text)
{
	static const char *const lead[] = {"doesn't have a", "does not have a",
		"doesn't have an", "does not have an", NULL};
	size_t n = strlen(text);
	const char *p, *acct;

	for (int i = 0; lead[i] != NULL; i++) {
		p = ing_memcasemem(text, n, lead[i]);
		if (p == NULL)
			continue;
		acct = ing_memcasemem(p, n - (size_t)(p - text), "account");
		if (acct != NULL && acct - p < 80)
			return 1;
	}
	return 0;
}

static int
user_unknown_text(const char *text)
{
	return text != NULL && (has_word(text, user_words) ||
	    has_word(text, domain_words) || has_word(text, route_words) ||
	    no_account(text));
}

/* The first enhanced status code of a failure (4.x.x, 5.x.x) in text, as
 * a token of its own. */
static const char *
find_enhanced(const char *text, size_t n, size_t *len)
{
	for (size_t i = 0; i + 5 <= n; i++) {
		const char *s = text + i;
		size_t a, b, k;

		if (s[0] != '4' && s[0] != '5')	/* failures only */
			continue;
		if (i > 0 && (is_digit((unsigned char)s[-1]) || s[-1] == '.' ||
		    (s[-1] >= 'A' && s[-1] <= 'Z') ||
		    (s[-1] >= 'a' && s[-1] <= 'z')))
			continue;
		if (s[1] != '.')
			continue;
		a = digits(s + 2, n - i - 2);
		if (a == 0 || i + 2 + a >= n || s[2 + a] != '.')
			continue;
		b = digits(s + 3 + a, n - i - 3 - a);
		if (b == 0)
			continue;
		k = 3 + a + b;
		if (i + k < n && (is_digit((unsigned char)s[k]) ||
		    (s[k] == '.' && i + k + 1 < n &&
		    is_digit((unsigned char)s[k + 1]))))
			continue;
		*len = k;
		return s;
	}
	return NULL;
}

/* The first basic reply code (2xx, 4xx, 5xx) standing alone in text. */
static int
find_basic(const char *text, size_t n)
{
	for (size_t i = 0; i + 3 <= n; i++) {
		const char *s = text + i;

		if ((s[0] != '2' && s[0] != '4' && s[0] != '5') ||
		    !is_digit((unsigned char)s[1]) ||
		    !is_digit((unsigned char)s[2]))
			continue;
		if (i > 0 && (is_digit((unsigned char)s[-1]) ||
		    s[-1] == '.' || s[-1] == '=' || s[-1] == '/' ||
		    (s[-1] >= 'A' && s[-1] <= 'Z') ||
		    (s[-1] >= 'a' && s[-1] <= 'z')))
			continue;
		if (i + 3 < n && s[3] != ' ' && s[3] != '-' && s[3] != ':' &&
		    s[3] != '\t' && s[3] != '\r' && s[3] != '\n')
			continue;
		return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	}
	return 0;
}

void
ing_status_guess(const char *text, char *out, size_t outlen)
{
	const char *st = NULL;
	size_t n, len = 0;
	int code;

	out[0] = 0;
	if (text == NULL || outlen < 8)
		return;
	n = strlen(text);
	if ((st = find_enhanced(text, n, &len)) != NULL && len < outlen) {
		memcpy(out, st, len);
		out[len] = 0;
		return;
	}
	code = find_basic(text, n);
	if (code >= 400 && code < 500) {
		snprintf(out, outlen, "%s",
		    has_word(text, full_words) ? "4.2.2" : "4.0.0");
		return;
	}
	if (code >= 200 && code < 300)
		return;
	if (has_word(text, route_words))
		st = "5.4.4";
	else if (has_word(text, domain_words))
		st = "5.1.2";
	else if (has_word(text, user_words) || no_account(text))
		st = "5.1.1";
	else if (has_word(text, disabled_words))
		st = "5.2.1";
	else if (code == 552 || has_word(text, full_words))
		st = "5.2.2";
	else if (code >= 500)
		st = "5.0.0";
	if (st != NULL)
		snprintf(out, outlen, "%s", st);
}

/* A 5.x.x the table above does not settle by itself. */
static int
by_text(const char *diag)
{
	return user_unknown_text(diag) ? ING_HARD : ING_SOFT;
}

static int
classify_5(int subject, int detail, const char *diag)
{
	switch (subject) {
	case 1:
		if (detail == 4 || detail == 5 || (detail >= 7 && detail <= 9))
			return ING_SOFT;
		return ING_HARD;
	case 2:
		if (detail == 1)
			return ING_HARD;
		return detail == 0 ? by_text(diag) : ING_SOFT;
	case 3:
		return detail == 0 ? by_text(diag) : ING_SOFT;
	case 4:
		if (detail == 4)
			return ING_HARD;
		return detail == 0 ? by_text(diag) : ING_SOFT;
	case 6:
	case 7:
		return ING_SOFT;
	default:		/* 5.0.x, 5.5.x, undefined subjects */
		return by_text(diag);
	}
}

int
ingest_classify(const char *status, const char *diag, const char *action)
{
	char guess[16];
	const char *st = status;
	size_t alen;

	if (action != NULL && *action != 0) {
		alen = strcspn(action, " \t(;");
		if (alen != 6 || strncasecmp(action, "failed", 6) != 0)
			return ING_IGNORED;
	}
	if (st == NULL || !ing_status_valid(st, strlen(st))) {
		ing_status_guess(diag, guess, sizeof(guess));
		if (guess[0] == 0)
			return ING_SOFT;
		st = guess;
	}
	if (st[0] == '2')
		return ING_IGNORED;
	if (st[0] == '4')
		return ING_SOFT;
	return classify_5(atoi(st + 2), atoi(strchr(st + 2, '.') + 1), diag);
}
