/*
 * NAME
 *	strbuf.c - growing NUL-terminated strings (mk_strbuf.h)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "mk_mem.h"
#include "mk_strbuf.h"

void
mk_strbuf_add(struct mk_strbuf *b, const char *s, size_t n)
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
mk_strbuf_str(struct mk_strbuf *b, const char *s)
{
	mk_strbuf_add(b, s, strlen(s));
}

void
mk_strbuf_ch(struct mk_strbuf *b, char c)
{
	mk_strbuf_add(b, &c, 1);
}

char *
mk_strbuf_take(struct mk_strbuf *b)
{
	char *p = b->p ? b->p : mk_strdup("");

	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void
mk_strbuf_free(struct mk_strbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
