/*
 * test_milter_answer.c - unit tests of common/milter_answer.c: what a
 * milter connection sends back, byte for byte: header edits, envelope
 * edits and progress, multi-line replies; edits refused where they were
 * not negotiated or outside end of message.
 */
#include "config.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "mk_milter_conn.h"
#include "mconn_fx.h"

/* A filter that asks for the header edits only. */
static int
hdr_negotiate(struct mk_mconn *mc, unsigned long a, unsigned long s,
    unsigned long *pa, unsigned long *ps)
{
	(void)mc, (void)a, (void)s;
	*pa = SMFIF_ADDHDRS | SMFIF_CHGHDRS;
	*ps = 0;
	return 0;
}

/* End of message with one edit of each kind, indexes whose byte order
 * shows on the wire. */
static sfsistat
edit_eom(struct mk_mconn *mc)
{
	assert_int_equal(mk_mconn_addheader(mc, "X-Added", " yes"), 0);
	assert_int_equal(mk_mconn_insheader(mc, 0x01020304, "X-First", " 1"), 0);
	assert_int_equal(mk_mconn_chgheader(mc, "Subject", 2, " new"), 0);
	assert_int_equal(mk_mconn_chgheader(mc, "Received", 0x0a0b, NULL), 0);
	return SMFIS_CONTINUE;
}

static const struct mk_mconn_ops edit_ops = {
	.negotiate = hdr_negotiate,
	.eom = edit_eom,
};

/* The envelope edits: asked for by env_negotiate, refused by a filter
 * that did not ask (edit_ops) and outside end of message. */
static int
env_negotiate(struct mk_mconn *mc, unsigned long a, unsigned long s,
    unsigned long *pa, unsigned long *ps)
{
	(void)mc, (void)a, (void)s;
	*pa = SMFIF_CHGFROM | SMFIF_ADDRCPT | SMFIF_ADDRCPT_PAR |
	    SMFIF_DELRCPT | SMFIF_QUARANTINE;
	*ps = 0;
	return 0;
}

static sfsistat
env_rcpt(struct mk_mconn *mc, char **argv)
{
	(void)argv;
	/* not at RCPT: end of message only */
	assert_int_equal(mk_mconn_chgfrom(mc, "<b@x.example>", NULL), -1);
	assert_int_equal(mk_mconn_delrcpt(mc, "<a@x.example>"), -1);
	/* progress: whenever an answer is due */
	assert_int_equal(mk_mconn_progress(mc), 0);
	return SMFIS_CONTINUE;
}

static sfsistat
env_eom(struct mk_mconn *mc)
{
	assert_int_equal(mk_mconn_chgfrom(mc, "<bounce@x.example>",
	    "SIZE=100"), 0);
	assert_int_equal(mk_mconn_addrcpt(mc, "<c@x.example>", NULL), 0);
	assert_int_equal(mk_mconn_addrcpt(mc, "<d@x.example>", "NOTIFY=NEVER"),
	    0);
	assert_int_equal(mk_mconn_delrcpt(mc, "<a@x.example>"), 0);
	assert_int_equal(mk_mconn_quarantine(mc, "held"), 0);
	/* refused: CR or LF, empty, no reason */
	assert_int_equal(mk_mconn_chgfrom(mc, "<a@x>\r\nRCPT", NULL), -1);
	assert_int_equal(mk_mconn_addrcpt(mc, "", NULL), -1);
	assert_int_equal(mk_mconn_quarantine(mc, ""), -1);
	assert_int_equal(mk_mconn_delrcpt(mc, NULL), -1);
	return SMFIS_CONTINUE;
}

static sfsistat
noenv_eom(struct mk_mconn *mc)
{
	/* edit_ops' negotiate asked for header edits only */
	assert_int_equal(mk_mconn_chgfrom(mc, "<b@x.example>", NULL), -1);
	assert_int_equal(mk_mconn_addrcpt(mc, "<c@x.example>", NULL), -1);
	assert_int_equal(mk_mconn_delrcpt(mc, "<a@x.example>"), -1);
	assert_int_equal(mk_mconn_quarantine(mc, "held"), -1);
	return SMFIS_CONTINUE;
}

static const struct mk_mconn_ops env_ops = {
	.negotiate = env_negotiate,
	.envrcpt = env_rcpt,
	.eom = env_eom,
};

static const struct mk_mconn_ops noenv_ops = {
	.negotiate = hdr_negotiate,
	.eom = noenv_eom,
};

/* The header edits go back byte for byte as libmilter sends them: length
 * word, command letter, index in network order, name NUL, value NUL (an
 * empty value deletes). */
static void
test_header_edit_bytes(void **state)
{
	static const unsigned char want[] =
	    "\0\0\0\x0e" "h" "X-Added\0" " yes\0"
	    "\0\0\0\x10" "i" "\x01\x02\x03\x04" "X-First\0" " 1\0"
	    "\0\0\0\x12" "m" "\0\0\0\x02" "Subject\0" " new\0"
	    "\0\0\0\x0f" "m" "\0\0\x0a\x0b" "Received\0" "\0"
	    "\0\0\0\x01" "c";
	struct mk_mconn *mc = mk_mconn_new(&edit_ops, 13);
	const unsigned char *p;
	size_t len;

	add_optneg();
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
	assert_string_equal(replies(mc), "O");
	inlen = 0;
	add(SMFIC_BODYEOB, "", 0);
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
	p = mk_mconn_output(mc, &len);
	assert_int_equal(len, sizeof(want) - 1);
	assert_memory_equal(p, want, sizeof(want) - 1);
	mk_mconn_free(mc);
}

/* The envelope edits and progress, byte for byte. */
static void
test_envelope_edit_bytes(void **state)
{
	static const unsigned char want[] =
	    "\0\0\0\x01" "p"				/* at RCPT */
	    "\0\0\0\x01" "c"
	    "\0\0\0\x1d" "e" "<bounce@x.example>\0" "SIZE=100\0"
	    "\0\0\0\x0f" "+" "<c@x.example>\0"
	    "\0\0\0\x1c" "2" "<d@x.example>\0" "NOTIFY=NEVER\0"
	    "\0\0\0\x0f" "-" "<a@x.example>\0"
	    "\0\0\0\x06" "q" "held\0"
	    "\0\0\0\x01" "c";
	struct mk_mconn *mc = mk_mconn_new(&env_ops, 15);
	const unsigned char *p;
	size_t len;

	add_optneg();
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
	assert_string_equal(replies(mc), "O");
	inlen = 0;
	add(SMFIC_RCPT, "<a@x.example>", 14);
	add(SMFIC_BODYEOB, "", 0);
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
	p = mk_mconn_output(mc, &len);
	assert_int_equal(len, sizeof(want) - 1);
	assert_memory_equal(p, want, sizeof(want) - 1);
	mk_mconn_free(mc);

	/* Not negotiated: refused (noenv_eom asserts it). */
	inlen = 0;
	mc = mk_mconn_new(&noenv_ops, 16);
	add_optneg();
	add(SMFIC_BODYEOB, "", 0);
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
	assert_string_equal(replies(mc), "Oc");
	mk_mconn_free(mc);
}

/* Multi-line replies: continuation dashes, CRLF between lines, the last
 * line with a space; bad lines and too many lines refused. */
static const char *const *ml_lines;
static int ml_rc;

static sfsistat
ml_rcpt(struct mk_mconn *mc, char **argv)
{
	(void)argv;
	ml_rc = mk_mconn_setmlreply(mc, "550", "5.7.1", ml_lines);
	return SMFIS_REJECT;
}

static const struct mk_mconn_ops ml_ops = {
	.negotiate = hdr_negotiate,
	.envrcpt = ml_rcpt,
};

static void
test_multiline_reply(void **state)
{
	static const char *const three[] = { "first", "second", "third", NULL };
	static const char *const crlf[] = { "one", "two\r\n550 x", NULL };
	const char *many[MK_MCONN_MLREPLY_LINES + 2];
	struct mk_mconn *mc = mk_mconn_new(&ml_ops, 17);

	add_optneg();
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
	assert_string_equal(replies(mc), "O");
	inlen = 0;
	add(SMFIC_RCPT, "<a@x.example>", 14);

	ml_lines = three;
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
	assert_int_equal(ml_rc, 0);
	assert_string_equal(replies(mc), "y");
	assert_string_equal(text, "550-5.7.1 first\r\n550-5.7.1 second\r\n"
	    "550 5.7.1 third");

	/* a line with CRLF: refused, and the answer is a plain reject */
	ml_lines = crlf;
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
	assert_int_equal(ml_rc, -1);
	assert_string_equal(replies(mc), "r");

	/* one line too many: refused; exactly the most: taken */
	for (int i = 0; i < MK_MCONN_MLREPLY_LINES + 1; i++)
		many[i] = "x";
	many[MK_MCONN_MLREPLY_LINES + 1] = NULL;
	ml_lines = many;
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
	assert_int_equal(ml_rc, -1);
	assert_string_equal(replies(mc), "r");
	many[MK_MCONN_MLREPLY_LINES] = NULL;
	assert_int_equal(mk_mconn_feed(mc, in, inlen), MK_MCONN_OK);
	assert_int_equal(ml_rc, 0);
	assert_string_equal(replies(mc), "y");
	/* a code that is not 4xx/5xx */
	assert_int_equal(mk_mconn_setmlreply(mc, "250", "2.0.0", three), -1);
	mk_mconn_free(mc);
}

static int
setup(void **state)
{
	(void)state;
	inlen = 0;
	text[0] = '\0';
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_header_edit_bytes, setup),
		cmocka_unit_test_setup(test_envelope_edit_bytes, setup),
		cmocka_unit_test_setup(test_multiline_reply, setup),
	};

	return cmocka_run_group_tests_name("milter_answer", tests, NULL, NULL);
}
