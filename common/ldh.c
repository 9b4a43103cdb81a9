/*
 * NAME
 *	ldh.c - is a name a host name of letters, digits and hyphens
 * SYNOPSIS
 *	const char *mk_addr_ldh_problem(const char *s, size_t n);
 * DESCRIPTION
 *	For names an operator writes into tables and templates (signing
 *	table domains, bounce domains), where IDNA forms are wanted in their
 *	ASCII spelling: returns why the n octets at s are not a domain name
 *	of LDH labels (RFC 1123: 1 to 63 octets, no leading or trailing
 *	hyphen; at most MK_ADDR_DOMAIN_MAX octets), as a phrase that follows
 *	the name in a message ("has an empty label"), or NULL when they are.
 */
#include "config.h"

#include <stddef.h>

#include "mk_addr.h"

#define LDH_LABEL_MAX 63

const char *
mk_addr_ldh_problem(const char *s, size_t n)
{
	size_t label = 0;

	if (n == 0)
		return "empty";
	if (n > MK_ADDR_DOMAIN_MAX)
		return "longer than 253 octets";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return "has an empty label";
			if (s[i - 1] == '-')
				return "has a label ending with '-'";
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return "has a character other than letters, digits,"
			    " '-' and '.'";
		if (c == '-' && label == 0)
			return "has a label starting with '-'";
		if (++label > LDH_LABEL_MAX)
			return "has a label longer than 63 octets";
	}
	if (label == 0)
		return "has an empty label";
	if (s[n - 1] == '-')
		return "has a label ending with '-'";
	return NULL;
}
