/*
 * NAME
 *	eval - one message's DMARC evaluation (RFC 7489 6.6) and its
 *	Authentication-Results field (RFC 8601)
 * SYNOPSIS
 *	#include "eval.h"
 *
 *	int	dmarc_eval(struct mk_dns *dns, const struct dmarc_input *in,
 *			unsigned roll, struct dmarc_outcome *out);
 *	int	dmarc_outbound_eval(struct mk_dns *dns, struct dmarc_spf *spf,
 *			const struct dmarc_outbound_input *in,
 *			struct dmarc_outcome *out);
 *	const char *dmarc_result_name(int result);
 *	void	dmarc_ar_value(const char *authserv,
 *			const struct dmarc_input *in,
 *			const struct dmarc_outcome *out, struct mk_strbuf *b);
 * DESCRIPTION
 *	dmarc_eval() finds the policy of in->from_domain (the RFC5322.From
 *	domain) with dns, synchronously: the TXT records of _dmarc.FROM, else
 *	of _dmarc.ORG (its Organizational Domain), one DMARC record among
 *	them (dmarc.h). The result is pass when an SPF pass for
 *	in->spf_domain or a DKIM pass of one of in->sigs has a domain aligned
 *	with FROM (aspf, adkim: relaxed or strict), else fail; none without
 *	a record; temperror when a lookup failed for now, or when nothing
 *	passed and SPF or a signature had a temporary error; permerror for
 *	an invalid record. The policy is p for a record of FROM itself, sp
 *	for its Organizational Domain's, np when FROM does not exist (RFC
 *	9091: one more lookup, of FROM's address records). The disposition
 *	of a fail is that policy, one step milder (reject to quarantine,
 *	quarantine to none) when roll (0 to 99, the caller's random draw) is
 *	not below pct (RFC 7489 6.6.4). out->why says what decided.
 *
 *	dmarc_outbound_eval() answers, for the relay's own mail, "will it
 *	pass DMARC at the receivers?": the policy of in->from_domain is found
 *	as above; the result is pass when one of in->sign_domains (the d= the
 *	signer will use for it, from the signing table) aligns with it, or
 *	when the envelope sender's domain aligns and its SPF passes for one
 *	of in->addrs (the relay's public addresses; spf, the caller's
 *	checker); fail otherwise, with the policy as disposition (no pct:
 *	the relay's question is whether receivers may refuse it).
 *
 *	dmarc_ar_value() appends to b the value of an Authentication-Results
 *	field: authserv, then spf (smtp.mailfrom), each dkim signature
 *	looked at (header.d, header.s, header.b) and dmarc (header.from),
 *	with the policy and disposition of a fail in a comment.
 * DIAGNOSTICS
 *	dmarc_eval() returns -1 when in->from_domain is not a domain name
 *	(the caller's permerror), else 0.
 */
#ifndef DMARC_EVAL_H
#define DMARC_EVAL_H

#include <stddef.h>

#include "dkimv.h"
#include "dmarc.h"
#include "mk_dns.h"
#include "mk_strbuf.h"

enum {
	DMARC_R_NONE = 0, DMARC_R_PASS, DMARC_R_FAIL, DMARC_R_TEMPERROR,
	DMARC_R_PERMERROR
};

struct dmarc_input {
	const char *from_domain;	/* RFC5322.From */
	int spf_result;			/* enum dmarc_spf_result (spf.h) */
	const char *spf_domain;		/* MAIL FROM's domain (HELO's) */
	const char *spf_identity;	/* for smtp.mailfrom */
	const struct dmarc_dkim_sig *sigs;
	size_t nsigs;
};

struct dmarc_outcome {
	int result;			/* DMARC_R_* */
	int policy;			/* DMARC_POLICY_* that applies */
	int disposition;		/* DMARC_POLICY_* done (pct) */
	int has_record;
	struct dmarc_record rec;
	char record_domain[DMARC_DOMAIN_MAX + 1];
	char org_domain[DMARC_DOMAIN_MAX + 1];
	int spf_aligned, dkim_aligned;
	char dkim_domain[DMARC_DOMAIN_MAX + 1];	/* the aligned pass */
	char why[160];
};

struct dmarc_outbound_input {
	const char *from_domain;
	const char *sender;		/* envelope, "" for the null sender */
	const char *const *addrs;	/* the relay's public addresses */
	size_t naddrs;
	const char *const *sign_domains; /* d= the signer will use */
	size_t nsign;
};

struct dmarc_spf;

int dmarc_eval(struct mk_dns *dns, const struct dmarc_input *in, unsigned roll,
    struct dmarc_outcome *out);
int dmarc_outbound_eval(struct mk_dns *dns, struct dmarc_spf *spf,
    const struct dmarc_outbound_input *in, struct dmarc_outcome *out);
const char *dmarc_result_name(int result);
void dmarc_ar_value(const char *authserv, const struct dmarc_input *in,
    const struct dmarc_outcome *out, struct mk_strbuf *b);

#endif
