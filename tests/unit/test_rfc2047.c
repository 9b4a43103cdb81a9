/*
 * test_rfc2047.c - unit tests of common/rfc2047.c: UTF-8 validation,
 * encoded-words and the rewriting of display names and unstructured text.
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

#include "mk_rfc2047.h"

/* Only well-formed UTF-8 passes. */
static void
test_utf8_valid(void **st)
{
	(void)st;
	static const char *const good[] = { "", "abc", "caf\xc3\xa9",
	    "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf" };
	static const char *const bad[] = { "\xff", "\xc3", "\xc0\xaf",
	    "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf8\x88",
	    "a\xc3(", "\xe2\x82" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(mk_rfc2047_utf8_valid(good[i], strlen(good[i])));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (mk_rfc2047_utf8_valid(bad[i], strlen(bad[i])))
			fail_msg("accepted bad UTF-8 #%zu", i);
}

/* Encoded-words stay within 75 octets and cut between characters. */
static void
test_encoded_words_bounded(void **st)
{
	struct mk_strbuf b = { NULL, 0, 0 };
	char text[400];
	size_t n = 0;

	(void)st;
	while (n + 2 < sizeof(text)) {		/* 199 x U+00E9 */
		text[n++] = '\xc3';
		text[n++] = '\xa9';
	}
	text[n] = '\0';
	mk_rfc2047_words(&b, text, n);
	for (char *p = b.p, *e; p != NULL; p = e ? e + 2 : NULL) {
		e = strstr(p, "\n ");
		size_t len = e ? (size_t)(e - p) : strlen(p);
		assert_true(len <= 75);
		assert_memory_equal(p, "=?UTF-8?B?", 10);
		/* 44 octets = 22 characters: base64 of an even count */
		assert_true(len == 72 || e == NULL);
	}
	mk_strbuf_free(&b);
}

/* Only the 8-bit display names of an address list are encoded; 8-bit text
 * anywhere else refuses the whole list. */
static void
test_addrlist_encoding(void **st)
{
	struct mk_strbuf b = { NULL, 0, 0 };
	char *out;

	(void)st;
	assert_int_equal(mk_rfc2047_addrlist(&b,
	    " Jos\xc3\xa9 <j@x.example>, plain <p@y.example>"), 0);
	out = mk_strbuf_take(&b);
	assert_string_equal(out,
	    " =?UTF-8?B?Sm9zw6k=?= <j@x.example>, plain <p@y.example>");
	free(out);
	assert_int_equal(mk_rfc2047_addrlist(&b, " j\xc3\xa9@x.example"), -1);
	mk_strbuf_free(&b);
	assert_true(mk_rfc2047_has_8bit("ab\xc3\xa9", 4));
	assert_false(mk_rfc2047_has_8bit("abc", 3));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_encoded_words_bounded),
		cmocka_unit_test(test_addrlist_encoding),
	};

	return cmocka_run_group_tests_name("rfc2047", tests, NULL, NULL);
}
