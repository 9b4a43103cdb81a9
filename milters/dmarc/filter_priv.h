/*
 * filter_priv.h - what the DMARC filter's files share: its state for one
 * configuration and one message's slow work (filter.c), and what a
 * result gets at the MTA (apply.c).
 *
 *	dm_apply() gives the MTA, back on the event loop, what job j found
 *	for msg: inbound, our Authentication-Results (and Received-SPF when
 *	asked) instead of those forged with our authserv-id, and the
 *	policy's disposition; outbound, on_outbound_fail for a fail. One log
 *	line either way. It returns the filter's answer.
 */
#ifndef DMARC_FILTER_PRIV_H
#define DMARC_FILTER_PRIV_H

#include "dkimv.h"
#include "dmarc_conf.h"
#include "eval.h"
#include "mk_cidr.h"
#include "mk_milter.h"
#include "mk_session.h"
#include "spf.h"

#define DM_SIGS_MAX	DMARC_DKIM_SIGS_CAP	/* max_signatures' bound */
#define DM_AR_NAME	"Authentication-Results"

/* Program state for one configuration. */
struct dm_state {
	struct mk_session_choice sessions;
	struct mk_cidr_list trusted;
	const struct dmarc_conf *c;
	struct dmarc_dkimv *dkimv;
	struct mk_conf_dns dns;		/* [dns] of this configuration */
	unsigned long gen;		/* tells worker resolvers apart */
	char authserv[MK_DNS_NAME_MAX + 1];
	int outbound;			/* mode = outbound */
	char **addrs;			/* public_addresses */
	size_t naddrs;
	struct dkim_table *table;	/* [dkim] signing_table, outbound */
};

/* One message's slow work: inputs copied, results, on a worker. */
struct dm_job {
	const struct dm_state *st;
	struct dmarc_dkimv_msg *v;	/* taken from the message */
	char ip[64], sender[MK_MILTER_ADDR_MAX], helo[MK_MILTER_NAME_MAX];
	char from[MK_DNS_NAME_MAX + 1];
	int outbound;
	char sign[DM_SIGS_MAX][MK_DNS_NAME_MAX + 1];	/* d= for From */
	size_t nsign;
	int spf_checked;
	struct dmarc_spf_outcome spf;
	struct dmarc_dkim_sig sigs[DM_SIGS_MAX];
	struct dmarc_input in;
	struct dmarc_outcome out;
	char err[256];			/* a worker's own trouble */
};

sfsistat dm_apply(struct mk_msg *msg, const struct dm_job *j);

#endif
