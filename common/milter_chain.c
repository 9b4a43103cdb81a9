/*
 * NAME
 *	milter_chain.c - the protocol callbacks of the milter skeleton: one
 *	MTA connection served by a chain of filters (mk_milter.h)
 * DESCRIPTION
 *	The callbacks here (struct mk_mconn_ops, called by milter_conn.c)
 *	keep one struct mk_chain per MTA connection, from negotiation (which
 *	takes the configuration snapshot, and with it the chain, that the
 *	connection keeps to its close) to close. Each filter sees its own
 *	struct mk_conn and struct mk_msg; the facts of the session (client,
 *	HELO, sender, queue id) are copied into each. A stage calls the
 *	filters in order and combines their answers (mk_milter.h, "Chains");
 *	each callback runs with its view's stage set, for on_error.
 * SEE ALSO
 *	milter_stage.c (the chain's contexts, how a stage is run), milter.c
 *	(helpers, snapshots), milter_edits.c (the header block
 *	edits of filters), milter_pool.c (slow work), hblock.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mk_hblock.h"
#include "mk_log.h"
#include "mk_mem.h"
#include "mk_milter.h"
#include "mk_milter_engine.h"
#include "milter_priv.h"

/* ---- protocol callbacks -------------------------------------------------- */

static int
cb_negotiate(struct mk_mconn *mc, unsigned long f0, unsigned long f1,
    unsigned long *pf0, unsigned long *pf1)
{
	struct mk_chain *ch = mk_mconn_priv(mc);
	struct mk_milter_snap *s;

	if (ch == NULL)
		ch = mk_chain__new(mc);
	if (ch->snap == NULL) {
		if ((ch->snap = mk_milter__snap_get()) == NULL) {
			mk_error("milter connection %lu: no configuration; "
			    "connection closed", mk_mconn_id(mc));
			return -1;
		}
		mk_chain__views(ch);
	}
	s = ch->snap;
	if ((f0 & s->flags) != s->flags) {
		mk_error("milter connection %lu: the MTA does not offer the "
		    "actions this milter needs (offered 0x%lx, needed 0x%lx);"
		    " connection closed", mk_mconn_id(mc), f0, s->flags);
		return -1;
	}
	*pf0 = s->flags;
	/* Skip only what the MTA offers to skip; the rest just is not used. */
	*pf1 = (s->no_steps | s->no_reply) & f1;
	ch->nr = s->no_reply & f1;
	ch->leadspc = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
	for (int i = 0; i < SMFIM_COUNT; i++)
		if (s->macros[i] != NULL &&
		    mk_mconn_setsymlist(mc, i, s->macros[i]) < 0)
			mk_warn("milter connection %lu: macro list of stage %d "
			    "not sent (longer than %d characters)",
			    mk_mconn_id(mc), i, MK_MCONN_SYMLIST_MAX);
	return 0;
}

static sfsistat
cb_connect(struct mk_mconn *mc, const char *hostname, const char *addr)
{
	struct mk_chain *ch = mk_mconn_priv(mc);
	const struct mk_session_choice *sc;
	struct mk_conn *c0;
	sfsistat rc = SMFIS_CONTINUE;
	const char *v;

	if (ch == NULL || ch->snap == NULL)
		return SMFIS_TEMPFAIL;
	mk_chain__msg_end(ch);		/* a second CONNECT (after QUIT_NC) */
	c0 = &ch->fc[0];
	snprintf(c0->addr, sizeof(c0->addr), "%s", addr);
	mk_printable(c0->name, sizeof(c0->name),
	    *hostname != '\0' ? hostname : "unknown", (size_t)-1);
	mk_milter_client_text(c0->name, c0->addr, c0->client,
	    sizeof(c0->client));
	c0->local = mk_mconn_client_port(mc) == 0;
	ch->connected = 1;
	ch->postfix = (v = mk_mconn_macro(mc, "v")) != NULL &&
	    strncmp(v, "Postfix", 7) == 0;
	for (size_t i = 0; i < ch->n; i++) {
		const struct mk_milter_desc *f = ch->snap->f[i];
		struct mk_conn *c = &ch->fc[i];

		if (i > 0) {
			memcpy(c->addr, c0->addr, sizeof(c->addr));
			memcpy(c->name, c0->name, sizeof(c->name));
			memcpy(c->client, c0->client, sizeof(c->client));
			c->local = c0->local;
		}
		c->helo[0] = '\0';
		c->done = 0;
		c->error_logged = 0;
		if (rc != SMFIS_CONTINUE)
			continue;
		c->stage = MK_STAGE_CONNECT;
		sc = f->sessions != NULL ? f->sessions(c->state) : NULL;
		if (sc != NULL && mk_session_never(sc->which, &sc->networks,
		    c->addr)) {
			mk_log_event(MK_LOG_DEBUG, NULL, "release client=%s: "
			    "session not checked by %s", c->client, f->section);
			c->done = 1;
			continue;
		}
		if (f->connect != NULL)
			rc = mk_chain__took(ch, i, f->connect(c));
	}
	return mk_chain__answer(ch, MK_STAGE_CONNECT, rc != SMFIS_CONTINUE ? rc :
	    mk_chain__all_done(ch));
}

static sfsistat
cb_helo(struct mk_mconn *mc, const char *helo)
{
	struct mk_chain *ch = mk_mconn_priv(mc);
	sfsistat rc = SMFIS_CONTINUE;

	if (ch == NULL || !ch->connected)
		return SMFIS_TEMPFAIL;
	for (size_t i = 0; i < ch->n; i++) {
		struct mk_conn *c = &ch->fc[i];

		mk_printable(c->helo, sizeof(c->helo), helo, (size_t)-1);
		if (rc != SMFIS_CONTINUE || !mk_chain__active(ch, i) ||
		    ch->snap->f[i]->helo == NULL)
			continue;
		c->stage = MK_STAGE_HELO;
		rc = mk_chain__took(ch, i, ch->snap->f[i]->helo(c, helo));
	}
	return mk_chain__answer(ch, MK_STAGE_HELO, rc != SMFIS_CONTINUE ? rc :
	    mk_chain__all_done(ch));
}

/* Whether filter i looks at this message's session (sessions()); the
 * SASL login is known at MAIL. */
static int
looked_at(struct mk_chain *ch, size_t i)
{
	const struct mk_milter_desc *f = ch->snap->f[i];
	const struct mk_session_choice *sc;
	const char *user;

	if (f->sessions == NULL)
		return 1;
	sc = f->sessions(ch->fc[i].state);
	user = mk_milter_macro(&ch->fc[i], "{auth_authen}");
	return mk_session_selected(sc->which, &sc->networks,
	    user != NULL && *user != '\0', ch->fc[i].addr);
}

/* Starts the message of every filter still in the session. */
static void
msg_begin(struct mk_chain *ch, const char *from)
{
	ch->in_msg = 1;
	ch->nrcpt = 0;
	for (size_t i = 0; i < ch->n; i++) {
		struct mk_msg *m = &ch->fm[i];

		m->conn = &ch->fc[i];
		snprintf(m->sender, sizeof(m->sender), "%s", from);
		m->left_alone = ch->fc[i].done;
		ch->fc[i].msg = m;
	}
	if (ch->snap->header_block) {
		mk_hblock_init(&ch->hb, MK_MILTER_HDR_FIELDS,
		    MK_MILTER_HDR_BYTES);
		ch->hb_on = 1;
	}
	mk_chain__of(ch->mc);
}

static sfsistat
cb_envfrom(struct mk_mconn *mc, char **argv)
{
	struct mk_chain *ch = mk_mconn_priv(mc);
	const char *from = argv != NULL && argv[0] != NULL ? argv[0] : "";
	sfsistat rc = SMFIS_CONTINUE;

	if (ch == NULL || !ch->connected)
		return SMFIS_TEMPFAIL;
	if (ch->deferred_msg) {	/* the last message's refusal is over */
		ch->deferred = SMFIS_CONTINUE;
		ch->deferred_msg = 0;
	}
	mk_chain__msg_end(ch);
	for (size_t i = 0; i < ch->n; i++)
		ch->fc[i].stage = MK_STAGE_MAIL;
	msg_begin(ch, strlen(from) < MK_MILTER_ADDR_MAX ? from : "");
	if (strlen(from) >= MK_MILTER_ADDR_MAX) {
		mk_log_event(MK_LOG_WARN, mk_milter_qid(&ch->fc[0], &ch->fm[0]),
		    "reject: sender address of %zu bytes client=%s",
		    strlen(from), ch->fc[0].client);
		return mk_milter_refuse(&ch->fc[0], SMFIS_REJECT, "553",
		    "5.1.7", "Sender address too long");
	}
	for (size_t i = 0; i < ch->n; i++) {
		const struct mk_milter_desc *f = ch->snap->f[i];
		struct mk_msg *m = &ch->fm[i];
		char shown[MK_LOG_CLIENT_MAX];

		if (rc != SMFIS_CONTINUE || m->left_alone)
			continue;
		if (f->smtp_only && m->conn->local) {
			m->left_alone = 1;
			mk_log_event(MK_LOG_INFO, mk_milter_qid(m->conn, m),
			    "skip from=%s client=%s: local submission (not "
			    "SMTP), not checked by %s", mk_printable(shown,
			    sizeof(shown), from, (size_t)-1), m->conn->client,
			    f->section);
			continue;
		}
		if (!looked_at(ch, i)) {
			m->left_alone = 1;
			mk_log_event(MK_LOG_DEBUG, mk_milter_qid(m->conn, m),
			    "skip client=%s: session not checked by %s",
			    m->conn->client, f->section);
			continue;
		}
		if (f->mail != NULL)
			rc = mk_chain__took(ch, i, f->mail(m, argv));
	}
	return mk_chain__answer(ch, MK_STAGE_MAIL, rc != SMFIS_CONTINUE ? rc :
	    mk_chain__all_done(ch));
}

static sfsistat
call_rcpt(struct mk_chain *ch, size_t i, void *argv)
{
	return ch->snap->f[i]->rcpt == NULL ? SMFIS_CONTINUE :
	    ch->snap->f[i]->rcpt(&ch->fm[i], argv);
}

static sfsistat
cb_envrcpt(struct mk_mconn *mc, char **argv)
{
	struct mk_chain *ch = mk_chain__of(mc);
	sfsistat rc = SMFIS_CONTINUE;

	if (ch == NULL || !ch->in_msg)
		return SMFIS_TEMPFAIL;
	if (ch->deferred != SMFIS_CONTINUE)	/* else at the end */
		return (ch->nr & SMFIP_NR_RCPT) ? SMFIS_NOREPLY : mk_chain__deferred(ch);
	for (size_t i = 0; i < ch->n; i++)
		ch->fm[i].nrcpt = ch->nrcpt + 1;	/* this one, if it passes */
	rc = mk_chain__run(ch, MK_STAGE_RCPT, call_rcpt, argv);
	if (rc == SMFIS_CONTINUE)
		ch->nrcpt++;
	for (size_t i = 0; i < ch->n; i++)
		ch->fm[i].nrcpt = ch->nrcpt;
	/* Never ACCEPT here: it would accept the message, recipients to
	 * come included, and Postfix cannot take it for a local submission's
	 * recipient. */
	return mk_chain__answer(ch, MK_STAGE_RCPT, rc);
}

struct field {
	const char *name, *value;
};

static sfsistat
call_header(struct mk_chain *ch, size_t i, void *arg)
{
	const struct mk_milter_desc *f = ch->snap->f[i];
	const struct field *h = arg;
	const char *v = h->value;

	if (f->header == NULL)
		return SMFIS_CONTINUE;
	/* The leading blank only for filters that asked for it. */
	if (ch->leadspc && !(f->no_steps & SMFIP_HDR_LEADSPC) && *v == ' ')
		v++;
	return f->header(&ch->fm[i], h->name, v);
}

static sfsistat
cb_header(struct mk_mconn *mc, const char *name, const char *value)
{
	struct mk_chain *ch = mk_chain__of(mc);
	struct field h = { name, value };
	sfsistat rc;

	if (ch == NULL || !ch->in_msg)
		return SMFIS_TEMPFAIL;
	if (ch->hb_on && !ch->hb.overflow &&
	    mk_hblock_keep(&ch->hb, name, value) < 0)
		mk_log_event(MK_LOG_WARN, mk_milter_qid(&ch->fc[0], &ch->fm[0]),
		    "header block past %d fields or %lu octets: not kept",
		    MK_MILTER_HDR_FIELDS, (unsigned long)MK_MILTER_HDR_BYTES);
	rc = mk_chain__run(ch, MK_STAGE_HEADER, call_header, &h);
	return mk_chain__answer(ch, MK_STAGE_HEADER, rc != SMFIS_CONTINUE ? rc :
	    mk_chain__all_done(ch));
}

static sfsistat
call_eoh(struct mk_chain *ch, size_t i, void *arg)
{
	(void)arg;
	return ch->snap->f[i]->eoh == NULL ? SMFIS_CONTINUE :
	    ch->snap->f[i]->eoh(&ch->fm[i]);
}

static sfsistat
cb_eoh(struct mk_mconn *mc)
{
	struct mk_chain *ch = mk_chain__of(mc);
	sfsistat rc;

	if (ch == NULL || !ch->in_msg)
		return SMFIS_TEMPFAIL;
	rc = mk_chain__run(ch, MK_STAGE_EOH, call_eoh, NULL);
	return mk_chain__answer(ch, MK_STAGE_EOH, rc != SMFIS_CONTINUE ? rc :
	    mk_chain__all_done(ch));
}

struct chunk {
	const unsigned char *p;
	size_t len;
};

static sfsistat
call_body(struct mk_chain *ch, size_t i, void *arg)
{
	const struct chunk *b = arg;

	return ch->snap->f[i]->body == NULL ? SMFIS_CONTINUE :
	    ch->snap->f[i]->body(&ch->fm[i], b->p, b->len);
}

static sfsistat
cb_body(struct mk_mconn *mc, const unsigned char *chunk, size_t len)
{
	struct mk_chain *ch = mk_chain__of(mc);
	struct chunk b = { chunk, len };
	sfsistat rc;

	if (ch == NULL || !ch->in_msg)
		return SMFIS_TEMPFAIL;
	rc = mk_chain__run(ch, MK_STAGE_BODY, call_body, &b);
	return mk_chain__answer(ch, MK_STAGE_BODY, rc != SMFIS_CONTINUE ? rc :
	    mk_chain__all_done(ch));
}

static sfsistat
call_eom(struct mk_chain *ch, size_t i, void *arg)
{
	(void)arg;
	return ch->snap->f[i]->eom == NULL ? SMFIS_CONTINUE :
	    ch->snap->f[i]->eom(&ch->fm[i]);
}

/* End of message once every filter answered: the combined header edits,
 * and the message is over. */
static sfsistat
eom_finish(struct mk_chain *ch, sfsistat rc)
{
	/* The MTA refusing the combined edits is the program's trouble, not
	 * a filter's: its own section's on_error answers. */
	if (rc == SMFIS_CONTINUE && ch->hb_on &&
	    mk_hblock_emit(&ch->hb, &mk_milter__to_mta, ch) < 0) {
		int accept = ch->snap->daemon->on_error == MK_ON_ERROR_ACCEPT;

		mk_log_event(MK_LOG_ERROR, mk_milter_qid(&ch->fc[0], &ch->fm[0]),
		    "error client=%s: the MTA refused a header edit; "
		    "on_error=%s", ch->fc[0].client, accept ? "accept" :
		    "tempfail");
		if (!accept)
			mk_mconn_setreply(ch->mc, "451", "4.3.0", "Temporary "
			    "local problem, please try again later");
		rc = accept ? SMFIS_CONTINUE : SMFIS_TEMPFAIL;
	}
	for (size_t i = 0; i < ch->n; i++)
		ch->fc[i].stage = MK_STAGE_NONE;
	mk_chain__msg_end(ch);
	return rc;
}

static sfsistat
cb_eom(struct mk_mconn *mc)
{
	struct mk_chain *ch = mk_chain__of(mc);
	sfsistat rc;

	if (ch == NULL || !ch->in_msg)
		return SMFIS_TEMPFAIL;
	if (ch->deferred != SMFIS_CONTINUE) {
		rc = mk_chain__deferred(ch);
		mk_chain__msg_end(ch);
		return rc;
	}
	rc = mk_chain__run(ch, MK_STAGE_EOM, call_eom, NULL);
	if (rc == MK_SMFIS_PENDING) {
		ch->progress_ms = 0;
		return rc;
	}
	return eom_finish(ch, rc);
}

/* Filter f answered rc after its slow work (or its wait's bound): the
 * chain goes on with the next filters, then the MTA has its answer. */
static void
eom_resume(struct mk_chain *ch, size_t f, sfsistat rc)
{
	rc = mk_chain__took(ch, f, rc);
	if (rc == SMFIS_CONTINUE)
		rc = mk_chain__run_from(ch, MK_STAGE_EOM, call_eom, NULL, f + 1);
	if (rc == MK_SMFIS_PENDING)
		return;		/* another filter's work */
	mk_mconn_resume(ch->mc, eom_finish(ch, rc));
}

/* A job back from the pool, on the connection's loop. */
void
mk_milter__job_back(struct mk_mconn *mc, void *job, int gone)
{
	struct mk_milter_job *j = job;
	struct mk_chain *ch = mk_mconn_priv(mc);
	sfsistat rc;

	if (gone || j->abandoned || ch == NULL || ch->job != j) {
		if (ch != NULL && ch->job == j)	/* gone: the close follows */
			ch->job = NULL;
		j->done(NULL, j->arg);
		free(j);
		return;
	}
	ch->job = NULL;
	ch->fc[j->filter].stage = MK_STAGE_EOM;
	rc = j->done(&ch->fm[j->filter], j->arg);
	if (rc == MK_SMFIS_PENDING) {
		mk_error("filter %s answered \"pending\" after its work; "
		    "taken as on_error", ch->snap->f[j->filter]->section);
		rc = mk_milter_error_action(&ch->fc[j->filter]);
	}
	eom_resume(ch, j->filter, rc);
	free(j);
}

/* Once a second while the MTA waits for slow work: keep it waiting, or
 * past the bound ([section] work_timeout) answer with the filter's
 * on_error and drop the work's answer when it comes. */
static void
cb_pending_tick(struct mk_mconn *mc, long long ms)
{
	struct mk_chain *ch = mk_mconn_priv(mc);
	struct mk_milter_job *j;
	size_t f;

	if (ch == NULL || (j = ch->job) == NULL)
		return;
	if (ms < ch->snap->daemon->work_timeout * 1000) {
		if (ms - ch->progress_ms >= MK_MILTER_PROGRESS_MS) {
			mk_mconn_progress(mc);
			ch->progress_ms = ms;
		}
		return;
	}
	f = j->filter;
	j->abandoned = 1;
	ch->job = NULL;
	ch->fc[f].stage = MK_STAGE_EOM;
	eom_resume(ch, f, mk_milter_on_error(&ch->fc[f], &ch->fm[f],
	    "slow work not done after %lld s (work_timeout)",
	    (long long)ch->snap->daemon->work_timeout));
}

static void
cb_abort(struct mk_mconn *mc)
{
	struct mk_chain *ch = mk_mconn_priv(mc);

	if (ch == NULL)
		return;
	for (size_t i = 0; i < ch->n; i++)
		ch->fc[i].stage = MK_STAGE_NONE;
	mk_chain__msg_end(ch);
}

/* close may be the only callback of a connection: it may have no chain. */
static void
cb_close(struct mk_mconn *mc)
{
	struct mk_chain *ch = mk_mconn_priv(mc);

	if (ch == NULL)
		return;
	mk_chain__msg_end(ch);
	for (size_t i = 0; i < ch->n; i++)
		if (ch->snap->f[i]->conn_free != NULL)
			ch->snap->f[i]->conn_free(&ch->fc[i]);
	mk_mconn_setpriv(mc, NULL);
	mk_milter__snap_put(ch->snap);
	free(ch->fc);
	free(ch->fm);
	free(ch);
}

const struct mk_mconn_ops *
mk_milter__ops(void)
{
	static const struct mk_mconn_ops ops = {
		.negotiate = cb_negotiate,
		.connect = cb_connect,
		.helo = cb_helo,
		.envfrom = cb_envfrom,
		.envrcpt = cb_envrcpt,
		.header = cb_header,
		.eoh = cb_eoh,
		.body = cb_body,
		.eom = cb_eom,
		.abort = cb_abort,
		.close = cb_close,
		.pending_tick = cb_pending_tick,
	};

	return &ops;
}
