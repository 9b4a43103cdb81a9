/*
 * NAME
 *	milter_conn.c - the milter protocol of one connection, without
 *	sockets (mk_milter_conn.h)
 * DESCRIPTION
 *	Input accumulates in a buffer; every whole packet (4-byte length,
 *	command letter, data) is checked, decoded and dispatched, answers
 *	are appended to the output buffer in order. Every field the MTA
 *	sends is checked before use: a packet that is empty or larger than
 *	MK_MCONN_MAX_PACKET, a command before OPTNEG, an unknown command,
 *	strings without their NUL, a CONNECT without family or an OPTNEG
 *	of fewer than 12 bytes are protocol errors, logged with their cause.
 *	Nothing after QUIT is decoded, even what came in the same read.
 *	Decoding pauses while MK_MCONN_OUT_HIGH octets of answers or more
 *	wait to be sent, so a peer that sends without reading cannot grow
 *	the output without bound.
 *	Macros are kept per stage; a message's (MAIL on) end with it (end of
 *	message, ABORT, the next MAIL), the connection's with the session.
 *	What goes back to the MTA (answers, header edits, the OPTNEG
 *	answer) is built in milter_answer.c.
 * SEE ALSO
 *	milter_engine.c (sockets and threads), milter.c (the skeleton's
 *	callbacks).
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mk_log.h"
#include "mk_mem.h"
#include "mk_milter_conn.h"
#include "milter_conn_priv.h"

#define FIRST_MSG_STAGE	2	/* M: stages from here belong to a message */
#define MAX_ARGS	64	/* MAIL/RCPT arguments */
#define IN_CHUNK	8192	/* free space offered to each read */

static const char stage_letters[MACRO_STAGES] = "CHMRTEN";

/* ---- life cycle ------------------------------------------------------------ */

struct mk_mconn *
mk_mconn_new(const struct mk_mconn_ops *ops, unsigned long id)
{
	struct mk_mconn *mc = mk_calloc(1, sizeof(*mc));

	mc->ops = ops;
	mc->id = id;
	mc->port = -1;
	return mc;
}

static void
macros_clear(struct mk_mconn *mc, int from)
{
	for (int i = from; i < MACRO_STAGES; i++) {
		free(mc->macros[i]);
		mc->macros[i] = NULL;
		mc->maclen[i] = 0;
	}
}

/* End of a session (QUIT, QUIT_NC or a dropped connection). */
static void
session_end(struct mk_mconn *mc)
{
	if (mc->negotiated && mc->ops->close != NULL)
		mc->ops->close(mc);
	mc->priv = NULL;
	macros_clear(mc, 0);
}

void
mk_mconn_free(struct mk_mconn *mc)
{
	if (mc == NULL)
		return;
	session_end(mc);
	free(mc->in.p);
	free(mc->out.p);
	free(mc);
}

void *mk_mconn_priv(const struct mk_mconn *mc) { return mc->priv; }
void mk_mconn_setpriv(struct mk_mconn *mc, void *priv) { mc->priv = priv; }
unsigned long mk_mconn_id(const struct mk_mconn *mc) { return mc->id; }
unsigned long mk_mconn_proto(const struct mk_mconn *mc) { return mc->steps; }
int mk_mconn_client_port(const struct mk_mconn *mc) { return mc->port; }
int mk_mconn_pending(const struct mk_mconn *mc) { return mc->pending; }
void *mk_mconn_owner(const struct mk_mconn *mc) { return mc->owner; }
void mk_mconn_setowner(struct mk_mconn *mc, void *owner) { mc->owner = owner; }

/* The answer a callback left pending; at end of message the message is
 * over once it is given. */
void
mk_mconn_resume(struct mk_mconn *mc, sfsistat rc)
{
	if (!mc->pending)
		return;
	mc->pending = 0;
	mk_mconn_answer(mc, mc->pending_nr, rc == MK_SMFIS_PENDING ?
	    SMFIS_TEMPFAIL : rc);
	if (mc->pending_eom) {
		mc->pending_eom = 0;
		mc->in_eom = 0;
		macros_clear(mc, FIRST_MSG_STAGE);
	}
}

/* ---- macros ------------------------------------------------------------------ */

static const char *
macro_in(const char *p, size_t len, const char *name, const char *alt)
{
	const char *end = p + len;

	while (p < end) {
		const char *val = p + strlen(p) + 1;

		if (val >= end)
			break;
		if (strcmp(p, name) == 0 || (alt[0] != '\0' && strcmp(p, alt) == 0))
			return val;
		p = val + strlen(val) + 1;
	}
	return NULL;
}

const char *
mk_mconn_macro(const struct mk_mconn *mc, const char *name)
{
	char alt[64] = "";
	size_t n = strlen(name);
	const char *v;

	/* "i" and "{i}" name the same macro. */
	if (n == 1)
		snprintf(alt, sizeof(alt), "{%s}", name);
	else if (n == 3 && name[0] == '{' && name[2] == '}')
		snprintf(alt, sizeof(alt), "%c", name[1]);
	for (int i = 0; i < MACRO_STAGES; i++)
		if (mc->macros[i] != NULL &&
		    (v = macro_in(mc->macros[i], mc->maclen[i], name, alt)) != NULL)
			return v;
	return NULL;
}

/* ---- decoding ------------------------------------------------------------------------ */

static int
proto_error(const struct mk_mconn *mc, char cmd, const char *what)
{
	char c[8];

	mk_printable(c, sizeof(c), &cmd, 1);
	mk_error("milter connection %lu: protocol error in command '%s': %s;"
	    " connection closed", mc->id, c, what);
	return MK_MCONN_ERROR;
}

/* Split NUL-terminated strings into argv; the count, or -1. */
static int
split(const char *data, size_t len, const char **argv, int max)
{
	int n = 0;
	size_t i = 0;

	if (len == 0 || data[len - 1] != '\0')
		return -1;
	while (i < len) {
		if (n == max)
			return -1;
		argv[n++] = data + i;
		i += strlen(data + i) + 1;
	}
	return n;
}

static int
do_optneg(struct mk_mconn *mc, const unsigned char *d, size_t len)
{
	uint32_t w[3];
	unsigned long actions = 0, steps = 0;
	int rc = 0, lists = 0;

	if (len < 12)
		return proto_error(mc, SMFIC_OPTNEG, "fewer than 12 bytes");
	memcpy(w, d, 12);
	if (ntohl(w[0]) < 2)
		return proto_error(mc, SMFIC_OPTNEG, "protocol version below 2");
	if (mc->negotiated)
		session_end(mc);
	memset(mc->symlist, 0, sizeof(mc->symlist));
	if (mc->ops->negotiate != NULL) {
		mc->in_negotiate = 1;
		rc = mc->ops->negotiate(mc, ntohl(w[1]), ntohl(w[2]), &actions,
		    &steps);
		mc->in_negotiate = 0;
	}
	if (rc < 0)
		return MK_MCONN_ERROR;	/* the callback said why */
	for (int i = 0; i < SMFIM_COUNT; i++)
		lists |= mc->symlist[i] != NULL;
	/* Lists only to an MTA that offers to take them. */
	if (lists && (ntohl(w[1]) & SMFIF_SETSYMLIST) != 0)
		actions |= SMFIF_SETSYMLIST;
	else
		memset(mc->symlist, 0, sizeof(mc->symlist));
	mc->actions = actions & ntohl(w[1]);
	mc->steps = steps & ntohl(w[2]);
	mc->negotiated = 1;
	mk_mconn_put_optneg(mc, ntohl(w[0]) < MK_MILTER_VERSION ? ntohl(w[0]) :
	    MK_MILTER_VERSION);
	memset(mc->symlist, 0, sizeof(mc->symlist));
	return MK_MCONN_OK;
}

/* At debug level: the names (never the values) of a stage's macros. */
static void
log_macro_names(const struct mk_mconn *mc, int stage)
{
	static const char *const names[MACRO_STAGES] = {
		"CONNECT", "HELO", "MAIL", "RCPT", "DATA", "EOM", "EOH"
	};
	char list[MK_LOG_CLIENT_MAX], name[MK_LOG_CLIENT_MAX];
	size_t used = 0, i = 0, n, len = mc->maclen[stage];
	const char *m = mc->macros[stage];

	list[0] = '\0';
	while (m != NULL && i < len) {
		n = strnlen(m + i, len - i);		/* a name */
		if (n > 0) {
			mk_printable(name, sizeof(name), m + i, n);
			used += (size_t)snprintf(list + used, sizeof(list) - used,
			    "%s%s", used > 0 ? " " : "", name);
			if (used >= sizeof(list))
				break;		/* truncated: enough for a log */
		}
		i += n + 1;
		if (i < len)				/* its value */
			i += strnlen(m + i, len - i) + 1;
	}
	mk_log(MK_LOG_DEBUG, "milter connection %lu: macros at %s: %s",
	    mc->id, names[stage], list[0] != '\0' ? list : "(none)");
}

static int
do_macro(struct mk_mconn *mc, const char *d, size_t len)
{
	const char *pos;
	int stage;

	if (len < 1)
		return proto_error(mc, SMFIC_MACRO, "no stage");
	if ((pos = memchr(stage_letters, d[0], MACRO_STAGES)) == NULL || d[0] == '\0')
		return MK_MCONN_OK;	/* a stage no callback reads */
	stage = (int)(pos - stage_letters);
	if (len > 1 && d[len - 1] != '\0')
		return proto_error(mc, SMFIC_MACRO, "unterminated name or value");
	if (stage == FIRST_MSG_STAGE)
		macros_clear(mc, FIRST_MSG_STAGE);
	free(mc->macros[stage]);
	mc->macros[stage] = len > 1 ? mk_malloc(len - 1) : NULL;
	if (len > 1)
		memcpy(mc->macros[stage], d + 1, len - 1);
	mc->maclen[stage] = len - 1;
	if (mk_log_get_level() >= MK_LOG_DEBUG)
		log_macro_names(mc, stage);
	return MK_MCONN_OK;
}

/* "IPv6:" prefixed or plain address text, checked and made canonical. */
static void
addr_of(char family, const char *text, char *out, size_t outlen)
{
	unsigned char bin[16];
	int af = family == '4' ? AF_INET : AF_INET6;

	if (family != '4' && family != '6') {
		snprintf(out, outlen, "local");
		return;
	}
	if (af == AF_INET6 && strncasecmp(text, "IPv6:", 5) == 0)
		text += 5;
	if (inet_pton(af, text, bin) != 1 || inet_ntop(af, bin, out, (socklen_t)outlen) == NULL)
		snprintf(out, outlen, "unknown");
}

static int
do_connect(struct mk_mconn *mc, const char *d, size_t len)
{
	const char *host = d, *rest, *end = d + len;
	char addr[64];
	char family;

	if (memchr(d, '\0', len) == NULL)
		return proto_error(mc, SMFIC_CONNECT, "unterminated host name");
	rest = d + strlen(d) + 1;
	if (rest >= end)
		return proto_error(mc, SMFIC_CONNECT, "no address family");
	family = *rest++;
	mc->port = -1;
	if (family == 'U') {
		addr_of(family, "", addr, sizeof(addr));
	} else {
		if (end - rest < 3 || end[-1] != '\0')
			return proto_error(mc, SMFIC_CONNECT, "truncated address");
		mc->port = ((unsigned char)rest[0] << 8) | (unsigned char)rest[1];
		addr_of(family, rest + 2, addr, sizeof(addr));
	}
	mk_mconn_answer(mc, SMFIP_NR_CONN, mc->ops->connect != NULL ?
	    mc->ops->connect(mc, host, addr) : SMFIS_CONTINUE);
	return MK_MCONN_OK;
}

/* MAIL and RCPT: arguments as argv. */
static int
do_envelope(struct mk_mconn *mc, char cmd, const char *d, size_t len)
{
	const char *argv[MAX_ARGS + 1];
	int n = split(d, len, argv, MAX_ARGS);
	sfsistat (*cb)(struct mk_mconn *, char **) = cmd == SMFIC_MAIL ?
	    mc->ops->envfrom : mc->ops->envrcpt;

	if (n < 0)
		return proto_error(mc, cmd, "arguments missing, unterminated or"
		    " too many");
	argv[n] = NULL;
	mk_mconn_answer(mc, cmd == SMFIC_MAIL ? SMFIP_NR_MAIL : SMFIP_NR_RCPT,
	    cb != NULL ? cb(mc, (char **)argv) : SMFIS_CONTINUE);
	return MK_MCONN_OK;
}

static int
do_header(struct mk_mconn *mc, const char *d, size_t len)
{
	const char *argv[3];

	if (split(d, len, argv, 2) != 2)
		return proto_error(mc, SMFIC_HEADER, "not a name and a value");
	mk_mconn_answer(mc, SMFIP_NR_HDR, mc->ops->header != NULL ?
	    mc->ops->header(mc, argv[0], argv[1]) : SMFIS_CONTINUE);
	return MK_MCONN_OK;
}

static int
do_eom(struct mk_mconn *mc, const unsigned char *d, size_t len)
{
	sfsistat rc = SMFIS_CONTINUE;

	if (len > 0 && mc->ops->body != NULL)
		rc = mc->ops->body(mc, d, len);
	if (rc == SMFIS_CONTINUE || rc == SMFIS_SKIP) {
		mc->in_eom = 1;
		rc = mc->ops->eom != NULL ? mc->ops->eom(mc) : SMFIS_CONTINUE;
		if (rc == MK_SMFIS_PENDING) {	/* edits and macros wait too */
			mc->pending_eom = 1;
			mk_mconn_answer(mc, 0, rc);
			return MK_MCONN_OK;
		}
		mc->in_eom = 0;
	}
	mk_mconn_answer(mc, 0, rc);
	/* The message ends here: its macros (MAIL on) must not reach the next
	 * one, which may come without any. */
	macros_clear(mc, FIRST_MSG_STAGE);
	return MK_MCONN_OK;
}

static int
dispatch(struct mk_mconn *mc, char cmd, const unsigned char *d, size_t len)
{
	const char *s = (const char *)d;

	if (!mc->negotiated && cmd != SMFIC_OPTNEG && cmd != SMFIC_QUIT)
		return proto_error(mc, cmd, "command before option negotiation");
	switch (cmd) {
	case SMFIC_OPTNEG:
		return do_optneg(mc, d, len);
	case SMFIC_MACRO:
		return do_macro(mc, s, len);
	case SMFIC_CONNECT:
		return do_connect(mc, s, len);
	case SMFIC_HELO:
		if (len == 0 || d[len - 1] != '\0')
			return proto_error(mc, cmd, "unterminated HELO name");
		mk_mconn_answer(mc, SMFIP_NR_HELO, mc->ops->helo != NULL ?
		    mc->ops->helo(mc, s) : SMFIS_CONTINUE);
		return MK_MCONN_OK;
	case SMFIC_MAIL:
	case SMFIC_RCPT:
		return do_envelope(mc, cmd, s, len);
	case SMFIC_DATA:
		mk_mconn_answer(mc, SMFIP_NR_DATA, SMFIS_CONTINUE);
		return MK_MCONN_OK;
	case SMFIC_UNKNOWN:
		mk_mconn_answer(mc, SMFIP_NR_UNKN, SMFIS_CONTINUE);
		return MK_MCONN_OK;
	case SMFIC_HEADER:
		return do_header(mc, s, len);
	case SMFIC_EOH:
		mk_mconn_answer(mc, SMFIP_NR_EOH, mc->ops->eoh != NULL ?
		    mc->ops->eoh(mc) : SMFIS_CONTINUE);
		return MK_MCONN_OK;
	case SMFIC_BODY:
		mk_mconn_answer(mc, SMFIP_NR_BODY, mc->ops->body != NULL ?
		    mc->ops->body(mc, d, len) : SMFIS_CONTINUE);
		return MK_MCONN_OK;
	case SMFIC_BODYEOB:
		return do_eom(mc, d, len);
	case SMFIC_ABORT:
		if (mc->ops->abort != NULL)
			mc->ops->abort(mc);
		macros_clear(mc, FIRST_MSG_STAGE);
		return MK_MCONN_OK;
	case SMFIC_QUIT_NC:	/* the MTA starts another session here */
		session_end(mc);
		return MK_MCONN_OK;
	case SMFIC_QUIT:
		mc->quit = 1;
		return MK_MCONN_DONE;
	default:
		return proto_error(mc, cmd, "unknown command");
	}
}

/* ---- input ------------------------------------------------------------------------------ */

void *
mk_mconn_inspace(struct mk_mconn *mc, size_t *len)
{
	/* Move what is left of the input to the front before growing. */
	if (mc->in_off > 0) {
		memmove(mc->in.p, mc->in.p + mc->in_off, mc->in.len - mc->in_off);
		mc->in.len -= mc->in_off;
		mc->in_off = 0;
	}
	mk_mbuf_reserve(&mc->in, IN_CHUNK);
	*len = mc->in.cap - mc->in.len;
	return mc->in.p + mc->in.len;
}

int
mk_mconn_received(struct mk_mconn *mc, size_t n)
{
	int rc = MK_MCONN_OK;

	mc->in.len += n;
	/* Decoding pauses while the answers pile up unsent (the peer does not
	 * read): the input waits in its buffer. */
	while (!mc->quit && !mc->pending && rc == MK_MCONN_OK &&
	    mc->out.len < MK_MCONN_OUT_HIGH &&
	    mc->in.len - mc->in_off >= 4) {
		const unsigned char *p = mc->in.p + mc->in_off;
		uint32_t plen;

		memcpy(&plen, p, 4);
		plen = ntohl(plen);
		if (plen == 0 || plen > MK_MCONN_MAX_PACKET) {
			char what[64];

			snprintf(what, sizeof(what), "packet length %lu",
			    (unsigned long)plen);
			return proto_error(mc, plen == 0 ? '?' : (char)(mc->in.len -
			    mc->in_off > 4 ? p[4] : '?'), what);
		}
		if (mc->in.len - mc->in_off < 4 + (size_t)plen) {
			mk_mbuf_reserve(&mc->in, 4 + (size_t)plen - (mc->in.len - mc->in_off));
			break;
		}
		mc->in_off += 4 + (size_t)plen;
		rc = dispatch(mc, (char)p[4], p + 5, plen - 1);
		/* dispatch may not grow mc->in: p stays valid until here */
	}
	/* After QUIT, what followed it in the same read or comes later is
	 * dropped unread. */
	if (mc->quit) {
		mc->in_off = mc->in.len;
		rc = MK_MCONN_DONE;
	}
	if (mc->in_off == mc->in.len)
		mc->in.len = mc->in_off = 0;
	/* After a large packet, give the memory back. */
	if (mc->in.len == 0 && mc->in.cap > 16 * IN_CHUNK) {
		free(mc->in.p);
		mc->in.p = NULL;
		mc->in.cap = 0;
	}
	return rc;
}

int
mk_mconn_feed(struct mk_mconn *mc, const void *buf, size_t n)
{
	const unsigned char *b = buf;
	int rc = MK_MCONN_OK;

	while (n > 0 && rc == MK_MCONN_OK) {
		size_t room, take;
		void *dst = mk_mconn_inspace(mc, &room);

		take = n < room ? n : room;
		memcpy(dst, b, take);
		b += take;
		n -= take;
		rc = mk_mconn_received(mc, take);
	}
	return rc;
}

const void *
mk_mconn_output(const struct mk_mconn *mc, size_t *len)
{
	*len = mc->out.len;
	return mc->out.p;
}

void
mk_mconn_sent(struct mk_mconn *mc, size_t n)
{
	if (n >= mc->out.len) {
		mc->out.len = 0;
		if (mc->out.cap > 16 * IN_CHUNK) {
			free(mc->out.p);
			mc->out.p = NULL;
			mc->out.cap = 0;
		}
		return;
	}
	memmove(mc->out.p, mc->out.p + n, mc->out.len - n);
	mc->out.len -= n;
}
