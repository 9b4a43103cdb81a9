/*
 * NAME
 *	store_import - all-or-nothing bulk import of suppression entries
 * SYNOPSIS
 *	#include "mk_store.h"
 *
 *	int	mk_supp_import_begin(struct mk_store *st,
 *			struct mk_supp_import **out);
 *	int	mk_supp_import_add(struct mk_supp_import *imp,
 *			const struct mk_supp_entry *e);
 *	int	mk_supp_import_commit(struct mk_supp_import *imp,
 *			size_t *added, size_t *replaced);
 *	void	mk_supp_import_abort(struct mk_supp_import *imp);
 * DESCRIPTION
 *	Entries are packed (key and record) into one growing arena in
 *	memory; nothing touches the store until commit. Commit sorts them by
 *	key (a later duplicate wins), then writes them in key order in one
 *	write transaction: with MDB_APPEND past the last key already stored
 *	(the whole import when the store is empty), with ordinary puts
 *	before it, and commits once, durably. A failure or a killed process
 *	leaves the store as it was.
 *
 *	mk_supp_import_commit() and mk_supp_import_abort() both free imp.
 *	added counts new keys, replaced keys that existed before the import.
 * DIAGNOSTICS
 *	MK_STORE_EFULL when the map cannot hold the import (nothing of it is
 *	stored); MK_STORE_EINVAL for a bad entry at add time.
 * SEE ALSO
 *	mk_store.h, store_supp.c
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "mk_mem.h"
#include "store_priv.h"

struct imp_item {
	uint64_t pfx;		/* first 8 key bytes, big-endian: cheap compare */
	uint64_t off;		/* key, then record, in the arena */
	uint32_t seq;		/* order of arrival, for duplicates */
	uint16_t klen;
	uint16_t vlen;
};

struct mk_supp_import {
	struct mk_store *st;
	unsigned char *arena;
	size_t alen, acap;
	struct imp_item *items;
	size_t n, cap;
};

/* One arena for the comparator; commits of imports do not nest. */
static _Thread_local const unsigned char *imp_arena;

int
mk_supp_import_begin(struct mk_store *st, struct mk_supp_import **out)
{
	*out = NULL;
	if (st->rdonly)
		return mk_store__err(MK_STORE_ERDONLY, "%s: opened read-only",
		    st->path);
	*out = mk_calloc(1, sizeof(**out));
	(*out)->st = st;
	return 0;
}

int
mk_supp_import_add(struct mk_supp_import *imp, const struct mk_supp_entry *e)
{
	char kbuf[STORE_KEY_MAX];
	struct imp_item *it;
	size_t klen, i;
	int rc;

	if ((rc = mk_store__entry_check(e)) != 0 ||
	    (rc = mk_store__key(e->scope, e->target, kbuf, &klen)) != 0)
		return rc;
	if (imp->n >= UINT32_MAX)
		return mk_store__err(MK_STORE_EINVAL, "import larger than %u entries",
		    UINT32_MAX);
	if (imp->acap - imp->alen < STORE_KEY_MAX + STORE_VAL_MAX) {
		imp->acap = imp->acap ? imp->acap * 2 : 1 << 20;
		imp->arena = mk_realloc(imp->arena, imp->acap);
	}
	if (imp->n == imp->cap) {
		imp->cap = imp->cap ? imp->cap * 2 : 1 << 14;
		imp->items = mk_realloc(imp->items, imp->cap * sizeof(*it));
	}
	it = &imp->items[imp->n];
	it->off = imp->alen;
	it->seq = (uint32_t)imp->n++;
	it->klen = (uint16_t)klen;
	memcpy(imp->arena + imp->alen, kbuf, klen);
	it->vlen = (uint16_t)mk_store__val_pack(e,
	    imp->arena + imp->alen + klen);
	imp->alen += klen + it->vlen;
	it->pfx = 0;
	for (i = 0; i < 8; i++)
		it->pfx = it->pfx << 8 | (i < klen ? (unsigned char)kbuf[i] : 0);
	return 0;
}

void
mk_supp_import_abort(struct mk_supp_import *imp)
{
	if (imp == NULL)
		return;
	free(imp->arena);
	free(imp->items);
	free(imp);
}

/* imp_keycmp - order of LMDB's default comparator (memcmp, then length) */
static int
imp_keycmp(const struct imp_item *a, const struct imp_item *b)
{
	size_t n = a->klen < b->klen ? a->klen : b->klen;
	int c;

	if (a->pfx != b->pfx)
		return a->pfx < b->pfx ? -1 : 1;
	if (n > 8 && (c = memcmp(imp_arena + a->off + 8, imp_arena + b->off + 8,
	    n - 8)) != 0)
		return c;
	return (a->klen > b->klen) - (a->klen < b->klen);
}

static int
imp_cmp(const void *pa, const void *pb)
{
	const struct imp_item *a = pa, *b = pb;
	int c = imp_keycmp(a, b);

	return c ? c : (a->seq > b->seq) - (a->seq < b->seq);
}

/* imp_unique - sort, keep the last of each run of equal keys */
static void
imp_unique(struct mk_supp_import *imp)
{
	size_t i, w = 0;

	if (imp->n == 0)
		return;		/* qsort() wants an array, even for nothing */
	imp_arena = imp->arena;
	qsort(imp->items, imp->n, sizeof(*imp->items), imp_cmp);
	for (i = 0; i < imp->n; i++) {
		if (i + 1 < imp->n &&
		    imp_keycmp(&imp->items[i], &imp->items[i + 1]) == 0)
			continue;
		imp->items[w++] = imp->items[i];
	}
	imp->n = w;
}

/* imp_write - put the sorted items with cur; append past last key */
static int
imp_write(struct mk_supp_import *imp, MDB_cursor *cur, size_t *added,
    size_t *replaced)
{
	char last[STORE_KEY_MAX];
	MDB_val k, v, lk;
	size_t llen = 0;
	int rc, append;

	rc = mdb_cursor_get(cur, &lk, &v, MDB_LAST);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	append = rc == MDB_NOTFOUND;
	if (!append) {
		llen = lk.mv_size < sizeof(last) ? lk.mv_size : sizeof(last);
		memcpy(last, lk.mv_data, llen);
	}
	for (size_t i = 0; i < imp->n; i++) {
		const struct imp_item *it = &imp->items[i];
		size_t n;
		int c;

		k.mv_data = imp->arena + it->off;
		k.mv_size = it->klen;
		v.mv_data = imp->arena + it->off + it->klen;
		v.mv_size = it->vlen;
		if (!append) {
			n = llen < k.mv_size ? llen : k.mv_size;
			c = memcmp(k.mv_data, last, n);
			append = c > 0 || (c == 0 && k.mv_size > llen);
		}
		if (append) {
			rc = mdb_cursor_put(cur, &k, &v, MDB_APPEND);
			(*added)++;
		} else if ((rc = mdb_cursor_put(cur, &k, &v,
		    MDB_NOOVERWRITE)) == MDB_KEYEXIST) {
			v.mv_data = imp->arena + it->off + it->klen;
			v.mv_size = it->vlen;	/* KEYEXIST gave the old one */
			rc = mdb_cursor_put(cur, &k, &v, MDB_CURRENT);
			(*replaced)++;
		} else {
			(*added)++;
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
mk_supp_import_commit(struct mk_supp_import *imp, size_t *added,
    size_t *replaced)
{
	struct mk_store *st = imp->st;
	size_t na = 0, nr = 0;
	MDB_cursor *cur;
	MDB_txn *txn;
	int rc;

	imp_unique(imp);
	if ((rc = mk_store__txn_begin(st, 0, &txn)) != 0)
		goto out;
	if ((rc = mdb_cursor_open(txn, st->supp, &cur)) == 0) {
		rc = imp_write(imp, cur, &na, &nr);
		mdb_cursor_close(cur);
	}
	if (rc != 0)
		rc = mk_store__mdb_err(rc, st, "import");
	mk_store__txn_done(st, txn, 1, &rc);
out:
	if (added != NULL)
		*added = rc == 0 ? na : 0;
	if (replaced != NULL)
		*replaced = rc == 0 ? nr : 0;
	mk_supp_import_abort(imp);
	return rc;
}
