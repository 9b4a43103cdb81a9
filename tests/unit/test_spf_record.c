/*
 * test_spf_record.c - the bounds a TXT record must keep before libspf2
 * sees it (dmarc_spf_record_ok()), and the result names.
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
	strcpy(big, "v=spf1");			/* short terms up to the bound */
	while (strlen(big) + 2 <= DMARC_SPF_RECORD_MAX)
		strcat(big, " a");
	if (strlen(big) < DMARC_SPF_RECORD_MAX)
		strcat(big, "a");
	assert_int_equal(strlen(big), DMARC_SPF_RECORD_MAX);
	assert_true(ok(big));			/* exactly the bound */
	strcat(big, "a");
	assert_false(ok(big));
	free(big);
	assert_false(ok("v=spf1 a:\xc3\xa9.example -all"));	/* 8-bit */
	assert_false(ok("v=spf1 \x01 -all"));			/* control */
	assert_false(dmarc_spf_record_ok("v=spf1\0 -all", 12));	/* NUL */
}

static void
compiled_size_bounded(void **state)
{
	char term[600], rec[700];
	size_t n = 0;

	(void)state;
	/* "a%{d}" 24 times: 120 octets, 24 literals and 24 macros: over */
	for (int i = 0; i < 24; i++)
		n += (size_t)snprintf(term + n, sizeof(term) - n, "a%%{d}");
	snprintf(rec, sizeof(rec), "v=spf1 exists:%s -all", term);
	assert_false(ok(rec));
	/* the same as an explanation */
	assert_false(ok(term));
	/* 18 times (90 octets) is within */
	term[18 * 5] = '\0';
	snprintf(rec, sizeof(rec), "v=spf1 exists:%s -all", term);
	assert_true(ok(rec));
	/* a long plain domain (200 octets) in one term is fine */
	memset(term, 'a', 200);
	term[200] = '\0';
	snprintf(rec, sizeof(rec), "v=spf1 a:%s -all", term);
	assert_true(ok(rec));
	/* many short terms: each is bounded, not the record */
	n = (size_t)snprintf(rec, sizeof(rec), "v=spf1");
	for (int i = 0; i < 60; i++)
		n += (size_t)snprintf(rec + n, sizeof(rec) - n, " a:%%{d}");
	assert_true(ok(rec));
}

static void
modifiers_prepared(void **state)
{
	char t[256];
	const char *why = NULL;

	(void)state;
	strcpy(t, "v=spf1  a  moo.cow-far_out=man:dog/cat x=%{d} -all ");
	assert_int_equal(dmarc_spf_record_prepare(t, &why), 0);
	assert_string_equal(t, "v=spf1 a -all");	/* unknown ones out */
	strcpy(t, "v=spf1 redirect=a.example exp=e.example REDIRECT=b.example");
	assert_int_equal(dmarc_spf_record_prepare(t, &why), -1);
	assert_non_null(strstr(why, "redirect="));
	strcpy(t, "v=spf1 exp=a.example Exp=b.example -all");
	assert_int_equal(dmarc_spf_record_prepare(t, &why), -1);
	assert_non_null(strstr(why, "exp="));
	strcpy(t, "v=spf1 exists:%{i}.x=y -all");	/* a mechanism */
	assert_int_equal(dmarc_spf_record_prepare(t, &why), 0);
	assert_string_equal(t, "v=spf1 exists:%{i}.x=y -all");
	strcpy(t, "v=spf1 a:%{x}.example -all");
	assert_int_equal(dmarc_spf_record_prepare(t, &why), -1);
	assert_non_null(strstr(why, "macro"));
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
		cmocka_unit_test(compiled_size_bounded),
		cmocka_unit_test(modifiers_prepared),
		cmocka_unit_test(result_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
