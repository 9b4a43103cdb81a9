/*
 * NAME
 *	fold.c - header line lengths and folding
 * SYNOPSIS
 *	size_t	mk_fold_line_max(const char *name, const char *v);
 *	int	mk_fold(const char *name, const char *v, struct mk_strbuf *out);
 *	void	mk_fold_lf(struct mk_strbuf *out, const char *v);
 * DESCRIPTION
 *	A field "name:value" is written as lines split at the folds of the
 *	value ("\r\n" or "\n" before a blank). mk_fold_line_max() gives the
 *	length in octets of its longest line, without the line end; the
 *	first line counts "name:".
 *
 *	mk_fold() appends to out the value with its folds written "\n"
 *	(the milter protocol's form) and a fold added before a blank wherever a line
 *	would be longer than 998 octets: each long line is cut at the last
 *	blank that leaves at most 998 octets and something other than blanks
 *	before it; when only the blank after "name:" fits, the value becomes
 *	" " fold, so that it still starts with a blank. Returns 0, or -1 when some line has no such blank (a
 *	token longer than a line): out is then unspecified.
 *	mk_fold_lf() appends v with its "\r\n" folds written "\n".
 */
#include "config.h"

#include <string.h>

#include "mk_fold.h"

size_t
mk_fold_line_max(const char *name, const char *v)
{
	size_t max = 0, cur = strlen(name) + 1;

	for (; *v != '\0'; v++) {
		if (*v == '\n') {
			if (cur > max)
				max = cur;
			cur = 0;
		} else if (!(*v == '\r' && v[1] == '\n')) {
			cur++;
		}
	}
	return cur > max ? cur : max;
}

void
mk_fold_lf(struct mk_strbuf *out, const char *v)
{
	for (; *v != '\0'; v++)
		if (!(*v == '\r' && v[1] == '\n'))
			mk_strbuf_ch(out, *v);
}

/* Folds one line s[0..n) that starts at column col; 0 or -1. */
static int
fold_line(const char *s, size_t n, size_t col, int first, struct mk_strbuf *out)
{
	if (col > MK_FOLD_LINE_MAX)
		return -1;		/* the name alone is too long */
	while (col + n > MK_FOLD_LINE_MAX) {
		size_t k, cut = 0, room = MK_FOLD_LINE_MAX - col;
		int text = first;	/* "name:" is text before the value */

		for (k = 0; k < n && k <= room; k++) {
			if ((s[k] == ' ' || s[k] == '\t') && text && k > 0)
				cut = k;
			else if (s[k] == ' ' || s[k] == '\t')
				;
			else
				text = 1;
		}
		if (cut == 0 && !(first && col < MK_FOLD_LINE_MAX && n > 0 &&
		    (s[0] == ' ' || s[0] == '\t')))
			return -1;
		if (cut == 0)		/* "name: " then the value's first word */
			mk_strbuf_ch(out, ' ');
		mk_strbuf_add(out, s, cut);
		mk_strbuf_ch(out, '\n');
		s += cut;
		n -= cut;
		col = 0;
		first = 0;
	}
	mk_strbuf_add(out, s, n);
	return 0;
}

int
mk_fold(const char *name, const char *v, struct mk_strbuf *out)
{
	struct mk_strbuf lf = { NULL, 0, 0 };
	const char *s, *nl;
	size_t col = strlen(name) + 1;
	int first = 1, rc = 0;

	mk_fold_lf(&lf, v);
	mk_strbuf_add(out, "", 0);
	for (s = lf.p ? lf.p : ""; rc == 0; s = nl + 1) {
		nl = strchr(s, '\n');
		rc = fold_line(s, nl ? (size_t)(nl - s) : strlen(s), col, first,
		    out);
		if (nl == NULL)
			break;
		if (rc == 0)
			mk_strbuf_ch(out, '\n');
		col = 0;
		first = 0;
	}
	mk_strbuf_free(&lf);
	return rc;
}
