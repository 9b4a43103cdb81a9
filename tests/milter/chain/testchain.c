/*
 * NAME
 *	testchain - milterkit-chain plus a recording filter, for tests only
 * SYNOPSIS
 *	testchain [milterkit-chain flags: -c FILE -f -t -p SOCKET ...]
 * DESCRIPTION
 *	Serves [chain] filters = ... like milterkit-chain, from the filters of
 *	milters/filters.h plus one more, "record", which has its own section:
 *
 *		[record]
 *		log = PATH		file it appends what it sees to
 *		edits = OP; OP; ...	header edits it makes at end of message
 *		reject_rcpt = LOCAL	local part of a recipient it refuses
 *
 *	plus the rows of every milter (check, networks, on_error...). An OP
 *	is one of "add NAME VALUE", "ins INDEX NAME VALUE", "chg NAME N
 *	VALUE" or "del NAME N" (mk_milter_addheader(), _insheader(),
 *	_chgheader(); N counts from 1 among fields of that name, INDEX from
 *	0 among all fields), applied in order to the header block as the
 *	filters before it left it.
 *
 *	Each callback appends lines "QID WHAT ..." to the log, one write per
 *	callback: "mail <from>", "rcpt <a>", "refuse <a>", "header Name:value"
 *	(the value as the header callback got it), then at end of message
 *	"nrcpt N", "eom-seen Name:value" for each field of mk_milter_headers()
 *	before its own edits, "eom-header Name:value" for each field after
 *	them, and "eom-end". Values are escaped: backslash, CR, LF and TAB as
 *	\\ \r \n \t, other control octets as \xHH.
 * SEE ALSO
 *	milters/chain/main.c, tests/milter/chain/test_chain_milter.sh
 */
#include "config.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "chain_conf.h"
#include "filters.h"
#include "mk_conf.h"
#include "mk_list.h"
#include "mk_mem.h"
#include "mk_milter.h"
#include "sections.h"

#define REC_EDITS_MAX	32	/* edits in one "edits" value */
#define REC_WORD_MAX	256	/* octets of a name or number */

struct rec_conf {
	struct mk_conf_daemon d;
	char *log;
	char *edits;
	char *reject_rcpt;
};

enum rec_op { REC_ADD, REC_INS, REC_CHG, REC_DEL };

struct rec_edit {
	enum rec_op op;
	size_t index;
	char name[REC_WORD_MAX];
	char value[1024];
};

struct rec_state {
	char *log;
	char *reject_rcpt;
	struct rec_edit e[REC_EDITS_MAX];
	size_t ne;
};

/* Copies the next blank-separated word of *p into w; 0, or -1. */
static int
rec_word(const char **p, char *w, size_t wlen)
{
	size_t n = 0;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	while (**p != '\0' && **p != ' ' && **p != '\t' && **p != ';') {
		if (n + 1 >= wlen)
			return -1;
		w[n++] = *(*p)++;
	}
	w[n] = '\0';
	return n > 0 ? 0 : -1;
}

/* Copies the rest of the item (up to ';', blanks trimmed) into v. */
static int
rec_rest(const char **p, char *v, size_t vlen)
{
	const char *end;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	for (end = *p; *end != '\0' && *end != ';'; end++)
		;
	while (end > *p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end == *p || (size_t)(end - *p) >= vlen)
		return -1;
	memcpy(v, *p, (size_t)(end - *p));
	v[end - *p] = '\0';
	*p = end;
	return 0;
}

static int
rec_number(const char *w, size_t *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*w))
		return -1;
	v = strtoul(w, &end, 10);
	if (*end != '\0' || v > 100000)
		return -1;
	*out = v;
	return 0;
}

/* Parses an "edits" value into e[] (at most REC_EDITS_MAX); 0, or -1. */
static int
rec_parse(const char *text, struct rec_edit *e, size_t *ne, char *err,
    size_t errlen)
{
	const char *p = text;
	char op[16], num[REC_WORD_MAX];
	struct rec_edit x;

	*ne = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		if (*p == '\0')
			return 0;
		memset(&x, 0, sizeof(x));
		if (rec_word(&p, op, sizeof(op)) < 0)
			goto bad;
		if (strcmp(op, "add") == 0) {
			x.op = REC_ADD;
			if (rec_word(&p, x.name, sizeof(x.name)) < 0 ||
			    rec_rest(&p, x.value, sizeof(x.value)) < 0)
				goto bad;
		} else if (strcmp(op, "ins") == 0) {
			x.op = REC_INS;
			if (rec_word(&p, num, sizeof(num)) < 0 ||
			    rec_number(num, &x.index) < 0 ||
			    rec_word(&p, x.name, sizeof(x.name)) < 0 ||
			    rec_rest(&p, x.value, sizeof(x.value)) < 0)
				goto bad;
		} else if (strcmp(op, "chg") == 0 || strcmp(op, "del") == 0) {
			x.op = op[0] == 'c' ? REC_CHG : REC_DEL;
			if (rec_word(&p, x.name, sizeof(x.name)) < 0 ||
			    rec_word(&p, num, sizeof(num)) < 0 ||
			    rec_number(num, &x.index) < 0 || x.index == 0)
				goto bad;
			if (x.op == REC_CHG &&
			    rec_rest(&p, x.value, sizeof(x.value)) < 0)
				goto bad;
		} else {
			goto bad;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\0' && *p != ';')
			goto bad;
		if (*ne >= REC_EDITS_MAX) {
			snprintf(err, errlen, "more than %d edits",
			    REC_EDITS_MAX);
			return -1;
		}
		e[(*ne)++] = x;
	}
bad:
	snprintf(err, errlen, "bad edit near \"%.40s\" (add NAME VALUE | ins "
	    "INDEX NAME VALUE | chg NAME N VALUE | del NAME N)", p);
	return -1;
}

static int
rec_edits_check(const char *text, char *err, size_t errlen)
{
	static struct rec_edit e[REC_EDITS_MAX];	/* checks run at start */
	size_t ne;

	return rec_parse(text, e, &ne, err, errlen);
}

#define ROW(key, type, def, lo, hi, field, chk, help)				\
	MK_CONF_ROW("record", key, type, def, lo, hi, NULL, struct rec_conf,	\
	    field, chk, help)

static const struct mk_cfg_row rec_rows[] = {
	MK_CONF_MILTER_ROWS("record", struct rec_conf),
	ROW("log", MK_CFG_STRING, "", 0, 4096, log, NULL,
	    "file the record filter appends what it sees to (empty: none)"),
	ROW("edits", MK_CFG_STRING, "", 0, 8192, edits, rec_edits_check,
	    "header edits made at end of message, separated by ';'"),
	ROW("reject_rcpt", MK_CFG_STRING, "", 0, 64, reject_rcpt, NULL,
	    "local part of a recipient refused at RCPT (empty: none)"),
	{ NULL, NULL, 0, NULL, 0, 0, NULL, 0, NULL, NULL }
};

static const struct mk_conf_section rec_conf_section = {
	"record", rec_rows, sizeof(struct rec_conf), 1, 1
};

/* ---- the record filter ------------------------------------------------------- */

static int
rec_init(const struct mk_conf *conf, void **state, char *err, size_t errlen)
{
	const struct rec_conf *c = mk_conf_section(conf, "record");
	struct rec_state *s;

	if (c == NULL) {
		snprintf(err, errlen, "[record] is not registered");
		return -1;
	}
	s = mk_calloc(1, sizeof(*s));
	s->log = mk_strdup(c->log);
	s->reject_rcpt = mk_strdup(c->reject_rcpt);
	if (rec_parse(c->edits, s->e, &s->ne, err, errlen) < 0) {
		free(s->log);
		free(s->reject_rcpt);
		free(s);
		return -1;
	}
	*state = s;
	return 0;
}

static void
rec_fini(void *state)
{
	struct rec_state *s = state;

	if (s == NULL)
		return;
	free(s->log);
	free(s->reject_rcpt);
	free(s);
}

static void
rec_escape(FILE *fp, const char *v)
{
	for (; *v != '\0'; v++) {
		unsigned char c = (unsigned char)*v;

		if (c == '\\')
			fputs("\\\\", fp);
		else if (c == '\n')
			fputs("\\n", fp);
		else if (c == '\r')
			fputs("\\r", fp);
		else if (c == '\t')
			fputs("\\t", fp);
		else if (c < 0x20 || c == 0x7f)
			fprintf(fp, "\\x%02x", c);
		else
			fputc(c, fp);
	}
}

/* A memory stream for one callback's lines, written at once by rec_flush. */
static FILE *
rec_open(char **buf, size_t *len)
{
	*buf = NULL;
	return open_memstream(buf, len);
}

static void
rec_flush(const struct mk_msg *msg, FILE *fp, char **buf, size_t *len)
{
	const struct rec_state *s = msg->conn->state;
	int fd;

	if (fp == NULL || fclose(fp) != 0) {
		free(*buf);
		return;
	}
	if (s->log[0] != '\0' &&
	    (fd = open(s->log, O_WRONLY | O_APPEND | O_CREAT, 0644)) >= 0) {
		if (write(fd, *buf, *len) != (ssize_t)*len)
			mk_log(MK_LOG_WARN, "record: short write to %s",
			    s->log);
		close(fd);
	}
	free(*buf);
}

static const char *
rec_qid(const struct mk_msg *msg)
{
	return mk_milter_qid(msg->conn, msg);
}

static sfsistat
rec_mail(struct mk_msg *msg, char **argv)
{
	char *buf;
	size_t len;
	FILE *fp = rec_open(&buf, &len);

	if (fp != NULL) {
		fprintf(fp, "%s mail ", rec_qid(msg));
		rec_escape(fp, argv[0] != NULL ? argv[0] : "");
		fputc('\n', fp);
	}
	rec_flush(msg, fp, &buf, &len);
	return SMFIS_CONTINUE;
}

/* Whether the local part of <a> is s->reject_rcpt. */
static int
rec_refused(const struct rec_state *s, const char *a)
{
	size_t n = strlen(s->reject_rcpt);

	if (n == 0)
		return 0;
	if (*a == '<')
		a++;
	return strncasecmp(a, s->reject_rcpt, n) == 0 && a[n] == '@';
}

static sfsistat
rec_rcpt(struct mk_msg *msg, char **argv)
{
	const char *a = argv[0] != NULL ? argv[0] : "";
	int refuse = rec_refused(msg->conn->state, a);
	char *buf;
	size_t len;
	FILE *fp = rec_open(&buf, &len);

	if (fp != NULL) {
		fprintf(fp, "%s %s ", rec_qid(msg), refuse ? "refuse" : "rcpt");
		rec_escape(fp, a);
		fputc('\n', fp);
	}
	rec_flush(msg, fp, &buf, &len);
	if (!refuse)
		return SMFIS_CONTINUE;
	mk_milter_setreply(msg->conn, "550", "5.7.1", "recipient refused by "
	    "the record filter");
	return SMFIS_REJECT;
}

static sfsistat
rec_header(struct mk_msg *msg, const char *name, const char *value)
{
	char *buf;
	size_t len;
	FILE *fp = rec_open(&buf, &len);

	if (fp != NULL) {
		fprintf(fp, "%s header ", rec_qid(msg));
		rec_escape(fp, name);
		fputc(':', fp);
		rec_escape(fp, value);
		fputc('\n', fp);
	}
	rec_flush(msg, fp, &buf, &len);
	return SMFIS_CONTINUE;
}

/* The block as it is now, one "QID what Name:value" line per field. */
static int
rec_block(struct mk_msg *msg, FILE *fp, const char *what)
{
	const struct mk_hfield *f;
	ssize_t n = mk_milter_headers(msg, &f);

	if (n < 0) {
		fprintf(fp, "%s %s-overflow\n", rec_qid(msg), what);
		return -1;
	}
	for (ssize_t i = 0; i < n; i++) {
		fprintf(fp, "%s %s ", rec_qid(msg), what);
		rec_escape(fp, f[i].name);
		fputc(':', fp);
		rec_escape(fp, f[i].value);
		fputc('\n', fp);
	}
	return 0;
}

static int
rec_apply(struct mk_msg *msg, const struct rec_edit *e)
{
	switch (e->op) {
	case REC_ADD:
		return mk_milter_addheader(msg, e->name, e->value);
	case REC_INS:
		return mk_milter_insheader(msg, e->index, e->name, e->value);
	case REC_CHG:
		return mk_milter_chgheader(msg, e->name, e->index, e->value);
	default:
		return mk_milter_chgheader(msg, e->name, e->index, NULL);
	}
}

static sfsistat
rec_eom(struct mk_msg *msg)
{
	const struct rec_state *s = msg->conn->state;
	sfsistat rc = SMFIS_CONTINUE;
	char *buf;
	size_t len;
	FILE *fp = rec_open(&buf, &len);

	if (fp == NULL)
		return mk_milter_on_error(msg->conn, msg, "no memory");
	fprintf(fp, "%s nrcpt %u\n", rec_qid(msg), msg->nrcpt);
	if (rec_block(msg, fp, "eom-seen") == 0) {
		for (size_t i = 0; i < s->ne && rc == SMFIS_CONTINUE; i++)
			if (rec_apply(msg, &s->e[i]) < 0)
				rc = mk_milter_on_error(msg->conn, msg,
				    "record: edit %zu refused", i + 1);
		rec_block(msg, fp, "eom-header");
	}
	fprintf(fp, "%s eom-end\n", rec_qid(msg));
	rec_flush(msg, fp, &buf, &len);
	return rc;
}

static const struct mk_milter_desc rec_filter = {
	.name = "testchain-record",
	.section = "record",
	.version = PACKAGE_VERSION,
	.flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
	.no_reply = SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_HDR,
	.macros = {
		[SMFIM_ENVFROM] = "i",
		[SMFIM_ENVRCPT] = "i",
		[SMFIM_EOM] = "i",
	},
	.header_block = 1,
	.init = rec_init,
	.fini = rec_fini,
	.mail = rec_mail,
	.rcpt = rec_rcpt,
	.header = rec_header,
	.eom = rec_eom,
};

/* ---- the program --------------------------------------------------------------- */

static const struct mk_conf_section *tc_sections[16];

static const struct mk_milter_desc *
tc_filter(const char *name)
{
	if (strcmp(name, rec_filter.section) == 0)
		return &rec_filter;
	return mkf_filter(name);
}

static int
tc_chain(const struct mk_conf *conf, const struct mk_milter_desc **out,
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
		if ((out[*n] = tc_filter(name)) == NULL) {
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

static const struct mk_milter_prog tc_prog = {
	.name = "testchain",
	.section = "chain",
	.version = PACKAGE_VERSION,
	.chain = tc_chain,
};

int
main(int argc, char **argv)
{
	size_t i = 0;

	for (; mkf_sections[i] != NULL; i++) {
		if (i + 2 >= sizeof(tc_sections) / sizeof(tc_sections[0]))
			mk_panic("testchain: too many sections");
		tc_sections[i] = mkf_sections[i];
	}
	tc_sections[i] = &rec_conf_section;
	mk_conf_use(tc_sections);
	return mk_milter_chain_main(&tc_prog, argc, argv);
}
