/*
 * list.c - the items of a list value (see mk_list.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "mk_list.h"

/* Octets of an over-long item shown in the message. */
#define LIST_SHOW 20

void
mk_list_init(struct mk_list *l, const char *text, size_t max_len,
    size_t max_count, const char *what)
{
	memset(l, 0, sizeof(*l));
	l->next = text;
	l->max_len = max_len;
	l->max_count = max_count;
	l->what = what != NULL ? what : "items";
}

int
mk_list_next(struct mk_list *l, char *err, size_t errlen)
{
	const char *p = l->next + strspn(l->next, MK_LIST_SEP);
	size_t len;

	if (*p == '\0') {
		l->next = p;
		return 0;
	}
	len = strcspn(p, MK_LIST_SEP);
	if (l->max_count > 0 && l->count == l->max_count) {
		snprintf(err, errlen, "more than %zu %s", l->max_count, l->what);
		return MK_LIST_ETOOMANY;
	}
	if (l->max_len > 0 && len > l->max_len) {
		snprintf(err, errlen, "\"%.*s%s\" is longer than %zu octets",
		    (int)(len > LIST_SHOW ? LIST_SHOW : len), p,
		    len > LIST_SHOW ? "..." : "", l->max_len);
		return MK_LIST_ETOOLONG;
	}
	l->item = p;
	l->len = len;
	l->next = p + len;
	l->count++;
	return 1;
}

const char *
mk_list_strerror(int code)
{
	switch (code) {
	case MK_LIST_OK:
		return "no error";
	case MK_LIST_ETOOLONG:
		return "a list item is too long";
	case MK_LIST_ETOOMANY:
		return "too many list items";
	default:
		return "unknown list error";
	}
}
