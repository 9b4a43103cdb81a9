/*
 * NAME
 *	request - incremental parser of Postfix policy requests
 * SYNOPSIS
 *	#include "request.h"
 *
 *	struct pd_parser *pd_parser_new(const struct pd_limits *lim);
 *	void	pd_parser_free(struct pd_parser *p);
 *	int	pd_parser_feed(struct pd_parser *p, const char *buf,
 *			size_t len, size_t *used, struct pd_request *rq);
 *	const char *pd_parser_error(const struct pd_parser *p);
 *	size_t	pd_parser_pending(const struct pd_parser *p);
 *	void	pd_limits_from_conf(const struct mk_conf *conf,
 *			struct pd_limits *lim);
 * DESCRIPTION
 *	A request is name=value lines ended by an empty line (SMTPD_POLICY_
 *	README). The parser does no I/O: the caller feeds it whatever bytes
 *	arrived, in pieces of any size, and gets complete requests back.
 *
 *	pd_parser_feed() consumes bytes of buf up to the end of the first
 *	request it completes and stores in *used how many it took. Returns
 *	PD_REQ_DONE with rq filled (call again with buf + *used for the rest),
 *	PD_REQ_MORE when every byte was taken and no request is complete yet,
 *	or PD_REQ_MALFORMED: the connection must be closed without a reply;
 *	pd_parser_error() says why and every later call fails the same way.
 *	The strings in rq point into the parser: they stay valid until the
 *	next pd_parser_feed() or pd_parser_free().
 *
 *	Rules. Lines end in LF or CRLF. A line longer than max_line octets
 *	(line end not counted), more than max_attrs name=value lines, a
 *	request larger than max_request octets (line ends and the final empty
 *	line counted), a line without '=', an empty name, a NUL byte, the
 *	same name twice in one request (no "last wins": a client that
 *	repeats a name is broken, and a limiter must not guess which value
 *	counts), a recipient_count that is not a decimal number of at most 9
 *	digits, and an empty line with no attribute before it are malformed.
 *	Limits are checked as bytes arrive, so an endless line is refused
 *	as soon as it passes its bound. Unknown names are counted and
 *	otherwise ignored. Values are taken as sent (no trimming); an empty
 *	value means the attribute is absent: its pointer is NULL and an
 *	empty recipient_count is -1 (Postfix sends "sasl_username=" for
 *	sessions that did not authenticate).
 *
 *	pd_parser_pending() is the number of octets of an unfinished request
 *	(0 between requests): a client that leaves with pending > 0 left in
 *	the middle of one.
 *
 *	pd_limits_from_conf() (policyd/conf.c) takes the bounds from
 *	[policyd] max_line,
 *	max_attrs and max_request.
 */
#ifndef PD_REQUEST_H
#define PD_REQUEST_H

#include <stddef.h>

#include "mk_conf.h"
#include "mk_ratelimit.h"

enum { PD_REQ_MALFORMED = -1, PD_REQ_MORE = 0, PD_REQ_DONE = 1 };

struct pd_limits {
	size_t max_line;	/* octets of one line, line end excluded */
	size_t max_attrs;	/* name=value lines of one request */
	size_t max_request;	/* octets of one request */
};

struct pd_request {
	struct mk_rl_request rl;	/* what the engine needs */
	size_t nattrs;			/* name=value lines, known or not */
	size_t octets;			/* size of the request on the wire */
};

struct pd_parser;

struct pd_parser *pd_parser_new(const struct pd_limits *lim);
void pd_parser_free(struct pd_parser *p);
int pd_parser_feed(struct pd_parser *p, const char *buf, size_t len,
    size_t *used, struct pd_request *rq);
const char *pd_parser_error(const struct pd_parser *p);
size_t pd_parser_pending(const struct pd_parser *p);
void pd_limits_from_conf(const struct mk_conf *conf, struct pd_limits *lim);

#endif
