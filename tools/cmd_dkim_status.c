/*
 * NAME
 *	cmd_dkim_status.c - `milterkit dkim status`
 * SYNOPSIS
 *	int	cmd_dkim_status(struct tool *t, int argc, char **argv);
 * DESCRIPTION
 *	Reads the signing table ([dkim] signing_table, or --table FILE) with
 *	dkim_table_load(), the signer's own reader, loads every key file as
 *	the signer does (mode, links, type and size by dkim_key_load(); the
 *	owner against [dkim] user, since the command may run as root) and
 *	prints one line per table line: pattern, selector, d=, from/until,
 *	the key file and its type and size or why it does not load. Then,
 *	for each pattern, the selectors that sign now (or at --at DATE) and
 *	those that sign from the next from= or until= date of its lines:
 *	the rotation an operator plans the DNS records by.
 * DIAGNOSTICS
 *	Exit 0, 2 for usage errors or a table that does not parse, 3 when
 *	the table cannot be read or one of its keys does not load.
 * SEE ALSO
 *	milterkit(8), dkim.h
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cmd_dkim.h"
#include "dkim.h"
#include "mk_mem.h"

struct key_info {
	char what[64];		/* "rsa 2048 bits", "" when it failed */
	char err[640];
};

static int
in_force(const struct dkim_entry *e, time_t t)
{
	return (e->from == 0 || e->from <= t) && (e->until == 0 || t < e->until);
}

static void
fmt_day(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t == 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, len, "-");
}

/* Load one key as the signer would, the owner checked against o. */
static void
key_check(const struct dkim_entry *e, const struct dkim_owner *o,
    struct key_info *ki)
{
	struct dkim_key *k = NULL;
	struct stat sb;

	ki->what[0] = ki->err[0] = '\0';
	if (dkim_key_load(e->keyfile, 0, &k, ki->err, sizeof(ki->err)) < 0)
		return;
	snprintf(ki->what, sizeof(ki->what), "%s %d bits",
	    k->alg == DKIM_ED25519_SHA256 ? "ed25519" : "rsa", k->bits);
	dkim_key_free(k);
	if (stat(e->keyfile, &sb) == 0 && sb.st_uid != o->uid) {
		snprintf(ki->err, sizeof(ki->err), "key file %s is owned by "
		    "uid %lu, not by %s (uid %lu), whom the signer runs as: "
		    "chown %s %s", e->keyfile, (unsigned long)sb.st_uid,
		    *o->name ? o->name : "the caller", (unsigned long)o->uid,
		    *o->name ? o->name : "$(id -un)", e->keyfile);
		ki->what[0] = '\0';
	}
}

/* The first date after t where a line of pattern p starts or stops
 * signing, 0 if none. */
static time_t
next_change(const struct dkim_table *tb, const char *p, time_t t)
{
	time_t best = 0;

	for (size_t i = 0; i < tb->n; i++) {
		const struct dkim_entry *e = &tb->e[i];

		if (strcmp(e->pattern, p) != 0)
			continue;
		if (e->from > t && (best == 0 || e->from < best))
			best = e->from;
		if (e->until > t && (best == 0 || e->until < best))
			best = e->until;
	}
	return best;
}

/* The selectors of pattern p that sign at t: text or a JSON array. */
static void
print_signers(const struct dkim_table *tb, const char *p, time_t t, int json)
{
	char q[600];
	int n = 0;

	for (size_t i = 0; i < tb->n; i++) {
		const struct dkim_entry *e = &tb->e[i];

		if (strcmp(e->pattern, p) != 0 || !in_force(e, t))
			continue;
		if (json && cli_json_escape(q, sizeof(q), e->selector) > 0)
			printf("%s%s", n ? "," : "", q);
		else if (!json)
			printf("%s%s (d=%s)", n ? ", " : "", e->selector,
			    e->domain != NULL ? e->domain : "-");
		n++;
	}
	if (n == 0 && !json)
		printf("nothing (no line in force)");
}

/* Has a line before index i the same pattern? */
static int
seen_pattern(const struct dkim_table *tb, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(tb->e[j].pattern, tb->e[i].pattern) == 0)
			return 1;
	return 0;
}

static void
print_text(const char *path, const struct dkim_table *tb,
    const struct key_info *ki, time_t at)
{
	char from[16], until[16], day[16];

	fmt_day(at, day, sizeof(day));
	printf("signing table %s: %zu line%s, as of %s\n", path, tb->n,
	    tb->n == 1 ? "" : "s", day);
	for (size_t i = 0; i < tb->n; i++) {
		const struct dkim_entry *e = &tb->e[i];

		fmt_day(e->from, from, sizeof(from));
		fmt_day(e->until, until, sizeof(until));
		printf("line %u: %s s=%s d=%s from=%s until=%s %s: %s%s\n",
		    e->line, e->pattern, e->selector, e->domain != NULL ?
		    e->domain : "-", from, until, e->keyfile, ki[i].what[0] ?
		    ki[i].what : "error: ", ki[i].what[0] ? "" : ki[i].err);
	}
	for (size_t i = 0; i < tb->n; i++) {
		const char *p = tb->e[i].pattern;
		time_t nx;

		if (seen_pattern(tb, i))
			continue;
		printf("%s signs now: ", p);
		print_signers(tb, p, at, 0);
		if ((nx = next_change(tb, p, at)) != 0) {
			fmt_day(nx, day, sizeof(day));
			printf("\n%s signs next, from %s: ", p, day);
			print_signers(tb, p, nx, 0);
			printf("\n");
		} else {
			printf("\n%s signs next: no change ahead\n", p);
		}
	}
}

static void
print_json(const char *path, const struct dkim_table *tb,
    const struct key_info *ki, time_t at)
{
	char a[4][1400], from[16], until[16], day[16];

	fmt_day(at, day, sizeof(day));
	if (cli_json_escape(a[0], sizeof(a[0]), path) < 0)
		snprintf(a[0], sizeof(a[0]), "\"\"");
	printf("{\"table\":%s,\"at\":\"%s\",\"lines\":[", a[0], day);
	for (size_t i = 0; i < tb->n; i++) {
		const struct dkim_entry *e = &tb->e[i];

		fmt_day(e->from, from, sizeof(from));
		fmt_day(e->until, until, sizeof(until));
		if (cli_json_escape(a[0], sizeof(a[0]), e->pattern) < 0 ||
		    cli_json_escape(a[1], sizeof(a[1]), e->selector) < 0 ||
		    cli_json_escape(a[2], sizeof(a[2]), e->keyfile) < 0 ||
		    cli_json_escape(a[3], sizeof(a[3]), ki[i].what[0] ?
		    ki[i].what : ki[i].err) < 0)
			continue;	/* bounded by the table's line size */
		printf("%s{\"line\":%u,\"pattern\":%s,\"selector\":%s,"
		    "\"d\":\"%s\",\"from\":\"%s\",\"until\":\"%s\","
		    "\"keyfile\":%s,\"%s\":%s}", i ? "," : "", e->line, a[0],
		    a[1], e->domain != NULL ? e->domain : "", from, until, a[2],
		    ki[i].what[0] ? "key" : "error", a[3]);
	}
	printf("],\"patterns\":[");
	for (size_t i = 0, n = 0; i < tb->n; i++) {
		const char *p = tb->e[i].pattern;
		time_t nx;

		if (seen_pattern(tb, i))
			continue;
		printf("%s{\"pattern\":\"%s\",\"now\":[", n++ ? "," : "", p);
		print_signers(tb, p, at, 1);
		printf("]");
		if ((nx = next_change(tb, p, at)) != 0) {
			fmt_day(nx, day, sizeof(day));
			printf(",\"next_from\":\"%s\",\"next\":[", day);
			print_signers(tb, p, nx, 1);
			printf("]");
		}
		printf("}");
	}
	printf("]}\n");
}

static void
status_usage(FILE *fp)
{
	fprintf(fp, "usage: milterkit dkim status [--at DATE] [--table FILE]"
	    " [--json]\n"
	    "  --at DATE     as of YYYY-MM-DD (UTC) instead of now\n"
	    "  --table FILE  this signing table instead of [dkim] "
	    "signing_table\n"
	    "exit status: 0 every key loads, 2 usage error or a bad table,\n"
	    "3 the table or one of its keys does not load\n");
}

/* Returns 0, 1 for --help, -1 on a usage error (printed). */
static int
status_args(int argc, char **argv, const char **table, int *json,
    int64_t *at)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
		if (strcmp(argv[i], "--json") == 0) {
			*json = 1;
		} else if (strcmp(argv[i], "--at") == 0 && i + 1 < argc) {
			if (cli_parse_date(argv[++i], at) < 0) {
				fprintf(stderr, "milterkit: bad date \"%.40s\":"
				    " YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ\n",
				    argv[i]);
				return -1;
			}
		} else if (strcmp(argv[i], "--table") == 0 && i + 1 < argc) {
			*table = argv[++i];
		} else {
			fprintf(stderr, "milterkit: unexpected argument %.60s "
			    "for dkim status\n", argv[i]);
			return -1;
		}
	}
	return 0;
}

int
cmd_dkim_status(struct tool *t, int argc, char **argv)
{
	const char *path = NULL;
	struct dkim_table *tb = NULL;
	struct key_info *ki;
	struct dkim_owner o;
	struct stat sb;
	char err[1024];
	int64_t at = t->now;
	int json = 0, rc = CLI_EXIT_OK;

	if ((rc = status_args(argc, argv, &path, &json, &at)) != 0) {
		status_usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	if (path == NULL)
		path = dkim_conf_str(t->conf, "signing_table",
		    DKIM_TABLE_DEFAULT);
	if (dkim_table_load(path, &tb, err, sizeof(err)) < 0) {
		fprintf(stderr, "milterkit: %s\n", err);
		return stat(path, &sb) == 0 ? CLI_EXIT_USAGE : CLI_EXIT_STORE;
	}
	dkim_owner(t->conf, &o);
	ki = mk_calloc(tb->n ? tb->n : 1, sizeof(*ki));
	for (size_t i = 0; i < tb->n; i++) {
		key_check(&tb->e[i], &o, &ki[i]);
		if (ki[i].what[0] == '\0')
			rc = CLI_EXIT_STORE;
	}
	if (json)
		print_json(path, tb, ki, (time_t)at);
	else
		print_text(path, tb, ki, (time_t)at);
	free(ki);
	dkim_table_free(tb);
	return rc;
}
