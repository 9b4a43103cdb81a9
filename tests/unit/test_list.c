/*
 * test_list.c - unit tests of common/list.c: the items of a list value,
 * its separators, empty items, and the bounds on an item and on the count;
 * and the bounds each list of the configuration passes to it.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "mk_addrpat.h"
#include "mk_cidr.h"
#include "mk_conf.h"
#include "mk_list.h"
#include "mk_ratelimit.h"
#include "sections.h"

#define LONG30 "abcdefghijklmnopqrstuvwxyz0123"

/* Walks text; the items joined by '|' in got, the final return in *rc. */
static void
walk(const char *text, size_t max_len, size_t max_count, const char *what,
    char *got, size_t gotlen, int *rc, char *err, size_t errlen)
{
	struct mk_list l;
	size_t off = 0;

	got[0] = '\0';
	err[0] = '\0';
	mk_list_init(&l, text, max_len, max_count, what);
	while ((*rc = mk_list_next(&l, err, errlen)) > 0) {
		assert_true(l.len > 0);
		off += (size_t)snprintf(got + off, gotlen - off, "%s%.*s",
		    off > 0 ? "|" : "", (int)l.len, l.item);
		assert_true(off < gotlen);
	}
}

static void
test_items_and_errors(void **state)
{
	static const struct {
		const char *text;
		size_t max_len, max_count;
		const char *what;
		const char *items;	/* returned before the end or error */
		int rc;			/* the final return */
		const char *msg;	/* "" when none */
	} cases[] = {
		/* separators: commas, blanks, tabs, in any mix */
		{ "", 0, 0, NULL, "", 0, "" },
		{ "a", 0, 0, NULL, "a", 0, "" },
		{ "a,b", 0, 0, NULL, "a|b", 0, "" },
		{ "a b", 0, 0, NULL, "a|b", 0, "" },
		{ "a\tb", 0, 0, NULL, "a|b", 0, "" },
		{ "a, b ,c\t,\td", 0, 0, NULL, "a|b|c|d", 0, "" },
		/* blanks around the list */
		{ "  a  ", 0, 0, NULL, "a", 0, "" },
		{ "\ta,b\t", 0, 0, NULL, "a|b", 0, "" },
		/* empty items are skipped */
		{ " , \t,, ", 0, 0, NULL, "", 0, "" },
		{ ",,a,,,b,,", 0, 0, NULL, "a|b", 0, "" },
		/* nothing else separates */
		{ "a;b c:d", 0, 0, NULL, "a;b|c:d", 0, "" },
		{ "a\nb", 0, 0, NULL, "a\nb", 0, "" },
		/* the item bound: exactly max_len is fine, one more is not */
		{ "abc, de", 3, 0, NULL, "abc|de", 0, "" },
		{ "abc, abcd", 3, 0, NULL, "abc", MK_LIST_ETOOLONG,
		  "\"abcd\" is longer than 3 octets" },
		{ LONG30, 29, 0, NULL, "", MK_LIST_ETOOLONG,
		  "\"abcdefghijklmnopqrst...\" is longer than 29 octets" },
		{ LONG30, 30, 0, NULL, LONG30, 0, "" },
		{ LONG30, 0, 0, NULL, LONG30, 0, "" },
		/* the count bound: exactly max_count is fine, one more is not */
		{ "a b", 0, 2, "networks", "a|b", 0, "" },
		{ "a b ,, ", 0, 2, "networks", "a|b", 0, "" },
		{ "a b c", 0, 2, "networks", "a|b", MK_LIST_ETOOMANY,
		  "more than 2 networks" },
		{ "a b c", 0, 2, NULL, "a|b", MK_LIST_ETOOMANY,
		  "more than 2 items" },
		/* the count is checked before the length */
		{ "a bb", 1, 1, "keys", "a", MK_LIST_ETOOMANY,
		  "more than 1 keys" },
	};
	char got[256], err[128];
	int rc;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		walk(cases[i].text, cases[i].max_len, cases[i].max_count,
		    cases[i].what, got, sizeof(got), &rc, err, sizeof(err));
		if (strcmp(got, cases[i].items) != 0 || rc != cases[i].rc ||
		    strcmp(rc < 0 ? err : "", cases[i].msg) != 0)
			fail_msg("case %zu \"%s\": items \"%s\" rc %d \"%s\"", i,
			    cases[i].text, got, rc, err);
	}
}

static void
test_end_is_sticky_and_err_may_be_null(void **state)
{
	struct mk_list l;

	(void)state;
	mk_list_init(&l, "x, y", 0, 1, NULL);
	assert_int_equal(mk_list_next(&l, NULL, 0), 1);
	assert_int_equal(mk_list_next(&l, NULL, 0), MK_LIST_ETOOMANY);
	assert_int_equal(l.count, 1);
	mk_list_init(&l, " x ", 0, 0, NULL);
	assert_int_equal(mk_list_next(&l, NULL, 0), 1);
	assert_int_equal(mk_list_next(&l, NULL, 0), 0);
	assert_int_equal(mk_list_next(&l, NULL, 0), 0);
}

static void
test_strerror_explains_each_code(void **state)
{
	(void)state;
	assert_non_null(strstr(mk_list_strerror(MK_LIST_ETOOLONG), "too long"));
	assert_non_null(strstr(mk_list_strerror(MK_LIST_ETOOMANY), "too many"));
	assert_non_null(strstr(mk_list_strerror(-99), "unknown"));
}

/* n copies of item, blank-separated, after prefix, in buf. */
static const char *
repeat(char *buf, size_t len, const char *prefix, const char *item, size_t n)
{
	size_t off = (size_t)snprintf(buf, len, "%s", prefix);

	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i > 0 ? " " : "", item);
	assert_true(off < len);
	return buf;
}

/* A headers list row checked through the configuration; 0 or -1, err. */
static int
headers_row_check(const char *text, char *err, size_t errlen)
{
	struct mk_conf *c = mk_conf_new_defaults();
	int rc = mk_cfg_schema_parse_buf(&mk_conf_schema, c, "t.conf", text,
	    strlen(text), err, errlen);

	mk_conf_free(c);
	return rc;
}

/* Each converted caller keeps its own bounds and names its items. */
static void
test_callers_keep_their_limits(void **state)
{
	static char buf[16384];
	char long54[55], long255[256], long64[65], err[256];
	static const struct {
		int (*check)(const char *, char *, size_t);
		const char *prefix, *item;
		size_t n;
		const char *want;	/* NULL: accepted */
	} counts[] = {
		{ mk_cidr_list_check, "", "10.0.0.1", 1024, NULL },
		{ mk_cidr_list_check, "", "10.0.0.1", 1025,
		  "more than 1024 networks" },
		{ mk_addrpat_list_check, "", "a@", 1024, NULL },
		{ mk_addrpat_list_check, "", "a@", 1025, "more than 1024 items" },
		{ mk_rl_rates_check, "", "1/1m", 4, NULL },
		{ mk_rl_rates_check, "", "1/1m", 5, "more than 4 rates" },
		{ mk_rl_keys_check, "", "sender", 6, NULL },
		{ mk_rl_keys_check, "", "sender", 7, "more than 6 keys" },
		{ headers_row_check, "[headers]\ninternal_hosts = ", "a", 1024,
		  NULL },
		{ headers_row_check, "[headers]\ninternal_hosts = ", "a", 1025,
		  "t.conf:2: [headers] internal_hosts: more than 1024 items" },
		{ headers_row_check, "[headers]\nremove_headers = ", "a", 1025,
		  "t.conf:2: [headers] remove_headers: more than 1024 items" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		int rc = counts[i].check(repeat(buf, sizeof(buf),
		    counts[i].prefix, counts[i].item, counts[i].n), err,
		    sizeof(err));
		if (counts[i].want == NULL ? rc != 0 :
		    rc != -1 || strstr(err, counts[i].want) == NULL)
			fail_msg("case %zu: rc %d \"%s\"", i, rc, rc ? err : "");
	}

	/* item bounds: a network 53 octets, an address 254, a rate 63 */
	memset(long54, '1', sizeof(long54) - 1);
	long54[54] = '\0';
	assert_int_equal(mk_cidr_list_check(long54, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is longer than 53 octets"));
	long54[53] = '\0';
	assert_int_equal(mk_cidr_list_check(long54, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is not an IPv4 or IPv6 address"));

	memset(long255, 'a', sizeof(long255) - 1);
	long255[255] = '\0';
	long255[0] = '@';
	assert_int_equal(mk_addrpat_list_check(long255, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is longer than 254 octets"));

	memset(long64, '1', sizeof(long64) - 1);
	long64[64] = '\0';
	memcpy(long64 + 60, "/1m", 4);	/* 63 octets: a rate */
	assert_int_equal(mk_rl_rates_check(long64, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "the count must be"));
	memcpy(long64 + 60, "0/1m", 5);	/* 64 octets */
	assert_int_equal(mk_rl_rates_check(long64, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is longer than 63 octets"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_items_and_errors),
		cmocka_unit_test(test_end_is_sticky_and_err_may_be_null),
		cmocka_unit_test(test_strerror_explains_each_code),
		cmocka_unit_test(test_callers_keep_their_limits),
	};

	mk_conf_use(mkf_sections);
	return cmocka_run_group_tests_name("list", tests, NULL, NULL);
}
