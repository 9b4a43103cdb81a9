/*
 * NAME
 *	milterkit-suppress - reject suppressed recipients at RCPT
 * DESCRIPTION
 *	The chain of the one suppress filter (filter.c), with its own
 *	section's socket, user and threads.
 * SEE ALSO
 *	milterkit-suppress(8), milterkit-chain(8)
 */
#include "config.h"

#include "filters.h"
#include "mk_conf.h"
#include "sections.h"

int
main(int argc, char **argv)
{
	mk_conf_use(mkf_sections);
	return mk_milter_main(&supp_filter, argc, argv);
}
