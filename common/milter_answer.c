/*
 * NAME
 *	milter_answer.c - what one milter connection sends back to the MTA
 *	(mk_milter_conn.h): answers to each stage, the SMTP reply set for
 *	them, header edits at end of message and the OPTNEG answer with the
 *	filter's macro lists
 * DESCRIPTION
 *	Packets are appended to the connection's output buffer, in order;
 *	milter_conn.c decodes what the MTA sends and calls these.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mk_mem.h"
#include "mk_milter_conn.h"
#include "milter_conn_priv.h"

/* ---- buffers ------------------------------------------------------------- */

void
mk_mbuf_reserve(struct mk_mbuf *b, size_t more)
{
	size_t cap = b->cap != 0 ? b->cap : 256;

	if (b->len + more <= b->cap)
		return;
	while (cap < b->len + more)
		cap *= 2;
	b->p = mk_realloc(b->p, cap);
	b->cap = cap;
}

static void
mk_mbuf_put(struct mk_mbuf *b, const void *data, size_t len)
{
	mk_mbuf_reserve(b, len);
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

/* One outgoing packet: command and up to three pieces of data. */
static void
put_packet(struct mk_mconn *mc, char cmd, const void *a, size_t alen,
    const void *b, size_t blen, const void *c, size_t clen)
{
	uint32_t n = htonl((uint32_t)(1 + alen + blen + clen));

	mk_mbuf_put(&mc->out, &n, 4);
	mk_mbuf_put(&mc->out, &cmd, 1);
	if (alen > 0)
		mk_mbuf_put(&mc->out, a, alen);
	if (blen > 0)
		mk_mbuf_put(&mc->out, b, blen);
	if (clen > 0)
		mk_mbuf_put(&mc->out, c, clen);
}

/* ---- answers -------------------------------------------------------------------- */

/* Text that may go in an envelope edit: present, no CR or LF. */
static int
line_ok(const char *s)
{
	return s != NULL && strpbrk(s, "\r\n") == NULL;
}


int
mk_mconn_setsymlist(struct mk_mconn *mc, int stage, const char *names)
{
	if (!mc->in_negotiate || stage < 0 || stage >= SMFIM_COUNT ||
	    names == NULL || strlen(names) > MK_MCONN_SYMLIST_MAX)
		return -1;
	mc->symlist[stage] = names;
	return 0;
}

int
mk_mconn_setreply(struct mk_mconn *mc, const char *rcode, const char *xcode,
    const char *text)
{
	int n;

	if (rcode == NULL || strlen(rcode) != 3 || (rcode[0] != '4' && rcode[0] != '5') ||
	    strspn(rcode, "0123456789") != 3)
		return -1;
	if (xcode == NULL || *xcode == '\0')
		xcode = rcode[0] == '4' ? "4.0.0" : "5.0.0";
	if (xcode[0] != rcode[0] || strspn(xcode, "0123456789.") != strlen(xcode))
		return -1;
	if (text == NULL)
		text = "";
	for (const char *t = text; *t; t++)
		if (*t == '\r' || *t == '\n')
			return -1;
	n = snprintf(mc->reply, sizeof(mc->reply), "%s %s %s", rcode, xcode, text);
	if (n < 0 || (size_t)n >= sizeof(mc->reply)) {
		mc->reply[0] = '\0';
		return -1;
	}
	return 0;
}

int
mk_mconn_setmlreply(struct mk_mconn *mc, const char *rcode, const char *xcode,
    const char *const *lines)
{
	size_t used = 0;
	int n = 0;

	/* The codes are checked as for a one-line reply. */
	if (lines == NULL || lines[0] == NULL ||
	    mk_mconn_setreply(mc, rcode, xcode, lines[0]) < 0)
		return -1;
	if (xcode == NULL || *xcode == '\0')
		xcode = rcode[0] == '4' ? "4.0.0" : "5.0.0";
	mc->reply[0] = '\0';
	for (n = 0; lines[n] != NULL; n++) {
		int w;

		if (n == MK_MCONN_MLREPLY_LINES || !line_ok(lines[n]))
			goto bad;
		w = snprintf(mc->reply + used, sizeof(mc->reply) - used,
		    "%s%s%c%s %s", n > 0 ? "\r\n" : "", rcode,
		    lines[n + 1] != NULL ? '-' : ' ', xcode, lines[n]);
		if (w < 0 || (size_t)w >= sizeof(mc->reply) - used)
			goto bad;
		used += (size_t)w;
	}
	return 0;
bad:
	mc->reply[0] = '\0';
	return -1;
}

void
mk_mconn_answer(struct mk_mconn *mc, unsigned long nr, sfsistat rc)
{
	char cmd;

	if (rc == MK_SMFIS_PENDING) {	/* mk_mconn_resume() answers */
		mc->pending = 1;
		mc->pending_nr = nr;
		return;
	}

	if (mc->steps & nr) {
		mc->reply[0] = '\0';
		return;
	}
	switch (rc) {
	case SMFIS_REJECT:
		cmd = mc->reply[0] == '5' ? SMFIR_REPLYCODE : SMFIR_REJECT;
		break;
	case SMFIS_TEMPFAIL:
		cmd = mc->reply[0] == '4' ? SMFIR_REPLYCODE : SMFIR_TEMPFAIL;
		break;
	case SMFIS_ACCEPT:
		cmd = SMFIR_ACCEPT;
		break;
	case SMFIS_DISCARD:
		cmd = SMFIR_DISCARD;
		break;
	case SMFIS_SKIP:
		cmd = (mc->steps & SMFIP_SKIP) ? SMFIR_SKIP : SMFIR_CONTINUE;
		break;
	default:	/* CONTINUE, and NOREPLY where the MTA waits anyway */
		cmd = SMFIR_CONTINUE;
		break;
	}
	if (cmd == SMFIR_REPLYCODE)
		put_packet(mc, cmd, mc->reply, strlen(mc->reply) + 1, NULL, 0, NULL, 0);
	else
		put_packet(mc, cmd, NULL, 0, NULL, 0, NULL, 0);
	mc->reply[0] = '\0';
}

/* ---- header edits (end of message only) ----------------------------------------- */

static int
edit_ok(const struct mk_mconn *mc, unsigned long action, const char *name)
{
	if (!mc->in_eom || !(mc->actions & action) || name == NULL || *name == '\0')
		return -1;
	for (const char *p = name; *p; p++)
		if (*p <= ' ' || *p >= 127 || *p == ':')
			return -1;
	return 0;
}

int
mk_mconn_addheader(struct mk_mconn *mc, const char *name, const char *value)
{
	if (edit_ok(mc, SMFIF_ADDHDRS, name) < 0 || value == NULL)
		return -1;
	put_packet(mc, SMFIR_ADDHEADER, name, strlen(name) + 1, value,
	    strlen(value) + 1, NULL, 0);
	return 0;
}

int
mk_mconn_insheader(struct mk_mconn *mc, unsigned idx, const char *name,
    const char *value)
{
	uint32_t i = htonl(idx);

	if (edit_ok(mc, SMFIF_ADDHDRS, name) < 0 || value == NULL)
		return -1;
	put_packet(mc, SMFIR_INSHEADER, &i, 4, name, strlen(name) + 1, value,
	    strlen(value) + 1);
	return 0;
}

int
mk_mconn_chgheader(struct mk_mconn *mc, const char *name, unsigned idx,
    const char *value)
{
	uint32_t i = htonl(idx);

	if (edit_ok(mc, SMFIF_CHGHDRS, name) < 0)
		return -1;
	if (value == NULL)
		value = "";
	put_packet(mc, SMFIR_CHGHEADER, &i, 4, name, strlen(name) + 1, value,
	    strlen(value) + 1);
	return 0;
}

/* ---- envelope edits (end of message only) --------------------------------------- */

static int
env_ok(const struct mk_mconn *mc, unsigned long action)
{
	return mc->in_eom && (mc->actions & action) ? 0 : -1;
}

int
mk_mconn_chgfrom(struct mk_mconn *mc, const char *from, const char *args)
{
	if (env_ok(mc, SMFIF_CHGFROM) < 0 || !line_ok(from) || *from == '\0' ||
	    (args != NULL && !line_ok(args)))
		return -1;
	put_packet(mc, SMFIR_CHGFROM, from, strlen(from) + 1, args,
	    args != NULL ? strlen(args) + 1 : 0, NULL, 0);
	return 0;
}

int
mk_mconn_addrcpt(struct mk_mconn *mc, const char *rcpt, const char *args)
{
	if (!line_ok(rcpt) || *rcpt == '\0')
		return -1;
	if (args == NULL) {
		if (env_ok(mc, SMFIF_ADDRCPT) < 0)
			return -1;
		put_packet(mc, SMFIR_ADDRCPT, rcpt, strlen(rcpt) + 1, NULL, 0,
		    NULL, 0);
		return 0;
	}
	if (env_ok(mc, SMFIF_ADDRCPT_PAR) < 0 || !line_ok(args))
		return -1;
	put_packet(mc, SMFIR_ADDRCPT_PAR, rcpt, strlen(rcpt) + 1, args,
	    strlen(args) + 1, NULL, 0);
	return 0;
}

int
mk_mconn_delrcpt(struct mk_mconn *mc, const char *rcpt)
{
	if (env_ok(mc, SMFIF_DELRCPT) < 0 || !line_ok(rcpt) || *rcpt == '\0')
		return -1;
	put_packet(mc, SMFIR_DELRCPT, rcpt, strlen(rcpt) + 1, NULL, 0, NULL, 0);
	return 0;
}

int
mk_mconn_quarantine(struct mk_mconn *mc, const char *reason)
{
	if (env_ok(mc, SMFIF_QUARANTINE) < 0 || !line_ok(reason) ||
	    *reason == '\0')
		return -1;
	put_packet(mc, SMFIR_QUARANTINE, reason, strlen(reason) + 1, NULL, 0,
	    NULL, 0);
	return 0;
}

int
mk_mconn_progress(struct mk_mconn *mc)
{
	if (!mc->negotiated)
		return -1;
	put_packet(mc, SMFIR_PROGRESS, NULL, 0, NULL, 0, NULL, 0);
	return 0;
}

/* ---- the OPTNEG answer ---------------------------------------------------------- */

/* The OPTNEG answer: version, actions, steps, then the macro lists the
 * filter named, each as a stage number and a string. */
void
mk_mconn_put_optneg(struct mk_mconn *mc, uint32_t version)
{
	uint32_t w[3], n, stage;
	size_t len = 12;
	char cmd = SMFIC_OPTNEG;

	for (int i = 0; i < SMFIM_COUNT; i++)
		if (mc->symlist[i] != NULL)
			len += 4 + strlen(mc->symlist[i]) + 1;
	w[0] = htonl(version);
	w[1] = htonl((uint32_t)mc->actions);
	w[2] = htonl((uint32_t)mc->steps);
	n = htonl((uint32_t)(1 + len));
	mk_mbuf_put(&mc->out, &n, 4);
	mk_mbuf_put(&mc->out, &cmd, 1);
	mk_mbuf_put(&mc->out, w, 12);
	for (int i = 0; i < SMFIM_COUNT; i++) {
		if (mc->symlist[i] == NULL)
			continue;
		stage = htonl((uint32_t)i);
		mk_mbuf_put(&mc->out, &stage, 4);
		mk_mbuf_put(&mc->out, mc->symlist[i], strlen(mc->symlist[i]) + 1);
	}
}
