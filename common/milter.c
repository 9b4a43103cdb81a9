/*
 * NAME
 *	milter.c - helpers for filters and configuration snapshots of the
 *	milter skeleton (mk_milter.h)
 * SYNOPSIS
 *	mk_milter_macro(), mk_milter_setreply(), mk_milter_on_error(),
 *	mk_milter_error_action(), mk_milter_refuse(), mk_milter_qid(),
 *	mk_milter_client_text(); snapshots (milter_priv.h)
 * DESCRIPTION
 *	Configuration snapshots are reference counted: the current one
 *	holds a reference, every connection holds one from negotiation to
 *	close, so a reload swaps in a new snapshot while connections in
 *	progress finish with the one they started with; the last reference
 *	frees it (each filter's fini(), then mk_conf_free()). A snapshot
 *	also holds what its chain asks of the MTA, computed once when it is
 *	built (mk_milter__snap_build()).
 * SEE ALSO
 *	milter_chain.c (the protocol callbacks), milter_main.c (start-up,
 *	signals, reload), mk_daemon.h.
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
#include "milter_priv.h"

static pthread_mutex_t snap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mk_milter_snap *snap_cur;

/* ---- snapshots --------------------------------------------------------- */

struct mk_milter_snap *
mk_milter__snap_get(void)
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
snap_free(struct mk_milter_snap *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->f[i]->fini != NULL)
			s->f[i]->fini(s->state[i]);
	for (int i = 0; i < SMFIM_COUNT; i++)
		free(s->macros[i]);
	mk_conf_free(s->conf);
	free(s);
}

void
mk_milter__snap_put(struct mk_milter_snap *s)
{
	unsigned left;

	if (s == NULL)
		return;
	pthread_mutex_lock(&snap_lock);
	left = --s->refs;
	pthread_mutex_unlock(&snap_lock);
	if (left == 0)
		snap_free(s);
}

void
mk_milter__snap_install(struct mk_milter_snap *s)
{
	struct mk_milter_snap *old;

	s->refs = 1;
	pthread_mutex_lock(&snap_lock);
	old = snap_cur;
	snap_cur = s;
	pthread_mutex_unlock(&snap_lock);
	mk_milter__snap_put(old);
}

void
mk_milter__snap_release_current(void)
{
	struct mk_milter_snap *old;

	pthread_mutex_lock(&snap_lock);
	old = snap_cur;
	snap_cur = NULL;
	pthread_mutex_unlock(&snap_lock);
	mk_milter__snap_put(old);
}

unsigned long
mk_milter__no_steps(const struct mk_milter_desc *desc)
{
	unsigned long no = desc->no_steps | SMFIP_NOUNKNOWN | SMFIP_NODATA;

	/* CONNECT and MAIL stay: the skeleton needs the address and sender. */
	no &= ~(unsigned long)(SMFIP_NOCONNECT | SMFIP_NOMAIL);
	if (desc->helo == NULL)
		no |= SMFIP_NOHELO;
	if (desc->rcpt == NULL)
		no |= SMFIP_NORCPT;
	if (desc->header == NULL && !desc->header_block)
		no |= SMFIP_NOHDRS;
	if (desc->eoh == NULL)
		no |= SMFIP_NOEOH;
	if (desc->body == NULL)
		no |= SMFIP_NOBODY;
	return no;
}

/* The no-reply stages of one filter in this configuration: those it has
 * no callback for (it cannot refuse there), and those it says it never
 * refuses in, but where it may leave a session (CONNECT) or a message
 * (MAIL) alone: those are answered. */
static unsigned long
filter_no_reply(const struct mk_milter_desc *f, const void *state)
{
	static const unsigned long skip_nr[][2] = {
		{ SMFIP_NOHELO, SMFIP_NR_HELO }, { SMFIP_NORCPT, SMFIP_NR_RCPT },
		{ SMFIP_NOHDRS, SMFIP_NR_HDR }, { SMFIP_NOEOH, SMFIP_NR_EOH },
		{ SMFIP_NOBODY, SMFIP_NR_BODY },
	};
	unsigned long nr = f->no_reply, no = mk_milter__no_steps(f);
	unsigned which;

	for (size_t i = 0; i < sizeof(skip_nr) / sizeof(skip_nr[0]); i++)
		if (no & skip_nr[i][0])
			nr |= skip_nr[i][1];
	if (f->header == NULL)	/* the block is kept, nothing refused */
		nr |= SMFIP_NR_HDR;

	if (f->sessions != NULL) {
		which = f->sessions(state)->which;
		if (which == MK_SESSION_NETWORKS)
			nr &= ~(unsigned long)SMFIP_NR_CONN;
		if (which & MK_SESSION_AUTHENTICATED)
			nr &= ~(unsigned long)SMFIP_NR_MAIL;
	}
	return nr;
}

/* Adds the words of list to the union u (a space-separated list). */
static void
macro_union(char **u, const char *list)
{
	const char *p = list;
	size_t n, have;

	for (;;) {
		p += strspn(p, " ");
		if ((n = strcspn(p, " ")) == 0)
			break;
		have = *u != NULL ? strlen(*u) : 0;
		for (const char *q = *u; q != NULL && *q != '\0';) {
			size_t m = strcspn(q, " ");

			if (m == n && strncmp(q, p, n) == 0)
				goto next;
			q += m;
			q += strspn(q, " ");
		}
		*u = mk_realloc(*u, have + n + 2);
		if (have > 0)
			(*u)[have++] = ' ';
		memcpy(*u + have, p, n);
		(*u)[have + n] = '\0';
next:
		p += n;
	}
}

struct mk_milter_snap *
mk_milter__snap_build(struct mk_conf *conf, const char *section,
    const struct mk_milter_desc *const *f, size_t n, char *err, size_t errlen)
{
	struct mk_milter_snap *s = mk_calloc(1, sizeof(*s));
	unsigned long all_no = ~0UL;
	int take_all = 0;

	s->conf = conf;
	s->no_reply = ~0UL;
	if ((s->daemon = mk_conf_daemon(conf, section)) == NULL) {
		snprintf(err, errlen, "no section [%s] in the configuration "
		    "schema", section);
		goto fail;
	}
	if (n == 0 || n > MK_MILTER_CHAIN_MAX) {
		snprintf(err, errlen, "[%s]: a chain of %zu filters (1 to %d)",
		    section, n, MK_MILTER_CHAIN_MAX);
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		int lists = 0;

		if (mk_conf_daemon(conf, f[i]->section) == NULL) {
			snprintf(err, errlen, "filter %s: no section [%s] in "
			    "the configuration schema", f[i]->name,
			    f[i]->section);
			goto fail;
		}
		if (f[i]->init != NULL &&
		    f[i]->init(conf, &s->state[i], err, errlen) < 0)
			goto fail;
		s->f[s->n++] = f[i];
		s->flags |= f[i]->flags;
		all_no &= mk_milter__no_steps(f[i]);
		s->no_steps |= f[i]->no_steps & SMFIP_HDR_LEADSPC;
		s->no_reply &= filter_no_reply(f[i], s->state[i]);
		s->header_block |= f[i]->header_block;
		for (int m = 0; m < SMFIM_COUNT; m++)
			if (f[i]->macros[m] != NULL) {
				macro_union(&s->macros[m], f[i]->macros[m]);
				lists = 1;
			}
		take_all |= !lists;
	}
	s->no_steps |= all_no & ~(unsigned long)SMFIP_HDR_LEADSPC;
	/* The client's MTA, for the index rules of the header block. */
	if (s->header_block)
		macro_union(&s->macros[SMFIM_CONNECT], "v");
	/* A filter naming no macro takes whatever the MTA sends: all. */
	for (int m = 0; take_all && m < SMFIM_COUNT; m++) {
		free(s->macros[m]);
		s->macros[m] = NULL;
	}
	return s;
fail:
	s->conf = NULL;		/* stays the caller's on failure */
	snap_free(s);
	return NULL;
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

/* The SMFIP_NR_* flag of a stage; 0: always answered. */
unsigned long
mk_milter__stage_nr(enum mk_milter_stage stage)
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
 * for the next stage that answers (milter_chain.c). */
sfsistat
mk_milter_refuse(struct mk_conn *conn, sfsistat rc, const char *rcode,
    const char *xcode, const char *text)
{
	struct mk_chain *ch = conn->chain;
	struct mk_reply *d = &ch->dreply;

	if (xcode == NULL)
		xcode = "";
	if (text == NULL)
		text = "";
	if (!(ch->nr & mk_milter__stage_nr(conn->stage))) {
		mk_milter_setreply(conn, rcode, xcode, "%s", text);
		return rc;
	}
	if (ch->deferred != SMFIS_CONTINUE)	/* the first one stands */
		return SMFIS_NOREPLY;
	ch->deferred = rc;
	ch->deferred_msg = conn->stage >= MK_STAGE_MAIL;
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

