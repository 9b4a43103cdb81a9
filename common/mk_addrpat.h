/*
 * NAME
 *	mk_addrpat - lists of address patterns (exemptions)
 * SYNOPSIS
 *	#include "mk_addrpat.h"
 *
 *	int	mk_addrpat_list_parse(const char *text,
 *			struct mk_addrpat_list *out, char *err, size_t errlen);
 *	int	mk_addrpat_list_check(const char *text, char *err,
 *			size_t errlen);
 *	int	mk_addrpat_list_match(const struct mk_addrpat_list *list,
 *			const char *norm);
 *	void	mk_addrpat_list_free(struct mk_addrpat_list *list);
 * DESCRIPTION
 *	A list is written "postmaster@, abuse@, ops@example.com, @example.net":
 *	items separated by commas or blanks. "local@" matches that local part
 *	in any domain; "@domain" every address of the domain (not of its
 *	subdomains); "local@domain" one address. Domains are normalized as in
 *	mk_addr (IDNA, lower case) and addresses with mk_addr's defaults.
 *	Matching ignores ASCII case, so an exemption holds whatever the
 *	store's local_part setting. At most MK_ADDRPAT_MAX items.
 *
 *	mk_addrpat_list_parse() fills out (empty text gives an empty list);
 *	0, or -1 with a message naming the bad item. mk_addrpat_list_check()
 *	only validates. mk_addrpat_list_match() tells whether norm, a
 *	normalized "local@domain", matches an item. mk_addrpat_list_free()
 *	releases the list.
 */
#ifndef MK_ADDRPAT_H
#define MK_ADDRPAT_H

#include <stddef.h>

#define MK_ADDRPAT_MAX 1024

enum { MK_ADDRPAT_LOCAL, MK_ADDRPAT_DOMAIN, MK_ADDRPAT_ADDRESS };

struct mk_addrpat {
	int kind;
	char *text;		/* local part, domain or address, normalized */
};

struct mk_addrpat_list {
	struct mk_addrpat *v;
	size_t n;
};

int mk_addrpat_list_parse(const char *text, struct mk_addrpat_list *out,
    char *err, size_t errlen);
int mk_addrpat_list_check(const char *text, char *err, size_t errlen);
int mk_addrpat_list_match(const struct mk_addrpat_list *list, const char *norm);
void mk_addrpat_list_free(struct mk_addrpat_list *list);

#endif
