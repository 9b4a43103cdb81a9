/*
 * NAME
 *	sign - the header list of a DKIM signature and the signature itself
 *	(RFC 6376 3.5, 3.7, 5.4; RFC 8463)
 * SYNOPSIS
 *	#include "dkim.h"
 *
 *	size_t	dkim_select_headers(const char *const *names,
 *			const struct mk_hfield *h, size_t nh,
 *			const char **out, size_t max);
 *	int	dkim_sign_fields(const struct dkim_sign_req *req,
 *			const struct mk_hfield *h, size_t nh,
 *			const unsigned char bh[DKIM_HASH_LEN],
 *			struct mk_strbuf *value, char *err, size_t errlen);
 * DESCRIPTION
 *	dkim_select_headers() lists, as libopendkim does, the fields of h
 *	whose name is configured (names compare without case), top to bottom,
 *	each as spelled in the message (pointers to h[].name), then the
 *	configured "From" once more (a pointer into names, or into a static
 *	copy of DKIM_DEFAULT_HEADERS) when From is configured. At most max
 *	entries; when the fields do not all fit, the last place is kept for
 *	the oversigned From.
 *
 *	dkim_sign_fields() hashes, in h= order, the fields those entries stand for:
 *	the n-th entry of a name (without case) is the n-th field of that
 *	name counted from the bottom of the header (RFC 6376 5.4.2); an entry
 *	past the fields present (the oversigned From) adds nothing. Then the
 *	DKIM-Signature field itself, canonicalized with req->hcanon, up to
 *	its empty "b=" and without the final CRLF. RSA: PKCS#1 v1.5 over
 *	SHA-256 of that data (EVP_DigestSign with SHA-256); Ed25519: Ed25519
 *	over the 32-byte SHA-256 digest of that data (RFC 8463, EVP_DigestSign
 *	without md).
 *
 *	The field is laid out byte for byte as libopendkim 2.11 lays out its
 *	own (so that, RSA being deterministic, b= is the same for the same
 *	key, message, header list and timestamp): tags v, a, c, d, s, t, x
 *	(if set), bh, h, b; columns counted from the start of
 *	"DKIM-Signature: ", a fold's tab counting 8, margin 75. A tag goes
 *	after a blank when "tag=value" (its ';' not counted) ends within the
 *	margin, else on a new line ("\n\t"), never cut. h= is placed the same
 *	way, as a whole; when it took a new line, a name that would pass the margin
 *	(the last one counting its ';') goes on a new line "\n\t " after its
 *	':'. b= always starts a line; its value is cut when a line reaches
 *	the margin, going on after "\n\t ". Folds are "\n\t" as the milter
 *	protocol wants; the MTA writes them as CRLF. Only a token longer
 *	than a line (a very long d= or header name) passes the margin. The
 *	value is appended to value only on success.
 * DIAGNOSTICS
 *	dkim_sign_fields() returns 0, or -1 with one line in err: no key, a key
 *	whose type is not the one its alg names, a d=, s= or header name
 *	that cannot be written in the field (characters other than letters,
 *	digits, '.', '-', '_' in d= and s=; blanks, controls, ':' or ';' in a
 *	configured name, present in the message or not), or an OpenSSL
 *	failure (with OpenSSL's reason).
 * SEE ALSO
 *	dkim.h, canon.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "dkim.h"
#include "mk_mem.h"
#include "mk_strbuf.h"

#define DKIM_FOLD_MARGIN 75	/* libopendkim's DKIM_HDRMARGIN */
#define DKIM_FOLD_TAB	8	/* columns of the tab of a fold */
#define DKIM_SIG_NAME	"DKIM-Signature"

struct dkim_fold {
	struct mk_strbuf *out;
	size_t col;		/* columns used on the current line */
};

/* Whether name is one of names (without case). */
static int
dkim_listed(const char *const *names, const char *name)
{
	for (size_t i = 0; names[i] != NULL; i++)
		if (strcasecmp(names[i], name) == 0)
			return 1;
	return 0;
}

size_t
dkim_select_headers(const char *const *names, const struct mk_hfield *h,
    size_t nh, const char **out, size_t max)
{
	static const char *const defaults[] = { DKIM_DEFAULT_HEADERS, NULL };
	const char *from = NULL;
	size_t n = 0, room = max;

	if (names == NULL)
		names = defaults;
	for (size_t i = 0; names[i] != NULL && from == NULL; i++)
		if (strcasecmp(names[i], "From") == 0)
			from = names[i];
	if (from != NULL && room > 0)
		room--;			/* the oversigned From's place */
	for (size_t j = 0; j < nh && n < room; j++)
		if (dkim_listed(names, h[j].name))
			out[n++] = h[j].name;
	if (from != NULL && n < max)
		out[n++] = from;
	return n;
}

/* The field the i-th entry of list stands for, or NULL (5.4.2). */
static const struct mk_hfield *
dkim_pick(const char *const *list, size_t i, const struct mk_hfield *h,
    size_t nh)
{
	size_t skip = 0;

	for (size_t k = 0; k < i; k++)
		if (strcasecmp(list[k], list[i]) == 0)
			skip++;
	for (size_t k = nh; k-- > 0;) {
		if (strcasecmp(h[k].name, list[i]) != 0)
			continue;
		if (skip == 0)
			return &h[k];
		skip--;
	}
	return NULL;
}

/* A new line: "\n\t" (a tab counts DKIM_FOLD_TAB columns), then extra
 * blanks. */
static void
fold_nl(struct dkim_fold *f, const char *extra)
{
	mk_strbuf_add(f->out, "\n\t", 2);
	mk_strbuf_str(f->out, extra);
	f->col = DKIM_FOLD_TAB + strlen(extra);
}

/* The start of a tag whose "tag=value" is n columns long: after a blank
 * when it fits on the current line, else on a new line (never twice on
 * a line just begun). 1 when on a new line. */
static int
fold_start(struct dkim_fold *f, size_t n)
{
	if (f->col + 1 + n > DKIM_FOLD_MARGIN && f->col > DKIM_FOLD_TAB) {
		fold_nl(f, "");
		return 1;
	}
	mk_strbuf_ch(f->out, ' ');
	f->col++;
	return 0;
}

static void
fold_add(struct dkim_fold *f, const char *s, size_t n)
{
	mk_strbuf_add(f->out, s, n);
	f->col += n;
}

/* A tag "tag=val;" that is not cut. */
static void
fold_tag(struct dkim_fold *f, const char *tag, const char *val)
{
	fold_start(f, strlen(tag) + strlen(val));
	fold_add(f, tag, strlen(tag));
	fold_add(f, val, strlen(val));
	fold_add(f, ";", 1);
}

/*
 * "h=a:b:...;": placed as a whole tag. When it fits after a blank it
 * stays on that line; else, on its new line, a name that would pass the
 * margin (the last one counting its ';') goes on a new line after its
 * ':'.
 */
static void
fold_h(struct dkim_fold *f, const char *const *list, size_t nl)
{
	size_t n = 2;
	int wrapped;

	for (size_t i = 0; i < nl; i++)
		n += strlen(list[i]) + (i > 0);
	wrapped = fold_start(f, n);
	fold_add(f, "h=", 2);
	for (size_t i = 0; i < nl; i++) {
		size_t k = strlen(list[i]);

		if (i > 0) {
			fold_add(f, ":", 1);
			if (wrapped && f->col + k + (i + 1 == nl) >
			    DKIM_FOLD_MARGIN)
				fold_nl(f, " ");
		}
		fold_add(f, list[i], k);
	}
	fold_add(f, ";", 1);
}

/* The b= value, cut anywhere: a new line when the margin is reached. */
static void
fold_cut(struct dkim_fold *f, const char *s, size_t n)
{
	for (; n > 0; s++, n--) {
		if (f->col >= DKIM_FOLD_MARGIN)
			fold_nl(f, " ");
		fold_add(f, s, 1);
	}
}

/* d= and s= are written as they are: only characters of A-labels. */
static int
dkim_token_ok(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 255)
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' ||
		    *s == '_'))
			return 0;
	return 1;
}

static int
dkim_name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (*s <= ' ' || *s >= 0x7f || *s == ':' || *s == ';')
			return 0;
	return 1;
}

/* Writes err with OpenSSL's last reason; -1. */
static int
dkim_ossl_err(char *err, size_t errlen, const char *what)
{
	char reason[256];
	unsigned long e = ERR_get_error();

	if (e != 0)
		ERR_error_string_n(e, reason, sizeof(reason));
	else
		snprintf(reason, sizeof(reason), "unknown error");
	ERR_clear_error();
	snprintf(err, errlen, "dkim: %s: %s", what, reason);
	return -1;
}

/* Signs data[0..n) as alg says; the signature in sig (malloc'ed). */
static int
dkim_sign_data(const struct dkim_key *key, const unsigned char *data,
    size_t n, unsigned char **sig, size_t *siglen, char *err, size_t errlen)
{
	unsigned char digest[DKIM_HASH_LEN];
	const EVP_MD *md = EVP_sha256();
	EVP_MD_CTX *ctx;
	int rc = -1;

	*sig = NULL;
	if (key->alg == DKIM_ED25519_SHA256) {
		if (EVP_Digest(data, n, digest, NULL, md, NULL) != 1)
			return dkim_ossl_err(err, errlen, "SHA-256");
		data = digest;
		n = sizeof(digest);
		md = NULL;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return dkim_ossl_err(err, errlen, "EVP_MD_CTX_new");
	if (EVP_DigestSignInit(ctx, NULL, md, NULL, key->pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, siglen, data, n) != 1) {
		rc = dkim_ossl_err(err, errlen, "signing");
		goto out;
	}
	*sig = mk_malloc(*siglen);
	if (EVP_DigestSign(ctx, *sig, siglen, data, n) != 1) {
		rc = dkim_ossl_err(err, errlen, "signing");
		free(*sig);
		*sig = NULL;
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* Checks what goes into the field; 0 or -1 with err. */
static int
dkim_check_req(const struct dkim_sign_req *req, char *err, size_t errlen)
{
	int type;

	if (req->key == NULL || req->key->pkey == NULL) {
		snprintf(err, errlen, "dkim: no key to sign with");
		return -1;
	}
	type = EVP_PKEY_get_base_id(req->key->pkey);
	if ((req->key->alg == DKIM_RSA_SHA256 && type != EVP_PKEY_RSA) ||
	    (req->key->alg == DKIM_ED25519_SHA256 && type != EVP_PKEY_ED25519) ||
	    (req->key->alg != DKIM_RSA_SHA256 &&
	    req->key->alg != DKIM_ED25519_SHA256)) {
		snprintf(err, errlen, "dkim: the key is not of its algorithm");
		return -1;
	}
	if (!dkim_token_ok(req->domain) || !dkim_token_ok(req->selector)) {
		snprintf(err, errlen, "dkim: invalid d= or s= for the field");
		return -1;
	}
	/* every configured name, present or not: a bad list fails always */
	for (size_t i = 0; req->headers != NULL && req->headers[i] != NULL;
	    i++) {
		if (!dkim_name_ok(req->headers[i])) {
			snprintf(err, errlen, "dkim: invalid header name in h=");
			return -1;
		}
	}
	return 0;
}

int
dkim_sign_fields(const struct dkim_sign_req *req, const struct mk_hfield *h,
    size_t nh, const unsigned char bh[DKIM_HASH_LEN], struct mk_strbuf *value,
    char *err, size_t errlen)
{
	const char *list[DKIM_HEADERS_MAX];
	struct mk_strbuf data = { NULL, 0, 0 }, v = { NULL, 0, 0 };
	struct dkim_fold f = { &v, sizeof(DKIM_SIG_NAME) };	/* + ':' */
	char b64[4 * ((512 + 2) / 3) + 1], piece[64];
	unsigned char *sig = NULL;
	size_t nl, siglen = 0;
	int rc = -1, n;

	if (dkim_check_req(req, err, errlen) != 0)
		return -1;
	nl = dkim_select_headers(req->headers, h, nh, list, DKIM_HEADERS_MAX);
	for (size_t i = 0; i < nl; i++) {
		const struct mk_hfield *fld = dkim_pick(list, i, h, nh);

		if (fld != NULL)
			dkim_canon_header(req->hcanon, fld->name, fld->value,
			    &data);
	}

	fold_tag(&f, "v=", "1");
	fold_tag(&f, "a=", req->key->alg == DKIM_RSA_SHA256 ?
	    "rsa-sha256" : "ed25519-sha256");
	snprintf(piece, sizeof(piece), "%s/%s",
	    req->hcanon == DKIM_CANON_SIMPLE ? "simple" : "relaxed",
	    req->bcanon == DKIM_CANON_SIMPLE ? "simple" : "relaxed");
	fold_tag(&f, "c=", piece);
	fold_tag(&f, "d=", req->domain);
	fold_tag(&f, "s=", req->selector);
	snprintf(piece, sizeof(piece), "%lld", (long long)req->t);
	fold_tag(&f, "t=", piece);
	if (req->x != 0) {
		snprintf(piece, sizeof(piece), "%lld", (long long)req->x);
		fold_tag(&f, "x=", piece);
	}
	EVP_EncodeBlock((unsigned char *)piece, bh, DKIM_HASH_LEN);
	fold_tag(&f, "bh=", piece);
	fold_h(&f, list, nl);
	/* b= always on a line of its own, as libopendkim writes it */
	fold_nl(&f, "");
	fold_add(&f, "b=", 2);

	dkim_canon_header(req->hcanon, DKIM_SIG_NAME, v.p, &data);
	data.len -= 2;		/* the final CRLF is not signed */
	if (dkim_sign_data(req->key, (const unsigned char *)data.p, data.len,
	    &sig, &siglen, err, errlen) != 0)
		goto out;
	if (siglen > 512) {
		snprintf(err, errlen, "dkim: signature of %zu octets", siglen);
		goto out;
	}
	n = EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
	fold_cut(&f, b64, (size_t)n);
	mk_strbuf_add(value, v.p, v.len);
	rc = 0;
out:
	free(sig);
	mk_strbuf_free(&data);
	mk_strbuf_free(&v);
	return rc;
}
