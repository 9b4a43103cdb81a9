/*
 * hblock.c - the header block of a message in a chain (see mk_hblock.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mk_hblock.h"
#include "mk_mem.h"

void
mk_hblock_init(struct mk_hblock *b, size_t max_fields, size_t max_bytes)
{
	memset(b, 0, sizeof(*b));
	b->max_fields = max_fields;
	b->max_bytes = max_bytes;
	b->stale = 1;
}

void
mk_hblock_free(struct mk_hblock *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->e[i].name);
		free(b->e[i].value);
		free(b->e[i].first);
	}
	free(b->e);
	free(b->view);
	memset(b, 0, sizeof(*b));
}

/* Room for one more entry at position at; the new entry is zeroed. */
static struct mk_hent *
hb_open(struct mk_hblock *b, size_t at)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 32;
		b->e = mk_realloc(b->e, b->cap * sizeof(*b->e));
	}
	memmove(b->e + at + 1, b->e + at, (b->n - at) * sizeof(*b->e));
	b->n++;
	b->stale = 1;
	memset(&b->e[at], 0, sizeof(b->e[at]));
	return &b->e[at];
}

/* Counts the octets an edit adds; -1 past the bound (then overflowing). */
static int
hb_charge(struct mk_hblock *b, const char *name, const char *value)
{
	size_t more = strlen(name) + (value != NULL ? strlen(value) : 0);

	if (b->overflow || b->n >= b->max_fields ||
	    more > b->max_bytes - b->bytes) {
		b->overflow = 1;
		return -1;
	}
	b->bytes += more;
	return 0;
}

int
mk_hblock_keep(struct mk_hblock *b, const char *name, const char *value)
{
	struct mk_hent *e;

	if (hb_charge(b, name, value) < 0)
		return -1;
	e = hb_open(b, b->n);
	e->name = mk_strdup(name);
	e->value = mk_strdup(value);
	e->orig = ++b->norig;
	return 0;
}

ssize_t
mk_hblock_view(struct mk_hblock *b, const struct mk_hfield **out)
{
	if (b->overflow)
		return -1;
	if (b->stale) {
		if (b->viewcap < b->n) {
			b->viewcap = b->n;
			b->view = mk_realloc(b->view, b->viewcap *
			    sizeof(*b->view));
		}
		b->nview = 0;
		for (size_t i = 0; i < b->n; i++)
			if (!b->e[i].deleted) {
				b->view[b->nview].name = b->e[i].name;
				b->view[b->nview].value = b->e[i].value;
				b->nview++;
			}
		b->stale = 0;
	}
	*out = b->view;
	return (ssize_t)b->nview;
}

/* The array position of the index-th visible entry (0-based); b->n when
 * there are not that many. */
static size_t
hb_visible_at(const struct mk_hblock *b, size_t index)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (!b->e[i].deleted && index-- == 0)
			break;
	return i;
}

static int
hb_new(struct mk_hblock *b, size_t at, const char *name, const char *value)
{
	struct mk_hent *e;

	if (*name == '\0' || hb_charge(b, name, value) < 0)
		return -1;
	e = hb_open(b, at);
	e->name = mk_strdup(name);
	e->value = mk_strdup(value);
	return 0;
}

int
mk_hblock_add(struct mk_hblock *b, const char *name, const char *value)
{
	return hb_new(b, b->n, name, value);
}

int
mk_hblock_insert(struct mk_hblock *b, size_t index, const char *name,
    const char *value)
{
	return hb_new(b, hb_visible_at(b, index), name, value);
}

int
mk_hblock_change(struct mk_hblock *b, const char *name, size_t index,
    const char *value)
{
	struct mk_hent *e;
	size_t i;

	if (b->overflow || index == 0 || *name == '\0')
		return -1;
	for (i = 0; i < b->n; i++)
		if (!b->e[i].deleted && strcasecmp(b->e[i].name, name) == 0 &&
		    --index == 0)
			break;
	if (i == b->n)
		return value != NULL ? mk_hblock_add(b, name, value) : 0;
	e = &b->e[i];
	b->stale = 1;
	if (value == NULL) {
		if (e->orig != 0) {
			e->deleted = 1;
			return 0;
		}
		b->bytes -= strlen(e->name) + strlen(e->value);
		free(e->name);
		free(e->value);
		memmove(e, e + 1, (b->n - i - 1) * sizeof(*e));
		b->n--;
		return 0;
	}
	if (hb_charge(b, "", value) < 0)
		return -1;
	b->bytes -= strlen(e->value);
	if (e->orig != 0 && !e->changed)
		e->first = e->value;	/* to see a change back */
	else
		free(e->value);
	e->value = mk_strdup(value);
	if (e->orig != 0)
		e->changed = 1;
	return 0;
}

/* The occurrence of original entry i among the original fields of its
 * name, counted from 1 in the MTA's order. */
static size_t
hb_occurrence(const struct mk_hblock *b, size_t i)
{
	size_t occ = 1;

	for (size_t j = 0; j < i; j++)
		if (b->e[j].orig != 0 &&
		    strcasecmp(b->e[j].name, b->e[i].name) == 0)
			occ++;
	return occ;
}

int
mk_hblock_emit(const struct mk_hblock *b, const struct mk_hblock_out *out,
    void *ctx)
{
	size_t i, pos, last_orig = 0;
	int rc;

	/* The originals are in their MTA order within e[]: new entries only
	 * slip between them. */
	for (i = b->n; i-- > 0;) {
		const struct mk_hent *e = &b->e[i];

		if (e->orig == 0 || (!e->deleted && (!e->changed ||
		    strcmp(e->value, e->first) == 0)))
			continue;
		rc = out->change(ctx, e->name, hb_occurrence(b, i),
		    e->deleted ? NULL : e->value);
		if (rc < 0)
			return -1;
	}
	for (i = 0; i < b->n; i++)
		if (b->e[i].orig != 0 && !b->e[i].deleted)
			last_orig = i + 1;
	for (i = 0, pos = 0; i < b->n; i++) {
		const struct mk_hent *e = &b->e[i];

		if (e->deleted)
			continue;
		if (e->orig == 0) {
			rc = i >= last_orig ? out->add(ctx, e->name, e->value) :
			    out->insert(ctx, pos, e->name, e->value);
			if (rc < 0)
				return -1;
		}
		pos++;
	}
	return 0;
}
