/*
 * ratelimit_state.c - rate-limit state in DIR/ratelimit, an LMDB
 * environment of its own (see mk_ratelimit.h).
 *
 * Key = rule name, NUL, key value. Value = version byte, count byte, then
 * that many little-endian int64 TATs (messages rates first). Commits skip
 * the metadata flush (MDB_NOMETASYNC): a machine crash may undo the last
 * commits, never the file's integrity. Writes share one write transaction
 * (the batch) that is committed once it is RL_COMMIT_NS old or holds
 * RL_COMMIT_WRITES writes, so a busy daemon pays one commit for many
 * messages; reads see the batch. Replies do not wait for the commit: what
 * a dying process had not committed is lost, as after a machine crash.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mk_mem.h"
#include "ratelimit_priv.h"

#define RL_VAL_VERSION 1
#define RL_SCHEMA "1"
#define RL_COMMIT_NS (1000000LL)	/* a batch lives at most 1 ms */
#define RL_COMMIT_WRITES 256

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * MK_RL_NS + ts.tv_nsec;
}

static int
mkdir_p(const char *path)
{
	char buf[4096];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, 0750) != 0 && errno != EEXIST)
				return -1;
			*p = c;
			if (c == '\0')
				return 0;
		}
	}
}

/* A writer running as root gives the environment to the store's owner. */
static void
adopt_owner(const struct mk_rl_engine *e)
{
	static const char *const names[] = { "", "/data.mdb", "/lock.mdb" };
	char path[4200];
	struct stat top, sb;

	if (geteuid() != 0 || stat(e->top, &top) != 0 || top.st_uid == 0)
		return;
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s%s", e->dir, names[i]);
		if (lstat(path, &sb) == 0 && !S_ISLNK(sb.st_mode) &&
		    sb.st_uid != top.st_uid &&
		    chown(path, top.st_uid, top.st_gid) != 0) {
			/* the daemon will report the permission problem */
		}
	}
}

static int
env_open(struct mk_rl_engine *e)
{
	MDB_txn *txn;
	MDB_val k = { 14, "schema_version" }, v = { 1, RL_SCHEMA };
	MDB_dbi meta;
	int rc, dead;

	if (mkdir_p(e->dir) != 0)
		return rl_err("ratelimit store %s: %s", e->dir, strerror(errno));
	if ((rc = mdb_env_create(&e->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(e->env, 4)) != 0 ||
	    (rc = mdb_env_set_maxreaders(e->env, 256)) != 0 ||
	    (rc = mdb_env_set_mapsize(e->env, (size_t)e->map_size)) != 0 ||
	    (rc = mdb_env_open(e->env, e->dir, MDB_NOMETASYNC | MDB_NOTLS,
	    0640)) != 0)
		goto fail;
	mdb_reader_check(e->env, &dead);
	if ((rc = mdb_txn_begin(e->env, NULL, 0, &txn)) != 0)
		goto fail;
	if ((rc = mdb_dbi_open(txn, "rl", MDB_CREATE, &e->dbi)) != 0 ||
	    (rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &meta)) != 0 ||
	    (rc = mdb_put(txn, meta, &k, &v, 0)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0) {
		if (rc != 0)
			mdb_txn_abort(txn);
		goto fail;
	}
	adopt_owner(e);
	return 0;
fail:
	rl_err("ratelimit store %s: %s", e->dir, mdb_strerror(rc));
	if (e->env != NULL)
		mdb_env_close(e->env);
	e->env = NULL;
	return -1;
}

int
rl_env_ready(struct mk_rl_engine *e)
{
	time_t now = time(NULL);

	if (e->env != NULL)
		return 0;
	if (e->failed_at == now)
		return -1;		/* the last failure's message stands */
	if (env_open(e) != 0) {
		e->failed_at = now;
		return -1;
	}
	return 0;
}

static size_t
make_key(const char *rule, const char *key, char *buf)
{
	size_t rl = strlen(rule), kl = strlen(key);

	memcpy(buf, rule, rl);
	buf[rl] = '\0';
	memcpy(buf + rl + 1, key, kl);
	return rl + 1 + kl;
}

int
rl_decode(const MDB_val *v, int64_t *tat, int n)
{
	const unsigned char *b = v->mv_data;
	int have;

	memset(tat, 0, (size_t)n * sizeof(*tat));
	if (v->mv_size < 2 || b[0] != RL_VAL_VERSION ||
	    v->mv_size != 2 + (size_t)b[1] * 8)
		return -1;
	have = b[1] < n ? b[1] : n;
	for (int i = 0; i < have; i++) {
		uint64_t u = 0;
		for (int j = 0; j < 8; j++)
			u |= (uint64_t)b[2 + i * 8 + j] << (8 * j);
		tat[i] = (int64_t)u;
	}
	return 0;
}

/* The engine's read transaction, renewed for each read (no allocation),
 * adopting a map grown by another process. */
static int
read_begin(struct mk_rl_engine *e, MDB_txn **txn)
{
	int rc;

	if (e->rtxn != NULL)
		rc = mdb_txn_renew(e->rtxn);
	else
		rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &e->rtxn);
	if (rc == MDB_MAP_RESIZED) {
		if (e->rtxn != NULL)
			mdb_txn_abort(e->rtxn);
		e->rtxn = NULL;
		if (mdb_env_set_mapsize(e->env, 0) == 0)
			rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &e->rtxn);
	}
	if (rc != 0 && e->rtxn != NULL) {
		mdb_txn_abort(e->rtxn);		/* begin afresh next time */
		e->rtxn = NULL;
	}
	*txn = e->rtxn;
	return rc;
}

int
rl_state_read(struct mk_rl_engine *e, const char *rule, const char *key,
    int64_t *tat, int n)
{
	char kbuf[RL_NAME_MAX + MK_RL_KEY_MAX + 2];
	MDB_val k, v;
	MDB_txn *txn;
	int rc;

	memset(tat, 0, (size_t)n * sizeof(*tat));
	if (rl_env_ready(e) != 0)
		return -1;
	k.mv_data = kbuf;
	k.mv_size = make_key(rule, key, kbuf);
	txn = e->wtxn;
	if (txn == NULL && (rc = read_begin(e, &txn)) != 0)
		return rl_err("ratelimit store %s: %s", e->dir, mdb_strerror(rc));
	rc = mdb_get(txn, e->dbi, &k, &v);
	if (rc == 0 && rl_decode(&v, tat, n) != 0)
		memset(tat, 0, (size_t)n * sizeof(*tat));	/* start afresh */
	if (txn != e->wtxn)
		mdb_txn_reset(txn);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rl_err("ratelimit store %s: %s", e->dir, mdb_strerror(rc));
	return 0;
}

static int
write_fail(struct mk_rl_engine *e, int rc)
{
	if (e->wtxn != NULL)
		mdb_txn_abort(e->wtxn);
	e->wtxn = NULL;
	if (rc == MDB_MAP_FULL)
		return rl_err("ratelimit store %s is full (map_size %lld): raise"
		    " [store] map_size", e->dir, e->map_size);
	return rl_err("ratelimit store %s: %s", e->dir, mdb_strerror(rc));
}

int
rl_state_write(struct mk_rl_engine *e, const char *rule, const char *key,
    const int64_t *tat, int n)
{
	char kbuf[RL_NAME_MAX + MK_RL_KEY_MAX + 2];
	unsigned char vbuf[2 + 8 * 2 * MK_RL_RATES_MAX];
	MDB_val k, v;
	int rc;

	if (rl_env_ready(e) != 0)
		return -1;
	if (e->wtxn == NULL) {
		rc = mdb_txn_begin(e->env, NULL, 0, &e->wtxn);
		if (rc == MDB_MAP_RESIZED && mdb_env_set_mapsize(e->env, 0) == 0)
			rc = mdb_txn_begin(e->env, NULL, 0, &e->wtxn);
		if (rc != 0)
			return write_fail(e, rc);
		e->batch_started = mono_ns();
	}
	e->batch_writes++;
	vbuf[0] = RL_VAL_VERSION;
	vbuf[1] = (unsigned char)n;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < 8; j++)
			vbuf[2 + i * 8 + j] = (unsigned char)((uint64_t)tat[i] >>
			    (8 * j));
	k.mv_data = kbuf;
	k.mv_size = make_key(rule, key, kbuf);
	v.mv_data = vbuf;
	v.mv_size = 2 + (size_t)n * 8;
	if ((rc = mdb_put(e->wtxn, e->dbi, &k, &v, 0)) != 0)
		return write_fail(e, rc);
	return 0;
}

int
mk_rl_flush(struct mk_rl_engine *e, char *err, size_t errlen)
{
	int rc;

	if (e->wtxn == NULL)
		return 0;
	rc = mdb_txn_commit(e->wtxn);
	e->wtxn = NULL;
	e->batch_writes = 0;
	if (rc != 0) {
		write_fail(e, rc);
		snprintf(err, errlen, "%s", mk_rl_strerror());
		return -1;
	}
	return 0;
}

int
mk_rl_batch_end(struct mk_rl_engine *e, char *err, size_t errlen)
{
	if (e->wtxn == NULL || (mono_ns() - e->batch_started < RL_COMMIT_NS &&
	    e->batch_writes < RL_COMMIT_WRITES))
		return 0;
	return mk_rl_flush(e, err, errlen);
}

int
mk_rl_flush_due(const struct mk_rl_engine *e)
{
	int64_t left;

	if (e->wtxn == NULL)
		return -1;
	left = e->batch_started + RL_COMMIT_NS - mono_ns();
	return left <= 0 ? 0 : (int)((left + 999999) / 1000000);
}
