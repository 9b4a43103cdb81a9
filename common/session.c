/*
 * session.c - which SMTP sessions a milter looks at (see mk_session.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mk_list.h"
#include "mk_session.h"

int
mk_session_parse(const char *text, unsigned *which, char *err, size_t errlen)
{
	struct mk_list l;
	int all = 0;

	*which = 0;
	mk_list_init(&l, text, 0, 0, "choices");
	while (mk_list_next(&l, err, errlen) > 0) {
		const char *p = l.item;
		size_t len = l.len;

		if (len == 3 && strncasecmp(p, "all", 3) == 0)
			all = 1;
		else if (len == 13 && strncasecmp(p, "authenticated", 13) == 0)
			*which |= MK_SESSION_AUTHENTICATED;
		else if (len == 8 && strncasecmp(p, "networks", 8) == 0)
			*which |= MK_SESSION_NETWORKS;
		else {
			snprintf(err, errlen, "\"%.*s\": expected all, authenticated"
			    " or networks", (int)(len > 40 ? 40 : len), p);
			return -1;
		}
	}
	if (all == (*which != 0)) {
		snprintf(err, errlen, all ? "\"all\" cannot be combined with other"
		    " choices" : "expected all, authenticated or networks");
		return -1;
	}
	return 0;
}

int
mk_session_check(const char *text, char *err, size_t errlen)
{
	unsigned which;

	return mk_session_parse(text, &which, err, errlen);
}

int
mk_session_selected(unsigned which, const struct mk_cidr_list *networks,
    int authenticated, const char *client_addr)
{
	if (which == 0)
		return 1;
	if ((which & MK_SESSION_AUTHENTICATED) && authenticated)
		return 1;
	return (which & MK_SESSION_NETWORKS) && networks != NULL &&
	    mk_cidr_list_match(networks, client_addr);
}

int
mk_session_never(unsigned which, const struct mk_cidr_list *networks,
    const char *client_addr)
{
	return which == MK_SESSION_NETWORKS &&
	    !mk_session_selected(which, networks, 0, client_addr);
}

int
mk_session_choice_parse(struct mk_session_choice *c, const char *check,
    const char *networks, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	if (mk_session_parse(check, &c->which, err, errlen) != 0)
		return -1;
	return mk_cidr_list_parse(networks, &c->networks, err, errlen);
}

void
mk_session_choice_free(struct mk_session_choice *c)
{
	mk_cidr_list_free(&c->networks);
}
