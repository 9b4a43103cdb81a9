/*
 * NAME
 *	cmd_ingest.c - `milterkit ingest`: bounces, complaints and
 *	unsubscribe mail into the suppression list
 * SYNOPSIS
 *	int	cmd_ingest(struct tool *t, int argc, char **argv);
 * DESCRIPTION
 *	milterkit ingest [--dry-run] [--json] [--stderr] [--recipient ADDR]
 *	    [--sender ADDR] [FILE|-]...
 *
 *	Reads each message (standard input when none is named, as a Postfix
 *	pipe transport gives it), parses it (ingest_parse.h), decides per
 *	recipient (ingest_decide.h) and applies the decisions to the store,
 *	all messages of one run in one batch: one durable commit of the
 *	suppression entries, then one of the feedback/ environment (soft
 *	bounce counts, reports seen). Every message is remembered by a
 *	digest of its bytes, so the same report twice changes nothing the
 *	second time; an entry that exists is left as it is (a permanent
 *	entry is never shortened, an expiring one is made permanent by a
 *	hard bounce).
 *
 *	Output: one log line per decision ([log] target; --stderr adds
 *	standard error), and with --json one JSON object per recipient on
 *	standard output: kind, recipient, status, scope, action (suppress,
 *	exists, count, seen, none; "would-" in front with --dry-run), why,
 *	file. --dry-run reads the store and changes nothing.
 * DIAGNOSTICS
 *	Exit 0 when every message was handled or ignored (garbage included:
 *	it never goes back as a bounce); 75 (EX_TEMPFAIL) when the store or
 *	a key cannot be read or written now, so that the MTA keeps the
 *	message and tries again (nothing of the batch is committed then);
 *	2 on usage errors and files that cannot be read.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "headers/headers_conf.h"
#include "ingest_conf.h"
#include "ingest_decide.h"
#include "ingest_parse.h"
#include "mk_feedback.h"
#include "mk_log.h"
#include "mk_mem.h"
#include "mk_strbuf.h"
#include "returnpath/returnpath_conf.h"
#include "tool.h"

#define ING_EX_TEMPFAIL 75
#define ING_BATCH 1000			/* messages per commit */
#define ING_SEEN_SLOTS 4096		/* entries added within one batch */

struct ing_opts {
	int dry_run, json, to_stderr;
	const char *rcpt, *sender;
	char **files;
	int nfiles;
};

struct ing_run {
	struct tool *t;
	const struct ing_opts *o;
	struct ing_ctx x;
	struct mk_store *st;
	struct mk_feedback *fb;
	struct mk_supp_import *imp;
	struct mk_strbuf out;		/* JSON lines, printed after commit */
	struct mk_strbuf log;		/* log lines, logged after commit */
	char **added;			/* "scope NUL target" keys of the batch */
	size_t nadded;
	int dirty;			/* the batch has suppressions */
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: milterkit ingest [--dry-run] [--json] [--stderr] "
	    "[--recipient ADDR]\n"
	    "                        [--sender ADDR] [FILE|-]...\n"
	    "Reads bounces (DSN and free text), complaints (ARF) and mail to "
	    "the\nunsubscribe address, and suppresses what they name. Exit "
	    "0 handled or\nignored, 75 try later (store or key unavailable), "
	    "2 usage.\n");
}

static int
parse_opts(int argc, char **argv, struct ing_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->files = mk_calloc((size_t)argc + 1, sizeof(char *));
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			o->dry_run = 1;
		else if (strcmp(argv[i], "--json") == 0)
			o->json = 1;
		else if (strcmp(argv[i], "--stderr") == 0)
			o->to_stderr = 1;
		else if ((strcmp(argv[i], "--recipient") == 0 ||
		    strcmp(argv[i], "--sender") == 0) && i + 1 < argc) {
			if (argv[i][2] == 'r')
				o->rcpt = argv[++i];
			else
				o->sender = argv[++i];
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			return 1;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "milterkit ingest: unknown option "
			    "\"%.40s\"\n", argv[i]);
			return -1;
		} else {
			o->files[o->nfiles++] = argv[i];
		}
	}
	if (o->nfiles == 0)
		o->files[o->nfiles++] = "-";
	return 0;
}

/*
 * Reads the whole input, keeping at most max octets (the rest is read and
 * dropped: a pipe writer must not see a broken pipe). 0, or -1.
 */
static int
read_msg(const char *path, size_t max, char **buf, size_t *len)
{
	char chunk[65536];
	struct mk_strbuf b = { NULL, 0, 0 };
	ssize_t n;
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC |
	    O_NOCTTY);

	if (fd < 0)
		return -1;
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (b.len < max)
			mk_strbuf_add(&b, chunk, (size_t)n > max - b.len ?
			    max - b.len : (size_t)n);
	}
	if (fd != 0)
		close(fd);
	if (n < 0) {
		mk_strbuf_free(&b);
		return -1;
	}
	*len = b.len;
	*buf = mk_strbuf_take(&b);
	return 0;
}

static void bfmt(struct mk_strbuf *b, const char *fmt, ...) MK_PRINTF(2, 3);

/* printf into b; a line longer than 4 KiB is cut (ours are bounded). */
static void
bfmt(struct mk_strbuf *b, const char *fmt, ...)
{
	char line[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		mk_strbuf_add(b, line, (size_t)n < sizeof(line) ? (size_t)n :
		    sizeof(line) - 1);
}

/* The report's identity: SHA-256 of its bytes, 64 hex digits. */
static void
digest(const char *buf, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	static const char hex[] = "0123456789abcdef";

	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		mdlen = 0;
	for (unsigned i = 0; i < 32 && i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[mdlen >= 32 ? 64 : 0] = '\0';
}

/* Keys the batch added (scope, target), so a repeat is not added twice. */
static int
batch_has(struct ing_run *g, const char *scope, const char *target, int add)
{
	size_t sl = strlen(scope), tl = strlen(target);

	for (size_t i = 0; i < g->nadded; i++)
		if (strcmp(g->added[i], scope) == 0 &&
		    strcmp(g->added[i] + sl + 1, target) == 0)
			return 1;
	if (add && g->nadded < ING_SEEN_SLOTS) {
		char *k = mk_malloc(sl + tl + 2);

		memcpy(k, scope, sl + 1);
		memcpy(k + sl + 1, target, tl + 1);
		g->added[g->nadded++] = k;
	}
	return 0;
}

/*
 * Suppress one recipient unless an entry that lasts at least as long is
 * there. Returns the action, or NULL on a store error (logged).
 */
static const char *
suppress(struct ing_run *g, const struct ing_decision *d, int64_t expires,
    const char *note, int *err)
{
	struct mk_supp_entry e, have;
	int rc;

	rc = g->st != NULL ? mk_supp_get(g->st, d->scope, d->rcpt, &have) :
	    MK_STORE_ENOTFOUND;
	if (rc == 0 && (have.expires == 0 || (expires != 0 &&
	    have.expires >= expires)))
		return "exists";
	if (rc != 0 && rc != MK_STORE_ENOTFOUND) {
		mk_error("ingest: cannot read the store: %s (%s)",
		    mk_store_strerror(rc), mk_store_errdetail(g->st));
		*err = 1;
		return NULL;
	}
	if (batch_has(g, d->scope, d->rcpt, 1))
		return "exists";
	if (g->o->dry_run)
		return "suppress";
	memset(&e, 0, sizeof(e));
	snprintf(e.scope, sizeof(e.scope), "%s", d->scope);
	snprintf(e.target, sizeof(e.target), "%s", d->rcpt);
	e.reason = d->reason;
	e.created = g->t->now;
	e.expires = expires;
	snprintf(e.note, sizeof(e.note), "%s", note);
	if ((rc = mk_supp_import_add(g->imp, &e)) != 0) {
		mk_error("ingest: cannot add %s: %s (%s)", d->rcpt,
		    mk_store_strerror(rc), mk_store_errdetail(g->st));
		*err = 1;
		return NULL;
	}
	g->dirty = 1;
	return "suppress";
}

/* Soft bounce: count it; past the threshold, suppress for soft_expire. */
static const char *
soft(struct ing_run *g, const struct ing_decision *d, char *note,
    size_t notelen, int *err)
{
	const struct ingest_conf *c = g->x.c;
	unsigned n = 0;
	int rc;

	if (g->fb == NULL)
		rc = 0;			/* a dry run without feedback/ yet */
	else if (g->o->dry_run)
		rc = mk_feedback_soft_count(g->fb, d->scope, d->rcpt,
		    g->t->now, c->soft_window, &n);
	else
		rc = mk_feedback_soft(g->fb, d->scope, d->rcpt, g->t->now,
		    c->soft_window, &n);
	if (rc != 0) {
		mk_error("ingest: feedback: %s (%s)", mk_store_strerror(rc),
		    mk_feedback_errdetail());
		*err = 1;
		return NULL;
	}
	if (g->o->dry_run)
		n++;
	snprintf(note, notelen, "%u soft bounces within %llds", n,
	    (long long)c->soft_window);
	if ((long long)n < c->soft_threshold)
		return "count";
	return suppress(g, d, c->soft_expire == 0 ? 0 :
	    g->t->now + c->soft_expire, note, err);
}

static void
emit(struct ing_run *g, const char *file, const struct ing_decision *d,
    const char *action)
{
	char rc[2 * sizeof(d->rcpt) + 3], why[2 * sizeof(d->why) + 3],
	    fn[1100], pr[sizeof(d->why)], act[32];
	const char *scope = d->kind == ING_IGNORED ? "" :
	    d->scope[0] == '\0' ? "global" : d->scope;

	snprintf(act, sizeof(act), "%s%s", g->o->dry_run &&
	    strcmp(action, "none") != 0 ? "would-" : "", action);
	mk_printable(pr, sizeof(pr), d->why, (size_t)-1);
	bfmt(&g->log, "ingest: %s rcpt=<%s> status=%s scope=%s "
	    "action=%s why=\"%s\"", ingest_kind_name(d->kind), d->rcpt,
	    d->status[0] != '\0' ? d->status : "-", scope[0] != '\0' ? scope :
	    "-", act, pr);
	mk_strbuf_ch(&g->log, '\n');
	if (!g->o->json)
		return;
	cli_json_escape(rc, sizeof(rc), d->rcpt);
	cli_json_escape(why, sizeof(why), pr);
	if (cli_json_escape(fn, sizeof(fn), file) < 0)
		snprintf(fn, sizeof(fn), "\"\"");
	bfmt(&g->out, "{\"kind\":\"%s\",\"recipient\":%s,"
	    "\"status\":\"%s\",\"scope\":\"%s\",\"action\":\"%s\",\"why\":%s,"
	    "\"file\":%s}\n", ingest_kind_name(d->kind), rc, d->status, scope,
	    act, why, fn);
}

/* One message: parse, decide, apply. 0, or -1 on a store error. */
static int
one(struct ing_run *g, const char *file, const char *buf, size_t len)
{
	static struct ingest_report r;
	static struct ing_decision d[ING_ITEMS_MAX];
	char id[65], note[MK_SUPP_NOTE_MAX + 1];
	size_t n;
	int seen = 0, err = 0;

	if (ingest_parse(buf, len, &r) != 0)
		return -1;
	n = ing_decide(&g->x, &r, g->o->rcpt, g->o->sender, d, ING_ITEMS_MAX);
	digest(buf, len, id);
	if (g->fb != NULL && id[0] != '\0') {
		seen = mk_feedback_seen(g->fb, id, g->t->now, g->x.c->remember);
		if (seen < 0) {
			mk_error("ingest: feedback: %s (%s)",
			    mk_store_strerror(seen), mk_feedback_errdetail());
			return -1;
		}
	}
	for (size_t i = 0; i < n && !err; i++) {
		const char *action = "none";

		if (d[i].kind == ING_IGNORED) {
			action = "none";
		} else if (seen) {
			action = "seen";
		} else if (d[i].kind == ING_SOFT) {
			action = soft(g, &d[i], note, sizeof(note), &err);
		} else {
			snprintf(note, sizeof(note), "%s%s%s",
			    ingest_kind_name(d[i].kind), d[i].status[0] != '\0' ?
			    " " : "", d[i].status);
			action = suppress(g, &d[i], 0, note, &err);
			if (action != NULL && d[i].kind == ING_HARD &&
			    g->fb != NULL && !g->o->dry_run &&
			    mk_feedback_soft_clear(g->fb, d[i].scope,
			    d[i].rcpt) != 0)
				err = 1;
		}
		if (action != NULL)
			emit(g, file, &d[i], action);
	}
	return err ? -1 : 0;
}

/* Loads a key named by a section, or NULL when the key is not set. */
static int
load_key(const char *path, const char *what, unsigned char **key,
    size_t *len)
{
	char err[600];

	*key = NULL;
	*len = 0;
	if (path == NULL || path[0] == '\0')
		return 0;
	if (mk_token_key_load(path, what, key, len, err, sizeof(err)) != 0) {
		mk_error("ingest: %s", err);
		return -1;
	}
	return 0;
}

/* Opens what a run needs; 0, or the exit code. */
static int
open_all(struct ing_run *g)
{
	struct tool *t = g->t;
	const struct hdr_conf *h = hdr_conf(t->conf);
	const struct rp_conf *rp = rp_conf(t->conf);
	unsigned char *k;
	size_t kl;
	char path[4200];
	struct stat sb;
	int rc;

	g->x.c = ingest_conf(t->conf);
	g->x.now = t->now;
	g->x.unsub_mailto = h->unsub_mailto;
	if (load_key(rp->secret_file, "[returnpath] secret_file", &k, &kl) != 0)
		return ING_EX_TEMPFAIL;
	g->x.rp_key = k;
	g->x.rp_keylen = kl;
	if (load_key(h->unsub_secret_file, "[headers] unsubscribe_secret_file",
	    &k, &kl) != 0)
		return ING_EX_TEMPFAIL;
	g->x.unsub_key = k;
	g->x.unsub_keylen = kl;
	if (g->o->dry_run) {
		/* No store yet: nothing is suppressed, say what would be. */
		rc = tool_open_store(t, TOOL_READ, &g->st);
		if (rc == MK_STORE_ENOENT) {
			g->st = NULL;
			return 0;
		}
		if (rc != 0)
			return ING_EX_TEMPFAIL;
		snprintf(path, sizeof(path), "%s/feedback/data.mdb",
		    t->store_dir);
		if (stat(path, &sb) == 0 && mk_feedback_open(t->store_dir,
		    0, &g->fb) != 0)
			g->fb = NULL;
		if (g->fb != NULL && mk_feedback_begin(g->fb) != 0)
			return ING_EX_TEMPFAIL;
	} else {
		if (tool_open_store(t, TOOL_CREATE, &g->st) != 0)
			return ING_EX_TEMPFAIL;
		if ((rc = mk_feedback_open(t->store_dir, t->conf->store.map_size,
		    &g->fb)) != 0) {
			mk_error("ingest: cannot open the feedback store: %s (%s)",
			    mk_store_strerror(rc), mk_feedback_errdetail());
			return ING_EX_TEMPFAIL;
		}
	}
	g->x.ao = g->st != NULL ? mk_store_addr_opts(g->st) : NULL;
	return 0;
}

/* Starts a batch: the import and the feedback transaction. */
static int
batch_begin(struct ing_run *g)
{
	int rc;

	if (g->o->dry_run)
		return 0;
	if ((rc = mk_supp_import_begin(g->st, &g->imp)) != 0 ||
	    (rc = mk_feedback_begin(g->fb)) != 0) {
		mk_error("ingest: cannot begin a batch: %s (%s)",
		    mk_store_strerror(rc), mk_store_errdetail(g->st));
		return -1;
	}
	return 0;
}

/*
 * Ends a batch: suppressions first (durable), then the counts and the
 * digests, so that a run killed between the two commits is run again
 * whole (the suppressions are then found, unchanged). ok 0 aborts.
 */
static int
batch_end(struct ing_run *g, int ok)
{
	size_t added = 0, replaced = 0;
	int rc = 0;

	if (!g->o->dry_run) {
		if (!ok) {
			mk_supp_import_abort(g->imp);
			mk_feedback_abort(g->fb);
		} else if (!g->dirty) {
			mk_supp_import_abort(g->imp);	/* nothing to commit */
			if ((rc = mk_feedback_commit(g->fb)) != 0)
				mk_error("ingest: cannot commit the feedback "
				    "store: %s (%s)", mk_store_strerror(rc),
				    mk_feedback_errdetail());
		} else if ((rc = mk_supp_import_commit(g->imp, &added,
		    &replaced)) != 0) {
			mk_error("ingest: cannot commit suppressions: %s (%s)",
			    mk_store_strerror(rc), mk_store_errdetail(g->st));
			mk_feedback_abort(g->fb);
		} else if ((rc = mk_feedback_commit(g->fb)) != 0) {
			mk_error("ingest: cannot commit the feedback store: %s "
			    "(%s)", mk_store_strerror(rc),
			    mk_feedback_errdetail());
		}
		g->imp = NULL;
	}
	if (ok && rc == 0) {
		char *p = g->log.p, *nl;

		while (p != NULL && (nl = strchr(p, '\n')) != NULL) {
			*nl = '\0';
			mk_info("%s", p);
			p = nl + 1;
		}
		if (g->out.len > 0)
			fwrite(g->out.p, 1, g->out.len, stdout);
	}
	mk_strbuf_free(&g->log);
	mk_strbuf_free(&g->out);
	for (size_t i = 0; i < g->nadded; i++)
		free(g->added[i]);
	g->nadded = 0;
	g->dirty = 0;
	return ok && rc == 0 ? 0 : -1;
}

/* Forwards a bounce to the sender its token names: 0, or -1. */
static int
forward(struct ing_run *g, const char *buf, size_t len)
{
	static struct ingest_report r;
	struct ing_decision d[1];
	char local[MK_TOKEN_RP_MAX + 1];
	const char *cand[2] = { g->o->rcpt, NULL }, *at;
	struct mk_rp_token tok;
	int fds[2], status;
	pid_t pid;

	if (ingest_parse(buf, len, &r) != 0 ||
	    (r.type != ING_T_DSN && r.type != ING_T_BOUNCE_TEXT) ||
	    ing_decide(&g->x, &r, g->o->rcpt, g->o->sender, d, 1) == 0 ||
	    g->x.rp_key == NULL)
		return 0;
	cand[1] = r.orig_return_path;
	if (cand[0] == NULL || cand[0][0] == '\0')
		cand[0] = r.to;
	for (int i = 0; i < 2; i++) {
		if (cand[i] == NULL || (at = strrchr(cand[i], '@')) == NULL ||
		    (size_t)(at - cand[i]) >= sizeof(local))
			continue;
		memcpy(local, cand[i], (size_t)(at - cand[i]));
		local[at - cand[i]] = '\0';
		if (mk_token_rp_parse(g->x.rp_key, g->x.rp_keylen, local,
		    strlen(local), g->t->now, &tok) == 0)
			break;
		tok.sender[0] = '\0';
	}
	if (tok.sender[0] == '\0')
		return 0;
	if (pipe(fds) != 0 || (pid = fork()) < 0) {
		mk_error("ingest: forward: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		dup2(fds[0], 0);
		close(fds[0]);
		close(fds[1]);
		execl(g->x.c->sendmail, g->x.c->sendmail, "-i", "-f", "",
		    "--", tok.sender, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	for (size_t off = 0; off < len; ) {
		ssize_t n = write(fds[1], buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fds[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		mk_error("ingest: forward to <%s> with %s failed (status %d)",
		    tok.sender, g->x.c->sendmail, WIFEXITED(status) ?
		    WEXITSTATUS(status) : -1);
		return -1;
	}
	mk_info("ingest: forwarded the bounce to <%s>", tok.sender);
	return 0;
}

static int
run(struct ing_run *g)
{
	int rc, code = 0, inbatch = 0;
	char *buf;
	size_t len;

	if ((rc = open_all(g)) != 0)
		return rc;
	g->added = mk_calloc(ING_SEEN_SLOTS, sizeof(char *));
	ingest_parse_init();
	for (int i = 0; i < g->o->nfiles && code == 0; i++) {
		if (read_msg(g->o->files[i], (size_t)g->x.c->max_size, &buf,
		    &len) != 0) {
			fprintf(stderr, "milterkit ingest: %s: %s\n",
			    g->o->files[i], strerror(errno));
			code = CLI_EXIT_USAGE;
			break;
		}
		if (!inbatch && batch_begin(g) != 0)
			code = ING_EX_TEMPFAIL;
		else
			inbatch = 1;
		if (code == 0 && one(g, g->o->files[i], buf, len) != 0)
			code = ING_EX_TEMPFAIL;
		if (code == 0 && g->x.c->forward && !g->o->dry_run &&
		    forward(g, buf, len) != 0)
			code = ING_EX_TEMPFAIL;
		free(buf);
		if (code == 0 && ((i + 1) % ING_BATCH == 0 ||
		    i + 1 == g->o->nfiles)) {
			inbatch = 0;
			if (batch_end(g, 1) != 0)
				code = ING_EX_TEMPFAIL;
		}
	}
	if (inbatch)
		batch_end(g, 0);
	return code;
}

int
cmd_ingest(struct tool *t, int argc, char **argv)
{
	struct ing_opts o;
	struct ing_run g;
	char err[256];
	int rc;

	if ((rc = parse_opts(argc, argv, &o)) != 0) {
		usage(rc > 0 ? stdout : stderr);
		free(o.files);
		return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	if (!o.to_stderr && mk_log_set_target(t->conf->log.target != NULL ?
	    t->conf->log.target : "syslog", err, sizeof(err)) != 0)
		fprintf(stderr, "milterkit ingest: %s\n", err);
	mk_log_set_level((enum mk_log_level)t->conf->log.level);
	memset(&g, 0, sizeof(g));
	g.t = t;
	g.o = &o;
	rc = run(&g);
	if (g.fb != NULL) {
		mk_feedback_abort(g.fb);
		mk_feedback_close(g.fb);
	}
	if (g.st != NULL) {
		if (o.dry_run)
			mk_store_close(g.st);
		else if (tool_store_finish(t, g.st, 0) != 0 && rc == 0)
			rc = ING_EX_TEMPFAIL;
	}
	mk_token_key_free((unsigned char *)g.x.rp_key, g.x.rp_keylen);
	mk_token_key_free((unsigned char *)g.x.unsub_key, g.x.unsub_keylen);
	mk_strbuf_free(&g.out);
	mk_strbuf_free(&g.log);
	free(g.added);
	free(o.files);
	return rc;
}
