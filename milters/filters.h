/*
 * NAME
 *	filters.h - the filters milterkit-chain can host
 * SYNOPSIS
 *	#include "filters.h"
 *
 *	extern const struct mk_milter_desc *const mkf_filters[];
 *	const struct mk_milter_desc *mkf_filter(const char *name);
 * DESCRIPTION
 *	Each filter lives in its folder (milters/NAME/) with its descriptor
 *	(NAME_filter), its configuration section and its logic; its own
 *	program (milterkit-NAME) serves it alone. mkf_filters lists them all,
 *	NULL-ended; mkf_filter() finds one by its section name, or NULL.
 *	A new filter adds one line here and one in filters.c.
 */
#ifndef FILTERS_H
#define FILTERS_H

#include "mk_milter.h"

extern const struct mk_milter_desc supp_filter;
extern const struct mk_milter_desc hdr_filter;
extern const struct mk_milter_desc dkim_filter;
extern const struct mk_milter_desc dmarc_filter;
extern const struct mk_milter_desc rp_filter;
extern const struct mk_milter_desc rlf_filter;

extern const struct mk_milter_desc *const mkf_filters[];
const struct mk_milter_desc *mkf_filter(const char *name);

#endif
