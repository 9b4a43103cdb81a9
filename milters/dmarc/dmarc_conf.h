/*
 * NAME
 *	dmarc_conf.h - the [dmarc] section of milterkit.conf
 * SYNOPSIS
 *	#include "dmarc_conf.h"
 *
 *	extern const struct mk_conf_section dmarc_conf_section;
 *	const struct dmarc_conf *dmarc_conf(const struct mk_conf *conf);
 * DESCRIPTION
 *	dmarc_conf_section is the section programs register (sections.h):
 *	the milter rows (MK_CONF_MILTER_ROWS) and those of the inbound
 *	checks, values checked here so that every program's -t reports a
 *	bad one with file and line. It is a filter milterkit-chain can host.
 *	dmarc_conf() returns the [dmarc] block of conf (it panics when the
 *	section was not registered).
 */
#ifndef DMARC_CONF_H
#define DMARC_CONF_H

#include "mk_conf.h"

/* on_reject: what a fail under p=reject gets */
enum { DMARC_ON_REJECT_REJECT = 0, DMARC_ON_REJECT_QUARANTINE,
	DMARC_ON_REJECT_TAG };
/* on_quarantine: what a fail under p=quarantine gets */
enum { DMARC_ON_QUARANTINE_QUARANTINE = 0, DMARC_ON_QUARANTINE_TAG };
/* on_temperror */
enum { DMARC_ON_TEMPERROR_ACCEPT = 0, DMARC_ON_TEMPERROR_TEMPFAIL };

struct dmarc_conf {
	struct mk_conf_daemon d;
	char *authserv_id;		/* of Authentication-Results; "" = host */
	char *trusted_networks;		/* clients not checked */
	int skip_authenticated;		/* SASL sessions not checked */
	int on_reject;
	int on_quarantine;
	int on_temperror;
	int received_spf;		/* add Received-SPF */
	long long max_signatures;	/* DKIM signatures verified */
};

extern const struct mk_conf_section dmarc_conf_section;

const struct dmarc_conf *dmarc_conf(const struct mk_conf *conf);

#endif
