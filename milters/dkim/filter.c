/*
 * NAME
 *	filter.c - the DKIM filter: sign outgoing mail, last in the chain
 * DESCRIPTION
 *	The filter's descriptor (dkim_filter), served alone by milterkit-dkim
 *	(main.c) and in milterkit-chain. It signs what the filters before it
 *	left: the skeleton keeps the header block (header_block), and the
 *	body streams into one dkim_body of the configured body
 *	canonicalization as it comes (created at the first chunk, or at end
 *	of message for an empty body). It refuses nothing before end of
 *	message (SMFIP_NR_* at CONNECT, MAIL, RCPT, each header and body
 *	chunk); values arrive as written (SMFIP_HDR_LEADSPC), which is what
 *	the canonicalizations need.
 *
 *	init() reads the signing table and every distinct key file once
 *	(dkim_key_load() with the owner check): a key file that fails its
 *	checks (readable by group or others, another owner, a link, RSA
 *	under 2048 bits...) fails init(), naming the file, so a start fails
 *	and a SIGHUP keeps the running keys. A key file that does not exist
 *	is logged once (error) and its lines stay without a key: their
 *	messages get on_error (tempfail by default), logged once per message.
 *
 *	At end of message: the From domain (the first mailbox of the first
 *	From field; none: debug log, unsigned), the table's entries for it
 *	at this time (none: debug log, unsigned), less those whose d= and s=
 *	already sign the message; one signature per entry over the block as
 *	the earlier filters left it, each inserted at the top
 *	(mk_milter_insheader(msg, 0, ...)) once all are made, so that no
 *	signature covers another. One info line per signature: "QID: sign
 *	d=... s=... a=... h=N". Any trouble signing answers on_error and adds
 *	no signature.
 * SEE ALSO
 *	dkim.h, dkim_conf.h, milterkit-dkim(8)
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "dkim.h"
#include "dkim_conf.h"
#include "filters.h"
#include "mk_addrlist.h"
#include "mk_log.h"
#include "mk_mem.h"
#include "mk_milter.h"
#include "mk_session.h"

#define DK_SIGS_MAX	8		/* signatures of one message */
#define DK_TAG_MAX	256		/* octets of a d= or s= compared */

/* Program state for one configuration. */
struct dk_state {
	struct mk_session_choice sessions;
	struct dkim_table *table;	/* entries' keys point into keys */
	struct dkim_key **keys;		/* one per distinct loaded file */
	size_t nkeys;
	enum dkim_canon hcanon, bcanon;
	char **headers;			/* sign_headers, NULL-ended */
	time_t expire;			/* 0: no x= */
};

/* What the filter keeps of one message. */
struct dk_msg {
	struct dkim_body *body;
};

static void
dk_fini(void *arg)
{
	struct dk_state *st = arg;

	if (st == NULL)
		return;
	mk_session_choice_free(&st->sessions);
	dkim_table_free(st->table);
	for (size_t i = 0; i < st->nkeys; i++)
		dkim_key_free(st->keys[i]);
	free(st->keys);
	for (size_t i = 0; st->headers != NULL && st->headers[i] != NULL; i++)
		free(st->headers[i]);
	free(st->headers);
	free(st);
}

/* Loads the key of entry i, or shares an earlier line's key of the same
 * file; a file that does not exist leaves the key NULL (logged once). 0,
 * or -1 with err naming the file. */
static int
dk_load_key(struct dk_state *st, size_t i, const char *table, char *err,
    size_t errlen)
{
	struct dkim_entry *e = &st->table->e[i];
	struct dkim_key *k;
	struct stat sb;

	for (size_t j = 0; j < i; j++)
		if (strcmp(st->table->e[j].keyfile, e->keyfile) == 0) {
			e->key = st->table->e[j].key;
			return 0;
		}
	if (lstat(e->keyfile, &sb) < 0 && errno == ENOENT) {
		mk_error("%s:%u: key file %s does not exist: messages of d=%s "
		    "s=%s get on_error", table, e->line, e->keyfile, e->domain,
		    e->selector);
		return 0;
	}
	if (dkim_key_load(e->keyfile, 1, &k, err, errlen) < 0)
		return -1;
	st->keys[st->nkeys++] = k;
	e->key = k;
	return 0;
}

static int
dk_init(const struct mk_conf *conf, void **state, char *err, size_t errlen)
{
	const struct dkim_conf *c = dkim_conf(conf);
	struct dk_state *st = mk_calloc(1, sizeof(*st));
	int h, b;

	*state = NULL;
	if (mk_session_choice_parse(&st->sessions, c->d.check, c->d.networks,
	    err, errlen) != 0 ||
	    dkim_conf_canon(c->canonicalization, &h, &b, err, errlen) != 0 ||
	    dkim_conf_headers(c->sign_headers, &st->headers, err, errlen) != 0 ||
	    dkim_table_load(c->signing_table, &st->table, err, errlen) != 0)
		goto fail;
	st->hcanon = h == DKIM_CONF_RELAXED ? DKIM_CANON_RELAXED :
	    DKIM_CANON_SIMPLE;
	st->bcanon = b == DKIM_CONF_RELAXED ? DKIM_CANON_RELAXED :
	    DKIM_CANON_SIMPLE;
	st->expire = (time_t)c->expire;
	st->keys = mk_calloc(st->table->n + 1, sizeof(*st->keys));
	for (size_t i = 0; i < st->table->n; i++)
		if (dk_load_key(st, i, c->signing_table, err, errlen) != 0)
			goto fail;
	*state = st;
	return 0;
fail:
	dk_fini(st);
	return -1;
}

static const struct mk_session_choice *
dk_sessions(const void *st)
{
	return &((const struct dk_state *)st)->sessions;
}

static struct dk_msg *
dk_msg_get(struct mk_msg *msg)
{
	const struct dk_state *st = msg->conn->state;
	struct dk_msg *m = msg->data;

	if (m == NULL) {
		m = mk_calloc(1, sizeof(*m));
		msg->data = m;
	}
	if (m->body == NULL)
		m->body = dkim_body_new(st->bcanon);
	return m;
}

static sfsistat
dk_body(struct mk_msg *msg, const unsigned char *chunk, size_t len)
{
	dkim_body_update(dk_msg_get(msg)->body, chunk, len);
	return SMFIS_CONTINUE;
}

/* Copies the value of tag name of a DKIM-Signature value into out, blanks
 * removed; 0, or -1 when absent or longer than out. */
static int
dk_tag(const char *v, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);

	while (*v != '\0') {
		const char *end = strchr(v, ';'), *p = v;
		size_t n = 0;

		if (end == NULL)
			end = v + strlen(v);
		while (p < end && strchr(" \t\r\n", *p) != NULL)
			p++;
		if ((size_t)(end - p) > nl && strncmp(p, name, nl) == 0) {
			const char *q = p + nl;

			while (q < end && strchr(" \t\r\n", *q) != NULL)
				q++;
			if (q < end && *q == '=') {
				for (q++; q < end; q++) {
					if (strchr(" \t\r\n", *q) != NULL)
						continue;
					if (n + 1 >= outlen)
						return -1;
					out[n++] = *q;
				}
				out[n] = '\0';
				return 0;
			}
		}
		v = *end == ';' ? end + 1 : end;
	}
	return -1;
}

/* A DKIM-Signature of the block has this d= and s= already. */
static int
dk_signed_by(const struct mk_hfield *h, size_t nh, const struct dkim_entry *e)
{
	char d[DK_TAG_MAX], s[DK_TAG_MAX];

	for (size_t i = 0; i < nh; i++)
		if (strcasecmp(h[i].name, "DKIM-Signature") == 0 &&
		    dk_tag(h[i].value, "d", d, sizeof(d)) == 0 &&
		    dk_tag(h[i].value, "s", s, sizeof(s)) == 0 &&
		    strcasecmp(d, e->domain) == 0 &&
		    strcasecmp(s, e->selector) == 0)
			return 1;
	return 0;
}

/* The domain of the first mailbox of the first From field, or NULL. */
static const char *
dk_from_domain(const struct mk_hfield *h, size_t nh, struct mk_alist *al)
{
	for (size_t i = 0; i < nh; i++)
		if (strcasecmp(h[i].name, "From") == 0) {
			memset(al, 0, sizeof(*al));
			if (mk_addrlist_parse(h[i].value, al) < 0 ||
			    al->mailboxes == 0 || al->first_domain[0] == '\0')
				return NULL;
			return al->first_domain;
		}
	return NULL;
}

/* The entries that sign this message now, those already signed left out
 * (debug log); their count. */
static size_t
dk_entries(struct mk_msg *msg, const struct mk_hfield *h, size_t nh,
    time_t now, const struct dkim_entry **out)
{
	const struct dk_state *st = msg->conn->state;
	const char *qid = mk_milter_qid(msg->conn, msg);
	const struct dkim_entry *e[DK_SIGS_MAX];
	struct mk_alist al;
	char pd[MK_LOG_CLIENT_MAX];
	const char *dom;
	size_t n, k = 0;

	if ((dom = dk_from_domain(h, nh, &al)) == NULL) {
		mk_log_event(MK_LOG_DEBUG, qid, "no From domain: not signed");
		return 0;
	}
	mk_printable(pd, sizeof(pd), dom, (size_t)-1);
	if ((n = dkim_table_match(st->table, dom, now, e, DK_SIGS_MAX)) == 0) {
		mk_log_event(MK_LOG_DEBUG, qid, "no signing key for From "
		    "domain %s: not signed", pd);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (dk_signed_by(h, nh, e[i])) {
			mk_log_event(MK_LOG_DEBUG, qid, "already signed by d=%s "
			    "s=%s: not signed again", e[i]->domain,
			    e[i]->selector);
			continue;
		}
		out[k++] = e[i];
	}
	return k;
}

/* One signature's value into v; 0, or -1 with err set. */
static int
dk_sign_one(const struct dk_state *st, const struct dkim_entry *e,
    const struct mk_hfield *h, size_t nh, const unsigned char *bh, time_t now,
    struct mk_strbuf *v, char *err, size_t errlen)
{
	struct dkim_sign_req req;

	memset(&req, 0, sizeof(req));
	req.key = e->key;
	req.domain = e->domain;
	req.selector = e->selector;
	req.hcanon = st->hcanon;
	req.bcanon = st->bcanon;
	req.t = now;
	req.x = st->expire > 0 ? now + st->expire : 0;
	req.headers = (const char *const *)st->headers;
	return dkim_sign_fields(&req, h, nh, bh, v, err, errlen);
}

static sfsistat
dk_eom(struct mk_msg *msg)
{
	struct mk_conn *conn = msg->conn;
	const struct dk_state *st = conn->state;
	const struct dkim_entry *e[DK_SIGS_MAX];
	char *val[DK_SIGS_MAX];
	const char *names[DKIM_HEADERS_MAX];
	const struct mk_hfield *h;
	unsigned char bh[DKIM_HASH_LEN];
	char err[512];
	struct dk_msg *m = dk_msg_get(msg);
	time_t now = time(NULL);
	sfsistat rc = SMFIS_CONTINUE;
	size_t n, i, done = 0;
	ssize_t nh;

	if ((nh = mk_milter_headers(msg, &h)) < 0)
		return mk_milter_on_error(conn, msg, "header block beyond the "
		    "skeleton's bounds: not signed");
	if ((n = dk_entries(msg, h, (size_t)nh, now, e)) == 0)
		return SMFIS_CONTINUE;
	for (i = 0; i < n; i++)
		if (e[i]->key == NULL)
			return mk_milter_on_error(conn, msg, "no key for d=%s "
			    "s=%s: %s did not load at start", e[i]->domain,
			    e[i]->selector, e[i]->keyfile);
	dkim_body_final(m->body, bh);
	for (done = 0; done < n; done++) {
		struct mk_strbuf v = { NULL, 0, 0 };

		if (dk_sign_one(st, e[done], h, (size_t)nh, bh, now, &v, err,
		    sizeof(err)) != 0) {
			mk_strbuf_free(&v);
			rc = mk_milter_on_error(conn, msg, "signing d=%s s=%s: %s",
			    e[done]->domain, e[done]->selector, err);
			goto out;
		}
		val[done] = mk_strbuf_take(&v);
	}
	/* The names counted before the block changes under the inserts. */
	nh = (ssize_t)dkim_select_headers((const char *const *)st->headers, h,
	    (size_t)nh, names, DKIM_HEADERS_MAX);
	for (i = 0; i < n; i++) {
		if (mk_milter_insheader(msg, 0, "DKIM-Signature", val[i]) < 0) {
			rc = mk_milter_on_error(conn, msg, "the MTA refused the "
			    "DKIM-Signature of d=%s s=%s", e[i]->domain,
			    e[i]->selector);
			goto out;
		}
		mk_log_event(MK_LOG_INFO, mk_milter_qid(conn, msg), "sign d=%s "
		    "s=%s a=%s h=%zu", e[i]->domain, e[i]->selector,
		    e[i]->key->alg == DKIM_ED25519_SHA256 ? "ed25519-sha256" :
		    "rsa-sha256", (size_t)nh);
	}
out:
	for (i = 0; i < done; i++)
		free(val[i]);
	return rc;
}

static void
dk_msg_free(struct mk_msg *msg)
{
	struct dk_msg *m = msg->data;

	if (m == NULL)
		return;
	dkim_body_free(m->body);
	free(m);
	msg->data = NULL;
}

const struct mk_milter_desc dkim_filter = {
	.name = "milterkit-dkim",
	.section = "dkim",
	.version = PACKAGE_VERSION,
	.flags = SMFIF_ADDHDRS,
	/* Not a step: the protocol flag asking for values as written. */
	.no_steps = SMFIP_HDR_LEADSPC,
	/* Refusals (on_error) come at end of message only. */
	.no_reply = SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_RCPT |
	    SMFIP_NR_HDR | SMFIP_NR_BODY,
	/* The queue id for the log, the SASL login for "sessions". */
	.macros = {
		[SMFIM_ENVFROM] = "i {auth_authen}",
		[SMFIM_EOM] = "i",
	},
	.header_block = 1,
	.init = dk_init,
	.fini = dk_fini,
	.sessions = dk_sessions,
	.body = dk_body,
	.eom = dk_eom,
	.msg_free = dk_msg_free,
};
