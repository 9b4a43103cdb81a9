/*
 * NAME
 *	mk_milter_conn - one MTA connection speaking the milter protocol
 * SYNOPSIS
 *	#include "mk_milter_conn.h"
 *
 *	struct mk_mconn *mk_mconn_new(const struct mk_mconn_ops *ops,
 *			unsigned long id);
 *	void	mk_mconn_free(struct mk_mconn *mc);
 *	void	*mk_mconn_inspace(struct mk_mconn *mc, size_t *len);
 *	int	mk_mconn_received(struct mk_mconn *mc, size_t n);
 *	int	mk_mconn_feed(struct mk_mconn *mc, const void *buf, size_t n);
 *	const void *mk_mconn_output(const struct mk_mconn *mc, size_t *len);
 *	void	mk_mconn_sent(struct mk_mconn *mc, size_t n);
 *
 *	void	*mk_mconn_priv(const struct mk_mconn *mc);
 *	void	mk_mconn_setpriv(struct mk_mconn *mc, void *priv);
 *	unsigned long mk_mconn_id(const struct mk_mconn *mc);
 *	unsigned long mk_mconn_proto(const struct mk_mconn *mc);
 *	int	mk_mconn_client_port(const struct mk_mconn *mc);
 *	const char *mk_mconn_macro(const struct mk_mconn *mc,
 *			const char *name);
 *	int	mk_mconn_setsymlist(struct mk_mconn *mc, int stage,
 *			const char *names);
 *	int	mk_mconn_setreply(struct mk_mconn *mc, const char *rcode,
 *			const char *xcode, const char *text);
 *	int	mk_mconn_addheader(struct mk_mconn *mc, const char *name,
 *			const char *value);
 *	int	mk_mconn_insheader(struct mk_mconn *mc, unsigned idx,
 *			const char *name, const char *value);
 *	int	mk_mconn_chgheader(struct mk_mconn *mc, const char *name,
 *			unsigned idx, const char *value);
 *	int	mk_mconn_chgfrom(struct mk_mconn *mc, const char *from,
 *			const char *args);
 *	int	mk_mconn_addrcpt(struct mk_mconn *mc, const char *rcpt,
 *			const char *args);
 *	int	mk_mconn_delrcpt(struct mk_mconn *mc, const char *rcpt);
 *	int	mk_mconn_quarantine(struct mk_mconn *mc, const char *reason);
 *	int	mk_mconn_progress(struct mk_mconn *mc);
 *	void	mk_mconn_resume(struct mk_mconn *mc, sfsistat rc);
 *	int	mk_mconn_pending(const struct mk_mconn *mc);
 *	void	*mk_mconn_owner(const struct mk_mconn *mc);
 *	void	mk_mconn_setowner(struct mk_mconn *mc, void *owner);
 *	int	mk_mconn_setmlreply(struct mk_mconn *mc, const char *rcode,
 *			const char *xcode, const char *const *lines);
 * DESCRIPTION
 *	The protocol side of one connection, without sockets: bytes go in
 *	(mk_mconn_inspace() then mk_mconn_received(), or mk_mconn_feed()),
 *	whole packets are decoded and handed to the callbacks in ops, and
 *	the answers queue up as bytes to send (mk_mconn_output(), then
 *	mk_mconn_sent() with what was written). milter_engine.c moves the
 *	bytes; tests and the fuzz target drive a connection directly.
 *	While MK_MCONN_OUT_HIGH octets or more wait to be sent, decoding
 *	pauses: new input is kept, not decoded, and the caller should stop
 *	reading; once mk_mconn_sent() has brought the output below the
 *	bound, mk_mconn_received(mc, 0) decodes what waits. The output thus
 *	stays under the bound plus the answers to one command.
 *
 *	The callbacks follow the protocol's stages. negotiate() gets the
 *	actions and steps the MTA offers and chooses ours (a subset), or
 *	returns -1 to drop the connection. connect() gets the client's host
 *	name and address as text ("192.0.2.1", "2001:db8::1", "local" for a
 *	local or unknown family, "unknown" when the MTA sent something that
 *	is not an address); mk_mconn_client_port() then gives the client's
 *	port (0 to 65535; -1 before CONNECT or for a local family). Postfix
 *	sends port 0 for mail that did not come through smtpd(8) (sendmail(1)
 *	and the pickup service: its cleanup emulates a connection from
 *	localhost). MAIL and RCPT get their arguments as a
 *	NULL-terminated argv (address first). A NULL callback means
 *	"continue". Strings are borrowed for the call. A stage the MTA
 *	agreed not to wait for (SMFIP_NR_*) gets no answer whatever its
 *	callback returns; SMFIS_NOREPLY elsewhere answers "continue". A
 *	REJECT or TEMPFAIL with a reply set by mk_mconn_setreply() whose code
 *	class matches is sent as that reply.
 *
 *	mk_mconn_setsymlist(), called from negotiate(), names the macros
 *	the filter wants at one stage (SMFIM_CONNECT ... SMFIM_EOH; names
 *	separated by spaces, "" for none; the string is borrowed for the
 *	call). When the MTA offers SMFIF_SETSYMLIST the lists go with the
 *	OPTNEG answer and the MTA sends only those macros: Postfix then
 *	sends none at the stages not named, Sendmail its configured ones.
 *	An MTA that does not offer it gets no lists and sends what it is
 *	configured to send.
 *	mk_mconn_macro() finds a macro the MTA defined for the current
 *	connection or message ("i" and "{i}" are the same name); the
 *	value is borrowed until the next packet. Message macros (those of
 *	MAIL and later stages) are dropped at the next MAIL, at ABORT and
 *	after end of message, so a message never sees the previous one's;
 *	those of CONNECT and HELO last until the session ends.
 *	The header edits are only valid during the eom() callback and only
 *	when negotiated (SMFIF_ADDHDRS, SMFIF_CHGHDRS); a NULL value in
 *	mk_mconn_chgheader() deletes the field. They return 0 or -1.
 *	So are the envelope edits, each only when its action was agreed:
 *	mk_mconn_chgfrom() (SMFIF_CHGFROM; args: the ESMTP arguments of
 *	MAIL, or NULL), mk_mconn_addrcpt() (SMFIF_ADDRCPT, or with args
 *	SMFIF_ADDRCPT_PAR), mk_mconn_delrcpt() (SMFIF_DELRCPT; the address
 *	as the MTA gave it) and mk_mconn_quarantine() (SMFIF_QUARANTINE; a
 *	reason is required). Addresses and arguments may not hold CR or LF.
 *	mk_mconn_progress() tells the MTA to keep waiting (SMFIR_PROGRESS);
 *	it may be sent while any answer is due, so a filter waiting for
 *	slow work keeps the MTA's timeout from firing.
 *	A callback may return MK_SMFIS_PENDING: its answer comes later.
 *	Decoding then stops (input is kept; the caller should stop reading)
 *	until mk_mconn_resume() gives the answer, with the stage's rules
 *	(no answer in a no-reply stage); at end of message the header and
 *	envelope edits stay allowed and the message's macros readable until
 *	then. mk_mconn_pending() tells whether an answer is awaited; the
 *	caller then keeps the MTA waiting with mk_mconn_progress(), and
 *	calls mk_mconn_received(mc, 0) after the resume to decode what
 *	waits. mk_mconn_setowner()/mk_mconn_owner() keep a pointer for the
 *	code that moves the bytes (the engine's connection).
 *	mk_mconn_setmlreply() sets a multi-line reply, like
 *	mk_mconn_setreply() (same codes, the same use by the next REJECT or
 *	TEMPFAIL) with one text per line, at most MK_MCONN_MLREPLY_LINES
 *	lines; it is sent as "550-5.7.1 first" CRLF ... "550 5.7.1 last",
 *	as Postfix and Sendmail pass it on; 0, or -1 (bad codes, no or too
 *	many lines, a line with CR or LF, too long in all).
 * DIAGNOSTICS
 *	mk_mconn_received() and mk_mconn_feed() return MK_MCONN_OK,
 *	MK_MCONN_DONE after QUIT (send what is queued, then close; what
 *	follows QUIT, in the same read or later, is dropped undecoded and
 *	every later call returns MK_MCONN_DONE again) or
 *	MK_MCONN_ERROR after a protocol error, which they log with its cause
 *	(the connection must then be closed). mk_mconn_free() calls close()
 *	for a connection that negotiated.
 */
#ifndef MK_MILTER_CONN_H
#define MK_MILTER_CONN_H

#include <stddef.h>

#include "mk_milter_proto.h"

/* Largest packet accepted: the protocol's biggest negotiable chunk (1 MiB)
 * plus room for a header field's name. */
#define MK_MCONN_MAX_PACKET	((1U << 20) + 4096)

/* Unsent answers past which decoding pauses (and the engine stops reading
 * the connection) until they drain below. */
#define MK_MCONN_OUT_HIGH	(256U * 1024)

/* Most lines of a multi-line reply (as libmilter allows). */
#define MK_MCONN_MLREPLY_LINES	32

/* Longest macro list mk_mconn_setsymlist() takes. */
#define MK_MCONN_SYMLIST_MAX	1024

#define MK_MCONN_OK	0
#define MK_MCONN_DONE	1
#define MK_MCONN_ERROR	(-1)

/* A callback's answer that comes later (mk_mconn_resume()). */
#define MK_SMFIS_PENDING	100

struct mk_mconn;

struct mk_mconn_ops {
	int (*negotiate)(struct mk_mconn *mc, unsigned long mta_actions,
	    unsigned long mta_steps, unsigned long *actions,
	    unsigned long *steps);
	sfsistat (*connect)(struct mk_mconn *mc, const char *host,
	    const char *addr);
	sfsistat (*helo)(struct mk_mconn *mc, const char *helo);
	sfsistat (*envfrom)(struct mk_mconn *mc, char **argv);
	sfsistat (*envrcpt)(struct mk_mconn *mc, char **argv);
	sfsistat (*header)(struct mk_mconn *mc, const char *name,
	    const char *value);
	sfsistat (*eoh)(struct mk_mconn *mc);
	sfsistat (*body)(struct mk_mconn *mc, const unsigned char *chunk,
	    size_t len);
	sfsistat (*eom)(struct mk_mconn *mc);
	void (*abort)(struct mk_mconn *mc);
	void (*close)(struct mk_mconn *mc);
	/* the engine's: an answer has been pending for ms milliseconds */
	void (*pending_tick)(struct mk_mconn *mc, long long ms);
};

struct mk_mconn *mk_mconn_new(const struct mk_mconn_ops *ops,
    unsigned long id);
void mk_mconn_free(struct mk_mconn *mc);
void *mk_mconn_inspace(struct mk_mconn *mc, size_t *len);
int mk_mconn_received(struct mk_mconn *mc, size_t n);
int mk_mconn_feed(struct mk_mconn *mc, const void *buf, size_t n);
const void *mk_mconn_output(const struct mk_mconn *mc, size_t *len);
void mk_mconn_sent(struct mk_mconn *mc, size_t n);

void *mk_mconn_priv(const struct mk_mconn *mc);
void mk_mconn_setpriv(struct mk_mconn *mc, void *priv);
unsigned long mk_mconn_id(const struct mk_mconn *mc);
unsigned long mk_mconn_proto(const struct mk_mconn *mc);
int mk_mconn_client_port(const struct mk_mconn *mc);
const char *mk_mconn_macro(const struct mk_mconn *mc, const char *name);
int mk_mconn_setsymlist(struct mk_mconn *mc, int stage, const char *names);
int mk_mconn_setreply(struct mk_mconn *mc, const char *rcode,
    const char *xcode, const char *text);
int mk_mconn_addheader(struct mk_mconn *mc, const char *name,
    const char *value);
int mk_mconn_insheader(struct mk_mconn *mc, unsigned idx, const char *name,
    const char *value);
int mk_mconn_chgfrom(struct mk_mconn *mc, const char *from, const char *args);
int mk_mconn_addrcpt(struct mk_mconn *mc, const char *rcpt, const char *args);
int mk_mconn_delrcpt(struct mk_mconn *mc, const char *rcpt);
int mk_mconn_quarantine(struct mk_mconn *mc, const char *reason);
int mk_mconn_progress(struct mk_mconn *mc);
void mk_mconn_resume(struct mk_mconn *mc, sfsistat rc);
int mk_mconn_pending(const struct mk_mconn *mc);
void *mk_mconn_owner(const struct mk_mconn *mc);
void mk_mconn_setowner(struct mk_mconn *mc, void *owner);
int mk_mconn_setmlreply(struct mk_mconn *mc, const char *rcode,
    const char *xcode, const char *const *lines);
int mk_mconn_chgheader(struct mk_mconn *mc, const char *name, unsigned idx,
    const char *value);

#endif
