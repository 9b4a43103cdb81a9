/*
 * NAME
 *	policyd_conf.h - the [policyd] section of milterkit.conf
 * SYNOPSIS
 *	#include "policyd_conf.h"
 *
 *	extern const struct mk_conf_section policyd_conf_section;
 *	const struct policyd_conf *policyd_conf(const struct mk_conf *conf);
 * DESCRIPTION
 *	policyd_conf_section is the section programs register (sections.h):
 *	the daemon rows, with on_error dunno (let the mail pass, the
 *	default) or defer, and the bounds of one request. policyd_conf()
 *	returns the [policyd] block of conf (it panics when the section was
 *	not registered). pd_limits_from_conf() (request.h) lives here too.
 */
#ifndef POLICYD_CONF_H
#define POLICYD_CONF_H

#include "mk_conf.h"

/* on_error choices of the policy daemon */
enum { MK_POLICY_ON_ERROR_DUNNO = 0, MK_POLICY_ON_ERROR_DEFER = 1 };

struct policyd_conf {
	struct mk_conf_daemon d;
	long long max_connections;
	long long max_line;	/* octets of one name=value line */
	long long max_attrs;	/* lines of one request */
	long long max_request;	/* octets of one request */
};

extern const struct mk_conf_section policyd_conf_section;

const struct policyd_conf *policyd_conf(const struct mk_conf *conf);

#endif
