/*
 * test_log.c - unit tests of common/log.c: levels, decision lines and the
 * printable filter applied to client-supplied text.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_level_filter_lives_in_logger, setup),
		cmocka_unit_test_setup(test_decision_line_carries_queue_id, setup),
		cmocka_unit_test_setup(test_printable_replaces_controls_and_truncates, setup),
		cmocka_unit_test_setup(test_level_names_parse, setup),
		cmocka_unit_test_setup(test_overlong_line_is_marked, setup),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
