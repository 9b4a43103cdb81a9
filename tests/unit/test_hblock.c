/*
 * test_hblock.c - unit tests of common/hblock.c: the header block of a
 * chain. Edits follow the protocol's index rules on the block as it is;
 * the commands emitted for the MTA, replayed on the original fields by an
 * independent model of an MTA (below), give exactly the block's view, and
 * are the fewest: nothing for a field added then removed or changed back,
 * changes counted among the original fields, adds at the end.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "mk_hblock.h"

/* ---- a model MTA: a list of "Name:value" strings ------------------------- */

#define MTA_MAX 256

struct mta {
	char *f[MTA_MAX];
	size_t n;
	unsigned adds, inserts, changes, deletes;
	char log[4096];			/* the commands, for messages */
};

static void
mta_put(struct mta *m, size_t at, const char *name, const char *value)
{
	char *s = malloc(strlen(name) + strlen(value) + 2);

	sprintf(s, "%s:%s", name, value);
	if (at > m->n)
		at = m->n;
	memmove(m->f + at + 1, m->f + at, (m->n - at) * sizeof(*m->f));
	m->f[at] = s;
	m->n++;
}

static int
mta_add(void *ctx, const char *name, const char *value)
{
	struct mta *m = ctx;

	m->adds++;
	snprintf(m->log + strlen(m->log), sizeof(m->log) - strlen(m->log),
	    "add %s; ", name);
	mta_put(m, m->n, name, value);
	return 0;
}

static int
mta_insert(void *ctx, size_t index, const char *name, const char *value)
{
	struct mta *m = ctx;

	m->inserts++;
	snprintf(m->log + strlen(m->log), sizeof(m->log) - strlen(m->log),
	    "ins %zu %s; ", index, name);
	mta_put(m, index, name, value);
	return 0;
}

/* The index-th field of that name in the list as it is now. */
static int
mta_change(void *ctx, const char *name, size_t index, const char *value)
{
	struct mta *m = ctx;
	size_t len = strlen(name);

	snprintf(m->log + strlen(m->log), sizeof(m->log) - strlen(m->log),
	    "chg %s %zu %s; ", name, index, value ? "set" : "del");
	for (size_t i = 0; i < m->n; i++)
		if (strncasecmp(m->f[i], name, len) == 0 &&
		    m->f[i][len] == ':' && --index == 0) {
			free(m->f[i]);
			if (value == NULL) {
				m->deletes++;
				memmove(m->f + i, m->f + i + 1,
				    (m->n - i - 1) * sizeof(*m->f));
				m->n--;
			} else {
				m->changes++;
				m->f[i] = malloc(len + strlen(value) + 2);
				sprintf(m->f[i], "%s:%s", name, value);
			}
			return 0;
		}
	return -1;		/* the chain must never address a missing one */
}

static const struct mk_hblock_out mta_out = { mta_add, mta_insert, mta_change };

static void
mta_free(struct mta *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->f[i]);
	memset(m, 0, sizeof(*m));
}

/* Keeps the fields in both the block and the MTA. */
static void
both_keep(struct mk_hblock *b, struct mta *m, const char *const *nv)
{
	for (size_t i = 0; nv[i] != NULL; i += 2) {
		assert_int_equal(mk_hblock_keep(b, nv[i], nv[i + 1]), 0);
		mta_put(m, m->n, nv[i], nv[i + 1]);
	}
}

/* Emits into the MTA and checks that it now holds the block's view. */
static void
emit_matches(struct mk_hblock *b, struct mta *m)
{
	const struct mk_hfield *v;
	ssize_t n;
	char want[1024];

	assert_int_equal(mk_hblock_emit(b, &mta_out, m), 0);
	n = mk_hblock_view(b, &v);
	if ((size_t)n != m->n)
		fail_msg("view %zd fields, MTA %zu (commands: %s)", n, m->n,
		    m->log);
	for (ssize_t i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "%s:%s", v[i].name, v[i].value);
		if (strcmp(want, m->f[i]) != 0)
			fail_msg("field %zd: view %s, MTA %s (commands: %s)", i,
			    want, m->f[i], m->log);
	}
}

static const char *const msg3[] = {
	"Received", " a", "From", " x@example.com", "Received", " b",
	"Subject", " hi", "Received", " c", NULL
};

/* An add is appended; one command. */
static void
test_add(void **st)
{
	struct mk_hblock b;
	struct mta m = { 0 };

	(void)st;
	mk_hblock_init(&b, 100, 10000);
	both_keep(&b, &m, msg3);
	assert_int_equal(mk_hblock_add(&b, "X-A", " 1"), 0);
	emit_matches(&b, &m);
	assert_int_equal(m.adds, 1);
	assert_int_equal(m.inserts + m.changes + m.deletes, 0);
	mk_hblock_free(&b);
	mta_free(&m);
}

/* Deleting the second Received is "change Received 2 to nothing"; the
 * third is then the second of the view, and a later filter addresses it
 * so, yet the MTA is told about the ORIGINAL third. */
static void
test_delete_then_change(void **st)
{
	struct mk_hblock b;
	struct mta m = { 0 };
	const struct mk_hfield *v;

	(void)st;
	mk_hblock_init(&b, 100, 10000);
	both_keep(&b, &m, msg3);
	assert_int_equal(mk_hblock_change(&b, "received", 2, NULL), 0);
	assert_int_equal(mk_hblock_change(&b, "Received", 2, " C"), 0);
	assert_int_equal(mk_hblock_view(&b, &v), 4);
	assert_string_equal(v[3].value, " C");
	emit_matches(&b, &m);
	assert_int_equal(m.deletes, 1);
	assert_int_equal(m.changes, 1);
	mk_hblock_free(&b);
	mta_free(&m);
}

/* Nothing reaches the MTA for a field added then removed, or changed
 * back to what it was. */
static void
test_fewest(void **st)
{
	struct mk_hblock b;
	struct mta m = { 0 };

	(void)st;
	mk_hblock_init(&b, 100, 10000);
	both_keep(&b, &m, msg3);
	assert_int_equal(mk_hblock_add(&b, "X-Tmp", " 1"), 0);
	assert_int_equal(mk_hblock_change(&b, "X-Tmp", 1, NULL), 0);
	assert_int_equal(mk_hblock_change(&b, "Subject", 1, " other"), 0);
	assert_int_equal(mk_hblock_change(&b, "Subject", 1, " hi"), 0);
	emit_matches(&b, &m);
	assert_int_equal(m.adds + m.inserts + m.changes + m.deletes, 0);
	mk_hblock_free(&b);
	mta_free(&m);
}

/* Inserts at the top and between originals are inserts at the final
 * position; a change of a missing occurrence adds the field; deleting a
 * missing one is nothing. */
static void
test_insert_and_missing(void **st)
{
	struct mk_hblock b;
	struct mta m = { 0 };
	const struct mk_hfield *v;

	(void)st;
	mk_hblock_init(&b, 100, 10000);
	both_keep(&b, &m, msg3);
	assert_int_equal(mk_hblock_insert(&b, 0, "A-R", " top"), 0);
	assert_int_equal(mk_hblock_insert(&b, 2, "X-Mid", " mid"), 0);
	assert_int_equal(mk_hblock_insert(&b, 99, "X-End", " end"), 0);
	assert_int_equal(mk_hblock_change(&b, "X-New", 3, " n"), 0);
	assert_int_equal(mk_hblock_change(&b, "X-None", 1, NULL), 0);
	assert_int_equal(mk_hblock_view(&b, &v), 9);
	assert_string_equal(v[0].name, "A-R");
	assert_string_equal(v[2].name, "X-Mid");
	assert_string_equal(v[8].name, "X-New");
	emit_matches(&b, &m);
	assert_int_equal(m.inserts, 2);
	assert_int_equal(m.adds, 2);
	assert_int_equal(mk_hblock_change(&b, "X", 0, " v"), -1);
	mk_hblock_free(&b);
	mta_free(&m);
}

/* Past max_fields or max_bytes nothing more is kept and the block says so. */
static void
test_bounds(void **st)
{
	struct mk_hblock b;
	const struct mk_hfield *v;

	(void)st;
	mk_hblock_init(&b, 2, 10000);
	assert_int_equal(mk_hblock_keep(&b, "A", " 1"), 0);
	assert_int_equal(mk_hblock_keep(&b, "B", " 2"), 0);
	assert_int_equal(mk_hblock_keep(&b, "C", " 3"), -1);
	assert_int_equal(mk_hblock_view(&b, &v), -1);
	assert_int_equal(mk_hblock_add(&b, "D", " 4"), -1);
	mk_hblock_free(&b);
	mk_hblock_init(&b, 100, 10);
	assert_int_equal(mk_hblock_keep(&b, "Subject", " ab"), 0);
	assert_int_equal(mk_hblock_keep(&b, "To", " x"), -1);
	assert_int_equal(mk_hblock_view(&b, &v), -1);
	mk_hblock_free(&b);
}

/* Random edits by several "filters", each on the block as it is: the
 * emitted commands always rebuild the view on the MTA. */
static void
test_random(void **st)
{
	static const char *const names[] = { "Received", "To", "X-A", "Subject" };
	char val[32];

	(void)st;
	srandom(12);
	for (int round = 0; round < 3000; round++) {
		struct mk_hblock b;
		struct mta m = { 0 };
		const struct mk_hfield *v;
		int nkeep = (int)(random() % 8), nedit = (int)(random() % 10);

		mk_hblock_init(&b, 1000, 100000);
		for (int i = 0; i < nkeep; i++) {
			const char *nm = names[random() % 4];

			snprintf(val, sizeof(val), " o%d", i);
			assert_int_equal(mk_hblock_keep(&b, nm, val), 0);
			mta_put(&m, m.n, nm, val);
		}
		for (int i = 0; i < nedit; i++) {
			const char *nm = names[random() % 4];
			ssize_t n = mk_hblock_view(&b, &v);

			snprintf(val, sizeof(val), " e%d.%d", round, i);
			switch (random() % 4) {
			case 0:
				mk_hblock_add(&b, nm, val);
				break;
			case 1:
				mk_hblock_insert(&b, (size_t)(random() %
				    (n + 2)), nm, val);
				break;
			case 2:
				mk_hblock_change(&b, nm, 1 + (size_t)(random() %
				    3), val);
				break;
			default:
				mk_hblock_change(&b, nm, 1 + (size_t)(random() %
				    3), NULL);
			}
		}
		emit_matches(&b, &m);
		mk_hblock_free(&b);
		mta_free(&m);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add),
		cmocka_unit_test(test_delete_then_change),
		cmocka_unit_test(test_fewest),
		cmocka_unit_test(test_insert_and_missing),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests_name("hblock", tests, NULL, NULL);
}
