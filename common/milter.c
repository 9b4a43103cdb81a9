/*
 * NAME
 *	milter.c - contexts, callbacks and configuration snapshots of the
 *	milter skeleton (mk_milter.h)
 * SYNOPSIS
 *	mk_milter_macro(), mk_milter_setreply(), mk_milter_on_error(),
 *	mk_milter_error_action(), mk_milter_refuse(),
 *	mk_milter_qid(), mk_milter_ops(), mk_milter_snap_install(),
 *	mk_milter_snap_release_current(), mk_milter_no_steps()
 * DESCRIPTION
 *	The protocol callbacks here (struct mk_mconn_ops, called by
 *	milter_conn.c) only manage contexts and dispatch to the program's
 *	callbacks, noting the stage each runs in (conn->stage: on_error's
 *	answer depends on it). Configuration snapshots are reference
 *	counted: the current one holds a reference, every connection holds
 *	one from connect to close, so a reload swaps in a new snapshot while
 *	connections in progress finish with the one they started with; the
 *	last reference frees it (program fini(), then mk_conf_free()).
 * SEE ALSO
 *	milter_main.c (start-up, signals, reload), mk_daemon.h.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mk_conf.h"
#include "mk_log.h"
#include "mk_mem.h"
#include "mk_milter.h"

struct mk_milter_snap {
	struct mk_conf *conf;
	void *state;
	unsigned refs;
};

static const struct mk_milter_desc *the_desc;
static pthread_mutex_t snap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mk_milter_snap *snap_cur;

/* ---- snapshots --------------------------------------------------------- */

static struct mk_milter_snap *
snap_get(void)
{
	struct mk_milter_snap *s;

	pthread_mutex_lock(&snap_lock);
	s = snap_cur;
	if (s != NULL)
		s->refs++;
	pthread_mutex_unlock(&snap_lock);
	return s;
}

static void
snap_put(struct mk_milter_snap *s)
{
	unsigned left;

	if (s == NULL)
		return;
	pthread_mutex_lock(&snap_lock);
	left = --s->refs;
	pthread_mutex_unlock(&snap_lock);
	if (left > 0)
		return;
	if (the_desc != NULL && the_desc->fini != NULL)
		the_desc->fini(s->state);
	mk_conf_free(s->conf);
	free(s);
}

void
mk_milter_snap_install(struct mk_conf *conf, void *state)
{
	struct mk_milter_snap *s = mk_calloc(1, sizeof(*s)), *old;

	s->conf = conf;
	s->state = state;
	s->refs = 1;
	pthread_mutex_lock(&snap_lock);
	old = snap_cur;
	snap_cur = s;
	pthread_mutex_unlock(&snap_lock);
	snap_put(old);
}

void
mk_milter_snap_release_current(void)
{
	struct mk_milter_snap *old;

	pthread_mutex_lock(&snap_lock);
	old = snap_cur;
	snap_cur = NULL;
	pthread_mutex_unlock(&snap_lock);
	snap_put(old);
}

/* ---- helpers for programs ---------------------------------------------- */

const char *
mk_milter_macro(const struct mk_conn *conn, const char *name)
{
	if (conn == NULL || conn->mc == NULL)
		return NULL;
	return mk_mconn_macro(conn->mc, name);
}

const char *
mk_milter_qid(const struct mk_conn *conn, const struct mk_msg *msg)
{
	if (msg != NULL && msg->qid[0] != '\0')
		return msg->qid;
	return "NOQUEUE";
}

/* Reply texts are bounded where they are configured (MK_REPLY_TEXT_MAX);
 * a longer one here is a bug to report, never a text to cut. */
int
mk_milter_setreply(const struct mk_conn *conn, const char *rcode,
    const char *xcode, const char *fmt, ...)
{
	char raw[MK_REPLY_TEXT_MAX + 1], text[MK_REPLY_TEXT_MAX + 1];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(raw)) {
		mk_log_event(MK_LOG_ERROR, mk_milter_qid(conn, conn->msg),
		    "reply %s %s: text of %d octets, at most %d: invariant "
		    "broken, reply not set", rcode, xcode != NULL ? xcode : "",
		    n, MK_REPLY_TEXT_MAX);
		return -1;
	}
	mk_printable(text, sizeof(text), raw, (size_t)-1);
	/* '%' would be taken as a format by the MTA. */
	for (char *p = text; *p; p++)
		if (*p == '%')
			*p = '?';
	if (mk_mconn_setreply(conn->mc, rcode, xcode, text) < 0) {
		mk_log_event(MK_LOG_WARN, mk_milter_qid(conn, conn->msg),
		    "cannot set reply %s %s", rcode, xcode);
		return -1;
	}
	return 0;
}

/* on_error's answer in the stage running: an accept at RCPT would accept
 * the whole message (the MTA stops calling the milter for it), so there
 * only this recipient goes unchecked. */
sfsistat
mk_milter_error_action(struct mk_conn *conn)
{
	if (conn->daemon != NULL && conn->daemon->on_error == MK_ON_ERROR_ACCEPT)
		return conn->stage == MK_STAGE_RCPT ? SMFIS_CONTINUE :
		    SMFIS_ACCEPT;
	mk_milter_setreply(conn, "451", "4.3.0",
	    "Temporary local problem, please try again later");
	return SMFIS_TEMPFAIL;
}

sfsistat
mk_milter_on_error(struct mk_conn *conn, struct mk_msg *msg, const char *fmt, ...)
{
	int *logged = msg != NULL ? &msg->error_logged : &conn->error_logged;
	sfsistat action = mk_milter_error_action(conn);
	char cause[512];
	va_list ap;

	if (!*logged) {
		va_start(ap, fmt);
		vsnprintf(cause, sizeof(cause), fmt, ap);
		va_end(ap);
		mk_log_event(MK_LOG_ERROR, mk_milter_qid(conn, msg),
		    "error client=%s: %s; on_error=%s", conn->client,
		    cause, action == SMFIS_TEMPFAIL ? "tempfail" : "accept");
		*logged = 1;
	}
	return action;
}

char *
mk_milter_client_text(const char *name, const char *addr, char *out,
    size_t outlen)
{
	size_t n = strlen(name);
	const char *in = name;

	/* Postfix names a client without a name "[addr]" ("[IPv6:addr]"). */
	if (n >= 2 && name[0] == '[' && name[n - 1] == ']') {
		in = name + 1;
		n -= 2;
		if (n > 5 && strncasecmp(in, "IPv6:", 5) == 0) {
			in += 5;
			n -= 5;
		}
	}
	if ((n == strlen(addr) && strncasecmp(in, addr, n) == 0) ||
	    *name == '\0')
		snprintf(out, outlen, "[%s]", addr);
	else
		snprintf(out, outlen, "%s[%s]", name, addr);
	return out;
}

/* ---- contexts ---------------------------------------------------------- */

static void
msg_end(struct mk_conn *conn)
{
	struct mk_msg *msg = conn->msg;

	if (msg == NULL)
		return;
	if (the_desc->msg_free != NULL)
		the_desc->msg_free(msg);
	conn->msg = NULL;
	free(msg);
}

/* Note the queue id as soon as the MTA sends it. */
static struct mk_msg *
msg_of(struct mk_mconn *mc)
{
	struct mk_conn *conn = mk_mconn_priv(mc);
	const char *qid;

	if (conn == NULL || conn->msg == NULL)
		return NULL;
	if (conn->msg->qid[0] == '\0' && (qid = mk_mconn_macro(mc, "i")) != NULL)
		mk_printable(conn->msg->qid, sizeof(conn->msg->qid), qid, (size_t)-1);
	return conn->msg;
}

/* ---- protocol callbacks -------------------------------------------------- */

/* The SMFIP_NR_* flag of a stage; 0: always answered. */
static unsigned long
stage_nr(enum mk_milter_stage stage)
{
	switch (stage) {
	case MK_STAGE_CONNECT:
		return SMFIP_NR_CONN;
	case MK_STAGE_HELO:
		return SMFIP_NR_HELO;
	case MK_STAGE_MAIL:
		return SMFIP_NR_MAIL;
	case MK_STAGE_RCPT:
		return SMFIP_NR_RCPT;
	case MK_STAGE_HEADER:
		return SMFIP_NR_HDR;
	case MK_STAGE_EOH:
		return SMFIP_NR_EOH;
	case MK_STAGE_BODY:
		return SMFIP_NR_BODY;
	default:
		return 0;
	}
}

/* A refusal with its reply; in a no-reply stage it waits, reply and all,
 * for the next stage that answers (see deferred()). */
sfsistat
mk_milter_refuse(struct mk_conn *conn, sfsistat rc, const char *rcode,
    const char *xcode, const char *text)
{
	struct mk_reply *d = &conn->dreply;

	if (xcode == NULL)
		xcode = "";
	if (text == NULL)
		text = "";
	if (!(conn->nr & stage_nr(conn->stage))) {
		mk_milter_setreply(conn, rcode, xcode, "%s", text);
		return rc;
	}
	if (conn->deferred != SMFIS_CONTINUE)	/* the first one stands */
		return SMFIS_NOREPLY;
	conn->deferred = rc;
	conn->deferred_msg = conn->stage >= MK_STAGE_MAIL;
	d->rcode[0] = '\0';
	if (rcode == NULL || strlen(rcode) >= sizeof(d->rcode) ||
	    strlen(xcode) >= sizeof(d->xcode) || strlen(text) >= sizeof(d->text)) {
		mk_log_event(MK_LOG_ERROR, mk_milter_qid(conn, conn->msg),
		    "refusal %s %s: reply text of %zu octets, at most %d: "
		    "invariant broken, refused without the reply",
		    rcode != NULL ? rcode : "-", xcode, strlen(text),
		    MK_REPLY_TEXT_MAX);
		return SMFIS_NOREPLY;
	}
	memcpy(d->rcode, rcode, strlen(rcode) + 1);
	memcpy(d->xcode, xcode, strlen(xcode) + 1);
	memcpy(d->text, text, strlen(text) + 1);
	return SMFIS_NOREPLY;
}

/* The answer of a program's callback in a stage: none in a no-reply stage
 * (the program promised it never refuses there but through
 * mk_milter_refuse(); an accept, leaving the session or message alone, is
 * its own business then). */
static sfsistat
answer(struct mk_conn *conn, unsigned long stage, sfsistat rc)
{
	if (!(conn->nr & stage))
		return rc;
	if (rc != SMFIS_CONTINUE && rc != SMFIS_ACCEPT && rc != SMFIS_NOREPLY)
		mk_error("%s refused in a stage negotiated without reply;"
		    " ignored", the_desc->name);
	return SMFIS_NOREPLY;
}

/* The no-reply stages of this configuration: those where the program may
 * leave a session (CONNECT) or a message (MAIL) alone are answered. */
static unsigned long
no_reply_now(void)
{
	struct mk_milter_snap *snap = snap_get();
	unsigned long nr = the_desc->no_reply;
	unsigned which;

	if (snap != NULL && the_desc->sessions != NULL) {
		which = the_desc->sessions(snap->state)->which;
		if (which == MK_SESSION_NETWORKS)
			nr &= ~(unsigned long)SMFIP_NR_CONN;
		if (which & MK_SESSION_AUTHENTICATED)
			nr &= ~(unsigned long)SMFIP_NR_MAIL;
	}
	snap_put(snap);
	return nr;
}

/* Whether the program looks at this message's session (sessions()); the
 * SASL login is known at MAIL. */
static int
looked_at(struct mk_conn *conn)
{
	const struct mk_session_choice *sc;
	const char *user;

	if (the_desc->sessions == NULL)
		return 1;
	sc = the_desc->sessions(conn->state);
	user = mk_milter_macro(conn, "{auth_authen}");
	return mk_session_selected(sc->which, &sc->networks,
	    user != NULL && *user != '\0', conn->addr);
}

/* A refusal waiting from a no-reply stage, given with its reply. */
static sfsistat
deferred(struct mk_conn *conn)
{
	if (conn->dreply.rcode[0] != '\0')
		mk_milter_setreply(conn, conn->dreply.rcode, conn->dreply.xcode,
		    "%s", conn->dreply.text);
	return conn->deferred;
}

static struct mk_conn *
conn_new(struct mk_mconn *mc)
{
	struct mk_conn *conn = mk_calloc(1, sizeof(*conn));

	conn->mc = mc;
	conn->nr = mk_mconn_proto(mc) & the_desc->no_reply;
	conn->deferred = SMFIS_CONTINUE;
	mk_mconn_setpriv(mc, conn);
	return conn;
}

static sfsistat
cb_connect(struct mk_mconn *mc, const char *hostname, const char *addr)
{
	struct mk_conn *conn = mk_mconn_priv(mc);
	const struct mk_session_choice *sc;

	if (conn == NULL)	/* a new session after QUIT_NC */
		conn = conn_new(mc);
	conn->stage = MK_STAGE_CONNECT;
	snap_put(conn->snap);	/* a second CONNECT replaces the first */
	conn->snap = snap_get();
	if (conn->snap == NULL)
		return mk_milter_refuse(conn, SMFIS_TEMPFAIL, "451", "4.3.0",
		    "Temporary local problem, please try again later");
	conn->conf = conn->snap->conf;
	conn->state = conn->snap->state;
	conn->daemon = mk_conf_daemon(conn->conf, the_desc->section);
	snprintf(conn->addr, sizeof(conn->addr), "%s", addr);
	mk_printable(conn->name, sizeof(conn->name),
	    *hostname != '\0' ? hostname : "unknown", (size_t)-1);
	mk_milter_client_text(conn->name, conn->addr, conn->client,
	    sizeof(conn->client));
	conn->local = mk_mconn_client_port(mc) == 0;
	sc = the_desc->sessions != NULL ? the_desc->sessions(conn->state) : NULL;
	if (sc != NULL && mk_session_never(sc->which, &sc->networks, conn->addr)) {
		mk_log_event(MK_LOG_DEBUG, NULL, "release client=%s: session"
		    " not checked", conn->client);
		return answer(conn, SMFIP_NR_CONN, SMFIS_ACCEPT);
	}
	return answer(conn, SMFIP_NR_CONN, the_desc->connect != NULL ?
	    the_desc->connect(conn) : SMFIS_CONTINUE);
}

static sfsistat
cb_helo(struct mk_mconn *mc, const char *helo)
{
	struct mk_conn *conn = mk_mconn_priv(mc);

	if (conn == NULL)
		return SMFIS_TEMPFAIL;
	conn->stage = MK_STAGE_HELO;
	mk_printable(conn->helo, sizeof(conn->helo), helo, (size_t)-1);
	return the_desc->helo != NULL ? the_desc->helo(conn, helo) : SMFIS_CONTINUE;
}

static sfsistat
cb_envfrom(struct mk_mconn *mc, char **argv)
{
	struct mk_conn *conn = mk_mconn_priv(mc);
	struct mk_msg *msg;
	const char *from = argv != NULL && argv[0] != NULL ? argv[0] : "";

	if (conn == NULL)
		return SMFIS_TEMPFAIL;
	conn->stage = MK_STAGE_MAIL;
	if (conn->deferred_msg) {	/* the last message's refusal is over */
		conn->deferred = SMFIS_CONTINUE;
		conn->deferred_msg = 0;
	}
	if (conn->snap == NULL)
		return conn->nr & SMFIP_NR_MAIL ? SMFIS_NOREPLY : SMFIS_TEMPFAIL;
	msg_end(conn);
	msg = mk_calloc(1, sizeof(*msg));
	msg->conn = conn;
	conn->msg = msg;
	msg_of(mc);
	if (strlen(from) >= sizeof(msg->sender)) {
		mk_log_event(MK_LOG_WARN, mk_milter_qid(conn, msg),
		    "reject: sender address of %zu bytes client=%s",
		    strlen(from), conn->client);
		return mk_milter_refuse(conn, SMFIS_REJECT, "553", "5.1.7",
		    "Sender address too long");
	}
	strcpy(msg->sender, from);
	if (the_desc->smtp_only && conn->local) {
		char shown[MK_LOG_CLIENT_MAX];

		msg->left_alone = 1;
		mk_log_event(MK_LOG_INFO, mk_milter_qid(conn, msg),
		    "skip from=%s client=%s: local submission (not SMTP),"
		    " not checked", mk_printable(shown, sizeof(shown), from,
		    (size_t)-1), conn->client);
		return answer(conn, SMFIP_NR_MAIL, SMFIS_ACCEPT);
	}
	if (!looked_at(conn)) {
		msg->left_alone = 1;
		mk_log_event(MK_LOG_DEBUG, mk_milter_qid(conn, msg),
		    "skip client=%s: session not checked", conn->client);
		return answer(conn, SMFIP_NR_MAIL, SMFIS_ACCEPT);
	}
	return answer(conn, SMFIP_NR_MAIL, the_desc->mail != NULL ?
	    the_desc->mail(msg, argv) : SMFIS_CONTINUE);
}

static sfsistat
cb_envrcpt(struct mk_mconn *mc, char **argv)
{
	struct mk_msg *msg = msg_of(mc);

	if (msg == NULL)
		return SMFIS_TEMPFAIL;
	msg->conn->stage = MK_STAGE_RCPT;
	if (msg->conn->deferred != SMFIS_CONTINUE)	/* else at the end */
		return (msg->conn->nr & SMFIP_NR_RCPT) ? SMFIS_NOREPLY :
		    deferred(msg->conn);
	if (msg->left_alone)
		return answer(msg->conn, SMFIP_NR_RCPT, SMFIS_CONTINUE);
	msg->nrcpt++;
	return answer(msg->conn, SMFIP_NR_RCPT, the_desc->rcpt(msg, argv));
}

static sfsistat
cb_header(struct mk_mconn *mc, const char *name, const char *value)
{
	struct mk_msg *msg = msg_of(mc);

	if (msg == NULL)
		return SMFIS_TEMPFAIL;
	msg->conn->stage = MK_STAGE_HEADER;
	return answer(msg->conn, SMFIP_NR_HDR, msg->left_alone ?
	    SMFIS_CONTINUE : the_desc->header(msg, name, value));
}

static sfsistat
cb_eoh(struct mk_mconn *mc)
{
	struct mk_msg *msg = msg_of(mc);

	if (msg == NULL)
		return SMFIS_TEMPFAIL;
	msg->conn->stage = MK_STAGE_EOH;
	return msg->left_alone ? SMFIS_CONTINUE : the_desc->eoh(msg);
}

static sfsistat
cb_body(struct mk_mconn *mc, const unsigned char *chunk, size_t len)
{
	struct mk_msg *msg = msg_of(mc);

	if (msg == NULL)
		return SMFIS_TEMPFAIL;
	msg->conn->stage = MK_STAGE_BODY;
	return msg->left_alone ? SMFIS_CONTINUE :
	    the_desc->body(msg, chunk, len);
}

static sfsistat
cb_eom(struct mk_mconn *mc)
{
	struct mk_msg *msg = msg_of(mc);
	sfsistat rc;

	if (msg == NULL)
		return SMFIS_TEMPFAIL;
	msg->conn->stage = MK_STAGE_EOM;
	rc = msg->conn->deferred != SMFIS_CONTINUE ? deferred(msg->conn) :
	    msg->left_alone || the_desc->eom == NULL ? SMFIS_CONTINUE :
	    the_desc->eom(msg);
	msg->conn->stage = MK_STAGE_NONE;
	msg_end(msg->conn);
	return rc;
}

static void
cb_abort(struct mk_mconn *mc)
{
	struct mk_conn *conn = mk_mconn_priv(mc);

	if (conn == NULL)
		return;
	conn->stage = MK_STAGE_NONE;
	msg_end(conn);
}

/* close may be the only callback of a connection: its data may be NULL. */
static void
cb_close(struct mk_mconn *mc)
{
	struct mk_conn *conn = mk_mconn_priv(mc);

	if (conn == NULL)
		return;
	msg_end(conn);
	if (the_desc->conn_free != NULL)
		the_desc->conn_free(conn);
	mk_mconn_setpriv(mc, NULL);
	snap_put(conn->snap);
	free(conn);
}

unsigned long
mk_milter_no_steps(const struct mk_milter_desc *desc)
{
	unsigned long no = desc->no_steps | SMFIP_NOUNKNOWN | SMFIP_NODATA;

	/* CONNECT and MAIL stay: the skeleton needs the address and sender. */
	no &= ~(unsigned long)(SMFIP_NOCONNECT | SMFIP_NOMAIL);
	if (desc->helo == NULL)
		no |= SMFIP_NOHELO;
	if (desc->rcpt == NULL)
		no |= SMFIP_NORCPT;
	if (desc->header == NULL)
		no |= SMFIP_NOHDRS;
	if (desc->eoh == NULL)
		no |= SMFIP_NOEOH;
	if (desc->body == NULL)
		no |= SMFIP_NOBODY;
	return no;
}

static int
cb_negotiate(struct mk_mconn *mc, unsigned long f0, unsigned long f1,
    unsigned long *pf0, unsigned long *pf1)
{
	unsigned long no = mk_milter_no_steps(the_desc), nr;
	struct mk_conn *conn = mk_mconn_priv(mc);

	if ((f0 & the_desc->flags) != the_desc->flags) {
		mk_error("milter connection %lu: the MTA does not offer the "
		    "actions this milter needs (offered 0x%lx, needed 0x%lx);"
		    " connection closed", mk_mconn_id(mc), f0, the_desc->flags);
		return -1;
	}
	*pf0 = the_desc->flags;
	nr = no_reply_now();
	/* Skip only what the MTA offers to skip; the rest just is not used. */
	*pf1 = (no | nr) & f1;
	/* The connection's context starts here, to remember the agreement. */
	if (conn == NULL)
		conn = conn_new(mc);
	conn->nr = nr & f1;
	for (int i = 0; i < SMFIM_COUNT; i++)
		if (the_desc->macros[i] != NULL &&
		    mk_mconn_setsymlist(mc, i, the_desc->macros[i]) < 0)
			mk_warn("milter connection %lu: macro list of stage %d "
			    "not sent (longer than %d characters)",
			    mk_mconn_id(mc), i, MK_MCONN_SYMLIST_MAX);
	return 0;
}

const struct mk_mconn_ops *
mk_milter_ops(const struct mk_milter_desc *desc)
{
	static struct mk_mconn_ops ops;

	the_desc = desc;
	memset(&ops, 0, sizeof(ops));
	ops.negotiate = cb_negotiate;
	ops.connect = cb_connect;
	ops.helo = desc->helo != NULL ? cb_helo : NULL;
	ops.envfrom = cb_envfrom;
	ops.envrcpt = desc->rcpt != NULL ? cb_envrcpt : NULL;
	ops.header = desc->header != NULL ? cb_header : NULL;
	ops.eoh = desc->eoh != NULL ? cb_eoh : NULL;
	ops.body = desc->body != NULL ? cb_body : NULL;
	ops.eom = cb_eom;
	ops.abort = cb_abort;
	ops.close = cb_close;
	return &ops;
}
