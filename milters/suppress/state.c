/*
 * state.c - milterkit-suppress: the state of one configuration and its
 * store handle (see suppress.h).
 *
 * The store is opened read-only when first needed and checked at most once
 * a second: a store that was removed makes lookups fail (on_error), one
 * that was replaced (another inode) is opened afresh. Lookups hold a
 * reference on the handle they use, so a replaced handle is closed only
 * when the last lookup on it is done.
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
#include "suppress_priv.h"

static void
handle_put_locked(struct supp_handle *h)
{
	if (--h->refs == 0) {
		mk_store_close(h->st);
		free(h);
	}
}

void
supp_handle_put(struct supp_state *s, struct supp_handle *h)
{
	pthread_mutex_lock(&s->lock);
	handle_put_locked(h);
	pthread_mutex_unlock(&s->lock);
}

/* Drop the current handle (the state's own reference). Lock held. */
static void
retire_locked(struct supp_state *s)
{
	if (s->cur != NULL) {
		handle_put_locked(s->cur);
		s->cur = NULL;
	}
}

/* Open the store afresh; lock held. 0 or -1 with the cause. */
static int
open_locked(struct supp_state *s, const struct stat *sb, char *cause,
    size_t len)
{
	struct supp_handle *h = mk_calloc(1, sizeof(*h));
	int rc;

	rc = mk_store_open(s->dir, MK_STORE_RDONLY, NULL, &h->st);
	if (rc != 0) {
		snprintf(cause, len, "store %s: %s (%s)", s->dir,
		    mk_store_strerror(rc), mk_store_errdetail(NULL));
		free(h);
		return -1;
	}
	h->refs = 1;			/* the state's reference */
	h->dev = sb->st_dev;
	h->ino = sb->st_ino;
	retire_locked(s);
	s->cur = h;
	return 0;
}

struct supp_handle *
supp_handle_get(struct supp_state *s, char *cause, size_t len)
{
	struct supp_handle *h = NULL;
	struct stat sb;
	time_t now = time(NULL);

	pthread_mutex_lock(&s->lock);
	if (s->cur == NULL || now != s->checked) {
		s->checked = now;
		if (stat(s->datafile, &sb) != 0) {
			snprintf(cause, len, "store %s: %s", s->datafile,
			    strerror(errno));
			retire_locked(s);
		} else if (s->cur == NULL || s->cur->ino != sb.st_ino ||
		    s->cur->dev != sb.st_dev) {
			open_locked(s, &sb, cause, len);
		}
	}
	if (s->cur != NULL) {
		h = s->cur;
		h->refs++;
	}
	pthread_mutex_unlock(&s->lock);
	return h;
}

int
supp_state_new(const struct mk_conf *conf, struct supp_state **out, char *err,
    size_t errlen)
{
	struct supp_state *s = mk_calloc(1, sizeof(*s));

	*out = NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->dir = mk_strdup(conf->store.path);
	if (asprintf(&s->datafile, "%s/suppress/data.mdb", s->dir) < 0)
		mk_panic("out of memory");
	if (mk_session_choice_parse(&s->sessions, conf->suppress.check,
	    conf->suppress.networks, err, errlen) != 0 ||
	    mk_addrpat_list_parse(conf->supp.exempt, &s->exempt, err,
	    errlen) != 0) {
		supp_state_free(s);
		return -1;
	}
	for (int i = 1; i < MK_REASON_COUNT; i++)
		s->reply[i] = mk_strdup(conf->supp.reply[i]);
	*out = s;
	return 0;
}

void
supp_state_free(struct supp_state *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	retire_locked(s);
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_destroy(&s->lock);
	mk_session_choice_free(&s->sessions);
	mk_addrpat_list_free(&s->exempt);
	for (int i = 1; i < MK_REASON_COUNT; i++)
		free(s->reply[i]);
	free(s->datafile);
	free(s->dir);
	free(s);
}

const struct mk_session_choice *
supp_sessions(const void *s)
{
	return &((const struct supp_state *)s)->sessions;
}
