/*
 * NAME
 *	ingest_conf - the [ingest] section of `milterkit ingest`
 * SYNOPSIS
 *	#include "ingest_conf.h"
 *
 *	extern const struct mk_conf_section ingest_conf_section;
 *	const struct ingest_conf *ingest_conf(const struct mk_conf *conf);
 * DESCRIPTION
 *	What ingestion decides (tools/ingest_decide.c) and how it runs.
 *	The keys it shares with the filters stay in their sections: the
 *	return-path key is [returnpath] secret_file, the List-Unsubscribe
 *	key and mailto: template [headers] unsubscribe_secret_file and
 *	unsubscribe_mailto.
 */
#ifndef INGEST_CONF_H
#define INGEST_CONF_H

#include "mk_conf.h"

/* bounce_scope choices */
enum { ING_SCOPE_GLOBAL = 0, ING_SCOPE_SENDER = 1 };

struct ingest_conf {
	int bounce_scope;		/* ING_SCOPE_* for hard and soft */
	long long soft_threshold;	/* soft bounces that suppress */
	long long soft_window;		/* seconds they are counted over */
	long long soft_expire;		/* seconds such an entry lasts, 0 never */
	int require_token;		/* bounces need a valid return path */
	int complaints;			/* act on ARF reports */
	long long remember;		/* seconds a report's digest is kept */
	long long max_size;		/* octets of a message read */
	int forward;			/* pass bounces on to the sender */
	char *sendmail;			/* forward with this command */
};

extern const struct mk_conf_section ingest_conf_section;

const struct ingest_conf *ingest_conf(const struct mk_conf *conf);

#endif
