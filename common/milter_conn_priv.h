/*
 * milter_conn_priv.h - the state of one milter connection, shared by
 * milter_conn.c (decoding) and milter_answer.c (what goes back); not for
 * other files.
 */
#ifndef MILTER_CONN_PRIV_H
#define MILTER_CONN_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "mk_milter_conn.h"

#define MACRO_STAGES	7	/* C H M R T E N, in this search order */

struct mk_mbuf {
	unsigned char *p;
	size_t len, cap;
};

struct mk_mconn {
	const struct mk_mconn_ops *ops;
	void *priv;
	unsigned long id;
	int negotiated;
	int in_eom;			/* header edits allowed */
	int pending;			/* an answer comes later (resume) */
	unsigned long pending_nr;	/* its stage's SMFIP_NR_* flag */
	int pending_eom;		/* it is end of message's */
	void *owner;			/* the engine's, for mk_mconn_owner() */
	int quit;			/* QUIT seen: decode nothing more */
	int port;			/* client port of CONNECT, -1: none */
	unsigned long actions;		/* agreed SMFIF_* */
	unsigned long steps;		/* agreed SMFIP_* */
	char *macros[MACRO_STAGES];	/* name\0value\0... */
	size_t maclen[MACRO_STAGES];
	char reply[1024];		/* "550 5.1.1 text" or "" */
	int in_negotiate;		/* negotiate() is running */
	const char *symlist[SMFIM_COUNT]; /* its macro lists, borrowed */
	struct mk_mbuf in, out;
	size_t in_off;			/* start of unprocessed input */
};

void mk_mbuf_reserve(struct mk_mbuf *b, size_t more);
/* The answer of a stage: none if the MTA agreed not to wait (nr). */
void mk_mconn_answer(struct mk_mconn *mc, unsigned long nr, sfsistat rc);
void mk_mconn_put_optneg(struct mk_mconn *mc, uint32_t version);

#endif
