/*
 * NAME
 *	test_addr - unit tests of common/addr.c (mk_addr.h)
 * SYNOPSIS
 *	tests/unit/test_addr
 * DESCRIPTION
 *	Table-driven: every row of the tables below is one TAP point.
 *	Good addresses must parse to their exact normalized form, split into
 *	local and domain, carry the right utf8 flag and parse again to the
 *	same form (idempotence). Bad addresses must fail with their exact
 *	error code and leave the output strings empty. mk_addr_domain() has
 *	its own table; mk_addr_strerror() is checked for every code.
 *
 *	In the tables, "{N:c}" stands for the byte c repeated N times, so
 *	that length limits can be written down.
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

#include "mk_addr.h"

enum { O_DEF, O_EXACT, O_STRIP, O_DASH, O_EXSTRIP };

struct good {
	const char *what;
	const char *in;
	int opts;
	const char *norm;
	int utf8;
};

struct bad {
	const char *what;
	const char *in;
	size_t len;		/* 0: strlen of the expanded input */
	int code;
};

struct dom {
	const char *what;
	const char *in;
	size_t outlen;		/* 0: a full-size buffer */
	const char *out;	/* NULL: expect code */
	int code;
};

static const struct good goods[] = {
	{"plain address", "a@b.example", O_DEF, "a@b.example", 0},
	{"angle brackets removed", "<a@b.example>", O_DEF, "a@b.example", 0},
	{"domain lower-cased", "a@EXAMPLE.Com", O_DEF, "a@example.com", 0},
	{"local part folded", "John.Doe@Example.com", O_DEF,
	    "john.doe@example.com", 0},
	{"exact keeps local case", "John.Doe@Example.COM", O_EXACT,
	    "John.Doe@example.com", 0},
	{"source route ignored", "<@relay.example,@r2.example:a@b.example>",
	    O_DEF, "a@b.example", 0},
	{"single-hop source route", "<@[192.0.2.1]:X@Y.example>", O_DEF,
	    "x@y.example", 0},
	{"trailing dot dropped", "a@b.example.", O_DEF, "a@b.example", 0},
	{"subaddress stripped", "a+tag@b.example", O_STRIP, "a@b.example", 0},
	{"strip from first delimiter", "a+b+c@x.example", O_STRIP,
	    "a@x.example", 0},
	{"+only keeps its tag", "+only@x.example", O_STRIP,
	    "+only@x.example", 0},
	{"no strip by default", "a+tag@x.example", O_DEF,
	    "a+tag@x.example", 0},
	{"custom delimiter stripped", "a-tag@x.example", O_DASH,
	    "a@x.example", 0},
	{"custom delimiter leaves +", "a+tag@x.example", O_DASH,
	    "a+tag@x.example", 0},
	{"strip then fold", "Alice+Tag@X.example", O_STRIP,
	    "alice@x.example", 0},
	{"exact and strip", "Alice+Tag@x.example", O_EXSTRIP,
	    "Alice@x.example", 0},
	{"strip never leaves a trailing dot", "a.+tag@x.example", O_STRIP,
	    "a.+tag@x.example", 0},
	{"quoted dot-atom unquoted", "\"a.b\"@x.example", O_DEF,
	    "a.b@x.example", 0},
	{"quoted atom unquoted and folded", "\"John\"@X.example", O_DEF,
	    "john@x.example", 0},
	{"quoted space stays quoted", "\"John Doe\"@x.example", O_DEF,
	    "\"john doe\"@x.example", 0},
	{"quoted escaped quote kept", "\"a\\\"b\"@x.example", O_DEF,
	    "\"a\\\"b\"@x.example", 0},
	{"needless escape dropped", "\"a\\bc\"@x.example", O_DEF,
	    "abc@x.example", 0},
	{"escaped backslash kept", "\"a\\\\b\"@x.example", O_DEF,
	    "\"a\\\\b\"@x.example", 0},
	{"quoted @ stays quoted", "\"a@b\"@x.example", O_DEF,
	    "\"a@b\"@x.example", 0},
	{"quoted double dot stays quoted", "\"a..b\"@x.example", O_DEF,
	    "\"a..b\"@x.example", 0},
	{"quoted leading dot stays quoted", "\".a\"@x.example", O_DEF,
	    "\".a\"@x.example", 0},
	{"quoted content stripped", "\"a b+tag\"@x.example", O_STRIP,
	    "\"a b\"@x.example", 0},
	{"quoted strip can unquote", "\"a+b c\"@x.example", O_STRIP,
	    "a@x.example", 0},
	{"IDN domain to A-label", "user@Bücher.example", O_DEF,
	    "user@xn--bcher-kva.example", 0},
	{"upper-case U-label mapped", "user@BÜCHER.EXAMPLE", O_DEF,
	    "user@xn--bcher-kva.example", 0},
	{"A-label kept", "user@xn--bcher-kva.example", O_DEF,
	    "user@xn--bcher-kva.example", 0},
	{"upper-case A-label folded", "user@XN--BCHER-KVA.EXAMPLE", O_DEF,
	    "user@xn--bcher-kva.example", 0},
	{"U-label and A-label mixed", "a@bücher.xn--bcher-kva.example.",
	    O_DEF, "a@xn--bcher-kva.xn--bcher-kva.example", 0},
	{"sharp s non-transitional", "a@faß.de", O_DEF, "a@xn--fa-hia.de", 0},
	{"symbol via transitional fallback", "a@☃.example", O_DEF,
	    "a@xn--n3h.example", 0},
	{"CJK domain", "a@例え.jp", O_DEF, "a@xn--r8jz45g.jp", 0},
	{"fullwidth domain mapped", "a@ｅｘａｍｐｌｅ．com", O_DEF,
	    "a@example.com", 0},
	{"UTF-8 local and domain", "δοκιμή@παράδειγμα.δοκιμή", O_DEF,
	    "δοκιμή@xn--hxajbheg2az3al.xn--jxalpdlp", 1},
	{"UTF-8 local folds ASCII only", "ÜSER@x.example", O_DEF,
	    "Üser@x.example", 1},
	{"UTF-8 local stripped", "ü+tag@x.example", O_STRIP,
	    "ü@x.example", 1},
	{"UTF-8 quoted local", "\"ü ü\"@x.example", O_DEF,
	    "\"ü ü\"@x.example", 1},
	{"IPv4 literal", "a@[192.0.2.1]", O_DEF, "a@[192.0.2.1]", 0},
	{"IPv6 literal lower-cased", "a@[IPv6:2001:DB8::1]", O_DEF,
	    "a@[ipv6:2001:db8::1]", 0},
	{"IPv6 loopback literal", "<a@[IPv6:::1]>", O_DEF,
	    "a@[ipv6:::1]", 0},
	{"single-label domain", "a@localhost", O_DEF, "a@localhost", 0},
	{"every atext special", "!#$%&'*+-/=?^_`{|}~@x.example", O_DEF,
	    "!#$%&'*+-/=?^_`{|}~@x.example", 0},
	{"digits and hyphens", "a@a-1.b--2.example", O_DEF,
	    "a@a-1.b--2.example", 0},
	{"63-octet label", "a@{63:b}.example", O_DEF, "a@{63:b}.example", 0},
	{"64-octet local part", "{64:A}@x.example", O_DEF,
	    "{64:a}@x.example", 0},
	{"254-octet address", "{64:a}@{63:b}.{63:c}.{61:d}", O_DEF,
	    "{64:a}@{63:b}.{63:c}.{61:d}", 0},
	{"254 octets in brackets", "<{64:a}@{63:b}.{63:c}.{61:d}>", O_DEF,
	    "{64:a}@{63:b}.{63:c}.{61:d}", 0},
	{"64-octet quoted local", "\"{31:a} {30:b}\"@x.example", O_DEF,
	    "\"{31:a} {30:b}\"@x.example", 0},
};

static const struct bad bads[] = {
	{"empty input", "", 0, MK_ADDR_EEMPTY},
	{"null path", "<>", 0, MK_ADDR_ENULL},
	{"255-octet address", "{64:a}@{63:b}.{63:c}.{62:d}", 0,
	    MK_ADDR_ETOOLONG},
	{"255 octets in brackets", "<{64:a}@{63:b}.{63:c}.{62:d}>", 0,
	    MK_ADDR_ETOOLONG},
	{"huge input", "{200:a}@{200:b}", 0, MK_ADDR_ETOOLONG},
	{"65-octet local part", "{65:a}@x.example", 0, MK_ADDR_ETOOLONG},
	{"65-octet quoted local", "\"{31:a} {31:b}\"@x.example", 0,
	    MK_ADDR_ETOOLONG},
	{"64-octet label", "a@{64:b}.example", 0, MK_ADDR_ETOOLONG},
	{"IDN expands past 254", "{64:a}@{25:ü.}example", 0,
	    MK_ADDR_ETOOLONG},
	{"unclosed quote", "\"abc@x.example", 0, MK_ADDR_EQUOTE},
	{"stray quote", "abc\"@x.example", 0, MK_ADDR_EQUOTE},
	{"escaped closing quote", "\"a\\\"@x.example", 0, MK_ADDR_EQUOTE},
	{"NUL byte", "a\0b@x.example", 13, MK_ADDR_ECTRL},
	{"CR", "a\r@x.example", 0, MK_ADDR_ECTRL},
	{"LF", "a@x.example\n", 0, MK_ADDR_ECTRL},
	{"TAB in quotes", "\"a\tb\"@x.example", 0, MK_ADDR_ECTRL},
	{"DEL", "a\x7f@x.example", 0, MK_ADDR_ECTRL},
	{"control byte in domain", "a@b\x01.example", 0, MK_ADDR_ECTRL},
	{"empty local part", "@b.example", 0, MK_ADDR_EEMPTYLOCAL},
	{"empty quoted local", "\"\"@b.example", 0, MK_ADDR_EEMPTYLOCAL},
	{"route then empty local", "<@r.example:@b.example>", 0,
	    MK_ADDR_EEMPTYLOCAL},
	{"no at sign", "ab", 0, MK_ADDR_ENOAT},
	{"quoted local without domain", "\"a b\"", 0, MK_ADDR_ENOAT},
	{"empty domain", "a@", 0, MK_ADDR_EDOMAIN},
	{"domain is a dot", "a@.", 0, MK_ADDR_EDOMAIN},
	{"empty label", "a@b..c", 0, MK_ADDR_EDOMAIN},
	{"leading dot", "a@.b.example", 0, MK_ADDR_EDOMAIN},
	{"two trailing dots", "a@b.example..", 0, MK_ADDR_EDOMAIN},
	{"leading hyphen", "a@-b.c", 0, MK_ADDR_EDOMAIN},
	{"trailing hyphen", "a@b-.c", 0, MK_ADDR_EDOMAIN},
	{"underscore in domain", "a@b_c.example", 0, MK_ADDR_EDOMAIN},
	{"space in domain", "a@b c.example", 0, MK_ADDR_EDOMAIN},
	{"second at sign", "a@@b.example", 0, MK_ADDR_EDOMAIN},
	{"short IPv4 literal", "a@[1.2.3]", 0, MK_ADDR_EDOMAIN},
	{"bad IPv6 literal", "a@[IPv6:zz::1]", 0, MK_ADDR_EDOMAIN},
	{"unclosed literal", "a@[1.2.3.4", 0, MK_ADDR_EDOMAIN},
	{"general literal", "a@[tag:abc]", 0, MK_ADDR_EDOMAIN},
	{"bad source route", "<@:a@b.example>", 0, MK_ADDR_EDOMAIN},
	{"NBSP maps to space", "a@a\xc2\xa0.example", 0, MK_ADDR_EDOMAIN},
	{"double dot in local", "a..b@x.example", 0, MK_ADDR_ELOCAL},
	{"leading dot in local", ".a@x.example", 0, MK_ADDR_ELOCAL},
	{"trailing dot in local", "a.@x.example", 0, MK_ADDR_ELOCAL},
	{"space in local", "a b@x.example", 0, MK_ADDR_ELOCAL},
	{"comment in local", "a(b)@x.example", 0, MK_ADDR_ELOCAL},
	{"text after quotes", "\"a\"b@x.example", 0, MK_ADDR_ELOCAL},
	{"unclosed bracket", "<a@b.example", 0, MK_ADDR_EBRACKET},
	{"unopened bracket", "a@b.example>", 0, MK_ADDR_EBRACKET},
	{"doubled brackets", "<<a@b.example>>", 0, MK_ADDR_EBRACKET},
	{"text after bracket", "<a@b.example>c", 0, MK_ADDR_EBRACKET},
	{"lone bracket", "<", 0, MK_ADDR_EBRACKET},
	{"garbage A-label", "a@xn--zzzzzz.example", 0, MK_ADDR_EIDN},
	{"A-label of ASCII", "a@xn--a.example", 0, MK_ADDR_EIDN},
	{"truncated A-label", "a@xn--ab-cd.example", 0, MK_ADDR_EIDN},
	{"replacement char in domain", "a@a\xef\xbf\xbd.example", 0,
	    MK_ADDR_EIDN},
	{"private-use char in domain", "a@\xee\x80\x80.example", 0,
	    MK_ADDR_EIDN},
	{"leading combining mark", "a@\xcc\x81" "a.example", 0,
	    MK_ADDR_EIDN},
	{"lone continuation byte", "\x80" "a@x.example", 0, MK_ADDR_EUTF8},
	{"overlong slash", "\xc0\xaf@x.example", 0, MK_ADDR_EUTF8},
	{"UTF-16 surrogate", "\xed\xa0\x80@x.example", 0, MK_ADDR_EUTF8},
	{"truncated sequence", "a\xc3@x.example", 0, MK_ADDR_EUTF8},
	{"above U+10FFFF", "\xf4\x90\x80\x80@x.example", 0, MK_ADDR_EUTF8},
	{"0xff byte in domain", "a@b\xff.example", 0, MK_ADDR_EUTF8},
};

static const struct dom doms[] = {
	{"domain lower-cased", "Example.COM", 0, "example.com", 0},
	{"leading @ dropped", "@Example.com", 0, "example.com", 0},
	{"IDN domain with dot", "Bücher.example.", 0,
	    "xn--bcher-kva.example", 0},
	{"domain literal", "[192.0.2.1]", 0, "[192.0.2.1]", 0},
	{"exact-fit buffer", "b.example", 10, "b.example", 0},
	{"253-octet domain", "{63:a}.{63:b}.{63:c}.{61:d}", 0,
	    "{63:a}.{63:b}.{63:c}.{61:d}", 0},
	{"empty domain", "", 0, NULL, MK_ADDR_EEMPTY},
	{"lone @", "@", 0, NULL, MK_ADDR_EEMPTY},
	{"empty label", "a..b", 0, NULL, MK_ADDR_EDOMAIN},
	{"a whole address", "a@b.example", 0, NULL, MK_ADDR_EDOMAIN},
	{"garbage A-label", "xn--zzzzzz", 0, NULL, MK_ADDR_EIDN},
	{"control byte", "b\r.example", 0, NULL, MK_ADDR_ECTRL},
	{"invalid UTF-8", "b\xc3.example", 0, NULL, MK_ADDR_EUTF8},
	{"254-octet domain", "{63:a}.{63:b}.{63:c}.{62:d}", 0, NULL,
	    MK_ADDR_ETOOLONG},
	{"buffer one short", "b.example", 9, NULL, MK_ADDR_ETOOLONG},
};

/* Expand "{N:c}" (c may be a UTF-8 sequence or "x.") into dst. */
static size_t
expand(const char *src, char *dst, size_t dstlen)
{
	size_t k = 0;

	while (*src != 0) {
		char *end;
		unsigned long n;
		const char *unit;
		size_t ulen, i;

		if (*src != '{' || src[1] < '0' || src[1] > '9') {
			assert_true(k + 1 < dstlen);
			dst[k++] = *src++;
			continue;
		}
		n = strtoul(src + 1, &end, 10);
		assert_true(*end == ':');
		unit = end + 1;
		ulen = strcspn(unit, "}");
		for (i = 0; i < n; i++) {
			assert_true(k + ulen < dstlen);
			memcpy(dst + k, unit, ulen);
			k += ulen;
		}
		src = unit + ulen + 1;
	}
	dst[k] = 0;
	return k;
}

static const struct mk_addr_opts *
make_opts(int which, struct mk_addr_opts *o)
{
	memset(o, 0, sizeof(*o));
	switch (which) {
	case O_EXACT:
		o->exact_local = 1;
		return o;
	case O_STRIP:
		o->strip_subaddress = 1;
		return o;
	case O_DASH:
		o->strip_subaddress = 1;
		o->subaddress_delim = '-';
		return o;
	case O_EXSTRIP:
		o->exact_local = 1;
		o->strip_subaddress = 1;
		return o;
	default:
		return NULL;
	}
}

static void
run_good(void **state)
{
	const struct good *g = *state;
	struct mk_addr_opts ob;
	const struct mk_addr_opts *o = make_opts(g->opts, &ob);
	struct mk_addr a, b;
	char in[1024], want[1024], joined[sizeof(a.norm)];
	size_t len = expand(g->in, in, sizeof(in));
	int rc;

	expand(g->norm, want, sizeof(want));
	rc = mk_addr_parse(in, len, o, &a);
	if (rc != 0)
		fail_msg("%s: %s", g->in, mk_addr_strerror(rc));
	assert_string_equal(a.norm, want);
	assert_int_equal(a.utf8, g->utf8);
	snprintf(joined, sizeof(joined), "%s@%s", a.local, a.domain);
	assert_string_equal(joined, a.norm);
	assert_true(strlen(a.norm) <= MK_ADDR_MAX);
	/* The normalized form is a fixed point. */
	assert_int_equal(mk_addr_parse(a.norm, strlen(a.norm), o, &b), 0);
	assert_string_equal(b.norm, a.norm);
	assert_string_equal(b.local, a.local);
	assert_string_equal(b.domain, a.domain);
}

static void
run_bad(void **state)
{
	const struct bad *t = *state;
	struct mk_addr a;
	char in[1024];
	size_t len = expand(t->in, in, sizeof(in));
	int rc;

	if (t->len != 0) {		/* embedded NUL: take the bytes as they are */
		len = t->len;
		memcpy(in, t->in, len);
	}
	memset(&a, 'x', sizeof(a));
	rc = mk_addr_parse(in, len, NULL, &a);
	if (rc != t->code)
		fail_msg("%s: got %d (%s), want %d (%s)", t->what, rc,
		    mk_addr_strerror(rc), t->code, mk_addr_strerror(t->code));
	assert_string_equal(a.norm, "");
	assert_string_equal(a.local, "");
	assert_string_equal(a.domain, "");
}

static void
run_dom(void **state)
{
	const struct dom *t = *state;
	char in[1024], want[1024], out[300];
	size_t len = expand(t->in, in, sizeof(in));
	size_t outlen = t->outlen ? t->outlen : MK_ADDR_DOMAIN_MAX + 1;
	int rc;

	memset(out, 'x', sizeof(out));
	rc = mk_addr_domain(in, len, out, outlen);
	assert_int_equal(out[outlen], 'x');	/* nothing past outlen */
	if (t->out == NULL) {
		if (rc != t->code)
			fail_msg("%s: got %d (%s), want %d", t->what, rc,
			    mk_addr_strerror(rc), t->code);
		assert_int_equal(out[0], 0);
		return;
	}
	if (rc != 0)
		fail_msg("%s: %s", t->what, mk_addr_strerror(rc));
	expand(t->out, want, sizeof(want));
	assert_string_equal(out, want);
}

static void
test_strerror(void **state)
{
	int codes[] = {MK_ADDR_OK, MK_ADDR_ETOOLONG, MK_ADDR_EEMPTY,
	    MK_ADDR_ENULL, MK_ADDR_ENOAT, MK_ADDR_EEMPTYLOCAL,
	    MK_ADDR_EQUOTE, MK_ADDR_ECTRL, MK_ADDR_ELOCAL, MK_ADDR_EDOMAIN,
	    MK_ADDR_EIDN, MK_ADDR_EBRACKET, MK_ADDR_EUTF8};
	size_t n = sizeof(codes) / sizeof(codes[0]), i, j;
	const char *unknown = mk_addr_strerror(-999);

	assert_non_null(unknown);
	for (i = 0; i < n; i++) {
		const char *m = mk_addr_strerror(codes[i]);

		assert_non_null(m);
		assert_true(strlen(m) > 5);
		assert_string_not_equal(m, unknown);
		for (j = 0; j < i; j++)
			assert_string_not_equal(m, mk_addr_strerror(codes[j]));
	}
}

/* Same parse for a delimiter given as 0 and as '+'. */
static void
test_default_delim(void **state)
{
	struct mk_addr_opts o = {0, 1, 0};
	struct mk_addr a;

	assert_int_equal(mk_addr_parse("a+b@x.example", 13, &o, &a), 0);
	assert_string_equal(a.norm, "a@x.example");
	assert_string_equal(a.local, "a");
	assert_string_equal(a.domain, "x.example");
	/* len bounds the input: the rest of the buffer is not read. */
	assert_int_equal(mk_addr_parse("a@x.example>junk", 11, NULL, &a), 0);
	assert_string_equal(a.norm, "a@x.example");
}

#define NGOOD (sizeof(goods) / sizeof(goods[0]))
#define NBAD (sizeof(bads) / sizeof(bads[0]))
#define NDOM (sizeof(doms) / sizeof(doms[0]))

int
main(void)
{
	struct CMUnitTest tests[NGOOD + NBAD + NDOM + 2];
	static char names[NGOOD + NBAD + NDOM][96];
	size_t i, k = 0;

	memset(tests, 0, sizeof(tests));
	for (i = 0; i < NGOOD; i++, k++) {
		snprintf(names[k], sizeof(names[k]), "good: %s", goods[i].what);
		tests[k].name = names[k];
		tests[k].test_func = run_good;
		tests[k].initial_state = (void *) &goods[i];
	}
	for (i = 0; i < NBAD; i++, k++) {
		snprintf(names[k], sizeof(names[k]), "bad: %s", bads[i].what);
		tests[k].name = names[k];
		tests[k].test_func = run_bad;
		tests[k].initial_state = (void *) &bads[i];
	}
	for (i = 0; i < NDOM; i++, k++) {
		snprintf(names[k], sizeof(names[k]), "domain: %s",
		    doms[i].what);
		tests[k].name = names[k];
		tests[k].test_func = run_dom;
		tests[k].initial_state = (void *) &doms[i];
	}
	tests[k].name = "strerror: every code has its own message";
	tests[k++].test_func = test_strerror;
	tests[k].name = "options: delimiter 0 means '+', len bounds input";
	tests[k++].test_func = test_default_delim;
	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
