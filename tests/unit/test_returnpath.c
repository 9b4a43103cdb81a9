/*
 * test_returnpath.c - the plain logic of milterkit-returnpath
 * (milters/returnpath: pattern.c, table.c, rewrite.c): bounce domain
 * templates and domain patterns, the bounce domain table (first match,
 * errors with file and line), the required keys, which senders are left
 * alone, the length limits, and new senders whose local part
 * mk_token_rp_parse() maps back to sender and recipient.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "mk_conf.h"
#include "mk_mem.h"
#include "mk_token.h"
#include "returnpath.h"
#include "returnpath_conf.h"
#include "sections.h"

#define NOW 1700000000			/* 2023-11-14 */

struct fx {
	char dir[64];
	char key[96], table[96];
	struct mk_conf *conf;
	struct rp_rules *r;
	unsigned char *k;		/* the key, to parse tokens */
	size_t klen;
};

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* Rules from [returnpath] lines; 0, or -1 with err. */
static int
rules_try(struct fx *f, const char *lines, char *err, size_t errlen)
{
	char *text;
	int rc;

	rp_rules_free(f->r);
	f->r = NULL;
	mk_conf_free(f->conf);
	f->conf = mk_conf_new_defaults();
	if (asprintf(&text, "[returnpath]\n%s\n", lines) < 0)
		fail();
	rc = mk_cfg_parse_buf(mk_conf_schema.rows, f->conf, "t.conf", text,
	    strlen(text), err, errlen);
	free(text);
	if (rc != 0)
		return -1;
	return rp_rules_new(f->conf, &f->r, err, errlen);
}

/* Rules with the test key and extra lines. */
static void
rules(struct fx *f, const char *extra)
{
	char lines[2048], err[512];

	snprintf(lines, sizeof(lines), "secret_file = %s\n%s\n", f->key,
	    extra);
	if (rules_try(f, lines, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

static int
setup(void **st)
{
	struct fx *f = mk_calloc(1, sizeof(*f));
	char err[256];

	strcpy(f->dir, "/tmp/test_returnpath.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->key, sizeof(f->key), "%s/secret", f->dir);
	snprintf(f->table, sizeof(f->table), "%s/bounce.table", f->dir);
	write_file(f->key, "the return-path key of the tests\n", 0600);
	if (mk_token_key_load(f->key, "key", &f->k, &f->klen, err,
	    sizeof(err)) != 0)
		return -1;
	*st = f;
	return 0;
}

static int
teardown(void **st)
{
	struct fx *f = *st;

	rp_rules_free(f->r);
	mk_conf_free(f->conf);
	mk_token_key_free(f->k, f->klen);
	unlink(f->key);
	unlink(f->table);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* The local part of "<local@domain>" parsed with the test key. */
static int
parse_from(struct fx *f, const char *from, struct mk_rp_token *t)
{
	const char *at = strrchr(from, '@');

	assert_int_equal(from[0], '<');
	assert_non_null(at);
	return mk_token_rp_parse(f->k, f->klen, from + 1, (size_t)(at -
	    from - 1), NOW, t);
}

static void
test_templates(void **st)
{
	static const char *const good[] = {
		"bounces.%d", "bounces.relay.example", "%d", "B-1.%d",
	};
	static const char *const bad[] = {
		"bounces.%x", "bounces..%d", "%", "bounces.%d.", "-b.%d",
		".%d", "bounces %d", "bounces.%%d",
	};
	char out[300], err[256];

	(void)st;
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		if (rp_template_check(good[i], strlen(good[i]), err,
		    sizeof(err)) != 0)
			fail_msg("\"%s\" refused: %s", good[i], err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		err[0] = '\0';
		if (rp_template_check(bad[i], strlen(bad[i]), err,
		    sizeof(err)) == 0)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_non_null(strstr(err, "template"));
	}
	assert_int_equal(rp_template_expand("Bounces.%d", "example.org", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "bounces.example.org");
	assert_int_equal(rp_template_expand("mx-%d.relay.example", "a.b", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "mx-a.b.relay.example");
	/* beyond 253 octets in all: no domain; too small a buffer: -1 */
	char big[260];
	memset(big, 'a', 60);
	strcpy(big + 60, ".");
	for (int i = 1; i < 4; i++)
		memcpy(big + 61 * i, big, 61);
	strcpy(big + 244, "example");	/* 251 octets */
	assert_int_equal(rp_template_expand("bounces.%d", big, out,
	    sizeof(out)), -1);
	assert_string_equal(out, "");
	assert_int_equal(rp_template_expand("bounces.%d", "example.org", out,
	    10), -1);
}

static void
test_patterns(void **st)
{
	char err[256];

	(void)st;
	assert_int_equal(rp_pattern_check("*", 1, err, sizeof(err)), 0);
	assert_int_equal(rp_pattern_check(".example.com", 12, err,
	    sizeof(err)), 0);
	assert_int_equal(rp_pattern_check("example.com", 11, err,
	    sizeof(err)), 0);
	assert_int_equal(rp_pattern_check("*.example.com", 13, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "*.example.com"));
	assert_int_equal(rp_pattern_check("ex_ample.com", 12, err,
	    sizeof(err)), -1);
	assert_int_equal(rp_pattern_check(".", 1, err, sizeof(err)), -1);

	assert_true(rp_pattern_match("*", "example.com"));
	assert_true(rp_pattern_match("example.com", "example.com"));
	assert_false(rp_pattern_match("example.com", "sub.example.com"));
	assert_true(rp_pattern_match(".example.com", "sub.example.com"));
	assert_true(rp_pattern_match(".example.com", "a.b.EXAMPLE.com"));
	assert_false(rp_pattern_match(".example.com", "example.com"));
	assert_false(rp_pattern_match(".example.com", "badexample.com"));
}

static void
test_table(void **st)
{
	struct fx *f = *st;
	struct rp_table *t;
	char err[512];

	assert_int_equal(rp_table_parse("t.table",
	    "# overrides\r\n"
	    "\n"
	    "News.Example.org   bounces.relay.example   # the list\r\n"
	    "  .example.org\tfb.%d\n"
	    "example.org bounces.%d\n"
	    "* never.%d", &t, err, sizeof(err)), 0);
	assert_string_equal(rp_table_match(t, "news.example.org"),
	    "bounces.relay.example");
	assert_string_equal(rp_table_match(t, "shop.example.org"), "fb.%d");
	assert_string_equal(rp_table_match(t, "example.org"), "bounces.%d");
	assert_string_equal(rp_table_match(t, "other.example"), "never.%d");
	rp_table_free(t);
	assert_int_equal(rp_table_parse("t.table", "a.example b.%d\n", &t, err,
	    sizeof(err)), 0);
	assert_null(rp_table_match(t, "c.example"));
	assert_null(rp_table_match(NULL, "c.example"));
	rp_table_free(t);
	rp_table_free(NULL);

	/* errors name the file and the line */
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "a.example b.%d\n\n*.x.example b.%d\n", "t.table:3: bad domain pattern" },
		{ "# c\na.example\n", "t.table:2: no template" },
		{ "a.example b.%q\n", "t.table:1: bad bounce domain template" },
		{ "a.example b.%d extra\n", "t.table:1: unexpected \"extra\"" },
		{ "a.example b..example\n", "t.table:1: bad bounce domain template" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		t = (struct rp_table *)&err;	/* must be reset */
		assert_int_equal(rp_table_parse("t.table", bad[i].text, &t, err,
		    sizeof(err)), -1);
		assert_null(t);
		if (strncmp(err, bad[i].want, strlen(bad[i].want)) != 0)
			fail_msg("case %zu: \"%s\", want \"%s...\"", i, err,
			    bad[i].want);
	}

	/* a file; not a regular file; a NUL octet; missing */
	write_file(f->table, "example.net bounces.example.net\n", 0644);
	assert_int_equal(rp_table_load(f->table, &t, err, sizeof(err)), 0);
	assert_string_equal(rp_table_match(t, "example.net"),
	    "bounces.example.net");
	rp_table_free(t);
	assert_int_equal(rp_table_load(f->dir, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	FILE *fp = fopen(f->table, "w");
	assert_non_null(fp);
	fwrite("a.example b.%d\n\0x", 1, 17, fp);
	fclose(fp);
	assert_int_equal(rp_table_load(f->table, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "NUL"));
	unlink(f->table);
	assert_int_equal(rp_table_load(f->table, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, f->table));
}

static void
test_required_keys(void **st)
{
	struct fx *f = *st;
	char lines[1024], err[512];

	/* No domains: the filter runs, rewriting nothing (a package starts
	 * it unconfigured); with domains, secret_file is required. */
	snprintf(lines, sizeof(lines), "secret_file = %s", f->key);
	assert_int_equal(rules_try(f, lines, err, sizeof(err)), 0);
	assert_int_equal(rules_try(f, "", err, sizeof(err)), 0);
	assert_int_equal(rules_try(f, "domains = *", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "secret_file is required"));
	/* a key others may read is refused */
	chmod(f->key, 0644);
	snprintf(lines, sizeof(lines), "domains = *\nsecret_file = %s", f->key);
	assert_int_equal(rules_try(f, lines, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "secret_file"));
	chmod(f->key, 0600);
	assert_int_equal(rules_try(f, lines, err, sizeof(err)), 0);
	/* values checked by the rows: file and line */
	assert_int_equal(rules_try(f, "domains = *.example.com", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "t.conf:2:"));
	assert_int_equal(rules_try(f, "bounce_domain = bounces.%s", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "t.conf:2:"));
	assert_int_equal(rules_try(f, "token_days = 0", err, sizeof(err)), -1);
	assert_int_equal(rules_try(f, "max_local_length = 256", err,
	    sizeof(err)), -1);
	/* a bad table line fails the rules with FILE:LINE */
	write_file(f->table, "example.org bounces.%d\nbad_pattern x.%d\n", 0644);
	snprintf(lines, sizeof(lines), "domains = *\nsecret_file = %s\n"
	    "bounce_domain_table = %s", f->key, f->table);
	assert_int_equal(rules_try(f, lines, err, sizeof(err)), -1);
	char want[160];
	snprintf(want, sizeof(want), "%s:2: bad domain pattern", f->table);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("\"%s\", want \"%s\"", err, want);
}

static void
test_one_recipient(void **st)
{
	struct fx *f = *st;
	struct rp_result res;
	struct mk_rp_token t;

	rules(f, "domains = *");
	rp_rewrite(f->r, "<Alice@Example.ORG>", "<Bob@example.com>", 1, NOW,
	    &res);
	assert_int_equal(res.verdict, RP_REWRITE);
	assert_true(res.with_rcpt);
	assert_string_equal(res.bounce_domain, "bounces.example.org");
	assert_non_null(strstr(res.from, "@bounces.example.org>"));
	assert_int_equal(strncmp(res.from, "<b0=", 4), 0);
	assert_int_equal(parse_from(f, res.from, &t), 0);
	assert_string_equal(t.sender, "alice@example.org");
	assert_string_equal(t.sender_domain, "example.org");
	assert_string_equal(t.rcpt, "bob@example.com");
	/* valid token_days (14) days, not more */
	assert_true(t.expires >= NOW + 13 * 86400 && t.expires <= NOW +
	    15 * 86400);
	/* another key does not map it back */
	const char *at = strrchr(res.from, '@');
	assert_int_equal(mk_token_rp_parse((const unsigned char *)
	    "another key of sixteen+", 23, res.from + 1, (size_t)(at -
	    res.from - 1), NOW, &t), MK_TOKEN_EHASH);
	/* token_days = 1: expired two days later */
	rules(f, "domains = *\ntoken_days = 1");
	rp_rewrite(f->r, "alice@example.org", "bob@example.com", 1, NOW, &res);
	assert_int_equal(res.verdict, RP_REWRITE);
	at = strrchr(res.from, '@');
	assert_int_equal(mk_token_rp_parse(f->k, f->klen, res.from + 1,
	    (size_t)(at - res.from - 1), NOW + 2 * 86400, &t),
	    MK_TOKEN_EEXPIRED);
	/* a recipient that does not parse: sender only */
	rp_rewrite(f->r, "alice@example.org", "<bad", 1, NOW, &res);
	assert_int_equal(res.verdict, RP_REWRITE);
	assert_false(res.with_rcpt);
}

static void
test_recipient_count(void **st)
{
	struct fx *f = *st;
	struct rp_result res;
	struct mk_rp_token t;

	rules(f, "domains = example.org");
	for (unsigned n = 0; n < 4; n++) {
		rp_rewrite(f->r, "<alice@example.org>", "<bob@example.com>", n,
		    NOW, &res);
		assert_int_equal(res.verdict, RP_REWRITE);
		assert_int_equal(res.with_rcpt, n == 1);
		assert_int_equal(parse_from(f, res.from, &t), 0);
		assert_string_equal(t.sender, "alice@example.org");
		assert_string_equal(t.rcpt, n == 1 ? "bob@example.com" : "");
	}
	rp_rewrite(f->r, "<alice@example.org>", NULL, 1, NOW, &res);
	assert_int_equal(res.verdict, RP_REWRITE);
	assert_false(res.with_rcpt);
}

static void
test_left_alone(void **st)
{
	struct fx *f = *st;
	struct rp_result res;
	static const struct {
		const char *sender;
		enum rp_verdict v;
	} cases[] = {
		{ "<>", RP_NULL },
		{ "", RP_MALFORMED },
		{ "<no-at-sign>", RP_MALFORMED },
		{ "<alice@example.org>", RP_REWRITE },
		{ "<alice@news.example.org>", RP_REWRITE },
		{ "<alice@example.net>", RP_NOT_LISTED },
		{ "<alice@sub.example.net>", RP_NOT_LISTED },
		{ "<noreply@example.org>", RP_EXCLUDED },
		{ "<NoReply@Example.org>", RP_EXCLUDED },
		{ "<anyone@quiet.example.org>", RP_EXCLUDED },
		{ "<ops@example.org>", RP_EXCLUDED },
		{ "<b0=aaaaaaaa=aaaa=x=example.org@bounces.example.org>",
		    RP_ALREADY },
		{ "<B0=whatever@example.org>", RP_ALREADY },
		{ "<alice@[192.0.2.1]>", RP_NOT_LISTED },
	};

	rules(f, "domains = example.org, .example.org, bounces.example.org\n"
	    "exclude = noreply@example.org, @quiet.example.org, ops@");
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		rp_sender(f->r, cases[i].sender, &res);
		if (res.verdict != cases[i].v)
			fail_msg("rp_sender(%s): %s, want %s", cases[i].sender,
			    rp_verdict_name(res.verdict),
			    rp_verdict_name(cases[i].v));
		rp_rewrite(f->r, cases[i].sender, "<bob@example.com>", 1, NOW,
		    &res);
		if (res.verdict != cases[i].v)
			fail_msg("rp_rewrite(%s): %s, want %s", cases[i].sender,
			    rp_verdict_name(res.verdict),
			    rp_verdict_name(cases[i].v));
		if (res.verdict != RP_REWRITE) {
			assert_string_equal(res.from, "");
			assert_true(res.cause[0] != '\0');
		}
	}
	rp_rewrite(f->r, NULL, NULL, 0, NOW, &res);
	assert_int_equal(res.verdict, RP_MALFORMED);
	/* the address literal under "*": no bounce domain from a template */
	rules(f, "domains = *");
	rp_sender(f->r, "<alice@[192.0.2.1]>", &res);
	assert_int_equal(res.verdict, RP_NO_DOMAIN);
	assert_string_equal(rp_verdict_name(RP_EXCLUDED), "excluded");
}

static void
test_table_override(void **st)
{
	struct fx *f = *st;
	struct rp_result res;
	struct mk_rp_token t;
	char extra[512];

	write_file(f->table, "news.example.org bounces.relay.example\n"
	    ".example.org fb.%d\n", 0644);
	snprintf(extra, sizeof(extra), "domains = *\nbounce_domain = rp.%%d\n"
	    "bounce_domain_table = %s", f->table);
	rules(f, extra);
	rp_rewrite(f->r, "<list@news.example.org>", "<r@example.com>", 1, NOW,
	    &res);
	assert_int_equal(res.verdict, RP_REWRITE);
	assert_string_equal(res.bounce_domain, "bounces.relay.example");
	assert_int_equal(parse_from(f, res.from, &t), 0);
	assert_string_equal(t.sender, "list@news.example.org");
	rp_rewrite(f->r, "<a@shop.example.org>", NULL, 0, NOW, &res);
	assert_string_equal(res.bounce_domain, "fb.shop.example.org");
	rp_rewrite(f->r, "<a@example.org>", NULL, 0, NOW, &res);
	assert_string_equal(res.bounce_domain, "rp.example.org");
	/* the table is read with the configuration: a new one needs a new
	 * configuration (reload) */
	write_file(f->table, "* other.example\n", 0644);
	rp_rewrite(f->r, "<a@example.org>", NULL, 0, NOW, &res);
	assert_string_equal(res.bounce_domain, "rp.example.org");
	rules(f, extra);
	rp_rewrite(f->r, "<a@example.org>", NULL, 0, NOW, &res);
	assert_string_equal(res.bounce_domain, "other.example");
}

/* A sender whose local part is n octets of 'a'. */
static const char *
long_sender(char *buf, size_t n, const char *domain)
{
	memset(buf, 'a', n);
	sprintf(buf + n, "@%s", domain);
	return buf;
}

static void
test_lengths(void **st)
{
	struct fx *f = *st;
	struct rp_result res;
	struct mk_rp_token t;
	char s[400];
	size_t local;

	rules(f, "domains = *");
	/* short: with the recipient, within 64 octets */
	rp_rewrite(f->r, "a@x.example", "b@y.example", 1, NOW, &res);
	assert_int_equal(res.verdict, RP_REWRITE);
	assert_true(res.with_rcpt);
	local = (size_t)(strrchr(res.from, '@') - res.from - 1);
	assert_true(local <= 64);
	/* b0= + 8 + = + 4 + = + local + = + domain: 17 + 1 + 9 = 27 for
	 * "a@x.example"; the recipient "=b=y.example" adds 12. A sender
	 * local part of 30 then fits alone (56) but not with it (68). */
	rp_rewrite(f->r, long_sender(s, 30, "x.example"), "b@y.example", 1,
	    NOW, &res);
	assert_int_equal(res.verdict, RP_REWRITE);
	assert_false(res.with_rcpt);
	local = (size_t)(strrchr(res.from, '@') - res.from - 1);
	assert_true(local <= 64);
	assert_int_equal(parse_from(f, res.from, &t), 0);
	assert_string_equal(t.sender, s);
	assert_string_equal(t.rcpt, "");
	/* too long even alone: unchanged */
	rp_rewrite(f->r, long_sender(s, 60, "x.example"), "b@y.example", 1,
	    NOW, &res);
	assert_int_equal(res.verdict, RP_TOO_LONG);
	assert_string_equal(res.from, "");
	assert_non_null(strstr(res.cause, "max_local_length 64"));
	/* max_local_length = 255 takes it, recipient included */
	rules(f, "domains = *\nmax_local_length = 255");
	rp_rewrite(f->r, s, "b@y.example", 1, NOW, &res);
	assert_int_equal(res.verdict, RP_REWRITE);
	assert_true(res.with_rcpt);
	assert_int_equal(parse_from(f, res.from, &t), 0);
	assert_string_equal(t.sender, s);
	assert_string_equal(t.rcpt, "b@y.example");
	/* but never an address beyond 254 octets in all */
	char dom[300];
	memset(dom, 'd', 60);
	strcpy(dom + 60, ".");
	memcpy(dom + 61, dom, 61);
	memcpy(dom + 122, dom, 61);
	strcpy(dom + 183, "example");	/* 190 octets */
	rp_rewrite(f->r, long_sender(s, 40, dom), NULL, 0, NOW, &res);
	assert_int_equal(res.verdict, RP_TOO_LONG);
	/* the bounce domain beyond 253 octets: no domain */
	memset(dom, 'd', 60);
	strcpy(dom + 60, ".");
	for (int i = 1; i < 4; i++)
		memcpy(dom + 61 * i, dom, 61);
	strcpy(dom + 244, "example");	/* 251 octets */
	rp_sender(f->r, long_sender(s, 1, dom), &res);
	assert_int_equal(res.verdict, RP_NO_DOMAIN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_templates),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test_setup_teardown(test_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_required_keys, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_one_recipient, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_recipient_count, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_left_alone, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_table_override, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lengths, setup, teardown),
	};

	mk_conf_use(mkf_sections);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
