/*
 * NAME
 *	mk_milter_proto - the milter protocol's names and numbers
 * SYNOPSIS
 *	#include "mk_milter_proto.h"
 * DESCRIPTION
 *	The milter protocol (version 6, spoken by Postfix 2.6+ and Sendmail
 *	8.14+) as the MTA and a filter exchange it: packets of a 4-byte
 *	length in network order, one command or reply letter, then data.
 *	The names are the ones every milter author knows from the protocol's
 *	documentation (SMFIC_ commands, SMFIR_ replies, SMFIF_ actions,
 *	SMFIP_ protocol steps, SMFIS_ callback results), so the programs
 *	read as milters do; milterkit speaks the protocol itself
 *	(milter_engine.c) and links no milter library.
 */
#ifndef MK_MILTER_PROTO_H
#define MK_MILTER_PROTO_H

#define MK_MILTER_VERSION	6	/* protocol version spoken */

/* What a callback returns. */
typedef int sfsistat;
#define SMFIS_CONTINUE	0
#define SMFIS_REJECT	1
#define SMFIS_DISCARD	2
#define SMFIS_ACCEPT	3
#define SMFIS_TEMPFAIL	4
#define SMFIS_NOREPLY	7
#define SMFIS_SKIP	8

/* Commands, MTA to filter. */
#define SMFIC_ABORT	'A'
#define SMFIC_BODY	'B'
#define SMFIC_CONNECT	'C'
#define SMFIC_MACRO	'D'
#define SMFIC_BODYEOB	'E'
#define SMFIC_HELO	'H'
#define SMFIC_QUIT_NC	'K'
#define SMFIC_HEADER	'L'
#define SMFIC_MAIL	'M'
#define SMFIC_EOH	'N'
#define SMFIC_OPTNEG	'O'
#define SMFIC_QUIT	'Q'
#define SMFIC_RCPT	'R'
#define SMFIC_DATA	'T'
#define SMFIC_UNKNOWN	'U'

/* Replies and actions, filter to MTA. */
#define SMFIR_ADDRCPT	'+'
#define SMFIR_ADDRCPT_PAR '2'		/* with ESMTP arguments */
#define SMFIR_DELRCPT	'-'
#define SMFIR_ACCEPT	'a'
#define SMFIR_REPLBODY	'b'
#define SMFIR_CONTINUE	'c'
#define SMFIR_DISCARD	'd'
#define SMFIR_CHGFROM	'e'
#define SMFIR_ADDHEADER	'h'
#define SMFIR_INSHEADER	'i'
#define SMFIR_CHGHEADER	'm'
#define SMFIR_PROGRESS	'p'
#define SMFIR_QUARANTINE 'q'
#define SMFIR_REJECT	'r'
#define SMFIR_SKIP	's'
#define SMFIR_TEMPFAIL	't'
#define SMFIR_REPLYCODE	'y'

/* Actions a filter may take (OPTNEG, second word). */
#define SMFIF_ADDHDRS	0x01UL
#define SMFIF_CHGBODY	0x02UL
#define SMFIF_ADDRCPT	0x04UL
#define SMFIF_DELRCPT	0x08UL
#define SMFIF_CHGHDRS	0x10UL
#define SMFIF_QUARANTINE 0x20UL
#define SMFIF_CHGFROM	0x40UL
#define SMFIF_ADDRCPT_PAR 0x80UL
#define SMFIF_SETSYMLIST 0x100UL	/* the filter names the macros it wants */

/* Stages whose macro lists a filter may name (SMFIF_SETSYMLIST). */
#define SMFIM_CONNECT	0
#define SMFIM_HELO	1
#define SMFIM_ENVFROM	2
#define SMFIM_ENVRCPT	3
#define SMFIM_DATA	4
#define SMFIM_EOM	5
#define SMFIM_EOH	6
#define SMFIM_COUNT	7

/* Protocol steps (OPTNEG, third word): stages not sent, stages not
 * answered. */
#define SMFIP_NOCONNECT	0x01UL
#define SMFIP_NOHELO	0x02UL
#define SMFIP_NOMAIL	0x04UL
#define SMFIP_NORCPT	0x08UL
#define SMFIP_NOBODY	0x10UL
#define SMFIP_NOHDRS	0x20UL
#define SMFIP_NOEOH	0x40UL
#define SMFIP_NR_HDR	0x80UL
#define SMFIP_NOUNKNOWN	0x100UL
#define SMFIP_NODATA	0x200UL
#define SMFIP_SKIP	0x400UL
#define SMFIP_RCPT_REJ	0x800UL
#define SMFIP_NR_CONN	0x1000UL
#define SMFIP_NR_HELO	0x2000UL
#define SMFIP_NR_MAIL	0x4000UL
#define SMFIP_NR_RCPT	0x8000UL
#define SMFIP_NR_DATA	0x10000UL
#define SMFIP_NR_UNKN	0x20000UL
#define SMFIP_NR_EOH	0x40000UL
#define SMFIP_NR_BODY	0x80000UL
#define SMFIP_HDR_LEADSPC 0x100000UL

#endif
