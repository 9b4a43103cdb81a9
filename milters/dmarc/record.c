/*
 * record.c - DMARC records (RFC 7489 6.3, 6.4, 6.6.3): parsing and the
 * choice among a name's TXT records (see dmarc.h).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dmarc.h"

#define RECORD_MAX	2048	/* octets of a record we read */
#define TAGS_MAX	32	/* distinct tags remembered for duplicates */

static const char *const policies[] = { "none", "quarantine", "reject", NULL };

const char *
dmarc_policy_name(int policy)
{
	return policy >= 0 && policy <= DMARC_POLICY_REJECT ? policies[policy] : "?";
}

static int
wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* p[0..n) without its blanks at both ends. */
static void
trim(const char **p, size_t *n)
{
	while (*n > 0 && wsp(**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && wsp((*p)[*n - 1]))
		(*n)--;
}

static int
word_is(const char *p, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(p, w, n) == 0;
}

static int
choice(const char *p, size_t n, const char *const *words)
{
	for (int i = 0; words[i] != NULL; i++)
		if (word_is(p, n, words[i]))
			return i;
	return -1;
}

/* A number of at most digits digits; -1 if not. */
static long
number(const char *p, size_t n, size_t digits)
{
	long v = 0;

	if (n == 0 || n > digits)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* A list of URIs with at least one that looks like one (scheme:rest). */
static int
uris_ok(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i, k;

		while (j < n && p[j] != ',')
			j++;
		for (k = i; k < j && wsp(p[k]); k++)
			;
		if (k < j && isalpha((unsigned char)p[k])) {
			size_t c = k;

			while (c < j && (isalnum((unsigned char)p[c]) ||
			    p[c] == '+' || p[c] == '.' || p[c] == '-'))
				c++;
			if (c < j && p[c] == ':' && c + 1 < j && !wsp(p[c + 1]))
				return 1;
		}
		i = j + 1;
	}
	return 0;
}

/* Copies a text value, printable octets only; -1 if it does not fit. */
static int
keep(char *dst, size_t size, const char *p, size_t n)
{
	if (n >= size)
		return -1;
	for (size_t i = 0; i < n; i++)
		dst[i] = (unsigned char)p[i] < ' ' || (unsigned char)p[i] > 126 ?
		    '?' : p[i];
	dst[n] = '\0';
	return 0;
}

/* One tag=value; 0, or -1 for a record that cannot stand (err). */
static int
tag(struct dmarc_record *rec, const char *t, size_t tn, const char *v,
    size_t vn, int *have_p, int *have_sp, int *have_np)
{
	static const char *const align[] = { "r", "s", NULL };
	int c;
	long num;

	if (word_is(t, tn, "p")) {
		if ((c = choice(v, vn, policies)) >= 0) {
			rec->p = c;
			*have_p = 1;
		}
	} else if (word_is(t, tn, "sp")) {
		if ((c = choice(v, vn, policies)) >= 0) {
			rec->sp = c;
			*have_sp = 1;
		}
	} else if (word_is(t, tn, "np")) {
		if ((c = choice(v, vn, policies)) >= 0) {
			rec->np = c;
			*have_np = 1;
		}
	} else if (word_is(t, tn, "adkim") || word_is(t, tn, "aspf")) {
		if ((c = choice(v, vn, align)) >= 0)
			*(word_is(t, tn, "adkim") ? &rec->adkim : &rec->aspf) = c;
	} else if (word_is(t, tn, "pct")) {
		if ((num = number(v, vn, 3)) >= 0 && num <= 100)
			rec->pct = (int)num;
	} else if (word_is(t, tn, "ri")) {
		if ((num = number(v, vn, 9)) >= 0)
			rec->ri = num;
	} else if (word_is(t, tn, "rua")) {
		if (uris_ok(v, vn))
			keep(rec->rua, sizeof(rec->rua), v, vn);
	} else if (word_is(t, tn, "ruf")) {
		if (uris_ok(v, vn))
			keep(rec->ruf, sizeof(rec->ruf), v, vn);
	} else if (word_is(t, tn, "fo")) {
		keep(rec->fo, sizeof(rec->fo), v, vn);
	}
	return 0;	/* unknown tags are ignored */
}

int
dmarc_record_parse(const char *text, struct dmarc_record *rec, char *err,
    size_t errlen)
{
	char seen[TAGS_MAX][8];
	size_t nseen = 0, len = strlen(text), i = 0;
	int have_p = 0, have_sp = 0, have_np = 0, first = 1;

	memset(rec, 0, sizeof(*rec));
	rec->pct = 100;
	rec->ri = 86400;
	if (len > RECORD_MAX) {
		snprintf(err, errlen, "record longer than %d octets", RECORD_MAX);
		return -1;
	}
	while (i <= len) {
		const char *item = text + i, *eq, *t, *v;
		size_t n = strcspn(item, ";"), tn, vn;

		i += n + 1;
		trim(&item, &n);
		eq = memchr(item, '=', n);
		if (first) {	/* "v" *WSP "=" *WSP "DMARC1" */
			first = 0;
			t = item;
			tn = eq != NULL ? (size_t)(eq - item) : 0;
			trim(&t, &tn);
			v = eq != NULL ? eq + 1 : NULL;
			vn = eq != NULL ? n - (size_t)(eq + 1 - item) : 0;
			if (v != NULL)
				trim(&v, &vn);
			if (eq == NULL || !word_is(t, tn, "v") || vn != 6 ||
			    strncmp(v, "DMARC1", 6) != 0) {
				rec->not_dmarc = 1;
				snprintf(err, errlen, "not a DMARC record (no "
				    "v=DMARC1 first)");
				return -1;
			}
			continue;
		}
		if (n == 0 || eq == NULL)
			continue;	/* empty, or a syntax error: ignored */
		t = item;
		tn = (size_t)(eq - item);
		trim(&t, &tn);
		v = eq + 1;
		vn = n - (size_t)(eq + 1 - item);
		trim(&v, &vn);
		if (tn == 0 || tn >= sizeof(seen[0]))
			continue;
		for (size_t k = 0; k < nseen; k++)
			if (strncasecmp(seen[k], t, tn) == 0 && seen[k][tn] == '\0') {
				snprintf(err, errlen, "tag \"%.*s\" given twice",
				    (int)tn, t);
				return -1;
			}
		if (nseen < TAGS_MAX) {
			memcpy(seen[nseen], t, tn);
			seen[nseen++][tn] = '\0';
		}
		tag(rec, t, tn, v, vn, &have_p, &have_sp, &have_np);
	}
	if (!have_p) {
		if (rec->rua[0] == '\0') {
			snprintf(err, errlen, "no valid p= tag (and no rua= to "
			    "read it as p=none)");
			return -1;
		}
		rec->p = DMARC_POLICY_NONE;
		rec->p_from_rua = 1;
	}
	if (!have_sp)
		rec->sp = rec->p;
	if (!have_np)
		rec->np = rec->sp;
	return 0;
}

int
dmarc_record_pick(const char *const *texts, size_t n, struct dmarc_record *rec,
    char *err, size_t errlen)
{
	const char *one = NULL;
	size_t found = 0;

	for (size_t i = 0; i < n; i++) {
		const char *t = texts[i];

		while (wsp(*t))
			t++;
		if (strncmp(t, "v", 1) != 0 && strncmp(t, "V", 1) != 0)
			continue;
		t++;
		while (wsp(*t))
			t++;
		if (*t != '=')
			continue;
		t++;
		while (wsp(*t))
			t++;
		if (strncmp(t, "DMARC1", 6) != 0 || (t[6] != '\0' &&
		    t[6] != ';' && !wsp(t[6])))
			continue;
		found++;
		one = texts[i];
	}
	if (found != 1) {
		snprintf(err, errlen, found == 0 ? "no DMARC record" :
		    "%zu DMARC records (one is needed)", found);
		return 0;
	}
	return dmarc_record_parse(one, rec, err, errlen) == 0 ? 1 : -1;
}
