/*
 * NAME
 *	milterkit-headers - standardize message headers before signing
 * DESCRIPTION
 *	The chain of the one headers filter (filter.c), with its own
 *	section's socket, user and threads.
 * SEE ALSO
 *	milterkit-headers(8), milterkit-chain(8)
 */
#include "config.h"

#include "filters.h"
#include "mk_conf.h"
#include "sections.h"

int
main(int argc, char **argv)
{
	mk_conf_use(mkf_sections);
	return mk_milter_main(&hdr_filter, argc, argv);
}
