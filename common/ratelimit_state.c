/*
 * ratelimit_state.c - rate-limit state in DIR/ratelimit, an LMDB
 * environment of its own (see mk_ratelimit.h).
 *
 * Key = rule name, NUL, key value. Value = version byte, count byte, then
 * that many little-endian int64 TATs (messages rates first). Commits skip
 * the metadata flush (MDB_NOMETASYNC): a machine crash may undo the last
 * commits, never the file's integrity.
 *
 * No request waits for a commit. The checking thread reads a snapshot
 * of the store and hands each count to the engine's writer thread
 * (ratelimit_writer.c), which commits what it holds once the oldest update
 * is RL_COMMIT_NS (1 ms) old or RL_COMMIT_WRITES (256) are queued, in one
 * write transaction: a commit's page writes and fdatasync (0.1 to 1 ms
 * here) happen beside the answers, not in front of them. Until the commit
 * the overlay (ratelimit_overlay.c) holds the counted values, and reads
 * look there first: counting stays exact within the process. Other
 * processes see the counts once committed, about 1 to 2 ms later; updates
 * are merges (TAT = max(TAT, now) + cost), so concurrent counts of several
 * processes add up. What a dying process had not committed is lost, as
 * after a machine crash. The write transaction is open only while the
 * writer applies a batch, so `milterkit ratelimit reset` and other
 * processes wait for the lock at most one commit.
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

static int
env_open(struct mk_rl_engine *e)
{
	MDB_txn *txn;
	MDB_val k = { 14, "schema_version" }, v = { 1, RL_SCHEMA };
	MDB_dbi meta;
	int rc, dead;

	if (mkdir_p(e->dir) != 0)
		return mk_rl__err(MK_RL_ESTORE, "ratelimit store %s: %s",
		    e->dir, strerror(errno));
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
	return 0;
fail:
	if (e->env != NULL)
		mdb_env_close(e->env);
	e->env = NULL;
	return mk_rl__err(MK_RL_ESTORE, "ratelimit store %s: %s", e->dir,
	    mdb_strerror(rc));
}

int
mk_rl__env_ready(struct mk_rl_engine *e)
{
	time_t now = time(NULL);
	int rc;

	if (e->env != NULL)
		return 0;
	if (e->failed_at == now)
		return MK_RL_ESTORE;	/* the last failure's message stands */
	if ((rc = env_open(e)) != 0)
		e->failed_at = now;
	return rc;
}

int
mk_rl_engine_check(struct mk_rl_engine *e)
{
	e->failed_at = 0;		/* now, whatever failed before */
	return mk_rl__env_ready(e);
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
mk_rl__decode(const MDB_val *v, int64_t *tat, int n)
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

size_t
mk_rl__encode(const int64_t *tat, int n, unsigned char *buf)
{
	buf[0] = RL_VAL_VERSION;
	buf[1] = (unsigned char)n;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < 8; j++)
			buf[2 + i * 8 + j] = (unsigned char)((uint64_t)tat[i] >>
			    (8 * j));
	return 2 + (size_t)n * 8;
}

/* Adopt a map another process grew (MDB_MAP_RESIZED): LMDB wants no
 * transaction of this process active, so the writer is held out. 0, or
 * -1 with mk_rl__err(). */
static int
remap(struct mk_rl_engine *e)
{
	int rc;

	if (e->rtxn != NULL)
		mdb_txn_abort(e->rtxn);
	e->rtxn = NULL;
	mk_rl__wr_hold(e->wr, 1);
	rc = mdb_env_set_mapsize(e->env, 0);
	mk_rl__wr_hold(e->wr, 0);
	if (rc != 0)
		return mk_rl__err(MK_RL_ESTORE, "ratelimit store %s: cannot"
		    " adopt the map grown by another process: %s", e->dir,
		    mdb_strerror(rc));
	return 0;
}

/* The engine's read transaction, renewed for each read (no allocation). */
static int
read_begin(struct mk_rl_engine *e, MDB_txn **txn)
{
	int rc;

	if (e->rtxn != NULL)
		rc = mdb_txn_renew(e->rtxn);
	else
		rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &e->rtxn);
	if (rc == MDB_MAP_RESIZED && remap(e) == 0)
		rc = mdb_txn_begin(e->env, NULL, MDB_RDONLY, &e->rtxn);
	if (rc != 0 && e->rtxn != NULL) {
		mdb_txn_abort(e->rtxn);		/* begin afresh next time */
		e->rtxn = NULL;
	}
	*txn = e->rtxn;
	return rc;
}

int
mk_rl__state_read(struct mk_rl_engine *e, const char *rule, const char *key,
    int64_t *tat, int n)
{
	char kbuf[RL_KEY_BUF];
	MDB_val k, v;
	MDB_txn *txn;
	int rc;

	memset(tat, 0, (size_t)n * sizeof(*tat));
	if ((rc = mk_rl__env_ready(e)) != 0)
		return rc;
	k.mv_data = kbuf;
	k.mv_size = make_key(rule, key, kbuf);
	if (e->wr != NULL) {
		/* Counts not committed yet are in the overlay; the snapshot
		 * begun below includes every commit pruned here. */
		if (mk_rl__wr_remap_wanted(e->wr) && (rc = remap(e)) != 0)
			return rc;
		mk_rl__ov_prune(e->ov, mk_rl__wr_committed(e->wr));
		if (mk_rl__ov_get(e->ov, kbuf, k.mv_size, tat, n))
			return 0;
	}
	if ((rc = read_begin(e, &txn)) != 0)
		return mk_rl__err(MK_RL_ESTORE, "ratelimit store %s: %s",
		    e->dir, mdb_strerror(rc));
	rc = mdb_get(txn, e->dbi, &k, &v);
	if (rc == 0 && mk_rl__decode(&v, tat, n) != 0)
		memset(tat, 0, (size_t)n * sizeof(*tat));	/* start afresh */
	mdb_txn_reset(txn);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return mk_rl__err(MK_RL_ESTORE, "ratelimit store %s: %s",
		    e->dir, mdb_strerror(rc));
	return 0;
}

int
mk_rl__state_write(struct mk_rl_engine *e, const char *rule, const char *key,
    int64_t now, const int64_t *add, const int64_t *tat, int n)
{
	char kbuf[RL_KEY_BUF], cause[256];
	size_t klen;
	uint64_t seq;
	int rc;

	if ((rc = mk_rl__env_ready(e)) != 0)
		return rc;
	if (e->wr == NULL) {
		if ((rc = mk_rl__wr_start(&e->wr, e->env, e->dbi, e->dir,
		    e->map_size, RL_QUEUE_MAX)) != 0)
			return rc;
		e->ov = mk_rl__ov_new();
	}
	klen = make_key(rule, key, kbuf);
	while ((seq = mk_rl__wr_push(e->wr, kbuf, klen, now, add, n)) == 0)
		if ((rc = remap(e)) != 0)
			return rc;
	mk_rl__ov_put(e->ov, kbuf, klen, tat, n, seq);
	if (mk_rl__wr_failing(e->wr, cause, sizeof(cause)))
		return mk_rl__err(MK_RL_ESTORE, "%s (counters not saved)",
		    cause);
	return 0;
}

/* Errors of the writer since the last call: 0, or MK_RL_ESTORE and err. */
static int
report(struct mk_rl_engine *e, char *err, size_t errlen)
{
	char cause[256];
	size_t lost = mk_rl__wr_report(e->wr, cause, sizeof(cause));

	if (lost == 0)
		return 0;
	snprintf(err, errlen, "%s (%zu counter updates lost)", cause, lost);
	return MK_RL_ESTORE;
}

int
mk_rl_flush(struct mk_rl_engine *e, char *err, size_t errlen)
{
	int rc;

	if (e->wr == NULL)
		return 0;
	while (mk_rl__wr_flush(e->wr) != 0) {
		if ((rc = remap(e)) != 0) {
			snprintf(err, errlen, "%s", mk_rl_errdetail());
			return rc;
		}
	}
	return report(e, err, errlen);
}

int
mk_rl_batch_end(struct mk_rl_engine *e, char *err, size_t errlen)
{
	int rc;

	if (e->wr == NULL)
		return 0;
	if (mk_rl__wr_remap_wanted(e->wr) && (rc = remap(e)) != 0) {
		snprintf(err, errlen, "%s", mk_rl_errdetail());
		return rc;
	}
	return report(e, err, errlen);
}

void
mk_rl__state_close(struct mk_rl_engine *e)
{
	char err[512];

	if (mk_rl_flush(e, err, sizeof(err)) != 0) {
		/* the counts of the last milliseconds are lost; said above */
	}
	mk_rl__wr_stop(e->wr);
	mk_rl__ov_free(e->ov);
	e->wr = NULL;
	e->ov = NULL;
	if (e->rtxn != NULL)
		mdb_txn_abort(e->rtxn);
	e->rtxn = NULL;
	if (e->env != NULL)
		mdb_env_close(e->env);
	e->env = NULL;
}
