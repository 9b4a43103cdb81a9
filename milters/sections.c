/*
 * sections.c - the list of the sections programs register (see
 * sections.h).
 */
#include "config.h"

#include <stddef.h>

#include "chain/chain_conf.h"
#include "dkim/dkim_conf.h"
#include "dmarc/dmarc_conf.h"
#include "headers/headers_conf.h"
#include "../policyd/policyd_conf.h"
#include "../tools/ingest_conf.h"
#include "ratelimit/rl_conf.h"
#include "returnpath/returnpath_conf.h"
#include "sections.h"
#include "suppress/suppress_conf.h"
#include "../unsubd/unsubd_conf.h"

const struct mk_conf_section *const mkf_sections[] = {
	&chain_conf_section,
	&supp_conf_section,
	&hdr_conf_section,
	&dmarc_conf_section,
	&dkim_conf_section,
	&rp_conf_section,
	&rlf_conf_section,
	&policyd_conf_section,
	&ingest_conf_section,
	&unsubd_conf_section,
	NULL
};
