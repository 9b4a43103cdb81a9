/*
 * spf_record.c - SPF record texts before libspf2 sees them (see spf.h):
 * the bounds its compiler needs (CVE-2023-42118), and what RFC 7208 says
 * of modifiers that libspf2 does not do.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "spf.h"

/* A macro at t[i] (t[i] == '%'); its length, or 0 when malformed. */
static size_t
macro_len(const char *t, size_t len, size_t i)
{
	size_t j = i + 2, digits = 0;
	unsigned n = 0;

	if (i + 1 >= len)
		return 0;
	if (t[i + 1] == '%' || t[i + 1] == '_' || t[i + 1] == '-')
		return 2;
	if (t[i + 1] != '{' || j >= len ||
	    strchr("slodiphcrtvSLODIPHCRTV", t[j]) == NULL)
		return 0;
	for (j++; j < len && isdigit((unsigned char)t[j]); j++) {
		n = n * 10 + (unsigned)(t[j] - '0');
		if (++digits > 3)
			return 0;
	}
	if (digits > 0 && (n == 0 || n > 128))
		return 0;
	if (j < len && (t[j] == 'r' || t[j] == 'R'))
		j++;
	while (j < len && strchr(".-+,/_=", t[j]) != NULL && t[j] != '\0')
		j++;
	if (j >= len || t[j] != '}')
		return 0;
	return j + 1 - i;
}

/* Round n up to 8, libspf2's alignment of compiled blocks. */
#define ROUND8(n) (((n) + 7) / 8 * 8)

/*
 * What libspf2's compiler needs for t[0..n), a little more than it takes:
 * a CIDR block, each run of literal octets a 4-octet header and the
 * octets, each macro a 4-octet block, every block rounded up to 8. Its buffer for
 * one term or one explanation is SPF_MAX_MECH_LEN (511) octets, and the
 * flaw of CVE-2023-42118 needs a term that nearly fills it. The macros
 * were checked before (macro_len()).
 */
static size_t
compiled_size(const char *t, size_t n)
{
	size_t size = 8, lit = 0;

	for (size_t i = 0; i < n;) {
		if (t[i] == '%' && i + 1 < n && t[i + 1] == '{') {
			size += lit > 0 ? ROUND8(4 + lit) : 0;
			lit = 0;
			size += 8;
			while (i < n && t[i] != '}')
				i++;
			i++;
		} else if (t[i] == '%' && i + 1 < n) {
			lit += t[i + 1] == '-' ? 3 : 1;	/* "%20", or one */
			i += 2;
		} else {
			lit++;
			i++;
		}
	}
	return size + (lit > 0 ? ROUND8(4 + lit) : 0);
}

int
dmarc_spf_record_ok(const char *text, size_t len)
{
	int spf = len >= 6 && strncasecmp(text, "v=spf1", 6) == 0 &&
	    (len == 6 || text[6] == ' ');
	size_t term = 0;

	if (len > DMARC_SPF_RECORD_MAX)
		return 0;
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)text[i];
		size_t m;

		if (c == '%') {
			if ((m = macro_len(text, len, i)) == 0)
				return 0;
			i += m;
			continue;
		}
		if ((c < ' ' && c != '\t') || c >= 127)
			return 0;
		i++;
	}
	if (!spf)	/* an explanation: compiled whole, blanks as "%_" */
		return compiled_size(text, len) <= DMARC_SPF_COMPILED_MAX;
	for (size_t i = 0; i <= len; i++) {	/* each term of a record */
		if (i < len && text[i] != ' ')
			continue;
		if (compiled_size(text + term, i - term) > DMARC_SPF_COMPILED_MAX)
			return 0;
		term = i + 1;
	}
	return 1;
}

/* The modifier name of the term t[0..n) ("name=..."): its length, 0 for
 * a mechanism. RFC 7208 4.6.1: ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ). */
static size_t
modifier_name(const char *t, size_t n)
{
	size_t i = 1;

	if (n == 0 || !isalpha((unsigned char)t[0]))
		return 0;
	while (i < n && (isalnum((unsigned char)t[i]) || t[i] == '-' ||
	    t[i] == '_' || t[i] == '.'))
		i++;
	return i < n && t[i] == '=' ? i : 0;
}

int
dmarc_spf_record_prepare(char *txt, const char **why)
{
	size_t len = strlen(txt), w = 0, i = 0;
	int redirects = 0, exps = 0;

	if (!dmarc_spf_record_ok(txt, len)) {
		*why = "a malformed macro, an octet that is not printable "
		    "ASCII or too large a term";
		return -1;
	}
	while (i < len) {
		size_t s = i, n, m;

		while (i < len && txt[i] != ' ' && txt[i] != '\t')
			i++;
		n = i - s;
		while (i < len && (txt[i] == ' ' || txt[i] == '\t'))
			i++;
		m = s == 0 ? 0 : modifier_name(txt + s, n);	/* not v=spf1 */
		if (m == 8 && strncasecmp(txt + s, "redirect", 8) == 0)
			redirects++;
		else if (m == 3 && strncasecmp(txt + s, "exp", 3) == 0)
			exps++;
		else if (m > 0)
			continue;	/* unknown: ignored (RFC 7208 6) */
		if (w > 0)
			txt[w++] = ' ';
		memmove(txt + w, txt + s, n);
		w += n;
	}
	txt[w] = '\0';
	if (redirects > 1 || exps > 1) {
		*why = redirects > 1 ? "redirect= given more than once" :
		    "exp= given more than once";
		return -1;
	}
	return 0;
}
