/*
 * NAME
 *	store_txn - transactions of the suppression store (store_priv.h)
 * DESCRIPTION
 *	A transaction begins under the handle's map lock held shared; when
 *	another process has grown the map (MDB_MAP_RESIZED) the lock is taken
 *	exclusively, the new size adopted and the begin retried once; a full
 *	reader table runs mdb_reader_check() and a lost reader slot
 *	(MDB_BAD_RSLOT) takes a fresh transaction, each retried once. Each
 *	thread keeps one read transaction per handle, reset between uses, so
 *	a lookup costs no reader-table lock; mk_store__reader_free() releases
 *	it when the thread exits, mk_store__readers_close() all of them when
 *	the handle is closed.
 * SEE ALSO
 *	store_lmdb.c (open and close), store_supp.c, store_import.c
 */
#include "config.h"

#include <stdlib.h>

#include "mk_mem.h"
#include "store_priv.h"

struct store_reader {
	MDB_txn *txn;
	MDB_cursor *cur;		/* on supp, renewed with txn */
	struct mk_store *st;
	struct store_reader *next;
	struct store_reader **pprev;
};

/* store_remap - adopt the map size another process has set */
static int
store_remap(struct mk_store *st)
{
	int rc;

	pthread_rwlock_wrlock(&st->maplock);
	rc = mdb_env_set_mapsize(st->env, 0);
	pthread_rwlock_unlock(&st->maplock);
	return rc;
}

/* store_recover - what a begin that failed with rc needs before one retry:
 * adopt a map grown by another process, or clear the reader slots of dead
 * processes. Returns 0 when a retry may succeed, else rc (or a new code). */
static int
store_recover(struct mk_store *st, int rc)
{
	int dead;

	if (rc == MDB_MAP_RESIZED)
		return store_remap(st);
	if (rc == MDB_READERS_FULL)
		return mdb_reader_check(st->env, &dead);
	/* The thread's slot was lost (another handle on the same file was
	 * closed in this process): a fresh transaction takes a new one. */
	if (rc == MDB_BAD_RSLOT)
		return 0;
	return rc;
}

int
mk_store__txn_begin(struct mk_store *st, int rdonly, MDB_txn **txn)
{
	int rc;

	if (!rdonly && st->rdonly)
		return mk_store__err(MK_STORE_ERDONLY, "%s: opened read-only",
		    st->path);
	for (int retry = 0;; retry++) {
		pthread_rwlock_rdlock(&st->maplock);
		rc = mdb_txn_begin(st->env, NULL, rdonly ? MDB_RDONLY : 0, txn);
		if (rc == 0)
			return 0;
		pthread_rwlock_unlock(&st->maplock);
		if (retry > 0 || (rc = store_recover(st, rc)) != 0)
			break;
	}
	return mk_store__mdb_err(rc, st, "begin transaction");
}

void
mk_store__txn_done(struct mk_store *st, MDB_txn *txn, int commit, int *rc)
{
	int c;

	if (commit && *rc == 0) {
		if ((c = mdb_txn_commit(txn)) != 0)
			*rc = mk_store__mdb_err(c, st, "commit");
	} else {
		mdb_txn_abort(txn);
	}
	pthread_rwlock_unlock(&st->maplock);
}

/* mk_store__reader_free - thread exit: release the thread's reader slot */
void
mk_store__reader_free(void *p)
{
	struct store_reader *rd = p;
	struct mk_store *st = rd->st;

	pthread_mutex_lock(&st->rlock);
	if (rd->next != NULL)
		rd->next->pprev = rd->pprev;
	*rd->pprev = rd->next;
	pthread_mutex_unlock(&st->rlock);
	if (rd->cur != NULL)
		mdb_cursor_close(rd->cur);
	if (rd->txn != NULL)
		mdb_txn_abort(rd->txn);
	free(rd);
}

/* store_reader_get - this thread's cached reader on st, made on first use */
static struct store_reader *
store_reader_get(struct mk_store *st)
{
	struct store_reader *rd = pthread_getspecific(st->rkey);

	if (rd == NULL) {
		rd = mk_calloc(1, sizeof(*rd));
		rd->st = st;
		pthread_mutex_lock(&st->rlock);
		rd->next = st->readers;
		if (rd->next != NULL)
			rd->next->pprev = &rd->next;
		rd->pprev = &st->readers;
		st->readers = rd;
		pthread_mutex_unlock(&st->rlock);
		pthread_setspecific(st->rkey, rd);
	}
	return rd;
}

int
mk_store__read_begin(struct mk_store *st, MDB_txn **txn)
{
	struct store_reader *rd = store_reader_get(st);
	int rc;

	for (int retry = 0;; retry++) {
		pthread_rwlock_rdlock(&st->maplock);
		if (rd->txn != NULL)
			rc = mdb_txn_renew(rd->txn);
		else
			rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &rd->txn);
		if (rc == 0) {
			*txn = rd->txn;
			return 0;
		}
		pthread_rwlock_unlock(&st->maplock);
		if (rc != MDB_MAP_RESIZED && rd->txn != NULL) {
			mdb_txn_abort(rd->txn);	/* begin afresh next time */
			rd->txn = NULL;
		}
		if (retry > 0 || (rc = store_recover(st, rc)) != 0)
			break;
	}
	return mk_store__mdb_err(rc, st, "begin read transaction");
}

/* mk_store__read_cursor - the calling thread's cursor on supp, in the read
 * transaction mk_store__read_begin() gave it; owned by the store, not closed */
int
mk_store__read_cursor(struct mk_store *st, MDB_txn *txn, MDB_cursor **cur)
{
	struct store_reader *rd = store_reader_get(st);
	int rc;

	if (rd->cur != NULL)
		rc = mdb_cursor_renew(txn, rd->cur);
	else
		rc = mdb_cursor_open(txn, st->supp, &rd->cur);
	if (rc != 0)
		return mk_store__mdb_err(rc, st, "open cursor");
	*cur = rd->cur;
	return 0;
}

void
mk_store__read_end(struct mk_store *st, MDB_txn *txn)
{
	mdb_txn_reset(txn);
	pthread_rwlock_unlock(&st->maplock);
}

void
mk_store__readers_close(struct mk_store *st)
{
	struct store_reader *rd, *next;

	pthread_key_delete(st->rkey);	/* no destructor runs after this */
	for (rd = st->readers; rd != NULL; rd = next) {
		next = rd->next;
		if (rd->cur != NULL)
			mdb_cursor_close(rd->cur);
		if (rd->txn != NULL)
			mdb_txn_abort(rd->txn);
		free(rd);
	}
	st->readers = NULL;
}
