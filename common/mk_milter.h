/*
 * NAME
 *	mk_milter - the skeleton every milterkit milter fills with callbacks
 * SYNOPSIS
 *	#include "mk_milter.h"
 *
 *	int	mk_milter_main(const struct mk_milter_desc *desc, int argc,
 *			char **argv);
 *	int	mk_milter_chain_main(const struct mk_milter_prog *prog,
 *			int argc, char **argv);
 *	ssize_t	mk_milter_headers(struct mk_msg *msg,
 *			const struct mk_hfield **out);
 *	int	mk_milter_addheader(struct mk_msg *msg, const char *name,
 *			const char *value);
 *	int	mk_milter_insheader(struct mk_msg *msg, size_t index,
 *			const char *name, const char *value);
 *	int	mk_milter_chgheader(struct mk_msg *msg, const char *name,
 *			size_t index, const char *value);
 *	sfsistat mk_milter_defer(struct mk_msg *msg,
 *			void (*work)(void *arg),
 *			sfsistat (*done)(struct mk_msg *msg, void *arg),
 *			void *arg);
 *	sfsistat mk_milter_pend(struct mk_msg *msg,
 *			sfsistat (*done)(struct mk_msg *msg, void *arg),
 *			void *arg, struct mk_milter_job **job);
 *	void	mk_milter_pend_finish(struct mk_milter_job *job);
 *	int	mk_milter_watch(int fd, void (*ready)(void *arg), void *arg);
 *	void	mk_milter_unwatch(int fd);
 *	const char *mk_milter_macro(const struct mk_conn *conn,
 *			const char *name);
 *	int	mk_milter_setreply(const struct mk_conn *conn,
 *			const char *rcode, const char *xcode,
 *			const char *fmt, ...);
 *	sfsistat mk_milter_on_error(struct mk_conn *conn, struct mk_msg *msg,
 *			const char *fmt, ...);
 *	sfsistat mk_milter_error_action(struct mk_conn *conn);
 *	sfsistat mk_milter_refuse(struct mk_conn *conn, sfsistat rc,
 *			const char *rcode, const char *xcode,
 *			const char *text);
 *	const char *mk_milter_qid(const struct mk_conn *conn,
 *			const struct mk_msg *msg);
 *
 * DESCRIPTION
 *	A filter is a struct mk_milter_desc: its name (program and syslog
 *	ident when served alone), its configuration section ("suppress"),
 *	the SMFIF_* actions
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
 *	Header edits at end of message go through mk_milter_addheader(),
 *	mk_milter_insheader() and mk_milter_chgheader() (below); 0 or -1.
 *	Envelope edits and the other end-of-message replies go straight to
 *	the protocol connection (mk_mconn_chgfrom(conn->mc, ...),
 *	mk_mconn_addrcpt(), mk_mconn_delrcpt(), mk_mconn_quarantine():
 *	mk_milter_conn.h).
 *
 *
 *	Chains. mk_milter_main() serves one filter: the chain of that one
 *	filter, with its own section's socket, user and threads.
 *	mk_milter_chain_main() serves the filters prog->chain() names for a
 *	configuration (milterkit-chain: [chain] filters = ...), in order, on
 *	one MTA connection; a reload may change the list (connections in
 *	progress keep theirs). Everything above holds per filter: each gets
 *	its own struct mk_conn and struct mk_msg (its state, data, section's
 *	on_error, session choice), sharing the protocol connection. What the
 *	MTA is told (milterkit-chain(8) has it for operators):
 *	- negotiation: the union of the filters' actions and macro lists;
 *	  a stage is asked for if any filter has its callback, and left
 *	  without reply only if every filter has it in no_reply (after its
 *	  session choice);
 *	- per stage, filters are called in order: the first reject, tempfail
 *	  or discard is the chain's answer and no later filter is called for
 *	  it (so a recipient refused at RCPT never reaches a later filter,
 *	  nor counts in their nrcpt); ACCEPT from a filter means it is done
 *	  with the message (from CONNECT or HELO: the session) and it is not
 *	  called again for it; the MTA hears ACCEPT only when every filter is
 *	  done, and never at RCPT (there it would accept the message with
 *	  the recipients still to come: CONTINUE);
 *	- msg->nrcpt counts the recipients the whole chain let pass.
 *	The header block (mk_hblock.h): when a filter sets header_block, the
 *	skeleton keeps the message's header fields (at most
 *	MK_MILTER_HDR_FIELDS fields and MK_MILTER_HDR_BYTES octets, beyond
 *	which a filter reading it at end of message gets -1) and applies
 *	edits made with mk_milter_addheader(), mk_milter_insheader() and
 *	mk_milter_chgheader() (the protocol's index rules, on the block as
 *	earlier filters left it); mk_milter_headers() gives a filter the
 *	block as the filters before it (and its own earlier edits) left it.
 *	Values are as the MTA sent them (with SMFIP_HDR_LEADSPC, which any
 *	filter may ask for in no_steps, the leading blank kept; the header()
 *	callback of a filter that did not ask gets the value without it).
 *	After the last filter's end-of-message callback the combined edits
 *	go to the MTA as the fewest commands (mk_hblock_emit()). Without a
 *	filter setting header_block the edit calls go straight to the MTA.
 *	Body chunks are given to the filters with a body callback, as they
 *	come.
 *
 *	Slow work. Callbacks run on event loops and must not block. At end
 *	of message a filter with blocking work to do (a synchronous DNS
 *	library, signing a large batch) returns mk_milter_defer(msg, work,
 *	done, arg): work(arg) runs on one of the [section] workers threads;
 *	then done(msg, arg) runs on the connection's loop and returns the
 *	filter's answer, exactly as its eom callback would have (header
 *	edits allowed), and the chain goes on with the next filter. Meanwhile
 *	the loop serves its other connections, the MTA gets SMFIR_PROGRESS
 *	every MK_MILTER_PROGRESS_MS, and past [section] work_timeout the
 *	filter's on_error answers (logged once) while the late work's
 *	answer is dropped. done() gets msg NULL when its answer is no longer
 *	wanted (that bound passed, the MTA left or aborted): it must then
 *	only release arg. A filter asking for it elsewhere than at end of
 *	message, or twice for one message, or when MK_MILTER_POOL_QUEUE jobs
 *	already wait, gets on_error's answer instead (done(NULL) called).
 *
 *	Asynchronous work on the loop itself (a resolver with its own fd,
 *	libunbound's ub_fd): mk_milter_watch() adds the fd to the loop the
 *	calling callback runs on (ready(arg) runs there whenever it is
 *	readable, until mk_milter_unwatch(fd) from that loop; one resolver
 *	per loop is the model: the loops are threads). At end of message a
 *	filter returns mk_milter_pend(msg, done, arg, &job): the message waits
 *	as with mk_milter_defer() (progress, work_timeout, the MTA leaving)
 *	until the filter, on the loop, calls mk_milter_pend_finish(job) once
 *	its answers are in; done(msg, arg) then gives the filter's answer
 *	(msg NULL: no longer wanted, release arg). It returns on_error's
 *	answer with *job NULL where mk_milter_defer() would refuse (done is
 *	then not called). mk_milter_pend_finish() must be called exactly once
 *	per job, even when the answer is no longer wanted. A message waiting
 *	this way when the program stops is dropped (its loop ends): the MTA
 *	gets no answer and retries.
 */
#ifndef MK_MILTER_H
#define MK_MILTER_H

#include <stddef.h>
#include "mk_milter_conn.h"

#include "mk_conf.h"
#include "mk_hblock.h"
#include "mk_log.h"
#include "mk_reply.h"
#include "mk_session.h"

#define MK_MILTER_ADDR_MAX	512	/* envelope address, with brackets */
#define MK_MILTER_QID_MAX	64
#define MK_MILTER_NAME_MAX	256	/* client name, HELO name */
#define MK_MILTER_CHAIN_MAX	16	/* filters in one chain */
#define MK_MILTER_HDR_FIELDS	100000	/* header block bounds */
#define MK_MILTER_HDR_BYTES	(32UL << 20)

struct mk_milter_snap;
struct mk_chain;

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
	struct mk_chain *chain;		/* skeleton's: the MTA connection */
	int error_logged;
	enum mk_milter_stage stage;	/* of the callback running */
	int done;			/* skeleton's: ACCEPTed the session */
};

struct mk_msg {
	struct mk_conn *conn;
	char qid[MK_MILTER_QID_MAX];	/* "" until the MTA sends {i} */
	char sender[MK_MILTER_ADDR_MAX]; /* as given, "<>" for bounces */
	unsigned nrcpt;			/* RCPT callbacks seen */
	int left_alone;			/* session not looked at, or the
					 * filter is done with the message */
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
	int header_block;		/* reads or edits the header block
					 * at end of message */
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

/* A program serving a chain (milterkit-chain). */
struct mk_milter_prog {
	const char *name;		/* program name, syslog ident */
	const char *section;		/* socket, user, threads... */
	const char *version;
	/* The filters of a configuration, in order: 0, or -1 with err. */
	int (*chain)(const struct mk_conf *conf,
	    const struct mk_milter_desc **out, size_t *n, char *err,
	    size_t errlen);
};

int mk_milter_main(const struct mk_milter_desc *desc, int argc, char **argv);
int mk_milter_chain_main(const struct mk_milter_prog *prog, int argc,
    char **argv);
ssize_t mk_milter_headers(struct mk_msg *msg, const struct mk_hfield **out);
int mk_milter_addheader(struct mk_msg *msg, const char *name,
    const char *value);
int mk_milter_insheader(struct mk_msg *msg, size_t index, const char *name,
    const char *value);
int mk_milter_chgheader(struct mk_msg *msg, const char *name, size_t index,
    const char *value);
sfsistat mk_milter_defer(struct mk_msg *msg, void (*work)(void *arg),
    sfsistat (*done)(struct mk_msg *msg, void *arg), void *arg);
struct mk_milter_job;
sfsistat mk_milter_pend(struct mk_msg *msg, sfsistat (*done)(struct mk_msg *msg,
    void *arg), void *arg, struct mk_milter_job **job);
void mk_milter_pend_finish(struct mk_milter_job *job);
int mk_milter_watch(int fd, void (*ready)(void *arg), void *arg);
void mk_milter_unwatch(int fd);
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


#endif
