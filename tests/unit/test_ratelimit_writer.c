/*
 * test_ratelimit_writer.c - unit tests of the rate-limit writer thread and
 * overlay (common/ratelimit_writer.c, common/ratelimit_overlay.c): the
 * overlay's entries and pruning; counts queued and not yet committed are
 * seen by the next check of the same engine but not by another process
 * until committed; commits merge with the counts of another process; a
 * full queue waits for the writer and stopping commits what is queued; a
 * failed commit is reported, turns the next checks into errors and the
 * engine recovers; a map grown by another process is adopted on the read
 * side and on the writer's side. "Another process" is a forked child with
 * its own engine, as a second milterkit-policyd would be.
 */
#include "config.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "mk_conf.h"
#include "mk_mem.h"
#include "ratelimit_priv.h"
#include "rl_fx.h"

#define S (MK_RL_NS)
#define T0 (1700000000LL * S)
#define MAP (1LL << 24)

/* Engine over f->dir with the given rule sections and map size. */
static void
engine(struct fx *f, const char *rules, long long map)
{
	char err[512];

	f->conf = mk_conf_new_defaults();
	if (mk_cfg_schema_parse_buf(&mk_conf_schema, f->conf, "t.conf", rules,
	    strlen(rules), err, sizeof(err)) != 0)
		fail_msg("%s", err);
	if (mk_rl_rules_load(f->conf, &f->rules, err, sizeof(err)) != 0 ||
	    mk_rl_engine_open(f->dir, f->rules, map, &f->e, err,
	    sizeof(err)) != 0)
		fail_msg("%s", err);
	mk_rl_txn_reset(&f->tx);
}

/* One request to e; mk_rl_check()'s return, the verdict in *v. */
static int
check(struct mk_rl_engine *e, struct mk_rl_txn *tx, const char *state,
    const char *inst, const char *sender, struct mk_rl_verdict *v)
{
	struct mk_rl_request rq;

	memset(&rq, 0, sizeof(rq));
	rq.protocol_state = state;
	rq.instance = inst;
	rq.sender = sender;
	rq.recipient_count = 1;
	return mk_rl_check(e, &rq, tx, T0, v);
}

/* A message of one recipient: the first refusal, or the EOM verdict. */
static int
message(struct fx *f, const char *inst, const char *sender)
{
	struct mk_rl_verdict v;

	if (check(f->e, &f->tx, "RCPT", inst, sender, &v) != 0)
		fail_msg("check: %s", v.reply);
	if (v.action != MK_RL_DUNNO)
		return v.action;
	if (check(f->e, &f->tx, "END-OF-MESSAGE", inst, sender, &v) != 0)
		fail_msg("check: %s", v.reply);
	return v.action;
}

static void
flush_ok(struct fx *f)
{
	char err[512];

	if (mk_rl_flush(f->e, err, sizeof(err)) != 0)
		fail_msg("flush: %s", err);
}

/* In a child process with an engine of its own: n messages of one
 * recipient from sender (each from its own, "N" + sender, when numbered),
 * or when n < 0 the messages of rule r that sender used. Returns what the
 * child says. */
static int
other(struct fx *f, const char *sender, int n, int numbered, long long map)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct mk_rl_engine *e;
		struct mk_rl_txn tx;
		struct mk_rl_verdict v;
		struct mk_rl_usage u;
		char err[512], inst[32], s[128];
		int rc = 0;

		if (mk_rl_engine_open(f->dir, f->rules, map, &e, err,
		    sizeof(err)) != 0)
			_exit(255);
		if (n < 0) {
			rc = mk_rl_state_get(e, "r", sender, T0, &u);
			rc = rc == 0 ? (int)u.rate[0].used : rc == 1 ? 0 : 254;
		}
		mk_rl_txn_reset(&tx);
		for (int i = 0; i < n && rc == 0; i++) {
			snprintf(inst, sizeof(inst), "child%d", i);
			if (numbered)
				snprintf(s, sizeof(s), "%d%s", i, sender);
			else
				snprintf(s, sizeof(s), "%s", sender);
			if (check(e, &tx, "END-OF-MESSAGE", inst, s, &v) != 0)
				rc = 253;
		}
		if (mk_rl_flush(e, err, sizeof(err)) != 0)
			rc = 252;
		mk_rl_engine_close(e);
		_exit(rc);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int
other_used(struct fx *f, const char *sender)
{
	return other(f, sender, -1, 0, MAP);
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
test_overlay_entries(void **st)
{
	struct rl_overlay *ov = mk_rl__ov_new();
	int64_t a[2] = { 10, 20 }, b[2] = { 30, 40 }, got[4];
	char k[32];

	(void)st;
	mk_rl__ov_put(ov, "r\0k1", 4, a, 2, 1);
	mk_rl__ov_put(ov, "r\0k2", 4, b, 2, 2);
	a[0] = 11;
	mk_rl__ov_put(ov, "r\0k1", 4, a, 2, 3);	/* k1 now last updated by 3 */
	assert_int_equal(mk_rl__ov_size(ov), 2);
	assert_true(mk_rl__ov_get(ov, "r\0k1", 4, got, 4));
	assert_int_equal(got[0], 11);
	assert_int_equal(got[1], 20);
	assert_int_equal(got[2], 0);		/* zeros beyond what it holds */
	assert_int_equal(got[3], 0);
	assert_false(mk_rl__ov_get(ov, "r\0k3", 4, got, 2));
	assert_false(mk_rl__ov_get(ov, "r\0k", 3, got, 2));
	/* update 2 done: k2 goes, k1 waits for its update 3 */
	mk_rl__ov_prune(ov, 2);
	assert_int_equal(mk_rl__ov_size(ov), 1);
	assert_false(mk_rl__ov_get(ov, "r\0k2", 4, got, 2));
	assert_true(mk_rl__ov_get(ov, "r\0k1", 4, got, 2));
	mk_rl__ov_prune(ov, 3);
	assert_int_equal(mk_rl__ov_size(ov), 0);
	assert_false(mk_rl__ov_get(ov, "r\0k1", 4, got, 2));
	/* many keys share buckets: pruning the older half keeps the rest */
	for (int i = 1; i <= 20000; i++) {
		int n = snprintf(k, sizeof(k), "r%cs%d", 0, i);
		a[0] = i;
		mk_rl__ov_put(ov, k, (size_t)n, a, 2, 100 + (uint64_t)i);
	}
	mk_rl__ov_prune(ov, 100 + 10000);
	assert_int_equal(mk_rl__ov_size(ov), 10000);
	for (int i = 1; i <= 20000; i++) {
		int n = snprintf(k, sizeof(k), "r%cs%d", 0, i);
		int have = mk_rl__ov_get(ov, k, (size_t)n, got, 2);
		if (have != (i > 10000) || (have && got[0] != i))
			fail_msg("key %d: have %d, tat %lld", i, have,
			    (long long)got[0]);
	}
	mk_rl__ov_free(ov);
	mk_rl__ov_free(NULL);
}

static void
test_queued_counts_seen_before_commit(void **st)
{
	struct fx *f = *st;

	engine(f, "[ratelimit r]\nkey = sender\nmessages = 3/1h\n", MAP);
	assert_int_equal(message(f, "m1", "a@x.example"), MK_RL_DUNNO);
	flush_ok(f);
	assert_int_equal(other_used(f, "a@x.example"), 1);
	mk_rl__wr_pause(f->e->wr, 1);
	assert_int_equal(message(f, "m2", "a@x.example"), MK_RL_DUNNO);
	assert_int_equal(message(f, "m3", "a@x.example"), MK_RL_DUNNO);
	assert_int_equal(mk_rl__wr_pending(f->e->wr), 2);
	/* not committed: another process does not see them yet */
	assert_int_equal(other_used(f, "a@x.example"), 1);
	/* this engine does: the fourth message does not fit */
	assert_int_equal(message(f, "m4", "a@x.example"), MK_RL_DEFER);
	mk_rl__wr_pause(f->e->wr, 0);
	flush_ok(f);
	assert_int_equal(mk_rl__wr_pending(f->e->wr), 0);
	assert_int_equal(other_used(f, "a@x.example"), 3);
	/* committed: the next read drops the overlay's entry */
	assert_int_equal(mk_rl__ov_size(f->e->ov), 1);
	assert_int_equal(message(f, "m5", "a@x.example"), MK_RL_DEFER);
	assert_int_equal(mk_rl__ov_size(f->e->ov), 0);
}

static void
test_commits_merge_with_other_processes(void **st)
{
	struct fx *f = *st;
	char inst[16];

	engine(f, "[ratelimit r]\nkey = sender\nmessages = 10/1h\n", MAP);
	assert_int_equal(message(f, "m1", "a@x.example"), MK_RL_DUNNO);
	flush_ok(f);
	mk_rl__wr_pause(f->e->wr, 1);
	assert_int_equal(message(f, "m2", "a@x.example"), MK_RL_DUNNO);
	/* meanwhile another process counts 3 and commits */
	assert_int_equal(other(f, "a@x.example", 3, 0, MAP), 0);
	assert_int_equal(other_used(f, "a@x.example"), 4);
	mk_rl__wr_pause(f->e->wr, 0);
	flush_ok(f);
	/* m2 adds to the 4, it does not overwrite them with its 2 */
	assert_int_equal(other_used(f, "a@x.example"), 5);
	/* and this engine goes on from the store's 5 */
	for (int i = 0; i < 5; i++) {
		snprintf(inst, sizeof(inst), "n%d", i);
		assert_int_equal(message(f, inst, "a@x.example"), MK_RL_DUNNO);
	}
	assert_int_equal(message(f, "n5", "a@x.example"), MK_RL_DEFER);
}

static void *
unpause_later(void *arg)
{
	struct timespec ts = { 0, 100 * 1000000L };

	nanosleep(&ts, NULL);
	mk_rl__wr_pause(arg, 0);
	return NULL;
}

static void
test_full_queue_waits_and_stop_commits(void **st)
{
	struct fx *f = *st;
	struct rl_writer *w;
	const char k[] = "r\0q@x.example";
	int64_t add[1] = { 360 * S };		/* one message of 10/1h */
	pthread_t tid;
	int64_t t;

	engine(f, "[ratelimit r]\nkey = sender\nmessages = 10/1h\n", MAP);
	assert_int_equal(message(f, "m1", "a@x.example"), MK_RL_DUNNO);
	flush_ok(f);				/* the environment is open */
	assert_int_equal(mk_rl__wr_start(&w, f->e->env, f->e->dbi, f->e->dir,
	    MAP, 2), 0);
	mk_rl__wr_pause(w, 1);
	assert_int_equal(mk_rl__wr_push(w, k, sizeof(k) - 1, T0, add, 1), 1);
	assert_int_equal(mk_rl__wr_push(w, k, sizeof(k) - 1, T0, add, 1), 2);
	assert_int_equal(mk_rl__wr_pending(w), 2);
	assert_int_equal(mk_rl__wr_committed(w), 0);
	/* the ring is full: the third push waits until the writer runs */
	assert_int_equal(pthread_create(&tid, NULL, unpause_later, w), 0);
	t = mono_ms();
	assert_int_equal(mk_rl__wr_push(w, k, sizeof(k) - 1, T0, add, 1), 3);
	assert_true(mono_ms() - t >= 80);
	assert_true(mk_rl__wr_committed(w) >= 2);
	assert_int_equal(pthread_join(tid, NULL), 0);
	assert_int_equal(mk_rl__wr_flush(w), 0);
	assert_int_equal(mk_rl__wr_committed(w), 3);
	assert_int_equal(mk_rl__wr_pending(w), 0);
	assert_int_equal(other_used(f, "q@x.example"), 3);
	/* stopping commits what is queued, paused or not */
	mk_rl__wr_pause(w, 1);
	assert_int_equal(mk_rl__wr_push(w, k, sizeof(k) - 1, T0, add, 1), 4);
	mk_rl__wr_stop(w);
	assert_int_equal(other_used(f, "q@x.example"), 4);
}

static void
test_failed_commit_is_reported(void **st)
{
	struct fx *f = *st;
	struct mk_rl_verdict v;
	struct mk_rl_usage u;
	char sender[300], inst[16], err[512];

	/* 64 KiB of map cannot take 250 keys of 200 octets in one commit */
	engine(f, "[ratelimit r]\nkey = sender\nmessages = 10/1h\n", 1LL << 16);
	assert_int_equal(message(f, "m1", "a@x.example"), MK_RL_DUNNO);
	flush_ok(f);
	mk_rl__wr_pause(f->e->wr, 1);
	for (int i = 0; i < 250; i++) {
		snprintf(inst, sizeof(inst), "b%d", i);
		snprintf(sender, sizeof(sender), "%d@%060d.%060d.%060d.example",
		    i, 0, 0, 0);
		assert_int_equal(check(f->e, &f->tx, "END-OF-MESSAGE", inst,
		    sender, &v), 0);
	}
	mk_rl__wr_pause(f->e->wr, 0);
	assert_int_equal(mk_rl_flush(f->e, err, sizeof(err)), MK_RL_ESTORE);
	assert_non_null(strstr(err, "is full (map_size 65536): raise [store]"
	    " map_size"));
	assert_non_null(strstr(err, "(250 counter updates lost)"));
	/* reported once */
	assert_int_equal(mk_rl_batch_end(f->e, err, sizeof(err)), 0);
	/* the lost counts are gone from this engine's view too */
	assert_int_equal(mk_rl_state_get(f->e, "r", sender, T0, &u), 1);
	/* until a commit succeeds, counted requests are errors... */
	mk_rl__wr_pause(f->e->wr, 1);
	assert_int_equal(check(f->e, &f->tx, "END-OF-MESSAGE", "c1",
	    "a@x.example", &v), MK_RL_ESTORE);
	assert_non_null(strstr(v.reply, "(counters not saved)"));
	/* ...but the request is queued, and this small commit succeeds */
	mk_rl__wr_pause(f->e->wr, 0);
	flush_ok(f);
	assert_int_equal(check(f->e, &f->tx, "END-OF-MESSAGE", "c2",
	    "a@x.example", &v), 0);
	flush_ok(f);
	assert_int_equal(other(f, "a@x.example", -1, 0, 1LL << 16), 3);
}

/* Grow the store beyond 1 MiB from another process with a bigger map. */
static void
grow_elsewhere(struct fx *f)
{
	char path[128];
	struct stat sb;

	assert_int_equal(other(f, "@grow.example", 50000, 1, MAP), 0);
	snprintf(path, sizeof(path), "%s/ratelimit/data.mdb", f->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_size > (1 << 20));
}

static void
test_map_grown_elsewhere_read_side(void **st)
{
	struct fx *f = *st;

	engine(f, "[ratelimit r]\nkey = sender\nmessages = 10/1h\n", 1LL << 20);
	assert_int_equal(message(f, "m1", "a@x.example"), MK_RL_DUNNO);
	flush_ok(f);
	grow_elsewhere(f);
	/* the read meets MDB_MAP_RESIZED and adopts the new size */
	assert_int_equal(message(f, "m2", "a@x.example"), MK_RL_DUNNO);
	flush_ok(f);
	assert_int_equal(other_used(f, "a@x.example"), 2);
	assert_int_equal(other_used(f, "49999@grow.example"), 1);
}

static void
test_map_grown_elsewhere_writer_side(void **st)
{
	struct fx *f = *st;

	engine(f, "[ratelimit r]\nkey = sender\nmessages = 10/1h\n", 1LL << 20);
	assert_int_equal(message(f, "m1", "a@x.example"), MK_RL_DUNNO);
	flush_ok(f);
	mk_rl__wr_pause(f->e->wr, 1);
	assert_int_equal(message(f, "m2", "a@x.example"), MK_RL_DUNNO);
	grow_elsewhere(f);
	/* the writer meets MDB_MAP_RESIZED; the flush adopts the size and
	 * the writer commits */
	mk_rl__wr_pause(f->e->wr, 0);
	flush_ok(f);
	assert_int_equal(mk_rl__wr_pending(f->e->wr), 0);
	assert_int_equal(other_used(f, "a@x.example"), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overlay_entries),
		cmocka_unit_test_setup_teardown(
		    test_queued_counts_seen_before_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_commits_merge_with_other_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_full_queue_waits_and_stop_commits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_commit_is_reported,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_map_grown_elsewhere_read_side, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_map_grown_elsewhere_writer_side, setup, teardown),
	};

	return cmocka_run_group_tests_name("ratelimit_writer", tests, NULL,
	    NULL);
}
