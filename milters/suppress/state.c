/*
 * state.c - milterkit-suppress: the state of one configuration (see
 * suppress.h).
 *
 * The store is read through the process's shared reader of [store] path
 * (mk_store_reader_get(), store_reader.c): every configuration snapshot,
 * before and after a reload, uses the same LMDB environment, which opens
 * when first needed, follows a store replaced on disk and fails lookups
 * (on_error) when the store is gone.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "mk_addrpat.h"
#include "mk_cidr.h"
#include "mk_log.h"
#include "mk_mem.h"
#include "mk_session.h"
#include "suppress_conf.h"
#include "suppress_priv.h"

int
supp_state_new(const struct mk_conf *conf, struct supp_state **out, char *err,
    size_t errlen)
{
	const struct supp_conf *sc = supp_conf(conf);
	struct supp_state *s = mk_calloc(1, sizeof(*s));

	*out = NULL;
	s->dir = mk_strdup(conf->store.path);
	s->reader = mk_store_reader_get(s->dir);
	if (mk_session_choice_parse(&s->sessions, sc->d.check,
	    sc->d.networks, err, errlen) != 0 ||
	    mk_addrpat_list_parse(sc->exempt, &s->exempt, err,
	    errlen) != 0) {
		supp_state_free(s);
		return -1;
	}
	for (int i = 1; i < MK_REASON_COUNT; i++)
		s->reply[i] = mk_strdup(sc->reply[i]);
	*out = s;
	return 0;
}

void
supp_state_free(struct supp_state *s)
{
	if (s == NULL)
		return;
	mk_store_reader_put(s->reader);
	mk_session_choice_free(&s->sessions);
	mk_addrpat_list_free(&s->exempt);
	for (int i = 1; i < MK_REASON_COUNT; i++)
		free(s->reply[i]);
	free(s->dir);
	free(s);
}

const struct mk_session_choice *
supp_sessions(const void *s)
{
	return &((const struct supp_state *)s)->sessions;
}
