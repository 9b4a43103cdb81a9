/*
 * NAME
 *	test_ingest_parse - unit tests of the ingest parser (tools/ingest_*.c)
 * SYNOPSIS
 *	tests/unit/test_ingest_parse
 * DESCRIPTION
 *	The corpus: every message of tests/ingest/corpus is one TAP point,
 *	named after its file. ingest_parse() must find exactly the items
 *	that tests/ingest/expected lists for it ("FILE TYPE KIND RECIPIENT
 *	STATUS" lines, in order): a missing or an extra item fails, and so
 *	does a corpus file without a line in expected or a line without its
 *	file. Every report must also hold only bounded, printable strings.
 *
 *	Then tables: ingest_classify() (status, diagnostic, action -> kind)
 *	and ing_status_guess() (reply text -> status); and targeted cases:
 *	folded DSN fields, Diagnostic-Code continuation lines, the cap of
 *	ING_ITEMS_MAX recipients, the original message's fields, garbage
 *	(empty, binary, deep nesting, megabytes of one letter).
 *
 *	The corpus and expected are found under $top_srcdir (make check
 *	exports it), else "..". ING_CORPUS_ONLY=TEXT: only the corpus files
 *	whose names hold TEXT.
 */
#include "config.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ingest_parse.h"
#include "mk_mem.h"
#include "mk_strbuf.h"

#define WHY_NONE "not a bounce, complaint or auto-reply"

static char corpus_dir[4096];
static char *expected;		/* tests/ingest/expected, whole */
static int corpus_files;

/* ---- helpers ---- */

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	size_t cap = 65536, n = 0, got;
	char *buf;

	if (fp == NULL)
		return NULL;
	buf = mk_malloc(cap + 1);
	while ((got = fread(buf + n, 1, cap - n, fp)) > 0) {
		n += got;
		if (n == cap)
			buf = mk_realloc(buf, (cap *= 2) + 1);
	}
	fclose(fp);
	buf[n] = 0;
	*len = n;
	return buf;
}

static struct ingest_report *
parse_str(const char *s)
{
	struct ingest_report *r = mk_calloc(1, sizeof(*r));

	assert_int_equal(ingest_parse(s, strlen(s), r), 0);
	return r;
}

static int
printable(const char *s, size_t size)
{
	const char *z = memchr(s, 0, size);

	if (z == NULL)
		return 0;
	for (; s < z; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* Invariants every report keeps, whatever the input. */
static void
check_bounded(const char *name, const struct ingest_report *r)
{
	if (r->n > ING_ITEMS_MAX || !printable(r->why, sizeof(r->why)) ||
	    !printable(r->message_id, sizeof(r->message_id)) ||
	    !printable(r->orig_message_id, sizeof(r->orig_message_id)) ||
	    !printable(r->auto_submitted, sizeof(r->auto_submitted)) ||
	    (r->type == ING_T_UNKNOWN && r->n != 0))
		fail_msg("%s: report not bounded or not printable", name);
	for (size_t i = 0; i < r->n; i++)
		if (!printable(r->items[i].diag, sizeof(r->items[i].diag)) ||
		    !printable(r->items[i].status, sizeof(r->items[i].status)))
			fail_msg("%s: item %zu not printable", name, i + 1);
}

static const char *
dash(const char *s)
{
	return s[0] ? s : "-";
}

/* ---- the corpus ---- */

/* Lines of s as TAP comments under a label. */
static void
print_lines(const char *label, const char *s)
{
	print_message("# %s:\n", label);
	while (*s) {
		size_t n = strcspn(s, "\n");

		print_message("#   %.*s\n", (int)n, s);
		s += n + (s[n] == '\n');
	}
}

/* The expected lines of one file, "TYPE KIND RCPT STATUS\n" each. */
static char *
expected_for(const char *file)
{
	struct mk_strbuf b = {0};
	size_t k = strlen(file);
	const char *p = expected;

	mk_strbuf_str(&b, "");
	while (p != NULL && *p) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (p[0] != '#' && len > k && strncmp(p, file, k) == 0 &&
		    p[k] == ' ') {
			mk_strbuf_add(&b, p + k + 1, len - k - 1);
			mk_strbuf_ch(&b, '\n');
		}
		p = e ? e + 1 : NULL;
	}
	return mk_strbuf_take(&b);
}

static void
test_corpus_file(void **state)
{
	const char *file = *state;
	struct ingest_report *r = mk_calloc(1, sizeof(*r));
	struct mk_strbuf got = {0};
	char path[4200], line[600], *buf, *want, *g;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", corpus_dir, file);
	if ((buf = slurp(path, &len)) == NULL)
		fail_msg("%s: cannot read %s", file, path);
	assert_int_equal(ingest_parse(buf, len, r), 0);
	check_bounded(file, r);
	mk_strbuf_str(&got, "");
	if (r->n == 0) {
		snprintf(line, sizeof(line), "%s - - -\n",
		    ingest_type_name(r->type));
		mk_strbuf_str(&got, line);
	}
	for (size_t i = 0; i < r->n; i++) {
		snprintf(line, sizeof(line), "%s %s %s %s\n",
		    ingest_type_name(r->type),
		    ingest_kind_name(r->items[i].kind),
		    dash(r->items[i].recipient), dash(r->items[i].status));
		mk_strbuf_str(&got, line);
	}
	g = mk_strbuf_take(&got);
	want = expected_for(file);
	if (want[0] == 0)
		fail_msg("%s: no line in tests/ingest/expected", file);
	if (strcmp(g, want) != 0) {
		print_message("# %s (why: %s)\n", file, r->why);
		print_lines("want", want);
		print_lines("got", g);
		fail_msg("%s: items differ from tests/ingest/expected", file);
	}
	free(g);
	free(want);
	free(buf);
	free(r);
}

/* Every line of expected names a corpus file, and there are enough. */
static void
test_corpus_complete(void **state)
{
	const char *p = expected;

	(void)state;
	assert_non_null(expected);
	assert_true(corpus_files >= 45);
	while (p != NULL && *p) {
		const char *e = strchr(p, '\n');
		char file[256], path[4400];
		size_t k = strcspn(p, " \n");
		FILE *fp;

		if (p[0] != '#' && k > 0 && k < sizeof(file)) {
			memcpy(file, p, k);
			file[k] = 0;
			snprintf(path, sizeof(path), "%s/%s", corpus_dir, file);
			if ((fp = fopen(path, "rb")) == NULL)
				fail_msg("expected names %s: not in the corpus",
				    file);
			fclose(fp);
		}
		p = e ? e + 1 : NULL;
	}
}

/* ---- ingest_classify ---- */

struct cls {
	const char *status, *diag, *action;
	int kind;
};

static const struct cls cls[] = {
	{"5.1.1", "550 5.1.1 user unknown", "failed", ING_HARD},
	{"5.1.1", NULL, NULL, ING_HARD},
	{"5.1.2", "bad destination system", "failed", ING_HARD},
	{"5.1.3", NULL, "failed", ING_HARD},
	{"5.1.6", "mailbox has moved", "failed", ING_HARD},
	{"5.1.10", "RESOLVER.ADR.RecipientNotFound", "failed", ING_HARD},
	{"5.1.0", "address rejected", "failed", ING_HARD},
	{"5.1.7", "bad sender's mailbox", "failed", ING_SOFT},
	{"5.1.8", "bad sender's system address", "failed", ING_SOFT},
	{"5.2.1", "mailbox disabled", "failed", ING_HARD},
	{"5.2.2", "mailbox full", "failed", ING_SOFT},
	{"5.2.3", "message too large", "failed", ING_SOFT},
	{"5.2.0", "user unknown", "failed", ING_HARD},
	{"5.2.0", "mailbox busy", "failed", ING_SOFT},
	{"5.3.4", "message too big for system", "failed", ING_SOFT},
	{"5.4.4", "unable to route", "failed", ING_HARD},
	{"5.4.1", "Recipient address rejected: Access denied", "failed",
	    ING_SOFT},
	{"5.4.7", "delivery time expired", "failed", ING_SOFT},
	{"5.5.0", "mailbox unavailable", "failed", ING_HARD},
	{"5.5.2", "syntax error", "failed", ING_SOFT},
	{"5.6.1", "media not supported", "failed", ING_SOFT},
	{"5.7.1", "blocked using zen.spamhaus.org", "failed", ING_SOFT},
	{"5.7.1", "user unknown", "failed", ING_SOFT},
	{"5.7.26", "DMARC policy", "failed", ING_SOFT},
	{"5.0.0", "550 No such user here", "failed", ING_HARD},
	{"5.0.0", "554 Message rejected", "failed", ING_SOFT},
	{"5.0.0", "Unrouteable address", "failed", ING_HARD},
	{"4.2.2", "mailbox full", "failed", ING_SOFT},
	{"4.4.1", "connection timed out", "failed", ING_SOFT},
	{"4.7.1", "greylisted", "failed", ING_SOFT},
	{"4.7.1", "greylisted", "delayed", ING_IGNORED},
	{"5.1.1", "user unknown", "delayed", ING_IGNORED},
	{"2.0.0", "ok", "delivered", ING_IGNORED},
	{"2.0.0", "ok", "relayed", ING_IGNORED},
	{"2.0.0", "alias expanded", "expanded", ING_IGNORED},
	{"2.0.0", "ok", "failed", ING_IGNORED},
	{"5.1.1", NULL, "Failed", ING_HARD},
	{"5.1.1", NULL, "failed (permanent)", ING_HARD},
	{"5.1.1", NULL, "whatever", ING_IGNORED},
	{"", "550 5.1.1 <a@b.example>: user unknown", "failed", ING_HARD},
	{NULL, "550 No such user", "failed", ING_HARD},
	{NULL, "554: delivery error: dd This user doesn't have a "
	    "yahoo.com account", "failed", ING_HARD},
	{NULL, "552 Requested action aborted", "failed", ING_SOFT},
	{NULL, "421 Service not available", "failed", ING_SOFT},
	{NULL, "something odd happened", "failed", ING_SOFT},
	{NULL, NULL, "failed", ING_SOFT},
	{"5.1", "user unknown", "failed", ING_HARD},	/* malformed: text */
	{"9.1.1", "rejected", "failed", ING_SOFT},
};

static void
test_classify_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cls) / sizeof(cls[0]); i++) {
		int k = ingest_classify(cls[i].status, cls[i].diag,
		    cls[i].action);

		if (k != cls[i].kind)
			fail_msg("classify(%s, %s, %s) = %s, want %s",
			    cls[i].status ? cls[i].status : "NULL",
			    cls[i].diag ? cls[i].diag : "NULL",
			    cls[i].action ? cls[i].action : "NULL",
			    ingest_kind_name(k), ingest_kind_name(cls[i].kind));
	}
	assert_string_equal(ingest_kind_name(ING_COMPLAINT), "complaint");
	assert_string_equal(ingest_kind_name(ING_UNSUBSCRIBE), "unsubscribe");
	assert_string_equal(ingest_kind_name(0), "?");
	assert_string_equal(ingest_type_name(ING_T_BOUNCE_TEXT), "bounce-text");
}

struct guess {
	const char *text, *status;
};

static const struct guess guesses[] = {
	{"550 5.1.1 <a@b.example>: Recipient address rejected", "5.1.1"},
	{"#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##", "5.1.1"},
	{"Sorry, no mailbox here by that name. (#5.1.1)", "5.1.1"},
	{"<mx.example.net #5.1.1>", "5.1.1"},
	{"550 User unknown", "5.1.1"},
	{"550 Requested action not taken: user does not exist", "5.1.1"},
	{"554: delivery error: dd This user doesn't have a yahoo.com account",
	    "5.1.1"},
	{"550 Host unknown", "5.1.2"},
	{"Unrouteable address", "5.4.4"},
	{"552 Requested mail action aborted: exceeded storage allocation",
	    "5.2.2"},
	{"550 mailbox full", "5.2.2"},
	{"452 Mailbox full", "4.2.2"},
	{"421 Service not available, closing channel", "4.0.0"},
	{"450 Try again later", "4.0.0"},
	{"554 Message rejected", "5.0.0"},
	{"connect to 192.0.2.5.1.1[192.0.2.1]:25: timed out", ""},
	{"host 203.0.113.5 said: nothing", ""},
	{"version 2.4.1 of the software", ""},
	{"250 ok", ""},
	{"", ""},
};

static void
test_status_guess_table(void **state)
{
	char out[16];

	(void)state;
	for (size_t i = 0; i < sizeof(guesses) / sizeof(guesses[0]); i++) {
		ing_status_guess(guesses[i].text, out, sizeof(out));
		if (strcmp(out, guesses[i].status) != 0)
			fail_msg("guess(%s) = \"%s\", want \"%s\"",
			    guesses[i].text, out, guesses[i].status);
	}
	assert_true(ing_status_valid("5.1.10", 6));
	assert_false(ing_status_valid("5.1.", 4));
	assert_false(ing_status_valid("3.1.1", 5));
	assert_false(ing_status_valid("5.1234.1", 8));
}

/* ---- targeted cases ---- */

#define DSN_HEAD \
	"From: MAILER-DAEMON@mail.example.com\n" \
	"To: bounces@bounces.example.com\n" \
	"Subject: Undelivered Mail Returned to Sender\n" \
	"MIME-Version: 1.0\n" \
	"Content-Type: multipart/report; report-type=delivery-status;\n" \
	"\tboundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nfailed\n\n" \
	"--B\nContent-Type: message/delivery-status\n\n" \
	"Reporting-MTA: dns; mail.example.com\n\n"

static void
test_folded_fields(void **state)
{
	struct ingest_report *r;

	(void)state;
	r = parse_str(DSN_HEAD
	    "Final-Recipient:\n rfc822;\n\tBob.Smith@Example.NET\n"
	    "Action:\n failed\n"
	    "Status:\n  5.1.1\n"
	    "Diagnostic-Code: smtp;\n 550 5.1.1\n   <Bob.Smith@example.net>:\n"
	    "\tRecipient address rejected\n"
	    "\n--B--\n");
	assert_int_equal(r->type, ING_T_DSN);
	assert_int_equal(r->n, 1);
	assert_int_equal(r->items[0].kind, ING_HARD);
	/* the local part's case is kept, the domain's is not */
	assert_string_equal(r->items[0].recipient, "Bob.Smith@example.net");
	assert_string_equal(r->items[0].status, "5.1.1");
	assert_string_equal(r->items[0].diag,
	    "550 5.1.1 <Bob.Smith@example.net>: Recipient address rejected");
	free(r);
}

static void
test_diag_continuation(void **state)
{
	struct ingest_report *r;

	(void)state;
	r = parse_str(DSN_HEAD
	    "Final-Recipient: rfc822; carol@example.org\r\n"
	    "Action: failed\r\n"
	    "Status: 5.2.2\r\n"
	    "Diagnostic-Code: smtp; 552-5.2.2 The email account that you\r\n"
	    " 552-5.2.2 tried to reach is over quota.\r\n"
	    " 552 5.2.2 Please retry later.\r\n"
	    "Last-Attempt-Date: Tue, 12 Mar 2024 10:15:02 +0000\r\n"
	    "\r\n--B--\r\n");
	assert_int_equal(r->n, 1);
	assert_int_equal(r->items[0].kind, ING_SOFT);
	assert_string_equal(r->items[0].diag,
	    "552-5.2.2 The email account that you 552-5.2.2 tried to reach "
	    "is over quota. 552 5.2.2 Please retry later.");
	free(r);
}

static void
test_items_cap(void **state)
{
	struct mk_strbuf b = {0};
	struct ingest_report *r;
	char blk[200], *s;

	(void)state;
	mk_strbuf_str(&b, DSN_HEAD);
	for (int i = 0; i < ING_ITEMS_MAX + 6; i++) {
		snprintf(blk, sizeof(blk), "Final-Recipient: rfc822; u%d@"
		    "example.net\nAction: failed\nStatus: 5.1.1\n\n", i);
		mk_strbuf_str(&b, blk);
	}
	mk_strbuf_str(&b, "--B--\n");
	s = mk_strbuf_take(&b);
	r = parse_str(s);
	assert_int_equal(r->type, ING_T_DSN);
	assert_int_equal(r->n, ING_ITEMS_MAX);
	assert_string_equal(r->items[0].recipient, "u0@example.net");
	assert_string_equal(r->items[ING_ITEMS_MAX - 1].recipient,
	    "u63@example.net");
	assert_string_equal(r->orig_rcpt, "");	/* not single */
	free(r);
	free(s);
}

static void
test_orig_fields(void **state)
{
	struct ingest_report *r = mk_calloc(1, sizeof(*r));
	char path[4200], *buf;
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/01-postfix-user-unknown.eml",
	    corpus_dir);
	assert_non_null(buf = slurp(path, &len));
	assert_int_equal(ingest_parse(buf, len, r), 0);
	assert_string_equal(r->orig_return_path,
	    "b0=abcdefgh=ab12=news=example.com=bob=example.net"
	    "@bounces.example.com");
	assert_string_equal(r->to, r->orig_return_path);
	assert_string_equal(r->from, "MAILER-DAEMON@mail.example.com");
	assert_string_equal(r->orig_from, "news@example.com");
	assert_string_equal(r->orig_to, "bob@example.net");
	assert_string_equal(r->orig_rcpt, "bob@example.net");
	assert_string_equal(r->orig_message_id,
	    "20240312101500.4Q2x1Z3k5Gz9sWP@mail.example.com");
	assert_string_equal(r->message_id,
	    "20240312101502.5E3C8A0123@mail.example.com");
	assert_string_equal(r->auto_submitted, "auto-replied");
	free(buf);

	snprintf(path, sizeof(path), "%s/38-arf-comcast.eml", corpus_dir);
	assert_non_null(buf = slurp(path, &len));
	assert_int_equal(ingest_parse(buf, len, r), 0);
	assert_string_equal(r->feedback_type, "abuse");
	assert_string_equal(r->orig_rcpt, "erin@comcast.example");
	assert_string_equal(r->orig_mail_from,
	    "b0=abcdefgh=ab12=news=example.com=erin=comcast.example"
	    "@bounces.example.com");
	free(buf);

	/* quoted-printable headers: "=3D" in the token decoded */
	snprintf(path, sizeof(path), "%s/31-dsn-quoted-printable.eml",
	    corpus_dir);
	assert_non_null(buf = slurp(path, &len));
	assert_int_equal(ingest_parse(buf, len, r), 0);
	assert_string_equal(r->orig_return_path,
	    "b0=abcdefgh=ab12=news=example.com=vera=example.org"
	    "@bounces.example.com");
	free(buf);
	free(r);
}

static void
test_garbage(void **state)
{
	struct ingest_report *r = mk_calloc(1, sizeof(*r));
	size_t big = 10u << 20;
	char *buf = mk_malloc(big);
	struct mk_strbuf b = {0};
	char *s;

	(void)state;
	assert_int_equal(ingest_parse(NULL, 0, r), 0);
	assert_int_equal(r->type, ING_T_UNKNOWN);
	assert_string_equal(r->why, WHY_NONE);

	memset(buf, 'A', big);
	assert_int_equal(ingest_parse(buf, big, r), 0);
	assert_int_equal(r->type, ING_T_UNKNOWN);
	assert_int_equal(r->n, 0);
	check_bounded("10 MB of A", r);

	for (size_t i = 0; i < 65536; i++)
		buf[i] = (char)(i * 7 + (i >> 8));
	assert_int_equal(ingest_parse(buf, 65536, r), 0);
	assert_int_equal(r->type, ING_T_UNKNOWN);
	check_bounded("binary", r);

	/* NULs and control bytes inside fields become '?' */
	{
		static const char ctl[] = DSN_HEAD "Final-Recipient: rfc822; "
		    "a@example.net\nAction: failed\nStatus: 5.7.1\n"
		    "Diagnostic-Code: smtp; 554 x\001y\177z\000w\n\n--B--\n";

		assert_int_equal(ingest_parse(ctl, sizeof(ctl) - 1, r), 0);
		assert_int_equal(r->n, 1);
		assert_string_equal(r->items[0].diag, "554 x?y?z?w");
		check_bounded("control bytes", r);
	}

	/* multiparts nested far deeper than the walk follows */
	mk_strbuf_str(&b, "From: MAILER-DAEMON@example.com\nSubject: "
	    "Undeliverable\nMIME-Version: 1.0\n");
	for (int i = 0; i < 500; i++) {
		char l[120];

		snprintf(l, sizeof(l), "Content-Type: multipart/mixed; "
		    "boundary=\"b%d\"\n\n--b%d\n", i, i);
		mk_strbuf_str(&b, l);
	}
	mk_strbuf_str(&b, "Content-Type: text/plain\n\nhello\n");
	s = mk_strbuf_take(&b);
	assert_int_equal(ingest_parse(s, strlen(s), r), 0);
	assert_int_equal(r->type, ING_T_UNKNOWN);
	free(s);

	/* a bounce-looking message whose body names nobody */
	free(r);
	r = parse_str("From: MAILER-DAEMON@example.com\nSubject: failure "
	    "notice\n\nHi. This is the qmail-send program at x.\n\n"
	    "<not an address>:\nsomething\n");
	assert_int_equal(r->type, ING_T_UNKNOWN);
	assert_int_equal(r->n, 0);
	free(r);
	free(buf);
}

/* A DSN stays a DSN though it carries Auto-Submitted. */
static void
test_dsn_not_autoreply(void **state)
{
	struct ingest_report *r;

	(void)state;
	r = parse_str("Auto-Submitted: auto-replied\n" DSN_HEAD
	    "Final-Recipient: rfc822; a@example.net\nAction: failed\n"
	    "Status: 5.1.1\n\n--B--\n");
	assert_int_equal(r->type, ING_T_DSN);
	assert_string_equal(r->auto_submitted, "auto-replied");
	free(r);
	r = parse_str("From: a@example.org\nAuto-Submitted: no\n"
	    "Subject: hello\n\nhi\n");
	assert_int_equal(r->type, ING_T_UNKNOWN);
	free(r);
}

static int
is_eml(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 4 &&
	    strcmp(d->d_name + n - 4, ".eml") == 0;
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_classify_table),
		cmocka_unit_test(test_status_guess_table),
		cmocka_unit_test(test_folded_fields),
		cmocka_unit_test(test_diag_continuation),
		cmocka_unit_test(test_items_cap),
		cmocka_unit_test(test_orig_fields),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_dsn_not_autoreply),
	};
	const char *top = getenv("top_srcdir");
	const char *only = getenv("ING_CORPUS_ONLY");
	struct CMUnitTest *tests;
	struct dirent **ents = NULL;
	char path[4200];
	size_t nt = 0, len;
	int n, rc;

	snprintf(corpus_dir, sizeof(corpus_dir), "%s/tests/ingest/corpus",
	    top ? top : "..");
	snprintf(path, sizeof(path), "%s/tests/ingest/expected",
	    top ? top : "..");
	expected = slurp(path, &len);
	ingest_parse_init();
	n = scandir(corpus_dir, &ents, is_eml, alphasort);
	tests = mk_calloc((size_t)(n > 0 ? n : 0) + 1 +
	    sizeof(fixed) / sizeof(fixed[0]), sizeof(*tests));
	tests[nt].name = "corpus and expected complete";
	tests[nt++].test_func = test_corpus_complete;
	for (int i = 0; i < n; i++) {
		corpus_files++;
		if (only != NULL && strstr(ents[i]->d_name, only) == NULL)
			continue;
		tests[nt].name = ents[i]->d_name;
		tests[nt].test_func = test_corpus_file;
		tests[nt++].initial_state = ents[i]->d_name;
	}
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		tests[nt++] = fixed[i];
	rc = _cmocka_run_group_tests("ingest_parse", tests, nt, NULL, NULL);
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	free(tests);
	free(expected);
	return rc;
}
