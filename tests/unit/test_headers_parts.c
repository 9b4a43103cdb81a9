/*
 * test_headers_parts.c - unit tests of the parts of milterkit-headers'
 * header logic: the unsubscribe token, the secret file, the configuration
 * rows, the session choice, Message-ID syntax and generation, the Date in
 * the local zone, address lists, UTF-8 and the edit order.
 */
#include "config.h"

#include <dirent.h>
#include <fnmatch.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "mk_token.h"
#include "headers.h"
#include "headers_conf.h"
#include "headers_priv.h"
#include "mk_conf.h"
#include "mk_mem.h"

#include "headers_fx.h"

static const unsigned char key[] = SECRET;
#define KEYLEN (sizeof(key) - 1)

/* A token verifies for its recipient and domain, in either case. */
static void
test_token_verifies(void **st)
{
	char tok[MK_TOKEN_UNSUB_LEN + 1], up[MK_TOKEN_UNSUB_LEN + 1];

	assert_int_equal(mk_token_unsub(key, KEYLEN, "bob@example.net",
	    "example.com", tok), 0);
	assert_int_equal(strlen(tok), MK_TOKEN_UNSUB_LEN);
	assert_int_equal(strspn(tok, "abcdefghijklmnopqrstuvwxyz234567"),
	    MK_TOKEN_UNSUB_LEN);
	assert_int_equal(mk_token_unsub_verify(key, KEYLEN, tok, "bob@example.net",
	    "example.com"), 1);
	for (int i = 0; i <= MK_TOKEN_UNSUB_LEN; i++)
		up[i] = (tok[i] >= 'a' && tok[i] <= 'z') ?
		    (char)(tok[i] - 32) : tok[i];
	assert_int_equal(mk_token_unsub_verify(key, KEYLEN, up, "Bob@Example.NET",
	    "EXAMPLE.com"), 1);
}

/* A tampered token, another recipient, domain or key do not verify. */
static void
test_token_tampered_fails(void **st)
{
	char tok[MK_TOKEN_UNSUB_LEN + 1];
	static const unsigned char other[] = "another-secret-of-some-length";

	assert_int_equal(mk_token_unsub(key, KEYLEN, "bob@example.net",
	    "example.com", tok), 0);
	tok[5] = tok[5] == 'a' ? 'b' : 'a';
	assert_int_equal(mk_token_unsub_verify(key, KEYLEN, tok, "bob@example.net",
	    "example.com"), 0);
	tok[5] = tok[5] == 'a' ? 'b' : 'a';	/* not necessarily restored */
	assert_int_equal(mk_token_unsub(key, KEYLEN, "bob@example.net",
	    "example.com", tok), 0);
	assert_int_equal(mk_token_unsub_verify(key, KEYLEN, tok, "eve@example.net",
	    "example.com"), 0);
	assert_int_equal(mk_token_unsub_verify(key, KEYLEN, tok, "bob@example.net",
	    "example.org"), 0);
	assert_int_equal(mk_token_unsub_verify(other, sizeof(other) - 1, tok,
	    "bob@example.net", "example.com"), 0);
	tok[MK_TOKEN_UNSUB_LEN - 1] = '\0';
	assert_int_equal(mk_token_unsub_verify(key, KEYLEN, tok, "bob@example.net",
	    "example.com"), 0);
	assert_int_equal(mk_token_unsub_verify(key, KEYLEN, NULL, "bob@example.net",
	    "example.com"), 0);
	assert_int_equal(mk_token_unsub(key, KEYLEN, "not an address",
	    "example.com", tok), -1);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
}

/* The secret file: trailing newline dropped; short, open to others or
 * missing is an error. */
static void
test_secret_file(void **st)
{
	char path[] = "/tmp/test_headers_key.XXXXXX", err[256];
	unsigned char *k;
	size_t len;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	write_file(path, SECRET "\n", 0600);
	assert_int_equal(mk_token_key_load(path, "k", &k, &len, err,
	    sizeof(err)),
	    0);
	assert_int_equal(len, KEYLEN);
	assert_memory_equal(k, SECRET, KEYLEN);
	free(k);
	write_file(path, SECRET, 0644);
	assert_int_equal(mk_token_key_load(path, "k", &k, &len, err,
	    sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "readable by others"));
	write_file(path, "short\n", 0600);
	assert_int_equal(mk_token_key_load(path, "k", &k, &len, err,
	    sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "16 to 1024"));
	unlink(path);
	assert_int_equal(mk_token_key_load(path, "k", &k, &len, err,
	    sizeof(err)),
	    -1);
	assert_null(k);
}

/* ---- configuration ---- */

/* Bad [headers] values are configuration errors naming the problem. */
static void
test_config_rejects_bad_values(void **st)
{
	static const struct { const char *text, *err; } bad[] = {
		{ "feedback_id = %u:%x", "unknown %x" },
		{ "feedback_id = a b", "without blanks" },
		{ "unsubscribe_url = http://x/%t", "https://" },
		{ "unsubscribe_url = https://x/", "must contain %t" },
		{ "unsubscribe_mailto = unsubscribe@%d", "must contain %t" },
		{ "unsubscribe_mailto = %t", "LOCAL@DOMAIN" },
		{ "unsubscribe_domains = exa mple..com", "bad name" },
		{ "internal_hosts = bad_host!", "bad name" },
		{ "internal_networks = 10.1.0.0/8", "" },
		{ "remove_headers = X-Foo, Bad:Name", "bad header name" },
		{ "remove_headers = X-*-Foo", "bad header name" },
		{ "message_id_domain = a.example, b.example", "one domain" },
		{ "duplicates = first", "" },
		{ "max_headers = 5", "" },
		{ "unsubscribe_domains = example.com",
		  "needs unsubscribe_secret_file" },
		{ "unsubscribe_domains = example.com\n"
		  "unsubscribe_secret_file = /nonexistent/key", "No such file" },
		{ "unsubscribe_domains = example.com\nunsubscribe_mailto =\n"
		  "unsubscribe_secret_file = /dev/null",
		  "needs unsubscribe_mailto or unsubscribe_url" },
	};
	char err[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (rules_from(bad[i].text, err, sizeof(err)) != NULL)
			fail_msg("accepted: %s", bad[i].text);
		if (strstr(err, bad[i].err) == NULL)
			fail_msg("%s: error \"%s\" lacks \"%s\"", bad[i].text,
			    err, bad[i].err);
	}
}

/* The defaults: every rule on, the documented values. */
static void
test_config_defaults(void **st)
{
	struct mk_conf *conf = mk_conf_new_defaults();
	const struct hdr_conf *h = hdr_conf(conf);

	assert_int_equal(h->max_headers, 1000);
	assert_int_equal(h->max_header_size, 65536);
	assert_true(h->message_id && h->date &&
	    h->mime_version);
	assert_int_equal(h->date_zone, HDR_CONF_ZONE_LOCAL);
	assert_int_equal(h->missing_from, HDR_CONF_FROM_REJECT);
	assert_int_equal(h->multiple_from, HDR_CONF_REJECT);
	assert_int_equal(h->duplicates, HDR_CONF_DUP_REJECT);
	assert_int_equal(h->long_lines, HDR_CONF_LONG_FOLD);
	assert_int_equal(h->eight_bit, HDR_CONF_8BIT_ENCODE);
	assert_non_null(strstr(h->remove, "X-Originating-IP"));
	assert_string_equal(h->unsub_mailto, "unsubscribe+%t@%d");
	assert_string_equal(h->feedback_id, "");
	mk_conf_free(conf);
}

/* check = authenticated, networks: either selects the session. */
static void
test_session_checked(void **st)
{
	struct hdr_rules *r = rules_ok("check = authenticated, networks\n"
	    "networks = 192.0.2.0/24");
	const struct mk_session_choice *sc = hdr_sessions(r);
	struct hdr_limits lim;

	assert_true(mk_session_selected(sc->which, &sc->networks, 1,
	    "198.51.100.1"));
	assert_true(mk_session_selected(sc->which, &sc->networks, 0,
	    "192.0.2.7"));
	assert_false(mk_session_selected(sc->which, &sc->networks, 0,
	    "198.51.100.1"));
	hdr_rules_limits(r, &lim);
	assert_int_equal(lim.max_headers, 1000);
	assert_int_equal(lim.max_header_len, 65536);
	hdr_rules_free(r);
	r = rules_ok(NULL);
	sc = hdr_sessions(r);
	assert_int_equal(sc->which, 0);	/* all */
	assert_true(mk_session_selected(sc->which, &sc->networks, 0,
	    "198.51.100.1"));
	hdr_rules_free(r);
	hdr_rules_free(NULL);
}

/* ---- Message-ID, Date ---- */

/* msg-id syntax: one <left@right>, comments around allowed. */
static void
test_msgid_syntax(void **st)
{
	static const char *const good[] = {
		" <a@b>", "<a.b.c@example.com>", " (x) <a@[192.0.2.1]> (y)",
		" <a+b=c@d>\r\n ", " \n\t<x@y>",
	};
	static const char *const bad[] = {
		"", " ", " a@b", " <a@b", " <@b>", " <a@>", " <a..b@c>",
		" <a@b> <c@d>", " <\"q\"@b>", " <a@b> (open", " <a b@c>",
		" <a@[x[y]>", " <\xc3\xa9@b>", " <a@b>)", " <.a@b>",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!hdr_msgid_valid(good[i]))
			fail_msg("rejected: \"%s\"", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (hdr_msgid_valid(bad[i]))
			fail_msg("accepted: \"%s\"", bad[i]);
}

/* New Message-IDs are valid, carry the domain, and never repeat. */
static void
test_msgid_unique(void **st)
{
	char a[128], b[128];

	hdr_msgid_new("example.com", a, sizeof(a));
	hdr_msgid_new("example.com", b, sizeof(b));
	assert_true(hdr_msgid_valid(a));
	assert_true(hdr_msgid_valid(b));
	assert_string_not_equal(a, b);
	assert_non_null(strstr(a, "@example.com>"));
	/* "<TIME.COUNT.RANDOM@": 16 base32 characters of randomness */
	{
		char *at = strchr(a, '@'), *r = at;

		while (r > a && r[-1] != '.')
			r--;
		assert_int_equal(at - r, 16);
		assert_int_equal(strspn(r, "abcdefghijklmnopqrstuvwxyz234567"),
		    16);
	}
}

/* date_zone = local writes the zone's offset; utc +0000. */
static void
test_date_local_zone(void **st)
{
	char d[64];

	setenv("TZ", "XST-05:30", 1);
	tzset();
	hdr_date_format(NOW, 0, d, sizeof(d));
	assert_string_equal(d, "Wed, 15 Nov 2023 03:43:20 +0530");
	setenv("TZ", "YST+03", 1);
	tzset();
	hdr_date_format(NOW, 0, d, sizeof(d));
	assert_string_equal(d, "Tue, 14 Nov 2023 19:13:20 -0300");
	hdr_date_format(NOW, 1, d, sizeof(d));
	assert_string_equal(d, "Tue, 14 Nov 2023 22:13:20 +0000");
	unsetenv("TZ");
	tzset();
}

/* Edits: changes and deletions by descending position, additions last. */
static void
test_edit_order(void **st)
{
	struct hdr_rules *r = rules_ok("duplicates = keep-first\n"
	    "remove_headers = X-Leak");
	const struct hdr_field h[] = {
		{ "To", " a@example.net" }, { "X-Leak", " 1" },
		{ "To", " b@example.net" }, { "Subject", " s\xc3\xa9" },
		{ "X-Leak", " 2" }, { "To", " c@example.net" },
		{ "From", " f@example.com" },
	};
	struct hdr_msg m = { h, 7, "f@example.com", 0, NULL, "192.0.2.1", 1,
	    "rcpt@example.net", "Q1", NOW };
	struct hdr_result res;
	static const struct { enum hdr_op op; const char *name; size_t i; }
	    want[] = {
		{ HDR_DELETE, "To", 3 }, { HDR_DELETE, "X-Leak", 2 },
		{ HDR_CHANGE, "Subject", 1 }, { HDR_DELETE, "To", 2 },
		{ HDR_DELETE, "X-Leak", 1 }, { HDR_ADD, "Message-ID", 0 },
		{ HDR_ADD, "Date", 0 },
	};

	hdr_rewrite(r, &m, &res);
	assert_false(res.reject);
	assert_int_equal(res.ne, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < res.ne; i++) {
		assert_int_equal(res.e[i].op, want[i].op);
		assert_string_equal(res.e[i].name, want[i].name);
		assert_int_equal(res.e[i].index, want[i].i);
		assert_non_null(res.e[i].why);
	}
	hdr_result_free(&res);
	hdr_result_free(&res);		/* twice is harmless */
	hdr_rules_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_verifies),
		cmocka_unit_test(test_token_tampered_fails),
		cmocka_unit_test(test_secret_file),
		cmocka_unit_test(test_config_rejects_bad_values),
		cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_session_checked),
		cmocka_unit_test(test_msgid_syntax),
		cmocka_unit_test(test_msgid_unique),
		cmocka_unit_test(test_date_local_zone),
		cmocka_unit_test(test_edit_order),
	};

	return cmocka_run_group_tests_name("headers_parts", tests, group_setup,
	    group_teardown);
}
