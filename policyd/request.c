/*
 * request.c - incremental parser of Postfix policy requests (request.h).
 *
 * The bytes of the request in progress are kept in one buffer that grows
 * up to max_request; each line is cut in place ('=' and the line end
 * become NUL), so a finished request's values are pointers into it. Names
 * seen in the request go into a small open-addressing table stamped with
 * the request's number, so that a repeated name is found without a pass
 * over the earlier lines and without clearing the table between requests.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mk_log.h"
#include "mk_mem.h"
#include "request.h"

struct pd_slot {
	uint32_t gen;		/* request number the slot belongs to */
	uint32_t idx;		/* attribute index */
};

struct pd_parser {
	struct pd_limits lim;
	char *buf;		/* the request in progress */
	size_t cap, len;
	size_t line;		/* offset of the current line in buf */
	size_t nattrs;
	uint32_t *name_off, *val_off;	/* per attribute, offsets into buf */
	struct pd_slot *tab;	/* names of this request, by hash */
	size_t tabmask;
	uint32_t gen;
	int done;		/* a request was returned: start afresh */
	int broken;
	char err[160];
};

/* Mark the request malformed, saying why; evaluates to PD_REQ_MALFORMED. */
#define FAIL(p, ...)							\
	(snprintf((p)->err, sizeof((p)->err), __VA_ARGS__), (p)->broken = 1,	\
	    PD_REQ_MALFORMED)

/* Client text for a reason: printable, short. */
static const char *
quote(char *buf, size_t len, const char *s)
{
	return mk_printable(buf, len, s, strlen(s));
}

struct pd_parser *
pd_parser_new(const struct pd_limits *lim)
{
	struct pd_parser *p = mk_calloc(1, sizeof(*p));
	size_t n = 16;

	p->lim = *lim;
	while (n < 2 * lim->max_attrs)
		n <<= 1;
	p->tab = mk_calloc(n, sizeof(*p->tab));
	p->tabmask = n - 1;
	p->name_off = mk_calloc(lim->max_attrs, sizeof(*p->name_off));
	p->val_off = mk_calloc(lim->max_attrs, sizeof(*p->val_off));
	p->gen = 1;
	return p;
}

void
pd_parser_free(struct pd_parser *p)
{
	if (p == NULL)
		return;
	free(p->buf);
	free(p->tab);
	free(p->name_off);
	free(p->val_off);
	free(p);
}

const char *
pd_parser_error(const struct pd_parser *p)
{
	return p->broken ? p->err : "";
}

size_t
pd_parser_pending(const struct pd_parser *p)
{
	return p->done ? 0 : p->len;
}

static void
reset(struct pd_parser *p)
{
	p->len = p->line = p->nattrs = 0;
	p->done = 0;
	if (++p->gen == 0) {		/* wrapped: old stamps could match */
		memset(p->tab, 0, (p->tabmask + 1) * sizeof(*p->tab));
		p->gen = 1;
	}
}

/* Remember name as attribute idx; -1 when the request already has it. */
static int
name_add(struct pd_parser *p, const char *name, uint32_t idx)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (const unsigned char *s = (const unsigned char *)name; *s; s++)
		h = (h ^ *s) * 16777619u;
	for (i = h & p->tabmask;; i = (i + 1) & p->tabmask) {
		struct pd_slot *sl = &p->tab[i];

		if (sl->gen != p->gen) {
			sl->gen = p->gen;
			sl->idx = idx;
			return 0;
		}
		if (strcmp(p->buf + p->name_off[sl->idx], name) == 0)
			return -1;
	}
}

/* One complete line of len octets (line end stripped) at p->line. */
static int
line_end(struct pd_parser *p, size_t len)
{
	char *s = p->buf + p->line;
	char *eq = memchr(s, '=', len);
	char q[64];

	if (eq == NULL)
		return FAIL(p, "line without '='");
	if (eq == s)
		return FAIL(p, "empty attribute name");
	if (p->nattrs >= p->lim.max_attrs)
		return FAIL(p, "more than %zu attributes", p->lim.max_attrs);
	*eq = '\0';
	s[len] = '\0';
	p->name_off[p->nattrs] = (uint32_t)p->line;
	p->val_off[p->nattrs] = (uint32_t)(eq + 1 - p->buf);
	if (name_add(p, s, (uint32_t)p->nattrs) < 0)
		return FAIL(p, "attribute %s given twice", quote(q, sizeof(q), s));
	p->nattrs++;
	return PD_REQ_MORE;
}

/* recipient_count: empty = absent (-1), else 1 to 9 decimal digits. */
static int
parse_count(const char *v, long *out)
{
	long n = 0;
	size_t i;

	*out = -1;
	if (v == NULL)
		return 0;
	for (i = 0; v[i] != '\0'; i++) {
		if (v[i] < '0' || v[i] > '9' || i >= 9)
			return -1;
		n = n * 10 + (v[i] - '0');
	}
	*out = n;
	return 0;
}

/* The empty line: hand the request out. */
static int
request_end(struct pd_parser *p, struct pd_request *rq)
{
	static const struct {
		const char *name;
		size_t off;
	} known[] = {
#define K(f) { #f, offsetof(struct mk_rl_request, f) }
		K(protocol_state), K(instance), K(queue_id), K(sasl_username),
		K(sender), K(client_address), K(recipient),
#undef K
	};
	const char *count = NULL;
	char q[64];

	if (p->nattrs == 0)
		return FAIL(p, "empty line before any attribute");
	memset(rq, 0, sizeof(*rq));
	for (size_t i = 0; i < p->nattrs; i++) {
		const char *name = p->buf + p->name_off[i];
		const char *val = p->buf + p->val_off[i];

		if (*val == '\0')
			continue;
		if (strcmp(name, "recipient_count") == 0) {
			count = val;
			continue;
		}
		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (strcmp(name, known[k].name) == 0) {
				*(const char **)((char *)&rq->rl + known[k].off) = val;
				break;
			}
	}
	if (parse_count(count, &rq->rl.recipient_count) < 0)
		return FAIL(p, "recipient_count '%s' is not a number",
		    quote(q, sizeof(q), count));
	rq->nattrs = p->nattrs;
	rq->octets = p->len;
	p->done = 1;
	return PD_REQ_DONE;
}

/* Append n octets to the request, growing the buffer within max_request. */
static void
append(struct pd_parser *p, const char *s, size_t n)
{
	if (p->len + n > p->cap) {
		size_t cap = p->cap ? p->cap : 512;

		while (cap < p->len + n)
			cap *= 2;
		if (cap > p->lim.max_request)
			cap = p->lim.max_request;
		p->buf = mk_realloc(p->buf, cap);
		p->cap = cap;
	}
	memcpy(p->buf + p->len, s, n);
	p->len += n;
}

int
pd_parser_feed(struct pd_parser *p, const char *buf, size_t len, size_t *used,
    struct pd_request *rq)
{
	size_t off = 0;

	*used = 0;
	if (p->broken)
		return PD_REQ_MALFORMED;
	if (p->done)
		reset(p);
	while (off < len) {
		const char *nl = memchr(buf + off, '\n', len - off);
		size_t n = (nl != NULL ? (size_t)(nl - buf) + 1 : len) - off;
		size_t have = p->len - p->line;
		size_t linelen = have + n - (nl != NULL);
		size_t over_line = SIZE_MAX, over_req = SIZE_MAX, scan = n;
		int rc;

		/*
		 * The first octet past a bound ends the request, and the
		 * reason is that of the first offending octet, as if they came
		 * one at a time: octets after it are not looked at. One more
		 * on a line for the CR of a CRLF, checked once the line ends.
		 */
		if (linelen > p->lim.max_line + 1)
			over_line = p->lim.max_line + 1 - have;
		if (p->len + n > p->lim.max_request)
			over_req = p->lim.max_request - p->len;
		if (over_line < scan || over_req < scan)
			scan = (over_line < over_req ? over_line : over_req) + 1;
		if (memchr(buf + off, '\0', scan) != NULL)
			return FAIL(p, "NUL byte");
		if (over_line != SIZE_MAX && over_line <= over_req)
			return FAIL(p, "line longer than %zu octets",
			    p->lim.max_line);
		if (over_req != SIZE_MAX)
			return FAIL(p, "request larger than %zu octets",
			    p->lim.max_request);
		append(p, buf + off, n);
		off += n;
		*used = off;
		if (nl == NULL)
			break;
		if (linelen > 0 && p->buf[p->len - 2] == '\r')
			linelen--;
		if (linelen > p->lim.max_line)
			return FAIL(p, "line longer than %zu octets",
			    p->lim.max_line);
		rc = linelen == 0 ? request_end(p, rq) : line_end(p, linelen);
		if (rc != PD_REQ_MORE)
			return rc;
		p->line = p->len;
	}
	return PD_REQ_MORE;
}
