/*
 * suppress_priv.h - what state.c and decide.c share inside
 * milterkit-suppress: the state of one configuration, with its reference
 * on the process's store reader (mk_store.h).
 */
#ifndef SUPPRESS_PRIV_H
#define SUPPRESS_PRIV_H

#include <pthread.h>
#include <sys/types.h>
#include <time.h>

#include "mk_addrpat.h"
#include "mk_cidr.h"
#include "suppress.h"

struct supp_state {
	char *dir;			/* [store] path */
	struct mk_store_reader *reader;	/* shared by every snapshot */
	struct mk_session_choice sessions;	/* check, networks */
	struct mk_addrpat_list exempt;
	char *reply[MK_REASON_COUNT];	/* templates, [0] unused */
};

#endif
