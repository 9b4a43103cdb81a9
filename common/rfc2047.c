/*
 * NAME
 *	rfc2047.c - UTF-8 validation and RFC 2047 encoded-words
 * SYNOPSIS
 *	int	mk_rfc2047_has_8bit(const char *s, size_t n);
 *	int	mk_rfc2047_utf8_valid(const char *s, size_t n);
 *	void	mk_rfc2047_words(struct mk_strbuf *b, const char *s, size_t n);
 *	void	mk_rfc2047_unstructured(struct mk_strbuf *b, const char *v);
 *	int	mk_rfc2047_addrlist(struct mk_strbuf *b, const char *v);
 * DESCRIPTION
 *	mk_rfc2047_utf8_valid() accepts well-formed UTF-8 only: no overlong forms,
 *	no surrogates, nothing past U+10FFFF.
 *
 *	mk_rfc2047_words() appends the UTF-8 text s[0..n) as "=?UTF-8?B?...?="
 *	words of at most 75 octets, cut between characters, separated by a
 *	fold ("\n "), so that the encoded text never makes a long line.
 *
 *	mk_rfc2047_unstructured() appends a new value for an unstructured
 *	field (Subject, Comments, Content-Description): the words from the
 *	first to the last one holding 8-bit octets are unfolded and encoded,
 *	the ASCII words around them are kept as they were.
 *
 *	mk_rfc2047_addrlist() appends a new value for an address field where
 *	every display name (phrase before "<", group name) holding 8-bit
 *	octets is replaced by encoded-words; the rest is kept. It returns -1,
 *	appending nothing useful, when the 8-bit text is anywhere else (an
 *	address needs SMTPUTF8; comments are not rewritten) or the list does
 *	not parse.
 */
#include "config.h"

#include <string.h>

#include "mk_addrlist.h"
#include "mk_rfc2047.h"

#define EW_RAW_MAX 45			/* 60 base64 octets: 72 per word */

int
mk_rfc2047_has_8bit(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 1;
	return 0;
}

/* Length of the UTF-8 sequence at s (n octets left), 0 if malformed. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

int
mk_rfc2047_utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0, k; i < n; i += k)
		if ((k = utf8_seq(u + i, n - i)) == 0)
			return 0;
	return 1;
}

static void
base64(struct mk_strbuf *b, const unsigned char *s, size_t n)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		mk_strbuf_ch(b, a[(v >> 18) & 63]);
		mk_strbuf_ch(b, a[(v >> 12) & 63]);
		mk_strbuf_ch(b, i + 1 < n ? a[(v >> 6) & 63] : '=');
		mk_strbuf_ch(b, i + 2 < n ? a[v & 63] : '=');
	}
}

void
mk_rfc2047_words(struct mk_strbuf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		size_t end = i, k;

		while (end < n && (k = utf8_seq(u + end, n - end)) != 0 &&
		    end + k - i <= EW_RAW_MAX)
			end += k;
		if (end == i)		/* not UTF-8: callers checked; be safe */
			end = i + 1;
		if (i > 0)
			mk_strbuf_str(b, "\n ");
		mk_strbuf_str(b, "=?UTF-8?B?");
		base64(b, u + i, end - i);
		mk_strbuf_str(b, "?=");
		i = end;
	}
}

static int
blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

void
mk_rfc2047_unstructured(struct mk_strbuf *b, const char *v)
{
	size_t n = strlen(v), first = n, last = 0;
	struct mk_strbuf text = { NULL, 0, 0 };

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] >= 0x80) {
			if (first == n)
				first = i;
			last = i + 1;
		}
	if (first == n) {
		mk_strbuf_add(b, v, n);
		return;
	}
	while (first > 0 && !blank(v[first - 1]))
		first--;
	while (last < n && !blank(v[last]))
		last++;
	for (size_t i = first; i < last; i++)	/* unfold */
		if (v[i] != '\r' && v[i] != '\n')
			mk_strbuf_ch(&text, v[i]);
	mk_strbuf_add(b, v, first);
	mk_rfc2047_words(b, text.p, text.len);
	mk_strbuf_add(b, v + last, n - last);
	mk_strbuf_free(&text);
}

int
mk_rfc2047_addrlist(struct mk_strbuf *b, const char *v)
{
	struct mk_alist al;
	struct mk_strbuf text = { NULL, 0, 0 };
	size_t at = 0;

	if (mk_addrlist_parse(v, &al) != 0 || al.addr8 || al.comment8 ||
	    al.phrase_comment8 || al.too_many)
		return -1;
	for (size_t k = 0; k < al.nphrase; k++) {
		mk_strbuf_add(b, v + at, al.phrase[k].start - at);
		mk_addrlist_phrase(v, al.phrase[k].start, al.phrase[k].end, &text);
		mk_rfc2047_words(b, text.p ? text.p : "", text.len);
		mk_strbuf_free(&text);
		at = al.phrase[k].end;
	}
	mk_strbuf_str(b, v + at);
	/* 8-bit octets outside the phrases cannot be encoded. */
	return mk_rfc2047_has_8bit(b->p, b->len) ? -1 : 0;
}
