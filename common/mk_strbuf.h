/*
 * NAME
 *	mk_strbuf - growing strings, for the header parsers and writers
 * SYNOPSIS
 *	#include "mk_strbuf.h"
 *
 *	void	mk_strbuf_add(struct mk_strbuf *b, const char *s, size_t n);
 *	void	mk_strbuf_str(struct mk_strbuf *b, const char *s);
 *	void	mk_strbuf_ch(struct mk_strbuf *b, char c);
 *	char	*mk_strbuf_take(struct mk_strbuf *b);
 *	void	mk_strbuf_free(struct mk_strbuf *b);
 * DESCRIPTION
 *	A struct mk_strbuf starts zeroed and always holds a NUL-terminated
 *	string once anything was added (allocation never fails: mk_mem.h).
 *	mk_strbuf_take() hands the string to the caller, who frees it (an
 *	empty string when nothing was added), and resets b;
 *	mk_strbuf_free() drops it.
 */
#ifndef MK_STRBUF_H
#define MK_STRBUF_H

#include <stddef.h>

struct mk_strbuf {
	char *p;
	size_t len;
	size_t cap;
};

void mk_strbuf_add(struct mk_strbuf *b, const char *s, size_t n);
void mk_strbuf_str(struct mk_strbuf *b, const char *s);
void mk_strbuf_ch(struct mk_strbuf *b, char c);
char *mk_strbuf_take(struct mk_strbuf *b);
void mk_strbuf_free(struct mk_strbuf *b);

#endif
