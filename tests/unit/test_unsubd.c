/*
 * test_unsubd.c - unit tests of milterkit-unsubd's decisions
 * (unsubd/unsub.c, page.c) without HTTP: query parameters (duplicates,
 * empty, overlong, unknown), token and address checks, the one-click body
 * in both encodings RFC 8058 allows, the suppression written to a real store
 * in a temporary directory (scope, normalization, idempotence, an expired
 * entry, a store that cannot be opened), the rate limit's token bucket, the
 * pages' escaping and form, and the decision line.
 */
#include "config.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mk_log.h"
#include "mk_store.h"
#include "mk_token.h"
#include "unsub.h"

#define NOW 1700000000

static const unsigned char key[] = "0123456789abcdef-test-key";
#define KEYLEN (sizeof(key) - 1)

struct fx {
	char dir[64];
};

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/mk_unsubd.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* A request for rcpt and domain with a token made for tok_rcpt. */
static void
req(struct unsub_req *q, const char *rcpt, const char *dom,
    const char *tok_rcpt)
{
	char t[MK_TOKEN_UNSUB_LEN + 1];

	assert_int_equal(mk_token_unsub(key, KEYLEN, tok_rcpt, dom, t), 0);
	unsub_req_init(q);
	unsub_req_param(q, "d", dom);
	unsub_req_param(q, "r", rcpt);
	unsub_req_param(q, "t", t);
}

static void
test_params(void **state)
{
	struct unsub_req q;
	char big[400];

	(void)state;
	unsub_req_init(&q);
	unsub_req_param(&q, "utm_source", "x");
	unsub_req_param(&q, "d", "example.org");
	unsub_req_param(&q, NULL, "x");
	assert_null(q.bad);
	assert_int_equal(q.have, UNSUB_HAVE_D);
	assert_int_equal(unsub_check(&q, key, KEYLEN), UNSUB_EPARAM);

	unsub_req_param(&q, "d", "example.net");	/* twice */
	assert_string_equal(q.bad, "parameter given twice");
	assert_string_equal(q.d, "example.org");

	unsub_req_init(&q);
	unsub_req_param(&q, "r", NULL);		/* "?r" without '=' */
	assert_string_equal(q.bad, "empty parameter");

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	unsub_req_init(&q);
	unsub_req_param(&q, "r", big);
	assert_string_equal(q.bad, "parameter too long");
	assert_int_equal(strlen(q.r), sizeof(q.r) - 1);
}

static void
test_check(void **state)
{
	struct unsub_req q;

	(void)state;
	req(&q, "Bob@Example.COM", "example.org", "bob@example.com");
	assert_int_equal(unsub_check(&q, key, KEYLEN), 0);
	/* the same token in upper case */
	for (char *p = q.t; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	assert_int_equal(unsub_check(&q, key, KEYLEN), 0);

	/* a token of another recipient */
	req(&q, "carol@example.com", "example.org", "bob@example.com");
	assert_int_equal(unsub_check(&q, key, KEYLEN), UNSUB_ETOKEN);
	/* another key */
	req(&q, "bob@example.com", "example.org", "bob@example.com");
	assert_int_equal(unsub_check(&q, (const unsigned char *)
	    "another key, 16+ octets", 23), UNSUB_ETOKEN);
	/* a token one character short: a bad parameter, not a bad token */
	req(&q, "bob@example.com", "example.org", "bob@example.com");
	q.t[MK_TOKEN_UNSUB_LEN - 1] = '\0';
	assert_int_equal(unsub_check(&q, key, KEYLEN), UNSUB_EPARAM);
	/* not an address, not a domain */
	req(&q, "bob@example.com", "example.org", "bob@example.com");
	strcpy(q.r, "no at sign");
	assert_int_equal(unsub_check(&q, key, KEYLEN), UNSUB_EPARAM);
	req(&q, "bob@example.com", "example.org", "bob@example.com");
	strcpy(q.d, "exa mple..org");
	assert_int_equal(unsub_check(&q, key, KEYLEN), UNSUB_EPARAM);
	/* no key loaded */
	req(&q, "bob@example.com", "example.org", "bob@example.com");
	assert_int_equal(unsub_check(&q, NULL, 0), UNSUB_ENOKEY);
}

static const struct {
	const char *ctype;
	const char *body;
	int want;
} bodies[] = {
	{ "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click", 1 },
	{ NULL, "List-Unsubscribe=One-Click", 1 },
	{ "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click\r\n", 1 },
	{ "application/x-www-form-urlencoded", "a=1&List-Unsubscribe=One-Click&b", 1 },
	{ "application/x-www-form-urlencoded", "List%2DUnsubscribe=One%2dClick", 1 },
	{ "application/x-www-form-urlencoded", "List-Unsubscribe=One-Clickx", 0 },
	{ "application/x-www-form-urlencoded", "List-Unsubscribe=One+Click", 0 },
	{ "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click%", 0 },
	{ "application/x-www-form-urlencoded", "List-Unsubscribe", 0 },
	{ "application/x-www-form-urlencoded", "", 0 },
	{ "application/x-www-form-urlencoded", "=&&=", 0 },
	{ "multipart/form-data; boundary=XyZ",
	    "--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\""
	    "\r\n\r\nOne-Click\r\n--XyZ--\r\n", 1 },
	{ "multipart/form-data; boundary=\"a b\"",
	    "--a b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\ny\r\n"
	    "--a b\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\""
	    "\r\n\r\nOne-Click\r\n--a b--\r\n", 1 },
	{ "multipart/form-data; boundary=XyZ",
	    "--XyZ\r\nContent-Disposition: form-data; filename=\"List-Unsubscribe\""
	    "\r\n\r\nOne-Click\r\n--XyZ--\r\n", 0 },
	{ "multipart/form-data; boundary=XyZ",
	    "--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\""
	    "\r\n\r\nNo\r\n--XyZ--\r\n", 0 },
	{ "multipart/form-data; boundary=XyZ",	/* never closed */
	    "--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\""
	    "\r\n\r\nOne-Click", 0 },
	{ "multipart/form-data",			/* no boundary */
	    "--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\""
	    "\r\n\r\nOne-Click\r\n--XyZ--\r\n", 0 },
	{ "multipart/form-data; boundary=XyZ", "List-Unsubscribe=One-Click", 0 },
};

static void
test_body(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		int got = unsub_body_ok(bodies[i].ctype, bodies[i].body,
		    strlen(bodies[i].body));

		if (got != bodies[i].want)
			fail_msg("body %zu (%s): got %d", i, bodies[i].body, got);
	}
	assert_int_equal(unsub_body_ok(NULL, NULL, 0), 0);
	/* a length that stops before the pair */
	assert_int_equal(unsub_body_ok(NULL, "List-Unsubscribe=One-Click", 20),
	    0);
}

static int
count(const struct mk_supp_entry *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static int
entries(const char *dir)
{
	struct mk_store *st = NULL;
	struct mk_supp_filter flt = { NULL, MK_REASON_ANY, 1, NOW };
	int n = 0;

	assert_int_equal(mk_store_open(dir, MK_STORE_RDONLY, NULL, &st), 0);
	assert_int_equal(mk_supp_list(st, &flt, count, &n), 0);
	mk_store_close(st);
	return n;
}

static void
test_apply(void **state)
{
	struct fx *f = *state;
	struct unsub_req q;
	struct mk_store *st = NULL;
	struct mk_supp_entry e;
	char why[512];

	req(&q, "Bob@Example.COM", "Example.ORG", "bob@example.com");
	assert_int_equal(unsub_check(&q, key, KEYLEN), 0);
	/* no store yet: created */
	assert_int_equal(unsub_apply(&q, f->dir, NULL, NOW, why, sizeof(why)),
	    UNSUB_ADDED);
	assert_int_equal(mk_store_open(f->dir, MK_STORE_RDONLY, NULL, &st), 0);
	assert_int_equal(mk_supp_get(st, "example.org", "bob@example.com", &e),
	    0);
	assert_int_equal(e.reason, MK_REASON_UNSUBSCRIBE);
	assert_int_equal(e.created, NOW);
	assert_int_equal(e.expires, 0);
	assert_string_equal(e.note, "one-click");
	/* scoped only: no global entry */
	assert_int_equal(mk_supp_get(st, "", "bob@example.com", &e),
	    MK_STORE_ENOTFOUND);
	mk_store_close(st);

	/* again: left as it is */
	assert_int_equal(unsub_apply(&q, f->dir, NULL, NOW + 100, why,
	    sizeof(why)), UNSUB_ALREADY);
	assert_int_equal(entries(f->dir), 1);
	assert_int_equal(mk_store_open(f->dir, MK_STORE_RDONLY, NULL, &st), 0);
	assert_int_equal(mk_supp_get(st, "example.org", "bob@example.com", &e),
	    0);
	assert_int_equal(e.created, NOW);
	mk_store_close(st);
}

static void
test_apply_existing(void **state)
{
	struct fx *f = *state;
	struct unsub_req q;
	struct mk_store *st = NULL;
	struct mk_store_opts o;
	struct mk_supp_entry e;
	char why[512];

	/* a store that strips +tags: the target follows it */
	memset(&o, 0, sizeof(o));
	o.addr.strip_subaddress = 1;
	assert_int_equal(mk_store_open(f->dir, MK_STORE_CREATE, &o, &st), 0);
	memset(&e, 0, sizeof(e));
	strcpy(e.scope, "example.org");
	strcpy(e.target, "ann@example.com");
	e.reason = MK_REASON_BOUNCE;
	e.created = NOW - 1000;
	e.expires = NOW - 10;			/* expired */
	assert_int_equal(mk_supp_add(st, &e), 0);
	strcpy(e.target, "dan@example.com");
	e.expires = NOW + 1000;			/* still in force */
	assert_int_equal(mk_supp_add(st, &e), 0);
	mk_store_close(st);
	st = NULL;

	req(&q, "ann+news@example.com", "example.org", "ann+news@example.com");
	assert_int_equal(unsub_apply(&q, f->dir, NULL, NOW, why, sizeof(why)),
	    UNSUB_REPLACED);
	req(&q, "dan@example.com", "example.org", "dan@example.com");
	assert_int_equal(unsub_apply(&q, f->dir, NULL, NOW, why, sizeof(why)),
	    UNSUB_ALREADY);
	assert_int_equal(mk_store_open(f->dir, MK_STORE_RDONLY, NULL, &st), 0);
	assert_int_equal(mk_supp_get(st, "example.org", "ann@example.com", &e),
	    0);
	assert_int_equal(e.reason, MK_REASON_UNSUBSCRIBE);
	assert_int_equal(e.expires, 0);
	assert_int_equal(mk_supp_get(st, "example.org", "dan@example.com", &e),
	    0);
	assert_int_equal(e.reason, MK_REASON_BOUNCE);
	mk_store_close(st);
	assert_int_equal(entries(f->dir), 2);
}

static void
test_apply_store_error(void **state)
{
	struct fx *f = *state;
	struct unsub_req q;
	char path[128], why[512];
	FILE *fp;

	/* the store path is a file */
	snprintf(path, sizeof(path), "%s/file", f->dir);
	assert_non_null(fp = fopen(path, "w"));
	fclose(fp);
	req(&q, "bob@example.com", "example.org", "bob@example.com");
	assert_int_equal(unsub_apply(&q, path, NULL, NOW, why, sizeof(why)),
	    UNSUB_ESTORE);
	assert_true(strstr(why, "cannot open store") != NULL);
}

static void
test_rate(void **state)
{
	struct unsub_rate b;
	const int64_t s = 1000000000;
	int i, n = 0;

	(void)state;
	unsub_rate_init(&b, 3);
	for (i = 0; i < 10; i++)
		n += unsub_rate_take(&b, 5 * s);
	assert_int_equal(n, 3);			/* the burst */
	assert_int_equal(unsub_rate_take(&b, 5 * s + s / 3 + 1), 1);
	assert_int_equal(unsub_rate_take(&b, 5 * s + s / 3 + 2), 0);
	/* a long pause refills no more than the burst */
	for (i = 0, n = 0; i < 10; i++)
		n += unsub_rate_take(&b, 100 * s);
	assert_int_equal(n, 3);
	/* a clock going back gives nothing */
	assert_int_equal(unsub_rate_take(&b, 50 * s), 0);
	unsub_rate_set(&b, 5);
	for (i = 0, n = 0; i < 10; i++)
		n += unsub_rate_take(&b, 100 * s);
	assert_int_equal(n, 5);
	unsub_rate_destroy(&b);
}

static void
test_pages(void **state)
{
	struct unsub_req q;
	char *p;

	(void)state;
	unsub_req_init(&q);
	unsub_req_param(&q, "d", "example.org");
	unsub_req_param(&q, "r", "\"<script>\"@example.com");
	p = unsub_page_confirm("Unsub & <co>", &q);
	assert_null(strstr(p, "<script>"));
	assert_non_null(strstr(p, "&quot;&lt;script&gt;&quot;@example.com"));
	assert_non_null(strstr(p, "<title>Unsub &amp; &lt;co&gt;</title>"));
	assert_non_null(strstr(p, "<form method=\"post\">"));
	assert_non_null(strstr(p, "name=\"List-Unsubscribe\" "
	    "value=\"One-Click\""));
	assert_null(strstr(p, "action="));	/* posts to the page's URL */
	free(p);
	p = unsub_page_done("T", &q);
	assert_null(strstr(p, "<script>"));
	assert_null(strstr(p, "<form"));
	free(p);
	p = unsub_page_text("T", "a<b");
	assert_non_null(strstr(p, "<p>a&lt;b</p>"));
	free(p);
}

static char logged[1024];

static void
sink(enum mk_log_level lvl, const char *line, void *arg)
{
	(void)lvl;
	(void)arg;
	snprintf(logged, sizeof(logged), "%s", line);
}

static void
test_log(void **state)
{
	struct unsub_req q;

	(void)state;
	mk_log_set_level(MK_LOG_DEBUG);
	mk_log_set_sink(sink, NULL);
	unsub_req_init(&q);
	unsub_req_param(&q, "d", "example.org");
	unsub_req_param(&q, "r", "a\nb@example.com");
	unsub_log(UNSUB_ETOKEN, &q, "127.0.0.1", NULL);
	assert_non_null(strstr(logged, "unsubscribe rcpt=<a?b@example.com> "
	    "scope=example.org client=127.0.0.1 result=bad-token"));
	unsub_req_init(&q);
	unsub_log(UNSUB_EPARAM, &q, "unix", NULL);
	assert_non_null(strstr(logged, "result=bad-param why=parameter "
	    "missing"));
	unsub_log(UNSUB_ESTORE, &q, NULL, "cannot open store: x");
	assert_non_null(strstr(logged, "client=unknown result=store-error "
	    "why=cannot open store: x"));
	mk_log_set_sink(NULL, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_body),
		cmocka_unit_test_setup_teardown(test_apply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_existing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_apply_store_error, setup,
		    teardown),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
