/*
 * test_cidr.c - unit tests of common/cidr.c: parsing network lists and
 * matching client addresses, IPv4, IPv6 and IPv4-mapped IPv6.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mk_cidr.h"

static void
test_good_lists_parse(void **state)
{
	static const struct {
		const char *text;
		size_t n;
	} cases[] = {
		{ "", 0 }, { "  ,, ", 0 }, { "10.0.0.0/8", 1 },
		{ "10.0.0.0/8, 192.0.2.1 2001:db8::/32,::1", 4 },
		{ "0.0.0.0/0", 1 }, { "::/0", 1 }, { "192.0.2.128/25", 1 },
		{ "\t172.16.0.0/12\t", 1 },
	};
	struct mk_cidr_list l;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (mk_cidr_list_parse(cases[i].text, &l, err, sizeof(err)) != 0)
			fail_msg("\"%s\": %s", cases[i].text, err);
		assert_int_equal(l.n, cases[i].n);
		mk_cidr_list_free(&l);
	}
}

static void
test_bad_lists_name_the_item(void **state)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "10.0.0.0/33", "\"10.0.0.0/33\": bad prefix length" },
		{ "10.0.0.0/", "bad prefix length" },
		{ "10.0.0.0/8x", "bad prefix length" },
		{ "10.1.0.0/8", "\"10.1.0.0/8\" has host bits set" },
		{ "2001:db8::1/32", "has host bits set" },
		{ "::/129", "bad prefix length" },
		{ "10.0.0.0/8, host.example", "\"host.example\" is not an IPv4 or IPv6 address" },
		{ "300.1.1.1", "is not an IPv4" },
		{ "10.0.0.0/-1", "bad prefix length" },
	};
	struct mk_cidr_list l;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		if (mk_cidr_list_parse(cases[i].text, &l, err, sizeof(err)) != -1 ||
		    strstr(err, cases[i].want) == NULL)
			fail_msg("\"%s\": got \"%s\"", cases[i].text, err);
		assert_int_equal(l.n, 0);
		assert_int_equal(mk_cidr_list_check(cases[i].text, err,
		    sizeof(err)), -1);
	}
}

static void
test_match(void **state)
{
	static const struct {
		const char *addr;
		int want;
	} cases[] = {
		{ "10.1.2.3", 1 }, { "11.0.0.1", 0 }, { "192.0.2.129", 1 },
		{ "192.0.2.127", 0 }, { "192.0.2.1", 1 }, { "2001:db8:ffff::1", 1 },
		{ "2001:db9::1", 0 }, { "::ffff:10.9.9.9", 1 }, { "::ffff:8.8.8.8", 0 },
		{ "::1", 1 }, { "::2", 0 }, { "local", 0 }, { "", 0 },
		{ "10.1.2.3.4", 0 },
	};
	struct mk_cidr_list l;
	char err[128];

	(void)state;
	assert_int_equal(mk_cidr_list_parse("10.0.0.0/8 192.0.2.128/25 "
	    "192.0.2.1 2001:db8::/32 ::1", &l, err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (mk_cidr_list_match(&l, cases[i].addr) != cases[i].want)
			fail_msg("%s: want %d", cases[i].addr, cases[i].want);
	assert_int_equal(mk_cidr_list_match(&l, NULL), 0);
	mk_cidr_list_free(&l);
	assert_int_equal(mk_cidr_list_parse("0.0.0.0/0", &l, err, sizeof(err)), 0);
	assert_int_equal(mk_cidr_list_match(&l, "203.0.113.9"), 1);
	assert_int_equal(mk_cidr_list_match(&l, "2001:db8::1"), 0);
	mk_cidr_list_free(&l);
	mk_cidr_list_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_lists_parse),
		cmocka_unit_test(test_bad_lists_name_the_item),
		cmocka_unit_test(test_match),
	};

	return cmocka_run_group_tests_name("cidr", tests, NULL, NULL);
}
