/*
 * NAME
 *	mk_addr - RFC 5321 mailbox parsing and the store's normalization
 * SYNOPSIS
 *	#include "mk_addr.h"
 *
 *	int	mk_addr_parse(const char *in, size_t len,
 *			const struct mk_addr_opts *opts, struct mk_addr *out);
 *	int	mk_addr_domain(const char *in, size_t len, char *out,
 *			size_t outlen);
 *	const char *mk_addr_strerror(int code);
 *	const char *mk_addr_ldh_problem(const char *s, size_t n);
 * DESCRIPTION
 *	mk_addr_parse() parses one envelope address as an MTA hands it to a
 *	milter or as an operator types it: with or without angle brackets,
 *	with an optional (ignored) source route "@a,@b:", a dot-atom or
 *	quoted-string local part, and a domain that is a host name (ASCII or
 *	UTF-8 U-labels) or an address literal ("[192.0.2.1]", "[IPv6:...]").
 *	UTF-8 is accepted in the local part (SMTPUTF8, RFC 6531) and in the
 *	domain. The null path "<>" is MK_ADDR_ENULL.
 *
 *	Normalization (one function for both insert and lookup):
 *	- the domain is lower-cased and converted to its ASCII form (IDNA2008
 *	  with transitional fallback, libidn2); a trailing dot is dropped;
 *	- the local part is folded to lower case (ASCII letters only; UTF-8
 *	  bytes are kept) unless opts->exact_local;
 *	- with opts->strip_subaddress, everything from the first
 *	  opts->subaddress_delim onward is removed from the local part (an
 *	  address whose local part would become empty keeps its tag);
 *	- a quoted local part whose content is a valid dot-atom is written
 *	  unquoted ("a.b"@x = a.b@x); otherwise it stays quoted, with only
 *	  '"' and '\\' escaped.
 *	out->norm is "local@domain" in that form; out->local and out->domain
 *	are its two parts; out->utf8 tells whether the local part carries
 *	non-ASCII bytes. opts may be NULL for the defaults (fold, no strip).
 *
 *	mk_addr_domain() normalizes a bare domain (for "@domain" entries and
 *	scopes) the same way; a leading '@' is accepted and dropped.
 *
 *	All functions return 0 or a negative MK_ADDR_E* code; nothing that
 *	fails to parse is ever passed through.
 */
#ifndef MK_ADDR_H
#define MK_ADDR_H

#include <stddef.h>

#define MK_ADDR_LOCAL_MAX 64	/* RFC 5321 4.5.3.1.1, octets */
#define MK_ADDR_DOMAIN_MAX 253	/* presentation form without root dot */
#define MK_ADDR_MAX 254		/* whole mailbox, octets (path 256 - <>) */

enum {
	MK_ADDR_OK = 0,
	MK_ADDR_ETOOLONG = -1,	/* over MK_ADDR_MAX, local or domain limits */
	MK_ADDR_EEMPTY = -2,	/* empty input */
	MK_ADDR_ENULL = -3,	/* the null path <> */
	MK_ADDR_ENOAT = -4,	/* no '@' */
	MK_ADDR_EEMPTYLOCAL = -5,	/* "@domain" or "\"\"@domain" */
	MK_ADDR_EQUOTE = -6,	/* unbalanced quote or bad escape */
	MK_ADDR_ECTRL = -7,	/* control character, NUL or DEL */
	MK_ADDR_ELOCAL = -8,	/* local part syntax */
	MK_ADDR_EDOMAIN = -9,	/* domain syntax */
	MK_ADDR_EIDN = -10,	/* domain not valid IDNA */
	MK_ADDR_EBRACKET = -11,	/* unbalanced angle brackets */
	MK_ADDR_EUTF8 = -12	/* invalid UTF-8 */
};

struct mk_addr_opts {
	int exact_local;	/* keep local part case */
	int strip_subaddress;	/* remove +tag */
	char subaddress_delim;	/* '+' when 0 */
};

struct mk_addr {
	char local[MK_ADDR_LOCAL_MAX * 2 + 3];	/* quoted form may grow */
	char domain[MK_ADDR_DOMAIN_MAX + 1];
	char norm[MK_ADDR_MAX * 2 + 4];
	int utf8;
};

int mk_addr_parse(const char *in, size_t len, const struct mk_addr_opts *opts,
    struct mk_addr *out);
int mk_addr_domain(const char *in, size_t len, char *out, size_t outlen);
const char *mk_addr_strerror(int code);
/* ldh.c: why s is not a host name of LDH labels, or NULL. */
const char *mk_addr_ldh_problem(const char *s, size_t n);

#endif
