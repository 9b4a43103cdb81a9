/*
 * NAME
 *	cmd_suppress.c - the `milterkit suppress` verbs
 * SYNOPSIS
 *	int	cmd_suppress(struct tool *t, int argc, char **argv);
 * DESCRIPTION
 *	add, remove, list, export, purge and check; import is in
 *	cmd_import.c. Each verb parses its options with cli_parse_supp(),
 *	normalizes what the operator typed exactly as the store recorded,
 *	and prints the normalized form so the operator sees what was stored.
 * DIAGNOSTICS
 *	Returns the command's exit code (CLI_EXIT_*).
 * SEE ALSO
 *	milterkit(8), tool.h, mk_store.h
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tool.h"

static const char *const verb_help[][2] = {
	{ "add", "suppress add ADDRESS|@DOMAIN [--reason bounce|complaint|"
	    "unsubscribe|manual]\n      [--scope SENDER_DOMAIN] [--expires "
	    "DURATION|DATE] [--note TEXT]\n  DURATION: 30d, 12h, 1w; DATE: "
	    "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (UTC)" },
	{ "remove", "suppress remove ADDRESS|@DOMAIN [--scope SENDER_DOMAIN]\n"
	    "  exit 1 when there is no such entry" },
	{ "list", "suppress list [--scope S|--global] [--reason R] [--expired] "
	    "[--json]\n  one entry per line: scope, target, reason, created, "
	    "expires, note (tab-separated)" },
	{ "export", "suppress export [--scope S|--global] [--reason R]\n"
	    "  CSV address,reason,scope,expires,note (the import format)" },
	{ "purge", "suppress purge\n  removes expired entries, prints how many" },
	{ "check", "suppress check RECIPIENT [--sender ADDRESS]\n"
	    "  exit 0 when mail to RECIPIENT would be rejected, 1 when not" },
	{ "import", "suppress import FILE|- [--reason R] [--scope S] [--expires X]"
	    "\n      [--skip-bad] [--format auto|plain|csv]\n"
	    "  one address per line, or CSV address,reason,scope,expires,note;\n"
	    "  all or nothing: a bad line stops the import unless --skip-bad" },
};

#define NVERBS (sizeof(verb_help) / sizeof(verb_help[0]))

static void
suppress_usage(FILE *fp, const char *verb)
{
	fprintf(fp, "usage:\n");
	for (size_t i = 0; i < NVERBS; i++)
		if (verb == NULL || strcmp(verb, verb_help[i][0]) == 0)
			fprintf(fp, "  milterkit %s\n", verb_help[i][1]);
	fprintf(fp, "exit status: 0 ok, 1 negative answer, 2 usage or input "
	    "error, 3 store error\n");
}

/* Print an entry's times as text: "never" for no expiry. */
static void
times(const struct mk_supp_entry *e, char *cr, char *ex, size_t n)
{
	if (cli_fmt_time(e->created, cr, n) < 0)
		snprintf(cr, n, "%lld", (long long)e->created);
	if (e->expires == 0)
		snprintf(ex, n, "never");
	else if (cli_fmt_time(e->expires, ex, n) < 0)
		snprintf(ex, n, "%lld", (long long)e->expires);
}

static int
supp_add(struct tool *t, const struct cli_supp_opts *o)
{
	struct mk_supp_entry e;
	struct mk_store *st;
	char err[512];
	int rc;

	memset(&e, 0, sizeof(e));
	e.reason = o->reason != MK_REASON_ANY ? o->reason : MK_REASON_MANUAL;
	e.created = t->now;
	if ((o->expires != NULL && cli_parse_expires(o->expires, t->now,
	    &e.expires, err, sizeof(err)) < 0)
	    || (o->note != NULL && cli_check_note(o->note, err, sizeof(err)) < 0)
	    || tool_norm_scope(o->scope, e.scope, sizeof(e.scope), err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "milterkit: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	if (o->note != NULL)
		strcpy(e.note, o->note);
	if ((rc = tool_open_store(t, TOOL_CREATE, &st)) != 0)
		return rc;
	if (tool_norm_target(mk_store_addr_opts(st), o->arg, e.target,
	    sizeof(e.target), err, sizeof(err)) < 0) {
		fprintf(stderr, "milterkit: %s\n", err);
		return tool_store_finish(t, st, CLI_EXIT_USAGE);
	}
	if ((rc = mk_supp_add(st, &e)) < 0)
		return tool_store_finish(t, st, tool_store_fail(t, st, rc,
		    "cannot add entry"));
	if ((rc = tool_store_finish(t, st, 0)) != 0)
		return rc;
	printf("added %s%s%s reason=%s\n", e.target, e.scope[0] ? " scope="
	    : "", e.scope, cli_reason_name(e.reason));
	return 0;
}

static int
supp_remove(struct tool *t, const struct cli_supp_opts *o)
{
	char scope[MK_SUPP_SCOPE_MAX + 1], target[MK_SUPP_TARGET_MAX + 1];
	struct mk_store *st;
	char err[512];
	int rc;

	if (tool_norm_scope(o->scope, scope, sizeof(scope), err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "milterkit: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	rc = tool_open_store(t, TOOL_WRITE, &st);
	if (rc == MK_STORE_ENOENT) {
		fprintf(stderr, "milterkit: no such entry: %s (no store yet)\n",
		    o->arg);
		return CLI_EXIT_NO;
	}
	if (rc != 0)
		return rc;
	if (tool_norm_target(mk_store_addr_opts(st), o->arg, target,
	    sizeof(target), err, sizeof(err)) < 0) {
		fprintf(stderr, "milterkit: %s\n", err);
		rc = CLI_EXIT_USAGE;
	} else if ((rc = mk_supp_remove(st, scope, target)) == MK_STORE_ENOTFOUND) {
		fprintf(stderr, "milterkit: no such entry: %s%s%s\n", target,
		    scope[0] ? " scope=" : "", scope);
		rc = CLI_EXIT_NO;
	} else if (rc < 0) {
		rc = tool_store_fail(t, st, rc, "cannot remove entry");
	} else {
		printf("removed %s%s%s\n", target, scope[0] ? " scope=" : "", scope);
	}
	mk_store_close(st);
	return rc;
}

struct list_ctx {
	int json, csv;
};

static int
list_one(const struct mk_supp_entry *e, void *arg)
{
	const struct list_ctx *lc = arg;
	char cr[32], ex[32], a[MK_SUPP_TARGET_MAX * 6 + 8];
	char s[MK_SUPP_SCOPE_MAX * 6 + 8], n[MK_SUPP_NOTE_MAX * 6 + 8];

	times(e, cr, ex, sizeof(cr));
	if (lc->csv) {
		if (e->expires == 0)
			ex[0] = '\0';
		cli_csv_quote(a, sizeof(a), e->target);
		cli_csv_quote(s, sizeof(s), e->scope);
		cli_csv_quote(n, sizeof(n), e->note);
		printf("%s,%s,%s,%s,%s\n", a, cli_reason_name(e->reason), s, ex, n);
	} else if (lc->json) {
		cli_json_escape(a, sizeof(a), e->target);
		cli_json_escape(s, sizeof(s), e->scope);
		cli_json_escape(n, sizeof(n), e->note);
		printf("{\"scope\":%s,\"target\":%s,\"reason\":\"%s\","
		    "\"created\":%lld,\"expires\":%lld,\"note\":%s}\n", s, a,
		    cli_reason_name(e->reason), (long long)e->created,
		    (long long)e->expires, n);
	} else {
		printf("%s\t%s\t%s\t%s\t%s\t%s\n", e->scope[0] ? e->scope
		    : "global", e->target, cli_reason_name(e->reason), cr, ex,
		    e->note);
	}
	return ferror(stdout) ? 1 : 0;
}

static int
supp_list(struct tool *t, const struct cli_supp_opts *o, int csv)
{
	char scope[MK_SUPP_SCOPE_MAX + 1], err[512];
	struct mk_supp_filter f;
	struct list_ctx lc = { o->json, csv };
	struct mk_store *st;
	int rc;

	memset(&f, 0, sizeof(f));
	if (tool_norm_scope(o->scope, scope, sizeof(scope), err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "milterkit: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	f.scope = o->global ? "" : o->scope != NULL ? scope : NULL;
	f.reason = o->reason;
	f.include_expired = o->expired;
	f.now = t->now;
	if (csv)
		printf("address,reason,scope,expires,note\n");
	rc = tool_open_store(t, TOOL_READ, &st);
	if (rc == MK_STORE_ENOENT)
		return CLI_EXIT_OK;	/* no store yet: nothing to list */
	if (rc != 0)
		return rc;
	if ((rc = mk_supp_list(st, &f, list_one, &lc)) < 0)
		rc = tool_store_fail(t, st, rc, "cannot list entries");
	mk_store_close(st);
	return rc;
}

static int
supp_purge(struct tool *t)
{
	struct mk_store *st;
	size_t removed = 0;
	int rc;

	rc = tool_open_store(t, TOOL_WRITE, &st);
	if (rc == MK_STORE_ENOENT) {
		printf("purged 0 expired entries\n");
		return CLI_EXIT_OK;
	}
	if (rc != 0)
		return rc;
	if ((rc = mk_supp_purge(st, t->now, &removed)) < 0)
		rc = tool_store_fail(t, st, rc, "cannot purge");
	else
		printf("purged %zu expired entr%s\n", removed,
		    removed == 1 ? "y" : "ies");
	mk_store_close(st);
	return rc;
}

/* Normalize the recipient and the sender's domain with the store's rules. */
static int
check_args(const struct mk_addr_opts *ao, const struct cli_supp_opts *o,
    struct mk_addr *rcpt, char *sdom, size_t sdomlen)
{
	char err[512];
	struct mk_addr snd;
	int rc;

	sdom[0] = '\0';
	if ((rc = mk_addr_parse(o->arg, strlen(o->arg), ao, rcpt)) < 0) {
		fprintf(stderr, "milterkit: bad recipient: %s\n",
		    mk_addr_strerror(rc));
		return CLI_EXIT_USAGE;
	}
	if (o->sender == NULL || o->sender[0] == '\0'
	    || strcmp(o->sender, "<>") == 0)
		return 0;
	if (o->sender[0] == '@' || strchr(o->sender, '@') == NULL) {
		if (tool_norm_scope(o->sender, sdom, sdomlen, err,
		    sizeof(err)) < 0) {
			fprintf(stderr, "milterkit: %s\n", err);
			return CLI_EXIT_USAGE;
		}
		return 0;
	}
	if ((rc = mk_addr_parse(o->sender, strlen(o->sender), ao, &snd)) < 0) {
		fprintf(stderr, "milterkit: bad sender: %s\n", mk_addr_strerror(rc));
		return CLI_EXIT_USAGE;
	}
	snprintf(sdom, sdomlen, "%s", snd.domain);
	return 0;
}

static int
supp_check(struct tool *t, const struct cli_supp_opts *o)
{
	char sdom[MK_SUPP_SCOPE_MAX + 1], cr[32], ex[32];
	struct mk_supp_entry hit;
	struct mk_addr rcpt;
	struct mk_store *st;
	int rc;

	/* No store is a store error, not a negative answer: the milter
	 * would tempfail that recipient, not pass it. */
	rc = tool_open_store(t, TOOL_READ, &st);
	if (rc == MK_STORE_ENOENT)
		return tool_store_fail(t, NULL, rc, "cannot open store");
	if (rc != 0)
		return rc;
	if ((rc = check_args(st != NULL ? mk_store_addr_opts(st) : NULL, o,
	    &rcpt, sdom, sizeof(sdom))) != 0) {
		mk_store_close(st);
		return rc;
	}
	rc = st == NULL ? MK_STORE_ENOTFOUND
	    : mk_supp_lookup(st, rcpt.norm, sdom, t->now, &hit);
	if (rc == MK_STORE_ENOTFOUND) {
		printf("not suppressed: %s%s%s\n", rcpt.norm,
		    sdom[0] ? " sender-domain=" : "", sdom);
		rc = CLI_EXIT_NO;
	} else if (rc < 0) {
		rc = tool_store_fail(t, st, rc, "lookup failed");
	} else {
		times(&hit, cr, ex, sizeof(cr));
		printf("suppressed: %s would be rejected\n"
		    "  entry: scope=%s target=%s\n"
		    "  reason=%s created=%s expires=%s%s%s\n", rcpt.norm,
		    hit.scope[0] ? hit.scope : "global", hit.target,
		    cli_reason_name(hit.reason), cr, ex, hit.note[0]
		    ? " note=" : "", hit.note);
		rc = CLI_EXIT_OK;
	}
	mk_store_close(st);
	return rc;
}

int
cmd_suppress(struct tool *t, int argc, char **argv)
{
	struct cli_supp_opts o;
	char err[256];

	if (argc < 1 || strcmp(argv[0], "--help") == 0
	    || strcmp(argv[0], "-h") == 0) {
		suppress_usage(argc < 1 ? stderr : stdout, NULL);
		return argc < 1 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (cli_parse_supp(argv[0], argc - 1, argv + 1, &o, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "milterkit: %s\n", err);
		suppress_usage(stderr, argv[0]);
		return CLI_EXIT_USAGE;
	}
	if (o.help) {
		suppress_usage(stdout, argv[0]);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[0], "add") == 0)
		return supp_add(t, &o);
	if (strcmp(argv[0], "remove") == 0)
		return supp_remove(t, &o);
	if (strcmp(argv[0], "list") == 0)
		return supp_list(t, &o, 0);
	if (strcmp(argv[0], "export") == 0)
		return supp_list(t, &o, 1);
	if (strcmp(argv[0], "purge") == 0)
		return supp_purge(t);
	if (strcmp(argv[0], "check") == 0)
		return supp_check(t, &o);
	return cmd_import(t, &o);
}
