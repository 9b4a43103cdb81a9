/*
 * NAME
 *	milterkit-dmarc - SPF, DKIM verification and DMARC of incoming mail
 * DESCRIPTION
 *	The chain of the one dmarc filter (filter.c), with its own section's
 *	socket, user, threads and workers.
 * SEE ALSO
 *	milterkit-dmarc(8), milterkit-chain(8)
 */
#include "config.h"

#include "filters.h"
#include "mk_conf.h"
#include "sections.h"

int
main(int argc, char **argv)
{
	mk_conf_use(mkf_sections);
	return mk_milter_main(&dmarc_filter, argc, argv);
}
