/*
 * NAME
 *	chain_conf.h - the [chain] section of milterkit.conf
 * SYNOPSIS
 *	#include "chain_conf.h"
 *
 *	extern const struct mk_conf_section chain_conf_section;
 *	const struct chain_conf *chain_conf(const struct mk_conf *conf);
 * DESCRIPTION
 *	chain_conf_section is the section a program registers with
 *	mk_conf_use() (milters/sections.h lists it): the daemon rows
 *	(MK_CONF_DAEMON_ROWS, milter on_error), threads, and filters, the
 *	filters served on one MTA connection in the order their edits are
 *	applied. filters is a comma/blank list (mk_list.h) of 1 to
 *	CHAIN_CONF_FILTERS_MAX names, each the name of a section registered
 *	with filter set, none given twice. There are no check or networks
 *	rows: which sessions to look at is each filter's choice, in its own
 *	section.
 *
 *	chain_conf() returns the [chain] block of conf, which lives as long
 *	as conf; it panics when the section was not registered (a program
 *	that reads it must register it).
 */
#ifndef CHAIN_CONF_H
#define CHAIN_CONF_H

#include "mk_conf.h"

#define CHAIN_CONF_FILTERS_MAX 16

struct chain_conf {
	struct mk_conf_daemon d;
	char *filters;		/* names of filter sections, in order */
};

extern const struct mk_conf_section chain_conf_section;

const struct chain_conf *chain_conf(const struct mk_conf *conf);

#endif
