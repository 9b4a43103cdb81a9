/*
 * NAME
 *	cmd_spf.c - `milterkit spf check`
 * SYNOPSIS
 *	int	cmd_spf(struct tool *t, int argc, char **argv);
 * DESCRIPTION
 *	spf check [--json] IP SENDER [HELO] checks SENDER's SPF policy for
 *	a client at IP, as milterkit-dmarc does (spf.h), with the resolver
 *	of [dns]. SENDER "" is the null sender: HELO is then the identity
 *	checked (postmaster@HELO) and must be given. One line: the result
 *	(none, neutral, pass, fail, softfail, temperror, permerror), the
 *	domain checked, what matched or went wrong, the explanation of a
 *	fail when the record gives one, the DNS lookups made; or, with
 *	--json, one object with the same (result, domain, ip, sender, helo,
 *	comment, explanation when there is one, received_spf, lookups,
 *	void_lookups).
 * DIAGNOSTICS
 *	Exit 0 when a result is printed (whatever it is), 2 for usage errors
 *	(a bad address, no HELO for the null sender), 3 when the resolver or
 *	the SPF library cannot be set up.
 * SEE ALSO
 *	milterkit(8), spf.h, mk_dns.h
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd_spf.h"
#include "mk_dns.h"
#include "spf.h"

static void
spf_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: milterkit [-c FILE] spf check [--json] IP SENDER [HELO]\n"
	    "  SENDER \"\" is the null sender: HELO is then checked and required.\n"
	    "  The first word printed is the result: pass, fail, softfail,\n"
	    "  neutral, none, temperror or permerror. Name servers: [dns].\n");
}

/* One "key":"value" member of the JSON object, escaped. */
static void
json_member(const char *key, const char *val, int comma)
{
	char buf[4 * DMARC_SPF_TEXT_MAX];

	if (cli_json_escape(buf, sizeof(buf), val) < 0)
		strcpy(buf, "\"\"");
	printf("%s\"%s\":%s", comma ? "," : "", key, buf);
}

static void
print_outcome(const struct dmarc_spf_outcome *o, int json, const char *ip,
    const char *sender, const char *helo)
{
	if (json) {
		putchar('{');
		json_member("result", dmarc_spf_result_name(o->result), 0);
		json_member("domain", o->domain, 1);
		json_member("ip", ip, 1);
		json_member("sender", sender, 1);
		json_member("helo", helo != NULL ? helo : "", 1);
		json_member("comment", o->comment, 1);
		if (o->explanation[0] != '\0')
			json_member("explanation", o->explanation, 1);
		json_member("received_spf", o->received_spf, 1);
		printf(",\"lookups\":%u,\"void_lookups\":%u}\n", o->lookups,
		    o->voids);
		return;
	}
	printf("%s %s: %s", dmarc_spf_result_name(o->result), o->domain,
	    o->comment[0] != '\0' ? o->comment : "-");
	if (o->explanation[0] != '\0')
		printf("; explanation: \"%s\"", o->explanation);
	printf(" (DNS lookups %u, void %u)\n", o->lookups, o->voids);
}

static int
spf_check(struct tool *t, int argc, char **argv)
{
	struct mk_dns *dns;
	struct dmarc_spf *spf;
	struct dmarc_spf_outcome o;
	char err[512], host[256];
	const char *ip, *sender, *helo;
	int json = 0, i = 0, rc;

	if (argc > 0 && strcmp(argv[0], "--json") == 0) {
		json = 1;
		i = 1;
	}
	if (argc - i < 2 || argc - i > 3) {
		spf_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	ip = argv[i];
	sender = argv[i + 1];
	helo = argc - i == 3 ? argv[i + 2] : NULL;
	if (sender[0] == '\0' && (helo == NULL || helo[0] == '\0')) {
		fprintf(stderr, "milterkit: the null sender needs HELO: its "
		    "identity is postmaster@HELO\n");
		return CLI_EXIT_USAGE;
	}
	if ((rc = tool_load_conf(t)) != 0)
		return rc;
	if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	if (mk_dns_new(&t->conf->dns, &dns, err, sizeof(err)) != 0) {
		fprintf(stderr, "milterkit: %s\n", err);
		return CLI_EXIT_STORE;
	}
	if (dmarc_spf_new(dns, host, &spf, err, sizeof(err)) != 0) {
		fprintf(stderr, "milterkit: %s\n", err);
		mk_dns_free(dns);
		return CLI_EXIT_STORE;
	}
	if (dmarc_spf_check(spf, ip, sender, helo, &o) != 0) {
		fprintf(stderr, "milterkit: \"%.64s\" is not an IPv4 or IPv6 "
		    "address, or \"%.64s\" not a sender\n", ip, sender);
		rc = CLI_EXIT_USAGE;
	} else {
		print_outcome(&o, json, ip, sender, helo);
		rc = CLI_EXIT_OK;
	}
	dmarc_spf_free(spf);
	mk_dns_free(dns);
	return rc;
}

int
cmd_spf(struct tool *t, int argc, char **argv)
{
	if (argc < 1 || strcmp(argv[0], "-h") == 0 ||
	    strcmp(argv[0], "--help") == 0) {
		spf_usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (strcmp(argv[0], "check") != 0) {
		fprintf(stderr, "milterkit: unknown spf verb \"%.40s\"\n", argv[0]);
		spf_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		spf_usage(stdout);
		return CLI_EXIT_OK;
	}
	return spf_check(t, argc - 1, argv + 1);
}
