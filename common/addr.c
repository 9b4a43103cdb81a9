/*
 * NAME
 *	addr.c - RFC 5321 mailbox parsing and normalization (see mk_addr.h)
 * SYNOPSIS
 *	#include "mk_addr.h"
 *
 *	int	mk_addr_parse(const char *in, size_t len,
 *			const struct mk_addr_opts *opts, struct mk_addr *out);
 *	int	mk_addr_domain(const char *in, size_t len, char *out,
 *			size_t outlen);
 *	const char *mk_addr_strerror(int code);
 * DESCRIPTION
 *	One normalization for both sides of the suppression store: what is
 *	inserted and what is looked up at RCPT go through mk_addr_parse().
 *
 *	The common case (an ASCII address with an ASCII host name) is a few
 *	linear scans over at most MK_ADDR_MAX + 2 bytes into the caller's
 *	struct: no allocation, no libidn2 call. libidn2 is only called for a
 *	domain with UTF-8 bytes or with an "xn--" label (to check it is a
 *	real A-label), both with IDNA2008 non-transitional processing first
 *	and transitional processing as the fallback.
 *
 *	The local part is reduced to its content (quotes and escapes removed),
 *	folded, stripped of its subaddress, and written back in its shortest
 *	form: unquoted when the content is a dot-atom, else quoted with only
 *	'"' and '\\' escaped. The written form is never longer than the input
 *	form, so the result always parses again to itself.
 *
 *	Subaddress stripping is skipped when it would leave an empty local
 *	part ("+only") or one ending in a dot ("a.+tag"), so that a dot-atom
 *	stays a dot-atom.
 * DIAGNOSTICS
 *	0 or a negative MK_ADDR_E* code; mk_addr_strerror() explains each.
 *	On error the strings of *out are empty.
 * SEE ALSO
 *	RFC 5321 (4.1.2, 4.5.3.1), RFC 6531, RFC 5890-5891, UTS #46.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>

#include "mk_addr.h"

/* Byte classes. */
#define C_ATEXT	0x01		/* RFC 5322 atext, ASCII */
#define C_LDH	0x02		/* letter, digit, hyphen */
#define C_CTRL	0x04		/* < 0x20 and DEL */
#define C_HIGH	0x08		/* non-ASCII (UTF-8) byte */

static const unsigned char addr_cls[256] = {
	[0x00 ... 0x1f] = C_CTRL,
	[0x7f] = C_CTRL,
	[0x80 ... 0xff] = C_HIGH,
	['a' ... 'z'] = C_ATEXT | C_LDH,
	['A' ... 'Z'] = C_ATEXT | C_LDH,
	['0' ... '9'] = C_ATEXT | C_LDH,
	['-'] = C_ATEXT | C_LDH,
	['!'] = C_ATEXT, ['#'] = C_ATEXT, ['$'] = C_ATEXT, ['%'] = C_ATEXT,
	['&'] = C_ATEXT, ['\''] = C_ATEXT, ['*'] = C_ATEXT, ['+'] = C_ATEXT,
	['/'] = C_ATEXT, ['='] = C_ATEXT, ['?'] = C_ATEXT, ['^'] = C_ATEXT,
	['_'] = C_ATEXT, ['`'] = C_ATEXT, ['{'] = C_ATEXT, ['|'] = C_ATEXT,
	['}'] = C_ATEXT, ['~'] = C_ATEXT,
};

#define CLS(c)	(addr_cls[(unsigned char)(c)])
#define LOWER(c) ((c) >= 'A' && (c) <= 'Z' ? (char)((c) + 32) : (c))

/* Longest label of a host name, octets. */
#define ADDR_LABEL_MAX 63

/* Scan for control bytes; tell whether any byte is non-ASCII. */
static int
addr_scan(const char *s, size_t n, int *high)
{
	unsigned char acc = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = CLS(s[i]);

		if (c & C_CTRL)
			return MK_ADDR_ECTRL;
		acc |= c;
	}
	*high = (acc & C_HIGH) != 0;
	return 0;
}

/* Strict UTF-8 (RFC 3629): no overlongs, surrogates or values > U+10FFFF. */
static int
addr_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *) str;
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		unsigned char lo = 0x80, hi = 0xbf;
		size_t k, more;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			more = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			more = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			more = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else
			return 0;
		if (n - i - 1 < more)
			return 0;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (k = 2; k <= more; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return 0;
		i += more + 1;
	}
	return 1;
}

/*
 * Check an ASCII host name (no trailing dot) as LDH labels and write it
 * lower-cased to out (at least MK_ADDR_DOMAIN_MAX + 1 bytes). *alabel is
 * set when some label starts with "xn--".
 */
static int
addr_ldh(const char *d, size_t n, char *out, int *alabel)
{
	size_t i, start = 0;

	*alabel = 0;
	if (n == 0)
		return MK_ADDR_EDOMAIN;
	if (n > MK_ADDR_DOMAIN_MAX)
		return MK_ADDR_ETOOLONG;
	for (i = 0; i <= n; i++) {
		char c = i < n ? d[i] : '.';

		if (c == '.') {
			size_t ll = i - start;

			if (ll == 0)
				return MK_ADDR_EDOMAIN;
			if (ll > ADDR_LABEL_MAX)
				return MK_ADDR_ETOOLONG;
			if (d[start] == '-' || d[i - 1] == '-')
				return MK_ADDR_EDOMAIN;
			if (ll >= 4 && (d[start] | 0x20) == 'x' &&
			    (d[start + 1] | 0x20) == 'n' &&
			    d[start + 2] == '-' && d[start + 3] == '-')
				*alabel = 1;
			start = i + 1;
			if (i < n)
				out[i] = '.';
			continue;
		}
		if (!(CLS(c) & C_LDH))
			return MK_ADDR_EDOMAIN;
		out[i] = LOWER(c);
	}
	out[n] = 0;
	return 0;
}

/*
 * Run a NUL-terminated domain through libidn2 (non-transitional, then
 * transitional) and check the ASCII result as LDH into out.
 */
static int
addr_idna(const char *in, char *out)
{
	uint8_t *res = NULL;
	int alabel, rc;

	rc = idn2_lookup_u8((const uint8_t *) in, &res, IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK) {
		free(res);
		res = NULL;
		rc = idn2_lookup_u8((const uint8_t *) in, &res,
		    IDN2_TRANSITIONAL);
	}
	if (rc != IDN2_OK || res == NULL) {
		free(res);
		return MK_ADDR_EIDN;
	}
	rc = addr_ldh((const char *) res, strlen((const char *) res), out,
	    &alabel);
	idn2_free(res);
	return rc;
}

/* Validate an address literal and write it lower-cased. */
static int
addr_literal(const char *d, size_t n, char *out)
{
	char buf[INET6_ADDRSTRLEN + 8];
	unsigned char bin[sizeof(struct in6_addr)];
	const char *ip = d + 1;
	size_t iplen = n - 2, i;
	int af = AF_INET;

	if (n < 3 || d[n - 1] != ']')
		return MK_ADDR_EDOMAIN;
	if (iplen > 5 && strncasecmp(ip, "IPv6:", 5) == 0) {
		af = AF_INET6;
		ip += 5;
		iplen -= 5;
	}
	if (iplen == 0 || iplen >= sizeof(buf))
		return MK_ADDR_EDOMAIN;
	memcpy(buf, ip, iplen);
	buf[iplen] = 0;
	if (inet_pton(af, buf, bin) != 1)
		return MK_ADDR_EDOMAIN;
	for (i = 0; i < n; i++)
		out[i] = LOWER(d[i]);
	out[n] = 0;
	return 0;
}

/*
 * Normalize a domain (no leading '@', no control bytes, valid UTF-8) into
 * out, which holds MK_ADDR_DOMAIN_MAX + 1 bytes.
 */
static int
addr_domain_norm(const char *d, size_t n, int high, char *out)
{
	char buf[MK_ADDR_MAX + 2];
	size_t i;
	int alabel, rc;

	if (n > 0 && d[0] == '[')
		return n > MK_ADDR_DOMAIN_MAX ? MK_ADDR_ETOOLONG :
		    addr_literal(d, n, out);
	if (n > 0 && d[n - 1] == '.')
		n--;
	if (n == 0)
		return MK_ADDR_EDOMAIN;
	if (!high) {
		if ((rc = addr_ldh(d, n, out, &alabel)) != 0 || !alabel)
			return rc;
		memcpy(buf, out, n + 1);
		return addr_idna(buf, out);
	}
	if (n >= sizeof(buf))
		return MK_ADDR_ETOOLONG;
	/* Host name syntax first: libidn2 lets through what DNS does not. */
	for (i = 0; i < n; i++) {
		char c = d[i];

		if (c == '.') {
			if (i == 0 || d[i - 1] == '.' || i + 1 == n)
				return MK_ADDR_EDOMAIN;
		} else if (!(CLS(c) & (C_LDH | C_HIGH)))
			return MK_ADDR_EDOMAIN;
	}
	memcpy(buf, d, n);
	buf[n] = 0;
	return addr_idna(buf, out);
}

/*
 * Skip a source route "@a,@b:" at the start of s; *skip gets its length
 * (0 when there is none). The route is checked for shape only.
 */
static int
addr_route(const char *s, size_t n, size_t *skip)
{
	size_t i, end = 0, start;
	int inlit = 0;

	*skip = 0;
	if (n == 0 || s[0] != '@')
		return 0;
	for (i = 0; i < n && end == 0; i++) {
		if (s[i] == '[')
			inlit = 1;
		else if (s[i] == ']')
			inlit = 0;
		else if (s[i] == ':' && !inlit)
			end = i;
	}
	if (end == 0)
		return MK_ADDR_EEMPTYLOCAL;	/* "@domain" */
	for (start = 0; start < end; start = i + 1) {
		if (s[start] != '@' || start + 1 >= end ||
		    s[start + 1] == ',')
			return MK_ADDR_EDOMAIN;
		for (i = start + 1; i < end && s[i] != ','; i++)
			if (!(CLS(s[i]) & (C_LDH | C_HIGH)) &&
			    strchr(".[]:", s[i]) == NULL)
				return MK_ADDR_EDOMAIN;
	}
	*skip = end + 1;
	return 0;
}

/* Is s[0..n) a dot-atom (atext or UTF-8, dots only between atoms)? */
static int
addr_dot_atom(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i - 1] == '.')
				return 0;
		} else if (!(CLS(s[i]) & (C_ATEXT | C_HIGH)))
			return 0;
	}
	return 1;
}

/*
 * Read the local part at the start of s up to its '@'. Its content
 * (unquoted, unescaped) goes to buf (MK_ADDR_LOCAL_MAX bytes); *used gets
 * the octets consumed including the '@'.
 */
static int
addr_local_read(const char *s, size_t n, char *buf, size_t *blen,
    size_t *used)
{
	size_t i, k = 0;

	if (n > 0 && s[0] == '"') {
		for (i = 1; i < n && s[i] != '"'; i++) {
			if (s[i] == '\\' && ++i == n)
				break;
			if (k < MK_ADDR_LOCAL_MAX)
				buf[k] = s[i];
			k++;
		}
		if (i >= n)
			return MK_ADDR_EQUOTE;
		if (++i == n)
			return MK_ADDR_ENOAT;
		if (s[i] != '@')
			return s[i] == '"' ? MK_ADDR_EQUOTE : MK_ADDR_ELOCAL;
		if (k == 0)
			return MK_ADDR_EEMPTYLOCAL;
	} else {
		for (i = 0; i < n && s[i] != '@'; i++) {
			char c = s[i];

			if (c == '"')
				return MK_ADDR_EQUOTE;
			if (c == '<' || c == '>')
				return MK_ADDR_EBRACKET;
			if (c != '.' && !(CLS(c) & (C_ATEXT | C_HIGH)))
				return MK_ADDR_ELOCAL;
			if (k < MK_ADDR_LOCAL_MAX)
				buf[k] = c;
			k++;
		}
		if (i == n)
			return MK_ADDR_ENOAT;
		if (i == 0)
			return MK_ADDR_EEMPTYLOCAL;
		if (!addr_dot_atom(s, i))
			return MK_ADDR_ELOCAL;
	}
	if (i > MK_ADDR_LOCAL_MAX)
		return MK_ADDR_ETOOLONG;
	*blen = k;
	*used = i + 1;
	return 0;
}

/* Fold, strip and write the local part content in its shortest form. */
static size_t
addr_local_write(char *buf, size_t n, const struct mk_addr_opts *opts,
    char *out)
{
	size_t i, k = 0;

	if (opts != NULL && opts->strip_subaddress) {
		char delim = opts->subaddress_delim ? opts->subaddress_delim :
		    '+';
		const char *p = memchr(buf, delim, n);

		if (p != NULL && p > buf && p[-1] != '.')
			n = (size_t) (p - buf);
	}
	if (opts == NULL || !opts->exact_local)
		for (i = 0; i < n; i++)
			buf[i] = LOWER(buf[i]);
	if (addr_dot_atom(buf, n)) {
		memcpy(out, buf, n);
		out[n] = 0;
		return n;
	}
	out[k++] = '"';
	for (i = 0; i < n; i++) {
		if (buf[i] == '"' || buf[i] == '\\')
			out[k++] = '\\';
		out[k++] = buf[i];
	}
	out[k++] = '"';
	out[k] = 0;
	return k;
}

/* Classify the domain part after the '@': stray '@', '<' or '>', UTF-8. */
static int
addr_domain_scan(const char *d, size_t n, int *high)
{
	size_t i;

	*high = 0;
	for (i = 0; i < n; i++) {
		if (d[i] == '<' || d[i] == '>')
			return MK_ADDR_EBRACKET;
		if (d[i] == '@')
			return MK_ADDR_EDOMAIN;
		if (CLS(d[i]) & C_HIGH)
			*high = 1;
	}
	return 0;
}

/* Strip the angle brackets; the null path is MK_ADDR_ENULL. */
static int
addr_brackets(const char **s, size_t *n)
{
	const char *p = *s;
	size_t len = *n;

	if (p[0] == '<') {
		if (len < 2 || p[len - 1] != '>')
			return MK_ADDR_EBRACKET;
		if (len == 2)
			return MK_ADDR_ENULL;
		*s = p + 1;
		*n = len - 2;
	} else if (p[len - 1] == '>')
		return MK_ADDR_EBRACKET;
	return 0;
}

int
mk_addr_parse(const char *in, size_t len, const struct mk_addr_opts *opts,
    struct mk_addr *out)
{
	char buf[MK_ADDR_LOCAL_MAX];
	size_t blen, used, skip, llen, dlen;
	int high, rc;

	out->local[0] = out->domain[0] = out->norm[0] = 0;
	out->utf8 = 0;
	if (in == NULL || len == 0)
		return MK_ADDR_EEMPTY;
	if (len > MK_ADDR_MAX + 2)
		return MK_ADDR_ETOOLONG;
	if ((rc = addr_scan(in, len, &high)) != 0 ||
	    (rc = addr_brackets(&in, &len)) != 0)
		return rc;
	if (len > MK_ADDR_MAX)
		return MK_ADDR_ETOOLONG;
	if (high && !addr_utf8_valid(in, len))
		return MK_ADDR_EUTF8;
	if ((rc = addr_route(in, len, &skip)) != 0)
		return rc;
	in += skip;
	len -= skip;
	if ((rc = addr_local_read(in, len, buf, &blen, &used)) != 0)
		return rc;
	in += used;
	len -= used;
	if ((rc = addr_domain_scan(in, len, &high)) != 0 ||
	    (rc = addr_domain_norm(in, len, high, out->domain)) != 0) {
		out->domain[0] = 0;
		return rc;
	}
	llen = addr_local_write(buf, blen, opts, out->local);
	dlen = strlen(out->domain);
	if (llen + 1 + dlen > MK_ADDR_MAX) {
		out->local[0] = out->domain[0] = 0;
		return MK_ADDR_ETOOLONG;
	}
	memcpy(out->norm, out->local, llen);
	out->norm[llen] = '@';
	memcpy(out->norm + llen + 1, out->domain, dlen + 1);
	for (used = 0; used < llen; used++)
		if (CLS(out->local[used]) & C_HIGH)
			out->utf8 = 1;
	return 0;
}

int
mk_addr_domain(const char *in, size_t len, char *out, size_t outlen)
{
	char dom[MK_ADDR_DOMAIN_MAX + 1];
	size_t n;
	int high, rc;

	if (out != NULL && outlen > 0)
		out[0] = 0;
	if (in != NULL && len > 0 && in[0] == '@') {
		in++;
		len--;
	}
	if (in == NULL || len == 0)
		return MK_ADDR_EEMPTY;
	if (len > MK_ADDR_MAX)
		return MK_ADDR_ETOOLONG;
	if ((rc = addr_scan(in, len, &high)) != 0)
		return rc;
	if (high && !addr_utf8_valid(in, len))
		return MK_ADDR_EUTF8;
	if ((rc = addr_domain_norm(in, len, high, dom)) != 0)
		return rc;
	n = strlen(dom);
	if (out == NULL || n >= outlen)
		return MK_ADDR_ETOOLONG;
	memcpy(out, dom, n + 1);
	return 0;
}

const char *
mk_addr_strerror(int code)
{
	switch (code) {
	case MK_ADDR_OK:
		return "success";
	case MK_ADDR_ETOOLONG:
		return "address too long (over 254 octets, local part over 64,"
		    " domain over 253 or a label over 63)";
	case MK_ADDR_EEMPTY:
		return "empty address";
	case MK_ADDR_ENULL:
		return "null sender <> is not a mailbox";
	case MK_ADDR_ENOAT:
		return "address has no '@'";
	case MK_ADDR_EEMPTYLOCAL:
		return "empty local part";
	case MK_ADDR_EQUOTE:
		return "unbalanced quote or bad escape in local part";
	case MK_ADDR_ECTRL:
		return "control character, NUL or DEL in address";
	case MK_ADDR_ELOCAL:
		return "invalid character or empty atom in local part";
	case MK_ADDR_EDOMAIN:
		return "invalid domain syntax";
	case MK_ADDR_EIDN:
		return "domain is not a valid internationalized domain name";
	case MK_ADDR_EBRACKET:
		return "unbalanced angle brackets";
	case MK_ADDR_EUTF8:
		return "invalid UTF-8 in address";
	default:
		return "unknown address error";
	}
}
