/*
 * NAME
 *	sections.h - every section of milterkit.conf beyond the base ones
 * SYNOPSIS
 *	#include "sections.h"
 *
 *	extern const struct mk_conf_section *const mkf_sections[];
 * DESCRIPTION
 *	mkf_sections is the NULL-ended list a program hands to mk_conf_use()
 *	first thing in main(): the file is shared, so every program (each
 *	daemon's -t, `milterkit config check`, milterkit-policyd) knows every
 *	section, and a section no one registers stays an error. A new filter
 *	defines its section in its own folder and adds one line here.
 */
#ifndef MKF_SECTIONS_H
#define MKF_SECTIONS_H

#include "mk_conf.h"

extern const struct mk_conf_section *const mkf_sections[];

#endif
