/*
 * NAME
 *	store_reader - one shared, self-reopening read handle per store
 *	directory and process (mk_store.h)
 * SYNOPSIS
 *	#include "mk_store.h"
 *
 *	struct mk_store_reader *mk_store_reader_get(const char *dir);
 *	void	mk_store_reader_put(struct mk_store_reader *r);
 *	struct mk_store_hold *mk_store_reader_hold(struct mk_store_reader *r,
 *			char *cause, size_t len);
 *	struct mk_store *mk_store_hold_store(const struct mk_store_hold *h);
 *	void	mk_store_reader_drop(struct mk_store_reader *r,
 *			struct mk_store_hold *h);
 * DESCRIPTION
 *	LMDB forbids opening one environment twice in a process: closing the
 *	second handle drops the reader slots and file locks of the first, so
 *	its cached read transactions fail (MDB_BAD_RSLOT) and writers stop
 *	seeing this process's readers. Readers of the store therefore share
 *	one handle per directory: mk_store_reader_get() returns the
 *	process's reader of dir (created at the first call, reference
 *	counted), which a daemon's configuration snapshots share across
 *	reloads; mk_store_reader_put() drops a reference, the last one
 *	closes it.
 *
 *	mk_store_reader_hold() gives the current handle with a reference
 *	held for one lookup (mk_store_hold_store() is the handle;
 *	mk_store_reader_drop() gives it back). At most once a second it
 *	looks at DIR/suppress/data.mdb (while there is none, at every hold):
 *	a store that appears is opened, one
 *	that is gone makes holds fail, one replaced on disk (another inode)
 *	is opened afresh and the old handle closed once its last hold is
 *	dropped; a replacement that cannot be opened is never served in the
 *	old one's stead. NULL with the cause in cause when there is no
 *	usable store. Thread-safe.
 * SEE ALSO
 *	store_lmdb.c (mk_store_open), milters/suppress
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "mk_log.h"
#include "mk_mem.h"
#include "mk_store.h"

struct mk_store_hold {
	struct mk_store *st;
	unsigned refs;			/* the reader's, plus holds */
	dev_t dev;			/* of the data file it opened */
	ino_t ino;
};

struct mk_store_reader {
	char *dir;
	char *datafile;			/* dir/suppress/data.mdb */
	unsigned users;			/* mk_store_reader_get() references */
	pthread_mutex_t lock;		/* guards cur, checked, hold refs */
	struct mk_store_hold *cur;	/* NULL: not open */
	time_t checked;			/* last look at the data file */
	char why[512];			/* why there is no handle */
	struct mk_store_reader *next;
};

static pthread_mutex_t readers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mk_store_reader *readers;

struct mk_store_reader *
mk_store_reader_get(const char *dir)
{
	struct mk_store_reader *r;

	pthread_mutex_lock(&readers_lock);
	for (r = readers; r != NULL; r = r->next)
		if (strcmp(r->dir, dir) == 0)
			break;
	if (r == NULL) {
		r = mk_calloc(1, sizeof(*r));
		r->dir = mk_strdup(dir);
		if (asprintf(&r->datafile, "%s/suppress/data.mdb", dir) < 0)
			mk_panic("out of memory");
		pthread_mutex_init(&r->lock, NULL);
		r->next = readers;
		readers = r;
	}
	r->users++;
	pthread_mutex_unlock(&readers_lock);
	return r;
}

/* Drop one reference on a handle; lock held. */
static void
hold_put_locked(struct mk_store_hold *h)
{
	if (--h->refs == 0) {
		mk_store_close(h->st);
		free(h);
	}
}

/* The reader lets go of its current handle; lock held. */
static void
retire_locked(struct mk_store_reader *r)
{
	if (r->cur != NULL) {
		hold_put_locked(r->cur);
		r->cur = NULL;
	}
}

void
mk_store_reader_put(struct mk_store_reader *r)
{
	struct mk_store_reader **pp;

	if (r == NULL)
		return;
	pthread_mutex_lock(&readers_lock);
	if (--r->users > 0) {
		pthread_mutex_unlock(&readers_lock);
		return;
	}
	for (pp = &readers; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	pthread_mutex_unlock(&readers_lock);
	pthread_mutex_lock(&r->lock);
	retire_locked(r);
	pthread_mutex_unlock(&r->lock);
	pthread_mutex_destroy(&r->lock);
	free(r->datafile);
	free(r->dir);
	free(r);
}

/* Open the store of the data file sb describes; lock held. The old handle
 * goes either way: a replacement that cannot be opened is not served by
 * the store it replaced. 0, or -1 with the cause. */
static int
open_locked(struct mk_store_reader *r, const struct stat *sb, char *cause,
    size_t len)
{
	struct mk_store_hold *h = mk_calloc(1, sizeof(*h));
	int rc;

	retire_locked(r);
	rc = mk_store_open(r->dir, MK_STORE_RDONLY, NULL, &h->st);
	if (rc != 0) {
		snprintf(cause, len, "store %s: %s (%s)", r->dir,
		    mk_store_strerror(rc), mk_store_errdetail(NULL));
		free(h);
		return -1;
	}
	h->refs = 1;			/* the reader's reference */
	h->dev = sb->st_dev;
	h->ino = sb->st_ino;
	r->cur = h;
	return 0;
}

struct mk_store_hold *
mk_store_reader_hold(struct mk_store_reader *r, char *cause, size_t len)
{
	struct mk_store_hold *h = NULL;
	struct stat sb;
	time_t now = time(NULL);

	pthread_mutex_lock(&r->lock);
	if (r->cur == NULL || now != r->checked) {
		r->checked = now;
		if (stat(r->datafile, &sb) != 0) {
			snprintf(r->why, sizeof(r->why), "store %s: %s",
			    r->datafile, strerror(errno));
			retire_locked(r);
		} else if (r->cur == NULL || r->cur->ino != sb.st_ino ||
		    r->cur->dev != sb.st_dev) {
			open_locked(r, &sb, r->why, sizeof(r->why));
		}
	}
	if (r->cur != NULL) {
		h = r->cur;
		h->refs++;
	} else {
		snprintf(cause, len, "%s", r->why);	/* this second's */
	}
	pthread_mutex_unlock(&r->lock);
	return h;
}

struct mk_store *
mk_store_hold_store(const struct mk_store_hold *h)
{
	return h->st;
}

void
mk_store_reader_drop(struct mk_store_reader *r, struct mk_store_hold *h)
{
	if (h == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	hold_put_locked(h);
	pthread_mutex_unlock(&r->lock);
}
