/*
 * NAME
 *	returnpath.h - milterkit-returnpath: the new envelope sender, without
 *	the milter protocol
 * SYNOPSIS
 *	#include "returnpath.h"
 *
 *	int	rp_rules_new(const struct mk_conf *conf,
 *			struct rp_rules **out, char *err, size_t errlen);
 *	void	rp_rules_free(struct rp_rules *r);
 *	const struct mk_session_choice *rp_sessions(const void *r);
 *	void	rp_sender(const struct rp_rules *r, const char *sender,
 *			struct rp_result *res);
 *	void	rp_rewrite(const struct rp_rules *r, const char *sender,
 *			const char *rcpt, unsigned nrcpt, int64_t now,
 *			struct rp_result *res);
 *	const char *rp_verdict_name(enum rp_verdict v);
 *
 *	int	rp_table_parse(const char *name, const char *text,
 *			struct rp_table **out, char *err, size_t errlen);
 *	int	rp_table_load(const char *path, struct rp_table **out,
 *			char *err, size_t errlen);
 *	const char *rp_table_match(const struct rp_table *t,
 *			const char *domain);
 *	void	rp_table_free(struct rp_table *t);
 * DESCRIPTION
 *	rp_rules_new() builds the rules of one configuration's [returnpath]:
 *	session choice, domain patterns, exclusions, the bounce domain
 *	template and table (read now), the key (mk_token_key_load(), read
 *	now). domains and secret_file are required: without them it fails,
 *	naming the key. 0, or -1 with err ("FILE:LINE: ..." for a bad table
 *	line). rp_rules_free() releases the rules (NULL is a no-op), wiping
 *	the key. rp_sessions() gives the session choice (the skeleton's
 *	sessions() hook).
 *
 *	rp_sender() decides what can be decided from the envelope sender
 *	alone (as MAIL gives it, with or without angle brackets):
 *	RP_NULL (the null sender: bounces are never rewritten),
 *	RP_MALFORMED, RP_ALREADY (a local part starting "b0=": already a
 *	return-path address), RP_NOT_LISTED (domain not in domains),
 *	RP_EXCLUDED (in exclude), RP_NO_DOMAIN (the template gives no
 *	domain name for this sender domain, e.g. an address literal), or
 *	RP_REWRITE: a candidate, res->bounce_domain set.
 *
 *	rp_rewrite() gives the new envelope sender in res->from, as
 *	"<LOCAL@BOUNCEDOMAIN>", with LOCAL = mk_token_rp_make() of the
 *	sender and, when nrcpt is 1 and rcpt parses, of the recipient too
 *	(res->with_rcpt). A local part longer than max_local_length, or an
 *	address longer than MK_ADDR_MAX, is made again without the recipient;
 *	still too long: RP_TOO_LONG. Any other trouble making the token is
 *	RP_ERROR. The verdicts of rp_sender() come first. res->cause says why
 *	for every verdict but RP_REWRITE. rp_verdict_name() names a verdict
 *	for log lines ("excluded").
 *
 *	The bounce domain table: lines "DOMAIN-PATTERN TEMPLATE" (patterns
 *	and templates as in returnpath_conf.h), blanks between, '#' starting
 *	a comment field, blank lines skipped, LF or CRLF. At most
 *	RP_TABLE_LINES lines of RP_TABLE_LINE octets, RP_TABLE_FILE_MAX
 *	octets without NUL in a file, which must be a regular file.
 *	rp_table_parse() reads text (name for messages), rp_table_load() a
 *	file: 0, or -1 with "NAME:LINE: reason" (or "NAME: reason") in err.
 *	rp_table_match() returns the template of the first line whose
 *	pattern matches the domain (borrowed from t), or NULL.
 *	rp_table_free() releases a table (NULL is a no-op).
 */
#ifndef RETURNPATH_H
#define RETURNPATH_H

#include <stddef.h>
#include <stdint.h>

#include "mk_addr.h"
#include "mk_conf.h"
#include "mk_session.h"

#define RP_LOCAL_MAX		255	/* max_local_length's bound */
#define RP_TABLE_LINES		100000
#define RP_TABLE_LINE		1024
#define RP_TABLE_FILE_MAX	(4 * 1024 * 1024)

enum rp_verdict {
	RP_REWRITE,
	RP_NULL,
	RP_MALFORMED,
	RP_ALREADY,
	RP_NOT_LISTED,
	RP_EXCLUDED,
	RP_NO_DOMAIN,
	RP_TOO_LONG,
	RP_ERROR
};

struct rp_rules;
struct rp_table;

struct rp_result {
	enum rp_verdict verdict;
	int with_rcpt;				/* the token names the rcpt */
	char bounce_domain[MK_ADDR_DOMAIN_MAX + 1];
	char from[MK_ADDR_MAX + 3];		/* "<local@bounce-domain>" */
	char cause[256];
};

int rp_rules_new(const struct mk_conf *conf, struct rp_rules **out,
    char *err, size_t errlen);
void rp_rules_free(struct rp_rules *r);
const struct mk_session_choice *rp_sessions(const void *r);
void rp_sender(const struct rp_rules *r, const char *sender,
    struct rp_result *res);
void rp_rewrite(const struct rp_rules *r, const char *sender,
    const char *rcpt, unsigned nrcpt, int64_t now, struct rp_result *res);
const char *rp_verdict_name(enum rp_verdict v);

int rp_table_parse(const char *name, const char *text, struct rp_table **out,
    char *err, size_t errlen);
int rp_table_load(const char *path, struct rp_table **out, char *err,
    size_t errlen);
const char *rp_table_match(const struct rp_table *t, const char *domain);
void rp_table_free(struct rp_table *t);

#endif
