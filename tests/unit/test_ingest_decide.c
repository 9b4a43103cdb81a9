/*
 * test_ingest_decide.c - the rules of tools/ingest_decide.c: which
 * recipient, kind, scope and reason a parsed report gives, tokens
 * checked, forgeries and automatic mail ignored.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ingest_decide.h"

static const unsigned char rpkey[] = "return-path-key-for-tests";
static const unsigned char unkey[] = "unsubscribe-key-for-tests";
#define NOW 1780000000LL

static struct ingest_conf conf;
static struct ing_ctx x;
static struct ingest_report r;
static struct ing_decision d[8];

static int
setup(void **st)
{
	memset(&conf, 0, sizeof(conf));
	conf.bounce_scope = ING_SCOPE_GLOBAL;
	conf.require_token = 1;
	conf.complaints = 1;
	memset(&x, 0, sizeof(x));
	x.c = &conf;
	x.rp_key = rpkey;
	x.rp_keylen = sizeof(rpkey) - 1;
	x.unsub_key = unkey;
	x.unsub_keylen = sizeof(unkey) - 1;
	x.unsub_mailto = "unsubscribe+%t@%d";
	x.now = NOW;
	memset(&r, 0, sizeof(r));
	memset(d, 0, sizeof(d));
	return 0;
}

/* A token address on the bounce domain. */
static void
rp_addr(const char *sender, const char *rcpt, int64_t now, char *out,
    size_t n)
{
	static const char dom[] = "@bounces.example.com";
	size_t l;

	assert_int_equal(mk_token_rp_make(rpkey, sizeof(rpkey) - 1, sender,
	    rcpt, now, 14, out, n - sizeof(dom)), 0);
	l = strlen(out);
	memcpy(out + l, dom, sizeof(dom));
}

static void
item(int kind, const char *rcpt, const char *status)
{
	struct ingest_item *it = &r.items[r.n++];

	it->kind = kind;
	snprintf(it->recipient, sizeof(it->recipient), "%s", rcpt);
	snprintf(it->status, sizeof(it->status), "%s", status);
}

/* A DSN to a valid token: hard suppresses globally, soft is counted,
 * a delay is ignored. */
static void
test_dsn_with_token(void **st)
{
	char env[600];

	rp_addr("news@example.com", "bob@example.net", NOW, env, sizeof(env));
	r.type = ING_T_DSN;
	item(ING_HARD, "Bob@Example.NET", "5.1.1");
	item(ING_SOFT, "full@example.net", "5.2.2");
	item(ING_IGNORED, "late@example.net", "4.4.7");
	assert_int_equal(ing_decide(&x, &r, env, "", d, 8), 3);
	assert_int_equal(d[0].kind, ING_HARD);
	assert_string_equal(d[0].rcpt, "bob@example.net");
	assert_string_equal(d[0].scope, "");
	assert_int_equal(d[0].reason, MK_REASON_BOUNCE);
	assert_string_equal(d[0].status, "5.1.1");
	assert_int_equal(d[1].kind, ING_SOFT);
	assert_int_equal(d[2].kind, ING_IGNORED);

	conf.bounce_scope = ING_SCOPE_SENDER;
	assert_int_equal(ing_decide(&x, &r, env, "", d, 8), 3);
	assert_string_equal(d[0].scope, "example.com");
}

/* A free-text bounce naming nobody takes the token's recipient. */
static void
test_text_bounce_takes_token_rcpt(void **st)
{
	char env[600];

	rp_addr("news@example.com", "carol@example.org", NOW, env, sizeof(env));
	r.type = ING_T_BOUNCE_TEXT;
	item(ING_HARD, "", "5.1.1");
	assert_int_equal(ing_decide(&x, &r, env, NULL, d, 8), 1);
	assert_int_equal(d[0].kind, ING_HARD);
	assert_string_equal(d[0].rcpt, "carol@example.org");
}

/* Forged, expired or missing tokens: a bounce changes nothing. */
static void
test_bounce_token_required(void **st)
{
	char env[600];

	r.type = ING_T_DSN;
	item(ING_HARD, "bob@example.net", "5.1.1");
	rp_addr("news@example.com", NULL, NOW - 30 * 86400, env, sizeof(env));
	assert_int_equal(ing_decide(&x, &r, env, "", d, 8), 1);
	assert_int_equal(d[0].kind, ING_IGNORED);
	assert_non_null(strstr(d[0].why, "expired"));

	rp_addr("news@example.com", NULL, NOW, env, sizeof(env));
	env[4] = env[4] == 'a' ? 'b' : 'a';		/* the hash */
	assert_int_equal(ing_decide(&x, &r, env, "", d, 8), 1);
	assert_int_equal(d[0].kind, ING_IGNORED);
	assert_non_null(strstr(d[0].why, "does not match"));

	assert_int_equal(ing_decide(&x, &r, "postmaster@example.com", "", d,
	    8), 1);
	assert_int_equal(d[0].kind, ING_IGNORED);
	assert_non_null(strstr(d[0].why, "require_token"));

	conf.require_token = 0;
	assert_int_equal(ing_decide(&x, &r, "postmaster@example.com", "", d,
	    8), 1);
	assert_int_equal(d[0].kind, ING_HARD);
}

/* The token may sit in the returned message's Return-Path. */
static void
test_token_in_returned_headers(void **st)
{
	r.type = ING_T_DSN;
	item(ING_HARD, "bob@example.net", "5.1.1");
	rp_addr("news@example.com", NULL, NOW, r.orig_return_path,
	    sizeof(r.orig_return_path));
	conf.bounce_scope = ING_SCOPE_SENDER;
	assert_int_equal(ing_decide(&x, &r, "bounce@relay.example", "", d, 8),
	    1);
	assert_int_equal(d[0].kind, ING_HARD);
	assert_string_equal(d[0].scope, "example.com");
}

/* Complaints: the token's recipient first, scoped to its sender
 * domain; an expired but authentic token still counts. */
static void
test_complaint(void **st)
{
	r.type = ING_T_ARF;
	snprintf(r.feedback_type, sizeof(r.feedback_type), "abuse");
	item(ING_COMPLAINT, "redacted@example.net", "");
	rp_addr("news@example.com", "dave@example.net", NOW - 60 * 86400,
	    r.orig_mail_from, sizeof(r.orig_mail_from));
	assert_int_equal(ing_decide(&x, &r, "fbl@relay.example", "", d, 8), 1);
	assert_int_equal(d[0].kind, ING_COMPLAINT);
	assert_string_equal(d[0].rcpt, "dave@example.net");
	assert_string_equal(d[0].scope, "example.com");
	assert_int_equal(d[0].reason, MK_REASON_COMPLAINT);

	/* No token: Original-Rcpt-To and the original From's domain. */
	r.orig_mail_from[0] = '\0';
	snprintf(r.orig_from, sizeof(r.orig_from), "news@shop.example");
	assert_int_equal(ing_decide(&x, &r, "fbl@relay.example", "", d, 8), 1);
	assert_string_equal(d[0].rcpt, "redacted@example.net");
	assert_string_equal(d[0].scope, "shop.example");

	r.orig_from[0] = '\0';
	assert_int_equal(ing_decide(&x, &r, "fbl@relay.example", "", d, 8), 1);
	assert_int_equal(d[0].kind, ING_IGNORED);

	conf.complaints = 0;
	snprintf(r.orig_from, sizeof(r.orig_from), "news@shop.example");
	assert_int_equal(ing_decide(&x, &r, "fbl@relay.example", "", d, 8), 1);
	assert_int_equal(d[0].kind, ING_IGNORED);
}

/* not-spam reports are ignored. */
static void
test_complaint_not_spam(void **st)
{
	r.type = ING_T_ARF;
	snprintf(r.feedback_type, sizeof(r.feedback_type), "not-spam");
	item(ING_IGNORED, "bob@example.net", "");
	snprintf(r.orig_from, sizeof(r.orig_from), "news@example.com");
	assert_int_equal(ing_decide(&x, &r, "fbl@relay.example", "", d, 8), 1);
	assert_int_equal(d[0].kind, ING_IGNORED);
}

/* Mail to unsubscribe+TOKEN@domain from the recipient unsubscribes
 * them from that domain; from anyone else, or automatic, nothing. */
static void
test_mailto_unsubscribe(void **st)
{
	char tok[MK_TOKEN_UNSUB_LEN + 1], env[200];

	assert_int_equal(mk_token_unsub(unkey, sizeof(unkey) - 1,
	    "bob@example.net", "example.com", tok), 0);
	snprintf(env, sizeof(env), "unsubscribe+%s@example.com", tok);
	r.type = ING_T_UNKNOWN;
	snprintf(r.from, sizeof(r.from), "Bob@example.net");
	assert_int_equal(ing_decide(&x, &r, env, "", d, 8), 1);
	assert_int_equal(d[0].kind, ING_UNSUBSCRIBE);
	assert_string_equal(d[0].rcpt, "bob@example.net");
	assert_string_equal(d[0].scope, "example.com");
	assert_int_equal(d[0].reason, MK_REASON_UNSUBSCRIBE);

	/* The envelope sender counts too; From may be anything then. */
	snprintf(r.from, sizeof(r.from), "someone@else.example");
	assert_int_equal(ing_decide(&x, &r, env, "bob@example.net", d, 8), 1);
	assert_int_equal(d[0].kind, ING_UNSUBSCRIBE);

	/* Somebody else with Bob's token. */
	assert_int_equal(ing_decide(&x, &r, env, "eve@example.net", d, 8), 1);
	assert_int_equal(d[0].kind, ING_IGNORED);
	assert_non_null(strstr(d[0].why, "does not verify"));

	/* A mailto: on a subdomain: the parent is the token's domain. */
	snprintf(env, sizeof(env), "unsubscribe+%s@lists.example.com", tok);
	assert_int_equal(ing_decide(&x, &r, env, "bob@example.net", d, 8), 1);
	assert_int_equal(d[0].kind, ING_UNSUBSCRIBE);
	assert_string_equal(d[0].scope, "example.com");

	/* A vacation reply to the unsubscribe address. */
	r.type = ING_T_AUTOREPLY;
	assert_int_equal(ing_decide(&x, &r, env, "bob@example.net", d, 8), 1);
	assert_int_equal(d[0].kind, ING_IGNORED);
}

static void
test_mailto_match(void **st)
{
	char tok[MK_TOKEN_UNSUB_LEN + 1], dom[64];
	const char *t32 = "abcdefghijklmnopqrstuvwxyz234567";
	char l[128];

	snprintf(l, sizeof(l), "UNSUBSCRIBE+%s", t32);
	assert_int_equal(ing_mailto_match("unsubscribe+%t@%d", l, tok, dom,
	    sizeof(dom)), 1);
	assert_string_equal(tok, t32);
	snprintf(l, sizeof(l), "u-%s-example.com", t32);
	assert_int_equal(ing_mailto_match("u-%t-%d@lists.example", l, tok,
	    dom, sizeof(dom)), 1);
	assert_string_equal(dom, "example.com");
	snprintf(l, sizeof(l), "unsubscribe+%.31s", t32);
	assert_int_equal(ing_mailto_match("unsubscribe+%t@%d", l, tok, dom,
	    sizeof(dom)), 0);
	snprintf(l, sizeof(l), "unsubscribe+%s1", t32);
	assert_int_equal(ing_mailto_match("unsubscribe+%t@%d", l, tok, dom,
	    sizeof(dom)), 0);
	assert_int_equal(ing_mailto_match("unsubscribe+%t@%d", "bob", tok, dom,
	    sizeof(dom)), 0);
}

/* Auto-replies and unknown mail change nothing. */
static void
test_ignored_kinds(void **st)
{
	r.type = ING_T_AUTOREPLY;
	snprintf(r.from, sizeof(r.from), "bob@example.net");
	assert_int_equal(ing_decide(&x, &r, "b@bounces.example.com", "", d, 8),
	    1);
	assert_int_equal(d[0].kind, ING_IGNORED);
	assert_string_equal(d[0].why, "auto-reply");
	r.type = ING_T_UNKNOWN;
	assert_int_equal(ing_decide(&x, &r, "b@bounces.example.com", "", d, 8),
	    1);
	assert_int_equal(d[0].kind, ING_IGNORED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_dsn_with_token, setup),
		cmocka_unit_test_setup(test_text_bounce_takes_token_rcpt, setup),
		cmocka_unit_test_setup(test_bounce_token_required, setup),
		cmocka_unit_test_setup(test_token_in_returned_headers, setup),
		cmocka_unit_test_setup(test_complaint, setup),
		cmocka_unit_test_setup(test_complaint_not_spam, setup),
		cmocka_unit_test_setup(test_mailto_unsubscribe, setup),
		cmocka_unit_test_setup(test_mailto_match, setup),
		cmocka_unit_test_setup(test_ignored_kinds, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
