/*
 * NAME
 *	filter.c - the DMARC filter, inbound: SPF, DKIM verification, DMARC
 * DESCRIPTION
 *	The filter's descriptor (dmarc_filter), served alone by
 *	milterkit-dmarc (main.c) and in milterkit-chain (before dkim).
 *
 *	A client of [dmarc] trusted_networks, mail not from SMTP and, with
 *	skip_authenticated, a SASL session are accepted at CONNECT or MAIL
 *	(the MTA stops calling the filter for them). For the rest the header
 *	fields and the body go to libopendkim as they come (dkimv.h: parsing
 *	and hashing only, on the event loop); at end of message the slow
 *	part, every DNS lookup, runs on a worker (mk_milter_defer()): SPF of
 *	the envelope (spf.h), the DKIM signatures (at most max_signatures),
 *	the DMARC policy of the From domain (eval.h), each worker thread with
 *	a resolver and an SPF checker of its own. Back on the loop: the
 *	Authentication-Results fields carrying the relay's authserv-id that
 *	came with the message are removed, last first (CVE-2022-48521 was
 *	OpenDMARC deleting them first to last, the indexes shifting under
 *	it), ours is inserted at the top (Received-SPF under it when asked),
 *	one log line says what was found and done, and a fail gets the
 *	policy's disposition through on_reject and on_quarantine; a DMARC
 *	temperror (DNS trouble) gets on_error: tempfail (451 4.7.5, the
 *	default) or accept, tagged. A message without exactly one From
 *	address is a permerror (tagged, not refused).
 * SEE ALSO
 *	apply.c (what a result gets), eval.h, dkimv.h, spf.h, dmarc_conf.h,
 *	milterkit-dmarc(8)
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "dkim.h"
#include "dkim_conf.h"
#include "filter_priv.h"
#include "filters.h"
#include "mk_addrlist.h"
#include "mk_log.h"
#include "mk_mem.h"

/* A worker thread's resolver and SPF checker, for one state. */
struct dm_tls {
	unsigned long gen;
	struct mk_dns *dns;
	struct dmarc_spf *spf;
};

struct dm_msg {
	struct dmarc_dkimv_msg *v;
};

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static unsigned long gen_counter;
static pthread_mutex_t gen_lock = PTHREAD_MUTEX_INITIALIZER;

static void
tls_free(void *arg)
{
	struct dm_tls *t = arg;

	if (t == NULL)
		return;
	dmarc_spf_free(t->spf);
	mk_dns_free(t->dns);
	free(t);
}

static void
tls_make_key(void)
{
	if (pthread_key_create(&tls_key, tls_free) != 0)
		mk_fatal("cannot make a thread key");
}

/* This thread's resolver and SPF checker for st; NULL with err. */
static struct dm_tls *
tls_get(const struct dm_state *st, char *err, size_t errlen)
{
	struct dm_tls *t = pthread_getspecific(tls_key);

	if (t != NULL && t->gen == st->gen)
		return t;
	tls_free(t);
	pthread_setspecific(tls_key, NULL);
	t = mk_calloc(1, sizeof(*t));
	t->gen = st->gen;
	if (mk_dns_new(&st->dns, &t->dns, err, errlen) != 0 ||
	    dmarc_spf_new(t->dns, st->authserv, &t->spf, err, errlen) != 0) {
		tls_free(t);
		return NULL;
	}
	pthread_setspecific(tls_key, t);
	return t;
}

static void
dm_fini(void *arg)
{
	struct dm_state *st = arg;

	if (st == NULL)
		return;
	mk_session_choice_free(&st->sessions);
	mk_cidr_list_free(&st->trusted);
	dmarc_dkimv_free(st->dkimv);
	for (size_t i = 0; i < st->naddrs; i++)
		free(st->addrs[i]);
	free(st->addrs);
	dkim_table_free(st->table);
	free(st->dns.servers);
	free(st);
}

static int
dm_init(const struct mk_conf *conf, void **state, char *err, size_t errlen)
{
	const struct dmarc_conf *c = dmarc_conf(conf);
	struct dm_state *st = mk_calloc(1, sizeof(*st));

	*state = NULL;
	pthread_once(&tls_once, tls_make_key);
	st->c = c;
	if (mk_session_choice_parse(&st->sessions, c->d.check, c->d.networks,
	    err, errlen) != 0 ||
	    mk_cidr_list_parse(c->trusted_networks, &st->trusted, err,
	    errlen) != 0 ||
	    dmarc_org_init(err, errlen) != 0 ||
	    dmarc_dkimv_new((unsigned)c->max_signatures, &st->dkimv, err,
	    errlen) != 0) {
		dm_fini(st);
		return -1;
	}
	st->outbound = c->mode == DMARC_MODE_OUTBOUND;
	if (st->outbound && (dmarc_conf_addresses(c->public_addresses,
	    &st->addrs, &st->naddrs, err, errlen) != 0 ||
	    dkim_table_load(dkim_conf(conf)->signing_table, &st->table, err,
	    errlen) != 0)) {
		dm_fini(st);
		return -1;
	}
	st->dns = conf->dns;
	st->dns.servers = mk_strdup(conf->dns.servers != NULL ?
	    conf->dns.servers : "");
	if (c->authserv_id[0] != '\0')
		snprintf(st->authserv, sizeof(st->authserv), "%s", c->authserv_id);
	else if (gethostname(st->authserv, sizeof(st->authserv) - 1) != 0 ||
	    st->authserv[0] == '\0')
		strcpy(st->authserv, "localhost");
	pthread_mutex_lock(&gen_lock);
	st->gen = ++gen_counter;
	pthread_mutex_unlock(&gen_lock);
	*state = st;
	return 0;
}

static const struct mk_session_choice *
dm_sessions(const void *st)
{
	return &((const struct dm_state *)st)->sessions;
}

static sfsistat
dm_connect(struct mk_conn *conn)
{
	const struct dm_state *st = conn->state;

	if (!st->outbound && mk_cidr_list_match(&st->trusted, conn->addr)) {
		mk_log_event(MK_LOG_DEBUG, "NOQUEUE", "client %s in "
		    "trusted_networks: not checked", conn->client);
		return SMFIS_ACCEPT;
	}
	return SMFIS_CONTINUE;
}

/* Only for the skeleton to keep the HELO name: SPF checks it for the
 * null sender and expands %{h}. */
static sfsistat
dm_helo(struct mk_conn *conn, const char *helo)
{
	(void)conn;
	(void)helo;
	return SMFIS_CONTINUE;
}

static sfsistat
dm_mail(struct mk_msg *msg, char **argv)
{
	const struct dm_state *st = msg->conn->state;
	const char *login = mk_milter_macro(msg->conn, "{auth_authen}");

	(void)argv;
	if (!st->outbound && st->c->skip_authenticated && login != NULL &&
	    login[0] != '\0') {
		mk_log_event(MK_LOG_DEBUG, mk_milter_qid(msg->conn, msg),
		    "authenticated session: not checked");
		return SMFIS_ACCEPT;
	}
	return SMFIS_CONTINUE;
}

static struct dm_msg *
dm_msg_get(struct mk_msg *msg)
{
	const struct dm_state *st = msg->conn->state;
	struct dm_msg *m = msg->data;

	if (m == NULL) {
		m = mk_calloc(1, sizeof(*m));
		msg->data = m;
		if (!st->outbound)	/* outbound verifies nothing */
			m->v = dmarc_dkimv_start(st->dkimv,
			    mk_milter_qid(msg->conn, msg));
	}
	return m;
}

static sfsistat
dm_header(struct mk_msg *msg, const char *name, const char *value)
{
	struct dm_msg *m = dm_msg_get(msg);

	if (m->v != NULL)
		dmarc_dkimv_header(m->v, name, value);
	return SMFIS_CONTINUE;
}

static sfsistat
dm_eoh(struct mk_msg *msg)
{
	struct dm_msg *m = dm_msg_get(msg);

	if (m->v != NULL)
		dmarc_dkimv_eoh(m->v);
	return SMFIS_CONTINUE;
}

static sfsistat
dm_body(struct mk_msg *msg, const unsigned char *chunk, size_t len)
{
	struct dm_msg *m = dm_msg_get(msg);

	if (m->v != NULL)
		dmarc_dkimv_body(m->v, chunk, len);
	return SMFIS_CONTINUE;
}

/* The From domain of the block into from; "" with why when there is not
 * exactly one From field with one address. */
static void
from_domain(const struct mk_hfield *h, size_t nh, char *from, size_t size,
    const char **why)
{
	struct mk_alist al;
	size_t n = 0;

	from[0] = '\0';
	*why = "no From field";
	for (size_t i = 0; i < nh; i++) {
		if (strcasecmp(h[i].name, "From") != 0)
			continue;
		if (++n > 1) {
			from[0] = '\0';
			*why = "more than one From field";
			return;
		}
		memset(&al, 0, sizeof(al));
		if (mk_addrlist_parse(h[i].value, &al) < 0 || al.mailboxes != 1 ||
		    al.first_domain[0] == '\0')
			*why = "the From field has not exactly one address";
		else
			snprintf(from, size, "%s", al.first_domain);
	}
}

/* The worker's part: every DNS lookup of the message. */
static void
dm_work(void *arg)
{
	struct dm_job *j = arg;
	struct dm_tls *t = tls_get(j->st, j->err, sizeof(j->err));
	static __thread unsigned seed;

	if (t == NULL)
		return;
	if (j->outbound) {
		const char *sd[DM_SIGS_MAX], *addrs[64];
		struct dmarc_outbound_input oin;

		for (size_t i = 0; i < j->nsign; i++)
			sd[i] = j->sign[i];
		for (size_t i = 0; i < j->st->naddrs && i < 64; i++)
			addrs[i] = j->st->addrs[i];
		oin.from_domain = j->from;
		oin.sender = j->sender;
		oin.addrs = addrs;
		oin.naddrs = j->st->naddrs < 64 ? j->st->naddrs : 64;
		oin.sign_domains = sd;
		oin.nsign = j->nsign;
		if (j->from[0] != '\0' && dmarc_outbound_eval(t->dns, t->spf,
		    &oin, &j->out) != 0) {
			j->out.result = DMARC_R_PERMERROR;
			snprintf(j->out.why, sizeof(j->out.why), "the From domain "
			    "is not a domain name");
		}
		return;
	}
	if (seed == 0)
		seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)&seed;
	if (j->ip[0] != '\0' && dmarc_spf_check(t->spf, j->ip, j->sender,
	    j->helo[0] != '\0' ? j->helo : NULL, &j->spf) == 0) {
		j->spf_checked = 1;
		j->in.spf_result = j->spf.result;
		j->in.spf_domain = j->spf.domain;
		j->in.spf_identity = j->sender[0] != '\0' ? j->sender : j->helo;
	}
	j->in.sigs = j->sigs;
	j->in.nsigs = j->v != NULL ? dmarc_dkimv_finish(j->v, t->dns, j->sigs,
	    DM_SIGS_MAX) : 0;
	j->in.from_domain = j->from;
	if (j->from[0] != '\0' && dmarc_eval(t->dns, &j->in,
	    (unsigned)(rand_r(&seed) % 100), &j->out) != 0) {
		j->out.result = DMARC_R_PERMERROR;
		snprintf(j->out.why, sizeof(j->out.why), "the From domain is "
		    "not a domain name");
	}
}

static void
job_free(struct dm_job *j)
{
	dmarc_dkimv_msg_free(j->v);
	free(j);
}

static sfsistat
dm_done(struct mk_msg *msg, void *arg)
{
	struct dm_job *j = arg;
	sfsistat rc;

	if (msg == NULL) {
		job_free(j);
		return SMFIS_CONTINUE;
	}
	if (j->err[0] != '\0') {
		rc = mk_milter_on_error(msg->conn, msg, "%s", j->err);
		job_free(j);
		return rc;
	}
	rc = dm_apply(msg, j);
	job_free(j);
	return rc;
}

static sfsistat
dm_eom(struct mk_msg *msg)
{
	struct mk_conn *conn = msg->conn;
	const struct dm_state *st = conn->state;
	struct dm_msg *m = dm_msg_get(msg);
	const struct mk_hfield *h;
	struct dm_job *j;
	const char *why;
	ssize_t nh;
	size_t n;

	if ((nh = mk_milter_headers(msg, &h)) < 0)
		return mk_milter_on_error(conn, msg, "header block beyond the "
		    "skeleton's bounds: not checked");
	j = mk_calloc(1, sizeof(*j));
	j->st = st;
	j->v = m->v;
	m->v = NULL;
	if (!conn->local && strcmp(conn->addr, "local") != 0)
		snprintf(j->ip, sizeof(j->ip), "%s", conn->addr);
	n = strlen(msg->sender);
	if (n >= 2 && msg->sender[0] == '<' && msg->sender[n - 1] == '>')
		snprintf(j->sender, sizeof(j->sender), "%.*s", (int)(n - 2),
		    msg->sender + 1);
	else
		snprintf(j->sender, sizeof(j->sender), "%s", msg->sender);
	snprintf(j->helo, sizeof(j->helo), "%s", conn->helo);
	if (j->sender[0] == '\0' && j->helo[0] == '\0')
		j->ip[0] = '\0';	/* no identity: SPF none */
	from_domain(h, (size_t)nh, j->from, sizeof(j->from), &why);
	if (st->outbound && j->from[0] != '\0') {
		const struct dkim_entry *e[DM_SIGS_MAX];
		size_t ne = dkim_table_match(st->table, j->from, time(NULL), e,
		    DM_SIGS_MAX);

		j->outbound = 1;
		for (size_t i = 0; i < ne; i++)
			snprintf(j->sign[j->nsign++], sizeof(j->sign[0]), "%s",
			    e[i]->domain);
	} else if (st->outbound) {
		j->outbound = 1;
	}
	if (j->from[0] == '\0') {
		j->out.result = DMARC_R_PERMERROR;
		snprintf(j->out.why, sizeof(j->out.why), "%s", why);
		snprintf(j->from, sizeof(j->from), "%s", "");
	}
	return mk_milter_defer(msg, dm_work, dm_done, j);
}

static void
dm_msg_free(struct mk_msg *msg)
{
	struct dm_msg *m = msg->data;

	if (m == NULL)
		return;
	dmarc_dkimv_msg_free(m->v);
	free(m);
	msg->data = NULL;
}

const struct mk_milter_desc dmarc_filter = {
	.name = "milterkit-dmarc",
	.section = "dmarc",
	.version = PACKAGE_VERSION,
	.flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
	/* values as written: DKIM's simple canonicalization needs them */
	.no_steps = SMFIP_HDR_LEADSPC,
	/* CONNECT and MAIL answer (trusted clients, SASL sessions) */
	.no_reply = SMFIP_NR_HELO | SMFIP_NR_RCPT | SMFIP_NR_HDR |
	    SMFIP_NR_BODY,
	.macros = {
		[SMFIM_ENVFROM] = "i {auth_authen}",
		[SMFIM_EOM] = "i",
	},
	.smtp_only = 1,
	.header_block = 1,
	.init = dm_init,
	.fini = dm_fini,
	.sessions = dm_sessions,
	.connect = dm_connect,
	.helo = dm_helo,
	.mail = dm_mail,
	.header = dm_header,
	.eoh = dm_eoh,
	.body = dm_body,
	.eom = dm_eom,
	.msg_free = dm_msg_free,
};
