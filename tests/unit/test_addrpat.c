/*
 * test_addrpat.c - unit tests of common/addrpat.c: exemption patterns.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mk_addrpat.h"

static void
test_patterns_match(void **state)
{
	static const struct {
		const char *norm;
		int want;
	} cases[] = {
		{ "postmaster@example.com", 1 }, { "postmaster@any.example", 1 },
		{ "Abuse@x.example", 1 }, { "abuse2@x.example", 0 },
		{ "ops@example.com", 1 }, { "ops@example.org", 0 },
		{ "anyone@xn--bcher-kva.example", 1 },
		{ "anyone@sub.xn--bcher-kva.example", 0 },
		{ "x@example.net", 0 }, { "noat", 0 },
	};
	struct mk_addrpat_list l;
	char err[128];

	(void)state;
	if (mk_addrpat_list_parse("postmaster@, abuse@ OPS@Example.COM,"
	    "@Bücher.example", &l, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_int_equal(l.n, 4);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (mk_addrpat_list_match(&l, cases[i].norm) != cases[i].want)
			fail_msg("%s: want %d", cases[i].norm, cases[i].want);
	mk_addrpat_list_free(&l);
	assert_int_equal(mk_addrpat_list_parse(" , ", &l, err, sizeof(err)), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(mk_addrpat_list_match(&l, "postmaster@x.example"), 0);
}

static void
test_bad_patterns_rejected(void **state)
{
	static const char *const bad[] = {
		"@", "a@@", "@-bad.example", "\"open@", "a b@", "x@y..z",
		"@xn--zz.example",
	};
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (mk_addrpat_list_check(bad[i], err, sizeof(err)) != -1 ||
		    err[0] != '"')
			fail_msg("\"%s\" accepted (%s)", bad[i], err);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_patterns_match),
		cmocka_unit_test(test_bad_patterns_rejected),
	};

	return cmocka_run_group_tests_name("addrpat", tests, NULL, NULL);
}
