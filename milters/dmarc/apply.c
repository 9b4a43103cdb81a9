/*
 * apply.c - the DMARC filter: what a result gets at the MTA (see
 * filter_priv.h, filter.c).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "filter_priv.h"
#include "mk_log.h"

/* Authentication-Results fields of our authserv-id: removed, last first. */
static void
remove_forged(struct mk_msg *msg, const struct dm_state *st)
{
	const struct mk_hfield *h;
	ssize_t nh = mk_milter_headers(msg, &h);
	size_t idx[64], n = 0, occ = 0, len = strlen(st->authserv);

	for (ssize_t i = 0; i < nh; i++) {
		const char *v;

		if (strcasecmp(h[i].name, DM_AR_NAME) != 0)
			continue;
		occ++;
		for (v = h[i].value; *v == ' ' || *v == '\t' || *v == '\r' ||
		    *v == '\n'; v++)
			;
		if (strncasecmp(v, st->authserv, len) == 0 &&
		    strchr(" \t\r\n;", v[len]) != NULL && n < 64)
			idx[n++] = occ;
	}
	while (n-- > 0) {
		mk_milter_chgheader(msg, DM_AR_NAME, idx[n], "");
		mk_log_event(MK_LOG_INFO, mk_milter_qid(msg->conn, msg), "removed "
		    "an %s field claiming to be %s's", DM_AR_NAME, st->authserv);
	}
}

/* The answer a result gets, with its reply. */
static sfsistat
disposition(struct mk_msg *msg, const struct dm_state *st,
    const struct dm_job *j, const char **action)
{
	struct mk_conn *conn = msg->conn;
	const struct dmarc_outcome *o = &j->out;
	int quarantine = 0;

	*action = "none";
	if (o->result == DMARC_R_TEMPERROR &&
	    conn->daemon->on_error == MK_ON_ERROR_TEMPFAIL) {
		*action = "tempfail";
		mk_milter_setreply(conn, "451", "4.7.5", "DMARC policy of %s "
		    "could not be checked now, try again later", j->from);
		return SMFIS_TEMPFAIL;
	}
	if (o->result != DMARC_R_FAIL)
		return SMFIS_CONTINUE;
	if (o->disposition == DMARC_POLICY_REJECT) {
		if (st->c->on_reject == DMARC_ON_REJECT_REJECT) {
			*action = "reject";
			mk_milter_setreply(conn, "550", "5.7.1", "DMARC policy of "
			    "%s: reject (neither SPF nor DKIM aligned with the "
			    "From domain)", j->from);
			return SMFIS_REJECT;
		}
		quarantine = st->c->on_reject == DMARC_ON_REJECT_QUARANTINE;
	} else if (o->disposition == DMARC_POLICY_QUARANTINE) {
		quarantine = st->c->on_quarantine ==
		    DMARC_ON_QUARANTINE_QUARANTINE;
	}
	if (quarantine) {
		char reason[300];

		*action = "quarantine";
		snprintf(reason, sizeof(reason), "DMARC policy of %s", j->from);
		if (mk_mconn_quarantine(conn->mc, reason) != 0)
			return mk_milter_on_error(conn, msg, "the MTA refused to "
			    "quarantine the message");
	} else if (o->disposition != DMARC_POLICY_NONE) {
		*action = "tag";
	}
	return SMFIS_CONTINUE;
}

static void
log_outcome(struct mk_msg *msg, const struct dm_job *j, const char *action)
{
	char line[900], dk[400];
	size_t w = 0;

	dk[0] = '\0';
	for (size_t i = 0; i < j->in.nsigs && w < sizeof(dk) - 1; i++)
		w += (size_t)snprintf(dk + w, sizeof(dk) - w, "%sdkim=%s(%s)",
		    i > 0 ? " " : "", dmarc_dkim_result_name(j->sigs[i].result),
		    j->sigs[i].domain);
	snprintf(line, sizeof(line), "dmarc=%s from=%s policy=%s spf=%s(%s) "
	    "%s action=%s: %s", dmarc_result_name(j->out.result),
	    j->from[0] != '\0' ? j->from : "-",
	    j->out.has_record ? dmarc_policy_name(j->out.policy) : "-",
	    j->spf_checked ? dmarc_spf_result_name(j->spf.result) : "none",
	    j->spf_checked ? j->spf.domain : "-",
	    j->in.nsigs > 0 ? dk : "dkim=none", action, j->out.why);
	mk_log_event(MK_LOG_INFO, mk_milter_qid(msg->conn, msg), "%s", line);
}

/* Outbound: the relay's own message, and what receivers will make of it. */
static sfsistat
apply_outbound(struct mk_msg *msg, const struct dm_state *st,
    const struct dm_job *j)
{
	struct mk_conn *conn = msg->conn;
	const struct dmarc_outcome *o = &j->out;
	const char *action = "none";
	sfsistat rc = SMFIS_CONTINUE;
	char v[700];

	if (o->result == DMARC_R_FAIL && o->policy != DMARC_POLICY_NONE) {
		switch (st->c->on_outbound_fail) {
		case DMARC_OUT_REJECT:
			action = "reject";
			mk_milter_setreply(conn, "550", "5.7.1", "%s publishes "
			    "DMARC p=%s and receivers would refuse this mail: use "
			    "a From address of a domain this relay signs for, or "
			    "publish the relay in its SPF", j->from,
			    dmarc_policy_name(o->policy));
			rc = SMFIS_REJECT;
			break;
		case DMARC_OUT_TEMPFAIL:
			action = "tempfail";
			mk_milter_setreply(conn, "451", "4.7.1", "%s publishes "
			    "DMARC p=%s and receivers would refuse this mail",
			    j->from, dmarc_policy_name(o->policy));
			rc = SMFIS_TEMPFAIL;
			break;
		case DMARC_OUT_TAG:
			action = "tag";
			snprintf(v, sizeof(v), "fail (p=%s) header.from=%s: %s",
			    dmarc_policy_name(o->policy), j->from, o->why);
			if (mk_milter_addheader(msg, "X-Milterkit-DMARC", v) != 0)
				rc = mk_milter_on_error(conn, msg, "the MTA refused "
				    "the X-Milterkit-DMARC field");
			break;
		default:
			action = "log";
			break;
		}
	} else if (o->result == DMARC_R_TEMPERROR &&
	    conn->daemon->on_error == MK_ON_ERROR_TEMPFAIL) {
		action = "tempfail";
		mk_milter_setreply(conn, "451", "4.7.5", "DMARC policy of %s "
		    "could not be checked now, try again later", j->from);
		rc = SMFIS_TEMPFAIL;
	}
	mk_log_event(MK_LOG_INFO, mk_milter_qid(conn, msg), "outbound dmarc=%s "
	    "from=%s policy=%s action=%s: %s", dmarc_result_name(o->result),
	    j->from[0] != '\0' ? j->from : "-",
	    o->has_record ? dmarc_policy_name(o->policy) : "-", action, o->why);
	return rc;
}

/* Inbound: our fields instead of forged ones, then the disposition. */
static sfsistat
apply_inbound(struct mk_msg *msg, const struct dm_state *st,
    const struct dm_job *j)
{
	struct mk_strbuf ar = { NULL, 0, 0 };
	const char *action;
	sfsistat rc;

	remove_forged(msg, st);
	if (st->c->received_spf && j->spf_checked)
		mk_milter_insheader(msg, 0, "Received-SPF", j->spf.received_spf);
	dmarc_ar_value(st->authserv, &j->in, &j->out, &ar);
	rc = mk_milter_insheader(msg, 0, DM_AR_NAME, ar.p);
	mk_strbuf_free(&ar);
	if (rc != 0)
		return mk_milter_on_error(msg->conn, msg, "the MTA refused the "
		    "%s field", DM_AR_NAME);
	rc = disposition(msg, st, j, &action);
	log_outcome(msg, j, action);
	return rc;
}

sfsistat
dm_apply(struct mk_msg *msg, const struct dm_job *j)
{
	return j->outbound ? apply_outbound(msg, j->st, j) :
	    apply_inbound(msg, j->st, j);
}
