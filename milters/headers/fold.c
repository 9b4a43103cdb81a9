/*
 * NAME
 *	fold.c - header line lengths and folding
 * SYNOPSIS
 *	size_t	hdr_line_max(const char *name, const char *v);
 *	int	hdr_fold(const char *name, const char *v, struct hdr_buf *out);
 *	void	hdr_lf(struct hdr_buf *out, const char *v);
 * DESCRIPTION
 *	A field "name:value" is written as lines split at the folds of the
 *	value ("\r\n" or "\n" before a blank). hdr_line_max() gives the
 *	length in octets of its longest line, without the line end; the
 *	first line counts "name:".
 *
 *	hdr_fold() appends to out the value with its folds written "\n"
 *	(the milter protocol's form) and a fold added before a blank wherever a line
 *	would be longer than 998 octets: each long line is cut at the last
 *	blank that leaves at most 998 octets and something other than blanks
 *	before it; when only the blank after "name:" fits, the value becomes
 *	" " fold, so that it still starts with a blank. Returns 0, or -1 when some line has no such blank (a
 *	token longer than a line): out is then unspecified.
 *	hdr_lf() appends v with its "\r\n" folds written "\n".
 */
#include "config.h"

#include <string.h>

#include "headers_priv.h"

size_t
hdr_line_max(const char *name, const char *v)
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
hdr_lf(struct hdr_buf *out, const char *v)
{
	for (; *v != '\0'; v++)
		if (!(*v == '\r' && v[1] == '\n'))
			hdr_buf_ch(out, *v);
}

/* Folds one line s[0..n) that starts at column col; 0 or -1. */
static int
fold_line(const char *s, size_t n, size_t col, int first, struct hdr_buf *out)
{
	if (col > HDR_LINE_MAX)
		return -1;		/* the name alone is too long */
	while (col + n > HDR_LINE_MAX) {
		size_t k, cut = 0, room = HDR_LINE_MAX - col;
		int text = first;	/* "name:" is text before the value */

		for (k = 0; k < n && k <= room; k++) {
			if ((s[k] == ' ' || s[k] == '\t') && text && k > 0)
				cut = k;
			else if (s[k] == ' ' || s[k] == '\t')
				;
			else
				text = 1;
		}
		if (cut == 0 && !(first && col < HDR_LINE_MAX && n > 0 &&
		    (s[0] == ' ' || s[0] == '\t')))
			return -1;
		if (cut == 0)		/* "name: " then the value's first word */
			hdr_buf_ch(out, ' ');
		hdr_buf_add(out, s, cut);
		hdr_buf_ch(out, '\n');
		s += cut;
		n -= cut;
		col = 0;
		first = 0;
	}
	hdr_buf_add(out, s, n);
	return 0;
}

int
hdr_fold(const char *name, const char *v, struct hdr_buf *out)
{
	struct hdr_buf lf = { NULL, 0, 0 };
	const char *s, *nl;
	size_t col = strlen(name) + 1;
	int first = 1, rc = 0;

	hdr_lf(&lf, v);
	hdr_buf_add(out, "", 0);
	for (s = lf.p ? lf.p : ""; rc == 0; s = nl + 1) {
		nl = strchr(s, '\n');
		rc = fold_line(s, nl ? (size_t)(nl - s) : strlen(s), col, first,
		    out);
		if (nl == NULL)
			break;
		if (rc == 0)
			hdr_buf_ch(out, '\n');
		col = 0;
		first = 0;
	}
	hdr_buf_free(&lf);
	return rc;
}
