/*
 * eval.c - DMARC evaluation of one message and its Authentication-Results
 * (see eval.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "eval.h"
#include "spf.h"

#define TXT_KEPT	8	/* TXT records of a _dmarc name looked at */

const char *
dmarc_result_name(int result)
{
	static const char *const names[] = { "none", "pass", "fail",
	    "temperror", "permerror" };

	return result >= 0 && result <= DMARC_R_PERMERROR ? names[result] : "?";
}

/* The DMARC record at _dmarc.DOMAIN: 1 found (rec), 0 none, -1 invalid,
 * -2 the lookup failed for now; why says what. */
static int
lookup_record(struct mk_dns *dns, const char *domain, struct dmarc_record *rec,
    char *why, size_t whylen)
{
	char name[DMARC_DOMAIN_MAX + 8], texts[TXT_KEPT][2049];
	const char *tp[TXT_KEPT];
	struct mk_dns_answer *a;
	size_t n = 0;
	int rc;

	if ((size_t)snprintf(name, sizeof(name), "_dmarc.%s", domain) >=
	    sizeof(name) - 1 ||
	    mk_dns_lookup_wait(dns, name, MK_DNS_T_TXT, &a) != 0) {
		snprintf(why, whylen, "_dmarc.%.80s...: name too long", domain);
		return 0;
	}
	if (a->status == MK_DNS_TEMPFAIL) {
		snprintf(why, whylen, "DNS lookup of %.100s failed: %s", name,
		    a->why != NULL ? a->why : "temporary failure");
		mk_dns_answer_free(a);
		return -2;
	}
	for (size_t i = 0; a->status == MK_DNS_OK && i < a->n; i++)
		if (n < TXT_KEPT && mk_dns_txt(&a->rr[i], texts[n],
		    sizeof(texts[n])) == 0) {
			tp[n] = texts[n];
			n++;
		}
	mk_dns_answer_free(a);
	rc = dmarc_record_pick(tp, n, rec, why, whylen);
	{
		char tmp[160];

		snprintf(tmp, sizeof(tmp), "%s", why);
		snprintf(why, whylen, rc > 0 ? "record at %.100s" : rc < 0 ?
		    "invalid record at %.60s: %.90s" : "%.90s at %.60s",
		    rc == 0 ? tmp : name, rc == 0 ? name : tmp);
	}
	return rc;
}

/* Whether domain exists (RFC 9091): its A lookup is not NXDOMAIN. */
static int
exists(struct mk_dns *dns, const char *domain)
{
	struct mk_dns_answer *a;
	int e;

	if (mk_dns_lookup_wait(dns, domain, MK_DNS_T_A, &a) != 0)
		return 1;
	e = a->status != MK_DNS_NXDOMAIN;
	mk_dns_answer_free(a);
	return e;
}

static int
milder(int policy)
{
	return policy == DMARC_POLICY_REJECT ? DMARC_POLICY_QUARANTINE :
	    DMARC_POLICY_NONE;
}

/* pass, or fail/temperror, from the SPF and DKIM results. */
static void
judge(const struct dmarc_input *in, struct dmarc_outcome *out)
{
	const struct dmarc_record *r = &out->rec;
	int temp = in->spf_result == DMARC_SPF_TEMPERROR;

	for (size_t i = 0; i < in->nsigs; i++) {
		if (in->sigs[i].result == DMARC_DKIM_TEMPERROR)
			temp = 1;
		if (in->sigs[i].result == DMARC_DKIM_PASS &&
		    dmarc_aligned(in->sigs[i].domain, in->from_domain, r->adkim)) {
			out->dkim_aligned = 1;
			snprintf(out->dkim_domain, sizeof(out->dkim_domain), "%s",
			    in->sigs[i].domain);
			break;
		}
	}
	out->spf_aligned = in->spf_result == DMARC_SPF_PASS &&
	    in->spf_domain != NULL &&
	    dmarc_aligned(in->spf_domain, in->from_domain, r->aspf);
	if (out->dkim_aligned || out->spf_aligned) {
		out->result = DMARC_R_PASS;
		snprintf(out->why, sizeof(out->why), "%s aligned with %s",
		    out->dkim_aligned ? "DKIM" : "SPF", in->from_domain);
	} else {
		out->result = temp ? DMARC_R_TEMPERROR : DMARC_R_FAIL;
		snprintf(out->why, sizeof(out->why), temp ? "no aligned pass, "
		    "and a temporary error" : "neither SPF nor DKIM passed "
		    "aligned with %s", in->from_domain);
	}
}

/* The record and the policy that applies to from: 1 found, 0 a result
 * without one (none, temperror, permerror: out->result), -1 from is no
 * domain. */
static int
find_policy(struct mk_dns *dns, const char *from, struct dmarc_outcome *out)
{
	int rc, at_org = 0;

	memset(out, 0, sizeof(*out));
	if (dmarc_org_domain(from, out->org_domain, sizeof(out->org_domain)) != 0)
		return -1;
	rc = lookup_record(dns, from, &out->rec, out->why, sizeof(out->why));
	if (rc == 0 && strcasecmp(out->org_domain, from) != 0) {
		at_org = 1;
		rc = lookup_record(dns, out->org_domain, &out->rec, out->why,
		    sizeof(out->why));
	}
	if (rc <= 0) {
		out->result = rc == -2 ? DMARC_R_TEMPERROR : rc == -1 ?
		    DMARC_R_PERMERROR : DMARC_R_NONE;
		return 0;
	}
	out->has_record = 1;
	snprintf(out->record_domain, sizeof(out->record_domain), "%s",
	    at_org ? out->org_domain : from);
	out->policy = !at_org ? out->rec.p :
	    !exists(dns, from) ? out->rec.np : out->rec.sp;
	return 1;
}

int
dmarc_eval(struct mk_dns *dns, const struct dmarc_input *in, unsigned roll,
    struct dmarc_outcome *out)
{
	int rc = find_policy(dns, in->from_domain, out);

	if (rc <= 0)
		return rc;
	judge(in, out);
	out->disposition = DMARC_POLICY_NONE;
	if (out->result == DMARC_R_FAIL)
		out->disposition = roll < (unsigned)out->rec.pct ? out->policy :
		    milder(out->policy);
	return 0;
}

int
dmarc_outbound_eval(struct mk_dns *dns, struct dmarc_spf *spf,
    const struct dmarc_outbound_input *in, struct dmarc_outcome *out)
{
	struct dmarc_spf_outcome so;
	const char *at = strrchr(in->sender, '@');
	const char *sdom = at != NULL ? at + 1 : in->sender;
	int rc = find_policy(dns, in->from_domain, out);

	if (rc <= 0)
		return rc;
	for (size_t i = 0; i < in->nsign && !out->dkim_aligned; i++)
		if (dmarc_aligned(in->sign_domains[i], in->from_domain,
		    out->rec.adkim)) {
			out->dkim_aligned = 1;
			snprintf(out->dkim_domain, sizeof(out->dkim_domain), "%s",
			    in->sign_domains[i]);
		}
	if (!out->dkim_aligned && sdom[0] != '\0' &&
	    dmarc_aligned(sdom, in->from_domain, out->rec.aspf))
		for (size_t i = 0; i < in->naddrs && !out->spf_aligned; i++)
			if (dmarc_spf_check(spf, in->addrs[i], in->sender, NULL,
			    &so) == 0 && so.result == DMARC_SPF_PASS)
				out->spf_aligned = 1;
	if (out->dkim_aligned || out->spf_aligned) {
		out->result = DMARC_R_PASS;
		snprintf(out->why, sizeof(out->why), out->dkim_aligned ?
		    "signed with d=%s" : "SPF of %s allows the relay", out->dkim_aligned ?
		    out->dkim_domain : sdom);
	} else {
		out->result = DMARC_R_FAIL;
		snprintf(out->why, sizeof(out->why), "the relay neither signs for "
		    "%s nor sends from an address its SPF allows", in->from_domain);
	}
	out->disposition = out->result == DMARC_R_FAIL ? out->policy :
	    DMARC_POLICY_NONE;
	return 0;
}

void
dmarc_ar_value(const char *authserv, const struct dmarc_input *in,
    const struct dmarc_outcome *out, struct mk_strbuf *b)
{
	char buf[600];

	mk_strbuf_str(b, authserv);
	if (in->spf_identity != NULL) {
		snprintf(buf, sizeof(buf), ";\n\tspf=%s smtp.mailfrom=%s",
		    dmarc_spf_result_name(in->spf_result), in->spf_identity);
		mk_strbuf_str(b, buf);
	}
	for (size_t i = 0; i < in->nsigs; i++) {
		const struct dmarc_dkim_sig *s = &in->sigs[i];

		snprintf(buf, sizeof(buf), ";\n\tdkim=%s%s%s%s header.d=%s "
		    "header.s=%s header.b=\"%s\"",
		    dmarc_dkim_result_name(s->result), s->why[0] ? " (" : "",
		    s->why, s->why[0] ? ")" : "", s->domain, s->selector, s->b);
		mk_strbuf_str(b, buf);
	}
	if (in->nsigs == 0)
		mk_strbuf_str(b, ";\n\tdkim=none");
	if (in->from_domain == NULL || in->from_domain[0] == '\0')
		snprintf(buf, sizeof(buf), ";\n\tdmarc=%s",
		    dmarc_result_name(out->result));
	else if (out->has_record)
		snprintf(buf, sizeof(buf), ";\n\tdmarc=%s (p=%s dis=%s) "
		    "header.from=%s", dmarc_result_name(out->result),
		    dmarc_policy_name(out->policy),
		    dmarc_policy_name(out->disposition), in->from_domain);
	else
		snprintf(buf, sizeof(buf), ";\n\tdmarc=%s header.from=%s",
		    dmarc_result_name(out->result), in->from_domain);
	mk_strbuf_str(b, buf);
}
