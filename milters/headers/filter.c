/*
 * NAME
 *	filter.c - the headers filter: standardize message headers before
 *	signing
 * DESCRIPTION
 *	The filter's descriptor (hdr_filter), served alone by
 *	milterkit-headers (main.c) and in milterkit-chain. It asks the MTA for CONNECT, MAIL, RCPT and the
 *	headers, with SMFIP_HDR_LEADSPC so that values arrive exactly as
 *	written (leading blank and folding kept); HELO, end of headers and
 *	the body are negotiated away, and the MTA waits for an answer only
 *	at end of message (SMFIP_NR_* at CONNECT, MAIL, RCPT and each
 *	header). Sessions it does not rewrite ("check") are left to the MTA
 *	by the skeleton (sessions(), mk_milter.h): nothing of their messages
 *	reaches these callbacks. At MAIL it notes the SASL login and whether
 *	MAIL FROM carried SMTPUTF8; RCPT
 *	keeps the first recipient; each header is measured against the
 *	configured bounds (past them the message is rejected with 552 5.3.4
 *	at its end). The skeleton keeps the header block (header_block): at
 *	end of message hdr_rewrite() (rewrite.c) reads it as the filters
 *	before this one left it (mk_milter_headers()) and decides: a
 *	rejection, or edits applied in order with mk_milter_addheader(),
 *	mk_milter_insheader() and mk_milter_chgheader(), each logged on one
 *	line with the queue id.
 * SEE ALSO
 *	headers.h, milterkit-headers(8)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "filters.h"
#include "headers.h"
#include "mk_log.h"
#include "mk_mem.h"
#include "mk_milter.h"

/* What the adapter keeps of one message, MAIL to end of message. */
struct hm_msg {
	int smtputf8;			/* MAIL FROM carried SMTPUTF8 */
	const char *overflow;		/* bound exceeded: rejected at the
					 * end, for this reason */
	char *sasl_user;		/* {auth_authen} copy or NULL */
	char *rcpt;			/* first recipient, no brackets */
	size_t n;			/* header fields seen */
};

static int
hm_init(const struct mk_conf *conf, void **state, char *err, size_t errlen)
{
	return hdr_rules_new(conf, (struct hdr_rules **)state, err, errlen);
}

static void
hm_fini(void *state)
{
	hdr_rules_free(state);
}

/* Copies an envelope address without its angle brackets. */
static char *
hm_bare(const char *addr)
{
	size_t len = strlen(addr);
	char *s;

	if (len >= 2 && addr[0] == '<' && addr[len - 1] == '>') {
		s = mk_malloc(len - 1);
		memcpy(s, addr + 1, len - 2);
		s[len - 2] = '\0';
		return s;
	}
	return mk_strdup(addr);
}

static sfsistat
hm_mail(struct mk_msg *msg, char **argv)
{
	struct mk_conn *conn = msg->conn;
	struct hm_msg *m = mk_calloc(1, sizeof(*m));
	const char *user = mk_milter_macro(conn, "{auth_authen}");

	msg->data = m;
	if (user != NULL && *user != '\0' && strlen(user) < MK_MILTER_ADDR_MAX)
		m->sasl_user = mk_strdup(user);
	for (size_t i = 1; argv[0] != NULL && argv[i] != NULL; i++)
		if (strcasecmp(argv[i], "SMTPUTF8") == 0)
			m->smtputf8 = 1;
	return SMFIS_CONTINUE;
}

static sfsistat
hm_rcpt(struct mk_msg *msg, char **argv)
{
	struct hm_msg *m = msg->data;

	if (m != NULL && m->rcpt == NULL && argv[0] != NULL &&
	    strlen(argv[0]) < MK_MILTER_ADDR_MAX)
		m->rcpt = hm_bare(argv[0]);
	return SMFIS_CONTINUE;
}

/* A message past the header bounds: logged once here, nothing more is
 * measured, and it is rejected at end of message (the MTA does not wait for
 * answers to header fields; the client hears the same after DATA). */
static sfsistat
hm_too_big(struct mk_msg *msg, const char *name, const char *what)
{
	struct mk_conn *conn = msg->conn;
	struct hm_msg *m = msg->data;
	char pname[MK_LOG_CLIENT_MAX], from[MK_LOG_CLIENT_MAX];

	m->overflow = what;
	mk_printable(pname, sizeof(pname), name, (size_t)-1);
	mk_printable(from, sizeof(from), msg->sender, (size_t)-1);
	mk_log_event(MK_LOG_INFO, mk_milter_qid(conn, msg),
	    "reject from=%s client=%s: %s at header %s (limits)", from,
	    conn->client, what, pname);
	return SMFIS_CONTINUE;
}

static sfsistat
hm_header(struct mk_msg *msg, const char *name, const char *value)
{
	struct hm_msg *m = msg->data;
	struct hdr_limits lim;

	if (m == NULL || m->overflow)
		return SMFIS_CONTINUE;
	hdr_rules_limits(msg->conn->state, &lim);
	if (m->n >= lim.max_headers)
		return hm_too_big(msg, name, "too many header fields");
	if (strlen(name) + 1 + strlen(value) > lim.max_header_len)
		return hm_too_big(msg, name, "header field too long");
	m->n++;
	return SMFIS_CONTINUE;
}

/* One edit's log line: "add Message-ID=<...> (missing)". */
static void
hm_log_edit(struct mk_msg *msg, const struct hdr_edit *e)
{
	static const char *const verb[] = { "add", "insert", "change", "delete" };
	char name[MK_LOG_CLIENT_MAX], val[MK_LOG_CLIENT_MAX];
	const char *v = e->value;

	mk_printable(name, sizeof(name), e->name, (size_t)-1);
	if (e->op == HDR_DELETE) {
		mk_log_event(MK_LOG_INFO, mk_milter_qid(msg->conn, msg),
		    "delete %s (%s)", name, e->why);
		return;
	}
	while (*v == ' ' || *v == '\t')
		v++;
	mk_printable(val, sizeof(val), v, (size_t)-1);
	mk_log_event(MK_LOG_INFO, mk_milter_qid(msg->conn, msg), "%s %s=%s (%s)",
	    verb[e->op], name, val, e->why);
}

/* Applies one edit; values come with their leading blank (headers.h). */
static int
hm_apply(struct mk_msg *msg, const struct hdr_edit *e)
{
	switch (e->op) {
	case HDR_ADD:
		return mk_milter_addheader(msg, e->name, e->value);
	case HDR_INSERT:
		return mk_milter_insheader(msg, e->index, e->name, e->value);
	case HDR_CHANGE:
		return mk_milter_chgheader(msg, e->name, e->index, e->value);
	default:
		return mk_milter_chgheader(msg, e->name, e->index, NULL);
	}
}

static sfsistat
hm_eom(struct mk_msg *msg)
{
	struct mk_conn *conn = msg->conn;
	struct hm_msg *m = msg->data;
	struct hdr_msg in;
	struct hdr_result res;
	const struct mk_hfield *block;
	struct hdr_field *h;
	char from[MK_LOG_CLIENT_MAX], *bare;
	sfsistat rc = SMFIS_CONTINUE;
	ssize_t nh = 0;
	size_t i;

	if (m == NULL)
		return SMFIS_CONTINUE;
	if (m->overflow == NULL && (nh = mk_milter_headers(msg, &block)) < 0)
		m->overflow = "header block beyond the skeleton's bounds";
	if (m->overflow != NULL) {
		mk_milter_setreply(conn, "552", "5.3.4", "Message header too "
		    "large (%s)", m->overflow);
		return SMFIS_REJECT;
	}
	h = mk_calloc((size_t)nh + 1, sizeof(*h));
	for (i = 0; i < (size_t)nh; i++) {
		h[i].name = block[i].name;
		h[i].value = block[i].value;
	}
	bare = hm_bare(msg->sender);		/* "<>" gives "" */
	memset(&in, 0, sizeof(in));
	in.h = h;
	in.n = (size_t)nh;
	in.env_from = bare;
	in.smtputf8 = m->smtputf8;
	in.sasl_user = m->sasl_user;
	in.client_addr = conn->addr;
	in.nrcpt = msg->nrcpt;
	in.rcpt = msg->nrcpt == 1 ? m->rcpt : NULL;
	in.queue_id = msg->qid[0] != '\0' ? msg->qid : NULL;
	in.now = time(NULL);
	memset(&res, 0, sizeof(res));
	hdr_rewrite(conn->state, &in, &res);
	free(bare);
	free(h);
	if (res.reject) {
		mk_printable(from, sizeof(from), msg->sender, (size_t)-1);
		mk_log_event(MK_LOG_INFO, mk_milter_qid(conn, msg),
		    "reject from=%s client=%s: %s %s %s", from, conn->client,
		    res.rcode, res.xcode, res.text);
		mk_milter_setreply(conn, res.rcode, res.xcode, "%s", res.text);
		hdr_result_free(&res);
		return SMFIS_REJECT;
	}
	for (i = 0; i < res.ne; i++) {
		if (hm_apply(msg, &res.e[i]) < 0) {
			char name[MK_LOG_CLIENT_MAX];

			mk_printable(name, sizeof(name), res.e[i].name, (size_t)-1);
			rc = mk_milter_on_error(conn, msg, "the MTA refused to %s "
			    "header %s", res.e[i].op == HDR_DELETE ? "delete" :
			    res.e[i].op == HDR_CHANGE ? "change" : "add", name);
			break;
		}
		hm_log_edit(msg, &res.e[i]);
	}
	hdr_result_free(&res);
	return rc;
}

static void
hm_msg_free(struct mk_msg *msg)
{
	struct hm_msg *m = msg->data;

	if (m == NULL)
		return;
	free(m->sasl_user);
	free(m->rcpt);
	free(m);
	msg->data = NULL;
}

const struct mk_milter_desc hdr_filter = {
	.name = "milterkit-headers",
	.section = "headers",
	.version = PACKAGE_VERSION,
	.flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
	/* Not a step: the protocol flag asking for values as written. */
	.no_steps = SMFIP_HDR_LEADSPC,
	/* Refusals come at end of message only. */
	.no_reply = SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_HDR,
	/* The queue id for the log, the SASL login for "sessions" and the
	 * Feedback-ID template. */
	.macros = {
		[SMFIM_ENVFROM] = "i {auth_authen}",
		[SMFIM_ENVRCPT] = "i",
		[SMFIM_DATA] = "i",
		[SMFIM_EOH] = "i",
		[SMFIM_EOM] = "i",
	},
	.header_block = 1,
	.init = hm_init,
	.fini = hm_fini,
	.sessions = hdr_sessions,
	.mail = hm_mail,
	.rcpt = hm_rcpt,
	.header = hm_header,
	.eom = hm_eom,
	.msg_free = hm_msg_free,
};
