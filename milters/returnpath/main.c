/*
 * NAME
 *	milterkit-returnpath - rewrite the envelope sender of outgoing mail
 *	to a return-path address on a bounce domain
 * DESCRIPTION
 *	The chain of the one returnpath filter (filter.c), with its own
 *	section's socket, user and threads.
 * SEE ALSO
 *	milterkit-returnpath(8), milterkit-chain(8)
 */
#include "config.h"

#include "filters.h"
#include "mk_conf.h"
#include "sections.h"

int
main(int argc, char **argv)
{
	mk_conf_use(mkf_sections);
	return mk_milter_main(&rp_filter, argc, argv);
}
