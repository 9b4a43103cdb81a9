/*
 * NAME
 *	milterkit-chain - the filters of [chain] on one MTA connection
 * DESCRIPTION
 *	Serves the filters [chain] filters names (chain_conf.h), in that
 *	order, through the skeleton's chain (mk_milter.h, "Chains"): the MTA
 *	pays for one milter whatever the number of filters. Each filter
 *	keeps its own section for its settings (replies, check, on_error,
 *	rules); [chain] has the socket, user, threads and timeout. A reload
 *	may change the list: connections in progress keep the chain they
 *	began with.
 * SEE ALSO
 *	milterkit-chain(8), filters.h
 */
#include "config.h"

#include <stdio.h>

#include "chain_conf.h"
#include "filters.h"
#include "mk_conf.h"
#include "mk_list.h"
#include "sections.h"

/* The filters of [chain], in order (the section's check already
 * refused unknown names and repeats; looked up again all the same). */
static int
chain_filters(const struct mk_conf *conf, const struct mk_milter_desc **out,
    size_t *n, char *err, size_t errlen)
{
	struct mk_list l;
	char name[64];
	int rc;

	*n = 0;
	mk_list_init(&l, chain_conf(conf)->filters, sizeof(name) - 1,
	    MK_MILTER_CHAIN_MAX, "filters");
	while ((rc = mk_list_next(&l, err, errlen)) > 0) {
		snprintf(name, sizeof(name), "%.*s", (int)l.len, l.item);
		if ((out[*n] = mkf_filter(name)) == NULL) {
			snprintf(err, errlen, "[chain] filters: unknown filter "
			    "\"%s\"", name);
			return -1;
		}
		(*n)++;
	}
	if (rc < 0)
		return -1;
	if (*n == 0) {
		snprintf(err, errlen, "[chain] filters: no filter named");
		return -1;
	}
	return 0;
}

static const struct mk_milter_prog chain_prog = {
	.name = "milterkit-chain",
	.section = "chain",
	.version = PACKAGE_VERSION,
	.chain = chain_filters,
};

int
main(int argc, char **argv)
{
	mk_conf_use(mkf_sections);
	return mk_milter_chain_main(&chain_prog, argc, argv);
}
