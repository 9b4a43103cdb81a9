/*
 * test_dkim_canon.c - unit tests of milters/dkim/canon.c: RFC 6376 3.4.5's
 * example in both canonicalizations, the empty body, trailing empty lines,
 * CRLF and LF line ends, long lines, runs of blanks, 8-bit octets and a body
 * cut into chunks at every position. Expected body hashes are SHA-256 of
 * canonical text written out in the test (or RFC 6376's published values).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "dkim.h"
#include "mk_strbuf.h"

#define S	DKIM_CANON_SIMPLE
#define R	DKIM_CANON_RELAXED

/* The body hash of p[0..n) given in one chunk. */
static void
body_hash(enum dkim_canon c, const void *p, size_t n,
    unsigned char out[DKIM_HASH_LEN])
{
	struct dkim_body *b = dkim_body_new(c);

	dkim_body_update(b, p, n);
	dkim_body_final(b, out);
	dkim_body_free(b);
}

/* SHA-256 of canonical text the test writes out. */
static void
sha256(const void *p, size_t n, unsigned char out[DKIM_HASH_LEN])
{
	assert_int_equal(EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL), 1);
}

/* The body canonicalized as c gives exactly the canonical text want. */
static void
assert_body(enum dkim_canon c, const char *body, size_t blen,
    const char *want, size_t wlen)
{
	unsigned char got[DKIM_HASH_LEN], exp[DKIM_HASH_LEN];

	body_hash(c, body, blen, got);
	sha256(want, wlen, exp);
	assert_memory_equal(got, exp, DKIM_HASH_LEN);
}

#define BODY(c, body, want) \
	assert_body((c), (body), sizeof(body) - 1, (want), sizeof(want) - 1)

static void
assert_header(enum dkim_canon c, const char *name, const char *value,
    const char *want)
{
	struct mk_strbuf out = { NULL, 0, 0 };
	char *got;

	dkim_canon_header(c, name, value, &out);
	got = mk_strbuf_take(&out);
	assert_string_equal(got, want);
	free(got);
}

static void
b64(const unsigned char h[DKIM_HASH_LEN], char out[45])
{
	EVP_EncodeBlock((unsigned char *)out, h, DKIM_HASH_LEN);
}

/* RFC 6376 3.4.5: the example header fields, both ways. The field
 * "B : Y<TAB>, folded, <TAB>Z  " reaches a milter as name "B " and value
 * " Y\t\r\n\tZ  " (or with a LF fold). */
static void
test_rfc_example_header(void **st)
{
	(void)st;
	assert_header(R, "A", " X", "a:X\r\n");
	assert_header(R, "B ", " Y\t\r\n\tZ  ", "b:Y Z\r\n");
	assert_header(R, "B ", " Y\t\n\tZ  ", "b:Y Z\r\n");
	assert_header(S, "A", " X", "A: X\r\n");
	assert_header(S, "B ", " Y\t\r\n\tZ  ", "B : Y\t\r\n\tZ  \r\n");
	assert_header(S, "B ", " Y\t\n\tZ  ", "B : Y\t\r\n\tZ  \r\n");
}

/* RFC 6376 3.4.5: the example body, both ways. */
static void
test_rfc_example_body(void **st)
{
	static const char body[] =
	    " C \r\nD \t E\r\n\r\n\r\n";

	(void)st;
	BODY(R, body, " C\r\nD E\r\n");
	BODY(S, body, " C \r\nD \t E\r\n");
}

/* The empty body: simple hashes one CRLF, relaxed nothing (the values
 * published in RFC 6376 3.4.3/3.4.4 errata and used by every signer). */
static void
test_empty_body(void **st)
{
	unsigned char h[DKIM_HASH_LEN];
	char s[45];

	(void)st;
	body_hash(S, "", 0, h);
	b64(h, s);
	assert_string_equal(s, "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
	body_hash(R, "", 0, h);
	b64(h, s);
	assert_string_equal(s, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	/* a body of empty lines (relaxed: of blank lines) is an empty body */
	BODY(S, "\r\n\r\n\n", "\r\n");
	BODY(R, "\r\n \r\n\t\n  ", "");
	BODY(S, " \r\n", " \r\n");
}

/* Empty lines at the end go; inside the body they stay; a last line
 * without a line end gets one. */
static void
test_trailing_blank_lines(void **st)
{
	(void)st;
	BODY(S, "a\r\n\r\n\r\n", "a\r\n");
	BODY(R, "a\r\n\r\n\r\n", "a\r\n");
	BODY(S, "a\r\n\r\nb\r\n\r\n", "a\r\n\r\nb\r\n");
	BODY(R, "a\r\n\r\nb\r\n\r\n", "a\r\n\r\nb\r\n");
	/* blank lines are empty only under relaxed */
	BODY(S, "a\r\n \r\n\t\r\n", "a\r\n \r\n\t\r\n");
	BODY(R, "a\r\n \r\n\t\r\n", "a\r\n");
	BODY(S, "a", "a\r\n");
	BODY(R, "a", "a\r\n");
	BODY(R, "a  ", "a\r\n");
}

/* A lone LF ends a line as a CRLF does; a lone CR is an ordinary byte. */
static void
test_crlf_vs_lf(void **st)
{
	static const char crlf[] = "Hello,\r\n\r\n  two  blanks \r\nend\r\n\r\n";
	static const char lf[] = "Hello,\n\n  two  blanks \nend\n\n";
	unsigned char a[DKIM_HASH_LEN], b[DKIM_HASH_LEN];

	(void)st;
	body_hash(S, crlf, sizeof(crlf) - 1, a);
	body_hash(S, lf, sizeof(lf) - 1, b);
	assert_memory_equal(a, b, DKIM_HASH_LEN);
	body_hash(R, crlf, sizeof(crlf) - 1, a);
	body_hash(R, lf, sizeof(lf) - 1, b);
	assert_memory_equal(a, b, DKIM_HASH_LEN);
	BODY(S, "a\rb\n", "a\rb\r\n");
	BODY(S, "a\r\r\n", "a\r\r\n");
	BODY(S, "a\r", "a\r\r\n");
	/* folds of a header value: LF or CRLF give the same field */
	assert_header(S, "To", " a,\n b", "To: a,\r\n b\r\n");
	assert_header(S, "To", " a,\r\n b", "To: a,\r\n b\r\n");
}

/* Lines longer than any buffer: a 100000-octet line with runs of blanks
 * in it, with and without its line end. */
static void
test_long_lines(void **st)
{
	struct mk_strbuf in = { NULL, 0, 0 }, rel = { NULL, 0, 0 };
	unsigned char got[DKIM_HASH_LEN], exp[DKIM_HASH_LEN];

	(void)st;
	for (int i = 0; i < 10000; i++) {
		mk_strbuf_str(&in, "abcdefg \t ");
		mk_strbuf_str(&rel, i == 9999 ? "abcdefg" : "abcdefg ");
	}
	body_hash(S, in.p, in.len, got);
	mk_strbuf_add(&in, "\r\n", 2);
	sha256(in.p, in.len, exp);
	assert_memory_equal(got, exp, DKIM_HASH_LEN);
	body_hash(S, in.p, in.len, got);
	assert_memory_equal(got, exp, DKIM_HASH_LEN);

	body_hash(R, in.p, in.len, got);
	mk_strbuf_add(&rel, "\r\n", 2);
	sha256(rel.p, rel.len, exp);
	assert_memory_equal(got, exp, DKIM_HASH_LEN);
	in.len -= 2;
	body_hash(R, in.p, in.len, got);
	assert_memory_equal(got, exp, DKIM_HASH_LEN);
	mk_strbuf_free(&in);
	mk_strbuf_free(&rel);
}

/* Runs of blanks: one SP inside a line (the leading run included), none
 * at its end, under relaxed; untouched under simple. Header values lose
 * their blanks at both ends and their folds. */
static void
test_whitespace_runs(void **st)
{
	(void)st;
	BODY(R, " a \t b\t\r\n\t\tc  \r\n", " a b\r\n c\r\n");
	BODY(S, " a \t b\t\r\n\t\tc  \r\n", " a \t b\t\r\n\t\tc  \r\n");
	assert_header(R, "SUBJECT", "  a \t\r\n\t b  ", "subject:a b\r\n");
	assert_header(R, "X-Empty", "", "x-empty:\r\n");
	assert_header(R, "X-Empty", " \t\r\n ", "x-empty:\r\n");
	assert_header(S, "X-Empty", "", "X-Empty:\r\n");
	assert_header(R, "To", "\ta,\r\n\t\r\n b", "to:a, b\r\n");
}

/* 8-bit octets go through as they are: not lower-cased, not dropped. */
static void
test_8bit_kept(void **st)
{
	(void)st;
	BODY(R, "caf\xc3\xa9 \xff\x80\r\n", "caf\xc3\xa9 \xff\x80\r\n");
	BODY(S, "caf\xc3\xa9 \xff\x80\r\n", "caf\xc3\xa9 \xff\x80\r\n");
	assert_header(R, "X-\xc3\x89T\xc3\x89", " \xc3\x89T\xc3\xa9  \xff",
	    "x-\xc3\x89t\xc3\x89:\xc3\x89T\xc3\xa9 \xff\r\n");
	assert_header(S, "Subject", " \xc3\x89t\xc3\xa9",
	    "Subject: \xc3\x89t\xc3\xa9\r\n");
	/* a NUL in the body is a byte like another */
	BODY(S, "a\0b\r\n", "a\0b\r\n");
}

/* Hashes body in chunks cut at the given positions (ascending). */
static void
chunked_hash(enum dkim_canon c, const char *body, size_t n,
    const size_t *cut, size_t ncut, unsigned char out[DKIM_HASH_LEN])
{
	struct dkim_body *b = dkim_body_new(c);
	size_t at = 0;

	for (size_t i = 0; i < ncut; i++) {
		dkim_body_update(b, body + at, cut[i] - at);
		at = cut[i];
	}
	dkim_body_update(b, body + at, n - at);
	dkim_body_final(b, out);
	dkim_body_free(b);
}

/* Every cut of a sample body into two and three chunks (mid-CRLF, mid
 * run of blanks, mid run of empty lines, between a CR and what follows)
 * and byte by byte gives the one-chunk hash. */
static void
test_every_chunking(void **st)
{
	static const char body[] = " a  \t b \r\n\r\n\r\nc\rd\n \t\r\n\t e"
	    "\r\r\n\r\n\n \r\n";
	const size_t n = sizeof(body) - 1;
	unsigned char whole[DKIM_HASH_LEN], got[DKIM_HASH_LEN];
	size_t cut[2];

	(void)st;
	for (int c = S; c <= R; c++) {
		struct dkim_body *b;

		body_hash(c, body, n, whole);
		for (cut[0] = 0; cut[0] <= n; cut[0]++) {
			chunked_hash(c, body, n, cut, 1, got);
			assert_memory_equal(got, whole, DKIM_HASH_LEN);
			for (cut[1] = cut[0]; cut[1] <= n; cut[1]++) {
				chunked_hash(c, body, n, cut, 2, got);
				assert_memory_equal(got, whole, DKIM_HASH_LEN);
			}
		}
		b = dkim_body_new(c);
		for (size_t i = 0; i < n; i++)
			dkim_body_update(b, body + i, 1);
		dkim_body_final(b, got);
		dkim_body_free(b);
		assert_memory_equal(got, whole, DKIM_HASH_LEN);
	}
	/* and the canonical text is what it should be */
	BODY(S, body, " a  \t b \r\n\r\n\r\nc\rd\r\n \t\r\n\t e\r\r\n"
	    "\r\n\r\n \r\n");
	BODY(R, body, " a b\r\n\r\n\r\nc\rd\r\n\r\n e\r\r\n");
}

/* A long run of empty lines costs a counter: a million of them, then a
 * line, hash as that many CRLFs. */
static void
test_many_empty_lines(void **st)
{
	static const size_t lines = 1000000;
	struct dkim_body *b = dkim_body_new(R);
	struct mk_strbuf w = { NULL, 0, 0 };
	unsigned char got[DKIM_HASH_LEN], exp[DKIM_HASH_LEN];

	(void)st;
	dkim_body_update(b, "x\n", 2);
	for (size_t i = 0; i < lines; i++)
		dkim_body_update(b, "\n", 1);
	dkim_body_update(b, "y", 1);
	dkim_body_final(b, got);
	dkim_body_free(b);
	/* "x" CRLF * (lines + 1) "y" CRLF */
	mk_strbuf_ch(&w, 'x');
	for (size_t i = 0; i <= lines; i++)
		mk_strbuf_add(&w, "\r\n", 2);
	mk_strbuf_add(&w, "y\r\n", 3);
	sha256(w.p, w.len, exp);
	mk_strbuf_free(&w);
	assert_memory_equal(got, exp, DKIM_HASH_LEN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_example_header),
		cmocka_unit_test(test_rfc_example_body),
		cmocka_unit_test(test_empty_body),
		cmocka_unit_test(test_trailing_blank_lines),
		cmocka_unit_test(test_crlf_vs_lf),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_whitespace_runs),
		cmocka_unit_test(test_8bit_kept),
		cmocka_unit_test(test_every_chunking),
		cmocka_unit_test(test_many_empty_lines),
	};

	return cmocka_run_group_tests_name("dkim_canon", tests, NULL, NULL);
}
