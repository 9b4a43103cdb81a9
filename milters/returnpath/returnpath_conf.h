/*
 * NAME
 *	returnpath_conf.h - the [returnpath] section of milterkit.conf, and
 *	the syntax of its domain patterns and bounce domain templates
 * SYNOPSIS
 *	#include "returnpath_conf.h"
 *
 *	extern const struct mk_conf_section rp_conf_section;
 *	const struct rp_conf *rp_conf(const struct mk_conf *conf);
 *
 *	int	rp_pattern_check(const char *p, size_t n, char *err,
 *			size_t errlen);
 *	int	rp_pattern_match(const char *pattern, const char *domain);
 *	int	rp_template_check(const char *t, size_t n, char *err,
 *			size_t errlen);
 *	int	rp_template_expand(const char *t, const char *domain,
 *			char *out, size_t outlen);
 * DESCRIPTION
 *	rp_conf_section is the section a program registers with
 *	mk_conf_use() (milters/sections.h lists it): the milter rows
 *	(MK_CONF_MILTER_ROWS) plus domains, exclude, bounce_domain,
 *	bounce_domain_table, secret_file, token_days and max_local_length,
 *	whose syntax is checked here so that a bad value is an error with
 *	file and line in every program's -t. It is a filter milterkit-chain
 *	can host. rp_conf() returns the [returnpath] block of conf (it lives
 *	as long as conf); it panics when the section was not registered.
 *
 *	A domain pattern (domains, and the first field of a
 *	bounce_domain_table line) is "*" (every domain), ".example.com"
 *	(every domain under example.com, not example.com itself) or a
 *	domain name ("example.com", that one only): labels of letters,
 *	digits and '-', at most 63 octets each, 253 in all.
 *	rp_pattern_check() validates the n octets at p: 0, or -1 with err.
 *	rp_pattern_match() tells whether a pattern matches a normalized
 *	(lower-case ASCII) domain; ASCII case is ignored.
 *
 *	A bounce domain template (bounce_domain, the second field of a table
 *	line) is a domain name in which "%d" stands for the sender's domain:
 *	"bounces.%d", "bounces.relay.example". rp_template_check() validates
 *	the n octets at t (its expansion for a sample domain must be a domain
 *	name): 0, or -1 with err. rp_template_expand() writes the template
 *	with %d replaced by domain, lower-cased, into out: 0, or -1 when the
 *	result does not fit outlen or is not a domain name (a label over 63
 *	octets, over 253 in all).
 */
#ifndef RETURNPATH_CONF_H
#define RETURNPATH_CONF_H

#include <stddef.h>

#include "mk_conf.h"

#define RP_TEMPLATE_MAX		253	/* octets of a template */

struct rp_conf {
	struct mk_conf_daemon d;
	char *domains;			/* sender domain patterns rewritten */
	char *exclude;			/* senders never rewritten */
	char *bounce_domain;		/* template, "bounces.%d" */
	char *bounce_domain_table;	/* per-domain templates, "" none */
	char *secret_file;		/* the HMAC key */
	long long token_days;		/* validity of a token */
	long long max_local_length;	/* octets of the new local part */
};

extern const struct mk_conf_section rp_conf_section;

const struct rp_conf *rp_conf(const struct mk_conf *conf);
int rp_pattern_check(const char *p, size_t n, char *err, size_t errlen);
int rp_pattern_match(const char *pattern, const char *domain);
int rp_template_check(const char *t, size_t n, char *err, size_t errlen);
int rp_template_expand(const char *t, const char *domain, char *out,
    size_t outlen);

#endif
