/*
 * test_feedback.c - the feedback/ environment (common/store_feedback.c):
 * soft-bounce windows, seen reports, transactions, purge, schema.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mk_feedback.h"

#define DAY 86400

static char dir[64];

static int
setup(void **st)
{
	snprintf(dir, sizeof(dir), "/tmp/mk-feedback.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **st)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Soft bounces count within the window only; a scope is its own row. */
static void
test_soft_window(void **st)
{
	struct mk_feedback *fb;
	unsigned n;

	assert_int_equal(mk_feedback_open(dir, 0, &fb), 0);
	assert_int_equal(mk_feedback_begin(fb), 0);
	assert_int_equal(mk_feedback_soft(fb, "", "bob@example.net", 1000 * DAY,
	    7 * DAY, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(mk_feedback_soft(fb, "", "bob@example.net",
	    1003 * DAY, 7 * DAY, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(mk_feedback_soft(fb, "example.com",
	    "bob@example.net", 1003 * DAY, 7 * DAY, &n), 0);
	assert_int_equal(n, 1);
	/* Eight days after the first: it has left the window. */
	assert_int_equal(mk_feedback_soft(fb, "", "bob@example.net",
	    1008 * DAY, 7 * DAY, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(mk_feedback_commit(fb), 0);
	mk_feedback_close(fb);

	/* Durable: another handle reads what was committed. */
	assert_int_equal(mk_feedback_open(dir, 0, &fb), 0);
	assert_int_equal(mk_feedback_soft_count(fb, "", "bob@example.net",
	    1008 * DAY, 7 * DAY, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(mk_feedback_begin(fb), 0);
	assert_int_equal(mk_feedback_soft_clear(fb, "", "bob@example.net"), 0);
	assert_int_equal(mk_feedback_soft_clear(fb, "", "none@example.net"), 0);
	mk_feedback_abort(fb);		/* the clear is undone */
	assert_int_equal(mk_feedback_soft_count(fb, "", "bob@example.net",
	    1008 * DAY, 7 * DAY, &n), 0);
	assert_int_equal(n, 2);
	mk_feedback_close(fb);
}

/* More than MK_FEEDBACK_SOFT_MAX within the window keeps the newest. */
static void
test_soft_cap(void **st)
{
	struct mk_feedback *fb;
	unsigned n = 0;

	assert_int_equal(mk_feedback_open(dir, 0, &fb), 0);
	assert_int_equal(mk_feedback_begin(fb), 0);
	for (int i = 0; i < MK_FEEDBACK_SOFT_MAX + 5; i++)
		assert_int_equal(mk_feedback_soft(fb, "", "cap@example.net",
		    2000 * DAY + i, DAY, &n), 0);
	assert_int_equal(n, MK_FEEDBACK_SOFT_MAX);
	assert_int_equal(mk_feedback_commit(fb), 0);
	mk_feedback_close(fb);
}

/* A report id is seen once until it is forgotten. */
static void
test_seen(void **st)
{
	struct mk_feedback *fb;

	assert_int_equal(mk_feedback_open(dir, 0, &fb), 0);
	assert_int_equal(mk_feedback_seen(fb, "abc", 100, 10), MK_STORE_EINVAL);
	assert_int_equal(mk_feedback_begin(fb), 0);
	assert_int_equal(mk_feedback_begin(fb), MK_STORE_EINVAL);
	assert_int_equal(mk_feedback_seen(fb, "abc", 100, 10), 0);
	assert_int_equal(mk_feedback_seen(fb, "abc", 105, 10), 1);
	assert_int_equal(mk_feedback_seen(fb, "", 105, 10), MK_STORE_EINVAL);
	assert_int_equal(mk_feedback_commit(fb), 0);
	assert_int_equal(mk_feedback_begin(fb), 0);
	assert_int_equal(mk_feedback_seen(fb, "abc", 109, 10), 1);
	assert_int_equal(mk_feedback_seen(fb, "abc", 111, 10), 0);
	assert_int_equal(mk_feedback_commit(fb), 0);
	mk_feedback_close(fb);
}

/* Purge removes expired ids and empty soft rows, within its budget. */
static void
test_purge(void **st)
{
	struct mk_feedback *fb;
	size_t removed;
	unsigned n;

	assert_int_equal(mk_feedback_open(dir, 0, &fb), 0);
	assert_int_equal(mk_feedback_begin(fb), 0);
	assert_int_equal(mk_feedback_seen(fb, "old1", 100, 10), 0);
	assert_int_equal(mk_feedback_seen(fb, "old2", 100, 10), 0);
	assert_int_equal(mk_feedback_seen(fb, "new", 100, 1000), 0);
	assert_int_equal(mk_feedback_soft(fb, "", "p@example.net", 100, 50,
	    &n), 0);
	assert_int_equal(mk_feedback_purge(fb, 200, 50, 1, &removed), 0);
	assert_int_equal(removed, 1);
	assert_int_equal(mk_feedback_purge(fb, 200, 50, 100, &removed), 0);
	assert_int_equal(removed, 2);	/* old2 and p's row */
	assert_int_equal(mk_feedback_seen(fb, "new", 200, 1000), 1);
	assert_int_equal(mk_feedback_commit(fb), 0);
	mk_feedback_close(fb);
}

/* A newer schema is refused, naming the path. */
static void
test_schema(void **st)
{
	struct mk_feedback *fb;
	char cmd[256];

	assert_int_equal(mk_feedback_open(dir, 0, &fb), 0);
	mk_feedback_close(fb);
	snprintf(cmd, sizeof(cmd), "mdb_load -s meta -T '%s/feedback' "
	    ">/dev/null 2>&1 <<'EOF'\nschema_version\n99\nEOF", dir);
	if (system(cmd) != 0)
		skip();
	assert_int_equal(mk_feedback_open(dir, 0, &fb), MK_STORE_EVERSION);
	assert_non_null(strstr(mk_feedback_errdetail(), "feedback"));
	assert_null(fb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_soft_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_soft_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
