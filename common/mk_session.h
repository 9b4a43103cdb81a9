/*
 * NAME
 *	mk_session - which SMTP sessions a milter looks at
 * SYNOPSIS
 *	#include "mk_session.h"
 *
 *	int	mk_session_parse(const char *text, unsigned *which, char *err,
 *			size_t errlen);
 *	int	mk_session_check(const char *text, char *err, size_t errlen);
 *	int	mk_session_selected(unsigned which,
 *			const struct mk_cidr_list *networks, int authenticated,
 *			const char *client_addr);
 *	int	mk_session_never(unsigned which,
 *			const struct mk_cidr_list *networks,
 *			const char *client_addr);
 *
 *	int	mk_session_choice_parse(struct mk_session_choice *c,
 *			const char *check, const char *networks, char *err,
 *			size_t errlen);
 *	void	mk_session_choice_free(struct mk_session_choice *c);
 * DESCRIPTION
 *	A relay that also receives inbound mail must be able to leave inbound
 *	traffic alone. The choice is written "all" (every session),
 *	"authenticated" (the client logged in: {auth_authen} was sent),
 *	"networks" (the client's address is in the milter's networks list),
 *	or "authenticated, networks" (either).
 *
 *	mk_session_parse() turns the text into MK_SESSION_* bits (0 = all);
 *	0, or -1 with a message. mk_session_check() only validates.
 *	mk_session_selected() tells whether a session with these facts is
 *	one to look at. mk_session_never() tells, as soon as the client is
 *	known, that nothing later can make the session one to look at (the
 *	choice is "networks" alone and the client is outside them): a milter
 *	can then let the MTA leave it out of the whole session.
 *
 *	struct mk_session_choice holds a milter section's choice: its
 *	"check" and "networks" keys, filled by mk_session_choice_parse()
 *	(0, or -1 with a message) and released by mk_session_choice_free().
 *	The milter skeleton acts on it (mk_milter.h, sessions()).
 */
#ifndef MK_SESSION_H
#define MK_SESSION_H

#include <stddef.h>

#include "mk_cidr.h"

enum {
	MK_SESSION_AUTHENTICATED = 0x1,
	MK_SESSION_NETWORKS = 0x2
};

struct mk_session_choice {
	unsigned which;			/* MK_SESSION_* bits, 0 = all */
	struct mk_cidr_list networks;	/* for MK_SESSION_NETWORKS */
};

int mk_session_parse(const char *text, unsigned *which, char *err,
    size_t errlen);
int mk_session_check(const char *text, char *err, size_t errlen);
int mk_session_selected(unsigned which, const struct mk_cidr_list *networks,
    int authenticated, const char *client_addr);
int mk_session_never(unsigned which, const struct mk_cidr_list *networks,
    const char *client_addr);
int mk_session_choice_parse(struct mk_session_choice *c, const char *check,
    const char *networks, char *err, size_t errlen);
void mk_session_choice_free(struct mk_session_choice *c);

#endif
