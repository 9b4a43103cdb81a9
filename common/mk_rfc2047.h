/*
 * NAME
 *	mk_rfc2047 - UTF-8 validation and RFC 2047 encoded-words
 * SYNOPSIS
 *	#include "mk_rfc2047.h"
 *
 *	int	mk_rfc2047_has_8bit(const char *s, size_t n);
 *	int	mk_rfc2047_utf8_valid(const char *s, size_t n);
 *	void	mk_rfc2047_words(struct mk_strbuf *b, const char *s, size_t n);
 *	void	mk_rfc2047_unstructured(struct mk_strbuf *b, const char *v);
 *	int	mk_rfc2047_addrlist(struct mk_strbuf *b, const char *v);
 * DESCRIPTION
 *	See rfc2047.c.
 */
#ifndef MK_RFC2047_H
#define MK_RFC2047_H

#include <stddef.h>

#include "mk_strbuf.h"

int mk_rfc2047_has_8bit(const char *s, size_t n);
int mk_rfc2047_utf8_valid(const char *s, size_t n);
void mk_rfc2047_words(struct mk_strbuf *b, const char *s, size_t n);
void mk_rfc2047_unstructured(struct mk_strbuf *b, const char *v);
int mk_rfc2047_addrlist(struct mk_strbuf *b, const char *v);

#endif
