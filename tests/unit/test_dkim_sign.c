/*
 * test_dkim_sign.c - unit tests of milters/dkim/sign.c: the h= list (the
 * message's order and spelling, From oversigned last, absent names left
 * out), signatures made with RSA-2048 and Ed25519 keys generated here
 * that verify with OpenSSL over header data this test canonicalizes on
 * its own (so the bytes signed are shown to be the canonical ones,
 * duplicates taken bottom up), the tags in their order, the field laid
 * out as libopendkim 2.11 lays out its own (layouts taken from its
 * output), refusals.
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

/* What the signer must hash for msg and the default list, whose h= is
 * From:To:Subject:to:Date:Message-ID:From: each entry takes the next
 * field of its name from the bottom, so the first To entry hashes the
 * lower field ("to"), the second the upper one; nothing for the second
 * (oversigned) From. */
static const char msg_relaxed[] =
    "from:Alice <alice@example.com>\r\n"
    "to:second@example.net\r\n"
    "subject:Hello world\r\n"
    "to:first@example.net\r\n"
    "date:Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    "message-id:<1@example.com>\r\n";
static const char msg_simple[] =
    "From: Alice <alice@example.com>\r\n"
    "to: second@example.net\r\n"
    "Subject: Hello\r\n\t  world  \r\n"
    "To: first@example.net\r\n"
    "Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    "Message-ID: <1@example.com>\r\n";

static const unsigned char bh[DKIM_HASH_LEN] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};

/* The default list: the message's signed fields top to bottom, spelled
 * as in the message (the second To is "to"), From once more at the end,
 * absent names (Cc, Reply-To...) and unsigned fields left out. */
static void
test_select_default(void **st)
{
	/* indexes into msg; -1: the oversigned From */
	static const int want[] = { 1, 2, 3, 4, 5, 6, -1 };
	const char *out[DKIM_HEADERS_MAX];
	size_t n;

	(void)st;
	n = dkim_select_headers(NULL, msg, NMSG, out, DKIM_HEADERS_MAX);
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i + 1 < n; i++)
		assert_ptr_equal(out[i], msg[want[i]].name);
	assert_string_equal(out[n - 1], "From");
}

/* A configured list: the message's order and spelling, a name given
 * twice counts once, an absent From still listed once (configured
 * spelling), max respected with the last place kept for From. */
static void
test_select_configured(void **st)
{
	static const char *const names[] = { "subject", "FROM", "X-Absent",
	    "to", "Subject", NULL };
	static const char *const nofromlist[] = { "To", "Subject", NULL };
	static const struct mk_hfield nofrom[] = {
		{ "To", " a@example.net" }, { "Subject", " s" },
		{ "TO", " b@example.net" },
	};
	const char *out[DKIM_HEADERS_MAX];
	size_t n;

	(void)st;
	n = dkim_select_headers(names, nofrom, 3, out, DKIM_HEADERS_MAX);
	assert_int_equal(n, 4);
	assert_ptr_equal(out[0], nofrom[0].name);
	assert_ptr_equal(out[1], nofrom[1].name);
	assert_ptr_equal(out[2], nofrom[2].name);
	assert_ptr_equal(out[3], names[1]);
	n = dkim_select_headers(names, nofrom, 3, out, 2);
	assert_int_equal(n, 2);
	assert_ptr_equal(out[0], nofrom[0].name);
	assert_ptr_equal(out[1], names[1]);
	n = dkim_select_headers(names, msg, NMSG, out, DKIM_HEADERS_MAX);
	assert_int_equal(n, 5);		/* From To Subject to FROM */
	assert_ptr_equal(out[0], msg[1].name);
	assert_ptr_equal(out[3], msg[4].name);
	assert_ptr_equal(out[4], names[1]);
	/* From not configured: not oversigned */
	n = dkim_select_headers(nofromlist, msg, NMSG, out, DKIM_HEADERS_MAX);
	assert_int_equal(n, 3);		/* To Subject to */
	assert_ptr_equal(out[2], msg[4].name);
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

/* The value with its folds ("\n\t", "\n\t ") removed. */
static char *
unfold(const char *v)
{
	struct mk_strbuf b = { NULL, 0, 0 };

	for (; *v != '\0'; v++) {
		if (v[0] == '\n' && v[1] == '\t')
			v += v[2] == ' ' ? 2 : 1;
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
		if (*p == '\n' || *p == '\t' || *p == ' ')
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

/* The tags, each present, in the order v a c d s t [x] bh h b. */
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
	assert_int_equal(dkim_sign_fields(&req, msg, NMSG, bh, &out, err,
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
#define H_TAG	"h=From:To:Subject:to:Date:Message-ID:From;"

static void
test_sign_rsa_relaxed(void **st)
{
	static const char *const tags[] = { " v=1;", "a=rsa-sha256;",
	    "c=relaxed/simple;", "d=example.com;", "s=sel2024;",
	    "t=1700000000;", BH_TAG, H_TAG, "b=", NULL };

	(void)st;
	sign_and_check("RSA", DKIM_RSA_SHA256, DKIM_CANON_RELAXED, 0, tags);
}

static void
test_sign_rsa_simple_x(void **st)
{
	static const char *const tags[] = { " v=1;", "a=rsa-sha256;",
	    "c=simple/simple;", "d=example.com;", "s=sel2024;",
	    "t=1700000000;", "x=1700604800;", BH_TAG, H_TAG, "b=", NULL };

	(void)st;
	sign_and_check("RSA", DKIM_RSA_SHA256, DKIM_CANON_SIMPLE, 1700604800,
	    tags);
}

static void
test_sign_ed25519(void **st)
{
	static const char *const tags[] = { " v=1;", "a=ed25519-sha256;",
	    "c=relaxed/simple;", "d=example.com;", "s=sel2024;",
	    "t=1700000000;", BH_TAG, H_TAG, "b=", NULL };

	(void)st;
	sign_and_check("ED25519", DKIM_ED25519_SHA256, DKIM_CANON_RELAXED, 0,
	    tags);
	sign_and_check("ED25519", DKIM_ED25519_SHA256, DKIM_CANON_SIMPLE, 0,
	    (const char *const []){ " v=1;", "a=ed25519-sha256;",
	    "c=simple/simple;", BH_TAG, H_TAG, "b=", NULL });
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
	assert_int_equal(dkim_sign_fields(&req, msg, NMSG, bh, &out, err,
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
	assert_int_equal(dkim_sign_fields(&req, h, 40, bh, &out, err, sizeof(err)),
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

/* Names and a domain sized to meet the margin. */
#define A29	"X-" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define A30	"X-" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define B20	"Y-" "bbbbbbbbbbbbbbbbbbbb"
#define D80	"dddddddddddddddddddddddddddddddddddddddd" \
		"dddddddddddddddddddddddddddddddddddddddd.com"

/*
 * The field as libopendkim 2.11 lays out its own: each want is its
 * output (odkim_sign -v) for the same d=, s=, c=, fields and t=, up to
 * "b=", "BH" standing for the bh= value; with usemsg msg and the default
 * list, else From and the fields listed, all signed.
 */
static const struct layout_case {
	const char *what;
	const char *domain, *selector;
	enum dkim_canon hc, bc;
	int usemsg;
	const char *fields[4];
	const char *want;
} layouts[] = {
	{ "one tag per line when the next does not fit; h= on its own line",
	    "example.com", "sel2024",
	    DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE, 1, { NULL },
	    " v=1; a=rsa-sha256; c=relaxed/simple; d=example.com;"
	    "\n\ts=sel2024; t=1700000000;"
	    "\n\tbh=BH;"
	    "\n\th=From:To:Subject:to:Date:Message-ID:From;"
	    "\n\tb=" },
	{ "t= ending at column 75 stays; h= ending at 75 stays whole",
	    "e", "r",
	    DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE, 0, { "X-aaaa", NULL },
	    " v=1; a=rsa-sha256; c=simple/simple; d=e; s=r; t=1700000000;"
	    "\n\tbh=BH; h=From:X-aaaa:From;"
	    "\n\tb=" },
	{ "on h='s own line, the last name counts its ';'",
	    "example.com", "sel",
	    DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE, 0,
	    { A30, B20, NULL },
	    " v=1; a=rsa-sha256; c=simple/simple; d=example.com; s=sel;"
	    "\n\tt=1700000000; bh=BH;"
	    "\n\th=From:" A30 ":" B20 ":"
	    "\n\t From;"
	    "\n\tb=" },
	{ "a name ending at column 75 stays, the next one folds",
	    "e", "r",
	    DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE, 0,
	    { A29, B20, "Zcccc", NULL },
	    " v=1; a=rsa-sha256; c=simple/simple; d=e; s=r; t=1700000000;"
	    "\n\tbh=BH;"
	    "\n\th=From:" A29 ":" B20 ":Zcccc:"
	    "\n\t From;"
	    "\n\tb=" },
	{ "the ';' past column 75 does not fold",
	    "ex", "r",
	    DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE, 0, { NULL },
	    " v=1; a=rsa-sha256; c=simple/simple; d=ex; s=r; t=1700000000;"
	    "\n\tbh=BH; h=From:From;"
	    "\n\tb=" },
	{ "a d= longer than a line overflows its own line",
	    D80, "r",
	    DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, 0, { NULL },
	    " v=1; a=rsa-sha256; c=relaxed/relaxed;"
	    "\n\td=" D80 ";"
	    "\n\ts=r; t=1700000000; bh=BH;"
	    "\n\th=From:From;"
	    "\n\tb=" },
};

/* Each layout, then b=: its value cut at column 75 ("b=" and 65 octets,
 * then "\n\t " and 66 octets per line). */
static void
test_sign_layout(void **st)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	struct dkim_key key = { DKIM_RSA_SHA256, 2048, pkey };
	char bh64[64];

	(void)st;
	assert_non_null(pkey);
	EVP_EncodeBlock((unsigned char *)bh64, bh, DKIM_HASH_LEN);
	for (size_t c = 0; c < sizeof(layouts) / sizeof(layouts[0]); c++) {
		const struct layout_case *lc = &layouts[c];
		struct mk_hfield h[5] = { { "From", " a@example.com" } };
		const char *names[6] = { "From" };
		struct dkim_sign_req req = { &key, lc->domain, lc->selector,
		    lc->hc, lc->bc, 1700000000, 0, NULL };
		struct mk_strbuf want = { NULL, 0, 0 }, out = { NULL, 0, 0 };
		const char *bh_at = strstr(lc->want, "BH"), *p;
		size_t nh = 1, line, total = 0;
		char err[256];

		if (lc->usemsg) {
			assert_int_equal(dkim_sign_fields(&req, msg, NMSG, bh, &out,
			    err, sizeof(err)), 0);
		} else {
			for (; lc->fields[nh - 1] != NULL; nh++) {
				h[nh].name = lc->fields[nh - 1];
				h[nh].value = " v";
				names[nh] = lc->fields[nh - 1];
			}
			req.headers = names;
			assert_int_equal(dkim_sign_fields(&req, h, nh, bh, &out, err,
			    sizeof(err)), 0);
		}
		assert_non_null(bh_at);
		mk_strbuf_add(&want, lc->want, (size_t)(bh_at - lc->want));
		mk_strbuf_str(&want, bh64);
		mk_strbuf_str(&want, bh_at + 2);
		mk_strbuf_ch(&out, '\0');
		if (out.len < want.len || memcmp(out.p, want.p, want.len) != 0)
			fail_msg("%s:\nwant [%s]\ngot  [%.*s]", lc->what,
			    want.p, (int)want.len, out.p);
		/* b=: lines of 65, then 66 octets, the last one shorter */
		p = out.p + want.len;
		for (line = 0; *p != '\0'; line++) {
			size_t k = strcspn(p, "\n");

			total += k;
			if (p[k] == '\0')
				assert_true(k <= (line == 0 ? 65u : 66u));
			else
				assert_int_equal(k, line == 0 ? 65 : 66);
			p += k;
			if (*p == '\n') {
				assert_true(p[1] == '\t' && p[2] == ' ');
				p += 3;
			}
		}
		assert_int_equal(total, 344);	/* 256 octets in base64 */
		mk_strbuf_free(&want);
		mk_strbuf_free(&out);
	}
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
	assert_int_equal(dkim_sign_fields(&req, msg, NMSG, bh, &out, err,
	    sizeof(err)), -1);
	assert_true(err[0] != '\0');
	req.key = &wrong;
	assert_int_equal(dkim_sign_fields(&req, msg, NMSG, bh, &out, err,
	    sizeof(err)), -1);
	req.key = &key;
	req.domain = "example.com; x=1";
	assert_int_equal(dkim_sign_fields(&req, msg, NMSG, bh, &out, err,
	    sizeof(err)), -1);
	req.domain = "example.com";
	req.selector = "s\r\nX-Injected: 1";
	assert_int_equal(dkim_sign_fields(&req, msg, NMSG, bh, &out, err,
	    sizeof(err)), -1);
	req.selector = "s";
	req.headers = badname;
	assert_int_equal(dkim_sign_fields(&req, msg, NMSG, bh, &out, err,
	    sizeof(err)), -1);
	assert_int_equal(out.len, 0);
	req.headers = NULL;
	assert_int_equal(dkim_sign_fields(&req, msg, NMSG, bh, &out, err,
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
		cmocka_unit_test(test_sign_layout),
		cmocka_unit_test(test_sign_refusals),
	};

	return cmocka_run_group_tests_name("dkim_sign_fields", tests, NULL, NULL);
}
