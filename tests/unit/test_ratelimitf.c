/*
 * test_ratelimitf.c - the plain logic of milterkit-ratelimit
 * (milters/ratelimit: decide.c, shared.c): policy requests built from a
 * milter's envelope, verdicts worded as milterkit-policyd words them,
 * and counting over a real store: a message counts once at end of
 * message with its accepted recipients, refused and aborted mail does
 * not, and one engine is shared by the configurations of a process.
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
#include "ratelimit.h"
#include "sections.h"

#define S (MK_RL_NS)
#define T0 (1700000000LL * S)

struct fx {
	char dir[64];
	struct mk_conf *conf[2];
	struct rlf_state *st[2];
};

/* State i from [store] over the fixture's dir plus the rule sections. */
static void
state(struct fx *f, int i, const char *rules)
{
	char *text, err[512];

	rlf_state_free(f->st[i]);
	mk_conf_free(f->conf[i]);
	f->st[i] = NULL;
	f->conf[i] = mk_conf_new_defaults();
	if (asprintf(&text, "[store]\npath = %s\n%s", f->dir, rules) < 0)
		fail();
	if (mk_cfg_schema_parse_buf(&mk_conf_schema, f->conf[i], "t.conf",
	    text, strlen(text), err, sizeof(err)) != 0)
		fail_msg("%s", err);
	free(text);
	if (rlf_state_new(f->conf[i], &f->st[i], err, sizeof(err)) != 0)
		fail_msg("%s", err);
}

static int
setup(void **st)
{
	struct fx *f = mk_calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/test_ratelimitf.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	*st = f;
	return 0;
}

static int
teardown(void **st)
{
	struct fx *f = *st;
	char cmd[128];

	for (int i = 0; i < 2; i++) {
		rlf_state_free(f->st[i]);
		mk_conf_free(f->conf[i]);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* One message on state i: its recipients' answers in out (one letter
 * each: p pass, w warn, d defer, r reject, e error), then its end of
 * message unless abort; refused[k] marks a recipient another filter
 * refuses after this one passed it (it leaves msg->nrcpt). */
static void
message(struct fx *f, int i, const char *sender, int nrcpt,
    const int *refused, int abort, int64_t now, char *out)
{
	static const char letters[] = "pwdre";
	struct rlf_envelope env = { .qid = "Q1", .sender = sender,
	    .client = "192.0.2.1" };
	struct mk_rl_txn tx;
	struct rlf_result r;
	unsigned passed = 0;
	int k;

	mk_rl_txn_reset(&tx);
	for (k = 0; k < nrcpt; k++) {
		env.rcpt = "<r@example.com>";
		env.nrcpt = passed + 1;	/* as if this one passes */
		out[k] = letters[rlf_check(f->st[i], RLF_RCPT, &env, &tx, now,
		    &r)];
		if ((out[k] == 'p' || out[k] == 'w') &&
		    (refused == NULL || !refused[k]))
			passed++;
	}
	out[k] = '\0';
	if (abort || passed == 0)
		return;
	env.rcpt = NULL;
	env.nrcpt = passed;
	r.kind = rlf_check(f->st[i], RLF_EOM, &env, &tx, now, &r);
	assert_int_equal(r.kind, RLF_PASS);
}

static void
test_request(void **st)
{
	struct rlf_envelope env = {
		.qid = "4XyZ", .auth = "alice", .sender = "<a@example.org>",
		.client = "192.0.2.7", .rcpt = "<b@example.com>", .nrcpt = 3
	};
	struct mk_rl_request rq;
	struct mk_rl_txn tx;

	(void)st;
	mk_rl_txn_reset(&tx);
	rlf_request(RLF_RCPT, &env, &rq, &tx);
	assert_string_equal(rq.protocol_state, "RCPT");
	assert_string_equal(rq.queue_id, "4XyZ");
	assert_string_equal(rq.sasl_username, "alice");
	assert_string_equal(rq.sender, "<a@example.org>");
	assert_string_equal(rq.client_address, "192.0.2.7");
	assert_string_equal(rq.recipient, "<b@example.com>");
	assert_int_equal(rq.recipient_count, -1);
	assert_null(rq.instance);
	/* the two that passed before this one */
	assert_int_equal(tx.rcpts, 2);

	env.nrcpt = 2;
	rlf_request(RLF_EOM, &env, &rq, &tx);
	assert_string_equal(rq.protocol_state, "END-OF-MESSAGE");
	assert_int_equal(rq.recipient_count, 2);
	assert_null(rq.recipient);

	/* no login, local mail, empty qid: absent */
	env.auth = "";
	env.client = "local";
	env.qid = "";
	rlf_request(RLF_RCPT, &env, &rq, &tx);
	assert_null(rq.sasl_username);
	assert_null(rq.client_address);
	assert_null(rq.queue_id);
}

static void
test_answer(void **st)
{
	struct mk_rl_verdict v;
	struct rlf_result r;

	(void)st;
	memset(&v, 0, sizeof(v));
	v.action = MK_RL_DEFER;
	v.rule = "per-user";
	strcpy(v.key, "a@example.org");
	v.what = "messages";
	v.limit = 2;
	v.period = 3600;
	v.used = 2;
	strcpy(v.reply, "DEFER 4.7.1 rate limit exceeded, try again later");
	rlf_answer(&v, &r);
	assert_int_equal(r.kind, RLF_TEMPFAIL);
	assert_string_equal(r.rcode, "450");
	assert_string_equal(r.xcode, "4.7.1");
	assert_string_equal(r.text, "rate limit exceeded, try again later");
	assert_string_equal(r.rule, "per-user");
	assert_string_equal(r.key, "a@example.org");
	assert_string_equal(r.what, "messages");
	assert_int_equal(r.limit, 2);
	assert_int_equal(r.period, 3600);

	v.action = MK_RL_REJECT;
	strcpy(v.reply, "REJECT 5.7.1 too much");
	rlf_answer(&v, &r);
	assert_int_equal(r.kind, RLF_REJECT);
	assert_string_equal(r.rcode, "550");
	assert_string_equal(r.xcode, "5.7.1");
	assert_string_equal(r.text, "too much");

	v.action = MK_RL_WARN;
	strcpy(v.reply, "DUNNO");
	rlf_answer(&v, &r);
	assert_int_equal(r.kind, RLF_WARN);
	assert_string_equal(r.rule, "per-user");
	assert_string_equal(r.text, "");

	memset(&v, 0, sizeof(v));
	v.action = MK_RL_DUNNO;
	strcpy(v.reply, "DUNNO");
	rlf_answer(&v, &r);
	assert_int_equal(r.kind, RLF_PASS);
	assert_string_equal(r.rule, "");
	assert_string_equal(rlf_kind_name(RLF_TEMPFAIL), "defer");
}

/* 2 messages an hour: two pass, the third's RCPT is deferred with the
 * rule's text; an hour later it passes again. */
static void
test_messages(void **st)
{
	struct fx *f = *st;
	struct rlf_envelope env = { .sender = "<a@example.org>",
	    .rcpt = "<x@example.com>", .nrcpt = 1 };
	struct mk_rl_txn tx;
	struct rlf_result r;
	char out[8];

	state(f, 0, "[ratelimit per-sender]\nkey = sender\n"
	    "messages = 2/1h\ntext = slow down\n");
	assert_int_equal(rlf_rules_count(f->st[0]), 1);
	message(f, 0, "<a@example.org>", 1, NULL, 0, T0, out);
	assert_string_equal(out, "p");
	message(f, 0, "<A@Example.ORG>", 1, NULL, 0, T0 + S, out);
	assert_string_equal(out, "p");
	mk_rl_txn_reset(&tx);
	assert_int_equal(rlf_check(f->st[0], RLF_RCPT, &env, &tx, T0 + 2 * S,
	    &r), RLF_TEMPFAIL);
	assert_string_equal(r.rcode, "450");
	assert_string_equal(r.xcode, "4.7.1");
	assert_string_equal(r.text, "slow down");
	assert_string_equal(r.rule, "per-sender");
	assert_string_equal(r.key, "a@example.org");
	assert_string_equal(r.what, "messages");
	/* another sender is not limited */
	message(f, 0, "<b@example.org>", 1, NULL, 0, T0 + 2 * S, out);
	assert_string_equal(out, "p");
	/* half an hour later, one message again */
	message(f, 0, "<a@example.org>", 1, NULL, 0, T0 + 1800 * S + 3 * S,
	    out);
	assert_string_equal(out, "p");
}

/* Recipients count at end of message, the accepted ones only. */
static void
test_recipients(void **st)
{
	struct fx *f = *st;
	static const int second_refused[] = { 0, 1, 0 };
	char out[8];

	state(f, 0, "[ratelimit rcpts]\nkey = sender\n"
	    "recipients = 3/1h\naction = reject\n");
	/* three recipients, the second refused by another filter: 2 count */
	message(f, 0, "<a@example.org>", 3, second_refused, 0, T0, out);
	assert_string_equal(out, "ppp");
	/* one more fits, the next is rejected 5.7.1 */
	message(f, 0, "<a@example.org>", 2, NULL, 0, T0 + S, out);
	assert_string_equal(out, "pr");
}

/* An aborted message, and one refused at every recipient, count nothing. */
static void
test_abort(void **st)
{
	struct fx *f = *st;
	char out[8];

	state(f, 0, "[ratelimit one]\nkey = client_address/24\n"
	    "messages = 1/1h\n");
	message(f, 0, "<a@example.org>", 2, NULL, 1, T0, out);
	assert_string_equal(out, "pp");
	message(f, 0, "<a@example.org>", 1, NULL, 1, T0 + S, out);
	assert_string_equal(out, "p");
	message(f, 0, "<c@example.org>", 1, NULL, 0, T0 + 2 * S, out);
	assert_string_equal(out, "p");
	/* now the /24 has had its message */
	message(f, 0, "<d@example.org>", 1, NULL, 0, T0 + 3 * S, out);
	assert_string_equal(out, "d");
}

/* warn passes; the verdict names the rule for the log line. */
static void
test_warn(void **st)
{
	struct fx *f = *st;
	struct rlf_envelope env = { .auth = "alice", .sender = "<a@example.org>",
	    .rcpt = "<x@example.com>", .nrcpt = 1 };
	struct mk_rl_txn tx;
	struct rlf_result r;
	char out[8];

	state(f, 0, "[ratelimit login]\nkey = sasl_username\n"
	    "messages = 1/1h\naction = warn\n");
	env.auth = "alice";
	mk_rl_txn_reset(&tx);
	assert_int_equal(rlf_check(f->st[0], RLF_RCPT, &env, &tx, T0, &r),
	    RLF_PASS);
	assert_int_equal(rlf_check(f->st[0], RLF_EOM, &env, &tx, T0, &r),
	    RLF_PASS);
	mk_rl_txn_reset(&tx);
	assert_int_equal(rlf_check(f->st[0], RLF_RCPT, &env, &tx, T0 + S, &r),
	    RLF_WARN);
	assert_string_equal(r.rule, "login");
	assert_string_equal(r.key, "alice");
	/* without a login the rule does not apply */
	message(f, 0, "<a@example.org>", 1, NULL, 0, T0 + S, out);
	assert_string_equal(out, "p");
}

/* Two configurations (a reload): the one engine follows the newer, the
 * counts survive each reopening, and the older goes on with it. */
static void
test_shared(void **st)
{
	struct fx *f = *st;
	static const char rules[] = "[ratelimit s]\nkey = sender\n"
	    "messages = 3/1h\n";
	char out[8];

	state(f, 0, rules);
	message(f, 0, "<a@example.org>", 1, NULL, 0, T0, out);
	assert_string_equal(out, "p");
	state(f, 1, rules);
	message(f, 1, "<a@example.org>", 1, NULL, 0, T0 + S, out);
	assert_string_equal(out, "p");
	message(f, 0, "<a@example.org>", 1, NULL, 0, T0 + 2 * S, out);
	assert_string_equal(out, "p");
	/* the newer goes: the older reopens with its own rules */
	rlf_state_free(f->st[1]);
	f->st[1] = NULL;
	message(f, 0, "<a@example.org>", 1, NULL, 0, T0 + 3 * S, out);
	assert_string_equal(out, "d");
}

/* A store that cannot be opened: RLF_ERROR with the cause. */
static void
test_store_error(void **st)
{
	struct fx *f = *st;
	struct rlf_envelope env = { .sender = "<a@example.org>",
	    .rcpt = "<x@example.com>", .nrcpt = 1 };
	struct mk_rl_txn tx;
	struct rlf_result r;
	char path[96];
	FILE *fp;

	/* ratelimit/ is a file: the environment cannot be made there */
	snprintf(path, sizeof(path), "%s/ratelimit", f->dir);
	assert_non_null(fp = fopen(path, "w"));
	fclose(fp);
	state(f, 0, "[ratelimit s]\nkey = sender\nmessages = 3/1h\n");
	mk_rl_txn_reset(&tx);
	assert_int_equal(rlf_check(f->st[0], RLF_RCPT, &env, &tx, T0, &r),
	    RLF_ERROR);
	assert_non_null(strstr(r.cause, "ratelimit"));
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_answer),
		cmocka_unit_test_setup_teardown(test_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recipients, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_warn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_error, setup,
		    teardown),
	};

	mk_conf_use(mkf_sections);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
