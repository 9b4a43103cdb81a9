/*
 * NAME
 *	milter_edits.c - header edits of filters in a chain (mk_milter.h):
 *	kept in the header block, or sent straight to the MTA
 * DESCRIPTION
 *	mk_milter_headers() and mk_milter_addheader(), _insheader(),
 *	_chgheader() work on the chain's header block when a filter keeps
 *	it (header_block), else go to the MTA at once; mk_milter__to_mta
 *	writes the combined edits at end of message (milter_chain.c), with
 *	Postfix's insert positions.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "mk_hblock.h"
#include "mk_mem.h"
#include "mk_milter.h"
#include "milter_priv.h"

/* The combined header edits go to the MTA (ctx: the chain). Postfix
 * places an insert among the fields as delivered, its own Received (which
 * milters are not sent) first: past the top, one more. */
static int
out_add(void *ctx, const char *name, const char *value)
{
	return mk_mconn_addheader(((struct mk_chain *)ctx)->mc, name, value);
}

static int
out_insert(void *ctx, size_t index, const char *name, const char *value)
{
	struct mk_chain *ch = ctx;

	if (ch->postfix && index > 0)
		index++;
	return mk_mconn_insheader(ch->mc, (unsigned)index, name, value);
}

static int
out_change(void *ctx, const char *name, size_t index, const char *value)
{
	return mk_mconn_chgheader(((struct mk_chain *)ctx)->mc, name,
	    (unsigned)index, value);
}

const struct mk_hblock_out mk_milter__to_mta = { out_add, out_insert,
    out_change };

ssize_t
mk_milter_headers(struct mk_msg *msg, const struct mk_hfield **out)
{
	struct mk_chain *ch = msg->conn->chain;

	*out = NULL;
	if (!ch->hb_on)
		return -1;
	return mk_hblock_view(&ch->hb, out);
}

/* The value as the MTA is to store it: with SMFIP_HDR_LEADSPC agreed,
 * a value without its leading blank gets one. */
static const char *
spaced(struct mk_chain *ch, const char *value, char **tmp)
{
	size_t n;

	*tmp = NULL;
	if (!ch->leadspc || *value == ' ' || *value == '\t' || *value == '\0')
		return value;
	n = strlen(value);
	*tmp = mk_malloc(n + 2);
	(*tmp)[0] = ' ';
	memcpy(*tmp + 1, value, n + 1);
	return *tmp;
}

static int
edit(struct mk_msg *msg, int op, size_t index, const char *name,
    const char *value)
{
	struct mk_chain *ch = msg->conn->chain;
	char *tmp = NULL;
	int rc;

	if (name == NULL || *name == '\0')
		return -1;
	if (value != NULL)
		value = spaced(ch, value, &tmp);
	if (!ch->hb_on)
		rc = op == 'a' ? out_add(ch, name, value) :
		    op == 'i' ? out_insert(ch, index, name, value) :
		    out_change(ch, name, index, value);
	else
		rc = op == 'a' ? mk_hblock_add(&ch->hb, name, value) :
		    op == 'i' ? mk_hblock_insert(&ch->hb, index, name, value) :
		    mk_hblock_change(&ch->hb, name, index, value);
	free(tmp);
	return rc;
}

int
mk_milter_addheader(struct mk_msg *msg, const char *name, const char *value)
{
	return value == NULL ? -1 : edit(msg, 'a', 0, name, value);
}

int
mk_milter_insheader(struct mk_msg *msg, size_t index, const char *name,
    const char *value)
{
	return value == NULL ? -1 : edit(msg, 'i', index, name, value);
}

int
mk_milter_chgheader(struct mk_msg *msg, const char *name, size_t index,
    const char *value)
{
	return edit(msg, 'c', index, name, value);
}
