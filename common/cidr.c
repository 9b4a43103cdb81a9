/*
 * cidr.c - lists of client networks (see mk_cidr.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mk_cidr.h"
#include "mk_list.h"
#include "mk_mem.h"

/* Longest item: an IPv6 address in its longest form and a prefix. */
#define CIDR_ITEM_MAX (INET6_ADDRSTRLEN + 7)

/* Parse one "addr[/bits]" item of len (at most CIDR_ITEM_MAX) bytes into c;
 * 0 or -1. */
static int
parse_one(const char *item, size_t len, struct mk_cidr *c, char *err,
    size_t errlen)
{
	char buf[CIDR_ITEM_MAX + 1], *slash, *end;
	long bits;
	size_t alen;

	memcpy(buf, item, len);
	buf[len] = '\0';
	memset(c, 0, sizeof(*c));
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, c->addr) == 1)
		c->family = 4;
	else if (inet_pton(AF_INET6, buf, c->addr) == 1)
		c->family = 6;
	else {
		snprintf(err, errlen, "\"%s\" is not an IPv4 or IPv6 address", buf);
		return -1;
	}
	alen = c->family == 4 ? 4 : 16;
	bits = (long)alen * 8;
	if (slash != NULL) {
		bits = strtol(slash + 1, &end, 10);
		if (slash[1] == '\0' || *end != '\0' || bits < 0 ||
		    bits > (long)alen * 8) {
			snprintf(err, errlen, "\"%s/%s\": bad prefix length", buf,
			    slash + 1);
			return -1;
		}
	}
	c->bits = (unsigned char)bits;
	for (size_t i = 0; i < alen; i++) {
		int keep = (int)bits - (int)i * 8;
		unsigned char mask = keep >= 8 ? 0xff : keep <= 0 ? 0 :
		    (unsigned char)(0xff << (8 - keep));
		if (c->addr[i] & ~mask) {
			snprintf(err, errlen, "\"%s/%ld\" has host bits set", buf,
			    bits);
			return -1;
		}
	}
	return 0;
}

int
mk_cidr_list_parse(const char *text, struct mk_cidr_list *out, char *err,
    size_t errlen)
{
	struct mk_list l;
	struct mk_cidr c;
	int rc;

	out->v = NULL;
	out->n = 0;
	mk_list_init(&l, text, CIDR_ITEM_MAX, MK_CIDR_MAX, "networks");
	while ((rc = mk_list_next(&l, err, errlen)) > 0) {
		if (parse_one(l.item, l.len, &c, err, errlen) != 0)
			break;
		out->v = mk_realloc(out->v, (out->n + 1) * sizeof(*out->v));
		out->v[out->n++] = c;
	}
	if (rc == 0)
		return 0;
	mk_cidr_list_free(out);
	return -1;
}

int
mk_cidr_list_check(const char *text, char *err, size_t errlen)
{
	struct mk_cidr_list l;

	if (mk_cidr_list_parse(text, &l, err, errlen) != 0)
		return -1;
	mk_cidr_list_free(&l);
	return 0;
}

static int
in_net(const struct mk_cidr *c, const unsigned char *a)
{
	unsigned full = c->bits / 8, rest = c->bits % 8;

	if (memcmp(c->addr, a, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((c->addr[full] ^ a[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

int
mk_cidr_list_match(const struct mk_cidr_list *list, const char *addr)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff };
	unsigned char a6[16], a4[4];
	int has4 = 0, has6 = 0;

	if (addr == NULL)
		return 0;
	if (inet_pton(AF_INET, addr, a4) == 1)
		has4 = 1;
	else if (inet_pton(AF_INET6, addr, a6) == 1) {
		has6 = 1;
		if (memcmp(a6, mapped, sizeof(mapped)) == 0) {
			memcpy(a4, a6 + 12, 4);
			has4 = 1;
		}
	}
	for (size_t i = 0; i < list->n; i++) {
		const struct mk_cidr *c = &list->v[i];
		if ((c->family == 4 && has4 && in_net(c, a4)) ||
		    (c->family == 6 && has6 && in_net(c, a6)))
			return 1;
	}
	return 0;
}

void
mk_cidr_list_free(struct mk_cidr_list *list)
{
	if (list == NULL)
		return;
	free(list->v);
	list->v = NULL;
	list->n = 0;
}
