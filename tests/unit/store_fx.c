/*
 * store_fx.c - the fixture of the store's unit tests (store_fx.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>

#include "mk_store.h"

#include "store_fx.h"


static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/test_store.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/suppress", f->dir);
	*state = f;
	return 0;
}

int
teardown(void **state)
{
	struct fx *f = *state;

	mk_store_close(f->st);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

struct mk_supp_entry
ent(const char *scope, const char *target, int reason, int64_t expires,
    const char *note)
{
	struct mk_supp_entry e;

	memset(&e, 0, sizeof(e));
	snprintf(e.scope, sizeof(e.scope), "%s", scope);
	snprintf(e.target, sizeof(e.target), "%s", target);
	e.reason = reason;
	e.created = NOW - 100;
	e.expires = expires;
	snprintf(e.note, sizeof(e.note), "%s", note);
	return e;
}

void
add(struct mk_store *st, const char *scope, const char *target, int reason,
    int64_t expires)
{
	struct mk_supp_entry e = ent(scope, target, reason, expires, "n");

	assert_int_equal(mk_supp_add(st, &e), 0);
}

struct mk_store *
create(struct fx *f, long long map_size)
{
	struct mk_store_opts o;

	memset(&o, 0, sizeof(o));
	o.map_size = map_size;
	assert_int_equal(mk_store_open(f->dir, MK_STORE_CREATE, &o, &f->st), 0);
	return f->st;
}

/* child_status - wait for pid, return its exit code (or 100 + signal) */
int
child_status(pid_t pid)
{
	int ws;

	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 100 + WTERMSIG(ws);
}

/* raw_meta_put - write one meta value with raw LMDB, as a newer program */
void
raw_put(const char *path, const char *db, const void *k, size_t kl,
    const void *v, size_t vl)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val key = { kl, (void *)k }, val = { vl, (void *)v };

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 4), 0);
	assert_int_equal(mdb_env_open(env, path, 0, 0640), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, db, 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &key, &val, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* import_n - import "uI@i.example" for I from..to (exclusive) by step */
void
import_n(struct mk_store *st, int from, int to, int step, int reason,
    size_t *added, size_t *replaced, int want)
{
	struct mk_supp_import *imp;
	struct mk_supp_entry e;
	char t[64];

	assert_int_equal(mk_supp_import_begin(st, &imp), 0);
	for (int i = from; i != to; i += step) {
		snprintf(t, sizeof(t), "user%07d@d%d.example", i, i % 7);
		e = ent(i % 3 ? "" : "s.example", t, reason, 0, "imported");
		assert_int_equal(mk_supp_import_add(imp, &e), 0);
	}
	assert_int_equal(mk_supp_import_commit(imp, added, replaced), want);
}
