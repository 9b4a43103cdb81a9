/*
 * NAME
 *	canon - DKIM canonicalization of header fields and of the body, the
 *	body hashed with SHA-256 as it streams in (RFC 6376 3.4)
 * SYNOPSIS
 *	#include "dkim.h"
 *
 *	void	dkim_canon_header(enum dkim_canon c, const char *name,
 *			const char *value, struct mk_strbuf *out);
 *	struct dkim_body *dkim_body_new(enum dkim_canon c);
 *	void	dkim_body_update(struct dkim_body *b, const void *p,
 *			size_t n);
 *	void	dkim_body_final(struct dkim_body *b,
 *			unsigned char hash[DKIM_HASH_LEN]);
 *	void	dkim_body_free(struct dkim_body *b);
 * DESCRIPTION
 *	dkim_canon_header() appends one field canonicalized: simple keeps it
 *	as written ("name:value", every lone LF of a fold written CRLF, a
 *	final CRLF); relaxed lower-cases the name (ASCII), drops blanks
 *	before the colon, removes every CR and LF of the value (unfolding),
 *	turns each run of blanks (SP, HTAB) into one SP, drops blanks at both
 *	ends of the value and ends with CRLF.
 *
 *	The body is canonicalized on the fly by a small state machine: line
 *	ends (CRLF, or a lone LF) are counted and hashed as CRLFs only when
 *	something other than a line end follows, so trailing empty lines
 *	cost a counter, not memory; a CR at the end of a chunk waits for the
 *	next byte; relaxed blanks wait as one flag and become one SP when
 *	something follows them on their line. A CR not followed by LF is an
 *	ordinary byte. Output goes through a fixed buffer into SHA-256.
 *	dkim_body_final() closes the body (one CRLF after the last non-empty
 *	line; an empty body is one CRLF under simple, nothing under relaxed)
 *	and writes the hash; the object then serves only dkim_body_free().
 * DIAGNOSTICS
 *	OpenSSL failing to allocate or set up SHA-256 is a broken invariant:
 *	mk_panic().
 * SEE ALSO
 *	dkim.h, sign.c, RFC 6376 3.4.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dkim.h"
#include "mk_log.h"
#include "mk_mem.h"
#include "mk_strbuf.h"

#define DKIM_WSP(c)	((c) == ' ' || (c) == '\t')
#define DKIM_BODY_BUF	4096

struct dkim_body {
	EVP_MD_CTX *md;
	enum dkim_canon c;
	size_t nl;		/* line ends seen, not hashed yet */
	int cr;			/* the last byte seen was a CR */
	int wsp;		/* relaxed: blanks seen, not hashed yet */
	int any;		/* something other than line ends hashed */
	size_t n;		/* bytes in buf */
	unsigned char buf[DKIM_BODY_BUF];
};

void
dkim_canon_header(enum dkim_canon c, const char *name, const char *value,
    struct mk_strbuf *out)
{
	const char *p, *q;
	size_t len;
	int pend, started;

	if (c == DKIM_CANON_SIMPLE) {
		mk_strbuf_str(out, name);
		mk_strbuf_ch(out, ':');
		for (p = value; (q = strchr(p, '\n')) != NULL; p = q + 1) {
			mk_strbuf_add(out, p, (size_t)(q - p));
			if (q > value && q[-1] == '\r')
				mk_strbuf_ch(out, '\n');
			else
				mk_strbuf_add(out, "\r\n", 2);
		}
		mk_strbuf_str(out, p);
		mk_strbuf_add(out, "\r\n", 2);
		return;
	}
	len = strlen(name);
	while (len > 0 && DKIM_WSP(name[len - 1]))
		len--;
	for (size_t i = 0; i < len; i++) {
		char ch = name[i];

		mk_strbuf_ch(out, ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
	}
	mk_strbuf_ch(out, ':');
	pend = started = 0;
	for (p = value; *p != '\0'; p++) {
		if (*p == '\r' || *p == '\n')
			continue;
		if (DKIM_WSP(*p)) {
			pend = 1;
			continue;
		}
		if (pend && started)
			mk_strbuf_ch(out, ' ');
		pend = 0;
		started = 1;
		/* copy the run of ordinary bytes at once */
		for (q = p + 1; *q != '\0' && *q != '\r' && *q != '\n' &&
		    !DKIM_WSP(*q); q++)
			;
		mk_strbuf_add(out, p, (size_t)(q - p));
		p = q - 1;
	}
	mk_strbuf_add(out, "\r\n", 2);
}

struct dkim_body *
dkim_body_new(enum dkim_canon c)
{
	struct dkim_body *b = mk_calloc(1, sizeof(*b));

	b->c = c;
	if ((b->md = EVP_MD_CTX_new()) == NULL)
		mk_panic("dkim: EVP_MD_CTX_new failed");
	if (EVP_DigestInit_ex(b->md, EVP_sha256(), NULL) != 1)
		mk_panic("dkim: SHA-256 digest unavailable");
	return b;
}

/* Hashes what the buffer holds. */
static void
body_flush(struct dkim_body *b)
{
	if (b->n > 0 && EVP_DigestUpdate(b->md, b->buf, b->n) != 1)
		mk_panic("dkim: EVP_DigestUpdate failed");
	b->n = 0;
}

/* Appends canonical bytes to the hash input. */
static void
body_put(struct dkim_body *b, const void *p, size_t n)
{
	if (n > sizeof(b->buf) - b->n) {
		body_flush(b);
		if (n >= sizeof(b->buf)) {
			if (EVP_DigestUpdate(b->md, p, n) != 1)
				mk_panic("dkim: EVP_DigestUpdate failed");
			return;
		}
	}
	memcpy(b->buf + b->n, p, n);
	b->n += n;
}

/* Bytes of a line that are not line ends (nor, relaxed, blanks): the
 * counted line ends and the waiting blank go first. */
static void
body_data(struct dkim_body *b, const void *p, size_t n)
{
	static const char crlfs[] = "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
	    "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n";

	while (b->nl > 0) {
		size_t k = b->nl < sizeof(crlfs) / 2 ? b->nl : sizeof(crlfs) / 2;

		body_put(b, crlfs, 2 * k);
		b->nl -= k;
	}
	if (b->wsp) {
		body_put(b, " ", 1);
		b->wsp = 0;
	}
	body_put(b, p, n);
	b->any = 1;
}

/* A line end: relaxed blanks before it vanish. */
static void
body_eol(struct dkim_body *b)
{
	b->wsp = 0;
	b->nl++;
}

void
dkim_body_update(struct dkim_body *b, const void *p, size_t n)
{
	const unsigned char *s = p, *end = s + n, *q;
	int relaxed = b->c == DKIM_CANON_RELAXED;

	while (s < end) {
		if (b->cr) {
			b->cr = 0;
			if (*s == '\n') {
				body_eol(b);
				s++;
				continue;
			}
			body_data(b, "\r", 1);
		}
		if (*s == '\r') {
			b->cr = 1;
			s++;
			continue;
		}
		if (*s == '\n') {
			body_eol(b);
			s++;
			continue;
		}
		if (relaxed && DKIM_WSP(*s)) {
			b->wsp = 1;
			s++;
			continue;
		}
		for (q = s + 1; q < end && *q != '\r' && *q != '\n' &&
		    !(relaxed && DKIM_WSP(*q)); q++)
			;
		body_data(b, s, (size_t)(q - s));
		s = q;
	}
}

void
dkim_body_final(struct dkim_body *b, unsigned char hash[DKIM_HASH_LEN])
{
	unsigned int len = 0;

	if (b->cr) {
		b->cr = 0;
		body_data(b, "\r", 1);
	}
	/* trailing empty lines go; the last line always ends with CRLF */
	if (b->any || b->c == DKIM_CANON_SIMPLE)
		body_put(b, "\r\n", 2);
	b->nl = 0;
	b->wsp = 0;
	body_flush(b);
	if (EVP_DigestFinal_ex(b->md, hash, &len) != 1 || len != DKIM_HASH_LEN)
		mk_panic("dkim: EVP_DigestFinal_ex failed");
}

void
dkim_body_free(struct dkim_body *b)
{
	if (b == NULL)
		return;
	EVP_MD_CTX_free(b->md);
	free(b);
}
