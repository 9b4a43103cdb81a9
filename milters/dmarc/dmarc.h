/*
 * NAME
 *	dmarc - DMARC records, Organizational Domains and alignment
 *	(RFC 7489), the plain logic of milterkit-dmarc
 * SYNOPSIS
 *	#include "dmarc.h"
 *
 *	int	dmarc_record_parse(const char *text, struct dmarc_record *rec,
 *			char *err, size_t errlen);
 *	int	dmarc_record_pick(const char *const *texts, size_t n,
 *			struct dmarc_record *rec, char *err, size_t errlen);
 *	const char *dmarc_policy_name(int policy);
 *
 *	int	dmarc_org_init(char *err, size_t errlen);
 *	int	dmarc_org_domain(const char *domain, char *out, size_t size);
 *	int	dmarc_aligned(const char *a, const char *b, int mode);
 * DESCRIPTION
 *	dmarc_record_parse() reads one DMARC record (our own parser: never
 *	libopendmarc's, whose DNS and report fetching are not to be used):
 *	"v=DMARC1" first, then "tag=value" pairs separated by ';' with
 *	optional blanks, tag names in any case. p (none, quarantine, reject)
 *	is required, but a record without a valid p and with a rua tag reads
 *	as p=none (RFC 7489 6.6.3); sp defaults to p, np (RFC 9091) to sp;
 *	adkim and aspf are r or s (default r), pct 0 to 100 (default 100),
 *	ri seconds (default 86400); rua, ruf and fo are kept as text (never
 *	fetched or sent to). A bad value of another tag is ignored (its
 *	default stays, RFC 7489 6.3), so is an unknown tag; a tag given twice
 *	makes the record invalid. Returns 0, or -1 with the reason in err:
 *	not a DMARC record (the caller skips it) sets rec->not_dmarc, an
 *	invalid one does not.
 *
 *	dmarc_record_pick() chooses among the TXT records of a _dmarc name
 *	(RFC 7489 6.6.3): texts not starting with "v=DMARC1" are discarded;
 *	exactly one must remain and parse. 1 with rec filled, 0 when there
 *	is no DMARC record (none at all, or more than one: err says which),
 *	-1 when the one record is invalid (err says why).
 *
 *	dmarc_org_init() loads the Public Suffix List once per process
 *	(libpsl: the newest of its built-in list and the system's file, with
 *	the private section, so that x.github.io is its own Organizational
 *	Domain); 0, or -1 with err. dmarc_org_domain() writes the
 *	Organizational Domain of domain (lower-cased, no final dot) in out:
 *	the public suffix and one more label; a public suffix itself, or a
 *	name under no rule, is its own. 0, or -1 when domain is not a valid
 *	name or does not fit. dmarc_aligned() says whether two domains align
 *	(mode DMARC_ALIGN_STRICT: the same name; DMARC_ALIGN_RELAXED: the
 *	same Organizational Domain), case-insensitively: 1 or 0.
 */
#ifndef DMARC_H
#define DMARC_H

#include <stddef.h>

enum { DMARC_POLICY_NONE = 0, DMARC_POLICY_QUARANTINE, DMARC_POLICY_REJECT };
enum { DMARC_ALIGN_RELAXED = 0, DMARC_ALIGN_STRICT };

#define DMARC_URI_MAX	512	/* octets kept of rua or ruf */
#define DMARC_DOMAIN_MAX 253

struct dmarc_record {
	int p, sp, np;			/* DMARC_POLICY_* */
	int p_from_rua;			/* p was absent or bad: none for rua */
	int adkim, aspf;		/* DMARC_ALIGN_* */
	int pct;			/* 0..100 */
	long ri;			/* seconds between aggregate reports */
	char rua[DMARC_URI_MAX];
	char ruf[DMARC_URI_MAX];
	char fo[16];
	int not_dmarc;			/* set by a failed parse: no v=DMARC1 */
};

int dmarc_record_parse(const char *text, struct dmarc_record *rec, char *err,
    size_t errlen);
int dmarc_record_pick(const char *const *texts, size_t n,
    struct dmarc_record *rec, char *err, size_t errlen);
const char *dmarc_policy_name(int policy);

int dmarc_org_init(char *err, size_t errlen);
int dmarc_org_domain(const char *domain, char *out, size_t size);
int dmarc_aligned(const char *a, const char *b, int mode);

#endif
