/*
 * NAME
 *	listunsub.c - milterkit-headers rule 8: List-Unsubscribe and
 *	List-Unsubscribe-Post (RFC 2369, RFC 8058)
 * SYNOPSIS
 *	void	hdr_rule_unsubscribe(struct hdr_ctx *c);
 * DESCRIPTION
 *	For a message with exactly one recipient, from a MAIL FROM domain in
 *	unsubscribe_domains, without a List-Unsubscribe field: adds
 *
 *		List-Unsubscribe: <mailto:MAILTO>, <URL>
 *		List-Unsubscribe-Post: List-Unsubscribe=One-Click
 *
 *	MAILTO and URL are the unsubscribe_mailto and unsubscribe_url
 *	templates (either may be empty) with %t the token (mk_token.h) of the
 *	recipient and the sender domain, %d the sender domain and, in the
 *	URL only, %r the recipient percent-encoded. The Post field comes only
 *	with a URL (RFC 8058 wants https) and when the message has none.
 *	The null sender (bounces), recipients that do not parse and URLs
 *	that would make a line over 998 octets get nothing. The domain is MAIL FROM's, like the scope of suppression
 *	entries, so that the ingestion can scope what it records.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "headers_priv.h"
#include "mk_addr.h"
#include "mk_mem.h"
#include "mk_token.h"

/* Percent-encode everything but RFC 3986 unreserved characters. */
static void
pct_encode(struct mk_strbuf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= 'A' && ch <= 'Z') || strchr("-._~", ch) != NULL) {
			mk_strbuf_ch(b, (char)ch);
		} else {
			mk_strbuf_ch(b, '%');
			mk_strbuf_ch(b, hex[ch >> 4]);
			mk_strbuf_ch(b, hex[ch & 15]);
		}
	}
}

void
hdr_rule_unsubscribe(struct hdr_ctx *c)
{
	const struct hdr_rules *r = c->r;
	const struct hdr_msg *m = c->m;
	char tok[MK_TOKEN_UNSUB_LEN + 1];
	const char *vars[26] = { NULL };
	struct mk_strbuf b = { NULL, 0, 0 }, rc = { NULL, 0, 0 };
	struct mk_addr a;

	if (r->unsub_domains.n == 0 || m->nrcpt != 1 || m->rcpt == NULL ||
	    c->env_domain[0] == '\0' ||
	    !hdr_domain_match(&r->unsub_domains, c->env_domain,
	    strlen(c->env_domain)) ||
	    hdr_find(c, "List-Unsubscribe", 0) < m->n ||
	    mk_addr_parse(m->rcpt, strlen(m->rcpt), NULL, &a) != 0 ||
	    mk_token_unsub(r->unsub_key, r->unsub_keylen, a.norm,
	    c->env_domain, tok) != 0)
		return;
	pct_encode(&rc, a.norm);
	vars['t' - 'a'] = tok;
	vars['d' - 'a'] = c->env_domain;
	mk_strbuf_ch(&b, ' ');
	if (r->unsub_mailto[0] != '\0') {
		mk_strbuf_str(&b, "<mailto:");
		hdr_expand(&b, r->unsub_mailto, vars);
		mk_strbuf_ch(&b, '>');
	}
	if (r->unsub_url[0] != '\0') {
		vars['r' - 'a'] = rc.p;
		if (b.len > 1)
			mk_strbuf_str(&b, ",\n ");
		mk_strbuf_ch(&b, '<');
		hdr_expand(&b, r->unsub_url, vars);
		mk_strbuf_ch(&b, '>');
	}
	mk_strbuf_free(&rc);
	if (mk_fold_line_max("List-Unsubscribe", b.p) > HDR_LINE_MAX) {
		mk_strbuf_free(&b);	/* a recipient too long for a URL */
		return;
	}
	hdr_edit(c, HDR_ADD, SIZE_MAX, "List-Unsubscribe", mk_strbuf_take(&b),
	    "unsubscribe_domains");
	if (r->unsub_url[0] != '\0' &&
	    hdr_find(c, "List-Unsubscribe-Post", 0) == m->n)
		hdr_edit(c, HDR_ADD, SIZE_MAX, "List-Unsubscribe-Post",
		    mk_strdup(" List-Unsubscribe=One-Click"), "unsubscribe_url");
}
