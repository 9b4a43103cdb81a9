/*
 * NAME
 *	test_store_env - unit tests of what the store's readers must survive
 * DESCRIPTION
 *	A missing store, a newer schema, another normalization, a full map,
 *	no permission, a map grown by another process, the reader slot of a
 *	killed process, a corrupt record, many threads. Tests that need
 *	another process fork one and read its exit code; raw LMDB is used
 *	only to damage a store on purpose.
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
	raw_put(f->path, "supp", "x.example\0bad\0", 14, "garbage", 7);
	memset(v, 0, sizeof(v));
	v[0] = 1;
	v[1] = MK_REASON_BOUNCE;
	v[18] = 30;	/* note length beyond the record */
	raw_put(f->path, "supp", "x.example\0short\0", 16, v, 24);
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
		cmocka_unit_test_setup_teardown(test_rdonly_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_newer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_opts_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eacces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_resized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};

	return cmocka_run_group_tests_name("store_env", tests, NULL, NULL);
}
