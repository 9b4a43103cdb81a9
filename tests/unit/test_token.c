/*
 * test_token.c - the return-path token of common/token.c: what the
 * returnpath filter writes maps back to sender, recipient and day, and
 * nothing else parses (the List-Unsubscribe token's cases live in
 * test_headers_parts.c, beside the rule that writes it).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mk_token.h"

static const unsigned char key[] = "a-return-path-secret-key";
#define KEYLEN (sizeof(key) - 1)
#define NOW 1780000000LL		/* 2026-05-28 */

static int
rp(const char *s, const char *r, int64_t now, int days, char *out, size_t n)
{
	return mk_token_rp_make(key, KEYLEN, s, r, now, days, out, n);
}

static int
parse(const char *local, int64_t now, struct mk_rp_token *t)
{
	return mk_token_rp_parse(key, KEYLEN, local, strlen(local), now, t);
}

/* Sender and recipient come back, lower-cased; the day bounds validity. */
static void
test_round_trip(void **st)
{
	char out[MK_TOKEN_RP_MAX + 1];
	struct mk_rp_token t;

	assert_int_equal(rp("News@Example.COM", "Bob@example.net", NOW, 14,
	    out, sizeof(out)), 0);
	assert_true(strncmp(out, "b0=", 3) == 0);
	assert_non_null(strstr(out, "=news=example.com=bob=example.net"));
	assert_int_equal(parse(out, NOW, &t), 0);
	assert_string_equal(t.sender, "news@example.com");
	assert_string_equal(t.sender_domain, "example.com");
	assert_string_equal(t.rcpt, "bob@example.net");
	assert_int_equal(t.expires, (NOW / 86400 + 15) * 86400 - 1);
	assert_int_equal(parse(out, t.expires, &t), 0);
	assert_int_equal(parse(out, t.expires + 1, &t), MK_TOKEN_EEXPIRED);
	assert_string_equal(t.rcpt, "bob@example.net");	/* for the log */
	assert_int_equal(mk_token_rp_is(out, strlen(out)), 1);
}

/* Without a recipient; an MTA that upper-cases the local part. */
static void
test_sender_only_and_case(void **st)
{
	char out[MK_TOKEN_RP_MAX + 1];
	struct mk_rp_token t;

	assert_int_equal(rp("news@example.com", NULL, NOW, 1, out,
	    sizeof(out)), 0);
	for (char *p = out; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 32);
	assert_int_equal(parse(out, NOW, &t), 0);
	assert_string_equal(t.sender, "news@example.com");
	assert_string_equal(t.rcpt, "");
}

/* '=', '@', '~' and other octets in local parts survive the encoding. */
static void
test_escapes(void **st)
{
	char out[MK_TOKEN_RP_MAX + 1];
	struct mk_rp_token t;

	assert_int_equal(rp("a=b~c@example.com", "\"x@y\"@example.net", NOW, 3,
	    out, sizeof(out)), 0);
	assert_null(strchr(out + 3 + 8 + 1 + 4 + 1, '@'));
	assert_non_null(strstr(out, "a~3db~7ec=example.com"));
	assert_int_equal(parse(out, NOW, &t), 0);
	assert_string_equal(t.sender, "a=b~c@example.com");
	assert_string_equal(t.rcpt, "\"x@y\"@example.net");
}

/* Another key, a changed field, day or hash: never a match. */
static void
test_forgeries(void **st)
{
	static const unsigned char other[] = "another-key-of-some-size";
	char out[MK_TOKEN_RP_MAX + 1], bad[MK_TOKEN_RP_MAX + 1];
	struct mk_rp_token t;
	char *p;

	assert_int_equal(rp("news@example.com", "bob@example.net", NOW, 14,
	    out, sizeof(out)), 0);
	assert_int_equal(mk_token_rp_parse(other, sizeof(other) - 1, out,
	    strlen(out), NOW, &t), MK_TOKEN_EHASH);
	assert_string_equal(t.sender, "");
	strcpy(bad, out);
	p = strstr(bad, "bob");
	*p = 'r';
	assert_int_equal(parse(bad, NOW, &t), MK_TOKEN_EHASH);
	strcpy(bad, out);
	bad[3 + 8 + 1 + 3] = bad[3 + 8 + 1 + 3] == 'z' ? 'y' : 'z'; /* day */
	assert_int_equal(parse(bad, NOW, &t), MK_TOKEN_EHASH);
	strcpy(bad, out);
	bad[4] = bad[4] == 'a' ? 'b' : 'a';
	assert_int_equal(parse(bad, NOW, &t), MK_TOKEN_EHASH);
	/* The recipient dropped: the hash covered it. */
	strcpy(bad, out);
	*strstr(bad, "=bob") = '\0';
	assert_int_equal(parse(bad, NOW, &t), MK_TOKEN_EHASH);
}

/* Shapes that are not ours are EFORMAT, before any hash. */
static void
test_not_ours(void **st)
{
	static const char *const cases[] = {
		"", "bob", "b0=", "b0=abcdefgh", "b0=abcdefgh=aaaa",
		"b0=abcdefgh=aaaa=news", "b0=abcdefg=aaaa=news=example.com",
		"b0=abcdefgh=aaa=news=example.com",
		"b0=abcdefgh=aa1a=news=example.com",	/* 1 is not base32 */
		"b0=abcdefgh=aaaa=news=example.com=bob",
		"b0=abcdefgh=aaaa=news=example.com=bob=example.net=x",
		"b0=abcdefgh=aaaa==example.com",
		"b0=abcdefgh=aaaa=news=",
		"b0=abcdefgh=aaaa=ne!ws=example.com",	/* raw, not escaped */
		"b0=abcdefgh=aaaa=n~6ews=example.com",	/* 'n' escaped */
		"b0=abcdefgh=aaaa=n~4eews=example.com",	/* 'N' escaped */
		"b0=abcdefgh=aaaa=n~0=example.com",
		"b0=abcdefgh=aaaa=n~=example.com",
		"b0=abcdefgh=aaaa=n~00=example.com",
		"SRS0=HHH=TT=example.com=news",
	};
	struct mk_rp_token t;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parse(cases[i], NOW, &t) != MK_TOKEN_EFORMAT)
			fail_msg("parsed: \"%s\"", cases[i]);
	}
	assert_int_equal(mk_token_rp_is("SRS0=x", 6), 0);
	assert_int_equal(mk_token_rp_is("B0=x", 4), 1);
}

/* Bounded output; addresses that do not parse. */
static void
test_limits(void **st)
{
	char out[MK_TOKEN_RP_MAX + 1], small[40];
	char longl[300];

	assert_int_equal(rp("news@example.com", "bob@example.net", NOW, 14,
	    small, sizeof(small)), MK_TOKEN_ETOOLONG);
	assert_string_equal(small, "");
	assert_int_equal(rp("news@example.com", NULL, NOW, 14, small,
	    sizeof(small)), 0);
	assert_int_equal(rp("no-at-sign", NULL, NOW, 14, out, sizeof(out)),
	    MK_TOKEN_EINVAL);
	assert_int_equal(rp("", NULL, NOW, 14, out, sizeof(out)),
	    MK_TOKEN_EINVAL);
	memset(longl, 'a', sizeof(longl) - 1);
	longl[sizeof(longl) - 1] = '\0';
	longl[10] = '@';
	assert_int_equal(rp(longl, NULL, NOW, 14, out, sizeof(out)),
	    MK_TOKEN_EINVAL);
	assert_int_equal(mk_token_rp_make(NULL, 0, "a@b", NULL, NOW, 1, out,
	    sizeof(out)), MK_TOKEN_EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_sender_only_and_case),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_forgeries),
		cmocka_unit_test(test_not_ours),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
