/*
 * test_dmarc.c - DMARC records (parsing, defaults, bad and duplicate
 * tags, the choice among TXT records), Organizational Domains over the
 * Public Suffix List and alignment, relaxed and strict.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dmarc.h"

static void
full_record(void **state)
{
	struct dmarc_record r;
	char err[256];

	(void)state;
	assert_int_equal(dmarc_record_parse("v=DMARC1; p=reject; sp=quarantine; "
	    "np=none; adkim=s; aspf=r; pct=50; ri=3600; fo=1:d; "
	    "rua=mailto:agg@example.com; ruf=mailto:f@example.com",
	    &r, err, sizeof(err)), 0);
	assert_int_equal(r.p, DMARC_POLICY_REJECT);
	assert_int_equal(r.sp, DMARC_POLICY_QUARANTINE);
	assert_int_equal(r.np, DMARC_POLICY_NONE);
	assert_int_equal(r.adkim, DMARC_ALIGN_STRICT);
	assert_int_equal(r.aspf, DMARC_ALIGN_RELAXED);
	assert_int_equal(r.pct, 50);
	assert_int_equal(r.ri, 3600);
	assert_string_equal(r.fo, "1:d");
	assert_string_equal(r.rua, "mailto:agg@example.com");
	assert_string_equal(r.ruf, "mailto:f@example.com");
	assert_false(r.p_from_rua);
}

static void
defaults_blanks_and_case(void **state)
{
	struct dmarc_record r;
	char err[256];

	(void)state;
	assert_int_equal(dmarc_record_parse("v = DMARC1 ;P = Quarantine;;  ",
	    &r, err, sizeof(err)), 0);
	assert_int_equal(r.p, DMARC_POLICY_QUARANTINE);
	assert_int_equal(r.sp, DMARC_POLICY_QUARANTINE);	/* sp = p */
	assert_int_equal(r.np, DMARC_POLICY_QUARANTINE);	/* np = sp */
	assert_int_equal(r.adkim, DMARC_ALIGN_RELAXED);
	assert_int_equal(r.aspf, DMARC_ALIGN_RELAXED);
	assert_int_equal(r.pct, 100);
	assert_int_equal(r.ri, 86400);
	assert_string_equal(r.rua, "");
}

static void
bad_values_ignored(void **state)
{
	struct dmarc_record r;
	char err[256];

	(void)state;
	assert_int_equal(dmarc_record_parse("v=DMARC1; p=reject; adkim=x; "
	    "pct=101; sp=maybe; ri=soon; rua=nonsense; future=1; junk",
	    &r, err, sizeof(err)), 0);
	assert_int_equal(r.adkim, DMARC_ALIGN_RELAXED);
	assert_int_equal(r.pct, 100);
	assert_int_equal(r.sp, DMARC_POLICY_REJECT);
	assert_int_equal(r.ri, 86400);
	assert_string_equal(r.rua, "");
}

static void
p_missing(void **state)
{
	struct dmarc_record r;
	char err[256];

	(void)state;
	/* no p, but a rua: read as p=none */
	assert_int_equal(dmarc_record_parse("v=DMARC1; rua=mailto:a@example.com",
	    &r, err, sizeof(err)), 0);
	assert_int_equal(r.p, DMARC_POLICY_NONE);
	assert_true(r.p_from_rua);
	/* a bad p and a rua: the same */
	assert_int_equal(dmarc_record_parse("v=DMARC1; p=drop; "
	    "rua=mailto:a@example.com", &r, err, sizeof(err)), 0);
	assert_true(r.p_from_rua);
	/* neither: invalid */
	assert_int_equal(dmarc_record_parse("v=DMARC1; sp=reject", &r, err,
	    sizeof(err)), -1);
	assert_false(r.not_dmarc);
	assert_non_null(strstr(err, "p="));
}

static void
not_dmarc_or_invalid(void **state)
{
	static const char *const not_dmarc[] = { "v=spf1 -all",
	    "p=reject; v=DMARC1", "v=DMARC2; p=reject", "v=dmarc1; p=reject",
	    "", "v=DMARC10; p=reject", NULL };
	struct dmarc_record r;
	char err[256], big[3000];

	(void)state;
	for (int i = 0; not_dmarc[i] != NULL; i++) {
		if (dmarc_record_parse(not_dmarc[i], &r, err, sizeof(err)) != -1)
			fail_msg("parsed \"%s\"", not_dmarc[i]);
		assert_true(r.not_dmarc);
	}
	assert_int_equal(dmarc_record_parse("v=DMARC1; p=none; p=reject", &r,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "twice"));
	assert_int_equal(dmarc_record_parse("v=DMARC1; p=none; PCT=5; pct=6",
	    &r, err, sizeof(err)), -1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "v=DMARC1; p=none; x=", 20);
	assert_int_equal(dmarc_record_parse(big, &r, err, sizeof(err)), -1);
}

static void
pick_one(void **state)
{
	const char *one[] = { "google-site-verification=x", "v=DMARC1; p=reject",
	    "v=spf1 -all" };
	const char *two[] = { "v=DMARC1; p=reject", "v=DMARC1; p=none" };
	const char *none[] = { "v=spf1 -all", "v=DMARC2; p=reject" };
	const char *bad[] = { "v=DMARC1; sp=none" };
	struct dmarc_record r;
	char err[256];

	(void)state;
	assert_int_equal(dmarc_record_pick(one, 3, &r, err, sizeof(err)), 1);
	assert_int_equal(r.p, DMARC_POLICY_REJECT);
	assert_int_equal(dmarc_record_pick(two, 2, &r, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "2 DMARC records"));
	assert_int_equal(dmarc_record_pick(none, 2, &r, err, sizeof(err)), 0);
	assert_int_equal(dmarc_record_pick(NULL, 0, &r, err, sizeof(err)), 0);
	assert_int_equal(dmarc_record_pick(bad, 1, &r, err, sizeof(err)), -1);
	assert_string_equal(dmarc_policy_name(DMARC_POLICY_QUARANTINE),
	    "quarantine");
}

/* The Organizational Domain of d, or "(error)". */
static const char *
org(const char *d)
{
	static char buf[300];

	if (dmarc_org_domain(d, buf, sizeof(buf)) != 0)
		return "(error)";
	return buf;
}

static void
organizational_domains(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(dmarc_org_init(err, sizeof(err)), 0);
	assert_string_equal(org("example.com"), "example.com");
	assert_string_equal(org("Mail.Sub.Example.COM."), "example.com");
	assert_string_equal(org("example.co.uk"), "example.co.uk");
	assert_string_equal(org("a.b.example.co.uk"), "example.co.uk");
	assert_string_equal(org("co.uk"), "co.uk");	/* a suffix: itself */
	/* the private section: each github.io site is its own */
	assert_string_equal(org("x.github.io"), "x.github.io");
	assert_string_equal(org("a.x.github.io"), "x.github.io");
	/* wildcard and exception rules: *.ck, !www.ck */
	assert_string_equal(org("foo.bar.ck"), "foo.bar.ck");
	assert_string_equal(org("a.foo.bar.ck"), "foo.bar.ck");
	assert_string_equal(org("www.ck"), "www.ck");
	assert_string_equal(org("a.www.ck"), "www.ck");
	assert_string_equal(org("a.b.city.kawasaki.jp"), "city.kawasaki.jp");
	/* a name under no rule: the implicit "*" rule */
	assert_string_equal(org("host.sub.example.test"), "example.test");
	assert_string_equal(org("a..b.com"), "(error)");
	assert_string_equal(org(""), "(error)");
}

static void
alignment(void **state)
{
	(void)state;
	assert_true(dmarc_aligned("example.com", "EXAMPLE.com.", DMARC_ALIGN_STRICT));
	assert_false(dmarc_aligned("sub.example.com", "example.com",
	    DMARC_ALIGN_STRICT));
	assert_true(dmarc_aligned("sub.example.com", "example.com",
	    DMARC_ALIGN_RELAXED));
	assert_true(dmarc_aligned("a.example.com", "b.example.com",
	    DMARC_ALIGN_RELAXED));
	assert_false(dmarc_aligned("example.com", "example.net",
	    DMARC_ALIGN_RELAXED));
	/* one-letter labels are labels like any other */
	assert_false(dmarc_aligned("x.github.io", "y.github.io",
	    DMARC_ALIGN_RELAXED));
	assert_true(dmarc_aligned("m.x.github.io", "x.github.io",
	    DMARC_ALIGN_RELAXED));
	assert_false(dmarc_aligned("a.co.uk", "b.co.uk", DMARC_ALIGN_RELAXED));
	assert_false(dmarc_aligned("foo.bar.ck", "baz.bar.ck",
	    DMARC_ALIGN_RELAXED));
	assert_false(dmarc_aligned("", "example.com", DMARC_ALIGN_RELAXED));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_record),
		cmocka_unit_test(defaults_blanks_and_case),
		cmocka_unit_test(bad_values_ignored),
		cmocka_unit_test(p_missing),
		cmocka_unit_test(not_dmarc_or_invalid),
		cmocka_unit_test(pick_one),
		cmocka_unit_test(organizational_domains),
		cmocka_unit_test(alignment),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
