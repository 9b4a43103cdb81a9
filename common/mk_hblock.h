/*
 * NAME
 *	mk_hblock - the header block of one message as the filters of a chain
 *	leave it, and the fewest MTA edits that make it so
 * SYNOPSIS
 *	#include "mk_hblock.h"
 *
 *	void	mk_hblock_init(struct mk_hblock *b, size_t max_fields,
 *			size_t max_bytes);
 *	void	mk_hblock_free(struct mk_hblock *b);
 *	int	mk_hblock_keep(struct mk_hblock *b, const char *name,
 *			const char *value);
 *	ssize_t	mk_hblock_view(struct mk_hblock *b,
 *			const struct mk_hfield **out);
 *	int	mk_hblock_add(struct mk_hblock *b, const char *name,
 *			const char *value);
 *	int	mk_hblock_insert(struct mk_hblock *b, size_t index,
 *			const char *name, const char *value);
 *	int	mk_hblock_change(struct mk_hblock *b, const char *name,
 *			size_t index, const char *value);
 *	int	mk_hblock_emit(const struct mk_hblock *b,
 *			const struct mk_hblock_out *out, void *ctx);
 * DESCRIPTION
 *	The block starts as the fields the MTA sent, in order
 *	(mk_hblock_keep(), names and values as received), within max_fields
 *	fields and max_bytes octets of names and values: past either bound
 *	nothing more is kept, the block is marked overflowing (-1 from keep,
 *	then from view and the edits).
 *
 *	Edits follow the milter protocol's rules, applied to the block as it
 *	is now (the edits of earlier filters, and the filter's own earlier
 *	ones, included), so that a filter computes its indices exactly as it
 *	would against an MTA: mk_hblock_add() appends; mk_hblock_insert()
 *	puts a field at position index (0 = first; past the end: appended);
 *	mk_hblock_change() sets the value of the index-th (1-based) field
 *	called name (names compare without case); value NULL deletes it; a
 *	change of an occurrence that does not exist adds the field (as
 *	Sendmail and Postfix do), a deletion of one is nothing. Each returns
 *	0, or -1 (overflowing block, index 0 in a change, name empty).
 *	mk_hblock_view() gives the fields as they are now (valid until the
 *	next edit or keep): their number, or -1 if the block overflowed.
 *
 *	mk_hblock_emit() writes, through out, the fewest commands that turn
 *	the block the MTA holds (the fields it sent) into the block as it is
 *	now: first each original field changed or deleted, by descending
 *	position, addressed by its occurrence among the ORIGINAL fields of
 *	that name (counting from the end keeps every earlier occurrence's
 *	number as the MTA counts it); then each new field, in order: a field
 *	with no original left after it is appended (add), any other is
 *	inserted at its final position (insert, counted over the fields the
 *	MTA was sent: see milterkit-chain(8) for how Postfix and Sendmail
 *	count). A field added then deleted by the filters costs nothing; a
 *	change back to the original value costs nothing. Returns 0, or the
 *	first callback's failure (-1).
 */
#ifndef MK_HBLOCK_H
#define MK_HBLOCK_H

#include <stddef.h>
#include <sys/types.h>

struct mk_hfield {
	const char *name;
	const char *value;
};

struct mk_hent {
	char *name;
	char *value;		/* current value */
	char *first;		/* a changed original's value as sent */
	size_t orig;		/* 1 + position among the MTA's fields; 0 new */
	unsigned char deleted;	/* an original removed (kept for emit) */
	unsigned char changed;	/* an original with a new value */
};

struct mk_hblock {
	struct mk_hent *e;	/* in order; deleted originals stay */
	size_t n, cap;
	size_t norig;		/* fields the MTA sent and we kept */
	size_t bytes, max_fields, max_bytes;
	int overflow;
	struct mk_hfield *view;	/* visible fields, rebuilt when stale */
	size_t nview, viewcap;
	int stale;
};

struct mk_hblock_out {
	int (*add)(void *ctx, const char *name, const char *value);
	int (*insert)(void *ctx, size_t index, const char *name,
	    const char *value);
	int (*change)(void *ctx, const char *name, size_t index,
	    const char *value);		/* value NULL: delete */
};

void mk_hblock_init(struct mk_hblock *b, size_t max_fields, size_t max_bytes);
void mk_hblock_free(struct mk_hblock *b);
int mk_hblock_keep(struct mk_hblock *b, const char *name, const char *value);
ssize_t mk_hblock_view(struct mk_hblock *b, const struct mk_hfield **out);
int mk_hblock_add(struct mk_hblock *b, const char *name, const char *value);
int mk_hblock_insert(struct mk_hblock *b, size_t index, const char *name,
    const char *value);
int mk_hblock_change(struct mk_hblock *b, const char *name, size_t index,
    const char *value);
int mk_hblock_emit(const struct mk_hblock *b, const struct mk_hblock_out *out,
    void *ctx);

#endif
