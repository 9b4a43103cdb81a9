/*
 * NAME
 *	mk_addrlist - RFC 5322 address lists (From, To, Cc, Reply-To...)
 * SYNOPSIS
 *	#include "mk_addrlist.h"
 *
 *	int	mk_addrlist_parse(const char *v, struct mk_alist *out);
 *	void	mk_addrlist_phrase(const char *v, size_t start, size_t end,
 *			struct mk_strbuf *out);
 * DESCRIPTION
 *	See addrlist.c. Shared by the header filter and whatever needs the
 *	From domain (DMARC) or the mailboxes of a field (ingestion).
 */
#ifndef MK_ADDRLIST_H
#define MK_ADDRLIST_H

#include <stddef.h>

#include "mk_strbuf.h"

#define MK_ALIST_DOMAIN_MAX 254		/* with NUL */
#define MK_ALIST_PHRASES_MAX 64

/* What mk_addrlist_parse() found in a field value. */
struct mk_alist {
	size_t mailboxes;
	size_t groups;
	char first_domain[MK_ALIST_DOMAIN_MAX]; /* as written; "" for a literal */
	int addr8;			/* 8-bit in a local part or domain */
	int comment8;			/* 8-bit in a comment */
	int phrase_comment8;		/* an 8-bit phrase holds a comment */
	size_t nphrase;			/* 8-bit phrases (display names) */
	struct { size_t start, end; } phrase[MK_ALIST_PHRASES_MAX];
	int too_many;			/* more 8-bit phrases than fit */
};

int mk_addrlist_parse(const char *v, struct mk_alist *out);
void mk_addrlist_phrase(const char *v, size_t start, size_t end,
    struct mk_strbuf *out);

#endif
