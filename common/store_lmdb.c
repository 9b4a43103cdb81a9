/*
 * NAME
 *	store_lmdb - open and close the suppression store's LMDB environment
 * SYNOPSIS
 *	#include "mk_store.h"
 *
 *	int	mk_store_open(const char *dir, int flags,
 *			const struct mk_store_opts *opts, struct mk_store **out);
 *	void	mk_store_close(struct mk_store *st);
 *	const char *mk_store_strerror(int code);
 *	const char *mk_store_errdetail(const struct mk_store *st);
 *	const struct mk_addr_opts *mk_store_addr_opts(const struct mk_store *st);
 *	const char *mk_reason_name(int reason);
 *	int	mk_reason_parse(const char *name);
 * DESCRIPTION
 *	DIR/suppress is an LMDB environment (data.mdb, lock.mdb) with two
 *	named databases: "meta" (schema_version, created, exact_local,
 *	strip_subaddress, subaddress_delim, as decimal text) and "supp" (the
 *	entries, see store_supp.c). It is opened with MDB_NOTLS, since
 *	milters read from many threads, and stale reader slots of killed
 *	processes are cleared at open. A data file shorter than the pages it
 *	claims is refused before any page is read.
 *
 *	Also here: the error detail and the reasons' names. Transactions are
 *	in store_txn.c, staged creation (MK_STORE_STAGED) in store_stage.c.
 * DIAGNOSTICS
 *	Negative MK_STORE_E* codes; the detail (path, system or LMDB message,
 *	what to raise) sits in a thread-local buffer, mk_store_errdetail().
 * SEE ALSO
 *	mk_store.h, store_txn.c, store_stage.c, store_supp.c, store_import.c
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include "mk_mem.h"
#include "store_priv.h"

#define STORE_MAXREADERS 1024	/* readers: every thread of every process */

static _Thread_local char store_detail[1024];

static const char *const store_reasons[MK_REASON_COUNT] = {
	"any", "bounce", "complaint", "unsubscribe", "manual"
};

/* mk_store__err - remember the detail of an error, return its code */
int
mk_store__err(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(store_detail, sizeof(store_detail), fmt, ap);
	va_end(ap);
	return code;
}

/* mk_store__mdb_err - map an LMDB or errno code to MK_STORE_E* with detail */
int
mk_store__mdb_err(int rc, const struct mk_store *st, const char *what)
{
	const char *path = st ? st->path : "";
	MDB_envinfo ei;

	switch (rc) {
	case MDB_MAP_FULL:
		ei.me_mapsize = 0;
		if (st != NULL && st->env != NULL)
			mdb_env_info(st->env, &ei);
		return mk_store__err(MK_STORE_EFULL, "%s: %s: map full at %zu bytes:"
		    " raise [store] map_size", path, what, ei.me_mapsize);
	case MDB_READERS_FULL:
		return mk_store__err(MK_STORE_EBUSY, "%s: %s: %s", path, what,
		    mdb_strerror(rc));
	case MDB_NOTFOUND:
		return mk_store__err(MK_STORE_ENOTFOUND,
		    "%s: %s: no such entry", path, what);
	case MDB_CORRUPTED: case MDB_INVALID: case MDB_PAGE_NOTFOUND:
	case MDB_VERSION_MISMATCH: case MDB_INCOMPATIBLE: case MDB_PANIC:
		return mk_store__err(MK_STORE_ECORRUPT, "%s: %s: %s", path,
		    what, mdb_strerror(rc));
	case MDB_BAD_VALSIZE:
		return mk_store__err(MK_STORE_EINVAL, "%s: %s: %s", path, what,
		    mdb_strerror(rc));
	case EACCES: case EPERM:
		return mk_store__err(MK_STORE_EACCES, "%s: %s: %s", path, what,
		    strerror(rc));
	case ENOENT:
		return mk_store__err(MK_STORE_ENOENT, "%s: %s: %s", path, what,
		    strerror(rc));
	case EROFS:
		return mk_store__err(MK_STORE_ERDONLY, "%s: %s: %s", path, what,
		    strerror(rc));
	default:
		return mk_store__err(MK_STORE_EIO, "%s: %s: %s", path, what,
		    mdb_strerror(rc));
	}
}

const char *
mk_store_strerror(int code)
{
	switch (code) {
	case MK_STORE_OK: return "success";
	case MK_STORE_ENOTFOUND: return "no such entry";
	case MK_STORE_ENOENT: return "store does not exist";
	case MK_STORE_EACCES: return "permission denied";
	case MK_STORE_EVERSION: return "store schema is newer than this program";
	case MK_STORE_EOPTS:
		return "store was built with a different address normalization";
	case MK_STORE_EFULL: return "store map is full: raise [store] map_size";
	case MK_STORE_EINVAL: return "invalid argument";
	case MK_STORE_ECORRUPT: return "not a milterkit store, or a bad record";
	case MK_STORE_EIO: return "store I/O error";
	case MK_STORE_ERDONLY: return "store is open read-only";
	case MK_STORE_EBUSY: return "store busy (too many readers or a lock)";
	default: return "unknown store error";
	}
}

const char *
mk_store_errdetail(const struct mk_store *st)
{
	(void)st;
	return store_detail;
}

const struct mk_addr_opts *
mk_store_addr_opts(const struct mk_store *st)
{
	return &st->addr;
}

const char *
mk_reason_name(int reason)
{
	if (reason < 0 || reason >= MK_REASON_COUNT)
		return "unknown";
	return store_reasons[reason];
}

int
mk_reason_parse(const char *name)
{
	for (int i = 0; i < MK_REASON_COUNT; i++)
		if (name != NULL && strcasecmp(name, store_reasons[i]) == 0)
			return i;
	return mk_store__err(MK_STORE_EINVAL, "unknown reason \"%.40s\"",
	    name ? name : "");
}

/* store_mkdir - mkdir -p PATH with mode 0750 */
static int
store_mkdir(const char *path)
{
	char buf[sizeof(((struct mk_store *)0)->path)];
	struct stat sb;
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return mk_store__err(MK_STORE_EINVAL, "%.80s...: path too long", path);
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0750) != 0 && errno != EEXIST)
			return mk_store__err(errno == EACCES || errno == EPERM ?
			    MK_STORE_EACCES : MK_STORE_EIO, "mkdir %s: %s", buf,
			    strerror(errno));
		if (stat(buf, &sb) != 0 || !S_ISDIR(sb.st_mode))
			return mk_store__err(MK_STORE_EIO, "%s: not a directory", buf);
		buf[i] = path[i];
	}
	return 0;
}

/* store_exists - the environment is there and reachable */
static int
store_exists(const char *path)
{
	char file[sizeof(((struct mk_store *)0)->path) + 16];
	struct stat sb;

	snprintf(file, sizeof(file), "%s/data.mdb", path);
	if (stat(file, &sb) == 0 && sb.st_size == 0)
		return mk_store__err(MK_STORE_ECORRUPT, "%s: an empty file, not"
		    " a store (its creation never finished?)", file);
	if (stat(file, &sb) == 0)
		return 0;
	if (errno == ENOENT || errno == ENOTDIR)
		return mk_store__err(MK_STORE_ENOENT, "%s: no store here (%s)",
		    file, strerror(errno));
	if (errno == EACCES || errno == EPERM)
		return mk_store__err(MK_STORE_EACCES, "%s: %s", file,
		    strerror(errno));
	return mk_store__err(MK_STORE_EIO, "%s: %s", file, strerror(errno));
}

/* meta_get - read one decimal value of the meta database */
static int
meta_get(struct mk_store *st, MDB_txn *txn, const char *name, long long *v)
{
	MDB_val k = { strlen(name), (void *)name }, d;
	char buf[32], *end;
	int rc;

	if ((rc = mdb_get(txn, st->meta, &k, &d)) != 0)
		return rc == MDB_NOTFOUND ? mk_store__err(MK_STORE_ECORRUPT,
		    "%s: meta has no %s", st->path, name) :
		    mk_store__mdb_err(rc, st, "read meta");
	if (d.mv_size == 0 || d.mv_size >= sizeof(buf))
		return mk_store__err(MK_STORE_ECORRUPT, "%s: bad meta %s",
		    st->path, name);
	memcpy(buf, d.mv_data, d.mv_size);
	buf[d.mv_size] = '\0';
	errno = 0;
	*v = strtoll(buf, &end, 10);
	if (errno != 0 || *end != '\0')
		return mk_store__err(MK_STORE_ECORRUPT, "%s: bad meta %s",
		    st->path, name);
	return 0;
}

static int
meta_put(struct mk_store *st, MDB_txn *txn, const char *name, long long v)
{
	char buf[32];
	MDB_val k = { strlen(name), (void *)name }, d = { 0, buf };
	int rc;

	d.mv_size = (size_t)snprintf(buf, sizeof(buf), "%lld", v);
	if ((rc = mdb_put(txn, st->meta, &k, &d, 0)) != 0)
		return mk_store__mdb_err(rc, st, "write meta");
	return 0;
}

static void
store_opts_norm(struct mk_addr_opts *a, const struct mk_addr_opts *in)
{
	a->exact_local = in && in->exact_local ? 1 : 0;
	a->strip_subaddress = in && in->strip_subaddress ? 1 : 0;
	a->subaddress_delim = in && in->subaddress_delim ? in->subaddress_delim
	    : '+';
}

/* meta_write - record schema and normalization of a new store */
static int
meta_write(struct mk_store *st, MDB_txn *txn, const struct mk_addr_opts *a)
{
	int rc;

	if ((rc = meta_put(st, txn, "schema_version",
	    MK_STORE_SCHEMA_VERSION)) != 0 ||
	    (rc = meta_put(st, txn, "created", (long long)time(NULL))) != 0 ||
	    (rc = meta_put(st, txn, "exact_local", a->exact_local)) != 0 ||
	    (rc = meta_put(st, txn, "strip_subaddress",
	    a->strip_subaddress)) != 0)
		return rc;
	return meta_put(st, txn, "subaddress_delim",
	    (unsigned char)a->subaddress_delim);
}

/* store_init - first transaction of a new store: both databases, meta */
static int
store_init(struct mk_store *st, const struct mk_store_opts *opts)
{
	struct mk_addr_opts a;
	MDB_txn *txn;
	MDB_val k = { 14, "schema_version" }, d;
	int rc;

	store_opts_norm(&a, opts ? &opts->addr : NULL);
	if ((rc = mk_store__txn_begin(st, 0, &txn)) != 0)
		return rc;
	if ((rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &st->meta)) != 0 ||
	    (rc = mdb_dbi_open(txn, "supp", MDB_CREATE, &st->supp)) != 0)
		rc = mk_store__mdb_err(rc, st, "create databases");
	else if (mdb_get(txn, st->meta, &k, &d) == MDB_NOTFOUND)
		rc = meta_write(st, txn, &a);	/* nobody raced us to it */
	mk_store__txn_done(st, txn, 1, &rc);
	return rc;
}

/* store_meta_check - read schema and normalization, compare with opts */
static int
store_meta_check(struct mk_store *st, MDB_txn *txn,
    const struct mk_store_opts *opts)
{
	long long ver, el, ss, dl;
	struct mk_addr_opts want;
	int rc;

	if ((rc = meta_get(st, txn, "schema_version", &ver)) != 0)
		return rc;
	if (ver > MK_STORE_SCHEMA_VERSION)
		return mk_store__err(MK_STORE_EVERSION, "%s: schema version"
		    " %lld, this program knows up to %d: upgrade milterkit",
		    st->path, ver, MK_STORE_SCHEMA_VERSION);
	if (ver < 1)
		return mk_store__err(MK_STORE_ECORRUPT,
		    "%s: schema version %lld", st->path, ver);
	if ((rc = meta_get(st, txn, "exact_local", &el)) != 0 ||
	    (rc = meta_get(st, txn, "strip_subaddress", &ss)) != 0 ||
	    (rc = meta_get(st, txn, "subaddress_delim", &dl)) != 0)
		return rc;
	if (dl < 1 || dl > 255)
		return mk_store__err(MK_STORE_ECORRUPT,
		    "%s: bad subaddress_delim", st->path);
	st->schema_version = (int)ver;
	st->addr.exact_local = el != 0;
	st->addr.strip_subaddress = ss != 0;
	st->addr.subaddress_delim = (char)dl;
	if (opts == NULL)
		return 0;
	store_opts_norm(&want, &opts->addr);
	if (want.exact_local != st->addr.exact_local ||
	    want.strip_subaddress != st->addr.strip_subaddress ||
	    (want.strip_subaddress &&
	    want.subaddress_delim != st->addr.subaddress_delim))
		return mk_store__err(MK_STORE_EOPTS, "%s: store built with"
		    " exact_local=%d strip_subaddress=%d subaddress_delim=%c,"
		    " configuration asks exact_local=%d strip_subaddress=%d"
		    " subaddress_delim=%c: rebuild the store or fix the"
		    " configuration", st->path, st->addr.exact_local,
		    st->addr.strip_subaddress, st->addr.subaddress_delim,
		    want.exact_local, want.strip_subaddress,
		    want.subaddress_delim);
	return 0;
}

/* store_meta_load - open both databases (creating them if asked), check */
static int
store_meta_load(struct mk_store *st, int flags, const struct mk_store_opts *opts)
{
	MDB_txn *txn;
	int rc, created = 0;

	for (;;) {
		if ((rc = mk_store__txn_begin(st, 1, &txn)) != 0)
			return rc;
		rc = mdb_dbi_open(txn, "meta", 0, &st->meta);
		if (rc == 0)
			rc = mdb_dbi_open(txn, "supp", 0, &st->supp);
		if (rc != MDB_NOTFOUND || created || !(flags & MK_STORE_CREATE))
			break;
		mk_store__txn_done(st, txn, 0, &rc);
		if ((rc = store_init(st, opts)) != 0)
			return rc;
		created = 1;
	}
	if (rc == MDB_NOTFOUND)
		rc = mk_store__err(MK_STORE_ECORRUPT, "%s: not a milterkit"
		    " store (no meta or supp database)", st->path);
	else if (rc != 0)
		rc = mk_store__mdb_err(rc, st, "open databases");
	else
		rc = store_meta_check(st, txn, opts);
	mk_store__txn_done(st, txn, rc == 0, &rc);
	return rc;
}

/* store_size_check - a data file shorter than the pages its meta page
 * says are in use was truncated: reading those pages would kill the
 * process with SIGBUS, so the store is refused before any is read (LMDB
 * read the two meta pages with pread(), and refuses a file without them) */
static int
store_size_check(struct mk_store *st)
{
	char file[sizeof(st->path) + 16];
	MDB_envinfo info;
	MDB_stat ms;
	struct stat sb;
	long long need;
	int rc;

	snprintf(file, sizeof(file), "%s/data.mdb", st->path);
	if ((rc = mdb_env_info(st->env, &info)) != 0 ||
	    (rc = mdb_env_stat(st->env, &ms)) != 0)
		return mk_store__mdb_err(rc, st, "read the meta page");
	if (stat(file, &sb) != 0)
		return mk_store__err(MK_STORE_EIO, "%s: %s", file,
		    strerror(errno));
	need = ((long long)info.me_last_pgno + 1) * (long long)ms.ms_psize;
	if ((long long)sb.st_size < need)
		return mk_store__err(MK_STORE_ECORRUPT, "%s: %lld bytes, but"
		    " its pages in use need %lld: the file was truncated;"
		    " restore the store from an export or a backup", file,
		    (long long)sb.st_size, need);
	return 0;
}

/* store_env_open - create and open the LMDB environment of st->path */
static int
store_env_open(struct mk_store *st, const struct mk_store_opts *opts)
{
	long long map = opts && opts->map_size > 0 ? opts->map_size :
	    STORE_DEFAULT_MAP;
	int rc, dead;

	if ((rc = mdb_env_create(&st->env)) != 0)
		return mk_store__mdb_err(rc, st, "create environment");
	if ((rc = mdb_env_set_maxdbs(st->env, 4)) != 0 ||
	    (rc = mdb_env_set_maxreaders(st->env, STORE_MAXREADERS)) != 0 ||
	    (rc = mdb_env_set_mapsize(st->env, (size_t)map)) != 0)
		return mk_store__mdb_err(rc, st, "configure environment");
	rc = mdb_env_open(st->env, st->path,
	    MDB_NOTLS | (st->rdonly ? MDB_RDONLY : 0), 0640);
	if (rc != 0)
		return mk_store__mdb_err(rc, st, "open environment");
	if ((rc = store_size_check(st)) != 0)
		return rc;
	if ((rc = mdb_reader_check(st->env, &dead)) != 0)
		return mk_store__mdb_err(rc, st, "check reader slots");
	return 0;
}

int
mk_store_open(const char *dir, int flags, const struct mk_store_opts *opts,
    struct mk_store **out)
{
	struct mk_store *st;
	int rc, n;

	if (out != NULL)
		*out = NULL;
	if (dir == NULL || *dir == '\0' || out == NULL ||
	    (flags & MK_STORE_RDONLY && flags & MK_STORE_CREATE) ||
	    (opts != NULL && opts->map_size < 0))
		return mk_store__err(MK_STORE_EINVAL, "mk_store_open: bad arguments");
	st = mk_calloc(1, sizeof(*st));
	n = snprintf(st->final, sizeof(st->final), "%s/%s", dir, STORE_SUBDIR);
	if (n < 0 || (size_t)n + 4 >= sizeof(st->path)) {
		free(st);
		return mk_store__err(MK_STORE_EINVAL, "%.80s...: path too long", dir);
	}
	memcpy(st->path, st->final, (size_t)n + 1);
	if ((flags & MK_STORE_STAGED) && (flags & MK_STORE_CREATE) &&
	    store_exists(st->final) == MK_STORE_ENOENT) {
		memcpy(st->path + n, ".new", 5);	/* n + 4 < size: above */
		st->staged = 1;
		if (mk_store__rmtree(st->path) != 0) {
			free(st);
			return mk_store__err(MK_STORE_EIO, "%s: cannot remove what"
			    " an earlier run left: %s", st->final, strerror(errno));
		}
	}
	st->rdonly = (flags & MK_STORE_RDONLY) != 0;
	pthread_rwlock_init(&st->maplock, NULL);
	pthread_mutex_init(&st->rlock, NULL);
	if (pthread_key_create(&st->rkey, mk_store__reader_free) != 0) {
		pthread_rwlock_destroy(&st->maplock);
		pthread_mutex_destroy(&st->rlock);
		free(st);
		return mk_store__err(MK_STORE_EIO, "pthread_key_create failed");
	}
	rc = flags & MK_STORE_CREATE ? store_mkdir(st->path) :
	    store_exists(st->path);
	if (rc == 0)
		rc = store_env_open(st, opts);
	if (rc == 0)
		rc = store_meta_load(st, flags, opts);
	if (rc != 0) {
		mk_store_close(st);
		return rc;
	}
	*out = st;
	return 0;
}

void
mk_store_close(struct mk_store *st)
{
	if (st == NULL)
		return;
	mk_store__readers_close(st);
	if (st->env != NULL)
		mdb_env_close(st->env);
	pthread_rwlock_destroy(&st->maplock);
	pthread_mutex_destroy(&st->rlock);
	free(st);
}
