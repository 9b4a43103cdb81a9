/*
 * filters.c - the list of filters (see filters.h).
 */
#include "config.h"

#include <string.h>

#include "filters.h"

const struct mk_milter_desc *const mkf_filters[] = {
	&supp_filter,
	&rp_filter,
	&rlf_filter,
	&hdr_filter,
	&dmarc_filter,
	&dkim_filter,
	NULL
};

const struct mk_milter_desc *
mkf_filter(const char *name)
{
	for (size_t i = 0; mkf_filters[i] != NULL; i++)
		if (strcmp(mkf_filters[i]->section, name) == 0)
			return mkf_filters[i];
	return NULL;
}
