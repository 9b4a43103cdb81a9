/*
 * NAME
 *	test_store - unit tests of the suppression store's entries
 * DESCRIPTION
 *	Each test runs in a fresh temporary directory (store_fx.c): entry
 *	operations, list filters, purge and info, the lookup order among
 *	scopes, imports. What readers must survive is in test_store_env.c.
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
	assert_int_equal(s.n, 3);	/* key order: domain, local, scope */
	assert_string_equal(s.t[0], "|z@g.example");
	assert_string_equal(s.t[1], "s2.example|@x.example");
	assert_string_equal(s.t[2], "s1.example|b@x.example");
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
	/* keys sort by domain and local part: scopes come back s, s, t, s */
	add(st, "s.example", "f@x.example", MK_REASON_MANUAL, 0);
	assert_int_equal(mk_store_info(st, NOW, &in), 0);
	assert_int_equal(in.entries, 7);
	assert_int_equal(in.expired, 3);
	assert_int_equal(in.global, 3);
	assert_int_equal(in.scoped, 4);
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

/* One address under many scopes: the lookup finds the one it asks for
 * among scopes sorting before and after it, skips an expired scoped entry
 * in favour of the global one, and never takes another scope's entry. */
static void
test_lookup_among_scopes(void **state)
{
	struct fx *f = *state;
	struct mk_store *st = create(f, 0);
	struct mk_supp_entry h;
	const char *r = "v@e.example";

	add(st, "a.example", r, MK_REASON_BOUNCE, 0);
	add(st, "m.example", r, MK_REASON_COMPLAINT, 0);
	add(st, "m.example.org", r, MK_REASON_MANUAL, 0);
	add(st, "z.example", r, MK_REASON_UNSUBSCRIBE, 0);
	add(st, "", "v@e.example.net", MK_REASON_MANUAL, 0);
	assert_int_equal(mk_supp_lookup(st, r, "m.example", NOW, &h), 0);
	assert_int_equal(h.reason, MK_REASON_COMPLAINT);
	assert_string_equal(h.scope, "m.example");
	assert_int_equal(mk_supp_lookup(st, r, "z.example", NOW, &h), 0);
	assert_string_equal(h.scope, "z.example");
	assert_int_equal(mk_supp_lookup(st, r, "a.example", NOW, &h), 0);
	assert_string_equal(h.scope, "a.example");
	/* a scope that is a prefix of another, and scopes not present */
	assert_int_equal(mk_supp_lookup(st, r, "m.example.org", NOW, &h), 0);
	assert_int_equal(h.reason, MK_REASON_MANUAL);
	assert_int_equal(mk_supp_lookup(st, r, "m", NOW, &h), MK_STORE_ENOTFOUND);
	assert_int_equal(mk_supp_lookup(st, r, "n.example", NOW, &h),
	    MK_STORE_ENOTFOUND);
	assert_int_equal(mk_supp_lookup(st, r, NULL, NOW, &h),
	    MK_STORE_ENOTFOUND);
	/* an address that is a prefix of another is not the other */
	assert_int_equal(mk_supp_lookup(st, "v@e.example.net", NULL, NOW, &h), 0);
	assert_int_equal(mk_supp_lookup(st, "v@e.exampl", NULL, NOW, &h),
	    MK_STORE_ENOTFOUND);
	/* expired scoped entry: the global address answers */
	add(st, "m.example", r, MK_REASON_COMPLAINT, NOW - 1);
	add(st, "", r, MK_REASON_BOUNCE, 0);
	assert_int_equal(mk_supp_lookup(st, r, "m.example", NOW, &h), 0);
	assert_string_equal(h.scope, "");
	assert_int_equal(h.reason, MK_REASON_BOUNCE);
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

	/* An import of nothing commits nothing, and is no error. */
	assert_int_equal(mk_supp_import_begin(st, &imp), 0);
	assert_int_equal(mk_supp_import_commit(imp, &a, &r), 0);
	assert_int_equal(a + r, 0);

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_get_replace_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_purge_and_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_among_scopes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_abort_and_duplicates, setup, teardown),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
