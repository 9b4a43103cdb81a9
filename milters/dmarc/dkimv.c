/*
 * dkimv.c - DKIM verification with libopendkim (see dkimv.h).
 *
 * libopendkim does the cryptography and the parsing; this file gives it
 * the project's resolver for keys (dkim_set_key_lookup), a cap on the
 * signatures it looks at (dkim_set_prescreen: it has none), and turns
 * its per-signature state into RFC 8601 results.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <opendkim/dkim.h>

#include "dkimv.h"
#include "mk_mem.h"
#include "mk_strbuf.h"

struct dmarc_dkimv {
	DKIM_LIB *lib;
	unsigned max_sigs;
};

struct dmarc_dkimv_msg {
	struct dmarc_dkimv *v;
	DKIM *dkim;
	struct mk_dns *dns;		/* set by dmarc_dkimv_finish() */
	int broken;			/* libopendkim gave up */
	DKIM_SIGINFO *tempfailed[DMARC_DKIM_SIGS_CAP];	/* key lookups */
	size_t ntempfailed;
};

const char *
dmarc_dkim_result_name(int result)
{
	static const char *const names[] = { "none", "pass", "fail", "neutral",
	    "temperror", "permerror" };

	return result >= 0 && result <= DMARC_DKIM_PERMERROR ? names[result] : "?";
}

/* The key of sig: the TXT record at SELECTOR._domainkey.DOMAIN. */
static DKIM_CBSTAT
key_lookup(DKIM *dkim, DKIM_SIGINFO *sig, u_char *buf, size_t buflen)
{
	struct dmarc_dkimv_msg *m = dkim_get_user_context(dkim);
	const char *s = (const char *)dkim_sig_getselector(sig);
	const char *d = (const char *)dkim_sig_getdomain(sig);
	char name[MK_DNS_NAME_MAX + 2];
	struct mk_dns_answer *a;
	DKIM_CBSTAT rc = DKIM_CBSTAT_NOTFOUND;

	if (m == NULL || m->dns == NULL || s == NULL || d == NULL ||
	    (size_t)snprintf(name, sizeof(name), "%s._domainkey.%s", s, d) >=
	    sizeof(name))
		return DKIM_CBSTAT_NOTFOUND;
	if (mk_dns_lookup_wait(m->dns, name, MK_DNS_T_TXT, &a) != 0) {
		if (m->ntempfailed < DMARC_DKIM_SIGS_CAP)
			m->tempfailed[m->ntempfailed++] = sig;
		return DKIM_CBSTAT_TRYAGAIN;
	}
	switch (a->status) {
	case MK_DNS_OK:
		/* RFC 6376 3.6.2.2: several records, the first is taken */
		rc = mk_dns_txt(&a->rr[0], (char *)buf, buflen) == 0 ?
		    DKIM_CBSTAT_CONTINUE : DKIM_CBSTAT_ERROR;
		break;
	case MK_DNS_TEMPFAIL:
		rc = DKIM_CBSTAT_TRYAGAIN;
		/* libopendkim reports no reason of its own for it */
		if (m->ntempfailed < DMARC_DKIM_SIGS_CAP)
			m->tempfailed[m->ntempfailed++] = sig;
		break;
	default:
		break;
	}
	mk_dns_answer_free(a);
	return rc;
}

/* Only the first max_sigs signatures are looked at. */
static DKIM_CBSTAT
prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs)
{
	struct dmarc_dkimv_msg *m = dkim_get_user_context(dkim);

	for (int i = 0; m != NULL && i < nsigs; i++)
		if ((unsigned)i >= m->v->max_sigs)
			dkim_sig_ignore(sigs[i]);
	return DKIM_CBSTAT_CONTINUE;
}

int
dmarc_dkimv_new(unsigned max_sigs, struct dmarc_dkimv **out, char *err,
    size_t errlen)
{
	struct dmarc_dkimv *v = mk_calloc(1, sizeof(*v));
	unsigned int flags = DKIM_LIBFLAGS_DELAYSIGPROC | DKIM_LIBFLAGS_FIXCRLF;

	*out = NULL;
	v->max_sigs = max_sigs > 0 ? max_sigs : 1;
	if ((v->lib = dkim_init(NULL, NULL)) == NULL ||
	    dkim_options(v->lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags,
	    sizeof(flags)) != DKIM_STAT_OK ||
	    dkim_set_key_lookup(v->lib, key_lookup) != DKIM_STAT_OK ||
	    dkim_set_prescreen(v->lib, prescreen) != DKIM_STAT_OK) {
		snprintf(err, errlen, "cannot set up DKIM verification "
		    "(libopendkim)");
		dmarc_dkimv_free(v);
		return -1;
	}
	*out = v;
	return 0;
}

void
dmarc_dkimv_free(struct dmarc_dkimv *v)
{
	if (v == NULL)
		return;
	if (v->lib != NULL)
		dkim_close(v->lib);
	free(v);
}

struct dmarc_dkimv_msg *
dmarc_dkimv_start(struct dmarc_dkimv *v, const char *id)
{
	struct dmarc_dkimv_msg *m = mk_calloc(1, sizeof(*m));
	DKIM_STAT st;

	m->v = v;
	m->dkim = dkim_verify(v->lib, (const unsigned char *)(id != NULL ? id :
	    "-"), NULL, &st);
	if (m->dkim == NULL) {
		free(m);
		return NULL;
	}
	dkim_set_user_context(m->dkim, m);
	return m;
}

int
dmarc_dkimv_header(struct dmarc_dkimv_msg *m, const char *name,
    const char *value)
{
	struct mk_strbuf f = { NULL, 0, 0 };
	int rc;

	if (m->broken)
		return -1;
	mk_strbuf_str(&f, name);
	mk_strbuf_ch(&f, ':');
	/* folds as CRLF, whatever the MTA used */
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\n' && (p == value || p[-1] != '\r'))
			mk_strbuf_ch(&f, '\r');
		mk_strbuf_ch(&f, *p);
	}
	rc = dkim_header(m->dkim, (u_char *)f.p, f.len) == DKIM_STAT_OK ? 0 : -1;
	mk_strbuf_free(&f);
	if (rc != 0)
		m->broken = 1;
	return rc;
}

int
dmarc_dkimv_eoh(struct dmarc_dkimv_msg *m)
{
	DKIM_STAT st;

	if (m->broken)
		return -1;
	st = dkim_eoh(m->dkim);
	/* NOSIG: nothing to verify, not an error */
	if (st != DKIM_STAT_OK && st != DKIM_STAT_NOSIG)
		m->broken = 1;
	return m->broken ? -1 : 0;
}

int
dmarc_dkimv_body(struct dmarc_dkimv_msg *m, const unsigned char *p, size_t n)
{
	if (m->broken)
		return -1;
	if (n > 0 && dkim_body(m->dkim, (u_char *)p, n) != DKIM_STAT_OK)
		m->broken = 1;
	return m->broken ? -1 : 0;
}

/* One signature's result and reason. */
static void
judge(const struct dmarc_dkimv_msg *m, DKIM_SIGINFO *sig,
    struct dmarc_dkim_sig *out)
{
	unsigned int flags = dkim_sig_getflags(sig);
	int err = dkim_sig_geterror(sig), temp = err == DKIM_SIGERROR_KEYFAIL;
	const char *why = dkim_sig_geterrorstr(err);

	for (size_t i = 0; i < m->ntempfailed; i++)
		temp |= m->tempfailed[i] == sig;
	if ((flags & DKIM_SIGFLAG_PASSED) != 0 &&
	    dkim_sig_getbh(sig) == DKIM_SIGBH_MATCH) {
		out->result = DMARC_DKIM_PASS;
		why = NULL;
	} else if (temp) {
		out->result = DMARC_DKIM_TEMPERROR;
		why = "key lookup failed for now";
	} else if (err == DKIM_SIGERROR_NOKEY || err == DKIM_SIGERROR_DNSSYNTAX ||
	    err == DKIM_SIGERROR_MULTIREPLY || err == DKIM_SIGERROR_KEYREVOKED ||
	    err == DKIM_SIGERROR_KEYDECODE || err == DKIM_SIGERROR_KEYTOOSMALL ||
	    err == DKIM_SIGERROR_KEYHASHMISMATCH ||
	    err == DKIM_SIGERROR_KEYUNKNOWNHASH) {
		out->result = DMARC_DKIM_PERMERROR;
	} else if (err == DKIM_SIGERROR_BADSIG || err == DKIM_SIGERROR_OK ||
	    dkim_sig_getbh(sig) == DKIM_SIGBH_MISMATCH) {
		out->result = DMARC_DKIM_FAIL;
		if (dkim_sig_getbh(sig) == DKIM_SIGBH_MISMATCH)
			why = "body hash mismatch";
		else if (err == DKIM_SIGERROR_OK)
			why = "signature mismatch";
	} else {
		out->result = DMARC_DKIM_NEUTRAL;	/* its syntax, its age */
	}
	snprintf(out->why, sizeof(out->why), "%s", why != NULL ? why : "");
}

size_t
dmarc_dkimv_finish(struct dmarc_dkimv_msg *m, struct mk_dns *dns,
    struct dmarc_dkim_sig *sigs, size_t max)
{
	DKIM_SIGINFO **list;
	int nsigs = 0;
	size_t n = 0;

	if (m->broken)
		return 0;
	m->dns = dns;
	dkim_eom(m->dkim, NULL);	/* each signature's state says it all */
	if (dkim_getsiglist(m->dkim, &list, &nsigs) != DKIM_STAT_OK)
		return 0;
	for (int i = 0; i < nsigs && n < max; i++) {
		const char *d = (const char *)dkim_sig_getdomain(list[i]);
		const char *s = (const char *)dkim_sig_getselector(list[i]);
		const char *b = (const char *)dkim_sig_gettagvalue(list[i], false,
		    (u_char *)"b");
		struct dmarc_dkim_sig *o = &sigs[n];

		if ((dkim_sig_getflags(list[i]) & DKIM_SIGFLAG_IGNORE) != 0)
			continue;
		memset(o, 0, sizeof(*o));
		snprintf(o->domain, sizeof(o->domain), "%s", d != NULL ? d : "");
		snprintf(o->selector, sizeof(o->selector), "%s", s != NULL ? s : "");
		snprintf(o->b, sizeof(o->b), "%.8s", b != NULL ? b : "");
		judge(m, list[i], o);
		n++;
	}
	return n;
}

void
dmarc_dkimv_msg_free(struct dmarc_dkimv_msg *m)
{
	if (m == NULL)
		return;
	if (m->dkim != NULL)
		dkim_free(m->dkim);
	free(m);
}
