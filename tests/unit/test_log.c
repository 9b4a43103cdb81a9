/*
 * test_log.c - unit tests of common/log.c: levels, decision lines, the
 * printable filter applied to client-supplied text, and the file target
 * (lines appended, reopened after a rename as logrotate does, links and
 * files with other names refused).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "mk_log.h"

static char last[4096];
static int lines;

static void
capture(enum mk_log_level level, const char *line, void *arg)
{
	(void)level;
	(void)arg;
	snprintf(last, sizeof(last), "%s", line);
	lines++;
}

static int
setup(void **state)
{
	(void)state;
	mk_log_set_sink(capture, NULL);
	mk_log_set_level(MK_LOG_INFO);
	last[0] = '\0';
	lines = 0;
	return 0;
}

static void
test_level_filter_lives_in_logger(void **state)
{
	(void)state;
	mk_debug("hidden %d", 1);
	assert_int_equal(lines, 0);
	mk_info("shown %d", 2);
	assert_int_equal(lines, 1);
	assert_string_equal(last, "shown 2");
	mk_log_set_level(MK_LOG_ERROR);
	mk_warn("hidden");
	assert_int_equal(lines, 1);
	mk_error("bad");
	assert_string_equal(last, "bad");
}

static void
test_decision_line_carries_queue_id(void **state)
{
	(void)state;
	mk_log_event(MK_LOG_INFO, "4Q2x1", "reject rcpt=<%s>", "a@b.example");
	assert_string_equal(last, "4Q2x1: reject rcpt=<a@b.example>");
	mk_log_event(MK_LOG_INFO, NULL, "accept");
	assert_string_equal(last, "NOQUEUE: accept");
	mk_log_event(MK_LOG_INFO, "Q\r\nX", "x");
	assert_string_equal(last, "Q??X: x");
}

static void
test_printable_replaces_controls_and_truncates(void **state)
{
	char buf[16];

	(void)state;
	assert_string_equal(mk_printable(buf, sizeof(buf), "ab\x01\r\n\xc3\xa9z", (size_t)-1),
	    "ab?????z");
	assert_string_equal(mk_printable(buf, sizeof(buf), "0123456789abcdefghij", (size_t)-1),
	    "0123456789ab...");
	assert_string_equal(mk_printable(buf, sizeof(buf), "a\0b", 3), "a?b");
	assert_string_equal(mk_printable(buf, sizeof(buf), NULL, 0), "");
}

static void
test_level_names_parse(void **state)
{
	enum mk_log_level l;

	(void)state;
	assert_int_equal(mk_log_level_parse("DEBUG", &l), 0);
	assert_int_equal(l, MK_LOG_DEBUG);
	assert_int_equal(mk_log_level_parse("warning", &l), 0);
	assert_int_equal(l, MK_LOG_WARN);
	assert_int_equal(mk_log_level_parse("loud", &l), -1);
	assert_string_equal(mk_log_level_name(MK_LOG_ERROR), "error");
}

static void
test_overlong_line_is_marked(void **state)
{
	char big[3000];

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mk_info("%s", big);
	assert_true(strlen(last) < sizeof(big));
	assert_string_equal(last + strlen(last) - 3, "...");
}

/* A thousand events of a kind: one line; after the window, one more line
 * with the count of those not logged. */
static void
test_limited(void **state)
{
	static struct mk_log_limit l = MK_LOG_LIMIT_INIT;

	(void)state;
	l.window = 1;
	for (int i = 0; i < 1000; i++)
		mk_log_limited(&l, MK_LOG_WARN, "peer %d left", i);
	assert_int_equal(lines, 1);
	assert_string_equal(last, "peer 0 left");
	usleep(1100 * 1000);
	mk_log_limited(&l, MK_LOG_WARN, "peer %d left", 1000);
	assert_int_equal(lines, 2);
	assert_string_equal(last, "peer 1000 left; 999 more like it since");
	mk_log_limited(&l, MK_LOG_WARN, "peer %d left", 1001);
	assert_int_equal(lines, 2);
	/* Below the level: nothing, not even counted as logged. */
	mk_log_set_level(MK_LOG_ERROR);
	usleep(1100 * 1000);
	mk_log_limited(&l, MK_LOG_WARN, "hidden");
	assert_int_equal(lines, 2);
	mk_log_set_level(MK_LOG_INFO);
}

static void
test_target_check(void **state)
{
	static const struct {
		const char *text;
		int ok;
	} cases[] = {
		{ "syslog", 1 }, { "stderr", 1 }, { "file:/var/log/mk.log", 1 },
		{ "file:relative.log", 0 }, { "file:", 0 }, { "journal", 0 },
		{ "Syslog", 0 }, { "", 0 },
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if ((mk_log_target_check(cases[i].text, err, sizeof(err)) == 0) !=
		    cases[i].ok)
			fail_msg("\"%s\": want %s", cases[i].text,
			    cases[i].ok ? "accepted" : "refused");
	assert_int_equal(mk_log_target_check("journal", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "expected syslog, stderr or file:/path"));
}

static char *
slurp(const char *path)
{
	static char buf[8192];
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (fp != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	return buf;
}

/* Lines go to the file; after a rename and a reopen, to a new file at the
 * same path; links and files with other names are refused. */
static void
test_file_target(void **state)
{
	char dir[] = "/tmp/test_log.XXXXXX", path[64], old[64], lnk[64],
	    target[80], err[256], *text;

	(void)state;
	mk_log_set_sink(NULL, NULL);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/mk.log", dir);
	snprintf(old, sizeof(old), "%s/mk.log.1", dir);
	snprintf(lnk, sizeof(lnk), "%s/link.log", dir);
	snprintf(target, sizeof(target), "file:%s", path);
	mk_log_open("test_log", 1);
	assert_int_equal(mk_log_set_target(target, err, sizeof(err)), 0);
	mk_log(MK_LOG_INFO, "first line");
	text = slurp(path);
	assert_non_null(strstr(text, " test_log["));
	assert_non_null(strstr(text, "]: info: first line\n"));

	/* logrotate: rename, then reopen. */
	assert_int_equal(rename(path, old), 0);
	mk_log(MK_LOG_INFO, "still the old file");
	assert_int_equal(mk_log_reopen(err, sizeof(err)), 0);
	mk_log(MK_LOG_INFO, "the new file");
	assert_non_null(strstr(slurp(old), "still the old file"));
	assert_null(strstr(slurp(old), "the new file"));
	assert_non_null(strstr(slurp(path), "the new file"));

	/* A link is never followed; a file with a second name is refused;
	 * the old target stays. */
	assert_int_equal(symlink(old, lnk), 0);
	snprintf(target, sizeof(target), "file:%s", lnk);
	assert_int_equal(mk_log_set_target(target, err, sizeof(err)), -1);
	assert_non_null(strstr(err, lnk));
	assert_int_equal(unlink(lnk), 0);
	assert_int_equal(link(old, lnk), 0);
	assert_int_equal(mk_log_set_target(target, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "single name"));
	mk_log(MK_LOG_INFO, "kept");
	assert_non_null(strstr(slurp(path), "kept"));

	/* Back to stderr: the file is closed, nothing more goes to it. */
	assert_int_equal(mk_log_set_target("stderr", err, sizeof(err)), 0);
	mk_log(MK_LOG_INFO, "to stderr");
	assert_null(strstr(slurp(path), "to stderr"));
	unlink(path);
	unlink(old);
	unlink(lnk);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_level_filter_lives_in_logger, setup),
		cmocka_unit_test_setup(test_decision_line_carries_queue_id, setup),
		cmocka_unit_test_setup(test_printable_replaces_controls_and_truncates, setup),
		cmocka_unit_test_setup(test_level_names_parse, setup),
		cmocka_unit_test_setup(test_overlong_line_is_marked, setup),
		cmocka_unit_test_setup(test_limited, setup),
		cmocka_unit_test(test_target_check),
		cmocka_unit_test(test_file_target),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
