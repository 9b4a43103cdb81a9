/*
 * NAME
 *	mk_list - the items of a list value (commas and/or blanks between)
 * SYNOPSIS
 *	#include "mk_list.h"
 *
 *	void	mk_list_init(struct mk_list *l, const char *text,
 *			size_t max_len, size_t max_count, const char *what);
 *	int	mk_list_next(struct mk_list *l, char *err, size_t errlen);
 *	const char *mk_list_strerror(int code);
 * DESCRIPTION
 *	Every list of milterkit.conf is written the same way: items separated
 *	by commas, blanks or tabs, in any mix ("a, b c,,d" is four items).
 *	Empty items are skipped, so an empty or all-separator text is an
 *	empty list. This module is the one place that splits such text.
 *
 *	mk_list_init() starts a walk over text (borrowed: it must outlive
 *	the walk). max_len bounds an item in octets and max_count the number
 *	of items; 0 means no bound (for lists a row's check already bounded).
 *	what names the items, plural, in the messages ("networks").
 *
 *	mk_list_next() returns 1 with l->item and l->len set to the next item
 *	(not NUL-terminated, pointing into text), 0 at the end of the list,
 *	or a negative MK_LIST_E* code with a message in err: one more item
 *	than max_count is MK_LIST_ETOOMANY ("more than 1024 networks"); an
 *	item longer than max_len is MK_LIST_ETOOLONG (the message shows the
 *	item's start and the bound). The count is checked first. err may be
 *	NULL when errlen is 0. mk_list_strerror() explains a code.
 */
#ifndef MK_LIST_H
#define MK_LIST_H

#include <stddef.h>

/* The separators of a list value. */
#define MK_LIST_SEP ", \t"

enum {
	MK_LIST_OK = 0,
	MK_LIST_ETOOLONG = -1,		/* an item longer than max_len */
	MK_LIST_ETOOMANY = -2		/* more than max_count items */
};

struct mk_list {
	const char *next;	/* where the next item is looked for */
	size_t max_len;		/* octets of one item, 0 = no bound */
	size_t max_count;	/* items, 0 = no bound */
	const char *what;	/* the items, plural, for messages */
	size_t count;		/* items returned so far */
	const char *item;	/* the current item, borrowed from text */
	size_t len;		/* its length */
};

void mk_list_init(struct mk_list *l, const char *text, size_t max_len,
    size_t max_count, const char *what);
int mk_list_next(struct mk_list *l, char *err, size_t errlen);
const char *mk_list_strerror(int code);

#endif
