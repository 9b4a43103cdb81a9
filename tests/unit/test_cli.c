/*
 * NAME
 *	test_cli - unit tests of the milterkit command's parsing (tools/cli*.c)
 * DESCRIPTION
 *	Table-driven: expiry durations and dates (past, invalid), reasons,
 *	notes, CSV records (quoting, embedded commas and quotes, field
 *	counts, empty address, CRLF), plain lines, format detection, JSON
 *	and CSV escaping, and the option parsers' errors.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"
#include "mk_store.h"

#define NOW ((int64_t)1700000000)	/* 2023-11-14T22:13:20Z */
#define N(a) (sizeof(a) / sizeof((a)[0]))

static void
test_expires(void **state)
{
	static const struct {
		const char *in;
		int rc;
		int64_t want;
	} cases[] = {
		{ "30d", 0, NOW + 30 * 86400 },
		{ "12h", 0, NOW + 12 * 3600 },
		{ "1w", 0, NOW + 7 * 86400 },
		{ "90", 0, NOW + 90 },
		{ "2030-01-01", 0, 1893456000 },
		{ "2030-01-01T12:00:00Z", 0, 1893456000 + 12 * 3600 },
		{ "2020-01-01", -1, 0 },		/* past */
		{ "2023-11-14T22:13:20Z", -1, 0 },	/* exactly now */
		{ "0d", -1, 0 },
		{ "30x", -1, 0 },
		{ "", -1, 0 },
		{ "2030-02-30", -1, 0 },
		{ "2030-13-01", -1, 0 },
		{ "2030-1-01", -1, 0 },
		{ "2030-01-01T25:00:00Z", -1, 0 },
		{ "2030-01-01T12:00:00", -1, 0 },
		{ "-5d", -1, 0 },
		{ "417000w", -1, 0 },	/* past 9999-12-31: export could
					 * not write it back */
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		int64_t out = -1;
		int rc = cli_parse_expires(cases[i].in, NOW, &out, err,
		    sizeof(err));

		if (rc != cases[i].rc)
			fail_msg("expires \"%s\": rc %d, want %d (%s)", cases[i].in,
			    rc, cases[i].rc, err);
		if (rc == 0)
			assert_int_equal(out, cases[i].want);
	}
	assert_int_equal(cli_parse_expires("2020-01-01", NOW, &(int64_t){ 0 },
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "past"));
}

static void
test_dates(void **state)
{
	int64_t t;

	(void)state;
	assert_int_equal(cli_parse_date("1970-01-01", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(cli_parse_date("2024-02-29", &t), 0);
	assert_int_equal(cli_parse_date("2023-02-29", &t), -1);
	assert_int_equal(cli_parse_date("2024-02-29x", &t), -1);
	assert_int_equal(cli_parse_date("abcd-ef-gh", &t), -1);
}

static void
test_reasons(void **state)
{
	(void)state;
	assert_int_equal(cli_parse_reason("bounce"), MK_REASON_BOUNCE);
	assert_int_equal(cli_parse_reason("complaint"), MK_REASON_COMPLAINT);
	assert_int_equal(cli_parse_reason("Unsubscribe"), MK_REASON_UNSUBSCRIBE);
	assert_int_equal(cli_parse_reason("manual"), MK_REASON_MANUAL);
	assert_int_equal(cli_parse_reason("any"), -1);
	assert_int_equal(cli_parse_reason("spam"), -1);
	assert_int_equal(cli_parse_reason(""), -1);
	assert_string_equal(cli_reason_name(MK_REASON_COMPLAINT), "complaint");
	assert_string_equal(cli_reason_name(99), "unknown");
}

static void
test_notes(void **state)
{
	char note[MK_SUPP_NOTE_MAX + 2], err[128];

	(void)state;
	assert_int_equal(cli_check_note("ticket 42, per legal", err,
	    sizeof(err)), 0);
	assert_int_equal(cli_check_note("tab\there", err, sizeof(err)), -1);
	assert_int_equal(cli_check_note("esc\033", err, sizeof(err)), -1);
	memset(note, 'x', MK_SUPP_NOTE_MAX);
	note[MK_SUPP_NOTE_MAX] = '\0';
	assert_int_equal(cli_check_note(note, err, sizeof(err)), 0);
	strcat(note, "x");
	assert_int_equal(cli_check_note(note, err, sizeof(err)), -1);
}

struct line_case {
	const char *in;
	int format;
	int rc;
	const char *addr, *reason, *scope, *note;
	int64_t expires;
	const char *errpart;
};

static const struct line_case line_cases[] = {
	{ "a@b.example", CLI_FMT_AUTO, 0, "a@b.example", "unsubscribe", "", "",
	    0, NULL },
	{ "  a@b.example \r", CLI_FMT_PLAIN, 0, "a@b.example", "unsubscribe", "",
	    "", 0, NULL },
	{ "", CLI_FMT_AUTO, 1, NULL, NULL, NULL, NULL, 0, NULL },
	{ "\r", CLI_FMT_AUTO, 1, NULL, NULL, NULL, NULL, 0, NULL },
	{ "# comment", CLI_FMT_AUTO, 1, NULL, NULL, NULL, NULL, 0, NULL },
	{ "address,reason,scope,expires,note", CLI_FMT_AUTO, 1, NULL, NULL, NULL,
	    NULL, 0, NULL },
	{ "a@b.example,bounce,s.example,,hi\r", CLI_FMT_AUTO, 0, "a@b.example",
	    "bounce", "s.example", "hi", 0, NULL },
	{ "a@b.example,,,,", CLI_FMT_CSV, 0, "a@b.example", "unsubscribe", "",
	    "", 0, NULL },
	{ "a@b.example,complaint,,2030-01-01,\"x, \"\"quoted\"\" y\"",
	    CLI_FMT_CSV, 0, "a@b.example", "complaint", "", "x, \"quoted\" y",
	    1893456000, NULL },
	{ "\"odd,local\"@b.example,,,,", CLI_FMT_CSV, -1, NULL, NULL, NULL,
	    NULL, 0, "after the closing quote" },
	{ "a\"b@c.example,,,,", CLI_FMT_CSV, -1, NULL, NULL, NULL, NULL, 0,
	    "stray quote" },
	{ "\"\"\"odd,local\"\"@b.example\",,,,", CLI_FMT_CSV, 0,
	    "\"odd,local\"@b.example", "unsubscribe", "", "", 0, NULL },
	{ "a@b.example,bounce,,,\"unbalanced", CLI_FMT_CSV, -1, NULL, NULL, NULL,
	    NULL, 0, "unbalanced" },
	{ "a@b.example,bounce,,,\"x\"y", CLI_FMT_CSV, -1, NULL, NULL, NULL, NULL,
	    0, "after the closing quote" },
	{ "a@b.example,bounce,,,note,extra", CLI_FMT_CSV, -1, NULL, NULL, NULL,
	    NULL, 0, "too many" },
	{ "a@b.example,bounce", CLI_FMT_CSV, -1, NULL, NULL, NULL, NULL, 0,
	    "2 fields" },
	{ ",bounce,,,", CLI_FMT_CSV, -1, NULL, NULL, NULL, NULL, 0,
	    "empty address" },
	{ "a@b.example,spam,,,", CLI_FMT_CSV, -1, NULL, NULL, NULL, NULL, 0,
	    "unknown reason" },
	{ "a@b.example,bounce,,2001-01-01,", CLI_FMT_CSV, -1, NULL, NULL, NULL,
	    NULL, 0, "past" },
	{ "a@b.example,bounce,,soon,", CLI_FMT_CSV, -1, NULL, NULL, NULL, NULL,
	    0, "bad expiry" },
	{ "a@b.example,bounce,,,bell\a", CLI_FMT_CSV, -1, NULL, NULL, NULL, NULL,
	    0, "control character" },
	{ "a@b.example,bounce,,7d,", CLI_FMT_CSV, 0, "a@b.example", "bounce", "",
	    "", NOW + 7 * 86400, NULL },
	{ "a@b,c.example", CLI_FMT_PLAIN, 0, "a@b,c.example", "unsubscribe", "",
	    "", 0, NULL },
};

static void
test_import_lines(void **state)
{
	struct cli_import_defaults d = { MK_REASON_UNSUBSCRIBE, "", 0 };
	char buf[512], err[256];

	(void)state;
	for (size_t i = 0; i < N(line_cases); i++) {
		const struct line_case *c = &line_cases[i];
		struct cli_import_rec rec;
		int rc;

		snprintf(buf, sizeof(buf), "%s", c->in);
		err[0] = '\0';
		rc = cli_import_line(buf, strlen(buf), c->format, NOW, &d, &rec,
		    err, sizeof(err));
		if (rc != c->rc)
			fail_msg("line %zu \"%s\": rc %d, want %d (%s)", i, c->in,
			    rc, c->rc, err);
		if (rc < 0 && strstr(err, c->errpart) == NULL)
			fail_msg("line %zu: error \"%s\" lacks \"%s\"", i, err,
			    c->errpart);
		if (rc != 0)
			continue;
		assert_string_equal(rec.addr, c->addr);
		assert_string_equal(cli_reason_name(rec.reason), c->reason);
		assert_string_equal(rec.scope, c->scope);
		assert_string_equal(rec.note, c->note);
		assert_int_equal(rec.expires, c->expires);
	}
}

static void
test_import_limits(void **state)
{
	struct cli_import_defaults d = { MK_REASON_MANUAL, "s.example", 5 };
	struct cli_import_rec rec;
	static char big[CLI_LINE_MAX + 2];
	char nul[] = "a@b\0.example", err[256];

	(void)state;
	memset(big, 'a', CLI_LINE_MAX + 1);
	assert_int_equal(cli_import_line(big, CLI_LINE_MAX + 1, CLI_FMT_PLAIN,
	    NOW, &d, &rec, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer"));
	assert_int_equal(cli_import_line(nul, sizeof(nul) - 1, CLI_FMT_PLAIN,
	    NOW, &d, &rec, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "NUL"));
	/* plain lines take every default */
	snprintf(big, sizeof(big), "x@y.example");
	assert_int_equal(cli_import_line(big, strlen(big), CLI_FMT_AUTO, NOW, &d,
	    &rec, err, sizeof(err)), 0);
	assert_string_equal(rec.scope, "s.example");
	assert_int_equal(rec.reason, MK_REASON_MANUAL);
	assert_int_equal(rec.expires, 5);
}

static void
test_detect(void **state)
{
	(void)state;
	assert_int_equal(cli_detect_format("a@b.example", 11), CLI_FMT_PLAIN);
	assert_int_equal(cli_detect_format("a@b.example,bounce,,,", 21),
	    CLI_FMT_CSV);
	assert_int_equal(cli_detect_format("\"a,b\"@c.example", 15),
	    CLI_FMT_PLAIN);
	assert_int_equal(cli_detect_format("Address,reason", 14), CLI_FMT_CSV);
}

static void
test_escape(void **state)
{
	char out[64], small[4], line[128], *f[CLI_CSV_FIELDS], err[128];
	int nf;

	(void)state;
	assert_int_equal(cli_json_escape(out, sizeof(out), "a\"b\\c\n\x01é"),
	    (int)strlen("\"a\\\"b\\\\c\\u000a\\u0001é\""));
	assert_string_equal(out, "\"a\\\"b\\\\c\\u000a\\u0001é\"");
	assert_int_equal(cli_json_escape(small, sizeof(small), "abcdef"), -1);
	assert_int_equal(cli_csv_quote(out, sizeof(out), "plain"), 5);
	assert_string_equal(out, "plain");
	cli_csv_quote(out, sizeof(out), "a,\"b\"");
	assert_string_equal(out, "\"a,\"\"b\"\"\"");
	/* what cli_csv_quote writes, cli_csv_split reads back */
	snprintf(line, sizeof(line), "%s,x", out);
	assert_int_equal(cli_csv_split(line, f, CLI_CSV_FIELDS, &nf, err,
	    sizeof(err)), 0);
	assert_int_equal(nf, 2);
	assert_string_equal(f[0], "a,\"b\"");
	assert_string_equal(f[1], "x");
	assert_int_equal(cli_fmt_time(1893456000, out, sizeof(out)), 0);
	assert_string_equal(out, "2030-01-01T00:00:00Z");
}

static void
test_global_opts(void **state)
{
	char *ok[] = { "milterkit", "-c", "/x.conf", "--store", "/s", "suppress",
	    "list", NULL };
	char *ok2[] = { "milterkit", "--store=/t", "-V", NULL };
	char *bad[] = { "milterkit", "--bogus", "suppress", NULL };
	char *miss[] = { "milterkit", "-c", NULL };
	char *none[] = { "milterkit", "-h", NULL };
	struct cli_global g;
	char err[128];

	(void)state;
	assert_int_equal(cli_parse_global(7, ok, &g, err, sizeof(err)), 5);
	assert_string_equal(g.conf_path, "/x.conf");
	assert_string_equal(g.store_dir, "/s");
	assert_int_equal(cli_parse_global(3, ok2, &g, err, sizeof(err)), 3);
	assert_string_equal(g.store_dir, "/t");
	assert_true(g.version);
	assert_int_equal(cli_parse_global(3, bad, &g, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--bogus"));
	assert_int_equal(cli_parse_global(2, miss, &g, err, sizeof(err)), -1);
	assert_int_equal(cli_parse_global(2, none, &g, err, sizeof(err)), 2);
	assert_true(g.help);
}

struct opt_case {
	const char *verb;
	const char *args[6];
	int rc;
	const char *errpart;
};

static const struct opt_case opt_cases[] = {
	{ "add", { "a@b", "--reason", "bounce", "--note=x" }, 0, NULL },
	{ "add", { "a@b", "--reason", "spam" }, -1, "unknown reason" },
	{ "add", { "a@b", "--bogus" }, -1, "unknown option --bogus" },
	{ "add", { "a@b", "-x" }, -1, "unknown option -x" },
	{ "add", { "a@b", "--json" }, -1, "unexpected option --json" },
	{ "add", { "a@b", "--expires" }, -1, "needs a value" },
	{ "add", { 0 }, -1, "exactly one operand" },
	{ "add", { "a@b", "c@d" }, -1, "exactly one operand" },
	{ "list", { "--global", "--scope", "x" }, -1, "exclude" },
	{ "list", { "--json=yes" }, -1, "takes no value" },
	{ "list", { "extra" }, -1, "no operand" },
	{ "import", { "-", "--format", "xml" }, -1, "unknown format" },
	{ "import", { "-", "--format=csv", "--skip-bad" }, 0, NULL },
	{ "check", { "--", "-odd@b" }, 0, NULL },
	{ "frob", { 0 }, -1, "unknown verb" },
};

static void
test_supp_opts(void **state)
{
	struct cli_supp_opts o;
	char err[256];

	(void)state;
	for (size_t i = 0; i < N(opt_cases); i++) {
		const struct opt_case *c = &opt_cases[i];
		int argc = 0, rc;

		while (argc < 6 && c->args[argc] != NULL)
			argc++;
		err[0] = '\0';
		rc = cli_parse_supp(c->verb, argc, (char **)c->args, &o, err,
		    sizeof(err));
		if (rc != c->rc)
			fail_msg("opts case %zu: rc %d, want %d (%s)", i, rc,
			    c->rc, err);
		if (rc < 0 && strstr(err, c->errpart) == NULL)
			fail_msg("opts case %zu: \"%s\" lacks \"%s\"", i, err,
			    c->errpart);
	}
	assert_int_equal(cli_parse_supp("add", 4, (char **)opt_cases[0].args, &o,
	    err, sizeof(err)), 0);
	assert_string_equal(o.arg, "a@b");
	assert_int_equal(o.reason, MK_REASON_BOUNCE);
	assert_string_equal(o.note, "x");
	assert_int_equal(cli_parse_supp("import", 3, (char **)opt_cases[12].args,
	    &o, err, sizeof(err)), 0);
	assert_int_equal(o.format, CLI_FMT_CSV);
	assert_true(o.skip_bad);
	assert_string_equal(o.arg, "-");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expires),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_notes),
		cmocka_unit_test(test_import_lines),
		cmocka_unit_test(test_import_limits),
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_global_opts),
		cmocka_unit_test(test_supp_opts),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
