/*
 * NAME
 *	mk_milter - the skeleton every milterkit milter fills with callbacks
 * SYNOPSIS
 *	#include "mk_milter.h"
 *
 *	int	mk_milter_main(const struct mk_milter_desc *desc, int argc,
 *			char **argv);
 *	const char *mk_milter_macro(const struct mk_conn *conn,
 *			const char *name);
 *	int	mk_milter_setreply(const struct mk_conn *conn,
 *			const char *rcode, const char *xcode,
 *			const char *fmt, ...);
 *	sfsistat mk_milter_on_error(struct mk_conn *conn, struct mk_msg *msg,
 *			const char *fmt, ...);
 *	sfsistat mk_milter_error_action(struct mk_conn *conn);
sfsistat mk_milter_refuse(struct mk_conn *conn, sfsistat rc, const char *rcode,
    const char *xcode, const char *text);
 *	sfsistat mk_milter_refuse(struct mk_conn *conn, sfsistat rc,
 *			const char *rcode, const char *xcode,
 *			const char *text);
 *	const char *mk_milter_qid(const struct mk_conn *conn,
 *			const struct mk_msg *msg);
 *
 *	(start-up internals shared by milter.c and milter_main.c)
 *	const struct mk_mconn_ops *mk_milter_ops(
 *			const struct mk_milter_desc *desc);
 *	void	mk_milter_snap_install(struct mk_conf *conf, void *state);
 *	void	mk_milter_snap_release_current(void);
 *	unsigned long mk_milter_no_steps(
 *			const struct mk_milter_desc *desc);
 * DESCRIPTION
 *	A milter is a struct mk_milter_desc: its name (program and syslog
 *	ident), its configuration section ("suppress"), the SMFIF_* actions
 *	it may take, the SMFIP_NO* steps it does not need, an init()/fini()
 *	pair that builds and releases program state for one configuration,
 *	and callbacks. A NULL callback's stage is negotiated away with the
 *	MTA (mk_milter_no_steps()), so a milter that only needs RCPT
 *	is sent no headers and no body. CONNECT and MAIL are always asked
 *	for: the skeleton needs the client address and the sender. A program
 *	that never refuses at CONNECT, MAIL, RCPT or a header says so in
 *	no_reply (SMFIP_NR_CONN, _MAIL, _RCPT, _HDR): the MTA then does not
 *	wait for an answer there, a round trip fewer per stage (per header
 *	field: about twenty per message). Should the skeleton itself have to
 *	refuse in such a stage (a sender address longer than
 *	MK_MILTER_ADDR_MAX: "553 5.1.7 Sender address too long"), the
 *	refusal and its reply are given at the next stage that answers
 *	(RCPT, end of message); a program refuses at end of message what it
 *	found earlier, or through mk_milter_refuse(), which defers the same
 *	way.
 *	A program leaves a session or a message alone by answering
 *	SMFIS_ACCEPT at CONNECT or MAIL: the MTA then stops calling the
 *	milter for it (Postfix closes the milter connection after an accept
 *	at CONNECT, and after an accept at MAIL its cleanup server skips the
 *	milter at end of message), which spares the MTA nearly all it spends
 *	on a milter. In a no-reply stage the accept cannot reach the MTA; it
 *	is dropped, and the program must pass what follows untouched itself.
 *	The skeleton does that for the program's session choice, given by
 *	sessions(state) (struct mk_session_choice of mk_session.h): with
 *	"networks" alone, CONNECT is answered and a client outside them is
 *	accepted there; with "authenticated" among the choices, MAIL is
 *	answered and a message without a login ({auth_authen}, which the
 *	program lists in macros[SMFIM_ENVFROM]) is accepted there; with all
 *	sessions, neither. Both are logged at debug level. A message left
 *	alone reaches no program callback at all, even where the MTA keeps
 *	sending its stages (an accept dropped in a no-reply stage).
 *	A program names the macros it reads in macros[], per stage
 *	(SMFIM_ENVFROM: "i {auth_authen}"), the skeleton's "i" included: the
 *	MTA is asked for these only (SMFIF_SETSYMLIST), which spares Postfix
 *	computing and sending its default lists at every stage.
 *
 *	Callbacks get skeleton contexts. struct mk_conn lives from connect
 *	to close and carries the stage being called back (conn->stage), the
 *	client address (from the connect callback's
 *	hostaddr, which Postfix sends while it does not send {client_addr}),
 *	the client name, the HELO name, the configuration snapshot and
 *	program state current when the connection began (a SIGHUP reload
 *	never changes them under a running connection) and program data.
 *	struct mk_msg lives from MAIL to end-of-message or abort and carries
 *	the queue id ({i}, filled in as soon as the MTA sends it), the
 *	envelope sender and program data. Programs release their data in
 *	msg_free()/conn_free(); the skeleton frees the contexts.
 *
 *	mk_milter_main() runs the program: flags -c FILE, -f, -t, -V, -h,
 *	-p SOCKET, -P PIDFILE, -u USER; returns the process exit status.
 *	mk_milter_macro() returns a macro value (borrowed, valid during the
 *	callback) or NULL. mk_milter_setreply() sets the SMTP reply of the
 *	current step, making the text printable; 0 or -1.
 *	mk_milter_on_error() handles an internal failure: it logs the cause
 *	once for the message (or connection) with the queue id and returns
 *	the section's on_error action for the stage the callback runs in
 *	(conn->stage, kept by the skeleton): on_error = tempfail gives
 *	SMFIS_TEMPFAIL with the reply "451 4.3.0 ..." (at RCPT for that
 *	recipient only); on_error = accept gives SMFIS_CONTINUE at RCPT
 *	(this recipient passes unchecked, the next ones are still checked:
 *	an accept there would accept the whole message, and the MTA would
 *	stop calling the milter for its later recipients) and SMFIS_ACCEPT
 *	elsewhere. mk_milter_error_action() is the same answer without the
 *	log line, for milters that log each decision themselves.
 *	mk_milter_refuse() refuses in the current stage with the reply
 *	rcode xcode text and returns what the callback returns: rc, or in a
 *	stage negotiated without reply SMFIS_NOREPLY, the refusal then
 *	waiting with its reply for the next stage that answers (the first
 *	one of a message stands). The reply text is at most
 *	MK_REPLY_TEXT_MAX octets, the bound of configured reply texts
 *	(mk_reply.h); a longer one is an invariant broken: logged at error
 *	level, and the refusal goes without its reply rather than with a
 *	cut one. mk_milter_setreply() holds texts to the same bound.
 *	mk_milter_qid() returns the queue id known so far, or "NOQUEUE".
 *	mk_milter_client_text() writes the client as log lines show it,
 *	"name[addr]", or "[addr]" alone when the MTA had no name for it
 *	(Postfix sends "[addr]" as the name then); returns out. The
 *	skeleton keeps it in conn->client.
 *
 *	Mail that did not come through the MTA's SMTP server (Postfix's
 *	sendmail(1) and pickup path: its cleanup emulates a connection from
 *	localhost, port 0) sets conn->local. A program with smtp_only set
 *	has such messages left alone at MAIL, with an info line saying so:
 *	Postfix cannot refuse one recipient of a local submission (it keeps
 *	the whole message in the maildrop and retries it for ever).
 *	Header edits at end of message go through the protocol connection:
 *	mk_mconn_addheader(conn->mc, ...), mk_mconn_insheader(),
 *	mk_mconn_chgheader() (mk_milter_conn.h).
 *
 *	mk_milter_ops() gives the protocol callbacks (milter_conn.c) that
 *	run a program described by desc; milter_main.c serves them.
 */
#ifndef MK_MILTER_H
#define MK_MILTER_H

#include <stddef.h>
#include "mk_milter_conn.h"

#include "mk_conf.h"
#include "mk_log.h"
#include "mk_reply.h"
#include "mk_session.h"

#define MK_MILTER_ADDR_MAX	512	/* envelope address, with brackets */
#define MK_MILTER_QID_MAX	64
#define MK_MILTER_NAME_MAX	256	/* client name, HELO name */

struct mk_milter_snap;

/* The stage a program's callback runs in (struct mk_conn's stage). */
enum mk_milter_stage {
	MK_STAGE_NONE, MK_STAGE_CONNECT, MK_STAGE_HELO, MK_STAGE_MAIL,
	MK_STAGE_RCPT, MK_STAGE_HEADER, MK_STAGE_EOH, MK_STAGE_BODY,
	MK_STAGE_EOM
};

struct mk_conn {
	struct mk_mconn *mc;		/* the protocol connection */
	const struct mk_conf *conf;	/* snapshot this connection uses */
	const struct mk_conf_daemon *daemon; /* its section in conf */
	void *state;			/* program state built by init() */
	char addr[64];			/* "192.0.2.1", "2001:db8::1", "local" */
	char name[MK_MILTER_NAME_MAX];	/* client name ("[192.0.2.1]" if none) */
	char client[MK_MILTER_NAME_MAX + 72]; /* for logs: "name[addr]", or
					 * "[addr]" when the name is none */
	int local;			/* not from SMTP: Postfix's sendmail(1)
					 * and pickup (CONNECT from port 0) */
	char helo[MK_MILTER_NAME_MAX];
	void *data;			/* program data, freed by conn_free() */
	struct mk_msg *msg;		/* message in progress or NULL */
	struct mk_milter_snap *snap;	/* skeleton's: reference on conf */
	int error_logged;
	enum mk_milter_stage stage;	/* of the callback running */
	unsigned long nr;		/* SMFIP_NR_* the MTA agreed to */
	sfsistat deferred;		/* refusal of a no-reply stage */
	int deferred_msg;		/* it came from MAIL on: this message */
	struct mk_reply dreply;		/* its reply; rcode "": none */
};

struct mk_msg {
	struct mk_conn *conn;
	char qid[MK_MILTER_QID_MAX];	/* "" until the MTA sends {i} */
	char sender[MK_MILTER_ADDR_MAX]; /* as given, "<>" for bounces */
	unsigned nrcpt;			/* RCPT callbacks seen */
	int left_alone;			/* session not looked at */
	void *data;			/* program data, freed by msg_free() */
	int error_logged;
};

struct mk_milter_desc {
	const char *name;		/* program name, syslog ident */
	const char *section;		/* configuration section */
	const char *version;
	unsigned long flags;		/* SMFIF_* actions */
	unsigned long no_steps;		/* extra SMFIP_NO* steps to skip */
	unsigned long no_reply;		/* SMFIP_NR_CONN, _MAIL, _RCPT,
					 * _HDR: stages the program never
					 * refuses */
	const char *macros[SMFIM_COUNT]; /* macros read, by SMFIM_ stage;
					 * all NULL: take what the MTA
					 * sends */
	int smtp_only;			/* leave alone every message that
					 * did not come through SMTP
					 * (conn->local) */
	int (*init)(const struct mk_conf *conf, void **state, char *err,
	    size_t errlen);
	void (*fini)(void *state);
	/* the sessions looked at; NULL: all */
	const struct mk_session_choice *(*sessions)(const void *state);
	sfsistat (*connect)(struct mk_conn *conn);
	sfsistat (*helo)(struct mk_conn *conn, const char *helo);
	sfsistat (*mail)(struct mk_msg *msg, char **argv);
	sfsistat (*rcpt)(struct mk_msg *msg, char **argv);
	sfsistat (*header)(struct mk_msg *msg, const char *name,
	    const char *value);
	sfsistat (*eoh)(struct mk_msg *msg);
	sfsistat (*body)(struct mk_msg *msg, const unsigned char *chunk,
	    size_t len);
	sfsistat (*eom)(struct mk_msg *msg);
	void (*msg_free)(struct mk_msg *msg);
	void (*conn_free)(struct mk_conn *conn);
};

int mk_milter_main(const struct mk_milter_desc *desc, int argc, char **argv);
const char *mk_milter_macro(const struct mk_conn *conn, const char *name);
int mk_milter_setreply(const struct mk_conn *conn, const char *rcode,
    const char *xcode, const char *fmt, ...) MK_PRINTF(4, 5);
sfsistat mk_milter_on_error(struct mk_conn *conn, struct mk_msg *msg,
    const char *fmt, ...) MK_PRINTF(3, 4);
sfsistat mk_milter_error_action(struct mk_conn *conn);
sfsistat mk_milter_refuse(struct mk_conn *conn, sfsistat rc, const char *rcode,
    const char *xcode, const char *text);
const char *mk_milter_qid(const struct mk_conn *conn, const struct mk_msg *msg);
char *mk_milter_client_text(const char *name, const char *addr, char *out,
    size_t outlen);

const struct mk_mconn_ops *mk_milter_ops(const struct mk_milter_desc *desc);
void mk_milter_snap_install(struct mk_conf *conf, void *state);
void mk_milter_snap_release_current(void);
unsigned long mk_milter_no_steps(const struct mk_milter_desc *desc);

#endif
