/*
 * NAME
 *	fuzz_dkim_table - fuzz target for dkim_table_parse() and
 *	dkim_table_match() (milters/dkim/table.c)
 * SYNOPSIS
 *	int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 * DESCRIPTION
 *	The input is the text of a signing table (up to its first NUL). A
 *	refused table must come with no table and one printable error line
 *	"fuzz:LINE: ..."; a table that parses must hold well-formed entries
 *	(lower-cased patterns of "*", "*.DOMAIN" or DOMAIN, at most 253
 *	octets; a lower-cased signing domain; selectors; key files without
 *	control characters; lines in increasing order; from before until),
 *	and dkim_table_match() on a few
 *	fixed domains and on names made from the table's own patterns, at
 *	times around every from= and until=, must give what a plain
 *	reference matcher here gives: at most max entries of the table, in
 *	file order, all of the most specific pattern matching the domain and
 *	all in their window.
 *
 *	Under make check it is linked with tests/fuzz/standalone.c and run
 *	over tests/fuzz/corpus/dkim_table. The real fuzzer, from a
 *	configured build directory:
 *
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -I../common \
 *	    -I../milters/dkim ../tests/fuzz/fuzz_dkim_table.c \
 *	    ../milters/dkim/table.c common/libmilterkit.a -o fuzz_dkim_table
 *	./fuzz_dkim_table -max_len=4096 corpus ../tests/fuzz/corpus/dkim_table
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_dkim_table: invariant broken: %s" \
		    " (line %d)\n", #cond, __LINE__); \
		abort(); \
	} \
} while (0)

#define NAMES	8	/* entries whose patterns make test domains */
#define MAXOUT	16

static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* A lower-cased domain name of LDH labels. */
static void
check_domain(const char *d)
{
	size_t n = strlen(d);

	CHECK(n > 0 && n <= 253);
	CHECK(d[0] != '.' && d[n - 1] != '.' && strstr(d, "..") == NULL);
	for (; *d != '\0'; d++)
		CHECK(islower((unsigned char)*d) || isdigit((unsigned char)*d) ||
		    *d == '-' || *d == '.');
}

static void
check_entry(const struct dkim_entry *e, const struct dkim_entry *prev)
{
	const char *d = e->pattern;
	size_t n = strlen(d);

	CHECK(n > 0 && n <= 253);
	if (strcmp(d, "*") != 0) {
		if (d[0] == '*') {
			CHECK(d[1] == '.' && d[2] != '\0');
			d += 2;
		}
		check_domain(d);
	}
	CHECK(e->domain != NULL);
	check_domain(e->domain);
	CHECK(e->selector[0] != '\0' && strlen(e->selector) <= 253);
	CHECK(strchr(e->selector, '*') == NULL);
	CHECK(e->keyfile[0] != '\0' && e->keyfile[0] != '#');
	for (d = e->keyfile; *d != '\0'; d++)
		CHECK((unsigned char)*d >= 0x20 && *d != 0x7f && *d != ' ' &&
		    *d != '\t');
	CHECK(e->from == 0 || e->until == 0 || e->from < e->until);
	CHECK(e->from >= 0 && e->until >= 0);
	CHECK(e->key == NULL);
	CHECK(prev == NULL || prev->line < e->line);
}

/* The reference: how well pattern p matches domain d, 0 for not at all. */
static size_t
ref_spec(const char *p, const char *d)
{
	size_t dn = strlen(d), pn = strlen(p);

	if (strcmp(p, "*") == 0)
		return 1;
	if (strncmp(p, "*.", 2) == 0) {
		if (dn > pn - 1 && strcasecmp(d + dn - (pn - 1), p + 1) == 0)
			return 1 + pn;
		return 0;
	}
	return strcasecmp(p, d) == 0 ? (size_t)-1 : 0;
}

static void
check_match(const struct dkim_table *t, const char *d, time_t now)
{
	const struct dkim_entry *out[MAXOUT + 1], *want[MAXOUT];
	size_t best = 0, nwant = 0, k;
	const char *bp = NULL;

	for (size_t i = 0; i < t->n; i++) {
		size_t s = ref_spec(t->e[i].pattern, d);

		if (s > best) {
			best = s;
			bp = t->e[i].pattern;
		}
	}
	for (size_t i = 0; bp != NULL && *d != '\0' && i < t->n &&
	    nwant < MAXOUT; i++) {
		const struct dkim_entry *e = &t->e[i];

		if (strcmp(e->pattern, bp) == 0 &&
		    (e->from == 0 || e->from <= now) &&
		    (e->until == 0 || now < e->until))
			want[nwant++] = e;
	}
	for (size_t max = 0; max <= MAXOUT; max += max < 3 ? 1 : MAXOUT - 3) {
		out[max] = (const struct dkim_entry *)out;	/* sentinel */
		k = dkim_table_match(t, d, now, out, max);
		CHECK(k <= max);
		CHECK(out[max] == (const struct dkim_entry *)out);
		CHECK(k == (nwant < max ? nwant : max));
		for (size_t i = 0; i < k; i++)
			CHECK(out[i] == want[i]);
	}
}

/* The domains to try: fixed ones, and from each of the first patterns
 * the domain itself, one name under it, and both upper-cased. */
static void
check_matches(const struct dkim_table *t)
{
	static const char *const fixed[] = {
		"example.com", "EXAMPLE.COM", "a.example.com", "com", "x", "",
		"a..b", "*", "*.example.com"
	};
	char names[NAMES * 4][300];
	size_t nn = 0;
	time_t times[4 + NAMES * 4];
	size_t nt = 0;

	for (size_t i = 0; i < t->n && i < NAMES; i++) {
		const struct dkim_entry *e = &t->e[i];
		const char *p = e->pattern;

		if (strcmp(p, "*") == 0)
			p = "any.test";
		else if (p[0] == '*')
			p += 2;
		snprintf(names[nn++], sizeof(names[0]), "%s", p);
		snprintf(names[nn++], sizeof(names[0]), "sub.%s", p);
		for (int u = 0; u < 2; u++) {
			memcpy(names[nn], names[nn - 2], sizeof(names[0]));
			for (char *c = names[nn]; *c != '\0'; c++)
				*c = (char)toupper((unsigned char)*c);
			nn++;
		}
		if (e->from != 0) {
			times[nt++] = e->from - 1;
			times[nt++] = e->from;
		}
		if (e->until != 0) {
			times[nt++] = e->until - 1;
			times[nt++] = e->until;
		}
	}
	times[nt++] = 0;
	times[nt++] = 1709251200;
	times[nt++] = 0x7fffffff;
	for (size_t j = 0; j < nt; j++) {
		for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			check_match(t, fixed[i], times[j]);
		for (size_t i = 0; i < nn; i++)
			check_match(t, names[i], times[j]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dkim_table *t = (struct dkim_table *)&t;
	char *text = malloc(size + 1), err[512];
	int rc;

	CHECK(text != NULL);
	memcpy(text, data, size);
	text[size] = '\0';
	memset(err, 'x', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	rc = dkim_table_parse("fuzz", text, &t, err, sizeof(err));
	CHECK(rc == 0 || rc == -1);
	if (rc == -1) {
		CHECK(t == NULL);
		CHECK(strncmp(err, "fuzz:", 5) == 0);
		CHECK(strlen(err) < 400 && printable(err));
	} else {
		CHECK(t != NULL);
		for (size_t i = 0; i < t->n; i++)
			check_entry(&t->e[i], i > 0 ? &t->e[i - 1] : NULL);
		check_matches(t);
		dkim_table_free(t);
	}
	free(text);
	return 0;
}
