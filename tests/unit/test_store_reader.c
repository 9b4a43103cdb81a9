/*
 * NAME
 *	test_store_reader - unit tests of common/store_reader.c
 * DESCRIPTION
 *	One reader per directory and process, shared (so one LMDB
 *	environment per file, whatever the number of configuration
 *	snapshots); a store that appears, is replaced on disk, is replaced by
 *	something that is not a store, or goes away.
 */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "mk_store.h"

static char dir[] = "/tmp/test_store_reader.XXXXXX";

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

/* Make a store at path holding one entry for target. */
static void
make_store(const char *path, const char *target)
{
	struct mk_store *st;
	struct mk_supp_entry e = { .reason = MK_REASON_BOUNCE };

	assert_int_equal(mk_store_open(path, MK_STORE_CREATE, NULL, &st), 0);
	snprintf(e.target, sizeof(e.target), "%s", target);
	assert_int_equal(mk_supp_add(st, &e), 0);
	mk_store_close(st);
}

static int
has(struct mk_store *st, const char *rcpt)
{
	struct mk_supp_entry hit;

	return mk_supp_lookup(st, rcpt, NULL, 0, &hit) == 0;
}

/* Wait until the reader may look at the data file again. */
static void
next_second(void)
{
	time_t t = time(NULL);

	while (time(NULL) == t)
		usleep(20000);
}

static void
test_one_reader_per_directory(void **state)
{
	char a[96], b[96], cause[512] = "";
	struct mk_store_reader *r1, *r2, *r3;
	struct mk_store_hold *h1, *h2;

	(void)state;
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	make_store(a, "x@a.example");
	r1 = mk_store_reader_get(a);
	r2 = mk_store_reader_get(a);	/* a reload's new snapshot */
	r3 = mk_store_reader_get(b);
	assert_ptr_equal(r1, r2);
	assert_ptr_not_equal(r1, r3);
	h1 = mk_store_reader_hold(r1, cause, sizeof(cause));
	h2 = mk_store_reader_hold(r2, cause, sizeof(cause));
	assert_non_null(h1);
	/* one environment for both */
	assert_ptr_equal(mk_store_hold_store(h1), mk_store_hold_store(h2));
	assert_true(has(mk_store_hold_store(h1), "x@a.example"));
	mk_store_reader_drop(r1, h1);
	mk_store_reader_put(r1);	/* the old snapshot goes */
	assert_true(has(mk_store_hold_store(h2), "x@a.example"));
	mk_store_reader_drop(r2, h2);
	/* b has no store: no hold, with the cause */
	assert_null(mk_store_reader_hold(r3, cause, sizeof(cause)));
	assert_non_null(strstr(cause, "b/suppress/data.mdb"));
	mk_store_reader_put(r3);
	mk_store_reader_put(r2);
}

static void
test_replaced_store(void **state)
{
	char a[96], fresh[96], old[96], cause[512] = "";
	struct mk_store_reader *r;
	struct mk_store_hold *h, *h2;
	int fd;

	(void)state;
	snprintf(a, sizeof(a), "%s/r", dir);
	snprintf(fresh, sizeof(fresh), "%s/r.new", dir);
	snprintf(old, sizeof(old), "%s/r.old", dir);
	make_store(a, "first@a.example");
	r = mk_store_reader_get(a);
	h = mk_store_reader_hold(r, cause, sizeof(cause));
	assert_non_null(h);
	assert_true(has(mk_store_hold_store(h), "first@a.example"));

	/* Replaced: built beside, renamed into place. */
	make_store(fresh, "second@a.example");
	assert_int_equal(rename(a, old), 0);
	assert_int_equal(rename(fresh, a), 0);
	next_second();
	h2 = mk_store_reader_hold(r, cause, sizeof(cause));
	assert_non_null(h2);
	assert_ptr_not_equal(mk_store_hold_store(h), mk_store_hold_store(h2));
	assert_true(has(mk_store_hold_store(h2), "second@a.example"));
	/* the lookup still holding the old store finishes on it */
	assert_true(has(mk_store_hold_store(h), "first@a.example"));
	mk_store_reader_drop(r, h);
	mk_store_reader_drop(r, h2);

	/* Replaced by something that is not a store: no hold at all, never
	 * the store it replaced. */
	snprintf(fresh, sizeof(fresh), "%s/r/suppress/data.new", dir);
	fd = open(fresh, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "garbage, not LMDB", 17), 17);
	close(fd);
	snprintf(old, sizeof(old), "%s/r/suppress/data.mdb", dir);
	assert_int_equal(rename(fresh, old), 0);
	next_second();
	cause[0] = '\0';
	assert_null(mk_store_reader_hold(r, cause, sizeof(cause)));
	assert_non_null(strstr(cause, "store"));
	/* Gone: no hold either. */
	assert_int_equal(unlink(old), 0);
	next_second();
	assert_null(mk_store_reader_hold(r, cause, sizeof(cause)));
	mk_store_reader_put(r);

	/* Moved away and back within the same second: missed for that gap
	 * only, not for the rest of the second. */
	snprintf(fresh, sizeof(fresh), "%s/back", dir);
	snprintf(old, sizeof(old), "%s/back.away", dir);
	make_store(fresh, "back@a.example");
	r = mk_store_reader_get(fresh);
	next_second();
	assert_int_equal(rename(fresh, old), 0);
	assert_null(mk_store_reader_hold(r, cause, sizeof(cause)));
	assert_int_equal(rename(old, fresh), 0);
	h = mk_store_reader_hold(r, cause, sizeof(cause));
	assert_non_null(h);
	assert_true(has(mk_store_hold_store(h), "back@a.example"));
	mk_store_reader_drop(r, h);
	mk_store_reader_put(r);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_reader_per_directory),
		cmocka_unit_test(test_replaced_store),
	};

	return cmocka_run_group_tests_name("store_reader", tests, setup,
	    teardown);
}
