/*
 * NAME
 *	ingest_decide.c - reports to decisions (see ingest_decide.h)
 * DESCRIPTION
 *	Plain logic: no store, no I/O, so the unit test drives every rule.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ingest_decide.h"

struct ing_tok {
	int rc;			/* MK_TOKEN_*, or 1: no token anywhere */
	struct mk_rp_token t;
	const char *where;
};

static int
lc(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

static int
b32ch(int ch)
{
	ch = lc(ch);
	return (ch >= 'a' && ch <= 'z') || (ch >= '2' && ch <= '7');
}

int
ing_mailto_match(const char *tpl, const char *local, char *token,
    char *domain, size_t domlen)
{
	const char *t = tpl, *l = local;

	token[0] = '\0';
	if (domlen > 0)
		domain[0] = '\0';
	while (*t != '\0' && *t != '@') {
		if (t[0] == '%' && t[1] == 't') {
			for (int i = 0; i < MK_TOKEN_UNSUB_LEN; i++)
				if (!b32ch((unsigned char)l[i]))
					return 0;
			memcpy(token, l, MK_TOKEN_UNSUB_LEN);
			token[MK_TOKEN_UNSUB_LEN] = '\0';
			l += MK_TOKEN_UNSUB_LEN;
			t += 2;
		} else if (t[0] == '%' && t[1] == 'd') {
			/* Up to the next literal of the template. */
			char stop = t[2] == '@' ? '\0' : t[2];
			size_t n = 0;

			while (l[n] != '\0' && lc((unsigned char)l[n]) !=
			    lc((unsigned char)stop))
				n++;
			if (n == 0 || n >= domlen)
				return 0;
			memcpy(domain, l, n);
			domain[n] = '\0';
			l += n;
			t += 2;
		} else if (t[0] == '%' && t[1] == '%') {
			if (*l++ != '%')
				return 0;
			t += 2;
		} else {
			if (lc((unsigned char)*t) != lc((unsigned char)*l))
				return 0;
			t++;
			l++;
		}
	}
	return *l == '\0' && token[0] != '\0';
}

/* The local part and domain of a bare address; 0, or -1. */
static int
split(const char *addr, char *local, size_t llen, const char **domain)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;
	size_t n;

	if (at == NULL || at == addr || (n = (size_t)(at - addr)) >= llen)
		return -1;
	memcpy(local, addr, n);
	local[n] = '\0';
	*domain = at + 1;
	return 0;
}

/* The first return-path token among the candidates (ingest_decide.h). */
static void
find_token(const struct ing_ctx *x, const struct ingest_report *r,
    const char *env_rcpt, struct ing_tok *tk)
{
	const char *cand[3] = { env_rcpt, r->orig_return_path,
	    r->orig_mail_from };
	static const char *const where[3] = { "envelope recipient",
	    "returned Return-Path", "Original-Mail-From" };
	char local[MK_TOKEN_RP_MAX + 1];
	const char *dom;

	memset(tk, 0, sizeof(*tk));
	tk->rc = 1;
	for (int i = 0; i < 3; i++) {
		if (cand[i] == NULL || split(cand[i], local, sizeof(local),
		    &dom) != 0 || !mk_token_rp_is(local, strlen(local)))
			continue;
		if (x->rp_key == NULL)
			return;		/* no key: as if there were no token */
		tk->where = where[i];
		tk->rc = mk_token_rp_parse(x->rp_key, x->rp_keylen, local,
		    strlen(local), x->now, &tk->t);
		return;
	}
}

/* Normalizes addr into d->rcpt; 0, or -1 with d ignored and why set. */
static int
norm_rcpt(const struct ing_ctx *x, const char *addr, struct ing_decision *d)
{
	struct mk_addr a;

	if (addr == NULL || addr[0] == '\0') {
		d->kind = ING_IGNORED;
		snprintf(d->why, sizeof(d->why), "no recipient found");
		return -1;
	}
	if (mk_addr_parse(addr, strlen(addr), x->ao, &a) != 0) {
		d->kind = ING_IGNORED;
		snprintf(d->why, sizeof(d->why), "recipient does not parse");
		return -1;
	}
	snprintf(d->rcpt, sizeof(d->rcpt), "%s", a.norm);
	return 0;
}

/* The normalized domain of an address into out; "" when none. */
static void
domain_of(const char *addr, char *out, size_t outlen)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;

	out[0] = '\0';
	if (at != NULL && mk_addr_domain(at + 1, strlen(at + 1), out,
	    outlen) != 0)
		out[0] = '\0';
}

static size_t
ignore_all(const struct ingest_report *r, const char *why,
    struct ing_decision *out, size_t max)
{
	size_t n = r->n > 0 ? r->n : 1;

	if (n > max)
		n = max;
	for (size_t i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].kind = ING_IGNORED;
		if (i < r->n) {
			snprintf(out[i].rcpt, sizeof(out[i].rcpt), "%s",
			    r->items[i].recipient);
			snprintf(out[i].status, sizeof(out[i].status), "%s",
			    r->items[i].status);
		}
		snprintf(out[i].why, sizeof(out[i].why), "%s", why);
	}
	return n;
}

/* Mail to the unsubscribe address: 1 when it was (out filled), else 0. */
static int
unsubscribe(const struct ing_ctx *x, const struct ingest_report *r,
    const char *env_rcpt, const char *env_sender, struct ing_decision *d)
{
	char local[MK_ADDR_LOCAL_MAX * 2 + 3], tok[MK_TOKEN_UNSUB_LEN + 1];
	char dom[MK_ADDR_DOMAIN_MAX + 1], cand[MK_ADDR_DOMAIN_MAX + 1];
	const char *adom, *who[2] = { env_sender, r->from };

	if (x->unsub_mailto == NULL || x->unsub_mailto[0] == '\0' ||
	    split(env_rcpt, local, sizeof(local), &adom) != 0 ||
	    !ing_mailto_match(x->unsub_mailto, local, tok, dom, sizeof(dom)))
		return 0;
	memset(d, 0, sizeof(*d));
	d->kind = ING_IGNORED;
	if (r->type != ING_T_UNKNOWN) {
		snprintf(d->why, sizeof(d->why), "%s to the unsubscribe "
		    "address", r->type == ING_T_AUTOREPLY ? "auto-reply" :
		    "report");
		return 1;
	}
	if (x->unsub_key == NULL) {
		snprintf(d->why, sizeof(d->why), "no unsubscribe_secret_file "
		    "to check the token");
		return 1;
	}
	/* The token's domain: %d of the local part, else the address's
	 * domain or one of its parents. */
	if (dom[0] == '\0')
		snprintf(cand, sizeof(cand), "%s", adom);
	else
		snprintf(cand, sizeof(cand), "%s", dom);
	for (int w = 0; w < 2; w++) {
		const char *p = cand;

		if (who[w] == NULL || who[w][0] == '\0')
			continue;
		while (p != NULL && *p != '\0') {
			if (mk_token_unsub_verify(x->unsub_key, x->unsub_keylen,
			    tok, who[w], p) == 1) {
				d->kind = ING_UNSUBSCRIBE;
				d->reason = MK_REASON_UNSUBSCRIBE;
				if (mk_addr_domain(p, strlen(p), d->scope,
				    sizeof(d->scope)) != 0 ||
				    norm_rcpt(x, who[w], d) != 0) {
					d->kind = ING_IGNORED;
					return 1;
				}
				snprintf(d->why, sizeof(d->why), "mailto "
				    "unsubscribe");
				return 1;
			}
			if (dom[0] != '\0')
				break;
			p = strchr(p, '.');
			if (p != NULL)
				p++;
			if (p != NULL && strchr(p, '.') == NULL)
				break;	/* not down to a top-level domain */
		}
	}
	if (d->rcpt[0] == '\0')
		snprintf(d->rcpt, sizeof(d->rcpt), "%s", env_sender != NULL &&
		    env_sender[0] != '\0' ? env_sender : r->from);
	snprintf(d->why, sizeof(d->why), "unsubscribe token does not verify "
	    "for its sender");
	return 1;
}

static size_t
bounces(const struct ing_ctx *x, const struct ingest_report *r,
    const struct ing_tok *tk, struct ing_decision *out, size_t max)
{
	char why[160], scope[MK_SUPP_SCOPE_MAX + 1] = "";
	size_t n = 0;

	if (tk->rc != 1 && tk->rc != 0) {
		snprintf(why, sizeof(why), "return-path token in the %s: %s",
		    tk->where, mk_token_strerror(tk->rc));
		return ignore_all(r, why, out, max);
	}
	if (tk->rc == 1 && x->c->require_token)
		return ignore_all(r, "no return-path token (require_token)",
		    out, max);
	if (r->n == 0)
		return ignore_all(r, "a bounce naming no recipient", out, max);
	if (x->c->bounce_scope == ING_SCOPE_SENDER) {
		if (tk->rc == 0)
			snprintf(scope, sizeof(scope), "%s",
			    tk->t.sender_domain);
		else
			domain_of(r->orig_from, scope, sizeof(scope));
	}
	for (size_t i = 0; i < r->n && n < max; i++) {
		const struct ingest_item *it = &r->items[i];
		struct ing_decision *d = &out[n++];

		memset(d, 0, sizeof(*d));
		d->kind = it->kind;
		snprintf(d->status, sizeof(d->status), "%s", it->status);
		snprintf(d->why, sizeof(d->why), "%s", it->diag);
		if (norm_rcpt(x, it->recipient[0] != '\0' ? it->recipient :
		    tk->rc == 0 ? tk->t.rcpt : "", d) != 0)
			continue;
		if (d->kind == ING_HARD || d->kind == ING_SOFT) {
			d->reason = MK_REASON_BOUNCE;
			memcpy(d->scope, scope, sizeof(d->scope));
		} else {
			d->kind = ING_IGNORED;
		}
	}
	return n;
}

static size_t
complaint(const struct ing_ctx *x, const struct ingest_report *r,
    const struct ing_tok *tk, struct ing_decision *out, size_t max)
{
	struct ing_decision *d = &out[0];
	int authentic = tk->rc == 0 || tk->rc == MK_TOKEN_EEXPIRED;
	const char *rcpt = r->n > 0 ? r->items[0].recipient : "";

	if (!x->c->complaints)
		return ignore_all(r, "complaints = no", out, max);
	if (r->n > 0 && r->items[0].kind == ING_IGNORED)
		return ignore_all(r, r->feedback_type[0] != '\0' ?
		    "Feedback-Type not a complaint" : "not a complaint", out,
		    max);
	memset(d, 0, sizeof(*d));
	d->kind = ING_COMPLAINT;
	d->reason = MK_REASON_COMPLAINT;
	snprintf(d->why, sizeof(d->why), "feedback report%s%s",
	    r->feedback_type[0] != '\0' ? " " : "", r->feedback_type);
	if (authentic && tk->t.rcpt[0] != '\0')
		rcpt = tk->t.rcpt;
	if (norm_rcpt(x, rcpt, d) != 0)
		return 1;
	if (authentic)
		snprintf(d->scope, sizeof(d->scope), "%s", tk->t.sender_domain);
	if (d->scope[0] == '\0')
		domain_of(r->orig_mail_from, d->scope, sizeof(d->scope));
	if (d->scope[0] == '\0')
		domain_of(r->orig_from, d->scope, sizeof(d->scope));
	if (d->scope[0] == '\0') {
		d->kind = ING_IGNORED;
		snprintf(d->why, sizeof(d->why), "complaint names no sender "
		    "domain to scope it to");
	}
	return 1;
}

size_t
ing_decide(const struct ing_ctx *x, const struct ingest_report *r,
    const char *env_rcpt, const char *env_sender, struct ing_decision *out,
    size_t max)
{
	struct ing_tok tk;

	if (max == 0)
		return 0;
	if (env_rcpt == NULL || env_rcpt[0] == '\0')
		env_rcpt = r->to;
	if (unsubscribe(x, r, env_rcpt, env_sender, &out[0]))
		return 1;
	find_token(x, r, env_rcpt, &tk);
	switch (r->type) {
	case ING_T_DSN:
	case ING_T_BOUNCE_TEXT:
		return bounces(x, r, &tk, out, max);
	case ING_T_ARF:
		return complaint(x, r, &tk, out, max);
	case ING_T_AUTOREPLY:
		return ignore_all(r, "auto-reply", out, 1);
	default:
		return ignore_all(r, r->why[0] != '\0' ? r->why :
		    "not a bounce, complaint or auto-reply", out, 1);
	}
}
