/*
 * test_dkim_table.c - unit tests of milters/dkim/table.c: pattern
 * precedence (exact, the longest "*.", "*"), several lines of one pattern,
 * from/until windows at their boundaries, every kind of bad line with its
 * NAME:LINE, comments, blank lines, CRLF, the bounds, and reading a file.
 */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "dkim.h"

#define T_2024_03_01	((time_t)1709251200)	/* 2024-03-01T00:00:00Z */
#define T_2024_03_10	((time_t)1710028800)
#define T_2024_02_29	((time_t)1709164800)
#define DAY		86400

static struct dkim_table *
parse_ok(const char *text)
{
	struct dkim_table *t = NULL;
	char err[512] = "";

	if (dkim_table_parse("t", text, &t, err, sizeof(err)) != 0)
		fail_msg("table refused: %s", err);
	assert_non_null(t);
	return t;
}

/* The selectors of the entries that sign domain at now, joined by ','. */
static const char *
signers(const struct dkim_table *t, const char *domain, time_t now)
{
	static char buf[256];
	const struct dkim_entry *e[8];
	size_t n = dkim_table_match(t, domain, now, e, 8);

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(buf, ",");
		strcat(buf, e[i]->selector);
	}
	return buf;
}

/* The exact domain beats "*.", the longest "*." beats a shorter one, "*"
 * comes last, whatever the order of the lines; case does not matter; a
 * "*." pattern does not match its own domain. */
static void
test_precedence(void **st)
{
	struct dkim_table *t = parse_ok(
	    "*                  any   /k/any d=Relay.Example.NET\n"
	    "*.example.com      wild  /k/wild\n"
	    "Example.COM        exact /k/exact\n"
	    "*.sub.example.com  sub   /k/sub\n"
	    "b.example.com      bexact /k/b\n");

	(void)st;
	assert_int_equal(t->n, 5);
	assert_string_equal(t->e[2].pattern, "example.com");
	/* d=: the pattern's domain, or the line's d= */
	assert_string_equal(t->e[0].domain, "relay.example.net");
	assert_string_equal(t->e[1].domain, "example.com");
	assert_string_equal(t->e[2].domain, "example.com");
	assert_string_equal(t->e[3].domain, "sub.example.com");
	assert_string_equal(t->e[4].domain, "b.example.com");
	assert_string_equal(signers(t, "example.com", 0), "exact");
	assert_string_equal(signers(t, "EXAMPLE.com", 0), "exact");
	assert_string_equal(signers(t, "a.example.com", 0), "wild");
	assert_string_equal(signers(t, "B.example.com", 0), "bexact");
	assert_string_equal(signers(t, "sub.example.com", 0), "wild");
	assert_string_equal(signers(t, "x.Sub.Example.com", 0), "sub");
	assert_string_equal(signers(t, "a.b.sub.example.com", 0), "sub");
	assert_string_equal(signers(t, "other.org", 0), "any");
	assert_string_equal(signers(t, "xexample.com", 0), "any");
	assert_string_equal(signers(t, "", 0), "");
	dkim_table_free(t);

	t = parse_ok("*.example.com w /k\nexample.org e /k\n");
	assert_string_equal(signers(t, "example.com", 0), "");
	assert_string_equal(signers(t, "other.org", 0), "");
	assert_string_equal(signers(t, "a.example.org", 0), "");
	dkim_table_free(t);
	dkim_table_free(NULL);
}

/* Two lines of one pattern: two signatures, in file order; at most max
 * are written. Lines of a less specific pattern do not add to them. */
static void
test_two_signatures(void **st)
{
	const struct dkim_entry *e[2];
	struct dkim_table *t = parse_ok(
	    "example.com ed  /k/ed.key\n"
	    "* relay /k/relay.key d=relay.example.net\n"
	    "EXAMPLE.com rsa /k/rsa.key\n");

	(void)st;
	assert_string_equal(signers(t, "example.com", 0), "ed,rsa");
	assert_int_equal(dkim_table_match(t, "example.com", 0, e, 1), 1);
	assert_string_equal(e[0]->selector, "ed");
	assert_string_equal(e[0]->keyfile, "/k/ed.key");
	assert_int_equal(e[0]->line, 1);
	assert_null(e[0]->key);
	assert_string_equal(e[0]->domain, "example.com");
	assert_int_equal(dkim_table_match(t, "example.com", 0, e, 0), 0);
	assert_int_equal(dkim_table_match(t, "example.com", 0, e, 2), 2);
	assert_int_equal(e[1]->line, 3);
	dkim_table_free(t);
}

/* Dates are UTC midnights; a line signs from its from= day included to
 * its until= day excluded; during an overlap both sign; the most
 * specific pattern wins even when none of its lines is in its window. */
static void
test_windows(void **st)
{
	struct dkim_table *t = parse_ok(
	    "example.com old /k/old until=2024-03-10\n"
	    "example.com new /k/new from=2024-03-01\n"
	    "example.com mid /k/mid from=2024-02-29 until=2024-03-01\n"
	    "*.example.com gone /k/gone until=2024-03-01\n"
	    "* any /k/any d=relay.example.net\n");

	(void)st;
	assert_int_equal(t->e[0].from, 0);
	assert_int_equal(t->e[0].until, T_2024_03_10);
	assert_int_equal(t->e[1].from, T_2024_03_01);
	assert_int_equal(t->e[1].until, 0);
	assert_int_equal(t->e[2].from, T_2024_02_29);
	assert_int_equal(t->e[2].until, T_2024_03_01);
	assert_string_equal(signers(t, "example.com", T_2024_02_29 - 1),
	    "old");
	assert_string_equal(signers(t, "example.com", T_2024_02_29),
	    "old,mid");
	assert_string_equal(signers(t, "example.com", T_2024_03_01 - 1),
	    "old,mid");
	assert_string_equal(signers(t, "example.com", T_2024_03_01),
	    "old,new");
	assert_string_equal(signers(t, "example.com", T_2024_03_10 - 1),
	    "old,new");
	assert_string_equal(signers(t, "example.com", T_2024_03_10), "new");
	assert_string_equal(signers(t, "a.example.com", T_2024_03_01 - 1),
	    "gone");
	assert_string_equal(signers(t, "a.example.com", T_2024_03_01), "");
	dkim_table_free(t);

	/* leap days and the first date accepted */
	t = parse_ok("a.org s /k from=2000-02-29 until=2400-02-29\n"
	    "a.org s /k from=2000-01-01 until=9999-12-31\n");
	assert_int_equal(t->e[0].from, (time_t)951782400);
	assert_int_equal(t->e[1].from, (time_t)946684800);
	assert_int_equal(t->e[1].until, (time_t)253402214400LL);
	dkim_table_free(t);
}

/* d= names another signing domain for any pattern, among the options in
 * any order. */
static void
test_signing_domain(void **st)
{
	struct dkim_table *t = parse_ok(
	    "example.com s1 /k d=mail.example.org until=2030-01-01\n"
	    "*.example.com s2 /k from=2024-01-01 D=Example.org\n"
	    "*.Shop.Example.com s3 /k\n");

	(void)st;
	assert_string_equal(t->e[0].domain, "mail.example.org");
	assert_int_equal(t->e[0].until, (time_t)1893456000);
	assert_string_equal(t->e[1].domain, "example.org");
	assert_int_equal(t->e[1].from, (time_t)1704067200);
	assert_string_equal(t->e[2].domain, "shop.example.com");
	dkim_table_free(t);
}

/* Comments (whole lines and after the fields), blank lines, lines of
 * blanks, tabs, CRLF line ends and a last line without its end. */
static void
test_comments_crlf(void **st)
{
	struct dkim_table *t = parse_ok(
	    "# signing table\r\n"
	    "\r\n"
	    "   \t \r\n"
	    "  # indented comment\n"
	    "\texample.com\tsel1\t/etc/k/a.key  # the RSA key\r\n"
	    "example.com sel2 /etc/k/b.key until=2030-01-01\r\n"
	    "*.example.net sel3 /etc/k/c.key");

	(void)st;
	assert_int_equal(t->n, 3);
	assert_string_equal(t->e[0].pattern, "example.com");
	assert_string_equal(t->e[0].selector, "sel1");
	assert_string_equal(t->e[0].keyfile, "/etc/k/a.key");
	assert_int_equal(t->e[0].line, 5);
	assert_string_equal(t->e[1].keyfile, "/etc/k/b.key");
	assert_int_equal(t->e[1].until, (time_t)1893456000);
	assert_int_equal(t->e[1].line, 6);
	assert_string_equal(t->e[2].pattern, "*.example.net");
	assert_string_equal(t->e[2].keyfile, "/etc/k/c.key");
	assert_int_equal(t->e[2].line, 7);
	dkim_table_free(t);

	t = parse_ok("");
	assert_int_equal(t->n, 0);
	assert_string_equal(signers(t, "example.com", 0), "");
	dkim_table_free(t);
	t = parse_ok("# nothing\n\n");
	assert_int_equal(t->n, 0);
	dkim_table_free(t);
}

struct bad {
	const char *line;	/* put on line 3, after a comment and a good line */
	const char *err;	/* the whole message after "t:3: " */
};

static const struct bad bad[] = {
	{ "example.com", "no selector: DOMAIN-PATTERN SELECTOR KEYFILE"
	    " [from=YYYY-MM-DD] [until=YYYY-MM-DD] [d=DOMAIN]" },
	{ "example.com sel # /k", "no key file: DOMAIN-PATTERN SELECTOR"
	    " KEYFILE [from=YYYY-MM-DD] [until=YYYY-MM-DD] [d=DOMAIN]" },
	{ "*example.com s /k", "bad domain pattern \"*example.com\": '*'"
	    " stands alone or starts \"*.\"" },
	{ "ex*ample.com s /k", "bad domain pattern \"ex*ample.com\": '*'"
	    " stands alone or starts \"*.\"" },
	{ "*.*.example.com s /k", "bad domain pattern \"*.*.example.com\":"
	    " '*' stands alone or starts \"*.\"" },
	{ "** s /k", "bad domain pattern \"**\": '*' stands alone or"
	    " starts \"*.\"" },
	{ "*. s /k", "bad domain pattern \"*.\": empty" },
	{ "ex ample s /k", "unknown option \"/k\" (from=YYYY-MM-DD,"
	    " until=YYYY-MM-DD or d=DOMAIN)" },
	{ "ex_ample.com s /k", "bad domain pattern \"ex_ample.com\": has a"
	    " character other than letters, digits, '-' and '.'" },
	{ "example..com s /k", "bad domain pattern \"example..com\": has an"
	    " empty label" },
	{ ".example.com s /k", "bad domain pattern \".example.com\": has an"
	    " empty label" },
	{ "example.com. s /k", "bad domain pattern \"example.com.\": has an"
	    " empty label" },
	{ "-a.example.com s /k", "bad domain pattern \"-a.example.com\": has"
	    " a label starting with '-'" },
	{ "a-.example.com s /k", "bad domain pattern \"a-.example.com\": has"
	    " a label ending with '-'" },
	{ "example.com- s /k", "bad domain pattern \"example.com-\": has a"
	    " label ending with '-'" },
	{ "example.com s_1 /k", "bad selector \"s_1\": has a character other"
	    " than letters, digits, '-' and '.'" },
	{ "example.com -s /k", "bad selector \"-s\": has a label starting"
	    " with '-'" },
	{ "example.com s. /k", "bad selector \"s.\": has an empty label" },
	{ "example.com s /k\x01x", "key file name with a control character" },
	{ "example.com s /k from=2024-1-01", "bad date \"from=2024-1-01\":"
	    " YYYY-MM-DD, a day from 2000-01-01 on" },
	{ "example.com s /k from=2023-02-29", "bad date \"from=2023-02-29\":"
	    " YYYY-MM-DD, a day from 2000-01-01 on" },
	{ "example.com s /k until=2024-04-31", "bad date"
	    " \"until=2024-04-31\": YYYY-MM-DD, a day from 2000-01-01 on" },
	{ "example.com s /k until=2024-13-01", "bad date"
	    " \"until=2024-13-01\": YYYY-MM-DD, a day from 2000-01-01 on" },
	{ "example.com s /k until=2024-00-10", "bad date"
	    " \"until=2024-00-10\": YYYY-MM-DD, a day from 2000-01-01 on" },
	{ "example.com s /k from=1999-12-31", "bad date"
	    " \"from=1999-12-31\": YYYY-MM-DD, a day from 2000-01-01 on" },
	{ "example.com s /k from=2024-03-01x", "bad date"
	    " \"from=2024-03-01x\": YYYY-MM-DD, a day from 2000-01-01 on" },
	{ "example.com s /k from=2024/03/01", "bad date"
	    " \"from=2024/03/01\": YYYY-MM-DD, a day from 2000-01-01 on" },
	{ "example.com s /k from=", "unknown option \"from=\""
	    " (from=YYYY-MM-DD, until=YYYY-MM-DD or d=DOMAIN)" },
	{ "example.com s /k from=2024-03-01 until=2024-03-01", "from= is not"
	    " before until=: the entry would never sign" },
	{ "example.com s /k from=2024-03-02 until=2024-03-01", "from= is not"
	    " before until=: the entry would never sign" },
	{ "example.com s /k from=2024-03-01 from=2024-03-02", "from= given"
	    " twice" },
	{ "example.com s /k until=2024-03-01 until=2024-03-02", "until="
	    " given twice" },
	{ "example.com s /k to=2024-03-01", "unknown option"
	    " \"to=2024-03-01\" (from=YYYY-MM-DD, until=YYYY-MM-DD or d=DOMAIN)" },
	{ "* s /k", "the pattern \"*\" needs d=DOMAIN, the signing domain"
	    " (the relay's own)" },
	{ "* s /k from=2024-01-01", "the pattern \"*\" needs d=DOMAIN, the"
	    " signing domain (the relay's own)" },
	{ "* s /k d=", "unknown option \"d=\" (from=YYYY-MM-DD,"
	    " until=YYYY-MM-DD or d=DOMAIN)" },
	{ "* s /k d=*.relay.net", "bad signing domain \"d=*.relay.net\":"
	    " has a character other than letters, digits, '-' and '.'" },
	{ "* s /k d=relay..net", "bad signing domain \"d=relay..net\": has"
	    " an empty label" },
	{ "a.org s /k d=a.org d=b.org", "d= given twice" },
	{ "example.com s /k l=0", "unknown option \"l=0\" (from=YYYY-MM-DD,"
	    " until=YYYY-MM-DD or d=DOMAIN)" },
};

/* Each bad line is refused with "NAME:LINE: reason", whatever the line
 * end; no table is returned. */
static void
test_bad_lines(void **st)
{
	char text[512], err[512], want[512];
	struct dkim_table *t;

	(void)st;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (int crlf = 0; crlf < 2; crlf++) {
			snprintf(text, sizeof(text), "# c%s\nexample.org s /k%s"
			    "\n%s%s\nexample.net s /k\n", crlf ? "\r" : "",
			    crlf ? "\r" : "", bad[i].line, crlf ? "\r" : "");
			t = (struct dkim_table *)&t;
			err[0] = '\0';
			if (dkim_table_parse("t", text, &t, err,
			    sizeof(err)) != -1)
				fail_msg("accepted: %s", bad[i].line);
			assert_null(t);
			snprintf(want, sizeof(want), "t:3: %s", bad[i].err);
			assert_string_equal(err, want);
		}
	}
}

/* Lengths: a pattern of 253 octets and labels of 63 are accepted, one
 * more is refused; a line of 4096 octets is accepted, one more refused;
 * 100000 lines are accepted, one more refused. Quoted text is made
 * printable and cut. */
static void
test_bounds(void **st)
{
	char dom[300], text[5000], err[512];
	struct dkim_table *t;
	size_t n;
	char *big;

	(void)st;
	/* 4 labels: 63+1+63+1+63+1+61 = 253 */
	memset(dom, 'a', sizeof(dom));
	dom[63] = dom[127] = dom[191] = '.';
	dom[253] = '\0';
	snprintf(text, sizeof(text), "%s s /k\n", dom);
	t = parse_ok(text);
	assert_int_equal(strlen(t->e[0].pattern), 253);
	assert_string_equal(signers(t, dom, 0), "s");
	dkim_table_free(t);
	dom[253] = 'a';
	dom[254] = '\0';
	snprintf(text, sizeof(text), "%s s /k\n", dom);
	assert_int_equal(dkim_table_parse("t", text, &t, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "t:1: bad domain pattern \"aaaa"));
	assert_non_null(strstr(err, "...\": longer than 253 octets"));
	assert_true(strlen(err) < 200);
	snprintf(text, sizeof(text), "*.%s s /k\n", dom + 2);
	assert_int_equal(dkim_table_parse("t", text, &t, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "longer than 253 octets"));
	dom[63] = 'a';		/* first label of 64 */
	dom[70] = '\0';
	snprintf(text, sizeof(text), "%s s /k\n", dom);
	assert_int_equal(dkim_table_parse("t", text, &t, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "has a label longer than 63 octets"));

	/* a line of exactly 4096 octets, then 4097 */
	n = (size_t)snprintf(text, sizeof(text), "example.com s /");
	memset(text + n, 'k', 4096 - n);
	strcpy(text + 4096, "\r\n");
	t = parse_ok(text);
	assert_int_equal(strlen(t->e[0].keyfile), 4096 - 14);
	dkim_table_free(t);
	text[4096] = 'k';
	strcpy(text + 4097, "\n");
	assert_int_equal(dkim_table_parse("t", text, &t, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "t:1: line longer than 4096 octets");

	/* 100000 lines, then 100001 */
	big = malloc(100001 * 2 + 32);
	assert_non_null(big);
	for (n = 0; n < 99999; n++)
		memcpy(big + 2 * n, "#\n", 2);
	strcpy(big + 2 * n, "a.org s /k\n");
	t = parse_ok(big);
	assert_int_equal(t->n, 1);
	assert_int_equal(t->e[0].line, 100000);
	dkim_table_free(t);
	strcpy(big + 2 * n, "#\na.org s /k\n");
	assert_int_equal(dkim_table_parse("t", big, &t, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "t:100001: more than 100000 lines");
	free(big);

	/* control characters quoted as '?' */
	assert_int_equal(dkim_table_parse("t", "exa\x1bmple.com s /k", &t,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "\"exa?mple.com\""));
}

/* A file: read and parsed, errors naming PATH:LINE; a file with a NUL
 * octet and a missing file are refused naming the path. */
static void
test_load(void **st)
{
	char dir[] = "/tmp/test_dkim_table.XXXXXX", path[64], err[512],
	    want[256];
	static const char bin[] = "a.org s /k\nb.org s /k\n\0c.org s /k\n";
	struct dkim_table *t = NULL;
	int fd;

	(void)st;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/signing.table", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "# t\r\nexample.com s1 /k/a\r\n", 26), 26);
	close(fd);
	assert_int_equal(dkim_table_load(path, &t, err, sizeof(err)), 0);
	assert_int_equal(t->n, 1);
	assert_int_equal(t->e[0].line, 2);
	assert_string_equal(t->e[0].keyfile, "/k/a");
	dkim_table_free(t);

	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "a.org s /k\nexample.com\n", 23), 23);
	close(fd);
	assert_int_equal(dkim_table_load(path, &t, err, sizeof(err)), -1);
	assert_null(t);
	snprintf(want, sizeof(want), "%s:2: no selector", path);
	assert_memory_equal(err, want, strlen(want));

	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bin, sizeof(bin) - 1),
	    (ssize_t)sizeof(bin) - 1);
	close(fd);
	assert_int_equal(dkim_table_load(path, &t, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:3: NUL octet: not a text file", path);
	assert_string_equal(err, want);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(dkim_table_load(path, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, path));
	assert_int_equal(dkim_table_load(dir, &t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_two_signatures),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_signing_domain),
		cmocka_unit_test(test_comments_crlf),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests_name("dkim_table", tests, NULL, NULL);
}
