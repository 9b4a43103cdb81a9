/*
 * test_milter_conn.c - unit tests of common/milter_conn.c: the milter
 * protocol of one connection, fed bytes as an MTA would send them (what
 * goes back, byte for byte, is test_milter_answer.c's).
 */
#include "config.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mk_log.h"
#include "mk_milter_conn.h"
#include "mconn_fx.h"

/* ---- a recording filter --------------------------------------------------- */

static char calls[4096];	/* "connect(host,addr) rcpt(<a>) ..." */
static char logged[2048];
static sfsistat rcpt_rc;
static const char *rcpt_reply;	/* "550 5.1.1 text" parts, or NULL */
static int edit_rc;		/* what the last edit call returned */
static unsigned long offer_steps;
static int want_lists;		/* negotiate() names macro lists */
static char rcpt_seen[512];	/* "auth=..,tls=..,j=..;" per RCPT */

static void
note(const char *fmt, ...)
{
	size_t n = strlen(calls);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(calls + n, sizeof(calls) - n, fmt, ap);
	va_end(ap);
}

static void
sink(enum mk_log_level level, const char *line, void *arg)
{
	size_t n = strlen(logged);

	snprintf(logged + n, sizeof(logged) - n, "%s\n", line);
}

static int
rec_negotiate(struct mk_mconn *mc, unsigned long a, unsigned long s,
    unsigned long *pa, unsigned long *ps)
{
	static char too_long[MK_MCONN_SYMLIST_MAX + 2];

	note("negotiate(%lx,%lx) ", a, s);
	*pa = SMFIF_ADDHDRS | SMFIF_CHGHDRS;
	*ps = offer_steps;
	if (want_lists) {
		assert_int_equal(mk_mconn_setsymlist(mc, SMFIM_ENVFROM,
		    "i {auth_authen}"), 0);
		assert_int_equal(mk_mconn_setsymlist(mc, SMFIM_EOM, ""), 0);
		assert_int_equal(mk_mconn_setsymlist(mc, SMFIM_COUNT, "i"), -1);
		assert_int_equal(mk_mconn_setsymlist(mc, -1, "i"), -1);
		assert_int_equal(mk_mconn_setsymlist(mc, SMFIM_HELO, NULL), -1);
		memset(too_long, 'x', sizeof(too_long) - 1);
		assert_int_equal(mk_mconn_setsymlist(mc, SMFIM_HELO, too_long), -1);
	}
	return 0;
}

static sfsistat
rec_connect(struct mk_mconn *mc, const char *host, const char *addr)
{
	note("connect(%s,%s) ", host, addr);
	return SMFIS_CONTINUE;
}

static sfsistat
rec_envfrom(struct mk_mconn *mc, char **argv)
{
	const char *qid = mk_mconn_macro(mc, "i");

	note("mail(%s", argv[0]);
	for (int i = 1; argv[i] != NULL; i++)
		note(",%s", argv[i]);
	note(";auth=%s) ", mk_mconn_macro(mc, "{auth_authen}") ?
	    mk_mconn_macro(mc, "{auth_authen}") : "-");
	(void)qid;
	return SMFIS_CONTINUE;
}

static sfsistat
rec_envrcpt(struct mk_mconn *mc, char **argv)
{
	const char *qid = mk_mconn_macro(mc, "{i}");
	const char *auth = mk_mconn_macro(mc, "{auth_authen}");
	const char *tls = mk_mconn_macro(mc, "{tls_version}");
	const char *j = mk_mconn_macro(mc, "j");
	size_t n = strlen(rcpt_seen);

	note("rcpt(%s;i=%s) ", argv[0], qid != NULL ? qid : "-");
	snprintf(rcpt_seen + n, sizeof(rcpt_seen) - n, "auth=%s,tls=%s,j=%s;",
	    auth != NULL ? auth : "-", tls != NULL ? tls : "-",
	    j != NULL ? j : "-");
	if (rcpt_reply != NULL)
		assert_int_equal(mk_mconn_setreply(mc, rcpt_reply, "5.1.1",
		    "no such user"), 0);
	edit_rc = mk_mconn_addheader(mc, "X-Too-Early", "1");
	return rcpt_rc;
}

static sfsistat
rec_header(struct mk_mconn *mc, const char *name, const char *value)
{
	note("header(%s:%s) ", name, value);
	return SMFIS_CONTINUE;
}

static sfsistat
rec_eom(struct mk_mconn *mc)
{
	note("eom ");
	assert_int_equal(mk_mconn_addheader(mc, "X-Added", " yes"), 0);
	assert_int_equal(mk_mconn_insheader(mc, 0, "X-First", " 1"), 0);
	assert_int_equal(mk_mconn_chgheader(mc, "Subject", 2, NULL), 0);
	assert_int_equal(mk_mconn_addheader(mc, "Bad Name", "x"), -1);
	return SMFIS_CONTINUE;
}

static void rec_abort(struct mk_mconn *mc) { note("abort "); }
static void rec_close(struct mk_mconn *mc) { note("close "); }

static const struct mk_mconn_ops ops = {
	.negotiate = rec_negotiate,
	.connect = rec_connect,
	.envfrom = rec_envfrom,
	.envrcpt = rec_envrcpt,
	.header = rec_header,
	.eom = rec_eom,
	.abort = rec_abort,
	.close = rec_close,
};

static int
setup(void **state)
{
	calls[0] = logged[0] = text[0] = rcpt_seen[0] = '\0';
	inlen = 0;
	rcpt_rc = SMFIS_CONTINUE;
	rcpt_reply = NULL;
	edit_rc = 0;
	offer_steps = SMFIP_NOHELO | SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_HDR_LEADSPC;
	want_lists = 0;
	mk_log_set_sink(sink, NULL);
	mk_log_set_level(MK_LOG_INFO);
	return 0;
}

/* ---- tests -------------------------------------------------------------------- */

#define C_IPV4	"mx.example\0" "4" "\x00\x19" "192.0.2.1"
#define D_MAIL	"M{i}\0" "ABC123\0" "{auth_authen}\0" "alice\0"

static void
test_session_one_byte_at_a_time(void **state)
{
	struct mk_mconn *mc = mk_mconn_new(&ops, 1);
	unsigned char optrep[17];
	uint32_t w;
	size_t len;

	add_optneg();
	add(SMFIC_CONNECT, C_IPV4, sizeof(C_IPV4));
	add(SMFIC_MACRO, D_MAIL, sizeof(D_MAIL) - 1);
	add(SMFIC_MAIL, "<a@example.com>\0SIZE=10\0", 24);
	add(SMFIC_RCPT, "<b@example.net>\0", 16);
	add(SMFIC_HEADER, "Subject\0 hi\0", 12);
	add(SMFIC_BODYEOB, "", 0);
	add(SMFIC_QUIT, "", 0);
	for (size_t i = 0; i + 1 < inlen; i++)
		assert_int_equal(mk_mconn_feed(mc, in + i, 1), MK_MCONN_OK);
	assert_int_equal(mk_mconn_feed(mc, in + inlen - 1, 1), MK_MCONN_DONE);
	/* OPTNEG answer: version 6, what we chose within the offer. */
	memcpy(optrep, mk_mconn_output(mc, &len), sizeof(optrep));
	assert_int_equal(optrep[4], 'O');
	memcpy(&w, optrep + 5, 4);
	assert_int_equal(ntohl(w), 6);
	memcpy(&w, optrep + 13, 4);
	assert_int_equal(ntohl(w), offer_steps);
	/* No answer at CONNECT and MAIL (agreed), continue at RCPT and the
	 * header, the three edits then continue at end of message. */
	assert_string_equal(replies(mc), "Occhimc");
	assert_string_equal(calls, "negotiate(1ff,1fffff) connect(mx.example,192.0.2.1) "
	    "mail(<a@example.com>,SIZE=10;auth=alice) rcpt(<b@example.net>;i=ABC123) "
	    "header(Subject: hi) eom ");
	assert_int_equal(edit_rc, -1);	/* edits outside end of message */
	mk_mconn_free(mc);
	assert_string_equal(calls + strlen(calls) - 6, "close ");
}

static void
test_reply_codes(void **state)
{
	struct mk_mconn *mc = mk_mconn_new(&ops, 2);

	add_optneg();
	add(SMFIC_MAIL, "<a@x>\0", 6);
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
	assert_string_equal(replies(mc), "O");
	/* A rejection with a matching reply is sent as that reply. */
	rcpt_rc = SMFIS_REJECT;
	rcpt_reply = "550";
	inlen = 0;
	add(SMFIC_RCPT, "<b@x>\0", 6);
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
	assert_string_equal(replies(mc), "y");
	assert_string_equal(text, "550 5.1.1 no such user");
	/* A reply of the wrong class is not used: plain tempfail. */
	rcpt_rc = SMFIS_TEMPFAIL;
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
	assert_string_equal(replies(mc), "t");
	/* A plain rejection without a reply. */
	rcpt_rc = SMFIS_REJECT;
	rcpt_reply = NULL;
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
	assert_string_equal(replies(mc), "r");
	assert_int_equal(mk_mconn_setreply(mc, "250", "2.0.0", "ok"), -1);
	assert_int_equal(mk_mconn_setreply(mc, "550", "4.1.1", "x"), -1);
	assert_int_equal(mk_mconn_setreply(mc, "550", "5.1.1", "a\r\nb"), -1);
	mk_mconn_free(mc);
}

static void
test_macros_by_stage(void **state)
{
	struct mk_mconn *mc = mk_mconn_new(&ops, 3);

	add_optneg();
	add(SMFIC_MACRO, D_MAIL, sizeof(D_MAIL) - 1);
	add(SMFIC_MAIL, "<a@x>\0", 6);
	add(SMFIC_ABORT, "", 0);
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
	/* ABORT ends the message and its macros. */
	assert_null(mk_mconn_macro(mc, "i"));
	inlen = 0;
	add(SMFIC_MACRO, "Cj\0mx.test\0", 11);
	add(SMFIC_MACRO, "M{i}\0Q1\0", 8);
	add(SMFIC_MACRO, "Xignored\0x\0", 11);
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
	assert_string_equal(mk_mconn_macro(mc, "{j}"), "mx.test");
	assert_string_equal(mk_mconn_macro(mc, "i"), "Q1");
	assert_null(mk_mconn_macro(mc, "ignored"));
	assert_null(mk_mconn_macro(mc, "{auth_authen}"));
	mk_mconn_free(mc);
	assert_string_equal(calls, "negotiate(1ff,1fffff) mail(<a@x>;auth=alice) abort close ");
}

static void
test_addresses(void **state)
{
	static const struct { const char *pkt; size_t len; const char *want; } c[] = {
		{ "h\0" "6\0\0" "IPv6:2001:DB8::1", 22, "connect(h,2001:db8::1) " },
		{ "h\0" "6\0\0" "2001:db8::2", 17, "connect(h,2001:db8::2) " },
		{ "h\0" "4\0\0" "999.1.1.1", 15, "connect(h,unknown) " },
		{ "h\0" "U", 3, "connect(h,local) " },
		{ "h\0" "L\0\0" "/run/x", 12, "connect(h,local) " },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct mk_mconn *mc = mk_mconn_new(&ops, 4);

		calls[0] = '\0';
		inlen = 0;
		add_optneg();
		add(SMFIC_CONNECT, c[i].pkt, c[i].len);
		assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
		assert_non_null(strstr(calls, c[i].want));
		mk_mconn_free(mc);
	}
}

static void
test_protocol_errors(void **state)
{
	static const struct { const char *bytes; size_t len; const char *why; } c[] = {
		{ "\0\0\0\0", 4, "packet length 0" },
		{ "\x00\x20\x00\x00M", 5, "packet length 2097152" },
		{ "\0\0\0\x02Qx", 6, NULL },	/* QUIT: fine before OPTNEG */
		{ "\0\0\0\x01M", 5, "command before option negotiation" },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct mk_mconn *mc = mk_mconn_new(&ops, 5);

		logged[0] = '\0';
		assert_int_equal(mk_mconn_feed(mc, c[i].bytes, c[i].len),
		    c[i].why == NULL ? MK_MCONN_DONE : MK_MCONN_ERROR);
		if (c[i].why != NULL)
			assert_non_null(strstr(logged, c[i].why));
		mk_mconn_free(mc);
	}
}

static void
test_malformed_after_negotiation(void **state)
{
	static const struct { char cmd; const char *data; size_t len; const char *why; } c[] = {
		{ 'O', "\0\0\0\6", 4, "fewer than 12 bytes" },
		{ 'M', "<a@x>", 5, "unterminated" },
		{ 'R', "", 0, "arguments missing" },
		{ 'L', "Subject\0", 8, "not a name and a value" },
		{ 'C', "host", 4, "unterminated host name" },
		{ 'C', "host\0", 5, "no address family" },
		{ 'C', "host\0" "4\0", 7, "truncated address" },
		{ 'H', "helo", 4, "unterminated HELO name" },
		{ 'D', "Mname\0value", 11, "unterminated name or value" },
		{ 'Z', "", 0, "unknown command" },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct mk_mconn *mc = mk_mconn_new(&ops, 6);

		logged[0] = '\0';
		inlen = 0;
		add_optneg();
		add(c[i].cmd, c[i].data, c[i].len);
		assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_ERROR);
		assert_non_null(strstr(logged, c[i].why));
		assert_non_null(strstr(logged, "milter connection 6: protocol error"));
		mk_mconn_free(mc);
	}
}

static void
test_no_reply_only_where_agreed(void **state)
{
	struct mk_mconn *mc = mk_mconn_new(&ops, 7);

	offer_steps = 0;	/* no SMFIP_NR_*: every stage is answered */
	add_optneg();
	add(SMFIC_CONNECT, C_IPV4, sizeof(C_IPV4));
	add(SMFIC_HELO, "h\0", 2);
	add(SMFIC_MAIL, "<a@x>\0", 6);
	add(SMFIC_DATA, "", 0);
	add(SMFIC_EOH, "", 0);
	add(SMFIC_BODY, "x", 1);
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
	assert_string_equal(replies(mc), "Occcccc");
	/* QUIT_NC ends the session, the connection stays for the next. */
	inlen = 0;
	add(SMFIC_QUIT_NC, "", 0);
	add(SMFIC_CONNECT, C_IPV4, sizeof(C_IPV4));
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
	assert_non_null(strstr(calls, "close connect(mx.example,192.0.2.1) "));
	mk_mconn_free(mc);
}

/* The OPTNEG answer carries the filter's macro lists (stage number, list)
 * when the MTA offers SMFIF_SETSYMLIST, and nothing more when it does not. */
static void
test_macro_lists(void **state)
{
	static const unsigned char lists[] =
	    "\0\0\0\2" "i {auth_authen}\0" "\0\0\0\5" "\0";
	struct mk_mconn *mc = mk_mconn_new(&ops, 8);
	const unsigned char *p;
	uint32_t w[4];
	size_t len;

	want_lists = 1;
	/* Outside negotiate() there is nothing to attach a list to. */
	assert_int_equal(mk_mconn_setsymlist(mc, SMFIM_ENVFROM, "i"), -1);
	add_optneg();
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
	p = mk_mconn_output(mc, &len);
	assert_int_equal(len, 4 + 1 + 12 + sizeof(lists) - 1);
	memcpy(w, p, 4);
	assert_int_equal(ntohl(w[0]), 1 + 12 + sizeof(lists) - 1);
	assert_int_equal(p[4], SMFIC_OPTNEG);
	memcpy(w + 1, p + 5, 12);
	assert_int_equal(ntohl(w[2]),
	    SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_SETSYMLIST);
	assert_memory_equal(p + 17, lists, sizeof(lists) - 1);
	mk_mconn_free(mc);

	/* An MTA that does not offer it: the plain 12-byte answer. */
	mc = mk_mconn_new(&ops, 9);
	inlen = 0;
	add_optneg_offering(0xff);
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
	p = mk_mconn_output(mc, &len);
	assert_int_equal(len, 4 + 1 + 12);
	memcpy(w + 1, p + 5, 12);
	assert_int_equal(ntohl(w[2]), SMFIF_ADDHDRS | SMFIF_CHGHDRS);
	mk_mconn_free(mc);
}

/* At debug level the names of each stage's macros are logged, never the
 * values; nothing at info level. */
static void
test_macro_names_logged(void **state)
{
	struct mk_mconn *mc = mk_mconn_new(&ops, 10);

	add_optneg();
	add(SMFIC_MACRO, D_MAIL, sizeof(D_MAIL));
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
	assert_null(strstr(logged, "macros at"));
	mk_log_set_level(MK_LOG_DEBUG);
	inlen = 0;
	add(SMFIC_MACRO, D_MAIL, sizeof(D_MAIL));
	add(SMFIC_MACRO, "E", 1);
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
	assert_non_null(strstr(logged,
	    "milter connection 10: macros at MAIL: {i} {auth_authen}\n"));
	assert_non_null(strstr(logged, "macros at EOM: (none)\n"));
	assert_null(strstr(logged, "alice"));
	assert_null(strstr(logged, "ABC123"));
	mk_mconn_free(mc);
}

/* After QUIT nothing is decoded: not what follows it in the same read,
 * not what arrives later. */
static void
test_nothing_after_quit(void **state)
{
	struct mk_mconn *mc = mk_mconn_new(&ops, 11);

	add_optneg();
	add(SMFIC_QUIT, "", 0);
	add(SMFIC_MAIL, "<a@x>\0", 6);
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_DONE);
	inlen = 0;
	add(SMFIC_MAIL, "<b@x>\0", 6);
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_DONE);
	assert_int_equal(mk_mconn_received(mc, 0), MK_MCONN_DONE);
	assert_null(strstr(calls, "mail("));
	assert_string_equal(replies(mc), "O");
	mk_mconn_free(mc);
	assert_string_equal(calls, "negotiate(1ff,1fffff) close ");
}

/* Two messages on one connection: the second, sent without macros, sees
 * none of the first one's; the connection's (CONNECT, HELO) stay. */
static void
test_message_macros_end_with_message(void **state)
{
	struct mk_mconn *mc = mk_mconn_new(&ops, 12);

	add_optneg();
	add(SMFIC_MACRO, "Cj\0mx.test\0", 11);
	add(SMFIC_CONNECT, C_IPV4, sizeof(C_IPV4));
	add(SMFIC_MACRO, "H{tls_version}\0TLSv1.3\0", 23);
	add(SMFIC_MACRO, D_MAIL, sizeof(D_MAIL) - 1);
	add(SMFIC_MAIL, "<a@x>\0", 6);
	add(SMFIC_RCPT, "<b@x>\0", 6);
	add(SMFIC_BODYEOB, "", 0);
	add(SMFIC_MAIL, "<c@x>\0", 6);
	add(SMFIC_RCPT, "<d@x>\0", 6);
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
	assert_non_null(strstr(calls, "mail(<a@x>;auth=alice) rcpt(<b@x>;i=ABC123)"));
	assert_non_null(strstr(calls, "mail(<c@x>;auth=-) rcpt(<d@x>;i=-)"));
	assert_string_equal(rcpt_seen, "auth=alice,tls=TLSv1.3,j=mx.test;"
	    "auth=-,tls=TLSv1.3,j=mx.test;");
	assert_null(mk_mconn_macro(mc, "{auth_authen}"));
	assert_string_equal(mk_mconn_macro(mc, "{j}"), "mx.test");
	mk_mconn_free(mc);
}

/* A peer that sends without reading: decoding pauses once
 * MK_MCONN_OUT_HIGH octets of answers wait, and goes on where it stopped
 * when they have been sent. */
static void
test_output_bound_pauses_decoding(void **state)
{
	enum { N = MK_MCONN_OUT_HIGH / 5 + 1000 };	/* DATA: 5 octets each way */
	unsigned char *many = malloc((size_t)N * 5);
	struct mk_mconn *mc = mk_mconn_new(&ops, 14);
	size_t len, answered = 0;

	assert_non_null(many);
	for (size_t i = 0; i < N; i++)
		memcpy(many + i * 5, "\0\0\0\1T", 5);
	add_optneg();
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
	assert_string_equal(replies(mc), "O");
	assert_int_equal(mk_mconn_feed(mc, many, (size_t)N * 5), MK_MCONN_OK);
	mk_mconn_output(mc, &len);
	assert_true(len >= MK_MCONN_OUT_HIGH);
	assert_true(len < MK_MCONN_OUT_HIGH + 5);	/* one answer past it */
	/* Nothing more is decoded until the output is taken. */
	assert_int_equal(mk_mconn_received(mc, 0), MK_MCONN_OK);
	mk_mconn_output(mc, &len);
	assert_true(len < MK_MCONN_OUT_HIGH + 5);
	for (int round = 0; round < 10 && len > 0; round++) {
		answered += len / 5;
		mk_mconn_sent(mc, len);
		assert_int_equal(mk_mconn_received(mc, 0), MK_MCONN_OK);
		mk_mconn_output(mc, &len);
	}
	assert_int_equal(answered, N);
	assert_int_equal(len, 0);
	mk_mconn_free(mc);
	free(many);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_session_one_byte_at_a_time, setup),
		cmocka_unit_test_setup(test_reply_codes, setup),
		cmocka_unit_test_setup(test_macros_by_stage, setup),
		cmocka_unit_test_setup(test_addresses, setup),
		cmocka_unit_test_setup(test_protocol_errors, setup),
		cmocka_unit_test_setup(test_malformed_after_negotiation, setup),
		cmocka_unit_test_setup(test_no_reply_only_where_agreed, setup),
		cmocka_unit_test_setup(test_macro_lists, setup),
		cmocka_unit_test_setup(test_macro_names_logged, setup),
		cmocka_unit_test_setup(test_nothing_after_quit, setup),
		cmocka_unit_test_setup(test_message_macros_end_with_message, setup),
		cmocka_unit_test_setup(test_output_bound_pauses_decoding, setup),
	};

	return cmocka_run_group_tests_name("milter_conn", tests, NULL, NULL);
}
