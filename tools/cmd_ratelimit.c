/*
 * NAME
 *	cmd_ratelimit.c - `milterkit ratelimit show|reset|top`
 * SYNOPSIS
 *	int	cmd_ratelimit(struct tool *t, int argc, char **argv);
 * DESCRIPTION
 *	Reads the rate-limit state that milterkit-policyd keeps in the
 *	store's ratelimit/ environment, with the rules of the [ratelimit
 *	NAME] sections of the configuration (mk_rl_rules_load), so usage is
 *	reported against the limits in force: per rate, units used in the
 *	current window against the limit.
 *
 *	show KEY prints the usage of KEY under every rule that has state for
 *	it (or under --rule NAME only); reset KEY forgets that state, so KEY
 *	starts afresh; top [N] lists the N keys closest to a limit. KEY is
 *	the key value as the daemon logs it (key=...) and top prints it;
 *	an address or domain typed otherwise (Alice@Example.COM) is also
 *	tried in the normalized form the daemon keys on.
 *	A store without ratelimit/ yet is not created by show and top: it
 *	simply has no state.
 * DIAGNOSTICS
 *	Exit 0 ok; 1 when show finds no state or reset nothing to reset;
 *	2 usage or configuration errors (no rules, unknown --rule); 3 store
 *	errors.
 * SEE ALSO
 *	milterkit(8), milterkit-policyd(8), mk_ratelimit.h
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "mk_addr.h"
#include "mk_log.h"
#include "mk_mem.h"
#include "mk_ratelimit.h"
#include "tool.h"

/* Until tool.h declares it (milterkit.c declares it too). */

#define RL_TOP_DEFAULT 10
#define RL_TOP_MAX 10000

enum { RL_SHOW, RL_RESET, RL_TOP };

struct rl_opts {
	int verb;		/* RL_* */
	const char *key;	/* show, reset */
	const char *rule;	/* --rule NAME, NULL = every rule */
	size_t n;		/* top */
	int json, help;
};

static const char *const rl_help[] = {
	"ratelimit show KEY [--rule NAME] [--json]\n"
	"  usage of KEY under every rule with state for it: per rate, units\n"
	"  used in the current window / limit; exit 1 when there is no state",
	"ratelimit reset KEY [--rule NAME]\n"
	"  forget KEY's counters (under NAME only with --rule); exit 1 when\n"
	"  there is nothing to reset",
	"ratelimit top [N] [--json]\n"
	"  the N keys (default 10) closest to a limit, highest fill first",
};

static void
rl_usage(FILE *fp, int verb)
{
	fprintf(fp, "usage:\n");
	for (int i = RL_SHOW; i <= RL_TOP; i++)
		if (verb < 0 || verb == i)
			fprintf(fp, "  milterkit %s\n", rl_help[i]);
	fprintf(fp, "rules come from the [ratelimit NAME] sections of the "
	    "configuration, state\nfrom [store] path/ratelimit (or --store)\n"
	    "exit status: 0 ok, 1 no state / nothing to reset, 2 usage or "
	    "configuration\nerror, 3 store error\n");
}

/* Parse "VERB [operand] [options]"; returns 0 or an exit code. */
static int
rl_parse(int argc, char **argv, struct rl_opts *o)
{
	static const char *const names[] = { "show", "reset", "top" };
	const char *operand = NULL;
	int nops = 0, dashdash = 0;

	memset(o, 0, sizeof(*o));
	o->verb = -1;
	for (int i = 0; i < 3; i++)
		if (strcmp(argv[0], names[i]) == 0)
			o->verb = i;
	if (o->verb < 0) {
		fprintf(stderr, "milterkit: unknown verb \"ratelimit %.40s\"\n",
		    argv[0]);
		rl_usage(stderr, -1);
		return CLI_EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!dashdash && (strcmp(a, "--help") == 0
		    || strcmp(a, "-h") == 0)) {
			o->help = 1;
			return 0;
		}
		if (!dashdash && strcmp(a, "--") == 0) {
			dashdash = 1;
		} else if (!dashdash && strcmp(a, "--json") == 0
		    && o->verb != RL_RESET) {
			o->json = 1;
		} else if (!dashdash && o->verb != RL_TOP
		    && (strcmp(a, "--rule") == 0
		    || strncmp(a, "--rule=", 7) == 0)) {
			if (a[6] == '=')
				o->rule = a + 7;
			else if (i + 1 < argc)
				o->rule = argv[++i];
			else {
				fprintf(stderr, "milterkit: option --rule needs "
				    "a value\n");
				return CLI_EXIT_USAGE;
			}
		} else if (!dashdash && a[0] == '-' && a[1] != '\0') {
			fprintf(stderr, "milterkit: unknown option %.60s for "
			    "ratelimit %s\n", a, names[o->verb]);
			rl_usage(stderr, o->verb);
			return CLI_EXIT_USAGE;
		} else if (nops++ == 0) {
			operand = a;
		}
	}
	if (o->verb == RL_TOP) {
		char *end;
		long long n = RL_TOP_DEFAULT;

		if (nops > 1 || (nops == 1 && ((n = strtoll(operand, &end, 10)),
		    *end != '\0' || end == operand || n < 1 || n > RL_TOP_MAX))) {
			fprintf(stderr, "milterkit: ratelimit top takes one "
			    "count N, 1 to %d\n", RL_TOP_MAX);
			return CLI_EXIT_USAGE;
		}
		o->n = (size_t)n;
		return 0;
	}
	if (nops != 1 || operand[0] == '\0') {
		fprintf(stderr, "milterkit: ratelimit %s takes exactly one KEY\n",
		    names[o->verb]);
		rl_usage(stderr, o->verb);
		return CLI_EXIT_USAGE;
	}
	if (strlen(operand) >= MK_RL_KEY_MAX) {
		fprintf(stderr, "milterkit: KEY longer than %d octets\n",
		    MK_RL_KEY_MAX - 1);
		return CLI_EXIT_USAGE;
	}
	if (o->rule != NULL && o->rule[0] == '\0') {
		fprintf(stderr, "milterkit: empty --rule\n");
		return CLI_EXIT_USAGE;
	}
	o->key = operand;
	return 0;
}

/* A period in seconds as the config writes it: 1h, 90s, 1d. */
static void
fmt_period(int64_t s, char *buf, size_t n)
{
	static const struct { int64_t sec; char unit; } units[] = {
		{ 604800, 'w' }, { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' },
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (s >= units[i].sec && s % units[i].sec == 0) {
			snprintf(buf, n, "%lld%c", (long long)(s / units[i].sec),
			    units[i].unit);
			return;
		}
	snprintf(buf, n, "%llds", (long long)s);
}

/* One usage as text: "RULE KEY fill=P% messages U/L per 1h, ...". */
static void
usage_text(const struct mk_rl_usage *u)
{
	char key[MK_RL_KEY_MAX], per[32];

	mk_printable(key, sizeof(key), u->key, (size_t)-1);
	printf("%s %s fill=%.0f%%", u->rule, key, u->fill * 100.0);
	for (int i = 0; i < u->nrates; i++) {
		fmt_period(u->rate[i].period, per, sizeof(per));
		printf("%s %s %lld/%lld per %s", i > 0 ? "," : "",
		    u->rate[i].what, (long long)u->rate[i].used,
		    (long long)u->rate[i].limit, per);
	}
	printf("\n");
}

/* One usage as a JSON object on its own line; period in seconds. */
static void
usage_json(const struct mk_rl_usage *u)
{
	char rule[sizeof(u->rule) * 6 + 3], key[MK_RL_KEY_MAX * 6 + 3];

	if (cli_json_escape(rule, sizeof(rule), u->rule) < 0)
		snprintf(rule, sizeof(rule), "null");
	if (cli_json_escape(key, sizeof(key), u->key) < 0)
		snprintf(key, sizeof(key), "null");
	printf("{\"rule\":%s,\"key\":%s,\"fill\":%.4f,\"rates\":[", rule, key,
	    u->fill);
	for (int i = 0; i < u->nrates; i++)
		printf("%s{\"what\":\"%s\",\"used\":%lld,\"limit\":%lld,"
		    "\"period\":%lld}", i > 0 ? "," : "", u->rate[i].what,
		    (long long)u->rate[i].used, (long long)u->rate[i].limit,
		    (long long)u->rate[i].period);
	printf("]}\n");
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * MK_RL_NS + ts.tv_nsec;
}

/* The rule names to look at: --rule NAME (checked), else all of them. */
static int
rl_rule_names(const struct tool *t, const struct rl_opts *o,
    const char ***names, size_t *n)
{
	const struct mk_cfg_list *l = &t->conf->rules;
	const char *src = t->conf->source != NULL ? t->conf->source
	    : "the configuration";

	*names = NULL;
	*n = 0;
	if (l->n == 0) {
		fprintf(stderr, "milterkit: no [ratelimit NAME] rules in %s\n",
		    src);
		return CLI_EXIT_USAGE;
	}
	*names = mk_malloc(l->n * sizeof(**names));
	for (size_t i = 0; i < l->n; i++) {
		const struct mk_conf_rule *r = l->v[i];

		if (o->rule == NULL || strcmp(o->rule, r->name) == 0)
			(*names)[(*n)++] = r->name;
	}
	if (*n == 0) {
		char shown[80];

		fprintf(stderr, "milterkit: no rule \"%s\" in %s\n",
		    mk_printable(shown, sizeof(shown), o->rule, (size_t)-1), src);
		free(*names);
		*names = NULL;
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/* The normalized form of an address or domain KEY, when it differs:
 * sender and sender_domain keys are stored normalized. */
static int
key_alt(const char *key, char *alt, size_t n)
{
	struct mk_addr a;

	if (strchr(key, '@') != NULL) {
		if (mk_addr_parse(key, strlen(key), NULL, &a) != 0
		    || strlen(a.norm) >= n)
			return 0;
		strcpy(alt, a.norm);
	} else if (mk_addr_domain(key, strlen(key), alt, n) != 0) {
		return 0;
	}
	return strcmp(alt, key) != 0;
}

/* Engine errors name the store directory themselves. */
static int
rl_fail(const char *what, const char *why)
{
	fprintf(stderr, "milterkit: %s: %s\n", what, why);
	return CLI_EXIT_STORE;
}

/* Open the engine; returns 0, CLI_EXIT_NO when the state does not exist
 * yet (nothing is created then), or CLI_EXIT_STORE. */
static int
rl_open(struct tool *t, struct mk_rl_rules **rules,
    struct mk_rl_engine **e)
{
	char path[4096], err[512];
	struct stat sb;
	int rc;

	*rules = NULL;
	*e = NULL;
	if ((rc = tool_as_owner(t)) != 0)
		return rc;
	if ((size_t)snprintf(path, sizeof(path), "%s/ratelimit",
	    t->store_dir) >= sizeof(path)) {
		fprintf(stderr, "milterkit: store path too long\n");
		return CLI_EXIT_USAGE;
	}
	if (stat(path, &sb) < 0) {
		if (errno == ENOENT)
			return CLI_EXIT_NO;
		fprintf(stderr, "milterkit: cannot open state: %s: %s\n", path,
		    strerror(errno));
		return CLI_EXIT_STORE;
	}
	if (mk_rl_rules_load(t->conf, rules, err, sizeof(err)) < 0) {
		fprintf(stderr, "milterkit: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	if (mk_rl_engine_open(t->store_dir, *rules, t->conf->store.map_size, e,
	    err, sizeof(err)) < 0) {
		mk_rl_rules_free(*rules);
		*rules = NULL;
		return rl_fail("cannot open state", err);
	}
	return 0;
}

static void
rl_close(struct mk_rl_rules *rules, struct mk_rl_engine *e)
{
	mk_rl_engine_close(e);
	mk_rl_rules_free(rules);
}

static int
rl_show(struct tool *t, const struct rl_opts *o, const char **names,
    size_t nnames)
{
	struct mk_rl_rules *rules;
	struct mk_rl_engine *e;
	struct mk_rl_usage u;
	char alt[MK_RL_KEY_MAX];
	const char *keys[2] = { o->key, alt };
	size_t found = 0, found_before = 0, nkeys;
	int rc = CLI_EXIT_OK;
	int64_t now = now_ns();

	if ((rc = rl_open(t, &rules, &e)) != 0)
		goto none;
	nkeys = 1 + key_alt(o->key, alt, sizeof(alt));
	for (size_t i = 0; i < nnames * nkeys && rc == CLI_EXIT_OK; i++) {
		memset(&u, 0, sizeof(u));
		if (i % nkeys == 1 && found > found_before)
			continue;	/* the typed form had state */
		if (i % nkeys == 0)
			found_before = found;
		switch (mk_rl_state_get(e, names[i / nkeys], keys[i % nkeys],
		    now, &u)) {
		case 0:
			found++;
			if (o->json)
				usage_json(&u);
			else
				usage_text(&u);
			break;
		case 1:
			break;
		default:
			rc = rl_fail("cannot read state", mk_rl_errdetail());
		}
	}
	rl_close(rules, e);
	if (rc != CLI_EXIT_OK || found > 0)
		return rc;
	rc = CLI_EXIT_NO;
none:
	if (rc == CLI_EXIT_NO) {
		char shown[MK_RL_KEY_MAX];

		fprintf(stderr, "milterkit: no state for %s%s%s\n",
		    mk_printable(shown, sizeof(shown), o->key, (size_t)-1),
		    o->rule != NULL ? " under rule " : "",
		    o->rule != NULL ? o->rule : "");
	}
	return rc;
}

static int
rl_reset(struct tool *t, const struct rl_opts *o, const char **names,
    size_t nnames)
{
	struct mk_rl_rules *rules;
	struct mk_rl_engine *e;
	char shown[MK_RL_KEY_MAX], alt[MK_RL_KEY_MAX];
	const char *keys[2] = { o->key, alt };
	size_t done = 0, done_before = 0, nkeys;
	int rc;

	if ((rc = rl_open(t, &rules, &e)) == 0) {
		nkeys = 1 + key_alt(o->key, alt, sizeof(alt));
		for (size_t i = 0; i < nnames * nkeys && rc == 0; i++) {
			if (i % nkeys == 1 && done > done_before)
				continue;	/* the typed form had state */
			if (i % nkeys == 0)
				done_before = done;
			switch (mk_rl_state_reset(e, names[i / nkeys],
			    keys[i % nkeys])) {
			case 0:
				done++;
				printf("reset %s %s\n", names[i / nkeys],
				    mk_printable(shown, sizeof(shown),
				    keys[i % nkeys], (size_t)-1));
				break;
			case 1:
				break;
			default:
				rc = rl_fail("cannot reset state",
				    mk_rl_errdetail());
			}
		}
		rl_close(rules, e);
		if (rc == 0 && done == 0)
			rc = CLI_EXIT_NO;
	}
	if (rc == CLI_EXIT_NO)
		fprintf(stderr, "milterkit: nothing to reset for %s%s%s\n",
		    mk_printable(shown, sizeof(shown), o->key, (size_t)-1),
		    o->rule != NULL ? " under rule " : "",
		    o->rule != NULL ? o->rule : "");
	return rc;
}

static int
rl_top(struct tool *t, const struct rl_opts *o)
{
	struct mk_rl_rules *rules;
	struct mk_rl_engine *e;
	struct mk_rl_usage *out;
	size_t got = 0;
	int rc;

	if ((rc = rl_open(t, &rules, &e)) == CLI_EXIT_NO)
		return CLI_EXIT_OK;	/* no state yet: an empty list */
	if (rc != 0)
		return rc;
	out = mk_calloc(o->n, sizeof(*out));
	if (mk_rl_state_top(e, now_ns(), o->n, out, &got) < 0) {
		rc = rl_fail("cannot read state", mk_rl_errdetail());
	} else {
		for (size_t i = 0; i < got; i++) {
			if (o->json)
				usage_json(&out[i]);
			else
				usage_text(&out[i]);
		}
	}
	free(out);
	rl_close(rules, e);
	return rc;
}

int
cmd_ratelimit(struct tool *t, int argc, char **argv)
{
	struct rl_opts o;
	const char **names = NULL;
	size_t nnames = 0;
	int rc;

	if (argc < 1 || strcmp(argv[0], "--help") == 0
	    || strcmp(argv[0], "-h") == 0) {
		rl_usage(argc < 1 ? stderr : stdout, -1);
		return argc < 1 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if ((rc = rl_parse(argc, argv, &o)) != 0)
		return rc;
	if (o.help) {
		rl_usage(stdout, o.verb);
		return CLI_EXIT_OK;
	}
	if ((rc = rl_rule_names(t, &o, &names, &nnames)) != 0)
		return rc;
	switch (o.verb) {
	case RL_SHOW:
		rc = rl_show(t, &o, names, nnames);
		break;
	case RL_RESET:
		rc = rl_reset(t, &o, names, nnames);
		break;
	default:
		rc = rl_top(t, &o);
	}
	free(names);
	return rc;
}
