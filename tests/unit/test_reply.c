/*
 * test_reply.c - unit tests of common/reply.c (reply templates) and
 * common/session.c (which sessions a milter looks at).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mk_reply.h"
#include "mk_session.h"

static void
test_templates_checked(void **state)
{
	static const struct {
		const char *tpl;
		const char *want;	/* NULL: valid */
	} cases[] = {
		{ "550 5.1.1 <%a>: suppressed (%r)", NULL },
		{ "451 4.3.0 try later", NULL },
		{ "554 5.7.123 x", NULL },
		{ "250 2.0.0 fine", "4xx or 5xx" },
		{ "550 4.1.1 x", "must start with \"5.\"" },
		{ "550 5.1 x", "bad enhanced status code" },
		{ "550 5.1.1", "needs a text" },
		{ "550 5.1.1 ", "needs a text" },
		{ "5501 5.1.1 x", "4xx or 5xx" },
		{ "550 5.1.1 100%", "must be followed by a letter" },
		{ "550 5.1.1 %A", "must be followed by a letter" },
		{ "550 5.1.1 caf\xc3\xa9", "printable ASCII" },
		{ "550 5.1.1 a\tb", "printable ASCII" },
		{ "55x 5.1.1 x", "4xx or 5xx" },
	};
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = mk_reply_check(cases[i].tpl, err, sizeof(err));
		if (cases[i].want == NULL ? rc != 0 :
		    rc != -1 || strstr(err, cases[i].want) == NULL)
			fail_msg("\"%s\": rc %d \"%s\"", cases[i].tpl, rc,
			    rc ? err : "");
	}
}

static void
test_format_substitutes_printable_values(void **state)
{
	const char *vars[26] = { 0 };
	struct mk_reply r;
	char big[600];

	(void)state;
	vars[0] = "bob@example.com";
	vars['r' - 'a'] = "bounce";
	assert_int_equal(mk_reply_format("550 5.1.1 <%a>: suppressed (%r)%z",
	    vars, &r), 0);
	assert_string_equal(r.rcode, "550");
	assert_string_equal(r.xcode, "5.1.1");
	assert_string_equal(r.text, "<bob@example.com>: suppressed (bounce)");
	vars[0] = "a%b\r\n\xc3\xa9";
	assert_int_equal(mk_reply_format("550 5.1.1 %a", vars, &r), 0);
	assert_string_equal(r.text, "a?b????");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	vars[0] = big;
	assert_int_equal(mk_reply_format("550 5.1.1 <%a> end", vars, &r), 0);
	assert_int_equal(strlen(r.text), MK_REPLY_TEXT_MAX);
	assert_string_equal(r.text + MK_REPLY_TEXT_MAX - 3, "...");
	assert_int_equal(mk_reply_format("250 ok", vars, &r), -1);
}

static void
test_session_choices(void **state)
{
	unsigned w;
	char err[128];
	struct mk_cidr_list nets;

	(void)state;
	assert_int_equal(mk_session_parse("all", &w, err, sizeof(err)), 0);
	assert_int_equal(w, 0);
	assert_int_equal(mk_session_parse("authenticated", &w, err, sizeof(err)), 0);
	assert_int_equal(w, MK_SESSION_AUTHENTICATED);
	assert_int_equal(mk_session_parse("Networks, authenticated", &w, err,
	    sizeof(err)), 0);
	assert_int_equal(w, MK_SESSION_AUTHENTICATED | MK_SESSION_NETWORKS);
	assert_int_equal(mk_session_parse("all, networks", &w, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot be combined"));
	assert_int_equal(mk_session_parse("inbound", &w, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "\"inbound\": expected all"));
	assert_int_equal(mk_session_check("", err, sizeof(err)), -1);

	assert_int_equal(mk_cidr_list_parse("192.0.2.0/24", &nets, err,
	    sizeof(err)), 0);
	assert_true(mk_session_selected(0, &nets, 0, "203.0.113.1"));
	assert_false(mk_session_selected(MK_SESSION_AUTHENTICATED, &nets, 0,
	    "192.0.2.1"));
	assert_true(mk_session_selected(MK_SESSION_AUTHENTICATED, &nets, 1,
	    "203.0.113.1"));
	assert_true(mk_session_selected(MK_SESSION_NETWORKS, &nets, 0,
	    "192.0.2.7"));
	assert_false(mk_session_selected(MK_SESSION_NETWORKS, &nets, 1,
	    "203.0.113.1"));
	assert_true(mk_session_selected(MK_SESSION_NETWORKS |
	    MK_SESSION_AUTHENTICATED, &nets, 1, "203.0.113.1"));
	assert_false(mk_session_selected(MK_SESSION_NETWORKS, NULL, 0,
	    "192.0.2.7"));
	/* Known at CONNECT: only "networks" alone can rule a session out. */
	assert_true(mk_session_never(MK_SESSION_NETWORKS, &nets, "203.0.113.1"));
	assert_false(mk_session_never(MK_SESSION_NETWORKS, &nets, "192.0.2.7"));
	assert_false(mk_session_never(MK_SESSION_NETWORKS |
	    MK_SESSION_AUTHENTICATED, &nets, "203.0.113.1"));
	assert_false(mk_session_never(MK_SESSION_AUTHENTICATED, &nets,
	    "203.0.113.1"));
	assert_false(mk_session_never(0, &nets, "203.0.113.1"));
	mk_cidr_list_free(&nets);

	/* A section's choice: both keys, errors named. */
	struct mk_session_choice c;

	assert_int_equal(mk_session_choice_parse(&c, "networks",
	    "192.0.2.0/24", err, sizeof(err)), 0);
	assert_int_equal(c.which, MK_SESSION_NETWORKS);
	assert_true(mk_session_never(c.which, &c.networks, "203.0.113.1"));
	mk_session_choice_free(&c);
	assert_int_equal(mk_session_choice_parse(&c, "sometimes", "", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "sometimes"));
	mk_session_choice_free(&c);
	assert_int_equal(mk_session_choice_parse(&c, "networks", "192.0.2.300",
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "192.0.2.300"));
	mk_session_choice_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_templates_checked),
		cmocka_unit_test(test_format_substitutes_printable_values),
		cmocka_unit_test(test_session_choices),
	};

	return cmocka_run_group_tests_name("reply", tests, NULL, NULL);
}
