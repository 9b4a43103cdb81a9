/*
 * NAME
 *	headers_conf.h - the [headers] section of milterkit.conf
 * SYNOPSIS
 *	#include "headers_conf.h"
 *
 *	extern const struct mk_conf_section hdr_conf_section;
 *	const struct hdr_conf *hdr_conf(const struct mk_conf *conf);
 * DESCRIPTION
 *	hdr_conf_section is the section a program registers with
 *	mk_conf_use() (milters/sections.h lists it): the milter rows
 *	(MK_CONF_MILTER_ROWS) plus the rules of milterkit-headers, whose
 *	lists and templates are checked here, so that a bad value is an
 *	error with file and line in every program's -t. It is a filter
 *	milterkit-chain can host.
 *
 *	hdr_conf() returns the [headers] block of conf, which lives as long
 *	as conf; it panics when the section was not registered (a program
 *	that reads it must register it).
 */
#ifndef HEADERS_CONF_H
#define HEADERS_CONF_H

#include "mk_conf.h"

/* [headers] choices */
enum { HDR_CONF_ZONE_LOCAL = 0, HDR_CONF_ZONE_UTC = 1 };
enum { HDR_CONF_FROM_REJECT = 0, HDR_CONF_FROM_ADD = 1,
	HDR_CONF_FROM_ACCEPT = 2 };
enum { HDR_CONF_DUP_REJECT = 0, HDR_CONF_DUP_KEEP_FIRST = 1,
	HDR_CONF_DUP_ACCEPT = 2 };
enum { HDR_CONF_REJECT = 0, HDR_CONF_ACCEPT = 1 };
enum { HDR_CONF_LONG_FOLD = 0, HDR_CONF_LONG_REJECT = 1,
	HDR_CONF_LONG_ACCEPT = 2 };
enum { HDR_CONF_8BIT_ENCODE = 0, HDR_CONF_8BIT_REJECT = 1,
	HDR_CONF_8BIT_ACCEPT = 2 };

struct hdr_conf {
	struct mk_conf_daemon d;
	long long max_headers;	/* header fields of one message */
	long long max_header_size; /* octets of one field, name + value */
	int message_id;		/* add or replace a missing/invalid one */
	char *message_id_domain; /* empty: the From domain */
	int date;		/* add a missing Date */
	int date_zone;		/* HDR_CONF_ZONE_* */
	int mime_version;	/* add MIME-Version to MIME content */
	int missing_from;	/* HDR_CONF_FROM_* */
	int multiple_from;	/* HDR_CONF_REJECT | HDR_CONF_ACCEPT */
	int duplicates;		/* HDR_CONF_DUP_* */
	char *remove;		/* header names removed (privacy) */
	char *internal_networks; /* Received naming these is removed */
	char *internal_hosts;	/* likewise, host names / .domains */
	char *feedback_id;	/* template, empty = off */
	char *unsub_domains;	/* sender domains given List-Unsubscribe */
	char *unsub_secret_file; /* HMAC key of the token */
	char *unsub_mailto;	/* template of the mailto: address */
	char *unsub_url;	/* template of the https URL, empty = none */
	int long_lines;		/* HDR_CONF_LONG_* */
	int eight_bit;		/* HDR_CONF_8BIT_* */
};

extern const struct mk_conf_section hdr_conf_section;

const struct hdr_conf *hdr_conf(const struct mk_conf *conf);

#endif
