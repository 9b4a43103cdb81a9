/*
 * test_dns.c - the resolver's plain parts: RDATA decoding (TXT strings,
 * names), the [dns] servers list, record type names, names refused
 * before any query is sent.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "dns_priv.h"
#include "mk_dns.h"

static void
txt_strings_are_joined(void **state)
{
	static const unsigned char d[] = "\x05v=spf\x07" "1 -all ";
	struct mk_dns_rr rr = { d, sizeof(d) - 1 };
	char buf[64];

	(void)state;
	assert_int_equal(mk_dns_txt(&rr, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "v=spf1 -all ");
}

static void
txt_empty_and_bounds(void **state)
{
	static const unsigned char empty[] = "\x00";
	static const unsigned char over[] = "\x09short";	/* says 9, has 5 */
	static const unsigned char nul[] = "\x03" "a\0b";
	struct mk_dns_rr rr = { empty, 1 };
	char buf[8];

	(void)state;
	assert_int_equal(mk_dns_txt(&rr, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	rr.data = over;
	rr.len = sizeof(over) - 1;
	assert_int_equal(mk_dns_txt(&rr, buf, sizeof(buf)), -1);
	rr.data = (const unsigned char *)"\x08" "12345678";
	rr.len = 9;
	assert_int_equal(mk_dns_txt(&rr, buf, sizeof(buf)), -1); /* no room */
	rr.data = nul;
	rr.len = sizeof(nul) - 1;
	assert_int_equal(mk_dns_txt(&rr, buf, sizeof(buf)), -1); /* a NUL */
}

static void
names_decode(void **state)
{
	static const unsigned char mx[] = "\x00\x0a\x04mail\x07" "example\x04test";
	static const unsigned char root[] = "";
	static const unsigned char cut[] = "\x04mail\x07" "exa";
	static const unsigned char dot[] = "\x03" "a.b\x00";
	struct mk_dns_rr rr = { mx, sizeof(mx) };
	char buf[64];

	(void)state;
	assert_int_equal(mk_dns_rr_name(&rr, 2, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "mail.example.test");
	assert_int_equal(mk_dns_rr_name(&rr, 2, buf, 10), -1);	/* no room */
	rr.data = root;
	rr.len = 1;
	assert_int_equal(mk_dns_rr_name(&rr, 0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	rr.data = cut;
	rr.len = sizeof(cut) - 1;
	assert_int_equal(mk_dns_rr_name(&rr, 0, buf, sizeof(buf)), -1);
	rr.data = dot;
	rr.len = sizeof(dot) - 1;
	assert_int_equal(mk_dns_rr_name(&rr, 0, buf, sizeof(buf)), -1);
	rr.data = mx;
	rr.len = sizeof(mx);
	assert_int_equal(mk_dns_rr_name(&rr, 200, buf, sizeof(buf)), -1);
}

static void
servers_list(void **state)
{
	static const char *const good[] = { "", "192.0.2.1", "192.0.2.1:5353",
	    "2001:db8::1", "[2001:db8::1]:53", "127.0.0.1:53, [::1]:5300", "[2001:db8::1]",
	    NULL };
	static const char *const bad[] = { "ns.example.com", "192.0.2.1:0",
	    "192.0.2.1:65536", "192.0.2.1:", "[2001:db8::1", "[::1]x",
	    "2001:db8::1:53x", "300.1.1.1", "[192.0.2.1]:53", NULL };
	char err[256];

	(void)state;
	for (int i = 0; good[i] != NULL; i++)
		assert_int_equal(mk_dns_servers_check(good[i], err,
		    sizeof(err)), 0);
	for (int i = 0; bad[i] != NULL; i++) {
		err[0] = '\0';
		if (mk_dns_servers_check(bad[i], err, sizeof(err)) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_non_null(strstr(err, "name server"));
	}
}

static void
type_names(void **state)
{
	(void)state;
	assert_int_equal(mk_dns_type("txt"), MK_DNS_T_TXT);
	assert_int_equal(mk_dns_type("AAAA"), MK_DNS_T_AAAA);
	assert_int_equal(mk_dns_type("Mx"), MK_DNS_T_MX);
	assert_int_equal(mk_dns_type("ANY"), -1);
	assert_string_equal(mk_dns_status_name(MK_DNS_NXDOMAIN), "nxdomain");
	assert_string_equal(mk_dns_status_name(99), "?");
}

static void
bad_names_refused(void **state)
{
	struct mk_conf_dns conf = { "127.0.0.1:9", 1, 65536 };
	struct mk_dns *dns;
	struct mk_dns_answer *a;
	char err[256], big[300];
	static const char *const bad[] = { "", ".", "a..b", "a b.test",
	    "a\\.b.test", "x.\"y\".test", "\x01.test", NULL };

	(void)state;
	assert_int_equal(mk_dns_new(&conf, &dns, err, sizeof(err)), 0);
	for (int i = 0; bad[i] != NULL; i++)
		assert_int_equal(mk_dns_lookup(dns, bad[i], MK_DNS_T_A, NULL,
		    NULL, NULL), -1);
	memset(big, 'a', 64);
	strcpy(big + 64, ".test");		/* a 64-octet label */
	assert_int_equal(mk_dns_lookup(dns, big, MK_DNS_T_A, NULL, NULL,
	    NULL), -1);
	for (int i = 0; i < 254; i += 2)	/* 254 octets */
		memcpy(big + i, "a.", 2);
	big[253] = 'b';
	big[254] = '\0';
	assert_int_equal(mk_dns_lookup(dns, big, MK_DNS_T_A, NULL, NULL,
	    NULL), -1);
	assert_int_equal(mk_dns_pending(dns), 0);
	assert_int_equal(mk_dns_lookup_wait(dns, "a..b", MK_DNS_T_TXT, &a), 0);
	assert_int_equal(a->status, MK_DNS_PERMFAIL);
	assert_string_equal(a->why, "not a valid domain name");
	mk_dns_answer_free(a);
	mk_dns_free(dns);
	mk_dns_free(NULL);
}

static void
cache_keeps_for_the_ttl(void **state)
{
	static const unsigned char ip[] = { 192, 0, 2, 1 };
	struct mk_dns_rr rr = { ip, 4 };
	struct mk_dns_answer a = { MK_DNS_OK, 0, NULL, 60, 1, &rr, NULL };
	struct mk_dns_answer nx = { MK_DNS_NXDOMAIN, 3, "no such domain", 30, 0,
	    NULL, NULL };
	struct mk_dns_answer temp = { MK_DNS_TEMPFAIL, 2, "server failure", 30,
	    0, NULL, NULL };
	struct mk_dns__cache *c = mk_dns__cache_new(65536);
	struct mk_dns_answer *got;

	(void)state;
	mk_dns__cache_put(c, "A.Example.TEST", MK_DNS_T_A, &a, 1000);
	got = mk_dns__cache_get(c, "a.example.test", MK_DNS_T_A, 1059);
	assert_non_null(got);				/* any case */
	assert_int_equal(got->status, MK_DNS_OK);
	assert_int_equal(got->n, 1);
	assert_memory_equal(got->rr[0].data, ip, 4);
	assert_int_equal(got->ttl, 1);			/* what is left */
	mk_dns_answer_free(got);
	assert_null(mk_dns__cache_get(c, "a.example.test", MK_DNS_T_AAAA, 1000));
	assert_null(mk_dns__cache_get(c, "a.example.test", MK_DNS_T_A, 1060));
	assert_null(mk_dns__cache_get(c, "a.example.test", MK_DNS_T_A, 1000));
	mk_dns__cache_put(c, "nx.test", MK_DNS_T_TXT, &nx, 1000);
	got = mk_dns__cache_get(c, "nx.test", MK_DNS_T_TXT, 1010);
	assert_non_null(got);
	assert_int_equal(got->status, MK_DNS_NXDOMAIN);
	mk_dns_answer_free(got);
	mk_dns__cache_put(c, "temp.test", MK_DNS_T_TXT, &temp, 1000);
	assert_null(mk_dns__cache_get(c, "temp.test", MK_DNS_T_TXT, 1000));
	mk_dns__cache_free(c);
}

static void
cache_drops_the_oldest(void **state)
{
	static const unsigned char ip[] = { 192, 0, 2, 1 };
	struct mk_dns_rr rr = { ip, 4 };
	struct mk_dns_answer a = { MK_DNS_OK, 0, NULL, 60, 1, &rr, NULL };
	struct mk_dns__cache *c = mk_dns__cache_new(2000);	/* ~13 entries */
	struct mk_dns_answer *got;
	char name[32];

	(void)state;
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "n%d.test", i);
		mk_dns__cache_put(c, name, MK_DNS_T_A, &a, 1000);
	}
	assert_null(mk_dns__cache_get(c, "n0.test", MK_DNS_T_A, 1000));
	got = mk_dns__cache_get(c, "n99.test", MK_DNS_T_A, 1000);
	assert_non_null(got);
	mk_dns_answer_free(got);
	mk_dns__cache_free(c);
	c = mk_dns__cache_new(0);			/* keeps nothing */
	mk_dns__cache_put(c, "n1.test", MK_DNS_T_A, &a, 1000);
	assert_null(mk_dns__cache_get(c, "n1.test", MK_DNS_T_A, 1000));
	mk_dns__cache_free(c);
	mk_dns__cache_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(txt_strings_are_joined),
		cmocka_unit_test(txt_empty_and_bounds),
		cmocka_unit_test(names_decode),
		cmocka_unit_test(servers_list),
		cmocka_unit_test(type_names),
		cmocka_unit_test(bad_names_refused),
		cmocka_unit_test(cache_keeps_for_the_ttl),
		cmocka_unit_test(cache_drops_the_oldest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
