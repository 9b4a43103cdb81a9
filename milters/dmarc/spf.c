/*
 * spf.c - SPF checks with libspf2 (see spf.h): the request, the result,
 * the void-lookup limit libspf2 lacks, and the bounds a record must keep
 * before libspf2's compiler sees it.
 */
#include "config.h"

#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mk_mem.h"
#include "spf.h"
#include "spf_priv.h"

struct dmarc_spf {
	SPF_server_t *server;
	SPF_dns_server_t *layer;
	char receiver[MK_DNS_NAME_MAX + 1];
};

int
dmarc_spf_new(struct mk_dns *dns, const char *receiver,
    struct dmarc_spf **out, char *err, size_t errlen)
{
	struct dmarc_spf *spf = mk_calloc(1, sizeof(*spf));
	SPF_response_t *resp = NULL;

	*out = NULL;
	snprintf(spf->receiver, sizeof(spf->receiver), "%s", receiver);
	spf->layer = dmarc_spf__dns_new(dns);
	spf->server = SPF_server_new_dns(spf->layer, 0);
	if (spf->server == NULL ||
	    SPF_server_set_rec_dom(spf->server, receiver) != SPF_E_SUCCESS ||
	    /* its sanitizing turns blanks into '%': copy_text() does ours */
	    SPF_server_set_sanitize(spf->server, 0) != SPF_E_SUCCESS ||
	    SPF_server_set_explanation(spf->server, "", &resp) != SPF_E_SUCCESS) {
		snprintf(err, errlen, "cannot set up an SPF checker (libspf2)");
		SPF_response_free(resp);
		dmarc_spf_free(spf);
		return -1;
	}
	SPF_response_free(resp);
	*out = spf;
	return 0;
}

void
dmarc_spf_free(struct dmarc_spf *spf)
{
	if (spf == NULL)
		return;
	if (spf->server != NULL)
		SPF_server_free(spf->server);	/* leaves the layer: no destroy */
	dmarc_spf__dns_free(spf->layer);
	free(spf);
}

const char *
dmarc_spf_result_name(int result)
{
	static const char *const names[] = { "none", "neutral", "pass", "fail",
	    "softfail", "temperror", "permerror" };

	return result >= 0 && result <= DMARC_SPF_PERMERROR ? names[result] : "?";
}

static int
map_result(SPF_result_t r)
{
	switch (r) {
	case SPF_RESULT_NEUTRAL: return DMARC_SPF_NEUTRAL;
	case SPF_RESULT_PASS: return DMARC_SPF_PASS;
	case SPF_RESULT_FAIL: return DMARC_SPF_FAIL;
	case SPF_RESULT_SOFTFAIL: return DMARC_SPF_SOFTFAIL;
	case SPF_RESULT_NONE: return DMARC_SPF_NONE;
	case SPF_RESULT_TEMPERROR: return DMARC_SPF_TEMPERROR;
	default: return DMARC_SPF_PERMERROR;
	}
}

/* dst (size n) = src, cut at n - 1 octets, blanks for control octets. */
static void
copy_text(char *dst, size_t n, const char *src)
{
	size_t i = 0;

	for (; src != NULL && src[i] != '\0' && i + 1 < n; i++)
		dst[i] = (unsigned char)src[i] < ' ' ? ' ' : src[i];
	dst[i] = '\0';
}

/* The first error libspf2 reported, for the comment of an error result. */
static const char *
first_error(SPF_response_t *resp)
{
	for (int i = 0; i < SPF_response_messages(resp); i++) {
		SPF_error_t *e = SPF_response_message(resp, i);

		if (e != NULL && SPF_error_errorp(e))
			return SPF_error_message(e);
	}
	return NULL;
}

static void
outcome(struct dmarc_spf *spf, SPF_response_t *resp,
    struct dmarc_spf_outcome *out)
{
	const char *why, *name, *c = SPF_response_get_header_comment(resp);
	size_t rn = strlen(spf->receiver);

	out->result = map_result(SPF_response_result(resp));
	dmarc_spf__dns_counts(spf->layer, &out->lookups, &out->voids);
	/* "RECEIVER: domain of ...": the receiver is no news here */
	if (c != NULL && strncmp(c, spf->receiver, rn) == 0 &&
	    strncmp(c + rn, ": ", 2) == 0)
		c += rn + 2;
	copy_text(out->comment, sizeof(out->comment), c);
	if ((out->result == DMARC_SPF_PERMERROR ||
	    out->result == DMARC_SPF_TEMPERROR) &&
	    (why = first_error(resp)) != NULL)
		copy_text(out->comment, sizeof(out->comment), why);
	if (out->result == DMARC_SPF_PERMERROR &&
	    (why = dmarc_spf__dns_refused(spf->layer)) != NULL)
		snprintf(out->comment, sizeof(out->comment), "record refused: "
		    "%s", why);
	/* RFC 7208 4.4, 5: a lookup that failed for now ends the check with
	 * temperror; libspf2 goes on, or calls it permerror. */
	if ((name = dmarc_spf__dns_tempfail(spf->layer,
	    out->result == DMARC_SPF_FAIL, &why)) != NULL) {
		out->result = DMARC_SPF_TEMPERROR;
		snprintf(out->comment, sizeof(out->comment), "DNS lookup of %s "
		    "failed: %s", name, why);
	} else if (out->result != DMARC_SPF_TEMPERROR &&
	    dmarc_spf__dns_terms(spf->layer, out->result == DMARC_SPF_FAIL) >
	    DMARC_SPF_TERMS_MAX) {
		out->result = DMARC_SPF_PERMERROR;
		snprintf(out->comment, sizeof(out->comment), "more than %d "
		    "DNS-querying terms (RFC 7208 4.6.4)", DMARC_SPF_TERMS_MAX);
	} else if (out->voids > DMARC_SPF_VOID_MAX) {
		out->result = DMARC_SPF_PERMERROR;
		snprintf(out->comment, sizeof(out->comment), "more than %d "
		    "void DNS lookups (%u; RFC 7208 4.6.4)", DMARC_SPF_VOID_MAX,
		    out->voids);
	}
	if (out->result == DMARC_SPF_FAIL)
		copy_text(out->explanation, sizeof(out->explanation),
		    SPF_response_get_explanation(resp));
	copy_text(out->received_spf, sizeof(out->received_spf),
	    SPF_response_get_received_spf_value(resp));
}

int
dmarc_spf_check(struct dmarc_spf *spf, const char *ip, const char *sender,
    const char *helo, struct dmarc_spf_outcome *out)
{
	SPF_request_t *req;
	SPF_response_t *resp = NULL;
	struct in6_addr a6;
	struct in_addr a4;
	char identity[600];
	const char *at;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (sender[0] == '\0') {
		if (helo == NULL || helo[0] == '\0')
			return -1;
		snprintf(identity, sizeof(identity), "postmaster@%s", helo);
	} else if ((size_t)snprintf(identity, sizeof(identity), "%s", sender) >=
	    sizeof(identity)) {
		return -1;
	}
	at = strrchr(identity, '@');
	copy_text(out->domain, sizeof(out->domain), at != NULL ? at + 1 : identity);
	req = SPF_request_new(spf->server);
	if (inet_pton(AF_INET, ip, &a4) == 1)
		rc = SPF_request_set_ipv4(req, a4);
	else if (inet_pton(AF_INET6, ip, &a6) == 1 && IN6_IS_ADDR_V4MAPPED(&a6)) {
		/* RFC 7208 5: an IPv4-mapped address is checked as IPv4 */
		memcpy(&a4, &a6.s6_addr[12], 4);
		rc = SPF_request_set_ipv4(req, a4);
	} else if (inet_pton(AF_INET6, ip, &a6) == 1)
		rc = SPF_request_set_ipv6(req, a6);
	else
		rc = -1;
	if (rc == 0 && helo != NULL && helo[0] != '\0')
		rc = SPF_request_set_helo_dom(req, helo);
	if (rc == 0)
		rc = SPF_request_set_env_from(req, identity);
	if (rc != 0) {
		SPF_request_free(req);
		return -1;
	}
	dmarc_spf__dns_reset(spf->layer);
	SPF_request_query_mailfrom(req, &resp);
	if (resp == NULL) {
		out->result = DMARC_SPF_TEMPERROR;
		snprintf(out->comment, sizeof(out->comment), "no answer from "
		    "the SPF library");
	} else {
		outcome(spf, resp, out);
		SPF_response_free(resp);
	}
	SPF_request_free(req);
	return 0;
}
