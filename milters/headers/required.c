/*
 * NAME
 *	required.c - milterkit-headers rules 1 to 5: the fields RFC 5322
 *	requires, once each
 * SYNOPSIS
 *	void	hdr_rule_duplicates(struct hdr_ctx *c);
 *	void	hdr_rule_from(struct hdr_ctx *c);
 *	void	hdr_rule_message_id(struct hdr_ctx *c);
 *	void	hdr_rule_date(struct hdr_ctx *c);
 *	void	hdr_rule_mime(struct hdr_ctx *c);
 * DESCRIPTION
 *	duplicates: a field of RFC 5322 3.6 that may occur once (Date, From,
 *	Sender, Reply-To, To, Cc, Bcc, Message-ID, In-Reply-To, References,
 *	Subject) occurs more often: 550 5.6.0, or keep-first deletes the
 *	later ones, or accept.
 *	from: no From: 550 5.6.0, or add one from MAIL FROM (the null sender
 *	is still rejected), or accept. A From with several mailboxes and no
 *	Sender: 550 5.6.0 unless accepted. It also notes the domain of the
 *	first From mailbox and of MAIL FROM for the later rules.
 *	message_id: a missing Message-ID is added, an invalid one replaced;
 *	its domain is message_id_domain, else the From domain, else the
 *	MAIL FROM domain, else the host name.
 *	date: a missing Date is added for msg->now.
 *	mime: Content-Type or Content-Transfer-Encoding without MIME-Version
 *	gets MIME-Version: 1.0.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "headers_conf.h"
#include "headers_priv.h"
#include "mk_addr.h"
#include "mk_mem.h"

static const char *const once[] = {
	"Date", "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Message-ID",
	"In-Reply-To", "References", "Subject", NULL
};

void
hdr_rule_duplicates(struct hdr_ctx *c)
{
	const struct hdr_msg *m = c->m;

	if (c->r->duplicates == HDR_CONF_DUP_ACCEPT)
		return;
	for (size_t k = 0; once[k] != NULL; k++) {
		size_t first = hdr_find(c, once[k], 0), n = 0, i;
		char why[64];

		for (i = first; i < m->n; i = hdr_find(c, once[k], i + 1))
			n++;
		if (n < 2)
			continue;
		if (c->r->duplicates == HDR_CONF_DUP_REJECT) {
			hdr_reject(c, "550", "5.6.0", "Message has %zu %s header "
			    "fields, RFC 5322 allows one", n, once[k]);
			return;
		}
		snprintf(why, sizeof(why), "duplicate %s", once[k]);
		for (i = hdr_find(c, once[k], first + 1); i < m->n;
		    i = hdr_find(c, once[k], i + 1))
			hdr_edit(c, HDR_DELETE, i, m->h[i].name, NULL, why);
	}
}

/* From missing: reject, or add it from MAIL FROM. */
static void
from_missing(struct hdr_ctx *c)
{
	struct mk_addr a;
	const char *env = c->m->env_from ? c->m->env_from : "";
	char *v;

	if (c->r->missing_from == HDR_CONF_FROM_ACCEPT)
		return;
	if (c->r->missing_from == HDR_CONF_FROM_REJECT || env[0] == '\0' ||
	    mk_addr_parse(env, strlen(env), NULL, &a) != 0) {
		hdr_reject(c, "550", "5.6.0", "Message has no From header field");
		return;
	}
	v = mk_malloc(strlen(a.norm) + 4);
	snprintf(v, strlen(a.norm) + 4, " <%s>", a.norm);
	hdr_edit(c, HDR_ADD, SIZE_MAX, "From", v, "missing, from MAIL FROM");
	snprintf(c->from_domain, sizeof(c->from_domain), "%s", a.domain);
}

void
hdr_rule_from(struct hdr_ctx *c)
{
	const struct hdr_msg *m = c->m;
	const char *env = m->env_from ? m->env_from : "";
	struct mk_alist al;
	struct mk_addr a;
	size_t i;

	if (env[0] != '\0' && mk_addr_parse(env, strlen(env), NULL, &a) == 0)
		snprintf(c->env_domain, sizeof(c->env_domain), "%s", a.domain);
	if ((i = hdr_find(c, "From", 0)) == m->n) {
		from_missing(c);
		return;
	}
	if (mk_addrlist_parse(m->h[i].value, &al) != 0)
		return;
	if (al.first_domain[0] != '\0' && mk_addr_domain(al.first_domain,
	    strlen(al.first_domain), c->from_domain,
	    sizeof(c->from_domain)) != 0)
		c->from_domain[0] = '\0';
	if (al.mailboxes > 1 && c->r->multiple_from == HDR_CONF_REJECT &&
	    hdr_find(c, "Sender", 0) == m->n)
		hdr_reject(c, "550", "5.6.0", "From header field has %zu "
		    "mailboxes and no Sender header field", al.mailboxes);
}

void
hdr_rule_message_id(struct hdr_ctx *c)
{
	const char *dom = c->r->msgid_domain;
	char id[HDR_DOMAIN_MAX + 80];
	size_t i;

	if (!c->r->message_id)
		return;
	i = hdr_find(c, "Message-ID", 0);
	if (i < c->m->n && hdr_msgid_valid(c->m->h[i].value))
		return;
	if (dom[0] == '\0')
		dom = c->from_domain;
	if (dom[0] == '\0')
		dom = c->env_domain;
	if (dom[0] == '\0')
		dom = c->r->hostname;
	id[0] = ' ';
	hdr_msgid_new(dom, id + 1, sizeof(id) - 1);
	if (i == c->m->n)
		hdr_edit(c, HDR_ADD, SIZE_MAX, "Message-ID", mk_strdup(id),
		    "missing");
	else
		hdr_edit(c, HDR_CHANGE, i, c->m->h[i].name, mk_strdup(id),
		    "invalid, replaced");
}

void
hdr_rule_date(struct hdr_ctx *c)
{
	char date[64];

	if (!c->r->date || hdr_find(c, "Date", 0) < c->m->n)
		return;
	date[0] = ' ';
	hdr_date_format(c->m->now, c->r->date_utc, date + 1, sizeof(date) - 1);
	hdr_edit(c, HDR_ADD, SIZE_MAX, "Date", mk_strdup(date), "missing");
}

void
hdr_rule_mime(struct hdr_ctx *c)
{
	const struct hdr_msg *m = c->m;

	if (!c->r->mime_version || hdr_find(c, "MIME-Version", 0) < m->n)
		return;
	if (hdr_find(c, "Content-Type", 0) < m->n ||
	    hdr_find(c, "Content-Transfer-Encoding", 0) < m->n)
		hdr_edit(c, HDR_ADD, SIZE_MAX, "MIME-Version", mk_strdup(" 1.0"),
		    "missing with MIME content");
}
