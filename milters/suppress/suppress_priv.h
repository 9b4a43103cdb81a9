/*
 * suppress_priv.h - what state.c and decide.c share inside
 * milterkit-suppress: the state and the reference-counted store handle.
 *
 *	struct supp_handle *supp_handle_get(struct supp_state *s,
 *			char *cause, size_t len);
 *	void	supp_handle_put(struct supp_state *s, struct supp_handle *h);
 *
 * supp_handle_get() returns the current store handle with a reference
 * taken, opening or reopening the store as needed, or NULL with the cause.
 * supp_handle_put() drops the reference.
 */
#ifndef SUPPRESS_PRIV_H
#define SUPPRESS_PRIV_H

#include <pthread.h>
#include <sys/types.h>
#include <time.h>

#include "mk_addrpat.h"
#include "mk_cidr.h"
#include "suppress.h"

struct supp_handle {
	struct mk_store *st;
	unsigned refs;			/* the state's, plus lookups' */
	dev_t dev;			/* of the data file it opened */
	ino_t ino;
};

struct supp_state {
	char *dir;			/* [store] path */
	char *datafile;			/* dir/suppress/data.mdb */
	struct mk_session_choice sessions;	/* check, networks */
	struct mk_addrpat_list exempt;
	char *reply[MK_REASON_COUNT];	/* templates, [0] unused */
	pthread_mutex_t lock;		/* guards cur, checked, refs */
	struct supp_handle *cur;	/* NULL: not open */
	time_t checked;			/* last look at the data file */
};

struct supp_handle *supp_handle_get(struct supp_state *s, char *cause,
    size_t len);
void supp_handle_put(struct supp_state *s, struct supp_handle *h);

#endif
