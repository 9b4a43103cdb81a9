/*
 * NAME
 *	cli_opts.c - command-line option parsing into structs
 * SYNOPSIS
 *	int	cli_parse_global(int argc, char **argv, struct cli_global *g,
 *			char *err, size_t errlen);
 *	int	cli_parse_supp(const char *verb, int argc, char **argv,
 *			struct cli_supp_opts *o, char *err, size_t errlen);
 * DESCRIPTION
 *	Hand-rolled rather than getopt_long: no global state, so unit tests
 *	call these functions again and again. Long options take their value
 *	as "--opt VALUE" or "--opt=VALUE"; "--" ends the options. Each
 *	suppress verb has a row saying which options it accepts and whether
 *	it takes an operand; anything else is a usage error.
 * SEE ALSO
 *	cli.h
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "mk_store.h"

struct verb_row {
	const char *name;
	int opts;	/* CLI_O_* accepted */
	int operand;	/* 1 = one operand required, 0 = none */
};

static const struct verb_row verbs[] = {
	{ "add", CLI_O_REASON | CLI_O_SCOPE | CLI_O_EXPIRES | CLI_O_NOTE, 1 },
	{ "remove", CLI_O_SCOPE, 1 },
	{ "list", CLI_O_SCOPE | CLI_O_GLOBAL | CLI_O_REASON | CLI_O_EXPIRED
	    | CLI_O_JSON, 0 },
	{ "export", CLI_O_SCOPE | CLI_O_GLOBAL | CLI_O_REASON, 0 },
	{ "purge", 0, 0 },
	{ "check", CLI_O_SENDER, 1 },
	{ "import", CLI_O_REASON | CLI_O_SCOPE | CLI_O_EXPIRES | CLI_O_SKIPBAD
	    | CLI_O_FORMAT, 1 },
	{ NULL, 0, 0 }
};

struct opt_row {
	const char *name;
	int bit;
	int has_value;
};

static const struct opt_row opts[] = {
	{ "reason", CLI_O_REASON, 1 }, { "scope", CLI_O_SCOPE, 1 },
	{ "expires", CLI_O_EXPIRES, 1 }, { "note", CLI_O_NOTE, 1 },
	{ "global", CLI_O_GLOBAL, 0 }, { "expired", CLI_O_EXPIRED, 0 },
	{ "json", CLI_O_JSON, 0 }, { "sender", CLI_O_SENDER, 1 },
	{ "skip-bad", CLI_O_SKIPBAD, 0 }, { "format", CLI_O_FORMAT, 1 },
	{ NULL, 0, 0 }
};

int
cli_parse_global(int argc, char **argv, struct cli_global *g, char *err,
    size_t errlen)
{
	int i;

	memset(g, 0, sizeof(*g));
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0)
			return i + 1;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			g->help = 1;
		} else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			g->version = 1;
		} else if (strcmp(a, "-c") == 0 || strcmp(a, "--store") == 0) {
			if (i + 1 >= argc) {
				snprintf(err, errlen, "option %s needs a value", a);
				return -1;
			}
			if (a[1] == 'c')
				g->conf_path = argv[++i];
			else
				g->store_dir = argv[++i];
		} else if (strncmp(a, "--store=", 8) == 0) {
			g->store_dir = a + 8;
		} else if (strncmp(a, "-c", 2) == 0) {
			g->conf_path = a + 2;
		} else {
			snprintf(err, errlen, "unknown option %.60s", a);
			return -1;
		}
	}
	if ((g->conf_path != NULL && *g->conf_path == '\0')
	    || (g->store_dir != NULL && *g->store_dir == '\0')) {
		snprintf(err, errlen, "empty file or directory name");
		return -1;
	}
	return i;
}

/* Store one option's value into o. */
static int
set_opt(struct cli_supp_opts *o, int bit, const char *v, char *err,
    size_t errlen)
{
	switch (bit) {
	case CLI_O_REASON:
		if ((o->reason = cli_parse_reason(v)) < 0) {
			snprintf(err, errlen, "unknown reason \"%.40s\" (bounce, "
			    "complaint, unsubscribe, manual)", v);
			return -1;
		}
		break;
	case CLI_O_SCOPE: o->scope = v; break;
	case CLI_O_EXPIRES: o->expires = v; break;
	case CLI_O_NOTE: o->note = v; break;
	case CLI_O_SENDER: o->sender = v; break;
	case CLI_O_GLOBAL: o->global = 1; break;
	case CLI_O_EXPIRED: o->expired = 1; break;
	case CLI_O_JSON: o->json = 1; break;
	case CLI_O_SKIPBAD: o->skip_bad = 1; break;
	case CLI_O_FORMAT:
		if (strcmp(v, "auto") == 0)
			o->format = CLI_FMT_AUTO;
		else if (strcmp(v, "plain") == 0)
			o->format = CLI_FMT_PLAIN;
		else if (strcmp(v, "csv") == 0)
			o->format = CLI_FMT_CSV;
		else {
			snprintf(err, errlen, "unknown format \"%.40s\" (auto, "
			    "plain, csv)", v);
			return -1;
		}
		break;
	}
	return 0;
}

/* Parse one "--name[=value]" at argv[*i]. */
static int
long_opt(const struct verb_row *vr, int argc, char **argv, int *i,
    struct cli_supp_opts *o, char *err, size_t errlen)
{
	const char *a = argv[*i] + 2, *eq = strchr(a, '=');
	size_t nlen = eq != NULL ? (size_t)(eq - a) : strlen(a);
	const struct opt_row *r;

	for (r = opts; r->name != NULL; r++)
		if (strlen(r->name) == nlen && strncmp(r->name, a, nlen) == 0)
			break;
	if (r->name == NULL || !(vr->opts & r->bit)) {
		snprintf(err, errlen, "%s option %.60s for suppress %s",
		    r->name == NULL ? "unknown" : "unexpected", argv[*i],
		    vr->name);
		return -1;
	}
	if (!r->has_value) {
		if (eq != NULL) {
			snprintf(err, errlen, "option --%s takes no value",
			    r->name);
			return -1;
		}
		return set_opt(o, r->bit, NULL, err, errlen);
	}
	if (eq != NULL)
		return set_opt(o, r->bit, eq + 1, err, errlen);
	if (*i + 1 >= argc) {
		snprintf(err, errlen, "option --%s needs a value", r->name);
		return -1;
	}
	return set_opt(o, r->bit, argv[++*i], err, errlen);
}

int
cli_parse_supp(const char *verb, int argc, char **argv,
    struct cli_supp_opts *o, char *err, size_t errlen)
{
	const struct verb_row *vr;
	int nops = 0, dashdash = 0;

	memset(o, 0, sizeof(*o));
	for (vr = verbs; vr->name != NULL; vr++)
		if (strcmp(vr->name, verb) == 0)
			break;
	if (vr->name == NULL) {
		snprintf(err, errlen, "unknown verb \"suppress %.40s\"", verb);
		return -1;
	}
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!dashdash && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
			o->help = 1;
			return 0;
		}
		if (!dashdash && strcmp(a, "--") == 0) {
			dashdash = 1;
		} else if (!dashdash && strncmp(a, "--", 2) == 0) {
			if (long_opt(vr, argc, argv, &i, o, err, errlen) < 0)
				return -1;
		} else if (!dashdash && a[0] == '-' && a[1] != '\0') {
			snprintf(err, errlen, "unknown option %.60s for suppress %s",
			    a, vr->name);
			return -1;
		} else if (nops++ == 0) {
			o->arg = a;
		}
	}
	if (nops != vr->operand) {
		snprintf(err, errlen, "suppress %s takes %s", vr->name,
		    vr->operand ? "exactly one operand" : "no operand");
		return -1;
	}
	if (o->global && o->scope != NULL) {
		snprintf(err, errlen, "--global and --scope exclude each other");
		return -1;
	}
	return 0;
}
