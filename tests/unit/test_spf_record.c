/*
 * test_spf_record.c - the bounds a TXT record must keep before libspf2
 * sees it (dmarc_spf_record_ok()), and the result names.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "spf.h"

static int
ok(const char *t)
{
	return dmarc_spf_record_ok(t, strlen(t));
}

static void
plain_records_pass(void **state)
{
	(void)state;
	assert_true(ok("v=spf1 -all"));
	assert_true(ok("v=spf1 ip4:192.0.2.0/24 include:_spf.example.com ~all"));
	assert_true(ok("v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all"));
	assert_true(ok("v=spf1 exists:%{i}.%{v}.%{h}.%{o}.%{p}.%{s} -all"));
	assert_true(ok("v=spf1 a:%{d2}.example -all %% %_ %-"));
	assert_true(ok("v=spf1 exists:%{L128r.-+,/_=}.x -all"));
	assert_true(ok("%{i} is not one of %{d}'s senders (%{c} at %{t}, %{r})"));
	assert_true(ok("google-site-verification=abc\tdef"));
	assert_true(ok(""));
}

static void
bad_macros_refused(void **state)
{
	static const char *const bad[] = {
		"v=spf1 exists:%{x}.example -all",	/* unknown letter */
		"v=spf1 exists:%{i129}.example -all",	/* more than 128 */
		"v=spf1 exists:%{i0}.example -all",	/* zero parts */
		"v=spf1 exists:%{i1000}.example -all",	/* four digits */
		"v=spf1 exists:%{i9999999999}.x -all",	/* overflow */
		"v=spf1 exists:%{i.example -all",	/* unclosed */
		"v=spf1 exists:%{i;}.example -all",	/* bad delimiter */
		"v=spf1 exists:%{}.example -all",	/* no letter */
		"v=spf1 a:%x -all",			/* bad escape */
		"v=spf1 -all %",			/* % at the end */
		"v=spf1 exists:%{ir2}.x -all",		/* digits after r */
		NULL
	};

	(void)state;
	for (int i = 0; bad[i] != NULL; i++)
		if (ok(bad[i]))
			fail_msg("accepted \"%s\"", bad[i]);
}

static void
length_and_octets(void **state)
{
	char *big = malloc(DMARC_SPF_RECORD_MAX + 2);

	(void)state;
	memset(big, 'a', DMARC_SPF_RECORD_MAX + 1);
	memcpy(big, "v=spf1 ", 7);
	big[DMARC_SPF_RECORD_MAX] = '\0';
	assert_true(ok(big));			/* exactly the bound */
	big[DMARC_SPF_RECORD_MAX] = 'a';
	big[DMARC_SPF_RECORD_MAX + 1] = '\0';
	assert_false(ok(big));
	free(big);
	assert_false(ok("v=spf1 a:\xc3\xa9.example -all"));	/* 8-bit */
	assert_false(ok("v=spf1 \x01 -all"));			/* control */
	assert_false(dmarc_spf_record_ok("v=spf1\0 -all", 12));	/* NUL */
}

static void
result_names(void **state)
{
	(void)state;
	assert_string_equal(dmarc_spf_result_name(DMARC_SPF_PASS), "pass");
	assert_string_equal(dmarc_spf_result_name(DMARC_SPF_SOFTFAIL), "softfail");
	assert_string_equal(dmarc_spf_result_name(DMARC_SPF_PERMERROR), "permerror");
	assert_string_equal(dmarc_spf_result_name(DMARC_SPF_NONE), "none");
	assert_string_equal(dmarc_spf_result_name(42), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_records_pass),
		cmocka_unit_test(bad_macros_refused),
		cmocka_unit_test(length_and_octets),
		cmocka_unit_test(result_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
