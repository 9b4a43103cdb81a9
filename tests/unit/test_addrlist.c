/*
 * test_addrlist.c - unit tests of common/addrlist.c: RFC 5322 address
 * lists (mailboxes counted through groups, quotes, comments and routes;
 * what is not a list refused) and the text of display names.
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

#include "mk_addrlist.h"

/* Mailboxes are counted through groups, quotes and comments. */
static void
test_addrlist_counts(void **st)
{
	(void)st;
	static const struct { const char *v; int rc; size_t mb, gr;
	    const char *dom; } t[] = {
		{ " a@example.com", 0, 1, 0, "example.com" },
		{ " \"Doe, John\" <j@x.example>, k@y.example", 0, 2, 0,
		  "x.example" },
		{ " team: a@b.example, \"c, d\" <c@d.example>;, e@f.example",
		  0, 3, 1, "b.example" },
		{ " undisclosed-recipients:;", 0, 0, 1, "" },
		{ " (a, b) x (y, z) <x@q.example> (c)", 0, 1, 0, "q.example" },
		{ " <@route.example,@r2:a@b.example>", 0, 1, 0, "b.example" },
		{ " a@[192.0.2.1]", 0, 1, 0, "" },
		{ " ,, a@b.example ,", 0, 1, 0, "b.example" },
		{ " root", -1, 0, 0, "" },
		{ " \"open <a@b>", -1, 0, 0, "" },
		{ " a@b (open", -1, 0, 0, "" },
		{ " g: a@b.example", -1, 1, 1, "b.example" },
		{ " a@b.example c@d", -1, 1, 0, "b.example" },
		{ " <a@b.example", -1, 1, 0, "b.example" },
	};
	struct mk_alist al;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = mk_addrlist_parse(t[i].v, &al);

		if (rc != t[i].rc || (rc == 0 && (al.mailboxes != t[i].mb ||
		    al.groups != t[i].gr || strcmp(al.first_domain,
		    t[i].dom) != 0)))
			fail_msg("\"%s\": rc %d mailboxes %zu groups %zu "
			    "domain \"%s\"", t[i].v, rc, al.mailboxes,
			    al.groups, al.first_domain);
	}
}

/* A display name's text: quoted strings unquoted (a fold inside one loses
 * its line break only, RFC 5322 unfolding), words joined by one space. */
static void
test_phrase_text(void **st)
{
	static const char *v = " \"Doe,\n John\"   Q. \xc3\xa9 <j@x.example>";
	struct mk_alist al;
	struct mk_strbuf b = { NULL, 0, 0 };
	char *text;

	(void)st;
	assert_int_equal(mk_addrlist_parse(v, &al), 0);
	assert_int_equal(al.nphrase, 1);
	mk_addrlist_phrase(v, al.phrase[0].start, al.phrase[0].end, &b);
	text = mk_strbuf_take(&b);
	assert_string_equal(text, "Doe, John Q. \xc3\xa9");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addrlist_counts),
		cmocka_unit_test(test_phrase_text),
	};

	return cmocka_run_group_tests_name("addrlist", tests, NULL, NULL);
}
