/*
 * NAME
 *	rules.c - milterkit-headers: the [headers] section compiled into
 *	rules (see headers.h)
 * SYNOPSIS
 *	int	hdr_rules_new(const struct mk_conf *conf,
 *			struct hdr_rules **out, char *err, size_t errlen);
 *	void	hdr_rules_free(struct hdr_rules *rules);
 *	const struct mk_session_choice *hdr_sessions(const void *rules);
 *	void	hdr_rules_limits(const struct hdr_rules *rules,
 *			struct hdr_limits *out);
 * DESCRIPTION
 *	hdr_rules_new() parses the lists and reads the unsubscribe secret
 *	(so that a missing or unreadable secret is a configuration error at
 *	start and on reload). The rules are read-only afterwards: threads
 *	share them. Returns 0, or -1 with a message in err.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "headers_conf.h"
#include "headers_priv.h"
#include "mk_conf.h"
#include "mk_mem.h"
#include "mk_token.h"
#include "mk_session.h"

/* The unsubscribe rule needs a key and at least one template. */
static int
unsub_setup(struct hdr_rules *r, const struct hdr_conf *h, char *err,
    size_t errlen)
{
	hdr_names_parse(h->unsub_domains, &r->unsub_domains);
	r->unsub_mailto = mk_strdup(h->unsub_mailto);
	r->unsub_url = mk_strdup(h->unsub_url);
	if (r->unsub_domains.n == 0)
		return 0;
	if (h->unsub_secret_file[0] == '\0') {
		snprintf(err, errlen, "[headers] unsubscribe_domains needs "
		    "unsubscribe_secret_file");
		return -1;
	}
	if (r->unsub_mailto[0] == '\0' && r->unsub_url[0] == '\0') {
		snprintf(err, errlen, "[headers] unsubscribe_domains needs "
		    "unsubscribe_mailto or unsubscribe_url");
		return -1;
	}
	return mk_token_key_load(h->unsub_secret_file,
	    "unsubscribe_secret_file", &r->unsub_key, &r->unsub_keylen, err,
	    errlen);
}

int
hdr_rules_new(const struct mk_conf *conf, struct hdr_rules **out, char *err,
    size_t errlen)
{
	const struct hdr_conf *h = hdr_conf(conf);
	struct hdr_rules *r = mk_calloc(1, sizeof(*r));

	*out = NULL;
	r->max_headers = (size_t)h->max_headers;
	r->max_header_len = (size_t)h->max_header_size;
	r->message_id = h->message_id;
	r->msgid_domain = mk_strdup(h->message_id_domain);
	if (gethostname(r->hostname, sizeof(r->hostname) - 1) != 0 ||
	    strchr(r->hostname, '.') == NULL)
		snprintf(r->hostname, sizeof(r->hostname), "localhost.localdomain");
	r->date = h->date;
	r->date_utc = h->date_zone == HDR_CONF_ZONE_UTC;
	r->mime_version = h->mime_version;
	r->missing_from = h->missing_from;
	r->multiple_from = h->multiple_from;
	r->duplicates = h->duplicates;
	r->long_lines = h->long_lines;
	r->eight_bit = h->eight_bit;
	r->feedback_id = mk_strdup(h->feedback_id);
	hdr_names_parse(h->remove, &r->remove);
	hdr_names_parse(h->internal_hosts, &r->internal_hosts);
	if (mk_session_choice_parse(&r->sessions, h->d.check,
	    h->d.networks, err, errlen) != 0 ||
	    mk_cidr_list_parse(h->internal_networks, &r->internal_nets, err,
	    errlen) != 0 ||
	    unsub_setup(r, h, err, errlen) != 0) {
		hdr_rules_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

void
hdr_rules_free(struct hdr_rules *r)
{
	if (r == NULL)
		return;
	mk_session_choice_free(&r->sessions);
	mk_cidr_list_free(&r->internal_nets);
	hdr_names_free(&r->remove);
	hdr_names_free(&r->internal_hosts);
	hdr_names_free(&r->unsub_domains);
	mk_token_key_free(r->unsub_key, r->unsub_keylen);
	free(r->unsub_mailto);
	free(r->unsub_url);
	free(r->feedback_id);
	free(r->msgid_domain);
	free(r);
}

const struct mk_session_choice *
hdr_sessions(const void *r)
{
	return &((const struct hdr_rules *)r)->sessions;
}

void
hdr_rules_limits(const struct hdr_rules *r, struct hdr_limits *out)
{
	out->max_headers = r->max_headers;
	out->max_header_len = r->max_header_len;
}
