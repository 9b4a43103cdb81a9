/*
 * NAME
 *	mk_fold - header line lengths and folding
 * SYNOPSIS
 *	#include "mk_fold.h"
 *
 *	size_t	mk_fold_line_max(const char *name, const char *v);
 *	int	mk_fold(const char *name, const char *v, struct mk_strbuf *out);
 *	void	mk_fold_lf(struct mk_strbuf *out, const char *v);
 * DESCRIPTION
 *	See fold.c. MK_FOLD_LINE_MAX is RFC 5322's limit of a line.
 */
#ifndef MK_FOLD_H
#define MK_FOLD_H

#include <stddef.h>

#include "mk_strbuf.h"

#define MK_FOLD_LINE_MAX 998		/* RFC 5322 2.1.1, without CRLF */

size_t mk_fold_line_max(const char *name, const char *v);
int mk_fold(const char *name, const char *v, struct mk_strbuf *out);
void mk_fold_lf(struct mk_strbuf *out, const char *v);

#endif
