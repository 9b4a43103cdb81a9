/*
 * NAME
 *	names.c - lists of domain names and header field names
 * SYNOPSIS
 *	int	hdr_names_parse(const char *text, struct hdr_names *out);
 *	void	hdr_names_free(struct hdr_names *l);
 *	int	hdr_domain_match(const struct hdr_names *l, const char *name,
 *			size_t n);
 *	int	hdr_field_match(const struct hdr_names *l, const char *name);
 * DESCRIPTION
 *	A list is written as in the configuration: items separated by commas
 *	or blanks (its syntax was checked by the configuration's rows).
 *	Items are kept lower-cased. hdr_names_parse() returns 0 (an empty
 *	text gives an empty list).
 *
 *	hdr_domain_match() tells whether the n octets of name are a name of
 *	the list: "host.example" matches that name, ".example" any name
 *	under example (not example itself); case is ignored, and one
 *	trailing dot of name too.
 *	hdr_field_match() tells whether a field name is in the list: "x-foo"
 *	matches X-Foo, "x-php-*" any name that begins with X-PHP-.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "headers_priv.h"
#include "mk_list.h"
#include "mk_mem.h"

int
hdr_names_parse(const char *text, struct hdr_names *out)
{
	struct mk_list l;

	out->v = NULL;
	out->n = 0;
	mk_list_init(&l, text, 0, 0, "names");
	while (mk_list_next(&l, NULL, 0) > 0) {
		out->v = mk_realloc(out->v, (out->n + 1) * sizeof(*out->v));
		out->v[out->n] = mk_strndup(l.item, l.len);
		for (char *q = out->v[out->n]; *q; q++)
			if (*q >= 'A' && *q <= 'Z')
				*q = (char)(*q - 'A' + 'a');
		out->n++;
	}
	return 0;
}

void
hdr_names_free(struct hdr_names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
hdr_domain_match(const struct hdr_names *l, const char *name, size_t n)
{
	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0)
		return 0;
	for (size_t i = 0; i < l->n; i++) {
		const char *e = l->v[i];
		size_t en = strlen(e);

		if (e[0] == '.') {
			if (n > en && strncasecmp(name + n - en, e, en) == 0)
				return 1;
		} else if (n == en && strncasecmp(name, e, n) == 0) {
			return 1;
		}
	}
	return 0;
}

int
hdr_field_match(const struct hdr_names *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *e = l->v[i];
		size_t en = strlen(e);

		if (en > 0 && e[en - 1] == '*') {
			if (strncasecmp(name, e, en - 1) == 0)
				return 1;
		} else if (strcasecmp(name, e) == 0) {
			return 1;
		}
	}
	return 0;
}
