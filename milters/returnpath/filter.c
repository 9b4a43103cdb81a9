/*
 * NAME
 *	filter.c - the returnpath filter: an envelope sender that brings
 *	bounces back to milterkit
 * DESCRIPTION
 *	The filter's descriptor (rp_filter), served alone by
 *	milterkit-returnpath (main.c) and in milterkit-chain. It asks for
 *	CONNECT, MAIL, RCPT and end of message, answering nothing before end
 *	of message (SMFIP_NR_*; headers and body are negotiated away), and
 *	needs SMFIF_CHGFROM.
 *
 *	At MAIL it lets go of the messages whose sender it never rewrites
 *	(rp_sender(): null sender, not in domains, excluded, already a
 *	return-path address...): SMFIS_ACCEPT, so the chain calls it no more
 *	for them. At RCPT it keeps the recipient that would be the
 *	message's first one: msg->nrcpt counts, during the callback, the
 *	recipient being decided as if it passes, and a recipient refused by
 *	a later filter of the chain is not counted (a refused first one is
 *	replaced by the next with nrcpt 1 again). At end of message
 *	rp_rewrite() gives the new sender, which goes to the MTA with
 *	mk_mconn_chgfrom() without ESMTP arguments: Postfix keeps the
 *	message's own (SIZE, BODY, SMTPUTF8, RET, ENVID are not the
 *	sender's) and ignores those of CHGFROM. One info line per rewrite,
 *	"QID: returnpath from=<old> to=<new>"; a sender left alone for
 *	length or template reasons gets an info line too; the MTA refusing
 *	the edit, or a token that cannot be made, answers on_error.
 * SEE ALSO
 *	returnpath.h, milterkit-returnpath(8)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filters.h"
#include "mk_log.h"
#include "mk_mem.h"
#include "mk_milter.h"
#include "returnpath.h"

/* What the filter keeps of one message. */
struct rp_msg {
	char rcpt[MK_MILTER_ADDR_MAX];	/* first counted recipient, or "" */
};

static int
rp_init(const struct mk_conf *conf, void **state, char *err, size_t errlen)
{
	return rp_rules_new(conf, (struct rp_rules **)state, err, errlen);
}

static void
rp_fini(void *state)
{
	rp_rules_free(state);
}

static sfsistat
rp_mail(struct mk_msg *msg, char **argv)
{
	struct rp_result res;
	char from[MK_LOG_CLIENT_MAX];

	rp_sender(msg->conn->state, argv[0], &res);
	if (res.verdict != RP_REWRITE) {
		mk_printable(from, sizeof(from), argv[0] != NULL ? argv[0] :
		    "", (size_t)-1);
		mk_log_event(res.verdict == RP_NO_DOMAIN ? MK_LOG_INFO :
		    MK_LOG_DEBUG, mk_milter_qid(msg->conn, msg), "returnpath "
		    "from=%s unchanged: %s (%s)", from,
		    rp_verdict_name(res.verdict), res.cause);
		return SMFIS_ACCEPT;	/* done with this message */
	}
	msg->data = mk_calloc(1, sizeof(struct rp_msg));
	return SMFIS_CONTINUE;
}

static sfsistat
rp_rcpt(struct mk_msg *msg, char **argv)
{
	struct rp_msg *m = msg->data;
	size_t n;

	if (m == NULL || argv[0] == NULL || msg->nrcpt != 1)
		return SMFIS_CONTINUE;
	n = strlen(argv[0]);
	if (n < sizeof(m->rcpt))
		memcpy(m->rcpt, argv[0], n + 1);
	else
		m->rcpt[0] = '\0';	/* not one the token could name */
	return SMFIS_CONTINUE;
}

static sfsistat
rp_eom(struct mk_msg *msg)
{
	struct mk_conn *conn = msg->conn;
	struct rp_msg *m = msg->data;
	const char *qid = mk_milter_qid(conn, msg);
	struct rp_result res;
	char from[MK_LOG_CLIENT_MAX], to[MK_LOG_CLIENT_MAX];

	if (m == NULL)
		return SMFIS_CONTINUE;
	rp_rewrite(conn->state, msg->sender, m->rcpt[0] != '\0' ? m->rcpt :
	    NULL, msg->nrcpt, (int64_t)time(NULL), &res);
	mk_printable(from, sizeof(from), msg->sender, (size_t)-1);
	switch (res.verdict) {
	case RP_REWRITE:
		if (mk_mconn_chgfrom(conn->mc, res.from, NULL) != 0)
			return mk_milter_on_error(conn, msg, "returnpath "
			    "from=%s: the MTA connection refused the new "
			    "sender (CHGFROM)", from);
		mk_printable(to, sizeof(to), res.from, (size_t)-1);
		mk_log_event(MK_LOG_INFO, qid, "returnpath from=%s to=%s",
		    from, to);
		return SMFIS_CONTINUE;
	case RP_ERROR:
		return mk_milter_on_error(conn, msg, "returnpath from=%s: %s",
		    from, res.cause);
	case RP_TOO_LONG:
	case RP_NO_DOMAIN:
		mk_log_event(MK_LOG_INFO, qid, "returnpath from=%s unchanged: "
		    "%s (%s)", from, rp_verdict_name(res.verdict), res.cause);
		return SMFIS_CONTINUE;
	default:
		mk_log_event(MK_LOG_DEBUG, qid, "returnpath from=%s unchanged: "
		    "%s (%s)", from, rp_verdict_name(res.verdict), res.cause);
		return SMFIS_CONTINUE;
	}
}

static void
rp_msg_free(struct mk_msg *msg)
{
	free(msg->data);
	msg->data = NULL;
}

const struct mk_milter_desc rp_filter = {
	.name = "milterkit-returnpath",
	.section = "returnpath",
	.version = PACKAGE_VERSION,
	.flags = SMFIF_CHGFROM,
	/* Its only answers that matter come at end of message (on_error);
	 * an accept at MAIL only lets go of the message in the chain. */
	.no_reply = SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_RCPT,
	/* The queue id for the log, the SASL login for "sessions". */
	.macros = {
		[SMFIM_ENVFROM] = "i {auth_authen}",
		[SMFIM_EOM] = "i",
	},
	.init = rp_init,
	.fini = rp_fini,
	.sessions = rp_sessions,
	.mail = rp_mail,
	.rcpt = rp_rcpt,
	.eom = rp_eom,
	.msg_free = rp_msg_free,
};
