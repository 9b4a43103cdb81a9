/*
 * NAME
 *	suppress_conf.h - the [suppress] section of milterkit.conf
 * SYNOPSIS
 *	#include "suppress_conf.h"
 *
 *	extern const struct mk_conf_section supp_conf_section;
 *	const struct supp_conf *supp_conf(const struct mk_conf *conf);
 * DESCRIPTION
 *	supp_conf_section is the section a program registers with
 *	mk_conf_use() (milters/sections.h lists it): the milter rows
 *	(MK_CONF_MILTER_ROWS) plus exempt and one reply template per reason.
 *	It is a filter milterkit-chain can host.
 *
 *	supp_conf() returns the [suppress] block of conf, which lives as
 *	long as conf; it panics when the section was not registered (a
 *	program that reads it must register it).
 */
#ifndef SUPPRESS_CONF_H
#define SUPPRESS_CONF_H

#include "mk_conf.h"
#include "mk_store.h"

struct supp_conf {
	struct mk_conf_daemon d;
	char *exempt;			/* address patterns never rejected */
	char *reply[MK_REASON_COUNT];	/* template per reason, [0] unused */
};

extern const struct mk_conf_section supp_conf_section;

const struct supp_conf *supp_conf(const struct mk_conf *conf);

#endif
