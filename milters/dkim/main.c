/*
 * NAME
 *	milterkit-dkim - DKIM signing (RSA and Ed25519), last in the chain
 * DESCRIPTION
 *	The chain of the one dkim filter (filter.c), with its own section's
 *	socket, user and threads.
 * SEE ALSO
 *	milterkit-dkim(8), milterkit-chain(8)
 */
#include "config.h"

#include "filters.h"
#include "mk_conf.h"
#include "sections.h"

int
main(int argc, char **argv)
{
	mk_conf_use(mkf_sections);
	return mk_milter_main(&dkim_filter, argc, argv);
}
