/*
 * NAME
 *	cmd_dkim_import.c - `milterkit dkim import-opendkim KEYTABLE
 *	SIGNINGTABLE`
 * SYNOPSIS
 *	int	cmd_dkim_import(int argc, char **argv);
 * DESCRIPTION
 *	Converts OpenDKIM's KeyTable ("NAME DOMAIN:SELECTOR:KEYPATH") and
 *	SigningTable ("PATTERN NAME", plain or refile) into milterkit
 *	signing-table lines on stdout: "PATTERN SELECTOR KEYFILE", with
 *	d=DOMAIN when the KeyTable's domain is not the pattern's own. Refile
 *	patterns "*@example.com", "*@*.example.com" and "*" (or "*@*") and
 *	the plain "example.com" convert; what milterkit cannot express (one
 *	user's address, other wildcards, a key that is not an absolute file
 *	name, a name missing from the KeyTable) becomes a comment saying
 *	why. Every line written is checked with dkim_table_parse(), the
 *	signer's reader. OpenDKIM takes the first refile match in file
 *	order; milterkit the most specific pattern: the output keeps the
 *	order but an operator reviews it.
 * DIAGNOSTICS
 *	Exit 0 (lines that cannot convert are comments, counted on
 *	stderr), 2 for usage errors or an over-long line, 3 when a file
 *	cannot be read.
 * SEE ALSO
 *	milterkit(8), dkim.h, opendkim.conf(5)
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd_dkim.h"
#include "dkim.h"
#include "mk_log.h"
#include "mk_mem.h"

#define IMPORT_LINE_MAX	4096
#define IMPORT_KEYS_MAX	100000

struct kt_entry {
	char *name, *domain, *selector, *keypath;
};

struct kt {
	struct kt_entry *e;
	size_t n;
};

/* Calls fn for every line of path that is neither blank nor a comment,
 * the line trimmed; 0, or an exit code after printing why. */
static int
each_line(const char *path, int (*fn)(void *, const char *, unsigned,
    char *), void *arg)
{
	char buf[IMPORT_LINE_MAX + 2];
	unsigned ln = 0;
	FILE *fp;
	int rc = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "milterkit: %s: %s\n", path, strerror(errno));
		return CLI_EXIT_STORE;
	}
	while (rc == 0 && fgets(buf, sizeof(buf), fp) != NULL) {
		size_t n = strlen(buf);
		char *s = buf;

		ln++;
		if (n > IMPORT_LINE_MAX && buf[n - 1] != '\n') {
			fprintf(stderr, "milterkit: %s:%u: line longer than %d"
			    " octets\n", path, ln, IMPORT_LINE_MAX);
			rc = CLI_EXIT_USAGE;
			break;
		}
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
		    buf[n - 1] == ' ' || buf[n - 1] == '\t'))
			buf[--n] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		rc = fn(arg, path, ln, s);
	}
	if (rc == 0 && ferror(fp)) {
		fprintf(stderr, "milterkit: %s: read error\n", path);
		rc = CLI_EXIT_STORE;
	}
	fclose(fp);
	return rc;
}

/* Splits "KEY VALUE...": *rest is the value, trimmed; NULL if none. */
static char *
split_key(char *s, char **rest)
{
	char *p = s + strcspn(s, " \t");

	*rest = NULL;
	if (*p != '\0') {
		*p++ = '\0';
		p += strspn(p, " \t");
		*rest = *p != '\0' ? p : NULL;
	}
	return s;
}

static const struct kt_entry *
kt_find(const struct kt *kt, const char *name)
{
	for (size_t i = 0; i < kt->n; i++)
		if (strcmp(kt->e[i].name, name) == 0)
			return &kt->e[i];
	return NULL;
}

/* One KeyTable line: NAME DOMAIN:SELECTOR:KEYPATH. */
static int
kt_line(void *arg, const char *path, unsigned ln, char *s)
{
	struct kt *kt = arg;
	struct kt_entry e;
	char *v, *c1, *c2, shown[80];

	e.name = split_key(s, &v);
	if (v == NULL || (c1 = strchr(v, ':')) == NULL ||
	    (c2 = strchr(c1 + 1, ':')) == NULL || c2[1] == '\0') {
		fprintf(stderr, "milterkit: %s:%u: not \"NAME DOMAIN:SELECTOR:"
		    "KEYPATH\": %s (skipped)\n", path, ln, mk_printable(shown,
		    sizeof(shown), e.name, (size_t)-1));
		return 0;
	}
	if (kt_find(kt, e.name) != NULL) {
		fprintf(stderr, "milterkit: %s:%u: key %s given again "
		    "(skipped: the first one counts)\n", path, ln,
		    mk_printable(shown, sizeof(shown), e.name, (size_t)-1));
		return 0;
	}
	if (kt->n >= IMPORT_KEYS_MAX) {
		fprintf(stderr, "milterkit: %s:%u: more than %d keys\n", path,
		    ln, IMPORT_KEYS_MAX);
		return CLI_EXIT_USAGE;
	}
	*c1 = *c2 = '\0';
	kt->e = mk_realloc(kt->e, (kt->n + 1) * sizeof(*kt->e));
	kt->e[kt->n].name = mk_strdup(e.name);
	kt->e[kt->n].domain = mk_strdup(v);
	kt->e[kt->n].selector = mk_strdup(c1 + 1);
	kt->e[kt->n].keypath = mk_strdup(c2 + 1);
	kt->n++;
	return 0;
}

struct st_state {
	const struct kt *kt;
	unsigned done, skipped;
};

/* The milterkit pattern for an OpenDKIM one into out, or why not. */
static const char *
convert_pattern(const char *p, char *out, size_t len)
{
	const char *at = strchr(p, '@'), *dom;

	if (strcmp(p, "*") == 0 || strcmp(p, "*@*") == 0) {
		snprintf(out, len, "*");
		return NULL;
	}
	if (at != NULL && (at != p + 1 || p[0] != '*'))
		return at == p ? "a pattern without a local part" :
		    "one user's address, milterkit signs per domain";
	dom = at != NULL ? at + 1 : p;
	if (strncmp(dom, "*.", 2) == 0 && dkim_name_ok(dom + 2)) {
		snprintf(out, len, "%s", dom);
		return NULL;
	}
	if (!dkim_name_ok(dom))
		return "a wildcard milterkit has no equivalent for: it knows "
		    "DOMAIN, *.DOMAIN and *";
	snprintf(out, len, "%s", dom);
	return NULL;
}

/* The signing-table line for pattern and one KeyTable key, or why not. */
static const char *
convert_key(const char *pat, const struct kt_entry *k, char *out, size_t len)
{
	const char *pd = strncmp(pat, "*.", 2) == 0 ? pat + 2 : pat;
	const char *d = k->domain;

	if (k->keypath[0] != '/')
		return "the key is not an absolute file name: milterkit "
		    "reads PEM files";
	if (strcmp(d, "%") == 0) {
		if (strcmp(pat, pd) != 0)
			return "d=% (the From domain) under a wildcard: "
			    "milterkit signs with one d= per line";
		d = pd;
	}
	if (strcmp(pat, "*") != 0 && strcasecmp(d, pd) == 0)
		d = NULL;
	if ((size_t)snprintf(out, len, "%s %s %s%s%s", pat, k->selector,
	    k->keypath, d != NULL ? " d=" : "", d != NULL ? d : "") >= len)
		return "line too long";
	return NULL;
}

/* One SigningTable line: PATTERN NAME[,NAME...]. */
static int
st_line(void *arg, const char *path, unsigned ln, char *s)
{
	struct st_state *st = arg;
	char pat[300], line[IMPORT_LINE_MAX + 300], err[512], shown[300];
	char nm[120];
	char *names, *name, *save = NULL;
	const struct kt_entry *k;
	struct dkim_table *one;
	const char *why;

	split_key(s, &names);
	mk_printable(shown, sizeof(shown), s, (size_t)-1);
	if (names == NULL) {
		printf("# %s:%u: \"%s\" not converted: no key name\n", path,
		    ln, shown);
		st->skipped++;
		return 0;
	}
	if ((why = convert_pattern(s, pat, sizeof(pat))) != NULL) {
		printf("# %s:%u: \"%s %s\" not converted: %s\n", path, ln,
		    shown, mk_printable(err, sizeof(err), names, (size_t)-1),
		    why);
		st->skipped++;
		return 0;
	}
	for (name = strtok_r(names, " \t,", &save); name != NULL;
	    name = strtok_r(NULL, " \t,", &save)) {
		why = NULL;
		if ((k = kt_find(st->kt, name)) == NULL)
			why = "no such key in the KeyTable";
		else if ((why = convert_key(pat, k, line, sizeof(line))) ==
		    NULL && dkim_table_parse("converted", line, &one, err,
		    sizeof(err)) < 0)
			why = err;
		else if (why == NULL)
			dkim_table_free(one);
		if (why != NULL) {
			printf("# %s:%u: \"%s %s\" not converted: %s\n",
			    path, ln, shown, mk_printable(nm, sizeof(nm),
			    name, (size_t)-1), why);
			st->skipped++;
		} else {
			printf("%s\n", line);
			st->done++;
		}
	}
	return 0;
}

int
cmd_dkim_import(int argc, char **argv)
{
	struct kt kt = { NULL, 0 };
	struct st_state st;
	int rc;

	if (argc >= 1 && (strcmp(argv[0], "-h") == 0 ||
	    strcmp(argv[0], "--help") == 0)) {
		printf("usage: milterkit dkim import-opendkim KEYTABLE "
		    "SIGNINGTABLE\n");
		return CLI_EXIT_OK;
	}
	if (argc != 2 || argv[0][0] == '-' || argv[1][0] == '-') {
		fprintf(stderr, "usage: milterkit dkim import-opendkim "
		    "KEYTABLE SIGNINGTABLE\n");
		return CLI_EXIT_USAGE;
	}
	if ((rc = each_line(argv[0], kt_line, &kt)) == 0) {
		st.kt = &kt;
		st.done = st.skipped = 0;
		printf("# milterkit signing table from OpenDKIM's %s and %s\n"
		    "# DOMAIN-PATTERN SELECTOR KEYFILE [from=YYYY-MM-DD] "
		    "[until=YYYY-MM-DD] [d=DOMAIN]\n", argv[0], argv[1]);
		rc = each_line(argv[1], st_line, &st);
		if (rc == 0)
			fprintf(stderr, "milterkit: %u line%s converted, %u "
			    "not (commented)\n", st.done, st.done == 1 ? ""
			    : "s", st.skipped);
	}
	for (size_t i = 0; i < kt.n; i++) {
		free(kt.e[i].name);
		free(kt.e[i].domain);
		free(kt.e[i].selector);
		free(kt.e[i].keypath);
	}
	free(kt.e);
	return rc;
}
