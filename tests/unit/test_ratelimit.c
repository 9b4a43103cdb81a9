/*
 * test_ratelimit.c - unit tests of the rate limits (common/ratelimit*.c)
 * over a simulated clock: GCRA arithmetic, bursts, interval boundaries,
 * several intervals at once, overrides and exemptions, what is counted at
 * RCPT and at END-OF-MESSAGE, keys, warn, state that survives a reopen and
 * is shared by two engines, usage for `milterkit ratelimit`, rule errors.
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

#include "mk_conf.h"
#include "mk_mem.h"
#include "mk_ratelimit.h"
#include "rl_fx.h"

#define S (MK_RL_NS)
#define T0 (1700000000LL * S)

/* Engine over f->dir with the given rule sections. */
static void
engine(struct fx *f, const char *rules)
{
	char err[512];

	rl_fx_close(f);
	f->conf = mk_conf_new_defaults();
	if (mk_cfg_schema_parse_buf(&mk_conf_schema, f->conf, "t.conf", rules,
	    strlen(rules), err, sizeof(err)) != 0)
		fail_msg("%s", err);
	if (mk_rl_rules_load(f->conf, &f->rules, err, sizeof(err)) != 0 ||
	    mk_rl_engine_open(f->dir, f->rules, 1LL << 24, &f->e, err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
	mk_rl_txn_reset(&f->tx);
}

/* One request; returns the verdict's action and commits the batch. */
static int
req(struct fx *f, const char *state, const char *instance, const char *sender,
    long rcount, int64_t now, struct mk_rl_verdict *v)
{
	struct mk_rl_request rq;
	struct mk_rl_verdict dummy;
	char err[256];

	memset(&rq, 0, sizeof(rq));
	rq.protocol_state = state;
	rq.instance = instance;
	rq.sender = sender;
	rq.client_address = "192.0.2.77";
	rq.sasl_username = NULL;
	rq.recipient = "r@dest.example";
	rq.recipient_count = rcount;
	if (v == NULL)
		v = &dummy;
	if (mk_rl_check(f->e, &rq, &f->tx, now, v) != 0)
		fail_msg("check: %s", v->reply);
	if (mk_rl_batch_end(f->e, err, sizeof(err)) != 0)
		fail_msg("commit: %s", err);
	return v->action;
}

/* One whole message: n RCPTs then END-OF-MESSAGE; the EOM verdict, or the
 * first RCPT refusal. */
static int
message(struct fx *f, const char *inst, const char *sender, int n, int64_t now)
{
	int a;

	for (int i = 0; i < n; i++)
		if ((a = req(f, "RCPT", inst, sender, -1, now, NULL)) != MK_RL_DUNNO)
			return a;
	return req(f, "END-OF-MESSAGE", inst, sender, n, now, NULL);
}

static void
test_gcra_arithmetic(void **st)
{
	struct mk_rl_rate r = { 10, 60 * S };	/* 10 per minute */
	int64_t tat = 0, now = T0;

	(void)st;
	for (int i = 0; i < 10; i++)
		assert_true(mk_rl_gcra(&tat, &r, 0, 0, 1, now, 1));
	assert_false(mk_rl_gcra(&tat, &r, 0, 0, 1, now, 0));
	/* one unit comes back every 6 s */
	assert_false(mk_rl_gcra(&tat, &r, 0, 0, 1, now + 6 * S - 1, 0));
	assert_true(mk_rl_gcra(&tat, &r, 0, 0, 1, now + 6 * S, 0));
	/* a whole period later, the whole allowance */
	assert_true(mk_rl_gcra(&tat, &r, 0, 0, 10, now + 60 * S, 0));
	assert_false(mk_rl_gcra(&tat, &r, 0, 0, 11, now + 120 * S, 0));
	/* a burst allows more at once */
	tat = 0;
	assert_true(mk_rl_gcra(&tat, &r, 5, 0, 15, now, 0));
	assert_false(mk_rl_gcra(&tat, &r, 5, 0, 16, now, 0));
	/* used units promised but not written count */
	assert_true(mk_rl_gcra(&tat, &r, 0, 9, 1, now, 0));
	assert_false(mk_rl_gcra(&tat, &r, 0, 10, 1, now, 0));
}

static void
test_messages_counted_once_at_eom(void **st)
{
	struct fx *f = *st;
	struct mk_rl_verdict v;

	engine(f, "[ratelimit per-sender]\nkey = sender\nmessages = 3/1h\n");
	for (int i = 0; i < 3; i++) {
		char inst[16];
		snprintf(inst, sizeof(inst), "m%d", i);
		assert_int_equal(message(f, inst, "a@x.example", 2, T0),
		    MK_RL_DUNNO);
	}
	/* the fourth message is refused at RCPT: one more does not fit */
	assert_int_equal(req(f, "RCPT", "m3", "a@x.example", -1, T0, &v),
	    MK_RL_DEFER);
	assert_string_equal(v.rule, "per-sender");
	assert_string_equal(v.key, "a@x.example");
	assert_string_equal(v.what, "messages");
	assert_int_equal(v.limit, 3);
	assert_int_equal(v.period, 3600);
	assert_int_equal(v.used, 3);
	assert_string_equal(v.reply,
	    "DEFER 4.7.1 rate limit exceeded, try again later");
	/* another sender is not affected; refused RCPTs were not counted */
	assert_int_equal(message(f, "m4", "b@x.example", 1, T0), MK_RL_DUNNO);
	/* 20 minutes later one message fits again (3 per hour) */
	assert_int_equal(message(f, "m5", "a@x.example", 1, T0 + 1200 * S),
	    MK_RL_DUNNO);
	assert_int_equal(message(f, "m6", "a@x.example", 1, T0 + 1200 * S),
	    MK_RL_DEFER);
}

static void
test_aborted_mail_is_not_counted(void **st)
{
	struct fx *f = *st;

	engine(f, "[ratelimit r]\nkey = sender\nmessages = 1/1h\n");
	/* RCPTs of messages that never end count nothing */
	for (int i = 0; i < 5; i++) {
		char inst[16];
		snprintf(inst, sizeof(inst), "a%d", i);
		assert_int_equal(req(f, "RCPT", inst, "a@x.example", -1, T0, NULL),
		    MK_RL_DUNNO);
	}
	assert_int_equal(message(f, "done", "a@x.example", 1, T0), MK_RL_DUNNO);
	assert_int_equal(message(f, "next", "a@x.example", 1, T0), MK_RL_DEFER);
}

static void
test_recipients_limit_and_several_intervals(void **st)
{
	struct fx *f = *st;

	engine(f, "[ratelimit r]\nkey = sender\nrecipients = 5/1m, 8/1h\n");
	/* six recipients: the sixth RCPT does not fit */
	for (int i = 0; i < 5; i++)
		assert_int_equal(req(f, "RCPT", "i1", "a@x.example", -1, T0, NULL),
		    MK_RL_DUNNO);
	assert_int_equal(req(f, "RCPT", "i1", "a@x.example", -1, T0, NULL),
	    MK_RL_DEFER);
	assert_int_equal(req(f, "END-OF-MESSAGE", "i1", "a@x.example", 5, T0,
	    NULL), MK_RL_DUNNO);
	/* a minute later the per-minute rate has room, the hourly only 3 */
	assert_int_equal(message(f, "i2", "a@x.example", 3, T0 + 60 * S),
	    MK_RL_DUNNO);
	assert_int_equal(message(f, "i3", "a@x.example", 1, T0 + 120 * S),
	    MK_RL_DEFER);
}

static void
test_overrides_exempt_and_warn(void **st)
{
	struct fx *f = *st;

	engine(f, "[ratelimit r]\nkey = sender\nmessages = 1/1h\n"
	    "exempt = free@x.example\n"
	    "override = big@y.example messages=3/1h; other@x.example recipients=1/1h\n"
	    "[ratelimit w]\nkey = sender_domain\nmessages = 2/1h\naction = warn\n"
	    "exempt = y.example\n");
	for (int i = 0; i < 4; i++) {
		char inst[16];
		snprintf(inst, sizeof(inst), "f%d", i);
		assert_int_equal(message(f, inst, "free@x.example", 1, T0),
		    i < 2 ? MK_RL_DUNNO : MK_RL_WARN);
	}
	for (int i = 0; i < 3; i++) {
		char inst[16];
		snprintf(inst, sizeof(inst), "b%d", i);
		assert_int_equal(message(f, inst, "big@y.example", 1, T0),
		    MK_RL_DUNNO);
	}
	assert_int_equal(message(f, "b3", "big@y.example", 1, T0), MK_RL_DEFER);
}

static void
test_keys_fallback_and_client_prefix(void **st)
{
	struct fx *f = *st;
	struct mk_rl_request rq;
	struct mk_rl_verdict v;
	char err[128];

	engine(f, "[ratelimit r]\nkey = sasl_username, client_address/24\n"
	    "messages = 1/1h\n");
	memset(&rq, 0, sizeof(rq));
	rq.protocol_state = "END-OF-MESSAGE";
	rq.instance = "k1";
	rq.client_address = "192.0.2.77";
	rq.recipient_count = 1;
	assert_int_equal(mk_rl_check(f->e, &rq, &f->tx, T0, &v), 0);
	assert_int_equal(mk_rl_batch_end(f->e, err, sizeof(err)), 0);
	rq.instance = "k2";
	rq.client_address = "192.0.2.200";	/* same /24 */
	assert_int_equal(mk_rl_check(f->e, &rq, &f->tx, T0, &v), 0);
	assert_int_equal(v.action, MK_RL_DEFER);
	assert_string_equal(v.key, "192.0.2.0/24");
	rq.instance = "k3";
	rq.sasl_username = "alice";		/* the first key wins */
	assert_int_equal(mk_rl_check(f->e, &rq, &f->tx, T0, &v), 0);
	assert_int_equal(v.action, MK_RL_DUNNO);
	assert_int_equal(mk_rl_batch_end(f->e, err, sizeof(err)), 0);
	rq.instance = "k4";
	assert_int_equal(mk_rl_check(f->e, &rq, &f->tx, T0, &v), 0);
	assert_string_equal(v.key, "alice");
	assert_int_equal(v.action, MK_RL_DEFER);
	/* a request with no key at all is not limited */
	rq.sasl_username = NULL;
	rq.client_address = "unknown";
	rq.instance = "k5";
	assert_int_equal(mk_rl_check(f->e, &rq, &f->tx, T0, &v), 0);
	assert_int_equal(v.action, MK_RL_DUNNO);
	mk_rl_batch_end(f->e, err, sizeof(err));
}

static void
test_state_survives_reopen_and_is_shared(void **st)
{
	struct fx *f = *st;
	struct mk_rl_engine *e2;
	struct mk_rl_usage u[4];
	size_t got = 0;
	char err[128], big[MK_RL_KEY_MAX + 1];
	const char *rules = "[ratelimit r]\nkey = sender\nmessages = 2/1h\n";

	engine(f, rules);
	assert_int_equal(message(f, "s1", "a@x.example", 1, T0), MK_RL_DUNNO);
	engine(f, rules);			/* a restart: close flushed */
	assert_int_equal(message(f, "s2", "a@x.example", 1, T0), MK_RL_DUNNO);
	assert_int_equal(mk_rl_flush(f->e, err, sizeof(err)), 0);
	assert_int_equal(mk_rl_engine_open(f->dir, f->rules, 1LL << 24, &e2, err,
	    sizeof(err)), 0);
	/* a second engine (another policyd) sees the same counters */
	assert_int_equal(mk_rl_state_get(e2, "r", "a@x.example", T0, &u[0]), 0);
	assert_int_equal(u[0].nrates, 1);
	assert_int_equal(u[0].rate[0].used, 2);
	assert_int_equal(u[0].rate[0].limit, 2);
	assert_true(u[0].fill >= 1.0);
	assert_int_equal(mk_rl_state_get(e2, "r", "b@x.example", T0, &u[0]), 1);
	assert_int_equal(mk_rl_state_get(e2, "nope", "a@x.example", T0, &u[0]),
	    MK_RL_ENORULE);
	assert_non_null(strstr(mk_rl_errdetail(), "no rule [ratelimit nope]"));
	assert_int_equal(message(f, "s3", "c@x.example", 1, T0), MK_RL_DUNNO);
	assert_int_equal(mk_rl_flush(f->e, err, sizeof(err)), 0);
	assert_int_equal(mk_rl_state_top(e2, T0, 4, u, &got), 0);
	assert_int_equal(got, 2);
	assert_string_equal(u[0].key, "a@x.example");
	assert_string_equal(u[1].key, "c@x.example");
	assert_int_equal(mk_rl_state_reset(e2, "r", "a@x.example"), 0);
	assert_int_equal(mk_rl_state_reset(e2, "r", "a@x.example"), 1);
	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(mk_rl_state_reset(e2, "r", big), MK_RL_EINVAL);
	assert_non_null(strstr(mk_rl_errdetail(), "too long"));
	mk_rl_engine_close(e2);
	/* e2 re-made the lock table f->e uses (LMDB does not want one
	 * environment open twice in a process): start afresh */
	engine(f, rules);
	assert_int_equal(message(f, "s4", "a@x.example", 1, T0), MK_RL_DUNNO);
	assert_int_equal(message(f, "s5", "a@x.example", 1, T0), MK_RL_DUNNO);
	assert_int_equal(message(f, "s6", "a@x.example", 1, T0), MK_RL_DEFER);
}

static void
test_rule_errors(void **st)
{
	static const struct {
		const char *text;
		const char *want;
	} cases[] = {
		{ "[ratelimit r]\nmessages = 1/1h\n", "t.conf:1: [ratelimit r] needs key" },
		{ "[ratelimit r]\nkey = sender\n", "needs messages = ... or recipients" },
		{ "[ratelimit r]\nkey = nobody\nmessages = 1/1h\n", "t.conf:2: [ratelimit r] key: \"nobody\": expected" },
		{ "[ratelimit r]\nkey = sender\nmessages = 100\n", "expected N/PERIOD" },
		{ "[ratelimit r]\nkey = sender\nmessages = 2 per hour\n",
		    "t.conf:3: [ratelimit r] messages: \"2 per hour\": expected N/PERIOD" },
		{ "[ratelimit r]\nkey = sender\nmessages = 0/1m\n", "the count must be" },
		{ "[ratelimit r]\nkey = sender\nmessages = 5/1y\n", "the period must be" },
		{ "[ratelimit r]\nkey = client_address/33\nmessages = 5/1m\n", "prefix length" },
		{ "[ratelimit r]\nkey = sender\nmessages = 1/1m\naction = drop\n", "expected one of defer, reject, warn" },
		{ "[ratelimit r]\nkey = sender\nmessages = 1/1m\noverride = x@y\n", "gives no limits" },
		{ "[ratelimit r]\nkey = sender\nmessages = 1/1m\noverride = x@y msgs=1/1m\n", "expected messages=" },
		{ "[ratelimit r]\nkey = recipient_domain, sender\nrecipients = 1/1m\n", "must be the only key" },
		{ "[ratelimit r]\nkey = sender\nmessages = 1/1m\ntext = 100% sure\n", "without '%'" },
	};
	struct mk_conf *c;
	char err[512];

	(void)st;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = mk_conf_new_defaults();
		err[0] = '\0';
		if (mk_cfg_schema_parse_buf(&mk_conf_schema, c, "t.conf",
		    cases[i].text, strlen(cases[i].text), err, sizeof(err)) != -1 ||
		    strstr(err, cases[i].want) == NULL)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err,
			    cases[i].want);
		mk_conf_free(c);
	}
}

static void
test_store_trouble_is_reported(void **st)
{
	struct fx *f = *st;
	struct mk_rl_request rq;
	struct mk_rl_verdict v;
	struct mk_rl_usage u;
	size_t got;
	char err[128];

	engine(f, "[ratelimit r]\nkey = sender\nmessages = 1/1h\n");
	mk_rl_engine_close(f->e);
	/* a store path that cannot be a directory */
	assert_int_equal(mk_rl_engine_open("/dev/null", f->rules, 1LL << 24,
	    &f->e, err, sizeof(err)), 0);
	memset(&rq, 0, sizeof(rq));
	rq.protocol_state = "RCPT";
	rq.sender = "a@x.example";
	rq.recipient_count = -1;
	assert_int_equal(mk_rl_check(f->e, &rq, &f->tx, T0, &v), MK_RL_ESTORE);
	assert_non_null(strstr(v.reply, "/dev/null/ratelimit"));
	assert_string_equal(mk_rl_errdetail(), v.reply);
	/* tools read state through the same codes and detail */
	assert_int_equal(mk_rl_state_top(f->e, T0, 1, &u, &got), MK_RL_ESTORE);
	assert_non_null(strstr(mk_rl_errdetail(), "/dev/null/ratelimit"));
	/* other stages are not looked at */
	rq.protocol_state = "CONNECT";
	assert_int_equal(mk_rl_check(f->e, &rq, &f->tx, T0, &v), 0);
	assert_string_equal(v.reply, "DUNNO");
}

static void
test_strerror_explains_each_code(void **st)
{
	static const int codes[] = { MK_RL_OK, MK_RL_ESTORE, MK_RL_ENORULE,
		MK_RL_EINVAL, MK_RL_ESYS };

	(void)st;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *s = mk_rl_strerror(codes[i]);

		assert_null(strstr(s, "unknown"));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(s, mk_rl_strerror(codes[j]));
	}
	assert_non_null(strstr(mk_rl_strerror(-99), "unknown"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gcra_arithmetic),
		cmocka_unit_test_setup_teardown(test_messages_counted_once_at_eom,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_aborted_mail_is_not_counted,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_recipients_limit_and_several_intervals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overrides_exempt_and_warn,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_keys_fallback_and_client_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_state_survives_reopen_and_is_shared, setup, teardown),
		cmocka_unit_test(test_rule_errors),
		cmocka_unit_test(test_strerror_explains_each_code),
		cmocka_unit_test_setup_teardown(test_store_trouble_is_reported,
		    setup, teardown),
	};

	return cmocka_run_group_tests_name("ratelimit", tests, NULL, NULL);
}
