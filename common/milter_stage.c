/*
 * NAME
 *	milter_stage.c - the chain's contexts and how a stage is run (see
 *	milter_priv.h)
 * DESCRIPTION
 *	What the protocol callbacks of milter_chain.c share: the chain of an
 *	MTA connection (made at negotiation, its views once the snapshot is
 *	known, a message's end), the combination of the filters' answers in
 *	one stage (a refusal ends it, a no-reply stage keeps a refusal for
 *	the next stage that answers, ACCEPT only when every filter is done),
 *	and the stage runner calling the active filters in order.
 * SEE ALSO
 *	milter_chain.c, mk_milter.h ("Chains")
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

/* ---- contexts ---------------------------------------------------------- */

void
mk_chain__msg_end(struct mk_chain *ch)
{
	if (!ch->in_msg)
		return;
	if (ch->job != NULL) {		/* its answer is no longer wanted */
		ch->job->abandoned = 1;
		ch->job = NULL;
	}
	for (size_t i = 0; i < ch->n; i++) {
		struct mk_msg *m = &ch->fm[i];

		if (ch->snap->f[i]->msg_free != NULL && m->conn != NULL)
			ch->snap->f[i]->msg_free(m);
		ch->fc[i].msg = NULL;
		memset(m, 0, sizeof(*m));
	}
	if (ch->hb_on)
		mk_hblock_free(&ch->hb);
	ch->hb_on = 0;
	ch->in_msg = 0;
	ch->nrcpt = 0;
}

/* Note the queue id as soon as the MTA sends it. */
struct mk_chain *
mk_chain__of(struct mk_mconn *mc)
{
	struct mk_chain *ch = mk_mconn_priv(mc);
	const char *qid;

	if (ch == NULL || !ch->in_msg)
		return ch;
	if (ch->fm[0].qid[0] == '\0' && (qid = mk_mconn_macro(mc, "i")) != NULL)
		for (size_t i = 0; i < ch->n; i++)
			mk_printable(ch->fm[i].qid, sizeof(ch->fm[i].qid), qid,
			    (size_t)-1);
	return ch;
}

struct mk_chain *
mk_chain__new(struct mk_mconn *mc)
{
	struct mk_chain *ch = mk_calloc(1, sizeof(*ch));

	ch->mc = mc;
	ch->deferred = SMFIS_CONTINUE;
	mk_mconn_setpriv(mc, ch);
	return ch;
}

/* The views of a chain, once its snapshot is known. */
void
mk_chain__views(struct mk_chain *ch)
{
	ch->n = ch->snap->n;
	ch->fc = mk_calloc(ch->n, sizeof(*ch->fc));
	ch->fm = mk_calloc(ch->n, sizeof(*ch->fm));
	for (size_t i = 0; i < ch->n; i++) {
		struct mk_conn *c = &ch->fc[i];

		c->mc = ch->mc;
		c->chain = ch;
		c->conf = ch->snap->conf;
		c->state = ch->snap->state[i];
		c->daemon = mk_conf_daemon(c->conf, ch->snap->f[i]->section);
	}
}

/* ---- answers ----------------------------------------------------------- */

static int
refusal(sfsistat rc)
{
	return rc == SMFIS_REJECT || rc == SMFIS_TEMPFAIL ||
	    rc == SMFIS_DISCARD;
}

/* The chain's answer in a stage: none in a no-reply stage (the filters
 * promised they never refuse there but through mk_milter_refuse()). */
sfsistat
mk_chain__answer(struct mk_chain *ch, enum mk_milter_stage stage,
    sfsistat rc)
{
	if (!(ch->nr & mk_milter__stage_nr(stage)))
		return rc;
	if (refusal(rc))
		mk_error("milter connection %lu: a filter refused in a stage "
		    "negotiated without reply; ignored", mk_mconn_id(ch->mc));
	return SMFIS_NOREPLY;
}

/* A refusal waiting from a no-reply stage, given with its reply. */
sfsistat
mk_chain__deferred(struct mk_chain *ch)
{
	if (ch->dreply.rcode[0] != '\0')
		mk_mconn_setreply(ch->mc, ch->dreply.rcode, ch->dreply.xcode,
		    ch->dreply.text);
	return ch->deferred;
}

/* Whether filter i still takes part: in the session, and (from MAIL on)
 * in the message. */
int
mk_chain__active(const struct mk_chain *ch, size_t i)
{
	return !ch->fc[i].done && (!ch->in_msg || !ch->fm[i].left_alone);
}

/* After a stage where nobody refused: ACCEPT when every filter is done. */
sfsistat
mk_chain__all_done(const struct mk_chain *ch)
{
	for (size_t i = 0; i < ch->n; i++)
		if (mk_chain__active(ch, i))
			return SMFIS_CONTINUE;
	return SMFIS_ACCEPT;
}

/* Notes what filter i answered; returns the answer that ends the stage,
 * or SMFIS_CONTINUE to go on with the next filter. */
sfsistat
mk_chain__took(struct mk_chain *ch, size_t i, sfsistat rc)
{
	if (refusal(rc))
		return rc;
	if (rc == SMFIS_ACCEPT) {
		if (ch->in_msg)
			ch->fm[i].left_alone = 1;
		else
			ch->fc[i].done = 1;
	}
	return SMFIS_CONTINUE;
}

/* Calls filter i in a stage: its answer (CONTINUE without a callback). */

/* A message stage from filter `from` on: the active filters in order
 * until one refuses, or one's answer is pending (mk_milter_defer(): the
 * chain goes on from the next one when it comes). */
sfsistat
mk_chain__run_from(struct mk_chain *ch, enum mk_milter_stage stage,
    mk_chain__call_fn call, void *arg, size_t from)
{
	sfsistat rc = SMFIS_CONTINUE, r;

	for (size_t i = from; i < ch->n && rc == SMFIS_CONTINUE; i++) {
		if (!mk_chain__active(ch, i))
			continue;
		ch->fc[i].stage = stage;
		if ((r = call(ch, i, arg)) == MK_SMFIS_PENDING) {
			if (ch->job == NULL || ch->job->filter != i) {
				mk_error("filter %s answered \"pending\" without"
				    " work; taken as on_error",
				    ch->snap->f[i]->section);
				r = mk_milter_error_action(&ch->fc[i]);
			} else {
				return MK_SMFIS_PENDING;
			}
		}
		rc = mk_chain__took(ch, i, r);
	}
	return rc;
}

sfsistat
mk_chain__run(struct mk_chain *ch, enum mk_milter_stage stage,
    mk_chain__call_fn call, void *arg)
{
	return mk_chain__run_from(ch, stage, call, arg, 0);
}
