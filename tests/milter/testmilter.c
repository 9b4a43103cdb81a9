/*
 * NAME
 *	testmilter - a tiny milter on the skeleton, for tests only
 * SYNOPSIS
 *	testmilter [-ftVh] [-c FILE] [-p SOCKET] [-P PIDFILE] [-u USER]
 * DESCRIPTION
 *	Reads section [suppress]. At MAIL, a sender whose local part is
 *	"refuse" is refused through mk_milter_refuse() with 550 5.7.1 and a
 *	reply text of TM_LONG_TEXT_LEN octets (more than 128, to see it
 *	whole), given at RCPT when MAIL is negotiated without reply: that is
 *	the case when the environment has TESTMILTER_NO_REPLY=mail; local
 *	part "overlong" is refused so with a text one octet past
 *	MK_REPLY_TEXT_MAX, which the skeleton must not cut. At RCPT,
 *	by the recipient's local part:
 *	"reject" gets 550 5.7.1, "error" goes through mk_milter_on_error()
 *	(451 4.3.0, or with on_error = accept this recipient passes and the
 *	next ones are still decided), anything else is accepted; one
 *	decision line per recipient, with the queue id. At end-of-message it
 *	adds "X-Test-Auth: USER" when {auth_authen} is set, and a sender
 *	whose local part is "error" goes through mk_milter_on_error() there,
 *	so the reply text can be checked; a sender whose local part is
 *	"slowN" (N seconds, 1 to 60) has slow work at end of message
 *	(mk_milter_defer(): the worker sleeps N seconds), after which the
 *	message gets "X-Slow: done after N s" and a log line "slow work
 *	done"; a job whose answer is no longer wanted logs "slow work
 *	dropped". A sender "timerN" waits N seconds on the event loop
 *	instead, as an asynchronous resolver would: a timerfd watched by
 *	the loop (mk_milter_watch()), the message pending (mk_milter_pend())
 *	until it fires; then "X-Timer: done after N s" and "timer wait done",
 *	or "timer wait dropped". It registers no header, EOH or body
 *	callbacks: those steps are negotiated away.
 *	init() counts the configurations built, so reloads are visible in
 *	the log ("state generation N").
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "mk_conf.h"
#include "mk_log.h"
#include "mk_mem.h"
#include "mk_milter.h"
#include "sections.h"

enum tm_verdict { TM_ACCEPT, TM_REJECT, TM_ERROR, TM_REFUSE, TM_OVERLONG };

#define TM_LONG_TEXT_LEN 300

struct tm_state {
	unsigned generation;
};

static unsigned generations;

/* Verdict for one address "<local@domain>" by its local part. */
static enum tm_verdict
tm_decide(const char *addr)
{
	const char *at;
	size_t len;

	if (*addr == '<')
		addr++;
	at = strchr(addr, '@');
	len = at != NULL ? (size_t)(at - addr) : strcspn(addr, ">");
	if (len == 6 && strncasecmp(addr, "reject", 6) == 0)
		return TM_REJECT;
	if (len == 5 && strncasecmp(addr, "error", 5) == 0)
		return TM_ERROR;
	if (len == 6 && strncasecmp(addr, "refuse", 6) == 0)
		return TM_REFUSE;
	if (len == 8 && strncasecmp(addr, "overlong", 8) == 0)
		return TM_OVERLONG;
	return TM_ACCEPT;
}

static int
tm_init(const struct mk_conf *conf, void **state, char *err, size_t errlen)
{
	struct tm_state *st = mk_calloc(1, sizeof(*st));

	st->generation = ++generations;
	mk_info("state generation %u", st->generation);
	*state = st;
	return 0;
}

static void
tm_fini(void *state)
{
	free(state);
}

static sfsistat
tm_helo(struct mk_conn *conn, const char *helo)
{
	mk_debug("helo %s from %s[%s]", conn->helo, conn->name, conn->addr);
	return SMFIS_CONTINUE;
}

/* "Sender refused 0123456789012...(end)": TM_LONG_TEXT_LEN octets, or
 * MK_REPLY_TEXT_MAX + 1 for "overlong". */
static sfsistat
tm_mail(struct mk_msg *msg, char **argv)
{
	static const char head[] = "Sender refused ", tail[] = "(end)";
	enum tm_verdict v = tm_decide(msg->sender);
	char text[MK_REPLY_TEXT_MAX + 2];
	size_t i, n;

	(void)argv;
	if (v != TM_REFUSE && v != TM_OVERLONG)
		return SMFIS_CONTINUE;
	n = (v == TM_REFUSE ? TM_LONG_TEXT_LEN : MK_REPLY_TEXT_MAX + 1) -
	    (sizeof(tail) - 1);
	memcpy(text, head, sizeof(head) - 1);
	for (i = sizeof(head) - 1; i < n; i++)
		text[i] = (char)('0' + i % 10);
	memcpy(text + n, tail, sizeof(tail));
	mk_log_event(MK_LOG_INFO, mk_milter_qid(msg->conn, msg),
	    "refuse from=%s", msg->sender);
	return mk_milter_refuse(msg->conn, SMFIS_REJECT, "550", "5.7.1", text);
}

static sfsistat
tm_rcpt(struct mk_msg *msg, char **argv)
{
	struct mk_conn *conn = msg->conn;
	const char *qid = mk_milter_qid(conn, msg);
	char rcpt[MK_LOG_CLIENT_MAX];

	mk_printable(rcpt, sizeof(rcpt), argv[0], (size_t)-1);
	switch (tm_decide(argv[0])) {
	case TM_REJECT:
		mk_log_event(MK_LOG_INFO, qid, "reject rcpt=%s client=%s[%s]",
		    rcpt, conn->name, conn->addr);
		mk_milter_setreply(conn, "550", "5.7.1", "Recipient %s rejected", rcpt);
		return SMFIS_REJECT;
	case TM_ERROR:
		mk_log_event(MK_LOG_INFO, qid, "error rcpt=%s client=%s[%s]",
		    rcpt, conn->name, conn->addr);
		return mk_milter_on_error(conn, msg, "simulated failure for %s", rcpt);
	default:
		mk_log_event(MK_LOG_INFO, qid, "accept rcpt=%s client=%s[%s]",
		    rcpt, conn->name, conn->addr);
		return SMFIS_CONTINUE;
	}
}

/* The seconds of "slowN", or 0. */
static unsigned
tm_slow(const char *addr)
{
	unsigned n;

	if (*addr == '<')
		addr++;
	if (strncasecmp(addr, "slow", 4) != 0 || sscanf(addr + 4, "%u", &n) != 1)
		return 0;
	return n >= 1 && n <= 60 ? n : 0;
}

static void
tm_slow_work(void *arg)
{
	sleep(*(unsigned *)arg);
}

static sfsistat
tm_slow_done(struct mk_msg *msg, void *arg)
{
	unsigned n = *(unsigned *)arg;
	char value[32];

	free(arg);
	if (msg == NULL) {
		mk_info("slow work dropped (%u s)", n);
		return SMFIS_CONTINUE;
	}
	snprintf(value, sizeof(value), " done after %u s", n);
	if (mk_milter_addheader(msg, "X-Slow", value) < 0)
		return mk_milter_on_error(msg->conn, msg, "cannot add header");
	mk_log_event(MK_LOG_INFO, mk_milter_qid(msg->conn, msg),
	    "slow work done (%u s)", n);
	return SMFIS_CONTINUE;
}

/* "timerN": the seconds, or 0. */
static unsigned
tm_timer(const char *addr)
{
	unsigned n;

	if (*addr == '<')
		addr++;
	if (strncasecmp(addr, "timer", 5) != 0 || sscanf(addr + 5, "%u", &n) != 1)
		return 0;
	return n >= 1 && n <= 60 ? n : 0;
}

struct tm_timer {
	int fd;
	unsigned secs;
	struct mk_milter_job *job;
};

static sfsistat
tm_timer_done(struct mk_msg *msg, void *arg)
{
	struct tm_timer *t = arg;
	unsigned n = t->secs;
	char value[32];

	free(t);
	if (msg == NULL) {
		mk_info("timer wait dropped (%u s)", n);
		return SMFIS_CONTINUE;
	}
	snprintf(value, sizeof(value), " done after %u s", n);
	if (mk_milter_addheader(msg, "X-Timer", value) < 0)
		return mk_milter_on_error(msg->conn, msg, "cannot add header");
	mk_log_event(MK_LOG_INFO, mk_milter_qid(msg->conn, msg),
	    "timer wait done (%u s)", n);
	return SMFIS_CONTINUE;
}

/* On the loop: the timer fired; the job goes back (exactly once). */
static void
tm_timer_ready(void *arg)
{
	struct tm_timer *t = arg;
	uint64_t ticks;

	if (read(t->fd, &ticks, sizeof(ticks)) < 0)
		mk_warn("timerfd: read failed");
	mk_milter_unwatch(t->fd);
	close(t->fd);
	mk_milter_pend_finish(t->job);
}

static sfsistat
tm_timer_start(struct mk_msg *msg, unsigned secs)
{
	struct tm_timer *t = mk_calloc(1, sizeof(*t));
	struct itimerspec its = { .it_value.tv_sec = secs };
	sfsistat rc;

	t->secs = secs;
	t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->fd < 0 || timerfd_settime(t->fd, 0, &its, NULL) < 0 ||
	    mk_milter_watch(t->fd, tm_timer_ready, t) < 0) {
		if (t->fd >= 0)
			close(t->fd);
		free(t);
		return mk_milter_on_error(msg->conn, msg, "cannot start a timer");
	}
	rc = mk_milter_pend(msg, tm_timer_done, t, &t->job);
	if (t->job == NULL) {
		mk_milter_unwatch(t->fd);
		close(t->fd);
		free(t);
		return rc;
	}
	mk_log_event(MK_LOG_INFO, mk_milter_qid(msg->conn, msg),
	    "timer wait started (%u s)", secs);
	return rc;
}

static sfsistat
tm_eom(struct mk_msg *msg)
{
	const char *user = mk_milter_macro(msg->conn, "{auth_authen}");
	char value[MK_LOG_CLIENT_MAX];
	unsigned slow = tm_slow(msg->sender), timer = tm_timer(msg->sender);

	if (timer > 0)
		return tm_timer_start(msg, timer);
	if (slow > 0) {
		unsigned *arg = mk_malloc(sizeof(*arg));

		*arg = slow;
		mk_log_event(MK_LOG_INFO, mk_milter_qid(msg->conn, msg),
		    "slow work started (%u s)", slow);
		return mk_milter_defer(msg, tm_slow_work, tm_slow_done, arg);
	}

	if (tm_decide(msg->sender) == TM_ERROR)
		return mk_milter_on_error(msg->conn, msg, "simulated failure at end of message");
	if (user != NULL && *user) {
		mk_printable(value, sizeof(value), user, (size_t)-1);
		if (mk_mconn_addheader(msg->conn->mc, "X-Test-Auth", value) < 0)
			return mk_milter_on_error(msg->conn, msg, "cannot add header");
		mk_log_event(MK_LOG_INFO, mk_milter_qid(msg->conn, msg),
		    "header X-Test-Auth=%s", value);
	}
	return SMFIS_CONTINUE;
}

static struct mk_milter_desc tm_desc = {
	.name = "testmilter",
	.section = "suppress",
	.version = PACKAGE_VERSION,
	.flags = SMFIF_ADDHDRS,
	.init = tm_init,
	.fini = tm_fini,
	.helo = tm_helo,
	.mail = tm_mail,
	.rcpt = tm_rcpt,
	.eom = tm_eom,
};

int
main(int argc, char **argv)
{
	const char *nr = getenv("TESTMILTER_NO_REPLY");

	mk_conf_use(mkf_sections);
	if (nr != NULL && strcmp(nr, "mail") == 0)
		tm_desc.no_reply = SMFIP_NR_MAIL;
	return mk_milter_main(&tm_desc, argc, argv);
}
