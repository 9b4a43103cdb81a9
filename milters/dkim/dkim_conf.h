/*
 * NAME
 *	dkim_conf.h - the [dkim] section of milterkit.conf
 * SYNOPSIS
 *	#include "dkim_conf.h"
 *
 *	extern const struct mk_conf_section dkim_conf_section;
 *	const struct dkim_conf *dkim_conf(const struct mk_conf *conf);
 *	int	dkim_conf_canon(const char *text, int *hdr, int *body,
 *			char *err, size_t errlen);
 *	int	dkim_conf_headers(const char *text, char ***out, char *err,
 *			size_t errlen);
 * DESCRIPTION
 *	dkim_conf_section is the section a program registers with
 *	mk_conf_use() (milters/sections.h lists it): the milter rows
 *	(MK_CONF_MILTER_ROWS) plus signing_table, canonicalization,
 *	sign_headers and expire, whose values are checked here so that a
 *	bad one is an error with file and line in every program's -t. It
 *	is a filter milterkit-chain can host.
 *
 *	dkim_conf() returns the [dkim] block of conf, which lives as long as
 *	conf; it panics when the section was not registered.
 *
 *	dkim_conf_canon() reads "HEADER/BODY" (each relaxed or simple; a
 *	single word is the header's, the body then simple, as RFC 6376 3.5
 *	reads c=) into DKIM_CONF_SIMPLE or DKIM_CONF_RELAXED each (the values
 *	of enum dkim_canon); 0, or -1 with err naming what is wrong.
 *
 *	dkim_conf_headers() splits a sign_headers list into a NULL-ended
 *	array of names (the caller frees each name and the array); 0, or -1
 *	with err naming the bad name.
 */
#ifndef DKIM_CONF_H
#define DKIM_CONF_H

#include <stddef.h>

#include "mk_conf.h"

/* The values of enum dkim_canon (dkim.h), which this header does not need. */
enum { DKIM_CONF_SIMPLE = 0, DKIM_CONF_RELAXED = 1 };

#define DKIM_CONF_HEADERS_MAX	48	/* names in sign_headers */

struct dkim_conf {
	struct mk_conf_daemon d;
	char *signing_table;		/* path of the signing table */
	char *canonicalization;		/* "relaxed/relaxed" */
	char *sign_headers;		/* names signed (h=) */
	long long expire;		/* x = t + expire; 0: no x= */
};

extern const struct mk_conf_section dkim_conf_section;

const struct dkim_conf *dkim_conf(const struct mk_conf *conf);
int dkim_conf_canon(const char *text, int *hdr, int *body, char *err,
    size_t errlen);
int dkim_conf_headers(const char *text, char ***out, char *err,
    size_t errlen);

#endif
