/*
 * NAME
 *	milter.c - contexts, callbacks and configuration snapshots of the
 *	milter skeleton (mk_milter.h)
 * SYNOPSIS
 *	mk_milter_macro(), mk_milter_setreply(), mk_milter_on_error(),
 *	mk_milter_qid(), mk_milter_register(), mk_milter_snap_install(),
 *	mk_milter_snap_release_current(), mk_milter_no_steps()
 * DESCRIPTION
 *	The libmilter callbacks here only manage contexts and dispatch to
 *	the program's callbacks. Configuration snapshots are reference
 *	counted: the current one holds a reference, every connection holds
 *	one from connect to close, so a reload swaps in a new snapshot while
 *	connections in progress finish with the one they started with; the
 *	last reference frees it (program fini(), then mk_conf_free()).
 * SEE ALSO
 *	milter_main.c (start-up, signals, reload), mk_daemon.h.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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
	if (conn == NULL || conn->ctx == NULL)
		return NULL;
	return smfi_getsymval(conn->ctx, (char *)name);
}

const char *
mk_milter_qid(const struct mk_conn *conn, const struct mk_msg *msg)
{
	if (msg != NULL && msg->qid[0] != '\0')
		return msg->qid;
	return "NOQUEUE";
}

int
mk_milter_setreply(const struct mk_conn *conn, const char *rcode,
    const char *xcode, const char *fmt, ...)
{
	char raw[512], text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	mk_printable(text, sizeof(text), raw, (size_t)-1);
	/* '%' would be taken as a format by the MTA. */
	for (char *p = text; *p; p++)
		if (*p == '%')
			*p = '?';
	if (smfi_setreply(conn->ctx, (char *)rcode, (char *)xcode, text) != MI_SUCCESS) {
		mk_log_event(MK_LOG_WARN, mk_milter_qid(conn, conn->msg),
		    "cannot set reply %s %s", rcode, xcode);
		return -1;
	}
	return 0;
}

sfsistat
mk_milter_error_action(struct mk_conn *conn)
{
	if (conn->daemon != NULL && conn->daemon->on_error == MK_ON_ERROR_ACCEPT)
		return SMFIS_ACCEPT;
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
		    "error client=%s[%s]: %s; on_error=%s", conn->name, conn->addr,
		    cause, action == SMFIS_ACCEPT ? "accept" : "tempfail");
		*logged = 1;
	}
	return action;
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
msg_of(SMFICTX *ctx)
{
	struct mk_conn *conn = smfi_getpriv(ctx);
	const char *qid;

	if (conn == NULL || conn->msg == NULL)
		return NULL;
	if (conn->msg->qid[0] == '\0' && (qid = smfi_getsymval(ctx, "i")) != NULL)
		mk_printable(conn->msg->qid, sizeof(conn->msg->qid), qid, (size_t)-1);
	return conn->msg;
}

static void
addr_text(const struct sockaddr *sa, char *buf, size_t len)
{
	const void *a = NULL;

	if (sa != NULL && sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa != NULL && sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (a == NULL || inet_ntop(sa->sa_family, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "%s", sa == NULL ? "local" : "unknown");
}

/* ---- libmilter callbacks ------------------------------------------------ */

/* A refusal of the skeleton's own, with its reply; in a no-reply stage it
 * waits for the next stage that answers (see deferred()). */
static sfsistat
refuse(struct mk_conn *conn, unsigned long stage, sfsistat rc,
    const char *rcode, const char *xcode, const char *text)
{
	mk_milter_setreply(conn, rcode, xcode, "%s", text);
	if (!(conn->nr & stage))
		return rc;
	if (conn->deferred == SMFIS_CONTINUE) {
		conn->deferred = rc;
		conn->deferred_mail = stage == SMFIP_NR_MAIL;
		snprintf(conn->dreply[0], sizeof(conn->dreply[0]), "%s", rcode);
		snprintf(conn->dreply[1], sizeof(conn->dreply[1]), "%s", xcode);
		snprintf(conn->dreply[2], sizeof(conn->dreply[2]), "%s", text);
	}
	return SMFIS_NOREPLY;
}

/* The answer of a program's callback in a stage: none in a no-reply stage
 * (the program promised it never refuses there). */
static sfsistat
answer(struct mk_conn *conn, unsigned long stage, sfsistat rc)
{
	if (!(conn->nr & stage))
		return rc;
	if (rc != SMFIS_CONTINUE)
		mk_error("%s refused in a stage negotiated without reply;"
		    " ignored", the_desc->name);
	return SMFIS_NOREPLY;
}

/* A refusal waiting from a no-reply stage, given with its reply. */
static sfsistat
deferred(struct mk_conn *conn)
{
	mk_milter_setreply(conn, conn->dreply[0], conn->dreply[1], "%s",
	    conn->dreply[2]);
	return conn->deferred;
}

static sfsistat
cb_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct mk_conn *conn = smfi_getpriv(ctx);

	if (conn == NULL) {
		conn = mk_calloc(1, sizeof(*conn));
		conn->ctx = ctx;
		conn->deferred = SMFIS_CONTINUE;
		smfi_setpriv(ctx, conn);
	}
	conn->snap = snap_get();
	if (conn->snap == NULL)
		return refuse(conn, SMFIP_NR_CONN, SMFIS_TEMPFAIL, "451", "4.3.0",
		    "Temporary local problem, please try again later");
	conn->conf = conn->snap->conf;
	conn->state = conn->snap->state;
	conn->daemon = mk_conf_daemon(conn->conf, the_desc->section);
	addr_text((struct sockaddr *)hostaddr, conn->addr, sizeof(conn->addr));
	mk_printable(conn->name, sizeof(conn->name),
	    hostname != NULL ? hostname : "unknown", (size_t)-1);
	return answer(conn, SMFIP_NR_CONN, the_desc->connect != NULL ?
	    the_desc->connect(conn) : SMFIS_CONTINUE);
}

static sfsistat
cb_helo(SMFICTX *ctx, char *helo)
{
	struct mk_conn *conn = smfi_getpriv(ctx);

	if (conn == NULL)
		return SMFIS_TEMPFAIL;
	mk_printable(conn->helo, sizeof(conn->helo), helo, (size_t)-1);
	return the_desc->helo != NULL ? the_desc->helo(conn, helo) : SMFIS_CONTINUE;
}

static sfsistat
cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct mk_conn *conn = smfi_getpriv(ctx);
	struct mk_msg *msg;
	const char *from = argv != NULL && argv[0] != NULL ? argv[0] : "";

	if (conn == NULL)
		return SMFIS_TEMPFAIL;
	if (conn->deferred_mail) {	/* the last message's refusal is over */
		conn->deferred = SMFIS_CONTINUE;
		conn->deferred_mail = 0;
	}
	if (conn->snap == NULL)
		return conn->nr & SMFIP_NR_MAIL ? SMFIS_NOREPLY : SMFIS_TEMPFAIL;
	msg_end(conn);
	msg = mk_calloc(1, sizeof(*msg));
	msg->conn = conn;
	conn->msg = msg;
	msg_of(ctx);
	if (strlen(from) >= sizeof(msg->sender)) {
		mk_log_event(MK_LOG_WARN, mk_milter_qid(conn, msg),
		    "reject: sender address of %zu bytes client=%s[%s]",
		    strlen(from), conn->name, conn->addr);
		return refuse(conn, SMFIP_NR_MAIL, SMFIS_REJECT, "553", "5.1.7",
		    "Sender address too long");
	}
	strcpy(msg->sender, from);
	return answer(conn, SMFIP_NR_MAIL, the_desc->mail != NULL ?
	    the_desc->mail(msg, argv) : SMFIS_CONTINUE);
}

static sfsistat
cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct mk_msg *msg = msg_of(ctx);

	if (msg == NULL)
		return SMFIS_TEMPFAIL;
	if (msg->conn->deferred != SMFIS_CONTINUE)
		return deferred(msg->conn);
	msg->nrcpt++;
	return the_desc->rcpt(msg, argv);
}

static sfsistat
cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct mk_msg *msg = msg_of(ctx);

	return msg == NULL ? SMFIS_TEMPFAIL : the_desc->header(msg, name, value);
}

static sfsistat
cb_eoh(SMFICTX *ctx)
{
	struct mk_msg *msg = msg_of(ctx);

	return msg == NULL ? SMFIS_TEMPFAIL : the_desc->eoh(msg);
}

static sfsistat
cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct mk_msg *msg = msg_of(ctx);

	return msg == NULL ? SMFIS_TEMPFAIL : the_desc->body(msg, chunk, len);
}

static sfsistat
cb_eom(SMFICTX *ctx)
{
	struct mk_msg *msg = msg_of(ctx);
	sfsistat rc;

	if (msg == NULL)
		return SMFIS_TEMPFAIL;
	rc = msg->conn->deferred != SMFIS_CONTINUE ? deferred(msg->conn) :
	    the_desc->eom != NULL ? the_desc->eom(msg) : SMFIS_CONTINUE;
	msg_end(msg->conn);
	return rc;
}

static sfsistat
cb_abort(SMFICTX *ctx)
{
	struct mk_conn *conn = smfi_getpriv(ctx);

	if (conn != NULL)
		msg_end(conn);
	return SMFIS_CONTINUE;
}

/* close may be the only callback of a connection: ctx data may be NULL. */
static sfsistat
cb_close(SMFICTX *ctx)
{
	struct mk_conn *conn = smfi_getpriv(ctx);

	if (conn == NULL)
		return SMFIS_CONTINUE;
	msg_end(conn);
	if (the_desc->conn_free != NULL)
		the_desc->conn_free(conn);
	smfi_setpriv(ctx, NULL);
	snap_put(conn->snap);
	free(conn);
	return SMFIS_CONTINUE;
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

static sfsistat
cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	unsigned long no = mk_milter_no_steps(the_desc);

	if ((f0 & the_desc->flags) != the_desc->flags) {
		mk_error("MTA does not offer the actions this milter needs "
		    "(offered 0x%lx, needed 0x%lx)", f0, the_desc->flags);
		return SMFIS_REJECT;
	}
	struct mk_conn *conn;

	*pf0 = the_desc->flags;
	/* Skip only what the MTA offers to skip; the rest just is not used. */
	*pf1 = (no | the_desc->no_reply) & f1;
	*pf2 = 0;
	*pf3 = 0;
	/* The connection's context starts here, to remember the agreement. */
	conn = mk_calloc(1, sizeof(*conn));
	conn->ctx = ctx;
	conn->nr = the_desc->no_reply & f1 & (SMFIP_NR_CONN | SMFIP_NR_MAIL);
	conn->deferred = SMFIS_CONTINUE;
	smfi_setpriv(ctx, conn);
	return SMFIS_CONTINUE;
}

int
mk_milter_register(const struct mk_milter_desc *desc)
{
	struct smfiDesc d;

	the_desc = desc;
	memset(&d, 0, sizeof(d));
	d.xxfi_name = (char *)desc->name;
	d.xxfi_version = SMFI_VERSION;
	d.xxfi_flags = desc->flags;
	d.xxfi_connect = cb_connect;
	d.xxfi_helo = desc->helo != NULL ? cb_helo : NULL;
	d.xxfi_envfrom = cb_envfrom;
	d.xxfi_envrcpt = desc->rcpt != NULL ? cb_envrcpt : NULL;
	d.xxfi_header = desc->header != NULL ? cb_header : NULL;
	d.xxfi_eoh = desc->eoh != NULL ? cb_eoh : NULL;
	d.xxfi_body = desc->body != NULL ? cb_body : NULL;
	d.xxfi_eom = cb_eom;
	d.xxfi_abort = cb_abort;
	d.xxfi_close = cb_close;
	d.xxfi_negotiate = cb_negotiate;
	return smfi_register(d) == MI_SUCCESS ? 0 : -1;
}
