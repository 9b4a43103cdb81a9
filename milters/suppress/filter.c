/*
 * NAME
 *	filter.c - the suppress filter: reject suppressed recipients at RCPT
 * DESCRIPTION
 *	The filter's descriptor (supp_filter), served alone by
 *	milterkit-suppress (main.c) and in milterkit-chain. It asks the MTA for CONNECT, MAIL and RCPT only
 *	(every later stage is negotiated away, so it costs nothing after
 *	RCPT), works out at MAIL the sender domain that scopes the lookup,
 *	and at each RCPT maps the decision of supp_decide() (decide.c) to a
 *	reply. Sessions it does not look at ("check") are left to the MTA
 *	by the skeleton (sessions(), mk_milter.h), as is everything else
 *	(common/milter*.c).
 * SEE ALSO
 *	suppress.h, milterkit-suppress(8)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mk_addr.h"
#include "mk_log.h"
#include "mk_mem.h"
#include "mk_milter.h"
#include "filters.h"
#include "suppress.h"

/* What MAIL decided for the message. */
struct supp_msg {
	char scope[MK_ADDR_DOMAIN_MAX + 1];	/* sender domain or "" */
};

static int
su_init(const struct mk_conf *conf, void **state, char *err, size_t errlen)
{
	return supp_state_new(conf, (struct supp_state **)state, err, errlen);
}

static void
su_fini(void *state)
{
	supp_state_free(state);
}

static sfsistat
su_mail(struct mk_msg *msg, char **argv)
{
	struct supp_msg *m = mk_calloc(1, sizeof(*m));

	msg->data = m;
	supp_sender_scope(argv[0], m->scope, sizeof(m->scope));
	return SMFIS_CONTINUE;
}

static sfsistat
su_rcpt(struct mk_msg *msg, char **argv)
{
	struct mk_conn *conn = msg->conn;
	struct supp_msg *m = msg->data;
	const char *qid = mk_milter_qid(conn, msg);
	struct supp_result r;
	char rcpt[MK_LOG_CLIENT_MAX], from[MK_LOG_CLIENT_MAX];

	if (m == NULL || argv[0] == NULL)
		return SMFIS_CONTINUE;
	supp_decide(conn->state, argv[0], m->scope, (int64_t)time(NULL), &r);
	mk_printable(rcpt, sizeof(rcpt), argv[0], (size_t)-1);
	mk_printable(from, sizeof(from), msg->sender, (size_t)-1);
	switch (r.verdict) {
	case SUPP_REJECT:
		mk_log_event(MK_LOG_INFO, qid, "reject rcpt=%s from=%s"
		    " client=%s scope=%s target=%s reason=%s", rcpt, from,
		    conn->client, r.hit.scope[0] ? r.hit.scope :
		    "global", r.hit.target, mk_reason_name(r.hit.reason));
		mk_milter_setreply(conn, r.reply.rcode, r.reply.xcode, "%s",
		    r.reply.text);
		return SMFIS_REJECT;
	case SUPP_ERROR: {
		sfsistat action = mk_milter_error_action(conn);

		/* on_error = accept passes this recipient only (CONTINUE):
		 * the next ones of the message are still checked. */
		mk_log_event(MK_LOG_ERROR, qid, "%s rcpt=%s from=%s client=%s"
		    " cause=%s", action == SMFIS_TEMPFAIL ? "tempfail" : "accept",
		    rcpt, from, conn->client, r.cause);
		return action;
	}
	case SUPP_MALFORMED:
		mk_log_event(MK_LOG_WARN, qid, "malformed rcpt=%s from=%s"
		    " client=%s: %s; left to the MTA", rcpt, from, conn->client,
		    r.cause);
		return SMFIS_CONTINUE;
	case SUPP_EXEMPT:
		mk_log_event(MK_LOG_DEBUG, qid, "exempt rcpt=%s from=%s", rcpt,
		    from);
		return SMFIS_CONTINUE;
	default:
		mk_log_event(MK_LOG_DEBUG, qid, "pass rcpt=%s from=%s scope=%s",
		    rcpt, from, m->scope[0] ? m->scope : "global");
		return SMFIS_CONTINUE;
	}
}

static void
su_msg_free(struct mk_msg *msg)
{
	free(msg->data);
	msg->data = NULL;
}

const struct mk_milter_desc supp_filter = {
	.name = "milterkit-suppress",
	.section = "suppress",
	.version = PACKAGE_VERSION,
	.flags = 0,
	/* It never refuses at CONNECT or MAIL: no answer is awaited there,
	 * unless the session choice lets it leave sessions or messages
	 * alone there (sessions, see mk_milter.h). */
	.no_reply = SMFIP_NR_CONN | SMFIP_NR_MAIL,
	/* The queue id for the log, the SASL login for "sessions". */
	.macros = {
		[SMFIM_ENVFROM] = "i {auth_authen}",
		[SMFIM_ENVRCPT] = "i",
	},
	/* Postfix cannot refuse one recipient of a local submission
	 * (sendmail(1), pickup): it would keep the whole message in the
	 * maildrop for ever. Local mail is the host's own: left alone. */
	.smtp_only = 1,
	.init = su_init,
	.fini = su_fini,
	.sessions = supp_sessions,
	.mail = su_mail,
	.rcpt = su_rcpt,
	.msg_free = su_msg_free,
};
