/*
 * NAME
 *	privacy.c - milterkit-headers rules 6 and 7: fields that tell too
 *	much, and Feedback-ID
 * SYNOPSIS
 *	void	hdr_rule_privacy(struct hdr_ctx *c);
 *	void	hdr_rule_feedback(struct hdr_ctx *c);
 * DESCRIPTION
 *	privacy: fields named in remove_headers are deleted, and so are the
 *	Received fields whose "from" part (the text before the first "by"
 *	outside comments, or before ';') names an address of
 *	internal_networks or a host of internal_hosts. An address is a run of
 *	[0-9A-Za-z.:_-] with an optional "IPv6:" prefix, as in "[10.1.2.3]"
 *	or "(unknown [IPv6:2001:db8::1])"; a name after '@' (an address in
 *	a comment) does not count.
 *	feedback: with a feedback_id template, every Feedback-ID is deleted
 *	and one is added: %d the MAIL FROM domain (the From domain for the
 *	null sender), %f the From domain, %u the SASL login, %q the queue id;
 *	values keep [A-Za-z0-9.@+=_-], other octets become '_', and each is
 *	cut at 128 octets (the field stays far from 998).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "headers_priv.h"
#include "mk_cidr.h"
#include "mk_mem.h"

#define TOKEN_MAX 256
#define VAR_MAX 128

static int
addr_char(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= 'A' && ch <= 'Z') || ch == '.' || ch == ':' || ch == '-' ||
	    ch == '_';
}

/* Does one token of a Received from part name an internal address/host? */
static const char *
token_internal(const struct hdr_rules *r, const char *t, size_t n)
{
	char buf[TOKEN_MAX];

	if (n >= 5 && strncasecmp(t, "IPv6:", 5) == 0) {
		t += 5;
		n -= 5;
	}
	if (n == 0 || n >= sizeof(buf))
		return NULL;
	memcpy(buf, t, n);
	buf[n] = '\0';
	if (r->internal_nets.n > 0 && mk_cidr_list_match(&r->internal_nets,
	    buf))
		return "Received from an internal network";
	if (r->internal_hosts.n > 0 && memchr(buf, '.', n) != NULL &&
	    hdr_domain_match(&r->internal_hosts, buf, n))
		return "Received from an internal host";
	return NULL;
}

/* The reason a Received field is internal, or NULL. */
static const char *
received_internal(const struct hdr_rules *r, const char *v)
{
	int depth = 0;
	const char *why;

	for (const char *p = v; *p != '\0';) {
		size_t n = 0;

		if (*p == '\\' && p[1] != '\0') {
			p += 2;
			continue;
		}
		if (*p == '(' || *p == ')' || *p == ';' || !addr_char(*p)) {
			if (*p == '(')
				depth++;
			else if (*p == ')' && depth > 0)
				depth--;
			else if (*p == ';' && depth == 0)
				return NULL;
			p++;
			continue;
		}
		while (addr_char(p[n]))
			n++;
		if (depth == 0 && n == 2 && strncasecmp(p, "by", 2) == 0)
			return NULL;
		if ((p == v || p[-1] != '@') &&
		    (why = token_internal(r, p, n)) != NULL)
			return why;
		p += n;
	}
	return NULL;
}

void
hdr_rule_privacy(struct hdr_ctx *c)
{
	const struct hdr_rules *r = c->r;
	const struct hdr_msg *m = c->m;
	const char *why;

	for (size_t i = 0; i < m->n; i++) {
		if (c->gone[i])
			continue;
		if (hdr_field_match(&r->remove, m->h[i].name))
			hdr_edit(c, HDR_DELETE, i, m->h[i].name, NULL,
			    "privacy, remove_headers");
		else if ((r->internal_nets.n > 0 || r->internal_hosts.n > 0) &&
		    hdr_is(m->h[i].name, "Received") &&
		    (why = received_internal(r, m->h[i].value)) != NULL)
			hdr_edit(c, HDR_DELETE, i, m->h[i].name, NULL, why);
	}
}

/* A template value: safe octets only, bounded. */
static void
safe_var(char *dst, const char *src)
{
	size_t n = 0;

	for (; src != NULL && *src != '\0' && n < VAR_MAX; src++, n++) {
		char ch = *src;

		dst[n] = ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= 'A' && ch <= 'Z') || strchr(".@+=_-", ch) != NULL) ?
		    ch : '_';
	}
	dst[n] = '\0';
}

void
hdr_rule_feedback(struct hdr_ctx *c)
{
	char d[VAR_MAX + 1], f[VAR_MAX + 1], u[VAR_MAX + 1], q[VAR_MAX + 1];
	const char *vars[26] = { NULL };
	struct mk_strbuf b = { NULL, 0, 0 };
	const struct hdr_msg *m = c->m;

	if (c->r->feedback_id[0] == '\0')
		return;
	for (size_t i = hdr_find(c, "Feedback-ID", 0); i < m->n;
	    i = hdr_find(c, "Feedback-ID", i + 1))
		hdr_edit(c, HDR_DELETE, i, m->h[i].name, NULL,
		    "replaced by feedback_id");
	safe_var(d, c->env_domain[0] ? c->env_domain : c->from_domain);
	safe_var(f, c->from_domain);
	safe_var(u, m->sasl_user);
	safe_var(q, m->queue_id);
	vars['d' - 'a'] = d;
	vars['f' - 'a'] = f;
	vars['u' - 'a'] = u;
	vars['q' - 'a'] = q;
	mk_strbuf_ch(&b, ' ');
	hdr_expand(&b, c->r->feedback_id, vars);
	hdr_edit(c, HDR_ADD, SIZE_MAX, "Feedback-ID", mk_strbuf_take(&b),
	    "feedback_id");
}
