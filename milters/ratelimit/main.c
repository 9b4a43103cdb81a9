/*
 * NAME
 *	milterkit-ratelimit - the [ratelimit NAME] rate limits as a milter,
 *	for MTAs without Postfix's policy protocol (Sendmail)
 * DESCRIPTION
 *	The chain of the one rate-limit filter (filter.c), with its own
 *	section's ([rlimit]) socket, user and threads.
 * SEE ALSO
 *	milterkit-ratelimit(8), milterkit-chain(8), milterkit-policyd(8)
 */
#include "config.h"

#include "filters.h"
#include "mk_conf.h"
#include "sections.h"

int
main(int argc, char **argv)
{
	mk_conf_use(mkf_sections);
	return mk_milter_main(&rlf_filter, argc, argv);
}
