/*
 * NAME
 *	dmarc_conf.h - the [dmarc] section of milterkit.conf
 * SYNOPSIS
 *	#include "dmarc_conf.h"
 *
 *	extern const struct mk_conf_section dmarc_conf_section;
 *	const struct dmarc_conf *dmarc_conf(const struct mk_conf *conf);
 *	int	dmarc_conf_addresses(const char *text, char ***out, size_t *n,
 *			char *err, size_t errlen);
 * DESCRIPTION
 *	dmarc_conf_section is the section programs register (sections.h):
 *	the milter rows (MK_CONF_MILTER_ROWS), mode, those of the inbound
 *	checks and those of the outbound prediction, values checked here so
 *	that every program's -t reports a bad one with file and line. It is
 *	a filter milterkit-chain can host. dmarc_conf() returns the [dmarc] block of conf (it panics when the
 *	section was not registered). dmarc_conf_addresses() splits a
 *	public_addresses list (IPv4 and IPv6 addresses) into a NULL-ended
 *	array the caller frees with each item (NULL for none); 0, or -1 with
 *	err naming the bad item.
 */
#ifndef DMARC_CONF_H
#define DMARC_CONF_H

#include <stddef.h>

#include "mk_conf.h"

/* on_reject: what a fail under p=reject gets */
enum { DMARC_ON_REJECT_REJECT = 0, DMARC_ON_REJECT_QUARANTINE,
	DMARC_ON_REJECT_TAG };
/* on_quarantine: what a fail under p=quarantine gets */
enum { DMARC_ON_QUARANTINE_QUARANTINE = 0, DMARC_ON_QUARANTINE_TAG };
/* mode */
enum { DMARC_MODE_INBOUND = 0, DMARC_MODE_OUTBOUND };
/* on_outbound_fail */
enum { DMARC_OUT_REJECT = 0, DMARC_OUT_TEMPFAIL, DMARC_OUT_TAG, DMARC_OUT_LOG };

struct dmarc_conf {
	struct mk_conf_daemon d;
	int mode;			/* DMARC_MODE_* */
	char *public_addresses;		/* outbound: the relay's, for SPF */
	int on_outbound_fail;		/* DMARC_OUT_* */
	char *authserv_id;		/* of Authentication-Results; "" = host */
	char *trusted_networks;		/* clients not checked */
	int skip_authenticated;		/* SASL sessions not checked */
	int on_reject;
	int on_quarantine;
	int received_spf;		/* add Received-SPF */
	long long max_signatures;	/* DKIM signatures verified */
};

extern const struct mk_conf_section dmarc_conf_section;

const struct dmarc_conf *dmarc_conf(const struct mk_conf *conf);

const struct dmarc_conf *dmarc_conf(const struct mk_conf *conf);
int dmarc_conf_addresses(const char *text, char ***out, size_t *n, char *err,
    size_t errlen);

#endif
