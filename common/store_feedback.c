/*
 * NAME
 *	store_feedback.c - the feedback/ environment (see mk_feedback.h)
 * DESCRIPTION
 *	Two databases beside "meta": "soft" (key: scope NUL recipient NUL,
 *	value: up to MK_FEEDBACK_SOFT_MAX little-endian 64-bit times, oldest
 *	first) and "seen" (key: report id, value: the 64-bit time after
 *	which it may be forgotten). One process writes it (ingest, as the
 *	store's owner); LMDB serializes writers anyway.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <lmdb.h>

#include "mk_feedback.h"
#include "mk_mem.h"
#include "store_priv.h"

#define FB_SUBDIR "feedback"
#define FB_DEFAULT_MAP (1LL << 30)
#define FB_KEY_MAX (MK_SUPP_SCOPE_MAX + MK_SUPP_TARGET_MAX + 2)

struct mk_feedback {
	MDB_env *env;
	MDB_dbi meta, soft, seen;
	MDB_txn *txn;			/* the open write transaction */
	char path[4096];
};

/* An LMDB error as MK_STORE_E*, with the environment's path in front. */
static int
fb_err(const struct mk_feedback *fb, int rc, const char *what)
{
	char detail[600];
	int code = mk_store__mdb_err(rc, NULL, what);

	snprintf(detail, sizeof(detail), "%s", mk_store_errdetail(NULL));
	if (code == MK_STORE_EFULL)
		return mk_store__err(code, "%s: %s: map full: raise [store] "
		    "map_size", fb->path, what);
	return mk_store__err(code, "%s%s", fb->path, detail);
}

const char *
mk_feedback_errdetail(void)
{
	return mk_store_errdetail(NULL);
}

static void
put64(unsigned char *p, int64_t v)
{
	uint64_t u = (uint64_t)v;

	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(u >> (8 * i));
}

static int64_t
get64(const unsigned char *p)
{
	uint64_t u = 0;

	for (int i = 7; i >= 0; i--)
		u = (u << 8) | p[i];
	return (int64_t)u;
}

/* Creates DIR and DIR/feedback (0750) when missing. */
static int
fb_mkdirs(const char *dir, const char *path)
{
	const char *d[2] = { dir, path };

	for (int i = 0; i < 2; i++)
		if (mkdir(d[i], 0750) != 0 && errno != EEXIST)
			return mk_store__err(errno == EACCES || errno == EPERM ?
			    MK_STORE_EACCES : MK_STORE_EIO, "mkdir %s: %s", d[i],
			    strerror(errno));
	return 0;
}

/* The schema version: written into a new environment, checked in one. */
static int
fb_schema(struct mk_feedback *fb, MDB_txn *txn)
{
	MDB_val k = { 14, (void *)"schema_version" }, v;
	char buf[16];
	int rc;

	rc = mdb_get(txn, fb->meta, &k, &v);
	if (rc == MDB_NOTFOUND) {
		int n = snprintf(buf, sizeof(buf), "%d",
		    MK_FEEDBACK_SCHEMA_VERSION);

		v.mv_size = (size_t)n;
		v.mv_data = buf;
		return (rc = mdb_put(txn, fb->meta, &k, &v, 0)) == 0 ? 0 :
		    fb_err(fb, rc, "write the schema version");
	}
	if (rc != 0)
		return fb_err(fb, rc, "read the schema version");
	if (v.mv_size == 0 || v.mv_size >= sizeof(buf))
		return mk_store__err(MK_STORE_ECORRUPT, "%s: bad schema version",
		    fb->path);
	memcpy(buf, v.mv_data, v.mv_size);
	buf[v.mv_size] = '\0';
	if (atoi(buf) > MK_FEEDBACK_SCHEMA_VERSION)
		return mk_store__err(MK_STORE_EVERSION, "%s: schema %s is newer "
		    "than this program's %d", fb->path, buf,
		    MK_FEEDBACK_SCHEMA_VERSION);
	return 0;
}

int
mk_feedback_open(const char *dir, long long map_size, struct mk_feedback **out)
{
	struct mk_feedback *fb;
	MDB_txn *txn = NULL;
	int rc, code;

	*out = NULL;
	fb = mk_calloc(1, sizeof(*fb));
	if ((size_t)snprintf(fb->path, sizeof(fb->path), "%s/%s", dir,
	    FB_SUBDIR) >= sizeof(fb->path)) {
		free(fb);
		return mk_store__err(MK_STORE_EINVAL, "%.80s...: path too long",
		    dir);
	}
	if ((code = fb_mkdirs(dir, fb->path)) != 0) {
		free(fb);
		return code;
	}
	if ((rc = mdb_env_create(&fb->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(fb->env, 4)) != 0 ||
	    (rc = mdb_env_set_mapsize(fb->env, (size_t)(map_size > 0 ?
	    map_size : FB_DEFAULT_MAP))) != 0 ||
	    (rc = mdb_env_open(fb->env, fb->path, MDB_NOTLS, 0640)) != 0 ||
	    (rc = mdb_txn_begin(fb->env, NULL, 0, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &fb->meta)) != 0 ||
	    (rc = mdb_dbi_open(txn, "soft", MDB_CREATE, &fb->soft)) != 0 ||
	    (rc = mdb_dbi_open(txn, "seen", MDB_CREATE, &fb->seen)) != 0) {
		code = fb_err(fb, rc, "open");
		goto fail;
	}
	/* Stale reader slots of killed processes. */
	mdb_reader_check(fb->env, NULL);
	if ((code = fb_schema(fb, txn)) != 0)
		goto fail;
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc != 0) {
		code = fb_err(fb, rc, "create");
		goto fail;
	}
	*out = fb;
	return 0;
fail:
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (fb->env != NULL)
		mdb_env_close(fb->env);
	free(fb);
	return code;
}

void
mk_feedback_close(struct mk_feedback *fb)
{
	if (fb == NULL)
		return;
	if (fb->txn != NULL)
		mdb_txn_abort(fb->txn);
	mdb_env_close(fb->env);
	free(fb);
}

int
mk_feedback_begin(struct mk_feedback *fb)
{
	int rc;

	if (fb->txn != NULL)
		return mk_store__err(MK_STORE_EINVAL, "%s: a transaction is "
		    "already open", fb->path);
	if ((rc = mdb_txn_begin(fb->env, NULL, 0, &fb->txn)) != 0) {
		fb->txn = NULL;
		return fb_err(fb, rc, "begin");
	}
	return 0;
}

int
mk_feedback_commit(struct mk_feedback *fb)
{
	int rc;

	if (fb->txn == NULL)
		return mk_store__err(MK_STORE_EINVAL, "%s: no transaction",
		    fb->path);
	rc = mdb_txn_commit(fb->txn);
	fb->txn = NULL;
	return rc == 0 ? 0 : fb_err(fb, rc, "commit");
}

void
mk_feedback_abort(struct mk_feedback *fb)
{
	if (fb != NULL && fb->txn != NULL) {
		mdb_txn_abort(fb->txn);
		fb->txn = NULL;
	}
}

int
mk_feedback_seen(struct mk_feedback *fb, const char *id, int64_t now,
    int64_t keep)
{
	MDB_val k, v;
	unsigned char buf[8];
	size_t n = id != NULL ? strlen(id) : 0;
	int rc;

	if (fb->txn == NULL || n == 0 || n > MK_FEEDBACK_ID_MAX)
		return mk_store__err(MK_STORE_EINVAL, "%s: seen: bad call",
		    fb->path);
	k.mv_size = n;
	k.mv_data = (void *)id;
	rc = mdb_get(fb->txn, fb->seen, &k, &v);
	if (rc == 0 && v.mv_size == 8 && get64(v.mv_data) > now)
		return 1;
	if (rc != 0 && rc != MDB_NOTFOUND)
		return fb_err(fb, rc, "seen");
	put64(buf, now + keep);
	v.mv_size = 8;
	v.mv_data = buf;
	return (rc = mdb_put(fb->txn, fb->seen, &k, &v, 0)) == 0 ? 0 :
	    fb_err(fb, rc, "seen");
}

static int
soft_key(const char *scope, const char *rcpt, char *buf, size_t *len)
{
	size_t s = strlen(scope), r = strlen(rcpt);

	if (s > MK_SUPP_SCOPE_MAX || r == 0 || r > MK_SUPP_TARGET_MAX)
		return mk_store__err(MK_STORE_EINVAL, "feedback: scope or "
		    "recipient too long");
	memcpy(buf, scope, s + 1);
	memcpy(buf + s + 1, rcpt, r + 1);
	*len = s + r + 2;
	return 0;
}

/* The times of one row within (now - window, now], oldest first. */
static unsigned
soft_times(const MDB_val *v, int64_t now, int64_t window, int64_t *t)
{
	unsigned n = 0;

	for (size_t i = 0; i + 8 <= v->mv_size &&
	    n < MK_FEEDBACK_SOFT_MAX; i += 8) {
		int64_t x = get64((const unsigned char *)v->mv_data + i);

		if (x > now - window && x <= now)
			t[n++] = x;
	}
	return n;
}

int
mk_feedback_soft_count(struct mk_feedback *fb, const char *scope,
    const char *rcpt, int64_t now, int64_t window, unsigned *count)
{
	char key[FB_KEY_MAX];
	int64_t t[MK_FEEDBACK_SOFT_MAX];
	MDB_txn *txn = fb->txn;
	MDB_val k, v;
	int rc, code;

	*count = 0;
	if ((code = soft_key(scope, rcpt, key, &k.mv_size)) != 0)
		return code;
	k.mv_data = key;
	if (txn == NULL && (rc = mdb_txn_begin(fb->env, NULL, MDB_RDONLY,
	    &txn)) != 0)
		return fb_err(fb, rc, "read");
	rc = mdb_get(txn, fb->soft, &k, &v);
	if (rc == 0)
		*count = soft_times(&v, now, window, t);
	if (txn != fb->txn)
		mdb_txn_abort(txn);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : fb_err(fb, rc, "read");
}

int
mk_feedback_soft(struct mk_feedback *fb, const char *scope, const char *rcpt,
    int64_t now, int64_t window, unsigned *count)
{
	char key[FB_KEY_MAX];
	int64_t t[MK_FEEDBACK_SOFT_MAX + 1];
	unsigned char buf[8 * MK_FEEDBACK_SOFT_MAX];
	unsigned n = 0, first = 0;
	MDB_val k, v;
	int rc, code;

	*count = 0;
	if (fb->txn == NULL)
		return mk_store__err(MK_STORE_EINVAL, "%s: soft: no "
		    "transaction", fb->path);
	if ((code = soft_key(scope, rcpt, key, &k.mv_size)) != 0)
		return code;
	k.mv_data = key;
	rc = mdb_get(fb->txn, fb->soft, &k, &v);
	if (rc == 0)
		n = soft_times(&v, now, window, t);
	else if (rc != MDB_NOTFOUND)
		return fb_err(fb, rc, "soft");
	t[n++] = now;
	if (n > MK_FEEDBACK_SOFT_MAX)
		first = n - MK_FEEDBACK_SOFT_MAX;
	for (unsigned i = first; i < n; i++)
		put64(buf + 8 * (i - first), t[i]);
	v.mv_size = 8 * (size_t)(n - first);
	v.mv_data = buf;
	if ((rc = mdb_put(fb->txn, fb->soft, &k, &v, 0)) != 0)
		return fb_err(fb, rc, "soft");
	*count = n - first;
	return 0;
}

int
mk_feedback_soft_clear(struct mk_feedback *fb, const char *scope,
    const char *rcpt)
{
	char key[FB_KEY_MAX];
	MDB_val k;
	int rc, code;

	if (fb->txn == NULL)
		return mk_store__err(MK_STORE_EINVAL, "%s: clear: no "
		    "transaction", fb->path);
	if ((code = soft_key(scope, rcpt, key, &k.mv_size)) != 0)
		return code;
	k.mv_data = key;
	rc = mdb_del(fb->txn, fb->soft, &k, NULL);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : fb_err(fb, rc, "clear");
}

/* Deletes up to *budget expired records of one database. */
static int
purge_db(struct mk_feedback *fb, MDB_dbi dbi, int is_seen, int64_t now,
    int64_t window, size_t *budget, size_t *removed)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int64_t t[MK_FEEDBACK_SOFT_MAX];
	int rc;

	if ((rc = mdb_cursor_open(fb->txn, dbi, &cur)) != 0)
		return fb_err(fb, rc, "purge");
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 &&
	    *budget > 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		int dead = is_seen ? (v.mv_size != 8 ||
		    get64(v.mv_data) <= now) :
		    soft_times(&v, now, window, t) == 0;

		if (!dead)
			continue;
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
		(*budget)--;
		(*removed)++;
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : fb_err(fb, rc, "purge");
}

int
mk_feedback_purge(struct mk_feedback *fb, int64_t now, int64_t window,
    size_t max, size_t *removed)
{
	size_t budget = max;
	int code;

	*removed = 0;
	if (fb->txn == NULL)
		return mk_store__err(MK_STORE_EINVAL, "%s: purge: no "
		    "transaction", fb->path);
	if ((code = purge_db(fb, fb->seen, 1, now, window, &budget,
	    removed)) != 0)
		return code;
	return purge_db(fb, fb->soft, 0, now, window, &budget, removed);
}
