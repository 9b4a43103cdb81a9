/*
 * NAME
 *	buf.c - growing strings and template expansion for the header logic
 * SYNOPSIS
 *	void	hdr_buf_add(struct hdr_buf *b, const char *s, size_t n);
 *	void	hdr_buf_str(struct hdr_buf *b, const char *s);
 *	void	hdr_buf_ch(struct hdr_buf *b, char c);
 *	char	*hdr_buf_take(struct hdr_buf *b);
 *	void	hdr_buf_free(struct hdr_buf *b);
 *	void	hdr_expand(struct hdr_buf *b, const char *tpl,
 *			const char *const vars[26]);
 * DESCRIPTION
 *	A struct hdr_buf starts zeroed and always holds a NUL-terminated
 *	string once anything was added. hdr_buf_take() hands the string to
 *	the caller (an empty string when nothing was added) and resets b;
 *	hdr_buf_free() drops it.
 *
 *	hdr_expand() appends tpl with "%%" made '%' and "%x" made vars[x-'a']
 *	(NULL: nothing). The template's syntax was checked with the
 *	configuration; a '%' before anything else is copied as it is.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "headers_priv.h"
#include "mk_mem.h"

void
hdr_buf_add(struct hdr_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;

		while (cap < b->len + n + 1)
			cap *= 2;
		b->p = mk_realloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
hdr_buf_str(struct hdr_buf *b, const char *s)
{
	hdr_buf_add(b, s, strlen(s));
}

void
hdr_buf_ch(struct hdr_buf *b, char c)
{
	hdr_buf_add(b, &c, 1);
}

char *
hdr_buf_take(struct hdr_buf *b)
{
	char *p = b->p ? b->p : mk_strdup("");

	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void
hdr_buf_free(struct hdr_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void
hdr_expand(struct hdr_buf *b, const char *tpl, const char *const vars[26])
{
	for (const char *p = tpl; *p != '\0'; p++) {
		if (*p == '%' && p[1] == '%') {
			hdr_buf_ch(b, '%');
			p++;
		} else if (*p == '%' && p[1] >= 'a' && p[1] <= 'z') {
			if (vars[p[1] - 'a'] != NULL)
				hdr_buf_str(b, vars[p[1] - 'a']);
			p++;
		} else {
			hdr_buf_ch(b, *p);
		}
	}
}
