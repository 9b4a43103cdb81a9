/*
 * NAME
 *	addrlist.c - RFC 5322 address lists, as far as the header rules
 *	need them
 * SYNOPSIS
 *	int	mk_addrlist_parse(const char *v, struct mk_alist *out);
 *	void	mk_addrlist_phrase(const char *v, size_t start, size_t end,
 *			struct mk_strbuf *out);
 * DESCRIPTION
 *	mk_addrlist_parse() reads a field value as an address-list
 *	(RFC 5322 3.4, with the obsolete empty elements and source routes):
 *	mailboxes "local@domain" or "phrase <local@domain>", groups "phrase:
 *	mailbox, ...;", quoted strings with quoted pairs, nested comments,
 *	folds. 8-bit octets are accepted as text (RFC 6532). It counts the
 *	mailboxes (group members included) and groups, keeps the domain of
 *	the first mailbox as written ("" for an address literal), notes
 *	where 8-bit octets are (local part or domain, comment) and the spans
 *	of 8-bit display names (from their first word to their last).
 *	Returns 0, or -1 when the value is not an address list (out is then
 *	partly filled).
 *
 *	mk_addrlist_phrase() appends the text of a phrase span: its words with
 *	quoted strings unquoted, separated by one space, folds removed.
 */
#include "config.h"

#include <string.h>

#include "mk_addrlist.h"

enum { T_END, T_ATOM, T_QSTR, T_DLIT, T_SPEC, T_ERR };

struct tok {
	int type;
	char ch;			/* T_SPEC */
	size_t start, end;
	int has8;
};

struct lex {
	const char *v;
	size_t end, i;
	unsigned comments;
	int comment8;
};

struct parser {
	struct lex x;
	struct tok cur;
	struct mk_alist *out;
};

static int
is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static int
is_special(char ch)
{
	return ch != '\0' && strchr("()<>[]:;@\\,\"", ch) != NULL;
}

/* Skips a comment at x->i ('('); 0, or -1 when it does not end. */
static int
skip_comment(struct lex *x)
{
	int depth = 0;

	x->comments++;
	for (; x->i < x->end; x->i++) {
		unsigned char ch = (unsigned char)x->v[x->i];

		if (ch >= 0x80)
			x->comment8 = 1;
		if (ch == '\\' && x->i + 1 < x->end)
			x->i++;
		else if (ch == '(')
			depth++;
		else if (ch == ')' && --depth == 0) {
			x->i++;
			return 0;
		}
	}
	return -1;
}

/* A quoted string or literal from x->i up to close; 0 or -1. */
static int
skip_quoted(struct lex *x, char close, struct tok *t)
{
	for (x->i++; x->i < x->end; x->i++) {
		unsigned char ch = (unsigned char)x->v[x->i];

		if (ch >= 0x80)
			t->has8 = 1;
		if (ch == '\\') {
			if (++x->i >= x->end)
				return -1;
			if ((unsigned char)x->v[x->i] >= 0x80)
				t->has8 = 1;
		} else if (ch == (unsigned char)close) {
			x->i++;
			return 0;
		} else if (close == ']' && ch == '[') {
			return -1;
		}
	}
	return -1;
}

static int
lex_next(struct lex *x, struct tok *t)
{
	memset(t, 0, sizeof(*t));
	for (;;) {
		while (x->i < x->end && is_blank(x->v[x->i]))
			x->i++;
		if (x->i >= x->end || x->v[x->i] != '(')
			break;
		if (skip_comment(x) != 0)
			return t->type = T_ERR;
	}
	t->start = x->i;
	if (x->i >= x->end) {
		t->type = T_END;
	} else if (x->v[x->i] == '"' || x->v[x->i] == '[') {
		t->type = x->v[x->i] == '"' ? T_QSTR : T_DLIT;
		if (skip_quoted(x, x->v[x->i] == '"' ? '"' : ']', t) != 0)
			t->type = T_ERR;
	} else if (x->v[x->i] == ')' || x->v[x->i] == '\\') {
		t->type = T_ERR;
	} else if (is_special(x->v[x->i])) {
		t->type = T_SPEC;
		t->ch = x->v[x->i++];
	} else {
		t->type = T_ATOM;
		for (; x->i < x->end; x->i++) {
			unsigned char ch = (unsigned char)x->v[x->i];

			if (is_blank((char)ch) || is_special((char)ch))
				break;
			if (ch < 0x20 || ch == 0x7f)
				return t->type = T_ERR;
			if (ch >= 0x80)
				t->has8 = 1;
		}
	}
	t->end = x->i;
	return t->type;
}

static int
advance(struct parser *p)
{
	return lex_next(&p->x, &p->cur);
}

static int
at_spec(const struct parser *p, char ch)
{
	return p->cur.type == T_SPEC && p->cur.ch == ch;
}

static int
is_word(const struct parser *p)
{
	return p->cur.type == T_ATOM || p->cur.type == T_QSTR;
}

/* A domain after '@': counts the mailbox. */
static int
parse_domain(struct parser *p)
{
	struct mk_alist *o = p->out;
	size_t n = p->cur.end - p->cur.start;

	if (p->cur.type != T_ATOM && p->cur.type != T_DLIT)
		return -1;
	if (p->cur.has8)
		o->addr8 = 1;
	if (o->mailboxes++ == 0 && p->cur.type == T_ATOM &&
	    n < sizeof(o->first_domain)) {
		memcpy(o->first_domain, p->x.v + p->cur.start, n);
		o->first_domain[n] = '\0';
	}
	advance(p);
	return 0;
}

/* "<" [route ":"] local "@" domain ">", at the '<'. */
static int
parse_angle(struct parser *p)
{
	int words = 0;

	advance(p);
	if (at_spec(p, '@')) {			/* obs-route */
		while (!at_spec(p, ':')) {
			if (p->cur.type == T_END || p->cur.type == T_ERR ||
			    at_spec(p, '>'))
				return -1;
			advance(p);
		}
		advance(p);
	}
	for (; is_word(p); advance(p), words++)
		if (p->cur.has8)
			p->out->addr8 = 1;
	if (words == 0 || !at_spec(p, '@'))
		return -1;
	advance(p);
	if (parse_domain(p) != 0 || !at_spec(p, '>'))
		return -1;
	advance(p);
	return 0;
}

static void
note_phrase(struct parser *p, size_t start, size_t end, int has8,
    int inner_comment)
{
	struct mk_alist *o = p->out;

	if (!has8)
		return;
	if (inner_comment)
		o->phrase_comment8 = 1;
	if (o->nphrase == MK_ALIST_PHRASES_MAX) {
		o->too_many = 1;
		return;
	}
	o->phrase[o->nphrase].start = start;
	o->phrase[o->nphrase].end = end;
	o->nphrase++;
}

static int parse_address(struct parser *p, int allow_group);

/* The members of a group, after its ':'. */
static int
parse_group(struct parser *p)
{
	p->out->groups++;
	advance(p);
	for (;;) {
		if (at_spec(p, ';')) {
			advance(p);
			return 0;
		}
		if (at_spec(p, ',')) {
			advance(p);
			continue;
		}
		if (p->cur.type == T_END || parse_address(p, 0) != 0)
			return -1;
	}
}

static int
parse_address(struct parser *p, int allow_group)
{
	size_t start = p->cur.start, end = start, words = 0;
	int has8 = 0, inner = 0;
	unsigned seen;

	while (is_word(p)) {
		words++;
		has8 |= p->cur.has8;
		end = p->cur.end;
		seen = p->x.comments;
		advance(p);
		if (is_word(p) && p->x.comments != seen)
			inner = 1;
	}
	if (allow_group && words > 0 && at_spec(p, ':')) {
		note_phrase(p, start, end, has8, inner);
		return parse_group(p);
	}
	if (at_spec(p, '<')) {
		if (words > 0)
			note_phrase(p, start, end, has8, inner);
		return parse_angle(p);
	}
	if (words > 0 && at_spec(p, '@')) {
		if (has8)
			p->out->addr8 = 1;
		advance(p);
		return parse_domain(p);
	}
	return -1;
}

int
mk_addrlist_parse(const char *v, struct mk_alist *out)
{
	struct parser p;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	p.x.v = v;
	p.x.end = strlen(v);
	p.out = out;
	advance(&p);
	while (p.cur.type != T_END) {
		if (at_spec(&p, ',')) {
			advance(&p);
			continue;
		}
		if (parse_address(&p, 1) != 0 ||
		    (p.cur.type != T_END && !at_spec(&p, ','))) {
			rc = -1;
			break;
		}
	}
	out->comment8 = p.x.comment8;
	return rc;
}

void
mk_addrlist_phrase(const char *v, size_t start, size_t end, struct mk_strbuf *out)
{
	struct lex x = { v, end, start, 0, 0 };
	struct tok t;
	int first = 1;

	while (lex_next(&x, &t) == T_ATOM || t.type == T_QSTR) {
		if (!first)
			mk_strbuf_ch(out, ' ');
		first = 0;
		if (t.type == T_ATOM) {
			mk_strbuf_add(out, v + t.start, t.end - t.start);
			continue;
		}
		for (size_t i = t.start + 1; i + 1 < t.end; i++) {
			if (v[i] == '\\')
				i++;
			if (v[i] != '\r' && v[i] != '\n')
				mk_strbuf_ch(out, v[i]);
		}
	}
}
