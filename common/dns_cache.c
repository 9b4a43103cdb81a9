/*
 * dns_cache.c - the resolver's own cache of answers (see dns_priv.h).
 *
 * libunbound caches too, but in its threaded mode every lookup, a cached
 * one included, is a round trip through its background thread (two pipe
 * writes and two wake-ups): a filter asking three names per message paid
 * more for that than for the rest of its work. This cache answers in the
 * calling thread. Entries are copies (rdata in one block), keyed by type
 * and lower-cased name, kept for their TTL, dropped oldest first beyond
 * the size bound ([dns] cache_size). Temporary failures are never kept.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dns_priv.h"
#include "mk_dns.h"
#include "mk_mem.h"

#define BUCKETS		4096
#define ENTRY_COST	128	/* octets an entry counts beyond its data */

struct entry {
	struct entry *next;		/* in its bucket */
	struct entry *older, *newer;	/* insertion order */
	int type, status, rcode;
	const char *why;
	long long expires;		/* monotonic seconds */
	size_t n, bytes;
	size_t *len;			/* of each record, in blob */
	unsigned char *blob;
	char name[];			/* lower-cased */
};

struct mk_dns__cache {
	struct entry *bucket[BUCKETS];
	struct entry *oldest, *newest;
	size_t bytes, max;
};

static unsigned
hash(const char *name, int type)
{
	unsigned h = 2166136261u ^ (unsigned)type;

	for (; *name != '\0'; name++) {
		h ^= (unsigned char)tolower((unsigned char)*name);
		h *= 16777619u;
	}
	return h % BUCKETS;
}

struct mk_dns__cache *
mk_dns__cache_new(size_t max_bytes)
{
	struct mk_dns__cache *c = mk_calloc(1, sizeof(*c));

	c->max = max_bytes;
	return c;
}

static void
drop(struct mk_dns__cache *c, struct entry *e)
{
	struct entry **pp = &c->bucket[hash(e->name, e->type)];

	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	c->bytes -= e->bytes;
	free(e->len);
	free(e->blob);
	free(e);
}

void
mk_dns__cache_free(struct mk_dns__cache *c)
{
	if (c == NULL)
		return;
	while (c->oldest != NULL)
		drop(c, c->oldest);
	free(c);
}

static struct entry *
find(struct mk_dns__cache *c, const char *name, int type)
{
	for (struct entry *e = c->bucket[hash(name, type)]; e != NULL;
	    e = e->next)
		if (e->type == type && strcasecmp(e->name, name) == 0)
			return e;
	return NULL;
}

struct mk_dns_answer *
mk_dns__cache_get(struct mk_dns__cache *c, const char *name, int type,
    long long now)
{
	struct entry *e;
	struct mk_dns_answer *a;
	struct mk_dns__answer_priv *p;
	size_t off = 0;

	if (c == NULL || (e = find(c, name, type)) == NULL)
		return NULL;
	if (e->expires <= now) {
		drop(c, e);
		return NULL;
	}
	a = mk_calloc(1, sizeof(*a));
	p = mk_calloc(1, sizeof(*p));
	a->priv = p;
	a->status = e->status;
	a->rcode = e->rcode;
	a->why = e->why;
	a->ttl = (unsigned)(e->expires - now);
	a->n = e->n;
	if (e->n > 0) {
		size_t total = 0;

		for (size_t i = 0; i < e->n; i++)
			total += e->len[i];
		p->blob = mk_malloc(total + 1);
		memcpy(p->blob, e->blob, total);
		p->rr = mk_calloc(e->n + 1, sizeof(*p->rr));
		for (size_t i = 0; i < e->n; i++) {
			p->rr[i].data = p->blob + off;
			p->rr[i].len = e->len[i];
			off += e->len[i];
		}
		a->rr = p->rr;
	}
	return a;
}

void
mk_dns__cache_put(struct mk_dns__cache *c, const char *name, int type,
    const struct mk_dns_answer *a, long long now)
{
	size_t nl = strlen(name), total = 0, off = 0;
	struct entry *e;
	unsigned h;

	if (c == NULL || c->max == 0 || a->ttl == 0 ||
	    (a->status != MK_DNS_OK && a->status != MK_DNS_NODATA &&
	    a->status != MK_DNS_NXDOMAIN))
		return;
	for (size_t i = 0; i < a->n; i++)
		total += a->rr[i].len;
	if ((e = find(c, name, type)) != NULL)
		drop(c, e);
	e = mk_calloc(1, sizeof(*e) + nl + 1);
	for (size_t i = 0; i < nl; i++)
		e->name[i] = (char)tolower((unsigned char)name[i]);
	e->type = type;
	e->status = a->status;
	e->rcode = a->rcode;
	e->why = a->why;
	e->expires = now + a->ttl;
	e->n = a->n;
	e->bytes = ENTRY_COST + nl + total;
	if (a->n > 0) {
		e->len = mk_calloc(a->n, sizeof(*e->len));
		e->blob = mk_malloc(total + 1);
		for (size_t i = 0; i < a->n; i++) {
			e->len[i] = a->rr[i].len;
			memcpy(e->blob + off, a->rr[i].data, a->rr[i].len);
			off += a->rr[i].len;
		}
	}
	h = hash(e->name, type);
	e->next = c->bucket[h];
	c->bucket[h] = e;
	e->older = c->newest;
	if (c->newest != NULL)
		c->newest->newer = e;
	else
		c->oldest = e;
	c->newest = e;
	c->bytes += e->bytes;
	while (c->bytes > c->max && c->oldest != NULL)
		drop(c, c->oldest);
}
