/*
 * NAME
 *	rewrite.c - milterkit-returnpath: the rules of one configuration and
 *	the new envelope sender (see returnpath.h)
 * DESCRIPTION
 *	Plain functions: the filter (filter.c) calls rp_sender() at MAIL, to
 *	let go at once of messages it will never rewrite, and rp_rewrite()
 *	at end of message, when the recipients are known. The new local part
 *	is the return-path token of mk_token.h, so `milterkit ingest` maps a
 *	bounce to it back to the sender (its domain is the scope) and, for a
 *	message that had one recipient, to that recipient, whatever the
 *	bounce's format.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mk_addrpat.h"
#include "mk_list.h"
#include "mk_log.h"
#include "mk_mem.h"
#include "mk_token.h"
#include "returnpath.h"
#include "returnpath_conf.h"

struct rp_rules {
	struct mk_session_choice sessions;
	char **domains;			/* patterns, lower-cased */
	size_t ndomains;
	struct mk_addrpat_list exclude;
	char *tpl;			/* bounce_domain */
	struct rp_table *table;		/* NULL: none */
	unsigned char *key;
	size_t keylen;
	int days;
	size_t max_local;
};

static const char *const verdict_names[] = {
	[RP_REWRITE] = "rewrite",
	[RP_NULL] = "null-sender",
	[RP_MALFORMED] = "malformed",
	[RP_ALREADY] = "already",
	[RP_NOT_LISTED] = "not-listed",
	[RP_EXCLUDED] = "excluded",
	[RP_NO_DOMAIN] = "no-bounce-domain",
	[RP_TOO_LONG] = "too-long",
	[RP_ERROR] = "error",
};

const char *
rp_verdict_name(enum rp_verdict v)
{
	return (unsigned)v < sizeof(verdict_names) / sizeof(*verdict_names) ?
	    verdict_names[v] : "?";
}

static void
domains_parse(struct rp_rules *r, const char *text)
{
	struct mk_list l;

	mk_list_init(&l, text, 0, 0, "domain patterns");
	while (mk_list_next(&l, NULL, 0) > 0) {
		r->domains = mk_realloc(r->domains, (r->ndomains + 1) *
		    sizeof(*r->domains));
		r->domains[r->ndomains] = mk_strndup(l.item, l.len);
		for (char *c = r->domains[r->ndomains]; *c != '\0'; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		r->ndomains++;
	}
}

int
rp_rules_new(const struct mk_conf *conf, struct rp_rules **out, char *err,
    size_t errlen)
{
	const struct rp_conf *c = rp_conf(conf);
	struct rp_rules *r = mk_calloc(1, sizeof(*r));

	*out = NULL;
	r->tpl = mk_strdup(c->bounce_domain);
	r->days = (int)c->token_days;
	r->max_local = (size_t)c->max_local_length;
	domains_parse(r, c->domains);
	/* Like an empty signing table: the filter runs, rewriting nothing,
	 * until domains are listed (a package starts it unconfigured). */
	if (r->ndomains == 0)
		mk_warn("[returnpath] domains is empty: no sender is rewritten "
		    "until the sender domains whose bounce domain routes to "
		    "this relay are listed (or * for all)");
	if (r->ndomains > 0 && c->secret_file[0] == '\0') {
		snprintf(err, errlen, "[returnpath] secret_file is required "
		    "(the key of the return-path tokens, shared with "
		    "milterkit ingest)");
		goto fail;
	}
	if (mk_session_choice_parse(&r->sessions, c->d.check, c->d.networks,
	    err, errlen) != 0 ||
	    mk_addrpat_list_parse(c->exclude, &r->exclude, err, errlen) != 0 ||
	    (c->bounce_domain_table[0] != '\0' &&
	    rp_table_load(c->bounce_domain_table, &r->table, err,
	    errlen) != 0) ||
	    (c->secret_file[0] != '\0' && mk_token_key_load(c->secret_file,
	    "[returnpath] secret_file", &r->key, &r->keylen, err,
	    errlen) != 0))
		goto fail;
	*out = r;
	return 0;
fail:
	rp_rules_free(r);
	return -1;
}

void
rp_rules_free(struct rp_rules *r)
{
	if (r == NULL)
		return;
	mk_session_choice_free(&r->sessions);
	for (size_t i = 0; i < r->ndomains; i++)
		free(r->domains[i]);
	free(r->domains);
	mk_addrpat_list_free(&r->exclude);
	free(r->tpl);
	rp_table_free(r->table);
	mk_token_key_free(r->key, r->keylen);
	free(r);
}

const struct mk_session_choice *
rp_sessions(const void *r)
{
	return &((const struct rp_rules *)r)->sessions;
}

static enum rp_verdict MK_PRINTF(3, 4)
verdict(struct rp_result *res, enum rp_verdict v, const char *fmt, ...)
{
	va_list ap;

	res->verdict = v;
	va_start(ap, fmt);
	vsnprintf(res->cause, sizeof(res->cause), fmt, ap);
	va_end(ap);
	return v;
}

/* rp_sender() on a parsed sender a (rc: what mk_addr_parse() said). */
static enum rp_verdict
sender_verdict(const struct rp_rules *r, int rc, const struct mk_addr *a,
    struct rp_result *res)
{
	const char *tpl;
	size_t i;

	memset(res, 0, sizeof(*res));
	if (rc == MK_ADDR_ENULL)
		return verdict(res, RP_NULL, "%s", "the null sender");
	if (rc != 0)
		return verdict(res, RP_MALFORMED, "sender: %s",
		    mk_addr_strerror(rc));
	if (mk_token_rp_is(a->local, strlen(a->local)))
		return verdict(res, RP_ALREADY, "%s", "already a return-path "
		    "address");
	for (i = 0; i < r->ndomains; i++)
		if (rp_pattern_match(r->domains[i], a->domain))
			break;
	if (i == r->ndomains)
		return verdict(res, RP_NOT_LISTED, "%s", "sender domain not "
		    "in domains");
	if (mk_addrpat_list_match(&r->exclude, a->norm))
		return verdict(res, RP_EXCLUDED, "%s", "sender in exclude");
	if ((tpl = rp_table_match(r->table, a->domain)) == NULL)
		tpl = r->tpl;
	if (rp_template_expand(tpl, a->domain, res->bounce_domain,
	    sizeof(res->bounce_domain)) != 0)
		return verdict(res, RP_NO_DOMAIN, "template %s gives no "
		    "domain name for this sender domain", tpl);
	res->verdict = RP_REWRITE;
	return RP_REWRITE;
}

void
rp_sender(const struct rp_rules *r, const char *sender, struct rp_result *res)
{
	struct mk_addr a;
	int rc = sender == NULL ? MK_ADDR_EEMPTY :
	    mk_addr_parse(sender, strlen(sender), NULL, &a);

	sender_verdict(r, rc, &a, res);
}

/* The token of sender (and rcpt, or NULL) as res->from; 0, or the
 * MK_TOKEN_E* code. An address longer than MK_ADDR_MAX is ETOOLONG. */
static int
make(const struct rp_rules *r, const char *sender, const char *rcpt,
    int64_t now, struct rp_result *res)
{
	char local[RP_LOCAL_MAX + 1];
	int rc, n;

	rc = mk_token_rp_make(r->key, r->keylen, sender, rcpt, now, r->days,
	    local, r->max_local + 1);
	if (rc != 0)
		return rc;
	if (strlen(local) + 1 + strlen(res->bounce_domain) > MK_ADDR_MAX)
		return MK_TOKEN_ETOOLONG;
	n = snprintf(res->from, sizeof(res->from), "<%s@%s>", local,
	    res->bounce_domain);
	if (n < 0 || (size_t)n >= sizeof(res->from))
		return MK_TOKEN_ETOOLONG;
	return 0;
}

void
rp_rewrite(const struct rp_rules *r, const char *sender, const char *rcpt,
    unsigned nrcpt, int64_t now, struct rp_result *res)
{
	struct mk_addr a, ra;
	int rc = sender == NULL ? MK_ADDR_EEMPTY :
	    mk_addr_parse(sender, strlen(sender), NULL, &a);
	const char *rn = NULL;

	if (sender_verdict(r, rc, &a, res) != RP_REWRITE)
		return;
	/* The recipient only when it is the message's one: a bounce then
	 * names it even when the DSN does not. */
	if (nrcpt == 1 && rcpt != NULL &&
	    mk_addr_parse(rcpt, strlen(rcpt), NULL, &ra) == 0)
		rn = ra.norm;
	rc = make(r, a.norm, rn, now, res);
	res->with_rcpt = rc == 0 && rn != NULL;
	if (rc != 0 && rn != NULL)
		rc = make(r, a.norm, NULL, now, res);
	if (rc == MK_TOKEN_ETOOLONG) {
		res->from[0] = '\0';
		snprintf(res->cause, sizeof(res->cause), "the return-path "
		    "address would be longer than max_local_length %zu (or "
		    "%d octets in all)", r->max_local, MK_ADDR_MAX);
		res->verdict = RP_TOO_LONG;
	} else if (rc != 0) {
		res->from[0] = '\0';
		verdict(res, RP_ERROR, "making the token: %s",
		    mk_token_strerror(rc));
	}
}
