/*
 * test_dkim_sign.c - unit tests of milters/dkim/sign.c: the h= list (bottom
 * up duplicates, From oversigned, absent names left out), and signatures
 * made with RSA-2048 and Ed25519 keys generated here that verify with
 * OpenSSL over header data this test canonicalizes on its own (so the
 * bytes signed are shown to be the canonical ones), the tags in their
 * order, the value folded within 78 columns, refusals.
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
#include "mk_fold.h"
#include "mk_strbuf.h"

#define NMSG	(sizeof(msg) / sizeof(msg[0]))

/* Two To fields (the second spelled "to"), a folded Subject, a field
 * that is not signed. */
static const struct mk_hfield msg[] = {
	{ "Received", " from a by b;\n\tMon, 1 Jan 2024 00:00:00 +0000" },
	{ "From", " Alice <alice@example.com>" },
	{ "To", " first@example.net" },
	{ "Subject", " Hello\n\t  world  " },
	{ "to", " second@example.net" },
	{ "Date", " Mon, 1 Jan 2024 00:00:00 +0000" },
	{ "Message-ID", " <1@example.com>" },
};

/* What the signer must hash for msg and the default list, bottom-up:
 * the lower To first, nothing for the second (oversigned) From. */
static const char msg_relaxed[] =
    "from:Alice <alice@example.com>\r\n"
    "to:second@example.net\r\n"
    "to:first@example.net\r\n"
    "subject:Hello world\r\n"
    "date:Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    "message-id:<1@example.com>\r\n";
static const char msg_simple[] =
    "From: Alice <alice@example.com>\r\n"
    "to: second@example.net\r\n"
    "To: first@example.net\r\n"
    "Subject: Hello\r\n\t  world  \r\n"
    "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    "Message-ID: <1@example.com>\r\n";

static const unsigned char bh[DKIM_HASH_LEN] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};

/* The default list: one entry per occurrence, configured spelling, From
 * once more, absent names (Cc, Reply-To...) left out. */
static void
test_select_default(void **st)
{
	static const char *const want[] = { "From", "From", "To", "To",
	    "Subject", "Date", "Message-ID" };
	const char *out[DKIM_HEADERS_MAX];
	size_t n;

	(void)st;
	n = dkim_select_headers(NULL, msg, NMSG, out, DKIM_HEADERS_MAX);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++)
		assert_string_equal(out[i], want[i]);
}

/* A configured list: its spelling kept, order kept, a name given twice
 * counts once, an absent From still listed once, max respected. */
static void
test_select_configured(void **st)
{
	static const char *const names[] = { "subject", "FROM", "X-Absent",
	    "to", "Subject", NULL };
	static const struct mk_hfield nofrom[] = {
		{ "To", " a@example.net" }, { "Subject", " s" },
		{ "TO", " b@example.net" },
	};
	const char *out[DKIM_HEADERS_MAX];
	size_t n;

	(void)st;
	n = dkim_select_headers(names, nofrom, 3, out, DKIM_HEADERS_MAX);
	assert_int_equal(n, 4);
	assert_ptr_equal(out[0], names[0]);
	assert_ptr_equal(out[1], names[1]);
	assert_ptr_equal(out[2], names[3]);
	assert_ptr_equal(out[3], names[3]);
	n = dkim_select_headers(names, nofrom, 3, out, 2);
	assert_int_equal(n, 2);
	n = dkim_select_headers(names, msg, NMSG, out, DKIM_HEADERS_MAX);
	assert_int_equal(n, 5);		/* subject FROM FROM to to */
	assert_string_equal(out[1], "FROM");
	assert_string_equal(out[2], "FROM");
}

/* This test's own canonicalization of the DKIM-Signature field. */
static void
own_canon(enum dkim_canon c, const char *v, size_t n, struct mk_strbuf *out)
{
	int blank = 0, started = 0;

	if (c == DKIM_CANON_SIMPLE) {
		mk_strbuf_str(out, "DKIM-Signature:");
		for (size_t i = 0; i < n; i++) {
			if (v[i] == '\n')
				mk_strbuf_ch(out, '\r');
			mk_strbuf_ch(out, v[i]);
		}
		return;
	}
	mk_strbuf_str(out, "dkim-signature:");
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '\r' || v[i] == '\n')
			continue;
		if (v[i] == ' ' || v[i] == '\t') {
			blank = 1;
			continue;
		}
		if (blank && started)
			mk_strbuf_ch(out, ' ');
		blank = 0;
		started = 1;
		mk_strbuf_ch(out, v[i]);
	}
}

/* The value with its folds removed. */
static char *
unfold(const char *v)
{
	struct mk_strbuf b = { NULL, 0, 0 };

	for (; *v != '\0'; v++) {
		if (v[0] == '\n' && v[1] == '\t')
			v++;
		else
			mk_strbuf_ch(&b, *v);
	}
	return mk_strbuf_take(&b);
}

/* The value is a well-formed folded field value: leading blank, "\n\t"
 * folds only, every line within 78 columns counting "DKIM-Signature:". */
static void
assert_folded(const char *v)
{
	assert_true(v[0] == ' ');
	assert_null(strchr(v, '\r'));
	for (const char *p = v; (p = strchr(p, '\n')) != NULL; p++)
		assert_true(p[1] == '\t');
	assert_true(mk_fold_line_max("DKIM-Signature", v) <= 78);
}

/* Checks the signature in value over hdrs (this test's canonical text of
 * the signed fields) with the public half of pkey. */
static void
assert_verifies(EVP_PKEY *pkey, enum dkim_alg alg, enum dkim_canon hc,
    const char *hdrs, const char *v)
{
	struct mk_strbuf data = { NULL, 0, 0 }, b = { NULL, 0, 0 };
	unsigned char sig[1024], digest[DKIM_HASH_LEN];
	const char *tag;
	EVP_MD_CTX *ctx;
	int len, pad = 0;

	/* the b= tag: the first "b=" after a blank (no other tag has one) */
	for (tag = v; *tag != '\0'; tag++)
		if ((tag[0] == ' ' || tag[0] == '\t') && strncmp(tag + 1,
		    "b=", 2) == 0)
			break;
	assert_true(*tag != '\0');
	tag += 3;
	mk_strbuf_str(&data, hdrs);
	own_canon(hc, v, (size_t)(tag - v), &data);
	for (const char *p = tag; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\t')
			continue;
		mk_strbuf_ch(&b, *p);
		pad += *p == '=';
	}
	assert_true(b.len > 0 && b.len % 4 == 0 && b.len < 4 * 256);
	len = EVP_DecodeBlock(sig, (unsigned char *)b.p, (int)b.len);
	assert_true(len > 0);
	len -= pad;

	assert_non_null(ctx = EVP_MD_CTX_new());
	if (alg == DKIM_RSA_SHA256) {
		assert_int_equal(len, 256);
		assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(),
		    NULL, pkey), 1);
		assert_int_equal(EVP_DigestVerify(ctx, sig, (size_t)len,
		    (unsigned char *)data.p, data.len), 1);
	} else {
		assert_int_equal(len, 64);
		assert_int_equal(EVP_Digest(data.p, data.len, digest, NULL,
		    EVP_sha256(), NULL), 1);
		assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, NULL, NULL,
		    pkey), 1);
		assert_int_equal(EVP_DigestVerify(ctx, sig, (size_t)len,
		    digest, sizeof(digest)), 1);
	}
	EVP_MD_CTX_free(ctx);
	mk_strbuf_free(&data);
	mk_strbuf_free(&b);
}

/* The tags, each present, in the order v a c d s t [x] h bh b. */
static void
assert_tags(const char *v, const char *const *want)
{
	char *u = unfold(v);
	const char *at = u;

	for (; *want != NULL; want++) {
		const char *p = strstr(at, *want);

		if (p == NULL)
			fail_msg("tag \"%s\" missing or out of order in %s",
			    *want, u);
		at = p + strlen(*want);
	}
	free(u);
}

/* Signs msg with a fresh key, checks the tags, the folding and the
 * signature over this test's own canonical data. */
static void
sign_and_check(const char *type, enum dkim_alg alg, enum dkim_canon hc,
    time_t x, const char *const *tags)
{
	EVP_PKEY *pkey;
	struct dkim_key key;
	struct dkim_sign_req req;
	struct mk_strbuf out = { NULL, 0, 0 };
	char err[256] = "", *v;

	if (alg == DKIM_RSA_SHA256)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, type, (size_t)2048);
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, type);
	assert_non_null(pkey);
	key.alg = alg;
	key.bits = alg == DKIM_RSA_SHA256 ? 2048 : 256;
	key.pkey = pkey;
	memset(&req, 0, sizeof(req));
	req.key = &key;
	req.domain = "example.com";
	req.selector = "sel2024";
	req.hcanon = hc;
	req.bcanon = DKIM_CANON_SIMPLE;
	req.t = 1700000000;
	req.x = x;
	assert_int_equal(dkim_sign(&req, msg, NMSG, bh, &out, err,
	    sizeof(err)), 0);
	v = mk_strbuf_take(&out);
	assert_folded(v);
	assert_tags(v, tags);
	assert_verifies(pkey, alg, hc, hc == DKIM_CANON_SIMPLE ? msg_simple :
	    msg_relaxed, v);
	free(v);
	EVP_PKEY_free(pkey);
}

#define BH_TAG	"bh=AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=;"
#define H_TAG	"h=From:From:To:To:Subject:Date:Message-ID;"

static void
test_sign_rsa_relaxed(void **st)
{
	static const char *const tags[] = { " v=1;", "a=rsa-sha256;",
	    "c=relaxed/simple;", "d=example.com;", "s=sel2024;",
	    "t=1700000000;", H_TAG, BH_TAG, "b=", NULL };

	(void)st;
	sign_and_check("RSA", DKIM_RSA_SHA256, DKIM_CANON_RELAXED, 0, tags);
}

static void
test_sign_rsa_simple_x(void **st)
{
	static const char *const tags[] = { " v=1;", "a=rsa-sha256;",
	    "c=simple/simple;", "d=example.com;", "s=sel2024;",
	    "t=1700000000;", "x=1700604800;", H_TAG, BH_TAG, "b=", NULL };

	(void)st;
	sign_and_check("RSA", DKIM_RSA_SHA256, DKIM_CANON_SIMPLE, 1700604800,
	    tags);
}

static void
test_sign_ed25519(void **st)
{
	static const char *const tags[] = { " v=1;", "a=ed25519-sha256;",
	    "c=relaxed/simple;", "d=example.com;", "s=sel2024;",
	    "t=1700000000;", H_TAG, BH_TAG, "b=", NULL };

	(void)st;
	sign_and_check("ED25519", DKIM_ED25519_SHA256, DKIM_CANON_RELAXED, 0,
	    tags);
	sign_and_check("ED25519", DKIM_ED25519_SHA256, DKIM_CANON_SIMPLE, 0,
	    (const char *const []){ " v=1;", "a=ed25519-sha256;",
	    "c=simple/simple;", H_TAG, BH_TAG, "b=", NULL });
}

/* x= absent when req->x is 0. */
static void
test_sign_no_x(void **st)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	struct dkim_key key = { DKIM_ED25519_SHA256, 256, pkey };
	struct dkim_sign_req req = { &key, "example.com", "s", 
	    DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, 42, 0, NULL };
	struct mk_strbuf out = { NULL, 0, 0 };
	char err[256], *v;

	(void)st;
	assert_int_equal(dkim_sign(&req, msg, NMSG, bh, &out, err,
	    sizeof(err)), 0);
	v = unfold(out.p);
	assert_null(strstr(v, "x="));
	assert_non_null(strstr(v, "t=42;"));
	assert_non_null(strstr(v, "c=relaxed/relaxed;"));
	free(v);
	mk_strbuf_free(&out);
	EVP_PKEY_free(pkey);
}

/* A long h= (40 fields, long names) and a long d= fold within 78
 * columns, h= folding only after a ':', and the signature still
 * verifies over the canonical data. */
static void
test_sign_long_h_folds(void **st)
{
	struct mk_hfield h[40];
	const char *names[41];
	char nb[40][32], vb[40][16];
	struct mk_strbuf hdrs = { NULL, 0, 0 }, want = { NULL, 0, 0 };
	struct mk_strbuf out = { NULL, 0, 0 };
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	struct dkim_key key = { DKIM_ED25519_SHA256, 256, pkey };
	struct dkim_sign_req req = { &key,
	    "a-rather-long-subdomain-name.of-an-organisation.example.com",
	    "selector-2024-12", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED,
	    1700000000, 0, names };
	char err[256], *v, *u;

	(void)st;
	mk_strbuf_str(&want, "h=");
	for (int i = 0; i < 40; i++) {
		snprintf(nb[i], sizeof(nb[i]), "X-Long-Header-Name-%02d", i);
		snprintf(vb[i], sizeof(vb[i]), " v%d", i);
		h[i].name = nb[i];
		h[i].value = vb[i];
		names[i] = nb[i];
		mk_strbuf_str(&hdrs, "x-long-header-name-");
		mk_strbuf_ch(&hdrs, (char)('0' + i / 10));
		mk_strbuf_ch(&hdrs, (char)('0' + i % 10));
		mk_strbuf_str(&hdrs, ":");
		mk_strbuf_str(&hdrs, vb[i] + 1);
		mk_strbuf_str(&hdrs, "\r\n");
		mk_strbuf_str(&want, nb[i]);
		mk_strbuf_ch(&want, i == 39 ? ';' : ':');
	}
	names[40] = NULL;
	assert_int_equal(dkim_sign(&req, h, 40, bh, &out, err, sizeof(err)),
	    0);
	v = mk_strbuf_take(&out);
	assert_folded(v);
	u = unfold(v);
	assert_non_null(strstr(u, want.p));
	assert_verifies(pkey, DKIM_ED25519_SHA256, DKIM_CANON_RELAXED, hdrs.p,
	    v);
	free(u);
	free(v);
	mk_strbuf_free(&hdrs);
	mk_strbuf_free(&want);
	EVP_PKEY_free(pkey);
}

/* Refusals: no key, a key of another type than its alg, d= or s= that
 * would break the field, a configured header name with a blank (absent
 * from the message: still refused); value untouched. */
static void
test_sign_refusals(void **st)
{
	static const char *const badname[] = { "From", "X Bad", NULL };
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	struct dkim_key key = { DKIM_ED25519_SHA256, 256, pkey };
	struct dkim_key wrong = { DKIM_RSA_SHA256, 2048, pkey };
	struct dkim_sign_req req = { NULL, "example.com", "s",
	    DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, 1, 0, NULL };
	struct mk_strbuf out = { NULL, 0, 0 };
	char err[256];

	(void)st;
	err[0] = '\0';
	assert_int_equal(dkim_sign(&req, msg, NMSG, bh, &out, err,
	    sizeof(err)), -1);
	assert_true(err[0] != '\0');
	req.key = &wrong;
	assert_int_equal(dkim_sign(&req, msg, NMSG, bh, &out, err,
	    sizeof(err)), -1);
	req.key = &key;
	req.domain = "example.com; x=1";
	assert_int_equal(dkim_sign(&req, msg, NMSG, bh, &out, err,
	    sizeof(err)), -1);
	req.domain = "example.com";
	req.selector = "s\r\nX-Injected: 1";
	assert_int_equal(dkim_sign(&req, msg, NMSG, bh, &out, err,
	    sizeof(err)), -1);
	req.selector = "s";
	req.headers = badname;
	assert_int_equal(dkim_sign(&req, msg, NMSG, bh, &out, err,
	    sizeof(err)), -1);
	assert_int_equal(out.len, 0);
	req.headers = NULL;
	assert_int_equal(dkim_sign(&req, msg, NMSG, bh, &out, err,
	    sizeof(err)), 0);
	assert_true(out.len > 0);
	mk_strbuf_free(&out);
	EVP_PKEY_free(pkey);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_select_default),
		cmocka_unit_test(test_select_configured),
		cmocka_unit_test(test_sign_rsa_relaxed),
		cmocka_unit_test(test_sign_rsa_simple_x),
		cmocka_unit_test(test_sign_ed25519),
		cmocka_unit_test(test_sign_no_x),
		cmocka_unit_test(test_sign_long_h_folds),
		cmocka_unit_test(test_sign_refusals),
	};

	return cmocka_run_group_tests_name("dkim_sign", tests, NULL, NULL);
}
