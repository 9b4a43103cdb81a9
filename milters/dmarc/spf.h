/*
 * NAME
 *	spf - SPF (RFC 7208) checks: libspf2 behind the project's resolver
 * SYNOPSIS
 *	#include "spf.h"
 *
 *	int	dmarc_spf_new(struct mk_dns *dns, const char *receiver,
 *			struct dmarc_spf **out, char *err, size_t errlen);
 *	void	dmarc_spf_free(struct dmarc_spf *spf);
 *	int	dmarc_spf_check(struct dmarc_spf *spf, const char *ip,
 *			const char *sender, const char *helo,
 *			struct dmarc_spf_outcome *out);
 *	const char *dmarc_spf_result_name(int result);
 *	int	dmarc_spf_record_ok(const char *text, size_t len);
 *	int	dmarc_spf_record_prepare(char *txt, const char **why);
 * DESCRIPTION
 *	A struct dmarc_spf is a libspf2 server whose DNS layer (spf_dns.c)
 *	asks dns, the caller's resolver, synchronously (mk_dns_lookup_wait):
 *	it belongs to one thread, never an event loop (a worker, a command).
 *	receiver names the checking host (the %{r} macro, Received-SPF).
 *
 *	dmarc_spf_check() checks the MAIL FROM identity of sender for the
 *	client address ip (IPv4 or IPv6 text): sender "" (the null reverse
 *	path) means postmaster@helo, as RFC 7208 2.4 says; helo may be NULL
 *	otherwise (the %{h} macro is then "unknown"). out gets the result
 *	(enum dmarc_spf_result), the domain whose policy was checked, a
 *	comment (what matched, or why there was an error), the explanation
 *	(the record's exp= text, expanded: fail only, else empty), the
 *	Received-SPF field value and the DNS lookups and void lookups made.
 *	Beyond libspf2: more than DMARC_SPF_VOID_MAX void lookups (NXDOMAIN
 *	or no records answered to A, AAAA, MX or PTR lookups) or more than
 *	DMARC_SPF_TERMS_MAX terms querying DNS in the whole check (libspf2
 *	counts per record) make the result permerror (RFC 7208 4.6.4); a
 *	lookup that fails for now makes it temperror, but for ptr's lookups
 *	(RFC 7208 5.5: no match) and a fail's explanation; the DNS layer
 *	drops unknown modifiers (dmarc_spf_record_prepare()) and hands libspf2
 *	no record that dmarc_spf_record_ok() refuses (libspf2 1.2.10 on
 *	Debian 12 is open to CVE-2023-42118 in its record compiler): such a
 *	record reads as a broken one (permerror), such an explanation as
 *	none.
 *
 *	dmarc_spf_record_ok() bounds a TXT record before libspf2 sees it:
 *	at most DMARC_SPF_RECORD_MAX octets, printable ASCII and blanks,
 *	every macro well formed ("%%", "%_", "%-", or "%{" a letter of
 *	slodiphcrtv in any case, at most three digits making 1 to 128, an
 *	optional "r", delimiters among ".-+,/_=", "}"), and each term of an
 *	SPF record, or the whole of another text (an explanation), small
 *	enough once compiled (DMARC_SPF_COMPILED_MAX of the 511 octets
 *	libspf2 has for it, the margin CVE-2023-42118 needs). 1 when it may
 *	go on.
 *
 *	dmarc_spf_record_prepare() readies an SPF record (spf_record.c): it
 *	must pass dmarc_spf_record_ok(); unknown modifiers are taken out
 *	(RFC 7208 6 ignores them; libspf2 refuses a name with '.', '-' or
 *	'_'), terms are left one blank apart, in place; redirect= or exp=
 *	given twice makes it an error (RFC 7208 6). 0, or -1 with why.
 * DIAGNOSTICS
 *	dmarc_spf_new() returns -1 with a message in err when libspf2 cannot
 *	be set up. dmarc_spf_check() returns -1 when ip is not an address or
 *	the identity cannot be formed (an empty sender without helo), else 0
 *	with a result, errors of the domain's own making included.
 */
#ifndef DMARC_SPF_H
#define DMARC_SPF_H

#include <stddef.h>

#include "mk_dns.h"

enum dmarc_spf_result {
	DMARC_SPF_NONE = 0,
	DMARC_SPF_NEUTRAL,
	DMARC_SPF_PASS,
	DMARC_SPF_FAIL,
	DMARC_SPF_SOFTFAIL,
	DMARC_SPF_TEMPERROR,
	DMARC_SPF_PERMERROR
};

#define DMARC_SPF_VOID_MAX	2	/* RFC 7208 4.6.4 */
#define DMARC_SPF_TERMS_MAX	10	/* RFC 7208 4.6.4 */
#define DMARC_SPF_RECORD_MAX	2048	/* octets of a record handed on */
#define DMARC_SPF_TEXT_MAX	512	/* octets kept of a comment */
#define DMARC_SPF_COMPILED_MAX	384	/* of libspf2's 511 for one term */

struct dmarc_spf;

struct dmarc_spf_outcome {
	int result;				/* enum dmarc_spf_result */
	char domain[MK_DNS_NAME_MAX + 1];	/* whose policy was checked */
	char comment[DMARC_SPF_TEXT_MAX];
	char explanation[DMARC_SPF_TEXT_MAX];
	char received_spf[2 * DMARC_SPF_TEXT_MAX];
	unsigned lookups;			/* DNS lookups made */
	unsigned voids;				/* of which void */
};

int dmarc_spf_new(struct mk_dns *dns, const char *receiver,
    struct dmarc_spf **out, char *err, size_t errlen);
void dmarc_spf_free(struct dmarc_spf *spf);
int dmarc_spf_check(struct dmarc_spf *spf, const char *ip, const char *sender,
    const char *helo, struct dmarc_spf_outcome *out);
const char *dmarc_spf_result_name(int result);
int dmarc_spf_record_ok(const char *text, size_t len);
int dmarc_spf_record_prepare(char *txt, const char **why);

#endif
