/*
 * spf_priv.h - what spf.c and its DNS layer (spf_dns.c) share.
 *
 *	dmarc_spf__dns_new() makes the libspf2 DNS layer over dns; its
 *	counters (lookups, voids) are reset with dmarc_spf__dns_reset() and
 *	read with dmarc_spf__dns_counts(); dmarc_spf__dns_free() releases it.
 *	dmarc_spf__dns_tempfail() names the first lookup of the check that
 *	failed for now (why: its reason), NULL when none did, or when the
 *	only one was the last, a TXT lookup, and the result is a fail
 *	(failed: 1): that is the explanation's, whose failure changes
 *	nothing (RFC 7208 6.2).
 *
 *	dmarc_spf__dns_terms() counts the DNS-querying terms of the check
 *	(failed: the result is a fail, whose explanation lookup is none);
 *	dmarc_spf__dns_refused() says why a record was kept from libspf2
 *	(NULL: none was).
 *
 *	dmarc_spf__blanks_as_macros() writes the blanks of an explanation
 *	as "%_" in place (txt holds size octets): libspf2 1.2.10's
 *	macro-string compiler takes a blank for the end of a term and the
 *	octet after it for a '%' escape, so "is not" would read "is%not".
 *	-1 when the result does not fit.
 */
#ifndef DMARC_SPF_PRIV_H
#define DMARC_SPF_PRIV_H

#include <spf2/spf.h>

#include "mk_dns.h"

SPF_dns_server_t *dmarc_spf__dns_new(struct mk_dns *dns);
void dmarc_spf__dns_free(SPF_dns_server_t *layer);
void dmarc_spf__dns_reset(SPF_dns_server_t *layer);
void dmarc_spf__dns_counts(const SPF_dns_server_t *layer, unsigned *lookups,
    unsigned *voids);
int dmarc_spf__blanks_as_macros(char *txt, size_t size);
unsigned dmarc_spf__dns_terms(const SPF_dns_server_t *layer, int failed);
const char *dmarc_spf__dns_refused(const SPF_dns_server_t *layer);
const char *dmarc_spf__dns_tempfail(const SPF_dns_server_t *layer, int failed,
    const char **why);

#endif
