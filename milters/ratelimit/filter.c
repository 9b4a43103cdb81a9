/*
 * NAME
 *	filter.c - the rate-limit filter: the [ratelimit NAME] rules of
 *	milterkit-policyd for MTAs without a policy protocol (Sendmail)
 * DESCRIPTION
 *	The filter's descriptor (rlf_filter), served alone by
 *	milterkit-ratelimit (main.c) and in milterkit-chain as "rlimit". It
 *	asks for CONNECT, MAIL, RCPT and end of message (headers and body
 *	are negotiated away) and never refuses at CONNECT or MAIL.
 *
 *	At MAIL it keeps the message's {auth_authen} and starts its count of
 *	recipients. At RCPT a recipient that does not fit is refused with
 *	the rule's action, worded as milterkit-policyd words it (defer: 450
 *	4.7.1 and the rule's text, reject: 550 5.7.1; warn passes with an
 *	info line); nothing is counted there. At end of message the message
 *	is counted once with the recipients the MTA accepted (msg->nrcpt: in
 *	a chain, a recipient an earlier filter refused never reaches this
 *	one and is not counted). Aborted mail and mail refused at every
 *	recipient have no end of message: not counted. Store trouble answers
 *	on_error. Decisions that refuse or warn are logged at info, passes
 *	at debug, each with the queue id.
 * SEE ALSO
 *	ratelimit.h, milterkit-ratelimit(8), milterkit-policyd(8)
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filters.h"
#include "mk_log.h"
#include "mk_mem.h"
#include "mk_milter.h"
#include "ratelimit.h"

/* What the filter keeps of one message. */
struct rlf_msg {
	struct mk_rl_txn txn;
	char auth[MK_RL_KEY_MAX];	/* {auth_authen} at MAIL, or "" */
};

static int
rlf_init(const struct mk_conf *conf, void **state, char *err, size_t errlen)
{
	return rlf_state_new(conf, (struct rlf_state **)state, err, errlen);
}

static void
rlf_fini(void *state)
{
	rlf_state_free(state);
}

static int64_t
real_ns(void)
{
	struct timespec ts;

	/* Absolute: processes sharing the store compare TATs. */
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * MK_RL_NS + ts.tv_nsec;
}

static sfsistat
rlf_mail(struct mk_msg *msg, char **argv)
{
	struct rlf_msg *m = mk_calloc(1, sizeof(*m));
	const char *auth = mk_milter_macro(msg->conn, "{auth_authen}");

	(void)argv;
	/* A login too long to be a key is no key (the engine agrees). */
	if (auth != NULL && strlen(auth) < sizeof(m->auth))
		strcpy(m->auth, auth);
	mk_rl_txn_reset(&m->txn);
	msg->data = m;
	return SMFIS_CONTINUE;
}

/* One line per decision, as milterkit-policyd logs them. */
static void
log_decision(struct mk_msg *msg, const char *stage, const char *rcpt,
    const struct rlf_result *r)
{
	char from[MK_LOG_CLIENT_MAX], to[MK_LOG_CLIENT_MAX];
	char key[MK_LOG_CLIENT_MAX];
	const char *qid = mk_milter_qid(msg->conn, msg);
	int level = r->kind == RLF_PASS ? MK_LOG_DEBUG : MK_LOG_INFO;

	mk_printable(from, sizeof(from), msg->sender, (size_t)-1);
	mk_printable(to, sizeof(to), rcpt != NULL ? rcpt : "", (size_t)-1);
	if (r->rule[0] == '\0') {
		mk_log_event(level, qid, "ratelimit %s from=%s%s%s client=%s "
		    "state=%s", rlf_kind_name(r->kind), from, rcpt ? " rcpt=" :
		    "", rcpt ? to : "", msg->conn->client, stage);
		return;
	}
	mk_log_event(level, qid, "ratelimit %s rule=%s key=%s %s %lld/%llds "
	    "used=%lld from=%s%s%s client=%s state=%s", rlf_kind_name(r->kind),
	    r->rule, mk_printable(key, sizeof(key), r->key, (size_t)-1),
	    r->what, (long long)r->limit, (long long)r->period,
	    (long long)r->used, from, rcpt ? " rcpt=" : "", rcpt ? to : "",
	    msg->conn->client, stage);
}

/* Checks one stage and maps the result to the milter's answer. */
static sfsistat
rlf_stage(struct mk_msg *msg, enum rlf_stage stage, const char *rcpt)
{
	struct mk_conn *conn = msg->conn;
	struct rlf_msg *m = msg->data;
	struct rlf_envelope env = {
		.qid = msg->qid, .auth = m->auth, .sender = msg->sender,
		.client = conn->local ? NULL : conn->addr, .rcpt = rcpt,
		.nrcpt = msg->nrcpt
	};
	const char *sname = stage == RLF_RCPT ? "RCPT" : "END-OF-MESSAGE";
	struct rlf_result r;

	switch (rlf_check(conn->state, stage, &env, &m->txn, real_ns(), &r)) {
	case RLF_ERROR:
		return mk_milter_on_error(conn, msg, "ratelimit state=%s: %s",
		    sname, r.cause);
	case RLF_TEMPFAIL:
		log_decision(msg, sname, rcpt, &r);
		return mk_milter_refuse(conn, SMFIS_TEMPFAIL, r.rcode, r.xcode,
		    r.text);
	case RLF_REJECT:
		log_decision(msg, sname, rcpt, &r);
		return mk_milter_refuse(conn, SMFIS_REJECT, r.rcode, r.xcode,
		    r.text);
	default:
		log_decision(msg, sname, rcpt, &r);
		return SMFIS_CONTINUE;
	}
}

static sfsistat
rlf_rcpt(struct mk_msg *msg, char **argv)
{
	if (msg->data == NULL || argv[0] == NULL)
		return SMFIS_CONTINUE;
	return rlf_stage(msg, RLF_RCPT, argv[0]);
}

static sfsistat
rlf_eom(struct mk_msg *msg)
{
	if (msg->data == NULL)
		return SMFIS_CONTINUE;
	return rlf_stage(msg, RLF_EOM, NULL);
}

static void
rlf_msg_free(struct mk_msg *msg)
{
	free(msg->data);
	msg->data = NULL;
}

const struct mk_milter_desc rlf_filter = {
	.name = "milterkit-ratelimit",
	.section = "rlimit",
	.version = PACKAGE_VERSION,
	.flags = 0,
	/* It never refuses at CONNECT or MAIL (unless its session choice
	 * leaves sessions or messages alone there, mk_milter.h). */
	.no_reply = SMFIP_NR_CONN | SMFIP_NR_MAIL,
	/* The queue id for the log, the SASL login for keys and sessions. */
	.macros = {
		[SMFIM_ENVFROM] = "i {auth_authen}",
		[SMFIM_ENVRCPT] = "i",
		[SMFIM_EOM] = "i",
	},
	/* Postfix cannot refuse one recipient of a local submission
	 * (sendmail(1), pickup): left alone, as policyd never sees it. */
	.smtp_only = 1,
	.init = rlf_init,
	.fini = rlf_fini,
	.sessions = rlf_sessions,
	.mail = rlf_mail,
	.rcpt = rlf_rcpt,
	.eom = rlf_eom,
	.msg_free = rlf_msg_free,
};
