/*
 * NAME
 *	expand.c - template expansion for the header logic
 * SYNOPSIS
 *	void	hdr_expand(struct mk_strbuf *b, const char *tpl,
 *			const char *const vars[26]);
 * DESCRIPTION
 *	hdr_expand() appends tpl with "%%" made '%' and "%x" made vars[x-'a']
 *	(NULL: nothing). The template's syntax was checked with the
 *	configuration; a '%' before anything else is copied as it is.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "headers_priv.h"

void
hdr_expand(struct mk_strbuf *b, const char *tpl, const char *const vars[26])
{
	for (const char *p = tpl; *p != '\0'; p++) {
		if (*p == '%' && p[1] == '%') {
			mk_strbuf_ch(b, '%');
			p++;
		} else if (*p == '%' && p[1] >= 'a' && p[1] <= 'z') {
			if (vars[p[1] - 'a'] != NULL)
				mk_strbuf_str(b, vars[p[1] - 'a']);
			p++;
		} else {
			mk_strbuf_ch(b, *p);
		}
	}
}
