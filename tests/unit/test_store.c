/*
 * NAME
 *	test_store - unit tests of the suppression store (common/store_*.c)
 * DESCRIPTION
 *	Each test runs in a fresh temporary directory. Entry operations,
 *	list filters, purge, the lookup order, imports, and what readers
 *	must survive: a missing store, a newer schema, another
 *	normalization, a full map, no permission, a map grown by another
 *	process, the reader slot of a killed process, a corrupt record.
 *	Tests that need another process fork one and read its exit code;
 *	raw LMDB is used only to damage a store on purpose.
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

#define NOW 1700000000

struct fx {
	char dir[64];
	char path[96];		/* dir/suppress */
	struct mk_store *st;
};

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

static int
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

static int
teardown(void **state)
{
	struct fx *f = *state;

	mk_store_close(f->st);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static struct mk_supp_entry
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

static void
add(struct mk_store *st, const char *scope, const char *target, int reason,
    int64_t expires)
{
	struct mk_supp_entry e = ent(scope, target, reason, expires, "n");

	assert_int_equal(mk_supp_add(st, &e), 0);
}

static struct mk_store *
create(struct fx *f, long long map_size)
{
	struct mk_store_opts o;

	memset(&o, 0, sizeof(o));
	o.map_size = map_size;
	assert_int_equal(mk_store_open(f->dir, MK_STORE_CREATE, &o, &f->st), 0);
	return f->st;
}

/* child_status - wait for pid, return its exit code (or 100 + signal) */
static int
child_status(pid_t pid)
{
	int ws;

	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 100 + WTERMSIG(ws);
}

/* raw_meta_put - write one meta value with raw LMDB, as a newer program */
static void
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

static void
test_add_get_replace_remove(void **state)
{
	struct fx *f = *state;
	struct mk_store *st = create(f, 0);
	struct mk_supp_entry e = ent("", "a@b.example", MK_REASON_BOUNCE, 0,
	    "5.1.1 user unknown"), out;

	assert_int_equal(mk_supp_get(st, "", "a@b.example", &out),
	    MK_STORE_ENOTFOUND);
	assert_int_equal(mk_supp_add(st, &e), 0);
	assert_int_equal(mk_supp_get(st, "", "a@b.example", &out), 0);
	assert_string_equal(out.target, "a@b.example");
	assert_string_equal(out.scope, "");
	assert_string_equal(out.note, "5.1.1 user unknown");
	assert_int_equal(out.reason, MK_REASON_BOUNCE);
	assert_int_equal(out.created, NOW - 100);
	e.reason = MK_REASON_COMPLAINT;
	e.expires = NOW + 50;
	assert_int_equal(mk_supp_add(st, &e), 0);
	assert_int_equal(mk_supp_get(st, "", "a@b.example", &out), 0);
	assert_int_equal(out.reason, MK_REASON_COMPLAINT);
	assert_int_equal(out.expires, NOW + 50);
	/* the same target in a scope is another entry */
	assert_int_equal(mk_supp_get(st, "s.example", "a@b.example", &out),
	    MK_STORE_ENOTFOUND);
	assert_int_equal(mk_supp_remove(st, "", "a@b.example"), 0);
	assert_int_equal(mk_supp_get(st, "", "a@b.example", &out),
	    MK_STORE_ENOTFOUND);
	assert_int_equal(mk_supp_remove(st, "", "a@b.example"),
	    MK_STORE_ENOTFOUND);
}

static void
test_bad_arguments(void **state)
{
	struct fx *f = *state;
	struct mk_store *st = create(f, 0);
	struct mk_supp_entry e = ent("", "a@b.example", 9, 0, "");
	char longt[600];

	assert_int_equal(mk_supp_add(st, &e), MK_STORE_EINVAL);
	e = ent("", "", MK_REASON_BOUNCE, 0, "");
	assert_int_equal(mk_supp_add(st, &e), MK_STORE_EINVAL);
	memset(longt, 'x', sizeof(longt));
	longt[300] = '@';
	longt[511] = '\0';	/* 511 target + NUL separator = 512 > 511 */
	e = ent("", longt, MK_REASON_BOUNCE, 0, "");
	assert_int_equal(mk_supp_add(st, &e), MK_STORE_EINVAL);
	longt[510] = '\0';	/* exactly 511 bytes of key fits */
	e = ent("", longt, MK_REASON_BOUNCE, 0, "");
	assert_int_equal(mk_supp_add(st, &e), 0);
	assert_int_equal(mk_supp_lookup(st, "nodomain", NULL, NOW, &e),
	    MK_STORE_EINVAL);
	assert_int_equal(mk_reason_parse("complaint"), MK_REASON_COMPLAINT);
	assert_string_equal(mk_reason_name(MK_REASON_UNSUBSCRIBE),
	    "unsubscribe");
	assert_true(mk_reason_parse("nope") < 0);
}

struct seen {
	int n;
	char t[16][MK_SUPP_SCOPE_MAX + MK_SUPP_TARGET_MAX + 2];
};

static int
collect(const struct mk_supp_entry *e, void *arg)
{
	struct seen *s = arg;

	snprintf(s->t[s->n++], sizeof(s->t[0]), "%s|%s", e->scope, e->target);
	return s->n >= 16;
}

static void
test_list_filters(void **state)
{
	struct fx *f = *state;
	struct mk_store *st = create(f, 0);
	struct mk_supp_filter flt = { NULL, MK_REASON_ANY, 0, NOW };
	struct seen s;

	add(st, "", "z@g.example", MK_REASON_BOUNCE, 0);
	add(st, "", "a@g.example", MK_REASON_MANUAL, NOW - 1);	/* expired */
	add(st, "s1.example", "b@x.example", MK_REASON_BOUNCE, 0);
	add(st, "s2.example", "@x.example", MK_REASON_COMPLAINT, NOW + 10);
	memset(&s, 0, sizeof(s));
	assert_int_equal(mk_supp_list(st, &flt, collect, &s), 0);
	assert_int_equal(s.n, 3);	/* key order: global first */
	assert_string_equal(s.t[0], "|z@g.example");
	assert_string_equal(s.t[1], "s1.example|b@x.example");
	assert_string_equal(s.t[2], "s2.example|@x.example");
	flt.include_expired = 1;
	memset(&s, 0, sizeof(s));
	assert_int_equal(mk_supp_list(st, &flt, collect, &s), 0);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.t[0], "|a@g.example");
	flt.scope = "";
	memset(&s, 0, sizeof(s));
	assert_int_equal(mk_supp_list(st, &flt, collect, &s), 0);
	assert_int_equal(s.n, 2);
	flt.scope = "s2.example";
	memset(&s, 0, sizeof(s));
	assert_int_equal(mk_supp_list(st, &flt, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.t[0], "s2.example|@x.example");
	flt.scope = NULL;
	flt.reason = MK_REASON_BOUNCE;
	memset(&s, 0, sizeof(s));
	assert_int_equal(mk_supp_list(st, &flt, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.t[1], "s1.example|b@x.example");
}

static void
test_purge_and_info(void **state)
{
	struct fx *f = *state;
	struct mk_store *st = create(f, 0);
	struct mk_supp_entry out;
	struct mk_store_info in;
	size_t removed = 99;

	add(st, "", "a@x.example", MK_REASON_BOUNCE, NOW - 5);
	add(st, "", "b@x.example", MK_REASON_BOUNCE, NOW);	/* <= now */
	add(st, "", "c@x.example", MK_REASON_MANUAL, NOW + 5);
	add(st, "s.example", "@x.example", MK_REASON_UNSUBSCRIBE, 0);
	add(st, "s.example", "d@x.example", MK_REASON_BOUNCE, NOW - 1);
	add(st, "t.example", "e@x.example", MK_REASON_COMPLAINT, 0);
	assert_int_equal(mk_store_info(st, NOW, &in), 0);
	assert_int_equal(in.entries, 6);
	assert_int_equal(in.expired, 3);
	assert_int_equal(in.global, 3);
	assert_int_equal(in.scoped, 3);
	assert_int_equal(in.scopes, 2);
	assert_int_equal(in.domains, 1);
	assert_int_equal(in.by_reason[MK_REASON_BOUNCE], 3);
	assert_int_equal(in.schema_version, MK_STORE_SCHEMA_VERSION);
	assert_true(in.used_bytes > 0 && in.used_bytes <= in.file_bytes);
	assert_int_equal(in.map_size, 4LL << 30);
	assert_int_equal(mk_supp_purge(st, NOW, &removed), 0);
	assert_int_equal(removed, 3);
	assert_int_equal(mk_supp_get(st, "", "a@x.example", &out),
	    MK_STORE_ENOTFOUND);
	assert_int_equal(mk_supp_get(st, "", "b@x.example", &out),
	    MK_STORE_ENOTFOUND);
	assert_int_equal(mk_supp_get(st, "s.example", "d@x.example", &out),
	    MK_STORE_ENOTFOUND);
	assert_int_equal(mk_supp_get(st, "", "c@x.example", &out), 0);
	assert_int_equal(mk_supp_get(st, "s.example", "@x.example", &out), 0);
	assert_int_equal(mk_supp_get(st, "t.example", "e@x.example", &out), 0);
}

static void
test_lookup_order(void **state)
{
	struct fx *f = *state;
	struct mk_store *st = create(f, 0);
	struct mk_supp_entry h;
	const char *r = "u@d.example", *s = "s.example";

	add(st, s, "u@d.example", MK_REASON_BOUNCE, 0);
	add(st, s, "@d.example", MK_REASON_COMPLAINT, 0);
	add(st, "", "u@d.example", MK_REASON_UNSUBSCRIBE, 0);
	add(st, "", "@d.example", MK_REASON_MANUAL, 0);
	assert_int_equal(mk_supp_lookup(st, r, s, NOW, &h), 0);
	assert_int_equal(h.reason, MK_REASON_BOUNCE);
	assert_string_equal(h.scope, s);
	/* no scope: the scoped entries do not apply */
	assert_int_equal(mk_supp_lookup(st, r, NULL, NOW, &h), 0);
	assert_int_equal(h.reason, MK_REASON_UNSUBSCRIBE);
	assert_int_equal(mk_supp_lookup(st, r, "", NOW, &h), 0);
	assert_int_equal(h.reason, MK_REASON_UNSUBSCRIBE);
	assert_int_equal(mk_supp_remove(st, s, "u@d.example"), 0);
	assert_int_equal(mk_supp_lookup(st, r, s, NOW, &h), 0);
	assert_int_equal(h.reason, MK_REASON_COMPLAINT);
	assert_string_equal(h.target, "@d.example");
	assert_int_equal(mk_supp_remove(st, s, "@d.example"), 0);
	assert_int_equal(mk_supp_lookup(st, r, s, NOW, &h), 0);
	assert_int_equal(h.reason, MK_REASON_UNSUBSCRIBE);
	assert_string_equal(h.scope, "");
	/* an expired global address is skipped: the domain entry answers */
	add(st, "", "u@d.example", MK_REASON_UNSUBSCRIBE, NOW - 1);
	assert_int_equal(mk_supp_lookup(st, r, s, NOW, &h), 0);
	assert_int_equal(h.reason, MK_REASON_MANUAL);
	assert_string_equal(h.target, "@d.example");
	add(st, "", "@d.example", MK_REASON_MANUAL, NOW);
	assert_int_equal(mk_supp_lookup(st, r, s, NOW, &h), MK_STORE_ENOTFOUND);
	assert_int_equal(mk_supp_lookup(st, r, s, NOW - 10, &h), 0);
	/* domain = part after the last '@' */
	add(st, "", "@q.example", MK_REASON_BOUNCE, 0);
	assert_int_equal(mk_supp_lookup(st, "\"a@b\"@q.example", NULL, NOW,
	    &h), 0);
	assert_int_equal(mk_supp_lookup(st, "x@other.example", s, NOW, &h),
	    MK_STORE_ENOTFOUND);
}

static void
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

static void
test_import_commit(void **state)
{
	struct fx *f = *state;
	struct mk_store *st = create(f, 0);
	struct mk_supp_entry h;
	struct mk_store_info in;
	size_t a, r;

	add(st, "", "user0000100@d2.example", MK_REASON_MANUAL, 0);
	/* descending order in, sorted before insertion */
	import_n(st, 2999, -1, -1, MK_REASON_BOUNCE, &a, &r, 0);
	assert_int_equal(a, 2999);
	assert_int_equal(r, 1);
	assert_int_equal(mk_supp_lookup(st, "user0000100@d2.example", NULL,
	    NOW, &h), 0);
	assert_int_equal(h.reason, MK_REASON_BOUNCE);
	assert_int_equal(mk_supp_lookup(st, "user0000003@d3.example",
	    "s.example", NOW, &h), 0);
	assert_string_equal(h.scope, "s.example");
	/* overlap plus keys past the last one (the append path) */
	import_n(st, 2000, 5000, 1, MK_REASON_COMPLAINT, &a, &r, 0);
	assert_int_equal(r, 1000);
	assert_int_equal(a, 2000);
	assert_int_equal(mk_store_info(st, NOW, &in), 0);
	assert_int_equal(in.entries, 5000);
	assert_int_equal(in.by_reason[MK_REASON_COMPLAINT], 3000);
	assert_int_equal(mk_supp_get(st, "", "user0004999@d1.example", &h), 0);
	assert_int_equal(h.reason, MK_REASON_COMPLAINT);
}

static void
test_import_abort_and_duplicates(void **state)
{
	struct fx *f = *state;
	struct mk_store *st = create(f, 0);
	struct mk_supp_import *imp;
	struct mk_supp_entry e, h;
	struct mk_store_info in;
	size_t a = 9, r = 9;

	assert_int_equal(mk_supp_import_begin(st, &imp), 0);
	e = ent("", "a@x.example", MK_REASON_BOUNCE, 0, "");
	assert_int_equal(mk_supp_import_add(imp, &e), 0);
	mk_supp_import_abort(imp);
	assert_int_equal(mk_store_info(st, NOW, &in), 0);
	assert_int_equal(in.entries, 0);
	assert_int_equal(mk_supp_get(st, "", "a@x.example", &h),
	    MK_STORE_ENOTFOUND);

	assert_int_equal(mk_supp_import_begin(st, &imp), 0);
	e = ent("", "a@x.example", MK_REASON_BOUNCE, 0, "first");
	assert_int_equal(mk_supp_import_add(imp, &e), 0);
	e = ent("", "b@x.example", MK_REASON_BOUNCE, 0, "");
	assert_int_equal(mk_supp_import_add(imp, &e), 0);
	e = ent("", "a@x.example", MK_REASON_MANUAL, 0, "second");
	assert_int_equal(mk_supp_import_add(imp, &e), 0);
	e = ent("", "bad", 0, 0, "");	/* refused, the import goes on */
	assert_int_equal(mk_supp_import_add(imp, &e), MK_STORE_EINVAL);
	assert_int_equal(mk_supp_import_commit(imp, &a, &r), 0);
	assert_int_equal(a, 2);
	assert_int_equal(r, 0);
	assert_int_equal(mk_supp_get(st, "", "a@x.example", &h), 0);
	assert_int_equal(h.reason, MK_REASON_MANUAL);
	assert_string_equal(h.note, "second");
}

static void
test_rdonly_missing(void **state)
{
	struct fx *f = *state;
	char sub[128];
	struct stat sb;

	snprintf(sub, sizeof(sub), "%s/none", f->dir);
	assert_int_equal(mk_store_open(sub, MK_STORE_RDONLY, NULL, &f->st),
	    MK_STORE_ENOENT);
	assert_null(f->st);
	assert_non_null(strstr(mk_store_errdetail(NULL), sub));
	assert_int_equal(stat(sub, &sb), -1);
	/* the directory exists but holds no store: nothing is created */
	assert_int_equal(mk_store_open(f->dir, MK_STORE_RDONLY, NULL, &f->st),
	    MK_STORE_ENOENT);
	assert_int_equal(stat(f->path, &sb), -1);
	assert_int_equal(mk_store_open(f->dir, 0, NULL, &f->st),
	    MK_STORE_ENOENT);
	assert_int_equal(stat(f->path, &sb), -1);
	/* once created, a read-only handle reads and refuses writes */
	mk_store_close(create(f, 0));
	f->st = NULL;
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0750);
	assert_int_equal(mk_store_open(f->dir, MK_STORE_RDONLY, NULL, &f->st),
	    0);
	{
		struct mk_supp_entry e = ent("", "a@b.example", 1, 0, "");
		struct mk_supp_import *imp;

		assert_int_equal(mk_supp_add(f->st, &e), MK_STORE_ERDONLY);
		assert_int_equal(mk_supp_import_begin(f->st, &imp),
		    MK_STORE_ERDONLY);
	}
}

static void
test_schema_newer(void **state)
{
	struct fx *f = *state;

	mk_store_close(create(f, 0));
	f->st = NULL;
	raw_put(f->path, "meta", "schema_version", 14, "2", 1);
	assert_int_equal(mk_store_open(f->dir, MK_STORE_RDONLY, NULL, &f->st),
	    MK_STORE_EVERSION);
	assert_non_null(strstr(mk_store_errdetail(NULL), "schema version 2"));
	assert_int_equal(mk_store_open(f->dir, MK_STORE_CREATE, NULL, &f->st),
	    MK_STORE_EVERSION);
}

static void
test_opts_mismatch(void **state)
{
	struct fx *f = *state;
	struct mk_store_opts o;

	memset(&o, 0, sizeof(o));
	o.addr.strip_subaddress = 1;
	o.addr.subaddress_delim = '-';
	assert_int_equal(mk_store_open(f->dir, MK_STORE_CREATE, &o, &f->st), 0);
	mk_store_close(f->st);
	f->st = NULL;
	o.addr.subaddress_delim = '+';
	assert_int_equal(mk_store_open(f->dir, MK_STORE_RDONLY, &o, &f->st),
	    MK_STORE_EOPTS);
	memset(&o, 0, sizeof(o));
	assert_int_equal(mk_store_open(f->dir, MK_STORE_RDONLY, &o, &f->st),
	    MK_STORE_EOPTS);
	assert_int_equal(mk_store_open(f->dir, MK_STORE_RDONLY, NULL, &f->st),
	    0);
	assert_int_equal(mk_store_addr_opts(f->st)->strip_subaddress, 1);
	assert_int_equal(mk_store_addr_opts(f->st)->subaddress_delim, '-');
	assert_int_equal(mk_store_addr_opts(f->st)->exact_local, 0);
}

static void
test_map_full(void **state)
{
	struct fx *f = *state;
	struct mk_store *st = create(f, 256 << 10);
	struct mk_supp_entry h;
	struct mk_store_info in;
	size_t a = 7, r = 7;

	add(st, "", "keep@x.example", MK_REASON_MANUAL, 0);
	import_n(st, 0, 20000, 1, MK_REASON_BOUNCE, &a, &r, MK_STORE_EFULL);
	assert_int_equal(a, 0);
	assert_non_null(strstr(mk_store_errdetail(st), "raise [store] map_size"));
	assert_non_null(strstr(mk_store_errdetail(st), "262144"));
	mk_store_close(st);
	f->st = NULL;
	st = create(f, 256 << 10);
	assert_int_equal(mk_supp_get(st, "", "keep@x.example", &h), 0);
	assert_int_equal(mk_store_info(st, NOW, &in), 0);
	assert_int_equal(in.entries, 1);
	/* a small update still fits */
	add(st, "", "more@x.example", MK_REASON_MANUAL, 0);
}

static void
test_eacces(void **state)
{
	struct fx *f = *state;
	pid_t pid;

	mk_store_close(create(f, 0));
	f->st = NULL;
	assert_int_equal(chmod(f->dir, 0700), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct mk_store *st = NULL;
		int rc;

		if (setgroups(0, NULL) != 0 || setgid(65534) != 0 ||
		    setuid(65534) != 0)
			_exit(90);
		rc = mk_store_open(f->dir, MK_STORE_RDONLY, NULL, &st);
		if (rc == MK_STORE_EACCES &&
		    strstr(mk_store_errdetail(NULL), f->dir) == NULL)
			_exit(91);
		_exit(-rc);
	}
	assert_int_equal(child_status(pid), -MK_STORE_EACCES);
}

static void
test_map_resized(void **state)
{
	struct fx *f = *state;
	struct mk_store_opts o;
	struct mk_supp_entry h;
	struct mk_store_info in;
	pid_t pid;

	add(create(f, 256 << 10), "", "first@x.example", MK_REASON_BOUNCE, 0);
	mk_store_close(f->st);
	f->st = NULL;
	memset(&o, 0, sizeof(o));
	o.map_size = 256 << 10;
	assert_int_equal(mk_store_open(f->dir, MK_STORE_RDONLY, &o, &f->st),
	    0);
	assert_int_equal(mk_supp_lookup(f->st, "first@x.example", NULL, NOW,
	    &h), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {	/* another process grows the map and fills it */
		struct mk_store_opts big = { 64LL << 20, { 0, 0, 0 } };
		struct mk_supp_import *imp;
		struct mk_supp_entry e;
		struct mk_store *w;
		char t[64];
		size_t a, r;

		if (mk_store_open(f->dir, 0, &big, &w) != 0 ||
		    mk_supp_import_begin(w, &imp) != 0)
			_exit(1);
		for (int i = 0; i < 40000; i++) {
			snprintf(t, sizeof(t), "grown%06d@y.example", i);
			e = ent("", t, MK_REASON_BOUNCE, 0, "grow");
			if (mk_supp_import_add(imp, &e) != 0)
				_exit(2);
		}
		_exit(mk_supp_import_commit(imp, &a, &r) == 0 && a == 40000 ?
		    0 : 3);
	}
	assert_int_equal(child_status(pid), 0);
	assert_int_equal(mk_supp_lookup(f->st, "grown039999@y.example", NULL,
	    NOW, &h), 0);
	assert_int_equal(mk_supp_lookup(f->st, "first@x.example", NULL, NOW,
	    &h), 0);
	assert_int_equal(mk_store_info(f->st, NOW, &in), 0);
	assert_int_equal(in.entries, 40001);
	assert_true(in.map_size > 256 << 10);
}

/* count_pid - reader slots held by pid, counted by a separate process */
static int
reader_line(const char *msg, void *ctx)
{
	int *c = ctx, p;

	if (sscanf(msg, "%d", &p) == 1 && p == c[0])
		c[1]++;
	return 0;
}

static int
count_pid(const char *path, pid_t who)
{
	pid_t pid = fork();

	if (pid == 0) {
		int c[2] = { (int)who, 0 };
		MDB_env *env;

		if (mdb_env_create(&env) != 0 || mdb_env_set_maxdbs(env, 4) ||
		    mdb_env_open(env, path, MDB_RDONLY | MDB_NOTLS, 0640) != 0 ||
		    mdb_reader_list(env, reader_line, c) < 0)
			_exit(99);
		_exit(c[1]);
	}
	return child_status(pid);
}

static int
hang(const struct mk_supp_entry *e, void *arg)
{
	int *fd = arg;

	if (write(*fd, "x", 1) != 1)
		_exit(5);
	for (;;)
		pause();
	return 0;
}

static void
test_stale_reader(void **state)
{
	struct fx *f = *state;
	struct mk_store *st = create(f, 0);
	struct mk_supp_entry h;
	int fds[2];
	char c;
	pid_t pid, dead;

	add(st, "", "a@x.example", MK_REASON_BOUNCE, 0);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {	/* hold a read transaction, then get killed */
		struct mk_store *r;

		if (mk_store_open(f->dir, MK_STORE_RDONLY, NULL, &r) != 0)
			_exit(1);
		mk_supp_list(r, NULL, hang, &fds[1]);
		_exit(2);
	}
	assert_int_equal(read(fds[0], &c, 1), 1);
	kill(pid, SIGKILL);
	assert_int_equal(child_status(pid), 100 + SIGKILL);
	close(fds[0]);
	close(fds[1]);
	dead = pid;
	assert_int_equal(count_pid(f->path, dead), 1);	/* the stale slot */
	pid = fork();
	if (pid == 0) {	/* a new open clears it */
		struct mk_store *r;

		_exit(mk_store_open(f->dir, MK_STORE_RDONLY, NULL, &r) == 0 ?
		    0 : 1);
	}
	assert_int_equal(child_status(pid), 0);
	assert_int_equal(count_pid(f->path, dead), 0);
	add(st, "", "b@x.example", MK_REASON_BOUNCE, 0);
	assert_int_equal(mk_supp_lookup(st, "b@x.example", NULL, NOW, &h), 0);
}

static int
count_all(const struct mk_supp_entry *e, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static void
test_corrupt_record(void **state)
{
	struct fx *f = *state;
	struct mk_supp_entry h;
	struct mk_store_info in;
	unsigned char v[40];
	int n = 0;

	add(create(f, 0), "", "ok@x.example", MK_REASON_BOUNCE, 0);
	mk_store_close(f->st);
	f->st = NULL;
	raw_put(f->path, "supp", "\0bad@x.example", 14, "garbage", 7);
	memset(v, 0, sizeof(v));
	v[0] = 1;
	v[1] = MK_REASON_BOUNCE;
	v[18] = 30;	/* note length beyond the record */
	raw_put(f->path, "supp", "\0short@x.example", 16, v, 24);
	assert_int_equal(mk_store_open(f->dir, MK_STORE_RDONLY, NULL, &f->st),
	    0);
	assert_int_equal(mk_supp_get(f->st, "", "bad@x.example", &h),
	    MK_STORE_ECORRUPT);
	assert_int_equal(mk_supp_lookup(f->st, "bad@x.example", NULL, NOW, &h),
	    MK_STORE_ECORRUPT);
	assert_int_equal(mk_supp_lookup(f->st, "short@x.example", "s.example",
	    NOW, &h), MK_STORE_ECORRUPT);
	assert_int_equal(mk_supp_list(f->st, NULL, count_all, &n),
	    MK_STORE_ECORRUPT);
	assert_int_equal(mk_store_info(f->st, NOW, &in), MK_STORE_ECORRUPT);
	/* good entries still answer */
	assert_int_equal(mk_supp_lookup(f->st, "ok@x.example", NULL, NOW, &h),
	    0);
}

struct thr {
	struct mk_store *st;
	int hits;
	int misses;
};

static void *
thr_lookup(void *arg)
{
	struct thr *t = arg;
	struct mk_supp_entry h;
	char r[64];

	for (int i = 0; i < 4000; i++) {
		snprintf(r, sizeof(r), "user%07d@d%d.example", i, i % 7);
		int rc = mk_supp_lookup(t->st, r, "s.example", NOW, &h);

		if (rc == 0)
			t->hits++;
		else if (rc == MK_STORE_ENOTFOUND)
			t->misses++;
	}
	return NULL;
}

static void
test_threads(void **state)
{
	struct fx *f = *state;
	struct thr t[4];
	pthread_t id[4];
	size_t a, r;

	import_n(create(f, 0), 0, 3000, 1, MK_REASON_BOUNCE, &a, &r, 0);
	mk_store_close(f->st);
	assert_int_equal(mk_store_open(f->dir, MK_STORE_RDONLY, NULL, &f->st),
	    0);
	for (int round = 0; round < 2; round++) {	/* threads come and go */
		for (int i = 0; i < 4; i++) {
			t[i] = (struct thr){ f->st, 0, 0 };
			assert_int_equal(pthread_create(&id[i], NULL, thr_lookup,
			    &t[i]), 0);
		}
		for (int i = 0; i < 4; i++) {
			pthread_join(id[i], NULL);
			assert_int_equal(t[i].hits, 3000);
			assert_int_equal(t[i].misses, 1000);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_get_replace_remove,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_list_filters, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_purge_and_info, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_lookup_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_import_commit, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_import_abort_and_duplicates,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_rdonly_missing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_schema_newer, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_opts_mismatch, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_map_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eacces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_resized, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stale_reader, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_record, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
