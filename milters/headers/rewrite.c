/*
 * NAME
 *	rewrite.c - milterkit-headers: the rule pipeline (see headers.h)
 * SYNOPSIS
 *	void	hdr_rewrite(const struct hdr_rules *rules,
 *			const struct hdr_msg *msg, struct hdr_result *out);
 *	void	hdr_result_free(struct hdr_result *res);
 *
 *	void	hdr_edit(struct hdr_ctx *c, enum hdr_op op, size_t i,
 *			const char *name, char *value, const char *why);
 *	void	hdr_reject(struct hdr_ctx *c, const char *rcode,
 *			const char *xcode, const char *fmt, ...);
 *	size_t	hdr_find(const struct hdr_ctx *c, const char *name,
 *			size_t from);
 *	int	hdr_is(const char *a, const char *b);
 *	char	*hdr_safe_name(char *dst, size_t len, const char *name);
 * DESCRIPTION
 *	hdr_rewrite() first checks the bounds and the form of the block
 *	(552 5.3.4 past the bounds, 550 5.6.0 for a field the MTA should never
 *	have passed), then runs the rules in a fixed order; the first
 *	rejection wins and drops every edit. Edits are then ordered: changes
 *	and deletions by descending field position (see headers.h), then the
 *	additions in the order the rules made them.
 *
 *	hdr_edit() records an edit of field i (SIZE_MAX for HDR_ADD); it
 *	takes value (malloc'd, or NULL) and makes it start with a blank (the
 *	MTA writes it right after the colon). A deleted field is marked gone (1)
 *	so that later rules skip it, a changed one 2 (found, not changed
 *	again). hdr_reject() records the first rejection.
 *	hdr_find() gives the position of the first field named name at or
 *	after from that is not gone, or msg->n. hdr_is() compares field names
 *	ignoring case. hdr_safe_name() makes a client's field name fit for a
 *	reply text.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "headers_priv.h"
#include "mk_log.h"
#include "mk_mem.h"

int
hdr_is(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

char *
hdr_safe_name(char *dst, size_t len, const char *name)
{
	return mk_printable(dst, len, name, (size_t)-1);
}

size_t
hdr_find(const struct hdr_ctx *c, const char *name, size_t from)
{
	for (size_t i = from; i < c->m->n; i++)
		if (c->gone[i] != 1 && hdr_is(c->m->h[i].name, name))
			return i;
	return c->m->n;
}

void
hdr_edit(struct hdr_ctx *c, enum hdr_op op, size_t i, const char *name,
    char *value, const char *why)
{
	struct hdr_result *out = c->out;
	struct hdr_edit *e;

	if (out->ne == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 8;
		out->e = mk_realloc(out->e, c->cap * sizeof(*out->e));
		c->pos = mk_realloc(c->pos, c->cap * sizeof(*c->pos));
	}
	if (value != NULL && value[0] != ' ' && value[0] != '\t') {
		char *v = mk_malloc(strlen(value) + 2);	/* "Name:x" came in */

		v[0] = ' ';
		strcpy(v + 1, value);
		free(value);
		value = v;
	}
	e = &out->e[out->ne];
	e->op = op;
	e->name = mk_strdup(name);
	e->value = value;
	e->index = (op == HDR_CHANGE || op == HDR_DELETE) ? c->occ[i] : 0;
	e->why = mk_strdup(why);
	c->pos[out->ne] = (op == HDR_CHANGE || op == HDR_DELETE) ? i : SIZE_MAX;
	out->ne++;
	if (op == HDR_DELETE || op == HDR_CHANGE)
		c->gone[i] = op == HDR_DELETE ? 1 : 2;
}

void
hdr_reject(struct hdr_ctx *c, const char *rcode, const char *xcode,
    const char *fmt, ...)
{
	va_list ap;

	if (c->out->reject)
		return;
	c->out->reject = 1;
	snprintf(c->out->rcode, sizeof(c->out->rcode), "%s", rcode);
	snprintf(c->out->xcode, sizeof(c->out->xcode), "%s", xcode);
	va_start(ap, fmt);
	vsnprintf(c->out->text, sizeof(c->out->text), fmt, ap);
	va_end(ap);
}

void
hdr_result_free(struct hdr_result *res)
{
	if (res == NULL)
		return;
	for (size_t i = 0; i < res->ne; i++) {
		free(res->e[i].name);
		free(res->e[i].value);
		free(res->e[i].why);
	}
	free(res->e);
	res->e = NULL;
	res->ne = 0;
}

/* A field name is printable ASCII without ':'; folds are CRLF or LF plus
 * a blank. */
static int
well_formed(const struct hdr_field *f)
{
	const char *v;

	if (f->name == NULL || f->value == NULL || f->name[0] == '\0')
		return 0;
	for (const char *p = f->name; *p; p++)
		if (*p <= ' ' || *p >= 127 || *p == ':')
			return 0;
	for (v = f->value; *v; v++) {
		if (*v == '\r' && v[1] != '\n')
			return 0;
		if (*v == '\n' && v[1] != ' ' && v[1] != '\t')
			return 0;
	}
	return 1;
}

/* Bounds and form; 0 when the rules may run. */
static int
check_block(struct hdr_ctx *c)
{
	const struct hdr_msg *m = c->m;
	char name[64];

	if (m->n > c->r->max_headers) {
		hdr_reject(c, "552", "5.3.4",
		    "Message header too large (too many header fields)");
		return -1;
	}
	for (size_t i = 0; i < m->n; i++) {
		if (m->h[i].name != NULL && m->h[i].value != NULL &&
		    strlen(m->h[i].name) + 1 + strlen(m->h[i].value) >
		    c->r->max_header_len) {
			hdr_reject(c, "552", "5.3.4",
			    "Message header too large (header field too long)");
			return -1;
		}
		if (!well_formed(&m->h[i])) {
			hdr_reject(c, "550", "5.6.0", "Malformed header field %s",
			    hdr_safe_name(name, sizeof(name), m->h[i].name ?
			    m->h[i].name : ""));
			return -1;
		}
	}
	return 0;
}

/* Occurrence numbers, 1-based, per name. Quadratic in the worst case but
 * bounded by max_headers. */
static void
count_occurrences(struct hdr_ctx *c)
{
	const struct hdr_msg *m = c->m;

	for (size_t i = 0; i < m->n; i++) {
		c->occ[i] = 1;
		for (size_t j = i; j-- > 0;)
			if (hdr_is(m->h[j].name, m->h[i].name)) {
				c->occ[i] = c->occ[j] + 1;
				break;
			}
	}
}

/* Changes and deletions by descending position, then additions in order. */
static void
order_edits(struct hdr_ctx *c)
{
	struct hdr_result *out = c->out;

	for (size_t i = 1; i < out->ne; i++) {
		struct hdr_edit e = out->e[i];
		size_t p = c->pos[i], j = i;

		while (j > 0 && (p != SIZE_MAX && (c->pos[j - 1] == SIZE_MAX ||
		    c->pos[j - 1] < p))) {
			out->e[j] = out->e[j - 1];
			c->pos[j] = c->pos[j - 1];
			j--;
		}
		out->e[j] = e;
		c->pos[j] = p;
	}
}

static void (*const rules[])(struct hdr_ctx *) = {
	hdr_rule_duplicates, hdr_rule_from, hdr_rule_privacy,
	hdr_rule_feedback, hdr_rule_message_id, hdr_rule_content,
	hdr_rule_date, hdr_rule_mime, hdr_rule_unsubscribe,
};

void
hdr_rewrite(const struct hdr_rules *r, const struct hdr_msg *msg,
    struct hdr_result *out)
{
	struct hdr_ctx c;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.r = r;
	c.m = msg;
	c.out = out;
	if (check_block(&c) != 0)
		return;
	c.occ = mk_calloc(msg->n + 1, sizeof(*c.occ));
	c.gone = mk_calloc(msg->n + 1, 1);
	count_occurrences(&c);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]) &&
	    !out->reject; i++)
		rules[i](&c);
	if (out->reject)
		hdr_result_free(out);
	else
		order_edits(&c);
	free(c.occ);
	free(c.gone);
	free(c.pos);
}
