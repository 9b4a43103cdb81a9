/*
 * NAME
 *	rl_conf.h - the [rlimit] section of milterkit.conf: the rate-limit
 *	filter's serving rows
 * SYNOPSIS
 *	#include "rl_conf.h"
 *
 *	extern const struct mk_conf_section rlf_conf_section;
 *	const struct rlf_conf *rlf_conf(const struct mk_conf *conf);
 * DESCRIPTION
 *	rlf_conf_section is the section a program registers with
 *	mk_conf_use() (milters/sections.h lists it): the milter rows only
 *	(MK_CONF_MILTER_ROWS: socket, user, on_error, check, networks,
 *	threads...). The limits themselves are the [ratelimit NAME] rule
 *	sections that milterkit-policyd enforces too (mk_ratelimit.h).
 *	The section is [rlimit], not [ratelimit]: "ratelimit" names the rule
 *	sections in the base schema, and a plain [ratelimit] is an error
 *	("needs a name"). It is a filter milterkit-chain can host, as
 *	"rlimit". rlf_conf() returns the [rlimit] block of conf (it lives as
 *	long as conf); it panics when the section was not registered.
 */
#ifndef RL_CONF_H
#define RL_CONF_H

#include "mk_conf.h"

struct rlf_conf {
	struct mk_conf_daemon d;
};

extern const struct mk_conf_section rlf_conf_section;

const struct rlf_conf *rlf_conf(const struct mk_conf *conf);

#endif
