/*
 * NAME
 *	cmd_dmarc.c - `milterkit dmarc check`
 * SYNOPSIS
 *	int	cmd_dmarc(struct tool *t, int argc, char **argv);
 * DESCRIPTION
 *	dmarc check [--ip IP] [--sender ADDR] [--helo NAME] [--json]
 *	[--authserv-id NAME] [FILE|-] evaluates one message (standard input
 *	by default) as milterkit-dmarc does inbound: SPF of the envelope
 *	(when --ip is given: SENDER, or postmaster@HELO for the null
 *	sender), every DKIM signature (at most DMARC_DKIM_SIGS_MAX) and the
 *	From domain's DMARC policy, with the resolver of [dns]. pct is
 *	reported, not drawn: the disposition shown is the policy's.
 *
 *	One line: the DMARC result first (pass, fail, none, temperror,
 *	permerror), then the From domain, policy and disposition, what SPF
 *	and each signature gave and whether they align, and why; with --json
 *	one object, the Authentication-Results value included.
 * DIAGNOSTICS
 *	Exit 0 when a result is printed (a message without one From address
 *	is a permerror), 2 for usage errors and unreadable input, 3 when the
 *	resolver or the libraries cannot be set up.
 * SEE ALSO
 *	milterkit(8), eval.h, dkimv.h, spf.h
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd_spf.h"
#include "dkimv.h"
#include "eval.h"
#include "mk_addrlist.h"
#include "mk_dns.h"
#include "mk_mem.h"
#include "spf.h"

#define MSG_MAX		(64L << 20)	/* octets of a message read */

struct opts {
	const char *ip, *sender, *helo, *authserv, *file;
	int json;
};

static void
dmarc_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: milterkit [-c FILE] dmarc check [--ip IP] [--sender ADDR]\n"
	    "           [--helo NAME] [--authserv-id NAME] [--json] [FILE|-]\n"
	    "  The message on standard input (or FILE). The first word printed\n"
	    "  is the DMARC result: pass, fail, none, temperror or permerror.\n"
	    "  Without --ip SPF is not checked. Name servers: [dns].\n");
}

/* The whole input with CRLF line ends; NULL with a message on stderr. */
static char *
read_message(const char *file, size_t *len)
{
	FILE *fp = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
	size_t cap = 65536, n = 0;
	char *buf;
	int c, prev = 0;

	if (fp == NULL) {
		perror(file);
		return NULL;
	}
	buf = mk_malloc(cap);
	while ((c = getc(fp)) != EOF) {
		if (n + 3 >= cap) {
			if (cap >= (size_t)MSG_MAX) {
				fprintf(stderr, "milterkit: %s: larger than %ld "
				    "octets\n", file, MSG_MAX);
				free(buf);
				buf = NULL;
				break;
			}
			cap *= 2;
			buf = mk_realloc(buf, cap);
		}
		if (c == '\n' && prev != '\r')
			buf[n++] = '\r';
		buf[n++] = (char)c;
		prev = c;
	}
	if (fp != stdin)
		fclose(fp);
	if (buf != NULL)
		buf[n] = '\0';
	*len = n;
	return buf;
}

/*
 * Feeds the header fields and the body to the verifier and finds the
 * From domain (from, size fromlen; "" with why when the message has not
 * exactly one From address).
 */
static void
feed(struct dmarc_dkimv_msg *m, char *msg, size_t len, char *from,
    size_t fromlen, const char **why)
{
	char *p = msg, *end = msg + len, *body = end;
	int nfrom = 0;

	from[0] = '\0';
	*why = "no From field";
	while (p < end && !(p[0] == '\r' && p + 1 < end && p[1] == '\n')) {
		char *f = p, *colon, *e;

		/* a field: to the CRLF not followed by a blank */
		for (e = p; e + 1 < end; e++)
			if (e[0] == '\r' && e[1] == '\n' &&
			    (e + 2 >= end || (e[2] != ' ' && e[2] != '\t')))
				break;
		p = e + 2 <= end ? e + 2 : end;
		*e = '\0';
		if ((colon = strchr(f, ':')) == NULL)
			continue;	/* not a field: skipped */
		*colon = '\0';
		dmarc_dkimv_header(m, f, colon + 1);
		if (strcasecmp(f, "From") == 0) {
			struct mk_alist al;

			nfrom++;
			if (mk_addrlist_parse(colon + 1, &al) != 0 ||
			    al.mailboxes != 1 || al.first_domain[0] == '\0')
				*why = "the From field has not exactly one address";
			else if (nfrom == 1)
				snprintf(from, fromlen, "%s", al.first_domain);
		}
	}
	if (p < end)
		body = p + 2;
	dmarc_dkimv_eoh(m);
	dmarc_dkimv_body(m, (const unsigned char *)body, (size_t)(end - body));
	if (nfrom > 1) {
		from[0] = '\0';
		*why = "more than one From field";
	}
}

static void
print_plain(const struct dmarc_outcome *o, const struct dmarc_input *in,
    int spf_checked)
{
	printf("%s from=%s", dmarc_result_name(o->result), in->from_domain);
	if (o->has_record)
		printf(" policy=%s disposition=%s pct=%d record=_dmarc.%s",
		    dmarc_policy_name(o->policy),
		    dmarc_policy_name(o->disposition), o->rec.pct,
		    o->record_domain);
	if (spf_checked)
		printf(" spf=%s(%s)%s", dmarc_spf_result_name(in->spf_result),
		    in->spf_domain, o->spf_aligned ? " aligned" : "");
	for (size_t i = 0; i < in->nsigs; i++)
		printf(" dkim=%s(%s s=%s)%s", dmarc_dkim_result_name(
		    in->sigs[i].result), in->sigs[i].domain,
		    in->sigs[i].selector,
		    strcasecmp(o->dkim_domain, in->sigs[i].domain) == 0 &&
		    o->dkim_aligned ? " aligned" : "");
	if (in->nsigs == 0)
		printf(" dkim=none");
	printf(": %s\n", o->why);
}

static void
print_json(const struct dmarc_outcome *o, const struct dmarc_input *in,
    int spf_checked, const char *ar)
{
	char a[2048], b[600];

	cli_json_escape(a, sizeof(a), in->from_domain);
	printf("{\"result\":\"%s\",\"from\":%s", dmarc_result_name(o->result), a);
	if (o->has_record) {
		cli_json_escape(a, sizeof(a), o->record_domain);
		printf(",\"policy\":\"%s\",\"disposition\":\"%s\",\"pct\":%d,"
		    "\"record_domain\":%s", dmarc_policy_name(o->policy),
		    dmarc_policy_name(o->disposition), o->rec.pct, a);
	}
	if (spf_checked) {
		cli_json_escape(a, sizeof(a), in->spf_domain);
		printf(",\"spf\":{\"result\":\"%s\",\"domain\":%s,\"aligned\":%s}",
		    dmarc_spf_result_name(in->spf_result), a,
		    o->spf_aligned ? "true" : "false");
	}
	printf(",\"dkim\":[");
	for (size_t i = 0; i < in->nsigs; i++) {
		cli_json_escape(a, sizeof(a), in->sigs[i].domain);
		cli_json_escape(b, sizeof(b), in->sigs[i].selector);
		printf("%s{\"result\":\"%s\",\"domain\":%s,\"selector\":%s,"
		    "\"aligned\":%s}", i > 0 ? "," : "",
		    dmarc_dkim_result_name(in->sigs[i].result), a, b,
		    o->dkim_aligned && strcasecmp(o->dkim_domain,
		    in->sigs[i].domain) == 0 ? "true" : "false");
	}
	cli_json_escape(a, sizeof(a), o->why);
	printf("],\"why\":%s", a);
	if (cli_json_escape(a, sizeof(a), ar) > 0)
		printf(",\"authentication_results\":%s", a);
	printf("}\n");
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->file = "-";
	o->authserv = "localhost";
	for (int i = 0; i < argc; i++) {
		const char **slot = NULL;

		if (strcmp(argv[i], "--json") == 0) {
			o->json = 1;
			continue;
		}
		if (strcmp(argv[i], "--ip") == 0)
			slot = &o->ip;
		else if (strcmp(argv[i], "--sender") == 0)
			slot = &o->sender;
		else if (strcmp(argv[i], "--helo") == 0)
			slot = &o->helo;
		else if (strcmp(argv[i], "--authserv-id") == 0)
			slot = &o->authserv;
		if (slot != NULL) {
			if (++i >= argc)
				return -1;
			*slot = argv[i];
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return -1;
		} else if (i == argc - 1) {
			o->file = argv[i];
		} else {
			return -1;
		}
	}
	return 0;
}

/* The SPF part; 0, or an exit code. */
static int
check_spf(struct mk_dns *dns, const struct opts *o, struct dmarc_input *in,
    struct dmarc_spf_outcome *so, char *spf_domain, size_t size)
{
	struct dmarc_spf *spf;
	char err[256];
	const char *sender = o->sender != NULL ? o->sender : "";

	if (dmarc_spf_new(dns, o->authserv, &spf, err, sizeof(err)) != 0) {
		fprintf(stderr, "milterkit: %s\n", err);
		return CLI_EXIT_STORE;
	}
	if (dmarc_spf_check(spf, o->ip, sender, o->helo, so) != 0) {
		fprintf(stderr, "milterkit: bad --ip \"%.64s\", or no --sender "
		    "and no --helo\n", o->ip);
		dmarc_spf_free(spf);
		return CLI_EXIT_USAGE;
	}
	dmarc_spf_free(spf);
	snprintf(spf_domain, size, "%s", so->domain);
	in->spf_result = so->result;
	in->spf_domain = spf_domain;
	in->spf_identity = sender[0] != '\0' ? sender : o->helo;
	return 0;
}

static int
dmarc_check(struct tool *t, const struct opts *o)
{
	struct dmarc_dkim_sig sigs[DMARC_DKIM_SIGS_MAX];
	struct dmarc_spf_outcome so;
	struct dmarc_input in = { 0 };
	struct dmarc_outcome out;
	struct dmarc_dkimv *v = NULL;
	struct dmarc_dkimv_msg *m = NULL;
	struct mk_dns *dns = NULL;
	struct mk_strbuf ar = { NULL, 0, 0 };
	char err[256], from[MK_DNS_NAME_MAX + 1], spf_domain[MK_DNS_NAME_MAX + 1];
	const char *why;
	char *msg;
	size_t len;
	int rc;

	if ((rc = tool_load_conf(t)) != 0)
		return rc;
	if ((msg = read_message(o->file, &len)) == NULL)
		return CLI_EXIT_USAGE;
	if (mk_dns_new(&t->conf->dns, &dns, err, sizeof(err)) != 0 ||
	    dmarc_org_init(err, sizeof(err)) != 0 ||
	    dmarc_dkimv_new(DMARC_DKIM_SIGS_MAX, &v, err, sizeof(err)) != 0 ||
	    (m = dmarc_dkimv_start(v, "dmarc-check")) == NULL) {
		fprintf(stderr, "milterkit: %s\n", m == NULL && v != NULL ?
		    "cannot start a DKIM verification" : err);
		rc = CLI_EXIT_STORE;
		goto done;
	}
	feed(m, msg, len, from, sizeof(from), &why);
	in.from_domain = from;
	if (o->ip != NULL && (rc = check_spf(dns, o, &in, &so, spf_domain,
	    sizeof(spf_domain))) != 0)
		goto done;
	in.sigs = sigs;
	in.nsigs = dmarc_dkimv_finish(m, dns, sigs, DMARC_DKIM_SIGS_MAX);
	if (from[0] == '\0' || dmarc_eval(dns, &in, 0, &out) != 0) {
		memset(&out, 0, sizeof(out));
		out.result = DMARC_R_PERMERROR;
		snprintf(out.why, sizeof(out.why), "%s", from[0] == '\0' ? why :
		    "the From domain is not a domain name");
	}
	dmarc_ar_value(o->authserv, &in, &out, &ar);
	if (o->json)
		print_json(&out, &in, o->ip != NULL, ar.p);
	else
		print_plain(&out, &in, o->ip != NULL);
	rc = CLI_EXIT_OK;
done:
	mk_strbuf_free(&ar);
	dmarc_dkimv_msg_free(m);
	dmarc_dkimv_free(v);
	mk_dns_free(dns);
	free(msg);
	return rc;
}

int
cmd_dmarc(struct tool *t, int argc, char **argv)
{
	struct opts o;

	if (argc < 1 || strcmp(argv[0], "-h") == 0 ||
	    strcmp(argv[0], "--help") == 0) {
		dmarc_usage(argc < 1 ? stderr : stdout);
		return argc < 1 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (strcmp(argv[0], "check") != 0) {
		fprintf(stderr, "milterkit: unknown dmarc verb \"%.40s\"\n",
		    argv[0]);
		dmarc_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		dmarc_usage(stdout);
		return CLI_EXIT_OK;
	}
	if (parse_opts(argc - 1, argv + 1, &o) != 0) {
		dmarc_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	return dmarc_check(t, &o);
}
