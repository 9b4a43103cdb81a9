/*
 * decide.c - the rate-limit filter's requests and answers (ratelimit.h):
 * a milter's envelope as the policy request the engine knows, and the
 * engine's verdict as the reply milterkit-policyd would give.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ratelimit.h"

static const char *
present(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

void
rlf_request(enum rlf_stage stage, const struct rlf_envelope *env,
    struct mk_rl_request *rq, struct mk_rl_txn *tx)
{
	const char *client = present(env->client);

	memset(rq, 0, sizeof(*rq));
	/* The txn lives with the message: no instance to tell messages
	 * apart, the caller resets it at MAIL. */
	rq->instance = NULL;
	rq->queue_id = present(env->qid);
	rq->sasl_username = present(env->auth);
	rq->sender = present(env->sender);
	/* Mail that did not come through SMTP has no client address. */
	rq->client_address = client != NULL && strcmp(client, "local") != 0 ?
	    client : NULL;
	if (stage == RLF_RCPT) {
		rq->protocol_state = "RCPT";
		rq->recipient = present(env->rcpt);
		rq->recipient_count = -1;
		tx->rcpts = env->nrcpt > 0 ? (int64_t)env->nrcpt - 1 : 0;
	} else {
		rq->protocol_state = "END-OF-MESSAGE";
		rq->recipient_count = (long)env->nrcpt;
		tx->rcpts = (int64_t)env->nrcpt;
	}
}

/* The words after the action and its status code: "DEFER 4.7.1 text". */
static const char *
reply_text(const char *reply)
{
	const char *p = strchr(reply, ' ');

	if (p == NULL)
		return "";
	p = strchr(p + 1, ' ');
	return p != NULL ? p + 1 : "";
}

void
rlf_answer(const struct mk_rl_verdict *v, struct rlf_result *r)
{
	memset(r, 0, sizeof(*r));
	r->what = "";
	switch (v->action) {
	case MK_RL_DEFER:
		r->kind = RLF_TEMPFAIL;
		snprintf(r->rcode, sizeof(r->rcode), "450");
		snprintf(r->xcode, sizeof(r->xcode), "4.7.1");
		break;
	case MK_RL_REJECT:
		r->kind = RLF_REJECT;
		snprintf(r->rcode, sizeof(r->rcode), "550");
		snprintf(r->xcode, sizeof(r->xcode), "5.7.1");
		break;
	case MK_RL_WARN:
		r->kind = RLF_WARN;
		break;
	default:
		r->kind = RLF_PASS;
		return;
	}
	if (r->kind != RLF_WARN)
		/* The rule's text is at most 200 octets (its row): it fits. */
		snprintf(r->text, sizeof(r->text), "%s", reply_text(v->reply));
	if (v->rule != NULL) {
		snprintf(r->rule, sizeof(r->rule), "%s", v->rule);
		snprintf(r->key, sizeof(r->key), "%s", v->key);
		r->what = v->what != NULL ? v->what : "";
		r->limit = v->limit;
		r->period = v->period;
		r->used = v->used;
	}
}

const char *
rlf_kind_name(enum rlf_kind kind)
{
	static const char *const names[] = {
		"pass", "warn", "defer", "reject", "error"
	};

	return kind <= RLF_ERROR ? names[kind] : "?";
}
