/*
 * test_fold.c - unit tests of common/fold.c: the longest line of a field,
 * folding at the last blank that fits, a token longer than a line.
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

#include "mk_fold.h"

/* The first line counts "name:"; folds (CRLF or LF before a blank) end
 * lines. */
static void
test_line_max(void **st)
{
	(void)st;
	assert_int_equal(mk_fold_line_max("Subject", " hello"), 14);
	assert_int_equal(mk_fold_line_max("To", " a,\r\n bbbbbbbbbb"), 11);
	assert_int_equal(mk_fold_line_max("To", " a,\n bbbbbbbbbb"), 11);
}

/* A long value is cut at blanks into lines of at most 998 octets, the
 * folds written LF as the milter protocol wants; CRLF folds become LF. */
static void
test_fold_long(void **st)
{
	struct mk_strbuf in = { NULL, 0, 0 }, out = { NULL, 0, 0 };
	char *v, *f;

	(void)st;
	for (int i = 0; i < 300; i++)
		mk_strbuf_str(&in, " word");	/* 1500 octets */
	v = mk_strbuf_take(&in);
	assert_int_equal(mk_fold("Subject", v, &out), 0);
	f = mk_strbuf_take(&out);
	assert_non_null(strstr(f, "\n "));
	assert_null(strchr(f, '\r'));
	assert_true(mk_fold_line_max("Subject", f) <= MK_FOLD_LINE_MAX);
	/* nothing but the folds was changed */
	for (char *p = f; (p = strchr(p, '\n')) != NULL;)
		memmove(p, p + 1, strlen(p));
	assert_string_equal(f, v);
	free(f);
	free(v);
	mk_fold_lf(&out, " a,\r\n b");
	f = mk_strbuf_take(&out);
	assert_string_equal(f, " a,\n b");
	free(f);
}

/* A token longer than a line cannot be folded. */
static void
test_fold_unbreakable(void **st)
{
	struct mk_strbuf out = { NULL, 0, 0 };
	char v[1200];

	(void)st;
	v[0] = ' ';
	memset(v + 1, 'x', sizeof(v) - 2);
	v[sizeof(v) - 1] = '\0';
	assert_int_equal(mk_fold("X-Long", v, &out), -1);
	mk_strbuf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_max),
		cmocka_unit_test(test_fold_long),
		cmocka_unit_test(test_fold_unbreakable),
	};

	return cmocka_run_group_tests_name("fold", tests, NULL, NULL);
}
