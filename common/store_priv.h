/*
 * NAME
 *	store_priv - what the store's files share (private to common/store_*)
 * SYNOPSIS
 *	#include "store_priv.h"
 *
 *	int	mk_store__err(int code, const char *fmt, ...);
 *	int	mk_store__mdb_err(int rc, const struct mk_store *st,
 *			const char *what);
 *	int	mk_store__txn_begin(struct mk_store *st, int rdonly,
 *			MDB_txn **txn);
 *	void	mk_store__txn_done(struct mk_store *st, MDB_txn *txn,
 *			int commit, int *rc);
 *	int	mk_store__read_begin(struct mk_store *st, MDB_txn **txn);
 *	int	mk_store__read_cursor(struct mk_store *st, MDB_txn *txn,
 *			MDB_cursor **cur);
 *	void	mk_store__reader_free(void *p);
 *	void	mk_store__readers_close(struct mk_store *st);
 *	int	mk_store__rmtree(const char *path);
 *	void	mk_store__read_end(struct mk_store *st, MDB_txn *txn);
 *	int	mk_store__key(const char *scope, const char *target, char *buf,
 *			size_t *len);
 *	int	mk_store__entry_check(const struct mk_supp_entry *e);
 *	size_t	mk_store__val_pack(const struct mk_supp_entry *e,
 *			unsigned char *buf);
 * DESCRIPTION
 *	The handle, the error-detail helpers, transaction helpers that
 *	survive a grown map and a full reader table, and the record codec.
 *	Names of the form mk_store__name (two underscores) are private to the
 *	module: shared between its files (and its tests), never called
 *	elsewhere.
 *
 *	mk_store__txn_begin() begins a fresh transaction holding the map lock
 *	(shared); mk_store__txn_done() commits or aborts it, maps a failed
 *	commit into *rc, and releases the lock. mk_store__read_begin() and
 *	mk_store__read_end() use the calling thread's cached read
 *	transaction (reset and renewed, so the reader slot is kept); they are
 *	for short reads that call no user code. mk_store__read_cursor() gives
 *	the thread's cursor on the entries, renewed in that transaction; the
 *	store owns it.
 *	mk_store__key() lays a key out as domain NUL local NUL scope.
 *
 *	Record (value) layout, version 1, little-endian:
 *	  byte 0 version (1), byte 1 reason, bytes 2..9 created,
 *	  bytes 10..17 expires, bytes 18..19 note length, then the note.
 */
#ifndef STORE_PRIV_H
#define STORE_PRIV_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

#include "mk_store.h"

#define STORE_SUBDIR "suppress"
#define STORE_VAL_VERSION 1
#define STORE_VAL_HDR 20
#define STORE_VAL_MAX (STORE_VAL_HDR + MK_SUPP_NOTE_MAX)
#define STORE_KEY_MAX 511	/* LMDB's default maximum key size */
#define STORE_DEFAULT_MAP (4LL << 30)

struct store_reader;

struct mk_store {
	MDB_env *env;
	MDB_dbi meta;
	MDB_dbi supp;
	int rdonly;
	int staged;			/* at DIR/suppress.new, not published */
	char path[4096];		/* DIR/suppress (or .new) */
	char final[4096];		/* DIR/suppress */
	struct mk_addr_opts addr;	/* recorded normalization */
	int schema_version;
	pthread_rwlock_t maplock;	/* shared: in a txn; exclusive: remap */
	pthread_mutex_t rlock;		/* guards readers */
	pthread_key_t rkey;		/* this thread's cached reader */
	struct store_reader *readers;	/* every cached reader, for close */
};

int mk_store__err(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int mk_store__mdb_err(int rc, const struct mk_store *st, const char *what);
int mk_store__txn_begin(struct mk_store *st, int rdonly, MDB_txn **txn);
void mk_store__txn_done(struct mk_store *st, MDB_txn *txn, int commit,
    int *rc);
int mk_store__read_begin(struct mk_store *st, MDB_txn **txn);
int mk_store__read_cursor(struct mk_store *st, MDB_txn *txn,
    MDB_cursor **cur);
void mk_store__read_end(struct mk_store *st, MDB_txn *txn);
void mk_store__reader_free(void *p);
void mk_store__readers_close(struct mk_store *st);
int mk_store__rmtree(const char *path);

int mk_store__key(const char *scope, const char *target, char *buf,
    size_t *len);
int mk_store__entry_check(const struct mk_supp_entry *e);
size_t mk_store__val_pack(const struct mk_supp_entry *e, unsigned char *buf);

#endif
