/*
 * test_headers.c - the rule pipeline of milterkit-headers' header logic
 * (every .c file of milters/headers but main.c) against golden files, one
 * test point per case, named after its file; the parts one by one are in
 * test_headers_parts.c.
 *
 * Golden files: tests/headers/golden/NAME.case, sections
 *	[config]	lines of [headers] ("@SECRET@" names a secret file)
 *	[envelope]	from, rcpt, nrcpt, smtputf8, sasl, queue_id, now
 *	[headers]	"Name:value" lines, value as the MTA passes it; a line
 *			starting with a blank continues the value, joined
 *			with "\n" ("\r\n" under [headers crlf])
 *	[expect]	the result, one line each: "ADD Name:value",
 *			"CHANGE Name N:value", "DELETE Name N",
 *			"REJECT CODE X.Y.Z text"; "~ PATTERN" matches one
 *			line with fnmatch(3)
 * In [headers] and [expect], \n \r \t \\ and \xHH are escapes; results are
 * written the same way. Every case runs with date_zone = utc unless it says
 * otherwise. HDR_GOLDEN_SHOW=1 prints every case's result.
 */
#include "config.h"

#include <dirent.h>
#include <fnmatch.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "headers.h"
#include "headers_priv.h"
#include "mk_conf.h"
#include "mk_mem.h"

#include "headers_fx.h"

static void
unescape(const char *s, struct mk_strbuf *b)
{
	for (; *s; s++) {
		if (*s != '\\' || s[1] == '\0') {
			mk_strbuf_ch(b, *s);
			continue;
		}
		s++;
		if (*s == 'n')
			mk_strbuf_ch(b, '\n');
		else if (*s == 'r')
			mk_strbuf_ch(b, '\r');
		else if (*s == 't')
			mk_strbuf_ch(b, '\t');
		else if (*s == 'x' && s[1] && s[2]) {
			char hex[3] = { s[1], s[2], 0 };

			mk_strbuf_ch(b, (char)strtol(hex, NULL, 16));
			s += 2;
		} else
			mk_strbuf_ch(b, *s);
	}
}

static void
escape(const char *s, struct mk_strbuf *b)
{
	char tmp[8];

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '\n')
			mk_strbuf_str(b, "\\n");
		else if (ch == '\r')
			mk_strbuf_str(b, "\\r");
		else if (ch == '\t')
			mk_strbuf_str(b, "\\t");
		else if (ch == '\\')
			mk_strbuf_str(b, "\\\\");
		else if (ch < 0x20 || ch >= 0x7f) {
			snprintf(tmp, sizeof(tmp), "\\x%02x", ch);
			mk_strbuf_str(b, tmp);
		} else
			mk_strbuf_ch(b, (char)ch);
	}
}

/* The result as lines, in the golden syntax. */
static void
render(const struct hdr_result *r, struct mk_strbuf *b)
{
	char tmp[64];

	if (r->reject) {
		mk_strbuf_str(b, "REJECT ");
		mk_strbuf_str(b, r->rcode);
		mk_strbuf_ch(b, ' ');
		mk_strbuf_str(b, r->xcode);
		mk_strbuf_ch(b, ' ');
		escape(r->text, b);
		mk_strbuf_ch(b, '\n');
	}
	for (size_t i = 0; i < r->ne; i++) {
		static const char *const op[] = { "ADD", "INSERT", "CHANGE",
		    "DELETE" };
		const struct hdr_edit *e = &r->e[i];

		mk_strbuf_str(b, op[e->op]);
		mk_strbuf_ch(b, ' ');
		escape(e->name, b);
		if (e->op == HDR_CHANGE || e->op == HDR_DELETE) {
			snprintf(tmp, sizeof(tmp), " %zu", e->index);
			mk_strbuf_str(b, tmp);
		}
		if (e->value != NULL) {
			mk_strbuf_ch(b, ':');
			escape(e->value, b);
		}
		mk_strbuf_ch(b, '\n');
	}
}

struct gcase {
	struct mk_strbuf config, expect;
	struct hdr_field h[64];
	size_t n;
	int crlf;
	char from[256], rcpt[256], sasl[256], qid[64];
	size_t nrcpt;
	int smtputf8;
	long long now;
};

static void
envelope_line(struct gcase *g, const char *k, const char *v)
{
	if (strcmp(k, "from") == 0)
		snprintf(g->from, sizeof(g->from), "%s", v);
	else if (strcmp(k, "rcpt") == 0)
		snprintf(g->rcpt, sizeof(g->rcpt), "%s", v);
	else if (strcmp(k, "sasl") == 0)
		snprintf(g->sasl, sizeof(g->sasl), "%s", v);
	else if (strcmp(k, "queue_id") == 0)
		snprintf(g->qid, sizeof(g->qid), "%s", v);
	else if (strcmp(k, "nrcpt") == 0)
		g->nrcpt = strtoul(v, NULL, 10);
	else if (strcmp(k, "smtputf8") == 0)
		g->smtputf8 = atoi(v);
	else if (strcmp(k, "now") == 0)
		g->now = atoll(v);
	else
		fail_msg("unknown envelope key %s", k);
}

static void
header_line(struct gcase *g, const char *line)
{
	struct mk_strbuf b = { NULL, 0, 0 };
	const char *colon;

	if ((line[0] == ' ' || line[0] == '\t') && g->n > 0) {
		mk_strbuf_str(&b, g->h[g->n - 1].value);
		mk_strbuf_str(&b, g->crlf ? "\r\n" : "\n");
		unescape(line, &b);
		free((char *)g->h[g->n - 1].value);
		g->h[g->n - 1].value = mk_strbuf_take(&b);
		return;
	}
	assert_true(g->n < 64);
	assert_non_null(colon = strchr(line, ':'));
	g->h[g->n].name = mk_strndup(line, (size_t)(colon - line));
	unescape(colon + 1, &b);
	g->h[g->n].value = mk_strbuf_take(&b);
	g->n++;
}

static void
load_case(const char *path, struct gcase *g)
{
	FILE *fp = fopen(path, "r");
	char line[8192];
	int sec = 0;

	assert_non_null(fp);
	memset(g, 0, sizeof(*g));
	snprintf(g->from, sizeof(g->from), "sender@example.com");
	snprintf(g->rcpt, sizeof(g->rcpt), "rcpt@example.net");
	snprintf(g->qid, sizeof(g->qid), "4Q2x1");
	g->nrcpt = 1;
	g->now = NOW;
	while (fgets(line, sizeof(line), fp) != NULL) {
		size_t n = strlen(line);
		char *eq;

		while (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (line[0] == '#' && sec != 3)
			continue;
		if (line[0] == '[') {
			sec = strcmp(line, "[config]") == 0 ? 1 :
			    strcmp(line, "[envelope]") == 0 ? 2 :
			    strncmp(line, "[headers", 8) == 0 ? 3 :
			    strcmp(line, "[expect]") == 0 ? 4 : -1;
			assert_true(sec > 0);
			g->crlf = strcmp(line, "[headers crlf]") == 0;
			continue;
		}
		if (sec == 1) {
			char *at = strstr(line, "@SECRET@");

			if (at != NULL) {
				mk_strbuf_add(&g->config, line, (size_t)(at - line));
				mk_strbuf_str(&g->config, secret_path);
				mk_strbuf_str(&g->config, at + 8);
			} else {
				mk_strbuf_str(&g->config, line);
			}
			mk_strbuf_ch(&g->config, '\n');
		} else if (sec == 2 && (eq = strchr(line, '=')) != NULL) {
			char *k = line, *v = eq + 1;

			*eq = '\0';
			k[strcspn(k, " ")] = '\0';
			v += strspn(v, " ");
			envelope_line(g, k, v);
		} else if (sec == 3 && line[0] != '\0') {
			header_line(g, line);
		} else if (sec == 4 && line[0] != '\0') {
			mk_strbuf_str(&g->expect, line);
			mk_strbuf_ch(&g->expect, '\n');
		}
	}
	fclose(fp);
}

/* Compares got with the expected lines; 0 when they match. */
static int
compare(const char *want, const char *got)
{
	const char *a = want ? want : "", *b = got ? got : "";

	while (*a != '\0' || *b != '\0') {
		size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
		char *x = mk_strndup(a, la), *y = mk_strndup(b, lb);
		int ok;

		if (strncmp(x, "~ ", 2) == 0)
			ok = fnmatch(x + 2, y, 0) == 0;
		else
			ok = strcmp(x, y) == 0;
		free(x);
		free(y);
		if (!ok || (*a == '\0') != (*b == '\0'))
			return -1;
		a += la + (a[la] == '\n');
		b += lb + (b[lb] == '\n');
	}
	return 0;
}

/* Prints text as TAP diagnostics, "# " before each line. */
static void
print_lines(const char *text)
{
	for (const char *p = text ? text : ""; *p != '\0';) {
		size_t n = strcspn(p, "\n");

		print_message("#   %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

static int
run_case(const char *dir, const char *name)
{
	char path[2048], err[512];
	struct gcase g;
	struct hdr_msg m;
	struct hdr_result r;
	struct mk_strbuf out = { NULL, 0, 0 };
	struct hdr_rules *rules;
	int bad;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	load_case(path, &g);
	rules = rules_from(g.config.p, err, sizeof(err));
	if (rules == NULL) {
		print_message("# %s: configuration: %s\n", name, err);
		return 1;
	}
	memset(&m, 0, sizeof(m));
	m.h = g.h;
	m.n = g.n;
	m.env_from = g.from;
	m.smtputf8 = g.smtputf8;
	m.sasl_user = g.sasl[0] ? g.sasl : NULL;
	m.client_addr = "192.0.2.1";
	m.nrcpt = g.nrcpt;
	m.rcpt = g.rcpt;
	m.queue_id = g.qid;
	m.now = (time_t)g.now;
	hdr_rewrite(rules, &m, &r);
	render(&r, &out);
	bad = compare(g.expect.p, out.p) != 0;
	for (size_t i = 0; i < r.ne; i++)
		if (r.e[i].why == NULL || r.e[i].why[0] == '\0')
			bad = 1;
	if (bad || getenv("HDR_GOLDEN_SHOW") != NULL) {
		print_message("# %s %s\n# want:\n", name, bad ? "FAILED" : "ok");
		print_lines(g.expect.p);
		print_message("# got:\n");
		print_lines(out.p);
	}
	hdr_result_free(&r);
	hdr_rules_free(rules);
	for (size_t i = 0; i < g.n; i++) {
		free((char *)g.h[i].name);
		free((char *)g.h[i].value);
	}
	mk_strbuf_free(&g.config);
	mk_strbuf_free(&g.expect);
	mk_strbuf_free(&out);
	return bad;
}

static int
is_case(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && strcmp(d->d_name + n - 5, ".case") == 0;
}

static char golden_dir[1024];
static int golden_cases;		/* found in golden_dir */

/* A golden case (file name in *st) gives exactly its expected edits or
 * reply. */
static void
test_golden_case(void **st)
{
	const char *name = *st;

	if (run_case(golden_dir, name) != 0)
		fail_msg("%s: result differs from [expect]", name);
}

/* The golden directory holds the cases (so that a missing directory is a
 * failure, not an empty pass). */
static void
test_golden_cases_found(void **st)
{
	(void)st;
	if (getenv("HDR_GOLDEN_ONLY") == NULL)
		assert_true(golden_cases >= 40);
	else
		assert_true(golden_cases > 0);
}

/* ---- the token ---- */

/* One test point per golden case, named after its file
 * (HDR_GOLDEN_ONLY=TEXT: the cases whose name holds TEXT). */
int
main(void)
{
	const char *top = getenv("top_srcdir");
	const char *only = getenv("HDR_GOLDEN_ONLY");
	struct CMUnitTest *tests;
	struct dirent **ents = NULL;
	size_t nt = 0;
	int n, rc;

	snprintf(golden_dir, sizeof(golden_dir), "%s/tests/headers/golden",
	    top ? top : "..");
	n = scandir(golden_dir, &ents, is_case, alphasort);
	tests = mk_calloc((size_t)(n > 0 ? n : 0) + 1, sizeof(*tests));
	tests[nt].name = "golden cases found";
	tests[nt++].test_func = test_golden_cases_found;
	for (int i = 0; i < n; i++) {
		if (only != NULL && strstr(ents[i]->d_name, only) == NULL)
			continue;
		tests[nt].name = ents[i]->d_name;
		tests[nt].test_func = test_golden_case;
		tests[nt++].initial_state = ents[i]->d_name;
		golden_cases++;
	}
	rc = _cmocka_run_group_tests("headers", tests, nt, group_setup,
	    group_teardown);
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	free(tests);
	return rc;
}
