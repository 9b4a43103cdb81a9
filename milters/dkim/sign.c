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
 *	int	dkim_sign(const struct dkim_sign_req *req,
 *			const struct mk_hfield *h, size_t nh,
 *			const unsigned char bh[DKIM_HASH_LEN],
 *			struct mk_strbuf *value, char *err, size_t errlen);
 * DESCRIPTION
 *	dkim_select_headers() writes to out pointers into names (or into a
 *	static copy of DKIM_DEFAULT_HEADERS): each configured name once per
 *	occurrence in h (names compare without case, the configured spelling
 *	is kept), "From" once more than it occurs, absent names left out; a
 *	name configured twice counts once. At most max entries.
 *
 *	dkim_sign() hashes, in h= order, the fields those entries stand for:
 *	the n-th entry of a name is the n-th field of that name counted from
 *	the bottom of the header (RFC 6376 5.4.2); an entry past the fields
 *	present (the oversigned From) adds nothing. Then the DKIM-Signature
 *	field itself, canonicalized with req->hcanon, up to its empty "b="
 *	and without the final CRLF. RSA: PKCS#1 v1.5 over SHA-256 of that
 *	data (EVP_DigestSign with SHA-256); Ed25519: Ed25519 over the 32-byte
 *	SHA-256 digest of that data (RFC 8463, EVP_DigestSign without md).
 *
 *	The value written starts with a blank and is folded with "\n\t" so
 *	that no line passes 78 columns, the first line counting
 *	"DKIM-Signature:": a tag goes on the current line after a blank when
 *	it fits, else on a new line; h= folds after a ':'; b= is cut
 *	anywhere. Only a single token longer than a line (a very long d= or
 *	header name) can make a longer line. The value is appended to value
 *	only on success.
 * DIAGNOSTICS
 *	dkim_sign() returns 0, or -1 with one line in err: no key, a key
 *	whose type is not the one its alg names, a d=, s= or header name
 *	that cannot be written in the field (characters other than letters,
 *	digits, '.', '-', '_' in d= and s=; blanks, controls, ':' or ';' in a
 *	configured name, present in the message or not), or an OpenSSL failure (with OpenSSL's reason).
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

#define DKIM_FOLD_COLS	78
#define DKIM_SIG_NAME	"DKIM-Signature"

struct dkim_fold {
	struct mk_strbuf *out;
	size_t col;		/* columns used on the current line */
};

size_t
dkim_select_headers(const char *const *names, const struct mk_hfield *h,
    size_t nh, const char **out, size_t max)
{
	static const char *const defaults[] = { DKIM_DEFAULT_HEADERS, NULL };
	size_t n = 0;

	if (names == NULL)
		names = defaults;
	for (size_t i = 0; names[i] != NULL; i++) {
		size_t k = 0, j;

		for (j = 0; j < i; j++)
			if (strcasecmp(names[j], names[i]) == 0)
				break;
		if (j < i)
			continue;
		for (j = 0; j < nh; j++)
			if (strcasecmp(h[j].name, names[i]) == 0)
				k++;
		if (strcasecmp(names[i], "From") == 0)
			k++;
		for (; k > 0 && n < max; k--)
			out[n++] = names[i];
	}
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

/* A token that is not cut: after a blank (if blank) on the current
 * line when it fits, else at the start of a new line. */
static void
fold_word(struct dkim_fold *f, const char *s, size_t n, int blank)
{
	if (f->col + (blank ? 1 : 0) + n > DKIM_FOLD_COLS && f->col > 1) {
		mk_strbuf_add(f->out, "\n\t", 2);
		f->col = 1;
	} else if (blank) {
		mk_strbuf_ch(f->out, ' ');
		f->col++;
	}
	mk_strbuf_add(f->out, s, n);
	f->col += n;
}

/* Text that may be cut anywhere (a base64 value). */
static void
fold_cut(struct dkim_fold *f, const char *s, size_t n)
{
	while (n > 0) {
		size_t k;

		if (f->col >= DKIM_FOLD_COLS) {
			mk_strbuf_add(f->out, "\n\t", 2);
			f->col = 1;
		}
		k = DKIM_FOLD_COLS - f->col;
		if (k > n)
			k = n;
		mk_strbuf_add(f->out, s, k);
		f->col += k;
		s += k;
		n -= k;
	}
}

/* A tag "tag=val;" as one token. */
static void
fold_tag(struct dkim_fold *f, const char *tag, const char *val)
{
	struct mk_strbuf t = { NULL, 0, 0 };

	mk_strbuf_str(&t, tag);
	mk_strbuf_str(&t, val);
	mk_strbuf_ch(&t, ';');
	fold_word(f, t.p, t.len, 1);
	mk_strbuf_free(&t);
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
dkim_sign(const struct dkim_sign_req *req, const struct mk_hfield *h,
    size_t nh, const unsigned char bh[DKIM_HASH_LEN], struct mk_strbuf *value,
    char *err, size_t errlen)
{
	const char *list[DKIM_HEADERS_MAX];
	struct mk_strbuf data = { NULL, 0, 0 }, v = { NULL, 0, 0 };
	struct dkim_fold f = { &v, sizeof(DKIM_SIG_NAME) };	/* + ':' */
	char b64[4 * ((512 + 2) / 3) + 1], piece[300];
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
	for (size_t i = 0; i < nl; i++) {
		n = snprintf(piece, sizeof(piece), "%s%s%s", i == 0 ? "h=" : "",
		    list[i], i + 1 == nl ? ";" : ":");
		if (n < 0 || (size_t)n >= sizeof(piece)) {
			snprintf(err, errlen, "dkim: header name too long");
			goto out;
		}
		fold_word(&f, piece, (size_t)n, i == 0);
	}
	memcpy(piece, "bh=", 3);
	EVP_EncodeBlock((unsigned char *)piece + 3, bh, DKIM_HASH_LEN);
	strcat(piece, ";");
	fold_word(&f, piece, strlen(piece), 1);
	/* "b=" and at least a few characters of its value on one line */
	if (f.col + 1 + 2 + 8 > DKIM_FOLD_COLS) {
		mk_strbuf_add(&v, "\n\t", 2);
		f.col = 1;
	} else {
		mk_strbuf_ch(&v, ' ');
		f.col++;
	}
	mk_strbuf_add(&v, "b=", 2);
	f.col += 2;

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
