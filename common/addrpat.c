/*
 * addrpat.c - lists of address patterns (see mk_addrpat.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mk_addr.h"
#include "mk_addrpat.h"
#include "mk_list.h"
#include "mk_mem.h"

/* Normalize one item of len (1 to MK_ADDR_MAX) bytes into p; 0 or -1 with
 * a message. */
static int
parse_one(const char *item, size_t len, struct mk_addrpat *p, char *err,
    size_t errlen)
{
	struct mk_addr a;
	char dom[MK_ADDR_DOMAIN_MAX + 1];
	int rc;

	if (item[len - 1] == '@') {		/* "local@" */
		char buf[MK_ADDR_MAX + 16];
		snprintf(buf, sizeof(buf), "%.*sexample.invalid", (int)len, item);
		if ((rc = mk_addr_parse(buf, strlen(buf), NULL, &a)) != 0)
			goto bad;
		p->kind = MK_ADDRPAT_LOCAL;
		p->text = mk_strdup(a.local);
		return 0;
	}
	if (item[0] == '@') {			/* "@domain" */
		if ((rc = mk_addr_domain(item, len, dom, sizeof(dom))) != 0)
			goto bad;
		p->kind = MK_ADDRPAT_DOMAIN;
		p->text = mk_strdup(dom);
		return 0;
	}
	if ((rc = mk_addr_parse(item, len, NULL, &a)) != 0)
		goto bad;
	p->kind = MK_ADDRPAT_ADDRESS;
	p->text = mk_strdup(a.norm);
	return 0;
bad:
	snprintf(err, errlen, "\"%.*s\": %s", (int)(len > 80 ? 80 : len), item,
	    mk_addr_strerror(rc));
	return -1;
}

int
mk_addrpat_list_parse(const char *text, struct mk_addrpat_list *out,
    char *err, size_t errlen)
{
	struct mk_list l;
	struct mk_addrpat p;
	int rc;

	out->v = NULL;
	out->n = 0;
	mk_list_init(&l, text, MK_ADDR_MAX, MK_ADDRPAT_MAX, "items");
	while ((rc = mk_list_next(&l, err, errlen)) > 0) {
		if (parse_one(l.item, l.len, &p, err, errlen) != 0)
			break;
		out->v = mk_realloc(out->v, (out->n + 1) * sizeof(*out->v));
		out->v[out->n++] = p;
	}
	if (rc == 0)
		return 0;
	mk_addrpat_list_free(out);
	return -1;
}

int
mk_addrpat_list_check(const char *text, char *err, size_t errlen)
{
	struct mk_addrpat_list l;

	if (mk_addrpat_list_parse(text, &l, err, errlen) != 0)
		return -1;
	mk_addrpat_list_free(&l);
	return 0;
}

int
mk_addrpat_list_match(const struct mk_addrpat_list *list, const char *norm)
{
	const char *at = strrchr(norm, '@');
	size_t llen;

	if (at == NULL)
		return 0;
	llen = (size_t)(at - norm);
	for (size_t i = 0; i < list->n; i++) {
		const struct mk_addrpat *p = &list->v[i];
		switch (p->kind) {
		case MK_ADDRPAT_LOCAL:
			if (strlen(p->text) == llen &&
			    strncasecmp(p->text, norm, llen) == 0)
				return 1;
			break;
		case MK_ADDRPAT_DOMAIN:
			if (strcasecmp(p->text, at + 1) == 0)
				return 1;
			break;
		default:
			if (strcasecmp(p->text, norm) == 0)
				return 1;
			break;
		}
	}
	return 0;
}

void
mk_addrpat_list_free(struct mk_addrpat_list *list)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < list->n; i++)
		free(list->v[i].text);
	free(list->v);
	list->v = NULL;
	list->n = 0;
}
