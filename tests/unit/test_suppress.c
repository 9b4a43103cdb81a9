/*
 * test_suppress.c - unit tests of milterkit-suppress's decision
 * (milters/suppress/state.c, decide.c) against a real store in a temporary
 * directory: lookup order and scope, expiry, exemptions, malformed
 * recipients, normalization, live changes, a store that is missing, removed
 * or replaced while running, reply templates and session choice.
 */
#include "config.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "mk_conf.h"
#include "mk_mem.h"
#include "mk_store.h"
#include "sections.h"
#include "suppress.h"

#define NOW 1700000000

struct fx {
	char dir[64];
	struct mk_conf *conf;
	struct mk_store *st;		/* writer */
	struct supp_state *s;
};

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void
rm_store(struct fx *f)
{
	mk_store_close(f->st);
	f->st = NULL;
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
writer(struct fx *f, int strip)
{
	struct mk_store_opts o;

	memset(&o, 0, sizeof(o));
	o.addr.strip_subaddress = strip;
	assert_int_equal(mk_store_open(f->dir, MK_STORE_CREATE, &o, &f->st), 0);
}

static void
add(struct fx *f, const char *scope, const char *target, int reason,
    int64_t expires)
{
	struct mk_supp_entry e;

	memset(&e, 0, sizeof(e));
	snprintf(e.scope, sizeof(e.scope), "%s", scope);
	snprintf(e.target, sizeof(e.target), "%s", target);
	e.reason = reason;
	e.created = NOW - 10;
	e.expires = expires;
	snprintf(e.note, sizeof(e.note), "secret note");
	assert_int_equal(mk_supp_add(f->st, &e), 0);
}

/* A state over f->dir; extra is configuration text for [suppress]. */
static void
state(struct fx *f, const char *extra)
{
	char err[512], *text;

	supp_state_free(f->s);
	mk_conf_free(f->conf);
	f->conf = mk_conf_new_defaults();
	if (asprintf(&text, "[store]\npath = %s\n[suppress]\n%s\n", f->dir,
	    extra ? extra : "") < 0)
		fail();
	if (mk_cfg_parse_buf(mk_conf_schema.rows, f->conf, "t.conf", text, strlen(text),
	    err, sizeof(err)) != 0)
		fail_msg("%s", err);
	free(text);
	if (supp_state_new(f->conf, &f->s, err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

static int
setup(void **st)
{
	struct fx *f = mk_calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/test_suppress.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	*st = f;
	return 0;
}

static int
teardown(void **st)
{
	struct fx *f = *st;

	supp_state_free(f->s);
	mk_conf_free(f->conf);
	rm_store(f);
	free(f);
	return 0;
}

static enum supp_verdict
decide(struct fx *f, const char *rcpt, const char *scope, struct supp_result *r)
{
	supp_decide(f->s, rcpt, scope, NOW, r);
	return r->verdict;
}

static void
test_reject_by_reason_with_reply(void **st)
{
	struct fx *f = *st;
	struct supp_result r;

	writer(f, 0);
	add(f, "", "bob@example.com", MK_REASON_BOUNCE, 0);
	add(f, "", "carol@example.com", MK_REASON_COMPLAINT, 0);
	state(f, NULL);
	assert_int_equal(decide(f, "<Bob@Example.COM>", "", &r), SUPP_REJECT);
	assert_string_equal(r.reply.rcode, "550");
	assert_string_equal(r.reply.xcode, "5.1.1");
	assert_string_equal(r.reply.text,
	    "<bob@example.com>: recipient address suppressed (bounce)");
	assert_null(strstr(r.reply.text, "secret"));
	assert_int_equal(decide(f, "carol@example.com", "", &r), SUPP_REJECT);
	assert_string_equal(r.reply.xcode, "5.7.1");
	assert_int_equal(r.hit.reason, MK_REASON_COMPLAINT);
	assert_int_equal(decide(f, "<dave@example.com>", "", &r), SUPP_PASS);
}

static void
test_scope_domain_expiry(void **st)
{
	struct fx *f = *st;
	struct supp_result r;

	writer(f, 0);
	add(f, "news.example", "ann@example.net", MK_REASON_UNSUBSCRIBE, 0);
	add(f, "", "@trap.example", MK_REASON_MANUAL, 0);
	add(f, "", "old@example.net", MK_REASON_BOUNCE, NOW - 1);
	add(f, "news.example", "@example.org", MK_REASON_UNSUBSCRIBE, 0);
	add(f, "", "zed@example.org", MK_REASON_BOUNCE, 0);
	state(f, NULL);
	assert_int_equal(decide(f, "<ann@example.net>", "news.example", &r),
	    SUPP_REJECT);
	assert_string_equal(r.hit.scope, "news.example");
	assert_int_equal(decide(f, "<ann@example.net>", "", &r), SUPP_PASS);
	assert_int_equal(decide(f, "<ann@example.net>", "shop.example", &r),
	    SUPP_PASS);
	assert_int_equal(decide(f, "<anyone@trap.example>", "x.example", &r),
	    SUPP_REJECT);
	assert_string_equal(r.hit.target, "@trap.example");
	assert_int_equal(decide(f, "<old@example.net>", "", &r), SUPP_PASS);
	/* scoped domain beats global address */
	assert_int_equal(decide(f, "<zed@example.org>", "news.example", &r),
	    SUPP_REJECT);
	assert_int_equal(r.hit.reason, MK_REASON_UNSUBSCRIBE);
	assert_int_equal(decide(f, "<zed@example.org>", "", &r), SUPP_REJECT);
	assert_int_equal(r.hit.reason, MK_REASON_BOUNCE);
}

static void
test_exempt_and_malformed(void **st)
{
	struct fx *f = *st;
	struct supp_result r;

	writer(f, 0);
	add(f, "", "@example.com", MK_REASON_MANUAL, 0);
	state(f, NULL);
	assert_int_equal(decide(f, "<PostMaster@example.com>", "", &r),
	    SUPP_EXEMPT);
	assert_int_equal(decide(f, "<abuse@example.com>", "", &r), SUPP_EXEMPT);
	assert_int_equal(decide(f, "<ops@example.com>", "", &r), SUPP_REJECT);
	state(f, "exempt = ops@example.com");
	assert_int_equal(decide(f, "<ops@example.com>", "", &r), SUPP_EXEMPT);
	assert_int_equal(decide(f, "<postmaster@example.com>", "", &r),
	    SUPP_REJECT);
	assert_int_equal(decide(f, "<a@@example.com>", "", &r), SUPP_MALFORMED);
	assert_true(r.cause[0] != '\0');
	assert_int_equal(decide(f, "<>", "", &r), SUPP_MALFORMED);
}

static void
test_idn_and_subaddress_follow_the_store(void **st)
{
	struct fx *f = *st;
	struct supp_result r;

	writer(f, 1);		/* a store that strips +tags */
	add(f, "", "user@xn--bcher-kva.example", MK_REASON_BOUNCE, 0);
	add(f, "", "bob@example.com", MK_REASON_BOUNCE, 0);
	state(f, NULL);
	assert_int_equal(decide(f, "<user@B\xc3\xbc" "cher.example>", "", &r),
	    SUPP_REJECT);
	assert_int_equal(decide(f, "<bob+news@example.com>", "", &r),
	    SUPP_REJECT);
	assert_string_equal(r.rcpt, "bob@example.com");
}

static void
test_live_changes_and_store_lifecycle(void **st)
{
	struct fx *f = *st;
	struct supp_result r;

	state(f, NULL);
	assert_int_equal(decide(f, "<x@example.com>", "", &r), SUPP_ERROR);
	assert_non_null(strstr(r.cause, f->dir));
	writer(f, 0);		/* the store appears: seen at the next RCPT */
	assert_int_equal(decide(f, "<x@example.com>", "", &r), SUPP_PASS);
	add(f, "", "x@example.com", MK_REASON_BOUNCE, 0);
	assert_int_equal(decide(f, "<x@example.com>", "", &r), SUPP_REJECT);
	assert_int_equal(mk_supp_remove(f->st, "", "x@example.com"), 0);
	assert_int_equal(decide(f, "<x@example.com>", "", &r), SUPP_PASS);
	/* removed while running: noticed within about a second */
	rm_store(f);
	sleep(2);
	assert_int_equal(decide(f, "<x@example.com>", "", &r), SUPP_ERROR);
	/* replaced by a new store: opened afresh */
	assert_int_equal(mkdir(f->dir, 0700), 0);
	writer(f, 0);
	add(f, "", "y@example.com", MK_REASON_COMPLAINT, 0);
	sleep(1);
	assert_int_equal(decide(f, "<y@example.com>", "", &r), SUPP_REJECT);
}

static void
test_custom_reply_and_sessions(void **st)
{
	struct fx *f = *st;
	struct supp_result r;
	const struct mk_session_choice *sc;
	char scope[300];

	writer(f, 0);
	add(f, "", "bob@example.com", MK_REASON_BOUNCE, 0);
	state(f, "reply_bounce = 551 5.1.6 gone: %a (%r)\n"
	    "check = authenticated, networks\nnetworks = 192.0.2.0/24");
	assert_int_equal(decide(f, "<bob@example.com>", "", &r), SUPP_REJECT);
	assert_string_equal(r.reply.rcode, "551");
	assert_string_equal(r.reply.xcode, "5.1.6");
	assert_string_equal(r.reply.text, "gone: bob@example.com (bounce)");
	sc = supp_sessions(f->s);
	assert_false(mk_session_selected(sc->which, &sc->networks, 0,
	    "203.0.113.5"));
	assert_true(mk_session_selected(sc->which, &sc->networks, 1,
	    "203.0.113.5"));
	assert_true(mk_session_selected(sc->which, &sc->networks, 0,
	    "192.0.2.77"));
	supp_sender_scope("<List@News.Example.COM>", scope, sizeof(scope));
	assert_string_equal(scope, "news.example.com");
	supp_sender_scope("<>", scope, sizeof(scope));
	assert_string_equal(scope, "");
	supp_sender_scope("<broken@@x>", scope, sizeof(scope));
	assert_string_equal(scope, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reject_by_reason_with_reply,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_scope_domain_expiry, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_exempt_and_malformed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_idn_and_subaddress_follow_the_store, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_live_changes_and_store_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_custom_reply_and_sessions,
		    setup, teardown),
	};

	mk_conf_use(mkf_sections);
	return cmocka_run_group_tests_name("suppress", tests, NULL, NULL);
}
