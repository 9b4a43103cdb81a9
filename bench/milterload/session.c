/*
 * NAME
 *	session.c - the MTA side of milter conversations, for one thread
 * SYNOPSIS
 *	int	ml_session_run(struct ml_conn *c);
 * DESCRIPTION
 *	ml_session_run() opens connections until the run is over (messages
 *	claimed, duration passed, or another thread failed) and plays on
 *	each what an MTA plays: option negotiation (version 6, every action
 *	and protocol flag offered), CONNECT, HELO, then up to o->per_conn
 *	messages (MAIL, RCPT..., DATA, HEADER..., EOH, BODY..., BODYEOB),
 *	each followed by ABORT, and QUIT. Macros go before CONNECT, MAIL,
 *	RCPT and end-of-message, with {i} and optionally {auth_authen}.
 *	Stages the milter negotiated away (SMFIP_NO*) are not sent; replies
 *	it said it will not send (SMFIP_NR_*) are not waited for. Each reply
 *	is counted by stage and kind; RCPT round trips and whole messages
 *	are timed.
 * DIAGNOSTICS
 *	Returns 0, or -1 with c->err set on a protocol error: a malformed or
 *	unknown reply, a reply not allowed where it came (a modification
 *	before end-of-message, an action not negotiated), a timeout, a
 *	closed connection. SMFIR_SHUTDOWN and SMFIR_CONN_FAIL are counted
 *	and end the connection; they are not errors.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

#include "milterload.h"

/* What a stage's reply means for the rest of the message. */
enum verdict { V_CONTINUE, V_ACCEPT, V_REJECT, V_DISCARD, V_SKIP, V_CLOSE };

struct reply_map {
	int cmd;
	enum ml_kind kind;
	unsigned long action;		/* SMFIF_* it needs, 0 for none */
	int strings;			/* NUL-terminated payload strings */
	size_t prefix;			/* bytes before them */
};

static const struct reply_map replies[] = {
	{ 'c', ML_R_CONTINUE, 0, 0, 0 },
	{ 'a', ML_R_ACCEPT, 0, 0, 0 },
	{ 'r', ML_R_REJECT, 0, 0, 0 },
	{ 't', ML_R_TEMPFAIL, 0, 0, 0 },
	{ 'y', ML_R_REPLY5, 0, 1, 0 },
	{ 'd', ML_R_DISCARD, 0, 0, 0 },
	{ 's', ML_R_SKIP, 0, 0, 0 },
	{ 'p', ML_R_PROGRESS, 0, 0, 0 },
	{ 'h', ML_R_ADDHEADER, 0x01, 2, 0 },
	{ 'i', ML_R_INSHEADER, 0x01, 2, 4 },
	{ 'm', ML_R_CHGHEADER, 0x10, 2, 4 },
	{ '+', ML_R_ADDRCPT, 0x04, 1, 0 },
	{ '2', ML_R_ADDRCPT_PAR, 0x80, 1, 0 },
	{ '-', ML_R_DELRCPT, 0x08, 1, 0 },
	{ 'b', ML_R_REPLBODY, 0x02, 0, 0 },
	{ 'e', ML_R_CHGFROM, 0x40, 1, 0 },
	{ 'q', ML_R_QUARANTINE, 0x20, 1, 0 },
	{ '4', ML_R_SHUTDOWN, 0, 0, 0 },
	{ 'f', ML_R_CONN_FAIL, 0, 0, 0 },
};

static const char *const stage_names[ML_S_NSTAGES] = {
	"CONNECT", "HELO", "MAIL", "RCPT", "DATA", "HEADER", "EOH", "BODY",
	"end-of-message",
};

static const char *const hdr_names[] = {
	"Received", "From", "To", "Subject", "Date", "Message-ID",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding",
	"List-Unsubscribe", "List-Unsubscribe-Post", "Reply-To", "X-Mailer",
};
#define HDR_TABLE (sizeof(hdr_names) / sizeof(hdr_names[0]))

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Counts strings of a payload: -1 unless it ends with a NUL. */
static int
count_strings(const unsigned char *p, size_t len)
{
	size_t i;
	int n = 0;

	if (len == 0 || p[len - 1] != '\0')
		return -1;
	for (i = 0; i < len; i++)
		n += p[i] == '\0';
	return n;
}

/* Checks one reply's shape; the kind it is, or -1 with c->err set. */
static int
check_reply(struct ml_conn *c, enum ml_stage stage, int cmd)
{
	const struct reply_map *m = NULL;
	size_t i;

	for (i = 0; i < sizeof(replies) / sizeof(replies[0]); i++)
		if (replies[i].cmd == cmd)
			m = &replies[i];
	if (m == NULL) {
		ml_fail(c, "unknown reply 0x%02x at %s", cmd, stage_names[stage]);
		return -1;
	}
	if (m->action != 0 && stage != ML_S_EOM) {
		ml_fail(c, "modification reply '%c' at %s (only allowed at "
		    "end-of-message)", cmd, stage_names[stage]);
		return -1;
	}
	if (m->action != 0 && !(c->actions & m->action)) {
		ml_fail(c, "modification reply '%c' needs action 0x%lx, "
		    "not negotiated (0x%lx)", cmd, m->action, c->actions);
		return -1;
	}
	if (m->strings > 0 && (c->reply_len < m->prefix ||
	    count_strings(c->reply + m->prefix, c->reply_len - m->prefix)
	    < m->strings)) {
		ml_fail(c, "malformed reply '%c' at %s (%zu bytes)", cmd,
		    stage_names[stage], c->reply_len);
		return -1;
	}
	if (cmd == 'y') {
		const unsigned char *r = c->reply;

		if (c->reply_len < 4 || (r[0] != '4' && r[0] != '5') ||
		    r[1] < '0' || r[1] > '9' || r[2] < '0' || r[2] > '9') {
			ml_fail(c, "malformed reply code at %s: %.40s",
			    stage_names[stage], (const char *)r);
			return -1;
		}
		return r[0] == '4' ? ML_R_REPLY4 : ML_R_REPLY5;
	}
	if (cmd == 's' && stage != ML_S_BODY) {
		ml_fail(c, "SKIP reply at %s (only allowed for BODY)",
		    stage_names[stage]);
		return -1;
	}
	return (int)m->kind;
}

/*
 * Sends what is queued and waits for the stage's final reply, counting
 * progress and modification replies on the way. 0 and *v, or -1.
 */
static int
await(struct ml_conn *c, enum ml_stage stage, enum verdict *v)
{
	int cmd, kind;

	if (ml_wire_flush(c) < 0)
		return -1;
	for (;;) {
		if (ml_wire_read(c, &cmd) < 0)
			return -1;
		if ((kind = check_reply(c, stage, cmd)) < 0)
			return -1;
		c->st.replies[stage][kind]++;
		switch (kind) {
		case ML_R_CONTINUE:
			*v = V_CONTINUE;
			return 0;
		case ML_R_ACCEPT:
			*v = V_ACCEPT;
			return 0;
		case ML_R_REJECT: case ML_R_TEMPFAIL:
		case ML_R_REPLY4: case ML_R_REPLY5:
			*v = V_REJECT;
			return 0;
		case ML_R_DISCARD:
			*v = V_DISCARD;
			return 0;
		case ML_R_SKIP:
			*v = V_SKIP;
			return 0;
		case ML_R_SHUTDOWN: case ML_R_CONN_FAIL:
			*v = V_CLOSE;
			return 0;
		default:	/* progress, modifications: keep reading */
			break;
		}
	}
}

/* Queues a stage's packet; waits unless the milter said no reply. */
static int
stage(struct ml_conn *c, enum ml_stage s, unsigned long nr, int cmd,
    const void *data, size_t len, enum verdict *v)
{
	ml_wire_put(c, cmd, data, len);
	*v = V_CONTINUE;
	if (c->proto & nr)
		return 0;
	return await(c, s, v);
}

/* Queues a MACRO packet for a stage: name/value pairs, NULL values left out. */
static void
put_macros(struct ml_conn *c, int stage_cmd, const char *const *kv, size_t n)
{
	char buf[2048];
	size_t i, len = 1, ln, lv;

	buf[0] = (char)stage_cmd;
	for (i = 0; i + 1 < n; i += 2) {
		if (kv[i + 1] == NULL)
			continue;
		ln = strlen(kv[i]) + 1;
		lv = strlen(kv[i + 1]) + 1;
		if (len + ln + lv > sizeof(buf))
			break;
		memcpy(buf + len, kv[i], ln);
		memcpy(buf + len + ln, kv[i + 1], lv);
		len += ln + lv;
	}
	ml_wire_put(c, ML_C_MACRO, buf, len);
}

/* Option negotiation; 0 or -1. */
static int
negotiate(struct ml_conn *c)
{
	unsigned char p[12];
	const unsigned char *r;
	unsigned long w[3] = { ML_VERSION, ML_A_OFFERED, ML_P_OFFERED };
	int i, cmd;

	for (i = 0; i < 3; i++) {
		p[i * 4] = (unsigned char)(w[i] >> 24);
		p[i * 4 + 1] = (unsigned char)(w[i] >> 16);
		p[i * 4 + 2] = (unsigned char)(w[i] >> 8);
		p[i * 4 + 3] = (unsigned char)w[i];
	}
	ml_wire_put(c, ML_C_OPTNEG, p, sizeof(p));
	if (ml_wire_flush(c) < 0 || ml_wire_read(c, &cmd) < 0)
		return -1;
	if (cmd != ML_C_OPTNEG || c->reply_len < 12) {
		ml_fail(c, "malformed negotiation reply: '%c', %zu bytes",
		    cmd > 32 && cmd < 127 ? cmd : '?', c->reply_len);
		return -1;
	}
	r = c->reply;
	for (i = 0; i < 3; i++)
		w[i] = (unsigned long)r[i * 4] << 24 | (unsigned long)r[i * 4 + 1] << 16 |
		    (unsigned long)r[i * 4 + 2] << 8 | r[i * 4 + 3];
	if (w[0] < 2 || w[0] > ML_VERSION || (w[1] & ~ML_A_OFFERED) ||
	    (w[2] & ~ML_P_OFFERED)) {
		ml_fail(c, "milter negotiated what was not offered: version %lu, "
		    "actions 0x%lx, protocol 0x%lx", w[0], w[1], w[2]);
		return -1;
	}
	c->version = w[0];
	c->actions = w[1];
	c->proto = w[2];
	return 0;
}

/* CONNECT and HELO; 0 and *v, or -1. */
static int
greet(struct ml_conn *c, enum verdict *v)
{
	char name[64], addr[32], name_addr[128], pkt[160];
	size_t len;
	const char *mac[] = { "j", "mx.milterload.test", "{daemon_name}",
	    "milterload", "v", "milterload", "_", name_addr };
	unsigned port = 1024 + (unsigned)(c->rng % 60000);

	*v = V_CONTINUE;
	snprintf(name, sizeof(name), "client%d.example.test", c->id);
	snprintf(addr, sizeof(addr), "192.0.2.%d", 1 + c->id % 254);
	snprintf(name_addr, sizeof(name_addr), "%s [%s]", name, addr);
	if (!(c->proto & ML_P_NOCONNECT)) {
		put_macros(c, ML_C_CONNECT, mac, sizeof(mac) / sizeof(mac[0]));
		len = (size_t)snprintf(pkt, sizeof(pkt), "%s%c4%c%c%s", name, 0,
		    (char)(port >> 8), (char)(port & 0xff), addr) + 1;
		if (stage(c, ML_S_CONNECT, ML_P_NR_CONN, ML_C_CONNECT, pkt, len, v) < 0)
			return -1;
		if (*v != V_CONTINUE)
			return 0;
	}
	if (!(c->proto & ML_P_NOHELO))
		return stage(c, ML_S_HELO, ML_P_NR_HELO, ML_C_HELO, name,
		    strlen(name) + 1, v);
	return 0;
}

/* Sends one header, realistic for the first HDR_TABLE ones. */
static int
send_header(struct ml_conn *c, int i, const char *qid, const char *from,
    const char *to, enum verdict *v)
{
	char val[1024], pkt[1100];	/* addresses are under 330 bytes */
	const char *lead = (c->proto & ML_P_HDR_LEADSPC) ? " " : "";
	const char *name = (size_t)i < HDR_TABLE ? hdr_names[i] : "Received";
	size_t nl;

	switch (i < (int)HDR_TABLE ? i : 0) {
	case 0: snprintf(val, sizeof(val), "from client%d.example.test (client"
	    "%d.example.test [192.0.2.%d])\r\n\tby mx.milterload.test (Postfix) "
	    "with ESMTPS id %s\r\n\tfor %s; Sun, 22 Nov 2026 10:00:%02d +0000",
	    c->id, c->id, 1 + c->id % 254, qid, to, i % 60); break;
	case 1: snprintf(val, sizeof(val), "\"Newsletter\" %s", from); break;
	case 2: snprintf(val, sizeof(val), "%s", to); break;
	case 3: snprintf(val, sizeof(val), "Your weekly digest, issue %s", qid); break;
	case 4: snprintf(val, sizeof(val), "Sun, 22 Nov 2026 10:00:00 +0000"); break;
	case 5: snprintf(val, sizeof(val), "<%s.%d@milterload.test>", qid, c->id); break;
	case 6: snprintf(val, sizeof(val), "1.0"); break;
	case 7: snprintf(val, sizeof(val), "text/plain; charset=utf-8"); break;
	case 8: snprintf(val, sizeof(val), "8bit"); break;
	case 9: snprintf(val, sizeof(val), "<mailto:unsubscribe+%s@milterload.test>,"
	    " <https://milterload.test/u/%s>", qid, qid); break;
	case 10: snprintf(val, sizeof(val), "List-Unsubscribe=One-Click"); break;
	case 11: snprintf(val, sizeof(val), "replies@milterload.test"); break;
	default: snprintf(val, sizeof(val), "milterload 1.0"); break;
	}
	nl = strlen(name) + 1;
	memcpy(pkt, name, nl);
	nl += (size_t)snprintf(pkt + nl, sizeof(pkt) - nl, "%s%s", lead, val);
	if (nl >= sizeof(pkt))
		nl = sizeof(pkt) - 1;	/* cut, still NUL-terminated */
	nl++;
	return stage(c, ML_S_HEADER, ML_P_NR_HDR, ML_C_HEADER, pkt, nl, v);
}

static char body_buf[ML_BODY_CHUNK];
static pthread_once_t body_once = PTHREAD_ONCE_INIT;

static void
body_init(void)
{
	static const char line[] = "Lorem ipsum dolor sit amet, consectetur "
	    "adipiscing elit, sed do eiusmod tempor.\r\n";
	size_t i;

	for (i = 0; i < sizeof(body_buf); i++)
		body_buf[i] = line[i % (sizeof(line) - 1)];
}

/* One body chunk of text lines, shared by every thread, read-only. */
static const char *
body_chunk(size_t *len)
{
	pthread_once(&body_once, body_init);
	*len = sizeof(body_buf);
	return body_buf;
}

/* -E: the message's header fields and body; 0 and *v, or -1. */
static int
content_eml(struct ml_conn *c, enum verdict *v)
{
	const struct ml_opts *o = c->o;
	size_t left = o->eml_body_len, off = 0;
	char pkt[65536];

	for (size_t i = 0; !(c->proto & ML_P_NOHDRS) && i < o->eml_n; i++) {
		const char *val = o->eml_value[i];
		size_t nl = strlen(o->eml_name[i]) + 1, vl;

		if (!(c->proto & ML_P_HDR_LEADSPC) && *val == ' ')
			val++;
		vl = strlen(val) + 1;
		if (nl + vl > sizeof(pkt))
			return -1;
		memcpy(pkt, o->eml_name[i], nl);
		memcpy(pkt + nl, val, vl);
		if (stage(c, ML_S_HEADER, ML_P_NR_HDR, ML_C_HEADER, pkt, nl + vl,
		    v) < 0 || *v != V_CONTINUE)
			return *v == V_CONTINUE ? -1 : 0;
	}
	if (!(c->proto & ML_P_NOEOH) &&
	    (stage(c, ML_S_EOH, ML_P_NR_EOH, ML_C_EOH, NULL, 0, v) < 0 ||
	    *v != V_CONTINUE))
		return *v == V_CONTINUE ? -1 : 0;
	while (!(c->proto & ML_P_NOBODY) && left > 0) {
		size_t n = left < ML_BODY_CHUNK ? left : ML_BODY_CHUNK;

		if (stage(c, ML_S_BODY, ML_P_NR_BODY, ML_C_BODY, o->eml_body + off,
		    n, v) < 0)
			return -1;
		c->st.body_bytes += n;
		left -= n;
		off += n;
		if (*v == V_SKIP) {
			*v = V_CONTINUE;
			break;
		}
		if (*v != V_CONTINUE)
			return 0;
	}
	return 0;
}

/* DATA, headers, EOH, body; 0 and *v, or -1. */
static int
content(struct ml_conn *c, const char *qid, const char *from, const char *to,
    enum verdict *v)
{
	size_t left = c->o->body, n, clen;
	const char *chunk;
	int i;

	*v = V_CONTINUE;
	if (!(c->proto & ML_P_NODATA) &&
	    (stage(c, ML_S_DATA, ML_P_NR_DATA, ML_C_DATA, NULL, 0, v) < 0 ||
	    *v != V_CONTINUE))
		return *v == V_CONTINUE ? -1 : 0;
	if (c->o->eml_n > 0)
		return content_eml(c, v);
	for (i = 0; !(c->proto & ML_P_NOHDRS) && i < c->o->headers; i++)
		if (send_header(c, i, qid, from, to, v) < 0 || *v != V_CONTINUE)
			return *v == V_CONTINUE ? -1 : 0;
	if (!(c->proto & ML_P_NOEOH) &&
	    (stage(c, ML_S_EOH, ML_P_NR_EOH, ML_C_EOH, NULL, 0, v) < 0 ||
	    *v != V_CONTINUE))
		return *v == V_CONTINUE ? -1 : 0;
	chunk = body_chunk(&clen);
	while (!(c->proto & ML_P_NOBODY) && left > 0) {
		n = left < clen ? left : clen;
		if (stage(c, ML_S_BODY, ML_P_NR_BODY, ML_C_BODY, chunk, n, v) < 0)
			return -1;
		c->st.body_bytes += n;
		left -= n;
		if (*v == V_SKIP) {
			*v = V_CONTINUE;
			break;
		}
		if (*v != V_CONTINUE)
			return 0;
	}
	return 0;
}

/* The recipients of one message; accepted ones in *ok. 0 or -1. */
static int
recipients(struct ml_conn *c, const char *qid, char *first, size_t flen,
    int *ok, enum verdict *v)
{
	char rcpt[320], br[330];
	const char *mac[] = { "{i}", qid, "{rcpt_addr}", rcpt, "{rcpt_mailer}",
	    "smtp" };
	uint64_t t;
	int i;

	*ok = 0;
	*v = V_CONTINUE;
	for (i = 0; i < c->o->rcpts; i++) {
		ml_pick_rcpt(c, rcpt, sizeof(rcpt));
		snprintf(br, sizeof(br), "<%s>", rcpt);
		if (i == 0)
			snprintf(first, flen, "%s", br);
		c->st.rcpts++;
		if (c->proto & ML_P_NORCPT) {
			(*ok)++;
			continue;
		}
		put_macros(c, ML_C_RCPT, mac, sizeof(mac) / sizeof(mac[0]));
		t = now_ns();
		if (stage(c, ML_S_RCPT, ML_P_NR_RCPT, ML_C_RCPT, br,
		    strlen(br) + 1, v) < 0)
			return -1;
		if (!(c->proto & ML_P_NR_RCPT))
			ml_hist_add(&c->st.rcpt_lat, now_ns() - t);
		if (*v == V_CONTINUE)
			(*ok)++;
		else if (*v != V_REJECT)
			return 0;	/* accept, discard, close: message done */
		*v = V_CONTINUE;
	}
	return 0;
}

/* One message, MAIL to end-of-message, then ABORT. 0 and *v, or -1. */
static int
message(struct ml_conn *c, uint64_t msgno, enum verdict *v)
{
	char qid[32], from[320], bfrom[330], to[330];
	const char *mmac[] = { "{i}", qid, "{mail_addr}", from, "{auth_type}",
	    c->o->auth ? "PLAIN" : NULL, "{auth_authen}", c->o->auth };
	const char *emac[] = { "{i}", qid };
	uint64_t t0 = now_ns();
	int ok = 1, rc = 0;

	snprintf(qid, sizeof(qid), "%X%07llX", (unsigned)c->id & 0xfff,
	    (unsigned long long)msgno & 0xfffffffULL);
	ml_pick_sender(c, msgno, from, sizeof(from));
	snprintf(bfrom, sizeof(bfrom), "<%s>", from);
	to[0] = '\0';
	c->st.messages++;
	if (!(c->proto & ML_P_NOMAIL)) {
		put_macros(c, ML_C_MAIL, mmac, sizeof(mmac) / sizeof(mmac[0]));
		rc = stage(c, ML_S_MAIL, ML_P_NR_MAIL, ML_C_MAIL, bfrom,
		    strlen(bfrom) + 1, v);
	} else
		*v = V_CONTINUE;
	if (rc == 0 && *v == V_CONTINUE)
		rc = recipients(c, qid, to, sizeof(to), &ok, v);
	if (rc == 0 && *v == V_CONTINUE && ok > 0)
		rc = content(c, qid, bfrom, to, v);
	if (rc == 0 && *v == V_CONTINUE && ok > 0) {
		put_macros(c, ML_C_BODYEOB, emac, sizeof(emac) / sizeof(emac[0]));
		ml_wire_put(c, ML_C_BODYEOB, NULL, 0);
		rc = await(c, ML_S_EOM, v);
		if (rc == 0 && (*v == V_CONTINUE || *v == V_ACCEPT))
			c->st.delivered++;
	} else if (rc == 0 && *v == V_ACCEPT)
		c->st.delivered++;
	if (rc == 0)
		ml_hist_add(&c->st.msg_lat, now_ns() - t0);
	ml_wire_put(c, ML_C_ABORT, NULL, 0);	/* goes out with the next one */
	return rc;
}

/* One connection: negotiate, greet, messages, QUIT. 0, 1 (run over), -1. */
static int
connection(struct ml_conn *c, uint64_t msgno)
{
	enum verdict v;
	int k;

	if (ml_wire_open(c) < 0)
		return -1;
	c->st.connections++;
	if (negotiate(c) < 0 || greet(c, &v) < 0)
		return -1;
	for (k = 0; v == V_CONTINUE; k++) {
		if (k > 0 && (k >= c->o->per_conn || ml_claim_message(&msgno) < 0))
			break;
		if (message(c, msgno, &v) < 0)
			return -1;
		if (v != V_CLOSE)
			v = V_CONTINUE;
	}
	if (v != V_CLOSE) {
		ml_wire_put(c, ML_C_QUIT, NULL, 0);
		if (ml_wire_flush(c) < 0)
			return -1;
	}
	ml_wire_close(c);
	return 0;
}

int
ml_session_run(struct ml_conn *c)
{
	uint64_t msgno;

	while (ml_claim_message(&msgno) == 0) {
		if (connection(c, msgno) < 0) {
			ml_wire_close(c);
			return -1;
		}
	}
	return 0;
}
