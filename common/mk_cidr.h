/*
 * NAME
 *	mk_cidr - lists of client networks
 * SYNOPSIS
 *	#include "mk_cidr.h"
 *
 *	int	mk_cidr_list_parse(const char *text, struct mk_cidr_list *out,
 *			char *err, size_t errlen);
 *	int	mk_cidr_list_check(const char *text, char *err, size_t errlen);
 *	int	mk_cidr_list_match(const struct mk_cidr_list *list,
 *			const char *addr);
 *	void	mk_cidr_list_free(struct mk_cidr_list *list);
 * DESCRIPTION
 *	A list is written "10.0.0.0/8, 192.0.2.1, 2001:db8::/32": networks
 *	separated by commas or blanks; an address without a prefix length is
 *	one host. Host bits set beyond the prefix are an error (a typo such
 *	as 10.1.0.0/8 is more likely than a wish). At most MK_CIDR_MAX
 *	networks.
 *
 *	mk_cidr_list_parse() fills out (empty text gives an empty list);
 *	0, or -1 with a message naming the bad item in err.
 *	mk_cidr_list_check() only validates (a configuration row's check).
 *	mk_cidr_list_match() tells whether addr, a textual IPv4 or IPv6
 *	address, is in a network of the list; an IPv4-mapped IPv6 address
 *	(::ffff:192.0.2.1) matches IPv4 networks. Anything that is not an
 *	address matches nothing. mk_cidr_list_free() releases the list.
 */
#ifndef MK_CIDR_H
#define MK_CIDR_H

#include <stddef.h>

#define MK_CIDR_MAX 1024

struct mk_cidr {
	unsigned char addr[16];	/* IPv4 in the first 4 bytes */
	unsigned char family;	/* 4 or 6 */
	unsigned char bits;	/* prefix length */
};

struct mk_cidr_list {
	struct mk_cidr *v;
	size_t n;
};

int mk_cidr_list_parse(const char *text, struct mk_cidr_list *out, char *err,
    size_t errlen);
int mk_cidr_list_check(const char *text, char *err, size_t errlen);
int mk_cidr_list_match(const struct mk_cidr_list *list, const char *addr);
void mk_cidr_list_free(struct mk_cidr_list *list);

#endif
