/*
 * spf_dns.c - libspf2's DNS layer over the project's resolver (see
 * spf_priv.h, spf.h).
 *
 * libspf2 asks one lookup at a time and waits: each goes to
 * mk_dns_lookup_wait(), bounded by [dns] timeout. The layer turns answers
 * into libspf2's records (addresses, names, joined TXT strings), counts
 * lookups and void lookups, and keeps from libspf2 any TXT record that
 * dmarc_spf_record_ok() refuses: an SPF record becomes one that is
 * certainly broken (permerror), any other text is left out. Other texts
 * (explanations) get their blanks written as "%_". It also counts the
 * terms that query DNS (libspf2 counts per record, RFC 7208 per check),
 * and lets the errors of ptr's lookups be no errors (RFC 7208 5.5).
 */
#include "config.h"

#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mk_mem.h"
#include "spf.h"
#include "spf_priv.h"

/* What a refused SPF record reads as: an unknown mechanism, permerror. */
#define REFUSED_RECORD	"v=spf1 refused-by-milterkit"

#define RELATED_MAX	10	/* names of one MX or PTR answer kept */

struct layer {
	SPF_dns_server_t srv;		/* first: libspf2 gets &layer->srv */
	struct mk_dns *dns;
	unsigned lookups, voids;
	unsigned tempfails;		/* lookups that failed for now */
	int last_type, last_tempfail;	/* of the latest lookup */
	char temp_name[MK_DNS_NAME_MAX + 1];	/* the first that failed */
	const char *temp_why;
	const char *refused;		/* why a record was kept from libspf2 */
	unsigned terms;			/* DNS-querying terms (RFC 7208 4.6.4) */
	int txt_seen;			/* the first TXT: the record checked */
	/* the names of the latest MX or PTR answer: their address lookups
	 * belong to that term (and, for PTR, their errors are no errors) */
	char related[RELATED_MAX][MK_DNS_NAME_MAX + 1];
	size_t nrelated;
	int related_ptr;
	char txt[MK_DNS_TXT_MAX + 1];
};

/* An SPF record: "v=spf1" alone or followed by a blank (RFC 7208 4.5). */
static int
is_spf(const char *t)
{
	return strncasecmp(t, "v=spf1", 6) == 0 && (t[6] == '\0' || t[6] == ' ');
}

/* An explanation's blanks as "%_" (spf_priv.h says why). */
int
dmarc_spf__blanks_as_macros(char *txt, size_t size)
{
	size_t n = strlen(txt), blanks = 0;

	for (size_t i = 0; i < n; i++)
		blanks += txt[i] == ' ' || txt[i] == '\t';
	if (n + blanks >= size)
		return -1;
	for (size_t i = n + 1, j = n + blanks + 1; i-- > 0;) {
		if (txt[i] == ' ' || txt[i] == '\t') {
			txt[--j] = '_';
			txt[--j] = '%';
		} else {
			txt[--j] = txt[i];
		}
	}
	return 0;
}

/* Record i of rr: len octets of room, filled from src. */
static int
rr_put(SPF_dns_rr_t *rr, int i, const void *src, size_t len)
{
	if (SPF_dns_rr_buf_realloc(rr, i, len) != SPF_E_SUCCESS)
		return -1;
	memcpy(rr->rr[i], src, len);
	return 0;
}

/* One answered record into slot i; 1 stored, 0 skipped, -1 no memory. */
static int
rr_add(struct layer *l, SPF_dns_rr_t *rr, int i, int type,
    const struct mk_dns_rr *d)
{
	char name[MK_DNS_NAME_MAX + 2];

	switch (type) {
	case ns_t_a:
		return d->len == 4 ? (rr_put(rr, i, d->data, 4) == 0 ? 1 : -1) : 0;
	case ns_t_aaaa:
		return d->len == 16 ? (rr_put(rr, i, d->data, 16) == 0 ? 1 : -1) : 0;
	case ns_t_mx:
		if (d->len < 3 || mk_dns_rr_name(d, 2, name, sizeof(name)) != 0)
			return 0;
		return rr_put(rr, i, name, strlen(name) + 1) == 0 ? 1 : -1;
	case ns_t_ptr:
		if (mk_dns_rr_name(d, 0, name, sizeof(name)) != 0)
			return 0;
		return rr_put(rr, i, name, strlen(name) + 1) == 0 ? 1 : -1;
	case ns_t_txt:
	case ns_t_spf:
		if (mk_dns_txt(d, l->txt, sizeof(l->txt)) != 0)
			return 0;
		if (is_spf(l->txt)) {
			const char *why;

			if (dmarc_spf_record_prepare(l->txt, &why) != 0) {
				l->refused = why;
				strcpy(l->txt, REFUSED_RECORD);
			}
		} else if (!dmarc_spf_record_ok(l->txt, strlen(l->txt)) ||
		    dmarc_spf__blanks_as_macros(l->txt, sizeof(l->txt)) != 0) {
			return 0;	/* an explanation: none */
		}
		return rr_put(rr, i, l->txt, strlen(l->txt) + 1) == 0 ? 1 : -1;
	default:
		return 0;
	}
}

/* Whether name came in the latest MX or PTR answer. */
static int
related(const struct layer *l, const char *name)
{
	for (size_t i = 0; i < l->nrelated; i++)
		if (strcasecmp(l->related[i], name) == 0)
			return 1;
	return 0;
}

/* Counts the terms that query DNS (include, redirect, a, mx, ptr,
 * exists), as their lookups show them: the TXT lookups after the
 * record's own, MX and PTR lookups, and address lookups but those of the
 * names an MX or PTR answer gave. */
static void
count_term(struct layer *l, const char *domain, int type)
{
	if (type == ns_t_txt) {
		l->terms += l->txt_seen;
		l->txt_seen = 1;
	} else if (type == ns_t_mx || type == ns_t_ptr) {
		l->terms++;
		l->nrelated = 0;
		l->related_ptr = type == ns_t_ptr;
	} else if ((type == ns_t_a || type == ns_t_aaaa) &&
	    !related(l, domain)) {
		l->terms++;
	}
}

/* An MX or PTR answer's names, for count_term() and ptr's errors. */
static void
keep_related(struct layer *l, int type, const struct mk_dns_answer *a)
{
	if (type != ns_t_mx && type != ns_t_ptr)
		return;
	for (size_t i = 0; i < a->n && l->nrelated < RELATED_MAX; i++)
		if (mk_dns_rr_name(&a->rr[i], type == ns_t_mx ? 2 : 0,
		    l->related[l->nrelated], sizeof(l->related[0])) == 0)
			l->nrelated++;
}

static void
note_tempfail(struct layer *l, const char *domain, const char *why)
{
	if (l->tempfails++ == 0) {
		snprintf(l->temp_name, sizeof(l->temp_name), "%s", domain);
		l->temp_why = why != NULL ? why : "temporary failure";
	}
	l->last_tempfail = 1;
}

static SPF_dns_rr_t *
lookup(SPF_dns_server_t *srv, const char *domain, ns_type type,
    int should_cache)
{
	struct layer *l = (struct layer *)srv;
	struct mk_dns_answer *a;
	SPF_dns_rr_t *rr;
	int herrno, n = 0, ptr_part;

	(void)should_cache;
	l->lookups++;
	l->last_type = (int)type;
	l->last_tempfail = 0;
	count_term(l, domain, (int)type);
	/* RFC 7208 5.5: errors of ptr's lookups only mean no match */
	ptr_part = type == ns_t_ptr || (l->related_ptr && related(l, domain));
	if (mk_dns_lookup_wait(l->dns, domain, (int)type, &a) != 0) {
		if (ptr_part)	/* no match, and no void lookup either */
			return SPF_dns_rr_new_init(srv, domain, type, 0, NO_DATA);
		note_tempfail(l, domain, "no answer");
		return SPF_dns_rr_new_init(srv, domain, type, 0, TRY_AGAIN);
	}
	if (a->status == MK_DNS_TEMPFAIL && ptr_part) {
		mk_dns_answer_free(a);
		return SPF_dns_rr_new_init(srv, domain, type, 0, NO_DATA);
	}
	if (a->status == MK_DNS_TEMPFAIL)
		note_tempfail(l, domain, a->why);
	if (a->status == MK_DNS_OK)
		keep_related(l, (int)type, a);
	switch (a->status) {
	case MK_DNS_OK: herrno = NETDB_SUCCESS; break;
	case MK_DNS_NODATA: herrno = NO_DATA; break;
	case MK_DNS_TEMPFAIL: herrno = TRY_AGAIN; break;
	default: herrno = HOST_NOT_FOUND; break;	/* NXDOMAIN, bad name */
	}
	if ((a->status == MK_DNS_NODATA || a->status == MK_DNS_NXDOMAIN ||
	    a->status == MK_DNS_PERMFAIL) && type != ns_t_txt &&
	    type != ns_t_spf)
		l->voids++;
	rr = SPF_dns_rr_new_init(srv, domain, type, (int)a->ttl, herrno);
	if (rr != NULL && a->status == MK_DNS_OK) {
		for (size_t i = 0; i < a->n; i++) {
			int r = rr_add(l, rr, n, (int)type, &a->rr[i]);

			if (r < 0) {
				SPF_dns_rr_free(rr);
				rr = SPF_dns_rr_new_init(srv, domain, type, 0,
				    TRY_AGAIN);
				break;
			}
			n += r;
		}
		if (rr != NULL && rr->herrno == NETDB_SUCCESS) {
			rr->num_rr = n;
			if (n == 0)	/* nothing usable: as if none */
				rr->herrno = NO_DATA;
		}
	}
	mk_dns_answer_free(a);
	return rr;
}

SPF_dns_server_t *
dmarc_spf__dns_new(struct mk_dns *dns)
{
	struct layer *l = mk_calloc(1, sizeof(*l));

	l->srv.lookup = lookup;
	l->srv.name = "milterkit";
	l->srv.hook = l;
	l->dns = dns;
	return &l->srv;
}

void
dmarc_spf__dns_free(SPF_dns_server_t *srv)
{
	free(srv);
}

void
dmarc_spf__dns_reset(SPF_dns_server_t *srv)
{
	struct layer *l = (struct layer *)srv;

	l->lookups = l->voids = l->tempfails = l->terms = 0;
	l->last_type = l->last_tempfail = l->txt_seen = l->related_ptr = 0;
	l->nrelated = 0;
	l->temp_name[0] = '\0';
	l->temp_why = NULL;
	l->refused = NULL;
}

void
dmarc_spf__dns_counts(const SPF_dns_server_t *srv, unsigned *lookups,
    unsigned *voids)
{
	const struct layer *l = (const struct layer *)srv;

	*lookups = l->lookups;
	*voids = l->voids;
}

unsigned
dmarc_spf__dns_terms(const SPF_dns_server_t *srv, int failed)
{
	const struct layer *l = (const struct layer *)srv;

	/* a fail's explanation is the last lookup, a TXT one: no term */
	return l->terms - (failed && l->last_type == ns_t_txt && l->terms > 0);
}

const char *
dmarc_spf__dns_refused(const SPF_dns_server_t *srv)
{
	return ((const struct layer *)srv)->refused;
}

const char *
dmarc_spf__dns_tempfail(const SPF_dns_server_t *srv, int failed,
    const char **why)
{
	const struct layer *l = (const struct layer *)srv;

	if (l->tempfails == 0)
		return NULL;
	/* A fail's explanation is looked up last: its failure is no error */
	if (failed && l->tempfails == 1 && l->last_tempfail &&
	    l->last_type == ns_t_txt)
		return NULL;
	*why = l->temp_why;
	return l->temp_name;
}
