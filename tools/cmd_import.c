/*
 * NAME
 *	cmd_import.c - `milterkit suppress import`, all or nothing
 * SYNOPSIS
 *	int	cmd_import(struct tool *t, struct mk_store *st,
 *			const struct cli_supp_opts *o);
 * DESCRIPTION
 *	Reads FILE (or standard input for "-") through one fixed buffer, so
 *	a million lines cost no allocation per line and an over-long line is
 *	an error rather than a truncation. Every line is parsed by
 *	cli_import_line(), normalized with the store's rules and handed to
 *	mk_supp_import_add(); mk_supp_import_commit() makes the whole import
 *	visible at once. A bad line aborts the import ("FILE:LINE: why",
 *	nothing written, exit 2) unless --skip-bad, which reports the line
 *	on stderr and goes on. A process killed half way leaves the store as
 *	it was: nothing is committed before the end.
 * DIAGNOSTICS
 *	Returns the command's exit code; on success prints
 *	"imported N (added A, replaced R, skipped S)".
 * SEE ALSO
 *	milterkit(8), cli.h, mk_store.h
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

#define READ_BUF (256 * 1024)
#define PROGRESS_EVERY 100000

struct reader {
	int fd;
	int eof;
	size_t start, end;
	char buf[READ_BUF + 1];
};

struct import_state {
	const char *name;		/* for messages */
	size_t lineno, lines, skipped;
	int format;			/* CLI_FMT_*, settled on first data line */
	struct cli_import_defaults def;
	char last_scope[MK_SUPP_SCOPE_MAX + 1];	/* raw scope of last line */
	char norm_scope[MK_SUPP_SCOPE_MAX + 1];	/* and its normal form */
	int have_scope;
};

/* Fill the buffer after the pending bytes; returns -1 on a read error. */
static int
fill(struct reader *r)
{
	ssize_t n;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	do
		n = read(r->fd, r->buf + r->end, READ_BUF - r->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0)
		r->eof = 1;
	r->end += (size_t)n;
	return 0;
}

/*
 * Next line, NUL-terminated in place, without its '\n'. Returns 1, 0 at
 * end of input, -1 on a read error; *toolong marks a line over
 * CLI_LINE_MAX, whose bytes have been skipped.
 */
static int
next_line(struct reader *r, char **line, size_t *len, int *toolong)
{
	char *nl;

	*toolong = 0;
	for (;;) {
		nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		if (nl != NULL) {
			*nl = '\0';
			*line = r->buf + r->start;
			*len = (size_t)(nl - *line);
			r->start = (size_t)(nl - r->buf) + 1;
			if (*len > CLI_LINE_MAX + 1)
				*toolong = 1;
			return 1;
		}
		if (r->end - r->start > CLI_LINE_MAX + 1) {
			*toolong = 1;	/* drop what we have, keep looking */
			r->start = r->end = 0;
		}
		if (r->eof) {
			if (r->start == r->end)
				return *toolong;
			r->buf[r->end] = '\0';
			*line = r->buf + r->start;
			*len = r->end - r->start;
			r->start = r->end;
			return 1;
		}
		if (fill(r) < 0)
			return -1;
	}
}

/* Turn a parsed record into a store entry, normalized. */
static int
make_entry(struct import_state *s, const struct mk_addr_opts *ao,
    const struct cli_import_rec *rec, struct mk_supp_entry *e, int64_t now,
    char *err, size_t errlen)
{
	if (strlen(rec->scope) > MK_SUPP_SCOPE_MAX) {
		snprintf(err, errlen, "scope too long");
		return -1;
	}
	if (!s->have_scope || strcmp(rec->scope, s->last_scope) != 0) {
		if (tool_norm_scope(rec->scope, s->norm_scope,
		    sizeof(s->norm_scope), err, errlen) < 0) {
			s->have_scope = 0;
			return -1;
		}
		strcpy(s->last_scope, rec->scope);
		s->have_scope = 1;
	}
	if (tool_norm_target(ao, rec->addr, e->target, sizeof(e->target), err,
	    errlen) < 0)
		return -1;
	strcpy(e->scope, s->norm_scope);
	e->reason = rec->reason;
	e->created = now;
	e->expires = rec->expires;
	snprintf(e->note, sizeof(e->note), "%s", rec->note);
	return 0;
}

/* The first line that is not blank or a comment decides CSV or plain. */
static void
settle_format(struct import_state *s, const char *line)
{
	while (*line == ' ' || *line == '\t')
		line++;
	if (*line != '\0' && *line != '#' && *line != '\r')
		s->format = cli_detect_format(line, strlen(line));
}

/* Report a bad line; returns 0 to go on (--skip-bad), -1 to stop. */
static int
bad_line(struct import_state *s, int skip_bad, const char *why)
{
	fprintf(stderr, "%s%s:%zu: %s\n", skip_bad ? "skipped: " : "", s->name,
	    s->lineno, why);
	s->skipped++;
	return skip_bad ? 0 : -1;
}

/* Feed every line to the import; returns an exit code. */
static int
import_lines(struct tool *t, struct mk_store *st, struct mk_supp_import *imp,
    struct reader *r, struct import_state *s, int skip_bad)
{
	const struct mk_addr_opts *ao = mk_store_addr_opts(st);
	struct cli_import_rec rec;
	struct mk_supp_entry e;
	int tty = isatty(2), toolong, rc;
	char err[512], *line;
	size_t len;

	memset(&e, 0, sizeof(e));
	while ((rc = next_line(r, &line, &len, &toolong)) == 1) {
		s->lineno++;
		if (tty && s->lineno % PROGRESS_EVERY == 0)
			fprintf(stderr, "\rread %zu lines", s->lineno);
		if (toolong) {
			snprintf(err, sizeof(err), "line longer than %d octets",
			    CLI_LINE_MAX);
			if (bad_line(s, skip_bad, err) < 0)
				return CLI_EXIT_USAGE;
			continue;
		}
		if (s->format == CLI_FMT_AUTO)
			settle_format(s, line);
		rc = cli_import_line(line, len, s->format, t->now, &s->def, &rec,
		    err, sizeof(err));
		if (rc == 1)
			continue;
		if (rc < 0 || make_entry(s, ao, &rec, &e, t->now, err,
		    sizeof(err)) < 0) {
			if (bad_line(s, skip_bad, err) < 0)
				return CLI_EXIT_USAGE;
			continue;
		}
		if ((rc = mk_supp_import_add(imp, &e)) == MK_STORE_EINVAL) {
			if (bad_line(s, skip_bad, mk_store_strerror(rc)) < 0)
				return CLI_EXIT_USAGE;
			continue;
		}
		if (rc < 0)
			return tool_store_fail(t, st, rc, "import failed");
		s->lines++;
	}
	if (tty && s->lineno >= PROGRESS_EVERY)
		fprintf(stderr, "\rread %zu lines\n", s->lineno);
	if (rc < 0) {
		fprintf(stderr, "milterkit: %s: read error: %s\n", s->name,
		    strerror(errno));
		return CLI_EXIT_STORE;
	}
	return 0;
}

/* Work out the defaults for plain lines from the options. */
static int
import_defaults(struct tool *t, const struct cli_supp_opts *o,
    struct import_state *s, char *scope, size_t scopelen)
{
	char err[512];

	s->def.reason = o->reason != MK_REASON_ANY ? o->reason : MK_REASON_MANUAL;
	s->def.scope = "";
	if (o->expires != NULL && cli_parse_expires(o->expires, t->now,
	    &s->def.expires, err, sizeof(err)) < 0) {
		fprintf(stderr, "milterkit: %s\n", err);
		return CLI_EXIT_USAGE;
	}
	if (o->scope != NULL) {
		if (tool_norm_scope(o->scope, scope, scopelen, err,
		    sizeof(err)) < 0) {
			fprintf(stderr, "milterkit: %s\n", err);
			return CLI_EXIT_USAGE;
		}
		s->def.scope = scope;
	}
	return 0;
}

int
cmd_import(struct tool *t, const struct cli_supp_opts *o)
{
	static struct reader r;
	struct mk_store *st = NULL;
	struct import_state s;
	struct mk_supp_import *imp;
	char scope[MK_SUPP_SCOPE_MAX + 1];
	size_t added = 0, replaced = 0;
	int rc;

	memset(&s, 0, sizeof(s));
	s.format = o->format;
	s.name = strcmp(o->arg, "-") == 0 ? "stdin" : o->arg;
	if ((rc = import_defaults(t, o, &s, scope, sizeof(scope))) != 0)
		return rc;
	r.start = r.end = 0;
	r.eof = 0;
	r.fd = strcmp(o->arg, "-") == 0 ? 0 : open(o->arg, O_RDONLY | O_CLOEXEC);
	if (r.fd < 0) {
		fprintf(stderr, "milterkit: %s: %s\n", o->arg, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	/* The file is opened first: root may read it, the store's owner
	 * (whom root becomes to open the store) perhaps not. */
	if ((rc = tool_open_store(t, TOOL_CREATE, &st)) != 0) {
		/* tool_open_store() said why */
	} else if ((rc = mk_supp_import_begin(st, &imp)) < 0) {
		rc = tool_store_fail(t, st, rc, "cannot start import");
	} else if ((rc = import_lines(t, st, imp, &r, &s, o->skip_bad)) != 0) {
		mk_supp_import_abort(imp);
		if (rc == CLI_EXIT_USAGE)
			fprintf(stderr, "milterkit: import stopped, nothing "
			    "written\n");
	} else if ((rc = mk_supp_import_commit(imp, &added, &replaced)) < 0) {
		rc = tool_store_fail(t, st, rc, "import failed, nothing written");
	}
	if (r.fd != 0)
		close(r.fd);
	/* A new store is published whole, or not at all. */
	if (st != NULL && (rc = tool_store_finish(t, st, rc)) == 0)
		printf("imported %zu (added %zu, replaced %zu, skipped %zu)\n",
		    s.lines, added, replaced, s.skipped);
	return rc;
}
