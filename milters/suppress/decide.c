/*
 * decide.c - milterkit-suppress: the decision for one recipient (see
 * suppress.h). Plain code: the unit tests call it with a real store.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "mk_addr.h"
#include "mk_addrpat.h"
#include "mk_log.h"
#include "mk_reply.h"
#include "suppress_priv.h"

void
supp_sender_scope(const char *sender, char *scope, size_t len)
{
	struct mk_addr a;

	scope[0] = '\0';
	if (sender == NULL || mk_addr_parse(sender, strlen(sender), NULL, &a) != 0)
		return;
	if (strlen(a.domain) < len)
		strcpy(scope, a.domain);
}

static int
same_opts(const struct mk_addr_opts *a, const struct mk_addr_opts *b)
{
	char da = a->subaddress_delim ? a->subaddress_delim : '+';
	char db = b->subaddress_delim ? b->subaddress_delim : '+';

	return !a->exact_local == !b->exact_local &&
	    !a->strip_subaddress == !b->strip_subaddress &&
	    (!a->strip_subaddress || da == db);
}

/* Fill r->reply from the template of the entry's reason. */
static void
format_reply(const struct supp_state *s, struct supp_result *r)
{
	const char *vars[26] = { 0 };

	vars['a' - 'a'] = r->rcpt;
	vars['r' - 'a'] = mk_reason_name(r->hit.reason);
	if (mk_reply_format(s->reply[r->hit.reason], vars, &r->reply) != 0) {
		/* Templates are checked when the configuration is read. */
		snprintf(r->reply.rcode, sizeof(r->reply.rcode), "550");
		snprintf(r->reply.xcode, sizeof(r->reply.xcode), "5.7.1");
		snprintf(r->reply.text, sizeof(r->reply.text),
		    "recipient address suppressed");
	}
}

void
supp_decide(struct supp_state *s, const char *rcpt, const char *scope,
    int64_t now, struct supp_result *r)
{
	static const struct mk_addr_opts defaults;
	const struct mk_addr_opts *opts;
	struct mk_store_hold *h;
	struct mk_store *st;
	struct mk_addr a;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = mk_addr_parse(rcpt, strlen(rcpt), NULL, &a)) != 0) {
		r->verdict = SUPP_MALFORMED;
		snprintf(r->cause, sizeof(r->cause), "%s", mk_addr_strerror(rc));
		return;
	}
	strcpy(r->rcpt, a.norm);
	if (mk_addrpat_list_match(&s->exempt, a.norm)) {
		r->verdict = SUPP_EXEMPT;
		return;
	}
	if ((h = mk_store_reader_hold(s->reader, r->cause,
	    sizeof(r->cause))) == NULL) {
		r->verdict = SUPP_ERROR;
		return;
	}
	st = mk_store_hold_store(h);
	/* Lookups normalize the way the store's entries were written. */
	opts = mk_store_addr_opts(st);
	if (!same_opts(opts, &defaults) &&
	    mk_addr_parse(rcpt, strlen(rcpt), opts, &a) == 0)
		strcpy(r->rcpt, a.norm);
	rc = mk_supp_lookup(st, r->rcpt, scope, now, &r->hit);
	if (rc == 0) {
		r->verdict = SUPP_REJECT;
		format_reply(s, r);
	} else if (rc == MK_STORE_ENOTFOUND) {
		r->verdict = SUPP_PASS;
	} else {
		r->verdict = SUPP_ERROR;
		snprintf(r->cause, sizeof(r->cause), "store %s: %s (%s)", s->dir,
		    mk_store_strerror(rc), mk_store_errdetail(st));
	}
	mk_store_reader_drop(s->reader, h);
}
